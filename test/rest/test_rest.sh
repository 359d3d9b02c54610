#!/bin/bash
# test_rest.sh — end-to-end tests of pulsorad's REST API and process life
# cycle (DESIGN §1, §5) against a real build/pulsorad on a temporary data
# directory and a free port.
#
# Covers every route and every error status but 500 (400, 401, 404, 405,
# 409, 413), authentication on and off,
# CSV/NDJSON streaming export, aggregates checked against figures computed
# from their CSV (test/rest/aggregate.sh), time_format patterns and IANA
# time zones (DST gaps and repeats, bad patterns and rows, a table's
# defaults, also through pulsora-cli), a 1M-row ingest streamed from a generator
# through a pipe (curl -T -, chunked) while pulsorad's VmRSS is sampled
# (must stay < 300 MB) and its table count is read concurrently (must not
# move before the ingest's body has ended), the single-owner rule, config
# errors, autostart behaviour and clean SIGTERM shutdown; online backups
# taken during concurrent loads and restored, and their metrics
# (test/rest/backup.sh); loads in progress (GET /loads, pulsora-cli loads),
# pulsora-cli load's progress and pulsora-cli backup (test/rest/loads.sh);
# an owner with TLS and a token on TCP: REST over HTTPS, pulsora-cli over
# TLS, the refusals and their metrics (test/rest/tls.sh).
#
# Nothing here depends on timing: the concurrent reads are synchronised with
# the generator by files (it pauses halfway until a read has been made), and
# waits for start-up or exit poll with generous bounds.
#
# Usage: test/rest/test_rest.sh [BUILD_DIR]   (default: build)
# Needs curl, python3 and openssl.  Last line: "N passed, N failed"; exit 1 on failure.

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PULSORAD="$BUILD/pulsorad"
TMP=$(mktemp -d /tmp/pulsora-rest.XXXXXX)
PASSED=0
FAILED=0
PIDS=()
# The system interpreter: version-manager shims (pyenv) cost half a second per call.
PY=$(command -v /usr/bin/python3 || command -v python3)

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && echo "       $2"; }

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc" "body: $(head -c 400 "$TMP/body" 2>/dev/null)"; fi
}

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# req METHOD URL [curl args...]: body in $TMP/body, status in $STATUS.
BASE=""
AUTH=()
req() {
	local method=$1 url=$2
	shift 2
	STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$method" "${AUTH[@]}" "$@" "$BASE$url")
}

