#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""libamd corpus builder: a labeled answering-machine-detection corpus in the
corpus format bench/README.md describes, made only from allowed sources (espeak-ng,
asterisk-core-sounds-en-wav, tones / noise / fax signals made in code, sox for
the GSM 06.10 round trip).

Truth is exact by construction: every utterance, pause and tone is placed
here, so onset, greeting end, beep times and the speech segments (energy gate
on the clean voice track, before noise and codecs) are known.

    build_corpus.py --out DIR [--profile full|testdata|beeps] [--count N]
                    [--seed S] [--jobs J] [--cache DIR] [--clean]

The `beeps` profile is a stress corpus for DetectMessageEnd: voicemail
greetings only, 8 kHz, a third of them through GSM 06.10, ending in the beep
kinds that are hard to find (two- and three-tone sequences, dual tones 30-50 Hz
apart, low 400-450 Hz beeps) or in silence after a
tone shorter than the 80 ms beep minimum, with sustained or sung vowels
(500-600 Hz, made in code) inside half the greetings.

Same seed and profile -> byte-identical manifest, segments and audio.
"""
import argparse
import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dsp  # noqa: E402
import texts  # noqa: E402
import voices  # noqa: E402

COLUMNS = ["file", "answered_by_enable", "answered_by_detect_end", "label",
           "speech_onset_ms", "greeting_end_ms", "beep_start_ms", "beep_end_ms",
           "scenario", "source", "lang", "snr_db", "codec", "sample_rate",
           "duration_ms", "split", "voice",
           # descriptive extras (readers ignore unknown columns)
           "level_dbfs", "noise", "beep", "effects"]

# Scenario families with their share of the full corpus and their truth
# (answered_by_enable, answered_by_detect_end, label).
SCENARIOS = {
    "human_short":        (16, "human", "human", "human"),
    "human_long":         (12, "human", "human", "human"),
    "human_noise":        (6, "human", "human", "human"),
    "human_babble":       (6, "human", "human", "human"),
    "human_music":        (4, "human", "human", "human"),
    "machine_beep":       (20, "machine_start", "machine_end_beep", "machine"),
    "machine_silence":    (10, "machine_start", "machine_end_silence", "machine"),
    "machine_noend_long": (3, "machine_start", "machine_end_other", "machine"),
    "machine_noend_noisy": (3, "machine_start", "machine_end_other", "machine"),
    "fax_ced":            (3, "fax", "fax", "fax"),
    "fax_ansam":          (2, "fax", "fax", "fax"),
    "fax_cng":            (1.5, "fax", "fax", "fax"),
    "fax_v21":            (1.5, "fax", "fax", "fax"),
    "sit":                (5, "machine_start", "machine_end_other", "machine"),
    "silence":            (3, "unknown", "unknown", "unknown"),
    "noise":              (4, "unknown", "unknown", "unknown"),
}

# The `beeps` stress profile: greetings ending in a beep or in silence.
BEEPS_SHARES = {"machine_beep": 7, "machine_silence": 3}

# The committed testdata/ slice: every family, small, 8 kHz.
TESTDATA_COUNTS = {
    "human_short": 6, "human_long": 5, "human_noise": 3, "human_babble": 3,
    "human_music": 2, "machine_beep": 9, "machine_silence": 5,
    "machine_noend_long": 1, "machine_noend_noisy": 1, "fax_ced": 2,
    "fax_ansam": 1, "fax_cng": 1, "fax_v21": 1, "sit": 3, "silence": 2, "noise": 2,
}

SPEECH_SCENARIOS = {"human_short", "human_long", "human_noise", "human_babble",
                    "human_music", "machine_beep", "machine_silence",
                    "machine_noend_long", "machine_noend_noisy", "sit"}
ASTERISK_OK = {"human_short", "human_noise", "human_babble", "human_music",
               "machine_beep", "machine_silence", "machine_noend_noisy", "sit"}

ESPEAK = "espeak-ng"
SOX = "sox"
FESTIVAL = "festival"


# ---------------------------------------------------------------- planning

def plan(profile, count, seed):
    """The list of file specs: deterministic from (profile, count, seed)."""
    rng = np.random.default_rng([seed, 0xC0])
    if profile == "testdata":
        counts = dict(TESTDATA_COUNTS)
    elif profile == "beeps":
        tot = sum(BEEPS_SHARES.values())
        counts = {k: max(2, int(round(count * v / tot))) for k, v in BEEPS_SHARES.items()}
    else:
        tot = sum(v[0] for v in SCENARIOS.values())
        counts = {k: max(2, int(round(count * v[0] / tot))) for k, v in SCENARIOS.items()}
    specs = []
    for scen, n in counts.items():
        for k in range(n):
            specs.append({"scenario": scen, "k": k})
    order = rng.permutation(len(specs))
    specs = [specs[i] for i in order]
    for i, s in enumerate(specs):
        s["index"] = i
        s["seed"] = int(rng.integers(0, 2**31 - 1))
        s["profile"] = profile
    return specs


# ---------------------------------------------------------------- TTS / prompts

class Sources:
    """Renders and caches voice material at a given sample rate."""

    def __init__(self, cache):
        self.cache = cache
        os.makedirs(cache, exist_ok=True)

    def path_of(self, key):
        h = hashlib.sha1(repr(key).encode()).hexdigest()
        return os.path.join(self.cache, h[:2], h + ".npy")

    def _cached(self, key, fn):
        path = self.path_of(key)
        if os.path.exists(path):
            return np.load(path)
        x = fn()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.save(f, x.astype(np.float32))
        os.replace(tmp, path)
        return x.astype(np.float32)

    def tts(self, lang, variant, speed, pitch, text, fs):
        def render():
            v = lang + ("+" + variant if variant else "")
            out = subprocess.run([ESPEAK, "-v", v, "-s", str(speed), "-p", str(pitch),
                                  "--stdout", text], capture_output=True, check=True).stdout
            with wave.open(io.BytesIO(out)) as w:
                sr = w.getframerate()
                raw = w.readframes(w.getnframes())
            x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
            return trim(dsp.resample(x, sr, fs), fs)
        return self._cached(("tts", lang, variant, speed, pitch, text, fs), render)

    def festival(self, voice, text, fs):
        """@p text read by festival voice @p voice (voices.FESTIVAL_VOICES)."""
        def render():
            with tempfile.TemporaryDirectory() as d:
                return festival_batch(voice, [text], d, [fs])[0][0]
        return self._cached(("festival", voice, text, fs), render)

    def festival_key(self, voice, text, fs):
        return ("festival", voice, text, fs)

    def prompt(self, name, fs):
        def render():
            path = os.path.join(voices.ASTERISK_DIR, name + ".wav")
            with wave.open(path) as w:
                sr = w.getframerate()
                raw = w.readframes(w.getnframes())
            x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
            return trim(dsp.resample(x, sr, fs), fs)
        return self._cached(("prompt", name, fs), render)


def _scheme_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def festival_batch(voice, text_list, workdir, fs_list):
    """Render @p text_list with one festival process (loading a voice takes
    seconds; a text takes a fraction of one). Returns, per text, trimmed float
    arrays at each rate of @p fs_list; a text festival cannot read (no file,
    or under 100 ms / -60 dBFS of sound) raises RuntimeError."""
    enc = voices.FESTIVAL_VOICES[voice][2]
    lines = ["(voice_%s)" % voice]
    if voice.endswith("_NSK_diphone"):
        # These voices leave the intonation method unset (festival 2.5 then
        # stops with "Feature Int_Method not defined"): plain accent-driven
        # targets, no tone tree.
        lines.append("(Parameter.set 'Int_Method 'Intonation_Tree)")
        lines.append("(set! int_tone_cart_tree '((NONE)))")
    outs = []
    for i, t in enumerate(text_list):
        out = os.path.join(workdir, "%s-%d.wav" % (voice, i))
        outs.append(out)
        lines.append("(utt.save.wave (utt.synth (Utterance Text %s)) %s 'riff)" %
                     (_scheme_string(t), _scheme_string(out)))
    script = os.path.join(workdir, voice + ".scm")
    with open(script, "wb") as f:
        f.write(("\n".join(lines) + "\n").encode(enc))
    r = subprocess.run([FESTIVAL, "-b", script], capture_output=True)
    res = []
    for t, out in zip(text_list, outs):
        if not os.path.exists(out) or os.path.getsize(out) <= 44:
            raise RuntimeError("festival voice %s could not read %r: %s" %
                               (voice, t, r.stderr.decode("utf-8", "replace")[-300:]))
        with wave.open(out) as w:
            sr = w.getframerate()
            raw = w.readframes(w.getnframes())
        x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
        ys = [trim(dsp.resample(x, sr, fs), fs) for fs in fs_list]
        for y, fs in zip(ys, fs_list):
            if len(y) < fs // 10 or np.sqrt(np.mean(y * y)) < 1e-3:
                raise RuntimeError("festival voice %s gave no speech for %r" % (voice, t))
        res.append(ys)
    return res


def festival_texts(key):
    """Every text a festival voice of phrase-table @p key can be asked for
    (Speaker.fill draws names and companies from short lists for them)."""
    out = []
    for table in (texts.HELLO, texts.LIVE_LONG, texts.LIVE_FOLLOW, texts.GREET_OPEN,
                  texts.GREET_MID, texts.GREET_CLOSE, texts.SIT_ANNOUNCE):
        for t in table[key]:
            names = texts.LOCAL_NAMES[key] if "{name}" in t else [""]
            comps = texts.COMPANIES[:FESTIVAL_COMPANIES] if "{company}" in t else [""]
            for n in names:
                for c in comps:
                    out.append(t.format(name=n, company=c, digits=""))
    return sorted(set(out))


FESTIVAL_COMPANIES = 3


def prerender_festival(cache, fs_list, jobs):
    """Fill the cache with every festival text at every sample rate, one
    festival process per voice."""
    src = Sources(cache)

    def one(voice):
        key = voices.FESTIVAL_VOICES[voice][0]
        todo = [t for t in festival_texts(key)
                if any(not os.path.exists(src.path_of(src.festival_key(voice, t, fs))) for fs in fs_list)]
        if not todo:
            return 0
        with tempfile.TemporaryDirectory() as d:
            for t, ys in zip(todo, festival_batch(voice, todo, d, fs_list)):
                for fs, y in zip(fs_list, ys):
                    src._cached(src.festival_key(voice, t, fs), lambda y=y: y)
        return len(todo)

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        return sum(ex.map(one, list(voices.FESTIVAL_VOICES)))


def trim(x, fs):
    """Cut leading / trailing silence (below -45 dB of the peak, 5 ms frames)."""
    fl = max(1, fs // 200)
    nfr = len(x) // fl
    if nfr == 0:
        return x
    e = np.sqrt(np.mean(np.square(x[:nfr * fl].reshape(nfr, fl)), axis=1))
    act = np.nonzero(e > e.max() * dsp.db2lin(-45))[0]
    if len(act) == 0:
        return x[:0]
    a = max(0, (act[0] - 1) * fl)
    b = min(len(x), (act[-1] + 2) * fl)
    return x[a:b].copy()


# ---------------------------------------------------------------- one file

class Speaker:
    """One voice: espeak-ng language + variant + speed/pitch, or Allison."""

    def __init__(self, rng, split, allow_asterisk, src, festival=False):
        self.src = src
        self.rng = rng
        self.festival = None
        if festival:
            fv = voices.festival_voices(split)
            self.festival = fv[int(rng.integers(0, len(fv)))]
            self.key = voices.FESTIVAL_VOICES[self.festival][0]
            self.lang, self.variant, self.asterisk = self.key, None, False
            # Speed and pitch together (the rendering replayed 0.9..1.12x):
            # festival's diphone and HTS voices have no common pitch control.
            self.rate = float(rng.uniform(0.9, 1.12))
            self.voice = "festival:%s:%s" % (self.key, self.festival)
            self.source = voices.FESTIVAL_VOICES[self.festival][3]
            return
        self.asterisk = allow_asterisk and split == "test" and rng.random() < 0.4
        if self.asterisk:
            self.lang, self.key, self.variant = "en-us", "en", None
            self.voice = voices.ASTERISK_VOICE
            self.source = "asterisk-core-sounds-en-wav"
            return
        langs = voices.langs_for_split(split)
        # Test-only languages get three times their weight in test, so the
        # test split holds enough of them to be measured.
        w = np.array([voices.LANG_WEIGHTS[l] * (3 if l in voices.TEST_ONLY_LANGS else 1)
                      for l in langs], float)
        self.lang = langs[int(rng.choice(len(langs), p=w / w.sum()))]
        self.key = voices.LANGS[self.lang]
        vs = voices.SPLIT_VARIANTS[split]
        self.variant = vs[int(rng.integers(0, len(vs)))]
        self.speed = int(rng.integers(12, 24)) * 10   # words per minute, 120..230
        self.pitch = int(rng.integers(5, 16)) * 5     # espeak pitch 25..75
        self.voice = "espeak:%s+%s" % (self.lang, self.variant or "default")
        self.source = "espeak-ng"

    def fill(self, text):
        r = self.rng
        if self.festival:
            names = texts.LOCAL_NAMES[self.key]
            return text.format(name=names[int(r.integers(0, len(names)))],
                               company=texts.COMPANIES[int(r.integers(0, FESTIVAL_COMPANIES))],
                               digits="")
        return text.format(name=texts.NAMES[int(r.integers(0, len(texts.NAMES)))],
                           company=texts.COMPANIES[int(r.integers(0, len(texts.COMPANIES)))],
                           digits=" ".join(str(d) for d in r.integers(0, 10, 4)))

    def say(self, text, fs):
        if self.festival:
            y = self.src.festival(self.festival, self.fill(text), fs)
            return dsp.resample(y, fs * self.rate, fs)
        return self.src.tts(self.lang, self.variant, self.speed, self.pitch, self.fill(text), fs)

    def pick(self, table):
        lst = table.get(self.key) or table["en"]
        return lst[int(self.rng.integers(0, len(lst)))]


class Track:
    """A growing timeline of float samples."""

    def __init__(self, fs):
        self.fs = fs
        self.x = np.zeros(0)

    def put(self, t_s, y):
        i = int(round(t_s * self.fs))
        if i + len(y) > len(self.x):
            self.x = np.concatenate([self.x, np.zeros(i + len(y) - len(self.x))])
        self.x[i:i + len(y)] += y
        return (i + len(y)) / self.fs

    def fit(self, n):
        if len(self.x) < n:
            self.x = np.concatenate([self.x, np.zeros(n - len(self.x))])
        return self.x[:n]


def pick_split(rng):
    r = rng.random()
    acc = 0.0
    for k, p in voices.SPLIT_WEIGHTS.items():
        acc += p
        if r < acc:
            return k
    return "test"


def build_one(spec, cache, outdir):
    scen = spec["scenario"]
    rng = np.random.default_rng([spec["seed"], spec["index"]])
    td = spec["profile"] == "testdata"
    stress = spec["profile"] == "beeps"
    src = Sources(cache)

    # Format and line: 8 kHz mostly; codecs only at 8 kHz.
    if td:
        fs = 8000
        codec = str(rng.choice(["none", "ulaw", "alaw", "gsm"], p=[0.12, 0.5, 0.26, 0.12]))
    elif stress:
        fs = 8000
        codec = str(rng.choice(["none", "ulaw", "alaw", "gsm"], p=[0.2, 0.2, 0.25, 0.35]))
    else:
        fs = int(rng.choice([8000, 16000, 44100], p=[0.8, 0.12, 0.08]))
        codec = (str(rng.choice(["none", "ulaw", "alaw", "gsm"], p=[0.25, 0.35, 0.2, 0.2]))
                 if fs == 8000 else "none")

    split = pick_split(rng)
    spk = (Speaker(rng, split, scen in ASTERISK_OK, src, spec.get("voices") == "festival")
           if scen in SPEECH_SCENARIOS else None)
    voice_t = Track(fs)
    tone_t = Track(fs)
    t0 = rng.uniform(0.0, 1.5)
    info = {"beep": "", "noise": "", "bg": None, "bg_snr": None, "bg_level": None}
    truth = {}
    dur = None
    sentence_gap = lambda: rng.uniform(0.25, 0.9)   # < speech-end threshold 1.2 s

    def greeting(t, target_s, max_s=None):
        """Lay a voicemail greeting from t; returns its end time (s)."""
        if spk.asterisk:
            seq = texts.AST_GREETINGS[int(rng.integers(0, len(texts.AST_GREETINGS)))]
            reps = 1
            while True:
                for item in seq:
                    if item == "PAUSE":
                        t += sentence_gap()
                    elif item == "DIGITS":
                        for d in rng.integers(0, 10, int(rng.integers(3, 5))):
                            t = voice_t.put(t, src.prompt("digits/%d" % d, fs)) + rng.uniform(0.03, 0.12)
                    else:
                        t = voice_t.put(t, src.prompt(item, fs)) + 0.0
                if t - t0 >= target_s or reps >= 8:
                    break
                t += sentence_gap()
                reps += 1
            return t
        start = t
        if not td and rng.random() < 0.08:
            # The fake-out: "Hello? ... Ha, got you, I'm not here." A greeting
            # that opens like a live answer (pause < the speech-end threshold).
            t = voice_t.put(t, spk.say(spk.pick(texts.HELLO), fs)) + rng.uniform(0.5, 1.0)
            info["fakeout"] = True
        if target_s < 3.5:
            # Short greetings ("Leave a message.", "Hi, it's John.") are the
            # hard machine cases: one sentence, often under the speech threshold.
            table = texts.GREET_CLOSE if rng.random() < 0.5 else texts.GREET_OPEN
            return voice_t.put(t, spk.say(spk.pick(table), fs))
        t = voice_t.put(t, spk.say(spk.pick(texts.GREET_OPEN), fs))
        mids = list(texts.GREET_MID.get(spk.key, texts.GREET_MID["en"]))
        rng.shuffle(mids)
        close = spk.pick(texts.GREET_CLOSE)
        mi = 0
        while True:
            est_close = len(spk.say(close, fs)) / fs
            if t - start + est_close >= target_s or (max_s and t - start + est_close > max_s):
                break
            t += sentence_gap()
            t = voice_t.put(t, spk.say(mids[mi % len(mids)], fs))
            mi += 1
        t += sentence_gap()
        if stress and rng.random() < 0.5:
            # a sustained or sung vowel inside the greeting ("hellooo", a jingle)
            t = voice_t.put(t, dsp.sung_vowel(fs, rng)) + sentence_gap()
        return voice_t.put(t, spk.say(close, fs))

    def hello_burst(t, long=False):
        if spk.asterisk:
            return voice_t.put(t, src.prompt("hello", fs))
        if long:
            # A live answer of up to ~2-3 s: of three candidate
            # phrasings keep the first one that fits in 3 s, else the shortest.
            cands = [spk.say(spk.pick(texts.LIVE_LONG), fs) for _ in range(3)]
            fits = [c for c in cands if len(c) <= 3.0 * fs]
            u = fits[0] if fits else min(cands, key=len)
            t0_ = t
            t = voice_t.put(t, u)
            if rng.random() < 0.3 and t - t0_ < 2.0:   # "some with a pause"
                t += rng.uniform(0.3, 0.8)
                t = voice_t.put(t, spk.say(spk.pick(texts.LIVE_FOLLOW), fs))
            return t
        return voice_t.put(t, spk.say(spk.pick(texts.HELLO), fs))

    gmax = 9.0 if td else 20.0
    if scen.startswith("human"):
        end = hello_burst(t0, long=(scen == "human_long" or (scen != "human_short" and rng.random() < 0.4)))
        info["turn1_end"] = end    # the person's first turn (their greeting) ends here
        if rng.random() < 0.35:    # a second "hello?" after waiting
            end = hello_burst(end + rng.uniform(1.5, 3.5))
        dur = end + rng.uniform(6.0, 8.0)
        if scen == "human_noise":
            info["bg"] = str(rng.choice(["white", "pink", "brown", "hum"]))
        elif scen == "human_babble":
            info["bg"] = "babble"
        elif scen == "human_music":
            info["bg"] = "music"
        if info["bg"]:
            info["bg_snr"] = rng.uniform(3, 30) if info["bg"] != "babble" else rng.uniform(3, 20)
    elif scen in ("machine_beep", "machine_silence"):
        # Real greetings cluster at 3-10 s: 40 % drawn from 2-6 s, the rest 2 s..max.
        target = rng.uniform(2.0, 6.0) if rng.random() < 0.4 else rng.uniform(2.0, gmax)
        gend = greeting(t0, target, gmax + 3)
        if scen == "machine_beep":
            bstart = gend + rng.uniform(0.05, 1.5)
            kind = str(rng.choice(["single", "dual", "double"], p=[0.6, 0.2, 0.2]))
            if stress:
                kind = str(rng.choice(["single", "dual", "double", "sequence", "close-dual", "low"],
                                      p=[0.2, 0.1, 0.1, 0.25, 0.15, 0.2]))
            if td:
                kind = ["single", "dual", "double"][spec["k"] % 3]
            harm = (not td) and kind == "single" and rng.random() < 0.15
            bend, desc = place_beep(tone_t, bstart, kind, fs, rng, harm)
            truth["beep"] = (bstart, bend)
            info["beep"] = desc
            dur = bend + rng.uniform(1.5, 3.0)
        else:
            dur = gend + rng.uniform(4.0, 7.0)
            if stress and rng.random() < 0.5:
                # a tone shorter than the 80 ms beep minimum after the greeting: no beep
                d = rng.uniform(0.05, 0.072)
                f = float(rng.uniform(400, 2400))
                tone_t.put(gend + rng.uniform(0.2, 1.0), dsp.tone(fs, [f], d, 0.5, ramp_ms=2.0))
                info["beep"] = "short:%dHz:%dms" % (f, d * 1000)
        if rng.random() < 0.25:
            info["bg"] = str(rng.choice(["pink", "babble", "music", "hum"]))
            info["bg_snr"] = rng.uniform(10, 30)
    elif scen == "machine_noend_long":
        gend = greeting(t0, rng.uniform(31.0, 33.5))
        dur = gend + rng.uniform(0.5, 1.0)
    elif scen == "machine_noend_noisy":
        gend = greeting(t0, rng.uniform(3.0, 8.0), 11.0)
        dur = max(31.5, gend + 4.0) + rng.uniform(0, 2.0)
        info["tail"] = (gend + rng.uniform(0.1, 0.6), str(rng.choice(["music", "babble", "music"])))
    elif scen == "sit":
        kind = str(rng.choice(list(dsp.SIT_KINDS)))
        amp = dsp.db2lin(rng.uniform(-24, -10))
        t = tone_t.put(t0, dsp.sit(fs, kind, amp))
        info["beep"] = "sit:" + kind
        t += rng.uniform(0.1, 0.5)
        reps = 1 if td else int(rng.integers(1, 3))
        for r in range(reps):
            if spk.asterisk:
                for _ in range(int(rng.integers(1, 3))):
                    name = texts.AST_SIT[int(rng.integers(0, len(texts.AST_SIT)))]
                    t = voice_t.put(t, src.prompt(name, fs)) + sentence_gap()
            else:
                for _ in range(int(rng.integers(1, 3))):
                    t = voice_t.put(t, spk.say(spk.pick(texts.SIT_ANNOUNCE), fs)) + sentence_gap()
            if r + 1 < reps:
                t = tone_t.put(t + 0.5, dsp.sit(fs, kind, amp)) + rng.uniform(0.1, 0.5)
        dur = t + rng.uniform(1.0, 3.0)
    elif scen.startswith("fax"):
        amp = dsp.db2lin(rng.uniform(-28, -6)) * np.sqrt(2)
        t = t0
        total = rng.uniform(8.0, 12.0)
        if scen == "fax_ced":
            t = tone_t.put(t, dsp.ced(fs, rng.uniform(2.6, 4.0), amp, rng)) + 0.075
            info["beep"] = "ced+v21"
        elif scen == "fax_ansam":
            rev = rng.random() < 0.7
            t = tone_t.put(t, dsp.ansam(fs, rng.uniform(2.6, 3.6), amp, rng, rev)) + 0.075
            info["beep"] = "ansam" + ("/" if rev else "") + "+v21"
        if scen == "fax_cng":
            tone_t.put(t, dsp.cng(fs, total - t, amp, rng))
            info["beep"] = "cng"
        else:
            if scen == "fax_v21":
                info["beep"] = "v21"
            while t < total - 1.5:
                t = tone_t.put(t, dsp.v21_burst(fs, amp, rng)) + rng.uniform(0.5, 3.0)
        dur = total
    elif scen == "silence":
        dur = rng.uniform(8.0, 12.0)
    elif scen == "noise":
        dur = rng.uniform(8.0, 12.0)
        info["bg"] = str(rng.choice(["white", "pink", "brown", "hum"]))
        info["bg_level"] = rng.uniform(-50, -25)
    else:
        raise ValueError(scen)

    n = int(round(dur * fs))
    v = voice_t.fit(n).copy()

    # Truth from the clean voice track.
    segs, raw_lvl = dsp.speech_segments(v, fs)
    level = None
    if segs:
        level = rng.uniform(-35, -6)
        v *= dsp.db2lin(level - raw_lvl)
        pk = np.max(np.abs(v))
        if pk > 0.98:            # keep the voice unclipped; record the real level
            v *= 0.98 / pk
            level += 20 * np.log10(0.98 / pk)
    reverb_s = None
    if segs and not td and rng.random() < (0.12 if scen.startswith("human") else 0.06):
        # A speakerphone or a room: reverberation on the talker only. Truth
        # stays the dry speech; the level is restored over the true segments.
        reverb_s = rng.uniform(0.2, 0.7)
        v = dsp.reverb(v, fs, rng, reverb_s, rng.uniform(0.3, 0.7))
        mask = np.zeros(n, bool)
        for a_ms, b_ms in segs:
            mask[a_ms * fs // 1000:b_ms * fs // 1000] = True
        v *= dsp.db2lin(level - dsp.rms_db(v[mask]))
        pk = np.max(np.abs(v))
        if pk > 0.98:
            v *= 0.98 / pk
            level += 20 * np.log10(0.98 / pk)
    tones = tone_t.fit(n)
    if "beep" not in truth and info["beep"].startswith("short:") and level is not None:
        tones = tones * dsp.db2lin(level + rng.uniform(-6, 3) - dsp.rms_db(tones[np.abs(tones) > 0]))
    if "beep" in truth and level is not None:
        # beep level relative to the speech level, -10..+3 dB (RMS of a sine = peak/sqrt2)
        b0, b1 = (int(round(truth["beep"][0] * fs)), int(round(truth["beep"][1] * fs)))
        seg = tones[b0:b1]
        cur = dsp.rms_db(seg[np.abs(seg) > 0]) if np.any(seg) else -100
        tones = tones * dsp.db2lin(level + rng.uniform(-10, 3) - cur)
        pk = np.max(np.abs(tones))
        if pk > 0.98:
            tones *= 0.98 / pk
    y = v + tones

    # Background: noise / babble / music at a chosen SNR (or absolute level).
    bg = np.zeros(n)
    if info["bg"]:
        b = background(info["bg"], n, fs, rng, src, split)
        if info["bg_snr"] is not None and level is not None:
            b *= dsp.db2lin(level - info["bg_snr"])
        else:
            b *= dsp.db2lin(info["bg_level"] if info["bg_level"] is not None else -40)
        bg += b
        info["noise"] = info["bg"]
    if "tail" in info:
        ts, kind = info["tail"]
        i = int(ts * fs)
        b = background(kind, n - i, fs, rng, src, split)
        b *= dsp.db2lin((level if level is not None else -20) - rng.uniform(0, 10))
        b[:int(0.3 * fs)] *= np.linspace(0, 1, int(0.3 * fs))[:len(b)]
        bg[i:] += b
        info["noise"] = (info["noise"] + "+" if info["noise"] else "") + "tail-" + kind
    # Line noise floor, always: -85..-50 dBFS white or pink; 5 % pure digital
    # silence, but never before GSM: sox's GSM 06.10 codec answers a cut from
    # speech to exact zeros with a ~300 ms DC burst no real line produces.
    if rng.random() < 0.05 and codec != "gsm":
        floor_db = None
    else:
        floor_db = rng.uniform(-85, -50)
        bg += dsp.colored_noise(n, fs, rng, str(rng.choice(["white", "pink"]))) * dsp.db2lin(floor_db)
    info["noise"] = info["noise"] or ("floor" if floor_db is not None else "digital-silence")
    snr = None
    if level is not None:
        seg_bg = bg if "tail" not in info else bg[:int(info["tail"][0] * fs)]
        snr = level - dsp.rms_db(seg_bg) if np.any(seg_bg) else 99.0
        snr = min(snr, 99.0)
    y = y + bg

    # Line effects.
    effects = ["reverb%.1fs" % reverb_s] if reverb_s else []
    if rng.random() < (0.05 if not td else 0.08):
        c = np.max(np.abs(y)) * rng.uniform(0.3, 0.6)
        y = np.clip(y, -c, c)
        effects.append("clip")
    if rng.random() < 0.05:
        g = dsp.db2lin(3 * np.sin(2 * np.pi * np.arange(n) / fs / rng.uniform(2, 6)))
        y = y * g
        effects.append("agc")
    if fs == 8000 and rng.random() < 0.9 or fs > 8000 and rng.random() < 0.35:
        y = dsp.bandlimit(y, fs)
        effects.append("band300-3400")
    if codec == "gsm":
        y = gsm_roundtrip(y)
    if rng.random() < (0.1 if not td else 0.12):
        rate = rng.uniform(0.01, 0.05)
        mode = str(rng.choice(["zero", "repeat"]))
        y, lost = dsp.frame_loss(y, fs, rng, rate, mode)
        effects.append("loss%.0f%%-%s" % (100 * rate, mode))

    name = "%s_%05d.wav" % (scen, spec["index"])
    write_wav(os.path.join(outdir, name), y, fs, codec)
    # Every file gets a segment file, header-only when nothing is speech, so
    # VAD scoring also charges speech found in tones, noise and silence.
    with open(os.path.join(outdir, "segments", name + ".csv"), "w", newline="") as f:
        f.write("start_ms,end_ms\n")
        for s in segs:
            f.write("%d,%d\n" % (s[0], s[1]))

    truth_row = SCENARIOS[scen]
    ms = lambda t: "" if t is None else str(int(round(t * 1000)))
    row = {
        "file": name,
        "answered_by_enable": truth_row[1],
        "answered_by_detect_end": truth_row[2],
        "label": truth_row[3],
        "speech_onset_ms": str(segs[0][0]) if segs else "",
        "greeting_end_ms": greeting_end(segs, truth_row[3], info),
        "beep_start_ms": ms(truth["beep"][0]) if "beep" in truth else "",
        "beep_end_ms": ms(truth["beep"][1]) if "beep" in truth else "",
        "scenario": scen,
        "source": sources_of(spk, tones, info),
        "lang": spk.lang if spk else "",
        "snr_db": "" if snr is None else "%.1f" % snr,
        "codec": codec,
        "sample_rate": str(fs),
        "duration_ms": str(int(round(n * 1000 / fs))),
        "split": split,
        "voice": spk.voice if spk else "",
        "level_dbfs": "" if level is None else "%.1f" % level,
        "noise": info["noise"],
        "beep": info["beep"],
        "effects": " ".join(effects + (["fakeout-hello"] if info.get("fakeout") else [])),
    }
    return spec["index"], row


def greeting_end(segs, label, info):
    """greeting_end_ms: a machine's last greeting speech; a human's end of the
    first turn (the last truth segment that starts inside it, word gaps included)."""
    if not segs:
        return ""
    if label == "machine":
        return str(segs[-1][1])
    if label == "human" and "turn1_end" in info:
        lim = info["turn1_end"] * 1000.0
        return str(max(s[1] for s in segs if s[0] <= lim or s is segs[0]))
    return ""


def sources_of(spk, tones, info):
    """The `source` column: where the file's material came from."""
    src = [spk.source] if spk else []
    babble = info["bg"] == "babble" or ("tail" in info and info["tail"][1] == "babble")
    if babble and "espeak-ng" not in src:
        src.append("espeak-ng")
    if np.any(tones) or (info["bg"] and info["bg"] != "babble") or ("tail" in info and info["tail"][1] != "babble"):
        src.append("synthetic")
    return "+".join(src) or "synthetic"


