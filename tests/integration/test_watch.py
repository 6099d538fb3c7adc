# SPDX-License-Identifier: MIT
"""`fngate serve --watch` (router/codewatch.c): editing a handler (or a module in a
subdirectory, or one created after start) makes the next call run the new code, while a
call in flight finishes on the old; without --watch the warm worker keeps its code."""
import json
import os
import threading

from harness import Gateway, check, wait_until, write

PY = """import helpers.greet as g, time
def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"v": %d, "greet": g.WORD}
"""


def setup(tmp, v=1):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY % v)
    write(os.path.join(code, "helpers", "__init__.py"), "")
    write(os.path.join(code, "helpers", "greet.py"), "WORD = 'hello'\n")
    return code, "functions:\n  W:\n    runtime: python3\n    handler: app.handler\n    code: %s\n    timeout: 10\n" % code


def call(gw, payload=None):
    status, _, body = gw.invoke("W", payload or {})
    check(status == 200, body)
    return json.loads(body)


def test_watch_serves_new_code(tmp):
    code, conf = setup(tmp)
    with Gateway(tmp, conf, args=["--watch"]) as gw:
        check(call(gw) == {"v": 1, "greet": "hello"}, "first")
        # A call in flight while the code changes finishes on the old code.
        held = []
        t = threading.Thread(target=lambda: held.append(call(gw, {"sleep": 1.0})))
        t.start()
        wait_until(lambda: gw.stdout().count("START RequestId") >= 2, 10, "the long call to start")
        write(os.path.join(code, "app.py"), PY % 2)
        wait_until(lambda: call(gw)["v"] == 2, 5, "the new handler to answer")
        t.join()
        check(held[0]["v"] == 1, "the call in flight ran the code it started with: %s" % held)
        # A module in a subdirectory.
        write(os.path.join(code, "helpers", "greet.py"), "WORD = 'bonjour'\n")
        wait_until(lambda: call(gw)["greet"] == "bonjour", 5, "the new module to answer")
        # A directory created after start is watched too.
        write(os.path.join(code, "late", "x.py"), "")
        write(os.path.join(code, "helpers", "greet.py"), "WORD = 'hallo'\n")
        wait_until(lambda: call(gw)["greet"] == "hallo", 5, "the next edit")
        wait_until(lambda: "its code changed" in gw.stderr(), 5, "the log line", gw.stderr)


def test_without_watch_warm_worker_keeps_its_code(tmp):
    code, conf = setup(tmp)
    with Gateway(tmp, conf) as gw:
        check(call(gw)["v"] == 1, "first")
        write(os.path.join(code, "app.py"), PY % 2)
        check(call(gw)["v"] == 1, "a warm worker keeps the code it loaded (no --watch)")
