# SPDX-License-Identifier: MIT
"""The console's function API (gateway/admin_functions.c, admin_cost.c): GET
/_fngate/functions lists every function with one trigger object per configured event (http,
schedule with its next fire, fs, s3, a Redis queue and topic) and its function URL, and the
live figures (an invocation running shows in concurrent and workers); GET
/_fngate/functions/NAME adds each key's value with the file position it is written at,
the environment with secret-looking values masked, and the role; a reload changes what it
shows; GET /_fngate/cost answers the bill `fngate cost --json` prints, from the same
recorded invocations."""
import json
import os
import shutil
import threading
import time

from harness import Gateway, Redis, check, free_port, run_cli, skip, wait_until, write

PY = """import time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"ok": True}
"""


def config(tmp, redis_url, s3_port, memory=256):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    os.makedirs(os.path.join(tmp, "inbox"), exist_ok=True)
    return ("pricing: {free_requests: 0, free_gb_seconds: 0}\n"
            "s3: {listen: 127.0.0.1:%d, root: ./data/s3}\n"
            "functions:\n"
            "  Api:\n"
            "    runtime: python3\n"
            "    handler: app.handler\n"
            "    code: %s\n"
            "    memory: %d\n"
            "    timeout: 10\n"
            "    concurrency: 3\n"
            "    environment:\n"
            "      GREETING: hello\n"
            "      DB_PASSWORD: hunter2\n"
            "      Api_Key: abc\n"
            "    role:\n"
            "      statements:\n"
            "        - {effect: Allow, action: [s3:GetObject, s3:PutObject], resource: 'arn:aws:s3:::uploads/*'}\n"
            "    url: {auth_type: AWS_IAM, invoke_mode: RESPONSE_STREAM}\n"
            "    events:\n"
            "      - http: GET /hello/{name}\n"
            "      - schedule: {expression: rate(1 hour), name: hourly}\n"
            "      - fs: {path: ./inbox, bucket: inbox}\n"
            "      - s3: {bucket: uploads, events: [created, removed]}\n"
            "      - queue: {redis: %s, stream: jobs}\n"
            "      - topic: {redis: %s, channel: news}\n"
            "  Plain:\n"
            "    runtime: python3\n"
            "    handler: app.handler\n"
            "    code: %s\n") % (s3_port, code, memory, redis_url, redis_url, code)


def pos(gw, text, needle):
    """FILE:LINE:COL of needle (a key as written) in the config text."""
    for i, line in enumerate(text.split("\n")):
        col = line.find(needle)
        if col >= 0:
            return "%s:%d:%d" % (gw.config, i + 1, col + 1)
    raise AssertionError("%r not in the config" % needle)


def get(gw, path, want=200):
    status, headers, body = gw.admin("GET", path)
    check(status == want, "GET %s: %d %r" % (path, status, body))
    check(headers.get("content-type") == "application/json", headers)
    return json.loads(body)


def need_redis():
    if not shutil.which("redis-server"):
        skip("redis-server is not installed")


