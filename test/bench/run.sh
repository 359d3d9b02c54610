#!/bin/bash
# test/bench/run.sh — `make bench` (issues 4 and 9): Pulsora side by side with
# PostgreSQL 15 and DuckDB on the same generated market ticks, in one run, on
# this machine; never part of `make check`.
#
#   test/bench/run.sh [BUILD]     BUILD holds pulsorad and test/gen_ticks (default build)
#
#   BENCH_ROWS      ticks to generate (5000000)     BENCH_SEED     generator seed (42)
#   BENCH_RUNS      timed runs per query, after one warm-up; the median counts (5)
#   BENCH_SECONDS   length of the pgbench and wrk runs (20)
#   BENCH_CLIENTS   pgbench clients and wrk connections (32)
#   BENCH_RANGE_MS  width of the small random ranges (100: ~1 tick per ms, so ~100 rows)
#   BENCH_RECOVERY_ROWS  rows of the load killed mid-way for the recovery figure (10000000)
#   BENCH_KEEP=1    leave /var/tmp/pulsora-bench and its servers running for a look
#
# Everything runs as user postgres under /var/tmp/pulsora-bench: the ticks
# CSV (generated once, loaded four times), a throwaway PostgreSQL cluster on
# a private socket directory and port, and one pulsorad owner started by hand
# with REST on a free port (the extension's server has autostart off, so it
# only ever talks to that owner).  Both are durable the same way: PostgreSQL
# with fsync and synchronous_commit on, pulsorad with [storage] sync = true.
#
# DuckDB is the columnar yardstick (issue 9): the npm package
# @duckdb/node-api, at the version pinned in test/bench/duckdb/package.json
# and package-lock.json, which this script installs into
# test/bench/duckdb/node_modules with `npm ci` when it is missing or not
# that version (Node.js >= 20).  test/bench/duckdb_bench.mjs, in-process
# with 2 threads, loads the same CSV with read_csv into a database file
# under the work directory, reports the file's size after CHECKPOINT, and
# runs the same queries (one warm-up, the median of BENCH_RUNS, timed in
# Node until the result is in JavaScript values).
#
# The figures (issues 4 and 9): load rates (COPY into a heap table with
# B-trees on time and on (symbol, time), pulsora_load_csv, REST ingest with
# curl, DuckDB's read_csv), size on disk, full-scan and 1-hour-range
# aggregates, the latest 100 ticks, the series queries (one symbol over 30
# minutes, one symbol over the whole table, three symbols over 3 hours:
# count(*), sum(price)), small ranges with pgbench and over REST with wrk,
# the owner's peak RSS during each load and the backend's during the full
# scan, and how soon a restarted owner answers after a kill -9 in the
# middle of a 10M-row load (it rolls the load back first), and how many
# `time_format` parses of "%Y/%m/%d %H:%M:%S" one core does per second
# (test/bench/bench_time_format.c; issue 13 asks for 10M).  Each query
# runs once to warm up and BENCH_RUNS more times, timed by psql's \timing;
# the median counts.  Every aggregate of the foreign table
# and of DuckDB is checked against the heap table's.
#
# It prints one table (PostgreSQL / Pulsora / DuckDB, ratios, targets, met)
# and writes it to test/bench/results.md, with the chart
# test/bench/results.svg (BENCH_OUT=DIR writes them to DIR instead).  A
# Pulsora or DuckDB step that fails is shown as n/a with its error and the
# run goes on; a PostgreSQL step that fails ends the run.  Whatever the
# script started is stopped and its directory removed on exit, failures
# included.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -uo pipefail

BUILD=${1:-build}
ROWS=${BENCH_ROWS:-5000000}
SEED=${BENCH_SEED:-42}
RUNS=${BENCH_RUNS:-5}
SECONDS_RUN=${BENCH_SECONDS:-20}
CLIENTS=${BENCH_CLIENTS:-32}
RANGE_MS=${BENCH_RANGE_MS:-100}
RECOVERY_ROWS=${BENCH_RECOVERY_ROWS:-10000000}
KEEP=${BENCH_KEEP:-0}
DUCK_THREADS=2

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${BENCH_OUT:-$HERE}		# where results.md and results.svg go
PGBIN=/usr/lib/postgresql/15/bin
WORK=/var/tmp/pulsora-bench
CSV=$WORK/ticks.csv
PGDIR=$WORK/pg				# socket directory; the cluster is in $PGDIR/data
STORE=$WORK/store			# pulsorad's data directory
RESULTS=$WORK/results.env	# key=value, one figure a line
DUCKDIR=$WORK/duckdb		# DuckDB's database file and its queries
SERVER=bench				# the extension's foreign server

. "$HERE/../lib.sh"			# free_port

say() { printf '== %s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
note() { printf '%s=%s\n' "$1" "$(printf '%s' "$2" | tr '\n' ' ')" >>"$RESULTS"; }
# A Pulsora figure that could not be measured: n/a in the table, with why.
missing() { note "error_$1" "$2"; printf '   n/a: %s\n' "$2"; }

case $ROWS in '' | *[!0-9]*) die "BENCH_ROWS must be a number of rows" ;; esac
[ "$ROWS" -ge 10000 ] || die "BENCH_ROWS must be at least 10000"
[ "$RUNS" -ge 3 ] 2>/dev/null || die "BENCH_RUNS must be at least 3 (the median of at least 3 runs)"
[ -x "$BUILD/test/gen_ticks" ] || die "$BUILD/test/gen_ticks is missing: run make build first"
for tool in curl wrk gnuplot python3 "$PGBIN/pgbench" "$PGBIN/initdb"; do
	command -v "$tool" >/dev/null || die "$tool is missing: run make deps"
done

