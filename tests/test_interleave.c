/* test_interleave.c: the promise certdesk exists for, checked on every interleaving of
 * three users' events rather than on examples: publishing a revocation never locks out a
 * user who has not installed their renewed certificate, every plain revocation reaches
 * the CRL, and nothing once published leaves it.
 *
 * The events: notify, renew, applied by hand (desk_applied), applied as seen in a log
 * (`certdesk seen`), the expiry of the original certificates, a plain revocation, and
 * publish. The sequences are enumerated depth first up to SEQ_MAX events, pruned to the
 * events that change something (a second notify, a third renewal, two publishes in a row
 * are left out), with the users taken in order of first appearance (they are alike, so
 * a sequence and its renaming need not both run). After each event, every event the
 * judge says the core must refuse for that user (for every user after an expiry or a
 * publish) is tried: it must be refused and leave the user's row as it was.
 *
 * The judge is this file's own account of the certificates (struct oracle): which were
 * replaced, superseded before being installed, applied, revoked for good; from it, the
 * exact set of serials a CRL published at that point must hold. It never asks the core.
 * A listed serial it does not expect is an early revocation, and a LOCKOUT when it is
 * the certificate the user is using (the last one installed), valid and not revoked.
 *
 * Two runs. The pure run plays every sequence on store_row values built here, through
 * the rule of cycle.h (cycle_renewal_open drives what each action accepts, as desk.c
 * uses it; cycle_ready decides what a publish takes). The real run plays an even sample
 * of them (those with at most one notify, which changes no CRL) on the real core
 * (desk_*, publish_run) on a home made by `certdesk init` with a bare git repository as
 * crl.remote, both copied afresh for each sequence, and reads the CRL on that
 * repository's main with OpenSSL: it must verify against the CA and hold exactly the
 * serials the judge expects. Seen is refused-checked once, at the end of a sequence,
 * in one `certdesk seen` process: it is the slow event.
 *
 * Time: the originals are issued for one day. Their expiry is simulated by moving d->now
 * (which starts as the clock) past the latest original's notAfter, without desk_judge_on
 * (that would make the desk a read-only plan). That is what the core judges expiry on:
 * publish_plan_get passes d->now to cycle_ready, and desk_renewal_open uses d->now; the
 * clock (cd_now) only stamps what is written and the CRL's own dates, which no check
 * here reads. `certdesk seen`, a separate process on the clock, does not judge on time
 * (it waits for any unapplied renewal). Renewals are issued for the default 365 days
 * and never expire here. Nothing depends on today's date.
 */
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "cycle.h"
#include "desk.h"
#include "publish.h"
#include "testlib.h"
#include "util.h"

#define NUSERS 3
#define SEQ_MAX 7      /* events per sequence */
#define RENEWS_MAX 2   /* per user */
#define CERTS_MAX (1 + RENEWS_MAX)
#define REAL_RUNS 200  /* sequences the real run plays (INTERLEAVE_REAL=N changes it) */
#define FAILS_MAX 16   /* distinct failures kept, each with its shortest sequence */

enum ev_kind { EV_NOTIFY, EV_RENEW, EV_APPLY, EV_SEEN, EV_REVOKE, EV_EXPIRE, EV_PUBLISH, EV_KINDS };
static const char ev_letter[EV_KINDS] = {'N', 'R', 'A', 'S', 'V', 'X', 'P'};
/* The events of one user; expiry and publish concern everyone. */
#define USER_KINDS EV_EXPIRE

typedef struct {
	unsigned char kind, user;
} event;

typedef struct {
	event e[SEQ_MAX + 1]; /* + 1: a refused event tried after them */
	int n;
} seq;

/* ---- the judge ---- */

typedef struct {
	int pred;           /* the certificate it replaced, -1 for the original */
	int applied;        /* marked installed */
	int plain;          /* revoked by the operator (a leaver, or the old one with it) */
	int superseded;     /* replaced again before it was installed */
	int replaced;       /* a renewal replaced it */
	int later_applied;  /* a later certificate of the user was installed */
	int published;
	int64_t id;
	char serial[80];
} ocert;

typedef struct {
	ocert c[CERTS_MAX];
	int n, cur, revoked, notified, renews, touched;
} ouser;

typedef struct {
	ouser u[NUSERS];
	int expired, dirty;
} oracle;

static const char *const user_names[NUSERS] = {"ann", "bob", "cy"};

/* A renewal waits to be installed: the one it replaced is not in the CRL yet. */
static int o_pending(const ouser *u)
{
	const ocert *c = &u->c[u->cur];

	return c->pred >= 0 && !u->c[c->pred].published && !c->applied;
}

/* Only the originals expire here. */
static int o_expired(const oracle *o, int i)
{
	return i == 0 && o->expired;
}

/* The renewal is under way: its old certificate still valid, or the new one unused. */
static int o_open(const oracle *o, const ouser *u)
{
	const ocert *c = &u->c[u->cur];

	return c->pred >= 0 && !u->c[c->pred].published &&
	       (!o_expired(o, c->pred) || !c->applied);
}

