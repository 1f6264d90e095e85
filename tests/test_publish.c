/* test_publish.c: `certdesk publish` and `certdesk crl` end to end: the real binary
 * against real bare git repositories, judged by the git and openssl binaries. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desk.h"
#include "publish.h"
#include "testlib.h"
#include "util.h"

#define GIT "git -c user.name=Other -c user.email=other@example.org -c init.defaultBranch=main"

typedef struct {
	char base[600], home[700], remote[700], out[700];
} env;

/* Runs certdesk and insists on success, showing its error otherwise. */
#define CD_OK(e, ...) cd_ok(tl_cd((e)->home, __VA_ARGS__, NULL), #__VA_ARGS__)
static char *cd_ok(tl_result r, const char *what)
{
	if (r.status != 0)
		fprintf(stderr, "\ncertdesk %s: exit %d: %s\n", what, r.status, r.err);
	CU_ASSERT_EQUAL(r.status, 0);
	free(r.err);
	return r.out;
}

static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_out(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	tl_result r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	r = tl_sh("%s", cmd);
	free(r.err);
	return r.out;
}

/* A home whose crl.remote is a fresh bare repository (url_style 1: file:// URL). */
static void env_new(env *e, int url_style)
{
	tl_result r;

	snprintf(e->base, sizeof e->base, "%s", tl_tmpdir());
	snprintf(e->home, sizeof e->home, "%s/home", e->base);
	snprintf(e->remote, sizeof e->remote, "%s/remote.git", e->base);
	snprintf(e->out, sizeof e->out, "%s/out", e->base);
	free(sh_out("git init -q --bare -b main %s && mkdir -p %s/new", e->remote, e->out));
	r = tl_cd(e->home, "init", "--cn", "Test CA", NULL);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	{
		char url[800];
		snprintf(url, sizeof url, "%s%s", url_style ? "file://" : "", e->remote);
		free(CD_OK(e, "config", "crl.remote", url));
	}
}

/* Creates a user; returns the serial of the new certificate (static buffer per call). */
static void create_user(env *e, const char *user, const char *days, char serial[80])
{
	char name[64], mail[64], *out, *p;

	snprintf(name, sizeof name, "User %s", user);
	snprintf(mail, sizeof mail, "%s@example.org", user);
	out = CD_OK(e, "create", user, "--name", name, "--email", mail, "--out", e->out,
		    "--days", days);
	p = strstr(out, "serial ");
	serial[0] = '\0';
	if (p)
		sscanf(p + 7, "%79[0-9A-F]", serial);
	CU_ASSERT(strlen(serial) > 10);
	free(out);
}

static void renew_user(env *e, const char *user, char serial[80])
{
	char dir[800], *out, *p;

	snprintf(dir, sizeof dir, "%s/new", e->out);
	out = CD_OK(e, "renew", user, "--out", dir);
	p = strstr(out, "serial ");
	serial[0] = '\0';
	if (p)
		sscanf(p + 7, "%79[0-9A-F]", serial);
	free(out);
}

static char *publish_ok(env *e)
{
	return CD_OK(e, "publish");
}

/* The CRL at the remote's main, as openssl reads it; it must verify against the CA. */
static char *remote_crl(env *e, const char *ref)
{
	char *v = sh_out("git -C %s show %s:crl.pem > %s/crl.pem && openssl crl -in %s/crl.pem "
			 "-CAfile %s/ca/ca.crt -noout -verify 2>&1", e->remote, ref, e->base,
			 e->base, e->home);

	CU_ASSERT(tl_contains(v, "verify OK"));
	free(v);
	return sh_out("openssl crl -in %s/crl.pem -noout -text", e->base);
}

static int lists(const char *crl_text, const char *serial)
{
	char needle[120];

	snprintf(needle, sizeof needle, "Serial Number: %s\n", serial);
	return tl_contains(crl_text, needle);
}

/* Subjects of the review branch's commits above main. */
static char *held_subjects(env *e)
{
	return sh_out("git -C %s log --format=%%s main..certdesk/pending", e->remote);
}

static long count(const char *hay, const char *needle)
{
	long n = 0;
	const char *p = hay;

	while (p && (p = strstr(p, needle)))
		n++, p += strlen(needle);
	return n;
}

static char *main_log(env *e)
{
	return sh_out("git -C %s log --format=%%B main", e->remote);
}

