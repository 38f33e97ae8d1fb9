#!/usr/bin/env bash
# test_docker_files.sh: cheap checks of docker/ and docker/systemd/ that need
# no container engine (docker/build-check.sh builds and runs the image).
#
#   tests/integration/test_docker_files.sh [BUILD_DIR]
#
# BUILD_DIR (a built tree: server/amt-mps, cli/amt-mps-cli ...) enables the
# checks that run the binaries: the entrypoint's behaviour, the runtime
# library list, systemd-analyze verify of the unit.
# Ends with the line "N passed, N failed, N skipped"; exit 0 when none failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-}
D=$ROOT/docker
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
npass=0 nfail=0 nskip=0

ok() { npass=$((npass + 1)); echo "ok   $*"; }
bad() { nfail=$((nfail + 1)); echo "FAIL $*"; }
skip() { nskip=$((nskip + 1)); echo "skip $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# ---------------------------------------------------------------- shell --
check "entrypoint.sh parses (sh -n)" sh -n "$D/entrypoint.sh"
check "build-check.sh parses (bash -n)" bash -n "$D/build-check.sh"
check "entrypoint.sh is executable" test -x "$D/entrypoint.sh"
check "build-check.sh is executable" test -x "$D/build-check.sh"
if command -v shellcheck >/dev/null; then
	check "shellcheck entrypoint.sh" shellcheck "$D/entrypoint.sh"
	check "shellcheck build-check.sh" shellcheck "$D/build-check.sh"
	check "shellcheck $(basename "$0")" shellcheck "$0"
else
	skip "shellcheck not installed"
fi

# ----------------------------------------------------------- Dockerfile --
F=$D/Dockerfile
check "Dockerfile: ARG BASE_IMAGE=debian:bookworm-slim" \
    grep -qx 'ARG BASE_IMAGE=debian:bookworm-slim' "$F"
# shellcheck disable=SC2016
check "Dockerfile: both stages FROM \${BASE_IMAGE}" \
    test "$(grep -c '^FROM ${BASE_IMAGE}' "$F")" -eq 2
check "Dockerfile: tests off" grep -q -- '-DBUILD_TESTING=OFF' "$F"
check "Dockerfile: RelWithDebInfo" grep -q -- '-DCMAKE_BUILD_TYPE=RelWithDebInfo' "$F"
check "Dockerfile: non-root USER" grep -qx 'USER amt-mps:amt-mps' "$F"
check "Dockerfile: EXPOSE 4433" grep -q '^EXPOSE 4433' "$F"
check "Dockerfile: STOPSIGNAL SIGTERM" grep -qx 'STOPSIGNAL SIGTERM' "$F"
check "Dockerfile: HEALTHCHECK runs amt-mps-cli" \
    grep -A1 '^HEALTHCHECK' "$F" | grep -q 'amt-mps-cli'
check "Dockerfile: volumes /etc/amt-mps and /var/lib/amt-mps" \
    grep -qx 'VOLUME \["/etc/amt-mps", "/var/lib/amt-mps"\]' "$F"

# Every folder the top-level CMakeLists.txt builds, and every path a copied
# CMakeLists.txt reads through CMAKE_SOURCE_DIR, must be copied in.
sources=$(grep '^COPY ' "$F" | grep -v -- '--from' | awk '{ for (i = 2; i < NF; i++) print $i }')
covered() {
	local p=$1 src
	for src in $sources; do
		case $src in
		*/) case $p/ in "$src"*) return 0 ;; esac ;;
		*) [ "$p" = "$src" ] && return 0 ;;
		esac
	done
	return 1
}
layers=$(sed -n 's/^foreach(dir \(.*\))$/\1/p' "$ROOT/CMakeLists.txt" | tr ' ' '\n' | sort -u)
missing=""
for dir in $layers; do
	covered "$dir" || missing="$missing $dir"
