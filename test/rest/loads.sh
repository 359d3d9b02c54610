# loads.sh — loads in progress and load progress (GET /loads, pulsora-cli
# loads, pulsora-cli load's progress lines) and pulsora-cli backup/backups,
# checked by test_rest.sh, which sources this file (its checks count in
# test_rest.sh's closing line) and calls loads_tests against its manual
# owner ($BASE, $DIR, no token) with its helpers (req, check, is, js,
# error_is, ok_envelope, wait_for, $PY, $TMP, $BUILD).
#
# A REST ingest streams 30000 rows from a generator, which then waits on a
# file: while it waits, GET /loads and pulsora-cli loads must list it (table,
# source rest, rows and bytes taken so far, its start, a rate); once the body
# ends it is gone, as is a load that failed.  Synchronised by files.

cat >"$TMP/ld_gen.py" <<'PYEOF'
import os, sys, time
rows, d = int(sys.argv[1]), sys.argv[2]
out = sys.stdout
out.write("ts,sym,v\n")
def emit(lo, hi):
    for i in range(lo, hi):
        out.write("2024-06-01T%02d:%02d:%02d.%03dZ,S%d,%d\n" % (
            i // 3600000 % 24, i // 60000 % 60, i // 1000 % 60, i % 1000, i % 5, i))
    out.flush()
emit(0, rows)
open(os.path.join(d, "ld_mid"), "w").close()
for _ in range(1200):
    if os.path.exists(os.path.join(d, "ld_go")):
        break
    time.sleep(0.05)
emit(rows, rows + 1000)
PYEOF

# The /loads entry of table inflight has taken some rows (the owner reads the body as it comes).
ld_rows_taken() {
	req GET /loads
	[ "$(js '[l["rows"] > 0 for l in d["data"] if l["table"] == "inflight"]' 2>/dev/null)" = "[true]" ]
}

loads_tests() {
	local cli="$BUILD/pulsora-cli" curl_pid rc

	req GET /loads
	check "GET /loads with no load running is []" eval 'ok_envelope && is "d[\"data\"]" "[]"'
	req POST /loads
	check "POST /loads is 405" error_is 405 "not allowed"

	rm -f "$TMP/ld_mid" "$TMP/ld_go"
	"$PY" "$TMP/ld_gen.py" 30000 "$TMP" |
		curl -s -o "$TMP/ld_res" -X POST -H 'Content-Type: text/csv' -T - \
			"$BASE/tables/inflight/ingest" &
	curl_pid=$!
	wait_for test -e "$TMP/ld_mid"
	check "an ingest in flight is listed with the rows it has taken" wait_for ld_rows_taken
	check "its entry: id, table, source rest, rows, bytes, start, rate" eval '
		is "sorted(d[\"data\"][0].keys())" "[\"bytes\", \"id\", \"rows\", \"rows_per_second\", \"source\", \"started\", \"table\"]" &&
		is "d[\"data\"][0][\"source\"]" rest &&
		is "0 < d[\"data\"][0][\"rows\"] <= 30000" true &&
		is "d[\"data\"][0][\"bytes\"] >= 30000 * 20" true &&
		is "d[\"data\"][0][\"rows_per_second\"] > 0" true &&
		js "d[\"data\"][0][\"started\"]" | grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"'
	"$cli" -D "$DIR" loads >"$TMP/ld_cli.csv" 2>"$TMP/ld_cli.err"
	check "pulsora-cli loads lists it too, as CSV" eval '
		[ "$(head -1 "$TMP/ld_cli.csv")" = "id,table,source,rows,bytes,started,rows_per_second" ] &&
		[ "$(tail -n +2 "$TMP/ld_cli.csv" | cut -d, -f2,3)" = "inflight,rest" ]'
	touch "$TMP/ld_go"
	wait "$curl_pid"
	check "the ingest commits all its rows" "$PY" -c '
import json, sys
sys.exit(json.load(open(sys.argv[1]))["data"]["rows_inserted"] != 31000)' "$TMP/ld_res"
	req GET /loads
	check "a committed load is no longer listed" is 'd["data"]' "[]"
	req POST /tables/inflight/ingest -H 'Content-Type: text/csv' --data-binary $'ts,sym,v\nnope,S1,1\n'
	req GET /loads
	check "nor is a failed one" is 'd["data"]' "[]"

	# pulsora-cli load without a terminal: plain progress lines on stderr.
	"$PY" -c '
print("ts,sym,v")
for i in range(300000):
    print("2024-06-02T%02d:%02d:%02d.%03dZ,S%d,%d" % (i // 3600000, i // 60000 % 60, i // 1000 % 60, i % 1000, i % 5, i))
' >"$TMP/ld_cli_in.csv"
	"$cli" -D "$DIR" load clitab "$TMP/ld_cli_in.csv" --progress-every 0 >"$TMP/ld_load.out" 2>"$TMP/ld_load.err"
	check "pulsora-cli load prints its summary on stdout" \
		grep -qx 'rows_loaded=300000 rows_rejected=0' "$TMP/ld_load.out"
	check "... and progress lines on stderr: rows, MB of the file's size, rate, ETA" \
		grep -qE '^progress: [0-9]+ rows, [0-9.]+ of [0-9.]+ MB \([0-9]+%\), [0-9.]+ MB/s, [0-9]+ rows/s, ETA [0-9]+m[0-9]{2}s$' "$TMP/ld_load.err"
	check "... whose row counts grow" "$PY" -c '
import re, sys
rows = [int(m.group(1)) for m in re.finditer(r"^progress: (\d+) rows", open(sys.argv[1]).read(), re.M)]
sys.exit(not (len(rows) >= 3 and rows == sorted(rows) and rows[-1] > rows[0]))' "$TMP/ld_load.err"
	# On a terminal (script(1) gives it one): a bar redrawn in place, ending full.
	script -qec "'$cli' -D '$DIR' load clitty '$TMP/ld_cli_in.csv'" /dev/null >"$TMP/ld_tty.out" 2>&1
	check "on a terminal pulsora-cli load redraws a bar, ending at every row" \
		grep -qaE $'\r\\[#{24}\\] 300000 rows, [0-9.]+ MB, [0-9.]+ MB/s, [0-9]+ rows/s\e\\[K' "$TMP/ld_tty.out"
	"$PY" -c 'print("ts,v"); print("2024-06-03T00:00:00Z,1")' |
		"$cli" -D "$DIR" load clipipe - --no-progress >/dev/null 2>"$TMP/ld_quiet.err"
	check "--no-progress prints nothing on stderr" [ ! -s "$TMP/ld_quiet.err" ]
	"$cli" -D "$DIR" load clitab "$TMP/ld_cli_in.csv" --progress-every x >/dev/null 2>"$TMP/ld_bad.err"
	rc=$?
	check "--progress-every x is a usage error naming the option" \
		eval '[ "$rc" -eq 2 ] && grep -q -- "--progress-every needs seconds" "$TMP/ld_bad.err"'

	# pulsora-cli backup prints the path of a complete backup, which backups lists.
	"$cli" -D "$DIR" backup >"$TMP/ld_backup.out" 2>&1
	check "pulsora-cli backup prints the new backup's path" eval '
		[ -f "$(cat "$TMP/ld_backup.out")/PULSORA_BACKUP" ] &&
		case "$(cat "$TMP/ld_backup.out")" in "$DIR"/backups/*) true ;; *) false ;; esac'
	"$cli" -D "$DIR" backups >"$TMP/ld_backups.csv" 2>&1
	check "pulsora-cli backups lists it as CSV" eval '
		[ "$(head -1 "$TMP/ld_backups.csv")" = "name,path,bytes,created,elapsed_ms" ] &&
		tail -n 1 "$TMP/ld_backups.csv" | grep -q "^[^,]*,$(cat "$TMP/ld_backup.out"),[1-9][0-9]*,20[0-9-]*T[0-9:.]*Z,[0-9.]*$"'
	for t in inflight clitab clitty clipipe; do req DELETE "/tables/$t"; done
	check "load test tables dropped" ok_envelope
}
