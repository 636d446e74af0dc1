"""A TLS server (asyncio) speaking just enough HTTP/1.1 to look like a model
server: each POST is answered with a chat completion streamed as server-sent
events in chunked encoding, and the connection is kept open until the client
closes it: thousands of live keep-alive TLS connections for the soak.

usage: hold_server.py PORT CERT KEY   (CERT and KEY "-": plain HTTP)
"""
import asyncio
import json
import resource
import ssl
import sys

_, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (_hard, _hard))  # as many descriptors as allowed
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def sse(delta, finish=None):
    event = {"id": "c1", "object": "chat.completion.chunk", "model": "soak-model",
             "choices": [{"index": 0, "delta": {"content": delta} if delta else {},
                          "finish_reason": finish}]}
    return chunk(b"data: " + json.dumps(event).encode() + b"\n\n")


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = json.loads(await reader.readexactly(length))
            n = body["messages"][-1]["content"].split()[-1]
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            for word in (b"Answer ", b"number ", n.encode(), b"."):
                writer.write(sse(word.decode()))
            writer.write(sse(None, "stop") + chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
            await writer.drain()
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, ValueError, KeyError):
        pass
    writer.close()


async def main():
    ctx = None
    if cert != "-":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ctx, backlog=4096)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