/* The procedure's scenario: A, B, C notified; renewed A, B, C; applied A, C, B. */
static void test_scenario(void)
{
	env e;
	char a[80], b[80], c[80], na[80], nb[80], nc[80], *crl, *h, *log, *out;

	env_new(&e, 0);
	create_user(&e, "alice", "365", a);
	create_user(&e, "bob", "365", b);
	create_user(&e, "carol", "365", c);
	free(CD_OK(&e, "notify", "alice", "--task", "T1001"));
	free(CD_OK(&e, "notify", "bob", "--task", "T1002"));
	free(CD_OK(&e, "notify", "carol", "--task", "T1003"));
	out = publish_ok(&e);
	CU_ASSERT(tl_contains(out, "Initial CRL"));
	free(out);
	crl = remote_crl(&e, "main");
	CU_ASSERT(tl_contains(crl, "No Revoked Certificates"));
	free(crl);

	renew_user(&e, "alice", na);
	free(publish_ok(&e));
	crl = remote_crl(&e, "main");
	CU_ASSERT(!lists(crl, a) && !lists(crl, b) && !lists(crl, c));
	free(crl);
	h = held_subjects(&e);
	CU_ASSERT(tl_contains(h, a) && tl_count_lines(h) == 1);
	free(h);

	renew_user(&e, "bob", nb);
	out = publish_ok(&e);
	CU_ASSERT(tl_contains(out, "held:  alice") && tl_contains(out, "held:  bob"));
	free(out);
	crl = remote_crl(&e, "main");
	CU_ASSERT(!lists(crl, a) && !lists(crl, b));
	free(crl);
	/* The review branch's CRL holds the held ones; it is for review, not deployment. */
	crl = remote_crl(&e, "certdesk/pending");
	CU_ASSERT(lists(crl, a) && lists(crl, b));
	free(crl);

	free(CD_OK(&e, "applied", "alice"));
	out = publish_ok(&e);
	CU_ASSERT(tl_contains(out, "ready: alice"));
	free(out);
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a) && !lists(crl, b) && !lists(crl, c));
	free(crl);
	h = held_subjects(&e);
	CU_ASSERT(tl_contains(h, b) && !tl_contains(h, a) && tl_count_lines(h) == 1);
	free(h);

	renew_user(&e, "carol", nc);
	free(publish_ok(&e));
	free(CD_OK(&e, "applied", "carol"));
	free(publish_ok(&e));
	/* The step the linear branch got wrong: carol's revocation, not bob's. */
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a) && lists(crl, c));
	CU_ASSERT(!lists(crl, b));
	free(crl);
	h = held_subjects(&e);
	CU_ASSERT(tl_contains(h, b) && tl_count_lines(h) == 1);
	free(h);

	free(CD_OK(&e, "applied", "bob"));
	free(publish_ok(&e));
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a) && lists(crl, b) && lists(crl, c));
	CU_ASSERT(!lists(crl, na) && !lists(crl, nb) && !lists(crl, nc));
	free(crl);
	h = held_subjects(&e);
	CU_ASSERT_STRING_EQUAL(h, "");
	free(h);

	/* One commit per revocation, each with its task, in the order they became ready. */
	log = main_log(&e);
	CU_ASSERT_EQUAL(count(log, "Revoke client certificate of "), 3);
	CU_ASSERT_EQUAL(count(log, "Bug: T1001\n"), 1);
	CU_ASSERT_EQUAL(count(log, "Bug: T1002\n"), 1);
	CU_ASSERT_EQUAL(count(log, "Bug: T1003\n"), 1);
	CU_ASSERT(strstr(log, "of bob") < strstr(log, "of carol") &&
		  strstr(log, "of carol") < strstr(log, "of alice"));
	free(log);
	log = sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT_EQUAL(tl_count_lines(log), 4); /* initial + 3 */
	free(log);
	out = CD_OK(&e, "list", "--all");
	CU_ASSERT_EQUAL(count(out, "revoked"), 3);
	free(out);
}