/* Whether a CRL published now must list the certificate (and may list nothing else). */
static int o_expected(const oracle *o, const ouser *u, int i)
{
	const ocert *c = &u->c[i];

	return c->plain || c->superseded ||
	       (c->replaced && (c->later_applied || o_expired(o, i)));
}

/* The certificate the user is known to be using: the last one installed. */
static int o_in_use(const ouser *u)
{
	int i;

	for (i = u->n - 1; i > 0; i--)
		if (u->c[i].applied)
			return i;
	return 0;
}

static int o_accepts(const oracle *o, event e)
{
	const ouser *u = &o->u[e.user];

	switch (e.kind) {
	case EV_NOTIFY:
	case EV_RENEW:
	case EV_REVOKE:
		return !u->revoked;
	case EV_APPLY:
	case EV_SEEN:
		return !u->revoked && o_pending(u);
	default:
		return 1;
	}
}

static void o_renew(ouser *u, int64_t id, const char *serial)
{
	ocert *c = &u->c[u->cur], *n = &u->c[u->n];

	memset(n, 0, sizeof *n);
	if (o_pending(u)) {
		c->superseded = 1;
		n->pred = c->pred;
	} else {
		c->replaced = 1;
		n->pred = u->cur;
	}
	n->id = id;
	snprintf(n->serial, sizeof n->serial, "%s", serial);
	u->cur = u->n++;
	u->renews++;
	u->notified = 0;
}

static void o_publish(oracle *o)
{
	int i, k;

	for (i = 0; i < NUSERS; i++)
		for (k = 0; k < o->u[i].n; k++)
			if (o_expected(o, &o->u[i], k))
				o->u[i].c[k].published = 1;
	o->dirty = 0;
}

/* The judge's account after an accepted event (a renewal's new certificate given). */
static void o_apply(oracle *o, event e, int64_t id, const char *serial)
{
	ouser *u = &o->u[e.user];
	int i;

	if (e.kind == EV_PUBLISH)
		return o_publish(o);
	o->dirty = 1;
	if (e.kind == EV_EXPIRE) {
		o->expired = 1;
		return;
	}
	u->touched = 1;
	if (e.kind == EV_NOTIFY) {
		u->notified = 1;
	} else if (e.kind == EV_RENEW) {
		o_renew(u, id, serial);
	} else if (e.kind == EV_APPLY || e.kind == EV_SEEN) {
		u->c[u->cur].applied = 1;
		for (i = 0; i < u->cur; i++)
			u->c[i].later_applied = 1;
	} else if (e.kind == EV_REVOKE) {
		if (o_open(o, u))
			u->c[u->c[u->cur].pred].plain = 1;
		u->c[u->cur].plain = 1;
		u->revoked = 1;
	}
}

/* The events worth enumerating next: accepted, and changing something. */
static int o_enabled(const oracle *o, event e)
{
	const ouser *u = &o->u[e.user];

	if (e.kind == EV_EXPIRE)
		return !o->expired;
	if (e.kind == EV_PUBLISH)
		return o->dirty;
	if (e.user > 0 && !o->u[e.user - 1].touched)
		return 0;
	if (!o_accepts(o, e))
		return 0;
	return (e.kind != EV_NOTIFY || !u->notified) &&
	       (e.kind != EV_RENEW || u->renews < RENEWS_MAX);
}

static void o_init(oracle *o)
{
	int i;

	memset(o, 0, sizeof *o);
	for (i = 0; i < NUSERS; i++) {
		o->u[i].n = 1;
		o->u[i].c[0].pred = -1;
	}
}

/* ---- failures: each distinct one with the shortest sequence showing it ---- */

typedef struct {
	char what[200];
	char seq[80];
	int len;
	long count;
} fail;

typedef struct {
	fail f[FAILS_MAX];
	int n;
	long total;
} fails;

static void seq_format(const seq *s, int upto, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < upto && len + 4 < size; i++) {
		event e = s->e[i];
		len += (size_t)snprintf(buf + len, size - len, "%s%c", i ? " " : "",
					ev_letter[e.kind]);
		if (e.kind < USER_KINDS)
			len += (size_t)snprintf(buf + len, size - len, "%d", e.user);
	}
}

/* Records a failure of the sequence's first `upto` events (a refusal check counts as
 * one more event). */
