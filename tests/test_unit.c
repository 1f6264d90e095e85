/* test_unit.c: the core's pure parts called directly: dates, validation, settings,
 * schema migrations and refusals, renewal stages and the readiness rule. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "cycle.h"
#include "out.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

#define D(y, m, d) cd_timegm(y, m, d, 0, 0, 0)

/* ---- dates ---- */

static void test_timegm_matches_libc(void)
{
	static const int days[][3] = {
		{1970, 1, 1}, {2000, 2, 29}, {2024, 12, 31}, {2026, 3, 1}, {2100, 3, 1}, {2038, 1, 19},
	};
	size_t i;

	for (i = 0; i < sizeof days / sizeof *days; i++) {
		struct tm tm = {0};
		tm.tm_year = days[i][0] - 1900;
		tm.tm_mon = days[i][1] - 1;
		tm.tm_mday = days[i][2];
		tm.tm_hour = 13;
		tm.tm_min = 7;
		tm.tm_sec = 5;
		CU_ASSERT_EQUAL(cd_timegm(days[i][0], days[i][1], days[i][2], 13, 7, 5),
				(int64_t)timegm(&tm));
	}
	CU_ASSERT_EQUAL(D(1970, 1, 1), 0);
	CU_ASSERT_EQUAL(D(2000, 3, 1) - D(2000, 2, 28), 2 * CD_DAY);
	CU_ASSERT_EQUAL(D(2100, 3, 1) - D(2100, 2, 28), 1 * CD_DAY);
}

static void test_parse_date(void)
{
	static const char *const bad[] = {
		"2026-02-30", "2026-02-29", "2100-02-29", "26-11-27", "2026-1-05", "2026/11/27",
		"2026-13-01", "2026-00-10", "2026-11-00", "2026-11-31", "garbage", "", "2026-11-27x",
		"2026-11-27 ", " 2026-11-27", "1969-12-31", "+026-11-27", "2026-1a-01",
	};
	int64_t t = 0;
	size_t i;

	CU_ASSERT_EQUAL(cd_parse_date("2026-11-27", &t), 0);
	CU_ASSERT_EQUAL(t, D(2026, 11, 27));
	CU_ASSERT_EQUAL(cd_parse_date("2024-02-29", &t), 0);
	CU_ASSERT_EQUAL(t, D(2024, 2, 29));
	CU_ASSERT_EQUAL(cd_parse_date("2000-02-29", &t), 0);
	CU_ASSERT_EQUAL(cd_parse_date("1970-01-01", &t), 0);
	CU_ASSERT_EQUAL(t, 0);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		t = 12345;
		CU_ASSERT_EQUAL(cd_parse_date(bad[i], &t), -1);
		CU_ASSERT_EQUAL(t, 12345); /* untouched on failure */
		CU_ASSERT(tl_contains(cd_errmsg(), "date"));
	}
}

static void test_format_roundtrip(void)
{
	char d[16], tm[32];
	int64_t t = cd_timegm(2027, 2, 3, 4, 5, 6), back;

	cd_format_date(t, d);
	CU_ASSERT_STRING_EQUAL(d, "2027-02-03");
	cd_format_time(t, tm);
	CU_ASSERT_STRING_EQUAL(tm, "2027-02-03T04:05:06Z");
	CU_ASSERT_EQUAL(cd_parse_date(d, &back), 0);
	CU_ASSERT_EQUAL(back, D(2027, 2, 3));
}

/* The date arithmetic against the C library's, over every day from 1600 to 2400 at a
 * varying hour, and at the ends of the range a certificate can name (years 0 and 9999). */
static void test_format_date_as_gmtime(void)
{
	int64_t t, from = cd_timegm(1600, 1, 1, 0, 0, 0), to = cd_timegm(2400, 12, 31, 0, 0, 0);
	char got[16], want[16];
	int bad = 0;

	for (t = from; t <= to; t += CD_DAY + 3607) {
		time_t tt = (time_t)t;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(want, sizeof want, "%Y-%m-%d", &tm);
		cd_format_date(t, got);
		if (strcmp(got, want) != 0 && bad++ < 3)
			fprintf(stderr, "%lld: %s, not %s\n", (long long)t, got, want);
	}
	CU_ASSERT_EQUAL(bad, 0);
	cd_format_date(cd_timegm(9999, 12, 31, 23, 59, 59), got);
	CU_ASSERT_STRING_EQUAL(got, "9999-12-31");
	cd_format_date(cd_timegm(0, 1, 1, 0, 0, 0), got);
	CU_ASSERT_STRING_EQUAL(got, "0000-01-01");
	cd_format_date(-1, got);
	CU_ASSERT_STRING_EQUAL(got, "1969-12-31");
}

struct sort_el {
	int64_t key;
	uint32_t tie, pad;
};

static int sort_cmp(const void *a, const void *b, void *ctx)
{
	const struct sort_el *x = a, *y = b;
	int *calls = ctx;

	(*calls)++;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->tie > y->tie) - (x->tie < y->tie);
}

static int sort_cmp_plain(const void *a, const void *b)
{
	int calls = 0;

	return sort_cmp(a, b, &calls);
}

/* cd_sort against qsort on the patterns that break naive quicksorts: sorted, reversed,
 * all equal, few keys, organ pipe, random; and its comparisons stay n log n. */
