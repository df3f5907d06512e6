/* SPDX-License-Identifier: MIT */
/* The recording writer: a whole recording is a valid WAV of every frame; a write that fails
 * (a full disk, simulated with RLIMIT_FSIZE, which fails write(2) with EFBIG like ENOSPC)
 * stops the recording with the file cut back to its last whole frame and a header that says
 * so; no file is left without audio; files are 0600 in a 0700 folder whatever the umask.
 * Check runs each test in its own process, so the limits and umask stay local. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "amd/error.h"
#include "recording.h"

Suite *call_recording_suite(void);

#define SID "RE00000000000000000000000000000001"
#define FRAME 160 /* 20 ms at 8 kHz */

static char g_dir[256], g_file[320];

static void setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/amd-check-rec-%d", (int)getpid());
    snprintf(g_file, sizeof g_file, "%s/%s.wav", g_dir, SID);
    unlink(g_file);
    rmdir(g_dir);
}

static void teardown(void)
{
    unlink(g_file);
    rmdir(g_dir);
}

static void file_limit(rlim_t bytes)
{
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = bytes;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) ? -1 : (long)st.st_size;
}

static uint32_t u32_at(const unsigned char *h, int off)
{
    return (uint32_t)h[off] | (uint32_t)h[off + 1] << 8 | (uint32_t)h[off + 2] << 16 | (uint32_t)h[off + 3] << 24;
}

