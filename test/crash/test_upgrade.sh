#!/bin/bash
# test_upgrade.sh — `pulsorad --upgrade` on a store written by Pulsora 0.1.
#   test/crash/test_upgrade.sh BUILD [KILLS]
# Builds the 0.1 owner from git history (the last commit of store format
# 1), lets it write a store over REST (a table with a symbol column, one
# without, a dedup table, and a load left in flight by kill -9), then checks
# that the new owner refuses the old store naming the command, that
# --upgrade converts it with progress on stderr, and that every table reads
# back exactly as the old owner exported it.  Then, KILLS times, a fresh
# copy of the old store is upgraded and killed at a random moment: the
# directory must then hold the old store (refused) or the new one (whole),
# never a mix, and a second --upgrade must finish the job.
# From SQL (a throwaway PostgreSQL 15 cluster, pg_virtualenv, so this
# suite needs `make ext-install`): a foreign server on a copy of the old
# store, autostart on, refuses a SELECT with an error that names
# `pulsorad --upgrade -D DIR` in psql's output, starts no owner, and after
# that command the same SELECTs start an owner and read every row back.
set -u
BUILD=$(cd "${1:-build}" && pwd)
KILLS=${2:-${UPGRADE_KILLS:-4}}
ROWS=${UPGRADE_ROWS:-300000}
OLD_COMMIT=9cbaf8e			# last commit writing store format 1 (Pulsora 0.1)
. "$(dirname "$0")/../lib.sh"
in_cluster bash "$0" "$BUILD" "$KILLS"
TOP=$(cd "$(dirname "$0")/../.." && pwd)

T=$(mktemp -d /tmp/pulsora_upgrade_XXXXXX)
PGDIR=$(pg_data_dir upgrade_sql)	# the copy of the old store the cluster's owner opens
OWNER_PID=
cleanup() {
	{ [ -n "$OWNER_PID" ] && kill -9 "$OWNER_PID" && wait "$OWNER_PID"; } 2>/dev/null
	pid=$(cat "$PGDIR/pulsorad.pid" 2>/dev/null)
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$T" "$PGDIR"
}
trap cleanup EXIT
PORT=$(free_port)
URL=http://127.0.0.1:$PORT

# The 0.1 owner, built from history into $T/old.
if ! git -C "$TOP" cat-file -e "$OLD_COMMIT^{commit}" 2>/dev/null; then
	fail "commit $OLD_COMMIT (Pulsora 0.1) is in the repository's history"
	finish; exit 1
fi
mkdir -p "$T/old"
git -C "$TOP" archive "$OLD_COMMIT" | tar -x -C "$T/old"
if ! make -C "$T/old" -j2 build/pulsorad >"$T/old-build.log" 2>&1; then
	tail -n 20 "$T/old-build.log"; fail "the 0.1 owner builds"; finish; exit 1
fi
OLD=$T/old/build/pulsorad
ok "the 0.1 owner builds from $OLD_COMMIT"

ingest() {	# ingest TABLE CSVFILE [QUERY]
	curl -sf -H 'Content-Type: text/csv' --data-binary @"$2" "$URL/tables/$1/ingest${3:-}" >/dev/null
}
export_csv() {	# export_csv TABLE -> sorted CSV body (rows of equal time in any order)
	curl -sf -H 'Accept: text/csv' "$URL/tables/$1/query" | tail -n +2 | sort
}

# An old store: ticks (symbol), plain (no symbol column), dd (dedup), and a
# load into ticks left in flight when the old owner is killed.
OLDDIR=$T/olddir
mkdir -p "$OLDDIR"
BUILD_SAVED=$BUILD; BUILD=$T/old/build
start_owner "$OLDDIR" "$PORT" || { fail "0.1 owner starts"; finish; exit 1; }
"$BUILD_SAVED/test/gen_ticks" "$ROWS" 7 > "$T/ticks.csv"
printf 'ts,v,note\n2024-01-01T00:00:00Z,1,a\n2024-01-02T00:00:00.5Z,,b\n1969-12-31T23:59:59Z,-3,\n' > "$T/plain.csv"
ingest ticks "$T/ticks.csv"
ingest plain "$T/plain.csv"
ingest dd "$T/plain.csv" "?dedup=true"
ingest dd "$T/plain.csv"
for t in ticks plain dd; do
	export_csv $t > "$T/$t.before"
	curl -sf "$URL/tables/$t/count" | json '"%s %s %s" % (d["data"]["count"], d["data"]["min_ts"], d["data"]["max_ts"])' > "$T/$t.count"
done
check "old store: ticks rows" "$ROWS" "$(wc -l < "$T/ticks.before")"
check "old store: dedup table kept 3 rows" 3 "$(wc -l < "$T/dd.before")"
# The in-flight load: streamed through a fifo that stays open, so the owner
# has written some of its rows and is waiting for more when it is killed.
"$BUILD_SAVED/test/gen_ticks" 200000 8 1704153600000 > "$T/more.csv"
mkfifo "$T/fifo"
curl -s -o /dev/null -X POST -H 'Content-Type: text/csv' -T - "$URL/tables/ticks/ingest" < "$T/fifo" &
curl_pid=$!
exec 3> "$T/fifo"
cat "$T/more.csv" >&3
sleep 1
{ kill -9 "$OWNER_PID"; wait "$OWNER_PID"; } 2>/dev/null
exec 3>&-
wait "$curl_pid"
OWNER_PID=
BUILD=$BUILD_SAVED
cp -a "$OLDDIR" "$T/pristine"

