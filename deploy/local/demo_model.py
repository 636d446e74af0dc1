"""The model of `make demo`: a small OpenAI-compatible chat server over TLS
(Python's ssl, that is OpenSSL, as most model servers use), answering
POST /v1/chat/completions with a streamed completion (server-sent events,
a few characters per delta, chunked) or, without "stream": true, one JSON
body. It is a stand-in for a model's behaviour, not for sealtap: the agent
watches it like any other process.

Its answers are the three a security team worries about:
  - asked which card is on file, it hands out a card number it was never
    given (a leak the agent labels novel);
  - asked to draft a reply, it repeats the e-mail address of the prompt
    (a leak labelled echo);
  - anything else gets a short answer with nothing sensitive.

usage: demo_model.py PORT CERT KEY     prints 'ready' once listening
"""
import http.server
import json
import re
import socketserver
import ssl
import sys
import time

MODEL = "demo-llm-1"
CARD = "4539 1488 0343 6467"  # a valid card number of no real account (Luhn-correct, not an issuer test number)


def answer(prompt):
    if "card" in prompt and "on file" in prompt:
        return "The card Maria Keller has on file is %s, expiring 04/28." % CARD
    m = re.search(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", prompt)
    if m and "reply" in prompt:
        return "Dear customer, thank you for your patience. We will confirm your refund to %s today." % m.group(0)
    return "Tokens like that one should be rotated; I cannot check it from here."


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/chat/completions":
            return self.reply(404, {"error": {"message": "no such route"}})
        try:
            req = json.loads(body)
            prompt = req["messages"][-1]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            return self.reply(400, {"error": {"message": "expected a chat completion request"}})
        model = req.get("model", MODEL)
        text = answer(prompt)
        if not req.get("stream"):
            return self.reply(200, {"id": "chatcmpl-demo", "object": "chat.completion", "model": model,
                                    "choices": [{"index": 0, "finish_reason": "stop",
                                                 "message": {"role": "assistant", "content": text}}]})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(0, len(text), 4):  # values cross delta boundaries, as tokens do
            self.event({"id": "chatcmpl-demo", "object": "chat.completion.chunk", "model": model,
                        "choices": [{"index": 0, "delta": {"content": text[i:i + 4]}}]})
            time.sleep(0.005)
        self.event({"id": "chatcmpl-demo", "object": "chat.completion.chunk", "model": model,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self.chunk(b"data: [DONE]\n\n")
        self.chunk(b"")

    def event(self, obj):
        self.chunk(b"data: " + json.dumps(obj).encode() + b"\n\n")

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    server = Server(("127.0.0.1", port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
