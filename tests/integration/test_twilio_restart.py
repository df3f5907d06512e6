# SPDX-License-Identifier: MIT
"""CPS queueing and crash recovery of `amd serve`, driven by python twilio.

- CPS: with --cps 2, calls beyond the rate are accepted (201), queued, and dialed at 2/s of
  simulated time; queue_time grows accordingly.
- Crash: kill -9 the server with calls queued, ringing and in progress; on restart every
  acknowledged call is still there, queued-but-never-dialed calls are dialed, the others are
  closed out (failed / completed, end_time = the last heartbeat) and their `completed`
  status callback is sent.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (BUSY, FROM, HUMAN_STAYS, NO_ANSWER, Receiver, Server, check, finish,  # noqa: E402
                            wait_call)

recv = Receiver()
recv.set("/long", "<Response><Pause length=\"600\"/></Response>")
recv.set("/status", "", status=204, ctype="text/plain")

# ---- CPS
print("CPS queue")
srv = Server(clock_speed=1, cps=2)  # real time: slow creates on a busy machine must not eat the queue
try:
    client = srv.client()
    calls = [client.calls.create(to=BUSY, from_=FROM, twiml="<Response/>") for _ in range(6)]
    check(all(c.status == "queued" for c in calls), "6 calls at once are all accepted and queued")
    done = [wait_call(client, c.sid) for c in calls]
    qt = [int(c.queue_time) for c in done]
    starts = sorted(c.start_time for c in done)
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:])]
    check(all(s == "busy" for s in (c.status for c in done)), "all were dialed")
    check(max(qt) >= 2000, "queue_time reports the wait (%s ms)" % qt)
    # start_time has one-second resolution on the wire: 6 calls at 2/s span >= 2 s
    check((starts[-1] - starts[0]).total_seconds() >= 2, "dialed at about 2 per second of simulated time (%s)" % gaps)
finally:
    srv.cleanup()

# ---- crash and restart
print("crash (kill -9) and restart")
srv = Server(clock_speed=2, cps=1)
client = srv.client()
try:
    live = client.calls.create(to=HUMAN_STAYS, from_=FROM, url=recv.url("/long"),
                               status_callback=recv.url("/status"))
    ringing = client.calls.create(to=NO_ANSWER, from_=FROM, url=recv.url("/long"), timeout=600,
                                  status_callback=recv.url("/status"))
    queued = [client.calls.create(to=BUSY, from_=FROM, twiml="<Response/>") for _ in range(3)]
    wait_call(client, live.sid, final=("in-progress",))
    wait_call(client, ringing.sid, final=("ringing",))
    time.sleep(1.5)  # a heartbeat or two
    before = client.calls(live.sid).fetch()
    srv.kill(signal.SIGKILL)
    t_kill = time.time()
    srv.start()
    client = srv.client()
    lv = client.calls(live.sid).fetch()
    rg = client.calls(ringing.sid).fetch()
    check(lv.status == "completed" and lv.end_time is not None and lv.duration is not None,
          "the answered call is closed out completed with an end_time and duration (%s, %s s)" % (lv.status, lv.duration))
    check(lv.end_time >= before.start_time, "end_time is not before the call started")
    check(rg.status == "failed", "the call that was still ringing is closed out failed (%s)" % rg.status)
    got = recv.wait_for(lambda r: r["path"] == "/status" and r["params"].get("CallSid") in (live.sid, ringing.sid),
                        count=2, timeout=20)
    check(sorted(r["params"]["CallStatus"] for r in got) == ["completed", "failed"],
          "their completed status callbacks are sent after the restart")
    check(all(recv.signature_ok(r) for r in got), "and signed")
    fin = [wait_call(client, q.sid, timeout=60) for q in queued]
    check(all(f.status == "busy" for f in fin), "calls queued at the crash are dialed after restart: %s" %
          [f.status for f in fin])
    check(len(client.calls.list()) == 5, "every acknowledged call is still listed")

    # ---- a clean stop (SIGTERM) ends live calls now, with their callbacks
    print("clean stop (SIGTERM)")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM, url=recv.url("/long"), status_callback=recv.url("/status"))
    wait_call(client, c.sid, final=("in-progress",))
    srv.stop()
    check(srv.proc.returncode == 0, "SIGTERM: clean exit")
    got = recv.wait_for(lambda r: r["path"] == "/status" and r["params"].get("CallSid") == c.sid, timeout=5)
    check(len(got) == 1 and got[0]["params"]["CallStatus"] == "completed",
          "the live call's completed callback was sent before the server exited")
    srv.start()
    client = srv.client()
    f = client.calls(c.sid).fetch()
    check(f.status == "completed" and f.end_time is not None, "after restart it reads completed")
finally:
    srv.cleanup()
finish()
