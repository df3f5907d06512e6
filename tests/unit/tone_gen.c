/* SPDX-License-Identifier: MIT */
#include "tone_gen.h"

#include "beep_detector.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "analysis.h"

#ifdef AMD_HAVE_SPANDSP
/* spandsp's headers are not written for -Wstrict-prototypes and friends */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <spandsp.h>
#pragma GCC diagnostic pop
#endif

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

double tg_amp(double dbfs) { return 32767.0 * pow(10.0, dbfs / 20.0); }

static size_t clampn(double ms, size_t n)
{
    double s = ms * TG_RATE / 1000.0;
    if (s < 0)
        return 0;
    return s > (double)n ? n : (size_t)s;
}

static double edge(size_t i, size_t len)
{
    const size_t r = 16; /* 2 ms */
    if (len < 2 * r)
        return 1.0;
    if (i < r)
        return 0.5 - 0.5 * cos(M_PI * (double)i / r);
    if (i >= len - r)
        return 0.5 - 0.5 * cos(M_PI * (double)(len - i) / r);
    return 1.0;
}

void tg_tone(float *buf, size_t n, double start_ms, double dur_ms, double hz, double dbfs)
{
    size_t a = clampn(start_ms, n), b = clampn(start_ms + dur_ms, n);
    double amp = tg_amp(dbfs);
    for (size_t i = a; i < b; i++)
        buf[i] += (float)(amp * edge(i - a, b - a) * sin(2.0 * M_PI * hz * (double)(i - a) / TG_RATE));
}

void tg_noise_snr(float *buf, size_t n, double dbfs, double snr_db, tu_rng *r)
{
    double rms = tg_amp(dbfs) / sqrt(2.0) / pow(10.0, snr_db / 20.0);
    tu_add_noise(buf, n, rms, r);
}

double tg_ans(float *buf, size_t n, double start_ms, double dur_ms, double dbfs, double am, double pr_ms)
{
    size_t a = clampn(start_ms, n), b = clampn(start_ms + dur_ms, n);
    double amp = tg_amp(dbfs) / (1.0 + am); /* keep the peak at dbfs */
    double ph = 0.0;
    size_t pr = pr_ms > 0 ? (size_t)(pr_ms * TG_RATE / 1000.0) : 0;
    for (size_t i = a; i < b; i++) {
        size_t k = i - a;
        if (pr && k > 0 && k % pr == 0)
            ph += M_PI; /* V.25: phase reversal every 450 ms */
        double t = (double)k / TG_RATE;
        double env = 1.0 + am * sin(2.0 * M_PI * 15.0 * t); /* V.8 ANSam: 15 Hz, 20 % */
        buf[i] += (float)(amp * edge(k, b - a) * env * sin(2.0 * M_PI * 2100.0 * t + ph));
    }
    return start_ms + dur_ms;
}

double tg_v21_flags(float *buf, size_t n, double start_ms, int nflags, int nrandom, double dbfs, tu_rng *r)
{
    int nbits = nflags * 8 + nrandom;
    double spb = TG_RATE / 300.0;
    size_t a = clampn(start_ms, n);
    size_t len = (size_t)(nbits * spb);
    double amp = tg_amp(dbfs), ph = 0.0;
    for (size_t k = 0; k < len && a + k < n; k++) {
        int bi = (int)((double)k / spb);
        int bit;
        if (bi < nflags * 8)
            bit = (0x7E >> (bi % 8)) & 1; /* HDLC flag, LSB first */
        else
            bit = (int)(tu_rng_u32(r) & 1);
        double hz = bit ? 1650.0 : 1850.0; /* V.21 channel 2: mark 1650, space 1850 */
        ph += 2.0 * M_PI * hz / TG_RATE;
        buf[a + k] += (float)(amp * edge(k, len) * sin(ph));
    }
    return start_ms + len * 1000.0 / TG_RATE;
}

