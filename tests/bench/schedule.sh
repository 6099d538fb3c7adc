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
#   (c) the baseline: the same 10,001 fires at the same times from a minimal scheduler that
#       starts one process per fire (a tiny C handler, stamp.c, that records its start), the
#       model of cron and of systemd timers, which is what a user would otherwise run. Debian's
#       cron cannot be used as is: it is minute-granular (the burst and the lone fire 4 s later
#       would fall in one minute) and adds a shell and a mail step per job; systemd timers need
#       a running systemd, which a container or CI job does not have. So the baseline is cron's
#       core loop without those costs: Python's sched module sleeping until each tick, then
#       posix_spawn of the handler (no shell), children reaped by the kernel. It keeps nothing
#       durable, so it is a lower bound for a real cron.
# Prints the figures and the ratios fngate/baseline of the burst's lateness to the function's
# start (below 1: fngate starts sooner). Never a timed assertion, but a run with a missed,
# doubled, skipped or failed fire, or a wait that timed out, is reported invalid and no ratio
# is printed from it (lib.sh).
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
n_sched="${BENCH_SCHEDULES:-100000}"
n_burst="${BENCH_BURST:-10000}"
. tests/bench/lib.sh
bench_scratch sched
mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"
cc -O2 -o "$tmp/stamp" tests/bench/stamp.c

# gen NAME KIND: writes $tmp/NAME.yaml with KIND's schedules (see the python below)
gen() {
  /usr/bin/python3 - "$tmp" "$tmp/$1.yaml" "$2" "$n_sched" "$n_burst" <<'PY'
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

# startup NAME: seconds from launch to the readiness line of the running gateway NAME
startup() {
  /usr/bin/python3 -c "import sys; print('%.2f' % ((int(sys.argv[2]) - int(sys.argv[1])) / 1e9))" \
    "$(fngate_launch_ns "$1")" "$(fngate_ready_ns "$1")"
}
rss_kb() { sed -nE 's/^VmRSS:\s+([0-9]+) kB/\1/p' "/proc/$(cat "$tmp/$1.pid")/status"; }

# lines FILE PATTERN: how many lines of FILE match PATTERN (0 before it exists)
lines() { grep -c "$2" "$1" 2>/dev/null || true; }

echo "fngate schedule bench: $n_sched schedules; $n_burst due in one second; $(nproc) cores"
gen none none
gen many many
fngate_start none; t_none=$(startup none); sleep 0.5; rss_none=$(rss_kb none); fngate_stop none
fngate_start many; t_many=$(startup many); sleep 0.5; rss_many=$(rss_kb many); fngate_stop many
per=$(/usr/bin/python3 -c "import sys; a,b,n=map(float,sys.argv[1:]); print('%.0f' % ((b - a) * 1024 / n))" "$rss_none" "$rss_many" "$n_sched")
printf '%-40s %10s %10s\n' "" "startup s" "RSS MB"
printf '%-40s %10s %10s\n' "(a) no schedules" "$t_none" "$((rss_none / 1024))"
printf '%-40s %10s %10s\n' "(a) $n_sched schedules" "$t_many" "$((rss_many / 1024))"
echo "    memory per schedule: $per bytes (config, expression, heap entry)"

# (b) fngate: wait for every start (bounded), then read the trigger's counters once (the
# view lists every schedule: polling it would cost more than the fires).
gen burst burst
fngate_start -o burst --log-format json --debug
read -r due alone < "$tmp/due"
bench_wait_count b $((alone + 60)) $((n_burst + 1)) starts lines "$tmp/burst.out" '"platform.start"'
fngate_admin burst /_fngate/schedules > "$tmp/schedules.json"
fngate_stop burst

# (c) the baseline, due at the same offsets from its own start
read -r c_due c_alone <<< "$(($(date +%s) + 3)) $(($(date +%s) + 7))"
STAMP_LOG="$tmp/stamp.log" /usr/bin/python3 - "$tmp/stamp" "$c_due" "$c_alone" "$n_burst" <<'PY'
import os, sched, signal, sys, time
handler, due, alone, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
signal.signal(signal.SIGCHLD, signal.SIG_IGN)      # the kernel reaps the handlers
env = dict(os.environ)
s = sched.scheduler(time.time, time.sleep)
fire = lambda name: os.posix_spawn(handler, [handler, name], env)
for i in range(n):
    s.enterabs(due, 0, fire, ("b%d" % i,))
s.enterabs(alone, 0, fire, ("alone",))
s.run()
PY
bench_wait_count c $((c_alone + 60)) $((n_burst + 1)) starts lines "$tmp/stamp.log" .

# report → the rows; "RUN P50 P99" lines for the ratios on fd 3
/usr/bin/python3 - "$tmp/burst.out" "$tmp/schedules.json" "$due" "$alone" "$n_burst" "$tmp/burst.err" \
  "$tmp/stamp.log" "$c_due" "$c_alone" "$tmp/invalid.new" 3> "$tmp/lateness" <<'PY'
import json, os, re, sys, calendar, time
log, sched, due, alone, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
stamps, c_due, c_alone, invalid = sys.argv[7], int(sys.argv[8]), int(sys.argv[9]), open(sys.argv[10], "w")
fired = re.findall(r"(\d+) ticks fired in (\d+) ms", open(sys.argv[6]).read())
out3 = os.fdopen(3, "w")
def ms(iso):
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(iso[20:23])
def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p / 100))] if v else float("nan")
def split(starts, due, alone):
    return (sorted(t - due * 1000 for t in starts if t < alone * 1000),
            [t - alone * 1000 for t in starts if t >= alone * 1000])
