# SPDX-License-Identifier: MIT
"""The web console (console/, gateway/console*.c): its files on the admin listener without
the token and with their security headers, the login that sets the session cookie, the
cookie's rules (X-Fngate-Console, Origin, logout, unknown sessions) checked with raw HTTP,
and the pages driven in Debian's Chromium by tests/integration/console/console.js."""
import http.client
import json
import os
import subprocess

from harness import ROOT, Gateway, check, npm_install, wait_until, write

FAILING = """
import os

def handler(event, context):
    if os.path.exists(os.environ["FAIL_FLAG"]):
        print("attempt %s" % event.get("id"))
        raise RuntimeError("failing on purpose: %s" % event.get("id"))
    print("delivered %s" % event.get("id"))
    return {"ok": event.get("id")}
"""


def config(tmp):
    hello = os.path.join(ROOT, "examples", "hello")
    code = os.path.join(tmp, "failing")
    write(os.path.join(code, "app.py"), FAILING)
    return ("functions:\n"
            "  HelloLambda:\n    runtime: python3\n    handler: app.lambda_handler\n    code: %s\n"
            "    memory: 128\n    timeout: 3\n    concurrency: 10\n    environment: {GREETING: Hello}\n"
            "    events:\n      - http: {method: GET, path: \"/hello/{name}\"}\n"
            "  Failing:\n    runtime: python3\n    handler: app.handler\n    code: %s\n"
            "    environment: {FAIL_FLAG: %s}\n    retries: {maximum_retry_attempts: 0}\n"
            % (hello, code, os.path.join(tmp, "fail.flag")))


