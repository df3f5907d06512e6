/* SPDX-License-Identifier: MIT */
/* The SIP driver's jitter buffer (sip_jb.h): what the detector hears must be the far end's
 * audio in RTP-timestamp order, a fixed delay behind, whatever order the packets came in. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "sip_jb.h"

Suite *call_sip_jb_suite(void);

#define PKT 160   /* 20 ms at 8 kHz */
#define DELAY 480 /* the driver's 60 ms */
#define NPKT 50

/* sample value k of a ramp the test can recognise */
static float val(int64_t k)
{
    return (float)((k % 1000) + 1) / 2000.0f;
}

static void packet(float *p, int64_t first)
{
    for (int i = 0; i < PKT; i++)
        p[i] = val(first + i);
}

/* Feed packets in @p order (indices into 0..n-1, one per 20 ms tick, two packets per tick when
 * @p burst) and play out one frame per tick; return samples that differ from the ramp. */
static int play(amdi_sipjb *jb, const int *order, int n, uint32_t ts0, float *out, int nout)
{
    float p[PKT];
    int o = 0;
    for (int t = 0; o + PKT <= nout; t++) {
        if (t < n) {
            int k = order[t];
            packet(p, (int64_t)k * PKT);
            amdi_sipjb_put(jb, 0x1234, ts0 + (uint32_t)(k * PKT), p, PKT);
        }
        amdi_sipjb_get(jb, out + o, PKT);
        o += PKT;
    }
    return o;
}

START_TEST(in_order_is_delayed_copy)
{
    static amdi_sipjb jb;
    amdi_sipjb_init(&jb, DELAY);
    int order[NPKT];
    for (int i = 0; i < NPKT; i++)
        order[i] = i;
    static float out[(NPKT + 10) * PKT];
    int n = play(&jb, order, NPKT, 1000, out, (NPKT + 10) * PKT);
    /* the first packet plays DELAY samples after it arrives */
    int start = -1;
    for (int i = 0; i < n; i++)
        if (out[i] != 0) {
            start = i;
            break;
        }
    ck_assert_int_eq(start, DELAY); /* placed before the first frame plays */
    for (int k = 0; k < NPKT * PKT; k++)
        ck_assert_float_eq(out[start + k], val(k));
    ck_assert_int_eq(jb.lost_samples, 0);
    ck_assert_int_eq(jb.late, 0);
}
END_TEST

START_TEST(reordered_packets_come_out_in_order)
{
    static amdi_sipjb jb;
    amdi_sipjb_init(&jb, DELAY);
    int order[NPKT];
    for (int i = 0; i < NPKT; i++)
        order[i] = i;
    /* swap neighbours and move some packets two places later (40 ms of jitter) */
    for (int i = 2; i + 1 < NPKT; i += 4) {
        int t = order[i];
        order[i] = order[i + 1];
        order[i + 1] = t;
    }
    for (int i = 4; i + 2 < NPKT; i += 7) {
        int t = order[i];
        order[i] = order[i + 1];
        order[i + 1] = order[i + 2];
        order[i + 2] = t;
    }
    static float out[(NPKT + 10) * PKT];
    play(&jb, order, NPKT, 4000000000u, out, (NPKT + 10) * PKT); /* timestamps wrap past 2^32 */
    int start = DELAY;
    for (int k = 0; k < NPKT * PKT; k++)
        ck_assert_msg(out[start + k] == val(k), "sample %d: %f != %f", k, out[start + k], val(k));
    ck_assert_int_eq(jb.lost_samples, 0);
    ck_assert_int_eq(jb.late, 0);
}
END_TEST

START_TEST(lost_packet_is_silence_and_counted)
{
    static amdi_sipjb jb;
    amdi_sipjb_init(&jb, DELAY);
    float p[PKT], out[PKT];
    for (int t = 0; t < 30; t++) {
        if (t != 10) {
            packet(p, (int64_t)t * PKT);
            amdi_sipjb_put(&jb, 7, (uint32_t)(t * PKT), p, PKT);
        }
        size_t lost = amdi_sipjb_get(&jb, out, PKT);
        /* the whole frame is reported lost, so the driver tells the detector of the gap */
        ck_assert_uint_eq(lost, t == 10 + DELAY / PKT ? PKT : 0);
        if (t == 10 + DELAY / PKT)
            for (int i = 0; i < PKT; i++)
                ck_assert_float_eq(out[i], 0);
    }
    ck_assert_int_eq(jb.lost_samples, PKT);
}
END_TEST

START_TEST(late_packet_dropped)
{
    static amdi_sipjb jb;
    amdi_sipjb_init(&jb, DELAY);
    float p[PKT], out[PKT];
    for (int t = 0; t < 20; t++) {
        packet(p, (int64_t)t * PKT);
        amdi_sipjb_put(&jb, 7, (uint32_t)(t * PKT), p, PKT);
        amdi_sipjb_get(&jb, out, PKT);
    }
    /* packet 2 again, long after it played: dropped, nothing replayed */
    packet(p, 2 * PKT);
    amdi_sipjb_put(&jb, 7, 2 * PKT, p, PKT);
    ck_assert_int_eq(jb.late, 1);
    ck_assert_int_eq(jb.rebases, 0);
}
END_TEST