/* openssl verify with the published CRL: the old certificate revoked, the new one OK. */
static void test_openssl_verify(void)
{
	env e;
	char a[80], na[80], *v, *crl;

	env_new(&e, 0);
	create_user(&e, "dave", "365", a);
	free(sh_out("cp %s/dave.p12 %s/old.p12 && cp %s/dave.pw %s/old.pw", e.out, e.base, e.out,
		    e.base));
	renew_user(&e, "dave", na);
	free(CD_OK(&e, "applied", "dave"));
	free(publish_ok(&e));
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a));
	free(crl);
	{
		char path[800], *v2;
		snprintf(path, sizeof path, "%s/pub.crl", e.base);
		free(CD_OK(&e, "crl", "--out", path));
		v = sh_out("cmp %s %s/crl.pem && echo same", path, e.base);
		v2 = sh_out("stat -c %%a %s", path);
		CU_ASSERT_STRING_EQUAL(v, "same\n");
		CU_ASSERT_STRING_EQUAL(v2, "644\n");
		free(v);
		free(v2);
	}
	v = sh_out("cd %s && openssl pkcs12 -in old.p12 -passin file:old.pw -nokeys -clcerts "
		   "-out old.pem 2>/dev/null || openssl pkcs12 -legacy -in old.p12 -passin "
		   "file:old.pw -nokeys -clcerts -out old.pem; "
		   "openssl verify -crl_check -CRLfile %s/crl.pem -CAfile %s/ca/ca.crt old.pem 2>&1",
		   e.base, e.base, e.home);
	CU_ASSERT(tl_contains(v, "certificate revoked"));
	free(v);
	v = sh_out("cd %s && ls new/*.p12 | head -1 > /dev/null; p=$(ls new/dave*.p12 | head -1); "
		   "w=${p%%.p12}.pw; openssl pkcs12 -in $p -passin file:$w -nokeys -clcerts "
		   "-out %s/new.pem 2>/dev/null || openssl pkcs12 -legacy -in $p -passin file:$w "
		   "-nokeys -clcerts -out %s/new.pem; openssl verify -crl_check -CRLfile "
		   "%s/crl.pem -CAfile %s/ca/ca.crt %s/new.pem 2>&1", e.out, e.base, e.base, e.base,
		   e.home, e.base);
	CU_ASSERT(tl_contains(v, ": OK"));
	free(v);
}

/* Ready by expiry alone: --as-of past the old certificate's end plans it; only a run
 * on a clock past that end (faketime) publishes it. */
static void test_ready_by_expiry(void)
{
	env e;
	char a[80], na[80], later[16], clock[32], *out, *crl, *before;

	env_new(&e, 1); /* and the remote as a file:// URL */
	create_user(&e, "erin", "30", a);
	renew_user(&e, "erin", na);
	out = publish_ok(&e);
	CU_ASSERT(tl_contains(out, "held:  erin"));
	free(out);
	crl = remote_crl(&e, "main");
	CU_ASSERT(!lists(crl, a));
	free(crl);
	cd_format_date(cd_now() + 45 * CD_DAY, later);
	out = CD_OK(&e, "--as-of", later, "publish", "--dry-run");
	CU_ASSERT(tl_contains(out, "ready: erin"));
	CU_ASSERT(tl_contains(out, "expired on"));
	free(out);
	/* A real publish decided by --as-of would lock erin out today: refused. */
	before = sh_out("git -C %s log --format=%%H main", e.remote);
	tl_refused(e.home, e.out, "--as-of only judges: 'publish' would write",
		   TL_ARGS("--as-of", later, "publish"), 1);
	out = sh_out("git -C %s log --format=%%H main", e.remote);
	CU_ASSERT_STRING_EQUAL(out, before);
	free(out);
	free(before);
	/* 45 days later by the clock, the old certificate has expired: it goes out. */
	cd_format_time(cd_now() + 45 * CD_DAY, clock);
	clock[10] = ' ';
	clock[19] = '\0';
	out = sh_out("faketime -f '@%s' '%s' --home '%s' publish", clock, tl_bin(), e.home);
	CU_ASSERT(tl_contains(out, "ready: erin"));
	CU_ASSERT(tl_contains(out, "expired on"));
	free(out);
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a));
	free(crl);
}

