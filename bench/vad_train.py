#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Train the VAD frame classifier of libamd/src/core/vad.c.

    bench/vad_train.py CORPUS/manifest.csv BUILD/bench/vad_frames models/vad.amdv

Reads a corpus in the manifest format of bench/README.md (bench/corpus/build_corpus.py makes one:
the committed weights come from `--count 240 --seed 777`), runs every file
with segments through vad_frames, labels each 10 ms frame from
segments/<file>.csv (frame centre inside a segment = speech), and adds a
noisy copy of each clean-line training file (white or pink noise at 3..18 dB
SNR, seeded) so low-SNR lines are represented. Files of split `test` are held
out. Fits a 12-8-1 tanh/logistic network (Adam, full batch, 800 steps),
writes it as a VAD model file (format: libamd/src/core/vad_model.h; the
build embeds models/vad.amdv) and prints the held-out raw frame F1.
Needs python3-numpy and sox (Debian); runs with /usr/bin/python3.
"""
import csv
import os
import struct
import zlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

NFEAT, HIDDEN = 12, 8


def read_wav(path):
    """Any format sox reads (the corpus has PCM, µ-law and A-law WAV) -> float s16 scale, rate."""
    try:
        rate = int(subprocess.run(["soxi", "-r", path], capture_output=True, text=True, check=True).stdout)
        raw = subprocess.run(["sox", path, "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", "-"],
                             capture_output=True, check=True).stdout
    except (subprocess.CalledProcessError, ValueError, OSError):
        return None, 0
    return np.frombuffer(raw, dtype="<i2").astype(np.float64), rate


def add_noise(x, snr_db, pink, seed):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(len(x))
    if pink:  # Voss-McCartney-like three-pole approximation
        b = np.zeros(3)
        y = np.empty_like(g)
        for i, v in enumerate(g):
            b = np.array([0.99765 * b[0] + v * 0.0990460, 0.96300 * b[1] + v * 0.2965164,
                          0.57000 * b[2] + v * 1.0526913])
            y[i] = (b.sum() + v * 0.1848) * 0.35
        g = y
    fl = len(x) // 80 * 80
    e = (x[:fl].reshape(-1, 80) ** 2).mean(axis=1) if fl else np.array([1.0])
    act = e[e > e.max() * 1e-3] if e.max() > 0 else e
    lvl = act.mean() if len(act) else 1.0
    return x + g / np.sqrt((g ** 2).mean()) * np.sqrt(lvl / 10 ** (snr_db / 10))


def frames(tool, x, rate):
    raw = np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()
    out = subprocess.run([tool, str(rate)], input=raw, capture_output=True).stdout.decode()
    return [l.split() for l in out.splitlines()]


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: vad_train.py CORPUS/manifest.csv BUILD/bench/vad_frames OUT.amdv")
    man, tool, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
    base = os.path.dirname(os.path.abspath(man))
    rows = [r for r in csv.DictReader(open(man))
            if os.path.exists(os.path.join(base, "segments", r["file"] + ".csv"))]
    rnd = np.random.default_rng(5)
    jobs = [(r, None) for r in rows]
    for r in rows:
        if r.get("noise") in ("floor", "digital-silence") and r.get("split") != "test":
            jobs.append((r, (float(rnd.choice([3, 5, 8, 12, 18])), bool(rnd.random() < 0.5))))

    def run(job):
        r, aug = job
        x, rate = read_wav(os.path.join(base, r["file"]))
        if x is None:
            return r.get("split", ""), [], []
        if aug:
            x = add_noise(x, aug[0], aug[1], hash(r["file"]) & 0xFFFF)
        segs = [(float(a), float(b)) for a, b in list(csv.reader(open(os.path.join(base, "segments", r["file"] + ".csv"))))[1:]]
        X, Y = [], []
        for p in frames(tool, x, rate):
            if len(p) < 2 + NFEAT or p[1] != "1":
                continue
            mid = int(p[0]) - 5
            X.append([float(v) for v in p[2:2 + NFEAT]])
            Y.append(any(a <= mid < b for a, b in segs))
        return r.get("split", ""), X, Y

    res = list(ThreadPoolExecutor(2).map(run, jobs))
    Xtr = np.array([x for s, X, Y in res if s != "test" for x in X])
    Ytr = np.array([y for s, X, Y in res if s != "test" for y in Y], float)
    Xte = np.array([x for s, X, Y in res if s == "test" for x in X])
    Yte = np.array([y for s, X, Y in res if s == "test" for y in Y], float)
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6
    Ztr, Zte = (Xtr - mu) / sd, (Xte - mu) / sd
    rng = np.random.default_rng(1)
    P = [rng.normal(0, 0.5, (NFEAT, HIDDEN)), np.zeros(HIDDEN), rng.normal(0, 0.5, HIDDEN), np.zeros(1)]
    m = [np.zeros_like(p) for p in P]
    v = [np.zeros_like(p) for p in P]
    for it in range(1, 801):
        h = np.tanh(Ztr @ P[0] + P[1])
        p = 1 / (1 + np.exp(-(h @ P[2] + P[3][0])))
        d = (p - Ytr) / len(Ytr)
        dh = np.outer(d, P[2]) * (1 - h * h)
        G = [Ztr.T @ dh + 1e-4 * P[0], dh.sum(0), h.T @ d + 1e-4 * P[2], np.array([d.sum()])]
        for i in range(4):
            m[i] = 0.9 * m[i] + 0.1 * G[i]
            v[i] = 0.999 * v[i] + 0.001 * G[i] ** 2
            P[i] -= 0.02 * (m[i] / (1 - 0.9 ** it)) / (np.sqrt(v[i] / (1 - 0.999 ** it)) + 1e-8)

    def f1(Z, Y):
        if len(Y) == 0:
            return float("nan")
        q = (np.tanh(Z @ P[0] + P[1]) @ P[2] + P[3][0]) > 0
        tp = (q & (Y > 0)).sum()
        return 2 * tp / (2 * tp + (q & (Y == 0)).sum() + ((~q) & (Y > 0)).sum())

    desc = ("VAD frame classifier: %d features, %d tanh units; bench/vad_train.py, %d train frames, "
            "held-out raw frame F1 %.3f" % (NFEAT, HIDDEN, len(Ytr), f1(Zte, Yte)))
    write_model(out_path, mu, sd, P, desc)
    print("%d train frames (with noisy copies), %d held-out; raw frame F1 train %.3f, held-out %.3f; wrote %s"
          % (len(Ytr), len(Yte), f1(Ztr, Ytr), f1(Zte, Yte), out_path))


def write_model(path, mu, sd, P, desc):
    """The VAD model file of libamd/src/core/vad_model.h: container header (magic, format
    version 1, feature version 1, payload length, CRC-32) and the little-endian payload."""
    d = desc.encode("ascii")[:159]
    f32 = lambda a: struct.pack("<%df" % len(a), *[float(np.float32(t)) for t in a])
    payload = struct.pack("<HHH", NFEAT, HIDDEN, len(d)) + d + f32(mu) + f32(sd)
    payload += b"".join(f32(P[0][:, j]) for j in range(HIDDEN))  # w1[hidden][feature]
    payload += f32(P[1]) + f32(P[2]) + f32([P[3][0]])
    head = b"AMDV\r\n\x1a\n" + struct.pack("<HHII", 1, 1, len(payload), zlib.crc32(payload))
    with open(path, "wb") as fh:
        fh.write(head + payload)


if __name__ == "__main__":
    main()
