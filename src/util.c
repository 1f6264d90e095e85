/* util.c: errors, buffers, time, validation and secret files. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <openssl/crypto.h>

/* Each thread its own: verify checks certificates on several. */
static __thread char err_line[1024];

int cd_err(const char *fmt, ...)
{
	char tmp[sizeof err_line];
	va_list ap;

	/* fmt may refer to the current message (adding context), so format aside. */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	memcpy(err_line, tmp, sizeof err_line);
	return -1;
}

const char *cd_errmsg(void)
{
	return err_line[0] ? err_line : "unknown error";
}

void *cd_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

void *cd_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *cd_strndup(const char *s, size_t n)
{
	char *p = cd_malloc(n + 1);

	if (n) /* s may be NULL then (an empty BIO's data) */
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *cd_strdup(const char *s)
{
	return cd_strndup(s, strlen(s));
}

char *cd_asprintf(const char *fmt, ...)
{
	cd_buf b = {0};
	va_list ap;

	va_start(ap, fmt);
	cd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return cd_buf_take(&b);
}

static void buf_grow(cd_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 64;
	while (b->cap < need)
		b->cap *= 2;
	b->s = cd_realloc(b->s, b->cap);
}

char *cd_buf_space(cd_buf *b, size_t n)
{
	buf_grow(b, n);
	return b->s + b->len;
}

void cd_buf_add(cd_buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void cd_buf_puts(cd_buf *b, const char *s)
{
	cd_buf_add(b, s, strlen(s));
}

void cd_buf_putc(cd_buf *b, char c)
{
	/* The common case stays cheap: links are built a byte at a time. */
	if (b->len + 2 <= b->cap) {
		b->s[b->len++] = c;
		b->s[b->len] = '\0';
		return;
	}
	cd_buf_add(b, &c, 1);
}

void cd_buf_vprintf(cd_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (!fmt)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void cd_buf_printf(cd_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cd_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *cd_buf_take(cd_buf *b)
{
	char *s = b->s ? b->s : cd_strdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void cd_buf_free(cd_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

int64_t cd_now(void)
{
	return (int64_t)time(NULL);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t cd_timegm(int y, int mon, int d, int h, int mi, int s)
{
	return days_from_civil(y, mon, d) * CD_DAY + h * 3600LL + mi * 60LL + s;
}

static int month_days(int y, int m)
{
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : md[m - 1];
}

int cd_parse_date(const char *s, int64_t *out)
{
	int y, m, d, i;

	for (i = 0; i < 10; i++) {
		int want_dash = i == 4 || i == 7;
		if (!s[i] || (want_dash ? s[i] != '-' : !isdigit((unsigned char)s[i])))
			return cd_err("invalid date '%.40s': expected YYYY-MM-DD", s);
	}
	if (s[10])
		return cd_err("invalid date '%.40s': expected YYYY-MM-DD", s);
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return cd_err("invalid date '%s': no such day", s);
	*out = cd_timegm(y, m, d, 0, 0, 0);
	return 0;
}

/* ---- cd_sort: introsort (quicksort, heapsort past a depth, insertion for short runs) */

struct sorter {
	unsigned char *b;
	size_t size;
	int (*cmp)(const void *, const void *, void *);
	void *ctx;
};

static unsigned char *at(const struct sorter *s, size_t i)
{
	return s->b + i * s->size;
}

static int less(const struct sorter *s, size_t i, size_t j)
{
	return s->cmp(at(s, i), at(s, j), s->ctx) < 0;
}

static void swap_at(const struct sorter *s, size_t i, size_t j)
{
	unsigned char t[64];

	if (i == j)
		return;
	if (s->size == 16) { /* the dashboard's rows: two words, no call */
		uint64_t a[2], b[2];

		memcpy(a, at(s, i), 16);
		memcpy(b, at(s, j), 16);
		memcpy(at(s, i), b, 16);
		memcpy(at(s, j), a, 16);
		return;
	}
	memcpy(t, at(s, i), s->size);
	memcpy(at(s, i), at(s, j), s->size);
	memcpy(at(s, j), t, s->size);
}

static void sift_down(const struct sorter *s, size_t lo, size_t root, size_t n)
{
	size_t child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && less(s, lo + child, lo + child + 1))
			child++;
		if (!less(s, lo + root, lo + child))
			return;
		swap_at(s, lo + root, lo + child);
		root = child;
	}
}

static void heap_sort(const struct sorter *s, size_t lo, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(s, lo, i, n);
	for (i = n; i-- > 1;) {
		swap_at(s, lo, lo + i);
		sift_down(s, lo, 0, i);
	}
}

static void insertion_sort(const struct sorter *s, size_t lo, size_t hi)
{
	size_t i, j;

	for (i = lo + 1; i < hi; i++)
		for (j = i; j > lo && less(s, j, j - 1); j--)
			swap_at(s, j, j - 1);
}

/* Sorts [lo, hi): recursion on the shorter side, so the stack stays O(log n). */
static void intro_sort(const struct sorter *s, size_t lo, size_t hi, int depth)
{
	while (hi - lo > 16) {
		size_t mid = lo + (hi - lo) / 2, i, j;

		if (depth-- == 0) {
			heap_sort(s, lo, hi - lo);
			return;
		}
		/* The median of three goes to lo, the pivot's place during the partition. */
		if (less(s, mid, lo))
			swap_at(s, mid, lo);
		if (less(s, hi - 1, lo))
			swap_at(s, hi - 1, lo);
		if (less(s, hi - 1, mid))
			swap_at(s, hi - 1, mid);
		swap_at(s, lo, mid);
		/* Hoare's partition around the pivot at lo: equal keys split evenly. */
		i = lo;
		j = hi;
		for (;;) {
			do
				i++;
			while (i < hi && less(s, i, lo));
			do
				j--;
			while (less(s, lo, j));
			if (i >= j)
				break;
			swap_at(s, i, j);
		}
		swap_at(s, lo, j);
		if (j - lo < hi - j - 1) {
			intro_sort(s, lo, j, depth);
			lo = j + 1;
		} else {
			intro_sort(s, j + 1, hi, depth);
			hi = j;
		}
	}
	insertion_sort(s, lo, hi);
}

/* swap_at's buffer holds 64 bytes: a larger element is a caller's error. */
static struct sorter sorter_of(void *base, size_t size,
			       int (*cmp)(const void *, const void *, void *), void *ctx)
{
	struct sorter s = {base, size, cmp, ctx};

	if (size > 64)
		abort();
	return s;
}

void cd_sort(void *base, size_t n, size_t size,
	     int (*cmp)(const void *a, const void *b, void *ctx), void *ctx)
{
	struct sorter s = sorter_of(base, size, cmp, ctx);
	int depth = 0;
	size_t k;

	for (k = n; k; k >>= 1)
		depth += 2;
	if (n > 1)
		intro_sort(&s, 0, n, depth);
}

void cd_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void cd_sort_bucketed(void *base, size_t n, size_t size, size_t (*bucket)(const void *x, void *ctx),
		      size_t nbuckets, int (*cmp)(const void *a, const void *b, void *ctx),
		      void *ctx)
{
	struct sorter s = sorter_of(base, size, cmp, ctx);
	size_t *next = cd_malloc(nbuckets * sizeof *next);
	size_t *end = cd_malloc((nbuckets + 1) * sizeof *end);
	size_t i, b;

	memset(end, 0, (nbuckets + 1) * sizeof *end);
	for (i = 0; i < n; i++)
		end[bucket(at(&s, i), ctx) + 1]++;
	for (b = 0; b < nbuckets; b++) {
		end[b + 1] += end[b];
		next[b] = end[b];
	}
	/* end[b] is where bucket b starts, end[b + 1] where it ends. */
	for (b = 0; b < nbuckets; b++) {
		while (next[b] < end[b + 1]) {
			size_t to = bucket(at(&s, next[b]), ctx);

			if (to == b)
				next[b]++;
			else
				swap_at(&s, next[b], next[to]++);
		}
	}
	for (b = 0; b < nbuckets; b++)
		if (end[b + 1] - end[b] > 1)
			cd_sort(at(&s, end[b]), end[b + 1] - end[b], size, cmp, ctx);
	free(next);
	free(end);
}

void cd_format_date(int64_t t, char out[16])
{
	/* The civil date of a day count (the proleptic Gregorian calendar in 400-year eras),
	 * without gmtime_r and strftime: a listing formats a date per row. */
	int64_t z = (t >= 0 ? t / CD_DAY : -((-t + CD_DAY - 1) / CD_DAY)) + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);

	if (y < 0 || y > 9999) {
		char wide[64];

		snprintf(wide, sizeof wide, "%lld-%02d-%02d", (long long)y, (int)m, (int)d);
		snprintf(out, 16, "%.15s", wide);
		return;
	}
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

void cd_format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t cd_days_until(int64_t when, int64_t now)
{
	/* Calendar days between the two UTC dates, as a person reads an expiry date. */
	int64_t a = when >= 0 ? when / CD_DAY : -((-when + CD_DAY - 1) / CD_DAY);
	int64_t b = now >= 0 ? now / CD_DAY : -((-now + CD_DAY - 1) / CD_DAY);

	return a - b;
}

int cd_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len, k;
		unsigned cp;
		uint64_t w;

		/* ASCII runs, eight bytes at a time. */
		while (i + 8 <= n && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ULL)))
			i += 8;
		if (i >= n)
			break;
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			len = 2, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			len = 3, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			len = 4, cp = c & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			return 0;
		i += len;
	}
	return 1;
}

int cd_check_user(const char *u)
{
	size_t i, n = strlen(u);

	if (n == 0 || n > 64)
		return cd_err("invalid user name '%.70s': 1 to 64 characters", u);
	/* The canaries' CN (canary.h): a user of that name would pass for certdesk's probe. */
	if (strcmp(u, "certdesk-probe") == 0)
		return cd_err("the user name 'certdesk-probe' is reserved for certdesk's canary "
			      "certificates");
	if (!(islower((unsigned char)u[0]) || u[0] == '_'))
		goto bad;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)u[i];
		if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
			goto bad;
	}
	return 0;
