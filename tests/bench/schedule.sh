#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench` (third part): schedules at scale, in one run, on loopback.
#   (a) startup time and RSS with 0 and with 100,000 schedules (crons in four time zones
#       and rates): the cost per schedule
#   (b) 10,000 schedules due in the same second, plus one schedule alone 4 s later: the
#       lateness of each fire from its tick to its durable commit (the trigger's own
#       histogram) and to the function's start (platform.start in the JSON log), p50 / p99 /
#       max, with the lone schedule beside them; and the count of fires, which must be
#       exactly 10,001 (none missed, none doubled)
# Numbers only, never an assertion.
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
n_sched="${BENCH_SCHEDULES:-100000}"
n_burst="${BENCH_BURST:-10000}"
tmp=$(mktemp -d /tmp/fngate-bench-sched.XXXXXX)
cleanup() { [ -f "$tmp/pid" ] && kill "$(cat "$tmp/pid")" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"

# gen FILE KIND: writes a config with KIND's schedules (see the python below)
gen() {
  /usr/bin/python3 - "$tmp" "$1" "$2" "$n_sched" "$n_burst" <<'PY'
import sys, time
tmp, path, kind, n_sched, n_burst = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
out = [f"state_dir: {tmp}/state-{kind}\nfunctions:\n  Echo:\n    runtime: provided\n    code: {tmp}/echo\n"
       "    concurrency: 64\n    min_warm: 32\n    events:\n"]
if kind == "many":
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]
    for i in range(n_sched):
        if i % 5 == 4:
            out.append(f"      - schedule: {{expression: rate({2 + i % 58} minutes), name: s{i}}}\n")
        else:
            out.append(f"      - schedule: {{expression: \"cron({i % 60} {i % 24} * * ? *)\", timezone: {zones[i % 4]}, name: s{i}}}\n")
elif kind == "burst":
    t = int(time.time()) + 10
    due = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    alone = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t + 4))
    for i in range(n_burst):
        out.append(f"      - schedule: {{expression: \"at({due})\", name: b{i}}}\n")
    out.append(f"      - schedule: {{expression: \"at({alone})\", name: alone}}\n")
    open(f"{tmp}/due", "w").write(f"{t} {t + 4}\n")
else:
    out[0] = out[0].replace("    events:\n", "")
open(path, "w").write("".join(out))
PY
}

# start CONFIG [ARGS...]: launches fngate (pid in $tmp/pid, port in $tmp/port) and prints
# the seconds from launch to its readiness line
start() {
  local cfg=$1; shift
  local t0 t1 p
  t0=$(date +%s%N)
  "$build/fngate" serve -c "$cfg" --listen 127.0.0.1:0 "$@" > "$tmp/out.log" 2> "$tmp/err.log" &
  p=$!
  echo "$p" > "$tmp/pid"
  until grep -q "listening on" "$tmp/err.log"; do
    kill -0 "$p" 2>/dev/null || { cat "$tmp/err.log" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s%N)
  sed -nE 's/.*listening on http:\/\/127\.0\.0\.1:([0-9]+).*/\1/p' "$tmp/err.log" > "$tmp/port"
  /usr/bin/python3 -c "import sys; print('%.2f' % ((int(sys.argv[2]) - int(sys.argv[1])) / 1e9))" "$t0" "$t1"
}

stop() {
  local p
  p=$(cat "$tmp/pid")
  kill -TERM "$p"
  while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
  rm -f "$tmp/pid"
}
rss_kb() { sed -nE 's/^VmRSS:\s+([0-9]+) kB/\1/p' "/proc/$(cat "$tmp/pid")/status"; }

echo "fngate schedule bench: $n_sched schedules; $n_burst due in one second; $(nproc) cores"
gen "$tmp/none.yaml" none
gen "$tmp/many.yaml" many
t_none=$(start "$tmp/none.yaml"); sleep 0.5; rss_none=$(rss_kb); stop
t_many=$(start "$tmp/many.yaml"); sleep 0.5; rss_many=$(rss_kb); stop
per=$(/usr/bin/python3 -c "import sys; a,b,n=map(float,sys.argv[1:]); print('%.0f' % ((b - a) * 1024 / n))" "$rss_none" "$rss_many" "$n_sched")
printf '%-40s %10s %10s\n' "" "startup s" "RSS MB"
printf '%-40s %10s %10s\n' "(a) no schedules" "$t_none" "$((rss_none / 1024))"
printf '%-40s %10s %10s\n' "(a) $n_sched schedules" "$t_many" "$((rss_many / 1024))"
echo "    memory per schedule: $per bytes (config, expression, heap entry)"

gen "$tmp/burst.yaml" burst
start "$tmp/burst.yaml" --log-format json --debug > /dev/null
read -r due alone < "$tmp/due"
for _ in $(seq 1 300); do
  [ "$(grep -c '"platform.start"' "$tmp/out.log" || true)" -ge $((n_burst + 1)) ] && break
  [ "$(date +%s)" -gt $((alone + 20)) ] && break
  sleep 0.1
done
sleep 1
curl -s "http://127.0.0.1:$(cat "$tmp/port")/_fngate/schedules" > "$tmp/schedules.json"
stop
/usr/bin/python3 - "$tmp/out.log" "$tmp/schedules.json" "$due" "$alone" "$n_burst" "$tmp/err.log" <<'PY'
import json, re, sys, calendar, time
log, sched, due, alone, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
fired = re.findall(r"(\d+) ticks fired in (\d+) ms", open(sys.argv[6]).read())
def ms(iso):
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(iso[20:23])
starts = []
for line in open(log):
    if '"platform.start"' in line:
        starts.append(ms(json.loads(line)["time"]))
burst = sorted(t - due * 1000 for t in starts if t < alone * 1000)
lone = [t - alone * 1000 for t in starts if t >= alone * 1000]
def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p / 100))] if v else float("nan")
s = json.load(open(sched))
lat = s["fireLatencyMs"]
print("(b) %d fires due in one second:" % n)
for count, took in fired:
    print("    the trigger fired %s ticks in %s ms (one timer wake-up)" % (count, took))
print("    tick -> durable commit (all %d fires): p50 %d ms, p99 %d ms, max %d ms" % (lat["count"], lat["p50"], lat["p99"], lat["max"]))
print("    tick -> function start, the burst:  p50 %s ms, p99 %s ms, max %s ms (%d starts)" % (pct(burst, 50), pct(burst, 99), burst[-1] if burst else "-", len(burst)))
print("    tick -> function start, alone:      %s ms" % (lone[0] if lone else "-"))
print("    fires: %d (want %d), skipped %d, failed %d; function starts: %d" % (s["fired"], n + 1, s["skipped"], s["failed"], len(starts)))
PY
