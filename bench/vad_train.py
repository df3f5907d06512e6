#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Train the VAD frame classifier of libamd/src/core/vad.c.

    bench/vad_train.py TRAIN.csv[,TRAIN2.csv...] BUILD/bench/vad_frames models/vad.amdv
        [--dev DEV.csv[,...]] [--hidden 8] [--steps 800] [--weight SCENARIO=W,...]
        [--cache DIR] [--jobs 2] [--seed 1] [--stride 1] [--batch 0] [--init OLD.amdv] [--lr 0.02]

Reads corpora in the manifest format of bench/README.md (bench/corpus/build_corpus.py makes
them; the committed weights come from `--count 240 --seed 777`, trained without --dev), runs every file with segments through vad_frames, labels each 10 ms frame from
segments/<file>.csv (frame centre inside a segment = speech), and adds a noisy copy of each
clean-line training file (white or pink noise at 3..18 dB SNR, seeded) so low-SNR lines are
represented. Rows of split `train` (and `dev` when no --dev corpus is given) train; rows of
split `test` are never read. --weight gives the frames of a scenario (manifest column
`scenario`, e.g. human_babble) more weight in the loss. Fits a 12-H-1 tanh/logistic network
(Adam, full batch), writes it as a VAD model file (format: libamd/src/core/vad_model.h; the build
embeds models/vad.amdv) and prints the raw frame F1 and, on --dev, the F1 of the smoothed
decision as vad.c makes it (3-of-4 onset, 100 ms hangover), per scenario.
--cache DIR keeps each file's vad_frames dump (keyed by path, size and the tool's mtime), so
a second run with other training options skips the dumps; --stride K fits on every K-th
training frame, --batch N fits on random mini-batches of N frames (both: quicker trials);
--init starts from an existing model file (its normalisation kept) with step size --lr.
Needs python3-numpy and sox (Debian); runs with /usr/bin/python3.
"""
import argparse
import csv
import hashlib
import os
import struct
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

NFEAT = 12
FEAT_SNR_HOP, FEAT_PEAK = 1, 6   # vad.c: raw speech needs hop SNR >= 4 dB; peaky hops cannot confirm
MIN_SNR, TONE_RATIO, HANG_HOPS = 4.0, 0.90, 10


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
    """x plus white or pink (1/f power, shaped in the frequency domain) noise at snr_db below
    the file's active level."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(len(x))
    if pink and len(g) > 1:
        spec = np.fft.rfft(g)
        f = np.maximum(np.arange(len(spec), dtype=float), 1.0)
        g = np.fft.irfft(spec / np.sqrt(f), len(g))
    fl = len(x) // 80 * 80
    e = (x[:fl].reshape(-1, 80) ** 2).mean(axis=1) if fl else np.array([1.0])
    act = e[e > e.max() * 1e-3] if e.max() > 0 else e
    lvl = act.mean() if len(act) else 1.0
    return x + g / np.sqrt((g ** 2).mean() + 1e-20) * np.sqrt(lvl / 10 ** (snr_db / 10))


def dump(tool, x, rate):
    """vad_frames output as an array: end_ms, valid, NFEAT features per 10 ms hop."""
    raw = np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()
    out = subprocess.run([tool, str(rate)], input=raw, capture_output=True, check=True).stdout
    a = np.array(out.split(), dtype=np.float32)
    return a.reshape(-1, 2 + NFEAT)


def load_rows(manifests, splits):
    rows = []
    for man in manifests:
        base = os.path.dirname(os.path.abspath(man))
        for r in csv.DictReader(open(man)):
            seg = os.path.join(base, "segments", r["file"] + ".csv")
            if r.get("split", "") in splits and os.path.exists(seg):
                r["_wav"], r["_seg"] = os.path.join(base, r["file"]), seg
                rows.append(r)
    return rows


def frames_of(job, tool, cache):
    """(rows of vad_frames output, labels) for one (row, augmentation) job, cached."""
    r, aug = job
    key = hashlib.sha1(("%s|%d|%s|%d" % (os.path.realpath(r["_wav"]), os.path.getsize(r["_wav"]), aug,
                                         int(os.path.getmtime(tool)))).encode()).hexdigest()
    cpath = os.path.join(cache, key + ".npy") if cache else None
    if cpath and os.path.exists(cpath):
        a = np.load(cpath)
    else:
        x, rate = read_wav(r["_wav"])
        if x is None:
            return None
        if aug:
            x = add_noise(x, aug[0], aug[1], int(zlib.crc32(r["file"].encode())) & 0xFFFF)
        a = dump(tool, x, rate)
        if cpath:
            np.save(cpath, a)
    segs = [(float(s), float(e)) for s, e in list(csv.reader(open(r["_seg"])))[1:]]
    mid = a[:, 0] - 5
    y = np.zeros(len(a), bool)
    for s, e in segs:
        y |= (mid >= s) & (mid < e)
    return a, y


