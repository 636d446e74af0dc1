"""A throwaway PostgreSQL server for the tests: the distribution's own
server binaries, a fresh cluster in a temporary directory, reachable only
through a Unix socket there (no TCP port), run as the postgres user (the
server refuses root), removed afterwards."""
import glob
import os
import shutil
import subprocess
import tempfile
import time

from harness import check


def bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    check(found, "PostgreSQL server binaries not found (make deps installs the postgresql package)")
    return os.path.dirname(found[-1])


class Postgres:
    def __init__(self):
        self.bin = bindir()
        self.dir = tempfile.mkdtemp(prefix="sealtap-pg-")
        os.chmod(self.dir, 0o755)
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = 5432
        self.proc = None

    def _as_postgres(self, *args, **kw):
        return subprocess.run(["runuser", "-u", "postgres", "--"] + list(args), capture_output=True, timeout=120,
                              cwd=self.dir, **kw)

    def start(self):
        p = self._as_postgres(os.path.join(self.bin, "initdb"), "-D", self.data, "-A", "trust", "-U", "sealtap",
                              "--no-sync", "-E", "UTF8")
        check(p.returncode == 0, "initdb: %s" % p.stderr.decode()[-2000:])
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(["runuser", "-u", "postgres", "--", os.path.join(self.bin, "postgres"),
                                      "-D", self.data, "-k", self.dir, "-c", "listen_addresses=", "-p",
                                      str(self.port), "-c", "fsync=off"],
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            p = subprocess.run([os.path.join(self.bin, "pg_isready"), "-h", self.dir, "-p", str(self.port)],
                               capture_output=True)
            if p.returncode == 0:
                return self
            check(self.proc.poll() is None, "postgres exited: %s" % self.server_log())
            time.sleep(0.1)
        check(False, "postgres did not become ready: %s" % self.server_log())

    def server_log(self):
        try:
            return open(os.path.join(self.dir, "server.log"), errors="replace").read()[-3000:]
        except OSError:
            return ""

    def uri(self, db="postgres"):
        return "postgresql:///%s?host=%s&port=%d&user=sealtap" % (db, self.dir, self.port)

    def sql(self, statement, db="postgres"):
        """Runs SQL with psql; returns its rows as tuples of text."""
        p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                            "-p", str(self.port), "-U", "sealtap", "-d", db, "-c", statement],
                           capture_output=True, timeout=60)
        check(p.returncode == 0, "psql %r: %s" % (statement, p.stderr.decode()))
        return [tuple(line.split("\t")) for line in p.stdout.decode().splitlines() if line]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
