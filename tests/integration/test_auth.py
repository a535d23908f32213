"""OIDC bearer-token authentication end to end (SPEC §4 oidc, §9, §11, §13):
a real `postern dev-idp` serves discovery and JWKS over HTTP, postern
verifies tokens minted by it or forged here (signed with the openssl CLI),
and a recorder subscribed to `>` proves that a refused request sends nothing
to NATS. Each test class runs its own nats-server, dev-idp (own key file),
postern and, where needed, an attacker HTTP server on loopback."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness

SCHEMA = '''
type Query {
  whoami: Who @natsRequest(subject: "authz.whoami")
  order(id: ID!): Order @natsRequest(subject: "authz.order.{{ args.id }}")
}
type Who { sub: String, iss: String, client: String }
type Order { id: ID! }
'''

AUDIENCE = "orders-api"
CHALLENGE = 'Bearer realm="postern"'
MIN_REFETCH_S = 1.0

# error_description per refusal reason (proxy/auth/principal.c), and the
# reason label postern logs.
DESC = {
    "malformed": "the token is malformed",
    "expired": "the token has expired",
    "not_yet_valid": "the token is not valid yet",
    "bad_signature": "the token signature is invalid",
    "unknown_kid": "the token is signed by an unknown key",
    "bad_issuer": "the token issuer is not trusted",
    "bad_audience": "the token is not meant for this service",
    "bad_algorithm": "the token algorithm is not allowed",
    "too_large": "the token is too large",
}


def tok_exp(token):
    return json.loads(b64u_decode(token.split(".")[1]))["exp"]


def invalid_challenge(reason):
    return CHALLENGE + ', error="invalid_token", error_description="%s"' % DESC[reason]


# ---- JOSE by hand (stdlib + the openssl CLI) ----

def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_json(obj):
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def b64u_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def openssl(*args, data=None):
    p = subprocess.run(["openssl"] + list(args), input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), p.stderr.decode()))
    return p.stdout


def gen_key(path, alg):
    if alg.startswith("RS"):
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path)
    else:
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
    return path


def spki_der(key_path):
    return openssl("pkey", "-in", key_path, "-pubout", "-outform", "DER")


def public_pem(key_path):
    return openssl("pkey", "-in", key_path, "-pubout")


def kid_of(key_path):
    """The dev-idp's kid: base64url of SHA-256(SubjectPublicKeyInfo)[:16]."""
    return b64u(hashlib.sha256(spki_der(key_path)).digest()[:16])


def der_ints(der):
    """The two INTEGERs of a DER ECDSA-Sig-Value SEQUENCE."""
    assert der[0] == 0x30
    i = 2 + (der[1] & 0x7F if der[1] & 0x80 else 0)
    out = []
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        out.append(int.from_bytes(der[i + 2:i + 2 + n], "big"))
        i += 2 + n
    return out


def sign(key_path, alg, signing_input, raw_ecdsa=True):
    """RS256 / ES256 (JOSE r||s, or the DER form when raw_ecdsa is False)."""
    sig = openssl("dgst", "-sha256", "-sign", key_path, data=signing_input)
    if alg == "ES256" and raw_ecdsa:
        r, s = der_ints(sig)
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return sig


def craft(header, claims, key_path=None, alg=None, raw_ecdsa=True):
    """A compact JWS over header and claims (dicts, or raw bytes for a
    header that is not JSON), signed with key_path as alg (default:
    header's alg)."""
    h = b64u(header) if isinstance(header, bytes) else b64u_json(header)
    signing_input = (h + "." + b64u_json(claims)).encode()
    sig = sign(key_path, alg or header["alg"], signing_input, raw_ecdsa) if key_path else b""
    return signing_input.decode() + "." + b64u(sig)


def public_jwk(key_path, alg):
    """The public JWK of a key (P-256 or RSA with e=65537)."""
    der = spki_der(key_path)
    if alg == "ES256":
        point = der[-65:]
        assert point[0] == 4
        return {"kty": "EC", "crv": "P-256", "x": b64u(point[1:33]), "y": b64u(point[33:])}
    text = openssl("rsa", "-in", key_path, "-noout", "-modulus").decode().strip()
    n = bytes.fromhex(text.split("=", 1)[1])
    return {"kty": "RSA", "n": b64u(n), "e": "AQAB"}


class KeyServer:
    """An HTTP server on loopback serving JSON documents by path (self.docs,
    may be changed), a JWKS (self.jwks) for any other path and a PEM
    certificate (paths ending in .pem); it records every request it gets. As
    the attacker's server postern must never call it; as a configured
    issuer it counts postern's fetches."""

    def __init__(self, jwks, cert_pem=b"", docs=None):
        self.requests = []
        self.jwks = jwks
        self.docs = dict(docs or {})
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                doc = outer.docs.get(self.path, outer.jwks)
                body = cert_pem if self.path.endswith(".pem") else json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def auth_config(issuer, allow_anonymous=False, more_issuers="", leeway=None):
    return ("oidc:\n"
            "  issuers:\n"
            "    - issuer: %s\n"
            "      discovery: true\n"
            "      audiences: [%s]\n"
            "      jwks_min_refetch: 1s\n"
            "%s%s"
            "  allow_anonymous: %s\n"
            "log: {level: debug}\n" % (issuer, AUDIENCE,
                                       "      leeway: %s\n" % leeway if leeway else "",
                                       more_issuers, "true" if allow_anonymous else "false"))


