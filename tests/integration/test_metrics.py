# SPDX-License-Identifier: MIT
"""GET /metrics on the admin listener: after a known mix of successes, function errors, a
timeout and throttles, the per-function counters match exactly (and a flood of throttles is
logged one line a second, not one per 429); the async counters (received, age, dropped,
destination failures, dead letters) after known Event invocations; the front door's answers
by route and status and its open connections; per source, a Redis queue and topic, a Kafka
stream, a schedule, a folder and the S3 endpoint count what they received, acknowledged,
failed, filtered, redelivered and gave up, and show the age of what they hold. Every scrape
parses as the exposition format (every sample's family declared, histograms cumulative) and,
where promtool is installed, passes `promtool check metrics`; a real Prometheus (Debian's)
scrapes the admin listener with the token and its HTTP API returns a counter. Waits are on
the metrics or the admin views, bounded."""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import urllib.parse
import urllib.request

from harness import (ROOT, Gateway, HookServer, KafkaMock, Redis, check, free_port, json_lines, skip, wait_until,
                     write)

PY = """import time
def handler(event, context):
    if event.get("fail"):
        raise ValueError("no")
    time.sleep(event.get("sleep", 0))
    return {"ok": True}

def route(event, context):
    code = event.get("pathParameters", {}).get("code")
    return {"statusCode": int(code) if code else 200, "body": "hi"}
"""


def promtool_path():
    return shutil.which("promtool")


def need_prometheus():
    """promtool and prometheus (Debian's prometheus package, from deploy/install-deps.sh
    --test); installed here when missing, skipped only when that cannot be done."""
    if not (shutil.which("promtool") and shutil.which("prometheus")):
        subprocess.run([os.path.join(ROOT, "deploy", "install-deps.sh"), "--test"], capture_output=True,
                       timeout=900)
    if not (shutil.which("promtool") and shutil.which("prometheus")):
        skip("prometheus/promtool missing and deploy/install-deps.sh --test could not install them")


def parse(text):
    """{(name, labels-string): value}; checks every sample belongs to a declared family and
    every family is declared once, its samples together."""
    families, samples, done, current = set(), {}, set(), None
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name = line.split()[2]
            check(name not in families, "family declared twice: %s" % name)
            families.add(name)
            if current:
                done.add(current)
            current = name
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-z_]+)(?:\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\})? (\S+)$', line)
        check(m, "not an exposition line: %r" % line)
        name = m.group(1)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        family = name if name in families else base
        check(family in families, "sample of an undeclared family: %r" % line)
        check(family == current, "a sample away from its family's block: %r" % line)
        samples[(name, m.group(2) or "")] = float(m.group(3))
    return samples


def scrape(gw):
    """GET /metrics: the parsed samples; the text passes promtool when it is installed."""
    status, headers, body = gw.admin("GET", "/metrics")
    check(status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4"), (status, headers))
    text = body.decode()
    tool = promtool_path()
    if tool:
        p = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(),
              "promtool check metrics: %d %s %s\n%s" % (p.returncode, p.stdout, p.stderr, text[:3000]))
    return parse(text)


def value(s, name, **labels):
    """The sample of name whose labels include labels (None when there is none)."""
    for (n, ls), v in s.items():
        if n != name:
            continue
        have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', ls))
        if all(have.get(k) == str(x) for k, x in labels.items()):
            return v
    return None


def source(s, name, src):
    return value(s, "fngate_source_%s" % name, source=src)


