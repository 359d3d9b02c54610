#!/bin/bash
# test_deb.sh — the Debian package of `make deb`: lintian, install with
# dpkg, the files where they belong, the commands in /usr/bin, the extension
# created from the package in a throwaway PostgreSQL 15 cluster and queried
# through foreign tables (over an owner started the way pulsorad@.service
# starts it, and over one the extension autostarts from PostgreSQL's
# bindir), the systemd unit verified, then removal and purge with dpkg.
#   test/pkg/test_deb.sh BUILD        (as root)
# Installing and removing the package overwrites and deletes files that
# `make ext-install` put into PostgreSQL's directories, and later suites
# need them: the run holds /tmp/pulsora-pg.lock, the lock every PostgreSQL
# test run takes, from start to end, saves those files first and puts them
# back at exit, failed or not.  It refuses to run when the package is
# installed for real, which it would remove.
set -u
BUILD=${1:-build}
LOCK=/tmp/pulsora-pg.lock

# lock_held_above: LOCK is held by an ancestor of this shell (a caller's
# `flock -o LOCK ...`, or this script's own re-run below); taking it again
# would wait forever.
lock_held_above() {
	local ino holders p h
	ino=$(stat -c %i "$LOCK" 2>/dev/null) || return 1
	holders=$(awk -v ino="$ino" '$2 == "FLOCK" { n = split($6, f, ":"); if (f[n] == ino) print $5 }' /proc/locks)
	p=$$
	while [ -n "$p" ] && [ "$p" -gt 1 ]; do
		for h in $holders; do [ "$h" = "$p" ] && return 0; done
		p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
	done
	return 1
}
lock_held_above || exec flock -o "$LOCK" bash "$0" "$@"

. "$(dirname "$0")/../lib.sh"
in_cluster bash "$0" "$BUILD"
cd "$(dirname "$0")/../.." || exit 1
BUILD=$(cd "$BUILD" && pwd)

PKG=postgresql-15-pulsora
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
BINDIR=$("$PG_CONFIG" --bindir)
UNIT=/lib/systemd/system/pulsorad@.service
T=$(pg_data_dir pkg)			# the saved files, logs
UNIT_DIR=/var/lib/pulsora/pkgtest-unit-$$
AUTO_DIR=/var/lib/pulsora/pkgtest-auto-$$
HAD_VAR_LIB=""
[ -d /var/lib/pulsora ] && HAD_VAR_LIB=1
OWNER=""

if dpkg-query -W -f '${db:Status-Status}' "$PKG" 2>/dev/null | grep -qx installed; then
	fail "$PKG is installed on this machine; remove it to run this test"; finish; exit 1
fi

