#!/usr/bin/env python3
"""page_server.py - metrics pages on loopback for the scrape tests and the
scrape benchmark (tests/e2e/scrape_*.sh, bench/bench_scrape.sh).

    page_server.py [options] PORTS_FILE MODE[:COUNT]...

Binds COUNT (default 1) listeners on free 127.0.0.1 ports per MODE, plus one
control listener, then writes PORTS_FILE (atomically, so a reader sees all
or nothing) as JSON: {"control": P, "MODE": [P, ...], ...}. Every listener
answers GET on any path. Modes, each bounded in time and bytes:

  fixed      the same page every time (static values: the scrape tests
             compare values between servers); histogram `le` and summary
             `quantile` values in the short form that Prometheus 3.x
             normalises ("1" -> "1.0") and 2.42 keeps
  changing   a counter that counts this port's requests, and a series that
             is there on odd requests only (it goes stale on even ones)
  garbage    200 with bytes that are no exposition format
  huge       a valid page of --huge-bytes (default 4 MiB)
  endless    a valid page that never ends, as fast as loopback goes (GB/s),
             until the client hangs up or --drip-seconds pass (then the
             connection closes): only a cap on the body saves the client
  slowloris  headers, then one byte of a valid page every 0.2 s until the
             client hangs up or --drip-seconds pass
  badutf8    a label value with bytes that are not UTF-8
  million    --million series (default 1,000,000) in one page
  bench      --bench-series series (default 1,000) named bench_metric; the
             values move every 15 s, all bench ports serve the same bytes

Control listener: GET /counts -> {"PORT": requests served, ...};
GET /times?port=P -> the unix times of that port's requests (the last
1,000). The whole server exits after --lifetime seconds (default 900) or on
SIGTERM/SIGINT, so a test that dies without its trap leaves nothing behind.
"""
import argparse
import http.server
import json
import os
import selectors
import signal
import socket
import socketserver
import sys
import threading
import time

PAGE_FIXED = b"""# HELP page_requests_total Requests served.
# TYPE page_requests_total counter
page_requests_total{code="200",method="get"} 1027
page_requests_total{code="500",method="get"} 3
# HELP page_temperature_celsius A gauge with mixed-case label values.
# TYPE page_temperature_celsius gauge
page_temperature_celsius{room="A"} 21.5
page_temperature_celsius{room="b"} -3.25
page_temperature_celsius{room="Mixed Case"} 1e-07
# HELP page_latency_seconds A histogram.
# TYPE page_latency_seconds histogram
page_latency_seconds_bucket{le="0.05"} 1
page_latency_seconds_bucket{le="0.1"} 2
page_latency_seconds_bucket{le="1"} 4
page_latency_seconds_bucket{le="10"} 5
page_latency_seconds_bucket{le="+Inf"} 6
page_latency_seconds_sum 12.5
page_latency_seconds_count 6
# HELP page_rpc_seconds A summary.
# TYPE page_rpc_seconds summary
page_rpc_seconds{quantile="0"} 0.01
page_rpc_seconds{quantile="0.5"} 0.2
page_rpc_seconds{quantile="1"} 3
page_rpc_seconds_sum 10
page_rpc_seconds_count 20
page_untyped 42
page_drop_me 1
page_drop_me_too{x="y"} 2
# TYPE page_info gauge
page_info{version="1.2.3",secret="s3cr3t"} 1
page_escapes{path="C:\\\\dir\\\\",quote="say \\"hi\\"",nl="a\\nb"} 1
page_big 1.7976931348623157e+308
page_special{kind="nan"} NaN
page_special{kind="inf"} +Inf
page_special{kind="neginf"} -Inf
page_conflict{instance="other",job="x"} 7
"""

CT_TEXT = "text/plain; version=0.0.4; charset=utf-8"