def code_dir(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    return code


def test_metrics_count_a_known_mix(tmp):
    conf = ("functions:\n  M:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    timeout: 1\n"
            "    concurrency: 1\n" % code_dir(tmp))
    with Gateway(tmp, conf) as gw:
        status, _, _ = gw.admin("GET", "/metrics", token=False)
        check(status == 401, "the token is required: %s" % status)
        answers = []
        for _ in range(3):
            answers.append(gw.invoke("M", {}))
            check(answers[-1][0] == 200, "success")
        for _ in range(2):
            answers.append(gw.invoke("M", {"fail": True}))
            check(answers[-1][1].get("x-amz-function-error") == "Unhandled", "error")
        answers.append(gw.invoke("M", {"sleep": 2}))
        check(b"Timedout" in answers[-1][2], "timeout")
        held = []
        t = threading.Thread(target=lambda: held.append(gw.invoke("M", {"sleep": 0.8})))
        starts = gw.stdout().count("START RequestId")
        t.start()
        wait_until(lambda: gw.stdout().count("START RequestId") > starts, 10, "the held call to start")
        for _ in range(30):
            answers.append(gw.invoke("M", {}))
            check(answers[-1][0] == 429, "throttled")
        t.join()
        answers += held
        # Logged, but a flood is not: one line a second at most.
        lines = [l for l in gw.stderr_lines if "throttled (ReservedFunctionConcurrentInvocationLimitExceeded, 429" in l]
        check(1 <= len(lines) <= 2, "throttle lines: %s" % lines)
        check(held[0][0] == 200, held)
        s = scrape(gw)
        fn = 'function="M"'
        want = {("fngate_invocations_total", fn): 7, ("fngate_errors_total", fn + ',kind="function"'): 2,
                ("fngate_errors_total", fn + ',kind="timeout"'): 1, ("fngate_errors_total", fn + ',kind="service"'): 0,
                ("fngate_throttles_total", fn): 30, ("fngate_duration_seconds_count", fn): 7,
                ("fngate_concurrent_executions", fn): 0, ("fngate_memory_size_bytes", fn): 128 * 1048576,
                ("fngate_async_events_received_total", fn): 0}
        for k, v in want.items():
            check(s.get(k) == v, "%s = %s, want %s\n%s" % (k, s.get(k), v, sorted(s.items())[:80]))
        buckets = [(float(re.search(r'le="([^"]+)"', k[1]).group(1).replace("+Inf", "inf")), v)
                   for k, v in s.items() if k[0] == "fngate_duration_seconds_bucket"]
        buckets.sort()
        check(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])) and buckets[-1][1] == 7, buckets)
        # The 2 s sleep was cut at the 1 s timeout; the 0.8 s call is in the 1 s bucket.
        check(s[("fngate_duration_seconds_bucket", fn + ',le="0.5"')] == 5, buckets)
        check(s[("fngate_init_duration_seconds_count", fn)] >= 2 and s[("fngate_max_memory_used_bytes", fn)] > 0, s)
        # The front door counted every answer it gave, by status, under the Invoke API's row.
        by_code = {}
        for a in answers:
            by_code[a[0]] = by_code.get(a[0], 0) + 1
        for code, n in by_code.items():
            check(value(s, "fngate_http_requests_total", route="invoke", code=code) == n,
                  "invoke %d: %s, want %d" % (code, value(s, "fngate_http_requests_total", route="invoke", code=code), n))


def test_async_received_age_dropped_and_destination_failures(tmp):
    dead = "http://127.0.0.1:%d/gone" % free_port()     # nothing listens: every POST fails
    conf = ("functions:\n  A:\n    runtime: python3\n    handler: app.handler\n    code: %s\n"
            "    retries: {maximum_retry_attempts: 0}\n    destinations: {on_failure: \"%s\"}\n"
            % (code_dir(tmp), dead))
    with Gateway(tmp, conf) as gw:
        for body in ({}, {}, {}, {"fail": True}):
            check(gw.invoke("A", body, {"X-Amz-Invocation-Type": "Event"})[0] == 202, "accepted")
        a = 'function="A"'
        s = wait_until(lambda: (lambda s: s.get(("fngate_dead_letters", a)) == 1 and s)(scrape(gw)), 30,
                       "the undeliverable destination record to become a dead letter",
                       seen=lambda: {k: v for k, v in scrape(gw).items() if "async" in k[0] or "dead" in k[0]})
        wait_until(gw.queue_idle, 10, "an idle queue")
        s = scrape(gw)
        want = {("fngate_async_events_received_total", a): 4, ("fngate_async_event_age_seconds_count", a): 4,
                ("fngate_async_events_dropped_total", a + ',reason="RetriesExhausted"'): 1,
                ("fngate_async_events_dropped_total", a + ',reason="EventAgeExceeded"'): 0,
                ("fngate_destination_delivery_failures_total", a): 1, ("fngate_dead_letters", a): 1,
                ("fngate_invocations_total", a): 4, ("fngate_errors_total", a + ',kind="function"'): 1,
                ("fngate_async_events_ready", a): 0, ("fngate_async_events_retrying", a): 0}
        for k, v in want.items():
            check(s.get(k) == v, "%s = %s, want %s" % (k, s.get(k), v))


