#!/bin/sh
# bench/verify.sh: `certdesk verify` on a home of 100,000 users (see bench/README.md).
# The home is made once (kept in $VERIFY_BENCH_DIR): bench/gen-home's real certificates
# signed by the CA, then at the SQL level one audit row per user (as create leaves) and
# 5% of the certificates revoked and published, with their audit rows; the hash column is
# dropped and the schema set back to 5, so that certdesk's own migration chains the
# rows (timed); then one publish to a local bare repository signs a CRL of the 5%
# and pushes the chain's head.
#   VERIFY_BENCH_N    users (default 100000)
#   VERIFY_BENCH_DIR  cache (default $TMPDIR/certdesk-bench-verify)
#   VERIFY_BENCH_RUNS timed runs (default 3)
set -eu
cd "$(dirname "$0")/.."
n=${VERIFY_BENCH_N:-100000}
dir=${VERIFY_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-verify}
runs=${VERIFY_BENCH_RUNS:-3}
make -s >/dev/null
bin=$PWD/build/rel/certdesk
home=$dir/h$n
remote=$dir/r$n.git

now_ms() { echo $(($(date +%s%N) / 1000000)); }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F)"
if [ ! -s "$home/certdesk.db" ] || [ ! -d "$remote" ]; then
	rm -rf "$home" "$remote"
	mkdir -p "$dir"
	bench/gen-home "$home" "$n"
	python3 - "$home/certdesk.db" <<'PY'
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1])
now = int(time.time())
rows = con.execute("SELECT c.id, u.name, c.serial FROM certs c JOIN users u ON u.id = c.user_id "
                   "ORDER BY c.id").fetchall()
con.executemany("INSERT INTO audit(at, actor, action, user, detail) VALUES (?, 'bench', 'create', ?, ?)",
                [(now - 3600, name, "serial %s, ec key" % serial) for _, name, serial in rows])
revoked = rows[::20]
con.executemany("UPDATE certs SET revoke_at = ?, revoke_reason = 4, published_at = ? WHERE id = ?",
                [(now - 1800, now - 1800, cid) for cid, _, _ in revoked])
con.executemany("INSERT INTO audit(at, actor, action, user, detail) VALUES (?, 'bench', 'revoke', ?, ?)",
                [(now - 1800, name, "serial %s, reason superseded" % serial) for _, name, serial in revoked])
con.commit()
PY
	sqlite3 "$home/certdesk.db" 'ALTER TABLE audit DROP COLUMN hash; PRAGMA user_version = 5'
	t0=$(now_ms)
	"$bin" --home "$home" config crl.remote "$remote" >/dev/null
	echo "migration 5 -> 6 (chaining $(sqlite3 "$home/certdesk.db" 'SELECT count(*) FROM audit') audit rows), with config: $(($(now_ms) - t0)) ms"
	git init -q --bare -b main "$remote"
	t0=$(now_ms)
	"$bin" --home "$home" publish >/dev/null
	echo "publish of the first CRL ($(sqlite3 "$home/certdesk.db" 'SELECT count(*) FROM certs WHERE published_at IS NOT NULL') revocations): $(($(now_ms) - t0)) ms"
fi

# best NAME CMD...: the fastest of RUNS runs; CMD must exit 0.
best() {
	name=$1
	shift
	b=999999
	i=0
	while [ $i -lt "$runs" ]; do
		t0=$(now_ms)
		"$@" >"$dir/out" 2>&1 || { echo "$name failed:" >&2; cat "$dir/out" >&2; exit 1; }
		t=$(($(now_ms) - t0))
		[ $t -lt $b ] && b=$t
		i=$((i + 1))
	done
	echo "$name: best of $runs: $b ms ($(tail -1 "$dir/out"))"
}

best "verify" "$bin" --home "$home" verify
best "verify --read-only" "$bin" --home "$home" --read-only verify
best "log --verify" "$bin" --home "$home" log --verify
echo "peak RSS of verify: $(/usr/bin/time -f %M "$bin" --home "$home" verify 2>&1 >/dev/null | tail -1) KB"
