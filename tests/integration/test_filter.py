# SPDX-License-Identifier: MIT
"""`fngate filter test PATTERN EVENT`: {"Result": true|false} and exit 0, patterns and events
from @files and standard input, and exit 2 with a message for an invalid pattern or event or
bad arguments; a pattern the CLI refuses is refused by the configuration too."""
import json
import os

from harness import check, run_cli, write


def result(p):
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
    check(p.stdout in ('{"Result": true}\n', '{"Result": false}\n'), "output %r" % p.stdout)
    return json.loads(p.stdout)["Result"]


def test_filter_true_and_false(tmp):
    pattern = '{"body": {"status": ["paid"], "total": [{"numeric": [">", 10, "<=", 100]}]}}'
    check(result(run_cli("filter", "test", pattern, '{"body": {"status": "paid", "total": 42}}')) is True,
          "a matching event")
    check(result(run_cli("filter", "test", pattern, '{"body": {"status": "paid", "total": 420}}')) is False,
          "out of the numeric range")
    # AWS's semantics, end to end: a number written as a string is not a number, null is
    # not missing, a list in the event matches on any element.
    check(result(run_cli("filter", "test", '{"n": [{"numeric": ["=", 5]}]}', '{"n": "5"}')) is False, "\"5\" is a string")
    check(result(run_cli("filter", "test", '{"n": [{"exists": true}]}', '{"n": null}')) is True, "null exists")
    check(result(run_cli("filter", "test", '{"n": [{"anything-but": "x"}]}', '{}')) is False,
          "anything-but never matches a missing field")
    check(result(run_cli("filter", "test", '{"tags": [{"prefix": "re"}]}', '{"tags": ["blue", "red"]}')) is True,
          "any element of a list")


def test_filter_files_and_stdin(tmp):
    pattern = write(os.path.join(tmp, "pattern.json"), '{"Name": [{"equals-ignore-case": "alice"}]}\n')
    event = write(os.path.join(tmp, "event.json"), '{"Name": "ALICE"}\n')
    check(result(run_cli("filter", "test", "@" + pattern, "@" + event)) is True, "both from files")
    check(result(run_cli("filter", "test", "@" + pattern, "@-", input='{"Name": "Bob"}')) is False, "event on stdin")
    check(result(run_cli("filter", "test", "@-", "@" + event, input='{"Name": ["ALICE"]}')) is True, "pattern on stdin")
    p = run_cli("filter", "test", "@" + os.path.join(tmp, "missing.json"), "{}")
    check(p.returncode == 2 and "missing.json: No such file or directory" in p.stderr and p.stdout == "", p.stderr)


def test_filter_invalid_pattern_exits_2(tmp):
    cases = [
        ('{"price": {"usd": [{"numeric": ["<", 5, ">", 1]}]}}', "pattern 1 at price.usd[0]: numeric takes"),
        ('{"a": "paid"}', "pattern 1 at a: a value is a non-empty list"),
        ('{"a": [{"wildcard": "*.png"}]}', "pattern 1 at a[0]: wildcard is an EventBridge operator, not in Lambda's filters"),
        ('{"a": [1}', "pattern 1 is not JSON: line 1, column 9:"),
    ]
    for pattern, msg in cases:
        p = run_cli("filter", "test", pattern, "{}")
        check(p.returncode == 2 and p.stdout == "", "%s: exit %d, stdout %r" % (pattern, p.returncode, p.stdout))
        check(p.stderr.startswith("fngate: invalid pattern: " + msg), "%s: %s" % (pattern, p.stderr))
    p = run_cli("filter", "test", '{"a": [1]}', '{"a": ')
    check(p.returncode == 2 and p.stderr.startswith("fngate: the event is not JSON: line 1, column ") and p.stdout == "",
          p.stderr)


def test_filter_usage(tmp):
    p = run_cli("filter", "--help")
    check(p.returncode == 0 and p.stdout.startswith("usage: fngate filter test PATTERN EVENT"), p.stdout)
    for args in ([], ["test"], ["test", "{}"], ["check", "{}", "{}"], ["test", "{}", "{}", "{}"], ["test", "@-", "@-"]):
        p = run_cli("filter", *args)
        check(p.returncode == 2 and p.stderr.startswith("usage: fngate filter") and p.stdout == "", (args, p.stderr))
    p = run_cli("--help")
    check("filter" in p.stdout, p.stdout)


def test_filter_refused_at_config_load(tmp):
    code = os.path.join(tmp, "code")
    os.makedirs(code)
    cfg = write(os.path.join(tmp, "fngate.yaml"), """
        functions:
          F:
            runtime: python3
            handler: app.h
            code: code
            events:
              - fs:
                  path: ./up
                  filter_criteria:
                    filters:
                      - pattern: {s3: {object: {key: [{cidr: 10.0.0.0/8}]}}}
        """)
    p = run_cli("validate", "-c", cfg)
    check(p.returncode == 1, "exit %d: %s" % (p.returncode, p.stderr))
    # The position is filter_criteria's; the message says where in which pattern.
    check(p.stderr.strip() == "%s:9:11: filter_criteria: pattern 1 at s3.object.key[0]: cidr is an EventBridge operator, "
          "not in Lambda's filters" % cfg, p.stderr)
