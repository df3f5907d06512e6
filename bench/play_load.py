# SPDX-License-Identifier: MIT
"""Concurrent calls whose TwiML plays audio on the simulated carrier: what our side's audio
(<Play> of a cached WAV, <Say>, or <Pause> as the control) costs `amd serve`.

  /usr/bin/python3 bench/play_load.py BUILD/cli/amd [--calls 1000] [--hold 30] [--verb play|say|pause]
      [--cps 200] [--media-priority N]   (--verb also gather)

A local HTTP server serves a 10 s 8 kHz WAV (a speech-like signal). Every call is answered by a
dial-plan route that stays on the line (silence after a short human greeting) and runs
  play:  <Play loop="0">WAV</Play>   (fetched once, then every call plays it from the cache)
  say:   <Say loop="0">SENTENCE</Say> (one synthesis per call, replayed)
  pause: <Pause length="600"/>        (the control: the outbound path plays silence)
  gather: <Gather numDigits="1" timeout="600"><Pause length="600"/></Gather> (the same silence,
          with the call listening for keys: RFC 4733 and the in-band DTMF receiver)
with no AMD, so the figures are the outbound path's own. After all calls are up the bench holds
them --hold seconds and prints: the CPU of amd serve over the hold (percent of one core, and
per call), the <Play> fetches the web server saw, and, from the server's stop line, the media
clock's ticks started > 20 ms late and the worst lateness over the whole run.
"""
import argparse
import base64
import http.client
import io
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("amd")
ap.add_argument("--calls", type=int, default=1000)
ap.add_argument("--hold", type=float, default=30)
ap.add_argument("--cps", type=float, default=200)
ap.add_argument("--verb", choices=("play", "say", "pause", "gather"), default="play")
ap.add_argument("--media-priority", type=int, default=0)
ap.add_argument("--onset", type=int, default=20,
                help="record this many of the calls (dual) and report how long after answer our side's audio "
                     "started (the verb starts at answer: this is its time to first audio)")
args = ap.parse_args()

work = tempfile.mkdtemp(prefix="amd-play-load-")
rate = 8000
frames = bytearray()
for i in range(10 * rate):
    t = i / rate
    f0 = 140 + 60 * math.sin(2 * math.pi * 0.7 * t)
    v = 0.3 * math.sin(2 * math.pi * f0 * t) * (0.5 + 0.5 * abs(math.sin(2 * math.pi * 2.2 * t)))
    frames += struct.pack("<h", int(v * 32767))
buf = io.BytesIO()
with wave.open(buf, "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(bytes(frames))
WAV = buf.getvalue()
fetches = []


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        fetches.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Content-Length", str(len(WAV)))
        self.end_headers()
        self.wfile.write(WAV)


web = ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=web.serve_forever, daemon=True).start()
wav_url = "http://127.0.0.1:%d/msg.wav" % web.server_address[1]

src = os.path.join(HERE, "..", "testdata")
greeting = os.path.abspath(os.path.join(src, sorted(f for f in os.listdir(src) if f.startswith("human_short"))[0]))
plan = os.path.join(work, "plan.json")
with open(plan, "w") as f:
    json.dump({"routes": [{"to": "+15550001000", "audio": greeting, "ring_ms": 500, "hangup": "never"}]}, f)

AC = "AC" + "3" * 32
TK = "tok"
srv = subprocess.Popen([args.amd, "serve", "--listen", "127.0.0.1:0", "--db", os.path.join(work, "load.db"),
                        "--dialplan", plan, "--cps", str(args.cps), "--account", AC + ":" + TK,
                        "--webhook-allow", "127.0.0.0/8", "--log-level", "warn"] +
                       (["--media-priority", str(args.media_priority)] if args.media_priority else []),
                       stdout=subprocess.PIPE, stderr=open(os.path.join(work, "serve.err"), "w"), text=True)
port = None
while port is None:
    line = srv.stdout.readline()
    if not line:
        sys.exit("play_load: amd serve did not start (see %s/serve.err)" % work)
    m = re.search(r"listening on http://[0-9.]+:(\d+)", line)
    port = int(m.group(1)) if m else None
