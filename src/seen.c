/* seen.c: finds client-certificate serials in web server access logs (see seen.h). */
#include "seen.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#define SEEN_MIN_RUN 16          /* shorter hex runs are sizes, ids, ports... */
#define SEEN_MAX_RUN 40          /* a serial is at most 20 octets (RFC 5280) */
#define SEEN_BLOCK (1 << 20)     /* read size */
#define SEEN_MAX_LINE (64 << 10) /* longer lines are skipped, never buffered */
#define SEEN_PAD 64              /* readable bytes after the buffer's end (seen_blocks) */
#define SEEN_NUL_WEIGHT (1 << 20) /* one NUL outweighs any line we keep */
#define SEEN_MAX_KEY 64          /* a field name in a log format */
#define SEEN_MAX_FIELD 1000      /* a field number */

struct seen_entry {
	char key[SEEN_MAX_RUN + 1]; /* normalised: uppercase, no leading "00" pairs */
	unsigned char len, used, reported;
	uint64_t hash;
	void *tag;
};

/* Where a line names its client certificate's serial (see seen_set_field). */
struct seen_field {
	unsigned number;          /* a 1-based field number, or 0 */
	size_t key_len;           /* a key=value key, or 0 for any key ending in "serial" */
	char key[SEEN_MAX_KEY + 1];
};

