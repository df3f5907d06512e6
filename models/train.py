#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Train libamd's decision model (models/default.amdm) from the project's corpus.

Reproducible end to end, Debian python3-numpy only:

    bench/corpus/build_corpus.py --out CORPUS            # the labeled corpus, split by voice
    cmake --build build --target dump_features
    models/train.py --corpus CORPUS/manifest.csv --tool build/bench/dump_features \
                    --out models/default.amdm

Steps (all deterministic: fixed seeds, full-batch training, sorted inputs):
  1. dump_features runs the real C signal path (resampling, VAD, noise floor,
     tones) on the train and dev splits and writes the streaming feature vector
     every 20 ms (model_features.h documents every feature).
  2. Snapshots where the engine can decide (speech heard, within the first
     HORIZON_MS after onset) of human and machine_start files become training
     rows; each file weighs the same, each class weighs the same.
  3. For each candidate architecture (logistic regression, tanh MLPs) the
     classifier is trained on the train split with L2 and Adam.
  4. The decision policy (thresholds in the model file, model.h) is tuned on
     the dev split by running the exact C engine (dump_features eval
     --params-stdin) with coordinate ascent. The objective is Enable accuracy
     minus a penalty on human-as-machine (plus, with --in-time-weight, the
     in-time human rate: answered human by the manifest's greeting_end_ms +
     1.5 s), subject to median latencies per class no higher than the timing
     engine's on the same files.
  5. The best (architecture, policy) on dev is written field by field
     (struct.pack, little-endian) in the format of libamd/src/core/model.h.
     The test split is never read here: `dump_features eval --split test`
     gives the final figures (models/MODEL_CARD.md).
