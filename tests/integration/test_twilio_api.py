# SPDX-License-Identifier: MIT
"""python twilio against `amd serve`: the REST contract — auto-paging over 150+ calls,
filters, fetch, delete (-> True), CSV, the list envelope, and every error path
(auth 20003, isolation between accounts, 20404, validation codes, 21481, 21220)."""
import base64
import datetime
import json
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (ACCOUNT, ACCOUNT2, BUSY, DEFAULT_DIALPLAN, FROM, HUMAN_STAYS, NO_ANSWER, TOKEN, TOKEN2,  # noqa: E402
                            FAILED, Server, TwilioRestException, check, finish, wait_call)

srv = Server(clock_speed=20, cps=500)
client = srv.client()
client2 = srv.client(ACCOUNT2, TOKEN2)
TWIML = "<Response><Hangup/></Response>"


def raw(method, path, body=None, sid=ACCOUNT, token=TOKEN, auth=True):
    req = urllib.request.Request(srv.base + path, data=body.encode() if body is not None else None, method=method)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % (sid, token)).encode()).decode())
    if body is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def expect_error(fn, status, code, what):
    try:
        fn()
    except TwilioRestException as e:
        return check(e.status == status and e.code == code,
                     "%s -> HTTP %s code %s (got %s / %s: %s)" % (what, status, code, e.status, e.code, e.msg))
    return check(False, "%s -> expected HTTP %s code %s, got success" % (what, status, code))


