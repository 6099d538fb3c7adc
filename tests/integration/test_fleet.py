# SPDX-License-Identifier: MIT
"""Fleet mode (`state: {backend: redis}`): several `fngate serve` processes, each in its own
directory (config, state_dir, admin token), share one redis-server as their state store.
Against the real binary and a real redis-server: three nodes and a kill -9 lose no accepted
event; a rate(1 second) schedule fires each tick once in the whole fleet, also across a
kill -9 and restart; Redis down means 503 (never a false 202) and a not-ready probe, and
delivery resumes when it is back; a dead node's claims go to a live node after
visibility_timeout while a live node keeps its own; a clean stop hands back and leaves the
group; dead letters are seen and redriven from any node; config errors have positions.
Reserved concurrency holds across the fleet (from the function's own clock); a folder
watched by three nodes fires each file once across a kill -9 of the lease owner; a
whole-fleet outage is caught up once (catch_up: last); and a node cut off from Redis by its
network namespace's link going down, not killed, does not start what it had read once it
is back (others ran it).

Assertions from the test's side read Redis itself: the function's stream {fngate}:q:FN and
its group "fngate", the dead letters {fngate}:dlq, the schedule marks {fngate}:marks, the
node leases {fngate}:node:CONSUMER (a consumer is "NODE.GEN"; NODE names the process)."""
import calendar
import collections
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

from harness import FNGATE, Gateway, Redis, check, json_lines, run_cli, skip, wait_until, write

# test_three_nodes_kill9_loses_nothing: async invokes sent, client threads sending them, and
# the most deliveries of one id past the first (events the killed node ran, not acknowledged).
FLEET_EVENTS = 10000
FLEET_CLIENTS = 6
FLEET_MAX_DUPLICATES = 200
# test_schedule_fires_once_per_tick_across_three_nodes: ticks watched with all three nodes up.
SCHEDULE_TICKS = 30
# test_node_death_claims_taken_over: events node A holds (running) when it is killed.
HELD_EVENTS = 3
# state.visibility_timeout of every fleet here (3s), and its command_timeout (500ms).
VISIBILITY_S = 3
# test_fleet_reserved_concurrency: async invokes of a function with `concurrency:
# RESERVED_LIMIT`, each running RESERVED_SLEEP_S seconds.
RESERVED_EVENTS = 60
RESERVED_LIMIT = 2
RESERVED_SLEEP_S = 0.2
# test_folder_watched_by_three_nodes: files written in a burst, how many are written before
# the lease owner is killed -9, and the most files that may run twice (events the killed
# owner had read and not acknowledged: its read-ahead, twice FOLDER_WORKERS).
FOLDER_FILES = 2000
FOLDER_KILL_AT = 700
FOLDER_WORKERS = 4
FOLDER_MAX_DUPLICATES = 50
# test_schedule_whole_fleet_stop_catches_up_once: ticks run before the whole fleet stops, and
# how long it stays down (the outage: ticks that fall due meanwhile are folded into one fire).
OUTAGE_TICKS_BEFORE = 3
OUTAGE_S = 5
# test_netns_cut_off_node: node A's gateway.max_concurrency; it reads twice that many events
# ahead, so of the events it holds half run and half wait, read but not started.
NETNS_RUNNING = 2

PY = """
import json, os, time

def _log(rec):
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps(rec) + "\\n")

def handler(event, context):
    failing = os.path.exists(os.environ.get("FAIL_FLAG", "/nonexistent"))
    _log({"id": event.get("id"), "node": os.environ["NODE"], "rid": context.aws_request_id,
          "t": time.time(), "failed": failing})
    if os.path.exists(os.environ.get("HOLD_FLAG", "/nonexistent")):
        time.sleep(600)                    # held until the node is stopped or killed
    if failing:
        raise RuntimeError("failing on purpose: %s" % event.get("id"))
    return {"ok": event.get("id")}

def tick(event, context):
    _log({"time": event.get("time"), "eid": event.get("id"), "node": os.environ["NODE"], "t": time.time()})

def span(event, context):
    # A "start" and an "end" record: sleeps event["sleep"] s, then holds while HOLD_FLAG exists (60 s at most).
    rec = {"id": event.get("id"), "node": os.environ["NODE"], "rid": context.aws_request_id}
    t0 = time.time()
    _log(dict(rec, phase="start", t=t0))
    time.sleep(event.get("sleep", 0))
    while os.path.exists(os.environ.get("HOLD_FLAG", "/nonexistent")) and time.time() - t0 < 60:
        time.sleep(0.05)
    _log(dict(rec, phase="end", t0=t0, t=time.time()))

def files(event, context):
    for r in event["Records"]:
        _log({"key": r["s3"]["object"]["key"], "node": os.environ["NODE"], "t": time.time()})
"""

STATE = """state:
  backend: redis
  redis: "%s"
  prefix: fngate
  visibility_timeout: %ds
  command_timeout: 500ms
"""

EVENT = {"X-Amz-Invocation-Type": "Event"}
P = "{fngate}"
GROUP = "fngate"


def fn(name, handler="app.handler", extra=""):
    """A function block; @CODE@, @OUT@, @NODE@ and @TMP@ are filled per node."""
    return ("  %s:\n    runtime: python3\n    handler: %s\n    code: @CODE@\n    timeout: 300\n"
            "    environment: {OUT: @OUT@, NODE: @NODE@, FAIL_FLAG: @TMP@/fail, HOLD_FLAG: @TMP@/hold-@NODE@}\n%s"
            % (name, handler, extra))


class Fleet:
    """Nodes sharing one Redis: node NAME is a Gateway in tmp/NAME over the same functions,
    NODE=NAME in their environment, its functions' output in tmp/out-NAME.txt (a restarted
    node appends to it); top is more top-level config (a gateway block). On exit every node
    started is stopped (SIGTERM), all of them even when one fails, each checked for a clean
    exit when the test passed."""

    def __init__(self, tmp, redis, functions, top=""):
        self.tmp, self.redis, self.functions, self.top = tmp, redis, functions, top
        self.code = os.path.join(tmp, "code")
        write(os.path.join(self.code, "app.py"), PY)
        self.started = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:              # what each node logged, to read the failure by
            for gw in self.started:
                print("---- %s: the last of its stderr\n%s" % (gw.tmp, "".join(gw.stderr_lines[-40:])))
        first = None
        for gw in reversed(self.started):
            try:
                gw.stop(check_clean=exc_type is None)
            except Exception as e:            # stop the others before failing
                first = first or e
        if first is not None and exc_type is None:
            raise first

    def out(self, name):
        return os.path.join(self.tmp, "out-%s.txt" % name)

    def config(self, name):
        body = (self.functions.replace("@CODE@", self.code).replace("@OUT@", self.out(name))
                .replace("@NODE@", name).replace("@TMP@", self.tmp))
        return STATE % (self.redis.url, VISIBILITY_S) + self.top + "functions:\n" + body

    def start(self, name, **kw):
        """Starts node NAME (kw: more Gateway arguments, e.g. binary)."""
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        gw = Gateway(d, self.config(name), **kw)
        self.started.append(gw)
        gw.start()
        return gw

    def runs(self, names="ABC"):
        return [r for n in names for r in json_lines(self.out(n))]


# ---- Redis as the test sees it

def qkey(function):
    return "%s:q:%s" % (P, function)


def pending(redis, function):
    """Entries of the function's stream delivered to a consumer and not acknowledged."""
    return redis.cmd("XPENDING", qkey(function), GROUP)[0]


