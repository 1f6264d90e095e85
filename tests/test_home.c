/* test_home.c: what a home keeps safe: a lost database is never silently re-created,
 * and a credential in a setting is never shown or stored in clear. The real certdesk
 * on temporary homes, judged with sqlite3 and ls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "testlib.h"
#include "util.h"

#define ARGS TL_ARGS

/* ---- a lost database ---- */

/* A home with one user, whose database then loses everything by damage. */
static char *home_with_user(const char *out)
{
	char *home = cd_strdup(tl_home());

	free(tl_cd_ok(home, ARGS("create", "ann", "--name", "Ann", "--email", "a@example.org",
			     "--phone", "1", "--days", "10", "--out", out)));
	return home;
}

static void damage(const char *home, const char *how)
{
	char *cmd = cd_asprintf("cd '%%s' && rm -f certdesk.db-wal certdesk.db-shm && %s", how);
	tl_result r = tl_sh(cmd, home);

	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	free(cmd);
}

/* Every file of the home and of out, with mode, size and checksum: unlike tl_snapshot,
 * without opening the database (sqlite3 would create a missing one), and with -wal
 * and -shm. */
static char *files_snapshot(const char *home, const char *out)
{
	char *cmd = cd_asprintf("find '%s' '%s' ! -name .lock -printf '%%p %%m %%s\\n' | sort; "
				"find '%s' '%s' -type f ! -name .lock -exec md5sum {} + | sort",
				home, out, home, out);
	char *snap = tl_sh_out("%s", cmd);

	free(cmd);
	return snap;
}

/* Runs args and checks the refusal: non-zero exit, one line on stderr holding want,
 * nothing on stdout, no file changed. */
static void refused_lost(const char *home, const char *out, const char *want,
			 const char *const *args)
{
	char *before = files_snapshot(home, out), *after;
	tl_result r = tl_cdv(home, args);

	after = files_snapshot(home, out);
	if (r.status == 0 || tl_count_lines(r.err) != 1 || !tl_contains(r.err, want) || *r.out)
		fprintf(stderr, "\n%s...: exit %d\nstdout: %s\nstderr: %s\n", args[0], r.status,
			r.out, r.err);
	CU_ASSERT(r.status != 0 && r.status < 128);
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	CU_ASSERT(tl_contains(r.err, want));
	CU_ASSERT_STRING_EQUAL(r.out, "");
	CU_ASSERT_STRING_EQUAL(before, after);
	tl_free(&r);
	free(before);
	free(after);
}

/* Every command, the read-only view and the monitoring check refuse the home with one
 * line, and write nothing: no new database, no -wal or -shm beside it. */
static void assert_lost(const char *home, const char *out, const char *want)
{
	static const char *const cmds[][12] = {
		{"list"},
		{"--format", "json", "list"},
		{"--read-only", "list"},
		{"create", "bob", "--name", "Bob", "--email", "b@example.org", "--phone", "1",
		 "--out", NULL},
		{"show", "ann"},
		{"config"},
		{"config", "window.days", "20"},
		{"log"},
		{"crl"},
		{"publish", "--dry-run"},
		{"notify", "--due"},
		{"--expirecheck"},
	};
	char *full = cd_asprintf("%s but %s/ca holds a CA: restore the database from a backup",
				 want, home);
	size_t i;
	tl_result r;

	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		const char *args[12];
		int j;
		for (j = 0; cmds[i][j]; j++)
			args[j] = cmds[i][j];
		if (!strcmp(args[0], "create"))
			args[j++] = out;
		args[j] = NULL;
		refused_lost(home, out, full, args);
	}
	/* Monitoring must notice: 3 is "could not run", never 0 "nothing is due". */
	r = tl_cd(home, "--expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 3);
	tl_free(&r);
	refused_lost(home, out, "already", ARGS("init")); /* it is no new home */
	free(full);
}

/* A home with a user whose database is then damaged by the shell command how; every
 * refusal names the database and what is wrong; check then prints expect. */
static void lost_case(const char *how, const char *what, const char *check, const char *expect)
{
	char *out = cd_strdup(tl_tmpdir()), *home = home_with_user(out);
	char *want = cd_asprintf("%s/certdesk.db %s", home, what), *got;

	damage(home, how);
	assert_lost(home, out, want);
	got = tl_sh_out(check, home);
	CU_ASSERT_STRING_EQUAL(got, expect);
	free(got);
	free(want);
	free(home);
	free(out);
}

static void test_empty_database(void)
{
	lost_case(": > certdesk.db", "is empty (0 bytes)", "stat -c %%s '%s/certdesk.db'", "0\n");
}

