# SPDX-License-Identifier: MIT
"""Reloading the configuration of a running gateway (SIGHUP, `fngate reload`;
gateway/reload.c, router/reconfig.c): under a steady load on one route, a reload adds a
route, removes another and changes the first function's environment. No call fails that
should have succeeded, calls made after the reload see the new environment, async events
accepted before it run, a Kafka consumer whose events did not change keeps its partition
and offsets, and a broken file changes nothing and is reported with its position."""
import json
import os
import signal
import threading
import time

from harness import Gateway, KafkaMock, check, json_lines, run_cli, wait_until, write

API = """import os, time
def handler(event, context):
    time.sleep(0.02)
    return {"statusCode": 200, "body": os.environ["VERSION"]}
"""

SLOW = """import json, os, time
def handler(event, context):
    time.sleep(0.5)
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps(event) + "\\n")
"""

STREAM = """import base64, json, os
def handler(event, context):
    with open(os.environ["OUT"], "a") as f:
        for recs in event["records"].values():
            for r in recs:
                f.write(json.dumps({"o": r["offset"], "v": base64.b64decode(r["value"]).decode()}) + "\\n")
"""

KAFKA_PROPS = "{'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'topic.metadata.refresh.interval.ms': 1000}"


def config(tmp, kafka, version, old=True, new=False, broken=False):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "api.py"), API)
    write(os.path.join(code, "slow.py"), SLOW)
    write(os.path.join(code, "stream.py"), STREAM)
    fn = "    runtime: python3\n    code: %s\n" % code
    conf = "functions:\n"
    conf += "  api:\n%s    handler: api.handler\n    environment: {VERSION: %s}\n" % (fn, version)
    conf += "    events:\n      - http: GET /api\n"
    if old:
        conf += "  old:\n%s    handler: api.handler\n    environment: {VERSION: old}\n" % fn
        conf += "    events:\n      - http: GET /old\n"
    if new:
        conf += "  new:\n%s    handler: api.handler\n    environment: {VERSION: new}\n" % fn
        conf += "    events:\n      - http: GET /new\n"
    conf += "  slow:\n%s    handler: slow.handler\n    concurrency: 1\n" % fn
    conf += "    environment: {OUT: %s}\n" % os.path.join(tmp, "slow.txt")
    conf += "  K:\n%s    handler: stream.handler\n    environment: {OUT: %s}\n" % (fn, os.path.join(tmp, "stream.txt"))
    conf += ("    events:\n      - stream: {kafka: {brokers: '%s', properties: %s}, topic: orders, batch_size: 10,"
             " maximum_batching_window: 0s}\n" % (kafka.bootstrap, KAFKA_PROPS))
    if broken:
        conf += "    memroy: 256\n"
    # As the harness would add it (a reload that changed it would restart every source).
    return conf + "isolation: {enabled: false}\n"


def committed(gw):
    return {int(p): o for p, o in gw.view("streams")[0]["committed"].items()}