static void test_sort_in_place(void)
{
	static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 100, 1000, 4099, 100000};
	size_t si, i, n;
	int pat, bad = 0;
	uint32_t seed = 12345;

	for (si = 0; si < sizeof sizes / sizeof *sizes; si++) {
		n = sizes[si];
		for (pat = 0; pat < 6; pat++) {
			struct sort_el *a = cd_malloc((n + 1) * sizeof *a);
			struct sort_el *b = cd_malloc((n + 1) * sizeof *b);
			int calls = 0;
			double limit = 0;

			for (i = 0; i < n; i++) {
				seed = seed * 1103515245 + 12345;
				a[i].key = pat == 0 ? (int64_t)i : pat == 1 ? (int64_t)(n - i) :
					   pat == 2 ? 7 : pat == 3 ? (int64_t)(seed >> 16) % 3 :
					   pat == 4 ? (int64_t)(i < n / 2 ? i : n - i) :
					   (int64_t)(seed >> 8);
				a[i].tie = pat == 2 ? (uint32_t)(n - i) : (uint32_t)i;
				a[i].pad = 0;
			}
			memcpy(b, a, n * sizeof *a);
			cd_sort(a, n, sizeof *a, sort_cmp, &calls);
			qsort(b, n, sizeof *b, sort_cmp_plain);
			if (n && memcmp(a, b, n * sizeof *a) != 0 && bad++ < 3)
				fprintf(stderr, "cd_sort: %zu elements, pattern %d differ\n", n, pat);
			for (i = n; i > 1; i >>= 1)
				limit += (double)n;
			if (n > 16 && calls > 4 * limit + 64 && bad++ < 3)
				fprintf(stderr, "cd_sort: %d comparisons for %zu (pattern %d)\n", calls,
					n, pat);
			free(a);
			free(b);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static size_t sort_bucket(const void *x, void *ctx)
{
	(void)ctx;
	return (size_t)(((const struct sort_el *)x)->key >> 22); /* keys below 2^31: 512 */
}

/* cd_sort_bucketed gives what qsort gives, with buckets empty, full or uneven. */
static void test_sort_bucketed(void)
{
	static const size_t sizes[] = {0, 1, 5000, 100000};
	size_t si, i, n;
	int pat, bad = 0, calls = 0;
	uint32_t seed = 777;

	for (si = 0; si < sizeof sizes / sizeof *sizes; si++) {
		n = sizes[si];
		for (pat = 0; pat < 4; pat++) {
			struct sort_el *a = cd_malloc((n + 1) * sizeof *a);
			struct sort_el *b = cd_malloc((n + 1) * sizeof *b);

			for (i = 0; i < n; i++) {
				seed = seed * 1103515245 + 12345;
				a[i].key = pat == 0 ? (int64_t)(seed >> 1) : pat == 1 ? 5 :
					   pat == 2 ? (int64_t)(n - i) << 12 :
					   (int64_t)(seed >> 1) % 3 << 29;
				a[i].tie = (uint32_t)(seed ^ i);
				a[i].pad = 0;
			}
			memcpy(b, a, n * sizeof *a);
			cd_sort_bucketed(a, n, sizeof *a, sort_bucket, 512, sort_cmp, &calls);
			qsort(b, n, sizeof *b, sort_cmp_plain);
			if (n && memcmp(a, b, n * sizeof *a) != 0 && bad++ < 3)
				fprintf(stderr, "cd_sort_bucketed: %zu elements, pattern %d differ\n", n,
					pat);
			free(a);
			free(b);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_days_until(void)
{
	int64_t noon = cd_timegm(2026, 11, 27, 12, 0, 0);

	/* Calendar days between UTC dates, whatever the hour. */
	CU_ASSERT_EQUAL(cd_days_until(cd_timegm(2026, 11, 27, 23, 59, 59), noon), 0);
	CU_ASSERT_EQUAL(cd_days_until(cd_timegm(2026, 11, 28, 0, 0, 1), noon), 1);
	CU_ASSERT_EQUAL(cd_days_until(cd_timegm(2026, 11, 26, 23, 59, 59), noon), -1);
	CU_ASSERT_EQUAL(cd_days_until(D(2027, 11, 27), noon), 365);
	CU_ASSERT_EQUAL(cd_days_until(D(2028, 11, 27), D(2027, 11, 27)), 366); /* leap year */
	CU_ASSERT_EQUAL(cd_days_until(D(2026, 3, 1), D(2026, 2, 28)), 1);
	CU_ASSERT_EQUAL(cd_days_until(D(2026, 1, 1), D(2027, 1, 1)), -365);
	CU_ASSERT_EQUAL(cd_days_until(-1, 0), -1); /* before the epoch rounds down */
}

/* ---- validation ---- */

static void test_check_user(void)
{
	static const char *const good[] = {
		"a", "_", "alice", "bob.smith", "c-d_e.9", "_svc", "x0",
	};
	static const char *const bad[] = {
		"", "Alice", "alice smith", "../etc", "a/b", "9lives", "-x", ".x", "a\\b",
		"a\x1b[31m", "a\nb", "a\tb", "ali\xc3\xa9", "a;rm", "a*", "a$b",
	};
	char longest[66];
	size_t i;

	memset(longest, 'a', 65);
	longest[65] = '\0';
	CU_ASSERT_EQUAL(cd_check_user(longest), -1); /* 65 characters */
	longest[64] = '\0';
	CU_ASSERT_EQUAL(cd_check_user(longest), 0);  /* 64 */
	for (i = 0; i < sizeof good / sizeof *good; i++)
		CU_ASSERT_EQUAL(cd_check_user(good[i]), 0);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		CU_ASSERT_EQUAL(cd_check_user(bad[i]), -1);
		CU_ASSERT(tl_contains(cd_errmsg(), "user name"));
		/* The message never carries a raw control character back to the terminal. */
		CU_ASSERT(strchr(cd_errmsg(), '\x1b') == NULL && strchr(cd_errmsg(), '\n') == NULL);
	}
}

static void test_check_field(void)
{
	char max[258];

	memset(max, 'x', 256);
	max[256] = '\0';
	CU_ASSERT_EQUAL(cd_check_field("name", "Jos\xc3\xa9 M\xc3\xbcller"), 0);
	CU_ASSERT_EQUAL(cd_check_field("name", ""), 0);
	CU_ASSERT_EQUAL(cd_check_field("name", max), 0);
	max[256] = 'x';
	max[257] = '\0';
	CU_ASSERT_EQUAL(cd_check_field("name", max), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "too long"));
	CU_ASSERT_EQUAL(cd_check_field("name", "a\x1b[2Jb"), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "control"));
	CU_ASSERT(tl_contains(cd_errmsg(), "name"));
	CU_ASSERT_EQUAL(cd_check_field("location", "a\nb"), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "location"));
	CU_ASSERT_EQUAL(cd_check_field("org", "a\tb"), -1);
	CU_ASSERT_EQUAL(cd_check_field("org", "a\x7f"), -1);
	CU_ASSERT_EQUAL(cd_check_field("org", "a\xc2\x9b" "31m"), -1); /* C1 CSI */
	CU_ASSERT_EQUAL(cd_check_field("org", "\xff\xfe"), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "UTF-8"));
	CU_ASSERT_EQUAL(cd_check_field("org", "\xc3"), -1);     /* truncated sequence */
	CU_ASSERT_EQUAL(cd_check_field("org", "\xc0\xaf"), -1); /* overlong '/' */
	CU_ASSERT_EQUAL(cd_check_field("org", "\xed\xa0\x80"), -1); /* surrogate */
	/* Direction overrides (U+202E) and isolates (U+2066) would disguise text. */
	CU_ASSERT_EQUAL(cd_check_field("name", "Ev\xe2\x80\xaeil"), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "direction"));
	CU_ASSERT_EQUAL(cd_check_field("name", "a\xe2\x81\xa6" "b"), -1);
	CU_ASSERT_EQUAL(cd_check_field("name", "a\xe2\x80\x94" "b"), 0); /* an em dash is fine */
}

