/*
 * seen_bench.c: times src/seen.c over one access log, the scanner `certdesk seen` uses.
 * Usage: seen_bench SERIALS LOG. SERIALS holds one hex serial per line; prints each
 * first sighting as "SERIAL EPOCH" and then the throughput.
 */
#include "seen.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void bench_hit(void *ctx, void *tag, const char *serial, int64_t when)
{
	printf("%s %" PRId64 "\n", serial, when);
}

static int bench_load(seen_set *s, const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0]) {
			seen_set_add(s, line, NULL);
			n++;
		}
	}
	fclose(f);
	return n;
}

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	seen_set *s = seen_set_new();
	seen_stats st;
	double t0, dt;
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: seen_bench SERIALS LOG\n");
		return 2;
	}
	if ((n = bench_load(s, argv[1])) < 0) {
		perror(argv[1]);
		return 1;
	}
	t0 = bench_now();
	if (seen_scan(s, argv[2], bench_hit, NULL, &st) < 0) {
		fprintf(stderr, "seen_bench: %s\n", cd_errmsg());
		return 1;
	}
	dt = bench_now() - t0;
	fprintf(stderr, "serials %d, bytes %" PRIu64 ", lines %" PRIu64 ", skipped %" PRIu64
		", hits %" PRIu64 ", %.2f s, %.0f MB/s\n", n, st.bytes, st.lines, st.skipped,
		st.hits, dt, st.bytes / dt / 1e6);
	seen_set_free(s);
	return 0;
}
