/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the Calls REST resource behind the HTTP server (amdi_api_handle in src/call/http/rest.h;
 * malformed HTTP, forms, URLs): method, raw path, raw query, Authorization
 * header and body exactly as libmicrohttpd would hand them over, against a real store (SQLite
 * in /dev/shm, else TMPDIR) and call engine (simulated carrier, empty dial plan, clock not started, so calls
 * stay queued and nothing is dialled).
 *
 * Input: byte 0 = bits 0-2 method, bits 3-4 credentials (0 the account's own Basic header,
 * 1 the C API's as_account, 2 an Authorization header from the input, 3 a second account's
 * valid credentials), bit 5 prefix the path with /2010-04-01/Accounts/{own SID}; then
 * path NUL query NUL [auth NUL] body. "@@" in the path becomes the SID of the last call
 * created, so fetch / update / delete / Events reach real calls.
 *
 * Checked beyond the sanitizers: a known HTTP status and never 500; every JSON body parses
 * (errors are echoed client input); a 401 carries WWW-Authenticate; another account's
 * credentials never get anything but 401 / 404 (one account can never see another's
 * calls). Webhooks the fuzzer provokes (status callbacks of canceled calls) are refused by
 * the destination policy before any connection (refuse_all): nothing leaves the machine.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "amd/error.h"
#include "dialplan.h"
#include "calls.h"
#include "net_policy.h"
#include "rest.h"
#include "sid.h"
#include "signature.h"
#include "sim.h"
#include "store.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_rest: contract broken: %s (line %d)\n", #cond, __LINE__);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The store and the engine's call table grow with every accepted create: start afresh now
 * and then so memory stays flat over a long run. */
#define RECYCLE_EVERY 4000

static struct {
    char db[128];
    amdi_store *api_store, *eng_store;
    amdi_dialplan *plan;
    amdi_calls *engine;
    amdi_api api;
    amdi_api_account acct[2];
    char auth[2][160]; /* "Basic ..." for each account */
    char last_call[35];
    unsigned long runs;
    int verbose; /* FUZZ_REST_VERBOSE=1: print every request and answer (for seeds) */
} S;

static void remember_sid(const amdi_response *r);

