/* SPDX-License-Identifier: MIT */
/*
 * End-of-greeting beep detector. Internal; run by tones.c.
 *
 * What it does
 *   Reports a steady single or dual tone in [cfg->beep_min_hz,
 *   cfg->beep_max_hz] lasting at least cfg->beep_min_ms, on its trailing
 *   edge, with start, end and frequency (the stronger tone of a dual tone).
 *   It does not report call-progress tones, DTMF, sung or sustained vowels,
 *   fax CNG or fax answer tones. See beep_detector.c for the numbers.
 *
 * State is a plain struct (no allocation), embedded in the tones aggregate.
 */
#ifndef AMDI_BEEP_DETECTOR_H
#define AMDI_BEEP_DETECTOR_H

#include <stdint.h>

#include "amd/detector.h"
#include "tone_analysis.h"
#include "tones.h"

/* Why a closed tone segment is not a beep: the reject rules of beep_detector.c, each named. */
typedef enum amdi_beep_reason {
    AMDI_BEEP_OK = 0,             /* a beep (part) */
    AMDI_BEEP_REJ_FRAMES,         /* too few tone frames for beep_min_ms */
    AMDI_BEEP_REJ_DURATION,       /* shorter than beep_min_ms or longer than the longest beep */
    AMDI_BEEP_REJ_GAPS,           /* too many non-tone frames inside */
    AMDI_BEEP_REJ_PITCH_SPREAD,   /* frequency not steady (jitter, vibrato) */
    AMDI_BEEP_REJ_LOW_SHORT,      /* low and short, and not within 1 Hz: a voice's fundamental */
    AMDI_BEEP_REJ_DRIFT,          /* frequency glides (intonation) */
    AMDI_BEEP_REJ_VOICE_HARMONIC, /* one harmonic of a voice (sibling harmonics beside it) */
    AMDI_BEEP_REJ_LOBE_SHAPE,     /* spectral lobe wider than one sinusoid (an unresolved pair) */
    AMDI_BEEP_REJ_RICH,           /* overtones, without a generated tone's steadiness and edges */
    AMDI_BEEP_REJ_LEVEL,          /* level not steady */
    AMDI_BEEP_REJ_HARMONIC_DUAL,  /* two harmonics of one voice taken as a dual tone */
    AMDI_BEEP_REJ_KNOWN_TONE,     /* call progress, 425 Hz, fax CNG or answer tone */
    AMDI_BEEP_REJ_DTMF,           /* a keyed DTMF digit */
    AMDI_BEEP_REJ_EDGES,          /* no clean start / stop: voiced sound at full level around it */
    AMDI_BEEP_REJ_SWELL,          /* a low tone that swells in and fades out: a sustained or sung vowel */
    AMDI_BEEP_REJ_FADE,           /* a low tone that fades out with a wandering pitch: a vowel's release */
    AMDI_BEEP_REASONS
} amdi_beep_reason;

/* Short name of a reason ("pitch-spread", ...), for reports. */
const char *amdi_beep_reason_name(amdi_beep_reason r);

/* Hops of energy and purity kept (a power of two): enough to see the two hops before a tone whose
   third tone frame came late (a non-tone frame or two after its first), 160 ms. */
#define AMDI_BEEP_RING 16

/* Hops of the baseband tone kept for the close-pair analysis (a power of two): 640 ms. */
#define AMDI_BEEP_ZN 64

