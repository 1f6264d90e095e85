/* publish.c: publishing safe revocations to the CRL's git repository. See publish.h.
 *
 * One run: lock, fetch, judge the remote's history since the last CRL this home
 * recorded by what the CRL file holds (our own commits from an interrupted run are
 * recorded instead of being made again; someone else's CRL is replaced, or stops
 * everything when replacing it would drop a revocation), commit one CRL per ready
 * revocation on the remote tip, push, and only then record. A push that is behind
 * means someone pushed first: fetch and rebuild; any other refusal stops. Commits are
 * rebuilt from the database on every attempt, so a rerun never duplicates one. */
#include "publish.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "canary.h"
#include "conf.h"
#include "crlrepo.h"
#include "util.h"

#define PUSH_ATTEMPTS 5
#define REVOKE_SUBJECT "Revoke client certificate of "
#define HELD_SUBJECT "Held for review: revoke client certificate of "
#define REFRESH_SUBJECT "Refresh CRL (next update "
#define BUNDLE_SUBJECT "Publish the CA certificate (valid until "
#define INITIAL_SUBJECT "Initial CRL (next update "
#define RETIRE_SUBJECT "Retire the CA "
#define REPLACE_SUBJECT "Replace the CRL changed outside certdesk (next update "
/* The review branch's listing of held revocations, next to the CRL file. */
#define HELD_SUFFIX ".pending.txt"

/* ---- the plan ---- */

struct plan_ctx {
	desk *d;
	publish_plan *p;
	size_t cap;
	int64_t last_repl; /* replacement id of the last item, to keep the newest of two */
};

static void item_fill(publish_item *it, const store_row *r, int64_t now)
{
	cycle_readiness rd;

	cycle_ready(r, now, &rd);
	it->cert_id = r->cur.id;
	it->user = cd_strdup(r->u.name);
	it->serial = cd_strdup(r->cur.serial);
	it->task = r->cur.task && *r->cur.task ? cd_strdup(r->cur.task) : NULL;
	it->issuer = r->cur.issuer ? cd_strdup(r->cur.issuer) : NULL;
	it->not_before = r->cur.not_before;
	it->not_after = r->cur.not_after;
	it->revoke_at = r->cur.revoke_at;
	it->reason = r->cur.revoke_reason;
	it->ready = rd.ready;
	memcpy(it->why, rd.why, sizeof it->why);
}

static void item_free(publish_item *it)
{
	free(it->user);
	free(it->serial);
	free(it->task);
	free(it->issuer);
}

static int plan_row(void *ctx, const store_row *r)
{
	struct plan_ctx *c = ctx;
	publish_plan *p = c->p;

	/* A certificate renewed twice is listed once per replacement: keep the newest. */
	if (p->n && p->items[p->n - 1].cert_id == r->cur.id) {
		if (r->old.id < c->last_repl)
			return 0;
		item_free(&p->items[--p->n]);
	}
	if (p->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		p->items = cd_realloc(p->items, c->cap * sizeof *p->items);
	}
	item_fill(&p->items[p->n++], r, c->d->now);
	c->last_repl = r->old.id;
	return 0;
}

int publish_plan_get(desk *d, publish_plan *p)
{
	struct plan_ctx c = {d, p, 0, 0};
	size_t i;

	memset(p, 0, sizeof *p);
	if (store_revocations_pending(d->st, plan_row, &c) < 0) {
		publish_plan_free(p);
		return -1;
	}
	for (i = 0; i < p->n; i++)
		p->items[i].ready ? p->ready++ : p->held++;
	return 0;
}

void publish_plan_free(publish_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		item_free(&p->items[i]);
	free(p->items);
	memset(p, 0, sizeof *p);
}

/* ---- one run ---- */

typedef struct {
	ca_revoked *v;
	size_t n, cap;
} rev_list;

struct pub {
	desk *d;
	const publish_opts *o;
	publish_result *res;
	publish_plan plan;
	crlrepo *repo;
	char *remote, *branch, *path, *shown;
	char *bundle_path;     /* where the CA certificate goes beside the CRL */
	long crl_days, refresh_days;
	crlrepo_sig sig;
	char email[320];
	store_crl last;
	int last_found;        /* a CRL is recorded as published (imported ones included) */
	int have_last;         /* and its commit is known */
	int replace;           /* the remote's CRL is not ours: commit ours even if unchanged */
	int64_t above;         /* the highest CRL Number this CA signed found on the remote */
	size_t taken_in;       /* revocations taken in from the branch (a restored home) */
	rev_list list;         /* the CRL's entries: published, then this run's */
	char tip[41];          /* the remote branch's tip, "" when it has none */
	char head[41];         /* our new tip after the commits of this attempt */
	char (*commit_of)[41]; /* per plan item: the commit that first holds it */
	char *last_pem;        /* the last CRL signed in this attempt */
	int64_t number;        /* the next CRL Number */
	size_t commits;
	size_t crls;           /* of which sign a CRL (the others: the CA bundle) */
	canary_run canary;     /* this run's canaries (canary.h) */
	int canary_in;         /* the revoked canary is in this attempt's list */
	int pushed;            /* crl.branch took this run's commits */
};

static void say(struct pub *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct pub *p, const char *fmt, ...)
{
	cd_buf b = {0};
	va_list ap;

	if (!p->o->report)
		return;
	va_start(ap, fmt);
	cd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	p->o->report(p->o->ctx, b.s ? b.s : "");
	cd_buf_free(&b);
}

/* Something the operator must know although the run goes on (the CLI: stderr). */
static void warn(struct pub *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct pub *p, const char *fmt, ...)
{
	cd_buf b = {0};
	va_list ap;

	va_start(ap, fmt);
	cd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (p->o->warn)
		p->o->warn(p->o->ctx, b.s ? b.s : "");
	else
		say(p, "warning: %s", b.s ? b.s : "");
	cd_buf_free(&b);
}

static void note_repair(void *ctx, const char *line)
{
	warn(ctx, "%s", line);
}

static void list_reset(rev_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free((char *)l->v[i].serial);
		free((char *)l->v[i].issuer);
	}
	l->n = 0;
}

static void list_add(rev_list *l, const char *serial, int64_t at, int reason,
		     const char *issuer)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = cd_realloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].serial = cd_strdup(serial);
	l->v[l->n].issuer = issuer ? cd_strdup(issuer) : NULL;
	l->v[l->n].revoked_at = at;
	l->v[l->n++].reason = reason;
}

struct list_load {
	rev_list *l;
	const ca *c;
};

/* A retired CA's revocations are not listed any more: every certificate it issued ended. */
static int list_add_cb(void *ctx, const char *serial, int64_t at, int reason,
		       const char *issuer)
{
	struct list_load *ll = ctx;

	if (ca_issuer_signs(ll->c, issuer))
		list_add(ll->l, serial, at, reason, issuer);
	return 0;
}

static int list_published(desk *d, rev_list *l)
{
	struct list_load ll = {l, d->ca};

	return store_revocations_published(d->st, list_add_cb, &ll);
}

