/* SPDX-License-Identifier: MIT */
#include "labels.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amd/error.h"
#include "form.h"

const char amdi_labels_schema[] =
    "CREATE TABLE IF NOT EXISTS labels(call_sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL,"
    " label TEXT NOT NULL, greeting_end_ms INTEGER, updated INTEGER NOT NULL);";

static const struct {
    const char *name, *enable, *detect_end, *coarse;
} k_labels[AMDI_LABEL_COUNT_] = {
    [AMDI_LABEL_HUMAN] = {"human", "human", "human", "human"},
    [AMDI_LABEL_MACHINE_BEEP] = {"machine_beep", "machine_start", "machine_end_beep", "machine"},
    [AMDI_LABEL_MACHINE_SILENCE] = {"machine_silence", "machine_start", "machine_end_silence", "machine"},
    [AMDI_LABEL_MACHINE_NONE] = {"machine_none", "machine_start", "machine_end_other", "machine"},
    [AMDI_LABEL_FAX] = {"fax", "fax", "fax", "fax"},
    [AMDI_LABEL_UNKNOWN] = {"unknown", "unknown", "unknown", "unknown"},
};

static int valid(amdi_label l)
{
    return l > AMDI_LABEL_NONE && l < AMDI_LABEL_COUNT_;
}

const char *amdi_label_name(amdi_label l)
{
    return valid(l) ? k_labels[l].name : NULL;
}

const char *amdi_label_enable(amdi_label l)
{
    return valid(l) ? k_labels[l].enable : NULL;
}

const char *amdi_label_detect_end(amdi_label l)
{
    return valid(l) ? k_labels[l].detect_end : NULL;
}

const char *amdi_label_coarse(amdi_label l)
{
    return valid(l) ? k_labels[l].coarse : NULL;
}

int amdi_label_parse(const char *name, amdi_label *out)
{
    for (int l = AMDI_LABEL_HUMAN; name && l < AMDI_LABEL_COUNT_; l++)
        if (!strcmp(name, k_labels[l].name)) {
            *out = (amdi_label)l;
            return 0;
        }
    return AMD_EINVAL;
}

static int parse_ms(const char *v, int64_t *out)
{
    if (!*v) {
        *out = -1;
        return 0;
    }
    int64_t x = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || p - v > 9)
            return AMD_EINVAL;
        x = x * 10 + (*p - '0');
    }
    if (x > AMDI_LABEL_MAX_GREETING_END_MS)
        return AMD_EINVAL;
    *out = x;
    return 0;
}

int amdi_label_from_form(const char *body, size_t len, amdi_label_rec *out, char *err, size_t errlen)
{
    amdi_form f;
    amdi_form_init(&f);
    int rc = amdi_form_parse(&f, body ? body : "", body ? len : 0, 16);
    if (rc) {
        snprintf(err, errlen, "the label form is not valid application/x-www-form-urlencoded data");
        return AMD_EFORMAT;
    }
    const char *l = amdi_form_get(&f, "Label"), *g = amdi_form_get(&f, "GreetingEndMs");
    rc = 0;
    if (!l) {
        snprintf(err, errlen, "Label is required: human, machine_beep, machine_silence, machine_none, fax or unknown");
        rc = AMD_EINVAL;
    } else if (amdi_label_parse(l, &out->label)) {
        snprintf(err, errlen, "Label must be human, machine_beep, machine_silence, machine_none, fax or unknown");
        rc = AMD_EINVAL;
    } else if (g && parse_ms(g, &out->greeting_end_ms)) {
        snprintf(err, errlen, "GreetingEndMs must be a whole number of milliseconds from 0 to %d",
                 AMDI_LABEL_MAX_GREETING_END_MS);
        rc = AMD_EINVAL;
    } else if (!g) {
        out->greeting_end_ms = -1;
    }
    amdi_form_free(&f);
    return rc;
}

