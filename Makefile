# SPDX-License-Identifier: MIT
# The two README commands: `make run` and `make test`. Everything else is a helper.
CONFIG ?= examples/hello/fngate.yaml
RELEASE := build/release
ASAN    := build/asan

.PHONY: all deps test-deps build build-asan check-builds run test bench clean

all: build

deps:
	@deploy/install-deps.sh

test-deps:
	@deploy/install-deps.sh --test

build: deps
	@cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFG_TESTS=OFF >/dev/null
	@cmake --build $(RELEASE) -j2

build-asan: test-deps
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DFG_SANITIZE=ON -DFG_TESTS=ON -DFG_WERROR=ON >/dev/null
	@cmake --build $(ASAN) -j2

# The builds a packager runs, warnings as errors (CI runs this after make test): GCC Release
# (-O3) and RelWithDebInfo (-O2 -g), and clang; each in build/pkg-*, unit tests included.
check-builds: test-deps
	@cmake -S . -B build/pkg-release -DCMAKE_BUILD_TYPE=Release -DFG_WERROR=ON >/dev/null
	@cmake --build build/pkg-release -j2
	@cmake -S . -B build/pkg-relwithdebinfo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFG_WERROR=ON >/dev/null
	@cmake --build build/pkg-relwithdebinfo -j2
	@cmake -S . -B build/pkg-clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFG_WERROR=ON >/dev/null
	@cmake --build build/pkg-clang -j2

run: build
	$(RELEASE)/fngate serve -c $(CONFIG)

test: build-asan
	@tests/run.sh $(ASAN)

# Every script runs even when one reports an invalid run (exit 1); the target fails then.
bench: build test-deps
	@rc=0; for s in run async schedule fs queue invoke_auth; do tests/bench/$$s.sh $(RELEASE) || rc=1; done; exit $$rc

clean:
	rm -rf build
