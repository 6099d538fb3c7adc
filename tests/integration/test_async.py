# SPDX-License-Identifier: MIT
"""Async invocations: durable accept (202 only after commit), retries that burn attempts only
on function errors, event age, destinations (function and CloudEvents HTTP), dead letters and
their redrive, rate limits, restart and kill -9. Every test drives the real gateway."""
import json
import os
import sqlite3
import subprocess
import threading

from harness import Gateway, HookServer, check, json_lines, need_root, run_cli, wait_until, write

PY = """
import json, os, time

OUT = os.environ["OUT"]

def handler(event, context):
    with open(OUT, "a") as f:
        f.write(json.dumps({"id": event.get("id"), "rid": context.aws_request_id, "t": time.time()}) + "\\n")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if os.path.exists(os.environ.get("HOLD_FLAG", "/nonexistent")):
        time.sleep(600)                    # held until the gateway is stopped or killed
    if event.get("fail") or os.path.exists(os.environ.get("FAIL_FLAG", "/nonexistent")):
        raise RuntimeError("failing on purpose: %s" % event.get("id"))
    return {"ok": event.get("id")}

def record(event, context):
    with open(OUT + ".dest", "a") as f:
        f.write(json.dumps(event) + "\\n")
"""

EVENT = {"X-Amz-Invocation-Type": "Event"}


def setup(tmp, functions, top=""):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    return "%sfunctions:\n%s" % (top, functions.replace("@CODE@", code).replace("@OUT@", os.path.join(tmp, "out.txt")))


def fn(name, handler="app.handler", extra=""):
    return ("  %s:\n    runtime: python3\n    handler: %s\n    code: @CODE@\n"
            "    environment: {OUT: @OUT@, FAIL_FLAG: @OUT@.fail, HOLD_FLAG: @OUT@.hold}\n%s" % (name, handler, extra))


lines = json_lines


def queue_view(gw):
    """/_fngate/queue: (the functions by name, the whole answer)."""
    v = gw.view("queue")
    return {f["name"]: f for f in v["functions"]}, v


def dlq(gw, function=None):
    st, _, body = gw.admin("GET", "/_fngate/dlq" + ("?function=" + function if function else ""))
    check(st == 200, "dlq list: HTTP %d %s" % (st, body))
    return json.loads(body)["items"]


def test_event_accepted_then_run(tmp):
    with Gateway(tmp, setup(tmp, fn("W"))) as gw:
        st, h, body = gw.invoke("W", {"id": "a1"}, EVENT)
        check(st == 202 and body == b"", "Event invoke: want 202 and no body, got %d %r" % (st, body))
        rid = h.get("x-amzn-requestid")
        out = wait_until(lambda: lines(os.path.join(tmp, "out.txt")), 15, "the function to run")
        check(out[0]["id"] == "a1" and out[0]["rid"] == rid,
              "the function got the event with the request id of the 202 (%s): %s" % (rid, out))
        wait_until(lambda: gw.queue_idle(), 10, "the queue to drain")


def test_aws_cli_and_fngate_cli_event(tmp):
    with Gateway(tmp, setup(tmp, fn("W"))) as gw:
        out = os.path.join(tmp, "aws-out.json")
        env_ = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y", HOME=tmp)
        p = subprocess.run(["/usr/bin/aws", "lambda", "invoke", "--endpoint-url", "http://127.0.0.1:%d" % gw.port,
                            "--no-sign-request", "--region", "us-east-1", "--function-name", "W",
                            "--invocation-type", "Event", "--cli-binary-format", "raw-in-base64-out",
                            "--payload", '{"id":"aws"}', out], capture_output=True, text=True, env=env_, timeout=60)
        check(p.returncode == 0 and json.loads(p.stdout)["StatusCode"] == 202, "aws --invocation-type Event: %s %s"
              % (p.stdout, p.stderr))
        p = run_cli("invoke", "W", "--event", "--payload", '{"id":"cli"}', "--endpoint", "http://127.0.0.1:%d" % gw.port)
        check(p.returncode == 0 and "accepted" in p.stderr, "fngate invoke --event: %s" % p.stderr)
        wait_until(lambda: {r["id"] for r in lines(os.path.join(tmp, "out.txt"))} == {"aws", "cli"}, 15,
                   "both events to run")