static void test_utf8_and_sanitize(void)
{
	char *s;

	CU_ASSERT(cd_utf8_valid("\xf0\x9f\x94\x92", 4));
	CU_ASSERT(!cd_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
	CU_ASSERT(!cd_utf8_valid("\xe2\x82", 2));
	s = cd_sanitize("ok \x1b[31mred\n\xff end \xc3\xa9");
	CU_ASSERT_STRING_EQUAL(s, "ok ?[31mred?? end \xc3\xa9");
	free(s);
	s = cd_sanitize("Ev\xe2\x80\xaeil");
	CU_ASSERT_STRING_EQUAL(s, "Ev???il");
	free(s);
	/* Printable ASCII is passed eight bytes at a time: a control, DEL or a stray
	 * continuation byte at every offset of those words is still caught. */
	{
		static const char bad[] = {'\x01', '\x1f', '\x7f', '\x80', '\xff'};
		char in[41], want[41];
		size_t pos, k;
		int wrong = 0;

		for (k = 0; k < sizeof bad; k++) {
			for (pos = 0; pos < 40; pos++) {
				memset(in, 'a' + (int)(pos % 26), 40);
				in[40] = '\0';
				memcpy(want, in, sizeof want);
				in[pos] = bad[k];
				want[pos] = '?';
				s = cd_sanitize(in);
				wrong += strcmp(s, want) != 0;
				free(s);
			}
		}
		CU_ASSERT_EQUAL(wrong, 0);
	}
	/* An empty BIO hands out no data pointer (an empty subject): no memcpy from NULL,
	 * which the sanitizer build aborts on. */
	s = cd_strndup(NULL, 0);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
}

static void test_read_file_kinds(void)
{
	char *data = NULL;
	size_t len;

	CU_ASSERT_EQUAL(cd_read_file("/dev/zero", &data, &len), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "not a regular file"));
	CU_ASSERT_EQUAL(cd_read_file("/", &data, &len), -1);
	CU_ASSERT_EQUAL(cd_read_file("/etc/hostname", &data, &len), 0);
	free(data);
}

static void test_check_email(void)
{
	static const char *const good[] = {"a@b", "first.last+tag@example.org", "x@sub.d-e.com"};
	static const char *const bad[] = {
		"", "nobody", "@example.org", "a@", "a@b@c", "a b@c", "a@b,c@d", "<a@b>", "a@b\n",
		"a@x..org", "a@.org", "a@org.",
	};
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++)
		CU_ASSERT_EQUAL(cd_check_email(good[i]), 0);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		CU_ASSERT_EQUAL(cd_check_email(bad[i]), -1);
		CU_ASSERT(tl_contains(cd_errmsg(), "email"));
	}
}

static void test_check_country_task_int(void)
{
	long v = 0;

	CU_ASSERT_EQUAL(cd_check_country("US"), 0);
	CU_ASSERT_EQUAL(cd_check_country("DE"), 0);
	CU_ASSERT_EQUAL(cd_check_country("us"), -1);
	CU_ASSERT_EQUAL(cd_check_country("USA"), -1);
	CU_ASSERT_EQUAL(cd_check_country("U"), -1);
	CU_ASSERT_EQUAL(cd_check_country("U1"), -1);
	CU_ASSERT_EQUAL(cd_check_country(""), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "country"));

	CU_ASSERT_EQUAL(cd_check_task("T1"), 0);
	CU_ASSERT_EQUAL(cd_check_task("T123456"), 0);
	CU_ASSERT_EQUAL(cd_check_task("T"), -1);
	CU_ASSERT_EQUAL(cd_check_task("t123"), -1);
	CU_ASSERT_EQUAL(cd_check_task("123"), -1);
	CU_ASSERT_EQUAL(cd_check_task("T12a"), -1);
	CU_ASSERT_EQUAL(cd_check_task("T-1"), -1);
	CU_ASSERT_EQUAL(cd_check_task("T1234567890123456789012"), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "task"));

	CU_ASSERT_EQUAL(cd_parse_int("days", "825", 1, 825, &v), 0);
	CU_ASSERT_EQUAL(v, 825);
	CU_ASSERT_EQUAL(cd_parse_int("days", "1", 1, 825, &v), 0);
	CU_ASSERT_EQUAL(v, 1);
	v = 7;
	CU_ASSERT_EQUAL(cd_parse_int("days", "826", 1, 825, &v), -1);
	CU_ASSERT_EQUAL(cd_parse_int("days", "0", 1, 825, &v), -1);
	CU_ASSERT_EQUAL(cd_parse_int("days", "-5", 1, 825, &v), -1);
	CU_ASSERT_EQUAL(cd_parse_int("days", "", 1, 825, &v), -1);
	CU_ASSERT_EQUAL(cd_parse_int("days", "10x", 1, 825, &v), -1);
	CU_ASSERT_EQUAL(cd_parse_int("days", "99999999999999999999", 1, 825, &v), -1);
	CU_ASSERT_EQUAL(v, 7);
	CU_ASSERT(tl_contains(cd_errmsg(), "days"));
}

