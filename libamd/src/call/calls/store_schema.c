/* SPDX-License-Identifier: MIT */
/* libamdcall, store internals: the schema every store shares, as versioned migrations. The
 * calls and recordings tables are generated from their column tables (store_cols.h); each
 * migration is written once, in SQLite's words, and turned into PostgreSQL's by
 * amdi_sql_dialect() (64-bit integers, sequences), so both stores have the same tables (and
 * PostgreSQL those a shared database needs besides).
 * The version lives in meta('schema_version'); a database from before versioning has none and
 * is version 0 (version 1 only creates what is missing). A server refuses a database whose
 * version is newer than its own: it would not know what the newer columns mean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"
#include "amd_summary_store.h"
#include "labels.h"
#include "store_impl.h"
#include "strbuf.h"

/* The calls table: one row per call, its create form ("params") beside the record. The
 * names are those of databases written before (the on-disk schema of version 1 is unchanged). */
#define CALL_COL(name, decl, kind, field, flags) AMDI_COL(amdi_call_rec, name, decl, kind, field, flags)
const amdi_store_col amdi_call_cols[] = {
    CALL_COL("seq", "INTEGER PRIMARY KEY AUTOINCREMENT", AMDI_COL_ROWID, seq, 0),
    CALL_COL("sid", "TEXT NOT NULL UNIQUE", AMDI_COL_TEXT, sid, AMDI_COL_KEY),
    CALL_COL("account_sid", "TEXT NOT NULL", AMDI_COL_TEXT, account_sid, 0),
    CALL_COL("parent_call_sid", "TEXT", AMDI_COL_TEXT_OPT, parent_call_sid, 0),
    CALL_COL("to_addr", "TEXT", AMDI_COL_TEXT, to, 0),
    CALL_COL("from_addr", "TEXT", AMDI_COL_TEXT, from, 0),
    CALL_COL("status", "TEXT NOT NULL", AMDI_COL_CALL_STATUS, status, AMDI_COL_CHANGES),
    CALL_COL("answered_by", "TEXT", AMDI_COL_ANSWERED_BY, answered_by, AMDI_COL_CHANGES),
    CALL_COL("date_created", "INTEGER", AMDI_COL_I64_OPT, date_created, 0),
    CALL_COL("date_updated", "INTEGER", AMDI_COL_I64_OPT, date_updated, AMDI_COL_CHANGES),
    CALL_COL("start_time", "INTEGER", AMDI_COL_I64_OPT, start_time, AMDI_COL_CHANGES),
    CALL_COL("end_time", "INTEGER", AMDI_COL_I64_OPT, end_time, AMDI_COL_CHANGES),
    CALL_COL("duration", "INTEGER", AMDI_COL_I64_OPT, duration_s, AMDI_COL_CHANGES),
    CALL_COL("queue_time", "INTEGER", AMDI_COL_I64_OPT, queue_time_ms, AMDI_COL_CHANGES),
    CALL_COL("amd_duration", "INTEGER", AMDI_COL_I64_OPT, amd_duration_ms, AMDI_COL_CHANGES),
    CALL_COL("cb_seq", "INTEGER NOT NULL DEFAULT 0", AMDI_COL_INT, cb_seq, AMDI_COL_CHANGES),
    CALL_COL("error_code", "INTEGER", AMDI_COL_INT_OPT, error_code, AMDI_COL_CHANGES),
    CALL_COL("error_message", "TEXT", AMDI_COL_TEXT_OPT, error_message, AMDI_COL_CHANGES),
    CALL_COL("answer_time", "INTEGER", AMDI_COL_I64_OPT, answer_time, AMDI_COL_CHANGES),
};
const size_t amdi_n_call_cols = sizeof amdi_call_cols / sizeof amdi_call_cols[0];

