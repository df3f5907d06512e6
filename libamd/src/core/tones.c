/* SPDX-License-Identifier: MIT */
/*
 * Tone evidence aggregate (see tones.h): runs the shared spectral peak
 * analysis once per frame, then the SIT, fax and beep detectors on it.
 *
 * Interplay
 *   - A SIT or fax confirmation forgets any beep being tracked or pending and
 *     stops the beep detector until reset: the call is decided by then, and
 *     the rest of a SIT, a fax answer tone or V.21 data are not beeps.
 *   - cfg->detect_fax / detect_sit off: those detectors do not run (their
 *     tones may then be reported as beeps if they fit the beep rules; CNG
 *     and long 2100 Hz tones never do).
 *   - amdi_tones_active() is set within the first 20..40 ms of a tone (beep:
 *     3rd tone frame; CED / CNG: 4th; V.21: after two flags; SIT: as the
 *     sequence forms), so the VAD does not count tones as speech, while
 *     speech itself is flagged in < 0.6 % of its frames (corpus, tone_eval).
 *     Priority for the kind: fax, SIT, beep.
 *
 * Cost: 150..250 ns per frame for all tone detection (bench/speed's "tone
 * detectors" stage, bench/tone_eval): the analysis is one pass over 124 bins
 * with split accumulators plus a second-peak pass only when the first peak
 * holds a third of the power, three square roots; the detectors add a few
 * dozen comparisons, plus the 2100 Hz phase correlation (160 multiply-adds)
 * and the V.21 demodulator (~20 flops per sample) only while their
 * candidates are present. State: amdi_tones_size() ~2.7 KiB, no allocation.
 * amdi_tones_beep_pending() (additive) lets the decision logic wait for a
 * beep that is playing or waiting out its chain gap.
 */
#include "tones.h"

#include <string.h>

#include "beep_detector.h"
#include "fax_detector.h"
#include "sit_detector.h"
#include "tone_analysis.h"

struct amdi_tones {
    int detect_fax;
    int detect_sit;
    int beep_muted; /* a fax or SIT was confirmed */
    amdi_beep beep;
    amdi_fax fax;
    amdi_sit sit;
    int active;
    float active_hz;
    const char *active_kind;
};

size_t amdi_tones_size(void) { return (sizeof(amdi_tones) + 15u) & ~(size_t)15u; }

amdi_tones *amdi_tones_init(void *mem, const amd_config *cfg)
{
    amdi_tones *t = mem;
    if (!t || !cfg)
        return NULL;
    memset(t, 0, sizeof *t);
    t->detect_fax = cfg->detect_fax != 0;
    t->detect_sit = cfg->detect_sit != 0;
    amdi_beep_init(&t->beep, cfg);
    amdi_fax_init(&t->fax);
    amdi_sit_init(&t->sit);
    return t;
}

void amdi_tones_reset(amdi_tones *t)
{
    amdi_beep_reset(&t->beep);
    amdi_fax_reset(&t->fax);
    amdi_sit_reset(&t->sit);
    t->beep_muted = 0;
    t->active = 0;
    t->active_hz = 0.f;
    t->active_kind = NULL;
}

int amdi_tones_frame(amdi_tones *t, const amdi_frame *f, amdi_tone_event *ev)
{
    amdi_tone_analysis a;
    int n = 0;
    amdi_tone_analyse(&a, f);
    if (t->detect_sit && amdi_sit_frame(&t->sit, &a, &ev[n])) {
        n++;
        t->beep_muted = 1;
    }
    if (t->detect_fax && amdi_fax_frame(&t->fax, &a, &ev[n])) {
        n++;
        t->beep_muted = 1;
    }
    if (t->beep_muted) {
        if (t->beep.seg.on || t->beep.pending)
            amdi_beep_reset(&t->beep);
    } else {
        /* a SIT may be forming (its second or third tone follows a first or second): a pending
           beep waits, so a SIT tone taken for a beep gives way to the SIT */
        t->beep.defer = t->detect_sit && t->sit.pending;
        if (amdi_beep_frame(&t->beep, &a, &ev[n]))
            n++;
    }

    t->active = 1;
    if (t->detect_fax && t->fax.active) {
        t->active_hz = t->fax.active_hz;
        t->active_kind = t->fax.active_kind;
    } else if (t->detect_sit && t->sit.active) {
        t->active_hz = t->sit.active_hz;
        t->active_kind = "sit";
    } else if (t->beep.active) {
        t->active_hz = t->beep.active_hz;
        t->active_kind = "beep";
    } else {
        t->active = 0;
        t->active_hz = 0.f;
        t->active_kind = NULL;
    }
    return n;
}

int amdi_tones_active(const amdi_tones *t, float *hz, const char **kind)
{
    if (hz)
        *hz = t->active_hz;
    if (kind)
        *kind = t->active_kind;
    return t->active;
}

int amdi_tones_beep_pending(const amdi_tones *t)
{
    if (t->beep_muted)
        return 0;
    return t->beep.pending || t->beep.active || t->beep.candidate;
}

const struct amdi_beep *amdi_tones_beep(const amdi_tones *t) { return &t->beep; }

int amdi_tones_pending(const amdi_tones *t)
{
    return amdi_tones_beep_pending(t) || (t->detect_fax && t->fax.pending) || (t->detect_sit && t->sit.pending);
}
