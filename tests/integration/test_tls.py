# SPDX-License-Identifier: MIT
"""TLS on the listeners (gateway.tls, s3.tls), with certificates each test makes with the
openssl CLI (a test CA and a server certificate for IP 127.0.0.1) and checks with Python's
ssl module against that CA, verification on: an HTTPS route and the Invoke API (AWS CLI,
--ca-bundle), keep-alive and ALPN http/1.1 over TLS, a 414 answered inside the TLS session,
plain HTTP to a TLS port closed at once, the S3 endpoint over TLS with the AWS CLI,
handshakes never finished closed by gateway.header_timeout, and the configuration errors
that refuse to start (missing, unreadable, swapped, mismatched files)."""
import json
import os
import select
import socket
import ssl
import subprocess
import time

from harness import Gateway, TestFailure, check, free_port, json_lines, run_cli, wait_until, write
from test_http import read_response   # plain or TLS: it only calls recv

ECHO = """
import json

def echo(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


class Certs:
    """A CA, a server certificate it signed for IP 127.0.0.1 and its key, and a key of
    nothing, as files in dir."""

    def __init__(self, dir):
        self.dir = dir
        self.ca, self.ca_key = os.path.join(dir, "ca.pem"), os.path.join(dir, "ca.key")
        self.cert, self.key = os.path.join(dir, "server.pem"), os.path.join(dir, "server.key")
        self.other_key = os.path.join(dir, "other.key")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        ext = write(os.path.join(dir, "server.ext"), """
            basicConstraints = CA:FALSE
            keyUsage = digitalSignature
            extendedKeyUsage = serverAuth
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid,issuer
            subjectAltName = IP:127.0.0.1
            """)
        csr = os.path.join(dir, "server.csr")
        for args in (["req", "-x509"] + ec + ["-keyout", self.ca_key, "-out", self.ca, "-days", "2",
                                              "-subj", "/CN=fngate test CA"],
                     ["req"] + ec + ["-keyout", self.key, "-out", csr, "-subj", "/CN=127.0.0.1"],
                     ["x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key, "-CAcreateserial",
                      "-out", self.cert, "-days", "2", "-extfile", ext],
                     ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", self.other_key]):
            p = subprocess.run(["openssl"] + args, capture_output=True, text=True, timeout=60)
            check(p.returncode == 0, "openssl %s: %s" % (args[0], p.stderr))

    def context(self, alpn=None):
        ctx = ssl.create_default_context(cafile=self.ca)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx


def functions(tmp):
    code = os.path.join(tmp, "py")
    write(os.path.join(code, "app.py"), ECHO)
    return ("functions:\n  Echo:\n    runtime: python3\n    handler: app.echo\n    code: %s\n    events:\n"
            "      - http: ANY /echo/{id}\n" % code)


def read_to_end(sock, limit_s):
    """Everything sock sends until it closes; fails if it is still open after limit_s."""
    sock.settimeout(limit_s)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
    except (ConnectionResetError, ssl.SSLEOFError):
        return data
    except socket.timeout:
        raise TestFailure("still open after %g s; read so far %r" % (limit_s, data[:200]))


def tls_connect(port, certs, alpn=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    return certs.context(alpn).wrap_socket(raw, server_hostname="127.0.0.1")


def aws(tmp, certs, endpoint, *args, ca=True, key="x", secret="x"):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
               HOME=tmp, AWS_EC2_METADATA_DISABLED="true")
    return subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint] + (["--ca-bundle", certs.ca] if ca else [])
                          + list(args), capture_output=True, text=True, env=env, timeout=120)


def test_https_route_keepalive_alpn_and_plain_http(tmp):
    """The front door over TLS: a route answered and verified against the test CA, 200
    requests on one kept-alive TLS connection that chose http/1.1 by ALPN (h2 offered
    first), a 1 MB body, a 414 answered inside the TLS session, the AWS CLI's Invoke API
    with --ca-bundle; a client that does not trust the CA is refused by its own check, a
    TLS 1.1 client by the server (1.2 is served); plain HTTP to the TLS port is closed at once (header_timeout is a minute here, so the
    sweeper is not what closes it) and the listener serves on."""
    certs = Certs(tmp)
    conf = "gateway: {tls: {cert: server.pem, key: server.key}, header_timeout: 60s}\n" + functions(tmp)
    with Gateway(tmp, conf, cafile=certs.ca) as gw:
        check(gw.scheme == "https" and "listening on https://127.0.0.1:%d" % gw.port in gw.stderr(),
              "the readiness line: %s" % gw.stderr())
        status, _, body = gw.request("GET", "/echo/7?x=1")
        event = json.loads(body)
        check(status == 200 and event["pathParameters"] == {"id": "7"} and event["rawQueryString"] == "x=1",
              "HTTPS route: %d %s" % (status, body[:300]))

        s = tls_connect(gw.port, certs, alpn=["h2", "http/1.1"])
        check(s.selected_alpn_protocol() == "http/1.1", "ALPN: %r" % s.selected_alpn_protocol())
        check(("IP Address", "127.0.0.1") in s.getpeercert()["subjectAltName"], "the server certificate: %s"
              % s.getpeercert())
        buf = b""
        for i in range(200):
            s.sendall(b"GET /echo/%d HTTP/1.1\r\nHost: t\r\n\r\n" % i)
            status, headers, body, buf = read_response(s, buf)
            check(status == 200 and json.loads(body)["pathParameters"]["id"] == str(i), "request %d: %d" % (i, status))
            check(headers.get("connection", "").lower() != "close", "request %d asked to close" % i)
        big = os.urandom(512 * 1024).hex().encode()
        s.sendall(b"POST /echo/big HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(big) + big)
        status, _, body, buf = read_response(s, buf)
        check(status == 200 and json.loads(body)["body"] == big.decode(), "1 MB body over TLS: %d" % status)
        s.close()

        # A query MHD cannot hold is answered 414 by fngate itself, as a TLS record.
        s = tls_connect(gw.port, certs)
        s.sendall(b"GET /echo/1?" + "&".join("a=1" for _ in range(3950)).encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        data = read_to_end(s, 10)
        s.close()
        check(data.startswith(b"HTTP/1.1 414 URI Too Long\r\n") and data.endswith(b'{"message":"Request-URI Too Long"}'),
              "414 over TLS: %r" % data[:300])

        p = aws(tmp, certs, "https://127.0.0.1:%d" % gw.port, "lambda", "invoke", "--no-sign-request",
                "--function-name", "Echo", "--cli-binary-format", "raw-in-base64-out", "--payload", '{"n": 1}',
                os.path.join(tmp, "out.json"))
        out = json.load(open(os.path.join(tmp, "out.json"))) if p.returncode == 0 else None
        check(out and out["statusCode"] == 200 and json.loads(out["body"]) == {"n": 1},
              "aws lambda invoke over HTTPS: %s %s %s" % (p.stdout, p.stderr, out))

        try:
            ssl.create_default_context().wrap_socket(socket.create_connection(("127.0.0.1", gw.port), timeout=10),
                                                      server_hostname="127.0.0.1")
            raise TestFailure("a client without the test CA accepted the certificate")
        except ssl.SSLCertVerificationError:
            pass

        # TLS 1.2 and 1.3 only: the handshake of a client capped at 1.1 (allowed to offer it
        # at all) fails (MHD closes without an alert); Debian's GnuTLS defaults served it.
        for version, ok in ((ssl.TLSVersion.TLSv1_2, True), (ssl.TLSVersion.TLSv1_1, False)):
            ctx = certs.context()
            ctx.set_ciphers("DEFAULT@SECLEVEL=0")
            ctx.minimum_version = ctx.maximum_version = version
            try:
                with ctx.wrap_socket(socket.create_connection(("127.0.0.1", gw.port), timeout=10),
                                     server_hostname="127.0.0.1") as s:
                    check(ok, "a %s client was served: %s" % (version.name, s.version()))
            except ssl.SSLError as e:
                check(not ok, "%s client: %s" % (version.name, e))

        for _ in range(5):
            plain = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
            plain.sendall(b"GET /echo/1 HTTP/1.1\r\nHost: t\r\n\r\n")
            data = read_to_end(plain, 10)
            plain.close()
            check(b"HTTP/1." not in data, "plain HTTP to the TLS port was answered: %r" % data[:200])
        status, _, _ = gw.request("GET", "/echo/after")
        check(status == 200, "served on after plain HTTP: %d" % status)


def test_s3_endpoint_over_tls_with_aws_cli(tmp):
    """s3.tls: the AWS CLI with --endpoint-url https://... --ca-bundle puts (a 9 MB object
    too: a multipart upload), lists and gets over TLS, and each put fires its event; without
    --ca-bundle the CLI refuses the certificate. The front door stays plain HTTP."""
    certs = Certs(tmp)
    port = free_port()
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), """
        import json, os
        def handler(event, context):
            with open(os.environ["OUT"], "a") as f:
                for r in event["Records"]:
                    f.write(json.dumps([r["eventName"], r["s3"]["object"]["key"]]) + "\\n")
        """)
    os.makedirs(os.path.join(tmp, "data", "s3", "uploads"))
    conf = ("s3:\n  listen: 127.0.0.1:%d\n  root: ./data/s3\n  tls: {cert: server.pem, key: server.key}\n"
            "  credentials: {access_key: k, secret_key: s}\n"
            "functions:\n  W:\n    runtime: python3\n    handler: app.handler\n    code: %s\n"
            "    environment: {OUT: %s}\n    events:\n      - s3: uploads\n" % (port, code, os.path.join(tmp, "out.txt")))
    endpoint = "https://127.0.0.1:%d" % port
    with Gateway(tmp, conf) as gw:
        check("S3 endpoint on https://127.0.0.1:%d " % port in gw.stderr(), "the S3 line: %s" % gw.stderr())
        check(gw.scheme == "http", "the front door is plain: %s" % gw.scheme)
        small = write(os.path.join(tmp, "small.txt"), "over tls\n")
        big = os.path.join(tmp, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(9 * 1024 * 1024))
        for src, key in ((small, "a/small.txt"), (big, "big.bin")):
            p = aws(tmp, certs, endpoint, "s3", "cp", src, "s3://uploads/" + key, key="k", secret="s")
            check(p.returncode == 0, "put %s over TLS: %s %s" % (key, p.stdout, p.stderr[-800:]))
        p = aws(tmp, certs, endpoint, "s3", "ls", "s3://uploads/", "--recursive", key="k", secret="s")
        check(p.returncode == 0 and "a/small.txt" in p.stdout and "big.bin" in p.stdout, "ls: %s %s" % (p.stdout, p.stderr))
        got = os.path.join(tmp, "got.bin")
        p = aws(tmp, certs, endpoint, "s3", "cp", "s3://uploads/big.bin", got, key="k", secret="s")
        check(p.returncode == 0 and open(got, "rb").read() == open(big, "rb").read(), "get: %s" % p.stderr[-800:])
        p = aws(tmp, certs, endpoint, "s3", "ls", "s3://uploads/", ca=False, key="k", secret="s")
        check(p.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in p.stderr, "without --ca-bundle: %s" % p.stderr)
        out = os.path.join(tmp, "out.txt")
        wait_until(lambda: len(json_lines(out)) >= 2 and gw.queue_idle(), 15, "the two events",
                   seen=lambda: json_lines(out))
        check(sorted(json_lines(out)) == [["ObjectCreated:CompleteMultipartUpload", "big.bin"],
                                          ["ObjectCreated:Put", "a/small.txt"]], "events: %s" % json_lines(out))


def test_unfinished_handshakes_and_slow_heads_closed_by_header_timeout(tmp):
    """gateway.header_timeout bounds a TLS connection from its accept: clients that connect
    and send nothing, or half a ClientHello, never completing the handshake, and clients
    that complete it and then send their head a byte at a time, are all closed well within
    8 s of a 1 s timeout (libmicrohttpd alone would hold them for its 120 s idle timeout).
    A slow body after a complete head is still served."""
    certs = Certs(tmp)
    conf = "gateway: {tls: {cert: server.pem, key: server.key}, header_timeout: 1s}\n" + functions(tmp)
    with Gateway(tmp, conf, cafile=certs.ca) as gw:
        silent = [socket.create_connection(("127.0.0.1", gw.port), timeout=10) for _ in range(20)]
        half = [socket.create_connection(("127.0.0.1", gw.port), timeout=10) for _ in range(20)]
        for s in half:      # a handshake record header announcing 200 bytes, and 2 of them
            s.sendall(b"\x16\x03\x01\x00\xc8\x01\x00")
        slow = [tls_connect(gw.port, certs) for _ in range(20)]
        t0 = time.monotonic()
        for s in slow:
            s.sendall(b"GET /echo/1 HTTP/1.1\r\nHost: t\r\n")
        open_raw = silent + half
        open_tls = list(slow)
        while (open_raw or open_tls) and time.monotonic() - t0 < 8:
            ready, _, _ = select.select(open_raw, [], [], 0.1)
            for s in ready:
                try:
                    data = s.recv(4096)
                except ConnectionResetError:
                    data = b""
                check(not data.startswith(b"HTTP/"), "an unfinished handshake was answered: %r" % data[:100])
                if not data:
                    open_raw.remove(s)
            still = []
            for s in open_tls:
                try:
                    s.sendall(b"X")     # one more header byte; refused once closed
                    still.append(s)
                except OSError:
                    pass
            open_tls = still
        check(not open_raw and not open_tls, "after %.1f s still open: %d unfinished handshakes, %d slow heads"
              % (time.monotonic() - t0, len(open_raw), len(open_tls)))
        for s in silent + half + slow:
            s.close()

        s = tls_connect(gw.port, certs)
        s.sendall(b"POST /echo/slow HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n")
        for c in b"slow":
            time.sleep(0.5)
            s.sendall(bytes([c]))
        status, _, body, _ = read_response(s)
        s.close()
        check(status == 200 and json.loads(body)["body"] == "slow", "slow body over TLS: %d %s" % (status, body[:200]))


def test_tls_config_errors_refuse_to_start(tmp):
    """Each unusable tls: is refused by serve (and validate) with its file:line:col and the
    file named: a key file missing, a directory for a key, cert without key, key without
    cert (s3), a key not the certificate's, cert and key swapped. A listen address taken
    while TLS is on names the address and both files."""
    certs = Certs(tmp)
    os.makedirs(os.path.join(tmp, "keydir"))
    block = "gateway:\n  tls:\n    cert: %s\n    key: %s\nfunctions: {}\n"
    cases = [
        (block % ("server.pem", "nokey.pem"), "fngate.yaml:4:10: tls: key %s/nokey.pem: No such file or directory" % tmp),
        (block % ("server.pem", "keydir"), "fngate.yaml:4:10: tls: key %s/keydir: Is a directory" % tmp),
        (block % ("server.pem", "other.key"),
         "fngate.yaml:4:10: tls: key %s/other.key does not go with cert %s/server.pem: the key is not the private key "
         "of the cert file's first certificate" % (tmp, tmp)),
        (block % ("server.key", "server.pem"),
         "fngate.yaml:3:11: tls: cert %s/server.key: holds a private key, not a certificate (are cert and key swapped?)"
         % tmp),
        ("gateway:\n  tls: {cert: server.pem}\nfunctions: {}\n",
         "fngate.yaml:2:3: tls: 'key' is required with 'cert' (the certificate's private key, PEM)"),
        ("s3:\n  root: ./data\n  tls:\n    key: server.key\nfunctions: {}\n",
         "fngate.yaml:3:3: tls: 'cert' is required with 'key' (the certificate, PEM)"),
    ]
    for conf, want in cases:
        path = write(os.path.join(tmp, "fngate.yaml"), conf)
        for verb in ("serve", "validate"):
            p = run_cli(verb, "-c", "fngate.yaml", cwd=tmp, timeout=60)
            check(p.returncode == 1 and want in p.stderr and "listening on" not in p.stderr,
                  "%s %r: rc %d, want %r in:\n%s" % (verb, conf, p.returncode, want, p.stderr))
    check(os.path.exists(path), path)

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        write(os.path.join(tmp, "fngate.yaml"), block % ("server.pem", "server.key"))
        p = run_cli("serve", "-c", "fngate.yaml", "--listen", "127.0.0.1:%d" % taken.getsockname()[1], cwd=tmp)
        want = "fngate: listen: cannot listen on 127.0.0.1:%d with TLS (cert %s/server.pem, key %s/server.key)" % (
            taken.getsockname()[1], tmp, tmp)
        check(p.returncode == 1 and want in p.stderr, "a taken address with TLS: rc %d:\n%s" % (p.returncode, p.stderr))
    finally:
        taken.close()


def test_admin_listener_and_cli_over_tls(tmp):
    """admin.tls: the admin API over HTTPS, verified against the test CA; the CLI reaches it
    (and `fngate invoke` the TLS front door) when FNGATE_CA_BUNDLE names that CA, and
    refuses a certificate it cannot verify."""
    certs = Certs(tmp)
    tls = "{cert: server.pem, key: server.key}"
    conf = "gateway: {tls: %s}\nadmin: {tls: %s}\n" % (tls, tls) + functions(tmp)
    with Gateway(tmp, conf, cafile=certs.ca) as gw:
        check(gw.admin_scheme == "https", "admin line: %s" % gw.stderr())
        check(gw.view("queue")["functions"][0]["name"] == "Echo", "an admin view over HTTPS")
        st, _, _ = gw.admin("GET", "/_fngate/queue", token=False)
        check(st == 401, "no token over HTTPS either: %d" % st)
        # The console's cookie over HTTPS is Secure, and the page's own https:// origin passes.
        st, h, _ = gw.admin("POST", "/_fngate/login", json.dumps({"token": gw.admin_token}), token=False)
        check(st == 200 and "; Secure" in h.get("set-cookie", ""), "console login over HTTPS: %d %s" % (st, h))
        st, _, _ = gw.admin("GET", "/_fngate/queue", token=False, headers={
            "Cookie": h["set-cookie"].split(";")[0], "X-Fngate-Console": "1",
            "Origin": "https://127.0.0.1:%d" % gw.admin_port})
        check(st == 200, "the console's cookie and own origin over HTTPS: %d" % st)
        ca = {"FNGATE_CA_BUNDLE": certs.ca}
        p = run_cli("queue", *gw.admin_args(), extra_env=ca)
        check(p.returncode == 0 and "Echo" in p.stdout, "fngate queue over HTTPS:\n%s%s" % (p.stdout, p.stderr))
        p = run_cli("queue", *gw.admin_args())
        check(p.returncode == 1 and "certificate" in p.stderr.lower(), "an unverified certificate: %s" % p.stderr)
        p = run_cli("invoke", "Echo", "-c", gw.config, "--endpoint", "https://127.0.0.1:%d" % gw.port,
                    "--payload", "{}", extra_env=ca)
        check(p.returncode == 0, "fngate invoke over HTTPS:\n%s%s" % (p.stdout, p.stderr))
    p = run_cli("validate", "-c", write(os.path.join(tmp, "u.yaml"),
                                        "admin: {listen: unix:/tmp/x.sock, tls: %s}\n" % tls + functions(tmp)))
    check(p.returncode == 1 and "u.yaml:1:" in p.stderr and "unix socket takes no TLS" in p.stderr, p.stderr)
