#!/bin/sh
# bench/publish.sh: `certdesk publish` of 1,000 ready revocations in one run: 1,000 CRLs
# signed (each holding every revocation so far), 1,000 commits, one push to a local bare
# repository, and the database records. Target: 1.2 times the floor or less.
#
# The floor, timed in the same run: git itself making the same commits, `git fast-import`
# of the certdesk run's history (`git fast-export`: the same CRL files, messages, authors
# and dates, so the same commit ids) into a fresh clone of an empty bare repository, then
# `git push` to a fresh bare repository. Runs alternate between the two.
#
# The home is made once (kept in $PUBLISH_BENCH_DIR) at the SQL level: `certdesk init`,
# then 1,000 users, each with last year's certificate scheduled for revocation and this
# year's replacement applied, as the renewal month leaves them. Serials are random
# 128-bit numbers like certdesk's own; no PEM is needed to publish a revocation.
#   CERTDESK           the binary (default ./certdesk)
#   PUBLISH_BENCH_N    revocations (default 1000)
#   PUBLISH_BENCH_DIR  cache (default $TMPDIR/certdesk-bench-publish)
#   PUBLISH_BENCH_RUNS timed runs of each, certdesk on a fresh copy (default 5)
set -eu
cd "$(dirname "$0")/.."
bin=$(realpath "${CERTDESK:-./certdesk}")
n=${PUBLISH_BENCH_N:-1000}
dir=${PUBLISH_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-publish}
runs=${PUBLISH_BENCH_RUNS:-5}
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

# Seconds (wall) that the command "$@" takes, its output going to the file $1.
timed() {
	out=$1
	shift
	start=$(date +%s.%N)
	"$@" >"$out"
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}

floor_run() {
	git -C "$1/clone" fast-import --quiet <"$1/stream"
	git -C "$1/clone" push -q "$1/floor.git" main
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

run=$dir/run
times=$dir/times-certdesk
ftimes=$dir/times-floor
: >"$times"
: >"$ftimes"
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	rm -rf "$run"
	mkdir -p "$run"
	cp -a "$tmpl" "$run/home"
	git init -q --bare -b main "$run/remote.git"
	"$bin" --home "$run/home" config crl.remote "$run/remote.git" >/dev/null
	t=$(timed "$run/out.txt" "$bin" --home "$run/home" publish)
	# The judges: git counts the commits of the CRL and checks the repository, openssl
	# the CRL's entries and its signature, the database the published revocations.
	commits=$(git -C "$run/remote.git" rev-list --count main -- crl.pem)
	git -C "$run/remote.git" fsck --strict --no-dangling 2>&1 | grep . >&2 &&
		{ echo "git fsck: the remote is not clean" >&2; exit 1; }
	git -C "$run/remote.git" show main:crl.pem >"$run/crl.pem"
	entries=$(openssl crl -in "$run/crl.pem" -noout -text | grep -c "Serial Number:")
	openssl crl -in "$run/crl.pem" -CAfile "$run/home/ca/ca.crt" -noout -verify 2>&1 |
		grep -q "verify OK"
	revoked=$(sqlite3 "$run/home/certdesk.db" \
		"SELECT count(*) FROM certs WHERE published_at IS NOT NULL")
	if [ "$commits" != "$n" ] || [ "$entries" != "$n" ] || [ "$revoked" != "$n" ]; then
		echo "wrong result: $commits commits, $entries CRL entries, $revoked revoked" >&2
		exit 1
	fi
	echo "$t" >>"$times"
	tip=$(git -C "$run/remote.git" rev-parse main)
	git -C "$run/remote.git" fast-export --reencode=no main >"$run/stream"
	git init -q --bare -b main "$run/empty.git"
	git clone -q "$run/empty.git" "$run/clone" 2>/dev/null
	git init -q --bare -b main "$run/floor.git"
	ft=$(timed /dev/null floor_run "$run")
	if [ "$(git -C "$run/floor.git" rev-parse main)" != "$tip" ]; then
		echo "the floor made other commits than certdesk" >&2
		exit 1
	fi
	echo "$ft" >>"$ftimes"
	echo "run $i: certdesk ${t}s ($commits commits, $entries entries), floor ${ft}s"
done
med=$(median <"$times")
fmed=$(median <"$ftimes")
echo "median of $runs: certdesk ${med}s, floor (git fast-import + git push) ${fmed}s," \
	"ratio $(echo "scale=2; $med / $fmed" | bc) (target: 1.2 or less)"