def test_bad_async_input(tmp):
    with Gateway(tmp, setup(tmp, fn("W"))) as gw:
        st, h, body = gw.invoke("Nope", {"id": 1}, EVENT)
        check(st == 404 and h.get("x-amzn-errortype") == "ResourceNotFoundException",
              "unknown function must be 404, never 202: %d %s" % (st, body))
        st, h, body = gw.invoke("W", b"{not json", EVENT)
        check(st == 400 and h.get("x-amzn-errortype") == "InvalidRequestContentException",
              "non-JSON body: want 400 InvalidRequestContentException, got %d %s" % (st, body))
        big = json.dumps({"pad": "x" * (1024 * 1024)})
        st, h, body = gw.invoke("W", big, EVENT)
        check(st == 413 and h.get("x-amzn-errortype") == "RequestTooLargeException" and b"1048576" in body,
              "async payload over 1 MB: want 413, got %d %s" % (st, body))
        st, _, _ = gw.invoke("W", json.dumps({"pad": "x" * (1024 * 1000)}), EVENT)
        check(st == 202, "an async payload just under 1 MB is accepted: %d" % st)
        st, _, _ = gw.invoke("W", big)
        check(st == 200, "the 1 MB limit is for async only; sync takes 6 MB: %d" % st)
        st, _, body = gw.admin("GET", "/_fngate/nothing")
        check(st == 404, "unknown admin path: %d" % st)
        st, _, body = gw.admin("POST", "/_fngate/dlq/redrive", b"[]")
        check(st == 400, "redrive without a selection: %d %s" % (st, body))
        # Admin bodies are small selections: a huge ids list (700,000 held the store's writer
        # for seconds) or body is refused before it reaches the store.
        st, _, body = gw.admin("POST", "/_fngate/dlq/purge", json.dumps({"ids": list(range(1, 1002))}))
        check(st == 400 and b"at most 1000" in body, "1,001 ids: %d %s" % (st, body))
        st, _, body = gw.admin("POST", "/_fngate/dlq/purge", json.dumps({"ids": list(range(1, 1001))}))
        check(st == 200 and json.loads(body) == {"purged": 0}, "1,000 ids: %d %s" % (st, body))
        st, _, body = gw.admin("POST", "/_fngate/dlq/purge", json.dumps({"function": "W", "pad": "x" * 70000}))
        check(st == 413, "a 70 KB admin body: %d %s" % (st, body))


def test_failing_function_retries_then_dead_letter(tmp):
    conf = setup(tmp, fn("W", extra="    retries: {maximum_retry_attempts: 2, backoff: {initial: 1s, jitter: none}}\n"
                                     "  Z:\n    runtime: python3\n    handler: app.handler\n    code: @CODE@\n"
                                     "    environment: {OUT: @OUT@.z}\n    retries: {maximum_retry_attempts: 0}\n"))
    with Gateway(tmp, conf) as gw:
        st, h, _ = gw.invoke("W", {"id": "f1", "fail": True}, EVENT)
        check(st == 202, "accepted: %d" % st)
        rid = h["x-amzn-requestid"]
        # Between attempts the event waits out its backoff (1 s, then 2 s) in the retry heap:
        # a retry that ran at once would never be seen there.
        for n in (1, 2):
            wait_until(lambda: len(lines(os.path.join(tmp, "out.txt"))) == n and queue_view(gw)[0]["W"]["retrying"] == 1,
                       15, "the event waiting for retry %d after %d failed attempt(s)" % (n, n))
        items = wait_until(lambda: dlq(gw, "W"), 20, "a dead letter for W")
        runs = lines(os.path.join(tmp, "out.txt"))
        check(len(runs) == 3, "1 + maximum_retry_attempts (2) = 3 runs, got %d: %s" % (len(runs), runs))
        check({r["rid"] for r in runs} == {rid}, "every retry keeps the request id %s: %s" % (rid, runs))
        d = items[0]
        check(d["condition"] == "RetriesExhausted" and d["attempts"] == 3 and d["requestId"] == rid and
              d["errorType"] == "RuntimeError" and "failing on purpose: f1" in d["errorMessage"],
              "dead letter record: %s" % d)
        st, _, body = gw.admin("GET", "/_fngate/dlq/%d" % d["id"])
        shown = json.loads(body)
        check(st == 200 and shown["payload"] == {"id": "f1", "fail": True}, "dlq show: %d %s" % (st, body))

        gw.invoke("Z", {"id": "z1", "fail": True}, EVENT)
        wait_until(lambda: dlq(gw, "Z"), 20, "a dead letter for Z")
        check(len(lines(os.path.join(tmp, "out.txt.z"))) == 1, "maximum_retry_attempts 0 runs exactly once")
        st, _, body = gw.admin("GET", "/_fngate/queue")
        q = {f["name"]: f for f in json.loads(body)["functions"]}
        check(q["W"]["deadLetters"] == 1 and q["Z"]["deadLetters"] == 1 and q["W"]["queued"] == 0,
              "queue figures: %s" % body)


def test_on_success_destination_function(tmp):
    conf = setup(tmp, fn("W", extra="    destinations: {on_success: D}\n") + fn("D", "app.record"))
    with Gateway(tmp, conf) as gw:
        st, h, _ = gw.invoke("W", {"id": "s1"}, EVENT)
        check(st == 202, "accepted: %d" % st)
        recs = wait_until(lambda: lines(os.path.join(tmp, "out.txt.dest")), 15, "the destination to run")
        r = recs[0]
        ctx = r["requestContext"]
        check(r["version"] == "1.0" and ctx["condition"] == "Success" and ctx["requestId"] == h["x-amzn-requestid"]
              and ctx["functionArn"].endswith(":function:W:$LATEST") and ctx["approximateInvokeCount"] == 1,
              "destination record context: %s" % r)
        check(r["requestPayload"] == {"id": "s1"} and r["responsePayload"] == {"ok": "s1"} and
              r["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"},
              "destination record payloads: %s" % r)


def test_retry_past_event_age_fails_as_event_age_exceeded(tmp):
    """A retry that would start after maximum_event_age is not waited for: the event fails at
    once as EventAgeExceeded, and the failure destination gets that condition."""
    conf = setup(tmp, fn("W", extra="    retries: {maximum_retry_attempts: 2, maximum_event_age: 60,"
                                     " backoff: {initial: 2m, jitter: none}}\n"
                                     "    destinations: {on_failure: D}\n") + fn("D", "app.record"))
    with Gateway(tmp, conf) as gw:
        gw.invoke("W", {"id": "old", "fail": True}, EVENT)
        # The retry would be due in 2 minutes: a record at all (before the 60 s age or the
        # retry) shows the event was failed at once instead of waiting.
        recs = wait_until(lambda: lines(os.path.join(tmp, "out.txt.dest")), 20, "the failure destination")
        check(queue_view(gw)[0]["W"]["retrying"] == 0, "nothing waits for the retry")
        ctx = recs[0]["requestContext"]
        check(ctx["condition"] == "EventAgeExceeded" and ctx["approximateInvokeCount"] == 1 and
              recs[0]["responsePayload"]["errorType"] == "RuntimeError", "record: %s" % recs[0])
        check(len(lines(os.path.join(tmp, "out.txt"))) == 1, "no retry ran")


