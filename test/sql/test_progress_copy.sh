#!/bin/bash
# test_progress_copy.sh — a COPY FROM STDIN into a pulsora foreign table
# shows in pg_stat_progress_copy while it runs, as a COPY into a heap table
# does, on a throwaway PostgreSQL 15 cluster.
#   test/sql/test_progress_copy.sh BUILD
# PostgreSQL's CopyFrom counts tuples_processed itself, a row at a time,
# whatever the FDW does with the rows (this FDW has no batch insert: each
# row goes to ExecForeignInsert); this checks that nothing on the FDW's
# side holds the counter back until the end.
# A generator pipes CSV rows into psql's COPY in three parts of PART rows,
# and waits on a file after each of the first two, so the COPY is running
# (its input not ended) whenever the second session looks.  psql and libpq
# send COPY data in 8 KiB pieces, so a part's rows, but for a piece, reach
# the backend while the generator waits.  The second session must see the
# COPY's row for the foreign table (command COPY FROM, type PIPE) with
# tuples_processed above 0 after the first part and higher after the
# second, never more than the rows sent; after the COPY the table holds
# every row and the progress row is gone.  The owner's pulsora_loads lists
# the COPY's load (source copy) while it runs, and nothing after.
# Synchronised by files, not by sleeps.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/../lib.sh"
in_cluster bash "$0" "$BUILD"

PART=5000
DIR=$(pg_data_dir progress)
T=$(mktemp -d /tmp/pulsora_progress_tmp_XXXXXX)	# client side only: the generator's files
COPY_PID=""
owner_pid() { cat "$DIR/pulsorad.pid" 2>/dev/null; }
cleanup() {
	touch "$T/go1" "$T/go2" 2>/dev/null	# a generator still waiting ends
	[ -n "$COPY_PID" ] && kill "$COPY_PID" 2>/dev/null
	wait 2>/dev/null
	pid=$(owner_pid)
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$DIR" "$T"
}
trap cleanup EXIT

# gen.py PART DIR: 3 * PART rows "ts,n"; after the first PART and after the
# second, flush and wait (up to 60 s) for DIR/go1, then DIR/go2.
cat >"$T/gen.py" <<'EOF'
import os, sys, time
part, d = int(sys.argv[1]), sys.argv[2]
for stage in range(3):
    for i in range(stage * part + 1, (stage + 1) * part + 1):
        sys.stdout.write("2024-01-01 00:00:00+00,%d\n" % i)
    sys.stdout.flush()
    if stage < 2:
        go = os.path.join(d, "go%d" % (stage + 1))
        for _ in range(600):
            if os.path.exists(go):
                break
            time.sleep(0.1)
EOF

q "CREATE EXTENSION pulsora;
   CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$DIR');
   CREATE FOREIGN TABLE ft (ts timestamptz, n bigint) SERVER s;" ||
	{ fail "set-up"; finish; exit 1; }
RELID=$(q "SELECT 'ft'::regclass::oid")

# processed: the COPY's tuples_processed as pg_stat_progress_copy shows it
# for ft, as a COPY FROM a pipe (empty while there is no such row).
processed() {
	q "SELECT tuples_processed FROM pg_stat_progress_copy
	    WHERE relid = $RELID AND command = 'COPY FROM' AND type = 'PIPE'"
}
# above N: the COPY's row shows more than N tuples processed; sets SEEN.
above() {
	SEEN=$(processed)
	[ -n "$SEEN" ] && [ "$SEEN" -gt "$1" ]
}

"$PY" "$T/gen.py" "$PART" "$T" |
	PGAPPNAME=copy psql -XAtq -v ON_ERROR_STOP=1 -c "COPY ft FROM STDIN WITH (FORMAT csv)" \
		>"$T/copy.out" 2>&1 &
COPY_PID=$!

if wait_for 300 above 0; then ok "pg_stat_progress_copy shows the COPY into ft with tuples processed ($SEEN)"
else fail "pg_stat_progress_copy shows the COPY into ft with tuples processed (saw '$SEEN')"; fi
FIRST=${SEEN:-0}
check "... no more than the $PART rows sent so far" 1 "$([ "$FIRST" -le "$PART" ] && echo 1)"
check "... while the COPY runs" 1 "$(kill -0 "$COPY_PID" 2>/dev/null && echo 1)"
check "its row names the database and the COPY's backend" 1 \
	"$(q "SELECT count(*) FROM pg_stat_progress_copy p JOIN pg_stat_activity a USING (pid)
	       WHERE p.relid = $RELID AND p.datname = current_database() AND a.application_name = 'copy'
	         AND p.bytes_processed > 0")"
# The owner lists the COPY's load too (its rows reach it in 256 KiB frames,
# so it may have none of them yet).
check "pulsora_loads lists the COPY's load as source copy" "ft|copy|t" \
	"$(q "SELECT table_name, source, rows >= 0 AND started <= now() FROM pulsora_loads('s')")"
touch "$T/go1"

if wait_for 300 above "$FIRST"; then ok "tuples_processed grows as more rows arrive ($FIRST, then $SEEN)"
else fail "tuples_processed grows as more rows arrive (stayed at '$SEEN')"; fi
check "... no more than the $((2 * PART)) rows sent so far, the COPY still running" 1 \
	"$([ "${SEEN:-0}" -le $((2 * PART)) ] && kill -0 "$COPY_PID" 2>/dev/null && echo 1)"
touch "$T/go2"

wait "$COPY_PID"
check "the COPY succeeds" 0 "$?"
COPY_PID=""
[ -s "$T/copy.out" ] && sed 's/^/#   copy: /' "$T/copy.out"
check "the table holds every row sent" "$((3 * PART))|$((3 * PART * (3 * PART + 1) / 2))" \
	"$(q "SELECT count(*), sum(n) FROM ft")"
check "the progress row is gone once the COPY has ended" "" "$(processed)"
check "... and the owner lists no load" 0 "$(q "SELECT count(*) FROM pulsora_loads('s')")"
finish
