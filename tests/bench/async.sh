#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench` (second half): async accept and delivery, side by side in one run, on loopback.
#   (a) Invoke API Event → 202 with durability full (group-committed SQLite, fsync), the
#       function held back to a trickle so the run measures accepting alone (as LPUSH does)
#   (b) the same gateway with durability memory (no disk): what durability costs
#   (c) redis-server with appendonly yes + appendfsync everysec taking LPUSHes from
#       redis-benchmark (the queue people would otherwise put in front of a worker; it
#       syncs once a second, where fngate syncs before every answer)
#   (d) the same redis-server with appendfsync always: a sync before every answer, as (a)
#   (e) (a) with deliveries competing: no limit, the function runs the accepted events
#       during the load; prints the accept rate and the events delivered per second
#   (f) delivery: events queued before start, drained by warm C `provided` workers, timed
#       from the readiness line (lib.sh's fngate_ready_ns) to an empty queue
# Prints rates and the ratios a/b, a/c, a/d and e/a. Never a timed assertion, but a run with
# non-2xx answers, socket errors, failed commands, dead letters, a timeout or a wrong count
# of function runs is reported invalid and no ratio is printed from it (lib.sh).
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
duration="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-32}"
backlog="${BENCH_BACKLOG:-100000}"
. tests/bench/lib.sh
bench_scratch async

mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"
payload='{"order":12345,"item":"x"}'

# config NAME DURABILITY RATE_LINE [STATE]: the echo function, state in $tmp/state-STATE
# (default NAME); each worker counts the events it ran in $tmp/count-NAME (ECHO_COUNT_DIR,
# see echo_bootstrap.c)
config() {
  mkdir -p "$tmp/count-$1"
  cat > "$tmp/$1.yaml" <<CFG
state_dir: $tmp/state-${4:-$1}
gateway: {max_connections_per_client: 0}   # wrk is one client: BENCH_CONNECTIONS may pass 256
durability: $2
functions:
  Echo:
    runtime: provided
    code: $tmp/echo
    concurrency: $conns
    min_warm: 4
    environment:
      ECHO_COUNT_DIR: $tmp/count-$1
$3
CFG
}

bench_event_lua "$tmp/event.lua" "$payload"

# accept_rate RUN PORT [BEFORE_HOOK] → "req/s p50_ms p99_ms non2xx" (RUN marked invalid on
# errors); the hook runs between the warm-up and the measured run
accept_rate() {
  local url="http://127.0.0.1:$2/2015-03-31/functions/Echo/invocations"
  wrk -t2 -c"$conns" -d1s -s "$tmp/event.lua" "$url" > "$tmp/wrk-$1-warm.out"
  [ -z "${3:-}" ] || "$3"
  wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$tmp/event.lua" "$url" > "$tmp/wrk-$1.out"
  bench_wrk "$1" "$tmp/wrk-$1.out"
}

# dead_letters NAME: the function's dead letter count in the running gateway NAME
dead_letters() {
  fngate_admin "$1" /_fngate/queue |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["functions"][0]["deadLetters"])'
}

trickle='    rate: {per_second: 0.001, burst: 1}'
config full full "$trickle"
config mem memory "$trickle"
config comp full ""
echo "fngate async bench: wrk -t2 -c$conns -d${duration}s on 127.0.0.1, $(nproc) cores, payload ${#payload} bytes"

fngate_start full
read -r a_rps a_p50 a_p99 a_bad <<< "$(accept_rate a "$(fngate_port full)")"
fngate_stop full

fngate_start mem
read -r b_rps b_p50 b_p99 b_bad <<< "$(accept_rate b "$(fngate_port mem)")"
fngate_stop mem