struct seen_set {
	struct seen_entry *e;
	size_t cap, count; /* cap is a power of two, count <= cap / 2 */
	struct seen_field field;
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

/* The bytes of a field name: what nginx, Apache and JSON formats call their fields. */
static const unsigned char key_tab[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['_'] = 1, ['-'] = 1, ['.'] = 1,
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

	memset(s, 0, sizeof *s);
	s->cap = 16;
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
/* Hex digits only (both callers check): upper case is bit 5 cleared on letters, which
 * have bit 6 set where digits do not, so eight digits are normalised and hashed at once. */
static uint64_t seen_key(const unsigned char *p, size_t n, char *key)
{
	const uint64_t letters = 0x4040404040404040ULL;
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ n, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		w &= ~((w & letters) >> 1);
		memcpy(key + i, &w, 8);
		h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
		h ^= h >> 32;
	}
	for (w = 0; i < n; i++) {
		key[i] = (char)seen_upper(p[i]);
		w = w << 8 | (unsigned char)key[i];
	}
	h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
	key[n] = '\0';
	return h ^ (h >> 29);
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

static int seen_field_parse(const char *spec, struct seen_field *f)
{
	size_t n = strlen(spec), i;
	long no;

	memset(f, 0, sizeof *f);
	if (spec[0] >= '0' && spec[0] <= '9') {
		if (cd_parse_int("field number", spec, 1, SEEN_MAX_FIELD, &no) < 0)
			return -1;
		f->number = (unsigned)no;
		return 0;
	}
	for (i = 0; i < n && key_tab[(unsigned char)spec[i]]; i++)
		;
	if (i < n || n > SEEN_MAX_KEY || (n && !((spec[0] | 0x20) >= 'a' && (spec[0] | 0x20) <= 'z')))
		return cd_err("'%.80s' is neither a field number nor a field name (a letter, then "
			      "letters, digits, '_', '-' or '.'; at most %d)", spec, SEEN_MAX_KEY);
	memcpy(f->key, spec, n + 1);
	f->key_len = n;
	return 0;
}

int seen_field_check(const char *spec)
{
	struct seen_field f;

	return seen_field_parse(spec, &f);
}

int seen_set_field(seen_set *s, const char *spec)
{
	return seen_field_parse(spec, &s->field);
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

/* Masks of 64 bytes of a line (see seen_blocks). */
typedef uint64_t (*seen_block_fn)(const unsigned char *, uint64_t *, uint64_t *);

struct seen_scan_ctx {
	seen_set *set;
	seen_hit_fn fn;
	void *ctx;
	seen_stats *st;
	seen_block_fn block;
};

/* ---- the serial field of a line ---- */

struct seen_span {
	const unsigned char *p;
	size_t n;
};

static inline int seen_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The closing quote of a string whose contents start at p, or end when it has none. A
 * backslash escapes the next byte, as Apache and nginx's escape=json write a quote. */
static const unsigned char *seen_closing_quote(const unsigned char *p, const unsigned char *end)
{
	for (; p < end && *p != '"'; p++)
		if (*p == '\\' && p + 1 < end)
			p++;
	return p;
}

/* The end of the field at p: a blank ends it, except inside a quoted string or inside
 * the [...] of a time stamp (which holds no quote); a backslash escapes the next byte. */
static const unsigned char *seen_field_end(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q = p;

	if (*p == '[') {
		while (q < end && *q != ']' && *q != '"')
			q++;
		if (q < end && *q == ']')
			p = q + 1;
	}
	while (p < end && !seen_blank(*p)) {
		/* Apache writes a quote in a bare field (%u, the user a client sent) as \":
		 * escaped, it opens no string. */
		if (*p == '\\' && p + 1 < end && !seen_blank(p[1]))
			p++;
		else if (*p == '"')
			p = seen_closing_quote(p + 1, end);
		p += p < end;
	}
	return p;
}

/* Strips the quotes around a whole value. */
static void seen_unquote(struct seen_span *v)
{
	if (v->n >= 2 && v->p[0] == '"' && v->p[v->n - 1] == '"') {
		v->p++;
		v->n -= 2;
	}
}

/* A key=value field: 1 with its key and value, else 0. The value may be quoted: the key
 * in front of it is the log format's. */
static int seen_kv(struct seen_span f, struct seen_span *key, struct seen_span *val)
{
	size_t i = 0;

	while (i < f.n && key_tab[f.p[i]])
		i++;
	if (i == 0 || i == f.n || f.p[i] != '=')
		return 0;
	key->p = f.p;
	key->n = i;
	val->p = f.p + i + 1;
	val->n = f.n - i - 1;
	seen_unquote(val);
	return 1;
}

static int seen_key_match(const struct seen_field *sf, struct seen_span k)
{
	if (sf->key_len)
		return k.n == sf->key_len && strncasecmp((const char *)k.p, sf->key, k.n) == 0;
	return k.n >= 6 && strncasecmp((const char *)k.p + k.n - 6, "serial", 6) == 0;
}

/*
 * A text line's serial field: the numbered field; else the value of the last key=value
 * field whose key matches, after the [time stamp] if there is one (in the common log
 * format, $remote_user comes before it: the one unquoted field a client chooses);
 * else, by default, the last field.
 */
static int seen_text_field(const struct seen_field *sf, const unsigned char *p,
			   const unsigned char *end, struct seen_span *out)
{
	struct seen_span f = {NULL, 0}, k, v;
	unsigned no = 0;
	int found = 0;

	for (;;) {
		while (p < end && seen_blank(*p))
			p++;
		if (p == end)
			break;
		f.p = p;
		p = seen_field_end(p, end);
		f.n = (size_t)(p - f.p);
		if (++no == sf->number) {
			*out = f;
			return 1;
		}
		if (!sf->number && seen_kv(f, &k, &v) && seen_key_match(sf, k))
			*out = v, found = 1;
		else if (f.p[0] == '[' && f.n >= 2 && f.p[f.n - 1] == ']')
			found = 0;
	}
	if (found || sf->number || sf->key_len || !f.p)
		return found;
	*out = f; /* a quoted field is never all hex: nothing inside quotes counts */
	return 1;
}

/* The next token of a JSON line: 's' a string (its contents), 'w' a bare word, else the
 * punctuation byte itself; 0 at the end or at a string that does not end. */
static int seen_json_token(const unsigned char **pp, const unsigned char *end,
			   struct seen_span *t)
{
	const unsigned char *p = *pp, *q;

	while (p < end && seen_blank(*p))
		p++;
	if (p == end)
		return 0;
	if (*p == '"') {
		if ((q = seen_closing_quote(p + 1, end)) == end)
			return 0;
		t->p = p + 1;
		t->n = (size_t)(q - p - 1);
		*pp = q + 1;
		return 's';
	}
	if (*p == '{' || *p == '}' || *p == '[' || *p == ']' || *p == ':' || *p == ',') {
		*pp = p + 1;
		return *p;
	}
	for (q = p; q < end && !seen_blank(*q) && *q != '"' && *q != ',' && *q != '}' &&
		    *q != ']' && *q != ':'; q++)
		;
	t->p = p;
	t->n = (size_t)(q - p);
	*pp = q;
	return 'w';
}

/* A JSON line's serial field: the last member "key": value whose key matches. */
static int seen_json_field(const struct seen_field *sf, const unsigned char *p,
			   const unsigned char *end, struct seen_span *out)
{
	struct seen_span t = {NULL, 0}, last = {NULL, 0}, key = {NULL, 0};
	int tok, prev = 0, found = 0;

	while ((tok = seen_json_token(&p, end, &t))) {
		if (tok == ':')
			key = prev == 's' ? last : (struct seen_span){NULL, 0};
		else if ((tok == 's' || tok == 'w') && prev == ':' && key.p && !sf->number &&
			 seen_key_match(sf, key))
			*out = t, found = 1;
		if (tok == 's')
			last = t;
		prev = tok;
	}
	return found;
}

/* The entry a serial field's whole value names, when it is all hex. */
static struct seen_entry *seen_value(const seen_set *s, struct seen_span v)
{
	size_t i;

	if (v.n < SEEN_MIN_RUN)
		return NULL;
	for (i = 0; i < v.n; i++)
		if (!hex_tab[v.p[i]])
			return NULL;
	return seen_find(s, v.p, v.n);
}

/* The slow path, for a text line known to hold a serial not reported yet: it counts only
 * in the line's serial field, never in the request, the referer or the user agent. */
static __attribute__((noinline, cold)) void seen_report(struct seen_scan_ctx *c,
						       const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len, *q = p;
	const struct seen_field *sf = &c->set->field;
	struct seen_entry *e = NULL;
	struct seen_span v;

	while (q < end && seen_blank(*q))
		q++;
	if (q < end && *q == '{' ? seen_json_field(sf, q, end, &v) : seen_text_field(sf, q, end, &v))
		e = seen_value(c->set, v);
	if (!e || e->reported) {
		c->st->ignored++;
		return;
	}
	e->reported = 1;
	c->st->hits++;
	c->fn(c->ctx, e->tag, e->key, seen_line_time(p, end));
}

/* True when the run ending just before q names a serial not reported yet. */
static inline int seen_probe(const seen_set *s, const unsigned char *q, unsigned run)
{
	struct seen_entry *e = seen_find(s, q - run, run);

	return e && !e->reported;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* Per 64 bytes, as bit masks: hex digits, bytes that weigh against text (bad_tab: a
 * control other than tab and CR, or 0x7F and up: not 0x20..0x7E) and NULs. An unsigned
 * range test is a subtraction and a min. SSE2 is in every x86-64; AVX2, where the CPU
 * has it, does 32 bytes a step. */
static uint64_t seen_block_sse2(const unsigned char *p, uint64_t *bad, uint64_t *nul)
{
	const __m128i zero = _mm_setzero_si128(), c0 = _mm_set1_epi8('0'), c9 = _mm_set1_epi8(9);
	const __m128i ca = _mm_set1_epi8('a'), c5 = _mm_set1_epi8(5), lc = _mm_set1_epi8(0x20);
	const __m128i sp = _mm_set1_epi8(0x20), c5e = _mm_set1_epi8(0x5e);
	const __m128i tab = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r');
	uint64_t hex = 0, b = 0, z = 0;
	int i;

	for (i = 0; i < 64; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i d = _mm_sub_epi8(v, c0), l = _mm_sub_epi8(_mm_or_si128(v, lc), ca);
		__m128i t = _mm_sub_epi8(v, sp);
		__m128i is_hex = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d, c9), d),
					      _mm_cmpeq_epi8(_mm_min_epu8(l, c5), l));
		__m128i fine = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(t, c5e), t),
					    _mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, cr)));

		hex |= (uint64_t)(unsigned)_mm_movemask_epi8(is_hex) << i;
		b |= (uint64_t)(unsigned)(~_mm_movemask_epi8(fine) & 0xffff) << i;
		z |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) << i;
	}
	*bad = b;
	*nul = z;
	return hex;
}

