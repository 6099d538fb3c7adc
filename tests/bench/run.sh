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
#
# Then issue 14's comparison (BENCH_ONLY=issue14 runs only it and (c); BENCH_ONLY=routes
# skips it): the trivial handlers of tests/bench/handlers (Node and Python, an HTTP API
# route) under fngate with default settings (no concurrency or min_warm key) and under
# serverless-offline 13 (npm serverless@3 + serverless-offline@13, installed once into
# BENCH_NPM_DIR, build/bench-npm; skipped with the reason when npm or its start fails), at
# wrk -c4 and -c32, each system started alone so that its RSS (the gateway or node process
# plus all its descendants, summed after the measured run) is its own; the C echo worker
# with default settings; fngate with a fixed pool of N workers (fixed_pool_yaml N: max_workers
# and min_warm N, at the same wrk -c32, N in BENCH_POOL_SIZES); and cold starts (BENCH_COLD restarts each): Init Duration of the first
# invocation's REPORT line for Python and Node, and Restore Duration with `snapstart: true`
# when the build knows the key. The targets are printed next to the ratios, met or missed.
#
# BENCH_ONLY=issue15 (as root): the warm route (C echo and Python, a fixed pre-started pool of
# BENCH_ISO_POOL workers, default 4) with isolation on beside `isolation: {enabled: false}`,
# alternating on/off BENCH_ISO_ROUNDS times (3) in one run (target: mean on >= 0.95x mean
# off), and the Init Duration of
# cold starts isolation off, on (mount namespace), and on with `network: none`.
#
# BENCH_ONLY=issue16: the route of (a) with the metrics scraped every second (GET /metrics
# on the admin listener, as Prometheus would) and the log store on (`logs: {store: true}`),
# beside the same run with neither (`logs: {store: false}`, no scraper), alternating
# BENCH_M_ROUNDS times (3) in one run (target: mean on >= 0.95x mean off). The counters
# themselves cannot be turned off: the off run counts too, unscraped. BENCH_M_STORE=false
# keeps the log store off in the on run too, to tell the scraping's share from the store's.
set -euo pipefail
build="${1:-build/release}"
cd "$(dirname "$0")/../.."
root=$(pwd)
duration="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-32}"
warmup="${BENCH_WARMUP:-2}"
only="${BENCH_ONLY:-}"            # issue14: only issue 14's part (and nginx static); routes: not it;
                                  # issue15: only isolation on beside off (and nginx static);
                                  # issue16: only metrics and log store on beside off (and nginx static)
case "$only" in issue14|issue15|issue16) rows=no ;; *) rows=yes ;; esac    # rows (a), (b), (d)
pool_sizes="${BENCH_POOL_SIZES:-2 4 8}"
cold_n="${BENCH_COLD:-5}"
npm_dir="${BENCH_NPM_DIR:-$root/build/bench-npm}"
. tests/bench/lib.sh
bench_scratch http
chmod 755 "$tmp"   # nginx workers (www-data) read the static file from here
bench_on_exit() {
  nginx -c "$tmp/nginx.conf" -s stop 2>/dev/null
  if [ -n "${sls_pid:-}" ]; then sls_stop; fi
}

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

mkdir -p "$tmp/echo"
cp "$build/fg-echo-bootstrap" "$tmp/echo/bootstrap"

# ---- fngate with both functions pre-warmed to the connection count
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
if [ "$rows" = yes ]; then
  fngate_start fngate
  fg_port=$(fngate_port fngate)
fi

# measure RUN URL [CONNECTIONS] → "req/s p50_ms p99_ms non2xx" (RUN marked invalid on errors)
measure() {
  local c=${3:-$conns}
  wrk -t2 -c"$c" -d"${warmup}s" "$2" > /dev/null      # warm-up
  wrk -t2 -c"$c" -d"${duration}s" --latency "$2" > "$tmp/wrk-$1.out"
  bench_wrk "$1" "$tmp/wrk-$1.out"
}

echo "fngate bench: wrk -t2 -c$conns -d${duration}s on 127.0.0.1, $(nproc) cores"
row() { printf '%-44s %10s %9s %9s %8s %s\n' "$@"; }
if [ "$rows" = yes ]; then
  read -r a_rps a_p50 a_p99 a_bad <<< "$(measure a "http://127.0.0.1:$fg_port/echo")"
  read -r b_rps b_p50 b_p99 b_bad <<< "$(measure b "http://127.0.0.1:$fg_port/hello/bench")"
