/* SPDX-License-Identifier: MIT */
/*
 * Reading recorded calls with libsndfile (see audio_file.h).
 *
 * How it works: each path is opened exactly once. Regular files are handed to
 * libsndfile by descriptor; stdin ("-"), pipes, FIFOs and character devices are
 * read into memory first and served through libsndfile's virtual I/O, because
 * most container parsers need to seek and such inputs cannot be read twice.
 * Headerless G.711 / s16 input uses libsndfile's RAW major format with the
 * caller's rate. Interleaved frames are read into one buffer allocated at open and down-mixed (or one
 * channel picked) into the caller's mono float buffer.
 *
 * What counts as bad input, and why it is rejected rather than guessed at:
 *  - empty / non-audio: libsndfile cannot recognise a format;
 *  - absurd headers: rates outside 1000..384000 Hz or 0 / > 64 channels are not
 *    telephone recordings, and feeding them on would only hide a corrupt file;
 *  - truncated files: libsndfile silently shortens a data chunk that runs past
 *    the end of the file and notes "data : N (should be M)" in its log; a call
 *    recording cut short would otherwise be classified as if it had ended
 *    there (e.g. "hangup"), so we report it instead (except for the 2^31 / 2^32
 *    placeholder sizes of WAVs streamed through a pipe);
 *  - NaN / Inf samples in float files: checked on every read.
 */
#include "audio_file.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>

#include "amd/error.h"

/* Frames read from libsndfile per call; the interleaved buffer is this times channels. */
#define AMDI_AF_CHUNK_FRAMES 2048
/* Header sanity limits, as documented in audio_file.h. */
#define AMDI_AF_MIN_RATE 1000
#define AMDI_AF_MAX_RATE 384000
#define AMDI_AF_MAX_CHANNELS 64
/* stdin is buffered in memory for seeking; beyond this it is not a call recording
 * (1 GiB is ~9 hours of 16 kHz s16 stereo). */
#define AMDI_AF_MAX_STDIN ((size_t)1 << 30)
/* How long a FIFO opened before its writer may stay silent before we give up. */
#define AMDI_AF_FIFO_WAIT_MS 10000

