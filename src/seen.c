/* seen.c: finds client-certificate serials in web server access logs (see seen.h). */
#include "seen.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#define SEEN_MIN_RUN 16          /* shorter hex runs are sizes, ids, ports... */
#define SEEN_MAX_RUN 40          /* a serial is at most 20 octets (RFC 5280) */
#define SEEN_BLOCK (1 << 20)     /* read size */
#define SEEN_MAX_LINE (64 << 10) /* longer lines are skipped, never buffered */
#define SEEN_NUL_WEIGHT (1 << 20) /* one NUL outweighs any line we keep */

struct seen_entry {
	char key[SEEN_MAX_RUN + 1]; /* normalised: uppercase, no leading "00" pairs */
	unsigned char len, used, reported;
	uint64_t hash;
	void *tag;
};

struct seen_set {
	struct seen_entry *e;
	size_t cap, count; /* cap is a power of two, count <= cap / 2 */
};

/* 1 for a hex digit, else 0. */
static const unsigned char hex_tab[256] = {
	['0' ... '9'] = 1, ['A' ... 'F'] = 1, ['a' ... 'f'] = 1,
};

/* All ones for a byte that ends a hex run, 0 for a hex digit: lets the hot loop both
 * test "a long enough run ends here" and reset the run without a data-dependent branch. */
static const uint32_t run_stop[256] = {
	[0 ... '0' - 1] = ~0u, [':' ... 'A' - 1] = ~0u, ['G' ... 'a' - 1] = ~0u, ['g' ... 255] = ~0u,
};

/*
 * What a byte weighs against its line being text; a line weighing more than half its
 * length is skipped. nginx and Apache escape control and non-ASCII bytes as \xHH, so
 * a real log line is nearly all printable ASCII, tab or CR.
 */
static const uint32_t bad_tab[256] = {
	[0x00] = SEEN_NUL_WEIGHT, [0x01 ... 0x08] = 1, [0x0a ... 0x0c] = 1,
	[0x0e ... 0x1f] = 1, [0x7f ... 0xff] = 1,
};

static inline unsigned char seen_upper(unsigned char c)
{
	return c >= 'a' && c <= 'f' ? (unsigned char)(c - 'a' + 'A') : c;
}

static struct seen_entry *seen_entries(size_t n)
{
	struct seen_entry *e = cd_malloc(n * sizeof *e);

	memset(e, 0, n * sizeof *e);
	return e;
}

seen_set *seen_set_new(void)
{
	seen_set *s = cd_malloc(sizeof *s);

	s->cap = 16;
	s->count = 0;
	s->e = seen_entries(s->cap);
	return s;
}

void seen_set_free(seen_set *s)
{
	if (!s)
		return;
	free(s->e);
	free(s);
}

/* Strips leading "00" pairs: nginx prints the DER sign byte, Apache does not. */
static void seen_strip_zeros(const unsigned char **p, size_t *n)
{
	while (*n >= 2 && (*p)[0] == '0' && (*p)[1] == '0') {
		*p += 2;
		*n -= 2;
	}
}

/* Normalises a hex run into key (uppercase) and returns its FNV-1a hash. */
static uint64_t seen_key(const unsigned char *p, size_t n, char *key)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		key[i] = (char)seen_upper(p[i]);
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	}
	key[n] = '\0';
	return h;
}

static struct seen_entry *seen_slot(const seen_set *s, const char *key, size_t n,
				    uint64_t h)
{
	size_t i = (size_t)h & (s->cap - 1);

	for (;; i = (i + 1) & (s->cap - 1)) {
		struct seen_entry *e = &s->e[i];
		if (!e->used)
			return e;
		if (e->hash == h && e->len == n && memcmp(e->key, key, n) == 0)
			return e;
	}
}

static void seen_grow(seen_set *s)
{
	struct seen_entry *old = s->e;
	size_t i, oldcap = s->cap;

	s->cap *= 2;
	s->e = seen_entries(s->cap);
	for (i = 0; i < oldcap; i++)
		if (old[i].used)
			*seen_slot(s, old[i].key, old[i].len, old[i].hash) = old[i];
	free(old);
}

