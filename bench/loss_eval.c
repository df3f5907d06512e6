/* SPDX-License-Identifier: MIT */
/*
 * Packet loss: how many answers change when 20 ms packets are lost, with the
 * gaps filled by silence (what a host without amd_detector_process_lost does)
 * and with the gaps reported through amd_detector_process_lost.
 *
 *   loss_eval --manifest corpus/manifest.csv [--mode Enable|DetectMessageEnd]
 *             [--engine NAME] [--seed N] [--limit N] [--pattern I] [--api-only]
 *
 * Every file is classified without loss (the reference), then under each loss
 * pattern both ways; the same pattern (seeded per file and pattern) is used for
 * both; it is a function of --seed, the file's manifest path and the pattern only
 * (the same file loses the same packets whatever else the manifest holds). Patterns: independent random loss of 2, 5 and 10 % of 20 ms packets, and
 * bursts of 60..200 ms (uniform, in 20 ms packets) starting on average every 3 s.
 * Loss starts at the moment of answer; audio is fed in 20 ms packets at the
 * file's rate and finish() is called at its end. Printed: per pattern, the
 * measured loss, answers changed vs the reference (and of those, humans turned
 * into a machine_* answer), and accuracy against the manifest where it has a truth
 * column. --verbose lists the files whose answer process_lost changed. --pattern I
 * (0..3, the table's rows in order) runs one pattern only, --api-only skips the
 * silence fill (both for quick measurements; the table's other cells stay 0).
 *
 *   loss_eval --dtmf --manifest corpus/manifest.csv [--label LABEL_OR_SCENARIO]
 *
 * instead counts DTMF digits the in-band receiver reports on every file (with
 * the DTMF event selected, to the end of each file) and prints digits per hour
 * of audio: on speech and music these are talk-off (false) digits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "amd/detector.h"

#define MAX_COLS 64
#define N_PAT 4

typedef struct pattern {
    const char *name;
    double p_random;   /* independent loss probability per packet */
    double p_burst;    /* probability a packet starts a burst */
} pattern;

static const pattern k_pat[N_PAT] = {
    {"random 2 %", 0.02, 0},
    {"random 5 %", 0.05, 0},
    {"random 10 %", 0.10, 0},
    {"bursts 60-200 ms, 1 per 3 s", 0, 20.0 / 3000.0},
};

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static double rng_unit(uint64_t *s) { return (double)(rng_next(s) >> 11) / 9007199254740992.0; }

/* splitmix64's finaliser: spreads a small or structured seed over all 64 bits (xorshift's
 * first outputs from a small seed are tiny: every file would lose its first packet). */
static uint64_t mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* FNV-1a of a file's manifest path: its loss pattern depends on the file, not on its row,
 * --limit or --label. */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static float *read_mono(const char *path, int *rate, size_t *n)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) {
        fprintf(stderr, "%s: %s\n", path, sf_strerror(NULL));
        return NULL;
    }
    float *x = malloc(sizeof(float) * (size_t)(info.frames > 0 ? info.frames : 1));
    float *buf = malloc(sizeof(float) * 4096 * (size_t)info.channels);
    size_t m = 0;
    sf_count_t got;
    while (x && buf && (got = sf_readf_float(sf, buf, 4096)) > 0)
        for (sf_count_t i = 0; i < got && m < (size_t)info.frames; i++) {
            float s = 0;
            for (int c = 0; c < info.channels; c++)
                s += buf[i * info.channels + c];
            x[m++] = s / (float)info.channels;
        }
    free(buf);
    sf_close(sf);
    *rate = info.samplerate;
    *n = m;
    return x;
}

/* Loss mask per 20 ms packet for pattern @p p. Returns packets lost. */
static size_t make_mask(const pattern *p, uint64_t seed, unsigned char *mask, size_t npk)
{
    uint64_t s = mix64(seed) | 1;
    size_t lost = 0;
    memset(mask, 0, npk);
    for (size_t i = 0; i < npk; i++) {
        if (p->p_random > 0 && rng_unit(&s) < p->p_random)
            mask[i] = 1;
        if (p->p_burst > 0 && rng_unit(&s) < p->p_burst) {
            size_t len = 3 + (size_t)(rng_unit(&s) * 8); /* 3..10 packets = 60..200 ms */
            for (size_t j = i; j < i + len && j < npk; j++)
                mask[j] = 1;
            i += len - 1;
        }
    }
    for (size_t i = 0; i < npk; i++)
        lost += mask[i];
    return lost;
}