/* An expired canary leaves the CRL on its own: its end is past, like a retired CA's. */
static int list_drop_expired(struct pub *p)
{
	canary_list l;
	size_t i, j, k;
	int64_t now = cd_now();

	if (canary_list_get(p->d, &l) < 0)
		return -1;
	for (i = 0; i < l.rows; i++) {
		if (!l.v[i].revoked_at || l.v[i].dropped_at || l.v[i].not_after > now)
			continue;
		for (j = k = 0; j < p->list.n; j++) {
			if (strcmp(p->list.v[j].serial, l.v[i].serial) == 0) {
				free((char *)p->list.v[j].serial);
				free((char *)p->list.v[j].issuer);
			} else {
				p->list.v[k++] = p->list.v[j];
			}
		}
		p->list.n = k;
	}
	canary_list_free(&l);
	return 0;
}

/* The list of published revocations, as the database has them now. */
static int list_load(struct pub *p)
{
	list_reset(&p->list);
	p->canary_in = 0;
	return list_published(p->d, &p->list) < 0 ? -1 : list_drop_expired(p);
}

static void why_words(const publish_item *it, char *out, size_t size)
{
	const char *w = it->why;
	const char *colon = strstr(w, ": ");

	if (colon && colon - w <= 5)
		w = colon + 2;
	snprintf(out, size, "%s", w);
}

static void report_plan(struct pub *p)
{
	size_t i;

	for (i = 0; i < p->plan.n; i++) {
		const publish_item *it = &p->plan.items[i];
		char words[256];

		why_words(it, words, sizeof words);
		say(p, "%s %s (serial %s%s%s): %s", it->ready ? "ready:" : "held: ", it->user,
		    it->serial, it->task ? ", task " : "", it->task ? it->task : "", words);
	}
	if (!p->plan.n)
		say(p, "no revocation is waiting to be published");
}

static int setting(desk *d, const char *key, char **out)
{
	return conf_get(d->st, key, out);
}

static void set_author(struct pub *p)
{
	char host[256] = "";

	if (gethostname(host, sizeof host - 1) < 0 || !host[0] || strchr(host, '>'))
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	snprintf(p->email, sizeof p->email, "%s@%s", cd_operator_login(), host);
	p->sig.name = cd_operator();
	p->sig.email = p->email;
}

static int pub_setup(struct pub *p)
{
	desk *d = p->d;

	if (setting(d, "crl.remote", &p->remote) < 0 || setting(d, "crl.branch", &p->branch) < 0 ||
	    setting(d, "crl.path", &p->path) < 0 || setting(d, "crl.bundle_path", &p->bundle_path) < 0)
		return -1;
	if (strcmp(p->path, p->bundle_path) == 0)
		return cd_err("crl.bundle_path and crl.path are both %s: the CA certificate and the "
			      "CRL need a file each", p->path);
	if (!*p->remote && !p->o->dry_run)
		return cd_err("no CRL repository configured: certdesk config crl.remote URL");
	p->crl_days = conf_get_int(d->st, "crl.days");
	p->refresh_days = conf_get_int(d->st, "crl.refresh_days");
	set_author(p);
	return 0;
}

static void pub_free(struct pub *p)
{
	/* Issued for a CRL that did not go out: the next control is the same again. */
	if (!p->pushed || !p->crls)
		canary_discard(p->d, &p->canary);
	canary_run_free(&p->canary);
	crlrepo_close(p->repo);
	publish_plan_free(&p->plan);
	list_reset(&p->list);
	free(p->list.v);
	free(p->commit_of);
	free(p->last_pem);
	free(p->remote);
	free(p->shown);
	free(p->branch);
	free(p->path);
	free(p->bundle_path);
}

/* repair: p holds the publish lock, and the clone may be repaired (see crlrepo.h). */
static int open_repo(desk *d, const char *remote, struct pub *repair, crlrepo **out)
{
	char *dir = cd_asprintf("%s/crl.git", d->home);
	int rc = repair ? crlrepo_open_repair(dir, remote, note_repair, repair, out)
			: crlrepo_open(dir, remote, out);

	free(dir);
	return rc;
}

/* Exclusive per home: two publishes would sign the same CRL Number. */
static int take_publish_lock(desk *d)
{
	char *path = cd_asprintf("%s/publish.lock", d->home);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		cd_err("cannot open %s: %s", path, strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		cd_err("another certdesk publish is running on this home; try again when it has "
		       "finished");
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

/* ---- history: what happened on the remote since our last recorded CRL ---- */

typedef struct {
	char id[41];
	char *message;
} hist_commit;

typedef struct {
	hist_commit *v;
	size_t n, cap;
} hist;

static int hist_add(void *ctx, const char *id, const char *message)
{
	hist *h = ctx;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->v = cd_realloc(h->v, h->cap * sizeof *h->v);
	}
	memcpy(h->v[h->n].id, id, 41);
	h->v[h->n++].message = cd_strdup(message ? message : "");
	return 0;
}

static void hist_free(hist *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->v[i].message);
	free(h->v);
}

/*
 * Subjects prove nothing: anyone with push access writes them. A CRL found on the remote
 * counts as certdesk's own only when this CA signed it, it is numbered above the last
 * CRL recorded, and it holds exactly what the database expects: every published
 * revocation, with its date and reason, plus scheduled ones (which it then published).
 */
typedef struct {
	const char *serial;
	int64_t at;
	int reason;
	publish_item *item; /* the scheduled revocation; NULL for a published one */
	int in_base;        /* published, or found published by an interrupted run */
	int canary;         /* one of certdesk's canaries: canary_settle judges it */
} known_rev;

typedef struct {
	known_rev *v;
	size_t n, base; /* base: how many are in_base */
} known_set;

static int known_cmp(const void *a, const void *b)
{
	return strcmp(((const known_rev *)a)->serial, ((const known_rev *)b)->serial);
}

static void known_build(struct pub *p, known_set *k)
{
	size_t i;

	k->v = cd_malloc((p->list.n + p->plan.n + p->canary.n_serials + 1) * sizeof *k->v);
	k->n = 0;
	/* Canaries are no revocation of the team's: any of them may be in a CRL of ours
	 * or not (an interrupted run rotated them, or dropped expired ones). */
	for (i = 0; i < p->canary.n_serials; i++)
		k->v[k->n++] = (known_rev){p->canary.serials[i], 0, 0, NULL, 0, 1};
	for (i = 0; i < p->list.n; i++)
		if (!canary_known(&p->canary, p->list.v[i].serial))
			k->v[k->n++] = (known_rev){p->list.v[i].serial, p->list.v[i].revoked_at,
						   p->list.v[i].reason, NULL, 1, 0};
	k->base = k->n - p->canary.n_serials;
	for (i = 0; i < p->plan.n; i++) {
		publish_item *it = &p->plan.items[i];

		k->v[k->n++] = (known_rev){it->serial, it->revoke_at, it->reason, it, 0, 0};
	}
	qsort(k->v, k->n, sizeof *k->v, known_cmp);
}

static known_rev *known_find(known_set *k, const char *serial)
{
	known_rev key = {serial, 0, 0, NULL, 0, 0};

	return bsearch(&key, k->v, k->n, sizeof *k->v, known_cmp);
}

