#!/bin/bash
# test_cancel.sh — query cancel, statement_timeout and termination reach a
# backend that waits on the owner, on a throwaway PostgreSQL 15 cluster.
#   test/sql/test_cancel.sh BUILD
# The owner (started by the extension) is frozen with kill -STOP, so a
# backend's call to it can only end by being interrupted:
# 1. statement_timeout ends a cursor FETCH waiting for a batch, then (three
#    times) a SELECT whose new connection waits in the handshake; after
#    kill -CONT the same session's next statement reconnects and works, and
#    the backend holds as many sockets as before (the interrupted
#    connections were closed, not leaked).
# 2. pg_cancel_backend ends an INSERT blocked in the middle of a transaction
#    whose earlier INSERT reached the owner, a COPY FROM blocked at its
#    first rows, and a ROLLBACK waiting to abort its load (where interrupts
#    are held: the wait gives up); none of their rows is ever visible, and
#    the session goes on.
# 3. pg_terminate_backend ends a backend blocked in its first connection.
# 4. With the owner healthy, a cancel during a long stream of scans stops it
#    and the session's next query works.
# Each interrupted statement must end within 30 s (it hangs forever when the
# wait ignores interrupts); how fast is reported, not asserted.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/../lib.sh"
in_cluster bash "$0" "$BUILD"

ROWS=200000
DIR=$(pg_data_dir cancel)
T=$(pg_data_dir cancel_tmp)		# the server reads a COPY file from here
SESSION=""
owner_pid() { cat "$DIR/pulsorad.pid" 2>/dev/null; }
cleanup() {
	exec 5>&- 2>/dev/null
	[ -n "$SESSION" ] && kill "$SESSION" 2>/dev/null
	pid=$(owner_pid)
	[ -n "$pid" ] && { kill -CONT "$pid"; kill -9 "$pid"; } 2>/dev/null
	rm -rf "$DIR" "$T"
}
trap cleanup EXIT

ms_now() { echo $(($(date +%s%N) / 1000000)); }

# busy NAME MARKER: sets pid to the backend of application NAME once it has
# run a statement containing MARKER for half a second (with the owner
# stopped, it can only be waiting for it then); fails until then.
busy() {
	pid=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = '$1' AND state = 'active'
	           AND query LIKE '%$2%' AND clock_timestamp() - query_start > interval '0.5 s'")
	[ -n "$pid" ]
}
# expect_busy NAME MARKER WHAT: check that busy NAME MARKER comes true.
expect_busy() {
	if wait_for 300 busy "$1" "$2"; then ok "$3"; return; fi
	fail "$3"
	pid=0
	not_busy "$1"
}
# not_busy NAME: what session NAME was doing instead, for whoever reads the log.
not_busy() {
	q "SELECT state, now() - query_start, wait_event_type, wait_event, query
	     FROM pg_stat_activity WHERE application_name = '$1'" | sed 's/^/#   activity: /'
	tail -n 5 "$T/$1.out" | sed 's/^/#   output: /'
}
# expect_end LINE WHAT: check that the session prints LINE within 30 s
# (it would hang if a wait ignored interrupts); says how long it took.
expect_end() {
	local t0
	t0=$(ms_now)
	if wait_for 300 seen "$1"; then ok "$2 ($(($(ms_now) - t0)) ms)"; else fail "$2 within 30 s"; fi
}
backend_sockets() { find "/proc/$1/fd" -lname 'socket:*' | wc -l; }

q "CREATE EXTENSION pulsora;
   CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$DIR');
   CREATE FOREIGN TABLE ft (ts timestamptz, n bigint) SERVER s;
   INSERT INTO ft SELECT timestamptz '2024-01-01' + i * interval '1 ms', i FROM generate_series(1, $ROWS) i;" ||
	{ fail "set-up"; finish; exit 1; }
