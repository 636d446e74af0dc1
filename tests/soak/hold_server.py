"""A TLS server (asyncio) that answers each request line with a line and
keeps the connection open until the client closes it: thousands of live
TLS connections for the soak.

usage: hold_server.py PORT CERT KEY
"""
import asyncio
import resource
import ssl
import sys

_, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (_hard, _hard))  # as many descriptors as allowed
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]


async def handle(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            writer.write(b"ok " + line)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    writer.close()


async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=ctx, backlog=4096)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
