#!/bin/sh
# run_regress.sh — the PostgreSQL regression suite of the extension pulsora.
#
#   test/pg/run_regress.sh [TEST ...]      (default: every sql/*.sql test and
#                                           every test/pg/specs/*.spec)
#
# Needs the extension and pulsorad installed (make ext-install).  Creates a
# throwaway cluster with Debian's pg_virtualenv (-t: in a temporary
# directory, so concurrent runs never share /etc/postgresql), runs
# pg_regress over sql/*.sql against expected/*.out and pg_isolation_regress
# over test/pg/specs/*.spec against test/pg/expected/*.out, and prints
# "N passed, N failed" (one per test) as its last line; exits non-zero on
# any failure.  Every test uses its own database and its own data directory
# /tmp/pulsora_regress/<test>, created fresh here and owned by the cluster's
# OS user (postgres), who also runs the pulsorad the tests start.  Diffs of
# failed tests are printed, and the output directory is kept only when a
# test failed.  For the test manual_owner a pulsorad is started by hand
# (REST on a free port) before the run and stopped after it.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
PGXS_DIR=$(dirname "$("$PG_CONFIG" --pgxs)")/../..
PG_REGRESS=$PGXS_DIR/src/test/regress/pg_regress
PG_ISOLATION_REGRESS=$PGXS_DIR/src/test/isolation/pg_isolation_regress
DATA=/tmp/pulsora_regress
OUT=$(mktemp -d /tmp/pulsora_regress_out.XXXXXX)

fail_setup() {
	echo "run_regress: $1" >&2
	echo "0 passed, 1 failed"
	exit 1
}

[ -x "$PG_REGRESS" ] || fail_setup "pg_regress not found at $PG_REGRESS"
[ -x "$BINDIR/pulsorad" ] || fail_setup "$BINDIR/pulsorad missing: run make ext-install"
[ -f "$("$PG_CONFIG" --sharedir)/extension/pulsora.control" ] ||
	fail_setup "extension not installed: run make ext-install"
command -v pg_virtualenv >/dev/null || fail_setup "pg_virtualenv not found (package postgresql-common)"

regress_tests=""
isolation_tests=""
if [ $# -gt 0 ]; then
	for t in "$@"; do
		if [ -f "$ROOT/sql/$t.sql" ]; then
			regress_tests="$regress_tests $t"
		elif [ -f "$HERE/specs/$t.spec" ]; then
			isolation_tests="$isolation_tests $t"
		else
			fail_setup "no test named $t"
		fi
	done
else
	for f in "$ROOT"/sql/*.sql; do
		t=$(basename "$f" .sql)
		case $t in pulsora--*) continue ;; esac
		regress_tests="$regress_tests $t"
	done
	for f in "$HERE"/specs/*.spec; do
		[ -f "$f" ] && isolation_tests="$isolation_tests $(basename "$f" .spec)"
	done
fi

# Fresh data directories, writable by the cluster's user.
rm -rf "$DATA"
mkdir -p "$DATA"
for t in $regress_tests $isolation_tests; do
	mkdir -p "$DATA/$t"
done
chmod -R 0755 "$DATA"
if [ "$(id -u)" = 0 ]; then
	chown -R postgres:postgres "$DATA"
	chmod 0777 "$OUT"
fi

# The test manual_owner needs a pulsorad started by hand, serving REST.
manual_dir=$DATA/manual_owner
manual_pid=""
stop_manual_owner() {
	if [ -n "$manual_pid" ]; then
		kill "$manual_pid" 2>/dev/null
		manual_pid=""
	fi
}
trap stop_manual_owner EXIT
case " $regress_tests " in
*" manual_owner "*)
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + $$ % 20000)))
	as_postgres=""
	[ "$(id -u)" = 0 ] && as_postgres="runuser -u postgres --"
	setsid $as_postgres "$BINDIR/pulsorad" -D "$manual_dir" --port "$port" \
		--log-file "$manual_dir/pulsorad.log" </dev/null >/dev/null 2>&1 &
	for _ in $(seq 1 100); do
		[ -S "$manual_dir/pulsorad.sock" ] && [ -s "$manual_dir/pulsorad.pid" ] && break
		sleep 0.1
	done
	manual_pid=$(cat "$manual_dir/pulsorad.pid" 2>/dev/null)
	[ -n "$manual_pid" ] || fail_setup "pulsorad for $manual_dir did not start (see $manual_dir/pulsorad.log)"
	;;
esac

export PG_REGRESS PG_ISOLATION_REGRESS BINDIR ROOT HERE OUT regress_tests isolation_tests
pg_virtualenv -t sh -c '
	cd "$ROOT" || exit 1
	status=0
	if [ -n "$regress_tests" ]; then
		"$PG_REGRESS" --inputdir="$ROOT" --outputdir="$OUT" --bindir="$BINDIR" \
			--dbname=pulsora_regression $regress_tests || status=1
	fi
	if [ -n "$isolation_tests" ]; then
		mkdir -p "$OUT/isolation"
		"$PG_ISOLATION_REGRESS" --inputdir="$HERE" --outputdir="$OUT/isolation" \
			--bindir="$BINDIR" --dbname=pulsora_isolation $isolation_tests || status=1
	fi
	exit $status
' >"$OUT/run.log" 2>&1
rc=$?
stop_manual_owner
cat "$OUT/run.log"

passed=$(grep -cE '\.\.\. ok' "$OUT/run.log")
failed=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$OUT/run.log")
for diffs in "$OUT/regression.diffs" "$OUT/isolation/regression.diffs"; do
	if [ -s "$diffs" ]; then
		echo "---- $diffs (first 200 lines)"
		head -n 200 "$diffs"
	fi
done
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1				# the run itself broke (cluster, pg_regress)
fi
if [ "$failed" -eq 0 ]; then
	rm -rf "$OUT"
else
	echo "output kept in $OUT"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
