#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# By hand, not part of `make bench` (it writes a 1 GB file): what the start-up check of the
# state file (PRAGMA quick_check, router/store.c) costs on a large fngate.db, the figure the
# README gives under "Restart".
#   1. fngate creates its state file, then dead letters of 1 KB are added beside it (SQLite,
#      fngate's own schema) until the file is STATE_MB (default 1024) MB
#   2. fngate serve, timed from launch to its readiness line: cold (the file evicted from the
#      page cache first, posix_fadvise DONTNEED: this file only) and warm (a second start)
#   3. PRAGMA quick_check alone, cold and warm, in Python's sqlite3 (the same libsqlite3)
# Usage: tests/bench/state_check.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
size_mb="${STATE_MB:-1024}"
. tests/bench/lib.sh
bench_scratch state-check

mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"
cat > "$tmp/gw.yaml" <<CFG
state_dir: $tmp/state
functions:
  Echo:
    runtime: provided
    code: $tmp/echo
CFG
fngate_start gw
fngate_stop gw
db="$tmp/state/fngate.db"

/usr/bin/python3 - "$db" "$size_mb" <<'PY'
import os, sqlite3, sys, time
db, size_mb = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
t0, n = time.monotonic(), 0
while con.execute("PRAGMA page_count").fetchone()[0] * con.execute("PRAGMA page_size").fetchone()[0] < size_mb << 20:
    con.execute("BEGIN")
    con.executemany("INSERT INTO dlq(request_id, function, payload, accepted_ms, failed_ms, attempts, condition,"
                    " error_type, error_message) VALUES(?, 'Echo', ?, 1, 2, 3, 'RetriesExhausted', 'Error', 'boom')",
                    (("req-%d" % (n + i), os.urandom(500).hex()) for i in range(50000)))
    con.execute("COMMIT")
    n += 50000
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
con.close()
print("state file: %d MB, %d dead letters (built in %.0f s)" % (os.path.getsize(db) >> 20, n, time.monotonic() - t0))
PY

evict() { /usr/bin/python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$db"; }
start_ms() { fngate_start gw; echo $(( ($(fngate_ready_ns gw) - $(fngate_launch_ns gw)) / 1000000 )); fngate_stop gw; }
evict
echo "fngate serve to readiness, cold cache: $(start_ms) ms"
echo "fngate serve to readiness, warm cache: $(start_ms) ms"
evict
/usr/bin/python3 - "$db" <<'PY'
import sqlite3, sys, time
for label in ("cold", "warm"):
    con = sqlite3.connect("file:%s?immutable=1" % sys.argv[1], uri=True)
    t0 = time.monotonic()
    rows = con.execute("PRAGMA quick_check").fetchall()
    print("PRAGMA quick_check alone, %s cache: %.0f ms (%s)" % (label, (time.monotonic() - t0) * 1000, rows[0][0]))
    con.close()
PY
