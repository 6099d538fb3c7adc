#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: Redis stream queues and Kafka streams end to end, each beside the raw
# ceiling of the same broker, in one run, on loopback.
#   (a) redis-benchmark XADD (pipelined 16 deep): how fast this redis-server takes messages
#   (b) produce -> function -> XACK: redis-benchmark XADDs while fngate consumes with batch
#       100 and a warm C `provided` worker; the clock stops when every message is acked
#   (c) kcat consuming the same number of records from librdkafka's mock cluster
#   (d) fngate consuming them (batch 100, C worker) from the same cluster, timed from its
#       partition assignment until its committed offsets (the `committed` field of
#       /_fngate/streams) reach the end of every partition
# Prints rates and the ratios b/a and d/c. Never a timed assertion, but a run that failed,
# timed out, or whose function did not run exactly once per message (counted by the echo
# workers themselves, ECHO_COUNT_DIR) is reported invalid and no ratio is printed from it.
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
n="${BENCH_MESSAGES:-500000}"
kn="${BENCH_RECORDS:-800000}"   # the mock keeps about 290,000 records a partition
. tests/bench/lib.sh
bench_scratch queue

now_ns() { date +%s%N; }

mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"
body='{"order":12345,"item":"x"}'

# config NAME EVENT COUNT: the echo function (4 warm C workers) with one event source; the
# workers count the occurrences of COUNT (one per record) in their events in $tmp/count-NAME
config() {
  mkdir -p "$tmp/count-$1"
  cat > "$tmp/$1.yaml" <<CFG
state_dir: $tmp/state-$1
functions:
$(echo_function 4 4)
    environment:
      ECHO_COUNT_DIR: $tmp/count-$1
      ECHO_COUNT: '$3'
    events:
      - $2
CFG
}

echo "fngate queue/stream bench: $n Redis messages, $kn Kafka records, $(nproc) cores, loopback"

# ---- Redis
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp" --save '' --appendonly no --daemonize no \
  > "$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do redis-cli -p "$rport" ping > /dev/null 2>&1 && break; sleep 0.05; done

# xadd RUN STREAM: n XADDs from redis-benchmark; RUN is marked invalid when it fails or the
# stream did not get n entries (prints the rate redis-benchmark measured)
xadd() {
  local out
  out=$(redis-benchmark -p "$rport" -c 16 -P 16 -n "$n" -q XADD "$2" '*' body "$body" 2>&1) ||
    bench_invalid "$1" "redis-benchmark failed: $(echo "$out" | tr '\r\n' '  ' | tail -c 300)"
  [ "$(redis-cli -p "$rport" xlen "$2")" = "$n" ] ||
    bench_invalid "$1" "stream $2 has $(redis-cli -p "$rport" xlen "$2") entries, $n were sent"
  echo "$out" | tr '\r' '\n' | sed -nE 's/.*XADD.*: ([0-9.]+) requests per second.*/\1/p' | tail -1
}
a_rps=$(bench_round "$(xadd a raw)")
redis-cli -p "$rport" del raw > /dev/null

config q "queue: {redis: \"redis://127.0.0.1:$rport/0\", stream: bench, batch_size: 100, maximum_concurrency: 4}" \
  '"messageId"'
fngate_start q
for _ in $(seq 1 100); do
  redis-cli -p "$rport" xinfo groups bench 2>/dev/null | grep -q fngate && break; sleep 0.05
done
# Waits, in one process polling over one connection (a redis-cli and a Python per look would
# take a core of their own on two), until the group has read and acknowledged n messages;
# exit 1 after SECONDS.
wait_acked() {
  /usr/bin/python3 - "$rport" "$n" "$1" <<'PY'
import socket, sys, time
port, n, limit = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
end = time.monotonic() + limit
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
def read():
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t == b"*":
        return [read() for _ in range(int(rest))]
    if t == b"$":
        return f.read(int(rest) + 2)[:-2].decode()
    return int(rest) if t == b":" else rest.decode()
while True:
    s.sendall(b"*3\r\n$5\r\nXINFO\r\n$6\r\nGROUPS\r\n$5\r\nbench\r\n")
    g = read()[0]
    d = dict(zip(g[::2], g[1::2]))
    if d["entries-read"] is not None and int(d["entries-read"]) >= n and int(d["pending"]) == 0:
        break
    if time.monotonic() > end:
        print("timed out after %g s: %s" % (limit, d), file=sys.stderr)
        sys.exit(1)
    time.sleep(0.01)
PY
}
t0=$(now_ns)
xadd b bench > /dev/null
if wait_acked $((60 + n / 2000)); then
  t1=$(now_ns)
  b_rps=$(bench_rate "$n" "$t0" "$t1")
