/* SPDX-License-Identifier: MIT */
/* The store's tables are generated from its column tables: a database written by the earlier,
 * hand-written schema has the same columns, and the store reads and updates its rows. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

Suite *call_store_schema_suite(void);

/* The schema as written by hand before the column tables (databases in the field have it). */
static const char k_old_schema[] =
    "CREATE TABLE IF NOT EXISTS accounts(sid TEXT PRIMARY KEY, token TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS calls("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL UNIQUE, account_sid TEXT NOT NULL,"
    " parent_call_sid TEXT, to_addr TEXT, from_addr TEXT, status TEXT NOT NULL, answered_by TEXT,"
    " date_created INTEGER, date_updated INTEGER, start_time INTEGER, end_time INTEGER,"
    " duration INTEGER, queue_time INTEGER, amd_duration INTEGER, cb_seq INTEGER NOT NULL DEFAULT 0,"
    " error_code INTEGER, error_message TEXT, answer_time INTEGER, params TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS calls_by_account ON calls(account_sid, seq);"
    "CREATE INDEX IF NOT EXISTS calls_by_status ON calls(status);"
    "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY AUTOINCREMENT, call_sid TEXT NOT NULL,"
    " t INTEGER NOT NULL, request TEXT, response TEXT);"
    "CREATE INDEX IF NOT EXISTS events_by_call ON events(call_sid, seq);"
    "CREATE TABLE IF NOT EXISTS events_dropped(call_sid TEXT PRIMARY KEY, n INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);"
    "CREATE TABLE IF NOT EXISTS recordings(seq INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL UNIQUE,"
    " account_sid TEXT NOT NULL, call_sid TEXT NOT NULL, status TEXT NOT NULL, track TEXT, channels INTEGER,"
    " date_created INTEGER, date_updated INTEGER, start_time INTEGER, duration INTEGER, error_code INTEGER,"
    " path TEXT);"
    "CREATE INDEX IF NOT EXISTS recordings_by_call ON recordings(call_sid, seq);";

static char g_old[128], g_new[128];

static void paths(void)
{
    snprintf(g_old, sizeof g_old, "/tmp/amd-check-schema-old-%d.db", (int)getpid());
    snprintf(g_new, sizeof g_new, "/tmp/amd-check-schema-new-%d.db", (int)getpid());
    unlink(g_old);
    unlink(g_new);
}

/* "name type notnull default pk;" for every column of @p table, sorted by name. */
static void table_info(const char *path, const char *table, char *out, size_t cap)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    char sql[320];
    snprintf(sql, sizeof sql,
             "SELECT group_concat(d, ';') FROM (SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' ||"
             " ifnull(dflt_value, '-') || ' ' || pk AS d FROM pragma_table_info('%s') ORDER BY name)",
             table);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

START_TEST(generated_schema_equals_the_old_one)
{
    paths();
    amdi_store *s;
    char err[256];
    ck_assert_int_eq(amdi_store_open(g_new, 0, &s, err, sizeof err), 0);
    amdi_store_close(s);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(g_old, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, k_old_schema, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    static const char *const tables[] = {"accounts", "calls", "events", "events_dropped", "meta", "recordings"};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        char a[2048], b[2048];
        table_info(g_old, tables[i], a, sizeof a);
        table_info(g_new, tables[i], b, sizeof b);
        ck_assert_msg(a[0] && !strcmp(a, b), "%s: old '%s' new '%s'", tables[i], a, b);
    }
    unlink(g_old);
    unlink(g_new);
}
END_TEST

