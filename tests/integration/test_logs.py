# SPDX-License-Identifier: MIT
"""The function log store (router/logstore.c, logread.c, usage.c) and the verbs that read it
through the admin API: `fngate logs` finds yesterday's request by id after a restart, narrows
by time, text and request id, prints JSON, follows new lines and ends when the gateway stops;
retention deletes what is too old (at start) and what is past max_size (as lines come); a
line the store cannot keep is counted, never an event lost; text lines carry their UTC time;
refused async events are logged, a flood in a line a second; `fngate cost` bills recorded
invocations whose GB-seconds are computed here by hand from the REPORT lines."""
import json
import os
import re
import signal
import subprocess
import threading
import time

from harness import FNGATE, LOG_TIME, Gateway, check, env, run_cli, wait_until, write

PY = """import time
def handler(event, context):
    print("hello %s" % event.get("n"))
    if event.get("pad"):
        print("x" * event["pad"])
    time.sleep(event.get("sleep", 0))
    return {"n": event.get("n")}
"""

DAY_MS = 86400000
EVENT = {"X-Amz-Invocation-Type": "Event"}


def config(tmp, extra="", functions=None):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    functions = functions or {"L": ""}
    text = extra + "functions:\n"
    for name, keys in functions.items():
        text += "  %s:\n    runtime: python3\n    handler: app.handler\n    code: %s\n%s" % (name, code, keys)
    return text


def logs_dir(tmp, fn):
    return os.path.join(tmp, ".fngate", "logs", fn)


def call(gw, fn, payload):
    """A sync invoke; returns its request id."""
    status, headers, body = gw.invoke(fn, payload)
    check(status == 200, "invoke %s: %d %s" % (fn, status, body))
    return headers["x-amzn-requestid"]


def reported(gw, rid):
    """The REPORT line of rid on stdout (waits for it)."""
    return gw.wait_stdout(r"REPORT RequestId: %s\t.*$" % rid).group(0)


def logs(gw, *args):
    return run_cli("logs", *(list(args) + gw.admin_args()))


def backdate(tmp, fn, by_ms):
    """Moves every stored line of fn back by by_ms, as if written then: each record's ts,
    the segment's name (its first line's time) and its mtime."""
    d = logs_dir(tmp, fn)
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        with open(path) as f:
            recs = [json.loads(l) for l in f]
        os.unlink(path)
        for r in recs:
            r["ts"] -= by_ms
        moved = os.path.join(d, "%013d.jsonl" % (int(name[:13]) - by_ms))
        with open(moved, "w") as f:
            f.writelines(json.dumps(r, separators=(",", ":")) + "\n" for r in recs)
        os.utime(moved, (recs[-1]["ts"] / 1000, recs[-1]["ts"] / 1000))


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + "Z"