typedef struct lab_op {
    const char *account;
    amdi_label_rec *rec;
    const char *sid;
    amdi_label_fn fn;
    void *user;
    long n;
} lab_op;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int put_db(void *user, sqlite3 *db)
{
    lab_op *o = user;
    sqlite3_stmt *st;
    /* INSERT ... SELECT from calls: only a call of this account can be labeled */
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO labels(call_sid, account_sid, label, greeting_end_ms, updated)"
                           " SELECT sid, account_sid, ?3, ?4, ?5 FROM calls WHERE sid=?1 AND account_sid=?2",
                           -1, &st, NULL) != SQLITE_OK)
        return AMD_EIO;
    sqlite3_bind_text(st, 1, o->rec->call_sid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, o->account, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, amdi_label_name(o->rec->label), -1, SQLITE_STATIC);
    if (o->rec->greeting_end_ms >= 0)
        sqlite3_bind_int64(st, 4, o->rec->greeting_end_ms);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, o->rec->updated_ms);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : AMD_EIO;
    sqlite3_finalize(st);
    if (!rc && sqlite3_changes(db) == 0)
        rc = AMD_ENOTFOUND;
    return rc;
}

int amdi_labels_put(amdi_store *s, const char *account, amdi_label_rec *r)
{
    if (!amdi_label_name(r->label))
        return AMD_EINVAL;
    r->updated_ms = now_ms();
    lab_op o = {.account = account, .rec = r};
    return amdi_store_with_db(s, put_db, &o);
}

static void read_rec(sqlite3_stmt *st, amdi_label_rec *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->call_sid, sizeof r->call_sid, "%s", (const char *)sqlite3_column_text(st, 0));
    if (amdi_label_parse((const char *)sqlite3_column_text(st, 1), &r->label))
        r->label = AMDI_LABEL_UNKNOWN;
    r->greeting_end_ms = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 2);
    r->updated_ms = sqlite3_column_int64(st, 3);
}

static int query_db(void *user, sqlite3 *db)
{
    lab_op *o = user;
    sqlite3_stmt *st;
    const char *sql = o->sid ? "SELECT l.call_sid, l.label, l.greeting_end_ms, l.updated FROM labels l"
                               " WHERE l.call_sid=?2 AND l.account_sid=?1"
                             : "SELECT l.call_sid, l.label, l.greeting_end_ms, l.updated FROM labels l"
                               " JOIN calls c ON c.sid = l.call_sid WHERE l.account_sid=?1 ORDER BY c.seq";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return AMD_EIO;
    sqlite3_bind_text(st, 1, o->account, -1, SQLITE_TRANSIENT);
    if (o->sid)
        sqlite3_bind_text(st, 2, o->sid, -1, SQLITE_TRANSIENT);
    int step;
    amdi_label_rec r;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        read_rec(st, &r);
        if (o->rec)
            *o->rec = r;
        if (o->fn)
            o->fn(o->user, &r);
        o->n++;
    }
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : AMD_EIO;
}

int amdi_labels_get(amdi_store *s, const char *account, const char *call_sid, amdi_label_rec *r)
{
    lab_op o = {.account = account, .sid = call_sid, .rec = r};
    int rc = amdi_store_with_db(s, query_db, &o);
    return rc ? rc : o.n ? 0 : AMD_ENOTFOUND;
}

long amdi_labels_list(amdi_store *s, const char *account, amdi_label_fn fn, void *user)
{
    lab_op o = {.account = account, .fn = fn, .user = user};
    int rc = amdi_store_with_db(s, query_db, &o);
    return rc ? rc : o.n;
}

static int del_db(void *user, sqlite3 *db)
{
    lab_op *o = user;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "DELETE FROM labels WHERE call_sid=?1 AND account_sid=?2", -1, &st, NULL) !=
        SQLITE_OK)
        return AMD_EIO;
    sqlite3_bind_text(st, 1, o->sid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, o->account, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : AMD_EIO;
    sqlite3_finalize(st);
    return !rc && sqlite3_changes(db) == 0 ? AMD_ENOTFOUND : rc;
}

int amdi_labels_delete(amdi_store *s, const char *account, const char *call_sid)
{
    lab_op o = {.account = account, .sid = call_sid};
    return amdi_store_with_db(s, del_db, &o);
}
