"""Blocking TLS server (Python ssl, socket fd path).

usage: tls_server.py PORT CERT KEY REQ_BYTES REPLY_BYTES SEED [WRITE_SIZE [EXTRA [DELAY]]]
Accepts one connection, waits DELAY seconds (default 0; a delay makes a slow
reader, whose peer's writes block meanwhile), reads exactly REQ_BYTES, replies with
REPLY_BYTES of pattern(SEED) in writes of WRITE_SIZE (0: all at once), then
reads EXTRA more bytes (default 0), closes.
"""
import sys
import time

from pattern import pattern, tls_accept_one

port, cert, key, req, reply, seed = sys.argv[1:7]
wsize = int(sys.argv[7]) if len(sys.argv) > 7 else 0
extra = int(sys.argv[8]) if len(sys.argv) > 8 else 0
delay = float(sys.argv[9]) if len(sys.argv) > 9 else 0.0
t = tls_accept_one(port, cert, key)
time.sleep(delay)
got = bytearray()


def read_until(n):
    while len(got) < n:
        d = t.recv(65536)
        if not d:
            break
        got.extend(d)


read_until(int(req))
data = pattern(seed, int(reply))
if wsize:
    for i in range(0, len(data), wsize):
        t.sendall(data[i:i + wsize])
else:
    t.sendall(data)
read_until(int(req) + extra)
t.close()
print("served %d" % len(got), flush=True)