static void fail_at(fails *fs, const seq *s, int upto, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail_at(fails *fs, const seq *s, int upto, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	fail *f = NULL;
	int i;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	fs->total++;
	for (i = 0; i < fs->n && !f; i++)
		if (strcmp(fs->f[i].what, what) == 0)
			f = &fs->f[i];
	if (!f && fs->n == FAILS_MAX)
		return;
	if (!f) {
		f = &fs->f[fs->n++];
		snprintf(f->what, sizeof f->what, "%s", what);
		f->len = SEQ_MAX + 2;
	}
	f->count++;
	if (upto < f->len) {
		f->len = upto;
		seq_format(s, upto, f->seq, sizeof f->seq);
	}
}

static void fails_report(const fails *fs, const char *run)
{
	int i;

	if (fs->n)
		fprintf(stderr, "\n%s run failures (N notify, R renew, A applied, S seen in a log, "
			"V revoke, X the originals expire, P publish; the digit is the user):", run);
	for (i = 0; i < fs->n; i++)
		fprintf(stderr, "\n%s run: %s\n  %ld time(s); shortest sequence: %s\n", run,
			fs->f[i].what, fs->f[i].count, fs->f[i].seq);
	CU_ASSERT_EQUAL(fs->total, 0);
}

/* ---- the CRL against the judge (both runs) ---- */

/* Serials of a CRL (a value, so that the pure run's walk copies it at each step). */
#define SERIALS_MAX 32
typedef struct {
	char v[SERIALS_MAX][48];
	size_t n;
} serials;

static void serials_add(serials *s, const char *serial)
{
	if (s->n == SERIALS_MAX)
		CU_FAIL_FATAL("more serials than SERIALS_MAX");
	snprintf(s->v[s->n++], sizeof *s->v, "%s", serial);
}

static int serials_has(const serials *s, const char *serial)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], serial) == 0)
			return 1;
	return 0;
}

/* Which user and certificate a serial is, in the judge's account. */
static const ocert *o_find(const oracle *o, const char *serial, int *user, int *idx)
{
	int i, k;

	for (i = 0; i < NUSERS; i++)
		for (k = 0; k < o->u[i].n; k++)
			if (strcmp(o->u[i].c[k].serial, serial) == 0) {
				*user = i, *idx = k;
				return &o->u[i].c[k];
			}
	return NULL;
}

/* Every serial the CRL lists must be expected: one that is not, and is the certificate
 * its user is using, not expired, not revoked for good, locks that user out. */
static void check_listed(const oracle *o, const serials *crl, fails *fs, const seq *s, int at)
{
	size_t i;
	int u, k;

	for (i = 0; i < crl->n; i++) {
		if (!o_find(o, crl->v[i], &u, &k)) {
			fail_at(fs, s, at, "the CRL lists a serial no user has");
		} else if (!o_expected(o, &o->u[u], k)) {
			int lockout = k == o_in_use(&o->u[u]) && !o->u[u].revoked;
			fail_at(fs, s, at, "%s: the CRL lists user %d's certificate #%d %s", lockout ?
				"LOCKOUT" : "early revocation", u, k, lockout ?
				"(the one in use, valid, not revoked for good)" :
				"before it is safe to");
		}
	}
}

/* Every expected serial must be listed, and every serial an earlier CRL listed. */
static void check_crl(const oracle *o, const serials *crl, serials *before, fails *fs,
		      const seq *s, int at)
{
	size_t j;
	int i, k;

	check_listed(o, crl, fs, s, at);
	for (i = 0; i < NUSERS; i++)
		for (k = 0; k < o->u[i].n; k++)
			if (o_expected(o, &o->u[i], k) && !serials_has(crl, o->u[i].c[k].serial))
				fail_at(fs, s, at, "the CRL misses user %d's certificate #%d (%s)", i,
					k, o->u[i].c[k].plain ? "a plain revocation" :
					"a revocation that is safe");
	for (j = 0; j < before->n; j++)
		if (!serials_has(crl, before->v[j]))
			fail_at(fs, s, at, "a serial once published left the CRL");
	for (j = 0; j < crl->n; j++)
		if (!serials_has(before, crl->v[j]))
			serials_add(before, crl->v[j]);
}

/* ---- the pure run: the rule of cycle.h on rows built here ---- */

#define PURE_CLOCK 1800000000LL /* any fixed moment: the pure run reads no clock */
#define WINDOW (14 * CD_DAY)

/* The database as the pure run keeps it: each user's certificates, oldest first, with
 * room for one renewal more than the walk makes: one the rule accepts wrongly. */
typedef struct {
	store_cert c[NUSERS][CERTS_MAX + 1];
	int n[NUSERS], cur[NUSERS];
	int64_t now;
} pstore;

static store_cert *p_by_id(pstore *ps, int u, int64_t id)
{
	int i;

	for (i = 0; i < ps->n[u]; i++)
		if (ps->c[u][i].id == id)
			return &ps->c[u][i];
	return NULL;
}

static store_row p_row(pstore *ps, int u)
{
	store_row r = {0};
	const store_cert *old;

	r.u.name = user_names[u];
	r.cur = ps->c[u][ps->cur[u]];
	if ((old = p_by_id(ps, u, r.cur.replaces)))
		r.old = *old;
	return r;
}

/* As store_cert_schedule_revoke: the first time stays, forced only ever grows. */
static void p_schedule(store_cert *c, int64_t at, int reason, int forced)
{
	if (!c->revoke_at)
		c->revoke_at = at;
	c->revoke_reason = reason;
	c->revoke_forced |= forced;
}

