# SPDX-License-Identifier: MIT
"""`amd serve` limits and bad input refused at the door: the per-account queue cap (429 /
20429), SIGHUP (ignored), a query of ~1,000 parameters and oversized headers (prompt 414 /
431 with a body), `To` shapes refused at create with 21211, a relative AsyncAmdStatusCallback
without Url, start-up flag validation (--public-url, dial plan keys, --db folder) and API keys
through the python twilio client (webhooks still signed with the account's auth token)."""
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (ACCOUNT, AMD_BIN, DIALPLAN, FROM, HUMAN, HUMAN_STAYS, TOKEN, Client,  # noqa: E402
                            Receiver, Server, TwilioRestException, check, finish, wait_call)

HELP = subprocess.run([AMD_BIN, "serve", "--help"], capture_output=True, text=True).stdout
# local webhooks need the loopback range opened where the server has a destination policy
LOCAL_HOOKS = ["--webhook-allow", "127.0.0.0/8"] if "--webhook-allow" in HELP else []

KEY_SID = "SK" + "00112233445566778899aabbccddeeff"
KEY_SECRET = "key-secret-1"


def raw(base, data, timeout=5):
    """Send raw bytes; return (seconds to the first answer bytes, the whole answer)."""
    host, port = base[len("http://"):].split(":")
    s = socket.create_connection((host, int(port)), timeout=timeout)
    t0 = time.time()
    s.sendall(data)
    out = b""
    first = None
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            if first is None:
                first = time.time() - t0
            out += d
    except socket.timeout:
        pass
    s.close()
    return first, out


def auth_header(user=ACCOUNT, pw=TOKEN):
    return "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()


def start_fails(args, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    p = subprocess.run([AMD_BIN, "serve", "--listen", "127.0.0.1:0"] + args, capture_output=True, text=True,
                       timeout=30, env=env)
    return p.returncode, p.stderr.strip()


recv = Receiver()
srv = Server(clock_speed=10, cps=0.01, extra=["--max-queued", "3", "--api-key",
                                              "%s:%s:%s" % (KEY_SID, KEY_SECRET, ACCOUNT)] + LOCAL_HOOKS)
client = srv.client()
try:
    print("queue cap: --max-queued 3 at 0.01 calls per second")
    made, refused = [], []
    for i in range(8):
        try:
            made.append(client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml="<Response><Pause length=\"60\"/></Response>"))
        except TwilioRestException as e:
            refused.append(e)
    # the first call leaves the queue at once (the CPS slot is free); then 3 wait
    check(3 <= len(made) <= 4, "3 queued (+1 dialed at once) accepted: %d" % len(made))
    check(refused and all(e.status == 429 and e.code == 20429 for e in refused),
          "beyond the cap: 429 with code 20429 (%s)" % [(e.status, e.code) for e in refused])
    check(refused and "queued" in (refused[0].msg or ""), "the 429 says why: %r" % (refused and refused[0].msg))
    client.calls(made[-1].sid).update(status="canceled")
    try:
        made.append(client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml="<Response/>"))
        check(True, "a canceled queued call frees its place")
    except TwilioRestException as e:
        check(False, "a canceled queued call frees its place (%s)" % e)

    for c in made:  # empty the queue for what follows
        st = client.calls(c.sid).fetch().status
        if st not in ("canceled", "completed", "failed", "busy", "no-answer"):
            client.calls(c.sid).update(status="canceled" if st == "queued" else "completed")

    print("SIGHUP")
    srv.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    check(srv.proc.poll() is None, "amd serve survives SIGHUP")
    check(client.calls(made[0].sid).fetch().sid == made[0].sid, "and keeps answering")

    print("a query of 1,000 parameters, oversized headers")
    q = "&".join("P%d=%d" % (i, i) for i in range(1000))
    first, out = raw(srv.base, ("GET /2010-04-01/Accounts/%s/Calls.json?%s HTTP/1.1\r\nHost: x\r\nAuthorization: %s"
                                "\r\n\r\n" % (ACCOUNT, q, auth_header())).encode(), timeout=10)
    check(first is not None and out.startswith(b"HTTP/1.1 414"), "1,000 query parameters: 414 (%r)" % out[:40])
    body = out.split(b"\r\n\r\n", 1)[-1]
    check(body and json.loads(body).get("status") == 414, "with a JSON body: %r" % body[:120])
    q = "&".join("P%d=%d" % (i, i) for i in range(300))  # short URI, too many parameters
    first, out = raw(srv.base, ("GET /2010-04-01/Accounts/%s/Calls.json?%s HTTP/1.1\r\nHost: x\r\n\r\n"
                                % (ACCOUNT, q)).encode(), timeout=10)
    check(out.startswith(b"HTTP/1.1 414") and b"parameters" in out, "300 parameters in 2 KB: 414 naming the limit")
    hs = "".join("X-H%d: v\r\n" % i for i in range(1000))
    first, out = raw(srv.base, ("GET /2010-04-01/Accounts/%s/Calls.json HTTP/1.1\r\nHost: x\r\n%s\r\n"
                                % (ACCOUNT, hs)).encode(), timeout=10)
    check(out.startswith(b"HTTP/1.1 431") and len(out.split(b"\r\n\r\n", 1)[-1]) > 0,
          "1,000 header lines: 431 with a body (%r)" % out[:40])
    check(client.calls(made[0].sid).fetch().sid == made[0].sid, "the server still answers")

    print("To: one rule at create")
    bad_to = ["+1 555 1230001", "555-123-0001", "hello", "+", "+0123456", "+1234567890123456", "sip:", "sip:@",
              "sip:alice@", "sip:alice@bad host", "sip:alice@host:notaport", "client:", "client:a b", "sim:123",
              "sim:HS123", "tel:+15551230001", "+15551230001\n"]
    for to in bad_to:
        try:
            client.calls.create(to=to, from_=FROM, twiml="<Response/>")
            check(False, "To=%r refused at create" % to)
        except TwilioRestException as e:
            check(e.status == 400 and e.code == 21211, "To=%r: 400 / 21211 (%s %s)" % (to, e.status, e.code))
    good_to = [HUMAN, "15551230001", "sip:alice@127.0.0.1:5099", "sip:bob@example.com;transport=udp",
               "sip:[::1]:5060", "client:alice_1", "sim:HS" + "0" * 32]
    for to in good_to:
        try:
            c = client.calls.create(to=to, from_=FROM, twiml="<Response/>")
            client.calls(c.sid).update(status="canceled")
            check(True, "To=%r accepted" % to)
        except TwilioRestException as e:
            check(False, "To=%r accepted (%s %s)" % (to, e.code, e.msg))

    print("relative AsyncAmdStatusCallback")
    try:
        client.calls.create(to=HUMAN, from_=FROM, twiml="<Response/>", machine_detection="Enable", async_amd=True,
                            async_amd_status_callback="/amd")
        check(False, "relative AsyncAmdStatusCallback with Twiml: 400")
    except TwilioRestException as e:
        check(e.status == 400 and e.code == 21205 and "resolve" in e.msg,
              "relative AsyncAmdStatusCallback with Twiml: 400 / 21205 (%s)" % e.msg)
    try:
        client.calls.create(to=HUMAN, from_=FROM, url="http://127.0.0.1:1/x", machine_detection="Enable",
                            async_amd=True, async_amd_status_callback="javascript:alert(1)")
        check(False, "AsyncAmdStatusCallback with a foreign scheme: 400")
    except TwilioRestException as e:
        check(e.status == 400 and e.code == 21205, "AsyncAmdStatusCallback with a foreign scheme: 400 / 21205")

    print("API keys")
    kc = Client(KEY_SID, KEY_SECRET, ACCOUNT)
    kc.api.base_url = srv.base
    recv.set("/answer", "<Response><Hangup/></Response>")
    try:
        c = kc.calls.create(to=HUMAN, from_=FROM, url=recv.url("/answer"))
        check(c.account_sid == ACCOUNT, "Client(key, secret, account) creates a call of the account")
        got = recv.wait_for(lambda r: r["path"] == "/answer" and r["params"].get("CallSid") == c.sid, timeout=120)
        check(got and recv.signature_ok(got[0], TOKEN), "its webhook is signed with the account's auth token")
        check(len(kc.calls.list(limit=5)) > 0, "and the key lists the account's calls")
    except TwilioRestException as e:
        check(False, "API key create: %s" % e)
    bad = Client(KEY_SID, "wrong", ACCOUNT)
    bad.api.base_url = srv.base
    try:
        bad.calls.list(limit=1)
        check(False, "a wrong key secret: 401")
    except Exception as e:  # noqa: BLE001 - the page fetch raises TwilioException with the response
        check("401" in str(e), "a wrong key secret: 401 (%s)" % str(e)[:80])
