#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: what issue 17's API features cost, side by side in one run, on loopback.
#
# Part 1, the authorizer's cost per request: a warm `provided` worker whose bootstrap is a
# tiny C program (the gateway's own ceiling, so the authorizer's share is as large as it
# can be) behind
#   (a) GET /echo with nothing in front of it
#   (b) the same route with CORS (gateway.cors, an allowed Origin echoed) and a JWT
#       authorizer (RS256, a JWKS file): wrk sends one token (made at start, good for an
#       hour) on every request, as a browser session does, so every request after the first
#       is answered from the verified-token cache; the first is verified in full
# alternating for BENCH_ROUNDS rounds (a1 b1 a2 b2 ...). Prints req/s, p50, p99, b/a per
# round and of the means, and the authorizer's cost per request in microseconds of the
# machine's time (1/b - 1/a, at saturation).
#
# Part 2, streaming throughput: a Node function (tests/bench/handlers/stream_node.js) that
# streams BENCH_STREAM_MB (100) MiB through its function URL (invoke_mode: RESPONSE_STREAM)
# beside nginx serving a file of the same size, each fetched BENCH_STREAM_N (3) times by
# curl into /dev/null, alternating. Prints MB/s of each and the ratio. Never a timed
# assertion; a run with non-2xx answers, socket errors or a short body is reported invalid
# and no ratio is printed from it (lib.sh).
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
root=$(pwd)
duration="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-32}"
warmup="${BENCH_WARMUP:-2}"
rounds="${BENCH_ROUNDS:-3}"
stream_mb="${BENCH_STREAM_MB:-100}"
stream_n="${BENCH_STREAM_N:-3}"
. tests/bench/lib.sh
bench_scratch api
chmod 755 "$tmp"   # nginx workers (www-data) read the file from here
bench_on_exit() { nginx -c "$tmp/nginx.conf" -s stop 2>/dev/null; }

mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"
origin=https://app.example.com
issuer=https://issuer.fngate.test
audience=fngate-bench

# ---- a key pair, its JWKS file and one token good for an hour
/usr/bin/python3 - "$tmp/jwks.json" "$tmp/token" "$issuer" "$audience" <<'PY'
import base64, json, sys, time
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
jwks_path, token_path, issuer, audience = sys.argv[1:]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pub = key.public_key().public_numbers()
n = pub.n.to_bytes((pub.n.bit_length() + 7) // 8, "big")
json.dump({"keys": [{"kty": "RSA", "kid": "bench", "use": "sig", "alg": "RS256", "n": b64(n),
                     "e": b64(pub.e.to_bytes(3, "big"))}]}, open(jwks_path, "w"))
now = int(time.time())
head = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "bench"}).encode())
body = b64(json.dumps({"iss": issuer, "aud": audience, "sub": "bench-user", "iat": now, "nbf": now - 5,
                       "exp": now + 3600, "scope": "read write"}).encode())
sig = key.sign(("%s.%s" % (head, body)).encode(), padding.PKCS1v15(), hashes.SHA256())
open(token_path, "w").write("%s.%s.%s" % (head, body, b64(sig)))
PY
token=$(cat "$tmp/token")

# config NAME GATEWAY_EXTRA ROUTE_EXTRA: the echo function on GET /echo, warm to the
# connection count
config() {
  cat > "$tmp/$1.yaml" <<CFG
state_dir: $tmp/state-$1
gateway:
  max_connections_per_client: 0
$2
functions:
$(echo_function $((conns * 2)) "$conns")
    events:
      - http: {method: GET, path: /echo$3}
CFG
}
config plain "" ""
config auth "  cors: {allow_origins: ['$origin'], allow_headers: [authorization], allow_credentials: true, max_age: 600}
  authorizers:
    bench: {type: jwt, issuer: '$issuer', audience: ['$audience'], identity_source: '\$request.header.Authorization', jwks: $tmp/jwks.json}" \
  ", authorizer: {name: bench, scopes: [read]}"
fngate_start plain
fngate_start auth
plain_port=$(fngate_port plain)
auth_port=$(fngate_port auth)

# The authorized route must answer 200 with the CORS header, and 401 without the token:
# otherwise part 1 would measure refusals.
check_auth() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$auth_port/echo")
  [ "$code" = 401 ] || bench_invalid "$1" "GET /echo without a token answered $code, not 401"
  curl -s -D "$tmp/auth.head" -o /dev/null -H "Authorization: Bearer $token" -H "Origin: $origin" \
    "http://127.0.0.1:$auth_port/echo"
  grep -qi "^access-control-allow-origin: $origin" "$tmp/auth.head" ||
    bench_invalid "$1" "the authorized route did not answer with Access-Control-Allow-Origin: $origin"
  grep -q '^HTTP/1.1 200' "$tmp/auth.head" || bench_invalid "$1" "the authorized route answered $(head -n1 "$tmp/auth.head")"
}

