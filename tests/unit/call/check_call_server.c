/* SPDX-License-Identifier: MIT */
/* The C face of the call API (server.h / call.h) end to end, without HTTP: configuration
 * validation, a fax far end generated here answering and being detected as `fax`, the wire
 * JSON of the call, error objects, and a restart closing out a live call truthfully. */
#include <check.h>
#include <stddef.h>
#include <jansson.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "amd/call.h"
#include "amd/server.h"
#include "test_util.h"

Suite *call_server_suite(void);

#define AC "AC0123456789abcdef0123456789abcdef"
static char g_dir[64];

static void write_fax_wav(const char *path)
{
    /* CED: a 2100 Hz answer tone (ITU-T T.30), 3 s, then 1 s of silence */
    enum { RATE = 8000 };
    static float buf[RATE * 4];
    memset(buf, 0, sizeof buf);
    tu_add_sine(buf, RATE * 3, RATE, 2100.0, 8000.0, 0.0);
    for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++)
        buf[i] /= 32768.0f;
    SF_INFO info = {0};
    info.samplerate = RATE;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    ck_assert_ptr_nonnull(f);
    sf_writef_float(f, buf, RATE * 4);
    sf_close(f);
}

static void setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/amd-check-server-%d", (int)getpid());
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", g_dir, g_dir);
    ck_assert_int_eq(system(cmd), 0);
    char p[256];
    snprintf(p, sizeof p, "%s/fax.wav", g_dir);
    write_fax_wav(p);
    snprintf(p, sizeof p, "%s/plan.json", g_dir);
    FILE *f = fopen(p, "w");
    fputs("{\"routes\": [{\"to\": \"+15550000001\", \"audio\": \"fax.wav\", \"ring_ms\": 500},\n"
          "  {\"to\": \"+1555000002*\", \"ring_ms\": 100, \"hangup\": \"never\"},\n"
          "  {\"to\": \"+15550000003\", \"outcome\": \"busy\"}]}\n",
          f);
    fclose(f);
}

static void teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd)) {
    }
}

static amd_server *start(double speed)
{
    static char db[256], plan[256];
    snprintf(db, sizeof db, "%s/calls.db", g_dir);
    snprintf(plan, sizeof plan, "%s/plan.json", g_dir);
    amd_server_account acc = {AC, "tok"};
    amd_server_config cfg;
    amd_server_config_init(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.db_path = db;
    cfg.dialplan_path = plan;
    cfg.accounts = &acc;
    cfg.n_accounts = 1;
    cfg.clock_speed = speed;
    cfg.cps = 100;
    amd_server *s;
    char err[256] = "";
    int rc = amd_server_create(&cfg, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "create: %s", err);
    ck_assert_int_eq(amd_server_start(s, err, sizeof err), 0);
    ck_assert_int_gt(amd_server_port(s), 0);
    return s;
}

static json_t *fetch(amd_server *s, const char *sid)
{
    char *js = NULL;
    ck_assert_int_eq(amd_call_fetch(s, AC, sid, &js), 0);
    json_t *o = json_loads(js, 0, NULL);
    amd_call_free(js);
    ck_assert_ptr_nonnull(o);
    return o;
}

static const char *str(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static json_t *wait_status(amd_server *s, const char *sid, const char *want)
{
    for (int i = 0; i < 600; i++) {
        json_t *o = fetch(s, sid);
        if (strstr(want, str(o, "status")))
            return o;
        json_decref(o);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_abort_msg("call %s never reached %s", sid, want);
    return NULL;
}

static void create(amd_server *s, const char *form, char sid[35])
{
    int http = 0;
    char *js = NULL;
    int rc = amd_call_create(s, AC, form, &http, &js);
    ck_assert_msg(rc == 0 && http == 201, "create -> %d %d %s", rc, http, js ? js : "");
    json_t *o = json_loads(js, 0, NULL);
    snprintf(sid, 35, "%s", str(o, "sid"));
    ck_assert_str_eq(str(o, "status"), "queued");
    json_decref(o);
    amd_call_free(js);
}

START_TEST(config_validation)
{
    amd_server_config cfg;
    amd_server *s = (amd_server *)1;
    char err[256];
    amd_server_config_init(&cfg);
    cfg.cps = 0;
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), AMD_EINVAL);
    ck_assert(strstr(err, "cps") != NULL);
    amd_server_config_init(&cfg);
    cfg.clock_speed = 1e9;
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), AMD_EINVAL);
    amd_server_config_init(&cfg);
    amd_server_account bad = {"ACnothex", "t"};
    cfg.accounts = &bad;
    cfg.n_accounts = 1;
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), AMD_EINVAL);
    amd_server_config_init(&cfg);
    cfg.version = 99;
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), AMD_EVERSION);
    char db[256];
    snprintf(db, sizeof db, "%s/x.db", g_dir);
    amd_server_config_init(&cfg);
    cfg.db_path = db;
    cfg.dialplan_path = "/nonexistent/plan.json";
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), AMD_ENOTFOUND);
    ck_assert(strstr(err, "/nonexistent/plan.json") != NULL);
    /* start-up checks name the problem */
    char plan[300];
    snprintf(plan, sizeof plan, "%s/typo-plan.json", g_dir);
    FILE *pf = fopen(plan, "w");
    ck_assert_ptr_nonnull(pf);
    fputs("{\"routes\": [{\"to\": \"+15551230001\", \"outcom\": \"busy\"}]}", pf);
    fclose(pf);
    cfg.dialplan_path = plan;
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), AMD_EFORMAT);
    ck_assert_msg(strstr(err, "\"outcom\"") != NULL, "%s", err);
    amd_server_config_init(&cfg);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-folder/x.db", g_dir);
    cfg.db_path = missing;
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), AMD_EIO);
    ck_assert_msg(strstr(err, "does not exist") != NULL && strstr(err, "in use") == NULL, "%s", err);
    amd_server_config_init(&cfg);
    cfg.db_path = db;
    cfg.public_url = "example.com";
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), AMD_EINVAL);
    ck_assert(strstr(err, "public_url") != NULL);
    cfg.public_url = NULL;
    cfg.max_connections_per_ip = 600;
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), AMD_EINVAL);
    cfg.max_connections_per_ip = 0;
    amd_server_api_key key = {"SK12", "secret", "AC0123456789abcdef0123456789abcdef"};
    cfg.api_keys = &key;
    cfg.n_api_keys = 1;
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), AMD_EINVAL);
    ck_assert(strstr(err, "API key 1") != NULL);
    /* no account configured or stored: one is created and reported once */
    amd_server_config_init(&cfg);
    cfg.db_path = db;
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), 0);
    char sid[35], tok[65];
    ck_assert_int_eq(amd_server_new_account(s, sid, tok), 1);
    ck_assert_int_eq((int)strlen(sid), 34);
    ck_assert_uint_eq(amd_server_account_count(s), 1);
    /* one server per database: a second would close out the first one's live calls */
    amd_server *s2 = (amd_server *)1;
    ck_assert_int_eq(amd_server_create(&cfg, &s2, err, sizeof err), AMD_ESTATE);
    ck_assert_ptr_null(s2);
    ck_assert(strstr(err, "in use") != NULL);
    amd_server_destroy(s);
    ck_assert_int_eq(amd_server_create(&cfg, &s, err, sizeof err), 0);
    ck_assert_int_eq(amd_server_new_account(s, sid, tok), 0);
    amd_server_destroy(s);
    /* the status helpers */
    amd_call_status st;
    ck_assert_int_eq(amd_call_status_parse("no-answer", &st), 0);
    ck_assert_int_eq(st, AMD_CALL_NO_ANSWER);
    ck_assert(amd_call_status_is_final(st));
    ck_assert(!amd_call_status_is_final(AMD_CALL_RINGING));
    ck_assert_str_eq(amd_call_status_name(AMD_CALL_IN_PROGRESS), "in-progress");
    ck_assert_int_eq(amd_call_status_parse("initiated", &st), AMD_EINVAL);
}
END_TEST

