/* SPDX-License-Identifier: MIT */
/* The labeled-corpus exporter and what it is made of: labels (names, form parsing, account
 * isolation, deletion with the call), the per-call AMD frame summary (pack / decode, damaged
 * blobs refused), the far-end channel taken from recordings, the manifest rows in the corpus
 * format, skipped calls and why, and the folder and tar sinks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amd/error.h"
#include "amd_summary.h"
#include "amd_summary_store.h"
#include "corpus_export.h"
#include "export_sink.h"
#include "labels.h"
#include "recording.h"
#include "store.h"

Suite *call_corpus_export_suite(void);

static char g_dir[256];

static void setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/amd-check-export-%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(mkdir(g_dir, 0700), 0);
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    ck_assert_int_eq(system(cmd), 0);
}

#define AC1 "AC00000000000000000000000000000001"
#define AC2 "AC00000000000000000000000000000002"

static amdi_store *open_store(void)
{
    char path[300], err[200];
    snprintf(path, sizeof path, "%s/t.db", g_dir);
    amdi_store *s;
    ck_assert_int_eq(amdi_store_open(path, 1, &s, err, sizeof err), 0);
    return s;
}

static void add_call(amdi_store *s, const char *acct, int i)
{
    amdi_call_rec r;
    amdi_call_rec_init(&r);
    snprintf(r.sid, sizeof r.sid, "CA%032d", i);
    snprintf(r.account_sid, sizeof r.account_sid, "%s", acct);
    snprintf(r.to, sizeof r.to, "+15551230001");
    snprintf(r.from, sizeof r.from, "+15005550006");
    r.status = AMD_CALL_COMPLETED;
    r.date_created = r.date_updated = 1700000000000LL + i;
    ck_assert_int_eq(amdi_store_call_insert(s, &r, "To=x"), 0);
}

/* A completed recording of call @p i: dual (far end = a ramp, our side = constant 1000) or
 * mono with @p track. Returns nothing; the row points at the file. */
static void add_recording(amdi_store *s, const char *acct, int i, int dual, const char *track, size_t n)
{
    char sid[35], csid[35], err[200], rdir[300], path[400];
    snprintf(sid, sizeof sid, "RE%032d", i);
    snprintf(csid, sizeof csid, "CA%032d", i);
    snprintf(rdir, sizeof rdir, "%s/rec", g_dir);
    amdi_recording *w;
    ck_assert_int_eq(amdi_recording_open(rdir, sid, 8000, dual, track, &w, err, sizeof err), 0);
    float far[160], ours[160];
    for (size_t k = 0; k < n; k += 160) {
        for (size_t j = 0; j < 160; j++) {
            far[j] = (float)((k + j) % 100) / 32768.0f;
            ours[j] = 1000.0f / 32768.0f;
        }
        ck_assert_int_eq(amdi_recording_write(w, far, ours, 160), 0);
    }
    ck_assert_int_eq(amdi_recording_close(w, NULL, err, sizeof err), 0);
    amdi_recording_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.sid, sizeof r.sid, "%s", sid);
    snprintf(r.account_sid, sizeof r.account_sid, "%s", acct);
    snprintf(r.call_sid, sizeof r.call_sid, "%s", csid);
    snprintf(r.status, sizeof r.status, "completed");
    snprintf(r.track, sizeof r.track, "%s", dual ? "both" : track);
    r.channels = dual ? 2 : 1;
    r.date_created = r.date_updated = r.start_time = 1700000000000LL;
    r.duration_s = 1;
    snprintf(path, sizeof path, "%s/%s.wav", rdir, sid);
    ck_assert_int_eq(amdi_store_recording_put(s, &r, path), 0);
}