/* Push failure: nothing recorded; once the remote is back, a rerun completes once. */
static void test_push_failure(void)
{
	env e;
	char a[80], na[80], *before, *after, *log, *crl;
	tl_result r;

	env_new(&e, 0);
	create_user(&e, "finn", "365", a);
	free(publish_ok(&e));
	renew_user(&e, "finn", na);
	free(CD_OK(&e, "applied", "finn"));
	before = CD_OK(&e, "list", "--all");
	free(sh_out("mv %s %s.away && echo not a repository > %s", e.remote, e.remote, e.remote));
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "certdesk: "));
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	tl_free(&r);
	after = CD_OK(&e, "list", "--all");
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	/* Read-only remote: the push itself is refused. */
	free(sh_out("rm %s && mv %s.away %s && chmod -R a-w %s", e.remote, e.remote, e.remote,
		    e.remote));
	r = tl_cd(e.home, "publish", NULL);
	if (getuid() != 0) {
		CU_ASSERT_NOT_EQUAL(r.status, 0);
		after = CD_OK(&e, "list", "--all");
		CU_ASSERT_STRING_EQUAL(before, after);
		free(after);
	}
	tl_free(&r);
	free(sh_out("chmod -R u+w %s", e.remote));
	free(publish_ok(&e));
	free(publish_ok(&e));
	log = main_log(&e);
	CU_ASSERT_EQUAL(count(log, "Revoke client certificate of finn"), 1);
	free(log);
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a));
	free(crl);
	after = CD_OK(&e, "list", "--all");
	CU_ASSERT(tl_contains(after, "revoked"));
	free(after);
	free(before);
}

/* The push reached the remote but the database never heard: the next run records the
 * commits it finds instead of committing again. Simulated with a copy of the home. */
static void test_pushed_not_recorded(void)
{
	env e;
	char a[80], na[80], copy[800], *log, *out;

	env_new(&e, 0);
	create_user(&e, "gus", "365", a);
	free(CD_OK(&e, "notify", "gus", "--task", "T2001"));
	free(publish_ok(&e));
	renew_user(&e, "gus", na);
	free(CD_OK(&e, "applied", "gus"));
	snprintf(copy, sizeof copy, "%s/home-copy", e.base);
	free(sh_out("cp -a %s %s", e.home, copy));
	free(publish_ok(&e));
	{
		tl_result r = tl_cd(copy, "publish", NULL);
		CU_ASSERT_EQUAL(r.status, 0);
		CU_ASSERT(tl_contains(r.out, "recorded: gus"));
		CU_ASSERT(!tl_contains(r.out, "committed"));
		tl_free(&r);
		r = tl_cd(copy, "list", "--all", NULL);
		CU_ASSERT(tl_contains(r.out, "revoked"));
		tl_free(&r);
	}
	log = main_log(&e);
	CU_ASSERT_EQUAL(count(log, "Revoke client certificate of gus"), 1);
	CU_ASSERT_EQUAL(count(log, "Bug: T2001"), 1);
	free(log);
	out = sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT_EQUAL(tl_count_lines(out), 2);
	free(out);
}

/* Someone else commits another file first: certdesk builds on top. */
static void test_other_files(void)
{
	env e;
	char a[80], na[80], *out, *crl;

	env_new(&e, 0);
	create_user(&e, "hana", "365", a);
	free(publish_ok(&e));
	free(sh_out("cd %s && " GIT " clone -q %s work 2>&1 && cd work && echo hi > README && "
		    GIT " add README && " GIT " commit -qm 'Add README' && " GIT " push -q origin "
		    "main 2>&1", e.base, e.remote));
	renew_user(&e, "hana", na);
	free(CD_OK(&e, "applied", "hana"));
	free(publish_ok(&e));
	out = sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT(tl_contains(out, "Add README"));
	CU_ASSERT(strstr(out, "Revoke client certificate of hana") < strstr(out, "Add README"));
	free(out);
	out = sh_out("git -C %s show main:README", e.remote);
	CU_ASSERT_STRING_EQUAL(out, "hi\n");
	free(out);
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a));
	free(crl);
}

/* Someone else changes the CRL file: refused, explained, nothing recorded. */
static void test_foreign_crl_change(void)
{
	env e;
	char a[80], na[80], *before, *after;
	tl_result r;

	env_new(&e, 0);
	create_user(&e, "ivan", "365", a);
	free(publish_ok(&e));
	free(sh_out("cd %s && " GIT " clone -q %s work 2>&1 && cd work && echo junk >> crl.pem && "
		    GIT " commit -qam 'Hand-edited CRL' && " GIT " push -q origin main 2>&1",
		    e.base, e.remote));
	renew_user(&e, "ivan", na);
	free(CD_OK(&e, "applied", "ivan"));
	before = CD_OK(&e, "list", "--all");
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "changed by someone else"));
	CU_ASSERT(tl_contains(r.err, "Hand-edited CRL"));
	tl_free(&r);
	after = CD_OK(&e, "list", "--all");
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	after = sh_out("git -C %s log -1 --format=%%s main", e.remote);
	CU_ASSERT_STRING_EQUAL(after, "Hand-edited CRL\n");
	free(after);
}

