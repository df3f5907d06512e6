# SPDX-License-Identifier: MIT
"""python twilio against `amd serve` on the simulated carrier: <Dial> child calls.

A predictive dialer's flow: Enable + async AMD; on `human` the test updates the call with
<Dial action=...><Number>agent</Number></Dial>. Checked: the child call (own CA sid,
parent_call_sid, direction outbound-dial, ParentCallSid filter, its own status callbacks),
the audio bridged both ways (normalised cross-correlation of each recording with the other
party's audio >= 0.9), the action request (DialCallStatus / DialCallSid / DialCallDuration),
busy / no-answer / failed children, parallel <Number>s (one wins, the rest canceled), whisper
url, the parent hanging up and a REST redirect tearing the bridge down."""
import base64
import csv
import io
import json
import os
import signal
import sys
import time
import urllib.request
import wave

import numpy as np
from twilio.base.exceptions import TwilioRestException

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (ACCOUNT, BUSY, DIALPLAN, FAILED, FROM, HUMAN, HUMAN_STAYS, NO_ANSWER, TOKEN,  # noqa: E402
                            Receiver, Server, check, finish, wait_call)



def load_src(path):
    """A dial-plan WAV (PCM 16, or G.711 µ-law / A-law as testdata holds) as floats."""
    import audioop
    import struct
    data = open(path, "rb").read()
    pos, fmt, ch, rate, body = 12, None, 1, 8000, b""
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            fmt, ch, rate = struct.unpack("<HHI", data[pos + 8:pos + 16])
        elif cid == b"data":
            body = data[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    if fmt == 7:
        body = audioop.ulaw2lin(body, 2)
    elif fmt == 6:
        body = audioop.alaw2lin(body, 2)
    x = np.frombuffer(body, dtype="<i2").astype(np.float64)
    return x.reshape(-1, ch)[:, 0], rate


CALLEE = "+15551239010"  # a human who answers and keeps talking (the callee's audio loops)
AGENT = "+15551239000"
AGENT2 = "+15551239001"
SLOW_AGENT = "+15551239002"

plan = json.load(open(DIALPLAN))
routes = {r["to"]: r for r in plan["routes"]}
callee_audio = routes[HUMAN_STAYS]["audio"]
# the agent talks with other audio than the callee: a long human greeting, looped
agent_audio = os.path.join(os.path.dirname(callee_audio), "agent.wav")
src_dir = os.path.join(os.environ.get("AMD_SOURCE_DIR", "."), "testdata")
rows = [r for r in csv.DictReader(open(os.path.join(src_dir, "manifest.csv"))) if r["scenario"] == "human_long"]
with open(os.path.join(src_dir, sorted(rows, key=lambda r: r["file"])[0]["file"]), "rb") as f_in, \
        open(agent_audio, "wb") as f_out:
    f_out.write(f_in.read())
# the callee says a short "hello" (AMD: human), then keeps talking (a second long greeting), looped
hello, rate = load_src(callee_audio)
talk, rate2 = load_src(os.path.join(src_dir, sorted(rows, key=lambda r: r["file"])[1]["file"]))
assert rate == rate2, "testdata rates differ"
callee_audio = os.path.join(os.path.dirname(agent_audio), "callee.wav")
w = wave.open(callee_audio, "wb")
w.setnchannels(1)
w.setsampwidth(2)
w.setframerate(rate)
end = np.flatnonzero(np.abs(hello) > 1000)[-1] + 2 * rate  # the hello, then 2 s of its own quiet
w.writeframes(np.concatenate([hello[:end], talk]).astype("<i2").tobytes())
w.close()
plan["routes"] += [{"to": CALLEE, "audio": callee_audio, "ring_ms": 1000, "outcome": "agent"},
                   {"to": AGENT, "audio": agent_audio, "ring_ms": 500, "outcome": "agent"},
                   {"to": AGENT2, "audio": agent_audio, "ring_ms": 1500, "outcome": "agent"},
                   {"to": SLOW_AGENT, "audio": agent_audio, "ring_ms": 4000, "outcome": "agent"}]
plan_path = os.path.join(os.path.dirname(DIALPLAN), "dialplan_dial.json")
with open(plan_path, "w") as f:
    json.dump(plan, f)

recv = Receiver()
srv = Server(clock_speed=5, dialplan=plan_path)
client = srv.client()
AUTH = {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()}
recv.set("/status", "", status=204, ctype="text/plain")
recv.set("/amd", "", status=204, ctype="text/plain")
recv.set("/after", "<Response><Hangup/></Response>")
recv.set("/wait", "<Response><Pause length=\"60\"/></Response>")


def read_wav(path_or_url):
    data = urllib.request.urlopen(urllib.request.Request(path_or_url + ".wav", headers=AUTH)).read()
    w = wave.open(io.BytesIO(data))
    x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    return x.reshape(-1, w.getnchannels()).T, w.getframerate()


def best_ncc(rec, src, loop):
    """Highest normalised cross-correlation of 2 s of speech in @rec against @src at any lag
    (@src tiled when the party loops its audio)."""
    active = np.flatnonzero(np.abs(rec) > 200)
    if len(active) == 0:
        return 0.0
    seg = rec[active[0]:active[0] + 16000]
    s = np.concatenate([src, src, src]) if loop else np.concatenate([src, np.zeros(len(seg))])
    n = len(s) + len(seg)
    nfft = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(s, nfft) * np.conj(np.fft.rfft(seg, nfft)), nfft)[:len(s) - len(seg) + 1]
    c2 = np.concatenate([[0.0], np.cumsum(s * s)])
    energy = c2[len(seg):] - c2[:-len(seg)]
    ncc = corr / (np.sqrt(np.maximum(energy, 1e-9)) * np.sqrt(np.sum(seg * seg)))
    return float(np.max(ncc))


