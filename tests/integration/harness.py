"""Integration-test fixtures: a real nats-server on a free loopback port, a
small NATS protocol client (stdlib only) for responders and recorders, the
real postern binary, and HTTP over real sockets.

Every process is started here and stopped by its PID; every wait is bounded.
"""
import http.client
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

SOURCE_DIR = os.environ.get(
    "POSTERN_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("POSTERN_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
POSTERN = os.path.join(BUILD_DIR, "postern")
NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited with %s before listening" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d not listening after %.1fs" % (port, timeout))


def stop_process(proc, timeout=10.0):
    """SIGTERM, then SIGKILL after timeout; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


class NatsServer:
    def __init__(self, port=None, extra_args=()):
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.proc = None

    @property
    def url(self):
        return "nats://127.0.0.1:%d" % self.port

    def start(self):
        self.proc = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port)] + self.extra_args,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, proc=self.proc)
        return self

    def stop(self):
        if self.proc:
            stop_process(self.proc)
            self.proc = None


class Msg:
    def __init__(self, subject, reply, headers, data, status=None):
        self.subject = subject
        self.reply = reply
        self.headers = headers or {}
        self.data = data
        self.status = status

    def json(self):
        return json.loads(self.data.decode())


def _parse_headers(block):
    lines = block.decode("utf-8", "replace").split("\r\n")
    status = None
    first = lines[0]
    parts = first.split(" ", 2)
    if len(parts) >= 2 and parts[1].isdigit():
        status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        k, _, v = line.partition(":")
        headers.setdefault(k.strip(), []).append(v.strip())
    return status, {k: v[0] if len(v) == 1 else v for k, v in headers.items()}


class NatsClient:
    """A minimal NATS client over the text protocol: SUB, PUB, HPUB, MSG, HMSG."""

    def __init__(self, url, user=None, password=None):
        host, port = url.rsplit("//", 1)[1].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.sock.settimeout(None)
        self.rfile = self.sock.makefile("rb")
        info = self.rfile.readline()
        if not info.startswith(b"INFO"):
            raise RuntimeError("not a NATS server: %r" % info)
        self.lock = threading.Lock()
        self.sid = 0
        self.subs = {}
        self.pongs = queue.Queue()
        self.errors = queue.Queue()  # "-ERR ..." lines the server sent after CONNECT
        login = ""
        if user is not None:
            login = ',"user":%s,"pass":%s' % (json.dumps(user), json.dumps(password or ""))
        self._send(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,'
                   b'"no_responders":true,"protocol":1,"name":"postern-test"'
                   + login.encode() + b'}\r\nPING\r\n')
        line = self.rfile.readline()
        if not line.startswith(b"PONG"):
            raise RuntimeError("CONNECT failed: %r" % line)
        self.closed = False
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.reader.start()

    def _send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def _read_loop(self):
        try:
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                if line.startswith(b"PING"):
                    self._send(b"PONG\r\n")
                elif line.startswith(b"PONG"):
                    self.pongs.put(True)
                elif line.startswith(b"MSG") or line.startswith(b"HMSG"):
                    self._on_msg(line)
                elif line.startswith(b"-ERR"):
                    self.errors.put(line.decode("utf-8", "replace").strip())
        except (OSError, ValueError):
            return

    def _on_msg(self, line):
        parts = line.decode().split()
        if parts[0] == "MSG":
            subject, sid = parts[1], int(parts[2])
            reply = parts[3] if len(parts) == 5 else None
            total = int(parts[-1])
            hlen = 0
        else:
            subject, sid = parts[1], int(parts[2])
            reply = parts[3] if len(parts) == 6 else None
            hlen, total = int(parts[-2]), int(parts[-1])
        payload = self.rfile.read(total + 2)[:total]
        status, headers = (None, {})
        if hlen:
            status, headers = _parse_headers(payload[:hlen])
        msg = Msg(subject, reply, headers, payload[hlen:], status)
        cb = self.subs.get(sid)
        if cb:
            cb(msg)

    def subscribe(self, subject, cb, queue_group=None):
        with self.lock:
            self.sid += 1
            sid = self.sid
        self.subs[sid] = cb
        q = (" " + queue_group) if queue_group else ""
        self._send(("SUB %s%s %d\r\n" % (subject, q, sid)).encode())
        return sid

    def unsubscribe(self, sid):
        self._send(("UNSUB %d\r\n" % sid).encode())
        self.subs.pop(sid, None)

    def publish(self, subject, data=b"", reply=None, headers=None):
        if isinstance(data, str):
            data = data.encode()
        r = (" " + reply) if reply else ""
        if headers:
            hdr = "NATS/1.0\r\n" + "".join("%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
            hdr = hdr.encode()
            self._send(("HPUB %s%s %d %d\r\n" % (subject, r, len(hdr), len(hdr) + len(data)))
                       .encode() + hdr + data + b"\r\n")
        else:
            self._send(("PUB %s%s %d\r\n" % (subject, r, len(data))).encode() + data + b"\r\n")

    def flush(self, timeout=5):
        self._send(b"PING\r\n")
        self.pongs.get(timeout=timeout)

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()


class Recorder:
    """Subscribes to a subject and keeps every message it sees."""

    def __init__(self, nc, subject):
        self.msgs = []
        self.cond = threading.Condition()
        nc.subscribe(subject, self._on)
        nc.flush()

    def _on(self, msg):
        with self.cond:
            self.msgs.append(msg)
            self.cond.notify_all()

    def wait_count(self, n, timeout=5):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.msgs) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return len(self.msgs)


def responder(nc, subject, handler, queue_group=None):
    """handler(msg) -> body | (body, headers) | None (no reply). Replies are
    sent from the client's reader thread; a handler may sleep to be slow, in
    which case it runs on its own thread."""

    def on(msg):
        def run():
            out = handler(msg)
            if out is None or not msg.reply:
                return
            body, headers = (out, None) if not isinstance(out, tuple) else out
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            nc.publish(msg.reply, body, headers=headers)

        threading.Thread(target=run, daemon=True).start()

    sid = nc.subscribe(subject, on, queue_group)
    nc.flush()
    return sid


DEFAULT_SCHEMA = os.path.join(SOURCE_DIR, "config", "schema.graphql")


class Postern:
    """The real postern binary with a generated config in a temp dir."""

    ANONYMOUS = "oidc: {allow_anonymous: true}\n"
    # for tests of the data path, not of policy: anonymous callers may do anything
    OPEN_POLICY = """version: 1