static int64_t p_issue(pstore *ps, int u, int64_t replaces, int64_t days)
{
	store_cert *c = &ps->c[u][ps->n[u]];

	CU_ASSERT_FATAL(ps->n[u] <= CERTS_MAX);
	memset(c, 0, sizeof *c);
	c->id = u * (CERTS_MAX + 1) + ps->n[u] + 1;
	c->user_id = u + 1;
	c->replaces = replaces;
	c->issued_at = c->not_before = PURE_CLOCK;
	c->not_after = PURE_CLOCK + days * CD_DAY;
	ps->cur[u] = ps->n[u]++;
	return c->id;
}

/* desk_renew's decision: a second renewal before the first was installed replaces the
 * old certificate again and revokes the unused one at once. */
static int p_renew(pstore *ps, int u, int64_t *id)
{
	store_row r = p_row(ps, u);
	int open = cycle_renewal_open(&r, ps->now, WINDOW);
	int again = open && !r.cur.applied_at;
	store_cert *cur = &ps->c[u][ps->cur[u]];

	if (r.cur.revoke_at && !open)
		return 0;
	p_schedule(again ? p_by_id(ps, u, r.old.id) : cur, ps->now, CA_REASON_SUPERSEDED, 0);
	if (again)
		p_schedule(cur, ps->now, CA_REASON_SUPERSEDED, 0);
	*id = p_issue(ps, u, again ? r.old.id : r.cur.id, 365);
	return 1;
}

/* desk_revoke's decision: during a renewal the old certificate goes too, at once. */
static int p_revoke(pstore *ps, int u)
{
	store_row r = p_row(ps, u);
	int open = cycle_renewal_open(&r, ps->now, WINDOW);

	if (r.cur.revoke_at && !open)
		return 0;
	p_schedule(&ps->c[u][ps->cur[u]], ps->now, CA_REASON_UNSPECIFIED, 0);
	if (open)
		p_schedule(p_by_id(ps, u, r.old.id), ps->now, CA_REASON_UNSPECIFIED, 1);
	return 1;
}

/* desk_applied's and `certdesk seen`'s decisions, and notify's. */
static int p_mark(pstore *ps, int u, int kind)
{
	store_row r = p_row(ps, u);
	int open = cycle_renewal_open(&r, ps->now, WINDOW);
	store_cert *cur = &ps->c[u][ps->cur[u]];

	if (kind == EV_NOTIFY) {
		store_cert *c = open ? p_by_id(ps, u, r.old.id) : cur;
		if (r.cur.revoke_at && c == cur)
			return 0;
		c->notified_at = ps->now;
		return 1;
	}
	if (kind == EV_APPLY ? !open || r.cur.revoke_at || r.cur.applied_at :
	    !r.old.id || r.old.published_at || r.cur.applied_at || r.cur.revoke_at)
		return 0;
	cur->applied_at = ps->now;
	return 1;
}

/* The newest certificate replacing c, as store_revocations_pending pairs them. */
static store_cert p_replacement(pstore *ps, int u, int64_t id)
{
	store_cert none = {0};
	int i;

	for (i = ps->n[u] - 1; i >= 0; i--)
		if (ps->c[u][i].replaces == id)
			return ps->c[u][i];
	return none;
}

/* publish_run's choice: the plan is judged once, then every ready one is published. */
static void p_publish(pstore *ps, serials *crl)
{
	int ready[NUSERS][CERTS_MAX + 1] = {{0}}, u, i;
	cycle_readiness rd;
	char hex[48];

	for (u = 0; u < NUSERS; u++)
		for (i = 0; i < ps->n[u]; i++) {
			store_row p = {0};
			if (!ps->c[u][i].revoke_at || ps->c[u][i].published_at)
				continue;
			p.u.name = user_names[u];
			p.cur = ps->c[u][i];
			p.old = p_replacement(ps, u, p.cur.id);
			cycle_ready(&p, ps->now, &rd);
			ready[u][i] = rd.ready;
		}
	crl->n = 0;
	for (u = 0; u < NUSERS; u++)
		for (i = 0; i < ps->n[u]; i++) {
			if (ready[u][i])
				ps->c[u][i].published_at = ps->now;
			snprintf(hex, sizeof hex, "%llX", (long long)ps->c[u][i].id);
			if (ps->c[u][i].published_at)
				serials_add(crl, hex);
		}
}

/* One event on the pure store: 1 accepted, 0 refused; *id: a renewal's certificate,
 * *crl: what a publish leaves published. */
static int p_event(pstore *ps, event e, int64_t *id, serials *crl)
{
	switch (e.kind) {
	case EV_RENEW:
		return p_renew(ps, e.user, id);
	case EV_REVOKE:
		return p_revoke(ps, e.user);
	case EV_EXPIRE:
		ps->now = PURE_CLOCK + CD_DAY + 60;
		return 1;
	case EV_PUBLISH:
		p_publish(ps, crl);
		return 1;
	default:
		return p_mark(ps, e.user, e.kind);
	}
}

