#!/bin/sh
# Runs each CUnit program given as an argument, then every tests/*.sh script, and fails
# when any of them failed. Each prints its own summary; this adds a total.
# Tests read nothing from standard input, and a closed one would be reused by the
# first file a test opens.
exec </dev/null
failed=0
passed=0
for t in "$@"; do
	echo "== $t"
	if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t"; fi
done
for t in tests/*.sh; do
	[ "$t" = tests/run-all.sh ] && continue
	[ -f "$t" ] || continue
	echo "== $t"
	if sh "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t"; fi
done
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
