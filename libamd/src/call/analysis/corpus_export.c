/* SPDX-License-Identifier: MIT */
#include "corpus_export.h"

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "labels.h"
#include "strbuf.h"

/* Longest recording read: 4 h (Twilio's default TimeLimit) at 48 kHz. Of it, the first
 * EXPORT_SECONDS are exported: AMD decides within MachineDetectionTimeout (at most 59 s), so
 * ten minutes hold every greeting the detector could be judged on, and a long call cannot
 * blow up the export's memory. */
#define MAX_EXPORT_FRAMES (4LL * 3600 * 48000)
#define EXPORT_SECONDS 600

static void put_le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* RIFF/WAVE header of a mono 16-bit PCM file with @p n samples (44 bytes). */
static void wav_header(uint8_t *h, int rate, size_t n)
{
    uint32_t data = (uint32_t)(n * 2);
    memcpy(h, "RIFF", 4);
    put_le(h + 4, 36 + data, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    put_le(h + 16, 16, 4);
    put_le(h + 20, 1, 2); /* PCM */
    put_le(h + 22, 1, 2); /* mono */
    put_le(h + 24, (uint32_t)rate, 4);
    put_le(h + 28, (uint32_t)rate * 2, 4);
    put_le(h + 32, 2, 2);
    put_le(h + 34, 16, 2);
    memcpy(h + 36, "data", 4);
    put_le(h + 40, data, 4);
}

int amdi_export_far_end_wav(const char *path, int channels, const char *track, uint8_t **wav, size_t *len,
                            int *rate, int64_t *frames, char *err, size_t errlen)
{
    *wav = NULL;
    *len = 0;
    /* Dual recordings: channel 1 our side, channel 2 the far end. Mono: only `inbound` is the
     * far end alone. */
    int ch;
    if (channels == 2) {
        ch = 1;
    } else if (channels == 1 && track && !strcmp(track, "inbound")) {
        ch = 0;
    } else {
        snprintf(err, errlen, "the recording holds no far-end audio alone (mono, track %s)", track ? track : "?");
        return AMD_EINVAL;
    }
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) {
        snprintf(err, errlen, "recording media unreadable: %s", sf_strerror(NULL));
        return AMD_EIO;
    }
    if (info.channels != channels || info.frames < 0 || info.frames > MAX_EXPORT_FRAMES || info.samplerate <= 0) {
        snprintf(err, errlen, "recording media is not the %d-channel file the store describes", channels);
        sf_close(sf);
        return AMD_EFORMAT;
    }
    size_t n = (size_t)info.frames;
    if (n > (size_t)info.samplerate * EXPORT_SECONDS)
        n = (size_t)info.samplerate * EXPORT_SECONDS;
    uint8_t *out = malloc(44 + n * 2 + 1);
    short *buf = malloc(sizeof(short) * 1024 * (size_t)channels);
    if (!out || !buf) {
        free(out);
        free(buf);
        sf_close(sf);
        return AMD_ENOMEM;
    }
    size_t got = 0;
    while (got < n) {
        sf_count_t want = (sf_count_t)(n - got < 1024 ? n - got : 1024);
        sf_count_t r = sf_readf_short(sf, buf, want);
        if (r <= 0)
            break;
        for (sf_count_t i = 0; i < r; i++)
            put_le(out + 44 + (got + (size_t)i) * 2, (uint16_t)buf[i * channels + ch], 2);
        got += (size_t)r;
    }
    sf_close(sf);
    free(buf);
    wav_header(out, info.samplerate, got);
    *wav = out;
    *len = 44 + got * 2;
    *rate = info.samplerate;
    *frames = (int64_t)got;
    return 0;
}

typedef struct lab_list {
    amdi_label_rec *v;
    size_t n, cap;
    int oom;
} lab_list;

static void collect(void *user, const amdi_label_rec *r)
{
    lab_list *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        amdi_label_rec *p = realloc(l->v, cap * sizeof *p);
        if (!p) {
            l->oom = 1;
            return;
        }
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = *r;
}