/* Refresh near nextUpdate, and expirecheck's warnings (judged on --as-of). */
static void test_refresh_and_health(void)
{
	env e;
	char past[16], *out;
	tl_result r;

	env_new(&e, 0);
	free(CD_OK(&e, "config", "crl.days", "2"));
	r = tl_cd(e.home, "expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "");
	tl_free(&r);
	free(publish_ok(&e));
	out = publish_ok(&e);
	CU_ASSERT(tl_contains(out, "Refresh CRL (next update"));
	free(out);
	out = sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT(tl_contains(out, "Refresh CRL (next update") && tl_count_lines(out) == 2);
	free(out);
	free(remote_crl(&e, "main"));

	r = tl_cd(e.home, "expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.out, "the published CRL expires on"));
	tl_free(&r);
	cd_format_date(cd_now() + 3 * CD_DAY, past);
	r = tl_cd(e.home, "--as-of", past, "expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 2);
	CU_ASSERT(tl_contains(r.out, "every client certificate is being rejected"));
	CU_ASSERT_EQUAL(tl_count_lines(r.out), 1);
	tl_free(&r);

	/* A 30-day CRL: the next publish re-signs it once, then expirecheck is quiet and
	 * a further publish changes nothing. */
	free(CD_OK(&e, "config", "crl.days", "30"));
	free(publish_ok(&e));
	r = tl_cd(e.home, "expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "");
	tl_free(&r);
	out = publish_ok(&e);
	CU_ASSERT(tl_contains(out, "nothing new to publish"));
	free(out);
	out = sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT_EQUAL(tl_count_lines(out), 3);
	free(out);
}

static void test_ca_expiry_warning(void)
{
	char home[800];
	tl_result r;

	snprintf(home, sizeof home, "%s/home", tl_tmpdir());
	r = tl_cd(home, "init", "--cn", "Short CA", "--days", "30", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	r = tl_cd(home, "expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.out, "the CA certificate expires on"));
	tl_free(&r);
}

/* The crl verb before and after the first publish; never overwrites a file. */
static void test_crl_verb(void)
{
	env e;
	char path[800], *pem, *v;
	tl_result r;

	env_new(&e, 0);
	snprintf(path, sizeof path, "%s/fresh.crl", e.base);
	r = tl_cd(e.home, "crl", "--out", path, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "no CRL published yet"));
	tl_free(&r);
	v = sh_out("openssl crl -in %s -CAfile %s/ca/ca.crt -noout -verify 2>&1", path, e.home);
	CU_ASSERT(tl_contains(v, "verify OK"));
	free(v);
	r = tl_cd(e.home, "crl", "--out", path, NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "never overwrites"));
	tl_free(&r);
	/* A path that cannot be written is refused before signing: one line, the database
	 * as it was, no CRL Number used (the published CRL below is number 2). */
	{
		char *before = sh_out("sqlite3 %s/certdesk.db .dump", e.home), *after;
		snprintf(path, sizeof path, "%s/no/such/dir/x.crl", e.base);
		r = tl_cd(e.home, "crl", "--out", path, NULL);
		CU_ASSERT_EQUAL(r.status, 1);
		CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
		CU_ASSERT(tl_contains(r.err, path) && tl_contains(r.err, "No such file"));
		CU_ASSERT_STRING_EQUAL(r.out, "");
		tl_free(&r);
		r = tl_cd(e.home, "crl", "--out", "", NULL);
		CU_ASSERT_EQUAL(r.status, 1);
		CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
		tl_free(&r);
		after = sh_out("sqlite3 %s/certdesk.db .dump", e.home);
		CU_ASSERT_STRING_EQUAL(before, after);
		free(before);
		free(after);
	}

	free(publish_ok(&e));
	pem = CD_OK(&e, "crl");
	v = sh_out("git -C %s show main:crl.pem", e.remote);
	CU_ASSERT_STRING_EQUAL(pem, v);
	free(v);
	free(pem);
	/* Numbers grow: the fresh CRL had 1, the published one more. */
	v = sh_out("git -C %s show main:crl.pem | openssl crl -noout -crlnumber", e.remote);
	CU_ASSERT(tl_contains(v, "crlNumber=0x02"));
	free(v);
}

static void test_dry_run_and_errors(void)
{
	env e;
	char a[80], na[80], *out;
	tl_result r;

	env_new(&e, 0);
	create_user(&e, "jo", "365", a);
	free(CD_OK(&e, "notify", "jo", "--task", "T3001"));
	renew_user(&e, "jo", na);
	out = CD_OK(&e, "publish", "--dry-run");
	CU_ASSERT(tl_contains(out, "held:  jo"));
	CU_ASSERT(tl_contains(out, "task T3001"));
	CU_ASSERT(tl_contains(out, "waiting for jo to apply"));
	free(out);
	/* The read-only view sees the same dry run, and only the dry run. */
	out = CD_OK(&e, "--read-only", "publish", "--dry-run");
	CU_ASSERT(tl_contains(out, "held:  jo"));
	free(out);
	tl_refused(e.home, e.out, "read-only view: 'publish' changes the home",
		   TL_ARGS("--read-only", "publish"), 1);
	r = tl_sh("git -C %s rev-parse --verify -q main", e.remote);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	tl_free(&r);

	/* Two publishes at once: the second one says so. */
	r = tl_sh("flock %s/publish.lock %s --home %s publish", e.home,
		  getenv("CERTDESK_BIN") ? getenv("CERTDESK_BIN") : "./certdesk", e.home);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "another certdesk publish is running"));
	tl_free(&r);

	free(CD_OK(&e, "config", "crl.remote", ""));
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "no CRL repository configured: certdesk config crl.remote"));
	tl_free(&r);
}

