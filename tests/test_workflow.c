/* test_workflow.c: the renewal workflow through the command line: stages across time with
 * --as-of, notify (one user and --due), task, applied, seen on real nginx and Apache log
 * lines (plain and gzipped), the links decoded by python3, the audit trail and its
 * secrecy, and the workflow's bad inputs. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "util.h"

#define ARGS TL_ARGS
#define cdv tl_cdv
#define bin tl_bin
#define snapshot tl_snapshot
#define refused tl_refused

static char *take_out(tl_result *r)
{
	char *s = r->out;

	r->out = NULL;
	tl_free(r);
	return s;
}

/* Runs a command that must succeed; returns its stdout. */
static char *must(const char *home, const char *what, const char *const *args)
{
	tl_result r = cdv(home, args);

	CU_ASSERT(tl_ok_or_report(&r, what));
	return take_out(&r);
}

static void create(const char *home, const char *out, const char *user, const char *days)
{
	free(must(home, user, ARGS("create", user, "--name", "Test Person", "--email",
				   "t@example.org", "--days", days, "--out", out)));
}

/* The value of column col of user's row in a TSV listing; malloc'd, NULL if absent. */
static char *tsv_field(const char *tsv, const char *user, int col)
{
	const char *line = tsv;
	size_t ulen = strlen(user);

	while (line && *line) {
		const char *end = strchr(line, '\n'), *p = line;
		int c;

		if (strncmp(line, user, ulen) == 0 && line[ulen] == '\t') {
			for (c = 0; c < col && p; c++)
				p = strchr(p, '\t') ? strchr(p, '\t') + 1 : NULL;
			return p ? cd_strndup(p, strcspn(p, "\t\n")) : NULL;
		}
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

/* The stage of user in `list --all` as of today + days. */
static char *stage_at(const char *home, const char *user, int days)
{
	char *d = tl_date_in(days), *tsv, *stage;
	tl_result r = cdv(home, ARGS("--as-of", d, "--format", "tsv", "list", "--all"));

	tsv = take_out(&r);
	stage = tsv_field(tsv, user, 6);
	free(tsv);
	free(d);
	return stage ? stage : cd_strdup("(absent)");
}

#define ASSERT_STAGE(home, user, days, want) \
	do { \
		char *st_ = stage_at(home, user, days); \
		if (strcmp(st_, want) != 0) \
			fprintf(stderr, "\n%s at +%d: stage %s, expected %s\n", user, days, st_, want); \
		CU_ASSERT_STRING_EQUAL(st_, want); \
		free(st_); \
	} while (0)

static char *serial_of(const char *home, const char *user)
{
	tl_result r = cdv(home, ARGS("--format", "tsv", "list", "--all"));
	char *tsv = take_out(&r), *s = tsv_field(tsv, user, 3);

	free(tsv);
	return s ? s : cd_strdup("");
}

static char *sql(const char *home, const char *query)
{
	tl_result r = tl_sh("sqlite3 '%s/certdesk.db' \"%s\"", home, query);

	return take_out(&r);
}

/* ---- stages ---- */

static void test_stages_full_cycle(void)
{
	char *dir = cd_strdup(tl_tmpdir()), *home = cd_asprintf("%s/home", dir);
	char *remote = cd_asprintf("%s/crl.git", dir), *out = cd_strdup(tl_tmpdir());
	char *out2 = cd_strdup(tl_tmpdir()), *s;
	tl_result r = tl_sh("git init -q --bare '%s'", remote);

	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	free(must(home, "init", ARGS("init", "--cn", "Test CA", "--crl-remote", remote)));
	create(home, out, "alice", "10");
	ASSERT_STAGE(home, "alice", -30, "active");
	ASSERT_STAGE(home, "alice", -5, "active");
	ASSERT_STAGE(home, "alice", -3, "expiring"); /* 13 days left */
	ASSERT_STAGE(home, "alice", 0, "expiring");
	ASSERT_STAGE(home, "alice", 11, "expired");
	s = must(home, "notify", ARGS("notify", "alice", "--task", "T123456"));
	CU_ASSERT(tl_contains(s, "task: https://phabricator.wikimedia.org/maniphest/task/edit/form/1/?"));
	CU_ASSERT(tl_contains(s, "mail: mailto:t@example.org?subject="));
	free(s);
	ASSERT_STAGE(home, "alice", 0, "notified");
	/* The stage is derived, not stored: earlier days still read "active". */
	ASSERT_STAGE(home, "alice", -30, "active");
	s = must(home, "list", ARGS("--format", "tsv", "list"));
	{
		char *task = tsv_field(s, "alice", 7);
		CU_ASSERT_STRING_EQUAL(task, "T123456");
		free(task);
	}
	free(s);
	free(must(home, "renew", ARGS("renew", "alice", "--out", out2)));
	ASSERT_STAGE(home, "alice", 0, "renewed");
	/* The renewal keeps its task. */
	s = must(home, "show", ARGS("show", "alice"));
	CU_ASSERT(tl_contains(s, "T123456"));
	free(s);
	free(must(home, "applied", ARGS("applied", "alice")));
	ASSERT_STAGE(home, "alice", 0, "applied");
	/* The old certificate's revocation is safe now; once published, the cycle is done. */
	s = must(home, "publish", ARGS("publish"));
	CU_ASSERT(tl_contains(s, "published 1 revocation"));
	free(s);
	ASSERT_STAGE(home, "alice", 0, "done");
	/* Once the new certificate nears its own end, next year's cycle starts. */
	ASSERT_STAGE(home, "alice", 360, "expiring");
	free(remote);
	free(dir);
	free(out2);
	free(out);
	free(home);
}

/*
 * --as-of plans: every command that would write on the judgement of another day is
 * refused with one line and changes nothing (the remote neither); what only reads, and
 * the dry runs, still work on that day.
 */
static void test_as_of_never_writes(void)
{
	char *dir = cd_strdup(tl_tmpdir()), *home = cd_asprintf("%s/home", dir);
	char *remote = cd_asprintf("%s/crl.git", dir), *out = cd_strdup(tl_tmpdir());
	char *d = tl_date_in(40), *log = cd_asprintf("%s/access.log", dir), *serial, *s;
	const char *want = "--as-of only judges";
	tl_result r = tl_sh("git init -q --bare '%s'", remote);

	tl_free(&r);
	free(must(home, "init", ARGS("init", "--cn", "Test CA", "--crl-remote", remote)));
	create(home, out, "ann", "30");
	create(home, out, "ben", "30");
	free(must(home, "renew ben", ARGS("renew", "ben", "--out", out)));
	serial = serial_of(home, "ben");
	r = tl_sh("printf '1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 5 ssl_client_serial=%s\\n' > '%s'",
		  serial, log);
	tl_free(&r);
	refused(home, out, want, ARGS("--as-of", d, "notify", "--due"));
	refused(home, out, want, ARGS("--as-of", d, "notify", "ann", "--task", "T1"));
	refused(home, out, want, ARGS("--as-of", d, "task", "ann", "T1"));
	refused(home, out, want, ARGS("--as-of", d, "applied", "ben"));
	refused(home, out, want, ARGS("--as-of", d, "seen", log));
	refused(home, out, want, ARGS("--as-of", d, "publish"));
	refused(home, out, want, ARGS("--as-of", d, "renew", "ann", "--out", out));
	refused(home, out, want, ARGS("--as-of", d, "revoke", "ann"));
	refused(home, out, want, ARGS("--as-of", d, "create", "cat", "--name", "C", "--email",
				      "c@example.org", "--out", out));
	refused(home, out, want, ARGS("--as-of", d, "config", "window.days", "20"));
	s = must(home, "remote untouched", ARGS("--as-of", d, "publish", "--dry-run"));
	CU_ASSERT(tl_contains(s, "ben"));
	free(s);
	r = tl_sh("git -C '%s' rev-parse --verify -q main", remote);
	CU_ASSERT_NOT_EQUAL(r.status, 0); /* nothing was ever pushed */
	tl_free(&r);
	/* Reading on that day still works. */
	r = cdv(home, ARGS("--as-of", d, "expirecheck"));
	CU_ASSERT(tl_contains(r.out, "ann"));
	tl_free(&r);
	free(must(home, "config read", ARGS("--as-of", d, "config", "window.days")));
	free(serial);
	free(log);
	free(d);
	free(remote);
	free(out);
	free(dir);
	free(home);
}

/*
 * A team that has not set up CRL publishing (crl.remote empty, the default) still gets
 * next year's warning: expirecheck lists certificates "expiring within N days and not
 * yet renewed", whatever became of last year's revocation.
 */
static void test_next_year_without_publishing(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir());
	char *out2 = cd_strdup(tl_tmpdir()), *d = tl_date_in(360);
	tl_result r;

	create(home, out, "amy", "30");
	free(must(home, "renew", ARGS("renew", "amy", "--out", out2)));
	free(must(home, "applied", ARGS("applied", "amy")));
	ASSERT_STAGE(home, "amy", 360, "expiring");
	r = cdv(home, ARGS("--as-of", d, "expirecheck"));
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.out, "amy"));
	tl_free(&r);
	free(d);
	free(out2);
	free(out);
	free(home);
}

