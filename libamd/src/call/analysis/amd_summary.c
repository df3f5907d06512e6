/* SPDX-License-Identifier: MIT */
#include "amd_summary.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"

#define HDR_BYTES 40
#define MAX_STATES 512

struct amdi_summary {
    uint8_t *frames; /* AMDI_SUMMARY_FRAME_BYTES per frame */
    size_t n, cap;
    int64_t t0_ms;
    int truncated;
    struct {
        uint32_t at;
        const char *name; /* static storage in the detector library */
    } states[MAX_STATES];
    size_t n_states;
    int oom;
};

static const char *const k_tones[] = {NULL, "beep", "ced", "cng", "v21", "sit", "other"};

const char *amdi_summary_tone_name(int k)
{
    return k > 0 && k < 7 ? k_tones[k] : NULL;
}

static int tone_code(const char *kind)
{
    if (!kind)
        return 0;
    for (int k = 1; k < 6; k++)
        if (!strcmp(kind, k_tones[k]))
            return k;
    return 6;
}

amdi_summary *amdi_summary_new(void)
{
    return calloc(1, sizeof(amdi_summary));
}

void amdi_summary_free(amdi_summary *s)
{
    if (s) {
        free(s->frames);
        free(s);
    }
}

static uint8_t neg_db(float db)
{
    if (!(db < 0)) /* NaN or >= 0 dBFS */
        return 0;
    return db < -255 ? 255 : (uint8_t)lrintf(-db);
}

void amdi_summary_frame(void *user, const amd_frame_info *fi)
{
    amdi_summary *s = user;
    if (s->oom)
        return;
    if (s->n >= AMDI_SUMMARY_MAX_FRAMES) {
        s->truncated = 1;
        return;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 512;
        if (cap > AMDI_SUMMARY_MAX_FRAMES)
            cap = AMDI_SUMMARY_MAX_FRAMES;
        uint8_t *p = realloc(s->frames, cap * AMDI_SUMMARY_FRAME_BYTES);
        if (!p) {
            s->oom = 1;
            return;
        }
        s->frames = p;
        s->cap = cap;
    }
    if (s->n == 0)
        s->t0_ms = fi->time_ms;
    uint8_t *f = s->frames + s->n * AMDI_SUMMARY_FRAME_BYTES;
    float p = fi->speech_prob < 0 ? 0 : fi->speech_prob > 1 ? 1 : fi->speech_prob;
    f[0] = neg_db(fi->level_db);
    f[1] = neg_db(fi->noise_floor_db);
    f[2] = (uint8_t)((fi->speech ? 1 : 0) | tone_code(fi->tone_kind) << 1 | (int)lrintf(p * 15) << 4);
    const char *st = fi->state ? fi->state : "";
    if (s->n_states == 0 || strcmp(s->states[s->n_states - 1].name, st)) {
        if (s->n_states == MAX_STATES) { /* a state flapping for a minute: keep what fits */
            s->truncated = 1;
            s->n++;
            return;
        }
        s->states[s->n_states].at = (uint32_t)s->n;
        s->states[s->n_states].name = st;
        s->n_states++;
    }
    s->n++;
}

static void put32(uint8_t *p, int64_t v)
{
    uint32_t u = (uint32_t)(int32_t)(v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : v);
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 24);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

