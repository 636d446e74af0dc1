"""A plain OpenAI-compatible server reached by HTTP/1.1 Upgrade to h2c (as
curl --http2 asks for over http://): answers 101, then speaks HTTP/2 with
the h2 library, answering the upgraded request on stream 1 and any later
one on its own stream, as a streamed chat completion (SSE) of the request's
"sealtap_test_reply".

usage: h2c_upgrade_server.py PORT
"""
import json
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.events


def completion(body):
    reply = json.loads(body or b"{}").get("sealtap_test_reply", "ok")
    out = b""
    for i in range(0, len(reply), 4):
        out += b"data: " + json.dumps({"id": "c1", "object": "chat.completion.chunk", "model": "h2c-model",
                                       "choices": [{"index": 0, "delta": {"content": reply[i:i + 4]},
                                                    "finish_reason": None}]}).encode() + b"\n\n"
    out += b"data: " + json.dumps({"id": "c1", "object": "chat.completion.chunk", "model": "h2c-model",
                                   "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).encode() + b"\n\n"
    return out + b"data: [DONE]\n\n"


def respond(conn, sid, body):
    conn.send_headers(sid, [(":status", "200"), ("content-type", "text/event-stream")])
    conn.send_data(sid, completion(body), end_stream=True)


def read_upgrade(sock):
    """The HTTP/1.1 request that asks for the upgrade: its headers and body,
    and what came after it."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            return None
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    headers = {}
    for line in head.decode().split("\r\n")[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return headers, rest[:length], rest[length:]


def serve(sock):
    got = read_upgrade(sock)
    if not got or "h2c" not in got[0].get("upgrade", ""):
        sock.close()
        return
    headers, body, rest = got
    sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    conn.initiate_upgrade_connection(headers["http2-settings"])
    respond(conn, 1, body)
    sock.sendall(conn.data_to_send())
    bodies = {}
    data = rest
    while True:
        for ev in conn.receive_data(data) if data else []:
            if isinstance(ev, h2.events.RequestReceived):
                bodies[ev.stream_id] = b""
            elif isinstance(ev, h2.events.DataReceived):
                bodies[ev.stream_id] = bodies.get(ev.stream_id, b"") + ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id in bodies:
                respond(conn, ev.stream_id, bodies.pop(ev.stream_id))
        out = conn.data_to_send()
        if out:
            sock.sendall(out)
        data = sock.recv(65536)
        if not data:
            break
    sock.close()


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(16)
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
