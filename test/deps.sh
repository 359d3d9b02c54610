#!/bin/sh
# Installs the Debian packages Pulsora needs, only those that are missing.
# Used by `make deps` (and so by `make run`, `make check`, `make bench`).
set -e
PKGS="gcc make pkg-config python3 curl procps
postgresql-15 postgresql-client-15 postgresql-server-dev-15 postgresql-common
librocksdb-dev libcsv-dev liblz4-dev libmicrohttpd-dev libgnutls28-dev libjansson-dev libcmocka-dev
openssl
dpkg-dev lintian systemd
clang libclang-rt-14-dev valgrind wrk gnuplot-nox tzdata"
missing=""
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
