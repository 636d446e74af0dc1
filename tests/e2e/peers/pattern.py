"""What the test peers share: deterministic payloads both sides of a test
can regenerate, and a TLS listener."""
import hashlib
import socket
import ssl


def pattern(seed, n):
    out = bytearray()
    block = hashlib.sha256(str(seed).encode()).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def tls_accept_one(port, cert, key):
    """Listens on 127.0.0.1:port, prints 'ready', returns the first
    connection wrapped in TLS (a blocking socket: OpenSSL's fd path)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(port)))
    s.listen()
    print("ready", flush=True)
    c, _ = s.accept()
    return ctx.wrap_socket(c, server_side=True)
