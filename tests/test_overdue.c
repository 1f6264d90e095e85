/* test_overdue.c: no renewal forgotten. The overdue and not-applied flags as pure rules
 * and through --as-of, expirecheck's order and columns (read back by python3's json and
 * csv), the reminder that notify sends a late user, recorded as a reminder, and its
 * mail link decoded by python3's urllib against the shipped templates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cycle.h"
#include "desk.h"
#include "testlib.h"
#include "ui.h"
#include "util.h"

#define ARGS TL_ARGS
#define cdv tl_cdv

#define DAY CD_DAY
#define T0 ((int64_t)1780000000) /* a fixed moment: the pure rules need no clock */

static const cycle_limits limits = {5, 7};

/* ---- the rules, pure ---- */

/* A user whose certificate (ending in `left` days from T0) was notified at notified. */
static store_row notified_row(int64_t left, int64_t notified)
{
	store_row r;

	memset(&r, 0, sizeof r);
	r.u.name = "ann";
	r.cur.id = 1;
	r.cur.serial = "01";
	r.cur.issued_at = T0 - 300 * DAY;
	r.cur.not_after = T0 + left * DAY;
	r.cur.notified_at = notified;
	return r;
}

static cycle_late_kind late_on(const store_row *r, int64_t now, int64_t *days)
{
	cycle_late l;

	cycle_late_of(r, now, 14 * DAY, &limits, &l);
	if (days)
		*days = l.days;
	return l.kind;
}

static void test_rule_renewal(void)
{
	store_row r = notified_row(12, T0);
	int64_t days;

	CU_ASSERT_EQUAL(late_on(&r, T0, &days), LATE_ON_TIME);
	CU_ASSERT_EQUAL(days, 0);
	CU_ASSERT_EQUAL(late_on(&r, T0 + 4 * DAY, NULL), LATE_ON_TIME);
	/* The limit's own day is on time; the day after is late. */
	CU_ASSERT_EQUAL(late_on(&r, T0 + 5 * DAY, &days), LATE_ON_TIME);
	CU_ASSERT_EQUAL(days, 5);
	CU_ASSERT_EQUAL(late_on(&r, T0 + 6 * DAY, &days), LATE_RENEWAL);
	CU_ASSERT_EQUAL(days, 6);
	/* Expired without an answer: still the unanswered mail. */
	CU_ASSERT_EQUAL(late_on(&r, T0 + 20 * DAY, &days), LATE_RENEWAL);
	CU_ASSERT_EQUAL(days, 20);
	/* Never notified: no mail to be late on. */
	r.cur.notified_at = 0;
	CU_ASSERT_EQUAL(late_on(&r, T0 + 10 * DAY, NULL), LATE_ON_TIME);
	/* Revoked for good: nothing to remind of. */
	r.cur.notified_at = T0;
	r.cur.revoke_at = T0 + DAY;
	CU_ASSERT_EQUAL(late_on(&r, T0 + 10 * DAY, NULL), LATE_ON_TIME);
	CU_ASSERT_STRING_EQUAL(cycle_late_name(LATE_RENEWAL), "renewal");
	CU_ASSERT_STRING_EQUAL(cycle_late_name(LATE_ON_TIME), "");
}

/* ann renewed at `renewed`: row.old is the notified certificate, row.cur the new one. */
static store_row renewed_row(int64_t renewed)
{
	store_row r = notified_row(12, T0);

	r.old = r.cur;
	r.cur.id = 2;
	r.cur.serial = "02";
	r.cur.replaces = 1;
	r.cur.notified_at = 0;
	r.cur.issued_at = renewed;
	r.cur.not_after = renewed + 365 * DAY;
	return r;
}

