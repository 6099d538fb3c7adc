# SPDX-License-Identifier: MIT
"""Fleet mode (`state: {backend: redis}`): several `fngate serve` processes, each in its own
directory (config, state_dir, admin token), share one redis-server as their state store.
Against the real binary and a real redis-server: three nodes and a kill -9 lose no accepted
event; a rate(1 second) schedule fires each tick once in the whole fleet, also across a
kill -9 and restart; Redis down means 503 (never a false 202) and a not-ready probe, and
delivery resumes when it is back; a dead node's claims go to a live node after
visibility_timeout while a live node keeps its own; a clean stop hands back and leaves the
group; dead letters are seen and redriven from any node; config errors have positions.

Assertions from the test's side read Redis itself: the function's stream {fngate}:q:FN and
its group "fngate", the dead letters {fngate}:dlq, the schedule marks {fngate}:marks, the
node leases {fngate}:node:CONSUMER (a consumer is "NODE.GEN"; NODE names the process)."""
import calendar
import collections
import http.client
import json
import os
import re
import threading
import time

from harness import Gateway, Redis, check, json_lines, run_cli, wait_until, write

# test_three_nodes_kill9_loses_nothing: async invokes sent, client threads sending them, and
# the most deliveries of one id past the first (events the killed node ran, not acknowledged).
FLEET_EVENTS = 10000
FLEET_CLIENTS = 6
FLEET_MAX_DUPLICATES = 200
# test_schedule_fires_once_per_tick_across_three_nodes: ticks watched with all three nodes up.
SCHEDULE_TICKS = 12
# test_node_death_claims_taken_over: events node A holds (running) when it is killed.
HELD_EVENTS = 3
# state.visibility_timeout of every fleet here (3s), and its command_timeout (500ms).
VISIBILITY_S = 3

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
    node appends to it). On exit every node started is stopped (SIGTERM), all of them even
    when one fails, each checked for a clean exit when the test passed."""

    def __init__(self, tmp, redis, functions):
        self.tmp, self.redis, self.functions = tmp, redis, functions
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
        return STATE % (self.redis.url, VISIBILITY_S) + "functions:\n" + body

    def start(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        gw = Gateway(d, self.config(name))
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