def leaks(tokens, logs, msgs):
    """Where any part (24+ characters) of any token appears in postern's log
    or in a NATS message postern sent (header or body)."""
    found = []
    for tok in tokens:
        for part in (p for p in tok.split(".") if len(p) >= 24):
            if part in logs:
                found.append("token in postern's log: %s..." % part[:30])
            for m in msgs:
                values = [x for v in m.headers.values()
                          for x in (v if isinstance(v, list) else [v])]
                if part.encode() in m.data or any(part in v for v in values):
                    found.append("token in NATS message on %s" % m.subject)
    return found


class AuthCase(unittest.TestCase):
    """nats-server, a dev-idp (ALG), postern trusting it, responders that echo
    the identity headers, and a recorder on `>`."""

    ALG = "RS256"
    ALLOW_ANONYMOUS = False
    IDP_FIRST = True  # False: postern starts before its issuer (the test starts cls.idp)
    LEEWAY = None  # the issuer's leeway; None: the default (30s)

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="postern-auth-")
        cls.tokens = []  # every token sent: none may leak to NATS or logs
        cls.counter = 0
        cls.nats = cls.nc = cls.idp = cls.postern = None
        try:
            cls.nats = harness.NatsServer().start()
            cls.nc = harness.NatsClient(cls.nats.url)
            cls.idp = harness.DevIdp(cls.dir, cls.ALG)
            if cls.IDP_FIRST:
                cls.idp.start()
            cls.rec = harness.Recorder(cls.nc, ">")
            harness.responder(cls.nc, "authz.whoami", cls._whoami)
            harness.responder(cls.nc, "authz.order.*",
                              lambda m: {"id": m.subject.split(".", 2)[2]})
            more = cls.more_issuers()
            cls.postern = harness.Postern(cls.nats.url, schema_text=SCHEMA, auth=auth_config(
                cls.idp.issuer, cls.ALLOW_ANONYMOUS, more, cls.LEEWAY))
            cls.postern.start()
            if cls.IDP_FIRST:
                harness.wait_ready(cls.postern)
        except Exception:
            if cls.postern:
                print(cls.postern.logs())
            cls.tearDownClass()
            raise

    @classmethod
    def more_issuers(cls):
        """YAML list items for issuers besides the dev-idp (started here)."""
        return ""

    @staticmethod
    def _whoami(msg):
        h = msg.headers
        return {"sub": h.get("Postern-Sub"), "iss": h.get("Postern-Iss"),
                "client": h.get("Postern-Client")}

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
            problems += leaks(cls.tokens, logs, list(getattr(cls, "rec", None) and cls.rec.msgs
                                                     or []))
        if cls.idp:
            code = cls.idp.stop()
            logs = cls.idp.logs()
            if code not in (0, None) or any(m in logs for m in harness.SANITIZER_MARKS):
                problems.append("dev-idp exited with %s:\n%s" % (code, logs[-3000:]))
        if cls.nc:
            cls.nc.close()
        if cls.nats:
            cls.nats.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)
        if problems:
            raise AssertionError("\n".join(problems))

    # ---- tokens ----

    def claims(self, **kw):
        now = int(time.time())
        self.__class__.counter += 1
        c = {"iss": self.idp.issuer, "sub": "mallory", "aud": AUDIENCE, "iat": now, "nbf": now,
             "exp": now + 600, "jti": "t%d-%f" % (self.counter, time.time())}
        for k, v in kw.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def header(self, **kw):
        h = {"alg": self.ALG, "typ": "JWT", "kid": kid_of(self.idp.key_path)}
        for k, v in kw.items():
            if v is None:
                h.pop(k, None)
            else:
                h[k] = v
        return h

    def good(self, **claims):
        """A token the idp's current key signs, with these claims changed."""
        return craft(self.header(), self.claims(**claims), self.idp.key_path)

    @classmethod
    def other_key(cls, alg=None):
        alg = alg or cls.ALG
        path = os.path.join(cls.dir, "other-%s.pem" % alg)
        if not os.path.exists(path):
            gen_key(path, alg)
        return path

    # ---- requests ----

    def send(self, authorization, query):
        headers = {} if authorization is None else {"Authorization": authorization}
        if authorization:
            self.tokens.append(authorization.split()[-1])
        return self.postern.graphql(query, headers=headers)

    def whoami(self, token, scheme="Bearer "):
        status, rh, body = self.send(scheme + token, "{ whoami { sub iss client } }")
        self.assertEqual(status, 200, body)
        self.assertNotIn("errors", body, body)
        return body["data"]["whoami"]

    def until_accepted(self, make_token, limit):
        """Sends fresh tokens until one passes; returns seconds taken."""
        t0 = time.monotonic()
        while True:
            status, _, body = self.send("Bearer " + make_token(), "{ whoami { sub } }")
            if status == 200:
                return time.monotonic() - t0
            self.assertEqual(status, 401, body)
            if time.monotonic() - t0 > limit:
                self.fail("token not accepted after %.1fs" % limit)
            time.sleep(0.1)

    def barrier(self):
        """A valid request through postern's NATS connection: once the
        recorder sees it, anything postern sent before it was seen too."""
        self.__class__.counter += 1
        oid = "sentinel-%d" % self.counter
        status, _, body = self.send("Bearer " + self.good(sub="alice"),
                                    '{ order(id: "%s") { id } }' % oid)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"]["order"]["id"], oid)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if any(m.subject == "authz.order." + oid for m in list(self.rec.msgs)):
                return
            time.sleep(0.01)
        self.fail("the barrier request never reached NATS")

    def assert_refused(self, authorization, reason=None, get_url=None):
        """401, the exact challenge (reason None: no `error`), an
        UNAUTHENTICATED GraphQL error, and no NATS message."""
        self.__class__.counter += 1
        oid = "refused-%d" % self.counter
        query = '{ order(id: "%s") { id } }' % oid
        label = "authentication refused: %s " % (reason or "missing")
        logged = self.postern.logs().count(label)
        if get_url is not None:
            status, rh, raw = self.postern.request(
                "GET", get_url(query), headers={"Accept": "application/graphql-response+json"})
            body = json.loads(raw)
        else:
            status, rh, body = self.send(authorization, query)
        self.assertEqual(status, 401, body)
        expect = CHALLENGE if reason is None else invalid_challenge(reason)
        self.assertEqual(rh.get("www-authenticate"), expect)
        self.assertIsNone(body.get("data"), body)
        self.assertEqual(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", body)
        self.barrier()
        sent = [m.subject for m in self.rec.msgs if m.subject == "authz.order." + oid]
        self.assertEqual(sent, [], "a refused request reached NATS")
        # the reason label is logged once for this request
        self.assertEqual(self.postern.logs().count(label), logged + 1)
        return body


class AuthRS256(AuthCase):
    """RS256 issuer: valid tokens, every refusal of issue 3, token sources."""

    ALG = "RS256"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.attacker_key = cls.other_key()
            cert = openssl("req", "-x509", "-new", "-key", cls.attacker_key, "-subj",
                           "/CN=attacker", "-days", "1")
            jwk = dict(public_jwk(cls.attacker_key, cls.ALG), kid=kid_of(cls.attacker_key),
                       use="sig", alg=cls.ALG)
            cls.attacker = KeyServer({"keys": [jwk]}, cert)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "attacker", None):
            cls.attacker.stop()
            cls.attacker = None
        super().tearDownClass()

    def test_minted_token_passes_with_identity_headers(self):
        tok = self.idp.mint(sub="alice", claims=["azp=orders-cli"])
        self.assertEqual(json.loads(b64u_decode(tok.split(".")[0]))["alg"], "RS256")
        who = self.whoami(tok)
        self.assertEqual(who, {"sub": "alice", "iss": self.idp.issuer, "client": "orders-cli"})
        msgs = [m for m in self.rec.msgs if m.subject == "authz.whoami"]
        self.assertTrue(msgs)
        h = msgs[-1].headers
        self.assertEqual((h["Postern-Sub"], h["Postern-Iss"], h["Postern-Client"]),
                         ("alice", self.idp.issuer, "orders-cli"))
        # the cached path (same token again) yields the same identity
        self.assertEqual(self.whoami(tok), who)

    def test_crafted_token_passes_client_id(self):
        # proves the hand-made JWS is right, so the refusals below are meaningful
        tok = self.good(sub="bob", client_id="svc-42")
        self.assertEqual(self.whoami(tok), {"sub": "bob", "iss": self.idp.issuer,
                                            "client": "svc-42"})

    def test_scheme_case_insensitive_and_spaces(self):
        for scheme in ("bearer ", "BEARER ", "BeArEr    "):
            self.assertEqual(self.whoami(self.good(sub="carol"), scheme)["sub"], "carol")

    def test_missing_wrong_scheme_empty(self):
        self.assert_refused(None)
        self.assert_refused("Basic dXNlcjpwYXNzd29yZA==")
        self.assert_refused("Token " + self.good(sub="alice"))
        self.assert_refused("Bearer")
        self.assert_refused("Bearer    ")
        self.assert_refused("Bearer" + self.good(sub="alice"))  # no space after the scheme

    def test_token_in_query_string_is_never_read(self):
        tok = self.good(sub="alice")
        self.tokens.append(tok)
        for name in ("access_token", "token", "authorization"):
            self.assert_refused(None, get_url=lambda q: "/graphql?" + urllib.parse.urlencode(
                {"query": q, name: tok}))
        status, _, body = self.postern.request(
            "POST", "/graphql?access_token=" + tok, {"query": "{ whoami { sub } }"},
            {"Content-Type": "application/json", "Accept": "application/graphql-response+json"})
        self.assertEqual(status, 401, body)

    def test_malformed_shapes(self):
        tok = self.good()
        h, p, s = tok.split(".")
        self.assert_refused("Bearer " + h + "." + p, "malformed")  # two parts
        self.assert_refused("Bearer " + tok + ".x", "malformed")  # four parts
        self.assert_refused("Bearer " + "e*J!" + h[4:] + "." + p + "." + s, "malformed")
        self.assert_refused("Bearer " + h + "." + p + "." + s[:10] + "*" + s[11:], "malformed")
        self.assert_refused("Bearer " + h + ".$$$." + s, "malformed")
        not_json = craft(b"not json at all", self.claims(), self.idp.key_path, alg="RS256")
        self.assert_refused("Bearer " + not_json, "malformed")
        array_header = craft(b'["RS256"]', self.claims(), self.idp.key_path, alg="RS256")
        self.assert_refused("Bearer " + array_header, "malformed")
        # a duplicate member must not let one parser see another alg than the next
        dup = ('{"alg":"none","alg":"RS256","kid":"%s"}' % kid_of(self.idp.key_path)).encode()
        self.assert_refused("Bearer " + craft(dup, self.claims(), self.idp.key_path, alg="RS256"),
                            "malformed")
        self.assert_refused("Bearer " + craft(b'{"alg":"RS256"', self.claims(), self.idp.key_path,
                                              alg="RS256"), "malformed")

    def test_alg_none(self):
        claims = self.claims()
        unsigned = craft({"alg": "none", "typ": "JWT"}, claims)
        self.assertTrue(unsigned.endswith("."))
        self.assert_refused("Bearer " + unsigned, "bad_algorithm")
        # a real signature of the same claims does not rescue alg none
        real_sig = self.good().split(".")[2]
        self.assert_refused("Bearer " + unsigned + real_sig, "bad_algorithm")
        self.assert_refused("Bearer " + craft(self.header(alg="none"), claims) + real_sig,
                            "bad_algorithm")
        self.assert_refused("Bearer " + craft({"alg": "NONE"}, claims), "bad_algorithm")

    def test_hs256_with_public_key_as_secret(self):
        for secret in (public_pem(self.idp.key_path), spki_der(self.idp.key_path)):
            for alg, fn in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
                h = self.header(alg=alg)
                si = (b64u_json(h) + "." + b64u_json(self.claims())).encode()
                tok = si.decode() + "." + b64u(hmac.new(secret, si, fn).digest())
                self.assert_refused("Bearer " + tok, "bad_algorithm")

    def test_signature_by_another_key_under_known_kid(self):
        tok = craft(self.header(), self.claims(), self.other_key())
        self.assert_refused("Bearer " + tok, "bad_signature")
        # the real signature over other claims
        h, p, _ = self.good().split(".")
        s = self.good(sub="alice").split(".")[2]
        self.assert_refused("Bearer " + h + "." + p + "." + s, "bad_signature")

    def test_alg_confusion_key_type(self):
        # ES256 is allowlisted, but the kid names an RSA key
        tok = craft(self.header(alg="ES256"), self.claims(), self.other_key("ES256"))
        self.assert_refused("Bearer " + tok, "bad_algorithm")

    def test_unknown_kid(self):
        other = self.other_key()
        tok = craft(self.header(kid=kid_of(other)), self.claims(), other)
        self.assert_refused("Bearer " + tok, "unknown_kid")

    def test_time_claims(self):
        now = int(time.time())
        self.assert_refused("Bearer " + self.good(exp=now - 3600, iat=now - 7200,
                                                  nbf=now - 7200), "expired")
        self.assert_refused("Bearer " + self.good(nbf=now + 3600), "not_yet_valid")
        self.assert_refused("Bearer " + self.good(iat=now + 3600, nbf=None), "not_yet_valid")
        self.assert_refused("Bearer " + self.good(exp=None), "malformed")
        self.assert_refused("Bearer " + self.good(exp=str(now + 600)), "malformed")
        self.assert_refused("Bearer " + self.good(nbf="yesterday"), "malformed")
        # within leeway (30 s by default) still passes
        self.assertEqual(self.whoami(self.good(sub="dave", iat=now + 10, nbf=now + 10))["sub"],
                         "dave")

    def test_identity_claims(self):
        # sub is required, a non-empty string; a control character could not
        # be put on a NATS header (Postern-Sub, Postern-Client)
        for sub in (None, "", 123, ["alice"], "alice\r\nPostern-Roles: admin", "bob\nx", "c\td"):
            self.assert_refused("Bearer " + self.good(sub=sub), "malformed")
        self.assert_refused("Bearer " + self.good(sub="alice", azp="cli\r\nX-Evil: 1"),
                            "malformed")
        self.assert_refused("Bearer " + self.good(sub="alice", client_id="svc\n"), "malformed")
        # any other string is carried as it is (UTF-8)
        self.assertEqual(self.whoami(self.good(sub="zo\u00eb|\u6771\u4eac", azp="a b")),
                         {"sub": "zo\u00eb|\u6771\u4eac", "iss": self.idp.issuer,
                          "client": "a b"})

    def test_issuer_and_audience(self):
        self.assert_refused("Bearer " + self.good(iss=self.idp.issuer + "/"), "bad_issuer")
        self.assert_refused("Bearer " + self.good(iss="https://evil.example"), "bad_issuer")
        self.assert_refused("Bearer " + self.good(iss=None), "bad_issuer")
        self.assert_refused("Bearer " + self.good(aud="billing-api"), "bad_audience")
        self.assert_refused("Bearer " + self.good(aud=["billing-api", "orders-apix"]),
                            "bad_audience")
        self.assert_refused("Bearer " + self.good(aud=None), "bad_audience")
        self.assertEqual(self.whoami(self.good(sub="erin", aud=["billing-api", AUDIENCE]))["sub"],
                         "erin")

    def test_crit_header(self):
        tok = craft(self.header(crit=["exp"], exp=int(time.time()) + 60), self.claims(),
                    self.idp.key_path)
        self.assert_refused("Bearer " + tok, "malformed")
        tok = craft(self.header(crit=[]), self.claims(), self.idp.key_path)
        self.assert_refused("Bearer " + tok, "malformed")

    def _sized(self, size):
        """A correctly signed token of exactly size bytes."""
        for spaces in range(4):
            hdr = json.dumps(self.header(), separators=(",", ":" + " " * spaces)).encode()
            for pad in range(size * 3 // 4 - 600, size * 3 // 4):
                c = self.claims(pad="x" * pad, sub="frank")
                # a 2048-bit RSA signature is 256 bytes, 342 in base64url
                if len(b64u(hdr)) + 1 + len(b64u_json(c)) + 1 + 342 == size:
                    tok = craft(hdr, c, self.idp.key_path, alg="RS256")
                    self.assertEqual(len(tok), size)
                    return tok
        raise AssertionError("no token of %d bytes" % size)

    def test_oversized_token(self):
        self.assertEqual(self.whoami(self._sized(8192))["sub"], "frank")
        self.assert_refused("Bearer " + self._sized(8193), "too_large")
        self.assert_refused("Bearer " + "a" * 12000, "too_large")

    def test_key_url_headers_are_never_followed(self):
        akey, akid = self.attacker_key, kid_of(self.attacker_key)
        known = kid_of(self.idp.key_path)
        jwk = public_jwk(akey, self.ALG)
        cases = [
            (self.header(kid=akid, jku=self.attacker.url("/jwks.json")), "unknown_kid"),
            (self.header(jku=self.attacker.url("/jwks.json")), "bad_signature"),
            (self.header(kid=None, jku=self.attacker.url("/jwks.json")), "bad_signature"),
            (self.header(kid=akid, x5u=self.attacker.url("/cert.pem")), "unknown_kid"),
            (self.header(x5u=self.attacker.url("/cert.pem")), "bad_signature"),
            (self.header(kid=akid, jwk=dict(jwk, kid=akid)), "unknown_kid"),
            (self.header(kid=None, jwk=jwk), "bad_signature"),
            (self.header(kid=known, jwk=dict(jwk, kid=known)), "bad_signature"),
        ]
        for hdr, reason in cases:
            self.assert_refused("Bearer " + craft(hdr, self.claims(), akey), reason)
        # an unknown kid may have made postern re-fetch its own JWKS: give it time
        time.sleep(MIN_REFETCH_S + 0.5)
        self.assert_refused("Bearer " + craft(cases[0][0], self.claims(), akey), "unknown_kid")
        self.assertEqual(self.attacker.requests, [])

    def test_zz_token_never_leaks(self):
        # runs last (alphabetical order): every token sent so far
        self.assertGreater(len(self.tokens), 20)
        msgs = list(self.rec.msgs)
        self.assertGreater(len(msgs), 10)
        self.assertEqual(leaks(self.tokens, self.postern.logs(), msgs), [])
        # the check itself finds a token where there is one
        self.assertTrue(leaks(self.tokens[-1:], "x" + self.tokens[-1] + "x", []))
        self.assertFalse([m for m in msgs if m.headers.get("Postern-Sub") == "mallory"])
        self.assertFalse([m for m in msgs if "Authorization" in m.headers
                          or "authorization" in m.headers])


class AuthES256(AuthCase):
    """ES256 issuer: valid tokens, forged EC signatures, alg/key mismatch."""

    ALG = "ES256"

    def test_minted_token_passes(self):
        tok = self.idp.mint(sub="alice", claims=["azp=web"])
        self.assertEqual(json.loads(b64u_decode(tok.split(".")[0]))["alg"], "ES256")
        self.assertEqual(self.whoami(tok), {"sub": "alice", "iss": self.idp.issuer,
                                            "client": "web"})

    def test_crafted_token_passes(self):
        self.assertEqual(self.whoami(self.good(sub="bob"))["sub"], "bob")

    def test_refusals(self):
        other = self.other_key()
        self.assert_refused("Bearer " + craft(self.header(), self.claims(), other),
                            "bad_signature")
        self.assert_refused("Bearer " + craft(self.header(kid=kid_of(other)), self.claims(),
                                              other), "unknown_kid")
        # the DER form of a valid ECDSA signature is not a JWS signature
        der = craft(self.header(), self.claims(), self.idp.key_path, raw_ecdsa=False)
        self.assert_refused("Bearer " + der, "bad_signature")
        # RS256 is allowlisted, but the kid names an EC key
        tok = craft(self.header(alg="RS256"), self.claims(), self.other_key("RS256"))
        self.assert_refused("Bearer " + tok, "bad_algorithm")
        # allowed algorithms default to RS256 and ES256
        self.assert_refused("Bearer " + craft(self.header(alg="ES384"), self.claims(),
                                              self.idp.key_path, alg="ES256"), "bad_algorithm")
        self.assert_refused("Bearer " + craft(self.header(kid=None, jwk=public_jwk(
            other, "ES256")), self.claims(), other), "bad_signature")
        self.assert_refused("Bearer " + self.good(exp=int(time.time()) - 60), "expired")


class AuthAnonymous(AuthCase):
    """allow_anonymous: true lets requests without a token in as `anonymous`,
    and still refuses a present but invalid token."""

    ALG = "ES256"
    ALLOW_ANONYMOUS = True

    def test_no_token_is_anonymous(self):
        status, _, body = self.send(None, "{ whoami { sub iss client } }")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"]["whoami"], {"sub": "anonymous", "iss": None,
                                                  "client": None})
        status, _, body = self.send("Basic dXNlcjpwYXNz", "{ whoami { sub } }")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"]["whoami"]["sub"], "anonymous")

    def test_valid_token_is_its_subject(self):
        self.assertEqual(self.whoami(self.good(sub="alice"))["sub"], "alice")

    def test_bad_token_still_refused(self):
        self.assert_refused("Bearer " + self.good(exp=int(time.time()) - 60), "expired")
        self.assert_refused("Bearer " + craft(self.header(), self.claims(), self.other_key()),
                            "bad_signature")
        self.assert_refused("Bearer not-a-jwt", "malformed")
        self.assert_refused("Bearer " + craft({"alg": "none"}, self.claims()), "bad_algorithm")


