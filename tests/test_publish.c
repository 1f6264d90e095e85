/* test_publish.c: `certdesk publish` and `certdesk crl` end to end: the real binary
 * against real bare git repositories, judged by the git and openssl binaries. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
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

/* A home whose crl.remote is a fresh bare repository (url_style 1: file:// URL). */
static void env_new(env *e, int url_style)
{
	tl_result r;

	snprintf(e->base, sizeof e->base, "%s", tl_tmpdir());
	snprintf(e->home, sizeof e->home, "%s/home", e->base);
	snprintf(e->remote, sizeof e->remote, "%s/remote.git", e->base);
	snprintf(e->out, sizeof e->out, "%s/out", e->base);
	free(tl_sh_out("git init -q --bare -b main %s && mkdir -p %s/new", e->remote, e->out));
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
	char *v = tl_sh_out("git -C %s show %s:crl.pem > %s/crl.pem && openssl crl -in %s/crl.pem "
			 "-CAfile %s/ca/ca.crt -noout -verify 2>&1", e->remote, ref, e->base,
			 e->base, e->home);

	CU_ASSERT(tl_contains(v, "verify OK"));
	free(v);
	return tl_sh_out("openssl crl -in %s/crl.pem -noout -text", e->base);
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
	return tl_sh_out("git -C %s log --format=%%s main..certdesk/pending", e->remote);
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
	return tl_sh_out("git -C %s log --format=%%B main", e->remote);
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
	/* The review branch lists the held ones in a text file no server loads as a CRL;
	 * its CRL file is the published one. */
	h = tl_sh_out("git -C %s show certdesk/pending:crl.pem.pending.txt", e.remote);
	CU_ASSERT(tl_contains(h, a) && tl_contains(h, b) && tl_contains(h, "not a CRL"));
	free(h);
	h = tl_sh_out("git -C %s show certdesk/pending:crl.pem.pending.txt | openssl crl -noout "
		   "2>/dev/null || echo refused", e.remote);
	CU_ASSERT_STRING_EQUAL(h, "refused\n");
	free(h);
	h = tl_sh_out("git -C %s diff --name-only main certdesk/pending", e.remote);
	CU_ASSERT_STRING_EQUAL(h, "crl.pem.pending.txt\n");
	free(h);

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
	log = tl_sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT_EQUAL(tl_count_lines(log), 5); /* initial, the CA bundle, 3 revocations */
	free(log);
	out = CD_OK(&e, "list", "--all");
	CU_ASSERT_EQUAL(count(out, "done"), 3);
	free(out);
}

