/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server). Internal to the TwiML parser (twiml.c, twiml_xml.c,
 * twiml_attrs.c, twiml_dial.c): the XML tree a document is read into, the parser state with its
 * first error, and the attribute and <Dial> readers the verb table uses. Not for other files:
 * they see only twiml.h. Not thread-safe across one parser; parsers are independent. */
#ifndef AMDI_TWIML_INTERNAL_H
#define AMDI_TWIML_INTERNAL_H

#include <stddef.h>

#include "strbuf.h"
#include "twiml.h"

typedef struct xattr {
    char *name, *value;
} xattr;

typedef struct xnode {
    char *name;
    xattr *attrs;
    size_t nattrs;
    amdi_buf text;
    struct xnode **kids;
    size_t nkids;
} xnode;

typedef struct parser {
    const char *p, *end;
    char *err;
    size_t errlen;
    int rc;
    size_t nodes;
} parser;

/* ---- twiml_xml.c: the XML layer ---- */

/* Frees a tree from amdi_twx_parse_element(); NULL is a no-op. */
void amdi_twx_free(xnode *n);
/* Records the first error (an AMD_E* code and a message in the caller's buffer); later ones are
 * ignored. */
void amdi_twx_fail(parser *ps, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void amdi_twx_skip_ws(parser *ps);
/* Skips one comment, processing instruction or DOCTYPE at ps->p: 1 when one was skipped. */
int amdi_twx_skip_misc(parser *ps);
/* The element at ps->p with its attributes, text and children (depth bounded by
 * AMDI_TWIML_MAX_DEPTH); NULL after amdi_twx_fail(). */
xnode *amdi_twx_parse_element(parser *ps, int depth);

/* ---- twiml_attrs.c: attribute rules ---- */

/* The value of attribute @p name, or NULL when absent. */
const char *amdi_tw_attr(const xnode *n, const char *name);
/* A copy of the element text without leading and trailing white space; NULL when out of memory. */
char *amdi_tw_trimmed(const amdi_buf *b);
/* An integer attribute in lo..hi (absent: @p def): 0, or -1 after amdi_twx_fail(AMD_EINVAL). */
int amdi_tw_int_attr(parser *ps, const xnode *n, const char *name, int def, int lo, int hi, int *out);
/* <Gather>'s and <Record>'s own attributes into @p v: 0, or -1 when out of memory. */
int amdi_tw_gather_attrs(amdi_verb *v, const xnode *n);
int amdi_tw_record_attrs(amdi_verb *v, const xnode *n);

/* ---- twiml_dial.c: <Dial> and its nouns ---- */

/* <Dial> with its attributes and nouns into @p v: 0, or -1 after amdi_twx_fail(). */
int amdi_tw_parse_dial(parser *ps, const xnode *n, amdi_verb *v);

#endif