bad:
	{
		char *clean = cd_sanitize(u);
		cd_err("invalid user name '%.70s': use lowercase letters, digits, '.', '_' "
		       "and '-', starting with a letter or '_'", clean);
		free(clean);
	}
	return -1;
}

/* Unicode direction overrides and isolates (U+202A..202E, U+2066..2069) reorder what a
 * terminal shows: text could pass for something else. */
static int is_bidi_control(const unsigned char *p, size_t left)
{
	return left >= 3 && p[0] == 0xE2 &&
	       ((p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) ||
		(p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9));
}

int cd_check_field(const char *what, const char *v)
{
	size_t i, n = strlen(v);

	if (n > 256)
		return cd_err("%s is too long (%zu bytes, at most 256)", what, n);
	if (!cd_utf8_valid(v, n))
		return cd_err("%s is not valid UTF-8", what);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7F)
			return cd_err("%s contains a control character (byte %zu)", what, i + 1);
		/* C1 controls (U+0080..U+009F) are encoded as C2 80..C2 9F. */
		if (c == 0xC2 && i + 1 < n && (unsigned char)v[i + 1] < 0xA0)
			return cd_err("%s contains a control character (byte %zu)", what, i + 1);
		if (is_bidi_control((const unsigned char *)v + i, n - i))
			return cd_err("%s contains a text direction control (byte %zu)", what, i + 1);
	}
	return 0;
}

