# SPDX-License-Identifier: MIT
"""The console's Test button through the admin API (issue 18, contract items 4 and 5):
saved test events per function in the state file (create, list, replace, delete, the
Lambda console's name rule and its limit of 10, kept across restarts and for a function
that leaves the configuration, a version-1 state file migrated), and test invocations of
the seed's HelloLambda and of failing and throttled functions."""
import json
import os
import re
import sqlite3
import threading

from harness import Gateway, check, run_cli, wait_until, write
from test_hello import hello_config     # the seed's HelloLambda, memory 128

PY = """
import os, time

def handler(event, context):
    return {"got": event}

def fail(event, context):
    print("about to fail")
    raise ValueError("failing on purpose")

def slow(event, context):
    open(os.path.join(%(dir)r, "started"), "w").close()
    for _ in range(400):                    # at most 20 s: the test releases it
        if os.path.exists(os.path.join(%(dir)r, "release")):
            break
        time.sleep(0.05)
    return "done"
"""

# The state file's schema before test events (user_version 1), as fngate wrote it.
SCHEMA_V1 = """
CREATE TABLE events(id INTEGER PRIMARY KEY, request_id TEXT NOT NULL, function TEXT NOT NULL, url TEXT,
  payload BLOB NOT NULL, accepted_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0, deferrals INTEGER NOT NULL DEFAULT 0);
CREATE TABLE dlq(id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, function TEXT NOT NULL,
  url TEXT, payload BLOB NOT NULL, accepted_ms INTEGER NOT NULL, failed_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL, condition TEXT NOT NULL, error_type TEXT, error_message TEXT);
CREATE INDEX dlq_function ON dlq(function);
CREATE TABLE schedules(name TEXT PRIMARY KEY, last_fire INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE files(key TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL) WITHOUT ROWID;
PRAGMA user_version=1;
"""


def config(tmp, names=("W", "Fail", "Slow")):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY % {"dir": tmp})
    handlers = {"W": "app.handler", "Fail": "app.fail", "Slow": "app.slow"}
    out = "functions:\n"
    for n in names:
        out += "  %s:\n    runtime: python3\n    handler: %s\n    code: %s\n    timeout: 30\n" % (n, handlers[n], code)
        if n == "Slow":
            out += "    concurrency: 1\n"
    return out


def events_path(fn):
    return "/_fngate/functions/%s/test-events" % fn


def answer(gw, method, path, body=None, timeout=30):
    """status, parsed JSON body."""
    status, headers, data = gw.admin(method, path, None if body is None else json.dumps(body), timeout=timeout)
    check(headers.get("content-type") == "application/json", "%s %s: %s" % (method, path, headers))
    return status, json.loads(data)


def save(gw, fn, name, event):
    return answer(gw, "POST", events_path(fn), {"name": name, "event": event})


def listed(gw, fn):
    status, body = answer(gw, "GET", events_path(fn))
    check(status == 200, "list %s: %s %s" % (fn, status, body))
    return body["events"]