/* openssl verify with the published CRL: the old certificate revoked, the new one OK. */
static void test_openssl_verify(void)
{
	env e;
	char a[80], na[80], *v, *crl;

	env_new(&e, 0);
	create_user(&e, "dave", "365", a);
	free(tl_sh_out("cp %s/dave.p12 %s/old.p12 && cp %s/dave.pw %s/old.pw", e.out, e.base, e.out,
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
		v = tl_sh_out("cmp %s %s/crl.pem && echo same", path, e.base);
		v2 = tl_sh_out("stat -c %%a %s", path);
		CU_ASSERT_STRING_EQUAL(v, "same\n");
		CU_ASSERT_STRING_EQUAL(v2, "644\n");
		free(v);
		free(v2);
	}
	v = tl_sh_out("cd %s && openssl pkcs12 -in old.p12 -passin file:old.pw -nokeys -clcerts "
		   "-out old.pem 2>/dev/null || openssl pkcs12 -legacy -in old.p12 -passin "
		   "file:old.pw -nokeys -clcerts -out old.pem; "
		   "openssl verify -crl_check -CRLfile %s/crl.pem -CAfile %s/ca/ca.crt old.pem 2>&1",
		   e.base, e.base, e.home);
	CU_ASSERT(tl_contains(v, "certificate revoked"));
	free(v);
	v = tl_sh_out("cd %s && ls new/*.p12 | head -1 > /dev/null; p=$(ls new/dave*.p12 | head -1); "
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
	before = tl_sh_out("git -C %s log --format=%%H main", e.remote);
	tl_refused(e.home, e.out, "--as-of only judges: 'publish' would write",
		   TL_ARGS("--as-of", later, "publish"));
	out = tl_sh_out("git -C %s log --format=%%H main", e.remote);
	CU_ASSERT_STRING_EQUAL(out, before);
	free(out);
	free(before);
	/* 45 days later by the clock, the old certificate has expired: it goes out. */
	cd_format_time(cd_now() + 45 * CD_DAY, clock);
	clock[10] = ' ';
	clock[19] = '\0';
	/* libfaketime is preloaded before the sanitizer build's runtime: let it. */
	out = tl_sh_out("ASAN_OPTIONS=verify_asan_link_order=0 faketime -f '@%s' '%s' --home '%s' "
		     "publish", clock, tl_bin(), e.home);
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
	free(tl_sh_out("mv %s %s.away && echo not a repository > %s", e.remote, e.remote, e.remote));
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "certdesk: "));
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	tl_free(&r);
	after = CD_OK(&e, "list", "--all");
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	/* Read-only remote: the push itself is refused. */
	free(tl_sh_out("rm %s && mv %s.away %s && chmod -R a-w %s", e.remote, e.remote, e.remote,
		    e.remote));
	r = tl_cd(e.home, "publish", NULL);
	if (getuid() != 0) {
		CU_ASSERT_NOT_EQUAL(r.status, 0);
		after = CD_OK(&e, "list", "--all");
		CU_ASSERT_STRING_EQUAL(before, after);
		free(after);
	}
	tl_free(&r);
	free(tl_sh_out("chmod -R u+w %s", e.remote));
	free(publish_ok(&e));
	free(publish_ok(&e));
	log = main_log(&e);
	CU_ASSERT_EQUAL(count(log, "Revoke client certificate of finn"), 1);
	free(log);
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a));
	free(crl);
	after = CD_OK(&e, "list", "--all");
	CU_ASSERT(tl_contains(after, "done"));
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
	free(tl_sh_out("cp -a %s %s", e.home, copy));
	free(publish_ok(&e));
	{
		tl_result r = tl_cd(copy, "publish", NULL);
		CU_ASSERT_EQUAL(r.status, 0);
		CU_ASSERT(tl_contains(r.out, "recorded: gus"));
		CU_ASSERT(!tl_contains(r.out, "committed"));
		tl_free(&r);
		r = tl_cd(copy, "list", "--all", NULL);
		CU_ASSERT(tl_contains(r.out, "done"));
		tl_free(&r);
	}
	log = main_log(&e);
	CU_ASSERT_EQUAL(count(log, "Revoke client certificate of gus"), 1);
	CU_ASSERT_EQUAL(count(log, "Bug: T2001"), 1);
	free(log);
	out = tl_sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT_EQUAL(tl_count_lines(out), 3); /* initial, the CA bundle, gus */
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
	free(tl_sh_out("cd %s && " GIT " clone -q %s work 2>&1 && cd work && echo hi > README && "
		    GIT " add README && " GIT " commit -qm 'Add README' && " GIT " push -q origin "
		    "main 2>&1", e.base, e.remote));
	renew_user(&e, "hana", na);
	free(CD_OK(&e, "applied", "hana"));
	free(publish_ok(&e));
	out = tl_sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT(tl_contains(out, "Add README"));
	CU_ASSERT(strstr(out, "Revoke client certificate of hana") < strstr(out, "Add README"));
	free(out);
	out = tl_sh_out("git -C %s show main:README", e.remote);
	CU_ASSERT_STRING_EQUAL(out, "hi\n");
	free(out);
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a));
	free(crl);
}

/* Someone else changes the CRL file certdesk publishes: said on stderr, replaced by
 * certdesk's own CRL in a new commit, the history kept. */
