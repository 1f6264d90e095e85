/* verify.c: the checks of certdesk verify. See verify.h. */
#include "verify.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "canary.h"
#include "conf.h"
#include "crlrepo.h"
#include "publish.h"
#include "util.h"

/* One kind of problem is shown this many times at most, then counted: a replaced CA
 * certificate makes every one of 100,000 certificates fail alike. */
#define VERIFY_MAX_LINES 20

static void vadd(verify_report *r, int level, const char *fmt, va_list ap)
{
	cd_buf b = {0};

	cd_buf_vprintf(&b, fmt, ap);
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->v = cd_realloc(r->v, r->cap * sizeof *r->v);
	}
	r->v[r->n].level = level;
	r->v[r->n++].msg = cd_buf_take(&b);
	if (level != VERIFY_SKIPPED && level > r->worst)
		r->worst = level;
}

static void add(verify_report *r, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add(verify_report *r, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(r, level, fmt, ap);
	va_end(ap);
}

/* Problems of one kind, at one level, shown up to VERIFY_MAX_LINES. */
typedef struct {
	verify_report *r;
	int level;
	size_t n;
} capped;

static void capped_add(capped *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void capped_add(capped *c, const char *fmt, ...)
{
	va_list ap;

	if (c->n++ >= VERIFY_MAX_LINES)
		return;
	va_start(ap, fmt);
	vadd(c->r, c->level, fmt, ap);
	va_end(ap);
}

static void capped_end(const capped *c, const char *what)
{
	if (c->n > VERIFY_MAX_LINES)
		add(c->r, c->level, "... and %zu more %s", c->n - VERIFY_MAX_LINES, what);
}

const char *verify_level_word(int level)
{
	static const char *const words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN", "SKIPPED"};

	return level >= 0 && level <= VERIFY_SKIPPED ? words[level] : "UNKNOWN";
}

void verify_report_free(verify_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].msg);
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* ---- the database ---- */

static int db_line(void *ctx, const char *line)
{
	capped_add(ctx, "%s", line);
	return 0;
}

static void check_database(desk *d, verify_report *r)
{
	capped c = {r, VERIFY_CRITICAL, 0};

	if (store_check(d->st, db_line, &c) < 0)
		add(r, VERIFY_UNKNOWN, "cannot check the database: %s", cd_errmsg());
	capped_end(&c, "database problems");
}

/* ---- the CA key ---- */

/* Loaded in a CA handle of its own, as given, so that nothing is re-encrypted. */
static void check_key_match(desk *d, verify_report *r)
{
	const char *file = getenv("CERTDESK_PASSPHRASE_FILE");
	int enc = ca_key_encrypted(d->ca_dir);
	char pass[1024] = "";
	ca *c = NULL;

	if (enc < 0) {
		add(r, VERIFY_CRITICAL, "%s", cd_errmsg());
		return;
	}
	if (enc && !(file && *file)) {
		add(r, VERIFY_SKIPPED, "whether the CA key matches the CA certificate: the key is "
		    "passphrase-protected and CERTDESK_PASSPHRASE_FILE is not set");
		return;
	}
	if (enc && desk_passphrase(NULL, NULL, pass, sizeof pass) < 0)
		add(r, VERIFY_UNKNOWN, "cannot check the CA key: %s", cd_errmsg());
	else if (ca_open(d->ca_dir, 1, enc ? pass : NULL, &c) < 0)
		add(r, VERIFY_CRITICAL, "%s", cd_errmsg());
	ca_close(c);
	OPENSSL_cleanse(pass, sizeof pass);
}

static void token_line(void *ctx, const char *line)
{
	add(ctx, VERIFY_CRITICAL, "%s", line);
}

static void check_key(desk *d, verify_report *r)
{
	char *path = cd_asprintf("%s/ca.key", d->ca_dir);
	struct stat sb;

	if (d->readonly)
		add(r, VERIFY_SKIPPED, "the CA key checks (mode, match with the certificate): the "
		    "read-only view never opens the CA key");
	else if (d->token)
		desk_token_verify(d, token_line, r);
	else if (lstat(path, &sb) < 0)
		add(r, VERIFY_CRITICAL, "the CA key %s: %s", path, strerror(errno));
	else if (S_ISREG(sb.st_mode) && (sb.st_mode & 077))
		add(r, VERIFY_CRITICAL, "the CA key %s has mode %04o, not 0600: others may read it; "
		    "chmod 600 it", path, (unsigned)(sb.st_mode & 07777));
	else
		check_key_match(d, r);
	free(path);
}

/* The keys of the CAs a rollover left signing their CRLs: 0600 too (their match with
 * their certificates is checked where the issuing key's is, which loads them all). */
static void check_older_keys(desk *d, verify_report *r)
{
	const ca *o;

	for (o = ca_older(d->ca); o && !d->readonly && !d->token; o = ca_older(o)) {
		char *path;
		struct stat sb;

		if (ca_is_retired(o))
			continue;
		path = cd_asprintf("%s/prev/%s/ca.key", d->ca_dir, ca_kid(o));
		if (lstat(path, &sb) < 0)
			add(r, VERIFY_CRITICAL, "the key of the CA %s, which still signs its CRL: %s: %s",
			    ca_name(o), path, strerror(errno));
		else if (S_ISREG(sb.st_mode) && (sb.st_mode & 077))
			add(r, VERIFY_CRITICAL, "the CA key %s has mode %04o, not 0600: others may read "
			    "it; chmod 600 it", path, (unsigned)(sb.st_mode & 07777));
		free(path);
	}
}

/* The canaries' keys (canary.h) are credentials the servers accept: 0600 like the CA's. */
static void check_canary_keys(desk *d, verify_report *r)
{
	canary_list l;
	struct stat sb;
	size_t i;

	if (canary_list_get(d, &l) < 0) {
		add(r, VERIFY_UNKNOWN, "cannot read the canaries: %s", cd_errmsg());
		return;
	}
	for (i = 0; i < l.n; i++) {
		char *path = canary_path(d, l.v[i].serial, "key");

		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 077))
			add(r, VERIFY_CRITICAL, "the canary key %s has mode %04o, not 0600: a server "
			    "accepts it; chmod 600 it", path, (unsigned)(sb.st_mode & 07777));
		free(path);
	}
	canary_list_free(&l);
}

