#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: what SigV4 verification costs the Invoke API, side by side in one run, on
# loopback, against a warm `provided` worker whose bootstrap is a tiny C program (the
# gateway's own ceiling, so the verification's share is as large as it can be):
#   (a) RequestResponse Invokes, unsigned, on a gateway without keys (auth none)
#   (b) the same Invokes SigV4-signed, on a gateway with invoke_api.credentials: wrk replays
#       one request signed at start (a signature is good for 15 minutes either way, and a
#       replay within them is accepted, as AWS accepts it); fngate verifies every one in
#       full (the canonical request, the body's SHA-256, the key derivation, the HMAC)
# They alternate for BENCH_ROUNDS rounds (3: a1 b1 a2 b2 a3 b3), so drift on a noisy machine
# shows and averages out. Prints req/s, p50, p99, the ratio b/a of each round and of the
# means (the target: b/a >= 0.90, verification costing at most 10%). Never a timed
# assertion; a run with non-2xx answers (a refused signature is a 403) or socket errors is
# reported invalid and no ratio is printed from it (lib.sh).
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
duration="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-8}"
warmup="${BENCH_WARMUP:-2}"
rounds="${BENCH_ROUNDS:-3}"
. tests/bench/lib.sh
bench_scratch invoke-auth

mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"
payload='{"order":12345,"item":"x"}'
key=AKIDFNGATEBENCH
secret=fngate-bench-secret

# config NAME INVOKE_API_LINE: the echo function, warm to the connection count
config() {
  cat > "$tmp/$1.yaml" <<CFG
state_dir: $tmp/state-$1
$2
functions:
$(echo_function $((conns * 2)) "$conns")
CFG
}
config open ""
config signed "invoke_api: {credentials: [{access_key: $key, secret_key: $secret}]}"
fngate_start open
fngate_start signed
open_port=$(fngate_port open)
signed_port=$(fngate_port signed)
path=/2015-03-31/functions/Echo/invocations

cat > "$tmp/open.lua" <<LUA
wrk.method = "POST"
wrk.body = '$payload'
wrk.headers["Content-Type"] = "application/json"
LUA
# The signed request, as botocore signs a Lambda call (tests/integration/harness.py's signer):
# Host, X-Amz-Date and the body's hash signed, no x-amz-content-sha256 header.
/usr/bin/python3 - "$signed_port" "$path" "$payload" "$key" "$secret" > "$tmp/signed.lua" <<'PY'
import sys
sys.path.insert(0, "tests/integration")
from harness import sigv4_headers
port, path, payload, key, secret = sys.argv[1:]
h = sigv4_headers("POST", path, "", "127.0.0.1:%s" % port, payload.encode(), None, key, secret, "lambda")
print('wrk.method = "POST"')
print("wrk.body = '%s'" % payload)
print('wrk.headers["Content-Type"] = "application/json"')
for name in ("x-amz-date", "Authorization"):
    print('wrk.headers["%s"] = "%s"' % (name, h[name]))
PY

# measure RUN PORT SCRIPT → "req/s p50_ms p99_ms non2xx" (RUN marked invalid on errors)
measure() {
  wrk -t2 -c"$conns" -d"${warmup}s" -s "$tmp/$3.lua" "http://127.0.0.1:$2$path" > "$tmp/wrk-$1-warm.out"
  wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$tmp/$3.lua" "http://127.0.0.1:$2$path" > "$tmp/wrk-$1.out"
  bench_wrk "$1" "$tmp/wrk-$1.out"
}

echo "fngate invoke auth bench: wrk -t2 -c$conns -d${duration}s on 127.0.0.1, $(nproc) cores, payload ${#payload} bytes, $rounds rounds"
row() { printf '%-44s %10s %9s %9s %8s %s\n' "$@"; }
rows=$(row target "req/s" "p50 ms" "p99 ms" "non-2xx" "")
declare -A rate
runs=()
for r in $(seq 1 "$rounds"); do
  for side in a b; do
    if [ $side = a ]; then port=$open_port script=open what="unsigned (auth none)"
    else port=$signed_port script=signed what="SigV4-signed and verified"; fi
    read -r rps p50 p99 bad <<< "$(measure "$side$r" "$port" $script)"
    rows+=$'\n'$(row "($side$r) Invoke, $what" "$rps" "$p50" "$p99" "$bad" "$(bench_flag "$side$r")")
    rate[$side$r]=$rps
    runs+=("$side$r")
  done
done
echo "$rows"
bench_ab_summary "$rounds" "signing"
bench_end
