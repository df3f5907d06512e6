/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the detector's feed: a random sample rate (8-48 kHz, sometimes out of
 * range), input format (s16 / float / µ-law / A-law), configuration (fields in range, at their
 * limits or anywhere), then a program of process / finish / reset / callback operations with
 * chunk sizes from 0 to 64 Ki samples. Audio comes either straight from the input bytes (for
 * float that includes NaN, Inf and denormals) or from a few cheap generators (tones, speech-like
 * buzz, noise, silence) so a short input can still drive the detector through whole calls and
 * into every decision path.
 *
 * Besides the sanitizers, the harness checks the documented contract and aborts on a breach:
 *  - amd_config_validate and amd_detector_create agree; rejections carry a message;
 *  - process returns 0 / 1, AMD_EINVAL only for a NaN/Inf float chunk or NULL data (and then the
 *    detector's clock does not move), AMD_ESTATE only after finish;
 *  - a decision, once made, never changes until reset (§4.2), is a valid answered_by with
 *    a cause, confidence in [0,1] and decision_ms within the audio fed;
 *  - the decision event fires at most once per call, and only with the polled result;
 *  - finish always leaves a decision; audio time never runs backwards;
 *  - process_lost advances the clock by exactly the samples reported (the documented one-hour
 *    bound and finish give AMD_EINVAL / AMD_ESTATE) and follows the same decision contract;
 *  - set_event_mask refuses unknown bits; every signal event it selects comes with its details
 *    from amd_detector_event_info (valid kind, digit, times within the audio fed).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/detector.h"
#include "fuzz_input.h"
#include "model.h" /* internal: to build a model for the model engine when the build has none */
#include "model_features.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_detector: contract broken: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

enum { FMT_S16, FMT_FLOAT, FMT_ULAW, FMT_ALAW };

/* The most samples one process call gets (the harness's chunk sizes are 16-bit). */
#define MAX_CHUNK 65536
/* Audio per input is bounded so one execution stays well under a second under the sanitizers;
 * 25 s covers the 3 s minimum timeout, the 2-10 s silence timeout and a greeting plus beep. */
#define MAX_AUDIO_MS 25000

typedef struct harness {
    amd_detector *det;
    int rate, fmt, mode;
    int finished;
    int decided;           /* a decision was seen since create / reset */
    amd_result decision;   /* ...and this was it */
    int decision_events;   /* AMD_EVENT_DECISION callbacks this call */
    int64_t last_time_ms;
    int64_t fed;           /* samples fed since create / reset (for the audio bound) */
    int64_t total_fed;     /* samples fed by this input (for the audio bound) */
    uint64_t trace;        /* FNV-1a over every polled result and clock reading (replay check) */
    union {
        int16_t s16[MAX_CHUNK];
        float f32[MAX_CHUNK];
        uint8_t u8[MAX_CHUNK];
    } buf;
} harness;

static harness H;

static int result_same(const amd_result *a, const amd_result *b)
{
    return a->answered_by == b->answered_by && a->cause == b->cause &&
           a->decision_ms == b->decision_ms && a->greeting_end_ms == b->greeting_end_ms &&
           a->beep_start_ms == b->beep_start_ms && a->beep_end_ms == b->beep_end_ms &&
           memcmp(&a->confidence, &b->confidence, sizeof a->confidence) == 0 &&
           memcmp(&a->beep_hz, &b->beep_hz, sizeof a->beep_hz) == 0;
}

static void check_decision(const amd_result *r, int64_t now_ms)
{
    CHECK(r->answered_by > AMD_ANSWERED_NONE && r->answered_by <= AMD_ANSWERED_UNKNOWN);
    CHECK(r->cause > AMD_CAUSE_NONE && r->cause < AMD_CAUSE_COUNT_);
    CHECK(r->confidence >= 0.f && r->confidence <= 1.f); /* false for NaN too */
    /* finish() may decide on the zero-padded last 10 ms hop */
    CHECK(r->decision_ms >= 0 && r->decision_ms <= now_ms + 11);
    if (H.mode == AMD_MODE_ENABLE)
        CHECK(r->answered_by != AMD_ANSWERED_MACHINE_END_BEEP &&
              r->answered_by != AMD_ANSWERED_MACHINE_END_SILENCE &&
              r->answered_by != AMD_ANSWERED_MACHINE_END_OTHER);
    else
        CHECK(r->answered_by != AMD_ANSWERED_MACHINE_START);
    if (r->beep_start_ms >= 0)
        CHECK(r->beep_end_ms >= r->beep_start_ms && isfinite(r->beep_hz));
    CHECK(amd_answered_by_name(r->answered_by)[0] != '\0');
    CHECK(amd_cause_name(r->cause) != NULL);
}

/* Poll and compare against what was seen before (a result, once decided, never changes). */
static void trace_mix(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        H.trace = (H.trace ^ b[i]) * 0x100000001b3ull;
}

static void check_result(void)
{
    amd_result r;
    memset(&r, 0, sizeof r); /* padding too: the whole struct goes into the trace */
    int rc = amd_detector_result(H.det, &r);
    trace_mix(&rc, sizeof rc);
    trace_mix(&r, sizeof r);
    CHECK(rc == 0 || rc == 1);
    int64_t now = amd_detector_time_ms(H.det);
    CHECK(now >= H.last_time_ms);
    H.last_time_ms = now;
    trace_mix(&now, sizeof now);
    if (rc == 0) {
        CHECK(!H.decided);
        CHECK(r.answered_by == AMD_ANSWERED_NONE);
        return;
    }
    check_decision(&r, now);
    if (H.decided)
        CHECK(result_same(&r, &H.decision));
    H.decided = 1;
    H.decision = r;
}

static void on_event(void *user, amd_event ev, const amd_result *res)
{
    (void)user;
    amd_event_info info;
    CHECK(amd_detector_event_info(H.det, &info) == 1);
    CHECK(info.event == ev);
    if (ev >= AMD_EVENT_SPEECH_ONSET && ev <= AMD_EVENT_DTMF) {
        int64_t now = amd_detector_time_ms(H.det);
        CHECK(info.time_ms >= 0 && info.time_ms <= now + 11);
        CHECK(info.detected_ms >= info.time_ms && info.detected_ms <= now + 11);
        CHECK(info.end_ms == -1 || (info.end_ms >= info.time_ms && info.end_ms <= now + 11));
        CHECK(ev == AMD_EVENT_DTMF ? strchr("0123456789*#ABCD", info.digit) != NULL && info.digit != 0
                                   : info.digit == 0);
        CHECK(isfinite(info.hz) && isfinite(info.hz2));
        CHECK(res != NULL);
        return;
    }
    CHECK(ev == AMD_EVENT_DECISION || ev == AMD_EVENT_MACHINE_PROVISIONAL);
    if (ev == AMD_EVENT_MACHINE_PROVISIONAL) {
        CHECK(H.mode == AMD_MODE_DETECT_MESSAGE_END);
        return;
    }
    CHECK(++H.decision_events == 1);
    amd_result polled;
    CHECK(amd_detector_result(H.det, &polled) == 1); /* allowed from inside the callback */
    CHECK(result_same(&polled, res));
}

static void on_frame(void *user, const amd_frame_info *fi)
{
    (void)user;
    CHECK(fi->state != NULL);
    CHECK(fi->speech == 0 || fi->speech == 1);
    CHECK(!isnan(fi->speech_prob) && !isnan(fi->tone_hz));
}

static void on_log(void *user, amd_log_level lvl, const char *msg)
{
    (void)user;
    CHECK(lvl >= AMD_LOG_ERROR && lvl <= AMD_LOG_DEBUG && msg != NULL);
}

/* Feed the first n samples of H.buf in the detector's format and check the answer. */
static void feed(size_t n)
{
    int64_t before = amd_detector_time_ms(H.det);
    int rc;
    switch (H.fmt) {
    case FMT_S16: rc = amd_detector_process_s16(H.det, H.buf.s16, n); break;
    case FMT_FLOAT: rc = amd_detector_process_float(H.det, H.buf.f32, n); break;
    case FMT_ULAW: rc = amd_detector_process_ulaw(H.det, H.buf.u8, n); break;
    default: rc = amd_detector_process_alaw(H.det, H.buf.u8, n); break;
    }
    int bad = 0; /* a float chunk holding NaN / Inf */
    for (size_t i = 0; H.fmt == FMT_FLOAT && i < n && !bad; i++)
        bad = !isfinite(H.buf.f32[i]);
    if (rc == AMD_EINVAL || H.finished) {
        /* a NaN / Inf float chunk is refused whole, audio after finish is refused: either
         * way nothing happened */
        CHECK(rc == AMD_EINVAL ? bad : rc == AMD_ESTATE);
        CHECK(amd_detector_time_ms(H.det) == before);
        return;
    }
    CHECK(!bad);
    CHECK(rc == 0 || rc == 1);
    H.fed += (int64_t)n;
    H.total_fed += (int64_t)n;
    CHECK(amd_detector_time_ms(H.det) == H.fed * 1000 / H.rate); /* every sample counts, any chunking */
    check_result();
    CHECK(rc == H.decided);
}

/* Store generated sample s (float, nominal [-1, 1]) at index i in the detector's format. */
static void put(size_t i, float s)
{
    float c = s > 1.f ? 1.f : s < -1.f ? -1.f : s;
    int16_t v = (int16_t)lrintf(c * 32767.f);
    switch (H.fmt) {
    case FMT_S16: H.buf.s16[i] = v; break;
    case FMT_FLOAT: H.buf.f32[i] = s; break;
    case FMT_ULAW: H.buf.u8[i] = amd_ulaw_encode(v); break;
    default: H.buf.u8[i] = amd_alaw_encode(v); break;
    }
}

typedef struct gen {
    int kind;          /* 0 tone(s), 1 speech-like buzz, 2 noise, 3 silence */
    float f1, f2, amp; /* Hz, Hz (0: single tone), linear */
    double phase1, phase2, t;
    uint32_t rng;
} gen;

static float gen_next(gen *g)
{
    double dt = 1.0 / H.rate;
    float s = 0.f;
    switch (g->kind) {
    case 0:
        s = (float)sin(g->phase1) + (g->f2 > 0 ? (float)sin(g->phase2) : 0.f);
        s *= g->f2 > 0 ? 0.5f : 1.f;
        break;
    case 1: {
        /* voiced buzz: harmonics of f1 under a ~4 Hz syllable envelope */
        float env = (float)(0.5 - 0.5 * cos(2 * M_PI * 4.0 * g->t));
        for (int k = 1; k <= 6; k++)
            s += (float)sin(k * g->phase1) / (float)k;
        s *= 0.5f * env;
        break;
    }
    case 2:
        g->rng = g->rng * 1664525u + 1013904223u;
        s = (float)((int32_t)g->rng) / 2147483648.f;
        break;
    default:
        break;
    }
    g->phase1 += 2 * M_PI * g->f1 * dt;
    g->phase2 += 2 * M_PI * g->f2 * dt;
    if (g->phase1 > 2 * M_PI * 64) g->phase1 = fmod(g->phase1, 2 * M_PI);
    if (g->phase2 > 2 * M_PI * 64) g->phase2 = fmod(g->phase2, 2 * M_PI);
    g->t += dt;
    return s * g->amp;
}

/* Remaining audio this input may feed, in samples at the input rate. */
static int64_t budget(void)
{
    int64_t cap = (int64_t)MAX_AUDIO_MS * H.rate / 1000;
    return cap > H.total_fed ? cap - H.total_fed : 0;
}

/* A gap of lost packets (amd_detector_process_lost), sometimes out of the documented bound. */
static void op_lost(fz_in *in)
{
    int64_t before = amd_detector_time_ms(H.det);
    uint8_t how = fz_u8(in);
    size_t n = how == 0xff ? (size_t)H.rate * 3600 + 1 : (size_t)fz_range(in, 0, 3 * H.rate);
    if (how != 0xff && (int64_t)n > budget())
        n = (size_t)budget();
    int rc = amd_detector_process_lost(H.det, n);
    if (how == 0xff || H.finished) {
        CHECK(how == 0xff ? rc == AMD_EINVAL : rc == AMD_ESTATE);
        CHECK(amd_detector_time_ms(H.det) == before);
        return;
    }
    CHECK(rc == 0 || rc == 1);
    H.fed += (int64_t)n;
    H.total_fed += (int64_t)n;
    CHECK(amd_detector_time_ms(H.det) == H.fed * 1000 / H.rate);
    check_result();
    CHECK(rc == H.decided);
}

/* Select events: any mask of the known bits is taken, unknown bits are refused. */
static void op_mask(fz_in *in)
{
    unsigned m = fz_u32(in);
    unsigned known = AMD_EVENT_MASK_DEFAULT | AMD_EVENT_MASK_SIGNALS;
    if (fz_u8(in) & 1)
        m &= known;
    CHECK(amd_detector_set_event_mask(H.det, m) == ((m & ~known) ? AMD_EINVAL : 0));
}

static void op_generate(fz_in *in, int kind)
{
    gen g = {0};
    g.kind = kind;
    g.f1 = kind == 1 ? (float)fz_range(in, 80, 400) : (float)fz_range(in, 0, 4200);
    g.f2 = (fz_u8(in) & 1) ? (float)fz_range(in, 0, 4200) : 0.f;
    /* level from -90 dBFS to +6 dBFS (clipping) */
    g.amp = powf(10.f, (float)fz_range(in, -90, 6) / 20.f);
    g.rng = fz_u32(in);
    int64_t samples = (int64_t)fz_range(in, 1, 8000) * H.rate / 1000; /* up to 8 s */
    size_t chunk = (size_t)fz_range(in, 1, 4096);
    if (fz_u8(in) == 0xff)
        chunk = MAX_CHUNK;
    if (samples > budget())
        samples = budget();
    while (samples > 0) {
        size_t n = (size_t)(samples < (int64_t)chunk ? samples : (int64_t)chunk);
        for (size_t i = 0; i < n; i++)
            put(i, gen_next(&g));
        feed(n);
        samples -= (int64_t)n;
    }
}

/* Raw samples straight from the input, in the detector's format. */
static void op_raw(fz_in *in)
{
    size_t want = fz_u16(in);
    size_t width = H.fmt == FMT_S16 ? 2 : H.fmt == FMT_FLOAT ? 4 : 1;
    const uint8_t *src;
    size_t got = fz_bytes(in, &src, want * width) / width;
    if ((int64_t)got > budget())
        got = (size_t)budget();
    memcpy(H.buf.u8, src, got * width);
    feed(got);
}

/* Float chunk with a NaN / Inf planted: must be refused whole (detector.h). Other formats:
 * NULL data with n > 0 is AMD_EINVAL, NULL with n == 0 is fine. */
static void op_poison(fz_in *in)
{
    if (H.fmt == FMT_FLOAT) {
        size_t n = (size_t)fz_range(in, 1, 2048);
        for (size_t i = 0; i < n; i++)
            H.buf.f32[i] = 0.01f * (float)((int)(i % 7) - 3);
        static const float bad[] = {NAN, INFINITY, -INFINITY};
        H.buf.f32[fz_range(in, 0, (int)n - 1)] = bad[fz_u8(in) % 3];
        feed(n);
        return;
    }
    int64_t before = amd_detector_time_ms(H.det);
    int rc = H.fmt == FMT_S16 ? amd_detector_process_s16(H.det, NULL, 5)
           : H.fmt == FMT_ULAW ? amd_detector_process_ulaw(H.det, NULL, 5)
                               : amd_detector_process_alaw(H.det, NULL, 5);
    CHECK(rc == AMD_EINVAL);
    rc = H.fmt == FMT_S16 ? amd_detector_process_s16(H.det, NULL, 0)
       : H.fmt == FMT_ULAW ? amd_detector_process_ulaw(H.det, NULL, 0)
                           : amd_detector_process_alaw(H.det, NULL, 0);
    CHECK(H.finished ? rc == AMD_ESTATE : (rc == 0 || rc == 1));
    CHECK(amd_detector_time_ms(H.det) == before);
}

/* A small but complete model (one hidden layer, smooth weights) so the model engine and the
 * feature code run whatever the build embeds; made once through the public loader. */
static amd_model *harness_model(void)
{
    static amd_model *m;
    static amd_model spec;
    static uint8_t file[sizeof(amd_model) * 2];
    if (m)
        return m;
    spec.n_features = AMDI_FEAT_COUNT;
    spec.n_hidden = 4;
    snprintf(spec.description, sizeof spec.description, "fuzz_detector harness model");
    static const float params[AMDI_MODEL_NPARAMS] = {0.8f, 0.2f, 800.f, 1500.f, 0.7f, 1000.f, 0.f, 0.f};
    memcpy(spec.params, params, sizeof params);
    for (int i = 0; i < AMDI_FEAT_COUNT; i++) {
        spec.mean[i] = 0.5f;
        spec.scale[i] = 1.f;
        for (int j = 0; j < spec.n_hidden; j++)
            spec.w1[j][i] = 0.3f * sinf((float)(i * 7 + j));
    }
    for (int j = 0; j < spec.n_hidden; j++) {
        spec.b1[j] = 0.1f * (float)j;
        spec.w2[j] = j % 2 ? -1.f : 1.5f;
    }
    spec.b2 = -0.2f;
    long n = amdi_model_serialise(&spec, file, sizeof file);
    CHECK(n > 0 && (size_t)n <= sizeof file);
    char err[200];
    CHECK(amd_model_load_memory(file, (size_t)n, &m, err, sizeof err) == 0);
    return m;
}

/* A configuration field the input may set, with its documented range (detector.h). */
typedef struct field {
    int *p;
    int lo, hi;
} field;

static void configure(fz_in *in, amd_config *cfg)
{
    static const int rates[] = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};
    uint8_t r = fz_u8(in);
    if (r < 200)
        cfg->sample_rate = rates[r % 9];
    else if (r < 250)
        cfg->sample_rate = fz_range(in, 8000, 48000);
    else
        cfg->sample_rate = (int)fz_u32(in); /* anything: validation must say no or cope */

    uint8_t f = fz_u8(in);
    cfg->mode = (f & 1) ? AMD_MODE_DETECT_MESSAGE_END : AMD_MODE_ENABLE;
    cfg->engine = (amd_engine)((f >> 1) & 3);
    cfg->detect_fax = (f >> 3) & 1;
    cfg->detect_sit = (f >> 4) & 1;
    if (f & 0x20) { /* the shortest timeouts reach their decisions within the audio bound */
        cfg->timeout_ms = 3000;
        cfg->silence_timeout_ms = 2000;
    }
    if (f & 0x40)
        cfg->log_level = AMD_LOG_DEBUG;
    if ((f & 0x80) || !amd_model_default())
        cfg->model = harness_model();

    field fields[] = {
        {&cfg->timeout_ms, 3000, 59000},         {&cfg->speech_threshold_ms, 1000, 6000},
        {&cfg->speech_end_threshold_ms, 500, 5000}, {&cfg->silence_timeout_ms, 2000, 10000},
        {&cfg->min_word_length_ms, 10, 5000},    {&cfg->max_word_length_ms, 100, 20000},
        {&cfg->words_silence_ms, 10, 5000},      {&cfg->max_num_of_words, 1, 100},
        {&cfg->silence_threshold, 0, 32767},     {&cfg->beep_min_ms, 40, 1000},
        {&cfg->beep_min_hz, 200, 3000},          {&cfg->beep_max_hz, 200, 3500},
        {&cfg->beep_grace_ms, 0, 5000},
    };
    const int nfields = (int)(sizeof fields / sizeof fields[0]);
    int edits = fz_u8(in) & 7;
    for (int e = 0; e < edits; e++) {
        uint8_t sel = fz_u8(in);
        uint8_t how = fz_u8(in) & 7;
        int v;
        if (sel >= nfields * 16) { /* the enums and the version, anything */
            v = (int)fz_u32(in);
            switch (sel % 4) {
            case 0: cfg->mode = (amd_mode)v; break;
            case 1: cfg->engine = (amd_engine)v; break;
            case 2: cfg->log_level = (amd_log_level)v; break;
            default: cfg->version = (unsigned)v; break;
            }
            continue;
        }
        field *fl = &fields[sel % nfields];
        switch (how) {
        case 0: v = fl->lo; break;
        case 1: v = fl->hi; break;
        case 2: v = fl->lo - 1; break;
        case 3: v = fl->hi + 1; break;
        case 4: v = (int)fz_u32(in); break;
        default: v = fz_range(in, fl->lo, fl->hi); break;
        }
        *fl->p = v;
    }
}

