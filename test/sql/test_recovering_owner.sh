#!/bin/bash
# test_recovering_owner.sh — autostart waits for an owner that is still
# recovering, on a throwaway PostgreSQL 15 cluster.
#   test/sql/test_recovering_owner.sh BUILD
# An owner takes DIR/pulsorad.lock and writes DIR/pulsorad.pid before it
# opens the store (crash recovery included) and only then its socket
# (src/server/main.c).  A query that comes in between finds no socket; the
# extension then starts a pulsorad of its own, which fails on the lock, and
# must keep waiting as long as the pid file names a live process (up to
# 120 s, src/fdw/owner.c), then succeed on the recovering owner instead of
# failing with "pulsorad exited" naming its pid.
# The state is produced without any hook in pulsorad: the owner is killed
# with kill -9 while a transaction's 1,000,000-row INSERT is in flight, so
# the next open has a load to roll back; the next owner is started by hand
# with the LD_PRELOAD shim test/sql/stop_after_pid_file.c, which stops it
# (SIGSTOP) right after its pid file is in place: lock held, pid file
# written, store not yet opened, no socket.  Two sessions then query; once
# both have waited 3 s the owner gets SIGCONT, recovers, and both queries
# must return the committed rows only, with exactly one pulsorad running.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/../lib.sh"
in_cluster bash "$0" "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)

ROWS=200000
INFLIGHT=1000000
BINDIR=$(pg_config --bindir)
DIR=$(pg_data_dir recovering)
T=$(pg_data_dir recovering_tmp)		# the shim must be readable by postgres
SESSION=""
STOPPED=""
WAITERS=""
owner_pid() { cat "$DIR/pulsorad.pid" 2>/dev/null; }
cleanup() {
	exec 5>&- 2>/dev/null
	[ -n "$SESSION" ] && kill "$SESSION" 2>/dev/null
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$WAITERS" ] && kill $WAITERS 2>/dev/null
	[ -n "$STOPPED" ] && { kill -CONT "$STOPPED"; kill -9 "$STOPPED"; } 2>/dev/null
	pid=$(owner_pid)
	[ -n "$pid" ] && { kill -CONT "$pid"; kill -9 "$pid"; } 2>/dev/null
	rm -rf "$DIR" "$T"
}
trap cleanup EXIT

# Every pulsorad of the directory (pgrep -f: its command line).
owners() { pgrep -f -- "pulsorad -D $DIR( |\$)" | sort | tr '\n' ' ' | sed 's/ $//'; }
no_owner_left() { [ -z "$(owners)" ]; }
owner_gone() { ! kill -0 "$1" 2>/dev/null; }
proc_state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1; }
# The owner started by hand has written its pid file and stopped itself.
stopped_owner() {
	STOPPED=$(owner_pid)
	[ -n "$STOPPED" ] && [ "$(proc_state "$STOPPED")" = T ]
}
# waiting NAME: the session NAME has run its statement for 3 s and it has
# not returned.
waiting() {
	[ -n "$(q "SELECT pid FROM pg_stat_activity WHERE application_name = '$1' AND state = 'active'
	             AND clock_timestamp() - query_start > interval '3 s'")" ] &&
		[ ! -e "$T/$1.rc" ]
}
ended() { [ -e "$T/$1.rc" ]; }

if ! cc -shared -fPIC -Wall -Wextra -Werror -o "$T/stop_after_pid_file.so" \
	"$HERE/stop_after_pid_file.c" -ldl 2>"$T/cc.err"; then
	cat "$T/cc.err"; fail "the LD_PRELOAD shim builds"; finish; exit 1
fi
chmod 0755 "$T/stop_after_pid_file.so"

q "CREATE EXTENSION pulsora;
   CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$DIR', autostart 'true');
   CREATE FOREIGN TABLE ft (ts timestamptz, n bigint) SERVER s;
   INSERT INTO ft SELECT timestamptz '2024-01-01' + i * interval '1 ms', i FROM generate_series(1, $ROWS) i;" ||
	{ fail "set-up"; finish; exit 1; }
EXPECTED="$ROWS|$((ROWS * (ROWS + 1) / 2))"
check "set-up rows" "$EXPECTED" "$(q "SELECT count(*), sum(n) FROM ft")"
FIRST=$(owner_pid)
check "the extension started an owner" autostart "$(q "SELECT kind FROM pulsora_status('s')")"

