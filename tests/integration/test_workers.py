# SPDX-License-Identifier: MIT
"""Worker lifecycle: warm reuse, timeouts that kill exactly the worker holding the
invocation, crashes, reserved concurrency (429), memory limits, min_warm / idle reaping,
and runtimes that break the Runtime API contract."""
import json
import os
import threading
import time

from harness import LOG_TIME, Gateway, check, need_root, write, wait_until

PY = """
import json, os, sys, time

def handler(event, context):
    if "requestContext" in event:        # through an HTTP route: the request body is the order
        event = json.loads(event.get("body") or "{}")
    action = event.get("action")
    if action == "sleep":
        time.sleep(event["seconds"])
    elif action == "hold":                # holds its concurrency slot until the test lets go
        for _ in range(3000):
            if os.path.exists(event["path"]):
                break
            time.sleep(0.01)
    elif action == "mark_after":          # a mark the worker leaves if it lives that long
        time.sleep(event["seconds"])
        open(event["path"], "w").close()
        time.sleep(30)
    elif action == "exit":
        os._exit(event.get("code", 3))
    elif action == "alloc":
        blocks = [bytearray(1 << 20) for _ in range(event["mb"])]
        for b in blocks:
            b[::4096] = b"x" * len(b[::4096])
    elif action == "big":
        return "x" * event["bytes"]
    elif action == "spam":
        line = "y" * 1023
        for _ in range(event["mb"] * 1024):
            print(line)
    return {"pid": os.getpid()}
"""


def py_config(tmp, extra="", events=""):
    code = os.path.join(tmp, "py")
    write(os.path.join(code, "app.py"), PY)
    return "functions:\n  W:\n    runtime: python3\n    handler: app.handler\n    code: %s\n%s%s" % (code, extra, events)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split()[2] != "Z"
    except (FileNotFoundError, ProcessLookupError):    # reaped between the open and the read
        return False


def test_warm_reuse(tmp):
    with Gateway(tmp, py_config(tmp)) as gw:
        pids = {json.loads(gw.invoke("W", {})[2])["pid"] for _ in range(5)}
        check(len(pids) == 1, "sequential calls should reuse one warm worker: %s" % pids)


def test_timeout_kills_worker_and_recovers(tmp):
    """The 1 s timeout kills the worker holding the call: a handler that would leave a mark
    after 8 s never does (no other limit, such as the 10 s init limit, got there first)."""
    marks = [os.path.join(tmp, "mark%d" % i) for i in range(2)]
    with Gateway(tmp, py_config(tmp, "    timeout: 1\n", "    events:\n      - http: POST /w\n")) as gw:
        first = json.loads(gw.invoke("W", {})[2])["pid"]
        status, headers, body = gw.invoke("W", {"action": "mark_after", "seconds": 8, "path": marks[0]})
        err = json.loads(body)
        rid = headers["x-amzn-requestid"]
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", (status, headers))
        check(err == {"errorMessage": "RequestId: %s Error: Task timed out after 1.00 seconds" % rid,
                      "errorType": "Sandbox.Timedout"}, err)
        wait_until(lambda: not alive(first), 10, "the timed-out worker %d to be killed" % first)
        check(not os.path.exists(marks[0]), "the worker lived 8 s into a call with a 1 s timeout")
        second = json.loads(gw.invoke("W", {})[2])["pid"]
        check(second != first and alive(second), "the next call runs on a fresh worker")
        status, _, body = gw.request("POST", "/w", body=json.dumps({"action": "mark_after", "seconds": 8,
                                                                    "path": marks[1]}))
        check(status == 503 and json.loads(body) == {"message": "Service Unavailable"}, (status, body))
        wait_until(lambda: not alive(second), 10, "the timed-out worker %d to be killed" % second)
        check(not os.path.exists(marks[1]), "the worker lived 8 s into a routed call with a 1 s timeout")
        gw.wait_stdout(r"Task timed out after 1.00 seconds")
        gw.wait_stdout(r"REPORT RequestId: %s\t.*\tStatus: timeout$" % rid)
        check(gw.invoke("W", {})[0] == 200, "pool recovered")


