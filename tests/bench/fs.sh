#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench` (fourth part): the folder trigger beside incron, in one run, on tmpfs-free
# temp dirs of the same disk.
#   (a) fngate: a burst of files → S3 events → a warm Python function that records the key
#       and the time it started; files/s from the first close to the last start
#   (b) incrond (Debian's incron) on the same burst, one command per event that records the
#       same thing (incron's model: a process per event)
#   (c) both again with files written at a steady 1,000 files/s: latency from each file's
#       close to its handler's start, p50 / p99 / max
# Prints the numbers and the ratio a/b; never an assertion.
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
burst="${BENCH_FILES:-5000}"
paced="${BENCH_PACED:-3000}"
tmp=$(mktemp -d /tmp/fngate-bench-fs.XXXXXX)
cleanup() {
  [ -f "$tmp/fg.pid" ] && kill "$(cat "$tmp/fg.pid")" 2>/dev/null
  [ -f "$tmp/incron.pid" ] && kill "$(cat "$tmp/incron.pid")" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/code" "$tmp/fg" "$tmp/inc" "$tmp/incron/system" "$tmp/incron/user" "$tmp/incron/lock"

cat > "$tmp/code/app.py" <<'PY'
import os, time
OUT = open(os.environ["OUT"], "a", buffering=1)
def handler(event, context):
    t = time.time()
    for r in event["Records"]:
        OUT.write("%s %.6f\n" % (r["s3"]["object"]["key"], t))
PY
cat > "$tmp/fngate.yaml" <<CFG
state_dir: $tmp/state
functions:
  Record:
    runtime: python3
    handler: app.handler
    code: $tmp/code
    concurrency: 8
    min_warm: 8
    environment: {OUT: $tmp/fg.log}
    events:
      - fs: $tmp/fg
CFG
cat > "$tmp/record.sh" <<SH
#!/bin/bash
printf '%s %s\n' "\$1" "\$EPOCHREALTIME" >> $tmp/inc.log
SH
chmod +x "$tmp/record.sh"
echo "$tmp/inc IN_CLOSE_WRITE,IN_MOVED_TO $tmp/record.sh \$#" > "$tmp/incron/system/bench"
cat > "$tmp/incron.conf" <<CONF
system_table_dir = $tmp/incron/system
user_table_dir = $tmp/incron/user
lockfile_dir = $tmp/incron/lock
lockfile_name = incron
CONF

"$build/fngate" serve -c "$tmp/fngate.yaml" --listen 127.0.0.1:0 > /dev/null 2> "$tmp/fg.err" &
echo $! > "$tmp/fg.pid"
incrond -n -f "$tmp/incron.conf" > "$tmp/incron.out" 2>&1 &
echo $! > "$tmp/incron.pid"
until grep -q "folder(s) watched" "$tmp/fg.err"; do sleep 0.05; done
sleep 2      # the warm workers and incrond's watch

# write DIR PREFIX N RATE → N files appear in DIR (RATE 0: a burst), their times logged. A
# burst is written to a staging directory first and renamed in (IN_MOVED_TO), so the
# burst is as fast as the file system renames, not as slow as a writer sharing the cores.
write_files() {
  /usr/bin/python3 - "$@" <<'PY'
import os, sys, time
d, prefix, n, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
log = open(d + ".closed", "a")
stage = d + ".stage"
os.makedirs(stage, exist_ok=True)
if not rate:
    for i in range(n):
        with open("%s/%s%05d.txt" % (stage, prefix, i), "w") as f:
            f.write("file %d\n" % i)
start = time.time()
for i in range(n):
    name = "%s%05d.txt" % (prefix, i)
    if rate:
        wait = start + i / rate - time.time()
        if wait > 0:
            time.sleep(wait)
        with open("%s/%s" % (d, name), "w") as f:
            f.write("file %d\n" % i)
    else:
        os.rename("%s/%s" % (stage, name), "%s/%s" % (d, name))
    log.write("%s %.6f\n" % (name, time.time()))
PY
}

# wait_for LOG PREFIX N: until N lines of the prefix are in LOG (at most 120 s)
wait_for() {
  for _ in $(seq 1 1200); do
    [ "$(grep -c "^$2" "$1" 2>/dev/null || true)" -ge "$3" ] && return 0
    sleep 0.1
  done
  echo "timed out waiting for $3 records in $1" >&2
}

report() {
  /usr/bin/python3 - "$@" <<'PY'
import sys
closed_log, started_log, prefix, what = sys.argv[1:5]
def load(path):
    out = {}
    for line in open(path):
        k, t = line.split()
        if k.startswith(prefix):
            out.setdefault(k, float(t))
    return out
c, s = load(closed_log), load(started_log)
lat = sorted((s[k] - c[k]) * 1000 for k in c if k in s)
span = max(s.values()) - min(c.values())
def p(q):
    return lat[min(len(lat) - 1, int(len(lat) * q))]
print("%-46s %8.0f files/s  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  (%d/%d)" %
      (what, len(s) / span, p(0.5), p(0.99), lat[-1], len(lat), len(c)))
print("RATE %.0f" % (len(s) / span), file=sys.stderr)
PY
}

echo "fngate folder bench: $burst files in a burst, $paced at 1,000 files/s; $(nproc) cores"
write_files "$tmp/fg" b "$burst" 0; wait_for "$tmp/fg.log" b "$burst"
a=$(report "$tmp/fg.closed" "$tmp/fg.log" b "(a) fngate, burst" 2> "$tmp/a.rate"); echo "$a"
write_files "$tmp/inc" b "$burst" 0; wait_for "$tmp/inc.log" b "$burst"
b=$(report "$tmp/inc.closed" "$tmp/inc.log" b "(b) incron, burst" 2> "$tmp/b.rate"); echo "$b"
write_files "$tmp/fg" p "$paced" 1000; wait_for "$tmp/fg.log" p "$paced"
report "$tmp/fg.closed" "$tmp/fg.log" p "(c) fngate at 1,000 files/s" 2> /dev/null
write_files "$tmp/inc" p "$paced" 1000; wait_for "$tmp/inc.log" p "$paced"
report "$tmp/inc.closed" "$tmp/inc.log" p "(c) incron at 1,000 files/s" 2> /dev/null
/usr/bin/python3 -c "import sys; a=float(sys.argv[1]); b=float(sys.argv[2]); print('ratio a/b (burst throughput) = %.1f' % (a/b))" \
  "$(sed -n 's/RATE //p' "$tmp/a.rate")" "$(sed -n 's/RATE //p' "$tmp/b.rate")"
