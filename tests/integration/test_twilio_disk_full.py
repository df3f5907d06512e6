# SPDX-License-Identifier: MIT
"""`amd serve` when a disk fills during live calls, on small tmpfs file systems mounted in a
private mount namespace (needs root; skips with a message only if mounting is impossible).

Database disk full:
- the server notices within a heartbeat: creates get 503 / 20503 naming the cause; the log
  says so once (one line for the failure, one for the recovery, not one per call);
- calls keep running: the ones that end meanwhile (TimeLimit, or hung up through the API)
  show as ended at once (API and memory agree), and their `completed` callbacks wait until
  the change is stored;
- after space returns, every held change commits in order: each call ends `completed` with
  duration = its TimeLimit and end_time = the moment it ended (before the space returned),
  its callbacks arrive in SequenceNumber order, creates work again, and a restart changes
  nothing.
Recordings disk full:
- a recording cut short ends `failed` with error 16104, its duration is what the file holds
  (a valid WAV whose header matches its size), the RecordingStatusCallback says `failed`;
- a recording that cannot be created at all ends `failed` with duration 0 and no file;
- no 0-byte file is ever left; a recording with room ends `completed` and holds its duration;
- a recording open when the server is killed (-9) ends `failed` at the next start, its file
  repaired to a valid WAV of what it holds and `duration` that long.
"""
import os
import shutil
import subprocess
import sys
import tempfile

if os.environ.get("AMD_DISKFULL_NS") != "1":
    # A private mount namespace: the tmpfs mounts vanish with this process, whatever happens.
    if os.geteuid() != 0:
        print("SKIP: mounting a small tmpfs needs root (run as root, e.g. in CI)")
        sys.exit(77)
    if not shutil.which("unshare"):
        print("SKIP: unshare(1) is not installed (util-linux)")
        sys.exit(77)
    env = dict(os.environ, AMD_DISKFULL_NS="1")
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                        os.path.abspath(__file__)], env=env)
    sys.exit(r.returncode)

import errno  # noqa: E402
import time  # noqa: E402
import wave  # noqa: E402
from email.utils import parsedate_to_datetime  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (FROM, HUMAN_STAYS, Receiver, Server, TwilioRestException, check,  # noqa: E402
                            finish, wait_call)

ROOT = tempfile.mkdtemp(prefix="amd-diskfull-")


def mount_tmpfs(name, size):
    d = os.path.join(ROOT, name)
    os.mkdir(d)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "tmpfs", d],
                       capture_output=True, text=True)
    if r.returncode != 0:
        shutil.rmtree(ROOT, ignore_errors=True)
        print("SKIP: cannot mount a tmpfs in a private mount namespace: %s" % r.stderr.strip())
        sys.exit(77)
    return d


