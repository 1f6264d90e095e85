/* test_rules.c: the rules the core owns, checked against both front ends: which commands
 * apply to a user in each stage (the command line's refusal and the dashboard's hint and
 * status line say the same), how a certificate is described, and health at each
 * threshold (expirecheck and the dashboard header word it alike).
 *
 * One home holds a user in every stage. Time: the expired user's certificate lasts one
 * day, and the desk judges three days on (desk.now moved forward, as the dashboard does on
 * the clock); stages of the other users are the same on both days. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "conf.h"
#include "cycle.h"
#include "desk.h"
#include "publish.h"
#include "store.h"
#include "testlib.h"
#include "ui.h"
#include "util.h"

#define ARGS TL_ARGS
#define LATER (3 * CD_DAY)

static char home[600], out[700];

/* A user per stage, named so that none is part of another's name. */
static const struct {
	const char *user;
	cycle_stage stage;
} people[] = {
	{"alpha", STAGE_ACTIVE}, {"bravo", STAGE_EXPIRING}, {"charlie", STAGE_NOTIFIED},
	{"delta", STAGE_RENEWED}, {"echo", STAGE_APPLIED}, {"foxtrot", STAGE_DONE},
	{"golf", STAGE_REVOKED}, {"hotel", STAGE_EXPIRED},
};
#define NPEOPLE (sizeof people / sizeof *people)

/* What each stage allows of the commands that act on a user: 1 applies, 0 refused. */
static const struct {
	cycle_stage stage;
	int renew, revoke, notify, applied;
} allowed[] = {
	{STAGE_ACTIVE, 1, 1, 1, 0},   {STAGE_EXPIRING, 1, 1, 1, 0}, {STAGE_NOTIFIED, 1, 1, 1, 0},
	{STAGE_RENEWED, 1, 1, 1, 1},  {STAGE_APPLIED, 1, 1, 1, 0},  {STAGE_DONE, 1, 1, 1, 0},
	{STAGE_REVOKED, 0, 0, 0, 0},  {STAGE_EXPIRED, 1, 1, 1, 0},
};

static void create(const char *user, const char *days)
{
	char name[64], mail[64];

	snprintf(name, sizeof name, "%c%s Person", user[0] - 32, user + 1);
	snprintf(mail, sizeof mail, "%s@example.org", user);
	free(tl_cd_ok(home, ARGS("create", user, "--name", name, "--email", mail, "--out", out,
				 "--days", days)));
}

static void cd(const char *a, const char *b)
{
	free(tl_cd_ok(home, ARGS(a, b, "--out", out)));
}

static void setup_home(void)
{
	char remote[700];
	tl_result r;

	snprintf(home, sizeof home, "%s/home", tl_tmpdir());
	snprintf(out, sizeof out, "%s/out", home);
	snprintf(remote, sizeof remote, "%s.git", home);
	r = tl_sh("git init -q --bare -b main '%s' && mkdir -p '%s'", remote, out);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	free(tl_cd_ok(home, ARGS("init", "--cn", "Rules CA")));
	free(tl_cd_ok(home, ARGS("config", "crl.remote", remote)));
	create("alpha", "365");
	create("bravo", "10");
	create("charlie", "10");
	free(tl_cd_ok(home, ARGS("notify", "charlie")));
	create("delta", "10");
	cd("renew", "delta");
	create("foxtrot", "10");
	cd("renew", "foxtrot");
	free(tl_cd_ok(home, ARGS("applied", "foxtrot")));
	create("golf", "365");
	free(tl_cd_ok(home, ARGS("revoke", "golf")));
	free(tl_cd_ok(home, ARGS("publish")));
	create("echo", "10");
	cd("renew", "echo");
	free(tl_cd_ok(home, ARGS("applied", "echo")));
	create("hotel", "1");
}

static const char *fixture(void)
{
	if (!home[0])
		setup_home();
	return home;
}

static void open_later(desk *d, int readonly)
{
	CU_ASSERT_EQUAL_FATAL(desk_open(d, fixture(), readonly ? DESK_READONLY : 0), 0);
	d->now += LATER;
}

