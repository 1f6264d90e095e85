#!/bin/sh
# metrics.sh: `certdesk metrics --out FILE` on a home of 100,000 users (see bench/README.md):
#   best of RUNS wall and CPU time, peak RSS, and promtool's check of what it wrote.
# Variables: METRICS_BENCH_N (100000), METRICS_BENCH_DIR ($TMPDIR/certdesk-bench-core:
# the home core.sh builds, made here when missing), METRICS_BENCH_RUNS (5).
set -e
cd "$(dirname "$0")/.."
n=${METRICS_BENCH_N:-100000}
dir=${METRICS_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-core}
runs=${METRICS_BENCH_RUNS:-5}
make -s >/dev/null 2>&1 || [ -x build/rel/certdesk ] || { echo "make failed" >&2; exit 1; }
bin=$PWD/build/rel/certdesk
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$dir"
big=$dir/h$n
out=$dir/metrics.prom

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F)"
[ -e "$big/certdesk.db" ] || bench/gen-home "$big" "$n"

# The fastest of RUNS, wall and CPU (user + system) in ms, from /usr/bin/time.
best_wall=999999
best_cpu=999999
"$bin" --home "$big" metrics --out "$out" # warms the page cache
i=0
while [ $i -lt "$runs" ]; do
	/usr/bin/time -f "%e %U %S %M" -o "$dir/metrics.t" "$bin" --home "$big" metrics --out "$out"
	read -r wall usr sys rss <"$dir/metrics.t"
	w=$(awk -v t="$wall" 'BEGIN { printf "%d", t * 1000 }')
	c=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%d", (u + s) * 1000 }')
	[ "$w" -lt "$best_wall" ] && best_wall=$w
	[ "$c" -lt "$best_cpu" ] && best_cpu=$c
	i=$((i + 1))
done
users=$(grep -c '^certdesk_cert_not_after_seconds{' "$out")
echo "metrics --out, $users users: best $best_wall ms wall, $best_cpu ms CPU," \
	"peak RSS $rss KB, $(wc -c <"$out") bytes"
if command -v promtool >/dev/null; then
	promtool check metrics <"$out" && echo "  (promtool check metrics: no problem)"
fi
[ "$users" -gt 0 ]