static void test_foreign_crl_change(void)
{
	env e;
	char a[80], na[80], *out, *crl;
	tl_result r;

	env_new(&e, 0);
	create_user(&e, "ivan", "365", a);
	free(publish_ok(&e));
	free(tl_sh_out("cd %s && " GIT " clone -q %s work 2>&1 && cd work && echo junk >> crl.pem && "
		    GIT " commit -qam 'Hand-edited CRL' && " GIT " push -q origin main 2>&1",
		    e.base, e.remote));
	renew_user(&e, "ivan", na);
	free(CD_OK(&e, "applied", "ivan"));
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	CU_ASSERT(tl_contains(r.err, "changed by someone else"));
	CU_ASSERT(tl_contains(r.err, "Hand-edited CRL"));
	CU_ASSERT(tl_contains(r.out, "committed") && tl_contains(r.out, "published 1 revocation"));
	tl_free(&r);
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a));
	free(crl);
	out = tl_sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT(strstr(out, "Revoke client certificate of ivan") < strstr(out, "Hand-edited CRL"));
	free(out);
}

/* A CRL made with the openssl CLI in dir: key and cert NULL make a key of its own under
 * the name "Test CA" (the tests' CA's); serial, when given, is listed as revoked. */
static char *openssl_crl(env *e, const char *dir, const char *key, const char *cert,
			 long number, int days, const char *serial)
{
	char *v = tl_sh_out(
		"set -e; d=%s/%s; mkdir -p $d; : > $d/index.txt; printf '%%06X\\n' %ld > $d/crlnumber; "
		"printf '[ca]\\ndefault_ca = x\\n[x]\\ndatabase = %%s/index.txt\\ncrlnumber = "
		"%%s/crlnumber\\ndefault_md = sha256\\n' $d $d > $d/ca.cnf; "
		"if [ -n '%s' ]; then printf 'R\\t301231235959Z\\t240101000000Z\\t%s\\tunknown\\t/CN=x\\n' "
		"> $d/index.txt; fi; k='%s'; c='%s'; if [ -z \"$k\" ]; then k=$d/k.pem; c=$d/c.pem; "
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $k "
		"-out $c -subj '/CN=Test CA' -days 36500 2>/dev/null; fi; "
		"openssl ca -config $d/ca.cnf -gencrl -keyfile $k -cert $c -crldays %d -out $d/crl.pem "
		"2>/dev/null; echo $d/crl.pem", e->base, dir, number, serial ? serial : "",
		serial ? serial : "", key ? key : "", cert ? cert : "", days);

	v[strcspn(v, "\n")] = '\0';
	return v;
}

/* Commits file as the remote's crl.pem with the given subject, as a teammate would. */
static char *push_crl(env *e, const char *file, const char *subject)
{
	free(tl_sh_out("cd %s && (test -d work || " GIT " clone -q %s work 2>&1) && cd work && "
		    GIT " pull -q 2>&1; cp %s crl.pem && " GIT " commit -qam '%s' && "
		    GIT " push -q origin main 2>&1", e->base, e->remote, file, subject));
	return tl_sh_out("git -C %s rev-parse main", e->remote);
}

static char *db_value(env *e, const char *sql)
{
	return tl_sh_out("sqlite3 %s/certdesk.db \"%s\"", e->home, sql);
}

/*
 * A commit whose subject says "Revoke client certificate of U (serial S)" and whose CRL
 * is signed by another key under the CA's name (number 1000000, nextUpdate decades
 * away, no entries): not certdesk's, so the held revocation stays held, nothing of that
 * CRL is recorded, expirecheck still warns, and certdesk's own CRL replaces it.
 */
