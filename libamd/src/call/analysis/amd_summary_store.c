/* SPDX-License-Identifier: MIT */
#include "amd_summary_store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "amd/error.h"

const char amdi_summary_store_schema[] =
    "CREATE TABLE IF NOT EXISTS amd_summary(call_sid TEXT PRIMARY KEY, data BLOB NOT NULL);";

typedef struct sum_op {
    const char *account, *sid;
    const uint8_t *in;
    size_t in_len;
    uint8_t *out;
    size_t out_len;
} sum_op;

static int put_db(void *user, sqlite3 *db)
{
    sum_op *o = user;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO amd_summary(call_sid, data) VALUES(?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return AMD_EIO;
    sqlite3_bind_text(st, 1, o->sid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, o->in, (int)o->in_len, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : AMD_EIO;
    sqlite3_finalize(st);
    return rc;
}

int amdi_summary_put(amdi_store *s, const char *call_sid, const uint8_t *blob, size_t len)
{
    sum_op o = {.sid = call_sid, .in = blob, .in_len = len};
    return amdi_store_with_db(s, put_db, &o);
}

static int get_db(void *user, sqlite3 *db)
{
    sum_op *o = user;
    sqlite3_stmt *st;
    /* only a call of this account: one account never sees another's */
    if (sqlite3_prepare_v2(db,
                           "SELECT s.data FROM amd_summary s JOIN calls c ON c.sid = s.call_sid"
                           " WHERE s.call_sid=?1 AND c.account_sid=?2",
                           -1, &st, NULL) != SQLITE_OK)
        return AMD_EIO;
    sqlite3_bind_text(st, 1, o->sid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, o->account, -1, SQLITE_TRANSIENT);
    int rc = AMD_ENOTFOUND, step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        int n = sqlite3_column_bytes(st, 0);
        const void *p = sqlite3_column_blob(st, 0);
        o->out = malloc(n > 0 ? (size_t)n : 1);
        if (!o->out) {
            rc = AMD_ENOMEM;
        } else {
            if (n > 0)
                memcpy(o->out, p, (size_t)n);
            o->out_len = (size_t)(n > 0 ? n : 0);
            rc = 0;
        }
    } else if (step != SQLITE_DONE) {
        rc = AMD_EIO;
    }
    sqlite3_finalize(st);
    return rc;
}

int amdi_summary_get(amdi_store *s, const char *account, const char *call_sid, uint8_t **blob, size_t *len)
{
    sum_op o = {.account = account, .sid = call_sid};
    int rc = amdi_store_with_db(s, get_db, &o);
    *blob = rc ? NULL : o.out;
    *len = rc ? 0 : o.out_len;
    return rc;
}