/* ---- certificates and their files ---- */

/* Certificates are judged in batches, the signatures on every core: 100,000 of them
 * are a second or two of ECDSA on each. What is reported stays in the rows' order. */
#define CERT_BATCH 4096
#define CERT_THREADS_MAX 8

typedef struct {
	char *user, *serial, *subject, *issuer, *p12, *pw, *pem;
	size_t len;
	int64_t not_before, not_after;
	char why[320];   /* "" when the certificate matches its row */
} cert_job;

struct certs_ctx {
	desk *d;
	capped bad, files, unreadable;
	int64_t n;
	cert_job *jobs;
	size_t njobs;
	int threads;
};

static char *dup_or_null(const char *s)
{
	return s ? cd_strdup(s) : NULL;
}

static void job_mismatch(const ca_cert_facts *f, const cert_job *j, char *why, size_t size)
{
	char a[16], b[16], ra[16], rb[16];

	cd_format_date(f->not_before, a);
	cd_format_date(f->not_after, b);
	cd_format_date(j->not_before, ra);
	cd_format_date(j->not_after, rb);
	if (strcmp(f->serial, j->serial) != 0)
		snprintf(why, size, "holds serial %s", f->serial);
	else if (f->not_before != j->not_before || f->not_after != j->not_after)
		snprintf(why, size, "is valid from %s to %s, its row says %s to %s", a, b, ra, rb);
	else if (strcmp(f->subject, j->subject) != 0)
		snprintf(why, size, "has subject '%.80s', its row says '%.80s'", f->subject,
			 j->subject);
}

/* One certificate against its row and its CA: j->why says what is wrong. Runs on a
 * worker thread: it touches only j and the CA handle, which it only reads. */
static void judge_job(const ca *c, cert_job *j)
{
	const ca *row = ca_by_kid(c, j->issuer);
	ca_cert_facts f;

	j->why[0] = '\0';
	if (ca_cert_facts_read(c, j->pem, j->len, &f) < 0) {
		snprintf(j->why, sizeof j->why, "does not parse: %s", cd_errmsg());
		return;
	}
	if (!f.named || !f.signed_ok)
		snprintf(j->why, sizeof j->why, "is not signed by %s", f.named ?
			 "the CA its issuer names" : "a CA of this home");
	else if (f.named != row)
		snprintf(j->why, sizeof j->why, "is signed by the CA %s, its row says %s",
			 ca_kid(f.named), j->issuer ? j->issuer : "the first CA");
	else
		job_mismatch(&f, j, j->why, sizeof j->why);
	ca_cert_facts_free(&f);
}