# stop_owner DIR: SIGTERM the owner named by DIR's pid file and wait until it is gone.
stop_owner() {
	local pid
	pid=$(cat "$1/pulsorad.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null
	wait_for 300 eval "! kill -0 $pid 2>/dev/null"
}

# restore: remove the package and its test data, put back the files saved
# before the install.  Runs at exit and once before the last checks.
restore() {
	[ -n "$OWNER" ] && kill "$OWNER" 2>/dev/null && wait "$OWNER" 2>/dev/null
	OWNER=""
	stop_owner "$UNIT_DIR"
	stop_owner "$AUTO_DIR"
	rm -rf "$UNIT_DIR" "$AUTO_DIR"
	if dpkg-query -W -f '${db:Status-Status}' "$PKG" 2>/dev/null | grep -qvx not-installed; then
		dpkg --purge "$PKG" >>"$T/dpkg.log" 2>&1
	fi
	[ -z "$HAD_VAR_LIB" ] && rmdir /var/lib/pulsora 2>/dev/null
	# File by file: copying directories back would also copy their modes
	# onto the system's.
	[ -f "$T/payload" ] && while read -r f; do
		[ -e "$T/saved$f" ] || [ -L "$T/saved$f" ] || continue
		mkdir -p "$(dirname "$f")" && cp -a "$T/saved$f" "$f"
	done <"$T/payload"
	return 0
}
trap 'restore; rm -rf "$T"' EXIT

# ---------------------------------------------------------------- build
if ! make -s BUILD="$BUILD" deb >"$T/make.log" 2>&1; then
	tail -n 40 "$T/make.log"; fail "make deb"; finish; exit 1
fi
DEB=$(tail -n 1 "$T/make.log")
VERSION=$(dpkg-deb -f "$DEB" Version)
check "make deb names the package after its version" \
	"$BUILD/${PKG}_${VERSION}_$(dpkg --print-architecture).deb" "$DEB"

# lintian: errors and warnings fail; info, pedantic and experimental tags are
# reported only.  Overridden tags carry their reason in the package.
lintian -I --pedantic --show-overrides "$DEB" >"$T/lintian.log" 2>&1
echo "-- lintian:"; cat "$T/lintian.log"
if grep -qE '^[EW]: ' "$T/lintian.log"; then fail "lintian reports errors or warnings"
else ok "lintian: no errors or warnings"; fi

# ---------------------------------------------------------------- install
# What the package will replace, as make ext-install left it.
dpkg-deb --fsys-tarfile "$DEB" | tar -t | sed 's|^\./|/|' >"$T/entries"
grep -v '/$' "$T/entries" >"$T/payload"
while read -r f; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	dpkg -S "$f" >/dev/null 2>&1 && continue
	mkdir -p "$T/saved$(dirname "$f")" && cp -a "$f" "$T/saved$f"
done <"$T/payload"
# The directories the package installs into, as they are: it must leave them so.
dir_modes() { grep '/$' "$T/entries" | xargs stat -c '%n %a %U:%G' 2>/dev/null; }
dir_modes >"$T/dirs.before"

if dpkg -i "$DEB" >"$T/dpkg.log" 2>&1; then ok "dpkg -i"
else cat "$T/dpkg.log"; fail "dpkg -i"; finish; exit 1; fi

dpkg -L "$PKG" >"$T/listed"
for f in "$("$PG_CONFIG" --pkglibdir)/pulsora.so" \
	"$("$PG_CONFIG" --sharedir)/extension/pulsora.control" \
	"$("$PG_CONFIG" --sharedir)/extension/pulsora--0.1.sql" \
	"$BINDIR/pulsorad" "$BINDIR/pulsora-cli" /usr/bin/pulsorad /usr/bin/pulsora-cli \
	/usr/share/man/man1/pulsorad.1.gz /usr/share/man/man1/pulsora-cli.1.gz \
	"/usr/share/doc/$PKG/copyright" "/usr/share/doc/$PKG/changelog.Debian.gz" "$UNIT"; do
	if grep -qxF "$f" "$T/listed" && [ -e "$f" ]; then ok "installed: $f"
	else fail "installed: $f"; fi
done
check "/usr/bin/pulsorad leads to PostgreSQL's bindir" "$BINDIR/pulsorad" "$(readlink -f /usr/bin/pulsorad)"
check "copyright is machine-readable" "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" \
	"$(head -n 1 "/usr/share/doc/$PKG/copyright")"
DEPENDS=$(dpkg-query -W -f '${Depends}' "$PKG")
case "$DEPENDS" in
*librocksdb*postgresql-15* | *postgresql-15*librocksdb*) ok "Depends: shared libraries and postgresql-15 ($DEPENDS)" ;;
*) fail "Depends: shared libraries and postgresql-15 (got '$DEPENDS')" ;;
esac
check "postinst made /var/lib/pulsora for postgres" postgres "$(stat -c %U /var/lib/pulsora 2>/dev/null)"
check "pulsorad --version from /usr/bin" "pulsorad ${VERSION%-*}" "$(/usr/bin/pulsorad --version 2>&1)"
/usr/bin/pulsora-cli --help >/dev/null 2>&1
check "pulsora-cli --help from /usr/bin" 0 "$?"

if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$UNIT" >"$T/verify.log" 2>&1
	rc=$?
	cat "$T/verify.log"
	check "systemd-analyze verify $UNIT" 0 "$rc"
else
	echo "-- systemd-analyze is missing: the unit is not verified"
fi

# ---------------------------------------------------------------- SQL
# An owner as the unit runs it: its ExecStart, with the instance name for
# %i, as its User, on the directory StateDirectory= would create.  REST on a
# free port, not 8080, which other runs may use.
INSTANCE=$(basename "$UNIT_DIR")
EXEC=$(sed -n 's/^ExecStart=//p' "$UNIT" | sed "s/%i/$INSTANCE/g")
USER_=$(sed -n 's/^User=//p' "$UNIT")
install -d -o "$USER_" -g "$USER_" -m 0700 "$UNIT_DIR"
# setpriv execs, as systemd does, so $! is pulsorad itself.
# shellcheck disable=SC2086 # ExecStart is a command line: split it
setpriv --reuid="$USER_" --regid="$USER_" --init-groups -- $EXEC --port "$(free_port)" \
	>"$T/unit-owner.log" 2>&1 &
