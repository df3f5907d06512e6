/* SPDX-License-Identifier: MIT */
/* The `sip` carrier driver: SIP UAC + RTP over libre 1.1.0 (Debian libre-dev).
 *
 * Threading (the design in one place):
 *  - libre keeps one event loop per process (re_main over a global fd / timer table). The
 *    driver runs it on its own thread ("amd-sip"), started at create. Every libre object is
 *    created, used and freed on that thread only: SIP responses, incoming BYE, RTP packets,
 *    the 20 ms RTP send timer and the engine's commands all run there.
 *  - The engine thread calls the driver ops (driver.h). They never call libre: dial() allocates
 *    the leg, fills in what to dial and posts a command on a libre mqueue (a pipe the loop
 *    polls); send_digits() and release() post commands too, destroy() posts "stop" and joins.
 *    The loop runs the commands in order. (An earlier version took libre's loop lock from the
 *    engine thread with re_thread_enter(); under 1,000 calls the loop thread re-takes that
 *    unfair mutex after every epoll_wait, and the engine thread starved for seconds.)
 *  - advance() runs on the engine thread. What the loop thread learns about a leg (ringing,
 *    answered, refused with a SIP code, far-end BYE) and the audio it receives go into the
 *    leg's `sh` part under the leg's own mutex; advance() copies the events out and drains
 *    20 ms frames from the leg's jitter buffer (sip_jb.h) at the engine's media clock.
 *  - Leg lifetime: the engine owns a leg from dial() to release(); after release() it never
 *    touches it again and the loop thread frees it when it runs the release command, after
 *    hanging up. libre calls none of our handlers for a session after mem_deref() (it swaps in
 *    its own), and the RTP socket is closed in the same step, so no callback outlives the leg.
 *  - release() runs libre's hang-up: mem_deref() of an established session sends BYE, of a
 *    session that had a provisional response CANCEL (RFC 3261 §9.1); libre keeps the
 *    transaction alive on its own.
 *
 * Media: AMD starts at answer (200 OK), not at early media (183 Session Progress), as on
 * Twilio, whose detection starts when the call is answered. The
 * far end's PCMU / PCMA is decoded to float and placed by RTP timestamp (sip_jb.h). Our side:
 * the engine hands every answered leg one 20 ms frame per media tick (send_audio); the frames
 * wait in a short per-leg queue (OUT_QUEUE) and the loop's 20 ms RTP timer sends one per
 * packet, encoded to the law the far end chose (ITU-T G.711). With nothing queued (before
 * the first frame, or the engine running late) a frame of G.711 silence goes out instead, so
 * NATs / SBCs see symmetric media throughout. Keys go out as RFC 4733 telephone-events in
 * place of the audio when the far end accepted telephone-event: SendDigits, and the keys of
 * <Play digits> (send_audio's digit), else as the in-band tones the frames carry. */
#include "sip_driver.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <re.h>
#define DEBUG_MODULE "amd-sip"
#define DEBUG_LEVEL 0
#include <re_dbg.h>

#include "amd/detector.h"
#include "amd/error.h"
#include "sip_jb.h"

#define FRAME_MS 20       /* the engine's media tick and our ptime (RFC 3551 default for G.711) */
#define FRAME_SAMPLES 160 /* 8 kHz * 20 ms */
#define PT_PCMU 0         /* RFC 3551 static payload types */
#define PT_PCMA 8
#define PT_TELEV 101      /* dynamic PT we offer for telephone-event (RFC 4733) */
/* Jitter buffer depth: 60 ms covers the jitter of a loaded LAN / SBC path while adding less
 * than a tenth of the shortest AMD timer (MachineDetectionSpeechEndThreshold >= 500 ms). */
#define JB_DELAY_SAMPLES 480
#define MAX_PAYLOAD 1920 /* up to 240 ms of G.711 in one packet */
/* Our side's frames between the engine's tick and the RTP timer: two independent 20 ms
 * clocks. Sending starts once OUT_PRIME frames wait (40 ms of slack for the two timers'
 * phase and scheduling jitter); beyond OUT_QUEUE the oldest frame is dropped, so the delay
 * our side's audio gets stays bounded (<= 120 ms) if the engine runs ahead. */
#define OUT_PRIME 2
#define OUT_QUEUE 6
/* <Play>…<Hangup/>: what was queued still goes out before the BYE, then a few frames for the
 * RFC 4733 end packets (sent three times, RFC 4733 §2.5.1.4), within this bound. */
#define RELEASE_DRAIN_MS 400
#define RELEASE_QUIET_FRAMES 4

static pthread_mutex_t g_once_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_in_use; /* libre's loop is per process: one SIP driver at a time */

typedef struct sipdrv sipdrv;

/* Commands from the engine thread to the loop thread (mqueue ids). */
enum { CMD_DIAL = 1, CMD_DIGITS, CMD_RELEASE, CMD_STOP };