# From SQL: the extension's autostart refuses the old store, and psql shows
# the command that converts it.
BINDIR=$(pg_config --bindir)
cp -a "$T/pristine/." "$PGDIR/"
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PGDIR"
sql_owners() { pgrep -f -- "pulsorad -D $PGDIR( |\$)" | tr '\n' ' ' | sed 's/ $//'; }
TICK_COLUMNS='"timestamp" timestamptz, symbol text, price float8, volume bigint, bid float8, ask float8, exchange text'
q "CREATE EXTENSION pulsora;
   CREATE SERVER up FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$PGDIR', autostart 'true');
   CREATE FOREIGN TABLE ticks ($TICK_COLUMNS) SERVER up;
   CREATE FOREIGN TABLE plain (ts timestamptz, v bigint, note text) SERVER up;
   CREATE FOREIGN TABLE dd (ts timestamptz, v bigint, note text) SERVER up;" ||
	fail "SQL set-up: extension, server and foreign tables"
# Rows as the REST export prints them: ISO times in UTC (whole milliseconds
# here; no fraction when it is zero), NULL as nothing.
sql_export() {	# sql_export TABLE COLUMNS -> sorted CSV body
	psql -XAtq -v ON_ERROR_STOP=1 -c "SET timezone = 'UTC';" \
		-c "COPY (SELECT $2 FROM $1) TO STDOUT WITH (FORMAT csv)" | sort
}
iso() { echo "replace(to_char($1, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '.000Z', 'Z')"; }
TICK_SELECT="$(iso '"timestamp"'), symbol, price, volume, bid, ask, exchange"
PLAIN_SELECT="$(iso ts), v, note"
SQL_COUNT='SELECT count(*) FROM ticks'
t0=$(date +%s%N)
psql -XAtq -v VERBOSITY=verbose -c "$SQL_COUNT" > "$T/sql_refuse.out" 2>&1
rc=$?
echo "# the refused SELECT took $((($(date +%s%N) - t0) / 1000000)) ms; psql said:"
sed 's/^/#   /' "$T/sql_refuse.out"
check "SQL on the old store: the SELECT fails" 1 "$rc"
check "SQL on the old store: psql's error names the data directory" 1 \
	"$(grep -c "^ERROR: .*could not start pulsorad for data directory \"$PGDIR\"" "$T/sql_refuse.out")"
check "SQL on the old store: SQLSTATE 55000 (object not in prerequisite state), as a direct connection gets" 1 \
	"$(grep -c "^ERROR:  55000: " "$T/sql_refuse.out")"
check "SQL on the old store: psql's error names pulsorad --upgrade -D DIR" 1 \
	"$(grep -c "pulsorad --upgrade -D $PGDIR\$" "$T/sql_refuse.out")"
check "SQL on the old store: no owner is left running" "" "$(sql_owners)"
check "SQL on the old store: no pid file left" no "$([ -e "$PGDIR/pulsorad.pid" ] && echo yes || echo no)"
psql -XAtq -c "SELECT * FROM plain" > "$T/sql_refuse2.out" 2>&1
check "SQL on the old store: a second SELECT is refused the same way" "1 1" \
	"$? $(grep -c "pulsorad --upgrade -D $PGDIR\$" "$T/sql_refuse2.out")"
# The command psql named, run as the cluster's user (who owns the store).
if as_cluster_user "$BINDIR/pulsorad" -D "$PGDIR" --upgrade 2>"$T/sql_upgrade.err"; then
	ok "SQL: pulsorad --upgrade of the refused store succeeds"
else
	cat "$T/sql_upgrade.err"; fail "SQL: pulsorad --upgrade of the refused store succeeds"
fi
check "SQL after the upgrade: the same SELECT works" "$ROWS" "$(q "$SQL_COUNT" 2>&1)"
check "SQL after the upgrade: the extension started an owner" "autostart 1" \
	"$(q "SELECT kind FROM pulsora_status('up')") $(sql_owners | wc -w)"
