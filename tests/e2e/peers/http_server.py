"""Blocking HTTPS/1.1 server answering one POST: echoes the body behind a
fixed prefix. usage: http_server.py PORT CERT KEY"""
import socket
import ssl
import sys

port, cert, key = sys.argv[1:4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(port)))
s.listen()
print("ready", flush=True)
c, _ = s.accept()
t = ctx.wrap_socket(c, server_side=True)
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
