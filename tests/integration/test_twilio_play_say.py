# SPDX-License-Identifier: MIT
"""<Play> and <Say> as real audio on the simulated carrier, through the python twilio client.

Voicemail drop: DetectMessageEnd with async AMD; when the AMD callback says machine_end_beep
the test updates the call with <Play> of a WAV it serves (16 kHz, so the server resamples).
The dual recording's outbound channel (channel 1, our side) must hold that audio: normalised
cross-correlation >= 0.9 against the source brought to 8 kHz, starting within 300 ms of the
update. <Say>: the outbound channel holds speech by the project's VAD (`amd trace`), of a
length plausible for the text. Also: a second call plays the cached file, loop="2" plays it
twice, and an unfetchable URL is Twilio's warning 11200 with the call going on."""
import base64
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (ACCOUNT, AMD_BIN, DIALPLAN, FROM, HUMAN_STAYS, MACHINE_BEEP, TOKEN,  # noqa: E402
                            Receiver, Server, check, finish, wait_call)

WORK = tempfile.mkdtemp(prefix="amd-play-say-")
# the voicemail keeps the line open after its beep (a real one records what follows)
plan = json.load(open(DIALPLAN))
for r in plan["routes"]:
    r["audio"] = os.path.join(os.path.dirname(DIALPLAN), r["audio"]) if "audio" in r else None
    if r["audio"] is None:
        del r["audio"]
    if r["to"] == MACHINE_BEEP:
        r["hangup"] = "never"
PLAN = os.path.join(WORK, "dialplan.json")
json.dump(plan, open(PLAN, "w"))

# The message: 2.5 s of a speech-like signal (a pitch glide with formant-like partials and a
# syllable envelope) at 16 kHz, so a match cannot come from a steady tone.
SRC_RATE = 16000
t = np.arange(int(2.5 * SRC_RATE)) / SRC_RATE
f0 = 140 + 60 * np.sin(2 * np.pi * 0.7 * t)
phase = 2 * np.pi * np.cumsum(f0) / SRC_RATE
sig = sum(a * np.sin(k * phase) for k, a in ((1, 0.5), (2, 0.3), (3, 0.25), (5, 0.15), (7, 0.1), (11, 0.05)))
sig *= 0.5 + 0.5 * np.abs(np.sin(2 * np.pi * 2.2 * t))
sig = 0.4 * sig / np.max(np.abs(sig))


def wav_bytes(x, rate):
    b = io.BytesIO()
    with wave.open(b, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return b.getvalue()


def to_8k(x, rate):
    """Band-limited resampling by FFT (the reference the server's SpeexDSP output is held to)."""
    n = int(round(len(x) * 8000 / rate))
    X = np.fft.rfft(x)[: n // 2 + 1]
    return np.fft.irfft(X, n) * n / len(x)


REF = to_8k(sig, SRC_RATE)


def best_match(x, ref):
    """(max normalised cross-correlation, lag in samples) of @p ref inside @p x."""
    n = len(ref)
    if len(x) < n:
        return 0.0, 0
    size = 1 << int(np.ceil(np.log2(len(x) + n)))
    c = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(ref, size)), size)[: len(x) - n + 1]
    e = np.concatenate(([0.0], np.cumsum(x.astype(np.float64) ** 2)))
    win = np.sqrt(np.maximum(e[n:] - e[: len(x) - n + 1], 1e-12))
    r = c / (win * np.linalg.norm(ref))
    k = int(np.argmax(r))
    return float(r[k]), k


