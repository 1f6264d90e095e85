#!/bin/sh
# startup.sh: `certdesk list` on an empty home against `certdesk --version`, the cost of
# starting the process alone (see bench/README.md, core). A small C harness embedded
# here spawns each in turn (posix_spawn, output to /dev/null) and prints the medians.
# Variables: STARTUP_BENCH_RUNS (300), STARTUP_BENCH_DIR ($TMPDIR/certdesk-bench-startup).
set -e
cd "$(dirname "$0")/.."
runs=${STARTUP_BENCH_RUNS:-300}
dir=${STARTUP_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-startup}
make -s >/dev/null
bin=$PWD/build/rel/certdesk
mkdir -p "$dir"
[ -e "$dir/home/certdesk.db" ] || "$bin" --home "$dir/home" init --cn "Startup CA" >/dev/null
cat >"$dir/spawn.c" <<'C'
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}
static double run(char **argv)
{
	struct timespec a, b;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) < 0)
		exit(1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	posix_spawn_file_actions_destroy(&fa);
	return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}
int main(int argc, char **argv)
{
	int n = argc > 3 ? atoi(argv[3]) : 300, i;
	char *v[] = {argv[1], "--version", NULL}, *l[] = {argv[1], "--home", argv[2], "list", NULL};
	double *tv = malloc((size_t)n * sizeof *tv), *tl = malloc((size_t)n * sizeof *tl);

	for (i = 0; i < n; i++) {
		tv[i] = run(v);
		tl[i] = run(l);
	}
	qsort(tv, (size_t)n, sizeof *tv, cmp);
	qsort(tl, (size_t)n, sizeof *tl, cmp);
	printf("--version %.3f ms, list on an empty home %.3f ms: %.2fx (medians of %d "
	       "alternating runs)\n", tv[n / 2], tl[n / 2], tl[n / 2] / tv[n / 2], n);
	return 0;
}
C
cc -O2 -Wall -Wextra -Werror -o "$dir/spawn" "$dir/spawn.c"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$dir/spawn" "$bin" "$dir/home" "$runs"
