#!/bin/sh
# tour.sh: README.md's tour as a newcomer runs it: every `$ ` command of the section
# "A short tour", top to bottom, in a fresh HOME (so certdesk's default home is new),
# with the certdesk under test first on the PATH and no CERTDESK_* variable set. Each
# must exit 0 and begin its output with the word the README shows it beginning with.
set -u
. tests/lib.sh

BIN=${CERTDESK_BIN:-./certdesk}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
mkdir "$T/bin" && ln -s "$BIN" "$T/bin/certdesk"

# One line per command: the command, a tab, the first word of the output shown under
# it ("" when none is shown, or "..." stands for it).
awk '/^## / { tour = ($0 == "## A short tour") }
	tour && want != "" { w = ""; if ($0 ~ /^    [^$ ]/) { split($0, f, " "); w = f[1] }
		if (w == "...") w = ""; print want "\t" w; want = "" }
	tour && /^    \$ / { want = substr($0, 7) }
	END { if (want != "") print want "\t" }' README.md >"$T/tour"

n=$(wc -l <"$T/tour")
ok "the tour has its commands ($n)" [ "$n" -ge 10 ]

# run CMD WORD: runs CMD as the README shows it; its output must begin with WORD.
run() {
	out=$(cd "$T" && env -u CERTDESK_HOME -u CERTDESK_PASSPHRASE_FILE HOME="$T" \
		PATH="$T/bin:$PATH" sh -c "$1" 2>&1) || { echo "$out"; return 1; }
	[ -z "$2" ] && return 0
	first=$(printf '%s\n' "$out" | head -n 1 | cut -d' ' -f1)
	[ "$first" = "$2" ] || { echo "expected output beginning with '$2', got:"; echo "$out"; return 1; }
}

tab=$(printf '\t')
while IFS=$tab read -r cmd word; do
	ok "tour: $cmd" run "$cmd" "$word"
done <"$T/tour"
ok "the tour's metrics file is there, for promtool" test -s "$T/certdesk.prom"
finish
