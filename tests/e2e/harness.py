"""End-to-end harness: runs the real agent against real processes doing real TLS.

Every helper bounds its waits by time and by what it waits for (a line the
agent prints, a byte count), never by sleeping and hoping.
"""
import base64
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SEALTAP_BUILD", os.path.join(ROOT, "build"))
AGENT = os.path.join(BUILD, "sealtap-agent")
PYTHON = "/usr/bin/python3"
PEERS = os.path.join(ROOT, "tests", "e2e", "peers")


class TestFailure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


_certs = None


def certs():
    """A self-signed certificate for localhost, made once per run."""
    global _certs
    if _certs is None:
        d = tempfile.mkdtemp(prefix="sealtap-certs-")
        key, crt = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
             "-out", crt, "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _certs = (crt, key)
    return _certs


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# Set by conftest.py for each test: whether it is marked bpf (None outside
# pytest: the soak and the benchmarks start agents too). AGENTS_STARTED
# counts agents started, so conftest can tell a marker that lies.
BPF_ALLOWED = None
AGENTS_STARTED = 0


def agent_started():
    """For a test that starts the agent some other way (a script that runs
    it): counted like Agent and run_agent."""
    _count_agent()


def _count_agent():
    global AGENTS_STARTED
    if BPF_ALLOWED is False:
        raise TestFailure("this test starts the agent (BPF probes) but is not marked @pytest.mark.bpf")
    AGENTS_STARTED += 1


def run_agent(*args, timeout=20):
    """The agent run to its end (errors at start-up, say): its
    CompletedProcess, with stdout and stderr as bytes."""
    _count_agent()
    return subprocess.run([AGENT] + list(args), capture_output=True, timeout=timeout)


