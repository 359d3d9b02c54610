#!/bin/bash
# test_hostile.sh — hostile input against a real pulsorad (issue 5).
#   test/hostile/test_hostile.sh [BUILD_DIR]
#
# Every hostile CSV body (test/hostile/gen_inputs.py: unbalanced quotes,
# ragged rows, NUL bytes, invalid UTF-8, 20 MB fields and lines over
# max_field_mb = 1, 5000 columns, duplicate/empty header names, integer and
# float overflow, times out of range, bad rows after batches were written,
# 1 MB of /dev/urandom, header-only and empty bodies) is sent by REST ingest
# into an existing table with known rows and into a new table.  Each must be
# a 400 naming line and column where there is one, and leave the store
# exactly as it was: same /tables list, same counts, bounds, schemas and
# content (a full CSV export), and no new table.
#
# Then HTTP abuse that test/rest/test_rest.sh does not already cover: table
# names with %2F, "..", %00, spaces and 5000 characters; parameter values
# that overflow, are out of range or not UTF-8; methods no route knows;
# missing and wrong content types; 100 KB and 300 KB headers, 300 KB URLs;
# malformed request lines, Content-Length and chunk sizes; raw NUL bytes in
# the URL (400 before routing: "DELETE /tables/t<NUL>/../x" must not drop
# t); clients that disconnect mid-body; slow clients dribbling headers byte
# by byte while others are served; a flood of idle connections; a client that
# goes silent (closed by the owner's connection timeout, checked before the
# restart so the wait overlaps the rest of the first part); and, with
# authentication on, ingests and drops with missing, wrong, oversized or
# misplaced tokens (401, nothing changed).
#
# Request deadlines, against a second owner with request_timeout_s = 2 and
# max_connections = 16: a client dribbling its headers is closed after about
# 2 s, a flood of 16 such clients (every connection) is closed so that new
# requests are served again, and an ingest whose body slows to 1 byte/s is
# cut off with nothing stored; meanwhile a normal ingest, an upload at
# 8 KiB/s and an export read slowly, both taking longer than 2 s, succeed.
#
# The owner must be alive and serving at the end, stop cleanly on SIGTERM,
# and its stderr and log must hold no sanitizer report.  Nothing here is
# timing-based: helpers synchronise through files, and waits are bounded
# polls.  Last line: "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
. "$ROOT/test/lib.sh"
HERE="$ROOT/test/hostile"

TMP=$(mktemp -d /tmp/pulsora_hostile_XXXXXX)
HELPERS=()
cleanup() {
	end_helpers "$TMP/state/stop" "${HELPERS[@]}"
	kill "${OWNER_PID:-}" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
DIR="$TMP/data"
mkdir -m 700 "$DIR" "$TMP/state"
# A small field limit and batch size: 20 MB bodies trip the limit, and bad
# rows after row 100 arrive after batches (and a new table's schema) exist.
printf '[server]\nrest = true\n[ingestion]\nmax_field_mb = 1\nbatch_size = 100\n' >"$DIR/pulsora.toml"
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
TOKEN=""

if ! start_owner "$DIR" "$PORT" 2>>"$TMP/owner.stderr"; then
	fail "pulsorad starts"; cat "$TMP/owner.stderr" "$DIR/pulsorad.log"; finish; exit 1
fi
ok "pulsorad starts with max_field_mb = 1, batch_size = 100"

# req METHOD PATH [curl args]: body in $TMP/body, status in $STATUS.
req() {
	local method=$1 path=$2
	shift 2
	local auth=()
	[ -n "$TOKEN" ] && auth=(-H "Authorization: Bearer $TOKEN")
	STATUS=$(curl -s --path-as-is -o "$TMP/body" -w '%{http_code}' -X "$method" "${auth[@]}" "$@" "$URL$path")
}
ingest() {	# ingest TABLE FILE [QUERY]: POST the file as CSV
	req POST "/tables/$1/ingest${3:+?$3}" -H 'Content-Type: text/csv' --data-binary @"$2"
}
# error_has STATUS TEXT...: the reply is an error envelope with this status
# whose message holds every TEXT.
error_has() {
	local want=$1 msg
	shift
	[ "$STATUS" = "$want" ] || return 1
	msg=$("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["success"] is False and d["data"] is None, d
print(d["error"])' "$TMP/body" 2>/dev/null) || return 1
	for t in "$@"; do
		case "$msg" in *"$t"*) ;; *) return 1 ;; esac
	done
}
loaded() {	# loaded N: a success envelope with N rows inserted
	[ "$STATUS" = 200 ] && [ "$("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); print(d["data"]["rows_inserted"])' "$TMP/body" 2>/dev/null)" = "$1" ]
}
why() { echo "       got $STATUS: $(head -c 300 "$TMP/body" 2>/dev/null)"; }
# serving PATH: poll GET PATH (at most 20 s) until it answers 200; print the last status.
serving() {
	local code=000
	for _ in $(seq 400); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$URL$1")
		[ "$code" = 200 ] && break
		sleep 0.05
	done
	echo "$code"
}

