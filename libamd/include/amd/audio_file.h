/* SPDX-License-Identifier: MIT */
/**
 * @file audio_file.h
 * Reading recorded calls (part of the amdcall library; uses libsndfile).
 *
 * Any format libsndfile reads (WAV incl. µ-law/A-law/GSM 06.10, AU, FLAC,
 * OGG, ...), headerless G.711 / s16 with an explicit rate, and "-" for stdin.
 * Multi-channel audio is down-mixed to mono, or one channel is selected.
 * Samples come out as float on the s16 scale's unit range [-1, 1].
 *
 * Threading: one reader per thread at a time; readers are independent.
 */
#ifndef AMD_AUDIO_FILE_H
#define AMD_AUDIO_FILE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Headerless input encodings. */
typedef enum amd_raw_format {
    AMD_RAW_NONE = 0, /**< not raw: let libsndfile read the header */
    AMD_RAW_ULAW,     /**< headerless G.711 µ-law bytes */
    AMD_RAW_ALAW,     /**< headerless G.711 A-law bytes */
    AMD_RAW_S16       /**< headerless signed 16-bit little-endian */
} amd_raw_format;

/** Options for amd_audio_file_open; zero-initialise for the defaults. */
typedef struct amd_audio_open_opts {
    amd_raw_format raw; /**< AMD_RAW_NONE (default) or a headerless encoding */
    int raw_rate;       /**< sample rate for raw input, Hz (required when raw) */
    int raw_channels;   /**< channels for raw input; 0 means 1 */
    int channel;        /**< 0: down-mix all channels; N >= 1: use only channel N */
} amd_audio_open_opts;

/** What the file holds. */
typedef struct amd_audio_info {
    int sample_rate;   /**< Hz */
    int channels;      /**< channels in the file (output is always mono) */
    int64_t frames;    /**< frames in the file, -1 if unknown (pipes) */
    char format[48];   /**< short description, e.g. "WAV u-law", "raw alaw" */
} amd_audio_info;

typedef struct amd_audio_file amd_audio_file;

/**
 * Open @p path ("-" = stdin). Rejects non-audio, absurd headers (rate outside
 * 1000..384000 Hz, 0 or > 64 channels) and a @p opts->channel beyond the
 * file's channels.
 * @return 0; AMD_ENOTFOUND, AMD_EIO, AMD_EFORMAT, AMD_EINVAL, AMD_ENOMEM, with
 *         a message naming the reason in @p err.
 */
int amd_audio_file_open(const char *path, const amd_audio_open_opts *opts, amd_audio_file **out,
                        char *err, size_t errlen);

/** File properties; valid until close. */
const amd_audio_info *amd_audio_file_info(const amd_audio_file *f);

/**
 * Read up to @p max mono samples as float in [-1, 1].
 * @return samples read (0 at end of file); AMD_EFORMAT if the data holds
 *         NaN / Inf or the file is corrupt / truncated mid-frame (message in @p err),
 *         AMD_EIO on read errors.
 */
long amd_audio_file_read(amd_audio_file *f, float *buf, size_t max, char *err, size_t errlen);

/** Close; NULL is a no-op. */
void amd_audio_file_close(amd_audio_file *f);

#ifdef __cplusplus
}
#endif
#endif /* AMD_AUDIO_FILE_H */
