#!/bin/sh
# bench/seen.sh: throughput of the access-log scanner (src/seen.c) that `certdesk seen`
# uses. Builds a synthetic nginx log once (1 GB by default, kept between runs), builds
# bench/seen_bench.c with make (the project's flags), checks the sightings it reports and prints MB/s.
#   SEEN_BENCH_DIR  where the log lives (default $TMPDIR/certdesk-bench-seen)
#   SEEN_BENCH_MB   log size in MB (default 1024)
#   SEEN_BENCH_RUNS timed runs, the best is reported (default 3)
set -eu
cd "$(dirname "$0")/.."
dir=${SEEN_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-seen}
mb=${SEEN_BENCH_MB:-1024}
runs=${SEEN_BENCH_RUNS:-3}
mkdir -p "$dir"
log=$dir/access-$mb.log

if [ ! -s "$log" ] || [ ! -s "$log.expected" ]; then
	echo "building $log ($mb MB)..."
	python3 - "$log" "$mb" <<'PY'
# nginx: log_format certs '$remote_addr - $remote_user [$time_local] "$request" $status
#   $body_bytes_sent "$http_referer" "$http_user_agent" $ssl_client_serial';
import random, sys, time
path, mb = sys.argv[1], int(sys.argv[2])
rnd = random.Random(20261127)

def serial():
    v = rnd.getrandbits(128) | (1 << 120)
    h = "%032X" % v
    return ("00" + h) if v >> 127 else h  # nginx keeps the DER sign byte

users = [("10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255)),
          rnd.choice(["-", "-", "alice", "bob"]), serial()) for _ in range(3000)]
targets = [serial() for _ in range(5)]
paths = ["/", "/index.php?title=Special:Search&search=%d", "/api/v1/donations/%d",
         "/static/js/app.%d.js", "/w/index.php?title=Main_Page&oldid=%d",
         "/dashboard/reports/%d/export?format=csv", "/civicrm/contact/view?cid=%d"]
agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:120.0) Gecko/20100101 Firefox/120.0",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Edg/119.0.2151.93",
          "curl/7.88.1", "python-requests/2.28.1"]
refs = ["-", "https://civicrm.example.org/dashboard", "https://payments.example.org/index.php"]
methods = ["GET"] * 8 + ["POST", "HEAD"]
start = 1793491200  # 2026-11-01T00:00:00Z
est = mb * 1000000 // 260
span = 27 * 86400
months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
stamp = {}
def clf(t):
    s = stamp.get(t)
    if s is None:
        g = time.gmtime(t)
        s = "%02d/%s/%04d:%02d:%02d:%02d +0000" % (g.tm_mday, months[g.tm_mon - 1], g.tm_year,
                                                    g.tm_hour, g.tm_min, g.tm_sec)
        stamp.clear()
        stamp[t] = s
    return s

first = {}  # target -> first time seen
limit, size, i = mb * 1000000, 0, 0
with open(path + ".tmp", "w") as f:
    while size < limit:
        out = []
        for _ in range(20000):
            t = start + i * span // est
            ip, user, ser = rnd.choice(users)
            if i > est * 99 // 100 and rnd.randrange(500) == 0:
                ser = rnd.choice(targets)
                first.setdefault(ser, t)
            elif rnd.randrange(10) == 0:
                ser = "-"  # no client certificate
            p = rnd.choice(paths)
            if "%d" in p:
                p = p % rnd.randrange(1, 10**7)
            out.append('%s - %s [%s] "%s %s HTTP/1.1" %d %d "%s" "%s" %s\n' % (
                ip, user, clf(t), rnd.choice(methods), p, rnd.choice((200, 200, 200, 304, 404, 302)),
                rnd.randrange(0, 200000), rnd.choice(refs), rnd.choice(agents), ser))
            i += 1
        chunk = "".join(out)
        f.write(chunk)
        size += len(chunk)
with open(path + ".targets", "w") as f:
    for s in targets:
        f.write(s + "\n")
    for _ in range(500):  # pending renewals not installed yet: never seen
        f.write(serial() + "\n")
with open(path + ".expected", "w") as f:
    for s in first:
        f.write("%s %d\n" % (s[2:] if s.startswith("00") else s, first[s]))
import os
os.rename(path + ".tmp", path)
PY
fi

# Built by make with the project's flags (-O2, warnings as errors), like certdesk itself.
make -s build/rel/bench/seen_bench >/dev/null
bin=$PWD/build/rel/bench/seen_bench
cat "$log" >/dev/null # page cache: measure the scanner, not the disk

LC_ALL=C sort "$log.expected" >"$dir/expected.sorted"
best=
i=0
while [ "$i" -lt "$runs" ]; do
	"$bin" "$log.targets" "$log" >"$dir/hits" 2>"$dir/stats"
	cat "$dir/stats"
	rate=$(sed -n 's/.* \([0-9]*\) MB\/s$/\1/p' "$dir/stats")
	if [ -z "$best" ] || [ "$rate" -gt "$best" ]; then best=$rate; fi
	i=$((i + 1))
done
if ! LC_ALL=C sort "$dir/hits" | cmp -s - "$dir/expected.sorted"; then
	echo "seen_bench: sightings differ from $log.expected" >&2
	exit 1
fi
echo "sightings: $(wc -l <"$dir/hits") of $(wc -l <"$log.expected") expected, times match"
echo "best: $best MB/s on $(nproc) x $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(date -u +%Y-%m-%d)"
