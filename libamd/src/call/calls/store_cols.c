/* SPDX-License-Identifier: MIT */
#include "store_cols.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amd/call.h"
#include "amd/detector.h"

void amdi_cols_schema(amdi_buf *b, const char *table, const char *head, const amdi_store_col *c, size_t n,
                      const char *tail)
{
    amdi_buf_printf(b, "CREATE TABLE IF NOT EXISTS %s(", table);
    if (head)
        amdi_buf_printf(b, "%s, ", head);
    for (size_t i = 0; i < n; i++)
        amdi_buf_printf(b, "%s%s %s", i ? ", " : "", c[i].name, c[i].decl);
    if (tail)
        amdi_buf_printf(b, ", %s", tail);
    amdi_buf_puts(b, ");");
}

void amdi_cols_list(amdi_buf *b, const amdi_store_col *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        amdi_buf_printf(b, "%s%s", i ? ", " : "", c[i].name);
}

void amdi_cols_insert(amdi_buf *b, const char *table, const amdi_store_col *c, size_t n, const char *extra)
{
    amdi_buf_printf(b, "INSERT INTO %s(", table);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (c[i].kind == AMDI_COL_ROWID)
            continue;
        amdi_buf_printf(b, "%s%s", first ? "" : ", ", c[i].name);
        first = 0;
    }
    if (extra)
        amdi_buf_printf(b, ", %s", extra);
    amdi_buf_puts(b, ") VALUES(");
    first = 1;
    for (size_t i = 0; i < n; i++) {
        if (c[i].kind == AMDI_COL_ROWID)
            continue;
        amdi_buf_printf(b, "%s:%s", first ? "" : ", ", c[i].name);
        first = 0;
    }
    if (extra)
        amdi_buf_printf(b, ", :%s", extra);
    amdi_buf_putc(b, ')');
}

void amdi_cols_changes(amdi_buf *b, const amdi_store_col *c, size_t n, int excluded)
{
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (!(c[i].flags & AMDI_COL_CHANGES))
            continue;
        amdi_buf_printf(b, excluded ? "%s%s=excluded.%s" : "%s%s=:%s", first ? "" : ", ", c[i].name, c[i].name);
        first = 0;
    }
}

