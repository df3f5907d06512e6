# SPDX-License-Identifier: MIT
"""Signals made in code: tones, fax and modem signals, SIT, noise, babble-free
music, line effects, G.711 encoding, and the speech-activity truth gate.

Everything is float64 in [-1, 1] at the file's sample rate and deterministic
given the numpy Generator passed in.
"""
import numpy as np


def db2lin(db):
    return 10.0 ** (db / 20.0)


def rms_db(x):
    return 10.0 * np.log10(np.mean(np.square(x)) + 1e-20)


def ramp(x, fs, ms=5.0):
    """Raised-cosine on/off ramps so tones start and stop without clicks."""
    n = min(len(x) // 2, int(fs * ms / 1000.0))
    if n > 0:
        w = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
        x[:n] *= w
        x[-n:] *= w[::-1]
    return x


def tone(fs, freqs, dur_s, amp, phase=None, ramp_ms=5.0):
    """Sum of sinusoids at @p freqs (Hz), each of peak @p amp / len(freqs)."""
    n = int(round(dur_s * fs))
    t = np.arange(n) / fs
    y = np.zeros(n)
    for i, f in enumerate(freqs):
        ph = 0.0 if phase is None else phase[i]
        y += np.sin(2 * np.pi * f * t + ph)
    y *= amp / len(freqs)
    return ramp(y, fs, ramp_ms)


# --- fax / modem (ITU-T T.30, V.25, V.8, V.21) -------------------------------

def ced(fs, dur_s, amp, rng):
    """CED: 2100 Hz +-15 Hz answer tone, 2.6-4.0 s (T.30 section 4.3.2 / V.25)."""
    f = 2100.0 + rng.uniform(-15, 15)
    return tone(fs, [f], dur_s, amp)


def ansam(fs, dur_s, amp, rng, reversals=True):
    """ANSam (V.8): 2100 Hz, amplitude modulated at 15 Hz +-0.1 Hz to 20 %
    (+-5 %) depth, with 180 degree phase reversals every 450 ms +-25 ms."""
    n = int(round(dur_s * fs))
    t = np.arange(n) / fs
    f = 2100.0 + rng.uniform(-10, 10)
    depth = rng.uniform(0.17, 0.23)
    ph = np.zeros(n)
    if reversals:
        ph = np.pi * (np.floor(t / 0.45) % 2)
    y = (1.0 + depth * np.sin(2 * np.pi * 15.0 * t)) * np.sin(2 * np.pi * f * t + ph)
    return ramp(y * amp / (1 + depth), fs)


def cng(fs, dur_s, amp, rng):
    """CNG: 1100 Hz +-38 Hz, 0.5 s on / 3 s off (T.30 section 4.3.1)."""
    n = int(round(dur_s * fs))
    y = np.zeros(n)
    f = 1100.0 + rng.uniform(-20, 20)
    start = 0.0
    while start < dur_s:
        seg = tone(fs, [f], min(0.5, dur_s - start), amp)
        i = int(round(start * fs))
        y[i:i + len(seg)] = seg[:n - i]
        start += 3.5
    return y


def v21_bits_flags(nflags):
    """HDLC flags 0x7E, sent LSB first (the pattern is its own reverse)."""
    return [0, 1, 1, 1, 1, 1, 1, 0] * nflags


def v21_frame_bits(rng, nbytes):
    """Random HDLC payload bits with zero-bit insertion after five ones."""
    out, ones = [], 0
    for b in rng.integers(0, 256, nbytes):
        for k in range(8):
            bit = (int(b) >> k) & 1
            out.append(bit)
            ones = ones + 1 if bit else 0
            if ones == 5:
                out.append(0)
                ones = 0
    return out


def v21_fsk(fs, bits, amp, rng):
    """V.21 channel 2 (answering side): 300 bit/s continuous-phase FSK,
    mark (1) 1650 Hz, space (0) 1850 Hz, +-6 Hz tolerance modelled."""
    off = rng.uniform(-6, 6)
    spb = fs / 300.0
    n = int(round(len(bits) * spb))
    idx = np.minimum((np.arange(n) / spb).astype(int), len(bits) - 1)
    f = np.where(np.asarray(bits)[idx] == 1, 1650.0 + off, 1850.0 + off)
    ph = 2 * np.pi * np.cumsum(f) / fs
    return ramp(amp * np.sin(ph), fs, 3.0)


def v21_burst(fs, amp, rng, preamble_s=1.0):
    """One T.30 HDLC burst: ~1 s of flags (preamble), a frame or two, flags."""
    bits = v21_bits_flags(int(preamble_s * 300 / 8))
    for _ in range(int(rng.integers(1, 3))):
        bits += v21_frame_bits(rng, int(rng.integers(3, 20)))
        bits += v21_bits_flags(int(rng.integers(1, 4)))
    return v21_fsk(fs, bits, amp, rng)


# --- special information tones (ITU-T E.180 / Telcordia SR-2275) --------------

SIT_KINDS = {
    # name: ((freq, dur_s) x 3); low/high first and second tones, 276 / 380 ms.
    "IC": ((913.8, 0.276), (1370.6, 0.276), (1776.7, 0.380)),
    "VC": ((985.2, 0.380), (1370.6, 0.276), (1776.7, 0.380)),
    "NC": ((913.8, 0.380), (1428.5, 0.380), (1776.7, 0.380)),
    "RO": ((913.8, 0.276), (1428.5, 0.380), (1776.7, 0.380)),
    "IO": ((985.2, 0.276), (1428.5, 0.276), (1776.7, 0.380)),
}


def sit(fs, kind, amp):
    parts = []
    for f, d in SIT_KINDS[kind]:
        parts.append(tone(fs, [f], d, amp, ramp_ms=2.0))
        parts.append(np.zeros(int(0.002 * fs)))
    return np.concatenate(parts)


# --- noise and music ---------------------------------------------------------

def colored_noise(n, fs, rng, kind):
    """Unit-RMS noise: white, pink (1/f power) or brown (1/f^2)."""
    w = rng.standard_normal(n)
    if kind == "white":
        y = w
    else:
        spec = np.fft.rfft(w)
        f = np.fft.rfftfreq(n, 1.0 / fs)
        f[0] = f[1] if n > 1 else 1.0
        f = np.maximum(f, 20.0)
        spec *= f ** (-0.5 if kind == "pink" else -1.0)
        y = np.fft.irfft(spec, n)
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def hum(n, fs, rng):
    """Mains hum: 50 or 60 Hz with odd/even harmonics to ~1 kHz, unit RMS."""
    f0 = 50.0 if rng.random() < 0.5 else 60.0
    t = np.arange(n) / fs
    y = np.zeros(n)
    for k in range(1, 20):
        if k * f0 > min(1200, fs / 2 - 100):
            break
        y += rng.uniform(0.3, 1.0) / k ** 0.7 * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.28))
    y += 0.05 * rng.standard_normal(n)
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def music(n, fs, rng):
    """Music-like signal: chord progression of harmonic notes with piano-like
    decays or pad envelopes plus a melody line; unit RMS. Not speech, but
    tonal and non-stationary (the "music on hold" case)."""
    t_beat = 60.0 / rng.uniform(60, 140)
    root = rng.uniform(110, 220)
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12])
    prog = [[0, 4, 7], [5, 9, 12], [7, 11, 14], [9, 12, 16], [2, 5, 9]]
    pad = rng.random() < 0.4
    y = np.zeros(n)
    pos, beat = 0, 0
    nb = int(t_beat * fs)
    while pos < n:
        chord = prog[int(rng.integers(0, len(prog)))]
        for _ in range(int(rng.choice([2, 4]))):
            m = min(nb, n - pos)
            if m <= 0:
                break
            tt = np.arange(m) / fs
            env = (np.minimum(1, tt / 0.3) if pad else np.exp(-tt / rng.uniform(0.2, 0.6)))
            seg = np.zeros(m)
            for semi in chord:
                f = root * 2 ** (semi / 12.0)
                vib = 1 + (0.004 * np.sin(2 * np.pi * 5 * tt) if pad else 0)
                for h in range(1, 6):
                    if f * h < fs / 2 - 200:
                        seg += np.sin(2 * np.pi * f * h * tt * vib) / h ** 1.2
            mel = root * 2 ** ((12 + scale[int(rng.integers(0, 8))]) / 12.0)
            seg += 0.8 * np.sin(2 * np.pi * mel * tt) * np.exp(-tt / 0.3)
            y[pos:pos + m] += seg * env
            pos += m
            beat += 1
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


