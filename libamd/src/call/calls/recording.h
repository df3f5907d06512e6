/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * Call recordings (Record=true): 16-bit PCM WAV files written frame by frame from the media
 * clock, mono (the chosen track) or dual (channel 1 our side, channel 2 the far end).
 *
 * Every write is checked. The first one that fails (a full disk, an I/O error) stops the
 * recording: the file is cut back to the last whole frame and its header made to say what it
 * holds, so a failed recording is a valid WAV of exactly the audio that was written. A
 * recording with no audio at all leaves no file behind. Files are 0600 in a 0700 folder,
 * whatever the umask (recordings are private call audio). */
#ifndef AMDI_RECORDING_H
#define AMDI_RECORDING_H

#include <stddef.h>
#include <stdint.h>

typedef struct amdi_recording amdi_recording;

/* Create the recordings folder @p dir (0700) if it does not exist, and narrow an existing
 * one we own that others can read to 0700. 0 or AMD_EIO (message in @p err). */
int amdi_recording_dir_prepare(const char *dir, char *err, size_t errlen);

/* Prepare @p dir and create dir/<sid>.wav (0600; an existing file is an error). @p track:
 * "inbound" (far end), "outbound" (our side) or "both" (mixed) for mono; dual ignores it.
 * 0 or AMD_EIO (message in @p err; no file is left behind). */
int amdi_recording_open(const char *dir, const char *sid, int rate, int dual, const char *track,
                        amdi_recording **out, char *err, size_t errlen);
/* One frame: @p inbound (far end) and @p outbound (our side; NULL = silence), @p n samples each.
 * 0; AMD_EIO when this write failed (the recording stops here: the reason is kept for close);
 * AMD_ESTATE when an earlier write had failed (nothing written). */
int amdi_recording_write(amdi_recording *r, const float *inbound, const float *outbound, size_t n);
/* Finish the header and close. @p frames (may be NULL) gets the frames (samples per channel)
 * the file holds. 0 when the recording was written whole; AMD_EIO when any write failed (the
 * reason in @p err), in which case a file with no audio is removed. */
int amdi_recording_close(amdi_recording *r, int64_t *frames, char *err, size_t errlen);
int amdi_recording_rate(const amdi_recording *r);
/* Close without touching the file again (no header, no removal): another process already
 * closed this recording out (store_cluster.h) and the file is its now. */
void amdi_recording_abandon(amdi_recording *r);
/* After a crash: make the file at @p path (left open by a dead process) a valid WAV of the
 * whole frames it holds, and report them (@p frames, @p rate). A file with no audio, or that is
 * not one of these recordings, is removed (frames 0). 0, or AMD_EIO when it could not be fixed
 * (removed too). A missing file is 0 frames. */
int amdi_recording_repair(const char *path, int64_t *frames, int *rate);
/* Why the recording failed ("" while it has not). */
const char *amdi_recording_error(const amdi_recording *r);

#endif
