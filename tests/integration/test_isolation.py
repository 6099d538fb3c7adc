# SPDX-License-Identifier: MIT
"""Isolation as a hostile function tries it (router/sandbox.c): an unprivileged uid per
worker, fngate's files and other functions' code out of reach, no signal to the gateway,
processes that die with their environment, a pids limit, a private size-capped /tmp,
`network: none`, the memory limit's OOM report, and nothing left behind (cgroups, mounts)
after a stop or a kill -9 and restart. These need root (CI runs as root)."""
import json
import os
import pwd
import subprocess
import threading

from harness import FNGATE, Gateway, check, need_root, skip, wait_until, write

HOSTILE = r"""
import errno, json, os, signal, socket, time

def _try(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))

def _read(path):
    with open(path, "rb") as f:
        f.read(16)

def handler(event, context):
    a = event.get("action")
    if a == "probe":
        out = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "cwd": os.getcwd(),
               "tmpdir": os.environ.get("TMPDIR"), "read": {}}
        for p in event["paths"]:
            out["read"][p] = _try(lambda: _read(p))
        out["list"] = {p: _try(lambda: os.listdir(p)) for p in event.get("dirs", [])}
        if event.get("kill", True):
            out["kill_parent"] = _try(lambda: os.kill(os.getppid(), signal.SIGKILL))
        out["kill_init"] = _try(lambda: os.kill(1, 0))
        out["visible_pids"] = sorted(int(d) for d in os.listdir("/proc") if d.isdigit())
        out["write_code"] = _try(lambda: open("/var/task/x", "w").close())
        with open("/proc/self/status") as f:
            out["caps"] = [l.split()[1] for l in f if l.startswith("CapEff")][0]
            f.seek(0)
            out["no_new_privs"] = [l.split()[1] for l in f if l.startswith("NoNewPrivs")][0]
        import resource
        out["nofile"] = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        out["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        return out
    if a == "setsid":
        r, w = os.pipe()
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.write(w, b"%d\n" % os.getpid())
                while True:
                    time.sleep(1)
            os._exit(0)
        os.wait()
        return {"grandchild": int(os.read(r, 32)), "pid": os.getpid()}
    if a == "bomb":
        n, err = 0, None
        while n < 5000:
            try:
                pid = os.fork()
            except OSError as e:
                err = errno.errorcode.get(e.errno)
                break
            if pid == 0:
                time.sleep(600)
                os._exit(0)
            n += 1
        if event.get("hang"):
            while True:
                time.sleep(1)
        return {"forked": n, "error": err, "pid": os.getpid()}
    if a == "fill":
        path = "/tmp/fill"
        try:
            with open(path, "wb") as f:
                chunk = b"x" * (1 << 20)
                for _ in range(event["mb"]):
                    f.write(chunk)
            res = "ok"
        except OSError as e:
            res = errno.errorcode.get(e.errno)
        try:
            os.unlink(path)
        except OSError:
            pass
        return {"result": res}
    if a == "tmp":
        if event.get("mark"):
            open("/tmp/" + event["mark"], "w").close()
        return {"pid": os.getpid(), "tmp": sorted(os.listdir("/tmp")), "var_tmp": _try(lambda: open("/var/tmp/v", "w").close())}
    if a == "connect":
        out = {"api": os.environ["AWS_LAMBDA_RUNTIME_API"]}
        for host, port in event["targets"]:
            s = socket.socket()
            s.settimeout(2)
            out["%s:%d" % (host, port)] = _try(lambda: s.connect((host, port)))
            s.close()
        return out
    if a == "alloc":
        blocks = []
        for _ in range(event["mb"]):
            b = bytearray(1 << 20)
            b[::4096] = b"x" * len(b[::4096])
            blocks.append(b)
        return {"mb": len(blocks)}
    if a == "sleep":
        time.sleep(event["seconds"])
        return {"pid": os.getpid(), "secret": event.get("secret")}
    if a == "steal":
        s = socket.socket()
        s.settimeout(4)
        try:
            s.connect(("127.0.0.1", event["port"]))
            s.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
            got = s.recv(65536).decode("latin-1")
        except OSError as e:
            got = "error: " + errno.errorcode.get(e.errno, str(e))
        s.close()
        return {"got": got}
    if a == "whoami":
        return {"uid": os.getuid(), "cwd": os.getcwd()}
    if a == "exit":
        os._exit(1)
    return {"pid": os.getpid()}
"""