static void test_write_secret(void)
{
	const char *dir = tl_tmpdir();
	char *path = cd_asprintf("%s/s.pw", dir), *data = NULL;
	size_t len = 0;
	tl_result r;

	CU_ASSERT_EQUAL(cd_write_secret(path, "hunter2", 7), 0);
	CU_ASSERT_EQUAL(tl_mode(path), 0600);
	CU_ASSERT_EQUAL(cd_read_file(path, &data, &len), 0);
	CU_ASSERT_EQUAL(len, 7);
	CU_ASSERT_STRING_EQUAL(data, "hunter2");
	free(data);
	/* Never replaces an existing file, and leaves no temporary file behind. */
	CU_ASSERT_EQUAL(cd_write_secret(path, "other", 5), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "exists"));
	data = tl_read(path);
	CU_ASSERT_STRING_EQUAL(data, "hunter2");
	free(data);
	r = tl_sh("ls -A '%s'", dir);
	CU_ASSERT_STRING_EQUAL(r.out, "s.pw\n");
	tl_free(&r);
	free(path);
	path = cd_asprintf("%s/missing/s.pw", dir);
	CU_ASSERT_EQUAL(cd_write_secret(path, "x", 1), -1);
	free(path);
}

/* The names in dir, one a line. */
static char *names_in(const char *dir)
{
	tl_result r = tl_sh("ls -A '%s'", dir);
	char *s = r.out;

	r.out = NULL;
	tl_free(&r);
	return s;
}

static void expect_content(const char *path, const char *want)
{
	char *s = tl_read(path);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, want);
	free(s);
}

static void test_write_file_exclusive(void)
{
	const char *dir = tl_tmpdir();
	char *path = cd_asprintf("%s/ca.crt", dir), *planted = cd_asprintf("%s/planted", dir), *s;
	mode_t old = umask(077);

	/* The mode asked for, whatever the umask. */
	CU_ASSERT_EQUAL(cd_write_file(path, "first\n", 6, 0644), 0);
	umask(old);
	CU_ASSERT_EQUAL(tl_mode(path), 0644);
	expect_content(path, "first\n");
	/* An existing destination is refused and kept as it was. */
	CU_ASSERT_EQUAL(cd_write_file(path, "second\n", 7, 0644), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "already exists"));
	expect_content(path, "first\n");
	/* So is a symbolic link planted at the name; its target is not written. */
	CU_ASSERT_EQUAL(symlink(path, planted), 0);
	CU_ASSERT_EQUAL(cd_write_file(planted, "third\n", 6, 0644), -1);
	expect_content(path, "first\n");
	/* No temporary file is left behind, after success or refusal. */
	s = names_in(dir);
	CU_ASSERT_STRING_EQUAL(s, "ca.crt\nplanted\n");
	free(s);
	free(path);
	path = cd_asprintf("%s/missing/x", dir);
	CU_ASSERT_EQUAL(cd_write_file(path, "x", 1, 0644), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "missing/x"));
	free(path);
	free(planted);
}

static void test_replace_file(void)
{
	const char *dir = tl_tmpdir();
	char *path = cd_asprintf("%s/ca.key", dir), *target = cd_asprintf("%s/target", dir);
	char *ln = cd_asprintf("%s/ln", dir), buf[16] = "", *s;
	mode_t old = umask(0);
	struct stat a, b;
	int fd;

	CU_ASSERT_EQUAL(cd_replace_file(path, "old\n", 4, 0600), 0); /* a new file too */
	umask(old);
	CU_ASSERT_EQUAL(tl_mode(path), 0600);
	CU_ASSERT_EQUAL_FATAL(stat(path, &a), 0);
	fd = open(path, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(cd_replace_file(path, "new content\n", 12, 0640), 0);
	expect_content(path, "new content\n");
	CU_ASSERT_EQUAL(tl_mode(path), 0640);
	/* Replaced by a rename: another file took the name, whole; a reader of the old one
	 * still reads all of the old one, never a mix. */
	CU_ASSERT_EQUAL_FATAL(stat(path, &b), 0);
	CU_ASSERT_NOT_EQUAL(a.st_ino, b.st_ino);
	CU_ASSERT_EQUAL(read(fd, buf, sizeof buf - 1), 4);
	CU_ASSERT_STRING_EQUAL(buf, "old\n");
	close(fd);
	/* A symbolic link at the name is replaced itself; what it pointed to is kept. */
	CU_ASSERT_EQUAL(cd_write_file(target, "keep\n", 5, 0644), 0);
	CU_ASSERT_EQUAL(symlink(target, ln), 0);
	CU_ASSERT_EQUAL(cd_replace_file(ln, "x\n", 2, 0644), 0);
	expect_content(target, "keep\n");
	CU_ASSERT_EQUAL_FATAL(lstat(ln, &a), 0);
	CU_ASSERT(S_ISREG(a.st_mode));
	s = names_in(dir);
	CU_ASSERT_STRING_EQUAL(s, "ca.key\nln\ntarget\n");
	free(s);
	free(path);
	free(target);
	free(ln);
}

static void test_read_secret(void)
{
	const char *dir = tl_tmpdir();
	char *path = cd_asprintf("%s/pass", dir), *fifo = cd_asprintf("%s/fifo", dir);
	char *big = cd_asprintf("%s/big", dir), *data = NULL, *fill;
	size_t len = 0;
	pid_t pid;
	int st;

	CU_ASSERT_EQUAL(cd_write_secret(path, "correct horse\n", 14), 0);
	CU_ASSERT_EQUAL(cd_read_secret(path, &data, &len), 0);
	CU_ASSERT_EQUAL(len, 14);
	CU_ASSERT_STRING_EQUAL(data, "correct horse\n"); /* NUL-terminated */
	cd_secret_free(data, len);
	/* A pipe (a passphrase given as <(...) or a FIFO). */
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		int fd = open(fifo, O_WRONLY);
		_exit(fd >= 0 && write(fd, "piped\n", 6) == 6 ? 0 : 1);
	}
	CU_ASSERT_EQUAL(cd_read_secret(fifo, &data, &len), 0);
	CU_ASSERT(len == 6 && strcmp(data, "piped\n") == 0);
	cd_secret_free(data, len);
	waitpid(pid, &st, 0);
	/* Neither a device, nor a directory, nor more than CD_SECRET_MAX bytes. */
	CU_ASSERT_EQUAL(cd_read_secret("/dev/zero", &data, &len), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "not a regular file"));
	CU_ASSERT_EQUAL(cd_read_secret(dir, &data, &len), -1);
	fill = cd_malloc(CD_SECRET_MAX + 1);
	memset(fill, 'k', CD_SECRET_MAX + 1);
	CU_ASSERT_EQUAL(cd_write_secret(big, fill, CD_SECRET_MAX + 1), 0);
	CU_ASSERT_EQUAL(cd_read_secret(big, &data, &len), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "larger than"));
	free(fill);
	CU_ASSERT_EQUAL(cd_read_secret("/nonexistent/pass", &data, &len), -1);
	cd_secret_free(NULL, 0);
	free(big);
	free(fifo);
	free(path);
}