bindings:
  - role: everyone
    match: {anonymous: true}
  - role: everyone
    match: {authenticated: true}
roles:
  everyone:
    graphql: {allow: ["*"]}
    nats:
      publish: {allow: [">"]}
      subscribe: {allow: [">"]}
"""

    def __init__(self, nats_url, schema_text=None, schema_path=None, extra_config="",
                 workers=2, auth=ANONYMOUS):
        self.dir = tempfile.mkdtemp(prefix="postern-test-")
        self.port = free_port()
        self.admin_port = free_port()
        if schema_text is not None:
            schema_path = os.path.join(self.dir, "schema.graphql")
            with open(schema_path, "w") as f:
                f.write(schema_text)
        self.schema_path = schema_path or DEFAULT_SCHEMA
        self.config_path = os.path.join(self.dir, "postern.yaml")
        with open(self.config_path, "w") as f:
            f.write("listen: 127.0.0.1:%d\n" % self.port)
            f.write("admin_listen: 127.0.0.1:%d\n" % self.admin_port)
            f.write("workers: %d\n" % workers)
            f.write("schema: %s\n" % self.schema_path)
            f.write("nats:\n  servers: [%s]\n" % nats_url)
            f.write(auth or "")
            f.write(extra_config)
        self.proc = None
        self.log_path = os.path.join(self.dir, "postern.log")

    def ensure_policy(self):
        """A config that names no policy gets OPEN_POLICY (postern requires one)."""
        with open(self.config_path) as f:
            if any(l.startswith("policy:") for l in f.read().splitlines()):
                return
        policy_path = os.path.join(self.dir, "open-policy.yaml")
        with open(policy_path, "w") as f:
            f.write(self.OPEN_POLICY)
        with open(self.config_path, "a") as f:
            f.write("\npolicy: %s\n" % policy_path)

    def start(self):
        self.ensure_policy()
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([POSTERN, "serve", "-c", self.config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, proc=self.proc)
        return self

    def stop(self):
        code = None
        if self.proc:
            code = stop_process(self.proc)
            self.proc = None
            self.log.close()
        return code

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def finish(self):
        """Stops postern, removes its files and checks that it exited cleanly
        (check_clean_exit raises otherwise); returns its output."""
        code = self.stop()
        logs = self.logs()
        self.cleanup()
        check_clean_exit(code, logs)
        return logs

    def request(self, method, path, body=None, headers=None, timeout=15):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            hdrs = dict(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def graphql(self, query, variables=None, operation_name=None, headers=None,
                accept="application/graphql-response+json"):
        body = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        hdrs = {"Content-Type": "application/json", "Accept": accept}
        hdrs.update(headers or {})
        status, rh, data = self.request("POST", "/graphql", body, hdrs)
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        return status, rh, parsed


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def check_clean_exit(code, logs):
    """postern must stop with 0 on SIGTERM and print no sanitizer report."""
    for mark in SANITIZER_MARKS:
        if mark in logs:
            raise AssertionError("sanitizer report in postern's output:\n" + logs[-6000:])
    if code != 0:
        raise AssertionError("postern exited with %s:\n%s" % (code, logs[-3000:]))


class PosternTestCase(unittest.TestCase):
    """Starts nats-server, a NATS client for responders, and postern once
    per test class. Subclasses set SCHEMA (SDL text or None for the example)
    and EXTRA_CONFIG."""

    SCHEMA = None
    EXTRA_CONFIG = ""

    @classmethod
    def setUpClass(cls):
        cls.nats = NatsServer().start()
        cls.nc = NatsClient(cls.nats.url)
        cls.postern = Postern(cls.nats.url, schema_text=cls.SCHEMA,
                              extra_config=cls.EXTRA_CONFIG)
        try:
            cls.postern.start()
        except Exception:
            print(cls.postern.logs())
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        stop_fixtures(cls)


def stop_fixtures(cls):
    """Stops a test class's postern (checking its clean exit), NATS client
    and NATS server, whichever it has."""
    try:
        if getattr(cls, "postern", None):
            postern, cls.postern = cls.postern, None
            postern.finish()
    finally:  # a failed check must not leave the NATS server running
        if getattr(cls, "nc", None):
            cls.nc.close()
        if getattr(cls, "nats", None):
            cls.nats.stop()


def main():
    """unittest main that also prints the plain 'N passed, N failed' line."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    failed = len(r.failures) + len(r.errors)
    print("%d passed, %d failed" % (max(0, r.testsRun - failed - len(r.skipped)), failed))
    raise SystemExit(1 if failed or not r.wasSuccessful() else 0)


