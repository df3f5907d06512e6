/* SPDX-License-Identifier: MIT */
/**
 * @file detector.h
 * The streaming answering-machine detector.
 *
 * Feed it the far end's audio from the moment of answer, in chunks of any
 * size, and poll (or get called back with) the decision: whether a human, an
 * answering machine or a fax answered and, in DetectMessageEnd mode, when the
 * voicemail greeting ended. The time base of every duration is audio time:
 * the first sample fed is the moment of answer.
 *
 * Lifecycle: amd_config_init() -> adjust fields -> amd_detector_create()
 * -> amd_detector_process_*() ... -> amd_detector_finish() (optional, at
 * hang-up / end of file) -> amd_detector_destroy(). amd_detector_reset()
 * starts a new call on the same object.
 *
 * Threading: a detector is used by one thread at a time; distinct detectors
 * are fully independent and may run in parallel. A model is shared read-only.
 * Memory: everything is allocated at create; process calls never allocate.
 *
 * ABI growth: the structs the library fills (amd_result, amd_frame_info) start
 * with `size_t struct_size`, the number of bytes of the struct that hold data.
 * New fields are only ever appended, so a program built against older headers
 * keeps working with a newer library (it never reads past its own struct), and
 * a program built against newer headers reads a field only if
 * AMD_STRUCT_HAS(ptr, type, field) says the running library filled it.
 * amd_detector_result() passes the caller's sizeof, as zlib's deflateInit()
 * passes sizeof(z_stream): the library never writes past the caller's struct.
 * Enum values are only appended too; amd_config keeps its own `version`.
 *
 * FFTW in the host process: libamd uses FFTW (single precision, libfftw3f).
 * When the library is loaded it calls fftwf_make_planner_thread_safe() and
 * makes its two 256-point plans, once for the process; it never plans or
 * destroys a plan afterwards (amd_detector_create / destroy do not enter
 * FFTW's planner), and only executes those plans. A host may therefore plan,
 * execute and destroy its own FFTW plans (float, double or long double) from
 * any thread at any time, also while detectors are created and destroyed.
 * A host must not call fftwf_cleanup() or fftwf_cleanup_threads() while the
 * library is loaded (they free every plan in the process, libamd's included,
 * and the latter removes the planner lock), and if it loads libamd with
 * dlopen() while other threads are planning FFTW transforms it should call
 * fftwf_make_planner_thread_safe() itself before those threads start.
 */
#ifndef AMD_DETECTOR_H
#define AMD_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "amd/error.h"
#include "amd/log.h"
#include "amd/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Nonzero when the struct at @p ptr (an amd_result or amd_frame_info the library
 * filled) holds @p field: its struct_size reaches past the field's end.
 */
#define AMD_STRUCT_HAS(ptr, type, field) \
    ((ptr)->struct_size >= offsetof(type, field) + sizeof(((const type *)0)->field))

/** Version of struct amd_config; amd_config_init() sets it. */
#define AMD_CONFIG_VERSION 1

/** Twilio `MachineDetection`. */
typedef enum amd_mode {
    AMD_MODE_ENABLE = 0,            /**< "Enable": report as soon as the answering party is known */
    AMD_MODE_DETECT_MESSAGE_END = 1 /**< "DetectMessageEnd": machines reported when the greeting ends */
} amd_mode;

/** Twilio `MachineDetectionEngine`: which decision logic runs. */
typedef enum amd_engine {
    AMD_ENGINE_DEFAULT = 0, /**< the engine that measures best (see bench/RESULTS.md) */
    AMD_ENGINE_TIMING = 1,  /**< "timing": the state machine of the three Twilio thresholds */
    AMD_ENGINE_WORDS = 2,   /**< "words" (alias "Lumenvox"): Asterisk AMD()-style word counting */
    AMD_ENGINE_MODEL = 3    /**< "model": trained classifier over richer evidence, rules as fallback */
} amd_engine;