# PostgreSQL refuses to run as root, and backends reach the owner's socket
# (mode 0600) only as its user: as root, everything runs as postgres.
if [ "$(id -u)" -eq 0 ]; then
	as_pg() { runuser -u postgres -- "$@"; }
	# exec, not fork: $! is the owner itself.
	as_pg_exec() { exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
else
	as_pg() { "$@"; }
	as_pg_exec() { exec "$@"; }
fi

# ---------------------------------------------------------------- servers and cleanup

OWNER_PID=""
PGPORT=""
RPORT=""

pg_running() { [ -f "$PGDIR/data/postmaster.pid" ]; }
pg_stop() { pg_running && as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null; }

owner_stop() {
	[ -n "$OWNER_PID" ] || return 0
	kill -TERM "$OWNER_PID" 2>/dev/null
	for _ in $(seq 600); do kill -0 "$OWNER_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$OWNER_PID" 2>/dev/null
	OWNER_PID=""
}

# Start pulsorad on $STORE with REST on $RPORT; true once /health answers.
owner_start() {
	as_pg_exec "$WORK/bin/pulsorad" -D "$STORE" --port "$RPORT" --log-file "$STORE/pulsorad.log" &
	OWNER_PID=$!
	for _ in $(seq 300); do
		curl -sf "http://127.0.0.1:$RPORT/health" >/dev/null 2>&1 && return 0
		kill -0 "$OWNER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM "$OWNER_PID" 2>/dev/null
	wait "$OWNER_PID" 2>/dev/null
	OWNER_PID=""
	return 1
}

cleanup() {
	trap - EXIT INT TERM
	if [ "$KEEP" = 1 ]; then
		say "BENCH_KEEP=1: left running: PostgreSQL on $PGDIR port $PGPORT, pulsorad pid ${OWNER_PID:-none} (REST port $RPORT)"
		return
	fi
	owner_stop
	pg_stop
	rm -rf "$WORK"
}

# A run killed earlier may have left its servers: stop them (only ours:
# the pid file's process must be a pulsorad) before starting afresh.
if [ -d "$WORK" ]; then
	pg_stop
	if [ -f "$STORE/pulsorad.pid" ]; then
		old=$(cat "$STORE/pulsorad.pid")
		[ "$(cat "/proc/$old/comm" 2>/dev/null)" = pulsorad ] && kill -TERM "$old"
		for _ in $(seq 300); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$WORK"
fi
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/bin" "$PGDIR" "$OUT" || die "cannot create $WORK or $OUT"
: >"$RESULTS"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK" "$WORK/bin" "$PGDIR"
chmod 755 "$WORK"

# ---------------------------------------------------------------- helpers

psql_pg() { as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PGPORT" -U postgres -d postgres "$@"; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# time_sql SQL [N]: runs SQL once, its first result line going to
# $SQL_RESULT, then N (default RUNS) more times with the output discarded;
# $SQL_MS is the median time of those N runs (ms), or with N = 0 the time of
# the single run.  On failure, $SQL_ERROR says why.
time_sql() {
	local n=${2:-$RUNS} out times
	SQL_RESULT="" SQL_MS=""
	out=$({ echo '\timing on'; echo "$1;"; echo '\o /dev/null'
		for _ in $(seq "$n"); do echo "$1;"; done; } | psql_pg -At 2>&1) || {
		SQL_ERROR=$(echo "$out" | grep -m1 -E 'ERROR|FATAL|psql:' || echo "$out" | tail -n 1)
		return 1
	}
	SQL_RESULT=$(echo "$out" | grep -v '^Time: ' | head -n 1)
	times=$(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
	SQL_MS=$(echo "$times" | tail -n "$((n > 0 ? n : 1))" | median)
}

# Peak resident set (VmHWM, kB) of a process.
vm_hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# The backend's own peak resident set (kB) after running SQL in a fresh session.
backend_hwm() {
	psql_pg -At -c "$1" -c "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+)'))[1]" 2>&1 | tail -n 1
}

# Rows per second of a load of all the ticks that took $1 ms.
rate() { awk -v rows="$ROWS" -v ms="$1" 'BEGIN { printf "%.0f\n", rows / (ms / 1000) }'; }

# Bytes in the owner's RocksDB directory once background work has settled:
# the same total three times in a row, a second apart (at most a minute).
settled_store_bytes() {
	local last="" same=0 now
	for _ in $(seq 60); do
		now=$(du -sb "$STORE/db" | cut -f1)
		if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; fi
		[ "$same" -ge 2 ] && break
		last=$now
		sleep 1
	done
	echo "$now"
}

# ---------------------------------------------------------------- the ticks

say "generating $ROWS ticks (seed $SEED) into $CSV"
"$BUILD/test/gen_ticks" "$ROWS" "$SEED" >"$CSV" || die "gen_ticks failed"
chmod 644 "$CSV"
CSV_BYTES=$(stat -c %s "$CSV")
FIRST_TS=$(sed -n 2p "$CSV" | cut -d, -f1)
LAST_TS=$(tail -n 1 "$CSV" | cut -d, -f1)
BASE_MS=$(date -u -d "$FIRST_TS" +%s%3N)
SPAN_MS=$(($(date -u -d "$LAST_TS" +%s%3N) - BASE_MS))
# ts_text MS: a timestamptz literal of epoch milliseconds, UTC.
ts_text() { date -u -d "@$(($1 / 1000)).$(printf %03d $(($1 % 1000)))" '+%Y-%m-%d %H:%M:%S.%3N+00'; }
# window NAME WIDTH_MS PCT: sets NAME_LO and NAME_HI to a window of WIDTH_MS
# in the middle of the data, or of its middle PCT% when WIDTH_MS is more
# than that (5M ticks span ~83 minutes, small test runs a few minutes).
window() {
	local w=$(($2 * 100 > SPAN_MS * $3 ? SPAN_MS * $3 / 100 : $2)) lo
	lo=$((BASE_MS + (SPAN_MS - w) / 2))
	printf -v "$1_LO" '%s' "$(ts_text "$lo")"
	printf -v "$1_HI" '%s' "$(ts_text $((lo + w)))"
}
# The 1-hour range: an hour in the middle of the data (or its middle 70%
# when the data spans less, as the 5M ticks do).
window HOUR 3600000 70
# The series queries (issue 9): one symbol over 30 minutes (or the middle
# 40%), that symbol over the whole table, and three symbols over 3 hours
# (or the middle 70%).  The symbol is the first tick's; the three are the
# first three distinct symbols of the data, that one first.
window SYM30 1800000 40
window SYM3H 10800000 70
read -r SYM1 SYM2 SYM3 <<<"$(awk -F, 'NR > 1 && !seen[$2]++ { printf "%s ", $2; if (++n == 3) exit }' "$CSV")"
[ -n "$SYM3" ] || die "fewer than three symbols in the data"
note rows "$ROWS"; note seed "$SEED"; note csv_bytes "$CSV_BYTES"
note first_ts "$FIRST_TS"; note last_ts "$LAST_TS"
note hour_lo "$HOUR_LO"; note hour_hi "$HOUR_HI"; note range_ms "$RANGE_MS"
note sym1 "$SYM1"; note sym3 "$SYM1, $SYM2, $SYM3"
note sym30_lo "$SYM30_LO"; note sym30_hi "$SYM30_HI"; note sym3h_lo "$SYM3H_LO"; note sym3h_hi "$SYM3H_HI"
note loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
note runs "$RUNS"; note seconds "$SECONDS_RUN"; note clients "$CLIENTS"; note recovery_rows "$RECOVERY_ROWS"
say "ticks from $FIRST_TS to $LAST_TS ($CSV_BYTES bytes); range query [$HOUR_LO, $HOUR_HI)"
say "series: $SYM1 over [$SYM30_LO, $SYM30_HI) and over all; $SYM1, $SYM2, $SYM3 over [$SYM3H_LO, $SYM3H_HI)"

# The queries of figures 3-5 and 9, TABLE standing for the heap table, the
# foreign table or DuckDB's: KEY and SQL, in the order they run.
QUERY_KEYS=(full range latest sym30 symall sym3h fullmm rangemax bysym ohlc vwap lastpx lastdist)
declare -A QUERY_SQL=(
	[full]='SELECT count(*), sum(price) FROM TABLE'
	[range]="SELECT count(*), sum(price) FROM TABLE WHERE \"timestamp\" >= '$HOUR_LO' AND \"timestamp\" < '$HOUR_HI'"
	[latest]='SELECT * FROM TABLE ORDER BY "timestamp" DESC LIMIT 100'
	[sym30]="SELECT count(*), sum(price) FROM TABLE WHERE symbol = '$SYM1' AND \"timestamp\" >= '$SYM30_LO' AND \"timestamp\" < '$SYM30_HI'"
	[symall]="SELECT count(*), sum(price) FROM TABLE WHERE symbol = '$SYM1'"
	[sym3h]="SELECT count(*), sum(price) FROM TABLE WHERE symbol IN ('$SYM1', '$SYM2', '$SYM3') AND \"timestamp\" >= '$SYM3H_LO' AND \"timestamp\" < '$SYM3H_HI'"
	[ohlc]="SELECT count(*), sum(o + h + l + c + v) FROM (SELECT symbol, time_bucket('1 minute', \"timestamp\") AS b, first(price, \"timestamp\") AS o, max(price) AS h, min(price) AS l, last(price, \"timestamp\") AS c, sum(volume) AS v FROM TABLE GROUP BY 1, 2) bars"
	[lastpx]="SELECT count(*), sum(p) FROM (SELECT symbol, last(price, \"timestamp\") AS p FROM TABLE GROUP BY symbol) latest"
	[lastdist]="SELECT count(*), sum(price) FROM (SELECT DISTINCT ON (symbol) symbol, price FROM TABLE ORDER BY symbol, \"timestamp\" DESC) latest"
	[fullmm]='SELECT count(*), sum(price), min(price), max(price) FROM TABLE'
	[rangemax]="SELECT count(*), sum(price), max(price) FROM TABLE WHERE \"timestamp\" >= '$HOUR_LO' AND \"timestamp\" < '$HOUR_HI'"
	[bysym]="SELECT count(*), sum(n), sum(s) FROM (SELECT symbol, count(*) AS n, sum(price) AS s FROM TABLE GROUP BY symbol) per_symbol"
	[vwap]="SELECT count(*), sum(v) FROM (SELECT symbol, time_bucket('5 minutes', \"timestamp\") AS b, sum(price * volume) / sum(volume) AS v FROM TABLE WHERE \"timestamp\" >= '$HOUR_LO' AND \"timestamp\" < '$HOUR_HI' GROUP BY 1, 2) bars"
)
# DuckDB's spelling where it differs: arg_min/arg_max for first/last.
declare -A QUERY_DUCK=(
	[ohlc]="SELECT count(*), sum(o + h + l + c + v) FROM (SELECT symbol, time_bucket(INTERVAL '1 minute', \"timestamp\") AS b, arg_min(price, \"timestamp\") AS o, max(price) AS h, min(price) AS l, arg_max(price, \"timestamp\") AS c, sum(volume) AS v FROM TABLE GROUP BY 1, 2) bars"
	[lastpx]="SELECT count(*), sum(p) FROM (SELECT symbol, arg_max(price, \"timestamp\") AS p FROM TABLE GROUP BY symbol) latest"
	[vwap]="SELECT count(*), sum(v) FROM (SELECT symbol, time_bucket(INTERVAL '5 minutes', \"timestamp\") AS b, sum(price * volume) / sum(volume) AS v FROM TABLE WHERE \"timestamp\" >= '$HOUR_LO' AND \"timestamp\" < '$HOUR_HI' GROUP BY 1, 2) bars"
)

# ---------------------------------------------------------------- PostgreSQL

PGPORT=$(free_port)
say "starting PostgreSQL 15 on $PGDIR port $PGPORT"
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C >"$PGDIR/initdb.log" 2>&1 ||
	die "initdb failed: $(tail -n 3 "$PGDIR/initdb.log")"
# Settings a market-data server would get; durability as pulsorad's sync=true.
PG_SETTINGS="shared_buffers = 1GB
max_wal_size = 4GB
max_parallel_workers_per_gather = 0
fsync = on
synchronous_commit = on
max_connections = 100"
cat >>"$PGDIR/data/postgresql.conf" <<EOF
listen_addresses = ''
port = $PGPORT
unix_socket_directories = '$PGDIR'
$PG_SETTINGS
EOF
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w start >/dev/null ||
	die "PostgreSQL did not start: $(tail -n 5 "$PGDIR/postgres.log")"
note pg_version "$(psql_pg -At -c 'SHOW server_version')"
note pg_settings "$(echo "$PG_SETTINGS" | paste -sd';' | sed 's/;/; /g'); jit = $(psql_pg -At -c 'SHOW jit')"

say "1. load: COPY into a heap table with B-trees on time and on (symbol, time)"
psql_pg <<'SQL' || die "cannot create the heap table"
CREATE TABLE ticks_heap ("timestamp" timestamptz NOT NULL, symbol text, price float8,
                         volume bigint, bid float8, ask float8, exchange text);
CREATE INDEX ticks_heap_time ON ticks_heap ("timestamp");
CREATE INDEX ticks_heap_symbol_time ON ticks_heap (symbol, "timestamp");
SQL
time_sql "COPY ticks_heap FROM '$CSV' WITH (FORMAT csv, HEADER)" 0 || die "COPY failed: $SQL_ERROR"
note copy_ms "$SQL_MS"; note copy_rate "$(rate "$SQL_MS")"
say "   COPY: $SQL_MS ms"
# Not timed: what a user runs after a bulk load; the checkpoint keeps its
# writes out of the timings that follow.
psql_pg -c 'VACUUM (ANALYZE) ticks_heap' -c 'CHECKPOINT' || die "VACUUM failed"
note heap_bytes "$(psql_pg -At -c "SELECT pg_total_relation_size('ticks_heap')")"
note heap_table_bytes "$(psql_pg -At -c "SELECT pg_table_size('ticks_heap')")"
note heap_index_bytes "$(psql_pg -At -c "SELECT pg_indexes_size('ticks_heap')")"

# ---------------------------------------------------------------- the owner

RPORT=$(free_port)
PULSORA_OK=1
if [ ! -x "$BUILD/pulsorad" ]; then
	PULSORA_OK=0
	note error_owner "$BUILD/pulsorad is not built"
else
	install -m 0755 "$BUILD/pulsorad" "$WORK/bin/pulsorad"
	[ -x "$BUILD/pulsora-cli" ] && install -m 0755 "$BUILD/pulsora-cli" "$WORK/bin/pulsora-cli"
	as_pg mkdir -m 700 "$STORE"
	# As much cache memory as PostgreSQL's shared_buffers; the rest default.
	printf '[storage]\nblock_cache_mb = 1024\n' | as_pg tee "$STORE/pulsora.toml" >/dev/null
	say "starting pulsorad on $STORE (REST on 127.0.0.1:$RPORT)"
	if ! owner_start; then
		PULSORA_OK=0
		note error_owner "pulsorad did not start: $(tail -n 3 "$STORE/pulsorad.log" 2>/dev/null | paste -sd' ')"
	fi
fi
[ "$PULSORA_OK" = 1 ] || say "   n/a: $(sed -n 's/^error_owner=//p' "$RESULTS")"

EXT_OK=0
if [ "$PULSORA_OK" = 1 ]; then
	note pulsora_version "$(curl -s "http://127.0.0.1:$RPORT/health" | json 'd["data"]["version"]' 2>/dev/null)"
	note pulsora_settings "$(sed -n '/^\[storage\]/,/^\[/p;/^\[ingestion\]/,/^\[/p' "$STORE/pulsora.toml" |
		grep -E '^[a-z_]+ *=' | sed 's/ *= */ = /' | sort -u | paste -sd';' | sed 's/;/; /g')"
	if out=$(psql_pg 2>&1 <<SQL
CREATE EXTENSION pulsora;
CREATE SERVER $SERVER FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$STORE', autostart 'false');
SQL
	); then
		EXT_OK=1
	else
		note error_ext "the extension is not usable: $(echo "$out" | grep -m1 ERROR)"
	fi
fi

# Which store table the read figures use: the one the SQL function loaded,
# else the REST one.
QTABLE=""
SIZE_DONE=0

# Restart the owner, so that each load's peak RSS is its own; after the
# first load that worked, compact the stopped store fully (pulsorad
# --compact) and record the settled size of the directory.
restart_and_measure_size() {
	owner_stop
	if [ "$SIZE_DONE" = 0 ] && [ "$1" = ok ]; then
		as_pg "$WORK/bin/pulsorad" -D "$STORE" --compact >/dev/null 2>&1 && note store_compacted yes
	fi
	if ! owner_start; then
		PULSORA_OK=0
		note error_owner "pulsorad did not restart: $(tail -n 3 "$STORE/pulsorad.log" | paste -sd' ')"
		return
	fi
	[ "$SIZE_DONE" = 0 ] && [ "$1" = ok ] || return
	note store_bytes "$(settled_store_bytes)"
	SIZE_DONE=1
}

say "1. load: pulsora_load_csv"
if [ "$EXT_OK" = 1 ]; then
	if time_sql "SELECT rows_loaded, rows_rejected FROM pulsora_load_csv('$SERVER', 'ticks', '$CSV')" 0; then
		note rss_fn_kb "$(vm_hwm "$OWNER_PID")"
		if [ "$SQL_RESULT" = "$ROWS|0" ]; then
			note fn_ms "$SQL_MS"; note fn_rate "$(rate "$SQL_MS")"; QTABLE=ticks
			say "   pulsora_load_csv: $SQL_MS ms"
		else
			missing fn "pulsora_load_csv loaded|rejected $SQL_RESULT, not $ROWS|0"
		fi
	else
		missing fn "pulsora_load_csv failed: $SQL_ERROR"
	fi
	restart_and_measure_size "$([ -n "$QTABLE" ] && echo ok)"
else
	missing fn "$(sed -n 's/^error_\(owner\|ext\)=//p' "$RESULTS" | head -n 1)"
fi

say "1. load: REST ingest with curl"
if [ "$PULSORA_OK" = 1 ]; then
	t0=$(date +%s%N)
	out=$(curl -sS -X POST -H 'Content-Type: text/csv' --data-binary "@$CSV" \
		"http://127.0.0.1:$RPORT/tables/ticks_rest/ingest" 2>&1)
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	inserted=$(echo "$out" | json 'd["data"]["rows_inserted"]' 2>/dev/null)
	note rss_rest_kb "$(vm_hwm "$OWNER_PID")"
	if [ "$inserted" = "$ROWS" ]; then
		note rest_ms "$ms"; note rest_rate "$(rate "$ms")"
		say "   REST ingest: $ms ms"
		[ -n "$QTABLE" ] || QTABLE=ticks_rest
		[ "$SIZE_DONE" = 1 ] || restart_and_measure_size ok
	else
		missing rest "REST ingest answered: $(echo "$out" | head -c 300)"
	fi
else
	missing rest "$(sed -n 's/^error_owner=//p' "$RESULTS" | head -n 1)"
fi

FDW_OK=0
if [ "$EXT_OK" = 1 ] && [ "$PULSORA_OK" = 1 ] && [ -n "$QTABLE" ]; then
	if out=$(psql_pg 2>&1 <<SQL
CREATE FOREIGN TABLE ticks ("timestamp" timestamptz, symbol text, price float8,
                            volume bigint, bid float8, ask float8, exchange text)
  SERVER $SERVER OPTIONS (table '$QTABLE');
SQL
	); then
		FDW_OK=1
	else
		note error_fdw "cannot create the foreign table: $(echo "$out" | grep -m1 ERROR)"
	fi
else
	note error_fdw "no foreign table: $(sed -n 's/^error_\(owner\|ext\|fn\|rest\)=//p' "$RESULTS" | head -n 1)"
fi

# ---------------------------------------------------------------- DuckDB

# DuckDB in its own process while PostgreSQL and the owner sit idle: its
# load, its file size and all its queries (KEY_duck_ms, KEY_duck_result, or
# error_duck / error_duck_KEY); nothing of it is fatal.
duckdb_run() {
	local dir=$HERE/duckdb want have out rc line ms key why sql
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		missing duck "node and npm are missing (Node.js >= 20)"; return
	fi
	if [ "$(node -p 'process.versions.node.split(".")[0] >= 20' 2>/dev/null)" != true ]; then
		missing duck "Node.js $(node --version) is too old: @duckdb/node-api needs >= 20"; return
	fi
	# The pinned version, installed by `npm ci` from package-lock.json unless
	# node_modules already holds it.
	want=$(cd "$dir" && node -p 'require("./package.json").dependencies["@duckdb/node-api"]' 2>/dev/null)
	have=$(cd "$dir" && node -p 'require("./node_modules/@duckdb/node-api/package.json").version' 2>/dev/null)
	if [ -z "$want" ] || [ "$have" != "$want" ]; then
		say "   installing @duckdb/node-api $want into $dir/node_modules (npm ci)"
		if ! out=$(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error 2>&1); then
			missing duck "npm ci failed: $(echo "$out" | grep -i 'err' | head -n 3 | paste -sd' ' | grep . || echo "$out" | tail -n 1)"; return
		fi
	fi
	note node_version "$(node --version)"; note duck_package "$want"
	mkdir -p "$DUCKDIR"
	for key in "${QUERY_KEYS[@]}"; do
		sql=${QUERY_DUCK[$key]:-${QUERY_SQL[$key]}}
		printf '%s\t%s\n' "$key" "${sql//TABLE/ticks}"
	done >"$DUCKDIR/queries.tsv"
	out=$(node "$HERE/duckdb_bench.mjs" "$DUCKDIR/ticks.duckdb" "$CSV" "$DUCKDIR/queries.tsv" \
		"$RUNS" "$DUCK_THREADS" 2>&1)
	rc=$?
	while IFS= read -r line; do
		[[ $line =~ ^[a-z0-9_]+= ]] && note "${line%%=*}" "${line#*=}"
	done <<<"$out"
	# Why it stopped, should it have died: its first error line, else its last.
	why="duckdb_bench.mjs exited $rc: $(grep -v '^[a-z0-9_]*=' <<<"$out" | grep -m1 -E '^[A-Za-z]*(Error|Exception)' ||
		grep -v '^[a-z0-9_]*=' <<<"$out" | tail -n 1)"
	if ! grep -q '^duck_load_ms=' <<<"$out"; then
		grep -q '^error_duck=' <<<"$out" || note error_duck "$why"
		say "   n/a: $(sed -n 's/^error_duck=//p' "$RESULTS" | head -n 1)"
		return
	fi
	have=$(sed -n 's/^duck_rows=//p' <<<"$out")
	if [ "$have" != "$ROWS" ]; then
		missing duck "DuckDB's read_csv loaded $have rows, not $ROWS"; return
	fi
	ms=$(sed -n 's/^duck_load_ms=//p' <<<"$out")
	note duck_rate "$(rate "$ms")"
	say "   read_csv: $ms ms; file $(sed -n 's/^duck_bytes=//p' <<<"$out") bytes"
	for key in "${QUERY_KEYS[@]}"; do
		ms=$(sed -n "s/^${key}_duck_ms=//p" <<<"$out")
		if [ -n "$ms" ]; then
			say "   $key: $ms ms ($(sed -n "s/^${key}_duck_result=//p" <<<"$out"))"
		else
			grep -q "^error_duck_${key}=" <<<"$out" || note "error_duck_$key" "$why"
			say "   $key: n/a: $(sed -n "s/^error_duck_${key}=//p" "$RESULTS" | head -n 1)"
		fi
	done
}

say "2. DuckDB ($DUCK_THREADS threads): read_csv into a table, its file size, the queries of 3-5 and 9"
duckdb_run

# ---------------------------------------------------------------- queries

# query_pair KEY: the median time of the query KEY over the heap table and
# over the foreign table (TABLE replaced), results compared in the report
# (with DuckDB's too).
query_pair() {
	local key=$1 sql=${QUERY_SQL[$1]} heap_result
	time_sql "${sql//TABLE/ticks_heap}" || die "$key over the heap table failed: $SQL_ERROR"
	note "${key}_heap_ms" "$SQL_MS"; heap_result=$SQL_RESULT
	note "${key}_heap_result" "$heap_result"
	say "   heap: $SQL_MS ms ($heap_result)"
	if [ "$FDW_OK" = 0 ]; then
		missing "$key" "$(sed -n 's/^error_fdw=//p' "$RESULTS")"
	elif time_sql "${sql//TABLE/ticks}"; then
		note "${key}_fdw_ms" "$SQL_MS"; note "${key}_fdw_result" "$SQL_RESULT"
		say "   foreign: $SQL_MS ms ($SQL_RESULT)"
	else
		missing "$key" "$SQL_ERROR"
	fi
}

say "3. full scan: count(*), sum(price)"
query_pair full
say "4. 1-hour range: count(*), sum(price)"
query_pair range
say "5. latest 100 ticks: ORDER BY timestamp DESC LIMIT 100"
query_pair latest
say "9. series: $SYM1 over 30 minutes, count(*), sum(price)"
query_pair sym30
say "9. series: $SYM1 over the whole table, count(*), sum(price)"
query_pair symall
say "9. series: $SYM1, $SYM2, $SYM3 over 3 hours, count(*), sum(price)"
query_pair sym3h
say "10. count, sum, min and max over the whole table"
query_pair fullmm
say "10. 1-hour range: count, sum, max"
query_pair rangemax
say "10. count and sum by symbol"
query_pair bysym
say "10. OHLC 1-minute bars per symbol (first, max, min, last, sum)"
query_pair ohlc
say "10. VWAP, 5-minute buckets per symbol over an hour"
query_pair vwap
say "10. last price per symbol: last() GROUP BY symbol"
query_pair lastpx
say "10. last price per symbol: DISTINCT ON (symbol) ... ORDER BY symbol, timestamp DESC"
query_pair lastdist

say "8. backend peak RSS during the full scan"
note mem_idle_kb "$(backend_hwm 'SELECT 1')"
note mem_heap_kb "$(backend_hwm 'SELECT count(*), sum(price) FROM ticks_heap')"
if [ "$FDW_OK" = 1 ]; then
	m=$(backend_hwm 'SELECT count(*), sum(price) FROM ticks')
	case $m in '' | *[!0-9]*) missing mem "$m" ;; *) note mem_fdw_kb "$m" ;; esac
