#!/bin/bash
# test_crash.sh — kill -9 the owner in the middle of loads, restart, verify.
#   test/crash/test_crash.sh BUILD [CYCLES]
# Each cycle starts a REST ingest of ROWS rows into table c (in time order)
# and, at the same time, one of OROWS shuffled rows into table o (out of
# order, overlapping every earlier load of o: overlapping blocks, and work
# for the background merge, which a kill may also interrupt), kills pulsorad
# at a random moment, restarts it, and checks for each table: an
# acknowledged load (HTTP 200) is entirely present; an unacknowledged one is
# entirely absent or (if the kill fell between commit and reply) entirely
# present — never partly; the catalog's count and min/max equal what a full
# scan exports, and the scan comes out in time order.  `make soak` runs many
# cycles; `make check` runs a short form.
set -u
BUILD=${1:-build}
CYCLES=${2:-${CRASH_CYCLES:-8}}
ROWS=${CRASH_ROWS:-250000}
OROWS=${CRASH_OUT_OF_ORDER_ROWS:-60000}
. "$(dirname "$0")/../lib.sh"

DIR=$(mktemp -d /tmp/pulsora_crash_XXXXXX)
PORT=$(free_port)
# The shell's "Killed" job notices go where the group's stderr goes.
trap '{ kill -9 $OWNER_PID; wait $OWNER_PID; } 2>/dev/null; rm -rf "$DIR"' EXIT
URL=http://127.0.0.1:$PORT

count() { curl -sf "$URL/tables/${1:-c}/count" | json 'd["data"]["count"]' 2>/dev/null || echo 0; }

start_owner "$DIR" "$PORT" || { fail "pulsorad starts"; finish; exit 1; }
# Seed the table so every cycle appends to an existing one.
"$BUILD/test/gen_ticks" 1000 1 | curl -sf -H 'Content-Type: text/csv' --data-binary @- "$URL/tables/c/ingest" >/dev/null
"$BUILD/test/gen_ticks" "$ROWS" 2 1704153600000 > "$DIR/load.csv"
# Shuffled ticks over the seed's hour: every load of o overlaps all others.
"$BUILD/test/gen_ticks" "$OROWS" 3 | { IFS= read -r header; echo "$header"; shuf --random-source=<(yes); } > "$DIR/shuffled.csv"
"$BUILD/test/gen_ticks" 1000 1 | curl -sf -H 'Content-Type: text/csv' --data-binary @- "$URL/tables/o/ingest" >/dev/null
expected=$(count)
check "seed load" 1000 "$expected"
oexpected=$(count o)
acked=0 torn=0 absent=0 late=0 otorn=0
for i in $(seq "$CYCLES"); do
	code_file="$DIR/code.$i"
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/csv' \
		--data-binary @"$DIR/load.csv" "$URL/tables/c/ingest" > "$code_file" &
	curl_pid=$!
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/csv' \
		--data-binary @"$DIR/shuffled.csv" "$URL/tables/o/ingest" > "$code_file.o" &
	ocurl_pid=$!
	# Kill anywhere from before the first batch to after the commit.
	sleep "0.$(( (RANDOM % 80) + 10 ))"
	{ kill -9 "$OWNER_PID"; wait "$OWNER_PID"; } 2>/dev/null
	wait "$curl_pid" "$ocurl_pid"
	code=$(cat "$code_file")
	start_owner "$DIR" "$PORT" || { fail "restart after kill $i"; break; }
	now=$(count)
	if [ "$code" = 200 ]; then
		acked=$((acked + 1))
		expected=$((expected + ROWS))
		check "cycle $i: acknowledged load present" "$expected" "$now"
	elif [ "$now" = "$expected" ]; then
		absent=$((absent + 1)); ok "cycle $i: unacknowledged load absent"
	elif [ "$now" = $((expected + ROWS)) ]; then
		late=$((late + 1)); expected=$now; ok "cycle $i: load committed just before the kill is whole"
	else
		torn=$((torn + 1)); fail "cycle $i: partial load visible ($now rows, expected $expected or $((expected + ROWS)))"
		expected=$now
	fi
	onow=$(count o)
	if [ "$(cat "$code_file.o")" = 200 ]; then
		oexpected=$((oexpected + OROWS))
		check "cycle $i: acknowledged out-of-order load present" "$oexpected" "$onow"
	elif [ "$onow" = "$oexpected" ] || [ "$onow" = $((oexpected + OROWS)) ]; then
		oexpected=$onow; ok "cycle $i: unacknowledged out-of-order load absent or whole"
	else
		otorn=$((otorn + 1)); fail "cycle $i: partial out-of-order load visible ($onow rows, expected $oexpected or $((oexpected + OROWS)))"
		oexpected=$onow
	fi
