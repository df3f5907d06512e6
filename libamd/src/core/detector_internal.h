/* SPDX-License-Identifier: MIT */
/* The detector object (opaque in the public API; visible to the unit tests). Internal. */
#ifndef AMDI_DETECTOR_INTERNAL_H
#define AMDI_DETECTOR_INTERNAL_H

#include "amd/detector.h"
#include "analysis.h"
#include "dtmf.h"
#include "engine.h"
#include "input.h"
#include "message_end.h"
#include "tones.h"
#include "vad.h"

/* 2.56 s of per-frame history: longer than the longest beep the tone detector reports (1.2 s). */
#define AMDI_RAW_HIST 256

struct amd_detector {
    amd_config cfg;
    size_t mem_bytes;         /* the single allocation (+ the resampler's, estimated) */
    amd_event_fn ev_fn;
    void *ev_user;
    amd_frame_fn fr_fn;
    void *fr_user;

    amdi_input in;
    amdi_analysis an;
    amdi_vad vad;
    amdi_tones *tones;        /* inside the allocation */
    const amdi_engine_vt *eng;
    void *eng_state;          /* inside the allocation */
    amdi_msgend me;

    amdi_evidence ev;         /* the latest frame's evidence + utterance bookkeeping */
    int have_frame;           /* ev describes at least one frame */
    amdi_vad_out vo;
    amdi_tone_event tev[AMDI_TONES_MAX_EVENTS];

    /* Raw VAD decisions of the last AMDI_RAW_HIST frames (bit set = speech), to check that a
     * reported beep did not overlap speech. */
    uint8_t raw_hist[AMDI_RAW_HIST / 8];
    int64_t raw_hist_frames;  /* frames recorded so far */

    /* Tone hold (see detector.c may_hold, AMDI_TONE_HOLD_MS): an engine's human / unknown verdict, or
     * DetectMessageEnd's silence end, waiting while a tone event may be about to arrive. */
    int held;                 /* an engine verdict is held */
    amdi_engine_decision held_dec;
    int64_t held_since_ms;    /* first frame of the current hold (engine verdict or silence end) */
    int msgend_held;          /* the silence end is being held */

    /* Added: packet loss, event selection, signal events. */
    int64_t lost_run_ms;      /* length of the current run of lost hops */
    int gap_cut;              /* the current gap outlasted AMD_LOST_HOLD_MS: speech run ended */
    unsigned ev_mask;         /* events delivered (AMD_EVENT_BIT) */
    int in_callback;          /* an event is being delivered: ev_info describes it */
    amd_event_info ev_info;
    int beep_active;          /* a beep-band tone was active on the last heard frame */
    /* Packet-loss concealment for the tone detectors (detector.c splice_tone_frame): the last
     * frame heard before the current / latest gap, and the heard hops whose window still holds
     * audio from before that gap. */
    amdi_frame gap_frame;     /* its power points to gap_power */
    float gap_power[AMDI_BINS];
    int gap_tone;             /* a steady tone was playing (or starting) when the gap began */
    int splice_left;          /* heard hops left whose window spans the gap's splice */
    amdi_dtmf dtmf;           /* runs while AMD_EVENT_DTMF is selected */

    amd_result res;
    int decided;              /* final decision made */
    int machine_known;        /* DetectMessageEnd: provisional machine event raised */
    int finished;             /* amd_detector_finish called */
};

#endif /* AMDI_DETECTOR_INTERNAL_H */
