# SPDX-License-Identifier: MIT
"""The console's time series (issue 18, contract item 6): GET /_fngate/functions/NAME/metrics
and GET /_fngate/metrics/summary. Invocations, a function error and a throttle (reserved
concurrency 1, two calls at once) show in the current minute's bucket with durations and
concurrency; an async event that fails with no retries is dead-lettered in its bucket, with
its async event age; a Redis queue batch's iterator age is the age of its oldest record; every
period answers every bucket, aligned to its step; another period is 400, an unknown function
404; a reload keeps a kept function's series and drops a removed one's. Waits are on the
admin API, bounded."""
import json
import os
import signal
import threading
import time

from harness import Gateway, KafkaMock, Redis, check, wait_until, write

PY = """import os, time
def handler(event, context):
    if event.get("fail"):
        raise ValueError("no")
    if event.get("hold"):
        end = time.time() + 20
        while not os.path.exists(event["hold"]) and time.time() < end:
            time.sleep(0.01)
    return {"ok": True}

def queue(event, context):
    return {}

def stream(event, context):
    return {}
"""


def conf(tmp, names=("M", "A"), extra=""):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    fns = {
        "M": "    concurrency: 1\n",
        "A": "    retries: {maximum_retry_attempts: 0}\n",
        "B": "",
    }
    return "functions:\n" + "".join(
        "  %s:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    timeout: 30\n%s" % (n, code, fns[n])
        for n in names) + extra


def series(gw, name, period="1h"):
    status, headers, body = gw.admin("GET", "/_fngate/functions/%s/metrics?period=%s" % (name, period))
    check(status == 200 and headers["content-type"] == "application/json", (status, body))
    return json.loads(body)


def total(s, key):
    return sum(p[key] for p in s["points"])


def now_bucket(s):
    """The points holding now or the minute before (a test may straddle a minute)."""
    now = time.time() * 1000
    return [p for p in s["points"] if p["t"] > now - 2 * s["stepMs"]]


def test_invocations_errors_throttles_in_the_current_bucket(tmp):
    with Gateway(tmp, conf(tmp)) as gw:
        s = series(gw, "M")
        check(len(s["points"]) == 60 and total(s, "invocations") == 0, s)
        before = time.time() * 1000
        for _ in range(3):
            check(gw.invoke("M", {})[0] == 200, "success")
        check(gw.invoke("M", {"fail": True})[1].get("x-amz-function-error") == "Unhandled", "a function error")
        # Reserved concurrency 1: a second call while one runs is throttled.
        release = os.path.join(tmp, "release")
        held = []
        starts = gw.stdout().count("START RequestId")
        t = threading.Thread(target=lambda: held.append(gw.invoke("M", {"hold": release})))
        t.start()
        wait_until(lambda: gw.stdout().count("START RequestId") > starts, 15, "the held call to start")
        check(gw.invoke("M", {})[0] == 429, "throttled")
        write(release, "")
        t.join()
        check(held and held[0][0] == 200, held)
        after = time.time() * 1000
        s = wait_until(lambda: (lambda s: total(s, "invocations") == 5 and s)(series(gw, "M")), 10,
                       "5 invocations in M's series", seen=lambda: series(gw, "M"))
        check(s["period"] == "1h" and s["stepMs"] == 60000, s)
        busy = [p for p in s["points"] if p["invocations"]]
        check(busy and all(before - 60000 < p["t"] <= after for p in busy), "in the current bucket: %r" % busy)
        check(busy[-1] in s["points"][-2:], "the last points hold now: %r" % s["points"][-2:])
        check(total(s, "errors") == 1 and total(s, "throttles") == 1, s["points"][-2:])
        check(all(p["durationAvgMs"] is not None and p["durationP99Ms"] is not None for p in busy), busy)
        check(max(p["concurrentMax"] for p in busy) == 1, busy)
        check(all(p["deadLetters"] == 0 and p["asyncEventAgeMaxMs"] is None and p["iteratorAgeMaxMs"] is None
                  for p in s["points"]), busy)
        idle = [p for p in s["points"] if not p["invocations"]]
        check(all(p["durationAvgMs"] is None and p["durationP99Ms"] is None and p["concurrentMax"] == 0
                  and p["errors"] == 0 and p["throttles"] == 0 for p in idle), "idle minutes are zeros")
        # The held call ran longest: p99 of its bucket is near its duration, above the average.
        slowest = max(busy, key=lambda p: p["durationP99Ms"])
        check(slowest["durationP99Ms"] >= slowest["durationAvgMs"], slowest)

        # The summary: every function, over the last hour.
        status, _, body = gw.admin("GET", "/_fngate/metrics/summary?period=1h")
        check(status == 200, (status, body))
        got = json.loads(body)
        check(got == {"functions": {"M": {"invocations": 5, "errors": 1, "throttles": 1},
                                    "A": {"invocations": 0, "errors": 0, "throttles": 0}}}, got)
        status, _, body = gw.admin("GET", "/_fngate/metrics/summary")
        check(status == 200 and json.loads(body) == got, "the period defaults to 1h: %r" % body)