/* One steady-tone segment being tracked. */
typedef struct amdi_beep_seg {
    int on;               /* tracking a segment */
    int64_t first, last;  /* frame index of the first / last tone frame */
    int n_good;           /* tone frames */
    int dual;             /* a second tone has been seen */
    float fa, fb;         /* tracking references of the two tones (Hz) */
    double sa, sa2, sb, sb2; /* frequency sums (for mean / spread), after the onset frames */
    double sta, st2a, stfa;  /* time sums for slot a's frequency trend (t in frames from first) */
    int na, nb;
    double pwa, pwb;      /* summed main-lobe power per tone (which is stronger) */
    double se, se2;       /* hop-energy sums over the loud hops (steadiness) */
    int ne;
    double sp, sp2;       /* two-hop (20 ms) energy sums over pairs of loud hops */
    int np, pair_open;
    int64_t pair_idx;
    float pair_e;
    double shape;         /* summed lobe-shape error (amdi_tone_shape_error) */
    double harm;          /* summed harmonic excess / tone power */
    int n_partner;        /* frames whose next strongest peak is a harmonic sibling of the tone */
    int n_rich;           /* frames with an overtone (2f) */
    double sib;           /* summed other_harmonics() of dual frames whose tones share an f0 */
    int n_sib;
    int nshape;
    int64_t start_frame;  /* hop where the tone began (energy-refined) */
    float pre_e1, pre_e2; /* energies of the two hops before start_frame */
    float pre_p1, pre_p2; /* and their frames' purity */
    float att_e;          /* energy of the hop after start_frame (attack) */
    float start_e;        /* energy of the hop start_frame itself (partly covered by the tone) */
    float dec_e;          /* energy of the hop before last_loud (decay) */
    int64_t last_loud;    /* last hop whose energy is near the tone's level */
    int64_t last_held;    /* last frame where the tone was still there under a louder bed (held) */
    int n_held;           /* such frames */
    float post_e1, post_e2; /* energies of the two frames after `last` (for a segment ending held) */
    float post_p1, post_p2; /* and their purity */
    int n_straddle;       /* frames whose two peaks straddle the tone (a close pair at its beat's null) */
    int64_t z_first;      /* first hop demodulated at z_fc (-1: not started) */
    float z_fc;           /* the segment's pitch when it was established: the demodulation frequency */
    int64_t ext_start;    /* start_frame moved back over loud pure-tone hops (a close pair's onset) */
    float ext_pre_e1, ext_pre_e2, ext_pre_p1, ext_pre_p2; /* the two hops before it, as pre_* */
} amdi_beep_seg;

typedef struct amdi_beep {
    float min_hz, max_hz;
    int min_ms;
    float hop_e[AMDI_BEEP_RING]; /* ring of the last hop energies, by frame index % AMDI_BEEP_RING */
    float hop_p[AMDI_BEEP_RING]; /* and of the frames' purity (strongest peak / in-band power) */
    amdi_beep_seg seg;
    /* the open segment's hops mixed down from seg.z_fc and summed (one complex value per 10 ms hop,
       by frame index % AMDI_BEEP_ZN): two tones closer than the 32 ms window resolves are apart there */
    float z_re[AMDI_BEEP_ZN], z_im[AMDI_BEEP_ZN];
    amdi_activity act;    /* hop energies outside tone segments (what preceded a tone) */
    /* a validated beep (or chain of beeps) waiting for its trailing gap */
    int pending;
    int p_dtmf;           /* the pending beep is a DTMF pair */
    int64_t last_dtmf_ms; /* end of the last DTMF-pair segment (0 = none) */
    int64_t last_425_ms;  /* end of the last 425 Hz segment (0 = none) */
    int defer;            /* set by the caller each frame: a SIT sequence is forming (tones.c);
                             a pending beep then waits (up to BEEP_CHAIN_WAIT_MS) for it */
    int64_t p_start_ms, p_end_ms;
    float p_hz;
    int64_t p_best_ms;    /* duration of the longest part (its frequency is reported) */
    int p_parts;          /* its parts (tones of a chain), as amdi_tone_event reports them */
    int64_t p_part_start[AMDI_TONE_MAX_PARTS], p_part_end[AMDI_TONE_MAX_PARTS];
    /* a steady tone that passed every rule but ran straight on into another pitch (the first
       tones of a two- or three-tone beep): the next tone, if it starts at once, chains to it */
    int run_on;
    int64_t run_start_ms, run_end_ms;
    float run_hz;
    /* the last rejected segment (for evaluation tools: which rule dropped a tone) */
    amdi_beep_reason reject_reason;
    int64_t reject_start_ms, reject_end_ms;
    int64_t n_rejects;    /* segments rejected since reset; a change means a new reject */
    /* current-frame candidate, for amdi_tones_active */
    int candidate;        /* a beep-like tone just stopped, its segment not judged yet */
    int64_t last_active;  /* frame index of the last beep-like ("active") frame, -1 none */
    int active;
    float active_hz;
} amdi_beep;

void amdi_beep_init(amdi_beep *b, const amd_config *cfg);
/* Forget everything (tracking and any pending beep); keeps the configuration. */
void amdi_beep_reset(amdi_beep *b);
/* One frame. Returns 1 and fills *ev when a beep ended, else 0. */
int amdi_beep_frame(amdi_beep *b, const amdi_tone_analysis *a, amdi_tone_event *ev);

#endif /* AMDI_BEEP_DETECTOR_H */
