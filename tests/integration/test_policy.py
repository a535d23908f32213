"""The RBAC policy end to end (SPEC §7, §8, §13; issue 4): real tokens from a
real `postern dev-idp`, a real nats-server, responders and a recorder.

Fixtures: policy/schema.graphql and policy/policy.yaml next to this file.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import harness

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "policy")
SCHEMA_PATH = os.path.join(FIXTURES, "schema.graphql")
POLICY_PATH = os.path.join(FIXTURES, "policy.yaml")
with open(POLICY_PATH) as _f:
    POLICY_A = _f.read()
# Policy B: viewers lose Query.order (everything else as in A).
POLICY_B = POLICY_A.replace("allow: [Query.order, Query.orders, Query.search]",
                            "allow: [Query.orders, Query.search]")
assert POLICY_B != POLICY_A
WRITER_ROLES = {"roles": ["orders:write"]}

IDP = None
IDP_DIR = None
NATS = None
TOKENS = {}


def auth_config():
    """The `oidc:` section of a postern config that trusts the module's dev-idp."""
    return ("oidc:\n  issuers:\n    - issuer: %s\n      discovery: true\n"
            "      audiences: [orders-api]\n" % IDP.issuer)


def mint(sub, claims):
    """A token from the dev-idp; claim values are given as JSON."""
    return IDP.mint(sub, ["%s=%s" % (k, json.dumps(v) if not isinstance(v, str) else v)
                          for k, v in claims.items()])


def setUpModule():
    global IDP, IDP_DIR, NATS
    IDP_DIR = tempfile.mkdtemp(prefix="postern-policy-idp-")
    IDP = harness.DevIdp(IDP_DIR)
    try:
        IDP.start()
        NATS = harness.NatsServer().start()
        claims = {
            "viewer": ("alice", {"groups": ["staff"]}),
            "billing": ("svc-billing", {"azp": "billing"}),
            "viewer+billing": ("svc-mixed", {"groups": ["staff"], "azp": "billing"}),
            "writer-acme": ("wendy", {"tenant": "acme", "realm_access": WRITER_ROLES}),
            "writer-globex": ("gus", {"tenant": "globex", "realm_access": WRITER_ROLES}),
            "writer-notenant": ("nora", {"realm_access": WRITER_ROLES}),
            "writer-dot": ("dot", {"tenant": "acme.globex", "realm_access": WRITER_ROLES}),
            "writer-star": ("star", {"tenant": "a*", "realm_access": WRITER_ROLES}),
            "writer-gt": ("gt", {"tenant": ">", "realm_access": WRITER_ROLES}),
            "writer-internal": ("ivan", {"tenant": "internal", "realm_access": WRITER_ROLES}),
        }
        for name, (sub, c) in claims.items():
            TOKENS[name] = mint(sub, c)
    except Exception:
        tearDownModule()
        raise


def tearDownModule():
    if NATS:
        NATS.stop()
    code = IDP.stop() if IDP else 0
    logs = IDP.logs() if IDP else ""
    if IDP_DIR:
        shutil.rmtree(IDP_DIR, ignore_errors=True)
    harness.check_clean_exit(code, logs)


def order_reply(oid):
    return {"id": oid, "status": "OPEN", "total": 12.5, "internalCost": 7.25,
            "items": [{"sku": "A-1", "quantity": 2, "price": 6.25}],
            "customer": {"id": "c1", "name": "Ada"}}


def forbidden(test, body, path, mentions):
    """body has exactly one error: FORBIDDEN at path, naming `mentions`."""
    test.assertEqual(len(body.get("errors", [])), 1, body)
    err = body["errors"][0]
    test.assertEqual(err["extensions"]["code"], "FORBIDDEN", body)
    test.assertEqual(err["path"], path, body)
    test.assertIn(mentions, err["message"], body)


