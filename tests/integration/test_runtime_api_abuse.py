# SPDX-License-Identifier: MIT
"""Runtime API abuse (issue 15): a hostile `provided` runtime attacks its own worker's
Runtime API while a second, normal function is called. 20 connections of 60 MB partial
bodies, and 63 MB of 1-byte chunks, leave the gateway's RSS and the other function's
latency unchanged; the invocation ends at its timeout whatever the runtime does; a process
of another uid (nobody) connecting to a worker's port is refused before a byte is read.

Runs on the sanitizer build: its quarantine keeps freed memory resident (256 MB by
default), so the gateway here runs with a 16 MB quarantine, and RSS measures what fngate
holds rather than what ASan keeps of what it freed."""
import json
import os
import statistics
import subprocess
import sys
import threading
import time

from harness import Gateway, check, need_root, wait_until, write
from test_workers import PY, alive

# _HANDLER picks the attack, started once the runtime holds an event it never answers:
#   partial  20 threads, each in a loop for as long as the attack lasts: connect, POST a
#            /response announcing 60 MB (a third of them), just under 6 MB (a third: sent
#            all but the last bytes, then held), or chunked 64 KB chunks (a third), sent at
#            ~6 MB/s, until fngate closes the connection; then again
#   chunks   one connection at a time posting 63 MB of 1-byte chunks ("1\r\nx\r\n") as fast
#            as it can, again when fngate closes it
#   timeout  an endless chunked body trickling on one connection, three more GET /next
# It writes STATE/attack.json ({"pid", "sent", "closed"}) as it goes, and stops sending when
# STATE/stop exists.
HOSTILE = r"""#!/usr/bin/python3
import json, os, re, socket, threading, time
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
port = int(port)
mode = os.environ["_HANDLER"]
state = "STATE"
stats = {"pid": os.getpid(), "sent": 0, "closed": 0}
lock = threading.Lock()

def stopped():
    return os.path.exists(os.path.join(state, "stop"))

def head(method, path, extra=""):
    return ("%s /2018-06-01/runtime%s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (method, path, extra)).encode()

def count(sent=0, closed=0):
    with lock:
        stats["sent"] += sent
        stats["closed"] += closed
        tmp = os.path.join(state, "attack.tmp")
        with open(tmp, "w") as f:
            json.dump(stats, f)
        os.rename(tmp, os.path.join(state, "attack.json"))

main = socket.create_connection((host, port))
main.sendall(head("GET", "/invocation/next"))
buf = b""
while b"\r\n\r\n" not in buf:
    buf += main.recv(65536)
rid = re.search(rb"(?i)lambda-runtime-aws-request-id: *([^\r\n]+)", buf).group(1).decode()
RESPONSE = "/invocation/%s/response" % rid
# The attacks answer another id: a body refused as too large does not end the invocation
# then (a /response for its own id would: Function.ResponseSizeTooLarge), so they go on
# for as long as the test measures.
FORGED = "/invocation/not-%s/response" % rid

def partial(i):
    kind = i % 3
    while not stopped():
        try:
            s = socket.create_connection((host, port))
            if kind == 0:
                s.sendall(head("POST", FORGED, "Content-Length: %d\r\n" % (60 << 20)))
                block, total = b"x" * 65536, 60 << 20
            elif kind == 1:
                s.sendall(head("POST", FORGED, "Content-Length: %d\r\n" % ((6 << 20) - 16)))
                block, total = b"x" * 65536, (6 << 20) - 65536
            else:
                s.sendall(head("POST", FORGED, "Transfer-Encoding: chunked\r\n"))
                block, total = b"10000\r\n" + b"x" * 65536 + b"\r\n", 60 << 20
            sent = 0
            while sent < total and not stopped():
                s.sendall(block)
                sent += len(block)
                count(sent=len(block))
                time.sleep(0.01)
            while not stopped():          # hold it open, the body unfinished
                s.settimeout(0.1)
                try:
                    if s.recv(65536) == b"":
                        break
                except socket.timeout:
                    pass
        except OSError:
            pass
        count(closed=1)
        time.sleep(0.01)

def chunks():
    block = b"1\r\nx\r\n" * 10923
    while not stopped():
        try:
            s = socket.create_connection((host, port))
            s.sendall(head("POST", FORGED, "Transfer-Encoding: chunked\r\n"))
            sent = 0
            while sent < (63 << 20) and not stopped():
                s.sendall(block)
                sent += len(block)
                count(sent=len(block))
        except OSError:
            pass
        count(closed=1)

def trickle():
    s = socket.create_connection((host, port))
    s.sendall(head("POST", RESPONSE, "Transfer-Encoding: chunked\r\n"))
    while True:
        s.sendall(b"1\r\nx\r\n")
        count(sent=6)
        time.sleep(0.001)

count()
if mode == "partial":
    for i in range(20):
        threading.Thread(target=partial, args=(i,), daemon=True).start()
elif mode == "chunks":
    threading.Thread(target=chunks, daemon=True).start()
else:
    threading.Thread(target=trickle, daemon=True).start()
    parked = [socket.create_connection((host, port)) for _ in range(3)]
    for s in parked:
        s.sendall(head("GET", "/invocation/next"))
while True:
    time.sleep(1)
"""