static void test_stage_expired(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir());
	tl_result r;
	char *d;

	create(home, out, "bob", "5");
	ASSERT_STAGE(home, "bob", 0, "expiring");
	ASSERT_STAGE(home, "bob", 4, "expiring");
	ASSERT_STAGE(home, "bob", 6, "expired");
	ASSERT_STAGE(home, "bob", 100, "expired");
	d = tl_date_in(6);
	r = cdv(home, ARGS("--as-of", d, "expirecheck"));
	CU_ASSERT_EQUAL(r.status, 2);
	CU_ASSERT(tl_contains(r.out, "expired"));
	tl_free(&r);
	free(d);
	/* In the past, before the window: active. */
	ASSERT_STAGE(home, "bob", -30, "active");
	free(out);
	free(home);
}

/* A record no template can make one line of (a line break put in its name behind
 * certdesk's back) is listed without links; everyone after it still is, with links. */
static void test_expirecheck_bad_record(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir()), *s;
	tl_result r;

	create(home, out, "bob", "5");
	create(home, out, "eve", "7");
	s = sql(home, "UPDATE users SET full_name = 'B' || char(10) || 'B' WHERE name = 'bob'");
	free(s);
	r = cdv(home, ARGS("--expirecheck"));
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.out, "bob  "));
	CU_ASSERT(tl_contains(r.out, "eve  "));
	CU_ASSERT(tl_contains(r.out, "mail: mailto:t@example.org?subject="));
	CU_ASSERT(tl_contains(r.err, "bob: no links: "));
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 2);
	tl_free(&r);
	/* notify --due records everyone else, names bob, and exits 1 for cron to mail. */
	r = cdv(home, ARGS("notify", "--due"));
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.out, "eve\n  task: https://"));
	CU_ASSERT(!tl_contains(r.out, "bob"));
	CU_ASSERT(tl_contains(r.err, "bob: not notified: "));
	CU_ASSERT(tl_contains(r.err, "1 user left unnotified"));
	tl_free(&r);
	ASSERT_STAGE(home, "eve", 0, "notified");
	ASSERT_STAGE(home, "bob", 0, "expiring");
	s = sql(home, "SELECT count(*) FROM audit WHERE action = 'notify'");
	CU_ASSERT_STRING_EQUAL(s, "1\n");
	free(s);
	free(out);
	free(home);
}

