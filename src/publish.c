/* publish.c: publishing safe revocations to the CRL's git repository. See publish.h.
 *
 * One run: lock, fetch, check the remote's history since the last CRL this home
 * recorded (someone else's change to the CRL file stops everything; our own commits
 * from an interrupted run are recorded instead of being made again), commit one CRL
 * per ready revocation on the remote tip, push, and only then record. A rejected push
 * means someone pushed first: fetch and rebuild. Commits are rebuilt from the database
 * on every attempt, so a rerun never duplicates one. */
#include "publish.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "conf.h"
#include "crlrepo.h"
#include "util.h"

#define PUSH_ATTEMPTS 5
#define REVOKE_SUBJECT "Revoke client certificate of "
#define REFRESH_SUBJECT "Refresh CRL (next update "
#define INITIAL_SUBJECT "Initial CRL (next update "
#define CA_WARN_DAYS 90

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
	long crl_days, refresh_days;
	crlrepo_sig sig;
	char email[320];
	store_crl last;
	int have_last;
	rev_list list;         /* the CRL's entries: published, then this run's */
	char tip[41];          /* the remote branch's tip, "" when it has none */
	char head[41];         /* our new tip after the commits of this attempt */
	char (*commit_of)[41]; /* per plan item: the commit that first holds it */
	char *last_pem;        /* the last CRL signed in this attempt */
	int64_t number;        /* the next CRL Number */
	size_t commits;
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

static void list_reset(rev_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free((char *)l->v[i].serial);
	l->n = 0;
}

static void list_add(rev_list *l, const char *serial, int64_t at, int reason)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = cd_realloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].serial = cd_strdup(serial);
	l->v[l->n].revoked_at = at;
	l->v[l->n++].reason = reason;
}

static int list_add_cb(void *ctx, const char *serial, int64_t at, int reason)
{
	list_add(ctx, serial, at, reason);
	return 0;
}

static int list_has(const rev_list *l, const char *serial)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].serial, serial) == 0)
			return 1;
	return 0;
}

/* The list of published revocations, as the database has them now. */
static int list_load(struct pub *p)
{
	list_reset(&p->list);
	return store_revocations_published(p->d->st, list_add_cb, &p->list);
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
	    setting(d, "crl.path", &p->path) < 0)
		return -1;
	if (!*p->remote && !p->o->dry_run)
		return cd_err("no CRL repository configured: certdesk config crl.remote URL");
	p->crl_days = conf_get_int(d->st, "crl.days");
	p->refresh_days = conf_get_int(d->st, "crl.refresh_days");
	set_author(p);
	return 0;
}

/* The remote for messages: any password in user:password@ masked. */
static char *shown_url(const char *url)
{
	const char *auth = strstr(url, "://"), *at, *colon;

	if (!auth)
		return cd_strdup(url);
	auth += 3;
	at = strchr(auth, '@');
	colon = strchr(auth, ':');
	if (!at || !colon || colon > at || at > auth + strcspn(auth, "/"))
		return cd_strdup(url);
	return cd_asprintf("%.*s:***%s", (int)(colon - url), url, at);
}

static void pub_free(struct pub *p)
{
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
}

static int open_repo(desk *d, const char *remote, crlrepo **out)
{
	char *dir = cd_asprintf("%s/crl.git", d->home);
	int rc = crlrepo_open(dir, remote, out);

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

/* The serial a "Revoke client certificate of U (serial S)" subject names, or "". */
static void subject_serial(const char *msg, char out[80])
{
	const char *s, *e, *nl = msg + strcspn(msg, "\n");

	out[0] = '\0';
	if (strncmp(msg, REVOKE_SUBJECT, strlen(REVOKE_SUBJECT)) != 0)
		return;
	s = strstr(msg, " (serial ");
	if (!s || s > nl)
		return;
	s += 9;
	e = strchr(s, ')');
	if (e && e < nl && e - s > 0 && e - s < 80)
		snprintf(out, 80, "%.*s", (int)(e - s), s);
}

static publish_item *plan_find(publish_plan *pl, const char *serial)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		if (strcmp(pl->items[i].serial, serial) == 0)
			return &pl->items[i];
	return NULL;
}