# The gateway's own memory, not ASan's quarantine of what it freed (see the top comment).
ASAN_ENV = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:halt_on_error=1:quarantine_size_mb=16"}


def config(tmp, mode, timeout):
    code = os.path.join(tmp, "hostile")
    write(os.path.join(code, "bootstrap"), HOSTILE.replace("STATE", tmp), mode=0o755)
    py = os.path.join(tmp, "py")
    write(os.path.join(py, "app.py"), PY)
    return ("functions:\n  W:\n    runtime: python3\n    handler: app.handler\n    code: %s\n"
            "  Hostile:\n    runtime: provided\n    handler: %s\n    code: %s\n    timeout: %d\n"
            % (py, mode, code, timeout))


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def latency(gw, n=21, rss=None):
    """The median time of n calls of W (each must succeed), sampling the gateway's RSS
    into rss after each."""
    times = []
    for _ in range(n):
        t = time.monotonic()
        status, _, body = gw.invoke("W", {})
        times.append(time.monotonic() - t)
        check(status == 200, (status, body))
        if rss is not None:
            rss.append(rss_mb(gw.proc.pid))
    return statistics.median(times)


def attack(tmp, mode, min_sent_mb, min_closed):
    """Runs the hostile runtime's attack (mode) and checks what the gateway holds and how fast
    W answers, before and during; the hostile invocation ends at its timeout (10 s). W's
    median may grow by 20% plus 5 ms: the hostile sender and the gateway share two cores
    with W's worker (before the limits, 63 MB of 1-byte chunks took W from 50 to 630 ms)."""
    with Gateway(tmp, config(tmp, mode, 10), extra_env=ASAN_ENV) as gw:
        for _ in range(5):
            gw.invoke("W", {})
        before = latency(gw)
        base = max(rss_mb(gw.proc.pid) for _ in range(3))
        result = {}

        def hostile():
            t = time.monotonic()
            result["answer"] = gw.invoke("Hostile", {}, timeout=60)
            result["took"] = time.monotonic() - t
        th = threading.Thread(target=hostile)
        th.start()
        report = os.path.join(tmp, "attack.json")
        wait_until(lambda: os.path.exists(report), 30, "the hostile runtime to start its attack")
        time.sleep(1)      # let it build up
        rss = [rss_mb(gw.proc.pid)]
        during = latency(gw, rss=rss)
        wait_until(lambda: json.load(open(report))["sent"] >= min_sent_mb << 20, 30,
                   "the hostile runtime to send %d MB" % min_sent_mb, seen=lambda: open(report).read())
        rss.append(rss_mb(gw.proc.pid))
        seen = json.load(open(report))
        write(os.path.join(tmp, "stop"), "")
        th.join(60)
        status, headers, body = result["answer"]
        print("  %s: RSS %.0f MB before, %.0f MB at most during; W median %.1f ms before, %.1f ms during; "
              "%d MB sent, %d connections closed; hostile call answered in %.1f s"
              % (mode, base, max(rss), before * 1000, during * 1000, seen["sent"] >> 20, seen["closed"],
                 result["took"]))
        check(max(rss) - base < 64, "RSS grew from %.0f to %.0f MB" % (base, max(rss)))
        check(during <= before * 1.2 + 0.005, "W's median latency went from %.1f to %.1f ms"
              % (before * 1000, during * 1000))
        check(seen["closed"] >= min_closed, "fngate closed %d of the attack's connections" % seen["closed"])
        check(headers.get("x-amz-function-error") == "Unhandled" and
              json.loads(body)["errorType"] == "Sandbox.Timedout", (status, body[:300]))
        check(9.9 <= result["took"] < 10 + 3, "the hostile call took %.1f s with a 10 s timeout" % result["took"])
        wait_until(lambda: not alive(seen["pid"]), 10, "the hostile worker to be killed")
        check(latency(gw, 5) < 1, "W still answers")


