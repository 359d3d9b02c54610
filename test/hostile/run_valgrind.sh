#!/bin/bash
# run_valgrind.sh — run shell test suites against a pulsorad under valgrind
# memcheck and report its leaks and memory errors (issue 5).
#   test/hostile/run_valgrind.sh [BUILD_DIR] [SUITE...]
#   (default: build, test/rest/test_rest.sh)
#
# The suites start BUILD/pulsorad themselves, so this makes a build
# directory whose pulsorad is a script exec'ing valgrind on the real one
# (same pid, same arguments; the other binaries are links).  Every owner
# process writes its own valgrind log; an owner ended by SIGTERM/SIGINT
# reports its leaks at exit (one killed with -9 cannot).  Valgrind slows the
# owner down ~20-50x, so a suite's timing-sensitive checks (RSS bounds,
# generous start-up waits) may fail here: the point is valgrind's verdict.
# Not run by `make check` (its name is not test_*.sh).  Last line:
# "N passed, N failed" over the owners' logs: a log with a definite leak or
# a memory error fails.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
[ $# -gt 0 ] && shift
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
[ $# -eq 0 ] && set -- test/rest/test_rest.sh
. "$ROOT/test/lib.sh"
command -v valgrind >/dev/null || { fail "valgrind is installed"; finish; exit 1; }

VG=$(mktemp -d /tmp/pulsora_valgrind_XXXXXX)
mkdir -p "$VG/build/test"
cat >"$VG/build/pulsorad" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite --num-callers=30 --log-file="$VG/vg.%p.log" \\
	"$BUILD/pulsorad" "\$@"
EOF
chmod +x "$VG/build/pulsorad"
ln -s "$BUILD/pulsora-cli" "$VG/build/pulsora-cli"
for t in "$BUILD"/test/*; do ln -s "$t" "$VG/build/test/"; done

# Start-up under valgrind (WAL replay included) takes seconds: wait longer.
export PULSORAD_START_TRIES=2400
# The wrapper lives in a root-only directory: keep test_concurrency.sh REST-only
# (its SQL workers need pulsorad run as the cluster's user).
export CONCURRENCY_SQL_WRITERS=0 CONCURRENCY_SQL_READERS=0
for suite in "$@"; do
	echo "== $suite under valgrind"
	(cd "$ROOT" && bash "$suite" "$VG/build") >"$VG/suite.log" 2>&1
	echo "# $suite: $(tail -n 1 "$VG/suite.log") (timing-sensitive checks may fail under valgrind)"
	grep '^FAIL' "$VG/suite.log" | sed 's/^/#   /'
done

for log in "$VG"/vg.*.log; do
	[ -f "$log" ] || continue
	pid=${log##*/vg.}
	pid=${pid%.log}
	lost=$(grep -oE 'definitely lost: [0-9,]+ bytes in [0-9,]+ blocks' "$log" | tail -n 1)
	errors=$(grep -oE 'ERROR SUMMARY: [0-9]+ errors' "$log" | tail -n 1 | grep -oE '[0-9]+')
	if [ -z "$errors" ]; then
		echo "# owner $pid: no summary (killed with -9 or still running)"
		continue
	fi
	if [ "$errors" = 0 ]; then
		ok "owner $pid: no memory errors, no definite leaks (${lost:-definitely lost: 0 bytes})"
	else
		fail "owner $pid: $errors errors (${lost:-no definite leak}); see below"
		sed -n '/Invalid\|uninitialised\|definitely lost in/,/^==[0-9]*== $/p' "$log" | head -n 80
	fi
done
[ -n "${KEEP_VALGRIND_LOGS:-}" ] && echo "# logs kept in $VG" || rm -rf "$VG"
finish