/* ---- notify, task, applied ---- */

static void test_notify_due(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir()), *s, *log;

	create(home, out, "d5", "5");
	create(home, out, "d7", "7");
	create(home, out, "d10", "10");
	create(home, out, "d12", "12");
	create(home, out, "far", "100");
	free(must(home, "notify d12", ARGS("notify", "d12", "--task", "T1")));
	s = must(home, "notify --due", ARGS("notify", "--due"));
	/* Everyone in the window not yet notified, in expiry order, with both links. */
	CU_ASSERT(tl_contains(s, "d5\n") && tl_contains(s, "d7\n") && tl_contains(s, "d10\n"));
	CU_ASSERT(!tl_contains(s, "d12\n"));
	CU_ASSERT(!tl_contains(s, "far"));
	CU_ASSERT(strstr(s, "d5\n") < strstr(s, "d7\n") && strstr(s, "d7\n") < strstr(s, "d10\n"));
	{
		const char *p = s;
		int tasks = 0, mails = 0;
		while ((p = strstr(p, "  task: https://")))
			tasks++, p++;
		p = s;
		while ((p = strstr(p, "  mail: mailto:")))
			mails++, p++;
		CU_ASSERT_EQUAL(tasks, 3);
		CU_ASSERT_EQUAL(mails, 3);
	}
	free(s);
	ASSERT_STAGE(home, "d5", 0, "notified");
	ASSERT_STAGE(home, "d10", 0, "notified");
	ASSERT_STAGE(home, "far", 0, "active");
	/* A second run has nothing left to do. */
	s = must(home, "notify --due again", ARGS("notify", "--due"));
	CU_ASSERT(!tl_contains(s, "task:"));
	free(s);
	log = sql(home, "SELECT count(*) FROM audit WHERE action = 'notify'");
	CU_ASSERT_STRING_EQUAL(log, "4\n");
	free(log);
	/* Later, far enters the window too: expirecheck plans it, notify --due waits. */
	{
		char *d = tl_date_in(90);
		tl_result r = cdv(home, ARGS("--as-of", d, "expirecheck"));
		CU_ASSERT(tl_contains(r.out, "far"));
		tl_free(&r);
		refused(home, out, "--as-of only judges", ARGS("--as-of", d, "notify", "--due"));
		free(d);
	}
	free(out);
	free(home);
}