static void test_rule_apply(void)
{
	store_row r = renewed_row(T0 + DAY);
	cycle_late l;

	/* Renewed: the notification's clock stops, the installation's starts. */
	CU_ASSERT_EQUAL(late_on(&r, T0 + 6 * DAY, NULL), LATE_ON_TIME);
	CU_ASSERT_EQUAL(late_on(&r, T0 + 8 * DAY, NULL), LATE_ON_TIME);
	CU_ASSERT_EQUAL(late_on(&r, T0 + 9 * DAY, NULL), LATE_APPLY);
	CU_ASSERT(cycle_late_of(&r, T0 + 9 * DAY, 14 * DAY, &limits, &l));
	CU_ASSERT_EQUAL(l.since, T0 + DAY);
	CU_ASSERT_EQUAL(l.days, 8);
	CU_ASSERT_EQUAL(l.mailed, T0);
	/* Past the old certificate's end the user is locked out: late all the more. */
	CU_ASSERT_EQUAL(late_on(&r, T0 + 13 * DAY, NULL), LATE_APPLY);
	/* Applied: nothing more to ask. */
	r.cur.applied_at = T0 + 9 * DAY;
	CU_ASSERT_EQUAL(late_on(&r, T0 + 10 * DAY, NULL), LATE_ON_TIME);
	/* A longer limit moves the day. */
	r.cur.applied_at = 0;
	{
		cycle_limits lax = {5, 30};
		CU_ASSERT_EQUAL(cycle_late_of(&r, T0 + 9 * DAY, 14 * DAY, &lax, &l), 0);
	}
}

/* ---- through the command line ---- */

static void create(const char *home, const char *out, const char *user, const char *days)
{
	tl_result r = cdv(home, ARGS("create", user, "--name", "Test Person", "--email",
				     "t@example.org", "--phone", "+1 555 0100", "--days", days,
				     "--out", out));

	CU_ASSERT(tl_ok_or_report(&r, user));
	tl_free(&r);
}

static void run_ok(const char *home, const char *const *args)
{
	tl_result r = cdv(home, args);

	CU_ASSERT(tl_ok_or_report(&r, args[0]));
	tl_free(&r);
}

/* soon: notified with a task, never renewed; ren: notified, renewed, never applied;
 * calm: expiring first, not yet notified. */
static char *late_home(void)
{
	char *home = cd_strdup(tl_home());
	const char *out = tl_tmpdir(), *out2 = tl_tmpdir();

	create(home, out, "soon", "10");
	create(home, out, "ren", "12");
	create(home, out, "calm", "9");
	run_ok(home, ARGS("notify", "soon", "--task", "T42"));
	run_ok(home, ARGS("notify", "ren"));
	run_ok(home, ARGS("renew", "ren", "--out", out2));
	return home;
}

static tl_result check_at(const char *home, int days, const char *fmt)
{
	char *d = tl_date_in(days);
	tl_result r = cdv(home, ARGS("--as-of", d, "--format", fmt, "expirecheck"));

	free(d);
	return r;
}

static void test_flags_as_of(void)
{
	char *home = late_home();
	tl_result r;

	/* The limit's day: listed by expiry, nothing overdue. */
	r = check_at(home, 5, "text");
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(!tl_contains(r.out, "OVERDUE"));
	CU_ASSERT(strstr(r.out, "calm") && strstr(r.out, "calm") < strstr(r.out, "soon"));
	CU_ASSERT(!tl_contains(r.out, "ren "));
	tl_free(&r);
	/* The day after: soon is overdue and first, with its mail and task days. */
	r = check_at(home, 6, "text");
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(strstr(r.out, "soon") && strstr(r.out, "soon") < strstr(r.out, "calm"));
	CU_ASSERT(tl_contains(r.out, "OVERDUE: notified, not renewed, 6 days ago"));
	CU_ASSERT(tl_contains(r.out, "task T42 opened 6 days ago"));
	CU_ASSERT(tl_contains(r.out, "reminder: mailto:t@example.org?subject=Reminder"));
	CU_ASSERT(!tl_contains(r.out, "ren "));
	tl_free(&r);
	/* ren's own limit: 7 days on time, 8 late. */
	r = check_at(home, 7, "text");
	CU_ASSERT(!tl_contains(r.out, "ren "));
	tl_free(&r);
	r = check_at(home, 8, "text");
	CU_ASSERT(tl_contains(r.out, "ren  Test Person"));
	CU_ASSERT(tl_contains(r.out, "OVERDUE: renewed, not applied, 8 days ago"));
	CU_ASSERT(tl_contains(r.out, "no task recorded"));
	CU_ASSERT(strstr(r.out, "ren  ") < strstr(r.out, "calm"));
	CU_ASSERT(strstr(r.out, "soon") < strstr(r.out, "ren  "));
	tl_free(&r);
	free(home);
}

/* The TSV and JSON columns, read by python3's csv and json. */
static const char tsv_py[] =
	"import csv, sys\n"
	"rows = list(csv.DictReader(sys.stdin, delimiter='\\t', quoting=csv.QUOTE_NONE))\n"
	"print(' '.join('%s:%s:%s:%s' % (r['user'], r['overdue'], r['mail_days'], r['task_days'])"
	" for r in rows))\n";
