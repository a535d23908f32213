"""Audit trail and operations (SPEC §7, §9, §10, §11; issue 5): the headers
on every NATS message, the signed identity checked with the served JWKS by
the project's C verifier, metrics, readiness, access logs and SIGTERM.

Real parts only: `postern dev-idp` tokens, nats-server, the example schema
and policy, and tests/responders/verify_identity.c (built as
verify-identity) for the JWS checks.
"""
import base64
import datetime
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import harness

POLICY = os.path.join(harness.SOURCE_DIR, "policy", "examples", "policy.yaml")
VERIFY = os.path.join(harness.BUILD_DIR, "verify-identity")
INSTANCE = "audit-test-1"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_TRACEPARENT = "00-%s-00f067aa0ba902b7-01" % TRACE_ID

IDP = None
TMP = None
TOKENS = {}


def setUpModule():
    global IDP, TMP
    TMP = tempfile.mkdtemp(prefix="postern-audit-")
    IDP = harness.DevIdp(TMP)
    try:
        IDP.start()
        writer = {"tenant": "acme", "groups": '["staff"]', "azp": "web",
                  "realm_access": '{"roles":["orders:write"]}'}
        TOKENS["writer"] = IDP.mint("wendy", ["%s=%s" % kv for kv in writer.items()])
        TOKENS["viewer"] = IDP.mint("alice", ['groups=["staff"]'])
    except Exception:
        tearDownModule()
        raise


def tearDownModule():
    code = IDP.stop() if IDP else 0
    logs = IDP.logs() if IDP else ""
    if TMP:
        shutil.rmtree(TMP, ignore_errors=True)
    harness.check_clean_exit(code, logs)


def config(extra=""):
    return ("oidc:\n  issuers:\n    - issuer: %s\n      discovery: true\n"
            "      audiences: [orders-api]\n"
            "policy: %s\ninstance_id: %s\nforward_headers: [X-Tenant-ID]\n%s"
            % (IDP.issuer, POLICY, INSTANCE, extra))


def order(oid):
    return {"id": oid, "status": "OPEN", "total": 1.5, "items": []}


def rfc3339_ms(text):
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text), text
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def metrics_of(postern):
    status, _, body = harness.http_call(postern.admin_port, "GET", "/metrics")
    assert status == 200, status
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