/* The recordings table; "path" (where the media lives) is not part of the record. */
#define REC_COL(name, decl, kind, field, flags) AMDI_COL(amdi_recording_rec, name, decl, kind, field, flags)
const amdi_store_col amdi_rec_cols[] = {
    REC_COL("sid", "TEXT NOT NULL UNIQUE", AMDI_COL_TEXT, sid, AMDI_COL_KEY),
    REC_COL("account_sid", "TEXT NOT NULL", AMDI_COL_TEXT, account_sid, 0),
    REC_COL("call_sid", "TEXT NOT NULL", AMDI_COL_TEXT, call_sid, 0),
    REC_COL("status", "TEXT NOT NULL", AMDI_COL_TEXT, status, AMDI_COL_CHANGES),
    REC_COL("track", "TEXT", AMDI_COL_TEXT_OPT, track, 0),
    REC_COL("channels", "INTEGER", AMDI_COL_INT, channels, 0),
    REC_COL("date_created", "INTEGER", AMDI_COL_I64_OPT, date_created, 0),
    REC_COL("date_updated", "INTEGER", AMDI_COL_I64_OPT, date_updated, AMDI_COL_CHANGES),
    REC_COL("start_time", "INTEGER", AMDI_COL_I64_OPT, start_time, 0),
    REC_COL("duration", "INTEGER", AMDI_COL_I64_OPT, duration_s, AMDI_COL_CHANGES),
    REC_COL("error_code", "INTEGER", AMDI_COL_INT_OPT, error_code, AMDI_COL_CHANGES),
};
const size_t amdi_n_rec_cols = sizeof amdi_rec_cols / sizeof amdi_rec_cols[0];


/* Version 1: the single-process schema. */
static void v1_sql(amdi_buf *b)
{
    amdi_buf_puts(b, "CREATE TABLE IF NOT EXISTS accounts(sid TEXT PRIMARY KEY, token TEXT NOT NULL);");
    amdi_cols_schema(b, "calls", NULL, amdi_call_cols, amdi_n_call_cols, "params TEXT NOT NULL");
    amdi_buf_puts(b, "CREATE INDEX IF NOT EXISTS calls_by_account ON calls(account_sid, seq);"
                     "CREATE INDEX IF NOT EXISTS calls_by_status ON calls(status);"
                     "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                     " call_sid TEXT NOT NULL, t INTEGER NOT NULL, request TEXT, response TEXT);"
                     "CREATE INDEX IF NOT EXISTS events_by_call ON events(call_sid, seq);"
                     "CREATE TABLE IF NOT EXISTS events_dropped(call_sid TEXT PRIMARY KEY, n INTEGER NOT NULL);");
    amdi_cols_schema(b, "recordings", "seq INTEGER PRIMARY KEY AUTOINCREMENT", amdi_rec_cols, amdi_n_rec_cols,
                     "path TEXT");
    amdi_buf_puts(b, "CREATE INDEX IF NOT EXISTS recordings_by_call ON recordings(call_sid, seq);");
}

/* Version 2: several processes on one database (PostgreSQL only: a store only one process uses
 * has no owners, leases or shared queue, and its tables stay those of version 1). calls.owner is the instance whose process runs
 * the call (NULL while it waits in the shared CPS queue); instances holds each process's lease
 * (its heartbeat); cps_slots the next free dialing slot of each account, in microseconds. */
static void v2_sql(amdi_buf *b)
{
    amdi_buf_puts(b, "ALTER TABLE calls ADD COLUMN owner TEXT;"
                     "CREATE INDEX IF NOT EXISTS calls_queued ON calls(account_sid, seq)"
                     " WHERE status='queued' AND start_time IS NULL;"
                     "CREATE INDEX IF NOT EXISTS calls_by_owner ON calls(owner) WHERE owner IS NOT NULL;"
                     "CREATE TABLE IF NOT EXISTS instances(name TEXT PRIMARY KEY, heartbeat INTEGER NOT NULL,"
                     " state TEXT NOT NULL);"
                     "CREATE TABLE IF NOT EXISTS cps_slots(account_sid TEXT PRIMARY KEY, next_slot_us INTEGER NOT NULL);");
}