fi
read -r c_rps c_p50 c_p99 c_bad <<< "$(measure c "http://127.0.0.1:$nginx_port/hello.txt")"
c_rss=$(tree_rss_kb "$(cat "$tmp/nginx.pid")")
if [ "$rows" = yes ]; then
  read -r d_rps d_p50 d_p99 d_bad <<< "$(measure d "http://127.0.0.1:$proxy_port/hello.txt")"
  row target "req/s" "p50 ms" "p99 ms" "non-2xx" ""
  row "(a) route -> warm provided C worker" "$a_rps" "$a_p50" "$a_p99" "$a_bad" "$(bench_flag a)"
  row "(b) route -> warm Python HelloLambda" "$b_rps" "$b_p50" "$b_p99" "$b_bad" "$(bench_flag b)"
  row "(c) nginx static file" "$c_rps" "$c_p50" "$c_p99" "$c_bad" "$(bench_flag c)"
  row "(d) nginx reverse proxy -> nginx upstream" "$d_rps" "$d_p50" "$d_p99" "$d_bad" "$(bench_flag d)"
  bench_ratio a/c a "$a_rps" c "$c_rps"
  bench_ratio b/c b "$b_rps" c "$c_rps"
  bench_ratio a/d a "$a_rps" d "$d_rps"
  fngate_stop fngate
fi
if [ "$only" = routes ]; then bench_end; exit 0; fi


# ==== issue 14: fngate with default settings beside serverless-offline 13
handlers="$root/tests/bench/handlers"
mb() { /usr/bin/python3 -c "import sys; print('%.0f' % (int(sys.argv[1]) / 1024))" "$1"; }

# A fixed pool by hand: N workers started ahead and never more (calls beyond them wait).
fixed_pool_yaml() { printf '    max_workers: %d\n    min_warm: %d\n' "$1" "$1"; }

# fngate_fn NAME RUNTIME PATH [EXTRA_YAML]: $tmp/NAME.yaml, one function on GET PATH,
# default settings (a new user's file) plus EXTRA_YAML
fngate_fn() {
  local code=$handlers handler extra=${4:-}
  [ -z "$extra" ] || extra="${extra%$'\n'}"$'\n'
  case "$2" in
    nodejs) handler=handler_node.handler ;;
    python3) handler=handler_py.handler ;;
    provided) handler=bootstrap code=$tmp/echo ;;
  esac
  printf 'state_dir: %s\nfunctions:\n  Fn:\n    runtime: %s\n    handler: %s\n    code: %s\n%s    events:\n      - http: GET %s\n' \
    "$tmp/state-$1" "$2" "$handler" "$code" "$extra" "$3" > "$tmp/$1.yaml"
}

# fngate_row RUN NAME RUNTIME PATH "CONNS..." [EXTRA_YAML]: one gateway, measured at each
# connection count in turn; sets RUN<conns>_{rps,p50,p99,bad,rss} (rss in kB, after the run)
fngate_row() {
  local run=$1 name=$2 c p wc
  fngate_fn "$name" "$3" "$4" "${6:-}"
  fngate_start "$name"
  p=$(fngate_port "$name")
  for c in $5; do
    check_body "$run$c" "http://127.0.0.1:$p$4"
    wc=${7:-$c}
    read -r "${run}${c}_rps" "${run}${c}_p50" "${run}${c}_p99" "${run}${c}_bad" \
      <<< "$(measure "$run$c" "http://127.0.0.1:$p$4" "$wc")"
    printf -v "${run}${c}_rss" '%s' "$(tree_rss_kb "$(cat "$tmp/$name.pid")")"
  done
  fngate_stop "$name"
}

