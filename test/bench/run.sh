#!/bin/bash
# test/bench/run.sh — `make bench` (issue 4): Pulsora side by side with
# PostgreSQL 15 on the same generated market ticks, in one run, on this
# machine; never part of `make check`.
#
#   test/bench/run.sh [BUILD]     BUILD holds pulsorad and test/gen_ticks (default build)
#
#   BENCH_ROWS      ticks to generate (5000000)     BENCH_SEED     generator seed (42)
#   BENCH_RUNS      timed runs per query, after one warm-up; the median counts (5)
#   BENCH_SECONDS   length of the pgbench and wrk runs (20)
#   BENCH_CLIENTS   pgbench clients and wrk connections (32)
#   BENCH_RANGE_MS  width of the small random ranges (100: ~1 tick per ms, so ~100 rows)
#   BENCH_KEEP=1    leave /var/tmp/pulsora-bench and its servers running for a look
#
# Everything runs as user postgres under /var/tmp/pulsora-bench: the ticks
# CSV (generated once, loaded three times), a throwaway PostgreSQL cluster on
# a private socket directory and port, and one pulsorad owner started by hand
# with REST on a free port (the extension's server has autostart off, so it
# only ever talks to that owner).  Both are durable the same way: PostgreSQL
# with fsync and synchronous_commit on, pulsorad with [storage] sync = true.
#
# The figures (issue 4): load rates (COPY into a heap table with a B-tree on
# time, pulsora_load_csv, REST ingest with curl), size on disk, full-scan and
# 1-hour-range aggregates, the latest 100 ticks, small random ranges with
# pgbench and over REST with wrk, the owner's peak RSS during each load and
# the backend's during the full scan.  Each query runs once to warm up and
# BENCH_RUNS more times, timed by psql's \timing; the median counts.  Every
# aggregate of the foreign table is checked against the heap table's.
#
# It prints one table (Pulsora / PostgreSQL, target, met) and writes it to
# test/bench/results.md, with the chart test/bench/results.svg.  A Pulsora
# step that fails is shown as n/a with its error and the run goes on; a
# PostgreSQL step that fails ends the run.  Whatever the script started is
# stopped and its directory removed on exit, failures included.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -uo pipefail

BUILD=${1:-build}
ROWS=${BENCH_ROWS:-5000000}
SEED=${BENCH_SEED:-42}
RUNS=${BENCH_RUNS:-5}
SECONDS_RUN=${BENCH_SECONDS:-20}
CLIENTS=${BENCH_CLIENTS:-32}
RANGE_MS=${BENCH_RANGE_MS:-100}
KEEP=${BENCH_KEEP:-0}

HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=/usr/lib/postgresql/15/bin
WORK=/var/tmp/pulsora-bench
CSV=$WORK/ticks.csv
PGDIR=$WORK/pg				# socket directory; the cluster is in $PGDIR/data
STORE=$WORK/store			# pulsorad's data directory
RESULTS=$WORK/results.env	# key=value, one figure a line
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
mkdir -p "$WORK/bin" "$PGDIR"
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
# The 1-hour range: an hour in the middle of the data (or its middle 70%
# when the data spans less, as in small test runs).
HOUR_MS=$((SPAN_MS > 3600000 * 10 / 7 ? 3600000 : SPAN_MS * 7 / 10))
HOUR_LO_MS=$((BASE_MS + (SPAN_MS - HOUR_MS) / 2))
HOUR_HI_MS=$((HOUR_LO_MS + HOUR_MS))
HOUR_LO=$(date -u -d "@$((HOUR_LO_MS / 1000)).$(printf %03d $((HOUR_LO_MS % 1000)))" '+%Y-%m-%d %H:%M:%S.%3N+00')
HOUR_HI=$(date -u -d "@$((HOUR_HI_MS / 1000)).$(printf %03d $((HOUR_HI_MS % 1000)))" '+%Y-%m-%d %H:%M:%S.%3N+00')
note rows "$ROWS"; note seed "$SEED"; note csv_bytes "$CSV_BYTES"
note first_ts "$FIRST_TS"; note last_ts "$LAST_TS"
note hour_lo "$HOUR_LO"; note hour_hi "$HOUR_HI"; note range_ms "$RANGE_MS"
note loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
note runs "$RUNS"; note seconds "$SECONDS_RUN"; note clients "$CLIENTS"
say "ticks from $FIRST_TS to $LAST_TS ($CSV_BYTES bytes); range query [$HOUR_LO, $HOUR_HI)"

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

say "1. load: COPY into a heap table with a B-tree on time"
psql_pg <<'SQL' || die "cannot create the heap table"
CREATE TABLE ticks_heap ("timestamp" timestamptz NOT NULL, symbol text, price float8,
                         volume bigint, bid float8, ask float8, exchange text);
CREATE INDEX ticks_heap_time ON ticks_heap ("timestamp");
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

# ---------------------------------------------------------------- queries