# Formants (F1, F2, F3 in Hz) of five vowels, for sung_vowel().
VOWELS = {"a": (750, 1200, 2600), "o": (550, 900, 2500), "u": (350, 800, 2300),
          "e": (500, 1800, 2500), "i": (300, 2300, 3000)}


def sung_vowel(fs, rng):
    """A sustained or sung vowel (0.15-0.9 s, made in code): harmonics of a fundamental
    shaped by the vowel's formants, whose strongest partial sits at 500-600 Hz (a
    soprano's fundamental, or a lower voice's 2nd-4th harmonic under F1), with the
    jitter, optional vibrato and the swell / release of a voice. Peak-normalised."""
    d = rng.uniform(0.15, 0.9)
    n = int(round(d * fs))
    t = np.arange(n) / fs
    target = rng.uniform(500, 600)
    k = int(rng.choice([1, 1, 2, 3, 4]))
    f0 = target / k
    vowel = VOWELS["o" if k == 1 else str(rng.choice(["a", "o", "e"]))]
    vib = rng.uniform(0.005, 0.02) if rng.random() < 0.6 else 0.0
    rate = rng.uniform(4.5, 6.5)
    # slow pitch wander (jitter / intonation of a held note): a random walk, +-0.3 %
    walk = np.cumsum(rng.standard_normal(n)) / np.sqrt(fs)
    walk = 0.003 * walk / (np.max(np.abs(walk)) + 1e-12)
    inst = f0 * (1 + vib * np.sin(2 * np.pi * rate * t) + walk + rng.uniform(-0.01, 0.01) * t / d)
    ph = 2 * np.pi * np.cumsum(inst) / fs
    y = np.zeros(n)
    for h in range(1, 40):
        if h * f0 > min(3800.0, fs / 2 - 100):
            break
        g = sum(1.0 / (1 + ((h * f0 - fm) / (60 + 0.06 * fm)) ** 2) for fm in vowel) / h ** 0.8
        if h == k:
            g *= 3.0            # the partial near F1 / the fundamental dominates
        y += g * np.sin(h * ph + rng.uniform(0, 6.28))
    att, rel = rng.uniform(0.03, 0.12), rng.uniform(0.04, 0.15)
    env = np.minimum(1.0, np.minimum(t / att, (d - t) / rel))
    y *= np.clip(env, 0, 1) * (1 + 0.05 * np.sin(2 * np.pi * rng.uniform(2, 4) * t))
    return y / (np.max(np.abs(y)) + 1e-12) * 0.5