/* The dashboard on the desk after keys (plain characters; '\r' is Enter). */
static char *screen_of(desk *d, const ui_opts *o, const char *keys)
{
	int k[128];
	size_t n;
	char *s = NULL;

	for (n = 0; keys[n] && n < 128; n++)
		k[n] = (unsigned char)keys[n];
	if (ui_run_script(d, o, k, n, 200, 50, &s) < 0)
		fprintf(stderr, "ui_run_script: %s\n", cd_errmsg());
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

/* Line y of a screen (0-based), in a static buffer. */
static const char *line(const char *s, int y)
{
	static char buf[1024];
	size_t n;

	while (y-- > 0 && (s = strchr(s, '\n')))
		s++;
	if (!s)
		return "";
	n = strcspn(s, "\n");
	snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), s);
	return buf;
}

static int expected(cycle_stage st, cmd_id c)
{
	size_t i;

	for (i = 0; i < sizeof allowed / sizeof *allowed; i++) {
		if (allowed[i].stage != st)
			continue;
		switch (c) {
		case CMD_RENEW: return allowed[i].renew;
		case CMD_REVOKE: return allowed[i].revoke;
		case CMD_NOTIFY: return allowed[i].notify;
		case CMD_APPLIED: return allowed[i].applied;
		default: return 1;
		}
	}
	return -1;
}

static void check_key(desk *d, const char *user, const store_row *r, cmd_id c)
{
	const cmd_info *ci = &cmd_table[c];
	ui_opts o = {0, 1, 0};
	char keys[64], hint[64], *s, *why = NULL;
	int applies = desk_may(d, r, c) == 0;

	if (!applies)
		why = cd_strdup(cd_errmsg());
	CU_ASSERT_EQUAL(applies, expected(desk_stage(d, r), c));
	CU_ASSERT_EQUAL(applies, desk_applies(d, r, c));
	CU_ASSERT_EQUAL(applies, cycle_verdict_allows(desk_verdict(d, r), c));
	/* The hint is there exactly when the key applies. */
	snprintf(keys, sizeof keys, "/%s\r", user);
	s = screen_of(d, &o, keys);
	snprintf(hint, sizeof hint, "%c %s", ci->key, ui_cmd_label(ci));
	if (tl_contains(line(s, 49), hint) != applies)
		fprintf(stderr, "%s, %s: hint '%s' %s in [%s]\n", user, ci->verb, hint,
			applies ? "missing" : "shown", line(s, 49));
	CU_ASSERT_EQUAL(tl_contains(line(s, 49), hint), applies);
	free(s);
	/* A refused key says why, in the words the command line uses. */
	if (!applies) {
		snprintf(keys, sizeof keys, "/%s\r%c", user, ci->key);
		s = screen_of(d, &o, keys);
		if (!tl_contains(line(s, 48), why))
			fprintf(stderr, "%s, %s: want [%s] on [%s]\n", user, ci->verb, why, line(s, 48));
		CU_ASSERT(tl_contains(line(s, 48), why));
		free(s);
	}
	free(why);
}

/* For every stage, every command on one user: the rule, the hint, the key's refusal. */
static void test_rule_per_stage(void)
{
	static const cmd_id row_cmds[] = {CMD_RENEW, CMD_REVOKE, CMD_NOTIFY, CMD_APPLIED,
					  CMD_TASK, CMD_LOG};
	desk d;
	size_t i, k;

	open_later(&d, 0);
	for (i = 0; i < NPEOPLE; i++) {
		desk_row row;

		CU_ASSERT_EQUAL_FATAL(desk_get_existing(&d, people[i].user, &row), 0);
		if (desk_stage(&d, &row.r) != people[i].stage)
			fprintf(stderr, "%s is %s\n", people[i].user,
				cycle_stage_name(desk_stage(&d, &row.r)));
		CU_ASSERT_EQUAL(desk_stage(&d, &row.r), people[i].stage);
		for (k = 0; k < sizeof row_cmds / sizeof *row_cmds; k++)
			check_key(&d, people[i].user, &row.r, row_cmds[k]);
		desk_row_free(&row);
	}
	desk_close(&d);
}

/* Rows read by store_rows or store_brief_rows, copied. */
struct rows_read {
	desk_row v[NPEOPLE + 4];
	size_t n;
};

static int keep_row(void *ctx, const store_row *r)
{
	struct rows_read *k = ctx;

	if (k->n < sizeof k->v / sizeof *k->v)
		desk_row_copy(&k->v[k->n], r);
	k->n++;
	return 0;
}