int cd_check_email(const char *e)
{
	const char *at = strchr(e, '@');
	size_t i;

	if (cd_check_field("email", e) < 0)
		return -1;
	if (!at || at == e || !at[1] || strchr(at + 1, '@'))
		return cd_err("invalid email '%.80s': expected exactly one '@' between a local part and a domain", e);
	for (i = 0; e[i]; i++)
		if (e[i] == ' ' || e[i] == ',' || e[i] == '<' || e[i] == '>')
			return cd_err("invalid email '%.80s': no spaces, commas or angle brackets", e);
	if (at[1] == '.' || strstr(at, "..") || e[strlen(e) - 1] == '.')
		return cd_err("invalid email '%.80s': the domain has an empty label", e);
	return 0;
}

int cd_check_country(const char *cc)
{
	if (strlen(cc) != 2 || !isupper((unsigned char)cc[0]) || !isupper((unsigned char)cc[1]))
		return cd_err("invalid country '%.10s': expected two capital letters (ISO 3166), e.g. US", cc);
	return 0;
}

int cd_check_task(const char *t)
{
	size_t i;

	if (t[0] != 'T' || !t[1] || strlen(t) > 20)
		goto bad;
	for (i = 1; t[i]; i++)
		if (!isdigit((unsigned char)t[i]))
			goto bad;
	return 0;
bad:
	{
		char *clean = cd_sanitize(t);
		cd_err("invalid task id '%.200s': expected T followed by digits, e.g. T123456",
		       clean);
		free(clean);
	}
	return -1;
}