def consumers(redis, function):
    """The group's consumers: name -> XINFO CONSUMERS fields."""
    rows = redis.cmd("XINFO", "CONSUMERS", qkey(function), GROUP) or []
    return {d["name"]: d for d in (dict(zip(r[::2], r[1::2])) for r in rows)}


def node_of(consumer):
    """The process part of a consumer name ("host-pid-rand.GEN" -> "host-pid-rand")."""
    return consumer.rsplit(".", 1)[0]


def leases(redis):
    """The live nodes' lease keys, as their consumer names."""
    return {k[len(P + ":node:"):] for k in redis.cmd("KEYS", P + ":node:*")}


def dlq_len(redis):
    return redis.cmd("XLEN", P + ":dlq")


# ---- the nodes' admin side

def dlq(gw, function=None):
    st, _, body = gw.admin("GET", "/_fngate/dlq" + ("?function=" + function if function else ""))
    check(st == 200, "dlq list: HTTP %d %s" % (st, body))
    return json.loads(body)["items"]


def ready(gw):
    return gw.admin("GET", "/_fngate/ready", token=False)[0]


def store_up(gw):
    """fngate_state_store_up{backend="redis"} from the admin listener's GET /metrics."""
    st, _, body = gw.admin("GET", "/metrics")
    check(st == 200, "/metrics: HTTP %d %r" % (st, body[:300]))
    m = re.search(r'^fngate_state_store_up\{[^}]*backend="redis"[^}]*\} (\S+)$', body.decode(), re.M)
    check(m, 'no fngate_state_store_up{backend="redis"} sample in /metrics:\n' + body.decode()[:3000])
    return float(m.group(1))


def epoch(iso):
    """A Scheduled Event's time (the tick) as epoch seconds."""
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def idle(redis, gws, function):
    return pending(redis, function) == 0 and all(gw.queue_idle() for gw in gws)