def recording(client, sid):
    recs = client.calls(sid).recordings.list()
    if not check(len(recs) == 1, "the call has one recording"):
        return None, 0
    deadline = time.time() + 20
    while recs[0].status != "completed" and time.time() < deadline:
        time.sleep(0.2)
        recs = client.calls(sid).recordings.list()
    url = srv.base + "/2010-04-01/Accounts/%s/Recordings/%s.wav" % (ACCOUNT, recs[0].sid)
    req = urllib.request.Request(url, headers={
        "Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()})
    w = wave.open(io.BytesIO(urllib.request.urlopen(req).read()))
    x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
    x = x.reshape(-1, w.getnchannels())
    return x, w.getframerate()


def speech_ms(x, rate):
    """Milliseconds the project's VAD calls speech in @p x (`amd trace --csv`)."""
    path = os.path.join(WORK, "say.wav")
    with open(path, "wb") as f:
        f.write(wav_bytes(x, rate))
    out = subprocess.run([AMD_BIN, "trace", "--csv", "-", path], capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    return 10 * sum(1 for r in rows if r.get("speech") in ("1", "true")), len(rows) * 10


recv = Receiver()
recv.set("/msg.wav", wav_bytes(sig, SRC_RATE), ctype="audio/wav")
recv.set("/missing.wav", "not here", status=404, ctype="text/plain")
recv.set("/amd", "", status=200, ctype="text/plain")
recv.set("/hold", "<Response><Pause length=\"60\"/></Response>")
srv = Server(clock_speed=1, dialplan=PLAN)
client = srv.client()

try:
    # ---- voicemail drop
    print("voicemail drop: DetectMessageEnd, async AMD, <Play> after the beep")
    c = client.calls.create(to=MACHINE_BEEP, from_=FROM, url=recv.url("/hold"), machine_detection="DetectMessageEnd",
                            async_amd="true", async_amd_status_callback=recv.url("/amd"), record=True,
                            recording_channels="dual")
    got = recv.wait_for(lambda r: r["path"] == "/amd" and r["params"].get("CallSid") == c.sid, timeout=60)
    ab = got[0]["params"].get("AnsweredBy") if got else None
    check(ab == "machine_end_beep", "AMD callback says machine_end_beep (%s)" % ab)
    t_cb = got[0]["t"] if got else time.time()
    dec_ms = int(got[0]["params"].get("MachineDetectionDuration", "0")) if got else 0
    t_upd = time.time()
    client.calls(c.sid).update(twiml="<Response><Play>%s</Play><Hangup/></Response>" % recv.url("/msg.wav"))
    fin = wait_call(client, c.sid, timeout=60)
    check(fin.status == "completed", "the call completes after the message (%s)" % fin.status)
    fetches = recv.matching(lambda r: r["path"] == "/msg.wav")
    check(len(fetches) == 1 and fetches[0]["method"] == "GET" and "CallSid" not in fetches[0]["params"],
          "the audio is fetched once, with a GET without the standard parameters")
    x, rate = recording(client, c.sid)
    if x is not None:
        check(x.shape[1] == 2 and rate == 8000, "dual 8 kHz recording (%s channels, %s Hz)" % (x.shape[1], rate))
        ours = x[:, 0]
        corr, lag = best_match(ours, REF)
        check(corr >= 0.9, "outbound channel holds the played WAV: correlation %.3f >= 0.9" % corr)
        # the update in recording time: the AMD decision plus the time the test took to act on it
        t_update_ms = dec_ms + (t_upd - t_cb) * 1000
        delay = lag / 8.0 - t_update_ms
        check(delay <= 300, "the message starts %.0f ms after the update (<= 300 ms)" % delay)
        far = best_match(x[:, 1], REF)[0]
        check(far < 0.5, "the far-end channel does not hold our message (%.3f)" % far)

    # ---- cached: a second call plays it again without a fetch; loop="2" plays it twice
    print("<Play loop=\"2\"> from the cache")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM, record=True, recording_channels="dual",
                            twiml="<Response><Play loop=\"2\">%s</Play></Response>" % recv.url("/msg.wav"))
    fin = wait_call(client, c.sid, timeout=60)
    check(len(recv.matching(lambda r: r["path"] == "/msg.wav")) == 1, "the second call plays from the cache")
    x, rate = recording(client, c.sid)
    if x is not None:
        ours = x[:, 0]
        c1, l1 = best_match(ours, REF)
        c2, l2 = best_match(ours[l1 + len(REF) - 8:], REF)
        check(c1 >= 0.9 and c2 >= 0.9, "two passes of the message (%.3f, %.3f)" % (c1, c2))
        check(abs(l2 - 8) <= 8, "the second pass follows the first without a gap (%d samples)" % (l2 - 8))
        check(l1 / 8.0 <= 200, "cached audio starts %.0f ms after answer" % (l1 / 8.0))

    # ---- a URL that cannot be fetched: 11200, the verb is skipped, the call goes on
    print("<Play> of a missing file")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM,
                            twiml="<Response><Play>%s</Play><Pause length=\"1\"/></Response>" % recv.url("/missing.wav"))
    fin = wait_call(client, c.sid, timeout=60)
    ev = json.loads(urllib.request.urlopen(urllib.request.Request(
        srv.base + "/2010-04-01/Accounts/%s/Calls/%s/Events.json" % (ACCOUNT, c.sid), headers={
            "Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()})).read())
    codes = [str(e.get("response", {}).get("error_code") or e.get("error_code") or "") for e in ev.get("events", [])]
    check(fin.status == "completed" and int(fin.duration or 0) >= 1,
          "the call goes on past the failed <Play> (%s, %s s)" % (fin.status, fin.duration))
    check(any("11200" in json.dumps(e) for e in ev.get("events", [])), "warning 11200 in the call's Events")

    # ---- <Say>
    print("<Say>")
    text = "Hello, this is a message from the test. Please call us back at your convenience. Goodbye."
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM, record=True, recording_channels="dual",
                            twiml="<Response><Say voice=\"woman\" language=\"en-GB\">%s</Say></Response>" % text)
    fin = wait_call(client, c.sid, timeout=60)
    x, rate = recording(client, c.sid)
    if x is not None:
        sp, total = speech_ms(x[:, 0], rate)
        words = len(text.split())
        # espeak-ng speaks ~175 words a minute: ~0.34 s a word; allow half to twice that
        lo, hi = words * 340 / 2, words * 340 * 2
        check(lo <= sp <= hi, "the outbound channel holds %d ms of speech for %d words (%d..%d)" % (sp, words, lo, hi))
        check(total <= hi + 2000, "the call ends with the speech (%d ms recorded)" % total)
        silent = speech_ms(x[:, 1] * 0, rate)[0]
        check(silent == 0, "no speech found in silence (VAD sanity)")
    c = client.calls.create(to=HUMAN_STAYS, from_=FROM,
                            twiml="<Response><Say language=\"xx-YY\">Still spoken.</Say></Response>")
    fin = wait_call(client, c.sid, timeout=60)
    ev = json.loads(urllib.request.urlopen(urllib.request.Request(
        srv.base + "/2010-04-01/Accounts/%s/Calls/%s/Events.json" % (ACCOUNT, c.sid), headers={
            "Authorization": "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()})).read())
    check(any("13512" in json.dumps(e) for e in ev.get("events", [])), "unsupported language: warning 13512")
    check(fin.status == "completed" and int(fin.duration or 0) >= 1,
          "the default voice still speaks (%s s)" % fin.duration)
finally:
    srv.cleanup()
finish()