fi

# pgbench_tps TABLE: $TPS of the small-range script over TABLE, or false
# with $PGBENCH_ERROR.
pgbench_tps() {
	local script=$WORK/small_range_$1.sql out
	sed "s/TABLE_NAME/$1/" "$HERE/small_range.sql" >"$script"
	chmod 644 "$script"
	out=$(as_pg "$PGBIN/pgbench" -n -M prepared -c "$CLIENTS" -j 2 -T "$SECONDS_RUN" \
		-D base="$BASE_MS" -D span="$SPAN_MS" -D width="$RANGE_MS" -f "$script" \
		-h "$PGDIR" -p "$PGPORT" -U postgres postgres 2>&1)
	local rc=$?
	TPS=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p')
	PGBENCH_ERROR=$(echo "$out" | grep -m1 -iE 'error|abort')
	[ "$rc" -eq 0 ] && [ -z "$PGBENCH_ERROR" ] && [ -n "$TPS" ] ||
		{ PGBENCH_ERROR=${PGBENCH_ERROR:-$(echo "$out" | tail -n 1)}; return 1; }
}

say "6. small ranges (${RANGE_MS} ms, ~${RANGE_MS} rows) with pgbench: $CLIENTS clients, ${SECONDS_RUN} s"
pgbench_tps ticks_heap || die "pgbench over the heap table failed: $PGBENCH_ERROR"
note tps_heap "$TPS"; say "   heap: $TPS TPS"
if [ "$FDW_OK" = 0 ]; then
	missing tps "$(sed -n 's/^error_fdw=//p' "$RESULTS")"
