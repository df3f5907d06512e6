# SPDX-License-Identifier: MIT
"""End to end over real SIP/RTP: `amd serve --sip-listen` places calls to scripted far
ends on loopback, inside a private network namespace (no packet can leave the machine):

  baresip (127.0.0.1:5070)  human (answers, says hello, stays on the line until we hang up),
                            +15551230010 (reached through --sip-trunk: a voicemail greeting with a
                            beep, then the far end hangs up), fax (CED tone), noanswer (rings only),
                            and no account "nobody" (404)
  baresip (127.0.0.1:5078)  vm: a voicemail greeting with a beep that then stays on the line and
                            records what it hears (sndfile module): our <Play> after the beep
                            must be found in that recording, and <Play digits> heard as RFC 4733
  SIPp (127.0.0.1:5072)     busy: 180 then 486
  SIPp (127.0.0.1:5076)     rings without answering; expects our CANCEL after Timeout
  SIPp (127.0.0.1:5074)     digest challenge (401, user amd / password secret, 403 otherwise),
                            then 1.5 s of early-media ringback in a 183 (must not reach the
                            detector), then 200 and a greeting

The python twilio client must see the right status, AnsweredBy, status callbacks (with
SipResponseCode) and recordings. Exit 77 (skip) only when network namespaces are not permitted.
"""
import base64
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave

HERE = os.path.dirname(os.path.abspath(__file__))

if os.environ.get("AMD_SIP_NETNS") != "1":
    # Re-run this file inside a fresh network namespace with only loopback up.
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        print("SKIP: network namespaces are not permitted here (unshare -n: %s); the SIP end-to-end "
              "test only runs on an isolated loopback" % probe.stderr.decode().strip())
        sys.exit(77)
    env = dict(os.environ, AMD_SIP_NETNS="1")
    os.execvpe("unshare", ["unshare", "-n", "bash", "-c",
                           "ip link set lo up && exec /usr/bin/python3 \"$0\"", os.path.abspath(__file__)], env)

for tool in ("baresip", "sipp", "sox"):
    if not shutil.which(tool):
        print("FAIL: %s is not installed (make setup installs baresip-core, sip-tester and sox)" % tool)
        sys.exit(1)

sys.path.insert(0, HERE)
from twilio_harness import (ACCOUNT, DIALPLAN, FAX, FROM, HUMAN, MACHINE_BEEP, TOKEN,  # noqa: E402
                            Receiver, Server, check, classify, finish, wait_call)

import json  # noqa: E402

WORK = tempfile.mkdtemp(prefix="amd-sip-e2e-")
routes = {r["to"]: r for r in json.load(open(DIALPLAN))["routes"]}
plan_dir = os.path.dirname(DIALPLAN)
src = {k: os.path.join(plan_dir, routes[n]["audio"]) for k, n in
       (("human", HUMAN), ("machine", MACHINE_BEEP), ("fax", FAX))}


def sox(*args):
    subprocess.run(["sox"] + list(args), check=True, capture_output=True)


# baresip's aufile wants 8 kHz mono S16; SIPp's rtp_stream sends a u-law WAV's bytes as they are
sox("-n", "-r", "8000", "-c", "1", "-b", "16", os.path.join(WORK, "sil60.wav"), "trim", "0", "60")
for k in ("human", "machine", "fax"):
    sox(src[k], "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", os.path.join(WORK, k + "8k.wav"))
for k in ("human", "fax", "machine"):  # stay on the line after the audio: we hang up (BYE)
    sox(os.path.join(WORK, k + "8k.wav"), os.path.join(WORK, "sil60.wav"), os.path.join(WORK, k + "_keep.wav"))
sox(os.path.join(WORK, "machine8k.wav"), "-e", "u-law", os.path.join(WORK, "machine_ulaw.wav"))
sox("-n", "-r", "8000", "-c", "1", "-e", "u-law", os.path.join(WORK, "ringback.wav"),
    "synth", "1.5", "sine", "440", "sine", "480", "remix", "-", "vol", "0.3")

expect = {k: classify(src[k], "DetectMessageEnd")["answered_by"] for k in ("human", "machine")}
expect["fax"] = classify(src["fax"], "Enable")["answered_by"]
print("classify says: %s" % expect)