def dial_twiml(numbers, **attrs):
    a = "".join(' %s="%s"' % kv for kv in sorted(attrs.items()))
    return "<Response><Dial%s>%s</Dial></Response>" % (a, "".join("<Number>%s</Number>" % n for n in numbers))


def children(parent_sid):
    return client.calls.list(parent_call_sid=parent_sid)


try:
    # ---- the predictive dialer: async AMD says human, the call is sent to an agent
    print("human -> <Dial action><Number>agent</Number></Dial>")
    recv.set("/dial-done", "<Response><Hangup/></Response>")
    c = client.calls.create(to=CALLEE, from_=FROM, url=recv.url("/wait"), machine_detection="Enable",
                            async_amd="true", async_amd_status_callback=recv.url("/amd"),
                            record=True, recording_channels="dual", status_callback=recv.url("/status"))
    amd = recv.wait_for(lambda r: r["path"] == "/amd" and r["params"].get("CallSid") == c.sid)
    check(amd and amd[0]["params"].get("AnsweredBy") == "human", "async AMD: human")
    client.calls(c.sid).update(twiml=dial_twiml([AGENT], action=recv.url("/dial-done"), timeLimit="6",
                                                record="record-from-answer-dual"))
    kids = []
    for _ in range(100):
        kids = children(c.sid)
        if kids:
            break
        time.sleep(0.05)
    check(len(kids) == 1, "one child listed with ParentCallSid=%s" % c.sid)
    kid = kids[0] if kids else None
    if kid:
        check(kid.sid != c.sid and kid.sid.startswith("CA") and len(kid.sid) == 34, "child has its own CA sid")
        check(kid.parent_call_sid == c.sid and kid.direction == "outbound-dial" and kid.to == AGENT,
              "child: parent_call_sid, direction outbound-dial, to the agent (%s, %s)" % (kid.parent_call_sid,
                                                                                         kid.direction))
        check(kid.from_ == FROM, "child From is the parent's caller ID (%s)" % kid.from_)
        check(client.calls(c.sid).fetch().direction == "outbound-api", "the parent stays outbound-api")
        act = recv.wait_for(lambda r: r["path"] == "/dial-done" and r["params"].get("CallSid") == c.sid, timeout=60)
        if check(len(act) == 1, "action requested once"):
            p = act[0]["params"]
            check(p.get("DialCallStatus") == "completed" and p.get("DialCallSid") == kid.sid,
                  "action: DialCallStatus completed, DialCallSid the child (%s %s)" % (p.get("DialCallStatus"),
                                                                                    p.get("DialCallSid")))
            check(p.get("DialCallDuration") in ("6", "7") and p.get("DialBridged") == "true",
                  "action: DialCallDuration = timeLimit 6 s (%s), DialBridged" % p.get("DialCallDuration"))
            check(p.get("CallStatus") == "in-progress" and recv.signature_ok(act[0]),
                  "action: the parent's parameters, in-progress, signed")
            dial_rec = p.get("RecordingUrl")
        fin = wait_call(client, c.sid)
        kfin = client.calls(kid.sid).fetch()
        check(fin.status == "completed" and kfin.status == "completed" and kfin.duration in ("6", "7"),
              "both completed; the child lasted timeLimit (%s)" % kfin.duration)
        # the recordings: the parent's own (Record=true, dual: ch 1 what the callee heard)
        # and the dial's (dual: ch 1 the parent's party as the agent heard it, ch 2 the agent)
        callee, _ = load_src(callee_audio)
        agent, _ = load_src(agent_audio)
        time.sleep(0.5)
        recs = client.calls(c.sid).recordings.list()
        own = [r for r in recs if r.sid != (dial_rec or "").rsplit("/", 1)[-1]]
        if check(len(recs) == 2 and own, "two recordings on the parent (its own and the dial's): %d" % len(recs)):
            x, _ = read_wav("%s/2010-04-01/Accounts/%s/Recordings/%s" % (srv.base, ACCOUNT, own[0].sid))
            ncc = best_ncc(x[0], agent, True)
            check(ncc >= 0.9, "the callee heard the agent: parent recording ch 1 vs agent audio ncc %.3f" % ncc)
        if dial_rec:
            x, _ = read_wav(dial_rec)
            n1, n2 = best_ncc(x[0], callee, True), best_ncc(x[1], agent, True)

            check(n1 >= 0.9, "the agent heard the callee: dial recording ch 1 vs callee audio ncc %.3f" % n1)
            check(n2 >= 0.9, "dial recording ch 2 is the agent, ncc %.3f" % n2)

    # ---- busy / no-answer / failed children
    print("busy, no-answer, failed")
    for number, want in ((BUSY, "busy"), (NO_ANSWER, "no-answer"), (FAILED, "failed")):
        path = "/act-" + want
        recv.set(path, "<Response><Hangup/></Response>")
        c = client.calls.create(to=HUMAN_STAYS, from_=FROM,
                                twiml=dial_twiml([number], action=recv.url(path), timeout="5"))
        act = recv.wait_for(lambda r, p=path, s=c.sid: r["path"] == p and r["params"].get("CallSid") == s,
                            timeout=60)
        if check(len(act) == 1, "%s: action requested" % want):
            p = act[0]["params"]
            kids = children(c.sid)
            check(p.get("DialCallStatus") == want and len(kids) == 1 and p.get("DialCallSid") == kids[0].sid and
                  kids[0].status == want and "DialCallDuration" not in p,
                  "%s: DialCallStatus %s, DialCallSid the child, no DialCallDuration" % (want, p.get("DialCallStatus")))
        wait_call(client, c.sid)

    # ---- <Number machineDetection>: the detector runs on the child leg; callerId
    print("AMD on the child, callerId")
    recv.set("/kid-amd", "", status=204, ctype="text/plain")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM,
                            twiml="<Response><Dial callerId=\"+15550001111\" timeLimit=\"8\"><Number "
                                  "machineDetection=\"Enable\" amdStatusCallback=\"%s\">%s</Number></Dial>"
                                  "</Response>" % (recv.url("/kid-amd"), HUMAN))
    amd = recv.wait_for(lambda r: r["path"] == "/kid-amd", timeout=60)
    kids = children(c.sid)
    if check(len(amd) == 1 and len(kids) == 1, "AMD callback for the child"):
        check(amd[0]["params"].get("CallSid") == kids[0].sid and amd[0]["params"].get("AnsweredBy") == "human",
              "the child's AMD: CallSid the child, AnsweredBy human (%s)" % amd[0]["params"].get("AnsweredBy"))
        check(kids[0].from_ == "+15550001111", "callerId is the child's From (%s)" % kids[0].from_)
        kfin = wait_call(client, kids[0].sid)
        check(kfin.answered_by == "human", "the child's resource: answered_by human")
    wait_call(client, c.sid)

    # ---- ringTone: the parent hears the country's ringback while the child rings
    print("ringTone")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM, record=True, recording_channels="dual",
                            twiml="<Response><Dial ringTone=\"uk\" timeout=\"4\">%s</Dial><Hangup/></Response>"
                                  % NO_ANSWER)
    wait_call(client, c.sid)
    time.sleep(0.5)
    recs = client.calls(c.sid).recordings.list()
    if check(len(recs) == 1, "ringTone: the parent's recording"):
        x, rate = read_wav("%s/2010-04-01/Accounts/%s/Recordings/%s" % (srv.base, ACCOUNT, recs[0].sid))
        ours = x[0]
        on = np.abs(ours) > 500
        spec = np.abs(np.fft.rfft(ours * (np.abs(ours) > 0)))
        freqs = np.fft.rfftfreq(len(ours), 1.0 / rate)
        top = sorted(freqs[np.argsort(spec)[-40:]])
        check(on.mean() > 0.1 and any(abs(f - 400) < 5 for f in top) and any(abs(f - 450) < 5 for f in top),
              "ringTone uk: 400 + 450 Hz ringback on the parent's outbound channel (%.0f %% of samples)" %
              (100 * on.mean()))

    # ---- parallel numbers: the first to answer wins, the others are canceled
    print("parallel <Number>s")
    recv.set("/par", "<Response><Hangup/></Response>")
    c = client.calls.create(
        to=HUMAN_STAYS, from_=FROM,
        twiml="<Response><Dial action=\"%s\" timeLimit=\"2\"><Number statusCallback=\"%s\" statusCallbackEvent="
              "\"initiated ringing answered completed\">%s</Number><Number statusCallback=\"%s\">%s</Number>"
              "<Number>%s</Number></Dial></Response>" % (recv.url("/par"), recv.url("/kid-status"), AGENT2,
                                                         recv.url("/kid-status"), SLOW_AGENT, NO_ANSWER))
    recv.set("/kid-status", "", status=204, ctype="text/plain")
    act = recv.wait_for(lambda r: r["path"] == "/par" and r["params"].get("CallSid") == c.sid, timeout=60)
    kids = {k.to: k for k in children(c.sid)}
    check(len(kids) == 3, "three children ring at once")
    if check(len(act) == 1 and AGENT2 in kids, "parallel: action requested"):
        p = act[0]["params"]
        check(p.get("DialCallStatus") == "completed" and p.get("DialCallSid") == kids[AGENT2].sid,
              "the first to answer (%s) is DialCallSid" % AGENT2)
        st = {n: client.calls(k.sid).fetch().status for n, k in kids.items()}
        check(st == {AGENT2: "completed", SLOW_AGENT: "canceled", NO_ANSWER: "canceled"},
              "the winner completed, the others canceled: %s" % st)
        cb = recv.wait_for(lambda r: r["path"] == "/kid-status" and r["params"].get("CallSid") == kids[AGENT2].sid,
                           count=4)
        seq = [r["params"].get("CallStatus") for r in cb]
        check(seq == ["initiated", "ringing", "in-progress", "completed"] and
              all(r["params"].get("ParentCallSid") == c.sid and r["params"].get("Direction") == "outbound-dial"
                  for r in cb), "<Number statusCallback>: the child's own events with ParentCallSid: %s" % seq)
        cb2 = recv.wait_for(lambda r: r["path"] == "/kid-status" and r["params"].get("CallSid") == kids[SLOW_AGENT].sid)
        check([r["params"].get("CallStatus") for r in cb2] == ["canceled"],
              "the losing child's completed event says canceled")
    wait_call(client, c.sid)

    # ---- whisper url on the child, then the next verb of the parent (no action)
    print("whisper, no action")
    recv.set("/whisper", "<Response><Say>You have a caller</Say></Response>")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM,
                            twiml="<Response><Dial timeLimit=\"3\"><Number url=\"%s\">%s</Number></Dial>"
                                  "<Redirect>%s</Redirect></Response>" % (recv.url("/whisper"), AGENT,
                                                                          recv.url("/after")))
    w = recv.wait_for(lambda r: r["path"] == "/whisper", timeout=30)
    kids = children(c.sid)
    check(len(w) == 1 and kids and w[0]["params"].get("CallSid") == kids[0].sid and
          w[0]["params"].get("ParentCallSid") == c.sid, "whisper url fetched for the child with ParentCallSid")
    nxt = recv.wait_for(lambda r: r["path"] == "/after" and r["params"].get("CallSid") == c.sid, timeout=60)
    check(len(nxt) == 1, "no action: the parent went on with its next verb")
    check(wait_call(client, c.sid).status == "completed", "parent completed")

    # ---- the parent hangs up (REST Status=completed) mid-bridge: the child ends too
    print("parent hang-up, and a REST redirect, tear the bridge down")
    for how in ("hangup", "redirect"):
        c = client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml=dial_twiml([AGENT], action=recv.url("/never")))
        for _ in range(200):
            kids = children(c.sid)
            if kids and kids[0].status == "in-progress":
                break
            time.sleep(0.05)
        if how == "hangup":
            client.calls(c.sid).update(status="completed")
        else:
            client.calls(c.sid).update(twiml="<Response><Pause length=\"1\"/></Response>")
        kfin = wait_call(client, kids[0].sid) if kids else None
        check(kfin is not None and kfin.status == "completed", "%s: the child completed (%s)" %
              (how, kfin.status if kfin else None))
        check(wait_call(client, c.sid).status == "completed", "%s: the parent completed" % how)
    check(not recv.matching(lambda r: r["path"] == "/never"), "no action after the parent hung up or was redirected")

    # ---- the child redirected by a REST update: it leaves the dial, the parent's action runs
    recv.set("/left", "<Response><Hangup/></Response>")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml=dial_twiml([AGENT], action=recv.url("/left")))
    for _ in range(200):
        kids = children(c.sid)
        if kids and kids[0].status == "in-progress":
            break
        time.sleep(0.05)
    if kids:
        client.calls(kids[0].sid).update(twiml="<Response><Pause length=\"2\"/></Response>")
        act = recv.wait_for(lambda r: r["path"] == "/left" and r["params"].get("CallSid") == c.sid, timeout=30)
        check(len(act) == 1 and act[0]["params"].get("DialCallStatus") == "completed" and
              act[0]["params"].get("DialCallSid") == kids[0].sid and "DialCallDuration" not in act[0]["params"],
              "child redirected: the parent's action has DialCallStatus completed, no DialCallDuration")
        kfin = wait_call(client, kids[0].sid)
        check(kfin.status == "completed", "the redirected child ran its own TwiML to the end (%s)" % kfin.status)
    wait_call(client, c.sid)

    # ---- a crash mid-bridge: on restart both legs are closed out truthfully
    print("kill -9 mid-bridge, restart")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM, status_callback=recv.url("/status"),
                            twiml=dial_twiml([AGENT], action=recv.url("/never")))
    kids = []
    for _ in range(200):
        kids = children(c.sid)
        if kids and kids[0].status == "in-progress":
            break
        time.sleep(0.05)
    check(kids and kids[0].status == "in-progress", "the child is bridged before the crash")
    time.sleep(1)
    srv.kill(signal.SIGKILL)
    srv.start()
    client = srv.client()
    fin, kfin = client.calls(c.sid).fetch(), client.calls(kids[0].sid).fetch() if kids else None
    check(fin.status == "completed" and kfin is not None and kfin.status == "completed" and
          fin.end_time is not None and kfin.end_time is not None and int(kfin.duration) >= 1,
          "after restart: parent and child completed with end times (%s / %s, child %s s)" %
          (fin.status, kfin.status if kfin else None, kfin.duration if kfin else None))
    done = recv.wait_for(lambda r: r["path"] == "/status" and r["params"].get("CallSid") == c.sid and
                         r["params"].get("CallStatus") == "completed", timeout=10)
    check(len(done) == 1, "the parent's completed callback is sent after the restart")

    # ---- bad nouns: a clear error
    print("invalid <Dial>")
    try:
        client.calls.create(to=HUMAN_STAYS, from_=FROM,
                            twiml="<Response><Dial><Conference>room</Conference></Dial></Response>")
        check(False, "an unsupported noun is refused")
    except TwilioRestException as ex:
        check(ex.status == 400 and "Conference" in ex.msg, "an unsupported noun is refused: %s" % ex.msg)
    recv.set("/bad-dial", "<Response><Dial timeout=\"0\">%s</Dial></Response>" % AGENT)
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM, url=recv.url("/bad-dial"))
    fin = wait_call(client, c.sid)
    ev = json.loads(urllib.request.urlopen(urllib.request.Request(
        "%s/2010-04-01/Accounts/%s/Calls/%s/Events.json" % (srv.base, ACCOUNT, c.sid), headers=AUTH)).read())
    check(fin.status == "completed" and not children(c.sid) and "timeout" in json.dumps(ev),
          "a <Dial timeout> out of range: an error on the call's Events, no child (%s)" % fin.status)
finally:
    srv.cleanup()
    os.remove(plan_path)
finish()