# The whole visible state of the store: tables, counts, bounds, schemas, and
# every row (CSV export with nanosecond times).
cat >"$TMP/snap.py" <<'EOF'
import json, sys, urllib.request
url, token = sys.argv[1], sys.argv[2]
def get(path):
    rq = urllib.request.Request(url + path)
    if token:
        rq.add_header("Authorization", "Bearer " + token)
    return urllib.request.urlopen(rq, timeout=60).read()
tables = json.loads(get("/tables"))["data"]
print("tables", tables)
for t in tables:
    print(t, json.loads(get("/tables/%s/count" % t))["data"])
    print(t, json.loads(get("/tables/%s/schema" % t))["data"])
    sys.stdout.write(get("/tables/%s/query?format=csv&time_format=ns" % t).decode())
EOF
snapshot() { "$PY" "$TMP/snap.py" "$URL" "$TOKEN" >"$1" 2>&1; }
# unchanged NAME [BASE]: the store is exactly as in BASE ($TMP/base).
unchanged() {
	local base=${2:-$TMP/base}
	snapshot "$TMP/now"
	if cmp -s "$base" "$TMP/now"; then ok "$1: store unchanged"; else
		fail "$1: store changed"; diff "$base" "$TMP/now" | head -n 10; fi
}

# A client that goes silent after half a request line; collected at the end.
"$PY" "$HERE/slow_client.py" idle "$PORT" "$TMP/state" idle &
HELPERS+=("$!")

# ---------------------------------------------------------------- the known table
echo "# the known table (${SECONDS}s)"
cat >"$TMP/seed.csv" <<'EOF'
ts,sym,px,qty,flag
2024-01-01T00:00:00Z,AAPL,150.25,100,true
2024-01-01T00:00:01.5Z,"MS,FT",-0.5,-7,false
2024-01-01T00:00:02Z,"",NaN,,t
EOF
ingest t "$TMP/seed.csv"
if loaded 3; then ok "table t seeded with 3 rows"; else fail "seed table t"; why; fi
snapshot "$TMP/base"
check "baseline snapshot lists only t" "tables ['t']" "$(head -n 1 "$TMP/base")"

# ---------------------------------------------------------------- hostile CSV
echo "# hostile CSV (${SECONDS}s)"
"$PY" "$HERE/gen_inputs.py" "$TMP/in"
# name | message parts into t | message parts into a new table ("-": not sent).
# Rows start at line 2 (header = 1); the known row is line 2, the bad one 3.
# Random bytes fail wherever they happen to: any line and column will do.
while IFS='|' read -r name into_t into_new; do
	[ -z "$name" ] && continue
	for target in t fresh; do
		if [ "$target" = t ]; then want=$into_t; else want=$into_new; fi
		[ "$want" = - ] && continue
		IFS=';' read -r -a parts <<<"$want"
		ingest "$target" "$TMP/in/$name"
		if error_has 400 "${parts[@]}"; then ok "$name into $target: 400 \"${parts[*]}\""; else
			fail "$name into $target: expected 400 with \"${parts[*]}\""; why; fi
		unchanged "$name into $target"
	done
