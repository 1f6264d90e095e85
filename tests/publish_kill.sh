#!/bin/sh
# kill -9 at random points of `certdesk publish`: a home with about 200 ready revocations
# (and some held ones) against a local bare repository, killed at least $PUBLISH_KILLS
# times (30 by default; about 25 s, in the sanitizer build too; PUBLISH_KILL_PROBE=1: with
# canary certificates, probe.enabled on): after a random delay,
# right after the remote's main branch moved (and a little later), and while a publish
# that has no clone yet creates it. Every run that was not killed must succeed, and
# after one more publish the remote's CRL is what the database says is published, CRL
# numbers only grow, no revocation is committed twice, and openssl verifies the CRL.
# Ends with one line "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

bin=${CERTDESK_BIN:-$PWD/certdesk}
want=${PUBLISH_KILLS:-30}
T=$(mktemp -d "${TMPDIR:-/tmp}/certdesk-publish-kill.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
home=$T/home
remote=$T/remote.git
cd_() { "$bin" --home "$home" "$@"; }

# rand N: a number in 0..N-1 (dash has no $RANDOM).
rand() { echo $(($(od -An -N4 -tu4 /dev/urandom) % $1)); }

setup() {
	mkdir -p "$T/out/new" &&
		git init -q --bare -b main "$remote" &&
		cd_ init --cn "Kill CA" >/dev/null &&
		cd_ config crl.remote "$remote" >/dev/null || return 1
	if [ -n "${PUBLISH_KILL_PROBE:-}" ]; then cd_ config probe.enabled on >/dev/null || return 1; fi
	i=1
	while [ $i -le 200 ]; do
		cd_ create "u$i" --name "User $i" --email "u$i@example.org" --out "$T/out" \
			>/dev/null || return 1
		i=$((i + 1))
	done
	# Ten renewals nobody applied: held, so the review branch has something to list.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		cd_ renew "u$i" --out "$T/out/new" >/dev/null || return 1
	done
	next_user=11
	revoke_more 100
}

# revoke_more N: N more plain revocations, ready at once.
revoke_more() {
	k=0
	while [ $k -lt "$1" ] && [ $next_user -le 200 ]; do
		cd_ revoke "u$next_user" >/dev/null || return 1
		next_user=$((next_user + 1))
		k=$((k + 1))
	done
}

# wait_ref FILE PID: returns once FILE's content changed, or PID is gone.
wait_ref() {
	before=$(cat "$1" 2>/dev/null)
	while kill -0 "$2" 2>/dev/null; do
		now=
		{ read -r now <"$1"; } 2>/dev/null
		[ "$now" != "$before" ] && return 0
	done
	return 1
}

# round N: one publish, killed the way N selects; counts kills, and the runs that failed.
round() {
	mode=$(($1 % 4))
	[ $mode -eq 3 ] && rm -rf "$home/crl.git"
	# Not through cd_: a function in the background is a subshell, and killing that
	# would leave certdesk running.
	"$bin" --home "$home" publish >"$T/out.txt" 2>"$T/err.txt" &
	pid=$!
	case $mode in
	0) sleep "0.0$(printf %02d "$(rand 80)")" ;;
	1) wait_ref "$remote/refs/heads/main" $pid ;;
	2) wait_ref "$remote/refs/heads/main" $pid && sleep "0.00$(rand 10)" ;;
	3) sleep "0.0$(printf %02d "$(rand 40)")" ;;
	esac
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null # not the shell's "Killed"
	st=$?
	if [ $st -eq 137 ]; then
		kills=$((kills + 1))
		modes="$modes $mode"
	elif [ $st -ne 0 ]; then
		failed_runs=$((failed_runs + 1))
		echo "    round $1 (mode $mode): publish exited $st: $(cat "$T/err.txt")"
	fi
}

# Not through ok, which runs its command in a subshell: setup sets next_user.
setup >"$T/setup.txt" 2>&1
ok "a home with 190 ready and 10 held revocations" test $? -eq 0
kills=0
failed_runs=0
modes=
n=0
while [ $kills -lt "$want" ] && [ $n -lt $((want * 3)) ]; do
	revoke_more 2
	round $n
	n=$((n + 1))
done
echo "    ($kills kills in $n runs; kills by mode:$(printf '%s\n' $modes | sort | uniq -c |
	awk '{printf " %s:%s", $2, $1}'))"
ok "at least $want runs killed" test $kills -ge "$want"
ok "every run that was not killed succeeded" test $failed_runs -eq 0
revoke_more 200
ok "one more publish succeeds" cd_ publish

db() { sqlite3 "$home/certdesk.db" "$1"; }
git -C "$remote" show main:crl.pem >"$T/crl.pem"
crl_serials() { openssl crl -in "$1" -noout -text | sed -n 's/^ *Serial Number: //p' | sort; }
crl_serials "$T/crl.pem" >"$T/remote.serials"
db "SELECT serial FROM certs WHERE published_at IS NOT NULL" | sort >"$T/db.serials"
# The canaries' revocations, kept apart (they are in the CRL with probing configured).
db "SELECT serial FROM canaries WHERE revoked_at IS NOT NULL AND dropped_at IS NULL" 2>/dev/null |
	sort >"$T/canary.serials"
comm -23 "$T/remote.serials" "$T/canary.serials" >"$T/users.serials"
db "SELECT c.serial FROM certs c JOIN users u ON u.id = c.user_id WHERE c.revoke_at IS NOT NULL
	AND CAST(substr(u.name, 2) AS INTEGER) > 10" | sort >"$T/ready.serials"

