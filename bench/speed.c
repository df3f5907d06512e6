/* SPDX-License-Identifier: MIT */
/*
 * speed — libamd throughput and memory benchmark. Not a test:
 * it prints figures and the command that produced them; nothing is asserted.
 *
 * What it measures, all in one run so ratios between lines are fair:
 *   - the full pipeline (public API, 20 ms chunks as a call server feeds
 *     them) in x real time per core and ns per 10 ms of 8 kHz audio, for
 *     each engine that can be created, and at 16 / 44.1 kHz and µ-law input;
 *   - the cost with 1, 100 and 10,000 detectors alive at once, fed
 *     interleaved (every detector gets its next 20 ms before any gets the
 *     one after), plus create time and memory per detector
 *     (amd_detector_memory and the process RSS delta);
 *   - the floor: a plain per-frame mean-|x| energy loop with word counting,
 *     the cost of the classic Asterisk AMD() detector, timed the same way;
 *   - per-stage costs of the signal path (input, FFT analysis, tone
 *     detectors, VAD) by calling the core's internal modules on the same
 *     audio; "rest" = full pipeline minus those (engine + bookkeeping).
 *
 * Audio: by default a synthetic, never-ending "greeting": formant-filtered
 * glottal pulse trains in syllables, words and phrases (pauses shorter than
 * the 1.2 s speech-end threshold) over pink-ish line noise, so a detector in
 * DetectMessageEnd mode with the 59 s timeout keeps running every stage. Or
 * --raw FILE: headerless s16 little-endian mono 8 kHz (e.g. made with
 * `sox call.wav -t raw -e signed -b 16 -r 8000 -c 1 call.raw`).
 *
 * Time is CPU time of this thread (CLOCK_THREAD_CPUTIME_ID): the figure is
 * per core and robust against other load on the machine; best of --repeat.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "amd/amd.h"
#include "analysis.h"
#include "input.h"
#include "tones.h"
#include "vad.h"

#define CHUNK_MS 20
#define PI_D 3.14159265358979323846

/* ------------------------------------------------------------------ utils */

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (!f) return 0;
    if (fscanf(f, "%lu %lu", &size, &res) != 2) res = 0;
    fclose(f);
    return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void) /* xorshift64*: deterministic, [0,1) */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
}
static double uni(double a, double b) { return a + (b - a) * urand(); }

/* ------------------------------------------------------- synthetic speech */

typedef struct reson { double a1, a2, y1, y2, g; } reson;
static void reson_set(reson *r, double f, double bw, int fs)
{
    double rr = exp(-PI_D * bw / fs);
    r->a1 = 2 * rr * cos(2 * PI_D * f / fs);
    r->a2 = -rr * rr;
    r->g = 1 - rr; /* rough gain normalisation */
}
static double reson_run(reson *r, double x)
{
    double y = r->g * x + r->a1 * r->y1 + r->a2 * r->y2;
    r->y2 = r->y1;
    r->y1 = y;
    return y;
}

