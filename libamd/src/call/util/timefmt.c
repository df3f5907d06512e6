/* SPDX-License-Identifier: MIT */
#include "timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "amd/error.h"

/* Howard Hinnant's civil-date algorithms (public domain), so that no
 * locale- or TZ-dependent libc call (timegm, strftime) is involved. */
int64_t amdi_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static const char *const k_wday[7] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
static const char *const k_mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void amdi_time_rfc2822(int64_t ms, char *out, size_t outlen)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int wd = (int)(((days % 7) + 7) % 7); /* 1970-01-01 was a Thursday */
    if (y >= 0 && y <= 9999 && outlen >= 32) {
        /* the common case by hand: list pages format four dates per call, and snprintf was
         * the top of their profile */
        char *o = out;
        memcpy(o, k_wday[wd], 3);
        o[3] = ',';
        o[4] = ' ';
        o[5] = (char)('0' + d / 10);
        o[6] = (char)('0' + d % 10);
        o[7] = ' ';
        memcpy(o + 8, k_mon[m - 1], 3);
        o[11] = ' ';
        o[12] = (char)('0' + y / 1000);
        o[13] = (char)('0' + y / 100 % 10);
        o[14] = (char)('0' + y / 10 % 10);
        o[15] = (char)('0' + y % 10);
        o[16] = ' ';
        int hh = (int)(sod / 3600), mm = (int)(sod / 60 % 60), ss = (int)(sod % 60);
        o[17] = (char)('0' + hh / 10);
        o[18] = (char)('0' + hh % 10);
        o[19] = ':';
        o[20] = (char)('0' + mm / 10);
        o[21] = (char)('0' + mm % 10);
        o[22] = ':';
        o[23] = (char)('0' + ss / 10);
        o[24] = (char)('0' + ss % 10);
        memcpy(o + 25, " +0000", 7);
        return;
    }
    snprintf(out, outlen, "%s, %02u %s %04lld %02d:%02d:%02d +0000", k_wday[wd], d, k_mon[m - 1],
             (long long)y, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int valid_date(int y, int m, int d)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

static int parse_rfc2822(const char *s, int64_t *ms)
{
    /* "[Wdy, ]DD Mon YYYY HH:MM:SS (+|-)HHMM|GMT|UT|Z" */
    const char *p = s;
    if (isalpha((unsigned char)p[0])) {
        const char *c = strchr(p, ',');
        if (!c)
            return AMD_EINVAL;
        p = c + 1;
    }
    while (*p == ' ')
        p++;
    int d, y, hh, mi, ss = 0;
    char mon[4] = {0};
    int n = 0;
    if (sscanf(p, "%2d %3s %4d %2d:%2d:%2d%n", &d, mon, &y, &hh, &mi, &ss, &n) < 6)
        return AMD_EINVAL;
    int m = 0;
    for (int i = 0; i < 12; i++)
        if (strcasecmp(mon, k_mon[i]) == 0)
            m = i + 1;
    if (!m || !valid_date(y, m, d) || hh > 23 || mi > 59 || ss > 60)
        return AMD_EINVAL;
    p += n;
    while (*p == ' ')
        p++;
    int off = 0;
    if ((*p == '+' || *p == '-') && strlen(p) == 5) {
        int oh, om;
        const char *q = p + 1;
        if (digits(&q, 2, &oh) || digits(&q, 2, &om))
            return AMD_EINVAL;
        off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
    } else if (*p && strcasecmp(p, "GMT") && strcasecmp(p, "UT") && strcasecmp(p, "UTC") &&
               strcasecmp(p, "Z")) {
        return AMD_EINVAL;
    }
    int64_t days = amdi_days_from_civil(y, (unsigned)m, (unsigned)d);
    *ms = ((days * 86400 + hh * 3600 + mi * 60 + ss) - (int64_t)off * 60) * 1000;
    return 0;
}

int amdi_time_parse(const char *s, int64_t *ms, int *has_time)
{
    if (!s || !ms)
        return AMD_EINVAL;
    const char *p = s;
    int y, m, d, hh = 0, mi = 0, ss = 0, frac = 0;
    if (digits(&p, 4, &y) || *p != '-') {
        if (parse_rfc2822(s, ms) == 0) {
            if (has_time)
                *has_time = 1;
            return 0;
        }
        return AMD_EINVAL;
    }
    p++;
    if (digits(&p, 2, &m) || *p++ != '-' || digits(&p, 2, &d) || !valid_date(y, m, d))
        return AMD_EINVAL;
    int t = 0;
    int off_min = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        t = 1;
        if (digits(&p, 2, &hh) || *p++ != ':' || digits(&p, 2, &mi))
            return AMD_EINVAL;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &ss))
                return AMD_EINVAL;
        }
        if (*p == '.') {
            p++;
            int nd = 0;
            while (isdigit((unsigned char)*p)) {
                if (nd < 3)
                    frac = frac * 10 + (*p - '0');
                nd++;
                p++;
            }
            if (!nd)
                return AMD_EINVAL;
            for (; nd < 3; nd++)
                frac *= 10;
        }
        if (hh > 23 || mi > 59 || ss > 60)
            return AMD_EINVAL;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1;
            int oh, om = 0;
            p++;
            if (digits(&p, 2, &oh))
                return AMD_EINVAL;
            if (*p == ':')
                p++;
            if (*p && digits(&p, 2, &om))
                return AMD_EINVAL;
            off_min = sign * (oh * 60 + om);
        }
    }
    if (*p)
        return AMD_EINVAL;
    int64_t days = amdi_days_from_civil(y, (unsigned)m, (unsigned)d);
    *ms = (days * 86400 + hh * 3600 + mi * 60 + ss - (int64_t)off_min * 60) * 1000 + frac;
    if (has_time)
        *has_time = t;
    return 0;
}

int64_t amdi_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