/* amd_server_config's growth (server.h "ABI growth"): a struct from newer headers, a size below
 * any layout, and a 0.2 (layout 1, no struct_size) struct in a buffer of exactly its size, so
 * ASan reports any read past what a 0.2 program allocated. */
void(amd_server_config_init)(amd_server_config *cfg); /* the 0.2 symbol, kept for 0.2 binaries */

START_TEST(config_layouts)
{
    char err[256] = "", db[256];
    snprintf(db, sizeof db, "%s/layouts.db", g_dir);
    amd_server *s = NULL;
    /* newer headers: 32 more bytes, zero (their defaults) -> accepted; one set -> refused */
    size_t big = sizeof(amd_server_config) + 32;
    amd_server_config *n = malloc(big);
    ck_assert_ptr_nonnull(n);
    memset(n, 0xAB, big);
    amd_server_config_init_sized(n, big);
    ck_assert_uint_eq(n->struct_size, big);
    ck_assert_int_eq(n->version, AMD_SERVER_CONFIG_VERSION);
    n->db_path = db;
    ck_assert_msg(amd_server_create(n, &s, err, sizeof err) == 0, "%s", err);
    amd_server_destroy(s);
    ((unsigned char *)n)[big - 1] = 1;
    ck_assert_int_eq(amd_server_create(n, &s, err, sizeof err), AMD_EVERSION);
    ck_assert_msg(strstr(err, "newer headers") != NULL, "%s", err);
    /* a size below the smallest layout-2 struct */
    amd_server_config_init_sized(n, sizeof(amd_server_config));
    n->struct_size = offsetof(amd_server_config, instance);
    ck_assert_int_eq(amd_server_create(n, &s, err, sizeof err), AMD_EVERSION);
    ck_assert_msg(strstr(err, "struct_size") != NULL, "%s", err);
    free(n);
    /* layout 1: version, then the same fields from listen on (pointer-aligned) */
    size_t head = sizeof(const char *) > sizeof(unsigned) ? sizeof(const char *) : sizeof(unsigned);
    size_t tail = offsetof(amd_server_config, console_bench_program) + sizeof(const char *) -
                  offsetof(amd_server_config, listen);
    unsigned char *v1 = malloc(head + tail);
    ck_assert_ptr_nonnull(v1);
    (amd_server_config_init)((amd_server_config *)v1);
    unsigned version;
    const char *listen;
    memcpy(&version, v1, sizeof version);
    memcpy(&listen, v1 + head, sizeof listen);
    ck_assert_uint_eq(version, 1);
    ck_assert_str_eq(listen, "127.0.0.1:8080");
    size_t at_db = head + offsetof(amd_server_config, db_path) - offsetof(amd_server_config, listen);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/no-such-folder/v1.db", g_dir);
    const char *p = missing;
    memcpy(v1 + at_db, &p, sizeof p);
    ck_assert_int_eq(amd_server_create((amd_server_config *)v1, &s, err, sizeof err), AMD_EIO);
    ck_assert_msg(strstr(err, "no-such-folder/v1.db") != NULL, "%s", err); /* read where 0.2 put it */
    p = db;
    memcpy(v1 + at_db, &p, sizeof p);
    ck_assert_msg(amd_server_create((amd_server_config *)v1, &s, err, sizeof err) == 0, "%s", err);
    amd_server_destroy(s);
    free(v1);
}
END_TEST