/* Fill x[n] at rate fs with speech-like audio over line noise, peak ~ -6 dBFS. */
static void synth_speech(float *x, size_t n, int fs)
{
    reson f1 = {0}, f2 = {0}, f3 = {0};
    double phase = 0, noise_lp = 0, peak = 1e-9;
    size_t i = 0;
    int prev_silent = 1;
    while (i < n) {
        /* never two silences in a row: pauses stay under the 1.2 s speech-end threshold */
        double r = prev_silent ? 0.7 * urand() : urand();
        size_t len;
        int kind; /* 0 silence, 1 voiced, 2 unvoiced */
        if (r < 0.55) { kind = 1; len = (size_t)(uni(0.08, 0.25) * fs); }
        else if (r < 0.70) { kind = 2; len = (size_t)(uni(0.03, 0.08) * fs); }
        else if (r < 0.88) { kind = 0; len = (size_t)(uni(0.02, 0.2) * fs); }
        else { kind = 0; len = (size_t)(uni(0.3, 0.9) * fs); } /* phrase pause < speech-end threshold */
        prev_silent = kind == 0;
        double f0 = uni(90, 240), glide = uni(-0.2, 0.2);
        reson_set(&f1, uni(300, 800), uni(60, 120), fs);
        reson_set(&f2, uni(900, 2200), uni(80, 150), fs);
        reson_set(&f3, uni(2300, 3200), uni(100, 200), fs);
        double amp = uni(0.3, 1.0);
        for (size_t k = 0; k < len && i < n; k++, i++) {
            double env = sin(PI_D * (double)k / (double)len);
            double s = 0;
            if (kind == 1) {
                double f = f0 * (1 + glide * (double)k / (double)len);
                phase += f / fs;
                double pulse = 0;
                if (phase >= 1) { phase -= 1; pulse = 1; }
                double e = reson_run(&f1, pulse) + 0.6 * reson_run(&f2, pulse) + 0.3 * reson_run(&f3, pulse);
                s = amp * env * e * 8;
            } else if (kind == 2) {
                s = amp * env * 0.15 * reson_run(&f3, uni(-1, 1)) * 8;
            }
            noise_lp = 0.95 * noise_lp + 0.05 * uni(-1, 1);
            s += 0.004 * noise_lp; /* line noise ~ -55 dBFS */
            x[i] = (float)s;
            if (fabs(s) > peak) peak = fabs(s);
        }
    }
    for (i = 0; i < n; i++) x[i] = (float)(x[i] * 0.5 / peak);
}

static void to_s16(const float *x, int16_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double v = x[i] * 32767.0;
        y[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lrint(v));
    }
}

/* ------------------------------------------------ the classic floor detector */

/* Asterisk AMD()-style: mean |x| per 10 ms against a fixed threshold, word
 * counting on voice/silence transitions. State per call, like a detector. */
typedef struct classic {
    int64_t acc;
    int fill, threshold, in_word, silence_ms, voice_ms, words, decided;
    int64_t t_ms;
} classic;

static int classic_process(classic *c, const int16_t *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        c->acc += x[i] < 0 ? -x[i] : x[i];
        if (++c->fill == 80) {
            int avg = (int)(c->acc / 80);
            c->acc = 0;
            c->fill = 0;
            c->t_ms += 10;
            if (avg < c->threshold) {
                c->silence_ms += 10;
                if (c->in_word && c->silence_ms >= 50) c->in_word = 0;
                c->voice_ms = 0;
            } else {
                c->voice_ms += 10;
                if (!c->in_word && c->voice_ms >= 100) { c->in_word = 1; c->words++; c->silence_ms = 0; }
            }
            if (c->words > 5 || c->t_ms >= 59000) c->decided = 1;
        }
    }
    return c->decided;
}

/* ------------------------------------------------------------ measurements */


static amd_config bench_config(amd_engine engine, int rate)
{
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.sample_rate = rate;
    cfg.engine = engine;
    cfg.mode = AMD_MODE_DETECT_MESSAGE_END; /* keeps every stage running until the timeout */
    cfg.timeout_ms = 59000;
    return cfg;
}

typedef enum feed { FEED_S16, FEED_ULAW } feed;

/* Decisions by answered_by in the last runs (what the benchmark audio was taken for). */
static long decided_as[AMD_ANSWERED_UNKNOWN + 1];

static void decisions_note(char *buf, size_t len, long total)
{
    size_t used = (size_t)snprintf(buf, len, "%ld decisions over all repeats (reset after each)", total);
    for (int a = 1; a <= AMD_ANSWERED_UNKNOWN && used < len; a++)
        if (decided_as[a])
            used += (size_t)snprintf(buf + used, len - used, "%s %s %ld", used && buf[used - 1] == ')' ? ":" : ",",
                                     amd_answered_by_name((amd_answered_by)a), decided_as[a]);
    memset(decided_as, 0, sizeof decided_as);
}