def test_front_door_by_route_and_status_and_open_connections(tmp):
    conf = ("functions:\n  H:\n    runtime: python3\n    handler: app.route\n    code: %s\n    events:\n"
            "      - http: GET /hello\n      - http: GET /status/{code}\n"
            "      - http: {method: GET, path: /limited, rate: {per_second: 1, burst: 1}}\n" % code_dir(tmp))
    with Gateway(tmp, conf) as gw:
        for path, status in [("/hello", 200)] * 3 + [("/status/201", 201), ("/status/299", 299), ("/nope", 404),
                                                     ("/limited", 200), ("/limited", 429)]:
            got = gw.request("GET", path)[0]
            check(got == status, "%s: %d, want %d" % (path, got, status))
        check(gw.request("POST", "/hello")[0] == 405, "method not allowed")
        check(gw.request("POST", "/2015-03-31/functions/Nope/invocations", b"{}")[0] == 404, "no such function")
        # Two connections left open: the gauge counts them, and their closing.
        conns = [gw.conn() for _ in range(2)]
        for c in conns:
            c.request("GET", "/hello")
            c.getresponse().read()
        s = scrape(gw)
        want = {("GET /hello", "200"): 5, ("GET /status/{code}", "201"): 1, ("GET /status/{code}", "2xx"): 1,
                ("GET /limited", "200"): 1, ("GET /limited", "429"): 1, ("unmatched", "404"): 1,
                ("unmatched", "405"): 1, ("invoke", "404"): 1}
        got = {(re.search(r'route="([^"]*)"', k[1]).group(1), re.search(r'code="([^"]*)"', k[1]).group(1)): v
               for k, v in s.items() if k[0] == "fngate_http_requests_total"}
        check(got == want, "requests by route and code: %r, want %r" % (got, want))
        # The connections of the requests above may still be closing: the two stay.
        wait_until(lambda: scrape(gw)[("fngate_http_open_connections", "")] == 2, 10, "two open connections",
                   seen=lambda: scrape(gw)[("fngate_http_open_connections", "")])
        for c in conns:
            c.close()
        wait_until(lambda: scrape(gw)[("fngate_http_open_connections", "")] == 0, 10, "the connections to close")


def test_front_door_counts_sum_across_a_reload(tmp):
    """A reload makes a new route table; requests count in the one they started with, and
    a scrape sums them by route, so a route kept across the reload keeps counting up."""
    def conf(routes):
        return ("functions:\n  H:\n    runtime: python3\n    handler: app.route\n    code: %s\n    events:\n%s"
                "isolation: {enabled: false}\n" % (code_dir(tmp), "".join("      - http: GET %s\n" % r for r in routes)))
    with Gateway(tmp, conf(["/a", "/gone"])) as gw:
        for path in ("/a", "/a", "/gone"):
            check(gw.request("GET", path)[0] == 200, path)
        write(gw.config, conf(["/a", "/b"]))
        before = gw.stderr().count("reloaded ")
        gw.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: gw.stderr().count("reloaded ") > before, 20, "the reload", seen=gw.stderr)
        for path, status in (("/a", 200), ("/b", 200), ("/gone", 404)):
            check(gw.request("GET", path)[0] == status, path)
        s = scrape(gw)
        got = {(re.search(r'route="([^"]*)"', k[1]).group(1), re.search(r'code="([^"]*)"', k[1]).group(1)): v
               for k, v in s.items() if k[0] == "fngate_http_requests_total"}
        want = {("GET /a", "200"): 3, ("GET /b", "200"): 1, ("GET /gone", "200"): 1, ("unmatched", "404"): 1}
        check(got == want, "requests by route and code across the reload: %r, want %r" % (got, want))