struct amdi_audio_file {
    SNDFILE *sf;
    amdi_audio_info info;
    int channel;            /* 0 = down-mix, else 1-based channel */
    float *frames;          /* interleaved read buffer, AMDI_AF_CHUNK_FRAMES * channels */
    unsigned char *mem;     /* stdin contents, or NULL */
    size_t mem_len;
    size_t mem_pos;
    int64_t frames_read;
    int check_length;       /* frames is exact: a short read means truncation */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- virtual I/O over the in-memory copy of stdin ---- */

static sf_count_t vio_len(void *user)
{
    return (sf_count_t)((amdi_audio_file *)user)->mem_len;
}

static sf_count_t vio_seek(sf_count_t off, int whence, void *user)
{
    amdi_audio_file *f = user;
    sf_count_t base = 0;
    if (whence == SEEK_CUR)
        base = (sf_count_t)f->mem_pos;
    else if (whence == SEEK_END)
        base = (sf_count_t)f->mem_len;
    sf_count_t pos = base + off;
    if (pos < 0)
        pos = 0;
    if (pos > (sf_count_t)f->mem_len)
        pos = (sf_count_t)f->mem_len;
    f->mem_pos = (size_t)pos;
    return pos;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *user)
{
    amdi_audio_file *f = user;
    if (count <= 0)
        return 0;
    size_t left = f->mem_len - f->mem_pos;
    size_t n = (size_t)count < left ? (size_t)count : left;
    memcpy(ptr, f->mem + f->mem_pos, n);
    f->mem_pos += n;
    return (sf_count_t)n;
}

static sf_count_t vio_write(const void *ptr, sf_count_t count, void *user)
{
    (void)ptr;
    (void)count;
    (void)user;
    return 0;
}

static sf_count_t vio_tell(void *user)
{
    return (sf_count_t)((amdi_audio_file *)user)->mem_pos;
}

/* Room for more input in f->mem (first 64 KiB, then doubling up to AMDI_AF_MAX_STDIN): 0, or
 * an error named with @p what ("" or "stdin: "). */
static int mem_room(amdi_audio_file *f, size_t *cap, const char *what, char *err, size_t errlen)
{
    if (!f->mem) {
        *cap = 1 << 16;
        f->mem = malloc(*cap);
    } else if (f->mem_len == *cap) {
        if (*cap >= AMDI_AF_MAX_STDIN) {
            set_err(err, errlen, "%smore than %zu MiB of input", what, AMDI_AF_MAX_STDIN >> 20);
            return AMD_ELIMIT;
        }
        unsigned char *p = realloc(f->mem, *cap * 2);
        if (!p) {
            set_err(err, errlen, "out of memory");
            return AMD_ENOMEM;
        }
        f->mem = p;
        *cap *= 2;
    }
    if (!f->mem) {
        set_err(err, errlen, "out of memory");
        return AMD_ENOMEM;
    }
    return 0;
}

/* Read all of a non-seekable descriptor (pipe, FIFO, character device) into memory, once:
 * libsndfile seeks, and opening such a path a second time finds its data gone (a FIFO whose
 * writer already finished would even block that second open forever). */
static int slurp_fd(amdi_audio_file *f, int fd, const char *path, char *err, size_t errlen)
{
    size_t cap = 0;
    for (;;) {
        int rc = mem_room(f, &cap, "", err, errlen);
        if (rc)
            return rc;
        ssize_t n = read(fd, f->mem + f->mem_len, cap - f->mem_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_err(err, errlen, "%s: read error: %s", path, strerror(errno));
            return AMD_EIO;
        }
        if (n == 0)
            break;
        f->mem_len += (size_t)n;
    }
    return 0;
}

/* Open @p path once, without blocking on a FIFO that has no writer (then wait a bounded time
 * for one). Regular files: *fd_out stays open for libsndfile; anything else is read into
 * f->mem and *fd_out is -1. */
static int open_input(amdi_audio_file *f, const char *path, int *fd_out, char *err, size_t errlen)
{
    *fd_out = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        set_err(err, errlen, "%s", strerror(e));
        return (e == ENOENT || e == ENOTDIR) ? AMD_ENOTFOUND : AMD_EIO;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        set_err(err, errlen, "%s", strerror(errno));
        close(fd);
        return AMD_EIO;
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "cannot read (is it a directory?)");
        close(fd);
        return AMD_EIO;
    }
    if (S_ISFIFO(st.st_mode)) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int pr;
        while ((pr = poll(&pf, 1, AMDI_AF_FIFO_WAIT_MS)) < 0 && errno == EINTR)
            ;
        if (pr == 0) {
            set_err(err, errlen, "no data: nothing wrote to this FIFO within %d s", AMDI_AF_FIFO_WAIT_MS / 1000);
            close(fd);
            return AMD_EIO;
        }
    }
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (S_ISREG(st.st_mode)) {
        if (st.st_size == 0) {
            set_err(err, errlen, "empty file");
            close(fd);
            return AMD_EFORMAT;
        }
        *fd_out = fd;
        return 0;
    }
    int rc = slurp_fd(f, fd, path, err, errlen);
    close(fd);
    if (!rc && f->mem_len == 0) {
        set_err(err, errlen, "empty input");
        rc = AMD_EFORMAT;
    }
    return rc;
}

static int slurp_stdin(amdi_audio_file *f, char *err, size_t errlen)
{
    size_t cap = 0;
    for (;;) {
        int rc = mem_room(f, &cap, "stdin: ", err, errlen);
        if (rc)
            return rc;
        size_t n = fread(f->mem + f->mem_len, 1, cap - f->mem_len, stdin);
        f->mem_len += n;
        if (n == 0) {
            if (ferror(stdin)) {
                set_err(err, errlen, "stdin: read error: %s", strerror(errno));
                return AMD_EIO;
            }
            break;
        }
    }
    return 0;
}

/* ---- helpers ---- */

/* libsndfile notes a chunk that runs past the end of the file as
 * "data : 32000 (should be 1001)" (WAV), "Data Size : 16000 (should be 2956)" (AU),
 * " SSND : 287376 (should be 143648)" (AIFF) or, where it only checks the container,
 * "riff : 143820 (should be 71910)" (W64). Data chunks count at any shortfall; container
 * sizes only beyond CONTAINER_SLACK bytes, because some writers get the RIFF size wrong by
 * a header's worth (8 bytes) on intact files. */
