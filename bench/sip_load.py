# SPDX-License-Identifier: MIT
"""Concurrent SIP calls through `amd serve --sip-listen` (1,000 concurrent calls on 2 cores), all on loopback inside a private network namespace.

  /usr/bin/python3 bench/sip_load.py BUILD/cli/amd [--calls 1000] [--cps 100] [--hold 30]
      [--audio testdata/FILE.wav] [--mode DetectMessageEnd] [--dial]

With --dial every call (async AMD) runs <Dial><Sip> to a second SIPp leg: --calls bridged
pairs, twice as many legs, each far end's RTP relayed to the other through the jitter buffer.

A SIPp UAS (Debian `sip-tester`) on 127.0.0.1:5070 answers every INVITE and streams a u-law
WAV in a loop (20 ms PCMU packets) until our BYE. The bench creates --calls calls through the
REST API at --cps, each with AMD, waits until they are all up, holds them --hold seconds, then
stops the server (which hangs every call up with BYE). It prints: how many calls were in
progress at once, the CPU of amd serve and of SIPp over the hold window (percent of one core;
the machine's cores are shared by both), the engine's media-clock lateness and the SIP driver's
receive figures (late / lost audio), and the AnsweredBy tally.
"""
import argparse
import base64
import collections
import http.client
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("amd")
ap.add_argument("--calls", type=int, default=1000)
ap.add_argument("--cps", type=float, default=100)
ap.add_argument("--hold", type=float, default=30)
ap.add_argument("--audio", default=None, help="far-end audio (default: the first machine_beep file in testdata)")
ap.add_argument("--mode", default="DetectMessageEnd")
ap.add_argument("--play", action="store_true",
                help="the TwiML plays a cached 10 s WAV in a loop (<Play loop=\"0\">, served on loopback) "
                     "instead of <Pause>: our side sends real audio")
ap.add_argument("--dial", action="store_true", help="bridge every call by <Dial><Sip> to a second leg (async AMD)")
ap.add_argument("--media-priority", type=int, default=0,
                help="amd serve --media-priority (SCHED_RR for the media clock, detectors and the SIP thread)")
ap.add_argument("--sipp-priority", type=int, default=0,
                help="run the SIPp far end under chrt -r N (on a shared machine the load generator starves too)")
args = ap.parse_args()

if os.environ.get("AMD_SIP_NETNS") != "1":
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        print("sip_load: needs a private network namespace (unshare -n), not permitted here")
        sys.exit(77)
    env = dict(os.environ, AMD_SIP_NETNS="1")
    os.execvpe("unshare", ["unshare", "-n", "bash", "-c", "ip link set lo up && exec /usr/bin/python3 \"$0\" \"$@\"",
                           os.path.abspath(__file__)] + sys.argv[1:], env)

_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # one RTP socket per call on each side
resource.setrlimit(resource.RLIMIT_NOFILE, (_hard, _hard))
if os.environ.get("AMD_SIP_LOAD_CORE"):
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
work = tempfile.mkdtemp(prefix="amd-sip-load-")
PLAY_URL = None
if args.play:  # a 10 s speech-like WAV for <Play>, served from this process
    import io
    import math
    import struct
    import wave
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    _pcm = b"".join(struct.pack("<h", int(32767 * 0.3 * math.sin(2 * math.pi * (140 + 60 * math.sin(
        2 * math.pi * 0.7 * i / 8000)) * i / 8000) * (0.5 + 0.5 * abs(math.sin(2 * math.pi * 2.2 * i / 8000)))))
        for i in range(80000))
    _b = io.BytesIO()
    with wave.open(_b, "wb") as _w:
        _w.setnchannels(1)
        _w.setsampwidth(2)
        _w.setframerate(8000)
        _w.writeframes(_pcm)
    WAV = _b.getvalue()

    class _H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Content-Length", str(len(WAV)))
            self.end_headers()
            self.wfile.write(WAV)

    _web = ThreadingHTTPServer(("127.0.0.1", 0), _H)
    threading.Thread(target=_web.serve_forever, daemon=True).start()
    PLAY_URL = "http://127.0.0.1:%d/msg.wav" % _web.server_address[1]
src = os.path.join(HERE, "..", "testdata")
audio = args.audio or os.path.join(src, sorted(f for f in os.listdir(src) if f.startswith("machine_beep"))[0])
ulaw = os.path.join(work, "far.wav")
subprocess.run(["sox", audio, "-r", "8000", "-c", "1", "-e", "u-law", ulaw], check=True)
with open(os.path.join(HERE, "sip", "uas_stream.xml")) as f:
    xml = f.read().replace("@AUDIO@", ulaw)
scen = os.path.join(work, "uas.xml")
with open(scen, "w") as f:
    f.write(xml)

sipp = subprocess.Popen(["timeout", str(int(args.calls / args.cps + args.hold + 120))] +
                        (["chrt", "-r", str(args.sipp_priority)] if args.sipp_priority else []) + ["sipp", "-sf", scen,
                         "-i", "127.0.0.1", "-p", "5070", "-mi", "127.0.0.1", "-mp", "40000", "-nostdin",
                         "-max_socket", "60000", "-trace_err"],
                        stdout=open(os.path.join(work, "sipp.log"), "w"), stderr=subprocess.STDOUT, cwd=work)
time.sleep(0.5)
AC = "AC" + "2" * 32
TK = "tok"
db = os.path.join(work, "load.db")
import shlex  # noqa: E402
wrap = shlex.split(os.environ.get("AMD_SIP_LOAD_WRAP", ""))  # e.g. "gdb -batch -ex run -ex bt --args"
srv = subprocess.Popen(wrap + [args.amd, "serve", "--listen", "127.0.0.1:0", "--db", db, "--cps", str(args.cps),
                        "--account", AC + ":" + TK, "--sip-listen", "127.0.0.1:5090", "--log-level", "info"] +
                       (["--webhook-allow", "127.0.0.0/8"] if args.play else []) +
                       (["--media-priority", str(args.media_priority)] if args.media_priority else []),
                       stdout=subprocess.PIPE, stderr=open(os.path.join(work, "serve.err"), "w"), text=True)