done
for dir in $layers; do
	[ -f "$ROOT/$dir/CMakeLists.txt" ] || continue
	while read -r ref; do
		[ -e "$ROOT/${ref:-/nonexistent}" ] || continue
		# Paths outside the repository (../shared, the test fixtures)
		# cannot be in a build context; CMake uses them only if present.
		case "$ref" in ../*) continue ;; esac
		covered "$ref" || missing="$missing $ref"
	done < <(grep -ho 'CMAKE_SOURCE_DIR}/[A-Za-z0-9_./-]*' "$ROOT/$dir/CMakeLists.txt" |
	    sed 's/.*}\///; s/\/$//' | sort -u)
done
# The top-level CMakeLists.txt's own install(FILES ...) rules: cmake
# --install in the build stage fails on any file not copied in.
while read -r ref; do
	[ -e "$ROOT/$ref" ] || continue
	covered "$ref" || missing="$missing $ref"
done < <(awk '/^install\(FILES/ { on = 1 }
    on { line = line " " $0 }
    on && /\)/ { on = 0; sub(/^ *install\(FILES/, "", line); sub(/ (DESTINATION|RENAME|PERMISSIONS|COMPONENT|OPTIONAL).*/, "", line); print line; line = "" }' \
    "$ROOT/CMakeLists.txt" | tr -s ' ' '\n' | grep -v '^\$' | grep .)
if [ -z "$layers" ]; then
	bad "Dockerfile: could not read the layer list of CMakeLists.txt"
elif [ -n "$missing" ]; then
	bad "Dockerfile: COPY misses path(s) the build reads:$missing"
else
	ok "Dockerfile: copies everything the build reads ($(echo "$sources" | tr '\n' ' '))"
fi

# ----------------------------------------------------------- compose ----
C=$D/compose.yaml
if python3 -c 'import yaml' 2>/dev/null; then
	check "compose.yaml: YAML, service amt-mps with port, volumes, tmpfs" python3 - "$C" <<-'EOF'
	import sys, yaml
	s = yaml.safe_load(open(sys.argv[1]))["services"]["amt-mps"]
	assert "4433:4433" in s["ports"]
	assert any(v.endswith(":/etc/amt-mps:ro") for v in s["volumes"])
	assert any(v.endswith(":/var/lib/amt-mps") for v in s["volumes"])
	assert any(t.startswith("/run/amt-mps") for t in s["tmpfs"])
	assert s["read_only"] is True and s["restart"]
	assert s["build"]["dockerfile"] == "docker/Dockerfile"
	EOF
else
	check "compose.yaml: port, volumes, tmpfs (grep)" sh -c \
	    "grep -q '4433:4433' '$C' && grep -q '/etc/amt-mps:ro' '$C' && grep -q '/run/amt-mps' '$C'"
fi

# ----------------------------------------------------------- systemd ----
U=$D/systemd/amt-mps.service
for kv in 'User=amt-mps' 'ExecStartPre=/usr/sbin/amt-mps -t -c /etc/amt-mps/amt-mps.yaml' \
    'ExecStart=/usr/sbin/amt-mps -c /etc/amt-mps/amt-mps.yaml' 'NoNewPrivileges=yes' \
    'ProtectSystem=strict' 'CapabilityBoundingSet=' 'RuntimeDirectory=amt-mps' \
    'StateDirectory=amt-mps' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
    'SystemCallFilter=@system-service'; do
	check "unit: $kv" grep -qxF "$kv" "$U"
done
check "sysusers: user amt-mps" grep -q '^u amt-mps ' "$D/systemd/amt-mps.sysusers"

# ------------------------------------------------- with a built tree ----
if [ -z "$BUILD" ]; then
	skip "no BUILD_DIR: entrypoint, library and systemd-analyze checks"
	echo "$npass passed, $nfail failed, $nskip skipped"
	[ "$nfail" -eq 0 ]
	exit
fi
BUILD=$(cd "$BUILD" && pwd)
mkdir -p "$TMP/bin"
for b in server/amt-mps cli/amt-mps-cli certs/amt-mps-certs; do
	[ -x "$BUILD/$b" ] && ln -s "$BUILD/$b" "$TMP/bin/"
done
export PATH="$TMP/bin:$PATH"

