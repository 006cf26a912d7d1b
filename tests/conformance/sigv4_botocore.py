#!/usr/bin/python3
"""sigv4_botocore.py SIGNER - the SigV4 headers flint computes (SIGNER is
build/*/tests/sigv4_sign) against python3-botocore's SigV4Auth for the same
request, credentials and fixed time. Prints `ok NAME` / `not ok NAME: why`
per case. No network beyond 127.0.0.1: the role_arn cases talk to a fake
STS started here (AWS_ENDPOINT_URL_STS), which checks flint's AssumeRole
signature with botocore too.
"""
import datetime
import http.server
import os
import random
import subprocess
import sys
import tempfile
import threading
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials

SIGNER = sys.argv[1]
results = []


def fixed_time(ms):
    when = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)

    class Fixed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when

        @classmethod
        def now(cls, tz=None):
            return when.replace(tzinfo=tz) if tz else when

    botocore.auth.datetime = type("m", (), {"datetime": Fixed})
    if hasattr(botocore.auth, "get_current_datetime"):
        botocore.auth.get_current_datetime = lambda *a, **k: when


def boto_headers(c, ak, sk, token, region, service):
    """The headers botocore's SigV4Auth adds to the case's request."""
    fixed_time(c["time"])
    headers = []
    for h in c["headers"]:
        name, _, value = h.partition(":")
        headers.append((name, value.strip()))
    if c["body"]:
        headers.append(("Content-Length", str(len(c["body"]))))
    req = botocore.awsrequest.AWSRequest(method=c["method"], url=c["url"], data=c["body"])
    for name, value in headers:
        req.headers[name] = value  # appends: repeated names stay repeated
    creds = botocore.credentials.Credentials(ak, sk, token or None)
    botocore.auth.SigV4Auth(creds, service, region).add_auth(req)
    out = {"X-Amz-Date": req.headers["X-Amz-Date"], "Authorization": req.headers["Authorization"]}
    if token:
        out["X-Amz-Security-Token"] = req.headers["X-Amz-Security-Token"]
    return out


def case_text(c):
    lines = ["case " + c["name"], "time %d" % c["time"], "method " + c["method"], "url " + c["url"],
             "service " + c.get("service", "aps")]
    if "cfg" in c:
        for k, v in c["cfg"].items():
            lines.append("cfg %s %s" % (k, v))
        if c.get("signer"):
            lines.append("signer %d" % c["signer"])
    else:
        lines.append("creds %s %s %s" % (c["ak"], c["sk"], c.get("token", "")))
        lines.append("region " + c["region"])
    lines += ["header " + h for h in c["headers"]]
    if c["body"]:
        lines.append("body " + c["body"].hex())
    lines.append("end")
    return "\n".join(lines) + "\n"


def run_flint(cases, env=None):
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("AWS_"):
            del e[k]
    e.update(env or {})
    text = "".join(case_text(c) for c in cases)
    out = subprocess.run([SIGNER], input=text.encode(), capture_output=True, env=e, timeout=120)
    got = {}
    for line in out.stdout.decode().splitlines():
        name, _, hdr = line.partition("\t")
        k, _, v = hdr.partition(": ")
        got.setdefault(name, {})[k] = v
    if out.returncode != 0:
        results.append(("signer exit", "status %d: %s" % (out.returncode, out.stderr.decode()[-400:])))
    return got


def compare(c, got, ak, sk, token, region):
    want = boto_headers(c, ak, sk, token, region, c.get("service", "aps"))
    if got == want:
        results.append((c["name"], None))
    else:
        results.append((c["name"], "flint %r, botocore %r" % (got, want)))


RW = ["Content-Encoding: snappy", "Content-Type: application/x-protobuf", "User-Agent: Prometheus/2.42.0",
      "X-Prometheus-Remote-Write-Version: 0.1.0"]
AMP = "https://aps-workspaces.%s.amazonaws.com/workspaces/ws-0123abcd-4567/api/v1/remote_write"
rnd = random.Random(18)
AK, SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ" + "x" * 900 + "=="


def base(name, **kw):
    c = {"name": name, "time": 1700000000123, "method": "POST", "url": AMP % "us-east-1", "headers": list(RW),
         "body": bytes(rnd.randrange(256) for _ in range(200)), "ak": AK, "sk": SK, "region": "us-east-1"}
    c.update(kw)
    return c