class PolicyServer(unittest.TestCase):
    """One postern per class with the fixture schema and a policy file of its
    own, trusting the module's dev-idp; responders on orders.* and a recorder
    of every orders.> message."""

    REJECT = False

    @classmethod
    def setUpClass(cls):
        cls.nc = harness.NatsClient(NATS.url)
        cls.seen = harness.Recorder(cls.nc, "orders.>")
        harness.responder(cls.nc, "orders.get.*", cls.on_get)
        harness.responder(cls.nc, "orders.list", lambda m: [order_reply("l1")])
        harness.responder(cls.nc, "orders.search", lambda m: [order_reply("s1")])
        harness.responder(cls.nc, "orders.mine.*",
                          lambda m: [order_reply("mine-" + m.subject.split(".")[2])])
        harness.responder(cls.nc, "orders.place.*", lambda m: dict(
            order_reply("placed-" + m.subject.split(".")[2]), status="PLACED"))
        cls.barriers = 0
        cls.postern = harness.Postern(NATS.url, schema_path=SCHEMA_PATH, auth=auth_config())
        cls.policy_path = os.path.join(cls.postern.dir, "policy.yaml")
        with open(cls.policy_path, "w") as f:
            f.write(POLICY_A)
        with open(cls.postern.config_path, "a") as f:
            f.write("policy: %s\nreject_unauthorized: %s\n"
                    % (cls.policy_path, "true" if cls.REJECT else "false"))
        try:
            cls.postern.start()
            harness.wait_ready(cls.postern)
        except Exception:
            print(cls.postern.logs())
            cls.tearDownClass()
            raise

    @classmethod
    def on_get(cls, msg):
        oid = msg.subject.split(".")[2]
        return None if oid.startswith("held-") else order_reply(oid)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "postern", None):
            postern, cls.postern = cls.postern, None
            postern.finish()
        if getattr(cls, "nc", None):
            cls.nc.close()
            cls.nc = None

    def gql(self, who, query, variables=None, headers=None):
        h = {"Authorization": "Bearer " + TOKENS[who]}
        h.update(headers or {})
        return self.postern.graphql(query, variables, headers=h)

    def sent_by(self, fn):
        """Runs fn(); returns (its result, the orders.> messages postern sent
        meanwhile). A barrier request sent afterwards on postern's one NATS
        connection must arrive after anything fn caused, so nothing is missed."""
        before = len(self.seen.msgs)
        result = fn()
        type(self).barriers += 1
        tag = "barrier-%d" % self.barriers
        status, _, body = self.gql("viewer", '{ order(id: "%s") { id } }' % tag)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"order": {"id": tag}}})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with self.seen.cond:
                msgs = list(self.seen.msgs[before:])
            if any(m.subject == "orders.get." + tag for m in msgs):
                return result, [m for m in msgs if not m.subject.startswith("orders.get.barrier-")]
            time.sleep(0.02)
        self.fail("barrier message never arrived")