enum crl_kind {
	CRL_OURS,  /* certdesk's own: what it publishes is recorded */
	CRL_OTHER, /* someone else's, replacing it drops no revocation: replaced */
	CRL_KEEPS, /* signed by this CA, with a revocation certdesk would drop: refused */
	CRL_GONE   /* the file was removed: refused */
};

typedef struct {
	int kind;
	ca_crl_info info;    /* when signed by this CA */
	int signed_ours;
	known_rev **added;   /* CRL_OURS: the scheduled revocations it holds */
	size_t n_added;
	char why[200];       /* CRL_OTHER, CRL_KEEPS: what is wrong with it */
} crl_verdict;

/* Would certdesk's next CRL (published and ready revocations) keep this entry? */
static int entry_kept(const known_rev *r)
{
	return r && (r->canary || r->in_base || r->item->ready);
}

static void judge_entries(known_set *k, const ca_crl_contents *cc, int64_t floor,
			  crl_verdict *v)
{
	const char *dropped = NULL;
	size_t i, hits = 0;
	int exact = 1;

	v->added = cd_malloc((cc->n + 1) * sizeof *v->added);
	for (i = 0; i < cc->n; i++) {
		known_rev *r = known_find(k, cc->v[i].serial);

		if (!entry_kept(r) && !dropped)
			dropped = cc->v[i].serial;
		exact &= r && (r->canary || (r->at == cc->v[i].revoked_at &&
					     r->reason == cc->v[i].reason));
		if (r && r->in_base)
			hits++;
		else if (r && !r->canary)
			v->added[v->n_added++] = r;
	}
	/* Ours only when it revokes nothing the next CRL would not: a held revocation in it
	 * (a review branch of an older certdesk merged by hand) is no interrupted run's. */
	if (exact && !dropped && hits == k->base && cc->info.number >= floor) {
		v->kind = CRL_OURS;
		return;
	}
	v->n_added = 0;
	v->kind = dropped ? CRL_KEEPS : CRL_OTHER;
	if (dropped)
		snprintf(v->why, sizeof v->why, "is a CRL signed by this CA that revokes serial "
			 "%.80s, which this home has not published", dropped);
	else
		snprintf(v->why, sizeof v->why, "is a CRL of this CA (number %lld) other than the "
			 "one certdesk expects there", (long long)cc->info.number);
}

static void judge_crl(struct pub *p, known_set *k, int64_t floor, const char *pem, size_t len,
		      crl_verdict *v)
{
	ca_crl_contents cc;

	free(v->added);
	memset(v, 0, sizeof *v);
	v->kind = CRL_GONE;
	if (!pem)
		return;
	v->kind = CRL_OTHER;
	if (ca_crl_read(p->d->ca, pem, len, &cc) < 0) {
		snprintf(v->why, sizeof v->why, "is not a CRL");
		return;
	}
	if (cc.ours) {
		v->signed_ours = 1;
		v->info = cc.info;
		judge_entries(k, &cc, floor, v);
	} else {
		snprintf(v->why, sizeof v->why, "is a CRL not signed by this CA");
	}
	ca_crl_contents_free(&cc);
}

static int same_file(const char *a, size_t alen, int afound, const char *b, size_t blen,
		     int bfound)
{
	return afound == bfound && alen == blen && (!afound || memcmp(a, b, alen) == 0);
}

struct recovery {
	known_set known;
	int64_t floor;          /* a CRL of ours is numbered at least this */
	publish_item **items;   /* recovered revocations */
	char (*commits)[41];
	size_t n;
	char ours[41];          /* our newest commit that changed the CRL file */
	ca_crl_info ours_info;  /* and its CRL */
	crl_verdict last;       /* of the newest change of the CRL file */
	const hist_commit *last_commit;
};

/* One change of the CRL file, oldest first. */
static void judge_change(struct pub *p, struct recovery *rv, const hist_commit *c,
			 const char *pem, size_t len)
{
	crl_verdict *v = &rv->last;
	size_t i;

	judge_crl(p, &rv->known, rv->floor, pem, len, v);
	rv->last_commit = c;
	if (v->signed_ours && v->info.number > p->above)
		p->above = v->info.number;
	if (v->kind != CRL_OURS)
		return;
	for (i = 0; i < v->n_added; i++) {
		rv->items[rv->n] = v->added[i]->item;
		memcpy(rv->commits[rv->n++], c->id, 41);
		v->added[i]->in_base = 1;
		rv->known.base++;
	}
	memcpy(rv->ours, c->id, 41);
	rv->ours_info = v->info;
	rv->floor = v->info.number + 1;
}

static int walk_changes(struct pub *p, const hist *h, struct recovery *rv)
{
	char *prev = NULL, *cur = NULL;
	size_t plen = 0, clen = 0, i;
	int pfound = 0, cfound = 0, rc = 0;

	if (p->have_last && crlrepo_read(p->repo, p->last.commit_id, p->path, &prev, &plen,
					 &pfound) < 0)
		return -1;
	/* Oldest first: each commit is compared with its first parent. */
	for (i = h->n; i-- > 0 && rc == 0;) {
		if ((rc = crlrepo_read(p->repo, h->v[i].id, p->path, &cur, &clen, &cfound)) < 0)
			break;
		if (!same_file(prev, plen, pfound, cur, clen, cfound))
			judge_change(p, rv, &h->v[i], cfound ? cur : NULL, clen);
		free(prev);
		prev = cur, plen = clen, pfound = cfound;
		cur = NULL;
	}
	free(prev);
	free(cur);
	return rc;
}

/* The canaries as the CRL of commit id holds them (an interrupted run's, adopted). */
static int settle_at(struct pub *p, const char *id, int64_t now)
{
	char *pem = NULL;
	size_t len = 0;
	int found = 0, rc;

	rc = crlrepo_read(p->repo, id, p->path, &pem, &len, &found);
	if (rc == 0 && found)
		rc = canary_settle(p->d, pem, len, now);
	free(pem);
	return rc;
}

static int record_recovery(struct pub *p, const struct recovery *rv)
{
	int64_t now = cd_now(), next = 0;
	size_t i;
	int rc, crl;

	if (store_crl_next_number(p->d->st, &next) < 0)
		return -1;
	/* Its number went to a CRL signed since (certdesk crl): superseded by a new one. */
	crl = rv->ours_info.number >= next;
	if (!crl)
		p->replace = 1;
	if (store_begin(p->d->st) < 0)
		return -1;
	rc = crl ? store_crl_record(p->d->st, rv->ours_info.number, rv->ours_info.this_update,
				    rv->ours_info.next_update, rv->ours, now) : 0;
	for (i = 0; i < rv->n && rc == 0; i++)
		rc = store_revocation_published(p->d->st, rv->items[i]->cert_id, now,
						rv->commits[i]);
	if (rc == 0 && crl)
		rc = settle_at(p, rv->ours, now);
	if (rc == 0 && rv->n == 0)
		rc = desk_audit(p->d, "publish", NULL, "recorded CRL %lld found on %s",
				(long long)rv->ours_info.number, p->branch);
	else if (rc == 0)
		rc = desk_audit(p->d, "publish", NULL, "recorded %zu revocation%s found on %s "
				"(pushed by an interrupted publish), CRL %lld", rv->n,
				rv->n == 1 ? "" : "s", p->branch, (long long)rv->ours_info.number);
	return store_end(p->d->st, rc);
}