double tg_cng(float *buf, size_t n, double start_ms, int bursts, double dbfs)
{
    double t = start_ms;
    for (int i = 0; i < bursts; i++) {
        tg_tone(buf, n, t, 500.0, 1100.0, dbfs);
        t += 3500.0;
    }
    return t;
}

double tg_sit(float *buf, size_t n, double start_ms, const double hz[3], const double ms[3], double gap_ms,
              double dbfs)
{
    double t = start_ms;
    for (int i = 0; i < 3; i++) {
        tg_tone(buf, n, t, ms[i], hz[i], dbfs);
        t += ms[i] + gap_ms;
    }
    return t;
}

double tg_spandsp_connect_tone(float *buf, size_t n, double start_ms, double dur_ms, int tone)
{
#ifdef AMD_HAVE_SPANDSP
    modem_connect_tones_tx_state_t *s = modem_connect_tones_tx_init(NULL, tone);
    if (!s)
        return -1;
    size_t a = clampn(start_ms, n), b = clampn(start_ms + dur_ms, n);
    int16_t amp[160];
    for (size_t i = a; i < b; i += 160) {
        int len = (int)(b - i < 160 ? b - i : 160);
        len = modem_connect_tones_tx(s, amp, len);
        for (int k = 0; k < len; k++)
            buf[i + (size_t)k] += amp[k];
    }
    modem_connect_tones_tx_free(s);
    return start_ms + dur_ms;
#else
    (void)buf, (void)n, (void)start_ms, (void)dur_ms, (void)tone;
    return -1;
#endif
}

double tg_spandsp_v21_flags(float *buf, size_t n, double start_ms, int nflags)
{
#ifdef AMD_HAVE_SPANDSP
    hdlc_tx_state_t *h = hdlc_tx_init(NULL, false, 2, false, NULL, NULL);
    if (!h)
        return -1;
    hdlc_tx_flags(h, nflags);
    fsk_tx_state_t *f = fsk_tx_init(NULL, &preset_fsk_specs[FSK_V21CH2], (get_bit_func_t)hdlc_tx_get_bit, h);
    if (!f) {
        hdlc_tx_free(h);
        return -1;
    }
    /* nflags flags at 300 bit/s; the tail after them is HDLC idle (more flags / marks) */
    double dur_ms = nflags * 8 * 1000.0 / 300.0;
    size_t a = clampn(start_ms, n), b = clampn(start_ms + dur_ms, n);
    int16_t amp[160];
    for (size_t i = a; i < b; i += 160) {
        int len = (int)(b - i < 160 ? b - i : 160);
        len = fsk_tx(f, amp, len);
        for (int k = 0; k < len; k++)
            buf[i + (size_t)k] += amp[k];
    }
    fsk_tx_free(f);
    hdlc_tx_free(h);
    return start_ms + dur_ms;
#else
    (void)buf, (void)n, (void)start_ms, (void)nflags;
    return -1;
#endif
}

/* A sung vowel: 1/k harmonic amplitudes through two formant resonances. */
void tg_sung(float *buf, size_t n, double start_ms, double dur_ms, double f0, double vib_depth, double vib_hz,
             double dbfs, tu_rng *r)
{
    size_t a = clampn(start_ms, n), b = clampn(start_ms + dur_ms, n);
    if (b <= a)
        return;
    double F1 = 500 + 300 * tu_rng_uniform(r), F2 = 900 + 1200 * tu_rng_uniform(r);
    double ph = 0.0, jit = 0.0, amp = tg_amp(dbfs);
    double gain[40];
    int nh = 0;
    double norm = 0.0;
    for (int h = 1; h < 40 && h * f0 < 3800; h++) {
        double f = h * f0;
        double g = 1.0 / h;
        g *= 1.0 + 3.0 / (1.0 + pow((f - F1) / 120.0, 2)) + 2.0 / (1.0 + pow((f - F2) / 150.0, 2));
        gain[h] = g;
        norm += g;
        nh = h;
    }
    double vib_ph = 2 * M_PI * tu_rng_uniform(r);
    size_t len = b - a, att = len < 800 ? len / 4 : 400; /* 50 ms swell */
    for (size_t k = 0; k < len; k++) {
        double t = (double)k / TG_RATE;
        if (k % 80 == 0)
            jit = 0.7 * jit + 0.3 * 0.005 * tu_rng_gauss(r); /* slow ~0.5 % jitter */
        double f = f0 * (1.0 + vib_depth * sin(2 * M_PI * vib_hz * t + vib_ph) + jit);
        ph += 2.0 * M_PI * f / TG_RATE;
        double s = 0.0;
        for (int h = 1; h <= nh; h++)
            s += gain[h] * sin(h * ph);
        double env = k < att ? (double)k / att : (k > len - att ? (double)(len - k) / att : 1.0);
        buf[a + k] += (float)(amp * env * s / norm);
    }
}

