/* SPDX-License-Identifier: MIT */
/* WAV writer for call recordings: a RIFF/WAVE file with a 16-byte PCM "fmt " chunk and one
 * "data" chunk (Microsoft "Multimedia Programming Interface and Data Specifications 1.0",
 * RIFF WAVE form), written with plain POSIX calls so that every byte's fate is known. */
#include "recording.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amd/error.h"

#define MAX_FRAME 960 /* 20 ms at 48 kHz */
#define HEADER_BYTES 44

struct amdi_recording {
    int fd;
    int rate, dual, track; /* track: 0 inbound, 1 outbound, 2 both */
    int failed;
    int64_t frames;        /* whole frames in the file */
    char path[4096];
    char err[200];
    unsigned char buf[2 * MAX_FRAME * 2];
};

static void put_u16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    put_u16(p, v & 0xffff);
    put_u16(p + 2, v >> 16);
}

/* Write all of @p n bytes at the current offset: 0, or -1 with errno (a short write that made
 * no further progress reports ENOSPC, as write(2) does on the next call). */
static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int pwrite_all(int fd, const unsigned char *p, size_t n, off_t at)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, at);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += w;
        at += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The file's name without its folder (messages name the recording, not the server's layout). */
static const char *fname(const amdi_recording *r)
{
    const char *b = strrchr(r->path, '/');
    return b ? b + 1 : r->path;
}

static unsigned block_align(const amdi_recording *r)
{
    return (r->dual ? 2u : 1u) * 2u;
}

static void header(const amdi_recording *r, unsigned char *h, uint32_t data_bytes)
{
    unsigned ch = r->dual ? 2 : 1;
    memcpy(h, "RIFF", 4);
    put_u32(h + 4, 36 + data_bytes);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_u32(h + 16, 16);
    put_u16(h + 20, 1); /* WAVE_FORMAT_PCM */
    put_u16(h + 22, ch);
    put_u32(h + 24, (uint32_t)r->rate);
    put_u32(h + 28, (uint32_t)r->rate * block_align(r));
    put_u16(h + 32, block_align(r));
    put_u16(h + 34, 16);
    memcpy(h + 36, "data", 4);
    put_u32(h + 40, data_bytes);
}

int amdi_recording_dir_prepare(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) == 0) {
        if (chmod(dir, 0700)) { /* the umask may have taken bits from 0700 */
            snprintf(err, errlen, "recordings folder %s: %s", dir, strerror(errno));
            return AMD_EIO;
        }
        return 0;
    }
    if (errno != EEXIST) {
        snprintf(err, errlen, "recordings folder %s: %s", dir, strerror(errno));
        return AMD_EIO;
    }
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "recordings folder %s: %s", dir, errno ? strerror(errno) : "not a folder");
        return AMD_EIO;
    }
    /* a folder of ours that others can enter (an older version made it 0755): make it private */
    if (st.st_uid == geteuid() && (st.st_mode & 077) && chmod(dir, st.st_mode & 0700)) {
        snprintf(err, errlen, "recordings folder %s: cannot make it private: %s", dir, strerror(errno));
        return AMD_EIO;
    }
    return 0;
}

int amdi_recording_open(const char *dir, const char *sid, int rate, int dual, const char *track,
                        amdi_recording **out, char *err, size_t errlen)
{
    *out = NULL;
    if (rate <= 0 || rate > 192000) {
        snprintf(err, errlen, "recording: unsupported sample rate %d", rate);
        return AMD_EINVAL;
    }
    int rc = amdi_recording_dir_prepare(dir, err, errlen);
    if (rc)
        return rc;
    amdi_recording *r = calloc(1, sizeof *r);
    if (!r)
        return AMD_ENOMEM;
    r->rate = rate;
    r->dual = dual;
    r->track = track && !strcmp(track, "outbound") ? 1 : track && !strcmp(track, "both") ? 2 : 0;
    snprintf(r->path, sizeof r->path, "%s/%s.wav", dir, sid);
    r->fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (r->fd < 0) {
        snprintf(err, errlen, "recording %s: %s", r->path, strerror(errno));
        free(r);
        return AMD_EIO;
    }
    unsigned char h[HEADER_BYTES];
    header(r, h, 0);
    if (fchmod(r->fd, 0600) || write_all(r->fd, h, sizeof h)) {
        snprintf(err, errlen, "recording %s: %s", r->path, strerror(errno));
        close(r->fd);
        unlink(r->path); /* no empty or headless file is left behind */
        free(r);
        return AMD_EIO;
    }
    *out = r;
    return 0;
}

static int16_t to_s16(float v)
{
    if (!(v == v)) /* NaN */
        v = 0.0f;
    v = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
    return (int16_t)lrintf(v * 32767.0f);
}