START_TEST(fax_call_end_to_end)
{
    amd_server *s = start(20);
    char sid[35];
    create(s, "To=%2B15550000001&From=%2B15005550006&Twiml=%3CResponse%3E%3CPause+length%3D%2260%22%2F%3E%3C%2FResponse%3E"
              "&MachineDetection=Enable",
           sid);
    json_t *o = wait_status(s, sid, "completed");
    ck_assert_str_eq(str(o, "answered_by"), "fax");
    ck_assert_str_eq(str(o, "duration"), "4"); /* 4 s of audio, then the far end hangs up */
    ck_assert(strstr(str(o, "start_time"), "+0000") != NULL);
    ck_assert_str_eq(str(o, "to_formatted"), "(555) 000-0001");
    ck_assert_int_eq((int)json_object_size(o), 26);
    json_decref(o);
    /* a finished call cannot be redirected */
    int http = 0;
    char *js = NULL;
    ck_assert_int_eq(amd_call_update(s, AC, sid, "Url=http%3A%2F%2Fexample.com%2F", &http, &js), AMD_EINVAL);
    ck_assert_int_eq(http, 400);
    o = json_loads(js, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "code")), 21220);
    json_decref(o);
    amd_call_free(js);
    /* errors come back as Twilio error objects */
    ck_assert_int_eq(amd_call_create(s, AC, "From=%2B15005550006&Url=http%3A%2F%2Fx.com%2F", &http, &js), AMD_EINVAL);
    o = json_loads(js, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "code")), 21201);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "status")), 400);
    json_decref(o);
    amd_call_free(js);
    ck_assert_int_eq(amd_call_fetch(s, AC, "CA00000000000000000000000000000000", &js), AMD_ENOTFOUND);
    amd_call_free(js);
    ck_assert_int_eq(amd_call_fetch(s, "AC00000000000000000000000000000000", sid, &js), AMD_ENOTFOUND);
    ck_assert_int_eq(amd_call_fetch(s, AC, "nonsense", &js), AMD_EINVAL);
    /* busy */
    create(s, "To=%2B15550000003&From=%2B15005550006&Twiml=%3CResponse%2F%3E", sid);
    o = wait_status(s, sid, "busy");
    ck_assert(json_is_null(json_object_get(o, "duration")));
    json_decref(o);
    /* unroutable: failed */
    create(s, "To=%2B19999999999&From=%2B15005550006&Twiml=%3CResponse%2F%3E", sid);
    json_decref(wait_status(s, sid, "failed"));
    amd_server_stats st;
    ck_assert_int_eq(amd_server_stats_get(s, &st), 0);
    ck_assert_int_gt(st.ticks, 0);
    amd_server_destroy(s);
}
END_TEST

START_TEST(restart_closes_out_live_call)
{
    amd_server *s = start(10);
    char sid[35];
    create(s, "To=%2B15550000021&From=%2B15005550006&Twiml=%3CResponse%3E%3CPause+length%3D%22600%22%2F%3E%3C%2FResponse%3E",
           sid);
    json_decref(wait_status(s, sid, "in-progress"));
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    amd_server_destroy(s); /* like a crash for the call: it was never ended */
    s = start(10);
    json_t *o = fetch(s, sid);
    ck_assert_str_eq(str(o, "status"), "completed");
    ck_assert(!json_is_null(json_object_get(o, "end_time")));
    ck_assert(!json_is_null(json_object_get(o, "duration")));
    json_decref(o);
    amd_server_destroy(s);
}
END_TEST

Suite *call_server_suite(void)
{
    Suite *s = suite_create("call_server");
    TCase *t = tcase_create("server");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, config_validation);
    tcase_add_test(t, config_layouts);
    tcase_add_test(t, fax_call_end_to_end);
    tcase_add_test(t, restart_closes_out_live_call);
    suite_add_tcase(s, t);
    return s;
}
