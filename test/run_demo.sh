#!/bin/bash
# `make run`: start pulsorad on ./data (REST on 127.0.0.1:8080), load a
# generated sample of market ticks over REST, start a throwaway PostgreSQL 15
# with the pulsora extension over the same data directory, and print curl
# and psql commands to try.  Everything keeps running; `make stop` ends it.
set -euo pipefail
BUILD=${1:-build}
PGBIN=/usr/lib/postgresql/15/bin
PORT=${PULSORA_PORT:-8080}
PGPORT=${PULSORA_PGPORT:-5439}
ROWS=${PULSORA_DEMO_ROWS:-200000}
DATA=${PULSORA_DATA:-$PWD/data}
PGDIR=${PULSORA_PGDIR:-/var/tmp/pulsora-demo-pg}

# PostgreSQL refuses to run as root, and its backends must reach the owner's
# socket (mode 0600): as root, the owner and the cluster both run as postgres.
as_owner() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
	as_owner() { runuser -u postgres -- "$@"; }
	if ! runuser -u postgres -- test -x "$(dirname "$DATA")"; then
		echo "note: $(dirname "$DATA") is not reachable by user postgres; using /var/tmp/pulsora-demo/data"
		DATA=/var/tmp/pulsora-demo/data
	fi
fi
mkdir -p "$DATA"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DATA"
chmod 700 "$DATA"

# Stop an owner left from an earlier run, then start a fresh one.
if [ -f "$DATA/pulsorad.pid" ] && kill -0 "$(cat "$DATA/pulsorad.pid")" 2>/dev/null; then
	kill "$(cat "$DATA/pulsorad.pid")"
	for _ in $(seq 50); do [ -f "$DATA/pulsorad.pid" ] || break; sleep 0.1; done
fi
as_owner "$BUILD/pulsorad" -D "$DATA" --port "$PORT" --log-file "$DATA/pulsorad.log" &
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { echo "pulsorad did not start; see $DATA/pulsorad.log"; exit 1; }

echo "loading $ROWS generated ticks into table \"ticks\" over REST..."
curl -sf -X DELETE "http://127.0.0.1:$PORT/tables/ticks" >/dev/null || true
"$BUILD/test/gen_ticks" "$ROWS" 42 | curl -sS -X POST -H 'Content-Type: text/csv' \
	-H 'Transfer-Encoding: chunked' --data-binary @- "http://127.0.0.1:$PORT/tables/ticks/ingest"
echo

# A throwaway PostgreSQL with the extension over the same data directory.
if [ -f "$($PGBIN/pg_config --sharedir)/extension/pulsora.control" ]; then
	mkdir -p "$PGDIR"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGDIR"
	if [ -f "$PGDIR/data/postmaster.pid" ]; then
		as_owner "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null || true
	fi
	[ -d "$PGDIR/data" ] || as_owner "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust >/dev/null
	as_owner "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w \
		-o "-p $PGPORT -k $PGDIR -c listen_addresses=''" start >/dev/null
	as_owner "$PGBIN/psql" -h "$PGDIR" -p "$PGPORT" -U postgres -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pulsora CASCADE;
CREATE EXTENSION pulsora;
CREATE SERVER ticks_store FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$DATA');
IMPORT FOREIGN SCHEMA pulsora FROM SERVER ticks_store INTO public;
SQL
	PSQL="psql -h $PGDIR -p $PGPORT -U postgres"
fi

cat <<EOF2

Pulsora is running: pulsorad owns $DATA, REST on http://127.0.0.1:$PORT
Try:
  curl -s http://127.0.0.1:$PORT/health
  curl -s http://127.0.0.1:$PORT/tables
  curl -s http://127.0.0.1:$PORT/tables/ticks/schema
  curl -s http://127.0.0.1:$PORT/tables/ticks/count
  curl -s 'http://127.0.0.1:$PORT/tables/ticks/query?start=2024-01-01T00:00:10Z&end=2024-01-01T00:00:11Z&limit=5'
  curl -s 'http://127.0.0.1:$PORT/tables/ticks/query?order=desc&limit=3&columns=symbol,price'
  curl -s -H 'Accept: text/csv' 'http://127.0.0.1:$PORT/tables/ticks/query?start=2024-01-01&end=2024-01-01T00:01:00Z' | head
  $BUILD/test/gen_ticks 1000 7 1704153600000 | curl -s -X POST -H 'Content-Type: text/csv' --data-binary @- http://127.0.0.1:$PORT/tables/ticks/ingest
  curl -s http://127.0.0.1:$PORT/metrics | head -20
EOF2
if [ -n "${PSQL:-}" ]; then
	cat <<EOF2
SQL (a throwaway PostgreSQL 15 on socket $PGDIR, port $PGPORT; run as user postgres):
  $PSQL -c "SELECT * FROM pulsora_tables('ticks_store')"
  $PSQL -c "SELECT count(*), avg(price) FROM ticks WHERE timestamp >= '2024-01-01 00:01' AND timestamp < '2024-01-01 00:02'"
  $PSQL -c "EXPLAIN SELECT * FROM ticks WHERE timestamp BETWEEN '2024-01-01 00:00:10+00' AND '2024-01-01 00:00:11+00'"
  $PSQL -c "SELECT * FROM ticks ORDER BY timestamp DESC LIMIT 5"
EOF2
fi
echo "Stop everything with: make stop"
