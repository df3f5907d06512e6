/* SPDX-License-Identifier: MIT */
/* Configuration: Twilio defaults, every field's range with a message naming it, name tables. */
#include <check.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "amd/detector.h"

Suite *config_suite(void);

START_TEST(test_defaults_are_twilios)
{
    amd_config c;
    memset(&c, 0x5a, sizeof c);
    amd_config_init(&c);
    ck_assert_uint_eq(c.version, AMD_CONFIG_VERSION);
    ck_assert_int_eq(c.sample_rate, 8000);
    ck_assert_int_eq(c.mode, AMD_MODE_ENABLE);
    ck_assert_int_eq(c.timeout_ms, 30000);
    ck_assert_int_eq(c.speech_threshold_ms, 2400);
    ck_assert_int_eq(c.speech_end_threshold_ms, 1200);
    ck_assert_int_eq(c.silence_timeout_ms, 5000);
    ck_assert_int_eq(c.engine, AMD_ENGINE_DEFAULT);
    ck_assert_int_eq(c.min_word_length_ms, 100);
    ck_assert_int_eq(c.max_word_length_ms, 5000);
    ck_assert_int_eq(c.words_silence_ms, 50);
    ck_assert_int_eq(c.max_num_of_words, 5);
    ck_assert_int_eq(c.silence_threshold, 256);
    ck_assert_int_eq(c.beep_min_ms, 80);
    ck_assert_int_eq(c.beep_min_hz, 300);
    ck_assert_int_eq(c.beep_max_hz, 2500);
    ck_assert_int_eq(c.beep_grace_ms, 1500);
    ck_assert_int_eq(c.detect_fax, 1);
    ck_assert_int_eq(c.detect_sit, 1);
    ck_assert_ptr_null(c.model);
    ck_assert_ptr_null(c.log_fn);
    ck_assert_int_eq(amd_config_validate(&c, NULL, 0), 0);
}
END_TEST

/* One row per bounded field: offset, name, lo, hi. */
typedef struct {
    size_t off;
    const char *name;
    int lo, hi;
} field_range;

#define F(f, lo, hi) {offsetof(amd_config, f), #f, lo, hi}
static const field_range ranges[] = {
    F(sample_rate, 8000, 48000),      F(timeout_ms, 3000, 59000),       F(speech_threshold_ms, 1000, 6000),
    F(speech_end_threshold_ms, 500, 5000), F(silence_timeout_ms, 2000, 10000), F(min_word_length_ms, 10, 5000),
    F(max_word_length_ms, 100, 20000), F(words_silence_ms, 10, 5000), F(max_num_of_words, 1, 100),
    F(silence_threshold, 0, 32767),   F(beep_min_ms, 40, 1000),         F(beep_grace_ms, 0, 5000),
};

static int *field(amd_config *c, size_t off) { return (int *)((char *)c + off); }

/* Every bound is accepted, one past it is AMD_EINVAL with the field and range in the message. */
START_TEST(test_every_field_range)
{
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        const field_range *r = &ranges[i];
        amd_config c;
        char err[200];
        int bad[4] = {r->lo - 1, r->hi + 1, INT_MIN, INT_MAX};
        for (int k = 0; k < 4; k++) {
            amd_config_init(&c);
            *field(&c, r->off) = bad[k];
            memset(err, 0, sizeof err);
            ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EINVAL);
            ck_assert_msg(strstr(err, r->name) != NULL, "message '%s' does not name %s", err, r->name);
            char range[64];
            snprintf(range, sizeof range, "%d..%d", r->lo, r->hi);
            ck_assert_msg(strstr(err, range) != NULL, "message '%s' lacks range %s", err, range);
        }
        amd_config_init(&c);
        *field(&c, r->off) = r->lo;
        if (r->off == offsetof(amd_config, max_word_length_ms))
            c.min_word_length_ms = 10;
        ck_assert_msg(amd_config_validate(&c, err, sizeof err) == 0, "%s=%d rejected: %s", r->name, r->lo, err);
        amd_config_init(&c);
        *field(&c, r->off) = r->hi;
        ck_assert_msg(amd_config_validate(&c, err, sizeof err) == 0, "%s=%d rejected: %s", r->name, r->hi, err);
    }
}
END_TEST