/* The digest credentials, a libre object of their own so a session that outlives its leg
 * (CANCEL / BYE still in flight) never reaches back into freed memory. */
typedef struct creds {
    char *user, *pass;
} creds;

struct amdi_leg {
    sipdrv *d;
    /* libre side: touched with the loop lock held only */
    struct le le; /* in d->media while RTP is flowing */
    struct sipsess *sess;
    struct sdp_session *sdp;
    struct sdp_media *sdpm;
    struct rtp_sock *rtp;
    struct mbuf *txmb;
    struct sa raddr;
    int tx_pt, te_pt; /* te_pt: the far end's telephone-event PT, -1 if it did not take it */
    uint32_t tx_ts, ts_tel;
    int in_media;
    /* SendDigits (RFC 4733), loop thread only */
    struct telev *tel;
    char digits[64];
    size_t dpos;
    int dstate, dframes, dcode;
    int play_code; /* RFC 4733 event of the <Play digits> key being sent, -1: none */
    /* released by the engine while our side's audio was still queued: the RTP timer sends the
     * rest (and ends a key's event) before the hang-up, for at most RELEASE_DRAIN_MS */
    int releasing, drain_quiet;
    uint64_t release_by;
    int16_t out_pcm[FRAME_SAMPLES];
    /* RFC 4733 events received (loop thread): the timestamp of the last one reported */
    int rx_tel_seen;
    uint32_t rx_tel_ts;
    /* arrival lateness (loop thread): transit = arrival (8 kHz units) - RTP timestamp */
    int have_transit;
    uint32_t transit_ssrc;
    int32_t transit_min;
    long long late_hist[5], late_max_ms;
    /* shared with the engine thread under mu */
    pthread_mutex_t mu;
    struct {
        int ringing, answered, hangup;
        int refused_code; /* 0: not refused */
        amd_call_status refused_status;
        amdi_sipjb jb;
        /* keys the far end sent as RFC 4733 telephone-events, not yet reported */
        char keys[16];
        int nkeys;
        /* our side's audio (send_audio): 8 kHz s16 frames and the key each one carries */
        int16_t out[OUT_QUEUE][FRAME_SAMPLES];
        char out_digit[OUT_QUEUE];
        unsigned out_head, out_count;
        int out_primed;
        long long out_dropped, out_underruns;
        long long out_depth_sum, out_depth_n, jb_depth_sum, jb_depth_n;
    } sh;
    /* written by the engine thread before it posts the command that reads them */
    char req_uri[600], req_from[128], req_user[128], req_pass[128], req_digits[64];
    int req_auth;
    /* engine thread only */
    int ringing_sent, answered_sent, done;
    int64_t t_answer, frames_out;
    float frame[FRAME_SAMPLES];
    float dec[MAX_PAYLOAD];
};

struct sipdrv {
    pthread_t th;
    int thread_started;
    struct dnsc *dnsc;
    struct sip *sip;
    struct sipsess_sock *sock;
    struct mqueue *mq; /* engine thread -> loop thread commands */
    struct tmr tick, stop_tmr;
    uint64_t tick_t0, ticks_done; /* RTP send schedule (ms, frames) */
    struct list media; /* legs to send RTP for */
    struct sa laddr;
    char host[64];    /* "IP:PORT" of our SIP socket for From URIs */
    char trunk[256];  /* "IP[:PORT][;params]" phone numbers are sent to */
    char user[128], pass[128];
    uint16_t rtp_min, rtp_max;
    amd_log_fn log_fn;
    void *log_user;
    amd_log_level log_level;
    struct sip_lsnr *stray_req, *stray_resp; /* after every other listener: what nobody handled */
    pthread_mutex_t log_mu; /* the diagnostics rate limit below */
    uint64_t log_window_ms;
    unsigned log_in_window, log_suppressed;
    int media_priority;
    pthread_mutex_t stats_mu;
    amdi_sip_stats stats;
};

/* ------------------------------------------------------------------ helpers */

static void set_refused(amdi_leg *l, int code)
{
    amd_call_status st = AMD_CALL_FAILED;
    if (code == 486 || code == 600)
        st = AMD_CALL_BUSY;
    else if (code == 408 || code == 480 || code == 487)
        st = AMD_CALL_NO_ANSWER;
    pthread_mutex_lock(&l->mu);
    if (!l->sh.refused_code && !l->sh.answered) {
        l->sh.refused_code = code;
        l->sh.refused_status = st;
    }
    pthread_mutex_unlock(&l->mu);
}

/* Apply the far end's SDP: where to send, which G.711 law. */
static void apply_remote_media(amdi_leg *l)
{
    const struct sa *ra = sdp_media_raddr(l->sdpm);
    if (ra && sa_isset(ra, SA_ALL))
        l->raddr = *ra;
    const struct sdp_format *f = sdp_media_rformat(l->sdpm, NULL);
    /* static PTs may come without a=rtpmap (name NULL): go by the number (pitfall 4) */
    if (f && (f->pt == PT_PCMU || f->pt == PT_PCMA))
        l->tx_pt = f->pt;
    const struct sdp_format *te = sdp_media_rformat(l->sdpm, "telephone-event");
    l->te_pt = te ? te->pt : -1;
}

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