int amdi_recording_write(amdi_recording *r, const float *in, const float *outb, size_t n)
{
    if (!r || n > MAX_FRAME)
        return AMD_EINVAL;
    if (r->failed)
        return AMD_ESTATE;
    unsigned char *p = r->buf;
    for (size_t i = 0; i < n; i++) {
        float a = in ? in[i] : 0.0f, b = outb ? outb[i] : 0.0f;
        if (r->dual) {
            put_u16(p, (uint16_t)to_s16(b)); /* channel 1: our side */
            put_u16(p + 2, (uint16_t)to_s16(a)); /* channel 2: the far end */
            p += 4;
        } else {
            put_u16(p, (uint16_t)to_s16(r->track == 0 ? a : r->track == 1 ? b : a + b));
            p += 2;
        }
    }
    if (write_all(r->fd, r->buf, (size_t)(p - r->buf))) {
        snprintf(r->err, sizeof r->err, "writing %.60s failed after %lld frames: %s", fname(r), (long long)r->frames,
                 strerror(errno));
        r->failed = 1;
        /* drop a partial frame, so that the file holds exactly r->frames whole frames */
        off_t whole = HEADER_BYTES + (off_t)r->frames * block_align(r);
        if (ftruncate(r->fd, whole) == 0)
            lseek(r->fd, whole, SEEK_SET);
        return AMD_EIO;
    }
    r->frames += (int64_t)n;
    return 0;
}

int amdi_recording_rate(const amdi_recording *r)
{
    return r ? r->rate : 0;
}

int amdi_recording_repair(const char *path, int64_t *frames, int *rate)
{
    *frames = 0;
    *rate = 0;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : AMD_EIO;
    unsigned char h[HEADER_BYTES];
    struct stat st;
    ssize_t got = pread(fd, h, sizeof h, 0);
    amdi_recording r;
    memset(&r, 0, sizeof r);
    int ok = got == HEADER_BYTES && !fstat(fd, &st) && !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WAVEfmt ", 8) &&
             !memcmp(h + 36, "data", 4) && (h[22] == 1 || h[22] == 2) && h[23] == 0 && h[34] == 16;
    if (ok) {
        r.dual = h[22] == 2;
        r.rate = (int)(h[24] | h[25] << 8 | h[26] << 16 | (unsigned)h[27] << 24);
        uint64_t data = (uint64_t)(st.st_size - HEADER_BYTES);
        uint64_t max = (UINT32_MAX - 36) / block_align(&r) * block_align(&r);
        r.frames = (int64_t)((data > max ? max : data) / block_align(&r));
        data = (uint64_t)r.frames * block_align(&r);
        header(&r, h, (uint32_t)data);
        ok = r.rate > 0 && !ftruncate(fd, HEADER_BYTES + (off_t)data) && !pwrite_all(fd, h, sizeof h, 0);
    }
    ok = !close(fd) && ok;
    if (!ok || r.frames == 0) { /* not ours, or nothing in it: leave no unusable file */
        unlink(path);
        return ok ? 0 : AMD_EIO;
    }
    *frames = r.frames;
    *rate = r.rate;
    return 0;
}

const char *amdi_recording_error(const amdi_recording *r)
{
    return r ? r->err : "";
}

void amdi_recording_abandon(amdi_recording *r)
{
    if (!r)
        return;
    close(r->fd);
    free(r);
}

int amdi_recording_close(amdi_recording *r, int64_t *frames, char *err, size_t errlen)
{
    if (frames)
        *frames = 0;
    if (!r)
        return 0;
    uint64_t data = (uint64_t)r->frames * block_align(r);
    if (data > UINT32_MAX - 36) { /* RIFF sizes are 32-bit: more than ~6 h of dual 48 kHz */
        if (!r->failed)
            snprintf(r->err, sizeof r->err, "%.60s: longer than a WAV file can describe", fname(r));
        r->failed = 1;
        r->frames = (int64_t)((UINT32_MAX - 36) / block_align(r));
        data = (uint64_t)r->frames * block_align(r);
        if (ftruncate(r->fd, HEADER_BYTES + (off_t)data))
            r->frames = 0;
    }
    unsigned char h[HEADER_BYTES];
    header(r, h, (uint32_t)data);
    int bad = r->frames > 0 && pwrite_all(r->fd, h, sizeof h, 0);
    if (bad && !r->failed)
        snprintf(r->err, sizeof r->err, "finishing the header of %.60s: %s", fname(r), strerror(errno));
    if (close(r->fd) && !r->failed && !bad) { /* some file systems report a lost write only here */
        snprintf(r->err, sizeof r->err, "closing %.60s: %s", fname(r), strerror(errno));
        bad = 1;
    }
    int rc = r->failed || bad ? AMD_EIO : 0;
    if (rc && (bad || r->frames == 0)) { /* nothing usable: leave no file behind */
        unlink(r->path);
        r->frames = 0;
    }
    if (rc && err)
        snprintf(err, errlen, "%s", r->err);
    if (frames)
        *frames = r->frames;
    free(r);
    return rc;
}
