# SPDX-License-Identifier: MIT
"""<Dial> over real SIP/RTP: `amd serve --sip-listen` calls a callee and bridges it to an agent,
inside a private network namespace (no packet can leave the machine). Both far ends are
baresip, each recording what it hears (the sndfile module's decoded stream):

  callee (127.0.0.1:5070 / :5072)  offers only PCMU (G.711 µ-law), keeps talking
  agent  (127.0.0.1:5080 / :5082)  offers only PCMA (G.711 A-law), keeps talking

Checked: each recording holds the other party's audio (median normalised cross-correlation of
its 0.5 s speech windows >= 0.9:
the µ-law leg transcoded to the A-law leg and back), the laws negotiated, and a BYE from either
side ends both legs (scenario A: the agent hangs up; B: the callee does).
Exit 77 (skip) only when network namespaces are not permitted.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))

if os.environ.get("AMD_SIP_NETNS") != "1":
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        print("SKIP: network namespaces are not permitted here (unshare -n: %s); the SIP <Dial> test only "
              "runs on an isolated loopback" % probe.stderr.decode().strip())
        sys.exit(77)
    env = dict(os.environ, AMD_SIP_NETNS="1")
    os.execvpe("unshare", ["unshare", "-n", "bash", "-c",
                           "ip link set lo up && exec /usr/bin/python3 \"$0\"", os.path.abspath(__file__)], env)

for tool in ("baresip", "sox"):
    if not shutil.which(tool):
        print("FAIL: %s is not installed (make setup installs baresip-core and sox)" % tool)
        sys.exit(1)

sys.path.insert(0, HERE)
import numpy as np  # noqa: E402
from twilio_harness import FROM, Receiver, Server, check, finish, wait_call  # noqa: E402

WORK = tempfile.mkdtemp(prefix="amd-sip-dial-")
SRC = os.environ.get("AMD_SOURCE_DIR", os.path.join(HERE, "..", ".."))
import csv  # noqa: E402
rows = sorted((r for r in csv.DictReader(open(os.path.join(SRC, "testdata", "manifest.csv")))
               if r["scenario"] == "human_long"), key=lambda r: r["file"])


def sox(*args):
    subprocess.run(["sox"] + list(args), check=True, capture_output=True)


# two different talkers, 8 kHz S16 (baresip's aufile), each repeated to outlast the call
for name, row in (("callee", rows[0]), ("agent", rows[1])):
    sox(os.path.join(SRC, "testdata", row["file"]), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
        os.path.join(WORK, name + "_once.wav"))
    sox(os.path.join(WORK, name + "_once.wav"), os.path.join(WORK, name + ".wav"), "repeat", "8")


def read16(path):
    w = wave.open(path)
    x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    return x.reshape(-1, w.getnchannels())[:, 0]


def ncc_at_best_lag(seg, src):
    """Highest normalised cross-correlation of @seg against @src (looped) at any lag."""
    s = np.concatenate([src, src])
    n = len(s) + len(seg)
    nfft = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(s, nfft) * np.conj(np.fft.rfft(seg, nfft)), nfft)[:len(s) - len(seg) + 1]
    c2 = np.concatenate([[0.0], np.cumsum(s * s)])
    energy = c2[len(seg):] - c2[:-len(seg)]
    return float(np.max(corr / (np.sqrt(np.maximum(energy, 1e-9)) * np.sqrt(np.sum(seg * seg)))))


def heard_ncc(rec, src):
    """(median, count) of the normalised cross-correlation of every 0.5 s window of @rec that
    carries speech against @src. Windows are matched independently: a 20 ms frame the RTP
    path skipped or repeated on this shared, loaded machine moves the lag between windows but
    leaves each window's match intact."""
    vals = []
    for t in range(0, len(rec) - 4000, 4000):
        seg = rec[t:t + 4000]
        if np.sqrt(np.mean(seg * seg)) > 300:
            vals.append(ncc_at_best_lag(seg, src))
    return (float(np.median(vals)) if vals else 0.0), len(vals)