/* N detectors alive, interleaved 20 ms chunks, secs of audio each. Returns CPU s. */
static double run_pipeline(amd_detector **det, int ndet, const void *buf, size_t nsamp, size_t chunk,
                           double secs, feed fmt, int rate, long *decisions)
{
    size_t ticks = (size_t)(secs * 1000 / CHUNK_MS);
    size_t *pos = malloc(sizeof(size_t) * (size_t)ndet);
    if (!pos) return -1;
    for (int d = 0; d < ndet; d++) pos[d] = ((size_t)d * 7919u * chunk) % nsamp; /* distinct phases */
    (void)rate;
    double t0 = cpu_now();
    for (size_t t = 0; t < ticks; t++) {
        for (int d = 0; d < ndet; d++) {
            int r;
            if (fmt == FEED_ULAW)
                r = amd_detector_process_ulaw(det[d], (const uint8_t *)buf + pos[d], chunk);
            else
                r = amd_detector_process_s16(det[d], (const int16_t *)buf + pos[d], chunk);
            if (r == 1) {
                amd_result res;
                (*decisions)++;
                if (amd_detector_result(det[d], &res) == 1 && res.answered_by <= AMD_ANSWERED_UNKNOWN)
                    decided_as[res.answered_by]++;
                amd_detector_reset(det[d]);
            }
            pos[d] += chunk;
            if (pos[d] + chunk > nsamp) pos[d] = 0;
        }
    }
    double dt = cpu_now() - t0;
    free(pos);
    return dt;
}

static double run_classic(classic *c, int n, const int16_t *buf, size_t nsamp, double secs, long *dec)
{
    size_t chunk = 8000 * CHUNK_MS / 1000, ticks = (size_t)(secs * 1000 / CHUNK_MS);
    size_t *pos = malloc(sizeof(size_t) * (size_t)n);
    if (!pos) return -1;
    for (int d = 0; d < n; d++) pos[d] = ((size_t)d * 7919u * chunk) % nsamp;
    double t0 = cpu_now();
    for (size_t t = 0; t < ticks; t++)
        for (int d = 0; d < n; d++) {
            if (classic_process(&c[d], buf + pos[d], chunk)) {
                (*dec)++;
                int th = c[d].threshold;
                memset(&c[d], 0, sizeof c[d]);
                c[d].threshold = th;
            }
            pos[d] += chunk;
            if (pos[d] + chunk > nsamp) pos[d] = 0;
        }
    double dt = cpu_now() - t0;
    free(pos);
    return dt;
}

static void print_row(const char *what, double audio_s, double cpu_s, const char *extra)
{
    double ns10 = cpu_s * 1e9 / (audio_s * 100.0);
    printf("| %-44s | %10.0f | %9.0f | %8.1f | %s |\n", what, audio_s / cpu_s, ns10, audio_s, extra ? extra : "");
}

/* Per-stage context: the core's internal modules driven directly. */
typedef struct stage_ctx {
    amdi_analysis an;
    void *an_buf;
    amdi_tones *tones;
    void *tones_mem;
    amdi_vad vad;
    int do_analysis, do_tones, do_vad;
    long hops;
    double sink;
} stage_ctx;

static int stage_hop(void *user, const float *hop)
{
    stage_ctx *s = user;
    s->hops++;
    if (!s->do_analysis) { s->sink += hop[0]; return 0; }
    const amdi_frame *f = amdi_analysis_hop(&s->an, hop);
    int tone_active = 0;
    if (s->do_tones) {
        amdi_tone_event ev[AMDI_TONES_MAX_EVENTS];
        amdi_tones_frame(s->tones, f, ev);
        tone_active = amdi_tones_active(s->tones, NULL, NULL);
    }
    if (s->do_vad) {
        amdi_vad_out o;
        amdi_vad_frame(&s->vad, &s->an, f, tone_active, &o);
        s->sink += o.prob;
    }
    s->sink += f->energy;
    return 0;
}

/* CPU seconds to push secs of 8 kHz audio through the first stages. */
static double run_stages(stage_ctx *s, const int16_t *buf, size_t nsamp, double secs)
{
    amdi_input in;
    if (amdi_input_init(&in, 8000) != 0) return -1;
    size_t chunk = 160, ticks = (size_t)(secs * 1000 / CHUNK_MS), pos = 0;
    double t0 = cpu_now();
    for (size_t t = 0; t < ticks; t++) {
        amdi_input_push(&in, AMDI_FMT_S16, buf + pos, chunk, stage_hop, s);
        pos += chunk;
        if (pos + chunk > nsamp) pos = 0;
    }
    double dt = cpu_now() - t0;
    amdi_input_free(&in);
    return dt;
}

