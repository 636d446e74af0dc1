"""A plain HTTP/1.1 keep-alive server that moves its bytes with the calls
model servers and proxies use besides read and write: it receives with
recvmsg (into several buffers) or readv, answers with sendmsg or writev (the
head and the body as separate iovecs), and sends /file's body with
sendfile, which no user buffer holds.

usage: vector_server.py tcp PORT|unix PATH recvmsg|readv sendmsg|writev
POST /echo answers the request body; GET /file answers FILE_BYTES from a
file; POST /v1/chat/completions answers a completion naming REPLY. Each
connection is served until the client closes it."""
import os
import socket
import sys
import tempfile
import threading

REPLY = "Card on file: 4532 0151 1283 0366."
FILE_BYTES = bytes((i * 7 + 3) % 256 for i in range(200000))


def recv_some(conn, how):
    if how == "recvmsg":
        a, b = bytearray(1000), bytearray(64000)
        n = conn.recvmsg_into([a, b])[0]
        return bytes((a + b)[:n])
    bufs = [bytearray(700), bytearray(3000), bytearray(60000)]
    n = os.readv(conn.fileno(), bufs)
    return bytes(b"".join(bufs)[:n])


def send_all(conn, how, parts):
    """Every byte of parts, in as many vectored calls as the socket needs."""
    sent, total = 0, sum(len(p) for p in parts)
    while sent < total:
        skip, vec = sent, []
        for p in parts:
            if skip >= len(p):
                skip -= len(p)
                continue
            vec.append(p[skip:])
            skip = 0
        sent += conn.sendmsg(vec) if how == "sendmsg" else os.writev(conn.fileno(), vec)


def serve(conn, rhow, whow, fpath):
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            d = recv_some(conn, rhow)
            if not d:
                conn.close()
                return
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        method, path = lines[0].split(" ")[:2]
        length = 0
        for l in lines[1:]:
            k, v = l.split(":", 1)
            if k.strip().lower() == "content-length":
                length = int(v)
        while len(buf) < length:
            d = recv_some(conn, rhow)
            if not d:
                conn.close()
                return
            buf += d
        body, buf = buf[:length], buf[length:]
        if path == "/file":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
                         % len(FILE_BYTES))
            with open(fpath, "rb") as f:
                off = 0
                while off < len(FILE_BYTES):
                    off += os.sendfile(conn.fileno(), f.fileno(), off, len(FILE_BYTES) - off)
            continue
        if path == "/v1/chat/completions":
            out = ('{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":'
                   '{"role":"assistant","content":"%s"},"finish_reason":"stop"}]}' % REPLY).encode()
            ctype = b"application/json"
        else:
            out, ctype = body, b"application/octet-stream"
        send_all(conn, whow, [b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (ctype, len(out)),
                              out[: len(out) // 2], out[len(out) // 2:]])


def main():
    kind, where, rhow, whow = sys.argv[1:5]
    fd, fpath = tempfile.mkstemp(prefix="sealtap-sendfile-")
    os.write(fd, FILE_BYTES)
    os.close(fd)
    if kind == "tcp":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(where)))
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(where)
        os.chmod(where, 0o777)  # a proxy's workers run as another user
    s.listen(16)
    print("ready", flush=True)
    try:
        while True:
            conn, _ = s.accept()
            threading.Thread(target=serve, args=(conn, rhow, whow, fpath), daemon=True).start()
    finally:
        os.unlink(fpath)


if __name__ == "__main__":
    main()