static void test_forged_crl(void)
{
	env e;
	char a[80], na[80], subject[200], later[16], *forged, *id, *v, *crl;
	tl_result r;

	env_new(&e, 0);
	free(CD_OK(&e, "config", "crl.days", "7"));
	create_user(&e, "alice", "365", a);
	free(publish_ok(&e));
	renew_user(&e, "alice", na);
	free(publish_ok(&e));
	forged = openssl_crl(&e, "forge", NULL, NULL, 1000000, 20000, NULL);
	v = tl_sh_out("openssl crl -in %s -noout -crlnumber", forged);
	CU_ASSERT_STRING_EQUAL_FATAL(v, "crlNumber=0x0F4240\n");
	free(v);
	snprintf(subject, sizeof subject, "Revoke client certificate of alice (serial %s)", a);
	id = push_crl(&e, forged, subject);
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "changed by someone else") &&
		  tl_contains(r.err, "a CRL not signed by this CA"));
	CU_ASSERT(!tl_contains(r.out, "recorded:") && tl_contains(r.out, "held:  alice"));
	tl_free(&r);
	v = db_value(&e, "SELECT count(*) FROM certs WHERE published_at IS NOT NULL");
	CU_ASSERT_STRING_EQUAL(v, "0\n");
	free(v);
	v = db_value(&e, "SELECT count(*) FROM crls WHERE number >= 1000000 OR "
			 "next_update > strftime('%s','now') + 30*86400");
	CU_ASSERT_STRING_EQUAL(v, "0\n");
	free(v);
	/* The branch holds certdesk's CRL again; the forged commit stays in its history. */
	crl = remote_crl(&e, "main");
	CU_ASSERT(!lists(crl, a) && !tl_contains(crl, "2081") && !tl_contains(crl, "1000000"));
	free(crl);
	v = tl_sh_out("git -C %s merge-base --is-ancestor %.40s main && echo kept", e.remote, id);
	CU_ASSERT_STRING_EQUAL(v, "kept\n");
	free(v);
	cd_format_date(cd_now() + 9 * CD_DAY, later);
	r = tl_cd(e.home, "--as-of", later, "expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 2);
	CU_ASSERT(tl_contains(r.out, "CRL EXPIRED"));
	tl_free(&r);
	free(id);
	free(forged);
}

/*
 * CRLs signed with the CA's own key that certdesk did not publish: the serial one revokes
 * that the home never knew is taken in (kept in every CRL from then on); an older CRL of
 * ours pushed back (a rollback) is replaced by a newer one that keeps every revocation.
 */
static void test_ca_signed_crls(void)
{
	env e;
	char a[80], key[800], cert[800], *file, *before, *after, *crl, *v;
	tl_result r;

	env_new(&e, 0);
	snprintf(key, sizeof key, "%s/ca/ca.key", e.home);
	snprintf(cert, sizeof cert, "%s/ca/ca.crt", e.home);
	create_user(&e, "bob", "365", a);
	free(publish_ok(&e));
	free(tl_sh_out("git -C %s show main:crl.pem > %s/first.pem", e.remote, e.base));
	free(CD_OK(&e, "revoke", "bob"));
	free(publish_ok(&e));

	file = openssl_crl(&e, "keyholder", key, cert, 50, 30, "0BADC0DE0BADC0DE");
	free(push_crl(&e, file, "Emergency revocation"));
	free(file);
	before = CD_OK(&e, "list", "--all");
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "took in the revocation of serial 0BADC0DE0BADC0DE"));
	tl_free(&r);
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, "0BADC0DE0BADC0DE") && lists(crl, a));
	free(crl);
	after = CD_OK(&e, "list", "--all");
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);

	file = cd_asprintf("%s/first.pem", e.base);
	free(push_crl(&e, file, "Revoke client certificate of bob (serial 00)"));
	free(file);
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "a CRL of this CA (number 1) other than the one"));
	tl_free(&r);
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a));
	free(crl);
	/* Numbered above every CRL of this CA on the branch: the key holder's 50, then the
	 * 51 that took its revocation in. */
	v = tl_sh_out("git -C %s show main:crl.pem | openssl crl -noout -crlnumber", e.remote);
	CU_ASSERT_STRING_EQUAL(v, "crlNumber=0x34\n");
	free(v);
}