def test_three_nodes_kill9_loses_nothing(tmp):
    """FLEET_EVENTS async invokes from FLEET_CLIENTS keep-alive clients, round-robin over three
    nodes; after a third are accepted node C is killed -9 (taken out of the rotation first),
    the others keep taking them, and C is restarted on the same directory after two thirds.
    Every id that got a 202 is delivered, nothing is delivered that was not sent, and an id
    runs twice only if C ran it and died before acknowledging (at most FLEET_MAX_DUPLICATES)."""
    total, clients = FLEET_EVENTS, FLEET_CLIENTS
    with Redis(tmp) as redis, Fleet(tmp, redis, fn("W", extra="    concurrency: 4\n")) as fleet:
        gws = {n: fleet.start(n) for n in "ABC"}
        lock = threading.Lock()
        targets = [gws[n].port for n in "ABC"]
        sent, accepted, unanswered = set(), set(), set()
        refused = collections.Counter()

        def client(k):
            conns = {}
            for i in range(k, total, clients):
                ident = "e%05d" % i
                with lock:
                    port = targets[i % len(targets)]
                    sent.add(ident)
                c = conns.pop(port, None) or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    c.request("POST", "/2015-03-31/functions/W/invocations", json.dumps({"id": ident}), EVENT)
                    r = c.getresponse()
                    r.read()
                except (OSError, http.client.HTTPException):
                    c.close()
                    with lock:
                        unanswered.add(ident)
                    continue
                conns[port] = c
                with lock:
                    if r.status == 202:
                        accepted.add(ident)
                    else:
                        refused[r.status] += 1
            for c in conns.values():
                c.close()

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
        for t in threads:
            t.start()
        wait_until(lambda: len(accepted) >= total // 3, 120, "%d accepted events" % (total // 3),
                   seen=lambda: (len(accepted), dict(refused)))
        with lock:
            targets.remove(gws["C"].port)
        gws["C"].kill9()
        at_kill = len(accepted)
        wait_until(lambda: len(accepted) >= 2 * total // 3 or not any(t.is_alive() for t in threads), 120,
                   "%d accepted events with C down" % (2 * total // 3), seen=lambda: (len(accepted), dict(refused)))
        gws["C"] = fleet.start("C")
        with lock:
            targets.append(gws["C"].port)
        for t in threads:
            t.join(120)
        check(not any(t.is_alive() for t in threads), "the clients finished sending within 120 s")
        print("kill -9 of C after %d accepted; %d of %d accepted in all, refused %s, %d unanswered"
              % (at_kill, len(accepted), total, dict(refused), len(unanswered)))
        check(len(sent) == total, "every id was sent: %d" % len(sent))
        check(len(accepted) >= total * 9 // 10, "Redis was up all along: most invokes are accepted (%d of %d, "
              "refused %s)" % (len(accepted), total, dict(refused)))
        check(len(unanswered) <= clients, "only requests in flight to C at the kill go unanswered (at most one "
              "per client): %d %s" % (len(unanswered), sorted(unanswered)[:10]))

        def delivered():
            return {r["id"] for r in fleet.runs()}
        wait_until(lambda: accepted <= delivered(), 150, "every accepted id to be delivered (%d accepted)" % len(accepted),
                   seen=lambda: (len(accepted - delivered()), sorted(accepted - delivered())[:10]))
        wait_until(lambda: idle(redis, gws.values(), "W"), 60, "the fleet to be idle (nothing pending in the group)",
                   seen=lambda: (pending(redis, "W"), [gw.view("queue")["functions"] for gw in gws.values()]))
        runs = fleet.runs()
        extra = delivered() - sent
        check(not extra, "ids that were never sent were delivered: %s" % sorted(extra)[:10])
        counts = collections.Counter(r["id"] for r in runs)
        dups = sum(n - 1 for n in counts.values() if n > 1)
        print("%d deliveries of %d ids, %d duplicate(s); by node %s"
              % (len(runs), len(counts), dups, dict(collections.Counter(r["node"] for r in runs))))
        check(dups <= FLEET_MAX_DUPLICATES, "duplicates are bounded by what C could have run unacknowledged: %d > %d "
              "(e.g. %s)" % (dups, FLEET_MAX_DUPLICATES, [i for i, n in counts.items() if n > 1][:10]))
        check(dlq_len(redis) == 0, "no dead letters: %d" % dlq_len(redis))


def test_schedule_fires_once_per_tick_across_three_nodes(tmp):
    """Three nodes with the same rate(1 second) schedule: for SCHEDULE_TICKS ticks every tick
    runs exactly once in the fleet (one run, one event id). Then node B is killed -9 and
    restarted: every tick still fires, none with two event ids (a fire B had accepted and not
    finished may run again after visibility_timeout, with the same event id: a second fire
    of the tick would have a new one)."""
    events = "    events:\n      - schedule: {expression: rate(1 second), name: tick, catch_up: all}\n"
    with Redis(tmp) as redis, Fleet(tmp, redis, fn("Tick", "app.tick", events)) as fleet:
        def ticks():
            return [r for r in fleet.runs() if r.get("time")]

        def secs(rs):
            return sorted({epoch(r["time"]) for r in rs})

        gws = {n: fleet.start(n) for n in "ABC"}
        up = time.time()
        first = int(up) + 1                       # the first tick with every node running
        last = first + SCHEDULE_TICKS - 1
        wait_until(lambda: secs(ticks()) and secs(ticks())[-1] > last, SCHEDULE_TICKS + 15,
                   "%d ticks with three nodes up" % SCHEDULE_TICKS, seen=lambda: secs(ticks())[-3:])
        # The tick after the window has run, so every tick of the window has fired (a fire is
        # accepted into the stream before the next tick); wait for any still being run.
        window = lambda: [r for r in ticks() if first <= epoch(r["time"]) <= last]
        wait_until(lambda: secs(window()) == list(range(first, last + 1)), 10, "every tick of the window to run",
                   seen=lambda: secs(window()))
        got = window()
        per_tick = collections.Counter(epoch(r["time"]) for r in got)
        check(all(n == 1 for n in per_tick.values()), "each tick ran once in the fleet: %s"
              % {t: n for t, n in per_tick.items() if n != 1})
        check(abs(len(got) - SCHEDULE_TICKS) <= 1, "%d fires in %d s" % (len(got), SCHEDULE_TICKS))
        every = ticks()
        check(len({r["eid"] for r in every}) == len(every), "no event id twice with no node killed: %s"
              % [r["eid"] for r in every])
        print("fires by node: %s" % dict(collections.Counter(r["node"] for r in got)))
        mark = redis.cmd("HGET", P + ":marks", "s:tick")
        check(mark and str(mark).isdigit(), "{fngate}:marks s:tick holds the last fire: %r" % mark)
        mark = int(mark)
        check(secs(ticks())[-1] <= mark <= time.time() + 1,
              "{fngate}:marks s:tick is the fleet's last fire: %d, last run %d" % (mark, secs(ticks())[-1]))

        gws["B"].kill9()
        killed = int(time.time())
        wait_until(lambda: secs(ticks())[-1] >= killed + 3, 15, "ticks fired by A and C with B dead",
                   seen=lambda: secs(ticks())[-3:])
        gws["B"] = fleet.start("B")
        restarted = int(time.time())
        wait_until(lambda: secs(ticks())[-1] >= restarted + 4, 15, "ticks after B's restart",
                   seen=lambda: secs(ticks())[-3:])
        # A fire B had accepted and not run comes back after visibility_timeout, on any node.
        contiguous = lambda: secs(ticks()) == list(range(secs(ticks())[0], secs(ticks())[-1] + 1))
        wait_until(contiguous, VISIBILITY_S + 10, "every tick to have run (none skipped)",
                   seen=lambda: sorted(set(range(secs(ticks())[0], secs(ticks())[-1] + 1)) - set(secs(ticks()))))
        by_tick = collections.defaultdict(set)
        for r in ticks():
            by_tick[epoch(r["time"])].add(r["eid"])
        check(all(len(ids) == 1 for ids in by_tick.values()), "no tick fired twice across the kill -9 and restart: %s"
              % {t: ids for t, ids in by_tick.items() if len(ids) > 1})
        reruns = collections.Counter(r["eid"] for r in ticks())
        again = sorted(epoch(r["time"]) for r in ticks() if reruns[r["eid"]] > 1)
        check(all(t <= killed + 1 for t in again) and len(set(again)) <= 3,
              "only fires B was running at the kill ran again: %s (kill at %d)" % (again, killed))


def test_redis_down_no_202_and_resumes(tmp):
    """Two nodes; a client keeps invoking while redis-server is killed -9 and started again
    (same port, same AOF). Every answer is 202 or 503 with a JSON body; no request sent after
    Redis died is answered 202 before it is back; /_fngate/ready is not 200 and
    fngate_state_store_up{backend="redis"} is 0 while it is down, 200 and 1 after; and every id
    that got a 202 (before, during, after) is delivered."""
    with Redis(tmp) as redis, Fleet(tmp, redis, fn("W", extra="    concurrency: 2\n")) as fleet:
        gws = [fleet.start("A"), fleet.start("B")]
        for gw in gws:
            check(ready(gw) == 200 and store_up(gw) == 1, "node up with Redis: ready %d, store up %s"
                  % (ready(gw), store_up(gw)))
        lock = threading.Lock()
        answers = []                  # (id, status, monotonic sent, monotonic answered)
        bad = []
        stop = threading.Event()
        counter = iter(range(10 ** 9))

        def client(k):
            while not stop.is_set():
                with lock:
                    i = next(counter)
                ident = "r%06d" % i
                gw = gws[i % len(gws)]
                t0 = time.monotonic()
                try:
                    st, h, body = gw.invoke("W", {"id": ident}, EVENT, timeout=10)
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        bad.append((ident, "no answer: %r" % e))
                    continue
                t1 = time.monotonic()
                with lock:
                    answers.append((ident, st, t0, t1))
                    if st == 503:
                        try:
                            json.loads(body)
                        except ValueError:
                            bad.append((ident, "503 without a JSON body: %r" % body[:200]))
                    elif st != 202:
                        bad.append((ident, "HTTP %d %r" % (st, body[:200])))
                time.sleep(0.005)     # a steady client, not a flood of ASan-slow refusals

        def count(status, after=0.0):
            with lock:
                return sum(1 for a in answers if a[1] == status and a[2] > after)

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(2)]
        for t in threads:
            t.start()
        try:
            wait_until(lambda: count(202) >= 100, 60, "100 accepted events with Redis up", seen=lambda: bad[:5])
            redis.kill()
            down_from = time.monotonic()
            wait_until(lambda: all(ready(gw) != 200 for gw in gws), 15, "/_fngate/ready to fail with Redis down",
                       seen=lambda: [ready(gw) for gw in gws])
            wait_until(lambda: all(store_up(gw) == 0 for gw in gws), 15, "fngate_state_store_up 0 with Redis down",
                       seen=lambda: [store_up(gw) for gw in gws])
            wait_until(lambda: count(503, down_from) >= 20, 30, "503s with Redis down", seen=lambda: bad[:5])
            down_to = time.monotonic()
            redis.start()
            wait_until(lambda: all(ready(gw) == 200 for gw in gws), 30, "/_fngate/ready 200 with Redis back",
                       seen=lambda: [ready(gw) for gw in gws])
            wait_until(lambda: all(store_up(gw) == 1 for gw in gws), 15, "fngate_state_store_up 1 with Redis back",
                       seen=lambda: [store_up(gw) for gw in gws])
            back = time.monotonic()
            wait_until(lambda: count(202, back) >= 100, 60, "100 accepted events after Redis came back",
                       seen=lambda: bad[:5])
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        check(not any(t.is_alive() for t in threads), "the clients stopped")
        check(not bad, "every answer is 202 or a 503 with a JSON body: %d others, e.g. %s" % (len(bad), bad[:5]))
        lies = [a for a in answers if a[1] == 202 and a[2] > down_from and a[3] < down_to]
        check(not lies, "202 for a request sent with Redis down, answered before it was back: %s" % lies[:5])
        accepted = {a[0] for a in answers if a[1] == 202}
        sent = {a[0] for a in answers} | {b[0] for b in bad}
        print("%d answers: %d accepted, %d refused with 503 (%d while Redis was down)"
              % (len(answers), len(accepted), count(503), count(503, down_from)))

        def delivered():
            return {r["id"] for r in fleet.runs("AB")}
        wait_until(lambda: accepted <= delivered(), 90, "every accepted id to be delivered (%d)" % len(accepted),
                   seen=lambda: (len(accepted - delivered()), sorted(accepted - delivered())[:10]))
        extra = delivered() - sent
        check(not extra, "ids never sent were delivered: %s" % sorted(extra)[:10])
        wait_until(lambda: idle(redis, gws, "W"), 30, "the fleet to be idle", seen=lambda: pending(redis, "W"))


def test_node_death_claims_taken_over(tmp):
    """Node A runs HELD_EVENTS events that hold; node B, up meanwhile for longer than
    visibility_timeout, takes none of them while A lives (A renews its lease). A is killed
    -9: its lease key expires within visibility_timeout and B runs every one of its events.
    Then B holds an event and is stopped with SIGTERM: its consumer leaves the group, its
    lease key goes, and node C runs the event B handed back."""
    with Redis(tmp) as redis, Fleet(tmp, redis, fn("H", extra="    concurrency: %d\n" % HELD_EVENTS)) as fleet:
        write(os.path.join(tmp, "hold-A"), "x\n")
        a = fleet.start("A")
        a_node = node_of(next(iter(wait_until(lambda: leases(redis), 10, "node A's lease key"))))
        ids = {"h%d" % i for i in range(HELD_EVENTS)}
        for i in sorted(ids):
            st, _, body = a.invoke("H", {"id": i}, EVENT)
            check(st == 202, "accepted by A: %d %s" % (st, body))
        wait_until(lambda: {r["id"] for r in json_lines(fleet.out("A"))} == ids, 30, "A to run (and hold) every event",
                   seen=lambda: json_lines(fleet.out("A")))
        check(pending(redis, "H") == HELD_EVENTS, "A's events are pending in the group: %d" % pending(redis, "H"))
        held_by = {n: c["pending"] for n, c in consumers(redis, "H").items() if c["pending"]}
        check(held_by and all(node_of(n) == a_node for n in held_by), "A's consumer holds them: %s (A is %s)"
              % (held_by, a_node))

        b = fleet.start("B")
        b_node = node_of(next(iter(wait_until(lambda: {c for c in leases(redis) if node_of(c) != a_node}, 10,
                                              "node B's lease key"))))
        # No signal says "B looked and left A's claims alone": watch for longer than
        # visibility_timeout, during which a lease A failed to renew would have expired.
        time.sleep(VISIBILITY_S + 1)
        check(not json_lines(fleet.out("B")), "B ran A's events while A was alive: %s" % json_lines(fleet.out("B")))
        check(any(node_of(c) == a_node for c in leases(redis)), "A renews its lease: %s" % leases(redis))
        check(pending(redis, "H") == HELD_EVENTS, "still pending on A: %d" % pending(redis, "H"))

        killed = time.time()
        a.kill9()
        wait_until(lambda: not any(node_of(c) == a_node for c in leases(redis)), VISIBILITY_S + 3,
                   "A's lease key to expire (PX visibility_timeout)", seen=lambda: leases(redis))
        wait_until(lambda: {r["id"] for r in json_lines(fleet.out("B"))} >= ids, VISIBILITY_S + 20,
                   "B to run the events A held", seen=lambda: json_lines(fleet.out("B")))
        early = [r for r in json_lines(fleet.out("B")) if r["t"] < killed]
        check(not early, "B ran nothing before A died: %s" % early)
        wait_until(lambda: pending(redis, "H") == 0, 15, "B's runs acknowledged", seen=lambda: consumers(redis, "H"))
        runs = fleet.runs("AB")
        check(all(any(r["id"] == i for r in runs) for i in ids), "each event delivered at least once: %s" % runs)

        # A clean stop: B holds an event, SIGTERM; its consumer leaves the group and the event
        # goes back for the rest of the fleet.
        write(os.path.join(tmp, "hold-B"), "x\n")
        st, _, body = b.invoke("H", {"id": "t0"}, EVENT)
        check(st == 202, "accepted by B: %d %s" % (st, body))
        wait_until(lambda: any(r["id"] == "t0" for r in json_lines(fleet.out("B"))), 20, "B to run (and hold) t0")
        mine = lambda: [n for n in consumers(redis, "H") if node_of(n) == b_node]
        check(mine(), "B is a consumer of the group: %s (B is %s)" % (consumers(redis, "H"), b_node))
        b.stop()
        check(not mine(), "after SIGTERM B's consumer left the group: %s" % consumers(redis, "H"))
        check(not any(node_of(c) == b_node for c in leases(redis)), "B's lease key went: %s" % leases(redis))
        fleet.start("C")
        wait_until(lambda: any(r["id"] == "t0" for r in json_lines(fleet.out("C"))), VISIBILITY_S + 15,
                   "C to run t0, which B handed back at its stop", seen=lambda: consumers(redis, "H"))
        wait_until(lambda: pending(redis, "H") == 0, 15, "C's run acknowledged", seen=lambda: consumers(redis, "H"))


def test_dlq_and_redrive_from_any_node(tmp):
    """A failing function with maximum_retry_attempts 0: three events sent to node A become
    dead letters in {fngate}:dlq, listed alike by both nodes' admin APIs and by `fngate dlq
    list` against B, shown from A. Once the function is fixed one is redriven by id from A
    and the rest by function with `fngate dlq redrive` against B; each then runs and the
    dead letters are gone everywhere."""
    flag = write(os.path.join(tmp, "fail"), "broken\n")
    conf = fn("Bad", extra="    retries: {maximum_retry_attempts: 0}\n")
    with Redis(tmp) as redis, Fleet(tmp, redis, conf) as fleet:
        a, b = fleet.start("A"), fleet.start("B")
        rids = {}
        for i in range(3):
            st, h, body = a.invoke("Bad", {"id": "d%d" % i}, EVENT)
            check(st == 202, "accepted: %d %s" % (st, body))
            rids[h["x-amzn-requestid"]] = "d%d" % i
        items = wait_until(lambda: len(dlq(b, "Bad")) == 3 and dlq(b, "Bad"), 30, "three dead letters, seen from B",
                           seen=lambda: dlq(b))
        check(dlq_len(redis) == 3, "{fngate}:dlq holds them: %d" % dlq_len(redis))
        for d in items:
            check(d["function"] == "Bad" and d["condition"] == "RetriesExhausted" and d["attempts"] == 1 and
                  d["errorType"] == "RuntimeError" and "failing on purpose" in d["errorMessage"],
                  "dead letter record: %s" % d)
        check({d["requestId"] for d in items} == set(rids), "the requests accepted by A: %s vs %s"
              % ([d["requestId"] for d in items], sorted(rids)))
        check(sorted(str(d["id"]) for d in dlq(a, "Bad")) == sorted(str(d["id"]) for d in items),
              "A lists the same dead letters as B: %s" % dlq(a))
        one = items[0]
        st, _, body = a.admin("GET", "/_fngate/dlq/%s" % one["id"])
        check(st == 200 and json.loads(body)["payload"] == {"id": rids[one["requestId"]]},
              "dlq show on A: %d %s" % (st, body))
        # Each node's count of dead letters per function (the queue view's, the list's "total")
        # follows the fleet's.
        wait_until(lambda: all(g.view("queue")["functions"][0]["deadLetters"] == 3 for g in (a, b)), 15,
                   "both queue views to count 3 dead letters", seen=lambda: [g.view("queue") for g in (a, b)])
        p = run_cli("dlq", "list", "Bad", *b.admin_args())
        check(p.returncode == 0 and p.stdout.count("RetriesExhausted") == 3 and "3 dead letter(s)" in p.stdout,
              "fngate dlq list against B:\n%s%s" % (p.stdout, p.stderr))

        os.unlink(flag)                                       # the bug is fixed
        ok = lambda: {r["id"] for r in fleet.runs("AB") if not r["failed"]}
        st, _, body = a.admin("POST", "/_fngate/dlq/redrive", json.dumps({"ids": [one["id"]]}))
        check(st == 200 and json.loads(body) == {"redriven": 1}, "redrive by id from A: %d %s" % (st, body))
        wait_until(lambda: rids[one["requestId"]] in ok(), 20, "the event redriven from A to run")
        p = run_cli("dlq", "redrive", "Bad", *b.admin_args())
        check(p.returncode == 0 and "redrove 2" in p.stdout, "fngate dlq redrive against B:\n%s%s" % (p.stdout, p.stderr))
        wait_until(lambda: ok() == set(rids.values()), 20, "every redriven event to run", seen=ok)
        wait_until(lambda: not dlq(a) and not dlq(b) and dlq_len(redis) == 0, 15, "the dead letters to be gone everywhere",
                   seen=lambda: (dlq(a), dlq(b), dlq_len(redis)))
        wait_until(lambda: all(g.view("queue")["functions"][0]["deadLetters"] == 0 for g in (a, b)), 15,
                   "both queue views to count no dead letter", seen=lambda: [g.view("queue") for g in (a, b)])


def spans(fleet, names="ABC", phase="end"):
    """The span handler's records of one phase, from the nodes' output."""
    return [r for r in fleet.runs(names) if r.get("phase") == phase]


def most_at_once(intervals):
    """The most intervals (start, end) open at one instant, and one such instant."""
    edges = sorted([(t1, -1) for t0, t1 in intervals] + [(t0, 1) for t0, t1 in intervals])  # an end first on a tie
    most, at, n = 0, None, 0
    for t, d in edges:
        n += d
        if n > most:
            most, at = n, t
    return most, at


def test_fleet_reserved_concurrency(tmp):
    """A function with `concurrency: RESERVED_LIMIT`: RESERVED_EVENTS async invokes sent at
    once, spread over three nodes, each running RESERVED_SLEEP_S seconds. From the
    function's own start and end times (one machine, one clock) no instant has more than
    RESERVED_LIMIT running in the whole fleet, more than one node ran them (the limit is
    the fleet's, not one node's), every event ran exactly once, and no running slot is left
    counted in {fngate}:run:FUNCTION."""
    conf = fn("R", "app.span", "    concurrency: %d\n" % RESERVED_LIMIT)
    with Redis(tmp) as redis, Fleet(tmp, redis, conf) as fleet:
        gws = [fleet.start(n) for n in "ABC"]
        ids = ["c%03d" % i for i in range(RESERVED_EVENTS)]
        answers, lock = {}, threading.Lock()

        def client(k):
            c = gws[k].conn()
            try:
                for i in range(k, RESERVED_EVENTS, len(gws)):
                    c.request("POST", "/2015-03-31/functions/R/invocations",
                              json.dumps({"id": ids[i], "sleep": RESERVED_SLEEP_S}), EVENT)
                    r = c.getresponse()
                    body = r.read()
                    with lock:
                        answers[ids[i]] = (r.status, body[:200])
            finally:
                c.close()

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(len(gws))]
        sent = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        check(not any(t.is_alive() for t in threads), "the clients sent every invoke within 60 s")
        bad = {i: a for i, a in answers.items() if a[0] != 202}
        check(len(answers) == RESERVED_EVENTS and not bad, "every invoke accepted (202): %d answers, others %s"
              % (len(answers), dict(list(bad.items())[:5])))
        print("%d invokes accepted in %.2f s" % (RESERVED_EVENTS, time.monotonic() - sent))
        # RESERVED_LIMIT at a time: the fleet needs RESERVED_EVENTS * RESERVED_SLEEP_S / RESERVED_LIMIT s at least.
        wait_until(lambda: {r["id"] for r in spans(fleet)} == set(ids), 60, "every event to run to its end",
                   seen=lambda: (len(spans(fleet)), pending(redis, "R")))
        wait_until(lambda: idle(redis, gws, "R"), 30, "the fleet to be idle", seen=lambda: pending(redis, "R"))
        ends = spans(fleet)
        counts = collections.Counter(r["id"] for r in ends)
        check(len(ends) == RESERVED_EVENTS and all(n == 1 for n in counts.values()),
              "each event ran once (no node died): %s" % {i: n for i, n in counts.items() if n != 1})
        starts = collections.Counter(r["id"] for r in spans(fleet, phase="start"))
        check(starts == counts, "each event started once: %s" % {i: n for i, n in starts.items() if n != 1})
        most, at = most_at_once([(r["t0"], r["t"]) for r in ends])
        by_node = collections.Counter(r["node"] for r in ends)
        took = max(r["t"] for r in ends) - min(r["t0"] for r in ends)
        print("at most %d running at once (limit %d); by node %s; %.1f s from first start to last end"
              % (most, RESERVED_LIMIT, dict(by_node), took))
        around = sorted((r["t0"], r["t"], r["node"], r["id"]) for r in ends if r["t0"] <= at <= r["t"])
        check(most <= RESERVED_LIMIT, "at most %d of R run at once in the fleet: %d at %.3f: %s"
              % (RESERVED_LIMIT, most, at, around))
        check(most == RESERVED_LIMIT, "the limit is used (%d at once, not %d): the test measures it"
              % (RESERVED_LIMIT, most))
        check(len(by_node) > 1, "more than one node ran R's events: %s" % dict(by_node))
        check(took >= RESERVED_EVENTS * RESERVED_SLEEP_S / RESERVED_LIMIT * 0.95,
              "%d runs of %.1f s, %d at a time, took %.1f s"
              % (RESERVED_EVENTS, RESERVED_SLEEP_S, RESERVED_LIMIT, took))
        # Every slot goes back once its event is settled (a node looking for more work takes
        # and returns slots only while the stream has unread events, or a gone node's).
        wait_until(lambda: all(int(v) == 0 for v in (redis.cmd("HGETALL", P + ":run:R") or [])[1::2]), 5,
                   "no running slot left counted in {fngate}:run:R",
                   seen=lambda: redis.cmd("HGETALL", P + ":run:R"))