elif pgbench_tps ticks; then
	note tps_fdw "$TPS"; say "   foreign: $TPS TPS"
else
	missing tps "pgbench over the foreign table failed: $PGBENCH_ERROR"
fi

say "7. the same small ranges over REST with wrk: $CLIENTS connections, ${SECONDS_RUN} s"
if [ "$PULSORA_OK" = 1 ] && [ -n "$QTABLE" ]; then
	out=$(BENCH_TABLE=$QTABLE BENCH_BASE_MS=$BASE_MS BENCH_SPAN_MS=$SPAN_MS BENCH_RANGE_MS=$RANGE_MS \
		wrk -t 2 -c "$CLIENTS" -d "${SECONDS_RUN}s" -s "$HERE/small_range.lua" "http://127.0.0.1:$RPORT" 2>&1)
	rps=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
	bad=$(echo "$out" | grep -E 'Non-2xx|Socket errors' | paste -sd' ')
	if [ -n "$rps" ] && [ -z "$bad" ]; then
		note rps_rest "$rps"; say "   REST: $rps requests/s"
	else
		missing rps "wrk: ${bad:-$(echo "$out" | tail -n 2 | paste -sd' ')} (${rps:-no} requests/s)"
	fi
else
	missing rps "$(sed -n 's/^error_\(owner\|fn\|rest\)=//p' "$RESULTS" | head -n 1)"