def test_http_destination_gets_cloudevent(tmp):
    with HookServer() as hook:
        url = hook.url + "/hook"
        conf = setup(tmp, fn("W", extra="    retries: {maximum_retry_attempts: 1, backoff: {initial: 50ms}}\n"
                                         "    destinations: {on_failure: \"%s\"}\n" % url))
        with Gateway(tmp, conf) as gw:
            st, h, _ = gw.invoke("W", {"id": "h1", "fail": True}, EVENT)
            check(st == 202, "accepted: %d" % st)
            wait_until(lambda: hook.posts, 20, "the CloudEvent POST")
            _, ctype, body = hook.posts[0]
            ce = json.loads(body)
            check(ctype.startswith("application/cloudevents+json"), "structured mode content type: %s" % ctype)
            check(ce["specversion"] == "1.0" and ce["type"] == "fngate.lambda.destination.RetriesExhausted" and
                  ce["source"].endswith(":function:W") and ce["subject"] == h["x-amzn-requestid"] and ce["id"] and
                  ce["time"].endswith("Z") and ce["datacontenttype"] == "application/json",
                  "CloudEvents attributes: %s" % ce)
            rec = ce["data"]
            check(rec["requestContext"]["condition"] == "RetriesExhausted" and
                  rec["requestContext"]["approximateInvokeCount"] == 2 and
                  rec["responseContext"]["functionError"] == "Unhandled" and
                  rec["responsePayload"]["errorType"] == "RuntimeError" and rec["requestPayload"]["id"] == "h1",
                  "destination record inside the CloudEvent: %s" % rec)
            check(not dlq(gw), "a delivered failure destination leaves no dead letter")


def test_http_destination_down_is_retried_then_dead_letter(tmp):
    with HookServer() as hook:
        hook.status = 503
        url = hook.url + "/hook"
        conf = setup(tmp, fn("W", extra="    retries: {maximum_retry_attempts: 2, backoff: {initial: 50ms}}\n"
                                         "    destinations: {on_success: \"%s\"}\n" % url))
        with Gateway(tmp, conf) as gw:
            gw.invoke("W", {"id": "d1"}, EVENT)
            items = wait_until(lambda: dlq(gw), 20, "the undeliverable destination to become a dead letter")
            check(len(hook.posts) == 3, "the destination POST is tried 1 + 2 times: %d" % len(hook.posts))
            d = items[0]
            check(d["destination"] == url and d["errorType"] == "DestinationDeliveryFailed" and "HTTP 503" in
                  d["errorMessage"] and d["condition"] == "RetriesExhausted", "dead letter: %s" % d)
            # Redriving it re-POSTs the same CloudEvent.
            hook.status = 200
            st, _, body = gw.admin("POST", "/_fngate/dlq/redrive", json.dumps({"ids": [d["id"]]}))
            check(st == 200 and json.loads(body) == {"redriven": 1}, "redrive: %d %s" % (st, body))
            wait_until(lambda: len(hook.posts) == 4, 10, "the redriven POST")
            check(hook.posts[3][2] == hook.posts[0][2], "the same CloudEvent is delivered")
            wait_until(lambda: not dlq(gw), 10, "the dead letter to go")


def test_redrive_after_fix_with_cli(tmp):
    flag = os.path.join(tmp, "out.txt.fail")
    write(flag, "broken\n")
    conf = setup(tmp, fn("W", extra="    retries: {maximum_retry_attempts: 0}\n"))
    with Gateway(tmp, conf) as gw:
        ep = gw.admin_args()
        for i in range(3):
            check(gw.invoke("W", {"id": "r%d" % i}, EVENT)[0] == 202, "accepted")
        wait_until(lambda: len(dlq(gw)) == 3, 20, "three dead letters")
        p = run_cli("dlq", "list", "W", *ep)
        check(p.returncode == 0 and p.stdout.count("RetriesExhausted") == 3 and "3 dead letter(s)" in p.stdout,
              "fngate dlq list:\n%s%s" % (p.stdout, p.stderr))
        p = run_cli("queue", *ep)
        check(p.returncode == 0 and any(l.split()[0] == "W" and l.split()[-1] == "3" for l in p.stdout.splitlines()[1:]),
              "fngate queue shows 3 dead letters for W:\n%s" % p.stdout)
        ids = [d["id"] for d in dlq(gw)]
        p = run_cli("dlq", "show", str(ids[0]), *ep)
        check(p.returncode == 0 and json.loads(p.stdout)["payload"]["id"].startswith("r"), "dlq show:\n" + p.stdout)
        os.unlink(flag)                                   # the bug is fixed
        p = run_cli("dlq", "redrive", "W", *ep)
        check(p.returncode == 0 and "redrove 3" in p.stdout, "fngate dlq redrive:\n%s%s" % (p.stdout, p.stderr))
        wait_until(lambda: len(lines(os.path.join(tmp, "out.txt"))) == 6, 15, "the redriven events to run")
        check(not dlq(gw), "redriven events that succeed leave no dead letter")
        gw.invoke("W", {"id": "r9", "fail": True}, EVENT)
        wait_until(lambda: dlq(gw), 15, "a new dead letter")
        p = run_cli("dlq", "purge", "--all", *ep)
        check(p.returncode == 0 and "purged 1" in p.stdout and not dlq(gw), "purge:\n" + p.stdout)
        p = run_cli("dlq", "show", "999", *ep)
        check(p.returncode == 1 and "404" in p.stderr, "show of a missing id fails: %s" % p.stderr)