"""
import argparse
import csv
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np

FORMAT_VERSION = 1
FEAT_VERSION = 1          # AMDI_FEAT_VERSION
N_FEAT = 29               # AMDI_FEAT_COUNT
N_PARAMS = 8              # AMDI_MODEL_NPARAMS
HEAD = 8                  # dump_features row head columns
MAGIC = b"AMDM\r\n\x1a\n"
HORIZON_MS = 4000         # decisions happen within speech threshold (<= 6 s) + pauses of onset
SEED = 20261129

# policy parameter indices (amdi_model_param)
P_MACHINE, P_HUMAN, HUMAN_GAP, MIN_MACHINE, VETO_P, VETO_EXTRA, BOUND_P_HUMAN = range(7)


def log(*a):
    print("train:", *a, file=sys.stderr, flush=True)


def dump(tool, manifest, split, prefix):
    if not os.path.exists(prefix + ".bin"):
        subprocess.run([tool, "dump", manifest, "--split", split, "--out", prefix], check=True)
    rows = np.fromfile(prefix + ".bin", dtype="<f4").reshape(-1, HEAD + N_FEAT)
    truth = {}
    with open(prefix + ".files.csv") as f:
        next(f)
        for line in f:
            idx, _file, ab, scen = line.rstrip("\n").split(",")[:4]
            truth[int(idx)] = (ab, scen)
    return rows, truth


def combine(manifests, path):
    """One manifest (absolute paths) over several corpora, so every split spans all of them."""
    cols = ["file", "answered_by_enable", "scenario", "split", "greeting_end_ms"]
    with open(path, "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(cols)
        for man in manifests:
            base = os.path.dirname(os.path.abspath(man))
            with open(man, newline="") as f:
                for r in csv.DictReader(f):
                    w.writerow([os.path.join(base, r["file"]), r["answered_by_enable"], r.get("scenario", ""),
                                r.get("split", ""), r.get("greeting_end_ms", "")])
    return path


def tag_of(manifests):
    """A short stable name for a list of manifests (dump file names)."""
    return "%08x" % (zlib.crc32(",".join(os.path.abspath(m) for m in manifests).encode()) & 0xFFFFFFFF)


def dump_all(tool, manifests, split, work):
    """Dump @p split of each corpus on its own (kept in @p work and reused by
    later runs with other corpus lists), then join them with file ids made
    unique across corpora."""
    rows, truth, off = [], {}, 0
    for man in manifests:
        tag = tag_of([man])
        one = combine([man], os.path.join(work, "corpus-%s.csv" % tag))
        r, t = dump(tool, one, split, os.path.join(work, "%s-%s" % (split, tag)))
        r = r.copy()
        r[:, 0] += off
        rows.append(r)
        truth.update({i + off: v for i, v in t.items()})
        off += (max(t) + 1) if t else 0
    return np.concatenate(rows), truth


PAUSE_WEIGHT = 1.0  # --pause-weight: extra weight of rows in a pause where an early human call is checked
PAUSE_MS = (300, 1200)
BOUND_WEIGHT = 1.0  # --bound-weight: extra weight of rows where the first utterance nears the speech threshold
BOUND_MS = 1800     # utterance speech from which the speech-threshold bound (2400 ms by default) is near


def snapshots(rows, truth):
    """Rows where a decision may be taken, labelled 1 = machine, 0 = human, with weights.
    Rows inside a pause of PAUSE_MS after speech (where the engine may call a live answer
    before the speech-end threshold) weigh PAUSE_WEIGHT times more within their file."""
    fid = rows[:, 0].astype(int)
    t = rows[:, 1]
    onset = rows[:, 5]
    lab = np.array([{"human": 0, "machine_start": 1}.get(truth[i][0], -1) for i in fid])
    # every other dumped row (40 ms apart) is plenty and halves the training time
    keep = (lab >= 0) & (onset >= 0) & (t <= onset + HORIZON_MS) & ((t // 20) % 2 == 0)
    X, y, f = rows[keep, HEAD:], lab[keep].astype(np.float64), fid[keep]
    # each file weighs 1, then each class weighs half of the total
    sil = rows[keep, 4]
    pause = (rows[keep, 2] == 0) & (sil >= PAUSE_MS[0]) & (sil <= PAUSE_MS[1])
    wr = np.where(pause, PAUSE_WEIGHT, 1.0)
    # the first utterance close to the speech-threshold bound, where the classifier alone decides
    # whether a long live answer ("hello, this is ... speaking, how can I help?") is a greeting
    bound = (rows[keep, 6] >= BOUND_MS) & (rows[keep, 7] <= 1)
    wr = np.where(bound, wr * BOUND_WEIGHT, wr)
    tot = np.bincount(f, weights=wr, minlength=f.max() + 1 if len(f) else 1)
    w = wr / tot[f]
    for c in (0, 1):
        m = y == c
        if m.any():
            w[m] *= 0.5 / w[m].sum()
    return X.astype(np.float64), y, w


class Net:
    """Logistic regression (hidden=0) or one tanh hidden layer; P(machine) = sigmoid(logit)."""

    def __init__(self, hidden, mean, scale, rng):
        self.h = hidden
        self.mean, self.scale = mean, scale
        if hidden:
            self.W1 = rng.normal(0, 1.0 / np.sqrt(N_FEAT), (hidden, N_FEAT))
            self.b1 = np.zeros(hidden)
            self.w2 = rng.normal(0, 1.0 / np.sqrt(hidden), hidden)
            self.b2 = 0.0
        else:
            self.W1 = np.zeros((1, N_FEAT))
            self.b1 = np.zeros(1)

    def params(self):
        return [self.W1, self.b1, self.w2, np.array([self.b2])] if self.h else [self.W1, self.b1]

    def set(self, ps):
        if self.h:
            self.W1, self.b1, self.w2, b2 = ps
            self.b2 = float(b2[0])
        else:
            self.W1, self.b1 = ps

    def logit(self, Z):
        if self.h:
            A = np.tanh(Z @ self.W1.T + self.b1)
            return A @ self.w2 + self.b2, A
        return Z @ self.W1[0] + self.b1[0], None

    def predict(self, X):
        lg, _ = self.logit((X - self.mean) * self.scale)
        return 1.0 / (1.0 + np.exp(-np.clip(lg, -30, 30)))

    def fit(self, X, y, w, l2, epochs=1000, lr=0.01):
        Z = (X - self.mean) * self.scale
        ps = [p.copy() for p in self.params()]
        m = [np.zeros_like(p) for p in ps]
        v = [np.zeros_like(p) for p in ps]
        for it in range(1, epochs + 1):
            self.set(ps)
            lg, A = self.logit(Z)
            p = 1.0 / (1.0 + np.exp(-np.clip(lg, -30, 30)))
            g = (p - y) * w                   # d loss / d logit, weights sum to 1
            if self.h:
                gW2 = A.T @ g + l2 * ps[2]
                gb2 = np.array([g.sum()])
                dA = np.outer(g, ps[2]) * (1 - A * A)
                grads = [dA.T @ Z + l2 * ps[0], dA.sum(0), gW2, gb2]
            else:
                grads = [(Z.T @ g)[None, :] + l2 * ps[0], np.array([g.sum()])]
            for k in range(len(ps)):
                m[k] = 0.9 * m[k] + 0.1 * grads[k]
                v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
                mh = m[k] / (1 - 0.9 ** it)
                vh = v[k] / (1 - 0.999 ** it)
                ps[k] = ps[k] - lr * mh / (np.sqrt(vh) + 1e-8)
        self.set(ps)
        return self


def logloss(net, X, y, w):
    p = np.clip(net.predict(X), 1e-6, 1 - 1e-6)
    return float(-(w * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum() / w.sum())


def serialise(net, params, desc):
    """The model file, field by field, little-endian (libamd/src/core/model.h)."""
    d = desc.encode("utf-8")[:159]
    pay = struct.pack("<4H", N_FEAT, net.h, N_PARAMS, len(d)) + d
    f32 = lambda vals: struct.pack("<%df" % len(vals), *[float(x) for x in vals])
    pay += f32(params) + f32(net.mean) + f32(net.scale)
    for row in net.W1:
        pay += f32(row)
    pay += f32(net.b1)
    if net.h:
        pay += f32(net.w2) + f32([net.b2])
    head = MAGIC + struct.pack("<HHII", FORMAT_VERSION, FEAT_VERSION, len(pay), zlib.crc32(pay) & 0xFFFFFFFF)
    return head + pay


class Evaluator:
    """Runs the C engine on a split; one process per model file, many policies per process."""

    def __init__(self, tool, manifest, split):
        self.tool, self.manifest, self.split = tool, manifest, split

    def baseline(self, engine="timing"):
        out = subprocess.run([self.tool, "eval", self.manifest, "--split", self.split, "--engine", engine],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    def policies(self, model_path, plist):
        inp = "".join(" ".join("%g" % x for x in p) + "\n" for p in plist)
        out = subprocess.run([self.tool, "eval", self.manifest, "--split", self.split, "--engine", "model",
                              "--model", model_path, "--params-stdin"],
                             input=inp, check=True, capture_output=True, text=True).stdout
        return [json.loads(l) for l in out.strip().splitlines()]


LAT_WEIGHT = 0.0  # --latency-weight: bonus per ms of median latency saved (human + machine)
IN_TIME_WEIGHT = 0.0  # --in-time-weight: bonus per unit of in-time human rate (human by greeting end + 1.5 s)


def score(r, base, hm_weight):
    s = r["accuracy"] - hm_weight * r["human_as_machine"]
    s += LAT_WEIGHT * ((base["human_p50"] - r["human_p50"]) + (base["machine_p50"] - r["machine_p50"]))
    if r.get("in_time_human", -1) >= 0:
        s += IN_TIME_WEIGHT * r["in_time_human"]
    # the model must not trade the costly error for accuracy: no more human-as-machine than the rules
    if r["human_as_machine"] > base["human_as_machine"]:
        s -= 1.0
    # latency: the median per class must not exceed the timing engine's
    for k in ("human_p50", "machine_p50"):
        if r[k] > base[k]:
            s -= 1.0 + (r[k] - base[k]) / 1000.0
    return s


GRID = {
    P_MACHINE: [0.8, 0.9, 0.95, 0.98, 0.995, 1.01],
    P_HUMAN: [-1.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4],
    HUMAN_GAP: [200, 300, 400, 500, 600, 700, 800, 1000],
    MIN_MACHINE: [600, 1000, 1400, 1800, 2200],
    VETO_P: [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.01],
    VETO_EXTRA: [100, 200, 300, 500, 800],
    BOUND_P_HUMAN: [-1.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5],
}
START = [0.98, 0.1, 600, 1400, 1.01, 300, -1.0, 0]


def tune(ev, path, net, base, hm_weight, rounds=2):
    best = list(START)
    with open(path, "wb") as f:
        f.write(serialise(net, best, "tuning"))
    best_r = ev.policies(path, [best])[0]
    best_s = score(best_r, base, hm_weight)
    for _ in range(rounds):
        improved = False
        for k, vals in GRID.items():
            cands = []
            for v in vals:
                p = list(best)
                p[k] = v
                cands.append(p)
            for p, r in zip(cands, ev.policies(path, cands)):
                s = score(r, base, hm_weight)
                if s > best_s + 1e-9:
                    best, best_r, best_s, improved = p, r, s, True
        if not improved:
            break
    return best, best_r, best_s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", required=True,
                    help="manifest.csv of corpora made by bench/corpus/build_corpus.py (comma-separated: "
                         "each one's train split trains, each one's dev split tunes)")
    ap.add_argument("--dev-corpus", default=None,
                    help="manifests whose dev splits tune the policy (comma-separated; default: --corpus)")
    ap.add_argument("--tool", required=True, help="the dump_features program (bench/dump_features.c)")
    ap.add_argument("--out", required=True, help="model file to write")
    ap.add_argument("--work", default=None, help="folder for feature dumps (default: beside --out)")
    ap.add_argument("--hidden", default="0,8,16", help="architectures to try (hidden units; 0 = logistic)")
    ap.add_argument("--l2", default="1e-3,1e-2", help="L2 strengths to try")
    ap.add_argument("--hm-weight", type=float, default=0.25,
                    help="dev objective: accuracy - W * human_as_machine (the costly error)")
    ap.add_argument("--latency-weight", type=float, default=0.0,
                    help="dev objective bonus per ms of median latency saved vs the rules (2e-5: 500 ms ~ 1 point); "
                         "0 (default): accuracy first, latency only as the constraint")
    ap.add_argument("--pause-weight", type=float, default=1.0,
                    help="weight of snapshots inside a 300-1200 ms pause after speech, relative to the others "
                         "(the early human check point); 1 = uniform")
    ap.add_argument("--bound-weight", type=float, default=1.0,
                    help="weight of snapshots where the first utterance has >= 1.8 s of speech (the "
                         "speech-threshold bound is near), relative to the others; 1 = uniform")
    ap.add_argument("--in-time-weight", type=float, default=0.0,
                    help="dev objective bonus per unit of in-time human rate (answered human by the greeting end "
                         "+ 1.5 s; needs greeting_end_ms in the manifests); 0 (default): not in the objective")
    ap.add_argument("--epochs", type=int, default=1000, help="full-batch Adam steps per fit")
    ap.add_argument("--report", default=None, help="write the dev figures of the chosen model here (JSON)")
    a = ap.parse_args()

    global LAT_WEIGHT, PAUSE_WEIGHT, IN_TIME_WEIGHT, BOUND_WEIGHT
    BOUND_WEIGHT = a.bound_weight
    LAT_WEIGHT = a.latency_weight
    IN_TIME_WEIGHT = a.in_time_weight
    PAUSE_WEIGHT = a.pause_weight
    work = a.work or os.path.join(os.path.dirname(os.path.abspath(a.out)), "train-work")
    os.makedirs(work, exist_ok=True)
    corpora = a.corpus.split(",")
    dev_corpora = a.dev_corpus.split(",") if a.dev_corpus else corpora
    tr_rows, tr_truth = dump_all(a.tool, corpora, "train", work)
    dv_rows, dv_truth = dump_all(a.tool, dev_corpora, "dev", work)
    dev_manifest = combine(dev_corpora, os.path.join(work, "dev-corpus-%s.csv" % tag_of(dev_corpora)))
    Xtr, ytr, wtr = snapshots(tr_rows, tr_truth)
    Xdv, ydv, wdv = snapshots(dv_rows, dv_truth)
    log("train snapshots %d (%d files), dev snapshots %d" % (len(ytr), len(set(tr_rows[:, 0].astype(int))), len(ydv)))

    mean = (Xtr * wtr[:, None]).sum(0) / wtr.sum()
    std = np.sqrt(((Xtr - mean) ** 2 * wtr[:, None]).sum(0) / wtr.sum())
    scale = np.where(std > 1e-6, 1.0 / np.maximum(std, 1e-6), 0.0)

    ev = Evaluator(a.tool, dev_manifest, "dev")
    base = ev.baseline("timing")
    log("timing engine on dev:", json.dumps(base))
    tmp = os.path.join(work, "candidate.amdm")
    best = None
    for h in [int(x) for x in a.hidden.split(",")]:
        for l2 in [float(x) for x in a.l2.split(",")]:
            rng = np.random.default_rng(SEED)
            net = Net(h, mean, scale, rng)
            cache = os.path.join(work, "net_h%d_l2%g_e%d_pw%g_bw%g_%s.npz" % (
                h, l2, a.epochs, a.pause_weight, a.bound_weight, tag_of(corpora)))
            if os.path.exists(cache):      # same dumps, same seed: the same net; skip the work
                net.set([np.load(cache)["p%d" % k] for k in range(len(net.params()))])
            else:
                net.fit(Xtr, ytr, wtr, l2, epochs=a.epochs)
                np.savez(cache, **{"p%d" % k: p for k, p in enumerate(net.params())})
            ll = logloss(net, Xdv, ydv, wdv)
            pol, r, s = tune(ev, tmp, net, base, a.hm_weight)
            log("hidden=%d l2=%g dev logloss %.4f -> score %.4f %s policy %s" % (h, l2, ll, s, json.dumps(r), pol))
            if best is None or s > best[0] + 1e-9:
                best = (s, h, l2, net, pol, r)
    s, h, l2, net, pol, r = best
    desc = "libamd model v%d: %s, %d features (v%d), trained on build_corpus train split" % (
        FORMAT_VERSION, "logistic" if h == 0 else "mlp-%d" % h, N_FEAT, FEAT_VERSION)
    with open(a.out, "wb") as f:
        f.write(serialise(net, pol, desc))
    log("wrote %s: hidden=%d l2=%g policy=%s dev=%s" % (a.out, h, l2, pol, json.dumps(r)))
    if a.report:
        with open(a.report, "w") as f:
            json.dump({"hidden": h, "l2": l2, "policy": pol, "dev": r, "dev_timing": base}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
