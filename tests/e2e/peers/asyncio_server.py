"""asyncio TLS server: OpenSSL runs over memory BIOs, so the SSL calls never
touch the socket (the uvicorn / vLLM serving path).

usage: asyncio_server.py PORT CERT KEY WRITES SEED
Reads one request line, answers with WRITES small writes (pieces of
pattern(SEED), sizes 1..97 bytes), draining after each, then closes.
"""
import asyncio
import ssl
import sys

from pattern import pattern

port, cert, key, writes, seed = sys.argv[1:6]
sizes = [1 + (i * 37) % 97 for i in range(int(writes))]
data = pattern(seed, sum(sizes))


async def handle(reader, writer):
    await reader.readline()
    off = 0
    for n in sizes:
        writer.write(data[off:off + n])
        off += n
        await writer.drain()
    writer.close()
    await writer.wait_closed()
    done.set()


async def main():
    global done
    done = asyncio.Event()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(handle, "127.0.0.1", int(port), ssl=ctx)
    print("ready", flush=True)
    await done.wait()
    server.close()
    print("served %d" % len(data), flush=True)

asyncio.run(main())
