#!/bin/bash
# scaleout.sh — the scale-out figure of `make bench` (issue 11): one scan
# across three owners, each reached over TCP with 20 ms of added one-way
# latency, against the same scan of one of them alone.
#   test/bench/scaleout.sh BUILD      (writes $BENCH_OUT/scaleout.md, default test/bench)
# The kernel here has no sch_netem, so each owner sits behind
# delay_proxy.py, which delays every chunk 20 ms each way (a round trip
# costs 40 ms, as netem on both ends of a link would).  A table is
# partitioned by month over three owners of 100,000 rows each (ts, symbol,
# price, qty); the query ships every row (its filter is not pushed) and
# sums them: over the parent, the Append runs the three scans as async
# foreign scans; over one partition, one owner does a third of the work.
# Target: the three-owner scan takes at most 1.5x the one-owner scan; the
# same Append with async_capable off (the owners one after another) is shown
# beside it.  Median of 5 runs after a warm-up.
# Beside it, without a target: OHLC and volume per symbol over the three
# months with partitionwise aggregation, where each owner computes its
# partial groups (asked of all three at once), against the same query
# with aggregate pushdown off (every row shipped).
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
OUT=${BENCH_OUT:-$HERE}
. "$ROOT/test/lib.sh"
in_cluster bash "$0" "$BUILD"

DELAY_MS=20
ROWS_PER_OWNER=100000
TOKEN=bench-scaleout-token
T=$(mktemp -d /tmp/pulsora_scaleout_XXXXXX)
chmod 0755 "$T"
DIRS=()
PROXIES=()
cleanup() {
	for d in "${DIRS[@]}"; do
		p=$(cat "$d/pulsorad.pid" 2>/dev/null)
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null
	done
	for p in "${PROXIES[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T" "${DIRS[@]}"
}
trap cleanup EXIT
die() { echo "scaleout: $1" >&2; echo "0 passed, 1 failed"; exit 1; }

# owner N: pulsorad on a free port behind a delaying proxy, whose port goes in PROXY_PORT.
owner() {
	local dir port proxy
	dir=$(pg_data_dir "scaleout$1")
	DIRS+=("$dir")
	port=$(free_port)
	proxy=$(free_port)
	printf '[server]\nrest = false\nauth_token = "%s"\n' "$TOKEN" >"$dir/pulsora.toml"
	chown postgres:postgres "$dir/pulsora.toml"
	as_cluster_user "$BUILD/pulsorad" -D "$dir" --protocol-port "$port" >"$dir/stdout.log" 2>&1 &
	wait_for 200 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null ||
		die "pulsorad $1 did not start: $(tail -3 "$dir/stdout.log")"
	"$PY" "$HERE/delay_proxy.py" "$proxy" 127.0.0.1 "$port" "$DELAY_MS" "$T/proxy$1.ready" &
	PROXIES+=("$!")
	wait_for 100 test -e "$T/proxy$1.ready" || die "proxy $1 did not start"
	PROXY_PORT=$proxy
}
owner 1; P1=$PROXY_PORT
owner 2; P2=$PROXY_PORT
owner 3; P3=$PROXY_PORT

q "CREATE EXTENSION pulsora;
   CREATE TABLE ticks (ts timestamptz NOT NULL, symbol text, price float8, qty bigint)
     PARTITION BY RANGE (ts);" || die "set-up"
for i in 1 2 3; do
	eval "port=\$P$i"
	q "CREATE SERVER n$i FOREIGN DATA WRAPPER pulsora OPTIONS (host '127.0.0.1', port '$port');
	   CREATE USER MAPPING FOR CURRENT_USER SERVER n$i OPTIONS (token '$TOKEN');
	   CREATE FOREIGN TABLE t$i PARTITION OF ticks
	     FOR VALUES FROM ('2024-0$i-01') TO ('2024-0$((i + 1))-01') SERVER n$i OPTIONS (table 'ticks');" ||
		die "server n$i"
done
"$PY" -c "
import datetime
for m in (1, 2, 3):
    t0 = datetime.datetime(2024, m, 1, tzinfo=datetime.timezone.utc)
    for i in range($ROWS_PER_OWNER):
        print('%s,S%d,%.2f,%d' % ((t0 + datetime.timedelta(seconds=i * 20)).isoformat(), i % 50, 100 + i % 997 / 10, i))
