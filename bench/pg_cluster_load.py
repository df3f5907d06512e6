# SPDX-License-Identifier: MIT
"""Several `amd serve` processes on one PostgreSQL (README "Running several processes"):

  /usr/bin/python3 bench/pg_cluster_load.py BUILD/cli/amd http     [--seconds 8]
      create and fetch requests/s through HAProxy (examples/haproxy.cfg) over 3 processes on
      PostgreSQL, against one process on SQLite, both with wrk (Debian wrk) on the same cores
  /usr/bin/python3 bench/pg_cluster_load.py BUILD/cli/amd live     [--calls 1500] [--hold 30]
      --calls AMD calls live at once, spread over 3 processes (--media-priority 10), media
      clock lateness of each process from its stop line
  /usr/bin/python3 bench/pg_cluster_load.py BUILD/cli/amd failover [--calls 300]
      kill -9 of one process running calls: time until every call it owned is taken over and
      closed out; and forwarded updates (Status=completed sent to a process that does not
      run the call): time to the answer
  /usr/bin/python3 bench/pg_cluster_load.py BUILD/cli/amd commit   [--seconds 10]
      PostgreSQL commit latency p50 / p99 with pgbench (Debian postgresql) running the
      transaction the store writer commits for a call's transition (update + event), 3 clients

PostgreSQL runs with fsync=on (a real commit) in a temporary folder (tests/integration/
pg_harness.py; as `nobody` when root). Databases and folders live on the usual disk.
"""
import argparse
import base64
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import pg_harness  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("amd")
ap.add_argument("mode", choices=("http", "live", "failover", "commit"))
ap.add_argument("--seconds", type=int, default=8)
ap.add_argument("--calls", type=int, default=0)
ap.add_argument("--hold", type=int, default=30)
ap.add_argument("--connections", type=int, default=32)
a = ap.parse_args()

AC, TK = "AC" + "7" * 32, "benchtoken"
AUTH = "Basic " + base64.b64encode((AC + ":" + TK).encode()).decode()
BASE = "/2010-04-01/Accounts/%s" % AC
tmp = tempfile.mkdtemp(prefix="amd-pg-bench-")
os.chmod(tmp, 0o755)
NOEND = os.path.join(SRC, "testdata", "machine_noend_long_00010.wav")
procs = []


def plan(route):
    p = os.path.join(tmp, "plan-%d.json" % len(os.listdir(tmp)))
    json.dump({"routes": [route]}, open(p, "w"))
    return p


def serve(db, planfile, name=None, cps=10000, extra=()):
    args = [a.amd, "serve", "--listen", "127.0.0.1:0", "--db", db, "--dialplan", planfile, "--cps", str(cps),
            "--account", AC + ":" + TK, "--log-level", "warn", "--recordings", os.path.join(tmp, "rec")]
    if name:
        args += ["--instance", name]
    args += list(extra)
    err = open(os.path.join(tmp, "err-%s" % (name or "sqlite")), "w")
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True)
    m = re.search(r"listening on http://[^:]*:(\d+)", p.stdout.readline())
    if not m:
        sys.exit("amd serve did not start: " + open(err.name).read())
    threading.Thread(target=p.stdout.read, daemon=True).start()
    p.port = int(m.group(1))
    p.errfile = err.name
    procs.append(p)
    return p