# ---- serverless-offline: installed once, started per runtime (its own RSS), stopped with its tree
sls_why=""
sls_install() {
  if [ -x "$npm_dir/node_modules/.bin/serverless" ] && [ -d "$npm_dir/node_modules/serverless-offline" ]; then
    return 0
  fi
  if ! command -v npm > /dev/null; then sls_why="npm not found"; return 1; fi
  if ! mkdir -p "$npm_dir" 2> /dev/null; then sls_why="cannot create $npm_dir"; return 1; fi
  if ! timeout 600 npm install --prefix "$npm_dir" --no-audit --no-fund serverless@3 serverless-offline@13 \
      > "$tmp/npm.log" 2>&1; then
    sls_why="npm install failed: $({ grep -m3 '^npm error' "$tmp/npm.log" || tail -n 2 "$tmp/npm.log"; } | tr -s '\n' ' ' | head -c 200)"
    return 1
  fi
}

# sls_start FUNCTION RUNTIME PATH: a service with that one function on an httpApi route
sls_start() {
  local dir=$tmp/sls-$1 i
  mkdir -p "$dir"
  cp "$handlers"/handler_node.js "$handlers"/handler_py.py "$dir/"
  ln -sfn "$npm_dir/node_modules" "$dir/node_modules"
  sls_port=$(free_port)
  cat > "$dir/serverless.yml" <<SLS
service: fngate-bench
frameworkVersion: '3'
provider:
  name: aws
  runtime: $2
  region: us-east-1
plugins:
  - serverless-offline
custom:
  serverless-offline:
    host: 127.0.0.1
    httpPort: $sls_port
    lambdaPort: $(free_port)
functions:
  $1:
    handler: $([ "${2#python}" != "$2" ] && echo handler_py.handler || echo handler_node.handler)
    events:
      - httpApi: {method: GET, path: $3}
SLS
  # No AWS account is needed for `offline start`; dummy keys keep the SDK quiet. PATH:
  # serverless-offline runs `python3` (from python3.11), the same /usr/bin/python3 as fngate.
  (cd "$dir" && exec env SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off SLS_DEPRECATION_DISABLE='*' \
     AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 PATH="/usr/bin:$PATH" \
     node_modules/.bin/serverless offline start --noPrependStageInUrl --noTimeout) > "$dir/out" 2>&1 &
  sls_pid=$!
  for i in $(seq 1 600); do       # up to 60 s
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$sls_port/" || true)" = 000 ] || return 0
    kill -0 "$sls_pid" 2>/dev/null || break
    sleep 0.1
  done
  sls_why="did not start: $(tail -n 3 "$dir/out" | tr -s '\n' ' ' | head -c 200)"
  sls_stop
  return 1
}

sls_stop() {
  local p i tree
  tree=$(tree_pids "$sls_pid")
  for p in $tree; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 1 100); do kill -0 "$sls_pid" 2>/dev/null || break; sleep 0.05; done
  for p in $tree; do kill -KILL "$p" 2>/dev/null || true; done
  wait "$sls_pid" 2>/dev/null || true
  sls_pid=""
}

# sls_row RUN FUNCTION RUNTIME PATH "CONNS...": as fngate_row
# check_body RUN URL: the handler's answer is the body "hello" (a system answering 200 with an
# error page is not doing the work)
check_body() {
  local b
  b=$(curl -s --max-time 30 "$2" || true)
  [ "$b" = hello ] || bench_invalid "$1" "the body was '${b:0:120}', not 'hello'"
}

sls_row() {
  local run=$1 c
  sls_start "$2" "$3" "$4" || return 1
  for c in $5; do
    check_body "$run$c" "http://127.0.0.1:$sls_port$4"
    read -r "${run}${c}_rps" "${run}${c}_p50" "${run}${c}_p99" "${run}${c}_bad" \
      <<< "$(measure "$run$c" "http://127.0.0.1:$sls_port$4" "$c")"
    printf -v "${run}${c}_rss" '%s' "$(tree_rss_kb "$sls_pid")"
  done
  sls_stop
}