static void test_missing_database(void)
{
	lost_case("rm certdesk.db", "is missing", "ls -A '%s' | grep -c '^certdesk.db' || true",
		  "0\n");
}

/* An SQLite file, not empty, with no table at all (a botched restore, a wrong file). */
static void test_database_without_tables(void)
{
	lost_case("rm certdesk.db && sqlite3 certdesk.db 'PRAGMA user_version = 2; "
		  "CREATE TABLE t(x); DROP TABLE t'", "holds no tables",
		  "sqlite3 '%s/certdesk.db' 'SELECT count(*) FROM sqlite_master'", "0\n");
}

/* Another program's SQLite file in its place (tables, no certdesk schema). */
static void test_foreign_database(void)
{
	lost_case("rm certdesk.db && sqlite3 certdesk.db 'CREATE TABLE foo(x)'",
		  "holds tables but no certdesk schema",
		  "sqlite3 '%s/certdesk.db' 'SELECT group_concat(name) FROM sqlite_master'",
		  "foo\n");
}

/* A directory that is no home is still told to run init, and init makes the database. */
static void test_only_init_creates(void)
{
	char *home = cd_asprintf("%s/new", tl_tmpdir()), *out = cd_strdup(tl_tmpdir());
	char *db = cd_asprintf("%s/certdesk.db", home), *tables;
	tl_result r = tl_cd(home, "list", NULL);

	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "no certdesk home"));
	CU_ASSERT(tl_contains(r.err, "certdesk init"));
	CU_ASSERT(!cd_path_exists(db));
	tl_free(&r);
	free(tl_cd_ok(home, ARGS("init")));
	tables = tl_sh_out("sqlite3 '%s' \"SELECT count(*) FROM sqlite_master WHERE name = 'audit'\"", db);
	CU_ASSERT_STRING_EQUAL(tables, "1\n");
	free(tl_cd_ok(home, ARGS("list")));
	free(tables);
	free(db);
	free(out);
	free(home);
}

/* ---- a credential in crl.remote ---- */

static void test_mask_urls(void)
{
	static const char *const cases[][2] = {
		{"https://alice:tok3n@example.org/crl.git", "https://***@example.org/crl.git"},
		{"https://ghp_TOKEN@github.com/o/crl.git", "https://***@github.com/o/crl.git"},
		{"HTTP://T0KEN@example.org:8080/crl.git", "HTTP://***@example.org:8080/crl.git"},
		{"ssh://git@example.org/crl.git", "ssh://git@example.org/crl.git"},
		{"ssh://git:pw@example.org/crl.git", "ssh://***@example.org/crl.git"},
		{"git@example.org:team/crl.git", "git@example.org:team/crl.git"},
		{"alice@example.org:crl.git", "alice@example.org:crl.git"},
		{"/srv/git/crl.git", "/srv/git/crl.git"},
		{"file:///srv/git/crl.git", "file:///srv/git/crl.git"},
		{"https://example.org/a@b/crl.git", "https://example.org/a@b/crl.git"},
		{"https://u:p@ss@example.org/x", "https://***@example.org/x"},
		{"https://u:@example.org/x", "https://***@example.org/x"},
		/* GitHub's form: the token is the user. */
		{"https://ghp_T0K:x-oauth-basic@github.com/o/r.git", "https://***@github.com/o/r.git"},
		/* A password written unencoded, with / or # in it; a port is no password. */
		{"https://user:SEC/RET@h/x", "https://***@h/x"},
		{"https://user:SEC#RET@h/x", "https://***@h/x"},
		{"https://h:8443/~u@x/crl.git", "https://h:8443/~u@x/crl.git"},
		{"https://u:tok?x@example.org", "https://***@example.org"},
		{"cannot reach https://u:pw1@h/x: refused (see http://v:pw2@h2)",
		 "cannot reach https://***@h/x: refused (see http://***@h2)"},
		{"'https://u:pw@h' and \"x://y:z@w\"", "'https://***@h' and \"x://***@w\""},
		{"://u:p@h", "://u:p@h"},
		{"", ""},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = cd_mask_urls(cases[i][0]);
		if (strcmp(got, cases[i][1]))
			fprintf(stderr, "\ncd_mask_urls(%s) = %s\n", cases[i][0], got);
		CU_ASSERT_STRING_EQUAL(got, cases[i][1]);
		free(got);
	}
}