# --- line effects ------------------------------------------------------------

def bandlimit(x, fs, lo=300.0, hi=3400.0, edge=60.0):
    """Telephone band (ITU-T G.712 300-3400 Hz) with raised-cosine edges."""
    n = len(x)
    if n < 4:
        return x
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(n, 1.0 / fs)
    g = np.ones_like(f)
    g[f < lo - edge] = 0
    m = (f >= lo - edge) & (f < lo + edge)
    g[m] = 0.5 - 0.5 * np.cos(np.pi * (f[m] - (lo - edge)) / (2 * edge))
    g[f > hi + edge] = 0
    m = (f > hi - edge) & (f <= hi + edge)
    g[m] = 0.5 + 0.5 * np.cos(np.pi * (f[m] - (hi - edge)) / (2 * edge))
    return np.fft.irfft(spec * g, n)


def reverb(x, fs, rng, rt60, wet):
    """Room / speakerphone reverberation: convolution with an exponentially
    decaying noise tail (60 dB down after @p rt60 s) behind the direct path."""
    m = max(1, int(rt60 * fs))
    t = np.arange(m) / fs
    ir = rng.standard_normal(m) * np.exp(-6.91 * t / rt60)
    ir[:int(0.003 * fs)] = 0                  # first reflections after ~3 ms
    ir /= np.sqrt(np.sum(ir * ir)) + 1e-12
    nfft = 1 << int(np.ceil(np.log2(len(x) + m)))
    tail = np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(ir, nfft), nfft)[:len(x)]
    return (1 - wet) * x + wet * tail