struct worker {
	const ca *c;
	cert_job *jobs;
	size_t from, to;
	pthread_t id;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	size_t i;

	for (i = w->from; i < w->to; i++)
		if (w->jobs[i].pem)
			judge_job(w->c, &w->jobs[i]);
	return NULL;
}

/* The batch split over the threads; the calling thread takes the first share. */
static void judge_batch(struct certs_ctx *x)
{
	struct worker w[CERT_THREADS_MAX];
	size_t share = (x->njobs + (size_t)x->threads - 1) / (size_t)x->threads;
	int t, started[CERT_THREADS_MAX] = {0};

	for (t = 0; t < x->threads; t++) {
		w[t] = (struct worker){x->d->ca, x->jobs, (size_t)t * share,
				       (size_t)(t + 1) * share, 0};
		if (w[t].from > x->njobs)
			w[t].from = x->njobs;
		if (w[t].to > x->njobs)
			w[t].to = x->njobs;
		if (t > 0)
			started[t] = pthread_create(&w[t].id, NULL, work, &w[t]) == 0;
	}
	work(&w[0]);
	for (t = 1; t < x->threads; t++) {
		if (started[t])
			pthread_join(w[t].id, NULL);
		else
			work(&w[t]); /* no thread to be had: this one does that share too */
	}
}

static void check_file(struct certs_ctx *x, const char *user, const char *path)
{
	struct stat sb;
	size_t n = path ? strlen(path) : 0;

	/* A request's certificate (USER.crt, recorded where a bundle would be) holds no
	 * secret: the user keeps the key. 0644 is its mode. */
	if (!n || (n > 4 && strcmp(path + n - 4, ".crt") == 0))
		return;
	if (lstat(path, &sb) < 0) {
		if (errno != ENOENT)
			capped_add(&x->unreadable, "cannot check %s (of %s): %s", path, user,
				   strerror(errno));
		return;
	}
	if (sb.st_mode & 077)
		capped_add(&x->files, "%s (of %s) has mode %04o, not 0600: it holds a secret; "
			   "chmod 600 it, or remove it once the user has it", path, user,
			   (unsigned)(sb.st_mode & 07777));
}

static void job_free(cert_job *j)
{
	free(j->user);
	free(j->serial);
	free(j->subject);
	free(j->issuer);
	free(j->p12);
	free(j->pw);
	free(j->pem);
}

/* Judges what is queued, then reports it in order. */
static void flush_jobs(struct certs_ctx *x)
{
	size_t i;

	judge_batch(x);
	for (i = 0; i < x->njobs; i++) {
		cert_job *j = &x->jobs[i];

		if (j->why[0])
			capped_add(&x->bad, "certificate %s of %s %s", j->serial, j->user, j->why);
		check_file(x, j->user, j->p12);
		check_file(x, j->user, j->pw);
		job_free(j);
	}
	x->njobs = 0;
}

static int cert_row(void *ctx, const char *user, const store_cert *c, const char *pem,
		    size_t len)
{
	struct certs_ctx *x = ctx;
	cert_job *j = &x->jobs[x->njobs++];

	x->n++;
	*j = (cert_job){cd_strdup(user), cd_strdup(c->serial), cd_strdup(c->subject),
			dup_or_null(c->issuer), dup_or_null(c->p12_path), dup_or_null(c->pw_path),
			pem ? cd_strndup(pem, len) : NULL, len, c->not_before, c->not_after, ""};
	if (x->njobs == CERT_BATCH)
		flush_jobs(x);
	return 0;
}

static int cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > CERT_THREADS_MAX ? CERT_THREADS_MAX : (int)n;
}

static void check_certs(desk *d, verify_report *r)
{
	struct certs_ctx x = {d, {r, VERIFY_CRITICAL, 0}, {r, VERIFY_CRITICAL, 0},
			      {r, VERIFY_UNKNOWN, 0}, 0, NULL, 0, cores()};

	x.jobs = cd_malloc(CERT_BATCH * sizeof *x.jobs);
	if (store_certs_all(d->st, cert_row, &x) < 0)
		add(r, VERIFY_UNKNOWN, "cannot read the certificates: %s", cd_errmsg());
	flush_jobs(&x);
	free(x.jobs);
	capped_end(&x.bad, "certificates that do not match");
	capped_end(&x.files, "files readable by others");
	capped_end(&x.unreadable, "files that cannot be checked");
	r->certs = x.n;
}

/* ---- the audit chain ---- */

typedef struct {
	char hex[65];
	int64_t id;
} known_hash;