fi

say "10. recovery: kill -9 in the middle of a $RECOVERY_ROWS-row REST load, then time a restart until the owner answers"
if [ "$PULSORA_OK" = 1 ] && [ -n "$(sed -n 's/^rest_ms=//p' "$RESULTS")" ]; then
	RCSV=$WORK/recovery.csv
	"$BUILD/test/gen_ticks" "$RECOVERY_ROWS" "$((SEED + 1))" >"$RCSV" || die "gen_ticks failed"
	curl -s -X POST -H 'Content-Type: text/csv' --data-binary "@$RCSV" \
		"http://127.0.0.1:$RPORT/tables/recovery/ingest" >/dev/null 2>&1 &
	curl_pid=$!
	# Half the time this load takes: the 5M-tick REST load's time, scaled.
	half_ms=$(($(sed -n 's/^rest_ms=//p' "$RESULTS") * RECOVERY_ROWS / ROWS / 2))
	sleep "$(awk -v ms="$half_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
	if kill -0 "$curl_pid" 2>/dev/null; then
		kill -KILL "$OWNER_PID"; wait "$OWNER_PID" 2>/dev/null; OWNER_PID=""
		wait "$curl_pid" 2>/dev/null
		t0=$(date +%s%N)
		if owner_start; then
			t1=$(date +%s%N)
			code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RPORT/tables/recovery/count")
			if [ "$code" = 404 ]; then
				note recovery_ms "$(((t1 - t0) / 1000000))"
				say "   the owner answered $(((t1 - t0) / 1000000)) ms after its restart; the load is gone"
			else
				missing recovery "after the restart /tables/recovery/count answered $code, not 404 (the load should be rolled back)"
			fi
		else
			missing recovery "pulsorad did not restart: $(tail -n 3 "$STORE/pulsorad.log" | paste -sd' ')"
		fi
	else
		wait "$curl_pid" 2>/dev/null
		missing recovery "the load ended before the kill (after $half_ms ms)"
	fi
	rm -f "$RCSV"
