/* SPDX-License-Identifier: MIT */
#include "console_session.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "sid.h"

typedef struct session {
    char id[AMDI_SESSION_ID_LEN + 1];
    amdi_session_info info;
    int64_t expires_ms;
    int used;
} session;

struct amdi_sessions {
    pthread_mutex_t mu;
    session v[AMDI_SESSION_MAX];
};

amdi_sessions *amdi_sessions_new(void)
{
    amdi_sessions *s = calloc(1, sizeof *s);
    if (s)
        pthread_mutex_init(&s->mu, NULL);
    return s;
}

void amdi_sessions_free(amdi_sessions *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    memset(s->v, 0, sizeof s->v); /* no secrets left in freed memory */
    free(s);
}

static int random_hex64(char *out)
{
    /* two 128-bit tokens from the kernel's CSPRNG */
    if (amdi_token_new(out) || amdi_token_new(out + 32))
        return AMD_EIO;
    out[AMDI_SESSION_ID_LEN] = 0;
    return 0;
}

int amdi_session_open(amdi_sessions *s, const char *account, int64_t now_ms, char *id, amdi_session_info *info)
{
    session n;
    memset(&n, 0, sizeof n);
    if (random_hex64(n.id) || random_hex64(n.info.csrf))
        return AMD_EIO;
    snprintf(n.info.account, sizeof n.info.account, "%s", account);
    n.expires_ms = now_ms + AMDI_SESSION_TTL_MS;
    n.used = 1;
    pthread_mutex_lock(&s->mu);
    size_t slot = 0;
    for (size_t i = 0; i < AMDI_SESSION_MAX; i++) {
        if (!s->v[i].used || s->v[i].expires_ms <= now_ms) {
            slot = i;
            break;
        }
        if (s->v[i].expires_ms < s->v[slot].expires_ms)
            slot = i; /* full: replace the oldest */
    }
    s->v[slot] = n;
    pthread_mutex_unlock(&s->mu);
    memcpy(id, n.id, sizeof n.id);
    *info = n.info;
    return 0;
}

int amdi_session_find(amdi_sessions *s, const char *id, int64_t now_ms, amdi_session_info *info)
{
    if (!id || strlen(id) != AMDI_SESSION_ID_LEN)
        return AMD_ENOTFOUND;
    int rc = AMD_ENOTFOUND;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < AMDI_SESSION_MAX; i++) {
        int eq = amdi_secret_equal(id, s->v[i].id);
        if (eq & s->v[i].used && s->v[i].expires_ms > now_ms) {
            *info = s->v[i].info;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void amdi_session_close(amdi_sessions *s, const char *id)
{
    if (!id || strlen(id) != AMDI_SESSION_ID_LEN)
        return;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < AMDI_SESSION_MAX; i++)
        if (s->v[i].used && amdi_secret_equal(id, s->v[i].id))
            memset(&s->v[i], 0, sizeof s->v[i]);
    pthread_mutex_unlock(&s->mu);
}

int amdi_cookie_find(const char *header, const char *name, char *out, size_t outlen)
{
    if (!header || !outlen)
        return AMD_ENOTFOUND;
    size_t nl = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t vl = len - nl - 1;
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') { /* cookie-value may be quoted */
                v++;
                vl -= 2;
            }
            if (vl >= outlen)
                return AMD_ENOTFOUND;
            memcpy(out, v, vl);
            out[vl] = 0;
            return 0;
        }
        p += len;
    }
    return AMD_ENOTFOUND;
}