# js EXPR: evaluate a Python expression over the JSON body `d`; strings print raw.
js() {
	"$PY" - "$1" "$TMP/body" <<'EOF'
import json, sys
d = json.load(open(sys.argv[2]))
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# is EXPR VALUE: the JSON body's EXPR prints VALUE.
is() { [ "$(js "$1" 2>/dev/null)" = "$2" ]; }
status_is() { [ "$STATUS" = "$1" ]; }
# An error envelope with this status whose message contains TEXT.
error_is() {
	status_is "$1" && is 'd["success"]' false && is 'd["data"]' null &&
		js 'd["error"]' | grep -qF -- "$2"
}
ok_envelope() { status_is 200 && is 'd["success"]' true && is 'd["error"]' null; }

# start_owner DIR LOG ARGS...: start pulsorad in the background, sets $OWNER.
start_owner() {
	local dir=$1 log=$2
	shift 2
	"$PULSORAD" -D "$dir" "$@" >"$log" 2>&1 &
	OWNER=$!
	PIDS+=("$OWNER")
}

# wait_for COND...: poll a condition for up to 20 s (start-up, exit).
wait_for() {
	for _ in $(seq 200); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
health_up() { curl -s -o /dev/null "$BASE/health"; }
gone() { ! kill -0 "$1" 2>/dev/null; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

if [ ! -x "$PULSORAD" ]; then
	echo "pulsorad not found at $PULSORAD (build it first)"
	echo "0 passed, 1 failed"
	exit 1
fi

# ======================================================================
echo "# manual owner, no authentication"
DIR="$TMP/data"
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
unset PULSORA_AUTH_TOKEN
start_owner "$DIR" "$TMP/owner.log" --port "$PORT"
MAIN=$OWNER
if ! wait_for health_up; then
	fail "pulsorad starts" "$(cat "$TMP/owner.log")"
	echo "$PASSED passed, $FAILED failed"
	exit 1
fi
pass "pulsorad starts and serves REST"
check "data directory created 0700" [ "$(stat -c %a "$DIR")" = 700 ]
check "pid file holds the owner's pid" [ "$(cat "$DIR/pulsorad.pid")" = "$MAIN" ]
check "socket created 0600" [ -S "$DIR/pulsorad.sock" -a "$(stat -c %a "$DIR/pulsorad.sock")" = 600 ]
check "default config written with rest = true" grep -qx 'rest = true' "$DIR/pulsora.toml"

req GET /health
check "GET /health" eval 'ok_envelope && is "d[\"data\"][\"status\"]" healthy && [ -n "$(js "d[\"data\"][\"version\"]")" ]'
req GET /tables
check "GET /tables on an empty store" eval 'ok_envelope && is "d[\"data\"]" "[]"'

# ---------------------------------------------------------------- ingest
cat >"$TMP/trades.csv" <<'EOF'
ts,symbol,price,size,note
2024-01-01T00:00:00Z,AAPL,150.25,100,plain
2024-01-01T00:00:01.123456789Z,MSFT,1e-3,200,"a, ""quoted"" field"
2024-01-01T00:00:02Z,GOOG,NaN,,""
2024-01-01T00:00:03+01:00,AAPL,-Infinity,300,
EOF
req POST /tables/trades/ingest -H 'Content-Type: text/csv' --data-binary @"$TMP/trades.csv"
check "ingest creates a table" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 4 && is "d[\"data\"][\"rows_rejected\"]" 0 && is "d[\"data\"][\"errors\"]" "[]" && is "type(d[\"data\"][\"processing_time_ms\"]).__name__" int'
# The load that created the table answers the schema it inferred, as GET /tables/{t}/schema shows it.
cp "$TMP/body" "$TMP/first_ingest.json"
check "a load that creates its table answers the inferred schema" eval 'is "[(c[\"name\"], c[\"data_type\"], c[\"nullable\"], c[\"series\"]) for c in d[\"data\"][\"schema\"][\"columns\"]]" "[[\"ts\", \"Timestamp\", false, false], [\"symbol\", \"String\", true, true], [\"price\", \"Float\", true, false], [\"size\", \"Integer\", true, false], [\"note\", \"String\", true, false]]" && is "d[\"data\"][\"schema\"][\"timestamp_column\"]" ts && is "d[\"data\"][\"schema\"][\"series_key\"]" "[\"symbol\"]"'
req POST /tables/trades/ingest -H 'Content-Type: text/csv; charset=utf-8' \
	--data-binary $'ts,symbol,price,size\n2024-01-01T00:00:04Z,AAPL,151,1\n'
check "ingest accepts text/csv with parameters, missing columns become NULL" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 1'
check "a load into an existing table answers without \"schema\"" eval 'ok_envelope && is "sorted(d[\"data\"].keys())" "[\"errors\", \"processing_time_ms\", \"rows_inserted\", \"rows_rejected\"]"'
req GET /tables/trades/schema
check "the created table's \"schema\" is GET /schema's data" "$PY" -c '
import json, sys
first = json.load(open(sys.argv[1]))["data"]["schema"]
now = json.load(open(sys.argv[2]))["data"]
assert first == now, (first, now)
' "$TMP/first_ingest.json" "$TMP/body"
req POST '/tables/keyed/ingest?series_key=' -H 'Content-Type: text/csv' \
	--data-binary $'when,venue,live,px\n2024-01-01T00:00:00Z,3,true,1.5\n'
check "a created table's \"schema\": inferred types, series_key= gives []" eval 'ok_envelope && is "[(c[\"name\"], c[\"data_type\"]) for c in d[\"data\"][\"schema\"][\"columns\"]]" "[[\"when\", \"Timestamp\"], [\"venue\", \"Integer\"], [\"live\", \"Boolean\"], [\"px\", \"Float\"]]" && is "d[\"data\"][\"schema\"][\"timestamp_column\"]" when && is "d[\"data\"][\"schema\"][\"series_key\"]" "[]"'
req POST '/tables/keyed/ingest?series_key=' -H 'Content-Type: text/csv' --data-binary $'when,venue,live,px\n'
check "a header-only load into it answers 0 rows and no \"schema\"" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 0 && is "\"schema\" in d[\"data\"]" false'
req DELETE /tables/keyed
req POST /tables/trades/ingest -H 'Content-Type: application/json' --data-binary @"$TMP/trades.csv"
check "ingest without text/csv is 400" error_is 400 "Content-Type: text/csv"
req POST /tables/trades/ingest --data-binary @"$TMP/trades.csv"
check "ingest with a form content type is 400" error_is 400 "text/csv"
req POST '/tables/trades/ingest?bogus=1' -H 'Content-Type: text/csv' --data-binary @"$TMP/trades.csv"
check "ingest with an unknown option is 400 naming it" error_is 400 bogus
req POST '/tables/trades/ingest?on_error=maybe' -H 'Content-Type: text/csv' --data-binary @"$TMP/trades.csv"
check "ingest with a bad option value is 400 naming it" error_is 400 on_error
BAD=$'ts,symbol,price,size\n2024-01-02T00:00:00Z,X,1,1\n2024-01-02T00:00:01Z,X,1,notanint\n'
req POST /tables/trades/ingest -H 'Content-Type: text/csv' --data-binary "$BAD"
check "a bad row aborts the load: 400 naming line and column" eval 'error_is 400 "line 3" && js "d[\"error\"]" | grep -q "column 4"'
req GET /tables/trades/count
check "the aborted load stored nothing" is 'd["data"]["count"]' 5
req POST '/tables/trades/ingest?on_error=skip' -H 'Content-Type: text/csv' --data-binary "$BAD"
check "on_error=skip loads good rows and reports bad ones" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 1 && is "d[\"data\"][\"rows_rejected\"]" 1 && is "d[\"data\"][\"errors\"][0][\"line\"]" 3 && is "d[\"data\"][\"errors\"][0][\"column\"]" 4'
req POST /tables/trades/ingest -H 'Content-Type: text/csv' --data-binary $'ts,symbol,price,size,extra\n2024-01-05T00:00:00Z,X,1,1,e\n'
check "an unknown column is refused without add_columns" error_is 400 extra
req POST '/tables/bad.name/ingest' -H 'Content-Type: text/csv' --data-binary @"$TMP/trades.csv"
check "ingest into an invalid table name is 400" error_is 400 "invalid table name"
req POST "/tables/$(printf 'n%.0s' $(seq 129))/ingest" -H 'Content-Type: text/csv' --data-binary @"$TMP/trades.csv"
check "a table name over 128 bytes is 400" error_is 400 "invalid table name"
req DELETE '/tables/trades%00x'
check "a %00 in a table name is 400, never a cut name" error_is 400 "invalid table name"
req GET /tables/trades/count
check "... and table trades is still there" is 'd["data"]["count"]' 6

# ---------------------------------------------------------------- query (JSON)
req GET /tables/trades/query
check "query returns all rows as objects" eval 'ok_envelope && is "len(d[\"data\"])" 6 && is "list(d[\"data\"][0].keys())" "[\"ts\", \"symbol\", \"price\", \"size\", \"note\"]"'
check "time column as ISO-8601 with nanoseconds" is 'd["data"][2]["ts"]' 2024-01-01T00:00:01.123456789Z
check "a +01:00 offset is converted to UTC" is 'd["data"][0]["ts"]' 2023-12-31T23:00:03Z
check "quoted CSV string round-trips" is 'd["data"][2]["note"]' 'a, "quoted" field'
check "NaN and -Infinity are null in JSON, empty int is null" eval 'is "d[\"data\"][3][\"price\"]" null && is "d[\"data\"][0][\"price\"]" null && is "d[\"data\"][3][\"size\"]" null'
check "quoted empty field is an empty string, unquoted is NULL" eval 'is "d[\"data\"][3][\"note\"]" "" && is "d[\"data\"][5][\"note\"]" null'
check "floats keep their value" eval 'is "d[\"data\"][1][\"price\"]" 150.25 && is "d[\"data\"][2][\"price\"]" 0.001'
req GET '/tables/trades/query?order=desc&limit=2'
check "order=desc&limit=2" eval 'ok_envelope && is "[r[\"ts\"] for r in d[\"data\"]]" "[\"2024-01-02T00:00:00Z\", \"2024-01-01T00:00:04Z\"]"'
req GET '/tables/trades/query?offset=4&limit=10'
check "offset skips rows" is 'len(d["data"])' 2
req GET '/tables/trades/query?start=2024-01-01T00:00:01Z&end=2024-01-01T00:00:04Z'
check "start inclusive, end exclusive (ISO)" is '[r["symbol"] for r in d["data"]]' '["MSFT", "GOOG"]'
req GET '/tables/trades/query?start=1704067201&end=1704067204000'
check "start/end as epoch seconds and milliseconds" is 'len(d["data"])' 2
req GET '/tables/trades/query?start=2024-01-02'
check "start as a date" is 'len(d["data"])' 1
req GET '/tables/trades/query?start=2024-01-01T01:00:01%2B01:00&end=2024-01-01T00:00:02Z'
check "an escaped + offset in start" is '[r["symbol"] for r in d["data"]]' '["MSFT"]'
req GET '/tables/trades/query?start=2024-01-01T00:00:03Z&end=2024-01-01T00:00:03Z'
check "an empty range returns no rows" eval 'ok_envelope && is "d[\"data\"]" "[]"'
req GET '/tables/trades/query?columns=price,symbol&limit=1'
check "columns=price,symbol: time column first, then those" is 'list(d["data"][0].keys())' '["ts", "price", "symbol"]'
req GET '/tables/trades/query?columns=symbol,ts&limit=1'
check "a listed time column keeps its place" is 'list(d["data"][0].keys())' '["symbol", "ts"]'
req GET '/tables/trades/query?time_format=ms&limit=2'
check "time_format=ms" is '[r["ts"] for r in d["data"]]' '[1704063603000, 1704067200000]'
req GET '/tables/trades/query?time_format=ns&start=2024-01-01T00:00:01Z&limit=1'
check "time_format=ns keeps nanoseconds" is 'd["data"][0]["ts"]' 1704067201123456789
req GET '/tables/trades/query?time_format=us&start=2024-01-01T00:00:01Z&limit=1'
check "time_format=us" is 'd["data"][0]["ts"]' 1704067201123456
req GET '/tables/trades/query?time_format=s&start=2024-01-01T00:00:01Z&limit=1'
check "time_format=s" is 'd["data"][0]["ts"]' 1704067201
for bad in 'limit=-1:limit' 'limit=0:limit' 'limit=10001:limit' 'limit=abc:limit' 'offset=-3:offset' \
	'order=sideways:order' 'start=garbage:start' 'end=2024-13-45:end' \
	'start=2024-02-01&end=2024-01-01:end' 'time_format=hours:time_format' 'format=xml:format' \
	'columns=nosuch:nosuch' 'columns=price,price:twice' 'columns=:columns' 'colour=red:colour' \
	'limit=1&limit=2:twice'; do
	req GET "/tables/trades/query?${bad%%:*}"
	check "query ${bad%%:*} is 400 naming ${bad##*:}" error_is 400 "${bad##*:}"
done
req GET /tables/nosuch/query
check "query of an unknown table is 404" error_is 404 nosuch

# ---------------------------------------------------------------- CSV / NDJSON export
curl -s -D "$TMP/headers" -o "$TMP/out.csv" "$BASE/tables/trades/query?format=csv"
check "format=csv is text/csv" grep -qi '^content-type: text/csv' "$TMP/headers"
check "format=csv streams chunked" grep -qi '^transfer-encoding: chunked' "$TMP/headers"
check "CSV header line" [ "$(head -1 "$TMP/out.csv")" = 'ts,symbol,price,size,note' ]
check "CSV quoting, NULL vs empty string, NaN" [ "$(sed -n '4,5p' "$TMP/out.csv")" = $'2024-01-01T00:00:01.123456789Z,MSFT,0.001,200,"a, ""quoted"" field"\n2024-01-01T00:00:02Z,GOOG,NaN,,""' ]
check "CSV has every row" [ "$(wc -l <"$TMP/out.csv")" = 7 ]
curl -s -H 'Accept: text/csv' -o "$TMP/out2.csv" "$BASE/tables/trades/query"
check "Accept: text/csv selects CSV" cmp -s "$TMP/out.csv" "$TMP/out2.csv"
# pulsora-cli prints floats with the owner's formatter: the same text as REST CSV.
FLOATS='0.1 1e300 -0 NaN Infinity -Infinity 0.3333333333333333 0.30000000000000004 5e-324 1.7976931348623157e308 123456789012345680 -2.5e-7 100'
WANT='0.1 1e+300 -0 NaN Infinity -Infinity 0.3333333333333333 0.30000000000000004 4.94065645841247e-324 1.7976931348623157e+308 1.2345678901234568e+17 -2.5e-07 100'
{ echo ts,v; i=0; for f in $FLOATS; do echo "$((1704067200 + i)),$f"; i=$((i + 1)); done; } >"$TMP/floats.csv"
req POST '/tables/floats/ingest?time_unit=s' -H 'Content-Type: text/csv' --data-binary @"$TMP/floats.csv"
check "a table of tricky floats loads" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 13'
curl -s -o "$TMP/floats_rest.csv" "$BASE/tables/floats/query?format=csv"
"$BUILD/pulsora-cli" -D "$DIR" query floats >"$TMP/floats_cli.csv" 2>"$TMP/floats_cli.err"
check "REST CSV prints the owner's float text" [ "$(tail -n +2 "$TMP/floats_rest.csv" | cut -d, -f2 | tr '\n' ' ')" = "$WANT " ]
check "pulsora-cli query prints the same float text as REST CSV" \
	[ "$(tail -n +2 "$TMP/floats_cli.csv" | cut -d, -f2 | tr '\n' ' ')" = "$WANT " ]
check "pulsora-cli query and REST CSV give the same bytes" cmp -s "$TMP/floats_rest.csv" "$TMP/floats_cli.csv"
req DELETE /tables/floats
curl -s -o "$TMP/out.ndjson" "$BASE/tables/trades/query?format=ndjson&columns=size&time_format=ms"
check "NDJSON: one JSON object per line" "$PY" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 6, rows
assert rows[3] == {"ts": 1704067202000, "size": None}, rows[3]
' "$TMP/out.ndjson"

# ---------------------------------------------------------------- schema, count
req GET /tables/trades/schema
check "schema lists columns with types and nullability" eval 'ok_envelope && is "[(c[\"name\"], c[\"data_type\"], c[\"nullable\"]) for c in d[\"data\"][\"columns\"]]" "[[\"ts\", \"Timestamp\", false], [\"symbol\", \"String\", true], [\"price\", \"Float\", true], [\"size\", \"Integer\", true], [\"note\", \"String\", true]]" && is "d[\"data\"][\"timestamp_column\"]" ts'
check "schema: symbol is inferred as the series key" eval 'is "d[\"data\"][\"series_key\"]" "[\"symbol\"]" && is "[c[\"series\"] for c in d[\"data\"][\"columns\"]]" "[false, true, false, false, false]"'
req GET /tables/nosuch/schema
check "schema of an unknown table is 404" error_is 404 nosuch
req GET /tables/trades/count
check "count with min_ts and max_ts in epoch ms" eval 'ok_envelope && is "[d[\"data\"][k] for k in (\"count\", \"min_ts\", \"max_ts\")]" "[6, 1704063603000, 1704153600000]" && is "type(d[\"data\"][\"series\"]).__name__" int'
req GET /tables/nosuch/count
check "count of an unknown table is 404" error_is 404 nosuch
req GET /tables
check "GET /tables lists the table" is 'd["data"]' '["trades"]'

# ---------------------------------------------------------------- time_format and time zones
# Patterns are URL-encoded here: %25 is '%', %20 a space.
MONTHLY=$'date,close\nJan  1 2000,10\nfeb 29 2000,11\nMARCH 3 2000,12\n'
req POST '/tables/monthly/ingest?time_format=%25b%20%25e%20%25Y' -H 'Content-Type: text/csv' --data-binary "$MONTHLY"
check "time_format: English month names in any case load" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 3 && is "d[\"data\"][\"schema\"][\"time_format\"]" "%b %e %Y" && is "d[\"data\"][\"schema\"][\"timezone\"]" null'
req GET /tables/monthly/query
check "... as the dates they name (UTC)" is '[r["date"] for r in d["data"]]' '["2000-01-01T00:00:00Z", "2000-02-29T00:00:00Z", "2000-03-03T00:00:00Z"]'
req POST '/tables/monthly/ingest?time_format=%25Y-%25Q' -H 'Content-Type: text/csv' --data-binary "$MONTHLY"
check "a bad time_format is 400 naming the option and the directive" eval 'error_is 400 "option time_format" && js "d[\"error\"]" | grep -qF "unknown directive \"%Q\""'
req POST '/tables/monthly/ingest?time_format=%25m/%25d' -H 'Content-Type: text/csv' --data-binary "$MONTHLY"
check "a time_format without a year is 400" error_is 400 "needs a year"
BADDATES=$'date,close\nApr 1 2000,13\n2000-04-02,14\nApr 31 2000,15\nApr 4 2000,16\n'
req POST /tables/monthly/ingest -H 'Content-Type: text/csv' --data-binary "$BADDATES"
check "a row that does not match is 400 naming line, column and pattern" \
	error_is 400 'line 3, column 1 (date): time "2000-04-02" does not match time_format "%b %e %Y": expected an English month name (%b) at character 1'
req GET /tables/monthly/count
check "... and the load stored nothing" is 'd["data"]["count"]' 3
req POST '/tables/monthly/ingest?on_error=skip' -H 'Content-Type: text/csv' --data-binary "$BADDATES"
check "on_error=skip loads the rows that match and reports the others" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 2 && is "d[\"data\"][\"rows_rejected\"]" 2 && is "[(e[\"line\"], e[\"column\"]) for e in d[\"data\"][\"errors\"]]" "[[3, 1], [4, 1]]" && js "d[\"data\"][\"errors\"][1][\"message\"]" | grep -qF "invalid time \"Apr 31 2000\" for time_format \"%b %e %Y\": day out of range for the month"'
# New York: the spring gap reads with the offset before it (02:30 EST = 03:30 EDT),
# the autumn repeat takes the later hour (01:30 EST), as PostgreSQL does.
DST=$'ts,n\n2024-03-10 01:59,1\n2024-03-10 02:30,2\n2024-03-10 03:00,3\n2024-11-03 00:59,4\n2024-11-03 01:30,5\n2024-11-03 02:00,6\n2040-03-11 02:30,7\n2040-11-04 01:30,8\n'
req POST '/tables/nyc/ingest?time_format=%25Y-%25m-%25d%20%25H:%25M&timezone=America/New_York' -H 'Content-Type: text/csv' --data-binary "$DST"
check "timezone=America/New_York loads" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 8 && is "d[\"data\"][\"schema\"][\"timezone\"]" America/New_York'
req GET /tables/nyc/query
check "... local times across both DST changes, and past 2037, as UTC" is '[r["ts"] for r in d["data"]]' '["2024-03-10T06:59:00Z", "2024-03-10T07:00:00Z", "2024-03-10T07:30:00Z", "2024-11-03T04:59:00Z", "2024-11-03T06:30:00Z", "2024-11-03T07:00:00Z", "2040-03-11T07:30:00Z", "2040-11-04T06:30:00Z"]'
req POST '/tables/london/ingest?timezone=Europe/London' -H 'Content-Type: text/csv' \
	--data-binary $'ts,n\n2024-03-31 01:30:00,1\n2024-07-01T12:00:00,2\n2024-10-27 01:30:00,3\n2024-12-01 12:00:00+01:00,4\n'
req GET /tables/london/query
check "timezone=Europe/London: ISO text without an offset is London time" is '[r["ts"] for r in d["data"]]' '["2024-03-31T01:30:00Z", "2024-07-01T11:00:00Z", "2024-10-27T01:30:00Z", "2024-12-01T11:00:00Z"]'
req POST '/tables/tokyo/ingest?timezone=Asia/Tokyo' -H 'Content-Type: text/csv' --data-binary $'ts,n\n2024-07-01 09:00:00,1\n'
req GET /tables/tokyo/query
check "timezone=Asia/Tokyo: nine hours ahead" is '[r["ts"] for r in d["data"]]' '["2024-07-01T00:00:00Z"]'
req POST '/tables/nyc/ingest?timezone=Mars/Olympus' -H 'Content-Type: text/csv' --data-binary "$DST"
check "an unknown zone is 400 naming it" error_is 400 'option timezone: unknown time zone "Mars/Olympus"'
req POST '/tables/nyc/ingest?timezone=../../etc/localtime' -H 'Content-Type: text/csv' --data-binary "$DST"
check "a zone name that climbs out of the zone directory is 400" error_is 400 'invalid time zone name "../../etc/localtime"'
# The table keeps the time_format and timezone of the load that created it.
req GET /tables/nyc/schema
check "GET /schema shows the table's time_format and timezone" eval 'ok_envelope && is "d[\"data\"][\"time_format\"]" "%Y-%m-%d %H:%M" && is "d[\"data\"][\"timezone\"]" America/New_York'
req GET /tables/trades/schema
check "... null for a table created without them" eval 'is "d[\"data\"][\"time_format\"]" null && is "d[\"data\"][\"timezone\"]" null'
req POST /tables/nyc/ingest -H 'Content-Type: text/csv' --data-binary $'ts,n\n2024-07-04 12:00,9\n'
check "a later load naming neither uses the table's" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 1'
req GET '/tables/nyc/query?start=2024-07-01&end=2024-08-01'
check "... so 12:00 in New York on July 4 is 16:00Z" is '[r["ts"] for r in d["data"]]' '["2024-07-04T16:00:00Z"]'
req POST '/tables/nyc/ingest?timezone=UTC' -H 'Content-Type: text/csv' --data-binary $'ts,n\n2024-07-05 12:00,10\n'
req GET '/tables/nyc/query?start=2024-07-05&end=2024-07-06'
check "a later load naming a timezone uses it, with the table's time_format" is '[r["ts"] for r in d["data"]]' '["2024-07-05T12:00:00Z"]'
req GET /tables/nyc/schema
check "... and the table's defaults stay" is 'd["data"]["timezone"]' America/New_York
printf 'ts,n\n07/06/2024 12:00 PM,11\n' >"$TMP/cli_dates.csv"
"$BUILD/pulsora-cli" -D "$DIR" load nyc "$TMP/cli_dates.csv" --opt 'time_format=%m/%d/%Y %I:%M %p' >"$TMP/cli_load.out" 2>&1
req GET '/tables/nyc/query?start=2024-07-06&end=2024-07-07'
check "pulsora-cli load --opt time_format=... (the table's timezone)" eval 'grep -q "rows_loaded=1" "$TMP/cli_load.out" && is "[r[\"ts\"] for r in d[\"data\"]]" "[\"2024-07-06T16:00:00Z\"]"'
"$BUILD/pulsora-cli" -D "$DIR" load nyc "$TMP/cli_dates.csv" --opt 'time_format=%m/%d/%Y %I:%M %p' --opt timezone=Nowhere/Atlantis >"$TMP/cli_load.out" 2>&1
check "pulsora-cli load names an unknown zone" grep -qF 'unknown time zone "Nowhere/Atlantis"' "$TMP/cli_load.out"
for t in monthly nyc london tokyo; do req DELETE "/tables/$t"; done
req GET /tables
check "the time_format tables are gone" is 'd["data"]' '["trades"]'

# ---------------------------------------------------------------- series keys
# Table quotes: symbol inferred as its series key.  Every expected figure is
# computed by Python from the test's own CSV (exp), never written by hand.
"$PY" - "$TMP/quotes.csv" <<'EOF'
import sys
syms = ["AAPL", "IBM", "AAPL", "MSFT", "GOOG", "AAPL", "IBM"]
with open(sys.argv[1], "w") as f:
    f.write("ts,symbol,venue,live,price\n")
    for i in range(600):
        f.write("2024-03-01T%02d:%02d:%02dZ,%s,%d,%s,%d.25\n" % (
            i // 3600, i // 60 % 60, i % 60, syms[i % 7], i % 3 + 1,
            "true" if i % 4 == 0 else "false", 100 + i % 50))
EOF
# exp EXPR: a Python expression over the CSV's rows (dicts of strings, in time order).
exp() {
	"$PY" - "$1" "$TMP/quotes.csv" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[2])))
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))
EOF
}
# ndjson_is EXPR VALUE: EXPR over the NDJSON body's objects `rows` prints VALUE.
ndjson_is() {
	[ "$("$PY" - "$1" "$TMP/body" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[2])]
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))
EOF
)" = "$2" ]
}
req POST /tables/quotes/ingest -H 'Content-Type: text/csv' --data-binary @"$TMP/quotes.csv"
check "ingest of a table with a symbol column" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 600'
req GET /tables/quotes/schema
check "schema: symbol is inferred as the series key" eval 'ok_envelope && is "d[\"data\"][\"series_key\"]" "[\"symbol\"]"'
check "schema: each column says whether it is in the series key" \
	is '[(c["name"], c["series"]) for c in d["data"]["columns"]]' \
	'[["ts", false], ["symbol", true], ["venue", false], ["live", false], ["price", false]]'
