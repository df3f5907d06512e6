/* SPDX-License-Identifier: MIT */
/*
 * The analysis frame handed to every per-frame module (VAD, tone detectors,
 * decision engines). Internal.
 *
 * Audio is resampled to AMDI_RATE and cut into hops of AMDI_HOP samples
 * (10 ms). Each hop completes one frame: the newest AMDI_WIN samples are
 * Hann-windowed and transformed with a real FFT planned at create. Time of a
 * frame is the end of its hop, so frame k covers audio up to (k+1)*10 ms and
 * a decision taken on it carries decision_ms = (k+1)*10.
 */
#ifndef AMDI_FRAME_H
#define AMDI_FRAME_H

#include <stdint.h>

#define AMDI_RATE 8000               /* internal sample rate, Hz */
#define AMDI_HOP 80                  /* 10 ms hop */
#define AMDI_HOP_MS 10
#define AMDI_WIN 256                 /* analysis window / FFT length (32 ms) */
#define AMDI_BINS (AMDI_WIN / 2 + 1) /* 129 bins, 31.25 Hz apart */
#define AMDI_BIN_HZ ((float)AMDI_RATE / (float)AMDI_WIN)

typedef struct amdi_frame {
    int64_t index;      /* frame number since answer, from 0 */
    int64_t end_ms;     /* (index + 1) * AMDI_HOP_MS */
    const float *hop;   /* the AMDI_HOP newest samples, DC removed, s16 scale (±32768) */
    const float *win;   /* the AMDI_WIN newest samples (oldest first), unwindowed, s16 scale */
    const float *power; /* AMDI_BINS power spectrum |X(k)|^2 of the Hann-windowed window */
    float energy;       /* mean square of hop (s16 scale squared) */
    float level_db;     /* 10*log10(energy / 32768^2), dBFS, floor -100 */
    float mean_abs;     /* mean |sample| of hop on the s16 scale (word engine's SilenceThreshold) */
    int concealed;      /* packet loss: the spectrum is the one heard before a gap, repeated
                           (detector.c); 0 for every frame of lossless audio */
} amdi_frame;

#endif /* AMDI_FRAME_H */
