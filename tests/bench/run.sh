#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: HTTP route throughput, side by side in one run, on loopback:
#   (a) fngate route → warm `provided` worker whose bootstrap is a tiny C program
#   (b) fngate route → warm Python HelloLambda
#   (c) nginx serving a small static file (the baseline)
#   (d) nginx as a reverse proxy to a keep-alive upstream (the same file from a second nginx
#       server): a gateway hop like fngate's, for context
# Prints req/s, p50, p99 and the ratios a/c, b/c and a/d. Never an assertion: numbers only.
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
root=$(pwd)
duration="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-32}"
tmp=$(mktemp -d /tmp/fngate-bench.XXXXXX)
chmod 755 "$tmp"   # nginx workers (www-data) read the static file from here
trap 'kill $(cat "$tmp/fngate.pid" 2>/dev/null) 2>/dev/null || true; nginx -c "$tmp/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$tmp"' EXIT

. tests/bench/lib.sh

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
functions:
  Echo:
    runtime: provided
    code: $tmp/echo
    concurrency: $((conns * 2))
    min_warm: $conns
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
"$build/fngate" serve -c "$tmp/fngate.yaml" --listen 127.0.0.1:0 > /dev/null 2> "$tmp/fngate.err" &
echo $! > "$tmp/fngate.pid"
for _ in $(seq 1 300); do
  grep -q "listening on" "$tmp/fngate.err" && break
  sleep 0.1
done
fg_port=$(sed -nE 's/.*listening on http:\/\/127\.0\.0\.1:([0-9]+).*/\1/p' "$tmp/fngate.err")
[ -n "$fg_port" ] || { echo "fngate did not start:"; cat "$tmp/fngate.err"; exit 1; }

# wrk --latency output → "req/s p50_ms p99_ms non2xx"
measure() {
  wrk -t2 -c"$conns" -d2s "$1" > /dev/null      # warm-up
  wrk -t2 -c"$conns" -d"${duration}s" --latency "$1" > "$tmp/wrk.out"
  /usr/bin/python3 tests/bench/wrk_summary.py "$tmp/wrk.out"
}

echo "fngate bench: wrk -t2 -c$conns -d${duration}s on 127.0.0.1, $(nproc) cores"
read -r a_rps a_p50 a_p99 a_bad <<< "$(measure "http://127.0.0.1:$fg_port/echo")"
read -r b_rps b_p50 b_p99 b_bad <<< "$(measure "http://127.0.0.1:$fg_port/hello/bench")"
read -r c_rps c_p50 c_p99 c_bad <<< "$(measure "http://127.0.0.1:$nginx_port/hello.txt")"
read -r d_rps d_p50 d_p99 d_bad <<< "$(measure "http://127.0.0.1:$proxy_port/hello.txt")"
printf '%-44s %10s %9s %9s %8s\n' target "req/s" "p50 ms" "p99 ms" "non-2xx"
printf '%-44s %10s %9s %9s %8s\n' "(a) route -> warm provided C worker" "$a_rps" "$a_p50" "$a_p99" "$a_bad"
printf '%-44s %10s %9s %9s %8s\n' "(b) route -> warm Python HelloLambda" "$b_rps" "$b_p50" "$b_p99" "$b_bad"
printf '%-44s %10s %9s %9s %8s\n' "(c) nginx static file" "$c_rps" "$c_p50" "$c_p99" "$c_bad"
printf '%-44s %10s %9s %9s %8s\n' "(d) nginx reverse proxy -> nginx upstream" "$d_rps" "$d_p50" "$d_p99" "$d_bad"
/usr/bin/python3 -c "import sys; a,b,c,d=map(float,sys.argv[1:]); print('ratio a/c = %.2f   ratio b/c = %.2f   ratio a/d = %.2f' % (a/c, b/c, a/d))" "$a_rps" "$b_rps" "$c_rps" "$d_rps"
