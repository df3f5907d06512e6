#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The browser console of `amd serve --console-port`, in a real browser: headless Chromium
(Debian chromium + chromium-driver) driven by python3-selenium.

Signs in (a wrong token is refused first), places calls with the python `twilio` client and
watches them appear and change status without a reload (Server-Sent Events), opens a call:
the decision picture has its marker at the decision time `amd classify` finds on the same
audio, the recording's audio element reports a duration and plays; labels calls (the
greeting end by clicking the picture), exports the labeled calls as a corpus through the API
and `amd bench` scores it at the accuracy the live decisions had; the tuning page shows the
numbers of `amd bench --sweep` on the export; a cross-site POST (and one without the CSRF
token) is refused; keyboard navigation and a phone-width layout work. Screenshots of every
page go to $AMD_BINARY_DIR/test-artifacts/console/.
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import (ACCOUNT, AMD_BIN, DEFAULT_DIALPLAN, FROM, HUMAN, MACHINE_BEEP, TESTDATA, TOKEN,  # noqa: E402
                            Receiver, check, classify, finish, wait_call)

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("SKIP: python3-selenium is not installed (apt-get install python3-selenium)")
    sys.exit(77)

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not (os.access(CHROMEDRIVER, os.X_OK) and os.access(CHROMIUM, os.X_OK)):
    print("SKIP: chromium and chromium-driver are not installed")
    sys.exit(77)

ART = os.path.join(os.environ.get("AMD_BINARY_DIR") or tempfile.gettempdir(), "test-artifacts", "console")
os.makedirs(ART, exist_ok=True)
AUDIO = {r["to"]: os.path.join(TESTDATA, r["audio"]) for r in json.load(open(DEFAULT_DIALPLAN))["routes"] if "audio" in r}


class ConsoleServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="amd-console-test-")
        args = [AMD_BIN, "serve", "--listen", "127.0.0.1:0", "--console-port", "0",
                "--db", os.path.join(self.dir, "calls.db"), "--dialplan", DEFAULT_DIALPLAN,
                "--recordings", os.path.join(self.dir, "rec"), "--clock-speed", "2", "--cps", "50",
                "--account", "%s:%s" % (ACCOUNT, TOKEN), "--webhook-allow", "127.0.0.0/8", "--log-level", "warn"]
        self.log = open(os.path.join(self.dir, "serve.log"), "a")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.base = self.console = None
        while not self.console:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("amd serve did not start (see %s)" % self.log.name)
            m = re.search(r"listening on (http://[0-9.]+:\d+)", line)
            if m:
                self.base = m.group(1)
            m = re.search(r"console at (http://[0-9.]+:\d+)/console/", line)
            if m:
                self.console = m.group(1)
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def client(self):
        from twilio.rest import Client
        c = Client(ACCOUNT, TOKEN)
        c.api.base_url = self.base
        return c

    def api(self, path, data=None, method=None):
        import base64
        req = urllib.request.Request("%s/2010-04-01/Accounts/%s/%s" % (self.base, ACCOUNT, path), data=data,
                                     method=method)
        req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % (ACCOUNT, TOKEN)).encode()).decode())
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def stop(self):
        self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        if not check(rc == 0, "amd serve shut down cleanly (exit %s)" % rc):
            print(open(os.path.join(self.dir, "serve.log")).read()[-4000:])
        shutil.rmtree(self.dir, ignore_errors=True)


def browser():
    opt = webdriver.ChromeOptions()
    opt.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
              "--autoplay-policy=no-user-gesture-required", "--window-size=1280,800"):
        opt.add_argument(a)
    opt.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opt)
    d.set_window_size(1280, 800)
    return d


def shot(d, name):
    path = os.path.join(ART, name + ".png")
    d.execute_script("window.scrollTo(0, 0)")
    d.save_screenshot(path)
    print("  screenshot " + path)


def wait(d, cond, timeout=30, what="condition"):
    try:
        return WebDriverWait(d, timeout, poll_frequency=0.1).until(lambda _: cond())
    except Exception:
        check(False, "timed out waiting for " + what)
        return None


