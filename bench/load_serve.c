/* SPDX-License-Identifier: MIT */
/* Load benchmark of the call server, in process through the public C API.
 *
 *   load_serve concurrent --audio FILE [--bridge AGENT_FILE] [--calls 1000] [--hold 30] [--db PATH]
 *                         [--media-priority N]
 *     N simulated calls (sim driver, real-time clock) answered by FILE with AMD in
 *     DetectMessageEnd mode and a 59 s detection timeout, so every detector runs for the whole
 *     hold; then, over --hold seconds: media-clock lateness distribution (each tick carries one
 *     20 ms frame of every answered call, so a late tick is that many late frames), CPU use of
 *     the process, memory per live call (RSS growth / N). Prints "port P" and "ready" before the
 *     hold, so a load tool can hit the REST API meanwhile.
 *     With --bridge AGENT_FILE every call is bridged by <Dial> to an agent (a dial-plan route of
 *     kind agent talking AGENT_FILE in a loop): N pairs, 2N legs, AMD (AsyncAmd) on the parents
 *     only, each far end's audio carried to the other every tick.
 *
 *   load_serve queue [--calls 100000] [--cps 20] [--clock-speed 25] [--db PATH]
 *     N calls created as fast as amd_call_create takes them, dialed out by the CPS queue through
 *     the host driver (the host answers each dial with busy at once). Checks that every call is
 *     dialed once, in creation order, at the CPS rate (in engine time), and that queue_time of
 *     every 100th call equals its measured wait (dial - create, times the clock speed).
 *
 * The database defaults to /dev/shm (tmpfs): these figures are about the engine, not the disk. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "amd/call.h"
#include "amd/host.h"
#include "amd/server.h"

#define AC "AC00000000000000000000000000000042"

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void rm_db(const char *db)
{
    const char *sfx[] = {"", "-wal", "-shm", ".lock"};
    char p[512];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", db, sfx[i]);
        unlink(p);
    }
}

static void logcb(void *user, amd_log_level lv, const char *msg)
{
    (void)user;
    if (lv <= AMD_LOG_WARN)
        fprintf(stderr, "server: %s\n", msg);
}

static void base_cfg(amd_server_config *cfg, const char *db, amd_server_account *acc)
{
    amd_server_config_init(cfg);
    acc->sid = AC;
    acc->token = "loadtoken";
    cfg->listen = "127.0.0.1:0";
    cfg->db_path = db;
    cfg->accounts = acc;
    cfg->n_accounts = 1;
    cfg->log_fn = logcb;
    cfg->log_level = AMD_LOG_WARN;
    cfg->http_threads = 2;
}

/* ---------------------------------------------------------------- concurrent */