def file_marks(redis):
    """The folders' index in Redis: one field f:FOLDER/KEY of {fngate}:marks per file fired."""
    return [k for k in (redis.cmd("HKEYS", P + ":marks") or []) if k.startswith("f:")]


def lease_owners(gws):
    """The nodes whose stderr says they took the folders' lease."""
    return [n for n, gw in gws.items() if "this node holds the folders' lease" in gw.stderr()]


def test_folder_watched_by_three_nodes(tmp):
    """Three nodes watch one folder; one holds the folders' lease (its stderr says so) and
    fires. FOLDER_FILES files are written in a burst; after FOLDER_KILL_AT the owner is
    killed -9 and the rest are written. A surviving node takes the lease after
    visibility_timeout, gets the index the owner left in Redis and rescans: every file
    fires, each once, but for events the killed owner had read and not acknowledged (run
    again by the others: at most FOLDER_MAX_DUPLICATES). Each file's mark is in Redis."""
    up = os.path.join(tmp, "up")
    os.makedirs(up)
    conf = fn("W", "app.files", "    max_workers: %d\n    events:\n      - fs: {path: %s}\n" % (FOLDER_WORKERS, up))
    with Redis(tmp) as redis, Fleet(tmp, redis, conf) as fleet:
        gws = {n: fleet.start(n) for n in "ABC"}
        owner = wait_until(lambda: lease_owners(gws), 15, "a node to take the folders' lease",
                           seen=lambda: {n: gw.stderr()[-500:] for n, gw in gws.items()})
        check(len(owner) == 1, "one node holds the folders' lease: %s" % owner)
        owner = owner[0]
        wait_until(lambda: all(f["initialScanDone"] for f in gws[owner].view("folders")["folders"]), 15,
                   "the owner's first scan of the folder")
        names = ["f%05d.txt" % i for i in range(FOLDER_FILES)]
        began = time.monotonic()
        for i, name in enumerate(names):
            if i == FOLDER_KILL_AT:
                gws[owner].kill9()
                killed = time.time()
                fired_by_owner = len(file_marks(redis))
                print("kill -9 of the owner %s after %d files written: it had fired %d of them (their marks)"
                      % (owner, i, fired_by_owner))
            with open(os.path.join(up, name), "w") as f:
                f.write("file %d\n" % i)
        print("%d files written in %.1f s" % (FOLDER_FILES, time.monotonic() - began))
        rest = {n: gw for n, gw in gws.items() if n != owner}
        heir = wait_until(lambda: lease_owners(rest), VISIBILITY_S + 10, "a surviving node to take the folders' lease",
                          seen=lambda: {n: gw.stderr()[-800:] for n, gw in rest.items()})
        took = time.time() - killed
        check(len(heir) == 1, "one survivor holds the lease: %s" % heir)
        heir = heir[0]
        print("%s took the lease %.1f s after the kill" % (heir, took))
        check(took >= VISIBILITY_S - 1, "the lease moved only once the owner was gone (visibility_timeout %d s): "
              "after %.1f s" % (VISIBILITY_S, took))

        def fired():
            return collections.Counter(r["key"] for r in fleet.runs())
        wait_until(lambda: set(fired()) >= set(names), 120, "every file to fire",
                   seen=lambda: (len(set(names) - set(fired())), sorted(set(names) - set(fired()))[:10]))
        wait_until(lambda: all(f["pending"] == 0 for f in gws[heir].view("folders")["folders"]) and
                   idle(redis, rest.values(), "W"), 60, "the heir's folder work and the fleet's queue to settle",
                   seen=lambda: (gws[heir].view("folders"), pending(redis, "W")))
        runs = fleet.runs()
        counts = collections.Counter(r["key"] for r in runs)
        extra = set(counts) - set(names)
        check(not extra, "only the files written fire: %s" % sorted(extra)[:10])
        twice = {k: sorted(r["node"] for r in runs if r["key"] == k) for k, n in counts.items() if n > 1}
        dups = sum(counts[k] - 1 for k in twice)
        by_owner = sum(1 for nodes in twice.values() if owner in nodes)
        print("%d runs of %d files, %d duplicate(s) (%d with a run on the killed owner %s); by node %s; e.g. %s"
              % (len(runs), len(counts), dups, by_owner, owner, dict(collections.Counter(r["node"] for r in runs)),
                 dict(list(twice.items())[:5])))
        check(dups <= FOLDER_MAX_DUPLICATES, "duplicates bounded by what the killed owner had in flight: %d > %d: %s"
              % (dups, FOLDER_MAX_DUPLICATES, dict(list(twice.items())[:10])))
        folder = gws[heir].view("folders")["folders"][0]
        print("the heir's folder view: %s" % folder)
        marks = file_marks(redis)
        check(len(marks) == FOLDER_FILES, "{fngate}:marks holds every file's mark: %d of %d"
              % (len(marks), FOLDER_FILES))
        check(folder["indexed"] == FOLDER_FILES, "the heir indexes every file: %s" % folder)
        check(folder["created"] <= FOLDER_FILES - fired_by_owner, "the heir fired none of the %d files the owner had "
              "fired: %s" % (fired_by_owner, folder))
        other = [n for n in rest if n != heir][0]
        check(gws[other].view("folders")["folders"][0]["created"] == 0, "the node that never held the lease fired "
              "nothing: %s" % gws[other].view("folders"))
        check(dlq_len(redis) == 0, "no dead letters: %d" % dlq_len(redis))


