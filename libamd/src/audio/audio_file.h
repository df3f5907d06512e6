/* SPDX-License-Identifier: MIT */
/**
 * @file audio_file.h
 * Reading recorded calls: the internal static library `amdaudio` (libsndfile only).
 *
 * Not part of any installed API. Linked into the `amd` CLI, the call library
 * (`amdcall`, for simulated far ends), the examples, tests and benchmarks; it
 * needs neither the detector nor the call library, so the CLI builds with
 * -DAMD_BUILD_CALL=OFF.
 *
 * Any format libsndfile reads (WAV incl. µ-law/A-law/GSM 06.10, AU, FLAC,
 * OGG, ...), headerless G.711 / s16 with an explicit rate, and "-" for stdin.
 * Multi-channel audio is down-mixed to mono, or one channel is selected.
 * Samples come out as float on the s16 scale's unit range [-1, 1].
 *
 * Threading: one reader per thread at a time; readers are independent.
 */
#ifndef AMDI_AUDIO_FILE_H
#define AMDI_AUDIO_FILE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Headerless input encodings. */
typedef enum amdi_raw_format {
    AMDI_RAW_NONE = 0, /**< not raw: let libsndfile read the header */
    AMDI_RAW_ULAW,     /**< headerless G.711 µ-law bytes */
    AMDI_RAW_ALAW,     /**< headerless G.711 A-law bytes */
    AMDI_RAW_S16       /**< headerless signed 16-bit little-endian */
} amdi_raw_format;

/** Options for amdi_audio_file_open; zero-initialise for the defaults. */
typedef struct amdi_audio_open_opts {
    amdi_raw_format raw; /**< AMDI_RAW_NONE (default) or a headerless encoding */
    int raw_rate;       /**< sample rate for raw input, Hz (required when raw) */
    int raw_channels;   /**< channels for raw input; 0 means 1 */
    int channel;        /**< 0: down-mix all channels; N >= 1: use only channel N */
} amdi_audio_open_opts;

/** What the file holds. */
typedef struct amdi_audio_info {
    int sample_rate;   /**< Hz */
    int channels;      /**< channels in the file (output is always mono) */
    int64_t frames;    /**< frames in the file, -1 if unknown (pipes) */
    char format[48];   /**< short description, e.g. "WAV u-law", "raw alaw" */
} amdi_audio_info;

typedef struct amdi_audio_file amdi_audio_file;

/**
 * Open @p path ("-" = stdin). Rejects non-audio, absurd headers (rate outside
 * 1000..384000 Hz, 0 or > 64 channels) and a @p opts->channel beyond the
 * file's channels.
 * @return 0; AMD_ENOTFOUND, AMD_EIO, AMD_EFORMAT, AMD_EINVAL, AMD_ENOMEM, with
 *         a message naming the reason in @p err.
 */
int amdi_audio_file_open(const char *path, const amdi_audio_open_opts *opts, amdi_audio_file **out,
                         char *err, size_t errlen);

/** File properties; valid until close. */
const amdi_audio_info *amdi_audio_file_info(const amdi_audio_file *f);

/**
 * Read up to @p max mono samples as float in [-1, 1].
 * @return samples read (0 at end of file); AMD_EFORMAT if the data holds
 *         NaN / Inf or the file is corrupt / truncated mid-frame (message in @p err),
 *         AMD_EIO on read errors.
 */
long amdi_audio_file_read(amdi_audio_file *f, float *buf, size_t max, char *err, size_t errlen);

/** Close; NULL is a no-op. */
void amdi_audio_file_close(amdi_audio_file *f);

#ifdef __cplusplus
}
#endif
#endif /* AMDI_AUDIO_FILE_H */
