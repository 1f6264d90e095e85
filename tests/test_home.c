/* test_home.c: what a home keeps safe: a lost database is never silently re-created,
 * and a credential in a setting is never shown or stored in clear. The real certdesk
 * on temporary homes, judged with sqlite3 and ls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "util.h"

#define ARGS TL_ARGS

static char *sh_out(const char *fmt, const char *a)
{
	tl_result r = tl_sh(fmt, a);
	char *out = r.out;

	r.out = NULL;
	tl_free(&r);
	return out;
}

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
	char *snap = sh_out("%s", cmd);

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
	got = sh_out(check, home);
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
	tables = sh_out("sqlite3 '%s' \"SELECT count(*) FROM sqlite_master WHERE name = 'audit'\"", db);
	CU_ASSERT_STRING_EQUAL(tables, "1\n");
	free(tl_cd_ok(home, ARGS("list")));
	free(tables);
	free(db);
	free(out);
	free(home);
}

static CU_TestInfo lost_tests[] = {
	{"an emptied database is refused, never re-created", test_empty_database},
	{"a missing database beside a CA is refused", test_missing_database},
	{"a database without tables is refused", test_database_without_tables},
	{"a directory that is no home: init, and only init, creates one", test_only_init_creates},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {{"lost database", lost_tests}, {NULL, NULL}};

	return tl_main(suites);
}