static void p_init(pstore *ps, oracle *o)
{
	int u;

	memset(ps, 0, sizeof *ps);
	ps->now = PURE_CLOCK;
	o_init(o);
	for (u = 0; u < NUSERS; u++) {
		o->u[u].c[0].id = p_issue(ps, u, 0, 1);
		snprintf(o->u[u].c[0].serial, sizeof o->u[u].c[0].serial, "%llX",
			 (long long)o->u[u].c[0].id);
	}
}

/* ---- the walk over every sequence ---- */

typedef struct {
	seq *v;
	size_t n, cap;
} seq_list;

typedef struct {
	fails f;
	seq s;
	seq_list all;  /* every sequence ending in a publish, for the real run */
	long steps;
} walk;

/* Each event the judge says must be refused for user u, tried on a copy. */
static void p_refusals(walk *w, const oracle *o, const pstore *ps, int u, int depth)
{
	int k;

	for (k = 0; k < USER_KINDS; k++) {
		event e = {(unsigned char)k, (unsigned char)u};
		pstore copy = *ps;
		int64_t id = 0;
		serials crl;

		if (o_accepts(o, e))
			continue;
		w->s.e[depth] = e;
		if (p_event(&copy, e, &id, &crl) || memcmp(&copy, ps, sizeof copy) != 0)
			fail_at(&w->f, &w->s, depth + 1, "%c%d accepted, although it must be refused",
				ev_letter[k], u);
	}
}

/* Plays the sequence's last event; 0 when the walk must not go on from it. */
static int p_step(walk *w, oracle *o, pstore *ps, serials *before, int depth)
{
	event e = w->s.e[depth - 1];
	char serial[48];
	int64_t id = 0;
	serials crl;
	int u;

	w->steps++;
	if (!p_event(ps, e, &id, &crl)) {
		fail_at(&w->f, &w->s, depth, "%c refused, although it must be accepted",
			ev_letter[e.kind]);
		return 0;
	}
	snprintf(serial, sizeof serial, "%llX", (long long)id);
	o_apply(o, e, id, serial);
	if (e.kind == EV_PUBLISH)
		check_crl(o, &crl, before, &w->f, &w->s, depth);
	for (u = 0; u < NUSERS; u++)
		if (e.kind >= USER_KINDS || u == e.user)
			p_refusals(w, o, ps, u, depth);
	return 1;
}

static void seq_keep(seq_list *l, const seq *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = cd_realloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = *s;
}

/* live: the pure store still follows the judge. Once an event went wrong, the walk
 * goes on with the judge alone, so that the sequences do not depend on the rule. */
static void walk_from(walk *w, const oracle *o, const pstore *ps, const serials *before,
		      int depth, int live)
{
	int k, u, still;

	for (k = 0; k < EV_KINDS; k++)
		for (u = 0; u < (k < USER_KINDS ? NUSERS : 1); u++) {
			event e = {(unsigned char)k, (unsigned char)u};
			oracle o2 = *o;
			pstore p2 = *ps;
			serials b2 = *before;

			if (!o_enabled(o, e))
				continue;
			w->s.e[depth] = e;
			w->s.n = depth + 1;
			if (!(still = live && p_step(w, &o2, &p2, &b2, depth + 1)))
				o_apply(&o2, e, 0, "");
			if (k == EV_PUBLISH)
				seq_keep(&w->all, &w->s);
			if (depth + 1 < SEQ_MAX)
				walk_from(w, &o2, &p2, &b2, depth + 1, still);
		}
}

/* ---- the real run: the real core, a real home, a bare repository as crl.remote ---- */

typedef struct {
	char prep[600], run[600], home[700], remote[700], fresh[700], log[700];
	X509 *ca;
	int64_t expiry; /* past the latest original's notAfter */
	fails f;
} real;

/* Serials as OpenSSL prints them: uppercase hex, whole bytes, no leading zero byte. */
static void serial_norm(const BIGNUM *bn, char *out, size_t size)
{
	char *hex = BN_bn2hex(bn);

	snprintf(out, size, "%s", hex ? hex : "?");
	OPENSSL_free(hex);
}

static void serial_of_text(const char *text, char *out, size_t size)
{
	BIGNUM *bn = NULL;

	BN_hex2bn(&bn, text);
	serial_norm(bn, out, size);
	BN_free(bn);
}

