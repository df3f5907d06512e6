/* SPDX-License-Identifier: MIT */
/* RFC 4733 telephone-events of the SIP driver, on the loop thread: our keys (SendDigits and
 * the keys of <Play digits>) sent in place of the audio when the far end accepted
 * telephone-event, and the far end's keys received. */
#include "sip_internal.h"

#include <string.h>

/* RFC 4733 digit timing: 100 ms tone, 100 ms gap (ITU-T Q.24 asks >= 40 ms each; 100 ms is
 * what most IVRs expect of generated digits); Twilio's w / W pause 0.5 s / 1 s. */
#define DIGIT_FRAMES 5
#define GAP_FRAMES 5

static void dtmf_step(amdi_leg *l)
{
    if (l->dstate == 0 && l->digits[l->dpos]) {
        char ch = l->digits[l->dpos++];
        if (ch == 'w' || ch == 'W') {
            l->dstate = 2;
            l->dframes = ch == 'w' ? 25 : 50;
            return;
        }
        int code = telev_digit2code(ch);
        if (code < 0 || l->te_pt < 0)
            return;
        if (telev_send(l->tel, code, false))
            return;
        l->dcode = code;
        l->dstate = 1;
        l->dframes = DIGIT_FRAMES;
        return;
    }
    if (l->dstate && --l->dframes <= 0) {
        if (l->dstate == 1) {
            (void)telev_send(l->tel, l->dcode, true);
            l->dstate = 2;
            l->dframes = GAP_FRAMES;
        } else {
            l->dstate = 0;
        }
    }
}

/* <Play digits> keys as RFC 4733 events: start when a key appears in our side's frames, end
 * when it changes or goes back to 0 (the in-band tone is not sent meanwhile: the event
 * packet replaces the frame). Only when the far end took telephone-event. */
static void play_digit_step(amdi_leg *l, char digit)
{
    int code = digit && l->te_pt >= 0 ? telev_digit2code(digit) : -1;
    if (code == l->play_code)
        return;
    if (l->play_code >= 0)
        (void)telev_send(l->tel, l->play_code, true);
    l->play_code = -1;
    if (code >= 0 && !telev_send(l->tel, code, false))
        l->play_code = code;
}

void amdi_sip_telev_start_digits(amdi_leg *l, const char *digits)
{
    if (!l->tel)
        return;
    memcpy(l->digits, digits, sizeof l->digits);
    l->dpos = 0;
}

/* Called once per 20 ms frame (RFC 4733 senders poll once per ptime). */
int amdi_sip_telev_send(amdi_leg *l, char play_digit, long long *sent)
{
    if (!l->tel)
        return 0;
    play_digit_step(l, play_digit);
    dtmf_step(l);
    struct mbuf *mb = l->txmb;
    bool marker = false;
    mb->pos = RTP_HEADER_SIZE;
    mb->end = RTP_HEADER_SIZE;
    if (telev_poll(l->tel, &marker, mb))
        return 0; /* no event packet due: the frame's audio goes out */
    /* an RFC 4733 event packet replaces this frame's audio; one timestamp per event */
    if (marker)
        l->ts_tel = l->tx_ts;
    mb->pos = RTP_HEADER_SIZE;
    if (!rtp_send(l->rtp, &l->raddr, false, marker, (uint8_t)l->te_pt, l->ts_tel, mb))
        (*sent)++;
    l->tx_ts += FRAME_SAMPLES;
    return 1;
}

/* The leg is released with nothing queued: end the <Play digits> key's event now. */
void amdi_sip_telev_end_play_digit(amdi_leg *l)
{
    if (l->play_code < 0)
        return;
    (void)telev_send(l->tel, l->play_code, true);
    l->play_code = -1;
}

/* RFC 4733 section 2.3: one event is one RTP timestamp, sent in several packets (the start,
 * updates, three copies of the end); a key is reported once, on the first packet of its
 * timestamp, whichever that is. Events 0-15 are the DTMF keys (section 3.2). */
void amdi_sip_telev_received(amdi_leg *l, const struct rtp_header *hdr, const uint8_t *p, size_t n)
{
    static const char keys[] = "0123456789*#ABCD";
    if (n < 4 || p[0] > 15)
        return;
    pthread_mutex_lock(&l->mu);
    if (l->sh.answered && !l->sh.hangup && (!l->rx_tel_seen || hdr->ts != l->rx_tel_ts) &&
        l->sh.nkeys < (int)sizeof l->sh.keys) {
        l->sh.keys[l->sh.nkeys++] = keys[p[0]];
        l->rx_tel_seen = 1;
        l->rx_tel_ts = hdr->ts;
    }
    pthread_mutex_unlock(&l->mu);
}

/* Engine thread: the keys received since the last media tick, to the engine. */
void amdi_sip_telev_report_keys(amdi_leg *l, const amdi_leg_sink *k, void *ctx)
{
    char keys[sizeof l->sh.keys];
    pthread_mutex_lock(&l->mu);
    int nkeys = l->sh.nkeys;
    memcpy(keys, l->sh.keys, (size_t)nkeys);
    l->sh.nkeys = 0;
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < nkeys && k->digit; i++)
        k->digit(ctx, keys[i]);
}