/* The newest change of the CRL file decides: ours, replaced, or refused. */
static int judge_outcome(struct pub *p, const struct recovery *rv)
{
	const hist_commit *c = rv->last_commit;
	size_t n = strcspn(c->message, "\n");
	int len = (int)(n > 60 ? 60 : n);

	if (rv->last.kind == CRL_GONE)
		return cd_err("commit %.12s removed %s; certdesk will not publish over that without "
			      "a look from the team", c->id, p->path);
	if (rv->last.kind == CRL_KEEPS)
		return cd_err("%s in %s was changed in commit %.12s (\"%.*s\"): the file %s; "
			      "certdesk will not publish a CRL without it: find out who signed it, "
			      "then revert that commit or record the revocation", p->path,
			      p->branch, c->id, len, c->message, rv->last.why);
	if (rv->last.kind != CRL_OTHER)
		return 0;
	/* A file certdesk never published is not its to take over (another CA's?). */
	if (!p->have_last && !rv->ours[0])
		return cd_err("%s in %s holds a file certdesk did not publish (commit %.12s, "
			      "\"%.*s\"): the file %s, and certdesk will not overwrite a CRL it "
			      "did not sign: choose another crl.path, or remove that file", p->path,
			      p->branch, c->id, len, c->message, rv->last.why);
	warn(p, "%s in %s was changed by someone else in commit %.12s (\"%.*s\"): the file "
	     "%s; certdesk records nothing on its strength and replaces it with its own CRL",
	     p->path, p->branch, c->id, len, c->message, rv->last.why);
	p->replace = 1;
	return 0;
}

static int reload(struct pub *p)
{
	int found;

	publish_plan_free(&p->plan);
	if (publish_plan_get(p->d, &p->plan) < 0 || list_load(p) < 0 ||
	    store_crl_last(p->d->st, &p->last, &found) < 0)
		return -1;
	p->last_found = found;
	p->have_last = found && p->last.commit_id[0];
	if (canary_load_serials(p->d, &p->canary) < 0)
		return -1;
	free(p->commit_of);
	p->commit_of = cd_malloc((p->plan.n + 1) * sizeof *p->commit_of);
	return 0;
}

static void recovery_free(struct recovery *rv)
{
	free(rv->known.v);
	free(rv->last.added);
	free(rv->items);
	free(rv->commits);
}

/* Records our own commits of an interrupted run (pushed, never recorded), and judges
 * whatever else changed the CRL file. */
static int recover(struct pub *p, const hist *h)
{
	struct recovery rv = {0};
	size_t i;
	int rc;

	known_build(p, &rv.known);
	rv.floor = p->last_found ? p->last.number + 1 : 0;
	rv.items = cd_malloc((p->plan.n + 1) * sizeof *rv.items);
	rv.commits = cd_malloc((p->plan.n + 1) * sizeof *rv.commits);
	rc = walk_changes(p, h, &rv);
	if (rc == 0 && rv.last_commit)
		rc = judge_outcome(p, &rv);
	if (rc == 0 && rv.ours[0]) {
		rc = record_recovery(p, &rv);
		for (i = 0; i < rv.n && rc == 0; i++)
			say(p, "recorded: %s (serial %s) was already published in %.12s by an "
			    "interrupted run", rv.items[i]->user, rv.items[i]->serial, rv.commits[i]);
		if (rc == 0)
			p->res->recovered += rv.n, p->res->published += rv.n;
		if (rc == 0)
			rc = reload(p);
	}
	recovery_free(&rv);
	return rc;
}

/* ---- revocations a CRL of this CA holds and the database lacks ---- */

/*
 * A CRL this CA signed is authentic, and what it revoked stays revoked: a home restored
 * from a backup older than its last publish, a CRL signed with the CA key outside
 * certdesk. Its revocations that the database does not hold at all are recorded as
 * published: on their certificate when the database has it, else as orphan
 * revocations, the serial kept; each on stderr and in the audit trail. The next CRL,
 * numbered above every one of the branch, drops none of them.
 */
typedef struct {
	char *serial;
	int64_t at, number;
	int reason;
	char commit[41];
	char *issuer;
} taken_rev;

typedef struct {
	taken_rev *v;
	size_t n, cap;
} taken_set;

static void taken_add(taken_set *t, const ca_revoked *e, int64_t number, const char *commit)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].serial, e->serial) == 0)
			return;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = cd_realloc(t->v, t->cap * sizeof *t->v);
	}
	t->v[t->n] = (taken_rev){cd_strdup(e->serial), e->revoked_at, number, e->reason, "",
				 e->issuer ? cd_strdup(e->issuer) : NULL};
	memcpy(t->v[t->n++].commit, commit, 41);
}

static void taken_free(taken_set *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].serial);
		free(t->v[i].issuer);
	}
	free(t->v);
}

/* What the CRL file of commit id revokes that the database does not know of. */
static int taken_scan(struct pub *p, known_set *k, const char *id, taken_set *t)
{
	char *pem = NULL;
	size_t len = 0, i;
	int found = 0;
	ca_crl_contents cc;

	if (crlrepo_read(p->repo, id, p->path, &pem, &len, &found) < 0)
		return -1;
	if (found && ca_crl_read(p->d->ca, pem, len, &cc) == 0) {
		/* A revocation the database holds, held for review, stays the team's call. */
		for (i = 0; cc.ours && i < cc.n; i++)
			if (!known_find(k, cc.v[i].serial))
				taken_add(t, &cc.v[i], cc.info.number, id);
		ca_crl_contents_free(&cc);
	}
	free(pem);
	return 0;
}

static int taken_record_one(struct pub *p, const taken_rev *r, int64_t now)
{
	store *st = p->d->st;
	char *user = NULL, *why, *line;
	int64_t id = 0;
	int rc;

	if (store_cert_by_serial(st, r->serial, &id) < 0 || (id && store_user_of_cert(st, id, &user) < 0))
		return -1;
	why = cd_asprintf("listed by CRL %lld of this CA in commit %.12s on %s, %s (a revocation "
			  "made after the backup this home was restored from?)", (long long)r->number,
			  r->commit, p->branch, id ? "not recorded as revoked here" :
			  "a certificate unknown to this home");
	if (id)
		rc = store_revocation_taken_in(st, id, r->at, r->reason, now, r->commit);
	else
		rc = store_orphan_insert(st, &(store_orphan){r->serial, "", why, r->at, 0, now,
							     r->reason, r->issuer});
	line = cd_asprintf("took in the revocation of serial %s%s%s (%s): %s", r->serial,
			   user ? " of " : "", user ? user : "", ca_reason_name(r->reason), why);
	if (rc == 0)
		rc = store_audit(st, now, cd_operator(), "publish", user, line);
	if (rc == 0)
		warn(p, "%s", line);
	free(line);
	free(why);
	free(user);
	return rc;
}