def place_beep(track, t, kind, fs, rng, harm=False):
    """End-of-greeting tone: single, dual (two simultaneous frequencies) or
    double (two short beeps); 300-2500 Hz, 0.1-1.2 s in total.
    @p harm: a single tone with 2nd/3rd harmonics 12-24 dB down (cheap
    answering machines make square-ish beeps); harmonics above the band dropped."""
    common = [440, 850, 1000, 1000, 1400, 1400, 2000, 800, 1200]
    f = float(rng.choice(common)) if rng.random() < 0.5 else float(rng.uniform(300, 2500))
    amp = 0.5
    if kind == "single":
        d = rng.uniform(0.1, 1.2)
        y = dsp.tone(fs, [f], d, amp)
        if harm:
            for k in (2, 3):
                if k * f < min(3400.0, fs / 2 - 100):
                    y += dsp.tone(fs, [k * f], d, amp * dsp.db2lin(-rng.uniform(12, 24)))
        end = track.put(t, y)
        return end, "single:%dHz:%dms%s" % (f, d * 1000, "+harmonics" if harm else "")
    if kind == "dual":
        f2 = f + rng.choice([-1, 1]) * rng.uniform(100, 600)
        f2 = float(np.clip(f2, 300, 2500))
        if abs(f2 - f) < 80:
            f2 = f + 200 if f < 2200 else f - 200
        d = rng.uniform(0.1, 1.2)
        end = track.put(t, dsp.tone(fs, [f, f2], d, amp))
        return end, "dual:%d+%dHz:%dms" % (f, f2, d * 1000)
    if kind == "low":
        f = float(rng.uniform(400, 450))
        d = rng.uniform(0.1, 1.2)
        end = track.put(t, dsp.tone(fs, [f], d, amp))
        return end, "single:%dHz:%dms" % (f, d * 1000)
    if kind == "close-dual":
        # two tones 30-50 Hz apart: unresolved by a 32 ms window, they beat
        f = float(rng.uniform(500, 2300))
        f2 = f + float(rng.uniform(30, 50))
        d = rng.uniform(0.15, 1.2)
        end = track.put(t, dsp.tone(fs, [f, f2], d, amp))
        return end, "dual:%d+%dHz:%dms" % (f, f2, d * 1000)
    if kind == "sequence":
        # one pitch followed at once by another (two or three tones, no gap)
        k = 2 if rng.random() < 0.7 else 3
        fr = [f]
        while len(fr) < k:
            g = float(np.clip(fr[-1] * rng.choice([0.67, 0.8, 1.25, 1.5]) * rng.uniform(0.97, 1.03), 300, 2500))
            if abs(g - fr[-1]) > 0.1 * fr[-1]:
                fr.append(g)
        ds = [rng.uniform(0.08, 0.4) for _ in fr]
        y = np.concatenate([dsp.tone(fs, [g], d, amp, ramp_ms=1.0) for g, d in zip(fr, ds)])
        end = track.put(t, dsp.ramp(y, fs))
        return end, "sequence:%sHz:%sms" % ("/".join("%d" % g for g in fr), "+".join("%d" % (d * 1000) for d in ds))
    d1 = rng.uniform(0.1, 0.45)
    gap = rng.uniform(0.08, 0.3)
    d2 = rng.uniform(0.1, 0.45)
    f2 = f if rng.random() < 0.6 else float(np.clip(f * rng.choice([0.8, 1.25]), 300, 2500))
    e1 = track.put(t, dsp.tone(fs, [f], d1, amp))
    end = track.put(e1 + gap, dsp.tone(fs, [f2], d2, amp))
    return end, "double:%d/%dHz:%d+%d+%dms" % (f, f2, d1 * 1000, gap * 1000, d2 * 1000)