procs = []


def farend(name, port, codec, secs, cons=0):
    d = os.path.join(WORK, "%s_%d" % (name, port))
    os.makedirs(os.path.join(d, "snd"))
    with open(os.path.join(d, "config"), "w") as f:
        f.write("""poll_method epoll
sip_listen 127.0.0.1:%(port)d
net_interface 127.0.0.1
call_max_calls 4
audio_buffer 20
audio_path /usr/share/baresip
audio_source aufile,%(w)s/%(name)s.wav
audio_player aubridge,%(name)s
audio_alert aubridge,%(name)s
ausrc_srate 8000
auplay_srate 8000
ausrc_channels 1
auplay_channels 1
rtp_ports %(rtp)d-%(rtp2)d
rtcp_mux no
jitter_buffer_delay 1-10
snd_path %(d)s/snd
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module sndfile.so
%(cons)s
module_tmp account.so
module_app menu.so
""" % {"port": port, "w": WORK, "name": name, "d": d, "rtp": 10000 + (port - 5000) * 10,
       "cons": "module cons.so\ncons_listen 127.0.0.1:%d" % cons if cons else "",
       "rtp2": 10009 + (port - 5000) * 10})
    with open(os.path.join(d, "accounts"), "w") as f:
        f.write("<sip:%s@127.0.0.1:%d>;regint=0;audio_codecs=%s;ptime=20;answermode=auto\n" % (name, port, codec))
    log = open(os.path.join(d, "baresip.log"), "w")
    p = subprocess.Popen(["timeout", str(secs + 10), "baresip", "-f", d, "-t", str(secs)], stdout=log,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=d)
    procs.append(p)
    return d, p


def wait_udp(port, timeout=5):
    end = time.time() + timeout
    while time.time() < end:
        with open("/proc/net/udp") as f:
            if any(line.split()[1].endswith(":%04X" % port) for line in f.readlines()[1:]):
                return True
        time.sleep(0.01)
    return False


def heard(d):
    files = glob.glob(os.path.join(d, "snd", "dump-*-dec.wav"))
    return read16(files[0]) if files else np.zeros(0)


def law(d):
    with open(os.path.join(d, "baresip.log"), errors="replace") as f:
        text = f.read()
    for codec in ("PCMU", "PCMA"):
        if "Set audio decoder: %s" % codec in text:
            return codec
    return "?"


recv = Receiver()
# SCHED_RR for the media threads (as in production): on this shared machine a normal-priority
# media clock misses RTP deadlines, and a skipped frame is heard as a slip
srv = Server(clock_speed=1, cps=50, extra=["--sip-listen", "127.0.0.1:5090", "--media-priority", "10"])
client = srv.client()
callee_src, agent_src = read16(os.path.join(WORK, "callee_once.wav")), read16(os.path.join(WORK, "agent_once.wav"))


