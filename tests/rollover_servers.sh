#!/bin/sh
# A CA rollover as real servers see it: nginx (ssl_verify_client on) and Apache
# (SSLVerifyClient require), given the CA bundle and CRL file that certdesk published,
# accept the valid certificate of the old CA and of the new one and refuse the revoked
# one of each; before the rollover's publish they refuse the new CA's certificates (the
# bundle they run does not name it yet). Ends with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
. tests/servers.lib

bin=${CERTDESK_BIN:-$PWD/certdesk}
srv_begin rollover-servers
home=$T/home
cd_() { "$bin" --home "$home" "$@"; }

# The servers run on this clock, so the certificates are issued on it: no --as-of here.
git init -q --bare "$T/crl.git"
cd_ init --cn "Rollover Test CA 2025" --crl-remote "$T/crl.git" >/dev/null || exit 1

# user NAME: a certificate for NAME, as PEM key and certificate in $T/NAME.pem.
user() {
	cd_ create "$1" --name "User $1" --email "$1@example.org" --out "$T" >/dev/null &&
		openssl pkcs12 -in "$T/$1.p12" -passin "file:$T/$1.pw" -nodes -out "$T/$1.pem" 2>/dev/null
}

# fetch: what the deployment carries to the servers, from the remote.
fetch() {
	git -C "$T/crl.git" show main:crl.pem >"$T/crl.pem" &&
		git -C "$T/crl.git" show main:ca-bundle.pem >"$T/bundle.pem"
}

# answer SERVER USER: the HTTP status SERVER gave USER's certificate, 000 when refused.
answer() {
	srv_get "$(sed -n 4p "$T/$1/args" | cut -d' ' -f1)" "$T/$2.pem" "$T/$2.pem"
}

accepted() { [ "$(answer "$1" "$2")" = 200 ] || [ "$(answer "$1" "$2")" = 301 ]; }
refused() { a=$(answer "$1" "$2"); [ "$a" = 000 ] || [ "$a" = 400 ]; }

user old1 && user old2 || exit 1
cd_ revoke old2 >/dev/null
ok "publish under the old CA" cd_ publish
fetch
srv_nginx_start "$T/nginx" "$T/bundle.pem" "$T/crl.pem" "$(srv_port)" || exit 1
srv_apache_start "$T/apache" "$T/bundle.pem" "$T/crl.pem" "$(srv_port)" || exit 1
for s in nginx apache; do
	ok "$s accepts the old CA's valid certificate" accepted $s old1
	ok "$s refuses the old CA's revoked certificate" refused $s old2
done

ok "rollover" cd_ ca rollover --cn "Rollover Test CA 2026"
user new1 && user new2 || exit 1
for s in nginx apache; do
	ok "$s refuses the new CA's certificate while it runs the old bundle" refused $s new1
done
cd_ revoke new2 >/dev/null
ok "publish after the rollover" cd_ publish
fetch
ok "the CRL file holds one CRL per CA" test "$(grep -c 'BEGIN X509 CRL' "$T/crl.pem")" = 2
ok "the bundle holds both CAs" test "$(grep -c 'BEGIN CERTIFICATE' "$T/bundle.pem")" = 2
srv_reload "$T/nginx" && srv_reload "$T/apache"
for s in nginx apache; do
	ok "$s accepts the old CA's valid certificate after the rollover" accepted $s old1
	ok "$s refuses the old CA's revoked certificate after the rollover" refused $s old2
	ok "$s accepts the new CA's valid certificate" accepted $s new1
	ok "$s refuses the new CA's revoked certificate" refused $s new2
done

# The old CA's last user renews under the new CA; the old one's revocation is published
# once applied, and both CAs still sign their CRLs.
mkdir "$T/renewed"
ok "renew the old CA's user" cd_ renew old1 --out "$T/renewed"
ok "applied" cd_ applied old1
ok "publish the old certificate's revocation" cd_ publish
fetch
p12=$(ls "$T"/renewed/old1*.p12)
openssl pkcs12 -in "$p12" -passin "file:${p12%.p12}.pw" -nodes -out "$T/old1new.pem" 2>/dev/null
srv_reload "$T/nginx" && srv_reload "$T/apache"
for s in nginx apache; do
	ok "$s accepts the renewed certificate (new CA)" accepted $s old1new
	ok "$s refuses the replaced one (old CA)" refused $s old1
done
finish