/* rest, a path under the Phabricator's address, cut at a query, an anchor or a final
 * slash: "T4567/#comment-3" gives "T4567". */
static void task_of_path(const char *rest, char *out, size_t n)
{
	size_t len = strcspn(rest, "?#");

	while (len && rest[len - 1] == '/')
		len--;
	snprintf(out, n, "%.*s", (int)len, rest);
}

int cd_task_id(const char *in, const char *phab_url, char *out, size_t n)
{
	char buf[512], *s = buf, id[64];
	size_t len, base = phab_url ? strlen(phab_url) : 0;

	snprintf(buf, sizeof buf, "%s", in);
	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	while (base && phab_url[base - 1] == '/')
		base--;
	if (base && strncmp(s, phab_url, base) == 0 && s[base] == '/')
		task_of_path(s + base + 1, id, sizeof id);
	else if ((len = strlen(s)) < sizeof id)
		memcpy(id, s, len + 1);
	else
		id[0] = '\0'; /* longer than any task id: refused below */
	if (isdigit((unsigned char)id[0]) && strlen(id) + 2 <= sizeof id) {
		memmove(id + 1, id, strlen(id) + 1);
		id[0] = 'T';
	}
	if (strlen(in) >= sizeof buf || strlen(id) >= n || cd_check_task(id) < 0) {
		char *clean = cd_sanitize(in);

		cd_err("invalid task id '%.200s': expected T123456, 123456 or a task URL under %s",
		       clean, phab_url && *phab_url ? phab_url : "phab.url");
		free(clean);
		return -1;
	}
	snprintf(out, n, "%s", id);
	return 0;
}

int cd_parse_int(const char *what, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return cd_err("invalid %s '%.20s': expected a whole number from %ld to %ld", what, s, min, max);
	*out = v;
	return 0;
}

char *cd_sanitize(const char *s)
{
	cd_buf b = {0};

	cd_sanitize_into(&b, s);
	return cd_buf_take(&b);
}

