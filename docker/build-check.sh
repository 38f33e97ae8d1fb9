#!/usr/bin/env bash
# docker/build-check.sh: build docker/Dockerfile and check the image, on a
# machine that has no Docker engine and reaches no container registry, only
# the Debian archive that apt is configured with.
#
#   docker/build-check.sh [--rebuild-base] [--keep-going] [--no-run]
#   docker/build-check.sh --clean     remove the images this made, then exit
#
# Phases (each one timed, a summary at the end):
#   deps     install podman, buildah and debootstrap with apt-get if missing
#   base     debootstrap a minimal bookworm rootfs from the host's own Debian
#            mirror, give it the host's apt sources and Acquire options, import
#            it as $BASE_IMAGE (kept: later runs skip this phase)
#   build    buildah bud --isolation chroot of docker/Dockerfile on that base
#   static   binaries, libraries, user, image metadata (healthcheck, user,
#            port, stop signal, volumes), entrypoint without a config
#   config   the example configuration passes `amt-mps -t` inside the image
#   run      the container in development mode: healthy, simulated devices
#            connect, SIGHUP reload, SIGTERM clean exit (podman run
#            --network none, read-only root, as docker/compose.yaml)
#   unit     docker/systemd/amt-mps.service under systemd booted in podman:
#            missing config refused, start, devices, reload, stop
#
# Environment: IMAGE (default localhost/amt-mps:test), BASE_IMAGE (default
# localhost/debian:bookworm), BUILD_JOBS (default 2), BUILD_TIMEOUT seconds
# (default 2400).  Must run as root (or with sudo available).
# Exit status: 0 all checks passed, 1 a check failed, 2 usage, 77 a tool
# this needs cannot be had here.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${IMAGE:-localhost/amt-mps:test}
BASE_IMAGE=${BASE_IMAGE:-localhost/debian:bookworm}
IMAGE_UNIT=${IMAGE%:*}-systemd:test
BUILD_JOBS=${BUILD_JOBS:-2}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-2400}
SUITE=bookworm
REBUILD_BASE=0
KEEP_GOING=0
DO_RUN=1
CLEAN=0

for arg in "$@"; do
	case $arg in
	--rebuild-base) REBUILD_BASE=1 ;;
	--keep-going) KEEP_GOING=1 ;;
	--no-run) DO_RUN=0 ;;
	--clean) CLEAN=1 ;;
	-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "build-check: unknown argument: $arg" >&2; exit 2 ;;
	esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "build-check: needs root" >&2; exit 77; }
	SUDO=sudo
fi

if [ "$CLEAN" -eq 1 ]; then
	# Also the untagged layers that --layers keeps as the build cache.
	$SUDO podman rmi -f "${IMAGE%:*}-systemd:test" "$IMAGE" "$BASE_IMAGE" 2>/dev/null || true
	$SUDO podman image prune -f >/dev/null
	$SUDO podman system df >&2
	exit 0
fi

TAG="amt-mps-check-$$"
WORK=$(mktemp -d /tmp/amt-mps-build-check.XXXXXX)
FAILED=0
PHASES=()
declare -A SECS=() RESULT=()

log() { printf '\n=== build-check: %s\n' "$*" >&2; }
fail() {
	printf 'build-check: FAIL: %s\n' "$*" >&2
	FAILED=$((FAILED + 1))
	[ "$KEEP_GOING" -eq 1 ] || exit 1
}
pass() { printf 'build-check: ok: %s\n' "$*" >&2; }

cleanup() {
	local rc=$?
	pm rm -f -v -t 0 "$TAG" >/dev/null 2>&1 || true
	pm rm -f -v -t 0 "$TAG-unit" >/dev/null 2>&1 || true
	if [ -d "$WORK/rootfs" ]; then
		# debootstrap may leave /proc or /sys mounted on failure.
		for m in proc sys dev/pts dev; do
			if mountpoint -q "$WORK/rootfs/$m" 2>/dev/null; then
				$SUDO umount -l "$WORK/rootfs/$m" || true
			fi
		done
	fi
	$SUDO rm -rf "$WORK"
	summary
	exit "$rc"
}