# cold_starts NAME RUNTIME [EXTRA_YAML [TOP_YAML]]: BENCH_COLD starts of a gateway (one state_dir for all,
# so a snapshot taken by the first can serve the others), each timing its first invocation;
# prints "init_ms,... restore_ms,... client_ms,..." ("-" for none)
cold_starts() {
  local i p line init="" restore="" client="" t v
  fngate_fn "$1" "$2" /cold "${3:-}"
  [ -z "${4:-}" ] || echo "$4" >> "$tmp/$1.yaml"
  for i in $(seq 1 "$cold_n"); do
    fngate_start -o "$1"
    p=$(fngate_port "$1")
    t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 30 "http://127.0.0.1:$p/cold" || true)
    [ "${t%% *}" = 200 ] || bench_invalid "cold-$1" "first invocation answered '${t%% *}'"
    client="$client,$(/usr/bin/python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) * 1000))" "${t#* }")"
    line=""
    for _ in $(seq 1 100); do   # the REPORT line follows the answer: at most 1 s
      line=$(grep -m1 'REPORT RequestId' "$tmp/$1.out" || true)
      [ -n "$line" ] && break
      sleep 0.01
    done
    v=$(sed -nE 's/.*Init Duration: ([0-9.]+) ms.*/\1/p' <<< "$line")
    init="$init,${v:--}"
    v=$(sed -nE 's/.*Restore Duration: ([0-9.]+) ms.*/\1/p' <<< "$line")
    restore="$restore,${v:--}"
    fngate_stop "$1"
  done
  echo "${init#,} ${restore#,} ${client#,}"
}

# mean of a comma list, ignoring "-" and empties; "-" when there is no figure
mean() {
  /usr/bin/python3 -c "
import statistics, sys
v = [float(x) for x in sys.argv[1].split(',') if x not in ('', '-')]
print('%.1f' % statistics.mean(v) if v else '-')" "$1"
}

# median of a comma list, ignoring "-"; "-" when there is no figure
median() {
  /usr/bin/python3 -c "
import statistics, sys
v = [float(x) for x in sys.argv[1].split(',') if x not in ('', '-')]
print('%.1f' % statistics.median(v) if v else '-')" "$1"
}

# ==== issue 15: isolation on (the default as root) beside isolation off, in one run
if [ "$only" = issue15 ]; then
  [ "$(id -u)" = 0 ] || { echo "issue 15: needs root (isolation applies only as root)"; bench_end; exit 0; }
  handlers="$root/tests/bench/handlers"
  # iso_run RUN NAME RUNTIME PATH on|off: a fixed, pre-started pool of BENCH_ISO_POOL workers
  # (warm path only), measured at -c$conns; sets RUN_{rps,p50,p99,bad}
  iso_run() {
    local p n=${BENCH_ISO_POOL:-4} code=$handlers handler
    case "$3" in
      python3) handler=handler_py.handler ;;
      provided) handler=bootstrap code=$tmp/echo ;;
    esac
    printf 'state_dir: %s\nfunctions:\n  Fn:\n    runtime: %s\n    handler: %s\n    code: %s\n    max_workers: %d\n    min_warm: %d\n    events:\n      - http: GET %s\n' \
      "$tmp/state-$2" "$3" "$handler" "$code" "$n" "$n" "$4" > "$tmp/$2.yaml"
    [ "$5" = on ] || echo "isolation: {enabled: false}" >> "$tmp/$2.yaml"
    fngate_start "$2"
    p=$(fngate_port "$2")
    check_body "$1" "http://127.0.0.1:$p$4"
    if [ "$5" = on ] && ! grep -q "isolation: workers run as uids" "$tmp/$2.err"; then
      bench_invalid "$1" "isolation was not applied"
    fi
    read -r "${1}_rps" "${1}_p50" "${1}_p99" "${1}_bad" <<< "$(measure "$1" "http://127.0.0.1:$p$4")"
    fngate_stop "$2"
  }
  echo
  echo "issue 15: warm routes with isolation on (own uids, pids cgroups, private /tmp and mounts, network host)"
  rounds=$(seq 1 "${BENCH_ISO_ROUNDS:-3}")
  echo "beside isolation: {enabled: false}; ${BENCH_ISO_ROUNDS:-3} rounds, alternating (on, off, on, off, ...)"
  printf '%-48s %9s %8s %8s %7s\n' target "req/s" "p50 ms" "p99 ms" "non-2xx"
  for rt in provided python3; do
    for k in $rounds; do
      iso_run "${rt}_on$k" "iso-$rt-on$k" "$rt" /iso on
      iso_run "${rt}_off$k" "iso-$rt-off$k" "$rt" /iso off
    done
  done
  for rt in provided python3; do
    for k in $rounds; do
      for m in on off; do
        r="${rt}_$m$k"; v1="${r}_rps" v2="${r}_p50" v3="${r}_p99" v4="${r}_bad"
        printf '%-48s %9s %8s %8s %7s %s\n' "$rt isolation $m (run $k)" "${!v1:--}" "${!v2:--}" "${!v3:--}" "${!v4:--}" "$(bench_flag "$r")"
      done
    done
    on="" off=""
    for k in $rounds; do
      v="${rt}_on${k}_rps"; on="$on,${!v:-}"
      v="${rt}_off${k}_rps"; off="$off,${!v:-}"
    done
    on=$(mean "$on") off=$(mean "$off")
    bench_target "$rt warm req/s, isolation on vs off (mean of ${BENCH_ISO_ROUNDS:-3})" "${rt}_on1" "$on" "${rt}_off1" "$off" ">=" 0.95
  done
  echo
  echo "cold starts, first invocation after a start ($cold_n starts each): Init Duration median [all] ms"
  for rt in python3 nodejs; do
    for mode in off on none; do
      case $mode in
        off) top='isolation: {enabled: false}' extra='' ;;
        on) top='' extra='' ;;
        none) top='' extra='    network: none' ;;
      esac
      read -r init _ client <<< "$(cold_starts "cold-$rt-$mode" "$rt" "$extra" "$top")"
      printf '%-8s %-34s Init Duration %s [%s]; first answer at the client %s [%s]\n' "$rt" \
        "$(case $mode in off) echo "isolation off";; on) echo "isolated (mount namespace)";; none) echo "isolated + network: none";; esac)" \
        "$(median "$init")" "$init" "$(median "$client")" "$client"
    done
  done
  bench_end
  exit 0
