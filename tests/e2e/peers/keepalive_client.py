"""A keep-alive HTTPS (or, with "plain", HTTP) client: one connection for
every request, each sent when told, so that a test can start the agent
between two of them.

usage: keepalive_client.py PORT [plain] [--host NAME]
(--host: the Host header to send, as a client of a provider behind a proxy
or a local stand-in would.) Prints 'ready' once connected; then, for each line read from stdin (a JSON
chat request body), POSTs it to /v1/chat/completions on the same
connection, reads the whole response and prints 'done N BYTES'.
"""
import http.client
import ssl
import sys

port = int(sys.argv[1])
args = sys.argv[2:]
headers = {"Content-Type": "application/json"}
if "--host" in args:
    headers["Host"] = args[args.index("--host") + 1]
    del args[args.index("--host"):args.index("--host") + 2]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if args == ["plain"]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
else:
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
conn.connect()
print("ready", flush=True)
n = 0
for line in sys.stdin:
    n += 1
    conn.request("POST", "/v1/chat/completions", body=line.strip().encode(), headers=headers)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit("request %d: status %d" % (n, r.status))
    print("done %d %d" % (n, len(body)), flush=True)
