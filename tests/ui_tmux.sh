#!/bin/sh
# End to end: the real certdesk dashboard in a detached tmux session at 80x24 (private
# server, default settings): keys with send-keys, the screen with capture-pane; resize,
# copy into tmux's buffer, live reload, quitting, and the read-only view as a second
# Unix user.  Ends with "N passed, N failed"; exits non-zero on failure.
set -u

BIN=${CERTDESK_BIN:-./certdesk}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if [ "$1" = 0 ]; then ok "$2"; else bad "$2"; fi; }

if ! command -v tmux >/dev/null; then
	echo "tmux is not installed"
	echo "0 passed, 1 failed"
	exit 1
fi

T=$(mktemp -d)
chmod 755 "$T"
SOCK=certdesk-e2e-$$
RO_USER=
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
	tm kill-server 2>/dev/null
	[ -n "$RO_USER" ] && userdel "$RO_USER" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# Waits up to $3 tenths of a second (default 30) for session $1's screen to hold $2.
wait_for() {
	n=0
	while [ "$n" -lt "${3:-30}" ]; do
		tm capture-pane -p -t "$1" 2>/dev/null | grep -qF -- "$2" && return 0
		sleep 0.1
		n=$((n + 1))
	done
	echo "  screen of $1, waiting for '$2':"
	tm capture-pane -p -t "$1" 2>/dev/null | sed 's/^/  | /'
	return 1
}

wait_gone() {
	n=0
	while [ "$n" -lt 30 ]; do
		tm capture-pane -p -t "$1" 2>/dev/null | grep -qF -- "$2" || return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

# wait_dead SESSION: until its program has exited and tmux has its exit status (the
# pane dies when the terminal closes; the status comes a moment later).
wait_dead() {
	n=0
	while [ "$n" -lt 50 ]; do
		case $(tm display -p -t "$1" '#{pane_dead}:#{pane_dead_status}#{pane_dead_signal}' 2>/dev/null) in
		1:?*) return 0 ;;
		esac
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

home=$T/home
out=$T/out
mkdir -p "$out"
cp "$BIN" "$T/certdesk" && chmod 755 "$T/certdesk"
BIN=$T/certdesk
cd_() { "$BIN" --home "$home" "$@" >/dev/null; }
if ! cd_ init --cn "E2E CA" || ! cd_ create alice --name "Alice Soon" --email alice@example.org \
	--days 10 --out "$out" || ! cd_ create bob --name "Bob Later" --email bob@example.org \
	--days 200 --out "$out" || ! cd_ notify alice --task T777001; then
	echo "cannot build the test home"
	echo "0 passed, 1 failed"
	exit 1
fi

# -- bash completion (data/certdesk.bash): commands, options, user names of --home's home
COMPL=$(cd "$(dirname "$0")/.." && pwd)/data/certdesk.bash
complete_() { # words...: the completions of the last one
	bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _certdesk; echo "${COMPREPLY[*]}"' \
		"$COMPL" "$@"
}
[ "$(complete_ "$BIN" re)" = "renew revoke restore" ]; check $? "completion: commands"
[ "$(complete_ "$BIN" --home "$home" renew a)" = alice ]; check $? "completion: a user of --home's home"
[ "$(complete_ "$BIN" --home = "$home" show b)" = bob ]
check $? "completion: --home=DIR (split at '=' by bash)"
[ "$(complete_ "$BIN" renew --home "$home" --days 30 "")" = "alice bob" ]
check $? "completion: the user after options"
[ -z "$(complete_ "$BIN" --home "$home" task alice "")" ]; check $? "completion: no user as task id"
[ "$(complete_ "$BIN" revoke --reason k)" = keyCompromise ]; check $? "completion: option values"

start() { # session, command line (the paths here have no blanks)
	tm new-session -d -s "$1" -x 80 -y 24 "env LANG=C.UTF-8 $2"
	tm set-option -t "$1" remain-on-exit on >/dev/null
}

# -- the first screen, moving
start main "$BIN --home $home"
wait_for main "certdesk  E2E CA"; check $? "first screen shows the CA"
wait_for main "alice"; check $? "first screen lists alice"
wait_for main "? help"; check $? "status bar shows the keys"
tm send-keys -t main j
wait_for main "2/2  sort: expiry"; check $? "j moves the selection"
tm send-keys -t main g

# -- resize redraws
tm resize-window -t main -x 130 -y 30
wait_for main "Certificates (oldest first)"; check $? "130 columns: the side pane appears"
tm resize-window -t main -x 30 -y 8
wait_for main "terminal too small: 30x8"; check $? "too small: a message, not a crash"
tm resize-window -t main -x 80 -y 24
wait_gone main "Certificates (oldest first)" && wait_for main "1/2  sort: expiry"
check $? "back to 80x24: the list again, without the side pane"

# -- Enter on the detail opens no second copy; Esc closes a view as q does
tm send-keys -t main Enter Enter Enter
wait_for main "keys of the list act on this user"; check $? "Enter opens the detail"
wait_for main "mail  to alice@example.org, subject" && ! tm capture-pane -p -t main | grep -q '%20'
check $? "the detail shows each link as what it opens, decoded"
tm send-keys -t main u
wait_for main "task  https://phabricator.wikimedia.org/maniphest/"; check $? "u shows the whole links"
tm send-keys -t main u
wait_gone main "https://"; check $? "u again: what they open"
tm send-keys -t main q
wait_gone main "keys of the list act on this user" && wait_for main "1/2  sort: expiry"
check $? "Enter three times, then one q: back on the list"
tm send-keys -t main '?'
wait_for main "help: keys" >/dev/null
tm send-keys -t main / r e v o k e Enter
wait_for main "/revoke: line 3 of" && wait_for main "help: keys"
check $? "/ in help searches the help, not the list"
tm send-keys -t main n
wait_for main "/revoke: line 34 of" && ! tm capture-pane -p -t main | grep -q "notify alice"
check $? "n in help goes to the next match"
tm capture-pane -p -t main | tail -1 | grep -q "^q/? back  j/k scroll  / search"
check $? "help shows its own keys in the bar"
tm send-keys -t main Escape
wait_gone main "help: keys" && wait_for main "1/2  sort: expiry"; check $? "Esc closes the help"

# -- the bar starts with the row's next step: alice is notified
tm capture-pane -p -t main | tail -1 | grep -q "^y copy task  m copy mail  r renew"
check $? "a notified user's bar starts with y and m"
tm send-keys -t main / z z z Enter
wait_for main "filter: zzz" >/dev/null
tm send-keys -t main Escape
wait_for main "filter cleared" && wait_for main "alice"; check $? "Esc on the list clears the filter"

# -- y copies the task link into tmux's buffer (default settings)
tm send-keys -t main y
wait_for main "copied the task link of alice"; check $? "y says what was copied and how"
buf=$(tm show-buffer 2>/dev/null)
case $buf in https://*alice*) ok "tmux show-buffer holds the task link" ;;
*) bad "tmux show-buffer holds the task link (got '$buf')" ;; esac
want=$("$BIN" --home "$home" show alice | sed -n 's/^  task: //p')
[ -n "$want" ] && [ "$buf" = "$want" ]; check $? "the buffer is exactly the link certdesk show prints"

