"""A streaming model server for the benchmarks (tests/bench/stream_cost.py):
asyncio over TLS (Python's ssl through a memory BIO, as uvicorn and vLLM
serve), answering every POST with an OpenAI-style SSE completion of DELTAS
events, one write each, chunked. The text has nothing sensitive in it: the
benchmark measures the path every token takes, not findings.

usage: stream_server.py PORT CERT KEY DELTAS    prints 'ready'
       CERT and KEY "-": plain HTTP (the socket capture path)
"""
import asyncio
import json
import resource
import ssl
import sys

WORDS = ["the", "model", "answers", "with", "tokens", "of", "plain", "text", "and", "nothing", "else", "here"]


async def handle(reader, writer, deltas):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(deltas):
                ev = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "model": "bench-model",
                      "choices": [{"index": 0, "delta": {"content": WORDS[i % len(WORDS)] + " "}}]}
                data = b"data: " + json.dumps(ev, separators=(",", ":")).encode() + b"\n\n"
                writer.write(b"%x\r\n%s\r\n" % (len(data), data))
                await writer.drain()
            done = b"data: [DONE]\n\n"
            writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    port, cert, key, deltas = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a socket a client, a thousand at once
    ctx = None
    if cert != "-":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(lambda r, w: handle(r, w, deltas), "127.0.0.1", port, ssl=ctx, backlog=4096)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