#include <immintrin.h>

__attribute__((target("avx2")))
static uint64_t seen_block_avx2(const unsigned char *p, uint64_t *bad, uint64_t *nul)
{
	const __m256i zero = _mm256_setzero_si256(), c0 = _mm256_set1_epi8('0');
	const __m256i c9 = _mm256_set1_epi8(9), ca = _mm256_set1_epi8('a');
	const __m256i c5 = _mm256_set1_epi8(5), lc = _mm256_set1_epi8(0x20);
	const __m256i sp = _mm256_set1_epi8(0x20), c5e = _mm256_set1_epi8(0x5e);
	const __m256i tab = _mm256_set1_epi8('\t'), cr = _mm256_set1_epi8('\r');
	uint64_t hex = 0, b = 0, z = 0;
	int i;

	for (i = 0; i < 64; i += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i d = _mm256_sub_epi8(v, c0), l = _mm256_sub_epi8(_mm256_or_si256(v, lc), ca);
		__m256i t = _mm256_sub_epi8(v, sp);
		__m256i is_hex = _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(d, c9), d),
						 _mm256_cmpeq_epi8(_mm256_min_epu8(l, c5), l));
		__m256i fine = _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(t, c5e), t),
					       _mm256_or_si256(_mm256_cmpeq_epi8(v, tab),
							       _mm256_cmpeq_epi8(v, cr)));

		hex |= (uint64_t)(uint32_t)_mm256_movemask_epi8(is_hex) << i;
		b |= (uint64_t)(uint32_t)~_mm256_movemask_epi8(fine) << i;
		z |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero)) << i;
	}
	*bad = b;
	*nul = z;
	return hex;
}