done <<'EOF'
unbalanced_quote|line 3, column 2;unterminated|line 3, column 2;unterminated
quote_in_field|line 3, column 2;quote|line 3, column 2;quote
text_after_quote|line 3, column 2;closing quote|line 3, column 2;closing quote
ragged_short|line 3, column 5;expected 5 fields, found 4|line 3, column 5;expected 5 fields, found 4
ragged_long|line 3, column 6;expected 5 fields, found 6|line 3, column 6;expected 5 fields, found 6
nul_in_value|line 3, column 2;NUL|line 3, column 2;NUL
nul_in_header|line 1, column 2;invalid column name|line 1, column 2;invalid column name
utf8_invalid_bytes|line 3, column 2;UTF-8|line 3, column 2;UTF-8
utf8_overlong|line 3, column 2;UTF-8|line 3, column 2;UTF-8
utf8_surrogate|line 3, column 2;UTF-8|line 3, column 2;UTF-8
utf8_truncated|line 3, column 2;UTF-8|line 3, column 2;UTF-8
utf8_in_header|line 1, column 2;invalid column name|line 1, column 2;invalid column name
huge_field|line 3, column 2;max_field_mb|line 3, column 2;max_field_mb
huge_line_no_newline|line 1, column 1;max_field_mb|line 1, column 1;max_field_mb
huge_record_many_fields|line 2;max_field_mb|line 2;max_field_mb
huge_quoted_multiline|line 3, column 2;max_field_mb|line 3, column 2;max_field_mb
wide_header_5000|line 1;5001 columns|line 1;5001 columns
wide_row_5000|line 3, column 6;expected 5 fields, found 5001|line 3, column 6;expected 5 fields, found 5001
duplicate_header|line 1, column 3;duplicate column name|line 1, column 3;duplicate column name
empty_header_name|line 1, column 2;empty column name|line 1, column 2;empty column name
quoted_empty_header|line 1, column 2;empty column name|line 1, column 2;empty column name
int_overflow|line 3, column 4;out of range|-
int_underflow|line 3, column 4;out of range|-
float_overflow|line 3, column 3;out of range|-
late_int_overflow|line 152, column 4;out of range|line 152, column 4;out of range
late_float_overflow|line 152, column 3;out of range|line 152, column 3;out of range
time_after_2262|line 3, column 1;out of range|line 3, column 1;out of range
time_before_1677|line 3, column 1;out of range|line 3, column 1;out of range
time_epoch_overflow|line 3, column 1;out of range|line 3, column 1;out of range
time_feb_30|line 3, column 1;day out of range|line 3, column 1;day out of range
time_empty|line 3, column 1;empty time|line 3, column 1;empty time
late_time_out_of_range|line 152, column 1;out of range|line 152, column 1;out of range
late_bad_row|line 5002, column 4;invalid integer|line 5002, column 4;invalid integer
late_nul|line 152, column 2;NUL|line 152, column 2;NUL
urandom_1mb|line ;, column |line ;, column 
EOF

# Nothing to load: zero rows into t (ps_csv.h: an existing table accepts an
# empty or header-only input), an error for a new table (no types to infer).
printf 'ts,sym,px,qty,flag\n' >"$TMP/in/header_only"
: >"$TMP/in/empty"
printf '\357\273\277' >"$TMP/in/bom_only"
printf '\n\r\n\n' >"$TMP/in/blank_lines"
for name in header_only empty bom_only blank_lines; do
	ingest t "$TMP/in/$name"
	if loaded 0; then ok "$name into t: 200, 0 rows"; else fail "$name into t: 200, 0 rows"; why; fi
	unchanged "$name into t"
	ingest fresh "$TMP/in/$name"
	if error_has 400 "no data rows" fresh; then ok "$name into a new table: 400 no data rows"; else
		fail "$name into a new table: 400 no data rows"; why; fi
	unchanged "$name into fresh"
done

# Garbage read as data rows; skip mode where every row is bad.
ingest t "$TMP/in/urandom_1mb" header=false
if error_has 400 "line"; then ok "urandom as data rows (header=false) into t: 400 naming the line"; else
	fail "urandom as data rows into t"; why; fi
unchanged "urandom header=false"
"$PY" -c 'import sys
sys.stdout.write("ts,sym,px,qty,flag\n" + "".join("2024-03-01T00:00:%02dZ,A,x,%d,true\n" % (i % 60, i) for i in range(300)))' >"$TMP/in/all_bad"
ingest t "$TMP/in/all_bad" on_error=skip
if [ "$STATUS" = 200 ] && [ "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]
print(d["rows_inserted"], d["rows_rejected"], len(d["errors"]), d["errors"][0]["line"], d["errors"][0]["column"])' "$TMP/body")" = "0 300 10 2 3" ]; then
	ok "on_error=skip with 300 bad rows into t: 0 inserted, 300 rejected, first 10 reported from line 2 column 3"
else fail "on_error=skip with every row bad into t"; why; fi
unchanged "all rows skipped into t"
ingest fresh "$TMP/in/all_bad" 'on_error=skip&time_column=nosuch'
if error_has 400 nosuch; then ok "time_column naming no column: 400 naming it"; else fail "time_column=nosuch"; why; fi
unchanged "time_column=nosuch"

# Load options with hostile values.
for opt in 'delimiter=ab:delimiter' 'delimiter=%00:delimiter' 'quote=%0A:quote' 'time_unit=parsecs:time_unit' \
	'timezone=%2B99:00:timezone' 'header=maybe:header' 'dedup=%FF:dedup' 'on_error=:on_error' \
	"$(printf 'x%.0s' $(seq 3000))=1:unknown option"; do
	ingest fresh "$TMP/seed.csv" "${opt%:*}"
	if error_has 400 "${opt##*:}"; then ok "option ${opt:0:30} is 400 naming ${opt##*:}"; else
		fail "option ${opt:0:30}"; why; fi
done
unchanged "bad load options"

# ---------------------------------------------------------------- table names
echo "# table names (${SECONDS}s)"
LONG=$(printf 'n%.0s' $(seq 5000))
for path in 'a%2Fb' 't%2F..%2Ft' '..' '%2E%2E' 't%00' '%00' 't%20x' 't.csv' '%C3%A9' "$LONG" 't%2Fingest%3F'; do
	ingest "$path" "$TMP/seed.csv"
	case "$STATUS" in
		400|404) ok "ingest into table \"${path:0:24}\" is $STATUS" ;;
		*) fail "ingest into table \"${path:0:24}\" is refused"; why ;;
	esac