def raw_post(url, body, headers):
    req = urllib.request.Request(url, data=body.encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def place(client, rcv, to):
    return client.calls.create(to=to, from_=FROM, twiml='<Response><Pause length="30"/></Response>',
                               machine_detection="Enable", record=True, recording_channels="dual",
                               status_callback=rcv.url("/status"),
                               status_callback_event=["initiated", "ringing", "answered", "completed"]).sid


def main():
    srv = ConsoleServer()
    rcv = Receiver()
    d = browser()
    client = srv.client()
    try:
        run(d, srv, rcv, client)
    finally:
        # 404s of a call's label / AMD summary (not labeled yet, no AMD) and the refused
        # sign-in and the refused cross-site POST are answers, not errors; anything else (a CSP violation, a script error) is
        logs = [e for e in d.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")
                and not (e.get("source") == "network" and re.search(r"/(Label|AmdSummary)\.json .*40[34]|/console/session .*401",
                                                                     e.get("message", "")))]
        check(not logs, "no errors in the browser console (CSP violations, script errors): %s" % logs[:3])
        d.quit()
        srv.stop()
    finish()


def sign_in(d, srv):
    d.get(srv.console + "/console/")
    wait(d, lambda: d.find_element(By.ID, "page-signin").is_displayed(), what="the sign-in page")
    shot(d, "01-signin")
    d.find_element(By.ID, "signin-sid").send_keys(ACCOUNT)
    d.find_element(By.ID, "signin-token").send_keys("wrong-token")
    d.find_element(By.ID, "signin-submit").click()
    err = wait(d, lambda: d.find_element(By.ID, "signin-error").text, what="the sign-in error")
    check(err and "refused" in err, "a wrong token is refused (%r)" % err)
    check(d.find_element(By.ID, "page-signin").is_displayed(), "still on the sign-in page after a wrong token")
    shot(d, "02-signin-refused")
    t = d.find_element(By.ID, "signin-token")
    t.clear()
    t.send_keys(TOKEN)
    d.find_element(By.ID, "signin-submit").click()
    wait(d, lambda: d.find_element(By.ID, "page-calls").is_displayed(), what="the calls page after sign-in")
    ck = d.get_cookie("amd_console")
    check(ck and ck.get("httpOnly") and ck.get("sameSite") == "Strict" and ck.get("path") == "/console/",
          "session cookie is HttpOnly, SameSite=Strict, Path=/console/ (%s)" % {k: ck.get(k) for k in ("httpOnly", "sameSite", "path")} if ck else "no cookie")
    check(d.execute_script("return document.cookie") == "", "the session cookie is not readable by script")


def watch_call(d, client, rcv, to):
    d.execute_script("window.__noReload = 1")
    sid = place(client, rcv, to)
    seen = []
    end = time.time() + 90
    while time.time() < end:
        # read in one script: the list is re-rendered under our feet
        st = d.execute_script("const r = document.querySelector('tr[data-sid=\"%s\"]'); return r && r.dataset.status" % sid)
        if st:
            if not seen or seen[-1] != st:
                seen.append(st)
            if st == "completed":
                break
        time.sleep(0.05)
    check(bool(seen), "call %s appears in the list without a reload" % sid)
    check(len(seen) >= 2 and seen[-1] == "completed",
          "its status changes live in the list: %s" % " -> ".join(seen))
    check(d.execute_script("return window.__noReload") == 1, "the page was not reloaded")
    c = wait_call(client, sid)
    row = wait(d, lambda: d.execute_script("const r = document.querySelector('tr[data-sid=\"%s\"] td.answered-by');"
                                           " return r && r.textContent" % sid) == c.answered_by, what="answered_by in the row")
    check(bool(row), "the row shows answered_by %s" % c.answered_by)
    return sid, c


def call_page(d, srv, sid, to, greeting_click_frac):
    d.find_element(By.CSS_SELECTOR, 'tr[data-sid="%s"] a.call-link' % sid).click()
    wait(d, lambda: d.find_element(By.ID, "page-call").is_displayed(), what="the call page")
    # the recording's length extends the picture's time axis: let it load first
    # the player is looked up afresh in every script: a live refresh may rebuild the page
    q = "const a = document.querySelector('audio.recording'); "
    dur = wait(d, lambda: d.execute_script(q + "return a && a.duration > 0 && a.duration"), what="the audio duration")
    wait(d, lambda: d.execute_script("const s = document.getElementById('amd-svg');"
                                     " return s && Number(s.dataset.endMs) >= %f" % ((dur or 0) * 1000)),
         what="the picture's axis reaching the end of the recording")
    # the picture read in one script (a redraw between two reads would leave stale elements)
    pic = wait(d, lambda: d.execute_script(
        "const m = document.getElementById('decision-marker'), s = document.getElementById('amd-svg');"
        " if (!m || !s) return null;"
        " return {ms: Number(m.dataset.ms), x1: Number(m.getAttribute('x1')), end: Number(s.dataset.endMs),"
        " segs: s.querySelectorAll('rect.segment').length, states: s.querySelectorAll('rect.state').length,"
        " level: !!document.getElementById('level-line')}"), what="the decision marker") or {}
    want = int(classify(AUDIO[to])["machine_detection_duration_ms"])
    got = int(pic.get("ms", -1))
    end_ms = float(pic.get("end", 1))
    check(abs(got - want) <= 20, "decision marker at %d ms, amd classify on the same audio decides at %d ms" % (got, want))
    x1 = float(pic.get("x1", -1))
    check(abs(x1 - (60 + 930 * got / end_ms)) < 0.5, "the marker is drawn at its time on the axis (x=%.1f)" % x1)
    check(pic.get("segs", 0) >= 1, "speech segments are drawn")
    check(pic.get("states", 0) >= 2, "decision-logic states are drawn")
    check(pic.get("level"), "the level line is drawn")
    tl = d.find_element(By.ID, "call-timeline").text
    check("ringing" in tl and "in-progress" in tl and "completed" in tl, "status timeline from the webhooks: %r" % tl)
    check(len(d.find_elements(By.CSS_SELECTOR, "#events-body tr")) >= 4, "webhook events are listed")
    check(bool(dur) and dur > 0.5, "the recording's audio element reports a duration (%s s)" % dur)
    d.execute_script(q + "a.play()")
    played = wait(d, lambda: d.execute_script(q + "return a.currentTime > 0.2"), what="playback")
    check(bool(played), "the recording plays")
    d.execute_script(q + "a.pause()")
    # one side of the dual recording: the far end alone, through the channel picker
    from selenium.webdriver.support.ui import Select
    Select(d.find_element(By.CSS_SELECTOR, "select[id^=chan-]")).select_by_value("1")
    t0 = d.execute_script(q + "a.play(); return a.currentTime")
    played = wait(d, lambda: d.execute_script(q + "return a.currentTime > %f + 0.2" % t0), what="far-end playback")
    check(bool(played), "the far end alone plays (channel picker)")
    d.execute_script(q + "a.pause()")
    # greeting end by clicking the picture
    svg = d.find_element(By.ID, "amd-svg")
    webdriver.ActionChains(d).move_to_element_with_offset(
        svg, int(svg.rect["width"] * (greeting_click_frac - 0.5)), 0).click().perform()
    ge = d.find_element(By.ID, "label-ge").get_attribute("value")
    check(ge.isdigit() and abs(int(ge) - (greeting_click_frac * 1000 - 60) / 930 * end_ms) < 0.05 * end_ms,
          "clicking the picture sets the greeting end (%s ms)" % ge)
    return int(ge) if ge.isdigit() else None


def label(d, srv, sid, value):
    d.find_element(By.CSS_SELECTOR, '#label-form input[value="%s"]' % value).click()
    d.find_element(By.ID, "label-save").click()
    st = wait(d, lambda: "Saved" in d.find_element(By.ID, "label-status").text and d.find_element(By.ID, "label-status").text,
              what="the label saved")
    check(bool(st), "label %s saved: %r" % (value, st))
    lab = json.loads(srv.api("Calls/%s/Label.json" % sid))
    check(lab["label"] == value, "the API has the label (%s)" % lab["label"])
    return lab


def run(d, srv, rcv, client):
    sign_in(d, srv)
    shot(d, "03-calls-empty")
    sid_h, c_h = watch_call(d, client, rcv, HUMAN)
    shot(d, "04-calls-live")
    ge = call_page(d, srv, sid_h, HUMAN, 0.35)
    lab = label(d, srv, sid_h, "human")
    check(lab["greeting_end_ms"] == ge, "the clicked greeting end is stored (%s)" % lab["greeting_end_ms"])
    shot(d, "05-call-human")
    d.set_window_size(390, 844)
    time.sleep(0.3)
    shot(d, "06-call-phone")
    wide = d.execute_script("return [...document.querySelectorAll('#page-call *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
                            ".slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)")
    check(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
          "the call page fits a phone-width screen (no sideways scrolling; wider: %s)" % wide)
    d.set_window_size(1280, 800)
    d.get(srv.console + "/console/#/calls")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "tr[data-sid]"), what="the list")
    sid_m, c_m = watch_call(d, client, rcv, MACHINE_BEEP)
    call_page(d, srv, sid_m, MACHINE_BEEP, 0.6)
    label(d, srv, sid_m, "machine_beep")
    shot(d, "07-call-machine")

    keyboard(d, srv, sid_h)
    cross_site(d, srv, rcv, sid_h, ge)
    export_and_bench(d, srv, [c_h, c_m], {sid_h: "human", sid_m: "machine_start"})


