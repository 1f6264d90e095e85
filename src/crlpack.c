/* crlpack.c: new git objects gathered into one pack (format v2) and its index (v2).
 *
 * libgit2 1.5 writes a pack by searching deltas (a window of ten objects), compressing,
 * then running its indexer over the result, which inflates and hashes every object again.
 * The objects of a publish are already hashed and are read back from memory by the push
 * that follows, so here each is compressed once, at zlib's fastest level, and a blob is
 * stored as a delta against the blob added before it when that saves a quarter or more.
 * The delta looks for the previous version's bytes where a CRL with one more entry has
 * them: at the same offset before the new entry, at the same distance from the end after
 * it. In between, PEM's base64 is shifted by the new entry's length (49 or 50 bytes for
 * a 128-bit serial, neither a multiple of 3), so nothing else repeats: no search is made.
 *
 * The compressing is done by a thread of its own, while the caller signs the next CRL:
 * objects wait for it in a queue of copies (CRLPACK_QUEUE_MAX bytes at most). The thread
 * owns the pack's bytes and the delta base; the rest is the caller's, under the lock. */
#include "crlpack.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "util.h"

struct crlpack_obj {
	unsigned char id[20];
	uint64_t off; /* from the start of the pack file */
	uint32_t crc; /* of the object's bytes in the pack, as the index records it */
};

/* Delta chains stay as short as git's default (pack.depth 50): reading an object applies
 * its whole chain. */
#define CRLPACK_DEPTH 50
/* A copy shorter than this costs more to describe than to insert. */
#define CRLPACK_MIN_COPY 16
#define CRLPACK_QUEUE_MAX (16u << 20)

struct crlpack_job {
	int type;
	char *data;
	size_t len, k; /* k: the object's index in obj */
};

struct crlpack {
	cd_buf data; /* the pack file: a 12-byte header (filled when written), the objects */
	cd_buf base; /* the last blob added, as the next one's delta base */
	uint64_t base_off;
	int base_depth, has_base;
	cd_buf delta;
	pthread_t worker;
	pthread_mutex_t mu;
	pthread_cond_t more, idle; /* a job queued; a job done */
	struct crlpack_job *job;
	size_t head, njob, jobcap, queued, done;
	int started, quit;
	const char *failed; /* what went wrong in the thread: the pack is unusable */
	struct crlpack_obj *obj;
	size_t n, cap;
	uint32_t *slot; /* open addressing over obj, by id: 0 empty, else index + 1 */
	size_t nslot;
	z_stream z;
	int z_ready;
};

crlpack *crlpack_new(void)
{
	crlpack *p = cd_malloc(sizeof *p);

	memset(p, 0, sizeof *p);
	cd_buf_space(&p->data, 12);
	p->data.len = 12;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->idle, NULL);
	return p;
}

static void crlpack_reset(crlpack *p)
{
	p->data.len = 12;
	p->n = 0;
	p->done = 0;
	p->has_base = 0;
	if (p->slot)
		memset(p->slot, 0, p->nslot * sizeof *p->slot);
}

void crlpack_free(crlpack *p)
{
	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->quit = 1;
		pthread_cond_signal(&p->more);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->worker, NULL);
	}
	for (; p->head < p->njob; p->head++)
		free(p->job[p->head].data);
	free(p->job);
	pthread_cond_destroy(&p->idle);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->mu);
	if (p->z_ready)
		deflateEnd(&p->z);
	cd_buf_free(&p->data);
	cd_buf_free(&p->base);
	cd_buf_free(&p->delta);
	free(p->obj);
	free(p->slot);
	free(p);
}

/* Ids are hashes: their first bytes are as good a hash as any. */
static size_t crlpack_hash(const unsigned char id[20], size_t nslot)
{
	uint64_t h;

	memcpy(&h, id, sizeof h);
	return (size_t)h & (nslot - 1);
}

