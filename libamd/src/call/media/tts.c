/* SPDX-License-Identifier: MIT */
/* espeak-ng speech synthesis worker (tts.h). */
#include "media/tts.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <espeak-ng/speak_lib.h>

#include "amd/error.h"
#include "errbuf.h"
#include "media/resample.h"

/* espeak-ng's synthesis buffer (ms): it calls back with this much audio at a time. Short, so
 * the first audio is published early; the cost is more callbacks. */
#define ESPEAK_BUF_MS 20

typedef struct request {
    struct request *next;
    char *text;
    size_t pos; /* bytes of text already synthesized */
    char voice[40];
    amdi_stream *stream;
    amdi_resampler *rs;
    float *scratch; /* resampler input / output for one callback */
    float *out;
    size_t scratch_cap;
    int failed;
    int started; /* a piece was synthesized (set while the request is off the queue) */
} request;

struct amdi_tts {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    request *head, *tail;
    int stop;
    int rate;
    char current_voice[40];
};

static int synth_cb(short *wav, int n, espeak_EVENT *ev);

static int tts_active; /* atomic: espeak-ng's state is per process */

/* espeak-ng is initialised once per process and never terminated: espeak_Terminate in
 * espeak-ng 1.51 (Debian 12) waits for its internal FIFO thread, which never acknowledges in
 * synchronous mode, and hangs. A later amdi_tts reuses the initialised engine. */
static pthread_once_t espeak_once = PTHREAD_ONCE_INIT;
static int espeak_rate;

static void espeak_init_once(void)
{
    espeak_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, ESPEAK_BUF_MS, NULL, espeakINITIALIZE_DONT_EXIT);
    if (espeak_rate > 0)
        espeak_SetSynthCallback(synth_cb);
}

static void request_free(request *r)
{
    if (r->stream)
        amdi_stream_finish(r->stream); /* whatever happened, the player must not wait for ever */
    amdi_stream_unref(r->stream);
    amdi_resampler_destroy(r->rs);
    free(r->scratch);
    free(r->out);
    free(r->text);
    free(r);
}

/* espeak-ng hands over 16-bit samples at its native rate; resample and publish them. */
static int synth_cb(short *wav, int n, espeak_EVENT *ev)
{
    request *r = NULL;
    for (espeak_EVENT *e = ev; e; e++) {
        r = e->user_data;
        if (r || e->type == espeakEVENT_LIST_TERMINATED)
            break;
    }
    if (!r)
        return 0;
    if (amdi_stream_cancelled(r->stream) || r->failed)
        return 1; /* abort this synthesis */
    if (!wav || n <= 0)
        return 0;
    if ((size_t)n > r->scratch_cap) {
        size_t cap = (size_t)n * 2;
        float *s = realloc(r->scratch, cap * sizeof *s);
        if (s)
            r->scratch = s;
        float *o = s ? realloc(r->out, amdi_resampler_out_max(r->rs, cap) * sizeof *o) : NULL;
        if (o)
            r->out = o;
        if (!s || !o) {
            r->failed = 1;
            return 1;
        }
        r->scratch_cap = cap;
    }
    for (int i = 0; i < n; i++)
        r->scratch[i] = (float)wav[i] / 32768.0f;
    size_t k = amdi_resampler_process(r->rs, r->scratch, (size_t)n, r->out);
    if (amdi_stream_write(r->stream, r->out, k) != 0)
        r->failed = 1;
    return 0;
}

/* Length of the next piece of @p s: through the first boundary (@p ends followed by a space)
 * within @p limit bytes, else through the last space before it, else the limit moved back to
 * a UTF-8 character boundary. */
