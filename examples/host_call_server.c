/* SPDX-License-Identifier: MIT */
/* A call server embedding amd_server with the host driver (amd/host.h): it places one call
 * through the C API (or waits for calls created over REST with --serve), "dials" it in its own
 * pretend telephony stack, which rings, answers and plays a WAV file as the far end, and prints
 * the status changes and the AMD result the server reports.
 *
 *   host_call_server [options] FILE.wav
 *     --mode Enable|DetectMessageEnd  MachineDetection (default Enable)
 *     --format s16|float|ulaw         how the far-end audio is fed (default s16)
 *     --chunk N                       samples per feed call (default 137: any size works)
 *     --fast                          feed as fast as the server takes it instead of real time
 *     --db PATH                       database (default: a temporary file, removed at exit)
 *     --serve                         also print the REST port and wait for REST-created calls
 *
 * Output, one line each: "event <CallSid> status=<status> ..." for every status change,
 * "amd <CallSid> AnsweredBy=<x> MachineDetectionDuration=<ms>", and at the end "call <json>"
 * (the call resource as GET /Calls/{Sid}.json returns it). Exit 0 when the call completed. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audio_file.h"
#include "amd/call.h"
#include "amd/detector.h"
#include "amd/host.h"
#include "amd/server.h"

#define ACCOUNT "AC00000000000000000000000000000001"
#define TOKEN "example-token"

/* The pretend telephony stack: one queue of calls waiting to be dialed, and a flag per call. */
typedef struct pending {
    amd_host_call *call;
    struct pending *next;
} pending;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static pending *g_queue;
static int g_finished; /* calls that reached a final status */
static int g_completed;
static int g_hung; /* the server hung up the call being played */

typedef struct opts {
    const char *wav, *mode, *format, *db;
    size_t chunk;
    int fast, serve;
} opts;

/* ---- callbacks (engine thread: only hand over, never block) ---- */

static int on_dial(void *user, amd_host_call *call, const char *sid, const char *to, const char *from)
{
    (void)user;
    printf("dial %s to=%s from=%s\n", sid, to, from);
    fflush(stdout);
    pending *p = malloc(sizeof *p);
    if (!p)
        return AMD_ENOMEM;
    p->call = call;
    pthread_mutex_lock(&g_mu);
    p->next = g_queue;
    g_queue = p;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    return 0;
}

static void on_hangup(void *user, amd_host_call *call)
{
    (void)user;
    /* our stack would send BYE here; the feeding thread sees the flag and releases */
    pthread_mutex_lock(&g_mu);
    g_hung = 1;
    pthread_mutex_unlock(&g_mu);
    printf("hangup %s (server side)\n", amd_host_call_sid(call));
    fflush(stdout);
}

static void on_event(void *user, const amd_host_event *ev)
{
    (void)user;
    if (ev->kind == AMD_HOST_EVENT_AMD)
        printf("amd %s AnsweredBy=%s MachineDetectionDuration=%lld\n", ev->call_sid, ev->answered_by,
               ev->amd_duration_ms);
    else
        printf("event %s status=%s answered_by=%s duration=%lld\n", ev->call_sid, ev->status,
               ev->answered_by[0] ? ev->answered_by : "-", ev->duration_s);
    fflush(stdout);
    if (ev->kind == AMD_HOST_EVENT_STATUS && ev->final) {
        pthread_mutex_lock(&g_mu);
        g_finished++;
        g_completed += !strcmp(ev->status, "completed");
        pthread_cond_broadcast(&g_cv);
        pthread_mutex_unlock(&g_mu);
    }
}

/* ---- the far end: ring, answer, play the file, hang up ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int feed(amd_host_call *call, const opts *o, const float *x, size_t n)
{
    if (!strcmp(o->format, "float"))
        return amd_host_call_feed_float(call, x, n);
    int16_t s[4096];
    uint8_t u[4096];
    for (size_t i = 0; i < n; i++) {
        float v = x[i] * 32768.0f;
        s[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
        u[i] = amd_ulaw_encode(s[i]);
    }
    return !strcmp(o->format, "ulaw") ? amd_host_call_feed_ulaw(call, u, n) : amd_host_call_feed_s16(call, s, n);
}

static int play_far_end(amd_host_call *call, const opts *o)
{
    pthread_mutex_lock(&g_mu);
    g_hung = 0;
    pthread_mutex_unlock(&g_mu);
    char err[256] = "";
    amdi_audio_file *f = NULL;
    int rc = amdi_audio_file_open(o->wav, NULL, &f, err, sizeof err);
    if (rc) {
        fprintf(stderr, "host_call_server: %s: %s\n", o->wav, err);
        amd_host_call_failed(call, 503);
        amd_host_call_release(call);
        return rc;
    }
    int rate = amdi_audio_file_info(f)->sample_rate;
    amd_host_call_ringing(call);
    sleep_ms(o->fast ? 50 : 1000);
    if ((rc = amd_host_call_answered(call, rate)))
        fprintf(stderr, "host_call_server: answered: %s\n", amd_strerror(rc));
    float buf[4096];
    size_t chunk = o->chunk < 1 ? 1 : o->chunk > 4096 ? 4096 : o->chunk;
    int64_t t0 = mono_us(), fed = 0;
    long n;
    while (!rc && (n = amdi_audio_file_read(f, buf, chunk, err, sizeof err)) > 0) {
        for (;;) {
            pthread_mutex_lock(&g_mu);
            int h = g_hung;
            pthread_mutex_unlock(&g_mu);
            if (h) {
                rc = 1;
                break;
            }
            rc = feed(call, o, buf, (size_t)n);
            if (rc != AMD_ELIMIT)
                break;
            sleep_ms(20); /* --fast: the server's buffer is full, let it catch up */
        }
        if (rc)
            break;
        fed += n;
        if (!o->fast) { /* real time: as a media stack would deliver RTP */
            int64_t due = t0 + fed * 1000000 / rate, now = mono_us();
            if (due > now)
                sleep_ms((long)((due - now) / 1000));
        }
    }
    amdi_audio_file_close(f);
    if (rc != 1) /* the far end reaches the end of its file: it hangs up */
        amd_host_call_hangup(call);
    amd_host_call_release(call);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: host_call_server [--mode Enable|DetectMessageEnd] [--format s16|float|ulaw] "
                    "[--chunk N] [--fast] [--db PATH] [--serve] FILE.wav\n");
}

