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
                 "share/fngate/examples/hello/fngate.yaml", "lib/systemd/system/fngate.service",
                 "share/fngate/console/index.html", "share/fngate/console/app.js"):
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
        status, headers, body = gw.admin("GET", "/console/app.js", token=False)
        check(status == 200 and headers["content-type"].startswith("text/javascript") and body,
              "the installed console: %d %s" % (status, headers))
    # Without its bootstraps the installed binary names the directory at start.
    runtimes = os.path.join(prefix, "share", "fngate", "runtimes")
    shutil.rmtree(runtimes)
    p = subprocess.run([binary, "serve", "-c", os.path.join(work, "fngate.yaml"), "--listen", "127.0.0.1:0",
                        "--admin-listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=60, cwd=work,
                       env=clean)
    check(p.returncode != 0 and "runtime directory" in p.stderr and
          os.path.join(prefix, "bin", "..", "share", "fngate", "runtimes") in p.stderr, (p.returncode, p.stderr))


def test_deb_package_installs_runs_and_removes(tmp):
    """make deb's package (CPack): its control file names the libraries it needs; installed
    with dpkg into a root of the test's own (--instdir/--admindir: the machine is not
    touched) it serves the example; removed, it leaves nothing behind."""
    pkg = os.path.join(tmp, "pkg")
    p = subprocess.run(["cpack", "-G", "DEB", "--config", os.path.join(os.path.dirname(FNGATE), "CPackConfig.cmake"),
                        "-B", pkg], capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, "cpack: %s %s" % (p.stdout, p.stderr))
    deb = next(os.path.join(pkg, f) for f in os.listdir(pkg) if f.endswith(".deb"))
    info = subprocess.run(["dpkg-deb", "--field", deb, "Package", "Depends"], capture_output=True, text=True).stdout
    check("Package: fngate" in info and "libmicrohttpd" in info and "python3" in info, info)
    root = os.path.join(tmp, "root")
    admin = os.path.join(root, "var", "lib", "dpkg")
    for d in ("updates", "info"):
        os.makedirs(os.path.join(admin, d))
    open(os.path.join(admin, "status"), "w").close()
    dpkg = ["dpkg", "--force-not-root", "--force-script-chrootless", "--instdir=" + root, "--admindir=" + admin]
    p = subprocess.run(dpkg + ["--force-depends", "-i", deb], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "dpkg -i: %s %s" % (p.stdout, p.stderr))
    with open(os.path.join(root, "usr/lib/systemd/system/fngate.service")) as f:
        check("ExecStart=/usr/bin/fngate serve" in f.read(), "the unit names /usr/bin/fngate")
    work = os.path.join(tmp, "work")
    shutil.copytree(os.path.join(root, "usr", "share", "fngate", "examples", "hello"), work)
    with open(os.path.join(work, "fngate.yaml")) as f:
        config = f.read()
    with Gateway(work, config, binary=os.path.join(root, "usr", "bin", "fngate"), isolated=True) as gw:
        status, _, body = gw.invoke("HelloLambda", {"name": "deb"})
        check(status == 200 and b"Hello deb" in body, body)
    p = subprocess.run(dpkg + ["-r", "fngate"], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "dpkg -r: %s %s" % (p.stdout, p.stderr))
    left = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if not d.startswith(admin)]
    check(not left, "files left after removal: %s" % left[:10])
