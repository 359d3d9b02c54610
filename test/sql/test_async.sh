#!/bin/bash
# test_async.sh — async foreign scans ask several owners at once, and a
# cancel reaches a query waiting on them, on a throwaway PostgreSQL 15
# cluster.
#   test/sql/test_async.sh BUILD
# Three servers (autostarted owners, one data directory each) hold one
# month each of a range-partitioned table, ROWS rows a month (many
# batches).  A second partitioned table over the same store tables has
# async_capable off on its partitions: the synchronous Append to compare.
# 1. A cursor over the table, stopped after FETCH 5: with async scans every
#    owner holds an open scan at once (pulsora_status(server).open_scans,
#    seen from another session); synchronously only the first partition's
#    owner does.
# 2. With the three owners stopped (SIGSTOP), a query over the table waits
#    in the Append (wait event AppendReady) with its request out to every
#    owner: each owner's socket holds unread bytes; synchronously only the
#    first owner's does.  A cancel ends each waiting query, the async one
#    at once (not after the cleanup waited for the stopped owners), and
#    after SIGCONT the session's next queries work, holding as many
#    sockets as before.
# 3. statement_timeout ends a query waiting on async scans likewise.
# Synchronised through the session's output and pg_stat_activity, not by
# sleeps; each interrupted statement must end within 30 s.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/../lib.sh"
in_cluster bash "$0" "$BUILD"

ROWS=30000
T=$(mktemp -d /tmp/pulsora_async_tmp_XXXXXX)
chmod 0755 "$T"
D1=$(pg_data_dir async1)
D2=$(pg_data_dir async2)
D3=$(pg_data_dir async3)
SESSION=""
owner_pid() { cat "$1/pulsorad.pid" 2>/dev/null; }
owners() { for d in "$D1" "$D2" "$D3"; do owner_pid "$d"; done; }
cleanup() {
	exec 5>&- 2>/dev/null
	[ -n "$SESSION" ] && kill "$SESSION" 2>/dev/null
	for pid in $(owners); do kill -CONT "$pid"; kill -9 "$pid"; done 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T" "$D1" "$D2" "$D3"
}
trap cleanup EXIT

ms_now() { echo $(($(date +%s%N) / 1000000)); }
# busy NAME MARKER [WAIT_EVENT]: sets pid to the backend of application NAME
# once it has run a statement containing MARKER for half a second (in wait
# event WAIT_EVENT, if given); fails until then.
busy() {
	pid=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = '$1' AND state = 'active'
	           AND query LIKE '%$2%' AND clock_timestamp() - query_start > interval '0.5 s'
	           AND coalesce(wait_event, '') = coalesce(nullif('${3:-}', ''), wait_event, '')")
	[ -n "$pid" ]
}
expect_busy() {	# expect_busy NAME MARKER WAIT_EVENT WHAT
	if wait_for 300 busy "$1" "$2" "$3"; then ok "$4"; return; fi
	fail "$4"
	pid=0
	q "SELECT state, wait_event, query FROM pg_stat_activity WHERE application_name = '$1'" |
		sed 's/^/#   activity: /'
}
# expect_end LINE WHAT [MAX_MS]: the session prints LINE within 30 s (and
# within MAX_MS, if given); says how long it took.
expect_end() {
	local t0 t
	t0=$(ms_now)
	if ! wait_for 300 seen "$1"; then fail "$2 within 30 s"; return; fi
	t=$(($(ms_now) - t0))
	if [ -n "${3:-}" ] && [ "$t" -gt "$3" ]; then fail "$2 within $3 ms (took $t ms)"; return; fi
	ok "$2 ($t ms)"
}
# unread DIR: bytes the owner of DIR has not read from its connections.
unread() { ss -xnH | awk -v p="$1/pulsorad.sock" '$5 == p { s += $3 } END { print s + 0 }'; }
has_unread() { [ "$(unread "$1")" -gt 0 ] && echo yes || echo no; }
open_scans() {
	q "SELECT (SELECT open_scans FROM pulsora_status('n1')) || ' ' ||
	          (SELECT open_scans FROM pulsora_status('n2')) || ' ' ||
	          (SELECT open_scans FROM pulsora_status('n3'))"
}
backend_sockets() { find "/proc/$1/fd" -lname 'socket:*' | wc -l; }

q "CREATE EXTENSION pulsora;
   CREATE SERVER n1 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$D1');
   CREATE SERVER n2 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$D2');
   CREATE SERVER n3 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$D3');
   CREATE TABLE ticks (ts timestamptz NOT NULL, v bigint) PARTITION BY RANGE (ts);
   CREATE FOREIGN TABLE ticks_jan PARTITION OF ticks
     FOR VALUES FROM ('2024-01-01') TO ('2024-02-01') SERVER n1 OPTIONS (table 'ticks');
   CREATE FOREIGN TABLE ticks_feb PARTITION OF ticks
     FOR VALUES FROM ('2024-02-01') TO ('2024-03-01') SERVER n2 OPTIONS (table 'ticks');
   CREATE FOREIGN TABLE ticks_mar PARTITION OF ticks
     FOR VALUES FROM ('2024-03-01') TO ('2024-04-01') SERVER n3 OPTIONS (table 'ticks');
   CREATE TABLE sync_ticks (ts timestamptz NOT NULL, v bigint) PARTITION BY RANGE (ts);
   CREATE FOREIGN TABLE sync_jan PARTITION OF sync_ticks FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')
     SERVER n1 OPTIONS (table 'ticks', async_capable 'false');
   CREATE FOREIGN TABLE sync_feb PARTITION OF sync_ticks FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')
     SERVER n2 OPTIONS (table 'ticks', async_capable 'false');
   CREATE FOREIGN TABLE sync_mar PARTITION OF sync_ticks FOR VALUES FROM ('2024-03-01') TO ('2024-04-01')
     SERVER n3 OPTIONS (table 'ticks', async_capable 'false');
   INSERT INTO ticks SELECT m + i * interval '1 minute', i
     FROM unnest(ARRAY[timestamptz '2024-01-01', '2024-02-01', '2024-03-01']) m,
          generate_series(1, $ROWS) i;" ||
	{ fail "set-up"; finish; exit 1; }