/* ---- settings ---- */

static void test_conf_check_every_kind(void)
{
	static const struct {
		const char *key, *value;
		int ok;
	} cases[] = {
		{"window.days", "14", 1}, {"window.days", "1", 1}, {"window.days", "365", 1},
		{"window.days", "0", 0}, {"window.days", "366", 0}, {"window.days", "ten", 0},
		{"cert.days", "825", 1}, {"cert.days", "826", 0},
		{"cert.key", "ec", 1}, {"cert.key", "rsa", 1}, {"cert.key", "dsa", 0},
		{"cert.key", "e", 0}, {"cert.key", "ecc", 0}, {"cert.key", "", 0},
		{"p12.profile", "compat", 1}, {"p12.profile", "modern", 1}, {"p12.profile", "legacy", 0},
		{"out.dir", "", 1}, {"out.dir", "/srv/certs", 1}, {"out.dir", "relative/dir", 0},
		{"default.org", "Wikimedia Foundation", 1}, {"default.org", "a\x1b[31m", 0},
		{"default.ou", "Fundraising", 1}, {"default.location", "San Francisco", 1},
		{"default.country", "US", 1}, {"default.country", "", 1}, {"default.country", "usa", 0},
		{"phab.url", "https://phab.example.org", 1}, {"phab.url", "http://p.local", 1},
		{"phab.url", "ftp://x", 0}, {"phab.url", "javascript:alert(1)", 0},
		{"phab.form", "1", 1}, {"phab.form", "0", 0},
		{"phab.projects", "a,b", 1}, {"phab.subscribers", "", 1},
		{"crl.days", "30", 1}, {"crl.days", "367", 0},
		{"crl.refresh_days", "7", 1}, {"crl.remote", "/srv/git/crl.git", 1},
		{"crl.branch", "main", 1}, {"crl.branch", "feature/x", 1}, {"crl.branch", "../x", 0},
		{"crl.branch", "/abs", 0}, {"crl.branch", "a b", 0}, {"crl.branch", "", 0},
		{"crl.path", "crl/crl.pem", 1}, {"crl.path", "a//b", 0}, {"crl.path", "dir/", 0},
		{"no.such.key", "1", 0},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc = conf_check(cases[i].key, cases[i].value);
		if (rc != (cases[i].ok ? 0 : -1))
			fprintf(stderr, "conf_check(%s, %s) = %d\n", cases[i].key, cases[i].value, rc);
		CU_ASSERT_EQUAL(rc, cases[i].ok ? 0 : -1);
		/* Each refusal names the setting. */
		if (!cases[i].ok && !tl_contains(cd_errmsg(), cases[i].key))
			fprintf(stderr, "conf_check(%s): message does not name it: %s\n",
				cases[i].key, cd_errmsg());
		if (!cases[i].ok)
			CU_ASSERT(tl_contains(cd_errmsg(), cases[i].key));
	}
}

static void test_conf_table_defaults_valid(void)
{
	const conf_def *d;

	for (d = conf_table; d->key; d++) {
		/* An empty default stands for "not set" where the kind allows it. */
		if (!*d->def && (strcmp(d->kind, "text") == 0 || strcmp(d->kind, "dir") == 0 ||
				 strcmp(d->kind, "country") == 0 || strcmp(d->kind, "url") == 0))
			continue;
		CU_ASSERT_EQUAL(conf_check(d->key, d->def), 0);
		CU_ASSERT_PTR_EQUAL(conf_find(d->key), d);
	}
	CU_ASSERT_PTR_NULL(conf_find("window"));
}

