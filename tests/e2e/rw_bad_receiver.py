#!/usr/bin/python3
"""rw_bad_receiver.py PORTFILE - a remote-write receiver that misbehaves by
path, for remote_write_faults.sh: binds 127.0.0.1:0 and writes its port to
PORTFILE. Every POST body is read whole, then:
  /ok        204                       /500     500 "boom"
  /429       429 with Retry-After: 1   /400     400 "bad"
  /slow      sleeps 5 s, then 204      /garbage a line that is not HTTP
  /close     half a status line, then the connection is closed
  /huge      200 with a 10 GiB body, streamed (until the client goes)
GET /count?path=P: how many POSTs P got."""
import collections, socketserver, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = collections.Counter()
lock = threading.Lock()

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        p = self.path.split("path=", 1)[-1]
        with lock:
            body = str(counts[p]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        p = self.path
        with lock:
            counts[p] += 1
        if p == "/ok":
            self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
        elif p in ("/500", "/400", "/429"):
            body = {"/500": b"boom\n", "/400": b"bad\n", "/429": b"slow down\n"}[p]
            self.send_response(int(p[1:]))
            if p == "/429":
                self.send_header("Retry-After", "1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif p == "/slow":
            time.sleep(5)
            self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
        elif p == "/garbage":
            self.wfile.write(b"\x00\xffthis is not http at all\r\n\r\n")
            self.close_connection = True
        elif p == "/close":
            self.wfile.write(b"HTTP/1.1 2")
            self.wfile.flush()
            self.close_connection = True
        elif p == "/huge":
            self.send_response(200)
            self.send_header("Content-Length", str(10 << 30))
            self.end_headers()
            chunk = b"\0" * 65536
            try:
                for _ in range((10 << 30) // 65536):
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True

class S(ThreadingHTTPServer):
    daemon_threads = True

srv = S(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