/*
 * In process, as the dashboard publishes: recording fails after the push (a trigger in
 * the real database refuses the CRL row). The same connection must not keep its write
 * transaction open: another process can write, and the next publish records the push.
 */
static void test_record_failure_in_process(void)
{
	env e;
	char a[80], na[80], *out;
	desk d;
	publish_opts o = {0};
	publish_result res;
	tl_result r;

	env_new(&e, 0);
	create_user(&e, "ida", "365", a);
	free(publish_ok(&e));
	renew_user(&e, "ida", na);
	free(CD_OK(&e, "applied", "ida"));
	r = tl_sh("sqlite3 '%s/certdesk.db' \"CREATE TRIGGER refuse BEFORE INSERT ON crls "
		  "BEGIN SELECT RAISE(ABORT, 'refused by test'); END;\"", e.home);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	CU_ASSERT_EQUAL_FATAL(desk_open(&d, e.home, 0), 0);
	CU_ASSERT_EQUAL(publish_run(&d, &o, &res), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "could not record it"));
	r = tl_sh("sqlite3 -cmd '.timeout 200' '%s/certdesk.db' 'DROP TRIGGER refuse'", e.home);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	CU_ASSERT_EQUAL(publish_run(&d, &o, &res), 0);
	CU_ASSERT_EQUAL(res.recovered, 1);
	desk_close(&d);
	out = main_log(&e);
	CU_ASSERT_EQUAL(count(out, "Revoke client certificate of ida"), 1);
	free(out);
	out = CD_OK(&e, "list", "--all");
	CU_ASSERT(tl_contains(out, "revoked"));
	free(out);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"scenario A B C, applied A C B", test_scenario},
		{"openssl verify: old revoked, new OK", test_openssl_verify},
		{"ready by expiry alone, file:// remote", test_ready_by_expiry},
		{"push failure leaves the database unchanged", test_push_failure},
		{"pushed but not recorded: recorded next run", test_pushed_not_recorded},
		{"recording fails in process: no transaction left open", test_record_failure_in_process},
		{"other files committed first", test_other_files},
		{"CRL file changed by someone else", test_foreign_crl_change},
		{"refresh and expirecheck", test_refresh_and_health},
		{"CA expiry warning", test_ca_expiry_warning},
		{"crl verb", test_crl_verb},
		{"dry run (also read-only), lock, no remote", test_dry_run_and_errors},
		CU_TEST_INFO_NULL,
	};
	static const tl_suite suites[] = {{"publish", tests}, {NULL, NULL}};

	return tl_main(suites);
}
