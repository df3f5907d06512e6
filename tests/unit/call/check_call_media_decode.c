/* SPDX-License-Identifier: MIT */
/* <Play> audio decoding (media/decode.h): every container Twilio accepts (and FLAC / Ogg),
 * written here by libsndfile at various rates and channel counts, must come out as the same
 * sound at 8 kHz, the right length, in time; anything else must be refused with 13420. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "amd/error.h"
#include "media/decode.h"

Suite *call_media_decode_suite(void);

#define PI 3.141592653589793

/* The test signal at time t: two tones, so a wrong rate or a lag shows. */
static double sig(double t)
{
    return 0.4 * sin(2 * PI * 440 * t) + 0.2 * sin(2 * PI * 1030 * t + 0.3);
}

/* Encode @p seconds of sig() as @p format at @p rate / @p ch with libsndfile; returns the bytes. */
static unsigned char *encode(int format, int rate, int ch, double seconds, size_t *len)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = format};
    ck_assert_msg(sf_format_check(&info), "format 0x%x unsupported", format);
    SNDFILE *sf = sf_open_fd(fileno(f), SFM_WRITE, &info, 0);
    ck_assert_msg(sf != NULL, "%s", sf_strerror(NULL));
    long n = lround(seconds * rate);
    float *fr = malloc((size_t)n * (size_t)ch * sizeof *fr);
    for (long i = 0; i < n; i++)
        for (int c = 0; c < ch; c++)
            fr[i * ch + c] = (float)sig((double)i / rate);
    ck_assert_int_eq(sf_writef_float(sf, fr, n), n);
    free(fr);
    sf_close(sf);
    fseek(f, 0, SEEK_END); /* sf_close leaves the descriptor's offset anywhere */
    long sz = ftell(f);
    unsigned char *b = malloc((size_t)sz);
    fseek(f, 0, SEEK_SET);
    ck_assert_int_eq(fread(b, 1, (size_t)sz, f), sz);
    fclose(f);
    *len = (size_t)sz;
    return b;
}

/* Normalised correlation of @p x (8 kHz) with sig() over samples [from, to), at lag @p lag. */
static double ncc(const float *x, size_t from, size_t to, int lag)
{
    double xy = 0, xx = 0, yy = 0;
    for (size_t i = from; i < to; i++) {
        double y = sig((double)((long)i - lag) / 8000);
        xy += x[i] * y;
        xx += (double)x[i] * x[i];
        yy += y * y;
    }
    return xy / sqrt(xx * yy + 1e-20);
}

/* Best correlation over lags -max..max (lossy codecs add delay) and the lag. */
static double best_ncc(const float *x, size_t n, int max, int *lag)
{
    double best = -2;
    for (int l = -max; l <= max; l++) {
        double c = ncc(x, 800, n - 800, l);
        if (c > best) {
            best = c;
            *lag = l;
        }
    }
    return best;
}

static amdi_pcm *decode_ok(const unsigned char *b, size_t len, const char *ct)
{
    amdi_pcm *p = NULL;
    char err[200];
    int rc = amdi_audio_decode(b, len, ct, NULL, &p, err, sizeof err);
    ck_assert_msg(rc == 0, "decode failed: %d %s", rc, err);
    return p;
}

static void check_lossless(int format, int rate, int ch, const char *ct)
{
    size_t len;
    unsigned char *b = encode(format, rate, ch, 1.5, &len);
    amdi_pcm *p = decode_ok(b, len, ct);
    ck_assert_uint_eq(p->n, 12000); /* 1.5 s at 8 kHz exactly */
    double c = ncc(p->samples, 800, p->n - 800, 0);
    ck_assert_msg(c > 0.99, "format 0x%x %d Hz x%d: correlation at lag 0 only %.4f", format, rate, ch, c);
    amdi_pcm_unref(p);
    free(b);
}

START_TEST(wav_pcm_ulaw_alaw_any_rate_in_time)
{
    check_lossless(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, "audio/wav");
    check_lossless(SF_FORMAT_WAV | SF_FORMAT_ULAW, 8000, 1, "audio/x-wav");
    check_lossless(SF_FORMAT_WAV | SF_FORMAT_ALAW, 8000, 1, "audio/wave");
    check_lossless(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, NULL);
    check_lossless(SF_FORMAT_WAV | SF_FORMAT_PCM_24, 48000, 1, "application/octet-stream");
    check_lossless(SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, 1, "audio/wav; charset=binary");
    check_lossless(SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 11025, 1, "audio/aiff");
    check_lossless(SF_FORMAT_AU | SF_FORMAT_ULAW, 8000, 1, "audio/basic");
}
END_TEST

