/* test_rollover.c: `certdesk ca rollover` with the real binary, a bare repository as the
 * remote, and openssl as the judge: certificates of the old CA and of the new one both
 * verify with the published bundle and CRL file, revoked ones of either are refused, the
 * old CA retires once its last certificate has ended (faketime), and refusals change
 * nothing. */
#include "testlib.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char base[512], home[600], remote[600], out[600];
} env;

#define CD_OK(e, ...) tl_cd_ok((e)->home, TL_ARGS(__VA_ARGS__))

static void env_new(env *e)
{
	tl_result r;

	snprintf(e->base, sizeof e->base, "%s", tl_tmpdir());
	snprintf(e->home, sizeof e->home, "%s/home", e->base);
	snprintf(e->remote, sizeof e->remote, "%s/remote.git", e->base);
	snprintf(e->out, sizeof e->out, "%s/out", e->base);
	free(tl_sh_out("git init -q --bare -b main %s && mkdir -p %s", e->remote, e->out));
	r = tl_cd(e->home, "init", "--cn", "Test CA", NULL);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	free(CD_OK(e, "config", "crl.remote", e->remote));
}

static void create_user(env *e, const char *user, const char *days)
{
	char name[64], mail[64];

	snprintf(name, sizeof name, "User %s", user);
	snprintf(mail, sizeof mail, "%s@example.org", user);
	free(CD_OK(e, "create", user, "--name", name, "--email", mail, "--out", e->out,
		   "--days", days));
}

/* The user's current certificate as PEM in base/USER.pem, from the home's database. */
static void cert_file(env *e, const char *user)
{
	free(tl_sh_out("sqlite3 %s/certdesk.db \"SELECT p.pem FROM cert_pem p JOIN users u ON "
		       "u.cert_id = p.cert_id WHERE u.name = '%s'\" > %s/%s.pem", e->home, user,
		       e->base, user));
}

/* The remote's CRL file and CA bundle in base/, as the servers get them. */
static void fetch_published(env *e)
{
	free(tl_sh_out("git -C %s show main:crl.pem > %s/crl.pem; git -C %s show "
		       "main:ca-bundle.pem > %s/bundle.pem", e->remote, e->base, e->remote,
		       e->base));
}

/* openssl's verdict on a user's certificate with the published bundle and CRLs. */
static int accepted(env *e, const char *user)
{
	char *v;
	int ok;

	cert_file(e, user);
	v = tl_sh_out("openssl verify -crl_check -CAfile %s/bundle.pem -CRLfile %s/crl.pem "
		      "%s/%s.pem 2>&1", e->base, e->base, e->base, user);
	ok = tl_contains(v, ": OK");
	if (!ok && !tl_contains(v, "certificate revoked"))
		fprintf(stderr, "\nopenssl verify %s: %s\n", user, v);
	free(v);
	return ok;
}

static long count_in(const char *path, const char *what)
{
	char *n = tl_sh_out("grep -c -- '%s' %s", what, path);
	long k = atol(n);

	free(n);
	return k;
}

/* The key identifier directory of the CA that issued first. */
static char *prev_kid(env *e)
{
	char *k = tl_sh_out("ls %s/ca/prev", e->home);

	k[strcspn(k, "\n")] = '\0';
	return k;
}