finally:
    srv.cleanup()

print("start-up flags")
d = tempfile.mkdtemp(prefix="amd-serve-flags-")
rc, err = start_fails(["--db", os.path.join(d, "x.db"), "--public-url", "example.com"])
check(rc == 2 and "public_url" in err and "absolute" in err, "--public-url without scheme: %s" % err)
rc, err = start_fails(["--db", os.path.join(d, "x.db"), "--public-url", "ftp://example.com/"])
check(rc == 2 and "absolute" in err, "--public-url ftp://: %s" % err)
rc, err = start_fails(["--db", os.path.join(d, "missing", "x.db")])
check(rc != 0 and "does not exist" in err and "in use" not in err, "--db in a missing folder: %s" % err)
plan = os.path.join(d, "plan.json")
with open(plan, "w") as f:
    json.dump({"routes": [{"to": "+15551230001", "outcom": "busy"}]}, f)
rc, err = start_fails(["--db", os.path.join(d, "x.db"), "--dialplan", plan])
check(rc != 0 and '"outcom"' in err, "dial plan with an unknown key names it: %s" % err)
with open(plan, "w") as f:
    json.dump({"routes": [{"to": "+1 555"}]}, f)
rc, err = start_fails(["--db", os.path.join(d, "x.db"), "--dialplan", plan])
check(rc != 0 and "to" in err, "dial plan with an unreachable `to`: %s" % err)
rc, err = start_fails(["--db", os.path.join(d, "x.db"), "--api-key", "SK12:secret:" + ACCOUNT])
check(rc == 2 and "API key" in err, "a malformed API key: %s" % err)
rc, err = start_fails(["--db", os.path.join(d, "x.db"), "--account", "%s:%s" % (ACCOUNT, TOKEN), "--api-key",
                       "%s:s:AC%s" % (KEY_SID, "9" * 32)])
check(rc == 2 and "not an account" in err, "an API key of an unknown account: %s" % err)
rc, err = start_fails(["--db", os.path.join(d, "x.db")], {"AMD_MAX_CONNECTIONS_PER_IP": "0"})
check(rc == 2 and "max-connections-per-ip" in err, "AMD_MAX_CONNECTIONS_PER_IP=0: %s" % err)
rc, err = start_fails(["--db", os.path.join(d, "x.db"), "--request-timeout", "0"])
check(rc == 2 and "request-timeout" in err, "--request-timeout 0: %s" % err)
rc, err = start_fails(["--db", os.path.join(d, "x.db"), "--max-queued", "-1"])
check(rc == 2 and "max-queued" in err, "--max-queued -1: %s" % err)
subprocess.run(["rm", "-rf", d])
finish()