check "set-up rows" "$ROWS" "$(q "SELECT count(*) FROM ft")"
OWNER=$(owner_pid)
if [ -z "$OWNER" ] || ! kill -0 "$OWNER"; then fail "the extension started an owner"; finish; exit 1; fi
seq 1 50000 | awk '{ printf "2025-01-01 00:00:00+00,%d\n", $1 }' > "$T/rows.csv"
chmod 0644 "$T/rows.csv"

# ---------------------------------------------------------------- 1. statement_timeout
session_start timeout
say "SET statement_timeout = '1s'; SELECT 'pid ' || pg_backend_pid();"
say "BEGIN; DECLARE cur CURSOR FOR SELECT n FROM ft; FETCH 3 FROM cur;"
say "\\echo cursor open"
wait_for 300 seen "cursor open" || fail "the cursor opens"
backend=$(sed -n 's/^pid //p' "$T/timeout.out")
sockets=$(backend_sockets "$backend")
kill -STOP "$OWNER"
say "FETCH ALL FROM cur;"
say "\\echo fetch ended"
expect_end "fetch ended" "a FETCH waiting on a stopped owner ends"
check "the FETCH fails with the statement timeout" 1 \
	"$(grep -c 'canceling statement due to statement timeout' "$T/timeout.out")"
say "ROLLBACK;"
for i in 1 2 3; do
	say "SELECT count(*) FROM ft;"
	say "\\echo select $i ended"
	expect_end "select $i ended" "SELECT $i, connecting to a stopped owner, ends"
done
check "each SELECT fails with the statement timeout" 4 \
	"$(grep -c 'canceling statement due to statement timeout' "$T/timeout.out")"
kill -CONT "$OWNER"
say "RESET statement_timeout; SELECT 'again ' || count(*) FROM ft;"
say "\\echo reconnected"
expect_end "reconnected" "the session's next statement ends"
check "the session's next statement reconnects and works" 1 "$(grep -c "^again $ROWS\$" "$T/timeout.out")"
check "the backend holds as many sockets as before" "$sockets" "$(backend_sockets "$backend")"
session_end

# ---------------------------------------------------------------- 2. pg_cancel_backend
session_start insert
say "BEGIN;"
say "INSERT INTO ft SELECT timestamptz '2025-06-01' + i * interval '1 ms', i FROM generate_series(1, 100000) i;"
say "\\echo first insert done"
wait_for 600 seen "first insert done" || fail "the first INSERT of the transaction ends"
kill -STOP "$OWNER"
say "INSERT INTO ft /* blocked insert */ SELECT timestamptz '2025-07-01' + i * interval '1 ms', i FROM generate_series(1, 100000) i;"
say "\\echo insert ended"
expect_busy insert 'blocked insert' "the INSERT is blocked on the stopped owner"
q "SELECT pg_cancel_backend($pid)" >/dev/null
expect_end "insert ended" "the blocked INSERT is cancelled"
check "the INSERT fails as cancelled" 1 "$(grep -c 'canceling statement due to user request' "$T/insert.out")"
say "ROLLBACK;"
kill -CONT "$OWNER"
say "SELECT 'after insert ' || count(*) FROM ft;"
say "\\echo counted"
expect_end "counted" "the session's next statement ends"
check "the session goes on; no row of the cancelled transaction is visible" 1 \
	"$(grep -c "^after insert $ROWS\$" "$T/insert.out")"

say "SELECT 'warm ' || count(*) FROM ft;"
say "\\echo warm"
wait_for 300 seen "warm" || fail "the session is connected"
kill -STOP "$OWNER"
say "COPY ft FROM '$T/rows.csv' WITH (FORMAT csv);"
say "\\echo copy ended"
expect_busy insert 'rows.csv' "the COPY is blocked on the stopped owner"
q "SELECT pg_cancel_backend($pid)" >/dev/null
expect_end "copy ended" "the blocked COPY is cancelled"
check "the COPY fails as cancelled" 2 "$(grep -c 'canceling statement due to user request' "$T/insert.out")"
kill -CONT "$OWNER"
say "SELECT 'after copy ' || count(*) FROM ft;"
say "\\echo counted again"
expect_end "counted again" "the session's next statement ends"
check "no row of the cancelled COPY is visible" 1 "$(grep -c "^after copy $ROWS\$" "$T/insert.out")"