class Load:
    """Calls GET /api back to back on a thread until stopped (at most 60 s), noting each
    call's start time, status and body."""

    def __init__(self, gw):
        self.gw, self.calls, self.stop = gw, [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        until = time.time() + 60
        while not self.stop.is_set() and time.time() < until:
            t = time.time()
            try:
                status, _, body = self.gw.request("GET", "/api", timeout=10)
            except OSError as e:
                status, body = "error %s" % e, b""
            self.calls.append((t, status, body.decode(errors="replace")))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(15)


def test_reload_under_load(tmp):
    with KafkaMock() as kafka:
        kafka.topic("orders", 1)
        with Gateway(tmp, config(tmp, kafka, "v1")) as gw:
            wait_until(lambda: "assigned" in gw.stderr(), 30, "the partition assignment")
            for i in range(5):
                kafka.produce("orders", 0, "a%d" % i)
            wait_until(lambda: committed(gw) == {0: 5}, 30, "the first records committed")
            check(gw.request("GET", "/old")[0] == 200, "the route to be removed answers before the reload")
            # Async events accepted before the reload, still queued or running during it.
            for i in range(3):
                status, _, body = gw.request("POST", "/2015-03-31/functions/slow/invocations", json.dumps({"n": i}),
                                             {"X-Amz-Invocation-Type": "Event"})
                check(status == 202, "async accept %d: %s %s" % (i, status, body))
            with Load(gw) as load:
                wait_until(lambda: len(load.calls) >= 20, 20, "the load under way")
                write(gw.config, config(tmp, kafka, "v2", old=False, new=True))
                before = gw.stderr().count("reloaded ")
                gw.proc.send_signal(signal.SIGHUP)
                wait_until(lambda: gw.stderr().count("reloaded ") > before, 20, "the reload", seen=gw.stderr)
                reloaded_at = time.time()
                n_at_reload = len(load.calls)
                wait_until(lambda: len(load.calls) >= n_at_reload + 20, 20, "calls after the reload")
            bad = [c for c in load.calls if c[1] != 200]
            check(not bad, "every call during the reload succeeded: %r" % bad[:5])
            after = [c for c in load.calls if c[0] > reloaded_at]
            check(after and all(c[2] == "v2" for c in after),
                  "calls made after the reload see the new environment: %r" % [c[2] for c in after][:10])
            check(any(c[2] == "v1" for c in load.calls), "calls before it saw the old one")
            check(gw.request("GET", "/new")[0] == 200, "the added route answers")
            check(gw.request("GET", "/new")[2] == b"new", "with its own function")
            check(gw.request("GET", "/old")[0] == 404, "the removed route is gone")
            line = [l for l in gw.stderr().splitlines() if "reloaded " in l][-1]
            check("1 function(s) added, 1 removed, 1 changed" in line and "sources restarted: none" in line,
                  "the reload's summary: %s" % line)
            # Nothing accepted was dropped.
            wait_until(lambda: len(json_lines(os.path.join(tmp, "slow.txt"))) == 3, 20,
                       "the async events accepted before the reload")
            check(sorted(e["n"] for e in json_lines(os.path.join(tmp, "slow.txt"))) == [0, 1, 2], "each once")
            # The consumer was not restarted: its offsets and assignment stand.
            for i in range(5, 7):
                kafka.produce("orders", 0, "a%d" % i)
            wait_until(lambda: committed(gw) == {0: 7}, 30, "the records after the reload committed")
            got = [r["v"] for r in json_lines(os.path.join(tmp, "stream.txt"))]
            check(got == ["a%d" % i for i in range(7)], "every record once, in order: %r" % got)

            # A broken file: refused with its position, the running configuration stays.
            write(gw.config, config(tmp, kafka, "v3", old=False, new=True, broken=True))
            gw.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "reload refused" in gw.stderr(), 20, "the refusal", seen=gw.stderr)
            refusal = [l for l in gw.stderr().splitlines() if "reload refused" in l][-1]
            check(gw.config + ":" in refusal and "memroy" in refusal, "the refusal names file:line:col: %s" % refusal)
            check(gw.request("GET", "/api")[2] == b"v2", "the old configuration keeps serving")
            r = run_cli("reload", "-c", gw.config, *gw.admin_args())
            check(r.returncode == 1 and gw.config + ":" in r.stderr, "fngate reload reports it: %r" % (r,))
            check(gw.request("GET", "/new")[0] == 200, "still serving the routes it had")
            # Fixed, through the CLI.
            write(gw.config, config(tmp, kafka, "v3", old=False, new=True))
            r = run_cli("reload", "-c", gw.config, "--json", *gw.admin_args())
            check(r.returncode == 0, r.stderr)
            answer = json.loads(r.stdout)
            check(answer["reloaded"] and answer["functions"]["changed"] == 1 and answer["restarted"] == [],
                  "fngate reload's answer: %r" % answer)
            check(gw.request("GET", "/api")[2] == b"v3", "the fixed file applies")
            r = run_cli("reload", "-c", gw.config, *gw.admin_args())
            check(r.returncode == 0 and "unchanged" in r.stdout, "an unchanged file: %r" % (r,))