else
  bench_invalid b "the group did not acknowledge $n messages (timed out)"
  b_rps=-
fi
b_ran=$(echo_counted "$tmp/count-q")
[ "$b_ran" = "$n" ] || bench_invalid b "the function ran $b_ran messages, $n were sent"
fngate_stop q

# ---- Kafka (librdkafka's mock cluster)
coproc MOCK { exec "$build/fg-kafka-mock" 1; }
pids+=("$MOCK_PID")
read -r _ bootstrap <&"${MOCK[0]}"
echo "topic clicks 4" >&"${MOCK[1]}"; read -r _ <&"${MOCK[0]}"
echo "bulk clicks $kn v" >&"${MOCK[1]}"; read -r _ <&"${MOCK[0]}"

t0=$(now_ns)
got=$(kcat -C -b "$bootstrap" -t clicks -o beginning -e -q -f '%o\n' 2> "$tmp/kcat.err" | wc -l)
t1=$(now_ns)
[ "$got" -eq "$kn" ] || bench_invalid c "kcat read $got of $kn records"
c_rps=$(bench_rate "$kn" "$t0" "$t1")

config k "stream: {kafka: {brokers: \"$bootstrap\"}, topic: clicks, batch_size: 100, maximum_batching_window: 0s}" \
  '"offset":'
fngate_start k
port=$(fngate_port k)
# The clock starts at the assignment: joining the group (about 3 s with the mock) is not
# consuming, and kcat's -C (no group) does not pay it either.
for _ in $(seq 1 6000); do grep -q "assigned" "$tmp/k.err" && break; sleep 0.01; done
grep -q "assigned" "$tmp/k.err" || { echo "fngate was not assigned a partition within 60 s" >&2; exit 1; }
t0=$(now_ns)
# The clock stops when the offsets fngate committed to the broker (Kafka's meaning: the next
# offset to read) add up to every record produced: the commit the label names, not the
# "processed" that comes before it.
d_rps=-
if ! fngate_wait k /_fngate/streams "v[0]['processed'] >= $kn" $((60 + kn / 2000)) > /dev/null; then
  bench_invalid d "fngate did not process $kn records (timed out)"
elif ! fngate_wait k /_fngate/streams "'committed' in v[0]" 0 > /dev/null 2>&1; then
  bench_invalid d "committed offsets not available (/_fngate/streams has no \"committed\" field)"
elif t1=$(fngate_wait k /_fngate/streams "sum(max(0, o) for o in v[0]['committed'].values()) == $kn" 60); then
  d_rps=$(bench_rate "$kn" "$t0" "$t1")
else
  bench_invalid d "the committed offsets did not reach the $kn records produced (timed out)"
fi
d_ran=$(echo_counted "$tmp/count-k")
[ "$d_ran" = "$kn" ] || bench_invalid d "the function ran $d_ran records, $kn were produced"
fngate_stop k

row() { printf '%-62s %12s %s\n' "$@"; }
row target "messages/s" ""
row "(a) redis-benchmark XADD, pipelined (raw ceiling)" "$a_rps" "$(bench_flag a)"
row "(b) fngate queue: XADD -> C function -> XACK, batch 100" "$b_rps" "$(bench_flag b)"
row "(c) kcat consume, mock cluster (raw ceiling)" "$c_rps" "$(bench_flag c)"
row "(d) fngate stream: consume -> C function -> commit, batch 100" "$d_rps" "$(bench_flag d)"
bench_ratio b/a b "$b_rps" a "$a_rps"
bench_ratio d/c d "$d_rps" c "$c_rps"
bench_end