START_TEST(flac_and_ogg)
{
    check_lossless(SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000, 1, "audio/flac");
    check_lossless(SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 22050, 2, "audio/x-flac");
    size_t len;
    unsigned char *b = encode(SF_FORMAT_OGG | SF_FORMAT_VORBIS, 22050, 1, 1.5, &len);
    amdi_pcm *p = decode_ok(b, len, "audio/ogg");
    ck_assert_uint_eq(p->n, 12000);
    int lag;
    double c = best_ncc(p->samples, p->n, 40, &lag);
    ck_assert_msg(c > 0.95 && abs(lag) <= 2, "ogg: correlation %.3f at lag %d", c, lag);
    amdi_pcm_unref(p);
    free(b);
}
END_TEST

START_TEST(mp3_when_supported)
{
    if (!amdi_decode_mp3_supported())
        return; /* the linked libsndfile has no MPEG support; Debian 12's has */
    size_t len;
    unsigned char *b = encode(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 16000, 1, 2.0, &len);
    amdi_pcm *p = decode_ok(b, len, "audio/mpeg");
    /* the encoder pads (LAME delay + last frame): a little longer, never shorter by much */
    ck_assert_msg(p->n > 15500 && p->n < 17500, "mp3: %zu samples for 2 s", p->n);
    int lag;
    double c = best_ncc(p->samples, 15000, 1200, &lag);
    ck_assert_msg(c > 0.9, "mp3: correlation %.3f (lag %d)", c, lag);
    amdi_pcm_unref(p);
    free(b);
}
END_TEST

START_TEST(headerless_from_content_type)
{
    size_t len;
    /* the RAW bytes libsndfile writes are what a carrier-style audio/ulaw file holds */
    unsigned char *b = encode(SF_FORMAT_RAW | SF_FORMAT_ULAW, 8000, 1, 1.0, &len);
    ck_assert_uint_eq(len, 8000);
    amdi_pcm *p = decode_ok(b, len, "audio/ulaw");
    ck_assert_uint_eq(p->n, 8000);
    ck_assert(ncc(p->samples, 800, 7200, 0) > 0.99);
    amdi_pcm_unref(p);
    free(b);
    b = encode(SF_FORMAT_RAW | SF_FORMAT_ALAW, 16000, 1, 1.0, &len);
    p = decode_ok(b, len, "audio/x-alaw;rate=16000");
    ck_assert_uint_eq(p->n, 8000);
    ck_assert(ncc(p->samples, 800, 7200, 0) > 0.99);
    amdi_pcm_unref(p);
    free(b);
    b = encode(SF_FORMAT_RAW | SF_FORMAT_PCM_16 | SF_ENDIAN_BIG, 16000, 2, 1.0, &len);
    p = decode_ok(b, len, "audio/L16; rate=16000; channels=2");
    ck_assert_uint_eq(p->n, 8000);
    ck_assert(ncc(p->samples, 800, 7200, 0) > 0.99);
    amdi_pcm_unref(p);
    /* raw bytes with no type that says how to read them are refused */
    amdi_pcm *q = (amdi_pcm *)1;
    ck_assert_int_eq(amdi_audio_decode(b, len, "audio/mpeg", NULL, &q, NULL, 0), AMD_EFORMAT);
    ck_assert_ptr_null(q);
    char err[100];
    ck_assert_int_eq(amdi_audio_decode(b, len, "audio/l16;rate=5", NULL, &q, err, sizeof err), AMD_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err, "rate"));
    free(b);
}
END_TEST