def fill(d, leave=0):
    """Fill the file system of @d with a filler file, leaving about @leave bytes free."""
    path = os.path.join(d, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (1 << 16, 4096, 1):
            buf = b"\xa5" * chunk
            while True:
                st = os.statvfs(d)
                if leave and st.f_bavail * st.f_frsize <= leave + chunk:
                    break
                try:
                    os.write(fd, buf)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
            if leave:
                break
    finally:
        os.close(fd)
    return path


def log_text(srv):
    with open(os.path.join(srv.dir, "serve.log")) as f:
        return f.read()


def when(ts):
    return parsedate_to_datetime(ts).timestamp() if isinstance(ts, str) else ts.timestamp()


PAUSE = "<Response><Pause length=\"600\"/></Response>"
recv = Receiver()
recv.set("/st", "", status=204, ctype="text/plain")
recv.set("/rec", "", status=204, ctype="text/plain")
EVENTS = ["initiated", "ringing", "answered", "completed"]

try:
    # ------------------------------------------------------------------ database disk full
    print("database disk full during live calls")
    dbfs = mount_tmpfs("db", "8m")
    # recordings on the ordinary disk: only the database fills here
    srv = Server(clock_speed=1, cps=50, db=os.path.join(dbfs, "calls.db"),
                 extra=["--recordings", os.path.join(ROOT, "recordings-db-phase")])
    try:
        client = srv.client()
        limits = [6, 7, 8, 9, 10]  # seconds from the answer: they end after the disk has filled
        calls = [client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml=PAUSE, time_limit=lim, record=(lim == 6),
                                     status_callback=recv.url("/st"), status_callback_event=EVENTS)
                 for lim in limits]
        hang = client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml=PAUSE, time_limit=600,
                                   status_callback=recv.url("/st"), status_callback_event=EVENTS)
        for c in calls + [hang]:
            wait_call(client, c.sid, final=("in-progress",), timeout=30)
        filler = fill(dbfs)
        t_full = time.time()
        refused = None
        while time.time() - t_full < 15 and refused is None:
            try:
                extra = client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml=PAUSE, time_limit=1)
                wait_call(client, extra.sid, timeout=10)  # accepted before the store failed
            except TwilioRestException as ex:
                refused = ex
            time.sleep(0.2)
        check(refused is not None and refused.status == 503 and refused.code == 20503,
              "creates get 503 / 20503 while the database cannot be written (%s)" % refused)
        check(refused is not None and "database or disk is full" in str(refused.msg),
              "the 503 names the cause: %s" % (refused.msg if refused else None))
        u = client.calls(hang.sid).update(status="completed")
        t_hang = time.time()
        check(u.status == "completed", "a hang-up through the API during the outage answers completed (%s)" % u.status)
        time.sleep(max(limits) + 2)  # every time-limited call ends meanwhile
        seen = {c.sid: client.calls(c.sid).fetch().status for c in calls + [hang]}
        check(all(s == "completed" for s in seen.values()),
              "API agrees with memory during the outage: all ended calls read completed (%s)" % seen)
        recs = client.calls(calls[0].sid).recordings.list()
        check(len(recs) == 1 and recs[0].status == "completed" and int(recs[0].duration) == limits[0],
              "a recording that ended during the outage reads completed, its row not stored yet (%s)"
              % [(r.status, r.duration) for r in recs])
        listed = {c.sid: c.status for c in client.calls.list(to=HUMAN_STAYS)}
        check(all(listed.get(c.sid) == "completed" for c in calls + [hang]),
              "the calls list agrees too (%s)" % [listed.get(c.sid) for c in calls + [hang]])
        early = recv.matching(lambda r: r["path"] == "/st" and r["params"].get("CallStatus") == "completed"
                              and when(r["params"]["Timestamp"]) >= t_full)
        check(not early, "no completed callback is sent before the change is stored (%d)" % len(early))
        try:
            client.calls(calls[0].sid).delete()
            check(False, "a call whose end is not stored yet cannot be deleted")
        except TwilioRestException as ex:
            check(ex.status == 503, "deleting a call whose end is not stored yet: 503 (%s)" % ex.status)
        os.remove(filler)
        t_free = time.time()
        got = recv.wait_for(lambda r: r["path"] == "/st" and r["params"].get("CallStatus") == "completed"
                            and r["params"].get("CallSid") in [c.sid for c in calls + [hang]],
                            count=len(calls) + 1, timeout=30)
        check(len(got) == len(calls) + 1, "after space returns every completed callback is sent (%d)" % len(got))
        log = log_text(srv)
        n_fail = log.count("store: cannot write the database")
        n_back = log.count("store: database writable again")
        if not check(n_fail == 1 and n_back == 1,
                     "the log says why once per state change (failure lines %d, recovery lines %d)" % (n_fail, n_back)):
            print("\n".join(line for line in log.splitlines() if "store:" in line))
        check("database or disk is full" in log, "the log names the cause")
        final = {}
        during = []
        for c, lim in zip(calls, limits):
            f = client.calls(c.sid).fetch()
            final[c.sid] = f
            check(f.status == "completed" and int(f.duration) == lim,
                  "call with TimeLimit %d: completed, duration %s" % (lim, f.duration))
            end = when(f.end_time)
            check(end <= t_free, "its end_time is when it ended, before the space returned (%.1f s before)"
                  % (t_free - end))
            during.append(end >= t_full - 1)
        check(sum(during) >= 3, "most of them ended during the outage (%s)" % during)
        fh = client.calls(hang.sid).fetch()
        final[hang.sid] = fh
        check(fh.status == "completed" and abs(when(fh.end_time) - t_hang) <= 2,
              "the call hung up during the outage ends at the hang-up time (%s vs %.0f)" % (fh.end_time, t_hang))
        for c in calls + [hang]:
            seqs = [int(r["params"]["SequenceNumber"]) for r in recv.matching(
                lambda r: r["path"] == "/st" and r["params"].get("CallSid") == c.sid)]
            check(seqs == sorted(seqs) and len(seqs) == 4, "call %s: callbacks in order %s" % (c.sid[-6:], seqs))
        late = [r for r in got if when(r["params"]["Timestamp"]) > t_free + 1]
        check(not late, "completed callbacks carry the event time, not the commit time (%d late)" % len(late))
        again = client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml=PAUSE, time_limit=1)
        check(again.status == "queued", "creates work again after the space returned")
        wait_call(client, again.sid, timeout=20)
        srv.stop()
        srv.start()
        client = srv.client()
        same = all(client.calls(s).fetch().end_time == f.end_time and client.calls(s).fetch().duration == f.duration
                   for s, f in final.items())
        check(same, "a restart changes nothing: the real end times were stored")
    finally:
        srv.cleanup()

    # ------------------------------------------------------------------ recordings disk full
    print("recordings disk full during live calls")
    recfs = mount_tmpfs("rec", "1m")
    recdir = os.path.join(recfs, "recordings")
    srv = Server(clock_speed=1, cps=50, extra=["--recordings", recdir])
    try:
        client = srv.client()

        def recorded_call(limit):
            return client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml=PAUSE, time_limit=limit, record=True,
                                       recording_status_callback=recv.url("/rec"),
                                       recording_status_callback_event=["in-progress", "completed"])

        ok = recorded_call(2)
        wait_call(client, ok.sid, timeout=30)
        filler = fill(recfs, leave=160 * 1024)  # room for about 10 s of 8 kHz audio in all
        cut = [recorded_call(8) for _ in range(4)]
        for c in cut:
            wait_call(client, c.sid, timeout=40)
        fill(recfs)  # no room at all: a new recording cannot even be created
        none = recorded_call(3)
        wait_call(client, none.sid, timeout=30)
        recv.wait_for(lambda r: r["path"] == "/rec" and r["params"].get("RecordingStatus") in ("completed", "failed"),
                      count=6, timeout=20)

        def rec_of(call):
            rs = client.calls(call.sid).recordings.list()
            return rs[0] if rs else None

        def frames_in(path):
            with wave.open(path, "rb") as w:
                n, rate, width, ch = w.getnframes(), w.getframerate(), w.getsampwidth(), w.getnchannels()
            size = os.path.getsize(path)
            return n, rate, size == 44 + n * width * ch

        r = rec_of(ok)
        path = os.path.join(recdir, r.sid + ".wav") if r else ""
        if check(r is not None and r.status == "completed" and os.path.exists(path), "a recording with room: completed"):
            n, rate, whole = frames_in(path)
            check(whole and int(r.duration) == round(n / rate) == 2,
                  "its duration %s matches the file (%d frames at %d Hz)" % (r.duration, n, rate))
        statuses = []
        for c in cut:
            r = rec_of(c)
            statuses.append(r.status if r else None)
            if not r:
                continue
            path = os.path.join(recdir, r.sid + ".wav")
            if r.status == "failed":
                check(r.error_code == 16104, "a recording cut short: failed with 16104 (%s)" % r.error_code)
                if os.path.exists(path):
                    n, rate, whole = frames_in(path)
                    check(whole and n > 0 and int(r.duration) == int(n / rate + 0.5) and int(r.duration) < 8,
                          "its duration %s is what the file holds (%d frames at %d Hz, header matches size)"
                          % (r.duration, n, rate))
                else:
                    check(int(r.duration) == 0, "no file: duration 0 (%s)" % r.duration)
            else:
                n, rate, whole = frames_in(path)
                check(whole and int(r.duration) == round(n / rate), "a completed one holds its duration")
        check(statuses.count("failed") >= 2, "recordings that ran out of space end failed: %s" % statuses)
        r = rec_of(none)
        check(r is not None and r.status == "failed" and int(r.duration) == 0 and r.error_code == 16104
              and not os.path.exists(os.path.join(recdir, r.sid + ".wav")),
              "a recording that cannot be created: failed, duration 0, no file")
        cbs = recv.matching(lambda r: r["path"] == "/rec" and r["params"].get("RecordingStatus") == "failed")
        check(len(cbs) >= 3 and all(r["params"].get("ErrorCode") == "16104" for r in cbs),
              "RecordingStatusCallback says failed with ErrorCode 16104 (%d)" % len(cbs))
        empty = [f for f in os.listdir(recdir) if os.path.getsize(os.path.join(recdir, f)) == 0]
        check(not empty, "no 0-byte recording files (%s)" % empty)
        check("failed: writing" in log_text(srv), "the log says why a recording failed")
        # a recording interrupted by kill -9 is not left half-described either
        os.remove(filler)  # the one filler file of both fills
        crash = recorded_call(600)
        wait_call(client, crash.sid, final=("in-progress",), timeout=30)
        time.sleep(3)
        srv.kill()
        srv.start()
        client = srv.client()
        r = rec_of(crash)
        path = os.path.join(recdir, r.sid + ".wav") if r else ""
        if check(r is not None and r.status == "failed" and r.error_code == 16104 and os.path.exists(path),
                 "after kill -9 the open recording ends failed / 16104 (%s)" % (r.status if r else None)):
            n, rate, whole = frames_in(path)
            check(whole and int(r.duration) == int(n / rate + 0.5) and 2 <= int(r.duration) <= 5,
                  "its file is repaired and its duration %s is what it holds (%d frames)" % (r.duration, n))
    finally:
        srv.cleanup()
finally:
    for d in ("db", "rec"):
        p = os.path.join(ROOT, d)
        if os.path.ismount(p):
            subprocess.run(["umount", p])
    shutil.rmtree(ROOT, ignore_errors=True)
finish()
