/* SPDX-License-Identifier: MIT */
/*
 * DetectMessageEnd (Twilio's MachineDetection=DetectMessageEnd): once the machine is known, follow
 * the greeting to its end. Internal.
 *
 * Rules, checked every frame after the provisional machine event:
 *   - a beep event (the tone detector reports it on the beep's trailing edge)
 *     -> machine_end_beep at that frame, with the beep's start/end/frequency;
 *   - no speech and no tone, and the last greeting speech is followed by
 *     speech_end_threshold_ms + beep_grace_ms of silence -> machine_end_silence
 *     (greeting_end_ms = end of that last speech). The grace window exists
 *     because many voicemail systems play the beep 0.3..1.5 s after the
 *     greeting's last word; ending on silence inside it would start the
 *     message just before a beep;
 *   - the timeout (detector.c) -> machine_end_other.
 * "Silence" is also quiet: the level must stay within AMDI_QUIET_DB of the
 * background heard under the greeting. Music or a crowd that starts after the
 * greeting (a machine playing on, a line handed to something else) is not
 * speech but no end of the greeting either: it ends as machine_end_other.
 * Never an end while the greeting speaks: the silence rule needs the VAD's
 * smoothed decision off (hangover included) and the full silence behind it.
 */
#ifndef AMDI_MESSAGE_END_H
#define AMDI_MESSAGE_END_H

#include <stdint.h>

#include "amd/detector.h"
#include "engine.h"

/* Quiet: hop level at most this much above the greeting's background level (dB). */
#define AMDI_QUIET_DB 12.f
/* Loud non-speech hops in a row that break a quiet stretch (clicks shorter than this do not). */
#define AMDI_QUIET_BREAK 3

typedef struct amdi_msgend {
    int active;           /* following a greeting */
    int64_t known_ms;     /* when the machine became known */
    float ref_db;         /* background level while the greeting spoke, dBFS */
    int64_t quiet_since;  /* start of the current quiet stretch (level near ref_db) */
    int loud_run;         /* consecutive loud non-speech hops */
} amdi_msgend;

void amdi_msgend_reset(amdi_msgend *m);
/* Start following the greeting at ev->t_ms. */
void amdi_msgend_start(amdi_msgend *m, const amdi_evidence *ev);
/*
 * One frame. Returns 1 with *res filled (answered_by, cause, confidence,
 * greeting_end_ms, beep_*) when the greeting ended; 0 while it goes on.
 */
int amdi_msgend_frame(amdi_msgend *m, const amd_config *cfg, const amdi_evidence *ev, amd_result *res);
/* End of audio: decide from what was seen (res filled; always returns 1). ev may be NULL. */
int amdi_msgend_finish(amdi_msgend *m, const amd_config *cfg, const amdi_evidence *ev, amd_result *res);
/* Trace state name. */
const char *amdi_msgend_state(const amdi_msgend *m, const amdi_evidence *ev);

#endif /* AMDI_MESSAGE_END_H */