class Enforcement(PolicyServer):
    """reject_unauthorized: false: denied fields are null + FORBIDDEN."""

    def test_viewer_can_query(self):
        q = '{ order(id: "1") { id status total items { sku quantity } customer { name } } }'
        (status, _, body), sent = self.sent_by(lambda: self.gql("viewer", q))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"order": {
            "id": "1", "status": "OPEN", "total": 12.5,
            "items": [{"sku": "A-1", "quantity": 2}], "customer": {"name": "Ada"}}}})
        self.assertEqual([m.subject for m in sent], ["orders.get.1"])
        self.assertEqual(sent[0].json(), {"id": "1"})

    def test_viewer_cannot_mutate(self):
        q = 'mutation { placeOrder(input: {sku: "lamp-1"}) { id } }'
        (status, _, body), sent = self.sent_by(lambda: self.gql("viewer", q))
        self.assertEqual(status, 200, body)
        # placeOrder is Order!: its null propagates to data
        self.assertIsNone(body["data"], body)
        forbidden(self, body, ["placeOrder"], "Mutation.placeOrder")
        q = 'mutation { placeOrderFor(tenant: "acme", input: {sku: "lamp-1"}) { id } }'
        (status, _, body), sent2 = self.sent_by(lambda: self.gql("viewer", q))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"], {"placeOrderFor": None})
        forbidden(self, body, ["placeOrderFor"], "Mutation.placeOrderFor")
        self.assertEqual(sent + sent2, [], "a denied mutation sent a NATS message")

    def test_denied_nested_field_is_null_rest_arrives(self):
        q = '{ order(id: "2") { id total internalCost customer { name } } }'
        (status, _, body), sent = self.sent_by(lambda: self.gql("viewer", q))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"], {"order": {"id": "2", "total": 12.5, "internalCost": None,
                                                  "customer": {"name": "Ada"}}})
        forbidden(self, body, ["order", "internalCost"], "Order.internalCost")
        self.assertEqual([m.subject for m in sent], ["orders.get.2"])

    def test_denied_non_null_field_nulls_nearest_nullable_parent(self):
        # LineItem.price is Float! in [LineItem!]! in the nullable Query.order
        q = '{ a: order(id: "3") { id items { sku price } } b: order(id: "4") { id } }'
        status, _, body = self.gql("viewer", q)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"], {"a": None, "b": {"id": "4"}})
        forbidden(self, body, ["a", "items", 0, "price"], "LineItem.price")
        # Query.orders is [Order!]!: the null reaches data itself
        status, _, body = self.gql("viewer", '{ orders { id items { price } } }')
        self.assertEqual(status, 200, body)
        self.assertIsNone(body["data"], body)
        forbidden(self, body, ["orders", 0, "items", 0, "price"], "LineItem.price")

    def test_deny_in_any_bound_role_wins(self):
        q = '{ order(id: "5") { id internalCost } }'
        status, _, body = self.gql("billing", q)
        self.assertEqual(body, {"data": {"order": {"id": "5", "internalCost": 7.25}}})
        status, _, body = self.gql("viewer+billing", q)
        self.assertEqual(body["data"], {"order": {"id": "5", "internalCost": None}})
        forbidden(self, body, ["order", "internalCost"], "Order.internalCost")

    def test_audit_headers_reach_the_responder(self):
        q = '{ order(id: "6") { id } }'
        (status, _, body), sent = self.sent_by(
            lambda: self.gql("viewer", q, headers={"Postern-Roles": "admin",
                                                   "Postern-Rule": "admin:>"}))
        self.assertEqual(status, 200, body)
        h = sent[0].headers
        self.assertEqual(h.get("Postern-Roles"), "viewer")
        self.assertEqual(h.get("Postern-Rule"), "viewer:orders.get.*")
        self.assertEqual(h.get("Postern-Audit-Tags"), "team=orders")
        self.assertEqual(h.get("Postern-Field"), "Query.order")
        # two roles: sorted; the rule of the first role (sorted) allowing the
        # subject; the tags of every role allowing field or subject, sorted
        (status, _, body), sent = self.sent_by(lambda: self.gql("viewer+billing", q))
        h = sent[0].headers
        self.assertEqual(h.get("Postern-Roles"), "billing-service,viewer")
        self.assertEqual(h.get("Postern-Rule"), "billing-service:orders.get.*")
        self.assertEqual(h.get("Postern-Audit-Tags"),
                         "consumer=billing,data-class=financial,team=orders")
        # a template pattern is named as written; inherited tags count
        q = 'mutation { placeOrder(input: {sku: "lamp-1"}) { id } }'
        (status, _, body), sent = self.sent_by(lambda: self.gql("writer-acme", q))
        self.assertEqual(status, 200, body)
        h = sent[0].headers
        self.assertEqual(h.get("Postern-Roles"), "orders-writer")
        self.assertEqual(h.get("Postern-Rule"), "orders-writer:orders.place.{{ claims.tenant }}")
        self.assertEqual(h.get("Postern-Audit-Tags"), "data-class=pii,team=orders")
        self.assertEqual(h.get("Postern-Sub"), "wendy")
        self.assertEqual(h.get("Postern-Iss"), IDP.issuer)
        self.assertNotIn("Authorization", h)

    def test_tenant_template_confines_writer(self):
        place = 'mutation { placeOrder(input: {sku: "lamp-1", quantity: 2}) { id status } }'
        (status, _, body), sent = self.sent_by(lambda: self.gql("writer-acme", place))
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"placeOrder": {"id": "placed-acme", "status": "PLACED"}}})
        self.assertEqual([m.subject for m in sent], ["orders.place.acme"])
        self.assertEqual(sent[0].json(), {"input": {"sku": "lamp-1", "quantity": 2}})
        (status, _, body), sent = self.sent_by(lambda: self.gql("writer-globex", place))
        self.assertEqual([m.subject for m in sent], ["orders.place.globex"])
        # the subject comes from an argument: only the policy keeps acme on acme
        q = 'mutation($t: String!) { placeOrderFor(tenant: $t, input: {sku: "x"}) { id } }'
        (status, _, body), sent = self.sent_by(
            lambda: self.gql("writer-acme", q, {"t": "acme"}))
        self.assertEqual(body, {"data": {"placeOrderFor": {"id": "placed-acme"}}})
        self.assertEqual([m.subject for m in sent], ["orders.place.acme"])
        (status, _, body), sent = self.sent_by(
            lambda: self.gql("writer-acme", q, {"t": "globex"}))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"], {"placeOrderFor": None})
        forbidden(self, body, ["placeOrderFor"], "orders.place.globex")
        self.assertEqual(sent, [])
        # an explicit deny beats the templated allow
        (status, _, body), sent = self.sent_by(lambda: self.gql("writer-internal", place))
        self.assertIsNone(body["data"], body)
        forbidden(self, body, ["placeOrder"], "orders.place.internal")
        self.assertEqual(sent, [])

    def test_token_without_tenant_claim_is_refused(self):
        place = 'mutation { placeOrder(input: {sku: "lamp-1"}) { id } }'
        (status, _, body), sent = self.sent_by(lambda: self.gql("writer-notenant", place))
        self.assertEqual(status, 200, body)
        self.assertIsNone(body["data"], body)
        forbidden(self, body, ["placeOrder"], "Mutation.placeOrder")
        q = 'mutation { placeOrderFor(tenant: "acme", input: {sku: "x"}) { id } }'
        (status, _, body), sent2 = self.sent_by(lambda: self.gql("writer-notenant", q))
        self.assertEqual(body["data"], {"placeOrderFor": None})
        forbidden(self, body, ["placeOrderFor"], "orders.place.acme")
        self.assertEqual(sent + sent2, [])

    def test_claim_subject_of_a_query_field(self):
        q = '{ myOrders { id } order(id: "8") { id } }'
        (status, _, body), sent = self.sent_by(lambda: self.gql("writer-acme", q))
        self.assertEqual(body, {"data": {"myOrders": [{"id": "mine-acme"}], "order": {"id": "8"}}})
        self.assertEqual(sorted(m.subject for m in sent), ["orders.get.8", "orders.mine.acme"])
        # no tenant claim: that field is refused, the other one is served
        (status, _, body), sent = self.sent_by(lambda: self.gql("writer-notenant", q))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"], {"myOrders": None, "order": {"id": "8"}})
        forbidden(self, body, ["myOrders"], "Query.myOrders")
        self.assertEqual([m.subject for m in sent], ["orders.get.8"])

    def test_unsafe_tenant_claim_is_refused(self):
        place = 'mutation { placeOrder(input: {sku: "lamp-1"}) { id } }'
        for who in ("writer-dot", "writer-star", "writer-gt"):
            (status, _, body), sent = self.sent_by(lambda: self.gql(who, place))
            self.assertEqual(status, 200, (who, body))
            self.assertIsNone(body["data"], (who, body))
            forbidden(self, body, ["placeOrder"], "Mutation.placeOrder")
            self.assertEqual(sent, [], who)
            # the policy pattern matches nothing, even a tenant the token's
            # text seems to name
            for t in ("acme", "a", "x"):
                q = 'mutation { placeOrderFor(tenant: "%s", input: {sku: "x"}) { id } }' % t
                (status, _, body), sent = self.sent_by(lambda: self.gql(who, q))
                self.assertEqual(body["data"], {"placeOrderFor": None}, (who, body))
                forbidden(self, body, ["placeOrderFor"], "orders.place." + t)
                self.assertEqual(sent, [], who)


