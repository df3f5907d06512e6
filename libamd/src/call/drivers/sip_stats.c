/* SPDX-License-Identifier: MIT */
/* The SIP driver's receive / send counters: each leg's are added to the driver's when it is
 * freed; one summary line goes to the logger when the driver stops (amdi_sip_driver_stats
 * reads them meanwhile, for the SIP bench). */
#include "sip_internal.h"

#include <stdio.h>

/* Arrival lateness of an RTP packet after answer: its transit time (arrival in 8 kHz units
 * minus its RTP timestamp) above the smallest transit of its source, RFC 3550 §6.4.1. */
void amdi_sip_stats_arrival(amdi_leg *l, uint32_t ssrc, uint32_t rtp_ts)
{
    int32_t transit = (int32_t)((uint32_t)(tmr_jiffies() * 8) - rtp_ts);
    if (!l->have_transit || ssrc != l->transit_ssrc || transit < l->transit_min) {
        l->have_transit = 1;
        l->transit_ssrc = ssrc;
        l->transit_min = transit;
    }
    long long late_ms = ((long long)transit - l->transit_min) / 8;
    if (late_ms > 5000) {
        /* a timestamp jump (the far end restarted its clock), not 5 s of lateness: new base */
        l->transit_min = transit;
        late_ms = 0;
    }
    l->late_hist[late_ms < 20 ? 0 : late_ms < 60 ? 1 : late_ms < 200 ? 2 : late_ms < 600 ? 3 : 4]++;
    if (late_ms > l->late_max_ms)
        l->late_max_ms = late_ms;
}

void amdi_sip_stats_add_leg(sipdrv *d, const amdi_leg *l)
{
    pthread_mutex_lock(&d->stats_mu);
    d->stats.packets += l->sh.jb.packets;
    d->stats.out_dropped += l->sh.out_dropped;
    d->stats.out_underruns += l->sh.out_underruns;
    d->stats.out_depth_sum += l->sh.out_depth_sum;
    d->stats.out_depth_n += l->sh.out_depth_n;
    d->stats.jb_depth_sum += l->sh.jb_depth_sum;
    d->stats.jb_depth_n += l->sh.jb_depth_n;
    d->stats.late_packets += l->sh.jb.late;
    d->stats.rebases += l->sh.jb.rebases;
    d->stats.lost_samples += l->sh.jb.lost_samples;
    d->stats.played_samples += l->sh.jb.played_samples;
    d->stats.trimmed_samples += l->sh.jb.trimmed_samples;
    for (int i = 0; i < 5; i++)
        d->stats.late_hist[i] += l->late_hist[i];
    if (l->late_max_ms > d->stats.late_max_ms)
        d->stats.late_max_ms = l->late_max_ms;
    pthread_mutex_unlock(&d->stats_mu);
}

void amdi_sip_stats_log_summary(sipdrv *d)
{
    if (!d->log_fn)
        return;
    char m[900];
    amdi_sip_stats *t = &d->stats;
    snprintf(m, sizeof m,
             "sip: %lld legs, %lld answered; RTP in %lld packets, %lld late (dropped), %lld re-based; "
             "%.3f %% of %lld played samples lost, %lld trimmed (far end fast); RTP out %lld packets "
             "(our side: %lld frames dropped as the media clock ran ahead, %lld silence fills); "
             "arrival lateness (ms) <20: %lld, 20-60: %lld, 60-200: %lld, 200-600: %lld, >=600: %lld, worst %lld; "
             "mean wait: jitter buffer %.1f ms, send queue %.1f ms",
             t->legs, t->answered, t->packets, t->late_packets, t->rebases,
             t->played_samples ? 100.0 * (double)t->lost_samples / (double)t->played_samples : 0.0,
             t->played_samples, t->trimmed_samples, t->rtp_sent, t->out_dropped, t->out_underruns,
             t->late_hist[0], t->late_hist[1], t->late_hist[2], t->late_hist[3], t->late_hist[4], t->late_max_ms,
             t->jb_depth_n ? (double)t->jb_depth_sum / (double)t->jb_depth_n / 8.0 : 0.0,
             t->out_depth_n ? (double)t->out_depth_sum / (double)t->out_depth_n * FRAME_MS : 0.0);
    d->log_fn(d->log_user, AMD_LOG_INFO, m);
}

void amdi_sip_driver_stats(void *drv, amdi_sip_stats *st)
{
    sipdrv *d = drv;
    pthread_mutex_lock(&d->stats_mu);
    *st = d->stats;
    pthread_mutex_unlock(&d->stats_mu);
}