summary() {
	local p
	[ "${#PHASES[@]}" -gt 0 ] || return 0
	printf '\nbuild-check: timings\n' >&2
	for p in "${PHASES[@]}"; do
		printf '  %-8s %7ss  %s\n' "$p" "${SECS[$p]:--}" "${RESULT[$p]:-interrupted}" >&2
	done
	if [ "${RESULT[build]:-}" = ok ] && pm image exists "$IMAGE" 2>/dev/null; then
		printf '  image    %s  %s\n' "$IMAGE" \
		    "$(pm image inspect --format '{{.Size}}' "$IMAGE" |
		    awk '{printf "%.1f MB", $1 / 1e6}')" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# phase NAME FUNCTION: run and time one phase.
phase() {
	local name=$1 t0 t1 before=$FAILED
	PHASES+=("$name")
	log "phase $name"
	t0=$(date +%s.%N)
	"$2"
	t1=$(date +%s.%N)
	SECS[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	if [ "$FAILED" -eq "$before" ]; then RESULT[$name]=ok; else RESULT[$name]=FAILED; fi
	[ -n "${SKIPPED:-}" ] && RESULT[$name]="skipped: $SKIPPED"
	SKIPPED=""
}

# ------------------------------------------------------------------ deps --
phase_deps() {
	local need="" p
	# runc: crun refuses hybrid cgroup v1/v2 hosts (this one is).
	for p in podman buildah debootstrap runc; do
		command -v "$p" >/dev/null || need="$need $p"
	done
	if [ -n "$need" ]; then
		echo "installing:$need" >&2
		export DEBIAN_FRONTEND=noninteractive
		$SUDO apt-get update -qq
		# shellcheck disable=SC2086
		$SUDO apt-get install -y -qq --no-install-recommends $need \
		    fuse-overlayfs uidmap slirp4netns netavark aardvark-dns \
		    >"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log" >&2; exit 77; }
	fi
	[ -n "$need" ] || SKIPPED="already installed"
}

# podman without systemd logs an error about healthcheck timers for every
# container that has a healthcheck: noise here, the checks run it by hand.
pm() {
	$SUDO timeout "${PM_TIMEOUT:-300}" podman "$@" \
	    2> >(grep -v 'get systemd connection' >&2)
}

# Options every `podman run` here needs.  Without CAP_SYS_RESOURCE (a
# sandbox) podman's default rlimits (nofile 1048576, nproc 4194304) cannot
# be set: ask for the current soft limit of open files and a modest nproc.
# No automatic healthcheck timer (it needs systemd); the checks run it.
RUN_OPTS=()
podman_runtime() {
	local rt
	for rt in "" runc; do
		RUN_OPTS=(--ulimit "nofile=$(ulimit -n):$(ulimit -n)"
		    --ulimit nproc=4096:4096 --health-interval disable)
		[ -n "$rt" ] && RUN_OPTS=(--runtime "$rt" "${RUN_OPTS[@]}")
		if pm run --rm --network none --pull=never \
		    "${RUN_OPTS[@]}" "$IMAGE" true >/dev/null 2>&1; then
			return 0
		fi
	done
	RUN_OPTS=()
	return 1
}

# ------------------------------------------------------------------ base --
# The host's Debian archive, as apt sees it: " 500 URI SUITE/main ARCH ...".
host_repos() {
	apt-cache policy 2>/dev/null |
	    awk -v s="$SUITE" '$1 ~ /^[0-9]+$/ && $2 ~ /^[a-z]+:\/\// {
		split($3, a, "/")
		if (a[2] == "main" && (a[1] == s || a[1] == s "-updates" ||
		    a[1] == s "-security"))
			print $2, a[1]
	    }' | sort -u
}

