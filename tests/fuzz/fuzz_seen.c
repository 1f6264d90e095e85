/* fuzz_seen.c: the access-log scanner (src/seen.h), plain and gzip.
 *
 * Input: one mode byte, then the log.  When the log holds a NUL, the text before it
 * is more serials to look for, one a line (besides four fixed ones).  Mode bits:
 *   1     also scan the log gzip-compressed: the results must be the same as plain
 *   2     ... compressed as two gzip members
 *   4     also scan the compressed log cut 1, 6, 11 or 16 bytes short (bits 8 and 16):
 *         it must say it was truncated
 *   7<<5  all three: the log repeated past 1.1 MB, so that lines cross read blocks
 *         (slow, hence the three bits)
 * Every scan checks: each serial is reported at most once, with the tag it was added
 * with, as that serial normalised; hits counts the reports.  A log that starts with the
 * gzip magic itself is scanned as it is (corrupt gzip). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "seen.h"
#include "util.h"

#define MAX_SERIALS 16
#define EXPAND_TO (1152 << 10) /* beyond seen.c's 1 MiB read block plus a 64 KiB line */

static const char *const fixed[] = {
	"7A3F9C0E1B2D4F6A8C0E1B3D5F7A9C0E",
	"00F1E2D3C4B5A6978877665544332211", /* nginx's sign byte: matches without the 00 */
	"1122334455667788",                 /* the shortest run that counts */
	"aabbccddeeff00112233445566778899aabbccdd", /* 20 octets, lowercase */
};

struct result {
	int rc;
	seen_stats st;
	int count[MAX_SERIALS];
	int64_t when[MAX_SERIALS];
};

struct scan {
	const char *serial[MAX_SERIALS];
	size_t n;
	struct result *res;
};

static char *log_path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_path = cd_asprintf("%s/access.log", fuzz_tmpdir());
	return 0;
}

/* The serial as seen.h promises to report it: hex uppercased, no colons, no leading
 * zero bytes. */
static char *normalised(const char *s)
{
	cd_buf b = {0};
	char *out, *p;

	for (; *s; s++)
		if (*s != ':')
			cd_buf_putc(&b, *s >= 'a' && *s <= 'f' ? (char)(*s - 'a' + 'A') : *s);
	out = cd_buf_take(&b);
	for (p = out; p[0] == '0' && p[1] == '0'; p += 2)
		;
	memmove(out, p, strlen(p) + 1);
	return out;
}

static void on_hit(void *ctx, void *tag, const char *serial, int64_t when)
{
	struct scan *sc = ctx;
	const char **t = tag;
	size_t i;
	char *want;

	FUZZ_CHECK(t >= sc->serial && t < sc->serial + sc->n);
	i = (size_t)(t - sc->serial);
	want = normalised(sc->serial[i]);
	FUZZ_CHECK(strcmp(serial, want) == 0);
	free(want);
	FUZZ_CHECK(sc->res->count[i] == 0);
	sc->res->count[i]++;
	sc->res->when[i] = when;
}

static void scan_file(struct scan *sc, const void *log, size_t len, struct result *res)
{
	seen_set *set = seen_set_new();
	uint64_t hits = 0;
	size_t i;

	memset(res, 0, sizeof *res);
	sc->res = res;
	for (i = 0; i < sc->n; i++)
		seen_set_add(set, sc->serial[i], &sc->serial[i]);
	fuzz_write(fuzz_tmpdir(), "access.log", log, len);
	res->rc = seen_scan(set, log_path, on_hit, sc, &res->st);
	for (i = 0; i < sc->n; i++)
		hits += (uint64_t)res->count[i];
	FUZZ_CHECK(res->rc < 0 || res->st.hits == hits);
	FUZZ_CHECK(res->st.skipped <= res->st.lines);
	seen_set_free(set);
}

/* gzip of data, in one member or two. */
static void gzip_into(cd_buf *out, const uint8_t *data, size_t len)
{
	z_stream z;
	char *room;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	room = cd_buf_space(out, deflateBound(&z, len));
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)room;
	z.avail_out = (uInt)deflateBound(&z, len);
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	out->len += z.total_out;
	out->s[out->len] = '\0';
	deflateEnd(&z);
}

static void gzip_log(cd_buf *out, const uint8_t *log, size_t len, int members)
{
	size_t half = members == 2 ? len / 2 : len;

	gzip_into(out, log, half);
	if (members == 2)
		gzip_into(out, log + half, len - half);
}

static void same_result(const struct result *a, const struct result *b)
{
	FUZZ_CHECK(a->rc == b->rc);
	FUZZ_CHECK(a->st.bytes == b->st.bytes && a->st.lines == b->st.lines);
	FUZZ_CHECK(a->st.skipped == b->st.skipped && a->st.hits == b->st.hits);
	FUZZ_CHECK(!b->st.truncated);
	FUZZ_CHECK(memcmp(a->count, b->count, sizeof a->count) == 0);
	FUZZ_CHECK(memcmp(a->when, b->when, sizeof a->when) == 0);
}

static void scan_gzip(struct scan *sc, int mode, const uint8_t *log, size_t len,
		      const struct result *plain)
{
	struct result res;
	cd_buf gz = {0};
	size_t cut = 1 + 5 * (size_t)((mode >> 3) & 3);

	gzip_log(&gz, log, len, mode & 2 ? 2 : 1);
	scan_file(sc, gz.s, gz.len, &res);
	same_result(plain, &res);
	if (mode & 4) {
		scan_file(sc, gz.s, gz.len - cut, &res);
		FUZZ_CHECK(res.rc == 0 && res.st.truncated);
	}
	cd_buf_free(&gz);
}

/* The serials to look for: the fixed ones and the input's. */
static void add_serials(struct scan *sc, char *lines)
{
	char *line, *next;

	sc->n = 0;
	for (; sc->n < sizeof fixed / sizeof fixed[0]; sc->n++)
		sc->serial[sc->n] = fixed[sc->n];
	for (line = lines; line && sc->n < MAX_SERIALS; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		sc->serial[sc->n++] = line;
	}
}

static uint8_t *expand(const uint8_t *log, size_t len, size_t *outlen)
{
	size_t n = 0;
	uint8_t *big = cd_malloc(EXPAND_TO + len);

	while (n < EXPAND_TO) {
		memcpy(big + n, log, len);
		n += len;
	}
	*outlen = n;
	return big;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int mode = size ? data[0] : 0;
	const uint8_t *log = size ? data + 1 : data, *nul = memchr(log, 0, size ? size - 1 : 0);
	size_t len = size ? size - 1 : 0;
	char *lines = NULL;
	uint8_t *big = NULL;
	struct scan sc;
	struct result plain;

	if (nul) {
		lines = cd_strndup((const char *)log, (size_t)(nul - log));
		len -= (size_t)(nul + 1 - log);
		log = nul + 1;
	}
	add_serials(&sc, lines);
	if ((mode & 0xE0) == 0xE0 && len > 0)
		log = big = expand(log, len, &len);
	scan_file(&sc, log, len, &plain);
	if ((mode & 1) && !(len >= 2 && log[0] == 0x1f && log[1] == 0x8b))
		scan_gzip(&sc, mode, log, len, &plain);
	free(big);
	free(lines);
	return 0;
}