static int same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static void brief_cert_alike(const store_cert *b, const store_cert *f)
{
	CU_ASSERT_EQUAL(b->id, f->id);
	if (!f->id)
		return;
	CU_ASSERT_STRING_EQUAL(b->serial, f->serial);
	CU_ASSERT(same_str(b->issuer, f->issuer) && (b->issuer == NULL) == (f->issuer == NULL));
	CU_ASSERT(same_str(b->pw_path, f->pw_path) && (b->pw_path == NULL) == (f->pw_path == NULL));
	CU_ASSERT(same_str(b->task, f->task) && (b->task == NULL) == (f->task == NULL));
	CU_ASSERT_EQUAL(b->not_after, f->not_after);
	CU_ASSERT_EQUAL(b->issued_at, f->issued_at);
	CU_ASSERT_EQUAL(b->notified_at, f->notified_at);
	CU_ASSERT_EQUAL(b->applied_at, f->applied_at);
	CU_ASSERT_EQUAL(b->revoke_at, f->revoke_at);
	CU_ASSERT_EQUAL(b->published_at, f->published_at);
	CU_ASSERT_EQUAL(b->revoke_forced, f->revoke_forced);
}

/* A listing reads only some columns (store_brief_rows): every rule judges its rows as it
 * judges the whole rows, for every user on days from a year before to two years after.
 * By expiry the brief rows go through the spool, held in memory and, with a limit of a
 * few rows, through sorted runs in a file, or through the expiry index when TMPDIR
 * cannot be written: the same rows in the same order every way. */
static void test_brief_rows_judged_alike(void)
{
	static const enum store_order orders[] = {STORE_BY_EXPIRY, STORE_BY_USER, STORE_STORED};
	static const struct {
		size_t limit;
		const char *tmpdir;
	} ways[] = {{0, NULL}, {300, NULL}, {300, "/nonexistent/certdesk-sort"}};
	char *tmpdir = getenv("TMPDIR") ? cd_strdup(getenv("TMPDIR")) : NULL;
	struct rows_read full, brief;
	size_t i, k, o, l;
	int64_t now0, off;
	desk d;

	CU_ASSERT_EQUAL_FATAL(desk_open(&d, fixture(), DESK_READONLY), 0);
	now0 = d.now;
	for (l = 0; l < sizeof ways / sizeof *ways; l++)
	for (o = 0; o < sizeof orders / sizeof *orders; o++) {
		store_set_sort_limit(d.st, ways[l].limit);
		if (ways[l].tmpdir)
			setenv("TMPDIR", ways[l].tmpdir, 1);
		full.n = brief.n = 0;
		CU_ASSERT_EQUAL(store_rows(d.st, orders[o], keep_row, &full), 0);
		CU_ASSERT_EQUAL(store_brief_rows(d.st, orders[o], keep_row, &brief), 0);
		/* Sorted runs in a file exactly where the way says so. */
		CU_ASSERT_EQUAL(store_sort_runs(d.st) > 0, orders[o] == STORE_BY_EXPIRY &&
				ways[l].limit && !ways[l].tmpdir);
		if (tmpdir)
			setenv("TMPDIR", tmpdir, 1);
		else
			unsetenv("TMPDIR");
		CU_ASSERT_EQUAL_FATAL(full.n, NPEOPLE);
		CU_ASSERT_EQUAL_FATAL(brief.n, full.n);
		for (i = 0; i < full.n; i++) {
			const store_row *f = &full.v[i].r, *b = &brief.v[i].r;

			/* The same user in the same place, with what a listing shows. */
			CU_ASSERT_STRING_EQUAL(b->u.name, f->u.name);
			CU_ASSERT_STRING_EQUAL(b->u.full_name, f->u.full_name);
			CU_ASSERT_STRING_EQUAL(b->u.email, f->u.email);
			CU_ASSERT_EQUAL(b->u.id, f->u.id);
			brief_cert_alike(&b->cur, &f->cur);
			brief_cert_alike(&b->old, &f->old);
			for (off = -400 * CD_DAY; off <= 800 * CD_DAY; off += CD_DAY / 2 + 7) {
				cycle_late lf, lb;
				int late_f, late_b;

				d.now = now0 + off;
				CU_ASSERT_EQUAL(desk_stage(&d, b), desk_stage(&d, f));
				CU_ASSERT_EQUAL(desk_verdict(&d, b), desk_verdict(&d, f));
				CU_ASSERT_EQUAL(desk_renewal_open(&d, b), desk_renewal_open(&d, f));
				CU_ASSERT(same_str(desk_cycle_cert(&d, b)->task,
						   desk_cycle_cert(&d, f)->task));
				late_f = desk_late(&d, f, &lf);
				late_b = desk_late(&d, b, &lb);
				CU_ASSERT(late_b == late_f && lb.kind == lf.kind &&
					  lb.since == lf.since && lb.days == lf.days &&
					  lb.mailed == lf.mailed);
			}
			d.now = now0;
		}
		for (k = 0; k < full.n; k++) {
			desk_row_free(&full.v[k]);
			desk_row_free(&brief.v[k]);
		}
	}
	desk_close(&d);
	free(tmpdir);
}