def test_test_events_crud(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        check(listed(gw, "W") == [], "no saved events at first")
        status, body = save(gw, "W", "Test", {"name": "Himanshu"})
        check(status == 200 and body["name"] == "Test" and isinstance(body["updated"], int), body)
        first = body["updated"]
        save(gw, "W", "another-one_2", [1, "two", None])
        save(gw, "W", "Alpha", "just a string")
        events = listed(gw, "W")
        check([e["name"] for e in events] == ["Alpha", "Test", "another-one_2"], "sorted by name: %s" % events)
        check(events[1]["event"] == {"name": "Himanshu"} and events[2]["event"] == [1, "two", None] and
              events[0]["event"] == "just a string", events)
        check(listed(gw, "Fail") == [], "events are per function")

        # replace: same name, new event, a later (or equal) updated time
        status, body = save(gw, "W", "Test", {"name": "Replaced", "n": 1.5})
        check(status == 200 and body["updated"] >= first, body)
        events = {e["name"]: e for e in listed(gw, "W")}
        check(len(events) == 3 and events["Test"]["event"] == {"name": "Replaced", "n": 1.5} and
              events["Test"]["updated"] == body["updated"], events)

        # delete, then delete again
        status, body = answer(gw, "POST", events_path("W") + "/delete", {"name": "Alpha"})
        check(status == 200 and body == {"deleted": 1}, body)
        status, body = answer(gw, "POST", events_path("W") + "/delete", {"name": "Alpha"})
        check(status == 200 and body == {"deleted": 0}, body)
        check([e["name"] for e in listed(gw, "W")] == ["Test", "another-one_2"], "Alpha deleted")

        # names as the Lambda console takes them
        for bad in ["", "x" * 26, "has space", "dot.ted", "slash/x", "caf\u00e9", 7]:
            status, body = save(gw, "W", bad, {})
            check(status == 400 and "name" in body["message"], "name %r: %s %s" % (bad, status, body))
        check(save(gw, "W", "y" * 25, {})[0] == 200, "25 characters are fine")
        status, body = answer(gw, "POST", events_path("W"), {"name": "NoEvent"})
        check(status == 400 and "event" in body["message"], body)
        status, _, data = gw.admin("POST", events_path("W"), "{not json")
        check(status == 400 and "not JSON" in json.loads(data)["message"], data)

        # at most 10 per function: the 11th is refused, a replace at 10 is not
        for i in range(7):
            check(save(gw, "W", "e%d" % i, {"i": i})[0] == 200, "event %d" % i)
        check(len(listed(gw, "W")) == 10, "10 saved")
        status, body = save(gw, "W", "Eleventh", {})
        check(status == 400 and "10 saved test events" in body["message"], "the 11th: %s %s" % (status, body))
        check(save(gw, "W", "e3", {"i": "again"})[0] == 200, "replacing one of the 10 is allowed")
        check(len(listed(gw, "W")) == 10, "still 10")
        check(save(gw, "Fail", "Eleventh", {})[0] == 200, "the limit is per function")

        # bodies are at most the admin cap; unknown functions and methods
        status, body = save(gw, "W", "Big", "x" * 70000)
        check(status == 413 and "65536" in body["message"], "a body over 64 KB: %s %s" % (status, body))
        status, body = answer(gw, "GET", events_path("Nope"))
        check(status == 404 and body == {"message": "no function named Nope"}, body)
        status, body = save(gw, "Nope", "Test", {})
        check(status == 404 and body == {"message": "no function named Nope"}, body)
        status, body = answer(gw, "POST", "/_fngate/functions/Nope/invoke", {"payload": {}})
        check(status == 404 and body == {"message": "no function named Nope"}, body)
        status, headers, data = gw.admin("DELETE", events_path("W"), headers={"Content-Type": "application/json"})
        check(status == 405 and headers.get("allow") == "GET, POST", "DELETE: %s %s %s" % (status, headers, data))
        status, headers, data = gw.admin("GET", "/_fngate/functions/W/invoke")
        check(status == 405 and headers.get("allow") == "POST", "GET invoke: %s %s %s" % (status, headers, data))
        status, _, _ = gw.admin("GET", events_path("W"), token="wrong")
        check(status == 401, "the admin token is required: %s" % status)


def test_test_events_persist_and_follow_the_function(tmp):
    """Kept in the state file across a restart on the same state_dir; a function removed
    from the configuration leaves its events in the file, and they come back with it."""
    with Gateway(tmp, config(tmp)) as gw:
        check(save(gw, "W", "Test", {"name": "Himanshu"})[0] == 200, "saved")
        check(save(gw, "Fail", "Boom", [1, 2])[0] == 200, "saved")
    with Gateway(tmp, config(tmp)) as gw:
        events = listed(gw, "W")
        check([(e["name"], e["event"]) for e in events] == [("Test", {"name": "Himanshu"})], events)
    with Gateway(tmp, config(tmp, names=("Fail",))) as gw:
        status, body = answer(gw, "GET", events_path("W"))
        check(status == 404, "W is not configured: %s %s" % (status, body))
        check([e["name"] for e in listed(gw, "Fail")] == ["Boom"], "Fail's events")
    db = sqlite3.connect(os.path.join(tmp, ".fngate", "fngate.db"))
    rows = db.execute("SELECT function, name FROM test_events ORDER BY function").fetchall()
    db.close()
    check(rows == [("Fail", "Boom"), ("W", "Test")], "W's event stays in the file: %s" % rows)
    with Gateway(tmp, config(tmp)) as gw:
        check([e["event"] for e in listed(gw, "W")] == [{"name": "Himanshu"}], "W's event is back with W")


def test_version_1_state_file_migrated(tmp):
    state = os.path.join(tmp, ".fngate")
    os.makedirs(state)
    db = sqlite3.connect(os.path.join(state, "fngate.db"))
    db.executescript(SCHEMA_V1)
    db.execute("INSERT INTO dlq(request_id, function, url, payload, accepted_ms, failed_ms, attempts, condition)"
               " VALUES ('r1', 'W', NULL, '{\"old\":1}', 1, 2, 3, 'RetriesExhausted')")
    db.commit()
    db.close()
    with Gateway(tmp, config(tmp)) as gw:
        check("schema 1 migrated to 2" in gw.stderr(), "the migration is logged:\n" + gw.stderr())
        check(gw.view("dlq")["total"] == 1, "the version-1 file's dead letter is still there")
        check(save(gw, "W", "Test", {"a": 1})[0] == 200, "test events work in a migrated file")
        check([e["event"] for e in listed(gw, "W")] == [{"a": 1}], "listed")
    db = sqlite3.connect(os.path.join(state, "fngate.db"))
    version = db.execute("PRAGMA user_version").fetchone()[0]
    check(version == 2, "user_version %s" % version)
    # a file from a newer fngate is still refused
    db.execute("PRAGMA user_version=3")
    db.commit()
    db.close()
    p = run_cli("serve", "-c", os.path.join(tmp, "fngate.yaml"), "--listen", "127.0.0.1:0",
                "--admin-listen", "127.0.0.1:0", cwd=tmp)
    check(p.returncode != 0 and "written by a newer fngate (schema 3, this one knows 2)" in p.stderr,
          "a newer file refuses start: rc %d\n%s" % (p.returncode, p.stderr))


def test_invoke_hello_lambda_from_a_saved_event(tmp):
    """The seed tutorial's Test button: save Test = {"name": "Himanshu"}, run it."""
    with Gateway(tmp, hello_config(), isolated=True) as gw:
        check(save(gw, "HelloLambda", "Test", {"name": "Himanshu"})[0] == 200, "saved")
        event = listed(gw, "HelloLambda")[0]["event"]
        results = []
        for _ in range(2):
            status, body = answer(gw, "POST", "/_fngate/functions/HelloLambda/invoke", {"payload": event})
            check(status == 200, "%s %s" % (status, body))
            results.append(body)
        for i, r in enumerate(results):
            rid = r["requestId"]
            check(r["status"] == "succeeded" and r["functionError"] is None, r)
            check(r["response"] == {"message": "Hello Himanshu, welcome to AWS Lambda!"}, r)
            check(r["durationMs"] > 0 and r["durationMs"] <= r["billedDurationMs"] < r["durationMs"] + 1.01, r)
            check(r["memorySizeMb"] == 128 and 0 < r["maxMemoryUsedMb"] <= 128, r)
            logs = r["logs"]
            check(logs.startswith("START RequestId: %s Version: $LATEST\n" % rid), logs)
            check("Received a request for Himanshu (request %s)" % rid in logs, logs)
            check("END RequestId: %s\n" % rid in logs, logs)
            m = re.search(r"REPORT RequestId: %s\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\t"
                          r"Memory Size: 128 MB\tMax Memory Used: (\d+) MB" % rid, logs)
            check(m, logs)
            check(int(m.group(2)) == r["billedDurationMs"], "billed as REPORT says: %s / %s" % (m.group(2), r))
            check(int(m.group(3)) == r["maxMemoryUsedMb"], "memory as REPORT says")
            if i == 0:
                check(isinstance(r["initDurationMs"], float) and r["initDurationMs"] > 0 and
                      "Init Duration: " in logs, "the first call is a cold start: %s" % r)
            else:
                check(r["initDurationMs"] is None and "Init Duration" not in logs, "the second is warm: %s" % r)
        check(results[0]["requestId"] != results[1]["requestId"], "two request ids")


def test_invoke_failing_and_throttled(tmp):
    with Gateway(tmp, config(tmp)) as gw:
        status, r = answer(gw, "POST", "/_fngate/functions/Fail/invoke", {"payload": {"x": 1}})
        check(status == 200, "%s %s" % (status, r))
        check(r["status"] == "failed" and r["functionError"] == "Unhandled", r)
        check(r["response"]["errorType"] == "ValueError" and r["response"]["errorMessage"] == "failing on purpose", r)
        check("about to fail" in r["logs"] and "REPORT RequestId: %s" % r["requestId"] in r["logs"], r["logs"])

        # any JSON value is a payload; none is {}
        status, r = answer(gw, "POST", "/_fngate/functions/W/invoke", {"payload": [1, "a"]})
        check(status == 200 and r["response"] == {"got": [1, "a"]}, r)
        status, r = answer(gw, "POST", "/_fngate/functions/W/invoke", {})
        check(status == 200 and r["response"] == {"got": {}}, r)

        # Slow has reserved concurrency 1: a second call while one runs is throttled
        got = []
        t = threading.Thread(target=lambda: got.append(answer(gw, "POST", "/_fngate/functions/Slow/invoke",
                                                              {"payload": {}}, timeout=60)))
        t.start()
        try:
            wait_until(lambda: os.path.exists(os.path.join(tmp, "started")), 30, "the first Slow call to start")
            status, r = answer(gw, "POST", "/_fngate/functions/Slow/invoke", {"payload": {}})
            check(status == 429 and "Rate Exceeded" in r["message"] and list(r) == ["message"],
                  "throttled: %s %s" % (status, r))
        finally:
            write(os.path.join(tmp, "release"), "")
            t.join(60)
        check(got and got[0][0] == 200 and got[0][1]["response"] == "done", "the first call ran: %s" % got)