def haproxy(ports):
    cfg = open(os.path.join(SRC, "examples", "haproxy.cfg")).read()
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    front = s.getsockname()[1]
    s.close()
    cfg = cfg.replace("bind 127.0.0.1:8080", "bind 127.0.0.1:%d" % front)
    for i, port in enumerate(ports):
        cfg = cfg.replace("127.0.0.1:%d check" % (8081 + i), "127.0.0.1:%d check" % port)
    path = os.path.join(tmp, "haproxy.cfg")
    open(path, "w").write(cfg)
    p = subprocess.Popen(["haproxy", "-db", "-f", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    time.sleep(1.5)  # the first health checks
    return front


def post(port, path, form):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), urllib.parse.urlencode(form).encode(),
                                 {"Authorization": AUTH})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def create_many(port, n, form, threads=4):
    sids, lock = [], threading.Lock()

    def work(k, off):
        for i in range(k):
            f = dict(form, To="+1557%07d" % (off + i), From="+15005550006")
            d = post(port, BASE + "/Calls.json", f)
            with lock:
                sids.append(d["sid"])

    ths = [threading.Thread(target=work, args=(n // threads + (j < n % threads), j * n)) for j in range(threads)]
    [t.start() for t in ths]
    [t.join() for t in ths]
    return sids


def wrk(port, lua, seconds):
    out = subprocess.run(["wrk", "-t2", "-c%d" % a.connections, "-d%ds" % seconds, "--latency", "-s", lua,
                          "http://127.0.0.1:%d" % port], capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"\n\s+99%\s+(\S+)", out)
    non2 = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(rps.group(1)) if rps else 0.0, p99.group(1) if p99 else "?", int(non2.group(1)) if non2 else 0


def lua_fetch(sids):
    p = os.path.join(tmp, "fetch.lua")
    with open(p, "w") as f:
        f.write("sids = {%s}\n" % ",".join('"%s"' % s for s in sids))
        f.write('wrk.headers["Authorization"] = "%s"\n' % AUTH)
        f.write('request = function()\n  return wrk.format("GET", "%s/Calls/" .. sids[math.random(#sids)] .. ".json")\n'
                'end\n' % BASE)
    return p


def lua_create():
    p = os.path.join(tmp, "create.lua")
    with open(p, "w") as f:
        f.write('wrk.method = "POST"\n')
        f.write('wrk.headers["Authorization"] = "%s"\n' % AUTH)
        f.write('wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
        f.write('n = 0\nrequest = function()\n  n = n + 1\n'
                '  return wrk.format("POST", "%s/Calls.json", nil, "To=%%2B1557" .. string.format("%%07d", n %% 9999999) ..'
                ' "&From=%%2B15005550006&Twiml=%%3CResponse%%2F%%3E")\nend\n' % BASE)
    return p


def mode_http():
    busy = plan({"to": "+1557*", "outcome": "busy"})
    rows = []
    print("load average before: %s" % open("/proc/loadavg").read().strip())
    # one process on SQLite
    lite = serve(os.path.join(tmp, "calls.db"), busy)
    sids = create_many(lite.port, 1000, {"Twiml": "<Response/>"})
    time.sleep(2)
    rows.append(("1 process, SQLite", "fetch") + wrk(lite.port, lua_fetch(sids), a.seconds))
    rows.append(("1 process, SQLite", "create") + wrk(lite.port, lua_create(), a.seconds))
    lite.send_signal(signal.SIGTERM)
    lite.wait()
    # three processes on PostgreSQL behind HAProxy
    pg = pg_harness.Postgres(fsync=True)
    cl = [serve(pg.uri, busy, "b%d" % i) for i in range(3)]
    front = haproxy([p.port for p in cl])
    sids = create_many(front, 1000, {"Twiml": "<Response/>"})
    time.sleep(3)
    rows.append(("3 processes, PostgreSQL, HAProxy", "fetch") + wrk(front, lua_fetch(sids), a.seconds))
    rows.append(("3 processes, PostgreSQL, HAProxy", "create") + wrk(front, lua_create(), a.seconds))
    one = cl[0].port
    rows.append(("1 of the 3 processes directly", "fetch") + wrk(one, lua_fetch(sids), a.seconds))
    print("load average after: %s" % open("/proc/loadavg").read().strip())
    print("| setup | request | requests/s | p99 | non-2xx |\n|---|---|---:|---:|---:|")
    for r in rows:
        print("| %s | %s | %.0f | %s | %d |" % r)
    pg.stop()


def stop_line(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    for line in open(p.errfile):
        if "media clock" in line:
            return line.split("media clock: ", 1)[1].strip()
    return "?"


def mode_live():
    n = a.calls or 1500
    pg = pg_harness.Postgres(fsync=True)
    pl = plan({"to": "+1557*", "audio": NOEND, "ring_ms": 500, "outcome": "answer", "hangup": "never"})
    cl = [serve(pg.uri, pl, "l%d" % i, cps=200, extra=["--media-priority", "10"]) for i in range(3)]
    front = haproxy([p.port for p in cl])
    print("load average before: %s" % open("/proc/loadavg").read().strip())
    t0 = time.time()
    form = {"Twiml": "<Response><Pause length=\"600\"/></Response>", "MachineDetection": "DetectMessageEnd",
            "MachineDetectionTimeout": "59"}
    create_many(front, n, form, threads=6)
    print("%d calls created through HAProxy in %.1f s (dialed at 200/s cluster-wide)" % (n, time.time() - t0))
    deadline = time.time() + 60
    while time.time() < deadline:
        live = pg.psql("SELECT owner, count(*) FROM calls WHERE status='in-progress' GROUP BY owner ORDER BY owner")
        if sum(int(r[1]) for r in live) >= n:
            break
        time.sleep(0.5)
    print("in progress per process: %s" % ", ".join("%s %s" % (r[0], r[1]) for r in live))
    time.sleep(a.hold)
    print("load average after hold: %s" % open("/proc/loadavg").read().strip())
    for i, p in enumerate(cl):
        print("l%d: %s" % (i, stop_line(p)))
    pg.stop()


def mode_failover():
    n = a.calls or 300
    pg = pg_harness.Postgres(fsync=True)
    pl = plan({"to": "+1557*", "audio": NOEND, "ring_ms": 500, "outcome": "answer", "hangup": "never"})
    cl = [serve(pg.uri, pl, "f%d" % i, cps=100) for i in range(3)]
    print("load average before: %s" % open("/proc/loadavg").read().strip())
    create_many(cl[0].port, n, {"Twiml": "<Response><Pause length=\"600\"/></Response>"})
    deadline = time.time() + 60
    while int(pg.psql("SELECT count(*) FROM calls WHERE status='in-progress'")[0][0]) < n and time.time() < deadline:
        time.sleep(0.2)
    # forwarded updates: each call's Status=completed sent to a process that does not own it
    owners = dict((r[0], r[1]) for r in pg.psql("SELECT sid, owner FROM calls"))
    ports = {"f%d" % i: p.port for i, p in enumerate(cl)}
    lat = []
    for sid in list(owners)[:30]:
        other = [port for name, port in ports.items() if name != owners[sid]][0]
        t = time.time()
        d = post(other, BASE + "/Calls/%s.json" % sid, {"Status": "completed"})
        lat.append((time.time() - t) * 1000)
        assert d["status"] == "completed", d
    lat.sort()
    print("forwarded Status=completed, %d calls: p50 %.1f ms, p90 %.1f ms, max %.1f ms (request to answer, "
          "through NOTIFY to the owner and back)" % (len(lat), lat[len(lat) // 2], lat[int(len(lat) * 0.9)], lat[-1]))
    victim = cl[1]
    owned = int(pg.psql("SELECT count(*) FROM calls WHERE owner='f1' AND status='in-progress'")[0][0])
    victim.send_signal(signal.SIGKILL)
    t0 = time.time()
    left = owned
    while left and time.time() - t0 < 30:
        left = int(pg.psql("SELECT count(*) FROM calls WHERE owner='f1' AND status IN ('queued','ringing','in-progress')")[0][0])
        time.sleep(0.02)
    t_adopt = time.time() - t0
    while time.time() - t0 < 30:
        open_ = int(pg.psql("SELECT count(*) FROM calls WHERE error_message LIKE 'server stopped%' AND "
                            "status IN ('queued','ringing','in-progress')")[0][0])
        closed = int(pg.psql("SELECT count(*) FROM calls WHERE error_message LIKE 'server stopped%'")[0][0])
        if closed >= owned and open_ == 0:
            break
        time.sleep(0.02)
    t_closed = time.time() - t0
    print("kill -9 of f1 with %d answered calls: all taken over after %.2f s, all closed out (completed, stored) "
          "after %.2f s" % (owned, t_adopt, t_closed))
    for p in (cl[0], cl[2]):
        p.send_signal(signal.SIGTERM)
        p.wait()
    pg.stop()


def mode_commit():
    pg = pg_harness.Postgres(fsync=True)
    # the schema: one amd serve start migrates it, then stops
    p = serve(pg.uri, plan({"to": "+1557*", "outcome": "busy"}), "c0")
    p.send_signal(signal.SIGTERM)
    p.wait()
    pg.psql("INSERT INTO calls(sid, account_sid, to_addr, from_addr, status, params) SELECT 'CA' || lpad(g::text, 32, '0'),"
            " '%s', '+15551230001', '+15005550006', 'in-progress', '' FROM generate_series(1, 1000) g" % AC)
    script = os.path.join(tmp, "tx.sql")
    with open(script, "w") as f:
        f.write("\\set n random(1, 1000)\n"
                "BEGIN;\n"
                "UPDATE calls SET status='in-progress', date_updated=:n, cb_seq=cb_seq+1 WHERE sid='CA' || lpad(:n::text, 32, '0');\n"
                "INSERT INTO events(call_sid, t, request, response) VALUES('CA' || lpad(:n::text, 32, '0'), :n,"
                " '{\"method\":\"POST\"}', NULL);\n"
                "COMMIT;\n")
    os.chmod(tmp, 0o755)
    os.chmod(script, 0o644)
    log_dir = tempfile.mkdtemp(prefix="amd-pgbench-")
    os.chmod(log_dir, 0o777)
    r = subprocess.run(pg.as_user + [os.path.join(pg.bin, "pgbench"), "-h", pg.dir, "-U", "amd", "-n", "-c", "3", "-j", "3",
                                     "-T", str(a.seconds), "-f", script, "-l", "--log-prefix", os.path.join(log_dir, "tx"),
                                     "postgres"], capture_output=True, text=True, cwd=log_dir)
    lat = []
    for fn in os.listdir(log_dir):
        for line in open(os.path.join(log_dir, fn)):
            f = line.split()
            if len(f) >= 3:
                lat.append(int(f[2]) / 1000.0)
    lat.sort()
    tps = re.search(r"tps = ([\d.]+)", r.stdout)
    print("load average: %s" % open("/proc/loadavg").read().strip())
    print("pgbench -c 3 -T %d, fsync=on, a transition's transaction (UPDATE calls + INSERT events, COMMIT): %d "
          "transactions, %s tps; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms"
          % (a.seconds, len(lat), tps.group(1) if tps else "?", statistics.median(lat) if lat else 0,
             lat[int(len(lat) * 0.99)] if lat else 0, lat[-1] if lat else 0))
    subprocess.run(["rm", "-rf", log_dir])
    pg.stop()


try:
    print("# /usr/bin/python3 bench/pg_cluster_load.py %s" % " ".join(sys.argv[1:]))
    {"http": mode_http, "live": mode_live, "failover": mode_failover, "commit": mode_commit}[a.mode]()
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    subprocess.run(["rm", "-rf", tmp])
