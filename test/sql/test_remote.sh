#!/bin/bash
# test_remote.sh — one partitioned table over three owners on loopback TCP
# (DESIGN §7), one of them with TLS, on a throwaway PostgreSQL 15 cluster.
#   test/sql/test_remote.sh BUILD
# Three pulsorad serve the native protocol on free loopback ports with a
# token; the third with TLS (a CA and a certificate for localhost made
# here with openssl).  Servers with host and port (verify-full against the
# CA for the third), user mappings with the token, a table partitioned by
# month with one foreign partition per owner, another by hash of the
# symbol, and a heap copy.  Checked:
# COPY through the parent reaches the right owners; answers equal the
# heap's (by hash, each owner computes its groups); EXPLAIN shows Async
# Foreign Scan and pruning; a wrong or missing
# token is refused naming the server; a plain connection to the TLS owner,
# and verify-full without the CA, are refused; a dead owner's error names
# its server while queries pruned to the others work; statement_timeout and
# a query cancel end a scan blocked on a stopped remote owner.  No sleeps:
# waits poll.
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib.sh"
in_cluster bash "$0" "$BUILD"

TOKEN=remote-test-token-0123456789
T=$(mktemp -d /tmp/pulsora_remote_tmp_XXXXXX)
chmod 0755 "$T"
D1=$(pg_data_dir remote1)
D2=$(pg_data_dir remote2)
D3=$(pg_data_dir remote3)
P1=$(free_port)
P2=$(free_port)
P3=$(free_port)
OWNERS=()
# The owner of DIR (OWNERS holds runuser's pids, not pulsorad's).
owner_pid() { cat "$1/pulsorad.pid" 2>/dev/null; }
cleanup() {
	for d in "$D1" "$D2" "$D3"; do
		p=$(owner_pid "$d")
		[ -n "$p" ] && { kill -CONT "$p"; kill -9 "$p"; } 2>/dev/null
	done
	for p in "${OWNERS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T" "$D1" "$D2" "$D3"
}
trap cleanup EXIT

# A CA, a certificate for localhost / 127.0.0.1 signed by it, and another CA.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pulsora-test-ca \
	-keyout "$T/ca.key" -out "$T/ca.crt" 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
		-keyout "$T/owner.key" -out "$T/owner.csr" 2>/dev/null &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/san.ext" &&
	openssl x509 -req -in "$T/owner.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
		-days 2 -extfile "$T/san.ext" -out "$T/owner.crt" 2>/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=another-ca \
		-keyout "$T/other.key" -out "$T/other.crt" 2>/dev/null ||
	{ fail "certificates made"; finish; exit 1; }