/* The slot holding id, or the empty one where it would go. */
static uint32_t *crlpack_find(const crlpack *p, const unsigned char id[20])
{
	size_t i = crlpack_hash(id, p->nslot);

	while (p->slot[i] && memcmp(p->obj[p->slot[i] - 1].id, id, 20))
		i = (i + 1) & (p->nslot - 1);
	return &p->slot[i];
}

static void crlpack_rehash(crlpack *p)
{
	size_t i;

	memset(p->slot, 0, p->nslot * sizeof *p->slot);
	for (i = 0; i < p->n; i++)
		*crlpack_find(p, p->obj[i].id) = (uint32_t)(i + 1);
}

/* Keeps the table at most half full. */
static void crlpack_grow(crlpack *p)
{
	if (p->n + 1 <= p->nslot / 2)
		return;
	free(p->slot);
	p->nslot = p->nslot ? p->nslot * 2 : 1024;
	p->slot = cd_malloc(p->nslot * sizeof *p->slot);
	crlpack_rehash(p);
}

/* The entry header: type and size, four bits of size then seven per byte. */
static size_t crlpack_header(unsigned char *out, int type, size_t len)
{
	size_t n = 0;

	out[n] = (unsigned char)(type << 4 | (len & 15));
	for (len >>= 4; len; len >>= 7) {
		out[n++] |= 0x80;
		out[n] = len & 0x7f;
	}
	return n + 1;
}

/* A delta's sizes: seven bits a byte, least significant first. */
static void crlpack_varint(cd_buf *b, size_t v)
{
	unsigned char c;

	do {
		c = v & 0x7f;
		v >>= 7;
		cd_buf_putc(b, (char)(c | (v ? 0x80 : 0)));
	} while (v);
}

static void crlpack_insert(cd_buf *d, const unsigned char *lit, size_t n)
{
	while (n) {
		size_t k = n > 127 ? 127 : n;

		cd_buf_putc(d, (char)k);
		cd_buf_add(d, lit, k);
		lit += k;
		n -= k;
	}
}

/* Copy instructions: the offset's and size's non-zero bytes, flagged in the first. */
static void crlpack_copy(cd_buf *d, size_t off, size_t n)
{
	while (n) {
		size_t k = n > 0xffffff ? 0xffffff : n;
		unsigned char op[8];
		int i, len = 1;

		op[0] = 0x80;
		for (i = 0; i < 4; i++)
			if ((off >> (8 * i)) & 0xff) {
				op[len++] = (unsigned char)(off >> (8 * i));
				op[0] |= (unsigned char)(1 << i);
			}
		for (i = 0; i < 3; i++)
			if ((k >> (8 * i)) & 0xff) {
				op[len++] = (unsigned char)(k >> (8 * i));
				op[0] |= (unsigned char)(0x10 << i);
			}
		cd_buf_add(d, op, (size_t)len);
		off += k;
		n -= k;
	}
}

static size_t crlpack_common(const unsigned char *a, const unsigned char *b, size_t max)
{
	size_t n = 0;

	while (n < max && a[n] == b[n])
		n++;
	return n;
}

/* The copy of base[from..] that t[i..] starts, if one of CRLPACK_MIN_COPY bytes or more
 * runs through i: it may start before i, down to lit. 0 when none. */
static size_t crlpack_run(const unsigned char *b, size_t bn, long shift, const unsigned char *t,
			  size_t tn, size_t lit, size_t *i)
{
	size_t at = *i, from, m;

	if ((long)at + shift < 0 || (size_t)((long)at + shift) + 8 > bn || at + 8 > tn)
		return 0;
	from = (size_t)((long)at + shift);
	if (memcmp(b + from, t + at, 8))
		return 0;
	while (at > lit && from > 0 && b[from - 1] == t[at - 1])
		at--, from--;
	m = crlpack_common(b + from, t + at, bn - from < tn - at ? bn - from : tn - at);
	if (m < CRLPACK_MIN_COPY)
		return 0;
	*i = at;
	return m;
}

