# SPDX-License-Identifier: MIT
"""Shared harness for the test_twilio_*.py integration tests.

Starts `amd serve` on a free loopback port with a fresh database and the default dial plan,
a local webhook receiver (http.server) that records every request, and a python `twilio`
Client (Debian python3-twilio 7.7.1) pointed at the server by its base URL only.
Exit code 77 = skip (ctest SKIP_RETURN_CODE).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

try:
    from twilio.base.exceptions import TwilioRestException  # noqa: F401
    from twilio.request_validator import RequestValidator
    from twilio.rest import Client
except ImportError:  # pragma: no cover
    print("SKIP: python3-twilio is not installed (apt-get install python3-twilio)")
    sys.exit(77)

AMD_BIN = os.environ.get("AMD_BIN")
SRC = os.environ.get("AMD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
if not AMD_BIN or not os.access(AMD_BIN, os.X_OK):
    print("SKIP: AMD_BIN is not set to the built amd program")
    sys.exit(77)

DEFAULT_DIALPLAN = os.path.join(SRC, "testdata", "dialplan.json")
TESTDATA = os.path.join(SRC, "testdata")
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "secret-token-1"
ACCOUNT2 = "AC" + "fedcba9876543210" * 2
TOKEN2 = "secret-token-2"

# Dial plan numbers (testdata/dialplan.json)
HUMAN = "+15551230001"
HUMAN_STAYS = "+15551230006"
MACHINE_BEEP = "+15551230010"
MACHINE_SILENCE = "+15551230011"
FAX = "+15551230020"
SILENCE = "+15551230040"
BUSY = "+15551230050"
NO_ANSWER = "+15551230051"
FAILED = "+15551230052"
FROM = "+15005550006"

FAILURES = []


def check(cond, what):
    """Record a failed expectation (and keep going, so one run reports every problem)."""
    if cond:
        print("  ok   " + what)
    else:
        print("  FAIL " + what)
        FAILURES.append(what)
    return cond


def finish():
    shutil.rmtree(_PLAN_DIR, ignore_errors=True)
    if FAILURES:
        print("%d check(s) failed:" % len(FAILURES))
        for f in FAILURES:
            print("  - " + f)
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


class Receiver:
    """A webhook target: records (time, method, path, query, params, headers) per request."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.twiml = {}  # path -> (status, content_type, body, delay_s)
        rec = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode() if n else ""
                parts = urlsplit(self.path)
                params = dict(parse_qsl(body, keep_blank_values=True)) if self.command == "POST" else \
                    dict(parse_qsl(parts.query, keep_blank_values=True))
                entry = {
                    "t": time.time(), "method": self.command, "path": parts.path, "raw_path": self.path,
                    "params": params, "headers": dict(self.headers), "body": body,
                }
                with rec.cond:
                    rec.requests.append(entry)
                    rec.cond.notify_all()
                status, ctype, out, delay = rec.twiml.get(parts.path, (200, "text/xml", "<Response/>", 0))
                if delay:
                    time.sleep(delay)
                data = out if isinstance(out, bytes) else out.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, client_address: None  # aborted transfers are expected
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return self.base + path

    def set(self, path, body, status=200, ctype="text/xml", delay=0):
        self.twiml[path] = (status, ctype, body, delay)

    def matching(self, pred):
        with self.lock:
            return [r for r in self.requests if pred(r)]

    def wait_for(self, pred, count=1, timeout=30):
        end = time.time() + timeout
        with self.cond:
            while True:
                got = [r for r in self.requests if pred(r)]
                if len(got) >= count:
                    return got
                left = end - time.time()
                if left <= 0:
                    return got
                self.cond.wait(left)

    def signature_ok(self, r, token=TOKEN):
        url = self.base + r["raw_path"]
        sig = r["headers"].get("X-Twilio-Signature", "")
        params = r["params"] if r["method"] == "POST" else {}
        return RequestValidator(token).validate(url, params, sig)


