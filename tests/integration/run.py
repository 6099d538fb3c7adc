# SPDX-License-Identifier: MIT
"""Runs every test_* function of tests/integration/test_*.py, each in a fresh temp dir,
and ends with the plain summary line "N passed, N failed, N skipped". A test skips by
raising harness.Skip (harness.skip / harness.need_root), and the line says why.
FNGATE_TESTS=substring picks a subset. Exit status 1 when anything failed."""
import importlib
import inspect
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


def main():
    only = os.environ.get("FNGATE_TESTS", "")
    passed = failed = skipped = 0
    failures = []
    for fname in sorted(os.listdir(HERE)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        mod = importlib.import_module(fname[:-3])
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if not name.startswith("test_") or fn.__module__ != mod.__name__:
                continue
            full = "%s.%s" % (fname[:-3], name)
            if only and only not in full:
                continue
            start = time.monotonic()
            try:
                with harness.tempdir() as tmp:
                    fn(tmp)
                passed += 1
                print("PASS %s (%.1fs)" % (full, time.monotonic() - start), flush=True)
            except harness.Skip as e:
                skipped += 1
                print("SKIP %s: %s" % (full, e), flush=True)
            except Exception:
                failed += 1
                failures.append(full)
                print("FAIL %s (%.1fs)\n%s" % (full, time.monotonic() - start, traceback.format_exc()), flush=True)
    if failures:
        print("failed: " + ", ".join(failures))
    print("integration: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