# A ROLLBACK aborts its loads with interrupts held, so a cancel cannot
# interrupt its wait: the wait gives up instead (on its own after 10 s).
# Once in CI the ROLLBACK was never seen waiting (not explained yet: the
# session's activity is printed when that happens), so a second attempt
# is made before that counts as a failure.
for attempt in 1 2; do
	say "BEGIN; INSERT INTO ft SELECT timestamptz '2025-08-01' + i * interval '1 ms', i FROM generate_series(1, 30000) i;"
	say "\\echo in transaction $attempt"
	wait_for 300 seen "in transaction $attempt" || fail "the INSERT of the transaction ends"
	kill -STOP "$OWNER"
	say "ROLLBACK /* held */;"
	say "\\echo rolled back $attempt"
	if wait_for 300 busy insert 'ROLLBACK /* held */'; then
		ok "the ROLLBACK is blocked on the stopped owner"
		break
	fi
	echo "# attempt $attempt: the ROLLBACK was not seen waiting"
	not_busy insert
	kill -CONT "$OWNER"
	wait_for 300 seen "rolled back $attempt"
	if [ "$attempt" = 2 ]; then
		fail "the ROLLBACK is blocked on the stopped owner"
		pid=0
	fi
done
q "SELECT pg_cancel_backend($pid)" >/dev/null
expect_end "rolled back $attempt" "a cancel ends the ROLLBACK's wait"
kill -CONT "$OWNER"
say "SELECT 'after rollback ' || count(*) FROM ft;"
say "\\echo counted a third time"
expect_end "counted a third time" "the session's next statement ends"
check "no row of the rolled back transaction is visible" 1 "$(grep -c "^after rollback $ROWS\$" "$T/insert.out")"
session_end
check "the owner survived it all" "$OWNER" "$(owner_pid)"

# ---------------------------------------------------------------- 3. pg_terminate_backend
kill -STOP "$OWNER"
PGAPPNAME=terminate timeout 30 psql -XAtq -c "SELECT count(*) /* first connection */ FROM ft" \
	> "$T/terminate.out" 2>&1 &
psql_pid=$!
expect_busy terminate 'first connection' "the new session is blocked on the stopped owner"
q "SELECT pg_terminate_backend($pid)" >/dev/null
wait "$psql_pid"
rc=$?
check "the terminated session ends before the 30 s timeout" 1 "$([ "$rc" != 124 ] && echo 1)"
check "it ends as terminated" 1 "$(grep -c 'terminating connection due to administrator command' "$T/terminate.out")"
kill -CONT "$OWNER"

# ---------------------------------------------------------------- 4. cancel while streaming
session_start stream
# Each of the many rescans streams the whole table from the owner.
say "SELECT sum(x.c) /* long stream */ FROM generate_series(1, 100000) g,
     LATERAL (SELECT count(*) AS c FROM ft WHERE ft.ts > timestamptz '2000-01-01' + g * interval '1 us') x;"
say "\\echo stream ended"
expect_busy stream 'long stream' "the stream of scans runs"
q "SELECT pg_cancel_backend($pid)" >/dev/null
expect_end "stream ended" "the stream of scans is cancelled"
check "it fails as cancelled" 1 "$(grep -c 'canceling statement due to user request' "$T/stream.out")"
say "SELECT 'after stream ' || count(*), sum(n) FROM ft;"
say "\\echo done"
expect_end "done" "the session's next statement ends"
check "the session's next query works" 1 \
	"$(grep -c "^after stream $ROWS|$((ROWS * (ROWS + 1) / 2))\$" "$T/stream.out")"
session_end
check "the owner survived it all" "$OWNER" "$(owner_pid)"
finish