/**
 * Detector configuration: a plain struct. Fill with amd_config_init(), change
 * fields, pass to amd_detector_create(), which validates it once (see
 * amd_config_validate()). Durations are milliseconds of audio time.
 * Ranges, defaults, Twilio names and units of the parameters below: the
 * table in amd/params.h (amd_params()).
 */
typedef struct amd_config {
    unsigned version;            /**< must be AMD_CONFIG_VERSION */
    int sample_rate;             /**< input rate in Hz */

    amd_mode mode;               /**< `MachineDetection` */
    int timeout_ms;              /**< `MachineDetectionTimeout` (seconds on the wire) */
    int speech_threshold_ms;     /**< `MachineDetectionSpeechThreshold` */
    int speech_end_threshold_ms; /**< `MachineDetectionSpeechEndThreshold` */
    int silence_timeout_ms;      /**< `MachineDetectionSilenceTimeout` */
    amd_engine engine;           /**< `MachineDetectionEngine` */

    /* Word-counting engine (AMD_ENGINE_WORDS), Asterisk AMD() semantics. */
    int min_word_length_ms;      /**< shorter bursts are not words */
    int max_word_length_ms;      /**< a longer word -> machine */
    int words_silence_ms;        /**< silence separating two words */
    int max_num_of_words;        /**< more words -> machine */
    int silence_threshold;       /**< mean |sample| on the s16 scale below which a frame is silence */

    /* Tone detection (beyond Twilio). */
    int beep_min_ms;             /**< shortest end-of-greeting beep */
    int beep_min_hz;             /**< lowest beep frequency */
    int beep_max_hz;             /**< highest beep frequency, > beep_min_hz */
    int beep_grace_ms;           /**< DetectMessageEnd: after greeting + speech-end silence, wait this much
                                      longer for a late beep before machine_end_silence */
    int detect_fax;              /**< nonzero: CED/ANSam/CNG/V.21 end in `fax` */
    int detect_sit;              /**< nonzero: special information tones end in machine, cause `sit` */

    /**
     * Model for AMD_ENGINE_MODEL / DEFAULT. NULL: the built-in default model.
     * Borrowed: must outlive every detector created with it.
     */
    const amd_model *model;

    amd_log_fn log_fn;           /**< optional log sink; NULL: no logging */
    void *log_user;              /**< passed to log_fn */
    amd_log_level log_level;     /**< most verbose level delivered; default AMD_LOG_WARN */
} amd_config;

/** Fill @p cfg with the defaults of amd/params.h (Twilio's defaults); log_level AMD_LOG_WARN. */
void amd_config_init(amd_config *cfg);

/**
 * Check every field against its range in amd/params.h.
 * @return 0, or AMD_EINVAL with a message naming the field and its range
 *         written to @p err (e.g. "speech_threshold_ms: 700 out of range 1000..6000"),
 *         or AMD_EVERSION for an unknown cfg->version.
 */
int amd_config_validate(const amd_config *cfg, char *err, size_t errlen);

/** Twilio-style name of an engine ("default", "timing", "words", "model"). */
const char *amd_engine_name(amd_engine engine);
/** Parse an engine name, case-insensitive; "Lumenvox" maps to AMD_ENGINE_WORDS. 0 or AMD_EINVAL. */
int amd_engine_parse(const char *name, amd_engine *out);
/** Twilio name of a mode ("Enable", "DetectMessageEnd"). */
const char *amd_mode_name(amd_mode mode);
/** Parse a mode name, case-insensitive. 0 or AMD_EINVAL. */
int amd_mode_parse(const char *name, amd_mode *out);

/** Twilio `AnsweredBy`. */
typedef enum amd_answered_by {
    AMD_ANSWERED_NONE = 0,            /**< not decided yet */
    AMD_ANSWERED_HUMAN,               /**< "human" */
    AMD_ANSWERED_MACHINE_START,       /**< "machine_start" (Enable mode) */
    AMD_ANSWERED_MACHINE_END_BEEP,    /**< "machine_end_beep" */
    AMD_ANSWERED_MACHINE_END_SILENCE, /**< "machine_end_silence" */
    AMD_ANSWERED_MACHINE_END_OTHER,   /**< "machine_end_other" */
    AMD_ANSWERED_FAX,                 /**< "fax" */
    AMD_ANSWERED_UNKNOWN              /**< "unknown" */
} amd_answered_by;

