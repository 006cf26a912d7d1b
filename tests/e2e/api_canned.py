#!/usr/bin/env python3
"""api_canned.py - a fake Prometheus HTTP API with canned answers, so that
promtool and flinttool can be compared on the odd corners of the API
(tests/e2e/flinttool_query.sh): label ordering, escapes, special floats,
time fractions, error envelopes, the POST-then-GET fallback.

    api_canned.py PORT_FILE

Binds a free 127.0.0.1 port and writes it to PORT_FILE. The answer to
/api/v1/query and /api/v1/query_range is chosen by the `query` parameter
(a case name below); /api/v1/series by the first match[]; label values
by the label name. Exits after 600 s or on SIGTERM.
"""
import http.server
import json
import os
import signal
import sys
import threading
import urllib.parse

def ok(data, warnings=None):
    d = {"status": "success", "data": data}
    if warnings:
        d["warnings"] = warnings
    return 200, json.dumps(d)

VEC = [
    {"metric": {"__name__": "m", "a": "1"}, "value": [1.5, "NaN"]},
    {"metric": {"__name__": "m", "a1": "x", "a": "2"}, "value": [1435781451.781, "+Inf"]},
    {"metric": {"z": "1"}, "value": [0.001, "-Inf"]},
    {"metric": {}, "value": [-1.5, "1e-07"]},
    {"metric": {"__name__": "only"}, "value": [1e9, "1e+21"]},
    {"metric": {"__name__": "neg", "b": "-0"}, "value": [12, "-0"]},
    {"metric": {"__name__": "dup", "k": "first", "k": "second"}, "value": [1, "0.30000000000000004"]},
]
ESC = [
    {"metric": {"__name__": "esc", "nl": "a\nb", "tab": "a\tb", "quote": "say \"hi\"", "bs": "c:\\dir",
                "html": "<&>", "uni": "\u00e9\u4e2d", "ctl": "\u0001\u007f", "ls": "\u2028",
                "nbsp": "\u00a0"}, "value": [2.25, "3.5"]},
]
MAT = [
    {"metric": {"__name__": "b", "x": "1", "y": "1"}, "values": [[1, "1"], [2.5, "2"]]},
    {"metric": {"__name__": "a", "x": "2"}, "values": [[1, "3"]]},
    {"metric": {"__name__": "a", "x": "1"}, "values": [[1.001, "4"], [1.01, "5"], [1.1, "6"]]},
    {"metric": {"__name__": "a", "w": "9", "y": "1"}, "values": [[3, "7"]]},
    {"metric": {"c": "1"}, "values": []},
]
CASES = {
    "vector": ok({"resultType": "vector", "result": VEC}),
    "escapes": ok({"resultType": "vector", "result": ESC}),
    "matrix": ok({"resultType": "matrix", "result": MAT}),
    "scalar": ok({"resultType": "scalar", "result": [1.5, "42"]}),
    "scalar_small": ok({"resultType": "scalar", "result": [7, "1e-300"]}),
    "result_first": (200, '{"status":"success","data":{"result":[1,"2"],"resultType":"scalar"}}'),
    "bad_scalar": ok({"resultType": "scalar", "result": [7, "seven"]}),
    "bad_value": ok({"resultType": "vector", "result": [{"metric": {}, "value": [7, "seven"]}]}),
    "string": ok({"resultType": "string", "result": [1, "text"]}),
    "empty_vector": ok({"resultType": "vector", "result": []}),
    "overloaded": (503, "  the server is overloaded \n"),
    "notfound": (404, ""),
    "teapot": (418, "short and stout"),
    "garbage": (200, "this is not json"),
    "inconsistent": (400, '{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}'),
    "exec_error": (422, '{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory"}'),
    "timeout_error": (503, '{"status":"error","errorType":"timeout","error":"query timed out"}'),
    "bad_data": (400, '{"status":"error","errorType":"bad_data","error":"1:1: parse error: no expression found in input"}'),
    "redirect": (302, ""),
}

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    flaky = 0

    def log_message(self, *a):
        pass

    def reply(self, code, body, extra=None):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(b)

    def answer(self, params, method):
        u = urllib.parse.urlparse(self.path)
        path = u.path.rstrip("/")
        if path.endswith("/api/v1/query") or path.endswith("/api/v1/query_range"):
            q = params.get("query", [""])[0]
            if q == "needs_get" and method == "POST":
                return self.reply(405, "method not allowed")
            if q == "needs_get":
                return self.reply(*ok({"resultType": "vector", "result": [{"metric": {"method": method, "params": ",".join(sorted(params))}, "value": [9, "1"]}]}))
            if q == "forbidden_post" and method == "POST":
                return self.reply(403, "no posts")
            if q == "forbidden_post":
                return self.reply(403, "no gets either")
            if q == "redirect":
                return self.reply(302, "", {"Location": "/api/v1/query?query=scalar"})
            if q == "echo_params":
                keys = ",".join("%s=%s" % (k, "|".join(v)) for k, v in sorted(params.items()) if k not in ("time", "start", "end"))
                return self.reply(*ok({"resultType": "vector", "result": [{"metric": {"params": keys, "method": method, "hdr": self.headers.get("X-Test", ""), "auth": self.headers.get("Authorization", "")}, "value": [1, "1"]}]}))
            if q in CASES:
                return self.reply(*CASES[q])
            return self.reply(*ok({"resultType": "vector", "result": []}))
        if path.endswith("/flaky/api/v1/write"):
            # 503 on every other request: a push retries and then succeeds
            H.flaky += 1
            if H.flaky % 2 == 1:
                return self.reply(503, "try again")
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path.endswith("/api/v1/write"):
            # push metrics: 204 with "Bearer secret", else 401; the body is
            # checked to be snappy-framed protobuf only by its headers
            if self.headers.get("Content-Encoding") != "snappy":
                return self.reply(415, "bad encoding")
            if self.headers.get("Authorization") != "Bearer secret":
                return self.reply(401, "unauthorized\n")
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path.endswith("/api/v1/series"):
            m = params.get("match[]", [""])[0]
            if m == "null":
                return self.reply(*ok(None))
            if m == "error":
                return self.reply(*CASES["bad_data"])
            return self.reply(*ok([{"__name__": "up", "job": "a\"b", "instance": "x:1"}, {"b": "2", "a": "1"}, {}]))
        if "/api/v1/label/" in path and path.endswith("/values"):
            name = urllib.parse.unquote(path.split("/api/v1/label/")[1][:-len("/values")])
            if name == "warned":
                return self.reply(*ok(["v1", "v2"], ["something odd", "and more"]))
            if name == "null":
                return self.reply(*ok(None))
            if name == "broken":
                return self.reply(*CASES["overloaded"])
            return self.reply(*ok(["z", "a b", "\u00e9", "", "<x>"]))
        self.reply(404, "404 page not found\n")

    def do_GET(self):
        q = urllib.parse.urlparse(self.path).query
        self.answer(urllib.parse.parse_qs(q, keep_blank_values=True), "GET")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        self.answer(urllib.parse.parse_qs(body, keep_blank_values=True), "POST")

def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, sys.argv[1])
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    threading.Timer(600, lambda: os._exit(0)).start()
    srv.serve_forever()

main()