def config(tmp, functions):
    code = os.path.join(tmp, "hostile")
    write(os.path.join(code, "app.py"), HOSTILE)
    out = "state_dir: %s\nfunctions:\n" % os.path.join(tmp, "state")
    for name, extra in functions:
        out += "  %s:\n    runtime: python3\n    handler: app.handler\n    code: %s\n%s%s" % (
            name, code if name != "Other" else os.path.join(tmp, "other"),
            "" if "timeout:" in extra else "    timeout: 10\n", extra)
    return out


def invoke(gw, name, payload, timeout=30):
    status, headers, body = gw.invoke(name, payload, timeout=timeout)
    check(status == 200, (status, body))
    return headers, json.loads(body)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def cgroup_dirs(pid):
    return [d for d in ("/sys/fs/cgroup/pids/fngate-%d" % pid, "/sys/fs/cgroup/memory/fngate-%d" % pid)
            if os.path.exists(d)]


def fngate_mounts():
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if "fngate-" in l or "/var/task" in l]


def test_worker_cannot_reach_fngate_or_other_functions(tmp):
    need_root("run workers as other uids")
    write(os.path.join(tmp, "other", "secret.py"), "SECRET = 1\n")
    write(os.path.join(tmp, "secret.key"), "s3cr3t\n", mode=0o644)
    cfg = config(tmp, [("H", ""), ("Other", "")])
    cfg += "s3:\n  listen: 127.0.0.1:0\n  root: %s\n  credentials: {access_key: ak, secret_key_file: %s}\n" % (
        os.path.join(tmp, "s3"), os.path.join(tmp, "secret.key"))
    os.makedirs(os.path.join(tmp, "s3", "bucket"))
    with Gateway(tmp, cfg, isolated=True) as gw:
        state = os.path.join(tmp, "state")
        db = [os.path.join(state, f) for f in os.listdir(state) if f.startswith("fngate.db")]
        paths = db + [gw.config, os.path.join(tmp, "secret.key"), os.path.join(tmp, "other", "secret.py"),
                      "/etc/shadow", "/proc/%d/environ" % gw.proc.pid, "/proc/%d/cmdline" % gw.proc.pid]
        _, out = invoke(gw, "H", {"action": "probe", "paths": paths,
                                  "dirs": [state, os.path.join(tmp, "other"), os.path.join(tmp, "s3")]})
        check(out["uid"] >= 61184 and out["uid"] == out["gid"] and out["groups"] == [], out)
        check(out["caps"] == "0000000000000000" and out["no_new_privs"] == "1", out)
        for p in paths:
            check(out["read"][p] != "ok", "a worker read %s: %s" % (p, out))
        for d, res in out["list"].items():
            check(res != "ok", "a worker listed %s: %s" % (d, out))
        check(out["kill_parent"] == "EPERM", out)
        check(gw.proc.pid not in out["visible_pids"], "the gateway's /proc entry is visible: %s" % out)
        check(out["cwd"] == "/var/task" and out["tmpdir"] == "/tmp", out)
        check(out["write_code"] != "ok", "the code directory is writable: %s" % out)
        check(out["nofile"] == 1024 and out["nproc"] == 1024, out)
        # The gateway survived the kill attempt and serves.
        _, again = invoke(gw, "H", {})
        check(again["pid"] > 0, again)