/* Classify x with the packets in mask lost: filled with silence (use_api 0) or reported. */
static amd_result g_last;
static amd_answered_by classify(const amd_config *cfg, const float *x, size_t n, int rate,
                                const unsigned char *mask, int use_api)
{
    amd_detector *d = NULL;
    char err[256];
    if (amd_detector_create(cfg, &d, err, sizeof err) != 0) {
        fprintf(stderr, "create: %s\n", err);
        exit(1);
    }
    size_t pk = (size_t)rate / 50;
    static float zeros[48000 / 50];
    int rc = 0;
    for (size_t off = 0, i = 0; off < n && rc == 0; off += pk, i++) {
        size_t m = n - off < pk ? n - off : pk;
        if (mask && mask[i])
            rc = use_api ? amd_detector_process_lost(d, m) : amd_detector_process_float(d, zeros, m);
        else
            rc = amd_detector_process_float(d, x + off, m);
    }
    amd_detector_finish(d);
    amd_result r;
    amd_detector_result(d, &r);
    g_last = r;
    amd_detector_destroy(d);
    return r.answered_by;
}

typedef struct dtmf_count {
    int n;
    amd_detector *d;
    const char *name;
} dtmf_count;

static void on_dtmf(void *user, amd_event ev, const amd_result *r)
{
    (void)r;
    dtmf_count *c = user;
    amd_event_info info;
    if (ev == AMD_EVENT_DTMF && amd_detector_event_info(c->d, &info) == 1) {
        c->n++;
        fprintf(stderr, "  %s: digit %c at %lld ms (%.0f + %.0f Hz)\n", c->name, info.digit,
                (long long)info.time_ms, (double)info.hz, (double)info.hz2);
    }
}

static int count_dtmf(const amd_config *cfg, const float *x, size_t n, const char *name)
{
    amd_detector *d = NULL;
    if (amd_detector_create(cfg, &d, NULL, 0) != 0)
        exit(1);
    dtmf_count c = {0, d, name};
    amd_detector_set_event_callback(d, on_dtmf, &c);
    amd_detector_set_event_mask(d, AMD_EVENT_BIT(AMD_EVENT_DTMF));
    amd_detector_process_float(d, x, n);
    amd_detector_finish(d);
    amd_detector_destroy(d);
    return c.n;
}

