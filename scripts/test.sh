#!/usr/bin/env bash
# Builds amt-mps and runs the whole test suite: the normal build, the
# ASan+UBSan build, the README demo in its non-interactive mode, and a short
# libFuzzer run of every fuzz target.  Installs missing Debian packages first.
#
#   scripts/test.sh [--quick] [--no-sanitize] [--no-fuzz] [--fuzz-seconds N]
#                   [--docker]
#
# --quick runs only the normal build's tests.  --docker adds, after all the
# other stages, docker/build-check.sh: the container image built with
# Podman/Buildah and checked (needs root or sudo; about 1 min when its base
# image and layers are cached, about 5 min from scratch).  It is not part of
# the default run: run it before a release and whenever docker/ changes
# (docs/deployment.md, section 4).  Exit status 0 means all passed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

sanitize=1 fuzz=1 demo=1 docker=0 fuzz_seconds=${FUZZ_SECONDS:-20}
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) sanitize=0 fuzz=0 demo=0 ;;
	--no-sanitize) sanitize=0 ;;
	--no-fuzz) fuzz=0 ;;
	--fuzz-seconds) fuzz_seconds=$2; shift ;;
	--docker) docker=1 ;;
	*) echo "usage: $0 [--quick] [--no-sanitize] [--no-fuzz] [--fuzz-seconds N] [--docker]" >&2; exit 2 ;;
	esac
	shift
done

jobs=$(nproc 2>/dev/null || echo 2)
step() { printf '\n==== %s ====\n' "$*"; }

sh scripts/setup-deps.sh

# run_suite BUILD_DIR: unit and fuzz-corpus tests in parallel, then the
# integration tests one at a time (they start daemons and fleets).
run_suite() {
	ctest --test-dir "$1" --output-on-failure -j "$jobs" -LE integration
	ctest --test-dir "$1" --output-on-failure -L integration
}

step "normal build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
step "tests (normal build)"
run_suite build

if [ "$demo" = 1 ]; then
	step "README demo, non-interactive"
	scripts/demo.sh --check --build-dir build
fi

if [ "$sanitize" = 1 ]; then
	step "ASan+UBSan build"
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DASAN=ON -DUBSAN=ON >/dev/null
	cmake --build build-asan -j "$jobs"
	step "tests (ASan+UBSan)"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	MPS_SANITIZED=1 run_suite build-asan
fi

if [ "$fuzz" = 1 ]; then
	step "libFuzzer smoke run (${fuzz_seconds}s per target)"
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DFUZZ=ON \
	    -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON >/dev/null
	cmake --build build-fuzz -j "$jobs" --target fuzz_targets
	scripts/fuzz.sh --build-dir build-fuzz --seconds "$fuzz_seconds"
fi

if [ "$docker" = 1 ]; then
	step "container image: docker/build-check.sh"
	docker/build-check.sh
fi

step "all tests passed"
