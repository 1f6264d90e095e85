#!/bin/sh
# bench/backup.sh: `certdesk backup`, `backup --check` and `restore` of a home of 100,000
# users with real certificates (bench/gen-home, built once and kept). Target: a few
# seconds each.
#   BACKUP_BENCH_N    users (default 100000)
#   BACKUP_BENCH_DIR  cache (default $TMPDIR/certdesk-bench-backup)
#   BACKUP_BENCH_RUNS timed runs (default 3)
set -eu
cd "$(dirname "$0")/.."
n=${BACKUP_BENCH_N:-100000}
dir=${BACKUP_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-backup}
runs=${BACKUP_BENCH_RUNS:-3}
home=$dir/home-$n
bin=build/rel/certdesk
[ -x "$bin" ] || make -s >/dev/null
mkdir -p "$dir"
[ -s "$home/certdesk.db" ] || sh bench/gen-home "$home" "$n" >/dev/null
printf 'bench passphrase\n' > "$dir/pass"
chmod 600 "$dir/pass"
echo "home: $n users, database $(du -h "$home/certdesk.db" | cut -f1)"

now() { date +%s.%N; }
took() { echo "$1 $(now)" | awk '{ printf "%.2f s", $2 - $1 }'; }

i=1
while [ "$i" -le "$runs" ]; do
	rm -rf "$dir/b.cms" "$dir/restored"
	t=$(now); "$bin" --home "$home" backup "$dir/b.cms" --passphrase-file "$dir/pass" >/dev/null
	b=$(took "$t")
	t=$(now); "$bin" backup --check "$dir/b.cms" --passphrase-file "$dir/pass" >/dev/null
	c=$(took "$t")
	t=$(now); "$bin" --home "$dir/restored" restore "$dir/b.cms" --passphrase-file "$dir/pass" >/dev/null
	r=$(took "$t")
	users=$("$bin" --home "$dir/restored" --format tsv list --all | tail -n +2 | wc -l)
	[ "$users" -eq "$n" ] || { echo "restored home lists $users users, not $n" >&2; exit 1; }
	echo "run $i: backup $b, --check $c, restore $r ($(du -h "$dir/b.cms" | cut -f1) encrypted)"
	i=$((i + 1))
done
