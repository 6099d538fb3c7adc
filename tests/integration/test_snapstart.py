# SPDX-License-Identifier: MIT
"""`snapstart: true` (router/snapshot.c, runtimes/python/bootstrap.py snapshot_template()):
the handler's module runs once per snapshot, not once per worker; after-restore hooks run
in every worker and each worker's randomness is its own; REPORT says Restore Duration; an
init that fails or crashes in the template is the invocation's init error; a code change
makes a new snapshot; snapstart on a runtime that cannot have it is a config error."""
import json
import os
import re
import subprocess
import threading
import time

from harness import LOG_TIME, Gateway, check, need_root, run_cli, wait_until, write

# The module logs its own import and each restore to files in the test's directory.
APP = """
import os, random, time
from snapshot_restore_py import register_after_restore, register_before_snapshot

LOG = os.path.join(os.environ["SNAP_DIR"], "imports.log")
with open(LOG, "a") as f:
    f.write("import %d\\n" % os.getpid())

@register_before_snapshot
def before():
    with open(os.path.join(os.environ["SNAP_DIR"], "before.log"), "a") as f:
        f.write("before %d\\n" % os.getpid())

def after(tag, sep=" "):
    with open(os.path.join(os.environ["SNAP_DIR"], "restored.log"), "a") as f:
        f.write("%s%s%d\\n" % (tag, sep, os.getpid()))

register_after_restore(after, "restored", sep=":")

def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("exit"):
        os._exit(3)
    if event.get("mb"):
        hold = bytearray(event["mb"] << 20)
        hold[::4096] = b"x" * len(hold[::4096])
    return {"pid": os.getpid(), "r": random.random(), "version": "VERSION",
            "init_type": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE")}
"""


def snap_config(tmp, name="Snap", code=None, extra=""):
    return ("functions:\n  %s:\n    runtime: python3\n    handler: app.handler\n    code: %s\n"
            "    snapstart: true\n    environment:\n      SNAP_DIR: %s\n%s") % (name, code or os.path.join(tmp, "code"),
                                                                                tmp, extra)


def lines(path):
    return open(path).read().splitlines() if os.path.exists(path) else []


def invoke_parallel(gw, name, payload, n):
    out = [None] * n

    def one(i):
        out[i] = gw.invoke(name, payload)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def restore_ms(stdout):
    return [float(m) for m in re.findall(r"^" + LOG_TIME + r"\[Snap\] REPORT .*\tRestore Duration: ([0-9.]+) ms\t"
                                         r"Billed Restore Duration: \d+ ms", stdout, re.M)]


def test_snapstart_init_once_hooks_per_worker(tmp):
    write(os.path.join(tmp, "code", "app.py"), APP.replace("VERSION", "v1"))
    with Gateway(tmp, snap_config(tmp, extra="    concurrency: 3\n")) as gw:
        results = invoke_parallel(gw, "Snap", {"sleep": 1}, 3)
        for status, _, body in results:
            check(status == 200, body)
        outs = [json.loads(body) for _, _, body in results]
        pids = {o["pid"] for o in outs}
        check(len(pids) == 3, "three workers ran the three invocations: %r" % outs)
        # Init ran once, in the template (before the snapshot), not in any worker.
        imports = lines(os.path.join(tmp, "imports.log"))
        check(len(imports) == 1, "the module ran %d times: %r" % (len(imports), imports))
        template = int(imports[0].split()[1])
        check(template not in pids, "the template itself ran no invocation")
        check(lines(os.path.join(tmp, "before.log")) == ["before %d" % template], lines(os.path.join(tmp, "before.log")))
        # After-restore hooks ran in each worker, with their arguments.
        restored = sorted(lines(os.path.join(tmp, "restored.log")))
        check(restored == sorted("restored:%d" % p for p in pids), "after-restore hooks: %r vs %r" % (restored, pids))
        check(len({o["r"] for o in outs}) == 3, "each worker has its own random state: %r" % outs)
        check({o["init_type"] for o in outs} == {"snap-start"}, outs)
        # A warm worker runs the next one: no new restore, still one import.
        status, _, body = gw.invoke("Snap", {})
        check(status == 200 and json.loads(body)["pid"] in pids, body)
        out = gw.stdout()
        reports = re.findall(r"^" + LOG_TIME + r"\[Snap\] REPORT .*$", out, re.M)
        check(len(reports) == 4, reports)
        check(not any("Init Duration" in r for r in reports), "a restored worker's REPORT has no Init Duration")
        ms = restore_ms(out)
        check(len(ms) == 3, "the three cold starts say Restore Duration: %r" % reports)
        check(len(re.findall(r"^" + LOG_TIME + r"\[Snap\] INIT_REPORT Init Duration: [0-9.]+ ms$", out, re.M)) == 1, out)
        print("    restore durations: %s ms" % ", ".join("%.2f" % m for m in ms))


