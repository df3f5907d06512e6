# SPDX-License-Identifier: MIT
"""Webhook targets that refuse, hang, answer too much or answer garbage: the call
goes on (FallbackUrl with ErrorCode 11200, or ends with the error recorded in its Events),
the server keeps serving, and nothing else is delayed. Oversized bodies (declared, chunked) and
absurd parameters are refused with clear errors."""
import base64
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import ACCOUNT, FROM, HUMAN, TOKEN, Receiver, Server, check, finish, wait_call  # noqa: E402

s = socket.socket()
s.bind(("127.0.0.1", 0))
closed_port = s.getsockname()[1]
s.close()  # nothing listens here now: connections are refused
refused = "http://127.0.0.1:%d/twiml" % closed_port

recv = Receiver()
recv.set("/fallback", "<Response><Say>fallback</Say></Response>")
recv.set("/hang", "<Response/>", delay=5)
recv.set("/huge", "<Response>" + "<Pause/>" * 20000 + "</Response>")
recv.set("/binary", "\x00\xff\xfe<Response>", ctype="text/xml")
srv = Server(clock_speed=10, extra=["--webhook-timeout", "800"])
client = srv.client()


def events(sid):
    req = urllib.request.Request(srv.base + "/2010-04-01/Accounts/%s/Calls/%s/Events.json" % (ACCOUNT, sid), headers={
        "Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()})
    return json.loads(urllib.request.urlopen(req).read())["events"]


try:
    print("refused connection")
    c = client.calls.create(to=HUMAN, from_=FROM, url=refused, fallback_url=recv.url("/fallback"),
                            status_callback="http://127.0.0.1:%d/status" % closed_port)
    got = recv.wait_for(lambda r: r["path"] == "/fallback" and r["params"].get("CallSid") == c.sid)
    check(len(got) == 1 and got[0]["params"].get("ErrorCode") == "11200" and got[0]["params"].get("ErrorUrl") == refused,
          "refused Url -> FallbackUrl with ErrorCode 11200")
    f = wait_call(client, c.sid)
    check(f.status == "completed", "the call completes although its StatusCallback target refuses")

    print("hanging target (webhook timeout 800 ms)")
    t0 = time.time()
    c = client.calls.create(to=HUMAN, from_=FROM, url=recv.url("/hang"), fallback_url=recv.url("/fallback"))
    got = recv.wait_for(lambda r: r["path"] == "/fallback" and r["params"].get("CallSid") == c.sid, timeout=20)
    check(len(got) == 1, "hung Url -> FallbackUrl after the webhook timeout")
    f = wait_call(client, c.sid)
    ev = events(c.sid)
    errs = [e["response"].get("error") for e in ev if e["request"] and e["request"]["url"] == recv.url("/hang")]
    check(errs and errs[0] and "imeout" in errs[0], "Events records the timeout: %s" % errs)

    print("oversized and binary answers")
    c1 = client.calls.create(to=HUMAN, from_=FROM, url=recv.url("/huge"))
    c2 = client.calls.create(to=HUMAN, from_=FROM, url=recv.url("/binary"))
    f1, f2 = wait_call(client, c1.sid), wait_call(client, c2.sid)
    check(f1.status == "completed" and f2.status == "completed", "both calls end")
    e1 = events(c1.sid)
    check(any(e["response"].get("error") == "response body too large" for e in e1 if e["response"]),
          "a response over 64 KiB is refused (Events: response body too large)")
    e2 = events(c2.sid)
    check(any(e["response"].get("error_code") == 12100 for e in e2 if e["response"]),
          "a binary answer is a TwiML parse error 12100, and the Events list stays valid JSON")

    print("oversized and absurd requests")
    host, port = srv.base[len("http://"):].split(":")
    auth = "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()
    head = ("POST /2010-04-01/Accounts/%s/Calls.json HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n" % (ACCOUNT, auth))

    def exchange(data, chunks=(), timeout=5):
        k = socket.create_connection((host, int(port)))
        k.settimeout(timeout)
        got = b""
        t0 = time.time()
        try:
            k.sendall(data)
            for ch in chunks:
                k.sendall(ch)
            while not got.endswith(b"}") and b"\r\n\r\n" not in got[:0] and time.time() - t0 < timeout:
                x = k.recv(4096)
                if not x:
                    break
                got += x
                if b"}" in got:
                    break
        except OSError:
            pass
        k.close()
        return got, time.time() - t0

    got, dt = exchange((head + "Content-Length: 99999999999\r\n\r\nTo=1").encode())
    check(got.startswith(b"HTTP/1.1 413") and b"65536" in got and dt < 2,
          "Content-Length of 100 GB -> 413 at once, before the body (%.2f s): %r" % (dt, got[:40]))
    chunk = b"400\r\n" + b"a" * 1024 + b"\r\n"
    got, _ = exchange((head + "Transfer-Encoding: chunked\r\n\r\n").encode(), [chunk] * 100 + [b"0\r\n\r\n"])
    check(got.startswith(b"HTTP/1.1 413"), "chunked body of 100 KiB -> 413: %r" % got[:40])
    got, dt = exchange((head + "Transfer-Encoding: chunked\r\n\r\n").encode(), [chunk] * 2048, timeout=10)
    check(not got.startswith(b"HTTP/1.1 2"), "chunked body of 2 MiB is cut off, not stored (%.1f s)" % dt)

    def create_raw(form):
        body = urllib.parse.urlencode(form, doseq=True)
        req = urllib.request.Request("%s/2010-04-01/Accounts/%s/Calls.json" % (srv.base, ACCOUNT), data=body.encode(),
                                     headers={"Authorization": auth})
        try:
            r = urllib.request.urlopen(req)
            return r.status, json.loads(r.read())
        except urllib.error.HTTPError as ex:
            return ex.code, json.loads(ex.read())

    ok = {"To": HUMAN, "From": FROM, "Twiml": "<Response><Hangup/></Response>"}
    for extra, code, what in (
            ({"Timeout": "99999999999"}, 21208, "Timeout of 10^11 s"),
            ({"TimeLimit": "99999999999"}, 21200, "TimeLimit of 10^11 s"),
            ({"TimeLimit": "-1"}, 21200, "negative TimeLimit"),
            ({"MachineDetection": "Enable", "MachineDetectionTimeout": "1000000000"}, 21263, "MachineDetectionTimeout 10^9"),
            ({"MachineDetection": "Enable", "MachineDetectionSpeechEndThreshold": "99999999"}, 21263,
             "MachineDetectionSpeechEndThreshold 10^8"),
            ({"To": "+1" + "5" * 3000}, 21211, "To of 3000 digits"),
            ({"StatusCallback": "http://" + "a" * 5000 + ".com/"}, 21205, "StatusCallback of 5000 characters"),
            ({"RecordingChannels": "seven"}, 21200, "RecordingChannels seven"),
            ({"X%d" % i: "1" for i in range(3000)}, 21200, "3000 form parameters")):
        f = dict(ok)
        f.update(extra)
        st, body = create_raw(f)
        check(st == 400 and body.get("code") == code and body.get("message"),
              "%s -> 400 / %d (%s)" % (what, code, str(body.get("message"))[:70]))

    print("the server still answers")
    c = client.calls.create(to=HUMAN, from_=FROM, twiml="<Response><Hangup/></Response>")
    check(wait_call(client, c.sid).status == "completed", "a normal call afterwards")
finally:
    srv.cleanup()
finish()
