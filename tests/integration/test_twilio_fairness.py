# SPDX-License-Identifier: MIT
"""One account's dead webhooks do not starve another account's.

Account A places 200 calls whose Url and StatusCallback point at a server that accepts
connections and never answers (each request holds a transfer slot until the 15 s webhook
timeout). Account B's TwiML fetch must still start at once: B's time from create to its fetch
arriving, measured in the same run before and during the flood, may grow by at most 1 s (it
would wait ~15 s behind A's requests with one shared queue). Figures are printed for
bench/RESULTS.md; the bound is a generous one against that failure mode, not a speed target."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (ACCOUNT2, FROM, HUMAN, HUMAN_STAYS, TOKEN2, Receiver, Server, check,  # noqa: E402
                            finish, wait_call)

recv = Receiver()
dead = socket.socket()
dead.bind(("127.0.0.1", 0))
dead.listen(1024)
held = []


def hold():
    while True:
        try:
            k, _ = dead.accept()
        except OSError:
            return
        held.append(k)  # read nothing, answer nothing


threading.Thread(target=hold, daemon=True).start()
dead_url = "http://127.0.0.1:%d/twiml" % dead.getsockname()[1]
extra = []
if os.environ.get("AMD_FAIRNESS_PER_ACCOUNT"):  # for the bench contrast run only
    extra = ["--webhook-inflight-per-account", os.environ["AMD_FAIRNESS_PER_ACCOUNT"]]
srv = Server(clock_speed=1, cps=500, extra=extra)
a = srv.client()
b = srv.client(ACCOUNT2, TOKEN2)


def b_fetch_time(tag):
    t0 = time.time()
    c = b.calls.create(to=HUMAN, from_=FROM, url=recv.url("/b-" + tag))
    got = recv.wait_for(lambda r: r["path"] == "/b-" + tag and r["params"].get("CallSid") == c.sid, timeout=40)
    return got[0]["t"] - t0 if got else float("inf")


try:
    base = min(b_fetch_time("unloaded-%d" % i) for i in range(2))
    print("B unloaded: %.3f s from create to its TwiML fetch" % base)
    for i in range(200):
        a.calls.create(to=HUMAN_STAYS, from_=FROM, url=dead_url, status_callback=dead_url,
                       status_callback_event=["initiated", "ringing", "answered", "completed"])
    end = time.time() + 20
    while len(held) < 64 and time.time() < end:
        time.sleep(0.1)
    time.sleep(1.0)
    print("A's requests holding connections: %d" % len(held))
    check(len(held) >= 64, "A's flood holds at least its per-account cap of transfers (%d)" % len(held))
    loaded = b_fetch_time("loaded")
    print("B during A's flood: %.3f s (%.3f s more than unloaded)" % (loaded, loaded - base))
    check(loaded <= base + 1.0, "B's fetch within 1 s of its unloaded time (%.3f vs %.3f s)" % (loaded, base))
finally:
    dead.close()
    for k in held:
        k.close()
    srv.cleanup()
finish()
