#!/bin/sh
# The Debian package and the systemd units: `make deb` builds the package, lintian finds
# no error and no warning, and dpkg --root installs it into a fresh root, where the
# binary runs, man finds the page, the units are present, disabled and pass
# `systemd-analyze verify` and `security`. The certdesk system user makes a home there
# and the reminder's mail step hands a UTF-8 mail to sendmail. Remove and purge leave
# nothing the package installed (the user and group stay; a home with a CA stays whole).
# Then `make install` into the same root: its units name the /usr/local paths, verify,
# and uninstall removes them.
#
# The root is an overlay over this system's own root: maintainer scripts run chrooted
# and need a shell, adduser and systemd's helpers, which an empty directory lacks and a
# debootstrap would fetch for minutes; the overlay's upper layer, fresh each time, holds
# exactly what the package's scripts and files left behind.
#
# A package build takes a minute: this runs once per CI run, in the plain suite. It is
# skipped in the sanitizer build (BUILD=build/san) and under faketime (FAKETIME set),
# which repeat the suite. It needs root (mount, chroot).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

skip() {
	echo "skipped: $*"
	finish
	exit 0
}
[ -n "${FAKETIME:-}" ] && skip "the package is tested in the suite's plain run, not under faketime"
[ "${BUILD:-build/rel}" = build/san ] && skip "the package is tested in the suite's plain run, not under the sanitizers"
[ "$(id -u)" = 0 ] || skip "needs root (mount, chroot, dpkg --root)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/certdesk-deb.XXXXXX") || exit 1
R=$tmp/root
mounted=""
cleanup() {
	for m in $mounted; do umount "$m" 2>/dev/null || umount -l "$m"; done
	rm -rf "$tmp"
}
trap cleanup EXIT
# mounted lists the mount points innermost first, for cleanup.
mnt() {
	mount "$@" && eval "mounted=\"\${$#} \$mounted\""
}
in_root() { chroot "$R" "$@"; }

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
ok "changelog version is the program's (src/cli.h)" \
	grep -q "define CD_VERSION \"$version\"" src/cli.h

# --- the build and lintian ---------------------------------------------------------
log=$tmp/build.log
if make --no-print-directory deb >"$log" 2>&1; then
	ok "make deb" true
else
	ok "make deb" sh -c "tail -n 30 '$log'; false"
	finish
	exit 1
fi
deb=build/deb/certdesk_${version}_amd64.deb
ok "the .deb is in build/deb/" test -f "$deb"
ok "the package build ran the smoke test" grep -q '^smoke: certdesk ' "$log"
dpkg-deb -I "$deb" >"$tmp/info"
ok "Depends names libgit2's package (dlopen'd)" grep -q '^ Depends:.*libgit2-1\.5' "$tmp/info"
for lib in libssl3 libsqlite3-0 libncursesw6 zlib1g; do
	ok "Depends has $lib (dh_shlibdeps)" grep -q "^ Depends:.* $lib " "$tmp/info"
done
for f in usr/bin/certdesk usr/share/man/man1/certdesk.1.gz \
	usr/share/bash-completion/completions/certdesk usr/share/certdesk/templates/mail-body.txt \
	usr/share/certdesk/examples/certdesk.cron usr/libexec/certdesk/certdesk-mail \
	etc/default/certdesk; do
	ok "the package holds /$f" sh -c "dpkg-deb -c '$deb' | grep -q ' \./$f\$'"
done
lintian --pedantic "$deb" "build/deb/certdesk_${version}_amd64.changes" >"$tmp/lintian" 2>&1
ok "lintian: no error, no warning" sh -c "! grep -E '^[EW]: ' '$tmp/lintian' || { cat '$tmp/lintian'; false; }"