def test_snapstart_json_report(tmp):
    write(os.path.join(tmp, "code", "app.py"), APP.replace("VERSION", "v1"))
    with Gateway(tmp, "log_format: json\n" + snap_config(tmp)) as gw:
        status, _, body = gw.invoke("Snap", {})
        check(status == 200, body)
        wait_until(lambda: "platform.report" in gw.stdout(), 10, "the report record")
        recs = [json.loads(x) for x in gw.stdout().splitlines() if x.startswith("{")]
        report = [r for r in recs if r["type"] == "platform.report"][0]["record"]["metrics"]
        check(report["restoreDurationMs"] > 0 and report["billedRestoreDurationMs"] >= 1, report)
        check("initDurationMs" not in report, report)
        init = [r for r in recs if r["type"] == "platform.initReport"]
        check(len(init) == 1 and init[0]["record"]["initializationType"] == "snap-start", init)


def test_snapstart_init_errors(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "raises.py"), """
        import os
        with open(os.path.join(os.environ["SNAP_DIR"], "raises.log"), "a") as f:
            f.write("import\\n")
        raise ValueError("no config at import")
        def handler(event, context):
            return 1
        """)
    write(os.path.join(code, "missing.py"), "import no_such_module_here\ndef handler(e, c):\n    return 1\n")
    write(os.path.join(code, "crash.py"), "import os\nos._exit(7)\ndef handler(e, c):\n    return 1\n")
    config = "functions:\n"
    for name, module in (("Raises", "raises"), ("Missing", "missing"), ("Crash", "crash")):
        config += ("  %s:\n    runtime: python3\n    handler: %s.handler\n    code: %s\n    snapstart: true\n"
                   "    environment:\n      SNAP_DIR: %s\n") % (name, module, code, tmp)
    with Gateway(tmp, config) as gw:
        status, headers, body = gw.invoke("Raises", {})
        err = json.loads(body)
        check(status == 200 and headers.get("x-amz-function-error") == "Unhandled", (status, headers, body))
        check(err["errorType"] == "ValueError" and err["errorMessage"] == "no config at import", err)
        check(any("raise ValueError" in f for f in err["stackTrace"]), err)
        status, headers, body = gw.invoke("Missing", {})
        err = json.loads(body)
        check(err["errorType"] == "Runtime.ImportModuleError" and "no_such_module_here" in err["errorMessage"], err)
        status, headers, body = gw.invoke("Crash", {})
        err = json.loads(body)
        check(headers.get("x-amz-function-error") == "Unhandled", headers)
        check(err["errorType"] == "Runtime.ExitError" and "exit status 7" in err["errorMessage"], err)
        # The function log says why, as a worker's init error would; the failure was the
        # template's (one per function), not a worker's.
        gw.wait_stdout(r"^" + LOG_TIME + r"\[Raises\] \[ERROR\] ValueError: no config at import$")
        for name, how in (("Raises", "exit status 1"), ("Missing", "exit status 1"), ("Crash", "exit status 7")):
            check(re.search(r"function %s: snapshot template failed its init \(%s\)" % (name, how), gw.stderr()),
                  gw.stderr())
        # Each invocation tries a new template: init is not retried in a loop meanwhile.
        time.sleep(1.5)
        n = len(lines(os.path.join(tmp, "raises.log")))
        check(1 <= n <= 3, "a failing template is not restarted without work: %d imports" % n)
        status, _, body = gw.invoke("Raises", {})
        check(json.loads(body)["errorType"] == "ValueError", body)
        check(len(lines(os.path.join(tmp, "raises.log"))) == n + 1, "a new invocation tries init again")