class Agent:
    """The agent binary, started with --dump capture; stdout collected in a
    thread, stderr lines matched on demand. tty=True: its stdout is a
    pseudo-terminal (what a person running it sees; lines without the
    terminal's carriage returns); env: its environment."""

    def __init__(self, *args, dump=True, tty=False, env=None):
        _count_agent()
        cmd = [AGENT] + list(args)
        if "--state-dir" not in args:
            # The agent makes its keys and spool on first start; tests keep theirs out of /var/lib.
            self.state_dir = tempfile.mkdtemp(prefix="sealtap-state-")
            cmd += ["--state-dir", self.state_dir]
        if dump:
            cmd += ["--dump", "capture"]
        if "--stats-interval" not in args:
            cmd += ["--stats-interval", "0"]
        self.cmd = cmd
        if tty:
            import pty
            master, slave = pty.openpty()
            self.proc = subprocess.Popen(cmd, stdout=slave, stderr=subprocess.PIPE, env=env)
            os.close(slave)
            out = os.fdopen(master, "rb", buffering=0)
        else:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            out = self.proc.stdout
        self.stderr_lines = []
        self.stdout_lines = []
        self._cond = threading.Condition()
        self._t_out = threading.Thread(target=self._pump, args=(out, self.stdout_lines), daemon=True)
        self._t_err = threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr_lines), daemon=True)
        self._t_out.start()
        self._t_err.start()
        self.records = None

    def _pump(self, f, sink):
        try:
            for line in iter(f.readline, b""):
                with self._cond:
                    sink.append(line.decode("utf-8", "replace").rstrip("\n").rstrip("\r"))
                    self._cond.notify_all()
        except OSError:  # a pseudo-terminal's reader gets EIO once the agent has closed it
            pass
        with self._cond:
            self._cond.notify_all()

    def wait_stderr(self, needle, timeout=15.0):
        """Waits until a stderr line contains needle; returns it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.stderr_lines:
                    if needle in line:
                        return line
                if self.proc.poll() is not None and not self._t_err.is_alive():
                    raise TestFailure("agent exited (%s) before printing %r; stderr:\n%s"
                                      % (self.proc.returncode, needle, "\n".join(self.stderr_lines)))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("agent did not print %r within %.0fs; stderr:\n%s"
                                      % (needle, timeout, "\n".join(self.stderr_lines)))
                self._cond.wait(min(left, 0.2))

    def wait_stdout(self, needle, count=1, timeout=15.0):
        """Waits until count stdout lines contain needle."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while sum(needle in l for l in self.stdout_lines) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("agent printed %r %d times within %.0fs" % (needle, count, timeout))
                self._cond.wait(min(left, 0.2))

    def ready(self, timeout=15.0):
        """Waits for the agent's readiness line (stdout, JSON) and returns it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.stdout_lines:
                    if line.startswith('{"type":"ready"'):
                        return json.loads(line)
                if self.proc.poll() is not None and not self._t_out.is_alive():
                    raise TestFailure("agent exited (%s) before it was ready; stderr:\n%s"
                                      % (self.proc.returncode, "\n".join(self.stderr_lines)))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("agent was not ready within %.0fs; stderr:\n%s"
                                      % (timeout, "\n".join(self.stderr_lines)))
                self._cond.wait(min(left, 0.2))

    def wait_attached(self, pid, timeout=15.0):
        return self.wait_stderr("attached pid %d " % pid, timeout)

    def wait_sockets(self, pid, timeout=15.0):
        """Waits until the agent watches pid's sockets (plain capture)."""
        return self.wait_stderr("watching pid %d (sockets)" % pid, timeout)

    def wait_bytes(self, pid, direction, nbytes, timeout=20.0):
        """Waits until the dump holds nbytes of pid's stream in direction (any
        connection): the probes fired and the consumer caught up."""
        deadline = time.monotonic() + timeout
        while True:
            got = sum(r["len"] for r in self._parsed_so_far()
                      if r.get("type") == "chunk" and r["pid"] == pid and r["dir"] == direction)
            if got >= nbytes:
                return got
            if time.monotonic() > deadline:
                raise TestFailure("only %d of %d %s bytes of pid %d captured in %.0fs"
                                  % (got, nbytes, direction, pid, timeout))
            with self._cond:
                self._cond.wait(0.1)

    def _parsed_so_far(self):
        with self._cond:
            lines = list(self.stdout_lines)
        return [json.loads(l) for l in lines if l.startswith("{")]

    def stop(self, timeout=20.0):
        """SIGTERM, wait, and parse every JSON line."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TestFailure("agent did not stop within %.0fs of SIGTERM" % timeout)
        self._t_out.join(5)
        self._t_err.join(5)
        # A clean stop is part of every test: a crash, or a sanitizer report in
        # a sanitizer build, fails it.
        check(self.proc.returncode == 0, "agent exited with %d on SIGTERM; stderr tail:\n%s"
              % (self.proc.returncode, "\n".join(self.stderr_lines[-30:])))
        self.records = [json.loads(l) for l in self.stdout_lines if l.startswith("{")]
        return self.records

    def stats(self):
        s = [r for r in self.records if r["type"] == "stats"]
        check(s, "agent printed no stats line")
        return s[-1]

    def shipped_everything(self):
        """After stop: whether the agent's last line says the collector holds
        every event it signed (the final stats line comes before the last
        checkpoint and the last shipment, so its ship counts can't say)."""
        last = [l for l in self.stderr_lines if l.startswith("sealtap-agent: stopped:")]
        check(last, "agent printed no 'stopped:' line; stderr tail:\n%s" % "\n".join(self.stderr_lines[-10:]))
        return last[-1].endswith("the collector holds all of them"), last[-1]

    def chunks(self, pid=None):
        return [r for r in self.records if r["type"] == "chunk" and (pid is None or r["pid"] == pid)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def streams(chunks):
    """Rebuilds {(conn, dir): bytes} from chunks, asserting every chunk lands
    exactly where its offset says and that nothing is missing or repeated."""
    by = {}
    for c in chunks:
        by.setdefault((c["conn"], c["dir"]), []).append(c)
    out = {}
    for key, cs in by.items():
        cs.sort(key=lambda c: c["offset"])
        buf = bytearray()
        for c in cs:
            data = base64.b64decode(c["data"])
            check(len(data) == c["len"], "chunk len %d but %d bytes of data" % (c["len"], len(data)))
            check(c["offset"] == len(buf), "stream %s %s: chunk at offset %d, expected %d (gap or repeat)"
                  % (key[0], key[1], c["offset"], len(buf)))
            check(c["gap"] == 0, "agent reported a gap of %d in %s" % (c["gap"], key))
            buf += data
        out[key] = bytes(buf)
    return out


def stream_of(agent, pid, direction):
    """The one stream of pid in direction; fails if there isn't exactly one."""
    ss = {k: v for k, v in streams(agent.chunks(pid)).items() if k[1] == direction}
    check(len(ss) == 1, "pid %d: expected one %s stream, found %d: %s"
          % (pid, direction, len(ss), list(ss)))
    return next(iter(ss.values()))


class LocalCollector:
    """A collector serving TLS on a free loopback port, its store and state
    under tmp/collector; agents: (sealtap-agent binary, state directory) of
    each agent allowed to ship there. url: what --collector takes."""

    def __init__(self, binary, tmp, crt, key, agents):
        self.dir = os.path.join(tmp, "collector")
        os.makedirs(self.dir, exist_ok=True)
        allow = os.path.join(self.dir, "allow")
        with open(allow, "w") as f:
            for agent, state in agents:
                f.write(subprocess.run([agent, "keys", "--state-dir", state], capture_output=True,
                                       check=True).stdout.decode())
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "serve", "--store", os.path.join(self.dir, "store.db"), "--allow", allow,
                                      "--listen", "127.0.0.1:%d" % self.port, "--tls-cert", crt, "--tls-key", key,
                                      "--state-dir", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.proc)
        self.url = "https://127.0.0.1:%d/v1/batches" % self.port

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


class Peer:
    """A helper process (from tests/e2e/peers or any command) that waits for
    'go' on stdin after printing 'ready', so the test can attach first."""

    def __init__(self, cmd, env=None, cwd=None):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=cwd)
        self.pid = self.proc.pid

    def expect(self, word, timeout=15.0):
        deadline = time.monotonic() + timeout
        buf = b""
        while word.encode() not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                err = self.proc.stderr.read() if self.proc.poll() is not None else b""
                raise TestFailure("peer %s did not say %r (got %r) %s" % (self.proc.args, word, buf, err[-2000:]))
            r, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.5))
            if r:
                line = self.proc.stdout.readline()
                if not line:
                    continue
                buf += line
        return buf.decode("utf-8", "replace")

    def go(self):
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()

    def finish(self, timeout=30.0):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise TestFailure("peer %s did not finish in %.0fs: %s" % (self.proc.args, timeout, err[-2000:]))
        check(self.proc.returncode == 0, "peer %s failed (%d): %s"
              % (self.proc.args, self.proc.returncode, err.decode("utf-8", "replace")[-2000:]))
        return out

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def python_peer(script, *args):
    return Peer([PYTHON, os.path.join(PEERS, script)] + [str(a) for a in args])


