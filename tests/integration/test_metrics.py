# SPDX-License-Identifier: MIT
"""GET /metrics on the admin listener (router/metrics.c): after a known mix of successes,
function errors, a timeout and throttles, the Prometheus counters match exactly (and a
flood of throttles is logged one line a second, not one per 429); the text
parses as the exposition format (every sample's family declared, histogram buckets
cumulative); the admin token is required."""
import os
import re
import threading

from harness import Gateway, check, wait_until, write

PY = """import time
def handler(event, context):
    if event.get("fail"):
        raise ValueError("no")
    time.sleep(event.get("sleep", 0))
    return {"ok": True}
"""


def parse(text):
    """{(name, labels-string): value}; checks every sample belongs to a declared family."""
    families, samples = set(), {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            families.add(line.split()[2])
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-z_]+)(?:\{([^}]*)\})? (\S+)$', line)     # gateway-wide ones have no labels
        check(m, "not an exposition line: %r" % line)
        name = m.group(1)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in families or base in families, "sample of an undeclared family: %r" % line)
        samples[(name, m.group(2))] = float(m.group(3))
    return samples


def test_metrics_count_a_known_mix(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    conf = ("functions:\n  M:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    timeout: 1\n"
            "    concurrency: 1\n" % code)
    with Gateway(tmp, conf) as gw:
        status, _, _ = gw.admin("GET", "/metrics", token=False)
        check(status == 401, "the token is required: %s" % status)
        for _ in range(3):
            check(gw.invoke("M", {})[0] == 200, "success")
        for _ in range(2):
            check(gw.invoke("M", {"fail": True})[1].get("x-amz-function-error") == "Unhandled", "error")
        check(b"Timedout" in gw.invoke("M", {"sleep": 2})[2], "timeout")
        held = []
        t = threading.Thread(target=lambda: held.append(gw.invoke("M", {"sleep": 0.8})))
        starts = gw.stdout().count("START RequestId")
        t.start()
        wait_until(lambda: gw.stdout().count("START RequestId") > starts, 10, "the held call to start")
        for _ in range(30):
            check(gw.invoke("M", {})[0] == 429, "throttled")
        t.join()
        # Logged, but a flood is not: one line a second at most.
        lines = [l for l in gw.stderr_lines if "throttled (ReservedFunctionConcurrentInvocationLimitExceeded, 429" in l]
        check(1 <= len(lines) <= 2, "throttle lines: %s" % lines)
        check(held[0][0] == 200, held)
        status, headers, body = gw.admin("GET", "/metrics")
        check(status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4"), (status, headers))
        s = parse(body.decode())
        fn = 'function="M"'
        want = {("fngate_invocations_total", fn): 7, ("fngate_errors_total", fn + ',kind="function"'): 2,
                ("fngate_errors_total", fn + ',kind="timeout"'): 1, ("fngate_errors_total", fn + ',kind="service"'): 0,
                ("fngate_throttles_total", fn): 30, ("fngate_duration_seconds_count", fn): 7,
                ("fngate_concurrent_executions", fn): 0, ("fngate_memory_size_bytes", fn): 128 * 1048576}
        for k, v in want.items():
            check(s.get(k) == v, "%s = %s, want %s\n%s" % (k, s.get(k), v, body.decode()[:3000]))
        buckets = [(float(re.search(r'le="([^"]+)"', k[1]).group(1).replace("+Inf", "inf")), v)
                   for k, v in s.items() if k[0] == "fngate_duration_seconds_bucket"]
        buckets.sort()
        check(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])) and buckets[-1][1] == 7, buckets)
        # The 2 s sleep was cut at the 1 s timeout; the 0.8 s call is in the 1 s bucket.
        check(s[("fngate_duration_seconds_bucket", fn + ',le="0.5"')] == 5, buckets)
        check(s[("fngate_init_duration_seconds_count", fn)] >= 2 and s[("fngate_max_memory_used_bytes", fn)] > 0, s)