/* The CRL on the bare repository's main, read and verified by OpenSSL itself. */
static int r_crl(real *r, serials *crl)
{
	tl_result t = tl_sh("git -C '%s' show main:crl.pem", r->remote);
	BIO *bio = BIO_new_mem_buf(t.out, -1);
	X509_CRL *x = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
	STACK_OF(X509_REVOKED) *rev = x ? X509_CRL_get_REVOKED(x) : NULL;
	int i, ok = t.status == 0 && x && X509_CRL_verify(x, X509_get0_pubkey(r->ca)) == 1 &&
		    X509_NAME_cmp(X509_CRL_get_issuer(x), X509_get_subject_name(r->ca)) == 0;

	crl->n = 0;
	for (i = 0; ok && i < sk_X509_REVOKED_num(rev); i++) {
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(
							sk_X509_REVOKED_value(rev, i)), NULL);
		char hex[48];
		serial_norm(bn, hex, sizeof hex);
		serials_add(crl, hex);
		BN_free(bn);
	}
	X509_CRL_free(x);
	BIO_free(bio);
	tl_free(&t);
	return ok ? 0 : -1;
}

/* What a refused action must leave alone: the user's row. */
static void r_fingerprint(desk *d, int u, int64_t v[12])
{
	desk_row row;
	const store_cert *c[2];
	int i, found = 0;

	memset(v, 0, 12 * sizeof *v);
	if (desk_get(d, user_names[u], &row, &found) < 0 || !found)
		return;
	c[0] = &row.r.cur, c[1] = &row.r.old;
	for (i = 0; i < 2; i++) {
		int64_t *w = v + 6 * i;
		w[0] = c[i]->id, w[1] = c[i]->applied_at, w[2] = c[i]->revoke_at;
		w[3] = c[i]->revoke_forced, w[4] = c[i]->notified_at, w[5] = c[i]->published_at;
	}
	desk_row_free(&row);
}

/* `certdesk seen` on a log naming the current certificate of each user in mask; returns
 * the mask of those it marked applied. */
static int r_seen(real *r, const oracle *o, int mask)
{
	FILE *fp = fopen(r->log, "w");
	tl_result t;
	char want[64];
	int u, hit = 0;

	CU_ASSERT_FATAL(fp != NULL);
	for (u = 0; u < NUSERS; u++)
		if (mask & 1 << u)
			fprintf(fp, "10.0.0.7 - %s ssl_client_serial=%s\n", user_names[u],
				o->u[u].c[o->u[u].cur].serial);
	fclose(fp);
	t = tl_cd(r->home, "seen", r->log, NULL);
	if (t.status != 0)
		fprintf(stderr, "\ncertdesk seen: exit %d: %s\n", t.status, t.err);
	for (u = 0; u < NUSERS; u++) {
		snprintf(want, sizeof want, "applied: %s ", user_names[u]);
		if (t.status == 0 && tl_contains(t.out, want))
			hit |= 1 << u;
	}
	tl_free(&t);
	return hit;
}

static int r_renew(real *r, desk *d, int u, int64_t *id, char *serial, size_t size)
{
	desk_fields f = {.out_dir = r->fresh};
	desk_issued is;
	desk_row row;

	if (desk_renew(d, user_names[u], &f, &is) < 0)
		return 0;
	serial_of_text(is.serial, serial, size);
	desk_issued_free(&is);
	CU_ASSERT_EQUAL_FATAL(desk_get_existing(d, user_names[u], &row), 0);
	*id = row.r.cur.id;
	desk_row_free(&row);
	return 1;
}

/* One event on the real core: 1 accepted, 0 refused. */
static int r_event(real *r, desk *d, const oracle *o, event e, int64_t *id, char *serial,
		   size_t size)
{
	const char *user = user_names[e.user];
	char *tl = NULL, *ml = NULL;
	publish_opts po = {0};
	publish_result res;
	int rc;

	switch (e.kind) {
	case EV_NOTIFY:
		rc = desk_notify(d, user, NULL, &tl, &ml);
		free(tl);
		free(ml);
		return rc == 0;
	case EV_RENEW:
		return r_renew(r, d, e.user, id, serial, size);
	case EV_APPLY:
		return desk_applied(d, user, "operator", 0) == 0;
	case EV_SEEN:
		return r_seen(r, o, 1 << e.user) == 1 << e.user;
	case EV_REVOKE:
		return desk_revoke(d, user, CA_REASON_UNSPECIFIED, 0) == 0;
	case EV_EXPIRE:
		d->now = r->expiry > d->now ? r->expiry : d->now;
		return 1;
	default:
		if ((rc = publish_run(d, &po, &res)) < 0)
			fprintf(stderr, "\npublish: %s\n", cd_errmsg());
		return rc == 0;
	}
}

/* Each event but seen that the judge says must be refused for user u, the one that
 * would do most harm first. 0 when one was accepted: the run cannot go on. */
static int r_refusals(real *r, desk *d, const oracle *o, const seq *played, int u)
{
	static const unsigned char kinds[] = {EV_RENEW, EV_REVOKE, EV_APPLY, EV_NOTIFY};
	int64_t before[12], after[12], id = 0;
	char serial[48];
	seq s = *played;
	size_t k;
	int took;

	for (k = 0; k < sizeof kinds; k++) {
		event e = {kinds[k], (unsigned char)u};
		if (o_accepts(o, e))
			continue;
		s.e[s.n] = e;
		r_fingerprint(d, u, before);
		took = r_event(r, d, o, e, &id, serial, sizeof serial);
		r_fingerprint(d, u, after);
		if (took || memcmp(before, after, sizeof before) != 0) {
			fail_at(&r->f, &s, s.n + 1, "%c%d %s, although it must be refused",
				ev_letter[e.kind], u, took ? "accepted" : "changed the user");
			return 0;
		}
	}
	return 1;
}

