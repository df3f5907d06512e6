# SPDX-License-Identifier: MIT
"""python twilio against `amd serve`: AMD (sync and async, human / machine / fax), signed
webhooks checked with twilio's RequestValidator, the status-callback sequence, busy,
no-answer, Fallback, live redirects, hang-up by update, the Events list, recordings (callback
fields, account-wide list pages, delete)."""
import json
import os
import sys
import time
import urllib.error
import urllib.request
import base64

from twilio.base.exceptions import TwilioRestException

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (ACCOUNT, BUSY, DIALPLAN, FAX, FROM, HUMAN, HUMAN_STAYS, MACHINE_BEEP,  # noqa: E402
                            NO_ANSWER, TOKEN, Receiver, Server, check, classify, finish, wait_call)

recv = Receiver()
srv = Server(clock_speed=10)
client = srv.client()
# long enough that every call outlives its AMD decision (a call that ends first is decided on
# the audio heard so far, which is right but would not match classify on the whole file)
TWIML_SHORT = "<Response><Say>Hello from the test</Say><Pause length=\"12\"/></Response>"
recv.set("/twiml", TWIML_SHORT)
recv.set("/status", "", status=204, ctype="text/plain")
recv.set("/amd", "", status=200, ctype="text/plain")

routes = {r["to"]: r for r in json.load(open(DIALPLAN))["routes"]}
audio_dir = os.path.dirname(DIALPLAN)


def expected(number, mode):
    return classify(os.path.join(audio_dir, routes[number]["audio"]), mode)


