# SPDX-License-Identifier: MIT
# Sourced by the benchmark scripts (bash, run from the source root): a scratch directory
# removed on exit together with the processes listed in pids, fngate started and stopped,
# and the one rule every script reports by: a run with errors, non-2xx answers, timeouts or
# a wrong count is invalid, no ratio is printed from it, and the script exits 1.
#   bench_scratch NAME     sets tmp and pids and installs the exit trap (which also calls
#                          bench_on_exit when the script defines it)
#   free_port              prints a port nothing listens on (127.0.0.1)
#   fngate_start [-o] NAME [ARGS...]
#                          serves $tmp/NAME.yaml with $build/fngate and waits for readiness
#                          (pid in $tmp/NAME.pid and in pids, stderr in $tmp/NAME.err, stdout
#                          in $tmp/NAME.out with -o, else discarded)
#   fngate_port NAME       the port it listens on
#   fngate_admin NAME PATH GETs the admin view PATH (its own listener, with its token)
#   echo_function CONCURRENCY WARM
#                          the YAML of the function Echo (fg-echo-bootstrap in $tmp/echo, a
#                          provided runtime) under functions:, WARM workers started ahead
#   fngate_launch_ns NAME  when it was launched (date +%s%N)
#   fngate_ready_ns NAME   when its readiness line ("listening on") was seen
#   fngate_stop NAME       SIGTERM, then waits for the exit
#   fngate_wait NAME PATH PRED SECONDS
#                          polls the admin view PATH (one process, one connection, every
#                          10 ms) until the Python expression PRED over its JSON (`v`) is
#                          true; prints the time it was (ns); exit 1 after SECONDS
#   bench_wait_count RUN UNTIL N WHAT COMMAND...
#                          until COMMAND prints a number >= N (looked at every 100 ms); at
#                          the epoch second UNTIL, RUN is marked invalid ("timed out: X of N
#                          WHAT")
#   bench_rate N T0 T1     N per second between two date +%s%N times
#   bench_round VALUE      VALUE rounded to an integer, or "-" when there is none
#   echo_counted DIR       the sum of the counts fg-echo-bootstrap workers left in DIR
#                          (ECHO_COUNT_DIR, see echo_bootstrap.c)
#   bench_invalid RUN WHY  marks RUN (a row's letter) invalid, with the reason and counts
#   bench_flag RUN         prints "INVALID" for an invalid run (for its row), else nothing
#   bench_wrk RUN FILE     wrk --latency output → "req/s p50_ms p99_ms non2xx"; any non-2xx
#                          answer or socket error (connect, read, write, timeout) marks RUN
#   bench_ratio NAME RUN VALUE RUN VALUE [DIGITS]
#                          prints "ratio NAME = first/second", or why it is refused
#   bench_target NAME RUN VALUE RUN VALUE OP LIMIT
#                          prints "NAME: 3.40x (target >= 3x) met|missed" (OP is >= or <=), or
#                          why no ratio is printed; a missed target is a figure, not a failure
#   tree_pids PID          PID and all its descendants (ppid links of /proc/*/stat), one a line
#   tree_rss_kb PID        the sum of VmRSS (kB) over PID and all its descendants
#   bench_end              lists the invalid runs with their reasons; exit 1 if any

bench_scratch() {
  tmp=$(mktemp -d "/tmp/fngate-bench-$1.XXXXXX")
  pids=()
  : > "$tmp/bench.invalid"
  trap bench_cleanup EXIT
}

