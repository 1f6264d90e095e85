#!/bin/sh
# Builds a demo home (about 40 users whose certificates expire across the coming year,
# a few inside the warning window, renewals at every stage, one expired) and opens the
# dashboard on it.  Usage: demo.sh CERTDESK_BINARY DIR
#
# Everything happens on the real clock: --as-of only plans, and a dashboard opened with
# it refuses every action, which is not what a demo is for.
set -eu
bin=$1
dir=$2
cd_() { "$bin" --home "$dir" "$@"; }

if [ ! -f "$dir/certdesk.db" ]; then
	echo "building the demo home in $dir ..."
	mkdir -p "$dir/out"
	cd_ init --cn "Example Org Client CA" >/dev/null
	if command -v git >/dev/null 2>&1; then
		git init -q --bare -b main "$dir/crl-remote.git"
		cd_ config crl.remote "$(cd "$dir" && pwd)/crl-remote.git" >/dev/null
	fi
	cd_ config default.org "Example Org" >/dev/null
	cd_ config default.country US >/dev/null
	i=0
	while IFS='|' read -r user name phone loc days; do
		[ -n "$user" ] || continue
		cd_ create "$user" --name "$name" --email "$user@example.org" --phone "$phone" \
			--location "$loc" --days "$days" --out "$dir/out" >/dev/null
		i=$((i + 1))
	done <<'USERS'
jdoe|John Doe|+1 555 0101|New York|1
amartin|Ana Martín|+34 600 000 102|Madrid|5
jmuller|José Müller|+49 30 0000103|Berlin|7
kwong|王小明|+86 10 0000 0104|Beijing|9
lnguyen|Linh Nguyễn|+84 24 0000 0105|Hanoi|11
zangstrom|Zoë Ångström|+46 8 000 01 06|Stockholm|13
pkumar|Priya Kumar|+91 22 0000 0107|Mumbai|15
mrossi|Marco Rossi|+39 06 0000 0108|Rome|24
sokafor|Sade Okafor|+234 1 000 0109|Lagos|31
tlee|Tom Lee|+1 555 0110|San Francisco|38
ebrown|Emma Brown|+44 20 0000 0111|London|45
dsmith|David Smith|+1 555 0112|Austin|53
ypark|Yuna Park|+82 2 0000 0113|Seoul|60
hkowalski|Hanna Kowalska|+48 22 000 0114|Warsaw|68
ocohen|Omer Cohen|+972 3 000 0115|Tel Aviv|77
fdubois|François Dubois|+33 1 00 00 01 16|Paris|85
gsilva|Gabriela Silva|+55 11 0000 0117|São Paulo|94
rjohnson|Rachel Johnson|+1 555 0118|Chicago|102
bnovak|Boris Novák|+420 2 0000 0119|Prague|111
imurphy|Ian Murphy|+353 1 000 0120|Dublin|120
atanaka|Aiko Tanaka|+81 3 0000 0121|Tokyo|131
cgarcia|Carlos García|+52 55 0000 0122|Mexico City|142
nivanova|Nadia Ivanova|+359 2 000 0123|Sofia|153
wzhang|Wei Zhang|+65 6000 0124|Singapore|165
kolsen|Karin Olsen|+45 30 00 01 25|Copenhagen|176
mahmed|Mona Ahmed|+20 2 0000 0126|Cairo|188
pwhite|Paul White|+61 2 0000 0127|Sydney|199
lschmidt|Lena Schmidt|+49 89 0000128|Munich|211
vpetrov|Viktor Petrov|+7 495 000 0129|Yerevan|222
sbaker|Sarah Baker|+1 555 0130|Seattle|234
jkim|Jin Kim|+82 51 000 0131|Busan|246
efischer|Eva Fischer|+43 1 000 0132|Vienna|258
rpatel|Ravi Patel|+91 80 0000 0133|Bangalore|270
acosta|Alba Costa|+351 21 000 0134|Lisbon|282
thansen|Tobias Hansen|+47 22 00 01 35|Oslo|294
mlopez|María López|+54 11 0000 0136|Buenos Aires|306
dclark|Dana Clark|+1 555 0137|Denver|318
ysato|Yuki Sato|+81 6 0000 0138|Osaka|330
hberg|Henrik Berg|+46 31 000 0139|Gothenburg|342
owright|Olivia Wright|+1 555 0140|Boston|355
USERS
	# Renewals at every stage.
	cd_ notify amartin --task T1001 >/dev/null
	cd_ notify jmuller --task T1002 >/dev/null
	cd_ notify kwong --task T1003 >/dev/null
	cd_ notify lnguyen --task T1004 >/dev/null
	cd_ renew jmuller --out "$dir/out" --location "Hamburg" >/dev/null
	cd_ renew kwong --out "$dir/out" >/dev/null
	cd_ renew lnguyen --out "$dir/out" >/dev/null
	cd_ applied kwong >/dev/null
	cd_ revoke owright --reason cessationOfOperation >/dev/null
	cd_ publish >/dev/null 2>&1 || true
	echo "demo home ready: $i users"
fi
if [ -t 1 ] && [ -z "${DEMO_NO_DASHBOARD:-}" ]; then
	exec "$bin" --home "$dir"
fi
"$bin" --home "$dir" list
