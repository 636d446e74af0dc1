#!/usr/bin/env python3
"""Evidence throughput (make bench): findings recorded by the agent's
evidence log, shipped over TLS to a real collector that verifies and stores
them (SQLite, or with --postgres a PostgreSQL server started for the run),
then the whole store verified offline. Same run, same data;
prints events per second for each stage."""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--postgres", action="store_true", help="store in a PostgreSQL server started for the run")
    a = ap.parse_args()
    b = os.path.abspath(a.build)
    tmp = tempfile.mkdtemp(prefix="sealtap-evbench-")
    pg = None
    try:
        key, crt = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        state = os.path.join(tmp, "agent")
        pub = subprocess.run([os.path.join(b, "sealtap-agent"), "keys", "--state-dir", state], check=True,
                             capture_output=True).stdout
        with open(os.path.join(tmp, "allow"), "wb") as f:
            f.write(pub)
        port = free_port()
        store = os.path.join(tmp, "store.db")
        if a.postgres:
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
            from postgres import Postgres
            pg = Postgres().start()
            store = pg.uri()
        col = subprocess.Popen([os.path.join(b, "sealtap-collector"), "serve", "--store", store, "--allow",
                                os.path.join(tmp, "allow"), "--listen", "127.0.0.1:%d" % port, "--tls-cert", crt,
                                "--tls-key", key, "--state-dir", os.path.join(tmp, "col")],
                               stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        out = subprocess.run([os.path.join(b, "evidence-bench"), state, str(a.events),
                              "https://127.0.0.1:%d/v1/batches" % port, crt], capture_output=True, text=True)
        if out.returncode:
            sys.exit("evidence-bench failed: %s" % out.stderr)
        col.terminate()
        col.wait(30)
        t0 = time.monotonic()
        v = subprocess.run([os.path.join(b, "sealtap-collector"), "verify", "--store", store], capture_output=True,
                           text=True)
        tv = time.monotonic() - t0
        m = re.search(r"(\d+) event\(s\)", v.stdout)
        if v.returncode or not m:
            sys.exit("verify failed: %s" % v.stdout)
        where = "PostgreSQL" if a.postgres else "SQLite"
        print(out.stdout.replace("record", "agent records (encode, spool, hash, sign)").replace(
            "ship", "agent -> collector, verified and stored (%s)" % where).rstrip())
        print("collector verify (offline, %s) %s events %.2f s %.0f events/s" % (where, m.group(1), tv, int(m.group(1)) / tv))
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
