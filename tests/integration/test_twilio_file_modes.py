# SPDX-License-Identifier: MIT
"""Files of `amd serve` are private whatever the umask (they hold auth tokens and call audio).

With umask 000: the database, its -wal and -shm and the .lock file are 0600, the recordings
folder 0700 and each recording 0600. A database and recordings folder left world-readable by
an older version are narrowed at the next start.
"""
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twilio_harness import FROM, HUMAN_STAYS, Server, check, finish, wait_call  # noqa: E402


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


old = os.umask(0)  # inherited by amd serve
try:
    srv = Server(clock_speed=5)
    try:
        client = srv.client()
        c = client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml="<Response><Pause length=\"60\"/></Response>",
                                time_limit=2, record=True)
        wait_call(client, c.sid, timeout=30)
        recdir = srv.db + "-recordings"
        recs = client.calls(c.sid).recordings.list()
        for suffix in ("", "-wal", "-shm", ".lock"):
            p = srv.db + suffix
            check(os.path.exists(p) and mode(p) == 0o600,
                  "umask 000: database%s is 0600 (%s)" % (suffix, oct(mode(p)) if os.path.exists(p) else "missing"))
        check(mode(recdir) == 0o700, "umask 000: recordings folder is 0700 (%s)" % oct(mode(recdir)))
        wav = os.path.join(recdir, recs[0].sid + ".wav") if recs else ""
        check(recs and os.path.exists(wav) and mode(wav) == 0o600,
              "umask 000: recording is 0600 (%s)" % (oct(mode(wav)) if wav and os.path.exists(wav) else "missing"))
        # an older version's world-readable files are narrowed at the next start
        srv.stop()
        os.chmod(srv.db, 0o644)
        os.chmod(recdir, 0o755)
        srv.start()
        client = srv.client()
        c2 = client.calls.create(to=HUMAN_STAYS, from_=FROM, twiml="<Response><Pause length=\"60\"/></Response>",
                                 time_limit=1, record=True)
        wait_call(client, c2.sid, timeout=30)
        check(mode(srv.db) == 0o600, "an existing 0644 database is narrowed to 0600 (%s)" % oct(mode(srv.db)))
        check(mode(recdir) == 0o700, "an existing 0755 recordings folder is narrowed to 0700 (%s)" % oct(mode(recdir)))
        loose = [f for f in os.listdir(recdir) if mode(os.path.join(recdir, f)) != 0o600]
        check(not loose, "every recording is 0600 (%s)" % loose)
    finally:
        srv.cleanup()
finally:
    os.umask(old)
finish()