static void test_conf_get_set(void)
{
	char *path = cd_asprintf("%s/c.db", tl_tmpdir()), *v = NULL;
	store *st = NULL;

	CU_ASSERT_FATAL(store_open(path, STORE_CREATE, &st) == 0);
	CU_ASSERT_EQUAL(conf_get(st, "window.days", &v), 0);
	CU_ASSERT_STRING_EQUAL(v, "14");
	free(v);
	CU_ASSERT_EQUAL(conf_get_int(st, "window.days"), 14);
	CU_ASSERT_EQUAL(store_begin(st), 0);
	CU_ASSERT_EQUAL(store_setting_set(st, "window.days", "30"), 0);
	CU_ASSERT_EQUAL(store_setting_set(st, "cert.days", "bogus"), 0);
	CU_ASSERT_EQUAL(store_commit(st), 0);
	CU_ASSERT_EQUAL(conf_get_int(st, "window.days"), 30);
	/* A bad stored value (edited by hand) falls back to the default. */
	CU_ASSERT_EQUAL(conf_get_int(st, "cert.days"), 365);
	CU_ASSERT_EQUAL(conf_get(st, "nope", &v), -1);
	store_close(st);
	free(path);
}

/* ---- store: migrations and refusals ---- */

static char *sq(const char *db, const char *sql)
{
	tl_result r = tl_sh("sqlite3 '%s' '%s'", db, sql);
	char *out = r.out;

	r.out = NULL;
	tl_free(&r);
	return out;
}

static void test_store_fresh_schema(void)
{
	char *path = cd_asprintf("%s/fresh.db", tl_tmpdir()), *out;
	store *st = NULL;
	int64_t n = -1;

	CU_ASSERT_FATAL(store_open(path, STORE_CREATE, &st) == 0);
	CU_ASSERT_EQUAL(store_count(st, "users", &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	store_close(st);
	out = sq(path, "PRAGMA user_version");
	CU_ASSERT_EQUAL(atoi(out), STORE_SCHEMA_VERSION);
	free(out);
	out = sq(path, "PRAGMA journal_mode");
	CU_ASSERT_STRING_EQUAL(out, "wal\n");
	free(out);
	out = sq(path, "SELECT group_concat(name, \",\") FROM (SELECT name FROM sqlite_master "
		 "WHERE type = \"table\" ORDER BY name)");
	CU_ASSERT_STRING_EQUAL(out, "audit,canaries,cert_pem,certs,crl_reserved,crls,orphan_revocations,"
				    "probe_results,settings,users\n");
	free(out);
	/* Opening again keeps the version and the data. */
	CU_ASSERT_FATAL(store_open(path, 0, &st) == 0);
	store_close(st);
	out = sq(path, "PRAGMA user_version");
	CU_ASSERT_EQUAL(atoi(out), STORE_SCHEMA_VERSION);
	free(out);
	free(path);
}

static void test_store_readonly_never_creates(void)
{
	char *path = cd_asprintf("%s/none.db", tl_tmpdir());
	store *st = NULL;

	CU_ASSERT_EQUAL(store_open(path, STORE_READONLY, &st), STORE_LOST);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT(!cd_path_exists(path));
	free(path);
}

static void test_store_newer_schema_refused(void)
{
	char *path = cd_asprintf("%s/new.db", tl_tmpdir()), *out;
	store *st = NULL;

	CU_ASSERT_FATAL(store_open(path, STORE_CREATE, &st) == 0);
	store_close(st);
	free(sq(path, "PRAGMA user_version = 99"));
	st = NULL;
	CU_ASSERT_EQUAL(store_open(path, 0, &st), -1);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT(tl_contains(cd_errmsg(), "newer"));
	CU_ASSERT(strchr(cd_errmsg(), '\n') == NULL);
	CU_ASSERT_EQUAL(store_open(path, 1, &st), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "newer"));
	out = sq(path, "PRAGMA user_version");
	CU_ASSERT_STRING_EQUAL(out, "99\n"); /* never "migrated" down */
	free(out);
	free(path);
}

static void test_store_old_schema_migrated(void)
{
	char *path = cd_asprintf("%s/v0.db", tl_tmpdir()), *out;
	store *st = NULL;

	/* A version-0 database (an SQLite file without tables) is no home's database that
	 * lost nothing: only a creating open brings it to the current schema. */
	free(sq(path, "PRAGMA user_version = 0; CREATE TABLE scratch(x); DROP TABLE scratch"));
	CU_ASSERT_EQUAL(store_open(path, STORE_READONLY, &st), STORE_LOST);
	CU_ASSERT(tl_contains(cd_errmsg(), "holds no tables"));
	CU_ASSERT_EQUAL(store_open(path, 0, &st), STORE_LOST);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_FATAL(store_open(path, STORE_CREATE, &st) == 0);
	store_close(st);
	out = sq(path, "PRAGMA user_version");
	CU_ASSERT_EQUAL(atoi(out), STORE_SCHEMA_VERSION);
	free(out);
	free(path);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, p, n) == (ssize_t)n);
	close(fd);
}

static void assert_refused(const char *path)
{
	store *st = NULL;
	char *before = tl_read(path), *after;
	struct stat a, b;

	stat(path, &b);
	CU_ASSERT_EQUAL(store_open(path, 0, &st), -1);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT(strchr(cd_errmsg(), '\n') == NULL);
	CU_ASSERT(tl_contains(cd_errmsg(), path));
	/* The damaged file is left as it was, for the operator to inspect. */
	after = tl_read(path);
	stat(path, &a);
	CU_ASSERT_EQUAL(a.st_size, b.st_size);
	CU_ASSERT(memcmp(before, after, (size_t)a.st_size) == 0);
	free(before);
	free(after);
}

static void test_store_garbage_refused(void)
{
	char *path = cd_asprintf("%s/garbage.db", tl_tmpdir());
	unsigned char junk[8192];
	size_t i;

	srand(42);
	for (i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)rand();
	write_bytes(path, junk, sizeof junk);
	assert_refused(path);
	CU_ASSERT(tl_contains(cd_errmsg(), "not a database") || tl_contains(cd_errmsg(), "corrupt"));
	free(path);
}

