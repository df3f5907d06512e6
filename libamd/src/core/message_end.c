/* SPDX-License-Identifier: MIT */
/* DetectMessageEnd: the end of a voicemail greeting (see message_end.h). */
#include "message_end.h"

#include <string.h>

void amdi_msgend_reset(amdi_msgend *m) { memset(m, 0, sizeof *m); }

void amdi_msgend_start(amdi_msgend *m, const amdi_evidence *ev)
{
    m->active = 1;
    m->known_ms = ev->t_ms;
    m->ref_db = ev->background_db;
    m->quiet_since = ev->t_ms;
    m->loud_run = 0;
}

/* Track the quiet stretch; returns its length in ms. */
static int64_t quiet_ms(amdi_msgend *m, const amdi_evidence *ev)
{
    if (ev->speech_raw) {
        /* the background under the greeting: follow it down at once, up slowly */
        if (ev->background_db < m->ref_db)
            m->ref_db = ev->background_db;
        else
            m->ref_db += 0.01f;
        m->quiet_since = ev->t_ms;
        m->loud_run = 0;
        return 0;
    }
    if (ev->level_db > m->ref_db + AMDI_QUIET_DB) {
        if (++m->loud_run >= AMDI_QUIET_BREAK)
            m->quiet_since = ev->t_ms;
    } else {
        m->loud_run = 0;
    }
    return ev->t_ms - m->quiet_since;
}

static int beep_end(const amdi_evidence *ev, amd_result *res)
{
    for (int i = 0; i < ev->n_tone_events; i++) {
        const amdi_tone_event *e = &ev->tone_events[i];
        if (e->kind != AMDI_TONE_BEEP)
            continue;
        res->answered_by = AMD_ANSWERED_MACHINE_END_BEEP;
        res->cause = AMD_CAUSE_BEEP;
        /* A beep after a known greeting is the strongest end evidence there is. */
        res->confidence = 0.95f;
        res->beep_start_ms = e->start_ms;
        res->beep_end_ms = e->end_ms;
        res->beep_hz = e->hz;
        res->greeting_end_ms = ev->speech_onset_ms >= 0 ? ev->last_speech_end_ms : -1;
        if (res->greeting_end_ms > e->start_ms)
            res->greeting_end_ms = e->start_ms;
        return 1;
    }
    return 0;
}

int amdi_msgend_frame(amdi_msgend *m, const amd_config *cfg, const amdi_evidence *ev, amd_result *res)
{
    if (!m->active)
        return 0;
    int64_t q = quiet_ms(m, ev);
    if (beep_end(ev, res))
        return 1;
    int64_t need = (int64_t)cfg->speech_end_threshold_ms + cfg->beep_grace_ms;
    if (!ev->in_speech && !ev->tone_active && ev->speech_onset_ms >= 0 && ev->silence_ms >= need &&
        q >= need) {
        res->answered_by = AMD_ANSWERED_MACHINE_END_SILENCE;
        res->cause = AMD_CAUSE_GREETING_SILENCE;
        /* Silence after speech is a weaker end signal than a beep: the greeting could resume. */
        res->confidence = 0.8f;
        res->greeting_end_ms = ev->last_speech_end_ms;
        return 1;
    }
    return 0;
}

int amdi_msgend_finish(amdi_msgend *m, const amd_config *cfg, const amdi_evidence *ev, amd_result *res)
{
    if (ev && beep_end(ev, res))
        return 1;
    int64_t q = ev ? ev->t_ms - m->quiet_since : 0;
    if (ev && !ev->in_speech && ev->speech_onset_ms >= 0 &&
        ev->silence_ms >= (int64_t)cfg->speech_end_threshold_ms && q >= (int64_t)cfg->speech_end_threshold_ms) {
        /* audio ended after the speech-end silence: no beep can follow any more */
        res->answered_by = AMD_ANSWERED_MACHINE_END_SILENCE;
        res->cause = AMD_CAUSE_GREETING_SILENCE;
        res->confidence = 0.7f;
        res->greeting_end_ms = ev->last_speech_end_ms;
        return 1;
    }
    res->answered_by = AMD_ANSWERED_MACHINE_END_OTHER;
    res->cause = AMD_CAUSE_HANGUP;
    res->confidence = 0.5f;
    if (ev && ev->speech_onset_ms >= 0)
        res->greeting_end_ms = ev->last_speech_end_ms;
    return 1;
}

const char *amdi_msgend_state(const amdi_msgend *m, const amdi_evidence *ev)
{
    if (!m->active)
        return "idle";
    if (ev->in_speech)
        return "greeting";
    if (ev->tone_active)
        return "greeting-tone";
    return "greeting-pause";
}