int main(int argc, char **argv)
{
    opts o = {NULL, "Enable", "s16", NULL, 137, 0, 0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mode") && i + 1 < argc)
            o.mode = argv[++i];
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            o.format = argv[++i];
        else if (!strcmp(argv[i], "--chunk") && i + 1 < argc)
            o.chunk = (size_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            o.db = argv[++i];
        else if (!strcmp(argv[i], "--fast"))
            o.fast = 1;
        else if (!strcmp(argv[i], "--serve"))
            o.serve = 1;
        else if (argv[i][0] != '-' && !o.wav)
            o.wav = argv[i];
        else {
            usage();
            return 2;
        }
    }
    if (!o.wav || (strcmp(o.format, "s16") && strcmp(o.format, "float") && strcmp(o.format, "ulaw"))) {
        usage();
        return 2;
    }
    char dbtmp[64] = "";
    if (!o.db) {
        snprintf(dbtmp, sizeof dbtmp, "/tmp/host-call-server-%ld.db", (long)getpid());
        o.db = dbtmp;
    }

    amd_server_config cfg;
    amd_server_config_init(&cfg);
    amd_server_account acct = {ACCOUNT, TOKEN};
    cfg.listen = "127.0.0.1:0";
    cfg.db_path = o.db;
    cfg.accounts = &acct;
    cfg.n_accounts = 1;
    cfg.cps = 100;
    amd_host_callbacks cb = {on_dial, on_hangup, on_event, NULL};
    amd_server *srv = NULL;
    char err[256] = "";
    int rc = amd_server_create_host(&cfg, &cb, &srv, err, sizeof err);
    if (!rc)
        rc = amd_server_start(srv, err, sizeof err);
    if (rc) {
        fprintf(stderr, "host_call_server: %s (%s)\n", err, amd_strerror(rc));
        amd_server_destroy(srv);
        return 1;
    }
    printf("listening 127.0.0.1:%d account %s token %s\n", amd_server_port(srv), ACCOUNT, TOKEN);
    fflush(stdout);

    char *json = NULL, sid[35] = "";
    int http = 0, want = 1;
    if (!o.serve) {
        char form[512];
        /* the TwiML outlasts the file, so the far end's hang-up ends the call and AMD decides on
         * the whole file, as `amd classify` does */
        snprintf(form, sizeof form,
                 "To=%%2B15551230001&From=%%2B15005550006&MachineDetection=%s"
                 "&Twiml=%%3CResponse%%3E%%3CPause%%20length%%3D%%22120%%22%%2F%%3E%%3C%%2FResponse%%3E",
                 o.mode);
        rc = amd_call_create(srv, ACCOUNT, form, &http, &json);
        if (rc || http != 201) {
            fprintf(stderr, "host_call_server: create: HTTP %d %s\n", http, json ? json : "");
            amd_call_free(json);
            amd_server_destroy(srv);
            return 1;
        }
        const char *p = strstr(json, "\"sid\": \"");
        int off = 8;
        if (!p) {
            p = strstr(json, "\"sid\":\"");
            off = 7;
        }
        if (p)
            snprintf(sid, sizeof sid, "%.34s", p + off);
        amd_call_free(json);
        json = NULL;
    } else {
        want = 1 << 30; /* until killed */
    }

    int done = 0;
    while (done < want) {
        pthread_mutex_lock(&g_mu);
        while (!g_queue && g_finished < want)
            pthread_cond_wait(&g_cv, &g_mu);
        pending *p = g_queue;
        if (p)
            g_queue = p->next;
        done = g_finished;
        pthread_mutex_unlock(&g_mu);
        if (!p)
            break;
        play_far_end(p->call, &o); /* one call at a time is enough for an example */
        free(p);
        pthread_mutex_lock(&g_mu);
        while (g_finished < 1 && !o.serve)
            pthread_cond_wait(&g_cv, &g_mu);
        done = g_finished;
        pthread_mutex_unlock(&g_mu);
    }
    int ok = g_completed > 0;
    /* the final event comes just before its store commit (host.h): wait for the stored call */
    for (int i = 0; sid[0] && i < 100; i++) {
        if (!amd_call_fetch(srv, ACCOUNT, sid, &json) && !strstr(json, "\"status\":\"in-progress\"") &&
            !strstr(json, "\"status\":\"queued\"") && !strstr(json, "\"status\":\"ringing\""))
            break;
        amd_call_free(json);
        json = NULL;
        sleep_ms(20);
    }
    if (json) {
        for (char *c = json; *c; c++) /* one line */
            if (*c == '\n')
                *c = ' ';
        printf("call %s\n", json);
    }
    amd_call_free(json);
    amd_server_destroy(srv);
    if (dbtmp[0]) {
        char path[96];
        const char *sfx[] = {"", "-wal", "-shm", ".lock"};
        for (int i = 0; i < 4; i++) {
            snprintf(path, sizeof path, "%s%s", dbtmp, sfx[i]);
            unlink(path);
        }
    }
    return ok ? 0 : 1;
}