/**
 * Twilio string of an answered_by value: "human", "machine_start", ... "unknown"
 * (a decision that no answering party could be told); "" for AMD_ANSWERED_NONE
 * (not decided yet: Twilio sends no AnsweredBy); NULL for a value that is not an
 * amd_answered_by at all (never for one the library reported).
 */
const char *amd_answered_by_name(amd_answered_by a);
/** Parse a Twilio AnsweredBy string (exact). 0 or AMD_EINVAL. */
int amd_answered_by_parse(const char *name, amd_answered_by *out);
/** Nonzero for the machine_* values. */
int amd_answered_by_is_machine(amd_answered_by a);

/** Why a decision was made. */
typedef enum amd_cause {
    AMD_CAUSE_NONE = 0,
    AMD_CAUSE_SPEECH_END,        /**< "speech-end": a short utterance closed by the speech-end silence */
    AMD_CAUSE_SPEECH_THRESHOLD,  /**< "speech-threshold": first utterance ran past the speech threshold */
    AMD_CAUSE_SILENCE_TIMEOUT,   /**< "silence-timeout": nothing but silence since answer */
    AMD_CAUSE_TIMEOUT,           /**< "timeout": MachineDetectionTimeout reached */
    AMD_CAUSE_MAX_WORDS,         /**< "max-words": word engine counted too many words */
    AMD_CAUSE_LONG_WORD,         /**< "long-word": word engine saw a word over max_word_length_ms */
    AMD_CAUSE_LONG_GREETING,     /**< "long-greeting": word engine, initial silence/greeting rules */
    AMD_CAUSE_MODEL,             /**< "model": the trained classifier was confident */
    AMD_CAUSE_BEEP,              /**< "beep": greeting ended with a beep */
    AMD_CAUSE_GREETING_SILENCE,  /**< "greeting-silence": greeting ended in silence */
    AMD_CAUSE_FAX_CED,           /**< "fax-ced": 2100 Hz answer tone */
    AMD_CAUSE_FAX_ANSAM,         /**< "fax-ansam": 2100 Hz with 15 Hz AM / phase reversals */
    AMD_CAUSE_FAX_CNG,           /**< "fax-cng": 1100 Hz calling tone cadence */
    AMD_CAUSE_FAX_V21,           /**< "fax-v21": V.21 HDLC preamble flags */
    AMD_CAUSE_SIT,               /**< "sit": special information tone (carrier intercept) */
    AMD_CAUSE_HANGUP,            /**< "hangup": audio ended (amd_detector_finish) before the rules decided */
    AMD_CAUSE_COUNT_
} amd_cause;

/** Stable kebab-case name of a cause (see above); "none" for AMD_CAUSE_NONE. */
const char *amd_cause_name(amd_cause c);

/**
 * A decision. Times are ms of audio since answer; -1 where not applicable.
 * Fields are only appended in later versions (see "ABI growth" above).
 */
typedef struct amd_result {
    size_t struct_size;          /**< bytes of this struct the library filled (set by the library) */
    amd_answered_by answered_by; /**< AMD_ANSWERED_NONE until decided */
    amd_cause cause;
    float confidence;            /**< 0..1 */
    int64_t decision_ms;         /**< `MachineDetectionDuration`: audio time of the decision */
    int64_t machine_known_ms;    /**< DetectMessageEnd: when the machine was first known (provisional event); -1 */
    int64_t speech_onset_ms;     /**< first speech onset; -1 */
    int64_t greeting_end_ms;     /**< end of the last greeting speech (machines); -1 */
    int64_t beep_start_ms;       /**< end-of-greeting beep start; -1 */
    int64_t beep_end_ms;         /**< beep end; -1 */
    float beep_hz;               /**< beep frequency (the stronger tone of a dual tone); 0 if none */
} amd_result;