# --- a fresh root --------------------------------------------------------------------
mkdir "$tmp/layers"
mnt -t tmpfs tmpfs "$tmp/layers" || { ok "a tmpfs for the root's layers" false; finish; exit 1; }
mkdir "$tmp/layers/upper" "$tmp/layers/work" "$R"
up=$tmp/layers/upper
mnt -t overlay overlay -o "lowerdir=/,upperdir=$up,workdir=$tmp/layers/work" "$R" &&
	mnt --bind /dev "$R/dev" && mnt -t proc proc "$R/proc" &&
	mnt -t tmpfs tmpfs "$R/run" && mnt -t tmpfs tmpfs "$R/tmp" ||
	{ ok "the overlay root is mounted" false; finish; exit 1; }
had_user=$(in_root getent passwd certdesk)

units=$(cd data/systemd && ls *.service *.timer)
# Nothing in the root's upper layer but dpkg's database, man's cache, and the user and
# group (kept on purpose: files elsewhere may still be theirs); prints what else is there.
nothing_left() {
	lib_left=$(cd "$up" && find . ! -type d | sed 's|^\./||' | grep -Ev \
		'^(var/lib/dpkg/|var/cache/man/|var/log/|etc/(passwd|group|shadow|gshadow)-?$|etc/\.pwd\.lock$)')
	# An empty directory in the upper layer that this system lacks was made in the root.
	lib_dirs=$(cd "$up" && find . -type d -empty | sed 's|^\./||' |
		while read -r d; do [ -e "/$d" ] || echo "$d/"; done)
	lib_left="$lib_left$lib_dirs"
	[ -z "$lib_left" ] || { echo "left: $lib_left"; return 1; }
}
# exits N CMD...: CMD exits with status N.
exits() {
	lib_want=$1
	shift
	"$@"
	[ $? -eq "$lib_want" ]
}
ok "the fresh root holds nothing yet" nothing_left

ok "dpkg --root -i" dpkg --root="$R" -i "$deb"
ok "certdesk --version in the root" sh -c "chroot '$R' certdesk --version | grep -qx 'certdesk $version'"
ok "man -w certdesk in the root" sh -c \
	"chroot '$R' man -w certdesk | grep -qx /usr/share/man/man1/certdesk.1.gz"
for u in $units; do
	ok "unit $u installed" test -f "$R/lib/systemd/system/$u"
done
for t in $(cd data/systemd && ls *.timer); do
	ok "$t is disabled" sh -c "systemctl --root='$R' is-enabled $t | grep -qx disabled"
done
ok "no unit is enabled anywhere" sh -c "! find '$R/etc/systemd/system' -name 'certdesk*' | grep -q ."
ok "systemd-analyze verify, every unit" in_root sh -c 'systemd-analyze verify /lib/systemd/system/certdesk-*'
for s in $(cd data/systemd && ls *.service); do
	ok "systemd-analyze security: $s exposure at most 2.0" in_root \
		systemd-analyze security --offline=true --threshold=20 "/lib/systemd/system/$s"
done
if [ -z "$had_user" ]; then
	ok "a certdesk system user and group" sh -c \
		"chroot '$R' getent passwd certdesk | awk -F: '\$3 < 1000 { f = 1 } END { exit !f }' &&
		 chroot '$R' getent group certdesk"
fi
ok "the home /var/lib/certdesk: certdesk's, group-readable, setgid" sh -c \
	"test \"\$(chroot '$R' stat -c '%U:%G %a' /var/lib/certdesk)\" = 'certdesk:certdesk 2750'"
ok "/etc/default/certdesk is a conffile" grep -qx /etc/default/certdesk \
	"$R/var/lib/dpkg/info/certdesk.conffiles"

ok "dpkg --root -r" dpkg --root="$R" -r certdesk
ok "dpkg --root --purge" dpkg --root="$R" --purge certdesk
ok "purge left nothing the package installed" nothing_left
ok "the empty home went with the purge" test ! -e "$R/var/lib/certdesk"

# --- a home made by the certdesk user, the reminder's mail, a purge that keeps it ----
ok "dpkg --root -i again" dpkg --root="$R" -i "$deb"
as_certdesk() {
	chroot "$R" setpriv --reuid=certdesk --regid=certdesk --init-groups \
		env CERTDESK_HOME=/var/lib/certdesk "$@"
}
ok "the certdesk user makes a CA in /var/lib/certdesk" \
	as_certdesk certdesk init --cn "Package Test CA"