static void test_task_and_applied(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir());
	char *out2 = cd_strdup(tl_tmpdir()), *s;

	create(home, out, "carol", "10");
	create(home, out, "dan", "10");
	free(must(home, "notify", ARGS("notify", "carol")));
	free(must(home, "task", ARGS("task", "carol", "T42")));
	free(must(home, "task again", ARGS("task", "carol", "T43")));
	s = must(home, "list", ARGS("--format", "tsv", "list"));
	{
		char *task = tsv_field(s, "carol", 7);
		CU_ASSERT_STRING_EQUAL(task, "T43");
		free(task);
	}
	free(s);
	s = must(home, "log", ARGS("--format", "tsv", "log", "carol"));
	CU_ASSERT(tl_contains(s, "\ttask\tcarol\tT42"));
	CU_ASSERT(tl_contains(s, "\ttask\tcarol\tT43"));
	CU_ASSERT(tl_contains(s, "T42)") || tl_contains(s, "was T42"));
	free(s);
	/* Bad inputs of the workflow. */
	refused(home, out, "task id", ARGS("task", "carol", "12 3"));
	refused(home, out, "task id", ARGS("task", "carol", "T12x"));
	refused(home, out, "task id", ARGS("task", "carol", "t42"));
	refused(home, out, "task id", ARGS("notify", "dan", "--task", "PHAB-1"));
	refused(home, out, "no such user", ARGS("task", "nobody", "T1"));
	refused(home, out, "no such user", ARGS("notify", "nobody"));
	refused(home, out, "no such user", ARGS("applied", "nobody"));
	refused(home, out, "no pending renewal", ARGS("applied", "dan"));
	refused(home, out, "invalid user name", ARGS("notify", "Dan"));
	refused(home, out, "either", ARGS("notify", "--due", "dan"));
	refused(home, out, "--task", ARGS("notify", "--due", "--task", "T1"));
	/* Applied once, not twice. */
	free(must(home, "renew", ARGS("renew", "carol", "--out", out2)));
	free(must(home, "applied", ARGS("applied", "carol")));
	refused(home, out2, "already", ARGS("applied", "carol"));
	s = sql(home, "SELECT applied_via FROM certs WHERE applied_at IS NOT NULL");
	CU_ASSERT_STRING_EQUAL(s, "operator\n");
	free(s);
	free(out2);
	free(out);
	free(home);
}

