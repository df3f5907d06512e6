/* SPDX-License-Identifier: MIT */
/* libamdcall, store internals: a table's columns written once. One array of amdi_store_col
 * per table drives its CREATE TABLE, its select list, the binding of a record to a statement's
 * named parameters (":column") and the reading of a result row back into the record; the text
 * forms below do the same for PostgreSQL's text-format parameters and results. */
#ifndef AMDI_STORE_COLS_H
#define AMDI_STORE_COLS_H

#include <sqlite3.h>
#include <stddef.h>

#include "strbuf.h"

typedef enum amdi_col_kind {
    AMDI_COL_ROWID,    /* int64 key SQLite assigns; read, never bound */
    AMDI_COL_TEXT,     /* char[]; bound as text even when empty */
    AMDI_COL_TEXT_OPT, /* char[]; an empty string is stored as NULL */
    AMDI_COL_I64_OPT,  /* int64_t; -1 is stored as NULL and NULL read as -1 */
    AMDI_COL_INT,      /* int; NULL reads as 0 */
    AMDI_COL_INT_OPT,  /* int; 0 is stored as NULL and NULL read as 0 (error codes) */
    /* Enums of the record, stored as their wire strings. A value this build does not know (a
     * newer server's) reads as failed / unknown, never as live. */
    AMDI_COL_CALL_STATUS, /* amd_call_status; NOT NULL */
    AMDI_COL_ANSWERED_BY, /* amd_answered_by; AMD_ANSWERED_NONE is NULL */
} amdi_col_kind;

/* Column flags. */
enum {
    AMDI_COL_KEY = 1,    /* identifies the row in an UPDATE (WHERE col=:col) */
    AMDI_COL_CHANGES = 2 /* rewritten by an UPDATE / upsert */
};

typedef struct amdi_store_col {
    const char *name; /* column name, also the parameter ":name" */
    const char *decl; /* SQL type and constraints */
    amdi_col_kind kind;
    size_t off, cap;  /* field of the record; cap = size of a char[] field */
    unsigned flags;
} amdi_store_col;

#define AMDI_COL(rec, name, decl, kind, field, flags) \
    {name, decl, kind, offsetof(rec, field), sizeof(((rec *)0)->field), flags}

/* "CREATE TABLE IF NOT EXISTS t([head, ]<col decl>, ...[, tail]);": @p head and @p tail (may be
 * NULL) declare columns the record does not hold. */
void amdi_cols_schema(amdi_buf *b, const char *table, const char *head, const amdi_store_col *c, size_t n,
                      const char *tail);
/* "a, b, c" in table order: the select list read_row expects. */
void amdi_cols_list(amdi_buf *b, const amdi_store_col *c, size_t n);
/* "INSERT INTO t(<cols but the rowid>[, extra]) VALUES(:a, ...[, :extra])". */
void amdi_cols_insert(amdi_buf *b, const char *table, const amdi_store_col *c, size_t n, const char *extra);
/* "a=:a, b=:b" over the AMDI_COL_CHANGES columns (the SET list of an UPDATE); with @p excluded,
 * "a=excluded.a, ..." (the SET list of an upsert). */
void amdi_cols_changes(amdi_buf *b, const amdi_store_col *c, size_t n, int excluded);
/* Bind every column of @p rec whose ":name" the statement has. */
void amdi_cols_bind(sqlite3_stmt *st, const amdi_store_col *c, size_t n, const void *rec);
/* Read result columns 0..n-1 (the select list above) into @p rec. */
void amdi_cols_read(sqlite3_stmt *st, const amdi_store_col *c, size_t n, void *rec);

/* The text form of a column's value, for a text-format query parameter (PostgreSQL): NULL for
 * SQL NULL, else @p buf (numbers) or the record's own string. */
const char *amdi_cols_text(const amdi_store_col *c, const void *rec, char *buf, size_t n);
/* Set a column's field from a text result value; @p t NULL is SQL NULL (same rules as read). */
void amdi_cols_set_text(const amdi_store_col *c, void *rec, const char *t);

#endif