def test_logs_find_yesterdays_request_after_a_restart(tmp):
    conf = config(tmp)
    with Gateway(tmp, conf) as gw:
        rids = [call(gw, "L", {"n": i}) for i in range(3)]
        for rid in rids:
            reported(gw, rid)
        # Text lines start with their UTC time, as CloudWatch shows them; so do fngate's own.
        gw.wait_stdout(r"^" + LOG_TIME + r"\[L\] START RequestId: %s Version: \$LATEST$" % rids[0])
        gw.wait_stdout(r"^" + LOG_TIME + r"\[L\] %s\thello 0$" % rids[0])
        check(all(re.match(LOG_TIME, l) for l in gw.stderr_lines), gw.stderr())
        before = [f for f in os.listdir(logs_dir(tmp, "L")) if f.endswith(".jsonl")]
        check(before, "a segment in %s" % logs_dir(tmp, "L"))
    # Yesterday's lines: the store as the gateway wrote it, a day earlier.
    backdate(tmp, "L", DAY_MS)
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    with Gateway(tmp, conf) as gw:
        # By request id: everything kept is searched; the store survived the restart.
        p = logs(gw, "L", "--request-id", rids[1])
        out = p.stdout.splitlines()
        check(p.returncode == 0 and len(out) == 4, "START, the print, END, REPORT of %s:\n%s%s" % (rids[1], p.stdout,
                                                                                                 p.stderr))
        check(all(l.startswith(yesterday + "T") and rids[1] in l for l in out), p.stdout)
        check(out[0].endswith("START RequestId: %s Version: $LATEST" % rids[1]) and
              out[1].endswith("%s\thello 1" % rids[1]) and "\tBilled Duration: " in out[3], p.stdout)
        check(not any(r in p.stdout for r in (rids[0], rids[2])), "only that request:\n" + p.stdout)
        # Narrowed to the last two hours, yesterday is not there; a window around it is.
        p = logs(gw, "L", "--request-id", rids[1], "--since", "2h")
        check(p.returncode == 0 and p.stdout == "", "yesterday is not in the last 2 hours: %r" % p.stdout)
        ts = [json.loads(l)["ts"] for f in sorted(os.listdir(logs_dir(tmp, "L"))) for l in
              open(os.path.join(logs_dir(tmp, "L"), f))]
        p = logs(gw, "L", "--since", iso(ts[0] - 60000), "--until", iso(ts[-1] + 60000))
        check(p.returncode == 0 and all(r in p.stdout for r in rids) and p.stdout.count("REPORT RequestId") == 3,
              p.stdout + p.stderr)
        p = logs(gw, "L", "--since", "2d", "--filter", "hello 2")
        check(p.returncode == 0 and len(p.stdout.splitlines()) == 1 and
              p.stdout.rstrip().endswith("%s\thello 2" % rids[2]), "one line has 'hello 2': %r" % p.stdout)
        p = logs(gw, "L", "--request-id", rids[0], "--json")
        recs = [json.loads(l) for l in p.stdout.splitlines()]
        check(p.returncode == 0 and len(recs) == 4 and
              all(r["function"] == "L" and r["request_id"] == rids[0] and r["time"].startswith(yesterday) and
                  isinstance(r["ts"], int) for r in recs) and recs[1]["line"] == "%s\thello 0" % rids[0], recs)
        # Today's call shows in the default window (10 minutes); yesterday's do not.
        rid = call(gw, "L", {"n": 9})
        reported(gw, rid)
        p = logs(gw, "L")
        check(p.returncode == 0 and rid in p.stdout and not any(r in p.stdout for r in rids), p.stdout)
        p = logs(gw, "L", "--since", "2d", "--limit", "2")
        check(p.returncode == 0 and len(p.stdout.splitlines()) == 2 and "REPORT RequestId: %s" % rid in p.stdout
              and "older matching lines are not shown" in p.stderr, "the newest 2 lines: %r %r" % (p.stdout, p.stderr))
        p = logs(gw, "Nope")
        check(p.returncode == 1 and "no function named Nope" in p.stderr, "unknown function: %d %r" % (p.returncode,
                                                                                                    p.stderr))
        p = logs(gw, "L", "--since", "yesterday")
        check(p.returncode == 2 and "--since" in p.stderr, p.stderr)
        status, _, _ = gw.admin("GET", "/_fngate/logs/L", token=False)
        check(status == 401, "the admin token is required: %d" % status)