static int foreign_change(struct pub *p, const hist_commit *c)
{
	size_t n = strcspn(c->message, "\n");

	return cd_err("%s in %s was changed by someone else in commit %.12s (\"%.*s\"): certdesk "
		      "will not overwrite a CRL it did not sign; revert that commit (or ask who "
		      "made it), then publish again", p->path, p->branch, c->id,
		      (int)(n > 60 ? 60 : n), c->message);
}

/* A commit that changed the CRL file must be one of ours, naming a serial we know. */
static int check_ours(struct pub *p, const hist_commit *c, publish_item **rec)
{
	char serial[80];

	*rec = NULL;
	if (!strncmp(c->message, REFRESH_SUBJECT, strlen(REFRESH_SUBJECT)) ||
	    !strncmp(c->message, INITIAL_SUBJECT, strlen(INITIAL_SUBJECT)))
		return 0;
	subject_serial(c->message, serial);
	if (!serial[0])
		return foreign_change(p, c);
	if ((*rec = plan_find(&p->plan, serial)) || list_has(&p->list, serial))
		return 0;
	return cd_err("commit %.12s in %s revokes serial %s, which this home never scheduled for "
		      "revocation: is another certdesk publishing there? Not overwriting it",
		      c->id, p->branch, serial);
}

static int same_file(const char *a, size_t alen, int afound, const char *b, size_t blen,
		     int bfound)
{
	return afound == bfound && alen == blen && (!afound || memcmp(a, b, alen) == 0);
}

struct recovery {
	publish_item **items;   /* recovered revocations */
	char (*commits)[41];
	size_t n;
	char newest[41];        /* our newest commit that changed the CRL file */
	char *pem;              /* and its CRL */
};

static int walk_changes(struct pub *p, const hist *h, struct recovery *rv)
{
	char *prev = NULL, *cur = NULL;
	size_t plen = 0, clen = 0, i;
	int pfound = 0, cfound = 0, rc = 0;
	publish_item *it;

	if (p->have_last && crlrepo_read(p->repo, p->last.commit_id, p->path, &prev, &plen,
					 &pfound) < 0)
		return -1;
	/* Oldest first: each commit is compared with its first parent. */
	for (i = h->n; i-- > 0 && rc == 0;) {
		if ((rc = crlrepo_read(p->repo, h->v[i].id, p->path, &cur, &clen, &cfound)) < 0)
			break;
		if (!same_file(prev, plen, pfound, cur, clen, cfound)) {
			if ((rc = check_ours(p, &h->v[i], &it)) == 0 && it) {
				rv->items[rv->n] = it;
				memcpy(rv->commits[rv->n++], h->v[i].id, 41);
			}
			memcpy(rv->newest, h->v[i].id, 41);
			free(rv->pem);
			rv->pem = cfound ? cd_strdup(cur) : NULL;
		}
		free(prev);
		prev = cur, plen = clen, pfound = cfound;
		cur = NULL;
	}
	free(prev);
	free(cur);
	return rc;
}

static int record_recovery(struct pub *p, const struct recovery *rv)
{
	ca_crl_info info;
	int64_t now = cd_now();
	size_t i;
	int rc;

	if (!rv->pem)
		return cd_err("commit %.12s removed %s; certdesk will not publish over that without "
			      "a look from the team", rv->newest, p->path);
	if (ca_crl_parse(rv->pem, strlen(rv->pem), &info) < 0 || store_begin(p->d->st) < 0)
		return -1;
	rc = store_crl_record(p->d->st, info.number, info.this_update, info.next_update,
			      rv->newest, now);
	for (i = 0; i < rv->n && rc == 0; i++)
		rc = store_revocation_published(p->d->st, rv->items[i]->cert_id, now,
						rv->commits[i]);
	if (rc == 0)
		rc = desk_audit(p->d, "publish", NULL, "recorded %zu revocation%s found on %s "
				"(pushed by an interrupted publish), CRL %lld", rv->n,
				rv->n == 1 ? "" : "s", p->branch, (long long)info.number);
	return rc == 0 ? store_commit(p->d->st) : (store_rollback(p->d->st), -1);
}

static int reload(struct pub *p)
{
	int found;

	publish_plan_free(&p->plan);
	if (publish_plan_get(p->d, &p->plan) < 0 || list_load(p) < 0 ||
	    store_crl_last(p->d->st, &p->last, &found) < 0)
		return -1;
	p->have_last = found && p->last.commit_id[0];
	free(p->commit_of);
	p->commit_of = cd_malloc((p->plan.n + 1) * sizeof *p->commit_of);
	return 0;
}

