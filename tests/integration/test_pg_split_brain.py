#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Split brain: a process the others declared dead while it was still running (here paused with
SIGSTOP, as a lost network would leave it) must not contradict their close-out when it resumes.

Two `amd serve` processes on one PostgreSQL database. amd2 runs answered calls whose TwiML loops
(<Pause> then <Redirect>, so a running call fetches its TwiML every 2 s), one of them recorded.
amd2 is stopped (SIGSTOP) for longer than the lease; amd1 closes its calls out (completed, with
the completed callback); then amd2 continues (SIGCONT). Checks: after resuming, amd2 sends no
request about those calls (no TwiML fetch, no status or recording callback), so each call has
exactly one final status callback, the survivor's (its CallDuration is the stored duration); no
event or recording row of those calls changes; amd2 logs that it was declared dead, joins again
with a new lease and serves again (it claims, dials and completes a new call). Also: a call still
waiting in the shared CPS queue takes a new Url sent to a process that does not hold it.
"""
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_harness  # noqa: E402
from twilio_harness import ACCOUNT, FROM, HUMAN, HUMAN_STAYS, Receiver, Server, check, finish  # noqa: E402

FINAL = ("completed", "busy", "no-answer", "failed", "canceled")
N_CALLS = 5


def wait_until(what, timeout):
    end = time.time() + timeout
    while time.time() < end:
        v = what()
        if v:
            return v
        time.sleep(0.1)
    return what()


def snapshot(pg, sids):
    ids = ",".join("'%s'" % s for s in sids)
    events = pg.psql("SELECT call_sid, count(*), max(seq) FROM events WHERE call_sid IN (%s) GROUP BY call_sid"
                     " ORDER BY call_sid" % ids)
    recs = pg.psql("SELECT sid, status, duration, date_updated FROM recordings WHERE call_sid IN (%s) ORDER BY sid"
                   % ids)
    calls = pg.psql("SELECT sid, status, end_time, duration, cb_seq, owner FROM calls WHERE sid IN (%s) ORDER BY sid"
                    % ids)
    return events, recs, calls


def main():
    pg = pg_harness.Postgres()
    shared = tempfile.mkdtemp(prefix="amd-pg-rec-")
    os.chmod(shared, 0o700)
    recv = Receiver()
    recv.set("/twiml", '<Response><Pause length="2"/><Redirect>/twiml</Redirect></Response>')
    recv.set("/new", '<Response><Pause length="1"/></Response>')
    common = ["--recordings", shared, "--log-level", "info"]
    victim = Server(clock_speed=1, cps=5, db=pg.uri, extra=["--instance", "amd2"] + common)
    survivor = None
    try:
        survivor = run(pg, recv, victim, common)
    finally:
        for s in (victim, survivor):
            if s and s.proc.poll() is None:
                s.proc.send_signal(signal.SIGCONT)
                s.cleanup()
        shutil.rmtree(shared, ignore_errors=True)
    finish()


def run(pg, recv, victim, common):
    vc = victim.client()
    events = ["initiated", "ringing", "answered", "completed"]
    sids = []
    for i in range(N_CALLS):
        kw = dict(to=HUMAN_STAYS, from_=FROM, url=recv.url("/twiml"), status_callback=recv.url("/status"),
                  status_callback_event=events)
        if i == 0:
            kw.update(record=True, recording_status_callback=recv.url("/rec"))
        sids.append(vc.calls.create(**kw).sid)
    ids = ",".join("'%s'" % s for s in sids)
    up = wait_until(lambda: int(pg.psql("SELECT count(*) FROM calls WHERE sid IN (%s) AND status='in-progress'"
                                        " AND owner='amd2'" % ids)[0][0]) == N_CALLS, 30)
    check(up, "amd2 runs %d answered calls" % N_CALLS)
    # their TwiML loop is running (a fetch every 2 s)
    check(len(recv.wait_for(lambda r: r["path"] == "/twiml" and r["params"].get("CallSid") in sids,
                            count=2 * N_CALLS, timeout=15)) >= 2 * N_CALLS, "the calls fetch their TwiML in a loop")

    survivor = Server(clock_speed=1, cps=5, db=pg.uri, extra=["--instance", "amd1"] + common)
    time.sleep(1)
    victim.proc.send_signal(signal.SIGSTOP)
    t_stop = time.time()
    done = wait_until(lambda: int(pg.psql("SELECT count(*) FROM calls WHERE sid IN (%s) AND status='completed'"
                                          " AND owner='amd1'" % ids)[0][0]) == N_CALLS, 20)
    check(done, "amd1 closed amd2's calls out while amd2 was stopped (%.1f s)" % (time.time() - t_stop))
    finals = recv.wait_for(lambda r: r["path"] == "/status" and r["params"].get("CallSid") in sids
                           and r["params"].get("CallStatus") in FINAL, count=N_CALLS, timeout=15)
    check(len(finals) == N_CALLS, "the survivor sent the %d completed callbacks" % N_CALLS)
    time.sleep(1.5)  # the survivor's last events (its callbacks' responses) are stored
    before = snapshot(pg, sids)

    victim.proc.send_signal(signal.SIGCONT)
    t_cont = time.time()
    rejoined = wait_until(lambda: pg.psql("SELECT 1 FROM instances WHERE name='amd2' AND state='running'"
                                          " AND epoch >= 2"), 15)
    check(rejoined, "amd2 joined the cluster again with a new lease (%.1f s after SIGCONT)" % (time.time() - t_cont))
    time.sleep(4)  # two rounds of the TwiML loop: a call still running on amd2 would fetch again
    after = snapshot(pg, sids)

    late = recv.matching(lambda r: r["t"] > t_cont and r["params"].get("CallSid") in sids)
    check(not late, "after SIGCONT amd2 sent no request about the calls it lost (%s)"
          % [(r["path"], r["params"].get("CallStatus")) for r in late[:4]])
    cbs = defaultdict(list)
    for r in recv.matching(lambda r: r["path"] == "/status" and r["params"].get("CallSid") in sids):
        cbs[r["params"]["CallSid"]].append(r["params"])
    rows = {r[0]: r for r in after[2]}
    for sid in sids:
        fin = [p for p in cbs[sid] if p.get("CallStatus") in FINAL]
        check(len(fin) == 1 and fin[0]["CallStatus"] == "completed" and fin[0].get("CallDuration") == rows[sid][3],
              "call %s: one completed callback, the survivor's (duration %s s, stored %s s)"
              % (sid, fin[0].get("CallDuration") if fin else None, rows[sid][3]))
    check(before[0] == after[0], "no event row of those calls was written after SIGCONT (%s -> %s)"
          % (before[0][:1], after[0][:1]))
    check(before[1] == after[1] and after[1] and after[1][0][1] == "failed",
          "the recording stays as the survivor closed it out (%s -> %s)" % (before[1], after[1]))
    check(before[2] == after[2], "no call row changed after SIGCONT")
    log = open(victim.log.name).read()
    check("instance amd2 was declared dead" in log and "joined again" in log,
          "amd2's log names the instance, the fence and the new join")

    # a call waiting in the shared queue takes a new Url sent to a process that does not hold it
    sc = survivor.client()
    queued = [sc.calls.create(to=HUMAN, from_=FROM, url=recv.url("/twiml"), status_callback=recv.url("/status"))
              for _ in range(25)]
    last = queued[-1]
    upd = vc.calls(last.sid).update(url=recv.url("/new"), method="GET")
    check(upd.status == "queued", "Url of a call still in the shared queue changed through the other process (%s)"
          % upd.status)
    got = recv.wait_for(lambda r: r["path"] == "/new" and r["params"].get("CallSid") == last.sid, timeout=20)
    check(got and got[0]["method"] == "GET", "the call dialed later fetched the new Url with the new Method")
    old = recv.matching(lambda r: r["path"] == "/twiml" and r["params"].get("CallSid") == last.sid)
    check(not old, "and never its old Url")

    # amd2 serves again: alone now, it claims, dials and completes a new call
    survivor.cleanup()
    code = urllib.request.urlopen(victim.base + "/ready", timeout=5).status
    check(code == 200, "amd2 is ready again (/ready %d)" % code)
    recv.set("/short", '<Response><Pause length="1"/><Hangup/></Response>')
    new = vc.calls.create(to=HUMAN, from_=FROM, url=recv.url("/short"))
    fin = wait_until(lambda: pg.psql("SELECT owner FROM calls WHERE sid='%s' AND status='completed'" % new.sid), 30)
    check(fin and fin[0][0] == "amd2", "amd2 dialed and completed a new call after joining again (%s)" % fin)
    return survivor


if __name__ == "__main__":
    main()