static void leg_free(sipdrv *d, amdi_leg *l);

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

static void media_start(amdi_leg *l)
{
    if (l->in_media)
        return;
    l->in_media = 1;
    list_append(&l->d->media, &l->le, l);
}

static void media_stop(amdi_leg *l)
{
    if (!l->in_media)
        return;
    l->in_media = 0;
    list_unlink(&l->le);
}

/* ------------------------------------------------------------------ libre callbacks (loop thread) */

/* RFC 4733 section 2.3: one event is one RTP timestamp, sent in several packets (the start,
 * updates, three copies of the end); a key is reported once, on the first packet of its
 * timestamp, whichever that is. Events 0-15 are the DTMF keys (section 3.2). */
static void on_telephone_event(amdi_leg *l, const struct rtp_header *hdr, const uint8_t *p, size_t n)
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

static void on_rtp(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg)
{
    amdi_leg *l = arg;
    (void)src;
    size_t n = mbuf_get_left(mb);
    const uint8_t *p = mbuf_buf(mb);
    if (hdr->pt == PT_TELEV || (l->te_pt >= 0 && hdr->pt == l->te_pt)) {
        on_telephone_event(l, hdr, p, n);
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
    if (take) {
        int32_t transit = (int32_t)((uint32_t)(tmr_jiffies() * 8) - hdr->ts);
        if (!l->have_transit || hdr->ssrc != l->transit_ssrc || transit < l->transit_min) {
            l->have_transit = 1;
            l->transit_ssrc = hdr->ssrc;
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
}

static int offer_h(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
    /* a re-INVITE from the far end (hold, codec change): answer from the same media */
    amdi_leg *l = arg;
    int err = sdp_decode(l->sdp, msg->mb, true);
    if (err)
        return err;
    apply_remote_media(l);
    return sdp_encode(descp, l->sdp, false);
}

static int answer_h(const struct sip_msg *msg, void *arg)
{
    amdi_leg *l = arg;
    int err = sdp_decode(l->sdp, msg->mb, false);
    if (!err)
        apply_remote_media(l);
    return err;
}

static void progr_h(const struct sip_msg *msg, void *arg)
{
    amdi_leg *l = arg;
    if (msg->scode == 180 || msg->scode == 183) {
        pthread_mutex_lock(&l->mu);
        l->sh.ringing = 1;
        pthread_mutex_unlock(&l->mu);
    }
    /* 183 with SDP: early media (libre only calls answer_h for 2xx, pitfall 3). Learn the
     * address, but its audio (ringback, announcements) never reaches the detector. */
    if (msg->scode == 183 && mbuf_get_left(msg->mb) && !sdp_decode(l->sdp, msg->mb, false))
        apply_remote_media(l);
}

static void estab_h(const struct sip_msg *msg, void *arg)
{
    amdi_leg *l = arg;
    (void)msg;
    pthread_mutex_lock(&l->mu);
    if (!l->sh.refused_code)
        l->sh.answered = 1;
    pthread_mutex_unlock(&l->mu);
    media_start(l);
    pthread_mutex_lock(&l->d->stats_mu);
    l->d->stats.answered++;
    pthread_mutex_unlock(&l->d->stats_mu);
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
    amdi_leg *l = arg;
    media_stop(l);
    pthread_mutex_lock(&l->mu);
    int answered = l->sh.answered;
    if (answered)
        l->sh.hangup = 1; /* far-end BYE (or the dialog failed) after answer */
    pthread_mutex_unlock(&l->mu);
    if (answered)
        return;
    int code;
    if (msg && !msg->req && msg->scode >= 300)
        code = msg->scode;
    else if (err == ETIMEDOUT)
        code = 408; /* Timer B: nobody answered the INVITE at all */
    else
        code = 500;
    set_refused(l, code);
}

static int auth_h(char **user, char **pass, const char *realm, void *arg)
{
    creds *c = arg;
    (void)realm;
    if (!c->user || !c->pass)
        return EAUTH; /* challenged without credentials: the call fails with the 401 / 407 */
    int err = str_dup(user, c->user);
    if (!err)
        err = str_dup(pass, c->pass);
    return err;
}

static void conn_h(const struct sip_msg *msg, void *arg)
{
    sipdrv *d = arg;
    /* inbound calls are not modelled (the Calls API only places calls) */
    (void)sip_treply(NULL, d->sip, msg, 603, "Decline");
}

/* Every 20 ms: one frame of silence on every answered leg. The schedule is absolute (frame k
 * at t0 + 20k ms), so timer slop and the time spent sending do not stretch the packet interval;
 * after a stall of more than 100 ms the missed frames are skipped, not burst. */
static void tick_h(void *arg)
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
                leg_free(d, l);
                continue;
            }
            if (!sa_isset(&l->raddr, SA_ALL))
                continue;
            struct mbuf *mb = l->txmb;
            char digit = 0;
            int have = out_pop(l, l->out_pcm, &digit);
            if (l->tel) {
                play_digit_step(l, digit);
                dtmf_step(l);
                bool marker = false;
                mb->pos = RTP_HEADER_SIZE;
                mb->end = RTP_HEADER_SIZE;
                if (!telev_poll(l->tel, &marker, mb)) {
                    /* an RFC 4733 event packet replaces this frame's audio */
                    if (marker)
                        l->ts_tel = l->tx_ts;
                    mb->pos = RTP_HEADER_SIZE;
                    if (!rtp_send(l->rtp, &l->raddr, false, marker, (uint8_t)l->te_pt, l->ts_tel, mb))
                        sent++;
                    l->tx_ts += FRAME_SAMPLES;
                    continue;
                }
            }
            mb->pos = RTP_HEADER_SIZE;
            mb->end = RTP_HEADER_SIZE;
            /* G.711 silence: µ-law 0xFF, A-law 0xD5 (ITU-T G.711 zero codes) */
            if (have ? encode_frame(l, mb) : mbuf_fill(mb, l->tx_pt == PT_PCMA ? 0xD5 : 0xFF, FRAME_SAMPLES))
                continue;
            mb->pos = RTP_HEADER_SIZE;
            if (!rtp_send(l->rtp, &l->raddr, false, false, (uint8_t)l->tx_pt, l->tx_ts, mb))
                sent++;
            l->tx_ts += FRAME_SAMPLES;
        }
    }
    if (sent) {
        pthread_mutex_lock(&d->stats_mu);
        d->stats.rtp_sent += sent;
        pthread_mutex_unlock(&d->stats_mu);
    }
    uint64_t next = d->tick_t0 + due * FRAME_MS;
    now = tmr_jiffies();
    tmr_start(&d->tick, next > now ? next - now : 1, tick_h, d);
}

