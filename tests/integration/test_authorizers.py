# SPDX-License-Identifier: MIT
"""Route authorizers as API Gateway HTTP APIs have them (issue 17, Deliver 2 and 3): JWT
authorizers with keys from a JWKS file and from a JWKS served over HTTP (key rotation,
rate-limited refresh), and Lambda REQUEST authorizers (simple and IAM policy answers,
result caching), with refusals that never invoke the route's function.

Key pairs are made here (python3-cryptography) and tokens signed here; fngate verifies
them with GnuTLS."""
import base64
import http.server
import json
import os
import socketserver
import threading
import time

from harness import Gateway, check, run_cli, wait_until, write

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER = "https://id.example.test"

ECHO = """
import json, os

def echo(event, context):
    with open(os.environ["MARKS"], "a") as f:
        f.write(event["rawPath"] + "\\n")
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""

AUTH = """
import json, os

def simple(event, context):
    with open(os.environ["AUTH_MARKS"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    who = event["identitySource"][0]
    if who == "boom":
        raise RuntimeError("authorizer failed")
    if who == "garbage":
        return "not an answer"
    if who == "slow":
        import time
        time.sleep(5)
    return {"isAuthorized": who.startswith("allow"), "context": {"user": who, "n": 3, "admin": False}}

def iam(event, context):
    with open(os.environ["AUTH_MARKS"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    effect = "Allow" if event["identitySource"][0] == "iam-allow" else "Deny"
    return {"principalId": "user-7",
            "policyDocument": {"Version": "2012-10-17",
                               "Statement": [{"Action": "execute-api:Invoke", "Effect": effect,
                                              "Resource": event["routeArn"]}]},
            "context": {"tier": "gold"}}
"""


# ---------------------------------------------------------------- tokens and keys

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def uint(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return n.to_bytes(size, "big")


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def jwk(key, kid):
    pub = key.public_key().public_numbers()
    if isinstance(key, rsa.RSAPrivateKey):
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64u(uint(pub.n)), "e": b64u(uint(pub.e))}
    return {"kty": "EC", "kid": kid, "crv": "P-256", "x": b64u(uint(pub.x, 32)), "y": b64u(uint(pub.y, 32))}


def token(key, kid, claims=None, alg=None, header=None):
    """A signed compact JWT: claims over sensible defaults (valid for an hour)."""
    now = int(time.time())
    body = {"iss": ISSUER, "aud": "api", "sub": "alice", "iat": now - 10, "exp": now + 3600}
    body.update(claims or {})
    body = {k: v for k, v in body.items() if v is not None}
    alg = alg or ("RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256")
    head = {"alg": alg, "typ": "JWT", "kid": kid}
    head.update(header or {})
    signing = b64u(json.dumps(head).encode()) + "." + b64u(json.dumps(body).encode())
    if alg == "RS256":
        sig = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
    elif alg == "ES256":
        r, s = decode_dss_signature(key.sign(signing.encode(), ec.ECDSA(hashes.SHA256())))
        sig = uint(r, 32) + uint(s, 32)
    elif alg == "HS256":
        import hmac
        import hashlib
        secret = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        sig = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
    else:
        sig = b""
    return signing + "." + b64u(sig)


# ---------------------------------------------------------------- configuration

def functions(tmp, echo_events, extra=""):
    code = os.path.join(tmp, "py")
    write(os.path.join(code, "app.py"), ECHO)
    write(os.path.join(code, "auth.py"), AUTH)
    env = "    environment: {MARKS: %s, AUTH_MARKS: %s}\n" % (os.path.join(tmp, "marks"), os.path.join(tmp, "auth_marks"))
    return ("functions:\n  Echo:\n    runtime: python3\n    handler: app.echo\n    code: %s\n%s    events:\n%s" %
            (code, env, echo_events)) + extra.replace("CODE", code).replace("ENV", env)


def marks(tmp, name="marks"):
    try:
        with open(os.path.join(tmp, name)) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def get(gw, path, auth=None, headers=None):
    h = dict(headers or {})
    if auth is not None:
        h["Authorization"] = auth
    status, _, body = gw.request("GET", path, headers=h)
    return status, body


def refused(gw, tmp, path, auth, status, message, what):
    before = len(marks(tmp))
    got, body = get(gw, path, auth)
    check(got == status and json.loads(body) == {"message": message}, "%s: %s %s" % (what, got, body[:300]))
    check(len(marks(tmp)) == before, "%s: the route's function ran" % what)


# ---------------------------------------------------------------- JWT, keys from a file

def test_jwt_file(tmp):
    rk, ek, anon = rsa_key(), ec_key(), rsa_key()
    nokid = jwk(anon, "")
    del nokid["kid"]
    write(os.path.join(tmp, "jwks.json"), json.dumps({"keys": [
        {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},              # not usable: skipped
        jwk(rk, "rsa-1"), jwk(ek, "ec-1"), nokid]}))
    cfg = ("gateway:\n  authorizers:\n    users:\n      type: jwt\n      issuer: %s\n"
           "      audience: [api, other]\n      jwks: jwks.json\n" % ISSUER) + functions(tmp,
        "      - http: {method: GET, path: /claims, authorizer: users}\n"
        "      - http: {method: GET, path: /scoped, authorizer: {name: users, scopes: [orders:read, orders:admin]}}\n"
        "      - http: GET /open\n")
    with Gateway(tmp, cfg) as gw:
        good = token(rk, "rsa-1", {"aud": ["api", "x"], "groups": ["a", "b"], "n": 42, "ok": True,
                                   "scope": "orders:read profile"})
        status, body = get(gw, "/claims", "Bearer " + good)
        check(status == 200, (status, body[:300]))
        auth = json.loads(body)["requestContext"]["authorizer"]
        claims = auth["jwt"]["claims"]
        check(claims["sub"] == "alice" and claims["iss"] == ISSUER, claims)
        # API Gateway flattens claims to strings: lists as [a b], numbers and booleans as text.
        check(claims["aud"] == "[api x]" and claims["groups"] == "[a b]" and claims["n"] == "42" and
              claims["ok"] == "true" and claims["exp"].isdigit(), claims)
        check(auth["jwt"]["scopes"] is None, auth)          # the route requires no scopes
        check(marks(tmp) == ["/claims"], marks(tmp))
        # The bare token (no Bearer), ES256, audience given as client_id.
        status, body = get(gw, "/claims", token(ek, "ec-1", {"aud": None, "client_id": "other"}))
        check(status == 200, (status, body[:300]))
        status, _ = get(gw, "/open")
        check(status == 200, status)

        now = int(time.time())
        refused(gw, tmp, "/claims", None, 401, "Unauthorized", "no Authorization header")
        refused(gw, tmp, "/claims", "Bearer ", 401, "Unauthorized", "an empty token")
        refused(gw, tmp, "/claims", "Bearer not.a.token", 401, "Unauthorized", "garbage")
        refused(gw, tmp, "/claims", token(rk, "rsa-1", {"exp": now - 5, "iat": now - 100}), 401, "Unauthorized",
                "expired")
        refused(gw, tmp, "/claims", token(rk, "rsa-1", {"nbf": now + 600}), 401, "Unauthorized", "not valid yet")
        refused(gw, tmp, "/claims", token(rk, "rsa-1", {"exp": None}), 401, "Unauthorized", "no exp")
        refused(gw, tmp, "/claims", token(rk, "rsa-1", {"aud": "someone-else"}), 401, "Unauthorized",
                "wrong audience")
        refused(gw, tmp, "/claims", token(rk, "rsa-1", {"iss": "https://evil.test"}), 401, "Unauthorized",
                "wrong issuer")
        head, payload, sig = good.split(".")
        forged = b64u(json.dumps(dict(json.loads(base64.urlsafe_b64decode(payload + "==")), sub="mallory")).encode())
        refused(gw, tmp, "/claims", ".".join([head, forged, sig]), 401, "Unauthorized", "bad signature")
        refused(gw, tmp, "/claims", token(rsa_key(), "rsa-1"), 401, "Unauthorized", "signed by another key")
        refused(gw, tmp, "/claims", token(rk, "rsa-1", alg="none"), 401, "Unauthorized", "alg none")
        refused(gw, tmp, "/claims", token(rk, "rsa-1", alg="HS256"), 401, "Unauthorized",
                "HS256 with the public key as secret")
        refused(gw, tmp, "/claims", token(rk, "ec-1", alg="RS256"), 401, "Unauthorized",
                "RS256 naming an EC key")
        refused(gw, tmp, "/claims", token(anon, "", header={"kid": None}), 401, "Unauthorized",
                "no kid (a key of the set without one signed it)")

        # Scopes: at least one of the route's, from scope (space-separated) or scp (a list).
        status, body = get(gw, "/scoped", good)
        check(status == 200, (status, body[:300]))
        check(json.loads(body)["requestContext"]["authorizer"]["jwt"]["scopes"] == ["orders:read", "profile"], body)
        status, body = get(gw, "/scoped", token(rk, "rsa-1", {"scp": ["orders:admin"]}))
        check(status == 200, (status, body[:300]))
        refused(gw, tmp, "/scoped", token(rk, "rsa-1", {"scope": "profile orders:write"}), 403, "Forbidden",
                "missing scope")
        refused(gw, tmp, "/scoped", token(rk, "rsa-1"), 403, "Forbidden", "no scope at all")
        # Key rotation in the file: a token naming a key fngate does not hold makes it read
        # the file again. The old key is gone from the new file: a token verified before
        # stays accepted until its exp (verified once, then cached), a new one signed by the
        # old key is refused.
        rk2 = rsa_key()
        # The cache is direct-mapped (1,024 slots): a token verified since `good` may have
        # taken its slot. Asked again now, it is verified and held before the rotation.
        status, _ = get(gw, "/claims", good)
        check(status == 200, "the good token before rotation: %d" % status)
        write(os.path.join(tmp, "jwks.json"), json.dumps({"keys": [jwk(rk2, "rsa-2"), jwk(ek, "ec-1")]}))
        status, body = get(gw, "/claims", token(rk2, "rsa-2"))
        check(status == 200, (status, body[:300]))
        for _ in range(3):
            status, _ = get(gw, "/claims", good)
            check(status == 200, "a verified token was refused after rotation: %d" % status)
        refused(gw, tmp, "/claims", token(rk, "rsa-1", {"jti": "new"}), 401, "Unauthorized",
                "a new token by a retired key")
        refused(gw, tmp, "/claims", token(rk, "secret"), 401, "Unauthorized", "an HMAC key's kid")


# ---------------------------------------------------------------- JWT, keys over HTTP

class JwksServer:
    """A JWKS over HTTP on a free loopback port, counting its fetches."""

    def __init__(self, keys, gate=None):
        self.keys = keys
        self.fetches = 0
        self.gate = gate            # a threading.Event answers wait for, when given
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                if outer.gate:
                    outer.gate.wait(20)
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d/.well-known/jwks.json" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_jwt_url_rotation(tmp):
    k1, k2, k3 = rsa_key(), ec_key(), rsa_key()
    srv = JwksServer([jwk(k1, "one")])
    try:
        cfg = ("gateway:\n  authorizers:\n    idp:\n      type: jwt\n      issuer: %s\n      audience: api\n"
               "      jwks: %s\n" % (ISSUER, srv.url)) + functions(tmp, "      - http: {path: /me, authorizer: idp}\n")
        with Gateway(tmp, cfg) as gw:
            # The first request may arrive before the key set: it waits for the fetch.
            status, body = get(gw, "/me", "Bearer " + token(k1, "one"))
            check(status == 200, (status, body[:300]))
            check(srv.fetches == 1, srv.fetches)
            # Rotation: the provider adds a key; a token naming it makes fngate fetch again.
            srv.keys = [jwk(k1, "one"), jwk(k2, "two")]
            status, body = get(gw, "/me", "Bearer " + token(k2, "two"))
            check(status == 200, (status, body[:300]))
            check(srv.fetches == 2, srv.fetches)
            status, _ = get(gw, "/me", "Bearer " + token(k1, "one"))
            check(status == 200, status)
            # Unknown kids right after a refresh: refused without fetching again (rate limit).
            for _ in range(3):
                refused(gw, tmp, "/me", "Bearer " + token(k3, "three"), 401, "Unauthorized", "unknown kid")
            check(srv.fetches == 2, "unknown kids fetched the key set %d times" % srv.fetches)
            status, _, body = gw.admin("GET", "/metrics")
            check(status == 200 and "\nfngate_authorizer_jwks_fetches_total 2\n" in body.decode(), body[-2000:])
    finally:
        srv.close()


def test_jwt_requests_wait_for_the_first_fetch(tmp):
    """Requests that arrive while the key set is being fetched wait for that one fetch."""
    k = ec_key()
    gate = threading.Event()
    srv = JwksServer([jwk(k, "one")], gate)
    try:
        cfg = ("gateway:\n  authorizers:\n    idp:\n      type: jwt\n      issuer: %s\n      audience: api\n"
               "      jwks: %s\n" % (ISSUER, srv.url)) + functions(tmp, "      - http: {path: /me, authorizer: idp}\n")
        with Gateway(tmp, cfg) as gw:
            wait_until(lambda: srv.fetches == 1, 20, "the first fetch")
            results = []
            def call():
                results.append(get(gw, "/me", "Bearer " + token(k, "one"))[0])
            threads = [threading.Thread(target=call) for _ in range(6)]
            for t in threads:
                t.start()
            def open_conns():
                body = gw.admin("GET", "/metrics")[2].decode()
                line = [l for l in body.splitlines() if l.startswith("fngate_http_open_connections ")]
                return line and float(line[0].split()[1]) >= 6
            wait_until(open_conns, 20, "six requests on the front door")
            gate.set()
            for t in threads:
                t.join(30)
            check(results == [200] * 6, results)
            check(srv.fetches == 1, "fetched %d times" % srv.fetches)
    finally:
        gate.set()
        srv.close()


# ---------------------------------------------------------------- Lambda authorizers

def lambda_config(tmp):
    auth = ("  Auth:\n    runtime: python3\n    handler: auth.simple\n    timeout: 1\n    code: CODE\nENV"
            "  AuthIam:\n    runtime: python3\n    handler: auth.iam\n    code: CODE\nENV")
    return ("gateway:\n  authorizers:\n"
            "    simple: {type: request, function: Auth, ttl: 300, enable_simple_responses: true,\n"
            "             identity_source: [$request.header.Authorization, $request.querystring.v]}\n"
            "    policy: {type: request, function: AuthIam, ttl: 0, identity_source: $request.header.X-Token}\n") + \
        functions(tmp, "      - http: {method: GET, path: \"/items/{id}\", authorizer: simple}\n"
                       "      - http: {method: GET, path: /admin, authorizer: policy}\n", auth)


def test_lambda_authorizer(tmp):
    with Gateway(tmp, lambda_config(tmp)) as gw:
        # A missing identity source is 401 before any function runs.
        refused(gw, tmp, "/items/1?v=1", None, 401, "Unauthorized", "no Authorization")
        refused(gw, tmp, "/items/1", "allow-a", 401, "Unauthorized", "no ?v=")
        check(marks(tmp, "auth_marks") == [], "the authorizer ran without its identity sources")

        status, body = get(gw, "/items/7?v=1", "allow-a")
        check(status == 200, (status, body[:300]))
        event = json.loads(body)
        check(event["requestContext"]["authorizer"] == {"lambda": {"user": "allow-a", "n": 3, "admin": False}},
              event["requestContext"])
        seen = [json.loads(l) for l in marks(tmp, "auth_marks")]
        check(len(seen) == 1, seen)
        a = seen[0]
        check(a["version"] == "2.0" and a["type"] == "REQUEST" and a["identitySource"] == ["allow-a", "1"] and
              a["routeKey"] == "GET /items/{id}" and a["rawPath"] == "/items/7" and a["rawQueryString"] == "v=1" and
              a["pathParameters"] == {"id": "7"} and a["headers"]["authorization"] == "allow-a" and
              a["routeArn"] == "arn:aws:execute-api:us-east-1:000000000000:fngate/$default/GET/items/7" and
              "body" not in a and "authorizer" not in a["requestContext"], a)
        # Cached for the ttl, keyed by the identity sources: the second call is not asked.
        status, body = get(gw, "/items/8?v=1", "allow-a")
        check(status == 200 and json.loads(body)["requestContext"]["authorizer"]["lambda"]["user"] == "allow-a",
              (status, body[:300]))
        check(len(marks(tmp, "auth_marks")) == 1, "the authorizer ran again within its ttl")
        status, _ = get(gw, "/items/8?v=2", "allow-a")          # other identity values: asked again
        check(status == 200 and len(marks(tmp, "auth_marks")) == 2, status)

        refused(gw, tmp, "/items/1?v=1", "deny", 403, "Forbidden", "isAuthorized false")
        refused(gw, tmp, "/items/1?v=1", "deny", 403, "Forbidden", "isAuthorized false (cached)")
        check(len(marks(tmp, "auth_marks")) == 3, marks(tmp, "auth_marks"))
        refused(gw, tmp, "/items/1?v=1", "boom", 500, "Internal Server Error", "the authorizer failed")
        refused(gw, tmp, "/items/1?v=1", "garbage", 500, "Internal Server Error", "an unusable answer")
        refused(gw, tmp, "/items/1?v=1", "slow", 500, "Internal Server Error", "the authorizer timed out")
        status, _ = get(gw, "/items/9?v=3", "allow-b")        # and the next one is asked again
        check(status == 200, status)

        # IAM policy answers, not cached (ttl 0): asked every time.
        n = len(marks(tmp, "auth_marks"))
        check(n == 7, marks(tmp, "auth_marks"))
        for _ in range(2):
            status, body = get(gw, "/admin", headers={"X-Token": "iam-allow"})
            check(status == 200, (status, body[:300]))
            check(json.loads(body)["requestContext"]["authorizer"] == {"lambda": {"tier": "gold"}}, body)
        check(len(marks(tmp, "auth_marks")) == n + 2, "ttl 0 must not cache")
        refused(gw, tmp, "/admin", None, 401, "Unauthorized", "no X-Token")
        status, body = gw.request("GET", "/admin", headers={"X-Token": "iam-deny"})[0::2]
        check(status == 403 and json.loads(body) == {"message": "Forbidden"}, (status, body))


# ---------------------------------------------------------------- configuration errors

def test_authorizer_config_errors(tmp):
    code = os.path.join(tmp, "py")
    write(os.path.join(code, "app.py"), ECHO)
    cases = [
        ("gateway:\n  authorizers:\n    users: {type: jwt, issuer: x, audience: a, jwks: jwks.json}\n"
         "functions:\n  F:\n    runtime: python3\n    handler: app.echo\n    code: %s\n"
         "    events:\n      - http: {path: /x, authorizer: user}\n" % code,
         ":10:38: authorizer: no authorizer named 'user' in gateway.authorizers (did you mean 'users'?)"),
        ("gateway:\n  authorizers:\n    a: {type: request, function: Nope, ttl: 0}\n"
         "functions:\n  F:\n    runtime: python3\n    handler: app.echo\n    code: %s\n" % code,
         ":3:34: authorizer a: no function named 'Nope'"),
        ("gateway:\n  authorizers:\n    a: {type: request, function: F, identity_source: $request.head.x}\n"
         "functions:\n  F:\n    runtime: python3\n    handler: app.echo\n    code: %s\n" % code,
         ":3:54: authorizer a: identity_source '$request.head.x': expected $request.header.NAME or $request.querystring.NAME"),
        ("gateway:\n  authorizers:\n    a: {type: request, function: F}\n"
         "functions:\n  F:\n    runtime: python3\n    handler: app.echo\n    code: %s\n" % code,
         ":3:5: authorizer a: caching (ttl 300 s) needs identity_source"),
    ]
    write(os.path.join(tmp, "jwks.json"), json.dumps({"keys": [jwk(rsa_key(), "k")]}))
    # A good file: validate lists the authorizers and the routes each guards.
    good = write(os.path.join(tmp, "good.yaml"), lambda_config(tmp))
    p = run_cli("validate", "-c", good)
    check(p.returncode == 0 and "authorizers:\n  simple: request, function Auth, simple answers, cached 300 s\n"
          "    guards GET /items/{id}\n  policy: request, function AuthIam, IAM policy answers, cached 0 s\n"
          "    guards GET /admin\n" in p.stdout, p.stdout + p.stderr)
    for i, (yaml, want) in enumerate(cases):
        cfg = os.path.join(tmp, "c%d.yaml" % i)
        with open(cfg, "w") as f:
            f.write(yaml)
        p = run_cli("validate", "-c", cfg)
        check(p.returncode == 1 and p.stderr.startswith(cfg + want), (want, p.stderr))


def test_authorizers_reload(tmp):
    """gateway.authorizers change on a reload (the front door's routes do), without the
    "bound at start" warning the rest of gateway: gets."""
    k = rsa_key()
    write(os.path.join(tmp, "jwks.json"), json.dumps({"keys": [jwk(k, "k")]}))
    def cfg(audience):
        return ("isolation: {enabled: false}\ngateway:\n  authorizers:\n"
                "    users: {type: jwt, issuer: %s, audience: %s, jwks: jwks.json}\n" % (ISSUER, audience)) + \
            functions(tmp, "      - http: {path: /me, authorizer: users}\n")
    web = token(k, "k", {"aud": "web"})
    with Gateway(tmp, cfg("api")) as gw:
        refused(gw, tmp, "/me", web, 401, "Unauthorized", "an audience not configured yet")
        write(gw.config, cfg("[api, web]"))
        r = run_cli("reload", "-c", gw.config, "--json", *gw.admin_args())
        check(r.returncode == 0, r.stderr)
        check("gateway" not in json.loads(r.stdout)["needsRestart"], r.stdout)
        status, body = get(gw, "/me", web)
        check(status == 200, (status, body[:300]))
        check("bound at start" not in gw.stderr(), gw.stderr()[-2000:])


def test_failed_reload_leaves_no_fetch_behind(tmp):
    """A reload that fails after a URL authorizer's key set was built (a later authorizer's
    JWKS file holds no usable key) keeps the running authorizers, and the failed view's key
    set was never handed to the fetch thread (which would then use it freed)."""
    k = rsa_key()
    srv = JwksServer([jwk(k, "one")])
    write(os.path.join(tmp, "bad.json"), "not a key set")
    try:
        def cfg(extra=""):
            return ("gateway:\n  authorizers:\n    idp: {type: jwt, issuer: %s, audience: api, jwks: %s}\n%s"
                    % (ISSUER, srv.url, extra)) + functions(tmp, "      - http: {path: /me, authorizer: idp}\n")
        with Gateway(tmp, cfg()) as gw:
            status, body = get(gw, "/me", "Bearer " + token(k, "one"))
            check(status == 200 and srv.fetches == 1, (status, body[:300], srv.fetches))
            write(gw.config, cfg("    other: {type: jwt, issuer: %s, audience: api, jwks: bad.json}\n" % ISSUER))
            r = run_cli("reload", "-c", gw.config, "--json", *gw.admin_args())
            wait_until(lambda: "bad.json" in gw.stderr(), 10, "the failed reload in fngate's log")
            for _ in range(3):
                status, body = get(gw, "/me", "Bearer " + token(k, "one"))
                check(status == 200, "after the failed reload: %r %r" % (status, body[:300]))
            check(srv.fetches == 1, "the failed reload fetched the key set (%d fetches): %s" % (srv.fetches, r.stdout))
    finally:
        srv.close()
