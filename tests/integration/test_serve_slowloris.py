# SPDX-License-Identifier: MIT
"""Slowloris: 1,000 sockets from 127.0.0.2, each trickling one header line a second, must not
keep 127.0.0.1 out. The server holds at most --max-connections-per-ip of them at once (the rest
are closed on accept) and closes those it holds once a request has taken longer than
--request-timeout, however slowly bytes keep coming. Meanwhile every request from 127.0.0.1 is
answered; the answer times are printed (bench/RESULTS.md), not asserted."""
import base64
import os
import resource
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import ACCOUNT, TOKEN, Server, check, finish  # noqa: E402

N_SLOW = 1000
PER_IP = 64
TIMEOUT_S = 3  # --request-timeout for this run (default 10 s), to keep the test short

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = min(hard, 4096)
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
if want < N_SLOW + 64:
    print("SKIP: this process may open only %d files" % want)
    sys.exit(77)

srv = Server(clock_speed=10, extra=["--max-connections-per-ip", str(PER_IP), "--request-timeout", str(TIMEOUT_S)])
host, port = srv.base[len("http://"):].split(":")
port = int(port)
AUTH = "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode()
URL = srv.base + "/2010-04-01/Accounts/%s/Calls.json?PageSize=1" % ACCOUNT


def good_request():
    """One list request from 127.0.0.1 on a new connection: (ok, seconds)."""
    t0 = time.time()
    try:
        r = urllib.request.urlopen(urllib.request.Request(URL, headers={"Authorization": AUTH}), timeout=10)
        return r.status == 200, time.time() - t0
    except Exception as e:  # noqa: BLE001
        print("  request failed: %s" % e)
        return False, time.time() - t0


def is_open(s):
    try:
        d = s.recv(1, socket.MSG_DONTWAIT)
        return d != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


try:
    base_ok, base_t = good_request()
    check(base_ok, "unloaded request answered (%.1f ms)" % (base_t * 1000))

    slow = []
    t_start = time.time()
    for i in range(N_SLOW):
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        slow.append(s)
    time.sleep(0.5)
    for s in slow:
        try:
            s.send(b"GET /2010-04-01/Accounts/%s/Calls.json HTTP/1.1\r\nHost: x\r\n" % ACCOUNT.encode())
        except OSError:
            pass
    print("%d slow sockets from 127.0.0.2 in %.1f s" % (N_SLOW, time.time() - t_start))

    lat = []
    fails = 0
    held_max = 0
    end = time.time() + TIMEOUT_S + 3
    k = 0
    while time.time() < end:
        ok, t = good_request()
        lat.append(t)
        fails += not ok
        k += 1
        for s in slow:  # one more header line on every socket, once a second
            if k % 10 == 0:
                try:
                    s.send(b"X-Slow-%d: x\r\n" % k)
                except OSError:
                    pass
        held_max = max(held_max, sum(1 for s in slow if is_open(s)))
        time.sleep(0.1)
    still = sum(1 for s in slow if is_open(s))
    lat.sort()
    print("127.0.0.1 during the attack: %d requests, %d failed; answer time median %.1f ms, p99 %.1f ms, "
          "max %.1f ms (unloaded %.1f ms)" % (len(lat), fails, lat[len(lat) // 2] * 1000,
                                               lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, lat[-1] * 1000,
                                               base_t * 1000))
    print("127.0.0.2 connections held by the server: at most %d, after %d s: %d" % (held_max, TIMEOUT_S + 3, still))
    check(fails == 0 and len(lat) >= 10, "every request from 127.0.0.1 was answered during the attack")
    check(held_max <= PER_IP, "the slow address held at most %d connections (%d)" % (PER_IP, held_max))
    check(still == 0, "slow connections closed by the whole-request deadline although bytes kept coming (%d)" % still)
    for s in slow:
        s.close()
finally:
    srv.cleanup()
finish()