def test_crash_is_reported_and_replaced(tmp):
    with Gateway(tmp, py_config(tmp)) as gw:
        first = json.loads(gw.invoke("W", {})[2])["pid"]
        status, headers, body = gw.invoke("W", {"action": "exit", "code": 3})
        err = json.loads(body)
        check(headers.get("x-amz-function-error") == "Unhandled", headers)
        check(err["errorType"] == "Runtime.ExitError", err)
        check(err["errorMessage"] == "RequestId: %s Error: Runtime exited with error: exit status 3"
              % headers["x-amzn-requestid"], err)
        second = json.loads(gw.invoke("W", {})[2])["pid"]
        check(second != first, "crashed worker replaced")


def hold(gw, release):
    """Starts a call that holds W's worker until release exists; returns (thread, result
    list) once the call has started (its START line is the barrier)."""
    result = []
    # Counted, not "a START after the last END": the previous call's END line may not be
    # written yet when its answer is back, and its START would pass for this one's.
    starts = gw.stdout().count("] START RequestId")
    t = threading.Thread(target=lambda: result.append(gw.invoke("W", {"action": "hold", "path": release})))
    t.start()
    wait_until(lambda: gw.stdout().count("] START RequestId") > starts, 10, "the holding call to start")
    return t, result


def test_reserved_concurrency_429(tmp):
    release = os.path.join(tmp, "release")
    with Gateway(tmp, py_config(tmp, "    concurrency: 1\n    timeout: 40\n", "    events:\n      - http: POST /w\n")) as gw:
        gw.invoke("W", {})   # warm
        t, held = hold(gw, release)
        status, headers, body = gw.invoke("W", {})
        check(status == 429 and headers.get("x-amzn-errortype") == "TooManyRequestsException", (status, headers))
        check(headers.get("retry-after") == "1", headers)
        body = json.loads(body)
        check(body["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded" and body["Type"] == "User", body)
        # The same limit through a route.
        status, headers, _ = gw.request("POST", "/w", body="{}")
        check(status == 429 and headers.get("retry-after") == "1", (status, headers))
        write(release, "")
        t.join()
        check(held[0][0] == 200 and "x-amz-function-error" not in held[0][1], held)


def burst(gw, n, payload):
    """n invocations of W at once; returns their (status, headers, body) in any order."""
    results = []
    lock = threading.Lock()
    gate = threading.Barrier(n)

    def one():
        gate.wait(10)
        r = gw.invoke("W", payload, timeout=60)
        with lock:
            results.append(r)
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    check(len(results) == n, "%d of %d burst calls returned" % (len(results), n))
    return results


def test_burst_waits_for_warm_workers(tmp):
    """32 concurrent calls to a quick function with unreserved concurrency: all succeed,
    none is throttled, and they share a few workers instead of starting 32 interpreters
    (a cold burst, then a warm one)."""
    with Gateway(tmp, py_config(tmp)) as gw:
        for round in ("cold", "warm"):
            results = burst(gw, 32, {})
            statuses = sorted(r[0] for r in results)
            check(statuses == [200] * 32, "%s burst: %s" % (round, statuses))
            check(all("x-amz-function-error" not in r[1] for r in results), "%s burst had errors" % round)
            pids = {json.loads(r[2])["pid"] for r in results}
            # The pool starts at twice the cores (README "Warm pools"), 4 on CI's 2 cores.
            bound = 2 * len(os.sched_getaffinity(0)) + 2
            check(len(pids) <= bound, "%s burst of 32 quick calls ran on %d workers" % (round, len(pids)))
            check(_pool(gw)["workers"] <= bound, _pool(gw))


def test_burst_of_slow_calls_gets_workers(tmp):
    """Slow, mostly idle work is not queued behind one worker: when waiting would cost more
    than a cold start, each waiting call gets its own worker, as on Lambda."""
    with Gateway(tmp, py_config(tmp, "    timeout: 30\n")) as gw:
        results = burst(gw, 8, {"action": "sleep", "seconds": 2})
        check(sorted(r[0] for r in results) == [200] * 8, [r[0] for r in results])
        pids = {json.loads(r[2])["pid"] for r in results}
        check(len(pids) >= 6, "8 concurrent 2-second calls ran on only %d workers" % len(pids))


def test_waiting_call_counts_against_reserved_concurrency(tmp):
    """Reserved concurrency 2, one worker allowed: the second caller waits for the busy
    worker and holds the second slot while it waits, so a third caller gets 429."""
    release = os.path.join(tmp, "release")
    with Gateway(tmp, py_config(tmp, "    concurrency: 2\n    max_workers: 1\n    timeout: 40\n")) as gw:
        first_pid = json.loads(gw.invoke("W", {})[2])["pid"]
        t, held = hold(gw, release)
        waiting = []
        w = threading.Thread(target=lambda: waiting.append(gw.invoke("W", {})))
        w.start()
        wait_until(lambda: _pool(gw)["waiting"] == 1, 10, "the second call to wait in the line")
        check(_pool(gw)["concurrent"] == 2 and _pool(gw)["workers"] == 1, _pool(gw))
        status, headers, body = gw.invoke("W", {})
        check(status == 429 and json.loads(body)["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded",
              (status, body))
        check(not waiting, "the waiting call finished while the worker was held: %s" % waiting)
        write(release, "")
        t.join()
        w.join(30)
        check(held[0][0] == 200 and waiting and waiting[0][0] == 200, (held, waiting))
        check(json.loads(waiting[0][2])["pid"] == first_pid, "the waiting call ran on the one warm worker")


def _pool(gw):
    return next(f["pool"] for f in gw.view("queue")["functions"] if f["name"] == "W")


def test_gateway_concurrency_cap(tmp):
    release = os.path.join(tmp, "release")
    config = "gateway: {max_concurrency: 1}\n" + py_config(tmp, "    timeout: 40\n")
    with Gateway(tmp, config) as gw:
        t, held = hold(gw, release)
        status, headers, body = gw.invoke("W", {})
        check(status == 429 and json.loads(body)["Reason"] == "ConcurrentInvocationLimitExceeded", (status, body))
        write(release, "")
        t.join()
        check(held[0][0] == 200 and "x-amz-function-error" not in held[0][1], held)


def test_memory_limit(tmp):
    """In cgroup mode (as root: CI) the worker's memory group holds it to `memory`; going over
    gets the kernel's OOM kill, reported as Runtime.OutOfMemory."""
    need_root("give workers cgroup v1 memory groups")
    with Gateway(tmp, py_config(tmp, "    memory: 128\n    timeout: 20\n")) as gw:
        check("limiting memory with RLIMIT_AS" not in gw.stderr(), "cgroup mode expected as root:\n" + gw.stderr())
        status, headers, body = gw.invoke("W", {"action": "alloc", "mb": 40})
        check(status == 200 and "x-amz-function-error" not in headers, body)
        pid = json.loads(body)["pid"]
        rid = headers["x-amzn-requestid"]
        m = gw.wait_stdout(r"REPORT RequestId: %s\t.*Max Memory Used: (\d+) MB" % rid)
        check(int(m.group(1)) >= 40, "Max Memory Used %s MB after allocating 40 MB" % m.group(1))
        status, headers, body = gw.invoke("W", {"action": "alloc", "mb": 400})
        rid = headers["x-amzn-requestid"]
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", (status, headers, body))
        check(json.loads(body) == {"errorType": "Runtime.OutOfMemory",
                                   "errorMessage": "RequestId: %s Error: Runtime exited with error: signal: killed" % rid},
              body)
        gw.wait_stdout(r"REPORT RequestId: %s\t.*\tMax Memory Used: 128 MB\tStatus: error$" % rid)
        status, _, body = gw.invoke("W", {})
        check(status == 200 and json.loads(body)["pid"] != pid, "the next call works, on a new worker: %s" % body)


def test_memory_limit_without_cgroups(tmp):
    """Where no cgroup v1 memory controller is writable, RLIMIT_AS caps the worker and
    VmHWM gives Max Memory Used."""
    gw = Gateway(tmp, py_config(tmp, "    memory: 128\n    timeout: 20\n"),
                 extra_env={"FNGATE_CGROUP_ROOT": os.path.join(tmp, "no-cgroups-here")})
    with gw:
        check("limiting memory with RLIMIT_AS" in gw.stderr(), gw.stderr())
        status, headers, body = gw.invoke("W", {"action": "alloc", "mb": 40})
        check(status == 200 and "x-amz-function-error" not in headers, body)
        m = gw.wait_stdout(r"REPORT RequestId: %s\t.*Max Memory Used: (\d+) MB" % headers["x-amzn-requestid"])
        check(int(m.group(1)) >= 40, "Max Memory Used %s MB after allocating 40 MB" % m.group(1))
        status, headers, body = gw.invoke("W", {"action": "alloc", "mb": 600})
        check(headers.get("x-amz-function-error") == "Unhandled", (headers, body))
        check(json.loads(body)["errorType"] == "MemoryError", body)


def test_min_warm_and_idle_reaping(tmp):
    config = py_config(tmp, "    min_warm: 1\n") + \
        "  Idle:\n    runtime: python3\n    handler: app.handler\n    code: %s/py\n    idle_timeout: 1\n" % tmp
    with Gateway(tmp, config) as gw:
        # A min_warm worker is started ahead of traffic: the first call is warm.
        gw.wait_stdout(r"^" + LOG_TIME + r"\[W\] INIT_REPORT Init Duration: [\d.]+ ms$")
        check(gw.invoke("W", {})[0] == 200, "W answers")
        m = gw.wait_stdout(r"\[W\] REPORT RequestId: .*$")
        check("Init Duration" not in m.group(0), "first call on a pre-started worker is not a cold start: " + m.group(0))
        pid = json.loads(gw.invoke("Idle", {})[2])["pid"]
        wait_until(lambda: not alive(pid), 10, "the idle worker %d to be reaped after idle_timeout" % pid)
        check(gw.invoke("Idle", {})[0] == 200, "a reaped function starts again on demand")


def test_runtime_api_contract_violations(tmp):
    """A provided runtime that answers the wrong id, answers twice, and posts an init error
    after init: each gets the reference's status, and the gateway keeps serving."""
    code = os.path.join(tmp, "bad")
    log = os.path.join(tmp, "statuses.json")
    write(os.path.join(code, "bootstrap"), """
        #!/usr/bin/python3
        import http.client, json, os
        host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
        c = http.client.HTTPConnection(host, int(port))
        def call(method, path, body=None, chunked=False):
            if chunked:   # Transfer-Encoding: chunked, as Node's http client sends
                c.request(method, "/2018-06-01/runtime" + path, body=iter([body[:3], body[3:]]), encode_chunked=True)
            else:
                c.request(method, "/2018-06-01/runtime" + path, body=body)
            r = c.getresponse()
            return r.status, r.read(), r
        seen = {}
        while True:
            status, body, r = call("GET", "/invocation/next")
            rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
            seen["next"] = status
            seen["deadline"] = r.getheader("Lambda-Runtime-Deadline-Ms")
            seen["arn"] = r.getheader("Lambda-Runtime-Invoked-Function-Arn")
            seen["trace"] = r.getheader("Lambda-Runtime-Trace-Id")
            seen["wrong_id"] = call("POST", "/invocation/not-a-real-id/response", b"{}")[0]
            seen["ok"] = call("POST", "/invocation/%s/response" % rid, b'"fine"', chunked=True)[0:2]
            seen["twice"] = call("POST", "/invocation/%s/response" % rid, b'"again"')[0]
            seen["error_after"] = call("POST", "/invocation/%s/error" % rid, b'{}')[0]
            seen["init_error_late"] = call("POST", "/init/error", b'{}')[0]
            seen["unknown_path"] = call("GET", "/nope")[0]
            seen["ok"] = [seen["ok"][0], seen["ok"][1].decode()]
            with open("LOGPATH", "w") as f:
                json.dump(seen, f)
        """.replace("LOGPATH", log), mode=0o755)
    config = "functions:\n  Bad:\n    runtime: provided\n    code: %s\n" % code
    with Gateway(tmp, config) as gw:
        before_ms = int(time.time() * 1000)
        status, _, body = gw.invoke("Bad", {})
        after_ms = int(time.time() * 1000) + 1
        check(status == 200 and json.loads(body) == "fine", body)
        seen = wait_until(lambda: os.path.exists(log) and json.load(open(log)), 10, "the runtime's report")
        check(seen["next"] == 200 and seen["wrong_id"] == 400 and seen["ok"] == [202, '{"status":"OK"}'], seen)
        check(seen["twice"] == 400 and seen["error_after"] == 400, seen)
        check(seen["init_error_late"] == 403 and seen["unknown_path"] == 404, seen)
        # The deadline is the event's start plus the default 3 s timeout.
        check(before_ms + 3000 <= int(seen["deadline"]) <= after_ms + 3000, (before_ms, seen, after_ms))
        check(seen["arn"] == "arn:aws:lambda:us-east-1:000000000000:function:Bad", seen)
        check(seen["trace"].startswith("Root=1-"), seen)
        check(gw.invoke("Bad", {})[0] == 200, "still serving")


def test_bootstrap_that_never_asks(tmp):
    """A runtime that never calls /next is killed at the 10 s init limit (not at the
    function's 1 s timeout, which starts with the event) and the call fails Sandbox.Timedout."""
    code = os.path.join(tmp, "lazy")
    marker = os.path.join(tmp, "lazy.pid")
    write(os.path.join(code, "bootstrap"), "#!/bin/sh\necho $$ > %s\nexec sleep 3600\n" % marker, mode=0o755)
    config = "functions:\n  Lazy:\n    runtime: provided\n    code: %s\n    timeout: 1\n" % code + \
        py_config(tmp).replace("functions:\n", "")
    with Gateway(tmp, config) as gw:
        status, headers, body = gw.invoke("Lazy", {}, timeout=60)
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", (status, body))
        check(json.loads(body) == {"errorType": "Sandbox.Timedout",
                                   "errorMessage": "RequestId: %s Error: Runtime did not start within 10.00 seconds "
                                                   "(it never called /runtime/invocation/next)"
                                                   % headers["x-amzn-requestid"]}, body)
        pid = int(open(marker).read())
        # The line precedes the answer, but the harness reads stderr on a thread of its own.
        wait_until(lambda: "function Lazy worker %d did not ask for an event within 10 s; killing it" % pid
                   in gw.stderr(), 5, "the init-limit line", gw.stderr)
        wait_until(lambda: not alive(pid), 10, "the runtime %d that never asked to be killed" % pid)
        check(gw.invoke("W", {})[0] == 200, "other functions keep serving")


def test_response_too_large(tmp):
    with Gateway(tmp, py_config(tmp, "    timeout: 30\n")) as gw:
        status, headers, body = gw.invoke("W", {"action": "big", "bytes": 7 * 1024 * 1024})
        err = json.loads(body)
        check(headers.get("x-amz-function-error") == "Unhandled", headers)
        check(err["errorType"] == "Function.ResponseSizeTooLarge", err)
        status, _, body = gw.invoke("W", {"action": "big", "bytes": 5 * 1024 * 1024})
        check(status == 200 and len(json.loads(body)) == 5 * 1024 * 1024, "5 MB is fine")


def test_handler_printing_100mb(tmp):
    with Gateway(tmp, py_config(tmp, "    timeout: 120\n")) as gw:
        status, headers, body = gw.invoke("W", {"action": "spam", "mb": 100}, {"X-Amz-Log-Type": "Tail"}, timeout=180)
        check(status == 200 and "x-amz-function-error" not in headers, (status, body[:200]))
        check(len(headers.get("x-amz-log-result", "")) <= 5464, "the tail stays 4 KB")
        check(gw.invoke("W", {})[0] == 200, "still serving")
        check(os.path.getsize(gw.stdout_path) > 100 * 1024 * 1024, "every line reached the log stream")


def test_sigterm_with_invocation_in_flight(tmp):
    """SIGTERM while a call runs: the caller gets an answer (not a hang), the worker is
    reaped, and fngate exits 0 with nothing leaked."""
    gw = Gateway(tmp, py_config(tmp, "    timeout: 30\n"))
    gw.start()
    try:
        pid = json.loads(gw.invoke("W", {})[2])["pid"]
        result = []
        t = threading.Thread(target=lambda: result.append(gw.invoke("W", {"action": "sleep", "seconds": 20})))
        t.start()
        gw.wait_stdout(r"START RequestId: .*\n(?:.*\n)*?.*START RequestId: ")   # the second call started
    finally:
        gw.stop()
    t.join(10)
    check(result, "the in-flight call got no answer")
    status, headers, body = result[0]
    check(status == 500 and headers.get("x-amzn-errortype") == "ServiceException", (status, body))
    check(b"shutting down" in body, body)
    check(not alive(pid), "worker %d outlived the gateway" % pid)


def test_worker_exit_takes_its_children(tmp):
    code = os.path.join(tmp, "fork")
    marker = os.path.join(tmp, "child.pid")
    write(os.path.join(code, "app.py"), """
        import os, subprocess
        def handler(event, context):
            if event.get("spawn"):
                p = subprocess.Popen(["sleep", "600"])
                open(%r, "w").write(str(p.pid))
                os._exit(1)
            return {}
        """ % marker)
    config = "functions:\n  F:\n    runtime: python3\n    handler: app.handler\n    code: %s\n" % code
    with Gateway(tmp, config) as gw:
        status, headers, body = gw.invoke("F", {"spawn": True})
        check(json.loads(body)["errorType"] == "Runtime.ExitError", body)
        child = int(open(marker).read())
        wait_until(lambda: not alive(child), 10, "the worker's orphaned child %d to be killed" % child)
