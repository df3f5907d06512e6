/* SPDX-License-Identifier: MIT */
/*
 * tone_eval: scores the tone detectors alone (beep, fax, SIT; libamd's
 * amdi_tones_*) on a labeled corpus (manifest in the format of bench/README.md), through the
 * detector's own input path (resampling, DC removal) and analysis frames.
 *
 *   tone_eval MANIFEST [--verbose]
 *
 * Prints: beep on-time / early / late / missed rates against beep_end_ms
 * (on time = the beep event is returned within [0, +500] ms of the true end),
 * frequency error, false beeps per hour on files without a beep (and before
 * the beep in files with one), fax recall and time to decision by kind, SIT
 * recall, and false fax / SIT events elsewhere.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <sndfile.h>

#include "analysis.h"
#include "beep_detector.h"
#include "input.h"
#include "tones.h"

#define MAXF 16

typedef struct run {
    double ns;        /* time inside amdi_tones_frame */
    int64_t frames;
    amdi_analysis an;
    amdi_tones *t;
    amdi_tone_event ev[64];
    int64_t at[64];
    int n;
    /* true speech segments of the current file (segments/<file>.csv), for the "tone active
       during speech" figure: the VAD never counts a tone frame as speech */
    int64_t seg_s[512], seg_e[512];
    int nseg;
    int64_t speech_frames, speech_active;
    /* tone segments the beep detector rejected in the current file, with the rule that did */
    amdi_beep_reason rej[256];
    int64_t rej_s[256], rej_e[256];
    int nrej;
    int64_t rej_seen;
} run;

static int on_hop(void *user, const float *hop)
{
    run *r = user;
    const amdi_frame *f = amdi_analysis_hop(&r->an, hop);
    amdi_tone_event ev[AMDI_TONES_MAX_EVENTS];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int k = amdi_tones_frame(r->t, f, ev);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->ns += (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    r->frames++;
    if (r->nseg > 0) {
        int64_t mid = f->end_ms - AMDI_HOP_MS / 2;
        for (int i = 0; i < r->nseg; i++)
            if (mid >= r->seg_s[i] && mid < r->seg_e[i]) {
                r->speech_frames++;
                r->speech_active += amdi_tones_active(r->t, NULL, NULL) != 0;
                break;
            }
    }
    const amdi_beep *bp = amdi_tones_beep(r->t);
    if (bp->n_rejects != r->rej_seen) {
        r->rej_seen = bp->n_rejects;
        if (r->nrej < 256) {
            r->rej[r->nrej] = bp->reject_reason;
            r->rej_s[r->nrej] = bp->reject_start_ms;
            r->rej_e[r->nrej++] = bp->reject_end_ms;
        }
    }
    for (int i = 0; i < k && r->n < 64; i++) {
        r->at[r->n] = f->end_ms;
        r->ev[r->n++] = ev[i];
    }
    return 0;
}

/* Split a CSV line in place (no quoted commas in the corpus manifests). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    char *nl = f[n - 1] + strcspn(f[n - 1], "\r\n");
    *nl = 0;
    return n;
}

static int col(char **hdr, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(hdr[i], name) == 0)
            return i;
    return -1;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t pct(int64_t *v, int n, double p)
{
    if (n == 0)
        return -1;
    qsort(v, (size_t)n, sizeof *v, cmp64);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

static const char *kind_name(amdi_tone_kind k)
{
    static const char *n[] = {"none", "beep", "ced", "ansam", "cng", "v21", "sit"};
    return (unsigned)k < 7 ? n[k] : "?";
}

/* Corpus totals across the manifest. */
typedef struct tally {
    int n_beep_files, on_time, early, late, missed, false_beeps;
    double hz_err_sum, hz_err_max, nobeep_audio_ms;
    int64_t align[4096];
    int n_align;
    int fax_files, fax_hit, fax_kind_ok, sit_files, sit_hit, false_fax, false_sit;
    int64_t fax_t[1024], sit_t[1024];
    /* rejected segments by rule: all of them; those overlapping the true beep of a file whose
       beep was missed, late or on time (a part of it rejected, the beep still found) */
    int rej_all[AMDI_BEEP_REASONS], rej_missed[AMDI_BEEP_REASONS], rej_late[AMDI_BEEP_REASONS],
        rej_found[AMDI_BEEP_REASONS];
    int n_fax_t, n_sit_t;
} tally;

/* Manifest column indexes (-1: absent). */
typedef struct cols {
    int c_file, c_label, c_bs, c_be, c_sc, c_beep;
} cols;

/* Run the tone detectors over one corpus file; 0 and its duration in ms, or -1 to skip it. */
static int run_file(run *r, const amd_config *cfg, void *tmem, const char *dir, const char *file, double *dur)
{
    char path[8192];
    snprintf(path, sizeof path, "%s%s", dir, file);
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) {
        fprintf(stderr, "%s: %s\n", path, sf_strerror(NULL));
        return -1;
    }
    amdi_input in;
    if (amdi_input_init(&in, info.samplerate) != 0) {
        sf_close(sf);
        return -1;
    }
    amdi_analysis_reset(&r->an);
    r->t = amdi_tones_init(tmem, cfg);
    r->n = 0;
    r->nseg = 0;
    r->nrej = 0;
    r->rej_seen = 0;
    {
        char spath[8400];
        snprintf(spath, sizeof spath, "%ssegments/%s.csv", dir, file);
        FILE *sfp = fopen(spath, "r");
        if (sfp) {
            char sl[256];
            long a, b;
            while (fgets(sl, sizeof sl, sfp) && r->nseg < 512)
                if (sscanf(sl, "%ld,%ld", &a, &b) == 2) {
                    r->seg_s[r->nseg] = a;
                    r->seg_e[r->nseg++] = b;
                }
            fclose(sfp);
        }
    }
    float buf[4096 * 2], mono[4096];
    sf_count_t got;
    int64_t frames = 0;
    while ((got = sf_readf_float(sf, buf, 4096 / (info.channels > 2 ? 2 : 1) / info.channels)) > 0) {
        for (sf_count_t i = 0; i < got; i++) {
            float s = 0;
            for (int c = 0; c < info.channels; c++)
                s += buf[i * info.channels + c];
            mono[i] = s / (float)info.channels;
        }
        amdi_input_push(&in, AMDI_FMT_FLOAT, mono, (size_t)got, on_hop, r);
        frames += got;
    }
    sf_close(sf);
    amdi_input_free(&in);
    *dur = 1000.0 * (double)frames / info.samplerate;
    return 0;
}