def test_rate_limit_sync_429_and_async_waits(tmp):
    conf = setup(tmp, fn("W", extra="    rate: {per_second: 0.2, burst: 2}\n") +
                 fn("A", extra="    rate: {per_second: 1, burst: 1}\n") +
                 fn("R", extra="    events:\n      - http: {method: GET, path: /r, rate: {per_second: 0.2, burst: 1}}\n"))
    with Gateway(tmp, conf) as gw:
        codes = [gw.invoke("W", {"id": "s"})[0] for _ in range(2)]
        st, h, body = gw.invoke("W", {"id": "s"})
        check(codes == [200, 200] and st == 429, "burst of 2 then throttled: %s then %d" % (codes, st))
        # A token comes every 5 s: Retry-After is the wait for it, rounded up (5, less the
        # time the calls before took: a cold start of up to 2 s is allowed for).
        check(h.get("x-amzn-errortype") == "TooManyRequestsException" and 3 <= int(h.get("retry-after", 0)) <= 5 and
              json.loads(body)["Reason"] == "FunctionInvocationRateLimitExceeded", "429 shape: %s %s" % (h, body))
        st1 = gw.request("GET", "/r")[0]
        st2, h2, _ = gw.request("GET", "/r")
        check(st1 == 200 and st2 == 429 and 3 <= int(h2.get("retry-after", 0)) <= 5,
              "route rate limit (0.2/s): %d then %d %s" % (st1, st2, h2))

        # A: 1 event a second, burst 1. Four accepted at once: one starts, the others wait
        # queued for their tokens (the next in 1 s, then 2 s), none is refused or dead. Were
        # the rate ignored, all four would have started by the time the first one ran.
        out = os.path.join(tmp, "out.txt")
        os.unlink(out)
        for i in range(4):
            check(gw.invoke("A", {"id": i}, EVENT)[0] == 202, "async over the rate is accepted, not refused")
        wait_until(lambda: lines(out), 15, "the first event to run")
        q = queue_view(gw)[0]["A"]
        check(q["queued"] >= 2, "events over the rate wait in the queue for their tokens: %s" % q)
        runs = wait_until(lambda: len(lines(out)) == 4 and lines(out), 20, "all 4 events to run")
        check([r["id"] for r in runs] == [0, 1, 2, 3], "they run one per token, in order: %s" % runs)
        check(not dlq(gw), "waiting for the rate limit never fails an event")


def test_capacity_and_init_crashes_do_not_burn_attempts(tmp):
    boot = os.path.join(tmp, "flaky")
    counter = os.path.join(tmp, "starts")
    # A runtime whose first two processes die before asking for an event: system errors.
    write(os.path.join(boot, "bootstrap"), """
        #!/bin/sh
        n=$(cat %s 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s
        [ $n -le 2 ] && exit 1
        exec /usr/bin/python3 -c '
        import json, urllib.request, os
        api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
        while True:
            r = urllib.request.urlopen(api + "next")
            rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
            open("%s", "a").write(r.read().decode() + "\\n")
            urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=b"{}", method="POST"))
        '
        """ % (counter, counter, os.path.join(tmp, "flaky.out")), 0o755)
    conf = setup(tmp, fn("Slow", extra="    concurrency: 1\n    retries: {maximum_retry_attempts: 0}\n") +
                 "  Flaky:\n    runtime: provided\n    code: %s\n"
                 "    retries: {maximum_retry_attempts: 0, backoff: {initial: 50ms}}\n" % boot)
    with Gateway(tmp, conf) as gw:
        for i in range(4):
            check(gw.invoke("Slow", {"id": i, "sleep": 0.2}, EVENT)[0] == 202, "accepted")
        wait_until(lambda: len(lines(os.path.join(tmp, "out.txt"))) == 4, 20,
                   "4 events through concurrency 1 (they wait for the slot, never throttled)")
        check(gw.invoke("Flaky", {"id": "k"}, EVENT)[0] == 202, "accepted")
        wait_until(lambda: os.path.exists(os.path.join(tmp, "flaky.out")), 20,
                   "the event to run after two workers died during init")
        check(open(counter).read().strip() == "3", "two failed starts, then one that works")
        check(not dlq(gw), "neither waiting for capacity nor init crashes burned the only attempt: %s" % dlq(gw))


