#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Three `amd serve` processes on one PostgreSQL database behind HAProxy (examples/haproxy.cfg).

The python `twilio` client, through the balancer, places 300 calls at --cps 20 on the simulated
carrier; calls are fetched and listed through different processes; one process is killed with
kill -9 in the middle. Checks: every call that got a 201 ends in a final state; none was dialed
twice (at most one `initiated` status callback per CallSid, exactly one `completed`), each call's
SequenceNumbers run 0, 1, 2... without a gap or a repeat (also across the take-over); no calendar
second of start_time holds more than 20 calls (start_time is whole seconds on the wire); every
surviving process lists the same calls, and pages fetched through different processes join up;
a recording is fetchable through every process; an update sent to a process that does not run
the call reaches the one that does (Status=completed); a schema newer than the binary is refused.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from base64 import b64encode
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_harness  # noqa: E402
from twilio_harness import (ACCOUNT, AMD_BIN, BUSY, FROM, HUMAN, HUMAN_STAYS, MACHINE_BEEP, NO_ANSWER,  # noqa: E402
                            SRC, TOKEN, Client, Receiver, Server, check, finish)

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
if not os.access(HAPROXY, os.X_OK):
    print("SKIP: haproxy is not installed (apt-get install haproxy)")
    sys.exit(77)

N_CALLS = 300
CPS = 20
FINAL = ("completed", "busy", "no-answer", "failed", "canceled")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def client_at(base):
    c = Client(ACCOUNT, TOKEN)
    c.api.base_url = base
    return c


