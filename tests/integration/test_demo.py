"""The README's demo command works: scripts/demo.sh --once starts nats-server,
the example responder and postern, and its curl returns data through NATS."""
import os
import subprocess
import unittest

import harness


class Demo(unittest.TestCase):
    def test_demo_once(self):
        env = dict(os.environ, POSTERN_BUILD_DIR=harness.BUILD_DIR)
        p = subprocess.run([os.path.join(harness.SOURCE_DIR, "scripts", "demo.sh"), "--once"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, out)
        self.assertIn('"id":"42"', out)
        self.assertIn("curl -s http://127.0.0.1:8080/graphql", out)
        self.assertIn("Authorization: Bearer", out)


if __name__ == "__main__":
    harness.main()
