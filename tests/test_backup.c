/* test_backup.c: `certdesk backup`, `backup --check` and `restore` end to end: the real
 * binary on real homes and bare git repositories, judged by openssl, tar, sqlite3 and git. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "testlib.h"

typedef struct {
	char base[600], home[700], remote[700], out[700], pass[700];
} env;

#define PASS "correct horse battery"

#define CD_OK(home, ...) tl_cd_ok(home, TL_ARGS(__VA_ARGS__))

/* A home (CA named cn) whose crl.remote is a fresh bare repository, and a passphrase file. */
static void env_new(env *e, const char *cn)
{
	snprintf(e->base, sizeof e->base, "%s", tl_tmpdir());
	snprintf(e->home, sizeof e->home, "%s/home", e->base);
	snprintf(e->remote, sizeof e->remote, "%s/remote.git", e->base);
	snprintf(e->out, sizeof e->out, "%s/out", e->base);
	snprintf(e->pass, sizeof e->pass, "%s/pass", e->base);
	free(tl_sh_out("git init -q --bare -b main %s && mkdir -p %s && printf '%s\\n' > %s",
		    e->remote, e->out, PASS, e->pass));
	free(CD_OK(e->home, "init", "--cn", cn));
	free(CD_OK(e->home, "config", "crl.remote", e->remote));
}

static void create_user(const env *e, const char *home, const char *user, char serial[80])
{
	char name[64], mail[64], *out, *p;

	snprintf(name, sizeof name, "User %s", user);
	snprintf(mail, sizeof mail, "%s@example.org", user);
	out = CD_OK(home, "create", user, "--name", name, "--email", mail, "--out", e->out);
	serial[0] = '\0';
	if ((p = strstr(out, "serial ")))
		sscanf(p + 7, "%79[0-9A-F]", serial);
	CU_ASSERT(strlen(serial) > 10);
	free(out);
}

static char *cd_path(const env *e, const char *name)
{
	char *p = malloc(strlen(e->base) + strlen(name) + 2);

	sprintf(p, "%s/%s", e->base, name);
	return p;
}

static char *backup_ok(const env *e, const char *home, const char *name)
{
	char *file = cd_path(e, name);

	free(CD_OK(home, "backup", file, "--passphrase-file", e->pass));
	return file;
}

static char *list_tsv(const char *home)
{
	return CD_OK(home, "--format", "tsv", "list", "--all");
}

static char *crl_number(const env *e)
{
	return tl_sh_out("git -C %s show main:crl.pem | openssl crl -noout -crlnumber", e->remote);
}

static long crl_number_value(const env *e)
{
	char *v = crl_number(e);
	long n = strtol(strchr(v, '=') ? strchr(v, '=') + 1 : "0", NULL, 16);

	free(v);
	return n;
}

static int remote_lists(const env *e, const char *serial)
{
	char *v = tl_sh_out("git -C %s show main:crl.pem | openssl crl -noout -text", e->remote);
	char needle[120];
	int yes;

	snprintf(needle, sizeof needle, "Serial Number: %s\n", serial);
	yes = tl_contains(v, needle);
	free(v);
	return yes;
}

/* ---- openssl and tar open it alone ---- */

static void test_openssl_opens(void)
{
	env e;
	char a[80], *file, *v;

	env_new(&e, "Backup CA");
	create_user(&e, e.home, "alice", a);
	file = backup_ok(&e, e.home, "one.cms");
	CU_ASSERT_EQUAL(tl_mode(file), 0600);
	v = tl_sh_out("openssl cms -decrypt -pwri_password '%s' -inform DER -in %s | tar tf -", PASS,
		   file);
	CU_ASSERT(tl_contains(v, "certdesk-backup.txt\ncertdesk.db\nca/ca.crt\nca/ca.key\n"));
	CU_ASSERT(tl_contains(v, "templates/mail-body.txt\n"));
	free(v);
	/* The key and the database as they are: the key byte for byte, the users in it. */
	v = tl_sh_out("set -e; d=%s/x; mkdir $d; openssl cms -decrypt -pwri_password '%s' -inform DER "
		   "-in %s | tar xf - -C $d; cmp $d/ca/ca.key %s/ca/ca.key && echo same; "
		   "stat -c %%a $d/ca/ca.key; sqlite3 $d/certdesk.db 'PRAGMA integrity_check; "
		   "SELECT name FROM users'", e.base, PASS, file, e.home);
	CU_ASSERT_STRING_EQUAL(v, "same\n600\nok\nalice\n");
	free(v);
	v = tl_sh_out("openssl cms -decrypt -pwri_password wrong -inform DER -in %s >/dev/null 2>&1 "
		   "|| echo refused", file);
	CU_ASSERT_STRING_EQUAL(v, "refused\n");
	free(v);
	v = CD_OK(e.home, "backup", "--check", file, "--passphrase-file", e.pass);
	CU_ASSERT(tl_contains(v, "CN=Backup CA"));
	CU_ASSERT(tl_contains(v, "users:           1\n"));
	{
		char want[40];

		snprintf(want, sizeof want, "schema version:  %d\n", STORE_SCHEMA_VERSION);
		CU_ASSERT(tl_contains(v, want));
	}
	CU_ASSERT(tl_contains(v, "last CRL Number: none published"));
	free(v);
	free(file);
}