/* Chosen once per scan (seen_scan), for the CPU it runs on; CERTDESK_SEEN_ISA=sse2 keeps
 * to SSE2 (as OPENSSL_ia32cap does for libcrypto: to rule the AVX2 path out, and so that
 * the tests run both on any machine). */
static seen_block_fn seen_block_pick(void)
{
	const char *isa = getenv("CERTDESK_SEEN_ISA");

	__builtin_cpu_init();
	if (isa && strcmp(isa, "sse2") == 0)
		return seen_block_sse2;
	return __builtin_cpu_supports("avx2") ? seen_block_avx2 : seen_block_sse2;
}

/* Every run of SEEN_MIN_RUN hex digits or more that ends inside a block of hex mask h
 * (bit j: byte j), entered with run digits before it, probed. The bit trick keeps bit i
 * when bits i..i+15 are all set, so a long run ends at bit j when bit j is set, bit j + 1
 * is not and bit j - 15 survived it; it starts after the highest clear bit below j, or
 * before the block. The run the block starts with may be long only with what came
 * before: that one is looked at on its own. A run reaching bit 63 goes on into the next
 * block. Returns the run carried out. */
static inline unsigned seen_block_runs(const seen_set *set, const unsigned char *blk,
				       uint64_t h, unsigned run, int *pending)
{
	unsigned first = (unsigned)__builtin_ctzll(~h | (1ull << 63));
	uint64_t r = h, ends;

	if (h == ~0ull)
		return run + 64;
	r &= r >> 1;
	r &= r >> 2;
	r &= r >> 4;
	r &= r >> 8;
	ends = h & ~(h >> 1) & ~(1ull << 63) & (r << 15);
	if (__builtin_expect(first < SEEN_MIN_RUN && run + first >= SEEN_MIN_RUN, 0))
		*pending |= seen_probe(set, blk + first, run + first);
	while (__builtin_expect(ends != 0, 0)) {
		unsigned j = (unsigned)__builtin_ctzll(ends);
		uint64_t zeros = ~h & ((1ull << j) - 1);
		unsigned n = zeros ? j - (63 - (unsigned)__builtin_clzll(zeros)) : j + 1 + run;

		*pending |= seen_probe(set, blk + j + 1, n);
		ends &= ends - 1;
	}
	return h >> 63 ? (unsigned)__builtin_clzll(~h) : 0;
}