# query_pair KEY SQL_WITH_TABLE: the median time of SQL over the heap table
# and over the foreign table (TABLE replaced), results compared.
query_pair() {
	local key=$1 sql=$2 heap_result
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
query_pair full 'SELECT count(*), sum(price) FROM TABLE'
say "4. 1-hour range: count(*), sum(price)"
query_pair range "SELECT count(*), sum(price) FROM TABLE WHERE \"timestamp\" >= '$HOUR_LO' AND \"timestamp\" < '$HOUR_HI'"
say "5. latest 100 ticks: ORDER BY timestamp DESC LIMIT 100"
query_pair latest 'SELECT * FROM TABLE ORDER BY "timestamp" DESC LIMIT 100'

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

# ---------------------------------------------------------------- report

note date "$(date -u '+%Y-%m-%d %H:%M UTC')"
note nproc "$(nproc)"
note mem_total_kb "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
note kernel "$(uname -sr)"
note cpu "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"

python3 - "$RESULTS" "$HERE/results.md" "$WORK/chart.tsv" "$WORK/chart.vars" <<'PY' || die "cannot write the report"
import math, sys

r = {}
for line in open(sys.argv[1], encoding="utf-8"):
    k, _, v = line.rstrip("\n").partition("=")
    r[k] = v

def num(k):
    try:
        return float(r[k])
    except (KeyError, ValueError):
        return None

def mb(kb_or_bytes, unit):
    v = num(kb_or_bytes)
    return None if v is None else v / (1024.0 if unit == "kb" else 1048576.0)

def result_matches(key):
    """The foreign table's count and sum agree with the heap table's."""
    a, b = r.get(key + "_heap_result"), r.get(key + "_fdw_result")
    if a is None or b is None:
        return True
    try:
        (ca, sa), (cb, sb) = (x.split("|") for x in (a, b))
        return ca == cb and math.isclose(float(sa), float(sb), rel_tol=1e-9)
    except ValueError:
        return a == b

rows = []   # one dict per figure, in the order of the table

def add(figure, pg, pl, fmt, target_text, target, higher, label, ratio=None):
    if ratio is None and pg is not None and pl is not None and pg > 0:
        ratio = pl / pg
    show = lambda v: "n/a" if v is None else fmt.format(v)
    rows.append(dict(figure=figure, pg=show(pg), pl=show(pl), ratio=ratio, target_text=target_text,
                     target=target, higher=higher, label=label))

n = int(r["rows"])
add("load rate, `pulsora_load_csv` vs `COPY` (rows/s)", num("copy_rate"), num("fn_rate"), "{:,.0f}",
    "≥ 4×", 4.0, True, "load\tSQL function")
add("load rate, REST ingest (curl) vs `COPY` (rows/s)", num("copy_rate"), num("rest_rate"), "{:,.0f}",
    "≥ 4×", 4.0, True, "load\tREST (curl)")
add("size on disk: heap + index vs `DIR/db` (MB)", mb("heap_bytes", "b"), mb("store_bytes", "b"), "{:,.1f}",
    "≤ 0.3×", 0.3, False, "size\ton disk")
add("full scan `count(*), sum(price)` (ms)", num("full_heap_ms"), num("full_fdw_ms"), "{:,.1f}",
    "≤ 1.5×", 1.5, False, "full scan\taggregate")
add("1-hour range `count(*), sum(price)` (ms)", num("range_heap_ms"), num("range_fdw_ms"), "{:,.1f}",
    "≤ 1.0×", 1.0, False, "1-hour range\taggregate")
add("latest 100 ticks, `ORDER BY timestamp DESC LIMIT 100` (ms)", num("latest_heap_ms"),
    num("latest_fdw_ms"), "{:,.2f}", "—", None, False, "latest 100\tDESC LIMIT")
add("small ranges, pgbench, %s clients (TPS)" % r["clients"], num("tps_heap"), num("tps_fdw"),
    "{:,.0f}", "≥ 0.8×", 0.8, True, "small ranges\tpgbench")
add("small ranges over REST, wrk (req/s) vs heap pgbench TPS", num("tps_heap"), num("rps_rest"),
    "{:,.0f}", "≥ 1.0×", 1.0, True, "small ranges\tREST, wrk")
for key, what in (("fn", "`pulsora_load_csv`"), ("rest", "REST")):
    rss = mb("rss_%s_kb" % key, "kb")
    add("owner peak RSS during the %s load (MB)" % what, None, rss, "{:,.0f}", "≤ 300 MB", 1.0, False,
        "owner RSS\t%s load" % ("SQL" if key == "fn" else "REST"),
        ratio=None if rss is None else rss / 300.0)
    rows[-1]["pg"] = "—"
add("backend peak RSS during the full scan (MB)", mb("mem_heap_kb", "kb"), mb("mem_fdw_kb", "kb"),
    "{:,.0f}", "—", None, False, "backend RSS\tfull scan")

# The latest-100 rows are not compared: ticks with equal times may come in either order.
for row, key in zip(rows[3:5], ("full", "range")):
    if not result_matches(key):
        row["wrong"] = True

def status(row):
    if row["ratio"] is None or row["target"] is None:
        return "—" if row["ratio"] is not None or row["target"] is None else "n/a"
    if row.get("wrong"):
        return "no (wrong result)"
    ok = row["ratio"] >= row["target"] if row["higher"] else row["ratio"] <= row["target"]
    return "yes" if ok else "no"

def ratio_text(row):
    if row["figure"].startswith("owner peak RSS"):
        return "—"
    return "n/a" if row["ratio"] is None else "%.2f×" % row["ratio"]

header = ["figure", "PostgreSQL 15", "Pulsora", "Pulsora / PostgreSQL", "target", "met"]
table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
for row in rows:
    table.append("| %s | %s | %s | %s | %s | %s |" % (row["figure"], row["pg"], row["pl"], ratio_text(row),
                                                     row["target_text"], status(row)))

errors = []
seen = set()
for k, v in r.items():
    if k.startswith("error_") and v and v not in seen:
        seen.add(v)
        errors.append("- %s: %s" % (k[6:], v))

gib = int(r["mem_total_kb"]) / 1048576.0
md = []
md.append("# Benchmark results (`make bench`)\n")
md.append("Pulsora versus PostgreSQL 15 on the same %s generated ticks (seed %s, %.0f MB of CSV, "
          "%s .. %s), in one run on one machine. Written by `test/bench/run.sh`; "
          "the chart is [results.svg](results.svg).\n" % ("{:,}".format(n), r["seed"],
          int(r["csv_bytes"]) / 1048576.0, r["first_ts"], r["last_ts"]))
md.append("- date: %s" % r["date"])
md.append("- machine: %s cores (%s), %.1f GiB memory, %s; load average before the run: %s"
          % (r["nproc"], r.get("cpu", "?"), gib, r["kernel"], r["loadavg_start"]))
md.append("- PostgreSQL %s: %s" % (r.get("pg_version", "?"), r.get("pg_settings", "")))
md.append("- Pulsora %s, one pulsorad started by hand (REST on), `pulsora.toml`: %s"
          % (r.get("pulsora_version", "?"), r.get("pulsora_settings", "n/a")))
md.append("- queries: one warm-up, then the median of %s runs timed by psql's `\\timing`; "
          "pgbench `-M prepared -c %s -j 2 -T %s`, wrk `-t 2 -c %s -d %ss`" % (r["runs"], r["clients"],
          r["seconds"], r["clients"], r["seconds"]))
md.append("- 1-hour range: `[%s, %s)`; small ranges: random %s ms windows (~1 tick per ms, so ~%s rows), "
          "all columns returned" % (r["hour_lo"], r["hour_hi"], r["range_ms"], r["range_ms"]))
md.append("- heap + index = `pg_total_relation_size` after `VACUUM (ANALYZE)` (table %.1f MB, index %.1f MB); "
          "Pulsora's size = `du -sb DIR/db` after the `pulsora_load_csv` load, restarting the owner%s "
          "and letting RocksDB settle"
          % (mb("heap_table_bytes", "b") or 0, mb("heap_index_bytes", "b") or 0,
             ", a full compaction" if r.get("store_compacted") == "yes" else " (compaction failed)"))
md.append("- backend peak RSS = the backend's `VmHWM` after the query (includes the shared buffers it touched); "
          "an idle backend: %s MB" % ("n/a" if num("mem_idle_kb") is None else "%.0f" % mb("mem_idle_kb", "kb")))
md.append("")
md.extend(table)
md.append("")
if errors:
    md.append("Not measured:\n")
    md.extend(errors)
    md.append("")
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(md))