fi

# ==== issue 16: metrics scraped and the log store on, beside neither, in one run
if [ "$only" = issue16 ]; then
  # m_run RUN NAME on|off: the route of (a) (C echo, pool pre-warmed to the connection
  # count); on: `logs: {store: true}` and a scraper GETting /metrics every second through
  # the warm-up and the measured run; off: `logs: {store: false}`, no scraper.
  # Sets RUN_{rps,p50,p99,bad} and RUN_scrapes.
  m_run() {
    local p aport tok scraper=""
    {
      printf 'state_dir: %s\n' "$tmp/state-$2"
      printf 'logs: {store: %s}\n' "$([ "$3" = on ] && echo "${BENCH_M_STORE:-true}" || echo false)"
      echo 'gateway: {max_connections_per_client: 0}'
      echo 'functions:'
      echo_function $((conns * 2)) "$conns"
      printf '    events:\n      - http: GET /echo\n'
    } > "$tmp/$2.yaml"
    fngate_start "$2"
    p=$(fngate_port "$2")
    : > "$tmp/$2.scrapes"
    if [ "$3" = on ]; then
      aport=$(fngate_admin_port "$2")
      tok=$(fngate_admin_token "$2")
      # Into a file first: grep -q leaving early would make curl fail (pipefail).
      curl -sf -o "$tmp/$2.metrics" -H "Authorization: Bearer $tok" "http://127.0.0.1:$aport/metrics" || true
      if ! grep -q '^fngate_invocations_total' "$tmp/$2.metrics" 2>/dev/null; then
        bench_invalid "$1" "GET /metrics did not answer with the metrics"
      fi
      # As Prometheus scrapes: one process on a kept-alive connection, once a second.
      /usr/bin/python3 - "$aport" "$tok" "$tmp/$2.scrapes" <<'PY' &
import http.client, sys, time
port, token, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
while True:
    try:
        c.request("GET", "/metrics", headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        r.read()
        if r.status == 200:
            with open(log, "a") as f:
                f.write("\n")
    except OSError:
        c.close()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    time.sleep(1)
PY
      scraper=$!
      pids+=("$scraper")
    fi
    read -r "${1}_rps" "${1}_p50" "${1}_p99" "${1}_bad" <<< "$(measure "$1" "http://127.0.0.1:$p/echo")"
    if [ -n "$scraper" ]; then
      kill "$scraper" 2>/dev/null || true
      wait "$scraper" 2>/dev/null || true
      [ "$(wc -l < "$tmp/$2.scrapes")" -ge "$duration" ] || bench_invalid "$1" "only $(wc -l < "$tmp/$2.scrapes") scrapes"
    fi
    printf -v "${1}_scrapes" '%s' "$(wc -l < "$tmp/$2.scrapes")"
    fngate_stop "$2"
  }
  echo
  echo "issue 16: the route of (a) with GET /metrics scraped every second and logs: {store: ${BENCH_M_STORE:-true}},"
  echo "beside logs: {store: false} and no scraper; ${BENCH_M_ROUNDS:-3} rounds, alternating (on, off, on, off, ...)"
  rounds=$(seq 1 "${BENCH_M_ROUNDS:-3}")
  for k in $rounds; do
    m_run "on$k" "m-on$k" on
    m_run "off$k" "m-off$k" off
  done
  printf '%-48s %9s %8s %8s %7s %8s\n' target "req/s" "p50 ms" "p99 ms" "non-2xx" scrapes
  on="" off=""
  for k in $rounds; do
    for m in on off; do
      r="$m$k"; v1="${r}_rps" v2="${r}_p50" v3="${r}_p99" v4="${r}_bad" v5="${r}_scrapes"
      printf '%-48s %9s %8s %8s %7s %8s %s\n' "$([ $m = on ] && echo "scraped, store ${BENCH_M_STORE:-true}" || echo "not scraped, store false") (run $k)" "${!v1:--}" "${!v2:--}" "${!v3:--}" \
        "${!v4:--}" "${!v5:--}" "$(bench_flag "$r")"
    done
    v="on${k}_rps"; on="$on,${!v:-}"
    v="off${k}_rps"; off="$off,${!v:-}"
  done
  on=$(mean "$on") off=$(mean "$off")
  printf '%-48s %9s\n' "mean on" "$on" "mean off" "$off"
  bench_target "warm route req/s, on vs off (mean of ${BENCH_M_ROUNDS:-3})" on1 "$on" off1 "$off" ">=" 0.95
  bench_end
  exit 0
fi

echo
echo "issue 14: default settings (no concurrency or min_warm key) beside serverless-offline 13;"
echo "RSS = the gateway (or node) process and all its descendants, after the run"
fngate_row e echo-default provided /echo "$conns"
fngate_row nf node-default nodejs /node "4 $conns"
fngate_row pf python-default python3 /python "4 $conns"
sls_ok=1
if ! sls_install; then
  sls_ok=0
else
  sls_row ns node nodejs20.x /node "4 $conns" || sls_ok=0
  [ "$sls_ok" = 0 ] || sls_row ps python python3.11 /python "4 $conns" || sls_ok=0
fi
if [ "$sls_ok" = 1 ]; then
  sls_version="serverless-offline $(node -p "require('$npm_dir/node_modules/serverless-offline/package.json').version")"
else
  sls_version="serverless-offline"
fi
best_node=0 best_node_n=- best_py=0 best_py_n=-
for n in $pool_sizes; do
  fngate_row np "node-pool$n" nodejs /node "$n" "$(fixed_pool_yaml "$n")" "$conns"
  fngate_row pp "python-pool$n" python3 /python "$n" "$(fixed_pool_yaml "$n")" "$conns"
  v="np${n}_rps"; if bench_is_valid "np$n" && [ "${!v%.*}" -gt "$best_node" ] 2>/dev/null; then best_node=${!v} best_node_n=$n; fi
  v="pp${n}_rps"; if bench_is_valid "pp$n" && [ "${!v%.*}" -gt "$best_py" ] 2>/dev/null; then best_py=${!v} best_py_n=$n; fi
done

row14() {   # LABEL RUN: a row from RUN's figures
  local r=$2 rps p50 p99 bad rss
  rps="${r}_rps" p50="${r}_p50" p99="${r}_p99" bad="${r}_bad" rss="${r}_rss"
  printf '%-48s %9s %8s %8s %7s %7s %s\n' "$1" "${!rps:--}" "${!p50:--}" "${!p99:--}" "${!bad:--}" \
    "$( [ -n "${!rss:-}" ] && mb "${!rss}" || echo -)" "$(bench_flag "$r")"
}
printf '%-48s %9s %8s %8s %7s %7s\n' target "req/s" "p50 ms" "p99 ms" "non-2xx" "RSS MB"
row14 "nginx static file (-c$conns)" c
row14 "fngate, C echo, default (-c$conns)" "e$conns"
for c in 4 "$conns"; do
  row14 "fngate, Node, default (-c$c)" "nf$c"
  if [ "$sls_ok" = 1 ]; then row14 "$sls_version, Node (-c$c)" "ns$c"; fi
  row14 "fngate, Python, default (-c$c)" "pf$c"
  if [ "$sls_ok" = 1 ]; then row14 "$sls_version, Python (-c$c)" "ps$c"; fi
done
for n in $pool_sizes; do
  row14 "fngate, Node, fixed pool of $n (-c$conns)" "np$n"
  row14 "fngate, Python, fixed pool of $n (-c$conns)" "pp$n"
done
if [ "$sls_ok" = 1 ]; then
  bench_target "Node req/s vs serverless-offline (-c$conns)" "nf$conns" "$(eval echo "\$nf${conns}_rps")" "ns$conns" "$(eval echo "\$ns${conns}_rps")" ">=" 3
  bench_target "Node RSS vs serverless-offline (-c$conns)" "nf$conns" "$(eval echo "\$nf${conns}_rss")" "ns$conns" "$(eval echo "\$ns${conns}_rss")" "<=" 0.5
  bench_target "Node p99 vs serverless-offline (-c$conns)" "nf$conns" "$(eval echo "\$nf${conns}_p99")" "ns$conns" "$(eval echo "\$ns${conns}_p99")" "<=" 0.3
  bench_target "Python req/s vs serverless-offline (-c$conns)" "pf$conns" "$(eval echo "\$pf${conns}_rps")" "ps$conns" "$(eval echo "\$ps${conns}_rps")" ">=" 2.5
else
  echo "serverless-offline: not installed ($sls_why): its ratios are skipped"
fi
bench_target "Node req/s vs best fixed pool (N=$best_node_n)" "nf$conns" "$(eval echo "\$nf${conns}_rps")" "np$best_node_n" "$best_node" ">=" 0.9
bench_target "Python req/s vs best fixed pool (N=$best_py_n)" "pf$conns" "$(eval echo "\$pf${conns}_rps")" "pp$best_py_n" "$best_py" ">=" 0.9
bench_target "C echo req/s vs nginx static (-c$conns)" "e$conns" "$(eval echo "\$e${conns}_rps")" c "$c_rps" ">=" 0.3

# ---- cold starts: the first invocation after a start, BENCH_COLD times each
echo
echo "cold starts (fngate, first invocation after start, $cold_n starts each): median [all] ms"
for rt in nodejs python3; do
  read -r init _ client <<< "$(cold_starts "cold-$rt" "$rt")"
  printf '%-8s Init Duration %s [%s]; first answer at the client %s [%s]\n' "$rt" "$(median "$init")" "$init" \
    "$(median "$client")" "$client"
done
fngate_fn snap python3 /cold '    snapstart: true'
if ! "$build/fngate" validate -c "$tmp/snap.yaml" > "$tmp/snap.validate" 2>&1; then
  if grep -q snapstart "$tmp/snap.validate"; then
    echo "snapstart: not supported by this build ($(head -c 160 "$tmp/snap.validate"))"
  else
    echo "snapstart: the configuration was refused: $(head -c 200 "$tmp/snap.validate")"
  fi
else
  read -r init restore client <<< "$(cold_starts snap python3 '    snapstart: true')"
  printf '%-8s Init Duration %s [%s]; Restore Duration %s [%s]; first answer at the client %s [%s]\n' \
    "python3 snapstart" "$(median "$init")" "$init" "$(median "$restore")" "$restore" "$(median "$client")" "$client"
  r=$(median "$restore")
  if [ "$r" = - ]; then
    echo "Python snapstart Restore Duration: no figure in the REPORT lines (target < 25 ms)"
  else
    echo "Python snapstart Restore Duration: $r ms (target < 25 ms) $(/usr/bin/python3 -c "import sys; print('met' if float(sys.argv[1]) < 25 else 'missed')" "$r")"
  fi
fi
bench_end
