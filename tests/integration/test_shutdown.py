"""SIGTERM drains: /readyz turns 503 "shutting down" at once, the request in
flight still gets its complete answer, new connections are refused, and
postern exits 0."""
import json
import signal
import threading
import time
import urllib.error
import urllib.request

import harness

SCHEMA = '''
type Query { slow(id: ID!): Thing @natsRequest(subject: "sd.slow.{{ args.id }}", timeout: "5s") }
type Thing { id: ID! }
'''


class Shutdown(harness.PosternTestCase):
    SCHEMA = SCHEMA
    EXTRA_CONFIG = "shutdown_grace: 5s\n"

    def test_drain(self):
        arrived = threading.Event()

        def slow(msg):
            arrived.set()
            time.sleep(1.0)
            return {"id": msg.subject.split(".")[2]}

        harness.responder(self.nc, "sd.slow.*", slow)
        result = {}

        def call():
            result["answer"] = self.postern.graphql('{ slow(id: "7") { id } }')

        t = threading.Thread(target=call)
        t.start()
        self.assertTrue(arrived.wait(5))
        self.postern.proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        url = "http://127.0.0.1:%d/readyz" % self.postern.admin_port
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(url, timeout=5)
        self.assertEqual(ctx.exception.code, 503)
        self.assertIn("shutting down", json.loads(ctx.exception.read())["reasons"])
        t.join(10)
        status, _, body = result["answer"]
        self.assertEqual((status, body), (200, {"data": {"slow": {"id": "7"}}}))
        self.assertEqual(self.postern.proc.wait(10), 0)
        with self.assertRaises(OSError):
            self.postern.request("POST", "/graphql", "{}", timeout=2)


if __name__ == "__main__":
    harness.main()
