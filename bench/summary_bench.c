/* SPDX-License-Identifier: MIT */
/* What the console's per-call AMD frame summary (src/call/analysis/amd_summary.h) adds to a
 * call's detector: the same audio run through detectors without and with the summary's frame
 * callback, alternating, in one process; prints ns per 10 ms frame for both and the ratio,
 * and the packed summary's size.
 *   build/bench/summary_bench testdata/NAME.wav... (e.g. every testdata WAV) */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amd/detector.h"
#include "amd_summary.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One pass over @p x: frames analysed up to the decision (the server destroys the detector
 * there), and the summary's packed size when @p with_summary. */
static long run(const float *x, size_t n, int rate, int with_summary, size_t *blob_len)
{
    amd_config cfg;
    amd_config_init(&cfg);
    cfg.sample_rate = rate;
    amd_detector *d;
    char err[200];
    if (amd_detector_create(&cfg, &d, err, sizeof err))
        return -1;
    amdi_summary *s = with_summary ? amdi_summary_new() : NULL;
    if (s)
        amd_detector_set_frame_callback(d, amdi_summary_frame, s);
    size_t chunk = (size_t)rate / 50, i = 0; /* 20 ms, as the media clock feeds */
    for (; i < n; i += chunk)
        if (amd_detector_process_float(d, x + i, i + chunk <= n ? chunk : n - i) == 1)
            break;
    amd_result r;
    if (amd_detector_result(d, &r) != 1)
        amd_detector_finish(d), amd_detector_result(d, &r);
    if (s) {
        uint8_t *b;
        if (!amdi_summary_pack(s, &r, &b, blob_len))
            free(b);
        amdi_summary_free(s);
    }
    amd_detector_destroy(d);
    return (long)((i < n ? i : n) * 100 / (size_t)rate);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: summary_bench FILE.wav...\n");
        return 2;
    }
    double t[2] = {0, 0};
    long frames = 0;
    size_t bytes = 0, files = 0;
    for (int rep = 0; rep < 20; rep++) {
        for (int a = 1; a < argc; a++) {
            SF_INFO info;
            memset(&info, 0, sizeof info);
            SNDFILE *f = sf_open(argv[a], SFM_READ, &info);
            if (!f || info.channels != 1)
                continue;
            float *x = malloc(sizeof(float) * (size_t)info.frames);
            size_t n = (size_t)sf_readf_float(f, x, info.frames);
            sf_close(f);
            for (int k = 0; k < 2; k++) { /* alternate: noise hits both alike */
                int with = (rep + k) % 2;
                size_t len = 0;
                double t0 = now_s();
                long fr = run(x, n, info.samplerate, with, &len);
                t[with] += now_s() - t0;
                if (with && rep == 0) {
                    frames += fr;
                    bytes += len;
                    files++;
                }
            }
            free(x);
        }
    }
    long all = frames * 20;
    printf("files %zu, frames up to the decision %ld (x20 passes)\n", files, frames);
    printf("without summary: %.0f ns per 10 ms frame\n", t[0] * 1e9 / (double)all);
    printf("with summary:    %.0f ns per 10 ms frame (ratio %.3f)\n", t[1] * 1e9 / (double)all, t[1] / t[0]);
    printf("packed summary: %.0f bytes per call on average\n", files ? (double)bytes / (double)files : 0.0);
    return 0;
}
