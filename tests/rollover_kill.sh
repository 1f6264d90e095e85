#!/bin/sh
# kill -9 at random points of `certdesk ca rollover`, $ROLLOVER_KILLS times (20 by
# default): after each, the next command finishes or undoes what the killed one left, and
# then the issuing CA's key matches its certificate, every older CA in ca/prev/ has its
# key and certificate (matching), none of them is the issuing CA, no staging directory is
# left, and `certdesk verify` finds the home consistent. Ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

bin=${CERTDESK_BIN:-$PWD/certdesk}
want=${ROLLOVER_KILLS:-20}
T=$(mktemp -d "${TMPDIR:-/tmp}/certdesk-rollover-kill.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
home=$T/home
cd_() { "$bin" --home "$home" "$@"; }

# rand N: a number in 0..N-1 (dash has no $RANDOM).
rand() { echo $(($(od -An -N4 -tu4 /dev/urandom) % $1)); }

# same_key DIR: DIR/ca.key is the key of DIR/ca.crt.
same_key() {
	a=$(openssl pkey -in "$1/ca.key" -pubout 2>/dev/null) &&
		b=$(openssl x509 -in "$1/ca.crt" -noout -pubkey 2>/dev/null) &&
		[ -n "$a" ] && [ "$a" = "$b" ]
}

consistent() {
	cd_ list >/dev/null || return 1 # any command finishes or undoes the rollover first
	[ ! -e "$home/ca/next" ] || { echo "ca/next left"; return 1; }
	same_key "$home/ca" || { echo "the issuing key does not match"; return 1; }
	active=$(openssl x509 -in "$home/ca/ca.crt" -noout -ext subjectKeyIdentifier | tail -1 |
		tr -d ' :')
	for d in "$home"/ca/prev/*; do
		[ -d "$d" ] || continue
		same_key "$d" || { echo "$d: key and certificate do not match"; return 1; }
		[ "$(basename "$d")" != "$active" ] || { echo "the issuing CA is in prev/"; return 1; }
	done
	cd_ verify >/dev/null
}

cd_ init --cn "Kill CA" >/dev/null
cd_ create ann --name Ann --email ann@example.org --out "$T" >/dev/null
kills=0
i=0
while [ $kills -lt "$want" ] && [ $i -lt $((want * 4)) ]; do
	i=$((i + 1))
	# the binary itself, not a function: kill must reach certdesk, not a subshell
	"$bin" --home "$home" ca rollover --cn "Kill CA $i" >/dev/null 2>&1 &
	pid=$!
	# Random points over the few milliseconds a rollover takes (key, links, renames).
	sleep "0.00$(rand 10)$(rand 10)"
	if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
	wait $pid 2>/dev/null
	ok "consistent after kill $i" consistent
done
ok "killed at least $want times" test $kills -ge "$want"
# After all that, the home still rolls over, issues from the new CA and publishes.
ok "a rollover after the kills" cd_ ca rollover --cn "Final CA"
ok "issues from the new CA" cd_ create bea --name Bea --email bea@example.org --out "$T"
ok "bea's certificate verifies with the new CA certificate" sh -c \
	"sqlite3 '$home/certdesk.db' \"SELECT p.pem FROM cert_pem p JOIN users u ON u.cert_id = p.cert_id WHERE u.name = 'bea'\" | openssl verify -CAfile '$home/ca/ca.crt'"
finish
