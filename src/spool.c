/* spool.c: records put in order within a memory limit (see spool.h).
 *
 * Records are held in one of two halves of the limit. When a half fills, a thread sorts
 * it and writes it as a run while the caller goes on filling the other half, so sorting
 * and writing cost no time where the caller is the slower side (a SQLite scan). The half
 * held at the end is sorted and merged from memory, never written.
 */
#define _GNU_SOURCE /* mkostemp */
#include "spool.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A held record: where it is in its half, its key and its first 16 bytes beside it (big
 * endian, zero padded), so that the sort reads the record itself only when those tie. */
struct ent {
	int64_t key;
	uint64_t p0, p1;
	uint32_t off, len;
};

struct half {
	cd_buf block;
	struct ent *ents;
	size_t n, cap;
};

/* A run in the file: each record as [u32 len][i64 key][len bytes]. */
#define HDR (sizeof(uint32_t) + sizeof(int64_t))
struct run {
	off_t at, end;
};

struct spool {
	size_t limit; /* of one half */
	struct half halves[2];
	struct half *cur;   /* the half being filled */
	pthread_t writer;   /* sorting and writing the other half, when busy */
	int busy;
	int werr;           /* the writer's errno; -1: a write that wrote nothing */
	int fd;
	char *path; /* for messages: the file itself is unlinked */
	off_t size;
	struct run *runs;
	size_t nruns;
	size_t chunk; /* bytes each run's reader reads at a time */
};

static int rec_cmp(int64_t ka, const void *a, size_t alen, int64_t kb, const void *b, size_t blen)
{
	int c;

	if (ka != kb)
		return ka < kb ? -1 : 1;
	c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

static int ent_cmp(const void *a, const void *b, void *ctx)
{
	const struct ent *x = a, *y = b;
	const struct half *h = ctx;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->p0 != y->p0)
		return x->p0 < y->p0 ? -1 : 1;
	if (x->p1 != y->p1)
		return x->p1 < y->p1 ? -1 : 1;
	return rec_cmp(0, h->block.s + x->off, x->len, 0, h->block.s + y->off, y->len);
}

static uint64_t be64(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		v = v << 8 | (i < n ? p[i] : 0);
	return v;
}

static void half_sort(struct half *h)
{
	cd_sort(h->ents, h->n, sizeof *h->ents, ent_cmp, h);
}

spool *spool_new(size_t limit)
{
	spool *sp = cd_malloc(sizeof *sp);

	memset(sp, 0, sizeof *sp);
	limit /= 2;
	sp->limit = limit < UINT32_MAX ? limit : UINT32_MAX;
	sp->cur = &sp->halves[0];
	sp->fd = -1;
	return sp;
}


static int open_file(spool *sp)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || !*dir)
		dir = "/tmp";
	sp->path = cd_asprintf("%s/certdesk-sort-XXXXXX", dir);
	sp->fd = mkostemp(sp->path, O_CLOEXEC); /* 0600 */
	if (sp->fd < 0)
		return cd_err("sorting: cannot create a file in %s (TMPDIR): %s", dir,
			      strerror(errno));
	if (unlink(sp->path) < 0) { /* names and emails must not stay behind */
		cd_err("sorting: cannot remove %s: %s", sp->path, strerror(errno));
		close(sp->fd);
		sp->fd = -1;
		return -1;
	}
	return 0;
}

/* On the writer thread: sets sp->werr, never cd_err (the caller's thread owns it). */
static int write_all(spool *sp, const char *p, size_t n)
{
	while (n) {
		ssize_t w = pwrite(sp->fd, p, n, sp->size);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			sp->werr = w < 0 ? errno : -1;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		sp->size += w;
	}
	return 0;
}