#define AMDI_AF_CONTAINER_SLACK 64

static int log_says_truncated(SNDFILE *sf, long long *claimed, long long *actual)
{
    static const char *const data_tags[] = {"data", "Data", "SSND"};
    static const char *const container_tags[] = {"RIFF", "riff", "FORM", "RF64"};
    char log[4096];
    log[0] = 0;
    sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
    log[sizeof log - 1] = 0;
    for (char *line = log; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char *p = line;
        while (*p == ' ')
            p++;
        int is_data = 0, is_container = 0;
        for (size_t k = 0; k < 3; k++)
            is_data |= strncmp(p, data_tags[k], 4) == 0;
        for (size_t k = 0; k < 4; k++)
            is_container |= strncmp(p, container_tags[k], 4) == 0;
        char *colon = strchr(p, ':');
        char *sb = strstr(p, "(should be ");
        if ((is_data || is_container) && colon && sb) {
            long long n = strtoll(colon + 1, NULL, 10);
            long long m = strtoll(sb + 11, NULL, 10);
            /* Writers that stream to a pipe cannot know the length and put a
             * placeholder of 2^31 or 2^32 bytes in the header (ffmpeg, sox): that is
             * "unknown length", and libsndfile then reads to the end of the file. */
            int placeholder = n >= 0x7FFFF000LL && n <= 0xFFFFFFFFLL;
            long long slack = is_data ? 0 : AMDI_AF_CONTAINER_SLACK;
            if (m + slack < n && !placeholder) {
                *claimed = n;
                *actual = m;
                return 1;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

static void describe_format(int format, char *out, size_t outlen)
{
    SF_FORMAT_INFO major = {.format = format & SF_FORMAT_TYPEMASK};
    SF_FORMAT_INFO sub = {.format = format & SF_FORMAT_SUBMASK};
    const char *mname = "audio";
    const char *sname = "";
    char mbuf[16];
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &major, sizeof major) == 0 && major.extension) {
        size_t i = 0;
        for (; major.extension[i] && i + 1 < sizeof mbuf; i++)
            mbuf[i] = (char)toupper((unsigned char)major.extension[i]);
        mbuf[i] = 0;
        mname = mbuf;
    }
    if (sf_command(NULL, SFC_GET_FORMAT_INFO, &sub, sizeof sub) == 0 && sub.name)
        sname = sub.name;
    snprintf(out, outlen, "%s %s", mname, sname);
}

/* ---- opening, step by step ---- */

/* The caller's options, checked before anything is opened. */
static int check_opts(const amdi_audio_open_opts *o, char *err, size_t errlen)
{
    if (o->raw != AMDI_RAW_NONE) {
        if (o->raw != AMDI_RAW_ULAW && o->raw != AMDI_RAW_ALAW && o->raw != AMDI_RAW_S16) {
            set_err(err, errlen, "unknown raw format %d", (int)o->raw);
            return AMD_EINVAL;
        }
        if (o->raw_rate < AMDI_AF_MIN_RATE || o->raw_rate > AMDI_AF_MAX_RATE) {
            set_err(err, errlen, "raw input needs a rate in %d..%d Hz (got %d)", AMDI_AF_MIN_RATE,
                    AMDI_AF_MAX_RATE, o->raw_rate);
            return AMD_EINVAL;
        }
        if (o->raw_channels < 0 || o->raw_channels > AMDI_AF_MAX_CHANNELS) {
            set_err(err, errlen, "raw channels %d out of range 1..%d", o->raw_channels,
                    AMDI_AF_MAX_CHANNELS);
            return AMD_EINVAL;
        }
    }
    if (o->channel < 0) {
        set_err(err, errlen, "channel %d: must be 0 (down-mix) or a channel number >= 1", o->channel);
        return AMD_EINVAL;
    }
    return 0;
}

/* Fail clearly on missing, unreadable or empty input before libsndfile's generic message;
 * stdin is read into memory here. */
static int get_input(amdi_audio_file *f, const char *path, int is_stdin, int *fd_out, char *err,
                     size_t errlen)
{
    *fd_out = -1;
    if (is_stdin) {
        int rc = slurp_stdin(f, err, errlen);
        if (rc)
            return rc;
        if (f->mem_len == 0) {
            set_err(err, errlen, "empty input on stdin");
            return AMD_EFORMAT;
        }
        return 0;
    }
    /* Fail clearly on missing / unreadable paths before libsndfile's generic message. */
    return open_input(f, path, fd_out, err, errlen);
}

/* Open through libsndfile (by name, or over the in-memory stdin copy); @p si receives
 * what the header says. libsndfile's reasons are turned into ours. */
static int open_sndfile(amdi_audio_file *f, int fd, const amdi_audio_open_opts *o, SF_INFO *si,
                        char *err, size_t errlen)
{
    memset(si, 0, sizeof *si);
    if (o->raw != AMDI_RAW_NONE) {
        si->samplerate = o->raw_rate;
        si->channels = o->raw_channels ? o->raw_channels : 1;
        si->format = SF_FORMAT_RAW | (o->raw == AMDI_RAW_ULAW   ? SF_FORMAT_ULAW
                                      : o->raw == AMDI_RAW_ALAW ? SF_FORMAT_ALAW
                                                                : (SF_FORMAT_PCM_16 | SF_ENDIAN_LITTLE));
    }
    if (fd < 0) { /* stdin, a pipe, a FIFO: the copy in memory */
        SF_VIRTUAL_IO vio = {vio_len, vio_seek, vio_read, vio_write, vio_tell};
        f->sf = sf_open_virtual(&vio, SFM_READ, si, f);
    } else {
        f->sf = sf_open_fd(fd, SFM_READ, si, SF_TRUE); /* closes fd, also on failure */
    }
    if (f->sf)
        return 0;
    const char *why = sf_strerror(NULL);
    if (strstr(why, "not recognised") || strstr(why, "ot recognised"))
        set_err(err, errlen, "not an audio file (format not recognised)");
    else if (strstr(why, "channels"))
        set_err(err, errlen, "absurd header: %s", why);
    else if (strstr(why, "SF_INFO struct incomplete"))
        /* libsndfile's words for a header with a 0 Hz rate or 0 channels */
        set_err(err, errlen, "absurd header: sample rate or channel count is 0");
    else
        set_err(err, errlen, "unreadable audio: %s", why);
    return AMD_EFORMAT;
}

/* What the header claims, against the limits of amdi_audio_file_open and the caller's channel. */
static int check_header(const amdi_audio_file *f, const SF_INFO *si, const amdi_audio_open_opts *o,
                        char *err, size_t errlen)
{
    if (si->samplerate < AMDI_AF_MIN_RATE || si->samplerate > AMDI_AF_MAX_RATE) {
        set_err(err, errlen, "absurd header: sample rate %d Hz (expected %d..%d)", si->samplerate,
                AMDI_AF_MIN_RATE, AMDI_AF_MAX_RATE);
        return AMD_EFORMAT;
    }
    if (si->channels < 1 || si->channels > AMDI_AF_MAX_CHANNELS) {
        set_err(err, errlen, "absurd header: %d channels (expected 1..%d)", si->channels,
                AMDI_AF_MAX_CHANNELS);
        return AMD_EFORMAT;
    }
    if (o->channel > si->channels) {
        set_err(err, errlen, "channel %d requested but the file has %d channel%s", o->channel,
                si->channels, si->channels == 1 ? "" : "s");
        return AMD_EINVAL;
    }
    if (o->raw == AMDI_RAW_NONE) {
        long long claimed = 0, actual = 0;
        if (log_says_truncated(f->sf, &claimed, &actual)) {
            set_err(err, errlen, "truncated: header declares %lld bytes, file holds %lld",
                    claimed, actual);
            return AMD_EFORMAT;
        }
    }
    return 0;
}

/* The read buffer and the info block, once the file is known to be good. */
static int finish_open(amdi_audio_file *f, const SF_INFO *si, const amdi_audio_open_opts *o,
                       char *err, size_t errlen)
{
    /* Normalised float reads: PCM comes out in [-1, 1]; float files pass through as stored. */
    sf_command(f->sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    f->frames = malloc(sizeof(float) * AMDI_AF_CHUNK_FRAMES * (size_t)si->channels);
    if (!f->frames) {
        set_err(err, errlen, "out of memory");
        return AMD_ENOMEM;
    }
    f->info.sample_rate = si->samplerate;
    f->info.channels = si->channels;
    f->info.frames = (si->frames < 0 || si->frames == SF_COUNT_MAX) ? -1 : (int64_t)si->frames;
    f->check_length = f->info.frames >= 0 && o->raw == AMDI_RAW_NONE;
    if (o->raw != AMDI_RAW_NONE)
        snprintf(f->info.format, sizeof f->info.format, "raw %s",
                 o->raw == AMDI_RAW_ULAW ? "ulaw" : o->raw == AMDI_RAW_ALAW ? "alaw" : "s16");
    else
        describe_format(si->format, f->info.format, sizeof f->info.format);
    return 0;
}

/* ---- API ---- */

int amdi_audio_file_open(const char *path, const amdi_audio_open_opts *opts, amdi_audio_file **out,
                         char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!out) {
        set_err(err, errlen, "invalid argument");
        return AMD_EINVAL;
    }
    *out = NULL;
    if (!path || !*path) {
        set_err(err, errlen, "no file name");
        return AMD_EINVAL;
    }
    amdi_audio_open_opts o = {0};
    if (opts)
        o = *opts;
    int rc = check_opts(&o, err, errlen);
    if (rc)
        return rc;
    amdi_audio_file *f = calloc(1, sizeof *f);
    if (!f) {
        set_err(err, errlen, "out of memory");
        return AMD_ENOMEM;
    }
    f->channel = o.channel;
    const int is_stdin = strcmp(path, "-") == 0;
    SF_INFO si;
    int fd = -1;
    if (!(rc = get_input(f, path, is_stdin, &fd, err, errlen)) &&
        !(rc = open_sndfile(f, fd, &o, &si, err, errlen)) &&
        !(rc = check_header(f, &si, &o, err, errlen)) && !(rc = finish_open(f, &si, &o, err, errlen))) {
        *out = f;
        return 0;
    }
    amdi_audio_file_close(f);
    return rc;
}

const amdi_audio_info *amdi_audio_file_info(const amdi_audio_file *f)
{
    return f ? &f->info : NULL;
}

long amdi_audio_file_read(amdi_audio_file *f, float *buf, size_t max, char *err, size_t errlen)
{
    if (!f || (!buf && max > 0)) {
        set_err(err, errlen, "invalid argument");
        return AMD_EINVAL;
    }
    if (max == 0)
        return 0;
    const int ch = f->info.channels;
    size_t want = max < AMDI_AF_CHUNK_FRAMES ? max : AMDI_AF_CHUNK_FRAMES;
    sf_count_t got = sf_readf_float(f->sf, f->frames, (sf_count_t)want);
    if (got < 0) {
        set_err(err, errlen, "read error");
        return AMD_EIO;
    }
    if (got == 0) {
        int e = sf_error(f->sf);
        if (e != SF_ERR_NO_ERROR) {
            set_err(err, errlen, "corrupt audio data: %s", sf_strerror(f->sf));
            return AMD_EFORMAT;
        }
        if (f->check_length && f->frames_read < f->info.frames) {
            set_err(err, errlen, "truncated: ended after %lld of %lld frames",
                    (long long)f->frames_read, (long long)f->info.frames);
            return AMD_EFORMAT;
        }
        return 0;
    }
    for (sf_count_t i = 0; i < got; i++) {
        const float *fr = f->frames + (size_t)i * (size_t)ch;
        float v;
        if (f->channel > 0) {
            v = fr[f->channel - 1];
        } else if (ch == 1) {
            v = fr[0];
        } else {
            float s = 0.0f;
            for (int c = 0; c < ch; c++)
                s += fr[c];
            v = s / (float)ch;
        }
        if (!isfinite(v)) {
            /* A down-mix hides nothing: any non-finite channel makes v non-finite. */
            set_err(err, errlen, "sample %lld is %s (corrupt float data)",
                    (long long)(f->frames_read + i), isnan(v) ? "NaN" : "infinite");
            return AMD_EFORMAT;
        }
        buf[i] = v;
    }
    f->frames_read += got;
    return (long)got;
}

void amdi_audio_file_close(amdi_audio_file *f)
{
    if (!f)
        return;
    if (f->sf)
        sf_close(f->sf);
    free(f->frames);
    free(f->mem);
    free(f);
}
