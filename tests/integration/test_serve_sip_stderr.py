# SPDX-License-Identifier: MIT
"""The SIP stack's own diagnostics (a request or response no listener took, e.g. an OPTIONS
probe from a scanner) go through amd serve's logger: nothing on stderr at the default level,
debug lines made printable and rate-limited at --log-level debug, a stray response as well as
stray requests. Stray requests are still answered as RFC 3261 says (501 Not Implemented)."""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

AMD_BIN = os.environ.get("AMD_BIN")
if not AMD_BIN or not os.access(AMD_BIN, os.X_OK):
    print("SKIP: AMD_BIN is not set to the built amd program")
    sys.exit(77)
FAILURES = []


def check(cond, what):
    print(("  ok   " if cond else "  FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run(level, n_requests):
    d = tempfile.mkdtemp(prefix="amd-sip-stderr-")
    sip_port = free_udp_port()
    errf = open(os.path.join(d, "err"), "w+")
    args = [AMD_BIN, "serve", "--listen", "127.0.0.1:0", "--db", os.path.join(d, "x.db"), "--sip-listen",
            "127.0.0.1:%d" % sip_port]
    if level:
        args += ["--log-level", level]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errf, text=True)
    line = p.stdout.readline()
    if "listening" not in line:
        p.kill()
        errf.seek(0)
        print("SKIP: amd serve --sip-listen did not start: %s %s" % (line, errf.read()[-500:]))
        sys.exit(77)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.settimeout(2)
    me = u.getsockname()[1]
    # Two responses to requests never sent. A 2xx to INVITE is taken by libre's session socket
    # (response_handler in src/sipsess/listen.c returns true for every 2xx to INVITE, to re-send
    # the ACK, RFC 3261 section 13.2.2.4), so it never reaches the stray listener; any other
    # response that matches no client transaction (src/sip/ctrans.c response_handler returns
    # false) does, e.g. a 200 to an OPTIONS, here with terminal escapes in its reason phrase.
    for method, reason in (("INVITE", "OK"), ("OPTIONS", "OK\x1b[31m\x01")):
        stray = ("SIP/2.0 200 %s\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-nothing-%s\r\n"
                 "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>;tag=2\r\n"
                 "Call-ID: nothing-%s\r\nCSeq: 1 %s\r\nContent-Length: 0\r\n\r\n"
                 % (reason, me, method, method, method))
        u.sendto(stray.encode("latin-1"), ("127.0.0.1", sip_port))
    replies = []
    for i in range(n_requests):
        msg = ("OPTIONS sip:probe\x01\x1b[31m@127.0.0.1 SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-%d\r\n"
               "From: <sip:scan@127.0.0.1>;tag=%d\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: stray-%d\r\n"
               "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % (me, i, i, i))
        u.sendto(msg.encode("latin-1"), ("127.0.0.1", sip_port))
        try:
            replies.append(u.recv(4096).decode("latin-1", "replace"))
        except socket.timeout:
            pass
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    errf.seek(0)
    err = errf.read()
    errf.close()
    subprocess.run(["rm", "-rf", d])
    if os.environ.get("SHOW_ERR"):
        print(err)
    return p.returncode, replies, err


print("default log level")
rc, replies, err = run(None, 3)
check(rc == 0, "amd serve exits cleanly")
check(len(replies) == 3 and all(r.startswith("SIP/2.0 501") for r in replies),
      "stray OPTIONS answered 501 Not Implemented (%d replies)" % len(replies))
check("unhandeled" not in err and "unhandled" not in err and "\x1b" not in err,
      "stderr carries none of the SIP stack's diagnostics")

print("--log-level debug, 60 stray requests")
rc, replies, err = run("debug", 60)
lines = [ln for ln in err.splitlines() if "unhandled request" in ln]
check(rc == 0, "amd serve exits cleanly")
check(0 < len(lines) <= 20, "stray requests logged through the logger, rate-limited (%d lines)" % len(lines))
check(all(re.match(r"^\d\d:\d\d:\d\d\.\d{3} amd serve \[debug\] sip: ", ln) for ln in lines),
      "in the logger's format at debug level")
check("\x1b" not in err and "\x01" not in err, "network bytes made printable")
check("unhandeled" not in err, "libre's own stderr line never appears")
resp = [ln for ln in err.splitlines() if "unhandled response" in ln]
check(len(resp) == 1 and "(OPTIONS)" in resp[0] and re.match(r"^\d\d:\d\d:\d\d\.\d{3} amd serve \[debug\] sip: ", resp[0]),
      "the stray response (200 to OPTIONS) logged once through the logger: %r" % resp)

if FAILURES:
    print("%d check(s) failed" % len(FAILURES))
    sys.exit(1)
print("all checks passed")
