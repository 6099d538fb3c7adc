# SPDX-License-Identifier: MIT
"""Schedules against the real gateway: rate(1 second) fires about once a second with the
Scheduled Event shape, at() fires once, input replaces the event, disabled schedules stay
silent, and restarts catch up by policy (last: exactly once, none: never, all: each).
Real seconds only: the rate(N seconds) extension keeps every test short."""
import calendar
import json
import os
import re
import time

from harness import UUID4, Gateway, check, json_lines, run_cli, wait_until, write

PY = """
import json, os, time
def handler(event, context):
    with open(os.environ["OUT"], "a") as f:
        f.write(json.dumps({"event": event, "t": time.time()}) + "\\n")
"""


def setup(tmp, events, extra=""):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    return ("%sfunctions:\n  Tick:\n    runtime: python3\n    handler: app.handler\n    code: %s\n"
            "    environment: {OUT: %s}\n    events:\n%s" % (extra, code, os.path.join(tmp, "out.txt"), events))


def fires(tmp):
    return json_lines(os.path.join(tmp, "out.txt"))


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def test_rate_fires_every_second_with_scheduled_event(tmp):
    with Gateway(tmp, setup(tmp, "      - schedule: rate(1 second)\n")) as gw:
        got = wait_until(lambda: len(fires(tmp)) >= 4 and fires(tmp), 15, "four fires")
        ev = got[0]["event"]
        # EventBridge's Scheduled Event, exactly: these keys, these values.
        want = {"version": "0", "id": ev["id"], "detail-type": "Scheduled Event", "source": "aws.events",
                "account": "000000000000", "time": ev["time"], "region": "us-east-1",
                "resources": ["arn:aws:events:us-east-1:000000000000:rule/Tick-schedule-1"], "detail": {}}
        check(ev == want, "Scheduled Event shape:\n got  %s\n want %s" % (ev, want))
        check(re.fullmatch(UUID4, ev["id"]) and
              re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ev["time"]), "id (UUID v4) and time: %s" % ev)
        check(len({f["event"]["id"] for f in got}) == len(got), "every fire has its own id: %s" % got)
        times = [epoch(f["event"]["time"]) for f in got[:4]]
        check(times == list(range(times[0], times[0] + 4)), "one fire per second, each tick once: %s" % times)
        s = gw.view("schedules")["schedules"][0]
        check(s["name"] == "Tick-schedule-1" and s["expression"] == "rate(1 second)" and
              s["lastFire"] and epoch(s["nextFire"]) - epoch(s["lastFire"]) == 1 and s["fired"] >= 4,
              "admin view: %s" % s)
        p = run_cli("schedules", *gw.admin_args())
        check(p.returncode == 0 and "Tick-schedule-1" in p.stdout and "rate(1 second)" in p.stdout,
              "fngate schedules:\n%s%s" % (p.stdout, p.stderr))


def test_at_fires_once_and_input_replaces_the_event(tmp):
    when = time.gmtime(time.time() + 6)     # after the gateway is up, even a slow start
    at = time.strftime("%Y-%m-%dT%H:%M:%S", when)
    # A marker schedule fires every second beside them: once it has fired for two ticks past
    # the at() time, every schedule due by then has been considered (one timer, one heap).
    events = ("      - schedule: {expression: \"at(%s)\", name: once, input: {job: cleanup, dry_run: false}}\n"
              "      - schedule: {expression: rate(1 second), enabled: false}\n"
              "      - schedule: {expression: rate(1 second), name: marker, input: {marker: true}}\n" % at)
    with Gateway(tmp, setup(tmp, events)) as gw:
        def view():
            v = gw.view("schedules")
            return {x["name"]: x for x in v["schedules"]}, v
        wait_until(lambda: any(f["event"] == {"job": "cleanup", "dry_run": False} for f in fires(tmp)), 20,
                   "the at() fire, with its input as the event")
        wait_until(lambda: view()[0]["marker"]["lastFire"] and
                   epoch(view()[0]["marker"]["lastFire"]) >= calendar.timegm(when) + 2, 10,
                   "the marker to fire two ticks after the at() time")
        s, v = view()
        check(sorted(s) == ["marker", "once"], "a disabled schedule is not listed: %s" % sorted(s))
        check(s["once"]["lastFire"] == at + "Z" and s["once"]["nextFire"] is None and s["once"]["fired"] == 1,
              "at() fired once, at its time, and has no next fire: %s" % s["once"])
        check(v["fired"] == 1 + s["marker"]["fired"], "nothing but at() and the marker fired: %s" % v)
        check(len([f for f in fires(tmp) if "marker" not in f["event"]]) == 1,
              "at() ran once and a disabled schedule never: %s" % fires(tmp))