/* The header's RIFF and data sizes must describe the file exactly. */
static void assert_wav(long expect_data)
{
    unsigned char h[44];
    FILE *f = fopen(g_file, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fread(h, 1, sizeof h, f), sizeof h);
    fclose(f);
    ck_assert(!memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WAVEfmt ", 8) && !memcmp(h + 36, "data", 4));
    ck_assert_uint_eq(u32_at(h, 40), (uint32_t)expect_data);
    ck_assert_uint_eq(u32_at(h, 4), 36u + (uint32_t)expect_data);
    ck_assert_int_eq(file_size(g_file), 44 + expect_data);
}

START_TEST(whole_recording_private_whatever_the_umask)
{
    umask(0);
    amdi_recording *r;
    char err[200] = "";
    ck_assert_int_eq(amdi_recording_open(g_dir, SID, 8000, 0, "inbound", &r, err, sizeof err), 0);
    float pcm[FRAME];
    for (int i = 0; i < FRAME; i++)
        pcm[i] = (float)(i % 20) / 20.0f - 0.5f;
    for (int k = 0; k < 50; k++)
        ck_assert_int_eq(amdi_recording_write(r, pcm, NULL, FRAME), 0);
    int64_t frames = -1;
    ck_assert_int_eq(amdi_recording_close(r, &frames, err, sizeof err), 0);
    ck_assert_int_eq(frames, 50 * FRAME);
    assert_wav(50 * FRAME * 2);
    struct stat st;
    ck_assert_int_eq(stat(g_dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(stat(g_file, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(dual_channels_and_clipping)
{
    amdi_recording *r;
    char err[200];
    ck_assert_int_eq(amdi_recording_open(g_dir, SID, 8000, 1, NULL, &r, err, sizeof err), 0);
    float in[2] = {0.5f, 3.0f}, out[2] = {-0.5f, -3.0f};
    ck_assert_int_eq(amdi_recording_write(r, in, out, 2), 0);
    int64_t frames;
    ck_assert_int_eq(amdi_recording_close(r, &frames, err, sizeof err), 0);
    ck_assert_int_eq(frames, 2);
    assert_wav(8);
    unsigned char d[8];
    FILE *f = fopen(g_file, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 44, SEEK_SET);
    ck_assert_uint_eq(fread(d, 1, 8, f), 8);
    fclose(f);
    int16_t s[4];
    for (int i = 0; i < 4; i++)
        s[i] = (int16_t)(d[2 * i] | d[2 * i + 1] << 8);
    ck_assert_int_eq(s[0], -16384); /* channel 1: our side */
    ck_assert_int_eq(s[1], 16384);  /* channel 2: the far end */
    ck_assert_int_eq(s[2], -32767); /* clipped, not wrapped */
    ck_assert_int_eq(s[3], 32767);
}
END_TEST

START_TEST(disk_full_mid_recording)
{
    signal(SIGXFSZ, SIG_IGN); /* over the limit, write(2) fails with EFBIG instead of killing us */
    amdi_recording *r;
    char err[200] = "";
    ck_assert_int_eq(amdi_recording_open(g_dir, SID, 8000, 0, "inbound", &r, err, sizeof err), 0);
    float pcm[FRAME] = {0.25f};
    /* room for the header, 3 whole frames and part of a 4th */
    file_limit(44 + 3 * FRAME * 2 + 100);
    int rcs[6];
    for (int k = 0; k < 6; k++)
        rcs[k] = amdi_recording_write(r, pcm, NULL, FRAME);
    int64_t frames = -1;
    int crc = amdi_recording_close(r, &frames, err, sizeof err);
    file_limit(RLIM_INFINITY);
    ck_assert_int_eq(rcs[0], 0);
    ck_assert_int_eq(rcs[2], 0);
    ck_assert_int_eq(rcs[3], AMD_EIO);    /* the failing write says so */
    ck_assert_int_eq(rcs[4], AMD_ESTATE); /* and nothing more is written */
    ck_assert_int_eq(crc, AMD_EIO);
    ck_assert_int_eq(frames, 3 * FRAME); /* exactly what the file holds */
    ck_assert_msg(strstr(err, "File too large") || strstr(err, "space"), "reason: %s", err);
    assert_wav(3 * FRAME * 2); /* the partial 4th frame was cut away */
}
END_TEST

START_TEST(no_room_for_the_header_leaves_no_file)
{
    signal(SIGXFSZ, SIG_IGN);
    file_limit(20);
    amdi_recording *r = NULL;
    char err[200] = "";
    int rc = amdi_recording_open(g_dir, SID, 8000, 0, "inbound", &r, err, sizeof err);
    file_limit(RLIM_INFINITY);
    ck_assert_int_eq(rc, AMD_EIO);
    ck_assert_ptr_null(r);
    ck_assert(err[0]);
    ck_assert_int_eq(access(g_file, F_OK), -1);
}
END_TEST

START_TEST(no_audio_written_leaves_no_file)
{
    signal(SIGXFSZ, SIG_IGN);
    amdi_recording *r;
    char err[200] = "";
    ck_assert_int_eq(amdi_recording_open(g_dir, SID, 8000, 0, "inbound", &r, err, sizeof err), 0);
    file_limit(44); /* the header fits, not one sample more */
    float pcm[FRAME] = {0};
    int wrc = amdi_recording_write(r, pcm, NULL, FRAME);
    int64_t frames = -1;
    int crc = amdi_recording_close(r, &frames, err, sizeof err);
    file_limit(RLIM_INFINITY);
    ck_assert_int_eq(wrc, AMD_EIO);
    ck_assert_int_eq(crc, AMD_EIO);
    ck_assert_int_eq(frames, 0);
    ck_assert_int_eq(access(g_file, F_OK), -1);
}
END_TEST

START_TEST(existing_open_folder_is_narrowed)
{
    umask(0);
    ck_assert_int_eq(mkdir(g_dir, 0755), 0);
    char err[200] = "";
    ck_assert_int_eq(amdi_recording_dir_prepare(g_dir, err, sizeof err), 0);
    struct stat st;
    ck_assert_int_eq(stat(g_dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
}
END_TEST

/* A file a killed process left behind: header sizes 0, audio after it, half a frame at the end. */
START_TEST(repair_after_a_crash)
{
    amdi_recording *r;
    char err[200];
    ck_assert_int_eq(amdi_recording_open(g_dir, SID, 8000, 1, NULL, &r, err, sizeof err), 0);
    amdi_recording_close(r, NULL, err, sizeof err); /* a valid empty file: header only */
    FILE *f = fopen(g_file, "ab");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 4 * 300 + 2; i++) /* 300 dual frames and half of one more */
        fputc(i & 0x7f, f);
    fclose(f);
    int64_t frames = -1;
    int rate = -1;
    ck_assert_int_eq(amdi_recording_repair(g_file, &frames, &rate), 0);
    ck_assert_int_eq(frames, 300);
    ck_assert_int_eq(rate, 8000);
    assert_wav(4 * 300);
    /* a file with no audio is removed; a missing one is 0 frames */
    ck_assert_int_eq(truncate(g_file, 44), 0);
    ck_assert_int_eq(amdi_recording_repair(g_file, &frames, &rate), 0);
    ck_assert_int_eq(frames, 0);
    ck_assert_int_eq(access(g_file, F_OK), -1);
    ck_assert_int_eq(amdi_recording_repair(g_file, &frames, &rate), 0);
    /* something that is not one of our recordings is not trusted */
    f = fopen(g_file, "wb");
    fputs("not a wav file at all, but long enough to have a header of 44 bytes", f);
    fclose(f);
    ck_assert_int_eq(amdi_recording_repair(g_file, &frames, &rate), AMD_EIO);
    ck_assert_int_eq(frames, 0);
}
END_TEST

Suite *call_recording_suite(void)
{
    Suite *s = suite_create("call_recording");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, whole_recording_private_whatever_the_umask);
    tcase_add_test(tc, dual_channels_and_clipping);
    tcase_add_test(tc, disk_full_mid_recording);
    tcase_add_test(tc, no_room_for_the_header_leaves_no_file);
    tcase_add_test(tc, no_audio_written_leaves_no_file);
    tcase_add_test(tc, existing_open_folder_is_narrowed);
    tcase_add_test(tc, repair_after_a_crash);
    suite_add_tcase(s, tc);
    return s;
}