static void test_rollover_publish(void)
{
	env e;
	char *out, *kid, path[900];

	env_new(&e);
	create_user(&e, "alice", "365");
	create_user(&e, "bob", "365");
	free(CD_OK(&e, "publish"));
	out = CD_OK(&e, "ca", "rollover", "--cn", "Test CA 2");
	CU_ASSERT(tl_contains(out, "Test CA 2"));
	CU_ASSERT(tl_contains(out, "Test CA keeps signing its CRL"));
	free(out);
	kid = prev_kid(&e);
	CU_ASSERT(strlen(kid) == 40);
	snprintf(path, sizeof path, "%s/ca/prev/%s/ca.key", e.home, kid);
	CU_ASSERT_EQUAL(tl_mode(path), 0600);
	out = tl_sh_out("openssl x509 -in %s/ca/ca.crt -noout -subject", e.home);
	CU_ASSERT(tl_contains(out, "Test CA 2"));
	free(out);
	/* The old key did not move: it still matches the old certificate. */
	out = tl_sh_out("bash -c 'cd %s/ca/prev/%s && cmp <(openssl pkey -in ca.key -pubout) "
			"<(openssl x509 -in ca.crt -noout -pubkey) && echo same'", e.home, kid);
	CU_ASSERT(tl_contains(out, "same"));
	free(out);

	create_user(&e, "carol", "365");
	create_user(&e, "dave", "365");
	free(CD_OK(&e, "revoke", "bob", "--reason", "cessationOfOperation"));
	free(CD_OK(&e, "revoke", "dave", "--reason", "cessationOfOperation"));
	out = CD_OK(&e, "publish");
	CU_ASSERT(tl_contains(out, "published 2 revocations"));
	free(out);
	fetch_published(&e);
	snprintf(path, sizeof path, "%s/crl.pem", e.base);
	CU_ASSERT_EQUAL(count_in(path, "BEGIN X509 CRL"), 2);
	snprintf(path, sizeof path, "%s/bundle.pem", e.base);
	CU_ASSERT_EQUAL(count_in(path, "BEGIN CERTIFICATE"), 2);
	/* Either CA's certificates: valid ones accepted, revoked ones refused. */
	CU_ASSERT(accepted(&e, "alice"));
	CU_ASSERT(!accepted(&e, "bob"));
	CU_ASSERT(accepted(&e, "carol"));
	CU_ASSERT(!accepted(&e, "dave"));
	/* Each CRL is signed by its own CA and lists only what that CA issued. */
	out = tl_sh_out("cd %s && awk '/BEGIN X509 CRL/{n++} {print > (\"crl\" n \".pem\")}' "
			"crl.pem && openssl crl -in crl1.pem -noout -issuer -verify -CAfile "
			"%s/ca/ca.crt 2>&1; openssl crl -in crl2.pem -noout -issuer -verify -CAfile "
			"%s/ca/prev/%s/ca.crt 2>&1", e.base, e.home, e.home, kid);
	CU_ASSERT(tl_contains(out, "issuer=CN = Test CA 2"));
	CU_ASSERT(tl_contains(out, "issuer=CN = Test CA\n"));
	CU_ASSERT(!tl_contains(out, "failure"));
	free(out);
	/* list, show and JSON say which CA issued each certificate. */
	out = CD_OK(&e, "list", "--format", "tsv");
	CU_ASSERT(tl_contains(out, "\tca\n"));
	CU_ASSERT(tl_contains(out, "\tTest CA\n"));
	CU_ASSERT(tl_contains(out, "\tTest CA 2\n"));
	free(out);
	out = CD_OK(&e, "show", "alice");
	CU_ASSERT(tl_contains(out, "issued by the CA Test CA\n"));
	free(out);
	out = CD_OK(&e, "show", "carol", "--format", "json");
	CU_ASSERT(tl_contains(out, "\"ca\":\"Test CA 2\"") || tl_contains(out, "\"ca\": \"Test CA 2\""));
	free(out);
	out = CD_OK(&e, "verify");
	CU_ASSERT(tl_contains(out, "OK"));
	free(out);
	/* The old CA's key, which still signs, is checked like the issuing one. */
	snprintf(path, sizeof path, "%s/ca/prev/%s/ca.key", e.home, kid);
	free(tl_sh_out("chmod 644 %s", path));
	{
		tl_result r = tl_cd(e.home, "verify", NULL);

		CU_ASSERT_EQUAL(r.status, 2);
		CU_ASSERT(tl_contains(r.out, "has mode 0644, not 0600"));
		tl_free(&r);
	}
	free(tl_sh_out("chmod 600 %s", path));
	out = CD_OK(&e, "log");
	CU_ASSERT(tl_contains(out, "ca-rollover"));
	free(out);
	free(kid);
}

