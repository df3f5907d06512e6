# SPDX-License-Identifier: MIT
"""Where webhooks may go, and how much one call may fetch and store.

Destination policy: by default the server refuses to connect to loopback / private / link-local
addresses, whatever name or redirect leads there; a refused TwiML fetch fails like an
unreachable URL (11200 in Events, FallbackUrl tried, which is refused too, the call ends), and
nothing of the target's reply reaches Events. `--webhook-allow` opens ranges (the other
integration tests run with 127.0.0.0/8 through the harness), and a redirect from an allowed
address into a refused one is refused at that hop.

Caps: a <Redirect> loop ends after 100 TwiML fetches with 11215; a call that produces more than
200 events keeps its first 100 and last 100 and says how many it dropped (`events_dropped`)."""
import base64
import json
import os
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import ACCOUNT, FROM, HUMAN, HUMAN_STAYS, TOKEN, Receiver, Server, check, finish, wait_call  # noqa: E402
from twilio.base.exceptions import TwilioRestException  # noqa: E402  (the harness skips without twilio)

SECRET = "TOPSECRET-4242"
recv = Receiver()
recv.set("/secret", "<Response><Say>%s</Say></Response>" % SECRET)
recv.set("/loop", "<Response><Pause length=\"1\"/><Redirect>/loop</Redirect></Response>")
recv.set("/many", "<Response>" + "<Pay/>" * 300 + "<Hangup/></Response>")