void amdi_cols_bind(sqlite3_stmt *st, const amdi_store_col *c, size_t n, const void *rec)
{
    const char *base = rec;
    for (size_t i = 0; i < n; i++) {
        char pname[64];
        snprintf(pname, sizeof pname, ":%s", c[i].name);
        int k = sqlite3_bind_parameter_index(st, pname);
        if (!k)
            continue;
        const void *f = base + c[i].off;
        int64_t v64;
        int v;
        switch (c[i].kind) {
        case AMDI_COL_ROWID:
            memcpy(&v64, f, sizeof v64);
            sqlite3_bind_int64(st, k, v64);
            break;
        case AMDI_COL_TEXT:
            sqlite3_bind_text(st, k, f, -1, SQLITE_TRANSIENT);
            break;
        case AMDI_COL_CALL_STATUS:
            sqlite3_bind_text(st, k, amd_call_status_name(*(const amd_call_status *)f), -1, SQLITE_STATIC);
            break;
        case AMDI_COL_ANSWERED_BY: {
            const char *a = amd_answered_by_name(*(const amd_answered_by *)f);
            if (a && *a)
                sqlite3_bind_text(st, k, a, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(st, k);
            break;
        }
        case AMDI_COL_TEXT_OPT:
            if (*(const char *)f)
                sqlite3_bind_text(st, k, f, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, k);
            break;
        case AMDI_COL_I64_OPT:
            memcpy(&v64, f, sizeof v64);
            if (v64 < 0)
                sqlite3_bind_null(st, k);
            else
                sqlite3_bind_int64(st, k, v64);
            break;
        case AMDI_COL_INT:
        case AMDI_COL_INT_OPT:
            memcpy(&v, f, sizeof v);
            if (!v && c[i].kind == AMDI_COL_INT_OPT)
                sqlite3_bind_null(st, k);
            else
                sqlite3_bind_int(st, k, v);
            break;
        }
    }
}

void amdi_cols_read(sqlite3_stmt *st, const amdi_store_col *c, size_t n, void *rec)
{
    char *base = rec;
    for (size_t i = 0; i < n; i++) {
        void *f = base + c[i].off;
        int null = sqlite3_column_type(st, (int)i) == SQLITE_NULL;
        int64_t v64 = sqlite3_column_int64(st, (int)i);
        int v;
        switch (c[i].kind) {
        case AMDI_COL_TEXT:
        case AMDI_COL_TEXT_OPT: {
            const unsigned char *t = sqlite3_column_text(st, (int)i);
            snprintf(f, c[i].cap, "%s", t ? (const char *)t : "");
            break;
        }
        case AMDI_COL_ROWID:
            memcpy(f, &v64, sizeof v64);
            break;
        case AMDI_COL_CALL_STATUS: {
            const unsigned char *t = sqlite3_column_text(st, (int)i);
            amd_call_status s;
            *(amd_call_status *)f = t && !amd_call_status_parse((const char *)t, &s) ? s : AMD_CALL_FAILED;
            break;
        }
        case AMDI_COL_ANSWERED_BY: {
            const unsigned char *t = sqlite3_column_text(st, (int)i);
            amd_answered_by a = AMD_ANSWERED_NONE;
            if (t && *t && amd_answered_by_parse((const char *)t, &a))
                a = AMD_ANSWERED_UNKNOWN;
            *(amd_answered_by *)f = a;
            break;
        }
        case AMDI_COL_I64_OPT:
            v64 = null ? -1 : v64;
            memcpy(f, &v64, sizeof v64);
            break;
        case AMDI_COL_INT:
        case AMDI_COL_INT_OPT:
            v = null || (c[i].kind == AMDI_COL_INT_OPT && v64 < 0) ? 0 : (int)v64;
            memcpy(f, &v, sizeof v);
            break;
        }
    }
}

const char *amdi_cols_text(const amdi_store_col *c, const void *rec, char *buf, size_t n)
{
    const char *f = (const char *)rec + c->off;
    int64_t v64;
    int v;
    switch (c->kind) {
    case AMDI_COL_ROWID:
        memcpy(&v64, f, sizeof v64);
        snprintf(buf, n, "%lld", (long long)v64);
        return buf;
    case AMDI_COL_TEXT:
        return f;
    case AMDI_COL_TEXT_OPT:
        return *f ? f : NULL;
    case AMDI_COL_CALL_STATUS:
        return amd_call_status_name(*(const amd_call_status *)(const void *)f);
    case AMDI_COL_ANSWERED_BY: {
        const char *a = amd_answered_by_name(*(const amd_answered_by *)(const void *)f);
        return a && *a ? a : NULL;
    }
    case AMDI_COL_I64_OPT:
        memcpy(&v64, f, sizeof v64);
        if (v64 < 0)
            return NULL;
        snprintf(buf, n, "%lld", (long long)v64);
        return buf;
    case AMDI_COL_INT:
    case AMDI_COL_INT_OPT:
        memcpy(&v, f, sizeof v);
        if (!v && c->kind == AMDI_COL_INT_OPT)
            return NULL;
        snprintf(buf, n, "%d", v);
        return buf;
    }
    return NULL;
}

void amdi_cols_set_text(const amdi_store_col *c, void *rec, const char *t)
{
    char *f = (char *)rec + c->off;
    long long ll = t ? strtoll(t, NULL, 10) : 0;
    int64_t v64;
    int v;
    switch (c->kind) {
    case AMDI_COL_TEXT:
    case AMDI_COL_TEXT_OPT:
        snprintf(f, c->cap, "%s", t ? t : "");
        break;
    case AMDI_COL_ROWID:
        v64 = ll;
        memcpy(f, &v64, sizeof v64);
        break;
    case AMDI_COL_CALL_STATUS: {
        amd_call_status s;
        *(amd_call_status *)(void *)f = t && !amd_call_status_parse(t, &s) ? s : AMD_CALL_FAILED;
        break;
    }
    case AMDI_COL_ANSWERED_BY: {
        amd_answered_by a = AMD_ANSWERED_NONE;
        if (t && *t && amd_answered_by_parse(t, &a))
            a = AMD_ANSWERED_UNKNOWN;
        *(amd_answered_by *)(void *)f = a;
        break;
    }
    case AMDI_COL_I64_OPT:
        v64 = t ? ll : -1;
        memcpy(f, &v64, sizeof v64);
        break;
    case AMDI_COL_INT:
    case AMDI_COL_INT_OPT:
        v = !t || (c->kind == AMDI_COL_INT_OPT && ll < 0) ? 0 : (int)ll;
        memcpy(f, &v, sizeof v);
        break;
    }
}
