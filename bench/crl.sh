#!/bin/sh
# bench/crl.sh: signing a CRL of 100,000 revoked entries, `certdesk crl` against
# `openssl ca -gencrl` on an index.txt holding the same entries, timed side by side with
# the same CA key. Target: certdesk within 1.2 times openssl's time.
#
# The home is made once (kept in $CRL_BENCH_DIR): `certdesk init`, then, at the SQL level,
# N users each with one certificate whose revocation is published (reason superseded).
# Nothing is published to git, so `certdesk crl` signs a fresh CRL of them: it reads the
# database, builds, sorts, signs and writes the CRL, as `openssl ca` reads index.txt.
#   CERTDESK        the binary (default ./certdesk)
#   CRL_BENCH_N     entries (default 100000)
#   CRL_BENCH_DIR   cache (default $TMPDIR/certdesk-bench-crl)
#   CRL_BENCH_RUNS  timed runs of each, the best is reported (default 3)
set -eu
cd "$(dirname "$0")/.."
bin=$(realpath "${CERTDESK:-./certdesk}")
n=${CRL_BENCH_N:-100000}
dir=${CRL_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-crl}
runs=${CRL_BENCH_RUNS:-3}
home=$dir/home-$n
ossl=$dir/openssl-$n

if [ ! -s "$home/certdesk.db" ] || [ ! -s "$ossl/index.txt" ]; then
	rm -rf "$home" "$ossl"
	mkdir -p "$dir" "$ossl"
	"$bin" --home "$home" init --cn "Bench CA" >/dev/null
	python3 - "$home/certdesk.db" "$n" "$ossl/index.txt" <<'PY'
import random, sqlite3, sys, time
db, n, index = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(100000)
now = int(time.time())
year = 365 * 86400
con = sqlite3.connect(db)
cur = con.cursor()
def utc(t):
    return time.strftime("%y%m%d%H%M%SZ", time.gmtime(t))
with open(index, "w") as idx:
    for i in range(n):
        user = "user%06d" % i
        serial = "%032X" % (rnd.getrandbits(128) & ((1 << 127) - 1) | (1 << 120))
        end = now + rnd.randrange(year)
        revoked = now - rnd.randrange(year)
        cur.execute("INSERT INTO users(name, full_name, email, created_at) VALUES (?,?,?,?)",
                    (user, "User %d" % i, user + "@example.org", end - year))
        uid = cur.lastrowid
        cur.execute("INSERT INTO certs(user_id, serial, state, subject, key_type, not_before, "
                    "not_after, issued_at, revoke_at, revoke_reason, published_at, "
                    "publish_commit) VALUES (?,?,'issued',?,'ec',?,?,?,?,4,?,NULL)",
                    (uid, serial, "CN=" + user, end - year, end, end - year, revoked, revoked))
        cur.execute("UPDATE users SET cert_id = ? WHERE id = ?", (cur.lastrowid, uid))
        idx.write("R\t%s\t%s,superseded\t%s\tunknown\t/CN=%s\n" % (utc(end), utc(revoked),
                                                                 serial, user))
con.commit()
PY
	cat >"$ossl/ca.cnf" <<EOF
[ ca ]
default_ca = bench
[ bench ]
database = $ossl/index.txt
crlnumber = $ossl/crlnumber
certificate = $home/ca/ca.crt
private_key = $home/ca/ca.key
default_md = sha256
default_crl_days = 30
crl_extensions = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
fi

best() { sort -n | head -1; }
: >"$dir/certdesk.times"
: >"$dir/openssl.times"
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	rm -f "$dir/certdesk.crl" "$dir/openssl.crl"
	echo 01 >"$ossl/crlnumber"
	s=$(date +%s.%N)
	"$bin" --home "$home" crl --out "$dir/certdesk.crl" 2>/dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc >>"$dir/certdesk.times"
	s=$(date +%s.%N)
	openssl ca -config "$ossl/ca.cnf" -gencrl -out "$dir/openssl.crl" 2>/dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc >>"$dir/openssl.times"
done

# Both CRLs must verify and hold every entry.
for f in certdesk openssl; do
	openssl crl -in "$dir/$f.crl" -CAfile "$home/ca/ca.crt" -noout -verify 2>&1 |
		grep -q "verify OK"
	k=$(openssl crl -in "$dir/$f.crl" -noout -text | grep -c "Serial Number:")
	[ "$k" = "$n" ] || { echo "$f: $k entries, expected $n" >&2; exit 1; }
done
c=$(best <"$dir/certdesk.times")
o=$(best <"$dir/openssl.times")
printf 'certdesk crl:        %.3f s (best of %d)\nopenssl ca -gencrl:  %.3f s\nratio:               %.2f (target: 1.2 or less)\n' \
	"$c" "$runs" "$o" "$(echo "$c / $o" | bc -l)"