/** Events delivered to an amd_event_fn. */
typedef enum amd_event {
    AMD_EVENT_DECISION = 1,           /**< the final decision (once per call) */
    AMD_EVENT_MACHINE_PROVISIONAL = 2, /**< DetectMessageEnd: a machine is known, greeting still running */
    /* Signal events (added in 0.2): delivered only when selected with amd_detector_set_event_mask();
     * details from amd_detector_event_info() inside the callback. */
    AMD_EVENT_SPEECH_ONSET = 3, /**< the VAD confirmed the start of a speech run (every run, not only the first) */
    AMD_EVENT_BEEP_START = 4,   /**< a steady tone in the beep band began: a candidate, not always followed by BEEP_END */
    AMD_EVENT_BEEP_END = 5,     /**< a beep ended (the tone an end-of-greeting decision uses): start, end, hz */
    AMD_EVENT_FAX_TONE = 6,     /**< a fax / modem tone was confirmed (CED, ANSam, CNG, V.21; cause says which) */
    AMD_EVENT_SIT = 7,          /**< a special information tone (carrier intercept) was confirmed */
    AMD_EVENT_DTMF = 8          /**< an in-band DTMF digit (ITU-T Q.23 / Q.24 receiver) */
} amd_event;

/**
 * Decision callback, called from inside the process / finish call that
 * completed the evidence, on that thread. @p result is valid only during the
 * call. Must not call back into the same detector except amd_detector_result()
 * and amd_detector_event_info().
 */
typedef void (*amd_event_fn)(void *user, amd_event event, const amd_result *result);

/**
 * Per-frame analysis record, for tracing (amd trace) and diagnostics.
 * Fields are only appended in later versions (see "ABI growth" above).
 */
typedef struct amd_frame_info {
    size_t struct_size;     /**< bytes of this struct the library filled (set by the library) */
    int64_t time_ms;        /**< end of the 10 ms hop this describes */
    float level_db;         /**< hop level, dBFS */
    float noise_floor_db;   /**< adaptive noise floor estimate, dBFS */
    float speech_prob;      /**< VAD speech likelihood 0..1 */
    int speech;             /**< VAD decision after hangover, 0/1 */
    float tone_hz;          /**< steady tone in progress (beep/fax/SIT candidate), else 0 */
    const char *tone_kind;  /**< "beep", "ced", "cng", "v21", "sit" or NULL; static storage */
    const char *state;      /**< decision-logic state name; static storage */
} amd_frame_info;

/** Per-frame callback (see amd_detector_set_frame_callback). @p info valid during the call only. */
typedef void (*amd_frame_fn)(void *user, const amd_frame_info *info);

/** Opaque detector. */
typedef struct amd_detector amd_detector;

/**
 * Create a detector. Validates @p cfg (see amd_config_validate) and allocates
 * everything the detector will ever need (the FFT plans are shared, made once
 * when the library is loaded; see "FFTW in the host process" above).
 * @param cfg copied; need not outlive the call (cfg->model must).
 * @param out receives the detector; set to NULL on failure.
 * @return 0, AMD_EINVAL / AMD_EVERSION (message in @p err), AMD_ENOMEM.
 */
int amd_detector_create(const amd_config *cfg, amd_detector **out, char *err, size_t errlen);

/** Free a detector. NULL is a no-op. */
void amd_detector_destroy(amd_detector *det);

/** Set (or clear with NULL) the decision callback. May be called at any time. */
int amd_detector_set_event_callback(amd_detector *det, amd_event_fn fn, void *user);

/**
 * Set (or clear with NULL) the per-frame trace callback (one call per 10 ms hop).
 * While one is set, the analysis (level, noise floor, VAD, tones) goes on after
 * the final decision to the end of the audio, so a trace covers the whole call;
 * the decision, its result and its events do not change (frames after it carry
 * the decision's name as their state). Without one, analysis stops at the decision.
 */
int amd_detector_set_frame_callback(amd_detector *det, amd_frame_fn fn, void *user);

