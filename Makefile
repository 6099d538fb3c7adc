# SPDX-License-Identifier: MIT
# The two README commands: `make run` and `make test`. Everything else is a helper.
CONFIG ?= examples/hello/fngate.yaml
RELEASE := build/release
ASAN    := build/asan
FUZZ    := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
PREFIX ?= /usr/local

.PHONY: all deps test-deps build build-asan check-builds run test fuzz bench clean install deb

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

# PREFIX/bin/fngate, PREFIX/share/fngate/{runtimes,examples}; DESTDIR stages it (packaging).
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(RELEASE) --prefix "$(PREFIX)"

# build/release/fngate_VERSION_ARCH.deb: the same files under /usr (CPack, CMakeLists.txt).
deb: build
	@cd $(RELEASE) && cpack -G DEB >/dev/null && ls -1 $(CURDIR)/$(RELEASE)/fngate_*.deb

run: build
	$(RELEASE)/fngate serve -c $(CONFIG)

test: build-asan
	@tests/run.sh $(ASAN)

# The libFuzzer targets (tests/fuzz/fuzz_*.c), clang with ASan + UBSan in build/fuzz, each run
# FUZZ_SECONDS on its seeds in turn (FUZZ_TARGETS="fuzz_sigv4 ..." picks some); a crash fails
# the target with its reproducer's path. New inputs stay in build/fuzz, never in the repo.
fuzz: test-deps
	@cmake -S . -B $(FUZZ) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DFG_FUZZ=ON -DFG_TESTS=OFF \
	  -DFG_WERROR=ON >/dev/null
	@cmake --build $(FUZZ) -j2 --target fuzz-targets
	@tests/fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Every script runs even when one reports an invalid run (exit 1); the target fails then.
bench: build test-deps
	@rc=0; for s in run async schedule fs queue tls invoke_auth api fleet; do tests/bench/$$s.sh $(RELEASE) || rc=1; done; exit $$rc

clean:
	rm -rf build
