"""End to end against a real third-party OpenID provider: the npm package
`oidc-provider` (tests/integration/oidc/provider.mjs, versions pinned by its
package-lock.json) issues JWT access tokens with the client_credentials
grant and resource indicators; postern finds its keys by discovery, accepts
those tokens and refuses tampered copies, sending nothing to NATS then.

Needs node >= 18.12 and npm; `npm ci` runs in tests/integration/oidc when
node_modules is missing. When that cannot work the test is skipped with the
reason, or fails instead when POSTERN_REQUIRE_OIDC_PROVIDER=1 (for CI)."""
import base64
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import harness
from test_auth import CHALLENGE, SCHEMA, b64u, b64u_decode, b64u_json, invalid_challenge

OIDC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oidc")
CLIENT_ID, CLIENT_SECRET = "postern-test", "postern-test-secret"
RS256_RESOURCE = "urn:postern:orders-api"
ES256_RESOURCE = "urn:postern:orders-api:es256"
BILLING_RESOURCE = "urn:postern:billing-api"
NPM_CI_TIMEOUT = 180


class Unavailable(Exception):
    pass


def _node_ok():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise Unavailable("node or npm is not on PATH (node=%s, npm=%s)" % (node, npm))
    out = subprocess.run([node, "--version"], stdout=subprocess.PIPE, timeout=20).stdout.decode()
    m = re.match(r"v(\d+)\.(\d+)", out.strip())
    if not m or (int(m.group(1)), int(m.group(2))) < (18, 12):
        raise Unavailable("oidc-provider 8 needs node >= 18.12; found %r" % out.strip())
    return node, npm


