"""A local model server speaking the common LLM APIs over TLS (HTTP/1.1,
keep-alive), with a fixed completion, for end-to-end tests.

usage: llm_server.py PORT CERT KEY    (CERT "-": plain HTTP, no TLS)
Prints 'ready', serves until killed.

Routes (POST):
  /v1/chat/completions  OpenAI chat: SSE when "stream": true, else JSON
                        (gzip-compressed when the client accepts gzip)
  /v1/completions       OpenAI completions, same
  /v1/messages          Anthropic messages: typed SSE events, or JSON
  /api/chat             Ollama chat: NDJSON stream, or JSON with "stream": false
  /generate_stream      text-generation-inference SSE
  /custom/invoke        a non-standard path answering like chat completions
Anything else: 404 with a JSON error body.

Chat completions take test-only request fields: "sealtap_test_reply"
(the completion to stream instead of COMPLETION), "sealtap_test_pause_at"
(after streaming that many characters, wait a second before the rest), and
"sealtap_test_model" / "sealtap_test_fingerprint" (the model and system
fingerprint to report instead of MODEL and FINGERPRINT).

The completion text is COMPLETION below; JSON is written with ensure_ascii
(the default), so non-ASCII travels as \\uXXXX escapes and the emoji as a
surrogate pair: the agent must decode them.
"""
import gzip
import http.server
import json
import socketserver
import ssl
import sys
import time

COMPLETION = 'Hello! Here is \u00fcn\u00efc\u00f8d\u00e9, a "quote", a tab\tand an emoji \U0001F600.\nLine two.'
MODEL = "sealtap-test-model"
FINGERPRINT = "fp_sealtap_1"


def pieces(text, n=3):
    return [text[i:i + n] for i in range(0, len(text), n)]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall each

    def log_message(self, *args):
        pass

    def _json(self, obj, status=200):
        body = json.dumps(obj).encode()
        gz = "gzip" in self.headers.get("Accept-Encoding", "")
        if gz:
            body = gzip.compress(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(body)

    def _start_stream(self, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _sse(self, obj, event=None):
        head = ("event: %s\n" % event).encode() if event else b""
        self._chunk(head + b"data: " + json.dumps(obj).encode() + b"\n\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        path = self.path.split("?")[0]
        if path == "/custom/invoke":  # a gateway's own path for chat completions
            path = "/v1/chat/completions"
        stream = req.get("stream", path == "/api/chat")
        if path == "/v1/chat/completions" or path == "/v1/completions":
            chat = path.endswith("chat/completions")
            text = req.get("sealtap_test_reply", COMPLETION)
            pause_at = req.get("sealtap_test_pause_at")
            model = req.get("sealtap_test_model", MODEL)
            fingerprint = req.get("sealtap_test_fingerprint", FINGERPRINT)
            if not stream:
                choice = {"index": 0, "finish_reason": "stop"}
                if chat:
                    choice["message"] = {"role": "assistant", "content": text}
                else:
                    choice["text"] = text
                return self._json({"id": "cmpl-1", "object": "chat.completion", "model": model,
                                   "system_fingerprint": fingerprint, "choices": [choice],
                                   "usage": {"prompt_tokens": 11, "completion_tokens": 22, "total_tokens": 33}})
            self._start_stream("text/event-stream")
            sent = 0
            for p in pieces(text):
                if pause_at is not None and sent >= pause_at:
                    time.sleep(1.0)
                    pause_at = None
                sent += len(p)
                c = {"index": 0, "finish_reason": None}
                if chat:
                    c["delta"] = {"content": p}
                else:
                    c["text"] = p
                self._sse({"id": "cmpl-1", "object": "chat.completion.chunk", "model": model,
                           "system_fingerprint": fingerprint, "choices": [c]})
            last = {"index": 0, "finish_reason": "stop"}
            if chat:
                last["delta"] = {}
            self._sse({"id": "cmpl-1", "model": model, "choices": [last],
                       "usage": {"prompt_tokens": 11, "completion_tokens": 22, "total_tokens": 33}})
            self._chunk(b"data: [DONE]\n\n")
            return self._end_stream()
        if path == "/v1/messages":
            if not stream:
                return self._json({"id": "msg_1", "type": "message", "model": MODEL, "role": "assistant",
                                   "content": [{"type": "text", "text": COMPLETION}], "stop_reason": "end_turn",
                                   "usage": {"input_tokens": 7, "output_tokens": 9}})
            self._start_stream("text/event-stream")
            self._sse({"type": "message_start", "message": {"id": "msg_1", "model": MODEL,
                                                            "usage": {"input_tokens": 7, "output_tokens": 1}}},
                      "message_start")
            self._sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                      "content_block_start")
            for p in pieces(COMPLETION, 5):
                self._sse({"type": "content_block_delta", "index": 0,
                           "delta": {"type": "text_delta", "text": p}}, "content_block_delta")
            self._sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            self._sse({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                       "usage": {"output_tokens": 9}}, "message_delta")
            self._sse({"type": "message_stop"}, "message_stop")
            return self._end_stream()
        if path == "/api/chat":
            if not stream:
                return self._json({"model": MODEL, "message": {"role": "assistant", "content": COMPLETION},
                                   "done": True, "done_reason": "stop", "prompt_eval_count": 5, "eval_count": 6})
            self._start_stream("application/x-ndjson")
            for p in pieces(COMPLETION, 4):
                self._chunk(json.dumps({"model": MODEL, "message": {"role": "assistant", "content": p},
                                        "done": False}).encode() + b"\n")
            self._chunk(json.dumps({"model": MODEL, "message": {"role": "assistant", "content": ""},
                                    "done": True, "done_reason": "stop", "prompt_eval_count": 5,
                                    "eval_count": 6}).encode() + b"\n")
            return self._end_stream()
        if path == "/generate_stream":
            self._start_stream("text/event-stream")
            for p in pieces(COMPLETION, 2):
                self._sse({"token": {"id": 1, "text": p, "special": False}, "generated_text": None})
            self._sse({"token": {"id": 2, "text": "</s>", "special": True}, "generated_text": COMPLETION,
                       "details": {"finish_reason": "eos_token", "generated_tokens": 12}})
            return self._end_stream()
        self._json({"error": {"message": "no route %s" % path, "type": "invalid_request_error"}}, 404)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    port, cert, key = sys.argv[1:4]
    srv = Server(("127.0.0.1", int(port)), Handler)
    if cert != "-":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
