"""TLS client that sends one line and writes everything it gets back to
stdout until the server closes. usage: line_client.py PORT LINE"""
import socket
import ssl
import sys

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
t.sendall(sys.argv[2].encode() + b"\n")
while True:
    try:
        d = t.recv(65536)
    except ssl.SSLEOFError:
        break
    if not d:
        break
    sys.stdout.buffer.write(d)
