#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages fngate needs to build, run and test. Idempotent: when
# everything is present it prints nothing and touches nothing (no apt-get update).
#   deploy/install-deps.sh           build + run deps
#   deploy/install-deps.sh --test    also what the test suite and benchmarks use
set -eu

# Libraries and build tools: checked by package. libgnutls28-dev: the TLS listeners check
# certificates and keys with GnuTLS, the library libmicrohttpd does TLS with.
build_pkgs="build-essential cmake pkg-config libmicrohttpd-dev libgnutls28-dev libevent-dev librdkafka-dev
 libhiredis-dev libinotifytools0-dev check libsubunit-dev libjansson-dev libfyaml-dev
 libsqlite3-dev libcurl4-openssl-dev python3 tzdata"
# autoconf..unzip: npm builds aws-lambda-ric (the official Node runtime client) from source.
# clang: `make check-builds` compiles fngate with it too (the product does not need it);
# libclang-rt-14-dev: its libFuzzer and sanitizer runtimes, for `make fuzz` (-fsanitize=fuzzer).
# openssl: the TLS tests and benchmark make their certificates with its CLI.
# prometheus: test_metrics checks GET /metrics with its promtool and scrapes it with a
# prometheus of its own (own config, storage and port; the packaged service is not used).
# python3-pil, python3-pip: examples/thumbnails (and its test) makes images with PIL, and its
# setup.sh installs a current boto3 from PyPI into the function's folder with pip.
# chromium: test_console drives the web console in it, headless, with playwright-core from npm.
# ruby: fngate's Ruby bootstrap (runtimes/ruby) runs on Debian's ruby; test_runtime_clients
# checks it, and pip-installs Python's official awslambdaric with python3-pip.
test_pkgs="curl awscli python3-boto3 wrk nginx-light redis-server kcat python3-pil python3-pip incron autoconf automake libtool
 g++ make unzip clang libclang-rt-14-dev openssl prometheus chromium ruby"
# Tools that may come from elsewhere (NodeSource's nodejs bundles npm, and Debian's npm
# package would conflict with it; Go from go.dev in /usr/local/go, Rust from rustup in
# ~/.cargo): checked by command, installed from Debian if missing. go, cargo, javac and mvn
# build the official Go, Rust and Java runtime interface clients in test_runtime_clients.
test_cmds="node:nodejs npm:npm go:golang-go cargo:cargo javac:default-jdk-headless mvn:maven"

want="$build_pkgs"
cmds=""
if [ "${1:-}" = "--test" ]; then
  want="$want $test_pkgs"
  cmds="$test_cmds"
fi

missing=""
for p in $want; do
  # A package counts as present when dpkg says "install ok installed" for it.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
# A command counts as present on PATH or where its upstream installer puts it (the tests
# look there too: tests/integration/harness.py, find_tool).
have_cmd() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/local/go/bin/$1" ] || [ -x "${HOME:-/root}/.cargo/bin/$1" ]
}
for pair in $cmds; do
  have_cmd "${pair%%:*}" || missing="$missing ${pair#*:}"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