def collect(rows, tool, cache, jobs, augment):
    rnd = np.random.default_rng(5)
    todo = [(r, None) for r in rows]
    if augment:
        for r in rows:
            if r.get("noise") in ("floor", "digital-silence"):
                todo.append((r, (float(rnd.choice([3, 5, 8, 12, 18])), bool(rnd.random() < 0.5))))
    with ThreadPoolExecutor(jobs) as ex:
        res = list(ex.map(lambda j: frames_of(j, tool, cache), todo))
    return [(j[0], o[0], o[1]) for j, o in zip(todo, res) if o is not None]


def predict(P, Z):
    return np.tanh(Z @ P[0] + P[1]) @ P[2] + P[3][0]


def read_model(path):
    """mean, sd and weights of a VAD model file written by write_model."""
    b = open(path, "rb").read()[20:]
    nf, hidden, dl = struct.unpack_from("<HHH", b, 0)
    f = np.frombuffer(b[6 + dl:], "<f4").astype(np.float32)
    mu, sd, f = f[:nf], f[nf:2 * nf], f[2 * nf:]
    w1 = f[:hidden * nf].reshape(hidden, nf).T.copy()
    f = f[hidden * nf:]
    return mu, sd, [w1, f[:hidden].copy(), f[hidden:2 * hidden].copy(), f[2 * hidden:2 * hidden + 1].copy()]


def fit(X, Y, W, hidden, steps, seed, batch=0, init=None, lr0=0.02):
    """Adam on the weighted log loss: full batch, or (batch > 0) random mini-batches of that
    many frames with the step size decaying from lr0 to lr0 / 10. init: (mean, sd, weights) to
    start from (the normalisation is kept)."""
    mu, sd = (init[0], init[1]) if init else (X.mean(0), X.std(0) + 1e-6)
    Zall = ((X - mu) / sd).astype(np.float32)
    Yall, Wall = Y.astype(np.float32), W.astype(np.float32)
    Z, Yf, Wn = Zall, Yall, Wall / Wall.sum()
    rng = np.random.default_rng(seed)
    P = [rng.normal(0, 0.5, (NFEAT, hidden)).astype(np.float32), np.zeros(hidden, np.float32),
         rng.normal(0, 0.5, hidden).astype(np.float32), np.zeros(1, np.float32)]
    if init:
        P = [p.astype(np.float32) for p in init[2]]
    m = [np.zeros_like(p) for p in P]
    v = [np.zeros_like(p) for p in P]
    for it in range(1, steps + 1):
        if it % 200 == 0:
            print("  step %d / %d" % (it, steps), file=sys.stderr, flush=True)
        lr = lr0
        if batch > 0:
            idx = rng.integers(0, len(Yall), batch)
            Z, Yf, Wn = Zall[idx], Yall[idx], Wall[idx] / Wall[idx].sum()
            lr = lr0 * 0.1 ** (it / steps)
        h = np.tanh(Z @ P[0] + P[1])
        p = 1 / (1 + np.exp(-(h @ P[2] + P[3][0])))
        d = (p - Yf) * Wn
        dh = np.outer(d, P[2]) * (1 - h * h)
        G = [Z.T @ dh + 1e-4 * P[0], dh.sum(0), h.T @ d + 1e-4 * P[2], np.array([d.sum()], np.float32)]
        for i in range(4):
            m[i] = 0.9 * m[i] + 0.1 * G[i]
            v[i] = 0.999 * v[i] + 0.001 * G[i] ** 2
            P[i] -= (lr * (m[i] / (1 - 0.9 ** it)) / (np.sqrt(v[i] / (1 - 0.999 ** it)) + 1e-8)).astype(np.float32)
    return mu, sd, P


def smoothed(raw, peaky):
    """vad.c's smooth(): speech from the first of 3 raw hops in 4, until 100 ms without one."""
    out = np.zeros(len(raw), bool)
    hist, ins, hang = 0, False, 0
    for i in range(len(raw)):
        hist = ((hist << 1) | int(raw[i] and not peaky[i])) & 0xF
        if not ins:
            if bin(hist).count("1") >= 3 and hist & 1:
                ins, hang = True, 0
                oldest = max(k for k in range(4) if (hist >> k) & 1)
                out[max(0, i - oldest):i] = True
        elif raw[i]:
            hang = 0
        else:
            hang += 1
            if hang >= HANG_HOPS:
                ins, hist = False, 0
        out[i] = out[i] or ins
    return out