/* A CRL this CA signed that holds a revocation still held, with its exact date and
 * reason (an older certdesk's review branch merged into main by hand): no interrupted
 * run of ours made it, so the held revocation is not recorded as published, and the
 * CRL is refused (replacing it would lift that revocation). */
static void test_held_entry_on_main(void)
{
	env e;
	char a[80], na[80], key[800], cert[800], *held, *file, *before, *after;
	tl_result r;

	env_new(&e, 0);
	snprintf(key, sizeof key, "%s/ca/ca.key", e.home);
	snprintf(cert, sizeof cert, "%s/ca/ca.crt", e.home);
	create_user(&e, "hal", "365", a);
	renew_user(&e, "hal", na);
	free(publish_ok(&e));
	held = db_value(&e, "SELECT serial || char(9) || substr(strftime('%Y%m%d%H%M%S', "
			"revoke_at, 'unixepoch'), 3) || 'Z' FROM certs WHERE revoke_at IS NOT NULL "
			"AND published_at IS NULL");
	held[strcspn(held, "\n")] = '\0';
	file = tl_sh_out("set -e; d=%s/held; mkdir -p $d; printf '05\\n' > $d/crlnumber; "
		      "printf 'R\\t301231235959Z\\t%%s,superseded\\t%%s\\tunknown\\t/CN=x\\n' "
		      "$(echo '%s' | cut -f2) $(echo '%s' | cut -f1) > $d/index.txt; "
		      "printf '[ca]\\ndefault_ca = x\\n[x]\\ndatabase = %%s/index.txt\\ncrlnumber = "
		      "%%s/crlnumber\\ndefault_md = sha256\\n' $d $d > $d/ca.cnf; "
		      "openssl ca -config $d/ca.cnf -gencrl -keyfile %s -cert %s -crldays 30 "
		      "-out $d/crl.pem 2>/dev/null; echo $d/crl.pem", e.base, held, held, key, cert);
	file[strcspn(file, "\n")] = '\0';
	free(push_crl(&e, file, "Revoke client certificate of hal"));
	before = CD_OK(&e, "--format", "tsv", "list", "--all");
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(!tl_contains(r.out, "recorded: hal"));
	tl_free(&r);
	after = CD_OK(&e, "--format", "tsv", "list", "--all");
	CU_ASSERT_STRING_EQUAL(before, after);
	CU_ASSERT(tl_contains(after, "\trenewed\t"));
	free(before);
	free(after);
	free(file);
	free(held);
}

/* Every CRL ever pushed, on any branch: no CRL Number names two different CRLs. */
static void note_crl_numbers(env *e)
{
	free(tl_sh_out("cd %s && for c in $(git rev-list --all); do b=$(git rev-parse -q --verify "
		    "$c:crl.pem) && echo \"$(git cat-file blob $b | openssl crl -noout -crlnumber) "
		    "$b\"; done >> %s/numbers; sort -u -o %s/numbers %s/numbers", e->remote, e->base,
		    e->base, e->base));
}

static void test_one_number_one_crl(void)
{
	env e;
	char a[80], na[80], b[80], nb[80], *v;

	env_new(&e, 0);
	create_user(&e, "carl", "365", a);
	create_user(&e, "dina", "365", b);
	free(publish_ok(&e));
	renew_user(&e, "carl", na);
	renew_user(&e, "dina", nb);
	free(publish_ok(&e));
	note_crl_numbers(&e);
	free(CD_OK(&e, "applied", "carl"));
	free(publish_ok(&e));
	note_crl_numbers(&e);
	free(CD_OK(&e, "applied", "dina"));
	free(publish_ok(&e));
	note_crl_numbers(&e);
	v = tl_sh_out("cut -d' ' -f1 %s/numbers | uniq -d", e.base);
	CU_ASSERT_STRING_EQUAL(v, "");
	free(v);
	v = tl_sh_out("wc -l < %s/numbers", e.base);
	CU_ASSERT_STRING_EQUAL(v, "3\n");
	free(v);
}