/* ---- seen ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static void test_seen_logs(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir());
	char *out2 = cd_strdup(tl_tmpdir()), *logs = cd_strdup(tl_tmpdir());
	char *old_a, *new_a, *new_b, *new_c, *text, *path, *s;
	tl_result r;

	create(home, out, "ann", "10");
	create(home, out, "ben", "10");
	create(home, out, "cat", "10");
	old_a = serial_of(home, "ann");
	free(must(home, "renew ann", ARGS("renew", "ann", "--out", out2)));
	free(must(home, "renew ben", ARGS("renew", "ben", "--out", out2)));
	free(must(home, "renew cat", ARGS("renew", "cat", "--out", out2)));
	new_a = serial_of(home, "ann");
	new_b = serial_of(home, "ben");
	new_c = serial_of(home, "cat");
	CU_ASSERT(strlen(new_a) >= 16 && strcmp(old_a, new_a) != 0);

	/* nginx: log_format with $ssl_client_serial appended; the old serial and a stranger's
	 * serial first, then garbage, then ann's new certificate twice. */
	path = cd_asprintf("%s/access.log", logs);
	text = cd_asprintf(
		"203.0.113.5 - - [27/Nov/2026:08:00:00 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8\" %s\n"
		"203.0.113.9 - - [27/Nov/2026:08:30:00 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8\" "
		"0123456789ABCDEF0123456789ABCDEF\n"
		"this line is not a log line at all\n"
		"\x01\x02\xff\xfe binary \x7f\x80 garbage\n"
		"203.0.113.5 - - [27/Nov/2026:09:15:42 +0000] \"GET /app HTTP/2.0\" 200 99 \"-\" \"Firefox\" %s\n"
		"203.0.113.5 - - [27/Nov/2026:10:00:00 +0000] \"GET /app HTTP/2.0\" 200 99 \"-\" \"Firefox\" %s\n"
		"203.0.113.7 - - [27/Nov/2026:10:01:00 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8\" -\n",
		old_a, new_a, new_a);
	write_file(path, text);
	free(text);
	r = cdv(home, ARGS("seen", path));
	CU_ASSERT(tl_ok_or_report(&r, "seen nginx"));
	CU_ASSERT(tl_contains(r.out, "ann"));
	CU_ASSERT(tl_contains(r.out, new_a));
	CU_ASSERT(tl_contains(r.out, "2026-11-27T09:15:42Z"));
	CU_ASSERT(tl_contains(r.out, "1 renewal"));
	CU_ASSERT(!tl_contains(r.out, "ben"));
	tl_free(&r);
	s = sql(home, "SELECT applied_at, applied_via FROM certs WHERE applied_at IS NOT NULL");
	{
		char *want = cd_asprintf("%lld|log %s\n", (long long)cd_timegm(2026, 11, 27, 9, 15, 42),
					 path);
		CU_ASSERT_STRING_EQUAL(s, want);
		free(want);
	}
	free(s);
	ASSERT_STAGE(home, "ann", 0, "applied");
	ASSERT_STAGE(home, "ben", 0, "renewed");
	/* A second scan marks nothing again. */
	r = cdv(home, ARGS("seen", path));
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "0 renewals"));
	tl_free(&r);
	free(path);

	/* Apache: LogFormat "%h %l %u %t \"%r\" %>s %b %{SSL_CLIENT_M_SERIAL}x", gzipped, with
	 * a time zone offset, a line of 3 MB and a truncated gzip beside it. */
	path = cd_asprintf("%s/ssl_access.log", logs);
	{
		cd_buf b = {0};
		int i;
		cd_buf_printf(&b, "198.51.100.20 - ben [28/Nov/2026:10:00:00 +0100] \"GET /x HTTP/1.1\" "
			      "200 1234 %s\n", new_b);
		for (i = 0; i < 3 * 1024 * 1024; i++)
			cd_buf_putc(&b, 'A' + i % 6);
		cd_buf_puts(&b, "\n");
		write_file(path, b.s);
		cd_buf_free(&b);
	}
	r = tl_sh("cd '%s' && gzip ssl_access.log && printf '1.2.3.4 - - [28/Nov/2026:11:00:00 +0000] "
		  "\"GET / HTTP/1.1\" 200 1 %s\\n' | gzip > cut.log.gz && "
		  "truncate -s 30 cut.log.gz", logs, new_c);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	free(path);
	path = cd_asprintf("%s/ssl_access.log.gz", logs);
	{
		char *cut = cd_asprintf("%s/cut.log.gz", logs);
		r = cdv(home, ARGS("seen", cut, path));
		CU_ASSERT(r.status < 128); /* never a crash */
		CU_ASSERT(tl_contains(r.out, "ben"));
		CU_ASSERT(tl_contains(r.out, "2026-11-28T09:00:00Z"));
		CU_ASSERT(tl_contains(r.err, "truncated"));
		CU_ASSERT(tl_contains(r.err, "1 skipped")); /* the 3 MB line */
		tl_free(&r);
		free(cut);
	}
	ASSERT_STAGE(home, "ben", 0, "applied");
	ASSERT_STAGE(home, "cat", 0, "renewed");
	/* Standard input. */
	{
		const char *argv[] = {bin(), "--home", home, "seen", NULL};
		char *line = cd_asprintf("::1 - - [29/Nov/2026:00:00:01 +0000] \"GET / HTTP/1.1\" 200 5 "
					 "\"-\" \"-\" %s\n", new_c);
		r = tl_run(argv, line);
		CU_ASSERT(tl_ok_or_report(&r, "seen from stdin"));
		CU_ASSERT(tl_contains(r.out, "cat"));
		tl_free(&r);
		free(line);
	}
	ASSERT_STAGE(home, "cat", 0, "applied");
	/* Every applied is in the audit trail with the log it came from. */
	s = must(home, "log", ARGS("--format", "tsv", "log"));
	CU_ASSERT(tl_contains(s, "\tapplied\tann\tlog "));
	CU_ASSERT(tl_contains(s, "\tapplied\tben\tlog "));
	CU_ASSERT(tl_contains(s, "access.log"));
	free(s);
	free(path);
	free(old_a);
	free(new_a);
	free(new_b);
	free(new_c);
	free(logs);
	free(out2);
	free(out);
	free(home);
}