static void teardown(void)
{
    if (S.engine)
        amdi_calls_destroy(S.engine);
    if (S.eng_store)
        amdi_store_close(S.eng_store);
    if (S.api_store)
        amdi_store_close(S.api_store);
    if (S.plan)
        amdi_dialplan_free(S.plan);
    S.engine = NULL;
    S.eng_store = S.api_store = NULL;
    S.plan = NULL;
    char p[160];
    unlink(S.db);
    snprintf(p, sizeof p, "%s-wal", S.db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", S.db);
    unlink(p);
}

static void setup(void)
{
    char err[256] = "";
    /* memory-backed when there is /dev/shm (SQLite's fsyncs cost nothing there) */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(S.db, sizeof S.db, "%s/fuzz_rest.%ld.db", dir, (long)getpid());
    teardown();
    CHECK(amdi_store_open(S.db, 0, &S.api_store, err, sizeof err) == 0);
    CHECK(amdi_store_open(S.db, 0, &S.eng_store, err, sizeof err) == 0);
    CHECK(amdi_dialplan_parse("{\"routes\": []}", NULL, &S.plan, err, sizeof err) == 0);
    amdi_calls_config ec;
    memset(&ec, 0, sizeof ec);
    ec.store = S.eng_store;
    CHECK(amdi_sim_driver_create(S.plan, &ec.driver) == 0);
    ec.clock_speed = 1;
    ec.cps = 1;
    ec.webhook_timeout_ms = 200;
    ec.log_level = AMD_LOG_ERROR;
    static const amdi_net_policy refuse_all = {.refuse_all = 1}; /* nothing leaves the machine */
    ec.net_policy = &refuse_all;
    CHECK(amdi_calls_create(&ec, &S.engine, err, sizeof err) == 0);
    for (int i = 0; i < 2; i++) {
        CHECK(amdi_store_account_put(S.api_store, S.acct[i].sid, S.acct[i].token) == 0);
        CHECK(amdi_calls_add_account(S.engine, S.acct[i].sid, S.acct[i].token) == 0);
    }
    S.api.store = S.api_store;
    S.api.engine = S.engine;
    S.api.accounts = S.acct;
    S.api.naccounts = 2;
    S.last_call[0] = '\0';
    /* one call from the start, so "@@" always names a real call */
    static const char create[] = "To=%2B15558675310&From=%2B15005550006&Url=https%3A%2F%2Fexample.com%2Fa";
    char path[128];
    snprintf(path, sizeof path, "/2010-04-01/Accounts/%s/Calls.json", S.acct[0].sid);
    amdi_response r;
    amdi_api_handle(&S.api, "POST", path, NULL, create, strlen(create), S.auth[0], NULL, &r);
    CHECK(r.status == 201);
    remember_sid(&r);
    amdi_response_free(&r);
    CHECK(S.last_call[0] != '\0');
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (int i = 0; i < 2; i++) {
        CHECK(amdi_sid_new("AC", S.acct[i].sid) == 0);
        CHECK(amdi_token_new(S.acct[i].token) == 0);
        char up[128], b64[160];
        int n = snprintf(up, sizeof up, "%s:%s", S.acct[i].sid, S.acct[i].token);
        amdi_base64_encode((const uint8_t *)up, (size_t)n, b64);
        snprintf(S.auth[i], sizeof S.auth[i], "Basic %s", b64);
    }
    S.verbose = getenv("FUZZ_REST_VERBOSE") != NULL;
    setup();
    return 0;
}

/* Next NUL-terminated field of the input (the last one runs to the end). */
static char *field(const uint8_t **p, const uint8_t *end, size_t *len_out)
{
    const uint8_t *s = *p;
    const uint8_t *z = memchr(s, 0, (size_t)(end - s));
    size_t n = z ? (size_t)(z - s) : (size_t)(end - s);
    char *out = malloc(n + 1);
    CHECK(out != NULL);
    memcpy(out, s, n);
    out[n] = '\0';
    *p = z ? z + 1 : end;
    if (len_out)
        *len_out = n;
    return out;
}

static void remember_sid(const amdi_response *r)
{
    json_error_t je;
    json_t *o = json_loadb(r->body, r->body_len, 0, &je);
    const char *sid = json_string_value(json_object_get(o, "sid"));
    if (sid && strlen(sid) == 34)
        memcpy(S.last_call, sid, 35);
    json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (++S.runs % RECYCLE_EVERY == 0)
        setup();
    static const char *const methods[] = {"GET", "POST", "DELETE", "PUT", "HEAD", "get", "PATCH", ""};
    uint8_t ctl = data[0];
    const char *method = methods[ctl & 7];
    int cred = (ctl >> 3) & 3;
    const uint8_t *p = data + 1, *end = data + size;

    char *raw_path = field(&p, end, NULL);
    char *query = field(&p, end, NULL);
    char *fuzz_auth = cred == 2 ? field(&p, end, NULL) : NULL;
    size_t body_len = (size_t)(end - p);
    char *body = malloc(body_len ? body_len : 1); /* exact size: over-reads are caught */
    CHECK(body != NULL);
    memcpy(body, p, body_len);

    /* path: optional account prefix, "@@" -> last call SID */
    size_t plen = strlen(raw_path) + 128;
    char *path = malloc(plen);
    CHECK(path != NULL);
    int off = (ctl & 0x20) ? snprintf(path, plen, "/2010-04-01/Accounts/%s", S.acct[0].sid) : 0;
    const char *at = strstr(raw_path, "@@");
    if (at && S.last_call[0])
        snprintf(path + off, plen - (size_t)off, "%.*s%s%s", (int)(at - raw_path), raw_path, S.last_call,
                 at + 2);
    else
        snprintf(path + off, plen - (size_t)off, "%s", raw_path);

    const char *auth = cred == 0 ? S.auth[0] : cred == 1 ? NULL : cred == 2 ? fuzz_auth : S.auth[1];
    const char *as_account = cred == 1 ? S.acct[0].sid : NULL;

    amdi_response r;
    amdi_api_handle(&S.api, method, path, query[0] ? query : NULL, body, body_len, auth, as_account, &r);

    if (S.verbose)
        fprintf(stderr, "fuzz_rest: %s %s -> %d %.*s\n", method, path, r.status,
                (int)(r.body_len > 200 ? 200 : r.body_len), r.body ? r.body : "");
    static const int known[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 429};
    int ok = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        ok |= r.status == known[i];
    if (!ok) {
        fprintf(stderr, "fuzz_rest: %s %s -> HTTP %d: %.*s\n", method, path, r.status,
                (int)(r.body_len > 400 ? 400 : r.body_len), r.body ? r.body : "");
        abort();
    }
    if (r.status == 401)
        CHECK(r.www_authenticate);
    if (cred == 3 && !strncmp(path, "/2010-04-01/Accounts/", 21) &&
        !strncmp(path + 21, S.acct[0].sid, 34))
        CHECK(r.status == 401 || r.status == 404); /* never another account's data */
    if (r.body && r.content_type && strstr(r.content_type, "json")) {
        json_error_t je;
        json_t *o = json_loadb(r.body, r.body_len, 0, &je);
        if (!o) {
            fprintf(stderr, "fuzz_rest: invalid JSON body (%s) for %s %s: %.*s\n", je.text, method, path,
                    (int)(r.body_len > 400 ? 400 : r.body_len), r.body);
            abort();
        }
        json_decref(o);
    }
    if (r.status == 201)
        remember_sid(&r);
    amdi_response_free(&r);
    free(raw_path);
    free(query);
    free(fuzz_auth);
    free(body);
    free(path);
    return 0;
}