req GET /tables/quotes/count
check "count reports the distinct symbols as series" \
	eval 'ok_envelope && is "d[\"data\"][\"count\"]" 600 && is "d[\"data\"][\"series\"]" "$(exp "len(set(r[\"symbol\"] for r in rows))")"'
for sym in AAPL IBM MSFT GOOG; do
	want=$(exp "len([r for r in rows if r['symbol'] == '$sym'])")
	req GET "/tables/quotes/query?symbol=$sym&limit=10000"
	check "?symbol=$sym returns its $want rows, all of them $sym, in time order" \
		eval 'ok_envelope && is "len(d[\"data\"])" $want && is "sorted(set(r[\"symbol\"] for r in d[\"data\"]))" "[\"$sym\"]" && is "[r[\"ts\"] for r in d[\"data\"]] == sorted(r[\"ts\"] for r in d[\"data\"])" true'
done
req GET '/tables/quotes/query?symbol=AAPL&symbol=IBM&limit=10000'
check "a repeated parameter: symbol=AAPL&symbol=IBM, rows of both in time order" \
	is '[[r["ts"], r["symbol"]] for r in d["data"]]' \
	"$(exp '[[r["ts"], r["symbol"]] for r in rows if r["symbol"] in ("AAPL", "IBM")]')"