static void test_store_truncated_refused(void)
{
	char *dir = cd_strdup(tl_tmpdir()), *path = cd_asprintf("%s/trunc.db", dir);
	store *st = NULL;
	int64_t id = 0;
	int i;
	tl_result r;

	CU_ASSERT_FATAL(store_open(path, STORE_CREATE, &st) == 0);
	CU_ASSERT_FATAL(store_begin(st) == 0);
	for (i = 0; i < 400; i++) {
		char name[32];
		store_user u = {0, name, "A Person With A Long Enough Name", "p@example.org"};
		snprintf(name, sizeof name, "user%d", i);
		CU_ASSERT(store_user_insert(st, &u, cd_now(), &id) == 0);
	}
	CU_ASSERT_FATAL(store_commit(st) == 0);
	store_close(st);
	/* Checkpointed into the main file; keep only the first half of it. */
	r = tl_sh("cd '%s' && sqlite3 trunc.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null && "
		  "rm -f trunc.db-wal trunc.db-shm && sz=$(stat -c %%s trunc.db) && "
		  "truncate -s $((sz / 2)) trunc.db", dir);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	assert_refused(path);
	CU_ASSERT(tl_contains(cd_errmsg(), "corrupt") || tl_contains(cd_errmsg(), "malformed"));
	free(path);
	free(dir);
}

static void test_store_empty_file_only_created(void)
{
	char *dir = cd_strdup(tl_tmpdir()), *path = cd_asprintf("%s/empty.db", dir);
	tl_result r;
	store *st = NULL;

	/* SQLite takes a zero-length file for a new database; only a creating open may. */
	write_bytes(path, "", 0);
	CU_ASSERT_EQUAL(store_open(path, 0, &st), STORE_LOST);
	CU_ASSERT(tl_contains(cd_errmsg(), "is empty (0 bytes)"));
	CU_ASSERT_EQUAL(store_open(path, STORE_READONLY, &st), STORE_LOST);
	CU_ASSERT_PTR_NULL(st);
	r = tl_sh("cd '%s' && ls -A && stat -c %%s empty.db", dir);
	CU_ASSERT_STRING_EQUAL(r.out, "empty.db\n0\n"); /* nothing written, no -wal */
	tl_free(&r);
	CU_ASSERT_EQUAL(store_open(path, STORE_CREATE, &st), 0);
	store_close(st);
	unlink(path);
	CU_ASSERT_EQUAL(store_open(path, 0, &st), STORE_LOST);
	CU_ASSERT(tl_contains(cd_errmsg(), "is missing"));
	CU_ASSERT(!cd_path_exists(path));
	free(path);
	free(dir);
}

/* ---- stages and readiness ---- */

static const int64_t NOW = 1800000000LL; /* 2027-01-15 */
#define WIN (14 * CD_DAY)

static store_row base_row(void)
{
	store_row r;

	memset(&r, 0, sizeof r);
	r.u.id = 1;
	r.u.name = "alice";
	r.cur.id = 10;
	r.cur.serial = "AA";
	r.cur.not_before = NOW - 300 * CD_DAY;
	r.cur.not_after = NOW + 65 * CD_DAY;
	r.cur.issued_at = r.cur.not_before;
	return r;
}

/* cur = the new certificate, old = the one it renews (still open). */
static store_row renewed_row(void)
{
	store_row r = base_row();

	r.old = r.cur;
	r.old.not_after = NOW + 5 * CD_DAY;
	r.old.notified_at = NOW - 3 * CD_DAY;
	r.old.revoke_at = NOW - CD_DAY;
	r.cur.id = 11;
	r.cur.replaces = 10;
	r.cur.serial = "BB";
	r.cur.not_before = NOW - CD_DAY;
	r.cur.not_after = NOW + 364 * CD_DAY;
	r.cur.issued_at = NOW - CD_DAY;
	return r;
}

static void test_stage_plain(void)
{
	store_row r = base_row();

	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW, WIN), STAGE_ACTIVE);
	/* Days are calendar days, as listings show them: "14 days left" is inside 14,
	 * to the last second of that day; the next day is outside. */
	r.cur.not_after = NOW - NOW % CD_DAY + WIN + CD_DAY;
	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW, WIN), STAGE_ACTIVE);
	r.cur.not_after = NOW - NOW % CD_DAY + WIN + CD_DAY - 1;
	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW, WIN), STAGE_EXPIRING);
	r.cur.not_after = NOW + WIN; /* the window's edge is inside */
	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW, WIN), STAGE_EXPIRING);
	r.cur.notified_at = NOW;
	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW, WIN), STAGE_NOTIFIED);
	r.cur.not_after = NOW;
	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW, WIN), STAGE_EXPIRED);
	r.cur.notified_at = 0;
	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW + 100 * CD_DAY, WIN), STAGE_EXPIRED);
	r.cur.revoke_at = NOW - CD_DAY; /* a plain revocation ends the story */
	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW, WIN), STAGE_REVOKED);
}

static void test_stage_renewal(void)
{
	store_row r = renewed_row();

	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW, WIN), STAGE_RENEWED);
	r.cur.applied_at = NOW;
	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW, WIN), STAGE_APPLIED);
	r.old.published_at = NOW + CD_DAY;
	CU_ASSERT_EQUAL(cycle_stage_of(&r, NOW + 2 * CD_DAY, WIN), STAGE_DONE);
	/* The next year's window opens on the new certificate. */
	CU_ASSERT_EQUAL(cycle_stage_of(&r, r.cur.not_after - 3 * CD_DAY, WIN), STAGE_EXPIRING);
	/* A wider window changes only when "expiring" starts. */
	CU_ASSERT_EQUAL(cycle_stage_of(&r, r.cur.not_after - 20 * CD_DAY, WIN), STAGE_DONE);
	CU_ASSERT_EQUAL(cycle_stage_of(&r, r.cur.not_after - 20 * CD_DAY, 30 * CD_DAY),
			STAGE_EXPIRING);
}