static void exit_h(void *arg)
{
    (void)arg;
    re_cancel();
}

static void stop_h(void *arg)
{
    (void)arg;
    re_cancel(); /* BYEs still unanswered after the grace period: stop anyway */
}

static void *loop_thread(void *arg)
{
    sipdrv *d = arg;
    (void)prctl(PR_SET_NAME, "amd-sip", 0, 0, 0); /* shows in top -H / the SIP bench */
    if (d->media_priority > 0) {
        /* RTP arrives every 20 ms per call: on a busy machine this thread must get a core as
         * promptly as the media clock does (bench/RESULTS.md "SIP calls") */
        struct sched_param sp;
        memset(&sp, 0, sizeof sp);
        sp.sched_priority = d->media_priority;
        int rc = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
        if (rc && d->log_fn) {
            char m[160];
            snprintf(m, sizeof m, "sip: cannot raise the SIP thread to SCHED_RR %d: %s", d->media_priority,
                     strerror(rc));
            d->log_fn(d->log_user, AMD_LOG_WARN, m);
        }
    }
    (void)re_main(NULL);
    return NULL;
}

/* Diagnostics from the SIP stack (libre's debug output, messages nobody handled): they carry
 * bytes from the network, so they go through the logger at debug level, made printable,
 * truncated, and at most LOG_BURST lines per LOG_WINDOW_MS (then one line saying how many
 * were dropped). */
#define LOG_BURST 20
#define LOG_WINDOW_MS 10000

static void diag_log(sipdrv *d, const char *text, size_t len)
{
    if (!d || !d->log_fn || d->log_level < AMD_LOG_DEBUG)
        return;
    char line[300];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < sizeof line; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n' || ch == '\r') {
            if (i + 1 < len)
                line[n++] = ' ';
        } else {
            line[n++] = ch >= ' ' && ch < 0x7f ? (char)ch : '?';
        }
    }
    if (n + 4 >= sizeof line)
        memcpy(line + n, "...", 3), n += 3;
    line[n] = 0;
    pthread_mutex_lock(&d->log_mu);
    uint64_t now = tmr_jiffies();
    unsigned dropped = 0;
    if (now - d->log_window_ms >= LOG_WINDOW_MS) {
        dropped = d->log_suppressed;
        d->log_window_ms = now;
        d->log_in_window = 0;
        d->log_suppressed = 0;
    }
    int pass = d->log_in_window < LOG_BURST;
    if (pass)
        d->log_in_window++;
    else
        d->log_suppressed++;
    pthread_mutex_unlock(&d->log_mu);
    if (dropped) {
        char m[96];
        snprintf(m, sizeof m, "sip: %u diagnostic line(s) dropped by the rate limit", dropped);
        d->log_fn(d->log_user, AMD_LOG_DEBUG, m);
    }
    if (pass)
        d->log_fn(d->log_user, AMD_LOG_DEBUG, line);
}