chmod 0644 "$T"/*

# start_remote DIR PORT [TLS]: pulsorad on DIR serving TCP on PORT (with TLS
# when asked), as the cluster's user; waits until it listens.
start_remote() {
	local dir=$1 port=$2
	{
		echo '[server]'
		echo 'rest = false'
		echo "auth_token = \"$TOKEN\""
		if [ "${3:-}" = tls ]; then
			echo "tls_cert_file = \"$T/owner.crt\""
			echo "tls_key_file = \"$T/owner.key\""
		fi
	} >"$dir/pulsora.toml"
	chown postgres:postgres "$dir/pulsora.toml" 2>/dev/null
	as_cluster_user "$BUILD/pulsorad" -D "$dir" --protocol-port "$port" \
		>"$dir/stdout.log" 2>&1 &
	OWNERS+=("$!")
	wait_for 200 "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null ||
		{ fail "pulsorad on port $port starts: $(cat "$dir/stdout.log" "$dir/pulsorad.log" 2>/dev/null | tail -5)"; finish; exit 1; }
}
start_remote "$D1" "$P1"
start_remote "$D2" "$P2"
start_remote "$D3" "$P3" tls
ok "three owners serve loopback TCP, the third with TLS"

q "CREATE EXTENSION pulsora;
   CREATE SERVER n1 FOREIGN DATA WRAPPER pulsora OPTIONS (host '127.0.0.1', port '$P1');
   CREATE SERVER n2 FOREIGN DATA WRAPPER pulsora OPTIONS (host '127.0.0.1', port '$P2');
   CREATE SERVER n3 FOREIGN DATA WRAPPER pulsora
     OPTIONS (host 'localhost', port '$P3', tls 'verify-full', tls_ca_file '$T/ca.crt');
   CREATE USER MAPPING FOR CURRENT_USER SERVER n1 OPTIONS (token '$TOKEN');
   CREATE USER MAPPING FOR CURRENT_USER SERVER n2 OPTIONS (token '$TOKEN');
   CREATE USER MAPPING FOR CURRENT_USER SERVER n3 OPTIONS (token '$TOKEN');
   CREATE TABLE ticks (ts timestamptz NOT NULL, symbol text, price float8, qty bigint)
     PARTITION BY RANGE (ts);
   CREATE FOREIGN TABLE t1 PARTITION OF ticks FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')
     SERVER n1 OPTIONS (table 'ticks');
   CREATE FOREIGN TABLE t2 PARTITION OF ticks FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')
     SERVER n2 OPTIONS (table 'ticks');
   CREATE FOREIGN TABLE t3 PARTITION OF ticks FOR VALUES FROM ('2024-03-01') TO ('2024-04-01')
     SERVER n3 OPTIONS (table 'ticks');
   CREATE TABLE heap (LIKE ticks);" || { fail "set-up"; finish; exit 1; }

"$PY" -c '
import datetime
t0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
for i in range(90000):
    t = t0 + datetime.timedelta(seconds=i * 86)
    print("%s,S%d,%.2f,%d" % (t.isoformat(), i % 7, 100 + (i % 1000) / 10, i))
' >"$T/ticks.csv"
psql -XAtq -v ON_ERROR_STOP=1 -c "\\copy ticks FROM '$T/ticks.csv' WITH (FORMAT csv)" &&
	psql -XAtq -v ON_ERROR_STOP=1 -c "\\copy heap FROM '$T/ticks.csv' WITH (FORMAT csv)"
check "COPY through the parent succeeds" 0 "$?"
check "COPY reached each month's owner" \
	"$(q "SELECT string_agg(n::text, ' ' ORDER BY m) FROM (SELECT date_trunc('month', ts) m, count(*) n FROM heap GROUP BY 1) s")" \
	"$(q "SELECT string_agg(coalesce((SELECT row_count FROM pulsora_tables(s) WHERE table_name = 'ticks'), 0)::text, ' ' ORDER BY s)
	       FROM unnest(ARRAY['n1', 'n2', 'n3']) s")"
check "answers equal the heap's" \
	"$(q "SELECT count(*), sum(qty), sum(price)::numeric(20,2), min(ts), max(ts) FROM heap")" \
	"$(q "SELECT count(*), sum(qty), sum(price)::numeric(20,2), min(ts), max(ts) FROM ticks")"
check "... row for row" 0 \
	"$(q "SELECT count(*) FROM ((SELECT * FROM ticks EXCEPT ALL SELECT * FROM heap)
	                            UNION ALL (SELECT * FROM heap EXCEPT ALL SELECT * FROM ticks)) d")"
check "... grouped by symbol over month partitions: each owner computes partial groups" 3 \
	"$(q "SET enable_partitionwise_aggregate = on;
	      EXPLAIN (COSTS OFF) SELECT symbol, count(*), sum(qty), avg(price), last(price, ts) FROM ticks GROUP BY symbol" |
	   grep -c 'Pushed Partial Aggregates: count(\*), count(qty), sum(qty), count(price), sum(price), max(ts), last(price)')"
check "... which PostgreSQL finishes into the heap's groups" \
	"$(q "SELECT string_agg(format('%s:%s:%s:%s:%s', symbol, n, s, a, l), ',' ORDER BY symbol) FROM
	       (SELECT symbol, count(*) n, sum(qty) s, avg(price)::numeric(20,6) a, last(price, ts) l FROM heap GROUP BY symbol) g")" \
	"$(q "SET enable_partitionwise_aggregate = on;
	      SELECT string_agg(format('%s:%s:%s:%s:%s', symbol, n, s, a, l), ',' ORDER BY symbol) FROM
	       (SELECT symbol, count(*) n, sum(qty) s, avg(price)::numeric(20,6) a, last(price, ts) l FROM ticks GROUP BY symbol) g")"
# By hash of the symbol, GROUP BY symbol is whole per partition: each owner computes its groups.
q "CREATE TABLE bysym (ts timestamptz NOT NULL, symbol text NOT NULL, price float8, qty bigint)
     PARTITION BY HASH (symbol);
   CREATE FOREIGN TABLE h1 PARTITION OF bysym FOR VALUES WITH (MODULUS 3, REMAINDER 0)
     SERVER n1 OPTIONS (table 'bysym');
   CREATE FOREIGN TABLE h2 PARTITION OF bysym FOR VALUES WITH (MODULUS 3, REMAINDER 1)
     SERVER n2 OPTIONS (table 'bysym');
   CREATE FOREIGN TABLE h3 PARTITION OF bysym FOR VALUES WITH (MODULUS 3, REMAINDER 2)
     SERVER n3 OPTIONS (table 'bysym');
   INSERT INTO bysym SELECT * FROM heap;"
GQ="SELECT symbol, count(*), sum(qty) FROM %s GROUP BY symbol ORDER BY symbol"
check "... each owner computing its own groups (partitionwise, pushed)" 3 \
	"$(q "SET enable_partitionwise_aggregate = on; EXPLAIN (COSTS OFF) $(printf "$GQ" bysym)" |
	   grep -c 'Pushed Aggregates: count(\*), sum(qty)')"
check "... with the heap's groups" "$(q "$(printf "$GQ" heap)" | tr '\n' ' ')" \
	"$(q "SET enable_partitionwise_aggregate = on; $(printf "$GQ" bysym)" | tr '\n' ' ')"
check "EXPLAIN shows an Async Foreign Scan per owner" 3 \
	"$(q "EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE qty > 5" | grep -c 'Async Foreign Scan')"
check "... and prunes to one owner for one month" "1|0" \
	"$(q "EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE ts >= '2024-02-03' AND ts < '2024-02-05'" |
	   awk '/Foreign Scan on t2/ {a++} /Foreign Scan on t[13]/ {b++} END {print a+0 "|" b+0}')"

# Tokens: wrong and missing are refused, naming the server and its address.
q "ALTER USER MAPPING FOR CURRENT_USER SERVER n1 OPTIONS (SET token 'wrong')"
OUT=$(q "SELECT count(*) FROM t1" 2>&1)
echo "#   $OUT"
check "a wrong token is refused, naming the server" 1 \
	"$(echo "$OUT" | grep -c "pulsora server \"n1\" (127.0.0.1:$P1).*token")"
q "ALTER USER MAPPING FOR CURRENT_USER SERVER n1 OPTIONS (DROP token)"
OUT=$(q "SELECT count(*) FROM t1" 2>&1)
check "a missing token is refused too" 1 "$(echo "$OUT" | grep -c "pulsora server \"n1\" (127.0.0.1:$P1)")"
q "ALTER USER MAPPING FOR CURRENT_USER SERVER n1 OPTIONS (ADD token '$TOKEN')"
check "the right token again" "$(q "SELECT count(*) FROM heap WHERE ts < '2024-02-01'")" \
	"$(q "SELECT count(*) FROM t1")"

# TLS: a plain client, and verify-full without the CA, are refused.
q "CREATE SERVER plain3 FOREIGN DATA WRAPPER pulsora OPTIONS (host '127.0.0.1', port '$P3', tls 'disable');
   CREATE USER MAPPING FOR CURRENT_USER SERVER plain3 OPTIONS (token '$TOKEN');
   CREATE SERVER noca3 FOREIGN DATA WRAPPER pulsora
     OPTIONS (host 'localhost', port '$P3', tls 'verify-full', tls_ca_file '$T/other.crt');
   CREATE USER MAPPING FOR CURRENT_USER SERVER noca3 OPTIONS (token '$TOKEN');"
OUT=$(q "SELECT count(*) FROM pulsora_tables('plain3')" 2>&1)
echo "#   $OUT"
check "a plain connection to the TLS owner is refused, naming the server" 1 \
	"$(echo "$OUT" | grep -c "ERROR: .*pulsora server \"plain3\" (127.0.0.1:$P3)")"
OUT=$(q "SELECT count(*) FROM pulsora_tables('noca3')" 2>&1)
echo "#   $OUT"
check "verify-full against another CA is refused: the certificate is not trusted" 1 \
	"$(echo "$OUT" | grep -c "ERROR: .*pulsora server \"noca3\" (localhost:$P3).*not trusted")"
check "the TLS owner still serves" "$(q "SELECT count(*) FROM heap WHERE ts >= '2024-03-01'")" \
	"$(q "SELECT count(*) FROM t3")"

# A stopped owner: statement_timeout ends a scan waiting on it.
kill -STOP "$(owner_pid "$D1")"
START=$(date +%s%N)
OUT=$(q "SET statement_timeout = '1s'; SELECT count(*) FROM ticks WHERE ts < '2024-01-20'" 2>&1)
ELAPSED=$((($(date +%s%N) - START) / 1000000))
kill -CONT "$(owner_pid "$D1")"
check "statement_timeout ends a scan blocked on a stopped remote owner" 1 \
	"$(echo "$OUT" | grep -c 'canceling statement due to statement timeout')"
check "... within 5 s (took $ELAPSED ms)" 1 "$([ "$ELAPSED" -lt 5000 ] && echo 1)"

# ... and so does a query cancel from another session.
blocked_active() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'blocked' AND state = 'active'")" = 1 ]
}
kill -STOP "$(owner_pid "$D1")"
PGAPPNAME=blocked psql -XAtq -c "SELECT count(*) FROM t1" >"$T/blocked.out" 2>&1 &
BLOCKED=$!
wait_for 100 blocked_active
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'blocked'" >/dev/null
START=$(date +%s%N)
wait "$BLOCKED"
ELAPSED=$((($(date +%s%N) - START) / 1000000))
kill -CONT "$(owner_pid "$D1")"
check "a query cancel ends a scan blocked on a stopped remote owner (in $ELAPSED ms)" 1 \
	"$(grep -c 'canceling statement due to user request' "$T/blocked.out")"
check "... and the owner serves the next query" "$(q "SELECT count(*) FROM heap WHERE ts < '2024-02-01'")" \
	"$(q "SELECT count(*) FROM t1")"

# A dead owner: its error names it; queries pruned to the others work.
DEAD=$(owner_pid "$D2")
kill -9 "$DEAD"
wait_for 100 eval '! kill -0 "$DEAD" 2>/dev/null'
OUT=$(q "SELECT count(*) FROM ticks" 2>&1)
echo "#   $OUT"
check "a dead owner's error names its server and address" 1 \
	"$(echo "$OUT" | grep -c "ERROR: .*pulsora server \"n2\" (127.0.0.1:$P2)")"
check "queries pruned to the other owners still work" \
	"$(q "SELECT count(*) FROM heap WHERE ts < '2024-02-01' OR ts >= '2024-03-01'")" \
	"$(q "SELECT count(*) FROM ticks WHERE ts < '2024-02-01' OR ts >= '2024-03-01'")"
finish
