#!/bin/sh
# The CA key on a PKCS#11 token, with a real SoftHSM2 token made here in a temporary
# directory (SOFTHSM2_CONF): init --pkcs11, create, renew, revoke --now, publish, crl,
# ca renew, ca rollover and ca move-to-token sign through it; what they sign verifies
# with openssl; no CA key file is left; pkcs11-tool shows the keys sensitive and not
# extractable; a wrong PIN, a missing token and a missing module are refused with one
# line and leave the home as it was. Ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

bin=${CERTDESK_BIN:-$PWD/certdesk}
T=$(mktemp -d "${TMPDIR:-/tmp}/certdesk-token.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
mod=/usr/lib/softhsm/libsofthsm2.so
if [ ! -e "$mod" ] || ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null
then
	echo "softhsm2 and opensc (pkcs11-tool) are needed: apt-get install softhsm2 opensc"
	echo "0 passed, 1 failed"
	exit 1
fi
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
softhsm2-util --init-token --free --label certdesk --pin 4711 --so-pin 8080 >/dev/null
softhsm2-util --init-token --free --label other --pin 4711 --so-pin 8080 >/dev/null
# Its own token for the kill test: a kill may leave a half-written object in the store.
softhsm2-util --init-token --free --label killed --pin 4711 --so-pin 8080 >/dev/null
(umask 077; echo 4711 >"$T/pin"; echo 1111 >"$T/badpin")
unset CERTDESK_PASSPHRASE_FILE
home=$T/home
cd_() { "$bin" --home "$home" "$@"; }
uri='pkcs11:token=certdesk;object=ca'

# one_line CMD...: CMD fails with exactly one line on stderr, which is shown.
one_line() {
	"$@" >"$T/out" 2>"$T/err" && return 1
	[ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; return 1; }
	cat "$T/err"
}
# state: a checksum of the database and every file name and byte under ca/.
state() {
	(cd "$home" && find ca -print | sort && find ca -type f | sort | xargs cat && cat certdesk.db) |
		sha256sum
}
unchanged_after() {
	before=$(state)
	one_line "$@" || return 1
	[ "$(state)" = "$before" ] || { echo "the home changed"; return 1; }
}
# keys LABEL: pkcs11-tool's view of the private key of that label, as the test sees it.
keys() {
	pkcs11-tool --module "$mod" --token-label certdesk --login --pin 4711 -O --type privkey \
		2>/dev/null
}
sensitive_not_extractable() {
	keys | awk -v l="$1" '
		/^Private Key Object/ { inkey = 1; mine = 0 }
		inkey && /label:/ { mine = ($2 == l) }
		mine && /Access:/ { found = 1; a = $0 }
		END { if (!found) { print "no private key " l; exit 1 }
		      if (a !~ /sensitive/ || a ~ /(: |, )extractable/) { print a; exit 1 } }'
}
# verify_cert CA_FILE CERT [CRL]: openssl verify, with the CRL checked when given.
verify_cert() {
	if [ -n "$3" ]; then
		openssl verify -CAfile "$1" -crl_check -CRLfile "$3" "$2"
	else
		openssl verify -CAfile "$1" "$2"
	fi
}
p12_cert() { openssl pkcs12 -in "$1.p12" -passin "file:$1.pw" -nokeys -clcerts -out "$2" 2>/dev/null; }

# ---- refusals before there is a home ----
ok "init with a wrong PIN: one line, no home" sh -c '
	! "$1" --home "$2" init --pkcs11 "$3" --pkcs11-module "$4" --passphrase-file "$5" 2>"$6" &&
	[ "$(wc -l <"$6")" -eq 1 ] && grep -q "wrong PIN" "$6" && [ ! -e "$2" ]' _ \
	"$bin" "$home" "$uri" "$mod" "$T/badpin" "$T/err"
ok "init on a missing token: one line, no home" sh -c '
	! "$1" --home "$2" init --pkcs11 "pkcs11:token=nothere" --pkcs11-module "$3" \
		--passphrase-file "$4" 2>"$5" &&
	[ "$(wc -l <"$5")" -eq 1 ] && grep -q "no token .nothere." "$5" && [ ! -e "$2" ]' _ \
	"$bin" "$home" "$mod" "$T/pin" "$T/err"
ok "init with a missing module: one line, no home" sh -c '
	! "$1" --home "$2" init --pkcs11 "$3" --pkcs11-module /nonexistent/p11.so \
		--passphrase-file "$4" 2>"$5" &&
	[ "$(wc -l <"$5")" -eq 1 ] && grep -q "cannot load the PKCS#11 module" "$5" && [ ! -e "$2" ]' _ \
	"$bin" "$home" "$uri" "$T/pin" "$T/err"
ok "a PIN in the URI is refused" one_line cd_ init --pkcs11 "$uri;pin-value=4711" \
	--pkcs11-module "$mod" --passphrase-file "$T/pin"
ok "an unknown URI attribute is refused" one_line cd_ init --pkcs11 "pkcs11:token=certdesk;colour=red" \
	--pkcs11-module "$mod" --passphrase-file "$T/pin"

# ---- init --pkcs11: a key generated on the token ----
ok "init --pkcs11 generates the CA key on the token" sh -c '
	"$@" >"'"$T"'/init.out" && grep -q "generated a new EC P-256 key on the token" \
		"'"$T"'/init.out"' _ \
	"$bin" --home "$home" init --cn "Token CA" --pkcs11 "$uri" --pkcs11-module "$mod" \
	--passphrase-file "$T/pin"
ok "no CA key file in the home" sh -c '[ -z "$(find "$1" -name "*.key")" ]' _ "$home"
ok "the token key is sensitive and not extractable" sensitive_not_extractable ca
ok "the CA certificate is self-signed by the token key" openssl verify -CAfile "$home/ca/ca.crt" \
	"$home/ca/ca.crt"
ok "config shows where the key is" sh -c '"$@" | grep -q "^ca.pkcs11_uri *pkcs11:token=certdesk"' _ \
	"$bin" --home "$home" config
ok "verify needs no PIN and finds the token key matching" cd_ verify

export CERTDESK_PASSPHRASE_FILE="$T/pin"
git init -q --bare "$T/remote.git"
cd_ config crl.remote "$T/remote.git" >/dev/null

# ---- signing commands ----
ok "create signs through the token" cd_ create ann --name Ann --email ann@example.org --out "$T"
p12_cert "$T/ann" "$T/ann.crt"
ok "ann's certificate verifies" verify_cert "$home/ca/ca.crt" "$T/ann.crt"
mkdir -p "$T/b" "$T/f" "$T/p"
ok "create bob" cd_ create bob --name Bob --email bob@example.org --out "$T/b"
p12_cert "$T/b/bob" "$T/bob.crt"
mkdir -p "$T/r"
ok "renew signs through the token" cd_ renew ann --out "$T/r"
p12_cert "$(ls "$T"/r/ann*.p12 | sed 's/\.p12$//')" "$T/ann2.crt"
ok "the renewed certificate verifies" verify_cert "$home/ca/ca.crt" "$T/ann2.crt"
ok "revoke --now publishes the old one's revocation" cd_ revoke ann --now --reason keyCompromise
ok "revoke bob" cd_ revoke bob
ok "publish signs the CRL through the token" cd_ publish
git --git-dir="$T/remote.git" show main:crl.pem >"$T/pub.pem" 2>/dev/null
ok "the published CRL verifies (openssl crl -verify)" sh -c \
	'openssl crl -in "$1" -CAfile "$2" -noout -verify 2>&1 | grep -q "verify OK"' _ \
	"$T/pub.pem" "$home/ca/ca.crt"
ok "openssl verify -crl_check rejects a revoked certificate" sh -c \
	'! openssl verify -CAfile "$1" -crl_check -CRLfile "$2" "$3"' _ \
	"$home/ca/ca.crt" "$T/pub.pem" "$T/bob.crt"
ok "and accepts the renewed one" verify_cert "$home/ca/ca.crt" "$T/ann2.crt" "$T/pub.pem"
ok "crl writes a CRL that verifies" sh -c '"$1" --home "$2" crl --out "$3" &&
	openssl crl -in "$3" -CAfile "$2/ca/ca.crt" -noout -verify 2>&1 | grep -q "verify OK"' _ \
	"$bin" "$home" "$T/crl.pem"

# ---- refusals on a token home: one line, the home unchanged ----
CERTDESK_PASSPHRASE_FILE=$T/badpin
ok "a wrong PIN: create refused, home unchanged" unchanged_after cd_ create cy --name Cy \
	--email cy@example.org --out "$T"
CERTDESK_PASSPHRASE_FILE=$T/pin
cd_ config ca.pkcs11_module /nonexistent/p11.so >/dev/null
ok "a missing module: create refused, home unchanged" unchanged_after cd_ create cy --name Cy \
	--email cy@example.org --out "$T"
ro_verify() {
	"$bin" --home "$home" --read-only verify >"$T/ro.out" 2>&1
	grep -q "read-only view never opens the CA key" "$T/ro.out" &&
		! grep -qi "pkcs11\|module\|PIN" "$T/ro.out" || { cat "$T/ro.out"; return 1; }
}
ok "the read-only view never touches the token (verify, with the module gone)" ro_verify
cd_ config ca.pkcs11_module "$mod" >/dev/null
cd_ config ca.pkcs11_uri "pkcs11:token=missing;object=ca" >/dev/null
ok "a missing token: create refused, home unchanged" unchanged_after cd_ create cy --name Cy \
	--email cy@example.org --out "$T"
cd_ config ca.pkcs11_uri "$uri" >/dev/null
ok "a wrong PIN said as such" sh -c 'CERTDESK_PASSPHRASE_FILE="$1" "$2" --home "$3" create cy \
	--name Cy --email cy@example.org --out "$4" 2>&1 | grep -q "wrong PIN for token .certdesk."' _ \
	"$T/badpin" "$bin" "$home" "$T"

# ---- the CA lifecycle ----
ok "ca renew signs the new CA certificate with the token key" cd_ ca renew --days 4000
ok "the renewed CA certificate still verifies ann's" verify_cert "$home/ca/ca.crt" "$T/ann2.crt"
ok "ca rollover generates the new key on the token" sh -c '"$@" >"'"$T"'/roll.out" 2>&1 &&
	grep -q "new CA key: generated a new EC P-256 key on the token as object ca-" \
	"'"$T"'/roll.out"' _ "$bin" --home "$home" ca rollover --cn "Token CA 2"
ok "still no CA key file after the rollover" sh -c '[ -z "$(find "$1" -name "*.key")" ]' _ "$home"
ok "the token holds both CA keys" sh -c '[ "$(pkcs11-tool --module "$1" --token-label certdesk \
	--login --pin 4711 -O --type privkey 2>/dev/null | grep -c "^Private Key Object")" -eq 2 ]' _ "$mod"
ok "a rollover to a name already taken is refused before a key is made" sh -c '
	! "$1" --home "$2" ca rollover --cn "Token CA" 2>/dev/null &&
	[ "$(pkcs11-tool --module "$3" --token-label certdesk --login --pin 4711 -O --type privkey \
		2>/dev/null | grep -c "^Private Key Object")" -eq 2 ]' _ "$bin" "$home" "$mod"
newlabel=$(sed -n 's/.*as object \(ca-[^,]*\),.*/\1/p' "$T/roll.out" | head -1)
ok "the new token key is sensitive and not extractable" sensitive_not_extractable "$newlabel"
ok "create after the rollover" cd_ create dee --name Dee --email dee@example.org --out "$T"
p12_cert "$T/dee" "$T/dee.crt"
ok "dee's certificate verifies with the new CA" verify_cert "$home/ca/ca.crt" "$T/dee.crt"
ok "publish after the rollover: one CRL per CA" cd_ publish
git --git-dir="$T/remote.git" show main:crl.pem >"$T/pub2.pem"
awk '/BEGIN X509 CRL/ { n++ } { print > ("'"$T"'/crl" n ".pem") }' "$T/pub2.pem"
old=$(ls "$home"/ca/prev/*/ca.crt | head -1)
ok "the new CA's CRL verifies" sh -c 'openssl crl -in "$1" -CAfile "$2" -noout -verify 2>&1 |
	grep -q "verify OK"' _ "$T/crl1.pem" "$home/ca/ca.crt"
ok "the old CA keeps signing its CRL through its own token key" sh -c 'openssl crl -in "$1" \
	-CAfile "$2" -noout -verify 2>&1 | grep -q "verify OK"' _ "$T/crl2.pem" "$old"
ok "the old CA's CRL still lists bob" sh -c 'openssl crl -in "$1" -noout -text |
	grep -q "$2"' _ "$T/crl2.pem" "$(openssl x509 -in "$T/bob.crt" -noout -serial | cut -d= -f2)"
ok "verify checks both token keys" cd_ verify

# ---- kill -9 during a rollover on the token: the next command finishes or undoes it ----
# SoftHSM2's file store is not crash-safe: a kill while it writes can leave the whole token
# uninitialised (a hardware token is transactional). The home must stay consistent all the
# same; verify, which reads every CA's key on the token, runs while the token survives.
rand() { echo $(($(od -An -N4 -tu4 /dev/urandom) % $1)); }
khome=$T/khome
"$bin" --home "$khome" init --cn "Kill CA" --pkcs11 'pkcs11:token=killed;object=kill' \
	--pkcs11-module "$mod" --passphrase-file "$T/pin" >/dev/null
killed_ok() {
	"$bin" --home "$khome" list >/dev/null || return 1
	[ ! -e "$khome/ca/next" ] || { echo "ca/next left"; return 1; }
	[ -z "$(find "$khome" -name "*.key")" ] || { echo "a key file appeared"; return 1; }
	for d in "$khome"/ca/prev/*; do
		[ ! -d "$d" ] || [ -s "$d/ca.crt" ] || { echo "$d has no certificate"; return 1; }
	done
	softhsm2-util --show-slots 2>/dev/null | grep -q "Label: *killed *$" || return 0
	"$bin" --home "$khome" verify >/dev/null || { "$bin" --home "$khome" verify; return 1; }
}
kills=0 bad=0
for i in 1 2 3 4 5 6 7 8; do
	"$bin" --home "$khome" ca rollover --cn "Kill CA $i" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$(rand 6)$(rand 10)"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
	killed_ok >"$T/killed.out" 2>&1 || { bad=$i; cat "$T/killed.out"; break; }
done
ok "the home is consistent after each of $kills kills during token rollovers" test "$bad" -eq 0

# ---- backup: the key stays on the token ----
echo "a backup passphrase" >"$T/bpass"
ok "backup says the key is on the token" sh -c '"$@" | grep -q "CA key: *on the token pkcs11:token=certdesk"' \
	_ "$bin" --home "$home" backup "$T/home.cdb" --passphrase-file "$T/bpass"
ok "backup --check reports it" sh -c '"$@" | grep -q "not in the backup (it cannot leave the token)"' \
	_ "$bin" --home "$home" backup --check "$T/home.cdb" --passphrase-file "$T/bpass"
ok "a restored home signs with the token" sh -c '"$1" --home "$2" restore "$3" --passphrase-file "$4" \
	>/dev/null 2>&1 && "$1" --home "$2" create hal --name Hal --email hal@example.org --out "$5" \
	>/dev/null && openssl pkcs12 -in "$5/hal.p12" -passin "file:$5/hal.pw" -nokeys -clcerts \
	2>/dev/null | openssl verify -CAfile "$2/ca/ca.crt"' _ \
	"$bin" "$T/restored" "$T/home.cdb" "$T/bpass" "$T/p"

# ---- list starts without the token parts (LeakSanitizer cannot run under ptrace) ----
if command -v strace >/dev/null; then
	ok "list loads neither the engine nor a PKCS#11 module" sh -c '
		ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=openat -o "$1" "$2" --home "$3" list \
			>/dev/null &&
		! grep -E "pkcs11|softhsm|p11-kit" "$1"' _ "$T/strace" "$bin" "$home"
fi

# ---- ca move-to-token: a home with key files ----
fhome=$T/fhome
fd_() { "$bin" --home "$fhome" "$@"; }
unset CERTDESK_PASSPHRASE_FILE
fd_ init --cn "File CA" >/dev/null
fd_ create eve --name Eve --email eve@example.org --out "$T/f" >/dev/null
fd_ ca rollover --cn "File CA 2" >/dev/null
home=$fhome
# The setting alone, set by hand, proves nothing: no key file goes until the token signs.
fd_ config ca.pkcs11_uri 'pkcs11:token=nope;object=ca' >/dev/null
ok "ca.pkcs11_uri set by hand to a missing token: move-to-token keeps every key file" \
	unchanged_after fd_ ca move-to-token 'pkcs11:token=other;object=moved' \
	--pkcs11-module "$mod" --passphrase-file "$T/pin"
ok "... and names the setting" grep -q "^certdesk: ca.pkcs11_uri is pkcs11:token=nope" "$T/err"
fd_ config ca.pkcs11_uri '' >/dev/null
ok "move-to-token with a wrong PIN: one line, home unchanged" unchanged_after fd_ ca move-to-token \
	'pkcs11:token=other;object=moved' --pkcs11-module "$mod" --passphrase-file "$T/badpin"
ok "move-to-token to a missing token: one line, home unchanged" unchanged_after fd_ ca \
	move-to-token 'pkcs11:token=gone' --pkcs11-module "$mod" --passphrase-file "$T/pin"
ok "move-to-token reports each step" sh -c '"$@" >"'"$T"'/move.out" &&
	grep -q "imported the key of CA File CA 2" "'"$T"'/move.out" &&
	grep -q "imported the key of CA File CA (still signing" "'"$T"'/move.out" &&
	grep -q "signed a test CRL with the token key" "'"$T"'/move.out" &&
	grep -q "recorded ca.pkcs11_uri" "'"$T"'/move.out" &&
	grep -q "overwrote and removed .*/ca/ca.key" "'"$T"'/move.out"' _ \
	"$bin" --home "$fhome" ca move-to-token 'pkcs11:token=other;object=moved' \
	--pkcs11-module "$mod" --passphrase-file "$T/pin"
ok "no key file left after the move" sh -c '[ -z "$(find "$1" -name "*.key")" ]' _ "$fhome"
ok "the moved key is sensitive and not extractable" sh -c 'pkcs11-tool --module "$1" \
	--token-label other --login --pin 4711 -O --type privkey 2>/dev/null |
	awk "/label: *moved\$/ { m = 1 } m && /Access:/ { print; exit }" |
	grep "sensitive" | grep -qvE "(: |, )extractable"' _ "$mod"
export CERTDESK_PASSPHRASE_FILE="$T/pin"
ok "the moved home signs through the token" fd_ create fay --name Fay --email fay@example.org --out "$T/f"
p12_cert "$T/f/fay" "$T/fay.crt"
ok "fay's certificate verifies" verify_cert "$fhome/ca/ca.crt" "$T/fay.crt"
ok "the moved home's CRLs verify, both CAs" sh -c '"$1" --home "$2" crl --out "$3" &&
	awk "/BEGIN X509 CRL/ { n++ } { print > (\"$3.\" n) }" "$3" &&
	openssl crl -in "$3.1" -CAfile "$2/ca/ca.crt" -noout -verify 2>&1 | grep -q "verify OK" &&
	openssl crl -in "$3.2" -CAfile "$(ls "$2"/ca/prev/*/ca.crt)" -noout -verify 2>&1 |
	grep -q "verify OK"' _ "$bin" "$fhome" "$T/fcrl.pem"
ok "a second move-to-token is refused kindly" sh -c '"$@" | grep -q "on the token already"' _ \
	"$bin" --home "$fhome" ca move-to-token 'pkcs11:token=other;object=moved'
ok "verify on the moved home" fd_ verify

# ---- RSA: generated on the token, and moved onto it ----
unset CERTDESK_PASSPHRASE_FILE
ok "init --pkcs11 --key rsa" "$bin" --home "$T/rhome" init --key rsa --pkcs11 \
	'pkcs11:token=other;object=rsa' --pkcs11-module "$mod" --passphrase-file "$T/pin"
"$bin" --home "$T/rfile" init --key rsa >/dev/null
ok "move-to-token of an RSA key" "$bin" --home "$T/rfile" ca move-to-token \
	'pkcs11:token=other;object=rsamoved' --pkcs11-module "$mod" --passphrase-file "$T/pin"
export CERTDESK_PASSPHRASE_FILE="$T/pin"
for h in rhome rfile; do
	mkdir -p "$T/$h.out"
	ok "$h: create through the RSA token key" "$bin" --home "$T/$h" create ida --name Ida \
		--email ida@example.org --out "$T/$h.out"
	p12_cert "$T/$h.out/ida" "$T/$h.ida.crt"
	ok "$h: the certificate verifies" verify_cert "$T/$h/ca/ca.crt" "$T/$h.ida.crt"
	ok "$h: its CRL verifies" sh -c '"$1" --home "$2" crl --out "$3" &&
		openssl crl -in "$3" -CAfile "$2/ca/ca.crt" -noout -verify 2>&1 | grep -q "verify OK"' _ \
		"$bin" "$T/$h" "$T/$h.crl"
done
ok "the token keys only sign (3 keys)" sh -c 'u=$(pkcs11-tool --module "$1" --token-label other \
	--login --pin 4711 -O --type privkey 2>/dev/null | grep "Usage:") &&
	[ "$(printf "%s\n" "$u" | wc -l)" -ge 3 ] && ! printf "%s\n" "$u" | grep -vqx " *Usage: *sign"' \
	_ "$mod"

# ---- through p11-kit's proxy, the default module ----
if [ -e /usr/share/p11-kit/modules/softhsm2.module ]; then
	phome=$T/phome
	ok "init through p11-kit's proxy (no --pkcs11-module)" "$bin" --home "$phome" init \
		--pkcs11 'pkcs11:token=other;object=proxied' --passphrase-file "$T/pin"
	ok "create through the proxy" "$bin" --home "$phome" create gus --name Gus \
		--email gus@example.org --out "$T/p"
	p12_cert "$T/p/gus" "$T/gus.crt"
	ok "gus's certificate verifies" verify_cert "$phome/ca/ca.crt" "$T/gus.crt"
else
	echo "skipped: p11-kit does not register softhsm2 here (no softhsm2.module)"
fi

finish