done
# The 5000-character name is cut in the message, and the reply stays JSON.
req GET "/tables/$LONG/count"
if error_has 400 "invalid table name" && [ "$(stat -c %s "$TMP/body")" -lt 1024 ]; then
	ok "a 5000-character table name: 400 with a short message"; else fail "5000-character table name"; why; fi
unchanged "hostile table names"

# ---------------------------------------------------------------- parameters
echo "# parameters (${SECONDS}s)"
for bad in 'limit=99999999999999999999:limit' 'limit=%2B5:limit' 'limit=%205:limit' 'limit=5%00:limit' \
	'offset=99999999999999999999:offset' 'start=2263-01-01:start' 'end=1600-01-01:end' \
	'start=%FF%FE:start' 'start=99999999999999999999:start' "columns=$(printf 'c,%.0s' $(seq 3000))c:columns" \
	'columns=sym,,px:columns' "$(printf 'k%.0s' $(seq 5000))=1:unknown parameter" 'start=&end=:start' \
	'format=csv&limit=0:limit' '%FF=1:unknown parameter'; do
	req GET "/tables/t/query?${bad%:*}"
	if error_has 400 "${bad##*:}"; then ok "query ${bad:0:30} is 400 naming ${bad##*:}"; else
		fail "query ${bad:0:30} is 400 naming ${bad##*:}"; why; fi
done
req GET '/tables/t/query?start=2024-01-01T00:00:01.5Z&end=2024-01-01T00:00:01.5Z'
if [ "$STATUS" = 200 ] && [ "$(json 'len(d["data"])' <"$TMP/body")" = 0 ]; then
	ok "start = end is an empty result"; else fail "start = end"; why; fi
req GET '/tables/t/query?offset=9223372036854775807&format=ndjson'
check "an offset past every row is an empty export" "200 0" "$STATUS $(wc -c <"$TMP/body")"
req GET '/tables/t/query?start=-9223372036854775808&end=9223372036854775807&time_format=ns'
if [ "$STATUS" = 200 ] && [ "$(json 'len(d["data"])' <"$TMP/body")" = 3 ]; then
	ok "the widest epoch range returns every row"; else fail "widest epoch range"; why; fi
for bad in 'start=2024-01-01:end' 'start=2024-01-01&end=2024-01-01:end' 'start=x&end=y:start' \
	'start=2024-01-01&end=2025-01-01&limit=1:limit'; do
	req DELETE "/tables/t/rows?${bad%:*}"
	if error_has 400 "${bad##*:}"; then ok "delete ${bad%:*} is 400 naming ${bad##*:}"; else
		fail "delete ${bad%:*} is 400"; why; fi
done
unchanged "hostile parameters"

# ---------------------------------------------------------------- methods, content types
echo "# methods, content types (${SECONDS}s)"
for m in FOO PATCH OPTIONS TRACE PROPFIND; do
	req "$m" /tables/t/ingest -H 'Content-Type: text/csv' --data-binary @"$TMP/seed.csv"
	if error_has 405 "not allowed"; then ok "$m on ingest is 405"; else fail "$m on ingest is 405"; why; fi
	req "$m" /tables/t
	if error_has 405 "not allowed"; then ok "$m on a table is 405"; else fail "$m on a table is 405"; why; fi