static int take_in(struct pub *p, const hist *h)
{
	known_set k;
	taken_set t = {0};
	size_t i;
	int rc = 0;

	known_build(p, &k);
	for (i = h->n; i-- > 0 && rc == 0;)
		rc = taken_scan(p, &k, h->v[i].id, &t);
	free(k.v);
	if (rc == 0 && t.n) {
		int64_t now = cd_now();

		if ((rc = store_begin(p->d->st)) == 0) {
			for (i = 0; i < t.n && rc == 0; i++)
				rc = taken_record_one(p, &t.v[i], now);
			rc = store_end(p->d->st, rc);
		}
		if (rc == 0)
			p->taken_in += t.n;
		if (rc == 0)
			rc = reload(p);
	}
	taken_free(&t);
	return rc;
}

/*
 * A home that has never pushed (a new one, or one imported from an existing CA) meets
 * the CRL the team already keeps in the repository. It builds on that file when the CRL
 * is this CA's own, no newer than the last one the home knows of (the imported one) and
 * revokes nothing the home has not recorded as published: the next CRL, numbered
 * higher, supersedes it and drops no revocation. Anything else is walked and judged.
 */
static int all_published(struct pub *p, const ca_crl_contents *cc)
{
	known_set k;
	known_rev *r;
	size_t i;
	int all = 1;

	known_build(p, &k);
	for (i = 0; i < cc->n && all; i++)
		all = (r = known_find(&k, cc->v[i].serial)) && (r->in_base || r->canary);
	free(k.v);
	return all;
}

static int adopt_existing(struct pub *p, int *adopted)
{
	char *pem = NULL;
	size_t len = 0;
	int found = 0;
	int64_t next = 0;
	ca_crl_contents cc;

	*adopted = 0;
	if (crlrepo_read(p->repo, p->tip, p->path, &pem, &len, &found) < 0 ||
	    store_crl_next_number(p->d->st, &next) < 0) {
		free(pem);
		return -1;
	}
	/* Not a CRL of ours: the history walk says what it is. */
	if (found && ca_crl_read(p->d->ca, pem, len, &cc) == 0) {
		*adopted = cc.ours && cc.info.number < next && all_published(p, &cc);
		if (*adopted) {
			p->above = cc.info.number;
			say(p, "building on the CRL already in %s (CRL Number %lld, signed by this "
			    "CA)", p->path, (long long)cc.info.number);
		}
		ca_crl_contents_free(&cc);
	}
	free(pem);
	return 0;
}

static int check_history(struct pub *p, int exists)
{
	hist h = {0};
	int rc, adopted;

	p->replace = 0;
	p->above = 0;
	if (!exists && p->have_last)
		return cd_err("branch %s is missing from %s although certdesk published commit "
			      "%.12s there: restore the repository (or the branch) first",
			      p->branch, p->shown, p->last.commit_id);
	if (!exists || (p->have_last && !strcmp(p->tip, p->last.commit_id)))
		return 0;
	if (p->have_last && (rc = crlrepo_descends(p->repo, p->tip, p->last.commit_id)) != 1)
		return rc < 0 ? -1 :
		       cd_err("%s was rewritten: the commit %.12s of the last CRL certdesk "
			      "published is no longer on it; restore it before publishing",
			      p->branch, p->last.commit_id);
	if (!p->have_last && ((rc = adopt_existing(p, &adopted)) < 0 || adopted))
		return rc;
	rc = crlrepo_walk(p->repo, p->tip, p->have_last ? p->last.commit_id : "", hist_add, &h);
	if (rc == 0)
		rc = take_in(p, &h);
	if (rc == 0)
		rc = recover(p, &h);
	hist_free(&h);
	return rc;
}

/* ---- commits ---- */

static void date_of(int64_t t, char out[16])
{
	cd_format_date(t, out);
}

static char *revoke_message(const publish_item *it)
{
	cd_buf b = {0};
	char words[256], issued[16], ends[16], sched[16];

	why_words(it, words, sizeof words);
	date_of(it->not_before, issued);
	date_of(it->not_after, ends);
	date_of(it->revoke_at, sched);
	cd_buf_printf(&b, "%s%s (serial %s)\n\n", it->ready ? REVOKE_SUBJECT : HELD_SUBJECT,
		      it->user, it->serial);
	cd_buf_printf(&b, "%s: %s.\nReason code: %s.\n\n", it->ready ? "Ready" : "Held",
		      words, ca_reason_name(it->reason));
	cd_buf_printf(&b, "Issued: %s\nExpires: %s\nRevocation scheduled: %s\n", issued, ends,
		      sched);
	if (!it->ready)
		cd_buf_printf(&b, "\nHeld for review only: this commit is not on the published "
			      "branch, and it changes no CRL: it adds the revocation to the "
			      "listing of held ones.\n");
	if (it->task)
		cd_buf_printf(&b, "\nBug: %s\n", it->task);
	return cd_buf_take(&b);
}

/* Whether the message's last paragraph is all trailers ("Token: value", as git reads
 * them), so that one more joins it rather than starting a paragraph of its own. */
static int ends_in_trailers(const char *msg)
{
	const char *end = msg + strlen(msg), *line, *para;
	size_t tok;

	while (end > msg && end[-1] == '\n')
		end--;
	for (para = NULL, line = msg; (line = strstr(line, "\n\n")) && line < end; line++)
		para = line + 2;
	if (!para)
		return 0;
	for (line = para; line < end; line += strcspn(line, "\n") + 1) {
		tok = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-");
		if (!tok || strncmp(line + tok, ": ", 2) != 0)
			return 0;
	}
	return 1;
}

/* The audit chain's head goes out with every CRL: a copy outside the host, which verify
 * finds again in the local chain (a database rewritten with its chain recomputed no
 * longer holds it). */
static char *with_audit_head(struct pub *p, const char *message)
{
	char head[65];

	if (store_audit_head(p->d->st, head) < 0)
		return NULL;
	if (!head[0])
		return cd_strdup(message);
	return cd_asprintf("%s%sAudit-Head: %s\n", message, ends_in_trailers(message) ? "" : "\n",
			   head);
}

/* Signs the CRL of the current list and commits it on p->head. */
static int commit_crl(struct pub *p, const char *message)
{
	char *pem = NULL, *msg;
	char out[41];
	int rc;

	if (!(msg = with_audit_head(p, message)))
		return -1;
	/* This run's CRLs revoke the current control: the newest revoked canary marks them. */
	if (p->canary.prepared && !p->canary_in) {
		if (canary_issue(p->d, &p->canary) < 0) {
			free(msg);
			return -1;
		}
		list_add(&p->list, p->canary.revoke.serial, p->canary.revoke.revoked_at,
			 CANARY_REASON, p->canary.revoke.issuer[0] ? p->canary.revoke.issuer : NULL);
		p->canary_in = 1;
	}
	if (ca_sign_crl(p->d->ca, p->list.v, p->list.n, p->number, (int)p->crl_days, &pem) < 0) {
		free(msg);
		return -1;
	}
	p->sig.when = cd_now();
	rc = crlrepo_commit(p->repo, p->head, p->path, pem, strlen(pem), msg, &p->sig, out);
	free(msg);
	if (rc < 0) {
		free(pem);
		return -1;
	}
	p->number++;
	p->commits++;
	p->crls++;
	memcpy(p->head, out, 41);
	free(p->last_pem);
	p->last_pem = pem;
	return 0;
}

