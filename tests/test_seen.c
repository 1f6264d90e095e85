/* test_seen.c: the access-log scanner on real nginx/Apache lines, gzip from gzip(1), garbage. */
#include "conf.h"
#include "seen.h"
#include "testlib.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SER_A "7A3F9C0E1B2D4F6A8C0E1B3D5F7A9C0E"
#define SER_B "F1E2D3C4B5A697887766554433221100" /* top bit set: nginx prints 00 first */
#define SER_C "0123456789ABCDEF0123456789ABCDEF"
#define SER_OTHER "5555AAAA5555AAAA5555AAAA5555AAAA"

/* date -u -d ... +%s */
#define T_214658 1795816018LL /* 2026-11-27T21:46:58Z */
#define T_214730 1795816050LL /* 2026-11-27T21:47:30Z */
#define T_0800 1795852800LL   /* 2026-11-28T08:00:00Z */

/* nginx: log_format certs '$remote_addr - $remote_user [$time_local] "$request" $status
 *   $body_bytes_sent "$http_referer" "$http_user_agent" $ssl_client_serial'; */
#define NGINX(ip, time, serial)                                                        \
	ip " - - [" time "] \"GET /civicrm/contact/view?cid=4242 HTTP/1.1\" 200 5123 "   \
	"\"https://civicrm.example.org/dashboard\" \"Mozilla/5.0 (X11; Linux x86_64; "   \
	"rv:120.0) Gecko/20100101 Firefox/120.0\" " serial "\n"

/* Apache: LogFormat "%h %l %u %t serial=%{SSL_CLIENT_M_SERIAL}x \"%r\" %>s %b %D" certs */
#define APACHE(time, serial)                                                           \
	"198.51.100.23 - - [" time "] serial=" serial " \"POST /index.php?title=Special:Pay " \
	"HTTP/1.1\" 302 - 18342\n"

struct hit {
	void *tag;
	char serial[48];
	int64_t when;
};

struct hits {
	struct hit h[64];
	int n;
};

static int tag_a, tag_b, tag_c;

static void on_hit(void *ctx, void *tag, const char *serial, int64_t when)
{
	struct hits *hs = ctx;

	if (hs->n < 64) {
		hs->h[hs->n].tag = tag;
		snprintf(hs->h[hs->n].serial, sizeof hs->h[hs->n].serial, "%s", serial);
		hs->h[hs->n].when = when;
	}
	hs->n++;
}

static const struct hit *find_hit(const struct hits *hs, void *tag)
{
	int i;

	for (i = 0; i < hs->n && i < 64; i++)
		if (hs->h[i].tag == tag)
			return &hs->h[i];
	return NULL;
}

static seen_set *abc_set(void)
{
	seen_set *s = seen_set_new();

	seen_set_add(s, SER_A, &tag_a);
	seen_set_add(s, SER_B, &tag_b);
	seen_set_add(s, SER_C, &tag_c);
	return s;
}

static char *write_file(const char *name, const void *data, size_t len)
{
	char *path = cd_asprintf("%s/%s", tl_tmpdir(), name);
	FILE *f = fopen(path, "wb");

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_FATAL(fwrite(data, 1, len, f) == len);
	fclose(f);
	return path;
}

static char *write_text(const char *name, const char *text)
{
	return write_file(name, text, strlen(text));
}

/* Scans path with a fresh A/B/C set; returns seen_scan's status. */
static int scan_abc(const char *path, struct hits *hs, seen_stats *st)
{
	seen_set *s = abc_set();
	int rc;

	memset(hs, 0, sizeof *hs);
	rc = seen_scan(s, path, on_hit, hs, st);
	seen_set_free(s);
	return rc;
}

static void assert_hit(const struct hits *hs, void *tag, const char *serial, int64_t when)
{
	const struct hit *h = find_hit(hs, tag);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_STRING_EQUAL(h->serial, serial);
	CU_ASSERT_EQUAL(h->when, when);
}

static const char nginx_log[] =
	NGINX("203.0.113.7", "27/Nov/2026:21:46:58 +0000", SER_OTHER)
	NGINX("203.0.113.7", "27/Nov/2026:21:46:58 +0000", SER_A)
	NGINX("203.0.113.9", "27/Nov/2026:22:47:30 +0100", "00" SER_B)
	NGINX("203.0.113.7", "28/Nov/2026:08:00:00 +0000", SER_A)
	NGINX("192.0.2.1", "28/Nov/2026:08:00:00 +0000", "-");

