/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The compact per-call frame summary of an AMD decision: the same per-10-ms analysis that
 * `amd trace` shows (level, noise floor, VAD, tones, decision-logic state; from the detector's
 * frame callback, amd_frame_info) plus the decision, packed so that a call with AMD costs
 * 3 bytes per 10 ms of audio up to its decision (at most AMDI_SUMMARY_MAX_FRAMES frames) and a
 * few bytes per state change. It is stored beside the call and deleted with it.
 *
 * Blob layout (version 1, little-endian):
 *   "AMS1", i32 t0_ms (end of the first frame), i32 decision_ms, i32 speech_onset_ms,
 *   i32 greeting_end_ms, i32 beep_start_ms, i32 beep_end_ms, u16 beep_hz, u8 answered_by,
 *   u8 cause, u16 confidence x 10000, u32 n_frames, u16 n_states (top bit: frames or state
 *   changes were cut at their caps),
 *   n_frames x {u8 -level_db, u8 -noise_floor_db, u8 flags}   flags: bit 0 speech,
 *     bits 1-3 tone kind (0 none, 1 beep, 2 ced, 3 cng, 4 v21, 5 sit, 6 other),
 *     bits 4-7 speech probability x 15
 *   n_states x {u32 first frame index, u8 name length, name bytes}
 * Decoding checks every length: a blob that does not hold what its header says is refused. */
#ifndef AMDI_AMD_SUMMARY_H
#define AMDI_AMD_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "amd/detector.h"
#include "strbuf.h"

/* 60 s of frames: MachineDetectionTimeout is at most 59 s, so every decision fits. */
#define AMDI_SUMMARY_MAX_FRAMES 6000
#define AMDI_SUMMARY_FRAME_BYTES 3

typedef struct amdi_summary amdi_summary;

/* A new, empty summary builder (NULL when out of memory). */
amdi_summary *amdi_summary_new(void);
void amdi_summary_free(amdi_summary *s);
/* An amd_frame_fn: append one analysis frame (@p user is the builder). */
void amdi_summary_frame(void *user, const amd_frame_info *fi);
/* Pack the frames so far and the decision @p r into a malloc'd blob. 0 or AMD_ENOMEM. */
int amdi_summary_pack(const amdi_summary *s, const amd_result *r, uint8_t **blob, size_t *len);

/* A decoded summary (views into nothing: everything is copied). */
typedef struct amdi_summary_frame_rec {
    int8_t level_db, noise_floor_db;
    uint8_t speech, tone, prob15;
} amdi_summary_frame_rec;

typedef struct amdi_summary_view {
    int32_t t0_ms, decision_ms, speech_onset_ms, greeting_end_ms, beep_start_ms, beep_end_ms;
    int beep_hz;
    amd_answered_by answered_by;
    amd_cause cause;
    float confidence;
    int truncated;
    size_t n_frames, n_states;
    amdi_summary_frame_rec *frames; /* malloc'd */
    uint32_t *state_at;             /* malloc'd: first frame of each state run */
    char (*state_name)[32];         /* malloc'd */
} amdi_summary_view;

/* Decode; 0, AMD_EFORMAT (not a valid summary) or AMD_ENOMEM. */
int amdi_summary_decode(const uint8_t *blob, size_t len, amdi_summary_view *v);
void amdi_summary_view_free(amdi_summary_view *v);
/* Name of tone kind code @p k (NULL for 0). */
const char *amdi_summary_tone_name(int k);
/* The summary as JSON: the decision, per-frame arrays and the derived spans (speech segments,
 * tones, state changes) the picture draws, appended to @p out. 0 or an AMD_E* code. */
int amdi_summary_json(const uint8_t *blob, size_t len, amdi_buf *out);

#endif