def armed_at(gw):
    """When the node armed its schedules (epoch s, from its log line's time)."""
    m = re.search(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)Z INFO  schedule: \d+ schedule\(s\) armed",
                  gw.stderr(), re.M)
    check(m, "no 'schedule(s) armed' line:\n" + gw.stderr()[-3000:])
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + float(m.group(2))


def test_schedule_whole_fleet_stop_catches_up_once(tmp):
    """Three nodes with rate(1 second) and catch_up: last run OUTAGE_TICKS_BEFORE ticks, all
    three stop (SIGTERM), stay down OUTAGE_S seconds and start again. The ticks missed in
    between fire once in all: one fire for the latest of them (at or before the second the
    first node up armed its schedules), not one per node, not one per missed tick; no tick
    ever has two fires (event ids), and ticks go on after the restart, each once."""
    events = "    events:\n      - schedule: {expression: rate(1 second), name: tick, catch_up: last}\n"
    with Redis(tmp) as redis, Fleet(tmp, redis, fn("Tick", "app.tick", events)) as fleet:
        def ticks():
            return [r for r in fleet.runs() if r.get("time")]

        def secs():
            return sorted({epoch(r["time"]) for r in ticks()})

        gws = {n: fleet.start(n) for n in "ABC"}
        up = time.time()
        wait_until(lambda: len([t for t in secs() if t > up]) >= OUTAGE_TICKS_BEFORE, OUTAGE_TICKS_BEFORE + 15,
                   "%d ticks with three nodes up" % OUTAGE_TICKS_BEFORE, seen=lambda: secs()[-3:])
        for n in "ABC":
            gws[n].stop()
        down = time.time()
        last = int(redis.cmd("HGET", P + ":marks", "s:tick"))
        check(last <= down, "the fleet's last fire is before the stop: %d, stopped at %.1f" % (last, down))
        time.sleep(OUTAGE_S)                      # the outage: every node is down
        back = time.time()
        gws = {n: fleet.start(n) for n in "ABC"}
        restarted = time.time()
        first = min(armed_at(gw) for gw in gws.values())
        wait_until(lambda: secs()[-1] >= restarted + 3, 15, "ticks after the restart", seen=lambda: secs()[-3:])
        caught = [r for r in ticks() if last < epoch(r["time"]) <= int(first)]
        after = [t for t in secs() if t > last]
        print("last fire %d, stopped %.1f, back %.1f, first node armed %.3f, restarted %.1f; fires after the last: %s; "
              "catch-up fire(s) %s; 'folded' logged by %s"
              % (last, down, back, first, restarted, after[:8], [(r["time"], r["node"]) for r in caught],
                 [n for n, gw in gws.items() if "folded into one fire" in gw.stderr()]))
        check(len(caught) == 1, "exactly one catch-up fire for the outage (ticks %d..%d missed): %s"
              % (last + 1, int(first), [(r["time"], r["eid"], r["node"]) for r in caught]))
        check(epoch(caught[0]["time"]) >= back - 1, "the catch-up fire is the latest missed tick (at the restart, "
              "not the first after the stop): %s, back at %.1f" % (caught[0]["time"], back))
        check(after[0] == epoch(caught[0]["time"]) and after[0] - last >= OUTAGE_S - 1,
              "the ticks missed during the outage did not fire: after %d the next is %d" % (last, after[0]))
        check(after == list(range(after[0], after[-1] + 1)), "ticks go on each second after the restart: %s" % after)
        by_tick = collections.defaultdict(set)
        for r in ticks():
            by_tick[epoch(r["time"])].add(r["eid"])
        check(all(len(ids) == 1 for ids in by_tick.values()), "no tick fired twice: %s"
              % {t: ids for t, ids in by_tick.items() if len(ids) > 1})
        reruns = collections.Counter(r["eid"] for r in ticks())
        check(all(n == 1 for n in reruns.values()), "no fire ran twice (no node was killed): %s"
              % {e: n for e, n in reruns.items() if n > 1})
        check(int(redis.cmd("HGET", P + ":marks", "s:tick")) >= secs()[-1], "the fleet's last fire follows the ticks")