/* Score one file's events against its manifest row. */
static void score_file(tally *t, const run *r, const cols *cx, char **f, int n, double dur_ms, int verbose)
{
    const char *label = cx->c_label >= 0 && cx->c_label < n ? f[cx->c_label] : "";
    const char *sc = cx->c_sc >= 0 && cx->c_sc < n ? f[cx->c_sc] : "";
    const char *bdesc = cx->c_beep >= 0 && cx->c_beep < n ? f[cx->c_beep] : "";
    long bs = cx->c_bs >= 0 && cx->c_bs < n && f[cx->c_bs][0] ? atol(f[cx->c_bs]) : -1;
    long be = cx->c_be >= 0 && cx->c_be < n && f[cx->c_be][0] ? atol(f[cx->c_be]) : -1;
    int is_fax = strcmp(label, "fax") == 0, is_sit = strncmp(sc, "sit", 3) == 0;

    if (verbose) {
        printf("%-32s %-18s beep=%ld..%ld %s:", f[cx->c_file], sc, bs, be, bdesc);
        for (int i = 0; i < r->n; i++)
            printf(" [%s %lld-%lld %.1fHz @%lld]", kind_name(r->ev[i].kind), (long long)r->ev[i].start_ms,
                   (long long)r->ev[i].end_ms, r->ev[i].hz, (long long)r->at[i]);
        printf("\n");
    }

    const amdi_tone_event *fb = NULL;
    int64_t fb_at = -1;
    for (int i = 0; i < r->n; i++) {
        if (r->ev[i].kind == AMDI_TONE_BEEP) {
            if (be >= 0 && r->ev[i].end_ms >= bs - 100) {
                if (!fb) {
                    fb = &r->ev[i];
                    fb_at = r->at[i];
                }
            } else if (be >= 0 || (!is_fax && !is_sit)) {
                t->false_beeps++;
            }
        } else if (r->ev[i].kind == AMDI_TONE_SIT) {
            if (!is_sit)
                t->false_sit++;
        } else if (!is_fax) {
            t->false_fax++;
        }
    }
    if (be >= 0) {
        t->n_beep_files++;
        t->nobeep_audio_ms += bs;
        /* any beep event before the true beep (false beep in the greeting) counts as early */
        int early_false = 0;
        for (int i = 0; i < r->n; i++)
            if (r->ev[i].kind == AMDI_TONE_BEEP && r->ev[i].end_ms < bs - 100)
                early_false = 1;
        int outcome = early_false ? 0 : !fb ? 1 : (fb_at - be < 0 ? 0 : fb_at - be <= 500 ? 3 : 2);
        for (int i = 0; i < r->nrej; i++) {
            if (r->rej_e[i] <= bs || r->rej_s[i] >= be)
                continue;
            int *tab = outcome == 1 ? t->rej_missed : outcome == 2 ? t->rej_late : outcome == 3 ? t->rej_found : NULL;
            if (tab)
                tab[r->rej[i]]++;
            if (verbose && outcome != 3)
                printf("  beep %ld..%ld: segment %lld..%lld rejected by rule %s\n", bs, be,
                       (long long)r->rej_s[i], (long long)r->rej_e[i], amdi_beep_reason_name(r->rej[i]));
        }
        if (early_false) {
            t->early++;
        } else if (!fb) {
            t->missed++;
        } else {
            int64_t d = fb_at - be;
            t->align[t->n_align++] = d;
            if (d < 0)
                t->early++;
            else if (d <= 500)
                t->on_time++;
            else
                t->late++;
            /* frequencies of the truth: "kind:F1[/F2|+F2]Hz:..." -- the nearer one counts */
            const char *c = strchr(bdesc, ':');
            double e = -1;
            for (const char *q = c ? c + 1 : NULL; q && *q && *q != 'H';) {
                char *endp;
                double th = strtod(q, &endp);
                if (endp == q)
                    break;
                if (th > 0 && (e < 0 || fabs(fb->hz - th) < e))
                    e = fabs(fb->hz - th);
                q = (*endp == '/' || *endp == '+') ? endp + 1 : endp;
            }
            if (e >= 0) {
                t->hz_err_sum += e;
                if (e > t->hz_err_max)
                    t->hz_err_max = e;
            }
        }
    } else if (!is_fax && !is_sit) {
        t->nobeep_audio_ms += dur_ms;
    }
    if (is_fax) {
        t->fax_files++;
        for (int i = 0; i < r->n; i++)
            if (r->ev[i].kind >= AMDI_TONE_FAX_CED && r->ev[i].kind <= AMDI_TONE_FAX_V21) {
                t->fax_hit++;
                t->fax_t[t->n_fax_t++] = r->at[i];
                int ok = (strstr(sc, "ced") && r->ev[i].kind == AMDI_TONE_FAX_CED) ||
                         (strstr(sc, "ansam") && r->ev[i].kind == AMDI_TONE_FAX_ANSAM) ||
                         (strstr(sc, "cng") && r->ev[i].kind == AMDI_TONE_FAX_CNG) ||
                         (strstr(sc, "v21") && r->ev[i].kind == AMDI_TONE_FAX_V21);
                t->fax_kind_ok += ok;
                if (!ok && verbose)
                    printf("  kind mismatch: %s heard as %s\n", sc, kind_name(r->ev[i].kind));
                break;
            }
    }
    if (is_sit) {
        t->sit_files++;
        for (int i = 0; i < r->n; i++)
            if (r->ev[i].kind == AMDI_TONE_SIT) {
                t->sit_hit++;
                t->sit_t[t->n_sit_t++] = r->at[i];
                break;
            }
    }
    for (int i = 0; i < r->nrej; i++)
        t->rej_all[r->rej[i]]++;
}

