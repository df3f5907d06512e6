/* SPDX-License-Identifier: MIT */
/*
 * vad_frames — dump the VAD's per-frame classifier inputs, for training the
 * frame classifier in libamd/src/core/vad.c (bench/vad_train.py drives it).
 * Not a test and not a benchmark of speed.
 *
 *   vad_frames RATE < audio.s16   (headerless s16 little-endian mono)
 *
 * Prints one line per 10 ms hop: end_ms, valid (the classifier ran: above the
 * level gate, not a tone), then the AMDI_VAD_NFEAT features.
 */
#include <stdio.h>
#include <stdlib.h>

#include "analysis.h"
#include "input.h"
#include "vad.h"

typedef struct ctx {
    amdi_analysis an;
    amdi_vad vad;
} ctx;

static int on_hop(void *user, const float *hop)
{
    ctx *c = user;
    const amdi_frame *f = amdi_analysis_hop(&c->an, hop);
    amdi_vad_out o;
    amdi_vad_frame(&c->vad, &c->an, f, 0, &o);
    int valid = o.prob > 0.f || o.feat[0] != 0.f;
    printf("%lld %d", (long long)f->end_ms, valid);
    for (int i = 0; i < AMDI_VAD_NFEAT; i++)
        printf(" %.4f", (double)o.feat[i]);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    int rate = argc > 1 ? atoi(argv[1]) : 8000;
    amdi_input in;
    if (amdi_input_init(&in, rate) != 0) {
        fprintf(stderr, "usage: vad_frames RATE < audio.s16 (RATE 8000..48000)\n");
        return 2;
    }
    static ctx c;
    void *mem = NULL;
    if (posix_memalign(&mem, 64, amdi_analysis_buf_size()) != 0 || amdi_analysis_init(&c.an, mem) != 0)
        return 1;
    amdi_vad_init(&c.vad);
    int16_t buf[4096];
    size_t n;
    while ((n = fread(buf, sizeof(int16_t), 4096, stdin)) > 0)
        amdi_input_push(&in, AMDI_FMT_S16, buf, n, on_hop, &c);
    amdi_analysis_free(&c.an);
    amdi_input_free(&in);
    free(mem);
    return 0;
}
