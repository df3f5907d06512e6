/* SPDX-License-Identifier: MIT */
/* The parameter table (amd/params.h): consistent rows, and it is what init and validation use. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "amd/detector.h"
#include "amd/error.h"
#include "amd/params.h"

Suite *params_suite(void);

/* Names unique, ranges sane, defaults inside them and whole in the wire unit, members int-sized. */
START_TEST(test_rows_consistent)
{
    size_t n = 0;
    const amd_param *t = amd_params(&n);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_ge((int)n, 18);
    for (size_t i = 0; i < n; i++) {
        const amd_param *p = &t[i];
        ck_assert_msg(p->field && p->help && p->arg && p->help[0], "row %zu incomplete", i);
        ck_assert_msg(p->min <= p->max && p->def >= p->min && p->def <= p->max, "%s: default %d outside %d..%d",
                      p->field, p->def, p->min, p->max);
        ck_assert_int_ge(p->scale, 1);
        ck_assert_msg(p->min % p->scale == 0 && p->max % p->scale == 0 && p->def % p->scale == 0,
                      "%s: range or default not whole in the wire unit", p->field);
        ck_assert_uint_le(p->offset + sizeof(int), sizeof(amd_config));
        ck_assert_uint_eq(p->offset % sizeof(int), 0);
        ck_assert_ptr_eq(amd_param_by_field(p->field), p);
        if (p->flag)
            ck_assert_ptr_eq(amd_param_by_flag(p->flag), p);
        if (p->above)
            ck_assert_ptr_nonnull(amd_param_by_field(p->above));
        for (size_t j = 0; j < i; j++) {
            ck_assert_uint_ne(t[j].offset, p->offset);
            ck_assert_str_ne(t[j].field, p->field);
            if (p->twilio && t[j].twilio)
                ck_assert_str_ne(t[j].twilio, p->twilio);
        }
    }
    ck_assert_ptr_null(amd_param_by_field("nonsense"));
    ck_assert_ptr_null(amd_param_by_flag("nonsense"));
    ck_assert_ptr_null(amd_param_by_field(NULL));
    ck_assert_ptr_null(amd_param_by_flag(NULL));
    ck_assert_int_eq(amd_param_by_field("timeout_ms")->scale, 1000);
    ck_assert_str_eq(amd_param_by_flag("speech-threshold")->twilio, "MachineDetectionSpeechThreshold");
}
END_TEST

/* amd_config_init gives every row its default; get / set address the right member. */
START_TEST(test_init_from_table)
{
    amd_config c;
    memset(&c, 0x5a, sizeof c);
    amd_config_init(&c);
    size_t n;
    const amd_param *t = amd_params(&n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(amd_param_get(&c, &t[i]) == t[i].def, "%s: %d, table default %d", t[i].field,
                      amd_param_get(&c, &t[i]), t[i].def);
    amd_param_set(&c, amd_param_by_field("speech_threshold_ms"), 1234);
    ck_assert_int_eq(c.speech_threshold_ms, 1234);
    amd_param_set(&c, amd_param_by_field("engine"), AMD_ENGINE_WORDS);
    ck_assert_int_eq(c.engine, AMD_ENGINE_WORDS);
}
END_TEST

/* Validation enforces each row's range with a message naming the field and the table's range,
 * and the "above" rule. */
START_TEST(test_validation_uses_table)
{
    size_t n;
    const amd_param *t = amd_params(&n);
    char err[200], want[200];
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind == AMD_PARAM_BOOL)
            continue;
        for (int side = 0; side < 2; side++) {
            amd_config c;
            amd_config_init(&c);
            int v = side ? t[i].max + 1 : t[i].min - 1;
            amd_param_set(&c, &t[i], v);
            ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EINVAL);
            snprintf(want, sizeof want, "%s: %d out of range %d..%d", t[i].field, v, t[i].min, t[i].max);
            ck_assert_str_eq(err, want);
        }
    }
    amd_config c;
    amd_config_init(&c);
    const amd_param *hi = amd_param_by_field("beep_max_hz");
    amd_param_set(&c, hi, amd_param_get(&c, amd_param_by_field(hi->above)));
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), AMD_EINVAL);
    ck_assert_str_eq(err, "beep_max_hz: 300 must be greater than beep_min_hz (300)");
    /* booleans take any int */
    amd_config_init(&c);
    c.detect_fax = 7;
    ck_assert_int_eq(amd_config_validate(&c, err, sizeof err), 0);
}
END_TEST

Suite *params_suite(void)
{
    Suite *s = suite_create("params");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_rows_consistent);
    tcase_add_test(tc, test_init_from_table);
    tcase_add_test(tc, test_validation_uses_table);
    suite_add_tcase(s, tc);
    return s;
}