def test_restart_keeps_retry_schedule(tmp):
    """A retry waiting for its time when the gateway stops waits for the same time after the
    restart (it is not run at once), and keeps its request id."""
    flag, out = os.path.join(tmp, "out.txt.fail"), os.path.join(tmp, "out.txt")
    write(flag, "x\n")
    conf = setup(tmp, fn("W", extra="    retries: {maximum_retry_attempts: 3, backoff: {initial: 5s, jitter: none}}\n"))
    gw = Gateway(tmp, conf)
    gw.start()
    try:
        gw.invoke("W", {"id": "k1"}, EVENT)
        wait_until(lambda: lines(out) and queue_view(gw)[0]["W"]["retrying"] == 1, 15,
                   "the first attempt to fail and its retry to wait")
        first = lines(out)[0]
    finally:
        gw.stop()
    os.unlink(flag)
    with Gateway(tmp, conf) as gw2:
        check("resuming 1 queued event" in gw2.stderr(), "the restart resumes the queue:\n" + gw2.stderr())
        q = queue_view(gw2)[0]["W"]
        check(q["retrying"] == 1 and q["queued"] == 0 and q["inFlight"] == 0 and len(lines(out)) == 1,
              "after the restart the retry still waits for its time (5 s after the failure): %s" % q)
        runs = wait_until(lambda: len(lines(out)) == 2 and lines(out), 15, "the retry after the restart")
        check(runs[1]["rid"] == first["rid"], "same request id across the restart")


def test_kill9_loses_no_accepted_event(tmp):
    """5,000 async invokes from 8 keep-alive clients; kill -9 in the middle; restart. Every id
    that got a 202 is delivered at least once, and nothing is delivered that was not sent. A
    request in flight at the kill may have been committed without its 202 arriving, so the
    ids sent but unanswered (at most one per client) may or may not run."""
    conf = setup(tmp, fn("W", extra="    concurrency: 4\n"))
    total, clients = 5000, 8
    accepted, sent = set(), set()
    lock = threading.Lock()
    gw = Gateway(tmp, conf)
    gw.start()
    port = gw.port

    def client(k):
        import http.client as hc
        c = hc.HTTPConnection("127.0.0.1", port, timeout=10)
        for i in range(k, total, clients):
            ident = "e%05d" % i
            with lock:
                sent.add(ident)
            try:
                c.request("POST", "/2015-03-31/functions/W/invocations", json.dumps({"id": ident}), EVENT)
                r = c.getresponse()
                r.read()
            except (OSError, hc.HTTPException):
                return
            if r.status == 202:
                with lock:
                    accepted.add(ident)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    wait_until(lambda: len(accepted) >= 2000, 60, "2,000 accepted events")
    gw.kill9()
    for t in threads:
        t.join(30)
    check(2000 <= len(accepted) < total, "the kill landed mid-stream: %d accepted" % len(accepted))
    print("kill -9 after %d of %d accepted" % (len(accepted), total))
    unanswered = sent - accepted
    check(len(unanswered) <= clients, "at most one request per client in flight at the kill: %d" % len(unanswered))
    with Gateway(tmp, conf) as gw2:
        def delivered():
            return {r["id"] for r in lines(os.path.join(tmp, "out.txt"))}
        wait_until(lambda: accepted <= delivered(), 120,
                   "every accepted id to be delivered (%d accepted)" % len(accepted))
        extra = delivered() - sent
        check(not extra, "ids that were never sent were delivered: %s" % sorted(extra)[:5])
        wait_until(lambda: gw2.queue_idle(), 60, "the queue to drain")
        check(not dlq(gw2), "no dead letters")


def test_backlog_over_queue_memory(tmp):
    """gateway.queue_memory: 1 MB, 4 MB of queued payloads: the ones over the cap wait in the
    state file and are read back when their turn comes; every event runs with its payload,
    in order, also after a restart that finds the whole backlog on disk."""
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), """
        import json, os
        def handler(event, context):
            with open(os.environ["OUT"], "a") as f:
                f.write(json.dumps({"id": event["id"], "pad": len(event["pad"]), "ok": event["pad"] == "p" * 8000}) + "\\n")
        """)
    conf = ("gateway: {queue_memory: 1}\nfunctions:\n  W:\n    runtime: python3\n    handler: app.handler\n"
            "    code: %s\n    concurrency: 1\n    environment: {OUT: %s}\n    rate: {per_second: RATE, burst: 1}\n"
            % (code, os.path.join(tmp, "out.txt")))
    out = os.path.join(tmp, "out.txt")
    with Gateway(tmp, conf.replace("RATE", "0.01")) as gw:     # held back: everything queues
        for i in range(500):
            check(gw.invoke("W", {"id": i, "pad": "p" * 8000}, EVENT)[0] == 202, "accepted")
        fns, view = queue_view(gw)
        q, mem = fns["W"], view["memory"]
        check(q["queued"] == 499, "all but the burst's one queued: %s" % q)
        # The cap took effect: about 1 MB of the 4 MB stays in memory, the rest is cold.
        per = len(json.dumps({"id": 0, "pad": "p" * 8000}))
        check(mem["limitBytes"] == 1 << 20 and mem["payloadBytes"] <= mem["limitBytes"] and
              mem["payloadBytes"] > mem["limitBytes"] - 2 * per - 16, "payload bytes held against the cap: %s" % mem)
        warm = mem["payloadBytes"] // per
        check(q["cold"] >= 499 - warm - 1 and q["cold"] <= 499 - warm + 1 and q["cold"] >= 350,
              "events over queue_memory wait only in the state file: %d cold of 499 (%d bytes warm)"
              % (q["cold"], mem["payloadBytes"]))
        wait_until(lambda: len(lines(out)) == 1, 10, "the one event the burst let through")
    with Gateway(tmp, conf.replace("RATE", "1000")) as gw:
        check("resuming 499 queued event(s)" in gw.stderr(), gw.stderr())
        runs = wait_until(lambda: len(lines(out)) == 500 and lines(out), 60, "500 events to run")
        check([r["id"] for r in runs] == list(range(500)), "FIFO order kept across cold reads")
        check(all(r["ok"] for r in runs), "every payload came back whole")