void cd_sanitize_into(cd_buf *b, const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2, run = i;

		/* Printable ASCII eight bytes at a time: none below 0x20, none from 0x7F. */
		while (run + 8 <= n) {
			uint64_t w;

			memcpy(&w, s + run, 8);
			if (((w - 0x2020202020202020ULL) & ~w & 0x8080808080808080ULL) ||
			    ((w | (w + 0x0101010101010101ULL)) & 0x8080808080808080ULL))
				break;
			run += 8;
		}
		while (run < n && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x7F)
			run++;
		if (run > i) {
			cd_buf_add(b, s + i, run - i); /* printable ASCII, as it is */
			i = run;
		} else if (c >= 0x80 && i + len <= n && cd_utf8_valid(s + i, len) &&
			   !(c == 0xC2 && (unsigned char)s[i + 1] < 0xA0) &&
			   !is_bidi_control((const unsigned char *)s + i, n - i)) {
			cd_buf_add(b, s + i, len);
			i += len;
		} else {
			cd_buf_putc(b, '?'); /* controls, C1 controls, broken UTF-8 */
			i++;
		}
	}
}

static int scheme_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

/* The last '@' of auth[from, to), or to. */
static size_t last_at(const char *auth, size_t from, size_t to)
{
	size_t at = to;

	for (; from < to; from++)
		if (auth[from] == '@')
			at = from;
	return at;
}

/* Whether auth[from, to) is a port: digits only. */
static int is_port(const char *auth, size_t from, size_t to)
{
	for (; from < to; from++)
		if (!isdigit((unsigned char)auth[from]))
			return 0;
	return 1;
}

/*
 * The secret in the userinfo of a URL whose authority starts at auth: all of
 * user:password@ (a token is as often the user as the password, as in GitHub's
 * https://TOKEN:x-oauth-basic@), or for http(s) a user alone (https://TOKEN@host). The
 * authority ends at the path, the query, or anything no URL holds; but a password
 * written unencoded may hold '/', '?' or '#', so when a ':' that starts no port comes
 * before such a byte, the userinfo runs to the last '@' before a blank. *len bytes at
 * auth (*off is 0); 0 when there is none.
 */
static int userinfo_secret(const char *auth, int web, size_t *off, size_t *len)
{
	size_t n = strcspn(auth, "/?#\\ \t\r\n\"'<>`"), at = last_at(auth, 0, n), colon;

	colon = strcspn(auth, ":");
	if (at == n && colon < n && !is_port(auth, colon + 1, n))
		at = last_at(auth, n, n + strcspn(auth + n, " \t\r\n\"'<>`"));
	else if (at == n)
		return 0;
	if (auth[at] != '@' || (colon > at && !web))
		return 0;
	*off = 0;
	*len = at;
	return *len > 0;
}

/* For each scheme://: where its secret is, if any (see userinfo_secret). */
static const char *url_secret(const char *text, const char *sep, size_t *len)
{
	const char *s = sep;
	size_t off;
	int web;

	while (s > text && scheme_char(s[-1]))
		s--;
	web = (sep - s == 4 && !strncasecmp(s, "http", 4)) ||
	      (sep - s == 5 && !strncasecmp(s, "https", 5));
	if (s == sep || !userinfo_secret(sep + 3, web, &off, len))
		return NULL;
	return sep + 3 + off;
}

char *cd_mask_urls(const char *text)
{
	cd_buf b = {0};
	const char *p = text, *sep, *secret;
	size_t len;

	while ((sep = strstr(p, "://"))) {
		if ((secret = url_secret(text, sep, &len))) {
			cd_buf_add(&b, p, (size_t)(secret - p));
			cd_buf_puts(&b, "***");
			p = secret + len;
		} else {
			cd_buf_add(&b, p, (size_t)(sep + 3 - p));
			p = sep + 3;
		}
	}
	cd_buf_puts(&b, p);
	return cd_buf_take(&b);
}

char *cd_url_secret(const char *url)
{
	const char *sep = strstr(url, "://"), *secret;
	size_t len;

	if (!sep || !(secret = url_secret(url, sep, &len)))
		return NULL;
	return cd_strndup(secret, len);
}

