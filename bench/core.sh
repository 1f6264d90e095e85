#!/bin/sh
# core.sh: the core's benchmarks on a home of 100,000 users (see bench/README.md).
#   expirecheck (time, peak RSS), list --format tsv, create with PKCS#12 (against
#   easy-rsa's build-client-full and show-expire), notify --due for 5,000 users.
# Variables: CORE_BENCH_N (100000), CORE_BENCH_DIR ($TMPDIR/certdesk-bench-core, homes are
# kept there between runs), CORE_BENCH_RUNS (5), CORE_BENCH_CREATES (100), CORE_BENCH_EASYRSA (5).
set -e
cd "$(dirname "$0")/.."
n=${CORE_BENCH_N:-100000}
dir=${CORE_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-core}
runs=${CORE_BENCH_RUNS:-5}
creates=${CORE_BENCH_CREATES:-100}
ersa=${CORE_BENCH_EASYRSA:-5}
if ! make -s >/dev/null 2>&1; then
	[ -x build/rel/certdesk ] || { echo "make failed and there is no build/rel/certdesk" >&2; exit 1; }
	echo "warning: make failed; measuring the existing build/rel/certdesk" >&2
fi
bin=$PWD/build/rel/certdesk
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$dir"
big=$dir/h$n
due=$dir/due5000

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# best RUNS CMD...: the fastest of RUNS runs in ms (output discarded, any exit status).
best() {
	b=999999
	i=0
	while [ $i -lt "$runs" ]; do
		t0=$(now_ms)
		"$@" >/dev/null 2>&1 || true
		t=$(($(now_ms) - t0))
		[ $t -lt $b ] && b=$t
		i=$((i + 1))
	done
	echo $b
}

# timed FILE CMD...: runs CMD, writes "WALL_MS CPU_MS" (CPU = user + system, children
# included) to FILE.  CPU time says more than wall time when the machine is shared.
timed() {
	f=$1
	shift
	/usr/bin/time -f "%e %U %S" -o "$f.t" "$@"
	awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$f.t" >"$f"
}

rss_kb() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F)"
if [ ! -e "$big/certdesk.db" ]; then
	t0=$(now_ms)
	bench/gen-home "$big" "$n"
	echo "gen-home $n users: $(($(now_ms) - t0)) ms"
fi
if [ ! -e "$due/certdesk.db" ]; then
	bench/gen-home "$due" 5000 14
fi
users=$("$bin" --home "$big" --format tsv list | tail -n +2 | wc -l)
indue=$("$bin" --home "$big" --format tsv expirecheck | tail -n +2 | wc -l || true)
echo "home: $users users, $indue inside the 14-day window today"

# Warm the page cache, then measure.
"$bin" --home "$big" --format tsv list >/dev/null
past=$(date -u -d '-400 days' +%F)
echo "expirecheck, $indue due (text, two links each): $(best "$bin" --home "$big" --expirecheck) ms," \
	"peak RSS $(rss_kb "$bin" --home "$big" --expirecheck) KB"
echo "expirecheck --format tsv: $(best "$bin" --home "$big" --format tsv --expirecheck) ms"
echo "expirecheck, nothing due (--as-of $past): $(best "$bin" --home "$big" --as-of "$past" --expirecheck) ms," \
	"peak RSS $(rss_kb "$bin" --home "$big" --as-of "$past" --expirecheck) KB"
echo "list --format tsv ($users rows): $(best "$bin" --home "$big" --format tsv list) ms," \
	"peak RSS $(rss_kb "$bin" --home "$big" --format tsv list) KB"

# create writes: on a copy, so that the big home stays as generated.
work=$dir/work
rm -rf "$work"
mkdir -p "$work/out"
cp -a "$big" "$work/home"
export bin work creates
timed "$work/create" sh -c 'i=0; while [ $i -lt "$creates" ]; do
	"$bin" --home "$work/home" create "bench$i" --name "Bench $i" --email "b$i@example.org" \
		--out "$work/out" >/dev/null; i=$((i + 1)); done'
read ms cpu <"$work/create"
echo "create (EC P-256, PKCS#12 compat, files fsync'd): $creates in $ms ms," \
	"$(echo "scale=1; $ms / $creates" | bc) ms each, CPU $(echo "scale=1; $cpu / $creates" | bc) ms each"
openssl pkcs12 -in "$work/out/bench0.p12" -passin file:"$work/out/bench0.pw" -nokeys -clcerts 2>/dev/null |
	openssl verify -CAfile "$work/home/ca/ca.crt" >/dev/null && echo "  (openssl verifies bench0)"

# notify --due: 5,000 users inside the window, on a copy (it records them).
rm -rf "$work/due"
cp -a "$due" "$work/due"
timed "$work/notify" "$bin" --home "$work/due" notify --due >"$work/notify.out"
read ms cpu <"$work/notify"
echo "notify --due: $(grep -c '^  task: ' "$work/notify.out") users in $ms ms (CPU $cpu ms)"

# easy-rsa 3.1 for comparison: EC P-256 CA, then build-client-full in batch mode.
if [ -x /usr/share/easy-rsa/easyrsa ]; then
	er=$work/easyrsa
	rm -rf "$er"
	cp -a /usr/share/easy-rsa "$er"
	(
		cd "$er"
		export EASYRSA_BATCH=1 EASYRSA_ALGO=ec EASYRSA_CURVE=prime256v1
		./easyrsa init-pki >/dev/null 2>&1
		./easyrsa build-ca nopass >/dev/null 2>&1
		export ersa
		timed "$er/build" sh -c 'i=0; while [ $i -lt "$ersa" ]; do
			./easyrsa build-client-full "u$i" nopass >/dev/null 2>&1; i=$((i + 1)); done'
		read ms cpu <"$er/build"
		echo "easy-rsa build-client-full (EC P-256, no PKCS#12): $ersa in $ms ms," \
			"$(echo "scale=1; $ms / $ersa" | bc) ms each, CPU $(echo "scale=1; $cpu / $ersa" | bc) ms each"
		# show-expire takes no day count in 3.1 ("show-expire 3650" prints "Coming
		# soon.." and reads nothing): the horizon is EASYRSA_CERT_RENEW, and every
		# certificate must be listed for the run to count.
		t0=$(now_ms)
		listed=$(EASYRSA_CERT_RENEW=3650 ./easyrsa show-expire 2>/dev/null | grep -c 'Serial: ' || true)
		ms=$(($(now_ms) - t0))
		[ "$listed" = "$ersa" ] || { echo "easy-rsa show-expire listed $listed of $ersa" >&2; exit 1; }
		echo "easy-rsa show-expire over $ersa certificates (all listed): $ms ms" \
			"($(echo "scale=1; $ms / $ersa" | bc) ms per certificate)"
	)
fi
rm -rf "$work"
