"""Blocking TLS client (Python ssl).

usage: tls_client.py PORT REQ_BYTES REPLY_BYTES SEED [EXTRA]
Prints 'ready' once ssl is imported (libssl mapped), waits for 'go' on stdin,
sends REQ_BYTES of pattern(SEED+1) in one sendall (one SSL_write_ex call),
reads REPLY_BYTES, checks them; with EXTRA, prints 'phase1', waits for 'go'
again and sends EXTRA bytes of pattern(SEED+'extra'); prints 'done'.
"""
import socket
import ssl
import sys

from pattern import pattern

port, req, reply, seed = sys.argv[1:5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
print("ready", flush=True)
sys.stdin.readline()
t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port))))
t.sendall(pattern(str(seed) + "req", int(req)))
got = bytearray()
while len(got) < int(reply):
    d = t.recv(65536)
    if not d:
        break
    got += d
if bytes(got) != pattern(seed, int(reply)):
    sys.exit("reply mismatch: %d bytes" % len(got))
if len(sys.argv) > 5 and int(sys.argv[5]):
    print("phase1", flush=True)
    sys.stdin.readline()
    t.sendall(pattern(str(seed) + "extra", int(sys.argv[5])))
t.close()
print("done", flush=True)