def keyboard(d, srv, sid):
    d.get(srv.console + "/console/#/calls")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, 'tr[data-sid="%s"]' % sid), what="the list")
    d.find_element(By.TAG_NAME, "body").click()
    reached = False
    for _ in range(40):
        d.switch_to.active_element.send_keys(Keys.TAB)
        a = d.switch_to.active_element
        if a.get_attribute("class") == "call-link" and a.text == sid:
            reached = True
            break
    check(reached, "the call link is reachable with the Tab key")
    if reached:
        d.switch_to.active_element.send_keys(Keys.ENTER)
        ok = wait(d, lambda: d.find_element(By.ID, "page-call").is_displayed(), what="the call page by keyboard")
        check(bool(ok), "Enter on the link opens the call")
    d.get(srv.console + "/console/#/calls")
    wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "tr[data-sid]"), what="the list")
    unlabeled = d.execute_script("return [...document.querySelectorAll('input, select, button')]"
                                 ".filter(e => e.offsetParent !== null && !(e.labels && e.labels.length) && !e.textContent.trim())"
                                 ".map(e => e.id || e.name)")
    check(not unlabeled, "every control on the calls page has a label (%s)" % unlabeled)
    d.set_window_size(390, 844)
    time.sleep(0.3)
    shot(d, "08-calls-phone")
    check(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
          "the calls page fits a phone-width screen (the table scrolls inside its box)")
    d.set_window_size(1280, 800)