with open(sys.argv[3], "w", encoding="utf-8") as f:
    f.write("# label 1\tlabel 2\ttarget text\tratio\ttarget\tstatus\n")
    for row in rows:
        st = status(row)
        code = 1 if st == "yes" else (0 if st.startswith("no") else 2)
        f.write("%s\t%s\t%s\t%s\t%d\n" % (row["label"], "no target" if row["target"] is None else row["target_text"],
                                          "NaN" if row["ratio"] is None else "%.4g" % row["ratio"],
                                          "NaN" if row["target"] is None else row["target"], code))
# The chart's log axis (whole decades around every ratio and target) and subtitle.
values = [v for row in rows for v in (row["ratio"], row["target"]) if v]
with open(sys.argv[4], "w", encoding="utf-8") as f:
    f.write("ymin=%g; ymax=%g; subtitle='%s ticks, %s cores, %s';\n"
            % (10 ** math.floor(math.log10(min(values + [1]) / 1.5)),
               10 ** math.ceil(math.log10(max(values + [1]) * 1.5)), "{:,}".format(n), r["nproc"], r["date"]))
print("\n".join(table))
if errors:
    print("\nNot measured:")
    print("\n".join(errors))
PY

gnuplot -e "$(cat "$WORK/chart.vars") datafile='$WORK/chart.tsv'; outfile='$HERE/results.svg'" \
	"$HERE/results.gp" || die "gnuplot failed"
echo
say "written: $HERE/results.md, $HERE/results.svg"