check "SQL after the upgrade: ticks count and bounds (ms) as the old owner's" "$(cat "$T/ticks.count")" \
	"$(q "SELECT count(*) || ' ' || (extract(epoch FROM min(\"timestamp\")) * 1000)::bigint
	          || ' ' || (extract(epoch FROM max(\"timestamp\")) * 1000)::bigint FROM ticks")"
sql_export ticks "$TICK_SELECT" > "$T/ticks.sql"
if cmp -s "$T/ticks.before" "$T/ticks.sql"; then ok "SQL after the upgrade: ticks rows equal"; else
	fail "SQL after the upgrade: ticks rows equal ($(diff "$T/ticks.before" "$T/ticks.sql" | head -n 4 | tr '\n' ' '))"; fi
for t in plain dd; do
	sql_export $t "$PLAIN_SELECT" > "$T/$t.sql"
	if cmp -s "$T/$t.before" "$T/$t.sql"; then ok "SQL after the upgrade: $t rows equal"; else
		fail "SQL after the upgrade: $t rows equal ($(diff "$T/$t.before" "$T/$t.sql" | tr '\n' ' '))"; fi
done
no_sql_owner() { [ -z "$(sql_owners)" ]; }
pid=$(cat "$PGDIR/pulsorad.pid" 2>/dev/null)
[ -n "$pid" ] && kill -TERM "$pid"
wait_for 100 no_sql_owner || fail "SQL: the owner stops on SIGTERM"

# The new owner refuses the old store, naming the command.
if "$BUILD/pulsorad" -D "$OLDDIR" --port "$PORT" 2>"$T/refuse.err"; then
	fail "the new owner refuses a 0.1 store"
else
	check "the new owner refuses a 0.1 store, naming --upgrade" 1 "$(grep -c "pulsorad --upgrade -D $OLDDIR" "$T/refuse.err")"
fi
check "no pid file left by the refusal" no "$([ -e "$OLDDIR/pulsorad.pid" ] && echo yes || echo no)"

# The upgrade, with progress on stderr.
t0=$(date +%s%N)
if "$BUILD/pulsorad" -D "$OLDDIR" --upgrade 2>"$T/upgrade.err"; then ok "--upgrade succeeds"; else cat "$T/upgrade.err"; fail "--upgrade succeeds"; fi
UPGRADE_MS=$(( ($(date +%s%N) - t0) / 1000000 + 1 ))
check "--upgrade reports progress per table" 1 "$(grep -c "upgrade: table ticks: $ROWS of $ROWS rows" "$T/upgrade.err")"
check "the old store is gone" no "$([ -e "$OLDDIR/db.upgrade" ] && echo yes || echo no)"
"$BUILD/pulsorad" -D "$OLDDIR" --upgrade 2>"$T/again.err"
check "a second --upgrade has nothing to do" "0 1" "$? $(grep -c 'already of store format 2' "$T/again.err")"

verify() {	# verify DIR LABEL: every table reads back as before the upgrade
	start_owner "$1" "$PORT" || { fail "$2: new owner starts"; return; }
	for t in ticks plain dd; do
		export_csv $t > "$T/$t.after"
		if cmp -s "$T/$t.before" "$T/$t.after"; then ok "$2: $t rows equal"; else fail "$2: $t rows equal"; fi
		check "$2: $t count and bounds" "$(cat "$T/$t.count")" \
			"$(curl -sf "$URL/tables/$t/count" | json '"%s %s %s" % (d["data"]["count"], d["data"]["min_ts"], d["data"]["max_ts"])')"
	done
	check "$2: ticks has the series key symbol" '["symbol"]' \
		"$(curl -sf "$URL/tables/ticks/schema" | json 'json.dumps(d["data"].get("series_key"))')"
	# Dedup survives: the same rows again add nothing.
	ingest dd "$T/plain.csv"
	check "$2: dedup still drops repeated rows" 3 "$(curl -sf "$URL/tables/dd/count" | json 'd["data"]["count"]')"
	kill -TERM "$OWNER_PID"; wait "$OWNER_PID" 2>/dev/null; OWNER_PID=
}
verify "$OLDDIR" "upgraded"

# Killed upgrades: old store or new one, never a mix; a rerun finishes.
old_seen=0 new_seen=0
for i in $(seq "$KILLS"); do
	rm -rf "$T/k"; cp -a "$T/pristine" "$T/k"
	"$BUILD/pulsorad" -D "$T/k" --upgrade 2>/dev/null &
	up=$!
	# Anywhere from mid-way (the copy) to just past the end (the exchange).
	sleep "$(awk -v ms="$UPGRADE_MS" -v r="$RANDOM" 'BEGIN { printf "%.3f", ms * (0.5 + 0.7 * r / 32767) / 1000 }')"
	{ kill -9 "$up"; wait "$up"; } 2>/dev/null
	if "$BUILD/pulsorad" -D "$T/k" --port "$PORT" --log-file "$T/k$i.log" &
		sleep 0.5; kill -0 $! 2>/dev/null; then
		new_seen=$((new_seen + 1))
		kill -TERM $!; wait $! 2>/dev/null
	else
		old_seen=$((old_seen + 1))
		wait $! 2>/dev/null
		check "kill $i: the old store is refused whole" 1 "$(grep -c 'pulsorad --upgrade' "$T/k$i.log")"
	fi
	"$BUILD/pulsorad" -D "$T/k" --upgrade 2>/dev/null
	check "kill $i: a rerun of --upgrade succeeds" 0 "$?"
	verify "$T/k" "kill $i"
done
echo "# killed upgrades: $KILLS; left the old store: $old_seen; left the new one: $new_seen"
finish