class AuthRotationAndOutage(AuthCase):
    """The issuer rotates its key mid-run, then goes down: postern follows the
    rotation without a restart and keeps working on cached keys."""

    ALG = "ES256"

    def ready_status(self):
        return harness.http_call(self.postern.admin_port, "GET", "/readyz")[0]

    def test_a_rotation(self):
        old_kid = kid_of(self.idp.key_path)
        old_key = os.path.join(self.dir, "before-rotation.pem")
        shutil.copy(self.idp.key_path, old_key)
        before = self.idp.mint(sub="alice")
        self.assertEqual(self.whoami(before)["sub"], "alice")
        time.sleep(MIN_REFETCH_S)  # the start-up fetch is no longer recent
        for rotate in (self.idp.rotate, lambda: os.kill(self.idp.proc.pid, signal.SIGHUP)):
            prev_kid = kid_of(self.idp.key_path)
            r = rotate()
            self.assertIn(r, (200, None))
            deadline = time.monotonic() + 5
            while kid_of(self.idp.key_path) == prev_kid and time.monotonic() < deadline:
                time.sleep(0.05)
            new_kid = kid_of(self.idp.key_path)
            self.assertNotEqual(new_kid, prev_kid)
            self.assertIn(new_kid, [k["kid"] for k in self.idp.jwks()["keys"]])
            took = self.until_accepted(lambda: self.idp.mint(sub="newkey"),
                                       MIN_REFETCH_S + 4)
            self.assertLess(took, MIN_REFETCH_S + 4)
            time.sleep(MIN_REFETCH_S)
        # one rotation back: the previous key is still published (and in
        # postern's cache); two back (old_key) is gone from the JWKS
        self.assertNotIn(old_kid, [k["kid"] for k in self.idp.jwks()["keys"]])
        self.assert_refused("Bearer " + craft(self.header(kid=old_kid), self.claims(), old_key),
                            "unknown_kid")
        # tokens issued before the rotation are cached as verified until exp
        self.assertEqual(self.whoami(before)["sub"], "alice")

    def test_b_issuer_down(self):
        kid = kid_of(self.idp.key_path)
        self.assertEqual(self.whoami(self.idp.mint(sub="alice"))["sub"], "alice")
        code = self.idp.stop()
        self.assertEqual(code, 0, self.idp.logs())
        with self.assertRaises(OSError):
            harness.http_call(self.idp.port, "GET", "/jwks.json", timeout=1)
        # fresh tokens (not cached) still verify with the cached keys
        self.assertEqual(self.whoami(self.good(sub="bob"))["sub"], "bob")
        self.assertEqual(kid_of(self.idp.key_path), kid)
        self.assertEqual(self.ready_status(), 200)
        # an unknown kid makes postern re-fetch, which fails: keys stay
        other = self.other_key()
        for _ in range(2):
            self.assert_refused("Bearer " + craft(self.header(kid=kid_of(other)), self.claims(),
                                                  other), "unknown_kid")
            time.sleep(MIN_REFETCH_S + 0.3)
        self.assertEqual(self.ready_status(), 200)
        self.assertEqual(self.whoami(self.good(sub="carol"))["sub"], "carol")
        self.assert_refused("Bearer " + craft(self.header(), self.claims(), other),
                            "bad_signature")