/* The whole line by masks, 64 bytes at a time; the last block is read whole and its bytes
 * past the line masked off (the scan's buffer has SEEN_PAD readable bytes after any line),
 * so that the end of the line ends a run as a non-hex byte would. */
static size_t seen_blocks(seen_block_fn block, const seen_set *set, const unsigned char *p,
			  size_t len, size_t *bad, unsigned *runp, int *pending)
{
	size_t done;
	unsigned run = 0;

	for (done = 0; done < len; done += 64) {
		uint64_t b, z, h = block(p + done, &b, &z);

		if (len - done < 64) {
			uint64_t keep = (1ull << (len - done)) - 1;
			h &= keep, b &= keep, z &= keep;
		}
		if (__builtin_expect(b != 0, 0))
			*bad += (size_t)__builtin_popcountll(b) +
				(size_t)__builtin_popcountll(z) * (SEEN_NUL_WEIGHT - 1);
		run = seen_block_runs(set, p + done, h, run, pending);
	}
	*runp = run;
	return len;
}
#else
static seen_block_fn seen_block_pick(void)
{
	return NULL;
}

static size_t seen_blocks(seen_block_fn block, const seen_set *set, const unsigned char *p,
			  size_t len, size_t *bad, unsigned *runp, int *pending)
{
	return 0;
}
#endif

/*
 * The hot loop: 64 bytes at a time by SIMD masks where the machine has them, then table
 * look-ups per byte, with the run length kept branch-free so that only the end of a long
 * run costs a (rarely taken) branch.
 */
static void seen_line(struct seen_scan_ctx *c, const unsigned char *p, size_t len)
{
	const unsigned char *q, *end = p + len;
	size_t bad = 0, done;
	unsigned run = 0;
	int pending = 0;

	c->st->lines++;
	if (len > SEEN_MAX_LINE) {
		c->st->skipped++;
		return;
	}
	done = seen_blocks(c->block, c->set, p, len, &bad, &run, &pending);
	for (q = p + done; q < end; q++) {
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
	struct seen_scan_ctx c = {s, fn, ctx, st ? st : &local, seen_block_pick()};
	struct seen_src src;
	unsigned char *buf;
	int rc;

	memset(c.st, 0, sizeof *c.st);
	if (seen_src_open(&src, path) < 0) {
		seen_src_close(&src);
		return -1;
	}
	buf = cd_malloc(SEEN_MAX_LINE + SEEN_BLOCK + SEEN_PAD);
	memset(buf, 0, SEEN_MAX_LINE + SEEN_BLOCK + SEEN_PAD);
	rc = seen_pump(&c, &src, buf);
	if (rc < 0)
		cd_err("cannot read %s: %s", path, strerror(errno));
	c.st->truncated = src.truncated;
	free(buf);
	seen_src_close(&src);
	return rc;
}