/* Lock files left by a publish killed after its push (the remote has the commits, the
 * database does not): removed, each said on stderr, and the push is recorded. */
static void test_stale_locks(void)
{
	env e;
	char s1[80], s2[80], copy[800], *log, *out, *v;
	tl_result r;

	env_new(&e, 0);
	create_user(&e, "lea", "365", s1);
	create_user(&e, "max", "365", s2);
	free(publish_ok(&e));
	free(CD_OK(&e, "revoke", "lea"));
	free(CD_OK(&e, "revoke", "max"));
	snprintf(copy, sizeof copy, "%s/killed", e.base);
	free(tl_sh_out("cp -a %s %s", e.home, copy));
	free(publish_ok(&e));
	/* The remote is a path: the killed push wrote it itself, and left its lock there.
	 * Made minutes after the killed run's marker, a lock there is a teammate's push
	 * (in progress, perhaps): left alone, and said. */
	free(tl_sh_out("echo %s/refs/heads/main.lock > %s/crl.git.pushing && touch -r "
		    "%s/crl.git.pushing -d '+5 minutes' %s/refs/heads/main.lock", e.remote, copy,
		    copy, e.remote));
	r = tl_cd(copy, "publish", NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "is not this home's: another push"));
	tl_free(&r);
	v = tl_sh_out("ls %s/refs/heads/main.lock", e.remote);
	CU_ASSERT(tl_contains(v, "main.lock"));
	free(v);
	free(tl_sh_out("cd %s/crl.git && mkdir -p refs/certdesk/push && touch "
		    "refs/remotes/origin/main.lock refs/certdesk/push/main.lock config.lock "
		    "FETCH_HEAD.lock objects/pack/pack_git2_0123456789abidx.lock", copy));
	/* Made as the killed run's marker was: that run's. */
	free(tl_sh_out("touch -r %s/crl.git.pushing %s/refs/heads/main.lock", copy, e.remote));
	r = tl_cd(copy, "publish", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 6);
	CU_ASSERT_EQUAL(count(r.err, "removed the stale lock file"), 6);
	CU_ASSERT(tl_contains(r.err, "/crl.git/refs/remotes/origin/main.lock"));
	CU_ASSERT(tl_contains(r.err, "remote.git/refs/heads/main.lock"));
	CU_ASSERT(tl_contains(r.out, "recorded: lea") && tl_contains(r.out, "recorded: max"));
	CU_ASSERT(!tl_contains(r.out, "committed"));
	tl_free(&r);
	v = tl_sh_out("find %s/crl.git %s -name '*.lock'; ls %s/crl.git.pushing 2>&1", copy,
		   e.remote, copy);
	CU_ASSERT(tl_contains(v, "No such file") && tl_count_lines(v) == 1);
	free(v);
	log = main_log(&e);
	CU_ASSERT_EQUAL(count(log, "Revoke client certificate of lea"), 1);
	CU_ASSERT_EQUAL(count(log, "Revoke client certificate of max"), 1);
	free(log);
	r = tl_cd(copy, "crl", NULL);
	out = tl_sh_out("git -C %s show main:crl.pem", e.remote);
	CU_ASSERT_STRING_EQUAL(r.out, out);
	free(out);
	tl_free(&r);
}

/* A clone whose creation was cut short (no HEAD) is completed; a directory holding
 * anything else is refused with one line that names it and says what to do. */