/* After an event of one user, that user's refusals; after expiry or a publish, all. */
static int r_refusals_after(real *r, desk *d, const oracle *o, const seq *s, int played,
			    event e)
{
	seq p = *s;
	int u;

	p.n = played;
	for (u = 0; u < NUSERS; u++)
		if ((e.kind >= USER_KINDS || u == e.user) && !r_refusals(r, d, o, &p, u))
			return 0;
	return 1;
}

/* Seen, for every user it must be refused for at the end: one `certdesk seen`. */
static void r_seen_refusals(real *r, desk *d, const oracle *o, const seq *played)
{
	int64_t before[NUSERS][12], after[NUSERS][12];
	seq s = *played;
	int u, mask = 0, hit;

	for (u = 0; u < NUSERS; u++)
		if (!o_accepts(o, (event){EV_SEEN, (unsigned char)u})) {
			mask |= 1 << u;
			r_fingerprint(d, u, before[u]);
		}
	if (!mask)
		return;
	hit = r_seen(r, o, mask);
	for (u = 0; u < NUSERS; u++) {
		if (!(mask & 1 << u))
			continue;
		r_fingerprint(d, u, after[u]);
		s.e[s.n] = (event){EV_SEEN, (unsigned char)u};
		if (hit & 1 << u || memcmp(before[u], after[u], sizeof before[u]) != 0)
			fail_at(&r->f, &s, s.n + 1, "S%d %s, although it must be refused", u,
				hit & 1 << u ? "accepted" : "changed the user");
	}
}

/* Plays event i of s and checks what follows from it; 0 when the run cannot go on. */
static int r_step(real *r, desk *d, oracle *o, serials *before, seq *s, int i)
{
	event e = s->e[i];
	char serial[48] = "";
	int64_t id = 0;
	serials crl;

	if (!r_event(r, d, o, e, &id, serial, sizeof serial)) {
		fail_at(&r->f, s, i + 1, "%c refused, although it must be accepted",
			ev_letter[e.kind]);
		return 0;
	}
	o_apply(o, e, id, serial);
	if (e.kind == EV_PUBLISH) {
		if (r_crl(r, &crl) < 0)
			fail_at(&r->f, s, i + 1, "the published CRL is missing or does not verify");
		else
			check_crl(o, &crl, before, &r->f, s, i + 1);
	}
	return r_refusals_after(r, d, o, s, i + 1, e);
}

/* The judge's account of the prepared home: each user's original certificate. */
static void r_originals(real *r, desk *d, oracle *o)
{
	desk_row row;
	int u;

	o_init(o);
	r->expiry = 0;
	for (u = 0; u < NUSERS; u++) {
		CU_ASSERT_EQUAL_FATAL(desk_get_existing(d, user_names[u], &row), 0);
		o->u[u].c[0].id = row.r.cur.id;
		serial_of_text(row.r.cur.serial, o->u[u].c[0].serial, sizeof o->u[u].c[0].serial);
		if (row.r.cur.not_after + 60 > r->expiry)
			r->expiry = row.r.cur.not_after + 60;
		desk_row_free(&row);
	}
}

/* One sequence on a fresh copy of the prepared home and repository. */
static void r_sequence(real *r, const seq *given)
{
	seq s = *given;
	oracle o;
	serials before = {.n = 0};
	tl_result t = tl_sh("rm -rf '%s' && cp -a '%s' '%s'", r->run, r->prep, r->run);
	desk d;
	int i, going = 1;

	CU_ASSERT_EQUAL_FATAL(t.status, 0);
	tl_free(&t);
	if (desk_open(&d, r->home, 0) < 0) {
		fprintf(stderr, "\ndesk_open: %s\n", cd_errmsg());
		CU_FAIL_FATAL("desk_open");
	}
	r_originals(r, &d, &o);
	for (i = 0; i < s.n && going; i++)
		going = r_step(r, &d, &o, &before, &s, i);
	if (going)
		r_seen_refusals(r, &d, &o, &s);
	desk_close(&d);
}

static X509 *read_cert(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x = fp ? PEM_read_X509(fp, NULL, NULL, NULL) : NULL;

	if (fp)
		fclose(fp);
	return x;
}

static void r_paths(real *r)
{
	const char *base = tl_tmpdir();

	snprintf(r->prep, sizeof r->prep, "%s/prep", base);
	snprintf(r->run, sizeof r->run, "%s/run", base);
	snprintf(r->home, sizeof r->home, "%s/home", r->run);
	snprintf(r->remote, sizeof r->remote, "%s/remote.git", r->run);
	snprintf(r->fresh, sizeof r->fresh, "%s/new", r->run);
	snprintf(r->log, sizeof r->log, "%s/access.log", r->run);
}

