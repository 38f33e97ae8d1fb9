#!/bin/sh
# Installs every Debian 12 package amt-mps needs to build, test, fuzz and
# benchmark.  Idempotent: packages already present are left alone, and apt is
# not touched at all when nothing is missing.
#
# Some tests need a program rather than a library and fail (never skip) when
# it is missing, so its package must be listed here: man-db (man) and
# groff-base (groff, with the utf8 device) for the man page checks
# (tests/integration/check_man.cmake), openssl for the certificate tests.
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev llvm
libssl-dev openssl libevent-dev libxml2-dev libjansson-dev libyaml-dev
libcurl4-openssl-dev libcmocka-dev python3 procps iproute2 man-db groff-base
amtterm wsl wget uuid-runtime"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "setup-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
