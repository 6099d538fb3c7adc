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
# Prints the numbers and the ratio a/b; never a timed assertion, but a run whose wait timed
# out (not every file's handler started) is reported invalid and no ratio is printed from
# it (lib.sh).
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
burst="${BENCH_FILES:-5000}"
paced="${BENCH_PACED:-3000}"
. tests/bench/lib.sh
bench_scratch fs
mkdir -p "$tmp/code" "$tmp/fg" "$tmp/inc" "$tmp/incron/system" "$tmp/incron/user" "$tmp/incron/lock"

cat > "$tmp/code/app.py" <<'PY'
import os, time
OUT = open(os.environ["OUT"], "a", buffering=1)
def handler(event, context):
    t = time.time()
    for r in event["Records"]:
        OUT.write("%s %.6f\n" % (r["s3"]["object"]["key"], t))
PY
cat > "$tmp/fg.yaml" <<CFG
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

fngate_start fg
incrond -n -f "$tmp/incron.conf" > "$tmp/incron.out" 2>&1 &
pids+=($!)
fngate_wait fg /_fngate/folders "all(f['initialScanDone'] for f in v['folders'])" 30 > /dev/null ||
  { echo "fngate's folder was not scanned within 30 s" >&2; exit 1; }
sleep 2      # warm-up: incrond has no readiness signal, and the workers start warm

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

# wait_for RUN LOG PREFIX N: until N distinct files of the prefix are in LOG; after 60 s plus
# 50 ms a file, RUN is marked invalid (its figures would be partial), and so is a run in
# which a file's handler started more than once
started() { grep "^$2" "$1" 2>/dev/null | cut -d' ' -f1 | sort -u | wc -l; }
wait_for() {
  local all
  bench_wait_count "$1" $(( $(date +%s) + 60 + $4 / 20 )) "$4" "handlers started" started "$2" "$3"
  bench_is_valid "$1" || return 0
  all=$(grep -c "^$3" "$2" 2>/dev/null || true)
  [ "$all" -eq "$4" ] || bench_invalid "$1" "$all handler starts for $4 files (some ran twice)"
}

# report RUN CLOSED_LOG STARTED_LOG PREFIX LABEL: prints RUN's row; its files/s in $tmp/RUN.rate
report() {
  /usr/bin/python3 - "$tmp/$1.rate" "${@:2}" <<'PY'
import sys
rate_file, closed_log, started_log, prefix, what = sys.argv[1:6]
def load(path):
    out = {}
    try:
        for line in open(path):
            k, t = line.split()
            if k.startswith(prefix):
                out.setdefault(k, float(t))
    except FileNotFoundError:
        pass
    return out
c, s = load(closed_log), load(started_log)
lat = sorted((s[k] - c[k]) * 1000 for k in c if k in s)
if not lat:
    print("%-46s no handler started  (0/%d)" % (what, len(c)))
    sys.exit(0)
span = max(s.values()) - min(c.values())
def p(q):
    return lat[min(len(lat) - 1, int(len(lat) * q))]
print("%-46s %8.0f files/s  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  (%d/%d)" %
      (what, len(s) / span, p(0.5), p(0.99), lat[-1], len(lat), len(c)))
open(rate_file, "w").write("%.0f\n" % (len(s) / span))
PY
}

# run RUN DIR LOG PREFIX N RATE LABEL: writes the files, waits for their handlers, reports
run() {
  write_files "$2" "$4" "$5" "$6"
  wait_for "$1" "$3" "$4" "$5"
  echo "$(report "$1" "$2.closed" "$3" "$4" "$7") $(bench_flag "$1")"
}

echo "fngate folder bench: $burst files in a burst, $paced at 1,000 files/s; $(nproc) cores"
run a "$tmp/fg" "$tmp/fg.log" b "$burst" 0 "(a) fngate, burst"
run b "$tmp/inc" "$tmp/inc.log" b "$burst" 0 "(b) incron, burst"
run c-fngate "$tmp/fg" "$tmp/fg.log" p "$paced" 1000 "(c) fngate at 1,000 files/s"
run c-incron "$tmp/inc" "$tmp/inc.log" p "$paced" 1000 "(c) incron at 1,000 files/s"
bench_ratio "a/b (burst throughput)" a "$(cat "$tmp/a.rate" 2>/dev/null)" b "$(cat "$tmp/b.rate" 2>/dev/null)" 1
bench_end