# measure RUN PORT → "req/s p50_ms p99_ms non2xx" (RUN marked invalid on errors)
measure() {
  local h=(-H "Authorization: Bearer $token" -H "Origin: $origin")
  wrk -t2 -c"$conns" -d"${warmup}s" "${h[@]}" "http://127.0.0.1:$2/echo" > /dev/null
  wrk -t2 -c"$conns" -d"${duration}s" --latency "${h[@]}" "http://127.0.0.1:$2/echo" > "$tmp/wrk-$1.out"
  bench_wrk "$1" "$tmp/wrk-$1.out"
}

echo "fngate API bench (issue 17): wrk -t2 -c$conns -d${duration}s on 127.0.0.1, $(nproc) cores, $rounds rounds"
row() { printf '%-48s %10s %9s %9s %8s %s\n' "$@"; }
rows=$(row target "req/s" "p50 ms" "p99 ms" "non-2xx" "")
declare -A rate
runs=()
for r in $(seq 1 "$rounds"); do
  for side in a b; do
    if [ $side = a ]; then port=$plain_port what="GET /echo, no CORS, no authorizer"
    else port=$auth_port what="GET /echo, CORS + JWT authorizer"; check_auth "$side$r"; fi
    read -r rps p50 p99 bad <<< "$(measure "$side$r" "$port")"
    rows+=$'\n'$(row "($side$r) $what" "$rps" "$p50" "$p99" "$bad" "$(bench_flag "$side$r")")
    rate[$side$r]=$rps
    runs+=("$side$r")
  done
done
fngate_stop plain
fngate_stop auth
echo "$rows"
bench_ab_summary "$rounds" "the authorizer and CORS"

# ---- part 2: streaming a large response, fngate function URL beside nginx
nginx_port=$(free_port)
mkdir -p "$tmp/www"
head -c $((stream_mb * 1048576)) /dev/zero | tr '\0' x > "$tmp/www/big.bin"
cat > "$tmp/nginx.conf" <<NGX
worker_processes auto;
error_log $tmp/nginx-error.log;
pid $tmp/nginx.pid;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:$nginx_port; root $tmp/www; } }
NGX
nginx -c "$tmp/nginx.conf"
cat > "$tmp/stream.yaml" <<CFG
state_dir: $tmp/state-stream
functions:
  stream:
    runtime: nodejs
    handler: stream_node.handler
    code: $root/tests/bench/handlers
    timeout: 120
    memory: 512
    min_warm: 1
    environment: {BENCH_STREAM_MB: "$stream_mb"}
    url: {auth_type: NONE, invoke_mode: RESPONSE_STREAM}
CFG
fngate_start stream
stream_port=$(fngate_port stream)

# fetch RUN URL [HOST] → MB/s (RUN marked invalid on a failure or a short body)
fetch() {
  local out code size speed
  out=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' ${3:+-H "Host: $3"} "$2") || true
  read -r code size speed <<< "$out"
  if [ "${code:-}" != 200 ] || [ "${size:-0}" != $((stream_mb * 1048576)) ]; then
    bench_invalid "$1" "answered ${code:-nothing} with ${size:-0} of $((stream_mb * 1048576)) bytes"
    echo -
    return
  fi
  /usr/bin/python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / 1e6))" "$speed"
}
echo
echo "streaming $stream_mb MiB, $stream_n fetches each by curl, alternating"
s_list="" n_list=""
for k in $(seq 1 "$stream_n"); do
  s=$(fetch "s$k" "http://127.0.0.1:$stream_port/" "stream.lambda-url.localhost")
  n=$(fetch "n$k" "http://127.0.0.1:$nginx_port/big.bin")
  printf '%-48s %10s MB/s %s\n' "(s$k) fngate function URL, RESPONSE_STREAM" "$s" "$(bench_flag "s$k")"
  printf '%-48s %10s MB/s %s\n' "(n$k) nginx static file" "$n" "$(bench_flag "n$k")"
  s_list="$s_list,$s" n_list="$n_list,$n"
done
s_mean=$(/usr/bin/python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1].split(',') if x not in ('','-')]; print('%.0f' % statistics.mean(v) if v else '-')" "$s_list")
n_mean=$(/usr/bin/python3 -c "import statistics,sys; v=[float(x) for x in sys.argv[1].split(',') if x not in ('','-')]; print('%.0f' % statistics.mean(v) if v else '-')" "$n_list")
echo "mean fngate stream: $s_mean MB/s, mean nginx: $n_mean MB/s"
bench_ratio "stream/nginx (means)" s1 "$s_mean" n1 "$n_mean"
fngate_stop stream
bench_end
