/* SPDX-License-Identifier: MIT */
#include "recording.h"

#include <errno.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "amd/error.h"

#define MAX_FRAME 960 /* 20 ms at 48 kHz */

struct amdi_recording {
    SNDFILE *f;
    int rate, dual, track; /* track: 0 inbound, 1 outbound, 2 both */
    int64_t frames;
    float buf[2 * MAX_FRAME];
};

int amdi_recording_open(const char *dir, const char *sid, int rate, int dual, const char *track,
                        amdi_recording **out, char *err, size_t errlen)
{
    *out = NULL;
    if (mkdir(dir, 0755) && errno != EEXIST) {
        snprintf(err, errlen, "recordings folder %s: %s", dir, strerror(errno));
        return AMD_EIO;
    }
    amdi_recording *r = calloc(1, sizeof *r);
    if (!r)
        return AMD_ENOMEM;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wav", dir, sid);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = dual ? 2 : 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    r->f = sf_open(path, SFM_WRITE, &info);
    if (!r->f) {
        snprintf(err, errlen, "recording %s: %s", path, sf_strerror(NULL));
        free(r);
        return AMD_EIO;
    }
    r->rate = rate;
    r->dual = dual;
    r->track = track && !strcmp(track, "outbound") ? 1 : track && !strcmp(track, "both") ? 2 : 0;
    *out = r;
    return 0;
}

void amdi_recording_write(amdi_recording *r, const float *in, const float *outb, size_t n)
{
    if (!r || n > MAX_FRAME)
        return;
    for (size_t i = 0; i < n; i++) {
        float a = in ? in[i] : 0.0f, b = outb ? outb[i] : 0.0f;
        if (r->dual) {
            r->buf[2 * i] = b;     /* channel 1: our side */
            r->buf[2 * i + 1] = a; /* channel 2: the far end */
        } else {
            float m = r->track == 0 ? a : r->track == 1 ? b : a + b;
            r->buf[i] = m > 1.0f ? 1.0f : m < -1.0f ? -1.0f : m;
        }
    }
    sf_writef_float(r->f, r->buf, (sf_count_t)n);
    r->frames += (int64_t)n;
}

int amdi_recording_rate(const amdi_recording *r)
{
    return r ? r->rate : 0;
}

int64_t amdi_recording_close(amdi_recording *r)
{
    if (!r)
        return 0;
    int64_t n = r->frames;
    sf_close(r->f);
    free(r);
    return n;
}
