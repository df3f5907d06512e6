/* SPDX-License-Identifier: MIT */
/* Reference-counted decoded audio (pcm.h). */
#include "media/pcm.h"

#include <stdlib.h>

amdi_pcm *amdi_pcm_create(float *samples, size_t n)
{
    amdi_pcm *p = malloc(sizeof *p);
    if (!p) {
        free(samples);
        return NULL;
    }
    p->samples = samples;
    p->n = samples ? n : 0;
    p->owned_ = samples;
    __atomic_store_n(&p->refs_, 1, __ATOMIC_RELAXED);
    return p;
}

amdi_pcm *amdi_pcm_ref(amdi_pcm *p)
{
    __atomic_add_fetch(&p->refs_, 1, __ATOMIC_RELAXED);
    return p;
}

void amdi_pcm_unref(amdi_pcm *p)
{
    if (!p)
        return;
    /* acq_rel: every user's reads of the samples happen before the free */
    if (__atomic_sub_fetch(&p->refs_, 1, __ATOMIC_ACQ_REL) == 0) {
        free(p->owned_);
        free(p);
    }
}

size_t amdi_pcm_bytes(const amdi_pcm *p)
{
    return sizeof *p + p->n * sizeof(float);
}
