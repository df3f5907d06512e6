/* SPDX-License-Identifier: MIT */
/* Part of libamdcall: what the files of the `sip` carrier driver share (sip_driver.c has the
 * threading design). A leg's libre objects are touched on the loop thread only; its `sh` part
 * is shared with the engine thread under the leg's mutex. Internal: nothing here is exported. */
#ifndef AMDI_SIP_INTERNAL_H
#define AMDI_SIP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <re.h>

#include "sip_driver.h"
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

typedef struct sipdrv sipdrv;

/* Commands from the engine thread to the loop thread (mqueue ids). */
enum { CMD_DIAL = 1, CMD_DIGITS, CMD_RELEASE, CMD_STOP };

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

/* The SIP dialog of a leg (sip_dialog.c), loop thread. */
int amdi_sip_leg_connect(sipdrv *d, amdi_leg *l);           /* INVITE with our SDP offer; errno */
void amdi_sip_leg_set_refused(amdi_leg *l, int code);       /* a SIP final code >= 300 */
void amdi_sip_leg_drop_media(amdi_leg *l);                   /* frees the leg's libre objects */
void amdi_sip_leg_free(sipdrv *d, amdi_leg *l);             /* hang up (BYE / CANCEL) and free */
void amdi_sip_decline_inbound(const struct sip_msg *msg, void *arg); /* sipsess_listen's conn handler */

/* RFC 4733 telephone-events (sip_telev.c), loop thread unless marked. */
void amdi_sip_telev_start_digits(amdi_leg *l, const char *digits);
/* 1 when an event packet went out in place of this frame's audio (*sent counts it). */
int amdi_sip_telev_send(amdi_leg *l, char play_digit, long long *sent);
void amdi_sip_telev_end_play_digit(amdi_leg *l);
void amdi_sip_telev_received(amdi_leg *l, const struct rtp_header *hdr, const uint8_t *p, size_t n);
void amdi_sip_telev_report_keys(amdi_leg *l, const amdi_leg_sink *k, void *ctx); /* engine thread */

/* Our side's audio (sip_rtp_send.c): the per-leg send queue and the 20 ms RTP timer. */
void amdi_sip_media_start(amdi_leg *l);
void amdi_sip_media_stop(amdi_leg *l);
void amdi_sip_tick(void *arg);                                 /* the loop's RTP timer (tmr handler) */
void amdi_sip_send_audio(void *drv, amdi_leg *l, const float *pcm, size_t n, char digit); /* engine thread */

/* The far end's audio (sip_rtp_recv.c): RTP in (loop thread), 20 ms frames out (engine thread). */
void amdi_sip_rtp_received(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg);
void amdi_sip_recv_frames(amdi_leg *l, int64_t now, const amdi_leg_sink *k, void *ctx);
void amdi_sip_recv_flush(amdi_leg *l, const amdi_leg_sink *k, void *ctx);

/* Counters (sip_stats.c). */
void amdi_sip_stats_arrival(amdi_leg *l, uint32_t ssrc, uint32_t rtp_ts); /* loop thread */
void amdi_sip_stats_add_leg(sipdrv *d, const amdi_leg *l);
void amdi_sip_stats_log_summary(sipdrv *d);

/* Diagnostics from the SIP stack into the logger (sip_diag.c). */
void amdi_sip_diag_attach(sipdrv *d); /* libre's debug output -> the logger */
void amdi_sip_diag_detach(sipdrv *d);
void amdi_sip_diag_log(sipdrv *d, const char *text, size_t len);
bool amdi_sip_stray_request(const struct sip_msg *msg, void *arg);
bool amdi_sip_stray_response(const struct sip_msg *msg, void *arg);

#endif
