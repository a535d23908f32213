"""The command line: `postern check` and `serve` refuse bad config and schema
with file:line:col errors; `version`; unknown commands."""
import os
import shutil
import subprocess
import tempfile
import unittest

import harness

GOOD_SCHEMA = '''type Query { order(id: ID!): Order @natsRequest(subject: "o.{{ args.id }}") }
type Order { id: ID! }
'''


class Cli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="postern-cli-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_postern(self, *args, timeout=20):
        p = subprocess.run([harness.POSTERN] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def config(self, extra="", schema=GOOD_SCHEMA):
        self.write("schema.graphql", schema)
        self.write("policy.yaml", harness.Postern.OPEN_POLICY)
        return self.write("postern.yaml", "schema: schema.graphql\npolicy: policy.yaml\n"
                          "listen: 127.0.0.1:%d\n" % harness.free_port() + extra)

    def test_policy_is_required(self):
        self.write("schema.graphql", GOOD_SCHEMA)
        path = self.write("postern.yaml", "schema: schema.graphql\n")
        code, out, err = self.run_postern("check", "-c", path)
        self.assertEqual(code, 1)
        self.assertIn("no policy is configured", err)
        code, out, err = self.run_postern("serve", "-c", path)
        self.assertEqual(code, 1)

    def test_check_ok(self):
        path = self.config()
        code, out, err = self.run_postern("check", "-c", path)
        self.assertEqual(code, 0, err)
        self.assertIn("ok", out)

    def test_example_config_checks(self):
        code, out, err = self.run_postern(
            "check", "-c", os.path.join(harness.SOURCE_DIR, "config", "postern.yaml"))
        self.assertEqual(code, 0, err)

    def test_unknown_key_and_bad_value(self):
        path = self.config("listn: 1\nnats:\n  request_timeout: soon\n")
        code, out, err = self.run_postern("check", "-c", path)
        self.assertEqual(code, 1)
        self.assertIn("%s:4:1:" % path, err)
        self.assertIn("listn", err)
        self.assertIn("%s:6:20:" % path, err)
        self.assertIn("2 errors", err)

    def test_serve_refuses_bad_config(self):
        path = self.config("workers: many\n")
        code, out, err = self.run_postern("serve", "-c", path)
        self.assertEqual(code, 1)
        self.assertIn("workers", err)

    def test_schema_errors_name_the_field(self):
        path = self.config(schema='type Query {\n  order(id: ID!): Order\n}\ntype Order { id: ID! }\n')
        code, out, err = self.run_postern("check", "-c", path)
        self.assertEqual(code, 1)
        self.assertIn("schema.graphql:2:3:", err)
        self.assertIn("Query.order", err)

    def test_bad_subject_template(self):
        path = self.config(schema='type Query { a: Int @natsRequest(subject: "x.{{ env.HOME }}") }\n')
        code, out, err = self.run_postern("check", "-c", path)
        self.assertEqual(code, 1)
        self.assertIn("schema.graphql:1:", err)

    def test_missing_file(self):
        code, out, err = self.run_postern("check", "-c", os.path.join(self.dir, "nope.yaml"))
        self.assertEqual(code, 1)
        self.assertIn("nope.yaml", err)

    def test_version_and_unknown_command(self):
        code, out, _ = self.run_postern("version")
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("postern "))
        code, _, err = self.run_postern("frobnicate")
        self.assertEqual(code, 2)
        self.assertIn("unknown command", err)


if __name__ == "__main__":
    harness.main()
