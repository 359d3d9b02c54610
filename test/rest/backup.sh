# backup.sh — online backups and restore (POST/GET /backups, pulsorad
# --restore), checked by test_rest.sh, which sources this file (its checks
# count in test_rest.sh's closing line) and calls backup_tests with its
# helpers (req, check, is, error_is, ok_envelope, start_owner, wait_for,
# health_up, gone, free_port, $PY, $TMP, $PULSORAD, PIDS).
#
# An owner with a token and small write batches holds a committed table;
# seven loads then stream at once, each with its own tag value and a known
# row count: four will commit, one ends with a bad row (aborted), one has
# its client killed (aborted), and one creates a new table.  Each load
# writes half its rows and waits on a file, so the first backup is taken
# while all seven are in flight, holding their markers and some blocks;
# more backups follow while they finish and after.  Every backup is
# restored into a new directory with `pulsorad --restore`, an owner is
# started on it, and there: each tag has exactly its row count or none
# (the first backup: none of the seven), the aborted loads are absent, and
# each table's count equals the rows of its full scan.  Then backup_keep
# pruning and unique names, and the errors: no token, a non-empty target,
# a path that is no backup.  /metrics shows no backup gauge before the
# first backup and, after them, the count, the newest one's time, age and
# duration (the same after a restart), bytes for each table, all in
# well-formed Prometheus text.  Synchronised by files, not by sleeps.