def test_state_store_refusals(tmp):
    conf = setup(tmp, fn("W"))
    cfg = write(os.path.join(tmp, "fngate.yaml"), conf)
    state = os.path.join(tmp, ".fngate")
    os.makedirs(state)
    with open(os.path.join(state, "fngate.db"), "wb") as f:
        f.write(b"garbage, not SQLite " * 500)
    p = run_cli("serve", "-c", cfg, "--listen", "127.0.0.1:0")
    check(p.returncode != 0 and os.path.join(state, "fngate.db") in p.stderr and "not a usable fngate database" in p.stderr,
          "a corrupt state file refuses start, naming the file: rc %d\n%s" % (p.returncode, p.stderr))
    blocker = write(os.path.join(tmp, "plainfile"), "x\n")
    cfg2 = write(os.path.join(tmp, "b.yaml"), "state_dir: %s/state\n%s" % (blocker, conf))
    p = run_cli("serve", "-c", cfg2, "--listen", "127.0.0.1:0")
    check(p.returncode != 0 and "state_dir" in p.stderr and "cannot create" in p.stderr,
          "an unusable state_dir refuses start: rc %d\n%s" % (p.returncode, p.stderr))
    os.unlink(os.path.join(state, "fngate.db"))
    with Gateway(tmp, conf) as gw:
        cfg3 = write(os.path.join(tmp, "c.yaml"), conf)
        p = run_cli("serve", "-c", cfg3, "--listen", "127.0.0.1:0")
        check(p.returncode != 0 and "in use by another fngate" in p.stderr,
              "a second gateway on the same state_dir is refused:\n" + p.stderr)
        check(gw.invoke("W", {"id": 1}, EVENT)[0] == 202, "the first gateway is unaffected")


