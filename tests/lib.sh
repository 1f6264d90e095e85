# lib.sh: a tiny test library for the tests/*.sh scripts.  Source it, call `ok` once per
# check, and end with `finish`:
#
#	. tests/lib.sh
#	ok "list works" certdesk --home "$h" list
#	ok_fails "bad user refused" certdesk --home "$h" show Bad
#	finish
#
# Each check prints one line; finish prints "N passed, N failed" and returns non-zero
# when anything failed (the script's exit status, under `set -e` or as its last command).

LIB_PASSED=0
LIB_FAILED=0

# ok NAME CMD...: passes when CMD exits 0.  CMD's output is shown only on failure.
ok() {
	lib_name=$1
	shift
	if lib_out=$("$@" 2>&1); then
		LIB_PASSED=$((LIB_PASSED + 1))
		echo "ok - $lib_name"
	else
		lib_rc=$?
		LIB_FAILED=$((LIB_FAILED + 1))
		echo "FAIL - $lib_name (exit $lib_rc): $*"
		printf '%s\n' "$lib_out" | sed 's/^/    /' | head -n 20
	fi
}

# ok_fails NAME CMD...: passes when CMD exits non-zero (and was not killed by a signal).
ok_fails() {
	lib_name=$1
	shift
	lib_out=$("$@" 2>&1)
	lib_rc=$?
	if [ "$lib_rc" -ne 0 ] && [ "$lib_rc" -lt 128 ]; then
		LIB_PASSED=$((LIB_PASSED + 1))
		echo "ok - $lib_name"
	else
		LIB_FAILED=$((LIB_FAILED + 1))
		echo "FAIL - $lib_name (expected a failure, got exit $lib_rc): $*"
		printf '%s\n' "$lib_out" | sed 's/^/    /' | head -n 20
	fi
}

# finish: the summary line; the status is 1 when any check failed.
finish() {
	echo "$LIB_PASSED passed, $LIB_FAILED failed"
	[ "$LIB_FAILED" -eq 0 ]
}

# Run directly (as tests/run-all.sh does with every tests/*.sh), the library tests itself.
case $0 in
*lib.sh)
	ok "ok passes on success" true
	ok_fails "ok_fails passes on failure" false
	( LIB_PASSED=0 LIB_FAILED=0; ok "inner" false >/dev/null; [ "$LIB_FAILED" -eq 1 ] ) &&
		ok "ok counts a failure" true || ok "ok counts a failure" false
	( ok_fails "inner" sh -c 'kill -9 $$' >/dev/null; [ "$LIB_FAILED" -eq 1 ] ) 2>/dev/null &&
		ok "a signal is not an expected failure" true || ok "a signal is not an expected failure" false
	( LIB_FAILED=1; finish >/dev/null ) && ok "finish fails after a failure" false ||
		ok "finish fails after a failure" true
	finish
	;;
esac