static void test_seen_missing_file(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir());
	char *out2 = cd_strdup(tl_tmpdir()), *log = cd_asprintf("%s/access.log", out2);
	char *line, *serial, *evil = cd_asprintf("%s/no\x1b[2Jsuch.log", out2);
	tl_result r;

	create(home, out, "ann", "10");
	refused(home, out, "no-such.log", ARGS("seen", "/nonexistent/no-such.log"));
	/* A log that would mark ann applied, then a bad name: every file is checked
	 * before the first is read, so nothing is recorded and nothing printed. */
	free(must(home, "renew ann", ARGS("renew", "ann", "--out", out2)));
	serial = serial_of(home, "ann");
	line = cd_asprintf("1.2.3.4 - - [27/Nov/2026:08:00:00 +0000] \"GET / HTTP/1.1\" 200 1 %s\n",
			   serial);
	write_file(log, line);
	refused(home, out, "no-such.log", ARGS("seen", log, "/nonexistent/no-such.log"));
	refused(home, out, "not a log file", ARGS("seen", log, out2));
	refused(home, out, "not a log file", ARGS("seen", "/dev/zero"));
	/* A name that would move the terminal's cursor is shown with '?' in its place. */
	refused(home, out, "no?[2Jsuch.log", ARGS("seen", evil));
	r = cdv(home, ARGS("seen", evil));
	CU_ASSERT(strchr(r.err, '\x1b') == NULL);
	tl_free(&r);
	ASSERT_STAGE(home, "ann", 0, "renewed");
	free(must(home, "seen", ARGS("seen", log)));
	ASSERT_STAGE(home, "ann", 0, "applied");
	free(line);
	free(serial);
	free(evil);
	free(log);
	free(out2);
	free(out);
	free(home);
}

/* ---- links through the CLI, decoded by python3 ---- */

static const char check_py[] =
	"import json, os, sys, urllib.parse as up\n"
	"v = json.loads(os.environ['VARS'])\n"
	"tdir = os.environ['TDIR']\n"
	"def render(name):\n"
	"    t = open(os.path.join(tdir, name), encoding='utf-8').read()\n"
	"    out, i = '', 0\n"
	"    while i < len(t):\n"
	"        if t.startswith('{{', i): out += '{'; i += 2\n"
	"        elif t.startswith('}}', i): out += '}'; i += 2\n"
	"        elif t[i] == '{':\n"
	"            j = t.index('}', i); out += v[t[i+1:j]]; i = j + 1\n"
	"        else: out += t[i]; i += 1\n"
	"    return out.rstrip('\\n')\n"
	"def query(link):\n"
	"    q = {}\n"
	"    for part in up.urlsplit(link).query.split('&'):\n"
	"        k, _, val = part.partition('=')\n"
	"        q[k] = up.unquote(val, errors='strict')\n"
	"    return q\n"
	"task = mail = None\n"
	"for line in sys.stdin:\n"
	"    line = line.strip()\n"
	"    if line.startswith('task: '): task = line[6:]\n"
	"    if line.startswith('mail: '): mail = line[6:]\n"
	"bad = []\n"
	"for l in (task, mail):\n"
	"    if ' ' in l or '+' in l: bad.append('raw space or plus in ' + l[:40])\n"
	"t = query(task)\n"
	"if not task.startswith('https://phabricator.wikimedia.org/maniphest/task/edit/form/1/?'): bad.append('task base')\n"
	"if t.get('title') != render('task-title.txt'): bad.append('title: %r' % t.get('title'))\n"
	"if t.get('description') != render('task-description.txt'): bad.append('description')\n"
	"if t.get('projects') != 'fundraising-tech-ops': bad.append('projects')\n"
	"m = query(mail)\n"
	"sp = up.urlsplit(mail)\n"
	"if sp.scheme != 'mailto' or up.unquote(sp.path) != v['email']: bad.append('mail to')\n"
	"if m.get('subject') != render('mail-subject.txt'): bad.append('subject: %r' % m.get('subject'))\n"
	"body = m.get('body', '')\n"
	"if '\\n' in body.replace('\\r\\n', ''): bad.append('bare LF in body')\n"
	"if body.replace('\\r\\n', '\\n') != render('mail-body.txt'): bad.append('body')\n"
	"print('OK' if not bad else '\\n'.join(bad))\n";

