#!/bin/bash
# test_sql_crash.sh — crashes around SQL, on a throwaway PostgreSQL 15 cluster.
#   test/sql/test_sql_crash.sh BUILD [CYCLES]
# 1. Crash loop: each cycle starts three SQL loads at once (pulsora_load_csv
#    of a file, COPY into a foreign table, INSERT ... SELECT), kills the owner
#    with kill -9 at a random moment, and brings up a new one: started by the
#    extension on odd cycles, by hand on even ones.  An acknowledged load
#    (its statement returned) must be whole; an unacknowledged one absent, or
#    whole when the kill fell between commit and reply; never partial.  Every
#    load of a table writes the same times, so a row id handed out twice
#    would overwrite a row and a full scan would find fewer rows than loaded.
#    At the end the catalog's counts and min/max equal a full scan's.
# 2. kill -9 of a backend in the middle of a scan, of a COPY and of a
#    function load: the owner keeps serving (pulsora-cli while the cluster
#    restarts), keeps its pid, and releases that connection's scans and loads
#    (pulsora_status); the aborted load leaves no row.
# 3. A scan left idle past [server] scan_idle_timeout_s is closed by the
#    owner, and the cursor's next fetch says why.
set -u
BUILD=${1:-build}
CYCLES=${2:-${SQL_CRASH_CYCLES:-6}}
ROWS=${SQL_CRASH_ROWS:-200000}
. "$(dirname "$0")/../lib.sh"
in_cluster bash "$0" "$BUILD" "$CYCLES"
BUILD=$(cd "$BUILD" && pwd)

BINDIR=$(pg_config --bindir)
DIR=$(pg_data_dir sqlcrash)
FILES=$(pg_data_dir sqlcrash_files)
T=$(mktemp -d /tmp/pulsora_sqlcrash_tmp_XXXXXX)
FEEDER=""
SESSION=""
owner_pid() { cat "$DIR/pulsorad.pid" 2>/dev/null; }
cleanup() {
	[ -n "$FEEDER" ] && kill "$FEEDER" 2>/dev/null
	[ -n "$SESSION" ] && kill "$SESSION" 2>/dev/null
	pid=$(owner_pid)
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$DIR" "$FILES" "$T"
}
trap cleanup EXIT

cli() { "$BUILD/pulsora-cli" -D "$DIR" "$@"; }
cli_field() { cli status 2>/dev/null | sed -n "s/^$1: //p"; }
field_is() { [ "$(cli_field "$1")" = "$2" ]; }
owner_gone() { ! kill -0 "$1" 2>/dev/null; }
cluster_up() { q "SELECT 1" >/dev/null 2>&1; }
activity_is() { [ "$(cli_field open_scans) $(cli_field open_loads)" = "$1" ]; }

# Every pulsorad of the directory: a load that found no owner may have
# started one that is still opening the store (its pid file not yet written).
no_owner_left() { ! pgrep -f -- "pulsorad -D $DIR( |\$)" >/dev/null; }
kill_every_owner() {
	pkill -9 -f -- "pulsorad -D $DIR( |\$)"
	wait_for 300 no_owner_left
}
# Opening a store after a crash rolls back the loads it interrupted, which
# takes longer as the tables grow (the soak's later cycles): wait for it.
owner_ready() { cli status >/dev/null 2>&1; }
start_owner_by_hand() {
	as_cluster_user setsid -f "$BINDIR/pulsorad" -D "$DIR" --no-rest \
		--log-file "$DIR/manual.log" </dev/null >/dev/null 2>&1
	wait_for 600 owner_ready
}
# The extension starts an owner on the next statement; retry it while an
# owner started meanwhile is still opening the store.
autostarted_ready() { q "SELECT 1 FROM pulsora_status('s')" >/dev/null 2>&1; }