/* The writer thread: the half that is not cur, sorted, as one more run. */
static void *write_run(void *p)
{
	spool *sp = p;
	struct half *h = sp->cur == &sp->halves[0] ? &sp->halves[1] : &sp->halves[0];
	cd_buf out = {0};
	struct run r = {sp->size, 0};
	size_t i;

	half_sort(h);
	for (i = 0; i < h->n && !sp->werr; i++) {
		const struct ent *e = &h->ents[i];

		cd_buf_add(&out, &e->len, sizeof e->len);
		cd_buf_add(&out, &e->key, sizeof e->key);
		cd_buf_add(&out, h->block.s + e->off, e->len);
		if (out.len >= 1 << 20 || i + 1 == h->n) {
			write_all(sp, out.s, out.len);
			out.len = 0;
		}
	}
	cd_buf_free(&out);
	h->n = 0;
	h->block.len = 0;
	if (!sp->werr) {
		r.end = sp->size;
		sp->runs[sp->nruns++] = r;
	}
	return NULL;
}

/* Waits for the run being written; the writer's error, if any run had one. */
static int join_writer(spool *sp)
{
	if (sp->busy) {
		pthread_join(sp->writer, NULL);
		sp->busy = 0;
	}
	if (sp->werr)
		return cd_err("sorting: writing %s: %s", sp->path,
			      sp->werr > 0 ? strerror(sp->werr) : "nothing written");
	return 0;
}

size_t spool_runs(spool *sp)
{
	join_writer(sp);
	return sp->nruns;
}

/* cur goes to the writer; the other half, once written, becomes cur. */
static int spill(spool *sp)
{
	if (join_writer(sp) < 0 || (sp->fd < 0 && open_file(sp) < 0))
		return -1;
	sp->runs = cd_realloc(sp->runs, (sp->nruns + 1) * sizeof *sp->runs);
	sp->cur = sp->cur == &sp->halves[0] ? &sp->halves[1] : &sp->halves[0];
	sp->busy = 1;
	if (pthread_create(&sp->writer, NULL, write_run, sp) != 0) {
		sp->busy = 0;
		write_run(sp); /* no thread to be had: the same work, here */
	}
	return sp->busy ? 0 : join_writer(sp);
}

int spool_add(spool *sp, int64_t key, const void *rec, size_t len)
{
	struct half *h = sp->cur;
	struct ent *e;

	if (len > UINT32_MAX / 4)
		return cd_err("sorting: a record of %zu bytes is too long", len);
	if (h->n && h->block.len + len + (h->n + 1) * sizeof *h->ents > sp->limit) {
		if (spill(sp) < 0)
			return -1;
		h = sp->cur;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 256;
		h->ents = cd_realloc(h->ents, h->cap * sizeof *h->ents);
	}
	e = &h->ents[h->n++];
	e->key = key;
	e->p0 = be64(rec, len);
	e->p1 = len > 8 ? be64((const unsigned char *)rec + 8, len - 8) : 0;
	e->off = (uint32_t)h->block.len;
	e->len = (uint32_t)len;
	cd_buf_add(&h->block, rec, len);
	return 0;
}

/* The merge: one reader per run in the file, one for the half still held. */
struct reader {
	off_t at, end;
	cd_buf buf;
	size_t lo;
	const struct half *mem; /* the held half, read from memory at ents[i] */
	size_t i;
	int64_t key;
	uint32_t len;
	const char *rec;
};

