#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages fngate needs to build, run and test. Idempotent: when every
# package is already present it prints nothing and touches nothing (no apt-get update).
#   deploy/install-deps.sh           build + run deps
#   deploy/install-deps.sh --test    also what the test suite and benchmarks use
set -eu

build_pkgs="build-essential cmake pkg-config libmicrohttpd-dev libevent-dev librdkafka-dev
 libhiredis-dev libinotifytools0-dev check libsubunit-dev libjansson-dev libfyaml-dev
 libsqlite3-dev libcurl4-openssl-dev python3"
# autoconf..g++: npm builds aws-lambda-ric (the official Node runtime client) from source.
test_pkgs="curl awscli nodejs wrk nginx-light autoconf automake libtool g++ make unzip"

want="$build_pkgs"
[ "${1:-}" = "--test" ] && want="$want $test_pkgs"

missing=""
for p in $want; do
  # A package counts as present when dpkg says "install ok installed" for it.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
# nodejs may come from another repository under the same name; npm ships with it there.
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