class AuthTwoIssuers(AuthCase):
    """Two issuers at once: the dev-idp (ES256, discovery) and a plain JWKS
    server given as jwks_uri (RS256) that counts postern's fetches. A token
    is checked only against the keys of the issuer its `iss` names, and
    unknown kids re-fetch at most once per jwks_min_refetch."""

    ALG = "ES256"

    @classmethod
    def more_issuers(cls):
        cls.b_key = gen_key(os.path.join(cls.dir, "b-key-1.pem"), "RS256")
        cls.b_kid = "b-key-1"
        cls.b_jwk = dict(public_jwk(cls.b_key, "RS256"), kid=cls.b_kid, use="sig", alg="RS256")
        cls.b_server = KeyServer({"keys": [cls.b_jwk]})
        cls.b_issuer = "http://127.0.0.1:%d/realms/b" % cls.b_server.port
        # host names are case-insensitive: LOCALHOST is loopback too
        cls.upper_issuer = "http://LOCALHOST:%d/realms/upper" % cls.b_server.port
        return ("    - issuer: %s\n"
                "      discovery: false\n"
                "      jwks_uri: %s\n"
                "      audiences: [%s]\n"
                "      algorithms: [RS256]\n"
                "      jwks_min_refetch: 1s\n"
                "    - issuer: %s\n"
                "      jwks_uri: http://LOCALHOST:%d/upper/jwks.json\n"
                "      discovery: false\n"
                "      audiences: [%s]\n" % (cls.b_issuer, cls.b_server.url("/jwks.json"),
                                             AUDIENCE, cls.upper_issuer, cls.b_server.port,
                                             AUDIENCE))

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            if getattr(cls, "b_server", None):
                cls.b_server.stop()
                cls.b_server = None

    def b_token(self, key=None, kid=None, alg="RS256", **claims):
        c = self.claims(**dict({"iss": self.b_issuer}, **claims))
        return craft({"alg": alg, "typ": "JWT", "kid": kid or self.b_kid}, c, key or self.b_key)

    def fetches(self):
        return len([p for p in self.b_server.requests if p == "/jwks.json"])

    def test_a_each_issuer_its_own_keys(self):
        self.assertGreaterEqual(self.fetches(), 1)
        self.assertEqual(self.whoami(self.b_token(sub="bob", azp="b-cli")),
                         {"sub": "bob", "iss": self.b_issuer, "client": "b-cli"})
        self.assertEqual(self.whoami(self.good(sub="alice"))["iss"], self.idp.issuer)
        a_kid = kid_of(self.idp.key_path)
        # iss names the dev-idp (RS256 and ES256 allowed), key and kid are issuer b's
        tok = craft({"alg": "RS256", "kid": self.b_kid}, self.claims(), self.b_key)
        self.assert_refused("Bearer " + tok, "unknown_kid")
        # iss names b, key and kid are the dev-idp's
        tok = self.b_token(key=self.idp.key_path, kid=a_kid, alg="ES256")
        self.assert_refused("Bearer " + tok, "bad_algorithm")  # ES256 not allowed for b
        self.assert_refused("Bearer " + self.b_token(kid=a_kid), "unknown_kid")
        self.assert_refused("Bearer " + self.b_token(aud="billing-api"), "bad_audience")
        self.assertIn("/upper/jwks.json", self.b_server.requests)
        self.assertEqual(self.whoami(self.b_token(iss=self.upper_issuer, sub="up"))["iss"],
                         self.upper_issuer)

    def test_b_unknown_kid_refetch_is_rate_limited(self):
        time.sleep(MIN_REFETCH_S + 0.2)  # no fetch was asked for within the interval
        before = self.fetches()
        other = self.other_key("RS256")
        t0 = time.monotonic()
        for i in range(15):
            self.assert_refused("Bearer " + self.b_token(key=other, kid="nope-%d" % i),
                                "unknown_kid")
        self.assertLess(time.monotonic() - t0, MIN_REFETCH_S * 15, "requests too slow to tell")
        time.sleep(0.3)
        # 15 unknown kids within the interval: one fetch per interval at most
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(self.fetches() - before, 1)
        self.assertLessEqual(self.fetches() - before, 1 + int(elapsed / MIN_REFETCH_S))
        # a bad signature under a known kid never makes postern fetch
        time.sleep(MIN_REFETCH_S + 0.2)
        before = self.fetches()
        for _ in range(10):
            self.assert_refused("Bearer " + self.b_token(key=other), "bad_signature")
        time.sleep(0.3)
        self.assertEqual(self.fetches(), before)

    def test_c_new_key_at_jwks_uri_picked_up(self):
        time.sleep(MIN_REFETCH_S + 0.2)
        key2 = os.path.join(self.dir, "b-key-2.pem")
        gen_key(key2, "RS256")
        jwk2 = dict(public_jwk(key2, "RS256"), kid="b-key-2", use="sig", alg="RS256")
        self.b_server.jwks = {"keys": [self.b_jwk, jwk2]}
        took = self.until_accepted(lambda: self.b_token(key=key2, kid="b-key-2", sub="new"),
                                   MIN_REFETCH_S + 4)
        self.assertLess(took, MIN_REFETCH_S + 4)
        # a key removed from the JWKS is refused once postern has re-fetched
        self.b_server.jwks = {"keys": [self.b_jwk]}
        time.sleep(MIN_REFETCH_S + 0.2)
        self.assert_refused("Bearer " + self.b_token(kid="gone"), "unknown_kid")  # re-fetch
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            status, rh, _ = self.send("Bearer " + self.b_token(key=key2, kid="b-key-2"),
                                      "{ whoami { sub } }")
            if status == 401:
                break
            time.sleep(0.1)
        self.assertEqual(status, 401)
        self.assertEqual(rh["www-authenticate"], invalid_challenge("unknown_kid"))