/* The delta from the base to t (git's format: sizes, then copies and inserts). Any copy
 * of CRLPACK_MIN_COPY bytes holds 8 at a multiple of 8, so only those are tried. */
static void crlpack_delta(crlpack *p, const unsigned char *t, size_t tn)
{
	const unsigned char *b = (const unsigned char *)p->base.s;
	size_t bn = p->base.len, i = 0, lit = 0, m;
	long shift[2] = {0, (long)bn - (long)tn}; /* same offset; same distance from the end */
	cd_buf *d = &p->delta;
	int k;

	d->len = 0;
	crlpack_varint(d, bn);
	crlpack_varint(d, tn);
	while (i < tn) {
		for (k = 0, m = 0; k < 2 && !m; k++)
			m = crlpack_run(b, bn, shift[k], t, tn, lit, &i);
		if (!m) {
			i = (i | 7) + 1;
			continue;
		}
		crlpack_insert(d, t + lit, i - lit);
		crlpack_copy(d, (size_t)((long)i + shift[k - 1]), m);
		i += m;
		lit = i;
	}
	crlpack_insert(d, t + lit, tn - lit);
}

/* In the thread: failures are described, not reported (cd_err is the caller's). */
static const char *crlpack_deflate(crlpack *p, const void *data, size_t len)
{
	size_t room;

	if (!p->z_ready) {
		memset(&p->z, 0, sizeof p->z);
		if (deflateInit(&p->z, Z_BEST_SPEED) != Z_OK)
			return "zlib failed to start";
		p->z_ready = 1;
	}
	if (deflateReset(&p->z) != Z_OK)
		return "zlib failed";
	room = deflateBound(&p->z, (uLong)len);
	p->z.next_in = (Bytef *)data;
	p->z.avail_in = (uInt)len;
	p->z.next_out = (Bytef *)cd_buf_space(&p->data, room);
	p->z.avail_out = (uInt)room;
	if (deflate(&p->z, Z_FINISH) != Z_STREAM_END)
		return "zlib could not compress it";
	p->data.len += room - p->z.avail_out;
	return NULL;
}

/* The delta's header: its size, then how far back its base starts (git's OFS_DELTA:
 * seven bits a byte, most significant first, each continuation adding one). */
static size_t crlpack_ofs_header(unsigned char *out, size_t len, uint64_t back)
{
	unsigned char rev[10];
	size_t n = crlpack_header(out, 6, len), k = 0;

	rev[k++] = back & 0x7f;
	while (back >>= 7)
		rev[k++] = 0x80 | (--back & 0x7f);
	while (k)
		out[n++] = rev[--k];
	return n;
}

/* Writes the entry of a blob, as a delta when that is worth it; it becomes the base. */
static const char *crlpack_blob(crlpack *p, uint64_t off, const void *data, size_t len)
{
	unsigned char hdr[32];
	const char *err;
	int delta = 0;

	if (p->has_base && p->base_depth < CRLPACK_DEPTH) {
		crlpack_delta(p, data, len);
		delta = p->delta.len < len - len / 4;
	}
	if (delta)
		cd_buf_add(&p->data, hdr, crlpack_ofs_header(hdr, p->delta.len, off - p->base_off));
	else
		cd_buf_add(&p->data, hdr, crlpack_header(hdr, CRLPACK_BLOB, len));
	err = crlpack_deflate(p, delta ? p->delta.s : data, delta ? p->delta.len : len);
	if (err)
		return err;
	p->base.len = 0;
	cd_buf_add(&p->base, data, len);
	p->base_off = off;
	p->base_depth = delta ? p->base_depth + 1 : 0;
	p->has_base = 1;
	return NULL;
}