# -- live: another operator's change appears without a key press
t0=$(date +%s%N)
cd_ task bob T888002
wait_for main "T888002" 20; check $? "another operator's change shows within 2 s"
echo "  (shown after $(( ($(date +%s%N) - t0) / 1000000 )) ms)"

# -- a key that does nothing says so; F1 opens the help
tm send-keys -t main h
wait_for main "'h' is not a key here; ? for help"; check $? "an unknown key says so"
tm send-keys -t main F1
wait_for main "help: keys"; check $? "F1 opens the help"
tm send-keys -t main q
wait_gone main "help: keys" >/dev/null

# -- a task id as pasted: a bare number with blanks
tm send-keys -t main g t C-u ' 4567 ' Enter
wait_for main "alice: task T4567 recorded"; check $? "t takes ' 4567 ' as T4567"

# -- colour by urgency; monochrome with --no-color
tm send-keys -t main j
wait_for main "2/2  sort" >/dev/null
tm capture-pane -e -p -t main | grep "alice" | grep -q "$(printf '\033')\[[0-9;]*33m"
check $? "colours by urgency: alice, inside the window, in yellow"
tm send-keys -t main g
start mono "sh -c '$BIN --home $home --no-color; echo \\$? > $T/mono.rc'"
wait_for mono "alice" >/dev/null
tm capture-pane -e -p -t mono | grep -q "$(printf '\033')\[[0-9;]*3[1-7]m"
[ $? != 0 ] && tm capture-pane -e -p -t mono | grep -q "$(printf '\033')\[[0-9;]*[17]m"
check $? "--no-color: no colour, urgency in bold/reverse"
# monochrome, 15 days on: alice expired (bold, underlined), not the selection's reverse
start monox "$BIN --home $home --no-color --as-of $(date -u -d '+15 days' +%F)"
wait_for monox "expired" >/dev/null
tm send-keys -t monox j
wait_for monox "2/2  sort" >/dev/null
esc=$(printf '\033')
tm capture-pane -e -p -t monox > "$T/monox.ans"
grep "^${esc}\[[0-9;]*malice\|alice" "$T/monox.ans" | grep "expired" | grep -q "${esc}\[[0-9;]*4[;m]" &&
	! grep "alice" "$T/monox.ans" | grep "expired" | grep -q "${esc}\[[0-9;]*7[;m]" &&
	grep "bob" "$T/monox.ans" | grep -q "${esc}\[[0-9;]*7[;m]"
