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
