# SPDX-License-Identifier: MIT
"""List / fetch throughput of `amd serve` on loopback (the budget: >= 2,000 requests/s), with
wrk (Debian package `wrk`) as the load tool, so the client is not the bottleneck.

  /usr/bin/python3 bench/load_http.py BUILD/cli/amd [--calls 1000] [--seconds 10]
      [--connections 32] [--threads 2] [--during-load]

Starts a server (database on /dev/shm), stores --calls calls (busy far ends, so they end at
once; --during-load instead answers them with AMD running for the whole measurement), then
runs wrk for --seconds each on: fetch (GET .../Calls/{random stored Sid}.json), list
(GET .../Calls.json?PageSize=50), and a 50/50 mix. Prints wrk's requests/s, latency and the
server's CPU; wrk itself runs on the same 2 cores.
"""
import argparse
import base64
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument("amd")
ap.add_argument("--calls", type=int, default=1000)
ap.add_argument("--seconds", type=int, default=10)
ap.add_argument("--connections", type=int, default=32)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--during-load", action="store_true")
a = ap.parse_args()

AC, TK = "AC" + "7" * 32, "benchtoken"
tmp = tempfile.mkdtemp(prefix="amd-load-http-", dir="/dev/shm")
db = os.path.join(tmp, "calls.db")
noend = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "machine_noend_long_00010.wav")
plan = os.path.join(tmp, "plan.json")
route = ({"to": "+1557*", "audio": os.path.abspath(noend), "ring_ms": 500, "outcome": "answer", "hangup": "never"}
         if a.during_load else {"to": "+1557*", "outcome": "busy"})
json.dump({"routes": [route]}, open(plan, "w"))
srv = subprocess.Popen([a.amd, "serve", "--listen", "127.0.0.1:0", "--db", db, "--dialplan", plan, "--cps", "10000",
                        "--account", AC + ":" + TK, "--log-level", "warn"],
                       stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "err"), "w"), text=True)
port = None
for _ in range(20):
    m = re.search(r"listening on http://[^:]*:(\d+)", srv.stdout.readline())
    if m:
        port = int(m.group(1))
        break
if not port:
    srv.kill()
    sys.exit("amd serve did not start: " + open(os.path.join(tmp, "err")).read())
auth = "Basic " + base64.b64encode((AC + ":" + TK).encode()).decode()
hdr = {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}
sids, lock = [], threading.Lock()
twiml = "<Response><Pause length=\"600\"/></Response>"


def creator(k, off):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(k):
        form = {"To": "+1557%07d" % (off + i), "From": "+15005550006", "Twiml": twiml}
        if a.during_load:
            form.update({"MachineDetection": "DetectMessageEnd", "MachineDetectionTimeout": "59"})
        c.request("POST", "/2010-04-01/Accounts/%s/Calls.json" % AC, urllib.parse.urlencode(form), hdr)
        r = c.getresponse()
        d = json.loads(r.read())
        with lock:
            sids.append(d["sid"])


ths = [threading.Thread(target=creator, args=(a.calls // 4, j * a.calls)) for j in range(4)]
[t.start() for t in ths]
[t.join() for t in ths]
time.sleep(3)  # dialed, answered (during-load) or ended (busy)
base = "/2010-04-01/Accounts/%s" % AC
lua = os.path.join(tmp, "req.lua")


def write_lua(mode):
    with open(lua, "w") as f:
        f.write('MODE = "%s"\n' % mode)
        f.write("sids = {%s}\n" % ",".join('"%s"' % s for s in sids))
        f.write('wrk.headers["Authorization"] = "%s"\n' % auth)
        f.write("n = 0\n")
        f.write("request = function()\n  n = n + 1\n")
        f.write("  if MODE == \"list\" or (MODE == \"mix\" and n %% 2 == 0) then\n"
                "    return wrk.format(\"GET\", \"%s/Calls.json?PageSize=50\")\n  end\n" % base)
        f.write("  return wrk.format(\"GET\", \"%s/Calls/\" .. sids[math.random(#sids)] .. \".json\")\nend\n" % base)


def cpu(pid):
    st = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")


print("# /usr/bin/python3 bench/load_http.py %s" % " ".join(sys.argv[1:]))
print("load average before: %s" % open("/proc/loadavg").read().strip())
print("%d calls stored%s; wrk -t%d -c%d -d%ds; amd serve with its 2 HTTP worker threads" %
      (len(sids), " (answered, AMD running)" if a.during_load else "", a.threads, a.connections, a.seconds))
for mode in ("fetch", "list", "mix"):
    write_lua(mode)
    c0, t0 = cpu(srv.pid), time.time()
    out = subprocess.run(["wrk", "-t%d" % a.threads, "-c%d" % a.connections, "-d%ds" % a.seconds, "--latency",
                          "-s", lua, "http://127.0.0.1:%d" % port], capture_output=True, text=True).stdout
    c1, t1 = cpu(srv.pid), time.time()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+(\S+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    non2 = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    print("%-5s %8.0f requests/s  latency p50 %s p99 %s  non-2xx %s  %s  server cpu %.0f %% of one core" %
          (mode, float(rps.group(1)) if rps else 0, p50.group(1) if p50 else "?", p99.group(1) if p99 else "?",
           non2.group(1) if non2 else "0", ("socket errors: " + errs.group(1)) if errs else "",
           100 * (c1 - c0) / (t1 - t0)))
print("load average after: %s" % open("/proc/loadavg").read().strip())
srv.terminate()
srv.wait()
subprocess.run(["rm", "-rf", tmp])