check $? "--no-color: an expired row is underlined, the selected one reversed"
tm send-keys -t monox q
start nocolor "env NO_COLOR=1 $BIN --home $home"
wait_for nocolor "alice" >/dev/null
tm capture-pane -e -p -t nocolor | grep -q "$(printf '\033')\[[0-9;]*3[1-7]m"
[ $? != 0 ]; check $? "NO_COLOR: no colour"

# -- quitting restores the terminal: q, and Ctrl-C
tm send-keys -t mono q
wait_dead mono
st="$(tm display -p -t mono '#{pane_dead} #{alternate_on}') $(cat "$T/mono.rc" 2>/dev/null)"
[ "$st" = "1 0 0" ]
check $? "q quits with status 0 and leaves the alternate screen (dead, alternate, status: $st)"
tm send-keys -t nocolor C-c
wait_dead nocolor
[ "$(tm display -p -t nocolor '#{pane_dead} #{alternate_on}')" = "1 0" ]
check $? "Ctrl-C quits and restores the terminal"

# -- a form survives a resize, fits a short terminal, and Ctrl-C in it quits
start form "$BIN --home $home"
wait_for form "alice" >/dev/null
tm send-keys -t form c
wait_for form "create a user's certificate"; check $? "c opens the create form"
tm resize-window -t form -x 60 -y 12
wait_for form "Esc cancel" && wait_for form "$(printf '\342\224\224')"
check $? "resized to 60x12 inside the form: the whole box, keys included"
tm resize-window -t form -x 80 -y 24
wait_for form "An empty field takes the default"; check $? "back to 80x24: the form with its notes"
tm capture-pane -p -t form | grep -q "Days        default: 365" &&
	tm capture-pane -p -t form | grep -q "Phone (SMS) none: the password cannot go by SMS" &&
	tm capture-pane -p -t form | grep -q "Output dir  /"
check $? "the form greys the defaults in, warns of no phone, shows the output directory"
tm send-keys -t form x Escape
wait_for form "Discard the changes? Esc or y: discard"
check $? "Esc after typing asks before it drops the form"
tm send-keys -t form n
wait_gone form "Discard the changes" && wait_for form "create a user's certificate"
check $? "any other key keeps the form"
tm send-keys -t form Escape Escape
wait_for form "cancelled" && wait_gone form "create a user's certificate"
check $? "Esc twice drops it"
tm send-keys -t form c
wait_for form "create a user's certificate" >/dev/null
tm send-keys -t form C-c
wait_dead form
[ "$(tm display -p -t form '#{pane_dead} #{alternate_on}')" = "1 0" ]
check $? "Ctrl-C inside a form quits and restores the terminal"

# -- 60x15: the counts and the CRL share a line; the list gets the rows
start small "$BIN --home $home"
tm resize-window -t small -x 60 -y 15
wait_for small "alice" >/dev/null
# "alice" is there before the resize is drawn: wait until the short header is (line 2
# holds the CRL only once the small layout shows), or 3 s.
n=0
until tm capture-pane -p -t small | sed -n 2p | grep -q "CRL: none" || [ "$n" -ge 30 ]; do
	sleep 0.1
	n=$((n + 1))
done
[ "$(tm capture-pane -p -t small | sed -n 3p | cut -c1-5)" = "USER " ] &&
	tm capture-pane -p -t small | sed -n 2p | grep -q "notified 1  active 1  *CRL: none  ready 0  held 0"
{ r=$?; [ $r = 0 ] || tm capture-pane -p -t small | sed "s/^/  | /"; check $r "60x15: two header lines, then the column titles"; }
tm send-keys -t small q

# -- a failed action shows its error and the dashboard stays up
tm send-keys -t main g a
wait_for main "no pending renewal"; check $? "a refused by the core: the error in the status bar"
[ "$(tm display -p -t main '#{pane_dead}')" = 0 ]; check $? "the dashboard stays up"

