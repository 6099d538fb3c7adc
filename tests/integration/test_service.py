# SPDX-License-Identifier: MIT
"""fngate under a service manager (core/notify.c): with NOTIFY_SOCKET set it sends READY=1
only once the front door answers, WATCHDOG=1 pings from the loop thread at half of
WATCHDOG_USEC, STATUS= lines and STOPPING=1 on SIGTERM; SIGHUP does not kill it."""
import os
import signal
import socket
import time

from harness import Gateway, check, wait_until, write

PY = "def handler(event, context):\n    return {'ok': True}\n"


def config(tmp):
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), PY)
    return "functions:\n  W:\n    runtime: python3\n    handler: app.handler\n    code: %s\n" % code


def test_notify_ready_watchdog_stopping(tmp):
    path = os.path.join(tmp, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    gw = Gateway(tmp, config(tmp), extra_env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"})
    try:
        gw.start()
        msgs = []
        while not any(m.startswith("READY=1") for m in msgs):
            msgs.append(sock.recv(4096).decode())
        ready = next(m for m in msgs if m.startswith("READY=1"))
        check("STATUS=serving 1 function(s) on http://" in ready, ready)
        # READY came after the listeners accept: the front door answers now.
        status, _, body = gw.invoke("W", {})
        check(status == 200, body)
        # Watchdog pings every 100 ms (half of WATCHDOG_USEC), from the loop thread.
        start, pings = time.monotonic(), 0
        while pings < 3:
            if sock.recv(4096).decode() == "WATCHDOG=1":
                pings += 1
        check(time.monotonic() - start < 5, "three pings took %.1f s" % (time.monotonic() - start))
        # SIGHUP is logged, not fatal.
        gw.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "SIGHUP" in gw.stderr(), 5, "the SIGHUP line", gw.stderr)
        check(gw.proc.poll() is None, "fngate died on SIGHUP")
        check(gw.invoke("W", {})[0] == 200, "serving after SIGHUP")
        gw.proc.send_signal(signal.SIGTERM)
        msg = ""
        while not msg.startswith("STOPPING=1"):
            msg = sock.recv(4096).decode()
        gw.proc.wait(30)
        gw.stop()           # its exit status and sanitizer checks (no second signal)
    finally:
        if gw.proc and gw.proc.poll() is None:
            gw.stop(check_clean=False)
        sock.close()


def test_workers_do_not_inherit_notify_socket(tmp):
    """NOTIFY_SOCKET is fngate's: its workers never see it (nor WATCHDOG_USEC)."""
    code = os.path.join(tmp, "code")
    write(os.path.join(code, "app.py"), "import os\ndef handler(event, context):\n"
          "    return {k: os.environ.get(k) for k in ('NOTIFY_SOCKET', 'WATCHDOG_USEC')}\n")
    path = os.path.join(tmp, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    with Gateway(tmp, "functions:\n  W:\n    runtime: python3\n    handler: app.handler\n    code: %s\n" % code,
                 extra_env={"NOTIFY_SOCKET": path}) as gw:
        status, _, body = gw.invoke("W", {})
        check(status == 200 and b'"NOTIFY_SOCKET": null' in body, body)
    sock.close()