else
	missing recovery "$(sed -n 's/^error_\(owner\|rest\)=//p' "$RESULTS" | head -n 1)"
fi

say "11. time_format: \"%Y/%m/%d %H:%M:%S\" parses per second on one core (bench_time_format)"
if [ -x "$BUILD/test/bench_time_format" ] && TF_OUT=$("$BUILD/test/bench_time_format" 2>&1); then
	echo "$TF_OUT" | grep -v '=' | sed 's/^/   /'
	note time_format_rate "$(echo "$TF_OUT" | sed -n 's/^time_format_rate=//p')"
else
	missing time_format "bench_time_format: $(echo "${TF_OUT:-$BUILD/test/bench_time_format is not built}" | tail -n 1)"
fi

# ---------------------------------------------------------------- report

note date "$(date -u '+%Y-%m-%d %H:%M UTC')"
note nproc "$(nproc)"
note mem_total_kb "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
note kernel "$(uname -sr)"
note cpu "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"

python3 - "$RESULTS" "$OUT/results.md" "$WORK/chart.tsv" "$WORK/chart.vars" <<'PY' || die "cannot write the report"
import math, sys

r = {}
for line in open(sys.argv[1], encoding="utf-8"):
    k, _, v = line.rstrip("\n").partition("=")
    r[k] = v

# A DuckDB run that failed as a whole (its load, or a row count that is not
# ours) measured nothing comparable.
if r.get("error_duck"):
    r = {k: v for k, v in r.items() if not (k in ("duck_rate", "duck_bytes") or k.endswith(("_duck_ms", "_duck_result")))}

def num(k):
    try:
        return float(r[k])
    except (KeyError, ValueError):
        return None

def mb(kb_or_bytes, unit):
    v = num(kb_or_bytes)
    return None if v is None else v / (1024.0 if unit == "kb" else 1048576.0)

# first/last of rows with equal times are not defined (as in TimescaleDB),
# and the ticks have such ties: the sums of these answers may differ by a
# few ticks' prices, the counts may not.
TIE_KEYS = ("ohlc", "lastpx", "lastdist")

def same_result(a, b, rel=1e-9):
    """Two answers agree: the first field (a count) equal, the other numbers to a relative rel."""
    if a is None or b is None:
        return True
    fa, fb = a.split("|"), b.split("|")
    if len(fa) != len(fb) or fa[0] != fb[0]:
        return False
    try:
        return all(math.isclose(float(x), float(y), rel_tol=rel) for x, y in zip(fa[1:], fb[1:]))
    except ValueError:
        return a == b

def ratio(a, b):
    return a / b if a is not None and b is not None and b > 0 else None

# A target: what it compares ("pg": Pulsora / PostgreSQL, "duck": Pulsora /
# DuckDB, "abs": Pulsora's figure over a budget), the bound, and how.
def T(kind, bound, op, text):
    return dict(kind=kind, bound=bound, op=op, text=text)

def met(t, value):
    if value is None:
        return None
    return {">=": value >= t["bound"], ">": value > t["bound"], "<=": value <= t["bound"]}[t["op"]]

rows = []   # one dict per figure, in the order of the table

NONE = "—"   # a figure that has no counterpart (DuckDB has no pgbench, no REST, no owner)

def add(figure, pg, pl, dk, fmt, targets, label, key=None, abs_value=None):
    show = lambda v: v if v == NONE else ("n/a" if v is None else fmt.format(v))
    ratio_or_none = lambda a, b: NONE if b == NONE else ratio(a, b)
    rows.append(dict(figure=figure, pg=show(pg), pl=show(pl), dk=show(dk), rpg=ratio_or_none(pl, pg),
                     rdk=ratio_or_none(pl, dk), targets=targets, label=label, key=key, abs_value=abs_value))

n = int(r["rows"])
add("load rate, `pulsora_load_csv` vs `COPY` and DuckDB's `read_csv` (rows/s)", num("copy_rate"),
    num("fn_rate"), num("duck_rate"), "{:,.0f}",
    [T("pg", 4.0, ">=", "≥ 4× PG"), T("duck", 1.0, ">", "> 1× DuckDB")], "load\tSQL function")
add("load rate, REST ingest (curl) vs `COPY` and `read_csv` (rows/s)", num("copy_rate"), num("rest_rate"),
    num("duck_rate"), "{:,.0f}", [T("pg", 4.0, ">=", "≥ 4× PG")], "load\tREST (curl)")
add("size on disk: heap + indexes vs `DIR/db` vs DuckDB's file (MB)", mb("heap_bytes", "b"),
    mb("store_bytes", "b"), mb("duck_bytes", "b"), "{:,.1f}",
    [T("pg", 0.3, "<=", "≤ 0.3× PG"), T("duck", 1.0, "<=", "≤ 1× DuckDB")], "size\ton disk")
add("full scan `count(*), sum(price)` (ms)", num("full_heap_ms"), num("full_fdw_ms"), num("full_duck_ms"),
    "{:,.1f}", [T("pg", 1.0, "<=", "≤ 1× PG")], "full scan\taggregate", key="full")
