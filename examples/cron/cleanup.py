"""Nightly cleanup: deletes files older than max_age_days under directory.

The same job a crontab line used to run as a script; as a Lambda-style handler it gets its
parameters from the schedule's `input`, logs what it did, and returns a summary that shows
up in `fngate invoke` and in destinations. It raises on failure, so fngate retries it and,
if it keeps failing, keeps the event in the dead letters instead of losing the night's run.
"""
import os
import time


def handler(event, context):
    directory = event.get("directory", "/tmp/fngate-cron-demo")
    max_age_days = float(event.get("max_age_days", 7))
    dry_run = bool(event.get("dry_run", False))
    cutoff = time.time() - max_age_days * 86400
    removed, kept, freed = 0, 0, 0
    if not os.path.isdir(directory):
        print(f"{directory} does not exist; nothing to clean")
        return {"directory": directory, "removed": 0, "kept": 0, "bytes_freed": 0}
    for root, _dirs, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            if st.st_mtime < cutoff:
                if not dry_run:
                    os.unlink(path)
                removed += 1
                freed += st.st_size
            else:
                kept += 1
    print(f"cleanup of {directory}: removed {removed} file(s), {freed} bytes; kept {kept}"
          f"{' (dry run)' if dry_run else ''}; request {context.aws_request_id}")
    return {"directory": directory, "removed": removed, "kept": kept, "bytes_freed": freed, "dry_run": dry_run}