def cross_site(d, srv, rcv, sid, ge):
    cookie = d.get_cookie("amd_console")["value"]
    csrf = d.execute_script("return fetch('/console/session').then(r => r.json()).then(j => j.csrf_token)")
    url = srv.console + "/console/api/Calls/%s/Label.json" % sid
    base = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "amd_console=" + cookie}
    host_origin = srv.console
    check(raw_post(url, "Label=fax", dict(base, Origin="http://evil.example", **{"X-CSRF-Token": csrf})) == 403,
          "a POST from another origin is refused (403) even with the token")
    check(raw_post(url, "Label=fax", dict(base, Origin=host_origin)) == 403, "a POST without the CSRF token is refused (403)")
    check(raw_post(url, "Label=fax", dict(base, Origin=host_origin, **{"X-CSRF-Token": "0" * 64})) == 403,
          "a POST with a wrong CSRF token is refused (403)")
    check(raw_post(url, "Label=fax", dict(base, **{"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": csrf})) == 403,
          "a POST the browser marks cross-site is refused (403)")
    # a real cross-site form post from another origin, in the same browser
    rcv.twiml["/evil"] = (200, "text/html", '<!DOCTYPE html><form id="f" method="POST" action="%s">'
                          '<input name="Label" value="fax"></form><script>document.getElementById("f").submit()</script>' % url, 0)
    d.get(rcv.url("/evil"))
    time.sleep(1.5)
    shot(d, "09-cross-site-post")
    lab = json.loads(srv.api("Calls/%s/Label.json" % sid))
    check(lab["label"] == "human", "the cross-site form POST changed nothing (label %s)" % lab["label"])
    check(raw_post(url, "Label=human&GreetingEndMs=%s" % (ge if ge is not None else ""),
                   dict(base, Origin=host_origin, **{"X-CSRF-Token": csrf})) == 200,
          "the same POST from our origin with the token is accepted")