def scenario(label, callee_port, agent_port, callee_secs, agent_secs):
    print("scenario %s" % label)
    cd, cp = farend("callee", callee_port, "pcmu", callee_secs)
    ad, ap = farend("agent", agent_port, "pcma", agent_secs)
    check(wait_udp(callee_port) and wait_udp(agent_port), "%s: far ends listening" % label)
    c = client.calls.create(to="sip:callee@127.0.0.1:%d" % callee_port, from_=FROM,
                            twiml="<Response><Dial><Sip>sip:agent@127.0.0.1:%d</Sip></Dial></Response>" % agent_port)
    fin = wait_call(client, c.sid, timeout=60)
    kids = client.calls.list(parent_call_sid=c.sid)
    kid = wait_call(client, kids[0].sid, timeout=10) if kids else None
    check(fin.status == "completed" and kid is not None and kid.status == "completed",
          "%s: both legs completed (%s / %s)" % (label, fin.status, kid.status if kid else None))
    if kid:
        gap = abs(time.mktime(kid.end_time.timetuple()) - time.mktime(fin.end_time.timetuple()))
        check(gap <= 2, "%s: one BYE ended both legs (end times %.0f s apart)" % (label, gap))
        check(kid.direction == "outbound-dial" and kid.to == "sip:agent@127.0.0.1:%d" % agent_port,
              "%s: the agent leg is the <Sip> child" % label)
    for p in (cp, ap):
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    check(law(cd) == "PCMU" and law(ad) == "PCMA", "%s: callee on µ-law, agent on A-law (%s / %s)" %
          (label, law(cd), law(ad)))
    (n1, w1), (n2, w2) = heard_ncc(heard(cd), agent_src), heard_ncc(heard(ad), callee_src)
    check(n1 >= 0.9 and w1 >= 4, "%s: the callee heard the agent (median ncc %.3f over %d windows of 0.5 s)" %
          (label, n1, w1))
    check(n2 >= 0.9 and w2 >= 4, "%s: the agent heard the callee (median ncc %.3f over %d windows of 0.5 s)" %
          (label, n2, w2))


def keys_scenario():
    """RFC 4733 through the bridge, and hangupOnStar: the callee presses 5 (the agent must
    receive it as a telephone-event), then * (the child is hung up, the dial completes)."""
    import socket
    print("scenario C (keys: RFC 4733 through the bridge, hangupOnStar)")
    recv.set("/star", "<Response><Hangup/></Response>")
    cd, cp = farend("callee", 5074, "pcmu", 40, cons=5555)
    ad, ap = farend("agent", 5084, "pcma", 40)
    check(wait_udp(5074) and wait_udp(5084) and wait_udp(5555), "C: far ends listening")
    c = client.calls.create(to="sip:callee@127.0.0.1:5074", from_=FROM,
                            twiml="<Response><Dial hangupOnStar=\"true\" action=\"%s\"><Sip>sip:agent@127.0.0.1:5084"
                                  "</Sip></Dial></Response>" % recv.url("/star"))
    kids = []
    for _ in range(200):
        kids = client.calls.list(parent_call_sid=c.sid)
        if kids and kids[0].status == "in-progress":
            break
        time.sleep(0.05)
    time.sleep(1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.sendto(b"5", ("127.0.0.1", 5555))
    time.sleep(1.5)
    with open(os.path.join(ad, "baresip.log"), errors="replace") as f:
        agent_log = f.read()
    check("received event: '5'" in agent_log, "C: the callee's 5 reached the agent as an RFC 4733 event")
    sock.sendto(b"*", ("127.0.0.1", 5555))
    act = recv.wait_for(lambda r: r["path"] == "/star" and r["params"].get("CallSid") == c.sid, timeout=15)
    kid = wait_call(client, kids[0].sid, timeout=10) if kids else None
    check(len(act) == 1 and act[0]["params"].get("DialCallStatus") == "completed" and kid is not None and
          kid.status == "completed", "C: * with hangupOnStar hung the agent up; action DialCallStatus completed")
    with open(os.path.join(ad, "baresip.log"), errors="replace") as f:
        agent_log = f.read()
    check("received event: '*'" not in agent_log, "C: the * itself is not passed to the agent")
    check(wait_call(client, c.sid, timeout=20).status == "completed", "C: the parent completed")
    for p in (cp, ap):
        p.kill()


try:
    scenario("A (the agent hangs up)", 5070, 5080, 40, 8)
    scenario("B (the callee hangs up)", 5072, 5082, 8, 40)
    keys_scenario()
finally:
    srv.cleanup()
    for p in procs:
        if p.poll() is None:
            p.kill()
    if os.environ.get("AMD_KEEP_WORK") != "1":
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        print("work folder kept: %s" % WORK)
finish()