static void dbg_to_log(int level, const char *p, size_t len, void *arg)
{
    (void)level; /* a library does not write to stderr: into the logger instead */
    diag_log(arg, p, len);
}

/* A request no listener took (libre would print it to stderr and answer it): answer as
 * RFC 3261 sections 8.2.1 and 9.2 say — 481 to a CANCEL that matches nothing, 501 to a method we do
 * not implement, nothing to an ACK — and log it through the logger. */
static bool stray_request(const struct sip_msg *msg, void *arg)
{
    sipdrv *d = arg;
    char m[300];
    int n = re_snprintf(m, sizeof m, "sip: unhandled request from %J: %r %r", &msg->src, &msg->met, &msg->ruri);
    diag_log(d, m, n > 0 ? (size_t)n : 0);
    if (!pl_strcmp(&msg->met, "CANCEL"))
        (void)sip_reply(d->sip, msg, 481, "Transaction Does Not Exist");
    else if (pl_strcmp(&msg->met, "ACK"))
        (void)sip_reply(d->sip, msg, 501, "Not Implemented");
    return true;
}

/* A response no listener took: one that matches no client transaction (libre's
 * response_handler in src/sip/ctrans.c declines it) and is not a 2xx to INVITE (libre's
 * session socket, response_handler in src/sipsess/listen.c, takes every one of those to re-send
 * the ACK, RFC 3261 §13.2.2.4). Dropped as RFC 3261 §18.1.2 says, logged through the logger. */
static bool stray_response(const struct sip_msg *msg, void *arg)
{
    sipdrv *d = arg;
    char m[300];
    int n = re_snprintf(m, sizeof m, "sip: unhandled response from %J: %u %r (%r)", &msg->src, msg->scode,
                        &msg->reason, &msg->cseq.met);
    diag_log(d, m, n > 0 ? (size_t)n : 0);
    return true;
}

/* ------------------------------------------------------------------ driver ops (engine thread) */

static void creds_destroy(void *arg)
{
    creds *c = arg;
    mem_deref(c->user);
    mem_deref(c->pass);
}

static void fill_user(char *out, size_t cap, const char *from)
{
    size_t j = 0;
    for (const char *p = from ? from : ""; *p && j + 1 < cap; p++)
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '+' ||
            *p == '.' || *p == '-' || *p == '_')
            out[j++] = *p;
    out[j] = 0;
    if (!j)
        snprintf(out, cap, "amd");
}

static int leg_connect(sipdrv *d, amdi_leg *l, const char *to_uri, const char *from, const char *user,
                       const char *pass)
{
    struct mbuf *offer = NULL;
    creds *c = NULL;
    char from_uri[256], fu[96];
    int err;
    fill_user(fu, sizeof fu, from);
    snprintf(from_uri, sizeof from_uri, "sip:%s@%s", fu, d->host);

    struct sa rtp_ip = d->laddr;
    sa_set_port(&rtp_ip, 0);
    err = rtp_listen(&l->rtp, IPPROTO_UDP, &rtp_ip, d->rtp_min, d->rtp_max, false, on_rtp, NULL, l);
    if (err)
        return err;
    err = sdp_session_alloc(&l->sdp, &rtp_ip);
    if (!err)
        err = sdp_media_add(&l->sdpm, l->sdp, "audio", sa_port(rtp_local(l->rtp)), "RTP/AVP");
    if (!err)
        err = sdp_format_add(NULL, l->sdpm, false, "0", "PCMU", 8000, 1, NULL, NULL, NULL, false, NULL);
    if (!err)
        err = sdp_format_add(NULL, l->sdpm, false, "8", "PCMA", 8000, 1, NULL, NULL, NULL, false, NULL);
    if (!err)
        err = sdp_format_add(NULL, l->sdpm, false, "101", "telephone-event", 8000, 1, NULL, NULL, NULL, false,
                             "0-15");
    if (!err)
        err = sdp_media_set_lattr(l->sdpm, true, "ptime", "%d", FRAME_MS);
    if (!err)
        err = sdp_encode(&offer, l->sdp, true);
    if (err)
        goto out;
    l->txmb = mbuf_alloc(RTP_HEADER_SIZE + FRAME_SAMPLES);
    if (!l->txmb || telev_alloc(&l->tel, FRAME_MS)) {
        err = ENOMEM;
        goto out;
    }
    c = mem_zalloc(sizeof *c, creds_destroy);
    if (!l->txmb || !c) {
        err = ENOMEM;
        goto out;
    }
    const char *u = user && *user ? user : (d->user[0] ? d->user : NULL);
    const char *pw = user && *user ? pass : (d->user[0] ? d->pass : NULL);
    if (u && (err = str_dup(&c->user, u)))
        goto out;
    if (pw && (err = str_dup(&c->pass, pw)))
        goto out;
    err = sipsess_connect(&l->sess, d->sock, to_uri, NULL, from_uri, "amd", NULL, 0, "application/sdp", offer,
                          auth_h, c, true, offer_h, answer_h, progr_h, estab_h, NULL, NULL, close_h, l, NULL);
out:
    mem_deref(offer);
    mem_deref(c);
    return err;
}