add("1-hour range `count(*), sum(price)` (ms)", num("range_heap_ms"), num("range_fdw_ms"),
    num("range_duck_ms"), "{:,.1f}", [T("pg", 1.0, "<=", "≤ 1× PG")], "1-hour range\taggregate", key="range")
add("latest 100 ticks, `ORDER BY timestamp DESC LIMIT 100` (ms)", num("latest_heap_ms"), num("latest_fdw_ms"),
    num("latest_duck_ms"), "{:,.2f}", [T("abs", 0.5, "<=", "≤ 0.5 ms")], "latest 100\tDESC LIMIT",
    abs_value=num("latest_fdw_ms"))
add("one symbol, 30 minutes: `count(*), sum(price)` (ms)", num("sym30_heap_ms"), num("sym30_fdw_ms"),
    num("sym30_duck_ms"), "{:,.2f}", [T("pg", 1.0, "<=", "≤ 1× PG"), T("duck", 2.0, "<=", "≤ 2× DuckDB")],
    "1 symbol\t30 minutes", key="sym30")
add("one symbol, whole table: `count(*), sum(price)` (ms)", num("symall_heap_ms"), num("symall_fdw_ms"),
    num("symall_duck_ms"), "{:,.1f}", [T("pg", 1.0, "<=", "≤ 1× PG"), T("duck", 2.0, "<=", "≤ 2× DuckDB")],
    "1 symbol\twhole table", key="symall")
add("three symbols, 3 hours: `count(*), sum(price)` (ms)", num("sym3h_heap_ms"), num("sym3h_fdw_ms"),
    num("sym3h_duck_ms"), "{:,.1f}", [T("pg", 1.0, "<=", "≤ 1× PG"), T("duck", 2.0, "<=", "≤ 2× DuckDB")],
    "3 symbols\t3 hours", key="sym3h")
# Issue 10's aggregates, with its targets.
for key, figure, label, pg_t, duck_t in (
        ("fullmm", "whole table: `count(*), sum, min, max` of price", "count sum min max\twhole table", 0.1, 3.0),
        ("rangemax", "1-hour range: `count(*), sum, max`", "count sum max\t1-hour range", 0.5, 3.0),
        ("bysym", "`count(*), sum(price)` by symbol", "count and sum\tby symbol", 0.2, 2.0),
        ("ohlc", "OHLC 1-minute bars per symbol, `time_bucket`, `first`, `last`", "OHLC bars\t1 minute", 0.1, 1.0),
        ("vwap", "VWAP, 5-minute buckets per symbol over 1 hour", "VWAP\t5 minutes", 0.5, 2.0),
        ("lastpx", "last price per symbol, `last(price, timestamp) GROUP BY symbol`", "last price\tlast()", 0.05, 2.0),
        ("lastdist", "last price per symbol, `DISTINCT ON (symbol)`", "last price\tDISTINCT ON", 0.05, 2.0)):
    add(figure + " (ms)", num(key + "_heap_ms"), num(key + "_fdw_ms"), num(key + "_duck_ms"), "{:,.1f}",
        [T("pg", pg_t, "<=", "≤ %g× PG" % pg_t), T("duck", duck_t, "<=", "≤ %g× DuckDB" % duck_t)], label, key=key)
add("small ranges, pgbench, %s clients (TPS)" % r["clients"], num("tps_heap"), num("tps_fdw"), NONE,
    "{:,.0f}", [T("pg", 0.8, ">=", "≥ 0.8× PG")], "small ranges\tpgbench")
add("small ranges over REST, wrk (req/s) vs heap pgbench TPS", num("tps_heap"), num("rps_rest"), NONE,
    "{:,.0f}", [T("pg", 1.0, ">=", "≥ 1× PG")], "small ranges\tREST, wrk")
for key, what in (("fn", "`pulsora_load_csv`"), ("rest", "REST")):
    rss = mb("rss_%s_kb" % key, "kb")
    add("owner peak RSS during the %s load (MB)" % what, None, rss, None, "{:,.0f}",
        [T("abs", 300.0, "<=", "≤ 300 MB")], "owner RSS\t%s load" % ("SQL" if key == "fn" else "REST"),
        abs_value=rss)
    rows[-1]["pg"] = rows[-1]["dk"] = rows[-1]["rpg"] = rows[-1]["rdk"] = NONE
rec = num("recovery_ms")
add("owner answering after a kill -9 mid-load of %s rows (ms)" % "{:,}".format(int(r["recovery_rows"])),
    None, rec, None, "{:,.0f}", [T("abs", 2000.0, "<=", "≤ 2 s")], "recovery\tkill -9", abs_value=rec)
rows[-1]["pg"] = rows[-1]["dk"] = rows[-1]["rpg"] = rows[-1]["rdk"] = NONE
tf = num("time_format_rate")
add("`time_format` `%Y/%m/%d %H:%M:%S`, parses per second on one core", None, tf, None, "{:,.0f}",
    [T("abs", 1e7, ">=", "≥ 10M/s")], "time_format\tparses/s", abs_value=tf)
rows[-1]["pg"] = rows[-1]["dk"] = rows[-1]["rpg"] = rows[-1]["rdk"] = NONE
add("backend peak RSS during the full scan (MB)", mb("mem_heap_kb", "kb"), mb("mem_fdw_kb", "kb"), NONE,
    "{:,.0f}", [], "backend RSS\tfull scan")

# Answers checked against the heap table's (the latest 100 are not: ticks
# with equal times may come in either order; see TIE_KEYS).
notes = []
for row in rows:
    k = row["key"]
    if not k:
        continue
    heap = r.get(k + "_heap_result")
    rel = 1e-4 if k in TIE_KEYS else 1e-9
    if not same_result(heap, r.get(k + "_fdw_result"), rel):
        row["wrong"] = True
    if not same_result(heap, r.get(k + "_duck_result"), rel):
        notes.append("- %s: DuckDB answered `%s`, the heap table `%s`" % (row["label"].replace("\t", ", "),
                                                                         r.get(k + "_duck_result"), heap))

def target_status(row, t):
    """yes / no / n/a for one target (an "abs" target compares the figure itself with its bound)."""
    v = {"pg": row["rpg"], "duck": row["rdk"], "abs": row["abs_value"]}[t["kind"]]
    ok = met(t, v)
    return "n/a" if ok is None else ("yes" if ok else "no")

def status(row):
    if not row["targets"]:
        return "—"
    if row.get("wrong"):
        return "no (wrong result)"
    sts = [target_status(row, t) for t in row["targets"]]
    if len(set(sts)) == 1:
        return sts[0]
    return ", ".join("%s (%s)" % (st, {"pg": "PG", "duck": "DuckDB", "abs": "budget"}[t["kind"]])
                     for st, t in zip(sts, row["targets"]))

def ratio_text(v):
    return v if v == NONE else ("n/a" if v is None else "%.2f×" % v)

header = ["figure", "PostgreSQL 15", "Pulsora", "DuckDB", "Pulsora / PostgreSQL", "Pulsora / DuckDB", "target", "met"]
table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
for row in rows:
    table.append("| %s |" % " | ".join((row["figure"], row["pg"], row["pl"], row["dk"], ratio_text(row["rpg"]),
                                        ratio_text(row["rdk"]),
                                        ", ".join(t["text"] for t in row["targets"]) or "—", status(row))))