void seen_set_add(seen_set *s, const char *serial, void *tag)
{
	unsigned char raw[SEEN_MAX_RUN * 3 + 1];
	const unsigned char *p = raw;
	char key[SEEN_MAX_RUN + 1];
	struct seen_entry *e;
	size_t n = 0;
	uint64_t h;

	/* Colons are accepted because `openssl x509 -text` prints serials that way. */
	for (; *serial && n < sizeof raw - 1; serial++) {
		if (*serial == ':')
			continue;
		if (!hex_tab[(unsigned char)*serial])
			return; /* not a serial: it could never match */
		raw[n++] = (unsigned char)*serial;
	}
	seen_strip_zeros(&p, &n);
	if (n == 0 || n > SEEN_MAX_RUN || *serial)
		return;
	if (2 * (s->count + 1) > s->cap)
		seen_grow(s);
	h = seen_key(p, n, key);
	e = seen_slot(s, key, n, h);
	if (!e->used) {
		memcpy(e->key, key, n + 1);
		e->len = (unsigned char)n;
		e->hash = h;
		e->used = 1;
		s->count++;
	}
	e->tag = tag;
}

/* The entry for a hex run from a log line, or NULL. */
static struct seen_entry *seen_find(const seen_set *s, const unsigned char *p, size_t n)
{
	char key[SEEN_MAX_RUN + 1];
	struct seen_entry *e;
	uint64_t h;

	if (n > SEEN_MAX_RUN)
		return NULL; /* glued to other hex: not a serial field */
	seen_strip_zeros(&p, &n);
	h = seen_key(p, n, key);
	e = seen_slot(s, key, n, h);
	return e->used ? e : NULL;
}

/* ---- times ---- */