/* The command line's refusal is the same sentence, with nothing changed; judged on the
 * clock (hotel, whose certificate has not expired yet there, is left out). */
static void test_rule_cli(void)
{
	static const cmd_id verbs[] = {CMD_RENEW, CMD_REVOKE, CMD_NOTIFY, CMD_APPLIED};
	desk d;
	size_t i, k;

	CU_ASSERT_EQUAL_FATAL(desk_open(&d, fixture(), DESK_READONLY), 0);
	for (i = 0; i + 1 < NPEOPLE; i++) {
		desk_row row;

		CU_ASSERT_EQUAL_FATAL(desk_get_existing(&d, people[i].user, &row), 0);
		for (k = 0; k < sizeof verbs / sizeof *verbs; k++) {
			char *why;

			if (desk_may(&d, &row.r, verbs[k]) == 0)
				continue;
			why = cd_strdup(cd_errmsg());
			tl_refused(home, out, why, ARGS(cmd_table[verbs[k]].verb, people[i].user));
			free(why);
		}
		desk_row_free(&row);
	}
	desk_close(&d);
}

/* A user revoked for good comes back: create issues again, keeping the history. */
static void test_create_after_revocation(void)
{
	char *s;
	tl_result r;

	fixture();
	tl_refused(home, out, "exists already", ARGS("create", "alpha", "--name", "A",
						     "--email", "a@example.org", "--out", out));
	r = tl_cd(home, "create", "golf", "--name", "Golf Again", "--email", "g@example.org",
		  "--out", out, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	s = tl_cd_ok(home, ARGS("show", "golf"));
	CU_ASSERT(tl_contains(s, "stage active"));
	CU_ASSERT(tl_contains(s, "in the CRL since"));
	CU_ASSERT(tl_contains(s, "Golf Again"));
	free(s);
	s = tl_cd_ok(home, ARGS("log", "golf"));
	CU_ASSERT(tl_contains(s, "revoke") && tl_contains(s, "create"));
	free(s);
}

/* ---- certificate descriptions ---- */

#define NOW 1800000000
static void desc_is(const store_cert *c, const store_cert *repl, cycle_cert_state st,
		    const char *words)
{
	cycle_cert_desc d;

	cycle_describe_cert(c, repl, "ann", NOW, &d);
	if (d.state != st || !tl_contains(d.text, words))
		fprintf(stderr, "got %s: %s; want %s\n", d.word, d.text, words);
	CU_ASSERT_EQUAL(d.state, st);
	CU_ASSERT(tl_contains(d.text, words));
}

static void test_describe(void)
{
	store_cert c, repl;
	cycle_cert_desc d;

	memset(&c, 0, sizeof c);
	memset(&repl, 0, sizeof repl);
	c.not_before = NOW - 100 * CD_DAY;
	c.not_after = NOW + 100 * CD_DAY;
	repl.id = 7;
	repl.serial = "0A0B";
	repl.issued_at = NOW - CD_DAY;
	desc_is(&c, NULL, CERT_VALID, "valid until ");
	c.applied_at = NOW - 5 * CD_DAY;
	desc_is(&c, NULL, CERT_APPLIED, ", applied ");
	desc_is(&c, &repl, CERT_SUPERSEDED, "superseded by 0A0B");
	c.not_after = NOW;
	desc_is(&c, &repl, CERT_EXPIRED, "expired on ");
	c.not_after = NOW + 100 * CD_DAY;
	c.revoke_at = NOW - CD_DAY;
	c.revoke_reason = CA_REASON_SUPERSEDED;
	desc_is(&c, &repl, CERT_HELD, "held: waiting for ann to apply");
	desc_is(&c, &repl, CERT_HELD, "(superseded)");
	repl.applied_at = NOW - 1;
	desc_is(&c, &repl, CERT_SCHEDULED, "ready: ann applied the new certificate");
	desc_is(&c, NULL, CERT_SCHEDULED, "ready: plain revocation");
	c.not_after = NOW - 1; /* expired and scheduled: the revocation is what counts */
	repl.applied_at = 0;
	desc_is(&c, &repl, CERT_SCHEDULED, "ready: the old certificate expired");
	c.published_at = NOW - 1;
	desc_is(&c, &repl, CERT_IN_CRL, "in the CRL since");
	cycle_describe_cert(&c, NULL, "ann", NOW, &d);
	CU_ASSERT_STRING_EQUAL(d.word, "in-crl");
}

/* show, show --format tsv and the dashboard's detail carry the same words. */
static void test_describe_front_ends(void)
{
	desk d;
	ui_opts o = {0, 1, 0};
	char *text, *tsv, *s;

	fixture();
	text = tl_cd_ok(home, ARGS("show", "delta"));
	tsv = tl_cd_ok(home, ARGS("--format", "tsv", "show", "delta"));
	CU_ASSERT(tl_contains(text, "; held: waiting for delta to apply"));
	CU_ASSERT(tl_contains(tsv, "\theld\t") && tl_contains(tsv, "\tvalid\t"));
	CU_ASSERT(tl_contains(tsv, "serial\tnot_before\tnot_after\tkey\tstate\twhat"));
	CU_ASSERT_EQUAL_FATAL(desk_open(&d, home, DESK_READONLY), 0);
	s = screen_of(&d, &o, "/delta\r\r");
	CU_ASSERT(tl_contains(s, "held: waiting for delta to apply"));
	CU_ASSERT(tl_contains(s, "valid until "));
	free(s);
	desk_close(&d);
	free(text);
	free(tsv);
}

/* ---- health ---- */

static int64_t crl_next(desk *d)
{
	store_crl last;
	int found = 0;

	CU_ASSERT_EQUAL(store_crl_last(d->st, &last, &found), 0);
	CU_ASSERT_FATAL(found);
	return last.next_update;
}

static void health_is(desk *d, int64_t now, int worst, const char *words)
{
	publish_alarms h;
	int i, seen = !words;

	d->now = now;
	CU_ASSERT_EQUAL_FATAL(publish_health(d, &h), 0);
	CU_ASSERT_EQUAL(h.worst, worst);
	for (i = 0; i < h.n; i++)
		seen |= words && tl_contains(h.items[i].msg, words);
	CU_ASSERT(seen);
	if (!words)
		CU_ASSERT_EQUAL(h.n, 0);
}

static void test_health_thresholds(void)
{
	desk d;
	int64_t next, end;
	long refresh, warn;

	CU_ASSERT_EQUAL_FATAL(desk_open(&d, fixture(), DESK_READONLY), 0);
	next = crl_next(&d);
	end = ca_not_after(d.ca);
	refresh = conf_get_int(d.st, "crl.refresh_days");
	health_is(&d, next - refresh * CD_DAY - 1, 0, NULL);
	health_is(&d, next - refresh * CD_DAY, 1, "the published CRL expires on");
	health_is(&d, next - 1, 1, "run 'certdesk publish'");
	health_is(&d, next, 2, "CRL EXPIRED on");
	warn = conf_get_int(d.st, "ca.warn_days");
	CU_ASSERT_EQUAL(warn, 548);
	health_is(&d, end - warn * CD_DAY - 1, 2, "CRL EXPIRED");
	health_is(&d, end - warn * CD_DAY, 2, "the CA certificate expires on");
	health_is(&d, end - 1, 2, "run 'certdesk ca renew'");
	health_is(&d, end, 2, "the CA certificate expired on");
	desk_close(&d);
}

/* The dashboard's header says what expirecheck says, on the same day, with the
 * crl.refresh_days setting (20 here, where a fixed week would stay silent). */
static void test_health_front_ends(void)
{
	desk d;
	char day[16], *s, *said;
	int64_t next;
	tl_result r;
	ui_opts o = {1, 1, 0};

	fixture();
	free(tl_cd_ok(home, ARGS("config", "crl.refresh_days", "20")));
	CU_ASSERT_EQUAL_FATAL(desk_open(&d, home, DESK_READONLY), 0);
	next = crl_next(&d);
	desk_close(&d);
	cd_format_date(next - 15 * CD_DAY, day);
	r = tl_cd(home, "--as-of", day, "expirecheck", NULL);
	CU_ASSERT(r.status >= 1);
	said = strstr(r.out, "the published CRL expires on");
	CU_ASSERT_PTR_NOT_NULL_FATAL(said);
	said[strcspn(said, "\n")] = '\0';
	CU_ASSERT_EQUAL_FATAL(cd_parse_date(day, &o.as_of), 0);
	CU_ASSERT_EQUAL_FATAL(desk_open(&d, home, DESK_READONLY), 0);
	s = screen_of(&d, &o, "");
	if (!tl_contains(line(s, 2), said))
		fprintf(stderr, "header [%s], expirecheck [%s]\n", line(s, 2), said);
	CU_ASSERT(tl_contains(line(s, 2), said));
	free(s);
	desk_close(&d);
	tl_free(&r);
	free(tl_cd_ok(home, ARGS("config", "crl.refresh_days", "7")));
}

/* ---- lifetimes ---- */

/* A home of its own with a CA of days days, and an output directory in it. */
static void ca_home(const char *name, const char *days, char h[700], char o[720])
{
	tl_result r;

	snprintf(h, 700, "%s/%s", tl_tmpdir(), name);
	snprintf(o, 720, "%s/out", h);
	free(tl_cd_ok(h, ARGS("init", "--days", days)));
	r = tl_sh("mkdir '%s'", o);
	tl_free(&r);
}

/* A CA of 30 days issues a certificate that ends with it, and says so; every view uses
 * that end, and a certificate already stored with a later end is read as ending then. */
static void test_no_cert_outlives_ca(void)
{
	char h[700], o[720], *s, *ca_end, *crt_end;
	tl_result r;

	ca_home("short", "30", h, o);
	r = tl_cd(h, "create", "zed", "--name", "Zed", "--email", "z@example.org", "--days", "365",
		  "--out", o, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "ends with the CA on"));
	tl_free(&r);
	r = tl_sh("openssl x509 -noout -enddate -in '%s/ca/ca.crt'", h);
	ca_end = cd_strdup(r.out);
	tl_free(&r);
	r = tl_sh("openssl pkcs12 -in '%s/zed.p12' -passin file:'%s/zed.pw' -nokeys -clcerts "
		  "-legacy 2>/dev/null | openssl x509 -noout -enddate", o, o);
	crt_end = cd_strdup(r.out);
	tl_free(&r);
	CU_ASSERT(ca_end[0] && strcmp(ca_end, crt_end) == 0);
	/* Stored as if it ran a year (an import from a CA that allowed it): read as the CA's. */
	r = tl_sh("sqlite3 '%s/certdesk.db' \"UPDATE certs SET not_after = not_after + 300 * 86400\"",
		  h);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	s = tl_cd_ok(h, ARGS("--format", "tsv", "list"));
	CU_ASSERT(tl_contains(s, "\texpiring\t") || tl_contains(s, "\tactive\t"));
	{
		desk d;
		desk_row row;

		CU_ASSERT_EQUAL_FATAL(desk_open(&d, h, DESK_READONLY), 0);
		CU_ASSERT_EQUAL_FATAL(desk_get_existing(&d, "zed", &row), 0);
		CU_ASSERT_EQUAL(row.r.cur.not_after, ca_not_after(d.ca));
		desk_row_free(&row);
		desk_close(&d);
	}
	free(s);
	/* expirecheck with a window past the CA's end names zed with the CA's date. */
	r = tl_cd(h, "--format", "tsv", "expirecheck", "--days", "40", NULL);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.out, "zed\t"));
	CU_ASSERT(tl_contains(r.err, "the CA certificate expires on"));
	tl_free(&r);
	free(ca_end);
	free(crt_end);
}