def run_until_fired(tmp, conf):
    """Runs a gateway until its schedule has fired once (so the state file holds a last fire)."""
    with Gateway(tmp, conf):
        wait_until(lambda: fires(tmp), 10, "the first fire")


def test_catch_up_policies_on_restart(tmp):
    for policy, want in (("last", 1), ("none", 0), ("all", None)):
        d = os.path.join(tmp, policy)
        os.makedirs(d)
        conf = setup(d, "      - schedule: {expression: rate(2 seconds), catch_up: %s, max_catch_up: 1h}\n" % policy)
        run_until_fired(d, conf)
        stopped = time.time()
        time.sleep(5)                               # two ticks fall due while it is down
        before = len(fires(d))
        gw = Gateway(d, conf)
        gw.start()
        try:
            armed = wait_until(lambda: re.search(r"^(\S+) INFO  schedule: \d+ schedule\(s\) armed", gw.stderr(), re.M),
                               10, "the schedules to start")
            # Ticks up to the second the schedules were armed are the catch-up's; later ones are regular.
            started = int(calendar.timegm(time.strptime(armed.group(1)[:19], "%Y-%m-%dT%H:%M:%S"))) + 0.5
            # Fires whose tick falls in the downtime are the catch-up ones.
            wait_until(lambda: any(epoch(f["event"]["time"]) >= started for f in fires(d)[before:]), 15,
                       "a regular tick after the restart")
        finally:
            gw.stop()
        missed = [f for f in fires(d)[before:] if stopped < epoch(f["event"]["time"]) < started - 0.01]
        if want is None:
            check(len(missed) >= 2 and len({f["event"]["time"] for f in missed}) == len(missed),
                  "catch_up all: each missed tick once: %s" % [f["event"]["time"] for f in missed])
        else:
            check(len(missed) == want, "catch_up %s: %d catch-up fire(s) expected, got %s" %
                  (policy, want, [f["event"]["time"] for f in missed]))
        times = [f["event"]["time"] for f in fires(d)]
        check(len(times) == len(set(times)), "no tick fired twice across the restart (%s): %s" % (policy, times))


def test_suspended_gateway_catches_up_by_policy(tmp):
    """A gateway frozen for 3.5 s (SIGSTOP, as a machine that sleeps or a clock that jumps
    forward): on waking, several ticks are due at once; `last` fires only the latest, `all`
    fires each, and no tick ever fires twice."""
    import signal
    for policy in ("last", "all"):
        d = os.path.join(tmp, policy)
        os.makedirs(d)
        conf = setup(d, "      - schedule: {expression: rate(1 second), catch_up: %s}\n" % policy)
        with Gateway(d, conf) as gw:
            wait_until(lambda: len(fires(d)) >= 2, 10, "two fires before the freeze")
            os.kill(gw.proc.pid, signal.SIGSTOP)
            frozen = time.time()
            time.sleep(3.5)
            os.kill(gw.proc.pid, signal.SIGCONT)
            woke = time.time()
            wait_until(lambda: any(epoch(f["event"]["time"]) > woke + 1 for f in fires(d)), 10, "fires after waking")
        ticks = [epoch(f["event"]["time"]) for f in fires(d)]
        check(len(ticks) == len(set(ticks)), "no tick twice (%s): %s" % (policy, ticks))
        during = sorted(t for t in ticks if frozen + 0.5 < t < woke - 0.5)   # workers run them in parallel
        if policy == "last":
            check(len(during) <= 1, "catch_up last: at most the latest missed tick fires: %s" % during)
            check("missed tick(s) folded into one fire" in gw.stderr(), "the skip is logged:\n" + gw.stderr())
        else:
            check(len(during) >= 2 and during == list(range(during[0], during[0] + len(during))),
                  "catch_up all: every missed tick fires: %s" % during)


def test_clock_behind_the_stored_last_fire_does_not_refire(tmp):
    """A stored last fire in the future (the clock was set back) fires nothing until the clock
    passes it: the state store is edited the way a clock jump would leave it."""
    conf = setup(tmp, "      - schedule: {expression: rate(1 second), name: t}\n")
    run_until_fired(tmp, conf)
    import sqlite3
    db = sqlite3.connect(os.path.join(tmp, ".fngate", "fngate.db"))
    ahead = int(time.time()) + 4
    db.execute("UPDATE schedules SET last_fire=? WHERE name='t'", (ahead,))
    db.commit()
    db.close()
    before = len(fires(tmp))
    with Gateway(tmp, conf):
        wait_until(lambda: len(fires(tmp)) > before, 15, "the first fire after the stored one")
        first = epoch(fires(tmp)[before]["event"]["time"])
        check(first == ahead + 1, "the first tick after the stored last fire (%d), got %d" % (ahead + 1, first))


