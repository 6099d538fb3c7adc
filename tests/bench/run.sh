#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: HTTP route throughput, side by side in one run, on loopback:
#   (a) fngate route → warm `provided` worker whose bootstrap is a tiny C program
#   (b) fngate route → warm Python HelloLambda
#   (c) nginx serving a small static file (the baseline)
#   (d) nginx as a reverse proxy to a keep-alive upstream (the same file from a second nginx
#       server): a gateway hop like fngate's, for context
# Prints req/s, p50, p99 and the ratios a/c, b/c and a/d. Never a timed assertion: numbers
# only, but a run with non-2xx answers or socket errors (wrk's connect, read, write or
# timeout counts) is reported invalid and no ratio is printed from it (lib.sh).
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
root=$(pwd)
duration="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-32}"
warmup="${BENCH_WARMUP:-2}"
. tests/bench/lib.sh
bench_scratch http
chmod 755 "$tmp"   # nginx workers (www-data) read the static file from here
bench_on_exit() { nginx -c "$tmp/nginx.conf" -s stop 2>/dev/null; }

# ---- nginx, the baseline
nginx_port=$(free_port)
proxy_port=$(free_port)
mkdir -p "$tmp/www"
printf 'hello' > "$tmp/www/hello.txt"
cat > "$tmp/nginx.conf" <<NGX
worker_processes auto;
error_log $tmp/nginx-error.log;
pid $tmp/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$nginx_port; root $tmp/www; }
  upstream origin { server 127.0.0.1:$nginx_port; keepalive 64; }
  server {
    listen 127.0.0.1:$proxy_port;
    location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGX
nginx -c "$tmp/nginx.conf"

# ---- fngate with both functions pre-warmed to the connection count
mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"
cat > "$tmp/fngate.yaml" <<CFG
state_dir: $tmp/state
gateway: {max_connections_per_client: 0}   # wrk is one client: BENCH_CONNECTIONS may pass 256
functions:
$(echo_function $((conns * 2)) "$conns")
    events:
      - http: GET /echo
  HelloLambda:
    runtime: python3
    handler: app.lambda_handler
    code: $root/examples/hello
    concurrency: $((conns * 2))
    min_warm: $conns
    events:
      - http: {method: GET, path: "/hello/{name}"}
CFG
fngate_start fngate
fg_port=$(fngate_port fngate)

# measure RUN URL → "req/s p50_ms p99_ms non2xx" (RUN marked invalid on errors)
measure() {
  wrk -t2 -c"$conns" -d"${warmup}s" "$2" > /dev/null      # warm-up
  wrk -t2 -c"$conns" -d"${duration}s" --latency "$2" > "$tmp/wrk-$1.out"
  bench_wrk "$1" "$tmp/wrk-$1.out"
}

echo "fngate bench: wrk -t2 -c$conns -d${duration}s on 127.0.0.1, $(nproc) cores"
read -r a_rps a_p50 a_p99 a_bad <<< "$(measure a "http://127.0.0.1:$fg_port/echo")"
read -r b_rps b_p50 b_p99 b_bad <<< "$(measure b "http://127.0.0.1:$fg_port/hello/bench")"
read -r c_rps c_p50 c_p99 c_bad <<< "$(measure c "http://127.0.0.1:$nginx_port/hello.txt")"
read -r d_rps d_p50 d_p99 d_bad <<< "$(measure d "http://127.0.0.1:$proxy_port/hello.txt")"
row() { printf '%-44s %10s %9s %9s %8s %s\n' "$@"; }
row target "req/s" "p50 ms" "p99 ms" "non-2xx" ""
row "(a) route -> warm provided C worker" "$a_rps" "$a_p50" "$a_p99" "$a_bad" "$(bench_flag a)"
row "(b) route -> warm Python HelloLambda" "$b_rps" "$b_p50" "$b_p99" "$b_bad" "$(bench_flag b)"
row "(c) nginx static file" "$c_rps" "$c_p50" "$c_p99" "$c_bad" "$(bench_flag c)"
row "(d) nginx reverse proxy -> nginx upstream" "$d_rps" "$d_p50" "$d_p99" "$d_bad" "$(bench_flag d)"
bench_ratio a/c a "$a_rps" c "$c_rps"
bench_ratio b/c b "$b_rps" c "$c_rps"
bench_ratio a/d a "$a_rps" d "$d_rps"
bench_end