def test_runtime_api_refuses_other_workers(tmp):
    """A worker that finds another worker's Runtime API port (the test reads it from
    /proc/PID/environ, as the issue's probe did) and parks a GET /next there while that
    worker is busy is refused at once: the victim's next event and answer are untouched."""
    need_root("run workers as other uids")
    with Gateway(tmp, config(tmp, [("V", ""), ("H", "")]), isolated=True) as gw:
        _, out = invoke(gw, "V", {})
        with open("/proc/%d/environ" % out["pid"], "rb") as f:
            env = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
        port = int(env[b"AWS_LAMBDA_RUNTIME_API"].split(b":")[1])
        busy = []
        t = threading.Thread(target=lambda: busy.append(invoke(gw, "V", {"action": "sleep", "seconds": 1.5})[1]))
        t.start()
        stolen = []
        th = threading.Thread(target=lambda: stolen.append(invoke(gw, "H", {"action": "steal", "port": port})[1]))
        th.start()
        t.join()
        _, mine = invoke(gw, "V", {"action": "sleep", "seconds": 0, "secret": "s3cr3t"})
        th.join()
        check(busy[0]["pid"] == out["pid"], busy)
        check(mine == {"pid": out["pid"], "secret": "s3cr3t"}, "the victim's own event and answer: %s" % mine)
        check(not stolen[0]["got"].startswith("HTTP/"), "another worker was answered on the victim's port: %s" % stolen)
        wait_until(lambda: "refused a connection from uid" in gw.stderr(), 5, "the refusal logged", gw.stderr)


def test_processes_die_with_their_environment(tmp):
    need_root("give workers pids cgroups")
    with Gateway(tmp, config(tmp, [("H", "    timeout: 3\n    memory: 2048\n")]), isolated=True) as gw:
        # A setsid grandchild left by an invocation that returned is gone once it ended.
        _, out = invoke(gw, "H", {"action": "setsid"})
        gc = out["grandchild"]
        wait_until(lambda: not alive(gc), 5, "the setsid grandchild %d to be killed" % gc)
        check(alive(out["pid"]), "the worker itself stays warm")
        # A fork bomb is stopped by the pids limit; the gateway keeps serving.
        _, out = invoke(gw, "H", {"action": "bomb"})
        check(out["error"] == "EAGAIN" and out["forked"] < 1024, out)
        _, again = invoke(gw, "H", {"action": "probe", "paths": []})
        # A bomb that never returns ends at the timeout, every process with it.
        status, headers, body = gw.invoke("H", {"action": "bomb", "hang": True})
        check(headers.get("x-amz-function-error") == "Unhandled" and "timed out" in body.decode(), body)
        cg = "/sys/fs/cgroup/pids/fngate-%d" % gw.proc.pid

        def members():
            n = 0
            for root, dirs, files in os.walk(cg):
                if "cgroup.procs" in files:
                    with open(os.path.join(root, "cgroup.procs")) as f:
                        n += len(f.read().split())
            return n
        wait_until(lambda: members() <= 1, 10, "the bomb's processes to be gone", lambda: members())
        pid = gw.proc.pid
    check(not cgroup_dirs(pid), "cgroups left after stop: %s" % cgroup_dirs(pid))
    check(not fngate_mounts(), "mounts left after stop: %s" % fngate_mounts())


def test_kill9_and_restart_leave_nothing(tmp):
    need_root("give workers pids cgroups")
    cfg = config(tmp, [("H", "")])
    gw = Gateway(tmp, cfg, isolated=True)
    gw.start()
    _, out = invoke(gw, "H", {"action": "setsid"})
    gc, old = out["grandchild"], gw.proc.pid
    gw.kill9()
    with Gateway(tmp, cfg, isolated=True) as gw2:
        wait_until(lambda: not alive(gc), 5, "the grandchild of the killed gateway to be killed at restart")
        wait_until(lambda: not cgroup_dirs(old), 5, "the killed gateway's cgroups to be removed", lambda: cgroup_dirs(old))
        invoke(gw2, "H", {})
    check(not fngate_mounts(), fngate_mounts())