/* Records our own commits of an interrupted run (pushed, never recorded). */
static int recover(struct pub *p, const hist *h)
{
	struct recovery rv = {0};
	size_t i;
	int rc;

	rv.items = cd_malloc((h->n + 1) * sizeof *rv.items);
	rv.commits = cd_malloc((h->n + 1) * sizeof *rv.commits);
	rc = walk_changes(p, h, &rv);
	if (rc == 0 && rv.newest[0]) {
		rc = record_recovery(p, &rv);
		for (i = 0; i < rv.n && rc == 0; i++)
			say(p, "recorded: %s (serial %s) was already published in %.12s by an "
			    "interrupted run", rv.items[i]->user, rv.items[i]->serial, rv.commits[i]);
		if (rc == 0)
			p->res->recovered += rv.n, p->res->published += rv.n;
		if (rc == 0)
			rc = reload(p);
	}
	free(rv.pem);
	free(rv.items);
	free(rv.commits);
	return rc;
}

/*
 * A home that has never pushed (a new one, or one imported from an existing CA) meets
 * the CRL the team already keeps in the repository. It builds on that file when the CRL
 * is this CA's own and no newer than the last one the home knows of (the imported one):
 * the next CRL, numbered higher, supersedes it. Anything else is walked and judged.
 */
static int adopt_existing(struct pub *p, int *adopted)
{
	char *pem = NULL;
	size_t len = 0;
	int found = 0;
	int64_t next = 0;
	ca_crl_info info;

	*adopted = 0;
	if (crlrepo_read(p->repo, p->tip, p->path, &pem, &len, &found) < 0)
		return -1;
	if (found && ca_crl_signed_by(p->d->ca, pem, len) == 1 &&
	    ca_crl_parse(pem, len, &info) == 0 && store_crl_next_number(p->d->st, &next) == 0 &&
	    info.number < next) {
		*adopted = 1;
		say(p, "building on the CRL already in %s (CRL Number %lld, signed by this CA)",
		    p->path, (long long)info.number);
	}
	free(pem);
	return 0; /* not a CRL of ours: the history walk says what it is */
}

static int check_history(struct pub *p, int exists)
{
	hist h = {0};
	int rc, adopted;

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
	cd_buf_printf(&b, REVOKE_SUBJECT "%s (serial %s)\n\n", it->user, it->serial);
	cd_buf_printf(&b, "%s: %s.\nReason code: %s.\n\n", it->ready ? "Ready" : "Held",
		      words, ca_reason_name(it->reason));
	cd_buf_printf(&b, "Issued: %s\nExpires: %s\nRevocation scheduled: %s\n", issued, ends,
		      sched);
	if (!it->ready)
		cd_buf_printf(&b, "\nHeld for review only: this commit is not on the published "
			      "branch.\n");
	if (it->task)
		cd_buf_printf(&b, "\nBug: %s\n", it->task);
	return cd_buf_take(&b);
}

