# SPDX-License-Identifier: MIT
"""Runtime hooks for `snapstart: true` functions, under the module name and API of AWS's
pip package snapshot-restore-py, so a handler written for Lambda SnapStart imports it
unchanged (fngate's bootstrap puts this directory on sys.path after the task root; a copy
of the real package in the task root wins and works the same way).

    from snapshot_restore_py import register_before_snapshot, register_after_restore

    @register_before_snapshot
    def close_connections(): ...

    register_after_restore(reconnect, "db", timeout=5)

Before-snapshot hooks run once, in the snapshot template after the handler's module was
imported, in the reverse order of their registration; after-restore hooks run in every
worker forked from it, in order, before its first invocation. Each registration returns
the function, so both work as decorators. Standard library only."""

_before_snapshot = []
_after_restore = []


def register_before_snapshot(func, *args, **kwargs):
    """Runs func(*args, **kwargs) before the snapshot is taken. Returns func."""
    _before_snapshot.append((func, args, kwargs))
    return func


def register_after_restore(func, *args, **kwargs):
    """Runs func(*args, **kwargs) in each execution environment restored from the
    snapshot. Returns func."""
    _after_restore.append((func, args, kwargs))
    return func


def get_before_snapshot():
    """The registered before-snapshot hooks: a list of (func, args, kwargs)."""
    return _before_snapshot


def get_after_restore():
    """The registered after-restore hooks: a list of (func, args, kwargs)."""
    return _after_restore
