/* SPDX-License-Identifier: MIT */
/* <Play> audio decoding from memory (decode.h). */
#include "media/decode.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sndfile.h>

#include "amd/error.h"
#include "errbuf.h"
#include "media/resample.h"

#define MIN_RATE 1000
#define MAX_RATE 384000
#define MAX_CHANNELS 64
#define CHUNK_FRAMES 4096

/* ---- libsndfile virtual I/O over the caller's bytes ---- */

typedef struct membuf {
    const unsigned char *data;
    sf_count_t len, pos;
} membuf;

static sf_count_t vio_len(void *u)
{
    return ((membuf *)u)->len;
}

static sf_count_t vio_seek(sf_count_t off, int whence, void *u)
{
    membuf *m = u;
    sf_count_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;
    if (off < -base || base + off > m->len)
        return -1;
    m->pos = base + off;
    return m->pos;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *u)
{
    membuf *m = u;
    if (count <= 0)
        return 0;
    sf_count_t k = m->len - m->pos < count ? m->len - m->pos : count;
    memcpy(ptr, m->data + m->pos, (size_t)k);
    m->pos += k;
    return k;
}

static sf_count_t vio_write(const void *ptr, sf_count_t count, void *u)
{
    return 0; /* read-only */
}

static sf_count_t vio_tell(void *u)
{
    return ((membuf *)u)->pos;
}

/* ---- Content-Type ---- */

typedef enum { CT_SNIFF, CT_ULAW, CT_ALAW, CT_L16, CT_NOT_AUDIO } ct_kind;

/* Integer parameter @p name of a Content-Type's parameter list @p params, or @p def. */
static long ct_param(const char *params, const char *name, long def)
{
    size_t nl = strlen(name);
    for (const char *p = params; p && *p; p = strchr(p, ';')) {
        while (*p == ';' || *p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == '=') {
            char *end;
            long v = strtol(p + nl + 1, &end, 10);
            return end == p + nl + 1 ? -1 : v;
        }
    }
    return def;
}

/* What @p ct says about the bytes; *params points at its parameter list (or NULL). */
static ct_kind classify_type(const char *ct, const char **params, char *type, size_t typelen)
{
    *params = NULL;
    type[0] = '\0';
    if (!ct)
        return CT_SNIFF;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = 0;
    while (ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t' && n + 1 < typelen) {
        type[n] = (char)tolower((unsigned char)ct[n]);
        n++;
    }
    type[n] = '\0';
    *params = strchr(ct, ';');
    if (n == 0 || !strcmp(type, "application/octet-stream") || !strcmp(type, "binary/octet-stream") ||
        !strcmp(type, "application/ogg") || !strcmp(type, "video/ogg"))
        return CT_SNIFF;
    static const char *const ulaw[] = {"audio/basic", "audio/ulaw", "audio/x-ulaw", "audio/mulaw", "audio/x-mulaw",
                                       "audio/pcmu"};
    static const char *const alaw[] = {"audio/alaw", "audio/x-alaw", "audio/pcma"};
    for (size_t i = 0; i < sizeof ulaw / sizeof ulaw[0]; i++)
        if (!strcmp(type, ulaw[i]))
            return CT_ULAW;
    for (size_t i = 0; i < sizeof alaw / sizeof alaw[0]; i++)
        if (!strcmp(type, alaw[i]))
            return CT_ALAW;
    if (!strcmp(type, "audio/l16"))
        return CT_L16;
    return strncmp(type, "audio/", 6) == 0 ? CT_SNIFF : CT_NOT_AUDIO;
}

/* Open the bytes: sniffed first, then as the headerless format the Content-Type names. */
static SNDFILE *open_bytes(SF_VIRTUAL_IO *vio, membuf *m, ct_kind kind, const char *params, SF_INFO *info,
                           char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    SNDFILE *sf = sf_open_virtual(vio, SFM_READ, info, m);
    if (sf || kind == CT_SNIFF) {
        if (!sf)
            amdi_set_err(err, errlen, "not a recognised audio format (%s)", sf_strerror(NULL));
        return sf;
    }
    long rate = ct_param(params, "rate", 8000), ch = ct_param(params, "channels", 1);
    if (rate < MIN_RATE || rate > MAX_RATE || ch < 1 || ch > MAX_CHANNELS) {
        amdi_set_err(err, errlen, "Content-Type rate=%ld channels=%ld out of range", rate, ch);
        return NULL;
    }
    memset(info, 0, sizeof *info);
    info->samplerate = (int)rate;
    info->channels = (int)ch;
    info->format = SF_FORMAT_RAW | (kind == CT_ULAW ? SF_FORMAT_ULAW
                                    : kind == CT_ALAW ? SF_FORMAT_ALAW
                                                      : SF_FORMAT_PCM_16 | SF_ENDIAN_BIG);
    m->pos = 0;
    sf = sf_open_virtual(vio, SFM_READ, info, m);
    if (!sf)
        amdi_set_err(err, errlen, "headerless audio could not be opened (%s)", sf_strerror(NULL));
    return sf;
}

/* Output buffer that grows as decoding goes (worker side: allocation is fine here). */
typedef struct outbuf {
    float *s;
    size_t n, cap;
} outbuf;

static int reserve(outbuf *o, size_t more)
{
    if (o->s && o->n + more <= o->cap)
        return 0; /* never NULL afterwards: o->s + o->n must be a valid pointer even for 0 samples */
    size_t cap = o->cap ? o->cap : 8000;
    while (cap < o->n + more)
        cap *= 2;
    float *s = realloc(o->s, cap * sizeof *s);
    if (!s)
        return AMD_ENOMEM;
    o->s = s;
    o->cap = cap;
    return 0;
}

