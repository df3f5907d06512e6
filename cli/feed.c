/* SPDX-License-Identifier: MIT */
#include "feed.h"

#include <stdio.h>
#include <string.h>

/* Samples per read: 4096 is ~0.5 s at 8 kHz, big enough to make I/O overhead vanish and
 * small enough to live on a worker thread's stack. */
#define CLI_FEED_BLOCK 4096

void cli_feed_file(const char *path, const amdi_audio_open_opts *input, const amd_config *cfg,
                   const cli_feed_hooks *hooks, cli_outcome *out)
{
    memset(out, 0, sizeof *out);
    out->result.answered_by = AMD_ANSWERED_NONE;
    char err[200] = "";
    amdi_audio_file *af = NULL;
    amd_detector *det = NULL;
    int rc = amdi_audio_file_open(path, input, &af, err, sizeof err);
    if (rc) {
        snprintf(out->error, sizeof out->error, "%s", err[0] ? err : amd_strerror(rc));
        return;
    }
    const amdi_audio_info *info = amdi_audio_file_info(af);
    out->sample_rate = info->sample_rate;
    out->channels = info->channels;
    snprintf(out->format, sizeof out->format, "%s", info->format);

    amd_config c = *cfg;
    c.sample_rate = info->sample_rate;
    rc = amd_detector_create(&c, &det, err, sizeof err);
    if (rc) {
        if (rc == AMD_EINVAL && (c.sample_rate < 8000 || c.sample_rate > 48000))
            snprintf(out->error, sizeof out->error,
                     "sample rate %d Hz is not supported by the detector (8000..48000 Hz)",
                     c.sample_rate);
        else
            snprintf(out->error, sizeof out->error, "detector: %s", err[0] ? err : amd_strerror(rc));
        goto done;
    }
    if (hooks && hooks->frame_fn)
        amd_detector_set_frame_callback(det, hooks->frame_fn, hooks->frame_user);

    float block[CLI_FEED_BLOCK];
    int64_t total = 0;
    for (;;) {
        long n = amdi_audio_file_read(af, block, CLI_FEED_BLOCK, err, sizeof err);
        if (n < 0) {
            snprintf(out->error, sizeof out->error, "%s", err[0] ? err : amd_strerror((int)n));
            goto done;
        }
        if (n == 0)
            break;
        if (hooks && hooks->samples_fn)
            hooks->samples_fn(hooks->samples_user, block, (size_t)n, info->sample_rate);
        rc = amd_detector_process_float(det, block, (size_t)n);
        if (rc < 0) {
            snprintf(out->error, sizeof out->error, "detector rejected the audio at %.3f s: %s",
                     (double)total / info->sample_rate, amd_strerror(rc));
            goto done;
        }
        total += n;
    }
    if (total == 0) {
        snprintf(out->error, sizeof out->error, "no audio samples in the file");
        goto done;
    }
    out->duration_ms = total * 1000 / info->sample_rate;
    rc = amd_detector_finish(det);
    if (rc < 0) {
        snprintf(out->error, sizeof out->error, "detector: %s", amd_strerror(rc));
        goto done;
    }
    amd_detector_result(det, &out->result);
    out->ok = 1;
done:
    amd_detector_destroy(det);
    amdi_audio_file_close(af);
}
