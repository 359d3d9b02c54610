#!/bin/sh
# Runs every test suite and prints one closing line "N passed, N failed".
#   test/run_all.sh BUILD_DIR [unit]
# Suites: the cmocka unit tests (BUILD_DIR/test/test_*), then, unless only
# "unit" was asked for, every test/*/test_*.sh script (REST, crash, ...) and
# the PostgreSQL regression suite (test/pg/run_regress.sh).  Each script ends
# with its own "N passed, N failed" line, which is added to the totals; a
# suite that dies without one counts as one failure.
BUILD=${1:-build}
ONLY=${2:-all}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

add_counts() {	# $1 = suite name; parses the last "N passed, N failed" of $log
	line=$(grep -E '^[A-Za-z_]*:? ?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "!! $1: no result line (crashed?)"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
	f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	passed=$((passed + p))
	failed=$((failed + f))
	echo "== $1: $p passed, $f failed"
}

for t in "$BUILD"/test/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	"$t" >"$log" 2>&1
	rc=$?
	p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | head -n 1)
	f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | head -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed or failed outside a test
	fi
	[ "$f" -ne 0 ] && cat "$log"
	passed=$((passed + p))
	failed=$((failed + f))
	echo "== $name: $p passed, $f failed"
done

if [ "$ONLY" != unit ]; then
	for s in test/*/test_*.sh test/pg/run_regress.sh; do
		[ -f "$s" ] || continue
		echo "== running $s"
		case "$s" in
		test/pg/run_regress.sh) bash "$s" >"$log" 2>&1 ;;	# uses the installed extension
		*) bash "$s" "$BUILD" >"$log" 2>&1 ;;
		esac
		rc=$?
		[ "$rc" -ne 0 ] && tail -n 60 "$log"
		add_counts "$s"
		if [ "$rc" -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' "$log"; then
			failed=$((failed + 1))
		fi
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