class RejectUnauthorized(PolicyServer):
    """reject_unauthorized: true: a denied field refuses the whole operation."""

    REJECT = True

    def refused(self, who, query, variables=None, mentions=None):
        (status, _, body), sent = self.sent_by(lambda: self.gql(who, query, variables))
        self.assertEqual(status, 403, body)
        self.assertEqual(body["errors"][0]["extensions"]["code"], "FORBIDDEN", body)
        if mentions:
            self.assertIn(mentions, body["errors"][0]["message"], body)
        self.assertIsNone(body.get("data"), body)
        self.assertEqual(sent, [], "a refused operation sent %s" % [m.subject for m in sent])

    def test_allowed_operation_still_served(self):
        status, _, body = self.gql("viewer", '{ order(id: "ok") { id total } }')
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"order": {"id": "ok", "total": 12.5}}})

    def test_denied_nested_field_refuses_everything(self):
        self.refused("viewer", '{ a: order(id: "r1") { id total } '
                               'b: order(id: "r2") { id internalCost } }', None,
                     "Order.internalCost")
        # behind a fragment too
        self.refused("viewer", '{ order(id: "r3") { ...F } } '
                               'fragment F on Order { items { price } }', None, "LineItem.price")

    def test_denied_root_field_refuses_the_allowed_ones(self):
        self.refused("billing", '{ order(id: "r4") { id } search(text: "x") { id } }', None,
                     "Query.search")
        self.refused("viewer", 'mutation { placeOrder(input: {sku: "x"}) { id } }', None,
                     "Mutation.placeOrder")

    def test_denied_subject_refuses_the_operation(self):
        q = 'mutation($t: String!) { placeOrderFor(tenant: $t, input: {sku: "x"}) { id } }'
        self.refused("writer-acme", q, {"t": "globex"}, "orders.place.globex")
        self.refused("writer-notenant", q, {"t": "acme"}, "orders.place.acme")

    # Known bug (reported): a missing tenant claim fails the subject template in
    # proxy/pipeline/field.c prepare() with FORBIDDEN but does not count as a
    # denial, so reject_unauthorized answers 200 instead of 403. Remove the
    # decorator once fixed (an unexpected success fails this file).
    def test_missing_tenant_claim_refuses_the_operation(self):
        self.refused("writer-notenant", 'mutation { placeOrder(input: {sku: "x"}) { id } }')
    def test_missing_tenant_claim_refuses_the_other_fields(self):
        self.refused("writer-notenant", '{ myOrders { id } order(id: "r5") { id } }')