static const char json_py[] =
	"import json, sys\n"
	"print(' '.join('%s:%s:%s:%s' % (r['user'], r['overdue'], r['mail_days'], r['task_days'])"
	" for r in json.load(sys.stdin)))\n";

static void judge_columns(const char *home, int days, const char *fmt, const char *py,
			  const char *want)
{
	tl_result r = check_at(home, days, fmt);
	const char *argv[] = {"python3", "-c", py, NULL};
	tl_result p = tl_run(argv, r.out);

	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT_STRING_EQUAL(p.out, want);
	if (strcmp(p.out, want) != 0)
		fprintf(stderr, "\n%s at +%d: %s%s\n", fmt, days, p.out, p.err);
	tl_free(&p);
	tl_free(&r);
}

static void test_columns(void)
{
	char *home = late_home();

	judge_columns(home, 5, "tsv", tsv_py, "calm::: soon:::\n");
	judge_columns(home, 8, "tsv", tsv_py, "soon:renewal:8:8 ren:apply:8: calm:::\n");
	judge_columns(home, 8, "json", json_py, "soon:renewal:8:8 ren:apply:8:None calm::None:None\n");
	free(home);
}

/* ---- the reminder ---- */

static char *sql(const char *home, const char *q)
{
	tl_result r = tl_sh("sqlite3 '%s/certdesk.db' \"%s\"", home, q);
	char *out = r.out;

	CU_ASSERT_EQUAL(r.status, 0);
	r.out = NULL;
	tl_free(&r);
	return out;
}

static void sql_do(const char *home, const char *q)
{
	free(sql(home, q));
}

static int audit_count(const char *home, const char *action, const char *user)
{
	char *q = cd_asprintf("SELECT count(*) FROM audit WHERE action = '%s' AND user = '%s'",
			      action, user);
	char *n = sql(home, q);
	int count = atoi(n);

	free(q);
	free(n);
	return count;
}

/* The line of out starting with "  reminder: ", without it. */
static char *reminder_link(const char *out)
{
	const char *p = strstr(out, "  reminder: ");

	if (!p)
		return NULL;
	p += 12;
	return cd_strndup(p, strcspn(p, "\n"));
}

/*
 * Renders the two templates with str.format (the same {name} and {{ }} syntax), decodes
 * the mailto link with urllib, and compares; prints "ok" or the differences.
 */
static const char judge_py[] =
	"import sys, urllib.parse as u\n"
	"link, d, subj, body = sys.argv[1:5]\n"
	"v = dict(a.split('=', 1) for a in sys.argv[5:])\n"
	"def tmpl(name):\n"
	"    with open(d + '/' + name, encoding='utf-8') as f:\n"
	"        return f.read().format(**v)\n"
	"s = u.urlsplit(link)\n"
	"got = {'scheme': s.scheme, 'to': u.unquote(s.path, errors='strict')}\n"
	"for pair in s.query.split('&'):\n"
	"    k, _, val = pair.partition('=')\n"
	"    got[k] = u.unquote(val, errors='strict').replace('\\r\\n', '\\n')\n"
	"b = tmpl(body)\n"
	"want = {'scheme': 'mailto', 'to': v['email'], 'subject': tmpl(subj).rstrip(),\n"
	"        'body': b[:-1] if b.endswith('\\n') else b}\n"
	"bad = ['%s: got %r, want %r' % (k, got.get(k), want.get(k))\n"
	"       for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)]\n"
	"print('\\n'.join(bad) if bad else 'ok')\n";

static char *date_sql(const char *home, const char *col, const char *where)
{
	char *q = cd_asprintf("SELECT strftime('%%Y-%%m-%%d', %s, 'unixepoch') FROM certs "
			      "WHERE %s", col, where);
	char *d = sql(home, q);

	d[strcspn(d, "\n")] = '\0';
	free(q);
	return d;
}

/* The reminder's mail link in out, judged against the home's templates subj and body,
 * with the dates of the certificate cycle_where selects. */
