#!/usr/bin/env bash
# The main job on built-in defaults: build amt-mps, start it with no
# configuration, connect a simulated AMT fleet, show the fleet and act on a
# device, then keep serving until interrupted.
#
#   scripts/demo.sh [--check] [--count N] [--build-dir DIR]
#
# --check is the non-interactive form (CI): it listens on loopback only,
# verifies what the CLI shows, and exits 0 only if everything was as expected.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

check=0 count=8 bdir=build
while [ $# -gt 0 ]; do
	case "$1" in
	--check) check=1 ;;
	--count) count=$2; shift ;;
	--build-dir) bdir=$2; shift ;;
	*) echo "usage: $0 [--check] [--count N] [--build-dir DIR]" >&2; exit 2 ;;
	esac
	shift
done

if [ ! -x "$bdir/server/amt-mps" ] || [ "$check" = 0 ]; then
	sh scripts/setup-deps.sh
	cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$bdir" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
bdir=$(cd "$bdir" && pwd)
mps=$bdir/server/amt-mps
cli=$bdir/cli/amt-mps-cli
sim=$bdir/sim/amt-cira-sim

# The daemon's built-in defaults keep their state in ./amt-mps-state of the
# directory it starts in; the demo runs it in ./demo-run.
run=$top/demo-run
mkdir -p "$run"
sock=$run/amt-mps-state/control.sock
export AMT_MPS_SOCKET=$sock
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

listen=()
[ "$check" = 1 ] && listen=(-l 127.0.0.1:4433)	# tests bind loopback only
say "starting amt-mps on built-in defaults (log: $run/amt-mps.log)"
(cd "$run" && exec "$mps" "${listen[@]}") >"$run/amt-mps.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	[ -S "$sock" ] && break
	kill -0 "${pids[0]}" 2>/dev/null || { cat "$run/amt-mps.log"; exit 1; }
	sleep 0.1
done
[ -S "$sock" ] || { echo "amt-mps did not create $sock" >&2; cat "$run/amt-mps.log"; exit 1; }
grep -iE 'warn|demo|certificate' "$run/amt-mps.log" | head -n 8 || true

say "connecting $count simulated AMT devices (amt-cira-sim)"
ready=$run/sim.ready
rm -f "$ready"
"$sim" --server 127.0.0.1:4433 --insecure --count "$count" \
    --guid-base 4c4c4544-0042-1000-8033-000000000001 \
    --user mpsuser --password Demo-Pass1 --amt-user admin --amt-password Demo-Pass1 \
    --ready-file "$ready" \
    --summary "$run/sim-summary.json" >"$run/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
	[ -s "$ready" ] && break
	sleep 0.1
done

say "amt-mps-cli devices"
"$cli" devices

n=$("$cli" --json devices | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))')
if [ "$n" != "$count" ]; then
	echo "demo: expected $count devices, the MPS shows $n" >&2
	exit 1
fi
first=$("$cli" --json devices | python3 -c 'import json,sys; print(json.load(sys.stdin)["devices"][0]["guid"])')

say "amt-mps-cli show $first"
"$cli" show "$first"

second=$("$cli" --json devices | python3 -c 'import json,sys; print(json.load(sys.stdin)["devices"][1]["guid"])')

say "amt-mps-cli power $first status / cycle / status"
"$cli" power "$first" status
"$cli" power "$first" cycle
"$cli" power "$first" status

say "amt-mps-cli info $first"
"$cli" info "$first"

say "amt-mps-cli pxeboot $second (next boot from the network, then reset)"
"$cli" pxeboot "$second"

say "amt-mps-cli power --all status"
"$cli" power --all status

say "amt-mps-cli stats"
"$cli" stats

if [ "$check" = 1 ]; then
	echo "demo: OK ($n devices connected)"
	exit 0
fi
say "amt-mps is serving; try: AMT_MPS_SOCKET=$sock $cli watch   (Ctrl-C stops the demo)"
wait "${pids[0]}"
