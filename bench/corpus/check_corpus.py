#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Sanity checks of a built corpus against its own truth, from the audio.

    check_corpus.py MANIFEST

For every file: it exists and its length matches duration_ms; the truth
columns are consistent with the label; segments are sorted and inside the
file; the required tails hold (human: >= 6 s after the last speech; greeting
ending in silence: >= 4 s; beep: >= 1.5 s after it). For beep files, the
audio inside [beep_start, beep_end] has its spectral peak within 3 % of the
tone frequency in the `beep` column and is louder than the gap before it.
Prints one line per problem and a summary; exit 1 if any.
"""
import csv
import os
import sys
import wave

import numpy as np


def read_wav(path):
    """(samples as float, rate) for s16 PCM or G.711 WAV (format 6 / 7)."""
    with open(path, "rb") as f:
        data = f.read()
    pos, fmt, rate, pcm = 12, None, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = int.from_bytes(body[0:2], "little")
            rate = int.from_bytes(body[4:8], "little")
        elif cid == b"data":
            pcm = body
        pos += 8 + size + (size & 1)
    if fmt == 1:
        return np.frombuffer(pcm, "<i2").astype(np.float64) / 32768.0, rate
    table = g711_table(fmt)
    return table[np.frombuffer(pcm, np.uint8)], rate


def g711_table(fmt):
    out = np.zeros(256)
    for i in range(256):
        if fmt == 7:  # µ-law
            u = ~i & 0xFF
            t = ((u & 0x0F) << 3) + 0x84
            t <<= (u & 0x70) >> 4
            out[i] = ((0x84 - t) if u & 0x80 else (t - 0x84)) / 32768.0
        else:  # A-law
            a = i ^ 0x55
            t = (a & 0x0F) << 4
            seg = (a & 0x70) >> 4
            t = t + 8 if seg == 0 else ((t + 0x108) << (seg - 1))
            out[i] = (t if a & 0x80 else -t) / 32768.0
    return out


def main():
    man = sys.argv[1]
    root = os.path.dirname(os.path.abspath(man))
    rows = list(csv.DictReader(open(man)))
    problems = 0

    def bad(r, msg):
        nonlocal problems
        problems += 1
        print("%s: %s" % (r["file"], msg))

    for r in rows:
        path = os.path.join(root, r["file"])
        if not os.path.exists(path):
            bad(r, "missing")
            continue
        x, fs = read_wav(path)
        dur = int(r["duration_ms"])
        if abs(len(x) * 1000 / fs - dur) > 2 or fs != int(r["sample_rate"]):
            bad(r, "length/rate %d ms @%d vs manifest %d ms @%s" % (len(x) * 1000 / fs, fs, dur, r["sample_rate"]))
        segp = os.path.join(root, "segments", r["file"] + ".csv")
        segs = []
        if os.path.exists(segp):
            lines = open(segp).read().split("\n")
            if lines[0] != "start_ms,end_ms":
                bad(r, "segments header")
            segs = [tuple(map(int, l.split(","))) for l in lines[1:] if l]
        prev = -1
        for s in segs:
            if s[0] >= s[1] or s[0] < prev or s[1] > dur:
                bad(r, "segment %s out of order or outside the file" % (s,))
            prev = s[1]
        lab = r["label"]
        onset = int(r["speech_onset_ms"]) if r["speech_onset_ms"] else None
        if segs and onset != segs[0][0]:
            bad(r, "onset %s != first segment %d" % (onset, segs[0][0]))
        if lab == "human":
            if not segs or dur - segs[-1][1] < 6000:
                bad(r, "human: < 6 s after the last speech")
            g = int(r["greeting_end_ms"]) if r.get("greeting_end_ms") else None
            if segs and (g is None or g not in [s[1] for s in segs]):
                bad(r, "human: greeting_end_ms %s is not the end of a truth segment" % g)
        if r["answered_by_detect_end"] == "machine_end_silence" and dur - int(r["greeting_end_ms"]) < 4000:
            bad(r, "greeting ends in silence but < 4 s of it")
        if r["answered_by_detect_end"] == "machine_end_beep":
            b0, b1 = int(r["beep_start_ms"]), int(r["beep_end_ms"])
            g = int(r["greeting_end_ms"])
            if not (g <= b0 < b1 <= dur - 1500):
                bad(r, "beep %d-%d vs greeting end %d / duration %d" % (b0, b1, g, dur))
            seg = x[int(b0 * fs / 1000) + int(0.01 * fs):int(min(b1, b0 + 100) * fs / 1000)]
            spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
            peak = np.fft.rfftfreq(8 * len(seg), 1 / fs)[np.argmax(spec)]
            desc = r["beep"].split(":")[1].replace("Hz", "")
            fr = [float(f) for f in desc.replace("+", "/").split("/")]
            if min(abs(peak - f) / f for f in fr) > 0.03:
                bad(r, "beep peak %.0f Hz, expected %s" % (peak, desc))
            gap = x[int(g * fs / 1000):int(b0 * fs / 1000)]
            lvl = lambda y: 10 * np.log10(np.mean(y * y) + 1e-20)
            if len(gap) > fs // 20 and lvl(x[int(b0 * fs / 1000):int(b1 * fs / 1000)]) < lvl(gap) + 3:
                bad(r, "beep not louder than the gap before it")
        if lab in ("fax", "unknown") and segs:
            bad(r, "speech segments in a %s file" % lab)
    print("check_corpus: %d files, %d problems" % (len(rows), problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