def test_state_file_damaged_page_refused(tmp):
    """PRAGMA quick_check at start: garbage over a page of the dead letters (written while the
    gateway is stopped) refuses start, naming the file, "damaged" and the table, where it used
    to start and answer 500 to the admin API; moved away, the next start is empty."""
    conf = setup(tmp, fn("W", extra="    retries: {maximum_retry_attempts: 0}\n"))
    db = os.path.join(tmp, ".fngate", "fngate.db")
    with Gateway(tmp, conf) as gw:
        for i in range(60):
            check(gw.invoke("W", {"id": i, "fail": True, "pad": "d" * 1000}, EVENT)[0] == 202, "accepted")
        wait_until(lambda: queue_view(gw)[0]["W"]["deadLetters"] == 60, 60, "60 dead letters",
                   lambda: queue_view(gw)[0]["W"])
    # The gateway stopped cleanly: no write-ahead log is left, so reading the file as immutable
    # sees all of it and leaves nothing behind.
    ro = sqlite3.connect("file:%s?immutable=1" % db, uri=True)
    page_size = ro.execute("PRAGMA page_size").fetchone()[0]
    leaves = [n for (n,) in ro.execute("SELECT pageno FROM dbstat WHERE name='dlq' AND pagetype='leaf' ORDER BY pageno")]
    ro.close()
    check(len(leaves) >= 10, "the dead letters span pages: %s" % leaves)
    with open(db, "r+b") as f:
        f.seek((leaves[len(leaves) // 2] - 1) * page_size)
        f.write((b"\xde\xad\xbe\xef garbage " * page_size)[:page_size])
    cfg = write(os.path.join(tmp, "fngate.yaml"), conf)
    p = run_cli("serve", "-c", cfg, "--listen", "127.0.0.1:0")
    check(p.returncode != 0 and "state file %s: damaged: " % db in p.stderr and "(move it away" in p.stderr,
          "a damaged state file refuses start, naming the file: rc %d\n%s" % (p.returncode, p.stderr))
    check(", in table dlq, the dead letters (move it away" in p.stderr, "the message says what the damage touches:\n" + p.stderr)
    check("listening on" not in p.stderr, p.stderr)
    os.rename(db, db + ".damaged")
    with Gateway(tmp, conf) as gw:
        check(queue_view(gw)[0]["W"]["deadLetters"] == 0, "moved away: the next start is empty")


def test_state_file_empty(tmp):
    """A 0-byte fngate.db: in a state_dir fngate has not run in (created ahead, as a
    provisioning tool sets owner and mode) it is a new file, with a warning naming it; in one
    fngate has run in (fngate.lock is there) it was truncated, and start is refused."""
    conf = setup(tmp, fn("W"))
    state = os.path.join(tmp, ".fngate")
    db = os.path.join(state, "fngate.db")
    os.makedirs(state)
    open(db, "wb").close()
    with Gateway(tmp, conf) as gw:
        check("state file %s is empty (0 bytes) and fngate has not run in %s before" % (db, state) in gw.stderr(),
              "a warning names the empty file:\n" + gw.stderr())
        check(gw.invoke("W", {"id": 1}, EVENT)[0] == 202, "the new file takes events")
        wait_until(lambda: gw.queue_idle(), 15, "the queue to drain")
    check(os.path.getsize(db) > 0 and os.path.exists(os.path.join(state, "fngate.lock")), "fngate ran here")
    with Gateway(tmp, conf) as gw:
        check("is empty" not in gw.stderr(), "no warning for a file that is not empty:\n" + gw.stderr())
    os.truncate(db, 0)
    cfg = write(os.path.join(tmp, "fngate.yaml"), conf)
    p = run_cli("serve", "-c", cfg, "--listen", "127.0.0.1:0")
    check(p.returncode != 0 and "state file %s: damaged: empty (0 bytes)" % db in p.stderr and
          "(move it away to start empty, or restore it)" in p.stderr,
          "a truncated state file refuses start, naming it: rc %d\n%s" % (p.returncode, p.stderr))
    check(os.path.getsize(db) == 0, "the refused file is left as it was")


def test_full_disk_answers_503_not_202(tmp):
    """A state_dir on a tiny tmpfs: once it is full, Event invokes get 503, never a false 202."""
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt)
    need_root("mount a tmpfs")
    check(subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).returncode == 0, "mount a 1 MB tmpfs")
    try:
        conf = setup(tmp, fn("W", extra="    concurrency: 1\n"), top="state_dir: %s\n" % mnt)
        write(os.path.join(tmp, "out.txt.fail"), "x\n")          # events fail and stay queued
        with Gateway(tmp, conf) as gw:
            codes = []
            for i in range(400):
                st, h, body = gw.invoke("W", {"id": i, "pad": "p" * 8000}, EVENT)
                codes.append(st)
                if st != 202:
                    check(st == 503 and h.get("x-amzn-errortype") == "ServiceException", "refusal: %d %s" % (st, body))
                    break
            check(codes[-1] == 503, "a full disk must turn into 503s: %d answers, last %d" % (len(codes), codes[-1]))
            check(codes.count(202) > 10, "events were accepted until the disk filled: %d" % codes.count(202))
    finally:
        subprocess.run(["umount", "-l", mnt])


def interrupted_attempt_runs_again_uncounted(tmp, stop):
    """An attempt in flight when the gateway stops (stop: kill -9 or SIGTERM) runs again after
    the restart and does not count: with maximum_retry_attempts 0 the event still gets its
    one attempt, succeeds, and the success record says approximateInvokeCount 1."""
    out, dest, hold = (os.path.join(tmp, "out.txt" + x) for x in ("", ".dest", ".hold"))
    write(hold, "x\n")
    conf = setup(tmp, fn("S", extra="    timeout: 300\n    retries: {maximum_retry_attempts: 0}\n"
                                     "    destinations: {on_success: D}\n") + fn("D", "app.record"))
    gw = Gateway(tmp, conf)
    gw.start()
    try:
        st, h, _ = gw.invoke("S", {"id": "held"}, EVENT)
        check(st == 202, "accepted: %d" % st)
        rid = h["x-amzn-requestid"]
        wait_until(lambda: lines(out) and queue_view(gw)[0]["S"]["inFlight"] == 1, 20, "the attempt to be running")
    finally:
        stop(gw)
    os.unlink(hold)
    with Gateway(tmp, conf) as gw2:
        check("resuming 1 queued event(s)" in gw2.stderr(), "the interrupted event is still queued:\n" + gw2.stderr())
        recs = wait_until(lambda: lines(dest), 20, "the success record after the restart")
        ctx = recs[0]["requestContext"]
        check(ctx["condition"] == "Success" and ctx["requestId"] == rid and ctx["approximateInvokeCount"] == 1,
              "the interrupted attempt did not count: %s" % ctx)
        runs = lines(out)
        check(len(runs) == 2 and {r["rid"] for r in runs} == {rid}, "it ran again, same request id: %s" % runs)
        wait_until(lambda: gw2.queue_idle(), 10, "the queue to drain")
        check(not dlq(gw2), "no dead letter: %s" % dlq(gw2))


def test_attempt_in_flight_at_kill9_runs_again_uncounted(tmp):
    interrupted_attempt_runs_again_uncounted(tmp, lambda gw: gw.kill9())


def test_attempt_in_flight_at_sigterm_runs_again_uncounted(tmp):
    interrupted_attempt_runs_again_uncounted(tmp, lambda gw: gw.stop())


def test_function_removed_from_config_dead_letters(tmp):
    """An event still queued for a function the restarted configuration no longer has becomes
    a FunctionNotFound dead letter; it is not dropped and runs nowhere."""
    out = os.path.join(tmp, "out.txt")
    held = fn("Gone", extra="    rate: {per_second: 0.01, burst: 1}\n")
    with Gateway(tmp, setup(tmp, fn("W") + held)) as gw:
        check(gw.invoke("Gone", {"id": "g0"}, EVENT)[0] == 202, "accepted")
        st, h, _ = gw.invoke("Gone", {"id": "g1"}, EVENT)           # waits 100 s for a token
        check(st == 202, "accepted: %d" % st)
        rid = h["x-amzn-requestid"]
        wait_until(lambda: [r["id"] for r in lines(out)] == ["g0"] and queue_view(gw)[0]["Gone"]["queued"] == 1, 15,
                   "g0 to run and g1 to wait for its token")
    with Gateway(tmp, setup(tmp, fn("W"))) as gw:
        items = wait_until(lambda: dlq(gw), 15, "the dead letter of the event for the removed function")
        check(len(items) == 1, "one dead letter: %s" % items)
        d = items[0]
        check(d["function"] == "Gone" and d["condition"] == "FunctionNotFound" and d["requestId"] == rid and
              d["attempts"] == 0 and d["errorType"] == "ResourceNotFoundException" and
              d["errorMessage"] == "the function is not in the configuration" and "destination" not in d,
              "FunctionNotFound dead letter: %s" % d)
        check(dlq(gw, "Gone") == items, "listed under its function")
        st, _, body = gw.admin("GET", "/_fngate/dlq/%d" % d["id"])
        check(st == 200 and json.loads(body)["payload"] == {"id": "g1"}, "its payload is kept: %d %s" % (st, body))
        check("function Gone is no longer configured; moved to the dead letters" in gw.stderr(), gw.stderr())
        check([r["id"] for r in lines(out)] == ["g0"], "g1 ran nowhere")


def test_event_that_never_starts_fails_as_event_age_exceeded(tmp):
    """An event held back (by the rate, here) that is still queued after maximum_event_age
    fails as EventAgeExceeded without an attempt: approximateInvokeCount 0 in the failure
    destination's record, attempts 0 in a dead letter. The state file is edited the way a
    gateway down for a minute would leave it (the age is at least 60 s)."""
    import sqlite3
    out, dest = os.path.join(tmp, "out.txt"), os.path.join(tmp, "out.txt.dest")
    conf = setup(tmp, fn("W", extra="    rate: {per_second: 0.01, burst: 1}\n    retries: {maximum_event_age: 60}\n"
                                     "    destinations: {on_failure: D}\n") +
                 fn("V", extra="    rate: {per_second: 0.01, burst: 1}\n    retries: {maximum_event_age: 60}\n") +
                 fn("D", "app.record"))
    with Gateway(tmp, conf) as gw:
        rids = {}
        for f in ("W", "V"):
            check(gw.invoke(f, {"id": f + "0"}, EVENT)[0] == 202, "accepted")
            st, h, _ = gw.invoke(f, {"id": f + "1"}, EVENT)       # waits 100 s for a token
            check(st == 202, "accepted: %d" % st)
            rids[f] = h["x-amzn-requestid"]
        wait_until(lambda: sorted(r["id"] for r in lines(out)) == ["V0", "W0"] and
                   all(queue_view(gw)[0][f]["queued"] == 1 for f in "WV"), 15, "W1 and V1 to wait for a token")
    db = sqlite3.connect(os.path.join(tmp, ".fngate", "fngate.db"))
    n = db.execute("UPDATE events SET accepted_ms = accepted_ms - 61000").rowcount
    db.commit()
    db.close()
    check(n == 2, "two queued events in the state file: %d" % n)
    with Gateway(tmp, conf) as gw:
        recs = wait_until(lambda: lines(dest), 15, "the failure record of W1")
        r = recs[0]
        check(r["requestContext"]["condition"] == "EventAgeExceeded" and r["requestContext"]["requestId"] == rids["W"]
              and r["requestContext"]["approximateInvokeCount"] == 0 and r["requestPayload"] == {"id": "W1"} and
              "responsePayload" not in r and "responseContext" not in r, "record of an event never started: %s" % r)
        items = wait_until(lambda: dlq(gw, "V"), 15, "the dead letter of V1")
        d = items[0]
        check(d["condition"] == "EventAgeExceeded" and d["attempts"] == 0 and d["requestId"] == rids["V"] and
              d["errorType"] == "EventAgeExceeded", "dead letter of an event never started: %s" % d)
        check(sorted(r["id"] for r in lines(out)) == ["V0", "W0"], "neither ran: %s" % lines(out))
        check(not dlq(gw, "W"), "a delivered failure record leaves no dead letter")


def test_durability_memory(tmp):
    """durability: memory: events are accepted (202) and run as usual, but live only in
    memory: no state file is written, and what was queued or dead-lettered is gone after a
    stop, as the README says."""
    out = os.path.join(tmp, "out.txt")
    conf = setup(tmp, fn("W", extra="    rate: {per_second: 0.01, burst: 1}\n") +
                 fn("Z", extra="    retries: {maximum_retry_attempts: 0}\n"), top="durability: memory\n")
    state = os.path.join(tmp, ".fngate", "fngate.db")
    with Gateway(tmp, conf) as gw:
        for i in range(3):
            check(gw.invoke("W", {"id": "m%d" % i}, EVENT)[0] == 202, "accepted")
        check(gw.invoke("Z", {"id": "z", "fail": True}, EVENT)[0] == 202, "accepted")
        wait_until(lambda: "m0" in [r["id"] for r in lines(out)] and queue_view(gw)[0]["W"]["queued"] == 2 and
                   len(dlq(gw)) == 1, 15, "m0 to run, m1 and m2 to wait for tokens, z to be dead-lettered")
        check(not os.path.exists(state), "durability memory writes no state file")
    check("resuming" not in gw.stderr(), gw.stderr())
    with Gateway(tmp, conf) as gw:
        fns = queue_view(gw)[0]
        check(fns["W"]["queued"] == 0 and not dlq(gw), "nothing survives a stop: %s %s" % (fns, dlq(gw)))
        # The fresh bucket's one token goes to m3: nothing resumed is ahead of it.
        check(gw.invoke("W", {"id": "m3"}, EVENT)[0] == 202, "accepted")
        wait_until(lambda: "m3" in [r["id"] for r in lines(out)], 15, "m3 to run")
        check(sorted(r["id"] for r in lines(out) if r["id"].startswith("m")) == ["m0", "m3"],
              "m1 and m2 were lost with the stop: %s" % lines(out))
        check("resuming" not in gw.stderr() and not os.path.exists(state), gw.stderr())