START_TEST(test_enums_and_beep_band)
{
    amd_config c;
    char err[200];
    amd_config_init(&c);
    c.mode = (amd_mode)2;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EINVAL);
    ck_assert(strstr(err, "mode") != NULL);
    amd_config_init(&c);
    c.mode = (amd_mode)-1;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EINVAL);
    amd_config_init(&c);
    c.engine = (amd_engine)4;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EINVAL);
    ck_assert(strstr(err, "engine") != NULL);
    amd_config_init(&c);
    c.log_level = (amd_log_level)9;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EINVAL);
    ck_assert(strstr(err, "log_level") != NULL);
    /* beep band: each end in 200..3000 / 200..3500, and max above min */
    amd_config_init(&c);
    c.beep_min_hz = 199;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EINVAL);
    ck_assert(strstr(err, "beep_min_hz") != NULL);
    amd_config_init(&c);
    c.beep_max_hz = 3501;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EINVAL);
    ck_assert(strstr(err, "beep_max_hz") != NULL);
    amd_config_init(&c);
    c.beep_min_hz = 1000;
    c.beep_max_hz = 1000;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EINVAL);
    ck_assert(strstr(err, "beep_max_hz") != NULL);
    c.beep_max_hz = 1001;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), 0);
}
END_TEST

START_TEST(test_version_and_null)
{
    amd_config c;
    char err[200];
    amd_config_init(&c);
    c.version = 0;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EVERSION);
    ck_assert(strstr(err, "version") != NULL);
    c.version = AMD_CONFIG_VERSION + 1;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EVERSION);
    ck_assert_int_eq(amd_config_validate(NULL, err, sizeof err), AMD_EINVAL);
    /* a NULL or tiny message buffer is fine */
    amd_config_init(&c);
    c.timeout_ms = 1;
    ck_assert_int_eq(amd_config_validate(&c, NULL, 0), AMD_EINVAL);
    char tiny[4];
    ck_assert_int_eq(amd_config_validate(&c, tiny, sizeof tiny), AMD_EINVAL);
    ck_assert_int_eq(tiny[3], '\0');
    amd_config_init(NULL); /* no crash */
}
END_TEST

START_TEST(test_engine_names)
{
    amd_engine e;
    ck_assert_str_eq(amd_engine_name(AMD_ENGINE_DEFAULT), "default");
    ck_assert_str_eq(amd_engine_name(AMD_ENGINE_TIMING), "timing");
    ck_assert_str_eq(amd_engine_name(AMD_ENGINE_WORDS), "words");
    ck_assert_str_eq(amd_engine_name(AMD_ENGINE_MODEL), "model");
    const char *names[] = {"default", "timing", "words", "model"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(amd_engine_parse(names[i], &e), 0);
        ck_assert_int_eq(e, (amd_engine)i);
    }
    ck_assert_int_eq(amd_engine_parse("Lumenvox", &e), 0);
    ck_assert_int_eq(e, AMD_ENGINE_WORDS);
    ck_assert_int_eq(amd_engine_parse("LUMENVOX", &e), 0);
    ck_assert_int_eq(amd_engine_parse("TIMING", &e), 0);
    ck_assert_int_eq(e, AMD_ENGINE_TIMING);
    ck_assert_int_eq(amd_engine_parse("", &e), AMD_EINVAL);
    ck_assert_int_eq(amd_engine_parse("timingx", &e), AMD_EINVAL);
    ck_assert_int_eq(amd_engine_parse(NULL, &e), AMD_EINVAL);
    ck_assert_int_eq(amd_engine_parse("timing", NULL), AMD_EINVAL);
}
END_TEST

