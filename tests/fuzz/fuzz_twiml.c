/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the TwiML parser (src/call/calls/twiml.h): the input is the
 * document exactly as a webhook would answer it (or as an inline Twiml parameter), in a
 * buffer of exactly its size and not NUL-terminated, so any read past the end is caught.
 *
 * Checked beyond the sanitizers: the documented return codes with a message on failure; on
 * success at most AMDI_TWIML_MAX_VERBS verbs, each of a known kind with the fields its kind
 * promises (Say / Play / Redirect text, Redirect method GET or POST, Reject reason rejected or
 * busy, loop 0..1000, Pause length 0..600 (Play digits kept as written); Gather / Record
 * attributes in their ranges, a Gather's nested verbs Say / Play / Pause inside the program,
 * a warning code always with its message; Dial: 1..10 nouns each with a non-empty target (a
 * sip: URI for <Sip>) and name/value parameters, timeout 1..600, timeLimit 1..86400, method
 * GET or POST, a known record mode) and a finite, non-negative simulated duration.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amd/error.h"
#include "twiml.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_twiml: contract broken: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *xml = malloc(size ? size : 1);
    CHECK(xml != NULL);
    memcpy(xml, data, size);
    amdi_twiml *t = (amdi_twiml *)xml; /* must be overwritten */
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = amdi_twiml_parse(xml, size, &t, err, sizeof err);
    free(xml);
    CHECK(memchr(err, '\0', sizeof err) != NULL);
    if (rc != 0) {
        CHECK(rc == AMD_EFORMAT || rc == AMD_EINVAL || rc == AMD_ELIMIT || rc == AMD_ENOMEM);
        CHECK(t == NULL);
        CHECK(err[0] != '\0');
        return 0;
    }
    CHECK(t != NULL && t != (amdi_twiml *)xml);
    CHECK(t->n <= AMDI_TWIML_MAX_VERBS);
    int64_t total = 0;
    for (size_t i = 0; i < t->n; i++) {
        const amdi_verb *v = &t->v[i];
        CHECK(v->kind >= AMDI_TW_SAY && v->kind <= AMDI_TW_SKIPPED);
        CHECK(memchr(v->name, '\0', sizeof v->name) != NULL && v->name[0] != '\0');
        switch (v->kind) {
        case AMDI_TW_SAY:
        case AMDI_TW_PLAY:
            CHECK(v->text != NULL);
            CHECK(v->loop >= 0 && v->loop <= 1000);
            /* Play digits are kept as written: the executor checks them (warning 13430) */
            break;
        case AMDI_TW_PAUSE:
            CHECK(v->length_s >= 0 && v->length_s <= 600);
            break;
        case AMDI_TW_REDIRECT:
            CHECK(v->text != NULL && v->text[0] != '\0');
            CHECK(v->method && (!strcmp(v->method, "GET") || !strcmp(v->method, "POST")));
            break;
        case AMDI_TW_REJECT:
            CHECK(v->reason && (!strcmp(v->reason, "rejected") || !strcmp(v->reason, "busy")));
            break;
        case AMDI_TW_GATHER:
            CHECK(v->method && (!strcmp(v->method, "GET") || !strcmp(v->method, "POST")));
            CHECK(v->timeout_s >= 0 && v->timeout_s <= 3600);
            CHECK(strlen(v->finish_on_key) <= 1 && strspn(v->finish_on_key, "0123456789#*") == strlen(v->finish_on_key));
            CHECK(v->num_digits >= 0 && v->num_digits <= 1000);
            CHECK(v->n_nested <= t->n - i - 1);
            for (size_t k = i + 1; k <= i + v->n_nested; k++)
                CHECK(t->v[k].in_gather && (t->v[k].kind == AMDI_TW_SAY || t->v[k].kind == AMDI_TW_PLAY ||
                                            t->v[k].kind == AMDI_TW_PAUSE));
            break;
        case AMDI_TW_RECORD:
            CHECK(v->method && (!strcmp(v->method, "GET") || !strcmp(v->method, "POST")));
            CHECK(v->rs_method && (!strcmp(v->rs_method, "GET") || !strcmp(v->rs_method, "POST")));
            CHECK(v->timeout_s >= 0 && v->timeout_s <= 3600);
            CHECK(v->max_length_s >= 2 && v->max_length_s <= 14400);
            CHECK(strspn(v->finish_on_key, "0123456789#*") == strlen(v->finish_on_key));
            CHECK(v->rs_events >= 1 && v->rs_events <= 7);
            CHECK(!v->rs_callback || v->rs_callback[0]);
            break;
        case AMDI_TW_DIAL: {
            const amdi_dial *d = v->dial;
            CHECK(d != NULL && d->n >= 1 && d->n <= AMDI_DIAL_MAX_NOUNS);
            CHECK(d->timeout_s >= 1 && d->timeout_s <= 600 && d->time_limit_s >= 1 && d->time_limit_s <= 86400);
            CHECK(d->method && (!strcmp(d->method, "GET") || !strcmp(d->method, "POST")));
            CHECK(d->record >= AMDI_DIAL_REC_NONE && d->record <= AMDI_DIAL_REC_RINGING);
            CHECK(d->recording_track && d->trim && memchr(d->ring_tone, '\0', sizeof d->ring_tone));
            for (size_t k = 0; k < d->n; k++) {
                const amdi_dial_noun *dn = &d->nouns[k];
                CHECK(dn->target && dn->target[0]);
                CHECK(!dn->sip || !strncasecmp(dn->target, "sip:", 4));
                for (size_t j = 0; j < 2 * dn->nkv; j++)
                    CHECK(dn->kv[j] != NULL);
            }
            break;
        }
        default:
            break;
        }
        CHECK(!v->warn_code || v->warn);
        int64_t d = amdi_verb_duration_ms(v);
        CHECK(d >= 0);
        total += d; /* 1024 verbs x at most ~4e12 ms each: no overflow */
    }
    CHECK(total >= 0);
    amdi_twiml_free(t);
    return 0;
}