static void test_stage_names(void)
{
	cycle_stage s;
	int i;

	for (i = 0; i < STAGE_COUNT; i++) {
		CU_ASSERT_EQUAL(cycle_stage_parse(cycle_stage_name((cycle_stage)i), &s), 0);
		CU_ASSERT_EQUAL(s, (cycle_stage)i);
		CU_ASSERT(strlen(cycle_stage_help((cycle_stage)i)) > 10);
	}
	CU_ASSERT_EQUAL(cycle_stage_parse("Active", &s), -1);
	CU_ASSERT_STRING_EQUAL(cycle_stage_name(STAGE_COUNT), "?");
	CU_ASSERT(cycle_needs_action(STAGE_EXPIRING) && cycle_needs_action(STAGE_EXPIRED) &&
		  cycle_needs_action(STAGE_RENEWED) && !cycle_needs_action(STAGE_ACTIVE) &&
		  !cycle_needs_action(STAGE_REVOKED) && !cycle_needs_action(STAGE_DONE));
}

/* Readiness is judged on a pending revocation: cur = revoked one, old = replacement. */
static void test_ready(void)
{
	store_row p = base_row(), repl;
	cycle_readiness rd;

	cycle_ready(&p, NOW, &rd);
	CU_ASSERT(rd.ready);
	CU_ASSERT(tl_contains(rd.why, "plain"));

	repl = renewed_row();
	p.cur = repl.old;
	p.old = repl.cur;
	cycle_ready(&p, NOW, &rd);
	CU_ASSERT(!rd.ready);
	CU_ASSERT(tl_contains(rd.why, "held"));
	CU_ASSERT(tl_contains(rd.why, "alice"));

	p.old.applied_at = NOW;
	cycle_ready(&p, NOW, &rd);
	CU_ASSERT(rd.ready);
	CU_ASSERT(tl_contains(rd.why, "applied"));

	p.old.applied_at = 0;
	cycle_ready(&p, p.cur.not_after, &rd); /* the old one ran out anyway */
	CU_ASSERT(rd.ready);
	CU_ASSERT(tl_contains(rd.why, "expired"));
	cycle_ready(&p, p.cur.not_after - 1, &rd);
	CU_ASSERT(!rd.ready);

	p.cur.revoke_forced = 1;
	cycle_ready(&p, NOW, &rd);
	CU_ASSERT(rd.ready);
	CU_ASSERT(tl_contains(rd.why, "forced"));
}

/* A table whose rows failed part way: JSON stays unclosed (python's json refuses it),
 * text prints nothing; a finished one parses. */
static void test_out_abort(void)
{
	static const char *const cols[] = {"user", "#days"};
	static const char *const row[] = {"amy", "12"};
	const char *path = cd_asprintf("%s/out.json", tl_tmpdir());
	out_format f;

	for (f = OUT_TEXT; f <= OUT_JSON; f++) {
		int k;

		for (k = 0; k < 2; k++) {
			FILE *fp = fopen(path, "w");
			out_table *t = out_begin(f, fp, cols, 2);
			tl_result r;

			out_row(t, row);
			if (k)
				out_end(t);
			else
				out_abort(t);
			fclose(fp);
			r = tl_sh("python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '%s' "
				  "2>/dev/null", path);
			if (f == OUT_JSON)
				CU_ASSERT_EQUAL(r.status == 0, k);
			tl_free(&r);
			r = tl_sh("cat '%s'", path);
			if (f == OUT_TEXT)
				CU_ASSERT_EQUAL(tl_contains(r.out, "amy"), k);
			if (f == OUT_TSV)
				CU_ASSERT(tl_contains(r.out, "amy\t12\n"));
			tl_free(&r);
		}
	}
	free((char *)path);
}

static CU_TestInfo date_tests[] = {
	{"cd_timegm agrees with libc timegm", test_timegm_matches_libc},
	{"cd_parse_date: valid and invalid days", test_parse_date},
	{"date and time formatting round-trip", test_format_roundtrip},
	{"dates formatted as gmtime and strftime do, 1600-2400", test_format_date_as_gmtime},
	{"sort in place as qsort does, n log n on every pattern", test_sort_in_place},
	{"sort after a distribution into buckets, as qsort does", test_sort_bucketed},
	{"cd_days_until counts calendar days", test_days_until},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo check_tests[] = {
	{"user names", test_check_user},
	{"text fields: controls, UTF-8, 256 bytes", test_check_field},
	{"UTF-8 validity and sanitising", test_utf8_and_sanitize},
	{"email addresses", test_check_email},
	{"country, task id, integers", test_check_country_task_int},
	{"secret files: exclusive, 0600", test_write_secret},
	{"reading files: no devices, no directories", test_read_file_kinds},
	{"cd_write_file: exclusive, its mode, nothing left", test_write_file_exclusive},
	{"cd_replace_file: renamed over, links replaced", test_replace_file},
	{"cd_read_secret: files, pipes, refusals", test_read_secret},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo conf_tests[] = {
	{"conf_check for every setting kind", test_conf_check_every_kind},
	{"every default passes its own check", test_conf_table_defaults_valid},
	{"conf_get/conf_get_int with stored values", test_conf_get_set},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo out_tests[] = {
	{"a table abandoned part way is not taken for whole", test_out_abort},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo store_tests[] = {
	{"a fresh database is at the current version", test_store_fresh_schema},
	{"read-only open never creates a file", test_store_readonly_never_creates},
	{"a newer schema is refused", test_store_newer_schema_refused},
	{"an old schema is migrated", test_store_old_schema_migrated},
	{"random bytes are refused", test_store_garbage_refused},
	{"a truncated database is refused", test_store_truncated_refused},
	{"an empty or missing file is refused unless creating", test_store_empty_file_only_created},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo cycle_tests[] = {
	{"stages of a certificate without renewal", test_stage_plain},
	{"stages of a renewal", test_stage_renewal},
	{"stage names and help", test_stage_names},
	{"readiness of scheduled revocations", test_ready},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {
		{"dates", date_tests},
		{"validation", check_tests},
		{"settings", conf_tests},
		{"output", out_tests},
		{"store", store_tests},
		{"cycle", cycle_tests},
		{NULL, NULL},
	};

	return tl_main(suites);
}
