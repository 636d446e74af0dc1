"""Blocking HTTPS/1.1 server answering one POST: echoes the body behind a
fixed prefix. usage: http_server.py PORT CERT KEY"""
import sys

from pattern import tls_accept_one

port, cert, key = sys.argv[1:4]
t = tls_accept_one(port, cert, key)
buf = b""
while b"\r\n\r\n" not in buf:
    buf += t.recv(4096)
head, body = buf.split(b"\r\n\r\n", 1)
length = 0
for line in head.split(b"\r\n")[1:]:
    k, v = line.split(b":", 1)
    if k.strip().lower() == b"content-length":
        length = int(v)
while len(body) < length:
    body += t.recv(4096)
reply = b"echo:" + body
t.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(reply) + reply)
t.close()