def dev_report(P, mu, sd, data):
    """Smoothed-decision F1 on the dev files, overall and per scenario."""
    tot, per = np.zeros(3), {}
    for r, a, y in data:
        valid = a[:, 1] > 0
        logit = predict(P, (a[:, 2:] - mu) / sd)
        raw = valid & (logit >= 0) & (a[:, 2 + FEAT_SNR_HOP] >= MIN_SNR)
        s = smoothed(raw, a[:, 2 + FEAT_PEAK] >= TONE_RATIO)
        c = np.array([(s & y).sum(), (s & ~y).sum(), (~s & y).sum()])
        tot += c
        per.setdefault(r.get("scenario", ""), np.zeros(3))
        per[r.get("scenario", "")] += c
    f1 = lambda c: 2 * c[0] / max(1.0, 2 * c[0] + c[1] + c[2])
    prec = lambda c: c[0] / max(1.0, c[0] + c[1])
    lines = ["  %-22s F1 %.3f  precision %.3f  recall %.3f" % (k, f1(c), prec(c), c[0] / max(1.0, c[0] + c[2]))
             for k, c in sorted(per.items()) if c[0] + c[2] > 0]
    return f1(tot), prec(tot), tot[0] / max(1.0, tot[0] + tot[2]), lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("train")
    ap.add_argument("tool")
    ap.add_argument("out")
    ap.add_argument("--dev", default="")
    ap.add_argument("--hidden", type=int, default=8)
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--weight", default="")
    ap.add_argument("--cache", default="")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--init", default="")
    ap.add_argument("--lr", type=float, default=0.02)
    o = ap.parse_args()
    if not 1 <= o.hidden <= 32:
        sys.exit("--hidden must be 1..32 (vad_model.h AMDI_VAD_MAX_HIDDEN)")
    if o.cache:
        os.makedirs(o.cache, exist_ok=True)
    weights = {}
    for kv in filter(None, o.weight.split(",")):
        k, _, w = kv.partition("=")
        weights[k] = float(w)
    train_splits = {"train"} if o.dev else {"train", "dev"}
    tr = collect(load_rows(o.train.split(","), train_splits), o.tool, o.cache, o.jobs, True)
    X = np.concatenate([a[a[:, 1] > 0, 2:] for r, a, y in tr])
    Y = np.concatenate([y[a[:, 1] > 0] for r, a, y in tr])
    W = np.concatenate([np.full(int((a[:, 1] > 0).sum()), weights.get(r.get("scenario", ""), 1.0))
                        for r, a, y in tr])
    X, Y, W = X[::o.stride], Y[::o.stride], W[::o.stride]
    init = read_model(o.init) if o.init else None
    if init and len(init[2][1]) != o.hidden:
        sys.exit("--init model has %d hidden units, --hidden says %d" % (len(init[2][1]), o.hidden))
    mu, sd, P = fit(X, Y, W, o.hidden, o.steps, o.seed, o.batch, init, o.lr)
    q = predict(P, ((X - mu) / sd).astype(np.float32)) > 0
    tp = (q & Y).sum()
    f1_tr = 2 * tp / (2 * tp + (q & ~Y).sum() + (~q & Y).sum())
    print("%d train files (%d with noisy copies), %d frames; raw frame F1 train %.3f"
          % (len(set(r["_wav"] for r, a, y in tr)), len(tr), len(Y), f1_tr))
    desc = "VAD frame classifier: %d features, %d tanh units; bench/vad_train.py, %d train frames" % (
        NFEAT, o.hidden, len(Y))
    if o.dev:
        dv = collect(load_rows(o.dev.split(","), {"dev"}), o.tool, o.cache, o.jobs, False)
        f1, p, rc, lines = dev_report(P, mu, sd, dv)
        print("dev (%d files): smoothed F1 %.3f (precision %.3f, recall %.3f)" % (len(dv), f1, p, rc))
        print("\n".join(lines))
        desc += ", dev smoothed F1 %.3f" % f1
    write_model(o.out, mu, sd, P, desc)
    print("wrote %s" % o.out)


def write_model(path, mu, sd, P, desc):
    """The VAD model file of libamd/src/core/vad_model.h: container header (magic, format
    version 1, feature version 1, payload length, CRC-32) and the little-endian payload."""
    d = desc.encode("ascii")[:159]
    hidden = len(P[1])
    f32 = lambda a: struct.pack("<%df" % len(a), *[float(np.float32(t)) for t in a])
    payload = struct.pack("<HHH", NFEAT, hidden, len(d)) + d + f32(mu) + f32(sd)
    payload += b"".join(f32(P[0][:, j]) for j in range(hidden))  # w1[hidden][feature]
    payload += f32(P[1]) + f32(P[2]) + f32([P[3][0]])
    head = b"AMDV\r\n\x1a\n" + struct.pack("<HHII", 1, 1, len(payload), zlib.crc32(payload))
    with open(path, "wb") as fh:
        fh.write(head + payload)


if __name__ == "__main__":
    main()