/* Read, down-mix, check and resample every frame of @p sf into @p o. */
static int decode_all(SNDFILE *sf, const SF_INFO *info, double max_seconds, outbuf *o, char *err, size_t errlen)
{
    const int ch = info->channels;
    float *frames = malloc((size_t)CHUNK_FRAMES * (size_t)ch * sizeof *frames);
    float *mono = malloc(CHUNK_FRAMES * sizeof *mono);
    amdi_resampler *rs = NULL;
    int rc = amdi_resampler_create(info->samplerate, &rs);
    if (rc == 0 && (!frames || !mono))
        rc = AMD_ENOMEM;
    const double max_frames = max_seconds * info->samplerate;
    double total = 0;
    sf_count_t got;
    while (rc == 0 && (got = sf_readf_float(sf, frames, CHUNK_FRAMES)) > 0) {
        total += (double)got;
        if (total > max_frames) {
            amdi_set_err(err, errlen, "audio longer than %.0f s", max_seconds);
            rc = AMD_ELIMIT;
            break;
        }
        for (sf_count_t i = 0; i < got && rc == 0; i++) {
            float sum = 0;
            for (int c = 0; c < ch; c++)
                sum += frames[i * ch + c];
            if (!isfinite(sum)) {
                amdi_set_err(err, errlen, "non-finite sample at frame %.0f", total - (double)got + (double)i);
                rc = AMD_EFORMAT;
            }
            mono[i] = sum / (float)ch;
        }
        if (rc == 0 && (rc = reserve(o, amdi_resampler_out_max(rs, (size_t)got))) == 0)
            o->n += amdi_resampler_process(rs, mono, (size_t)got, o->s + o->n);
    }
    if (rc == 0 && sf_error(sf) != SF_ERR_NO_ERROR) {
        amdi_set_err(err, errlen, "decoding failed: %s", sf_strerror(sf));
        rc = AMD_EFORMAT;
    }
    if (rc == 0 && (rc = reserve(o, amdi_resampler_flush_max(rs))) == 0) {
        o->n += amdi_resampler_flush(rs, o->s + o->n);
        /* exactly the input's duration at 8 kHz (the flush may overshoot by a few samples) */
        size_t want = (size_t)llround(total * AMDI_MEDIA_RATE / info->samplerate);
        if (o->n > want)
            o->n = want;
        for (size_t i = 0; i < o->n; i++) /* float files and resampler ringing may pass full scale */
            o->s[i] = o->s[i] > 1.0f ? 1.0f : o->s[i] < -1.0f ? -1.0f : o->s[i];
    }
    if (rc == AMD_ENOMEM)
        amdi_set_err(err, errlen, "out of memory");
    amdi_resampler_destroy(rs);
    free(frames);
    free(mono);
    return rc;
}

int amdi_audio_decode(const void *data, size_t len, const char *content_type, const amdi_decode_opts *opts,
                      amdi_pcm **out, char *err, size_t errlen)
{
    amdi_set_err(err, errlen, "%s", "");
    if (!out || (!data && len > 0)) {
        amdi_set_err(err, errlen, "invalid arguments");
        return AMD_EINVAL;
    }
    *out = NULL;
    const size_t max_in = opts && opts->max_input_bytes ? opts->max_input_bytes : AMDI_DECODE_MAX_INPUT;
    const double max_s = opts && opts->max_seconds > 0 ? opts->max_seconds : AMDI_DECODE_MAX_SECONDS;
    if (len > max_in) {
        amdi_set_err(err, errlen, "audio of %zu bytes is over the %zu-byte limit", len, max_in);
        return AMD_ELIMIT;
    }
    const char *params;
    char type[64];
    ct_kind kind = classify_type(content_type, &params, type, sizeof type);
    if (kind == CT_NOT_AUDIO) {
        amdi_set_err(err, errlen, "Content-Type %s is not audio", type);
        return AMD_EFORMAT;
    }
    if (len == 0) {
        amdi_set_err(err, errlen, "empty body");
        return AMD_EFORMAT;
    }
    SF_VIRTUAL_IO vio = {vio_len, vio_seek, vio_read, vio_write, vio_tell};
    membuf m = {data, (sf_count_t)len, 0};
    SF_INFO info;
    SNDFILE *sf = open_bytes(&vio, &m, kind, params, &info, err, errlen);
    if (!sf)
        return AMD_EFORMAT;
    int rc = 0;
    if (info.samplerate < MIN_RATE || info.samplerate > MAX_RATE || info.channels < 1 ||
        info.channels > MAX_CHANNELS) {
        amdi_set_err(err, errlen, "unsupported header: %d Hz, %d channels", info.samplerate, info.channels);
        rc = AMD_EFORMAT;
    } else if (info.frames > 0 && (double)info.frames > max_s * info.samplerate) {
        amdi_set_err(err, errlen, "audio longer than %.0f s", max_s);
        rc = AMD_ELIMIT;
    }
    outbuf o = {0};
    if (rc == 0)
        rc = decode_all(sf, &info, max_s, &o, err, errlen);
    sf_close(sf);
    if (rc != 0) {
        free(o.s);
        return rc;
    }
    *out = amdi_pcm_create(o.s, o.n);
    if (!*out) {
        amdi_set_err(err, errlen, "out of memory");
        return AMD_ENOMEM;
    }
    return 0;
}

int amdi_decode_twilio_code(int rc)
{
    return rc == 0 ? 0 : AMDI_TWILIO_PLAY_BAD_AUDIO;
}

int amdi_decode_mp3_supported(void)
{
    SF_INFO info = {.samplerate = 8000, .channels = 1, .format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III};
    return sf_format_check(&info) != 0;
}