START_TEST(old_database_rows_read_and_update)
{
    paths();
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(g_old, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, k_old_schema, NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(
        sqlite3_exec(db,
                     "INSERT INTO calls(sid, account_sid, parent_call_sid, to_addr, from_addr, status, answered_by,"
                     " date_created, date_updated, start_time, end_time, duration, queue_time, amd_duration,"
                     " cb_seq, error_code, error_message, answer_time, params) VALUES('CAold', 'ACx', NULL,"
                     " '+15550001', '+15550002', 'in-progress', 'human', 1000, 2000, 1500, NULL, NULL, 7, 40,"
                     " 3, NULL, NULL, 1600, 'To=%2B15550001');"
                     "INSERT INTO recordings(sid, account_sid, call_sid, status, track, channels, date_created,"
                     " date_updated, start_time, duration, error_code, path) VALUES('REold', 'ACx', 'CAold',"
                     " 'in-progress', 'both', 1, 1000, 1000, 1500, NULL, NULL, '/tmp/x.wav');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    amdi_store *s;
    char err[256];
    ck_assert_int_eq(amdi_store_open(g_old, 1, &s, err, sizeof err), 0);
    amdi_call_rec r;
    ck_assert_int_eq(amdi_store_call_get(s, "ACx", "CAold", &r), 0);
    ck_assert_int_eq(r.status, AMD_CALL_IN_PROGRESS);
    ck_assert_int_eq(r.answered_by, AMD_ANSWERED_HUMAN);
    ck_assert_str_eq(r.parent_call_sid, "");
    ck_assert_str_eq(r.to, "+15550001");
    ck_assert_int_eq(r.date_created, 1000);
    ck_assert_int_eq(r.end_time, -1);
    ck_assert_int_eq(r.duration_s, -1);
    ck_assert_int_eq(r.queue_time_ms, 7);
    ck_assert_int_eq(r.amd_duration_ms, 40);
    ck_assert_int_eq(r.cb_seq, 3);
    ck_assert_int_eq(r.error_code, 0);
    ck_assert_int_eq(r.answer_time, 1600);
    r.status = AMD_CALL_COMPLETED;
    r.answered_by = AMD_ANSWERED_NONE;
    r.end_time = 9000;
    r.duration_s = 7;
    r.error_code = 11200;
    snprintf(r.error_message, sizeof r.error_message, "fetch failed");
    ck_assert_int_eq(amdi_store_call_update(s, &r), 0);
    amdi_call_rec g;
    ck_assert_int_eq(amdi_store_call_get(s, NULL, "CAold", &g), 0);
    ck_assert_int_eq(g.status, AMD_CALL_COMPLETED);
    ck_assert_int_eq(g.answered_by, AMD_ANSWERED_NONE);
    ck_assert_int_eq(g.end_time, 9000);
    ck_assert_int_eq(g.duration_s, 7);
    ck_assert_int_eq(g.error_code, 11200);
    ck_assert_str_eq(g.error_message, "fetch failed");
    ck_assert_int_eq(g.date_created, 1000); /* an update leaves the creation fields */
    char *params;
    ck_assert_int_eq(amdi_store_call_params(s, "CAold", &params), 0);
    ck_assert_str_eq(params, "To=%2B15550001");
    free(params);
    amdi_recording_rec rec;
    char path[64];
    ck_assert_int_eq(amdi_store_recording_get(s, "ACx", "REold", &rec, path, sizeof path), 0);
    ck_assert_str_eq(rec.status, "in-progress");
    ck_assert_str_eq(rec.track, "both");
    ck_assert_int_eq(rec.duration_s, -1);
    ck_assert_str_eq(path, "/tmp/x.wav");
    snprintf(rec.status, sizeof rec.status, "completed");
    rec.duration_s = 3;
    ck_assert_int_eq(amdi_store_recording_put(s, &rec, "/tmp/other.wav"), 0);
    ck_assert_int_eq(amdi_store_recording_get(s, "ACx", "REold", &rec, path, sizeof path), 0);
    ck_assert_str_eq(rec.status, "completed");
    ck_assert_int_eq(rec.duration_s, 3);
    ck_assert_str_eq(path, "/tmp/x.wav"); /* an upsert keeps the media path */
    amdi_store_close(s);
    unlink(g_old);
    char side[160];
    snprintf(side, sizeof side, "%s-wal", g_old);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", g_old);
    unlink(side);
}
END_TEST

Suite *call_store_schema_suite(void)
{
    Suite *s = suite_create("call_store_schema");
    TCase *t = tcase_create("store_schema");
    tcase_add_test(t, generated_schema_equals_the_old_one);
    tcase_add_test(t, old_database_rows_read_and_update);
    suite_add_tcase(s, t);
    return s;
}
