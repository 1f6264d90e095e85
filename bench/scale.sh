#!/bin/sh
# scale.sh: how list and the dashboard grow with the number of users (see bench/README.md).
# For each size (1,000 to 1,000,000 users) and each layout (rows stored in expiry order,
# as bench/gen-home writes them by default, and in random order, as a home that grew over
# the years): `list --format tsv` against the sqlite3 CLI running the query certdesk
# gives SQLite (and the same with ties ordered by name in SQL), and the dashboard in a
# real pty (tmux): first screen, every user loaded, 1,000 PgDn once loaded, peak RSS.
# Medians of SCALE_BENCH_RUNS runs, from a warm page cache.
# Variables: SCALE_BENCH_SIZES ("1000 10000 100000 1000000"), SCALE_BENCH_RUNS (5),
# SCALE_BENCH_DIR ($TMPDIR/certdesk-bench-scale; homes are kept there between runs: a
# million users take about 5 minutes to build per layout).
set -e
cd "$(dirname "$0")/.."
sizes=${SCALE_BENCH_SIZES:-1000 10000 100000 1000000}
runs=${SCALE_BENCH_RUNS:-5}
dir=${SCALE_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-scale}
make -s >/dev/null
bin=$PWD/build/rel/certdesk
command -v sqlite3 >/dev/null && command -v tmux >/dev/null ||
	{ echo "needs sqlite3 and tmux (make deps installs them)" >&2; exit 1; }
mkdir -p "$dir"
sock=certdesk-scale-$$
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null || true' EXIT

# What store_brief_rows asks SQLite for a listing by expiry (src/store.c: BRIEF_COLS,
# ROW_FROM_BY_EXPIRY); the store then puts ties of the same second in name order.
cert_cols() {
	for c in id serial not_after issued_at notified_at applied_at revoke_at published_at \
		revoke_forced pw_path task issuer; do printf ', %s.%s' "$1" "$c"; done
}
query="SELECT u.id, u.name, u.full_name, u.email$(cert_cols c)$(cert_cols o) FROM certs c
CROSS JOIN users u ON u.cert_id = c.id LEFT JOIN certs o ON o.id = c.replaces ORDER BY
c.not_after"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ms CMD...: the median wall time of RUNS runs, output discarded.
ms() {
	i=0
	while [ $i -lt "$runs" ]; do
		t0=$(now_ms)
		"$@" >/dev/null 2>&1
		echo $(($(now_ms) - t0))
		i=$((i + 1))
	done | median
}

# dash HOME N: "FIRST_MS ALL_MS PGDN_MS RSS_MB" of one dashboard run.
dash() {
	trace=$dir/trace.$$
	rm -f "$trace"
	t0=$(now_ms)
	tm new-session -d -s b -x 80 -y 24 "env LANG=C.UTF-8 CERTDESK_UI_TRACE=$trace $bin --home $1"
	until grep -q "^every-user " "$trace" 2>/dev/null; do sleep 0.01; done
	sleep 0.3
	t1=$(now_ms)
	tm send-keys -t b -N 1000 NPage
	until grep -q "^pgdn 1000 " "$trace" 2>/dev/null; do sleep 0.01; done
	tm send-keys -t b q
	until grep -q "^maxrss-kb" "$trace" 2>/dev/null; do sleep 0.01; done
	awk -v t0="$t0" -v t1="$t1" '
		$1 == "first-screen" { f = $3 * 1000 - t0 } $1 == "every-user" { a = $3 * 1000 - t0 }
		$1 == "pgdn" && $2 == 1000 { p = $3 * 1000 - t1 } $1 == "maxrss-kb" { r = $2 / 1024 }
		END { printf "%d %d %d %.1f\n", f, a, p, r }' "$trace"
	tm kill-server 2>/dev/null || true
	rm -f "$trace"
}

echo "machine: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u '+%F %H:%M') UTC"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-7s %9s %9s %9s %6s | %8s %8s %8s %8s\n' users layout list_ms cli_ms \
	cli+name ratio first_ms all_ms pgdn_ms rss_mb
for n in $sizes; do
	for layout in expiry random; do
		home=$dir/$layout-$n
		if [ ! -e "$home/certdesk.db" ]; then
			[ "$layout" = random ] && export GEN_HOME_LAYOUT=random
			bench/gen-home "$home" "$n" >/dev/null
			unset GEN_HOME_LAYOUT
		fi
		rows=$("$bin" --home "$home" --format tsv list | tail -n +2 | wc -l)
		[ "$rows" = "$n" ] || { echo "$home lists $rows users, not $n" >&2; exit 1; }
		cat "$home/certdesk.db" >/dev/null # the page cache, warm for every contender
		l=$(ms "$bin" --home "$home" --format tsv list)
		c=$(ms sqlite3 "$home/certdesk.db" "$query")
		cn=$(ms sqlite3 "$home/certdesk.db" "$query, u.name")
		d1=$(dash "$home") d2=$(dash "$home") d3=$(dash "$home")
		med() { printf '%s\n%s\n%s\n' "$d1" "$d2" "$d3" | awk -v k="$1" '{ print $k }' | median; }
		printf '%-8s %-7s %9s %9s %9s %6s | %8s %8s %8s %8s\n' "$n" "$layout" "$l" "$c" "$cn" \
			"$(awk -v a="$l" -v b="$c" 'BEGIN { printf "%.2f", b ? a / b : 0 }')" \
			"$(med 1)" "$(med 2)" "$(med 3)" "$(printf '%s\n%s\n%s\n' "$d1" "$d2" "$d3" |
				awk '$4 > m { m = $4 } END { print m }')"
	done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