# ---- test_netns_cut_off_node: node A in its own network namespace, reaching Redis over a veth pair

class NetRedis(Redis):
    """redis-server on loopback and on addr (the host's end of a veth pair), with a password
    (protected mode accepts nobody else without one). The test's client uses loopback."""

    def __init__(self, dir, addr):
        super().__init__(dir, password="fleet-netns")
        self.addr = addr

    @property
    def url(self):
        return "redis://:%s@%s:%d/0" % (self.password, self.addr, self.port)

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1 " + self.addr, "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
             "--requirepass", self.password], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._ping, 10, "redis-server on %s:%d" % (self.addr, self.port))


def ip(*args, ns=None, must=True):
    """`ip ARGS` (in namespace ns); fails the test when must and it fails. The process result."""
    p = subprocess.run((["ip", "netns", "exec", ns] if ns else []) + ["ip"] + list(args), capture_output=True,
                       text=True, timeout=20)
    check(not must or p.returncode == 0, "ip %s%s: rc %d %s" % (" ".join(args), " (in %s)" % ns if ns else "",
                                                                p.returncode, p.stderr))
    return p


NS_INVOKE = r"""
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
c.request("POST", "/2015-03-31/functions/%s/invocations" % sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
r = c.getresponse()
print(json.dumps({"status": r.status, "rid": r.getheader("x-amzn-requestid"),
                  "body": r.read().decode("utf-8", "replace")}))
"""