def test_partial_bodies_20x60mb(tmp):
    """20 connections at a time posting 60 MB (or just under 6 MB, or chunked) partial
    bodies: at most 8 connections per worker, a body announced over 6 MB is refused from its
    head, one grown past it when it does, and what is buffered is capped per worker."""
    # The sender's rate is about 30 MB a second here, and its invocation ends at 10 s: 240 MB
    # leaves room for a busier machine (300 was passed with 1 MB to spare).
    attack(tmp, "partial", 240, 20)


def test_one_byte_chunks_63mb(tmp):
    """63 MB of 1-byte chunks: decoded once, byte by byte, and refused (413, closed) when the
    decoded body passes 6 MB; the loop keeps serving W meanwhile."""
    attack(tmp, "chunks", 63, 1)


def test_invocation_ends_at_its_timeout(tmp):
    """timeout: 3 with a runtime that trickles an endless chunked body on one connection and
    parks three more GET /next: the caller gets Sandbox.Timedout at 3 s and the worker is
    killed."""
    with Gateway(tmp, config(tmp, "timeout", 3)) as gw:
        check(gw.invoke("W", {})[0] == 200, "W serves")
        t = time.monotonic()
        status, headers, body = gw.invoke("Hostile", {}, timeout=60)
        took = time.monotonic() - t
        err = json.loads(body)
        check(headers.get("x-amz-function-error") == "Unhandled" and err["errorType"] == "Sandbox.Timedout" and
              "Task timed out after 3.00 seconds" in err["errorMessage"], (status, body))
        check(3 <= took < 5, "the call took %.1f s with a 3 s timeout" % took)
        pid = json.load(open(os.path.join(tmp, "attack.json")))["pid"]
        wait_until(lambda: not alive(pid), 5, "the hostile worker %d to be killed" % pid)
        check(gw.invoke("W", {})[0] == 200, "W still serves")


# Connects to a Runtime API port and asks for an event: prints what came back.
PROBE = r"""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
try:
    s.sendall(("GET /2018-06-01/runtime/%s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2]).encode())
    data = s.recv(65536)
except ConnectionResetError:
    data = b""
except socket.timeout:
    data = b"(no answer, connection open)"
print(repr(data))
"""


def test_other_uid_is_refused(tmp):
    """A process running as nobody connecting to a worker's Runtime API port (found as a
    hostile function finds it, in /proc/PID/environ) is closed on without an answer, its
    GET /next steals nothing, and the worker keeps serving; the gateway logs the port."""
    need_root("a process of another uid")
    with Gateway(tmp, config(tmp, "timeout", 3)) as gw:
        status, _, body = gw.invoke("W", {})
        pid = json.loads(body)["pid"]
        env = dict(kv.split("=", 1) for kv in open("/proc/%d/environ" % pid).read().split("\0") if "=" in kv)
        port = env["AWS_LAMBDA_RUNTIME_API"].split(":")[1]

        def probe(path, uid=None):
            drop = (lambda: (os.setgid(uid), os.setuid(uid))) if uid is not None else None
            p = subprocess.run([sys.executable, "-c", PROBE, port, path], preexec_fn=drop, capture_output=True,
                               timeout=30, cwd="/")
            check(p.returncode == 0, p.stderr)
            return p.stdout.decode().strip()
        # The worker's own uid (fngate's, today) is answered; nobody is not.
        check(probe("nope").startswith("b'HTTP/1.1 404"), "the port answers its worker's uid")
        got = probe("invocation/next", 65534)
        check(got == "b''", "nobody got %s" % got)
        wait_until(lambda: "port %s: refused a connection from uid 65534 (not the worker's uid" % port in gw.stderr(),
                   5, "the refusal's warning")
        for n in range(3):
            status, _, body = gw.invoke("W", {"n": n})
            check(status == 200 and json.loads(body)["pid"] == pid, (status, body))