def wait_listening(port, proc=None, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or (proc is not None and proc.poll() is not None):
                raise TestFailure("nothing listens on port %d" % port)
            time.sleep(0.05)


def start_nginx(tmp, port, server_body, more_servers=""):
    """nginx in the foreground on 127.0.0.1:port with TLS and HTTP/2, one
    server block whose body is server_body (and more_servers, whole blocks,
    beside it); returns the master process."""
    conf = os.path.join(tmp, "nginx.conf")
    crt, key = certs()
    with open(conf, "w") as f:
        f.write("""
worker_processes 1;
daemon off;
pid %(t)s/nginx.pid;
error_log %(t)s/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %(t)s; proxy_temp_path %(t)s; fastcgi_temp_path %(t)s;
  uwsgi_temp_path %(t)s; scgi_temp_path %(t)s;
  server {
    listen 127.0.0.1:%(p)d ssl http2;
    ssl_certificate %(c)s; ssl_certificate_key %(k)s;
    %(b)s
  }
  %(m)s
}
""" % {"t": tmp, "p": port, "c": crt, "k": key, "b": server_body, "m": more_servers})
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    p = subprocess.Popen([nginx, "-c", conf, "-p", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_listening(port, p)
    except TestFailure:
        p.kill()
        raise TestFailure("nginx did not start: %s" % p.stderr.read())
    return p


def npm_module(spec, name):
    """Installs an npm package once per build into BUILD/npm; returns the
    node_modules folder for NODE_PATH."""
    prefix = os.path.join(BUILD, "npm")
    mods = os.path.join(prefix, "node_modules")
    if not os.path.isdir(os.path.join(mods, name)):
        os.makedirs(prefix, exist_ok=True)
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", prefix, spec],
                           capture_output=True, timeout=300)
        if r.returncode != 0:
            raise TestFailure("npm install %s failed: %s" % (spec, r.stderr.decode()[-2000:]))
    return mods


def output_dir(name):
    """Where a test leaves what a person looks at afterwards (screenshots,
    rendered reports): BUILD/test-output/NAME, kept after the run."""
    d = os.path.join(BUILD, "test-output", name)
    os.makedirs(d, exist_ok=True)
    return d


def chromium(*args, timeout=90):
    """Debian's chromium, headless, run once (a PDF or a screenshot); its
    CompletedProcess."""
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    prof = tempfile.mkdtemp(prefix="sealtap-chromium-")
    try:
        return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--user-data-dir=" + prof] + list(args), capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(prof, ignore_errors=True)


def browser_modules():
    """tests/browser's npm packages, installed once per build from its lock
    file (npm ci) into BUILD/browser; returns that folder (run node there)."""
    src = os.path.join(ROOT, "tests", "browser")
    dst = os.path.join(BUILD, "browser")
    os.makedirs(dst, exist_ok=True)
    lock = open(os.path.join(src, "package-lock.json"), "rb").read()
    stamp = os.path.join(dst, "node_modules", ".sealtap-lock")
    if not os.path.exists(stamp) or open(stamp, "rb").read() != lock:
        for name in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(src, name), dst)
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=dst, capture_output=True, timeout=600)
        if r.returncode != 0:
            raise TestFailure("npm ci in %s failed: %s" % (dst, r.stderr.decode()[-2000:]))
        with open(stamp, "wb") as f:
            f.write(lock)
    for name in os.listdir(src):
        if name.endswith(".mjs"):
            shutil.copy(os.path.join(src, name), dst)
    return dst
