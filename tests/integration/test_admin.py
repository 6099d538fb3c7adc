# SPDX-License-Identifier: MIT
"""The admin API on its own listener: never on the front door, a bearer token (made in
state_dir on first start, or from the config), CSRF-proof (no Origin, an IP or localhost
Host, JSON bodies), a unix socket, the CLI finding it, and long operations that never hold
an accept: 700,000 dead letters purged while Event invocations are accepted."""
import json
import os
import socket
import sqlite3
import stat
import threading
import time

from harness import Gateway, check, run_cli, wait_until, write

PY = """
def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("failing on purpose")
    return {"secret": "s3cr3t-from-env"}
"""

EVENT = {"X-Amz-Invocation-Type": "Event"}


def config(tmp, top=""):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    return ("%sfunctions:\n  W:\n    runtime: python3\n    handler: app.handler\n    code: %s\n"
            "    retries: {maximum_retry_attempts: 0}\n" % (top, code))


def raw(port, request):
    """One raw request on a fresh connection; the status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split()[1]) if data else None


def dead_letter(gw):
    check(gw.invoke("W", {"fail": True, "card": "4111111111111111"}, EVENT)[0] == 202, "accepted")
    wait_until(lambda: gw.view("queue")["functions"][0]["deadLetters"] == 1, 20, "a dead letter")


def test_admin_api_is_not_on_the_front_door(tmp):
    """The probes of the issue, on the front door: reading a dead letter, and purging every
    dead letter as a cross-site text/plain POST with a foreign Host, are 404 and delete
    nothing."""
    with Gateway(tmp, config(tmp)) as gw:
        dead_letter(gw)
        for path in ("/_fngate/queue", "/_fngate/dlq", "/_fngate/dlq/1", "/_fngate/schedules"):
            st, _, body = gw.request("GET", path)
            check(st == 404 and b"4111" not in body, "front door %s: %d %r" % (path, st, body))
        body = b'{"all":true}'
        st = raw(gw.port, b"POST /_fngate/dlq/purge HTTP/1.1\r\nHost: attacker.example\r\nOrigin: http://attacker.example\r\n"
                          b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        check(st == 404, "cross-site purge on the front door: %s" % st)
        check(gw.view("queue")["functions"][0]["deadLetters"] == 1, "the dead letter is still there")


def test_admin_listener_wants_its_token_host_and_json(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        dead_letter(gw)
        token_file = os.path.join(tmp, ".fngate", "admin.token")
        check(stat.S_IMODE(os.stat(token_file).st_mode) == 0o600, "token file mode %o" % os.stat(token_file).st_mode)
        check(len(gw.admin_token) == 64 and int(gw.admin_token, 16) >= 0, "a 256-bit hex token: %r" % gw.admin_token)
        st, h, body = gw.admin("GET", "/_fngate/dlq/1", token=False)
        check(st == 401 and h.get("www-authenticate", "").startswith("Bearer") and b"4111" not in body,
              "no token: %d %r %r" % (st, h, body))
        st, _, body = gw.admin("GET", "/_fngate/dlq/1", token="x" * 64)
        check(st == 401 and b"4111" not in body, "wrong token: %d %r" % (st, body))
        st, _, body = gw.admin("GET", "/_fngate/dlq/1", token=gw.admin_token[:-1])
        check(st == 401, "a prefix of the token: %d" % st)
        st, _, body = gw.admin("GET", "/_fngate/dlq/1")
        check(st == 200 and b"4111" in body, "with the token: %d %r" % (st, body))
        # DNS rebinding: a page whose name now points at 127.0.0.1 still sends its name.
        st, _, body = gw.admin("GET", "/_fngate/dlq/1", headers={"Host": "attacker.example:%d" % gw.admin_port})
        check(st == 403 and b"4111" not in body, "foreign Host: %d %r" % (st, body))
        for host in ("localhost:%d" % gw.admin_port, "127.0.0.1", "[::1]:1"):
            st, _, _ = gw.admin("GET", "/_fngate/queue", headers={"Host": host})
            check(st == 200, "Host %s: %d" % (host, st))
        st, _, body = gw.admin("GET", "/_fngate/dlq/1", headers={"Origin": "http://127.0.0.1:%d" % gw.admin_port})
        check(st == 403 and b"4111" not in body, "a browser's Origin: %d %r" % (st, body))
        tok = gw.admin_token.encode()
        body = b'{"all":true}'
        st = raw(gw.admin_port, b"POST /_fngate/dlq/purge HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                                b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (tok, len(body), body))
        check(st == 415, "text/plain purge: %s" % st)
        st = raw(gw.admin_port, b"POST /_fngate/dlq/purge HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n" % tok)
        check(st == 413, "a 100 KB admin body is refused from its length: %s" % st)
        check(gw.view("queue")["functions"][0]["deadLetters"] == 1, "nothing was purged")
        st, _, body = gw.admin("GET", "/nothing")
        check(st == 404, "outside /_fngate/ and the console: %d" % st)
        st, _, body = gw.admin("POST", "/_fngate/dlq/purge", json.dumps({"all": True}))
        check(st == 200 and json.loads(body) == {"purged": 1}, "purge with the token: %d %r" % (st, body))
        first = gw.admin_token
    with Gateway(tmp, config(tmp)) as gw:
        check(gw.admin_token == first, "a restart keeps the token it made")


def test_admin_token_from_config_and_unix_socket(tmp):
    sock = os.path.join(tmp, "admin.sock")
    top = "admin:\n  listen: unix:%s\n  token: ${FG_TEST_ADMIN_TOKEN}\n" % sock
    env = {"FG_TEST_ADMIN_TOKEN": "a-token-of-thirty-two-characters"}
    gw = Gateway(tmp, config(tmp, top), extra_env=env)
    with gw:
        check(gw.admin_socket == sock, "admin line names the socket: %s" % gw.stderr())
        check(stat.S_IMODE(os.stat(sock).st_mode) == 0o600, "socket mode %o" % os.stat(sock).st_mode)
        check(not os.path.exists(os.path.join(tmp, ".fngate", "admin.token")), "no token file is made")
        p = run_cli("queue", "-c", gw.config, "--json", extra_env=env)
        check(p.returncode == 0 and json.loads(p.stdout)["functions"][0]["name"] == "W",
              "fngate queue through the socket:\n%s%s" % (p.stdout, p.stderr))
        p = run_cli("queue", "-c", gw.config, "--token", "not-the-token-at-all", extra_env=env)
        check(p.returncode == 1 and "401" in p.stderr, "a wrong --token: %s" % p.stderr)
        p = run_cli("queue", "-c", gw.config)
        check(p.returncode != 0, "without the token's variable the config does not load: %s" % p.stderr)
        p = run_cli("queue", "--admin", "unix:" + sock, "--token", env["FG_TEST_ADMIN_TOKEN"], "-c", "/nonexistent")
        check(p.returncode == 0, "--admin unix:PATH and --token without a config:\n%s" % p.stderr)
    check(not os.path.exists(sock), "the socket file is removed at stop")
    p = run_cli("serve", "-c", write(os.path.join(tmp, "short.yaml"), config(tmp, "admin:\n  token: short\n")))
    check(p.returncode == 1 and "short.yaml:2:" in p.stderr and "at least 16" in p.stderr,
          "a short token is a config error:\n" + p.stderr)


def test_cli_finds_the_admin_token_in_state_dir(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        p = run_cli("queue", "-c", gw.config, "--admin", "http://127.0.0.1:%d" % gw.admin_port)
        check(p.returncode == 0 and "W" in p.stdout, "token from state_dir/admin.token:\n%s%s" % (p.stdout, p.stderr))
        p = run_cli("queue", "--admin", "http://127.0.0.1:%d" % gw.admin_port, "-c", "/nonexistent",
                    extra_env={"FNGATE_ADMIN_TOKEN": gw.admin_token})
        check(p.returncode == 0, "token from FNGATE_ADMIN_TOKEN:\n%s" % p.stderr)


def test_purge_of_700000_dead_letters_does_not_hold_accepts(tmp):
    """700,000 dead letters purged with {"all":true} in one request, while Event invocations
    keep being accepted: the purge goes in chunks behind the accepts, so none waits long (one
    transaction for all of it held every accept for 11 s)."""
    conf = config(tmp)
    with Gateway(tmp, conf):
        pass                                        # makes the state file
    db = sqlite3.connect(os.path.join(tmp, ".fngate", "fngate.db"))
    now = int(time.time() * 1000)
    db.executemany("INSERT INTO dlq(request_id, function, url, payload, accepted_ms, failed_ms, attempts, condition)"
                   " VALUES (?, 'W', NULL, ?, ?, ?, 1, 'RetriesExhausted')",
                   (("r%d" % i, b'{"n":%d}' % i, now, now) for i in range(700000)))
    db.commit()
    db.close()
    with Gateway(tmp, conf) as gw:
        check(gw.view("queue")["functions"][0]["deadLetters"] == 700000, "700,000 dead letters")
        result = []
        t = threading.Thread(target=lambda: result.append(gw.admin("POST", "/_fngate/dlq/purge",
                                                                   json.dumps({"all": True}), timeout=300)))
        lat = []
        t.start()
        deadline = time.monotonic() + 300
        while t.is_alive() and time.monotonic() < deadline:
            t0 = time.monotonic()
            check(gw.invoke("W", {"n": len(lat)}, EVENT)[0] == 202, "accepted during the purge")
            lat.append(time.monotonic() - t0)
        t.join(5)
        check(result and result[0][0] == 200 and json.loads(result[0][2]) == {"purged": 700000},
              "the purge: %r" % ((result[0],) if result else None,))
        check(len(lat) >= 50, "accepts measured while the purge ran: %d" % len(lat))
        lat.sort()
        p99 = lat[int(len(lat) * 0.99)]
        print("  %d accepts during the purge: p50 %.1f ms, p99 %.1f ms, max %.1f ms" %
              (len(lat), lat[len(lat) // 2] * 1e3, p99 * 1e3, lat[-1] * 1e3))
        check(p99 < 0.050, "accept p99 during the purge: %.1f ms (want < 50)" % (p99 * 1e3))
        wait_until(lambda: gw.view("queue")["functions"][0]["deadLetters"] == 0, 10, "the count to reach 0")


def test_health_and_ready_probes(tmp):
    """/_fngate/health (the loop thread answers) and /_fngate/ready (started, store open, not
    stopping) answer load balancers and orchestrators without the admin token; everything
    else on the admin listener still wants it, and the probes take only GET."""
    with Gateway(tmp, config(tmp)) as gw:
        for path in ("/_fngate/health", "/_fngate/ready", "/_fngate/health?probe=lb"):
            status, _, body = gw.admin("GET", path, token=False)
            check(status == 200 and json.loads(body) == {"status": "ok"}, (path, status, body))
        status, _, _ = gw.admin("GET", "/_fngate/queue", token=False)
        check(status == 401, "the queue view without the token: %s" % status)
        status, _, _ = gw.admin("GET", "/_fngate/healthz", token=False)
        check(status == 401, "not a probe: %s" % status)
        status, _, _ = gw.admin("POST", "/_fngate/ready", body="{}")
        check(status == 405, "POST to a probe: %s" % status)
        status, _, _ = gw.admin("GET", "/_fngate/ready", token=False, headers={"Origin": "http://evil.example"})
        check(status == 403, "a browser's cross-origin probe: %s" % status)