static void test_links_decoded(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir()), *dir = cd_strdup(tl_tmpdir());
	char *py = cd_asprintf("%s/check.py", dir), *links = cd_asprintf("%s/links.txt", dir);
	char *serial, *expiry, *days, *tsv, *vars, *tmpl = cd_asprintf("%s/templates", home);
	const char *name = "Jos\xc3\xa9 M\xc3\xbcller & Co #1 +50% =?";
	tl_result r;

	r = cdv(home, ARGS("create", "jose", "--name", name, "--email", "jose+certs@example.org",
			   "--days", "9", "--out", out));
	CU_ASSERT(tl_ok_or_report(&r, "create"));
	tl_free(&r);
	r = cdv(home, ARGS("--format", "tsv", "list"));
	tsv = take_out(&r);
	serial = tsv_field(tsv, "jose", 3);
	expiry = tsv_field(tsv, "jose", 4);
	days = tsv_field(tsv, "jose", 5);
	write_file(py, check_py);
	r = cdv(home, ARGS("notify", "jose", "--task", "T777"));
	CU_ASSERT(tl_ok_or_report(&r, "notify"));
	write_file(links, r.out);
	tl_free(&r);
	/* JSON through python itself, so that the name's bytes arrive intact. */
	vars = cd_asprintf("{\"user\": \"jose\", \"full_name\": \"Jos\\u00e9 M\\u00fcller & Co #1 +50%% =?\", "
			   "\"email\": \"jose+certs@example.org\", \"expiry\": \"%s\", \"days_left\": "
			   "\"%s\", \"serial\": \"%s\", \"task\": \"T777\", \"operator_name\": \"%s\", "
			   "\"ca_name\": \"Test CA\"}", expiry, days, serial, cd_operator());
	r = tl_sh("VARS='%s' TDIR='%s' python3 '%s' < '%s' 2>&1", vars, tmpl, py, links);
	if (strcmp(r.out, "OK\n") != 0)
		fprintf(stderr, "\nlinks decoded by python3 differ:\n%s\n", r.out);
	CU_ASSERT_STRING_EQUAL(r.out, "OK\n");
	tl_free(&r);
	free(vars);
	free(serial);
	free(expiry);
	free(days);
	free(tsv);
	free(tmpl);
	free(py);
	free(links);
	free(dir);
	free(out);
	free(home);
}

static void test_bad_templates(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir());
	char *body = cd_asprintf("%s/templates/mail-body.txt", home);
	char *title = cd_asprintf("%s/templates/task-title.txt", home), *orig;
	tl_result r;

	create(home, out, "kim", "9");
	orig = tl_read(body);
	r = tl_sh("printf 'Dear {fullname},\\n' >> '%s'", body);
	tl_free(&r);
	refused(home, out, "fullname", ARGS("notify", "kim"));
	refused(home, out, "mail-body.txt", ARGS("notify", "kim", "--task", "T5"));
	refused(home, out, "mail-body.txt", ARGS("notify", "--due"));
	write_file(body, orig);
	r = tl_sh("printf 'Renew \\377\\376 {user}\\n' > '%s'", title);
	tl_free(&r);
	refused(home, out, "task-title.txt", ARGS("notify", "kim"));
	refused(home, out, "UTF-8", ARGS("notify", "kim"));
	/* Repaired, it works and records the notification. */
	r = tl_sh("printf 'Renew {user}\\n' > '%s'", title);
	tl_free(&r);
	free(must(home, "notify after repair", ARGS("notify", "kim")));
	ASSERT_STAGE(home, "kim", 0, "notified");
	free(orig);
	free(body);
	free(title);
	free(out);
	free(home);
}

/* ---- audit ---- */

