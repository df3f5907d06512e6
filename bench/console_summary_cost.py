#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What the console's per-call AMD frame summary costs: places one call with AMD per answering
route of a dial plan (both MachineDetection modes) on `amd serve`, then reads the stored
summaries' sizes from the database (amd_summary table) and the JSON the console fetches.

  /usr/bin/python3 bench/console_summary_cost.py build/cli/amd testdata/dialplan.json
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import base64

AC = "AC" + "0123456789abcdef" * 2
TOK = "bench-token"


def main():
    amd, plan = sys.argv[1], sys.argv[2]
    d = tempfile.mkdtemp(prefix="amd-summary-cost-")
    db = os.path.join(d, "calls.db")
    p = subprocess.Popen([amd, "serve", "--listen", "127.0.0.1:0", "--db", db, "--dialplan", plan, "--clock-speed", "20",
                          "--cps", "100", "--account", "%s:%s" % (AC, TOK), "--log-level", "error"],
                         stdout=subprocess.PIPE, text=True)
    base = re.search(r"(http://[0-9.:]+)", p.stdout.readline()).group(1)
    auth = "Basic " + base64.b64encode(("%s:%s" % (AC, TOK)).encode()).decode()

    def req(path, data=None):
        r = urllib.request.Request("%s/2010-04-01/Accounts/%s/%s" % (base, AC, path), data=data,
                                   headers={"Authorization": auth})
        return urllib.request.urlopen(r).read()

    routes = [r for r in json.load(open(plan))["routes"] if r.get("outcome") == "answer" and r.get("audio")]
    sids = []
    for r in routes:
        for mode in ("Enable", "DetectMessageEnd"):
            body = "To=%s&From=%%2B15005550006&Twiml=%%3CResponse%%3E%%3CHangup%%2F%%3E%%3C%%2FResponse%%3E&MachineDetection=%s" % (
                urllib.request.quote(r["to"]), mode)
            sids.append(json.loads(req("Calls.json", body.encode()))["sid"])
    end = time.time() + 120
    while time.time() < end:
        st = [json.loads(req("Calls/%s.json" % s))["status"] for s in sids]
        if all(x in ("completed", "failed", "busy", "no-answer", "canceled") for x in st):
            break
        time.sleep(0.5)
    js = [len(req("Calls/%s/AmdSummary.json" % s)) for s in sids]
    p.terminate()
    p.wait()
    con = sqlite3.connect(db)
    sizes = sorted(n for (n,) in con.execute("SELECT length(data) FROM amd_summary"))
    dec = sorted(n for (n,) in con.execute("SELECT amd_duration FROM calls WHERE amd_duration IS NOT NULL"))
    print("calls with AMD: %d, summaries stored: %d" % (len(sids), len(sizes)))
    print("stored summary bytes: mean %.0f, median %d, max %d (decision ms: median %d, max %d)" % (
        sum(sizes) / len(sizes), sizes[len(sizes) // 2], sizes[-1], dec[len(dec) // 2], dec[-1]))
    print("JSON the console fetches: mean %.0f bytes, max %d" % (sum(js) / len(js), max(js)))
    print("upper bound: 40 + 3 x 6000 frames + state changes = %d bytes + 5..36 per state change" % (40 + 3 * 6000))


if __name__ == "__main__":
    main()
