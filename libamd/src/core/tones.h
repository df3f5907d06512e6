/* SPDX-License-Identifier: MIT */
/*
 * Tone evidence for the decision logic: end-of-greeting beeps, fax / modem
 * answer and calling tones, special information tones. Internal.
 *
 * One aggregate object runs the individual detectors (beep_detector.c,
 * fax_detector.c, sit_detector.c) on every frame. Its memory comes from the
 * detector's single allocation: amdi_tones_size() bytes, 16-byte aligned.
 */
#ifndef AMDI_TONES_H
#define AMDI_TONES_H

#include <stddef.h>
#include <stdint.h>

#include "amd/detector.h"
#include "frame.h"

typedef enum amdi_tone_kind {
    AMDI_TONE_NONE = 0,
    AMDI_TONE_BEEP,      /* steady single or dual tone that ended (end-of-greeting beep) */
    AMDI_TONE_FAX_CED,   /* 2100 Hz answer tone, plain */
    AMDI_TONE_FAX_ANSAM, /* 2100 Hz with 15 Hz AM and/or phase reversals */
    AMDI_TONE_FAX_CNG,   /* 1100 Hz calling tone with its cadence */
    AMDI_TONE_FAX_V21,   /* V.21 channel-2 HDLC flags */
    AMDI_TONE_SIT        /* special information tone triplet */
} amdi_tone_kind;

typedef struct amdi_tone_event {
    amdi_tone_kind kind;
    int64_t start_ms; /* audio time the tone started */
    int64_t end_ms;   /* audio time it ended (beep) or was confirmed (fax, SIT) */
    float hz;         /* main frequency */
    /* a beep that is a chain of tones (double beeps, tone sequences): the tones' own spans, so
       what was heard in the gaps between them is not held against the beep; n_parts 0 for fax
       and SIT, the last part extended when a chain has more than AMDI_TONE_MAX_PARTS tones */
    int n_parts;
    int64_t part_start_ms[4], part_end_ms[4];
} amdi_tone_event;

#define AMDI_TONE_MAX_PARTS 4

#define AMDI_TONES_MAX_EVENTS 4

typedef struct amdi_tones amdi_tones;

/* Bytes needed for one amdi_tones. */
size_t amdi_tones_size(void);
/* Initialise in caller memory of amdi_tones_size() bytes; cfg must be valid. */
amdi_tones *amdi_tones_init(void *mem, const amd_config *cfg);
/* Back to the state right after init. */
void amdi_tones_reset(amdi_tones *t);
/* Run one frame. Writes up to AMDI_TONES_MAX_EVENTS completed events to ev; returns how many. */
int amdi_tones_frame(amdi_tones *t, const amdi_frame *f, amdi_tone_event *ev);
/*
 * Nonzero while a steady tone (any kind, confirmed or candidate) is present in
 * the current frame, so the VAD and engines do not count it as speech.
 * *hz and *kind (static string: "beep", "ced", "cng", "v21", "sit") may be NULL.
 */
int amdi_tones_active(const amdi_tones *t, float *hz, const char **kind);

/*
 * Nonzero while a beep may still be reported: a beep-like steady tone is in
 * progress, or a beep has ended and waits out its trailing gap (chained
 * double beeps), which ends at most ~350 ms after the tone. Decision logic
 * that would otherwise decide in that window (e.g. "human" at the speech-end
 * silence of a short greeting whose beep is playing) can hold its decision
 * until this clears and the AMDI_TONE_BEEP event (if any) has arrived.
 * (Additive to the original interface.)
 */
int amdi_tones_beep_pending(const amdi_tones *t);

/*
 * Nonzero while any tone event may be about to arrive: amdi_tones_beep_pending(),
 * or a fax candidate (2100 Hz or 1100 Hz tone under way, CNG's silence being
 * checked, V.21 flags being counted) or a SIT sequence forming. Holding a
 * "human" decision while this is set lets a fax or intercept that starts
 * right after a short utterance still decide the call. (Additive.)
 */
int amdi_tones_pending(const amdi_tones *t);

/* The beep detector inside (read-only), for evaluation tools that report why tones were
 * rejected (amdi_beep.reject_reason). */
const struct amdi_beep *amdi_tones_beep(const amdi_tones *t);

#endif /* AMDI_TONES_H */