static void test_url_secret(void)
{
	char *s = cd_url_secret("https://alice:tok3n@example.org/crl.git");

	CU_ASSERT_STRING_EQUAL(s, "alice:tok3n");
	free(s);
	s = cd_url_secret("https://ghp_TOKEN@github.com/o/crl.git");
	CU_ASSERT_STRING_EQUAL(s, "ghp_TOKEN");
	free(s);
	CU_ASSERT_PTR_NULL(cd_url_secret("git@example.org:team/crl.git"));
	CU_ASSERT_PTR_NULL(cd_url_secret("ssh://git@example.org/crl.git"));
	CU_ASSERT_PTR_NULL(cd_url_secret("/srv/git/crl.git"));
	s = conf_shown("crl.remote", "https://alice:tok3n@example.org/crl.git");
	CU_ASSERT_STRING_EQUAL(s, "https://***@example.org/crl.git");
	free(s);
	s = conf_shown("default.org", "https://alice:tok3n@example.org");
	CU_ASSERT_STRING_EQUAL(s, "https://alice:tok3n@example.org"); /* text, not a URL */
	free(s);
}

#define REMOTE "https://alice:tok3n@example.org/crl.git"
#define SHOWN "https://***@example.org/crl.git"

/* Every way a teammate, read-only or not, can see the setting. */
static void assert_never_shown(const char *home, const char *secret, const char *shown)
{
	static const char *const views[][4] = {
		{"config"}, {"--format", "tsv", "config"}, {"--format", "json", "config"},
		{"config", "crl.remote"}, {"log"}, {"--format", "json", "log"},
		{"--read-only", "config"}, {"--read-only", "config", "crl.remote"},
		{"--read-only", "log"},
	};
	size_t i;

	for (i = 0; i < sizeof views / sizeof views[0]; i++) {
		tl_result r = tl_cdv(home, views[i]);
		CU_ASSERT_EQUAL(r.status, 0);
		CU_ASSERT(!tl_contains(r.out, secret) && !tl_contains(r.err, secret));
		if (shown && !tl_contains(r.out, shown))
			fprintf(stderr, "\n%s %s: %s\n", views[i][0], views[i][1] ? views[i][1] : "",
				r.out);
		CU_ASSERT(!shown || tl_contains(r.out, shown));
		tl_free(&r);
	}
}

static char *db_query(const char *home, const char *sql)
{
	char *cmd = cd_asprintf("sqlite3 '%%s/certdesk.db' \"%s\"", sql), *out = tl_sh_out(cmd, home);

	free(cmd);
	return out;
}

/* The setting keeps the real URL (pushes need it); nothing else in the home holds it. */
static void assert_stored_once(const char *home, const char *remote, const char *secret)
{
	char *v = db_query(home, "SELECT value FROM settings WHERE key = 'crl.remote'");
	char *want = cd_asprintf("%s\n", remote), *cmd, *n;

	CU_ASSERT_STRING_EQUAL(v, want);
	cmd = cd_asprintf("sqlite3 '%%s/certdesk.db' .dump | grep -c '%s'", secret);
	n = tl_sh_out(cmd, home);
	CU_ASSERT_STRING_EQUAL(n, "1\n");
	free(n);
	free(cmd);
	cmd = cd_asprintf("grep -rl --exclude='certdesk.db*' '%s' '%%s' | wc -l", secret);
	n = tl_sh_out(cmd, home);
	CU_ASSERT_STRING_EQUAL(n, "0\n");
	free(n);
	free(cmd);
	free(want);
	free(v);
}

static void test_credential_masked(void)
{
	char *home = cd_strdup(tl_home()), *out, *audit;

	out = tl_cd_ok(home, ARGS("config", "crl.remote", REMOTE));
	CU_ASSERT_STRING_EQUAL(out, "crl.remote = " SHOWN "\n");
	free(out);
	assert_never_shown(home, "tok3n", SHOWN);
	assert_stored_once(home, REMOTE, "tok3n");
	audit = db_query(home, "SELECT detail FROM audit WHERE action = 'config'");
	CU_ASSERT_STRING_EQUAL(audit, "crl.remote = " SHOWN "\n");
	free(audit);
	/* A token given as the user; an scp-like remote, whose user is no secret. */
	free(tl_cd_ok(home, ARGS("config", "crl.remote", "https://ghp_T0KEN@example.org/c.git")));
	assert_never_shown(home, "ghp_T0KEN", "https://***@example.org/c.git");
	out = tl_cd_ok(home, ARGS("config", "crl.remote", "git@example.org:team/crl.git"));
	CU_ASSERT_STRING_EQUAL(out, "crl.remote = git@example.org:team/crl.git\n");
	free(out);
	/* What certdesk shows cannot be set back by mistake: the real password would go. */
	tl_refused(home, home, "holds the mask", ARGS("config", "crl.remote", SHOWN));
	free(home);
}