cases = [
    base("remote_write_us_east_1"),
    base("session_token_eu_west_1", url=AMP % "eu-west-1", region="eu-west-1", token=TOKEN),
    base("large_body_ap_southeast_2", url=AMP % "ap-southeast-2", region="ap-southeast-2",
         body=bytes(rnd.randrange(256) for _ in range(6000)), time=1234567890000),
    base("empty_body", body=b""),
    base("query_get", method="GET", body=b"", headers=["User-Agent: x"],
         url="https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/query?query=up%7Bjob%3D%22a%22%7D&time=1700000000"),
    base("query_unsorted_repeated", method="GET", body=b"", headers=[],
         url="https://example.com/api/v1/series?match%5B%5D=b&match%5B%5D=a&end=2&c=&start=1"),
    base("path_escaped_space", url="https://example.com/a%20b/c%24d", headers=["Content-Type: text/plain"]),
    base("path_dot_segments", url="https://example.com/a/./b/../c/"),
    base("path_double_slashes", url="https://example.com//x//y/"),
    base("path_empty", url="https://example.com", body=b"x"),
    base("http_custom_port", url="http://localhost:9090/api/v1/write", headers=RW + ["X-Scope-OrgID: tenant-1"]),
    base("https_default_port", url="https://example.com:443/api/v1/write"),
    base("http_default_port", url="http://example.com:80/api/v1/write"),
    base("header_spaces", headers=RW + ["X-Custom:   a   b  c  "]),
    base("header_repeated", headers=RW + ["X-Dup: 1", "X-Dup: 2", "x-dup: 3"]),
    base("sts_form", service="sts", url="https://sts.us-west-2.amazonaws.com/", region="us-west-2",
         headers=["Content-Type: application/x-www-form-urlencoded; charset=utf-8"],
         body=b"Action=AssumeRole&DurationSeconds=900&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&"
              b"RoleSessionName=s&Version=2011-06-15"),
    base("old_date_new_key", time=999999999999, ak="AKIAIOSFODNN7EXAMPLE", sk="secret/with+chars=",
         token="tok"),
]
got = run_flint(cases)
for c in cases:
    compare(c, got.get(c["name"], {}), c["ak"], c["sk"], c.get("token"), c["region"])

# ---- the credentials chain (sigv4_sign with a config block) ----
tmp = tempfile.mkdtemp(prefix="flint-sigv4-")
os.makedirs(tmp + "/.aws")
with open(tmp + "/.aws/credentials", "w") as f:
    f.write("[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = sdefault\n\n"
            "# a comment\n[team]\naws_access_key_id=AKIATEAM\naws_secret_access_key=steam\n"
            "aws_session_token = tteam\n")
with open(tmp + "/.aws/config", "w") as f:
    f.write("[default]\nregion = us-east-2\n[profile team]\nregion = eu-central-1\n")
chain = [
    ("chain_config_keys", {"region": "us-west-1", "access_key": "AKIACFG", "secret_key": "scfg"}, {},
     ("AKIACFG", "scfg", None, "us-west-1")),
    ("chain_env_keys", {"region": "us-west-1"},
     {"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "senv", "AWS_SESSION_TOKEN": "tenv"},
     ("AKIAENV", "senv", "tenv", "us-west-1")),
    ("chain_default_profile_region", {}, {"HOME": tmp}, ("AKIADEFAULT", "sdefault", None, "us-east-2")),
    ("chain_env_region", {}, {"HOME": tmp, "AWS_REGION": "sa-east-1"}, ("AKIADEFAULT", "sdefault", None, "sa-east-1")),
    ("chain_aws_profile", {}, {"HOME": tmp, "AWS_PROFILE": "team"}, ("AKIATEAM", "steam", "tteam", "eu-central-1")),
    ("chain_named_profile_beats_env", {"profile": "team"},
     {"HOME": tmp, "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "senv"},
     ("AKIATEAM", "steam", "tteam", "eu-central-1")),
    ("chain_files_from_env", {}, {"AWS_SHARED_CREDENTIALS_FILE": tmp + "/.aws/credentials",
                                  "AWS_CONFIG_FILE": tmp + "/.aws/config", "HOME": "/nonexistent"},
     ("AKIADEFAULT", "sdefault", None, "us-east-2")),
]
for name, cfg, env, (ak, sk, token, region) in chain:
    c = base(name, cfg=cfg or {"region": ""})
    if not cfg:
        c["cfg"] = {"profile": ""}  # an empty config block: everything from the chain
    g = run_flint([c], env).get(name, {})
    compare(c, g, ak, sk, token, region)

# errors name the cause
for name, cfg, env, want in [
    ("chain_no_credentials", {"region": "us-east-1"}, {"HOME": "/nonexistent"}, "could not get SigV4 credentials"),
    ("chain_no_region", {}, {"HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"},
     "region not configured"),
    ("chain_missing_profile", {"profile": "nope", "region": "us-east-1"}, {"HOME": tmp},
     "failed to get shared config profile, nope"),
]:
    c = base(name, cfg=cfg or {"profile": ""})
    g = run_flint([c], env).get(name, {})
    err = g.get("error", "")
    results.append((name, None if want in err else "want an error with %r, got %r" % (want, g)))


# ---- role_arn: AssumeRole against a fake STS on 127.0.0.1 ----
class FakeSTS(http.server.BaseHTTPRequestHandler):
    seen = []
    expiration = "2099-01-01T00:00:00Z"
    external_id = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        form = urllib.parse.parse_qs(body.decode())
        hdrs = [k + ": " + v for k, v in self.headers.items()
                if k.lower() in ("content-type",)]
        amz = self.headers.get("X-Amz-Date", "")
        t = datetime.datetime.strptime(amz, "%Y%m%dT%H%M%SZ") if amz else datetime.datetime(1970, 1, 1)
        ms = int((t - datetime.datetime(1970, 1, 1)).total_seconds() * 1000)
        url = "http://%s%s" % (self.headers["Host"], self.path)
        req = {"time": ms, "method": "POST", "url": url, "headers": hdrs, "body": body}
        want = boto_headers(req, "AKIABASE", "sbase", None, "us-east-1", "sts")
        ok = (self.headers.get("Authorization") == want["Authorization"] and form.get("Action") == ["AssumeRole"]
              and form.get("RoleArn") == ["arn:aws:iam::123456789012:role/prom"]
              and form.get("ExternalId") == FakeSTS.external_id)
        FakeSTS.seen.append(ok or ("got %r want %r form %r" % (self.headers.get("Authorization"), want, form)))
        if not ok:
            self.send_response(403)
            self.end_headers()
            self.wfile.write(b"<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
                             b"<Message>bad &amp; wrong</Message></Error></ErrorResponse>")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.end_headers()
        self.wfile.write(b"""<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/prom/s</Arn><AssumedRoleId>X:s</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIATEMP</AccessKeyId>
      <SecretAccessKey>stemp/&amp;+</SecretAccessKey>
      <SessionToken>FwoGZXIvYXdzEtemp&amp;token</SessionToken>
      <Expiration>%s</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe</RequestId></ResponseMetadata>
</AssumeRoleResponse>""" % FakeSTS.expiration.encode())

    def log_message(self, *a):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), FakeSTS)
