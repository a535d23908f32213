"""GraphQL over HTTP rules (SPEC §9, the GraphQL-over-HTTP specification):
methods, media types, status codes and bad bodies, against the real binary."""
import http.client
import json
import socket
import urllib.parse

import harness

SCHEMA = '''
type Query { order(id: ID!): Order @natsRequest(subject: "h.order.{{ args.id }}") }
type Mutation { place(n: Int!): Order @natsRequest(subject: "h.place") }
type Order { id: ID! }
'''

GRJ = "application/graphql-response+json"


class HttpRules(harness.PosternTestCase):
    SCHEMA = SCHEMA
    EXTRA_CONFIG = "limits: {max_body_bytes: 2048}\n"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        harness.responder(cls.nc, "h.order.*", lambda m: {"id": m.subject.split(".")[2]})
        cls.seen = harness.Recorder(cls.nc, "h.>")

    def get(self, params, accept=GRJ):
        qs = urllib.parse.urlencode(params)
        return self.postern.request("GET", "/graphql?" + qs, headers={"Accept": accept})

    def post_raw(self, body, ctype="application/json", accept=GRJ):
        return self.postern.request("POST", "/graphql", body,
                                    {"Content-Type": ctype, "Accept": accept})

    def test_get_query(self):
        status, h, body = self.get({"query": '{ order(id: "1") { id } }'})
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {"data": {"order": {"id": "1"}}})

    def test_get_with_variables(self):
        status, _, body = self.get({"query": 'query($id: ID!) { order(id: $id) { id } }',
                                    "variables": json.dumps({"id": "9"})})
        self.assertEqual(json.loads(body), {"data": {"order": {"id": "9"}}})

    def test_get_mutation_is_405(self):
        before = len(self.seen.msgs)
        status, h, body = self.get({"query": 'mutation { place(n: 1) { id } }'})
        self.assertEqual(status, 405)
        self.assertEqual(h.get("allow"), "POST")
        json.loads(body)
        self.nc.flush()
        self.assertEqual(len(self.seen.msgs), before)

    def test_other_methods_405(self):
        status, h, body = self.postern.request("PUT", "/graphql", "{}",
                                               {"Content-Type": "application/json"})
        self.assertEqual(status, 405)
        self.assertIn("POST", h.get("allow", ""))
        json.loads(body)

    def test_unknown_path_404(self):
        status, _, body = self.postern.request("GET", "/nope")
        self.assertEqual(status, 404)
        json.loads(body)

    def test_unsupported_media_type_415(self):
        status, _, body = self.post_raw('{"query":"{ __typename }"}', ctype="text/plain")
        self.assertEqual(status, 415)
        json.loads(body)

    def test_not_acceptable_406(self):
        status, _, _ = self.post_raw('{"query":"{ __typename }"}', accept="text/html")
        self.assertEqual(status, 406)

    def test_oversized_body_413(self):
        body = json.dumps({"query": "{ __typename }", "variables": {"x": "y" * 5000}})
        status, _, data = self.post_raw(body)
        self.assertEqual(status, 413)
        json.loads(data)

    def test_bad_bodies_400(self):
        for raw in (b"", b"not json", b"[1,2]", b'{"query": 1}', b'{"query":"{ __typename }"',
                    b'{"query":"\xff\xfe"}', b'{"query":"{ __typename }","variables":[1]}'):
            status, h, data = self.post_raw(raw)
            self.assertEqual(status, 400, raw)
            parsed = json.loads(data)
            self.assertNotIn("data", parsed, raw)
            self.assertTrue(parsed["errors"][0]["message"], raw)

    def test_parse_error_status_by_media(self):
        status, h, data = self.post_raw(json.dumps({"query": '{ order(id: "1" '}))
        self.assertEqual(status, 400)
        parsed = json.loads(data)
        self.assertNotIn("data", parsed)
        self.assertEqual(parsed["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED")
        self.assertIn("locations", parsed["errors"][0])
        status, h, data = self.post_raw('{"query":"{ nope }"}', accept="application/json")
        self.assertEqual(status, 200)
        self.assertTrue(h["content-type"].startswith("application/json"))
        parsed = json.loads(data)
        self.assertEqual(parsed["errors"][0]["message"],
                         'Cannot query field "nope" on type "Query".')
        self.assertNotIn("data", parsed)

    def test_invalid_variables_400(self):
        status, _, data = self.post_raw(json.dumps(
            {"query": 'query($id: ID!) { order(id: $id) { id } }', "variables": {}}))
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(data)["errors"][0]["message"],
                         'Variable "$id" of required type "ID!" was not provided.')

    def test_keep_alive_many_requests(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.postern.port, timeout=10)
        try:
            for i in range(20):
                conn.request("POST", "/graphql",
                             json.dumps({"query": '{ order(id: "%d") { id } }' % i}),
                             {"Content-Type": "application/json", "Accept": GRJ})
                r = conn.getresponse()
                self.assertEqual(json.loads(r.read()), {"data": {"order": {"id": str(i)}}})
        finally:
            conn.close()

    def test_garbage_request_line(self):
        with socket.create_connection(("127.0.0.1", self.postern.port), timeout=5) as s:
            s.sendall(b"\x00\x01 garbage\r\n\r\n")
            data = s.recv(4096)
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data)


if __name__ == "__main__":
    harness.main()