/* ------------------------------------------------------------------- main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: speed [--seconds S] [--calls N,N,...] [--multi-seconds S,S,...] [--repeat R]\n"
            "             [--raw FILE] [--quick]\n"
            "  --seconds S        audio per single-detector measurement (default 120)\n"
            "  --calls LIST       detectors alive at once (default 1,100,10000)\n"
            "  --multi-seconds L  audio per detector for each --calls entry (default 120,12,2)\n"
            "  --repeat R         best of R for every line (default 5)\n"
            "  --raw FILE         headerless s16le mono 8 kHz audio instead of the synthetic greeting\n"
            "  --quick            short run (seconds 30, multi-seconds 20,4,0.4, repeat 1)\n");
}

/* Command-line settings. */
typedef struct opts {
    double secs, repeat_d;
    int calls[8], ncalls;
    double msecs[8];
    const char *raw;
} opts;

/* Parse the flags into o: -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, opts *o)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) o->secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) o->repeat_d = atof(argv[++i]);
        else if (!strcmp(argv[i], "--raw") && i + 1 < argc) o->raw = argv[++i];
        else if (!strcmp(argv[i], "--calls") && i + 1 < argc) {
            char *p = argv[++i];
            o->ncalls = 0;
            while (*p && o->ncalls < 8) { o->calls[o->ncalls++] = (int)strtol(p, &p, 10); if (*p == ',') p++; }
        } else if (!strcmp(argv[i], "--multi-seconds") && i + 1 < argc) {
            char *p = argv[++i];
            int k = 0;
            while (*p && k < 8) { o->msecs[k++] = strtod(p, &p); if (*p == ',') p++; }
        } else if (!strcmp(argv[i], "--quick")) {
            o->secs = 30; o->repeat_d = 1; o->msecs[0] = 20; o->msecs[1] = 4; o->msecs[2] = 0.4;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        else { usage(stderr); return 2; }
    }
    for (int k = 0; k < o->ncalls; k++) if (o->calls[k] < 1 || o->msecs[k] <= 0) { usage(stderr); return 2; }
    return -1;
}

/* CPU and build, so a figure can be read in context. */
static void print_context(void)
{
    char cpu[256] = "unknown";
    FILE *ci = fopen("/proc/cpuinfo", "r");
    if (ci) {
        char line[512];
        while (fgets(line, sizeof line, ci))
            if (!strncmp(line, "model name", 10)) {
                char *c = strchr(line, ':');
                if (c) { snprintf(cpu, sizeof cpu, "%s", c + 2); cpu[strcspn(cpu, "\n")] = 0; }
                break;
            }
        fclose(ci);
    }
#ifdef __OPTIMIZE__
    const char *opt = "optimised";
#else
    const char *opt = "NOT optimised (figures meaningless: build with -DCMAKE_BUILD_TYPE=Release)";
#endif
    printf("libamd %s; cpu: %s; %ld online cores; build: %s\n", amd_version_string(), cpu,
           sysconf(_SC_NPROCESSORS_ONLN), opt);
}

