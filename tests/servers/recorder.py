"""A tiny OpenAI-compatible server for the tests, standard library only: it records every
request body (one JSON line each in ``--log``) so a test can check what left Clos, answers
chat completions by streaming back the user's message (so placeholders come back too) and
embeddings with vectors derived from each text's bytes. ``--fail-first N`` answers 503 to the
first N requests (retries); ``--stall`` accepts requests and never answers (timeouts).

    python tests/servers/recorder.py --port 8123 --log requests.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_path = ""
    fail_first = 0
    stall = False
    seen = 0
    lock = threading.Lock()

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send(200, json.dumps({"object": "list", "data": [{"id": "recorder"}]}).encode())

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with Handler.lock:
            Handler.seen += 1
            n = Handler.seen
            with open(Handler.log_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"path": self.path, "body": json.loads(raw or b"{}")},
                                    ensure_ascii=False) + "\n")
        if Handler.stall:
            time.sleep(30)
            return
        if n <= Handler.fail_first:
            self._send(503, json.dumps({"error": {"message": "occupé"}}).encode())
            return
        body = json.loads(raw or b"{}")
        if self.path.endswith("/embeddings"):
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = []
            for i, text in enumerate(texts):
                digest = hashlib.sha256(text.encode()).digest()
                vector = [b / 255 for b in digest[:8]]
                data.append({"object": "embedding", "index": i, "embedding": vector})
            self._send(200, json.dumps({"object": "list", "data": data, "model": "recorder"}).encode())
            return
        user = body["messages"][-1]["content"]
        reply = "Vous avez écrit : " + user.splitlines()[-1]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i in range(0, len(reply), 7):
            event = {"choices": [{"index": 0, "delta": {"content": reply[i:i + 7]}}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        usage = {"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 5}}
        self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())
        self.close_connection = True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--stall", action="store_true")
    args = ap.parse_args()
    Handler.log_path, Handler.fail_first, Handler.stall = args.log, args.fail_first, args.stall
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