/* The newest completed recording of the call with far-end audio in it, or -1. */
static int pick_recording(amdi_store *s, const char *account, const char *sid, amdi_recording_rec *rec,
                          char *path, size_t pathlen, char *why, size_t whylen)
{
    amdi_recording_rec rs[8];
    long n = amdi_store_recordings(s, account, sid, rs, 8);
    snprintf(why, whylen, "no recording (place calls with Record=true to export them)");
    for (long i = 0; i < n; i++) {
        if (strcmp(rs[i].status, "completed")) {
            snprintf(why, whylen, "recording %s is %s", rs[i].sid, rs[i].status);
            continue;
        }
        if (amdi_store_recording_get(s, account, rs[i].sid, rec, path, pathlen) == 0 && path[0])
            return 0;
    }
    return -1;
}

static void csv_field(amdi_buf *b, const char *v)
{
    /* RFC 4180: quote fields holding a comma, quote or line break */
    if (!strpbrk(v, ",\"\r\n")) {
        amdi_buf_puts(b, v);
        return;
    }
    amdi_buf_putc(b, '"');
    for (; *v; v++) {
        if (*v == '"')
            amdi_buf_putc(b, '"');
        amdi_buf_putc(b, *v);
    }
    amdi_buf_putc(b, '"');
}

static int export_one(amdi_store *s, const char *account, const amdi_label_rec *l, amdi_export_put_fn put,
                      void *user, amdi_buf *man, amdi_buf *skip, amdi_export_stats *st)
{
    amdi_recording_rec rec;
    char path[4096] = "", why[200];
    uint8_t *wav = NULL;
    size_t len = 0;
    int rate = 0;
    int64_t frames = 0;
    int rc = pick_recording(s, account, l->call_sid, &rec, path, sizeof path, why, sizeof why);
    if (rc == 0)
        rc = amdi_export_far_end_wav(path, rec.channels, rec.track, &wav, &len, &rate, &frames, why, sizeof why);
    if (rc == AMD_ENOMEM)
        return rc;
    if (rc) {
        amdi_buf_printf(skip, "%s,", l->call_sid);
        csv_field(skip, why);
        amdi_buf_putc(skip, '\n');
        st->skipped++;
        return 0;
    }
    char name[64];
    snprintf(name, sizeof name, "audio/%s.wav", l->call_sid);
    rc = put(user, name, wav, len);
    free(wav);
    if (rc)
        return rc;
    char ge[24] = "";
    if (l->greeting_end_ms >= 0)
        snprintf(ge, sizeof ge, "%lld", (long long)l->greeting_end_ms);
    amdi_buf_printf(man, "%s,%s,%s,%s,%s,console-%s,amd serve,%d,%lld,%s\n", name, amdi_label_enable(l->label),
                    amdi_label_detect_end(l->label), amdi_label_coarse(l->label), ge, amdi_label_name(l->label),
                    rate, (long long)(frames * 1000 / rate), l->call_sid);
    st->exported++;
    return 0;
}

int amdi_corpus_export(amdi_store *s, const char *account, amdi_export_put_fn put, void *user,
                       amdi_export_stats *stats, char *err, size_t errlen)
{
    amdi_export_stats st = {0, 0, 0};
    lab_list l = {0};
    long n = amdi_labels_list(s, account, collect, &l);
    if (n < 0 || l.oom) {
        free(l.v);
        snprintf(err, errlen, n < 0 ? "cannot read the labels from the database" : "out of memory");
        return n < 0 ? (int)n : AMD_ENOMEM;
    }
    st.labeled = n;
    amdi_buf man, skip;
    amdi_buf_init(&man);
    amdi_buf_init(&skip);
    amdi_buf_puts(&man, "file,answered_by_enable,answered_by_detect_end,label,greeting_end_ms,scenario,source,"
                        "sample_rate,duration_ms,call_sid\n");
    amdi_buf_puts(&skip, "call_sid,reason\n");
    int rc = 0;
    for (size_t i = 0; i < l.n && !rc; i++)
        rc = export_one(s, account, &l.v[i], put, user, &man, &skip, &st);
    free(l.v);
    if (!rc && (man.oom || skip.oom))
        rc = AMD_ENOMEM;
    if (!rc)
        rc = put(user, "manifest.csv", (const uint8_t *)man.p, man.len);
    if (!rc)
        rc = put(user, "skipped.csv", (const uint8_t *)skip.p, skip.len);
    if (rc)
        snprintf(err, errlen, "corpus export failed: %s", amd_strerror(rc));
    amdi_buf_free(&man);
    amdi_buf_free(&skip);
    if (stats)
        *stats = st;
    return rc;
}
