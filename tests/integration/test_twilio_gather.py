# SPDX-License-Identifier: MIT
"""python twilio against `amd serve` on the simulated carrier: <Gather> gets the keys the dial
plan's far end presses (in-band DTMF mixed into its audio, also over speech), with numDigits,
finishOnKey, timeout fall-through and actionOnEmptyResult; <Record> hands its action a
recording of the far end's audio (cross-correlation with the source), listed under the call,
ended by silence (VAD timeout) or a key; Notifications.json lists TwiML warnings and errors
(12100, 12300, 13310) with Twilio's fields; no Events entry has a null request."""
import base64
import json
import os
import sys
import struct
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (ACCOUNT, DIALPLAN, TOKEN, FROM, Receiver, Server, check, finish, wait_call)  # noqa: E402

try:
    import numpy as np
except ImportError:  # pragma: no cover
    print("SKIP: numpy is not installed")
    sys.exit(77)
from twilio.twiml.voice_response import Gather, VoiceResponse  # noqa: E402

# The harness's dial plan plus far ends that press keys.
plan = json.load(open(DIALPLAN))
speech_wav = next(r["audio"] for r in plan["routes"] if r["to"] == "+15551230006")
KEY5 = "+15551239001"        # silence, presses 5 at 1.5 s
KEYS_12H = "+15551239002"    # speech, presses 1 2 # during it
SPEAKS = "+15551239003"      # speech, no keys, stays on the line
SPEAKS_KEY = "+15551239004"  # speech, then presses * at 6 s
plan["routes"] = [
    {"to": KEY5, "ring_ms": 500, "hangup": "never", "digits": [{"at_ms": 1500, "keys": "5"}]},
    {"to": KEYS_12H, "audio": speech_wav, "ring_ms": 500, "hangup": "never",
     "digits": [{"at_ms": 1200, "keys": "12"}, {"at_ms": 2500, "keys": "#"}]},
    {"to": SPEAKS, "audio": speech_wav, "ring_ms": 500, "hangup": "never"},
    {"to": SPEAKS_KEY, "audio": speech_wav, "ring_ms": 500, "hangup": "never",
     "digits": [{"at_ms": 6000, "keys": "*"}]},
] + plan["routes"]
tmp = tempfile.mkdtemp(prefix="amd-gather-")
plan_path = os.path.join(tmp, "dialplan.json")
json.dump(plan, open(plan_path, "w"))
recdir = os.path.join(tmp, "rec")

rx = Receiver()
srv = Server(clock_speed=4, dialplan=plan_path, extra=["--recordings", recdir])
client = srv.client()
HANGUP = "<Response><Hangup/></Response>"


def call(to, twiml, **kw):
    c = client.calls.create(to=to, from_=FROM, twiml=twiml, time_limit=kw.pop("time_limit", 30), **kw)
    return c.sid


def action_requests(path, sid):
    return rx.wait_for(lambda r: r["path"] == path and r["params"].get("CallSid") == sid, timeout=60)