"$BUILD/test/gen_ticks" "$ROWS" 7 > "$FILES/load.csv"
"$BUILD/test/gen_ticks" 1000 8 1703980800000 > "$FILES/seed.csv"
chmod 0644 "$FILES"/*.csv
COLUMNS='"timestamp" timestamptz, symbol text, price float8, volume bigint, bid float8, ask float8, exchange text'
q "CREATE EXTENSION pulsora;
   CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '$DIR');
   CREATE FOREIGN TABLE c_fn ($COLUMNS) SERVER s;
   CREATE FOREIGN TABLE c_copy ($COLUMNS) SERVER s;
   CREATE FOREIGN TABLE c_ins (ts timestamptz, n bigint) SERVER s;" ||
	{ fail "set-up"; finish; exit 1; }
q "SELECT rows_loaded FROM pulsora_load_csv('s', 'c_fn', '$FILES/seed.csv')" >/dev/null
q "COPY c_copy FROM '$FILES/seed.csv' WITH (FORMAT csv, HEADER)"
q "INSERT INTO c_ins SELECT timestamptz '2023-12-31' + i * interval '1 ms', i FROM generate_series(1, 1000) i"
check "an owner was started by the extension" autostart "$(q "SELECT kind FROM pulsora_status('s')")"

# ---------------------------------------------------------------- 1. crash loop
TABLES="c_fn c_copy c_ins"
declare -A expected acked absent late torn
for t in $TABLES; do expected[$t]=1000; acked[$t]=0; absent[$t]=0; late[$t]=0; torn[$t]=0; done
load_sql() {
	case $1 in
	c_fn) echo "SELECT rows_loaded FROM pulsora_load_csv('s', 'c_fn', '$FILES/load.csv')" ;;
	c_copy) echo "COPY c_copy FROM '$FILES/load.csv' WITH (FORMAT csv, HEADER)" ;;
	c_ins) echo "INSERT INTO c_ins SELECT timestamptz '2024-02-01' + i * interval '1 ms', i FROM generate_series(1, $ROWS) i" ;;
	esac
}
start_loads() {
	pids=""
	for t in $TABLES; do
		{ q "$(load_sql "$t")" >/dev/null 2>"$T/$t.err"; echo $? > "$T/$t.rc"; } &
		pids="$pids $!"
	done
}
# Cycle 0 is not killed: it checks the loads and times them, so that the
# kills fall anywhere from their start to twice their length.
t0=$(date +%s%N)
start_loads
# shellcheck disable=SC2086 # a list of pids
wait $pids
span_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# three concurrent loads of $ROWS rows took $span_ms ms"
for t in $TABLES; do
	expected[$t]=$((expected[$t] + ROWS))
	check "cycle 0: load into $t acknowledged and whole" "0 ${expected[$t]}" "$(cat "$T/$t.rc") $(q "SELECT count(*) FROM $t")"
done
kinds=""
for i in $(seq "$CYCLES"); do
	start_loads
	sleep "$(awk -v r="$RANDOM" -v span="$span_ms" 'BEGIN { printf "%.3f", (r / 32768) * 2 * span / 1000 }')"
	victim=$(owner_pid)
	kill -9 "$victim" 2>/dev/null
	# shellcheck disable=SC2086 # a list of pids
	wait $pids
	wait_for 100 owner_gone "$victim" || fail "cycle $i: owner $victim survived kill -9"
	kill_every_owner || fail "cycle $i: every owner of the directory stopped"
	if [ $((i % 2)) = 0 ]; then
		start_owner_by_hand || fail "cycle $i: pulsorad started by hand"
	else
		wait_for 600 autostarted_ready || fail "cycle $i: the extension started an owner"
	fi
	kinds="$kinds $(q "SELECT kind FROM pulsora_status('s')")"
	for t in $TABLES; do
		now=$(q "SELECT count(*) FROM $t")
		if [ "$(cat "$T/$t.rc")" = 0 ]; then
			acked[$t]=$((acked[$t] + 1))
			expected[$t]=$((expected[$t] + ROWS))
			check "cycle $i: acknowledged load into $t whole" "${expected[$t]}" "$now"
		elif [ "$now" = "${expected[$t]}" ]; then
			absent[$t]=$((absent[$t] + 1)); ok "cycle $i: unacknowledged load into $t absent"
		elif [ "$now" = $((expected[$t] + ROWS)) ]; then
			late[$t]=$((late[$t] + 1)); expected[$t]=$now
			ok "cycle $i: load into $t committed just before the kill is whole"
		else
			torn[$t]=$((torn[$t] + 1))
			fail "cycle $i: partial load into $t visible ($now rows, expected ${expected[$t]} or $((expected[$t] + ROWS)); $(head -c 200 "$T/$t.err"))"
			expected[$t]=$now
		fi
	done
done
check "owners started by the extension and by hand took turns" \
	"$(for i in $(seq "$CYCLES"); do [ $((i % 2)) = 0 ] && printf ' manual' || printf ' autostart'; done)" "$kinds"
for t in $TABLES; do
	catalog=$(q "SELECT row_count, min_time, max_time FROM pulsora_tables('s') WHERE table_name = '$t'")
	time_col='"timestamp"'; [ "$t" = c_ins ] && time_col=ts
	scanned=$(q "SELECT count(*), min($time_col), max($time_col) FROM $t")
	check "$t: catalog count and min/max equal a full scan" "$scanned" "$catalog"
	echo "# $t: cycles $CYCLES; acknowledged ${acked[$t]}; absent ${absent[$t]}; committed-before-reply ${late[$t]}; torn ${torn[$t]}"
done

# ---------------------------------------------------------------- 2. backends killed mid-work
owner=$(owner_pid)
mkfifo "$FILES/feed"
chmod 0644 "$FILES/feed"
# victim NAME SQL WAIT_FOR: run SQL in a session, wait until the owner shows
# WAIT_FOR ("open_scans 1" style), kill -9 the backend, check the owner.
victim() {
	local name=$1 sql=$2 field=${3% *} want=${3#* } before pid session
	before=$(q "SELECT count(*) FROM c_fn") || before=?
	PGAPPNAME=$name timeout 300 psql -XAtq -c "BEGIN" -c "$sql" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
	session=$!
	if ! wait_for 300 field_is "$field" "$want"; then
		fail "$name: the owner shows its work ($field $want)"
		q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$name'" >/dev/null
		wait "$session"
		return
	fi
	pid=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = '$name'")
	kill -9 "$pid"
	check "$name: the owner serves others while the cluster restarts" "$before" \
		"$(cli count c_fn 2>&1)"
	wait_for 300 cluster_up || fail "$name: the cluster came back"
	if wait_for 100 activity_is "0 0"; then
		ok "$name: the owner released the dead backend's scans and loads"
	else
		fail "$name: the owner released the dead backend's work (scans, loads: $(cli_field open_scans), $(cli_field open_loads))"
	fi
	check "$name: same owner, only this session connected, nothing open" "$owner|1|0|0" \
		"$(q "SELECT pid, connections, open_scans, open_loads FROM pulsora_status('s')")"
	wait "$session"
}
feed() { ( head -n 20001 "$FILES/load.csv"; exec sleep 600 ) > "$FILES/feed" & FEEDER=$!; }
stop_feed() { kill "$FEEDER" 2>/dev/null; wait "$FEEDER" 2>/dev/null; FEEDER=""; }

fn_rows=$(q "SELECT count(*) FROM c_fn")
copy_rows=$(q "SELECT count(*) FROM c_copy")
victim mid_scan "DECLARE cur CURSOR FOR SELECT * FROM c_fn; FETCH 10 FROM cur" "open_scans 1"
feed
victim mid_copy "COPY c_copy FROM '$FILES/feed' WITH (FORMAT csv, HEADER)" "open_loads 1"
stop_feed
feed
victim mid_load "SELECT * FROM pulsora_load_csv('s', 'c_fn', '$FILES/feed')" "open_loads 1"
stop_feed
check "the killed COPY and load left no rows" "$fn_rows $copy_rows" \
	"$(q "SELECT count(*) FROM c_fn") $(q "SELECT count(*) FROM c_copy")"

# ---------------------------------------------------------------- 3. idle scans time out
kill -TERM "$owner"
wait_for 100 owner_gone "$owner" || fail "owner stops on SIGTERM"
sed -i 's/^scan_idle_timeout_s = .*/scan_idle_timeout_s = 2/' "$DIR/pulsora.toml"
check "pulsora.toml sets the idle timeout" 1 "$(grep -c '^scan_idle_timeout_s = 2$' "$DIR/pulsora.toml")"
session_start idle
say "BEGIN; DECLARE cur CURSOR FOR SELECT volume FROM c_fn; FETCH 3 FROM cur;"
if wait_for 300 activity_is "1 0"; then ok "the cursor holds a scan"; else fail "the cursor holds a scan"; fi
# Bounded: the owner must close it about 2 s after its last fetch.
if wait_for 300 activity_is "0 0"; then ok "the owner closed the idle scan"; else fail "the owner closed the idle scan"; fi
say "FETCH ALL FROM cur; ROLLBACK; SELECT 'next statement ' || count(*) FROM c_ins;"
session_end
check "the next fetch names the idle timeout" 1 "$(grep -c 'idle for 2 s are closed' "$T/idle.out")"
check "the session goes on" 1 "$(grep -c "^next statement ${expected[c_ins]}$" "$T/idle.out")"
finish