def get(url, auth=True):
    req = urllib.request.Request(url)
    if auth:
        req.add_header("Authorization", "Basic " + b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def start_haproxy(folder, ports):
    cfg = open(os.path.join(SRC, "examples", "haproxy.cfg")).read()
    front = free_port()
    cfg = cfg.replace("bind 127.0.0.1:8080", "bind 127.0.0.1:%d" % front)
    for i, p in enumerate(ports):
        cfg = cfg.replace("127.0.0.1:%d check" % (8081 + i), "127.0.0.1:%d check" % p)
    path = os.path.join(folder, "haproxy.cfg")
    with open(path, "w") as f:
        f.write(cfg)
    proc = subprocess.Popen([HAPROXY, "-db", "-f", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % front
    for _ in range(100):
        if proc.poll() is not None:
            raise RuntimeError("haproxy exited")
        try:
            if get(base + "/health", auth=False)[0] == 200:
                return proc, base
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("haproxy did not come up")


def list_all(client):
    """Every call of the account through one process, following next_page_uri."""
    return [c.sid for c in client.calls.list(page_size=100)]


def main():
    pg = pg_harness.Postgres()
    shared = tempfile.mkdtemp(prefix="amd-pg-rec-")  # the recordings folder all processes share
    os.chmod(shared, 0o700)
    recv = Receiver()
    servers = []
    for name in ("amd1", "amd2", "amd3"):
        servers.append(Server(clock_speed=1, cps=CPS, db=pg.uri,
                              extra=["--instance", name, "--recordings", shared, "--log-level", "info"]))
    ports = [int(s.base.rsplit(":", 1)[1]) for s in servers]
    hap, lb = start_haproxy(shared, ports)
    try:
        run_checks(pg, servers, lb, recv, shared)
    finally:
        hap.terminate()
        hap.wait()
        for s in servers:
            if s.proc.poll() is None:
                s.cleanup()
        shutil.rmtree(shared, ignore_errors=True)
    finish()


def create_calls(lb, recv):
    plan = [HUMAN, MACHINE_BEEP, BUSY, NO_ANSWER, HUMAN]
    sids, errors = [], []
    lock = threading.Lock()

    def one(i):
        c = client_at(lb)
        to = plan[i % len(plan)]
        kw = dict(to=to, from_=FROM, url=recv.url("/twiml"), status_callback=recv.url("/status"),
                  status_callback_event=["initiated", "ringing", "answered", "completed"], timeout=4)
        if i % 50 == 0 and to == HUMAN:
            kw["record"] = True
        try:
            call = c.calls.create(**kw)
            with lock:
                sids.append(call.sid)
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(repr(e))

    with ThreadPoolExecutor(max_workers=6) as ex:
        list(ex.map(one, range(N_CALLS)))
    return sids, errors


def run_checks(pg, servers, lb, recv, shared):
    recv.set("/twiml", "<Response><Pause length=\"4\"/></Response>")
    # /health and /ready through the balancer; the instance name is reported
    code, body = get(lb + "/ready", auth=False)
    check(code == 200 and b"amd" in body, "/ready through HAProxy answers 200 with the instance name")

    t0 = time.time()
    result = {}
    creator = threading.Thread(target=lambda: result.update(zip(("sids", "errors"), create_calls(lb, recv))))
    creator.start()
    # kill -9 one process mid-run, while it runs calls and creates go on through the balancer
    victim = servers[1]
    live_at_kill = 0
    for _ in range(300):  # until it has calls both being placed and answered
        live_at_kill, answered = map(int, pg.psql(
            "SELECT count(*), count(*) FILTER (WHERE status='in-progress') FROM calls WHERE owner='amd2'"
            " AND status IN ('queued','ringing','in-progress')")[0])
        if live_at_kill >= 10 and answered >= 3:
            break
        time.sleep(0.05)
    victim.kill(signal.SIGKILL)
    t_kill = time.time()
    print("  killed amd2 with %d live call(s), %.1f s into the run" % (live_at_kill, t_kill - t0))
    check(live_at_kill > 0, "the killed process was running calls")
    alive = [servers[0], servers[2]]
    creator.join()
    sids, errors = result["sids"], result["errors"]
    # a create in flight on the killed process gets no answer (HAProxy retries only refused connections)
    check(len(sids) >= N_CALLS - 6 and len(sids) + len(errors) == N_CALLS,
          "%d of %d creates through HAProxy answered 201 (errors: %s)" % (len(sids), N_CALLS, errors[:3]))
    print("  created %d calls in %.1f s" % (len(sids), time.time() - t0))
    # the dead process's live calls are taken over (owned by a survivor) within 5 s
    left = -1
    while time.time() - t_kill < 10:
        left = int(pg.psql("SELECT count(*) FROM calls WHERE owner='amd2'"
                           " AND status IN ('queued','ringing','in-progress')")[0][0])
        if left == 0:
            break
        time.sleep(0.1)
    took = time.time() - t_kill
    check(left == 0, "the killed process's live calls were taken over %.1f s after kill -9" % took)

    # every call reaches a final state (fetched through the balancer and through each survivor)
    deadline = time.time() + 90
    pending = set(sids)
    while pending and time.time() < deadline:
        time.sleep(1)
        done = {r[0] for r in pg.psql("SELECT sid FROM calls WHERE status IN ('completed','busy','no-answer',"
                                      "'failed','canceled')")}
        pending -= done
    check(not pending, "every created call ended in a final state (%d left)" % len(pending))
    # closed out truthfully: answered ones completed at the dead process's last heartbeat (with a
    # duration), the ones being placed failed
    done, failed, bad = map(int, pg.psql(
        "SELECT count(*) FILTER (WHERE status='completed' AND duration IS NOT NULL AND end_time IS NOT NULL),"
        " count(*) FILTER (WHERE status='failed'),"
        " count(*) FILTER (WHERE status NOT IN ('completed','failed'))"
        " FROM calls WHERE owner<>'amd2' AND error_message LIKE 'server stopped%'")[0])
    check(done > 0 and bad == 0, "the dead process's answered calls ended completed (%d), those being placed failed (%d)"
          % (done, failed))

    statuses = Counter()
    for i, sid in enumerate(sids):
        c = client_at([lb, alive[0].base, alive[1].base][i % 3]).calls(sid).fetch()
        statuses[c.status] += 1
    check(sum(statuses[s] for s in FINAL) == len(sids), "fetched through 3 routes, all final: %s" % dict(statuses))

    # callbacks: none dialed twice, one completed each, SequenceNumber 0.. without gaps
    time.sleep(1.5)
    cbs = defaultdict(list)
    for r in recv.matching(lambda r: r["path"] == "/status"):
        cbs[r["params"].get("CallSid")].append(r["params"])
    twice = [s for s in sids if sum(1 for p in cbs[s] if p.get("CallbackSource") == "call-progress-events"
                                    and p.get("CallStatus") == "initiated") > 1]
    check(not twice, "no call was dialed twice (initiated callbacks > 1: %s)" % twice[:3])
    completed = [s for s in sids if sum(1 for p in cbs[s] if p.get("CallStatus") in FINAL) != 1]
    check(not completed, "each call sent exactly one final status callback (not: %s)" % completed[:3])
    # A call the killed process ran may miss a callback it had stored but not yet sent when it
    # died; the survivor continues from the stored SequenceNumber, so those only never repeat.
    taken = {r[0] for r in pg.psql("SELECT sid FROM calls WHERE error_message LIKE 'server stopped%'")}
    bad_seq = []
    for s in sids:
        seqs = sorted(int(p.get("SequenceNumber", -1)) for p in cbs[s])
        if (seqs != list(range(len(seqs))) if s not in taken else
                (len(set(seqs)) != len(seqs) or not seqs)):
            bad_seq.append((s, seqs))
    check(not bad_seq, "SequenceNumber runs 0, 1, 2... per call, never repeats across the take-over (bad: %s)"
          % bad_seq[:2])

    # CPS: no calendar second of start_time holds more than CPS calls
    starts = Counter()
    for r in pg.psql("SELECT start_time/1000 FROM calls WHERE start_time IS NOT NULL"):
        starts[r[0]] += 1
    worst = max(starts.values()) if starts else 0
    check(0 < worst <= CPS, "no second of start_time over %d calls across the cluster (worst %d)" % (CPS, worst))

    # every surviving process lists the same calls; pages through different processes join up
    lists = [sorted(list_all(client_at(s.base))) for s in alive]
    check(lists[0] == lists[1] and set(sids) <= set(lists[0]),
          "both surviving processes list the same %d calls" % len(lists[0]))
    page1 = client_at(alive[0].base).calls.page(page_size=50)
    status, body = get(alive[1].base + re.sub(r"^https?://[^/]+", "", page1.next_page_url))
    page2 = [c["sid"] for c in json.loads(body)["calls"]] if status == 200 else []
    whole = list_all(client_at(alive[0].base))
    check([c.sid for c in page1] + page2 == whole[:100],
          "page 1 from one process and page 2 from another join up (status %d)" % status)

    # recordings: the media through every surviving process and the balancer
    recs = client_at(alive[0].base).recordings.list(limit=5)
    check(len(recs) >= 1, "recordings were made (%d)" % len(recs))
    for r in recs[:2]:
        for base in [lb] + [s.base for s in alive]:
            code, data = get("%s/2010-04-01/Accounts/%s/Recordings/%s.wav" % (base, ACCOUNT, r.sid))
            check(code == 200 and data[:4] == b"RIFF", "recording %s fetchable through %s" % (r.sid, base))

    # an update sent to a process that does not run the call reaches its owner
    stay = client_at(lb).calls.create(to=HUMAN_STAYS, from_=FROM, url=recv.url("/twiml"))
    owner = None
    for _ in range(400):
        rows = pg.psql("SELECT owner, status FROM calls WHERE sid='%s'" % stay.sid)
        if rows and rows[0][0] and rows[0][1] == "in-progress":
            owner = rows[0][0]
            break
        time.sleep(0.05)
    check(owner is not None, "the long call %s is in progress on %s" % (stay.sid, owner))
    other = [s for s, n in zip(alive, ("amd1", "amd3")) if n != owner][0]
    t = time.time()
    upd = client_at(other.base).calls(stay.sid).update(status="completed")
    took = time.time() - t
    check(upd.status == "completed", "Status=completed sent to another process ended the call (answer %s, %.0f ms)"
          % (upd.status, took * 1000))

    # a schema newer than the binary is refused with a clear message
    pg.psql("UPDATE meta SET value=99 WHERE key='schema_version'")
    p = subprocess.run([AMD_BIN, "serve", "--db", pg.uri, "--listen", "127.0.0.1:0", "--instance", "newer"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode != 0 and "newer than this amd serve" in p.stderr,
          "a schema newer than the binary is refused: %r" % p.stderr.strip()[:200])
    pg.psql("UPDATE meta SET value=2 WHERE key='schema_version'")

    # a clean stop leaves the cluster at once
    alive[1].cleanup()
    rows = pg.psql("SELECT state FROM instances WHERE name='amd3'")
    check(rows and rows[0][0] == "stopped", "a clean stop marks the instance stopped (%s)" % rows)
    rows = pg.psql("SELECT state FROM instances WHERE name='amd2'")
    check(rows and rows[0][0] == "dead", "the killed instance was declared dead (%s)" % rows)
    victim.log.close()


if __name__ == "__main__":
    main()