def read_wav(path):
    """Mono WAV, 16-bit PCM or G.711 µ-law (the testdata files), as float samples."""
    data = open(path, "rb").read()
    pos, fmt, rate, body = 12, None, 0, b""
    while pos + 8 <= len(data):
        cid, n = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        chunk = data[pos + 8:pos + 8 + n]
        if cid == b"fmt ":
            fmt, _, rate = struct.unpack("<HHI", chunk[:8])
        elif cid == b"data":
            body = chunk
        pos += 8 + n + (n & 1)
    if fmt == 7:
        u = ~np.frombuffer(body, dtype=np.uint8).astype(np.int32) & 0xFF
        t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
        return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.float64), rate
    return np.frombuffer(body[: len(body) // 2 * 2], dtype="<i2").astype(np.float64), rate


def best_ncc(rec, src):
    """Largest normalised cross-correlation of rec against src over all lags where rec fits."""
    if len(rec) < 800 or len(src) < len(rec):
        return 0.0, -1
    n = len(rec)
    f = np.fft.rfft(src, 2 * len(src))
    g = np.fft.rfft(rec[::-1], 2 * len(src))
    cc = np.fft.irfft(f * g)[n - 1:len(src)]
    csum = np.concatenate([[0.0], np.cumsum(src * src)])
    energy = csum[n:n + len(cc)] - csum[:len(cc)]
    ncc = cc / np.sqrt(np.maximum(energy, 1e-9) * np.dot(rec, rec))
    k = int(np.argmax(ncc))
    return float(ncc[k]), k


try:
    # ---- <Gather numDigits="1">: the key the far end presses (in-band DTMF) reaches the action
    print("<Gather numDigits=1>")
    rx.set("/g1", HANGUP)
    r = VoiceResponse()
    g = Gather(num_digits=1, action=rx.url("/g1"), timeout=10)
    g.pause(length=1)
    r.append(g)
    r.say("not reached")
    sid = call(KEY5, str(r))
    got = action_requests("/g1", sid)
    check(len(got) == 1 and got[0]["params"].get("Digits") == "5",
          "action gets Digits=5 (%s)" % [x["params"].get("Digits") for x in got])
    if got:
        p = got[0]["params"]
        check(p.get("CallStatus") == "in-progress" and p.get("AccountSid") and p.get("From") == FROM,
              "action request carries the standard parameters")
        check(got[0]["method"] == "POST", "action method defaults to POST")
    check(wait_call(client, sid).status == "completed", "call completed after the action's <Hangup>")

    # ---- barge-in: a nested <Say> plays on our side until the far end's key cuts it
    print("<Gather> prompt and barge-in")
    r = VoiceResponse()
    g = Gather(num_digits=1, action=rx.url("/g1"), timeout=10)
    g.say("This prompt is long enough to be cut short by a key. " * 4)
    r.append(g)
    sid = call(KEY5, str(r), record=True, recording_channels="dual")
    got = action_requests("/g1", sid)
    check(len(got) == 1 and got[0]["params"].get("Digits") == "5", "key pressed during the prompt reaches the action")
    wait_call(client, sid)
    recs = client.calls(sid).recordings.list()
    if check(len(recs) == 1, "dual recording of the call"):
        with open(os.path.join(recdir, recs[0].sid + ".wav"), "rb") as f:
            raw_ = f.read()
        pcm = np.frombuffer(raw_[44:], dtype="<i2").astype(np.float64).reshape(-1, 2)
        ours = pcm[:, 0]

        def rms(a_ms, b_ms):
            seg = ours[a_ms * 8:b_ms * 8]
            return float(np.sqrt(np.mean(seg * seg))) if len(seg) else 0.0
        # the key sounds at 1.5 s (ms since answer) and lasts 100 ms; the prompt is cut at once
        before, after = rms(600, 1450), rms(1750, 4000)
        check(before > 300 and after < before / 30,
              "outbound: the prompt plays before the key (rms %.0f) and stops after it (rms %.0f)" % (before, after))

    # ---- finishOnKey over speech: keys 1 2 then #; GET action
    print("<Gather finishOnKey=#> over the far end's speech")
    rx.set("/g2", HANGUP)
    r = VoiceResponse()
    r.gather(action=rx.url("/g2"), method="GET", timeout=10)
    sid = call(KEYS_12H, str(r))
    got = action_requests("/g2", sid)
    check(len(got) == 1 and got[0]["params"].get("Digits") == "12" and got[0]["method"] == "GET",
          "Digits=12 without the terminator, by GET (%s)" % [(x["method"], x["params"].get("Digits")) for x in got])
    wait_call(client, sid)

    # ---- no key: timeout falls through to the next verb; actionOnEmptyResult requests anyway
    print("<Gather> with no input")
    rx.set("/after", HANGUP)
    rx.set("/g3", HANGUP)
    r = VoiceResponse()
    r.gather(action=rx.url("/g3"), timeout=1)
    r.redirect(rx.url("/after"))
    sid = call(SPEAKS, str(r))
    got = rx.wait_for(lambda q: q["path"] == "/after" and q["params"].get("CallSid") == sid, timeout=60)
    check(len(got) == 1, "no input: the verb after <Gather> runs (<Redirect> requested)")
    check(not rx.matching(lambda q: q["path"] == "/g3" and q["params"].get("CallSid") == sid),
          "no input: the action is not requested")
    wait_call(client, sid)
    r = VoiceResponse()
    r.gather(action=rx.url("/g3"), timeout=1, action_on_empty_result=True)
    sid = call(SPEAKS, str(r))
    got = action_requests("/g3", sid)
    check(len(got) == 1 and got[0]["params"].get("Digits") == "",
          "actionOnEmptyResult=true: action requested with Digits=\"\"")
    wait_call(client, sid)

    # ---- <Record>: the action's recording holds the far end's audio
    print("<Record>")
    rx.set("/rec", HANGUP)
    rx.set("/rs", "")
    r = VoiceResponse()
    r.record(action=rx.url("/rec"), timeout=2, max_length=30, trim="do-not-trim",
             recording_status_callback=rx.url("/rs"), recording_status_callback_event="in-progress completed")
    sid = call(SPEAKS, str(r))
    got = action_requests("/rec", sid)
    check(len(got) == 1, "Record action requested once")
    if got:
        p = got[0]["params"]
        rsid = p.get("RecordingSid", "")
        check(rsid.startswith("RE") and p.get("RecordingUrl", "").endswith("/Recordings/" + rsid),
              "action carries RecordingSid and its RecordingUrl")
        check(p.get("Digits") == "", "ended by silence: Digits empty (%r)" % p.get("Digits"))
        dur = int(p.get("RecordingDuration", "-1"))
        src, rate = read_wav(speech_wav)
        check(dur >= 1 and dur <= len(src) / rate + 3, "RecordingDuration plausible (%d s)" % dur)
        wait_call(client, sid)
        recs = client.calls(sid).recordings.list()
        check([x.sid for x in recs] == [rsid] and recs[0].status == "completed",
              "the recording is listed under the call, completed")
        rec, rrate = read_wav(os.path.join(recdir, rsid + ".wav"))
        check(rrate == rate, "recorded at the far end's rate (%d)" % rrate)
        # the far end's speech, wherever the recording started in it
        seg = rec[: min(len(rec), len(src) // 2)]
        ncc, lag = best_ncc(seg, src)
        check(ncc >= 0.9, "recording matches the far end's audio (NCC %.3f at lag %d)" % (ncc, lag))
        rs = rx.wait_for(lambda q: q["path"] == "/rs" and q["params"].get("CallSid") == sid, count=2, timeout=20)
        check([q["params"].get("RecordingStatus") for q in rs] == ["in-progress", "completed"] and
              all(q["params"].get("RecordingSource") == "RecordVerb" for q in rs),
              "recordingStatusCallback: in-progress then completed (%s)" %
              [q["params"].get("RecordingStatus") for q in rs])

        # the media at RecordingUrl (+ .wav, HTTP Basic) is the file
        req = urllib.request.Request(p.get("RecordingUrl", "") + ".wav", headers={
            "Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()})
        with urllib.request.urlopen(req) as resp, open(os.path.join(recdir, rsid + ".wav"), "rb") as f:
            check(resp.status == 200 and resp.read() == f.read(), "RecordingUrl.wav serves the recording")

    # ---- <Record finishOnKey>: a key ends it; trim-silence keeps the speech, drops the silence
    r = VoiceResponse()
    r.record(action=rx.url("/rec"), timeout=0, finish_on_key="*")
    sid = call(SPEAKS_KEY, str(r))
    got = action_requests("/rec", sid)
    check(len(got) == 1 and got[0]["params"].get("Digits") == "*",
          "Record ended by the * key: Digits=* (%s)" % [x["params"].get("Digits") for x in got])
    wait_call(client, sid)
    if got:
        p = got[0]["params"]
        rec, rrate = read_wav(os.path.join(recdir, p.get("RecordingSid", "x") + ".wav"))
        src, rate = read_wav(speech_wav)
        pre = int(p.get("RecordingDuration", "0"))
        check(pre >= 4 and len(rec) / rrate <= pre - 1.5,
              "trim-silence: %.1f s kept of %d s recorded (the silence before the key dropped)" % (len(rec) / rrate, pre))
        ncc, lag = best_ncc(rec[: len(src) // 2], src)
        check(ncc >= 0.9, "the trimmed recording still holds the far end's speech (NCC %.3f)" % ncc)

    # ---- Notifications: 12100 (bad XML), 12300 (not an XML Content-Type), 13310 (warning)
    print("Notifications.json")
    rx.set("/badct", "<Response><Redirect>/not-run</Redirect></Response>", ctype="application/json")
    c1 = client.calls.create(to=KEY5, from_=FROM, url=rx.url("/badct"))
    rx.set("/badxml", "<Response><Say>x</Response>")
    c2 = client.calls.create(to=KEY5, from_=FROM, url=rx.url("/badxml"))
    c3 = client.calls.create(to=KEY5, from_=FROM, twiml='<Response><Gather finishOnKey="xy" timeout="1"/></Response>')
    for c in (c1, c2, c3):
        wait_call(client, c.sid)
    for c, code, log in ((c1, 12300, "0"), (c2, 12100, "0"), (c3, 13310, "1")):
        ns = client.calls(c.sid).notifications.list()
        hit = [n for n in ns if n.error_code == str(code)]
        check(len(hit) == 1, "call lists notification %d (%s)" % (code, [n.error_code for n in ns]))
        if hit:
            n = hit[0]
            check(n.log == log and n.sid.startswith("NO") and n.call_sid == c.sid and
                  n.more_info.endswith("/%d" % code) and n.message_text and n.date_created is not None,
                  "notification %d has Twilio's fields (log %s, sid, call_sid, more_info, message_text)" % (code, n.log))
            one = client.calls(c.sid).notifications(n.sid).fetch()
            check(one.sid == n.sid and one.error_code == n.error_code, "notification %d fetched by sid" % code)
    check(wait_call(client, c1.sid).status == "completed" and not rx.matching(lambda q: q["path"] == "/not-run"),
          "12300 without a FallbackUrl: the reply is not run as TwiML, the call ends")
    ev = client.request("GET", srv.base + "/2010-04-01/Accounts/%s/Calls/%s/Events.json" % (client.account_sid, c3.sid))
    events = json.loads(ev.text)["events"]
    check(events and all(isinstance(e.get("request"), dict) for e in events),
          "every Events entry has a request object (%d events)" % len(events))
finally:
    srv.cleanup()
finish()