/* Audio: 60 s (or the raw file), 8 kHz s16; NULL on failure. */
static int16_t *load_audio(const char *raw, size_t *n8_out)
{
    size_t n8 = 60 * 8000;
    int16_t *s16 = NULL;
    if (raw) {
        FILE *f = fopen(raw, "rb");
        if (!f) { fprintf(stderr, "speed: cannot open %s\n", raw); return NULL; }
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fseek(f, 0, SEEK_SET);
        n8 = (size_t)(sz / 2) / 160 * 160;
        if (n8 < 8000) { fprintf(stderr, "speed: %s shorter than 1 s\n", raw); fclose(f); return NULL; }
        s16 = malloc(n8 * 2);
        if (!s16 || fread(s16, 2, n8, f) != n8) { fprintf(stderr, "speed: cannot read %s\n", raw); fclose(f); return NULL; }
        fclose(f);
        printf("audio: %s (%.1f s, s16le 8 kHz)\n", raw, n8 / 8000.0);
    } else {
        float *tmp = malloc(n8 * sizeof(float));
        s16 = malloc(n8 * 2);
        if (!tmp || !s16) return NULL;
        synth_speech(tmp, n8, 8000);
        to_s16(tmp, s16, n8);
        free(tmp);
        printf("audio: synthetic never-ending greeting (speech-like syllables, pauses < 1.2 s, "
               "line noise -55 dBFS), 60 s looped; DetectMessageEnd, timeout 59 s, 20 ms chunks\n");
    }
    *n8_out = n8;
    return s16;
}

/* 1. Full pipeline, one detector, each engine that can be created; the default's ns per 10 ms. */
static double bench_engines(const int16_t *s16, size_t n8, double secs, int repeat)
{
    double full_cpu10 = 0;
    amd_engine engines[] = {AMD_ENGINE_DEFAULT, AMD_ENGINE_TIMING, AMD_ENGINE_WORDS, AMD_ENGINE_MODEL};
    for (size_t e = 0; e < sizeof engines / sizeof engines[0]; e++) {
        amd_config cfg = bench_config(engines[e], 8000);
        amd_detector *det = NULL;
        char err[200];
        char what[96];
        snprintf(what, sizeof what, "full pipeline, engine %s, s16 8 kHz", amd_engine_name(engines[e]));
        if (amd_detector_create(&cfg, &det, err, sizeof err) != 0) {
            printf("| %-44s | %10s | %9s | %8s | not available: %s |\n", what, "-", "-", "-", err);
            continue;
        }
        long dec = 0;
        memset(decided_as, 0, sizeof decided_as);
        double best = 1e30;
        for (int r = 0; r < repeat; r++) {
            amd_detector_reset(det);
            double t = run_pipeline(&det, 1, s16, n8, 160, secs, FEED_S16, 8000, &dec);
            if (t < best) best = t;
        }
        char note[256];
        decisions_note(note, sizeof note, dec);
        print_row(what, secs, best, note);
        if (engines[e] == AMD_ENGINE_DEFAULT) full_cpu10 = best * 1e9 / (secs * 100.0);
        amd_detector_destroy(det);
    }
    return full_cpu10;
}

/* 2. Other input formats and rates (default engine); 0, or 1 on failure. */
static int bench_formats(const uint8_t *ulaw, size_t n8, double secs, int repeat)
{
    int rates[] = {16000, 44100};
    for (int k = 0; k < 3; k++) {
        int rate = k < 2 ? rates[k] : 8000;
        feed fmt = k < 2 ? FEED_S16 : FEED_ULAW;
        size_t n = k < 2 ? (size_t)60 * (size_t)rate : n8;
        size_t chunk = (size_t)rate * CHUNK_MS / 1000;
        int16_t *buf = NULL;
        const void *src = ulaw;
        if (k < 2) {
            float *tmp = malloc(n * sizeof(float));
            buf = malloc(n * 2);
            if (!tmp || !buf) return 1;
            rng_state = 0x1234567ull + (uint64_t)k;
            synth_speech(tmp, n, rate);
            to_s16(tmp, buf, n);
            free(tmp);
            src = buf;
        }
        amd_config cfg = bench_config(AMD_ENGINE_DEFAULT, rate);
        amd_detector *det = NULL;
        char err[200];
        if (amd_detector_create(&cfg, &det, err, sizeof err) != 0) { printf("create failed: %s\n", err); return 1; }
        long dec = 0;
        double best = 1e30, s = secs / 2;
        for (int r = 0; r < repeat; r++) {
            amd_detector_reset(det);
            double t = run_pipeline(&det, 1, src, n, chunk, s, fmt, rate, &dec);
            if (t < best) best = t;
        }
        char what[96];
        if (k < 2) snprintf(what, sizeof what, "full pipeline, default, s16 %.1f kHz input", rate / 1000.0);
        else snprintf(what, sizeof what, "full pipeline, default, µ-law 8 kHz");
        print_row(what, s, best, k < 2 ? "synthetic greeting at this rate, resampled to 8 kHz (SpeexDSP)" : "");
        amd_detector_destroy(det);
        free(buf);
    }
    return 0;
}

