/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* pipe2 */
#include "console_tune.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "amd/error.h"
#include "corpus_export.h"
#include "export_sink.h"
#include "form.h"

extern char **environ;

/* The numeric parameters amd bench can sweep, with the ranges of the Twilio parameters they
 * mirror (https://www.twilio.com/docs/voice/answering-machine-detection). */
static const struct {
    const char *name;
    long lo, hi;
} k_params[] = {
    {"speech-threshold", 1000, 6000},     {"speech-end-threshold", 500, 5000},
    {"silence-timeout", 2000, 10000},     {"timeout", 3, 59},
    {"max-num-of-words", 1, 100},         {"min-word-length", 10, 5000},
    {"max-word-length", 100, 20000},      {"words-silence", 10, 5000},
};

static int parse_long(const char *s, long *v)
{
    if (!s || !*s || strlen(s) > 9)
        return -1;
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return *end || errno ? -1 : 0;
}

int amdi_tune_parse(const char *body, size_t len, char *spec, size_t speclen, char *err, size_t errlen)
{
    amdi_form f;
    amdi_form_init(&f);
    if (amdi_form_parse(&f, body ? body : "", body ? len : 0, 16)) {
        snprintf(err, errlen, "the tuning form is not valid form data");
        return AMD_EINVAL;
    }
    const char *p = amdi_form_get(&f, "Param");
    long a, b, st;
    int rc = AMD_EINVAL;
    size_t i = 0;
    for (; p && i < sizeof k_params / sizeof k_params[0]; i++)
        if (!strcmp(p, k_params[i].name))
            break;
    if (!p || i == sizeof k_params / sizeof k_params[0])
        snprintf(err, errlen, "Param must be one of speech-threshold, speech-end-threshold, silence-timeout, timeout,"
                              " max-num-of-words, min-word-length, max-word-length, words-silence");
    else if (parse_long(amdi_form_get(&f, "From"), &a) || parse_long(amdi_form_get(&f, "To"), &b) ||
             parse_long(amdi_form_get(&f, "Step"), &st))
        snprintf(err, errlen, "From, To and Step must be whole numbers");
    else if (a < k_params[i].lo || b > k_params[i].hi || a > b)
        snprintf(err, errlen, "%s: From and To must lie in %ld..%ld with From <= To", p, k_params[i].lo,
                 k_params[i].hi);
    else if (st <= 0 || (b - a) / st + 1 > AMDI_TUNE_MAX_POINTS)
        snprintf(err, errlen, "Step must be positive and give at most %d points", AMDI_TUNE_MAX_POINTS);
    else
        rc = snprintf(spec, speclen, "%s=%ld:%ld:%ld", p, a, b, st) < (int)speclen ? 0 : AMD_EINVAL;
    amdi_form_free(&f);
    return rc;
}

/* Run @p program with @p argv, its standard output appended to @p out (bounded). 0 when it
 * exited 0. */
static int run_capture(const char *program, char *const argv[], amdi_buf *out, char *err, size_t errlen)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC))
        return AMD_EIO;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, program, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc) {
        close(fds[0]);
        snprintf(err, errlen, "cannot run %s: %s", program, strerror(rc));
        return AMD_EIO;
    }
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || out->len > (8u << 20))
            break;
        amdi_buf_append(out, buf, (size_t)n);
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "amd bench failed (exit status %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return AMD_EIO;
    }
    return out->oom ? AMD_ENOMEM : 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* The temporary corpus goes once scored (it holds call audio). */
static void remove_tree(const char *dir)
{
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int amdi_tune_run(amdi_store *s, const char *account, const char *program, const char *spec, amdi_buf *out,
                  char *err, size_t errlen)
{
    char dir[] = "/tmp/amd-console-tune-XXXXXX";
    if (!mkdtemp(dir)) { /* 0700 */
        snprintf(err, errlen, "cannot create a temporary folder: %s", strerror(errno));
        return AMD_EIO;
    }
    char corpus[64], manifest[96], svg[96];
    snprintf(corpus, sizeof corpus, "%s/corpus", dir);
    snprintf(manifest, sizeof manifest, "%s/manifest.csv", corpus);
    snprintf(svg, sizeof svg, "%s/sweep.svg", dir);
    amdi_export_stats st;
    int rc = amdi_corpus_export(s, account, amdi_export_dir_put, corpus, &st, err, errlen);
    if (!rc && st.exported == 0) {
        snprintf(err, errlen, "no labeled call with a recording to score yet (label calls placed with Record=true)");
        rc = AMD_ENOTFOUND;
    }
    amdi_buf cur, sw;
    amdi_buf_init(&cur);
    amdi_buf_init(&sw);
    if (!rc) {
        char *const a1[] = {"amd", "bench", manifest, "--format", "json", "--no-vad", NULL};
        rc = run_capture(program, a1, &cur, err, errlen);
    }
    if (!rc) {
        char *const a2[] = {"amd", "bench", manifest, "--format", "json", "--no-vad", "--sweep", (char *)spec,
                            "--svg", svg, NULL};
        rc = run_capture(program, a2, &sw, err, errlen);
    }
    if (!rc)
        amdi_buf_printf(out, "{\"labeled\":%ld,\"exported\":%ld,\"skipped\":%ld,\"current\":%s,\"sweep\":%s}",
                        st.labeled, st.exported, st.skipped, cur.p, sw.p);
    amdi_buf_free(&cur);
    amdi_buf_free(&sw);
    remove_tree(dir);
    return rc ? rc : out->oom ? AMD_ENOMEM : 0;
}
