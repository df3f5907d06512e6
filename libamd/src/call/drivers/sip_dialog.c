/* SPDX-License-Identifier: MIT */
/* The SIP dialog of one call leg (RFC 3261), on the loop thread: the INVITE with our SDP offer
 * (RFC 3264: PCMU, PCMA, telephone-event), digest credentials, libre's session events
 * (provisional responses, answer, re-INVITE, BYE / failure) turned into the leg's shared
 * state, and the hang-up. */
#include "sip_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* The digest credentials, a libre object of their own so a session that outlives its leg
 * (CANCEL / BYE still in flight) never reaches back into freed memory. */
typedef struct creds {
    char *user, *pass;
} creds;

void amdi_sip_leg_set_refused(amdi_leg *l, int code)
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
    amdi_sip_media_start(l);
    pthread_mutex_lock(&l->d->stats_mu);
    l->d->stats.answered++;
    pthread_mutex_unlock(&l->d->stats_mu);
}

static void close_h(int err, const struct sip_msg *msg, void *arg)
{
    amdi_leg *l = arg;
    amdi_sip_media_stop(l);
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
    amdi_sip_leg_set_refused(l, code);
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

void amdi_sip_decline_inbound(const struct sip_msg *msg, void *arg)
{
    sipdrv *d = arg;
    /* inbound calls are not modelled (the Calls API only places calls) */
    (void)sip_treply(NULL, d->sip, msg, 603, "Decline");
}

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

/* Our SDP offer on a fresh RTP socket: PCMU, PCMA, telephone-event 0-15, ptime 20. */
static int make_offer(sipdrv *d, amdi_leg *l, struct mbuf **offer)
{
    struct sa rtp_ip = d->laddr;
    sa_set_port(&rtp_ip, 0);
    int err = rtp_listen(&l->rtp, IPPROTO_UDP, &rtp_ip, d->rtp_min, d->rtp_max, false, amdi_sip_rtp_received,
                         NULL, l);
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
        err = sdp_encode(offer, l->sdp, true);
    return err;
}

/* The call's own credentials (SipAuthUsername / -Password), else the driver's defaults. */
static int make_creds(sipdrv *d, amdi_leg *l, creds **out)
{
    const char *user = l->req_auth ? l->req_user : NULL, *pass = l->req_auth ? l->req_pass : NULL;
    creds *c = mem_zalloc(sizeof *c, creds_destroy);
    if (!c)
        return ENOMEM;
    const char *u = user && *user ? user : (d->user[0] ? d->user : NULL);
    const char *pw = user && *user ? pass : (d->user[0] ? d->pass : NULL);
    int err = 0;
    if (u)
        err = str_dup(&c->user, u);
    if (!err && pw)
        err = str_dup(&c->pass, pw);
    if (err) {
        mem_deref(c);
        return err;
    }
    *out = c;
    return 0;
}

int amdi_sip_leg_connect(sipdrv *d, amdi_leg *l)
{
    struct mbuf *offer = NULL;
    creds *c = NULL;
    char from_uri[256], fu[96];
    fill_user(fu, sizeof fu, l->req_from);
    snprintf(from_uri, sizeof from_uri, "sip:%s@%s", fu, d->host);
    int err = make_offer(d, l, &offer);
    if (err)
        goto out;
    l->txmb = mbuf_alloc(RTP_HEADER_SIZE + FRAME_SAMPLES);
    if (!l->txmb || telev_alloc(&l->tel, FRAME_MS)) {
        err = ENOMEM;
        goto out;
    }
    if ((err = make_creds(d, l, &c)))
        goto out;
    err = sipsess_connect(&l->sess, d->sock, l->req_uri, NULL, from_uri, "amd", NULL, 0, "application/sdp", offer,
                          auth_h, c, true, offer_h, answer_h, progr_h, estab_h, NULL, NULL, close_h, l, NULL);
out:
    mem_deref(offer);
    mem_deref(c);
    return err;
}

void amdi_sip_leg_drop_media(amdi_leg *l)
{
    l->sess = mem_deref(l->sess); /* BYE if established, CANCEL if ringing */
    l->sdp = mem_deref(l->sdp);
    l->rtp = mem_deref(l->rtp);
    l->txmb = mem_deref(l->txmb);
    l->tel = mem_deref(l->tel);
}

void amdi_sip_leg_free(sipdrv *d, amdi_leg *l)
{
    amdi_sip_media_stop(l);
    amdi_sip_leg_drop_media(l);
    amdi_sip_stats_add_leg(d, l);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
