# SPDX-License-Identifier: MIT
# Sourced by the benchmark scripts: a scratch directory removed on exit together with the
# processes listed in pids, and a free loopback port.
#   bench_scratch NAME   sets tmp and pids and installs the exit trap
#   free_port            prints a port nothing listens on (127.0.0.1)
#   fngate_start NAME    serves $tmp/NAME.yaml with $build/fngate and waits for readiness
#                        (pid in $tmp/NAME.pid and in pids, stderr in $tmp/NAME.err)
#   fngate_port NAME     the port it listens on
#   fngate_stop NAME     SIGTERM, then waits for the exit

bench_scratch() {
  tmp=$(mktemp -d "/tmp/fngate-bench-$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

fngate_start() {
  "$build/fngate" serve -c "$tmp/$1.yaml" --listen 127.0.0.1:0 > /dev/null 2> "$tmp/$1.err" &
  echo $! > "$tmp/$1.pid"
  pids+=($!)
  for _ in $(seq 1 300); do
    grep -q "listening on" "$tmp/$1.err" && return 0
    sleep 0.05
  done
  echo "fngate did not start:" >&2; cat "$tmp/$1.err" >&2; exit 1
}

fngate_port() { sed -nE 's/.*listening on http:\/\/127\.0\.0\.1:([0-9]+).*/\1/p' "$tmp/$1.err"; }

fngate_stop() { kill -TERM "$(cat "$tmp/$1.pid")"; while kill -0 "$(cat "$tmp/$1.pid")" 2>/dev/null; do sleep 0.05; done; }