static void judge_reminder(const char *home, const char *out, const char *user,
			   const char *subj, const char *body, const char *cycle_where)
{
	char *link = reminder_link(out), *tmpl = cd_asprintf("%s/templates", home);
	char *expiry = date_sql(home, "not_after", cycle_where);
	char *notified = date_sql(home, "notified_at", cycle_where);
	char *where_new = cd_asprintf("user_id = (SELECT id FROM users WHERE name = '%s') "
				      "ORDER BY id DESC LIMIT 1", user);
	char *issued = date_sql(home, "issued_at", where_new);
	char *a[7] = {cd_asprintf("user=%s", user), cd_strdup("full_name=Test Person"),
		      cd_strdup("email=t@example.org"), cd_asprintf("expiry=%s", expiry),
		      cd_asprintf("notified=%s", notified), cd_asprintf("issued=%s", issued),
		      cd_asprintf("operator_name=%s", cd_operator())};
	const char *argv[] = {"python3", "-c", judge_py, NULL, tmpl, subj, body,
			      a[0], a[1], a[2], a[3], a[4], a[5], a[6], NULL};
	tl_result r;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(link);
	argv[3] = link;
	r = tl_run(argv, NULL);
	CU_ASSERT_STRING_EQUAL(r.out, "ok\n");
	if (strcmp(r.out, "ok\n") != 0)
		fprintf(stderr, "\n%s's reminder judged by python3:\n%s%s\n", user, r.out, r.err);
	tl_free(&r);
	for (i = 0; i < 7; i++)
		free(a[i]);
	free(tmpl);
	free(expiry);
	free(notified);
	free(where_new);
	free(issued);
	free(link);
}

static void test_reminder_recorded(void)
{
	char *home = late_home(), *before, *after;
	tl_result r;

	/* Mailed five days ago: on the limit's day notify is a notification still. */
	sql_do(home, "UPDATE certs SET notified_at = notified_at - 5*86400 WHERE serial IN "
		     "(SELECT c.serial FROM certs c JOIN users u ON c.user_id = u.id "
		     "WHERE u.name = 'soon')");
	r = cdv(home, ARGS("notify", "soon"));
	CU_ASSERT(tl_ok_or_report(&r, "notify on the day"));
	CU_ASSERT(tl_contains(r.out, "  mail: mailto:"));
	CU_ASSERT(!tl_contains(r.out, "reminder"));
	tl_free(&r);
	CU_ASSERT_EQUAL(audit_count(home, "notify", "soon"), 2);
	CU_ASSERT_EQUAL(audit_count(home, "remind", "soon"), 0);
	/* A day later it is a reminder: its own record, the first mail's date kept. */
	sql_do(home, "UPDATE certs SET notified_at = notified_at - 86400 WHERE task = 'T42'");
	before = sql(home, "SELECT notified_at FROM certs WHERE task = 'T42'");
	r = cdv(home, ARGS("notify", "soon"));
	CU_ASSERT(tl_ok_or_report(&r, "notify overdue"));
	CU_ASSERT(tl_contains(r.out, "soon: reminded of the mail of "));
	CU_ASSERT(tl_contains(r.out, "(6 days ago)"));
	CU_ASSERT(!tl_contains(r.out, "  mail: "));
	after = sql(home, "SELECT notified_at FROM certs WHERE task = 'T42'");
	CU_ASSERT_STRING_EQUAL(before, after);
	CU_ASSERT_EQUAL(audit_count(home, "notify", "soon"), 2);
	CU_ASSERT_EQUAL(audit_count(home, "remind", "soon"), 1);
	judge_reminder(home, r.out, "soon", "reminder-subject.txt", "reminder-body.txt",
		       "task = 'T42'");
	tl_free(&r);
	r = cdv(home, ARGS("log", "soon"));
	CU_ASSERT(tl_contains(r.out, "remind"));
	CU_ASSERT(tl_contains(r.out, "notified, not renewed since"));
	tl_free(&r);
	free(before);
	free(after);
	free(home);
}