class Redirector(BaseHTTPRequestHandler):
    """On 127.0.0.2: /ok answers TwiML, anything else redirects to the loopback receiver."""
    protocol_version = "HTTP/1.1"
    hits = []

    def log_message(self, *a):
        pass

    def _handle(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        Redirector.hits.append(self.path)
        if self.path.startswith("/chain/"):  # /chain/N -> /chain/N+1, endlessly
            data = b""
            n = int(self.path.split("/")[2].split("?")[0])
            self.send_response(302)
            self.send_header("Location", "/chain/%d" % (n + 1))
        elif self.path.startswith("/ok"):
            data = b"<Response><Pause length=\"1\"/></Response>"
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
        else:
            data = b""
            self.send_response(302)
            self.send_header("Location", recv.url("/secret"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _handle
    do_POST = _handle


red = ThreadingHTTPServer(("127.0.0.2", 0), Redirector)
red.daemon_threads = True
threading.Thread(target=red.serve_forever, daemon=True).start()
red_base = "http://127.0.0.2:%d" % red.server_address[1]


def events(srv, sid):
    req = urllib.request.Request(srv.base + "/2010-04-01/Accounts/%s/Calls/%s/Events.json?PageSize=1000" % (ACCOUNT, sid),
                                 headers={"Authorization": "Basic " + base64.b64encode(
                                     ("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()})
    return json.loads(urllib.request.urlopen(req).read())


def of_call(sid):
    return lambda r: r["params"].get("CallSid") == sid


srv = None
try:
    print("default policy: loopback webhooks are refused")
    srv = Server(clock_speed=10, webhook_allow=None)
    client = srv.client()
    c = client.calls.create(to=HUMAN, from_=FROM, url=recv.url("/secret"), fallback_url=recv.url("/secret"),
                            status_callback=recv.url("/status"))
    c2 = client.calls.create(to=HUMAN, from_=FROM, url=recv.url("/secret").replace("127.0.0.1", "localhost"))
    f, f2 = wait_call(client, c.sid), wait_call(client, c2.sid)
    time.sleep(0.5)
    check(not recv.matching(lambda r: True), "no request reached the loopback receiver")
    check(f.status == "completed" and f2.status == "completed", "the calls end (%s, %s)" % (f.status, f2.status))
    ev = events(srv, c.sid)["events"]
    errs = [e["response"].get("error") for e in ev if e["response"] and "error_code" not in e["response"]]
    check(len([x for x in errs if x and "destination refused by policy: 127.0.0.1 is loopback" in x]) == 3,
          "Url, FallbackUrl and StatusCallback refused with the reason in Events: %s" % errs)
    codes = [e["response"].get("error_code") for e in ev if e["response"] and "error_code" in e["response"]]
    check(11200 in codes, "the refused fetch is error 11200 (as an unreachable URL): %s" % codes)
    check(SECRET not in json.dumps(ev), "nothing of the target's reply in Events")
    ev2 = events(srv, c2.sid)["events"]
    check(any("loopback" in (e["response"].get("error") or "") for e in ev2 if e["response"] and "error_code" not in e["response"]),
          "a name that resolves to loopback (localhost) is refused too")
    srv.cleanup()

    print("--webhook-allow 127.0.0.2/32: that address is reachable, a redirect from it to 127.0.0.1 is not")
    srv = Server(clock_speed=10, webhook_allow="127.0.0.2/32")
    client = srv.client()
    ok = client.calls.create(to=HUMAN, from_=FROM, url=red_base + "/ok")
    hop = client.calls.create(to=HUMAN, from_=FROM, url=red_base + "/hop")
    wait_call(client, ok.sid)
    wait_call(client, hop.sid)
    check(any(p.startswith("/ok") for p in Redirector.hits) and any(p.startswith("/hop") for p in Redirector.hits),
          "the allowed address was fetched (%s)" % Redirector.hits)
    check(not recv.matching(lambda r: True), "the redirect hop to 127.0.0.1 never connected")
    ev = events(srv, hop.sid)["events"]
    check(any("127.0.0.1 is loopback" in (e["response"].get("error") or "") for e in ev if e["response"] and "error_code" not in e["response"]),
          "the hop is refused with the reason in Events")
    check(SECRET not in json.dumps(ev), "nothing of the hop target's reply in Events")
    del Redirector.hits[:]
    chain = client.calls.create(to=HUMAN, from_=FROM, url=red_base + "/chain/0")
    wait_call(client, chain.sid)
    hops = [p for p in Redirector.hits if p.startswith("/chain/")]
    check(len(hops) == 11, "HTTP redirects: the first request and at most 10 more (%d)" % len(hops))
    ev = events(srv, chain.sid)["events"]
    codes = [e["response"].get("error_code") for e in ev if e["response"] and "error_code" in e["response"]]
    check(11215 in codes, "too many redirects is error 11215: %s" % codes)
    srv.cleanup()

    print("caps: TwiML fetches per call, events per call (loopback allowed)")
    srv = Server(clock_speed=50)
    client = srv.client()
    loop = client.calls.create(to=HUMAN_STAYS, from_=FROM, url=recv.url("/loop"))
    f = wait_call(client, loop.sid, timeout=120)
    n = len(recv.matching(lambda r: r["path"] == "/loop" and of_call(loop.sid)(r)))
    check(n == 100, "a <Redirect> loop is fetched 100 times, then stops (%d)" % n)
    check(f.status == "completed", "and the call ends (%s)" % f.status)
    e = events(srv, loop.sid)
    codes = [x["response"].get("error_code") for x in e["events"] if x["response"] and "error_code" in x["response"]]
    check(11215 in codes, "with error 11215 in Events: %s" % codes)
    print("inline Twiml is parsed at create")
    try:
        client.calls.create(to=HUMAN, from_=FROM, twiml="<Response><Foo/></Response>")
        check(False, "invalid inline Twiml refused at create")
    except TwilioRestException as x:
        check(x.status == 400 and x.code == 12200 and "Foo" in (x.msg or ""),
              "invalid inline Twiml -> 400, 12200, message names <Foo> (%s %s %s)" % (x.status, x.code, x.msg))
    many = client.calls.create(to=HUMAN_STAYS, from_=FROM, url=recv.url("/many"))
    wait_call(client, many.sid, timeout=60)
    e = events(srv, many.sid)
    ev = e["events"]
    check(len(ev) == 200, "300 warnings + the fetch: 200 events kept (%d)" % len(ev))
    check(e.get("events_dropped", 0) >= 100, "events_dropped says how many went (%s)" % e.get("events_dropped"))
    check(ev and ev[0]["request"] and ev[0]["request"]["url"] == recv.url("/many"), "the first event (the fetch) is kept")
    check(ev and ev[-1]["response"].get("error_code") == 12200, "and the last ones")
finally:
    if srv:
        srv.cleanup()
    red.shutdown()
finish()
