"""GraphQL over HTTP, resolved over a real nats-server: execution, errors,
retries, subject safety and the headers responders receive."""
import json
import threading
import time

import harness

SCHEMA = '''
type Query {
  order(id: ID!): Order @natsRequest(subject: "t.order.{{ args.id }}")
  orders(status: Status = OPEN, first: Int = 20): [Order!]! @natsRequest(subject: "t.orders")
  search(text: String!): [SearchResult!]! @natsRequest(subject: "t.search")
  quick(id: ID!): Order @natsRequest(subject: "t.quick.{{ args.id }}", timeout: "300ms")
  flaky(id: ID!): Order @natsRequest(subject: "t.flaky.{{ args.id }}", timeout: "300ms")
  ghost(id: ID!): Order @natsRequest(subject: "u.ghost.{{ args.id }}", timeout: "300ms")
  required(id: ID!): Order! @natsRequest(subject: "t.order.{{ args.id }}")
  echo(input: EchoInput, tags: [String!], mode: Status): EchoResult @natsRequest(subject: "t.echo")
}
type Mutation {
  place(n: Int!): Order! @natsRequest(subject: "t.place")
  hang: Order @natsRequest(subject: "t.mhang", timeout: "300ms")
  notify(channel: String!, text: String!): Boolean! @natsPublish(subject: "t.notify.{{ args.channel }}")
}
enum Status { OPEN PAID SHIPPED }
input EchoInput { name: String!, count: Int = 3, nested: EchoInput }
type EchoResult { body: String }
interface Node { id: ID! }
type Order implements Node { id: ID! status: Status! total: Float! items: [Item!]! note: String }
type Item { sku: String! quantity: Int! }
type Customer implements Node { id: ID! name: String! }
union SearchResult = Order | Customer
'''

EXTRA = '''nats:
  servers: [%s]
  request_timeout: 2s
  retries: {max: 2, backoff: 10ms, max_backoff: 50ms}
limits: {max_body_bytes: 4096}
log: {level: info}
'''


def order(oid, **kw):
    o = {"id": oid, "status": "OPEN", "total": 12.5,
         "items": [{"sku": "A-1", "quantity": 2}], "note": None}
    o.update(kw)
    return o