if [ -x "$TMP/bin/amt-mps" ] && [ -x "$TMP/bin/amt-mps-cli" ]; then
	ep() { AMT_MPS_STATE_DIR=$TMP/state AMT_MPS_SOCKET=$TMP/ctl.sock sh "$D/entrypoint.sh" "$@"; }
	out=$(AMT_MPS_CONFIG=$TMP/none.yaml ep 2>&1); rc=$?
	check "entrypoint: no config -> instructions, exit 78" \
	    sh -c "[ $rc -eq 78 ] && echo \"\$1\" | grep -q 'AMT_MPS_DEV=1'" _ "$out"
	out=$(AMT_MPS_CONFIG=$TMP/none.yaml ep -t 2>&1); rc=$?
	check "entrypoint -t: no config -> exit 78" test "$rc" -eq 78
	printf 'listen: [{address: 0.0.0.0, port: 4433}]\nbogus: 1\n' >"$TMP/bad.yaml"
	out=$(AMT_MPS_CONFIG=$TMP/bad.yaml ep 2>&1); rc=$?
	check "entrypoint: bad config -> file:line message, exit 78" \
	    sh -c "[ $rc -eq 78 ] && echo \"\$1\" | grep -q 'bad.yaml:2:'" _ "$out"
	check "entrypoint: a command runs as given" \
	    test "$(AMT_MPS_CONFIG=$TMP/none.yaml ep echo hello 2>/dev/null)" = hello
	check "entrypoint --version" sh -c "AMT_MPS_CONFIG=$TMP/none.yaml sh '$D/entrypoint.sh' --version | grep -q '^amt-mps '"
	out=$(AMT_MPS_CONFIG=$TMP/none.yaml AMT_MPS_DEV=1 ep -t 2>&1); rc=$?
	pw1=$(sed -n 's/^MPS password: //p' "$TMP/state/dev/credentials.txt" 2>/dev/null)
	check "entrypoint AMT_MPS_DEV=1 -t: dev setup passes amt-mps -t" \
	    sh -c "[ $rc -eq 0 ] && [ -n '$pw1' ] && echo \"\$1\" | grep -q 'DEVELOPMENT SETUP'" _ "$out"
	AMT_MPS_CONFIG=$TMP/none.yaml AMT_MPS_DEV=1 ep -t >/dev/null 2>&1
	pw2=$(sed -n 's/^MPS password: //p' "$TMP/state/dev/credentials.txt" 2>/dev/null)
	check "entrypoint AMT_MPS_DEV=1: credentials kept across starts" test -n "$pw1" -a "$pw1" = "$pw2"
	check "entrypoint AMT_MPS_DEV=1: dev files are private (0700 dir)" \
	    test "$(stat -c %a "$TMP/state/dev")" = 700
else
	skip "entrypoint checks: amt-mps or amt-mps-cli not built"
fi

# Each library the binaries link directly comes from a package the runtime
# stage installs (or from libc6/libgcc-s1, which every Debian image has).
if command -v dpkg >/dev/null && command -v readelf >/dev/null; then
	# The lines after the runtime stage's "apt-get install", up to the next "&&".
	runtime_pkgs=$(awk '/^FROM \$\{BASE_IMAGE\}$/ { rt = 1 }
	    rt && /apt-get install/ { on = 1; next }
	    on && /^ *&&/ { on = 0 }
	    on { gsub(/\\/, ""); print }' "$F" | tr -s ' ' '\n' | grep .)
	lost=""
	for b in "$TMP"/bin/* ${BUILD:+"$BUILD/sim/amt-cira-sim"}; do
		[ -x "$b" ] || continue
		for lib in $(readelf -d "$(readlink -f "$b")" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			path=$(ldd "$b" | awk -v l="$lib" '$1 == l { print $3 }')
			[ -n "$path" ] || { lost="$lost $lib(unresolved)"; continue; }
			pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)
			[ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1)
			# Sanitizer runtimes come with ASan/UBSan builds only.
			case $pkg in libc6 | libgcc-s1 | libasan* | libubsan* | liblsan* | libtsan* | libclang-rt*) continue ;; esac
			echo "$runtime_pkgs" | grep -qx "$pkg" || lost="$lost $lib($pkg)"
		done
	done
	if [ -z "$lost" ]; then ok "runtime stage installs every linked library's package"
	else bad "runtime stage lacks packages for:$(echo "$lost" | tr ' ' '\n' | sort -u | tr '\n' ' ')"; fi
else
	skip "library check: dpkg or readelf missing"
fi

if command -v systemd-analyze >/dev/null && [ -x "$TMP/bin/amt-mps" ]; then
	sed "s#/usr/sbin/amt-mps#$TMP/bin/amt-mps#g" "$U" >"$TMP/amt-mps.service"
	check "systemd-analyze verify amt-mps.service" \
	    systemd-analyze verify --man=no "$TMP/amt-mps.service"
	exposure=$(systemd-analyze security --offline=yes "$TMP/amt-mps.service" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	check "systemd-analyze security: exposure ${exposure:-?} below 2.0" \
	    awk -v e="${exposure:-99}" 'BEGIN { exit !(e < 2.0) }'
else
	skip "systemd-analyze checks (not installed or amt-mps not built)"
fi

echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" -eq 0 ]