VIEWER_ORDER = '{ order(id: "L") { id total } }'
ANSWER_A = {"data": {"order": {"id": "L", "total": 12.5}}}


def is_answer_b(body):
    return (body.get("data") == {"order": None} and len(body.get("errors", [])) == 1
            and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            and body["errors"][0]["path"] == ["order"]
            and "Query.order" in body["errors"][0]["message"])


class Reload(PolicyServer):
    """SIGHUP and file-change reloads: atomic swaps, broken files ignored."""

    def write_policy(self, text, replace=True):
        if replace:  # as a ConfigMap or an editor's save-as would: a new inode
            fd, tmp = tempfile.mkstemp(dir=self.postern.dir, suffix=".yaml")
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, self.policy_path)
        else:
            with open(self.policy_path, "w") as f:
                f.write(text)

    def hup(self):
        self.postern.proc.send_signal(signal.SIGHUP)

    def answer(self):
        status, _, body = self.gql("viewer", VIEWER_ORDER)
        self.assertEqual(status, 200, body)
        if body == ANSWER_A:
            return "A"
        if is_answer_b(body):
            return "B"
        self.fail("neither policy's answer: %s" % body)

    def wait_answer(self, want, timeout=3.5):
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = self.answer()
            if got == want:
                return
            time.sleep(0.05)
        self.fail("policy %s not in force after %.1fs (still %s)\n%s"
                  % (want, timeout, got, self.postern.logs()[-2000:]))

    def count_log(self, text):
        return self.postern.logs().count(text)

    def wait_log(self, text, above, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count_log(text) > above:
                return
            time.sleep(0.05)
        self.fail("log never said %r\n%s" % (text, self.postern.logs()[-2000:]))

    def set_policy(self, text, want):
        self.write_policy(text)
        self.hup()
        self.wait_answer(want)

    def test_swap_under_load_fails_no_request(self):
        self.set_policy(POLICY_A, "A")
        stop = threading.Event()
        results, problems, lock = [], [], threading.Lock()

        def client():
            while not stop.is_set():
                try:
                    status, _, body = self.gql("viewer", VIEWER_ORDER)
                except Exception as e:  # a refused or reset connection
                    with lock:
                        problems.append("connection: %r" % e)
                    continue
                kind = ("A" if status == 200 and body == ANSWER_A else
                        "B" if status == 200 and body and is_answer_b(body) else None)
                with lock:
                    results.append(kind)
                    if kind is None:
                        problems.append("%s %s" % (status, body))

        threads = [threading.Thread(target=client) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            for i in range(8):
                time.sleep(0.25)
                self.write_policy(POLICY_B if i % 2 == 0 else POLICY_A)
                self.hup()
            time.sleep(0.25)
        finally:
            stop.set()
            for t in threads:
                t.join(20)
        nats_log = [l for l in self.postern.logs().splitlines() if '"nats ' in l]
        self.assertEqual(problems[:3], [], "%d of %d requests failed; NATS log lines: %s"
                         % (len(problems), len(results), nats_log))
        self.assertGreater(len(results), 20)
        self.assertIn("A", results)
        self.assertIn("B", results)
        self.wait_answer("A")

    def test_broken_policy_keeps_old_decisions(self):
        self.set_policy(POLICY_A, "A")
        broken = {
            "syntax error": "version: 1\nroles: {viewer: {graphql: {allow: [Query.order]}\n",
            "unknown role": POLICY_B.replace("inherits: [viewer]", "inherits: [reader]"),
            "unknown coordinate": POLICY_B.replace("Query.orders,", "Query.invoices,"),
            "empty file": "",
        }
        self.assertIn("inherits: [reader]", broken["unknown role"])
        self.assertNotIn("Query.orders,", broken["unknown coordinate"])
        for why, text in broken.items():
            failed = self.count_log("policy reload failed")
            self.write_policy(text)
            self.hup()
            self.wait_log("policy reload failed", failed)
            self.assertEqual(self.answer(), "A", why)
        logs = self.postern.logs()
        self.assertIn("previous policy stays", logs)
        self.assertIn("unknown role 'reader'", logs)
        self.assertIn("policy.yaml:", logs)
        # the next good file is taken
        self.set_policy(POLICY_B, "B")
        self.set_policy(POLICY_A, "A")

    def test_request_runs_wholly_under_its_policy(self):
        """A request whose reply is held while the policy changes is still
        completed (nested fields decided) under the policy it started with."""
        self.set_policy(POLICY_A, "A")
        arrived, release = threading.Event(), threading.Event()

        def held(msg):
            if msg.subject != "orders.get.held-1":
                return None
            arrived.set()
            release.wait(10)
            return order_reply("held-1")

        sid = harness.responder(self.nc, "orders.get.*", held)
        self.addCleanup(self.nc.unsubscribe, sid)
        self.addCleanup(release.set)
        out = {}
        q = '{ order(id: "%s") { id status } }'
        t = threading.Thread(target=lambda: out.update(r=self.gql("viewer", q % "held-1")))
        t.start()
        self.assertTrue(arrived.wait(5))
        # policy C denies Order.status (String!) to viewers
        self.write_policy(POLICY_A.replace("deny: [Order.internalCost, LineItem.price]",
                                           "deny: [Order.internalCost, LineItem.price, "
                                           "Order.status]"))
        self.hup()
        deadline = time.monotonic() + 5
        while True:
            status, _, body = self.gql("viewer", q % "c1")
            if body.get("data") == {"order": None}:
                forbidden(self, body, ["order", "status"], "Order.status")
                break
            self.assertLess(time.monotonic(), deadline, "policy C never took effect")
            time.sleep(0.05)
        release.set()
        t.join(10)
        status, _, body = out["r"]
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"order": {"id": "held-1", "status": "OPEN"}}})
        self.set_policy(POLICY_A, "A")

    def test_file_change_reloads_without_sighup(self):
        self.set_policy(POLICY_A, "A")
        changed = self.count_log("policy file changed")
        self.write_policy(POLICY_B, replace=False)  # rewritten in place
        self.wait_answer("B", timeout=3.5)
        self.assertGreater(self.count_log("policy file changed"), changed)
        self.write_policy(POLICY_A)  # replaced by rename
        self.wait_answer("A", timeout=3.5)


