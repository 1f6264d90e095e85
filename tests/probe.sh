#!/bin/sh
# certdesk probe against real servers: nginx (ssl_verify_client on) and Apache
# (SSLVerifyClient require) given the CA bundle and CRL that certdesk published. They
# are current after a reload with the newest CRL, stale (one CRL behind) while they run
# the one before, refusing everyone with an expired CRL or a wrong CA bundle; a closed
# port is unreachable; 20 targets (18 server blocks of one nginx, 2 closed ports) are
# probed in a few seconds. The man page's ways to keep the canaries from anything real
# (nginx's map, Apache's Require expr) give them 403 while users pass and the probe
# still says current. Each server is started once and reloaded. Ends with
# "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
. tests/servers.lib

bin=${CERTDESK_BIN:-$PWD/certdesk}
srv_begin probe
home=$T/home
cd_() { "$bin" --home "$home" "$@"; }

# The servers run on this clock, so the canaries are issued on it: no --as-of here.
git init -q --bare -b main "$T/crl.git"
cd_ init --cn "Probe Test CA" --crl-remote "$T/crl.git" >/dev/null || exit 1
cd_ create alice --name Alice --email alice@example.org --out "$T" >/dev/null || exit 1
cd_ config probe.enabled on >/dev/null || exit 1
ok "publish with probing: the first canaries" cd_ publish

# fetch: what the deployment carries to the servers, from the remote.
fetch() {
	git -C "$T/crl.git" show main:crl.pem >"$T/crl.pem" &&
		git -C "$T/crl.git" show main:ca-bundle.pem >"$T/bundle.pem"
}
fetch
ports=
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18; do
	ports="$ports $(srv_port)"
done
# nginx also on [::1] when the host has it, for a target written as an IPv6 literal.
grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null && SRV_V6=1
# shellcheck disable=SC2086 # the ports are words
srv_nginx_start "$T/nginx" "$T/bundle.pem" "$T/crl.pem" $ports || exit 1
aport=$(srv_port)
srv_apache_start "$T/apache" "$T/bundle.pem" "$T/crl.pem" "$aport" || exit 1
nport=$(echo $ports | cut -d' ' -f1)
closed=$(srv_port)
targets="https://127.0.0.1:$nport/ https://127.0.0.1:$aport/"

# state TARGET STATE [BEHIND]: the TSV of the last probe says so.
state() {
	awk -F'\t' -v t="$1" -v s="$2" -v b="$3" \
		'$1 == t && $2 == s && (b == "" || $3 == b) { f = 1 } END { exit !f }' "$T/out"
}
# probe CODE ARGS...: probe exits CODE; its TSV goes to $T/out.
probe() {
	want=$1
	shift
	cd_ --format tsv probe --timeout 5 "$@" >"$T/out"
	got=$?
	[ "$got" = "$want" ] || { echo "exit $got, not $want"; cat "$T/out"; return 1; }
}

# shellcheck disable=SC2086
ok "both current with the newest CRL: exit 0" probe 0 $targets
ok "nginx: current" state "https://127.0.0.1:$nport/" current
ok "apache (a 301 is an answer): current" state "https://127.0.0.1:$aport/" current
if [ -n "${SRV_V6:-}" ]; then
	ok "an IPv6 literal target (Host: [::1]:port): exit 0" probe 0 "https://[::1]:$nport/"
	ok "... current" state "https://[::1]:$nport/" current
fi

cd_ revoke alice --now >/dev/null
ok "a new publish rotates the canaries" cd_ publish
# shellcheck disable=SC2086
ok "the servers on the CRL before: stale, within the grace time: exit 0" probe 0 $targets
ok "nginx: stale, 1 CRL behind" state "https://127.0.0.1:$nport/" stale 1
ok "apache: stale, 1 CRL behind" state "https://127.0.0.1:$aport/" stale 1
cd_ config probe.grace_hours 0 >/dev/null
# shellcheck disable=SC2086
ok "stale past the grace time: exit 1" probe 1 $targets
ok "the Nagios line says so" sh -c "'$bin' --home '$home' --format nagios probe $targets | grep -q '^CERTDESK WARNING - servers: 0/2 current'"
ok "expirecheck is silent on servers without probe.targets" sh -c "! '$bin' --home '$home' expirecheck | grep -q servers"

fetch
srv_reload "$T/nginx" && srv_reload "$T/apache"
# shellcheck disable=SC2086
ok "reloaded with the new CRL: current again" probe 0 $targets
ok "nginx: current after the reload" state "https://127.0.0.1:$nport/" current

# An expired CRL, signed with the CA key by openssl alone (its nextUpdate a day ago).
mkdir -p "$T/ossl" && : >"$T/ossl/index.txt" && echo 1000 >"$T/ossl/crlnumber"
cat >"$T/ossl/ca.conf" <<EOF
[ca]
default_ca = c
[c]
database = $T/ossl/index.txt
crlnumber = $T/ossl/crlnumber
default_md = sha256
EOF
openssl ca -gencrl -config "$T/ossl/ca.conf" -keyfile "$home/ca/ca.key" \
	-cert "$home/ca/ca.crt" -out "$T/expired.pem" \
	-crl_lastupdate "$(date -u -d '-10 days' +%Y%m%d%H%M%SZ)" \
	-crl_nextupdate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" 2>/dev/null