/* 3. Per stage (core internals on the same audio; differences of cumulative runs); 0, or 1 on failure. */
static int bench_stages(const int16_t *s16, size_t n8, double secs, int repeat)
{
    stage_ctx s;
    memset(&s, 0, sizeof s);
    amd_config cfg = bench_config(AMD_ENGINE_DEFAULT, 8000);
    s.an_buf = aligned_alloc(64, (amdi_analysis_buf_size() + 63) / 64 * 64);
    s.tones_mem = aligned_alloc(16, (amdi_tones_size() + 15) / 16 * 16);
    if (!s.an_buf || !s.tones_mem || amdi_analysis_init(&s.an, s.an_buf) != 0) return 1;
    s.tones = amdi_tones_init(s.tones_mem, &cfg);
    amdi_vad_init(&s.vad);
    /* The four cumulative configurations and the full pipeline are timed in
     * interleaved rounds (best of R each), so a burst of load on a shared
     * machine hits all of them alike rather than one stage. */
    double t_in = 1e30, t_an = 1e30, t_to = 1e30, t_vad = 1e30, t_full = 1e30;
    amd_detector *fdet = NULL;
    char ferr[200];
    if (amd_detector_create(&cfg, &fdet, ferr, sizeof ferr) != 0) { printf("create failed: %s\n", ferr); return 1; }
    for (int r = 0; r < repeat; r++) {
        double t;
        s.do_analysis = 0; s.do_tones = 0; s.do_vad = 0;
        if ((t = run_stages(&s, s16, n8, secs)) < t_in) t_in = t;
        s.do_analysis = 1;
        if ((t = run_stages(&s, s16, n8, secs)) < t_an) t_an = t;
        s.do_tones = 1;
        if ((t = run_stages(&s, s16, n8, secs)) < t_to) t_to = t;
        s.do_vad = 1;
        if ((t = run_stages(&s, s16, n8, secs)) < t_vad) t_vad = t;
        long dec = 0;
        amd_detector_reset(fdet);
        if ((t = run_pipeline(&fdet, 1, s16, n8, 160, secs, FEED_S16, 8000, &dec)) < t_full) t_full = t;
    }
    amd_detector_destroy(fdet);
    double full_cpu10 = t_full * 1e9 / (secs * 100.0);
    double k = 1e9 / (secs * 100.0);
    printf("\nPer stage (ns per 10 ms hop, 8 kHz s16; cumulative runs interleaved with the full pipeline, best of %d, differenced):\n\n", repeat);
    (void)s.sink;
    printf("| stage | ns per 10 ms | share of full pipeline |\n|---|---:|---:|\n");
    double st[5] = {t_in * k, (t_an - t_in) * k, (t_to - t_an) * k, (t_vad - t_to) * k, 0};
    const char *nm[5] = {"input (convert, DC block, hop)", "analysis (Hann + 256-pt FFTW r2c)",
                         "tone detectors (beep, fax, SIT)", "VAD (noise floor, band SNR, harmonicity)",
                         "rest: engine, utterance bookkeeping, message end"};
    st[4] = full_cpu10 - t_vad * k;
    for (int i = 0; i < 5; i++) {
        if (st[i] < 15) /* differences of separately timed runs: a few ns is noise */
            printf("| %s | < 15 (within noise) | ~0 %% |\n", nm[i]);
        else
            printf("| %s | %.0f | %.0f %% |\n", nm[i], st[i], full_cpu10 > 0 ? 100.0 * st[i] / full_cpu10 : 0);
    }
    amdi_analysis_free(&s.an);
    free(s.an_buf);
    free(s.tones_mem);
    return 0;
}