req GET '/tables/quotes/query?symbol=IBM&start=2024-03-01T00:01:00Z&end=2024-03-01T00:05:00Z'
check "symbol with start and end ([start, end))" \
	is '[r["ts"] for r in d["data"]]' \
	"$(exp '[r["ts"] for r in rows if r["symbol"] == "IBM" and "2024-03-01T00:01:00Z" <= r["ts"] < "2024-03-01T00:05:00Z"]')"
req GET '/tables/quotes/query?order=desc&symbol=MSFT&limit=5&offset=3&symbol=GOOG'
check "symbols with order=desc, limit and offset" \
	is '[[r["ts"], r["symbol"]] for r in d["data"]]' \
	"$(exp '[[r["ts"], r["symbol"]] for r in rows if r["symbol"] in ("MSFT", "GOOG")][::-1][3:8]')"
req GET '/tables/quotes/query?symbol=AAPL&columns=price&start=2024-03-01T00:09:00Z&format=csv'
check "symbol with columns, start and format=csv" \
	[ "$(cat "$TMP/body")" = "$(exp '"ts,price\n" + "\n".join(r["ts"] + "," + r["price"] for r in rows if r["symbol"] == "AAPL" and r["ts"] >= "2024-03-01T00:09:00Z")')" ]
req GET '/tables/quotes/query?symbol=GOOG&format=ndjson&order=desc&limit=4&time_format=ms&columns=symbol,price'
check "symbol with format=ndjson, order=desc, limit, time_format and columns" \
	ndjson_is 'rows' "$(exp '[{"ts": (int(r["ts"][11:13]) * 3600 + int(r["ts"][14:16]) * 60 + int(r["ts"][17:19])) * 1000 + 1709251200000, "symbol": "GOOG", "price": float(r["price"])} for r in rows if r["symbol"] == "GOOG"][::-1][:4]')"