static void test_nginx_plain(void)
{
	char *path = write_text("access.log", nginx_log);
	struct hits hs;
	seen_stats st;

	CU_ASSERT_EQUAL(scan_abc(path, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 2); /* A once, with its first time; B; never C or OTHER */
	assert_hit(&hs, &tag_a, SER_A, T_214658);
	assert_hit(&hs, &tag_b, SER_B, T_214730);
	CU_ASSERT_PTR_EQUAL(hs.h[0].tag, &tag_a);
	CU_ASSERT_EQUAL(st.bytes, sizeof nginx_log - 1);
	CU_ASSERT_EQUAL(st.lines, 5);
	CU_ASSERT_EQUAL(st.skipped, 0);
	CU_ASSERT_EQUAL(st.hits, 2);
	CU_ASSERT_EQUAL(st.truncated, 0);
	free(path);
}

static void test_apache_plain(void)
{
	static const char log[] =
		APACHE("27/Nov/2026:16:46:58 -0500", SER_B)
		APACHE("27/Nov/2026:21:46:58 +0000", "-")
		APACHE("28/Nov/2026:08:00:00 +0000", SER_C)
		APACHE("28/Nov/2026:09:00:00 +0000", SER_B);
	char *path = write_text("apache.log", log);
	struct hits hs;
	seen_stats st;

	CU_ASSERT_EQUAL(scan_abc(path, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_b, SER_B, T_214658);
	assert_hit(&hs, &tag_c, SER_C, T_0800);
	CU_ASSERT_EQUAL(st.lines, 4);
	CU_ASSERT_EQUAL(st.hits, 2);
	free(path);
}

/* ISO 8601 stamps, tab-separated fields, "serial=" prefixes, no stamp at all. */
static void test_iso_times(void)
{
	static const char log[] =
		"2026-11-27T23:46:58+02:00\t203.0.113.7\tGET /\t200\t" SER_A "\n"
		"{\"time\":\"2026-11-27T21:46:58.123Z\",\"serial\":\"00" SER_B "\"}\n"
		"2026-11-28 08:00:00 client serial=" SER_C " ok\n";
	static const char nostamp[] = "client cert verified, serial " SER_A "\n";
	char *path = write_text("iso.log", log), *p2 = write_text("nostamp.log", nostamp);
	struct hits hs;
	seen_stats st;

	CU_ASSERT_EQUAL(scan_abc(path, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 3);
	assert_hit(&hs, &tag_a, SER_A, T_214658);
	assert_hit(&hs, &tag_b, SER_B, T_214658);
	assert_hit(&hs, &tag_c, SER_C, T_0800);
	CU_ASSERT_EQUAL(scan_abc(p2, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 1);
	assert_hit(&hs, &tag_a, SER_A, 0);
	free(path);
	free(p2);
}

/* Case does not matter; leading zero bytes on either side do not matter. */
static void test_case_and_zeros(void)
{
	static const char log[] =
		NGINX("203.0.113.7", "27/Nov/2026:21:46:58 +0000", "7a3f9c0e1b2d4f6a8c0e1b3d5f7a9c0e")
		APACHE("28/Nov/2026:08:00:00 +0000", "0000" SER_C);
	char *path = write_text("case.log", log);
	seen_set *s = seen_set_new();
	struct hits hs = {0};
	seen_stats st;

	seen_set_add(s, "7A:3F:9C:0E:1B:2D:4F:6A:8C:0E:1B:3D:5F:7A:9C:0E", &tag_a);
	seen_set_add(s, "000123456789abcdef0123456789abcdef", &tag_c);
	CU_ASSERT_EQUAL(seen_scan(s, path, on_hit, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_a, SER_A, T_214658);
	assert_hit(&hs, &tag_c, "0123456789ABCDEF0123456789ABCDEF", T_0800);
	seen_set_free(s);
	free(path);
}

/* A serial is the whole value of the field: inside a longer hex run or other text it is
 * some other value (a hash, a request id). */
static void test_glued_runs(void)
{
	static const char log[] =
		APACHE("27/Nov/2026:21:46:58 +0000", "DEADBEEF" SER_A)
		APACHE("27/Nov/2026:21:46:58 +0000", SER_A "0")
		APACHE("27/Nov/2026:21:46:58 +0000", "01" SER_B)
		APACHE("27/Nov/2026:21:46:58 +0000", "sha256=" SER_C SER_C)
		APACHE("27/Nov/2026:21:46:58 +0000", "size=12345678 port=443")
		APACHE("27/Nov/2026:21:46:58 +0000", "Xx" SER_A "_z")
		APACHE("27/Nov/2026:21:46:58 +0000", SER_A ",")
		APACHE("28/Nov/2026:08:00:00 +0000", SER_A);
	char *path = write_text("glued.log", log);
	seen_set *s = abc_set();
	struct hits hs = {0};
	seen_stats st;

	/* Runs under 16 digits are sizes, ports, short ids: never looked up. */
	seen_set_add(s, "12345678", &tag_b);
	CU_ASSERT_EQUAL(seen_scan(s, path, on_hit, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 1); /* only the last line, where it is the whole value */
	assert_hit(&hs, &tag_a, SER_A, T_0800);
	seen_set_free(s);
	CU_ASSERT_EQUAL(st.skipped, 0);
	free(path);
}

struct count_hits {
	int n, bad;
};

static void count_hit(void *ctx, void *tag, const char *serial, int64_t when)
{
	struct count_hits *c = ctx;

	c->n++;
	c->bad += tag != &tag_a;
}

/* The scanner reads whole blocks of 64 bytes by masks and walks a block byte by byte
 * only where a long hex run may end: a serial at every offset of a line up to three
 * blocks, of 16 to 40 digits, after text, hex runs too short to count and control
 * bytes, is found once each; one glued to a longer run, or one digit short, never. */
static void every_offset(void)
{
	static const int lens[] = {16, 17, 31, 32, 33, 40};
	const size_t nlens = sizeof lens / sizeof *lens;
	cd_buf b = {0};
	seen_set *set = seen_set_new();
	struct count_hits c = {0, 0};
	char serial[48], *path;
	seen_stats st;
	int k, want = 0;
	size_t j;

	for (k = 0; k < 192; k++)
		for (j = 0; j < nlens; j++) {
			int i, id = k * (int)nlens + (int)j;

			snprintf(serial, sizeof serial, "7%0*X", lens[j] - 1, id + 1);
			seen_set_add(set, serial, &tag_a);
			for (i = 0; i < k; i++) /* text, short hex runs, a tab */
				cd_buf_printf(&b, "%c", "ghij-ABCDEF0123 \tz"[(i * 7 + id) % 18]);
			cd_buf_printf(&b, " %s\n", serial);
			want++;
			/* a decoy: the same serial inside a longer run, then one digit short */
			cd_buf_printf(&b, "%.*s 0%s\n%.*s %.*s\n", k % 64, "................................"
				      "................................", serial, k % 50,
				      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
				      lens[j] - 1, serial);
		}
	path = write_file("offsets.log", b.s, b.len);
	CU_ASSERT_EQUAL(seen_scan(set, path, count_hit, &c, &st), 0);
	if (c.n != want || st.skipped)
		fprintf(stderr, "\nhits %d of %d, %llu lines skipped\n", c.n, want, (unsigned long long)st.skipped);
	CU_ASSERT_EQUAL(c.n, want);
	CU_ASSERT_EQUAL(c.bad, 0);
	CU_ASSERT_EQUAL(st.skipped, 0);
	seen_set_free(set);
	cd_buf_free(&b);
	free(path);
}

/* With the widest vectors the CPU has, and with SSE2 alone. */
static void test_every_offset(void)
{
	every_offset();
	setenv("CERTDESK_SEEN_ISA", "sse2", 1);
	every_offset();
	unsetenv("CERTDESK_SEEN_ISA");
}

/* path gzipped by gzip(1) beside it; returns the .gz path. */
static char *write_gzip(const char *path)
{
	char *gz = cd_asprintf("%s.gz", path);
	tl_result r = tl_sh("gzip -9 -c '%s' > '%s'", path, gz);

	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	return gz;
}

static void test_gzip(void)
{
	char *path = write_text("gz.log", nginx_log), *gz = write_gzip(path);
	struct hits hs;
	seen_stats st;

	CU_ASSERT_EQUAL(scan_abc(gz, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_a, SER_A, T_214658);
	assert_hit(&hs, &tag_b, SER_B, T_214730);
	CU_ASSERT_EQUAL(st.bytes, sizeof nginx_log - 1); /* bytes of log, not of gzip */
	CU_ASSERT_EQUAL(st.lines, 5);
	CU_ASSERT_EQUAL(st.truncated, 0);
	free(path);
	free(gz);
}

/* logrotate's delaycompress and `cat a.gz b.gz` both make multi-member files. */
static void test_gzip_members(void)
{
	static const char one[] = NGINX("203.0.113.7", "27/Nov/2026:21:46:58 +0000", SER_A);
	static const char two[] = NGINX("203.0.113.8", "28/Nov/2026:08:00:00 +0000", SER_C);
	char *p1 = write_text("m1.log", one), *p2 = write_text("m2.log", two);
	char *gz = cd_asprintf("%s/multi.gz", tl_tmpdir());
	tl_result r = tl_sh("gzip -c '%s' > '%s' && gzip -c '%s' >> '%s' && gzip -c '%s' >> '%s'",
			    p1, gz, p2, gz, p1, gz);
	struct hits hs;
	seen_stats st;

	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	CU_ASSERT_EQUAL(scan_abc(gz, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_a, SER_A, T_214658);
	assert_hit(&hs, &tag_c, SER_C, T_0800);
	CU_ASSERT_EQUAL(st.lines, 3);
	CU_ASSERT_EQUAL(st.bytes, 2 * strlen(one) + strlen(two));
	CU_ASSERT_EQUAL(st.truncated, 0);
	tl_free(&r);
	free(p1);
	free(p2);
	free(gz);
}

/* Varied filler so the compressed file is long enough to cut in the middle. */
static void filler_lines(cd_buf *b, int n, unsigned *seed)
{
	int i;

	for (i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		cd_buf_printf(b, "10.0.%u.%u - - [27/Nov/2026:21:50:%02u +0000] \"GET /item/%u "
			      "HTTP/1.1\" 200 %u \"-\" \"curl/7.88.1\" -\n", (*seed >> 8) & 255,
			      (*seed >> 16) & 255, i % 60, *seed, *seed % 99991);
	}
}

static void test_gzip_truncated(void)
{
	cd_buf b = {0};
	unsigned seed = 7;
	char *path, *gz;
	struct hits hs;
	seen_stats st;
	tl_result r;

	cd_buf_puts(&b, NGINX("203.0.113.7", "27/Nov/2026:21:46:58 +0000", SER_A));
	filler_lines(&b, 20000, &seed);
	cd_buf_puts(&b, NGINX("203.0.113.7", "28/Nov/2026:08:00:00 +0000", SER_C));
	path = write_file("big.log", b.s, b.len);
	gz = cd_asprintf("%s.gz", path);
	r = tl_sh("gzip -c '%s' > '%s.full' && head -c $(($(wc -c < '%s.full') / 2)) '%s.full' > '%s'",
		  path, gz, gz, gz, gz);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	CU_ASSERT_EQUAL(scan_abc(gz, &hs, &st), 0);
	CU_ASSERT_EQUAL(st.truncated, 1);
	CU_ASSERT_EQUAL(hs.n, 1); /* what was read is kept; the end never arrived */
	assert_hit(&hs, &tag_a, SER_A, T_214658);
	CU_ASSERT(st.lines > 1000 && st.lines < 20002);
	CU_ASSERT(st.bytes > 0 && st.bytes < b.len);
	tl_free(&r);
	cd_buf_free(&b);
	free(path);
	free(gz);
}

/* xorshift: reproducible binary noise. */
static void noise(unsigned char *p, size_t n, uint32_t x)
{
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)(x >> 11);
	}
}

/* Lines of the noise that hold a NUL: each must be skipped. */
static uint64_t count_nul_lines(const unsigned char *p, size_t n, uint64_t *lines)
{
	uint64_t nul = 0;
	int has = 0;
	size_t i;

	*lines = 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			nul += has;
			++*lines;
			has = 0;
		} else {
			has |= p[i] == 0;
		}
	}
	return nul;
}

static void test_binary_garbage(void)
{
	size_t n = 1 << 20;
	unsigned char *junk = cd_malloc(n);
	static const char tail[] = NGINX("203.0.113.7", "28/Nov/2026:08:00:00 +0000", SER_A);
	uint64_t nul_lines, junk_lines;
	char *path;
	struct hits hs;
	seen_stats st;

	noise(junk, n, 2463534242u);
	junk[n - 1] = '\n';
	nul_lines = count_nul_lines(junk, n, &junk_lines);
	junk = cd_realloc(junk, n + sizeof tail);
	memcpy(junk + n, tail, sizeof tail - 1);
	path = write_file("binary.log", junk, n + sizeof tail - 1);
	CU_ASSERT_EQUAL(scan_abc(path, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 1);
	assert_hit(&hs, &tag_a, SER_A, T_0800);
	CU_ASSERT_EQUAL(st.lines, junk_lines + 1);
	CU_ASSERT(st.skipped >= nul_lines && nul_lines > junk_lines / 3);
	CU_ASSERT(st.skipped < st.lines);
	free(junk);
	free(path);
}

/* A NUL or mostly binary line is not trusted, even when it holds a serial. */
static void test_nul_and_binary_lines(void)
{
	static const char log[] =
		"[27/Nov/2026:21:46:58 +0000] \0 " SER_A "\n"
		"\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"
		"\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b"
		"\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94 " SER_B "\n"
		"[28/Nov/2026:08:00:00 +0000] Ünïcödé user agent " SER_C "\n"
		APACHE("28/Nov/2026:08:00:00 +0000", SER_A);
	char *path = write_file("nul.log", log, sizeof log - 1);
	struct hits hs;
	seen_stats st;

	CU_ASSERT_EQUAL(scan_abc(path, &hs, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 4);
	CU_ASSERT_EQUAL(st.skipped, 2);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_a, SER_A, T_0800);
	assert_hit(&hs, &tag_c, SER_C, T_0800);
	free(path);
}

/* 10 MB in one line is skipped without being held, 100 KiB too; 64 KiB is still read. */
static void test_long_lines(void)
{
	size_t mid = 100 << 10, big = 10 << 20, edge = 64 << 10, off, len;
	static const char head[] = "[27/Nov/2026:21:46:58 +0000] ";
	static const char tail[] = APACHE("28/Nov/2026:08:00:00 +0000", SER_A);
	char *buf = cd_malloc(mid + big + edge + 3 + sizeof tail), *path;
	struct hits hs;
	seen_stats st;

	memset(buf, 'x', mid + big + edge + 3);
	memcpy(buf + 10, " " SER_B " ", 34); /* inside one read block */
	buf[mid] = '\n';
	off = mid + 1; /* across ten blocks */
	memcpy(buf + off, head, sizeof head - 1);
	memcpy(buf + off + big / 2, " " SER_A " ", 34);
	buf[off + big] = '\n';
	off += big + 1; /* exactly 64 KiB */
	memcpy(buf + off, head, sizeof head - 1);
	memcpy(buf + off + edge - 33, " " SER_C, 33);
	buf[off + edge] = '\n';
	memcpy(buf + off + edge + 1, tail, sizeof tail);
	len = off + edge + sizeof tail;
	path = write_file("long.log", buf, len);
	CU_ASSERT_EQUAL(scan_abc(path, &hs, &st), 0);
	CU_ASSERT_EQUAL(st.bytes, len);
	CU_ASSERT_EQUAL(st.lines, 4);
	CU_ASSERT_EQUAL(st.skipped, 2);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_c, SER_C, T_214658);
	assert_hit(&hs, &tag_a, SER_A, T_0800);
	free(buf);
	free(path);
}

/* An unterminated 10 MB last line is skipped too; a short last line is read. */
static void test_unterminated(void)
{
	size_t big = 10 << 20;
	char *buf = cd_malloc(big), *path, *p2;
	static const char last[] = "[28/Nov/2026:08:00:00 +0000] " SER_B;
	struct hits hs;
	seen_stats st;

	memset(buf, 'y', big);
	memcpy(buf + 100, " " SER_A " ", 34);
	path = write_file("unterminated.log", buf, big);
	CU_ASSERT_EQUAL(scan_abc(path, &hs, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 1);
	CU_ASSERT_EQUAL(st.skipped, 1);
	CU_ASSERT_EQUAL(hs.n, 0);
	p2 = write_text("last.log", last);
	CU_ASSERT_EQUAL(scan_abc(p2, &hs, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 1);
	assert_hit(&hs, &tag_b, SER_B, T_0800);
	free(buf);
	free(path);
	free(p2);
}

/* Runs seen_scan on "-" with standard input fed through a pipe by a child. */
static int scan_stdin(const char *data, size_t len, struct hits *hs, seen_stats *st)
{
	int fds[2], saved = dup(0), rc, status;
	pid_t pid;

	CU_ASSERT_FATAL(pipe(fds) == 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		_exit(write(fds[1], data, len) == (ssize_t)len ? 0 : 1);
	}
	close(fds[1]);
	dup2(fds[0], 0);
	close(fds[0]);
	rc = scan_abc("-", hs, st);
	dup2(saved, 0);
	close(saved);
	waitpid(pid, &status, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return rc;
}

static void test_stdin(void)
{
	char *path = write_text("stdin.log", nginx_log), *gz = cd_asprintf("%s.gz", path), *data;
	tl_result r = tl_sh("gzip '%s'", path);
	struct hits hs;
	seen_stats st;
	size_t len;

	CU_ASSERT_EQUAL(scan_stdin(nginx_log, sizeof nginx_log - 1, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_b, SER_B, T_214730);
	CU_ASSERT_EQUAL(st.lines, 5);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	CU_ASSERT_EQUAL_FATAL(cd_read_file(gz, &data, &len), 0);
	CU_ASSERT_EQUAL(scan_stdin(data, len, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_a, SER_A, T_214658);
	CU_ASSERT_EQUAL(st.bytes, sizeof nginx_log - 1);
	tl_free(&r);
	free(data);
	free(path);
	free(gz);
}

static void test_errors(void)
{
	char *missing = cd_asprintf("%s/no-such.log", tl_tmpdir());
	struct hits hs;
	seen_stats st;

	CU_ASSERT_EQUAL(scan_abc(missing, &hs, &st), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), missing));
	CU_ASSERT_EQUAL(scan_abc(tl_tmpdir(), &hs, &st), -1); /* a directory */
	CU_ASSERT(tl_contains(cd_errmsg(), "certdesk-test"));
	CU_ASSERT_EQUAL(hs.n, 0);
	free(missing);
}

static void test_empty_and_tiny(void)
{
	char *empty = write_text("empty.log", ""), *one = write_file("one.log", "\x1f", 1);
	char *magic = write_file("magic.log", "\x1f\x8b", 2);
	struct hits hs;
	seen_stats st;

	CU_ASSERT_EQUAL(scan_abc(empty, &hs, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 0);
	CU_ASSERT_EQUAL(st.bytes, 0);
	CU_ASSERT_EQUAL(scan_abc(one, &hs, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 1);
	CU_ASSERT_EQUAL(st.skipped, 1);
	CU_ASSERT_EQUAL(scan_abc(magic, &hs, &st), 0); /* a gzip header cut short */
	CU_ASSERT_EQUAL(st.truncated, 1);
	CU_ASSERT_EQUAL(hs.n, 0);
	free(empty);
	free(one);
	free(magic);
}

/* The serial as `openssl x509 -serial` prints it for a certificate openssl made. */
static void test_openssl_serial(void)
{
	const char *dir = tl_tmpdir();
	tl_result r = tl_sh("cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
			    "-nodes -keyout k.pem -out c.pem -subj /CN=alice -days 365 "
			    "-set_serial 0x%s 2>/dev/null && openssl x509 -in c.pem -noout -serial",
			    dir, SER_B);
	char *serial, *log;
	seen_set *s = seen_set_new();
	struct hits hs = {0};
	seen_stats st;

	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	CU_ASSERT_FATAL(strncmp(r.out, "serial=", 7) == 0);
	serial = cd_strndup(r.out + 7, strcspn(r.out + 7, "\n"));
	seen_set_add(s, serial, &tag_b);
	log = write_text("openssl.log", NGINX("203.0.113.7", "27/Nov/2026:21:46:58 +0000",
					      "00" SER_B));
	CU_ASSERT_EQUAL(seen_scan(s, log, on_hit, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 1);
	assert_hit(&hs, &tag_b, SER_B, T_214658);
	seen_set_free(s);
	tl_free(&r);
	free(serial);
	free(log);
}

static void many_serial(char out[33], int i)
{
	snprintf(out, 33, "%016X%016X", 0x9E3779B9u * (unsigned)(i + 1), (unsigned)i);
}

/* Thousands of serials: the set grows and every one is found with its own tag. */
static void test_many_serials(void)
{
	enum { N = 3000 };
	static int tags[N];
	seen_set *s = seen_set_new();
	struct hits hs = {0};
	cd_buf b = {0};
	char serial[33], *path;
	seen_stats st;
	int i, ok = 1;

	for (i = 0; i < N; i++) {
		many_serial(serial, i);
		cd_buf_printf(&b, APACHE("27/Nov/2026:21:46:58 +0000", "%s"), serial);
		if (i % 2 == 0) /* the rest are other people's certificates */
			seen_set_add(s, serial, &tags[i]);
	}
	path = write_file("many.log", b.s, b.len);
	CU_ASSERT_EQUAL(seen_scan(s, path, on_hit, &hs, &st), 0);
	CU_ASSERT_EQUAL(st.hits, N / 2);
	CU_ASSERT_EQUAL(st.lines, N);
	for (i = 0; i < 64; i++)
		ok &= hs.h[i].tag == &tags[2 * i] && hs.h[i].when == T_214658;
	CU_ASSERT(ok);
	seen_set_free(s);
	cd_buf_free(&b);
	free(path);
}

/* A serial a client wrote into its request, referer, user agent or user name; then the
 * server's own serial field. nginx: log_format as NGINX with $ssl_client_serial. */
static const char hostile_log[] =
	/* The review's line: a search for the serial, no client certificate. */
	"203.0.113.66 - - [27/Nov/2026:21:46:58 +0000] \"GET /search?q=" SER_A " HTTP/1.1\" 404 "
	"153 \"-\" \"curl/8.5.0\" -\n"
	"203.0.113.66 - - [27/Nov/2026:21:46:58 +0000] \"GET /?ssl_client_serial=" SER_A
	" HTTP/1.1\" 404 153 \"https://evil.example/?serial=" SER_B "\" \"Mozilla " SER_C
	"\" " SER_OTHER "\n"
	/* A user agent last on the line, quoted. */
	"203.0.113.66 - - [27/Nov/2026:21:46:58 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"" SER_B "\"\n"
	/* Apache escapes a quote in the request as \": it does not end the string. */
	"203.0.113.66 - - [27/Nov/2026:21:46:58 +0000] serial=- \"GET /\\\" serial=" SER_B
	" x=\\\" HTTP/1.1\" 400 - 12\n"
	/* $remote_user is unquoted, and before the time stamp: never the serial field, with
	 * a key=value serial after it or with the serial as the last field. */
	"203.0.113.66 - serial=" SER_B " [27/Nov/2026:21:46:58 +0000] \"GET / HTTP/1.1\" 401 1 "
	"\"-\" \"-\" ssl_client_serial=-\n"
	"203.0.113.66 - x serial=" SER_B " [27/Nov/2026:21:46:58 +0000] \"GET / HTTP/1.1\" 401 "
	"1 \"-\" \"-\" -\n"
	/* Apache's %u is the user a client sent, a quote in it written \": no string opens
	 * there, so the referer stays quoted and the real serial field ("-") is last. */
	"127.0.0.1 - x\\\" [01/Dec/2026:20:51:45 +0000] \"GET /auth/ HTTP/1.1\" 401 421 "
	"\"y serial=" SER_B " z\" \"curl/7.88.1\" serial=-\n"
	/* A string that never ends hides the rest of the line. */
	"203.0.113.66 - - [27/Nov/2026:21:46:58 +0000] \"GET /?x HTTP/1.1 200 1 " SER_C "\n"
	/* JSON (escape=json): the request holds a member-like text, the member says "-". */
	"{\"time\":\"2026-11-27T21:46:58Z\",\"request\":\"GET /?\\\"ssl_client_serial\\\":\\\""
	SER_C "\\\"\",\"ssl_client_serial\":\"-\"}\n"
	/* Then ann's real connection with the new certificate. */
	NGINX("203.0.113.7", "28/Nov/2026:08:00:00 +0000", SER_A);

/* Plain, gzipped and on standard input: only the server's serial field counts. */
static void test_request_never_counts(void)
{
	char *path = write_text("hostile.log", hostile_log), *gz = write_gzip(path);
	const char *files[] = {path, gz, NULL};
	struct hits hs;
	seen_stats st;
	int i;

	for (i = 0; i < 3; i++) {
		int rc = files[i] ? scan_abc(files[i], &hs, &st) :
			 scan_stdin(hostile_log, sizeof hostile_log - 1, &hs, &st);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(hs.n, 1);
		assert_hit(&hs, &tag_a, SER_A, T_0800); /* when the server saw it, not the search */
		CU_ASSERT_EQUAL(st.lines, 10);
		CU_ASSERT_EQUAL(st.skipped, 0);
		CU_ASSERT_EQUAL(st.ignored, 9);
	}
	free(path);
	free(gz);
}

/* Scans text with the A/B/C set and seen.field = spec. */
static int scan_field(const char *spec, const char *text, struct hits *hs, seen_stats *st)
{
	char *path = write_text("field.log", text);
	seen_set *s = abc_set();
	int rc;

	memset(hs, 0, sizeof *hs);
	CU_ASSERT_EQUAL_FATAL(seen_set_field(s, spec), 0);
	rc = seen_scan(s, path, on_hit, hs, st);
	seen_set_free(s);
	free(path);
	return rc;
}

/* Lines as the log formats of the man page write them (nginx escapes a quote in the
 * request as \x22, Apache as \"), with and without a client certificate. */
static void test_documented_formats(void)
{
	static const char log[] =
		"203.0.113.7 - - [27/Nov/2026:21:46:58 +0000] \"GET /?q=" SER_A "\\x22 HTTP/2.0\" "
		"404 612 \"https://example.org/?s=" SER_C "\" \"Mozilla/5.0 (X11)\" "
		"ssl_client_serial=-\n"
		"203.0.113.7 - - [27/Nov/2026:21:47:30 +0000] \"GET / HTTP/2.0\" 200 612 \"-\" "
		"\"Mozilla/5.0 (X11)\" ssl_client_serial=00" SER_B "\n"
		"198.51.100.23 - - [27/Nov/2026:21:47:30 +0000] \"GET /\\\" " SER_C " HTTP/1.1\" "
		"200 5 \"-\" \"curl/8.5.0\" serial=-\n"
		"198.51.100.23 - - [28/Nov/2026:08:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" "
		"\"curl/8.5.0\" serial=" SER_A "\n";
	struct hits hs;
	seen_stats st;

	CU_ASSERT_EQUAL(scan_field("", log, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_b, SER_B, T_214730);
	assert_hit(&hs, &tag_a, SER_A, T_0800);
	CU_ASSERT_EQUAL(st.ignored, 2);
}

/* Apache: LogFormat "%h %l %u %t %{SSL_CLIENT_M_SERIAL}x \"%r\" %>s %b" certs */
#define APACHE_BARE(time, serial, request)                                             \
	"198.51.100.23 - - [" time "] " serial " \"" request "\" 302 - 18342\n"

/* seen.field: a field number (the time stamp is one field), a key name, JSON members. */
static void test_field_setting(void)
{
	static const char bare[] =
		APACHE_BARE("27/Nov/2026:21:46:58 +0000", "-", "GET /" SER_B " HTTP/1.1")
		APACHE_BARE("27/Nov/2026:21:46:58 +0000", SER_A, "GET / HTTP/1.1")
		"198.51.100.23 - - [27/Nov/2026:21:46:58 +0000] \"" SER_C "\" 400 - 1\n";
	static const char named[] =
		"[27/Nov/2026:21:46:58 +0000] \"GET /\" client_cert=\"00" SER_B "\" "
		"proxy_serial=" SER_A "\n"
		"{\"time\": \"2026-11-28T08:00:00Z\", \"client_cert\": \"" SER_C "\"}\n";
	struct hits hs;

	/* By default the bare serial is no field a serial is known by. */
	CU_ASSERT_EQUAL(scan_field("", bare, &hs, NULL), 0);
	CU_ASSERT_EQUAL(hs.n, 0);
	CU_ASSERT_EQUAL(scan_field("5", bare, &hs, NULL), 0);
	CU_ASSERT_EQUAL(hs.n, 1); /* never C: field 5 of the last line is the quoted request */
	assert_hit(&hs, &tag_a, SER_A, T_214658);
	/* A key name: that key only, its value quoted or not, and the JSON member of it. */
	CU_ASSERT_EQUAL(scan_field("client_cert", named, &hs, NULL), 0);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_b, SER_B, T_214658);
	assert_hit(&hs, &tag_c, SER_C, T_0800);
	CU_ASSERT_EQUAL(scan_field("CLIENT_CERT", named, &hs, NULL), 0);
	CU_ASSERT_EQUAL(hs.n, 2);
	/* By default: keys that end in "serial". */
	CU_ASSERT_EQUAL(scan_field("", named, &hs, NULL), 0);
	CU_ASSERT_EQUAL(hs.n, 1);
	assert_hit(&hs, &tag_a, SER_A, T_214658);
	/* A field number does not reach into JSON. */
	CU_ASSERT_EQUAL(scan_field("2", named, &hs, NULL), 0);
	CU_ASSERT_EQUAL(hs.n, 0);
}

static void test_field_check(void)
{
	static const char *const good[] = {"", "1", "7", "1000", "ssl_client_serial",
					   "SSL_CLIENT_M_SERIAL", "tls.client-serial", NULL};
	static const char *const bad[] = {"0", "1001", "-1", "12ab", "bad key", "x=y", "_x",
					  "serial!", "\"serial\"", NULL};
	char longkey[80];
	int i;

	for (i = 0; good[i]; i++)
		CU_ASSERT_EQUAL(seen_field_check(good[i]), 0);
	for (i = 0; bad[i]; i++) {
		CU_ASSERT_EQUAL(seen_field_check(bad[i]), -1);
		CU_ASSERT_EQUAL(conf_check("seen.field", bad[i]), -1);
		CU_ASSERT(tl_contains(cd_errmsg(), "seen.field"));
	}
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	CU_ASSERT_EQUAL(seen_field_check(longkey), -1);
	CU_ASSERT_EQUAL(conf_check("seen.field", "ssl_client_serial"), 0);
}

/* ---- certdesk seen, on a real home ---- */

/* The user's current serial and stage, from `list`. */
static char *list_field(const char *home, const char *user, int col)
{
	tl_result r = tl_sh("'%s' --home '%s' --format tsv list | awk -F'\\t' '$1 == \"%s\" "
			    "{ print $%d }'", tl_bin(), home, user, col);
	char *v = cd_strndup(r.out, strcspn(r.out, "\n"));

	tl_free(&r);
	return v;
}

static void assert_stage(const char *home, const char *user, const char *want)
{
	char *stage = list_field(home, user, 7);

	CU_ASSERT_STRING_EQUAL(stage, want);
	free(stage);
}

static void write_log(const char *path, const char *fmt, const char *serial)
	__attribute__((format(printf, 2, 0)));

/* One log line holding serial, written to path. */
static void write_log(const char *path, const char *fmt, const char *serial)
{
	char *text = cd_asprintf(fmt, serial);
	FILE *f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
	free(text);
}

static void test_cli_seen(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir()), *serial, *log;
	tl_result r;

	free(tl_cd_ok(home, TL_ARGS("create", "ann", "--name", "Ann", "--email", "a@example.org",
				 "--phone", "1", "--days", "10", "--out", out)));
	free(tl_cd_ok(home, TL_ARGS("renew", "ann", "--out", tl_tmpdir())));
	serial = list_field(home, "ann", 4);
	CU_ASSERT_EQUAL_FATAL(strlen(serial), 32);
	log = cd_asprintf("%s/access.log", tl_tmpdir());
	write_log(log, "203.0.113.66 - - [27/Nov/2026:21:46:58 +0000] \"GET /search?q=%s "
		  "HTTP/1.1\" 404 153 \"-\" \"curl/8.5.0\" -\n", serial);
	r = tl_cd(home, "seen", log, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "0 renewals marked applied"));
	CU_ASSERT(tl_contains(r.err, "1 with an awaited serial outside the serial field"));
	CU_ASSERT(tl_contains(r.err, "seen.field"));
	tl_free(&r);
	assert_stage(home, "ann", "renewed");
	tl_refused(home, out, "seen.field", TL_ARGS("config", "seen.field", "client serial"));
	/* An Apache format with the bare serial in field 5, named by its number. */
	free(tl_cd_ok(home, TL_ARGS("config", "seen.field", "5")));
	write_log(log, APACHE_BARE("28/Nov/2026:08:00:00 +0000", "%s", "GET / HTTP/1.1"), serial);
	r = tl_cd(home, "seen", log, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "applied: ann"));
	CU_ASSERT(tl_contains(r.out, "2026-11-28T08:00:00Z"));
	tl_free(&r);
	assert_stage(home, "ann", "applied");
	free(serial);
	free(log);
	free(out);
	free(home);
}

static CU_TestInfo seen_tests[] = {
	{"nginx combined log with $ssl_client_serial", test_nginx_plain},
	{"Apache CustomLog with SSL_CLIENT_M_SERIAL", test_apache_plain},
	{"ISO 8601 times, tabs, serial= fields", test_iso_times},
	{"lower case and leading zero bytes", test_case_and_zeros},
	{"serials glued inside longer hex runs", test_glued_runs},
	{"a serial at every offset of 64-byte blocks", test_every_offset},
	{"gzip file", test_gzip},
	{"concatenated gzip members", test_gzip_members},
	{"truncated gzip keeps what was read", test_gzip_truncated},
	{"random binary", test_binary_garbage},
	{"NUL and binary lines skipped", test_nul_and_binary_lines},
	{"10 MB and 100 KiB lines skipped, 64 KiB read", test_long_lines},
	{"unterminated last lines", test_unterminated},
	{"standard input, plain and gzip", test_stdin},
	{"missing file and directory", test_errors},
	{"empty and tiny files", test_empty_and_tiny},
	{"serial as openssl prints it", test_openssl_serial},
	{"thousands of serials", test_many_serials},
	{"a serial in the request, referer, agent or user does not count (plain, gzip, stdin)",
	 test_request_never_counts},
	{"the nginx and Apache formats of the man page", test_documented_formats},
	{"seen.field: a field number, a key, JSON", test_field_setting},
	{"seen.field values checked", test_field_check},
	{"certdesk seen: a search for the serial; seen.field", test_cli_seen},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {{"seen", seen_tests}, {NULL, NULL}};

	return tl_main(suites);
}