QUEUE_PY = """
import base64, json, os, time
def held(name):
    end = time.time() + 25
    while not os.path.exists(os.environ["OUT"] + ".release") and time.time() < end:
        time.sleep(0.02)

def queue(event, context):
    for r in event["Records"]:
        if r["body"].startswith("hold"):
            held(r["body"])
        if r["body"].startswith("poison"):
            raise Exception("poison")

def topic(event, context):
    pass

def stream(event, context):
    for recs in event["records"].values():
        for r in recs:
            v = json.loads(base64.b64decode(r["value"]))["v"]
            if v.startswith("hold"):
                held(v)
            if v.startswith("poison"):
                raise Exception("poison")
"""


def sources_conf(tmp, events, timeout=30):
    """functions: (name, handler in QUEUE_PY, one event) each; {timeout: seconds} per name."""
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), QUEUE_PY)
    return "functions:\n" + "".join(
        "  %s:\n    runtime: python3\n    handler: app.%s\n    code: %s\n    timeout: %d\n    concurrency: 2\n"
        "    environment: {OUT: %s}\n    events:\n      - %s\n"
        % (name, handler, code, timeout if isinstance(timeout, int) else timeout.get(name, 30),
           os.path.join(tmp, "out"), ev)
        for name, handler, ev in events)


def test_redis_queue_and_topic_sources(tmp):
    with Redis(tmp) as redis:
        # jobs: a visibility timeout of 1 s (so the function's timeout is 1 s) redelivers the
        # poison message at once; held: a message held for a while is not redelivered.
        conf = sources_conf(tmp, [
            ("H", "queue", "queue: {redis: %s, stream: held, visibility_timeout: 60s}" % redis.url),
            ("Q", "queue", "queue: {redis: %s, stream: jobs, batch_size: 1, visibility_timeout: 1s, max_receive_count: 2,"
                           " dead_letter_stream: jobs-dlq, filter_criteria: {filters: [{pattern: '{\"body\": [{\"prefix\": \"ok\"},"
                           " {\"prefix\": \"poison\"}, {\"prefix\": \"hold\"}]}'}]}}" % redis.url),
            ("T", "topic", "topic: {redis: %s, channel: news}" % redis.url)], timeout={"Q": 1})
        with Gateway(tmp, conf) as gw:
            # A held message is the oldest pending entry: its age grows while it runs, and
            # goes back to 0 once it is acknowledged.
            redis.cmd("XADD", "held", "*", "body", "hold")
            wait_until(lambda: (source(scrape(gw), "iterator_age_seconds", "held") or 0) >= 0.5, 15,
                       "the held message's age", seen=lambda: source(scrape(gw), "iterator_age_seconds", "held"))
            write(os.path.join(tmp, "out.release"), "")
            wait_until(lambda: source(scrape(gw), "iterator_age_seconds", "held") == 0, 15,
                       "the held message acknowledged", seen=lambda: source(scrape(gw), "iterator_age_seconds", "held"))
            for body in ("ok1", "skip", "poison", "ok2"):
                redis.cmd("XADD", "jobs", "*", "body", body)
            wait_until(lambda: redis.cmd("XLEN", "jobs-dlq") == 1, 30, "the poison message in the dead-letter stream")

            def settled():
                s = scrape(gw)
                return source(s, "acknowledged_total", "jobs") == 3 and \
                    source(s, "iterator_age_seconds", "jobs") == 0 and s
            s = wait_until(settled, 15, "every message finished",
                           seen=lambda: {k: v for k, v in scrape(gw).items() if 'source="jobs"' in k[1]})
            # ok1, skip, poison, ok2 once; poison again after its visibility timeout; its third
            # receive moves it to the dead-letter stream instead. Filtered ones are acknowledged.
            want = {"received_total": 5, "acknowledged_total": 3, "failed_total": 2, "filtered_total": 1,
                    "redelivered_total": 1, "given_up_total": 1, "up": 1}
            for k, v in want.items():
                check(source(s, k, "jobs") == v, "jobs %s = %s, want %s" % (k, source(s, k, "jobs"), v))
            check(value(s, "fngate_source_received_total", source="jobs", trigger="queue", function="Q") == 5, s)
            check(source(s, "acknowledged_total", "held") == 1 and source(s, "redelivered_total", "held") == 0, s)

            wait_until(lambda: redis.cmd("PUBSUB", "NUMSUB", "news")[1] == 1, 10, "the topic subscription")
            redis.cmd("PUBLISH", "news", "a")
            redis.cmd("PUBLISH", "news", "b")
            s = wait_until(lambda: (lambda s: source(s, "acknowledged_total", "news") == 2 and s)(scrape(gw)), 10,
                           "both topic messages stored")
            for k, v in {"received_total": 2, "failed_total": 0, "filtered_total": 0, "up": 1}.items():
                check(source(s, k, "news") == v, "news %s = %s, want %s" % (k, source(s, k, "news"), v))
            check(source(s, "redelivered_total", "news") is None, "a topic has no redeliveries to show")