int main(int argc, char **argv)
{
    const char *manifest = NULL, *label = NULL;
    amd_config cfg;
    amd_config_init(&cfg);
    uint64_t seed = 1;
    long limit = -1;
    int dtmf = 0, verbose = 0, only_pat = -1, api_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--manifest") && i + 1 < argc)
            manifest = argv[++i];
        else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            if (amd_mode_parse(argv[++i], &cfg.mode))
                return fprintf(stderr, "bad mode\n"), 2;
        } else if (!strcmp(argv[i], "--engine") && i + 1 < argc) {
            if (amd_engine_parse(argv[++i], &cfg.engine))
                return fprintf(stderr, "bad engine\n"), 2;
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--limit") && i + 1 < argc)
            limit = atol(argv[++i]);
        else if (!strcmp(argv[i], "--label") && i + 1 < argc)
            label = argv[++i];
        else if (!strcmp(argv[i], "--pattern") && i + 1 < argc) {
            only_pat = atoi(argv[++i]);
            if (only_pat < 0 || only_pat >= N_PAT)
                return fprintf(stderr, "--pattern: 0..%d\n", N_PAT - 1), 2;
        } else if (!strcmp(argv[i], "--api-only"))
            api_only = 1;
        else if (!strcmp(argv[i], "--dtmf"))
            dtmf = 1;
        else if (!strcmp(argv[i], "--verbose"))
            verbose = 1;
        else
            return fprintf(stderr, "usage: loss_eval --manifest FILE [--mode M] [--engine E] [--seed N] "
                                   "[--limit N] [--pattern I] [--api-only] [--verbose] | --dtmf --manifest FILE [--label L]\n"),
                   2;
    }
    if (!manifest)
        return fprintf(stderr, "loss_eval: --manifest is required\n"), 2;
    FILE *mf = fopen(manifest, "r");
    if (!mf)
        return perror(manifest), 1;
    char dir[4096] = "";
    const char *slash = strrchr(manifest, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s/", (int)(slash - manifest), manifest);
    char line[8192], *f[MAX_COLS];
    if (!fgets(line, sizeof line, mf))
        return 1;
    int nc = split(line, f, MAX_COLS), c_file = -1, c_truth = -1, c_label = -1, c_scen = -1;
    const char *truth_col = cfg.mode == AMD_MODE_ENABLE ? "answered_by_enable" : "answered_by_detect_end";
    for (int i = 0; i < nc; i++) {
        if (!strcmp(f[i], "file"))
            c_file = i;
        if (!strcmp(f[i], truth_col))
            c_truth = i;
        if (!strcmp(f[i], "label"))
            c_label = i;
        if (!strcmp(f[i], "scenario"))
            c_scen = i;
    }
    if (c_file < 0)
        return fprintf(stderr, "no file column\n"), 1;

    long files = 0, changed[N_PAT][2] = {{0}}, h2m[N_PAT][2] = {{0}}, correct[N_PAT][2] = {{0}}, ref_ok = 0;
    double pk_total[N_PAT] = {0}, pk_lost[N_PAT] = {0}, audio_s = 0;
    long digits = 0;
    while (fgets(line, sizeof line, mf) && (limit < 0 || files < limit)) {
        int n = split(line, f, MAX_COLS);
        if (n <= c_file || !f[c_file][0])
            continue;
        if (label && !((c_label >= 0 && c_label < n && !strcmp(f[c_label], label)) ||
                       (c_scen >= 0 && c_scen < n && !strcmp(f[c_scen], label))))
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s%s", dir, f[c_file]);
        int rate;
        size_t ns;
        float *x = read_mono(path, &rate, &ns);
        if (!x)
            continue;
        cfg.sample_rate = rate;
        files++;
        audio_s += (double)ns / rate;
        if (dtmf) {
            digits += count_dtmf(&cfg, x, ns, f[c_file]);
            free(x);
            continue;
        }
        amd_answered_by truth = AMD_ANSWERED_NONE;
        int have_truth = c_truth >= 0 && c_truth < n && amd_answered_by_parse(f[c_truth], &truth) == 0;
        amd_answered_by ref = classify(&cfg, x, ns, rate, NULL, 0);
        amd_result ref_r = g_last;
        ref_ok += have_truth && ref == truth;
        size_t npk = (ns + (size_t)rate / 50 - 1) / ((size_t)rate / 50);
        unsigned char *mask = malloc(npk ? npk : 1);
        for (int p = 0; p < N_PAT; p++) {
            if (only_pat >= 0 && p != only_pat)
                continue;
            uint64_t s = mix64(seed) ^ name_hash(f[c_file]) ^ mix64((uint64_t)p + 1);
            pk_lost[p] += (double)make_mask(&k_pat[p], s, mask, npk);
            pk_total[p] += (double)npk;
            for (int api = api_only; api < 2; api++) {
                amd_answered_by a = classify(&cfg, x, ns, rate, mask, api);
                if (a != ref) {
                    if (verbose && api)
                        fprintf(stderr, "%s: %s %s@%lld -> %s %s@%lld (%s)\n", f[c_file],
                                amd_answered_by_name(ref), amd_cause_name(ref_r.cause), (long long)ref_r.decision_ms,
                                amd_answered_by_name(a), amd_cause_name(g_last.cause),
                                (long long)g_last.decision_ms, k_pat[p].name);
                    changed[p][api]++;
                    h2m[p][api] += ref == AMD_ANSWERED_HUMAN && amd_answered_by_is_machine(a);
                }
                correct[p][api] += have_truth && a == truth;
            }
        }
        free(mask);
        free(x);
    }
    fclose(mf);
    if (dtmf) {
        printf("DTMF receiver on %ld files%s%s, %.2f h of audio: %ld digits = %.2f per hour\n", files,
               label ? " labelled " : "", label ? label : "", audio_s / 3600.0, digits,
               audio_s > 0 ? (double)digits / (audio_s / 3600.0) : 0.0);
        return 0;
    }
    printf("Packet loss, %ld files, mode %s, engine %s, seed %llu; reference accuracy %.1f %%\n\n", files,
           amd_mode_name(cfg.mode), amd_engine_name(cfg.engine), (unsigned long long)seed,
           files ? 100.0 * (double)ref_ok / (double)files : 0.0);
    printf("| loss pattern | packets lost | changed, silence fill | changed, process_lost | human -> machine, "
           "silence / lost | accuracy, silence / lost |\n|---|---|---|---|---|---|\n");
    for (int p = 0; p < N_PAT; p++) {
        if (pk_total[p] <= 0)
            continue;
        printf("| %s | %.1f %% | %ld (%.1f %%) | %ld (%.1f %%) | %ld / %ld | %.1f / %.1f %% |\n", k_pat[p].name,
               100.0 * pk_lost[p] / pk_total[p], changed[p][0], 100.0 * (double)changed[p][0] / (double)files,
               changed[p][1], 100.0 * (double)changed[p][1] / (double)files, h2m[p][0], h2m[p][1],
               100.0 * (double)correct[p][0] / (double)files, 100.0 * (double)correct[p][1] / (double)files);
    }
    return 0;
}