void tg_music(float *buf, size_t n, double dbfs, tu_rng *r)
{
    static const double scale[] = {261.6, 293.7, 329.6, 349.2, 392.0, 440.0, 493.9, 523.3, 587.3, 659.3};
    double amp = tg_amp(dbfs);
    size_t pos = 0;
    while (pos < n) {
        size_t len = (size_t)(TG_RATE * (0.2 + 0.8 * tu_rng_uniform(r)));
        if (pos + len > n)
            len = n - pos;
        int voices = 1 + (int)(tu_rng_u32(r) % 3);
        int pluck = (int)(tu_rng_u32(r) & 1);
        for (int v = 0; v < voices; v++) {
            double f0 = scale[tu_rng_u32(r) % 10] * (v == 0 ? 1.0 : 0.5);
            double dec = pluck ? 3.0 + 4.0 * tu_rng_uniform(r) : 0.3;
            int nh = 2 + (int)(tu_rng_u32(r) % 6); /* from flute-like (2) to string-like (7) */
            double vib = tu_rng_uniform(r) < 0.5 ? 0.006 : 0.0;
            for (size_t k = 0; k < len; k++) {
                double t = (double)k / TG_RATE;
                double env = exp(-dec * t) * (k < 40 ? k / 40.0 : 1.0);
                double ph = 2 * M_PI * f0 * t + vib * f0 / 5.0 * sin(2 * M_PI * 5.0 * t) * 2 * M_PI / (2 * M_PI);
                double s = 0.0;
                for (int h = 1; h <= nh; h++)
                    s += sin(h * ph) / (h * h * 0.5 + 0.5);
                buf[pos + k] += (float)(amp / voices * 0.5 * env * s);
            }
        }
        pos += len;
    }
}

static void clip(float *buf, size_t n, int16_t *out)
{
    tu_to_s16(buf, out, n);
}

void tg_ulaw(float *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int16_t s;
        clip(&buf[i], 1, &s);
        buf[i] = amd_ulaw_decode(amd_ulaw_encode(s));
    }
}

void tg_alaw(float *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int16_t s;
        clip(&buf[i], 1, &s);
        buf[i] = amd_alaw_decode(amd_alaw_encode(s));
    }
}

/* libsndfile virtual I/O over a growable memory buffer. */
typedef struct memfile {
    unsigned char *data;
    sf_count_t len, cap, pos;
} memfile;

static sf_count_t mf_len(void *u) { return ((memfile *)u)->len; }
static sf_count_t mf_seek(sf_count_t off, int whence, void *u)
{
    memfile *m = u;
    sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? m->pos + off : m->len + off;
    if (p < 0)
        return -1;
    m->pos = p;
    return p;
}
static sf_count_t mf_read(void *ptr, sf_count_t count, void *u)
{
    memfile *m = u;
    sf_count_t k = m->len - m->pos;
    if (k > count)
        k = count;
    if (k <= 0)
        return 0;
    memcpy(ptr, m->data + m->pos, (size_t)k);
    m->pos += k;
    return k;
}
static sf_count_t mf_write(const void *ptr, sf_count_t count, void *u)
{
    memfile *m = u;
    if (m->pos + count > m->cap) {
        sf_count_t nc = (m->pos + count) * 2;
        unsigned char *d = realloc(m->data, (size_t)nc);
        if (!d)
            return 0;
        m->data = d;
        m->cap = nc;
    }
    memcpy(m->data + m->pos, ptr, (size_t)count);
    m->pos += count;
    if (m->pos > m->len)
        m->len = m->pos;
    return count;
}
static sf_count_t mf_tell(void *u) { return ((memfile *)u)->pos; }