# bk_gen.py TAG ROWS MODE DIR: CSV ts,sym,tag,v; writes half, touches
# DIR/bk_mid_TAG, waits for DIR/bk_go, writes the rest (MODE bad: then a
# row whose time does not parse).
cat >"$TMP/bk_gen.py" <<'EOF'
import os, sys, time
tag, rows, mode, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = sys.stdout
out.write("ts,sym,tag,v\n")
def emit(lo, hi):
    for i in range(lo, hi):
        out.write("2024-05-%02dT%02d:%02d:%02d.%03dZ,S%d,%d,%d\n" % (
            1 + tag, i // 3600000 % 24, i // 60000 % 60, i // 1000 % 60, i % 1000, i % 3, tag, i))
    out.flush()
emit(0, rows // 2)
open(os.path.join(d, "bk_mid_%d" % tag), "w").close()
for _ in range(1200):
    if os.path.exists(os.path.join(d, "bk_go")):
        break
    time.sleep(0.05)
emit(rows // 2, rows)
if mode == "bad":
    out.write("not-a-time,S0,%d,0\n" % tag)
EOF

# prom_text_ok FILE: FILE is well-formed Prometheus text: every sample
# `name{label="v",...} value` belongs to the family of the latest
# `# TYPE name counter|gauge` line (so a family's samples follow its TYPE,
# together), no family is typed twice, and there is a sample.
prom_text_ok() {
	awk '
		/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* / { next }
		/^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge)$/ {
			if ($3 in typed) { bad = 1; exit }
			typed[$3] = 1
			family = $3
			next
		}
		{
			name = $1
			sub(/\{.*/, "", name)
			if (name != family ||
			    $0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? -?[0-9]+(\.[0-9]+)?$/) {
				bad = 1
				exit
			}
			samples++
		}
		END { exit bad || samples == 0 }' "$1"
}

# metric NAME FILE: the value of sample NAME (with its labels) in FILE.
metric() { awk -v m="$1" '$1 == m { print $2 }' "$2"; }

# bk_metrics_ok FILE ELAPSED_MS ISO_TIME: FILE shows four backups, the
# newest taken at ISO_TIME (GET /backups' "time") in ELAPSED_MS, and an age
# between 0 and a minute.
bk_metrics_ok() {
	"$PY" - "$(metric pulsora_backups "$1")" "$(metric pulsora_backup_last_timestamp_seconds "$1")" \
		"$(metric pulsora_backup_age_seconds "$1")" "$(metric pulsora_backup_last_duration_seconds "$1")" \
		"$2" "$3" <<'EOF'
import sys
from datetime import datetime
count, ts, age, dur, elapsed_ms, iso = sys.argv[1:]
taken = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
assert count == "4", count
assert abs(float(ts) - taken) < 0.002, (ts, iso)
assert 0 <= float(age) < 60, age
assert float(dur) > 0 and abs(float(dur) * 1000 - float(elapsed_ms)) < 0.002, (dur, elapsed_ms)
EOF
}

# bk_verify DESC BASE-URL BACKUP-INDEX: check the store at BASE-URL against
# what backup BACKUP-INDEX may hold (see the header).
bk_verify() {
	local desc=$1 url=$2 which=$3 t
	curl -s -H 'Authorization: Bearer bk' "$url/tables/loads/aggregate?by=tag&fields=count()&format=json" \
		>"$TMP/bk_tags.json"
	"$PY" - "$TMP/bk_tags.json" "$which" <<'EOF'
import json, sys
groups = json.load(open(sys.argv[1]))["data"]
which = int(sys.argv[2])
want = {0: 3000, 1: 8000, 2: 9000, 3: 10000, 4: 11000, 5: 12000, 6: 13000}
aborted = {5, 6}
got = {g["tag"]: g["count()"] for g in groups}
assert got.get(0) == 3000, ("committed base load", got)
for tag, n in got.items():
    assert tag in want and tag not in aborted, ("unexpected tag", tag, got)
    assert n == want[tag], ("load neither whole nor absent", tag, n, want[tag])
if which == 1:
    assert set(got) == {0}, ("a load in flight at the first backup is in it", got)
if which == 4:
    assert set(got) == {0, 1, 2, 3, 4}, ("a committed load is missing", got)
EOF
	check "$desc: every load whole or absent" [ $? = 0 ]
	for t in loads fresh; do
		local count scan
		count=$(curl -s -H 'Authorization: Bearer bk' "$url/tables/$t/count" |
			"$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["data"]["count"] if d["success"] else "absent")')
		scan=$(curl -s -H 'Authorization: Bearer bk' "$url/tables/$t/query?format=csv" | tail -n +2 | wc -l)
		if [ "$count" = absent ]; then
			check "$desc: table $t absent (its creating load had not committed)" \
				[ "$t" = fresh -a "$which" != 4 ]
		else
			check "$desc: table $t count $count equals its full scan ($scan rows), fresh whole" \
				eval '[ "$count" = "$scan" ] && [ "$t" = loads -o "$count" = 14000 ]'
		fi
	done
}

backup_tests() {
	local dir="$TMP/bk" port base i tag rc pids=() paths=() rdir rport
	echo "# backups and restore"
	mkdir -m 700 "$dir"
	port=$(free_port)
	base="http://127.0.0.1:$port"
	printf '[server]\nauth_token = "bk"\nport = %s\n[ingestion]\nbatch_size = 500\n' "$port" >"$dir/pulsora.toml"
	BASE=$base
	start_owner "$dir" "$TMP/bk.log"
	local owner=$OWNER
	wait_for health_up
	req POST /backups
	check "POST /backups without the token is 401" error_is 401 Authorization
	AUTH=(-H 'Authorization: Bearer bk')
	req GET /backups
	check "GET /backups before any backup is an empty list" eval 'ok_envelope && is "d[\"data\"]" "[]"'
	curl -s "${AUTH[@]}" "$base/metrics" >"$TMP/bk_metrics0"
	check "/metrics before any backup: pulsora_backups 0 and no backup gauge" \
		eval '[ "$(metric pulsora_backups "$TMP/bk_metrics0")" = 0 ] && ! grep -q "^pulsora_backup_" "$TMP/bk_metrics0" &&
			prom_text_ok "$TMP/bk_metrics0"'
	"$PY" "$TMP/bk_gen.py" 0 3000 ok "$TMP" >"$TMP/bk_base.csv" &
	touch "$TMP/bk_go"
	wait $!
	rm -f "$TMP/bk_go"
	req POST '/tables/loads/ingest?series_key=sym' -H 'Content-Type: text/csv' --data-binary @"$TMP/bk_base.csv"
	check "the base load commits" is 'd["data"]["rows_inserted"]' 3000

	# Tags 1-4 commit, 5 has a bad last row, 6 is killed; 7 creates table fresh.
	for tag in 1 2 3 4 5 6 7; do
		local table=loads mode=ok rows=$((7000 + tag * 1000))
		[ "$tag" = 5 ] && mode=bad
		[ "$tag" = 7 ] && table=fresh
		"$PY" "$TMP/bk_gen.py" "$tag" "$rows" "$mode" "$TMP" 2>/dev/null |
			curl -s -o "$TMP/bk_res_$tag" -X POST "${AUTH[@]}" -H 'Content-Type: text/csv' -T - \
				"$base/tables/$table/ingest?series_key=sym" &
		pids[$tag]=$!
		PIDS+=("$!")
	done
	all_mid() { for t in 1 2 3 4 5 6 7; do [ -f "$TMP/bk_mid_$t" ] || return 1; done; }
	in_flight() {
		[ "$(curl -s "${AUTH[@]}" "$base/metrics" | awk '$1 == "pulsora_loads_in_progress" {print $2}')" = 7 ]
	}
	wait_for all_mid
	check "seven loads are in flight before the first backup" wait_for in_flight

	req POST /backups
	check "POST /backups answers path, bytes and elapsed_ms" \
		eval 'ok_envelope && [ -d "$(js "d[\"data\"][\"path\"]")/db" ] && js "d[\"data\"][\"bytes\"] > 0 and d[\"data\"][\"elapsed_ms\"] >= 0" | grep -qx true'
	paths[1]=$(js 'd["data"]["path"]')
	check "a backup is named by its UTC time" eval '[[ "$(basename "${paths[1]}")" =~ ^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$ ]]'
	check "a backup holds pulsora.toml" cmp -s "$dir/pulsora.toml" "${paths[1]}/pulsora.toml"
	kill "${pids[6]}"
	touch "$TMP/bk_go"
	req POST /backups
	paths[2]=$(js 'd["data"]["path"]')
	wait "${pids[1]}"
	req POST /backups
	paths[3]=$(js 'd["data"]["path"]')
	for tag in 1 2 3 4 5 7; do wait "${pids[$tag]}"; done
	check "loads 1-4 commit while backups are taken" \
		eval '(for t in 1 2 3 4; do grep -q "\"rows_inserted\": *$((7000 + t * 1000))" "$TMP/bk_res_$t" || exit 1; done)'
	check "load 5 is aborted by its bad row" grep -q '"success": *false' "$TMP/bk_res_5"
	req POST /backups
	paths[4]=$(js 'd["data"]["path"]')
	local elapsed4 time4
	elapsed4=$(js 'd["data"]["elapsed_ms"]')
	curl -s "${AUTH[@]}" "$base/metrics" >"$TMP/bk_metrics"
	req GET /backups
	check "GET /backups lists the four, oldest first, with name, path, bytes and time" \
		eval 'ok_envelope && [ "$(js "[b[\"path\"] for b in d[\"data\"]]")" = "$("$PY" -c "import json,sys; print(json.dumps(sys.argv[1:]))" "${paths[@]}")" ] &&
			js "all(b[\"bytes\"] > 0 and b[\"time\"].endswith(\"Z\") and b[\"name\"] in b[\"path\"] for b in d[\"data\"])" | grep -qx true'
	time4=$(js 'd["data"][3]["time"]')
	check "/metrics after the backups is well-formed Prometheus text" prom_text_ok "$TMP/bk_metrics"
	check "/metrics shows four backups, the newest one's time, a small age and its duration" \
		bk_metrics_ok "$TMP/bk_metrics" "$elapsed4" "$time4"
	# The tables are a few KiB each, less than one of RocksDB's blocks, so
	# one of them may show 0 (test_backup.c checks sizes on bigger tables).
	table_bytes_ok() {
		local loads fresh
		loads=$(metric 'pulsora_table_bytes{table="loads"}' "$1")
		fresh=$(metric 'pulsora_table_bytes{table="fresh"}' "$1")
		[ -n "$loads" ] && [ -n "$fresh" ] && [ $((loads + fresh)) -gt 0 ] &&
			[ $((loads + fresh)) -le "$(metric pulsora_data_bytes "$1")" ]
	}
	check "/metrics shows the bytes of each table, flushed by the backup, within the store's" \
		table_bytes_ok "$TMP/bk_metrics"
	bk_verify "the live owner" "$base" 4

	for i in 1 2 3 4; do
		rdir="$TMP/bk_restored_$i"
		"$PULSORAD" --restore "${paths[$i]}" -D "$rdir" >"$TMP/bk_restore_$i.log" 2>&1
		rc=$?
		check "pulsorad --restore of backup $i succeeds" eval '[ $rc = 0 ] && [ -d "$rdir/db" ]'
		rport=$(free_port)
		BASE="http://127.0.0.1:$rport"
		start_owner "$rdir" "$TMP/bk_r$i.log" --port "$rport"
		wait_for health_up
		bk_verify "restored backup $i" "$BASE" "$i"
		kill -TERM "$OWNER"
		wait_for gone "$OWNER"
	done
	check "backup 1 is still a backup after it was restored and opened" \
		eval '[ -f "${paths[1]}/PULSORA_BACKUP" ] && ls "${paths[1]}/db" | grep -q "\.sst$"'

	# Errors of --restore.
	mkdir -m 700 "$TMP/bk_full" && touch "$TMP/bk_full/x"
	"$PULSORAD" --restore "${paths[4]}" -D "$TMP/bk_full" >"$TMP/bk_err1.log" 2>&1
	rc=$?
	check "restore into a non-empty directory fails, naming it" \
		eval '[ $rc = 1 ] && grep -q "bk_full is not empty" "$TMP/bk_err1.log" && [ "$(ls "$TMP/bk_full")" = x ]'
	"$PULSORAD" --restore "$TMP/nowhere" -D "$TMP/bk_new" >"$TMP/bk_err2.log" 2>&1
	rc=$?
	check "restore of a path that is no backup fails, naming it" \
		eval '[ $rc = 1 ] && grep -q "nowhere is not a complete Pulsora backup" "$TMP/bk_err2.log" && [ ! -e "$TMP/bk_new" ]'
	"$PULSORAD" --restore "$dir" -D "$TMP/bk_new" >"$TMP/bk_err3.log" 2>&1
	rc=$?
	check "restore of a data directory (not a backup) fails" eval '[ $rc = 1 ] && [ ! -e "$TMP/bk_new" ]'

	# backup_keep, on a restored copy whose settings say keep 2.
	rdir="$TMP/bk_restored_4"
	printf '[storage]\nbackup_keep = 2\nbackup_dir = "kept"\n' >>"$rdir/pulsora.toml"
	rport=$(free_port)
	BASE="http://127.0.0.1:$rport"
	start_owner "$rdir" "$TMP/bk_keep.log" --port "$rport"
	wait_for health_up
	for i in 1 2 3; do req POST /backups; done
	req GET /backups
	check "backup_keep = 2 keeps the two newest, under backup_dir relative to DIR" \
		eval 'is "len(d[\"data\"])" 2 && [ "$(ls "$rdir/kept" | wc -l)" = 2 ] && is "d[\"data\"][0][\"name\"] != d[\"data\"][1][\"name\"]" true'
	kill -TERM "$OWNER"
	wait_for gone "$OWNER"
	kill -TERM "$owner"
	wait_for gone "$owner"

	# The backup figures come from the markers: a restarted owner shows them.
	BASE=$base
	start_owner "$dir" "$TMP/bk_again.log"
	wait_for health_up
	curl -s "${AUTH[@]}" "$base/metrics" >"$TMP/bk_metrics2"
	same_figures() {
		local m
		for m in pulsora_backups pulsora_backup_last_timestamp_seconds pulsora_backup_last_duration_seconds; do
			[ -n "$(metric $m "$1")" ] && [ "$(metric $m "$1")" = "$(metric $m "$2")" ] || return 1
		done
	}
	check "after a restart /metrics shows the same backups, time and duration" \
		same_figures "$TMP/bk_metrics" "$TMP/bk_metrics2"
	AUTH=()
	kill -TERM "$OWNER"
	wait_for gone "$OWNER"
}