/* Version 3: what the console keeps beside a call — its AMD frame summary and the operator's
 * label (analysis/amd_summary_store.c, analysis/labels.c). Both stores get the tables; only
 * the SQLite store reads and writes them today (amdi_store_keeps_analysis). */
static void v3_sql(amdi_buf *b)
{
    amdi_buf_puts(b, amdi_summary_store_schema);
    amdi_buf_puts(b, amdi_labels_schema);
}

/* Version 4: fencing on a shared database (PostgreSQL only). instances.epoch counts the joins of
 * an instance: its writes carry the epoch of the lease they were made under, so those of a
 * process declared dead never land after it joined again. calls.dialing is when the owner was
 * about to dial a claimed call (NULL: claimed, never dialed, so a take-over queues it again). */
static void v4_sql(amdi_buf *b)
{
    amdi_buf_puts(b, "ALTER TABLE instances ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;"
                     "ALTER TABLE calls ADD COLUMN dialing INTEGER;");
}

typedef struct migration {
    int version;
    void (*sql)(amdi_buf *b);     /* every store's tables, or NULL */
    void (*pg_sql)(amdi_buf *b);  /* PostgreSQL's alone (shared-database tables), or NULL */
    const char *pg_only;          /* PostgreSQL's server-side functions, or NULL */
} migration;

/* amd_claim(account, instance, now_ms, gap_us, max): the due calls of the shared CPS queue,
 * each given a slot gap_us after the previous one (the account's slot row is locked, so the
 * processes of a cluster take turns) and this instance as owner. A slot left unused for more
 * than a gap (or a 20 ms tick) earns no burst credit. FOR UPDATE SKIP LOCKED: a call is taken by
 * one transaction only, so no call is dialed twice. */
static const char k_pg_claim[] =
    "CREATE OR REPLACE FUNCTION amd_claim(acc TEXT, me TEXT, now_ms BIGINT, gap_us BIGINT, maxn INT)"
    " RETURNS TABLE(call_sid TEXT, slot_ms BIGINT) LANGUAGE plpgsql AS $f$"
    " DECLARE ns BIGINT; base BIGINT; stale BIGINT; now_us BIGINT := now_ms * 1000; r RECORD;"
    " BEGIN"
    "  INSERT INTO cps_slots(account_sid, next_slot_us) VALUES (acc, 0) ON CONFLICT DO NOTHING;"
    "  SELECT next_slot_us INTO ns FROM cps_slots WHERE account_sid = acc FOR UPDATE;"
    "  IF ns > now_us THEN RETURN; END IF;"
    "  stale := GREATEST(gap_us, 20000);"
    "  FOR r IN SELECT c.sid FROM calls c WHERE c.account_sid = acc AND c.status = 'queued'"
    "   AND c.start_time IS NULL AND c.owner IS NULL ORDER BY c.seq LIMIT maxn FOR UPDATE SKIP LOCKED LOOP"
    "    EXIT WHEN ns > now_us;"
    "    base := CASE WHEN ns >= now_us - stale THEN ns ELSE now_us END;"
    "    UPDATE calls SET owner = me, start_time = base / 1000 WHERE sid = r.sid;"
    "    call_sid := r.sid; slot_ms := base / 1000; RETURN NEXT;"
    "    ns := base + gap_us;"
    "  END LOOP;"
    "  UPDATE cps_slots SET next_slot_us = ns WHERE account_sid = acc;"
    " END $f$;";

static const migration k_migrations[] = {
    {1, v1_sql, NULL, NULL},
    {2, NULL, v2_sql, k_pg_claim},
    {3, v3_sql, NULL, NULL},
    {4, NULL, v4_sql, NULL},
};