bench_cleanup() {
  local rc=$?
  if declare -F bench_on_exit > /dev/null; then bench_on_exit || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
  exit "$rc"
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

fngate_start() {
  local out=/dev/null name p
  if [ "$1" = -o ]; then out=; shift; fi
  name=$1; shift
  [ -n "$out" ] || out="$tmp/$name.out"
  rm -f "$tmp/$name.ready_ns"
  date +%s%N > "$tmp/$name.launch_ns"
  "$build/fngate" serve -c "$tmp/$name.yaml" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 "$@" > "$out" 2> "$tmp/$name.err" &
  p=$!
  echo "$p" > "$tmp/$name.pid"
  pids+=("$p")
  # Polled every 10 ms: the time seen is at most that late (the delivery run's clock starts here).
  for _ in $(seq 1 6000); do
    if grep -q "listening on" "$tmp/$name.err"; then
      date +%s%N > "$tmp/$name.ready_ns"
      return 0
    fi
    kill -0 "$p" 2>/dev/null || break
    sleep 0.01
  done
  echo "fngate did not start:" >&2; cat "$tmp/$name.err" >&2; exit 1
}

fngate_port() { sed -nE 's/.*listening on https?:\/\/127\.0\.0\.1:([0-9]+).*/\1/p' "$tmp/$1.err"; }
fngate_admin_port() { sed -nE 's/.*admin API on https?:\/\/127\.0\.0\.1:([0-9]+) .*/\1/p' "$tmp/$1.err"; }
fngate_admin_token() { cat "$(sed -nE 's/.*admin API on .* \(token in (.*)\)$/\1/p' "$tmp/$1.err")"; }
fngate_admin() {
  curl -s -H "Authorization: Bearer $(fngate_admin_token "$1")" "$(sed -nE 's/.*admin API on (https?):.*/\1/p' "$tmp/$1.err")://127.0.0.1:$(fngate_admin_port "$1")$2"
}
echo_function() {
  printf '  Echo:\n    runtime: provided\n    code: %s\n    concurrency: %d\n    min_warm: %d\n' "$tmp/echo" "$1" "$2"
}
fngate_launch_ns() { cat "$tmp/$1.launch_ns"; }
fngate_ready_ns() { cat "$tmp/$1.ready_ns"; }

fngate_stop() {
  local p i
  p=$(cat "$tmp/$1.pid")
  kill -TERM "$p"
  for i in $(seq 1 600); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.05; done
  echo "fngate ($1) did not stop within 30 s of SIGTERM" >&2; kill -KILL "$p"; exit 1
}

fngate_wait() {
  /usr/bin/python3 - "$(fngate_admin_port "$1")" "$2" "$3" "$4" "$(fngate_admin_token "$1")" <<'PY'
import http.client, json, sys, time
port, path, pred, limit, token = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
test = compile(pred, "PRED", "eval")
c = http.client.HTTPConnection("127.0.0.1", port)
end = time.monotonic() + limit
while True:
    c.request("GET", path, headers={"Authorization": "Bearer " + token})
    v = json.loads(c.getresponse().read())
    if eval(test, {"v": v}):
        print(time.time_ns())
        break
    if time.monotonic() > end:
        print("timed out after %g s waiting for %s on %s; last: %s" % (limit, pred, path, json.dumps(v)[:400]),
              file=sys.stderr)
        sys.exit(1)
    time.sleep(0.01)
PY
}

bench_wait_count() {
  local run=$1 until=$2 n=$3 what=$4
  shift 4
  until [ "$("$@")" -ge "$n" ]; do
    if [ "$(date +%s)" -ge "$until" ]; then
      bench_invalid "$run" "timed out: $("$@") of $n $what"
      return 0
    fi
    sleep 0.1
  done
}

bench_rate() { /usr/bin/python3 -c "import sys; print('%.0f' % (int(sys.argv[1]) / ((int(sys.argv[3]) - int(sys.argv[2])) / 1e9)))" "$@"; }

bench_round() { if [ -n "${1:-}" ]; then printf '%.0f\n' "$1"; else echo -; fi; }

# bench_redis_start FSYNC: a redis-server in $tmp (appendonly, appendfsync FSYNC) on a free
# port, left in $rport, stopped with the bench
bench_redis_start() {
  rport=$(free_port)
  redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp" --appendonly yes --appendfsync "$1" \
    --save '' --daemonize no > "$tmp/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do redis-cli -p "$rport" ping > /dev/null 2>&1 && break; sleep 0.05; done
}

# bench_event_lua FILE PAYLOAD: a wrk script that POSTs PAYLOAD as an Event invoke
bench_event_lua() {
  cat > "$1" <<LUA
wrk.method = "POST"
wrk.body = '$2'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Amz-Invocation-Type"] = "Event"
LUA
}

echo_counted() { cat "$1"/* 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'; }

bench_invalid() {
  printf '%s\t%s\n' "$1" "$2" >> "$tmp/bench.invalid"
  echo "INVALID ($1): $2" >&2
}

bench_is_valid() { ! cut -f1 "$tmp/bench.invalid" | grep -qxF "$1"; }

bench_flag() { bench_is_valid "$1" || echo INVALID; }

bench_wrk() {
  local out rps p50 p99 bad c r w t
  if ! out=$(/usr/bin/python3 tests/bench/wrk_summary.py "$2" 2>/dev/null); then
    bench_invalid "$1" "wrk's output could not be read: $(tr -s '\n ' '  ' < "$2" | head -c 160)"
    echo "- - - -"
    return 0
  fi
  read -r rps p50 p99 bad c r w t <<< "$out"
  [ "$bad" = 0 ] || bench_invalid "$1" "$bad non-2xx/3xx answers"
  [ "$c$r$w$t" = 0000 ] || bench_invalid "$1" "wrk socket errors: connect $c, read $r, write $w, timeout $t"
  echo "$rps $p50 $p99 $bad"
}

bench_ratio() {
  local name=$1 r1=$2 v1=$3 r2=$4 v2=$5 digits=${6:-2} why=""
  bench_is_valid "$r1" || why="$why run $r1 is invalid;"
  bench_is_valid "$r2" || why="$why run $r2 is invalid;"
  [[ "$v1" =~ ^[0-9]+(\.[0-9]+)?$ ]] || why="$why no figure for $r1;"
  [[ "$v2" =~ ^[0-9]*[1-9][0-9]*(\.[0-9]+)?$|^[0-9]+\.[0-9]*[1-9][0-9]*$ ]] || why="$why no non-zero figure for $r2;"
  if [ -n "$why" ]; then
    echo "ratio $name: refused:${why%;}"
  else
    /usr/bin/python3 -c "import sys; print('ratio %s = %.*f' % (sys.argv[1], int(sys.argv[4]), float(sys.argv[2]) / float(sys.argv[3])))" \
      "$name" "$v1" "$v2" "$digits"
  fi
}

# Alternating a/b rounds: the ratio of each round, then of the means, and what b costs per
# request in microseconds of the machine's time (1/b - 1/a, at saturation), as WHAT.
# Reads the caller's rate[a1..] / rate[b1..] and runs[] (bash 4.3 namerefs).
bench_ab_summary() {
  local rounds=$1 what=$2 a_sum=0 b_sum=0 why="" r run
  local -n _rate=rate _runs=runs
  for r in $(seq 1 "$rounds"); do
    bench_ratio "b$r/a$r" "b$r" "${_rate[b$r]}" "a$r" "${_rate[a$r]}"
    a_sum=$((a_sum + ${_rate[a$r]/-/0}))
    b_sum=$((b_sum + ${_rate[b$r]/-/0}))
  done
  for run in "${_runs[@]}"; do bench_is_valid "$run" || why="$why run $run is invalid;"; done
  if [ -n "$why" ]; then
    echo "ratio b/a over $rounds rounds: refused:${why%;}"
    return 0
  fi
  /usr/bin/python3 -c "
import sys
r, a, b = int(sys.argv[1]), int(sys.argv[2]) / int(sys.argv[1]), int(sys.argv[3]) / int(sys.argv[1])
print('mean a: %.0f req/s, mean b: %.0f req/s' % (a, b))
print('ratio b/a over %d rounds = %.2f' % (r, b / a))
print('%s cost %.1f us of machine time per request (1/b - 1/a)' % (sys.argv[4], 1e6 / b - 1e6 / a))" \
    "$rounds" "$a_sum" "$b_sum" "$what"
}

bench_target() {
  local name=$1 r1=$2 v1=$3 r2=$4 v2=$5 op=$6 limit=$7 out
  out=$(bench_ratio x "$r1" "$v1" "$r2" "$v2")
  case "$out" in
    "ratio x = "*) ;;
    *) echo "$name: no ratio (${out#ratio x: }) (target $op ${limit}x)"; return 0 ;;
  esac
  /usr/bin/python3 -c "
import sys
r, op, lim = float(sys.argv[2]) / float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
ok = r >= lim if op == '>=' else r <= lim
print('%s: %.2fx (target %s %sx) %s' % (sys.argv[1], r, op, sys.argv[5], 'met' if ok else 'missed'))" \
    "$name" "$v1" "$v2" "$op" "$limit"
}

tree_pids() {
  /usr/bin/python3 - "$1" <<'PY'
import os, sys
kids = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            s = open("/proc/%s/stat" % d).read()
        except OSError:
            continue
        kids.setdefault(int(s[s.rfind(")") + 2:].split()[1]), []).append(int(d))
todo = [int(sys.argv[1])]
while todo:
    p = todo.pop()
    print(p)
    todo += kids.get(p, [])
PY
}

tree_rss_kb() {
  local p kb total=0
  for p in $(tree_pids "$1"); do
    kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

bench_end() {
  [ -s "$tmp/bench.invalid" ] || return 0
  echo "INVALID runs (no ratio printed from them):"
  sed 's/^/  (/; s/\t/) /' "$tmp/bench.invalid"
  exit 1
}