static void test_rollover_refusals(void)
{
	env e;

	env_new(&e);
	create_user(&e, "erin", "365");
	tl_refused(e.home, e.out, "already named 'Test CA'",
		   TL_ARGS("ca", "rollover", "--cn", "Test CA"));
	tl_refused(e.home, e.out, "--cn and --key are for ca rollover",
		   TL_ARGS("ca", "renew", "--cn", "Other"));
	tl_refused(e.home, e.out, "--as-of only judges",
		   TL_ARGS("--as-of", "2030-01-01", "ca", "rollover"));
	tl_refused(e.home, e.out, "invalid", TL_ARGS("ca", "rollover", "--days", "0"));
	tl_refused(e.home, e.out, "expected renew, rollover or move-to-token",
		   TL_ARGS("ca", "rotate"));
}

/* The old CA signs until its last certificate has ended, then retires in a commit that
 * says so; its key is destroyed, its certificate kept for verify. */
static void test_rollover_retire(void)
{
	env e;
	char *out, *kid, path[900], clock[32], later[16];

	env_new(&e);
	create_user(&e, "finn", "2");
	free(CD_OK(&e, "publish"));
	free(CD_OK(&e, "ca", "rollover"));
	kid = prev_kid(&e);
	free(CD_OK(&e, "renew", "finn", "--out", e.out));
	free(CD_OK(&e, "applied", "finn"));
	free(CD_OK(&e, "publish"));
	fetch_published(&e);
	snprintf(path, sizeof path, "%s/crl.pem", e.base);
	CU_ASSERT_EQUAL(count_in(path, "BEGIN X509 CRL"), 2);
	CU_ASSERT(accepted(&e, "finn"));
	cd_format_date(cd_now() + 3 * CD_DAY, later);
	out = CD_OK(&e, "--as-of", later, "publish", "--dry-run");
	CU_ASSERT(tl_contains(out, "would retire the CA Test CA"));
	free(out);
	cd_format_time(cd_now() + 3 * CD_DAY, clock);
	clock[10] = ' ';
	clock[19] = '\0';
	out = tl_sh_out("ASAN_OPTIONS=verify_asan_link_order=0 faketime -f '@%s' '%s' --home '%s' "
			"publish 2>&1", clock, tl_bin(), e.home);
	CU_ASSERT(tl_contains(out, "retired the CA Test CA"));
	free(out);
	out = tl_sh_out("git -C %s log --format=%%s main", e.remote);
	CU_ASSERT(tl_contains(out, "Retire the CA Test CA"));
	free(out);
	fetch_published(&e);
	CU_ASSERT_EQUAL(count_in(path, "BEGIN X509 CRL"), 1);
	snprintf(path, sizeof path, "%s/bundle.pem", e.base);
	CU_ASSERT_EQUAL(count_in(path, "BEGIN CERTIFICATE"), 1);
	snprintf(path, sizeof path, "%s/ca/retired/%s/ca.crt", e.home, kid);
	CU_ASSERT(tl_mode(path) >= 0);
	snprintf(path, sizeof path, "%s/ca/retired/%s/ca.key", e.home, kid);
	CU_ASSERT_EQUAL(tl_mode(path), -1);
	snprintf(path, sizeof path, "%s/ca/prev/%s", e.home, kid);
	CU_ASSERT_EQUAL(tl_mode(path), -1);
	out = tl_sh_out("ASAN_OPTIONS=verify_asan_link_order=0 faketime -f '@%s' '%s' --home '%s' "
			"verify; echo rc=$?", clock, tl_bin(), e.home);
	CU_ASSERT(tl_contains(out, "rc=0"));
	free(out);
	free(kid);
}

static void test_rollover_backup(void)
{
	env e;
	char *out, *kid, path[1000];

	env_new(&e);
	create_user(&e, "gina", "365");
	free(CD_OK(&e, "ca", "rollover"));
	kid = prev_kid(&e);
	free(tl_sh_out("umask 077; echo 'backup passphrase' > %s/pp", e.base));
	snprintf(path, sizeof path, "%s/pp", e.base);
	{
		char file[700], home2[700];
		tl_result r;

		snprintf(file, sizeof file, "%s/b.cms", e.base);
		snprintf(home2, sizeof home2, "%s/restored", e.base);
		free(CD_OK(&e, "backup", file, "--passphrase-file", path));
		out = tl_sh_out("openssl cms -decrypt -pwri_password 'backup passphrase' -inform DER "
				"-in %s | tar t", file);
		CU_ASSERT(tl_contains(out, "ca/prev/"));
		free(out);
		r = tl_cd(home2, "restore", file, "--passphrase-file", path, NULL);
		CU_ASSERT(tl_ok_or_report(&r, "restore"));
		tl_free(&r);
		snprintf(path, sizeof path, "%s/ca/prev/%s/ca.key", home2, kid);
		CU_ASSERT_EQUAL(tl_mode(path), 0600);
		r = tl_cd(home2, "verify", NULL);
		CU_ASSERT(tl_ok_or_report(&r, "verify of the restored home"));
		tl_free(&r);
	}
	free(kid);
}

