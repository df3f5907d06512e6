#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Mouth-to-ear delay the <Dial> bridge adds, on the simulated carrier, by the click method.

The callee's far end plays a click every 2 s (the rest silence); the agent is silent. The
parent call records itself (Record=true, dual: channel 2 = the callee as it reached the
server) and its <Dial record="record-from-answer-dual"> (channel 1 = the callee as the agent
heard it). Both recordings start at a known engine time (the store's start_time, ms), so a
click's arrival at the server and its arrival at the agent fall on one time line: the
difference is what the bridge adds (the outbound path included).

  AMD_BIN=build/cli/amd /usr/bin/python3 bench/dial_delay.py [--seconds 20]
"""
import argparse
import os
import sqlite3
import sys
import tempfile
import time
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("AMD_SOURCE_DIR", os.path.join(HERE, ".."))
from twilio_harness import FROM, Server, wait_call  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=int, default=20, help="bridge time (the dial's timeLimit)")
args = ap.parse_args()

work = tempfile.mkdtemp(prefix="amd-dial-delay-")


def write(path, x):
    w = wave.open(path, "wb")
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(8000)
    w.writeframes(np.asarray(x, dtype="<i2").tobytes())
    w.close()


click = np.zeros(16000)
click[8000:8008] = 20000  # 1 ms click in 2 s of silence
write(os.path.join(work, "click.wav"), click)
write(os.path.join(work, "silence.wav"), np.zeros(16000))
plan = os.path.join(work, "plan.json")
with open(plan, "w") as f:
    f.write('{"routes": [{"to": "+15550000001", "audio": "click.wav", "ring_ms": 500, "outcome": "agent"},'
            ' {"to": "+15550000002", "audio": "silence.wav", "ring_ms": 500, "outcome": "agent"}]}')

srv = Server(clock_speed=1, dialplan=plan, extra=["--media-priority", "10"])
try:
    client = srv.client()
    c = client.calls.create(to="+15550000001", from_=FROM, record=True, recording_channels="dual",
                            twiml='<Response><Dial record="record-from-answer-dual" timeLimit="%d">'
                                  '<Number>+15550000002</Number></Dial></Response>' % args.seconds)
    wait_call(client, c.sid, timeout=args.seconds + 60)
    time.sleep(1)
    db = sqlite3.connect(srv.db)
    rows = db.execute("SELECT sid, start_time FROM recordings WHERE call_sid=? ORDER BY start_time", (c.sid,)).fetchall()
    assert len(rows) == 2, rows
    rec_dir = srv.db + "-recordings"

    def load(sid):
        w = wave.open(os.path.join(rec_dir, sid + ".wav"))
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float)
        return x.reshape(-1, w.getnchannels()).T, w.getframerate()

    (own, rate), t_own = load(rows[0][0]), rows[0][1]
    (dial, rate2), t_dial = load(rows[1][0]), rows[1][1]

    def onsets(x, rate, t0):
        idx = np.flatnonzero(np.abs(x) > 5000)
        out, last = [], -1e9
        for i in idx:
            if i - last > rate // 2:
                out.append(t0 + 1000.0 * i / rate)
            last = i
        return out

    sent = onsets(own[1], rate, t_own)     # the callee's clicks as they reached the server
    heard = onsets(dial[0], rate2, t_dial)  # the same clicks as the agent heard them
    delays = []
    for h in heard:
        before = [s for s in sent if s <= h + 0.5]
        if before:
            delays.append(h - before[-1])
    print("clicks sent %d, heard by the agent %d" % (len(sent), len(heard)))
    if delays:
        d = np.array(delays)
        print("added delay (engine ms): min %.1f, median %.1f, max %.1f over %d clicks" %
              (d.min(), np.median(d), d.max(), len(d)))
finally:
    srv.cleanup()