ok "openssl verifies the remote's CRL with the CA certificate" sh -c \
	"openssl crl -in '$T/crl.pem' -CAfile '$home/ca/ca.crt' -noout -verify 2>&1 | grep -q 'verify OK'"
ok "the remote's CRL is what the database says is published" cmp "$T/users.serials" "$T/db.serials"
ok "verify agrees" "$bin" --home "$home" verify
ok "every ready revocation is published (190)" sh -c \
	"test \$(wc -l <'$T/db.serials') -eq 190 && cmp '$T/db.serials' '$T/ready.serials'"
ok "the database's last CRL is the remote's tip" test \
	"$(db "SELECT commit_id FROM crls WHERE published_at IS NOT NULL ORDER BY number DESC LIMIT 1")" = \
	"$(git -C "$remote" rev-parse main)"
ok "certdesk crl prints the remote's CRL" sh -c "'$bin' --home '$home' crl | cmp - '$T/crl.pem'"

# CRL numbers along main, oldest first: each one higher than the one before.
numbers_grow() {
	last=-1
	for c in $(git -C "$remote" rev-list --reverse main -- crl.pem); do
		hex=$(git -C "$remote" show "$c:crl.pem" | openssl crl -noout -crlnumber | sed 's/.*=0x//')
		num=$(printf '%d' "0x$hex")
		if [ "$num" -le "$last" ]; then
			echo "commit $c: CRL Number $num after $last"
			return 1
		fi
		last=$num
	done
}
ok "CRL numbers only grow along main" numbers_grow
ok "each CRL Number names one CRL, on every branch" sh -c "
	cd '$remote' && for c in \$(git rev-list --all); do
		b=\$(git rev-parse -q --verify \$c:crl.pem) &&
		echo \"\$(git cat-file blob \$b | openssl crl -noout -crlnumber) \$b\"
	done | sort -u | cut -d' ' -f1 | uniq -d | grep -q . && exit 1 || exit 0"
git -C "$remote" log --format=%s main | sed -n 's/^Revoke client certificate of //p' | sort >"$T/subjects"
ok "no revocation committed twice" test -z "$(uniq -d "$T/subjects")"
ok "one commit per published revocation" test "$(wc -l <"$T/subjects")" -eq 190
held_listed() {
	for i in 1 2 3 4 5 6 7 8 9 10; do
		s=$(db "SELECT serial FROM certs c JOIN users u ON u.id = c.user_id WHERE
			u.name = 'u$i' AND c.revoke_at IS NOT NULL")
		git -C "$remote" show certdesk/pending:crl.pem.pending.txt | grep -q "^$s " || return 1
		grep -q "^$s\$" "$T/remote.serials" && return 1
	done
	return 0
}
ok "the held revocations are listed for review, not revoked" held_listed
canary_files() {
	for f in "$home"/ca/canary/*.crt; do
		[ -e "$f" ] || continue
		s=$(basename "$f" .crt)
		[ "$(db "SELECT count(*) FROM canaries WHERE serial = '$s'")" = 1 ] || return 1
	done
	return 0
}
ok "no canary file without its row" canary_files
ok "no lock file is left in the clone" test -z "$(find "$home/crl.git" -name '*.lock')"

# A home's first publish killed right after its push, before it recorded anything, then
# `certdesk crl` (which signs a CRL of its own when none is recorded), then publish: no
# CRL Number ever names two different CRLs, among those pushed and those crl printed.
# entries CRL: how many serials it revokes.
entries() { openssl crl -in "$1" -noout -text | grep -c 'Serial Number:'; }
# number_of CRL: its CRL Number and a digest of the CRL.
number_of() {
	echo "$(openssl crl -in "$1" -noout -crlnumber) $(openssl crl -in "$1" -outform DER | md5sum)"
}
first_kill() {
	h=$T/first$1
	r=$T/first$1.git
	git init -q --bare -b main "$r" && "$bin" --home "$h" init --cn "Kill CA" >/dev/null &&
		"$bin" --home "$h" config crl.remote "$r" >/dev/null &&
		mkdir -p "$h.out" && "$bin" --home "$h" create a --name A --email a@example.org --out "$h.out" \
			>/dev/null && "$bin" --home "$h" revoke a >/dev/null || return 1
	"$bin" --home "$h" publish >/dev/null 2>&1 &
	pid=$!
	wait_ref "$r/refs/heads/main" $pid
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	"$bin" --home "$h" crl >"$T/first$1.crl.pem" 2>/dev/null
	# What crl printed (if it printed anything) revokes at least what was pushed: a CRL
	# with a higher number and fewer entries would lift them where it is deployed.
	if [ -s "$T/first$1.crl.pem" ] && git -C "$r" show main:crl.pem >"$T/c.pem" 2>/dev/null &&
		[ "$(entries "$T/first$1.crl.pem")" -lt "$(entries "$T/c.pem")" ]; then
		echo "crl printed $(entries "$T/first$1.crl.pem") entries, main has $(entries "$T/c.pem")"
		return 1
	fi
	"$bin" --home "$h" publish >/dev/null 2>&1 || return 1
	for c in $(git -C "$r" rev-list --all); do
		git -C "$r" show "$c:crl.pem" >"$T/c.pem" 2>/dev/null && number_of "$T/c.pem"
	done >"$T/first$1.numbers"
	[ -s "$T/first$1.crl.pem" ] && number_of "$T/first$1.crl.pem" >>"$T/first$1.numbers"
	test -z "$(sort -u "$T/first$1.numbers" | cut -d' ' -f1 | uniq -d)"
}
for i in 1 2 3 4 5; do
	ok "first publish killed after its push, then crl, then publish ($i): one CRL per number" first_kill $i
done
finish