ok "and a user due in 5 days" as_certdesk certdesk create zangstrom --name "Zoë Ångström" \
	--email zangstrom@example.org --days 5 --out /var/lib/certdesk
ok "expirecheck exits 1 with something due (the unit's SuccessExitStatus)" \
	exits 1 as_certdesk certdesk --expirecheck
cat >"$R/tmp/sendmail" <<'EOF'
#!/bin/sh
# Stands in for the MTA: keeps the message and its arguments.
echo "$*" >/tmp/mail.args
cat >/tmp/mail
EOF
chmod 755 "$R/tmp/sendmail"
ok "the mail step without CERTDESK_MAILTO sends nothing" sh -c \
	"chroot '$R' setpriv --reuid=certdesk --regid=certdesk --init-groups env \
	 CERTDESK_HOME=/var/lib/certdesk CERTDESK_SENDMAIL=/tmp/sendmail \
	 /usr/libexec/certdesk/certdesk-mail && test ! -e '$R/tmp/mail'"
ok "the mail step exits 0 when it mailed a reminder" as_certdesk \
	CERTDESK_MAILTO=ops@example.org CERTDESK_SENDMAIL=/tmp/sendmail \
	/usr/libexec/certdesk/certdesk-mail
ok "the mail goes to CERTDESK_MAILTO, sendmail -t" sh -c \
	"grep -qx 'To: ops@example.org' '$R/tmp/mail' && grep -q -- '-t' '$R/tmp/mail.args'"
ok "the mail is UTF-8 text" grep -qx 'Content-Type: text/plain; charset=UTF-8' "$R/tmp/mail"
ok "the mail names the user as UTF-8" grep -q 'Zoë Ångström' "$R/tmp/mail"
ok "the mail step fails (3) when the check cannot run" exits 3 as_certdesk \
	CERTDESK_HOME=/var/lib/certdesk/none CERTDESK_MAILTO=ops@example.org \
	CERTDESK_SENDMAIL=/tmp/sendmail /usr/libexec/certdesk/certdesk-mail
sums=$(cd "$R/var/lib/certdesk" && find . -type f | sort | xargs md5sum)
ok "purge with a home" sh -c "dpkg --root='$R' --purge certdesk"
ok "the home is left whole, every file unchanged" sh -c \
	"cd '$R/var/lib/certdesk' && test \"\$(find . -type f | sort | xargs md5sum)\" = '$sums'"
ok "the binary is gone" test ! -e "$R/usr/bin/certdesk"
rm -rf "$R/var/lib/certdesk" "$R/tmp/sendmail" "$R/tmp/mail" "$R/tmp/mail.args"

# --- make install's units -------------------------------------------------------------
ok "make install into the root" make --no-print-directory install DESTDIR="$R" PREFIX=/usr/local
ud=$R/usr/local/lib/systemd/system
ok "installed units name /usr/local/bin/certdesk" grep -q \
	'^ExecStart=/usr/local/bin/certdesk --expirecheck$' "$ud/certdesk-expirecheck.service"
ok "installed units name /usr/local/libexec" grep -q \
	' /usr/local/libexec/certdesk/certdesk-mail$' "$ud/certdesk-expirecheck.service"
ok "no installed unit names /usr/bin" sh -c "! grep -l '/usr/bin/certdesk\|/usr/libexec' '$ud'/*"
ok "make install's units pass systemd-analyze verify" in_root sh -c \
	'systemd-analyze verify /usr/local/lib/systemd/system/certdesk-*'
ok "make install's timers are disabled" sh -c \
	"systemctl --root='$R' is-enabled certdesk-publish.timer | grep -qx disabled"
ok "make uninstall" make --no-print-directory uninstall DESTDIR="$R" PREFIX=/usr/local
ok "uninstall removed the units" sh -c "! ls '$ud'/certdesk-* 2>/dev/null | grep -q ."
ok "uninstall removed libexec/certdesk" test ! -e "$R/usr/local/libexec/certdesk"

finish