typedef struct {
	known_hash *v;
	size_t n, cap;
} hash_set;

static int keep_hash(void *ctx, int64_t id, const char *hash)
{
	hash_set *h = ctx;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->v = cd_realloc(h->v, h->cap * sizeof *h->v);
	}
	snprintf(h->v[h->n].hex, 65, "%s", hash);
	h->v[h->n++].id = id;
	return 0;
}

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(((const known_hash *)a)->hex, ((const known_hash *)b)->hex, 65);
}

/* The row whose hash is hex: its id, 0 when the chain has none. */
static int64_t hash_row(const hash_set *h, const char *hex)
{
	known_hash key = {"", 0};
	const known_hash *k;

	snprintf(key.hex, sizeof key.hex, "%s", hex);
	k = bsearch(&key, h->v, h->n, sizeof *h->v, hash_cmp);
	return k ? k->id : 0;
}

static void chain_line(const store_chain *ch, char *line, size_t size)
{
	char when[16];

	if (!ch->bad_id) {
		snprintf(line, size, "the audit trail is intact: %lld row%s, each chained to the "
			 "one before", (long long)ch->rows, ch->rows == 1 ? "" : "s");
		return;
	}
	cd_format_date(ch->bad_at, when);
	snprintf(line, size, "audit row %lld (%s, %s%s%s) does not match its hash: it was edited, "
		 "or a row before it was removed or inserted", (long long)ch->bad_id, when,
		 ch->bad_action, ch->bad_user[0] ? " " : "", ch->bad_user);
}

static void check_audit(desk *d, verify_report *r, hash_set *h)
{
	store_chain ch;
	char line[300];

	if (store_audit_chain(d->st, keep_hash, h, &ch) < 0) {
		add(r, VERIFY_UNKNOWN, "cannot read the audit trail: %s", cd_errmsg());
		return;
	}
	r->audit_rows = ch.rows;
	if (ch.bad_id) {
		chain_line(&ch, line, sizeof line);
		add(r, VERIFY_CRITICAL, "%s", line);
	}
	qsort(h->v, h->n, sizeof *h->v, hash_cmp);
}

int verify_audit_chain(desk *d, int64_t *bad, char *line, size_t size)
{
	store_chain ch;

	if (store_audit_chain(d->st, NULL, NULL, &ch) < 0)
		return -1;
	*bad = ch.bad_id;
	chain_line(&ch, line, size);
	return 0;
}

/* ---- the published CRL and the pushed chain heads ---- */

struct crl_ctx {
	desk *d;
	verify_report *r;
	crlrepo *repo;
	char *remote, *branch, *path, *shown;
	char tip[41];
	store_crl last;
	int last_found;
};

typedef struct {
	ca_revoked *v;
	size_t n, cap;
	const ca *ca;
} rev_set;

static int keep_rev(void *ctx, const char *serial, int64_t at, int reason, const char *issuer)
{
	rev_set *s = ctx;

	if (!ca_issuer_signs(s->ca, issuer)) /* a retired CA's: no CRL lists them any more */
		return 0;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = cd_realloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = (ca_revoked){cd_strdup(serial), at, reason};
	return 0;
}

static int rev_cmp(const void *a, const void *b)
{
	return strcmp(((const ca_revoked *)a)->serial, ((const ca_revoked *)b)->serial);
}

static int rev_same(const ca_revoked *a, const ca_revoked *b)
{
	return a->revoked_at == b->revoked_at && a->reason == b->reason;
}

/* Both sorted by serial: what only one holds, and what they hold differently. */
static void compare_entries(struct crl_ctx *c, const ca_revoked *db, size_t ndb,
			    const ca_revoked *crl, size_t ncrl)
{
	capped bad = {c->r, VERIFY_CRITICAL, 0};
	size_t i = 0, j = 0;
	int k;

	while (i < ndb || j < ncrl) {
		k = i == ndb ? 1 : j == ncrl ? -1 : strcmp(db[i].serial, crl[j].serial);
		if (k < 0)
			capped_add(&bad, "serial %s is published in the database but missing from "
				   "the CRL on %s", db[i++].serial, c->branch);
		else if (k > 0)
			capped_add(&bad, "the CRL on %s revokes serial %s, which the database does "
				   "not record as published", c->branch, crl[j++].serial);
		else if (!rev_same(&db[i++], &crl[j++]))
			capped_add(&bad, "the CRL on %s revokes serial %s with another date or "
				   "reason than the database records", c->branch, db[i - 1].serial);
	}
	capped_end(&bad, "differences between the CRL and the database");
}

