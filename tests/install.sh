#!/bin/sh
# make install / make uninstall into a scratch DESTDIR: the expected files land with the
# expected modes, the installed binary runs, the man page renders, the bash completion
# completes commands, options and user names from a real home, and uninstall removes it
# all. Ends with one line "N passed, N failed"; exits non-zero on a failure.
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { desc=$1; shift; if "$@" >/dev/null 2>&1; then ok; else fail "$desc"; fi; }

dest=$(mktemp -d "${TMPDIR:-/tmp}/certdesk-install.XXXXXX") || exit 1
trap 'rm -rf "$dest"' EXIT
prefix=/usr/local
root=$dest$prefix

if make install DESTDIR="$dest" PREFIX=$prefix >"$dest.log" 2>&1; then ok; else
	fail "make install"; cat "$dest.log"; fi
rm -f "$dest.log"

mode() { stat -c %a "$1" 2>/dev/null; }
check "binary installed 755" test "$(mode "$root/bin/certdesk")" = 755
check "man page installed 644" test "$(mode "$root/share/man/man1/certdesk.1")" = 644
check "cron example installed" test -f "$root/share/certdesk/examples/certdesk.cron"
check "bash completion installed" test -f "$root/share/bash-completion/completions/certdesk"
for t in data/templates/*; do
	check "template $(basename "$t")" cmp "$t" "$root/share/certdesk/templates/$(basename "$t")"
done

bin=$root/bin/certdesk
check "installed binary: --version" sh -c "'$bin' --version | grep -q '^certdesk [0-9]'"
check "installed binary: --help lists import" sh -c "'$bin' --help | grep -q 'import'"
if command -v mandoc >/dev/null; then
	if mandoc -Thtml "$root/share/man/man1/certdesk.1" | grep -q 'id="DASHBOARD_KEYS"'; then
		ok; else fail "installed man page renders"; fi
fi

# The completion, sourced in bash, against a real home made by the installed binary.
home=$dest/home
out=$dest/out
mkdir -p "$out"
"$bin" --home "$home" init --cn "Install CA" >/dev/null 2>&1 &&
	"$bin" --home "$home" create alice --name "Alice A" --email alice@example.org \
		--out "$out" >/dev/null 2>&1
check "installed binary creates a user" test -f "$out/alice.p12"
complete_words() {
	PATH="$root/bin:$PATH" bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_certdesk; printf "%s\n" "${COMPREPLY[@]}"' sh \
		"$root/share/bash-completion/completions/certdesk" "$@"
}
if complete_words certdesk imp | grep -qx import; then ok; else fail "completion: commands"; fi
if complete_words certdesk import easyrsa /tmp --a | grep -qx -- --apply; then ok; else
	fail "completion: options of import"; fi
if complete_words certdesk --home "$home" show "" | grep -qx alice; then ok; else
	fail "completion: user names from --home"; fi
if complete_words certdesk --home="$home" renew a | grep -qx alice; then ok; else
	fail "completion: user names from --home="; fi

if make uninstall DESTDIR="$dest" PREFIX=$prefix >/dev/null 2>&1; then ok; else
	fail "make uninstall"; fi
check "uninstall removed the binary" test ! -e "$root/bin/certdesk"
check "uninstall removed the man page" test ! -e "$root/share/man/man1/certdesk.1"
check "uninstall removed the completion" test ! -e "$root/share/bash-completion/completions/certdesk"
check "uninstall removed share/certdesk" test ! -e "$root/share/certdesk"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
