/* SPDX-License-Identifier: MIT */
/* Call recordings (Record=true): 16-bit PCM WAV files written frame by frame from the media
 * clock, mono (the chosen track) or dual (channel 1 our side, channel 2 the far end). */
#ifndef AMDI_RECORDING_H
#define AMDI_RECORDING_H

#include <stddef.h>
#include <stdint.h>

typedef struct amdi_recording amdi_recording;

/* Create @p dir if needed and open dir/<sid>.wav. @p track: "inbound" (far end), "outbound"
 * (our side) or "both" (mixed) for mono; dual ignores it. 0 or AMD_EIO (message in @p err). */
int amdi_recording_open(const char *dir, const char *sid, int rate, int dual, const char *track,
                        amdi_recording **out, char *err, size_t errlen);
/* One frame: @p inbound (far end) and @p outbound (our side; NULL = silence), @p n samples each. */
void amdi_recording_write(amdi_recording *r, const float *inbound, const float *outbound, size_t n);
/* Close; returns the frames written (samples per channel). */
int64_t amdi_recording_close(amdi_recording *r);
int amdi_recording_rate(const amdi_recording *r);

#endif
