# test/lib.sh — shared helpers for the shell test suites (sourced).
# Counters and checks print one line per check; finish prints the closing
# "N passed, N failed" line and sets the exit status.
PASS=0
FAIL=0
ok()   { PASS=$((PASS + 1)); echo "ok   - $1"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }
check() {	# check NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}
finish() { echo "$PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; }

# The system interpreter: version-manager shims (pyenv) cost half a second per call.
PY=$(command -v /usr/bin/python3 || command -v python3)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# json FIELD_EXPR: reads JSON on stdin, prints the Python expression over `d`.
json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }

# start_owner DIR PORT [extra args]: start pulsorad in the background, wait for REST.
# PULSORAD_WRAPPER, if set, is a command line prefixed to pulsorad's (e.g.
# "valgrind --leak-check=full --log-file=/tmp/vg.%p"); the start-up wait is
# then longer, as such tools slow the owner down.  PULSORAD_START_TRIES
# sets that wait (in 50 ms polls) explicitly.
start_owner() {
	local dir=$1 port=$2; shift 2
	local tries=${PULSORAD_START_TRIES:-200}
	[ -n "${PULSORAD_WRAPPER:-}" ] && tries=${PULSORAD_START_TRIES:-2400}
	# shellcheck disable=SC2086 # the wrapper is a command line: split it
	${PULSORAD_WRAPPER:-} "$BUILD/pulsorad" -D "$dir" --port "$port" --log-file "$dir/pulsorad.log" "$@" &
	OWNER_PID=$!
	for _ in $(seq "$tries"); do
		curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
		kill -0 "$OWNER_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# in_cluster COMMAND...: unless already inside one, re-run COMMAND (the
# calling script and its arguments) inside a throwaway PostgreSQL 15 cluster
# made by Debian's pg_virtualenv -t, which exports PGHOST, PGPORT, PGUSER,
# PGPASSWORD and PGDATABASE for psql.  The cluster runs as the OS user
# postgres, so data directories the extension uses must be writable by it
# (see pg_data_dir).  Needs `make ext-install`.
in_cluster() {
	[ -n "${PULSORA_IN_CLUSTER:-}" ] && return 0
	PULSORA_IN_CLUSTER=1 exec pg_virtualenv -t "$@"
}

# q SQL: run SQL in the cluster with psql, unaligned, tuples only; fails on error.
q() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# wait_for TRIES COMMAND...: poll COMMAND every 0.1 s until it succeeds.
wait_for() {
	local tries=$1; shift
	for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.1; done
	return 1
}

# A psql session fed line by line through a fifo (fd 5), its output in
# $T/NAME.out (the caller sets T to a directory of its own): session_start
# NAME opens it, `say` sends SQL, `seen` tells whether the output has a
# line, session_end closes its input and waits for it.
session_start() {
	mkfifo "$T/$1.in"
	PGAPPNAME=$1 timeout 300 psql -XAtq < "$T/$1.in" > "$T/$1.out" 2>&1 &
	SESSION=$!
	exec 5> "$T/$1.in"
	SESSION_NAME=$1
}
say() { echo "$1" >&5; }
seen() { grep -qF -- "$1" "$T/$SESSION_NAME.out"; }
session_end() {
	exec 5>&-
	wait "$SESSION"
	SESSION=""
}

# pg_data_dir NAME: print a fresh directory under /tmp for a data_dir the
# cluster's user (postgres) owns.
pg_data_dir() {
	local d
	d=$(mktemp -d "/tmp/pulsora_$1_XXXXXX")
	chmod 0755 "$d"
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$d"
	echo "$d"
}

# as_cluster_user COMMAND...: run COMMAND as the cluster's OS user.
as_cluster_user() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# end_helpers STOP_FILE PID...: tell background helpers to stop (they poll
# STOP_FILE) and kill them; the caller still waits for them.
end_helpers() {
	touch "$1" 2>/dev/null
	shift
	for p in "$@"; do kill "$p" 2>/dev/null; done
}

# stops_cleanly NAME PID [SIGNAL_PID]: SIGTERM SIGNAL_PID (default PID: a
# wrapper's pid file names pulsorad itself), wait for PID, a child of this
# shell, and check that it exits with status 0.
stops_cleanly() {
	kill -TERM "${3:-$2}"
	wait "$2"
	check "$1" 0 "$?"
}

# SANITIZER_RE: what a sanitizer (or valgrind, when a suite adds its
# "ERROR SUMMARY: [1-9]") writes when it finds a fault.
SANITIZER_RE='AddressSanitizer|LeakSanitizer|runtime error:'
# no_sanitizer_report STDERR [LOG...]: one check that the owner's stderr and
# logs hold no SANITIZER_RE match; on failure the reports in STDERR are shown.
no_sanitizer_report() {
	if grep -qE "$SANITIZER_RE" "$@"; then
		fail "sanitizer reports from pulsorad"; grep -hE -A5 'Sanitizer|runtime error' "$1" | head -40
	else ok "no sanitizer report in pulsorad's stderr or log"; fi
}