# ---- far ends
fe = os.path.join(WORK, "farend")
os.makedirs(fe)
with open(os.path.join(fe, "config"), "w") as f:
    f.write("""poll_method epoll
sip_listen 127.0.0.1:5070
net_interface 127.0.0.1
call_local_timeout 120
call_max_calls 16
audio_buffer 20
audio_path /usr/share/baresip
audio_source aufile,%(w)s/sil60.wav
audio_player aubridge,farend
audio_alert aubridge,farend
ausrc_srate 8000
auplay_srate 8000
ausrc_channels 1
auplay_channels 1
rtp_ports 10000-10100
rtcp_mux no
jitter_buffer_delay 1-10
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module_tmp account.so
module_app menu.so
""" % {"w": WORK})
acct = "regint=0;audio_codecs=pcmu,pcma;ptime=20"
with open(os.path.join(fe, "accounts"), "w") as f:
    f.write("<sip:human@127.0.0.1:5070>;%s;answermode=auto;audio_source=aufile,%s/human_keep.wav\n" % (acct, WORK))
    f.write("<sip:+15551230010@127.0.0.1:5070>;%s;answermode=auto;audio_source=aufile,%s/machine8k.wav\n"
            % (acct, WORK))
    f.write("<sip:fax@127.0.0.1:5070>;%s;answermode=auto;audio_source=aufile,%s/fax_keep.wav\n" % (acct, WORK))
    f.write("<sip:noanswer@127.0.0.1:5070>;%s;answermode=manual\n" % acct)

# the voicemail that records what it hears: a second baresip with the sndfile module
vm = os.path.join(WORK, "vm")
os.makedirs(os.path.join(vm, "rec"))
with open(os.path.join(fe, "config")) as f:
    vm_conf = f.read().replace("127.0.0.1:5070", "127.0.0.1:5078").replace("rtp_ports 10000-10100",
                                                                           "rtp_ports 10300-10400")
with open(os.path.join(vm, "config"), "w") as f:
    f.write(vm_conf + "module sndfile.so\nsnd_path %s\n" % os.path.join(vm, "rec"))
with open(os.path.join(vm, "accounts"), "w") as f:
    f.write("<sip:vm@127.0.0.1:5078>;regint=0;audio_codecs=pcma;ptime=20;answermode=auto;"
            "audio_source=aufile,%s/machine_keep.wav\n" % WORK)

# the message we leave: 3 s of a speech-like signal at 8 kHz (pitch glide, partials, syllables)
import numpy as np  # noqa: E402
_t = np.arange(3 * 8000) / 8000.0
_ph = 2 * np.pi * np.cumsum(140 + 60 * np.sin(2 * np.pi * 0.7 * _t)) / 8000.0
MSG = sum(a * np.sin(k * _ph) for k, a in ((1, 0.5), (2, 0.3), (3, 0.25), (5, 0.15), (7, 0.1)))
MSG = 0.4 * MSG * (0.5 + 0.5 * np.abs(np.sin(2 * np.pi * 2.2 * _t))) / np.max(np.abs(MSG))
_b = io.BytesIO()
with wave.open(_b, "wb") as _w:
    _w.setnchannels(1)
    _w.setsampwidth(2)
    _w.setframerate(8000)
    _w.writeframes((MSG * 32767).astype("<i2").tobytes())
MSG_WAV = _b.getvalue()


def best_match(x, ref):
    """Max normalised cross-correlation of @p ref inside @p x."""
    n = len(ref)
    if len(x) < n:
        return 0.0
    size = 1 << int(np.ceil(np.log2(len(x) + n)))
    c = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(ref, size)), size)[: len(x) - n + 1]
    e = np.concatenate(([0.0], np.cumsum(x ** 2)))
    win = np.sqrt(np.maximum(e[n:] - e[: len(x) - n + 1], 1e-12))
    return float(np.max(c / (win * np.linalg.norm(ref))))


procs = []


def start(args, log):
    p = subprocess.Popen(args, stdout=open(os.path.join(WORK, log), "w"), stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, cwd=WORK)
    procs.append(p)
    return p


def wait_udp(port, timeout=5):
    end = time.time() + timeout
    while time.time() < end:
        with open("/proc/net/udp") as f:
            if any(line.split()[1].endswith(":%04X" % port) for line in f.readlines()[1:]):
                return True
        time.sleep(0.01)
    return False


