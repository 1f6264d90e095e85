#!/bin/sh
# bench/ui.sh: the dashboard with 100,000 users, in a real pty (a detached tmux session
# at 80x24): time to the first full screen, to every user loaded, peak RSS, 1,000 PgDn
# presses once the load has ended, and one action (a task set through the form).
# The home is made by the real binary (init and a few real users); python3 then copies
# their rows to reach UI_BENCH_USERS users (kept in UI_BENCH_DIR between runs).  The
# dashboard writes timestamps to $CERTDESK_UI_TRACE: after its first screen is drawn,
# at each PgDn handled, and its peak RSS at exit.
#   UI_BENCH_DIR    default $TMPDIR/certdesk-bench-ui
#   UI_BENCH_USERS  default 100000
#   CERTDESK_BIN    default ./certdesk
set -eu
cd "$(dirname "$0")/.."
BIN=${CERTDESK_BIN:-./certdesk}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
dir=${UI_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-ui}
users=${UI_BENCH_USERS:-100000}
home=$dir/home-$users
sock=certdesk-bench-$$
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null || true' EXIT

if [ ! -s "$home/certdesk.db" ]; then
	echo "building $home ($users users)..."
	rm -rf "$home"
	mkdir -p "$dir/out"
	"$BIN" --home "$home" init --cn "Bench CA" >/dev/null
	for u in seed1 seed2; do
		rm -f "$dir/out/$u.p12" "$dir/out/$u.pw"
		"$BIN" --home "$home" create $u --name "Seed $u" --email $u@example.org \
			--out "$dir/out" >/dev/null
	done
	python3 - "$home/certdesk.db" "$users" <<'PY'
import random, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(20261127)
c = sqlite3.connect(db)
cols = [r[1] for r in c.execute("PRAGMA table_info(certs)")]
tmpl = dict(zip(cols, c.execute("SELECT * FROM certs LIMIT 1").fetchone()))
now = int(time.time())
first = ["Anna", "Björn", "Chloé", "Dmitri", "Eva", "Fatima", "Grzegorz", "Hana", "Ivo", "Jun"]
last = ["Müller", "Nowak", "Dvořák", "山田", "Smith", "García", "Øster", "Kowalski", "Ng", "Lee"]
users, certs = [], []
uid0 = c.execute("SELECT max(id) FROM users").fetchone()[0] + 1
cid0 = c.execute("SELECT max(id) FROM certs").fetchone()[0] + 1
for i in range(n - 2):
    uid, cid = uid0 + i, cid0 + i
    name = "u%06d" % i
    users.append((uid, name, "%s %s" % (rnd.choice(first), rnd.choice(last)),
                  name + "@example.org", "", "", "", "", "", now, cid))
    row = dict(tmpl)
    end = now + rnd.randrange(-20, 366) * 86400
    row.update(id=cid, user_id=uid, serial="%032X" % rnd.getrandbits(128),
               not_before=end - 365 * 86400, not_after=end, issued_at=end - 365 * 86400,
               p12_path=None, pw_path=None)
    if end - now < 14 * 86400 and rnd.random() < 0.5:
        row.update(notified_at=now - 86400, task="T%06d" % (100000 + i))
    certs.append(tuple(row[k] for k in cols))
c.executemany("INSERT INTO users (id, name, full_name, email, phone, location, org, ou, "
              "country, created_at, cert_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)", users)
c.executemany("INSERT INTO certs (%s) VALUES (%s)" % (",".join(cols), ",".join("?" * len(cols))),
              certs)
c.commit()
print("users:", c.execute("SELECT count(*) FROM users").fetchone()[0])
PY
fi

trace=$dir/trace.$$
rm -f "$trace"
now_ms() { date +%s%3N; }
field() { awk -v k="$1" -v n="$2" '$1 == k && $2 == n { print $3 }' "$trace"; }
wait_trace() {
	i=0
	while ! grep -q "^$1 $2 " "$trace" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 1200 ] || { echo "timed out waiting for '$1 $2'"; exit 1; }
		sleep 0.05
	done
}

t0=$(now_ms)
tm new-session -d -s b -x 80 -y 24 "env LANG=C.UTF-8 CERTDESK_UI_TRACE=$trace $BIN --home $home"
wait_trace first-screen "$users"
first=$(field first-screen "$users" | awk -v t0="$t0" '{ printf "%d", $1 * 1000 - t0 }')
# Paging is timed once every user is loaded (the load is timed on its own): keys sent
# during the load would measure the wait for it, not the paging.
wait_trace every-user "$users"
all=$(field every-user "$users" | awk -v t0="$t0" '{ printf "%d", $1 * 1000 - t0 }')
sleep 0.5
t1=$(now_ms)
tm send-keys -t b -N 1000 NPage
wait_trace pgdn 1000
pgdn=$(field pgdn 1000 | awk -v t1="$t1" '{ printf "%d", $1 * 1000 - t1 }')
screen=$(tm capture-pane -p -t b | tail -2 | head -1)
# One action: the selected user's task set through the form, timed from Enter to the
# message (the dashboard reads that user again, not every user).
task=T$(( $(date +%s) % 900000 + 100000 ))
tm send-keys -t b t C-u "$task"
sleep 0.3
t2=$(now_ms)
tm send-keys -t b Enter
i=0
until tm capture-pane -p -t b | grep -q "task $task recorded"; do
	i=$((i + 1))
	[ "$i" -lt 6000 ] || { echo "timed out waiting for the task message"; exit 1; }
	sleep 0.005
done
act=$(( $(now_ms) - t2 ))
tm send-keys -t b q
wait_trace maxrss-kb "[0-9]*"
rss=$(awk '$1 == "maxrss-kb" { printf "%.1f", $2 / 1024 }' "$trace")
rm -f "$trace"

echo "users:                 $users"
echo "first full screen:     $first ms from launch (target <= 150)"
echo "every user loaded:     $all ms from launch (header counts complete)"
echo "1000 PgDn:             $pgdn ms (target <= 1000); then: $screen"
echo "one action (task set): $act ms from Enter to its message"
echo "peak RSS:              $rss MB (target <= 64)"
ok=$(awk -v f="$first" -v p="$pgdn" -v r="$rss" 'BEGIN { print (f <= 150 && p <= 1000 && r <= 64) }')
[ "$ok" = 1 ] && echo "result: within every target" || { echo "result: a target was missed"; exit 1; }
