/* SPDX-License-Identifier: MIT */
/*
 * Training and tuning companion of the model engine (models/train.py drives it).
 *
 *   dump_features dump MANIFEST --split S --out PREFIX [--max-ms N]
 *       Runs the detector's real signal path on every file of split S (train, dev,
 *       test or all) with the model engine in observe-only mode and writes, every
 *       other 10 ms frame, the evidence and the model feature vector:
 *         PREFIX.bin        float32 little-endian rows of (DUMP_HEAD + AMDI_FEAT_COUNT)
 *         PREFIX.files.csv  file index, path, answered_by_enable, scenario
 *   dump_features eval MANIFEST --split S [--engine timing|words|model] [--model FILE]
 *                 [--params-stdin] [--per-file]
 *       Classifies the split in Enable mode and prints one JSON line of the
 *       amd bench metrics. With --params-stdin, reads lines of
 *       AMDI_MODEL_NPARAMS policy values and prints one JSON line per line
 *       (the audio is decoded once), so train.py can tune the policy on dev with
 *       the exact C engine rather than a re-implementation.
 *
 * Audio: WAV (PCM 16-bit, float 32-bit, G.711 µ-law / A-law; any rate the
 * detector accepts; channels averaged), decoded here because amd_core_obj has no
 * libsndfile.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/amd.h"
#include "engine.h"
#include "model.h"
#include "model_features.h"

#define DUMP_HEAD 8 /* file, t_ms, speech, in_speech, silence_ms, onset_ms, utt_speech_ms, n_utterances */

typedef struct audio {
    int fmt;          /* 1 pcm16, 3 float, 6 alaw, 7 ulaw */
    int rate;
    size_t n;         /* samples (mono) */
    void *data;       /* int16_t / float / uint8_t */
} audio;

typedef struct item {
    char path[1600];
    char rel[512];
    char truth[32];
    char scenario[64];
    int64_t greeting_end_ms; /* -1: not given */
    audio a;
} item;

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static unsigned le16(const uint8_t *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

static int read_wav(const char *path, audio *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (len < 44) {
        fclose(f);
        return -1;
    }
    uint8_t *b = malloc((size_t)len);
    if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        fclose(f);
        return -1;
    }
    fclose(f);
    int rc = -1;
    if (memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4))
        goto out;
    unsigned fmt = 0, ch = 0, bits = 0;
    uint32_t rate = 0;
    size_t off = 12;
    while (off + 8 <= (size_t)len) {
        uint32_t sz = le32(b + off + 4);
        const uint8_t *c = b + off + 8;
        if (sz > (size_t)len - off - 8)
            sz = (uint32_t)((size_t)len - off - 8);
        if (!memcmp(b + off, "fmt ", 4) && sz >= 16) {
            fmt = le16(c);
            ch = le16(c + 2);
            rate = le32(c + 4);
            bits = le16(c + 14);
            if (fmt == 0xFFFE && sz >= 26)
                fmt = le16(c + 24);
        } else if (!memcmp(b + off, "data", 4) && ch > 0) {
            size_t bps = bits / 8;
            if (!bps || !((fmt == 1 && bits == 16) || (fmt == 3 && bits == 32) || ((fmt == 6 || fmt == 7) && bits == 8)))
                goto out;
            size_t frames = sz / (bps * ch);
            out->fmt = (int)fmt;
            out->rate = (int)rate;
            out->n = frames;
            if (fmt == 1) {
                int16_t *d = malloc(frames * 2 + 2);
                for (size_t i = 0; i < frames; i++) {
                    long acc = 0;
                    for (unsigned k = 0; k < ch; k++)
                        acc += (int16_t)le16(c + (i * ch + k) * 2);
                    d[i] = (int16_t)(acc / (long)ch);
                }
                out->data = d;
            } else if (fmt == 3) {
                float *d = malloc(frames * 4 + 4);
                for (size_t i = 0; i < frames; i++) {
                    float acc = 0;
                    for (unsigned k = 0; k < ch; k++) {
                        uint32_t u = le32(c + (i * ch + k) * 4);
                        float v;
                        memcpy(&v, &u, 4);
                        acc += v;
                    }
                    d[i] = acc / (float)ch;
                }
                out->data = d;
            } else {
                uint8_t *d = malloc(frames + 1);
                for (size_t i = 0; i < frames; i++)
                    d[i] = c[i * ch]; /* G.711: first channel */
                out->data = d;
            }
            rc = 0;
            break;
        }
        off += 8 + sz + (sz & 1u);
    }