size_t cd_utf8_char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;

	if (c < 0x80)
		return 1;
	return strnlen(s, n) == n && cd_utf8_valid(s, n) ? n : 1;
}

size_t cd_char_cols(const char *s, mbstate_t *ps, int *cols)
{
	wchar_t wc;
	size_t n = mbrtowc(&wc, s, MB_CUR_MAX, ps);

	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		memset(ps, 0, sizeof *ps);
		*cols = -1;
		/* No UTF-8 locale at all: a UTF-8 character stays one character, drawn as one
		 * replacement, not one per byte. */
		return MB_CUR_MAX == 1 ? cd_utf8_char_len(s) : 1;
	}
	*cols = wcwidth(wc) < 0 ? -1 : wcwidth(wc);
	return n;
}

int cd_text_width(const char *s)
{
	mbstate_t ps;
	int total = 0, c;

	memset(&ps, 0, sizeof ps);
	while (*s) {
		s += cd_char_cols(s, &ps, &c);
		total += c < 0 ? 1 : c;
	}
	return total;
}

size_t cd_fit_width(const char *s, int w)
{
	mbstate_t ps;
	size_t off = 0, n;
	int used = 0, c;

	memset(&ps, 0, sizeof ps);
	while (s[off]) {
		n = cd_char_cols(s + off, &ps, &c);
		c = c < 0 ? 1 : c;
		if (used + c > w && off > 0)
			break;
		used += c;
		off += n;
	}
	return off;
}

/* cd_check_user without touching the current error message (the operator is looked up
 * while a failure may be being reported). */
static int plain_user_name(const char *s)
{
	char saved[sizeof err_line];
	int ok;

	memcpy(saved, err_line, sizeof saved);
	ok = cd_check_user(s) == 0;
	memcpy(err_line, saved, sizeof saved);
	return ok;
}

/* Anyone can set SUDO_USER. sudo runs the command as root and sets SUDO_UID beside it:
 * only then, and when that uid is the named user's, does it name the person. */
static int sudo_believed(const char *user)
{
	const char *uid = getenv("SUDO_UID");
	struct passwd *pw;
	char *end;
	long n;

	if (getuid() != 0 || geteuid() != 0 || !uid || !*uid)
		return 0;
	errno = 0;
	n = strtol(uid, &end, 10);
	if (*end || errno || n < 0)
		return 0;
	pw = getpwnam(user);
	return pw && (long)pw->pw_uid == n;
}

/* A claim that is not a user name is kept readable and harmless: printable ASCII. */
static void claim_text(const char *claim, char *out, size_t size)
{
	size_t i;

	for (i = 0; claim[i] && i + 1 < size && i < 64; i++)
		/* Printable ASCII but the angle brackets, which no git author may hold. */
		out[i] = claim[i] > 0x20 && claim[i] < 0x7F && claim[i] != '<' && claim[i] != '>' ?
			 claim[i] : '?';
	out[i] = '\0';
}

static struct {
	char login[64];  /* the user believed to act */
	char shown[160]; /* the same, with an unbelieved SUDO_USER as a claim */
} op;

static void operator_init(void)
{
	const char *claim = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	char text[72];

	if (claim && *claim && plain_user_name(claim) && sudo_believed(claim)) {
		snprintf(op.login, sizeof op.login, "%s", claim);
		snprintf(op.shown, sizeof op.shown, "%s", claim);
		return;
	}
	if (pw)
		snprintf(op.login, sizeof op.login, "%s", pw->pw_name);
	else
		snprintf(op.login, sizeof op.login, "uid%ld", (long)getuid());
	if (!claim || !*claim || strcmp(claim, op.login) == 0) {
		snprintf(op.shown, sizeof op.shown, "%s", op.login);
		return;
	}
	claim_text(claim, text, sizeof text);
	snprintf(op.shown, sizeof op.shown, "%s (claimed %s)", op.login, text);
}