def test_dead_letters_and_async_age(tmp):
    with Gateway(tmp, conf(tmp)) as gw:
        check(gw.invoke("A", {"fail": True}, {"X-Amz-Invocation-Type": "Event"})[0] == 202, "accepted")
        check(gw.invoke("A", {}, {"X-Amz-Invocation-Type": "Event"})[0] == 202, "accepted")
        s = wait_until(lambda: (lambda s: total(s, "deadLetters") == 1 and total(s, "invocations") == 2 and s)(
            series(gw, "A")), 30, "the failed event dead-lettered", seen=lambda: series(gw, "A")["points"][-2:])
        check(total(s, "errors") == 1, s["points"][-2:])
        recent = now_bucket(s)
        check(sum(p["deadLetters"] for p in recent) == 1, "dead-lettered in the current bucket: %r" % recent)
        ages = [p["asyncEventAgeMaxMs"] for p in recent if p["asyncEventAgeMaxMs"] is not None]
        check(ages and all(a >= 0 for a in ages), recent)
        dlq = gw.view("dlq")
        check(len(dlq["items"] if isinstance(dlq, dict) else dlq) == 1, dlq)


def test_periods_and_validation(tmp):
    with Gateway(tmp, conf(tmp)) as gw:
        check(gw.invoke("M", {})[0] == 200, "success")
        for period, n, step in (("1h", 60, 60000), ("3h", 180, 60000), ("12h", 144, 300000), ("24h", 144, 600000)):
            s = series(gw, "M", period)
            now = time.time() * 1000
            ts = [p["t"] for p in s["points"]]
            check(s["period"] == period and s["stepMs"] == step and len(ts) == n, (period, s["stepMs"], len(ts)))
            check(all(t % step == 0 for t in ts) and all(b - a == step for a, b in zip(ts, ts[1:])),
                  "%s: aligned, every bucket present" % period)
            check(ts[-1] <= now < ts[-1] + step + 2000 and now - ts[0] <= 24 * 3600 * 1000, (period, ts[0], ts[-1], now))
            check(total(s, "invocations") == 1, (period, [p for p in s["points"] if p["invocations"]]))
        for bad in ("2h", "1H", "", "24h%00", "1d"):
            status, _, body = gw.admin("GET", "/_fngate/functions/M/metrics?period=" + bad)
            check(status == 400 and "period" in json.loads(body)["message"], (bad, status, body))
            status, _, body = gw.admin("GET", "/_fngate/metrics/summary?period=" + bad)
            check(status == 400, (bad, status, body))
        status, _, body = gw.admin("GET", "/_fngate/functions/Nope/metrics?period=1h")
        check(status == 404 and json.loads(body) == {"message": "no function named Nope"}, (status, body))
        status, _, _ = gw.admin("POST", "/_fngate/functions/M/metrics", body="{}")
        check(status == 405, status)
        status, _, _ = gw.admin("GET", "/_fngate/functions/M/metrics", token=False)
        check(status == 401, status)