starts = [ms(json.loads(line)["time"]) for line in open(log) if '"platform.start"' in line]
burst, lone = split(starts, due, alone)
s = json.load(open(sched))
lat = s["fireLatencyMs"]
print("(b) fngate: %d fires due in one second:" % n)
for count, took in fired:
    print("    the trigger fired %s ticks in %s ms (one timer wake-up)" % (count, took))
print("    tick -> durable commit (all %d fires): p50 %d ms, p99 %d ms, max %d ms" % (lat["count"], lat["p50"], lat["p99"], lat["max"]))
print("    tick -> function start, the burst:  p50 %s ms, p99 %s ms, max %s ms (%d starts)" % (pct(burst, 50), pct(burst, 99), burst[-1] if burst else "-", len(burst)))
print("    tick -> function start, alone:      %s ms" % (lone[0] if lone else "-"))
print("    fires: %d (want %d), skipped %d, failed %d; function starts: %d" % (s["fired"], n + 1, s["skipped"], s["failed"], len(starts)))
if s["fired"] != n + 1 or s["skipped"] or s["failed"] or len(starts) != n + 1 or len(burst) != n or len(lone) != 1:
    invalid.write("b\t%d fires, %d skipped, %d failed, %d starts (%d in the burst, %d alone) for %d due\n"
                  % (s["fired"], s["skipped"], s["failed"], len(starts), len(burst), len(lone), n + 1))
print(3 * "%s " % ("b", pct(burst, 50), pct(burst, 99)), file=out3)

names, c_starts = [], []
for line in open(stamps):
    k, t = line.split()
    names.append(k)
    c_starts.append(round(float(t) * 1000))
# By name, not by time: the baseline's burst can still be starting when the lone fire is due.
burst = sorted(t - c_due * 1000 for k, t in zip(names, c_starts) if k != "alone")
lone = [t - c_alone * 1000 for k, t in zip(names, c_starts) if k == "alone"]
print("(c) baseline, a process per fire (sched + posix_spawn): %d fires due in one second:" % n)
print("    tick -> handler start, the burst:  p50 %s ms, p99 %s ms, max %s ms (%d starts)" % (pct(burst, 50), pct(burst, 99), burst[-1] if burst else "-", len(burst)))
print("    tick -> handler start, alone:      %s ms" % (lone[0] if lone else "-"))
print("    handler starts: %d (want %d), distinct fires %d" % (len(names), n + 1, len(set(names))))
if len(names) != n + 1 or len(set(names)) != n + 1 or len(burst) != n or len(lone) != 1:
    invalid.write("c\t%d handler starts (%d distinct, %d in the burst, %d alone) for %d due\n"
                  % (len(names), len(set(names)), len(burst), len(lone), n + 1))
print(3 * "%s " % ("c", pct(burst, 50), pct(burst, 99)), file=out3)
PY
while IFS=$'\t' read -r run why; do bench_invalid "$run" "$why"; done < "$tmp/invalid.new"
read -r _ b_p50 b_p99 < <(grep '^b ' "$tmp/lateness")
read -r _ c_p50 c_p99 < <(grep '^c ' "$tmp/lateness")
bench_ratio "fngate/baseline, burst tick -> start p50" b "$b_p50" c "$c_p50"
bench_ratio "fngate/baseline, burst tick -> start p99" b "$b_p99" c "$c_p99"
bench_end