phase_base() {
	local mirror rootfs=$WORK/rootfs
	if [ "$REBUILD_BASE" -eq 0 ] && pm image exists "$BASE_IMAGE"; then
		SKIPPED="$BASE_IMAGE already imported (--rebuild-base redoes it)"
		return
	fi
	if [ -z "$(host_repos)" ]; then
		$SUDO apt-get update -qq
	fi
	mirror=$(host_repos | awk -v s="$SUITE" '$2 == s { print $1; exit }')
	[ -n "$mirror" ] || {
		echo "build-check: apt knows no Debian $SUITE/main archive" >&2
		exit 77
	}
	echo "debootstrap $SUITE from $mirror" >&2
	$SUDO timeout 1200 debootstrap --variant=minbase "$SUITE" "$rootfs" \
	    "$mirror" >"$WORK/debootstrap.log" 2>&1 || {
		tail -30 "$WORK/debootstrap.log" >&2
		fail "debootstrap"
		return
	}

	# apt inside the image reaches the archive exactly as the host does:
	# same URIs for bookworm, -updates and -security, same Acquire options
	# (e.g. Check-Valid-Until when the archive is a snapshot).
	$SUDO rm -f "$rootfs/etc/apt/sources.list"
	host_repos | awk '
	    { s[$1] = s[$1] (s[$1] == "" ? "" : " ") $2; if (!($1 in seen)) { seen[$1]; o[++n] = $1 } }
	    END { for (i = 1; i <= n; i++) printf "Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n", o[i], s[o[i]] }' |
	    $SUDO tee "$rootfs/etc/apt/sources.list.d/debian.sources" >/dev/null
	apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy|Retries) ' |
	    $SUDO tee "$rootfs/etc/apt/apt.conf.d/90host-archive" >/dev/null || true
	# What debian:bookworm-slim also does: no documentation, man pages or
	# translations (now or from later installs), no apt caches.
	$SUDO tee "$rootfs/etc/dpkg/dpkg.cfg.d/90slim" >/dev/null <<-'EOF'
	path-exclude /usr/share/doc/*
	path-include /usr/share/doc/*/copyright
	path-exclude /usr/share/man/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/locale/*
	path-exclude /usr/share/groff/*
	path-exclude /usr/share/linda/*
	path-exclude /usr/share/lintian/*
	EOF
	$SUDO find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright \
	    -not -type d -delete
	$SUDO rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
	    "$rootfs"/usr/share/locale/* "$rootfs"/var/cache/apt/archives/*.deb \
	    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log \
	    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/debconf/*-old
	cat "$rootfs/etc/apt/sources.list.d/debian.sources" >&2

	$SUDO tar -C "$rootfs" --numeric-owner -c . |
	    $SUDO timeout 600 podman import -q --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null ||
	    { fail "podman import"; return; }
	echo "base image: $BASE_IMAGE ($(pm image inspect --format '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.1f MB", $1 / 1e6}'))" >&2
}

# ----------------------------------------------------------------- build --
phase_build() {
	# --format docker: the OCI format has no HEALTHCHECK.  --network host:
	# the build's apt-get reaches the archive the host's way.  --layers: a
	# rerun with unchanged sources reuses the apt-get layers.
	if ! $SUDO timeout "$BUILD_TIMEOUT" buildah bud --isolation chroot \
	    --network host --layers --format docker --pull=never \
	    --build-arg BASE_IMAGE="$BASE_IMAGE" \
	    --build-arg BUILD_JOBS="$BUILD_JOBS" \
	    -f "$ROOT/docker/Dockerfile" -t "$IMAGE" "$ROOT" \
	    >"$WORK/build.log" 2>&1; then
		tail -40 "$WORK/build.log" >&2
		fail "image build (buildah bud)"
		exit 1
	fi
	grep -E '^(STEP|COMMIT|Successfully)' "$WORK/build.log" | tail -4 >&2
	pass "built $IMAGE"
}

# in_image [PODMAN-RUN-OPTIONS --] CMD...: run a command in a throwaway
# container with no network.
in_image() {
	local opts=()
	if [[ " $* " == *" -- "* ]]; then
		while [ "$1" != "--" ]; do opts+=("$1"); shift; done
		shift
	fi
	PM_TIMEOUT=120 pm run --rm --network none --pull=never \
	    "${RUN_OPTS[@]}" "${opts[@]}" "$IMAGE" "$@"
}

# ---------------------------------------------------------------- static --
phase_static() {
	local out version want rc
	if ! podman_runtime; then
		pm run --rm --network none --pull=never "$IMAGE" true || true
		fail "podman run works with neither its default runtime nor runc"
		exit 1
	fi
	echo "podman run ${RUN_OPTS[*]}" >&2
	want=$(sed -n 's/^project(amt-mps VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
	version=$(in_image amt-mps --version) || true
	if [ "$version" = "amt-mps $want" ]; then pass "amt-mps --version: $version"
	else fail "amt-mps --version printed '$version', want 'amt-mps $want'"; fi

	if in_image amt-mps-cli --help >/dev/null; then pass "amt-mps-cli --help"
	else fail "amt-mps-cli --help"; fi
	if in_image amt-mps-certs --help >/dev/null; then pass "amt-mps-certs --help"
	else fail "amt-mps-certs --help"; fi
	if in_image amt-cira-sim --help >/dev/null 2>&1; then pass "amt-cira-sim --help"
	else fail "amt-cira-sim --help"; fi

	# shellcheck disable=SC2016
	out=$(in_image sh -c 'id -u; id -g; id -un; for b in /usr/sbin/amt-mps /usr/bin/amt-mps-cli /usr/bin/amt-mps-certs /usr/bin/amt-cira-sim; do ldd "$b"; done | grep "not found" || true')
	if [ "$(echo "$out" | sed -n 1,3p | tr '\n' ' ')" = "10001 10001 amt-mps " ]; then
		pass "runs as amt-mps (10001:10001)"
	else fail "user: $out"; fi
	if echo "$out" | grep -q 'not found'; then fail "missing libraries: $out"
	else pass "every shared library resolves"; fi

	# shellcheck disable=SC2016
	out=$(pm image inspect --format \
	    '{{.Config.User}}|{{.Config.StopSignal}}|{{range $k, $v := .Config.ExposedPorts}}{{$k}} {{end}}|{{range $k, $v := .Config.Volumes}}{{$k}} {{end}}|{{.Config.Healthcheck.Test}}|{{.Config.Entrypoint}}' \
	    "$IMAGE")
	echo "image config: $out" >&2
	case $out in
	"amt-mps:amt-mps|SIGTERM|4433/tcp |/etc/amt-mps /var/lib/amt-mps |"*amt-mps-cli*"|[/usr/local/bin/amt-mps-entrypoint]")
		pass "image metadata: user, stop signal, port, volumes, healthcheck, entrypoint" ;;
	*) fail "image metadata" ;;
	esac

	rc=0
	out=$(in_image 2>&1) || rc=$?
	if [ "$rc" -eq 78 ] && echo "$out" | grep -q 'no configuration file'; then
		pass "without a config the entrypoint explains and exits 78"
	else
		echo "$out" >&2
		fail "entrypoint without config: exit $rc"
	fi
}

# ---------------------------------------------------------------- config --
phase_config() {
	local etc=$WORK/etc out
	mkdir -p "$etc"
	chmod 0777 "$etc"
	# The shipped examples plus a certificate made by the image's own
	# amt-mps-certs, mounted read-only where a real deployment has them.
	if ! in_image -v "$etc:/out" -- sh -c '
	    cp /usr/share/doc/amt-mps/examples/amt-mps.yaml.example /out/amt-mps.yaml &&
	    cp /usr/share/doc/amt-mps/examples/devices.yaml.example /out/devices.yaml &&
	    amt-mps-certs init --dir /out --cn mps.example.org >/dev/null'; then
		fail "copying the examples / amt-mps-certs init"
		return
	fi
	if out=$(in_image -v "$etc:/etc/amt-mps:ro" -- -t 2>&1); then
		pass "example configuration: $(echo "$out" | tail -1)"
	else
		echo "$out" >&2
		fail "example configuration does not pass amt-mps -t"
	fi
	# A broken file is refused before the daemon starts.
	printf 'listen: [{address: 0.0.0.0, port: 4433}]\nno_such_key: 1\n' \
	    >"$etc/amt-mps.yaml"
	chmod 0644 "$etc/amt-mps.yaml"
	rc=0
	out=$(in_image -v "$etc:/etc/amt-mps:ro" -- 2>&1) || rc=$?
	if [ "$rc" -eq 78 ] && echo "$out" | grep -q 'amt-mps.yaml:2:'; then
		pass "a bad config is refused with file:line ($(echo "$out" | grep -m1 'amt-mps.yaml:2:'))"
	else
		echo "$out" >&2
		fail "bad config: exit $rc"
	fi
}

# ------------------------------------------------------------------- run --
# wait_for SECONDS CMD...: retry CMD every half second.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}

phase_run() {
	local state=$WORK/state out rc t0 t1 pw
	if [ "$DO_RUN" -eq 0 ]; then SKIPPED="--no-run"; return; fi
	mkdir -p "$state"
	chown 10001:10001 "$state"
	# Read-only root, tmpfs for the socket, state on a volume, no network:
	# what docker/compose.yaml does, minus the published port (and without
	# Podman's own tmpfs on /run, which Docker does not have).
	if ! pm run -d --name "$TAG" --network none --pull=never \
	    "${RUN_OPTS[@]}" \
	    --read-only --read-only-tmpfs=false --cap-drop ALL \
	    --security-opt no-new-privileges \
	    --tmpfs /run/amt-mps:rw,mode=1777,size=1m \
	    --tmpfs /tmp:rw,mode=1777,size=16m \
	    -v "$state:/var/lib/amt-mps" \
	    -e AMT_MPS_DEV=1 "$IMAGE" >/dev/null; then
		fail "podman run"
		return
	fi
	if wait_for 30 pm exec "$TAG" amt-mps-cli stats; then
		pass "daemon answers on its control socket (amt-mps-cli stats)"
	else
		pm logs "$TAG" 2>&1 | tail -20 >&2
		fail "control socket never answered"
		return
	fi
	pm logs "$TAG" 2>&1 | head -20 >&2
	if pm logs "$TAG" 2>&1 | grep -q 'DEVELOPMENT SETUP'; then
		pass "development mode warns loudly"
	else fail "no development warning in the log"; fi
	if [ -s "$state/dev/credentials.txt" ] && [ -s "$state/dev/amt-mps.yaml" ]; then
		pass "dev setup written to the state volume"
	else fail "no dev setup in the state volume"; fi

	if pm healthcheck run "$TAG" >/dev/null 2>&1; then
		pass "HEALTHCHECK reports healthy"
	else fail "HEALTHCHECK failed"; fi

	# Three simulated AMT devices inside the container (no network) dial
	# the daemon over TLS with the generated credentials and trust the
	# generated root: CIRA works end to end in the image.
	pw=$(sed -n 's/^MPS password: //p' "$state/dev/credentials.txt")
	pm exec -d "$TAG" amt-cira-sim --server 127.0.0.1:4433 --count 3 \
	    --user mpsuser --password "$pw" --ca /var/lib/amt-mps/dev/root.crt \
	    --reconnect --duration 60 >/dev/null
	if wait_for 30 sh -c "$SUDO podman exec $TAG amt-mps-cli --json devices 2>/dev/null |
	    grep -o '\"guid\"' | wc -l | grep -qx 3"; then
		pass "3 simulated devices connected through TLS + APF"
	else
		pm exec "$TAG" amt-mps-cli devices >&2 || true
		pm logs "$TAG" 2>&1 | tail -10 >&2
		fail "simulated devices did not connect"
	fi

	pm kill --signal HUP "$TAG" >/dev/null
	if wait_for 10 sh -c "$SUDO podman logs $TAG 2>&1 | grep -q 'event=reloaded'" &&
	    pm exec "$TAG" amt-mps-cli --json devices | grep -o '"guid"' |
	    wc -l | grep -qx 3; then
		pass "SIGHUP reloads, the 3 tunnels stay up"
	else
		pm logs "$TAG" 2>&1 | tail -5 >&2
		fail "SIGHUP reload"
	fi

	t0=$SECONDS
	pm stop -t 20 "$TAG" >/dev/null
	t1=$SECONDS
	rc=$(pm inspect --format '{{.State.ExitCode}}' "$TAG")
	if [ "$rc" -eq 0 ] && [ $((t1 - t0)) -lt 20 ]; then
		pass "SIGTERM with tunnels up: clean exit 0 after $((t1 - t0)) s"
	else
		pm logs "$TAG" 2>&1 | tail -5 >&2
		fail "SIGTERM: exit $rc after $((t1 - t0)) s"
	fi

	# A restart reuses the state volume: same credentials, same certificate.
	out=$(cat "$state/dev/credentials.txt")
	pm start "$TAG" >/dev/null
	if wait_for 30 pm exec "$TAG" amt-mps-cli stats &&
	    [ "$out" = "$(cat "$state/dev/credentials.txt")" ]; then
		pass "restart on the same volume keeps the dev setup"
	else fail "restart"; fi
	pm rm -f -v -t 20 "$TAG" >/dev/null
}

# ------------------------------------------------------------------ unit --
# docker/systemd/amt-mps.service under a real systemd 252: the image plus
# Debian's systemd, booted by podman (--privileged: the unit's own sandbox
# needs mount and user namespaces inside the container).
phase_unit() {
	local ctx=$WORK/unit out u=$TAG-unit
	if [ "$DO_RUN" -eq 0 ]; then SKIPPED="--no-run"; return; fi
	mkdir -p "$ctx"
	cp "$ROOT/docker/systemd/amt-mps.service" "$ROOT/docker/systemd/amt-mps.sysusers" "$ctx/"
	cat >"$ctx/Containerfile" <<-EOF
	FROM $IMAGE
	USER root
	RUN apt-get update && apt-get install -y --no-install-recommends systemd systemd-sysv && rm -rf /var/lib/apt/lists/*
	COPY amt-mps.service /usr/lib/systemd/system/amt-mps.service
	COPY amt-mps.sysusers /usr/lib/sysusers.d/amt-mps.conf
	RUN systemctl enable amt-mps.service && systemctl mask systemd-logind.service getty.target console-getty.service
	HEALTHCHECK NONE
	ENTRYPOINT []
	CMD ["/sbin/init"]
	STOPSIGNAL SIGRTMIN+3
	EOF
	if ! $SUDO timeout 900 buildah bud --isolation chroot --network host \
	    --layers --format docker --pull=never -t "$IMAGE_UNIT" "$ctx" \
	    >"$WORK/unit-build.log" 2>&1; then
		tail -20 "$WORK/unit-build.log" >&2
		fail "building the systemd test image"
		return
	fi
	if ! pm run -d --name "$u" --privileged --network none --pull=never \
	    --systemd=always "${RUN_OPTS[@]}" "$IMAGE_UNIT" >/dev/null; then
		fail "booting systemd in podman"
		return
	fi
	# ush CMD: a shell command inside the booted container.
	ush() { PM_TIMEOUT=60 pm exec "$u" sh -c "$1"; }
	if ! wait_for 60 ush 'systemctl is-system-running | grep -Eq "running|degraded"'; then
		fail "systemd did not come up"
		return
	fi
	# No config yet: ExecStartPre refuses, the unit fails.
	if wait_for 20 ush 'systemctl is-failed amt-mps || journalctl -u amt-mps | grep -q "cannot open"' &&
	    ush 'journalctl -u amt-mps --no-pager | grep -q "amt-mps.yaml: cannot open"'; then
		pass "unit: missing config fails ExecStartPre (amt-mps -t)"
	else
		ush 'journalctl -u amt-mps --no-pager | tail' >&2 || true
		fail "unit: missing config"
	fi
	# shellcheck disable=SC2016
	ush 'pw=Unit-Test-Pw9; h=$(printf %s "$pw" | amt-mps-cli hash-password) &&
	    printf "accept_unknown: true\ndefaults:\n  mps_username: mpsuser\n  mps_password_hash: \"%s\"\n" "$h" >/etc/amt-mps/devices.yaml &&
	    printf "state_dir: /var/lib/amt-mps\ncontrol: {socket: /run/amt-mps/control.sock}\ndevices_file: devices.yaml\n" >/etc/amt-mps/amt-mps.yaml &&
	    chgrp amt-mps /etc/amt-mps/*.yaml && chmod 0640 /etc/amt-mps/*.yaml &&
	    systemctl reset-failed amt-mps && systemctl start amt-mps' || true
	if wait_for 20 ush 'amt-mps-cli stats'; then
		pass "unit: hardened service starts; root's CLI is served"
	else
		ush 'systemctl status amt-mps --no-pager; journalctl -u amt-mps --no-pager | tail -20' >&2 || true
		fail "unit: service did not start"
		return
	fi
	ush '(amt-cira-sim --server 127.0.0.1:4433 --count 2 --password Unit-Test-Pw9 \
	    --ca /var/lib/amt-mps/root.crt --duration 60 >/dev/null 2>&1 &)' || true
	# shellcheck disable=SC2016
	if wait_for 20 ush '[ "$(amt-mps-cli --json devices | grep -o "\"guid\"" | wc -l)" = 2 ]'; then
		pass "unit: 2 simulated devices connected"
	else fail "unit: simulated devices did not connect"; fi
	# shellcheck disable=SC2016
	if ush 'systemctl reload amt-mps && journalctl -u amt-mps --no-pager | grep -q event=reloaded &&
	    [ "$(amt-mps-cli --json devices | grep -o "\"guid\"" | wc -l)" = 2 ]'; then
		pass "unit: systemctl reload (check + SIGHUP), tunnels stay"
	else fail "unit: systemctl reload"; fi
	if ush 'systemctl stop amt-mps && ! systemctl is-failed -q amt-mps &&
	    journalctl -u amt-mps --no-pager | grep -q "reason=\"server shutdown\"" &&
	    [ ! -e /run/amt-mps ]'; then
		pass "unit: systemctl stop: devices told, clean exit, /run/amt-mps removed"
	else
		ush 'systemctl status amt-mps --no-pager' >&2 || true
		fail "unit: systemctl stop"
	fi
	out=$(ush 'systemctl show amt-mps -p User -p NoNewPrivileges -p ProtectSystem -p CapabilityBoundingSet -p PrivateUsers | tr "\n" " "') || true
	echo "unit properties: $out" >&2
	pm rm -f -v -t 5 "$u" >/dev/null
}

phase deps phase_deps
phase base phase_base
phase build phase_build
phase static phase_static
phase config phase_config
phase run phase_run
phase unit phase_unit

if [ "$FAILED" -ne 0 ]; then
	echo "build-check: $FAILED check(s) failed" >&2
	exit 1
fi
echo "build-check: all checks passed" >&2