def background(kind, n, fs, rng, src, split):
    """Unit-RMS background of @p kind, n samples."""
    if kind in ("white", "pink", "brown"):
        return dsp.colored_noise(n, fs, rng, kind)
    if kind == "hum":
        return dsp.hum(n, fs, rng)
    if kind == "music":
        return dsp.music(n, fs, rng)
    if kind == "babble":
        # Several overlapped talkers (voices of the same split), each a chain
        # of sentences: a crowd murmur at low level, not a foreground speaker.
        y = np.zeros(n)
        vs = voices.SPLIT_VARIANTS[split]
        langs = voices.langs_for_split(split)
        for _ in range(int(rng.integers(4, 8))):
            variant = vs[int(rng.integers(0, len(vs)))]
            lang = langs[int(rng.integers(0, len(langs)))] if rng.random() < 0.3 else "en-us"
            s = np.zeros(0)
            while len(s) < n + fs:
                txt = texts.BABBLE[int(rng.integers(0, len(texts.BABBLE)))]
                u = src.tts(lang, variant, 170, 50, txt, fs)
                s = np.concatenate([s, u, np.zeros(int(rng.uniform(0.05, 0.4) * fs))])
            off = int(rng.integers(0, fs))
            seg = s[off:off + n]
            y += seg / (np.sqrt(np.mean(seg ** 2)) + 1e-12)
        return y / (np.sqrt(np.mean(y * y)) + 1e-12)
    raise ValueError(kind)


