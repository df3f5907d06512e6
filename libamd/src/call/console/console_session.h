/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * Browser-console sign-in sessions: a random session id carried in a cookie (HttpOnly,
 * SameSite=Strict, Path=/console/, Secure behind https: RFC 6265 section 4.1 and the
 * SameSite attribute of RFC 6265bis) and a per-session CSRF token the page sends back in a
 * header on every change (the synchronizer-token pattern of OWASP's CSRF cheat sheet).
 * Sessions live in memory only: a restart signs everyone out. */
#ifndef AMDI_CONSOLE_SESSION_H
#define AMDI_CONSOLE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define AMDI_SESSION_ID_LEN 64   /* hex digits (256 random bits) */
#define AMDI_SESSION_MAX 1024    /* sessions alive at once; the oldest is dropped beyond */
#define AMDI_SESSION_TTL_MS (12LL * 3600 * 1000)
#define AMDI_SESSION_COOKIE "amd_console"

typedef struct amdi_sessions amdi_sessions;

typedef struct amdi_session_info {
    char account[35];
    char csrf[AMDI_SESSION_ID_LEN + 1];
} amdi_session_info;

amdi_sessions *amdi_sessions_new(void);
void amdi_sessions_free(amdi_sessions *s);
/* Open a session for @p account; @p id receives its id (AMDI_SESSION_ID_LEN + 1 bytes) and
 * @p info its CSRF token. 0 or AMD_EIO (no randomness) / AMD_ENOMEM. */
int amdi_session_open(amdi_sessions *s, const char *account, int64_t now_ms, char *id, amdi_session_info *info);
/* Look up a live session: 0 (info filled) or AMD_ENOTFOUND. Constant-time id comparison. */
int amdi_session_find(amdi_sessions *s, const char *id, int64_t now_ms, amdi_session_info *info);
void amdi_session_close(amdi_sessions *s, const char *id);

/* The value of cookie @p name in a Cookie request header (RFC 6265 section 5.4: "name=value"
 * pairs separated by "; "), copied into @p out (at most @p outlen - 1 bytes; a longer value
 * is not a match). 0, or AMD_ENOTFOUND. */
int amdi_cookie_find(const char *header, const char *name, char *out, size_t outlen);

#endif
