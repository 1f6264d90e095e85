/* test_spool.c: the bounded-memory sort under a listing by expiry: the order of qsort on
 * the same records whether they fit in memory or go through runs in a file, records
 * larger than the limit, a $TMPDIR that cannot be written, and no file left behind. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "testlib.h"
#include "util.h"

struct rec {
	int64_t key;
	size_t len;
	unsigned char b[64];
};

static int rec_order(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	c = memcmp(x->b, y->b, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

struct seen {
	const struct rec *want;
	size_t n, bad;
	int stop_at; /* > 0: fn returns non-zero on that record */
};

static int check_rec(void *ctx, const void *rec, size_t len)
{
	struct seen *s = ctx;

	if (s->stop_at && (int)s->n + 1 == s->stop_at) {
		s->n++;
		cd_err("stopped by the callback");
		return 1;
	}
	if (!s->want || len != s->want[s->n].len || memcmp(rec, s->want[s->n].b, len) != 0)
		s->bad++;
	s->n++;
	return 0;
}

/* Records with few keys (many ties), bytes from a small alphabet and lengths 0 to 40, so
 * that many share their first 16 bytes or begin one another. */
static struct rec *make_recs(size_t n, unsigned seed)
{
	struct rec *v = cd_malloc(n * sizeof *v);
	size_t i, k;

	srand(seed);
	for (i = 0; i < n; i++) {
		v[i].key = (rand() % 7) - 3;
		v[i].len = (size_t)(rand() % 41);
		for (k = 0; k < v[i].len; k++)
			v[i].b[k] = k < 14 ? (unsigned char)"ab\0\xff"[rand() % 4] : (unsigned char)rand();
		if (i % 5 == 0 && i) { /* a record that begins the one before */
			v[i] = v[i - 1];
			v[i].len = v[i - 1].len / 2;
		}
	}
	return v;
}

static void sorted_like_qsort(size_t n, size_t limit, int want_runs)
{
	struct rec *v = make_recs(n, (unsigned)(n + limit)), *sorted = cd_malloc(n * sizeof *v);
	spool *sp = spool_new(limit);
	struct seen s = {sorted, 0, 0, 0};
	size_t i;

	memcpy(sorted, v, n * sizeof *v);
	qsort(sorted, n, sizeof *sorted, rec_order);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(spool_add(sp, v[i].key, v[i].b, v[i].len), 0);
	CU_ASSERT(want_runs ? spool_runs(sp) >= 2 : spool_runs(sp) == 0);
	CU_ASSERT_EQUAL(spool_each(sp, check_rec, &s), 0);
	CU_ASSERT_EQUAL(s.n, n);
	CU_ASSERT_EQUAL(s.bad, 0);
	/* Once given, the spool is empty, and takes records again. */
	s.n = s.bad = 0;
	CU_ASSERT_EQUAL(spool_each(sp, check_rec, &s), 0);
	CU_ASSERT_EQUAL(s.n, 0);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(spool_add(sp, v[i].key, v[i].b, v[i].len), 0);
	CU_ASSERT_EQUAL(spool_each(sp, check_rec, &s), 0);
	CU_ASSERT_EQUAL(s.n, n);
	CU_ASSERT_EQUAL(s.bad, 0);
	spool_free(sp);
	free(sorted);
	free(v);
}

static void test_in_memory(void)
{
	sorted_like_qsort(5000, 64 << 20, 0);
	sorted_like_qsort(1, 1024, 0);
}

static void test_runs(void)
{
	sorted_like_qsort(5000, 4096, 1);  /* about 50 runs */
	sorted_like_qsort(20000, 1 << 16, 1);
	sorted_like_qsort(300, 64, 1); /* a run per record or two */
}

static void test_empty(void)
{
	spool *sp = spool_new(1024);
	struct seen s = {NULL, 0, 0, 0};

	CU_ASSERT_EQUAL(spool_each(sp, check_rec, &s), 0);
	CU_ASSERT_EQUAL(s.n, 0);
	spool_free(sp);
	spool_free(NULL);
	/* Freed with records held and a run written: nothing leaks (the ASan build). */
	sp = spool_new(64);
	CU_ASSERT_EQUAL(spool_add(sp, 1, "a record of some length", 23), 0);
	CU_ASSERT_EQUAL(spool_add(sp, 0, "another record, longer still", 28), 0);
	CU_ASSERT_EQUAL(spool_add(sp, 2, "and a third", 11), 0);
	spool_free(sp);
}

struct longs {
	char **big;
	size_t n, len, got, bad;
};

static int check_long(void *ctx, const void *rec, size_t len)
{
	struct longs *k = ctx;
	size_t at = k->n - 1 - k->got; /* added in falling order of their bytes */

	if (len != k->len || memcmp(rec, k->big[at], len) != 0)
		k->bad++;
	k->got++;
	return 0;
}