static void test_half_made_clone(void)
{
	env e;
	char a[80], dir[800], *v, *crl;
	tl_result r;

	env_new(&e, 0);
	create_user(&e, "ned", "365", a);
	free(CD_OK(&e, "revoke", "ned"));
	snprintf(dir, sizeof dir, "%s/crl.git", e.home);
	free(tl_sh_out("git init -q --bare %s && rm %s/HEAD && touch %s/HEAD.lock %s/_git2_a1B2c3", dir,
		    dir, dir, dir));
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "completed the CRL repository") && tl_contains(r.err, dir));
	CU_ASSERT(tl_contains(r.err, "removed the stale temporary file") &&
		  tl_contains(r.err, "removed the stale lock file"));
	tl_free(&r);
	crl = remote_crl(&e, "main");
	CU_ASSERT(lists(crl, a));
	free(crl);

	free(tl_sh_out("rm -rf %s && mkdir %s && echo mine > %s/notes.txt", dir, dir, dir));
	tl_refused_after_output(e.home, e.base, "move it away", TL_ARGS("publish"));
	r = tl_cd(e.home, "publish", NULL);
	CU_ASSERT(tl_contains(r.err, dir));
	tl_free(&r);
	free(tl_sh_out("mv %s %s.mine", dir, dir));
	v = publish_ok(&e);
	CU_ASSERT(tl_contains(v, "nothing new to publish"));
	free(v);
}

/* ca_crl_read, the judge of CRLs found on the remote, against CRLs of both origins. */
static void test_crl_read(void)
{
	env e;
	char dir[800], *pem, *other, *file;
	ca_revoked list[2] = {{"0123456789ABCDEF", 1700000000, CA_REASON_UNSPECIFIED},
			      {"7EDCBA9876543210", 1700000100, CA_REASON_KEY_COMPROMISE}};
	ca_crl_contents cc;
	ca *c = NULL;

	env_new(&e, 0);
	snprintf(dir, sizeof dir, "%s/ca", e.home);
	CU_ASSERT_EQUAL_FATAL(ca_open(dir, 1, NULL, &c), 0);
	CU_ASSERT_EQUAL_FATAL(ca_sign_crl(c, list, 2, 9, 30, &pem), 0);
	CU_ASSERT_EQUAL(ca_crl_read(c, pem, strlen(pem), &cc), 0);
	CU_ASSERT(cc.ours && cc.info.number == 9 && cc.n == 2);
	if (cc.n == 2) {
		int k = strcmp(cc.v[0].serial, list[0].serial) != 0;
		CU_ASSERT_STRING_EQUAL(cc.v[k].serial, list[0].serial);
		CU_ASSERT(cc.v[k].revoked_at == list[0].revoked_at && cc.v[k].reason == 0);
		CU_ASSERT(cc.v[!k].revoked_at == list[1].revoked_at && cc.v[!k].reason == 1);
	}
	ca_crl_contents_free(&cc);
	file = openssl_crl(&e, "other", NULL, NULL, 9, 30, "0123456789ABCDEF");
	other = tl_read(file);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	CU_ASSERT_EQUAL(ca_crl_read(c, other, strlen(other), &cc), 0);
	CU_ASSERT(!cc.ours && cc.n == 1 && cc.v[0].reason == 0);
	ca_crl_contents_free(&cc);
	CU_ASSERT_EQUAL(ca_crl_read(c, "junk", 4, &cc), -1);
	CU_ASSERT(cc.n == 0 && !cc.v);
	ca_close(c);
	free(other);
	free(file);
	free(pem);
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
	out = tl_sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT(tl_contains(out, "Refresh CRL (next update") && tl_count_lines(out) == 3);
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
	out = tl_sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT_EQUAL(tl_count_lines(out), 4);
	free(out);
}

/* The CA certificate goes beside the CRL for the servers, and follows ca renew: one
 * commit when it changed, none otherwise; a certificate issued before verifies with
 * the published bundle, and the CRL on the branch verifies with it too. */