# ---------------------------------------------------------------- an interrupted load
# A transaction's INSERT has sent all its rows (its sealed blocks are written
# and journaled, the load is in flight) when the owner is killed.
session_start inflight
say "BEGIN;"
say "INSERT INTO ft SELECT timestamptz '2024-02-01' + i * interval '1 ms', i FROM generate_series(1, $INFLIGHT) i;"
say "\\echo inserted"
if wait_for 1200 seen "inserted"; then ok "a $INFLIGHT-row INSERT is in flight"; else fail "a $INFLIGHT-row INSERT is in flight"; fi
check "the owner holds one load in flight" 1 "$(q "SELECT open_loads FROM pulsora_status('s')")"
kill -9 "$FIRST"
wait_for 100 owner_gone "$FIRST" || fail "the owner dies on kill -9"
session_end		# its transaction aborts with the connection gone
if wait_for 100 no_owner_left; then ok "no owner runs after the kill"; else fail "no owner runs after the kill (left: $(owners))"; fi

# ---------------------------------------------------------------- an owner still recovering
# Started by hand as the cluster's user, like an owner started by an
# operator or another cluster; the shim stops it just after its pid file.
as_cluster_user env LD_PRELOAD="$T/stop_after_pid_file.so" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	setsid -f "$BINDIR/pulsorad" -D "$DIR" --no-rest --log-file "$DIR/manual.log" \
	</dev/null >/dev/null 2>&1
if wait_for 300 stopped_owner; then
	ok "the new owner stops after writing its pid file"
else
	fail "the new owner stops after writing its pid file (pid '$(owner_pid)', state '$(proc_state "$(owner_pid)")')"
	finish; exit 1
fi
if flock -n "$DIR/pulsorad.lock" true; then
	fail "the stopped owner holds the data directory's lock"
else
	ok "the stopped owner holds the data directory's lock"
fi
# The killed owner's socket file is still there: nothing listens on it.
"$BUILD/pulsora-cli" -D "$DIR" status >"$T/cli.out" 2>&1
check "no owner listens on the socket yet" "1 1" "$? $(grep -c 'no pulsora owner is listening' "$T/cli.out")"

# Two sessions query: the first starts a pulsorad (which finds the lock
# taken) and waits for the recovering owner; the second waits its turn.
t0=$(date +%s%N)
for name in waiter1 waiter2; do
	{ PGAPPNAME=$name timeout 300 psql -XAtq -c "SELECT count(*), sum(n) FROM ft" \
		>"$T/$name.out" 2>&1; echo $? >"$T/$name.rc"; } &
	WAITERS="$WAITERS $!"
done
for name in waiter1 waiter2; do
	if wait_for 300 waiting "$name"; then
		ok "$name waits for the recovering owner"
	else
		fail "$name waits for the recovering owner ($(cat "$T/$name.out" 2>/dev/null))"
	fi
done
check "the extension's own pulsorad found the directory owned by the stopped one" 1 \
	"$(grep -c "data directory $DIR is owned by pulsorad pid $STOPPED\$" "$DIR/pulsorad.log")"
check "the stopped owner is still the only one" "$STOPPED" "$(owners)"

kill -CONT "$STOPPED"
t1=$(date +%s%N)
for name in waiter1 waiter2; do
	wait_for 1500 ended "$name" || fail "$name returns once the owner has recovered"
	echo "# $name returned $((($(date +%s%N) - t1) / 1000000)) ms after SIGCONT"
	check "$name succeeds with the committed rows only" "0 $EXPECTED" \
		"$(cat "$T/$name.rc" 2>/dev/null) $(tr '\n' ' ' <"$T/$name.out" | sed 's/ $//')"
done
# shellcheck disable=SC2086 # a list of pids
wait $WAITERS
WAITERS=""
echo "# the queries waited $((($(date +%s%N) - t0) / 1000000)) ms in all"
check "exactly one pulsorad runs: the recovered one" "$STOPPED" "$(owners)"
check "it serves the extension" "$STOPPED|manual" "$(q "SELECT pid, kind FROM pulsora_status('s')")"
check "the interrupted load left no row" "$EXPECTED" "$(q "SELECT count(*), sum(n) FROM ft")"
finish
