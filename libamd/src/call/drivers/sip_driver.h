/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). The `sip` carrier driver (driver.h): places each call
 * leg as a SIP INVITE (RFC 3261, over UDP) with libre, receives the far end's G.711 RTP into the engine's detector and
 * hangs up with BYE / CANCEL. See sip_driver.c for the threading design and the driver's files. */
#ifndef AMDI_SIP_DRIVER_H
#define AMDI_SIP_DRIVER_H

#include <stddef.h>

#include "amd/log.h"
#include "driver.h"

typedef struct amdi_sip_config {
    const char *listen;    /* SIP UDP address "IP:PORT" (numeric), e.g. "127.0.0.1:5090" */
    const char *trunk;     /* where phone numbers go: "sip:IP[:PORT]" (user part ignored); NULL: numbers fail (404) */
    const char *auth_user; /* default digest credentials (per call SipAuthUsername/-Password win); may be NULL */
    const char *auth_pass;
    int rtp_port_min, rtp_port_max; /* RTP ports on the listen IP; 0: 20000..39999 */
    int media_priority; /* > 0: SCHED_RR priority of the SIP thread (as the engine's media threads) */
    amd_log_fn log_fn; /* optional: a summary of the receive side when the driver stops, and libre's
                        * own diagnostics (stray SIP messages), level-filtered and rate-limited */
    void *log_user;
    amd_log_level log_level; /* lines above this level are dropped */
} amdi_sip_config;

/* Start the SIP stack and its thread. Only one SIP driver may exist per process at a time
 * (libre keeps one event loop per process): a second create returns AMD_ESTATE.
 * 0, AMD_EINVAL (bad address / trunk: message in @p err), AMD_EIO (cannot bind), AMD_ENOMEM. */
int amdi_sip_driver_create(const amdi_sip_config *cfg, amdi_driver *out, char *err, size_t errlen);

/* Receive-side counters summed over every leg so far (for the bench and the logs). */
typedef struct amdi_sip_stats {
    long long legs, answered, packets, late_packets, rebases, lost_samples, played_samples, trimmed_samples;
    long long rtp_sent;
    /* our side's frames dropped because the engine ran ahead of the RTP timer, and times the
     * queue ran dry (a silence frame went out instead) */
    long long out_dropped, out_underruns;
    /* arrival lateness of each RTP packet after answer: arrival time minus RTP timestamp,
     * relative to the earliest packet of its source (RFC 3550 §6.4.1 transit time), in
     * buckets < 20, 20-60, 60-200, 200-600, >= 600 ms; and the worst seen */
    long long late_hist[5];
    long long late_max_ms;
    /* the delay the two queues add: receive samples waiting in the jitter buffer at each 20 ms
     * read, and our frames waiting in the send queue at each RTP send (sums and counts) */
    long long jb_depth_sum, jb_depth_n, out_depth_sum, out_depth_n;
} amdi_sip_stats;
void amdi_sip_driver_stats(void *drv, amdi_sip_stats *st);

#endif
