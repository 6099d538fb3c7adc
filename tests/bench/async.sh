#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench` (second half): async accept and delivery, side by side in one run, on loopback.
#   (a) Invoke API Event → 202 with durability full (group-committed SQLite, fsync)
#   (b) the same gateway with durability memory (no disk): what durability costs
#   (c) redis-server with appendonly yes + appendfsync everysec taking LPUSHes from
#       redis-benchmark (the queue people would otherwise put in front of a worker)
#   (d) delivery: events queued before start, drained by a warm C `provided` worker
# Accept runs use a function rate-limited to a trickle, so they measure accepting alone (as
# LPUSH does); delivery is measured separately. Prints rates and the ratios a/b and a/c.
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

# config NAME DURABILITY RATE_LINE
config() {
  cat > "$tmp/$1.yaml" <<CFG
state_dir: $tmp/state-$1
durability: $2
functions:
  Echo:
    runtime: provided
    code: $tmp/echo
    concurrency: $conns
    min_warm: 4
$3
CFG
}

cat > "$tmp/event.lua" <<LUA
wrk.method = "POST"
wrk.body = '$payload'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Amz-Invocation-Type"] = "Event"
LUA

# wrk → "req/s p50_ms p99_ms non2xx"
accept_rate() {
  local url="http://127.0.0.1:$1/2015-03-31/functions/Echo/invocations"
  wrk -t2 -c"$conns" -d1s -s "$tmp/event.lua" "$url" > /dev/null
  wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$tmp/event.lua" "$url" > "$tmp/wrk.out"
  /usr/bin/python3 tests/bench/wrk_summary.py "$tmp/wrk.out"
}

trickle='    rate: {per_second: 0.001, burst: 1}'
config full full "$trickle"
config mem memory "$trickle"
echo "fngate async bench: wrk -t2 -c$conns -d${duration}s on 127.0.0.1, $(nproc) cores, payload ${#payload} bytes"

fngate_start full; port=$(fngate_port full)
read -r a_rps a_p50 a_p99 a_bad <<< "$(accept_rate "$port")"
fngate_stop full

fngate_start mem; port=$(fngate_port mem)
read -r b_rps b_p50 b_p99 b_bad <<< "$(accept_rate "$port")"
fngate_stop mem

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp" --appendonly yes --appendfsync everysec \
  --save '' --daemonize no > "$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do redis-cli -p "$rport" ping > /dev/null 2>&1 && break; sleep 0.05; done
n=$((duration * 60000))
c_rps=$(redis-benchmark -p "$rport" -c "$conns" -n "$n" -d ${#payload} -t lpush -q 2>/dev/null |
        sed -nE 's/.*LPUSH: ([0-9.]+) requests per second.*/\1/p' | tail -1)

# Delivery: fill a queue while the function is held back, then restart without the limit and
# time the drain from the readiness line to an empty queue.
config drain full "$trickle"
fngate_start drain; port=$(fngate_port drain)
/usr/bin/python3 - "$port" "$backlog" "$payload" <<'PY'
import http.client, sys, threading
port, total, body = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def send(k, n):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(n):
        c.request("POST", "/2015-03-31/functions/Echo/invocations", body, {"X-Amz-Invocation-Type": "Event"})
        r = c.getresponse(); r.read()
        assert r.status == 202, r.status
ts = [threading.Thread(target=send, args=(k, total // 8)) for k in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
PY
fngate_stop drain
config drain full ""
start_ns=$(date +%s%N)
fngate_start drain; port=$(fngate_port drain)
drained() {
  curl -s "http://127.0.0.1:$port/_fngate/queue" | /usr/bin/python3 -c '
import json, sys
f = json.load(sys.stdin)["functions"][0]
sys.exit(0 if f["queued"] + f["inFlight"] + f["retrying"] == 0 else 1)'
}
until drained; do sleep 0.02; done
end_ns=$(date +%s%N)
fngate_stop drain
d_rps=$(/usr/bin/python3 -c "import sys; print('%.0f' % ($backlog / ((int(sys.argv[2]) - int(sys.argv[1])) / 1e9)))" "$start_ns" "$end_ns")

printf '%-52s %10s %9s %9s %8s\n' target "events/s" "p50 ms" "p99 ms" "non-202"
printf '%-52s %10s %9s %9s %8s\n' "(a) Event invoke -> 202, durability full (fsync)" "$a_rps" "$a_p50" "$a_p99" "$a_bad"
printf '%-52s %10s %9s %9s %8s\n' "(b) Event invoke -> 202, durability memory" "$b_rps" "$b_p50" "$b_p99" "$b_bad"
printf '%-52s %10s\n' "(c) redis LPUSH, appendfsync everysec" "$c_rps"
printf '%-52s %10s\n' "(d) delivery of $backlog queued events, C worker" "$d_rps"
/usr/bin/python3 -c "import sys; a,b,c=map(float,sys.argv[1:]); print('ratio a/b = %.2f   ratio a/c = %.2f' % (a/b, a/c))" "$a_rps" "$b_rps" "$c_rps"