/* Reads exactly n decimal digits. */
static int seen_num(const unsigned char *p, const unsigned char *end, int n, int *out)
{
	int v = 0, i;

	if (end - p < n)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

static int seen_month(const unsigned char *p, const unsigned char *end)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	if (end - p < 3)
		return 0;
	for (i = 0; i < 12; i++)
		if (memcmp(p, names + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

static int seen_time_ok(int mo, int d, int h, int mi, int sec)
{
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && sec <= 60;
}

/* Seconds east of UTC from "+hhmm" or "+hh:mm"; -1 when p holds neither. */
static int seen_offset(const unsigned char *p, const unsigned char *end, int colon,
		       int *off)
{
	int sign, h, m;

	if (p >= end || (*p != '+' && *p != '-'))
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (seen_num(p, end, 2, &h) < 0)
		return -1;
	p += 2;
	if (colon && p < end && *p == ':')
		p++;
	if (seen_num(p, end, 2, &m) < 0 || h > 23 || m > 59)
		return -1;
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

/* [27/Nov/2026:21:46:58 +0000], p at '['. */
static int seen_clf_time(const unsigned char *p, const unsigned char *end, int64_t *when)
{
	int d, mo, y, h, mi, sec, off;

	if (seen_num(p + 1, end, 2, &d) < 0 || end - p < 28 || p[3] != '/' ||
	    !(mo = seen_month(p + 4, end)) || p[7] != '/' ||
	    seen_num(p + 8, end, 4, &y) < 0 || p[12] != ':' ||
	    seen_num(p + 13, end, 2, &h) < 0 || p[15] != ':' ||
	    seen_num(p + 16, end, 2, &mi) < 0 || p[18] != ':' ||
	    seen_num(p + 19, end, 2, &sec) < 0 || p[21] != ' ' ||
	    seen_offset(p + 22, end, 0, &off) < 0 || p[27] != ']' ||
	    !seen_time_ok(mo, d, h, mi, sec))
		return -1;
	*when = cd_timegm(y, mo, d, h, mi, sec) - off;
	return 0;
}

/* 2026-11-27T21:46:58 with optional fraction, then Z, +hh:mm, +hhmm or nothing (UTC). */
static int seen_iso_time(const unsigned char *p, const unsigned char *end, int64_t *when)
{
	int y, mo, d, h, mi, sec, off = 0;

	if (seen_num(p, end, 4, &y) < 0 || end - p < 19 || p[4] != '-' ||
	    seen_num(p + 5, end, 2, &mo) < 0 || p[7] != '-' ||
	    seen_num(p + 8, end, 2, &d) < 0 || (p[10] != 'T' && p[10] != ' ') ||
	    seen_num(p + 11, end, 2, &h) < 0 || p[13] != ':' ||
	    seen_num(p + 14, end, 2, &mi) < 0 || p[16] != ':' ||
	    seen_num(p + 17, end, 2, &sec) < 0 || !seen_time_ok(mo, d, h, mi, sec))
		return -1;
	p += 19;
	if (p < end && (*p == '.' || *p == ','))
		for (p++; p < end && *p >= '0' && *p <= '9'; p++)
			;
	if (p < end && *p != 'Z' && seen_offset(p, end, 1, &off) < 0)
		off = 0;
	*when = cd_timegm(y, mo, d, h, mi, sec) - off;
	return 0;
}

/* The first time stamp on the line, in either format; 0 when there is none. */
static int64_t seen_line_time(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q;
	int64_t when;

	for (q = p; q < end; q++) {
		if (*q == '[' && seen_clf_time(q, end, &when) == 0)
			return when;
		if (*q >= '0' && *q <= '9' && (q == p || q[-1] < '0' || q[-1] > '9') &&
		    seen_iso_time(q, end, &when) == 0)
			return when;
	}
	return 0;
}

/* ---- lines ---- */

struct seen_scan_ctx {
	seen_set *set;
	seen_hit_fn fn;
	void *ctx;
	seen_stats *st;
};

/* The slow path, for a text line known to hold a serial not reported yet. */
static void seen_report(struct seen_scan_ctx *c, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len, *q = p;
	int64_t when = -1;

	while (q < end) {
		const unsigned char *r;
		struct seen_entry *e;

		for (; q < end && !hex_tab[*q]; q++)
			;
		for (r = q; r < end && hex_tab[*r]; r++)
			;
		if (r - q >= SEEN_MIN_RUN && (e = seen_find(c->set, q, (size_t)(r - q))) &&
		    !e->reported) {
			if (when < 0)
				when = seen_line_time(p, end);
			e->reported = 1;
			c->st->hits++;
			c->fn(c->ctx, e->tag, e->key, when);
		}
		q = r;
	}
}

/* True when the run ending just before q names a serial not reported yet. */
static inline int seen_probe(const seen_set *s, const unsigned char *q, unsigned run)
{
	struct seen_entry *e = seen_find(s, q - run, run);

	return e && !e->reported;
}

/*
 * The hot loop: table look-ups per byte for hex runs and for text, with the run length
 * kept branch-free so that only the end of a long run costs a (rarely taken) branch.
 */
static void seen_line(struct seen_scan_ctx *c, const unsigned char *p, size_t len)
{
	const unsigned char *q = p, *end = p + len;
	size_t bad = 0;
	unsigned run = 0;
	int pending = 0;

	c->st->lines++;
	if (len > SEEN_MAX_LINE) {
		c->st->skipped++;
		return;
	}
	for (; q < end; q++) {
		unsigned char b = *q;
		bad += bad_tab[b];
		if (__builtin_expect((run & run_stop[b]) >= SEEN_MIN_RUN, 0))
			pending |= seen_probe(c->set, q, run);
		run = (run + 1) & ~run_stop[b];
	}
	if (run >= SEEN_MIN_RUN)
		pending |= seen_probe(c->set, q, run);
	if (2 * bad > len) {
		c->st->skipped++;
		return;
	}
	if (pending)
		seen_report(c, p, len);
}

/* ---- input: plain or gzip, from a file or standard input ---- */

struct seen_src {
	int fd, own_fd, gz, in_eof, member_done, done, truncated;
	unsigned char pend[2]; /* bytes read to look for the gzip magic */
	size_t npend;
	z_stream z;
	unsigned char *zin;
};

static ssize_t seen_read_fd(int fd, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

static ssize_t seen_read_plain(struct seen_src *src, unsigned char *out, size_t cap)
{
	size_t n = src->npend;
	ssize_t r;

	memcpy(out, src->pend, n);
	src->npend = 0;
	r = seen_read_fd(src->fd, out + n, cap - n);
	return r < 0 ? -1 : (ssize_t)n + r;
}

/* Refills zlib's input; returns -1 on a read error. */
static int seen_gz_fill(struct seen_src *src)
{
	ssize_t r;

	if (src->z.avail_in > 0 || src->in_eof)
		return 0;
	r = seen_read_fd(src->fd, src->zin, SEEN_BLOCK);
	if (r < 0)
		return -1;
	src->in_eof = r == 0;
	src->z.next_in = src->zin;
	src->z.avail_in = (uInt)r;
	return 0;
}

/* Between gzip members: another member follows, or the stream is over. */
static void seen_gz_next_member(struct seen_src *src)
{
	if (src->z.avail_in == 0) {
		src->done = src->in_eof;
		return;
	}
	/* Like gzip(1), ignore trailing bytes that do not start a member (tape padding). */
	if (src->z.next_in[0] != 0x1f) {
		src->done = 1;
		return;
	}
	inflateReset(&src->z);
	src->member_done = 0;
}

static ssize_t seen_read_gz(struct seen_src *src, unsigned char *out, size_t cap)
{
	int rc;

	src->z.next_out = out;
	src->z.avail_out = (uInt)cap;
	while (src->z.avail_out > 0 && !src->done) {
		if (seen_gz_fill(src) < 0)
			return -1;
		if (src->member_done) {
			seen_gz_next_member(src);
			continue;
		}
		if (src->z.avail_in == 0 && src->in_eof) {
			src->truncated = src->done = 1;
			break;
		}
		rc = inflate(&src->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			src->member_done = 1;
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			src->truncated = src->done = 1; /* corrupt: keep what came before */
	}
	return (ssize_t)(cap - src->z.avail_out);
}

static ssize_t seen_src_read(struct seen_src *src, unsigned char *out, size_t cap)
{
	return src->gz ? seen_read_gz(src, out, cap) : seen_read_plain(src, out, cap);
}

/* Reads up to two bytes to tell gzip from plain text without seeking (stdin may be a pipe). */
static int seen_src_sniff(struct seen_src *src)
{
	ssize_t r;

	while (src->npend < 2) {
		r = seen_read_fd(src->fd, src->pend + src->npend, 2 - src->npend);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		src->npend += (size_t)r;
	}
	src->gz = src->npend == 2 && src->pend[0] == 0x1f && src->pend[1] == 0x8b;
	return 0;
}

static int seen_src_open(struct seen_src *src, const char *path)
{
	memset(src, 0, sizeof *src);
	src->own_fd = strcmp(path, "-") != 0;
	src->fd = src->own_fd ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (src->fd < 0)
		return cd_err("cannot open %s: %s", path, strerror(errno));
	if (seen_src_sniff(src) < 0)
		return cd_err("cannot read %s: %s", path, strerror(errno));
	if (!src->gz)
		return 0;
	src->zin = cd_malloc(SEEN_BLOCK);
	memcpy(src->zin, src->pend, 2);
	src->z.next_in = src->zin;
	src->z.avail_in = 2;
	src->npend = 0;
	if (inflateInit2(&src->z, 16 + MAX_WBITS) != Z_OK)
		return cd_err("%s: cannot start gzip decoding", path);
	return 0;
}

static void seen_src_close(struct seen_src *src)
{
	if (src->gz)
		inflateEnd(&src->z);
	free(src->zin);
	if (src->own_fd && src->fd >= 0)
		close(src->fd);
}

/* ---- the scan ---- */

/* Hands every complete line in buf[0..n) to seen_line; returns where the partial one starts. */
static size_t seen_lines(struct seen_scan_ctx *c, const unsigned char *buf, size_t n)
{
	const unsigned char *p = buf, *end = buf + n, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		seen_line(c, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return (size_t)(p - buf);
}

/*
 * Memory stays bounded: at most one partial line (<= SEEN_MAX_LINE) is carried to the
 * next block; a longer one is dropped and skipped up to its newline.
 */
static int seen_pump(struct seen_scan_ctx *c, struct seen_src *src, unsigned char *buf)
{
	size_t carry = 0, used;
	int skipping = 0;
	ssize_t n;
	unsigned char *nl;

	while ((n = seen_src_read(src, buf + carry, SEEN_BLOCK)) > 0) {
		c->st->bytes += (uint64_t)n;
		used = 0;
		if (skipping) {
			if (!(nl = memchr(buf, '\n', (size_t)n)))
				continue;
			c->st->lines++;
			c->st->skipped++;
			skipping = 0;
			used = (size_t)(nl + 1 - buf);
		}
		used += seen_lines(c, buf + used, carry + (size_t)n - used);
		carry = carry + (size_t)n - used;
		if (carry > SEEN_MAX_LINE) {
			skipping = 1;
			carry = 0;
		} else {
			memmove(buf, buf + used, carry);
		}
	}
	if (n < 0)
		return -1;
	if (skipping) {
		c->st->lines++;
		c->st->skipped++;
	} else if (carry > 0) {
		seen_line(c, buf, carry);
	}
	return 0;
}

int seen_scan(seen_set *s, const char *path, seen_hit_fn fn, void *ctx, seen_stats *st)
{
	seen_stats local;
	struct seen_scan_ctx c = {s, fn, ctx, st ? st : &local};
	struct seen_src src;
	unsigned char *buf;
	int rc;

	memset(c.st, 0, sizeof *c.st);
	if (seen_src_open(&src, path) < 0) {
		seen_src_close(&src);
		return -1;
	}
	buf = cd_malloc(SEEN_MAX_LINE + SEEN_BLOCK);
	rc = seen_pump(&c, &src, buf);
	if (rc < 0)
		cd_err("cannot read %s: %s", path, strerror(errno));
	c.st->truncated = src.truncated;
	free(buf);
	seen_src_close(&src);
	return rc;
}