port = None
while port is None:
    line = srv.stdout.readline()
    if not line:
        sys.exit("sip_load: amd serve did not start (see %s/serve.err)" % work)
    m = re.search(r"listening on http://[0-9.]+:(\d+)", line)
    port = int(m.group(1)) if m else None


def drain():
    with open(os.path.join(work, "serve.out"), "w") as f:
        for line in srv.stdout:
            f.write(line)
            f.flush()


threading.Thread(target=drain, daemon=True).start()
auth = {"Authorization": "Basic " + base64.b64encode((AC + ":" + TK).encode()).decode(),
        "Content-Type": "application/x-www-form-urlencoded"}


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def threads(pid):
    out = {}
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                raw = f.read()
            name = raw[raw.index("(") + 1:raw.rindex(")")]
            v = raw.rsplit(")", 1)[1].split()
            out[t] = (name, (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK"))
        except (OSError, ValueError):
            pass
    return out


def sipp_pid():
    # the sipp child of `timeout`
    try:
        with open("/proc/%d/task/%d/children" % (sipp.pid, sipp.pid)) as f:
            return int(f.read().split()[0])
    except (OSError, IndexError, ValueError):
        return sipp.pid


def get(path):
    # a fresh connection each time: the server may close an idle keep-alive one
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", path, headers=auth)
    r = c.getresponse()
    body = r.read()
    c.close()
    if r.status != 200:
        raise RuntimeError("GET %s: HTTP %d %s" % (path, r.status, body[:200]))
    return json.loads(body)


def calls(status=None):
    out = []
    path = "/2010-04-01/Accounts/%s/Calls.json?PageSize=1000%s" % (AC, "&Status=" + status if status else "")
    while path:
        d = get(path)
        out += d.get("calls", [])
        path = d.get("next_page_uri")
    return out


def in_progress(conn=None):
    return len(calls("in-progress"))


try:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    t0 = time.time()
    for i in range(args.calls):
        form = {"To": "sip:load%d@127.0.0.1:5070" % i, "From": "+15005550006",
                "Twiml": "<Response><Play loop=\"0\">%s</Play></Response>" % PLAY_URL
                if args.play else "<Response><Pause length=\"600\"/></Response>",
                "MachineDetection": args.mode, "MachineDetectionTimeout": "59"}
        if args.dial:  # the <Dial> starts at answer while the parent's detector keeps running
            form.update(AsyncAmd="true", Twiml="<Response><Dial timeLimit=\"600\"><Sip>sip:agent%d@127.0.0.1:5070"
                                               "</Sip></Dial></Response>" % i)
        body = urllib.parse.urlencode(form)
        conn.request("POST", "/2010-04-01/Accounts/%s/Calls.json" % AC, body, auth)
        conn.getresponse().read()
    print("created %d calls in %.1f s (dialed at %g cps)" % (args.calls, time.time() - t0, args.cps))
    deadline = time.time() + args.calls / args.cps + 30
    up, legs = 0, args.calls * (2 if args.dial else 1)
    while time.time() < deadline:
        up = in_progress(conn)
        if up >= legs:
            break
        time.sleep(1)
    print("legs in progress at once: %d of %d (%.1f s after the first create)" % (up, legs, time.time() - t0))
    spid = sipp_pid()
    c0, s0, w0, th0 = cpu_s(srv.pid), cpu_s(spid), time.time(), threads(srv.pid)
    time.sleep(args.hold)
    c1, s1, w1, th1 = cpu_s(srv.pid), cpu_s(spid), time.time(), threads(srv.pid)
    busiest = sorted(((th1[t][1] - th0.get(t, ("", 0))[1], th1[t][0], t) for t in th1), reverse=True)[:4]
    up_end = in_progress(conn)
    everything = calls()
    tally = collections.Counter((c.get("answered_by") or "-") for c in everything)
    print("status: %s" % dict(collections.Counter(c.get("status") for c in everything)))
    print("still in progress after the %.0f s hold: %d" % (args.hold, up_end))
    print("CPU over the hold: amd serve %.1f %% of one core, SIPp %.1f %% (2 cores = 200 %%)"
          % (100 * (c1 - c0) / (w1 - w0), 100 * (s1 - s0) / (w1 - w0)))
    if args.dial:
        print("amd serve CPU per bridged pair: %.3f %% of one core" % (100 * (c1 - c0) / (w1 - w0) / args.calls))
    print("busiest amd serve threads: %s" % ", ".join("%s/%s %.1f %%" % (n, t, 100 * c / (w1 - w0))
                                                        for c, n, t in busiest))
    print("AnsweredBy: %s" % dict(tally))
    print("machine load average (1, 5, 15 min; other jobs share the cores): %.1f %.1f %.1f" % os.getloadavg())
finally:
    t_stop = time.time()
    if srv.poll() is None:
        srv.terminate()
    srv.wait(timeout=60)
    print("server stop (BYE to every call) took %.1f s, exit %s" % (time.time() - t_stop, srv.returncode))
    if sipp.poll() is None:
        sipp.terminate()
    sipp.wait(timeout=10)
with open(os.path.join(work, "serve.err")) as f:
    for line in f:
        if "media clock" in line or "] sip:" in line:
            print(line.strip())
print("command: /usr/bin/python3 bench/sip_load.py %s" % " ".join(sys.argv[1:]))
shutil.rmtree(work, ignore_errors=True)