def test_kafka_stream_source(tmp):
    with KafkaMock() as kafka:
        kafka.topic("jobs", 1)
        props = "{'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'topic.metadata.refresh.interval.ms': 1000}"
        conf = sources_conf(tmp, [
            ("K", "stream", "stream: {kafka: {brokers: '%s', properties: %s}, topic: jobs, batch_size: 1,"
                            " maximum_batching_window: 10ms, maximum_retry_attempts: 1, filter_criteria: {filters:"
                            " [{pattern: {value: {v: [{prefix: ok}, {prefix: poison}, {prefix: hold}]}}}]}}"
                            % (kafka.bootstrap, props))])
        with Gateway(tmp, conf) as gw:
            wait_until(lambda: "assigned" in gw.stderr(), 30, "the partition assignment")
            kafka.produce("jobs", 0, '{"v":"hold"}')
            wait_until(lambda: (source(scrape(gw), "iterator_age_seconds", "jobs") or 0) >= 0.5, 15,
                       "the held record's age", seen=lambda: source(scrape(gw), "iterator_age_seconds", "jobs"))
            write(os.path.join(tmp, "out.release"), "")
            for v in ("ok1", "skip", "poison", "ok2"):
                kafka.produce("jobs", 0, '{"v":"%s"}' % v)
            wait_until(lambda: gw.view("streams")[0]["committed"].get("0") == 5, 30, "every record committed",
                       seen=lambda: gw.view("streams")[0])

            def settled():
                s = scrape(gw)
                return source(s, "acknowledged_total", "jobs") == 4 and \
                    source(s, "iterator_age_seconds", "jobs") == 0 and s
            s = wait_until(settled, 10, "the counts", seen=lambda: {k: v for k, v in scrape(gw).items()
                                                                    if 'source="jobs"' in k[1]})
            # poison fails twice (maximum_retry_attempts 1) and goes to the dead letters.
            want = {"received_total": 5, "acknowledged_total": 4, "failed_total": 2, "filtered_total": 1,
                    "redelivered_total": 1, "given_up_total": 1, "iterator_age_seconds": 0, "up": 1}
            for k, v in want.items():
                check(source(s, k, "jobs") == v, "jobs %s = %s, want %s" % (k, source(s, k, "jobs"), v))
            check(value(s, "fngate_source_up", trigger="stream", function="K") == 1, s)