/* 4. Many detectors alive at once, and the classic floor beside each; 0, or 1 on failure. */
static int bench_many(const opts *o, const int16_t *s16, size_t n8, int repeat)
{
    printf("\nMany detectors alive at once (interleaved 20 ms chunks, default engine, s16 8 kHz):\n\n");
    printf("| detectors | x real time per core | ns per 10 ms per call | calls per core | "
           "classic floor ns per 10 ms | pipeline / floor | create us each | amd_detector_memory B | RSS delta B per detector |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < o->ncalls; k++) {
        int n = o->calls[k];
        amd_detector **det = calloc((size_t)n, sizeof *det);
        classic *cl = calloc((size_t)n, sizeof *cl);
        if (!det || !cl) { fprintf(stderr, "speed: out of memory for %d detectors\n", n); return 1; }
        amd_config cfg = bench_config(AMD_ENGINE_DEFAULT, 8000);
        size_t rss0 = rss_bytes();
        double c0 = wall_now();
        for (int d = 0; d < n; d++) {
            char err[200];
            if (amd_detector_create(&cfg, &det[d], err, sizeof err) != 0) {
                fprintf(stderr, "speed: create %d failed: %s\n", d, err);
                return 1;
            }
        }
        double create_us = (wall_now() - c0) * 1e6 / n;
        long dec = 0;
        double audio = o->msecs[k] * n;
        double t = 1e30;
        for (int r = 0; r < repeat; r++) { /* best of R, every detector restarted */
            if (r)
                for (int d = 0; d < n; d++) amd_detector_reset(det[d]);
            double tr = run_pipeline(det, n, s16, n8, 160, o->msecs[k], FEED_S16, 8000, &dec);
            if (tr < t) t = tr;
        }
        size_t rss1 = rss_bytes();
        size_t mem = amd_detector_memory(det[0]);
        for (int d = 0; d < n; d++) cl[d].threshold = 256;
        long cdec = 0;
        double tc = 1e30;
        for (int r = 0; r < repeat; r++) {
            double tr = run_classic(cl, n, s16, n8, o->msecs[k], &cdec);
            if (tr < tc) tc = tr;
        }
        double ns = t * 1e9 / (audio * 100.0), nsc = tc * 1e9 / (audio * 100.0);
        char rss[32] = "- (page granularity)";
        if (n >= 1000) snprintf(rss, sizeof rss, "%.0f", rss1 > rss0 ? (double)(rss1 - rss0) / n : 0.0);
        printf("| %d | %.0f | %.0f | %.0f | %.1f | %.1f x | %.1f | %zu | %s |\n", n, audio / t, ns, audio / t,
               nsc, ns / nsc, create_us, mem, rss);
        for (int d = 0; d < n; d++) amd_detector_destroy(det[d]);
        free(det);
        free(cl);
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts o = {.secs = 120, .repeat_d = 5, .calls = {1, 100, 10000}, .ncalls = 3, .msecs = {120, 12, 2}, .raw = NULL};

    printf("command:");
    for (int i = 0; i < argc; i++) printf(" %s", argv[i]);
    printf("\n");

    int rc = parse_args(argc, argv, &o);
    if (rc >= 0) return rc;
    double secs = o.secs;
    int repeat = o.repeat_d < 1 ? 1 : (int)o.repeat_d;

    print_context();

    size_t n8 = 0;
    int16_t *s16 = load_audio(o.raw, &n8);
    if (!s16) return 1;
    uint8_t *ulaw = malloc(n8);
    if (!ulaw) return 1;
    for (size_t i = 0; i < n8; i++) ulaw[i] = amd_ulaw_encode(s16[i]);

    printf("\n| run | x real time per core | ns per 10 ms | audio s | notes |\n");
    printf("|---|---:|---:|---:|---|\n");

    (void)bench_engines(s16, n8, secs, repeat);
    if (bench_formats(ulaw, n8, secs, repeat)) return 1;
    if (bench_stages(s16, n8, secs, repeat)) return 1;
    if (bench_many(&o, s16, n8, repeat)) return 1;

    printf("\n(x real time per core = audio seconds processed per CPU second of one thread; "
           "'calls per core' is the same number read as live calls one core can serve.)\n");
    free(s16);
    free(ulaw);
    return 0;
}