/* In the thread: one object's entry at the end of the pack, its offset and CRC. */
static const char *crlpack_encode(crlpack *p, const struct crlpack_job *j, uint64_t *off,
				  uint32_t *crc)
{
	unsigned char hdr[16];
	const char *err;

	*off = p->data.len;
	if (j->type == CRLPACK_BLOB) {
		err = crlpack_blob(p, *off, j->data, j->len);
	} else {
		cd_buf_add(&p->data, hdr, crlpack_header(hdr, j->type, j->len));
		err = crlpack_deflate(p, j->data, j->len);
	}
	if (err)
		return err;
	*crc = (uint32_t)crc32(0, (const Bytef *)p->data.s + *off, (uInt)(p->data.len - *off));
	return NULL;
}

static void *crlpack_work(void *arg)
{
	crlpack *p = arg;
	struct crlpack_job j;
	const char *err;
	uint64_t off = 0;
	uint32_t crc = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->head == p->njob && !p->quit)
			pthread_cond_wait(&p->more, &p->mu);
		if (p->head == p->njob)
			break;
		j = p->job[p->head++];
		err = p->failed;
		pthread_mutex_unlock(&p->mu);
		if (!err)
			err = crlpack_encode(p, &j, &off, &crc);
		free(j.data);
		pthread_mutex_lock(&p->mu);
		if (err && !p->failed)
			p->failed = err;
		if (!err) {
			p->obj[j.k].off = off;
			p->obj[j.k].crc = crc;
		}
		p->queued -= j.len;
		p->done++;
		pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Waits (holding the lock) until the thread has done every job queued. */
static void crlpack_drain(crlpack *p)
{
	while (p->done < p->n)
		pthread_cond_wait(&p->idle, &p->mu);
	p->head = p->njob = 0;
}

static int crlpack_start(crlpack *p)
{
	if (p->started)
		return 0;
	if (pthread_create(&p->worker, NULL, crlpack_work, p) != 0)
		return cd_err("cannot start the thread that compresses git objects");
	p->started = 1;
	return 0;
}

int crlpack_add(crlpack *p, const unsigned char id[20], int type, const void *data,
		size_t len)
{
	struct crlpack_job j = {type, NULL, len, 0};
	uint32_t *slot;

	if (type < CRLPACK_COMMIT || type > CRLPACK_TAG || len > UINT32_MAX)
		return cd_err("cannot pack a git object of type %d and %zu bytes", type, len);
	crlpack_grow(p);
	slot = crlpack_find(p, id);
	if (*slot)
		return 0;
	if (crlpack_start(p) < 0)
		return -1;
	j.data = cd_malloc(len ? len : 1);
	memcpy(j.data, data, len);
	pthread_mutex_lock(&p->mu);
	while (p->queued > CRLPACK_QUEUE_MAX)
		pthread_cond_wait(&p->idle, &p->mu);
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->obj = cd_realloc(p->obj, p->cap * sizeof *p->obj);
	}
	if (p->njob == p->jobcap) {
		p->jobcap = p->jobcap ? p->jobcap * 2 : 256;
		p->job = cd_realloc(p->job, p->jobcap * sizeof *p->job);
	}
	memcpy(p->obj[p->n].id, id, 20);
	j.k = p->n;
	p->job[p->njob++] = j;
	p->queued += len;
	*slot = (uint32_t)++p->n;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

static void crlpack_be32(unsigned char *out, uint32_t v)
{
	out[0] = (unsigned char)(v >> 24);
	out[1] = (unsigned char)(v >> 16);
	out[2] = (unsigned char)(v >> 8);
	out[3] = (unsigned char)v;
}

static void crlpack_put32(cd_buf *b, uint32_t v)
{
	unsigned char be[4];

	crlpack_be32(be, v);
	cd_buf_add(b, be, 4);
}

static int crlpack_sha1(const void *data, size_t len, unsigned char out[20])
{
	unsigned int n = 0;

	if (!EVP_Digest(data, len, out, &n, EVP_sha1(), NULL) || n != 20)
		return cd_err("cannot compute a pack's SHA-1 checksum");
	return 0;
}

