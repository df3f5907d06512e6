/* SPDX-License-Identifier: MIT */
/*
 * gather_bench: what listening for keys costs a call, and how often it hears keys nobody
 * pressed. The call server's <Gather> / <Record> listener (src/call/calls/listen.h: the
 * detector with the ITU-T Q.24 DTMF receiver selected) is run over the audio of every file of
 * a corpus manifest row with the given label, 20 ms at a time as the media tick feeds it.
 *
 *   gather_bench --manifest M.csv [--label human] [--calls N]
 *
 * Prints: audio listened to, CPU seconds, CPU per second of call audio (= share of one core
 * per listening call) and the false keys (keys heard, there being none in the corpus audio)
 * per hour. With --calls N, N listeners are kept alive at once and the files are dealt round
 * robin over them (the memory-resident case of N concurrent <Gather> calls).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio_file.h"
#include "listen.h"

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Column @p want of a simple CSV line (no quoted commas in the corpus manifests). */
static int field(const char *line, int want, char *out, size_t n)
{
    const char *p = line;
    for (int i = 0; i < want; i++) {
        p = strchr(p, ',');
        if (!p)
            return -1;
        p++;
    }
    size_t len = strcspn(p, ",\r\n");
    if (len >= n)
        return -1;
    memcpy(out, p, len);
    out[len] = 0;
    return 0;
}

static int column(const char *header, const char *name)
{
    char f[64];
    for (int i = 0; !field(header, i, f, sizeof f); i++)
        if (!strcmp(f, name))
            return i;
    return -1;
}

int main(int argc, char **argv)
{
    const char *manifest = NULL, *label = "human";
    int ncalls = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--manifest"))
            manifest = argv[i + 1];
        else if (!strcmp(argv[i], "--label"))
            label = argv[i + 1];
        else if (!strcmp(argv[i], "--calls"))
            ncalls = atoi(argv[i + 1]);
    }
    if (!manifest || ncalls < 1 || ncalls > 100000) {
        fprintf(stderr, "usage: gather_bench --manifest M.csv [--label human|machine|...] [--calls 1..100000]\n");
        return 2;
    }
    FILE *m = fopen(manifest, "r");
    if (!m) {
        perror(manifest);
        return 1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", manifest);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    char line[8192], name[1024], lab[64], scen[64];
    if (!fgets(line, sizeof line, m)) {
        fprintf(stderr, "%s: empty manifest\n", manifest);
        return 1;
    }
    int c_file = column(line, "file"), c_label = column(line, "label"), c_scen = column(line, "scenario");
    if (c_file < 0 || c_label < 0) {
        fprintf(stderr, "%s: no file / label columns\n", manifest);
        return 1;
    }
    amdi_listen *calls = calloc((size_t)ncalls, sizeof *calls);
    int *rate = calloc((size_t)ncalls, sizeof *rate);
    if (!calls || !rate)
        return 1;
    static float buf[960];
    double audio_s = 0, cpu = 0;
    long files = 0, keys = 0, next = 0;
    while (fgets(line, sizeof line, m)) {
        if (field(line, c_file, name, sizeof name) || field(line, c_label, lab, sizeof lab))
            continue;
        scen[0] = 0;
        if (c_scen >= 0)
            field(line, c_scen, scen, sizeof scen);
        if (strcmp(lab, label) && strcmp(scen, label))
            continue;
        char path[8192], err[256];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        amdi_audio_file *f;
        if (amdi_audio_file_open(path, NULL, &f, err, sizeof err)) {
            fprintf(stderr, "%s: %s\n", path, err);
            continue;
        }
        int r = amdi_audio_file_info(f)->sample_rate;
        size_t fn = (size_t)r / 50;
        amdi_listen *l = &calls[next % ncalls];
        if (rate[next % ncalls] != r) { /* a listener per call, made when its rate changes */
            amdi_listen_close(l);
            if (amdi_listen_open(l, r, 0, 0)) {
                fprintf(stderr, "listener for %d Hz failed\n", r);
                return 1;
            }
            rate[next % ncalls] = r;
        }
        next++;
        long got;
        while ((got = amdi_audio_file_read(f, buf, fn, err, sizeof err)) > 0) {
            double t0 = cpu_s();
            amdi_listen_audio(l, buf, (size_t)got);
            cpu += cpu_s() - t0;
            audio_s += (double)got / r;
            char k;
            while (amdi_listen_take(l, &k)) {
                keys++;
                fprintf(stderr, "%s: key %c\n", name, k);
            }
        }
        amdi_audio_file_close(f);
        files++;
    }
    fclose(m);
    for (int i = 0; i < ncalls; i++)
        amdi_listen_close(&calls[i]);
    free(calls);
    free(rate);
    printf("label=%s files=%ld audio_h=%.3f cpu_s=%.3f cpu_per_call=%.4f%% false_keys=%ld per_hour=%.2f\n", label,
           files, audio_s / 3600, cpu, audio_s > 0 ? 100.0 * cpu / audio_s : 0, keys,
           audio_s > 0 ? keys / (audio_s / 3600) : 0);
    return 0;
}