/* ------------------------------------------------------------------ commands (loop thread) */

static void leg_free(sipdrv *d, amdi_leg *l)
{
    media_stop(l);
    l->sess = mem_deref(l->sess); /* BYE if established, CANCEL if ringing */
    l->sdp = mem_deref(l->sdp);
    l->rtp = mem_deref(l->rtp);
    l->txmb = mem_deref(l->txmb);
    l->tel = mem_deref(l->tel);
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
    pthread_mutex_destroy(&l->mu);
    free(l);
}

static void cmd_h(int id, void *data, void *arg)
{
    sipdrv *d = arg;
    amdi_leg *l = data;
    switch (id) {
    case CMD_DIAL: {
        int err = leg_connect(d, l, l->req_uri, l->req_from, l->req_auth ? l->req_user : NULL,
                              l->req_auth ? l->req_pass : NULL);
        if (err) {
            l->sess = mem_deref(l->sess);
            l->sdp = mem_deref(l->sdp);
            l->rtp = mem_deref(l->rtp);
            l->txmb = mem_deref(l->txmb);
            l->tel = mem_deref(l->tel);
            set_refused(l, err == EINVAL ? 400 : 503); /* a bad URI, or no ports / memory */
        }
        break;
    }
    case CMD_DIGITS:
        if (l->tel) {
            memcpy(l->digits, l->req_digits, sizeof l->digits);
            l->dpos = 0;
        }
        break;
    case CMD_RELEASE: {
        pthread_mutex_lock(&l->mu);
        int tail = l->sh.out_count > 0;
        pthread_mutex_unlock(&l->mu);
        if (l->in_media && sa_isset(&l->raddr, SA_ALL) && (tail || l->play_code >= 0)) {
            l->releasing = 1; /* tick_h frees it once the rest went out */
            l->release_by = tmr_jiffies() + RELEASE_DRAIN_MS;
            if (l->play_code >= 0 && !l->sh.out_count) {
                (void)telev_send(l->tel, l->play_code, true);
                l->play_code = -1;
            }
            break;
        }
        leg_free(d, l);
        break;
    }
    case CMD_STOP:
        for (struct le *le = list_head(&d->media), *n; le; le = n) {
            n = le->next;
            amdi_leg *r = le->data;
            if (r->releasing)
                leg_free(d, r); /* no more draining: hang up now */
        }
        d->sock = mem_deref(d->sock); /* no more sessions; pending BYE / CANCEL transactions run on */
        /* exit_h stops the loop once every transaction is done; 2 s at most (BYE
         * retransmissions beyond that would only delay shutdown). */
        tmr_start(&d->stop_tmr, 2000, stop_h, d);
        sip_close(d->sip, false);
        break;
    }
}

static int sip_dial(void *drv, const amdi_dial_request *req, amdi_leg **out)
{
    sipdrv *d = drv;
    const char *to = req->to, *from = req->from, *user = req->auth_user, *pass = req->auth_pass;
    amdi_leg *l = calloc(1, sizeof *l);
    if (!l)
        return AMD_ENOMEM;
    l->d = d;
    l->tx_pt = PT_PCMU;
    l->te_pt = -1;
    l->play_code = -1;
    pthread_mutex_init(&l->mu, NULL);
    amdi_sipjb_init(&l->sh.jb, JB_DELAY_SAMPLES);
    char uri[600];
    int routable = 1;
    if (!strncasecmp(to, "sip:", 4))
        snprintf(uri, sizeof uri, "%s", to);
    else if (d->trunk[0])
        snprintf(uri, sizeof uri, "sip:%s@%s", to, d->trunk);
    else
        routable = 0;
    pthread_mutex_lock(&d->stats_mu);
    d->stats.legs++;
    pthread_mutex_unlock(&d->stats_mu);
    if (!routable) {
        set_refused(l, 404); /* like an unroutable number on the simulated carrier */
        *out = l;
        return 0;
    }
    snprintf(l->req_uri, sizeof l->req_uri, "%s", uri);
    snprintf(l->req_from, sizeof l->req_from, "%s", from ? from : "");
    l->req_auth = user && *user;
    snprintf(l->req_user, sizeof l->req_user, "%s", l->req_auth ? user : "");
    snprintf(l->req_pass, sizeof l->req_pass, "%s", l->req_auth && pass ? pass : "");
    if (mqueue_push(d->mq, CMD_DIAL, l))
        set_refused(l, 503);
    *out = l;
    return 0;
}