done
req FOO /nowhere
if error_has 404 "no route"; then ok "an unknown method on an unknown route is 404"; else fail "FOO /nowhere"; why; fi
req POST /tables/t/ingest -H 'Content-Type:' --data-binary @"$TMP/seed.csv"
if error_has 400 "text/csv"; then ok "ingest without any Content-Type is 400"; else fail "no Content-Type"; why; fi
for ct in 'text/plain' 'text/csvx' 'text/cs' 'application/csv' 'multipart/form-data; boundary=x' 'text/html, text/csv'; do
	req POST /tables/t/ingest -H "Content-Type: $ct" --data-binary @"$TMP/seed.csv"
	if error_has 400 "text/csv"; then ok "ingest with Content-Type \"$ct\" is 400"; else fail "Content-Type $ct"; why; fi
done
req POST /tables/fresh/ingest -F "file=@$TMP/seed.csv"
if error_has 400 "text/csv"; then ok "a browser-style multipart upload is 400"; else fail "multipart upload"; why; fi
unchanged "methods and content types"

# ---------------------------------------------------------------- raw HTTP abuse
echo "# raw HTTP abuse (${SECONDS}s)"
cat >"$TMP/raw.py" <<'EOF'
import json, socket, sys
# raw.py PORT CASE [body]: prints the reply's status (with "body": and its error message).
port, which, show = int(sys.argv[1]), sys.argv[2], sys.argv[3:] == ["body"]
csv = b"ts,sym,px,qty,flag\n2024-05-01T00:00:00Z,R,1,1,true\n"
post = b"POST /tables/t/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nConnection: close\r\n"
cases = {
    "header_100k": b"GET /tables HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\nConnection: close\r\n\r\n",
    "header_300k": b"GET /tables HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300000 + b"\r\nConnection: close\r\n\r\n",
    "headers_20000": b"GET /tables HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(20000)) + b"Connection: close\r\n\r\n",
    "url_300k": b"GET /tables/t/query?start=" + b"1" * 300000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "version_9": b"GET /tables HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
    "negative_length": post + b"Content-Length: -5\r\n\r\n" + csv,
    "huge_length": post + b"Content-Length: 99999999999999999999999\r\n\r\n" + csv,
    "bad_chunk": post + b"Transfer-Encoding: chunked\r\n\r\nZZZ\r\n" + csv + b"\r\n0\r\n\r\n",
    "huge_chunk": post + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n" + csv + b"\r\n0\r\n\r\n",
    "garbage_line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 GARBAGE\r\n\r\n",
    "nul_in_path": b"GET /tables/t\x00x/count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "nul_then_dotdot": b"DELETE /tables/t\x00/../x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "nul_in_query": b"DELETE /tables/t?x=\x00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "lf_only": b"GET /tables/t/count HTTP/1.1\nHost: x\nConnection: close\n\n",
}
s = socket.create_connection(("127.0.0.1", port), timeout=60)
try:
    s.sendall(cases[which])
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
except OSError:
    print("closed")
    sys.exit(0)
line = reply.split(b"\r\n", 1)[0].decode("latin-1")
status = line.split(" ")[1] if line.startswith("HTTP/") else "closed"
if show:
    try:
        status += " " + json.loads(reply.split(b"\r\n\r\n", 1)[1])["error"]
    except (ValueError, KeyError, TypeError, IndexError):
        status += " (no JSON error)"
print(status)
EOF
# name:accepted outcomes (status codes, or "closed" when no reply came, e.g.
# the owner answered 431 and closed while the client was still sending).
for c in header_100k:200,431 header_300k:431,closed headers_20000:431,closed url_300k:414,closed \
	version_9:505 negative_length:400 huge_length:413 bad_chunk:400 huge_chunk:413 \
	garbage_line:400,closed lf_only:200,400; do
	got=$("$PY" "$TMP/raw.py" "$PORT" "${c%%:*}" 2>&1)
	case ",${c##*:}," in
		*",$got,"*) ok "raw ${c%%:*}: $got" ;;
		*) fail "raw ${c%%:*}: expected one of ${c##*:}, got $got" ;;
	esac
done
# libmicrohttpd 0.9.75 ends the URL at a raw NUL byte ("DELETE
# /tables/t<NUL>/../x" would be "DELETE /tables/t"): the owner must refuse
# the request before routing (%00 is never decoded, see above).
for c in nul_in_path nul_then_dotdot nul_in_query; do
	check "raw $c: 400 before routing" "400 the request URL holds a NUL byte" \
		"$("$PY" "$TMP/raw.py" "$PORT" "$c" body 2>&1)"
done
req GET /tables/t/count
check "table t survives DELETE /tables/t<NUL>/../x" "200 3" "$STATUS $(json 'd["data"]["count"]' <"$TMP/body" 2>/dev/null)"
check "the owner lives on after raw abuse" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health")"
unchanged "raw HTTP abuse"