threading.Thread(target=lambda: [None for _ in srv.stdout], daemon=True).start()
auth = {"Authorization": "Basic " + base64.b64encode((AC + ":" + TK).encode()).decode(),
        "Content-Type": "application/x-www-form-urlencoded"}


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def in_progress():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    n, path = 0, "/2010-04-01/Accounts/%s/Calls.json?PageSize=1000&Status=in-progress" % AC
    while path:
        c.request("GET", path, headers=auth)
        d = json.loads(c.getresponse().read())
        n += len(d.get("calls", []))
        path = d.get("next_page_uri")
    c.close()
    return n


TWIML = {"play": "<Response><Play loop=\"0\">%s</Play></Response>" % wav_url,
         "say": "<Response><Say loop=\"0\">Hello, this is a reminder about your appointment tomorrow at ten in "
                "the morning. Please call us back.</Say></Response>",
         "pause": "<Response><Pause length=\"600\"/></Response>",
         "gather": "<Response><Gather numDigits=\"1\" timeout=\"600\"><Pause length=\"600\"/></Gather></Response>"}[args.verb]
try:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    t0 = time.time()
    for i in range(args.calls):
        p = {"To": "+15550001000", "From": "+15005550006", "Twiml": TWIML}
        if i >= args.calls - args.onset:  # the last ones: the cache is warm, the server busiest
            p.update({"Record": "true", "RecordingChannels": "dual"})
        conn.request("POST", "/2010-04-01/Accounts/%s/Calls.json" % AC, urllib.parse.urlencode(p), auth)
        conn.getresponse().read()
    deadline = time.time() + args.calls / args.cps + 30
    up = 0
    while time.time() < deadline:
        up = in_progress()
        if up >= args.calls:
            break
        time.sleep(1)
    print("verb %s: %d of %d calls in progress %.1f s after the first create" % (args.verb, up, args.calls,
                                                                                  time.time() - t0))
    c0, w0 = cpu_s(srv.pid), time.time()
    time.sleep(args.hold)
    c1, w1 = cpu_s(srv.pid), time.time()
    cpu = 100 * (c1 - c0) / (w1 - w0)
    print("CPU over the %.0f s hold: amd serve %.1f %% of one core = %.3f %% per call" % (w1 - w0, cpu, cpu / max(up, 1)))
    print("<Play> fetches seen by the web server: %d" % len(fetches))
    tot = cpu_s(srv.pid)
    print("CPU of the whole run (start, ramp-up, hold): %.2f s = %.1f ms per call" % (tot, 1000 * tot / args.calls))
    print("machine load average (1, 5, 15 min): %.1f %.1f %.1f" % os.getloadavg())
finally:
    if srv.poll() is None:
        srv.terminate()
    srv.wait(timeout=60)
    web.shutdown()
with open(os.path.join(work, "serve.err")) as f:
    for line in f:
        if "media clock" in line:
            print(line.strip())
onsets = []
recdir = os.path.join(work, "load.db-recordings")
for name in sorted(os.listdir(recdir)) if os.path.isdir(recdir) else []:
    with wave.open(os.path.join(recdir, name)) as w:
        raw = w.readframes(w.getnframes())
        n = w.getnchannels()
    ours = struct.unpack("<%dh" % (len(raw) // 2), raw)[0::n]
    first = next((i for i, v in enumerate(ours) if abs(v) > 300), None)
    if first is not None:
        onsets.append(first / 8.0)
if onsets:
    onsets.sort()
    print("time to first audio after answer, %d recorded calls: p50 %.0f ms, p95 %.0f ms, max %.0f ms"
          % (len(onsets), onsets[len(onsets) // 2], onsets[min(len(onsets) - 1, int(0.95 * len(onsets)))], onsets[-1]))
print("command: /usr/bin/python3 bench/play_load.py %s" % " ".join(sys.argv[1:]))
shutil.rmtree(work, ignore_errors=True)