def ns_invoke(ns, port, function, payload, headers):
    """An invoke sent from inside namespace ns (where the node's loopback listener is)."""
    p = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", NS_INVOKE, str(port), function,
                        json.dumps(payload), json.dumps(headers)], capture_output=True, text=True, timeout=40)
    check(p.returncode == 0, "invoke from namespace %s: rc %d %s" % (ns, p.returncode, p.stderr))
    return json.loads(p.stdout)


class Netns:
    """A network namespace joined to the host by a veth pair: the host's end HOST_ADDR, the
    namespace's NS_ADDR (/30), loopback up inside. Unique names; removed on exit. Raises
    harness.Skip when this machine cannot make them."""

    def __init__(self):
        tag = "%08x" % random.getrandbits(32)
        self.ns, self.host_if, self.ns_if = "fngate-it-" + tag, "fgh" + tag, "fgn" + tag
        used = ip("-o", "-4", "addr").stdout
        nets = [n for n in range(1, 255) if " 10.231.%d." % n not in used]
        if not nets:
            skip("no free 10.231.N.0/30 network for a veth pair")
        n = random.choice(nets)
        self.host_addr, self.ns_addr = "10.231.%d.1" % n, "10.231.%d.2" % n
        self.made_ns = self.made_link = False

    def __enter__(self):
        try:
            p = ip("netns", "add", self.ns, must=False)
            if p.returncode:
                skip("cannot create a network namespace (ip netns add): %s" % p.stderr.strip())
            self.made_ns = True
            p = ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if, must=False)
            if p.returncode:
                skip("cannot create a veth pair (ip link add ... type veth): %s" % p.stderr.strip())
            self.made_link = True
            ip("link", "set", self.ns_if, "netns", self.ns)
            ip("addr", "add", self.host_addr + "/30", "dev", self.host_if)
            ip("link", "set", self.host_if, "up")
            ip("addr", "add", self.ns_addr + "/30", "dev", self.ns_if, ns=self.ns)
            ip("link", "set", self.ns_if, "up", ns=self.ns)
            ip("link", "set", "lo", "up", ns=self.ns)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.made_ns:
            ip("netns", "del", self.ns, must=False)     # the namespace's end goes with it, and its peer
        if self.made_link:
            ip("link", "del", self.host_if, must=False)  # already gone, unless the move failed

    def link(self, up):
        ip("link", "set", self.ns_if, "up" if up else "down", ns=self.ns)


def test_netns_cut_off_node(tmp):
    """Node A runs in its own network namespace and reaches Redis over a veth pair; node B
    runs on the host. A (gateway.max_concurrency NETNS_RUNNING) takes twice that many events:
    half run (held), half wait, read but not started. A's link is cut (down inside its
    namespace) without killing A. Once A's lease key has expired, its running events are
    let finish (A finishes them cut off: allowed) and B takes over and runs all of them;
    while cut off A starts none of those it had not started. A's link comes back: A finds
    its lease gone, drops the events it had not started ("lost its claim", by request id)
    and never starts them. Each event ran to its end on B exactly once, nothing stays
    pending (what A owed Redis for its late finishes changed nothing), and the fleet, A with
    a new lease, runs new events once each."""
    if os.geteuid() != 0:
        skip("needs root for network namespaces and veth pairs")
    if not shutil.which("ip"):
        skip("needs iproute2's ip for network namespaces")
    held = 2 * NETNS_RUNNING
    with Netns() as net, NetRedis(tmp, net.host_addr) as redis, \
            Fleet(tmp, redis, fn("S", "app.span"), top="gateway:\n  max_concurrency: %d\n" % NETNS_RUNNING) as fleet:
        wrapper = write(os.path.join(tmp, "fngate-in-netns"),
                        "#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n" % (net.ns, FNGATE), mode=0o755)
        write(os.path.join(tmp, "hold-A"), "x\n")
        a = fleet.start("A", binary=wrapper)
        a_node = node_of(next(iter(wait_until(lambda: leases(redis), 10,
                                              "node A's lease key (A reaches Redis over the veth pair)"))))
        ids = ["n%d" % i for i in range(held)]
        rids = {}
        for i in ids:
            r = ns_invoke(net.ns, a.port, "S", {"id": i}, EVENT)
            check(r["status"] == 202, "accepted by A: %s" % r)
            rids[r["rid"]] = i
        a_starts = lambda: spans(fleet, "A", "start")
        wait_until(lambda: len(a_starts()) == NETNS_RUNNING and pending(redis, "S") == held, 30,
                   "A to start %d events and hold all %d" % (NETNS_RUNNING, held),
                   seen=lambda: (a_starts(), pending(redis, "S"), consumers(redis, "S")))
        running = {r["id"] for r in a_starts()}
        waiting = set(ids) - running
        held_by = {n: c["pending"] for n, c in consumers(redis, "S").items() if c["pending"]}
        check(list(held_by.values()) == [held] and node_of(next(iter(held_by))) == a_node,
              "A's consumer holds every event: %s (A is %s)" % (held_by, a_node))

        b = fleet.start("B")
        wait_until(lambda: any(node_of(c) != a_node for c in leases(redis)), 10, "node B's lease key")
        net.link(False)
        cut = time.time()
        try:
            wait_until(lambda: not any(node_of(c) == a_node for c in leases(redis)), VISIBILITY_S + 3,
                       "A's lease key to expire with A cut off", seen=lambda: leases(redis))
            # A's own view of its lease ran out before the key did: what it finishes now frees
            # workers, and the queue must still not start what A read under that lease.
            os.unlink(os.path.join(tmp, "hold-A"))
            wait_until(lambda: {r["id"] for r in spans(fleet, "A")} == running, 20,
                       "A, cut off, to finish the events it was running", seen=lambda: spans(fleet, "A"))
            b_ends = lambda: spans(fleet, "B")
            wait_until(lambda: {r["id"] for r in b_ends()} >= set(ids), VISIBILITY_S + 20,
                       "B to run every event A held", seen=lambda: (b_ends(), consumers(redis, "S")))
            first = min(r["t0"] for r in b_ends())
            check(first >= cut + VISIBILITY_S - 1, "B ran none of them before A's lease could expire: first %.1f s "
                  "after the cut" % (first - cut))
            check({r["id"] for r in a_starts()} == running and len(a_starts()) == NETNS_RUNNING,
                  "A, cut off, started nothing more: %s" % a_starts())
            check("lost its claim" not in a.stderr(),
                  "A dropped nothing before it was back:\n" + a.stderr()[-2000:])
        finally:                                       # A must reach Redis to stop cleanly
            net.link(True)
        back = time.time()
        wait_until(lambda: "this node's lease expired" in a.stderr(), 20, "A, back, to find its lease expired",
                   seen=lambda: a.stderr()[-1500:])
        lost = lambda: {rids.get(m) for m in re.findall(r"event (\S+): this node lost its claim", a.stderr())}
        wait_until(lambda: lost() >= waiting, 15, "A to drop the events it had read and not started %s"
                   % sorted(waiting), seen=lambda: (lost(), a.stderr()[-1500:]))
        check(lost() == waiting, "A dropped exactly the events it had not started: %s, not started %s"
              % (lost(), sorted(waiting)))
        wait_until(lambda: pending(redis, "S") == 0, 15, "nothing pending", seen=lambda: consumers(redis, "S"))
        check({r["id"] for r in a_starts()} == running and len(a_starts()) == NETNS_RUNNING,
              "A never started an event it had not started when cut: %s" % a_starts())
        ends = collections.Counter(r["id"] for r in b_ends())
        check(all(ends[i] == 1 for i in ids) and len(ends) == held,
              "B ran each event to its end once: %s" % dict(ends))

        # A is a node again (a new lease): the fleet runs new events, each once.
        wait_until(lambda: any(node_of(c) == a_node for c in leases(redis)), 10, "A's new lease key",
                   seen=lambda: leases(redis))
        more = ["m%d" % i for i in range(held)]
        for i in more:
            st, _, body = b.invoke("S", {"id": i}, EVENT)
            check(st == 202, "accepted by B: %d %s" % (st, body))
        wait_until(lambda: {r["id"] for r in spans(fleet, "AB")} >= set(more), 30, "the new events to run",
                   seen=lambda: spans(fleet, "AB")[-6:])
        wait_until(lambda: pending(redis, "S") == 0, 15, "nothing pending", seen=lambda: consumers(redis, "S"))
        after = collections.Counter(r["id"] for r in spans(fleet, "AB") if r["id"] in more)
        check(all(n == 1 for n in after.values()), "each new event ran once: %s" % dict(after))
        check({r["id"] for r in a_starts()} - set(more) == running, "A started nothing of the old events: %s"
              % a_starts())
        print("cut at +0; B ran A's %d events from +%.1f s; back at +%.1f s; A finished %s cut off, dropped %s; "
              "new events ran on %s" % (held, first - cut, back - cut, sorted(running), sorted(waiting),
                                        dict(collections.Counter(r["node"] for r in spans(fleet, "AB")
                                                                 if r["id"] in more))))
        check(dlq_len(redis) == 0, "no dead letters: %d" % dlq_len(redis))