/* Records above the limit each make a run of their own and come back whole. */
static void test_long_records(void)
{
	struct longs k = {NULL, 6, 300000, 0, 0}; /* above a reader's 256 KB at a time */
	spool *sp = spool_new(1024);
	size_t i;

	k.big = cd_malloc(k.n * sizeof *k.big);
	for (i = 0; i < k.n; i++) {
		k.big[i] = cd_malloc(k.len);
		memset(k.big[i], 'a' + (int)(k.n - i), k.len);
		CU_ASSERT_EQUAL_FATAL(spool_add(sp, 5, k.big[i], k.len), 0);
	}
	CU_ASSERT(spool_runs(sp) >= 4);
	CU_ASSERT_EQUAL(spool_each(sp, check_long, &k), 0);
	CU_ASSERT_EQUAL(k.got, k.n);
	CU_ASSERT_EQUAL(k.bad, 0);
	spool_free(sp);
	for (i = 0; i < k.n; i++)
		free(k.big[i]);
	free(k.big);
}

/* The callback's error stops the merge and is kept. */
static void test_callback_stops(void)
{
	size_t i, limits[] = {64 << 20, 256};

	for (i = 0; i < 2; i++) {
		spool *sp = spool_new(limits[i]);
		struct seen s = {NULL, 0, 0, 3};
		int k;

		for (k = 0; k < 100; k++)
			CU_ASSERT_EQUAL_FATAL(spool_add(sp, k % 10, "0123456789", 10), 0);
		CU_ASSERT_EQUAL(spool_each(sp, check_rec, &s), -1);
		CU_ASSERT_EQUAL(s.n, 3);
		CU_ASSERT_STRING_EQUAL(cd_errmsg(), "stopped by the callback");
		spool_free(sp);
	}
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* Runs go to an unlinked 0600 file in $TMPDIR; one that cannot be written is one line
 * naming the directory. */
static void test_tmpdir(void)
{
	const char *dir = tl_tmpdir();
	char *old = getenv("TMPDIR") ? cd_strdup(getenv("TMPDIR")) : NULL;
	char link[64], target[4096];
	spool *sp;
	int k, fd, found = 0;

	setenv("TMPDIR", dir, 1);
	sp = spool_new(256);
	for (k = 0; k < 50; k++)
		CU_ASSERT_EQUAL_FATAL(spool_add(sp, k, "a row of a listing", 18), 0);
	CU_ASSERT(spool_runs(sp) > 0);
	CU_ASSERT_EQUAL(entries(dir), 0);
	for (fd = 0; fd < 1024; fd++) {
		struct stat st;
		ssize_t n;

		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, dir, strlen(dir)) == 0 && strstr(target, "certdesk-sort-") &&
		    stat(link, &st) == 0) {
			found = 1;
			CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
			CU_ASSERT(strstr(target, "(deleted)") != NULL);
		}
	}
	CU_ASSERT(found);
	spool_free(sp);
	CU_ASSERT_EQUAL(entries(dir), 0);

	setenv("TMPDIR", "/nonexistent/certdesk-sort-test", 1);
	sp = spool_new(256);
	for (k = 0; k < 50 && spool_add(sp, k, "a row of a listing", 18) == 0; k++)
		;
	CU_ASSERT(k < 50);
	CU_ASSERT(strstr(cd_errmsg(), "/nonexistent/certdesk-sort-test (TMPDIR)") != NULL);
	CU_ASSERT(strchr(cd_errmsg(), '\n') == NULL);
	spool_free(sp);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
}

/* A run that cannot be written (here a file size limit, as a full disk would) is an
 * error, with or without rows given: never a short list. */
static void test_write_error(void)
{
	struct rlimit old, small;
	struct seen s = {NULL, 0, 0, 0};
	spool *sp = spool_new(4096);
	int k, rc = 0;

	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 16384;
	signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
	for (k = 0; k < 2000 && rc == 0; k++)
		rc = spool_add(sp, k % 13, "a row of a listing, forty bytes long....", 40);
	if (rc == 0)
		rc = spool_each(sp, check_rec, &s);
	CU_ASSERT_EQUAL(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT(strstr(cd_errmsg(), "sorting: writing ") != NULL);
	CU_ASSERT(strstr(cd_errmsg(), "File too large") != NULL);
	spool_free(sp);
}

static CU_TestInfo spool_tests[] = {
	{"in memory: the order of qsort", test_in_memory},
	{"through runs in a file: the order of qsort", test_runs},
	{"empty, and freed while holding records", test_empty},
	{"records longer than the limit", test_long_records},
	{"the callback's error stops it", test_callback_stops},
	{"TMPDIR: an unlinked 0600 file, or one line", test_tmpdir},
	{"a run that cannot be written", test_write_error},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {
		{"spool", spool_tests},
		{NULL, NULL},
	};

	return tl_main(suites);
}