done
# Table o: the count equals a full scan, which comes out in time order.
curl -sf -H 'Accept: text/csv' "$URL/tables/o/query?time_format=ms" | tail -n +2 | cut -d, -f1 > "$DIR/o.times"
check "out-of-order table: catalog count equals full scan" "$(count o)" "$(wc -l < "$DIR/o.times")"
check "out-of-order table: the scan is in time order" 0 "$(sort -n -c "$DIR/o.times" 2>/dev/null; echo $?)"
# The catalog agrees with a full scan.
scanned=$(curl -sf -H 'Accept: text/csv' "$URL/tables/c/query" | tail -n +2 | wc -l)
check "catalog count equals full scan" "$(count)" "$scanned"
bounds=$(curl -sf "$URL/tables/c/count" | json '"%s %s" % (d["data"]["min_ts"], d["data"]["max_ts"])')
first=$(curl -sf "$URL/tables/c/query?limit=1&time_format=ms" | json 'd["data"][0]["timestamp"]')
last=$(curl -sf "$URL/tables/c/query?limit=1&order=desc&time_format=ms" | json 'd["data"][0]["timestamp"]')
check "catalog min/max equal the first and last rows" "$first $last" "$bounds"
# Offline compaction: refused while the owner runs, keeps every row after.
before=$(count)
if "$BUILD/pulsorad" -D "$DIR" --compact 2>"$DIR/compact.err"; then
	fail "--compact refused while an owner runs"
else
	check "--compact refused while an owner runs, naming it" 1 "$(grep -c "owned by pulsorad pid $OWNER_PID" "$DIR/compact.err")"
fi
kill -TERM "$OWNER_PID"; wait "$OWNER_PID" 2>/dev/null
"$BUILD/pulsorad" -D "$DIR" --compact 2>/dev/null
check "--compact succeeds offline" 0 "$?"
start_owner "$DIR" "$PORT" || fail "restart after compaction"
check "compaction keeps every row" "$before" "$(count)"
# Many series at once: 100,000 symbols, 10 rows each, interleaved, in one
# load; the owner stays under 300 MB (open blocks are sealed under a cap).
awk 'BEGIN { print "timestamp,symbol,price"; for (i = 0; i < 1000000; i++)
	printf "2024-02-01T00:%02d:%02d.%03dZ,S%05d,%d.25\n", int(i / 60000) % 60, int(i / 1000) % 60, i % 1000, i % 100000, i % 500 }' > "$DIR/series.csv"
check "a load of 100,000 series" 200 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/csv' --data-binary @"$DIR/series.csv" "$URL/tables/many/ingest")"
check "every row of the 100,000 series" 1000000 "$(count many)"
check "its series, in the dictionary" 100000 "$(curl -sf "$URL/tables/many/count" | json 'd["data"]["series"]')"
hwm=$(awk '/^VmHWM:/ { print int($2 / 1024) }' "/proc/$OWNER_PID/status")
echo "# owner peak RSS after the 100,000-series load: $hwm MB"
# AddressSanitizer's shadow memory and quarantine roughly treble an owner's
# footprint (make check SANITIZE=1): the bound scales, it still catches growth.
cap=300
nm "$BUILD/pulsorad" 2>/dev/null | grep -q __asan_init && cap=900
check "the owner stays under $cap MB loading 100,000 series" yes "$([ "$hwm" -lt "$cap" ] && echo yes || echo "no ($hwm MB)")"
echo "# crash cycles: $CYCLES; acknowledged: $acked; absent: $absent; committed-before-reply: $late; torn: $torn; out-of-order torn: $otorn"
finish
