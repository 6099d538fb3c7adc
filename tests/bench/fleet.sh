#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: fleet mode (issue 19), side by side in one run, on loopback. One
# redis-server with appendonly yes + appendfsync always (every 202 as durable as SQLite's
# fsynced commit) serves every Redis run.
#   Accepting (the function held back to a trickle, so the runs measure accepting alone):
#   (a) one node, state on SQLite (durability full): wrk -c$conns
#   (b) one node, state on Redis: the same load
#   (c) three nodes on Redis: the same total load, a third of the connections on each
#   (d) redis-benchmark XADD on the same server, -c$conns: Redis's own ceiling
#   Delivery (BENCH_BACKLOG events queued while held back, then drained by warm C `provided`
#   workers, timed from the nodes' readiness to the last event run):
#   (e) one node on SQLite   (f) one node on Redis   (g) three nodes on Redis
# Prints events/s and the ratios c/a (target >= 1.5), b/a, c/d and g/f, g/e. Never a timed
# assertion; a run with non-2xx answers, socket errors, failed commands or a wrong count of
# function runs is reported invalid and no ratio is printed from it (lib.sh).
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
duration="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-48}"
backlog="${BENCH_BACKLOG:-30000}"
. tests/bench/lib.sh
bench_scratch fleet

mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"
payload='{"order":12345,"item":"x"}'

bench_redis_start always

# config NAME STATE(sqlite|redis) RATE_LINE [STATE_DIR]: the echo function; each worker counts
# the events it ran in $tmp/count-NAME (ECHO_COUNT_DIR, see echo_bootstrap.c)
config() {
  local state="durability: full"
  [ "$2" = redis ] && state="state: {backend: redis, redis: \"redis://127.0.0.1:$rport/0\", prefix: b$RANDOM}"
  [ "$2" = redis ] && [ -n "${prefix:-}" ] && state="state: {backend: redis, redis: \"redis://127.0.0.1:$rport/0\", prefix: $prefix}"
  mkdir -p "$tmp/count-$1"
  cat > "$tmp/$1.yaml" <<CFG
state_dir: $tmp/state-${4:-$1}
gateway: {max_connections_per_client: 0}   # wrk is one client
isolation: {enabled: false}                # workers write their counts into the scratch dir
$state
functions:
  Echo:
    runtime: provided
    code: $tmp/echo
    min_warm: 2
    environment:
      ECHO_COUNT_DIR: $tmp/count-$1
$3
CFG
}

bench_event_lua "$tmp/event.lua" "$payload"
url() { echo "http://127.0.0.1:$(fngate_port "$1")/2015-03-31/functions/Echo/invocations"; }

# accept_rate RUN NODE... → "events/s non2xx": the connections split evenly over the nodes,
# one wrk per node at once; the rates add up
accept_rate() {
  local run=$1 n k=0 per; shift
  n=$#
  per=$(( conns / n ))
  for node in "$@"; do wrk -t1 -c"$per" -d1s -s "$tmp/event.lua" "$(url "$node")" > /dev/null & done
  wait_jobs
  for node in "$@"; do
    k=$((k + 1))
    wrk -t1 -c"$per" -d"${duration}s" --latency -s "$tmp/event.lua" "$(url "$node")" > "$tmp/wrk-$run-$k.out" &
  done
  wait_jobs
  /usr/bin/python3 - "$tmp" "$run" "$n" <<'PY'
import re, sys
tmp, run, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rps = bad = 0
for k in range(1, n + 1):
    t = open("%s/wrk-%s-%d.out" % (tmp, run, k)).read()
    rps += float(re.search(r"Requests/sec:\s+([0-9.]+)", t).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    bad += int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    bad += sum(int(x) for x in m.groups()) if m else 0
print("%.0f %d" % (rps, bad))
PY
}
wait_jobs() { for j in $(jobs -p); do case " ${pids[*]} " in *" $j "*) ;; *) wait "$j" ;; esac; done; }

trickle='    rate: {per_second: 0.001, burst: 1}'
echo "fngate fleet bench: $conns connections for ${duration}s on 127.0.0.1, $(nproc) cores, redis appendfsync always"

# ---- accepting
config a sqlite "$trickle"
fngate_start a
read -r a_rps a_bad <<< "$(accept_rate a a)"
fngate_stop a
[ "$a_bad" = 0 ] || bench_invalid a "$a_bad non-202 answers or socket errors"

prefix=accept1 config b redis "$trickle"
fngate_start b
read -r b_rps b_bad <<< "$(accept_rate b b)"
fngate_stop b
[ "$b_bad" = 0 ] || bench_invalid b "$b_bad non-202 answers or socket errors"

for k in 1 2 3; do prefix=accept3 config "c$k" redis "$trickle"; fngate_start "c$k"; done
read -r c_rps c_bad <<< "$(accept_rate c c1 c2 c3)"
for k in 1 2 3; do fngate_stop "c$k"; done
[ "$c_bad" = 0 ] || bench_invalid c "$c_bad non-202 answers or socket errors"