static void test_apply_reminder(void)
{
	char *home = late_home();
	tl_result r;

	/* Renewed eight days ago and not applied. */
	sql_do(home, "UPDATE certs SET issued_at = issued_at - 8*86400 WHERE replaces IS NOT NULL");
	r = cdv(home, ARGS("notify", "ren"));
	CU_ASSERT(tl_ok_or_report(&r, "notify not applied"));
	CU_ASSERT(tl_contains(r.out, "ren: reminded to install the certificate renewed "));
	CU_ASSERT(tl_contains(r.out, "(8 days ago)"));
	CU_ASSERT(tl_contains(r.out, "subject=Reminder%3A%20please%20install"));
	judge_reminder(home, r.out, "ren", "apply-reminder-subject.txt", "apply-reminder-body.txt",
		       "id = (SELECT replaces FROM certs WHERE replaces IS NOT NULL)");
	tl_free(&r);
	CU_ASSERT_EQUAL(audit_count(home, "remind", "ren"), 1);
	/* Applied: no longer late, so notify is no reminder and the check drops it. */
	run_ok(home, ARGS("applied", "ren"));
	r = check_at(home, 1, "text");
	CU_ASSERT(!tl_contains(r.out, "ren  "));
	tl_free(&r);
	free(home);
}

/* A home made before the reminders existed gets their templates on the first one. */
static void test_old_home_templates(void)
{
	char *home = late_home(), *path = cd_asprintf("%s/templates/reminder-body.txt", home);
	tl_result r;

	CU_ASSERT_EQUAL(remove(path), 0);
	sql_do(home, "UPDATE certs SET notified_at = notified_at - 9*86400 WHERE task = 'T42'");
	r = cdv(home, ARGS("notify", "soon"));
	CU_ASSERT(tl_ok_or_report(&r, "notify on an old home"));
	CU_ASSERT(tl_contains(r.out, "reminder: mailto:"));
	CU_ASSERT(tl_mode(path) >= 0);
	tl_free(&r);
	free(path);
	free(home);
}

/* ---- the dashboard ---- */

/* The screen's line holding needle, malloc'd ("" when none). */
static char *line_with(const char *screen, const char *needle)
{
	const char *p = strstr(screen, needle), *start;

	if (!p)
		return cd_strdup("");
	for (start = p; start > screen && start[-1] != '\n'; start--)
		;
	return cd_strndup(start, strcspn(start, "\n"));
}

static char *dashboard_on(const char *home, int days)
{
	desk d;
	ui_opts o = {0, 1, cd_now() + days * CD_DAY};
	int keys[] = {UI_KEY_TICK};
	char *screen = NULL;

	o.as_of -= ((o.as_of % CD_DAY) + CD_DAY) % CD_DAY;
	CU_ASSERT_EQUAL_FATAL(desk_open(&d, home, 0), 0);
	if (ui_run_script(&d, &o, keys, 1, 100, 24, &screen) < 0)
		fprintf(stderr, "ui_run_script: %s\n", cd_errmsg());
	desk_close(&d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(screen);
	return screen;
}

static void test_dashboard_mark(void)
{
	char *home = late_home(), *screen, *soon, *ren, *calm;

	screen = dashboard_on(home, 8);
	soon = line_with(screen, "soon ");
	ren = line_with(screen, "ren ");
	calm = line_with(screen, "calm ");
	CU_ASSERT(tl_contains(soon, " !   2 notified"));
	CU_ASSERT(tl_contains(ren, " ! 357 renewed"));
	CU_ASSERT(tl_contains(calm, "    1 expiring") && !tl_contains(calm, "!"));
	if (!tl_contains(soon, " !   2 notified") || !tl_contains(ren, " ! 357 renewed"))
		fprintf(stderr, "\n%s\n", screen);
	free(soon);
	free(ren);
	free(calm);
	free(screen);
	/* On the limit's day nobody is marked. */
	screen = dashboard_on(home, 5);
	soon = line_with(screen, "soon ");
	CU_ASSERT(tl_contains(soon, "    5 notified") && !tl_contains(soon, "!"));
	free(soon);
	free(screen);
	free(home);
}

static CU_TestInfo rule_tests[] = {
	{"notified, not renewed: before, on and after the limit", test_rule_renewal},
	{"renewed, not applied: before, on and after the limit", test_rule_apply},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo cli_tests[] = {
	{"flags and order at several --as-of dates", test_flags_as_of},
	{"TSV and JSON columns", test_columns},
	{"reminder recorded as a reminder, links decode", test_reminder_recorded},
	{"not-applied reminder, links decode", test_apply_reminder},
	{"an older home gets the reminder templates", test_old_home_templates},
	{"the dashboard marks overdue users", test_dashboard_mark},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {
		{"rules", rule_tests},
		{"command line", cli_tests},
		{NULL, NULL},
	};

	setenv("HOME", tl_tmpdir(), 1);
	unsetenv("CERTDESK_HOME");
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	return tl_main(suites);
}