const char *cd_operator(void)
{
	if (!op.login[0])
		operator_init();
	return op.shown;
}

const char *cd_operator_login(void)
{
	if (!op.login[0])
		operator_init();
	return op.login;
}

int cd_write_fd(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0)
			errno = EIO;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static char *dir_of(const char *path)
{
	char *dir = cd_strdup(path), *slash = strrchr(dir, '/');

	if (!slash) {
		free(dir);
		return cd_strdup(".");
	}
	*(slash == dir ? slash + 1 : slash) = '\0';
	return dir;
}

void cd_fsync_dir_of(const char *path)
{
	char *dir = dir_of(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int cd_can_create(const char *path)
{
	char *dir;
	int rc;

	if (cd_path_exists(path)) {
		errno = EEXIST;
		return -1;
	}
	dir = dir_of(path);
	rc = access(dir, W_OK | X_OK);
	free(dir);
	return rc;
}

/* Writes data under a temporary name beside path (created exclusively, with mode),
 * fsync'd; returns that name, or NULL with nothing left behind. */
static char *write_temp(const char *path, const void *data, size_t len, int mode)
{
	char *tmp = cd_asprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);

	if (fd < 0) {
		cd_err("cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return NULL;
	}
	/* fchmod: the umask must not loosen nor tighten the mode asked for. */
	if (fchmod(fd, (mode_t)mode) < 0 || cd_write_fd(fd, data, len) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0) {
		cd_err("cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return NULL;
	}
	return tmp;
}

/* Gives a complete temporary file its final name: link() refuses an existing one,
 * rename() replaces it; either way the name never holds a part of a file. */
static int place(const char *tmp, const char *path, int excl)
{
	if ((excl ? link(tmp, path) : rename(tmp, path)) == 0)
		return 0;
	if (errno == EEXIST)
		return cd_err("%s already exists; not overwriting it", path);
	return cd_err("cannot create %s: %s", path, strerror(errno));
}

/* n files of one directory, each written aside, fsync'd, then placed; one directory
 * fsync makes the new names durable. Exclusive: all of them or none. */
void cd_unlink_temps(const char *path)
{
	cd_buf pat = {0};
	glob_t g = {0};
	size_t i;

	for (i = 0; path[i]; i++) {
		if (strchr("*?[\\", path[i]))
			cd_buf_putc(&pat, '\\');
		cd_buf_putc(&pat, path[i]);
	}
	cd_buf_puts(&pat, ".tmp.[0-9]*");
	if (glob(pat.s, GLOB_NOSORT, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			long pid = strtol(g.gl_pathv[i] + strlen(path) + 5, NULL, 10);
			/* A writer still running keeps its own. */
			if (pid <= 0 || kill((pid_t)pid, 0) < 0 || pid == (long)getpid())
				unlink(g.gl_pathv[i]);
		}
	}
	globfree(&g);
	cd_buf_free(&pat);
}

static int write_files(int n, const char *const *paths, const void *const *data,
		       const size_t *lens, int mode, int excl)
{
	char *tmp[8] = {0};
	int i, placed = 0, rc = -1;

	if (n < 1 || n > 8)
		return cd_err("internal error: %d files at once", n);
	for (i = 0; i < n; i++) {
		if (excl && cd_path_exists(paths[i])) {
			cd_err("%s already exists; not overwriting it", paths[i]);
			goto out;
		}
		if (!(tmp[i] = write_temp(paths[i], data[i], lens[i], mode)))
			goto out;
	}
	for (placed = 0; placed < n; placed++)
		if (place(tmp[placed], paths[placed], excl) < 0)
			goto out;
	rc = 0;
out:
	for (i = 0; rc < 0 && i < placed; i++)
		unlink(paths[i]);
	for (i = 0; i < n; i++) {
		if (tmp[i] && (excl || i >= placed))
			unlink(tmp[i]);
		free(tmp[i]);
	}
	if (rc == 0)
		cd_fsync_dir_of(paths[0]);
	return rc;
}

int cd_write_secrets(int n, const char *const *paths, const void *const *data,
		     const size_t *lens)
{
	return write_files(n, paths, data, lens, 0600, 1);
}

int cd_write_secret(const char *path, const void *data, size_t len)
{
	return write_files(1, &path, &data, &len, 0600, 1);
}

int cd_write_file(const char *path, const void *data, size_t len, int mode)
{
	return write_files(1, &path, &data, &len, mode, 1);
}

int cd_replace_file(const char *path, const void *data, size_t len, int mode)
{
	return write_files(1, &path, &data, &len, mode, 0);
}

int cd_read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cd_buf b = {0};
	char chunk[8192];
	struct stat st;
	size_t n;

	if (!f)
		return cd_err("cannot read %s: %s", path, strerror(errno));
	/* Files and pipes only: a device or a directory named by mistake must not hang
	 * certdesk or exhaust its memory. */
	if (fstat(fileno(f), &st) < 0 || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
		fclose(f);
		return cd_err("cannot read %s: not a regular file", path);
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + n > CD_READ_MAX) {
			fclose(f);
			cd_buf_free(&b);
			return cd_err("cannot read %s: larger than %d MiB", path, CD_READ_MAX >> 20);
		}
		cd_buf_add(&b, chunk, n);
	}
	if (ferror(f)) {
		fclose(f);
		cd_buf_free(&b);
		return cd_err("cannot read %s: %s", path, strerror(errno));
	}
	fclose(f);
	if (len)
		*len = b.len;
	*data = cd_buf_take(&b);
	return 0;
}

void cd_secret_free(char *data, size_t len)
{
	if (data)
		OPENSSL_cleanse(data, len);
	free(data);
}

/* Reads until end of file or until buf (cap bytes) is full. */
static ssize_t read_all(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int cd_read_secret_fd(int fd, const char *path, char **data, size_t *len)
{
	struct stat st;
	size_t want;
	ssize_t got;
	char *buf;

	if (fstat(fd, &st) < 0)
		return cd_err("cannot read %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
		return cd_err("cannot read %s: not a regular file", path);
	if (S_ISREG(st.st_mode) && st.st_size > CD_SECRET_MAX)
		return cd_err("cannot read %s: larger than %d KiB", path, CD_SECRET_MAX >> 10);
	/* One buffer, never grown (a realloc would leave a copy behind), with a byte to
	 * spare that tells a file grown since fstat, and one for the NUL. */
	want = S_ISREG(st.st_mode) ? (size_t)st.st_size : CD_SECRET_MAX;
	buf = cd_malloc(want + 2);
	got = read_all(fd, buf, want + 1);
	if (got < 0 || (size_t)got > want) {
		int e = errno;
		cd_secret_free(buf, want + 1);
		if (got < 0)
			return cd_err("cannot read %s: %s", path, strerror(e));
		if (S_ISREG(st.st_mode))
			return cd_err("cannot read %s: it changed while it was read", path);
		return cd_err("cannot read %s: larger than %d KiB", path, CD_SECRET_MAX >> 10);
	}
	buf[got] = '\0';
	*data = buf;
	if (len)
		*len = (size_t)got;
	return 0;
}

int cd_read_secret(const char *path, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return cd_err("cannot read %s: %s", path, strerror(errno));
	rc = cd_read_secret_fd(fd, path, data, len);
	close(fd);
	return rc;
}

int cd_mkdir_p(const char *path, int mode)
{
	char *p = cd_strdup(path), *s;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
				rc = cd_err("cannot create directory %s: %s", p, strerror(errno));
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return rc;
}

int cd_path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int cd_check_choice(const char *what, const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return 0;
		p = bar ? bar + 1 : NULL;
	}
	return cd_err("invalid %s '%.40s': expected one of %s", what, v, choices);
}