static void test_audit_never_a_secret(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir());
	char *out2 = cd_strdup(tl_tmpdir()), *s, *pw;
	tl_result r;
	static const char *const actions[] = {"create", "notify", "task", "renew", "applied",
					      "revoke", "config"};
	size_t i;

	create(home, out, "lee", "9");
	create(home, out, "max", "9");
	free(must(home, "notify", ARGS("notify", "lee")));
	free(must(home, "task", ARGS("task", "lee", "T9")));
	free(must(home, "renew", ARGS("renew", "lee", "--out", out2)));
	free(must(home, "applied", ARGS("applied", "lee")));
	free(must(home, "revoke", ARGS("revoke", "max", "--reason", "keyCompromise")));
	free(must(home, "config", ARGS("config", "window.days", "21")));
	s = must(home, "log", ARGS("--format", "tsv", "log"));
	for (i = 0; i < sizeof actions / sizeof *actions; i++) {
		char *tab = cd_asprintf("\t%s\t", actions[i]);
		if (!tl_contains(s, tab))
			fprintf(stderr, "\nno '%s' entry in the audit trail\n", actions[i]);
		CU_ASSERT(tl_contains(s, tab));
		free(tab);
	}
	/* Each line names its operator. */
	{
		char *who = cd_asprintf("\t%s\t", cd_operator());
		const char *line = strchr(s, '\n') + 1;
		while (line && *line) {
			CU_ASSERT(strncmp(strchr(line, '\t'), who, strlen(who)) == 0);
			line = strchr(line, '\n');
			line = line ? line + 1 : NULL;
		}
		free(who);
	}
	/* SUDO_USER names the person behind sudo, as sudo sets it: root running certdesk,
	 * SUDO_UID that user's uid (here nobody, a user every system has). Run by anyone
	 * else, it is only a claim. */
	{
		struct passwd *nobody = getpwnam("nobody");
		char uid[24], *want;
		CU_ASSERT_PTR_NOT_NULL_FATAL(nobody);
		snprintf(uid, sizeof uid, "%ld", (long)nobody->pw_uid);
		want = getuid() == 0 && geteuid() == 0 ? cd_strdup("\tnobody\ttask\tlee\tT10") :
			cd_asprintf("\t%s (claimed nobody)\ttask\tlee\tT10", cd_operator());
		setenv("SUDO_USER", "nobody", 1);
		setenv("SUDO_UID", uid, 1);
		free(must(home, "task as sudo", ARGS("task", "lee", "T10")));
		unsetenv("SUDO_USER");
		unsetenv("SUDO_UID");
		free(s);
		s = must(home, "log lee", ARGS("--format", "tsv", "log", "lee"));
		CU_ASSERT(tl_contains(s, want));
		free(want);
	}
	/* No password anywhere: not in the database files, not in the log output. */
	{
		const char *pws[] = {"lee", "max"};
		const char *dirs[] = {out, out};
		for (i = 0; i < 2; i++) {
			char *p = cd_asprintf("%s/%s.pw", dirs[i], pws[i]);
			pw = tl_read(p);
			CU_ASSERT_FATAL(pw && strlen(pw) >= 16);
			CU_ASSERT(!tl_contains(s, pw));
			r = tl_sh("grep -rFaq -f '%s' '%s'", p, home);
			CU_ASSERT_EQUAL(r.status, 1); /* not found */
			tl_free(&r);
			free(pw);
			free(p);
		}
		pw = cd_asprintf("%s/lee.pw", out2);
		r = tl_sh("grep -rFaq -f '%s' '%s'; echo $?; '%s' --home '%s' log | grep -Fc -f '%s'",
			  pw, home, bin(), home, pw);
		CU_ASSERT_STRING_EQUAL(r.out, "1\n0\n");
		tl_free(&r);
		free(pw);
	}
	free(s);
	free(out2);
	free(out);
	free(home);
}

static CU_TestInfo stage_tests[] = {
	{"active, expiring, notified, renewed, applied", test_stages_full_cycle},
	{"--as-of plans: no write on its judgement", test_as_of_never_writes},
	{"expirecheck: one bad record does not hide the others", test_expirecheck_bad_record},
	{"active to expired", test_stage_expired},
	{"next year's window without CRL publishing", test_next_year_without_publishing},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo action_tests[] = {
	{"notify --due", test_notify_due},
	{"task, applied and their bad inputs", test_task_and_applied},
	{"seen on nginx and Apache logs, plain, gzipped, stdin", test_seen_logs},
	{"seen: a missing file, a directory, a device, an escape in a name", test_seen_missing_file},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo link_tests[] = {
	{"links decoded by python3 equal the templates", test_links_decoded},
	{"unknown variable and invalid UTF-8 in templates", test_bad_templates},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo audit_tests[] = {
	{"every change audited, never a secret", test_audit_never_a_secret},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {
		{"stages", stage_tests},
		{"actions", action_tests},
		{"links", link_tests},
		{"audit", audit_tests},
		{NULL, NULL},
	};

	setenv("HOME", tl_tmpdir(), 1);
	unsetenv("CERTDESK_HOME");
	unsetenv("SUDO_USER");
	unsetenv("SUDO_UID");
	return tl_main(suites);
}
