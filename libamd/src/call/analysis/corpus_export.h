/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * Labeled calls as a labeled corpus in the project's corpus format (the manifest columns
 * `file`, `answered_by_enable`, `answered_by_detect_end`, `label`, `greeting_end_ms`,
 * `scenario`, `source`, `sample_rate`, `duration_ms`, plus `call_sid`), which `amd bench`
 * scores directly:
 *   manifest.csv          one row per exported call, oldest call first
 *   audio/<CallSid>.wav   the far end's audio from the moment of answer (what the detector
 *                         heard): channel 2 of a dual recording, or a mono `inbound` one;
 *                         16-bit PCM WAV at the recording's rate, at most its first 10 minutes
 *   skipped.csv           labeled calls that could not be exported, and why (no recording,
 *                         a recording of our side only, unreadable media)
 * No `segments/` files: an operator's label carries no speech-segment truth, and the
 * detector's own VAD segments would only score the detector against itself.
 * Files are handed to a sink (export_sink.h: a folder or a tar archive). */
#ifndef AMDI_CORPUS_EXPORT_H
#define AMDI_CORPUS_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Receives one file of the corpus (@p name relative to the corpus root). 0 or an AMD_E* code
 * (which stops the export). */
typedef int (*amdi_export_put_fn)(void *user, const char *name, const uint8_t *data, size_t len);

typedef struct amdi_export_stats {
    long labeled, exported, skipped;
} amdi_export_stats;

/* Export every labeled call of @p account. 0, or an AMD_E* code with the reason in @p err. */
int amdi_corpus_export(amdi_store *s, const char *account, amdi_export_put_fn put, void *user,
                       amdi_export_stats *stats, char *err, size_t errlen);

/* The far-end channel of the recording at @p path as a mono 16-bit WAV (malloc'd), for a
 * recording of @p channels channels with track @p track. 0; AMD_EINVAL (no far-end audio in
 * it, reason in @p err); AMD_EIO / AMD_EFORMAT (unreadable); AMD_ENOMEM. */
int amdi_export_far_end_wav(const char *path, int channels, const char *track, uint8_t **wav, size_t *len,
                            int *rate, int64_t *frames, char *err, size_t errlen);

#endif
