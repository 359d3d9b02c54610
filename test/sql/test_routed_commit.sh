#!/bin/bash
# test_routed_commit.sh — a transaction that writes through a partitioned
# table to three owners commits on all of them or on none, on a throwaway
# PostgreSQL 15 cluster.
#   test/sql/test_routed_commit.sh BUILD
# Three servers (autostarted owners, one data directory each) hold one
# month each of a range-partitioned table.  A session inserts rows for all
# three months in one transaction; before its COMMIT the second owner is
# killed (SIGKILL).  At PRE_COMMIT every owner must first take and check
# its rows, so the dead owner fails the COMMIT, which names it, and the two
# live owners keep none of the rows; the killed owner, restarted by the
# next query, rolls its in-flight load back.  Then the same with every
# owner alive commits on all three.  Synchronised through the session's
# output, not by sleeps.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/../lib.sh"
in_cluster bash "$0" "$BUILD"

T=$(mktemp -d /tmp/pulsora_routed_tmp_XXXXXX)
D1=$(pg_data_dir routed1)
D2=$(pg_data_dir routed2)
D3=$(pg_data_dir routed3)
SESSION=""
cleanup() {
	[ -n "$SESSION" ] && kill "$SESSION" 2>/dev/null
	for d in "$D1" "$D2" "$D3"; do
		pid=$(cat "$d/pulsorad.pid" 2>/dev/null)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T" "$D1" "$D2" "$D3"
}
trap cleanup EXIT

q "CREATE EXTENSION pulsora;
   CREATE SERVER n1 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$D1');
   CREATE SERVER n2 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$D2');
   CREATE SERVER n3 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$D3');
   CREATE TABLE ticks (ts timestamptz NOT NULL, v bigint) PARTITION BY RANGE (ts);
   CREATE FOREIGN TABLE t1 PARTITION OF ticks FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')
     SERVER n1 OPTIONS (table 'ticks');
   CREATE FOREIGN TABLE t2 PARTITION OF ticks FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')
     SERVER n2 OPTIONS (table 'ticks');
   CREATE FOREIGN TABLE t3 PARTITION OF ticks FOR VALUES FROM ('2024-03-01') TO ('2024-04-01')
     SERVER n3 OPTIONS (table 'ticks');
   INSERT INTO ticks VALUES ('2024-01-01', 1), ('2024-02-01', 1), ('2024-03-01', 1);" ||
	{ fail "set-up"; finish; exit 1; }

# rows N1 N2 N3 as each owner counts them.
owner_rows() {
	q "SELECT string_agg(coalesce((SELECT row_count FROM pulsora_tables(s) WHERE table_name = 'ticks'), 0)::text,
	                     ' ' ORDER BY s)
	     FROM unnest(ARRAY['n1', 'n2', 'n3']) s"
}
check "one row on each owner to begin with" "1 1 1" "$(owner_rows)"

# A row for each month, 1000 times over, in one open transaction.
ROWS="INSERT INTO ticks SELECT m + i * interval '1 second', i
        FROM unnest(ARRAY['2024-01-02', '2024-02-02', '2024-03-02']::timestamptz[]) m,
             generate_series(1, 1000) i;"

session_start killed
say "BEGIN;"
say "$ROWS"
say "SELECT 'inserted';"
wait_for 300 seen inserted
check "the session's rows went to all three owners, uncommitted" "1 1 1" "$(owner_rows)"
OWNER2=$(cat "$D2/pulsorad.pid")
kill -9 "$OWNER2"
wait_for 100 eval '! kill -0 "$OWNER2" 2>/dev/null'
say "COMMIT;"
say "SELECT 'after commit';"
session_end
check "COMMIT fails, naming the dead owner's data directory" 1 \
	"$(grep -c "ERROR: .*$D2" "$T/killed.out")"
check "no owner keeps any of the transaction's rows" "1 1 1" "$(owner_rows)"
check "the foreign tables agree" "3|3" "$(q "SELECT count(*), sum(v) FROM ticks")"

# All alive: the same transaction commits everywhere.
q "BEGIN; $ROWS COMMIT;"
check "with every owner alive it commits on all three" "1001 1001 1001" "$(owner_rows)"
check "... and the partitioned table sees every row" "3003" "$(q "SELECT count(*) FROM ticks")"
finish
