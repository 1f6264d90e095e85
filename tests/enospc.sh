#!/bin/sh
# enospc.sh: certdesk on a full disk.  As root, the home, the output directory and the
# CRL remote (a local bare repository, so that a push can run out of space on either
# side) go on a small tmpfs, filled up with a filler file.  Each of create, renew,
# revoke, publish and crl --out is then tried with 0 bytes free, then 4K, 8K and so on
# until it succeeds, so that the disk fills up at every point of its work in turn; the
# first publish of a home, which clones the CRL repository, is swept the same way
# (ENOSPC_PROBE=1: in homes that rotate canary certificates at each publish).
# After each try the filler is removed and:
#   - a failure was one line on stderr (besides warnings of what was repaired) and an
#     exit status below 128;
#   - list works and the database passes integrity_check;
#   - a failed command left nothing behind: no user, certificate, revocation or file;
#     a successful one did all it says;
#   - every revocation the database calls published is in the remote's CRL, which
#     verifies against the CA (after a successful publish: exactly those).
# At the end every .p12 opens with its password.  Without root, or where no tmpfs can be
# mounted, it is skipped and counts nothing.  Ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

BIN=${CERTDESK_BIN:-./certdesk}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
export LC_ALL=C

skip() {
	echo "skipped: $1"
	echo "0 passed, 0 failed"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "not root: mounting a small tmpfs needs root"
for tool in openssl sqlite3 git dd truncate; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done
T=$(mktemp -d "${TMPDIR:-/tmp}/certdesk-enospc.XXXXXX") || exit 1
mnt=$T/mnt
cleanup() {
	umount "$mnt" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
mkdir "$mnt"
mount -t tmpfs -o size=16m,mode=0755 certdesk-enospc "$mnt" 2>"$T/mount.err" ||
	skip "cannot mount a tmpfs: $(head -n 1 "$T/mount.err")"

out=$mnt/out
filler=$mnt/filler
step=4096
max_free=524288

cdk() { "$BIN" --home "$home" "$@"; }
q() { sqlite3 "$home/certdesk.db" "$1"; }
new_user() { cdk create "$1" --name "User $1" --email "$1@example.org" --out "$out"; }
current_serial() {
	q "SELECT c.serial FROM users u JOIN certs c ON c.id = u.cert_id WHERE u.name = '$1'"
}

# A home publishing to a new remote, with user $1 whose revocation is ready.
new_home() {
	git init -q --bare "$remote" &&
		cdk init --cn "ENOSPC Test CA" --crl-remote "$remote" >/dev/null &&
		{ [ -z "${ENOSPC_PROBE:-}" ] || cdk config probe.enabled on >/dev/null; } &&
		new_user "$1" >/dev/null && cdk revoke "$1" >/dev/null
}

# Leaves $1 bytes free: fills the tmpfs to the last byte, then gives $1 bytes back.
fill_to() {
	rm -f "$filler"
	dd if=/dev/zero of="$filler" bs=64k 2>/dev/null
	[ "$1" -eq 0 ] || truncate -s "-$1" "$filler"
}

# sweep WHAT CHECK CMD...: CMD with 0, 4K, 8K... bytes free until it succeeds.  After
# each try, with space again, `tried CHECK` judges it.  Sets rc.
sweep() {
	what=$1
	check=$2
	shift 2
	free=0
	while [ "$free" -le "$max_free" ]; do
		fill_to "$free"
		"$@" >"$T/stdout" 2>"$T/stderr"
		rc=$?
		rm -f "$filler"
		said=$(head -n 1 "$T/stderr" | sed "s|$mnt/||g" | cut -c 1-100)
		ok "$what with $free bytes free: exit $rc${said:+, $said}" tried "$check"
		[ "$rc" -eq 0 ] && return 0
		free=$((free + step))
	done
	ok "$what succeeds with at most $max_free bytes free" false
}

# What holds after any try: a clean failure, a readable home, an intact database, and
# the check of the command (given the exit status).
tried() {
	if [ "$rc" -ne 0 ]; then
		cat "$T/stderr"
		[ "$rc" -lt 128 ] || { echo "killed by signal $((rc - 128))"; return 1; }
		# What certdesk repaired on the way is a warning line of its own; the
		# failure itself is one line.
		[ "$(grep -vc '^certdesk: warning: ' "$T/stderr")" -eq 1 ] &&
			[ "$(wc -c <"$T/stderr")" -gt 1 ] ||
			{ echo "not one line on stderr"; return 1; }
	fi
	cdk list --all >/dev/null || { echo "list fails afterwards"; return 1; }
	[ "$(q 'PRAGMA integrity_check')" = ok ] || { echo "integrity_check fails"; return 1; }
	no_stray_files && "$1"
}

# Every file in the output directory is a .p12 with its .pw, or the reverse, or a CRL.
no_stray_files() {
	for f in "$out"/*; do
		case $f in
		*.p12) [ -f "${f%.p12}.pw" ] || { echo "$f has no .pw"; return 1; } ;;
		*.pw) [ -f "${f%.pw}.p12" ] || { echo "$f has no .p12"; return 1; } ;;
		*.pem | *"/*") ;;
		*) echo "stray file $f"; return 1 ;;
		esac
	done
}

# The serials of the remote's CRL (which must verify) and of the database's published
# revocations, in $T/crl.serials and $T/db.serials.
published_serials() {
	: >"$T/crl.serials"
	if git --git-dir="$remote" rev-parse -q --verify main >/dev/null; then
		git --git-dir="$remote" show main:crl.pem >"$T/crl.pem" || return 1
		openssl crl -in "$T/crl.pem" -noout -verify -CAfile "$home/ca/ca.crt" 2>&1 |
			grep -q '^verify OK' || { echo "the remote's CRL does not verify"; return 1; }
		openssl crl -in "$T/crl.pem" -noout -text | sed -n 's/^ *Serial Number: *//p' |
			sort >"$T/crl.serials"
	fi
	# With ENOSPC_PROBE=1, the canaries' revocations are published ones too.
	q "SELECT serial FROM certs WHERE published_at IS NOT NULL UNION ALL SELECT serial FROM
	   canaries WHERE revoked_at IS NOT NULL AND dropped_at IS NULL" | sort >"$T/db.serials"
}

# ---- what each command must have done: all of it (exit 0) or nothing ----

create_done() {
	n=$(q "SELECT count(*) FROM users WHERE name = '$user'")
	if [ "$rc" -eq 0 ]; then
		[ "$n" = 1 ] && [ -f "$out/$user.p12" ] || { echo "no user or no file"; return 1; }
	else
		[ "$n" = 0 ] || { echo "a user $user is left"; return 1; }
		[ ! -e "$out/$user.p12" ] && [ ! -e "$out/$user.pw" ] ||
			{ echo "files of $user are left"; return 1; }
	fi
}

renew_done() {
	now=$(current_serial "$user")
	files=$(ls "$out/$user"-*.p12 2>/dev/null | wc -l)
	if [ "$rc" -eq 0 ]; then
		[ "$now" != "$serial_before" ] && [ "$files" = 1 ] || { echo "not renewed"; return 1; }
	else
		[ "$now" = "$serial_before" ] && [ "$files" = 0 ] ||
			{ echo "half renewed: serial $now, $files new file(s)"; return 1; }
	fi
}

revoke_done() {
	n=$(q "SELECT count(*) FROM users u JOIN certs c ON c.id = u.cert_id
	       WHERE u.name = '$user' AND c.revoke_at IS NOT NULL")
	[ "$n" = "$([ "$rc" -eq 0 ] && echo 1 || echo 0)" ] ||
		{ echo "revoke_at is set on $n certificate(s) of $user after exit $rc"; return 1; }
}

# A failed publish may have pushed without recording it (the next one records it), but
# the remote never lacks a revocation the database calls published.
publish_done() {
	published_serials || return 1
	if [ "$rc" -eq 0 ]; then
		diff "$T/db.serials" "$T/crl.serials"
	else
		[ -z "$(comm -23 "$T/db.serials" "$T/crl.serials")" ] ||
			{ echo "published but not in the remote's CRL:"; comm -23 "$T/db.serials" \
				"$T/crl.serials"; return 1; }
	fi
}

crl_done() {
	if [ "$rc" -eq 0 ]; then
		openssl crl -in "$out/crl.pem" -noout -verify -CAfile "$home/ca/ca.crt"
	else
		[ ! -e "$out/crl.pem" ] || { echo "a failed crl --out left $out/crl.pem"; return 1; }
	fi
}

# ---- the sweeps ----

# The first publish of a home clones the CRL repository into it.
first_publish() {
	home=$mnt/first
	remote=$mnt/first.git
	if new_home early >"$T/setup.log" 2>&1; then
		sweep "first publish" publish_done cdk publish
	else
		ok "a home for the first publish" sh -c "cat '$T/setup.log'; false"
	fi
}

# One of each command, in a home that has published before; r names the round.
round() {
	r=$1
	user=new$r
	sweep "create" create_done new_user "$user"
	user=ren$r
	serial_before=$(current_serial "$user")
	sweep "renew" renew_done cdk renew "$user" --out "$out"
	user=rev$r
	sweep "revoke" revoke_done cdk revoke "$user"
	sweep "publish" publish_done cdk publish
	rm -f "$out/crl.pem"
	sweep "crl --out" crl_done cdk crl --out "$out/crl.pem"
}

setup() {
	new_home first && cdk publish >/dev/null || return 1
	for r in 1 2; do
		for u in ren rev; do
			new_user "$u$r" >/dev/null || return 1
		done
	done
}

mkdir "$out"
first_publish
home=$mnt/home
remote=$mnt/remote.git
if setup >"$T/setup.log" 2>&1; then
	# The second round starts with a larger write-ahead log: other points fail.
	round 1
	round 2
	for p12 in "$out"/*.p12; do
		ok "$(basename "$p12") opens with its password" openssl pkcs12 -info -noout \
			-in "$p12" -passin "file:${p12%.p12}.pw"
	done
else
	ok "a home on the tmpfs" sh -c "cat '$T/setup.log'; false"
fi
finish