/**
 * Feed audio. Any number of samples (0 is allowed). Samples after the final
 * decision are accepted and ignored cheaply (analysed for the frame callback
 * only when one is set).
 * @return 1 if a final decision is available (made in this call or earlier),
 *         0 if not yet, AMD_EINVAL for a NULL pointer with n > 0, or for
 *         float input containing NaN/Inf (the whole chunk is then rejected
 *         and the detector state is unchanged), AMD_ESTATE after finish().
 */
int amd_detector_process_s16(amd_detector *det, const int16_t *samples, size_t n);
/** As amd_detector_process_s16, for float samples in [-1, 1] (clipped beyond). */
int amd_detector_process_float(amd_detector *det, const float *samples, size_t n);
/** As amd_detector_process_s16, for G.711 µ-law bytes. */
int amd_detector_process_ulaw(amd_detector *det, const uint8_t *bytes, size_t n);
/** As amd_detector_process_s16, for G.711 A-law bytes. */
int amd_detector_process_alaw(amd_detector *det, const uint8_t *bytes, size_t n);

/**
 * End of audio (file ended, far end hung up). Flushes buffered samples and,
 * if undecided, makes the final decision by the same rules applied to the
 * audio seen (e.g. a short utterance followed by hang-up is human; nothing
 * heard is unknown). Afterwards only result / reset / destroy are allowed.
 * @return 1 (a decision is always available after finish) or AMD_EINVAL.
 */
int amd_detector_finish(amd_detector *det);

/** Forget the call: back to the state right after create, same config. 0 or AMD_EINVAL. */
int amd_detector_reset(amd_detector *det);

/**
 * Poll the result. @p out is always filled (answered_by AMD_ANSWERED_NONE
 * while undecided; the provisional machine time and onset are filled as known).
 * Call it as amd_detector_result(det, &r): the macro passes sizeof r, and the
 * library fills min(sizeof r, its own sizeof(amd_result)) bytes and sets
 * r.struct_size to that. Bindings that cannot use the macro call
 * amd_detector_result_sized() with their struct's size.
 * @return 1 decided, 0 not yet, AMD_EINVAL for NULL arguments or an
 *         @p out_size smaller than the first release's amd_result.
 */
int amd_detector_result_sized(const amd_detector *det, amd_result *out, size_t out_size);
#define amd_detector_result(det, out) amd_detector_result_sized((det), (out), sizeof *(out))

/** Audio time consumed so far, ms since answer. */
int64_t amd_detector_time_ms(const amd_detector *det);

/** Bytes allocated by this detector (excluding the shared model and FFTW's own plan memory). */
size_t amd_detector_memory(const amd_detector *det);

/* ---- Added in 0.2: packet loss, event selection, signal events ---- */

/**
 * The next @p n samples (at the input rate) were lost: a jitter-buffer gap, a
 * missing RTP packet. Call it in place of the process call for that stretch;
 * never feed silence for a gap. The detector conceals the gap:
 *   - time stays audio time: the gap counts toward amd_detector_time_ms(),
 *     the decision times and MachineDetectionTimeout (to within one 10 ms hop);
 *   - nothing is analysed for it: the noise floor, VAD, tone detectors and
 *     classifier features do not see fake silence, so no fake speech onset,
 *     end of speech or tone results from it;
 *   - the state heard before the gap is held through it: a gap in silence
 *     counts as silence (toward SpeechEndThreshold / SilenceTimeout); a gap in
 *     speech counts as speech for its first AMD_LOST_HOLD_MS, after which the
 *     speech run is ended at the gap's start + AMD_LOST_HOLD_MS and the rest
 *     of the gap counts as silence (a long gap is a far end that stopped
 *     sending, e.g. silence suppression): speech after it must be confirmed
 *     anew. A gap between two hops heard as speech is bridged for the
 *     speech-onset count (a word whose first packets were lost starts on
 *     time); the few hops after a gap whose analysis window still spans it
 *     count as speech time but not in the classifier's spectral averages.
 *     A steady tone (a beep) playing when the gap began is bridged
 *     through it and through the few hops after it whose analysis window
 *     still spans the gap, so the lost packet does not cut it in two; its
 *     frequency and steadiness are judged on the audio heard only.
 *   - without loss, results are exactly those of the process calls alone.
 * Decisions due during a gap are made on time. Any n (0 allowed, up to one
 * hour of samples).
 * @return as amd_detector_process_s16 (1 decided, 0 not yet), AMD_EINVAL
 *         for NULL or n over one hour, AMD_ESTATE after finish().
 */
