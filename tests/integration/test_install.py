# SPDX-License-Identifier: MIT
"""make install: the binary, the bootstraps and the example staged into a DESTDIR, run from
outside the source tree, find each other (router/runtimes.c); without the bootstraps the
installed binary refuses to start and names the directory."""
import os
import shutil
import subprocess

from harness import FNGATE, Gateway, check, env


def install(tmp):
    """cmake --install of the build under test into tmp/dest with prefix /opt/fngate."""
    dest = os.path.join(tmp, "dest")
    p = subprocess.run(["cmake", "--install", os.path.dirname(FNGATE), "--prefix", "/opt/fngate"],
                       capture_output=True, text=True, env=dict(os.environ, DESTDIR=dest), timeout=120)
    check(p.returncode == 0, "cmake --install: %s %s" % (p.stdout, p.stderr))
    return os.path.join(dest, "opt", "fngate")


def test_installed_binary_finds_its_runtimes(tmp):
    prefix = install(tmp)
    binary = os.path.join(prefix, "bin", "fngate")
    for path in ("share/fngate/runtimes/python/bootstrap.py", "share/fngate/runtimes/node/bootstrap.js",
                 "share/fngate/examples/hello/fngate.yaml", "lib/systemd/system/fngate.service"):
        check(os.path.exists(os.path.join(prefix, path)), "installed: %s" % path)
    with open(os.path.join(prefix, "lib/systemd/system/fngate.service")) as f:
        unit = f.read()
    check("ExecStart=/opt/fngate/bin/fngate serve -c /etc/fngate/fngate.yaml" in unit and "Type=notify" in unit and
          "WatchdogSec=" in unit, unit)
    work = os.path.join(tmp, "work")
    shutil.copytree(os.path.join(prefix, "share", "fngate", "examples", "hello"), work)
    with open(os.path.join(work, "fngate.yaml")) as f:
        config = f.read().replace("code: .", "code: %s" % work)
    clean = {k: v for k, v in env().items() if k != "FNGATE_RUNTIME_DIR"}
    check("FNGATE_RUNTIME_DIR" not in os.environ, "the test runs without FNGATE_RUNTIME_DIR")
    with Gateway(work, config, binary=binary, isolated=True) as gw:
        status, _, body = gw.invoke("HelloLambda", {"name": "installed"})
        check(status == 200, body)
    # Without its bootstraps the installed binary names the directory at start.
    runtimes = os.path.join(prefix, "share", "fngate", "runtimes")
    shutil.rmtree(runtimes)
    p = subprocess.run([binary, "serve", "-c", os.path.join(work, "fngate.yaml"), "--listen", "127.0.0.1:0",
                        "--admin-listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=60, cwd=work,
                       env=clean)
    check(p.returncode != 0 and "runtime directory" in p.stderr and
          os.path.join(prefix, "bin", "..", "share", "fngate", "runtimes") in p.stderr, (p.returncode, p.stderr))