static void sip_advance(void *drv, amdi_leg *l, int64_t now, const amdi_leg_sink *k, void *ctx)
{
    (void)drv;
    if (l->done)
        return;
    pthread_mutex_lock(&l->mu);
    int ringing = l->sh.ringing, answered = l->sh.answered, hangup = l->sh.hangup, code = l->sh.refused_code;
    amd_call_status status = l->sh.refused_status;
    pthread_mutex_unlock(&l->mu);
    if (code && !l->answered_sent) {
        l->done = 1;
        k->refused(ctx, status, code);
        return;
    }
    if ((ringing || answered) && !l->ringing_sent) {
        l->ringing_sent = 1;
        k->ringing(ctx);
        return; /* one transition per media tick, as the engine expects */
    }
    if (answered && !l->answered_sent) {
        l->answered_sent = 1;
        l->t_answer = now;
        l->frames_out = 0;
        k->answered(ctx, 8000);
        return;
    }
    if (!l->answered_sent)
        return;
    char keys[sizeof l->sh.keys];
    pthread_mutex_lock(&l->mu);
    int nkeys = l->sh.nkeys;
    memcpy(keys, l->sh.keys, (size_t)nkeys);
    l->sh.nkeys = 0;
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < nkeys && k->digit; i++)
        k->digit(ctx, keys[i]);
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
    if (hangup) {
        /* the far end hung up: what it said up to its BYE is still heard first */
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
        l->done = 1;
        k->remote_hangup(ctx);
    }
}

static void sip_send_digits(void *drv, amdi_leg *l, const char *digits)
{
    sipdrv *d = drv;
    snprintf(l->req_digits, sizeof l->req_digits, "%s", digits); /* Twilio allows 32 digits */
    (void)mqueue_push(d->mq, CMD_DIGITS, l);
}

/* Engine thread: queue our side's next frame for the RTP timer. */
static void sip_send_audio(void *drv, amdi_leg *l, const float *pcm, size_t n, char digit)
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

static void sip_release(void *drv, amdi_leg *l)
{
    sipdrv *d = drv;
    if (!l->req_uri[0] || mqueue_push(d->mq, CMD_RELEASE, l)) {
        /* never handed to the loop (unroutable), or the queue failed: nothing of libre's to undo */
        pthread_mutex_destroy(&l->mu);
        free(l);
    }
}

static void drv_free(sipdrv *d)
{
    /* the loop has stopped (or never ran): libre objects may be freed from this thread */
    d->mq = mem_deref(d->mq);
    d->stray_req = mem_deref(d->stray_req);
    d->stray_resp = mem_deref(d->stray_resp);
    d->sock = mem_deref(d->sock);
    d->sip = mem_deref(d->sip);
    d->dnsc = mem_deref(d->dnsc);
    pthread_mutex_destroy(&d->stats_mu);
    dbg_handler_set(NULL, NULL);
    pthread_mutex_destroy(&d->log_mu);
    free(d);
    libre_close();
    pthread_mutex_lock(&g_once_mu);
    g_in_use = 0;
    pthread_mutex_unlock(&g_once_mu);
}

static void sip_destroy(void *drv)
{
    sipdrv *d = drv;
    if (d->thread_started) {
        if (!mqueue_push(d->mq, CMD_STOP, NULL))
            pthread_join(d->th, NULL);
        else
            pthread_detach(d->th); /* cannot happen short of ENOMEM; leak rather than hang */
        tmr_cancel(&d->tick);
        tmr_cancel(&d->stop_tmr);
        sip_close(d->sip, true);
    }
    if (d->log_fn) {
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
    drv_free(d);
}

void amdi_sip_driver_stats(void *drv, amdi_sip_stats *st)
{
    sipdrv *d = drv;
    pthread_mutex_lock(&d->stats_mu);
    *st = d->stats;
    pthread_mutex_unlock(&d->stats_mu);
}

static const amdi_driver_ops k_sip_ops = {
    .name = "sip",
    .dial = sip_dial,
    .advance = sip_advance,
    .release = sip_release,
    .destroy = sip_destroy,
    .send_digits = sip_send_digits,
    .send_audio = sip_send_audio,
};

/* "IP:PORT" with a numeric IP (never a hostname: the driver does no DNS lookups). */
static int parse_hostport(const char *s, struct sa *out, uint16_t def_port)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    if (!sa_decode(out, buf, strlen(buf)))
        return 0;
    return sa_set_str(out, buf, def_port);
}

