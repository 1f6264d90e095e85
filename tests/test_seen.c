/* test_seen.c: the access-log scanner on real nginx/Apache lines, gzip from gzip(1), garbage. */
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

/* Apache: LogFormat "%h %l %u %t %{SSL_CLIENT_M_SERIAL}x \"%r\" %>s %b %D" certs */
#define APACHE(time, serial)                                                           \
	"198.51.100.23 - - [" time "] " serial " \"POST /index.php?title=Special:Pay "   \
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
	static const char nostamp[] = "client cert " SER_A " verified\n";
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

/* A serial inside a longer hex run is some other value (a hash, a request id). */
static void test_glued_runs(void)
{
	static const char log[] =
		APACHE("27/Nov/2026:21:46:58 +0000", "DEADBEEF" SER_A)
		APACHE("27/Nov/2026:21:46:58 +0000", SER_A "0")
		APACHE("27/Nov/2026:21:46:58 +0000", "01" SER_B)
		APACHE("27/Nov/2026:21:46:58 +0000", "sha256=" SER_C SER_C)
		APACHE("27/Nov/2026:21:46:58 +0000", "size=12345678 port=443")
		APACHE("28/Nov/2026:08:00:00 +0000", "Xx" SER_A "_z");
	char *path = write_text("glued.log", log);
	seen_set *s = abc_set();
	struct hits hs = {0};
	seen_stats st;

	/* Runs under 16 digits are sizes, ports, short ids: never looked up. */
	seen_set_add(s, "12345678", &tag_b);
	CU_ASSERT_EQUAL(seen_scan(s, path, on_hit, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 1); /* only the last line, where non-hex bytes bound it */
	assert_hit(&hs, &tag_a, SER_A, T_0800);
	seen_set_free(s);
	CU_ASSERT_EQUAL(st.skipped, 0);
	free(path);
}

static void test_gzip(void)
{
	char *path = write_text("gz.log", nginx_log), *gz = cd_asprintf("%s.gz", path);
	tl_result r = tl_sh("gzip -9 -c '%s' > '%s'", path, gz);
	struct hits hs;
	seen_stats st;

	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	CU_ASSERT_EQUAL(scan_abc(gz, &hs, &st), 0);
	CU_ASSERT_EQUAL(hs.n, 2);
	assert_hit(&hs, &tag_a, SER_A, T_214658);
	assert_hit(&hs, &tag_b, SER_B, T_214730);
	CU_ASSERT_EQUAL(st.bytes, sizeof nginx_log - 1); /* bytes of log, not of gzip */
	CU_ASSERT_EQUAL(st.lines, 5);
	CU_ASSERT_EQUAL(st.truncated, 0);
	tl_free(&r);
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

static CU_TestInfo seen_tests[] = {
	{"nginx combined log with $ssl_client_serial", test_nginx_plain},
	{"Apache CustomLog with SSL_CLIENT_M_SERIAL", test_apache_plain},
	{"ISO 8601 times, tabs, serial= fields", test_iso_times},
	{"lower case and leading zero bytes", test_case_and_zeros},
	{"serials glued inside longer hex runs", test_glued_runs},
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
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {{"seen", seen_tests}, {NULL, NULL}};

	return tl_main(suites);
}