/* Signs the CRL of the current list and commits it on p->head. */
static int commit_crl(struct pub *p, const char *message)
{
	char *pem = NULL;
	char out[41];
	int rc;

	if (ca_sign_crl(p->d->ca, p->list.v, p->list.n, p->number, (int)p->crl_days, &pem) < 0)
		return -1;
	p->sig.when = cd_now();
	rc = crlrepo_commit(p->repo, p->head, p->path, pem, strlen(pem), message, &p->sig, out);
	if (rc < 0) {
		free(pem);
		return -1;
	}
	p->number++;
	p->commits++;
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
		list_add(&p->list, it->serial, it->revoke_at, it->reason);
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

/* Nothing new: re-sign when the CRL nears its nextUpdate, or make the first one. */
static int commit_refresh(struct pub *p)
{
	char next[16], *msg;
	int rc;

	if (p->have_last && p->last.next_update - cd_now() > p->refresh_days * CD_DAY)
		return 0;
	date_of(cd_now() + p->crl_days * CD_DAY, next);
	msg = cd_asprintf("%s%s)\n\n%s CRL of %zu revocation%s, signed %s.\n",
			  p->have_last ? REFRESH_SUBJECT : INITIAL_SUBJECT, next,
			  p->have_last ? "Re-signed the" : "The first", p->list.n,
			  p->list.n == 1 ? "" : "s", p->have_last ?
			  "because its nextUpdate is near" : "so the repository holds a CRL");
	rc = commit_crl(p, msg);
	if (rc == 0)
		say(p, "committed %.12s: %.*s", p->head, (int)strcspn(msg, "\n"), msg);
	free(msg);
	return rc;
}

/* One attempt on the remote's current tip: the commits, without pushing. */
static int build(struct pub *p)
{
	int64_t next;

	memcpy(p->head, p->tip, 41);
	p->commits = 0;
	if (store_crl_next_number(p->d->st, &next) < 0 || list_load(p) < 0)
		return -1;
	p->number = next;
	if (p->plan.ready)
		return commit_ready(p);
	return commit_refresh(p);
}

static int record(struct pub *p)
{
	ca_crl_info info;
	int64_t now = cd_now();
	size_t i, n = 0;
	int rc;

	if (ca_crl_parse(p->last_pem, strlen(p->last_pem), &info) < 0 || store_begin(p->d->st) < 0)
		return -1;
	rc = store_crl_record(p->d->st, info.number, info.this_update, info.next_update, p->head,
			      now);
	for (i = 0; i < p->plan.n && rc == 0; i++) {
		if (!p->plan.items[i].ready)
			continue;
		rc = store_revocation_published(p->d->st, p->plan.items[i].cert_id, now,
						p->commit_of[i]);
		n++;
	}
	if (rc == 0)
		rc = desk_audit(p->d, "publish", NULL, "%zu revocation%s, CRL %lld, commit %.12s on %s",
				n, n == 1 ? "" : "s", (long long)info.number, p->head, p->branch);
	if (rc < 0) {
		/* Left open, the transaction would lock every other writer out of the home. */
		store_rollback(p->d->st);
		return -1;
	}
	if (store_commit(p->d->st) < 0)
		return -1;
	p->res->published += n;
	p->res->commits += p->commits;
	p->res->refreshed = n == 0;
	return 0;
}

static int is_rejection(const char *msg)
{
	return strstr(msg, "rejected") || strstr(msg, "non-fast-forward") ||
	       strstr(msg, "fetch first");
}

/* fetch, check, build, push; again when someone pushed first. */
static int publish_main(struct pub *p)
{
	int attempt, exists, rc = -1;

	for (attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
		if (crlrepo_fetch(p->repo, p->branch, &exists, p->tip) < 0 ||
		    check_history(p, exists) < 0 || build(p) < 0)
			return -1;
		if (!p->commits)
			return 0;
		if ((rc = crlrepo_push(p->repo, p->head, p->branch, 0)) == 0)
			break;
		if (!is_rejection(cd_errmsg()))
			return -1;
		say(p, "someone pushed to %s first: fetching and rebuilding on the new tip",
		    p->branch);
	}
	if (rc < 0)
		return cd_err("%s: gave up after %d attempts", cd_errmsg(), PUSH_ATTEMPTS);
	say(p, "pushed %zu commit%s to %s of %s (now %.12s)", p->commits,
	    p->commits == 1 ? "" : "s", p->branch, p->shown, p->head);
	if (record(p) < 0)
		return cd_err("pushed to %s, but could not record it: %s; the next publish finds "
			      "the commits and records them", p->branch, cd_errmsg());
	memcpy(p->tip, p->head, 41);
	return 0;
}

/* The review branch: the published tip plus one commit per held revocation. */
static int publish_pending(struct pub *p)
{
	size_t i;
	int rc = 0;

	if (!p->tip[0])
		return 0;
	memcpy(p->head, p->tip, 41);
	p->commits = 0;
	for (i = 0; i < p->plan.n && rc == 0; i++) {
		publish_item *it = &p->plan.items[i];
		char *msg;

		if (it->ready)
			continue;
		list_add(&p->list, it->serial, it->revoke_at, it->reason);
		msg = revoke_message(it);
		rc = commit_crl(p, msg);
		free(msg);
	}
	if (rc == 0)
		rc = crlrepo_push(p->repo, p->head, PUBLISH_PENDING_BRANCH, 1);
	if (rc < 0)
		return cd_err("the revocations are published, but the review branch %s could not "
			      "be updated: %s", PUBLISH_PENDING_BRANCH, cd_errmsg());
	p->res->held = p->commits;
	if (p->commits)
		say(p, "review branch %s: %zu held revocation%s on top of %s",
		    PUBLISH_PENDING_BRANCH, p->commits, p->commits == 1 ? "" : "s", p->branch);
	return 0;
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

int publish_run(desk *d, const publish_opts *o, publish_result *res)
{
	struct pub p = {0};
	int lock = -1, rc = -1;

	memset(res, 0, sizeof *res);
	p.d = d, p.o = o, p.res = res;
	if (d->readonly)
		return cd_err("read-only: cannot publish");
	if (pub_setup(&p) < 0 || reload(&p) < 0)
		goto out;
	report_plan(&p);
	if (o->dry_run) {
		if (!*p.remote)
			say(&p, "note: no CRL repository is configured yet, so publish would stop "
			    "here: certdesk config crl.remote URL");
		rc = 0;
		goto out;
	}
	if ((lock = take_publish_lock(d)) < 0 || desk_signing(d) < 0 ||
	    open_repo(d, p.remote, &p.repo) < 0)
		goto out;
	p.shown = shown_url(p.remote);
	/* The plan is re-read under the lock: another publish may just have finished. */
	if (reload(&p) < 0 || publish_main(&p) < 0 || reload(&p) < 0)
		goto out;
	report_outcome(&p);
	if (store_crl_next_number(d->st, &p.number) < 0)
		goto out;
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
		else if (open_repo(d, remote, &r) == 0 &&
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

	if (desk_signing(d) < 0 || store_revocations_published(d->st, list_add_cb, &l) < 0 ||
	    store_crl_next_number(d->st, &number) < 0)
		goto out;
	/* The dates as ca_sign_crl sets them (to the second): parsing back a CRL of
	 * 100,000 entries would cost a third of the signing. */
	now = cd_now();
	if (ca_sign_crl(d->ca, l.v, l.n, number, (int)days, pem) < 0)
		goto out;
	*len = strlen(*pem);
	if (store_begin(d->st) < 0)
		goto out;
	if (store_crl_record(d->st, number, now, now + days * CD_DAY, NULL, 0) < 0) {
		store_rollback(d->st);
		goto out;
	}
	rc = store_commit(d->st);
out:
	if (rc < 0) {
		free(*pem);
		*pem = NULL;
	}
	list_reset(&l);
	free(l.v);
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
	*fresh = 1;
	return sign_fresh(d, pem, len);
}

static int crl_health(desk *d, FILE *out)
{
	store_crl last;
	char when[16];
	int found;
	int64_t left;

	if (store_crl_last(d->st, &last, &found) < 0)
		return -1;
	if (!found)
		return 0;
	date_of(last.next_update, when);
	left = last.next_update - d->now;
	if (left <= 0) {
		fprintf(out, "CRL EXPIRED on %s: every client certificate is being rejected; run "
			"'certdesk publish' now\n", when);
		return 2;
	}
	if (left > conf_get_int(d->st, "crl.refresh_days") * CD_DAY)
		return 0;
	fprintf(out, "the published CRL expires on %s (in %lld day%s): run 'certdesk publish' "
		"(a daily cron job re-signs it in time)\n", when,
		(long long)cd_days_until(last.next_update, d->now),
		cd_days_until(last.next_update, d->now) == 1 ? "" : "s");
	return 1;
}

static int ca_health(desk *d, FILE *out)
{
	int64_t end = ca_not_after(d->ca);
	char when[16];

	date_of(end, when);
	if (end <= d->now) {
		fprintf(out, "the CA certificate expired on %s: no client certificate is valid\n",
			when);
		return 2;
	}
	if (end - d->now > CA_WARN_DAYS * CD_DAY)
		return 0;
	fprintf(out, "the CA certificate expires on %s (in %lld days): plan a new CA\n", when,
		(long long)cd_days_until(end, d->now));
	return 1;
}

int publish_health(desk *d, FILE *out)
{
	int a = crl_health(d, out), b;

	if (a < 0)
		return -1;
	b = ca_health(d, out);
	return a > b ? a : b;
}