req GET '/tables/quotes/query?symbol=IBM&symbol=AAPL&format=ndjson'
check "format=ndjson streams every row of the symbols without the JSON cap" \
	ndjson_is 'len(rows)' "$(exp 'len([r for r in rows if r["symbol"] in ("IBM", "AAPL")])')"
curl -s -H 'Accept: text/csv' -o "$TMP/body" "$BASE/tables/quotes/query?symbol=MSFT"
check "Accept: text/csv with a symbol filter" \
	[ "$(wc -l <"$TMP/body")" = "$(exp '1 + len([r for r in rows if r["symbol"] == "MSFT"])')" ]
req GET '/tables/quotes/query?symbol=NOPE'
check "a symbol that does not exist gives an empty result" eval 'ok_envelope && is "d[\"data\"]" "[]"'
req GET '/tables/quotes/query?symbol=NOPE&format=csv'
check "... and an empty CSV (header only)" eval 'status_is 200 && [ "$(cat "$TMP/body")" = "ts,symbol,venue,live,price" ]'
req GET '/tables/quotes/query?symbol=AAPL&start=2024-03-01T00:01:00Z&end=2024-03-01T00:01:00Z'
check "a symbol with an empty range gives an empty result" eval 'ok_envelope && is "d[\"data\"]" "[]"'
req GET '/tables/quotes/query?symbol=AAPL&venue=1'
check "a parameter named after a non-key column is 400 naming it" error_is 400 '"venue"'
req GET '/tables/quotes/query?symbol=AAPL&colour=red'
check "an unknown parameter next to a filter is 400 naming it" error_is 400 colour
req GET '/tables/quotes/query?symbol=AAPL&limit=0'
check "a bad limit next to a filter is 400 naming it" error_is 400 limit
req GET '/tables/quotes/query?symbol=%FF'
check "a symbol that is not UTF-8 is 400 naming the parameter" error_is 400 '"symbol"'
req GET '/tables/nosuch/query?symbol=AAPL'
check "a filter on an unknown table is 404" error_is 404 nosuch

# Integer and boolean keys by series_key=, several key columns combined with AND.
req POST '/tables/venues/ingest?series_key=venue,live' -H 'Content-Type: text/csv' --data-binary @"$TMP/quotes.csv"
check "ingest with series_key=venue,live" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 600'
req GET /tables/venues/schema
check "schema: series_key as given, the key columns flagged" eval 'is "d[\"data\"][\"series_key\"]" "[\"venue\", \"live\"]" && is "[c[\"name\"] for c in d[\"data\"][\"columns\"] if c[\"series\"]]" "[\"venue\", \"live\"]"'
req POST '/tables/venues2/ingest?series_key=live,venue' -H 'Content-Type: text/csv' --data-binary $'ts,venue,live\n2024-01-01T00:00:00Z,1,true\n'
req GET /tables/venues2/schema
check "schema: series_key keeps the order the option gave" is 'd["data"]["series_key"]' '["live", "venue"]'
req DELETE /tables/venues2
req GET '/tables/venues/query?venue=2&format=ndjson'
check "an integer key: venue=2" \
	ndjson_is '[[r["ts"], r["venue"]] for r in rows]' "$(exp '[[r["ts"], 2] for r in rows if r["venue"] == "2"]')"