try:
    # ---- many calls, auto-paging
    print("auto-paging over 160 calls")
    sids = set()
    for i in range(160):
        c = client.calls.create(to=BUSY, from_=FROM, twiml=TWIML)
        sids.add(c.sid)
    listed = [c.sid for c in client.calls.list(page_size=50)]
    check(len(listed) == 160 and set(listed) == sids, "list(page_size=50) follows next_page_uri over all 160 calls (%d)" % len(listed))
    check(len(set(listed)) == len(listed), "no call appears twice across pages")
    streamed = [c.sid for c in client.calls.stream(page_size=7, limit=30)]
    check(len(streamed) == 30 and streamed == listed[:30], "stream(page_size=7, limit=30) = the 30 newest, newest first")
    page = client.calls.page(page_size=20)
    check(len(list(page)) == 20 and page.next_page_url is not None, "page(page_size=20) has a next page")
    p2 = page.next_page()
    check([c.sid for c in p2] == listed[20:40], "next_page() returns the following 20")
    p1 = p2.previous_page()
    check(p1 is not None and [c.sid for c in p1] == listed[:20], "previous_page() returns the first 20 again")
    big = client.calls.list(limit=2000)
    check(len(big) == 160, "list(limit=2000) sends PageSize=2000; clamped to 1000 and still complete")

    # ---- the envelope, raw
    st, hdr, body = raw("GET", "/2010-04-01/Accounts/%s/Calls.json?PageSize=3" % ACCOUNT)
    env = json.loads(body)
    meta = {"end", "first_page_uri", "next_page_uri", "page", "page_size", "previous_page_uri", "start", "uri"}
    check(st == 200 and set(env) == meta | {"calls"}, "list envelope is calls + meta keys only: %s" % sorted(env))
    check(env["next_page_uri"].startswith("/2010-04-01/") and "PageToken=" in env["next_page_uri"],
          "next_page_uri is relative and carries a PageToken")
    check(env["start"] == 0 and env["end"] == 2 and env["page_size"] == 3, "start / end / page_size")
    call = env["calls"][0]
    check(len(call) == 26, "call object has 26 fields (%d)" % len(call))
    check(call["uri"] == "/2010-04-01/Accounts/%s/Calls/%s.json" % (ACCOUNT, call["sid"]), "relative uri")
    check(isinstance(call["queue_time"], str) and (call["duration"] is None or isinstance(call["duration"], str)),
          "numbers are strings")
    check(call["date_created"].endswith("+0000") and call["direction"] == "outbound-api" and
          call["api_version"] == "2010-04-01", "RFC 2822 dates, direction, api_version")
    check(call["to_formatted"] == "(555) 123-0050", "to_formatted (%s)" % call["to_formatted"])
    check("events" in call["subresource_uris"], "subresource_uris map")
    st, _, body = raw("GET", "/2010-04-01/Accounts/%s/Calls.json?PageSize=3&PageToken=garbage" % ACCOUNT)
    check(st == 400 and json.loads(body)["code"] == 21481, "bad PageToken -> 400 21481")

    # ---- filters
    print("filters")
    na = client.calls.create(to=NO_ANSWER, from_=FROM, twiml=TWIML, timeout=1)
    live = client.calls.create(to=HUMAN_STAYS, from_="+15005550006", twiml="<Response><Pause length=\"600\"/></Response>")
    wait_call(client, na.sid)
    wait_call(client, live.sid, final=("in-progress",))
    check([c.sid for c in client.calls.list(to=NO_ANSWER)] == [na.sid], "filter To")
    check([c.sid for c in client.calls.list(status="in-progress")] == [live.sid], "filter Status=in-progress")
    check(len(client.calls.list(status="busy")) == 160, "filter Status=busy")
    check(len(client.calls.list(from_=FROM)) == 162, "filter From")
    now = datetime.datetime.utcnow()
    check(len(client.calls.list(start_time_after=now - datetime.timedelta(days=1))) == 162, "StartTime> (datetime)")
    check(len(client.calls.list(start_time_before=now - datetime.timedelta(days=1))) == 0, "StartTime< (datetime)")
    first = client.calls(na.sid).fetch()
    day = first.start_time.strftime("%Y-%m-%d")
    check(len(client.calls.list(start_time=day)) == 162, "StartTime=YYYY-MM-DD (that UTC date)")
    check(len(client.calls.list(end_time_after=first.end_time - datetime.timedelta(seconds=1), to=NO_ANSWER)) == 1,
          "EndTime> with To")
    pg = client.calls.page(status="busy", page_size=100)
    check(len(list(pg)) == 100 and "Status=busy" in pg._payload["next_page_uri"], "filters are kept in next_page_uri")
    check(len(list(pg.next_page())) == 60, "second filtered page holds the rest")

    # ---- fetch / delete / isolation
    print("fetch, delete, isolation")
    f = client.calls(na.sid).fetch()
    check(f.sid == na.sid and f.status == "no-answer" and f.to == NO_ANSWER and f.from_ == FROM, "fetch")
    check(f.queue_time is not None and f.start_time is not None and f.end_time is not None, "fetch: times filled")
    expect_error(lambda: client2.calls(na.sid).fetch(), 404, 20404, "another account fetching the call")
    check(client2.calls.list() == [], "another account lists none of these calls")
    st, hdr, body = raw("GET", "/2010-04-01/Accounts/%s/Calls.json" % ACCOUNT, sid=ACCOUNT2, token=TOKEN2)
    check(st == 401 and json.loads(body)["code"] == 20003, "credentials of one account on another's path -> 401 20003")
    expect_error(lambda: client2.calls(na.sid).update(status="completed"), 404, 20404, "another account updating")
    expect_error(lambda: client2.calls(na.sid).delete(), 404, 20404, "another account deleting")
    expect_error(lambda: client.calls(live.sid).delete(), 400, 21220, "deleting a live call")
    check(client.calls(na.sid).delete() is True, "delete of a finished call -> True (204)")
    expect_error(lambda: client.calls(na.sid).fetch(), 404, 20404, "fetch after delete")
    expect_error(lambda: client.calls("CA" + "0" * 32).fetch(), 404, 20404, "fetch of an unknown sid")
    st, _, body = raw("DELETE", "/2010-04-01/Accounts/%s/Calls/%s.json" % (ACCOUNT, live.sid))
    u = client.calls(live.sid).update(status="canceled")
    check(u.status == "in-progress", "Status=canceled has no effect on an answered call")
    u = client.calls(live.sid).update(status="completed")
    check(u.status == "completed", "Status=completed ends it")
    expect_error(lambda: client.calls(live.sid).update(url="http://example.com/x"), 400, 21220,
                 "redirecting a finished call")

    # ---- cancel while queued (slow CPS on the second account)
    q = [client2.calls.create(to=BUSY, from_=FROM, twiml=TWIML) for _ in range(3)]
    c = client2.calls(q[-1].sid).update(status="canceled")
    check(c.status in ("canceled", "busy"), "Status=canceled on a queued call -> canceled (%s)" % c.status)

    # ---- auth
    print("authentication and validation errors")
    st, hdr, body = raw("GET", "/2010-04-01/Accounts/%s/Calls.json" % ACCOUNT, auth=False)
    check(st == 401 and json.loads(body)["code"] == 20003 and "Basic" in hdr.get("WWW-Authenticate", ""),
          "no credentials -> 401 20003 + WWW-Authenticate")
    st, _, body = raw("GET", "/2010-04-01/Accounts/%s/Calls.json" % ACCOUNT, token="wrong")
    check(st == 401 and json.loads(body)["code"] == 20003, "wrong token -> 401 20003")
    bad = srv.client(ACCOUNT, "wrong")
    expect_error(lambda: bad.calls(live.sid).fetch(), 401, 20003, "python client with a wrong token")
    e = json.loads(body)
    check(set(e) == {"code", "message", "more_info", "status"} and e["more_info"].endswith("/20003"),
          "error body {code,message,more_info,status}")

    cases = [
        (dict(to="", from_=FROM, url="http://example.com/t"), 21201, "missing (empty) To"),
        (dict(to=BUSY, from_="", url="http://example.com/t"), 21213, "missing (empty) From"),
        (dict(to=BUSY, from_=FROM), 21200, "no Url / Twiml / ApplicationSid"),
        (dict(to=BUSY, from_=FROM, url="not a url"), 21205, "invalid Url"),
        (dict(to=BUSY, from_=FROM, url="http://example.com/t", method="PUT"), 21209, "invalid Method"),
        (dict(to=BUSY, from_=FROM, url="http://example.com/t", send_digits="12x"), 21206, "invalid SendDigits"),
        (dict(to=BUSY, from_=FROM, url="http://example.com/t", timeout=-5), 21208, "invalid Timeout"),
        (dict(to=BUSY, from_=FROM, url="http://example.com/t", machine_detection="Sometimes"), 21263, "invalid MachineDetection"),
        (dict(to=BUSY, from_=FROM, url="http://example.com/t", machine_detection="Enable",
              machine_detection_timeout=2), 21263, "MachineDetectionTimeout below 3"),
        (dict(to=BUSY, from_=FROM, url="http://example.com/t", machine_detection="Enable",
              machine_detection_speech_threshold=7000), 21263, "MachineDetectionSpeechThreshold above 6000"),
        (dict(to=BUSY, from_=FROM, url="http://example.com/t", machine_detection_silence_timeout=1000), 21263,
         "MachineDetectionSilenceTimeout below 2000"),
        (dict(to=BUSY, from_=FROM, url="http://example.com/t", status_callback="http://bad_host.example.com/s"), 21205,
         "StatusCallback host with an underscore"),
        (dict(to=BUSY, from_=FROM, url="http://example.com/t", status_callback_event=["initiated", "exploded"]), 21200,
         "unknown StatusCallbackEvent"),
        (dict(to=BUSY, from_=FROM, twiml="<Response>" + "<Pause/>" * 500 + "</Response>"), 21200, "Twiml over 4000 characters"),
        (dict(to=BUSY, from_=FROM, application_sid="AP" + "1" * 32), 21218, "ApplicationSid (no Applications here)"),
        (dict(to="+15005550001", from_=FROM, url="http://example.com/t"), 21217, "magic To +15005550001"),
        (dict(to="+15005550002", from_=FROM, url="http://example.com/t"), 21214, "magic To +15005550002"),
        (dict(to="+15005550003", from_=FROM, url="http://example.com/t"), 21215, "magic To +15005550003"),
        (dict(to="+15005550004", from_=FROM, url="http://example.com/t"), 21216, "magic To +15005550004"),
        (dict(to=BUSY, from_="+15005550001", url="http://example.com/t"), 21212, "magic From +15005550001"),
        (dict(to="hello", from_=FROM, url="http://example.com/t"), 21211, "To that is no number"),
    ]
    for kw, code, what in cases:
        kw = {k: v for k, v in kw.items() if v is not None}
        expect_error(lambda kw=kw: client.calls.create(**kw), 400, code, what)
    st, _, body = raw("POST", "/2010-04-01/Accounts/%s/Calls.json" % ACCOUNT, body="To=%2B1&From=%zz")
    check(st == 400 and json.loads(body)["code"] == 21200, "malformed form body -> 400 21200")
    st, _, body = raw("POST", "/2010-04-01/Accounts/%s/Calls.json" % ACCOUNT, body="Twiml=" + "x" * 70000)
    check(st == 413, "request body over 64 KiB -> 413")
    c = client.calls.create(to=BUSY, from_=FROM, url="http://example.com/t", record=True,
                            status_callback_event="initiated ringing", machine_detection="enable",
                            machine_detection_timeout=59, send_digits="1234w#")
    check(c.status == "queued", "Record=True, space-separated events, lowercase enable, SendDigits accepted")
    st, _, body = raw("GET", "/2010-04-01/Accounts/%s/Calls/%s.json" % (ACCOUNT, "CA123"))
    check(st == 404 and json.loads(body)["code"] == 20404, "malformed call sid -> 404 20404")
    st, _, body = raw("PUT", "/2010-04-01/Accounts/%s/Calls.json" % ACCOUNT, body="")
    check(st == 405, "PUT -> 405")

    # ---- the shipped default dial plan loads (every audio file it names exists and decodes)
    try:
        d = Server(dialplan=DEFAULT_DIALPLAN)
        check(True, "testdata/dialplan.json loads")
        d.cleanup()
    except RuntimeError as e:
        check(False, "testdata/dialplan.json loads: %s" % e)

    # ---- XML, the 2010 API's representation when the path has no extension
    import xml.etree.ElementTree as ET
    st, hdr, body = raw("GET", "/2010-04-01/Accounts/%s/Calls/%s" % (ACCOUNT, live.sid))
    root = ET.fromstring(body)
    check(st == 200 and "xml" in hdr.get("Content-Type", "") and root.tag == "TwilioResponse" and
          root.find("Call/Sid").text == live.sid and root.find("Call/Status").text == "completed",
          "GET Calls/{Sid} without extension -> XML <TwilioResponse><Call>")
    st, _, body = raw("GET", "/2010-04-01/Accounts/%s/Calls?PageSize=3" % ACCOUNT)
    root = ET.fromstring(body)
    check(st == 200 and root.find("Calls").get("pagesize") == "3" and len(root.findall("Calls/Call")) == 3,
          "GET Calls without extension -> XML list with paging attributes")
    st, _, body = raw("GET", "/2010-04-01/Accounts/%s/Calls/CA%s" % (ACCOUNT, "0" * 32))
    root = ET.fromstring(body)
    check(st == 404 and root.find("RestException/Code").text == "20404", "XML RestException")

    # ---- CSV
    st, hdr, body = raw("GET", "/2010-04-01/Accounts/%s/Calls.csv?PageSize=5&Status=busy" % ACCOUNT)
    lines = body.strip().split("\r\n")
    check(st == 200 and hdr.get("Content-Type", "").startswith("text/csv") and lines[0].startswith("sid,date_created")
          and len(lines) == 6, "Calls.csv: header + 5 rows")
finally:
    srv.cleanup()
finish()