int amd_detector_process_lost(amd_detector *det, size_t n);

/** How long (ms) a gap in speech is taken for speech (see amd_detector_process_lost). */
#define AMD_LOST_HOLD_MS 300

/** Bit of an event in an event mask. */
#define AMD_EVENT_BIT(e) (1u << (unsigned)(e))
/** The events delivered by default: the decision and the provisional machine event. */
#define AMD_EVENT_MASK_DEFAULT (AMD_EVENT_BIT(AMD_EVENT_DECISION) | AMD_EVENT_BIT(AMD_EVENT_MACHINE_PROVISIONAL))
/** Every signal event. */
#define AMD_EVENT_MASK_SIGNALS                                                                                  \
    (AMD_EVENT_BIT(AMD_EVENT_SPEECH_ONSET) | AMD_EVENT_BIT(AMD_EVENT_BEEP_START) |                              \
     AMD_EVENT_BIT(AMD_EVENT_BEEP_END) | AMD_EVENT_BIT(AMD_EVENT_FAX_TONE) | AMD_EVENT_BIT(AMD_EVENT_SIT) |     \
     AMD_EVENT_BIT(AMD_EVENT_DTMF))

/**
 * Select the events the event callback receives (AMD_EVENT_BIT of each;
 * default AMD_EVENT_MASK_DEFAULT). Kept across amd_detector_reset().
 * While any signal event is selected the analysis goes on after the final
 * decision to the end of the audio (as with a frame callback), so digits,
 * tones and onsets keep coming; the decision does not change. The DTMF
 * receiver runs only while AMD_EVENT_DTMF is selected.
 * @return 0, or AMD_EINVAL for NULL or an unknown bit.
 */
int amd_detector_set_event_mask(amd_detector *det, unsigned mask);

/** Details of the event being delivered (see amd_detector_event_info). Times: ms of audio since answer. */
typedef struct amd_event_info {
    amd_event event;
    int64_t time_ms;     /**< when it happened: onset start, tone start, digit start; decision: decision_ms */
    int64_t end_ms;      /**< BEEP_END: beep end; FAX_TONE / SIT: when confirmed; else -1 */
    int64_t detected_ms; /**< the audio time at which the detector knew (end of the frame that completed it) */
    float hz;            /**< tone frequency (beep, fax, SIT first tone); DTMF: the low-group tone; else 0 */
    float hz2;           /**< DTMF: the high-group tone; else 0 */
    char digit;          /**< DTMF: '0'-'9', '*', '#', 'A'-'D'; else 0 */
    amd_cause cause;     /**< FAX_TONE: AMD_CAUSE_FAX_*; SIT: AMD_CAUSE_SIT; decision events: the cause */
} amd_event_info;

/**
 * Inside the event callback (the only detector call allowed there besides
 * amd_detector_result): the details of the event being delivered. For signal
 * events the callback's @p result is the result so far (undecided: answered_by
 * AMD_ANSWERED_NONE).
 * @return 1 and @p out filled during a callback, 0 outside one, AMD_EINVAL for NULL.
 */
int amd_detector_event_info(const amd_detector *det, amd_event_info *out);

/* G.711 helpers (ITU-T G.711 tables), exposed for callers that need them. */
int16_t amd_ulaw_decode(uint8_t u);
int16_t amd_alaw_decode(uint8_t a);
uint8_t amd_ulaw_encode(int16_t s);
uint8_t amd_alaw_encode(int16_t s);

#ifdef __cplusplus
}
#endif
#endif /* AMD_DETECTOR_H */