class AuthIssuerLate(AuthCase):
    """postern starts while its issuer is down: not ready, tokens refused,
    nothing sent; once the issuer is up, keys load without a restart."""

    ALG = "ES256"
    IDP_FIRST = False

    def test_ready_once_issuer_up(self):
        gen_key(self.idp.key_path, "ES256")  # the dev-idp will load this key
        status, _, body = harness.http_call(self.postern.admin_port, "GET", "/readyz")
        self.assertEqual(status, 503, body)
        self.assertIn("oidc: no keys yet from " + self.idp.issuer, json.loads(body)["reasons"])
        tok = self.good(sub="alice")
        status, rh, body = self.send("Bearer " + tok, "{ whoami { sub } }")
        self.assertEqual(status, 401, body)
        self.assertEqual(rh["www-authenticate"], invalid_challenge("unknown_kid"))
        self.assertFalse([m for m in self.rec.msgs if m.subject == "authz.whoami"])
        self.idp.start()
        self.assertEqual(kid_of(self.idp.key_path), self.idp.jwks()["keys"][0]["kid"])
        harness.wait_ready(self.postern, timeout=MIN_REFETCH_S + 5)
        self.assertEqual(self.whoami(tok)["sub"], "alice")
        self.assertIn("key fetch failed", self.postern.logs())