" >"$T/ticks.csv"
psql -XAtq -v ON_ERROR_STOP=1 -c "\\copy ticks FROM '$T/ticks.csv' WITH (FORMAT csv)" || die "load"

# median_ms SQL [SETTINGS]: median of 5 timed runs after one warm-up, SETTINGS run first, untimed.
median_ms() {
	{
		echo "${2:-}"
		echo '\timing on'
		for _ in 1 2 3 4 5 6; do echo "$1"; done
	} | psql -XAtq 2>&1 | awk '/^Time:/ {print $2}' | tail -n 5 | sort -n | sed -n 3p
}
QUERY="SELECT count(*), sum(price) FROM %s WHERE qty <> -1"
ONE=$(median_ms "$(printf "$QUERY" t1);")
ALL=$(median_ms "$(printf "$QUERY" ticks);")
ASYNC=$(q "EXPLAIN (COSTS OFF) $(printf "$QUERY" ticks)" | grep -c 'Async Foreign Scan')
AGG="SELECT symbol, first(price, ts), max(price), min(price), last(price, ts), sum(qty) FROM %s GROUP BY symbol"
PWA="SET enable_partitionwise_aggregate = on;"
AGG_ONE=$(median_ms "$(printf "$AGG" t1);" "$PWA")
AGG_ALL=$(median_ms "$(printf "$AGG" ticks);" "$PWA")
AGG_PLAN=$(q "$PWA EXPLAIN (COSTS OFF) $(printf "$AGG" ticks)")
AGG_ASYNC=$(echo "$AGG_PLAN" | grep -c 'Async Foreign Scan')
AGG_PARTIAL=$(echo "$AGG_PLAN" | grep -c 'Pushed Partial Aggregates')
AGG_SHIP=$(median_ms "$(printf "$AGG" ticks);" "$PWA SET pulsora.enable_aggregate_pushdown = off;")
# The same Appends with async scans off: the owners one after another.
for i in 1 2 3; do q "ALTER SERVER n$i OPTIONS (ADD async_capable 'false')"; done
SEQ=$(median_ms "$(printf "$QUERY" ticks);")
AGG_SEQ=$(median_ms "$(printf "$AGG" ticks);" "$PWA")
AGG_RATIO=$("$PY" -c "print('%.2f' % ($AGG_ALL / $AGG_ONE))")
RATIO=$("$PY" -c "print('%.2f' % ($ALL / $ONE))")
MET=$("$PY" -c "print('yes' if $ALL <= 1.5 * $ONE else 'no')")

{
	echo "# Scale-out benchmark (\`make bench\`, test/bench/scaleout.sh)"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; PostgreSQL $(psql -XAtqc 'SHOW server_version')"
	echo "- three owners on loopback TCP (token, no TLS), each behind test/bench/delay_proxy.py adding $DELAY_MS ms each way (no sch_netem in this kernel); $ROWS_PER_OWNER rows per owner, one month each"
	echo "- query: \`$(printf "$QUERY" '…')\` (the filter is not pushed: every row is shipped); median of 5 runs after a warm-up, psql \`\\timing\`"
	echo "- the three-owner plan has $ASYNC Async Foreign Scans"
	echo
	echo "| figure | one owner (ms) | three owners, async (ms) | ratio | target | met | three owners, async_capable off (ms) |"
	echo "|---|---|---|---|---|---|---|"
	echo "| scan of every row, $DELAY_MS ms latency per owner | $ONE | $ALL | ${RATIO}× | ≤ 1.5× | $MET | $SEQ |"
	echo "| OHLC + volume per symbol, partial aggregates pushed to each owner | $AGG_ONE | $AGG_ALL | ${AGG_RATIO}× | — | — | $AGG_SEQ |"
	echo
	echo "- OHLC query: \`$(printf "$AGG" '…')\` with \`enable_partitionwise_aggregate = on\`: the three-owner plan has $AGG_PARTIAL Async Foreign Scans of partial aggregates under a Finalize HashAggregate; with \`pulsora.enable_aggregate_pushdown = off\` (every row shipped, scans async) it takes $AGG_SHIP ms"
} >"$OUT/scaleout.md"
cat "$OUT/scaleout.md"
check "the three-owner plan is async" 3 "$ASYNC"
check "the three-owner OHLC plan pushes partial aggregates, async" "3 3" "$AGG_PARTIAL $AGG_ASYNC"
check "three owners scan within 1.5x of one (${RATIO}x)" yes "$MET"
finish