def export_and_bench(d, srv, calls, live):
    tar = srv.api("AmdCorpus.tar")
    work = tempfile.mkdtemp(prefix="amd-console-export-")
    try:
        with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
            names = tf.getnames()
            tf.extractall(work)
        check("corpus/manifest.csv" in names and sum(n.startswith("corpus/audio/") for n in names) == 2,
              "the export holds the manifest and both calls' audio (%s)" % names)
        man = os.path.join(work, "corpus", "manifest.csv")
        rows = list(csv.DictReader(open(man)))
        check(sorted(r["answered_by_enable"] for r in rows) == ["human", "machine_start"], "manifest truth columns")
        # the same archive through the console (session), byte for byte apart from tar mtimes
        n = d.execute_script("return fetch('/console/api/AmdCorpus.tar').then(r => r.arrayBuffer()).then(b => b.byteLength)")
        check(n == len(tar), "the console's export is the API's (%s bytes)" % n)
        out = subprocess.run([AMD_BIN, "bench", man, "--format", "json", "--no-vad"], capture_output=True, text=True)
        check(out.returncode == 0, "amd bench runs on the export (%s)" % out.stderr[-300:])
        b = json.loads(out.stdout)
        want = sum(1 for c in calls if c.answered_by == live[c.sid]) / len(calls)
        got = b["enable"]["accuracy"]["rate"]
        check(abs(got - want) < 1e-9 and b["files"] == 2,
              "amd bench on the export: Enable accuracy %.3f = the live decisions' %.3f" % (got, want))
        tune(d, srv, man, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def tune(d, srv, man, work):
    d.get(srv.console + "/console/#/labels")
    wait(d, lambda: len(d.find_elements(By.CSS_SELECTOR, "#labels-body tr")) == 2, what="the labels list")
    for k, v in (("t-from", "1600"), ("t-to", "3200"), ("t-step", "800")):
        e = d.find_element(By.ID, k)
        e.clear()
        e.send_keys(v)
    d.find_element(By.ID, "tune-run").click()
    rows = wait(d, lambda: d.find_elements(By.CSS_SELECTOR, "#tune-body tr") if len(d.find_elements(By.CSS_SELECTOR, "#tune-body tr")) == 3 else None,
                timeout=120, what="the sweep table")
    shot(d, "10-labels-tuning")
    out = subprocess.run([AMD_BIN, "bench", man, "--format", "json", "--no-vad", "--sweep", "speech-threshold=1600:3200:800",
                          "--svg", os.path.join(work, "s.svg")], capture_output=True, text=True)
    sw = json.loads(out.stdout)
    pts = d.find_elements(By.CSS_SELECTOR, "#tune-svg circle.pt-accuracy")
    shown = [(float(p.get_attribute("data-value")), float(p.get_attribute("data-rate"))) for p in pts]
    want = [(float(p["value"]), float(p["enable"]["accuracy"]["rate"])) for p in sw["points"]]
    check(rows and shown == want, "the trade-off plot shows amd bench --sweep's numbers: %s vs %s" % (shown, want))
    hm = [float(p.get_attribute("data-rate")) for p in d.find_elements(By.CSS_SELECTOR, "#tune-svg circle.pt-human_as_machine")]
    check(hm == [float(p["enable"]["human_as_machine"]["rate"]) for p in sw["points"]], "humans-called-machines curve matches")
    check("Enable accuracy" in d.find_element(By.ID, "tune-current-text").text, "the current parameters' result is shown")


if __name__ == "__main__":
    main()