/* ---- a backup while another process creates and renews ---- */

static pid_t start_writer(const env *e)
{
	pid_t pid = fork();

	if (pid == 0) {
		char cmd[4096];

		snprintf(cmd, sizeof cmd, "for i in $(seq 1 12); do %s --home %s create w$i --name W "
			 "--email w$i@example.org --out %s >/dev/null 2>&1; %s --home %s renew u0 "
			 "--out %s/r$i >/dev/null 2>&1; done", tl_bin(), e->home, e->out, tl_bin(),
			 e->home, e->out);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void restore_ok(const env *e, const char *home, const char *file)
{
	char *v = tl_cd_ok(home, TL_ARGS("restore", file, "--passphrase-file", e->pass));

	CU_ASSERT(tl_contains(v, "restored certdesk home"));
	free(v);
}

static void test_backup_while_writing(void)
{
	env e;
	char s[80], *busy, *quiet, *home2, *home3, *a, *b, *v;
	int status;
	pid_t pid;

	env_new(&e, "Busy CA");
	create_user(&e, e.home, "u0", s);
	pid = start_writer(&e);
	usleep(300000);
	busy = backup_ok(&e, e.home, "busy.cms");
	waitpid(pid, &status, 0);
	CU_ASSERT(WIFEXITED(status));
	home2 = cd_path(&e, "restored-busy");
	restore_ok(&e, home2, busy);
	/* A snapshot: the database whole, some of the writer's users in it or none. */
	v = tl_sh_out("sqlite3 %s/certdesk.db 'PRAGMA integrity_check; PRAGMA foreign_key_check' && "
		   "sqlite3 %s/certdesk.db \"SELECT count(*) FROM certs WHERE state = 'pending'\"",
		   home2, home2);
	CU_ASSERT(strncmp(v, "ok\n", 3) == 0);
	free(v);
	a = CD_OK(home2, "list", "--all");
	CU_ASSERT(tl_contains(a, "u0"));
	free(a);

	quiet = backup_ok(&e, e.home, "quiet.cms");
	home3 = cd_path(&e, "restored-quiet");
	restore_ok(&e, home3, quiet);
	a = list_tsv(e.home);
	b = list_tsv(home3);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT(tl_contains(b, "w12\t"));
	free(a);
	free(b);
	/* The restored home issues. */
	create_user(&e, home3, "newcomer", s);
	free(busy), free(quiet), free(home2), free(home3);
}

/* ---- the CRL Number never goes back ---- */

static void test_crl_continues(void)
{
	env e;
	char bob[80], carol[80], dave[80], *file, *home2, *v;
	long before;

	env_new(&e, "Numbered CA");
	create_user(&e, e.home, "bob", bob);
	create_user(&e, e.home, "carol", carol);
	free(CD_OK(e.home, "revoke", "bob"));
	free(CD_OK(e.home, "publish"));
	file = backup_ok(&e, e.home, "before.cms");
	/* After the backup: carol revoked and published; the backup knows nothing of it. */
	free(CD_OK(e.home, "revoke", "carol"));
	free(CD_OK(e.home, "publish"));
	before = crl_number_value(&e);
	CU_ASSERT(before >= 2);
	CU_ASSERT(remote_lists(&e, carol));

	home2 = cd_path(&e, "restored");
	restore_ok(&e, home2, file);
	{
		tl_result r = tl_cd(home2, "publish", NULL);

		CU_ASSERT_EQUAL(r.status, 0);
		CU_ASSERT(tl_contains(r.err, "took in the revocation of serial"));
		CU_ASSERT(tl_contains(r.err, carol));
		/* Its first publish re-signs the CRL, so its audit trail is anchored again. */
		tl_free(&r);
		v = tl_sh_out("git -C %s log -1 --format=%%B main", e.remote);
		CU_ASSERT(tl_contains(v, "took in revocations made after the backup"));
		CU_ASSERT(tl_contains(v, "Audit-Head: "));
		free(v);
	}
	/* The head the old home pushed after the backup is not in the restored trail:
	 * verify says so in its summary, and is clean. */
	{
		tl_result r = tl_cd(home2, "verify", NULL);

		CU_ASSERT(tl_ok_or_report(&r, "verify of a home restored from an older backup"));
		CU_ASSERT(tl_contains(r.out, "pushed before this home was restored from an older "
				      "backup"));
		tl_free(&r);
	}
	v = CD_OK(home2, "log");
	CU_ASSERT(tl_contains(v, "took in the revocation of serial"));
	CU_ASSERT(tl_contains(v, "restore"));
	free(v);
	v = CD_OK(home2, "--format", "tsv", "list", "--all");
	CU_ASSERT(tl_contains(v, "revoked"));
	free(v);
	create_user(&e, home2, "dave", dave);
	free(CD_OK(home2, "revoke", "dave"));
	free(CD_OK(home2, "publish"));
	CU_ASSERT(crl_number_value(&e) > before);
	CU_ASSERT(remote_lists(&e, bob) && remote_lists(&e, carol) && remote_lists(&e, dave));
	v = tl_sh_out("git -C %s show main:crl.pem > %s/c.pem && openssl crl -in %s/c.pem -CAfile "
		   "%s/ca/ca.crt -noout -verify 2>&1", e.remote, e.base, e.base, home2);
	CU_ASSERT(tl_contains(v, "verify OK"));
	free(v);
	free(file), free(home2);
}

/* A backup with no publish behind it, restored over a repository that has moved on. */
static void test_crl_continues_unknown_serial(void)
{
	env e;
	char bob[80], late[80], *file, *home2, *v;
	long before;

	env_new(&e, "Orphan CA");
	create_user(&e, e.home, "bob", bob);
	file = backup_ok(&e, e.home, "early.cms");
	create_user(&e, e.home, "late", late);
	free(CD_OK(e.home, "revoke", "late"));
	free(CD_OK(e.home, "publish"));
	before = crl_number_value(&e);
	home2 = cd_path(&e, "restored");
	restore_ok(&e, home2, file);
	free(CD_OK(home2, "revoke", "bob"));
	free(CD_OK(home2, "publish"));
	CU_ASSERT(crl_number_value(&e) > before);
	CU_ASSERT(remote_lists(&e, late) && remote_lists(&e, bob));
	v = tl_sh_out("sqlite3 %s/certdesk.db \"SELECT serial FROM orphan_revocations\"", home2);
	CU_ASSERT(tl_contains(v, late));
	free(v);
	free(file), free(home2);
}

/* ---- bad input: one line each, nothing changed ---- */

static void test_refusals(void)
{
	env e, other;
	char a[80], *file, *cut, *bad, *wrong, *missing, *full, *foreign, *v;

	env_new(&e, "Refusing CA");
	create_user(&e, e.home, "alice", a);
	free(CD_OK(e.home, "publish"));
	file = backup_ok(&e, e.home, "good.cms");
	cut = cd_path(&e, "cut.cms");
	bad = cd_path(&e, "bad.cms");
	wrong = cd_path(&e, "wrong");
	missing = cd_path(&e, "missing");
	full = cd_path(&e, "full");
	free(tl_sh_out("head -c 5000 %s > %s; cp %s %s; printf '\\125' | dd of=%s bs=1 seek=3000 "
		    "conv=notrunc 2>/dev/null; echo nope > %s; mkdir %s; touch %s/x", file, cut,
		    file, bad, bad, wrong, full, full));
	tl_refused(missing, NULL, "wrong passphrase", TL_ARGS("restore", file, "--passphrase-file",
							    wrong));
	tl_refused(missing, NULL, "truncated", TL_ARGS("restore", cut, "--passphrase-file", e.pass));
	tl_refused(missing, NULL, "damaged", TL_ARGS("restore", bad, "--passphrase-file", e.pass));
	tl_refused(missing, NULL, "damaged", TL_ARGS("backup", "--check", bad, "--passphrase-file",
						   e.pass));
	tl_refused(full, NULL, "is not empty", TL_ARGS("restore", file, "--passphrase-file", e.pass));
	tl_refused(e.home, NULL, "never replaces", TL_ARGS("backup", file, "--passphrase-file",
							  e.pass));

	/* Another CA's backup whose crl.remote holds this CA's CRL. */
	env_new(&other, "Other CA");
	free(CD_OK(other.home, "config", "crl.remote", e.remote));
	foreign = backup_ok(&other, other.home, "foreign.cms");
	tl_refused(missing, NULL, "another CA", TL_ARGS("restore", foreign, "--passphrase-file",
						      e.pass));
	/* Nothing made: neither the home nor a stage beside it. */
	v = tl_sh_out("ls -a %s | grep -e missing -e restore", e.base);
	CU_ASSERT_STRING_EQUAL(v, "");
	free(v);
	/* An empty directory is a home to restore into. */
	free(tl_sh_out("rm -rf %s && mkdir %s", full, full));
	restore_ok(&e, full, file);
	free(file), free(cut), free(bad), free(wrong), free(missing), free(full), free(foreign);
}

/* ---- kill -9 ---- */

/* Kills `certdesk args` after delay_us; returns its exit status (128+9 when killed). */
static int run_killed(const char *home, const char *const *args, long delay_us)
{
	pid_t pid = fork();
	int status = 0, n = 0;
	const char *argv[16];

	if (pid == 0) {
		argv[n++] = tl_bin();
		argv[n++] = "--home";
		argv[n++] = home;
		while (*args && n < 15)
			argv[n++] = *args++;
		argv[n] = NULL;
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	usleep((useconds_t)delay_us);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_kill_backup(void)
{
	env e;
	char a[80], *file, *v;
	long delay;
	int killed = 0;

	env_new(&e, "Killed CA");
	create_user(&e, e.home, "alice", a);
	file = cd_path(&e, "k.cms");
	for (delay = 20000; delay < 1200000; delay += 90000) {
		int st = run_killed(e.home, TL_ARGS("backup", file, "--passphrase-file", e.pass), delay);

		killed += st == 137;
		/* Either no file or the whole backup. */
		v = tl_sh_out("[ ! -e %s ] && echo none || openssl cms -decrypt -pwri_password '%s' "
			   "-inform DER -in %s | tar tf - | grep -c ca.key", file, PASS, file);
		CU_ASSERT(strcmp(v, "none\n") == 0 || strcmp(v, "1\n") == 0);
		free(v);
		free(tl_sh_out("rm -f %s", file));
	}
	CU_ASSERT(killed > 0);
	free(backup_ok(&e, e.home, "k.cms"));
	v = tl_sh_out("(ls -a %s; ls -a %s) | grep tmp", e.home, e.base);
	if (*v)
		fprintf(stderr, "\nleft: %s\n", v);
	CU_ASSERT_STRING_EQUAL(v, "");
	free(v);
	free(file);
}

static void test_kill_restore(void)
{
	env e;
	char a[80], *file, *home2, *v, *want, *got;
	long delay;
	int killed = 0;

	env_new(&e, "Killed CA");
	create_user(&e, e.home, "alice", a);
	file = backup_ok(&e, e.home, "r.cms");
	home2 = cd_path(&e, "target");
	want = list_tsv(e.home);
	for (delay = 20000; delay < 1500000; delay += 100000) {
		int st = run_killed(home2, TL_ARGS("restore", file, "--passphrase-file", e.pass), delay);

		killed += st == 137;
		/* Either no home or the whole one. */
		if (tl_mode(home2) >= 0) {
			got = list_tsv(home2);
			CU_ASSERT_STRING_EQUAL(want, got);
			free(got);
		}
		free(tl_sh_out("rm -rf %s", home2));
	}
	CU_ASSERT(killed > 0);
	restore_ok(&e, home2, file);
	v = tl_sh_out("ls -a %s | grep -c restore", e.base);
	CU_ASSERT_STRING_EQUAL(v, "0\n");
	free(v);
	free(want), free(file), free(home2);
}

static CU_TestInfo tests[] = {
	{"openssl cms and tar open a backup alone; --check", test_openssl_opens},
	{"a backup taken while another process writes, restored", test_backup_while_writing},
	{"restored from before the last publish: the CRL continues", test_crl_continues},
	{"restored: a revoked serial it never knew stays in the CRL", test_crl_continues_unknown_serial},
	{"bad passphrase, truncated, tampered, non-empty, another CA", test_refusals},
	{"kill -9 during backup", test_kill_backup},
	{"kill -9 during restore", test_kill_restore},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {{"backup", tests}, {NULL, NULL}};

	return tl_main(suites);
}
