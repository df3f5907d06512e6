/* SPDX-License-Identifier: MIT */
/*
 * Special information tone (SIT) detector: the three-tone sequence a carrier
 * plays before an intercept announcement. Internal; run by tones.c. See
 * sit_detector.c for the specifications and tolerances.
 */
#ifndef AMDI_SIT_DETECTOR_H
#define AMDI_SIT_DETECTOR_H

#include <stdint.h>

#include "tone_analysis.h"
#include "tones.h"

typedef struct amdi_sit_seg {
    float hz;        /* mean frequency */
    int64_t first;   /* first / last tone frame */
    int64_t last;
} amdi_sit_seg;

typedef struct amdi_sit {
    int done;
    int on;              /* a segment is being tracked */
    amdi_sit_seg cur;
    double fsum;
    int n;
    amdi_sit_seg hist[2]; /* the two segments before cur: hist[1] is the most recent */
    int nhist;
    int pending; /* a SIT may be forming */
    int active;
    float active_hz;
} amdi_sit;

void amdi_sit_init(amdi_sit *s);
void amdi_sit_reset(amdi_sit *s);
/* One frame. Returns 1 and fills *ev when a SIT triplet is confirmed, else 0. */
int amdi_sit_frame(amdi_sit *s, const amdi_tone_analysis *a, amdi_tone_event *ev);

#endif /* AMDI_SIT_DETECTOR_H */