def follower(gw, *args):
    """`fngate logs --follow` running, its stdout lines collected as they come."""
    proc = subprocess.Popen([FNGATE, "logs", "--follow"] + list(args) + gw.admin_args(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env())
    lines = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    return proc, lines


def test_logs_follow_streams_new_lines(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        first = call(gw, "L", {"n": 1})
        reported(gw, first)
        proc, lines = follower(gw, "L", "--since", "5m", "--filter", "hello")
        try:
            # Its first answer (the window) is printed: it follows from here on.
            wait_until(lambda: any("hello 1" in l for l in lines), 10, "the window's line", lambda: lines)
            later = call(gw, "L", {"n": 2})
            wait_until(lambda: any(l.rstrip().endswith("%s\thello 2" % later) for l in lines), 10,
                       "the line written after --follow started", lambda: lines)
            check(len(lines) == 2, "each line once, only the filtered ones: %r" % lines)
            # The gateway stops with a follow waiting: it answers it, and the client ends.
            gw.stop()
            proc.wait(15)
            check(proc.returncode == 1, "follow ends when the gateway goes: %s" % proc.returncode)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(10)


def segment(path, ts, text, mtime_ms):
    with open(path, "w") as f:
        f.write(json.dumps({"ts": ts, "line": text}, separators=(",", ":")) + "\n")
    os.utime(path, (mtime_ms / 1000, mtime_ms / 1000))


def test_logs_retention_trims(tmp):
    now = int(time.time() * 1000)
    d = logs_dir(tmp, "L")
    os.makedirs(d)
    old, recent = now - 40 * DAY_MS, now - 2 * DAY_MS
    segment(os.path.join(d, "%013d.jsonl" % old), old, "forty days ago", old + 1000)
    segment(os.path.join(d, "%013d.jsonl" % recent), recent, "two days ago", recent + 1000)
    gone = logs_dir(tmp, "Removed")           # a function no longer configured: trimmed too
    os.makedirs(gone)
    segment(os.path.join(gone, "%013d.jsonl" % old), old, "forty days ago", old + 1000)
    with Gateway(tmp, config(tmp, "logs: {retention: 30d, max_size: 16KB}\n")) as gw:
        # Age (30 days), at start: the 40-day-old segment goes, the 2-day-old one stays.
        wait_until(lambda: not os.path.exists(os.path.join(d, "%013d.jsonl" % old)), 10, "the old segment to go")
        wait_until(lambda: not os.path.exists(gone), 10, "the removed function's old lines to go")
        p = logs(gw, "L", "--since", "3d")
        check(p.returncode == 0 and p.stdout.endswith("two days ago\n"), p.stdout + p.stderr)
        # Size: about 60 KB of lines through a 16 KB store (segments of 4 KB).
        rids = [call(gw, "L", {"n": i, "pad": 1000}) for i in range(50)]
        reported(gw, rids[-1])
        wait_until(lambda: logs(gw, "L", "--request-id", rids[-1]).stdout.count("\n") == 5, 10, "the last call kept")
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        check(size <= 16384 + 4096 + 2048, "16 KB and the open segment at most: %d bytes in %s" % (size, os.listdir(d)))
        check(logs(gw, "L", "--request-id", rids[0]).stdout == "", "the first call's lines are gone")
        check(not os.path.exists(os.path.join(d, "%013d.jsonl" % recent)), "the oldest segment went first")


def test_logs_lost_lines_are_counted_never_events(tmp):
    # A file where the function's log directory must be: its lines cannot be kept.
    os.makedirs(os.path.join(tmp, ".fngate", "logs"))
    write(os.path.join(logs_dir(tmp, "Blocked")), "not a directory\n")
    conf = config(tmp, functions={"Blocked": "", "L": ""})
    with Gateway(tmp, conf) as gw:
        status, _, body = gw.admin("GET", "/metrics")
        check(status == 200 and re.search(r"^fngate_log_lines_dropped_total 0$", body.decode(), re.M), body)
        rid = call(gw, "Blocked", {"n": 1})
        reported(gw, rid)
        status, _, _ = gw.invoke("Blocked", {"n": 2}, EVENT)
        check(status == 202, "async accepted: %d" % status)
        gw.wait_stdout(r"\thello 2$")

        def dropped():
            m = re.search(r"^fngate_log_lines_dropped_total (\d+)$", gw.admin("GET", "/metrics")[2].decode(), re.M)
            return int(m.group(1)) if m else -1
        wait_until(lambda: dropped() >= 8, 10, "8 lines counted (START, print, END, REPORT twice)", dropped)
        check(any("function log line(s) not kept" in l for l in gw.stderr_lines), gw.stderr())
        # The other function's lines are kept.
        rid = call(gw, "L", {"n": 3})
        reported(gw, rid)
        check(logs(gw, "L", "--request-id", rid).stdout.count("\n") == 4, "L's lines are kept")
    with Gateway(tmp, config(tmp, "logs: {store: false}\n")) as gw:
        rid = call(gw, "L", {"n": 4})
        reported(gw, rid)
        p = logs(gw, "L", "--request-id", rid)
        check(p.returncode == 1 and "not kept (logs.store: false)" in p.stderr, p.stderr)


def test_refused_async_events_are_logged_not_flooded(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        for _ in range(40):
            check(gw.invoke("Nope", {}, EVENT)[0] == 404, "unknown function")
        big = json.dumps({"pad": "x" * (1024 * 1024)})
        check(gw.invoke("L", big, EVENT)[0] == 413, "too large")
        wait_until(lambda: any("function L: async event refused (413" in l for l in gw.stderr_lines), 10,
                   "the 413 logged", gw.stderr)
        lines = [l for l in gw.stderr_lines if "function Nope: async event refused (404, no such function" in l]
        check(1 <= len(lines) <= 2, "40 refusals, one line a second: %s" % lines)
        check(all(re.match(LOG_TIME, l) for l in lines), lines)


def billed_ms(report):
    return int(re.search(r"\tBilled Duration: (\d+) ms\t", report).group(1))


def test_cost_bills_recorded_invocations(tmp):
    functions = {"Small": "    memory: 256\n", "Big": "    memory: 1024\n"}
    conf = config(tmp, "pricing: {free_requests: 0, free_gb_seconds: 0}\n", functions)
    want = {}
    with Gateway(tmp, conf) as gw:
        for fn, mb, n in (("Small", 256, 3), ("Big", 1024, 2)):
            for i in range(n):
                rid = call(gw, fn, {"n": i, "sleep": 0.2})
                ms = billed_ms(reported(gw, rid))
                check(ms >= 200, "slept 200 ms: %d" % ms)
                req, gbs = want.get(fn, (0, 0.0))
                want[fn] = (req + 1, gbs + ms / 1000.0 * mb / 1024.0)
        p = run_cli("cost", "--json", *gw.admin_args(), cwd=tmp)
        check(p.returncode == 0, p.stderr)
        bill = json.loads(p.stdout)
    rate, per_request = 0.0000166667, 0.20 / 1e6
    rows = {r["function"]: r for r in bill["functions"]}
    check(set(rows) == {"Small", "Big"}, bill)
    for fn, (req, gbs) in want.items():
        r = rows[fn]
        check(r["requests"] == req and abs(r["gb_seconds"] - gbs) < 1e-9, "%s: want %d requests, %.9f GB-s: %s"
              % (fn, req, gbs, r))
        check(abs(r["duration_cost"] - gbs * rate) < 1e-12 and abs(r["request_cost"] - req * per_request) < 1e-12, r)
    total_gbs = sum(g for _, g in want.values())
    check(bill["total"]["requests"] == 5 and abs(bill["total"]["gb_seconds"] - total_gbs) < 1e-9 and
          abs(bill["total"]["total"] - (total_gbs * rate + 5 * per_request)) < 1e-12, bill["total"])
    # Recorded durably: a new gateway on the same state_dir bills the same; one function alone.
    with Gateway(tmp, conf) as gw:
        p = run_cli("cost", "Big", "--json", "--since", "1h", *gw.admin_args(), cwd=tmp)
        one = json.loads(p.stdout)
        check(p.returncode == 0 and [r["function"] for r in one["functions"]] == ["Big"] and
              abs(one["total"]["gb_seconds"] - want["Big"][1]) < 1e-9, one)
        p = run_cli("cost", *gw.admin_args(), cwd=tmp)
        check(p.returncode == 0 and re.search(r"^Small +3 ", p.stdout, re.M) and re.search(r"^total +5 ", p.stdout, re.M),
              p.stdout)
        # The free tier (AWS's, from a config without pricing:) covers all of it.
        write(os.path.join(tmp, "free.yaml"), config(tmp, "", functions))
        p = run_cli("cost", "--json", "-c", os.path.join(tmp, "free.yaml"), *gw.admin_args(), cwd=tmp)
        check(p.returncode == 0 and json.loads(p.stdout)["total"]["total"] == 0, p.stdout + p.stderr)
