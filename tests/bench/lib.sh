# SPDX-License-Identifier: MIT
# Sourced by the benchmark scripts: a scratch directory removed on exit together with the
# processes listed in pids, and a free loopback port.
#   bench_scratch NAME   sets tmp and pids and installs the exit trap
#   free_port            prints a port nothing listens on (127.0.0.1)

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