class GraphQLOverNats(harness.PosternTestCase):
    SCHEMA = SCHEMA

    @classmethod
    def setUpClass(cls):
        # nats section replaced below once the server's URL is known
        cls.EXTRA_CONFIG = ""
        cls.nats = harness.NatsServer().start()
        cls.nc = harness.NatsClient(cls.nats.url)
        cls.postern = harness.Postern(cls.nats.url, schema_text=SCHEMA, extra_config="")
        with open(cls.postern.config_path) as f:
            lines = [l for l in f.read().splitlines() if not l.startswith(("nats:", "  servers"))]
        with open(cls.postern.config_path, "w") as f:
            f.write("\n".join(lines) + "\n" + EXTRA % cls.nats.url)
        cls.seen = harness.Recorder(cls.nc, "t.>")
        cls._responders()
        try:
            cls.postern.start()
        except Exception:
            print(cls.postern.logs())
            cls.tearDownClass()
            raise

    @classmethod
    def _responders(cls):
        nc = cls.nc
        cls.fast_arrived = threading.Event()

        def on_order(msg):
            oid = msg.subject.split(".", 2)[2]
            if oid == "slow":
                # answers only once the fast request has arrived too: proves
                # the two root fields were sent concurrently
                ok = cls.fast_arrived.wait(5)
                return order("slow", note="after-fast" if ok else "alone")
            if oid == "fast":
                cls.fast_arrived.set()
                return order("fast")
            if oid == "404":
                return ("", {"Nats-Service-Error": "order not found",
                             "Nats-Service-Error-Code": "404"})
            if oid == "strcode":
                return ("", {"Nats-Service-Error": "bad state",
                             "Nats-Service-Error-Code": "E_STATE"})
            if oid == "notjson":
                return "this is not json"
            if oid == "empty":
                return ""
            if oid == "null":
                return "null"
            if oid == "badint":
                return order("badint", items=[{"sku": "x", "quantity": 1.5}])
            if oid == "nullitem":
                return order("nullitem", items=[None])
            return order(oid)

        harness.responder(nc, "t.order.*", on_order)
        harness.responder(nc, "t.orders", lambda m: [order("1"), order("2", status="PAID")])
        harness.responder(nc, "t.search", lambda m: [
            dict(order("1"), __typename="Order"),
            {"__typename": "Customer", "id": "c1", "name": "Ada"}])
        harness.responder(nc, "t.echo", lambda m: {"body": m.data.decode()})
        cls.place_log = []
        cls.place_lock = threading.Lock()

        def on_place(msg):
            n = msg.json()["n"]
            with cls.place_lock:
                cls.place_log.append(("recv", n))
            time.sleep(0.05 * (3 - n) if n < 3 else 0)
            with cls.place_lock:
                cls.place_log.append(("reply", n))
            return order(str(n))

        harness.responder(nc, "t.place", on_place)
        cls.flaky_count = {}

        def on_flaky(msg):
            oid = msg.subject.split(".")[2]
            c = cls.flaky_count.get(oid, 0) + 1
            cls.flaky_count[oid] = c
            if c == 1:
                return None  # the first attempt times out
            return order(oid)

        harness.responder(nc, "t.flaky.*", on_flaky)
        # t.quick.hang is seen (by the recorder) but never answered: TIMEOUT
        harness.responder(nc, "t.quick.hang", lambda m: None)

    def msgs_on(self, prefix):
        return [m for m in self.seen.msgs if m.subject.startswith(prefix)]

    # ---- execution --------------------------------------------------------

    def test_query_through_nats(self):
        status, headers, body = self.postern.graphql('{ order(id: "42") { id status total } }')
        self.assertEqual(status, 200)
        self.assertEqual(body, {"data": {"order": {"id": "42", "status": "OPEN", "total": 12.5}}})
        self.assertTrue(headers["content-type"].startswith("application/graphql-response+json"))
        self.assertIn("x-correlation-id", headers)
        m = self.msgs_on("t.order.42")[-1]
        self.assertEqual(m.json(), {"id": "42"})

    def test_concurrent_root_fields(self):
        status, _, body = self.postern.graphql(
            '{ s: order(id: "slow") { id note } f: order(id: "fast") { id } }')
        self.assertEqual(status, 200)
        self.assertEqual(body["data"]["s"], {"id": "slow", "note": "after-fast"})
        self.assertEqual(body["data"]["f"], {"id": "fast"})
        self.assertEqual(list(body["data"].keys()), ["s", "f"])

    def test_mutations_run_in_order(self):
        with self.place_lock:
            self.place_log.clear()
        status, _, body = self.postern.graphql(
            'mutation { a: place(n: 1) { id } b: place(n: 2) { id } c: place(n: 3) { id } }')
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"], {"a": {"id": "1"}, "b": {"id": "2"}, "c": {"id": "3"}})
        self.assertEqual(self.place_log, [("recv", 1), ("reply", 1), ("recv", 2), ("reply", 2),
                                          ("recv", 3), ("reply", 3)])

    def test_aliases_fragments_variables_defaults(self):
        q = '''query Q($id: ID!, $withItems: Boolean = true) {
          first: order(id: $id) { ...F items @include(if: $withItems) { sku } }
          list: orders { ... on Order { id status } }
        }
        fragment F on Order { id total }'''
        status, _, body = self.postern.graphql(q, {"id": "7"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"]["first"], {"id": "7", "total": 12.5, "items": [{"sku": "A-1"}]})
        self.assertEqual(body["data"]["list"], [{"id": "1", "status": "OPEN"},
                                                {"id": "2", "status": "PAID"}])
        self.assertEqual(self.msgs_on("t.orders")[-1].json(), {"status": "OPEN", "first": 20})
        status, _, body = self.postern.graphql(q, {"id": "8", "withItems": False})
        self.assertEqual(body["data"]["first"], {"id": "8", "total": 12.5})

    def test_input_objects_lists_enums_in_body(self):
        q = 'query($n: EchoInput) { echo(input: $n, tags: "one", mode: PAID) { body } }'
        status, _, body = self.postern.graphql(q, {"n": {"name": "x", "nested": {"name": "y"}}})
        self.assertEqual(status, 200, body)
        sent = json.loads(body["data"]["echo"]["body"])
        self.assertEqual(sent, {"input": {"name": "x", "count": 3,
                                          "nested": {"name": "y", "count": 3}},
                                "tags": ["one"], "mode": "PAID"})

    def test_abstract_types_via_typename(self):
        status, _, body = self.postern.graphql(
            '{ search(text: "a") { __typename ... on Order { id } ... on Customer { name } } }')
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"]["search"], [{"__typename": "Order", "id": "1"},
                                                  {"__typename": "Customer", "name": "Ada"}])

    def test_typename_at_root(self):
        status, _, body = self.postern.graphql('{ __typename }')
        self.assertEqual((status, body), (200, {"data": {"__typename": "Query"}}))

    def test_publish(self):
        before = len(self.msgs_on("t.notify."))
        status, _, body = self.postern.graphql(
            'mutation { notify(channel: "ops", text: "hi") }')
        self.assertEqual((status, body), (200, {"data": {"notify": True}}))
        deadline = time.time() + 5
        while len(self.msgs_on("t.notify.")) == before and time.time() < deadline:
            time.sleep(0.02)
        m = self.msgs_on("t.notify.ops")[-1]
        self.assertEqual(m.json(), {"channel": "ops", "text": "hi"})

    # ---- error mapping (SPEC §6) -----------------------------------------

    def error_of(self, query):
        status, _, body = self.postern.graphql(query)
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["errors"]), 1, body)
        return body, body["errors"][0]

    def test_upstream_error_numeric_code(self):
        body, e = self.error_of('{ order(id: "404") { id } }')
        self.assertEqual(body["data"], {"order": None})
        self.assertEqual(e["message"], "order not found")
        self.assertEqual(e["path"], ["order"])
        self.assertEqual(e["locations"], [{"line": 1, "column": 3}])
        self.assertEqual(e["extensions"], {"code": "UPSTREAM_ERROR", "serviceCode": 404})

    def test_upstream_error_string_code(self):
        _, e = self.error_of('{ order(id: "strcode") { id } }')
        self.assertEqual(e["extensions"], {"code": "UPSTREAM_ERROR", "serviceCode": "E_STATE"})

    def test_no_responders(self):
        _, e = self.error_of('{ ghost(id: "nobody") { id } }')
        self.assertEqual(e["extensions"]["code"], "NO_RESPONDERS")
        self.assertIn("u.ghost.nobody", e["message"])

    def test_timeout(self):
        _, e = self.error_of('{ quick(id: "hang") { id } }')
        self.assertEqual(e["extensions"]["code"], "TIMEOUT")
        self.assertEqual(len(self.msgs_on("t.quick.hang")), 3)  # 1 + 2 retries

    def test_bad_reply(self):
        for oid in ("notjson", "empty"):
            _, e = self.error_of('{ order(id: "%s") { id } }' % oid)
            self.assertEqual(e["extensions"]["code"], "BAD_REPLY", oid)

    def test_null_reply_and_propagation(self):
        status, _, body = self.postern.graphql('{ order(id: "null") { id } }')
        self.assertEqual(body, {"data": {"order": None}})
        _, e = self.error_of('{ order(id: "badint") { items { quantity } } }')
        self.assertEqual(e["message"], "Int cannot represent non-integer value: 1.5")
        self.assertEqual(e["path"], ["order", "items", 0, "quantity"])
        body, e = self.error_of('{ order(id: "nullitem") { items { sku } } }')
        self.assertEqual(body["data"], {"order": None})
        body, e = self.error_of('{ required(id: "null") { id } }')
        self.assertIsNone(body["data"])

    def test_retry_after_timeout(self):
        status, _, body = self.postern.graphql('{ flaky(id: "r1") { id } }',
                                               headers={"X-Correlation-ID": "retry-1"})
        self.assertEqual((status, body), (200, {"data": {"flaky": {"id": "r1"}}}))
        msgs = self.msgs_on("t.flaky.r1")
        self.assertEqual(len(msgs), 2)
        self.assertEqual({m.headers["X-Correlation-ID"] for m in msgs}, {"retry-1"})
        self.assertNotEqual(msgs[0].headers["traceparent"], msgs[1].headers["traceparent"])

    def test_mutations_are_not_retried(self):
        body, e = self.error_of('mutation { hang { id } }')
        self.assertEqual(e["extensions"]["code"], "TIMEOUT")
        self.assertEqual(body["data"], {"hang": None})
        self.assertEqual(len(self.msgs_on("t.mhang")), 1)

    # ---- subject safety ---------------------------------------------------

    def test_subject_injection_sends_nothing(self):
        for bad in ("a.b", "*", ">", " ", "", "$SYS", "a\tb"):
            before = len(self.seen.msgs)
            status, _, body = self.postern.graphql(
                'query($id: ID!) { order(id: $id) { id } }', {"id": bad})
            self.assertEqual(status, 200, bad)
            self.assertIsNone(body["data"]["order"], bad)
            self.assertEqual(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", bad)
            self.nc.flush()
            time.sleep(0.05)
            self.assertEqual(len(self.seen.msgs), before, "a message was sent for %r" % bad)

    # ---- headers on the message -----------------------------------------

    def test_correlation_and_trace_headers(self):
        tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        status, headers, _ = self.postern.graphql(
            'query GetOrder { order(id: "h1") { id } }',
            headers={"X-Correlation-ID": "corr-abc", "traceparent": tp, "tracestate": "k=v"})
        self.assertEqual(headers["x-correlation-id"], "corr-abc")
        m = self.msgs_on("t.order.h1")[-1]
        self.assertEqual(m.headers["X-Correlation-ID"], "corr-abc")
        self.assertTrue(m.headers["traceparent"].startswith(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-"))
        self.assertNotIn("00f067aa0ba902b7", m.headers["traceparent"])
        self.assertEqual(m.headers["tracestate"], "k=v")
        self.assertEqual(m.headers["Postern-Operation"], "query GetOrder")
        self.assertEqual(m.headers["Postern-Field"], "Query.order")
        self.assertLess(m.headers["Postern-Time"], m.headers["Postern-Deadline"])

    def test_new_correlation_id_when_invalid(self):
        _, headers, _ = self.postern.graphql('{ order(id: "h2") { id } }',
                                             headers={"X-Correlation-ID": "bad id!",
                                                      "X-Request-ID": "req-7"})
        self.assertEqual(headers["x-correlation-id"], "req-7")
        _, headers, _ = self.postern.graphql('{ order(id: "h3") { id } }',
                                             headers={"X-Correlation-ID": "x" * 129})
        cid = headers["x-correlation-id"]
        self.assertEqual((len(cid), cid[14]), (36, "7"))
        m = self.msgs_on("t.order.h3")[-1]
        self.assertEqual(m.headers["X-Correlation-ID"], cid)
        self.assertEqual(len(m.headers["traceparent"]), 55)


if __name__ == "__main__":
    harness.main()