def classify(path, mode="Enable"):
    """What `amd classify` says about a file: the server must agree (same library)."""
    out = subprocess.run([AMD_BIN, "classify", "--format", "csv", "--machine-detection", mode, path],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    head = out[0].split(",")
    row = out[1].split(",")
    return dict(zip(head, row))


def _coarse(answered_by):
    return "machine" if answered_by.startswith("machine") else answered_by


def build_dialplan(folder):
    """The default dial plan's numbers, with files picked from testdata/manifest.csv at run
    time (the corpus may be regenerated with new names). For the numbers whose answer the tests
    assert, the first file of the family that the detector classifies as its label is used:
    these tests are about the server, bench/ measures the detector."""
    import csv
    rows = list(csv.DictReader(open(os.path.join(TESTDATA, "manifest.csv"))))
    fam = {}
    for r in sorted(rows, key=lambda r: r["file"]):
        fam.setdefault(r["scenario"], []).append(r)

    def pick(scenario, want=None, dme_prefix=None, skip=0):
        for r in fam.get(scenario, [])[skip:]:
            # a private copy: classify and the server then read the very same bytes
            path = os.path.join(folder, os.path.basename(r["file"]))
            try:
                shutil.copyfile(os.path.join(TESTDATA, r["file"]), path)
            except OSError:
                continue
            if want and _coarse(classify(path)["answered_by"]) != want:
                continue
            if dme_prefix and not classify(path, "DetectMessageEnd")["answered_by"].startswith(dme_prefix):
                continue
            return path
        raise RuntimeError("testdata has no %s file the detector classifies as %s" % (scenario, want))

    routes = [
        {"to": HUMAN, "audio": pick("human_short", "human"), "ring_ms": 2000},
        {"to": HUMAN_STAYS, "audio": pick("human_short", "human"), "ring_ms": 1500, "hangup": "never"},
        {"to": MACHINE_BEEP, "audio": pick("machine_beep", "machine", "machine_end_"), "ring_ms": 3000},
        {"to": MACHINE_SILENCE, "audio": pick("machine_silence"), "ring_ms": 3000},
        {"to": FAX, "audio": pick("fax_ced", "fax"), "ring_ms": 1000},
        {"to": SILENCE, "audio": pick("silence"), "ring_ms": 2000},
        {"to": BUSY, "outcome": "busy"},
        {"to": NO_ANSWER, "outcome": "no-answer"},
        {"to": FAILED, "outcome": "failed"},
        {"to": FROM, "ring_ms": 1000, "hangup": "never"},
    ]
    path = os.path.join(folder, "dialplan.json")
    with open(path, "w") as f:
        json.dump({"routes": routes}, f, indent=1)
    return path


_PLAN_DIR = tempfile.mkdtemp(prefix="amd-serve-plan-")
DIALPLAN = build_dialplan(_PLAN_DIR)


class Server:
    # The test webhooks listen on loopback, which the server refuses to connect to by default
    # (destination policy): open 127.0.0.0/8 unless a test asks for the default (None).
    def __init__(self, clock_speed=10, cps=200, extra=(), db=None, accounts=None, dialplan=None,
                 webhook_allow="127.0.0.0/8"):
        self.dialplan = dialplan or DIALPLAN
        self.dir = tempfile.mkdtemp(prefix="amd-serve-test-")
        self.db = db or os.path.join(self.dir, "calls.db")
        self.clock_speed = clock_speed
        self.cps = cps
        self.extra = list(extra)
        if webhook_allow:
            self.extra = ["--webhook-allow", webhook_allow] + self.extra
        self.accounts = accounts or [(ACCOUNT, TOKEN), (ACCOUNT2, TOKEN2)]
        self.proc = None
        self.start()

    def start(self):
        args = [AMD_BIN, "serve", "--listen", "127.0.0.1:0", "--db", self.db, "--dialplan", self.dialplan,
                "--clock-speed", str(self.clock_speed), "--cps", str(self.cps), "--log-level", "warn"]
        for sid, tok in self.accounts:
            args += ["--account", "%s:%s" % (sid, tok)]
        args += self.extra
        self.log = open(os.path.join(self.dir, "serve.log"), "a")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (http://[0-9.]+:\d+)", line)
        if not m:
            raise RuntimeError("amd serve did not start: %r (see %s)" % (line, self.log.name))
        self.base = m.group(1)
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def client(self, sid=ACCOUNT, token=TOKEN):
        c = Client(sid, token)
        c.api.base_url = self.base  # the only change a Twilio user makes
        return c

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        self.stop()
        rc = self.proc.returncode if self.proc else 0
        self.log.close()
        # A clean SIGTERM shutdown exits 0: anything else (a sanitizer report, a crash) fails.
        if not check(rc == 0, "amd serve shut down cleanly (exit %s)" % rc):
            with open(os.path.join(self.dir, "serve.log")) as f:
                print(f.read()[-6000:])
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_call(client, sid, final=("completed", "busy", "no-answer", "failed", "canceled"), timeout=60):
    end = time.time() + timeout
    c = client.calls(sid).fetch()
    while c.status not in final and time.time() < end:
        time.sleep(0.1)
        c = client.calls(sid).fetch()
    return c
