"""The policy tools of SPEC §3 (issue 4): `postern check` on each kind of
broken policy (file:line:col, exit 1, every error reported), `postern policy
test`, `postern policy explain` and `postern policy export-nats`, run as the
real binary. Fixtures: policy/ next to this file."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "policy")
SCHEMA_PATH = os.path.join(FIXTURES, "schema.graphql")
POLICY_PATH = os.path.join(FIXTURES, "policy.yaml")

# fixture -> [(line, col, message fragment)], in the order postern prints them
BROKEN = {
    "broken_unknown_key.yaml": [(10, 7, "unknown key 'permit' in graphql")],
    "broken_unknown_role.yaml": [(6, 11, "unknown role 'auditor'"),
                                 (10, 16, "role 'viewer' inherits unknown role 'reader'")],
    "broken_cycle.yaml": [(13, 16, "inheritance cycle: a -> b -> c -> a")],
    "broken_subject.yaml": [
        (10, 25, "invalid subject pattern 'orders..get': empty token"),
        (10, 40, "invalid subject pattern 'orders.>.x': '>' must be the last token"),
        (10, 54, "invalid subject pattern 'orders.get. 1': whitespace")],
    "broken_template.yaml": [
        (10, 25, "invalid subject pattern 'orders.get.{{ args.id }}': only {{ claims.PATH }} "
                 "templates are allowed")],
    "broken_coordinate.yaml": [(9, 28, "coordinate 'Query.invoice' is not in the schema"),
                               (10, 14, "coordinate 'Order.secret' is not in the schema"),
                               (10, 28, "type 'Invoice' is not in the schema")],
    "broken_syntax.yaml": [(3, 1, "YAML syntax error")],
    "broken_all.yaml": [
        (6, 11, "unknown role 'ghost'"),
        (11, 5, "unknown key 'colour' in role 'viewer'"),
        (12, 36, "coordinate 'Query.invoice' is not in the schema"),
        (14, 25, "'>' must be the last token"),
        (14, 39, "only {{ claims.PATH }} templates are allowed"),
        (16, 16, "inheritance cycle: viewer -> writer -> viewer")],
}


def run(*args, timeout=60):
    p = subprocess.run([harness.POSTERN] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, cwd=harness.SOURCE_DIR)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


class PolicyCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="postern-policy-cli-")
        cls.config = cls.write_config("postern.yaml", POLICY_PATH)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def write_config(cls, name, policy_path):
        path = os.path.join(cls.dir, name)
        with open(path, "w") as f:
            f.write("listen: 127.0.0.1:1\nschema: %s\npolicy: %s\n"
                    "nats: {servers: [nats://127.0.0.1:4222]}\n"
                    "oidc: {allow_anonymous: true}\n" % (SCHEMA_PATH, policy_path))
        return path

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    # ---- postern check ------------------------------------------------------

    def test_check_accepts_the_fixture_and_example(self):
        code, out, err = run("check", "-c", self.config)
        self.assertEqual(code, 0, err)
        self.assertIn("ok", out)
        code, out, err = run("check", "-c", os.path.join("config", "postern.yaml"))
        self.assertEqual(code, 0, err)

    def test_check_reports_each_broken_policy_at_its_place(self):
        for name, want in BROKEN.items():
            with self.subTest(fixture=name):
                policy = os.path.join(FIXTURES, name)
                cfg = self.write_config("check-" + name, policy)
                code, out, err = run("check", "-c", cfg)
                self.assertEqual(code, 1, out + err)
                got = [l for l in err.splitlines() if l.startswith(policy + ":")]
                self.assertEqual(len(got), len(want), err)
                for line, (ln, col, msg) in zip(got, want):
                    self.assertTrue(line.startswith("%s:%d:%d: error: " % (policy, ln, col)),
                                    "want %d:%d for %r, got %r" % (ln, col, msg, line))
                    self.assertIn(msg, line)
                n = len(want)
                self.assertEqual(err.splitlines()[-1], "%d error%s" % (n, "" if n == 1 else "s"))
                self.assertNotIn("ok", out)

    def test_check_refuses_an_empty_policy(self):
        empty = self.write("empty.yaml", "")
        code, _, err = run("check", "-c", self.write_config("check-empty.yaml", empty))
        self.assertEqual(code, 1)
        self.assertIn("%s: error: the file is empty" % empty, err)

    def test_serve_refuses_to_start_with_a_broken_policy(self):
        policy = os.path.join(FIXTURES, "broken_cycle.yaml")
        code, out, err = run("serve", "-c", self.write_config("serve-broken.yaml", policy),
                             timeout=30)
        self.assertEqual(code, 1)
        self.assertIn("%s:13:16: error: inheritance cycle" % policy, out + err)

    # ---- postern policy test ------------------------------------------------

    def test_policy_test_passes(self):
        code, out, err = run("policy", "test", "-c", self.config,
                             os.path.join(FIXTURES, "decisions.yaml"))
        self.assertEqual(code, 0, out + err)
        oks = [l for l in out.splitlines() if l.startswith("ok ")]
        self.assertEqual(len(oks), 9, out)
        self.assertEqual(out.splitlines()[-1], "9 passed, 0 failed")

    def test_example_policy_tests_pass(self):
        code, out, err = run("policy", "test", "-c", os.path.join("config", "postern.yaml"),
                             os.path.join("policy", "examples", "policy_test.yaml"))
        self.assertEqual(code, 0, out + err)
        n = len([l for l in out.splitlines() if l.startswith("ok ")])
        self.assertGreater(n, 0)
        self.assertEqual(out.splitlines()[-1], "%d passed, 0 failed" % n)

    def test_policy_test_failures_exit_1(self):
        failing = os.path.join(FIXTURES, "decisions_failing.yaml")
        code, out, err = run("policy", "test", "-c", self.config, failing)
        self.assertEqual(code, 1, out + err)
        self.assertEqual(out.splitlines()[-1], "2 passed, 2 failed")
        fails = [l for l in out.splitlines() if l.startswith("FAIL ")]
        self.assertEqual(len(fails), 2, out)
        self.assertEqual("FAIL wrongly expects staff to place orders (%s:9): expected allow, "
                         "but Mutation.placeOrder was denied" % failing, fails[0])
        self.assertIn("(%s:14): expected Order.total to be denied" % failing, fails[1])
        # the decisions behind a failure are printed under it
        self.assertIn("Mutation.placeOrder: deny: no bound role allows this root field", out)
        # several files: one total
        code, out, _ = run("policy", "test", "-c", self.config,
                           os.path.join(FIXTURES, "decisions.yaml"), failing)
        self.assertEqual(code, 1)
        self.assertEqual(out.splitlines()[-1], "11 passed, 2 failed")

    def test_policy_test_bad_files_fail(self):
        bad = self.write("bad_tests.yaml", 'tests:\n  - name: x\n    claim: {sub: a}\n'
                                           '    query: "{ orders { id } }"\n    expect: allow\n')
        code, out, err = run("policy", "test", "-c", self.config, bad)
        self.assertEqual(code, 1)
        self.assertIn("%s:3:5: error: unknown key 'claim'" % bad, err)
        self.assertIn("0 passed, 1 failed", out)
        code, out, err = run("policy", "test", "-c", self.config,
                             os.path.join(self.dir, "missing.yaml"))
        self.assertEqual(code, 1)
        self.assertIn("cannot open the test file", err)
        code, _, err = run("policy", "test", "-c", self.config)
        self.assertEqual(code, 2)
        self.assertIn("usage", err)

    # ---- postern policy explain ---------------------------------------------

    def test_explain_viewer(self):
        code, out, err = run("policy", "explain", "-c", self.config,
                             "--claims", '{"sub": "alice", "groups": ["staff"]}',
                             "--query", '{ order(id: "1") { id internalCost items { price } } }')
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertIn('binding %s:5:5 role viewer: matched: claim groups = ["staff"]; "staff" '
                      'is listed in any_of' % POLICY_PATH, lines)
        self.assertIn("binding %s:7:5 role orders-writer: no match: claim realm_access.roles "
                      "is missing" % POLICY_PATH, lines)
        self.assertIn("roles bound: viewer", lines)
        self.assertIn("  allow Query.order: allow: allowed by a role's graphql.allow "
                      "(role viewer, coordinate Query.order)", lines)
        self.assertIn("  allow   publish orders.get.1: allow: allowed by a role's nats allow "
                      "(role viewer, pattern orders.get.*)", lines)
        self.assertIn("  DENY  Order.internalCost: deny: denied by a role's graphql.deny "
                      "(role viewer, coordinate Order.internalCost)", lines)
        self.assertIn("  DENY  LineItem.price: deny: denied by a role's graphql.deny "
                      "(role viewer, coordinate LineItem.price)", lines)
        self.assertIn("  allow Order.id: allow: not a root field and no bound role denies it",
                      lines)

    def test_explain_writer(self):
        claims = self.write("writer.json", '{"sub": "wendy", "tenant": "acme", '
                                           '"realm_access": {"roles": ["orders:write"]}}')
        q = ('mutation($t: String!) { a: placeOrderFor(tenant: $t, input: {sku: "x"}) { id } '
             'b: placeOrder(input: {sku: "y"}) { id } }')
        code, out, err = run("policy", "explain", "-c", self.config, "--claims", claims,
                             "--query", q, "--variables", '{"t": "globex"}')
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertIn("roles bound: orders-writer", lines)
        self.assertIn("  DENY    publish orders.place.globex: deny: no bound role allows this "
                      "subject (default deny)", lines)
        self.assertIn("  allow   publish orders.place.acme: allow: allowed by a role's nats "
                      "allow (role orders-writer, pattern orders.place.{{ claims.tenant }}, "
                      "rendered orders.place.acme)", lines)
        # no tenant claim: the subject cannot be built, nothing would be sent
        code, out, err = run("policy", "explain", "-c", self.config, "--claims",
                             '{"sub": "nora", "realm_access": {"roles": ["orders:write"]}}',
                             "--query", 'mutation { placeOrder(input: {sku: "y"}) { id } }')
        self.assertEqual(code, 0, err)
        self.assertIn("  DENY    subject orders.place.{{ claims.tenant }}: value is missing: "
                      "nothing would be sent", out.splitlines())

    def test_explain_bad_input_exits_1(self):
        code, _, err = run("policy", "explain", "-c", self.config, "--claims", '{"sub": "x"',
                           "--query", "{ orders { id } }")
        self.assertEqual(code, 1)
        self.assertIn("--claims is not a JSON object", err)
        code, _, err = run("policy", "explain", "-c", self.config, "--claims", "{}",
                           "--query", "{ nope }")
        self.assertEqual(code, 1)
        self.assertIn('Cannot query field "nope" on type "Query"', err)

    # ---- postern policy export-nats -----------------------------------------

    def test_export_nats(self):
        code, out, err = run("policy", "export-nats", "-c", self.config)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, EXPORT % (POLICY_PATH, PUBLISH_ALLOW))
        code, out, err = run("policy", "export-nats", "-c", self.config, "--user", "svc",
                             "--password", 'p"w')
        self.assertEqual(code, 0, err)
        self.assertIn('      user: "svc"\n      password: "p\\"w"\n', out)
        # nats-server accepts what it prints
        conf = self.write("nats.conf", "listen: 127.0.0.1:%d\n%s" % (harness.free_port(), out))
        p = subprocess.run([harness.NATS_SERVER, "-t", "-c", conf], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn(b"is valid", p.stdout)

    def test_export_matches_the_guide(self):
        """docs/policy.md shows the export of the example policy: it must be
        what the tool prints (the source path aside)."""
        code, out, err = run("policy", "export-nats", "-c", os.path.join("config", "postern.yaml"))
        self.assertEqual(code, 0, err)
        with open(os.path.join(harness.SOURCE_DIR, "docs", "policy.md")) as f:
            guide = f.read()
        m = re.search(r"```\n(# NATS permissions for postern's own user.*?)```", guide, re.S)
        self.assertIsNotNone(m, "docs/policy.md has no export example")
        strip = lambda t: re.sub(r"generated from [^\n]*\.\n", "", t)
        self.assertEqual(strip(out), strip(m.group(1)))


PUBLISH_ALLOW = ", ".join('"%s"' % s for s in (
    "orders.get.*", "orders.list", "orders.mine.*", "orders.place.*", "orders.search"))
EXPORT = """\
# NATS permissions for postern's own user, generated from %s.
# Claim templates ({{ claims.* }}) are widened to '*' (any one token):
# postern itself narrows them per request.
# Replies arrive on _INBOX.>; postern publishes no replies itself.
authorization {
  users = [
    {
      user: "postern"
      password: $POSTERN_NATS_PASSWORD
      permissions: {
        publish: {
          allow: [%s]
          deny: ["orders.place.internal"]
        }
        subscribe: {
          allow: ["_INBOX.>"]
        }
      }
    }
  ]
}
"""

if __name__ == "__main__":
    harness.main()