failed = {}   # error message -> what it kept from being measured
for k, v in r.items():
    if k.startswith("error_") and v:
        failed.setdefault(v, []).append(k[6:])
errors = ["- %s: %s" % (", ".join(ks), v) for v, ks in failed.items()]

gib = int(r["mem_total_kb"]) / 1048576.0
md = []
md.append("# Benchmark results (`make bench`)\n")
md.append("Pulsora versus PostgreSQL 15 and DuckDB on the same %s generated ticks (seed %s, %.0f MB of CSV, "
          "%s .. %s), in one run on one machine. Written by `test/bench/run.sh`; "
          "the chart is [results.svg](results.svg).\n" % ("{:,}".format(n), r["seed"],
          int(r["csv_bytes"]) / 1048576.0, r["first_ts"], r["last_ts"]))
md.append("- date: %s" % r["date"])
md.append("- machine: %s cores (%s), %.1f GiB memory, %s; load average before the run: %s"
          % (r["nproc"], r.get("cpu", "?"), gib, r["kernel"], r["loadavg_start"]))
md.append("- PostgreSQL %s: %s" % (r.get("pg_version", "?"), r.get("pg_settings", "")))
md.append("- Pulsora %s, one pulsorad started by hand (REST on), `pulsora.toml`: %s"
          % (r.get("pulsora_version", "?"), r.get("pulsora_settings", "n/a")))
md.append("- DuckDB %s (npm `@duckdb/node-api` %s, Node.js %s), in-process: threads = %s, memory_limit = %s; "
          "load = `CREATE TABLE ticks AS SELECT * FROM read_csv(...)` with the column types of the heap table; "
          "size = the database file after `CHECKPOINT`; no index (its zone maps only)"
          % (r.get("duck_version", "n/a"), r.get("duck_package", "?"), r.get("node_version", "?"),
             r.get("duck_threads", "?"), r.get("duck_memory_limit", "?")))
md.append("- queries: one warm-up, then the median of %s runs, timed by psql's `\\timing` (PostgreSQL, Pulsora) "
          "or in Node until the result is in JavaScript values (DuckDB, no client/server round trip); "
          "pgbench `-M prepared -c %s -j 2 -T %s`, wrk `-t 2 -c %s -d %ss`" % (r["runs"], r["clients"],
          r["seconds"], r["clients"], r["seconds"]))
md.append("- 1-hour range: `[%s, %s)`; small ranges: random %s ms windows (~1 tick per ms, so ~%s rows), "
          "all columns returned" % (r["hour_lo"], r["hour_hi"], r["range_ms"], r["range_ms"]))
md.append("- series: one symbol (`%s`) over 30 minutes `[%s, %s)` and over the whole table; three symbols "
          "(`%s`) over 3 hours `[%s, %s)` (windows in the middle of the data, at most 40%% and 70%% of its span)"
          % (r["sym1"], r["sym30_lo"], r["sym30_hi"], r["sym3"].replace(", ", "`, `"), r["sym3h_lo"], r["sym3h_hi"]))
md.append("- heap + indexes = `pg_total_relation_size` after `VACUUM (ANALYZE)` (table %.1f MB, indexes on time "
          "and on (symbol, time) %.1f MB); Pulsora's size = `du -sb DIR/db` after the `pulsora_load_csv` load, "
          "restarting the owner%s and letting RocksDB settle"
          % (mb("heap_table_bytes", "b") or 0, mb("heap_index_bytes", "b") or 0,
             ", a full compaction" if r.get("store_compacted") == "yes" else " (compaction failed)"))
md.append("- backend peak RSS = the backend's `VmHWM` after the query (includes the shared buffers it touched); "
          "an idle backend: %s MB" % ("n/a" if num("mem_idle_kb") is None else "%.0f" % mb("mem_idle_kb", "kb")))
md.append("- targets: issue 4 (loads, size vs PostgreSQL, small ranges, owner RSS), issue 9 (DuckDB, the "
          "series queries, full scan and 1-hour range ≤ 1× PostgreSQL, latest 100 ≤ 0.5 ms) and issue 10 "
          "(the aggregates, computed by the owner where the FDW pushes them; first/last answers are "
          "compared allowing for ties, which the ticks have)")
md.append("")
md.extend(table)
md.append("")
if notes:
    md.append("Answers that differ:\n")
    md.extend(notes)
    md.append("")
if errors:
    md.append("Not measured:\n")
    md.extend(errors)
    md.append("")
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(md))

# The chart: per figure, a bar for Pulsora / PostgreSQL (or, for an absolute
# target, the figure over its budget) and one for Pulsora / DuckDB.
def bar(row, kind):
    ts = [t for t in row["targets"] if t["kind"] == kind or (kind == "pg" and t["kind"] == "abs")]
    t = ts[0] if ts else None
    if t is not None and t["kind"] == "abs":
        v = None if row["abs_value"] is None else row["abs_value"] / t["bound"]
        bound = 1.0
    else:
        v = row["rpg"] if kind == "pg" else row["rdk"]
        v = None if v == NONE else v
        bound = None if t is None else t["bound"]
    if t is None or v is None:
        code = 2
    elif row.get("wrong"):
        code = 0
    else:
        code = 1 if target_status(row, t) == "yes" else 0
    return ("NaN" if v is None else "%.4g" % v, "NaN" if bound is None else "%g" % bound, code,
            "—" if t is None else t["text"])

values = []
with open(sys.argv[3], "w", encoding="utf-8") as f:
    f.write("# label 1\tlabel 2\ttarget vs PG\ttarget vs DuckDB\tratio PG\ttarget PG\tstatus PG\t"
            "ratio DuckDB\ttarget DuckDB\tstatus DuckDB\n")
    for row in rows:
        p, d = bar(row, "pg"), bar(row, "duck")
        f.write("%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%d\n" % (row["label"], p[3], d[3], p[0], p[1], p[2], d[0], d[1], d[2]))
        values += [float(x) for x in (p[0], p[1], d[0], d[1]) if x != "NaN" and float(x) > 0]
# The chart's log axis (whole decades around every ratio and target) and subtitle.
with open(sys.argv[4], "w", encoding="utf-8") as f:
    f.write("ymin=%g; ymax=%g; subtitle='%s ticks, %s cores, %s';\n"
            % (10 ** math.floor(math.log10(min(values + [1]) / 1.5)),
               10 ** math.ceil(math.log10(max(values + [1]) * 1.5)), "{:,}".format(n), r["nproc"], r["date"]))
print("\n".join(table))
if notes:
    print("\nAnswers that differ:")
    print("\n".join(notes))
if errors:
    print("\nNot measured:")
    print("\n".join(errors))
PY

gnuplot -e "$(cat "$WORK/chart.vars") datafile='$WORK/chart.tsv'; outfile='$OUT/results.svg'" \
	"$HERE/results.gp" || die "gnuplot failed"
echo
say "written: $OUT/results.md, $OUT/results.svg"
