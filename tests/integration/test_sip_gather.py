# SPDX-License-Identifier: MIT
"""<Gather> over real SIP/RTP, inside a private network namespace (loopback only): a SIPp far
end that answers with telephone-event in its SDP presses "7" as RFC 4733 events (SIPp's
dtmf_2833_7.pcap); `amd serve --sip-listen` must hand Digits=7 to the <Gather> action.
Exit 77 (skip) only when network namespaces are not permitted."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

if os.environ.get("AMD_SIP_NETNS") != "1":
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        print("SKIP: network namespaces are not permitted here (unshare -n: %s)" % probe.stderr.decode().strip())
        sys.exit(77)
    env = dict(os.environ, AMD_SIP_NETNS="1")
    os.execvpe("unshare", ["unshare", "-n", "bash", "-c",
                           "ip link set lo up && exec /usr/bin/python3 \"$0\"", os.path.abspath(__file__)], env)

PCAP = "/usr/share/sip-tester/dtmf_2833_7.pcap"
if not shutil.which("sipp") or not os.path.exists(PCAP):
    print("FAIL: SIPp and its %s are needed (make setup installs sip-tester)" % PCAP)
    sys.exit(1)

sys.path.insert(0, HERE)
from twilio_harness import FROM, Receiver, Server, check, finish, wait_call  # noqa: E402

WORK = tempfile.mkdtemp(prefix="amd-sip-gather-")
with open(os.path.join(HERE, "sip", "uas_dtmf.xml")) as f:
    xml = f.read().replace("@PCAP@", PCAP)
with open(os.path.join(WORK, "uas_dtmf.xml"), "w") as f:
    f.write(xml)
sipp = subprocess.Popen(["timeout", "60", "sipp", "-sf", os.path.join(WORK, "uas_dtmf.xml"), "-i", "127.0.0.1",
                         "-p", "5078", "-mi", "127.0.0.1", "-mp", "6300", "-nostdin", "-trace_err"],
                        stdout=open(os.path.join(WORK, "sipp.log"), "w"), stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL, cwd=WORK)


def wait_udp(port, timeout=5):
    end = time.time() + timeout
    while time.time() < end:
        with open("/proc/net/udp") as f:
            if any(line.split()[1].endswith(":%04X" % port) for line in f.readlines()[1:]):
                return True
        time.sleep(0.01)
    return False


rx = Receiver()
rx.set("/keys", "<Response><Hangup/></Response>")
srv = Server(clock_speed=1, extra=["--sip-listen", "127.0.0.1:5092"])
client = srv.client()
try:
    check(wait_udp(5078), "SIPp far end listening on :5078")
    twiml = ('<Response><Gather numDigits="1" timeout="8" action="%s"><Pause length="5"/></Gather>'
             '<Say>no key</Say></Response>' % rx.url("/keys"))
    c = client.calls.create(to="sip:keys@127.0.0.1:5078", from_=FROM, twiml=twiml, time_limit=20)
    got = rx.wait_for(lambda r: r["path"] == "/keys" and r["params"].get("CallSid") == c.sid, timeout=20)
    check(len(got) == 1 and got[0]["params"].get("Digits") == "7",
          "the RFC 4733 key 7 reaches <Gather> (%s)" % [r["params"].get("Digits") for r in got])
    fin = wait_call(client, c.sid, timeout=20)
    check(fin.status == "completed", "call completed after the action's <Hangup> (%s)" % fin.status)
finally:
    srv.cleanup()
    sipp.terminate()
    sipp.wait()
    shutil.rmtree(WORK, ignore_errors=True)
finish()
