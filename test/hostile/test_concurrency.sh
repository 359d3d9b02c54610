#!/bin/bash
# test_concurrency.sh — concurrent REST and SQL writers and readers on one
# pulsorad.
#   test/hostile/test_concurrency.sh [BUILD_DIR]
#   CONCURRENCY_SECONDS=600 test/hostile/test_concurrency.sh build   (long form)
#
# WRITERS (3) REST writers and SQL_WRITERS (2) psql writers (INSERT, COPY,
# pulsora_ingest_csv through a foreign table) load loads of distinct, known
# sizes into one table "c" — which none of them has created when they
# start, so their first loads race to create it — while READERS (3) REST
# readers and SQL_READERS (2) psql readers count, scan and query it
# (test/hostile/concurrency_worker.py states what each checks:
# counts never decrease, a scan sees a committed state between the counts
# read around it, a writer's rows are always exactly its first k loads).
# The writers run for CONCURRENCY_SECONDS (default 15; the length of the
# run, not something measured).  Then: no worker saw an error, the final
# count equals the sum of acknowledged rows (over REST and over SQL), a
# full CSV export has as many rows, the catalog's min/max times are the first and last exported rows,
# the owner stops cleanly and its stderr holds no sanitizer report.
# The SQL workers run against a throwaway PostgreSQL 15 cluster
# (pg_virtualenv), with pulsorad run as the cluster's OS user; with
# CONCURRENCY_SQL_WRITERS=0 CONCURRENCY_SQL_READERS=0 the test is REST-only
# and needs no cluster.
# Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
. "$ROOT/test/lib.sh"
SECONDS_RUN=${CONCURRENCY_SECONDS:-15}
WRITERS=${CONCURRENCY_WRITERS:-3}
READERS=${CONCURRENCY_READERS:-3}
SQL_WRITERS=${CONCURRENCY_SQL_WRITERS:-2}
SQL_READERS=${CONCURRENCY_SQL_READERS:-2}
ALL_WRITERS=$((WRITERS + SQL_WRITERS))
[ $((SQL_WRITERS + SQL_READERS)) -gt 0 ] && in_cluster bash "$0" "$BUILD"

TMP=$(mktemp -d /tmp/pulsora_concurrency_XXXXXX)
WORKERS=()
cleanup() {
	end_helpers "$TMP/state/writers_done" "${WORKERS[@]}"
	# The pid file names pulsorad itself, also when a wrapper (runuser) started it.
	[ -n "${DIR:-}" ] && kill "$(cat "$DIR/pulsorad.pid" 2>/dev/null)" 2>/dev/null
	kill "${OWNER_PID:-}" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP" "${DIR:-}"
}
trap cleanup EXIT
mkdir "$TMP/state"
if [ -n "${PULSORA_IN_CLUSTER:-}" ]; then
	DIR=$(pg_data_dir concurrency)
	[ "$(id -u)" = 0 ] && PULSORAD_WRAPPER="runuser -u postgres -- ${PULSORAD_WRAPPER:-}"
else
	DIR="$TMP/data"
	mkdir -m 700 "$DIR"
fi
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
if ! start_owner "$DIR" "$PORT" 2>>"$TMP/owner.stderr"; then
	fail "pulsorad starts"; cat "$TMP/owner.stderr"; finish; exit 1
fi
ok "pulsorad starts"
if [ -n "${PULSORA_IN_CLUSTER:-}" ]; then
	q "CREATE EXTENSION pulsora;
	   CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$DIR');
	   CREATE FOREIGN TABLE c (ts timestamptz, writer text, load bigint, seq bigint, px float8) SERVER s" ||
		fail "foreign table c on the owner"
fi

worker() {	# worker ROLE ID
	"$PY" "$ROOT/test/hostile/concurrency_worker.py" "$1" "$2" "$PORT" "$TMP/state" "$SECONDS_RUN" "$ALL_WRITERS" &
}
WRITER_PIDS=()
for w in $(seq 0 $((ALL_WRITERS - 1))); do
	if [ "$w" -lt "$WRITERS" ]; then worker writer "$w"; else worker sqlwriter "$w"; fi
	WRITER_PIDS+=("$!")
done
READER_PIDS=()
for r in $(seq 0 $((READERS - 1))); do worker reader "$r"; READER_PIDS+=("$!"); done
for r in $(seq 0 $((SQL_READERS - 1))); do worker sqlreader "$r"; READER_PIDS+=("$!"); done
WORKERS=("${WRITER_PIDS[@]}" "${READER_PIDS[@]}")
writers_ok=0
for p in "${WRITER_PIDS[@]}"; do wait "$p" && writers_ok=$((writers_ok + 1)); done
touch "$TMP/state/writers_done"
readers_ok=0
for p in "${READER_PIDS[@]}"; do wait "$p" && readers_ok=$((readers_ok + 1)); done
WORKERS=()

if [ -s "$TMP/state/errors" ]; then
	fail "workers saw errors:"; sed 's/^/       /' "$TMP/state/errors" | head -n 20
else ok "no worker saw an error"; fi
check "every writer finished" "$ALL_WRITERS" "$writers_ok"
check "every reader finished" "$((READERS + SQL_READERS))" "$readers_ok"
for f in "$TMP"/state/*writer.* "$TMP"/state/*reader.*; do
	[ -f "$f" ] && echo "# $(basename "$f"): $(cat "$f")"
done

acked_loads=$(cat "$TMP"/state/acks.* 2>/dev/null | wc -l)
acked_rows=$(cat "$TMP"/state/acks.* 2>/dev/null | awk '{s += $2} END {print s + 0}')
reads=$(cat "$TMP"/state/*reader.* 2>/dev/null | awk '{s += $1 + $3 + $5 + $7} END {print s + 0}')
if [ "$acked_loads" -ge "$ALL_WRITERS" ] && [ "$reads" -gt 0 ]; then
	ok "$acked_loads loads ($acked_rows rows) acknowledged, $reads reads made meanwhile"
else fail "work was done ($acked_loads loads, $reads reads)"; fi
final=$(curl -sf "$URL/tables/c/count" | json 'd["data"]["count"]')
check "the final count equals the sum of acknowledged rows" "$acked_rows" "$final"
[ -n "${PULSORA_IN_CLUSTER:-}" ] &&
	check "a scan through PostgreSQL finds every row" "$acked_rows" "$(q "SELECT count(*) FROM c")"
curl -sf "$URL/tables/c/query?format=csv&time_format=ns" >"$TMP/export.csv"
check "a full CSV export has every row" "$acked_rows" "$(($(wc -l <"$TMP/export.csv") - 1))"
bounds=$(curl -sf "$URL/tables/c/count" | json '"%s %s" % (d["data"]["min_ts"], d["data"]["max_ts"])')
# Nanoseconds to milliseconds as text: awk's doubles would round 19 digits.
ends=$(awk -F, 'NR == 2 {first = $1} END {print substr(first, 1, length(first) - 6), substr($1, 1, length($1) - 6)}' "$TMP/export.csv")
check "the catalog's min/max are the first and last rows" "$ends" "$bounds"
check "the export has each (writer, load, seq) once" 0 \
	"$(tail -n +2 "$TMP/export.csv" | cut -d, -f2-4 | sort | uniq -d | wc -l)"

stops_cleanly "the owner stops cleanly" "$OWNER_PID" "$(cat "$DIR/pulsorad.pid")"
no_sanitizer_report "$TMP/owner.stderr" "$DIR/pulsorad.log"
finish