req GET '/tables/venues/query?venue=3&venue=1&format=ndjson&columns=venue'
check "an integer key, repeated: venue=3&venue=1" \
	ndjson_is 'len(rows)' "$(exp 'len([r for r in rows if r["venue"] in ("1", "3")])')"
req GET '/tables/venues/query?live=true&limit=10000'
check "a boolean key: live=true" \
	is '[r["ts"] for r in d["data"]]' "$(exp '[r["ts"] for r in rows if r["live"] == "true"]')"
req GET '/tables/venues/query?venue=1&live=t&venue=2&limit=10000'
check "two key columns combine with AND (venue in (1, 2) and live)" \
	is '[[r["ts"], r["venue"], r["live"]] for r in d["data"]]' \
	"$(exp '[[r["ts"], int(r["venue"]), True] for r in rows if r["venue"] in ("1", "2") and r["live"] == "true"]')"
req GET '/tables/venues/query?venue=7'
check "an integer value that does not exist gives an empty result" eval 'ok_envelope && is "d[\"data\"]" "[]"'
for bad in 'venue=abc' 'venue=1.5' 'venue=' 'venue=99999999999999999999' 'venue=1&venue=x'; do
	req GET "/tables/venues/query?$bad"
	check "a bad integer value ($bad) is 400 naming venue" error_is 400 '"venue"'
done
req GET '/tables/venues/query?live=maybe'
check "a bad boolean value is 400 naming live" error_is 400 '"live"'
req GET '/tables/venues/query?symbol=AAPL'
check "symbol is no filter where it is not in the key: 400" error_is 400 '"symbol"'

# series_key= : no key at all, so no filters.
req POST '/tables/nokey/ingest?series_key=' -H 'Content-Type: text/csv' --data-binary @"$TMP/quotes.csv"
check "ingest with series_key= (none)" ok_envelope
req GET /tables/nokey/schema
check "schema: series_key= leaves an empty series_key and no series column" \
	eval 'is "d[\"data\"][\"series_key\"]" "[]" && is "[c[\"series\"] for c in d[\"data\"][\"columns\"]]" "[false, false, false, false, false]"'
req GET /tables/nokey/count
check "count of a table without a key: series 0" is 'd["data"]["series"]' 0
req GET '/tables/nokey/query?symbol=AAPL'
check "?symbol= on a table without a series key is 400 naming symbol" error_is 400 '"symbol"'
req GET '/tables/nokey/query?limit=3'
check "... and the table still answers queries" is 'len(d["data"])' 3

# Bad series_key options name the option; nothing is created.
for bad in 'nosuch' 'price' 'ts' 'symbol,symbol'; do
	req POST "/tables/badkey/ingest?series_key=$bad" -H 'Content-Type: text/csv' --data-binary @"$TMP/quotes.csv"
	check "series_key=$bad is 400 naming the option" error_is 400 series_key
done
req GET /tables/badkey/count
check "... and created no table" error_is 404 badkey

# A key column named like a parameter of the route is that parameter, never a filter.
req POST '/tables/clash/ingest?series_key=order' -H 'Content-Type: text/csv' \
	--data-binary $'ts,order,v\n2024-01-01T00:00:00Z,buy,1\n2024-01-01T00:00:01Z,sell,2\n'
check "a key column named order can be created" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" 2'
req GET '/tables/clash/query?order=buy'
check "... but ?order= stays the sort order (400 naming order)" error_is 400 order
req GET '/tables/clash/query?order=desc'
check "... and sorts" is '[r["order"] for r in d["data"]]' '["sell", "buy"]'
for t in quotes venues nokey clash; do req DELETE "/tables/$t"; done
check "series test tables dropped" ok_envelope

# ---------------------------------------------------------------- aggregate
. "$ROOT/test/rest/aggregate.sh"
aggregate_tests

# ---------------------------------------------------------------- loads in progress, CLI progress and backup
. "$ROOT/test/rest/loads.sh"
loads_tests

# ---------------------------------------------------------------- delete rows, drop
req DELETE '/tables/trades/rows?start=2024-01-01'
check "delete without end is 400" error_is 400 end
req DELETE '/tables/trades/rows?start=2024-01-02&end=2024-01-01'
check "delete with start after end is 400" error_is 400 end
req DELETE '/tables/trades/rows?start=nonsense&end=2024-01-01'
check "delete with a bad start is 400 naming it" error_is 400 start
req DELETE '/tables/trades/rows?start=2024-01-01T00:00:01Z&end=2024-01-01T00:00:04Z'
check "delete [start, end) removes the rows in range" eval 'ok_envelope && is "d[\"data\"][\"rows_deleted\"]" 2'
req GET /tables/trades/count
check "count after delete" is 'd["data"]["count"]' 4
req DELETE '/tables/nosuch/rows?start=2024-01-01&end=2024-01-02'
check "delete in an unknown table is 404" error_is 404 nosuch
req DELETE '/tables/trades/rows?start=2000-01-01&end=2100-01-01'
req GET /tables/trades/count
check "an empty table counts 0 with null bounds" is '[d["data"][k] for k in ("count", "min_ts", "max_ts")]' '[0, null, null]'
req DELETE /tables/trades
check "DELETE /tables/{t} drops the table" ok_envelope
req GET /tables/trades/query
check "a dropped table is 404" error_is 404 trades
req DELETE /tables/trades
check "dropping it again is 404" error_is 404 trades

# ---------------------------------------------------------------- routing errors
req GET /nowhere
check "unknown route is 404 with the envelope" error_is 404 "no route"
req GET /tables/x/unknown
check "unknown sub-route is 404" error_is 404 "no route"
req PUT /tables
check "wrong method on a known route is 405 with the envelope" error_is 405 "not allowed"
req GET /tables/x/ingest
check "GET on ingest is 405" error_is 405 "not allowed"