static int concurrent(const char *audio, const char *agent, long n, double hold, const char *db, int prio)
{
    char dir[256], plan[300];
    snprintf(dir, sizeof dir, "%s.d", db);
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd))
        return 1;
    FILE *f = fopen(plan, "w");
    if (!f)
        return 1;
    fprintf(f, "{\"routes\": [{\"to\": \"+1555999*\", \"audio\": \"%s\", \"ring_ms\": 1000, \"outcome\": \"answer\", "
               "\"hangup\": \"never\"}",
            audio);
    if (agent)
        fprintf(f, ", {\"to\": \"+1555888*\", \"audio\": \"%s\", \"ring_ms\": 500, \"outcome\": \"agent\"}", agent);
    fprintf(f, "]}\n");
    fclose(f);
    rm_db(db);
    amd_server_config cfg;
    amd_server_account acc;
    base_cfg(&cfg, db, &acc);
    cfg.dialplan_path = plan;
    cfg.cps = 2000;
    cfg.media_priority = prio;
    amd_server *s = NULL;
    char err[256] = "";
    if (amd_server_create(&cfg, &s, err, sizeof err) || amd_server_start(s, err, sizeof err)) {
        fprintf(stderr, "load_serve: %s\n", err);
        amd_server_destroy(s);
        return 1;
    }
    long rss0 = rss_kb();
    int64_t t0 = mono_us();
    for (long i = 0; i < n; i++) {
        char form[400];
        if (agent) /* async AMD: the <Dial> starts at answer while the detector keeps running */
            snprintf(form, sizeof form,
                     "To=%%2B1555999%04ld&From=%%2B15005550006&MachineDetection=DetectMessageEnd"
                     "&MachineDetectionTimeout=59&AsyncAmd=true&Twiml=%%3CResponse%%3E%%3CDial%%3E%%3CNumber%%3E"
                     "%%2B1555888%04ld%%3C%%2FNumber%%3E%%3C%%2FDial%%3E%%3C%%2FResponse%%3E",
                     i % 10000, i % 10000);
        else
            snprintf(form, sizeof form,
                     "To=%%2B1555999%04ld&From=%%2B15005550006&MachineDetection=DetectMessageEnd"
                     "&MachineDetectionTimeout=59&Twiml=%%3CResponse%%3E%%3CPause%%20length%%3D%%22600%%22%%2F%%3E%%3C%%2FResponse%%3E",
                     i % 10000);
        int http = 0;
        char *js = NULL;
        if (amd_call_create(s, AC, form, &http, &js) || http != 201) {
            fprintf(stderr, "load_serve: create %ld: %d %s\n", i, http, js ? js : "");
            amd_call_free(js);
            amd_server_destroy(s);
            return 1;
        }
        amd_call_free(js);
    }
    double t_create = (mono_us() - t0) / 1e6;
    printf("created %ld calls in %.2f s (%.0f creates/s, amd_call_create, one thread)\n", n, t_create, n / t_create);
    amd_server_stats st0, st1;
    for (int i = 0; i < 600; i++) { /* all dialed, then the 1 s ring */
        amd_server_stats_get(s, &st0);
        if (st0.calls_active >= (agent ? 2 * n : n) && st0.calls_queued == 0)
            break;
        sleep_ms(50);
    }
    sleep_ms(2000);
    printf("port %d\nready\n", amd_server_port(s));
    fflush(stdout);
    amd_server_stats_get(s, &st0);
    double c0 = cpu_s();
    int64_t w0 = mono_us();
    sleep_ms((long)(hold * 1000));
    amd_server_stats_get(s, &st1);
    double cpu = cpu_s() - c0, wall = (mono_us() - w0) / 1e6;
    long rss1 = rss_kb();
    long long ticks = st1.ticks - st0.ticks, late = st1.late_ticks - st0.late_ticks, cum = 0;
    int p50 = -1, p99 = -1, pmax = 0;
    for (int i = 0; i < AMD_SERVER_LATENESS_BUCKETS; i++) {
        long long k = st1.lateness_ms_hist[i] - st0.lateness_ms_hist[i];
        cum += k;
        if (p50 < 0 && cum * 2 >= ticks)
            p50 = i;
        if (p99 < 0 && cum * 100 >= ticks * 99)
            p99 = i;
        if (k)
            pmax = i;
    }
    printf("live calls %ld (answered with AMD running), hold %.1f s, %lld ticks = %lld frames\n", st1.calls_active, wall,
           ticks, ticks * st1.calls_active);
    printf("frame lateness: p50 < %d ms, p99 < %d ms, max %s%d ms; late > 20 ms: %lld of %lld ticks (%.2f %%)\n", p50 + 1,
           p99 + 1, pmax == AMD_SERVER_LATENESS_BUCKETS - 1 ? ">= " : "< ", pmax == AMD_SERVER_LATENESS_BUCKETS - 1 ? pmax : pmax + 1,
           late, ticks, ticks ? 100.0 * late / ticks : 0.0);
    printf("worst tick start lateness (whole run, from start-up): %.1f ms\n", st1.max_lateness_us / 1000.0);
    printf("tick work: mean %lld us, max %lld us (whole run); worst store commit %lld us\n", st1.tick_work_us_avg,
           st1.tick_work_us_max, st1.commit_us_max);
    printf("cpu: %.1f s in %.1f s = %.0f %% of one core (2 cores = 200 %%)\n", cpu, wall, 100 * cpu / wall);
    if (agent)
        printf("cpu per bridged pair: %.3f %% of one core (%.1f us per pair per 20 ms tick)\n", 100 * cpu / wall / n,
               ticks ? cpu * 1e6 / (double)ticks / (double)n : 0.0);
    printf("memory: RSS %ld MiB -> %ld MiB, %.1f KiB per live call\n", rss0 / 1024, rss1 / 1024,
           (double)(rss1 - rss0) / (double)n);
    int64_t d0 = mono_us();
    amd_server_destroy(s);
    printf("shutdown (ends %ld calls with their callbacks): %.2f s\n", n, (mono_us() - d0) / 1e6);
    rm_db(db);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {
    }
    return 0;
}