def gsm_roundtrip(y):
    """GSM 06.10 full-rate encode + decode through sox (8 kHz only)."""
    with tempfile.TemporaryDirectory() as d:
        a, g, b = (os.path.join(d, x) for x in ("a.raw", "a.gsm", "b.raw"))
        dsp.to_s16(y).tofile(a)
        raw = ["-t", "raw", "-r", "8000", "-e", "signed-integer", "-b", "16", "-c", "1"]
        subprocess.run([SOX, "-D"] + raw + [a, "-t", "gsm", g], check=True)
        subprocess.run([SOX, "-D", "-t", "gsm", "-r", "8000", "-c", "1", g] + raw + [b], check=True)
        z = np.fromfile(b, dtype=np.int16).astype(np.float64) / 32768.0
    out = np.zeros(len(y))
    out[:min(len(y), len(z))] = z[:len(y)]
    return out


def write_wav(path, y, fs, codec):
    """s16 PCM WAV, or a G.711 WAV (format 7 µ-law / 6 A-law, with a fact chunk)."""
    s = dsp.to_s16(y)
    if codec in ("ulaw", "alaw"):
        data = (dsp.ulaw_encode(s) if codec == "ulaw" else dsp.alaw_encode(s)).tobytes()
        tag = 7 if codec == "ulaw" else 6
        fmt = (tag).to_bytes(2, "little") + (1).to_bytes(2, "little") + fs.to_bytes(4, "little") \
            + fs.to_bytes(4, "little") + (1).to_bytes(2, "little") + (8).to_bytes(2, "little") \
            + (0).to_bytes(2, "little")
        body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt \
            + b"fact" + (4).to_bytes(4, "little") + len(data).to_bytes(4, "little") \
            + b"data" + len(data).to_bytes(4, "little") + data
        if len(data) % 2:
            body += b"\0"
        with open(path, "wb") as f:
            f.write(b"RIFF" + len(body).to_bytes(4, "little") + body)
        return
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(fs)
        w.writeframes(s.astype("<i2").tobytes())


