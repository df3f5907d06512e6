#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Delay `amd serve` adds between two SIP legs bridged by <Dial>, by the click method, on the
wire: a baresip callee (PCMU) sends a 1 ms click every 2 s, a baresip agent (PCMA) is silent.
A packet socket on loopback (kernel receive timestamps, SO_TIMESTAMPNS) sees each RTP packet
leave the callee and each packet the server sends the agent; a click's two sightings differ by
what the server adds: its jitter buffer, the bridge and the outbound send queue (RTP
packetisation on both sides is the same 20 ms and cancels out). Runs in a private network
namespace.

  AMD_BIN=build/cli/amd /usr/bin/python3 bench/sip/dial_delay_sip.py [--seconds 14] [--media-priority 10]
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave

if os.environ.get("AMD_SIP_NETNS") != "1":
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        sys.exit("dial_delay_sip: needs a private network namespace (unshare -n)")
    env = dict(os.environ, AMD_SIP_NETNS="1")
    os.execvpe("unshare", ["unshare", "-n", "bash", "-c", "ip link set lo up && exec /usr/bin/python3 \"$0\" \"$@\"",
                           os.path.abspath(__file__)] + sys.argv[1:], env)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
os.environ.setdefault("AMD_SOURCE_DIR", os.path.join(HERE, "..", ".."))
import audioop  # noqa: E402
from twilio_harness import FROM, Server, wait_call  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=int, default=14)
ap.add_argument("--media-priority", type=int, default=10)
args = ap.parse_args()
work = tempfile.mkdtemp(prefix="amd-dial-delay-sip-")


def wav(path, samples):
    w = wave.open(path, "wb")
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(8000)
    w.writeframes(struct.pack("<%dh" % len(samples), *samples))
    w.close()


period = [0] * 16000
for i in range(8000, 8008):
    period[i] = 20000
wav(os.path.join(work, "clicks.wav"), period * 30)
wav(os.path.join(work, "silence.wav"), [0] * 16000 * 30)

CALLEE_RTP, AGENT_RTP = (10700, 10709), (10800, 10809)


def farend(name, port, codec, audio, rtp):
    d = os.path.join(work, name)
    os.makedirs(d)
    with open(os.path.join(d, "config"), "w") as f:
        f.write("poll_method epoll\nsip_listen 127.0.0.1:%d\nnet_interface 127.0.0.1\naudio_path /usr/share/baresip\n"
                "audio_source aufile,%s\naudio_player aubridge,%s\naudio_alert aubridge,%s\nausrc_srate 8000\n"
                "auplay_srate 8000\nausrc_channels 1\nauplay_channels 1\nrtp_ports %d-%d\nrtcp_mux no\n"
                "jitter_buffer_delay 1-10\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\n"
                "module aubridge.so\nmodule_tmp account.so\nmodule_app menu.so\n"
                % (port, os.path.join(work, audio), name, name, rtp[0], rtp[1]))
    with open(os.path.join(d, "accounts"), "w") as f:
        f.write("<sip:%s@127.0.0.1:%d>;regint=0;audio_codecs=%s;ptime=20;answermode=auto\n" % (name, port, codec))
    return subprocess.Popen(["timeout", "60", "baresip", "-f", d, "-t", "50"], stdout=open(os.path.join(d, "log"), "w"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=d)


# ---- the sniffer: every UDP packet on lo once (as it is sent), with its kernel timestamp
SO_TIMESTAMPNS = 35
packets = []
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
sniff.bind(("lo", 0))
sniff.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
sniff.settimeout(0.5)
stop = threading.Event()


def sniffer():
    while not stop.is_set():
        try:
            data, anc, _flags, addr = sniff.recvmsg(2048, 64)
        except socket.timeout:
            continue
        if addr[2] != socket.PACKET_OUTGOING or len(data) < 14 + 20 + 8 + 12:
            continue
        ts = None
        for level, kind, val in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", val[:16])
                ts = sec + nsec / 1e9
        ip = data[14:]
        if ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        rtp = ip[ihl + 8:]
        pt = rtp[1] & 0x7F
        if pt not in (0, 8):
            continue
        pcm = audioop.ulaw2lin(rtp[12:], 2) if pt == 0 else audioop.alaw2lin(rtp[12:], 2)
        packets.append((ts, sport, dport, audioop.max(pcm, 2)))


threading.Thread(target=sniffer, daemon=True).start()
srv = Server(clock_speed=1, cps=50, extra=["--sip-listen", "127.0.0.1:5090", "--media-priority",
                                           str(args.media_priority), "--log-level", "info"])
procs = [farend("callee", 5070, "pcmu", "clicks.wav", CALLEE_RTP), farend("agent", 5080, "pcma", "silence.wav",
                                                                           AGENT_RTP)]
try:
    time.sleep(1)
    client = srv.client()
    c = client.calls.create(to="sip:callee@127.0.0.1:5070", from_=FROM,
                            twiml="<Response><Dial timeLimit=\"%d\"><Sip>sip:agent@127.0.0.1:5080</Sip></Dial>"
                                  "</Response>" % args.seconds)
    wait_call(client, c.sid, timeout=args.seconds + 30)
finally:
    stop.set()
    srv.stop()
    with open(os.path.join(srv.dir, "serve.log"), errors="replace") as f:
        for line in f:  # the SIP driver's figures at shutdown: mean waits in its two queues
            if "] sip:" in line:
                print(line.split("worst", 1)[-1].strip())
    srv.cleanup()
    for p in procs:
        p.kill()


def onsets(pred):
    out, last = [], -10.0
    for ts, sp, dp, peak in packets:
        if pred(sp, dp) and peak > 10000:
            if ts - last > 1.0:
                out.append(ts)
            last = ts
    return out


sent = onsets(lambda sp, dp: CALLEE_RTP[0] <= sp <= CALLEE_RTP[1])
heard = onsets(lambda sp, dp: AGENT_RTP[0] <= dp <= AGENT_RTP[1])
delays = []
for h in heard:
    before = [s for s in sent if s <= h]
    if before and h - before[-1] < 1.0:
        delays.append(1000 * (h - before[-1]))
print("clicks leaving the callee %d, reaching the agent %d" % (len(sent), len(heard)))
if delays:
    delays.sort()
    print("added by amd serve (ms, wire to wire): min %.1f, median %.1f, max %.1f over %d clicks" %
          (delays[0], delays[len(delays) // 2], delays[-1], len(delays)))
print("load average: %.1f %.1f %.1f" % os.getloadavg())