/* Bytes of the reader's buffer from lo on: at least want, unless the run ends first. */
static int fill(spool *sp, struct reader *r, size_t want)
{
	size_t have = r->buf.len - r->lo;

	if (have >= want)
		return 0;
	if (have)
		memmove(r->buf.s, r->buf.s + r->lo, have);
	r->buf.len = have;
	r->lo = 0;
	while (r->buf.len < want && r->at < r->end) {
		size_t room = want > sp->chunk ? want : sp->chunk;
		off_t left = r->end - r->at;
		ssize_t got;
		char *p;

		if ((off_t)room > left)
			room = (size_t)left;
		p = cd_buf_space(&r->buf, room);
		got = pread(sp->fd, p, room, r->at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return cd_err("sorting: reading %s: %s", sp->path,
				      got < 0 ? strerror(errno) : "the file is shorter");
		r->buf.len += (size_t)got;
		r->at += got;
	}
	return r->buf.len >= want ? 0 : cd_err("sorting: reading %s: the file is shorter", sp->path);
}

/* The reader's next record; 1 when its run has ended, -1 on error. */
static int advance(spool *sp, struct reader *r)
{
	if (r->mem) {
		const struct ent *e;

		if (r->i == r->mem->n)
			return 1;
		e = &r->mem->ents[r->i++];
		r->key = e->key;
		r->len = e->len;
		r->rec = r->mem->block.s + e->off;
		return 0;
	}
	r->lo += r->rec ? HDR + r->len : 0;
	r->rec = NULL;
	if (r->lo == r->buf.len && r->at == r->end)
		return 1;
	if (fill(sp, r, HDR) < 0)
		return -1;
	memcpy(&r->len, r->buf.s + r->lo, sizeof r->len);
	memcpy(&r->key, r->buf.s + r->lo + sizeof r->len, sizeof r->key);
	if (fill(sp, r, HDR + r->len) < 0)
		return -1;
	r->rec = r->buf.s + r->lo + HDR;
	return 0;
}

static int reader_less(const struct reader *a, const struct reader *b)
{
	return rec_cmp(a->key, a->rec, a->len, b->key, b->rec, b->len) < 0;
}

static void sift_down(struct reader **heap, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct reader *t;

		if (l < n && reader_less(heap[l], heap[m]))
			m = l;
		if (l + 1 < n && reader_less(heap[l + 1], heap[m]))
			m = l + 1;
		if (m == i)
			return;
		t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

static int merge(spool *sp, spool_fn fn, void *ctx)
{
	size_t i, n = 0, nr = sp->nruns + 1;
	struct reader *rs = cd_malloc(nr * sizeof *rs);
	struct reader **heap = cd_malloc(nr * sizeof *heap);
	struct half *idle = sp->cur == &sp->halves[0] ? &sp->halves[1] : &sp->halves[0];
	int rc = 0;

	/* The idle half's memory goes to the readers: a share of the limit each. */
	cd_buf_free(&idle->block);
	free(idle->ents);
	memset(idle, 0, sizeof *idle);
	sp->chunk = sp->limit / (sp->nruns ? sp->nruns : 1);
	sp->chunk = sp->chunk < 16 << 10 ? 16 << 10 : sp->chunk > 256 << 10 ? 256 << 10 : sp->chunk;
	memset(rs, 0, nr * sizeof *rs);
	for (i = 0; i < nr && rc == 0; i++) {
		if (i < sp->nruns) {
			rs[i].at = sp->runs[i].at;
			rs[i].end = sp->runs[i].end;
		} else {
			rs[i].mem = sp->cur;
		}
		rc = advance(sp, &rs[i]);
		if (rc == 0)
			heap[n++] = &rs[i];
		rc = rc < 0 ? -1 : 0;
	}
	for (i = n; i-- > 0;)
		sift_down(heap, n, i);
	while (rc == 0 && n) {
		struct reader *r = heap[0];

		if (fn(ctx, r->rec, r->len)) {
			rc = -1;
			break;
		}
		rc = advance(sp, r);
		if (rc == 1) {
			heap[0] = heap[--n];
			rc = 0;
		}
		if (rc == 0)
			sift_down(heap, n, 0);
	}
	for (i = 0; i < nr; i++)
		cd_buf_free(&rs[i].buf);
	free(rs);
	free(heap);
	return rc;
}

static void reset(spool *sp)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		sp->halves[i].n = 0;
		sp->halves[i].block.len = 0;
	}
	sp->nruns = 0;
	sp->size = 0;
	sp->werr = 0;
	if (sp->fd >= 0 && ftruncate(sp->fd, 0) < 0) {
		close(sp->fd); /* a new file next time, rather than one that keeps its bytes */
		sp->fd = -1;
	}
}

int spool_each(spool *sp, spool_fn fn, void *ctx)
{
	int rc = join_writer(sp);

	if (rc == 0) {
		half_sort(sp->cur);
		rc = merge(sp, fn, ctx);
	}
	reset(sp);
	return rc;
}

void spool_free(spool *sp)
{
	size_t i;

	if (!sp)
		return;
	if (sp->busy)
		pthread_join(sp->writer, NULL);
	if (sp->fd >= 0)
		close(sp->fd);
	for (i = 0; i < 2; i++) {
		cd_buf_free(&sp->halves[i].block);
		free(sp->halves[i].ents);
	}
	free(sp->runs);
	free(sp->path);
	free(sp);
}