# Clients that disconnect in the middle of their body, into t and into a new
# table (after several batches were written).  Wait for the owner to log the
# abort before looking.
cat >"$TMP/cut.py" <<'EOF'
import socket, sys
port, table = int(sys.argv[1]), sys.argv[2]
body = b"ts,sym,px,qty,flag\n" + b"".join(b"2024-06-01T00:%02d:%02dZ,C,1.5,%d,true\n" % (i // 60 % 60, i % 60, i) for i in range(20000))
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /tables/%s/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n"
          % (table.encode(), len(body) * 10))
s.sendall(body)
s.close()
EOF
for target in t fresh; do
	before=$(grep -c "ingest into $target aborted" "$DIR/pulsorad.log")
	"$PY" "$TMP/cut.py" "$PORT" "$target"
	for _ in $(seq 400); do
		[ "$(grep -c "ingest into $target aborted" "$DIR/pulsorad.log")" -gt "$before" ] && break
		sleep 0.05
	done
	check "a client gone mid-body into $target: the ingest is aborted" $((before + 1)) \
		"$(grep -c "ingest into $target aborted" "$DIR/pulsorad.log")"
	unchanged "client gone mid-body into $target"
done

# ---------------------------------------------------------------- slow clients
echo "# slow clients (${SECONDS}s)"
# Eight clients dribble their headers byte by byte; meanwhile others are served.
for i in 1 2 3 4 5 6 7 8; do
	"$PY" "$HERE/slow_client.py" dribble "$PORT" "$TMP/state" "slow$i" &
	HELPERS+=("$!")
done
for i in 1 2 3 4 5 6 7 8; do
	for _ in $(seq 400); do [ -f "$TMP/state/slow$i.started" ] && break; sleep 0.05; done
done
check "eight slow clients hold connections" 8 "$(ls "$TMP"/state/slow*.started 2>/dev/null | wc -l)"
"$PY" -c 'import sys
sys.stdout.write("ts,v\n" + "".join("2024-07-01T00:00:%02dZ,%d\n" % (i % 60, i) for i in range(1000)))' >"$TMP/during.csv"
ingest during_slow "$TMP/during.csv"
if loaded 1000; then ok "an ingest is served while slow clients dribble"; else fail "ingest during slow clients"; why; fi
req GET '/tables/t/query?format=csv'
check "a query is served while slow clients dribble" "200 4" "$STATUS $(wc -l <"$TMP/body")"
req DELETE /tables/during_slow
check "a drop is served while slow clients dribble" 200 "$STATUS"
check "... and no slow client has been answered yet" 0 "$(ls "$TMP"/state/slow*.result 2>/dev/null | wc -l)"
touch "$TMP/state/stop"
for i in 1 2 3 4 5 6 7 8; do
	for _ in $(seq 400); do [ -f "$TMP/state/slow$i.result" ] && break; sleep 0.05; done
done
check "the slow clients are answered once their headers end" "8 status 200" \
	"$(cat "$TMP"/state/slow*.result 2>/dev/null | sort | uniq -c | awk '{print $1, $2, $3}')"
rm -f "$TMP/state/stop"
unchanged "slow clients"

# A flood of idle connections beyond max_connections (64), then released.
"$PY" "$HERE/slow_client.py" flood "$PORT" "$TMP/state" 200 &
HELPERS+=("$!")
for _ in $(seq 400); do [ -f "$TMP/state/200.started" ] && break; sleep 0.05; done
check "200 idle connections opened" 1 "$(ls "$TMP/state/200.started" 2>/dev/null | wc -l)"
touch "$TMP/state/stop"
for _ in $(seq 400); do [ -f "$TMP/state/200.result" ] && break; sleep 0.05; done
rm -f "$TMP/state/stop"
check "the owner serves again once the idle flood is gone" 200 "$(serving /tables/t/count)"

# ---------------------------------------------------------------- request deadlines
echo "# request deadlines (${SECONDS}s)"
# wait_result STATEDIR NAME: poll (at most 60 s) for a slow_client.py result; print it.
wait_result() {
	for _ in $(seq 1200); do [ -f "$1/$2.result" ] && break; sleep 0.05; done
	cat "$1/$2.result" 2>/dev/null
}
# closed_within RESULT LO HI: RESULT is "closed after S s" with LO <= S <= HI.
closed_within() {
	case "$1" in "closed after "*) ;; *) return 1 ;; esac
	awk -v s="$(echo "$1" | awk '{print $3}')" -v lo="$2" -v hi="$3" 'BEGIN { exit !(s >= lo && s <= hi) }'
}
# took_over RESULT PREFIX SECONDS: RESULT is "PREFIX ... in S s" with S > SECONDS.
took_over() {
	case "$1" in "$2"*) ;; *) return 1 ;; esac
	awk -v s="$(echo "$1" | awk '{print $(NF - 1)}')" -v min="$3" 'BEGIN { exit !(s > min) }'
}
# The checks run against a second owner (its own data directory and port),
# with URL pointing at it.  Each slow_client.py connection is its own
# client; they run side by side, so the section lasts about as long as the
# slowest of them (the cut body, about 4 s).
deadline_checks() {
	local URL=$URL2 ST2=$TMP/state2 got metrics
	mkdir "$ST2"
	printf 'ts,v\n2024-08-02T00:00:00Z,1\n2024-08-02T00:00:01Z,2\n' >"$TMP/t2.csv"
	ingest t2 "$TMP/t2.csv"
	if loaded 2; then ok "table t2 seeded with 2 rows"; else fail "seed table t2"; why; fi
	# An export of some 8 MB: more than loopback socket buffers absorb, so
	# the owner is still sending it, slowly, after request_timeout_s.
	"$PY" -c 'import sys
sys.stdout.write("ts,v\n" + "".join("2024-08-03T00:00:%02d.%06dZ,%d\n" % (i // 1000000 % 60, i % 1000000, i) for i in range(240000)))' >"$TMP/big.csv"
	ingest big "$TMP/big.csv"
	if loaded 240000; then ok "table big loaded with 240000 rows"; else fail "load table big"; why; fi
	snapshot "$TMP/base2"

	for c in dribble:headers slow_body:t2 steady_body:steady slow_reader:big; do
		"$PY" "$HERE/slow_client.py" "${c%%:*}" "$PORT2" "$ST2" "${c#*:}" &
		HELPERS+=("$!")
	done
	for n in headers t2 steady big; do
		for _ in $(seq 400); do [ -f "$ST2/$n.started" ] && break; sleep 0.05; done
	done
	ingest during "$TMP/during.csv"
	if loaded 1000; then ok "a normal ingest is served while slow clients are being cut"; else
		fail "normal ingest beside slow clients"; why; fi

	got=$(wait_result "$ST2" headers)
	if closed_within "$got" 1.5 6; then ok "a client dribbling its headers is disconnected ($got)"; else
		fail "a header dribbler is disconnected after about request_timeout_s (got: $got)"; fi
	got=$(wait_result "$ST2" t2)
	if closed_within "$got" 1.5 10; then ok "an ingest body slowing to 1 byte/s is cut off ($got)"; else
		fail "a 1 byte/s body is cut off (got: $got)"; fi
	for _ in $(seq 200); do grep -q "ingest into t2 aborted" "$DIR2/pulsorad.log" && break; sleep 0.05; done
	check "... and its ingest, 300 rows in (3 batches), is aborted" 1 \
		"$(grep -c "ingest into t2 aborted" "$DIR2/pulsorad.log")"
	got=$(wait_result "$ST2" steady)
	if took_over "$got" "status 200, 800 rows" 2; then ok "an upload at 8 KiB/s lasting over 2 s succeeds ($got)"; else
		fail "a steady 8 KiB/s upload succeeds (got: $got)"; fi
	got=$(wait_result "$ST2" big)
	if took_over "$got" "status 200, 240001 lines, complete" 2; then
		ok "an export read slowly for over 2 s arrives whole ($got)"
	else fail "a slowly read export arrives whole (got: $got)"; fi

	# Every connection held by a dribbler: refused until the watchdog frees them.
	"$PY" "$HERE/slow_client.py" drip_flood "$PORT2" "$ST2" 16 &
	HELPERS+=("$!")
	for _ in $(seq 400); do [ -f "$ST2/16.started" ] && break; sleep 0.05; done
	got=served
	for _ in $(seq 20); do
		[ "$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$URL/health")" = 000 ] && { got=refused; break; }
		sleep 0.05
	done
	check "while 16 dribblers hold max_connections, a new request is refused" refused "$got"
	got=$(wait_result "$ST2" 16)
	check "the owner disconnects all 16 dribblers" "16 closed" "${got%%,*}"
	check "... and then serves new requests" 200 "$(serving /health)"
	metrics=$(curl -s "$URL/metrics")
	check "metrics count 17 clients cut for slow headers, 1 for a slow body" \
		'pulsora_http_slow_clients_closed_total{phase="headers"} 17 pulsora_http_slow_clients_closed_total{phase="body"} 1' \
		"$(echo "$metrics" | grep '^pulsora_http_slow_clients_closed_total' | tr '\n' ' ' | sed 's/ $//')"

	req DELETE /tables/during
	check "drop the table of the normal ingest" 200 "$STATUS"
	req DELETE /tables/steady
	check "drop the table of the steady upload" 200 "$STATUS"
	unchanged "slow clients cut on the second owner" "$TMP/base2"
}
DIR2="$TMP/data2"
mkdir -m 700 "$DIR2"
printf '[server]\nrest = true\nrequest_timeout_s = 2\nmax_connections = 16\n[ingestion]\nbatch_size = 100\n' >"$DIR2/pulsora.toml"
PORT2=$(free_port)
URL2="http://127.0.0.1:$PORT2"
MAIN_PID=$OWNER_PID
if start_owner "$DIR2" "$PORT2" 2>>"$TMP/owner.stderr"; then
	OWNER2_PID=$OWNER_PID
	OWNER_PID=$MAIN_PID
	HELPERS+=("$OWNER2_PID")
	ok "a second owner starts with request_timeout_s = 2, max_connections = 16"
	deadline_checks
	stops_cleanly "the second owner stops cleanly" "$OWNER2_PID"
else
	OWNER_PID=$MAIN_PID
	fail "a second owner starts with request_timeout_s = 2"; tail -n 5 "$DIR2/pulsorad.log"
fi

# The silent client of the start: the owner's connection timeout (30 s)
# must have closed it by now, or will soon.
echo "# the silent client (${SECONDS}s)"
for _ in $(seq 1800); do [ -f "$TMP/state/idle.result" ] && break; sleep 0.05; done
got=$(cat "$TMP/state/idle.result" 2>/dev/null)
if closed_within "$got" 1 120; then ok "a silent client is disconnected by the owner's timeout ($got)"; else
	fail "a silent client is disconnected by its timeout, not at once (result: $got)"; fi

# ---------------------------------------------------------------- authentication on
echo "# authentication on (${SECONDS}s)"
stops_cleanly "SIGTERM stops the owner with status 0" "$OWNER_PID"
TOKEN_VALUE=hostile-$$-token
if PULSORA_AUTH_TOKEN=$TOKEN_VALUE start_owner "$DIR" "$PORT" 2>>"$TMP/owner.stderr"; then
	ok "the owner restarts with a token"
else
	fail "restart with a token"; tail -n 5 "$DIR/pulsorad.log" "$TMP/owner.stderr"; finish; exit 1
fi
TOKEN=$TOKEN_VALUE
unchanged "restart"
declare -A AUTHS=(
	[none]=""
	[wrong]="Authorization: Bearer nothostile"
	[empty]="Authorization: Bearer "
	[basic]="Authorization: Basic $(printf 'x:%s' "$TOKEN_VALUE" | base64)"
	[scheme_only]="Authorization: $TOKEN_VALUE"
	[huge]="Authorization: Bearer $(head -c 60000 /dev/zero | tr '\0' a)"
)
for k in "${!AUTHS[@]}"; do
	hdr=(-H "Authorization:")
	[ -n "${AUTHS[$k]}" ] && hdr=(-H "${AUTHS[$k]}")
	STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' "${hdr[@]}" -H 'Content-Type: text/csv' \
		--data-binary @"$TMP/seed.csv" "$URL/tables/t/ingest")
	if error_has 401 Authorization; then ok "ingest with token \"$k\" is 401"; else fail "ingest with token $k"; why; fi
	STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' "${hdr[@]}" -X DELETE "$URL/tables/t")
	if error_has 401 Authorization; then ok "drop with token \"$k\" is 401"; else fail "drop with token $k"; why; fi
done
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: text/csv' \
	--data-binary @"$TMP/seed.csv" "$URL/tables/t/ingest?token=$TOKEN_VALUE")
if error_has 400 token || error_has 401 Authorization; then ok "a token in the query string is refused ($STATUS)"; else
	fail "a token in the query string"; why; fi
unchanged "wrong tokens"
req GET /tables/t/count
check "the right token still works" 200 "$STATUS"

# ---------------------------------------------------------------- the end
echo "# the end (${SECONDS}s)"
check "the owner is alive and serving at the end" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health")"
unchanged "at the end"
stops_cleanly "the owner stops cleanly at the end" "$OWNER_PID"
SANITIZER_RE="$SANITIZER_RE|ERROR SUMMARY: [1-9]" no_sanitizer_report "$TMP/owner.stderr" "$DIR/pulsorad.log" \
	"$DIR2/pulsorad.log"
finish