static void check_crl_entries(struct crl_ctx *c, ca_crl_contents *cc)
{
	rev_set db = {0};
	size_t i;

	db.ca = c->d->ca;
	if (store_revocations_published(c->d->st, keep_rev, &db) < 0) {
		add(c->r, VERIFY_UNKNOWN, "cannot read the published revocations: %s", cd_errmsg());
	} else {
		/* qsort of no entries: a NULL array (every revocation was a retired CA's) */
		if (db.n)
			qsort(db.v, db.n, sizeof *db.v, rev_cmp);
		if (cc->n)
			qsort(cc->v, cc->n, sizeof *cc->v, rev_cmp);
		compare_entries(c, db.v, db.n, cc->v, cc->n);
	}
	for (i = 0; i < db.n; i++)
		free((char *)db.v[i].serial);
	free(db.v);
}

static void check_crl_file(struct crl_ctx *c)
{
	ca_crl_contents cc;
	char *pem = NULL;
	size_t len = 0;
	int found = 0;

	if (crlrepo_read(c->repo, c->tip, c->path, &pem, &len, &found) < 0)
		add(c->r, VERIFY_UNKNOWN, "cannot read %s on %s: %s", c->path, c->branch, cd_errmsg());
	else if (!found)
		add(c->r, VERIFY_CRITICAL, "%s is missing from %s of %s", c->path, c->branch, c->shown);
	else if (ca_crl_read(c->d->ca, pem, len, &cc) < 0)
		add(c->r, VERIFY_CRITICAL, "%s on %s of %s is not a readable CRL", c->path, c->branch,
		    c->shown);
	else {
		c->r->crl_number = cc.info.number;
		if (!cc.ours)
			add(c->r, VERIFY_CRITICAL, "the CRL on %s of %s is not signed by this CA",
			    c->branch, c->shown);
		else if (!c->last_found || cc.info.number != c->last.number)
			add(c->r, VERIFY_CRITICAL, "the CRL on %s has CRL Number %lld; the database "
			    "recorded %lld", c->branch, (long long)cc.info.number,
			    (long long)c->last.number);
		if (cc.ours)
			check_crl_entries(c, &cc);
		ca_crl_contents_free(&cc);
	}
	free(pem);
}

struct heads_ctx {
	const hash_set *known;
	capped bad;
	size_t n;
	int64_t restore_id;  /* the latest restore's audit row, 0: none */
	int resumed;         /* a newer commit carries a head written after that restore */
	size_t before_restore;
};

/* A head the chain lacks is excused in one case only: the home was restored from a
 * backup older than that push, and a newer commit carries a head written after the
 * restore (the trail went on from the backup). verify's summary still counts them. */
static void judge_head(struct heads_ctx *x, const char *id, const char *hex, size_t n)
{
	int64_t row = n == 64 ? hash_row(x->known, hex) : 0;

	x->n++;
	if (row && x->restore_id && row > x->restore_id)
		x->resumed = 1;
	if (row)
		return;
	if (n == 64 && x->resumed)
		x->before_restore++;
	else
		capped_add(&x->bad, "the audit head %.12s pushed in commit %.12s is not in the "
			   "local audit trail: the trail was rewritten after that publish", hex, id);
}

/* Every "Audit-Head: <hex>" line of a commit message must name a row of the chain. */
static int head_commit(void *ctx, const char *id, const char *message)
{
	static const char key[] = "Audit-Head: ";
	struct heads_ctx *x = ctx;
	const char *p = message ? message : "";

	while ((p = strstr(p, key))) {
		if (p == message || p[-1] == '\n') {
			const char *hex = p + sizeof key - 1;

			judge_head(x, id, hex, strspn(hex, "0123456789abcdef"));
		}
		p += sizeof key - 1;
	}
	return 0;
}

static void check_heads(struct crl_ctx *c, const hash_set *known)
{
	struct heads_ctx x = {known, {c->r, VERIFY_CRITICAL, 0}, 0, 0, 0, 0};
	int64_t at;

	if (store_audit_last_of(c->d->st, "restore", &x.restore_id, &at) < 0 ||
	    crlrepo_walk(c->repo, c->tip, "", head_commit, &x) < 0)
		add(c->r, VERIFY_UNKNOWN, "cannot read the history of %s: %s", c->branch, cd_errmsg());
	capped_end(&x.bad, "pushed audit heads missing");
	c->r->heads = x.n;
	c->r->heads_before_restore = x.before_restore;
}