class State:
    """Per-port request counts and times; the lock guards both."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.counts = {}      # port -> requests served (lock)
        self.times = {}       # port -> list of request times, last 1,000 (lock)
        self.cache = {}       # name -> page bytes built once (lock)
        self.bench_page = (None, b"")  # (15 s tick, page) (lock)

    def hit(self, port):
        with self.lock:
            n = self.counts.get(port, 0) + 1
            self.counts[port] = n
            t = self.times.setdefault(port, [])
            t.append(time.time())
            del t[:-1000]
            return n

    def cached(self, name, build):
        with self.lock:
            if name not in self.cache:
                self.cache[name] = build()
            return self.cache[name]

    def bench(self):
        tick = int(time.time() // 15)
        with self.lock:
            if self.bench_page[0] != tick:
                n = self.args.bench_series
                lines = [b"# HELP bench_metric A benchmark series.\n# TYPE bench_metric gauge\n"]
                lines += [b'bench_metric{series="%d",group="g%d"} %d\n' % (i, i % 10, tick + i) for i in range(n)]
                self.bench_page = (tick, b"".join(lines))
            return self.bench_page[1]


def series_lines(name, n, start=0):
    return b"".join(b'%s{i="%d"} %d\n' % (name, i, i) for i in range(start, start + n))


def huge_page(nbytes):
    out, i = [], 0
    size = 0
    while size < nbytes:
        chunk = series_lines(b"page_huge", 10000, i)
        out.append(chunk)
        size += len(chunk)
        i += 10000
    return b"".join(out)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as scrapers use it

    def log_message(self, *a):
        pass

    def send_page(self, body, ctype=CT_TEXT):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drip(self, piece, pause):
        """Headers, then `piece` again and again until the client goes or
        the bound passes; the connection closes after."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", CT_TEXT)
        self.send_header("Connection", "close")
        self.end_headers()
        deadline = time.time() + self.server.state.args.drip_seconds
        i = 0
        try:
            while time.time() < deadline:
                self.wfile.write(piece(i))
                self.wfile.flush()
                i += 1
                if pause:
                    time.sleep(pause)
        except OSError:
            pass

    def do_GET(self):
        st, mode, port = self.server.state, self.server.mode, self.server.server_address[1]
        if mode == "control":
            return self.control(st)
        n = st.hit(port)
        if mode == "fixed":
            self.send_page(PAGE_FIXED)
        elif mode == "changing":
            body = b"# TYPE page_changing_total counter\npage_changing_total %d\n" % n
            body += b"# TYPE page_changing_gauge gauge\npage_changing_gauge %d\n" % (n * 2)
            if n % 2 == 1:
                body += b"page_changing_flap 1\n"
            self.send_page(body)
        elif mode == "garbage":
            self.send_page(b"this is {{ not a metrics page\n\x00\x01\x02 }}} 1 2 3\n" * 20)
        elif mode == "huge":
            self.send_page(st.cached("huge", lambda: huge_page(st.args.huge_bytes)))
        elif mode == "endless":
            block = series_lines(b"page_endless", 2000)
            self.drip(lambda i: block, 0)
        elif mode == "slowloris":
            body = series_lines(b"page_slow", 100)
            self.drip(lambda i: body[i % len(body):i % len(body) + 1], 0.2)
        elif mode == "badutf8":
            self.send_page(b'page_good 1\npage_badutf8{label="\xff\xfe\xc3("} 1\npage_after 2\n')
        elif mode == "million":
            self.send_page(st.cached("million", lambda: series_lines(b"page_million", st.args.million)))
        elif mode == "bench":
            self.send_page(st.bench())
        else:
            self.send_error(500, "unknown mode")

    def control(self, st):
        path, _, query = self.path.partition("?")
        with st.lock:
            if path == "/counts":
                body = json.dumps({str(p): c for p, c in st.counts.items()})
            elif path == "/times":
                port = int(query.split("port=", 1)[1].split("&")[0]) if "port=" in query else 0
                body = json.dumps(st.times.get(port, []))
            else:
                body = None
        if body is None:
            self.send_error(404)
        else:
            self.send_page(body.encode(), "application/json")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024

    def __init__(self, mode, state):
        self.mode, self.state = mode, state
        super().__init__(("127.0.0.1", 0), Handler)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ports_file")
    ap.add_argument("modes", nargs="+")
    ap.add_argument("--huge-bytes", type=int, default=4 << 20)
    ap.add_argument("--million", type=int, default=1000000)
    ap.add_argument("--bench-series", type=int, default=1000)
    ap.add_argument("--drip-seconds", type=float, default=30)
    ap.add_argument("--lifetime", type=float, default=900)
    args = ap.parse_args()
    state = State(args)
    servers = [Server("control", state)]
    ports = {"control": servers[0].server_address[1]}
    for spec in args.modes:
        mode, _, count = spec.partition(":")
        for _ in range(int(count or 1)):
            s = Server(mode, state)
            servers.append(s)
            ports.setdefault(mode, []).append(s.server_address[1])
    tmp = args.ports_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(ports, f)
    os.replace(tmp, args.ports_file)

    # one selector loop accepts on every listener (a thousand ports need no
    # thousand accept threads); each connection then gets its own thread
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    sel = selectors.DefaultSelector()
    for s in servers:
        sel.register(s.socket, selectors.EVENT_READ, s)
    end = time.time() + args.lifetime
    while not stop.is_set() and time.time() < end:
        for key, _ in sel.select(timeout=0.5):
            key.data._handle_request_noblock()
    for s in servers:
        s.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