int tg_gsm(float *buf, size_t n)
{
    SF_VIRTUAL_IO io = {mf_len, mf_seek, mf_read, mf_write, mf_tell};
    memfile m = {0};
    SF_INFO info = {0};
    info.samplerate = TG_RATE;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_GSM610;
    int16_t *s = malloc(n * sizeof *s);
    if (!s)
        return -1;
    tu_to_s16(buf, s, n);
    SNDFILE *f = sf_open_virtual(&io, SFM_WRITE, &info, &m);
    if (!f) {
        free(s);
        return -1;
    }
    sf_write_short(f, s, (sf_count_t)n);
    sf_close(f);
    m.pos = 0;
    SF_INFO in = {0};
    f = sf_open_virtual(&io, SFM_READ, &in, &m);
    if (!f) {
        free(s);
        free(m.data);
        return -1;
    }
    memset(s, 0, n * sizeof *s);
    sf_count_t got = sf_read_short(f, s, (sf_count_t)n);
    sf_close(f);
    for (size_t i = 0; i < n; i++)
        buf[i] = (sf_count_t)i < got ? s[i] : 0.f;
    free(s);
    free(m.data);
    return 0;
}

int tg_run(const float *buf, size_t n, const amd_config *cfg, tg_result *res)
{
    amd_config def;
    if (!cfg) {
        amd_config_init(&def);
        cfg = &def;
    }
    memset(res, 0, sizeof *res);
    res->first_active_ms = -1;
    amdi_analysis an;
    void *abuf = aligned_alloc(64, (amdi_analysis_buf_size() + 63) & ~(size_t)63);
    void *tmem = aligned_alloc(16, amdi_tones_size());
    if (!abuf || !tmem || amdi_analysis_init(&an, abuf) != 0) {
        free(abuf);
        free(tmem);
        return -1;
    }
    amdi_tones *t = amdi_tones_init(tmem, cfg);
    for (size_t pos = 0; pos + AMDI_HOP <= n; pos += AMDI_HOP) {
        const amdi_frame *f = amdi_analysis_hop(&an, buf + pos);
        amdi_tone_event ev[AMDI_TONES_MAX_EVENTS];
        memset(ev, 0, sizeof ev); /* padding too: test_deterministic compares the events' bytes */
        int k = amdi_tones_frame(t, f, ev);
        for (int i = 0; i < k && res->n < TG_MAX_EVENTS; i++) {
            res->decided_ms[res->n] = f->end_ms;
            res->ev[res->n++] = ev[i];
            if (ev[i].kind == AMDI_TONE_BEEP)
                res->n_beep++;
        }
        const amdi_beep *bp = amdi_tones_beep(t);
        if (bp->n_rejects != res->n_reject) {
            res->n_reject = (int)bp->n_rejects;
            res->last_reject = (int)bp->reject_reason;
        }
        if (amdi_tones_active(t, NULL, NULL)) {
            res->active_frames++;
            if (res->first_active_ms < 0)
                res->first_active_ms = f->end_ms;
        }
    }
    amdi_analysis_free(&an);
    free(abuf);
    free(tmem);
    return 0;
}

const amdi_tone_event *tg_find(const tg_result *res, amdi_tone_kind kind, int64_t *decided_ms)
{
    for (int i = 0; i < res->n; i++)
        if (res->ev[i].kind == kind) {
            if (decided_ms)
                *decided_ms = res->decided_ms[i];
            return &res->ev[i];
        }
    return NULL;
}