/* A push that fails on the network: the message names the remote, masked. */
static void test_credential_not_in_errors(void)
{
	char *out = cd_strdup(tl_tmpdir()), *home = home_with_user(out);
	tl_result r;

	free(tl_cd_ok(home, ARGS("revoke", "ann")));
	free(tl_cd_ok(home, ARGS("config", "crl.remote", "http://bob:s3cr3t@127.0.0.1:1/crl.git")));
	r = tl_cd(home, "publish", NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	CU_ASSERT(tl_contains(r.err, "http://***@127.0.0.1:1/crl.git"));
	CU_ASSERT(!tl_contains(r.err, "s3cr3t") && !tl_contains(r.out, "s3cr3t"));
	tl_free(&r);
	assert_never_shown(home, "s3cr3t", NULL);
	assert_stored_once(home, "http://bob:s3cr3t@127.0.0.1:1/crl.git", "s3cr3t");
	free(home);
	free(out);
}

/* A database of schema 2 that recorded the credential in clear: the first writable open
 * masks the audit rows in place and keeps everything else. */
static void test_old_audit_rows_masked(void)
{
	char *home = cd_strdup(tl_home()), *before, *after, *v;
	tl_result r;

	r = tl_sh("sqlite3 '%s/certdesk.db' \"INSERT INTO settings VALUES ('crl.remote', '%s'); "
		  "INSERT INTO audit(at, actor, action, detail) VALUES "
		  "(1, 'root', 'config', 'crl.remote = %s'), "
		  "(2, 'root', 'config', 'phab.url = https://p:hunter2@phab.example.org'), "
		  "(3, 'root', 'import', 'easyrsa /srv/pki: 1 users, 1 certificates'); "
		  "DROP TABLE orphan_revocations; DROP TABLE crl_reserved; "
		  "PRAGMA user_version = 2\"", home, REMOTE, REMOTE);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	before = db_query(home, "SELECT id, at, actor, action, user FROM audit ORDER BY id");
	free(tl_cd_ok(home, ARGS("list")));
	v = db_query(home, "PRAGMA user_version");
	CU_ASSERT_STRING_EQUAL(v, "8\n");
	free(v);
	v = db_query(home, "SELECT detail FROM audit WHERE at < 10 ORDER BY id");
	CU_ASSERT_STRING_EQUAL(v, "crl.remote = " SHOWN "\nphab.url = https://***@phab.example.org\n"
			       "easyrsa /srv/pki: 1 users, 1 certificates\n");
	free(v);
	after = db_query(home, "SELECT id, at, actor, action, user FROM audit ORDER BY id");
	CU_ASSERT_STRING_EQUAL(before, after);
	assert_stored_once(home, REMOTE, "tok3n");
	assert_never_shown(home, "tok3n", SHOWN);
	free(before);
	free(after);
	free(home);
}

/* A credential in the task links' base is refused (it would be in every link and cron
 * mail), and a refused remote in init leaves no half-made home. */
static void test_credential_refused(void)
{
	const char *home = tl_home();
	char *fresh = cd_asprintf("%s/fresh", tl_tmpdir());
	tl_result r;

	tl_refused(home, tl_tmpdir(), "holds a credential",
		   ARGS("config", "phab.url", "https://u:pw@phab.example.org"));
	tl_refused(home, tl_tmpdir(), "holds the mask",
		   ARGS("config", "crl.remote", "https://u:***@example.org/crl.git"));
	r = tl_cd(fresh, "init", "--crl-remote", "https://u:***@example.org/crl.git", NULL);
	CU_ASSERT(r.status != 0 && tl_count_lines(r.err) == 1);
	CU_ASSERT(!cd_path_exists(fresh));
	tl_free(&r);
	free(fresh);
}

static CU_TestInfo secret_tests[] = {
	{"cd_mask_urls: passwords and tokens, not scp-like users", test_mask_urls},
	{"cd_url_secret and conf_shown", test_url_secret},
	{"config, log, the audit trail: the credential masked", test_credential_masked},
	{"a failed push names the remote masked", test_credential_not_in_errors},
	{"a credential in phab.url, the mask in init: refused", test_credential_refused},
	{"migration 3 masks old audit rows in place", test_old_audit_rows_masked},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo lost_tests[] = {
	{"an emptied database is refused, never re-created", test_empty_database},
	{"a missing database beside a CA is refused", test_missing_database},
	{"a database without tables is refused", test_database_without_tables},
	{"another program's database is refused", test_foreign_database},
	{"a directory that is no home: init, and only init, creates one", test_only_init_creates},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {
		{"lost database", lost_tests}, {"credential in a setting", secret_tests}, {NULL, NULL},
	};

	return tl_main(suites);
}
