/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * Operator labels: what really answered a call (human, machine whose greeting ended in a beep,
 * in silence or not at all, fax, unknown) and optionally when the greeting ended. A label is
 * the ground truth a labeled corpus is made of (corpus_export.h), stored beside the call and
 * deleted with it. Its names map onto the manifest columns of a labeled corpus:
 *   label            answered_by_enable  answered_by_detect_end  label (coarse)
 *   human            human               human                   human
 *   machine_beep     machine_start       machine_end_beep        machine
 *   machine_silence  machine_start       machine_end_silence     machine
 *   machine_none     machine_start       machine_end_other       machine
 *   fax              fax                 fax                     fax
 *   unknown          unknown             unknown                 unknown */
#ifndef AMDI_LABELS_H
#define AMDI_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef enum amdi_label {
    AMDI_LABEL_NONE = 0,
    AMDI_LABEL_HUMAN,
    AMDI_LABEL_MACHINE_BEEP,
    AMDI_LABEL_MACHINE_SILENCE,
    AMDI_LABEL_MACHINE_NONE,
    AMDI_LABEL_FAX,
    AMDI_LABEL_UNKNOWN,
    AMDI_LABEL_COUNT_
} amdi_label;

/* Greeting ends later than this (ms of audio after answer) are refused: no call's AMD lasts
 * longer than MachineDetectionTimeout (59 s), and recordings are bounded by TimeLimit. */
#define AMDI_LABEL_MAX_GREETING_END_MS (4 * 3600 * 1000)

typedef struct amdi_label_rec {
    char call_sid[35];
    amdi_label label;
    int64_t greeting_end_ms; /* -1: not marked */
    int64_t updated_ms;      /* UTC ms since the epoch */
} amdi_label_rec;

extern const char amdi_labels_schema[];

const char *amdi_label_name(amdi_label l); /* NULL for NONE / out of range */
int amdi_label_parse(const char *name, amdi_label *out); /* 0 or AMD_EINVAL */
const char *amdi_label_enable(amdi_label l);
const char *amdi_label_detect_end(amdi_label l);
const char *amdi_label_coarse(amdi_label l);

/* A label change as sent by a form (application/x-www-form-urlencoded): `Label` (required,
 * one of the names above) and `GreetingEndMs` (optional; empty = not marked; a whole number of
 * ms, 0..AMDI_LABEL_MAX_GREETING_END_MS). Fills label and greeting_end_ms of @p out.
 * 0, or AMD_EINVAL / AMD_EFORMAT with the reason in @p err. */
int amdi_label_from_form(const char *body, size_t len, amdi_label_rec *out, char *err, size_t errlen);

/* Set the label of call @p r->call_sid of @p account (stamping updated_ms). 0, AMD_ENOTFOUND (no
 * such call in that account), AMD_EIO. */
int amdi_labels_put(amdi_store *s, const char *account, amdi_label_rec *r);
/* 0, AMD_ENOTFOUND (unlabeled or not that account's), AMD_EIO. */
int amdi_labels_get(amdi_store *s, const char *account, const char *call_sid, amdi_label_rec *r);
int amdi_labels_delete(amdi_store *s, const char *account, const char *call_sid);
/* Every label of @p account, oldest call first. Count or AMD_EIO. The callback runs with the
 * store locked: copy, do not call back into the store. */
typedef void (*amdi_label_fn)(void *user, const amdi_label_rec *r);
long amdi_labels_list(amdi_store *s, const char *account, amdi_label_fn fn, void *user);

#endif
