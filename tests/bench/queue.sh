#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: Redis stream queues and Kafka streams end to end, each beside the raw
# ceiling of the same broker, in one run, on loopback.
#   (a) redis-benchmark XADD (pipelined 16 deep): how fast this redis-server takes messages
#   (b) produce -> function -> XACK: redis-benchmark XADDs while fngate consumes with batch
#       100 and a warm C `provided` worker; the clock stops when every message is acked
#   (c) kcat consuming the same number of records from librdkafka's mock cluster
#   (d) fngate consuming them (batch 100, C worker, offsets committed) from the same cluster,
#       timed from its partition assignment
# Prints rates and the ratios b/a and d/c.
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
n="${BENCH_MESSAGES:-500000}"
kn="${BENCH_RECORDS:-800000}"   # the mock keeps about 290,000 records a partition
. tests/bench/lib.sh
bench_scratch queue

now_ns() { date +%s%N; }
rate() { /usr/bin/python3 -c "import sys; print('%.0f' % (int(sys.argv[1]) / ((int(sys.argv[3]) - int(sys.argv[2])) / 1e9)))" "$@"; }

mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"
body='{"order":12345,"item":"x"}'

# config NAME EVENT: the echo function (4 warm C workers) with one event source
config() {
  cat > "$tmp/$1.yaml" <<CFG
state_dir: $tmp/state-$1
functions:
  Echo:
    runtime: provided
    code: $tmp/echo
    concurrency: 4
    min_warm: 4
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

a_rps=$(redis-benchmark -p "$rport" -c 16 -P 16 -n "$n" -q XADD raw '*' body "$body" 2>/dev/null |
        tr '\r' '\n' | sed -nE 's/.*XADD.*: ([0-9.]+) requests per second.*/\1/p' | tail -1)
redis-cli -p "$rport" del raw > /dev/null

config q "queue: {redis: \"redis://127.0.0.1:$rport/0\", stream: bench, batch_size: 100, maximum_concurrency: 4}"
fngate_start q
for _ in $(seq 1 100); do
  redis-cli -p "$rport" xinfo groups bench 2>/dev/null | grep -q fngate && break; sleep 0.05
done
# Waits, in one process polling over one connection (a redis-cli and a Python per look would
# take a core of their own on two), until the group has read and acknowledged n messages.
wait_acked() {
  /usr/bin/python3 - "$rport" "$n" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
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
    time.sleep(0.01)
PY
}
t0=$(now_ns)
redis-benchmark -p "$rport" -c 16 -P 16 -n "$n" -q XADD bench '*' body "$body" > /dev/null 2>&1
wait_acked
t1=$(now_ns)
fngate_stop q
b_rps=$(rate "$n" "$t0" "$t1")

# ---- Kafka (librdkafka's mock cluster)
coproc MOCK { exec "$build/fg-kafka-mock" 1; }
pids+=("$MOCK_PID")
read -r _ bootstrap <&"${MOCK[0]}"
echo "topic clicks 4" >&"${MOCK[1]}"; read -r _ <&"${MOCK[0]}"
echo "bulk clicks $kn v" >&"${MOCK[1]}"; read -r _ <&"${MOCK[0]}"

t0=$(now_ns)
got=$(kcat -C -b "$bootstrap" -t clicks -o beginning -e -q -f '%o\n' 2> "$tmp/kcat.err" | wc -l)
t1=$(now_ns)
[ "$got" -eq "$kn" ] || { echo "kcat read $got of $kn records" >&2; exit 1; }
c_rps=$(rate "$kn" "$t0" "$t1")

config k "stream: {kafka: {brokers: \"$bootstrap\"}, topic: clicks, batch_size: 100, maximum_batching_window: 0s}"
fngate_start k
port=$(fngate_port k)
# The clock starts at the assignment: joining the group (about 3 s with the mock) is not
# consuming, and kcat's -C (no group) does not pay it either.
until grep -q "assigned" "$tmp/k.err"; do sleep 0.01; done
t0=$(now_ns)
/usr/bin/python3 - "$port" "$kn" <<'PY'
import http.client, json, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
while True:
    c.request("GET", "/_fngate/streams")
    if json.loads(c.getresponse().read())[0]["processed"] >= int(sys.argv[2]):
        break
    time.sleep(0.01)
PY
t1=$(now_ns)
fngate_stop k
d_rps=$(rate "$kn" "$t0" "$t1")

printf '%-62s %12s\n' target "messages/s"
printf '%-62s %12s\n' "(a) redis-benchmark XADD, pipelined (raw ceiling)" "$a_rps"
printf '%-62s %12s\n' "(b) fngate queue: XADD -> C function -> XACK, batch 100" "$b_rps"
printf '%-62s %12s\n' "(c) kcat consume, mock cluster (raw ceiling)" "$c_rps"
printf '%-62s %12s\n' "(d) fngate stream: consume -> C function -> commit, batch 100" "$d_rps"
/usr/bin/python3 -c "import sys; a,b,c,d=map(float,sys.argv[1:]); print('ratio b/a = %.2f   ratio d/c = %.2f' % (b/a, d/c))" \
  "$a_rps" "$b_rps" "$c_rps" "$d_rps"