int amdi_summary_pack(const amdi_summary *s, const amd_result *r, uint8_t **blob, size_t *len)
{
    size_t n = s->oom ? 0 : s->n, names = 0, ns = s->oom ? 0 : s->n_states;
    for (size_t i = 0; i < ns; i++)
        names += 5 + strnlen(s->states[i].name, 31);
    size_t total = HDR_BYTES + n * AMDI_SUMMARY_FRAME_BYTES + names;
    uint8_t *b = malloc(total);
    if (!b)
        return AMD_ENOMEM;
    memcpy(b, "AMS1", 4);
    put32(b + 4, n ? s->t0_ms : 10);
    put32(b + 8, r->decision_ms);
    put32(b + 12, r->speech_onset_ms);
    put32(b + 16, r->greeting_end_ms);
    put32(b + 20, r->beep_start_ms);
    put32(b + 24, r->beep_end_ms);
    put16(b + 28, r->beep_hz > 0 && r->beep_hz < 65535 ? (unsigned)lrintf(r->beep_hz) : 0);
    b[30] = (uint8_t)r->answered_by;
    b[31] = (uint8_t)r->cause;
    float c = r->confidence < 0 ? 0 : r->confidence > 1 ? 1 : r->confidence;
    put16(b + 32, (unsigned)lrintf(c * 10000));
    put32(b + 34, (int64_t)n);
    b[38] = (uint8_t)ns; /* u16 n_states: MAX_STATES < 65536 */
    b[39] = (uint8_t)(ns >> 8);
    /* the header ends with the truncated flag: keep HDR_BYTES = 40 by folding it into the
     * top bit of n_states' high byte (MAX_STATES < 32768) */
    if (s->truncated || s->oom)
        b[39] |= 0x80;
    if (n)
        memcpy(b + HDR_BYTES, s->frames, n * AMDI_SUMMARY_FRAME_BYTES);
    uint8_t *p = b + HDR_BYTES + n * AMDI_SUMMARY_FRAME_BYTES;
    for (size_t i = 0; i < ns; i++) {
        size_t l = strnlen(s->states[i].name, 31);
        put32(p, s->states[i].at);
        p[4] = (uint8_t)l;
        memcpy(p + 5, s->states[i].name, l);
        p += 5 + l;
    }
    *blob = b;
    *len = total;
    return 0;
}

static int32_t get32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

void amdi_summary_view_free(amdi_summary_view *v)
{
    free(v->frames);
    free(v->state_at);
    free(v->state_name);
    memset(v, 0, sizeof *v);
}

int amdi_summary_decode(const uint8_t *b, size_t len, amdi_summary_view *v)
{
    memset(v, 0, sizeof *v);
    if (!b || len < HDR_BYTES || memcmp(b, "AMS1", 4))
        return AMD_EFORMAT;
    v->t0_ms = get32(b + 4);
    v->decision_ms = get32(b + 8);
    v->speech_onset_ms = get32(b + 12);
    v->greeting_end_ms = get32(b + 16);
    v->beep_start_ms = get32(b + 20);
    v->beep_end_ms = get32(b + 24);
    v->beep_hz = (int)get16(b + 28);
    v->answered_by = (amd_answered_by)b[30];
    v->cause = b[31] < AMD_CAUSE_COUNT_ ? (amd_cause)b[31] : AMD_CAUSE_NONE;
    v->confidence = (float)get16(b + 32) / 10000.0f;
    uint32_t n = (uint32_t)get32(b + 34);
    unsigned ns = get16(b + 38) & 0x7fff;
    v->truncated = (b[39] & 0x80) != 0;
    if (n > AMDI_SUMMARY_MAX_FRAMES || ns > MAX_STATES || (size_t)n * AMDI_SUMMARY_FRAME_BYTES > len - HDR_BYTES)
        return AMD_EFORMAT;
    v->n_frames = n;
    v->n_states = ns;
    v->frames = calloc(n ? n : 1, sizeof *v->frames);
    v->state_at = calloc(ns ? ns : 1, sizeof *v->state_at);
    v->state_name = calloc(ns ? ns : 1, sizeof *v->state_name);
    if (!v->frames || !v->state_at || !v->state_name) {
        amdi_summary_view_free(v);
        return AMD_ENOMEM;
    }
    const uint8_t *p = b + HDR_BYTES;
    for (uint32_t i = 0; i < n; i++, p += AMDI_SUMMARY_FRAME_BYTES) {
        v->frames[i].level_db = (int8_t)(p[0] > 128 ? -128 : -(int)p[0]);
        v->frames[i].noise_floor_db = (int8_t)(p[1] > 128 ? -128 : -(int)p[1]);
        v->frames[i].speech = p[2] & 1;
        v->frames[i].tone = (p[2] >> 1) & 7;
        v->frames[i].prob15 = p[2] >> 4;
    }
    const uint8_t *end = b + len;
    for (unsigned i = 0; i < ns; i++) {
        if (end - p < 5 || p[4] > 31 || end - p - 5 < p[4]) {
            amdi_summary_view_free(v);
            return AMD_EFORMAT;
        }
        v->state_at[i] = (uint32_t)get32(p);
        memcpy(v->state_name[i], p + 5, p[4]);
        v->state_name[i][p[4]] = 0;
        p += 5 + p[4];
    }
    return p == end ? 0 : (amdi_summary_view_free(v), AMD_EFORMAT);
}

