#!/bin/sh
# screenshots/make.sh: PNGs of the dashboard on the demo data, for the README.
# Runs the real binary in a detached tmux session, captures each view with its colours
# (capture-pane -e) and draws it into a PNG (screenshots/ansi2png.py, Pillow).
# Usage: sh screenshots/make.sh [CERTDESK_BINARY]   (from `make screenshots`)
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-./certdesk}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
[ -x "$BIN" ] || { echo "no $BIN: run make first"; exit 1; }
if ! /usr/bin/python3 -c 'import PIL' 2>/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y -qq python3-pil fonts-dejavu-core >/dev/null
	else
		echo "needs Pillow: sudo apt-get install -y python3-pil fonts-dejavu-core"
		exit 1
	fi
fi
# A demo home of its own at a short fixed path: the renew form shows its output directory.
demo=/tmp/certdesk-demo
rm -rf "$demo"
DEMO_NO_DASHBOARD=1 sh data/demo.sh "$BIN" "$demo" >/dev/null
sock=certdesk-shots-$$
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null || true' EXIT
tmp=$(mktemp -d)

# shot NAME COLS ROWS ARGS KEYS...: a fresh dashboard, the keys, then the picture.
shot() {
	name=$1 cols=$2 rows=$3 args=$4
	shift 4
	tm new-session -d -s "$name" -x "$cols" -y "$rows" \
		"env LANG=C.UTF-8 TERM=screen-256color $BIN --home $demo $args"
	sleep 0.6
	for k in "$@"; do
		tm send-keys -t "$name" "$k"
		sleep 0.3
	done
	tm capture-pane -e -p -t "$name" > "$tmp/$name.ans"
	/usr/bin/python3 screenshots/ansi2png.py "$tmp/$name.ans" "screenshots/$name.png" "$cols" "$rows"
	tm kill-session -t "$name"
	echo "screenshots/$name.png"
}

shot list 100 30 ""
shot detail 150 36 "" j j j
shot renew-form 100 30 "" j j j r
shot publish 100 30 "" p
shot read-only 100 30 "--read-only" j x
rm -rf "$tmp" "$demo"