/* Replace every whole word @p from by @p to. */
static void replace_word(amdi_buf *out, const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from);
    while (*s) {
        const char *p = strstr(s, from);
        if (!p) {
            amdi_buf_puts(out, s);
            return;
        }
        int word = (p == s || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z'))) &&
                   !(p[fl] == '_' || (p[fl] >= 'a' && p[fl] <= 'z') || (p[fl] >= 'A' && p[fl] <= 'Z'));
        amdi_buf_append(out, s, (size_t)(p - s));
        amdi_buf_puts(out, word ? to : from);
        s = p + fl;
    }
}

char *amdi_sql_dialect(const char *dialect, const char *sql)
{
    amdi_buf a, b;
    amdi_buf_init(&a);
    amdi_buf_init(&b);
    if (strcmp(dialect, "postgresql")) {
        amdi_buf_puts(&b, sql);
    } else {
        amdi_buf c;
        amdi_buf_init(&c);
        replace_word(&a, sql, "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY");
        replace_word(&c, a.p ? a.p : "", "INTEGER", "BIGINT");
        replace_word(&b, c.p ? c.p : "", "BLOB", "BYTEA");
        b.oom |= a.oom | c.oom;
        amdi_buf_free(&c);
    }
    amdi_buf_free(&a);
    if (b.oom) {
        amdi_buf_free(&b);
        return NULL;
    }
    return amdi_buf_take(&b);
}

static int exec_dialect(amdi_store *s, const char *sql)
{
    char *q = amdi_sql_dialect(s->ops->dialect, sql);
    if (!q)
        return AMD_ENOMEM;
    int rc = s->ops->exec(s, q);
    free(q);
    return rc;
}

static int migrate_locked(amdi_store *s, char *err, size_t errlen)
{
    int pg = !strcmp(s->ops->dialect, "postgresql");
    if (exec_dialect(s, "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);"))
        return AMD_EIO;
    int64_t v = 0;
    int rc = s->ops->meta_get(s, "schema_version", &v);
    if (rc && rc != AMD_ENOTFOUND)
        return AMD_EIO;
    if (v > AMDI_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "the database schema is version %lld, newer than this amd serve understands (%d); "
                 "run the newer amd serve that wrote it, or a copy of the database from before",
                 (long long)v, AMDI_SCHEMA_VERSION);
        return AMD_EVERSION;
    }
    for (size_t i = 0; i < sizeof k_migrations / sizeof k_migrations[0]; i++) {
        const migration *m = &k_migrations[i];
        if (m->version <= v)
            continue;
        amdi_buf b;
        amdi_buf_init(&b);
        if (m->sql)
            m->sql(&b);
        if (pg && m->pg_sql)
            m->pg_sql(&b);
        if (pg && m->pg_only)
            amdi_buf_puts(&b, m->pg_only);
        rc = b.oom ? AMD_ENOMEM : b.p ? exec_dialect(s, b.p) : 0;
        amdi_buf_free(&b);
        if (rc || s->ops->meta_set(s, "schema_version", m->version))
            return rc ? rc : AMD_EIO;
    }
    return 0;
}

int amdi_store_migrate(amdi_store *s, char *err, size_t errlen)
{
    if (s->ops->begin_migration(s)) {
        s->ops->last_error(s, err, errlen);
        return AMD_EIO;
    }
    char why[240] = "";
    int rc = migrate_locked(s, err, errlen);
    if (rc && rc != AMD_EVERSION) {
        s->ops->last_error(s, why, sizeof why);
        snprintf(err, errlen, "schema migration to version %d failed: %s", AMDI_SCHEMA_VERSION, why);
    }
    if (rc) {
        s->ops->rollback(s);
        return rc;
    }
    if (s->ops->commit(s)) {
        s->ops->last_error(s, why, sizeof why);
        snprintf(err, errlen, "schema migration to version %d failed: %s", AMDI_SCHEMA_VERSION, why);
        return AMD_EIO;
    }
    return 0;
}