threading.Thread(target=srv.serve_forever, daemon=True).start()
sts_env = {"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:%d" % srv.server_address[1], "HOME": "/nonexistent"}
c = base("role_arn_assume_role", cfg={"region": "us-east-1", "access_key": "AKIABASE", "secret_key": "sbase",
                                      "role_arn": "arn:aws:iam::123456789012:role/prom"})
g = run_flint([c], sts_env).get(c["name"], {})
compare(c, g, "ASIATEMP", "stemp/&+", "FwoGZXIvYXdzEtemp&token", "us-east-1")
results.append(("role_arn_sts_request_signed", None if FakeSTS.seen and FakeSTS.seen[0] is True
                else "fake STS saw %r" % FakeSTS.seen))
c = base("role_arn_sts_refuses", cfg={"region": "us-east-1", "access_key": "AKIAOTHER", "secret_key": "sbase",
                                      "role_arn": "arn:aws:iam::123456789012:role/prom"})
g = run_flint([c], sts_env).get(c["name"], {})
results.append((c["name"], None if "SignatureDoesNotMatch: bad & wrong" in g.get("error", "") else "got %r" % g))

# the caching signer: one AssumeRole for many requests while the
# credentials last; one per request once they are within 30 s of expiring
ROLE = {"region": "us-east-1", "access_key": "AKIABASE", "secret_key": "sbase",
        "role_arn": "arn:aws:iam::123456789012:role/prom"}
for name, expiration, n, want in [("signer_caches_credentials", "2099-01-01T00:00:00Z", 5, 1),
                                  ("signer_refreshes_expiring", "2023-11-14T22:13:40Z", 3, 3)]:
    FakeSTS.seen, FakeSTS.expiration = [], expiration
    c = base(name, cfg=ROLE, signer=n)
    g = run_flint([c], sts_env).get(name, {})
    compare(c, g, "ASIATEMP", "stemp/&+", "FwoGZXIvYXdzEtemp&token", "us-east-1")
    results.append((name + "_sts_calls", None if len(FakeSTS.seen) == want and all(x is True for x in FakeSTS.seen)
                    else "want %d good AssumeRole calls, got %r" % (want, FakeSTS.seen)))
FakeSTS.seen, FakeSTS.expiration, FakeSTS.external_id = [], "2099-01-01T00:00:00Z", ["ext-42/x=y"]
c = base("role_arn_external_id", cfg=dict(ROLE, external_id="ext-42/x=y"))
g = run_flint([c], sts_env).get(c["name"], {})
compare(c, g, "ASIATEMP", "stemp/&+", "FwoGZXIvYXdzEtemp&token", "us-east-1")
results.append(("role_arn_external_id_sent", None if FakeSTS.seen == [True] else "fake STS saw %r" % FakeSTS.seen))
srv.shutdown()

passed = failed = 0
for name, why in results:
    if why is None:
        print("ok", name)
        passed += 1
    else:
        print("not ok %s: %s" % (name, why))
        failed += 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
