#!/bin/sh
# run.sh SECONDS TARGET...: runs each libFuzzer target (build/fuzz/fuzz_NAME) for
# SECONDS, one after the other, and fails when any of them crashed, leaked, timed out
# or ran out of memory.  Inputs: the seed corpus tests/fuzz/corpus/NAME (read only),
# the crashes kept in tests/fuzz/crashes/NAME (they must not crash again), and what
# earlier runs found in build/fuzz/corpus/NAME, where new inputs go.  A crashing input
# is written to build/fuzz/crashes/NAME-crash-<sha1>; the whole log to
# build/fuzz/NAME.log.  Ends with one line "N passed, N failed".
cd "$(dirname "$0")/../.." || exit 1
secs=$1
shift
out=build/fuzz
mkdir -p "$out/crashes" "$out/tmp"
passed=0
failed=0
for bin in "$@"; do
	name=${bin##*/fuzz_}
	log=$out/$name.log
	mkdir -p "$out/corpus/$name"
	set -- "$out/corpus/$name" "tests/fuzz/corpus/$name"
	[ -d "tests/fuzz/crashes/$name" ] && set -- "$@" "tests/fuzz/crashes/$name"
	# -close_fd_mask=2: the code's own stderr (link-length warnings) goes to /dev/null;
	# libFuzzer's and the sanitizers' reports still reach the log.
	if TMPDIR=$(pwd)/$out/tmp UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$out/crashes/$name-" \
		"$@" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "ok - fuzz_$name: ${runs:-?} runs in ${secs}s"
		passed=$((passed + 1))
	else
		rc=$?
		echo "FAIL - fuzz_$name (exit $rc); log: $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|artifact_prefix.*Test unit)' "$log" |
			head -n 5 | sed 's/^/    /'
		# The first frames of the code under test, not libFuzzer's, libc's or abort's.
		grep -E '^    #[0-9]+ ' "$log" | grep -v -E 'fuzzer::|__sanitizer|libc|nptl|abort|raise|fuzz_fail| in main ' |
			head -n 6 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
