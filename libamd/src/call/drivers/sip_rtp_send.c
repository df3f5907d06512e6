/* SPDX-License-Identifier: MIT */
/* Our side's audio on the SIP driver: the engine hands each answered leg one 20 ms frame per
 * media tick (send_audio, engine thread); the frames wait in a short per-leg queue and the
 * loop's 20 ms RTP timer sends one per packet in the law the far end chose (ITU-T G.711), or
 * a frame of G.711 silence when none is due, or an RFC 4733 event packet instead. */
#include "sip_internal.h"

#include <math.h>
#include <string.h>

#include "amd/detector.h"

/* Engine thread: queue our side's next frame for the RTP timer. */
void amdi_sip_send_audio(void *drv, amdi_leg *l, const float *pcm, size_t n, char digit)
{
    (void)drv;
    if (l->done || n != FRAME_SAMPLES)
        return;
    int16_t q[FRAME_SAMPLES];
    for (size_t i = 0; i < FRAME_SAMPLES; i++) {
        float v = pcm[i] * 32768.0f;
        q[i] = (int16_t)(v >= 32767.0f ? 32767 : v <= -32768.0f ? -32768 : lrintf(v));
    }
    pthread_mutex_lock(&l->mu);
    if (l->sh.out_count == OUT_QUEUE) { /* the engine ran ahead: drop the oldest */
        l->sh.out_head = (l->sh.out_head + 1) % OUT_QUEUE;
        l->sh.out_count--;
        l->sh.out_dropped++;
    }
    unsigned t = (l->sh.out_head + l->sh.out_count) % OUT_QUEUE;
    memcpy(l->sh.out[t], q, sizeof q);
    l->sh.out_digit[t] = digit;
    l->sh.out_count++;
    pthread_mutex_unlock(&l->mu);
}

/* The next frame of our side's audio: 1 and @p pcm, @p digit; 0 when none is due yet. */
static int out_pop(amdi_leg *l, int16_t *pcm, char *digit)
{
    int have = 0;
    pthread_mutex_lock(&l->mu);
    if (!l->sh.out_primed && l->sh.out_count >= OUT_PRIME)
        l->sh.out_primed = 1;
    if (l->sh.out_primed && l->sh.out_count) {
        l->sh.out_depth_sum += l->sh.out_count;
        l->sh.out_depth_n++;
        unsigned i = l->sh.out_head;
        memcpy(pcm, l->sh.out[i], sizeof l->sh.out[i]);
        *digit = l->sh.out_digit[i];
        l->sh.out_head = (i + 1) % OUT_QUEUE;
        l->sh.out_count--;
        have = 1;
    } else if (l->sh.out_primed) {
        l->sh.out_primed = 0; /* ran dry: wait for OUT_PRIME frames again */
        l->sh.out_underruns++;
    }
    pthread_mutex_unlock(&l->mu);
    return have;
}

/* Encode the frame in l->out_pcm into @p mb in the negotiated law. 0 or ENOMEM. */
static int encode_frame(amdi_leg *l, struct mbuf *mb)
{
    uint8_t pay[FRAME_SAMPLES];
    for (size_t i = 0; i < FRAME_SAMPLES; i++)
        pay[i] = l->tx_pt == PT_PCMA ? amd_alaw_encode(l->out_pcm[i]) : amd_ulaw_encode(l->out_pcm[i]);
    return mbuf_write_mem(mb, pay, sizeof pay);
}

/* A releasing leg has sent everything (RELEASE_QUIET_FRAMES frames with nothing queued, no
 * key event on), or ran out of time. */
static int drained(amdi_leg *l, uint64_t now)
{
    pthread_mutex_lock(&l->mu);
    unsigned queued = l->sh.out_count;
    pthread_mutex_unlock(&l->mu);
    if (queued || l->play_code >= 0 || l->dstate)
        l->drain_quiet = 0;
    else
        l->drain_quiet++;
    return l->drain_quiet > RELEASE_QUIET_FRAMES || now >= l->release_by;
}

void amdi_sip_media_start(amdi_leg *l)
{
    if (l->in_media)
        return;
    l->in_media = 1;
    list_append(&l->d->media, &l->le, l);
}

void amdi_sip_media_stop(amdi_leg *l)
{
    if (!l->in_media)
        return;
    l->in_media = 0;
    list_unlink(&l->le);
}

/* One 20 ms packet for a leg: a key's event packet, else its queued frame, else silence. */
static void send_frame(amdi_leg *l, long long *sent)
{
    struct mbuf *mb = l->txmb;
    char digit = 0;
    int have = out_pop(l, l->out_pcm, &digit);
    if (amdi_sip_telev_send(l, digit, sent))
        return;
    mb->pos = RTP_HEADER_SIZE;
    mb->end = RTP_HEADER_SIZE;
    /* G.711 silence: µ-law 0xFF, A-law 0xD5 (ITU-T G.711 zero codes) */
    if (have ? encode_frame(l, mb) : mbuf_fill(mb, l->tx_pt == PT_PCMA ? 0xD5 : 0xFF, FRAME_SAMPLES))
        return;
    mb->pos = RTP_HEADER_SIZE;
    if (!rtp_send(l->rtp, &l->raddr, false, false, (uint8_t)l->tx_pt, l->tx_ts, mb))
        (*sent)++;
    l->tx_ts += FRAME_SAMPLES;
}

/* Every 20 ms: one frame on every answered leg. The schedule is absolute (frame k at
 * t0 + 20k ms), so timer slop and the time spent sending do not stretch the packet interval;
 * after a stall of more than 100 ms the missed frames are skipped, not burst. */
void amdi_sip_tick(void *arg)
{
    sipdrv *d = arg;
    uint64_t now = tmr_jiffies();
    if (!d->tick_t0)
        d->tick_t0 = now;
    uint64_t due = (now - d->tick_t0) / FRAME_MS + 1;
    if (due - d->ticks_done > 5)
        d->ticks_done = due - 5;
    long long sent = 0;
    for (; d->ticks_done < due; d->ticks_done++) {
        for (struct le *le = list_head(&d->media), *lnext; le; le = lnext) {
            lnext = le->next;
            amdi_leg *l = le->data;
            if (l->releasing && drained(l, now)) {
                amdi_sip_leg_free(d, l);
                continue;
            }
            if (sa_isset(&l->raddr, SA_ALL))
                send_frame(l, &sent);
        }
    }
    if (sent) {
        pthread_mutex_lock(&d->stats_mu);
        d->stats.rtp_sent += sent;
        pthread_mutex_unlock(&d->stats_mu);
    }
    uint64_t next = d->tick_t0 + due * FRAME_MS;
    now = tmr_jiffies();
    tmr_start(&d->tick, next > now ? next - now : 1, amdi_sip_tick, d);
}