static int commit_ready(struct pub *p)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < p->plan.n && rc == 0; i++) {
		publish_item *it = &p->plan.items[i];
		char *msg;

		if (!it->ready)
			continue;
		list_add(&p->list, it->serial, it->revoke_at, it->reason, it->issuer);
		msg = revoke_message(it);
		rc = commit_crl(p, msg);
		free(msg);
		if (rc == 0) {
			memcpy(p->commit_of[i], p->head, 41);
			say(p, "committed %.12s: " REVOKE_SUBJECT "%s (serial %s)", p->head,
			    it->user, it->serial);
		}
	}
	return rc;
}

/* The CAs of the home that sign a CRL: the issuing one and those it took over from,
 * until they retire. */
static int signing_cas(const ca *c)
{
	int n = 0;

	for (; c; c = ca_older(c))
		n += !ca_is_retired(c);
	return n;
}

/* What the CRL file on the tip misses (TIP_*), or -1 on error. */
enum { TIP_FINE, TIP_LACKS, TIP_ROLLED, TIP_RETIRED };

static int tip_state(struct pub *p)
{
	char *pem = NULL;
	size_t len = 0;
	int found = 0, st = TIP_FINE;
	ca_crl_contents cc;

	if (crlrepo_read(p->repo, p->head, p->path, &pem, &len, &found) < 0)
		return -1;
	if (found && ca_crl_read(p->d->ca, pem, len, &cc) == 0) {
		/* an import added revocations that only its old CRL or index knew */
		if (cc.n < p->list.n)
			st = TIP_LACKS;
		else if (cc.retired)
			st = TIP_RETIRED;
		else if (cc.blocks - cc.foreign < signing_cas(p->d->ca))
			st = TIP_ROLLED;
		ca_crl_contents_free(&cc);
	}
	free(pem);
	return st;
}

/* A CA retired (its last certificate has ended): its CRL leaves the file in a commit
 * that says so, before anything else of this run. */
static int commit_retired(struct pub *p)
{
	cd_buf b = {0};
	const ca *o;
	int rc, st;

	if (!p->have_last)
		return 0;
	if ((st = tip_state(p)) != TIP_RETIRED)
		return st < 0 ? -1 : 0;
	for (o = ca_older(p->d->ca); o; o = ca_older(o))
		if (ca_is_retired(o))
			cd_buf_printf(&b, "%s%s", b.s ? ", " : "", ca_name(o));
	if (!b.s)
		cd_buf_printf(&b, "%s", "of a CRL in the file");
	{
		char *msg = cd_asprintf(RETIRE_SUBJECT "%s\n\nEvery certificate %s issued has "
					"ended: %s CRL is dropped from the file, which now holds "
					"the CRL of each CA that still signs.\n", b.s, b.s,
					strchr(b.s, ',') ? "their" : "its");
		rc = commit_crl(p, msg);
		if (rc == 0)
			say(p, "committed %.12s: %.*s", p->head, (int)strcspn(msg, "\n"), msg);
		free(msg);
	}
	cd_buf_free(&b);
	return rc;
}

/* Nothing new: re-sign when the CRL nears its nextUpdate or lacks a revocation the home
 * holds or the CRL of a CA (a rollover), make the first one, or put ours back in place
 * of a CRL someone else committed. */
static int commit_refresh(struct pub *p)
{
	char next[16], *msg;
	int rc, st = TIP_FINE;

	if (!p->replace && p->have_last && (st = tip_state(p)) < 0)
		return -1;
	if (!p->replace && p->have_last && st == TIP_FINE && !p->taken_in &&
	    !(p->canary.prepared && p->canary.due) &&
	    p->last.next_update - cd_now() > p->refresh_days * CD_DAY)
		return 0;
	date_of(cd_now() + p->crl_days * CD_DAY, next);
	msg = cd_asprintf("%s%s)\n\n%s CRL of %zu revocation%s, signed %s.\n",
			  p->replace ? REPLACE_SUBJECT : p->have_last ? REFRESH_SUBJECT :
			  INITIAL_SUBJECT, next, p->replace || p->have_last ? "Re-signed the" :
			  "The first", p->list.n, p->list.n == 1 ? "" : "s", p->replace ?
			  "because the CRL on the branch was not certdesk's" : st == TIP_LACKS ?
			  "because it lacked revocations the home holds (imported)" :
			  st == TIP_ROLLED ? "so that the file holds the CRL of each CA that signs "
			  "(a new CA took over)" : p->taken_in ? "by this home, which took in "
			  "revocations made after the backup it was restored from: its audit trail "
			  "goes on from here" : p->have_last && p->canary.due &&
			  p->last.next_update - cd_now() > p->refresh_days * CD_DAY ?
			  "so that a revoked canary marks it for certdesk probe" : p->have_last ?
			  "because its nextUpdate is near" : "so the repository holds a CRL");
	rc = commit_crl(p, msg);
	if (rc == 0)
		say(p, "committed %.12s: %.*s", p->head, (int)strcspn(msg, "\n"), msg);
	free(msg);
	return rc;
}

/* The servers need the CA certificate that verifies the users' ones, renewed ones
 * included: the bundle beside the CRL follows the home's CA certificate, one commit
 * whenever it changes. */
static int commit_bundle(struct pub *p)
{
	char *have = NULL, *pem = ca_bundle_pem(p->d->ca), *msg = NULL, out[41], until[16];
	size_t len = 0;
	int found = 0, rc = -1;

	if (!pem || crlrepo_read(p->repo, p->head, p->bundle_path, &have, &len, &found) < 0)
		goto out;
	rc = 0;
	if (found && len == strlen(pem) && memcmp(have, pem, len) == 0)
		goto out;
	date_of(ca_not_after(p->d->ca), until);
	msg = signing_cas(p->d->ca) > 1 ?
	      cd_asprintf(BUNDLE_SUBJECT "%s)\n\nThe certificates of the CAs that sign client "
			  "certificates and CRLs, the new CA %s first: servers that check client "
			  "certificates need all of them while certificates of each are in "
			  "use.\n", until, ca_name(p->d->ca)) :
	      cd_asprintf(BUNDLE_SUBJECT "%s)\n\nThe CA certificate that verifies the client "
			  "certificates and this CRL, %s: servers that check client certificates "
			  "need it before the one they have ends.\n", until,
			  found ? "renewed" : "for the first time");
	p->sig.when = cd_now();
	rc = crlrepo_commit(p->repo, p->head, p->bundle_path, pem, strlen(pem), msg, &p->sig, out);
	if (rc == 0) {
		memcpy(p->head, out, 41);
		p->commits++;
		say(p, "committed %.12s: %.*s", p->head, (int)strcspn(msg, "\n"), msg);
	}
out:
	free(have);
	free(pem);
	free(msg);
	return rc;
}