def _npm_ci(npm):
    """Installs the locked packages once; a lock file serializes parallel runs."""
    marker = os.path.join(OIDC_DIR, "node_modules", "oidc-provider", "package.json")
    with open(os.path.join(tempfile.gettempdir(), "postern-oidc-npm.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(marker):
            return
        try:
            p = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                               cwd=OIDC_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=NPM_CI_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Unavailable("`npm ci` in %s did not finish within %ds (npm registry "
                              "unreachable?)" % (OIDC_DIR, NPM_CI_TIMEOUT))
        if p.returncode != 0 or not os.path.exists(marker):
            tail = p.stdout.decode("utf-8", "replace").strip().splitlines()[-8:]
            raise Unavailable("`npm ci` in %s failed (exit %d): %s"
                              % (OIDC_DIR, p.returncode, " | ".join(tail)))


class Provider:
    """node provider.mjs PORT, started and stopped by PID."""

    def __init__(self, node, dir):
        self.node = node
        self.port = harness.free_port()
        self.log_path = os.path.join(dir, "provider.log")
        self.proc = None

    @property
    def issuer(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=30):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.node, "provider.mjs", str(self.port)], cwd=OIDC_DIR,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while "listening " + self.issuer not in self.logs():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise Unavailable("oidc-provider did not start (exit %s): %s"
                                  % (self.proc.poll(), self.logs()[-1500:]))
            time.sleep(0.05)
        return self

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def token(self, resource, client_secret=CLIENT_SECRET):
        """client_credentials grant; returns (HTTP status, JSON answer)."""
        body = urllib.parse.urlencode({"grant_type": "client_credentials",
                                       "scope": "orders:read", "resource": resource}).encode()
        basic = base64.b64encode(("%s:%s" % (CLIENT_ID, client_secret)).encode()).decode()
        req = urllib.request.Request(self.issuer + "/token", data=body, method="POST", headers={
            "Authorization": "Basic " + basic,
            "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def stop(self):
        code = None
        if self.proc:
            code = harness.stop_process(self.proc)
            self.proc = None
            self.log.close()
        return code


class OidcProviderEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="postern-oidc-")
        cls.nats = cls.nc = cls.provider = cls.postern = cls.skip_reason = None
        try:
            try:
                node, npm = _node_ok()
                _npm_ci(npm)
                cls.provider = Provider(node, cls.dir).start()
            except Unavailable as e:
                if os.environ.get("POSTERN_REQUIRE_OIDC_PROVIDER") == "1":
                    raise AssertionError(str(e))
                cls.skip_reason = str(e)  # each test reports it (setUp)
                cls.tearDownClass()
                return
            cls.nats = harness.NatsServer().start()
            cls.nc = harness.NatsClient(cls.nats.url)
            cls.rec = harness.Recorder(cls.nc, ">")
            harness.responder(cls.nc, "authz.whoami", lambda m: {
                "sub": m.headers.get("Postern-Sub"), "iss": m.headers.get("Postern-Iss"),
                "client": m.headers.get("Postern-Client")})
            harness.responder(cls.nc, "authz.order.*",
                              lambda m: {"id": m.subject.split(".", 2)[2]})
            auth = ("oidc:\n"
                    "  issuers:\n"
                    "    - issuer: %s\n"
                    "      discovery: true\n"
                    "      audiences: [orders-api]\n"
                    "      algorithms: [RS256, ES256]\n"
                    "      jwks_min_refetch: 1s\n"
                    "log: {level: debug}\n" % cls.provider.issuer)
            cls.postern = harness.Postern(cls.nats.url, schema_text=SCHEMA, auth=auth)
            cls.postern.start()
            harness.wait_ready(cls.postern)
        except BaseException:
            if cls.postern:
                print(cls.postern.logs())
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        problems = []
        if cls.postern:
            code = cls.postern.stop()
            logs = cls.postern.logs()
            cls.postern.cleanup()
            cls.postern = None
            try:
                harness.check_clean_exit(code, logs)
            except AssertionError as e:
                problems.append(str(e))
        if cls.provider:
            cls.provider.stop()
            cls.provider = None
        if cls.nc:
            cls.nc.close()
        if cls.nats:
            cls.nats.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)
        if problems:
            raise AssertionError("\n".join(problems))

    def setUp(self):
        if self.skip_reason:
            self.skipTest(self.skip_reason)

    def access_token(self, resource=RS256_RESOURCE):
        status, answer = self.provider.token(resource)
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["token_type"], "Bearer")
        return answer["access_token"]

    def whoami(self, token):
        status, _, body = self.postern.graphql("{ whoami { sub iss client } }",
                                               headers={"Authorization": "Bearer " + token})
        self.assertEqual(status, 200, body)
        return body["data"]["whoami"]

    def assert_refused(self, token, reason):
        oid = "refused-%d" % time.monotonic_ns()
        status, rh, body = self.postern.graphql('{ order(id: "%s") { id } }' % oid,
                                                headers={"Authorization": "Bearer " + token})
        self.assertEqual(status, 401, body)
        self.assertEqual(rh.get("www-authenticate"),
                         CHALLENGE if reason is None else invalid_challenge(reason))
        self.assertEqual(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", body)
        # barrier: a valid request on postern's NATS connection, seen after
        # anything postern sent before it
        good = "sentinel-%d" % time.monotonic_ns()
        status, _, body = self.postern.graphql(
            '{ order(id: "%s") { id } }' % good,
            headers={"Authorization": "Bearer " + self.access_token()})
        self.assertEqual(status, 200, body)
        deadline = time.monotonic() + 5
        while not any(m.subject == "authz.order." + good for m in list(self.rec.msgs)):
            self.assertLess(time.monotonic(), deadline, "barrier request never reached NATS")
            time.sleep(0.01)
        self.assertFalse([m for m in self.rec.msgs if m.subject == "authz.order." + oid])

    def test_rs256_access_token_accepted(self):
        tok = self.access_token(RS256_RESOURCE)
        header = json.loads(b64u_decode(tok.split(".")[0]))
        self.assertEqual((header["alg"], header["typ"]), ("RS256", "at+jwt"))
        self.assertEqual(self.whoami(tok), {"sub": CLIENT_ID, "iss": self.provider.issuer,
                                            "client": CLIENT_ID})
        msg = [m for m in self.rec.msgs if m.subject == "authz.whoami"][-1]
        self.assertEqual(msg.headers["Postern-Iss"], self.provider.issuer)
        for part in tok.split("."):
            self.assertNotIn(part, json.dumps(msg.headers))
            self.assertNotIn(part.encode(), msg.data)

    def test_es256_access_token_accepted(self):
        tok = self.access_token(ES256_RESOURCE)
        self.assertEqual(json.loads(b64u_decode(tok.split(".")[0]))["alg"], "ES256")
        self.assertEqual(self.whoami(tok)["sub"], CLIENT_ID)

    def test_tampered_tokens_refused(self):
        for resource in (RS256_RESOURCE, ES256_RESOURCE):
            h, p, s = self.access_token(resource).split(".")
            claims = json.loads(b64u_decode(p))
            forged = dict(claims, sub="admin")
            self.assert_refused(h + "." + b64u_json(forged) + "." + s, "bad_signature")
            sig = bytearray(b64u_decode(s))
            sig[len(sig) // 2] ^= 0x01
            self.assert_refused(h + "." + p + "." + b64u(bytes(sig)), "bad_signature")
            longer = dict(claims, exp=claims["exp"] + 86400)
            self.assert_refused(h + "." + b64u_json(longer) + "." + s, "bad_signature")
            none = b64u_json({"alg": "none", "typ": "at+jwt"})
            self.assert_refused(none + "." + b64u_json(forged) + ".", "bad_algorithm")
        logs = self.postern.logs()
        self.assertIn("authentication refused: bad_signature", logs)

    def test_token_for_another_audience_refused(self):
        tok = self.access_token(BILLING_RESOURCE)
        self.assertEqual(json.loads(b64u_decode(tok.split(".")[1]))["aud"], "billing-api")
        self.assert_refused(tok, "bad_audience")

    def test_provider_refuses_bad_client_secret(self):
        # the provider is real: a wrong secret gets no token at all
        status, answer = self.provider.token(RS256_RESOURCE, client_secret="wrong")
        self.assertEqual(status, 401, answer)
        self.assertEqual(answer.get("error"), "invalid_client")


if __name__ == "__main__":
    harness.main()
