/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the audio-file reader the CLI and the simulated carrier use (libamd/src/audio, and
 * through it libsndfile's container and codec parsers): corrupt, truncated, empty,
 * huge, non-audio or NaN-filled input must get a clear error, never a crash.
 *
 * Input: a 4-byte prefix chooses the open options, the rest is the file.
 *   byte 0: bits 0-1 raw format (none / µ-law / A-law / s16), bit 2 read it as stdin ("-",
 *           the in-memory virtual I/O path) instead of by name, bits 3-5 the channel to pick
 *           (0 = down-mix), bits 6-7 how the file is read (chunk sizes)
 *   byte 1-2: raw sample rate (scaled into and a little beyond the accepted range)
 *   byte 3: raw channel count
 * The file lives in a memfd, opened by its /proc/self/fd path or dup'ed onto stdin.
 *
 * Checked beyond the sanitizers: errors are the documented codes with a message; an opened
 * file's info is within the documented limits; reads never return more than asked, never a
 * non-finite sample, and a file ends (0) or fails — it does not go on for ever.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "audio_file.h"
#include "amd/error.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_audio_file: contract broken: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Compressed formats can expand a small input a lot; a few minutes of 48 kHz audio is enough to
 * reach every code path and keeps one execution short. */
#define MAX_SAMPLES (4L * 1000 * 1000)

static float buf[8192];
static int mfd = -1;
static int stdin_saved = -1;

static int valid_open_error(int rc)
{
    return rc == AMD_EFORMAT || rc == AMD_EINVAL || rc == AMD_EIO || rc == AMD_ENOTFOUND ||
           rc == AMD_ENOMEM || rc == AMD_ELIMIT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    if (mfd < 0) {
        mfd = memfd_create("fuzz_audio_file", 0);
        stdin_saved = dup(0);
        CHECK(mfd >= 0 && stdin_saved >= 0);
    }
    uint8_t ctl = data[0];
    amdi_audio_open_opts o;
    memset(&o, 0, sizeof o);
    static const amdi_raw_format raws[] = {AMDI_RAW_NONE, AMDI_RAW_ULAW, AMDI_RAW_ALAW, AMDI_RAW_S16};
    o.raw = raws[ctl & 3];
    /* 0..65535 -> 0..~393 kHz: covers the 1000..384000 Hz limits and both sides of them */
    o.raw_rate = (int)((unsigned)data[1] | (unsigned)data[2] << 8) * 6;
    o.raw_channels = data[3] % 70 - 1; /* -1..68, around the 1..64 limit */
    o.channel = (ctl >> 3) & 7;
    const int use_stdin = (ctl >> 2) & 1;
    const int read_mode = ctl >> 6;

    const uint8_t *file = data + 4;
    size_t len = size - 4;
    CHECK(ftruncate(mfd, 0) == 0);
    CHECK(pwrite(mfd, file, len, 0) == (ssize_t)len);

    char path[64];
    if (use_stdin) {
        CHECK(lseek(mfd, 0, SEEK_SET) == 0);
        CHECK(dup2(mfd, 0) == 0);
        clearerr(stdin);
        CHECK(fseek(stdin, 0, SEEK_SET) == 0); /* drops stdio's buffer of the previous input */
        snprintf(path, sizeof path, "-");
    } else {
        snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
    }

    amdi_audio_file *f = (amdi_audio_file *)buf; /* must be overwritten */
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = amdi_audio_file_open(path, &o, &f, err, sizeof err);
    CHECK(memchr(err, '\0', sizeof err) != NULL);
    if (rc != 0) {
        CHECK(valid_open_error(rc));
        CHECK(f == NULL && err[0] != '\0');
        goto out;
    }
    CHECK(f != NULL);
    const amdi_audio_info *info = amdi_audio_file_info(f);
    CHECK(info != NULL);
    CHECK(info->sample_rate >= 1000 && info->sample_rate <= 384000);
    CHECK(info->channels >= 1 && info->channels <= 64);
    CHECK(o.channel <= info->channels);
    CHECK(memchr(info->format, '\0', sizeof info->format) != NULL);

    long total = 0;
    size_t step = 1;
    for (;;) {
        size_t max;
        switch (read_mode) {
        case 0: max = sizeof buf / sizeof buf[0]; break;
        case 1: max = 1; break;
        case 2: max = step; step = step % 4999 + 1; break; /* every size from 1 up */
        default: max = 4096; break;
        }
        long n = amdi_audio_file_read(f, buf, max, err, sizeof err);
        if (n < 0) {
            CHECK(n == AMD_EFORMAT || n == AMD_EIO);
            CHECK(err[0] != '\0');
            break;
        }
        CHECK((size_t)n <= max);
        if (n == 0)
            break;
        for (long i = 0; i < n; i++)
            CHECK(isfinite(buf[i]));
        total += n;
        if (total > MAX_SAMPLES)
            break;
    }
    /* zero-length reads and bad arguments are answered, not crashed on */
    CHECK(amdi_audio_file_read(f, buf, 0, err, sizeof err) == 0);
    CHECK(amdi_audio_file_read(f, NULL, 5, err, sizeof err) == AMD_EINVAL);
    amdi_audio_file_close(f);
out:
    if (use_stdin)
        CHECK(dup2(stdin_saved, 0) == 0);
    return 0;
}
