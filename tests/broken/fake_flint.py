#!/usr/bin/env python3
"""fake_flint.py - a broken flint for tests/broken/check.sh: takes flint's
flags, listens where --web.listen-address says, answers /-/ready and
/-/healthy with 200 (so the suites get past their start-up waits) and every
other request with 500 and a JSON error body. Exits on SIGTERM/SIGINT."""
import http.server
import json
import signal
import sys

addr = None
for a in sys.argv[1:]:
    if a.startswith("--web.listen-address="):
        addr = a.split("=", 1)[1]
    elif a == "--version":
        print("flint, version broken (fake_flint.py)")
        sys.exit(0)
if addr is None:
    addr = "127.0.0.1:9090"
host, port = addr.rsplit(":", 1)


class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        path = self.path.split("?", 1)[0]
        if path in ("/-/ready", "/-/healthy"):
            code, body = 200, b"ready\n"
        else:
            code = 500
            body = json.dumps({"status": "error", "errorType": "internal", "error": "broken on purpose"}).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = answer

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer((host, int(port)), H)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
try:
    srv.serve_forever()
except (KeyboardInterrupt, SystemExit):
    pass