class AuthCacheExpiry(AuthCase):
    """With leeway 0 a verified token leaves the token cache when it expires:
    the cache never extends a token's life."""

    ALG = "ES256"
    LEEWAY = "0s"

    def test_cached_token_expires(self):
        tok = self.good(sub="alice", exp=int(time.time()) + 2)
        self.assertEqual(self.whoami(tok)["sub"], "alice")
        self.assertEqual(self.whoami(tok)["sub"], "alice")  # from the cache
        time.sleep(max(0.0, tok_exp(tok) - time.time()) + 0.3)
        self.assert_refused("Bearer " + tok, "expired")
        # and a token just expired is refused without leeway
        self.assert_refused("Bearer " + self.good(exp=int(time.time()) - 1), "expired")


class AuthDiscoveryMismatch(AuthCase):
    """A discovery document without `issuer` or naming another issuer is not
    trusted: its keys are not loaded (not ready, tokens refused) until it
    names the configured issuer."""

    ALG = "ES256"
    IDP_FIRST = False

    @classmethod
    def more_issuers(cls):
        cls.c_key = gen_key(os.path.join(cls.dir, "c-key.pem"), "ES256")
        jwk = dict(public_jwk(cls.c_key, "ES256"), kid="c-1", use="sig", alg="ES256")
        cls.c_server = KeyServer({"keys": [jwk]})
        cls.c_issuer = cls.c_server.url("/c")
        cls.c_server.docs["/c/.well-known/openid-configuration"] = {
            "jwks_uri": cls.c_server.url("/c/jwks")}  # no issuer at first
        return ("    - issuer: %s\n"
                "      discovery: true\n"
                "      audiences: [%s]\n"
                "      jwks_min_refetch: 1s\n" % (cls.c_issuer, AUDIENCE))

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            if getattr(cls, "c_server", None):
                cls.c_server.stop()
                cls.c_server = None

    def c_token(self):
        return craft({"alg": "ES256", "kid": "c-1"}, self.claims(iss=self.c_issuer, sub="cy"),
                     self.c_key)

    def wait_log(self, text, timeout=MIN_REFETCH_S + 4):
        deadline = time.monotonic() + timeout
        while text not in self.postern.logs():
            self.assertLess(time.monotonic(), deadline, "not logged: " + text)
            time.sleep(0.05)

    def test_mismatched_discovery_not_trusted(self):
        self.idp.start()
        self.wait_log("discovery document without issuer")
        doc = self.c_server.docs["/c/.well-known/openid-configuration"]
        doc["issuer"] = self.c_server.url("/evil")
        self.wait_log("discovery document names another issuer")
        # the dev-idp's keys load (retried every jwks_min_refetch), issuer c's never
        deadline = time.monotonic() + MIN_REFETCH_S + 4
        while True:
            status, _, body = harness.http_call(self.postern.admin_port, "GET", "/readyz")
            self.assertEqual(status, 503, body)
            if json.loads(body)["reasons"] == ["oidc: no keys yet from " + self.c_issuer]:
                break
            self.assertLess(time.monotonic(), deadline, body)
            time.sleep(0.1)
        self.assertEqual(self.whoami(self.good(sub="alice"))["sub"], "alice")
        self.assertNotIn("/c/jwks", self.c_server.requests)
        self.assert_refused("Bearer " + self.c_token(), "unknown_kid")
        # fixed at the issuer: keys load on the next attempt, no restart
        doc["issuer"] = self.c_issuer
        harness.wait_ready(self.postern, timeout=MIN_REFETCH_S + 5)
        self.assertIn("/c/jwks", self.c_server.requests)
        self.assertEqual(self.whoami(self.c_token())["sub"], "cy")


if __name__ == "__main__":
    harness.main()