redis-cli -p "$rport" config resetstat > /dev/null
n_xadd=$((duration * 20000))
if ! out=$(redis-benchmark -p "$rport" -c "$conns" -n "$n_xadd" -q xadd benchstream '*' p "$payload" 2>&1); then
  bench_invalid d "redis-benchmark failed: $(echo "$out" | tr '\r\n' '  ' | tail -c 300)"
fi
d_rps=$(bench_round "$(echo "$out" | tr '\r' '\n' | sed -nE 's/.*: ([0-9.]+) requests per second.*/\1/p' | tail -1)")
stats=$(redis-cli -p "$rport" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_xadd://p')
[[ "$stats" == calls=$n_xadd,*failed_calls=0 ]] || bench_invalid d "redis counted XADD ${stats:-none} for $n_xadd sent"

# ---- delivery: fill while held back, then drain with the limit gone
# fill NAME: $backlog events into the running gateway(s) NAME (a space-separated list)
fill() {
  /usr/bin/python3 - "$backlog" "$payload" $(for n in $1; do fngate_port "$n"; done) <<'PY'
import http.client, sys, threading
total, body, ports = int(sys.argv[1]), sys.argv[2], [int(p) for p in sys.argv[3:]]
bad = []
def send(n, port):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(n):
        c.request("POST", "/2015-03-31/functions/Echo/invocations", body, {"X-Amz-Invocation-Type": "Event"})
        r = c.getresponse(); r.read()
        if r.status != 202:
            bad.append(r.status)
ts = [threading.Thread(target=send, args=(total // 8 + (k < total % 8), ports[k % len(ports)])) for k in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(len(bad))
PY
}
# drain RUN STATE NODES: fills with one held-back node, then starts NODES nodes without the
# limit and times them from the last one's readiness to the last event counted
drain() {
  local run=$1 state=$2 nodes=$3 bad names="" end
  prefix="drain$run" config "${run}fill" "$state" "$trickle"
  fngate_start "${run}fill"
  bad=$(fill "${run}fill")
  fngate_stop "${run}fill"
  [ "$bad" = 0 ] || bench_invalid "$run" "$bad of the $backlog events queued were not answered 202"
  for k in $(seq 1 "$nodes"); do
    prefix="drain$run" config "$run$k" "$state" "" "${run}fill"
    # every node of a run counts into one directory, so the sum is the fleet's
    sed -i "s|ECHO_COUNT_DIR: .*|ECHO_COUNT_DIR: $tmp/count-$run|" "$tmp/$run$k.yaml"
    [ "$state" = sqlite ] || sed -i "s|^state_dir: .*|state_dir: $tmp/state-$run$k|" "$tmp/$run$k.yaml"
  done
  mkdir -p "$tmp/count-$run"
  for k in $(seq 1 "$nodes"); do fngate_start "$run$k"; names="$names $run$k"; done
  local want=$(( backlog - $(echo_counted "$tmp/count-${run}fill") )) until=$(( $(date +%s) + 60 + backlog / 500 ))
  until [ "$(echo_counted "$tmp/count-$run")" -ge "$want" ] || [ "$(date +%s)" -ge "$until" ]; do sleep 0.01; done
  end=$(date +%s%N)
  if [ "$(echo_counted "$tmp/count-$run")" -ge "$want" ]; then
    bench_rate "$want" "$(fngate_ready_ns "$run$nodes")" "$end"
  else
    bench_invalid "$run" "the fleet ran $(echo_counted "$tmp/count-$run") of $want events (timed out)"
    echo -
  fi
  sleep 1   # a second for duplicates to show, if any
  [ "$(echo_counted "$tmp/count-$run")" = "$want" ] ||
    bench_invalid "$run" "the fleet ran $(echo_counted "$tmp/count-$run") events, $want were queued"
  for n in $names; do fngate_stop "$n"; done
}
e_rps=$(drain e sqlite 1)
f_rps=$(drain f redis 1)
g_rps=$(drain g redis 3)

row() { printf '%-62s %10s %8s %s\n' "$@"; }
row target "events/s" "non-202" ""
row "(a) accept, 1 node, SQLite (fsync per group commit)" "$a_rps" "$a_bad" "$(bench_flag a)"
row "(b) accept, 1 node, Redis (appendfsync always)" "$b_rps" "$b_bad" "$(bench_flag b)"
row "(c) accept, 3 nodes, Redis, the same total load" "$c_rps" "$c_bad" "$(bench_flag c)"
row "(d) redis-benchmark XADD, -c$conns (Redis's ceiling)" "$d_rps" "" "$(bench_flag d)"
row "(e) delivery of $backlog queued events, 1 node, SQLite" "$e_rps" "" "$(bench_flag e)"
row "(f) delivery, 1 node, Redis" "$f_rps" "" "$(bench_flag f)"
row "(g) delivery, 3 nodes, Redis" "$g_rps" "" "$(bench_flag g)"
bench_ratio c/a c "$c_rps" a "$a_rps"
bench_target "3 Redis nodes accept, against 1 SQLite node" c "$c_rps" a "$a_rps" ">=" 1.5
bench_ratio b/a b "$b_rps" a "$a_rps"
bench_ratio c/d c "$c_rps" d "$d_rps"
bench_ratio f/e f "$f_rps" e "$e_rps"
bench_ratio g/f g "$g_rps" f "$f_rps"
bench_end