out:
    free(b);
    return rc;
}

/* ---- manifest ---- */

static int split_csv(char *line, char **cols, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        if (*p == '"') {
            char *w = ++p;
            cols[n++] = w;
            while (*p) {
                if (*p == '"' && p[1] == '"') { *w++ = '"'; p += 2; }
                else if (*p == '"') { p++; break; }
                else *w++ = *p++;
            }
            *w = '\0';
            while (*p && *p != ',') p++;
        } else {
            cols[n++] = p;
            while (*p && *p != ',' && *p != '\n' && *p != '\r') p++;
        }
        if (*p == ',') { *p++ = '\0'; continue; }
        *p = '\0';
        break;
    }
    return n;
}

static item *load_manifest(const char *manifest, const char *split, size_t *count)
{
    FILE *f = fopen(manifest, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", manifest);
        return NULL;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", manifest);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0'; else strcpy(dir, ".");
    char line[8192];
    char *cols[64];
    int ci_file = -1, ci_truth = -1, ci_split = -1, ci_scen = -1, ci_gend = -1;
    if (!fgets(line, sizeof line, f)) { fclose(f); return NULL; }
    int nc = split_csv(line, cols, 64);
    for (int i = 0; i < nc; i++) {
        if (!strcmp(cols[i], "file")) ci_file = i;
        else if (!strcmp(cols[i], "answered_by_enable")) ci_truth = i;
        else if (!strcmp(cols[i], "split")) ci_split = i;
        else if (!strcmp(cols[i], "scenario")) ci_scen = i;
        else if (!strcmp(cols[i], "greeting_end_ms")) ci_gend = i;
    }
    if (ci_file < 0 || ci_truth < 0) { fclose(f); return NULL; }
    size_t cap = 256, n = 0;
    item *items = calloc(cap, sizeof *items);
    while (fgets(line, sizeof line, f)) {
        nc = split_csv(line, cols, 64);
        if (nc <= ci_file || nc <= ci_truth) continue;
        if (strcmp(split, "all") && (ci_split < 0 || ci_split >= nc || strcmp(cols[ci_split], split)))
            continue;
        if (n == cap) {
            items = realloc(items, 2 * cap * sizeof *items);
            memset(items + cap, 0, cap * sizeof *items);
            cap *= 2;
        }
        item *it = &items[n];
        snprintf(it->rel, sizeof it->rel, "%s", cols[ci_file]);
        if (cols[ci_file][0] == '/')
            snprintf(it->path, sizeof it->path, "%s", cols[ci_file]);
        else
            snprintf(it->path, sizeof it->path, "%s/%s", dir, cols[ci_file]);
        snprintf(it->truth, sizeof it->truth, "%s", cols[ci_truth]);
        snprintf(it->scenario, sizeof it->scenario, "%s", ci_scen >= 0 && ci_scen < nc ? cols[ci_scen] : "");
        it->greeting_end_ms = ci_gend >= 0 && ci_gend < nc && cols[ci_gend][0] ? atoll(cols[ci_gend]) : -1;
        if (read_wav(it->path, &it->a) != 0) {
            fprintf(stderr, "skipping unreadable %s\n", it->path);
            continue;
        }
        n++;
    }
    fclose(f);
    *count = n;
    return items;
}

/* ---- running the detector ---- */

static int feed(amd_detector *d, const audio *a, int stop_when_decided)
{
    const size_t chunk = 1024;
    for (size_t i = 0; i < a->n; i += chunk) {
        size_t m = a->n - i < chunk ? a->n - i : chunk;
        int rc;
        if (a->fmt == 1) rc = amd_detector_process_s16(d, (const int16_t *)a->data + i, m);
        else if (a->fmt == 3) rc = amd_detector_process_float(d, (const float *)a->data + i, m);
        else if (a->fmt == 7) rc = amd_detector_process_ulaw(d, (const uint8_t *)a->data + i, m);
        else rc = amd_detector_process_alaw(d, (const uint8_t *)a->data + i, m);
        if (rc < 0) return rc;
        if (rc == 1 && stop_when_decided) break;
    }
    return amd_detector_finish(d);
}

typedef struct dump_ctx {
    FILE *out;
    int file;
    int64_t max_ms;
} dump_ctx;

static void tap(void *user, const struct amdi_evidence *ev, const float *x)
{
    dump_ctx *c = user;
    if (ev->t_ms > c->max_ms || (ev->t_ms / AMDI_HOP_MS) % 2)
        return;
    float row[DUMP_HEAD + AMDI_FEAT_COUNT];
    row[0] = (float)c->file;
    row[1] = (float)ev->t_ms;
    row[2] = (float)ev->speech;
    row[3] = (float)ev->in_speech;
    row[4] = (float)ev->silence_ms;
    row[5] = (float)ev->speech_onset_ms;
    row[6] = (float)ev->utt_speech_ms;
    row[7] = (float)ev->n_utterances;
    memcpy(row + DUMP_HEAD, x, sizeof(float) * AMDI_FEAT_COUNT);
    fwrite(row, sizeof row, 1, c->out); /* float32 rows: a plain numeric matrix, not a struct */
}

static int cmd_dump(item *items, size_t n, const char *prefix, int64_t max_ms)
{
    char path[1100];
    snprintf(path, sizeof path, "%s.bin", prefix);
    FILE *out = fopen(path, "wb");
    snprintf(path, sizeof path, "%s.files.csv", prefix);
    FILE *idx = fopen(path, "w");
    if (!out || !idx) {
        fprintf(stderr, "cannot write %s.*\n", prefix);
        return 1;
    }
    fprintf(idx, "index,file,answered_by_enable,scenario\n");
    static amd_model m; /* observe-only model: weights unused */
    memset(&m, 0, sizeof m);
    m.n_features = AMDI_FEAT_COUNT;
    m.feature_version = AMDI_FEAT_VERSION;
    m.format_version = AMDI_MODEL_FORMAT_VERSION;
    dump_ctx ctx = {out, 0, max_ms};
    m.tap = tap;
    m.tap_user = &ctx;
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.engine = AMD_ENGINE_MODEL;
    cfg.model = &m;
    char err[256];
    amd_detector *d = NULL;
    if (amd_detector_create(&cfg, &d, err, sizeof err)) {
        fprintf(stderr, "create: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (items[i].a.rate != cfg.sample_rate) {
            amd_detector_destroy(d);
            cfg.sample_rate = items[i].a.rate;
            if (amd_detector_create(&cfg, &d, err, sizeof err)) {
                fprintf(stderr, "create: %s\n", err);
                return 1;
            }
        } else {
            amd_detector_reset(d);
        }
        ctx.file = (int)i;
        feed(d, &items[i].a, 0);
        fprintf(idx, "%zu,%s,%s,%s\n", i, items[i].rel, items[i].truth, items[i].scenario);
    }
    amd_detector_destroy(d);
    fclose(out);
    fclose(idx);
    fprintf(stderr, "dumped %zu files (%d features, %d head columns)\n", n, AMDI_FEAT_COUNT, DUMP_HEAD);
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t pct(int64_t *v, size_t n, double p)
{
    if (!n) return -1;
    qsort(v, n, sizeof *v, cmp_i64);
    size_t k = (size_t)ceil(p * (double)n) - 1;
    if (k >= n) k = n - 1;
    return v[k];
}

static int run_eval(item *items, size_t n, amd_engine engine, const amd_model *model, int per_file)
{
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.engine = engine;
    cfg.model = model;
    char err[256];
    amd_detector *d = NULL;
    int64_t *lat_h = calloc(n + 1, sizeof(int64_t)), *lat_m = calloc(n + 1, sizeof(int64_t));
    size_t nh = 0, nm = 0, correct = 0, h_total = 0, h_as_m = 0, m_total = 0, m_as_h = 0;
    size_t model_dec = 0, h_timed = 0, h_in_time = 0;
    int64_t *after = calloc(n + 1, sizeof(int64_t)); /* human answers: decision - greeting end */
    size_t na = 0;
    for (size_t i = 0; i < n; i++) {
        if (!d || items[i].a.rate != cfg.sample_rate) {
            amd_detector_destroy(d);
            cfg.sample_rate = items[i].a.rate;
            if (amd_detector_create(&cfg, &d, err, sizeof err)) {
                fprintf(stderr, "create: %s\n", err);
                return 1;
            }
        } else {
            amd_detector_reset(d);
        }
        feed(d, &items[i].a, 1);
        amd_result r;
        amd_detector_result(d, &r);
        const char *got = amd_answered_by_name(r.answered_by);
        const char *truth = items[i].truth;
        correct += !strcmp(got, truth);
        model_dec += r.cause == AMD_CAUSE_MODEL;
        if (!strcmp(truth, "human")) {
            h_total++;
            h_as_m += amd_answered_by_is_machine(r.answered_by) != 0;
            lat_h[nh++] = r.decision_ms;
            if (items[i].greeting_end_ms >= 0) {
                /* the in-time human rate of bench/README.md: human by greeting end + 1500 ms */
                h_timed++;
                if (r.answered_by == AMD_ANSWERED_HUMAN) {
                    after[na++] = r.decision_ms - items[i].greeting_end_ms;
                    h_in_time += r.decision_ms <= items[i].greeting_end_ms + 1500;
                }
            }
        } else if (!strcmp(truth, "machine_start")) {
            m_total++;
            m_as_h += r.answered_by == AMD_ANSWERED_HUMAN;
            lat_m[nm++] = r.decision_ms;
        }
        if (per_file)
            printf("%s,%s,%s,%s,%lld,%.3f\n", items[i].rel, items[i].scenario, truth, got,
                   (long long)r.decision_ms, r.confidence);
    }
    amd_detector_destroy(d);
    printf("{\"files\":%zu,\"accuracy\":%.4f,\"human_as_machine\":%.4f,\"machine_as_human\":%.4f,"
           "\"human_p50\":%lld,\"human_p90\":%lld,\"machine_p50\":%lld,\"machine_p90\":%lld,\"model_decisions\":%zu,"
           "\"in_time_human\":%.4f,\"after_end_p50\":%lld,\"after_end_p95\":%lld}\n",
           n, n ? (double)correct / (double)n : 0.0, h_total ? (double)h_as_m / (double)h_total : 0.0,
           m_total ? (double)m_as_h / (double)m_total : 0.0, (long long)pct(lat_h, nh, 0.5),
           (long long)pct(lat_h, nh, 0.9), (long long)pct(lat_m, nm, 0.5), (long long)pct(lat_m, nm, 0.9),
           model_dec, h_timed ? (double)h_in_time / (double)h_timed : -1.0, (long long)pct(after, na, 0.5),
           (long long)pct(after, na, 0.95));
    fflush(stdout);
    free(after);
    free(lat_h);
    free(lat_m);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: dump_features dump MANIFEST --split S --out PREFIX [--max-ms N]\n"
                    "       dump_features eval MANIFEST --split S [--engine timing|words|model] [--model FILE]\n"
                    "                          [--params-stdin] [--per-file]\n");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    const char *cmd = argv[1], *manifest = argv[2], *split = "all", *out = NULL, *model_path = NULL;
    const char *engine_name = "model";
    int params_stdin = 0, per_file = 0;
    int64_t max_ms = 12000;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--split") && i + 1 < argc) split = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) model_path = argv[++i];
        else if (!strcmp(argv[i], "--engine") && i + 1 < argc) engine_name = argv[++i];
        else if (!strcmp(argv[i], "--max-ms") && i + 1 < argc) max_ms = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--params-stdin")) params_stdin = 1;
        else if (!strcmp(argv[i], "--per-file")) per_file = 1;
        else { usage(); return 2; }
    }
    size_t n = 0;
    item *items = load_manifest(manifest, split, &n);
    if (!items) {
        fprintf(stderr, "cannot read manifest %s\n", manifest);
        return 1;
    }
    fprintf(stderr, "%zu files in split %s\n", n, split);
    int rc;
    if (!strcmp(cmd, "dump")) {
        if (!out) { usage(); return 2; }
        rc = cmd_dump(items, n, out, max_ms);
    } else if (!strcmp(cmd, "eval")) {
        amd_engine e;
        if (amd_engine_parse(engine_name, &e)) { usage(); return 2; }
        amd_model *m = NULL;
        char err[256];
        if (model_path && amd_model_load_file(model_path, &m, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        if (params_stdin) {
            if (!m) { fprintf(stderr, "--params-stdin needs --model\n"); return 2; }
            char line[1024];
            rc = 0;
            while (!rc && fgets(line, sizeof line, stdin)) {
                char *p = line;
                for (int k = 0; k < AMDI_MODEL_NPARAMS; k++)
                    m->params[k] = strtof(p, &p);
                rc = run_eval(items, n, e, m, per_file);
            }
        } else {
            rc = run_eval(items, n, e, m, per_file);
        }
        amd_model_free(m);
    } else {
        usage();
        rc = 2;
    }
    for (size_t i = 0; i < n; i++)
        free(items[i].a.data);
    free(items);
    return rc;
}