int crlpack_object_id(int type, const void *data, size_t len, unsigned char id[20])
{
	static const char *const names[] = {"", "commit", "tree", "blob", "tag"};
	char hdr[32];
	int n = snprintf(hdr, sizeof hdr, "%s %zu", names[type >= 1 && type <= 4 ? type : 0], len);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int got = 0;
	int ok;

	ok = md && n > 0 && type >= 1 && type <= 4 && EVP_DigestInit_ex(md, EVP_sha1(), NULL) &&
	     EVP_DigestUpdate(md, hdr, (size_t)n + 1) && EVP_DigestUpdate(md, data, len) &&
	     EVP_DigestFinal_ex(md, id, &got) && got == 20;
	EVP_MD_CTX_free(md);
	return ok ? 0 : cd_err("cannot compute a git object's id");
}

static int crlpack_by_id(const void *a, const void *b)
{
	return memcmp(((const struct crlpack_obj *)a)->id, ((const struct crlpack_obj *)b)->id,
		      20);
}

/* The index: fan-out by first byte, sorted ids, CRCs, offsets (31 bits, or a pointer
 * into a table of 64-bit ones), the pack's checksum, its own. */
static int crlpack_index(crlpack *p, const unsigned char sum[20], cd_buf *idx)
{
	static const unsigned char magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
	unsigned char own[20];
	uint32_t big = 0;
	size_t i, k = 0;
	int byte;

	qsort(p->obj, p->n, sizeof *p->obj, crlpack_by_id);
	cd_buf_add(idx, magic, sizeof magic);
	for (byte = 0; byte < 256; byte++) {
		while (k < p->n && p->obj[k].id[0] == byte)
			k++;
		crlpack_put32(idx, (uint32_t)k);
	}
	for (i = 0; i < p->n; i++)
		cd_buf_add(idx, p->obj[i].id, 20);
	for (i = 0; i < p->n; i++)
		crlpack_put32(idx, p->obj[i].crc);
	for (i = 0; i < p->n; i++)
		crlpack_put32(idx, p->obj[i].off < 0x80000000u ? (uint32_t)p->obj[i].off
							       : 0x80000000u | big++);
	for (i = 0; i < p->n; i++)
		if (p->obj[i].off >= 0x80000000u) {
			crlpack_put32(idx, (uint32_t)(p->obj[i].off >> 32));
			crlpack_put32(idx, (uint32_t)p->obj[i].off);
		}
	cd_buf_add(idx, sum, 20);
	if (crlpack_sha1(idx->s, idx->len, own) < 0)
		return -1;
	cd_buf_add(idx, own, 20);
	return 0;
}

int crlpack_write(crlpack *p, const char *dir)
{
	static const unsigned char magic[8] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
	unsigned char sum[20];
	char hex[41], *path = NULL;
	cd_buf idx = {0};
	int rc;

	if (!p->n)
		return 0;
	pthread_mutex_lock(&p->mu);
	crlpack_drain(p);
	pthread_mutex_unlock(&p->mu);
	if (p->failed)
		return cd_err("cannot compress a git object: %s", p->failed);
	memcpy(p->data.s, magic, sizeof magic);
	crlpack_be32((unsigned char *)p->data.s + 8, (uint32_t)p->n);
	if (crlpack_sha1(p->data.s, p->data.len, sum) < 0)
		return -1;
	cd_buf_add(&p->data, sum, 20);
	cd_hex(sum, sizeof sum, hex);
	rc = crlpack_index(p, sum, &idx);
	/* The pack first: until its index is there, git and libgit2 ignore it. */
	if (rc == 0) {
		path = cd_asprintf("%s/pack-%s.pack", dir, hex);
		rc = cd_replace_file(path, p->data.s, p->data.len, 0444);
		free(path);
	}
	if (rc == 0) {
		path = cd_asprintf("%s/pack-%s.idx", dir, hex);
		rc = cd_replace_file(path, idx.s, idx.len, 0444);
		free(path);
	}
	cd_buf_free(&idx);
	p->data.len -= 20;
	if (rc == 0)
		crlpack_reset(p);
	else
		crlpack_rehash(p); /* the index sorted the objects */
	return rc;
}
