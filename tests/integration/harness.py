# SPDX-License-Identifier: MIT
"""Integration-test harness: starts the real fngate binary on a free loopback port, waits
for its readiness line, talks HTTP to it, and stops it with SIGTERM, failing the test if it
does not exit cleanly or if AddressSanitizer / UndefinedBehaviorSanitizer reported anything.

Nothing here imitates fngate: tests drive the binary and real worker processes."""
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import textwrap
import threading
import time
import urllib.parse

BUILD = os.environ.get("FNGATE_BUILD", "build/asan")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FNGATE = os.path.join(ROOT, BUILD, "fngate")
ECHO_BOOTSTRAP = os.path.join(ROOT, BUILD, "fg-echo-bootstrap")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")

SAN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:halt_on_error=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


# The start of a text line of the function log stream: its UTC time as CloudWatch shows it,
# then "[FUNCTION] ".
LOG_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "

# A version 4 UUID, as fngate gives request ids and event ids.
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def sigv4_headers(method, upath, cquery, host, body=b"", headers=None, key="", secret="", service="s3",
                  region="us-east-1", when=None, payload_hash=None):
    """The headers of a request signed as the AWS SDKs sign it (SigV4, Authorization header):
    Host, x-amz-date, Authorization and the caller's headers, all signed. upath is the path
    as sent (already percent-encoded), cquery the canonical query string (sorted, encoded),
    when the signing time (epoch seconds, default now). S3 signs the path as sent and sends
    the payload's SHA-256 in x-amz-content-sha256 (payload_hash overrides it); every other
    service (lambda) signs the path encoded once more and the body's hash, with no header,
    as botocore does."""
    h = {"Host": host}
    h.update(headers or {})
    amz = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    h["x-amz-date"] = amz
    body_hash = hashlib.sha256(body).hexdigest()
    if service == "s3":
        h["x-amz-content-sha256"] = payload_hash or body_hash
        body_hash = h["x-amz-content-sha256"]
        cpath = upath
    else:
        cpath = urllib.parse.quote(upath, safe="/~")
    lc = {k.lower(): str(v).strip() for k, v in h.items()}
    names = sorted(lc)
    canon = "\n".join([method, cpath, cquery, "".join("%s:%s\n" % (n, lc[n]) for n in names), ";".join(names),
                       body_hash])
    scope = "%s/%s/%s/aws4_request" % (amz[:8], region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (amz[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    h["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        key, scope, ";".join(names), hmac.new(k, sts.encode(), hashlib.sha256).hexdigest())
    return h


class TestFailure(AssertionError):
    pass


class Skip(Exception):
    """Raised by skip(): the runner counts the test as skipped and prints why."""


def skip(why):
    raise Skip(why)


IN_CI = bool(os.environ.get("CI"))


def need_root(what):
    """Skips a test that needs root outside CI; CI runs as root, so there it is a failure."""
    if os.geteuid() == 0:
        return
    check(not IN_CI, "needs root to %s, and CI runs as root" % what)
    skip("needs root to " + what)


def sanitizer_report(text):
    """The first sanitizer report in text (ASan, LSan, UBSan, TSan), or None."""
    for m in SANITIZER_MARKERS:
        i = text.find(m)
        if i >= 0:
            return text[max(0, i - 200):i + 4000]
    return None


def check_no_sanitizer_report(text, who):
    rep = sanitizer_report(text)
    check(rep is None, "sanitizer report from %s:\n%s" % (who, rep))


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def wait_until(pred, timeout, what, seen=None):
    """Polls pred until it is true; fails with what after timeout seconds (and with what
    seen() returns then, when given: the state the test was waiting on)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise TestFailure("timed out after %.0fs waiting for %s%s"
                      % (timeout, what, "; last seen: %r" % (seen(),) if seen else ""))


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text).lstrip("\n"))
    os.chmod(path, mode)
    return path


def npm_install(name, spec, timeout=1200, extra_env=None):
    """Installs an npm package once per build tree into build/NAME/node_modules (the tests'
    npm packages never go into the repository); the package's node_modules directory."""
    where = os.path.join(ROOT, "build", name)
    pkg = spec.rsplit("@", 1)[0] if spec.rfind("@") > 0 else spec
    if os.path.exists(os.path.join(where, "node_modules", pkg, "package.json")):
        return os.path.join(where, "node_modules")
    os.makedirs(where, exist_ok=True)
    write(os.path.join(where, "package.json"), '{"name": "%s-tests", "private": true}\n' % name)
    for attempt in range(2):      # one retry: a registry hiccup should not fail the suite
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", spec], cwd=where, capture_output=True,
                           text=True, timeout=timeout, env=dict(os.environ, **(extra_env or {})))
        if p.returncode == 0:
            return os.path.join(where, "node_modules")
    check(False, "npm install %s failed:\n%s%s" % (spec, p.stdout[-3000:], p.stderr[-3000:]))


def json_lines(path):
    """The JSON objects a test function appended to path, one per line ([] before the first)."""
    try:
        with open(path) as f:
            # A line still being written (no newline yet) is left for the next look.
            return [json.loads(x) for x in f if x.strip() and x.endswith("\n")]
    except FileNotFoundError:
        return []


def env():
    e = dict(os.environ)
    e.update(SAN_ENV)
    return e


# LeakSanitizer's exit status: a leak report must never pass for an expected failure.
LSAN_EXIT = 23


def run_cli(*args, input=None, timeout=60, cwd=None, extra_env=None):
    """Runs `fngate ARGS` to completion (any verb, `serve` that is expected to refuse too);
    returns CompletedProcess with text output. Fails on any sanitizer report."""
    p = subprocess.run([FNGATE] + list(args), input=input, capture_output=True, text=True,
                       timeout=timeout, env=dict(env(), **(extra_env or {})), cwd=cwd)
    who = "`fngate %s`" % " ".join(args)
    check_no_sanitizer_report(p.stderr + p.stdout, who)
    check(p.returncode != LSAN_EXIT, "%s exited %d (LeakSanitizer):\n%s" % (who, LSAN_EXIT, p.stderr))
    return p


class Gateway:
    """One `fngate serve` process over a config written into a temp dir. With gateway.tls
    the readiness line says https://, and conn()/request() speak HTTPS, verifying the
    gateway's certificate against cafile (a test CA; see test_tls.Certs)."""

    def __init__(self, tmp, config, args=(), extra_env=None, cafile=None, preexec_fn=None, isolated=False,
                 binary=None, config_name="fngate.yaml"):
        self.tmp = tmp
        self.binary = binary or FNGATE      # another fngate (an installed copy: test_install)
        # Isolation (router/sandbox.c) is on by default in fngate; most tests share files
        # between the test and its functions (marks, held slots), which an isolated worker
        # cannot see, so they turn it off. Tests of runtimes and isolation keep it on.
        # FNGATE_ISOLATE_ALL=1 runs every test isolated (to find which ones can be).
        if os.environ.get("FNGATE_ISOLATE_ALL") == "1":
            isolated = True
        # A serverless.yml or template.yaml (config_name) is served as written: it says
        # isolation in its custom.fngate / Metadata.fngate section when it needs to.
        if not isolated and not re.search(r"^isolation:", config, re.M) and config_name == "fngate.yaml":
            config = config.rstrip("\n") + "\nisolation: {enabled: false}\n" if config.strip() else config
        self.preexec_fn = preexec_fn        # runs in the child before exec (resource limits)
        self.extra_env = extra_env or {}
        self.config = write(os.path.join(tmp, config_name), config)
        self.stdout_path = os.path.join(tmp, "fngate.stdout")
        self.stderr_lines = []
        self.port = None
        self.admin_port = None          # the admin listener's, from its log line
        self.admin_scheme = None
        self.admin_socket = None        # or its unix socket
        self.admin_token = None         # the token it made (or set it when the config names one)
        self.scheme = None
        self.cafile = cafile
        self.args = list(args)
        self.proc = None
        self._out = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop(check_clean=exc_type is None)

    def start(self):
        self._out = open(self.stdout_path, "wb")
        block = re.search(r"^admin:(.*\n?(?:[ \t]+.*\n?)*)", open(self.config).read(), re.M)
        admin = [] if "--admin-listen" in self.args or (block and "listen:" in block.group(1)) \
            else ["--admin-listen", "127.0.0.1:0"]
        self.proc = subprocess.Popen([self.binary, "serve", "-c", self.config, "--listen", "127.0.0.1:0"] + admin + self.args,
                                     stdout=self._out, stderr=subprocess.PIPE, env=dict(env(), **self.extra_env),
                                     cwd=self.tmp, preexec_fn=self.preexec_fn)
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        wait_until(lambda: self.port or self.proc.poll() is not None, 30, "the 'listening on' line")
        check(self.port, "fngate exited before listening:\n" + self.stderr())

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace")
            self.stderr_lines.append(line)
            m = re.search(r"admin API on (?:(https?)://127\.0\.0\.1:(\d+)|unix:(\S+)) \(token (?:in (.*)|from admin\.token)\)",
                          line)
            if m:
                self.admin_scheme, port, sock, token_file = m.groups()
                self.admin_port = int(port) if port else None
                self.admin_socket = sock
                if token_file:
                    with open(token_file) as f:
                        self.admin_token = f.read().strip()
            # 127.0.0.1, or the address a test's own --listen gave (0.0.0.0): reached on loopback
            m = re.search(r"listening on (https?)://(?:127\.0\.0\.1|0\.0\.0\.0):(\d+)", line)
            if m:
                self.scheme = m.group(1)
                self.port = int(m.group(2))

    def stderr(self):
        return "".join(self.stderr_lines)

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_stdout(self, pattern, timeout=10):
        return wait_until(lambda: re.search(pattern, self.stdout(), re.M), timeout,
                          "function log matching %r" % pattern)

    def kill9(self):
        """kill -9, as a crash or the OOM killer would. No leak check can run in a killed
        process, but anything a sanitizer reported before the kill (in the gateway's stderr
        or in the function log, where a worker's pre-exec output goes) fails the test."""
        self.proc.kill()
        self.proc.wait()
        self._close()
        self._check_reports()

    def _close(self):
        if self._out:
            self._reader.join(5)
            self._out.close()
            self._out = None

    def _check_reports(self):
        check_no_sanitizer_report(self.stderr(), "fngate (stderr)")
        check_no_sanitizer_report(self.stdout(), "a worker (function log)")

    def stop(self, check_clean=True):
        if self.proc and self.proc.poll() is not None and not self._out:
            return                          # stopped already (kill9)
        if not self.proc or self.proc.poll() is not None:
            rc = self.proc.returncode if self.proc else 0
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
                check(not check_clean, "fngate did not stop within 30 s of SIGTERM")
        self._close()
        if check_clean:
            self._check_reports()
            check(rc == 0, "fngate exited with %s:\n%s" % (rc, self.stderr()[-4000:]))

    # ---- HTTP
    def ssl_context(self):
        """A client context that trusts only cafile and checks the name (127.0.0.1)."""
        import ssl
        check(self.cafile, "the gateway serves HTTPS: give Gateway(cafile=...) to verify it")
        return ssl.create_default_context(cafile=self.cafile)

    def conn(self, timeout=30):
        if self.scheme == "https":
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=self.ssl_context())
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        c = self.conn(timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def admin(self, method, path, body=None, headers=None, token=True, timeout=30):
        """A request to the admin listener (path starts with /_fngate/), with the gateway's
        token unless token is False (or another token as a string), and a JSON body."""
        h = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            h["Authorization"] = "Bearer " + (token if isinstance(token, str) else self.admin_token)
        h.update(headers or {})
        if self.admin_scheme == "https":
            c = http.client.HTTPSConnection("127.0.0.1", self.admin_port, timeout=timeout, context=self.ssl_context())
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def admin_args(self):
        """What the CLI's admin verbs need to reach this gateway."""
        return ["--admin", "%s://127.0.0.1:%d" % (self.admin_scheme, self.admin_port), "--token", self.admin_token]

    def view(self, name):
        """An admin view, GET /_fngate/NAME, as JSON (it must answer 200)."""
        status, _, body = self.admin("GET", "/_fngate/" + name)
        check(status == 200, "/_fngate/%s: HTTP %d %r" % (name, status, body))
        return json.loads(body)

    def queue_idle(self):
        """True when no function has an async event queued, running or waiting to retry."""
        return all(f["queued"] == 0 and f["inFlight"] == 0 and f["retrying"] == 0
                   for f in self.view("queue")["functions"])

    def invoke(self, name, payload=None, headers=None, timeout=30):
        body = payload if isinstance(payload, (bytes, str)) or payload is None else json.dumps(payload)
        return self.request("POST", "/2015-03-31/functions/%s/invocations" % name, body, headers, timeout)


class HookServer:
    """A local HTTP endpoint for destinations: records every POST as (path, content type,
    body bytes) in posts and answers with status (200 unless a test changes it)."""

    def __init__(self):
        import http.server
        hook, self.posts, self.status = self, [], 200

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.posts.append((self.path, self.headers.get("Content-Type", ""), body))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def tempdir():
    return tempfile.TemporaryDirectory(prefix="fngate-it-")


def answered_once(port, request, timeout=10, host="127.0.0.1"):
    """Sends request on a fresh connection and reads until the server closes it (a reset
    after the answer counts as closed; no close within timeout seconds fails). Checks that
    exactly one well-formed response came back, its body as long as its Content-Length
    says and nothing after it, with Connection: close. Returns status, headers, body."""
    import socket
    s = socket.create_connection((host, port), timeout=timeout)
    data = b""
    try:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                raise TestFailure("no close within %ds of %r; got %r" % (timeout, request[:80], data[:300]))
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    check(sep and re.match(r"HTTP/1\.1 \d{3} ", lines[0]), "no response to %r: %r" % (request[:80], data[:300]))
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    check(len(headers) == len(lines) - 1, "a malformed header line: %r" % head)
    check(headers.get("content-length", "").isdigit() and int(headers["content-length"]) == len(body),
          "one response with its whole body and nothing after it, to %r; got %r" % (request[:80], data[:600]))
    check(headers.get("connection", "").lower() == "close", "Connection: close: %r" % head)
    return int(lines[0].split()[1]), headers, body


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Redis:
    """A real redis-server on a free loopback port, its files in dir (AOF with fsync always,
    so a kill -9 and restart keeps every acknowledged write), and a minimal RESP client."""

    def __init__(self, dir, password=None):
        self.dir = os.path.join(dir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.password = password
        self.proc = None
        self.sock = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.kill()

    @property
    def url(self):
        return "redis://%s127.0.0.1:%d/0" % ((":%s@" % self.password) if self.password else "", self.port)

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._ping, 10, "redis-server on port %d" % self.port)

    def _ping(self):
        try:
            self.connect()
            return self.cmd("PING") == "PONG"
        except (OSError, TestFailure):
            self.sock = None
            return False

    def connect(self):
        import socket
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.rfile = self.sock.makefile("rb")
        if self.password:
            self.cmd("AUTH", self.password)

    def kill(self):
        if self.sock:
            self.sock.close()
            self.sock = None
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @staticmethod
    def _encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _read(self):
        line = self.rfile.readline()
        check(line, "redis closed the connection")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise TestFailure("redis error: " + rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)[:-2]
            try:
                return data.decode()
            except UnicodeDecodeError:
                return data
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise TestFailure("bad RESP reply %r" % line)

    def cmd(self, *args):
        if not self.sock:
            self.connect()
        self.sock.sendall(self._encode(args))
        return self._read()

    def pipeline(self, commands):
        """Sends every command, then reads every reply (in order)."""
        if not self.sock:
            self.connect()
        self.sock.sendall(b"".join(self._encode(c) for c in commands))
        return [self._read() for _ in commands]


KAFKA_MOCK = os.path.join(ROOT, BUILD, "fg-kafka-mock")


class KafkaMock:
    """librdkafka's mock cluster in its own process (tests/kafka_mock.c): it outlives the
    gateways a test restarts. Commands go in one per line; each gets one answer line."""

    def __init__(self, brokers=1):
        # stderr goes to a file that close() reads: the mock is built with the sanitizers too.
        self.stderr_file = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([KAFKA_MOCK, str(brokers)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr_file, text=True, env=env())
        line = self.proc.stdout.readline().split()
        check(line and line[0] == "bootstrap", "the mock cluster did not start")
        self.bootstrap = line[1]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close(check_clean=exc_type is None)

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline().strip()
        check(out.startswith("ok"), "kafka mock: %s -> %s" % (line, out))
        return out

    def topic(self, name, partitions):
        self.cmd("topic %s %d" % (name, partitions))

    def produce(self, topic, partition, value, key="-"):
        self.cmd("produce %s %d %s %s" % (topic, partition, key, value))

    def close(self, check_clean=True):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(30)
        if self.stderr_file.closed:
            return
        self.stderr_file.seek(0)
        err = self.stderr_file.read().decode("utf-8", "replace")
        self.stderr_file.close()
        if not check_clean:
            return
        check_no_sanitizer_report(err, "the Kafka mock")
        check(self.proc.returncode == 0, "the Kafka mock exited %s:\n%s" % (self.proc.returncode, err[-2000:]))