# -- the locale: none set (cron, some SSH set-ups) draws UTF-8 names through C.UTF-8;
# with no UTF-8 locale at all, ASCII letters and one notice
lhome=$T/lhome
cd_l() { "$BIN" --home "$lhome" "$@" >/dev/null; }
cd_l init && cd_l create zoe --name "Zoë Ångström" --email zoe@example.org --out "$out"
start_bare() { # session, command: no locale variable at all
	tm new-session -d -s "$1" -x 80 -y 24 "env -u LANG -u LC_ALL -u LC_CTYPE -u LANGUAGE $2"
}
start_bare nolang "$BIN --home $lhome"
wait_for nolang "Zoë Ångström"; check $? "no LANG: the UTF-8 name drawn right (C.UTF-8)"
tm capture-pane -p -t nolang | grep -q "names are drawn in ASCII"
[ $? != 0 ]; check $? "no LANG: no ASCII notice while C.UTF-8 exists"
tm send-keys -t nolang q
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	echo "skip: hiding every UTF-8 locale needs root and unshare (not available)"
else
	# A private mount namespace with an empty /usr/lib/locale: C.UTF-8 is gone.
	start_bare ascii "unshare -m sh -c 'mount -t tmpfs none /usr/lib/locale && exec $BIN --home $lhome'"
	wait_for ascii "Zoe Angstrom"; check $? "no UTF-8 locale: ASCII letters, one per character"
	[ "$(tm capture-pane -p -t ascii | grep -c 'no UTF-8 locale (not even C.UTF-8)')" = 1 ]
	check $? "no UTF-8 locale: said once, in the status line"
	tm send-keys -t ascii Enter
	wait_for ascii "zoe  Zoe Angstrom"; check $? "no UTF-8 locale: the detail too"
	tm capture-pane -p -t ascii | grep -q "no UTF-8 locale"
	[ $? != 0 ]; check $? "no UTF-8 locale: the notice is not repeated"
	tm send-keys -t ascii q q
fi
# -- after renewing the first user the selection keeps its place (bob), alice went down
cd_ config out.dir "$out"
start renew "$BIN --home $home"
wait_for renew "alice" >/dev/null
tm send-keys -t renew r
wait_for renew "renew alice" >/dev/null
tm send-keys -t renew Tab C-u alice2@example.org Tab Tab Bern Enter Enter Enter Enter Enter Enter Enter
wait_for renew "alice moved to 2/2 (sort: expiry)"; check $? "the renewal says where alice went"
wait_for renew "changed: email, location"; check $? "the renewal says what changed"
"$BIN" --home "$home" log alice | grep -q 'changed: email "alice@example.org" -> "alice2@example.org", location "" -> "Bern"'
check $? "the audit trail has the old and the new values"
tm send-keys -t renew q
wait_for renew "1/2  sort: expiry"; check $? "the selection stays in its place after a renewal"
tm send-keys -t renew L
wait_for renew "audit log: the whole home" && wait_for renew "create   bob"
check $? "L opens the whole audit trail, every user's"
tm send-keys -t renew q q

# -- the read-only view as a teammate's Unix account
RO_NAME=cdro$$
if [ "$(id -u)" != 0 ] || ! command -v useradd >/dev/null; then
	echo "skip: the read-only view as a second user needs root and useradd (not available)"
elif ! useradd -M -N -s /bin/sh "$RO_NAME" 2>"$T/useradd.err"; then
	bad "useradd $RO_NAME: $(cat "$T/useradd.err")"
else
	RO_USER=$RO_NAME
	runuser -u "$RO_USER" -- cat "$home/ca/ca.key" >/dev/null 2>&1
	[ $? != 0 ]; check $? "the teammate cannot read the CA key"
	runuser -u "$RO_USER" -- touch "$home/x" 2>/dev/null
	[ $? != 0 ]; check $? "the teammate cannot write the home"
	start ro "sh -c 'runuser -u $RO_USER -- env HOME=$T $BIN --home $home; echo \$? > $T/ro.rc'"
	wait_for ro "READ-ONLY"; check $? "the teammate gets the read-only view automatically"
	wait_for ro "alice" >/dev/null; check $? "the teammate sees the list"
	tm send-keys -t ro r
	wait_for ro "read-only view: 'renew' changes the home"; check $? "renew refused at dispatch"
	tm send-keys -t ro '?'
	wait_for ro "greyed: not available in the read-only view" >/dev/null
	tm capture-pane -e -p -t ro > "$T/ro-help.ans"
	grep "issue a client" "$T/ro-help.ans" | grep -q "$(printf '\033')\[[0-9;]*2m" &&
		! tm capture-pane -p -t ro | grep -q "read-only: not available" &&
		! tm capture-pane -p -t ro | grep -q "^ *P  *show the last"
	check $? "read-only help: refused keys greyed, no P, no appended words"
	tm send-keys -t ro q Enter
	wait_for ro "Bob Later"; check $? "the detail works read-only"
	tm send-keys -t ro q q
	n=0
	while [ ! -s "$T/ro.rc" ] && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	st=$(cat "$T/ro.rc" 2>/dev/null)
	[ "$st" = 0 ]; check $? "the teammate's dashboard quits cleanly (status '$st')"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
