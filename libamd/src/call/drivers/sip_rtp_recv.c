/* SPDX-License-Identifier: MIT */
/* The far end's audio on the SIP driver: its PCMU / PCMA RTP (ITU-T G.711, RFC 3551) decoded
 * to float and placed by RTP timestamp in the leg's jitter buffer (sip_jb.h) on the loop
 * thread, and drained as 20 ms frames at the engine's media clock on the engine thread. AMD
 * hears only what arrives after answer: early media (183) is ringback, not the answering party. */
#include "sip_internal.h"

#include "amd/detector.h"

void amdi_sip_rtp_received(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg)
{
    amdi_leg *l = arg;
    (void)src;
    size_t n = mbuf_get_left(mb);
    const uint8_t *p = mbuf_buf(mb);
    if (hdr->pt == PT_TELEV || (l->te_pt >= 0 && hdr->pt == l->te_pt)) {
        amdi_sip_telev_received(l, hdr, p, n);
        return;
    }
    if (hdr->pt != PT_PCMU && hdr->pt != PT_PCMA)
        return; /* comfort noise, anything else: not audio for the detector */
    if (n > MAX_PAYLOAD)
        n = MAX_PAYLOAD;
    float dec[MAX_PAYLOAD];
    for (size_t i = 0; i < n; i++)
        dec[i] = (float)(hdr->pt == PT_PCMU ? amd_ulaw_decode(p[i]) : amd_alaw_decode(p[i])) / 32768.0f;
    pthread_mutex_lock(&l->mu);
    int take = l->sh.answered && !l->sh.hangup; /* early media is ringback, not the answering party */
    if (take)
        amdi_sipjb_put(&l->sh.jb, hdr->ssrc, hdr->ts, dec, n);
    pthread_mutex_unlock(&l->mu);
    if (take)
        amdi_sip_stats_arrival(l, hdr->ssrc, hdr->ts);
}

/* The frames due since answer at @p now (ms of the engine's media clock), to the detector. */
void amdi_sip_recv_frames(amdi_leg *l, int64_t now, const amdi_leg_sink *k, void *ctx)
{
    int64_t due = (now - l->t_answer) / FRAME_MS;
    while (l->frames_out < due) {
        pthread_mutex_lock(&l->mu);
        if (amdi_sipjb_pending(&l->sh.jb) > 0) {
            l->sh.jb_depth_sum += amdi_sipjb_pending(&l->sh.jb);
            l->sh.jb_depth_n++;
        }
        size_t lost = amdi_sipjb_get(&l->sh.jb, l->frame, FRAME_SAMPLES);
        pthread_mutex_unlock(&l->mu);
        l->frames_out++;
        /* a whole frame missing inside the stream (a lost or late packet): tell the detector it
         * was lost instead of feeding it silence (amd_detector_process_lost) */
        if (lost == FRAME_SAMPLES && k->lost)
            k->lost(ctx, FRAME_SAMPLES);
        else
            k->audio(ctx, l->frame, FRAME_SAMPLES);
    }
}

/* The far end hung up: what it said up to its BYE is still heard first. */
void amdi_sip_recv_flush(amdi_leg *l, const amdi_leg_sink *k, void *ctx)
{
    for (;;) {
        pthread_mutex_lock(&l->mu);
        int64_t pend = amdi_sipjb_pending(&l->sh.jb);
        if (pend > 0)
            amdi_sipjb_get(&l->sh.jb, l->frame, FRAME_SAMPLES);
        pthread_mutex_unlock(&l->mu);
        if (pend <= 0)
            break;
        k->audio(ctx, l->frame, FRAME_SAMPLES);
    }
}