# ---------------------------------------------------------------- 1M-row streamed ingest
req POST /tables/ticks/ingest -H 'Content-Type: text/csv' --data-binary $'ts,sym,px,qty\n2023-12-31T00:00:00Z,SEED,1.5,1\n'
check "seed row in table ticks" is 'd["data"]["rows_inserted"]' 1
ROWS=1000000
cat >"$TMP/gen.py" <<'EOF'
import os, sys, time
rows, tmp = int(sys.argv[1]), sys.argv[2]
out = sys.stdout
out.write("ts,sym,px,qty\n")
half = rows // 2
for i in range(rows):
    if i == half:
        # Halfway: let the sampler read the table while this load is open.
        out.flush()
        open(os.path.join(tmp, "mid"), "w").close()
        for _ in range(60000):
            if os.path.exists(os.path.join(tmp, "go")):
                break
            time.sleep(0.001)
    out.write("2024-02-01T%02d:%02d:%02d.%06dZ,S%d,%d.25,%d\n"
              % (i // 3600000 % 24, i // 60000 % 60, i // 1000 % 60, i % 1000 * 1000, i % 50, i % 997, i))
out.flush()
open(os.path.join(tmp, "gen_done"), "w").close()
EOF
rm -f "$TMP/mid" "$TMP/go" "$TMP/gen_done" "$TMP/ingest_done"
# Sampler: RSS always; counts are valid evidence only while the generator
# has not finished (until then the body is incomplete, so nothing can have
# been committed).
(
	while [ ! -f "$TMP/ingest_done" ]; do
		rss_kb "$MAIN" >>"$TMP/rss"
		c=$(curl -s "$BASE/tables/ticks/count" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["data"]["count"])')
		[ -f "$TMP/gen_done" ] || echo "$c" >>"$TMP/counts"
		if [ -f "$TMP/mid" ] && [ ! -f "$TMP/go" ]; then
			curl -s -o /dev/null -w '%{http_code}' "$BASE/health" >"$TMP/health_mid"
			# Half the body is written and at most socket buffers of it are
			# unread, so the load is under way: deleting in its table is refused.
			curl -s -o "$TMP/delete_mid" -w '%{http_code}' -X DELETE \
				"$BASE/tables/ticks/rows?start=2020-01-01&end=2021-01-01" >"$TMP/delete_mid_status"
			touch "$TMP/go"
		fi
	done
) &
SAMPLER=$!
# -T - streams stdin as it comes (chunked); --data-binary @- would read it all first.
"$PY" "$TMP/gen.py" "$ROWS" "$TMP" |
	curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H 'Content-Type: text/csv' \
		-H 'Transfer-Encoding: chunked' -T - "$BASE/tables/ticks/ingest" >"$TMP/ingest_status"
touch "$TMP/ingest_done"
wait "$SAMPLER"
STATUS=$(cat "$TMP/ingest_status")
check "1M-row chunked ingest from a pipe" eval 'ok_envelope && is "d[\"data\"][\"rows_inserted\"]" $ROWS'
check "reads during the ingest were made ($(wc -l <"$TMP/counts") reads)" [ -s "$TMP/counts" ]
check "every read during the ingest saw none of its rows ($(sort -u "$TMP/counts" | tr '\n' ' '))" \
	[ "$(sort -u "$TMP/counts")" = 1 ]
check "other connections are served during an ingest (/health mid-load)" [ "$(cat "$TMP/health_mid" 2>/dev/null)" = 200 ]
cp "$TMP/delete_mid" "$TMP/body"
STATUS=$(cat "$TMP/delete_mid_status")
check "deleting rows of a table with a load in flight is 409" error_is 409 ticks
MAXRSS=$(sort -n "$TMP/rss" | tail -1)
check "pulsorad VmRSS stayed below 300 MB during the ingest (max ${MAXRSS} kB)" [ "$MAXRSS" -lt 307200 ]
req GET /tables/ticks/count
check "all rows visible after commit" is 'd["data"]["count"]' $((ROWS + 1))

# Export the whole table as CSV while sampling RSS.
rm -f "$TMP/rss"
(
	while [ ! -f "$TMP/export_done" ]; do rss_kb "$MAIN" >>"$TMP/rss"; sleep 0.05; done
) &
SAMPLER=$!
curl -s "$BASE/tables/ticks/query?format=csv" | wc -l >"$TMP/export_lines"
touch "$TMP/export_done"
wait "$SAMPLER"
check "CSV export streams all $((ROWS + 1)) rows without the JSON cap" [ "$(cat "$TMP/export_lines")" = $((ROWS + 2)) ]
MAXRSS=$(sort -n "$TMP/rss" | tail -1)
check "pulsorad VmRSS stayed below 300 MB during the export (max ${MAXRSS} kB)" [ "$MAXRSS" -lt 307200 ]
check "NDJSON export honours limit" [ "$(curl -s "$BASE/tables/ticks/query?format=ndjson&limit=5&order=desc" | wc -l)" = 5 ]
req GET /tables/ticks/query
check "JSON query defaults to 1000 rows" is 'len(d["data"])' 1000
req GET '/tables/ticks/query?limit=10000'
check "JSON query allows 10000 rows" is 'len(d["data"])' 10000
aggregate_big_tests

# ---------------------------------------------------------------- metrics
curl -s -D "$TMP/headers" -o "$TMP/metrics" "$BASE/metrics"
check "metrics are Prometheus text" grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/headers"
check "metrics count requests by route and status" grep -q '^pulsora_http_requests_total{route="/health",status="200"} [1-9]' "$TMP/metrics"
check "metrics count 404s" grep -q '^pulsora_http_requests_total{route="/tables/{t}/query",status="404"} [1-9]' "$TMP/metrics"
check "metrics count rows ingested" grep -q "^pulsora_rows_ingested_total [1-9][0-9]\\{6\\}" "$TMP/metrics"
check "metrics show rows per table" grep -q "^pulsora_table_rows{table=\"ticks\"} $((ROWS + 1))\$" "$TMP/metrics"
check "metrics show data bytes" grep -q '^pulsora_data_bytes [1-9]' "$TMP/metrics"
check "metrics show resident memory" grep -q '^pulsora_process_resident_bytes [1-9]' "$TMP/metrics"
check "metrics show no load in progress" grep -q '^pulsora_loads_in_progress 0$' "$TMP/metrics"
check "metrics show the merge backlog" grep -q '^pulsora_merge_backlog_partitions [0-9]' "$TMP/metrics"
check "metrics show the decoded-block cache in use, under its 256 MiB budget" eval \
	'grep -q "^pulsora_decoded_cache_budget_bytes 268435456$" "$TMP/metrics" &&
	 [ "$(sed -n "s/^pulsora_decoded_cache_bytes //p" "$TMP/metrics")" -gt 0 ] &&
	 [ "$(sed -n "s/^pulsora_decoded_cache_bytes //p" "$TMP/metrics")" -le 268435456 ]'

# ---------------------------------------------------------------- one owner per directory
"$PULSORAD" -D "$DIR" --port "$(free_port)" >"$TMP/second.log" 2>&1
RC=$?
check "a second owner fails at once, naming the first ($(tail -1 "$TMP/second.log"))" \
	eval '[ $RC -ne 0 ] && grep -q "owned by pulsorad pid $MAIN" "$TMP/second.log"'
check "the first owner is unaffected" health_up

start_owner "$TMP/other" "$TMP/busy.log" --port "$PORT"
wait_for gone "$OWNER"
check "a manual owner whose REST port is taken fails" eval 'gone $OWNER && grep -q "cannot serve REST" "$TMP/busy.log" && [ ! -e "$TMP/other/pulsorad.pid" ]'

# ---------------------------------------------------------------- clean shutdown
# An ingest left open (its generator paused for good) when SIGTERM arrives.
rm -f "$TMP/mid" "$TMP/go"
"$PY" "$TMP/gen.py" 40000 "$TMP" 2>/dev/null |
	curl -s -o /dev/null -X POST -H 'Content-Type: text/csv' -T - "$BASE/tables/ticks/ingest" &
OPEN_INGEST=$!
PIDS+=("$OPEN_INGEST")
wait_for test -f "$TMP/mid"
connected() { ss -Htn state established "( sport = :$PORT )" 2>/dev/null | grep -q .; }
command -v ss >/dev/null && wait_for connected
kill -TERM "$MAIN"
wait_for gone "$MAIN"
wait "$MAIN"
RC=$?
check "SIGTERM stops the owner with status 0" [ "$RC" = 0 ]
check "shutdown removes the pid file" [ ! -e "$DIR/pulsorad.pid" ]
check "shutdown removes the socket" [ ! -e "$DIR/pulsorad.sock" ]
check "shutdown is logged" grep -q "stopped" "$TMP/owner.log"
check "the open ingest was aborted at shutdown" grep -q "ingest into ticks aborted" "$TMP/owner.log"
touch "$TMP/go"
wait "$OPEN_INGEST"

# Data persists across restarts.
start_owner "$DIR" "$TMP/owner2.log" --port "$PORT"
MAIN=$OWNER
wait_for health_up
req GET /tables/ticks/count
check "committed rows persist across a restart, the aborted ingest's do not" is 'd["data"]["count"]' $((ROWS + 1))
kill -INT "$MAIN"
wait_for gone "$MAIN"
check "SIGINT stops the owner too" [ ! -e "$DIR/pulsorad.pid" ]

# ======================================================================
echo "# authentication and body limit"
ADIR="$TMP/auth"
mkdir -m 700 "$ADIR"
APORT=$(free_port)
printf '[server]\nauth_token = "from-file"\nmax_body_size_mb = 1\nport = %s\n' "$APORT" >"$ADIR/pulsora.toml"
BASE="http://127.0.0.1:$APORT"
export PULSORA_AUTH_TOKEN=s3cret
start_owner "$ADIR" "$TMP/auth.log"
unset PULSORA_AUTH_TOKEN
wait_for health_up
req GET /health
check "/health needs no token" ok_envelope
req GET /tables
check "no token is 401" error_is 401 Authorization
req GET /tables -H 'Authorization: Bearer from-file'
check "PULSORA_AUTH_TOKEN overrides the file's token" error_is 401 Authorization
req GET /tables -H 'Authorization: Bearer s3cre'
check "a token prefix is 401" error_is 401 Authorization
req GET /tables -H 'Authorization: Bearer s3cret!'
check "a longer token is 401" error_is 401 Authorization
req GET /nowhere
check "unknown routes need the token too" error_is 401 Authorization
AUTH=(-H 'Authorization: Bearer s3cret')
req GET /tables
check "the right token is 200" ok_envelope
req GET /metrics
check "metrics need the token" status_is 200
"$PY" -c 'import sys
sys.stdout.write("ts,v\n")
for i in range(60000): sys.stdout.write("2024-03-01T00:00:%02dZ,%d\n" % (i % 60, i))' >"$TMP/1500k.csv"
check "test body is between 1 and 2 MiB" [ "$(stat -c %s "$TMP/1500k.csv")" -gt 1048576 ]
req POST /tables/lim/ingest -H 'Content-Type: text/csv' --data-binary @"$TMP/1500k.csv"
check "a Content-Length over max_body_size_mb is 413" error_is 413 max_body_size_mb
req POST /tables/lim/ingest -H 'Content-Type: text/csv' -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/1500k.csv"
check "a chunked body over max_body_size_mb is 413" error_is 413 max_body_size_mb
req GET /tables/lim/count
check "... and nothing was stored" error_is 404 lim
AUTH=()
kill -TERM "$OWNER"
wait_for gone "$OWNER"

# ---------------------------------------------------------------- backups and restore
. "$ROOT/test/rest/backup.sh"
backup_tests

# ======================================================================
echo "# start-up errors"
mkdir -m 700 "$TMP/badconf"
printf '[server]\nport = 8080\nfoo = 1\n' >"$TMP/badconf/pulsora.toml"
"$PULSORAD" -D "$TMP/badconf" >"$TMP/badconf.log" 2>&1
RC=$?
check "a config error names file, line and key" \
	eval '[ $RC -ne 0 ] && grep -q "pulsora.toml:3: unknown key \"foo\" in \[server\]" "$TMP/badconf.log"'
LONG="$TMP/$(printf 'd%.0s' $(seq 100))"
"$PULSORAD" -D "$LONG" --no-rest >"$TMP/long.log" 2>&1
RC=$?
check "a data directory whose socket path exceeds sun_path is refused" \
	eval '[ $RC -ne 0 ] && grep -q "cannot be used" "$TMP/long.log" && [ ! -e "$LONG/db" ]'
"$PULSORAD" >"$TMP/nodir.log" 2>&1
RC=$?
check "-D is required" eval '[ $RC -ne 0 ] && grep -q "data directory" "$TMP/nodir.log"'
"$PULSORAD" -D "$TMP/x" --port 70000 >"$TMP/port.log" 2>&1
RC=$?
check "--port is range-checked" eval '[ $RC -ne 0 ] && grep -q -- "--port" "$TMP/port.log"'

# ======================================================================
echo "# autostart (--postmaster-pid)"
sleep 600 &
FAKE_PM=$!
PIDS+=("$FAKE_PM")
SDIR="$TMP/auto"
start_owner "$SDIR" "$TMP/auto.log" --postmaster-pid "$FAKE_PM" --log-file "$TMP/auto-file.log"
AUTO=$OWNER
wait_for test -S "$SDIR/pulsorad.sock"
check "autostart owner serves the socket" [ -S "$SDIR/pulsorad.sock" ]
check "autostart writes rest = false into a new config" grep -qx 'rest = false' "$SDIR/pulsora.toml"
check "autostart without rest serves no REST" grep -q "REST off" "$TMP/auto-file.log"
check "--log-file receives the log" grep -q "(autostart)" "$TMP/auto-file.log"
kill "$FAKE_PM"
wait_for gone "$AUTO"
check "the owner exits when the postmaster is gone" gone "$AUTO"
check "... cleanly (pid file and socket removed)" eval '[ ! -e "$SDIR/pulsorad.pid" ] && [ ! -e "$SDIR/pulsorad.sock" ]'
check "... and says why" grep -q "postmaster pid $FAKE_PM is gone" "$TMP/auto-file.log"

# An autostarted owner whose REST port is taken only warns.
sleep 600 &
FAKE_PM=$!
PIDS+=("$FAKE_PM")
BPORT=$(free_port)
"$PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(600)' "$BPORT" &
PIDS+=("$!")
listening() { "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }
wait_for listening "$BPORT"
mkdir -m 700 "$TMP/auto2"
printf '[server]\nrest = true\nport = %s\n' "$BPORT" >"$TMP/auto2/pulsora.toml"
start_owner "$TMP/auto2" "$TMP/auto2.log" --postmaster-pid "$FAKE_PM"
wait_for test -S "$TMP/auto2/pulsorad.sock"
check "an autostarted owner whose REST port is taken warns and serves the socket" \
	eval 'kill -0 $OWNER && grep -q "warn.*REST not served" "$TMP/auto2.log"'
kill -TERM "$OWNER"
wait_for gone "$OWNER"

# ---------------------------------------------------------------- TLS and tokens on TCP
. "$ROOT/test/rest/tls.sh"
tls_tests

# A sanitizer build (make SANITIZE=1) reports into the owners' logs.
REPORTS=$(grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP"/*.log 2>/dev/null)
check "no sanitizer reports in pulsorad logs ${REPORTS}" [ -z "$REPORTS" ]

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