# (c), (d): one redis-server, appendfsync switched between the runs; each run's LPUSH
# count and failures are read back from the server's own command statistics.
bench_redis_start everysec
# lpush_rate RUN FSYNC N → LPUSHes per second (RUN marked invalid on errors or a short count)
lpush_rate() {
  local out rps stats
  redis-cli -p "$rport" config set appendfsync "$2" > /dev/null
  redis-cli -p "$rport" flushall > /dev/null
  redis-cli -p "$rport" config resetstat > /dev/null
  if ! out=$(redis-benchmark -p "$rport" -c "$conns" -n "$3" -d ${#payload} -t lpush -q 2>&1); then
    bench_invalid "$1" "redis-benchmark failed: $(echo "$out" | tr '\r\n' '  ' | tail -c 300)"
  fi
  rps=$(echo "$out" | tr '\r' '\n' | sed -nE 's/.*LPUSH: ([0-9.]+) requests per second.*/\1/p' | tail -1)
  stats=$(redis-cli -p "$rport" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_lpush://p')
  [[ "$stats" == calls=$3,*rejected_calls=0,failed_calls=0 ]] ||
    bench_invalid "$1" "redis counted LPUSH ${stats:-none} for $3 sent"
  bench_round "$rps"
}
c_rps=$(lpush_rate c everysec $((duration * 60000)))
# about a third of everysec's rate here: sized to take about as long
d_rps=$(lpush_rate d always $((duration * 20000)))

# (e): deliveries compete with accepting; the workers' counts before and after the measured
# run give the events the function ran during it.
fngate_start comp
mark_e() { echo_counted "$tmp/count-comp" > "$tmp/e.before"; }
read -r e_rps e_p50 e_p99 e_bad <<< "$(accept_rate e "$(fngate_port comp)" mark_e)"
e_ran=$(( $(echo_counted "$tmp/count-comp") - $(cat "$tmp/e.before") ))
# Every event accepted runs: at least the requests wrk counted (warm-up and measured run, all
# answered 202), and at most one more per connection and run (a request in flight when wrk
# stops is accepted but not counted).
wrk_requests() { sed -nE 's/^ *([0-9]+) requests in .*/\1/p' "$1"; }
e_sent=$(( $(wrk_requests "$tmp/wrk-e-warm.out") + $(wrk_requests "$tmp/wrk-e.out") ))
if fngate_wait comp /_fngate/queue \
    'sum(v["functions"][0][k] for k in ("queued", "inFlight", "retrying")) == 0' 120 > /dev/null; then
  e_total=$(echo_counted "$tmp/count-comp")
  [ "$e_total" -ge "$e_sent" ] && [ "$e_total" -le $((e_sent + 2 * conns)) ] ||
    bench_invalid e "the function ran $e_total events, $e_sent were counted as accepted"
else
  bench_invalid e "the accepted events did not all run (timed out)"
fi
e_dl=$(dead_letters comp)
[ "$e_dl" = 0 ] || bench_invalid e "$e_dl dead letters"
fngate_stop comp
e_delivered=$((e_ran / duration))

# (f) Delivery: fill a queue while the function is held back, then restart without the limit
# and time the drain from the readiness line to an empty queue.
config fill full "$trickle"
fngate_start fill
fill_bad=$(/usr/bin/python3 - "$(fngate_port fill)" "$backlog" "$payload" <<'PY'
import http.client, sys, threading
port, total, body = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
bad = []
def send(n):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(n):
        c.request("POST", "/2015-03-31/functions/Echo/invocations", body, {"X-Amz-Invocation-Type": "Event"})
        r = c.getresponse(); r.read()
        if r.status != 202:
            bad.append(r.status)
ts = [threading.Thread(target=send, args=(total // 8 + (k < total % 8),)) for k in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(len(bad))
PY
)
[ "$fill_bad" = 0 ] || bench_invalid f "$fill_bad of the $backlog events queued were not answered 202"
fngate_stop fill
config drain full "" fill
fngate_start drain
if f_end=$(fngate_wait drain /_fngate/queue \
    'sum(v["functions"][0][k] for k in ("queued", "inFlight", "retrying")) == 0' $((120 + backlog / 500))); then
  f_ran=$(echo_counted "$tmp/count-drain")
  f_dl=$(dead_letters drain)
  [ "$f_dl" = 0 ] || bench_invalid f "$f_dl dead letters"
  # the trickle lets one event through while the queue fills: both phases together must have
  # run every event exactly once
  f_total=$(( f_ran + $(echo_counted "$tmp/count-fill") ))
  [ "$f_total" = "$backlog" ] || bench_invalid f "the function ran $f_total events, $backlog were queued"
  f_rps=$(bench_rate "$f_ran" "$(fngate_ready_ns drain)" "$f_end")
else
  bench_invalid f "the queue did not drain (timed out)"
  f_rps=-
fi
fngate_stop drain

row() { printf '%-58s %10s %9s %9s %8s %s\n' "$@"; }
row target "events/s" "p50 ms" "p99 ms" "non-202" ""
row "(a) Event invoke -> 202, durability full (fsync)" "$a_rps" "$a_p50" "$a_p99" "$a_bad" "$(bench_flag a)"
row "(b) Event invoke -> 202, durability memory" "$b_rps" "$b_p50" "$b_p99" "$b_bad" "$(bench_flag b)"
row "(c) redis LPUSH, appendfsync everysec" "$c_rps" "" "" "" "$(bench_flag c)"
row "(d) redis LPUSH, appendfsync always" "$d_rps" "" "" "" "$(bench_flag d)"
row "(e) (a) with deliveries running" "$e_rps" "$e_p50" "$e_p99" "$e_bad" "$(bench_flag e)"
row "    events the function ran during (e), per second" "$e_delivered" "" "" "" ""
row "(f) delivery of $backlog queued events, C worker" "$f_rps" "" "" "" "$(bench_flag f)"
bench_ratio a/b a "$a_rps" b "$b_rps"
bench_ratio a/c a "$a_rps" c "$c_rps"
bench_ratio a/d a "$a_rps" d "$d_rps"
bench_ratio e/a e "$e_rps" a "$a_rps"
bench_end