START_TEST(test_mode_names)
{
    amd_mode m;
    ck_assert_str_eq(amd_mode_name(AMD_MODE_ENABLE), "Enable");
    ck_assert_str_eq(amd_mode_name(AMD_MODE_DETECT_MESSAGE_END), "DetectMessageEnd");
    ck_assert_int_eq(amd_mode_parse("Enable", &m), 0);
    ck_assert_int_eq(m, AMD_MODE_ENABLE);
    ck_assert_int_eq(amd_mode_parse("detectmessageend", &m), 0);
    ck_assert_int_eq(m, AMD_MODE_DETECT_MESSAGE_END);
    ck_assert_int_eq(amd_mode_parse("Disable", &m), AMD_EINVAL);
    ck_assert_int_eq(amd_mode_parse(NULL, &m), AMD_EINVAL);
    ck_assert_int_eq(amd_mode_parse("Enable", NULL), AMD_EINVAL);
}
END_TEST

START_TEST(test_answered_by_names)
{
    const char *tw[] = {"human", "machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other",
                        "fax", "unknown"};
    for (int i = 0; i < 7; i++) {
        amd_answered_by a;
        ck_assert_str_eq(amd_answered_by_name((amd_answered_by)(i + 1)), tw[i]);
        ck_assert_int_eq(amd_answered_by_parse(tw[i], &a), 0);
        ck_assert_int_eq(a, (amd_answered_by)(i + 1));
        ck_assert_int_eq(amd_answered_by_is_machine(a), i >= 1 && i <= 4);
    }
    amd_answered_by a;
    ck_assert_str_eq(amd_answered_by_name(AMD_ANSWERED_NONE), "");
    /* an invalid value is told apart from "not decided" */
    ck_assert_ptr_null(amd_answered_by_name((amd_answered_by)99));
    ck_assert_ptr_null(amd_answered_by_name((amd_answered_by)-1));
    ck_assert_ptr_null(amd_answered_by_name((amd_answered_by)(AMD_ANSWERED_UNKNOWN + 1)));
    ck_assert_int_eq(amd_answered_by_parse("Human", &a), AMD_EINVAL); /* Twilio values are exact */
    ck_assert_int_eq(amd_answered_by_parse("", &a), AMD_EINVAL);
    ck_assert_int_eq(amd_answered_by_parse(NULL, &a), AMD_EINVAL);
    ck_assert_int_eq(amd_answered_by_is_machine(AMD_ANSWERED_NONE), 0);
}
END_TEST

START_TEST(test_cause_names_unique)
{
    ck_assert_str_eq(amd_cause_name(AMD_CAUSE_NONE), "none");
    ck_assert_str_eq(amd_cause_name(AMD_CAUSE_SPEECH_END), "speech-end");
    ck_assert_str_eq(amd_cause_name(AMD_CAUSE_SPEECH_THRESHOLD), "speech-threshold");
    ck_assert_str_eq(amd_cause_name(AMD_CAUSE_SILENCE_TIMEOUT), "silence-timeout");
    ck_assert_str_eq(amd_cause_name(AMD_CAUSE_BEEP), "beep");
    ck_assert_str_eq(amd_cause_name(AMD_CAUSE_FAX_CED), "fax-ced");
    ck_assert_str_eq(amd_cause_name(AMD_CAUSE_SIT), "sit");
    for (int i = 1; i < AMD_CAUSE_COUNT_; i++) {
        const char *a = amd_cause_name((amd_cause)i);
        ck_assert(a && a[0] && strcmp(a, "none") != 0);
        for (int j = 1; j < i; j++)
            ck_assert_str_ne(a, amd_cause_name((amd_cause)j));
    }
    ck_assert_str_eq(amd_cause_name((amd_cause)-1), "none");
    ck_assert_str_eq(amd_cause_name(AMD_CAUSE_COUNT_), "none");
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_defaults_are_twilios);
    tcase_add_test(tc, test_every_field_range);
    tcase_add_test(tc, test_enums_and_beep_band);
    tcase_add_test(tc, test_version_and_null);
    tcase_add_test(tc, test_engine_names);
    tcase_add_test(tc, test_mode_names);
    tcase_add_test(tc, test_answered_by_names);
    tcase_add_test(tc, test_cause_names_unique);
    suite_add_tcase(s, tc);
    return s;
}