/* The op program: process / generate / poison / finish / reset / callbacks, until the input or
 * the audio budget runs out. */
static void run_program(fz_in *in, amd_detector *det)
{
    int ops = 0;
    while (fz_left(in) > 0 && ops++ < 256 && budget() > 0) {
        uint8_t op = fz_u8(in);
        switch (op % 14) {
        case 0: case 1: case 2: op_raw(in); break;
        case 3: op_generate(in, 0); break;
        case 4: op_generate(in, 1); break;
        case 5: op_generate(in, 2); break;
        case 6: op_generate(in, 3); break;
        case 7: op_poison(in); break;
        case 8: {
            int rc = amd_detector_finish(det);
            CHECK(rc == 1); /* a decision is always available after finish, also when repeated */
            H.finished = 1;
            check_result();
            CHECK(H.decided);
            break;
        }
        case 9:
            CHECK(amd_detector_reset(det) == 0);
            H.finished = H.decided = H.decision_events = 0;
            H.last_time_ms = 0;
            H.fed = 0;
            CHECK(amd_detector_time_ms(det) == 0);
            check_result();
            break;
        case 10:
            CHECK(amd_detector_set_event_callback(det, (op & 0x10) ? on_event : NULL, NULL) == 0);
            CHECK(amd_detector_set_frame_callback(det, (op & 0x20) ? on_frame : NULL, NULL) == 0);
            break;
        case 12: op_lost(in); break;
        case 13: op_mask(in); break;
        default:
            check_result();
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size, 0};
    amd_config cfg;
    amd_config_init(&cfg);
    configure(&in, &cfg);
    uint8_t fb = fz_u8(&in);
    H.fmt = fb & 3;
    const int replay = (fb >> 2) & 1; /* run the program twice, with a reset between */
    cfg.log_fn = on_log;

    char verr[256] = "", cerr[256] = "";
    int vrc = amd_config_validate(&cfg, verr, sizeof verr);
    amd_detector *det = (amd_detector *)&H; /* must be overwritten with NULL on failure */
    int crc = amd_detector_create(&cfg, &det, cerr, sizeof cerr);
    CHECK(memchr(verr, '\0', sizeof verr) && memchr(cerr, '\0', sizeof cerr));
    if (vrc != 0) {
        CHECK(vrc == AMD_EINVAL || vrc == AMD_EVERSION);
        CHECK(crc == vrc && det == NULL);
        CHECK(verr[0] != '\0' && strcmp(verr, cerr) == 0);
        return 0;
    }
    if (crc != 0) {
        /* a valid config may only fail for want of memory or of a model for the model engine */
        CHECK(det == NULL && cerr[0] != '\0');
        CHECK(crc == AMD_ENOMEM || (crc == AMD_EINVAL && cfg.engine == AMD_ENGINE_MODEL));
        return 0;
    }
    CHECK(det != NULL);
    CHECK(amd_detector_memory(det) > 0);

    H.det = det;
    H.rate = cfg.sample_rate;
    H.mode = cfg.mode;
    H.finished = H.decided = H.decision_events = 0;
    H.last_time_ms = 0;
    H.fed = H.total_fed = 0;
    H.trace = 0xcbf29ce484222325ull;
    check_result();

    size_t prog = in.off;
    run_program(&in, det);
    if (replay) {
        /* Determinism and reset (detector.h: "back to the state right after create"): the same
         * program after amd_detector_reset must observe exactly what it did on the fresh detector. */
        uint64_t first = H.trace;
        CHECK(amd_detector_set_event_callback(det, NULL, NULL) == 0);
        CHECK(amd_detector_set_frame_callback(det, NULL, NULL) == 0);
        CHECK(amd_detector_set_event_mask(det, AMD_EVENT_MASK_DEFAULT) == 0); /* as after create */
        CHECK(amd_detector_reset(det) == 0);
        H.finished = H.decided = H.decision_events = 0;
        H.last_time_ms = 0;
        H.fed = H.total_fed = 0;
        H.trace = 0xcbf29ce484222325ull;
        check_result();
        in.off = prog;
        run_program(&in, det);
        if (H.trace != first) {
            fprintf(stderr, "fuzz_detector: the same audio after reset gave different results\n");
            abort();
        }
    }
    amd_detector_destroy(det);
    H.det = NULL;
    return 0;
}
