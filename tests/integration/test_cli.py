# SPDX-License-Identifier: MIT
"""The command line: validate, config errors that stop serve before anything starts,
--help on every verb, --version."""
import os

from harness import ROOT, check, env, run_cli, write


def test_validate_prints_functions_and_routes(tmp):
    p = run_cli("validate", "-c", os.path.join(ROOT, "examples", "hello", "fngate.yaml"))
    check(p.returncode == 0, p.stderr)
    for text in ("HelloLambda:", "runtime: python3", "handler: app.lambda_handler", "memory: 128 MB",
                 "timeout: 3 s", "concurrency: 10", "GREETING: Hello", "/hello/{name}", "-> HelloLambda"):
        check(text in p.stdout, "%r missing from:\n%s" % (text, p.stdout))


def test_config_errors_have_positions(tmp):
    cfg = write(os.path.join(tmp, "bad.yaml"), """
        functions:
          F:
            runtime: python3
            handler: app.h
            code: .
            memroy: 256
        """)
    p = run_cli("validate", "-c", cfg)
    check(p.returncode == 1, p.returncode)
    check(p.stderr.strip() == "%s:6:5: unknown key 'memroy' in function F (did you mean 'memory'?)" % cfg, p.stderr)
    # serve refuses the same file before starting anything.
    p = run_cli("serve", "-c", cfg, "--listen", "127.0.0.1:0")
    check(p.returncode != 0 and ":6:5: unknown key 'memroy'" in p.stderr and "listening" not in p.stderr, p.stderr)
    p = run_cli("validate", "-c", os.path.join(tmp, "missing.yaml"))
    check(p.returncode == 1 and "missing.yaml: No such file or directory" in p.stderr, p.stderr)


def test_env_substitution(tmp):
    code = os.path.join(tmp, "code")
    os.makedirs(code)
    cfg = write(os.path.join(tmp, "f.yaml"), """
        functions:
          F:
            runtime: python3
            handler: app.h
            code: ${FG_IT_CODE}
            environment: {TOKEN: "${FG_IT_TOKEN:-none}"}
        """)
    e = env()
    e["FG_IT_CODE"] = code
    p = run_cli("validate", "-c", cfg, extra_env=e)
    check(p.returncode == 0 and "code: " + code in p.stdout and "TOKEN: none" in p.stdout, p.stdout + p.stderr)
    p = run_cli("validate", "-c", cfg)
    check(p.returncode == 1 and "environment variable FG_IT_CODE is not set" in p.stderr, p.stderr)


def test_help_and_version(tmp):
    for verb in ("serve", "validate", "invoke"):
        p = run_cli(verb, "--help")
        check(p.returncode == 0 and p.stdout.startswith("usage: fngate " + verb), (verb, p.stdout))
    p = run_cli("--help")
    check(p.returncode == 0 and "serve" in p.stdout and "invoke" in p.stdout, p.stdout)
    p = run_cli("--version")
    check(p.returncode == 0 and p.stdout.startswith("fngate "), p.stdout)
    p = run_cli("frobnicate")
    check(p.returncode == 2 and "unknown command" in p.stderr, p.stderr)
    p = run_cli("invoke")
    check(p.returncode == 2 and "usage:" in p.stderr, p.stderr)


def test_default_config_path(tmp):
    code = os.path.join(tmp, "code")
    os.makedirs(code)
    write(os.path.join(tmp, "fngate.yaml"), """
        functions:
          Here:
            runtime: python3
            handler: app.h
            code: code
        """)
    p = run_cli("validate", cwd=tmp)
    check(p.returncode == 0 and "Here:" in p.stdout and "code: " + code in p.stdout, p.stdout + p.stderr)
    p = run_cli("validate", cwd=code)
    check(p.returncode == 1 and "fngate.yaml: No such file or directory" in p.stderr, p.stderr)


def test_listen_override_refuses_a_bad_port(tmp):
    """`serve --listen` takes HOST:PORT as `gateway.listen` does: a port that is not a number
    or is out of range is refused before anything starts (it used to become port 0)."""
    cfg = os.path.join(ROOT, "examples", "hello", "fngate.yaml")
    for bad in ("127.0.0.1:x", "127.0.0.1:70000", "127.0.0.1:-1", "127.0.0.1", "127.0.0.1:"):
        p = run_cli("serve", "-c", cfg, "--listen", bad, timeout=30)
        check(p.returncode != 0 and "--listen expects HOST:PORT" in p.stderr and "'%s'" % bad in p.stderr and
              "listening on" not in p.stderr, "--listen %s: rc %d\n%s" % (bad, p.returncode, p.stderr))


def test_cost_estimate_seed_example(tmp):
    """`fngate cost --estimate` reproduces the seed's worked example (2M runs, 1 s, 128 MB:
    requests $0.20, 250,000 GB-s inside the free tier, total $0.20), bills duration past
    the free tier at AWS's rate, and takes `pricing:` from the configuration."""
    import json
    p = run_cli("cost", "--estimate", "--requests", "2000000", "--duration", "1s", "--memory", "128", "--json",
                cwd=tmp)
    check(p.returncode == 0, p.stderr)
    out = json.loads(p.stdout)
    check(out["request_cost"] == 0.2 and out["gb_seconds"] == 250000 and out["billed_gb_seconds"] == 0 and
          out["total"] == 0.2, out)
    p = run_cli("cost", "--estimate", "--requests", "2000000", "--duration", "1s", "--memory", "128", cwd=tmp)
    check(p.returncode == 0 and "total      $0.20" in p.stdout and "$0.0000166667 per GB-second" in p.stdout, p.stdout)
    # 1M runs of 1 s at 1 GB: 600,000 GB-s past the free tier at $0.0000166667.
    p = run_cli("cost", "--estimate", "--requests", "1000000", "--duration", "1000", "--memory", "1024", "--json",
                cwd=tmp)
    out = json.loads(p.stdout)
    check(abs(out["duration_cost"] - 10.00002) < 1e-6 and out["request_cost"] == 0, out)
    # The seed's own rate, $1 per 600,000 GB-s, and no free tier, from the configuration.
    write(os.path.join(tmp, "fngate.yaml"),
          "pricing: {gb_second: 0.0000016667, free_requests: 0, free_gb_seconds: 0}\nfunctions: {}\n")
    p = run_cli("cost", "--estimate", "--requests", "2000000", "--duration", "1s", "--memory", "128", "--json",
                cwd=tmp)
    out = json.loads(p.stdout)
    check(p.returncode == 0 and out["request_cost"] == 0.4 and abs(out["duration_cost"] - 0.416675) < 1e-6, (out, p.stderr))
    # Without --estimate it bills what a running gateway recorded (test_logs.py): none runs here.
    p = run_cli("cost", cwd=tmp)
    check(p.returncode == 1 and "fngate: " in p.stderr, p.stderr)
    p = run_cli("cost", "--estimate", "--requests", "5", cwd=tmp)
    check(p.returncode == 2 and "--duration" in p.stderr, p.stderr)