def resample(x, fs_in, fs_out):
    """FFT resampling of a whole (short, silence-edged) signal."""
    if fs_in == fs_out or len(x) == 0:
        return x.astype(np.float64)
    n_out = int(round(len(x) * fs_out / fs_in))
    spec = np.fft.rfft(x)
    k = n_out // 2 + 1
    if k <= len(spec):
        spec = spec[:k]
    else:
        spec = np.concatenate([spec, np.zeros(k - len(spec), dtype=complex)])
    return np.fft.irfft(spec, n_out) * (n_out / len(x))


def frame_loss(x, fs, rng, rate, mode):
    """Drop 20 ms packets with probability @p rate: 'zero' leaves a gap,
    'repeat' repeats the previous packet attenuated (crude concealment)."""
    fl = int(0.02 * fs)
    y = x.copy()
    nfr = len(x) // fl
    lost = 0
    for i in range(1, nfr):
        if rng.random() < rate:
            lost += 1
            if mode == "zero":
                y[i * fl:(i + 1) * fl] = 0
            else:
                y[i * fl:(i + 1) * fl] = 0.7 * y[(i - 1) * fl:i * fl]
    return y, lost


# --- G.711 (ITU-T G.711, the classic Sun reference algorithm) -----------------

def to_s16(x):
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def ulaw_encode(s16):
    x = s16.astype(np.int32) >> 2            # 14-bit, as the Sun reference
    neg = x < 0
    mask = np.where(neg, 0x7F, 0xFF)
    v = np.minimum(np.where(neg, -x, x), 8159) + 0x21
    seg = np.zeros_like(v)
    for end in [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]:
        seg += (v > end).astype(np.int32)
    uval = (np.minimum(seg, 7) << 4) | ((v >> (np.minimum(seg, 7) + 1)) & 0x0F)
    uval = np.where(seg >= 8, 0x7F, uval)
    return ((uval ^ mask) & 0xFF).astype(np.uint8)


def alaw_encode(s16):
    x = s16.astype(np.int32) >> 3
    pos = x >= 0
    mask = np.where(pos, 0xD5, 0x55)
    v = np.where(pos, x, -x - 1)
    seg = np.zeros_like(v)
    for i, end in enumerate([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]):
        seg += (v > end).astype(np.int32)
    aval = seg << 4
    aval |= np.where(seg < 2, (v >> 1) & 0x0F, (v >> np.maximum(seg, 1)) & 0x0F)
    aval = np.where(seg >= 8, 0x7F, aval)
    return ((aval ^ mask) & 0xFF).astype(np.uint8)


# --- truth ---------------------------------------------------------------------

def speech_segments(v, fs, rel_db=40.0, min_gap_ms=100, min_len_ms=30):
    """Speech segments of a CLEAN voice track (before noise / codec), in ms.

    A 10 ms frame is speech when its energy is within @p rel_db of the
    track's loud frames (95th percentile of non-silent frames) and above an
    absolute -80 dBFS; gaps shorter than @p min_gap_ms are bridged (a word gap
    is >= ~100 ms) and blips shorter than @p min_len_ms dropped.
    Returns (list of [start_ms, end_ms], active-frame RMS level in dBFS)."""
    fl = fs // 100
    nfr = len(v) // fl
    if nfr == 0:
        return [], None
    e = 10 * np.log10(np.mean(np.square(v[:nfr * fl].reshape(nfr, fl)), axis=1) + 1e-20)
    loud = e[e > -100]
    if len(loud) == 0:
        return [], None
    thr = max(np.percentile(loud, 95) - rel_db, -80.0)
    act = e > thr
    segs, i = [], 0
    while i < nfr:
        if act[i]:
            j = i
            while j < nfr and act[j]:
                j += 1
            segs.append([i, j])
            i = j
        else:
            i += 1
    merged = []
    for s in segs:
        if merged and (s[0] - merged[-1][1]) * 10 < min_gap_ms:
            merged[-1][1] = s[1]
        else:
            merged.append(list(s))
    merged = [s for s in merged if (s[1] - s[0]) * 10 >= min_len_ms]
    if not merged:
        return [], None
    mask = np.zeros(nfr, bool)
    for s in merged:
        mask[s[0]:s[1]] = True
    mask &= act
    lvl = 10 * np.log10(np.mean(np.power(10, e[mask] / 10)) + 1e-20)
    return [[s[0] * 10, s[1] * 10] for s in merged], lvl