START_TEST(bad_input_refused_with_13420)
{
    char err[200];
    amdi_pcm *p = NULL;
    static const char html[] = "<html><body>404 Not Found</body></html>";
    size_t len;
    unsigned char *wav = encode(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 1.0, &len);
    /* a WAV served as an HTML page: the header must match the bytes */
    int rc = amdi_audio_decode(wav, len, "text/html; charset=utf-8", NULL, &p, err, sizeof err);
    ck_assert_int_eq(rc, AMD_EFORMAT);
    ck_assert_int_eq(amdi_decode_twilio_code(rc), 13420);
    ck_assert_ptr_nonnull(strstr(err, "text/html"));
    rc = amdi_audio_decode(html, sizeof html - 1, "audio/wav", NULL, &p, err, sizeof err);
    ck_assert_int_eq(rc, AMD_EFORMAT);
    ck_assert(err[0] != '\0');
    ck_assert_int_eq(amdi_audio_decode("", 0, NULL, NULL, &p, err, sizeof err), AMD_EFORMAT);
    /* an empty body with a headerless type (fuzz_media_decode regress-empty-raw-alaw: it used
     * to resample into a NULL buffer) */
    ck_assert_int_eq(amdi_audio_decode("", 0, "audio/alaw; rate=8000; channels=2", NULL, &p, err, sizeof err),
                     AMD_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    /* a valid header with no samples is silence of length 0, at any rate */
    size_t hlen;
    unsigned char *hdr = encode(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 0.0, &hlen);
    ck_assert_int_eq(amdi_audio_decode(hdr, hlen, "audio/wav", NULL, &p, err, sizeof err), 0);
    ck_assert_uint_eq(p->n, 0);
    amdi_pcm_unref(p);
    free(hdr);
    hdr = encode(SF_FORMAT_RAW | SF_FORMAT_ULAW, 8000, 1, 0.001, &hlen); /* 8 raw bytes */
    ck_assert_int_eq(amdi_audio_decode(hdr, hlen, "audio/ulaw", NULL, &p, err, sizeof err), 0);
    ck_assert_uint_eq(p->n, 8);
    amdi_pcm_unref(p);
    free(hdr);
    ck_assert_int_eq(amdi_audio_decode(NULL, 5, NULL, NULL, &p, err, sizeof err), AMD_EINVAL);
    ck_assert_int_eq(amdi_audio_decode(wav, len, NULL, NULL, NULL, err, sizeof err), AMD_EINVAL);
    /* the caps */
    amdi_decode_opts o = {.max_input_bytes = len - 1};
    rc = amdi_audio_decode(wav, len, NULL, &o, &p, err, sizeof err);
    ck_assert_int_eq(rc, AMD_ELIMIT);
    ck_assert_int_eq(amdi_decode_twilio_code(rc), 13420);
    amdi_decode_opts o2 = {.max_seconds = 0.5};
    ck_assert_int_eq(amdi_audio_decode(wav, len, NULL, &o2, &p, err, sizeof err), AMD_ELIMIT);
    ck_assert_ptr_null(p);
    /* truncated: what is there plays (Twilio plays a cut file; nothing to guess) */
    ck_assert_int_eq(amdi_audio_decode(wav, len / 2, NULL, NULL, &p, err, sizeof err), 0);
    ck_assert(p->n > 3000 && p->n < 4100);
    amdi_pcm_unref(p);
    free(wav);
    /* NaN samples in a float WAV */
    FILE *f = tmpfile();
    SF_INFO info = {.samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open_fd(fileno(f), SFM_WRITE, &info, 0);
    float x[100] = {0};
    x[50] = NAN;
    sf_writef_float(sf, x, 100);
    sf_close(sf);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    unsigned char *b = malloc((size_t)sz);
    fseek(f, 0, SEEK_SET);
    ck_assert_int_eq(fread(b, 1, (size_t)sz, f), sz);
    fclose(f);
    ck_assert_int_eq(amdi_audio_decode(b, (size_t)sz, "audio/wav", NULL, &p, err, sizeof err), AMD_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err, "non-finite"));
    free(b);
}
END_TEST

Suite *call_media_decode_suite(void)
{
    Suite *s = suite_create("call_media_decode");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, wav_pcm_ulaw_alaw_any_rate_in_time);
    tcase_add_test(tc, flac_and_ogg);
    tcase_add_test(tc, mp3_when_supported);
    tcase_add_test(tc, headerless_from_content_type);
    tcase_add_test(tc, bad_input_refused_with_13420);
    suite_add_tcase(s, tc);
    return s;
}