static size_t piece_len(const char *s, size_t limit, const char *ends)
{
    size_t n = strlen(s), last_space = 0;
    for (size_t i = 0; i < limit && i < n; i++) {
        if (strchr(ends, s[i]) && (s[i + 1] == '\0' || isspace((unsigned char)s[i + 1])))
            return i + 1;
        if (isspace((unsigned char)s[i]))
            last_space = i;
    }
    if (n <= limit)
        return n;
    if (last_space > 0)
        return last_space + 1;
    size_t k = limit;
    while (k > 1 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

/* Synthesize the next piece of @p r. Returns 1 when the request is complete. */
static int synth_piece(amdi_tts *t, request *r)
{
    if (amdi_stream_cancelled(r->stream) || r->failed)
        return 1;
    if (strcmp(t->current_voice, r->voice) != 0) {
        if (espeak_SetVoiceByName(r->voice) != EE_OK)
            espeak_SetVoiceByName("en-us");
        snprintf(t->current_voice, sizeof t->current_voice, "%s", r->voice);
    }
    /* the first piece is a clause at most: its audio is what the caller waits for */
    size_t n = r->pos == 0 ? piece_len(r->text, AMDI_TTS_FIRST_PIECE_BYTES, ",;:.!?")
                           : piece_len(r->text + r->pos, AMDI_TTS_PIECE_BYTES, ".!?;:");
    char piece[AMDI_TTS_PIECE_BYTES + 1];
    memcpy(piece, r->text + r->pos, n);
    piece[n] = '\0';
    r->pos += n;
    espeak_Synth(piece, n + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, r);
    if (r->text[r->pos] != '\0' && !r->failed)
        return 0;
    /* the samples still in the resampler's filter */
    float tail[256];
    if (!r->failed && amdi_resampler_flush_max(r->rs) <= sizeof tail / sizeof tail[0])
        amdi_stream_write(r->stream, tail, amdi_resampler_flush(r->rs, tail));
    return 1;
}

static void *worker(void *arg)
{
    amdi_tts *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!t->head && !t->stop)
            pthread_cond_wait(&t->cv, &t->mu);
        if (t->stop)
            break;
        request *r = t->head;
        t->head = r->next;
        if (!t->head)
            t->tail = NULL;
        pthread_mutex_unlock(&t->mu);
        int done = synth_piece(t, r);
        pthread_mutex_lock(&t->mu);
        if (done) {
            request_free(r);
        } else { /* round robin: back of the queue */
            r->started = 1;
            r->next = NULL;
            if (t->tail)
                t->tail->next = r;
            else
                t->head = r;
            t->tail = r;
        }
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int amdi_tts_create(amdi_tts **out, char *err, size_t errlen)
{
    if (!out)
        return AMD_EINVAL;
    *out = NULL;
    if (__atomic_exchange_n(&tts_active, 1, __ATOMIC_ACQ_REL)) {
        amdi_set_err(err, errlen, "a speech synthesizer exists already (espeak-ng is one per process)");
        return AMD_ESTATE;
    }
    amdi_tts *t = calloc(1, sizeof *t);
    if (!t) {
        __atomic_store_n(&tts_active, 0, __ATOMIC_RELEASE);
        return AMD_ENOMEM;
    }
    pthread_once(&espeak_once, espeak_init_once);
    t->rate = espeak_rate;
    if (t->rate <= 0) {
        amdi_set_err(err, errlen, "espeak-ng failed to initialise (is espeak-ng-data installed?)");
        free(t);
        __atomic_store_n(&tts_active, 0, __ATOMIC_RELEASE);
        return AMD_EIO;
    }
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (pthread_create(&t->thread, NULL, worker, t) != 0) {
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
        free(t);
        __atomic_store_n(&tts_active, 0, __ATOMIC_RELEASE);
        amdi_set_err(err, errlen, "cannot start the speech thread");
        return AMD_ENOMEM;
    }
    *out = t;
    return 0;
}

void amdi_tts_destroy(amdi_tts *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = 1;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    for (request *r = t->head; r;) {
        request *n = r->next;
        request_free(r);
        r = n;
    }
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
    __atomic_store_n(&tts_active, 0, __ATOMIC_RELEASE);
}

int amdi_tts_check_text(const char *text)
{
    if (!text)
        return AMDI_TWILIO_SAY_EMPTY;
    size_t n = strlen(text);
    if (n > AMDI_TTS_MAX_TEXT)
        return AMDI_TWILIO_SAY_TOO_LONG;
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)text[i]))
            return 0;
    return AMDI_TWILIO_SAY_EMPTY;
}

int amdi_tts_say(amdi_tts *t, const char *text, const amdi_tts_voice *voice, int retain, amdi_stream **out)
{
    if (out)
        *out = NULL;
    if (!t || !voice || !out)
        return AMD_EINVAL;
    int code = amdi_tts_check_text(text);
    if (code == AMDI_TWILIO_SAY_TOO_LONG)
        return AMD_ELIMIT;
    if (code)
        return AMD_EINVAL;
    request *r = calloc(1, sizeof *r);
    if (!r)
        return AMD_ENOMEM;
    r->text = strdup(text);
    r->stream = amdi_stream_create(retain);
    if (!r->text || !r->stream || amdi_resampler_create(t->rate, &r->rs) != 0) {
        request_free(r);
        return AMD_ENOMEM;
    }
    snprintf(r->voice, sizeof r->voice, "%s", voice->espeak);
    *out = amdi_stream_ref(r->stream);
    pthread_mutex_lock(&t->mu);
    /* ahead of every request that has audio out already, behind the other new ones: a new
     * <Say> waits for first pieces only, not for other calls' long texts */
    request **pp = &t->head;
    while (*pp && !(*pp)->started) {
        pp = &(*pp)->next;
    }
    r->next = *pp;
    *pp = r;
    if (!r->next)
        t->tail = r;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return 0;
}

int amdi_tts_native_rate(const amdi_tts *t)
{
    return t->rate;
}