class AuditServer(unittest.TestCase):
    """postern with the example schema and policy, trusting the module's
    dev-idp; responders on orders.*; a recorder of every message."""

    EXTRA = ""

    @classmethod
    def setUpClass(cls):
        cls.nats = harness.NatsServer().start()
        cls.nc = harness.NatsClient(cls.nats.url)
        cls.seen = harness.Recorder(cls.nc, ">")
        harness.responder(cls.nc, "orders.get.*", cls.on_get)
        harness.responder(cls.nc, "orders.place.*", lambda m: order("p1"))
        harness.responder(cls.nc, "orders.list", lambda m: [order("l1")])
        cls.postern = harness.Postern(cls.nats.url, auth=config(cls.EXTRA))
        try:
            cls.postern.start()
            harness.wait_ready(cls.postern)
        except Exception:
            print(cls.postern.logs())
            cls.tearDownClass()
            raise

    @staticmethod
    def on_get(m):
        oid = m.subject.split(".")[2]
        if oid == "silent":
            return None  # never answers: TIMEOUT
        return order(oid)

    @classmethod
    def tearDownClass(cls):
        harness.stop_fixtures(cls)

    def gql(self, who, query, variables=None, headers=None):
        h = {"Authorization": "Bearer " + TOKENS[who]} if who else {}
        h.update(headers or {})
        return self.postern.graphql(query, variables, headers=h)

    def sent(self, subject, fn):
        """Runs fn(); returns (its result, the one message on subject)."""
        before = len(self.seen.msgs)
        result = fn()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with self.seen.cond:
                msgs = [m for m in self.seen.msgs[before:] if m.subject == subject]
            if msgs:
                return result, msgs[0]
            time.sleep(0.02)
        self.fail("no message on %s" % subject)

    def jwks_file(self):
        status, headers, body = harness.http_call(self.postern.admin_port, "GET",
                                                  "/.well-known/jwks.json")
        self.assertEqual(status, 200)
        self.assertIn("json", headers["content-type"])
        path = os.path.join(self.postern.dir, "jwks.json")
        with open(path, "wb") as f:
            f.write(body)
        return path, json.loads(body)

    def verify(self, token, subject, body, now=None):
        """Runs the C verifier; (exit code, its output)."""
        path = os.path.join(self.postern.dir, "body.bin")
        with open(path, "wb") as f:
            f.write(body)
        args = [VERIFY, self.jwks_file()[0], token, subject, path]
        if now is not None:
            args.append(str(now))
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        return p.returncode, p.stdout.decode()

    def check_common(self, msg, field, operation, rule, tags, timeout_ms):
        h = msg.headers
        for name, value in h.items():
            self.assertIsInstance(value, str, "header %s repeated: %r" % (name, value))
        self.assertEqual(h["X-Correlation-ID"], "corr-audit-1")
        tp = h["traceparent"].split("-")
        self.assertEqual((tp[0], tp[1], tp[3]), ("00", TRACE_ID, "01"))
        self.assertNotEqual(tp[2], "00f067aa0ba902b7")  # a new span per message
        self.assertEqual(h["tracestate"], "vendor=abc")
        self.assertEqual(h["Postern-Sub"], "wendy")
        self.assertEqual(h["Postern-Iss"], IDP.issuer)
        self.assertEqual(h["Postern-Client"], "web")
        self.assertEqual(h["Postern-Roles"], "orders-writer,viewer")
        self.assertEqual(h["Postern-Operation"], operation)
        self.assertEqual(h["Postern-Field"], field)
        self.assertEqual(h["Postern-Rule"], rule)
        self.assertEqual(h["Postern-Audit-Tags"], tags)
        self.assertEqual(h["Postern-Instance"], INSTANCE)
        self.assertEqual(h["X-Tenant-ID"], "acme")  # forward_headers
        t0, t1 = rfc3339_ms(h["Postern-Time"]), rfc3339_ms(h["Postern-Deadline"])
        self.assertEqual((t1 - t0).total_seconds() * 1000, timeout_ms)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((now - t0).total_seconds()), 30)
        # forged client headers never pass; the token is never on a message
        self.assertNotIn("Authorization", h)
        self.assertNotIn("Postern-Forged", h)
        for name, value in h.items():
            self.assertNotIn(TOKENS["writer"], value)
            self.assertNotIn("mallory", value)
        self.assertNotIn(TOKENS["writer"].encode(), msg.data)
        # the identity verifies against the served key, this subject and body
        tok = h["Postern-Identity"]
        code, out = self.verify(tok, msg.subject, msg.data)
        self.assertEqual(code, 0, out)
        claims = b64url_json(tok.split(".")[1])
        self.assertEqual(b64url_json(tok.split(".")[0])["alg"], self.ALG)
        self.assertEqual(claims["iss"], INSTANCE)
        self.assertEqual(claims["sub"], "wendy")
        self.assertEqual(claims["roles"], ["orders-writer", "viewer"])
        self.assertEqual(claims["corr"], "corr-audit-1")
        self.assertEqual(claims["subj"], msg.subject)
        self.assertEqual(claims["iat"], int(t0.timestamp()))
        self.assertEqual(claims["exp"], -(-int(t1.timestamp() * 1000) // 1000))
        self.assertTrue(re.fullmatch(r"[A-Za-z0-9_-]{22}", claims["jti"]), claims)
        self.assertEqual(claims["bh"], b64url(hashlib.sha256(msg.data).digest()))
        return claims

    FORGED = {"X-Correlation-ID": "corr-audit-1", "traceparent": CLIENT_TRACEPARENT,
              "tracestate": "vendor=abc", "X-Tenant-ID": "acme", "Postern-Sub": "mallory",
              "Postern-Roles": "admin-mallory", "Postern-Identity": "mallory.forged.jws",
              "Postern-Forged": "mallory", "Postern-Rule": "mallory:>"}


class Headers(AuditServer):
    ALG = "ES256"

    def test_query_headers(self):
        (status, rh, body), msg = self.sent("orders.get.7", lambda: self.gql(
            "writer", 'query GetOrder { order(id: "7") { id } }', headers=self.FORGED))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"order": {"id": "7"}}})
        self.assertEqual(rh["x-correlation-id"], "corr-audit-1")
        self.check_common(msg, "Query.order", "query GetOrder", "orders-writer:orders.get.*",
                          "data-class=pii", 1000)
        self.assertEqual(msg.json(), {"id": "7"})

    def test_mutation_headers(self):
        q = 'mutation Place { placeOrder(input: {sku: "lamp"}) { id } }'
        (status, _, body), msg = self.sent("orders.place.acme", lambda: self.gql(
            "writer", q, headers=self.FORGED))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"placeOrder": {"id": "p1"}}})
        self.check_common(msg, "Mutation.placeOrder", "mutation Place",
                          "orders-writer:orders.place.{{ claims.tenant }}", "data-class=pii", 2000)

    def test_publish_headers(self):
        q = 'mutation { notify(channel: "ops", text: "hi") }'
        (status, _, body), msg = self.sent("notify.ops", lambda: self.gql(
            "writer", q, headers=self.FORGED))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"notify": True}})
        self.assertIsNone(msg.reply)
        self.check_common(msg, "Mutation.notify", "mutation", "orders-writer:notify.*",
                          "data-class=pii", 2000)
        self.assertEqual(msg.json(), {"channel": "ops", "text": "hi"})

    def test_identity_tampering_fails(self):
        (_, _, body), msg = self.sent("orders.get.8", lambda: self.gql(
            "writer", '{ order(id: "8") { id } }'))
        tok = msg.headers["Postern-Identity"]
        claims = b64url_json(tok.split(".")[1])
        self.assertEqual(self.verify(tok, "orders.get.8", msg.data)[0], 0)
        code, out = self.verify(tok, "orders.get.8", b'{"id":"9"}')
        self.assertEqual(code, 1, out)
        self.assertIn("bh", out)
        code, out = self.verify(tok, "orders.get.9", msg.data)
        self.assertEqual(code, 1, out)
        self.assertIn("subj", out)
        code, out = self.verify(tok, "orders.get.8", msg.data, now=claims["exp"])
        self.assertEqual(code, 1, out)
        self.assertIn("expired", out)
        self.assertEqual(self.verify(tok, "orders.get.8", msg.data, now=claims["exp"] - 1)[0], 0)
        head, _, sig = tok.split(".")
        for name, value in [("sub", "mallory"), ("roles", ["orders-writer", "viewer", "admin"]),
                            ("exp", claims["exp"] + 3600), ("corr", "other"), ("iss", "x"),
                            ("jti", "again")]:
            forged = dict(claims, **{name: value})
            payload = b64url(json.dumps(forged, separators=(",", ":")).encode())
            code, out = self.verify("%s.%s.%s" % (head, payload, sig), "orders.get.8", msg.data)
            self.assertEqual(code, 1, "changed %s still verifies: %s" % (name, out))
            self.assertIn("signature", out)
        _, keys = self.jwks_file()
        self.assertEqual(len(keys["keys"]), 1)
        key = keys["keys"][0]
        self.assertEqual((key["alg"], key["use"]), (self.ALG, "sig"))
        self.assertEqual(b64url_json(head)["kid"], key["kid"])
        self.assertNotIn("d", key)  # never the private part

    def test_every_message_is_signed_differently(self):
        (_, _, _), a = self.sent("orders.get.10", lambda: self.gql(
            "viewer", '{ order(id: "10") { id } }'))
        (_, _, _), b = self.sent("orders.get.10", lambda: self.gql(
            "viewer", '{ order(id: "10") { id } }'))
        ca = b64url_json(a.headers["Postern-Identity"].split(".")[1])
        cb = b64url_json(b.headers["Postern-Identity"].split(".")[1])
        self.assertNotEqual(ca["jti"], cb["jti"])
        self.assertEqual(ca["roles"], ["viewer"])
        self.assertEqual(a.headers["Postern-Roles"], "viewer")
        self.assertEqual(a.headers["Postern-Rule"], "viewer:orders.get.*")
        self.assertNotIn("Postern-Audit-Tags", a.headers)  # viewer has no tags
        self.assertNotIn("Postern-Client", a.headers)  # no azp in alice's token

    def test_metrics_move(self):
        m0 = metrics_of(self.postern)
        ok = 'postern_http_requests_total{status="200"}'
        self.assertEqual(self.gql("viewer", '{ order(id: "m1") { id } }')[0], 200)
        m1 = metrics_of(self.postern)
        self.assertEqual(m1[ok] - m0[ok], 1)
        self.assertEqual(m1['postern_nats_messages_total{outcome="ok"}']
                         - m0['postern_nats_messages_total{outcome="ok"}'], 1)
        self.assertEqual(m1["postern_http_request_duration_seconds_count"]
                         - m0["postern_http_request_duration_seconds_count"], 1)
        self.assertGreaterEqual(m1['postern_http_request_duration_seconds_bucket{le="+Inf"}'],
                                m1['postern_http_request_duration_seconds_bucket{le="0.1"}'])
        # authentication failures, by reason
        bad = TOKENS["viewer"][:-4] + ("AAAA" if not TOKENS["viewer"].endswith("AAAA") else "BBBB")
        st, _, _ = self.postern.graphql('{ order(id: "1") { id } }',
                                        headers={"Authorization": "Bearer " + bad})
        self.assertEqual(st, 401)
        st, _, _ = self.postern.graphql('{ order(id: "1") { id } }')
        self.assertEqual(st, 401)
        m2 = metrics_of(self.postern)
        sig = 'postern_auth_failures_total{reason="bad_signature"}'
        miss = 'postern_auth_failures_total{reason="missing"}'
        self.assertEqual(m2[sig] - m1[sig], 1)
        self.assertEqual(m2[miss] - m1[miss], 1)
        u = 'postern_http_requests_total{status="401"}'
        self.assertEqual(m2[u] - m1[u], 2)
        # a policy denial: viewers may not place orders
        st, _, body = self.gql("viewer", 'mutation { placeOrder(input: {sku: "x"}) { id } }')
        self.assertEqual(st, 200, body)
        self.assertEqual(body["errors"][0]["extensions"]["code"], "FORBIDDEN")
        m3 = metrics_of(self.postern)
        d = 'postern_policy_denials_total{kind="field"}'
        self.assertEqual(m3[d] - m2[d], 1)
        # a timeout (after the query's retries)
        st, _, body = self.gql("viewer", '{ order(id: "silent") { id } }')
        self.assertEqual(body["errors"][0]["extensions"]["code"], "TIMEOUT", body)
        m4 = metrics_of(self.postern)
        t = 'postern_nats_messages_total{outcome="timeout"}'
        self.assertEqual(m4[t] - m3[t], 1)
        self.assertGreaterEqual(m4["postern_nats_requests_sent_total"]
                                - m3["postern_nats_requests_sent_total"], 3)  # retried
        self.assertEqual(m4["postern_nats_connected"], 1)
        self.assertEqual(m4["postern_active_subscriptions"], 0)
        self.assertGreaterEqual(m4['postern_jwks_refreshes_total{result="ok"}'], 1)
        self.assertIn('postern_policy_reloads_total{result="failed"}', m4)

    def test_metrics_format(self):
        status, headers, body = harness.http_call(self.postern.admin_port, "GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        typed = set()
        for line in body.decode().splitlines():
            if line.startswith("# TYPE "):
                typed.add(line.split()[2])
                continue
            if line.startswith("#"):
                continue
            self.assertRegex(line, r'^[a-z_]+(\{[a-z_]+="[^"]*"\})? [0-9.]+$')
            name = re.match(r"[a-z_]+", line).group(0)
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            self.assertTrue(name in typed or base in typed, line)
        for name in ["postern_http_requests_total", "postern_http_request_duration_seconds",
                     "postern_nats_messages_total", "postern_auth_failures_total",
                     "postern_policy_denials_total", "postern_policy_reloads_total",
                     "postern_jwks_refreshes_total", "postern_active_subscriptions",
                     "postern_nats_connected"]:
            self.assertIn(name, typed)

    def test_zz_logs_are_json_without_secrets(self):
        self.gql("writer", 'query Audit { order(id: "log1") { id } search: orders { id } }',
                 headers={"X-Correlation-ID": "corr-log-1"})
        self.gql("viewer", 'mutation M { placeOrder(input: {sku: "x"}) { id } }',
                 headers={"X-Correlation-ID": "corr-log-2"})
        time.sleep(0.2)
        access = {}
        for line in self.postern.logs().splitlines():
            rec = json.loads(line)  # every line is one JSON object
            self.assertIn("time", rec)
            for tok in TOKENS.values():
                self.assertNotIn(tok, line)
                self.assertNotIn(tok.split(".")[2], line)
            self.assertNotIn('"sku"', line)  # no message body
            if rec.get("msg") == "access":
                access[rec["corr"]] = rec
        rec = access["corr-log-1"]
        self.assertEqual((rec["sub"], rec["iss"], rec["client"]), ("wendy", IDP.issuer, "web"))
        self.assertEqual(rec["roles"], ["orders-writer", "viewer"])
        self.assertEqual(rec["operation"], "query Audit")
        self.assertEqual(rec["status"], 200)
        self.assertIsInstance(rec["ms"], int)
        self.assertEqual([f["coordinate"] for f in rec["fields"]], ["Query.order", "Query.orders"])
        f0 = rec["fields"][0]
        self.assertEqual((f0["subject"], f0["decision"], f0["rule"], f0["outcome"]),
                         ("orders.get.log1", "allow", "orders-writer:orders.get.*", "ok"))
        self.assertIsInstance(f0["ms"], int)
        rec = access["corr-log-2"]
        self.assertEqual(rec["roles"], ["viewer"])
        f0 = rec["fields"][0]
        self.assertEqual((f0["coordinate"], f0["decision"], f0["outcome"]),
                         ("Mutation.placeOrder", "deny", "denied"))
        self.assertIsNone(f0["subject"])


class RsaKeyFromFile(AuditServer):
    """identity.signing_key + RS256: the key file's key signs; the served
    JWKS verifies."""
    ALG = "RS256"

    @classmethod
    def setUpClass(cls):
        cls.key_path = os.path.join(TMP, "identity-rsa.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", cls.key_path], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        cls.EXTRA = "identity: {signing_key: %s, algorithm: RS256}\n" % cls.key_path
        super().setUpClass()

    def test_rs256_identity(self):
        (status, _, body), msg = self.sent("orders.get.r1", lambda: self.gql(
            "writer", 'query GetOrder { order(id: "r1") { id } }', headers=self.FORGED))
        self.assertEqual(status, 200, body)
        self.check_common(msg, "Query.order", "query GetOrder", "orders-writer:orders.get.*",
                          "data-class=pii", 1000)
        # the served key is the file's public key
        pub = subprocess.run(["openssl", "pkey", "-in", self.key_path, "-noout", "-text_pub"],
                             stdout=subprocess.PIPE, check=True, timeout=20).stdout.decode()
        modulus = int("".join(re.search(r"Modulus:\s*([0-9a-f:\s]+)Exponent", pub).group(1)
                              .split()).replace(":", ""), 16)
        n = self.jwks_file()[1]["keys"][0]["n"]
        self.assertEqual(int.from_bytes(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)),
                                        "big"), modulus)