ok "openssl signed an expired CRL" sh -c "openssl crl -in '$T/expired.pem' -noout -nextupdate | grep -q GMT"
cp "$T/expired.pem" "$T/crl.pem"
srv_reload "$T/nginx" && srv_reload "$T/apache"
# shellcheck disable=SC2086
ok "an expired CRL: refusing everyone, exit 2" probe 2 $targets
ok "nginx (its 400): refusing" state "https://127.0.0.1:$nport/" refusing
ok "apache (an alert): refusing" state "https://127.0.0.1:$aport/" refusing

fetch
cp "$T/nginx/server.crt" "$T/bundle.pem"
srv_reload "$T/nginx" && srv_reload "$T/apache"
# shellcheck disable=SC2086
ok "a wrong CA bundle: refusing everyone, exit 2" probe 2 $targets
ok "apache with a wrong bundle: refusing" state "https://127.0.0.1:$aport/" refusing

ok "a closed port: unreachable, exit 3" probe 3 "127.0.0.1:$closed"
ok "unreachable" state "127.0.0.1:$closed" unreachable

fetch
srv_reload "$T/nginx"
many=
for p in $ports; do
	many="$many https://127.0.0.1:$p/"
done
many="$many https://127.0.0.1:$closed/ 127.0.0.1:$(srv_port)"
start=$(date +%s%N)
# shellcheck disable=SC2086
ok "20 targets: 18 current, 2 unreachable (exit 3)" probe 3 $many
end=$(date +%s%N)
ms=$(((end - start) / 1000000))
echo "# 20 targets probed in $ms ms"
ok "20 targets: 18 current" sh -c "[ \$(grep -c '	current	' '$T/out') = 18 ]"
ok "20 targets in less than 5 s" [ "$ms" -lt 5000 ]
# The man page's way to keep the canaries from anything real: nginx's map on the
# subject, a 403 for them alone; TLS still judges them, so the probe still tells.
d=$T/deny
mkdir -p "$d/run" && srv_cert "$d"
dport=$(srv_port)
cat >"$d/nginx.conf" <<CONF
pid $d/run/nginx.pid;
error_log $d/error.log info;
worker_processes 1;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $d/run/body;
	proxy_temp_path $d/run/proxy;
	fastcgi_temp_path $d/run/fastcgi;
	uwsgi_temp_path $d/run/uwsgi;
	scgi_temp_path $d/run/scgi;
	map \$ssl_client_s_dn \$certdesk_probe {
		default 0;
		"~(^|,)CN=certdesk-probe(,|\$)" 1;
	}
	server {
		listen 127.0.0.1:$dport ssl;
		ssl_certificate $d/server.crt;
		ssl_certificate_key $d/server.key;
		ssl_client_certificate $T/bundle.pem;
		ssl_crl $T/crl.pem;
		ssl_verify_client on;
		if (\$certdesk_probe) { return 403; }
		location / { return 200 "ok\n"; }
	}
}
CONF
# srv_stop and srv_get find it by its args file, as servers.lib's own servers.
printf '%s\n' nginx "$T/bundle.pem" "$T/crl.pem" "$dport" >"$d/args"
SRV_DIRS="$SRV_DIRS $d"
cd_ create carol --name Carol --email carol@example.org --out "$T" >/dev/null
openssl pkcs12 -in "$T/carol.p12" -passin "file:$T/carol.pw" -nodes -out "$T/carol.pem" 2>/dev/null
fetch
ok "nginx with the map starts" sh -c "nginx -q -e '$d/error.log' -p '$d' -c '$d/nginx.conf' && . tests/servers.lib && srv_wait $dport"
ctl=$(sqlite3 "$home/certdesk.db" "SELECT serial FROM canaries WHERE revoked_at IS NULL ORDER BY id DESC LIMIT 1")
ok "the map: the control canary gets 403" [ "$(srv_get "$dport" "$home/ca/canary/$ctl.crt" "$home/ca/canary/$ctl.key")" = 403 ]
ok "the map: a user gets 200" [ "$(srv_get "$dport" "$T/carol.pem" "$T/carol.pem")" = 200 ]
ok "the map: the probe still says current" probe 0 "https://127.0.0.1:$dport/"
ok "the map: current" state "https://127.0.0.1:$dport/" current
srv_stop "$d"

# Apache: Require expr on the subject's CN (servers.lib's configuration, its redirect
# left out so that the authorization is what answers).
a=$T/deny-apache
mkdir -p "$a/run" && srv_cert "$a"
adport=$(srv_port)
{
	srv_apache_conf "$a" "$T/bundle.pem" "$T/crl.pem" "$adport" | grep -v '^Redirect '
	printf '<Location "/">\n\tRequire expr "%%{SSL_CLIENT_S_DN_CN} != '"'"'certdesk-probe'"'"'"\n</Location>\n'
} >"$a/apache.conf"
printf '%s\n' apache "$T/bundle.pem" "$T/crl.pem" "$adport" >"$a/args"
SRV_DIRS="$SRV_DIRS $a"
ok "Apache with Require expr starts" sh -c "/usr/sbin/apache2 -f '$a/apache.conf' -k start 2>>'$a/error.log' && . tests/servers.lib && srv_wait $adport"
ok "Require expr: the control canary gets 403" [ "$(srv_get "$adport" "$home/ca/canary/$ctl.crt" "$home/ca/canary/$ctl.key")" = 403 ]
ok "Require expr: a user is let through (404: nothing served)" [ "$(srv_get "$adport" "$T/carol.pem" "$T/carol.pem")" = 404 ]
ok "Require expr: the probe still says current" probe 0 "https://127.0.0.1:$adport/"
srv_stop "$a"
ok "each probe recorded, with an audit line" sh -c "'$bin' --home '$home' log | grep -c 'probe' | grep -qv '^0$'"
finish