start(["timeout", "120", "baresip", "-f", fe, "-t", "110"], "baresip.log")
start(["timeout", "120", "baresip", "-f", vm, "-t", "110"], "baresip_vm.log")
with open(os.path.join(HERE, "sip", "uas_auth.xml")) as f:
    auth_xml = f.read().replace("@RINGBACK@", os.path.join(WORK, "ringback.wav")).replace(
        "@GREETING@", os.path.join(WORK, "machine_ulaw.wav"))
with open(os.path.join(WORK, "uas_auth.xml"), "w") as f:
    f.write(auth_xml)
start(["timeout", "120", "sipp", "-sf", os.path.join(HERE, "sip", "uas_busy.xml"), "-i", "127.0.0.1", "-p", "5072",
       "-mi", "127.0.0.1", "-mp", "6100", "-nostdin", "-trace_err"], "sipp_busy.log")
start(["timeout", "120", "sipp", "-sf", os.path.join(WORK, "uas_auth.xml"), "-i", "127.0.0.1", "-p", "5074",
       "-mi", "127.0.0.1", "-mp", "6000", "-nostdin", "-trace_err", "-trace_msg",
       "-message_file", os.path.join(WORK, "auth_msgs.log")], "sipp_auth.log")
start(["timeout", "120", "sipp", "-sf", os.path.join(HERE, "sip", "uas_ring.xml"), "-i", "127.0.0.1", "-p", "5076",
       "-mi", "127.0.0.1", "-mp", "6200", "-nostdin", "-trace_err", "-trace_msg",
       "-message_file", os.path.join(WORK, "ring_msgs.log")], "sipp_ring.log")
ready = all(wait_udp(p) for p in (5070, 5072, 5074, 5076, 5078))


def wire(log, what):
    try:
        with open(os.path.join(WORK, log)) as f:
            return sum(1 for line in f if line.startswith(what))
    except OSError:
        return 0

recv = Receiver()
recv.set("/status", "", status=204, ctype="text/plain")
recv.set("/rec", "", status=204, ctype="text/plain")
recv.set("/amd", "", status=200, ctype="text/plain")
recv.set("/msg.wav", MSG_WAV, ctype="audio/wav")
rec_dir = os.path.join(WORK, "recordings")
srv = Server(clock_speed=1, cps=50, extra=["--sip-listen", "127.0.0.1:5090", "--sip-trunk", "sip:127.0.0.1:5070",
                                           "--recordings", rec_dir])
client = srv.client()
EVENTS = ["initiated", "ringing", "answered", "completed"]


def create(to, **kw):
    kw.setdefault("twiml", "<Response><Pause length=\"30\"/></Response>")
    return client.calls.create(to=to, from_=FROM, status_callback=recv.url("/status"),
                               status_callback_event=EVENTS, **kw)


def final_cb(sid):
    got = recv.wait_for(lambda r: r["path"] == "/status" and r["params"].get("CallSid") == sid and
                        r["params"].get("CallStatus") in ("completed", "busy", "no-answer", "failed", "canceled"),
                        timeout=10)
    return got[0]["params"] if got else {}


def statuses(sid):
    return [r["params"].get("CallStatus") for r in recv.matching(
        lambda r: r["path"] == "/status" and r["params"].get("CallSid") == sid)]


def coarse(a):
    return "machine" if (a or "").startswith("machine") else a