/* An imported CA (easy-rsa's, an RSA key with its own key identifier): renewed, then
 * rolled over; the certificates it issued before the import keep verifying throughout. */
static void test_imported_ca(void)
{
	env e;
	char *out;
	tl_result r;

	snprintf(e.base, sizeof e.base, "%s", tl_tmpdir());
	snprintf(e.home, sizeof e.home, "%s/home", e.base);
	snprintf(e.remote, sizeof e.remote, "%s/remote.git", e.base);
	snprintf(e.out, sizeof e.out, "%s/out", e.base);
	r = tl_sh("cd '%s' && mkdir -p out && git init -q --bare -b main remote.git && export "
		  "EASYRSA_BATCH=1 EASYRSA_PKI='%s/pki' && E=/usr/share/easy-rsa/easyrsa && "
		  "{ $E init-pki && EASYRSA_REQ_CN='Team CA' $E build-ca nopass && "
		  "$E build-client-full alice nopass && $E build-client-full bob nopass && "
		  "$E revoke bob && $E gen-crl; } >log 2>&1", e.base, e.base);
	CU_ASSERT_FATAL(tl_ok_or_report(&r, "easy-rsa"));
	tl_free(&r);
	{
		char pki[700];

		snprintf(pki, sizeof pki, "%s/pki", e.base);
		r = tl_cd(e.home, "import", "easyrsa", pki, "--apply", NULL);
		CU_ASSERT_FATAL(tl_ok_or_report(&r, "import"));
		tl_free(&r);
	}
	free(CD_OK(&e, "config", "crl.remote", e.remote));
	free(CD_OK(&e, "publish"));
	out = CD_OK(&e, "ca", "renew", "--days", "4000");
	CU_ASSERT(tl_contains(out, "same key and name"));
	free(out);
	/* The certificate easy-rsa issued verifies with the renewed CA certificate. */
	out = tl_sh_out("openssl verify -CAfile %s/ca/ca.crt %s/pki/issued/alice.crt 2>&1",
			e.home, e.base);
	CU_ASSERT(tl_contains(out, ": OK"));
	free(out);
	free(CD_OK(&e, "ca", "rollover"));
	create_user(&e, "zed", "365");
	free(CD_OK(&e, "publish"));
	fetch_published(&e);
	CU_ASSERT(accepted(&e, "alice"));
	CU_ASSERT(!accepted(&e, "bob"));
	CU_ASSERT(accepted(&e, "zed"));
	out = CD_OK(&e, "list", "--format", "tsv");
	CU_ASSERT(tl_contains(out, "alice\t") && tl_contains(out, "\tTeam CA\n"));
	CU_ASSERT(tl_contains(out, "\tTeam CA 20"));
	free(out);
	r = tl_cd(e.home, "verify", NULL);
	CU_ASSERT(tl_ok_or_report(&r, "verify after renew and rollover of an imported CA"));
	tl_free(&r);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"rollover: both CAs in the CRL file and bundle", test_rollover_publish},
		{"rollover: refusals change nothing", test_rollover_refusals},
		{"rollover: the old CA retires after its last certificate", test_rollover_retire},
		{"rollover: backup and restore keep the old CA", test_rollover_backup},
		{"rollover: an imported CA is renewed and rolled over", test_imported_ca},
		CU_TEST_INFO_NULL,
	};
	static const tl_suite suites[] = {{"rollover", tests}, {NULL, NULL}};

	return tl_main(suites);
}