static json_t *ms_or_null(int32_t v)
{
    return v < 0 ? json_null() : json_integer(v);
}

/* Runs of frames where key(i) is nonzero: [{start_ms, end_ms[, kind]}]. */
static json_t *spans(const amdi_summary_view *v, int tones)
{
    json_t *a = json_array();
    size_t i = 0;
    while (i < v->n_frames) {
        int k = tones ? v->frames[i].tone : v->frames[i].speech;
        if (!k) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < v->n_frames && (tones ? v->frames[j].tone : v->frames[j].speech) == k)
            j++;
        /* a frame's time is the END of its 10 ms hop */
        json_t *o = json_pack("{s:I,s:I}", "start_ms", (json_int_t)(v->t0_ms + (int32_t)i * 10 - 10), "end_ms",
                              (json_int_t)(v->t0_ms + (int32_t)(j - 1) * 10));
        if (tones)
            json_object_set_new(o, "kind", json_string(amdi_summary_tone_name(k)));
        json_array_append_new(a, o);
        i = j;
    }
    return a;
}

static json_t *state_runs(const amdi_summary_view *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n_states; i++) {
        size_t last = i + 1 < v->n_states ? v->state_at[i + 1] : v->n_frames;
        if (last > v->n_frames || v->state_at[i] >= last)
            continue;
        json_array_append_new(a, json_pack("{s:I,s:I,s:s}", "start_ms",
                                           (json_int_t)(v->t0_ms + (int32_t)v->state_at[i] * 10 - 10), "end_ms",
                                           (json_int_t)(v->t0_ms + (int32_t)(last - 1) * 10), "state",
                                           v->state_name[i]));
    }
    return a;
}

int amdi_summary_json(const uint8_t *blob, size_t len, amdi_buf *out)
{
    amdi_summary_view v;
    int rc = amdi_summary_decode(blob, len, &v);
    if (rc)
        return rc;
    json_t *lv = json_array(), *fl = json_array(), *sp = json_array(), *pr = json_array(), *tn = json_array();
    for (size_t i = 0; i < v.n_frames; i++) {
        json_array_append_new(lv, json_integer(v.frames[i].level_db));
        json_array_append_new(fl, json_integer(v.frames[i].noise_floor_db));
        json_array_append_new(sp, json_integer(v.frames[i].speech));
        json_array_append_new(pr, json_real(v.frames[i].prob15 / 15.0));
        json_array_append_new(tn, json_integer(v.frames[i].tone));
    }
    const char *ab = amd_answered_by_name(v.answered_by);
    json_t *o = json_pack("{s:s?,s:s,s:f,s:o,s:o,s:o,s:o,s:o,s:o?,s:I,s:I,s:b,s:{s:o,s:o,s:o,s:o,s:o},"
                          "s:o,s:o,s:o}",
                          "answered_by", ab, "cause", amd_cause_name(v.cause), "confidence",
                          (double)v.confidence, "decision_ms", ms_or_null(v.decision_ms), "speech_onset_ms",
                          ms_or_null(v.speech_onset_ms), "greeting_end_ms", ms_or_null(v.greeting_end_ms),
                          "beep_start_ms", ms_or_null(v.beep_start_ms), "beep_end_ms",
                          ms_or_null(v.beep_end_ms), "beep_hz", v.beep_hz ? json_integer(v.beep_hz) : NULL,
                          "frame_ms", (json_int_t)10, "t0_ms", (json_int_t)v.t0_ms, "truncated", v.truncated,
                          "frames", "level_db", lv, "noise_floor_db", fl, "speech", sp, "speech_prob", pr,
                          "tone", tn, "speech_segments", spans(&v, 0), "tones", spans(&v, 1), "states",
                          state_runs(&v));
    amdi_summary_view_free(&v);
    if (!o)
        return AMD_ENOMEM;
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return AMD_ENOMEM;
    rc = amdi_buf_puts(out, s);
    free(s);
    return rc;
}
