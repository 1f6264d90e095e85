#!/bin/sh
# Certificates for requests (create/renew --csr) as a real server sees them: nginx with
# ssl_verify_client on, given the CA bundle and CRL certdesk published, accepts the
# user's own key with the certificate certdesk signed for it (EC and RSA, and the chain
# file as the client's certificate), and refuses it once revoked and published. Ends
# with "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
. tests/servers.lib

bin=${CERTDESK_BIN:-$PWD/certdesk}
srv_begin csr-nginx
home=$T/home
cd_() { "$bin" --home "$home" "$@"; }

# The server runs on this clock, so the certificates are issued on it: no --as-of here.
git init -q --bare "$T/crl.git"
cd_ init --cn "CSR Test CA" --crl-remote "$T/crl.git" >/dev/null || exit 1

# request NAME NEWKEY...: the user's own key $T/NAME.key and request, signed by certdesk
# into $T/out/NAME.crt (and NAME-chain.pem).
mkdir -p "$T/out"
request() {
	r_name=$1
	shift
	openssl req -new -newkey "$@" -nodes -keyout "$T/$r_name.key" -subj "/CN=$r_name" \
		-out "$T/$r_name.csr" 2>/dev/null &&
		cd_ create "$r_name" --name "User $r_name" --email "$r_name@example.org" \
			--out "$T/out" --csr "$T/$r_name.csr" >/dev/null 2>&1
}
fetch() {
	git -C "$T/crl.git" show main:crl.pem >"$T/crl.pem" &&
		git -C "$T/crl.git" show main:ca-bundle.pem >"$T/bundle.pem"
}
port=$(srv_port)
status() { srv_get "$port" "$1" "$2"; }
accepted() { [ "$(status "$1" "$2")" = 200 ]; }
refused() { a=$(status "$1" "$2"); [ "$a" = 000 ] || [ "$a" = 400 ]; }

ok "an EC request signed" request ecuser ec -pkeyopt ec_paramgen_curve:P-256
ok "an RSA request signed" request rsauser rsa:2048
ok "a third request signed, to be revoked" request gone ec -pkeyopt ec_paramgen_curve:P-256
cd_ revoke gone >/dev/null
ok "publish" cd_ publish
fetch
srv_nginx_start "$T/nginx" "$T/bundle.pem" "$T/crl.pem" "$port" || exit 1
ok "nginx accepts the EC user's own key and certificate" accepted "$T/out/ecuser.crt" "$T/ecuser.key"
ok "nginx accepts the RSA user's own key and certificate" accepted "$T/out/rsauser.crt" "$T/rsauser.key"
ok "nginx accepts the chain file as the client's certificate" accepted \
	"$T/out/ecuser-chain.pem" "$T/ecuser.key"
ok "nginx refuses the revoked request's certificate" refused "$T/out/gone.crt" "$T/gone.key"
finish