check "set-up rows" "$((3 * ROWS))" "$(q "SELECT count(*) FROM ticks")"
check "the plan has async foreign scans" 3 \
	"$(q "EXPLAIN (COSTS OFF) SELECT * FROM ticks" | grep -c 'Async Foreign Scan')"
check "the synchronous table's plan has none" 0 \
	"$(q "EXPLAIN (COSTS OFF) SELECT * FROM sync_ticks" | grep -c 'Async Foreign Scan')"
read -r P1 P2 P3 <<< "$(owners | tr '\n' ' ')"
if [ -z "$P3" ]; then fail "the extension started three owners"; finish; exit 1; fi

# ---------------------------------------------------------------- 1. open scans
session_start cursor
say "BEGIN; DECLARE async_cur CURSOR FOR SELECT v FROM ticks; FETCH 5 FROM async_cur;"
say "\\echo async cursor open"
wait_for 300 seen "async cursor open" || fail "the async cursor opens"
check "an async Append has a scan open on every owner" "1 1 1" "$(open_scans)"
say "COMMIT; BEGIN; DECLARE sync_cur CURSOR FOR SELECT v FROM sync_ticks; FETCH 5 FROM sync_cur;"
say "\\echo sync cursor open"
wait_for 300 seen "sync cursor open" || fail "the synchronous cursor opens"
check "a synchronous Append has a scan open on the first owner only" "1 0 0" "$(open_scans)"
say "COMMIT;"
session_end

# ---------------------------------------------------------------- 2. stopped owners
session_start wait
say "SET plan_cache_mode = force_generic_plan;
     PREPARE total AS SELECT count(*), sum(v) FROM ticks;
     PREPARE sync_total AS SELECT count(*), sum(v) FROM sync_ticks;
     EXECUTE total; EXECUTE sync_total;
     SELECT 'pid ' || pg_backend_pid();"
say "\\echo planned"
wait_for 300 seen "planned" || fail "the session plans its queries"
backend=$(sed -n 's/^pid //p' "$T/wait.out")
sockets=$(backend_sockets "$backend")
SUM=$(q "SELECT sum(v) FROM generate_series(1, $ROWS) v")
check "the queries' answers" 2 "$(grep -c "^$((3 * ROWS))|$((3 * SUM))\$" "$T/wait.out")"

kill -STOP "$P1" "$P2" "$P3"
say "EXECUTE sync_total;"
say "\\echo sync total ended"
expect_busy wait 'EXECUTE sync_total' '' "the synchronous query waits on the stopped owners"
check "synchronously, only the first owner has been asked" "yes no no" \
	"$(has_unread "$D1") $(has_unread "$D2") $(has_unread "$D3")"
q "SELECT pg_cancel_backend($pid)" >/dev/null
expect_end "sync total ended" "the synchronous query is cancelled"
kill -CONT "$P1" "$P2" "$P3"
say "EXECUTE total;"
say "\\echo warm"
wait_for 300 seen "warm" || fail "the session works again"

kill -STOP "$P1" "$P2" "$P3"
say "EXECUTE total;"
say "\\echo async total ended"
expect_busy wait 'EXECUTE total' AppendReady "the async query waits in the Append on the stopped owners"
check "every owner has been asked at once" "yes yes yes" \
	"$(has_unread "$D1") $(has_unread "$D2") $(has_unread "$D3")"
q "SELECT pg_cancel_backend($pid)" >/dev/null
expect_end "async total ended" "the async query is cancelled at once" 5000
check "both queries fail as cancelled" 2 "$(grep -c 'canceling statement due to user request' "$T/wait.out")"
kill -CONT "$P1" "$P2" "$P3"
say "EXECUTE total; EXECUTE sync_total;"
say "\\echo after cancel"
expect_end "after cancel" "the session's next queries end"
check "the session's next queries work" 5 "$(grep -c "^$((3 * ROWS))|$((3 * SUM))\$" "$T/wait.out")"
check "the backend holds as many sockets as before" "$sockets" "$(backend_sockets "$backend")"

# ---------------------------------------------------------------- 3. statement_timeout
kill -STOP "$P1" "$P2" "$P3"
say "SET statement_timeout = '1s'; EXECUTE total;"
say "\\echo timed out"
expect_end "timed out" "statement_timeout ends the async query waiting on the stopped owners"
check "it fails with the statement timeout" 1 \
	"$(grep -c 'canceling statement due to statement timeout' "$T/wait.out")"
kill -CONT "$P1" "$P2" "$P3"
say "RESET statement_timeout; EXECUTE total;"
say "\\echo after timeout"
expect_end "after timeout" "the session's next query ends"
check "the session's next query works" 6 "$(grep -c "^$((3 * ROWS))|$((3 * SUM))\$" "$T/wait.out")"
session_end
check "the owners survived it all" "$P1 $P2 $P3" "$(owners | tr '\n' ' ' | sed 's/ $//')"
finish