def test_functions_list_and_detail(tmp):
    need_redis()
    with Redis(tmp) as redis:
        text = config(tmp, redis.url, free_port())
        with Gateway(tmp, text) as gw:
            fns = get(gw, "/_fngate/functions")["functions"]
            check([f["name"] for f in fns] == ["Api", "Plain"], fns)
            api = fns[0]
            for k, v in {"runtime": "python3", "handler": "app.handler", "memoryMb": 256, "timeoutS": 10,
                         "ephemeralStorageMb": 512, "reservedConcurrency": 3, "concurrent": 0}.items():
                check(api[k] == v, "%s: want %r: %s" % (k, v, api))
            check(fns[1]["reservedConcurrency"] is None and fns[1]["triggers"] == [], fns[1])
            check("config" not in api and "environment" not in api, api)
            t = api["triggers"]
            check([x["type"] for x in t] == ["http", "schedule", "fs", "s3", "queue", "topic", "url"], t)
            check(t[0] == {"type": "http", "method": "GET", "path": "/hello/{name}", "routeKey": "GET /hello/{name}"},
                  t[0])
            now = time.time() * 1000
            check(t[1]["name"] == "hourly" and t[1]["expression"] == "rate(1 hour)" and t[1]["timezone"] == "UTC" and
                  isinstance(t[1]["nextFire"], int) and now < t[1]["nextFire"] <= now + 3600 * 1000 + 5000, t[1])
            check(t[2] == {"type": "fs", "path": os.path.join(tmp, "inbox"), "bucket": "inbox"}, t[2])
            check(t[3] == {"type": "s3", "bucket": "uploads", "events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]},
                  t[3])
            check(t[4] == {"type": "queue", "stream": "jobs", "group": "fngate"}, t[4])
            check(t[5] == {"type": "topic", "channel": "news"}, t[5])
            check(t[6] == {"type": "url", "url": "http://Api.lambda-url.localhost:%d/" % gw.port,
                           "authType": "AWS_IAM", "invokeMode": "RESPONSE_STREAM"}, t[6])

            d = get(gw, "/_fngate/functions/Api")
            for k in api:
                if k not in ("concurrent", "workers"):
                    check(d[k] == api[k], "detail %s: %r vs %r" % (k, d[k], api[k]))
            cfg = {e["key"]: e for e in d["config"]}
            check(list(cfg) == ["memory", "timeout", "ephemeral_storage", "runtime", "handler", "code", "network",
                                "concurrency", "rate", "retries", "on_success", "on_failure", "snapstart", "url"],
                  list(cfg))
            for key, value, where in (("memory", 256, "memory:"), ("timeout", 10, "timeout:"),
                                      ("runtime", "python3", "runtime:"), ("handler", "app.handler", "handler:"),
                                      ("code", os.path.join(tmp, "code"), "code:"), ("concurrency", 3, "concurrency:"),
                                      ("url", t[6]["url"], "url:")):
                check(cfg[key]["value"] == value, "%s: %s" % (key, cfg[key]))
                check(cfg[key]["pos"] == pos(gw, text, where), "%s: want %s: %s" % (key, pos(gw, text, where), cfg[key]))
            for key, value in (("ephemeral_storage", 512), ("network", "host"), ("rate", None),
                               ("on_success", None), ("on_failure", "dlq"), ("snapstart", False)):
                check(cfg[key]["value"] == value and cfg[key]["pos"] is None, "%s (defaulted): %s" % (key, cfg[key]))
            check(d["environment"] == {"GREETING": "hello", "DB_PASSWORD": "****", "Api_Key": "****"}, d["environment"])
            check(d["role"] == {"name": "Api-role", "statements": [
                {"effect": "Allow", "action": ["s3:GetObject", "s3:PutObject"], "resource": ["arn:aws:s3:::uploads/*"]}]},
                d["role"])
            check(get(gw, "/_fngate/functions/Plain")["role"] == {"name": "Plain-role", "statements": []}, "basic role")

            # Unknown names, other methods.
            check(get(gw, "/_fngate/functions/Nope", 404) == {"message": "no function named Nope"}, "404")
            status, _, _ = gw.admin("POST", "/_fngate/functions", body="{}")
            check(status == 405, "POST: %d" % status)

            # Live: an invocation running shows in concurrent and workers.
            done = []
            th = threading.Thread(target=lambda: done.append(gw.invoke("Api", {"sleep": 4})))
            th.start()
            live = lambda: {k: get(gw, "/_fngate/functions/Api")[k] for k in ("concurrent", "workers")}
            wait_until(lambda: live() == {"concurrent": 1, "workers": 1}, 10,
                       "concurrent 1 and a warm worker while an invocation runs", live)
            th.join(30)
            check(done and done[0][0] == 200, done)
            wait_until(lambda: get(gw, "/_fngate/functions")["functions"][0]["concurrent"] == 0, 10,
                       "concurrent back to 0")

            # A reload changes what is shown.
            write(gw.config, config(tmp, redis.url, int(text.split("127.0.0.1:")[1].split(",")[0]), memory=512))
            status, _, body = gw.admin("POST", "/_fngate/reload", body="{}")
            check(status == 200, "reload: %d %r" % (status, body))
            d = get(gw, "/_fngate/functions/Api")
            check(d["memoryMb"] == 512 and {e["key"]: e["value"] for e in d["config"]}["memory"] == 512, d)


def test_cost_matches_cli(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    text = ("pricing: {free_requests: 0, free_gb_seconds: 0}\nfunctions:\n"
            "  Small:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    memory: 256\n"
            "  Big:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    memory: 1024\n") % (code, code)
    with Gateway(tmp, text) as gw:
        since = int(time.time() * 1000) - 3600 * 1000
        for fn, n in (("Small", 3), ("Big", 2)):
            for _ in range(n):
                status, _, body = gw.invoke(fn, {"sleep": 0.05})
                check(status == 200, body)
        path = "/_fngate/cost?since=%d" % since
        wait_until(lambda: get(gw, path)["total"]["requests"] == 5, 15, "5 requests billed")
        bill = get(gw, path)
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since / 1000))
        p = run_cli("cost", "--json", "--since", iso, *gw.admin_args(), cwd=tmp)
        check(p.returncode == 0, p.stderr)
        check(json.loads(p.stdout) == bill, "endpoint %s\ncli %s" % (bill, p.stdout))
        check([r["function"] for r in bill["functions"]] == ["Big", "Small"] and bill["total"]["total"] > 0, bill)
        check(bill["since_ms"] == since - since % 3600000, bill)

        # One function: its share, as `fngate cost Big --json`.
        one = get(gw, path + "&function=Big")
        p = run_cli("cost", "Big", "--json", "--since", iso, *gw.admin_args(), cwd=tmp)
        check(p.returncode == 0 and json.loads(p.stdout) == one, "endpoint %s\ncli %s" % (one, p.stdout))
        check([r["function"] for r in one["functions"]] == ["Big"] and one["total"]["requests"] == 2, one)

        # The default window is the CLI's (30 days); until ends it; errors are the admin API's.
        check(get(gw, "/_fngate/cost")["total"]["requests"] == 5, "default since")
        check(get(gw, "/_fngate/cost?since=%d&until=%d" % (since - 7200000, since - 3600000))["total"]["requests"] == 0,
              "until before the invocations")
        check(get(gw, "/_fngate/cost?function=Nope", 404) == {"message": "no function named Nope"}, "unknown")
        check(get(gw, "/_fngate/cost?since=x", 400)["message"].startswith("since"), "bad since")
        check(get(gw, "/_fngate/cost?since=10&until=5", 400) == {"message": "until is before since"}, "until < since")