def http_call(port, method, path, body=None, headers=None, timeout=5):
    """One plain HTTP request to 127.0.0.1:port; (status, headers, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def wait_ready(postern, timeout=10.0):
    """Polls postern's GET /readyz (admin port) until 200; raises with the last answer."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if postern.proc is not None and postern.proc.poll() is not None:
            raise RuntimeError("postern exited with %s:\n%s" % (postern.proc.returncode,
                                                                postern.logs()[-3000:]))
        try:
            last = http_call(postern.admin_port, "GET", "/readyz", timeout=2)
            if last[0] == 200:
                return
        except OSError as e:
            last = e
        time.sleep(0.05)
    raise RuntimeError("postern not ready after %.1fs: %r" % (timeout, last))


class DevIdp:
    """`postern dev-idp` on a free loopback port with its own key file (in
    dir), started and stopped by PID. mint() runs `postern dev-idp mint`
    with the same key file and issuer."""

    def __init__(self, dir, alg="ES256"):
        self.port = free_port()
        self.alg = alg
        self.key_path = os.path.join(dir, "idp-%s-%d.pem" % (alg.lower(), self.port))
        self.log_path = os.path.join(dir, "idp-%d.log" % self.port)
        self.proc = None

    @property
    def issuer(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=10.0):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [POSTERN, "dev-idp", "--listen", "127.0.0.1:%d" % self.port, "--key", self.key_path,
             "--alg", self.alg], stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, timeout=timeout, proc=self.proc)
        return self

    def get(self, path):
        status, _, body = http_call(self.port, "GET", path)
        return status, body

    def jwks(self):
        status, body = self.get("/jwks.json")
        if status != 200:
            raise RuntimeError("dev-idp /jwks.json: %d" % status)
        return json.loads(body)

    def rotate(self):
        """POST /admin/rotate; returns the HTTP status."""
        return http_call(self.port, "POST", "/admin/rotate", body=b"")[0]

    def mint(self, sub="alice", claims=(), ttl="1h", aud=None):
        args = [POSTERN, "dev-idp", "mint", "--key", self.key_path, "--issuer", self.issuer,
                "--sub", sub, "--ttl", ttl]
        if aud is not None:
            args += ["--aud", aud]
        for c in claims:
            args += ["--claim", c]
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        if p.returncode != 0:
            raise RuntimeError("dev-idp mint failed: %s" % p.stderr.decode("utf-8", "replace"))
        return p.stdout.decode().strip()

    def stop(self):
        """SIGTERM by PID; returns the exit code (None when not running)."""
        code = None
        if self.proc:
            code = stop_process(self.proc)
            self.proc = None
            self.log.close()
        return code

    def logs(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""