# ---------------------------------------------------------------- driver

def _work(args):
    spec, cache, outdir = args
    return build_one(spec, cache, outdir)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder (manifest.csv, audio, segments/)")
    ap.add_argument("--profile", choices=["full", "testdata", "beeps"], default="full",
                    help="full: every scenario family; testdata: the small committed slice; beeps: "
                         "greetings ending in hard beeps or in silence (DetectMessageEnd stress)")
    ap.add_argument("--count", type=int, default=1200, help="files in the full profile (default 1200)")
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--cache", default=os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                                    os.path.expanduser("~/.cache"), "libamd-corpus"),
                    help="TTS rendering cache (default ~/.cache/libamd-corpus)")
    ap.add_argument("--voices", choices=["espeak", "festival"], default="espeak",
                    help="espeak: espeak-ng voices and the recorded Asterisk voice; festival: the "
                         "festival voices (Catalan, Finnish, Hindi, Marathi, Telugu), split by voice "
                         "and language (background babble stays espeak-ng)")
    ap.add_argument("--clean", action="store_true",
                    help="first delete *.wav, manifest*.csv, voices.csv and segments/ in --out")
    a = ap.parse_args(argv)

    voices.check_disjoint()
    for tool in (ESPEAK, SOX):
        if shutil.which(tool) is None:
            ap.error("%s not found (Debian packages espeak-ng, sox, libsox-fmt-all)" % tool)
    if not os.path.isdir(voices.ASTERISK_DIR):
        ap.error("%s missing (Debian package asterisk-core-sounds-en-wav)" % voices.ASTERISK_DIR)

    if a.voices == "festival":
        if shutil.which(FESTIVAL) is None:
            ap.error("festival not found (Debian packages festival and %s)" %
                     " ".join(r[3] for r in voices.FESTIVAL_VOICES.values()))
        n = prerender_festival(a.cache, [8000, 16000, 44100], a.jobs)
        print("build_corpus: festival rendered %d new texts" % n)

    out = a.out
    if a.clean and os.path.isdir(out):
        for f in os.listdir(out):
            if f.endswith(".wav") or f in ("manifest.csv", "voices.csv") or \
                    (f.startswith("manifest-") and f.endswith(".csv")):
                os.remove(os.path.join(out, f))
        shutil.rmtree(os.path.join(out, "segments"), ignore_errors=True)
    os.makedirs(os.path.join(out, "segments"), exist_ok=True)

    specs = plan(a.profile, a.count, a.seed)
    for sp in specs:
        sp["voices"] = a.voices
    t_start = time.time()
    rows = {}
    tty = sys.stderr.isatty()
    with ProcessPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        for k, (i, row) in enumerate(ex.map(_work, [(s, a.cache, out) for s in specs], chunksize=4)):
            rows[i] = row
            if tty:
                sys.stderr.write("\rbuild_corpus: %d/%d files" % (k + 1, len(specs)))
    if tty:
        sys.stderr.write("\n")

    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for i in sorted(rows):
            w.writerow(rows[i])
    if a.profile in ("full", "beeps"):
        # One manifest per split beside the whole one (same folder, so paths
        # and segments/ resolve): train on train, tune on dev, report on test.
        for split in voices.SPLIT_WEIGHTS:
            with open(os.path.join(out, "manifest-%s.csv" % split), "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
                w.writeheader()
                for i in sorted(rows):
                    if rows[i]["split"] == split:
                        w.writerow(rows[i])
    with open(os.path.join(out, "voices.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["voice", "split", "source"])
        for r in voices.voice_table():
            w.writerow(r)

    by = {}
    for r in rows.values():
        by.setdefault(r["scenario"], [0, 0])
        by[r["scenario"]][0] += 1
        by[r["scenario"]][1] += int(r["duration_ms"])
    tot_s = sum(v[1] for v in by.values()) / 1000
    print("build_corpus: %d files, %.1f min of audio, %.1f s wall, out=%s" %
          (len(rows), tot_s / 60, time.time() - t_start, out))
    for k in sorted(by):
        print("  %-20s %4d files %7.1f s" % (k, by[k][0], by[k][1] / 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