static void r_users(real *r, desk *d, const char *out)
{
	int u;

	for (u = 0; u < NUSERS; u++) {
		char mail[64];
		desk_fields f = {.full_name = "Interleave User", .email = mail, .out_dir = out,
				 .days = 1};
		desk_issued is;
		snprintf(mail, sizeof mail, "%s@example.org", user_names[u]);
		CU_ASSERT_EQUAL_FATAL(desk_create(d, user_names[u], &f, &is), 0);
		desk_issued_free(&is);
	}
}

/*
 * The home every sequence starts from, a copy of: made by `certdesk init`, its crl.remote
 * a bare repository, the three users' one-day originals, and the initial CRL already
 * published (so that each sequence's first publish fetches rather than clones). Made
 * where the runs play, then copied aside: the paths it holds stay right.
 */
static void r_prepare(real *r)
{
	char out[700], url[800], *crt;
	publish_opts po = {0};
	publish_result res;
	tl_result t;
	desk d;

	r_paths(r);
	snprintf(out, sizeof out, "%s/out", r->run);
	snprintf(url, sizeof url, "file://%s", r->remote);
	t = tl_sh("mkdir -p '%s' '%s' && git init -q --bare -b main '%s'", out, r->fresh,
		  r->remote);
	CU_ASSERT_EQUAL_FATAL(t.status, 0);
	tl_free(&t);
	free(tl_cd_ok(r->home, TL_ARGS("init", "--cn", "Interleave CA")));
	free(tl_cd_ok(r->home, TL_ARGS("config", "crl.remote", url)));
	CU_ASSERT_EQUAL_FATAL(desk_open(&d, r->home, 0), 0);
	r_users(r, &d, out);
	CU_ASSERT_EQUAL_FATAL(publish_run(&d, &po, &res), 0);
	CU_ASSERT(res.refreshed);
	desk_close(&d);
	t = tl_sh("cp -a '%s' '%s'", r->run, r->prep);
	CU_ASSERT_EQUAL_FATAL(t.status, 0);
	tl_free(&t);
	crt = cd_asprintf("%s/ca/ca.crt", r->home);
	r->ca = read_cert(crt);
	free(crt);
	CU_ASSERT_FATAL(r->ca != NULL);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The sequences both tests play: every one, walked once on the pure rule. */
static walk *the_walk(void)
{
	static walk w;
	static int done;
	oracle o;
	pstore ps;
	serials before = {.n = 0};

	if (!done) {
		p_init(&ps, &o);
		walk_from(&w, &o, &ps, &before, 0, 1);
		done = 1;
	}
	return &w;
}

static void test_pure(void)
{
	struct timespec t0;
	walk *w;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	w = the_walk();
	printf("\n  pure run: %zu sequences ending in a publish (%ld events played), %.2f s ",
	       w->all.n, w->steps, seconds_since(&t0));
	CU_ASSERT(w->all.n > 1000);
	fails_report(&w->f, "pure");
}

/* How many sequences the real run plays: REAL_RUNS, or $INTERLEAVE_REAL. */
static size_t real_runs(size_t all)
{
	const char *env = getenv("INTERLEAVE_REAL");
	long n = env && *env ? atol(env) : REAL_RUNS;

	return n <= 0 || (size_t)n > all ? all : (size_t)n;
}

/* The sequences the real run samples from: notify changes no CRL, so at most one. */
static seq_list real_pool(const walk *w)
{
	seq_list l = {0};
	size_t i;
	int k, notifies;

	for (i = 0; i < w->all.n; i++) {
		for (k = notifies = 0; k < w->all.v[i].n; k++)
			notifies += w->all.v[i].e[k].kind == EV_NOTIFY;
		if (notifies <= 1)
			seq_keep(&l, &w->all.v[i]);
	}
	return l;
}

static void test_real(void)
{
	static real r;
	struct timespec t0;
	seq_list pool = real_pool(the_walk());
	size_t want = real_runs(pool.n), stride = pool.n / (want ? want : 1), i, ran = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r_prepare(&r);
	/* An even spread over the walk's order, which groups sequences by their start. */
	for (i = stride / 2; i < pool.n && ran < want; i += stride, ran++)
		r_sequence(&r, &pool.v[i]);
	printf("\n  real run: %zu of the %zu sequences with at most one notify, %.1f s ", ran,
	       pool.n, seconds_since(&t0));
	fails_report(&r.f, "real");
	X509_free(r.ca);
	free(pool.v);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"every interleaving on the pure rule (cycle.h)", test_pure},
		{"interleavings on the real core, the CRL read from git", test_real},
		CU_TEST_INFO_NULL,
	};
	static const tl_suite suites[] = {{"interleave", tests}, {NULL, NULL}};

	return tl_main(suites);
}