class ExampleResponder(unittest.TestCase):
    """deploy/example-service's responder verifies Postern-Identity with
    postern's served JWKS and logs who called; it refuses forged messages."""

    def start_responder(self, nats_url, args, env=None):
        log = os.path.join(TMP, "responder-%d.log" % len(os.listdir(TMP)))
        out = open(log, "wb")
        proc = subprocess.Popen([os.path.join(harness.BUILD_DIR, "example-responder")] + args
                                + [nats_url], stdout=out, stderr=subprocess.STDOUT,
                                env=dict(os.environ, **(env or {})))
        out.close()
        return proc, log

    def wait_log(self, path, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(path, "rb") as f:
                data = f.read().decode("utf-8", "replace")
            if text in data:
                return data
            time.sleep(0.05)
        self.fail("%r not in the responder's log:\n%s" % (text, data))

    def test_verifies_and_logs_the_caller(self):
        nats = harness.NatsServer().start()
        nc = harness.NatsClient(nats.url)
        postern = harness.Postern(nats.url, auth=config())
        replies = harness.Recorder(nc, "_INBOX.audit.>")
        seen = harness.Recorder(nc, "orders.get.*")
        procs = []
        try:
            postern.start()
            url = "http://127.0.0.1:%d/.well-known/jwks.json" % postern.admin_port
            proc, log = self.start_responder(nats.url, ["--jwks", url])
            procs.append(proc)
            self.wait_log(log, "serving on")
            harness.wait_ready(postern)
            status, _, body = postern.graphql('{ order(id: "42") { id } }', headers={
                "Authorization": "Bearer " + TOKENS["viewer"], "X-Correlation-ID": "corr-ex-1"})
            self.assertEqual(status, 200, body)
            self.assertEqual(body, {"data": {"order": {"id": "42"}}})
            lines = self.wait_log(log, "corr-ex-1")
            rec = [json.loads(l) for l in lines.splitlines() if "corr-ex-1" in l][0]
            self.assertEqual(rec["caller"], {"sub": "alice", "roles": "viewer",
                                             "postern": INSTANCE})
            self.assertEqual(seen.wait_count(1), 1)
            real = seen.msgs[0]
            # replayed onto another subject, or with no identity: refused
            for i, headers in enumerate([dict(real.headers), {"X-Correlation-ID": "corr-ex-2"}]):
                nc.publish("orders.get.43", real.data, reply="_INBOX.audit.%d" % i,
                           headers=headers)
            self.assertEqual(replies.wait_count(2), 2)
            for m in replies.msgs:
                self.assertEqual(m.headers.get("Nats-Service-Error-Code"), "401", m.headers)
            self.wait_log(log, "no Postern-Identity header")
            self.wait_log(log, "subj does not match")
            # without a JWKS URL verification is off, and it says so
            proc2, log2 = self.start_responder(nats.url, [], env={"POSTERN_JWKS_URL": ""})
            procs.append(proc2)
            self.wait_log(log2, "identity verification is off")
        finally:
            codes = [harness.stop_process(p) for p in procs]
            code = postern.stop()
            logs = postern.logs()
            postern.cleanup()
            nc.close()
            nats.stop()
        self.assertEqual(codes, [0] * len(procs))
        harness.check_clean_exit(code, logs)


class IdentityConfig(unittest.TestCase):
    """`postern check` refuses identity settings postern cannot sign with,
    with the reason; a good key file passes."""

    def check(self, identity):
        nats = "nats://127.0.0.1:4222"
        p = harness.Postern(nats, auth=config("identity: %s\n" % identity))
        try:
            r = subprocess.run([harness.POSTERN, "check", "-c", p.config_path],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
            return r.returncode, (r.stdout + r.stderr).decode()
        finally:
            p.cleanup()

    def test_identity_settings(self):
        ec = os.path.join(TMP, "identity-ec.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out", ec], check=True, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        code, out = self.check("{signing_key: %s}" % ec)
        self.assertEqual(code, 0, out)
        code, out = self.check("{signing_key: %s, algorithm: RS256}" % ec)
        self.assertEqual(code, 1, out)
        self.assertIn("RS256 needs an RSA key", out)
        code, out = self.check("{algorithm: ES384}")
        self.assertEqual(code, 1, out)
        self.assertIn("identity.algorithm", out)
        code, out = self.check("{signing_key: %s}" % POLICY)  # not a key
        self.assertEqual(code, 1, out)
        self.assertIn("no PEM private key", out)
        code, out = self.check("{signing_key: %s}" % os.path.join(TMP, "missing.pem"))
        self.assertEqual(code, 1, out)


class Readiness(unittest.TestCase):
    """/readyz follows the NATS connection: 503 with a reason while
    nats-server is down, 200 once it is back on the same port."""

    def test_readyz_follows_nats(self):
        nats = harness.NatsServer().start()
        postern = harness.Postern(nats.url, auth=config())
        try:
            postern.start()
            harness.wait_ready(postern)
            status, _, body = harness.http_call(postern.admin_port, "GET", "/healthz")
            self.assertEqual(status, 200)
            nats.stop()
            deadline, last = time.monotonic() + 10, None
            while time.monotonic() < deadline:
                last = harness.http_call(postern.admin_port, "GET", "/readyz")
                if last[0] == 503:
                    break
                time.sleep(0.05)
            self.assertEqual(last[0], 503, last)
            reasons = json.loads(last[2])["reasons"]
            self.assertTrue(any("nats" in r for r in reasons), reasons)
            self.assertEqual(metrics_of(postern)["postern_nats_connected"], 0)
            self.assertEqual(harness.http_call(postern.admin_port, "GET", "/healthz")[0], 200)
            nats = harness.NatsServer(port=nats.port).start()
            harness.wait_ready(postern, timeout=15)
            self.assertEqual(metrics_of(postern)["postern_nats_connected"], 1)
        finally:
            code = postern.stop()
            logs = postern.logs()
            postern.cleanup()
            nats.stop()
        harness.check_clean_exit(code, logs)


class Shutdown(unittest.TestCase):
    """SIGTERM under load: requests in flight finish, every answer is whole,
    postern exits 0."""

    def test_sigterm_under_load(self):
        nats = harness.NatsServer().start()
        nc = harness.NatsClient(nats.url)

        def slow(m):
            time.sleep(0.3)
            return order(m.subject.split(".")[2])

        harness.responder(nc, "orders.get.*", slow)
        postern = harness.Postern(nats.url, auth=config())
        results = []
        lock = threading.Lock()
        stop = threading.Event()

        def client(n):
            conn = None
            i = 0
            while not stop.is_set():
                i += 1
                oid = "c%d-%d" % (n, i)
                sent = None
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", postern.port, timeout=10)
                    conn.request("POST", "/graphql", body=json.dumps(
                        {"query": '{ order(id: "%s") { id } }' % oid}), headers={
                        "Content-Type": "application/json",
                        "Authorization": "Bearer " + TOKENS["viewer"]})
                    sent = time.monotonic()
                    resp = conn.getresponse()
                    data = resp.read()
                    out = (sent, resp.status, data, oid)
                except (OSError, http.client.HTTPException) as e:
                    out = (sent, None, repr(e), oid)
                    if conn:
                        conn.close()
                    conn = None
                    if sent is None:
                        time.sleep(0.01)
                with lock:
                    results.append(out)
            if conn:
                conn.close()

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(8)]
        try:
            postern.start()
            harness.wait_ready(postern)
            for t in threads:
                t.start()
            time.sleep(1.0)
            term = time.monotonic()
            postern.proc.send_signal(signal.SIGTERM)
            code = postern.proc.wait(20)
            stop.set()
            for t in threads:
                t.join(15)
        finally:
            stop.set()
            logs = postern.logs()
            postern.cleanup()
            nc.close()
            nats.stop()
        harness.check_clean_exit(code, logs)
        answered = [r for r in results if r[1] is not None]
        in_flight = [r for r in results if r[0] is not None and r[0] < term - 0.05]
        self.assertGreater(len(answered), 8)
        for sent, status, data, oid in answered:
            self.assertEqual(status, 200, data)
            self.assertEqual(json.loads(data), {"data": {"order": {"id": oid}}})
        lost = [r for r in in_flight if r[1] is None]
        self.assertEqual(lost, [], "requests sent before SIGTERM got no answer")
        self.assertTrue(any(r[0] is not None and r[0] > term - 0.2 and r[1] == 200
                            for r in results), "no request was in flight at SIGTERM")


if __name__ == "__main__":
    harness.main()