try:
    check(ready, "far ends listening (baresip :5070 and :5078, SIPp :5072, :5074 and :5076)")
    t0 = time.time()
    vmcall = create("sip:vm@127.0.0.1:5078", machine_detection="DetectMessageEnd", async_amd="true",
                    async_amd_status_callback=recv.url("/amd"), twiml="<Response><Pause length=\"60\"/></Response>")
    human = create("sip:human@127.0.0.1:5070", machine_detection="DetectMessageEnd", record=True,
                   recording_status_callback=recv.url("/rec"), recording_status_callback_event=["completed"])
    machine = create("+15551230010", machine_detection="DetectMessageEnd", record=True)
    fax = create("sip:fax@127.0.0.1:5070", machine_detection="Enable")
    noans = create("sip:noanswer@127.0.0.1:5070", timeout=4)
    ring = create("sip:ring@127.0.0.1:5076", timeout=3)
    busy = create("sip:busy@127.0.0.1:5072")
    nobody = create("sip:nobody@127.0.0.1:5070")
    auth = create("sip:auth@127.0.0.1:5074", machine_detection="DetectMessageEnd",
                  sip_auth_username="amd", sip_auth_password="secret")
    noauth = create("sip:auth@127.0.0.1:5074")
    digits = create("sip:human@127.0.0.1:5070", send_digits="1w9#",
                    twiml="<Response><Pause length=\"3\"/></Response>")

    # human: answered, AMD says human; then our hang-up (BYE) completes it
    end = time.time() + 30
    c = client.calls(human.sid).fetch()
    while not c.answered_by and time.time() < end:
        time.sleep(0.2)
        c = client.calls(human.sid).fetch()
    check(c.status == "in-progress" and c.answered_by == expect["human"],
          "human: in-progress, AnsweredBy %s (classify: %s)" % (c.answered_by, expect["human"]))
    time.sleep(1)
    client.calls(human.sid).update(status="completed")
    c = wait_call(client, human.sid, timeout=15)
    cb = final_cb(human.sid)
    check(c.status == "completed" and int(c.duration or 0) >= 2, "human: our hang-up completes the call (%s, %s s)"
          % (c.status, c.duration))
    check(statuses(human.sid) == ["initiated", "ringing", "in-progress", "completed"],
          "human: status callbacks initiated, ringing, in-progress, completed: %s" % statuses(human.sid))
    check(cb.get("SipResponseCode") == "200" and cb.get("AnsweredBy") == expect["human"],
          "human: completed callback SipResponseCode 200, AnsweredBy %s" % cb.get("AnsweredBy"))
    recs = client.calls(human.sid).recordings.list()
    check(len(recs) == 1 and recs[0].status == "completed", "human: one completed recording")
    if recs:
        rc = recv.wait_for(lambda r: r["path"] == "/rec" and r["params"].get("CallSid") == human.sid, timeout=10)
        url = rc[0]["params"].get("RecordingUrl", "") if rc else ""
        req = urllib.request.Request(url + ".wav", headers={
            "Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()})
        w = wave.open(io.BytesIO(urllib.request.urlopen(req).read()))
        secs = w.getnframes() / w.getframerate()
        frames = w.readframes(w.getnframes())
        import array
        a = array.array("h", frames)
        peak = max((abs(x) for x in a), default=0)
        check(w.getframerate() == 8000 and abs(secs - int(c.duration)) <= 1.5 and peak > 3000,
              "human: the recording is the far end's audio (%d Hz, %.1f s for a %s s call, peak %d)"
              % (w.getframerate(), secs, c.duration, peak))

    # machine through the trunk: greeting + beep, then the far end hangs up (BYE)
    c = wait_call(client, machine.sid, timeout=40)
    cb = final_cb(machine.sid)
    check(c.status == "completed" and c.answered_by == expect["machine"],
          "machine (trunk route +15551230010): completed, AnsweredBy %s (classify: %s)"
          % (c.answered_by, expect["machine"]))
    with wave.open(os.path.join(WORK, "machine8k.wav")) as w:
        glen = w.getnframes() / w.getframerate()
    check(abs(int(c.duration or 0) - glen) <= 2, "machine: far-end BYE after its %.1f s greeting ends the call (%s s)"
          % (glen, c.duration))
    check(len(client.calls(machine.sid).recordings.list()) == 1, "machine: recorded")

    c = client.calls(fax.sid).fetch()
    end = time.time() + 20
    while not c.answered_by and time.time() < end:
        time.sleep(0.2)
        c = client.calls(fax.sid).fetch()
    check(c.answered_by == expect["fax"], "fax: AnsweredBy %s (classify: %s)" % (c.answered_by, expect["fax"]))
    client.calls(fax.sid).update(status="completed")

    c = wait_call(client, noans.sid, timeout=20)
    cb = final_cb(noans.sid)
    check(c.status == "no-answer" and cb.get("SipResponseCode") == "487",
          "ringing without answer: no-answer after Timeout=4 (CANCEL), SipResponseCode %s" % cb.get("SipResponseCode"))
    check(statuses(noans.sid)[:2] == ["initiated", "ringing"], "no-answer: it rang first: %s" % statuses(noans.sid))

    c = wait_call(client, ring.sid, timeout=20)
    time.sleep(0.5)
    check(c.status == "no-answer" and wire("ring_msgs.log", "CANCEL sip:ring@127.0.0.1:5076") == 1 and
          wire("ring_msgs.log", "ACK sip:ring@127.0.0.1:5076") == 1,
          "SIPp ringing far end: no-answer; it received our CANCEL and the ACK of its 487 (%s)" % c.status)

    c = wait_call(client, busy.sid, timeout=20)
    cb = final_cb(busy.sid)
    check(c.status == "busy" and cb.get("SipResponseCode") == "486",
          "SIPp 486: busy, SipResponseCode %s" % cb.get("SipResponseCode"))

    c = wait_call(client, nobody.sid, timeout=20)
    cb = final_cb(nobody.sid)
    check(c.status == "failed" and cb.get("SipResponseCode") == "404",
          "unknown user at the far end: failed, SipResponseCode %s" % cb.get("SipResponseCode"))

    c = client.calls(auth.sid).fetch()
    end = time.time() + 30
    while not c.answered_by and time.time() < end:
        time.sleep(0.2)
        c = client.calls(auth.sid).fetch()
    check(c.status == "in-progress" and coarse(c.answered_by) == coarse(expect["machine"]),
          "digest challenge answered with SipAuthUsername/-Password; early-media ringback ignored; "
          "AnsweredBy %s" % c.answered_by)
    client.calls(auth.sid).update(status="completed")
    c = wait_call(client, auth.sid, timeout=15)
    time.sleep(0.5)
    check(c.status == "completed" and wire("auth_msgs.log", "BYE sip:") == 1,
          "auth call hung up by us: completed, SIPp received our BYE (%s)" % c.status)

    c = wait_call(client, noauth.sid, timeout=20)
    cb = final_cb(noauth.sid)
    check(c.status == "failed" and cb.get("SipResponseCode") == "401",
          "digest challenge without credentials: failed, SipResponseCode %s" % cb.get("SipResponseCode"))
    c = wait_call(client, digits.sid, timeout=20)
    time.sleep(0.3)
    with open(os.path.join(WORK, "baresip.log"), errors="replace") as f:
        log = f.read()
    got = [d for d in "19#" if "received event: '%s' (end=1)" % d in log]
    check(c.status == "completed" and got == list("19#"),
          "SendDigits=1w9# reached the far end as RFC 4733 events (baresip heard %s)" % "".join(got))
    # voicemail drop over SIP: after the beep, <Play> of our message and a key as RFC 4733
    got = recv.wait_for(lambda r: r["path"] == "/amd" and r["params"].get("CallSid") == vmcall.sid, timeout=30)
    ab = got[0]["params"].get("AnsweredBy") if got else None
    check(ab == "machine_end_beep", "vm: AMD callback machine_end_beep (%s)" % ab)
    client.calls(vmcall.sid).update(twiml="<Response><Play>%s</Play><Play digits=\"5\"/><Hangup/></Response>"
                                    % recv.url("/msg.wav"))
    c = wait_call(client, vmcall.sid, timeout=30)
    time.sleep(0.5)
    heard = [f for f in os.listdir(os.path.join(vm, "rec")) if f.endswith("-dec.wav")]
    corr = 0.0
    if check(len(heard) == 1, "vm: the far end recorded what it heard (%s)" % heard):
        with wave.open(os.path.join(vm, "rec", heard[0])) as w:
            x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
        corr = best_match(x, MSG)
    check(c.status == "completed" and corr >= 0.9,
          "vm: our <Play> is in the far end's recording, A-law RTP (correlation %.3f >= 0.9)" % corr)
    with open(os.path.join(WORK, "baresip_vm.log"), errors="replace") as f:
        check("received event: '5' (end=1)" in f.read(), "vm: <Play digits=\"5\"> reached it as an RFC 4733 event")
    # the server-wide default credentials (--sip-auth) answer the challenge too
    srv2 = Server(clock_speed=1, cps=50, extra=["--sip-listen", "127.0.0.1:5092", "--sip-auth", "amd:secret"])
    try:
        c2 = srv2.client()
        a2 = c2.calls.create(to="sip:auth@127.0.0.1:5074", from_=FROM,
                             twiml="<Response><Pause length=\"2\"/></Response>")
        f2 = wait_call(c2, a2.sid, timeout=20)
        check(f2.status == "completed" and int(f2.duration or 0) >= 2,
              "--sip-auth user:password answers the digest challenge (%s, %s s)" % (f2.status, f2.duration))
    finally:
        srv2.cleanup()
    print("all calls done in %.1f s" % (time.time() - t0))
finally:
    srv.cleanup()
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
    if os.environ.get("AMD_SIP_KEEP"):
        print("far-end logs kept in %s" % WORK)
    else:
        shutil.rmtree(WORK, ignore_errors=True)
finish()