/* ---------------------------------------------------------------- queue */

static int64_t *g_create_us, *g_dial_us;
static long g_n, g_dials, g_bad_dials;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static int q_dial(void *user, amd_host_call *call, const char *sid, const char *to, const char *from)
{
    (void)user;
    (void)sid;
    (void)from;
    long i = strtol(to + 5, NULL, 10); /* "+1556" + index */
    int64_t now = mono_us();
    pthread_mutex_lock(&g_mu);
    if (i >= 0 && i < g_n && !g_dial_us[i])
        g_dial_us[i] = now;
    else
        g_bad_dials++;
    g_dials++;
    pthread_mutex_unlock(&g_mu);
    return amd_host_call_busy(call);
}

static void q_hangup(void *user, amd_host_call *call)
{
    (void)user;
    amd_host_call_release(call);
}

static void q_event(void *user, const amd_host_event *ev)
{
    (void)user;
    (void)ev;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int queue(long n, double cps, double speed, const char *db)
{
    rm_db(db);
    g_n = n;
    g_create_us = calloc((size_t)n, sizeof *g_create_us);
    g_dial_us = calloc((size_t)n, sizeof *g_dial_us);
    char (*sids)[35] = calloc((size_t)n, 35);
    if (!g_create_us || !g_dial_us || !sids)
        return 1;
    amd_server_config cfg;
    amd_server_account acc;
    base_cfg(&cfg, db, &acc);
    cfg.cps = cps;
    cfg.clock_speed = speed;
    amd_host_callbacks cb = {q_dial, q_hangup, q_event, NULL};
    amd_server *s = NULL;
    char err[256] = "";
    if (amd_server_create_host(&cfg, &cb, &s, err, sizeof err) || amd_server_start(s, err, sizeof err)) {
        fprintf(stderr, "load_serve: %s\n", err);
        amd_server_destroy(s);
        return 1;
    }
    int64_t t0 = mono_us();
    long max_queued = 0;
    for (long i = 0; i < n; i++) {
        char form[300];
        snprintf(form, sizeof form,
                 "To=%%2B1556%07ld&From=%%2B15005550006&Twiml=%%3CResponse%%3E%%3CHangup%%2F%%3E%%3C%%2FResponse%%3E", i);
        int http = 0;
        char *js = NULL;
        int64_t tc = mono_us();
        if (amd_call_create(s, AC, form, &http, &js) || http != 201) {
            fprintf(stderr, "load_serve: create %ld: %d %s\n", i, http, js ? js : "");
            amd_call_free(js);
            amd_server_destroy(s);
            return 1;
        }
        g_create_us[i] = tc;
        const char *p = strstr(js, "\"sid\":\"");
        if (p)
            snprintf(sids[i], 35, "%.34s", p + 7);
        amd_call_free(js);
        if (i % 5000 == 0) {
            amd_server_stats st;
            amd_server_stats_get(s, &st);
            if (st.calls_queued > max_queued)
                max_queued = st.calls_queued;
        }
    }
    double t_create = (mono_us() - t0) / 1e6;
    printf("created %ld calls in %.1f s (%.0f creates/s, amd_call_create, one thread); CPS %g, clock speed %g "
           "(dial-out %g calls/s of real time)\n",
           n, t_create, n / t_create, cps, speed, cps * speed);
    amd_server_stats st;
    for (;;) {
        amd_server_stats_get(s, &st);
        if (st.calls_queued > max_queued)
            max_queued = st.calls_queued;
        if (st.calls_live == 0)
            break;
        sleep_ms(200);
    }
    double t_all = (mono_us() - t0) / 1e6;
    printf("all %ld calls final after %.1f s; most queued at once: %ld; dial callbacks %ld (bad or repeated %ld)\n", n,
           t_all, max_queued, g_dials, g_bad_dials);
    long missing = 0, inversions = 0;
    for (long i = 0; i < n; i++) {
        if (!g_dial_us[i])
            missing++;
        else if (i && g_dial_us[i - 1] && g_dial_us[i] < g_dial_us[i - 1])
            inversions++;
    }
    /* dial-out rate over the calls that waited (the backlog): the CPS slots, in engine time */
    int64_t *d = malloc((size_t)n * sizeof *d);
    memcpy(d, g_dial_us, (size_t)n * sizeof *d);
    qsort(d, (size_t)n, sizeof *d, cmp_i64);
    long lo = n / 10, hi = n - 1 - n / 10;
    double rate = (hi - lo) / ((d[hi] - d[lo]) / 1e6) / speed;
    /* worst one-second window in engine time */
    long win_max = 0;
    int64_t win = (int64_t)(1e6 / speed);
    for (long i = 0, j = 0; i < n; i++) {
        while (d[i] - d[j] >= win)
            j++;
        if (i - j + 1 > win_max)
            win_max = i - j + 1;
    }
    free(d);
    printf("dialed out: %ld never dialed, %ld out of creation order; rate (middle 80 %%) %.2f calls/s of engine time "
           "(CPS %g); most in any 1 s of engine time: %ld\n",
           missing, inversions, rate, cps, win_max);
    /* queue_time of every 100th call against the measured wait */
    double maxerr = 0, sumerr = 0;
    long checked = 0, qt_max = 0, not_busy = 0;
    for (long i = 0; i < n; i += 100) {
        char *js = NULL;
        if (amd_call_fetch(s, AC, sids[i], &js))
            continue;
        const char *p = strstr(js, "\"queue_time\":\"");
        long qt = p ? strtol(p + 14, NULL, 10) : -1;
        if (!strstr(js, "\"status\":\"busy\""))
            not_busy++;
        amd_call_free(js);
        double want = (g_dial_us[i] - g_create_us[i]) / 1000.0 * speed;
        double e = qt - want;
        if (e < 0)
            e = -e;
        if (e > maxerr)
            maxerr = e;
        sumerr += e;
        if (qt > qt_max)
            qt_max = qt;
        checked++;
    }
    printf("queue_time of %ld calls (every 100th) vs measured wait x clock speed: mean |error| %.0f ms, max %.0f ms "
           "(engine ms; one tick = 20 ms); longest queue_time %ld ms (%.1f min); %ld not busy\n",
           checked, checked ? sumerr / checked : 0, maxerr, qt_max, qt_max / 60000.0, not_busy);
    amd_server_destroy(s);
    rm_db(db);
    free(sids);
    free(g_create_us);
    free(g_dial_us);
    return missing || g_bad_dials || inversions || not_busy ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: load_serve concurrent --audio FILE [--bridge AGENT_FILE] [--calls N] [--hold S] [--db PATH] [--media-priority N]\n"
                        "       load_serve queue [--calls N] [--cps X] [--clock-speed Y] [--db PATH]\n");
        return 2;
    }
    const char *mode = argv[1], *audio = NULL, *db = NULL, *agent = NULL;
    long n = -1;
    double hold = 30, cps = 20, speed = 25;
    int prio = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--audio"))
            audio = argv[i + 1];
        else if (!strcmp(argv[i], "--bridge"))
            agent = argv[i + 1];
        else if (!strcmp(argv[i], "--calls"))
            n = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--hold"))
            hold = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--cps"))
            cps = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--clock-speed"))
            speed = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--db"))
            db = argv[i + 1];
        else if (!strcmp(argv[i], "--media-priority"))
            prio = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "load_serve: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    char dbbuf[128];
    if (!db) {
        snprintf(dbbuf, sizeof dbbuf, "/dev/shm/amd-load-%ld.db", (long)getpid());
        db = dbbuf;
    }
    printf("# load_serve");
    for (int i = 1; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    if (!strcmp(mode, "concurrent")) {
        if (!audio) {
            fprintf(stderr, "load_serve: concurrent needs --audio FILE\n");
            return 2;
        }
        return concurrent(audio, agent, n > 0 ? n : 1000, hold, db, prio);
    }
    if (!strcmp(mode, "queue"))
        return queue(n > 0 ? n : 100000, cps, speed, db);
    fprintf(stderr, "load_serve: unknown mode %s\n", mode);
    return 2;
}