/* One attempt on the remote's current tip: the commits, without pushing. */
static int build(struct pub *p)
{
	int64_t next;

	memcpy(p->head, p->tip, 41);
	p->commits = p->crls = 0;
	if (store_crl_fresh_number(p->d->st, &next) < 0 || list_load(p) < 0)
		return -1;
	/* Numbers only grow, past any CRL this CA signed that the branch holds. */
	p->number = next > p->above ? next : p->above + 1;
	if (commit_retired(p) < 0 ||
	    (p->plan.ready ? commit_ready(p) : commit_refresh(p)) < 0 || commit_bundle(p) < 0)
		return -1;
	/* Recorded before the push: a run killed after it never hands its numbers to
	 * another CRL (certdesk crl, or the next attempt). */
	return p->crls ? store_crl_reserve(p->d->st, p->number - 1) : 0;
}

static int record(struct pub *p)
{
	ca_crl_info info;
	int64_t now = cd_now();
	size_t i, n = 0;
	int rc;

	/* Only the CA bundle changed: nothing of the CRL's to record. */
	if (!p->crls) {
		p->res->commits += p->commits;
		return desk_audit(p->d, "publish", NULL, "the CA certificate, commit %.12s on %s",
				  p->head, p->branch);
	}
	if (ca_crl_parse(p->last_pem, strlen(p->last_pem), &info) < 0 || store_begin(p->d->st) < 0)
		return -1;
	rc = store_crl_record(p->d->st, info.number, info.this_update, info.next_update, p->head,
			      now);
	if (rc == 0)
		rc = canary_settle(p->d, p->last_pem, strlen(p->last_pem), now);
	for (i = 0; i < p->plan.n && rc == 0; i++) {
		if (!p->plan.items[i].ready)
			continue;
		rc = store_revocation_published(p->d->st, p->plan.items[i].cert_id, now,
						p->commit_of[i]);
		/* A line of the user's own, so their log shows it. */
		if (rc == 0)
			rc = desk_audit(p->d, "publish", p->plan.items[i].user, "serial %s in CRL "
					"%lld, commit %.12s", p->plan.items[i].serial,
					(long long)info.number, p->commit_of[i]);
		n++;
	}
	if (rc == 0)
		rc = desk_audit(p->d, "publish", NULL, "%zu revocation%s, CRL %lld, commit %.12s on %s",
				n, n == 1 ? "" : "s", (long long)info.number, p->head, p->branch);
	if (store_end(p->d->st, rc) < 0)
		return -1;
	p->res->published += n;
	p->res->commits += p->commits;
	p->res->refreshed = n == 0;
	return 0;
}

/* fetch, check, build, push; again when someone pushed first. */
static int publish_main(struct pub *p)
{
	int attempt, exists, rc = -1;

	for (attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
		if (crlrepo_fetch(p->repo, p->branch, &exists, p->tip) < 0 ||
		    check_history(p, exists) < 0 ||
		    canary_prepare(p->d, &p->canary, p->refresh_days * CD_DAY) < 0 || build(p) < 0)
			return -1;
		if (!p->commits)
			return 0;
		if ((rc = crlrepo_push(p->repo, p->head, p->branch, 0)) != CRLREPO_BEHIND)
			break;
		say(p, "someone pushed to %s first: fetching and rebuilding on the new tip",
		    p->branch);
	}
	if (rc == CRLREPO_BEHIND)
		return cd_err("%s: gave up after %d attempts", cd_errmsg(), PUSH_ATTEMPTS);
	if (rc < 0)
		return -1;
	p->pushed = 1;
	say(p, "pushed %zu commit%s to %s of %s (now %.12s)", p->commits,
	    p->commits == 1 ? "" : "s", p->branch, p->shown, p->head);
	if (record(p) < 0)
		return cd_err("pushed to %s, but could not record it: %s; the next publish finds "
			      "the commits and records them", p->branch, cd_errmsg());
	memcpy(p->tip, p->head, 41);
	return 0;
}

/* One held revocation in the review branch's listing. */
static void held_line(cd_buf *b, const publish_item *it)
{
	char words[256], sched[16], ends[16];

	why_words(it, words, sizeof words);
	date_of(it->revoke_at, sched);
	date_of(it->not_after, ends);
	cd_buf_printf(b, "%s %s: scheduled %s, expires %s, reason %s%s%s; held: %s\n",
		      it->serial, it->user, sched, ends, ca_reason_name(it->reason),
		      it->task ? ", task " : "", it->task ? it->task : "", words);
}

/*
 * The review branch: the published tip plus one commit per held revocation, each adding
 * it to a plain-text listing. No CRL is signed for it: a CRL there would use a CRL
 * Number that the next published CRL uses again, and any server given that branch would
 * take it as superseding the published one and reject certificates still in use.
 */
static int held_commits(struct pub *p, const char *path)
{
	cd_buf text = {0};
	char out[41];
	size_t i;
	int rc = 0;

	cd_buf_printf(&text, "# Revocations certdesk holds for review. None of them is published, "
		      "and this file is not a CRL:\n# the CRL is %s, as on %s, where certdesk "
		      "publishes each of these once it is ready.\n", p->path, p->branch);
	for (i = 0; i < p->plan.n && rc == 0; i++) {
		publish_item *it = &p->plan.items[i];
		char *msg;

		if (it->ready)
			continue;
		held_line(&text, it);
		msg = revoke_message(it);
		p->sig.when = cd_now();
		rc = crlrepo_commit(p->repo, p->head, path, text.s, text.len, msg, &p->sig, out);
		free(msg);
		if (rc == 0)
			memcpy(p->head, out, 41), p->commits++;
	}
	cd_buf_free(&text);
	return rc;
}

static int publish_pending(struct pub *p)
{
	char *path;
	int rc;

	if (!p->tip[0])
		return 0;
	memcpy(p->head, p->tip, 41);
	p->commits = 0;
	path = cd_asprintf("%s" HELD_SUFFIX, p->path);
	rc = held_commits(p, path);
	if (rc == 0)
		rc = crlrepo_push(p->repo, p->head, PUBLISH_PENDING_BRANCH, 1);
	if (rc < 0)
		cd_err("the revocations are published, but the review branch %s could not be "
		       "updated: %s", PUBLISH_PENDING_BRANCH, cd_errmsg());
	else if ((p->res->held = p->commits))
		say(p, "review branch %s: %zu held revocation%s listed in %s on top of %s",
		    PUBLISH_PENDING_BRANCH, p->commits, p->commits == 1 ? "" : "s", path,
		    p->branch);
	free(path);
	return rc < 0 ? -1 : 0;
}

static void report_outcome(struct pub *p)
{
	char next[16];

	date_of(p->last.next_update, next);
	if (p->res->published)
		say(p, "published %zu revocation%s; the CRL is valid until %s", p->res->published,
		    p->res->published == 1 ? "" : "s", next);
	else if (p->res->refreshed)
		say(p, "published a freshly signed CRL, valid until %s", next);
	else if (p->have_last)
		say(p, "nothing new to publish; the published CRL is valid until %s", next);
}

static void say_line(void *ctx, const char *line)
{
	say(ctx, "%s", line);
}

/* The CAs whose last certificate has ended stop signing; the dry run says which would. */
static int retire_ended(struct pub *p)
{
	return desk_ca_retire_ended(p->d, p->o->dry_run, say_line, p);
}

