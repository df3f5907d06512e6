# SPDX-License-Identifier: MIT
"""A throwaway PostgreSQL cluster for the tests of several `amd serve` processes.

initdb refuses to run as root, and CI runs as root: the cluster is then created and run as the
unprivileged user `nobody` (runuser -u nobody), in a temporary folder handed to that user, with
trust authentication on a Unix socket in that folder only (listen_addresses='' : no TCP at all,
and the folder is 0700). Without root it runs as the current user. It is stopped (immediate
shutdown) and removed at exit. Exit code 77 (ctest skip) when the PostgreSQL server binaries are
missing: `make test` installs them (postgresql in the Makefile's APT_PACKAGES).
"""
import atexit
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile


def _bindir():
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(d, "initdb"), os.X_OK) and os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            return d
    return None


class Postgres:
    def __init__(self, fsync=False):
        self.bin = _bindir()
        if not self.bin:
            print("SKIP: PostgreSQL server binaries not found (apt-get install postgresql)")
            sys.exit(77)
        self.dir = tempfile.mkdtemp(prefix="amd-pg-")
        self.as_user = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self.as_user = ["runuser", "-u", "nobody", "--"]
        os.chmod(self.dir, 0o700)
        self.data = os.path.join(self.dir, "data")
        self._run(["initdb", "-D", self.data, "-A", "trust", "-U", "amd", "-E", "UTF8", "--no-sync"])
        opts = "-k %s -c listen_addresses='' -c max_connections=200 -c fsync=%s" % (self.dir, "on" if fsync else "off")
        self._run(["pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "postgres.log"), "-o", opts, "-w", "start"])
        atexit.register(self.stop)
        # a SIGTERM (a test runner giving up) also stops the cluster: exit through atexit
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self.uri = "postgresql://amd@/postgres?host=%s" % self.dir

    def _run(self, argv):
        argv = self.as_user + [os.path.join(self.bin, argv[0])] + argv[1:]
        r = subprocess.run(argv, capture_output=True, text=True, cwd="/")
        if r.returncode:
            raise RuntimeError("%s failed: %s %s" % (argv, r.stdout, r.stderr))
        return r.stdout

    def psql(self, sql):
        """Run SQL as the cluster's superuser; rows as lists of strings."""
        r = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-A", "-t", "-F", "\t", "-h", self.dir, "-U", "amd",
                            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True, check=True)
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def stop(self):
        if self.data and os.path.isdir(self.data):
            subprocess.run(self.as_user + [os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "stop"],
                           capture_output=True, cwd="/")
            shutil.rmtree(self.dir, ignore_errors=True)
            self.data = None
