#!/bin/sh
# bench/publish.sh: `certdesk publish` of 1,000 ready revocations in one run: 1,000 CRLs
# signed (each holding every revocation so far), 1,000 commits, one push to a local bare
# repository, and the database records. Target: 5 s or less.
#
# The home is made once (kept in $PUBLISH_BENCH_DIR) at the SQL level: `certdesk init`,
# then 1,000 users, each with last year's certificate scheduled for revocation and this
# year's replacement applied, as the renewal month leaves them. Serials are random
# 128-bit numbers like certdesk's own; no PEM is needed to publish a revocation.
#   CERTDESK           the binary (default ./certdesk)
#   PUBLISH_BENCH_N    revocations (default 1000)
#   PUBLISH_BENCH_DIR  cache (default $TMPDIR/certdesk-bench-publish)
#   PUBLISH_BENCH_RUNS timed runs, each on a fresh copy (default 3)
set -eu
cd "$(dirname "$0")/.."
bin=$(realpath "${CERTDESK:-./certdesk}")
n=${PUBLISH_BENCH_N:-1000}
dir=${PUBLISH_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-publish}
runs=${PUBLISH_BENCH_RUNS:-3}
tmpl=$dir/home-$n

if [ ! -s "$tmpl/certdesk.db" ]; then
	rm -rf "$tmpl"
	mkdir -p "$dir"
	"$bin" --home "$tmpl" init --cn "Bench CA" >/dev/null
	python3 - "$tmpl/certdesk.db" "$n" <<'PY'
import random, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1000)
now = int(time.time())
year = 365 * 86400
con = sqlite3.connect(db)
cur = con.cursor()
def serial():
    return "%032X" % (rnd.getrandbits(128) & ((1 << 127) - 1) | (1 << 120))
for i in range(n):
    user = "user%04d" % i
    cur.execute("INSERT INTO users(name, full_name, email, created_at) VALUES (?,?,?,?)",
                (user, "User %d" % i, user + "@example.org", now - year))
    uid = cur.lastrowid
    old_end = now + 10 * 86400
    cur.execute("INSERT INTO certs(user_id, serial, state, subject, key_type, not_before, "
                "not_after, issued_at, task, notified_at, revoke_at, revoke_reason) "
                "VALUES (?,?,'issued',?,'ec',?,?,?,?,?,?,4)",
                (uid, serial(), "CN=" + user, old_end - year, old_end, old_end - year,
                 "T%d" % (100000 + i), now - 5 * 86400, now - 86400 + i))
    old = cur.lastrowid
    cur.execute("INSERT INTO certs(user_id, serial, state, subject, key_type, not_before, "
                "not_after, issued_at, replaces, applied_at, applied_via) "
                "VALUES (?,?,'issued',?,'ec',?,?,?,?,?,'operator')",
                (uid, serial(), "CN=" + user, now - 86400, now + year, now - 86400, old,
                 now - 3600))
    cur.execute("UPDATE users SET cert_id = ? WHERE id = ?", (cur.lastrowid, uid))
con.commit()
PY
fi

best=
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	run=$dir/run
	rm -rf "$run"
	mkdir -p "$run"
	cp -a "$tmpl" "$run/home"
	git init -q --bare -b main "$run/remote.git"
	"$bin" --home "$run/home" config crl.remote "$run/remote.git" >/dev/null
	start=$(date +%s.%N)
	"$bin" --home "$run/home" publish >"$run/out.txt"
	end=$(date +%s.%N)
	t=$(echo "$end - $start" | bc)
	# The judges: git counts the commits, openssl the CRL's entries and its signature.
	commits=$(git -C "$run/remote.git" rev-list --count main)
	git -C "$run/remote.git" show main:crl.pem >"$run/crl.pem"
	entries=$(openssl crl -in "$run/crl.pem" -noout -text | grep -c "Serial Number:")
	openssl crl -in "$run/crl.pem" -CAfile "$run/home/ca/ca.crt" -noout -verify 2>&1 |
		grep -q "verify OK"
	revoked=$("$bin" --home "$run/home" --format tsv list --all | grep -c revoked || true)
	if [ "$commits" != "$n" ] || [ "$entries" != "$n" ] || [ "$revoked" != "$n" ]; then
		echo "wrong result: $commits commits, $entries CRL entries, $revoked revoked" >&2
		exit 1
	fi
	echo "run $i: $n revocations published in ${t}s ($commits commits, $entries entries)"
	if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
done
echo "best: ${best}s for $n revocations (target: 5 s)"