int publish_run(desk *d, const publish_opts *o, publish_result *res)
{
	struct pub p = {0};
	int lock = -1, rc = -1;

	memset(res, 0, sizeof *res);
	p.d = d, p.o = o, p.res = res;
	/* The dry run is what the read-only view and --as-of may see; anything more is
	 * refused before a plan it cannot carry out. */
	if ((!o->dry_run && desk_writable(d, "publish") < 0) || pub_setup(&p) < 0 ||
	    reload(&p) < 0)
		goto out;
	report_plan(&p);
	if (o->dry_run && retire_ended(&p) < 0)
		goto out;
	if (o->dry_run) {
		if (!*p.remote)
			say(&p, "note: no CRL repository is configured yet, so publish would stop "
			    "here: certdesk config crl.remote URL");
		rc = 0;
		goto out;
	}
	if ((lock = take_publish_lock(d)) < 0 || desk_signing(d) < 0 ||
	    open_repo(d, p.remote, &p, &p.repo) < 0)
		goto out;
	p.shown = cd_mask_urls(p.remote);
	/* The plan is re-read under the lock: another publish may just have finished. */
	if (retire_ended(&p) < 0 || reload(&p) < 0 || publish_main(&p) < 0 || reload(&p) < 0)
		goto out;
	report_outcome(&p);
	rc = publish_pending(&p);
out:
	if (lock >= 0)
		close(lock);
	pub_free(&p);
	return rc;
}

/* ---- state, the published CRL, health ---- */

int publish_state_get(desk *d, publish_state *s)
{
	publish_plan pl;
	store_crl last;
	int found;

	memset(s, 0, sizeof *s);
	if (store_crl_last(d->st, &last, &found) < 0 || publish_plan_get(d, &pl) < 0)
		return -1;
	s->published = found;
	s->number = last.number;
	s->next_update = last.next_update;
	s->ready = pl.ready;
	s->held = pl.held;
	publish_plan_free(&pl);
	return 0;
}

static int read_published(desk *d, const store_crl *last, char **pem, size_t *len)
{
	char *remote = NULL, *path = NULL;
	crlrepo *r = NULL;
	int found = 0, rc = -1;

	if (setting(d, "crl.remote", &remote) == 0 && setting(d, "crl.path", &path) == 0) {
		if (!*remote)
			cd_err("no CRL repository configured: certdesk config crl.remote URL");
		else if (open_repo(d, remote, NULL, &r) == 0 &&
			 crlrepo_read(r, last->commit_id, path, pem, len, &found) == 0)
			rc = found ? 0 : cd_err("%s is missing from commit %.12s", path,
						last->commit_id);
	}
	crlrepo_close(r);
	free(remote);
	free(path);
	return rc;
}

/* Nothing published yet: a fresh CRL, its number recorded (unpublished) so it grows. */
static int sign_fresh(desk *d, char **pem, size_t *len)
{
	rev_list l = {0};
	long days = conf_get_int(d->st, "crl.days");
	int64_t number, now;
	int rc = -1;

	if (desk_signing(d) < 0 || list_published(d, &l) < 0 ||
	    store_crl_fresh_number(d->st, &number) < 0)
		goto out;
	/* The dates as ca_sign_crl sets them (to the second): parsing back a CRL of
	 * 100,000 entries would cost a third of the signing. */
	now = cd_now();
	if (ca_sign_crl(d->ca, l.v, l.n, number, (int)days, pem) < 0)
		goto out;
	*len = strlen(*pem);
	if (store_begin(d->st) < 0)
		goto out;
	rc = store_end(d->st, store_crl_record(d->st, number, now, now + days * CD_DAY, NULL, 0));
out:
	if (rc < 0) {
		free(*pem);
		*pem = NULL;
	}
	list_reset(&l);
	free(l.v);
	return rc;
}

/*
 * The first CRL, signed before anything was published: under the publish lock, and
 * only when no publish has signed a CRL it did not record (pushed, then killed): that
 * one may revoke more, and a CRL numbered above it with less would lift its
 * revocations wherever it is deployed.
 */
static int sign_first(desk *d, char **pem, size_t *len, int *signed_here)
{
	int64_t recorded, fresh;
	store_crl last;
	int lock, found, rc = -1;

	if (desk_writable(d, "sign a first CRL") < 0 || (lock = take_publish_lock(d)) < 0)
		return -1;
	/* Re-read under the lock: a publish may have finished meanwhile. */
	if (store_crl_last(d->st, &last, &found) < 0 ||
	    store_crl_next_number(d->st, &recorded) < 0 ||
	    store_crl_fresh_number(d->st, &fresh) < 0)
		goto out;
	*signed_here = !(found && last.commit_id[0]);
	if (!*signed_here)
		rc = read_published(d, &last, pem, len);
	else if (fresh > recorded)
		cd_err("a publish signed CRL Number %lld and did not record it (killed after its "
		       "push, or refused): run certdesk publish first", (long long)(fresh - 1));
	else
		rc = sign_fresh(d, pem, len);
out:
	close(lock);
	return rc;
}

int publish_crl_pem(desk *d, char **pem, size_t *len, int *fresh)
{
	store_crl last;
	int found;

	*pem = NULL;
	*len = 0;
	*fresh = 0;
	if (store_crl_last(d->st, &last, &found) < 0)
		return -1;
	if (found && last.commit_id[0])
		return read_published(d, &last, pem, len);
	return sign_first(d, pem, len, fresh);
}

static void add_alarm(publish_alarms *h, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_alarm(publish_alarms *h, int level, const char *fmt, ...)
{
	publish_alarm *a = &h->items[h->n++];
	va_list ap;

	a->level = level;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	if (level > h->worst)
		h->worst = level;
}

static int crl_health(desk *d, publish_alarms *h)
{
	store_crl last;
	char when[16];
	int found;
	int64_t left, days;

	if (store_crl_last(d->st, &last, &found) < 0)
		return -1;
	if (!found)
		return 0;
	date_of(last.next_update, when);
	left = last.next_update - d->now;
	days = cd_days_until(last.next_update, d->now);
	if (left <= 0)
		add_alarm(h, 2, "CRL EXPIRED on %s: every client certificate is being rejected; run "
		      "'certdesk publish' now", when);
	else if (left <= conf_get_int(d->st, "crl.refresh_days") * CD_DAY)
		add_alarm(h, 1, "the published CRL expires on %s (in %lld day%s): run 'certdesk "
		      "publish' (a daily cron job re-signs it in time)", when, (long long)days,
		      days == 1 ? "" : "s");
	return 0;
}

static void ca_health(desk *d, publish_alarms *h)
{
	int64_t end = ca_not_after(d->ca);
	char when[16];

	date_of(end, when);
	if (end <= d->now)
		add_alarm(h, 2, "the CA certificate expired on %s: no client certificate is valid; "
			  "run 'certdesk ca renew'", when);
	else if (end - d->now <= conf_get_int(d->st, "ca.warn_days") * CD_DAY)
		add_alarm(h, 1, "the CA certificate expires on %s (in %lld days): run 'certdesk ca "
			  "renew' and give the servers the new CA certificate", when,
			  (long long)cd_days_until(end, d->now));
}

int publish_health(desk *d, publish_alarms *h)
{
	memset(h, 0, sizeof *h);
	if (crl_health(d, h) < 0)
		return -1;
	ca_health(d, h);
	return 0;
}