def test_removed_function_async_events_are_dead_lettered(tmp):
    """An async event queued for a function a reload removes follows the FunctionNotFound rule."""
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "slow.py"), SLOW)
    base = ("isolation: {enabled: false}\nfunctions:\n  keep:\n    runtime: python3\n    code: %s\n    handler: slow.handler\n"
            "    environment: {OUT: %s}\n" % (code, os.path.join(tmp, "keep.txt")))
    gone = ("  gone:\n    runtime: python3\n    code: %s\n    handler: slow.handler\n    concurrency: 1\n"
            "    environment: {OUT: %s}\n" % (code, os.path.join(tmp, "gone.txt")))
    with Gateway(tmp, base + gone) as gw:
        for i in range(4):
            status, _, _ = gw.request("POST", "/2015-03-31/functions/gone/invocations", json.dumps({"n": i}),
                                      {"X-Amz-Invocation-Type": "Event"})
            check(status == 202, "accepted")
        write(gw.config, base)
        r = run_cli("reload", "-c", gw.config, "--json", *gw.admin_args())
        check(r.returncode == 0 and json.loads(r.stdout)["functions"]["removed"] == 1, r.stdout + r.stderr)
        status, _, _ = gw.request("POST", "/2015-03-31/functions/gone/invocations", "{}",
                                  {"X-Amz-Invocation-Type": "Event"})
        check(status == 404, "a removed function takes no new events: %s" % status)
        # The one running finishes; the queued ones are dead letters, none lost.
        def accounted():
            ran = len(json_lines(os.path.join(tmp, "gone.txt")))
            dead = json.loads(gw.admin("GET", "/_fngate/dlq?function=gone")[2])["items"]
            return ran + len(dead) == 4 and (ran, dead)
        ran, dead = wait_until(accounted, 20, "every accepted event run or dead-lettered")
        check(ran >= 1 and dead and all("FunctionNotFound" in json.dumps(d) for d in dead),
              "the FunctionNotFound rule: ran %d, dead letters %r" % (ran, dead))
        wait_until(lambda: "removed by a reload, drained" in gw.stderr(), 20, "the removed function freed",
                   seen=lambda: gw.stderr()[-3000:])


TICK = """import json, os, time
def handler(event, context):
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps({"time": event["time"], "v": os.environ["VERSION"]}) + "\\n")
"""


def test_schedule_keeps_its_last_fire(tmp):
    """A reload that changes a scheduled function starts the schedules again; they know
    what they fired for since the gateway started (not only what the state file held at
    start), so catch_up: all fires no tick twice."""
    code = os.path.join(tmp, "code")
    out = os.path.join(tmp, "ticks.txt")
    write(os.path.join(code, "tick.py"), TICK)

    def conf(v):
        return ("isolation: {enabled: false}\nfunctions:\n  Tick:\n    runtime: python3\n    handler: tick.handler\n"
                "    code: %s\n    environment: {OUT: %s, VERSION: '%s'}\n    events:\n"
                "      - schedule: {expression: rate(1 second), catch_up: all, max_catch_up: 1h}\n" % (code, out, v))

    def ticks():
        return json_lines(out)

    with Gateway(tmp, conf(1)) as gw:
        wait_until(lambda: len(ticks()) >= 2, 15, "fires before the restart")
    # The state file now holds a last fire: the next start's snapshot has it.
    with Gateway(tmp, conf(1)) as gw:
        n = len(ticks())
        wait_until(lambda: len(ticks()) >= n + 3, 15, "fires after the restart")
        write(gw.config, conf(2))
        r = run_cli("reload", "-c", gw.config, "--json", *gw.admin_args())
        check(r.returncode == 0 and json.loads(r.stdout)["restarted"] == ["schedule"], r.stdout + r.stderr)
        wait_until(lambda: sum(t["v"] == "2" for t in ticks()) >= 2, 15, "fires of the reloaded schedule")
    times = [t["time"] for t in ticks()]
    check(len(times) == len(set(times)), "no tick fired twice across the reload: %s" % times)
    check([t["v"] for t in ticks()][-1] == "2", "the new environment runs")
