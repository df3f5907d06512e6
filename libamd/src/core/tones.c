/* SPDX-License-Identifier: MIT */
/*
 * Tone evidence aggregate (see tones.h). Temporary minimal version: keeps the
 * interface so the decision logic links; the beep, fax and SIT detectors are
 * plugged in by the following commits.
 */
#include "tones.h"

#include <string.h>

struct amdi_tones {
    amd_config cfg;
    int active;
    float active_hz;
    const char *active_kind;
};

size_t amdi_tones_size(void) { return (sizeof(amdi_tones) + 15u) & ~(size_t)15u; }

amdi_tones *amdi_tones_init(void *mem, const amd_config *cfg)
{
    amdi_tones *t = mem;
    if (!t || !cfg)
        return NULL;
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    return t;
}

void amdi_tones_reset(amdi_tones *t)
{
    amd_config cfg = t->cfg;
    amdi_tones_init(t, &cfg);
}

int amdi_tones_frame(amdi_tones *t, const amdi_frame *f, amdi_tone_event *ev)
{
    (void)t;
    (void)f;
    (void)ev;
    return 0;
}

int amdi_tones_active(const amdi_tones *t, float *hz, const char **kind)
{
    if (hz)
        *hz = t->active ? t->active_hz : 0.f;
    if (kind)
        *kind = t->active ? t->active_kind : NULL;
    return t->active;
}
