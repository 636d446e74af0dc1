"""Many concurrent streaming clients in one process, for the concurrency
rounds of tests/bench/stream_cost.py: STREAMS connections open at once
(TLS checked against CA, or plain HTTP when CA is "-"), each POSTing
REQUESTS chat completions one after another and reading every SSE event of
each chunked answer to its end. One process rather than a curl each, so a
thousand streams cost the machine a thousand sockets, not a thousand
processes.

usage: stream_client.py PORT CA STREAMS REQUESTS    prints 'done EVENTS'
"""
import asyncio
import resource
import ssl
import sys

BODY = b'{"model":"m","stream":true,"messages":[{"role":"user","content":"say something"}]}'


async def one(port, ctx, requests):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                                   server_hostname="localhost" if ctx else None)
    events = 0
    try:
        for _ in range(requests):
            writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY))
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit("answer: %r" % head[:80])
            while True:  # chunked: size line, data, CRLF; a zero size ends it
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                if size == 0:
                    await reader.readexactly(2)
                    break
                chunk = await reader.readexactly(size + 2)
                events += chunk.startswith(b"data: {")  # one event a chunk; not [DONE]
    finally:
        writer.close()
    return events


async def main():
    port, ca, streams, requests = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a socket a stream
    ctx = None
    if ca != "-":
        ctx = ssl.create_default_context(cafile=ca)
    counts = await asyncio.gather(*(one(port, ctx, requests) for _ in range(streams)))
    print("done %d" % sum(counts), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
