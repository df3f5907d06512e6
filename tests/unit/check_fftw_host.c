/* SPDX-License-Identifier: MIT */
/*
 * libamd in a host that uses FFTW itself: one thread plans, runs and destroys
 * its own FFTW plans (several sizes and kinds) in a loop while another creates,
 * feeds and destroys detectors. FFTW's planner is process-global: before the
 * planner was made thread-safe this crashed or corrupted plans. The test runs
 * for a bounded time (AMD_FFTW_STRESS_MS, default 1500 ms; a bound, not a
 * timing assertion) and checks that nothing crashed (Check forks each test), every
 * host plan computed a correct transform, and every detector was created and
 * decided.
 */
#include <check.h>
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amd/detector.h"

Suite *fftw_host_suite(void);

static atomic_int g_stop;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct host_stats {
    long plans, bad, null_plans;
} host_stats;

/* The host's own FFTW use: plan (complex and real, sizes the detector does and does not use),
 * execute on a unit impulse at position 1 (|X(k)| = 1 for every k), destroy. */
static void *host_thread(void *arg)
{
    host_stats *st = arg;
    static const int sizes[] = {64, 100, 256, 512, 1024, 160};
    int i = 0;
    while (!atomic_load(&g_stop)) {
        int n = sizes[i++ % 6];
        fftwf_complex *in = fftwf_malloc(sizeof(fftwf_complex) * (size_t)n);
        fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * (size_t)n);
        float *rin = fftwf_malloc(sizeof(float) * (size_t)n);
        ck_assert(in && out && rin);
        fftwf_plan p = fftwf_plan_dft_1d(n, in, out, FFTW_FORWARD, FFTW_ESTIMATE);
        fftwf_plan pr = fftwf_plan_dft_r2c_1d(n, rin, out, FFTW_ESTIMATE);
        if (!p || !pr) {
            st->null_plans++;
        } else {
            memset(in, 0, sizeof(fftwf_complex) * (size_t)n);
            in[1][0] = 1.f;
            fftwf_execute(p);
            for (int k = 0; k < n; k++)
                if (fabsf(hypotf(out[k][0], out[k][1]) - 1.f) > 1e-4f) {
                    st->bad++;
                    break;
                }
            memset(rin, 0, sizeof(float) * (size_t)n);
            rin[1] = 1.f;
            fftwf_execute(pr);
            for (int k = 0; k <= n / 2; k++)
                if (fabsf(hypotf(out[k][0], out[k][1]) - 1.f) > 1e-4f) {
                    st->bad++;
                    break;
                }
        }
        if (p)
            fftwf_destroy_plan(p);
        if (pr)
            fftwf_destroy_plan(pr);
        fftwf_free(in);
        fftwf_free(out);
        fftwf_free(rin);
        st->plans++;
    }
    return NULL;
}

typedef struct det_stats {
    long created, failed, decided;
} det_stats;

/* Create a detector, feed it 6 s of a tone-free noise call (unknown at the silence timeout), destroy. */
static void *detector_thread(void *arg)
{
    det_stats *st = arg;
    int16_t buf[160];
    unsigned seed = 7;
    while (!atomic_load(&g_stop)) {
        amd_config cfg;
        amd_config_init(&cfg);
        cfg.silence_timeout_ms = 2000;
        cfg.sample_rate = (st->created & 1) ? 16000 : 8000;
        amd_detector *det = NULL;
        char err[128];
        if (amd_detector_create(&cfg, &det, err, sizeof err) != 0) {
            st->failed++;
            continue;
        }
        st->created++;
        int rc = 0;
        for (int i = 0; i < 300 && rc == 0; i++) {
            for (int j = 0; j < 160; j++) {
                seed = seed * 1103515245u + 12345u;
                buf[j] = (int16_t)((int)((seed >> 16) & 63) - 32);
            }
            rc = amd_detector_process_s16(det, buf, 160);
        }
        if (rc == 1)
            st->decided++;
        amd_detector_destroy(det);
    }
    return NULL;
}

START_TEST(test_host_plans_while_detectors_come_and_go)
{
    const char *env = getenv("AMD_FFTW_STRESS_MS");
    double bound = env ? atof(env) : 1500.0;
    atomic_store(&g_stop, 0);
    host_stats hs = {0, 0, 0};
    det_stats ds = {0, 0, 0};
    pthread_t th, td;
    ck_assert_int_eq(pthread_create(&th, NULL, host_thread, &hs), 0);
    ck_assert_int_eq(pthread_create(&td, NULL, detector_thread, &ds), 0);
    double t0 = now_ms();
    while (now_ms() - t0 < bound) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&g_stop, 1);
    pthread_join(th, NULL);
    pthread_join(td, NULL);
    ck_assert_msg(hs.plans > 0 && ds.created > 0, "both threads ran (%ld plans, %ld detectors)", hs.plans,
                  ds.created);
    ck_assert_msg(hs.bad == 0 && hs.null_plans == 0, "host FFTW: %ld wrong transforms, %ld failed plans of %ld",
                  hs.bad, hs.null_plans, hs.plans);
    ck_assert_msg(ds.failed == 0, "%ld detector creates failed", ds.failed);
    ck_assert_msg(ds.decided == ds.created, "%ld of %ld detectors decided", ds.decided, ds.created);
}
END_TEST

/* The host may destroy every plan of its own, and create its first plans after detectors exist. */
START_TEST(test_host_destroys_all_its_plans)
{
    amd_config cfg;
    amd_config_init(&cfg);
    amd_detector *a = NULL, *b = NULL;
    ck_assert_int_eq(amd_detector_create(&cfg, &a, NULL, 0), 0);
    float *x = fftwf_malloc(sizeof(float) * 256);
    fftwf_complex *y = fftwf_malloc(sizeof(fftwf_complex) * 129);
    fftwf_plan p = fftwf_plan_dft_r2c_1d(256, x, y, FFTW_ESTIMATE);
    ck_assert_ptr_nonnull(p);
    amd_detector_destroy(a); /* no detector left: libamd's plans must survive */
    fftwf_destroy_plan(p);
    fftwf_free(x);
    fftwf_free(y);
    ck_assert_int_eq(amd_detector_create(&cfg, &b, NULL, 0), 0);
    static const int16_t z[8000];
    ck_assert_int_eq(amd_detector_process_s16(b, z, 8000), 0);
    amd_detector_destroy(b);
}
END_TEST

Suite *fftw_host_suite(void)
{
    Suite *s = suite_create("fftw_host");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_host_plans_while_detectors_come_and_go);
    tcase_add_test(tc, test_host_destroys_all_its_plans);
    suite_add_tcase(s, tc);
    return s;
}
