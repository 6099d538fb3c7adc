#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: what TLS costs on the front door, side by side in one run, on loopback, each
# target answering the same 5-byte body ("hello") over kept-alive connections:
#   (a) fngate route → warm `provided` C worker, plain HTTP
#   (b) the same route on an fngate whose front door has gateway.tls (HTTPS)
#   (c) nginx serving a static file over HTTPS with the same certificate (the baseline)
#   (d) the same nginx over plain HTTP, for context: what TLS costs nginx itself
# nginx runs unprivileged (as nobody when the script runs as root), on its own temp config
# and loopback ports. wrk speaks HTTPS itself; handshakes happen once per connection, so
# this measures encrypted keep-alive traffic. Prints req/s, p50, p99, the TLS version and
# cipher each HTTPS target settled on with an OpenSSL client, and the ratios b/a (what TLS
# costs fngate), b/c (fngate HTTPS beside nginx HTTPS) and c/d (what TLS costs nginx). Never
# a timed assertion: numbers only, but a run with non-2xx answers, socket errors or a body
# other than "hello" is reported invalid and no ratio is printed from it (lib.sh).
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
duration="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-32}"
warmup="${BENCH_WARMUP:-2}"
. tests/bench/lib.sh
bench_scratch tls
chmod 755 "$tmp"   # nginx (nobody) reads its directory below this one
bench_on_exit() { [ -s "$tmp/nginx/nginx.pid" ] && kill -QUIT "$(cat "$tmp/nginx/nginx.pid")" 2>/dev/null; }

# ---- one self-signed certificate for 127.0.0.1, served by both
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2> /dev/null

# ---- nginx, unprivileged: every path it writes is under its own directory
ndir="$tmp/nginx"
nginx_tls_port=$(free_port)
nginx_plain_port=$(free_port)
mkdir -p "$ndir/www"
printf 'hello' > "$ndir/www/hello.txt"
cp "$tmp/cert.pem" "$tmp/key.pem" "$ndir/"
cat > "$ndir/nginx.conf" <<NGX
worker_processes auto;
error_log $ndir/error.log;
pid $ndir/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ndir/body;
  proxy_temp_path $ndir/proxy;
  fastcgi_temp_path $ndir/fastcgi;
  uwsgi_temp_path $ndir/uwsgi;
  scgi_temp_path $ndir/scgi;
  server {
    listen 127.0.0.1:$nginx_tls_port ssl;
    ssl_certificate $ndir/cert.pem;
    ssl_certificate_key $ndir/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;   # nginx 1.22 leaves 1.3 out by default; fngate's GnuTLS offers it
    root $ndir/www;
  }
  server { listen 127.0.0.1:$nginx_plain_port; root $ndir/www; }
}
NGX
if [ "$(id -u)" -eq 0 ]; then
  chown -R nobody:nogroup "$ndir"
  setpriv --reuid=nobody --regid=nogroup --clear-groups nginx -e "$ndir/error.log" -c "$ndir/nginx.conf"
else
  nginx -e "$ndir/error.log" -c "$ndir/nginx.conf"
fi

# ---- two fngates serving the same route to warm C workers: plain and TLS
mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"
for name in plain tls; do
  {
    echo "state_dir: $tmp/state-$name"
    # wrk is one client: BENCH_CONNECTIONS may pass the per-client cap (256)
    if [ "$name" = plain ]; then echo "gateway: {max_connections_per_client: 0}"
    else echo "gateway: {max_connections_per_client: 0, tls: {cert: $tmp/cert.pem, key: $tmp/key.pem}}"; fi
    cat <<CFG
functions:
$(echo_function $((conns * 2)) "$conns")
    events:
      - http: GET /echo
CFG
  } > "$tmp/$name.yaml"
  fngate_start "$name"
done
plain_port=$(fngate_port plain)
tls_port=$(fngate_port tls)

# check RUN URL: one request, the certificate verified; RUN is invalid unless it answers hello
check() {
  local body
  body=$(curl -sS --max-time 10 --cacert "$tmp/cert.pem" "$2" 2>&1) || true
  [ "$body" = hello ] || bench_invalid "$1" "$2 answered '$(printf %s "$body" | head -c 120)', not 'hello'"
}

# tls_of PORT → "TLSv1.3 TLS_AES_256_GCM_SHA384": what an OpenSSL client settles on
tls_of() {
  /usr/bin/python3 - "$1" "$tmp/cert.pem" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1") as s:
    print(s.version(), s.cipher()[0])
PY
}

# measure RUN URL → "req/s p50_ms p99_ms non2xx" (RUN marked invalid on errors)
measure() {
  wrk -t2 -c"$conns" -d"${warmup}s" "$2" > /dev/null      # warm-up
  wrk -t2 -c"$conns" -d"${duration}s" --latency "$2" > "$tmp/wrk-$1.out"
  bench_wrk "$1" "$tmp/wrk-$1.out"
}

a_url="http://127.0.0.1:$plain_port/echo"
b_url="https://127.0.0.1:$tls_port/echo"
c_url="https://127.0.0.1:$nginx_tls_port/hello.txt"
d_url="http://127.0.0.1:$nginx_plain_port/hello.txt"
for run in a b c d; do
  url_var="${run}_url"
  check "$run" "${!url_var}"
done
b_tls=$(tls_of "$tls_port" || echo "(no TLS answer)")
c_tls=$(tls_of "$nginx_tls_port" || echo "(no TLS answer)")

echo "fngate TLS bench: wrk -t2 -c$conns -d${duration}s on 127.0.0.1, $(nproc) cores"
read -r a_rps a_p50 a_p99 a_bad <<< "$(measure a "$a_url")"
read -r b_rps b_p50 b_p99 b_bad <<< "$(measure b "$b_url")"
read -r c_rps c_p50 c_p99 c_bad <<< "$(measure c "$c_url")"
read -r d_rps d_p50 d_p99 d_bad <<< "$(measure d "$d_url")"
row() { printf '%-44s %10s %9s %9s %8s %s\n' "$@"; }
row target "req/s" "p50 ms" "p99 ms" "non-2xx" ""
row "(a) fngate route, HTTP" "$a_rps" "$a_p50" "$a_p99" "$a_bad" "$(bench_flag a)"
row "(b) fngate route, HTTPS" "$b_rps" "$b_p50" "$b_p99" "$b_bad" "$(bench_flag b)"
row "(c) nginx static file, HTTPS" "$c_rps" "$c_p50" "$c_p99" "$c_bad" "$(bench_flag c)"
row "(d) nginx static file, HTTP" "$d_rps" "$d_p50" "$d_p99" "$d_bad" "$(bench_flag d)"
echo "TLS settled on: (b) $b_tls; (c) $c_tls"
bench_ratio b/a b "$b_rps" a "$a_rps"
bench_ratio b/c b "$b_rps" c "$c_rps"
bench_ratio c/d c "$c_rps" d "$d_rps"
bench_end