START_TEST(ssrc_change_continues_after_old_audio)
{
    /* an SBC switches source at answer: new SSRC, unrelated timestamps */
    static amdi_sipjb jb;
    amdi_sipjb_init(&jb, DELAY);
    float p[PKT], out[PKT];
    int nonzero = 0, frames = 0;
    for (int t = 0; t < 40; t++) {
        for (int i = 0; i < PKT; i++)
            p[i] = t < 20 ? 0.25f : -0.5f;
        if (t < 20)
            amdi_sipjb_put(&jb, 1, (uint32_t)(t * PKT), p, PKT);
        else
            amdi_sipjb_put(&jb, 2, 777777u + (uint32_t)((t - 20) * PKT), p, PKT);
        amdi_sipjb_get(&jb, out, PKT);
        for (int i = 0; i < PKT; i++)
            nonzero += out[i] != 0;
        frames++;
    }
    for (int t = 0; t < 10; t++) {
        amdi_sipjb_get(&jb, out, PKT);
        for (int i = 0; i < PKT; i++)
            nonzero += out[i] != 0;
    }
    ck_assert_int_eq(nonzero, 40 * PKT); /* every sample of both sources heard exactly once */
    ck_assert_int_eq(jb.rebases, 1);
    ck_assert_int_eq(jb.lost_samples, 0);
}
END_TEST

START_TEST(pause_then_resume_replays_promptly)
{
    /* the far end stops sending for 2 s (DTX / hold) and resumes with the timestamps of a clock
     * that kept running: the audio after the gap still plays, one delay after it arrives */
    static amdi_sipjb jb;
    amdi_sipjb_init(&jb, DELAY);
    float p[PKT], out[PKT];
    for (int i = 0; i < PKT; i++)
        p[i] = 0.5f;
    int heard = 0;
    for (int t = 0; t < 200; t++) {
        if (t < 20 || t >= 120)
            amdi_sipjb_put(&jb, 9, (uint32_t)(t * PKT), p, PKT);
        amdi_sipjb_get(&jb, out, PKT);
        for (int i = 0; i < PKT; i++)
            heard += out[i] != 0;
    }
    ck_assert_int_eq(heard, 20 * PKT + 77 * PKT); /* the last 3 are still in the 60 ms buffer */
    ck_assert_int_eq(jb.rebases, 0);
    /* and a far end whose timestamps stood still during a 0.5 s stall (its packets are all
     * "due" on arrival): re-based once to play at once (not a full delay later), heard in full */
    amdi_sipjb_init(&jb, DELAY);
    heard = 0;
    uint32_t ts = 0;
    for (int t = 0; t < 200; t++) {
        if (t < 20 || t >= 45) {
            amdi_sipjb_put(&jb, 9, ts, p, PKT);
            ts += PKT;
        }
        amdi_sipjb_get(&jb, out, PKT);
        for (int i = 0; i < PKT; i++)
            heard += out[i] != 0;
    }
    ck_assert_int_eq(heard, 20 * PKT + 155 * PKT); /* played on arrival: nothing left behind */
    ck_assert_int_eq(jb.rebases, 1);
    ck_assert_int_eq(jb.late, 0);
}
END_TEST

START_TEST(fast_far_end_is_trimmed)
{
    /* the far end sends 2 packets per tick for 3 s: the buffer may not grow without bound */
    static amdi_sipjb jb;
    amdi_sipjb_init(&jb, DELAY);
    float p[PKT], out[PKT];
    packet(p, 0);
    uint32_t ts = 0;
    for (int t = 0; t < 150; t++) {
        for (int r = 0; r < 2; r++) {
            amdi_sipjb_put(&jb, 3, ts, p, PKT);
            ts += PKT;
        }
        amdi_sipjb_get(&jb, out, PKT);
        ck_assert_int_le(amdi_sipjb_pending(&jb), DELAY + AMDI_SIPJB_TRIM_SLACK + 2 * PKT);
    }
    ck_assert_int_gt(jb.trimmed_samples, 0);
}
END_TEST

Suite *call_sip_jb_suite(void)
{
    Suite *s = suite_create("call_sip_jb");
    TCase *tc = tcase_create("jb");
    tcase_add_test(tc, in_order_is_delayed_copy);
    tcase_add_test(tc, reordered_packets_come_out_in_order);
    tcase_add_test(tc, lost_packet_is_silence_and_counted);
    tcase_add_test(tc, late_packet_dropped);
    tcase_add_test(tc, ssrc_change_continues_after_old_audio);
    tcase_add_test(tc, pause_then_resume_replays_promptly);
    tcase_add_test(tc, fast_far_end_is_trimmed);
    suite_add_tcase(s, tc);
    return s;
}