/* The tip to check: the remote's, fetched; the read-only view, which may not write the
 * clone, takes the last CRL commit recorded. 0 when there is nothing to check. */
static int find_tip(struct crl_ctx *c, int *have)
{
	int exists = 0;

	*have = 0;
	if (c->d->readonly) {
		add(c->r, VERIFY_SKIPPED, "fetching %s: the read-only view checks the home's clone "
		    "at the CRL commit last recorded", c->shown);
		snprintf(c->tip, sizeof c->tip, "%s", c->last_found ? c->last.commit_id : "");
		*have = c->tip[0] != '\0';
		return 0;
	}
	if (crlrepo_fetch(c->repo, c->branch, &exists, c->tip) < 0) {
		add(c->r, VERIFY_UNKNOWN, "%s", cd_errmsg());
		return -1;
	}
	if (!exists && c->last_found && c->last.commit_id[0])
		add(c->r, VERIFY_CRITICAL, "branch %s is missing from %s although certdesk published "
		    "commit %.12s there", c->branch, c->shown, c->last.commit_id);
	*have = exists;
	return 0;
}

static void crl_free(struct crl_ctx *c)
{
	crlrepo_close(c->repo);
	free(c->remote);
	free(c->branch);
	free(c->path);
	free(c->shown);
}

static int crl_settings(desk *d, struct crl_ctx *c)
{
	if (conf_get(d->st, "crl.remote", &c->remote) < 0 ||
	    conf_get(d->st, "crl.branch", &c->branch) < 0 ||
	    conf_get(d->st, "crl.path", &c->path) < 0 ||
	    store_crl_last(d->st, &c->last, &c->last_found) < 0)
		return -1;
	c->shown = cd_mask_urls(c->remote);
	return 0;
}

static void check_published(desk *d, verify_report *r, const hash_set *known)
{
	struct crl_ctx c = {0};
	char *dir = cd_asprintf("%s/crl.git", d->home);
	int have = 0;

	c.d = d, c.r = r;
	if (crl_settings(d, &c) < 0)
		add(r, VERIFY_UNKNOWN, "cannot read the settings: %s", cd_errmsg());
	else if (*c.remote && crlrepo_open(dir, c.remote, &c.repo) < 0)
		add(r, VERIFY_UNKNOWN, "cannot open the CRL repository's clone: %s", cd_errmsg());
	else if (c.repo && find_tip(&c, &have) == 0 && have) {
		check_crl_file(&c);
		check_heads(&c, known);
	}
	free(dir);
	crl_free(&c);
}

/* ---- health ---- */

static void check_health(desk *d, verify_report *r)
{
	publish_alarms h;
	int i;

	if (publish_health(d, &h) < 0) {
		add(r, VERIFY_UNKNOWN, "cannot judge the CRL's and the CA's dates: %s", cd_errmsg());
		return;
	}
	for (i = 0; i < h.n; i++)
		add(r, h.items[i].level >= 2 ? VERIFY_CRITICAL : VERIFY_WARNING, "%s", h.items[i].msg);
}

int verify_run(desk *d, verify_report *r)
{
	hash_set known = {0};

	memset(r, 0, sizeof *r);
	check_database(d, r);
	if (!d->readonly) {
		char *uri = NULL, *module = NULL;

		d->token = desk_token_of(d, &uri, &module) > 0;
		free(uri);
		free(module);
	}
	check_key(d, r);
	check_older_keys(d, r);
	check_canary_keys(d, r);
	check_certs(d, r);
	check_audit(d, r, &known);
	check_published(d, r, &known);
	check_health(d, r);
	free(known.v);
	return 0;
}

void verify_summary(const verify_report *r, char *buf, size_t size)
{
	char crl[64] = "", restored[160] = "";

	if (r->crl_number)
		snprintf(crl, sizeof crl, ", the published CRL (number %lld)", (long long)r->crl_number);
	if (r->heads_before_restore)
		snprintf(restored, sizeof restored, " (%zu of them pushed before this home was "
			 "restored from an older backup, so not in its trail)", r->heads_before_restore);
	snprintf(buf, size, "the database, %lld certificate%s, %lld audit row%s, %zu pushed audit "
		 "head%s%s%s: all consistent", (long long)r->certs, r->certs == 1 ? "" : "s",
		 (long long)r->audit_rows, r->audit_rows == 1 ? "" : "s", r->heads,
		 r->heads == 1 ? "" : "s", restored, crl);
}