/* ca renew: same key, name and key identifier, so a certificate issued before verifies
 * with the new CA certificate (openssl verify as the judge); never shorter; the old one
 * kept; refused in a plan and in the read-only view, with nothing changed. */
static void test_ca_renew(void)
{
	char h[700], o[720], *s;
	tl_result r;

	ca_home("renewca", "60", h, o);
	r = tl_sh("cp '%s/ca/ca.crt' '%s/old-ca.crt'", h, o);
	tl_free(&r);
	free(tl_cd_ok(h, ARGS("create", "yan", "--name", "Yan", "--email", "y@example.org",
			      "--out", o)));
	tl_refused(h, o, "--as-of only judges", ARGS("--as-of", "2030-01-01", "ca", "renew"));
	tl_refused(h, o, "read-only", ARGS("--read-only", "ca", "renew"));
	tl_refused(h, o, "valid longer than 30 days", ARGS("ca", "renew", "--days", "30"));
	tl_refused(h, o, "expected renew, rollover or move-to-token", ARGS("ca", "rotate"));
	s = tl_cd_ok(h, ARGS("ca", "renew", "--days", "800"));
	CU_ASSERT(tl_contains(s, "same key and name"));
	free(s);
	r = tl_sh("cd '%s' && openssl pkcs12 -in yan.p12 -passin file:yan.pw -nokeys -clcerts "
		  "-legacy 2>/dev/null | openssl x509 > yan.crt && "
		  "openssl verify -CAfile '%s/ca/ca.crt' yan.crt && "
		  "openssl verify -CAfile old-ca.crt yan.crt && "
		  "test \"$(openssl x509 -in old-ca.crt -noout -subject -ext subjectKeyIdentifier)\" "
		  "= \"$(openssl x509 -in '%s/ca/ca.crt' -noout -subject -ext subjectKeyIdentifier)\" "
		  "&& cmp old-ca.crt '%s'/ca/ca-until-*.crt && "
		  "test $(openssl x509 -in '%s/ca/ca.crt' -noout -checkend $((700 * 86400)) "
		  ">/dev/null; echo $?) = 0", o, h, h, h, h);
	if (r.status != 0)
		fprintf(stderr, "%s%s", r.out, r.err);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	s = tl_cd_ok(h, ARGS("log"));
	CU_ASSERT(tl_contains(s, "ca-renew"));
	free(s);
	/* Issuing goes on with the renewed CA, and the CA warning is gone. */
	free(tl_cd_ok(h, ARGS("create", "zoe", "--name", "Zoe", "--email", "z@example.org",
			      "--out", o)));
	r = tl_cd(h, "expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
}

/* kill -9 at any moment of ca renew leaves a whole CA certificate, old or new, that
 * still verifies what was issued; the next renewal clears what the killed one left. */
static void test_ca_renew_killed(void)
{
	char h[700], o[720];
	tl_result r;

	ca_home("killca", "60", h, o);
	free(tl_cd_ok(h, ARGS("create", "kim", "--name", "Kim", "--email", "k@example.org",
			      "--out", o)));
	r = tl_sh("cd '%s' && openssl pkcs12 -in kim.p12 -passin file:kim.pw -nokeys -clcerts "
		  "-legacy 2>/dev/null | openssl x509 > kim.crt && "
		  "for i in $(seq 1 12); do '%s' --home '%s' ca renew --days $((100 + i)) "
		  ">/dev/null 2>&1 & p=$!; sleep 0.00$((i %% 10)); kill -9 $p 2>/dev/null; "
		  "wait $p 2>/dev/null; openssl verify -CAfile '%s/ca/ca.crt' kim.crt >/dev/null "
		  "|| exit 1; done; '%s' --home '%s' ca renew --days 400 >/dev/null && "
		  "openssl verify -CAfile '%s/ca/ca.crt' kim.crt >/dev/null && "
		  "! ls '%s/ca' | grep -q tmp", o, tl_bin(), h, h, tl_bin(), h, h, h);
	if (r.status != 0)
		fprintf(stderr, "%s%s", r.out, r.err);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
}

static CU_TestInfo rule_tests[] = {
	{"every command in every stage: rule, hint and refusal", test_rule_per_stage},
	{"the command line refuses in the same words", test_rule_cli},
	{"a listing's brief rows are judged as whole rows", test_brief_rows_judged_alike},
	{"create after a revocation for good", test_create_after_revocation},
	{"no certificate outlives its CA", test_no_cert_outlives_ca},
	{"ca renew", test_ca_renew},
	{"kill -9 during ca renew", test_ca_renew_killed},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo describe_tests[] = {
	{"every certificate state", test_describe},
	{"show, tsv and the detail agree", test_describe_front_ends},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo health_tests[] = {
	{"each threshold", test_health_thresholds},
	{"expirecheck and the header agree", test_health_front_ends},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {
		{"action rule", rule_tests},
		{"certificate description", describe_tests},
		{"health", health_tests},
		{NULL, NULL},
	};

	return tl_main(suites);
}
