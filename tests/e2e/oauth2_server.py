#!/usr/bin/python3
"""oauth2_server.py PORTFILE - an OAuth 2.0 token endpoint and a protected
target on 127.0.0.1 for tests/e2e/oauth2.sh. Writes {"port": N} to PORTFILE.

  POST /token   client credentials grant. Clients (id: secret, how it
                authenticates, answer format, expires_in):
                  basic-client: s1   basic auth only       JSON   3600
                  param-client: s2   form params only      JSON   12
                  form-client:  s3   either                form   11
                a wrong secret gets 401 {"error":"invalid_client",...}
  GET /metrics  needs "Authorization: Bearer <a token it issued>"
  GET /sd       the same, answers an http_sd target list (this server)
  GET /log      what the token endpoint saw, as JSON lines
"""
import base64
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENTS = {
    "basic-client": ("s1", "basic", "json", 3600),
    "param-client": ("s2", "params", "json", 12),
    "form-client": ("s3", "any", "form", 11),
}
lock = threading.Lock()
log = []
tokens = {}  # token -> client id
counter = [0]


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, code, body, ctype="application/json"):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode(), keep_blank_values=True)
        form = {k: v[0] for k, v in form.items()}
        via, cid, secret = None, None, None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            via, cid, secret = "basic", urllib.parse.unquote_plus(u), urllib.parse.unquote_plus(p)
        elif "client_id" in form:
            via, cid, secret = "params", form.get("client_id"), form.get("client_secret", "")
        entry = {"path": self.path, "via": via, "client_id": cid, "form": form,
                 "ctype": self.headers.get("Content-Type", "")}
        with lock:
            log.append(entry)
        c = CLIENTS.get(cid)
        if self.path != "/token" or not c:
            return self.send(401, json.dumps({"error": "invalid_request", "error_description": "unknown client"}))
        if secret != c[0]:
            return self.send(401, json.dumps({"error": "invalid_client", "error_description": "bad secret"}))
        if c[1] != "any" and c[1] != via:
            return self.send(401, json.dumps({"error": "invalid_request", "error_description": "wrong method"}))
        if form.get("grant_type") != "client_credentials":
            return self.send(400, json.dumps({"error": "unsupported_grant_type"}))
        with lock:
            counter[0] += 1
            tok = "tok-%s-%d" % (cid, counter[0])
            tokens[tok] = cid
        if c[2] == "form":
            self.send(200, urllib.parse.urlencode({"access_token": tok, "token_type": "bearer", "expires_in": c[3]}),
                      "application/x-www-form-urlencoded")
        else:
            self.send(200, json.dumps({"access_token": tok, "token_type": "bearer", "expires_in": c[3]}))

    def do_GET(self):
        if self.path == "/log":
            with lock:
                return self.send(200, "\n".join(json.dumps(e) for e in log) + "\n", "text/plain")
        auth = self.headers.get("Authorization", "")
        with lock:
            ok = auth.startswith("Bearer ") and auth[7:] in tokens
        if not ok:
            return self.send(401, "unauthorized\n", "text/plain")
        if self.path.startswith("/sd"):
            port = self.server.server_address[1]
            return self.send(200, json.dumps([{"targets": ["127.0.0.1:%d" % port], "labels": {"via": "sd"}}]))
        self.send(200, "# TYPE oauth_test gauge\noauth_test 1\n", "text/plain; version=0.0.4")

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    json.dump({"port": srv.server_address[1]}, f)
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