def admin_raw(gw, method, path, headers=None, body=None):
    """A request to the admin listener with exactly these headers (no token unless given)."""
    c = http.client.HTTPConnection("127.0.0.1", gw.admin_port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def login(gw, token, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return admin_raw(gw, "POST", "/_fngate/login", h, json.dumps({"token": token}))


def test_console_files_without_token(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        st, h, _ = admin_raw(gw, "GET", "/")
        check(st == 302 and h.get("location") == "/console/", "GET / redirects: %d %s" % (st, h))
        st, h, body = admin_raw(gw, "GET", "/console/")
        check(st == 200 and h["content-type"].startswith("text/html") and b'src="app.js"' in body,
              "the app: %d %s" % (st, h))
        check(h.get("cache-control") == "no-cache" and h.get("x-frame-options") == "DENY" and
              h.get("content-security-policy", "").startswith("default-src 'self'"), "security headers: %s" % h)
        for name, ctype in (("app.js", "text/javascript"), ("console.css", "text/css"), ("favicon.svg", "image/svg+xml")):
            st, h, body = admin_raw(gw, "GET", "/console/" + name + "?v=1")
            check(st == 200 and h["content-type"].startswith(ctype) and body, "%s: %d %s" % (name, st, h))
        for bad in ("/console/../fngate.yaml", "/console/..%2fREADME.md", "/console/%2e%2e/README.md",
                    "/console/nope.js", "/console/app.js/x", "/console/.hidden.js", "/console/app.exe",
                    "/console/sub/app.js", "/console/" + "a" * 300 + ".js"):
            st, _, body = admin_raw(gw, "GET", bad)
            check(st == 404 and b"import" not in body, "%s: %d %r" % (bad, st, body[:100]))
        st, _, _ = admin_raw(gw, "GET", "/_fngate/queue")
        check(st == 401, "the API still wants the token: %d" % st)
        st, _, _ = gw.admin("GET", "/nothing")
        check(st == 404, "outside /_fngate/ and /console/: %d" % st)


def test_console_login_cookie_rules(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        own = "http://127.0.0.1:%d" % gw.admin_port
        st, h, body = login(gw, "wrong-token-0123456789")
        check(st == 401 and "set-cookie" not in h and json.loads(body)["message"], "wrong token: %d %s" % (st, h))
        st, h, body = admin_raw(gw, "POST", "/_fngate/login", {"Content-Type": "application/json"}, b'{"tok":1}')
        check(st == 400 and "set-cookie" not in h, "no token: %d %r" % (st, body))
        st, h, _ = admin_raw(gw, "POST", "/_fngate/login", {"Content-Type": "text/plain"},
                             json.dumps({"token": gw.admin_token}))
        check(st == 415 and "set-cookie" not in h, "a form post cannot log in: %d" % st)
        st, h, _ = login(gw, gw.admin_token, {"Origin": "http://evil.example"})
        check(st == 403 and "set-cookie" not in h, "a login from another origin: %d" % st)
        st, h, _ = login(gw, gw.admin_token, {"Origin": own})
        check(st == 200, "login: %d" % st)
        cookie = h["set-cookie"]
        attrs = [a.strip() for a in cookie.split(";")]
        check(attrs[0].startswith("fngate_session=") and len(attrs[0]) == len("fngate_session=") + 64 and
              {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(attrs) and "Secure" not in attrs,
              "the cookie: %s" % cookie)
        sess = attrs[0]
        ok = {"Cookie": sess, "X-Fngate-Console": "1"}
        st, _, body = admin_raw(gw, "GET", "/_fngate/queue", ok)
        check(st == 200 and "functions" in json.loads(body), "cookie + header: %d %r" % (st, body))
        st, _, body = admin_raw(gw, "GET", "/_fngate/queue", {"Cookie": sess})
        check(st == 403 and b"X-Fngate-Console" in body, "cookie without the header: %d %r" % (st, body))
        st, _, body = admin_raw(gw, "GET", "/_fngate/queue", {"Cookie": sess, "X-Fngate-Console": "yes"})
        check(st == 403, "the header must be 1: %d" % st)
        st, _, _ = admin_raw(gw, "GET", "/_fngate/queue", dict(ok, Origin="http://evil.example"))
        check(st == 403, "cookie + a foreign Origin: %d" % st)
        st, _, _ = admin_raw(gw, "GET", "/_fngate/queue", dict(ok, Origin="https://127.0.0.1:%d" % gw.admin_port))
        check(st == 403, "cookie + another scheme's Origin: %d" % st)
        st, _, _ = admin_raw(gw, "GET", "/_fngate/queue", dict(ok, Origin=own))
        check(st == 200, "cookie + the listener's own Origin: %d" % st)
        st, _, body = admin_raw(gw, "POST", "/_fngate/dlq/purge", dict(ok, Origin=own, **{"Content-Type": "application/json"}),
                                b'{"all":true}')
        check(st == 200 and json.loads(body) == {"purged": 0}, "a console POST: %d %r" % (st, body))
        st, _, _ = admin_raw(gw, "POST", "/_fngate/dlq/purge", {"Cookie": sess, "Content-Type": "application/json"},
                             b'{"all":true}')
        check(st == 403, "a POST with the cookie and no header: %d" % st)
        st, _, _ = admin_raw(gw, "GET", "/_fngate/queue", {"Cookie": "fngate_session=" + "0" * 64, "X-Fngate-Console": "1"})
        check(st == 401, "an unknown session: %d" % st)
        st, _, _ = admin_raw(gw, "GET", "/_fngate/queue", {"Cookie": "fngate_session=short", "X-Fngate-Console": "1"})
        check(st == 401, "a malformed session: %d" % st)
        # the bearer path keeps its rules: Origin refused even with a live cookie beside it
        st, _, _ = admin_raw(gw, "GET", "/_fngate/queue", dict(ok, Origin=own, Authorization="Bearer " + gw.admin_token))
        check(st == 403, "bearer + Origin: %d" % st)
        st, _, _ = admin_raw(gw, "GET", "/_fngate/queue", {"Authorization": "Bearer " + gw.admin_token})
        check(st == 200, "bearer alone: %d" % st)
        st, h, body = admin_raw(gw, "POST", "/_fngate/logout", dict(ok, **{"Content-Type": "application/json"}), b"{}")
        check(st == 200 and "Max-Age=0" in h.get("set-cookie", ""), "logout: %d %s %r" % (st, h, body))
        st, _, _ = admin_raw(gw, "GET", "/_fngate/queue", ok)
        check(st == 401, "the cookie after logout: %d" % st)
        st, _, _ = admin_raw(gw, "POST", "/_fngate/logout", dict(ok, **{"Content-Type": "application/json"}), b"{}")
        check(st == 401, "logout needs a session or the token: %d" % st)


SHOTS = os.path.join(ROOT, "build", "console-screenshots")


def ensure_playwright():
    """playwright-core from npm (no browser download: Debian's chromium); its node_modules."""
    check(os.path.exists("/usr/bin/chromium"), "no /usr/bin/chromium (make test-deps installs Debian's chromium)")
    return npm_install("console-test", "playwright-core@1", 600, {"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"})


def test_console_in_chromium(tmp):
    """Login (wrong token refused), Functions, the seed's Test event saved and run from the
    Test tab with its Execution results, a Function page's tabs, the Monitor graphs counting
    an invocation and an error, an admin API error shown as a message, Operations, a redrive
    from the page; screenshots in build/console-screenshots/."""
    modules = ensure_playwright()
    os.makedirs(SHOTS, exist_ok=True)
    flag = os.path.join(tmp, "fail.flag")
    write(flag, "broken\n")
    with Gateway(tmp, config(tmp)) as gw:
        st, _, _ = gw.invoke("Failing", {"id": "redrive-me"}, {"X-Amz-Invocation-Type": "Event"})
        check(st == 202, "the async invoke: %d" % st)
        wait_until(lambda: gw.view("dlq?function=Failing")["items"], 20, "Failing's dead letter")
        os.unlink(flag)                                   # the bug is fixed: a redrive delivers
        script = os.path.join(ROOT, "tests", "integration", "console", "console.js")
        p = subprocess.run(["node", script], cwd=tmp, capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, NODE_PATH=modules,
                                    ADMIN_URL="http://127.0.0.1:%d" % gw.admin_port, TOKEN=gw.admin_token,
                                    FRONT_URL="http://127.0.0.1:%d" % gw.port, SHOTS=SHOTS,
                                    PROFILE=os.path.join(tmp, "chromium-profile")))
        check(p.returncode == 0 and "CONSOLE OK" in p.stdout,
              "console.js:\n%s\n%s" % (p.stdout[-4000:], p.stderr[-6000:]))
        gw.wait_stdout(r"delivered redrive-me", 10)
        check(not gw.view("dlq")["items"], "the redriven dead letter is gone")