OWNER=$!
if wait_for 300 test -S "$UNIT_DIR/pulsorad.sock"; then ok "the unit's command line starts an owner as $USER_"
else cat "$T/unit-owner.log"; fail "the unit's command line starts an owner as $USER_"; fi

q "CREATE EXTENSION pulsora" >"$T/sql.log" 2>&1
check "CREATE EXTENSION pulsora from the package" 0 "$?"
check "the extension's version" "$(sed -n "s/^default_version = '\(.*\)'/\1/p" \
	"$("$PG_CONFIG" --sharedir)/extension/pulsora.control")" \
	"$(q "SELECT extversion FROM pg_extension WHERE extname = 'pulsora'")"
q "CREATE SERVER unit_owner FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$UNIT_DIR', autostart 'false');
   CREATE FOREIGN TABLE ticks (ts timestamptz, symbol text, price float8) SERVER unit_owner;
   INSERT INTO ticks VALUES ('2024-01-02 10:00+00', 'AAPL', 1.5), ('2024-01-02 10:01+00', 'IBM', 2.25),
                            ('2024-01-02 10:02+00', 'AAPL', 3)" >>"$T/sql.log" 2>&1
check "a foreign table over the unit's owner" "3|6.75" \
	"$(q "SELECT count(*), sum(price) FROM ticks WHERE ts >= '2024-01-02' AND ts < '2024-01-03'" 2>&1)"
check "pulsora-cli from /usr/bin reads it" 2 \
	"$(runuser -u "$USER_" -- /usr/bin/pulsora-cli -D "$UNIT_DIR" query ticks --series symbol=AAPL | tail -n +2 | wc -l)"
stops_cleanly "the unit's owner stops on SIGTERM" "$OWNER"
OWNER=""

# The extension starts pulsorad from PostgreSQL's bindir, where the package
# put it; it creates its directory under /var/lib/pulsora as postgres.
q "CREATE SERVER auto_owner FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$AUTO_DIR');
   CREATE FOREIGN TABLE bars (ts timestamptz, n bigint) SERVER auto_owner;
   INSERT INTO bars SELECT timestamptz '2024-01-01' + i * interval '1 s', i FROM generate_series(1, 1000) i" \
	>>"$T/sql.log" 2>&1
check "a foreign table over an autostarted owner" "1000|500500" "$(q "SELECT count(*), sum(n) FROM bars" 2>&1)"
check "the autostarted owner is the package's pulsorad" "$BINDIR/pulsorad" \
	"$(readlink "/proc/$(cat "$AUTO_DIR/pulsorad.pid" 2>/dev/null)/exe" 2>/dev/null)"
stop_owner "$AUTO_DIR"
grep -q ERROR "$T/sql.log" && cat "$T/sql.log"

# ---------------------------------------------------------------- remove
if dpkg -r "$PKG" >>"$T/dpkg.log" 2>&1; then ok "dpkg -r"; else cat "$T/dpkg.log"; fail "dpkg -r"; fi
left=""
while read -r f; do
	{ [ -e "$f" ] || [ -L "$f" ]; } && [ ! -d "$f" ] && left="$left $f"
done <"$T/listed"
check "dpkg -r removes the package's files" "" "$left"
check "dpkg -r keeps the data" yes "$([ -f "$UNIT_DIR/pulsora.toml" ] && echo yes)"
dpkg --purge "$PKG" >>"$T/dpkg.log" 2>&1
check "dpkg --purge keeps the data" yes "$([ -f "$UNIT_DIR/pulsora.toml" ] && [ -d "$AUTO_DIR/db" ] && echo yes)"

restore
left=""
while read -r f; do
	[ -e "$T/saved$f" ] || [ -L "$T/saved$f" ] || continue
	cmp -s "$T/saved$f" "$f" || left="$left $f"
done <"$T/payload"
check "make ext-install's files are back" "" "$left"
check "the directories' modes and owners are as before" "" "$(dir_modes | diff "$T/dirs.before" - | grep '^[<>]')"
finish