def test_schedule_folder_and_s3_sources(tmp):
    s3_port = free_port()
    os.makedirs(os.path.join(tmp, "in"))
    os.makedirs(os.path.join(tmp, "data", "s3", "uploads"))
    conf = "s3: {listen: 127.0.0.1:%d, root: ./data/s3}\n" % s3_port + sources_conf(tmp, [
        ("S", "topic", "schedule: {expression: rate(1 second), name: tick}"),
        ("F", "topic", "fs: {path: %s, name: inbox}" % os.path.join(tmp, "in")),
        ("U", "topic", "s3: {bucket: uploads, name: up, suffix: .txt}")])
    with Gateway(tmp, conf) as gw:
        for name in ("a", "b"):
            write(os.path.join(tmp, "in", name), "x")
        c = http.client.HTTPConnection("127.0.0.1", s3_port, timeout=30)
        for key in ("k1.txt", "k2.txt", "k3.bin"):
            c.request("PUT", "/uploads/" + key, body=b"data")
            r = c.getresponse()
            r.read()
            check(r.status == 200, "PUT %s: %d" % (key, r.status))
        c.close()

        def settled():
            s = scrape(gw)
            ok = (source(s, "acknowledged_total", "inbox") == 2 and source(s, "acknowledged_total", "up") == 2 and
                  (source(s, "acknowledged_total", "tick") or 0) >= 2 and
                  source(s, "acknowledged_total", "tick") == source(s, "received_total", "tick") and
                  (s.get(("fngate_schedule_fire_lateness_seconds_count", "")) or 0) >= 1)
            return ok and s
        s = wait_until(settled, 30, "the folder's, the endpoint's and two schedule fires stored",
                       seen=lambda: {k: v for k, v in scrape(gw).items() if k[0].startswith("fngate_s")})
        for src, want in {"inbox": {"received_total": 2, "failed_total": 0, "filtered_total": 0},
                          "up": {"received_total": 2, "failed_total": 0, "filtered_total": 0},
                          "tick": {"failed_total": 0}}.items():
            for k, v in want.items():
                check(source(s, k, src) == v, "%s %s = %s, want %s" % (src, k, source(s, k, src), v))
        check(value(s, "fngate_schedule_missed_ticks_total", source="tick", trigger="schedule", function="S") == 0, s)
        check(value(s, "fngate_source_received_total", trigger="fs", function="F") == 2, s)
        check(value(s, "fngate_source_received_total", trigger="s3", function="U") == 2, s)


def test_a_real_prometheus_scrapes_it(tmp):
    need_prometheus()
    conf = ("functions:\n  M:\n    runtime: python3\n    handler: app.route\n    code: %s\n    events:\n"
            "      - http: GET /hello\n" % code_dir(tmp))
    with Gateway(tmp, conf) as gw:
        for _ in range(5):
            check(gw.request("GET", "/hello")[0] == 200, "hello")
        scrape(gw)          # promtool passes on this text too
        token_file = write(os.path.join(tmp, "admin.token"), gw.admin_token, 0o600)
        port = free_port()
        prom_conf = write(os.path.join(tmp, "prometheus.yml"),
                          "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                          "scrape_configs:\n"
                          "  - job_name: fngate\n"
                          "    authorization: {credentials_file: %s}\n"
                          "    static_configs: [{targets: ['127.0.0.1:%d']}]\n" % (token_file, gw.admin_port))
        p = subprocess.run(["promtool", "check", "config", prom_conf], capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, "promtool check config: %s %s" % (p.stdout, p.stderr))
        log = open(os.path.join(tmp, "prometheus.log"), "wb")
        prom = subprocess.Popen(["prometheus", "--config.file=" + prom_conf,
                                 "--storage.tsdb.path=" + os.path.join(tmp, "prom-data"),
                                 "--web.listen-address=127.0.0.1:%d" % port], stdout=log, stderr=log)
        try:
            def query(q):
                url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (port, urllib.parse.quote(q))
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        out = json.loads(r.read())
                except OSError:
                    return None
                return out["data"]["result"] if out.get("status") == "success" else None

            def seen():
                return {"up": query('up{job="fngate"}'), "log": open(log.name, errors="replace").read()[-2000:]}
            got = wait_until(lambda: query('fngate_http_requests_total{route="GET /hello",code="200"}'), 60,
                             "Prometheus to have scraped fngate", seen=seen)
            check(got[0]["value"][1] == "5" and got[0]["metric"]["job"] == "fngate", got)
            up = query('up{job="fngate"}')
            check(up and up[0]["value"][1] == "1", "the scrape is up: %r" % up)
            inv = wait_until(lambda: query('fngate_invocations_total{function="M"}'), 10, "the invocation count")
            check(inv[0]["value"][1] == "5", inv)
        finally:
            prom.terminate()
            prom.wait(30)
            log.close()