def test_schedule_config_errors(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    cases = [
        ("      - schedule: cron(0 12 1 * MON *)\n", ":8:33: schedule cron(0 12 1 * MON *): day-of-month and day-of-week cannot both be set"),
        ("      - schedule: {expression: \"cron(0 12 * * ? *)\", timezone: Mars/Olympus}\n", ":8:64: timezone: unknown time zone 'Mars/Olympus'"),
        ("      - schedule: rate(1 minutes)\n", ":8:26: schedule rate(1 minutes): 'minutes' is for more than 1; write rate(1 minute)"),
        ("      - schedule: {expression: rate(1 minute), catch_up: sometimes}\n", "catch_up: unknown value 'sometimes'"),
        ("      - schedule: {expression: rate(1 minute), name: a}\n      - schedule: {expression: rate(2 minutes), name: a}\n",
         ":9:32: duplicate schedule name 'a' (already used at"),
        ("      - schedule: {expression: rate(1 minute), input: \"not json\"}\n", "input: a string input must be JSON text"),
    ]
    for events, want in cases:
        cfg = write(os.path.join(tmp, "bad.yaml"), setup(tmp, events))
        p = run_cli("validate", "-c", cfg)
        check(p.returncode != 0 and want in p.stderr, "want %r, got rc %d: %s" % (want, p.returncode, p.stderr))
    cfg = write(os.path.join(tmp, "good.yaml"), setup(tmp, "      - schedule: cron(0 12 * * ? *)\n"))
    p = run_cli("validate", "-c", cfg)
    check(p.returncode == 0 and "cron(0 12 * * ? *)" in p.stdout, "validate lists schedules:\n" + p.stdout)


def test_schedule_next_cli(tmp):
    p = run_cli("schedule", "next", "cron(30 2 * * ? *)", "--tz", "Europe/Berlin", "--from", "2026-03-28T12:00:00", "-n", "2")
    check(p.returncode == 0 and p.stdout.splitlines()[0].startswith("2026-03-29T03:00:00+02:00") and
          "2026-03-29T01:00:00Z" in p.stdout and p.stdout.splitlines()[1].startswith("2026-03-30T02:30:00+02:00"),
          "the 02:30 that does not exist fires at 03:00:\n" + p.stdout)
    # --from as an ISO 8601 instant (Z or an offset) rather than local time in the zone: one
    # second after the 01:00Z fire, the next is the day after; as Berlin local time, the same
    # text is before that fire.
    for start, want in (("2026-03-29T01:00:01", "2026-03-29T03:00:00+02:00"),
                        ("2026-03-29T01:00:01Z", "2026-03-30T02:30:00+02:00"),
                        ("2026-03-29T03:00:01+02:00", "2026-03-30T02:30:00+02:00"),
                        ("2026-03-28T20:00:01-05:00", "2026-03-30T02:30:00+02:00")):
        p = run_cli("schedule", "next", "cron(30 2 * * ? *)", "--tz", "Europe/Berlin", "--from", start, "-n", "1")
        check(p.returncode == 0 and p.stdout.startswith(want), "--from %s: want %s\n%s%s" % (start, want, p.stdout, p.stderr))
    p = run_cli("schedule", "next", "cron(30 2 * * ? *)", "--from", "2026-03-29T01:00:01+1:00")
    check(p.returncode == 1 and "expected yyyy-mm-ddThh:mm:ss, then nothing, Z or +hh:mm" in p.stderr, p.stderr)
    p = run_cli("schedule", "next", "cron(0 12 1 * MON *)")
    check(p.returncode == 1 and "column 15" in p.stderr and "use ? in one of them" in p.stderr, p.stderr)


def test_cron_example(tmp):
    """examples/cron: the crontab line moved to fngate validates, fires at 02:30 Berlin time
    summer and winter, and its handler cleans what it should."""
    import shutil
    ex = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples", "cron")
    d = os.path.join(tmp, "cron")
    shutil.copytree(ex, d, ignore=shutil.ignore_patterns(".fngate"))
    p = run_cli("validate", "-c", os.path.join(d, "fngate.yaml"))
    check(p.returncode == 0 and "schedule: 30 2 * * *  (name nightly-cleanup, Europe/Berlin" in p.stdout, p.stdout + p.stderr)
    for day, want in (("2027-01-15T00:00:00", "2027-01-15T02:30:00+01:00"), ("2027-07-15T00:00:00", "2027-07-15T02:30:00+02:00")):
        p = run_cli("schedule", "next", "30 2 * * *", "--tz", "Europe/Berlin", "--from", day, "-n", "1")
        check(p.stdout.startswith(want), "%s: %s" % (want, p.stdout))
    junk = os.path.join(tmp, "junk")
    os.makedirs(junk)
    old, new = os.path.join(junk, "old.log"), os.path.join(junk, "new.log")
    for path in (old, new):
        write(path, "x\n")
    os.utime(old, (time.time() - 10 * 86400,) * 2)
    p = run_cli("invoke", "NightlyCleanup", "-c", os.path.join(d, "fngate.yaml"), "--local",
                "--payload", json.dumps({"directory": junk, "max_age_days": 7}))
    out = json.loads(p.stdout)
    check(p.returncode == 0 and out["removed"] == 1 and out["kept"] == 1 and not os.path.exists(old) and
          os.path.exists(new), "cleanup result: %s %s" % (p.stdout, p.stderr))


def test_kill9_right_after_a_fire_never_fires_that_tick_again(tmp):
    """kill -9 right after a fire was committed (the function saw it), restart: that tick
    does not fire again, and the ticks after it fire once each. A fire interrupted in the
    function may run again (at least once), with the same event id: a second fire of a
    tick would have a new one."""
    conf = setup(tmp, "      - schedule: {expression: rate(4 seconds), name: k}\n")
    gw = Gateway(tmp, conf)
    gw.start()
    try:
        first = wait_until(lambda: fires(tmp), 15, "a fire")[0]["event"]
    finally:
        gw.kill9()
    t0 = epoch(first["time"])
    with Gateway(tmp, conf) as gw:
        wait_until(lambda: any(epoch(f["event"]["time"]) >= t0 + 8 for f in fires(tmp)), 25,
                   "two ticks after the killed one")
        s = gw.view("schedules")["schedules"][0]
    ids = {}
    for f in fires(tmp):
        ids.setdefault(epoch(f["event"]["time"]), set()).add(f["event"]["id"])
    check(ids[t0] == {first["id"]}, "the tick fired before the kill -9 never fires again: %s" % ids[t0])
    check(all(len(v) == 1 for v in ids.values()), "each tick fires once: %s" % ids)
    after = sorted(t for t in ids if t > t0)
    check(after and after == list(range(after[0], after[0] + 4 * len(after), 4)) and after[0] >= t0 + 4,
          "the ticks after it fire, each once, every 4 s: %s" % after)
    check(s["fired"] == len(after), "the restarted gateway fired exactly those: %s" % s)


def test_max_catch_up_limits_the_missed_ticks_fired(tmp):
    """catch_up: all with max_catch_up: 3m after an hour down: only the ticks of the last
    3 minutes fire (rate(1 minute): exactly 3), each once; the hour before them is skipped.
    The state file's last fire is set an hour back, as an hour's downtime leaves it."""
    import sqlite3
    conf = setup(tmp, "      - schedule: {expression: rate(1 minute), name: m, catch_up: all, max_catch_up: 3m}\n")
    with Gateway(tmp, conf) as gw:
        wait_until(lambda: "schedule(s) armed" in gw.stderr(), 10, "the schedule to be armed (first sight)")
    db = sqlite3.connect(os.path.join(tmp, ".fngate", "fngate.db"))
    db.execute("UPDATE schedules SET last_fire=? WHERE name='m'", (int(time.time()) - 3600,))
    db.commit()
    db.close()
    # Start well inside a minute, so the ticks of the last 3 minutes are known exactly.
    wait_until(lambda: 3 <= time.time() % 60 <= 40, 60, "the clock to be inside a minute")
    with Gateway(tmp, conf) as gw:
        now = int(time.time())
        m0 = now - now % 60
        want = [m0 - 120, m0 - 60, m0]
        wait_until(lambda: "schedule(s) armed" in gw.stderr(), 10, "the schedule to be armed")
        # The catch-up fires are made while arming: the count is final once armed.
        s = gw.view("schedules")["schedules"][0]
        check(s["fired"] == 3, "exactly the 3 ticks within max_catch_up fire, not the hour's 60: %s" % s)
        # The catch-up fires: ticks up to the minute the gateway started in (a later, regular
        # tick is not one of them).
        caught = lambda: [f for f in fires(tmp) if epoch(f["event"]["time"]) <= m0]
        got = wait_until(lambda: len(caught()) >= 3 and caught(), 20, "the 3 catch-up fires to run")
        check(sorted(epoch(f["event"]["time"]) for f in got) == want,
              "the ticks of the last 3 minutes: %s, want %s" % ([f["event"]["time"] for f in got], want))
