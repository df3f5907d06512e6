#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The console's HTTP face without a browser: security headers on every answer, the session
cookie's attributes (Secure behind an https --public-url), sign-in with an API key, sign-out
ending the session, one account's session never reaching another's calls, CSRF and origin
checks, request limits, the live-update stream, and the console being off unless asked for.
"""
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import shutil
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import ACCOUNT, ACCOUNT2, AMD_BIN, DEFAULT_DIALPLAN, FROM, HUMAN, TOKEN, TOKEN2, check, finish  # noqa: E402

KEY = "SK" + "abcdef0123456789" * 2
SECRET = "key-secret-1"


def start(extra):
    d = tempfile.mkdtemp(prefix="amd-console-http-")
    args = [AMD_BIN, "serve", "--listen", "127.0.0.1:0", "--db", os.path.join(d, "c.db"), "--dialplan", DEFAULT_DIALPLAN,
            "--clock-speed", "20", "--cps", "50", "--account", "%s:%s" % (ACCOUNT, TOKEN),
            "--account", "%s:%s" % (ACCOUNT2, TOKEN2), "--api-key", "%s:%s:%s" % (KEY, SECRET, ACCOUNT2),
            "--log-level", "error"] + extra
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = []
    # banner: listening, the accounts, then the console line when there is one
    want_console = "--console-port" in extra
    while True:
        line = p.stdout.readline()
        lines.append(line)
        if not line or "console at" in line or ("account %s" % ACCOUNT2 in line and not want_console):
            break
    threading.Thread(target=p.stdout.read, daemon=True).start()
    text = "".join(lines)
    api = re.search(r"listening on http://[0-9.]+:(\d+)", text)
    con = re.search(r"console at http://[0-9.]+:(\d+)", text)
    return p, d, int(api.group(1)), int(con.group(1)) if con else None


def stop(p, d):
    p.terminate()
    rc = p.wait(timeout=30)
    shutil.rmtree(d, ignore_errors=True)
    check(rc == 0, "amd serve shut down cleanly (exit %s)" % rc)


def req(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    h = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.headers, data


def login(port, sid, token, origin=None):
    h = {"Origin": origin} if origin else {}
    st, hd, body = req(port, "POST", "/console/session", urllib.parse.urlencode({"Sid": sid, "Token": token}), h)
    ck = hd.get("Set-Cookie") or ""
    m = re.match(r"amd_console=([0-9a-f]{64});", ck)
    return st, ck, (m.group(1) if m else None), (json.loads(body) if st == 200 else None)


def main():
    # off unless asked for
    p, d, api, con = start([])
    check(con is None, "no console without --console-port")
    stop(p, d)

    p, d, api, con = start(["--console-port", "0", "--public-url", "https://amd.example.test"])
    try:
        run(api, con)
    finally:
        stop(p, d)
    finish()


def run(api, con):
    st, hd, body = req(con, "GET", "/console/")
    csp = hd.get("Content-Security-Policy") or ""
    check(st == 200 and "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp,
          "the page is served with a strict CSP: %s" % csp)
    check(not re.search(rb"<script(?![^>]*\ssrc=)", body) and not re.search(rb"\son[a-z]+=", body),
          "the page has no inline script or event-handler attributes")
    check(hd.get("X-Content-Type-Options") == "nosniff" and hd.get("X-Frame-Options") == "DENY",
          "nosniff and no framing")
    st, hd, js = req(con, "GET", "/console/assets/console.js")
    check(st == 200 and hd.get("Content-Type", "").startswith("text/javascript") and b"innerHTML" not in js,
          "the script is served from the binary and never writes HTML")
    check(req(con, "GET", "/console/assets/../../etc/passwd")[0] == 404, "no path escapes the embedded assets")

    st, ck, sid1, info = login(con, ACCOUNT, "wrong")
    check(st == 401 and not sid1, "a wrong token is refused (401, no cookie)")
    t0 = time.time()
    login(con, "AC" + "0" * 32, "x")
    check(time.time() - t0 >= 0.25, "a refused sign-in is slowed down")
    st, ck, sid1, info = login(con, ACCOUNT, TOKEN)
    check(st == 200 and sid1 and info["account_sid"] == ACCOUNT, "the account signs in")
    check("HttpOnly" in ck and "SameSite=Strict" in ck and "Path=/console/" in ck and "Secure" in ck,
          "cookie HttpOnly, SameSite=Strict, Path=/console/, Secure behind https: %s" % ck)
    st, ck2, sid2, info2 = login(con, KEY, SECRET)
    check(st == 200 and info2["account_sid"] == ACCOUNT2, "an API key signs in as its account")
    check(sid1 != sid2 and info["csrf_token"] != info2["csrf_token"], "sessions and CSRF tokens differ")
    check(login(con, ACCOUNT, TOKEN, origin="http://evil.example")[0] == 403, "a cross-site sign-in POST is refused")

    c1 = {"Cookie": "amd_console=" + sid1}
    c2 = {"Cookie": "amd_console=" + sid2}
    st, _, body = req(con, "GET", "/console/api/Calls.json", headers={})
    check(st == 401, "the API needs a session")
    # a call of account 1, placed through the console itself (a change: token + same origin)
    form = urllib.parse.urlencode({"To": HUMAN, "From": FROM, "Twiml": "<Response><Hangup/></Response>",
                                   "MachineDetection": "Enable"})
    st, _, _ = req(con, "POST", "/console/api/Calls.json", form, c1)
    check(st == 403, "a change without the CSRF token is refused")
    st, _, body = req(con, "POST", "/console/api/Calls.json", form, dict(c1, **{"X-CSRF-Token": info["csrf_token"]}))
    check(st == 201, "a change with the token is accepted (%s)" % st)
    sid = json.loads(body)["sid"]
    st, _, _ = req(con, "POST", "/console/api/Calls.json", form, dict(c1, **{"X-CSRF-Token": info2["csrf_token"]}))
    check(st == 403, "another session's CSRF token is refused")
    # the live stream says something changed
    s = http.client.HTTPConnection("127.0.0.1", con, timeout=15)
    s.request("GET", "/console/events", headers=c1)
    r = s.getresponse()
    check(r.status == 200 and r.headers.get("Content-Type") == "text/event-stream", "the live stream opens")
    first = r.fp.readline() + r.fp.readline() + r.fp.readline()
    check(b"event: calls" in first, "the stream starts with the current state: %r" % first)
    got = b""
    end = time.time() + 10
    while time.time() < end and b"event: calls" not in got:
        got += r.fp.readline()
    check(b"event: calls" in got, "a call's change is pushed")
    s.close()
    time.sleep(1)
    st, _, body = req(con, "GET", "/console/api/Calls/%s.json" % sid, headers=c1)
    check(st == 200, "account 1 reads its call")
    for path in ("Calls/%s.json", "Calls/%s/AmdSummary.json", "Calls/%s/Label.json", "Calls/%s/Events.json"):
        st, _, _ = req(con, "GET", "/console/api/" + path % sid, headers=c2)
        check(st in (401, 404), "account 2's session cannot read account 1's %s (%s)" % (path.split("/")[-1], st))
    st, _, body = req(con, "GET", "/console/api/AmdResults.json?CallSid=" + sid, headers=c2)
    check(st == 200 and json.loads(body)["results"][sid] == {}, "nor its AMD results")
    st, _, body = req(con, "GET", "/console/api/../../2010-04-01/Accounts/%s/Calls.json" % ACCOUNT, headers=c2)
    check(st in (401, 404) and sid.encode() not in body, "nor by a dotted path")
    st, _, _ = req(con, "POST", "/console/api/Calls/%s/Label.json" % sid, "Label=human" + "&x=" + "a" * 70000,
                   dict(c1, **{"X-CSRF-Token": info["csrf_token"]}))
    check(st == 413, "a body over 64 KiB is refused (413)")
    # sign-out ends the session
    st, hd, _ = req(con, "DELETE", "/console/session", headers=dict(c1, **{"X-CSRF-Token": info["csrf_token"]}))
    check(st == 204 and "Max-Age=0" in (hd.get("Set-Cookie") or ""), "sign-out clears the cookie")
    check(req(con, "GET", "/console/session", headers=c1)[0] == 401, "the session is gone after sign-out")
    check(req(con, "GET", "/console/session", headers=c2)[0] == 200, "other sessions live on")


if __name__ == "__main__":
    main()
