/* SPDX-License-Identifier: MIT */
#include "export_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "amd/error.h"

static int safe_name(const char *name)
{
    if (!*name || *name == '/' || strlen(name) > 90)
        return 0;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '\\')
            return 0;
    const char *c = name;
    while (c) {
        if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
            return 0;
        c = strchr(c, '/');
        if (c)
            c++;
    }
    return 1;
}

static int mkdir_0700(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    return AMD_EIO;
}

int amdi_export_dir_put(void *user, const char *name, const uint8_t *data, size_t len)
{
    const char *root = user;
    if (!safe_name(name))
        return AMD_EINVAL;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", root, name) >= (int)sizeof path)
        return AMD_EINVAL;
    if (mkdir_0700(root))
        return AMD_EIO;
    /* the folders inside the name */
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = 0;
        int rc = mkdir_0700(path);
        *p = '/';
        if (rc)
            return rc;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return AMD_EIO;
    fchmod(fd, 0600);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(path);
            return AMD_EIO;
        }
        off += (size_t)w;
    }
    return close(fd) == 0 ? 0 : AMD_EIO;
}

static void octal(char *dst, size_t width, unsigned long long v)
{
    /* width-1 octal digits and a NUL, as ustar numeric fields are written */
    snprintf(dst, width, "%0*llo", (int)width - 1, v);
}

int amdi_export_tar_put(void *user, const char *name, const uint8_t *data, size_t len)
{
    amdi_buf *b = user;
    if (!safe_name(name))
        return AMD_EINVAL;
    if ((long)(b->len + len + 1024) > AMDI_EXPORT_TAR_MAX)
        return AMD_ELIMIT;
    char h[512];
    memset(h, 0, sizeof h);
    snprintf(h, 100, "corpus/%s", name);
    octal(h + 100, 8, 0600);
    octal(h + 108, 8, 0);
    octal(h + 116, 8, 0);
    octal(h + 124, 12, len);
    octal(h + 136, 12, (unsigned long long)time(NULL));
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    unsigned sum = 0;
    for (size_t i = 0; i < sizeof h; i++)
        sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
    amdi_buf_append(b, h, sizeof h);
    amdi_buf_append(b, (const char *)data, len);
    static const char zero[512];
    if (len % 512)
        amdi_buf_append(b, zero, 512 - len % 512);
    return b->oom ? AMD_ENOMEM : 0;
}

int amdi_export_tar_end(amdi_buf *b)
{
    static const char zero[1024];
    amdi_buf_append(b, zero, sizeof zero);
    return b->oom ? AMD_ENOMEM : 0;
}