static void label(amdi_store *s, const char *acct, int i, amdi_label l, int64_t ge, int want)
{
    amdi_label_rec r;
    memset(&r, 0, sizeof r);
    snprintf(r.call_sid, sizeof r.call_sid, "CA%032d", i);
    r.label = l;
    r.greeting_end_ms = ge;
    ck_assert_int_eq(amdi_labels_put(s, acct, &r), want);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = malloc(1 << 20);
    *len = fread(b, 1, (1 << 20) - 1, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

START_TEST(label_names_and_form)
{
    amdi_label l;
    ck_assert_int_eq(amdi_label_parse("machine_silence", &l), 0);
    ck_assert_str_eq(amdi_label_enable(l), "machine_start");
    ck_assert_str_eq(amdi_label_detect_end(l), "machine_end_silence");
    ck_assert_str_eq(amdi_label_coarse(l), "machine");
    ck_assert_int_eq(amdi_label_parse("machine_none", &l), 0);
    ck_assert_str_eq(amdi_label_detect_end(l), "machine_end_other");
    ck_assert_int_eq(amdi_label_parse("Human", &l), AMD_EINVAL);
    ck_assert_ptr_null(amdi_label_name(AMDI_LABEL_NONE));
    amdi_label_rec r;
    char err[200];
    const char *ok = "Label=fax&GreetingEndMs=";
    ck_assert_int_eq(amdi_label_from_form(ok, strlen(ok), &r, err, sizeof err), 0);
    ck_assert_int_eq(r.label, AMDI_LABEL_FAX);
    ck_assert_int_eq(r.greeting_end_ms, -1);
    const char *ge = "GreetingEndMs=2530&Label=human";
    ck_assert_int_eq(amdi_label_from_form(ge, strlen(ge), &r, err, sizeof err), 0);
    ck_assert_int_eq(r.greeting_end_ms, 2530);
    static const char *const bad[] = {"", "Label=", "Label=robot", "Label=human&GreetingEndMs=-5",
                                      "Label=human&GreetingEndMs=1e3", "Label=human&GreetingEndMs=99999999999",
                                      "Label=%zz"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        ck_assert_int_ne(amdi_label_from_form(bad[i], strlen(bad[i]), &r, err, sizeof err), 0);
        ck_assert_msg(err[0], "no reason for %s", bad[i]);
    }
}
END_TEST

START_TEST(labels_per_account_and_deleted_with_call)
{
    amdi_store *s = open_store();
    add_call(s, AC1, 1);
    add_call(s, AC2, 2);
    label(s, AC1, 1, AMDI_LABEL_HUMAN, 800, 0);
    label(s, AC1, 2, AMDI_LABEL_HUMAN, -1, AMD_ENOTFOUND); /* another account's call */
    label(s, AC1, 3, AMDI_LABEL_HUMAN, -1, AMD_ENOTFOUND); /* no such call */
    amdi_label_rec g;
    ck_assert_int_eq(amdi_labels_get(s, AC2, "CA00000000000000000000000000000001", &g), AMD_ENOTFOUND);
    ck_assert_int_eq(amdi_labels_get(s, AC1, "CA00000000000000000000000000000001", &g), 0);
    ck_assert_int_eq(g.label, AMDI_LABEL_HUMAN);
    ck_assert_int_eq(g.greeting_end_ms, 800);
    label(s, AC1, 1, AMDI_LABEL_MACHINE_BEEP, -1, 0); /* relabel replaces */
    ck_assert_int_eq(amdi_labels_list(s, AC1, NULL, NULL), 1);
    ck_assert_int_eq(amdi_labels_get(s, AC1, "CA00000000000000000000000000000001", &g), 0);
    ck_assert_int_eq(g.label, AMDI_LABEL_MACHINE_BEEP);
    uint8_t blob[64] = "AMS1";
    ck_assert_int_eq(amdi_summary_put(s, "CA00000000000000000000000000000001", blob, sizeof blob), 0);
    ck_assert_int_eq(amdi_store_call_delete(s, AC1, "CA00000000000000000000000000000001"), 0);
    ck_assert_int_eq(amdi_labels_list(s, AC1, NULL, NULL), 0);
    uint8_t *b;
    size_t n;
    ck_assert_int_eq(amdi_summary_get(s, AC1, "CA00000000000000000000000000000001", &b, &n), AMD_ENOTFOUND);
    amdi_store_close(s);
}
END_TEST

START_TEST(summary_round_trip)
{
    amdi_summary *sm = amdi_summary_new();
    static const char *const states[] = {"wait-speech", "in-speech", "human"};
    for (int i = 0; i < 300; i++) {
        amd_frame_info fi;
        memset(&fi, 0, sizeof fi);
        fi.struct_size = sizeof fi;
        fi.time_ms = 10 + i * 10;
        fi.level_db = i < 100 ? -70.4f : -20.6f;
        fi.noise_floor_db = -65.0f;
        fi.speech_prob = i >= 100 && i < 200 ? 1.0f : 0.0f;
        fi.speech = i >= 100 && i < 200;
        fi.tone_kind = i >= 250 && i < 270 ? "beep" : NULL;
        fi.state = states[i < 100 ? 0 : i < 200 ? 1 : 2];
        amdi_summary_frame(sm, &fi);
    }
    amd_result r;
    memset(&r, 0, sizeof r);
    r.answered_by = AMD_ANSWERED_HUMAN;
    r.cause = AMD_CAUSE_SPEECH_END;
    r.confidence = 0.75f;
    r.decision_ms = 3000;
    r.speech_onset_ms = 990;
    r.greeting_end_ms = r.beep_start_ms = r.beep_end_ms = -1;
    uint8_t *blob;
    size_t len;
    ck_assert_int_eq(amdi_summary_pack(sm, &r, &blob, &len), 0);
    amdi_summary_free(sm);
    /* the documented cost: 40 header bytes, 3 per frame, 5 + name per state change */
    ck_assert_uint_eq(len, 40 + 300 * 3 + (5 + 11) + (5 + 9) + (5 + 5));
    amdi_summary_view v;
    ck_assert_int_eq(amdi_summary_decode(blob, len, &v), 0);
    ck_assert_uint_eq(v.n_frames, 300);
    ck_assert_int_eq(v.frames[0].level_db, -70);
    ck_assert_int_eq(v.frames[150].level_db, -21);
    ck_assert_int_eq(v.frames[150].speech, 1);
    ck_assert_int_eq(v.frames[150].prob15, 15);
    ck_assert_str_eq(amdi_summary_tone_name(v.frames[260].tone), "beep");
    ck_assert_uint_eq(v.n_states, 3);
    ck_assert_str_eq(v.state_name[2], "human");
    ck_assert_int_eq(v.state_at[1], 100);
    ck_assert_int_eq(v.decision_ms, 3000);
    ck_assert_int_eq(v.cause, AMD_CAUSE_SPEECH_END);
    ck_assert(v.confidence > 0.7499f && v.confidence < 0.7501f);
    amdi_summary_view_free(&v);
    amdi_buf j;
    amdi_buf_init(&j);
    ck_assert_int_eq(amdi_summary_json(blob, len, &j), 0);
    ck_assert_ptr_nonnull(strstr(j.p, "\"speech_segments\":[{\"start_ms\":1000,\"end_ms\":2000}]"));
    ck_assert_ptr_nonnull(strstr(j.p, "\"tones\":[{\"start_ms\":2500,\"end_ms\":2700,\"kind\":\"beep\"}]"));
    ck_assert_ptr_nonnull(strstr(j.p, "\"decision_ms\":3000"));
    amdi_buf_free(&j);
    /* every truncation of the blob, and a wrong length byte, are refused */
    for (size_t cut = 0; cut < len; cut += 7)
        ck_assert_int_eq(amdi_summary_decode(blob, cut, &v), AMD_EFORMAT);
    blob[len - 6] = 30; /* the last state's name length */
    ck_assert_int_eq(amdi_summary_decode(blob, len, &v), AMD_EFORMAT);
    free(blob);
}
END_TEST

/* A minute of a state flapping every frame: frames stop at 60 s, state changes at their cap,
 * and the summary says it was cut. */
START_TEST(summary_caps)
{
    amdi_summary *sm = amdi_summary_new();
    for (int i = 0; i < AMDI_SUMMARY_MAX_FRAMES + 500; i++) {
        amd_frame_info fi;
        memset(&fi, 0, sizeof fi);
        fi.time_ms = 10 + i * 10;
        fi.level_db = -30;
        fi.noise_floor_db = -60;
        fi.state = i % 2 ? "in-speech" : "pause";
        amdi_summary_frame(sm, &fi);
    }
    amd_result r;
    memset(&r, 0, sizeof r);
    r.decision_ms = 65000;
    uint8_t *blob;
    size_t len;
    ck_assert_int_eq(amdi_summary_pack(sm, &r, &blob, &len), 0);
    amdi_summary_free(sm);
    amdi_summary_view v;
    ck_assert_int_eq(amdi_summary_decode(blob, len, &v), 0);
    ck_assert_uint_eq(v.n_frames, AMDI_SUMMARY_MAX_FRAMES);
    ck_assert_uint_eq(v.n_states, 512);
    ck_assert_int_eq(v.truncated, 1);
    ck_assert_uint_le(len, 40 + AMDI_SUMMARY_MAX_FRAMES * 3 + 512 * (5 + 31));
    amdi_summary_view_free(&v);
    free(blob);
}
END_TEST

START_TEST(export_folder)
{
    amdi_store *s = open_store();
    for (int i = 1; i <= 5; i++)
        add_call(s, i == 5 ? AC2 : AC1, i);
    add_recording(s, AC1, 1, 1, NULL, 1600);       /* dual: far end on channel 2 */
    add_recording(s, AC1, 2, 0, "inbound", 800);   /* mono far end */
    add_recording(s, AC1, 3, 0, "outbound", 800);  /* our side only: skipped */
    add_recording(s, AC2, 5, 1, NULL, 800);        /* another account */
    label(s, AC1, 1, AMDI_LABEL_HUMAN, 1234, 0);
    label(s, AC1, 2, AMDI_LABEL_MACHINE_BEEP, -1, 0);
    label(s, AC1, 3, AMDI_LABEL_FAX, -1, 0);
    label(s, AC1, 4, AMDI_LABEL_UNKNOWN, -1, 0);   /* no recording: skipped */
    label(s, AC2, 5, AMDI_LABEL_HUMAN, -1, 0);
    char out[300], err[200], p[400];
    snprintf(out, sizeof out, "%s/corpus", g_dir);
    amdi_export_stats st;
    ck_assert_int_eq(amdi_corpus_export(s, AC1, amdi_export_dir_put, out, &st, err, sizeof err), 0);
    ck_assert_int_eq(st.labeled, 4);
    ck_assert_int_eq(st.exported, 2);
    ck_assert_int_eq(st.skipped, 2);
    size_t n;
    snprintf(p, sizeof p, "%s/manifest.csv", out);
    char *m = slurp(p, &n);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m, "file,answered_by_enable,answered_by_detect_end,label,greeting_end_ms,scenario,source,"
                        "sample_rate,duration_ms,call_sid\n"
                        "audio/CA00000000000000000000000000000001.wav,human,human,human,1234,console-human,"
                        "amd serve,8000,200,CA00000000000000000000000000000001\n"
                        "audio/CA00000000000000000000000000000002.wav,machine_start,machine_end_beep,machine,,"
                        "console-machine_beep,amd serve,8000,100,CA00000000000000000000000000000002\n");
    free(m);
    snprintf(p, sizeof p, "%s/skipped.csv", out);
    m = slurp(p, &n);
    ck_assert_ptr_nonnull(strstr(m, "CA00000000000000000000000000000003,\"the recording holds no far-end audio"));
    ck_assert_ptr_nonnull(strstr(m, "CA00000000000000000000000000000004,no recording"));
    ck_assert_ptr_null(strstr(m, "CA00000000000000000000000000000005"));
    free(m);
    /* the far end's channel, sample for sample (not our side's constant 1000) */
    snprintf(p, sizeof p, "%s/audio/CA00000000000000000000000000000001.wav", out);
    m = slurp(p, &n);
    ck_assert_uint_eq(n, 44 + 1600 * 2);
    ck_assert_int_eq(memcmp(m, "RIFF", 4), 0);
    for (int k = 0; k < 1600; k += 37) {
        int v = (int16_t)((uint8_t)m[44 + 2 * k] | (uint8_t)m[45 + 2 * k] << 8);
        ck_assert_int_eq(v, k % 100);
    }
    free(m);
    struct stat sb;
    ck_assert_int_eq(stat(p, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    amdi_store_close(s);
}
END_TEST

START_TEST(export_tar_and_sink_names)
{
    amdi_store *s = open_store();
    add_call(s, AC1, 1);
    add_recording(s, AC1, 1, 1, NULL, 800);
    label(s, AC1, 1, AMDI_LABEL_MACHINE_SILENCE, 5000, 0);
    amdi_buf b;
    amdi_buf_init(&b);
    char err[200];
    ck_assert_int_eq(amdi_corpus_export(s, AC1, amdi_export_tar_put, &b, NULL, err, sizeof err), 0);
    ck_assert_int_eq(amdi_export_tar_end(&b), 0);
    ck_assert_uint_eq(b.len % 512, 0);
    ck_assert_str_eq(b.p, "corpus/audio/CA00000000000000000000000000000001.wav");
    /* ustar checksum: the sum of the header bytes with the checksum field as spaces */
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += i >= 148 && i < 156 ? ' ' : (unsigned char)b.p[i];
    ck_assert_uint_eq(sum, strtoul(b.p + 148, NULL, 8));
    ck_assert_uint_eq(strtoul(b.p + 124, NULL, 8), 44 + 800 * 2);
    amdi_buf_free(&b);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/x", g_dir);
    const uint8_t d[1] = {0};
    ck_assert_int_eq(amdi_export_dir_put(dir, "../escape", d, 1), AMD_EINVAL);
    ck_assert_int_eq(amdi_export_dir_put(dir, "a/../../escape", d, 1), AMD_EINVAL);
    ck_assert_int_eq(amdi_export_dir_put(dir, "/abs", d, 1), AMD_EINVAL);
    ck_assert_int_eq(amdi_export_tar_put(&b, "../x", d, 1), AMD_EINVAL);
    ck_assert_int_eq(amdi_export_dir_put(dir, "ok/fine.txt", d, 1), 0);
    amdi_store_close(s);
}
END_TEST

Suite *call_corpus_export_suite(void)
{
    Suite *s = suite_create("call_corpus_export");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, label_names_and_form);
    tcase_add_test(tc, labels_per_account_and_deleted_with_call);
    tcase_add_test(tc, summary_round_trip);
    tcase_add_test(tc, summary_caps);
    tcase_add_test(tc, export_folder);
    tcase_add_test(tc, export_tar_and_sink_names);
    suite_add_tcase(s, tc);
    return s;
}