/* The summary lines, then the measured cost of the tone detectors. */
static void report(const char *manifest, tally *t, const run *r)
{
    printf("command: tone_eval %s\n", manifest);
    printf("beep files %d: on time %d (%.1f %%), early %d (%.1f %%), late %d, missed %d; "
           "alignment p50 %lld ms, p90 %lld ms; |hz error| mean %.1f, max %.1f Hz\n",
           t->n_beep_files, t->on_time, t->n_beep_files ? 100.0 * t->on_time / t->n_beep_files : 0, t->early,
           t->n_beep_files ? 100.0 * t->early / t->n_beep_files : 0, t->late, t->missed, (long long)pct(t->align, t->n_align, 0.5),
           (long long)pct(t->align, t->n_align, 0.9), t->on_time + t->late + t->early ? t->hz_err_sum / (t->n_align ? t->n_align : 1) : 0,
           t->hz_err_max);
    printf("false beeps %d in %.2f h of audio without a beep (%.1f per hour)\n", t->false_beeps,
           t->nobeep_audio_ms / 3.6e6, t->nobeep_audio_ms > 0 ? t->false_beeps / (t->nobeep_audio_ms / 3.6e6) : 0);
    printf("fax files %d: recalled %d (%.1f %%), kind right %d; decision p50 %lld ms, p90 %lld ms, max %lld ms\n",
           t->fax_files, t->fax_hit, t->fax_files ? 100.0 * t->fax_hit / t->fax_files : 0, t->fax_kind_ok,
           (long long)pct(t->fax_t, t->n_fax_t, 0.5), (long long)pct(t->fax_t, t->n_fax_t, 0.9),
           (long long)pct(t->fax_t, t->n_fax_t, 1.0));
    printf("sit files %d: recalled %d (%.1f %%); decision p50 %lld ms, p90 %lld ms\n", t->sit_files, t->sit_hit,
           t->sit_files ? 100.0 * t->sit_hit / t->sit_files : 0, (long long)pct(t->sit_t, t->n_sit_t, 0.5),
           (long long)pct(t->sit_t, t->n_sit_t, 0.9));
    printf("false fax events %d, false sit events %d (files of other classes)\n", t->false_fax, t->false_sit);
    printf("beep detector rejects by rule (segments; 'missed' / 'late' / 'found': overlapping the true beep of a "
           "file whose beep was missed / late / found on time):\n");
    printf("  %-16s %8s %7s %5s %6s\n", "rule", "all", "missed", "late", "found");
    for (int k = 1; k < AMDI_BEEP_REASONS; k++)
        printf("  %-16s %8d %7d %5d %6d\n", amdi_beep_reason_name((amdi_beep_reason)k), t->rej_all[k], t->rej_missed[k],
               t->rej_late[k], t->rej_found[k]);
    if (r->speech_frames > 0)
        printf("tone active during true speech: %lld of %lld speech frames (%.2f %%)\n", (long long)r->speech_active,
               (long long)r->speech_frames, 100.0 * (double)r->speech_active / (double)r->speech_frames);
    /* the clock's own cost, to subtract */
    struct timespec t0, t1;
    double empty = 0;
    for (int i = 0; i < 100000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        empty += (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    }
    printf("tone detection cost: %.0f ns per 10 ms frame (amdi_tones_frame, clock overhead %.0f ns removed; "
           "%lld frames)\n",
           r->frames ? r->ns / (double)r->frames - empty / 100000 : 0, empty / 100000, (long long)r->frames);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tone_eval MANIFEST [--verbose]\n");
        return 2;
    }
    int verbose = argc > 2 && strcmp(argv[2], "--verbose") == 0;
    FILE *mf = fopen(argv[1], "r");
    if (!mf) {
        perror(argv[1]);
        return 1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", argv[1]);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = 0;
    else
        strcpy(dir, "./");

    char hline[4096], line[4096];
    char *hdr[64];
    if (!fgets(hline, sizeof hline, mf))
        return 1;
    int nh = split(hline, hdr, 64);
    cols c = {col(hdr, nh, "file"), col(hdr, nh, "label"), col(hdr, nh, "beep_start_ms"),
              col(hdr, nh, "beep_end_ms"), col(hdr, nh, "scenario"), col(hdr, nh, "beep")};

    amd_config cfg;
    amd_config_init(&cfg);
    void *abuf = aligned_alloc(64, (amdi_analysis_buf_size() + 63) & ~(size_t)63);
    void *tmem = aligned_alloc(16, amdi_tones_size());
    run r;
    r.ns = 0;
    r.frames = 0;
    r.speech_frames = r.speech_active = 0;
    if (!abuf || !tmem || amdi_analysis_init(&r.an, abuf) != 0)
        return 1;

    static tally t; /* zeroed; large for the stack */
    while (fgets(line, sizeof line, mf)) {
        char *f[64];
        int n = split(line, f, 64);
        if (n <= c.c_file || !f[c.c_file][0])
            continue;
        double dur_ms;
        if (run_file(&r, &cfg, tmem, dir, f[c.c_file], &dur_ms) != 0)
            continue;
        score_file(&t, &r, &c, f, n, dur_ms, verbose);
    }

    fclose(mf);
    amdi_analysis_free(&r.an);
    free(abuf);
    free(tmem);

    report(argv[1], &t, &r);
    return 0;
}
