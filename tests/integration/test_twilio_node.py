# SPDX-License-Identifier: MIT
"""The npm `twilio` client (6.x, Node >= 20) against `amd serve`: create with async AMD,
fetch, auto-paging list, a filter, error codes, remove (-> true), and twilio-node's own
validateRequest accepting the server's X-Twilio-Signature. The only change to the client is a
RequestClient that rewrites api.twilio.com to the server.
npm installs `twilio` into the build folder on first use; without node/npm -> skip (77)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (ACCOUNT, BUSY, FROM, HUMAN, TOKEN, Receiver, Server, check, finish)  # noqa: E402

node = shutil.which("node")
npm = shutil.which("npm")
if not node or not npm:
    print("SKIP: node / npm not installed")
    sys.exit(77)
if subprocess.run([node, "-e", "process.exit(parseInt(process.versions.node) >= 20 ? 0 : 1)"]).returncode:
    print("SKIP: twilio 6.x needs Node >= 20")
    sys.exit(77)
prefix = os.path.join(os.environ.get("AMD_BINARY_DIR", tempfile.gettempdir()), "npm-twilio")
module = os.path.join(prefix, "node_modules", "twilio")
if not os.path.isdir(module):
    os.makedirs(prefix, exist_ok=True)
    r = subprocess.run([npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", "twilio@6"],
                       capture_output=True, text=True, timeout=600)
    if r.returncode or not os.path.isdir(module):
        print("SKIP: npm install twilio failed:", r.stderr[-500:])
        sys.exit(77)

SCRIPT = r"""
const twilio = require(process.env.TWILIO_MODULE);
const base = process.env.AMD_BASE;
class LocalClient extends twilio.RequestClient {
  request(opts) { const u = new URL(opts.uri); opts.uri = base + u.pathname + u.search; return super.request(opts); }
}
const client = twilio(process.env.SID, process.env.TOKEN, { httpClient: new LocalClient() });
const E = JSON.parse(process.env.ARGS);
const sleep = (ms) => new Promise(r => setTimeout(r, ms));
(async () => {
  const out = {};
  const c = await client.calls.create({ to: E.human, from: E.from, url: E.twiml, machineDetection: "Enable",
    asyncAmd: "true", asyncAmdStatusCallback: E.amd, statusCallback: E.status,
    statusCallbackEvent: ["initiated", "ringing", "answered", "completed"] });
  out.created = { sid: c.sid, status: c.status };
  for (let i = 0; i < 25; i++) await client.calls.create({ to: E.busy, from: E.from, twiml: "<Response/>" });
  let f;
  for (let i = 0; i < 600; i++) { f = await client.calls(c.sid).fetch(); if (f.status === "completed") break; await sleep(100); }
  out.fetched = { status: f.status, answeredBy: f.answeredBy, duration: f.duration, hasStart: f.startTime instanceof Date };
  await sleep(500);
  const all = await client.calls.list({ pageSize: 10 });
  out.listed = all.map(x => x.sid);
  const busy = await client.calls.list({ status: "busy", pageSize: 7 });
  out.busy = busy.length;
  try { await client.calls("CA" + "0".repeat(32)).fetch(); } catch (e) { out.err404 = { status: e.status, code: e.code }; }
  try { await client.calls.create({ to: E.busy, from: E.from, url: E.twiml, machineDetectionTimeout: 99 }); }
  catch (e) { out.err21263 = { status: e.status, code: e.code }; }
  out.removed = await client.calls(busy[0].sid).remove();
  try { await client.calls(busy[0].sid).fetch(); } catch (e) { out.afterRemove = e.status; }
  const bad = twilio(process.env.SID, "wrong", { httpClient: new LocalClient() });
  try { await bad.calls(c.sid).fetch(); } catch (e) { out.err401 = { status: e.status, code: e.code }; }
  console.log(JSON.stringify(out));
})().catch(e => { console.log(JSON.stringify({ fatal: String(e && e.stack || e) })); process.exit(1); });
"""

VALIDATE = r"""
const twilio = require(process.env.TWILIO_MODULE);
const d = JSON.parse(process.env.ARGS);
console.log(JSON.stringify(d.map(x => twilio.validateRequest(process.env.TOKEN, x.sig, x.url, x.params))));
"""

recv = Receiver()
recv.set("/twiml", "<Response><Pause length=\"2\"/></Response>")
recv.set("/status", "", status=204, ctype="text/plain")
srv = Server(clock_speed=10)
try:
    env = dict(os.environ, TWILIO_MODULE=module, AMD_BASE=srv.base, SID=ACCOUNT, TOKEN=TOKEN,
               ARGS=json.dumps({"human": HUMAN, "busy": BUSY, "from": FROM, "twiml": recv.url("/twiml"),
                                "amd": recv.url("/amd"), "status": recv.url("/status")}))
    r = subprocess.run([node, "-e", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    try:
        out = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        out = {"fatal": r.stdout[-800:] + r.stderr[-800:]}
    if not check("fatal" not in out, "node script ran: %s" % out.get("fatal", "")[:800]):
        finish()
    check(out["created"]["status"] == "queued" and out["created"]["sid"].startswith("CA"), "calls.create -> queued")
    check(out["fetched"]["status"] == "completed" and out["fetched"]["answeredBy"] == "human" and
          out["fetched"]["hasStart"], "fetch: completed, answeredBy human, startTime parsed as a Date")
    check(len(out["listed"]) == 26 and len(set(out["listed"])) == 26, "list(pageSize=10) pages through all 26 calls")
    check(out["busy"] == 25, "list(status=busy)")
    check(out.get("err404") == {"status": 404, "code": 20404}, "fetch unknown -> RestException 404 / 20404")
    check(out.get("err21263") == {"status": 400, "code": 21263}, "MachineDetectionTimeout=99 -> 400 / 21263")
    check(out.get("removed") is True and out.get("afterRemove") == 404, "remove() -> true, then 404")
    check(out.get("err401") == {"status": 401, "code": 20003}, "wrong token -> 401 / 20003")
    hooks = recv.matching(lambda q: q["path"] in ("/amd", "/status", "/twiml"))
    sample = [{"sig": h["headers"].get("X-Twilio-Signature", ""), "url": recv.base + h["raw_path"],
               "params": h["params"] if h["method"] == "POST" else {}} for h in hooks]
    env["ARGS"] = json.dumps(sample)
    v = subprocess.run([node, "-e", VALIDATE], env=env, capture_output=True, text=True, timeout=60)
    res = json.loads(v.stdout or "[]")
    check(len(res) >= 6 and all(res), "twilio-node validateRequest accepts all %d webhooks" % len(res))
finally:
    srv.cleanup()
finish()