static void test_ca_bundle(void)
{
	env e;
	char a[80], *out, *v;

	env_new(&e, 0);
	create_user(&e, "uma", "365", a);
	free(publish_ok(&e));
	v = tl_sh_out("git -C %s show main:ca-bundle.pem | cmp - %s/ca/ca.crt && echo same",
		   e.remote, e.home);
	CU_ASSERT(tl_contains(v, "same"));
	free(v);
	out = publish_ok(&e);
	CU_ASSERT(!tl_contains(out, "Publish the CA certificate"));
	free(out);
	free(CD_OK(&e, "ca", "renew", "--days", "5000"));
	out = publish_ok(&e);
	CU_ASSERT(tl_contains(out, "committed ") && tl_contains(out, "Publish the CA certificate"));
	CU_ASSERT(tl_contains(out, "pushed 1 commit "));
	free(out);
	v = tl_sh_out("cd %s && git -C %s show main:ca-bundle.pem > bundle.pem && cmp bundle.pem "
		   "%s/ca/ca.crt && openssl pkcs12 -in out/uma.p12 -passin file:out/uma.pw -nokeys "
		   "-clcerts -legacy 2>/dev/null | openssl x509 > uma.crt && openssl verify "
		   "-CAfile bundle.pem uma.crt && git -C %s show main:crl.pem > crl.pem && "
		   "openssl crl -in crl.pem -CAfile bundle.pem -noout -verify 2>&1", e.base,
		   e.remote, e.home, e.remote);
	CU_ASSERT(tl_contains(v, "uma.crt: OK") && tl_contains(v, "verify OK"));
	free(v);
	/* A bundle-only publish records no CRL: the next run still has nothing to do. */
	out = publish_ok(&e);
	CU_ASSERT(tl_contains(out, "nothing new to publish"));
	free(out);
	free(CD_OK(&e, "config", "crl.bundle_path", "crl.pem"));
	{
		tl_result r = tl_cd(e.home, "publish", NULL);
		CU_ASSERT_NOT_EQUAL(r.status, 0);
		CU_ASSERT(tl_contains(r.err, "need a file each"));
		tl_free(&r);
	}
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
	v = tl_sh_out("openssl crl -in %s -CAfile %s/ca/ca.crt -noout -verify 2>&1", path, e.home);
	CU_ASSERT(tl_contains(v, "verify OK"));
	free(v);
	r = tl_cd(e.home, "crl", "--out", path, NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "never overwrites"));
	tl_free(&r);
	/* A path that cannot be written is refused before signing: one line, the database
	 * as it was, no CRL Number used (the published CRL below is number 2). */
	{
		char *before = tl_sh_out("sqlite3 %s/certdesk.db .dump", e.home), *after;
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
		after = tl_sh_out("sqlite3 %s/certdesk.db .dump", e.home);
		CU_ASSERT_STRING_EQUAL(before, after);
		free(before);
		free(after);
	}

	free(publish_ok(&e));
	pem = CD_OK(&e, "crl");
	v = tl_sh_out("git -C %s show main:crl.pem", e.remote);
	CU_ASSERT_STRING_EQUAL(pem, v);
	free(v);
	free(pem);
	/* Numbers grow: the fresh CRL had 1, the published one more. */
	v = tl_sh_out("git -C %s show main:crl.pem | openssl crl -noout -crlnumber", e.remote);
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
		   TL_ARGS("--read-only", "publish"));
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
	CU_ASSERT(tl_contains(out, "done"));
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
		{"CRL file changed by someone else: replaced", test_foreign_crl_change},
		{"a forged CRL under a revoking subject is not ours", test_forged_crl},
		{"CRLs signed with the CA key: kept or replaced", test_ca_signed_crls},
		{"one CRL Number, one CRL, the review branch too", test_one_number_one_crl},
		{"a held revocation in a CRL on main is not recorded", test_held_entry_on_main},
		{"stale lock files after a kill: removed, push recorded", test_stale_locks},
		{"a half-made clone is completed, a foreign one refused", test_half_made_clone},
		{"ca_crl_read: ours, another key's, junk", test_crl_read},
		{"refresh and expirecheck", test_refresh_and_health},
		{"the CA bundle beside the CRL follows ca renew", test_ca_bundle},
		{"CA expiry warning", test_ca_expiry_warning},
		{"crl verb", test_crl_verb},
		{"dry run (also read-only), lock, no remote", test_dry_run_and_errors},
		CU_TEST_INFO_NULL,
	};
	static const tl_suite suites[] = {{"publish", tests}, {NULL, NULL}};

	return tl_main(suites);
}