def test_a_reload_keeps_kept_functions_series(tmp):
    with Gateway(tmp, conf(tmp, ("M", "B"))) as gw:
        for name in ("M", "M", "B"):
            check(gw.invoke(name, {})[0] == 200, name)
        write(gw.config, conf(tmp, ("M",)) + "isolation: {enabled: false}\n")
        before = gw.stderr().count("reloaded ")
        gw.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: gw.stderr().count("reloaded ") > before, 20, "the reload", seen=gw.stderr)
        check(total(series(gw, "M"), "invocations") == 2, "M's series kept")
        status, _, body = gw.admin("GET", "/_fngate/functions/B/metrics?period=1h")
        check(status == 404, (status, body))
        status, _, body = gw.admin("GET", "/_fngate/metrics/summary?period=1h")
        check(json.loads(body) == {"functions": {"M": {"invocations": 2, "errors": 0, "throttles": 0}}}, body)
        # Added back, it starts afresh.
        write(gw.config, conf(tmp, ("M", "B")) + "isolation: {enabled: false}\n")
        before = gw.stderr().count("reloaded ")
        gw.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: gw.stderr().count("reloaded ") > before, 20, "the reload", seen=gw.stderr)
        check(total(series(gw, "B"), "invocations") == 0, "B's series starts empty")


def test_iterator_age_of_a_queue_batch(tmp):
    with Redis(tmp) as redis:
        extra = ("  Q:\n    runtime: python3\n    handler: app.queue\n    code: %s\n    timeout: 5\n    events:\n"
                 "      - queue: {redis: %s, stream: jobs, batch_size: 10}\n" % (os.path.join(tmp, "code"), redis.url))
        with Gateway(tmp, conf(tmp, ("M",)) + extra) as gw:
            s = series(gw, "Q")
            check(all(p["iteratorAgeMaxMs"] == 0 for p in s["points"]), "a queue's function: 0 without batches")
            check(all(p["iteratorAgeMaxMs"] is None for p in series(gw, "M")["points"]), "no queue: null")
            # An entry whose id says Redis added it 90 s ago: the batch's age is at least that.
            old = int(time.time() * 1000) - 90000
            redis.cmd("XADD", "jobs", "%d-1" % old, "body", "old")
            redis.cmd("XADD", "jobs", "*", "body", "new")
            s = wait_until(lambda: (lambda s: total(s, "invocations") >= 1 and s)(series(gw, "Q")), 20,
                           "the batch invoked", seen=lambda: series(gw, "Q")["points"][-2:])
            age = max(p["iteratorAgeMaxMs"] for p in now_bucket(s))
            check(90000 <= age < 90000 + 20000, "iterator age %s, want about 90 s" % age)


def test_iterator_age_of_a_stream_batch(tmp):
    """A Kafka record produced before the gateway started (TRIM_HORIZON) is at least that
    old when its batch is invoked: its timestamp, as the source's IteratorAge reads it."""
    with KafkaMock() as kafka:
        kafka.topic("jobs", 1)
        produced = time.time() * 1000
        kafka.produce("jobs", 0, '{"v":"old"}')
        props = "{'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'topic.metadata.refresh.interval.ms': 1000}"
        extra = ("  K:\n    runtime: python3\n    handler: app.stream\n    code: %s\n    timeout: 5\n    events:\n"
                 "      - stream: {kafka: {brokers: '%s', properties: %s}, topic: jobs, starting_position: TRIM_HORIZON,"
                 " batch_size: 1, maximum_batching_window: 10ms}\n" % (os.path.join(tmp, "code"), kafka.bootstrap, props))
        with Gateway(tmp, conf(tmp, ("M",)) + extra) as gw:
            started = time.time() * 1000
            s = wait_until(lambda: (lambda s: total(s, "invocations") == 1 and s)(series(gw, "K")), 30,
                           "the record's batch invoked", seen=lambda: series(gw, "K")["points"][-2:])
            invoked = time.time() * 1000
            age = max(p["iteratorAgeMaxMs"] for p in now_bucket(s))
            check(started - produced - 1000 <= age <= invoked - produced + 1000,
                  "iterator age %s, want between %d and %d" % (age, started - produced, invoked - produced))