def start_nats_with_config(text):
    """nats-server -c FILE on a free loopback port; returns (proc, url, dir)."""
    d = tempfile.mkdtemp(prefix="postern-nats-")
    port = harness.free_port()
    path = os.path.join(d, "nats.conf")
    with open(path, "w") as f:
        f.write("listen: 127.0.0.1:%d\n%s" % (port, text))
    log = open(os.path.join(d, "nats.log"), "wb")
    proc = subprocess.Popen([harness.NATS_SERVER, "-c", path], stdout=log,
                            stderr=subprocess.STDOUT)
    log.close()
    try:
        harness.wait_port(port, proc=proc)
    except Exception:
        harness.stop_process(proc)
        with open(os.path.join(d, "nats.log")) as f:
            print(f.read())
        shutil.rmtree(d, ignore_errors=True)
        raise
    return proc, "nats://127.0.0.1:%d" % port, d


class ExportNats(unittest.TestCase):
    """`postern policy export-nats` loaded into a real nats-server."""

    PASSWORD = "pst-secret-1"

    @classmethod
    def setUpClass(cls):
        cls.nats_proc = cls.nats_dir = cls.postern = None
        d = tempfile.mkdtemp(prefix="postern-export-")
        cls.export_dir = d
        cfg = os.path.join(d, "postern.yaml")
        with open(cfg, "w") as f:
            f.write("listen: 127.0.0.1:1\nschema: %s\npolicy: %s\nnats: {servers: [%s]}\n%s"
                    % (SCHEMA_PATH, POLICY_PATH, NATS.url, auth_config()))
        out = subprocess.run([harness.POSTERN, "policy", "export-nats", "-c", cfg,
                              "--user", "postern", "--password", cls.PASSWORD],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if out.returncode != 0:
            raise AssertionError(out.stderr.decode())
        cls.export = out.stdout.decode()
        # a second user for the responders: the exported block stays as printed
        marker = "users = ["
        assert cls.export.count(marker) == 1, cls.export
        conf = cls.export.replace(
            marker, marker + '\n    {user: "responder", password: "resp-secret"}')
        try:
            cls.nats_proc, cls.url, cls.nats_dir = start_nats_with_config(conf)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.postern:
            postern, cls.postern = cls.postern, None
            postern.finish()
        if cls.nats_proc:
            harness.stop_process(cls.nats_proc)
        for d in (cls.nats_dir, cls.export_dir):
            if d:
                shutil.rmtree(d, ignore_errors=True)

    def client(self, user, password):
        c = harness.NatsClient(self.url, user=user, password=password)
        self.addCleanup(c.close)
        return c

    def test_export_names_the_user_and_subjects(self):
        self.assertIn('user: "postern"', self.export)
        self.assertIn('password: "%s"' % self.PASSWORD, self.export)
        self.assertIn('"orders.place.*"', self.export)
        self.assertIn('deny: ["orders.place.internal"]', self.export)
        self.assertIn('"_INBOX.>"', self.export)

    def test_wrong_password_is_refused(self):
        with self.assertRaises(RuntimeError) as cm:
            self.client("postern", "wrong")
        self.assertIn("Authorization Violation", str(cm.exception))

    def test_allowed_subjects_pass_others_are_rejected(self):
        resp = self.client("responder", "resp-secret")
        rec = harness.Recorder(resp, ">")
        pc = self.client("postern", self.PASSWORD)
        for subject in ("orders.get.1", "orders.list", "orders.place.acme"):
            pc.publish(subject, "{}")
        pc.flush()
        self.assertEqual(rec.wait_count(3), 3)
        self.assertTrue(pc.errors.empty(), pc.errors.queue)
        for subject in ("secret.stuff", "orders.place.internal", "orders.get.1.2"):
            pc.publish(subject, "{}")
            err = pc.errors.get(timeout=5)
            self.assertIn("Permissions Violation", err)
            self.assertIn('Publish to "%s"' % subject, err)
        pc.subscribe("orders.get.*", lambda m: None)
        err = pc.errors.get(timeout=5)
        self.assertIn("Permissions Violation for Subscription", err)
        pc.flush()
        time.sleep(0.1)
        self.assertEqual([m.subject for m in rec.msgs],
                         ["orders.get.1", "orders.list", "orders.place.acme"])
        # the reply inbox works: a request from postern's user gets its answer
        got = []
        pc.subscribe("_INBOX.test.1", got.append)
        pc.flush()
        resp.subscribe("orders.get.*", lambda m: resp.publish(m.reply, '{"ok":1}'))
        resp.flush()
        pc.publish("orders.get.9", "{}", reply="_INBOX.test.1")
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual([m.data for m in got], [b'{"ok":1}'])

    def test_postern_serves_with_that_user(self):
        resp = self.client("responder", "resp-secret")
        harness.responder(resp, "orders.get.*", lambda m: order_reply(m.subject.split(".")[2]))
        harness.responder(resp, "orders.place.*", lambda m: order_reply("p"))
        p = harness.Postern(self.url, schema_path=SCHEMA_PATH, auth=auth_config())
        type(self).postern = p
        with open(p.config_path) as f:
            lines = [l for l in f.read().splitlines() if not l.startswith(("nats:", "  servers"))]
        with open(p.config_path, "w") as f:
            f.write("\n".join(lines) + "\npolicy: %s\nnats:\n  servers: [%s]\n"
                    "  user: postern\n  password: %s\n" % (POLICY_PATH, self.url, self.PASSWORD))
        try:
            p.start()
            harness.wait_ready(p)
        except Exception:
            print(p.logs())
            raise
        h = {"Authorization": "Bearer " + TOKENS["viewer"]}
        status, _, body = p.graphql('{ order(id: "77") { id total } }', headers=h)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"data": {"order": {"id": "77", "total": 12.5}}})
        h = {"Authorization": "Bearer " + TOKENS["writer-acme"]}
        status, _, body = p.graphql('mutation { placeOrder(input: {sku: "x"}) { id } }',
                                    headers=h)
        self.assertEqual(body, {"data": {"placeOrder": {"id": "p"}}})
        self.assertNotIn("Permissions Violation", p.logs())


if __name__ == "__main__":
    harness.main()