def test_snapstart_code_change_rebuilds(tmp):
    app = os.path.join(tmp, "code", "app.py")
    write(app, APP.replace("VERSION", "v1"))
    with Gateway(tmp, snap_config(tmp)) as gw:
        status, _, body = gw.invoke("Snap", {})
        check(status == 200 and json.loads(body)["version"] == "v1", body)
        write(app, APP.replace("VERSION", "v2"))
        later = time.time() + 2
        os.utime(app, (later, later))
        # The warm worker still has v1; it exits, and the next worker comes from a new snapshot.
        status, _, body = gw.invoke("Snap", {"exit": True})
        check(json.loads(body)["errorType"] == "Runtime.ExitError", body)
        status, _, body = gw.invoke("Snap", {})
        check(status == 200 and json.loads(body)["version"] == "v2", "the new code runs: %s" % body)
        check(len(lines(os.path.join(tmp, "imports.log"))) == 2, lines(os.path.join(tmp, "imports.log")))
        check(re.search(r"function Snap: code changed: making a new snapshot", gw.stderr()), gw.stderr())
        check(len(re.findall(r"^" + LOG_TIME + r"\[Snap\] INIT_REPORT Init Duration", gw.stdout(), re.M)) == 2, gw.stdout())


def test_snapstart_needs_python_or_node(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "run.sh"), "#!/bin/sh\ncat\n", mode=0o755)
    cfg = write(os.path.join(tmp, "bad.yaml"), "functions:\n  Cmd:\n    runtime: exec\n    handler: ./run.sh\n"
                "    code: %s\n    snapstart: true\n" % code)
    p = run_cli("serve", "-c", cfg, "--listen", "127.0.0.1:0")
    check(p.returncode != 0 and "snapstart needs runtime python3 or nodejs" in p.stderr, p.stderr)
    check(re.search(r"bad\.yaml:\d+:\d+", p.stderr), "the error has a position: %s" % p.stderr)


def test_snapstart_memory_limit(tmp):
    """A restored worker joins its own memory group (cgroup mode, as root) or gets its
    RLIMIT_AS: going over the function's memory fails as for any worker."""
    need_root("give workers cgroup v1 memory groups")
    write(os.path.join(tmp, "code", "app.py"), APP.replace("VERSION", "v1"))
    with Gateway(tmp, snap_config(tmp, extra="    memory: 128\n    timeout: 20\n")) as gw:
        check("limiting memory with RLIMIT_AS" not in gw.stderr(), gw.stderr())
        status, headers, body = gw.invoke("Snap", {"mb": 40})
        check(status == 200 and "x-amz-function-error" not in headers, body)
        m = gw.wait_stdout(r"REPORT RequestId: %s\t.*Max Memory Used: (\d+) MB" % headers["x-amzn-requestid"])
        check(int(m.group(1)) >= 40, "Max Memory Used %s MB after allocating 40 MB" % m.group(1))
        status, headers, body = gw.invoke("Snap", {"mb": 400})
        check(json.loads(body)["errorType"] == "Runtime.OutOfMemory", body)


def test_snapstart_memory_rlimit(tmp):
    write(os.path.join(tmp, "code", "app.py"), APP.replace("VERSION", "v1"))
    with Gateway(tmp, snap_config(tmp, extra="    memory: 128\n    timeout: 20\n"),
                 extra_env={"FNGATE_CGROUP_ROOT": os.path.join(tmp, "no-cgroups-here")}) as gw:
        check("limiting memory with RLIMIT_AS" in gw.stderr(), gw.stderr())
        status, headers, body = gw.invoke("Snap", {"mb": 600})
        check(json.loads(body)["errorType"] == "MemoryError", body)