def test_ephemeral_storage(tmp):
    need_root("mount a private /tmp")
    # /tmp is a tmpfs: its pages count toward the worker's memory, so memory leaves room.
    cfg = config(tmp, [("H", "    memory: 1536\n    timeout: 30\n"),
                       ("Big", "    memory: 1536\n    timeout: 30\n    ephemeral_storage: 1024\n")])
    with Gateway(tmp, cfg, isolated=True) as gw:
        _, out = invoke(gw, "H", {"action": "fill", "mb": 600})
        check(out["result"] == "ENOSPC", "600 MB in the default 512 MB /tmp: %s" % out)
        _, out = invoke(gw, "Big", {"action": "fill", "mb": 600})
        check(out["result"] == "ok", "600 MB with ephemeral_storage: 1024: %s" % out)
        # Kept across warm invocations of one environment, shared with /var/tmp.
        _, first = invoke(gw, "H", {"action": "tmp", "mark": "kept"})
        _, second = invoke(gw, "H", {"action": "tmp"})
        check(second["pid"] == first["pid"] and "kept" in second["tmp"] and "v" in second["tmp"], (first, second))
        # A new environment starts empty, and fngate's own temp files are not there.
        status, _, _ = gw.invoke("H", {"action": "exit"})
        _, third = invoke(gw, "H", {"action": "tmp"})
        check(third["pid"] != first["pid"] and third["tmp"] == [], third)


def test_network_none(tmp):
    need_root("create network namespaces")
    cfg = config(tmp, [("N", "    network: none\n"), ("H", "")])
    with Gateway(tmp, cfg, isolated=True) as gw:
        _, out = invoke(gw, "N", {"action": "connect", "targets": [["127.0.0.1", gw.port], ["127.0.0.1", gw.admin_port],
                                                                   ["10.0.0.1", 80]]})
        check(out["api"] == "127.0.0.1:9001", out)
        for k, v in out.items():
            if k != "api":
                check(v in ("ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH"), "network none reached %s: %s" % (k, out))
        # With the host network the same gateway port answers.
        _, out = invoke(gw, "H", {"action": "connect", "targets": [["127.0.0.1", gw.port]]})
        check(out["127.0.0.1:%d" % gw.port] == "ok", out)
        # Warm reuse works in the namespace, and a new environment gets a new one.
        invoke(gw, "N", {})
        invoke(gw, "N", {})


def test_out_of_memory_is_reported(tmp):
    need_root("give workers cgroup v1 memory groups")
    with Gateway(tmp, config(tmp, [("H", "    memory: 128\n    timeout: 30\n")]), isolated=True) as gw:
        status, headers, body = gw.invoke("H", {"action": "alloc", "mb": 2048})
        check(headers.get("x-amz-function-error") == "Unhandled", (headers, body))
        check(json.loads(body)["errorType"] == "Runtime.OutOfMemory", body)
        invoke(gw, "H", {})
        pid = gw.proc.pid
    check(not cgroup_dirs(pid), "cgroups left after an OOM kill and stop: %s" % cgroup_dirs(pid))


def test_isolation_off(tmp):
    """isolation.enabled: false runs workers as fngate's own user, with the old layout."""
    need_root("compare with isolated workers")
    cfg = config(tmp, [("H", "")]) + "isolation: {enabled: false}\n"
    with Gateway(tmp, cfg, isolated=True) as gw:
        _, out = invoke(gw, "H", {"action": "whoami"})
        check(out["uid"] == 0 and out["cwd"] == os.path.join(tmp, "hostile"), out)


def test_unprivileged_gateway_still_works(tmp):
    """fngate started as an ordinary user serves with the limits it can apply (README
    "Isolation": no uid, namespaces or pids cgroup; RLIMIT_AS and rlimits)."""
    need_root("start fngate as another user")
    nobody = pwd.getpwnam("nobody")
    for path in (FNGATE, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "runtimes")):
        if subprocess.run(["runuser", "-u", "nobody", "--", "test", "-r", path, "-a", "-x", path]).returncode:
            skip("%s is not reachable by user nobody in this checkout" % path)
    os.chmod(tmp, 0o755)
    os.chown(tmp, nobody.pw_uid, nobody.pw_gid)

    def as_nobody():
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    cfg = config(tmp, [("H", "")])
    for root, dirs, files in os.walk(tmp):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    with Gateway(tmp, cfg, preexec_fn=as_nobody, isolated=True) as gw:
        check("running unprivileged" in gw.stderr(), gw.stderr())
        _, out = invoke(gw, "H", {"action": "whoami"})
        check(out["uid"] == nobody.pw_uid, out)
        _, out = invoke(gw, "H", {"action": "probe", "paths": ["/etc/shadow"], "kill": False})
        check(out["read"]["/etc/shadow"] == "EACCES" and out["nofile"] == 1024, out)