int amdi_sip_driver_create(const amdi_sip_config *cfg, amdi_driver *out, char *err, size_t errlen)
{
    if (!cfg || !cfg->listen || !out) {
        snprintf(err, errlen, "sip: a listen address is required");
        return AMD_EINVAL;
    }
    pthread_mutex_lock(&g_once_mu);
    if (g_in_use) {
        pthread_mutex_unlock(&g_once_mu);
        snprintf(err, errlen, "sip: only one SIP driver per process (libre has one event loop)");
        return AMD_ESTATE;
    }
    g_in_use = 1;
    pthread_mutex_unlock(&g_once_mu);
    sipdrv *d = calloc(1, sizeof *d);
    if (!d) {
        pthread_mutex_lock(&g_once_mu);
        g_in_use = 0;
        pthread_mutex_unlock(&g_once_mu);
        return AMD_ENOMEM;
    }
    pthread_mutex_init(&d->stats_mu, NULL);
    list_init(&d->media);
    tmr_init(&d->tick);
    tmr_init(&d->stop_tmr);
    int rc = AMD_EINVAL;
    if (libre_init()) {
        snprintf(err, errlen, "sip: libre_init failed");
        free(d);
        pthread_mutex_lock(&g_once_mu);
        g_in_use = 0;
        pthread_mutex_unlock(&g_once_mu);
        return AMD_EIO;
    }
    pthread_mutex_init(&d->log_mu, NULL);
    d->log_fn = cfg->log_fn;
    d->log_user = cfg->log_user;
    d->log_level = cfg->log_level;
    dbg_init(DBG_WARNING, DBG_NONE);
    dbg_handler_set(dbg_to_log, d);
    /* libre's fd table defaults to 1024 entries; a thousand calls need one RTP socket each */
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur > 1024)
        (void)fd_setsize(rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur);

    if (parse_hostport(cfg->listen, &d->laddr, 5060) || !sa_isset(&d->laddr, SA_ADDR)) {
        snprintf(err, errlen, "sip: --sip-listen: expected a numeric IP:PORT, got '%s'", cfg->listen);
        goto fail;
    }
    if (sa_port(&d->laddr) == 0)
        sa_set_port(&d->laddr, 5060);
    (void)re_snprintf(d->host, sizeof d->host, "%J", &d->laddr);
    if (cfg->trunk && *cfg->trunk) {
        const char *t = cfg->trunk;
        if (strncasecmp(t, "sip:", 4)) {
            snprintf(err, errlen, "sip: --sip-trunk: expected sip:IP[:PORT], got '%s'", cfg->trunk);
            goto fail;
        }
        t += 4;
        const char *at = strchr(t, '@');
        if (at)
            t = at + 1;
        struct sa ta;
        char hp[128];
        size_t hl = strcspn(t, ";?>");
        if (hl >= sizeof hp || hl == 0) {
            snprintf(err, errlen, "sip: --sip-trunk: bad URI '%s'", cfg->trunk);
            goto fail;
        }
        memcpy(hp, t, hl);
        hp[hl] = 0;
        if (parse_hostport(hp, &ta, 5060)) {
            snprintf(err, errlen, "sip: --sip-trunk: the host must be a numeric IP (no DNS), got '%s'", cfg->trunk);
            goto fail;
        }
        snprintf(d->trunk, sizeof d->trunk, "%s", t);
        size_t tl = strcspn(d->trunk, ">");
        d->trunk[tl] = 0;
    }
    d->log_fn = cfg->log_fn;
    d->log_user = cfg->log_user;
    d->media_priority = cfg->media_priority;
    if (cfg->auth_user)
        snprintf(d->user, sizeof d->user, "%s", cfg->auth_user);
    if (cfg->auth_pass)
        snprintf(d->pass, sizeof d->pass, "%s", cfg->auth_pass);
    d->rtp_min = (uint16_t)(cfg->rtp_port_min > 0 ? cfg->rtp_port_min : 20000);
    d->rtp_max = (uint16_t)(cfg->rtp_port_max > cfg->rtp_port_min ? cfg->rtp_port_max : 39999);

    rc = AMD_EIO;
    if (dnsc_alloc(&d->dnsc, NULL, NULL, 0) || /* no servers: a hostname can never leave the box */
        sip_alloc(&d->sip, d->dnsc, 4096, 4096, 4096, "libamd", exit_h, d)) {
        snprintf(err, errlen, "sip: cannot start the SIP stack");
        goto fail;
    }
    if (sip_transp_add(d->sip, SIP_TRANSP_UDP, &d->laddr)) {
        snprintf(err, errlen, "sip: cannot bind UDP %s", d->host);
        goto fail;
    }
    if (sipsess_listen(&d->sock, d->sip, 1024, conn_h, d)) {
        snprintf(err, errlen, "sip: cannot create the session socket");
        goto fail;
    }
    /* registered last, so they see only what the session socket did not take */
    if (sip_listen(&d->stray_req, d->sip, true, stray_request, d) ||
        sip_listen(&d->stray_resp, d->sip, false, stray_response, d)) {
        snprintf(err, errlen, "sip: cannot create the SIP listeners");
        goto fail;
    }
    if (mqueue_alloc(&d->mq, cmd_h, d)) {
        snprintf(err, errlen, "sip: cannot create the command queue");
        goto fail;
    }
    tmr_start(&d->tick, FRAME_MS, tick_h, d);
    if (pthread_create(&d->th, NULL, loop_thread, d)) {
        snprintf(err, errlen, "sip: cannot start the SIP thread");
        goto fail;
    }
    d->thread_started = 1;
    out->ops = &k_sip_ops;
    out->state = d;
    return 0;
fail:
    tmr_cancel(&d->tick);
    drv_free(d);
    return rc;
}