def test_snapstart_min_warm(tmp):
    """min_warm workers are restored ahead of traffic: RESTORE_REPORT, and the first call
    is warm (no Restore Duration in its REPORT)."""
    write(os.path.join(tmp, "code", "app.py"), APP.replace("VERSION", "v1"))
    with Gateway(tmp, snap_config(tmp, extra="    min_warm: 2\n")) as gw:
        wait_until(lambda: len(re.findall(r"^" + LOG_TIME + r"\[Snap\] RESTORE_REPORT Restore Duration: [0-9.]+ ms$", gw.stdout(),
                                          re.M)) == 2, 10, "two workers restored ahead of traffic")
        status, _, body = gw.invoke("Snap", {})
        check(status == 200, body)
        m = gw.wait_stdout(r"^" + LOG_TIME + r"\[Snap\] REPORT RequestId: .*$")
        check("Restore Duration" not in m.group(0) and "Init Duration" not in m.group(0), m.group(0))
        check(len(lines(os.path.join(tmp, "imports.log"))) == 1, lines(os.path.join(tmp, "imports.log")))


def test_snapstart_after_restore_error(tmp):
    """An after-restore hook that raises is the restored worker's init error."""
    write(os.path.join(tmp, "code", "app.py"), """
        from snapshot_restore_py import register_after_restore

        @register_after_restore
        def reconnect():
            raise ConnectionError("no database after restore")

        def handler(event, context):
            return 1
        """)
    with Gateway(tmp, snap_config(tmp), isolated=True) as gw:
        status, headers, body = gw.invoke("Snap", {})
        err = json.loads(body)
        check(headers.get("x-amz-function-error") == "Unhandled", headers)
        check(err["errorType"] == "ConnectionError" and err["errorMessage"] == "no database after restore", err)
        gw.wait_stdout(r"^" + LOG_TIME + r"\[Snap\] \[ERROR\] ConnectionError: no database after restore$")


def test_snapstart_node_keeps_a_spare(tmp):
    """Node cannot be forked: with snapstart its pool keeps one initialized worker ahead of
    demand once every worker is in use, so the next new environment needs no init; without
    snapstart nothing starts ahead."""
    code = os.path.join(tmp, "node")
    write(os.path.join(code, "app.js"), "exports.handler = async () => ({pid: process.pid});\n")
    fn = "  %s:\n    runtime: nodejs\n    handler: app.handler\n    code: " + code + "\n%s"
    config = "functions:\n" + fn % ("Spare", "    snapstart: true\n") + fn % ("Plain", "")

    def pool(gw, name):
        return next(f["pool"] for f in gw.view("queue")["functions"] if f["name"] == name)

    with Gateway(tmp, config, isolated=True) as gw:
        for name in ("Spare", "Plain"):
            status, _, body = gw.invoke(name, {})
            check(status == 200, body)
        # A spare starts only while the cores have headroom: each warm call offers one more
        # moment for it.
        wait_until(lambda: (pool(gw, "Spare")["workers"] == 2 and pool(gw, "Spare")["starting"] == 0)
                   or (gw.invoke("Spare", {})[0] == 200 and False), 20,
                   "a spare Node worker started and initialized", lambda: pool(gw, "Spare"))
        gw.wait_stdout(r"^" + LOG_TIME + r"\[Spare\] INIT_REPORT Init Duration")
        check(pool(gw, "Plain")["workers"] == 1, pool(gw, "Plain"))


def test_snapstart_template_cannot_name_other_pids(tmp):
    """The template runs the function's code, which can write to the control socket: a pid
    it reports for no worker, or for a worker that is not its own fork, is never signalled
    (fngate would have killed it, and kill(-1) is every process)."""
    victim = subprocess.Popen(["sleep", "60"])
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), (
        "import json, os\n"
        "for pid in (%d, 1, os.getppid()):\n"
        "    os.write(3, json.dumps({'t': 'pid', 'id': 4242, 'pid': pid}).encode())\n"
        "def handler(event, context):\n"
        "    return {'pid': os.getpid()}\n") % victim.pid)
    try:
        with Gateway(tmp, snap_config(tmp), isolated=True) as gw:
            status, _, body = gw.invoke("Snap", {})
            check(status == 200, body)
            # At least the three (a template started again under load writes them again).
            wait_until(lambda: gw.stderr().count("which is not a worker it forked") >= 3, 10,
                       "the three forged pids refused", gw.stderr)
            for pid in (victim.pid, 1):
                check("reported pid %d, which is not a worker it forked" % pid in gw.stderr(), gw.stderr())
            check(victim.poll() is None, "the process the template named was killed")
    finally:
        victim.kill()
        victim.wait()