def test_replicas_wait_before_202(tmp):
    """state.replicas: 1 with one replica (a second redis-server, replicaof the first): an
    accept is answered 202 once the replica has it (WAIT) and the event runs; with the
    replica gone the same accept is answered 503 (stored on the primary, not on a replica:
    not promised), never 202, and the node says why in its log."""
    with Redis(tmp) as redis, Redis(os.path.join(tmp, "replica")) as replica:
        check(replica.cmd("REPLICAOF", "127.0.0.1", str(redis.port)) == "OK", "REPLICAOF")
        wait_until(lambda: redis.cmd("INFO", "replication").count("state=online") == 1, 30,
                   "the replica to be online")
        with Fleet(tmp, redis, fn("Rep"), top="") as fleet:
            conf = fleet.config("A").replace("  command_timeout: 500ms\n", "  command_timeout: 500ms\n  replicas: 1\n")
            d = os.path.join(tmp, "A")
            os.makedirs(d, exist_ok=True)
            a = Gateway(d, conf)
            fleet.started.append(a)
            a.start()
            st, _, body = a.invoke("Rep", {"id": "r1"}, EVENT)
            check(st == 202, "with the replica up: %d %s" % (st, body))
            wait_until(lambda: any(r.get("id") == "r1" for r in fleet.runs("A")), 30, "r1 to run")
            replica.kill()
            wait_until(lambda: redis.cmd("INFO", "replication").count("state=online") == 0, 30,
                       "the primary to see the replica gone")
            st, _, body = a.invoke("Rep", {"id": "r2"}, EVENT)
            check(st == 503 and json.loads(body).get("message"), "with the replica gone: %d %s" % (st, body))
            wait_until(lambda: "0 of 1 replicas have the last events" in a.stderr(), 10, "the node's log line")


def test_config_errors(tmp):
    """`fngate validate` refuses a redis backend without `redis`, a bad prefix or URL, and a
    visibility_timeout under 4 command_timeouts (also against the 2 s default), each with
    file:line:col inside the state block; serve refuses the same file; a good one validates
    without a reachable Redis."""
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    func = "functions:\n  F:\n    runtime: python3\n    handler: app.handler\n    code: %s\n" % code
    url = "redis://127.0.0.1:1/0"
    cases = [
        ("state:\n  backend: redis\n", ["'redis'"]),
        ("state:\n  backend: redis\n  redis: \"%s\"\n  prefix: \"a:b\"\n" % url, ["prefix", "a:b"]),
        ("state:\n  backend: redis\n  redis: \"http://127.0.0.1:6379\"\n", ["redis://"]),
        ("state:\n  backend: redis\n  redis: \"%s\"\n  visibility_timeout: 1s\n  command_timeout: 500ms\n" % url,
         ["visibility_timeout", "command_timeout"]),
        ("state:\n  backend: redis\n  redis: \"%s\"\n  visibility_timeout: 5s\n" % url,
         ["visibility_timeout", "command_timeout"]),
    ]
    for state, wants in cases:
        cfg = write(os.path.join(tmp, "bad.yaml"), state + func)
        p = run_cli("validate", "-c", cfg)
        m = re.search(r"^%s:(\d+):(\d+): (.*)$" % re.escape(cfg), p.stderr, re.M)
        check(p.returncode == 1 and m, "refused with file:line:col:\n%s---\nrc %d: %s" % (state, p.returncode, p.stderr))
        check(1 <= int(m.group(1)) <= state.count("\n"), "the position is in the state block:\n%s---\n%s"
              % (state, p.stderr))
        check(all(w in m.group(3) for w in wants), "want %s in the message:\n%s---\n%s" % (wants, state, p.stderr))
    cfg = write(os.path.join(tmp, "bad.yaml"), cases[0][0] + func)
    p = run_cli("serve", "-c", cfg, "--listen", "127.0.0.1:0")
    check(p.returncode != 0 and "'redis'" in p.stderr and "listening" not in p.stderr,
          "serve refuses it before starting: rc %d %s" % (p.returncode, p.stderr))
    good = write(os.path.join(tmp, "good.yaml"), STATE % (url, VISIBILITY_S) + func)
    p = run_cli("validate", "-c", good)
    check(p.returncode == 0, "a good fleet config validates (no Redis needed): rc %d %s" % (p.returncode, p.stderr))