try:
    # ---- async AMD, Enable: Url at answer, result to AsyncAmdStatusCallback
    print("async AMD (Enable) for human, machine and fax numbers")
    calls = {}
    for number, label in ((HUMAN, "human"), (MACHINE_BEEP, "machine"), (FAX, "fax")):
        c = client.calls.create(to=number, from_=FROM, url=recv.url("/twiml?kind=async"),
                                machine_detection="Enable", async_amd="true",
                                async_amd_status_callback=recv.url("/amd?n=" + number[1:]),
                                status_callback=recv.url("/status"),
                                status_callback_event=["initiated", "ringing", "answered", "completed"])
        check(c.status == "queued" and c.sid.startswith("CA") and len(c.sid) == 34,
              "create returns a queued call with a CA sid (%s)" % number)
        calls[number] = (c.sid, label)
    for number, (sid, label) in calls.items():
        got = recv.wait_for(lambda r, n=number: r["path"] == "/amd" and r["params"].get("CallSid") == calls[n][0])
        if not check(len(got) == 1, "one AsyncAmdStatusCallback for %s" % number):
            continue
        r = got[0]
        exp = expected(number, "Enable")
        ab = r["params"].get("AnsweredBy")
        check(ab == exp["answered_by"], "%s AnsweredBy=%s equals amd classify (%s)" % (number, ab, exp["answered_by"]))
        coarse = "machine" if ab.startswith("machine") else ab
        check(coarse == label, "%s answered by a %s (%s)" % (number, label, ab))
        check(r["params"].get("MachineDetectionDuration") == exp["machine_detection_duration_ms"],
              "MachineDetectionDuration %s ms equals amd classify" % r["params"].get("MachineDetectionDuration"))
        check(set(r["params"]) == {"CallSid", "AccountSid", "AnsweredBy", "MachineDetectionDuration"},
              "AMD callback carries exactly CallSid, AccountSid, AnsweredBy, MachineDetectionDuration")
        check(r["params"].get("AccountSid") == ACCOUNT, "AMD callback AccountSid")
        check(recv.signature_ok(r), "AMD callback X-Twilio-Signature validates with RequestValidator")
        urlreq = recv.matching(lambda q, s=sid: q["path"] == "/twiml" and q["params"].get("CallSid") == s)
        check(len(urlreq) == 1 and "AnsweredBy" not in urlreq[0]["params"] and urlreq[0]["t"] <= r["t"],
              "async: Url fetched at answer, before the AMD result, without AnsweredBy")
        fin = wait_call(client, sid)
        check(fin.status == "completed" and fin.answered_by == ab,
              "call completed with answered_by=%s on the resource" % fin.answered_by)

    # ---- status callback sequence of the human call
    print("status callbacks")
    sid = calls[HUMAN][0]
    st = recv.wait_for(lambda r: r["path"] == "/status" and r["params"].get("CallSid") == sid, count=4)
    seq = [(int(r["params"]["SequenceNumber"]), r["params"]["CallStatus"]) for r in st]
    check(seq == [(0, "initiated"), (1, "ringing"), (2, "in-progress"), (3, "completed")],
          "initiated, ringing, in-progress, completed with SequenceNumber 0..3 in order: %s" % seq)
    check(all(recv.signature_ok(r) for r in st), "every status callback is signed validly")
    check(all(r["params"].get("CallbackSource") == "call-progress-events" for r in st), "CallbackSource")
    check(all(r["params"].get("Timestamp", "").endswith("+0000") for r in st), "Timestamp is RFC 2822 UTC")
    check(all(r["params"].get(k) for r in st for k in ("AccountSid", "From", "To", "ApiVersion", "Direction")),
          "standard voice parameters on every callback")
    last = st[-1]["params"]
    fin = client.calls(sid).fetch()
    check(last.get("CallDuration") == fin.duration and int(fin.duration) > 0,
          "completed callback CallDuration (%s) equals the call's duration (%s)" % (last.get("CallDuration"), fin.duration))
    check(last.get("AnsweredBy") == fin.answered_by, "completed callback carries AnsweredBy")

    # ---- default events: only completed
    c = client.calls.create(to=HUMAN, from_=FROM, twiml="<Response><Hangup/></Response>",
                            status_callback=recv.url("/status?only=completed"))
    fin = wait_call(client, c.sid)
    got = recv.wait_for(lambda r: r["path"] == "/status" and r["params"].get("CallSid") == c.sid)
    check(len(got) == 1 and got[0]["params"]["CallStatus"] == "completed" and
          got[0]["params"]["SequenceNumber"] == "0", "without StatusCallbackEvent only completed is sent")
    check(recv.signature_ok(got[0]), "signature covers the StatusCallback URL with its query string")
    check(fin.answered_by is None, "answered_by is null without MachineDetection")

    # ---- sync AMD: Url fetched after the decision with AnsweredBy + MachineDetectionDuration
    print("sync AMD (Enable and DetectMessageEnd)")
    for number, mode in ((MACHINE_BEEP, "Enable"), (HUMAN, "DetectMessageEnd"), (MACHINE_BEEP, "DetectMessageEnd")):
        c = client.calls.create(to=number, from_=FROM, url=recv.url("/twiml?kind=sync"), method="GET",
                                machine_detection=mode, machine_detection_timeout=30)
        got = recv.wait_for(lambda r, s=c.sid: r["path"] == "/twiml" and r["params"].get("CallSid") == s, timeout=60)
        if not check(len(got) == 1, "sync %s %s: Url requested once" % (mode, number)):
            continue
        p = got[0]["params"]
        exp = expected(number, mode)
        check(got[0]["method"] == "GET", "Method=GET honoured (parameters in the query)")
        check(p.get("AnsweredBy") == exp["answered_by"],
              "sync %s %s: AnsweredBy=%s equals amd classify (%s)" % (mode, number, p.get("AnsweredBy"), exp["answered_by"]))
        check(p.get("MachineDetectionDuration") == exp["machine_detection_duration_ms"], "MachineDetectionDuration on the Url request")
        check(p.get("CallStatus") == "in-progress", "voice request CallStatus=in-progress")
        check(recv.signature_ok(got[0]), "GET webhook signature (URL with query) validates")
        if mode == "DetectMessageEnd" and number == MACHINE_BEEP:
            check(p.get("AnsweredBy", "").startswith("machine_end_"), "DetectMessageEnd reports machine_end_*")
        fin = wait_call(client, c.sid)
        check(fin.answered_by == p.get("AnsweredBy"), "answered_by stored on the call")

    # ---- busy and no-answer
    print("busy, no-answer")
    b = client.calls.create(to=BUSY, from_=FROM, url=recv.url("/twiml"), status_callback=recv.url("/status"))
    n = client.calls.create(to=NO_ANSWER, from_=FROM, url=recv.url("/twiml"), timeout=3,
                            status_callback=recv.url("/status"))
    fb, fn = wait_call(client, b.sid), wait_call(client, n.sid)
    check(fb.status == "busy" and fb.duration is None, "busy number ends busy with no duration")
    check(fn.status == "no-answer", "unanswered call ends no-answer after Timeout")
    t0 = time.time()
    st = recv.wait_for(lambda r: r["path"] == "/status" and r["params"].get("CallSid") in (b.sid, n.sid), count=2)
    check(sorted(r["params"]["CallStatus"] for r in st) == ["busy", "no-answer"], "completed callbacks say busy / no-answer")
    check(not recv.matching(lambda r: r["path"] == "/twiml" and r["params"].get("CallSid") in (b.sid, n.sid)),
          "no Url request for calls that were never answered")
    span = fn.end_time - fn.start_time
    check(2.5 <= span.total_seconds() <= 4.5, "no-answer after Timeout=3 s of simulated time (%.1f s)" % span.total_seconds())

    # ---- Fallback: Url fails -> FallbackUrl with ErrorCode / ErrorUrl
    print("FallbackUrl and invalid TwiML")
    recv.set("/broken", "oops", status=500, ctype="text/plain")
    recv.set("/garbage", "<Response><Say>unclosed", status=200)
    recv.set("/fallback", "<Response><Say>fallback speaking</Say></Response>")
    c = client.calls.create(to=HUMAN, from_=FROM, url=recv.url("/broken"), fallback_url=recv.url("/fallback"))
    got = recv.wait_for(lambda r: r["path"] == "/fallback" and r["params"].get("CallSid") == c.sid)
    check(len(got) == 1 and got[0]["params"].get("ErrorCode") == "11200" and
          got[0]["params"].get("ErrorUrl") == recv.url("/broken"), "HTTP 500 from Url -> FallbackUrl with ErrorCode 11200")
    check(got and recv.signature_ok(got[0]), "fallback request signed")
    c2 = client.calls.create(to=HUMAN, from_=FROM, url=recv.url("/garbage"))
    fin = wait_call(client, c2.sid)
    check(fin.status == "completed", "invalid TwiML without FallbackUrl ends the call")
    ev = json.loads(urllib.request.urlopen(urllib.request.Request(
        srv.base + "/2010-04-01/Accounts/%s/Calls/%s/Events.json" % (ACCOUNT, c2.sid),
        headers={"Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()})).read())
    codes = [e["response"].get("error_code") for e in ev["events"] if e["response"]]
    check(12100 in codes, "Events list records the TwiML parse error 12100: %s" % codes)
    check(any(e["request"] and e["request"]["url"] == recv.url("/garbage") for e in ev["events"]),
          "Events list records the webhook request")

    # ---- <Redirect> with a relative URL, GET status callbacks
    print("<Redirect>, StatusCallbackMethod=GET")
    recv.set("/flow/start", "<Response><Say>one</Say><Redirect method=\"GET\">next?step=2</Redirect></Response>")
    recv.set("/flow/next", "<Response><Redirect>/flow/last</Redirect></Response>")
    recv.set("/flow/last", "<Response><Hangup/></Response>")
    c = client.calls.create(to=HUMAN, from_=FROM, url=recv.url("/flow/start?step=1"),
                            status_callback=recv.url("/status-get"), status_callback_method="GET")
    fin = wait_call(client, c.sid)
    nxt = recv.matching(lambda r: r["path"] == "/flow/next" and r["params"].get("CallSid") == c.sid)
    last = recv.matching(lambda r: r["path"] == "/flow/last" and r["params"].get("CallSid") == c.sid)
    check(len(nxt) == 1 and nxt[0]["method"] == "GET" and nxt[0]["params"].get("step") == "2",
          "relative <Redirect method=GET> resolved against the document URL")
    check(len(last) == 1 and last[0]["method"] == "POST", "absolute-path <Redirect> (POST by default)")
    check(fin.status == "completed", "<Hangup/> after two redirects completes the call")
    sg = recv.wait_for(lambda r: r["path"] == "/status-get" and r["params"].get("CallSid") == c.sid)
    check(len(sg) == 1 and sg[0]["method"] == "GET" and recv.signature_ok(sg[0]),
          "status callback by GET, parameters in the query, signature over the full URL")

    # ---- live redirect and hang-up through update
    print("update: redirect a live call, then hang up")
    recv.set("/long", "<Response><Pause length=\"600\"/></Response>")
    recv.set("/redirected", "<Response><Pause length=\"600\"/></Response>")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM, url=recv.url("/long"))
    recv.wait_for(lambda r: r["path"] == "/long" and r["params"].get("CallSid") == c.sid)
    u = client.calls(c.sid).update(url=recv.url("/redirected"), method="POST")
    check(u.status == "in-progress", "update with Url on a live call returns it in progress")
    got = recv.wait_for(lambda r: r["path"] == "/redirected" and r["params"].get("CallSid") == c.sid)
    check(len(got) == 1, "the live call fetched the new Url")
    u = client.calls(c.sid).update(twiml="<Response><Say>bye</Say><Hangup/></Response>")
    fin = wait_call(client, c.sid)
    check(fin.status == "completed", "inline Twiml redirect ran <Hangup/>")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM, url=recv.url("/long"))
    recv.wait_for(lambda r: r["path"] == "/long" and r["params"].get("CallSid") == c.sid)
    u = client.calls(c.sid).update(status="completed")
    check(u.status == "completed" and u.end_time is not None, "Status=completed hangs up a live call")
    c = client.calls.create(to=HUMAN, from_=FROM, url=recv.url("/long"), time_limit=2)
    fin = wait_call(client, c.sid)
    check(fin.status == "completed" and fin.duration in ("2", "3"), "TimeLimit=2 ends the call after 2 s (%s)" % fin.duration)

    # ---- recording
    print("Record=true")
    recv.set("/rec", "", status=204, ctype="text/plain")
    c = client.calls.create(to=HUMAN, from_=FROM, twiml="<Response><Pause length=\"30\"/></Response>", record=True,
                            recording_channels="dual", recording_status_callback=recv.url("/rec"),
                            recording_status_callback_event=["in-progress", "completed"],
                            status_callback=recv.url("/status"))
    fin = wait_call(client, c.sid)
    got = recv.wait_for(lambda r: r["path"] == "/rec" and r["params"].get("CallSid") == c.sid, count=2)
    st = [r["params"].get("RecordingStatus") for r in got]
    check(st == ["in-progress", "completed"], "recording status callbacks in-progress, completed: %s" % st)
    check(all(recv.signature_ok(r) for r in got), "recording callbacks signed")
    done = recv.wait_for(lambda r: r["path"] == "/status" and r["params"].get("CallSid") == c.sid)
    rp = got[-1]["params"] if got else {}
    check(done and done[0]["params"].get("RecordingSid") == rp.get("RecordingSid") and
          done[0]["params"].get("RecordingUrl") == rp.get("RecordingUrl"),
          "completed status callback names the recording")
    recs = client.calls(c.sid).recordings.list()
    check(len(recs) == 1 and recs[0].sid == rp.get("RecordingSid") and recs[0].status == "completed" and
          recs[0].channels == 2, "call's Recordings list through python twilio")
    if recs:
        r1 = client.recordings(recs[0].sid).fetch()
        check(r1.call_sid == c.sid and r1.duration == rp.get("RecordingDuration"), "recording fetch")
        req = urllib.request.Request(rp.get("RecordingUrl", "") + ".wav", headers={
            "Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()})
        import io
        import wave
        data = urllib.request.urlopen(req).read()
        w = wave.open(io.BytesIO(data))
        secs = w.getnframes() / w.getframerate()
        check(w.getnchannels() == 2 and abs(secs - int(fin.duration)) <= 1.5,
              "RecordingUrl.wav is a dual-channel WAV as long as the call (%.1f s vs %s s)" % (secs, fin.duration))
    want_keys = {"AccountSid", "CallSid", "RecordingSid", "RecordingUrl", "RecordingStatus", "RecordingDuration",
                 "RecordingChannels", "RecordingStartTime", "RecordingSource", "RecordingTrack", "ErrorCode"}
    check(set(rp) == want_keys and rp.get("RecordingChannels") == "2" and rp.get("ErrorCode") == "0",
          "recording callback fields (Twilio: recordingStatusCallback parameters): %s" % sorted(rp))
    check(done and done[0]["params"].get("RecordingDuration") == rp.get("RecordingDuration"),
          "completed status callback has RecordingDuration")

    # ---- recordings: account-wide list pages, delete
    print("Recordings paging and delete")
    more = [client.calls.create(to=HUMAN, from_=FROM, twiml="<Response><Pause length=\"1\"/><Hangup/></Response>",
                                record=True) for _ in range(2)]
    for m in more:
        wait_call(client, m.sid)
    time.sleep(0.5)
    page = client.recordings.page(page_size=1)
    check(len(list(page)) == 1 and page.next_page_url is not None, "account recordings: PageSize=1 has a next page")
    allrecs = client.recordings.list(page_size=1)
    check(len(allrecs) == 3 and len({r.sid for r in allrecs}) == 3,
          "account recordings list follows next_page_uri: 3 distinct (%d)" % len(allrecs))
    auth_hdr = {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()}
    for bad in ("PageSize=1001", "PageSize=0", "PageSize=x", "Page=-1", "Page=100001"):
        try:
            urllib.request.urlopen(urllib.request.Request(
                "%s/2010-04-01/Accounts/%s/Recordings.json?%s" % (srv.base, ACCOUNT, bad), headers=auth_hdr))
            check(False, "recordings list %s is refused" % bad)
        except urllib.error.HTTPError as ex:
            body = json.loads(ex.read())
            check(ex.code == 400 and body.get("code") == 20001, "recordings list %s -> 400 / 20001" % bad)
    if allrecs:
        victim = allrecs[0]
        wav_req = urllib.request.Request(
            "%s/2010-04-01/Accounts/%s/Recordings/%s.wav" % (srv.base, ACCOUNT, victim.sid),
            headers={"Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()})
        check(len(urllib.request.urlopen(wav_req).read()) > 44, "recording media before delete")
        media = os.path.join(srv.db + "-recordings", victim.sid + ".wav")
        check(os.path.exists(media), "the media file is in the recordings folder")
        check(client.recordings(victim.sid).delete() is True, "DELETE recording -> 204")
        check(not os.path.exists(media), "DELETE removed the media file")
        try:
            client.recordings(victim.sid).fetch()
            check(False, "deleted recording is gone")
        except TwilioRestException as ex:
            check(ex.status == 404, "deleted recording fetch -> 404 (%s)" % ex.status)
        try:
            urllib.request.urlopen(wav_req)
            check(False, "deleted recording media is gone")
        except urllib.error.HTTPError as ex:
            check(ex.code == 404, "deleted recording media -> 404 (%s)" % ex.code)
        check(len(client.recordings.list()) == 2, "account recordings list no longer has it")
        try:
            client.recordings(victim.sid).delete()
            check(False, "second delete 404")
        except TwilioRestException as ex:
            check(ex.status == 404, "deleting it again -> 404 (%s)" % ex.status)
    if len(allrecs) > 1:
        r2 = allrecs[1]
        f2 = client.calls(r2.call_sid).recordings(r2.sid).fetch()
        check(f2.sid == r2.sid and f2.call_sid == r2.call_sid, "call-scoped recording fetch")
        other = [x for x in [c.sid] + [m.sid for m in more] if x != r2.call_sid][0]
        try:
            client.calls(other).recordings(r2.sid).fetch()
            check(False, "a recording under another call is not found")
        except TwilioRestException as ex:
            check(ex.status == 404, "a recording fetched under another call -> 404 (%s)" % ex.status)
        check(client.calls(r2.call_sid).recordings(r2.sid).delete() is True, "call-scoped DELETE -> 204")
        check(len(client.recordings.list()) == 1, "account recordings list: 1 left")

    # ---- a slow webhook target does not delay other calls
    print("slow webhook target")
    recv.set("/slow", "<Response><Hangup/></Response>", delay=4)
    slow = client.calls.create(to=HUMAN, from_=FROM, url=recv.url("/slow"))
    t0 = time.time()
    fast = client.calls.create(to=HUMAN, from_=FROM, twiml="<Response><Hangup/></Response>")
    f = wait_call(client, fast.sid, timeout=20)
    check(f.status == "completed" and time.time() - t0 < 4, "another call completes while a webhook hangs (%.1f s)" % (time.time() - t0))
    wait_call(client, slow.sid)
finally:
    srv.cleanup()
finish()
