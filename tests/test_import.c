/* test_import.c: importing a real easy-rsa 3 PKI and a real `openssl ca` directory with
 * the certdesk binary; openssl(1) judges serials and the next CRL. */
#include "ca.h"
#include "import.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EASYRSA "/usr/share/easy-rsa/easyrsa"

static char er_src[700];  /* a pristine easy-rsa directory (pki/ inside) */
static char oca_src[700]; /* a pristine openssl ca directory */

static tl_result sh_ok(const char *what, tl_result r)
{
	if (r.status != 0)
		fprintf(stderr, "%s failed (%d): %s%s\n", what, r.status, r.out, r.err);
	return r;
}

/*
 * alice: renewed, the old certificate still valid (mid-renewal); carol: renewed and the
 * old one revoked; bob: revoked; all in the CRL; dave: revoked after the CRL was made.
 */
static const char *easyrsa_pki(void)
{
	tl_result r;

	if (er_src[0])
		return er_src;
	snprintf(er_src, sizeof er_src, "%s", tl_tmpdir());
	r = sh_ok("easyrsa", tl_sh(
		"cd '%s' && export EASYRSA_BATCH=1 EASYRSA_PKI='%s/pki' EASYRSA_CERT_RENEW=3650 && "
		"E=" EASYRSA " && { $E init-pki && EASYRSA_REQ_CN='Team CA' $E build-ca nopass && "
		"for u in alice bob carol dave; do $E build-client-full $u nopass || exit 1; done && "
		"$E renew alice nopass && $E renew carol nopass && $E revoke-renewed carol superseded && "
		"$E revoke bob && $E gen-crl && $E revoke dave keyCompromise; } >log 2>&1",
		er_src, er_src));
	CU_ASSERT_FATAL(r.status == 0);
	tl_free(&r);
	return er_src;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static const char *openssl_ca(void)
{
	char cnf[800], *text;
	tl_result r;

	if (oca_src[0])
		return oca_src;
	snprintf(oca_src, sizeof oca_src, "%s/ca", tl_tmpdir());
	r = tl_sh("mkdir -p '%s/newcerts' '%s/private' && touch '%s/index.txt' && "
		  "echo 1000 > '%s/serial' && echo 01 > '%s/crlnumber'", oca_src, oca_src, oca_src,
		  oca_src, oca_src);
	tl_free(&r);
	text = cd_asprintf(
		"[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndir = %s\n"
		"database = $dir/index.txt\nnew_certs_dir = $dir/newcerts\n"
		"certificate = $dir/cacert.pem\nprivate_key = $dir/private/cakey.pem\n"
		"serial = $dir/serial\ncrlnumber = $dir/crlnumber\ncrl = $dir/crl.pem\n"
		"default_md = sha256\ndefault_days = 365\ndefault_crl_days = 30\npolicy = pol\n"
		"unique_subject = no\nx509_extensions = usr\n[ usr ]\nbasicConstraints = CA:FALSE\n"
		"extendedKeyUsage = clientAuth\n[ pol ]\ncommonName = supplied\n"
		"emailAddress = optional\norganizationName = optional\nlocalityName = optional\n"
		"organizationalUnitName = optional\n", oca_src);
	snprintf(cnf, sizeof cnf, "%s/ca.cnf", oca_src);
	write_file(cnf, text);
	free(text);
	/* dave valid; erin revoked (keyCompromise) in the CRL, made twice so the CRL Number
	 * is 2; frank revoked after that CRL. */
	r = sh_ok("openssl ca", tl_sh(
		"cd '%s' && { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		"-keyout private/cakey.pem -out cacert.pem -subj '/CN=Old Team CA' -days 3650 && "
		"for u in dave erin frank; do openssl req -new -newkey ec -pkeyopt "
		"ec_paramgen_curve:P-256 -nodes -keyout $u.key -out $u.csr "
		"-subj \"/CN=$u/O=Example/L=Berlin/emailAddress=$u@example.org\" && "
		"openssl ca -batch -config ca.cnf -in $u.csr -out $u.crt || exit 1; done && "
		"openssl ca -batch -config ca.cnf -revoke newcerts/1001.pem -crl_reason keyCompromise && "
		"openssl ca -batch -config ca.cnf -gencrl -out crl.pem && "
		"openssl ca -batch -config ca.cnf -gencrl -out crl.pem && "
		"openssl ca -batch -config ca.cnf -revoke newcerts/1002.pem; } >log 2>&1", oca_src));
	CU_ASSERT_FATAL(r.status == 0);
	tl_free(&r);
	return oca_src;
}

/* A fresh copy of a source directory, so a test may damage it. */
static char *copy_of(const char *src)
{
	char *dst = cd_asprintf("%s/copy", tl_tmpdir());
	tl_result r = tl_sh("cp -a '%s' '%s'", src, dst);

	CU_ASSERT_FATAL(r.status == 0);
	tl_free(&r);
	return dst;
}

static char *new_home(void)
{
	return cd_asprintf("%s/home", tl_tmpdir());
}

/* The TSV row of one user from `list --all`, or NULL. */
static char *row_of(const char *home, const char *user)
{
	tl_result r = tl_cd(home, "--format", "tsv", "list", "--all", NULL);
	char *key = cd_asprintf("\n%s\t", user), *p = strstr(r.out, key), *row = NULL;

	if (p)
		row = cd_strndup(p + 1, strcspn(p + 1, "\n"));
	free(key);
	tl_free(&r);
	return row;
}

/* The serial openssl reads from a certificate file, as certdesk writes serials. */
static char *openssl_serial(const char *file)
{
	tl_result r = tl_sh("openssl x509 -noout -serial -in '%s' | sed 's/^serial=0*//'", file);
	char *s = cd_strndup(r.out, strcspn(r.out, "\n"));

	tl_free(&r);
	return s;
}

/* Everything a dry run or a repeated import must leave as it was. */
static char *snapshot(const char *home)
{
	tl_result a = tl_cd(home, "--format", "tsv", "list", "--all", NULL);
	tl_result b = tl_cd(home, "--format", "tsv", "log", NULL);
	char *s = cd_asprintf("%s\n--\n%s", a.out, b.out);

	tl_free(&a);
	tl_free(&b);
	return s;
}

struct revs {
	ca_revoked list[64];
	char serials[64][80];
	size_t n;
};

static int add_rev(void *ctx, const char *serial, int64_t at, int reason, const char *issuer)
{
	struct revs *v = ctx;

	if (v->n == 64)
		return -1;
	snprintf(v->serials[v->n], 80, "%s", serial);
	v->list[v->n].serial = v->serials[v->n];
	v->list[v->n].revoked_at = at;
	v->list[v->n].reason = reason;
	v->n++;
	return 0;
}

/*
 * certdesk's next CRL, in out. The `crl` verb when this build has it; otherwise the
 * CRL is signed here the way publishing does: every published revocation, numbered by
 * the store.
 */
static int next_crl(const char *home, const char *out)
{
	tl_result r = tl_cd(home, "crl", "--out", out, NULL);
	char *db, *cadir, *pem = NULL;
	struct revs v = {.n = 0};
	store *st = NULL;
	ca *c = NULL;
	int64_t number = 0;
	int rc = -1;

	if (r.status == 0 && !tl_contains(r.err, "not available")) {
		tl_free(&r);
		return 0;
	}
	tl_free(&r);
	db = cd_asprintf("%s/certdesk.db", home);
	cadir = cd_asprintf("%s/ca", home);
	if (store_open(db, 1, &st) == 0 && store_revocations_published(st, add_rev, &v) == 0 &&
	    store_crl_next_number(st, &number) == 0 && ca_open(cadir, 1, NULL, &c) == 0 &&
	    ca_sign_crl(c, v.list, v.n, number, 30, &pem) == 0 &&
	    cd_write_secret(out, pem, strlen(pem)) == 0)
		rc = 0;
	if (rc < 0)
		fprintf(stderr, "next_crl: %s\n", cd_errmsg());
	free(pem);
	ca_close(c);
	store_close(st);
	free(db);
	free(cadir);
	return rc;
}

static long crl_number(const char *file)
{
	tl_result r = tl_sh("openssl crl -noout -crlnumber -in '%s' 2>/dev/null | "
			    "sed -n 's/^crlNumber=0x//p'", file);
	long n = *r.out ? strtol(r.out, NULL, 16) : 0;

	tl_free(&r);
	return n;
}

static int crl_lists(const char *crl, const char *cert)
{
	char *serial = openssl_serial(cert);
	tl_result r = tl_sh("openssl crl -noout -text -in '%s' | grep -c 'Serial Number: 0*%s$'",
			    crl, serial);
	int found = r.status == 0 && atoi(r.out) == 1;

	free(serial);
	tl_free(&r);
	return found;
}

static void test_easyrsa_import(void)
{
	const char *src = easyrsa_pki();
	char *pki = cd_asprintf("%s/pki", src), *home = new_home(), *row, *before, *after, *s;
	char crl[800], path[800];
	tl_result r;

	/* Dry run: counts, and nothing written, not even the home. */
	r = tl_cd(home, "import", "easyrsa", pki, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "users:        4 new"));
	CU_ASSERT(tl_contains(r.out, "6 new (3 valid, 0 expired, 3 revoked)"));
	CU_ASSERT(tl_contains(r.out, "2 published in the CRL, 1 scheduled (ready), 1 held"));
	CU_ASSERT(tl_contains(r.out, "dry run: nothing written"));
	CU_ASSERT_EQUAL(tl_mode(home), -1);
	tl_free(&r);

	r = tl_cd(home, "import", "easyrsa", pki, "--apply", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "imported: 4 users, 6 certificates"));
	tl_free(&r);
	snprintf(path, sizeof path, "%s/ca/ca.key", home);
	CU_ASSERT_EQUAL(tl_mode(path), 0600);
	r = tl_sh("cmp '%s' '%s/private/ca.key' && cmp '%s/ca/ca.crt' '%s/ca.crt'", path, pki,
		  home, pki);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);

	/* Serials as openssl reads them; stages as certdesk judges them. */
	snprintf(path, sizeof path, "%s/issued/alice.crt", pki);
	s = openssl_serial(path);
	row = row_of(home, "alice");
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	CU_ASSERT(tl_contains(row, s) && tl_contains(row, "\trenewed\t"));
	free(s);
	free(row);
	row = row_of(home, "bob");
	CU_ASSERT(row && tl_contains(row, "\trevoked\t"));
	free(row);
	snprintf(path, sizeof path, "%s/issued/carol.crt", pki);
	s = openssl_serial(path);
	row = row_of(home, "carol");
	CU_ASSERT(row && tl_contains(row, s) && tl_contains(row, "\tdone\t"));
	free(s);
	free(row);
	row = row_of(home, "dave");
	CU_ASSERT(row && tl_contains(row, "\trevoked\t"));
	free(row);
	r = tl_cd(home, "show", "alice", NULL);
	CU_ASSERT(tl_contains(r.out, "revocation scheduled"));
	tl_free(&r);

	/* A second import changes nothing. */
	before = snapshot(home);
	r = tl_cd(home, "import", "easyrsa", pki, "--apply", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "imported: 0 users, 0 certificates"));
	CU_ASSERT(tl_contains(r.out, "6 already in the home"));
	tl_free(&r);
	after = snapshot(home);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	/* Nor does a dry run into the existing home. */
	r = tl_cd(home, "import", "easyrsa", pki, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	after = snapshot(home);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	free(before);

	/* certdesk's next CRL: signed by the CA, still revoking what the old CRL revoked. */
	snprintf(crl, sizeof crl, "%s/next.pem", tl_tmpdir());
	CU_ASSERT_EQUAL_FATAL(next_crl(home, crl), 0);
	r = tl_sh("openssl crl -noout -verify -in '%s' -CAfile '%s/ca.crt' 2>&1", crl, pki);
	CU_ASSERT(r.status == 0 && tl_contains(r.out, "verify OK"));
	tl_free(&r);
	snprintf(path, sizeof path, "%s/revoked/certs_by_serial", pki);
	r = tl_sh("ls '%s'/*.crt | wc -l", path);
	CU_ASSERT_EQUAL(atoi(r.out), 3);
	tl_free(&r);
	r = tl_sh("openssl crl -in '%s/crl.pem' -noout -text | sed -n 's/ *Serial Number: 0*//p' "
		  "| sort > '%s.old'; openssl crl -in '%s' -noout -text | "
		  "sed -n 's/ *Serial Number: 0*//p' | sort > '%s.new'; "
		  "comm -23 '%s.old' '%s.new' | wc -l; wc -l < '%s.old'",
		  pki, crl, crl, crl, crl, crl, crl);
	CU_ASSERT(tl_contains(r.out, "0\n2\n")); /* both old entries kept */
	tl_free(&r);
	CU_ASSERT(crl_number(crl) >= 1); /* easy-rsa 3.1.0 writes CRLs without a number */
	free(pki);
	free(home);
}

static void test_openssl_ca_import(void)
{
	const char *src = openssl_ca();
	char *home = new_home(), *row, cfg[800], crl[800], path[800];
	tl_result r;

	snprintf(cfg, sizeof cfg, "%s/ca.cnf", src);
	r = tl_cd(home, "import", "openssl-ca", src, "--config", cfg, "--apply", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "imported: 3 users, 3 certificates"));
	CU_ASSERT(tl_contains(r.out, "1 published in the CRL, 1 scheduled (ready)"));
	CU_ASSERT(tl_contains(r.out, "CRL:          number 2, 1 entries"));
	CU_ASSERT(tl_contains(r.out, "next CRL:     number 3"));
	tl_free(&r);

	row = row_of(home, "dave");
	CU_ASSERT(row && tl_contains(row, "\tdave@example.org\t1000\t") &&
		  tl_contains(row, "\tactive\t"));
	free(row);
	row = row_of(home, "erin");
	CU_ASSERT(row && tl_contains(row, "\t1001\t") && tl_contains(row, "\trevoked\t"));
	free(row);
	r = tl_cd(home, "show", "dave", NULL);
	CU_ASSERT(tl_contains(r.out, "Example") && tl_contains(r.out, "Berlin"));
	tl_free(&r);
	r = tl_cd(home, "show", "frank", NULL);
	CU_ASSERT(tl_contains(r.out, "revocation scheduled"));
	tl_free(&r);

	snprintf(crl, sizeof crl, "%s/next.pem", tl_tmpdir());
	CU_ASSERT_EQUAL_FATAL(next_crl(home, crl), 0);
	r = tl_sh("openssl crl -noout -verify -in '%s' -CAfile '%s/cacert.pem' 2>&1", crl, src);
	CU_ASSERT(r.status == 0 && tl_contains(r.out, "verify OK"));
	tl_free(&r);
	snprintf(path, sizeof path, "%s/erin.crt", src);
	CU_ASSERT(crl_lists(crl, path));
	snprintf(path, sizeof path, "%s/crl.pem", src);
	CU_ASSERT_EQUAL(crl_number(path), 2);
	CU_ASSERT(crl_number(crl) > crl_number(path));

	/* Without --config: the usual file names inside the directory. */
	free(home);
	home = new_home();
	r = tl_cd(home, "import", "openssl-ca", src, NULL);
	CU_ASSERT(r.status == 0 && tl_contains(r.out, "users:        3 new"));
	tl_free(&r);
	free(home);
}

/* The team's repository already holds the CRL deployed today (committed by hand); the
 * imported home's first publish builds on it, and a CRL from another CA is refused. */
static void test_publish_after_import(void)
{
	const char *src = openssl_ca();
	char *home = new_home(), cfg[800], repo[800], work[800], crl[800];
	tl_result r;

	snprintf(cfg, sizeof cfg, "%s/ca.cnf", src);
	snprintf(repo, sizeof repo, "%s/crl.git", tl_tmpdir());
	snprintf(work, sizeof work, "%s/work", tl_tmpdir());
	snprintf(crl, sizeof crl, "%s/published.pem", tl_tmpdir());
	r = sh_ok("a team repository", tl_sh(
		"git init -q --bare -b main '%s' && git clone -q '%s' '%s' 2>/dev/null && "
		"cp '%s/crl.pem' '%s/crl.pem' && cd '%s' && git add crl.pem && "
		"git -c user.name=Ops -c user.email=ops@example.org commit -qm 'CRL by hand' && "
		"git push -q origin main", repo, repo, work, src, work, work));
	tl_free(&r);
	r = sh_ok("import", tl_cd(home, "import", "openssl-ca", src, "--config", cfg, "--apply",
				  NULL));
	tl_free(&r);
	r = sh_ok("config", tl_cd(home, "config", "crl.remote", repo, NULL));
	tl_free(&r);
	r = tl_cd(home, "publish", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "building on the CRL already in crl.pem (CRL Number 2"));
	tl_free(&r);
	r = tl_sh("git -C '%s' show main:crl.pem > '%s' && git -C '%s' log --format=%%s main",
		  repo, crl, repo);
	CU_ASSERT(tl_contains(r.out, "CRL by hand"));
	CU_ASSERT(tl_contains(r.out, "Revoke client certificate of frank"));
	tl_free(&r);
	r = tl_sh("openssl crl -noout -verify -in '%s' -CAfile '%s/cacert.pem' 2>&1", crl, src);
	CU_ASSERT(tl_contains(r.out, "verify OK"));
	tl_free(&r);
	CU_ASSERT(crl_number(crl) > 2);
	snprintf(cfg, sizeof cfg, "%s/erin.crt", src);
	CU_ASSERT(crl_lists(crl, cfg)); /* imported revocation kept */
	snprintf(cfg, sizeof cfg, "%s/frank.crt", src);
	CU_ASSERT(crl_lists(crl, cfg)); /* revoked after the old CRL: published now */
	free(home);

	/* A home of another CA meets that repository: refused, nothing recorded. */
	home = new_home();
	r = sh_ok("init", tl_cd(home, "init", "--crl-remote", repo, NULL));
	tl_free(&r);
	r = tl_cd(home, "publish", NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.err, "did not sign") || tl_contains(r.err, "never scheduled"));
	tl_free(&r);
	free(home);
}

/* Each refusal names what is wrong and writes nothing. */
static void expect_refusal(const char *home, const char *kind, const char *dir,
			   const char *needle)
{
	tl_result r = tl_cd(home, "import", kind, dir, "--apply", NULL);

	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.err, needle));
	if (!tl_contains(r.err, needle))
		fprintf(stderr, "expected '%s' in: %s", needle, r.err);
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	tl_free(&r);
}

static void test_refusals(void)
{
	const char *src = easyrsa_pki();
	char *copy, *home = new_home(), path[900];
	const char *other;
	tl_result r;

	/* A home that holds another CA. */
	other = tl_home();
	snprintf(path, sizeof path, "%s/pki", src);
	expect_refusal(other, "easyrsa", path, "already holds a different CA");
	r = tl_cd(other, "--format", "tsv", "list", "--all", NULL);
	CU_ASSERT_EQUAL(tl_count_lines(r.out), 1); /* the header only */
	tl_free(&r);

	/* A CA key that is not the certificate's. */
	copy = copy_of(src);
	r = tl_sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
		  "-out '%s/pki/private/ca.key' 2>/dev/null", copy);
	tl_free(&r);
	snprintf(path, sizeof path, "%s/pki", copy);
	expect_refusal(home, "easyrsa", path, "does not match the CA certificate");
	CU_ASSERT_EQUAL(tl_mode(home), -1);
	free(copy);

	/* No index.txt. */
	copy = copy_of(src);
	snprintf(path, sizeof path, "%s/pki/index.txt", copy);
	unlink(path);
	snprintf(path, sizeof path, "%s/pki", copy);
	expect_refusal(home, "easyrsa", path, "index.txt: no index.txt there");
	free(copy);

	/* A malformed line, named with its file and line. */
	copy = copy_of(src);
	r = tl_sh("sed -i '2s/\\t/ /g' '%s/pki/index.txt'", copy);
	tl_free(&r);
	snprintf(path, sizeof path, "%s/pki", copy);
	expect_refusal(home, "easyrsa", path, "pki/index.txt:2: malformed line");
	CU_ASSERT_EQUAL(tl_mode(home), -1);
	free(copy);

	/* A certificate file that is not PEM, named with the index.txt line that lists it. */
	copy = copy_of(src);
	r = tl_sh("f=$(ls '%s'/pki/certs_by_serial/*.pem | head -1); "
		  "openssl x509 -in $f -outform DER -out $f.der && mv $f.der $f && echo $f", copy);
	snprintf(path, sizeof path, "%.*s: not a PEM certificate", (int)strcspn(r.out, "\n"),
		 r.out);
	tl_free(&r);
	{
		char dir[900], line[1000];
		tl_result g = tl_sh("f=$(ls '%s'/pki/certs_by_serial/*.pem | head -1); "
				    "s=$(basename $f .pem); grep -n \"\t$s\t\" '%s/pki/index.txt' | "
				    "cut -d: -f1", copy, copy);
		snprintf(dir, sizeof dir, "%s/pki", copy);
		expect_refusal(home, "easyrsa", dir, path);
		snprintf(line, sizeof line, "pki/index.txt:%.*s)", (int)strcspn(g.out, "\n"), g.out);
		CU_ASSERT(strlen(g.out) > 1);
		expect_refusal(home, "easyrsa", dir, line);
		tl_free(&g);
	}
	CU_ASSERT_EQUAL(tl_mode(home), -1);
	free(copy);
	free(home);
}

static void test_foreign_certificate(void)
{
	const char *src = easyrsa_pki();
	char *copy = copy_of(src), *home = new_home(), pki[800];
	tl_result r;

	/* mallory: signed by another CA, slipped into the PKI with an index line. */
	r = tl_sh("cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		  "-nodes -keyout m.key -out pki/issued/mallory.crt -subj /CN=mallory -days 30 "
		  "-set_serial 0x4D414C && printf 'V\\t301231235959Z\\t\\t4D414C\\tunknown\\t"
		  "/CN=mallory\\n' >> pki/index.txt", copy);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	snprintf(pki, sizeof pki, "%s/pki", copy);
	r = tl_cd(home, "import", "easyrsa", pki, "--apply", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "problem: ") && tl_contains(r.out, "issued/mallory.crt): not "
								   "signed by this CA; skipped"));
	CU_ASSERT(tl_contains(r.out, "imported: 4 users"));
	tl_free(&r);
	r = tl_cd(home, "show", "mallory", NULL);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	tl_free(&r);
	free(copy);
	free(home);
}

/* A user already in the home who has a new certificate in the source: listed, left alone. */
static void test_conflict(void)
{
	char *copy = copy_of(easyrsa_pki()), *home = new_home(), pki[800], *before, *after;
	tl_result r;

	snprintf(pki, sizeof pki, "%s/pki", copy);
	r = tl_cd(home, "import", "easyrsa", pki, "--apply", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	r = sh_ok("easyrsa", tl_sh("cd '%s' && EASYRSA_BATCH=1 EASYRSA_PKI='%s' " EASYRSA
				   " build-client-full bob nopass >log 2>&1", copy, pki));
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	before = snapshot(home);
	r = tl_cd(home, "import", "easyrsa", pki, "--apply", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "conflicts:    1"));
	CU_ASSERT(tl_contains(r.out, "conflict: user bob is already in the home; 1 new"));
	tl_free(&r);
	after = snapshot(home);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	free(copy);
	free(home);
}

/*
 * Certificates added to a copy of the openssl ca fixture by hand, the way a CA's history
 * ends up: `mk SERIAL CN EXTENSIONS [DN-LINES]` signs one with the CA key and lists it in
 * index.txt (lines separated by '|'; OpenSSL's config escapes such as \n apply).
 */
static const char mk_sh[] =
	"mk() { { printf '[req]\\nprompt=no\\nutf8=yes\\ndistinguished_name=dn\\n[dn]\\n"
	"CN=%s\\n' \"$2\"; printf '%s\\n' \"$4\" | tr '|' '\\n'; } > s.cnf && "
	"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem "
	"-out r.csr -config s.cnf && printf '%s\\n' \"$3\" | tr '|' '\\n' > e.cnf && "
	"openssl x509 -req -in r.csr -CA cacert.pem -CAkey private/cakey.pem -set_serial 0x$1 "
	"-days 200 -extfile e.cnf -out newcerts/$1.pem && "
	"printf 'V\\t301231235959Z\\t\\t%s\\tunknown\\t/CN=%s\\n' $1 \"$2\" >> index.txt; }; "
	"rv() { openssl ca -batch -config ca.cnf -revoke newcerts/$1.pem; }; ";
#define CLIENT "basicConstraints=CA:FALSE|extendedKeyUsage=clientAuth"

/* A copy of the openssl ca fixture, its ca.cnf pointing at the copy; then script. */
static char *oca_with(const char *script)
{
	char *dst = copy_of(openssl_ca());
	tl_result r = sh_ok("fixture", tl_sh("cd '%s' && sed -i 's|^dir = .*|dir = %s|' ca.cnf && "
					     "{ %s %s; } >log 2>&1", dst, dst, mk_sh, script));

	CU_ASSERT_FATAL(r.status == 0);
	tl_free(&r);
	return dst;
}

static void expect_out(const tl_result *r, const char *needle)
{
	CU_ASSERT(tl_contains(r->out, needle));
	if (!tl_contains(r->out, needle))
		fprintf(stderr, "expected '%s' in:\n%s%s", needle, r->out, r->err);
}

/* A dry run that lists every reason in why, then the import, which says imported. */
static void import_checked(const char *home, const char *src, const char *const *why, size_t n,
			   const char *imported)
{
	tl_result r = tl_cd(home, "import", "openssl-ca", src, NULL);
	size_t i;

	CU_ASSERT_EQUAL(r.status, 0);
	for (i = 0; i < n; i++)
		expect_out(&r, why[i]);
	tl_free(&r);
	r = tl_cd(home, "import", "openssl-ca", src, "--apply", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	expect_out(&r, imported);
	tl_free(&r);
}

/* Serials the old CRL lists and the new one does not (openssl reads both); *old_n: how
 * many the old one lists. */
static char *dropped(const char *old_crl, const char *new_crl, int *old_n)
{
	tl_result r = tl_sh("for f in '%s' '%s'; do openssl crl -noout -text -in $f | "
			    "sed -n 's/ *Serial Number: 0*//p' | sort > $f.serials; done; "
			    "wc -l < '%s.serials'; comm -23 '%s.serials' '%s.serials'", old_crl,
			    new_crl, old_crl, old_crl, new_crl);
	char *nl = strchr(r.out, '\n'), *s = cd_strdup(nl ? nl + 1 : "?");

	*old_n = atoi(r.out);
	tl_free(&r);
	return s;
}

/* The new CRL revokes every serial of the old one, which lists old_n. */
static void none_dropped(const char *old_crl, const char *new_crl, int old_n)
{
	int n;
	char *gone = dropped(old_crl, new_crl, &n);

	CU_ASSERT_EQUAL(n, old_n);
	CU_ASSERT_STRING_EQUAL(gone, "");
	if (*gone)
		fprintf(stderr, "dropped: %s\n", gone);
	free(gone);
}

/*
 * Every revoked serial comes along, user or not: a CN that is no user name, a file that
 * fails the signature check, a CA certificate, one without clientAuth, one only in the
 * CRL, one revoked after the CRL, one of a user already in the home. certdesk's next
 * CRL, and the one it publishes, still revoke everything the old CRL revoked.
 */
static void test_revocations_kept(void)
{
	char *src = oca_with(":"), *home = new_home(), dir[700], crl[800], repo[800];
	const char *why[] = {
		"2001 (", "CN 'John Doe' is not a usable user name; its revocation is imported",
		"2002 (", "not signed by this CA; its revocation is imported without a user",
		"2003 (", "it is a CA certificate",
		"2004 (", "it lacks the clientAuth extended key usage; its revocation",
		"revoked serial 2005: in the CRL but not in index.txt; its revocation is imported",
		"2006 (", "(the deployed CRL lacks it: certdesk's next CRL lists it)",
		"2007 (", "user dave is already in the home; its revocation is imported",
		"certificate 1002, already in the home, is revoked in the source: recorded as "
		"published (the deployed CRL lists it)",
		"no user:      7 revocations kept in certdesk's CRLs without a user (1 not in the "
		"deployed CRL)",
	};
	char *before, *after;
	tl_result r;

	r = sh_ok("first import", tl_cd(home, "import", "openssl-ca", src, "--apply", NULL));
	tl_free(&r);
	free(src);
	src = oca_with(
		"mk 2001 'John Doe' '" CLIENT "' && mk 2002 mallory '" CLIENT "' && "
		"mk 2003 subca 'basicConstraints=critical,CA:TRUE|keyUsage=keyCertSign,cRLSign' && "
		"mk 2004 noeku 'basicConstraints=CA:FALSE' && mk 2005 ghost '" CLIENT "' && "
		"mk 2006 'Late Comer' '" CLIENT "' && mk 2007 dave '" CLIENT "' && "
		"for s in 2001 2002 2003 2004 2005 2007; do rv $s || exit 1; done && "
		"openssl ca -batch -config ca.cnf -gencrl -out crl.pem && rv 2006 && "
		"sed -i '/\t2005\t/d' index.txt && "
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout m.key "
		"-out newcerts/2002.pem -subj /CN=mallory -days 30 -set_serial 0x2002");
	import_checked(home, src, why, sizeof why / sizeof *why,
		       "imported: 0 users, 0 certificates, 7 revocations without a user");
	r = tl_cd(home, "log", NULL);
	expect_out(&r, "revocation of serial 2005 imported without a user: in the CRL but not");
	tl_free(&r);

	/* certdesk's next CRL: everything the old one held, and the one revoked since. */
	snprintf(dir, sizeof dir, "%s", tl_tmpdir());
	snprintf(crl, sizeof crl, "%s/next.pem", dir);
	r = sh_ok("crl", tl_cd(home, "crl", "--out", crl, NULL));
	tl_free(&r);
	r = tl_sh("cd '%s' && openssl crl -noout -verify -in '%s' -CAfile cacert.pem 2>&1 && "
		  "openssl crl -noout -text -in '%s' | grep -c 'Serial Number: 2006$'", src, crl,
		  crl);
	CU_ASSERT(tl_contains(r.out, "verify OK\n1\n"));
	tl_free(&r);
	snprintf(repo, sizeof repo, "%s/crl.pem", src);
	none_dropped(repo, crl, 8); /* erin, frank and 2001..2005, 2007 */

	/* The CRL it publishes to the team's repository, the same. */
	snprintf(repo, sizeof repo, "%s/crl.git", dir);
	r = sh_ok("repository", tl_sh("git init -q --bare -b main '%s'", repo));
	tl_free(&r);
	r = sh_ok("config", tl_cd(home, "config", "crl.remote", repo, NULL));
	tl_free(&r);
	r = sh_ok("publish", tl_cd(home, "publish", NULL));
	tl_free(&r);
	r = tl_sh("git -C '%s' show main:crl.pem > '%s/published.pem'", repo, dir);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	snprintf(repo, sizeof repo, "%s/crl.pem", src);
	snprintf(crl, sizeof crl, "%s/published.pem", dir);
	none_dropped(repo, crl, 8);

	/* A second import adds nothing. */
	before = snapshot(home);
	r = tl_cd(home, "import", "openssl-ca", src, "--apply", NULL);
	expect_out(&r, "imported: 0 users, 0 certificates, 0 revocations without a user");
	tl_free(&r);
	after = snapshot(home);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	free(src);
	free(home);
}

/* A home that has published already, then imports a revocation its deployed CRL lacks:
 * the next publish signs and pushes a CRL that holds it. */
static void test_orphan_after_publish(void)
{
	char *src = oca_with(":"), *home = new_home(), dir[700], repo[800];
	tl_result r;

	snprintf(dir, sizeof dir, "%s", tl_tmpdir());
	snprintf(repo, sizeof repo, "%s/crl.git", dir);
	r = sh_ok("first import", tl_cd(home, "import", "openssl-ca", src, "--apply", NULL));
	tl_free(&r);
	r = sh_ok("repository", tl_sh("git init -q --bare -b main '%s'", repo));
	tl_free(&r);
	r = sh_ok("config", tl_cd(home, "config", "crl.remote", repo, NULL));
	tl_free(&r);
	r = sh_ok("publish", tl_cd(home, "publish", NULL));
	tl_free(&r);
	free(src);
	src = oca_with("mk 2006 'Late Comer' '" CLIENT "' && "
		       "openssl ca -batch -config ca.cnf -gencrl -out crl.pem && rv 2006");
	r = sh_ok("second import", tl_cd(home, "import", "openssl-ca", src, "--apply", NULL));
	tl_free(&r);
	r = sh_ok("publish again", tl_cd(home, "publish", NULL));
	expect_out(&r, "committed ");
	tl_free(&r);
	r = tl_sh("git -C '%s' show main:crl.pem | openssl crl -noout -text | "
		  "grep -c 'Serial Number: 2006$'", repo);
	CU_ASSERT_STRING_EQUAL(r.out, "1\n");
	tl_free(&r);
	free(src);
	free(home);
}

/* A home of the first release (schema 2) gains the table of orphan revocations. */
static void test_schema_2_migrated(void)
{
	char *home = cd_strdup(tl_home()), *db = cd_asprintf("%s/certdesk.db", home);
	tl_result r = tl_sh("sqlite3 '%s' 'DROP TABLE orphan_revocations; DROP TABLE crl_reserved; "
			    "PRAGMA user_version = 2'",
			    db);

	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	r = sh_ok("list", tl_cd(home, "list", NULL));
	tl_free(&r);
	r = tl_sh("sqlite3 '%s' 'PRAGMA user_version; SELECT count(*) FROM orphan_revocations'", db);
	CU_ASSERT_STRING_EQUAL(r.out, "8\n0\n");
	tl_free(&r);
	free(db);
	free(home);
}

/* A CA certificate, or one a server would not take for client authentication, is no
 * user: listed in the dry run with the reason, and left out. */
static void test_not_client_certificates(void)
{
	char *src = oca_with(
		"mk 3001 subca 'basicConstraints=critical,CA:TRUE|keyUsage=keyCertSign,cRLSign' && "
		"mk 3002 noeku 'basicConstraints=CA:FALSE' && "
		"mk 3003 webonly 'basicConstraints=CA:FALSE|extendedKeyUsage=serverAuth' && "
		"mk 3004 anyeku 'extendedKeyUsage=anyExtendedKeyUsage' && "
		"mk 3005 signer 'keyUsage=keyCertSign|extendedKeyUsage=clientAuth' && "
		"mk 3006 gwen '" CLIENT "'");
	char *home = new_home();
	const char *users[] = {"subca", "noeku", "webonly", "anyeku", "signer"};
	const char *why[] = {
		"newcerts/3001.pem): it is a CA certificate (basicConstraints CA:TRUE or "
		"keyCertSign), not a user's; skipped",
		"newcerts/3002.pem): it lacks the clientAuth extended key usage; skipped",
		"newcerts/3003.pem): it lacks the clientAuth extended key usage; skipped",
		"newcerts/3004.pem): it lacks the clientAuth extended key usage; skipped",
		"newcerts/3005.pem): it is a CA certificate",
		"users:        4 new",
	};
	tl_result r;
	size_t i;

	import_checked(home, src, why, sizeof why / sizeof *why,
		       "imported: 4 users, 4 certificates");
	for (i = 0; i < sizeof users / sizeof *users; i++) {
		char *row = row_of(home, users[i]);
		CU_ASSERT_PTR_NULL(row);
		free(row);
	}
	r = tl_cd(home, "show", "gwen", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	free(src);
	free(home);
}

/* users as python3 reads `list --format json`, strictly as UTF-8: "user=email ..." in
 * ascii(), or the error. */
static char *json_emails(const char *home)
{
	static const char py[] =
		"import sys, json\n"
		"d = json.loads(sys.stdin.buffer.read().decode('utf-8', errors='strict'))\n"
		"print(ascii(' '.join(sorted(u['user'] + '=' + u['email'] for u in d))))\n";
	tl_result l = tl_cd(home, "--format", "json", "list", "--all", NULL);
	tl_result r = tl_run(TL_ARGS("python3", "-c", py), l.out);
	char *s = cd_asprintf("%s%s", r.out, r.status ? r.err : "");

	tl_free(&l);
	tl_free(&r);
	return s;
}

/*
 * Fields that create would refuse (control characters, invalid UTF-8, overlong, a text
 * direction control, a bad country): listed in the dry run, imported empty, the original
 * kept in the audit entry; JSON stays valid UTF-8, even for a database an older import
 * wrote such bytes into.
 */
static void test_fields_validated(void)
{
	char long_email[400], script[2000], *src, *home = new_home(), *s, *db;
	const char *why[] = {
		"4001.pem): ou contains a control character (byte 6); imported with that field "
		"empty (the original is kept in the audit entry)",
		"4001.pem): org contains a control character (byte 3); imported with that field",
		"4002.pem): email is not valid UTF-8; imported with that field empty",
		"4003.pem): email is too long (302 bytes, at most 256); imported with that field",
		"4004.pem): location contains a text direction control (byte 7); imported",
		"4004.pem): invalid country 'de': expected two capital letters",
		"users:        7 new",
	};
	tl_result r;

	memset(long_email, 'g', 290);
	snprintf(long_email + 290, sizeof long_email - 290, "@example.org");
	snprintf(script, sizeof script,
		 "mk 4001 eve '" CLIENT "|subjectAltName=email:eve@example.org' "
		 "'OU=Sales\\nBcc|O=Ex\\tample|L=Berlin' && "
		 "mk 4002 finn '" CLIENT "|subjectAltName=email:finn\\n\xff@example.org' && "
		 "mk 4003 gail '" CLIENT "|subjectAltName=email:%s' && "
		 "mk 4004 hank '" CLIENT "' 'L=Berlin\xe2\x80\xaex|C=de'", long_email);
	src = oca_with(script);
	import_checked(home, src, why, sizeof why / sizeof *why,
		       "imported: 7 users, 7 certificates");

	r = tl_cd(home, "show", "eve", NULL);
	if ((s = strstr(r.out, "\nhistory:")))
		*s = '\0'; /* the audit entries there quote the originals */
	CU_ASSERT(r.status == 0 && tl_contains(r.out, "Berlin") && tl_contains(r.out, "eve@") &&
		  !tl_contains(r.out, "Sales") && !tl_contains(r.out, "\n  org"));
	tl_free(&r);
	r = tl_cd(home, "show", "finn", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	r = tl_cd(home, "log", "eve", NULL);
	expect_out(&r, "O emptied (org contains a control character (byte 3)), it was \"Ex\\x09ample\"; "
		   "OU emptied (ou contains a control character (byte 6)), it was "
		   "\"Sales\\x0aBcc\"");
	tl_free(&r);
	r = tl_cd(home, "log", "finn", NULL);
	expect_out(&r, "email emptied (email is not valid UTF-8), it was "
		   "\"finn\\x0a\\xff@example.org\"");
	tl_free(&r);
	s = json_emails(home);
	CU_ASSERT_STRING_EQUAL(s, "'dave=dave@example.org erin=erin@example.org eve=eve@example.org "
				  "finn= frank=frank@example.org gail= hank='\n");
	free(s);

	/* A home an older import wrote broken bytes into: JSON still decodes. */
	db = cd_asprintf("%s/certdesk.db", home);
	r = tl_sh("sqlite3 '%s' \"UPDATE users SET email = CAST(X'66FF6E6E0A40782E6F7267' AS "
		  "TEXT) WHERE name = 'finn'\"", db);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	s = json_emails(home);
	CU_ASSERT(tl_contains(s, " finn=f\\ufffdnn\\n@x.org "));
	if (!tl_contains(s, " finn=f\\ufffdnn\\n@x.org "))
		fprintf(stderr, "json: %s\n", s);
	free(s);
	free(db);
	free(src);
	free(home);
}

static void test_passphrase(void)
{
	char *dir = cd_asprintf("%s", tl_tmpdir()), *home = new_home(), pki[800], pw[800];
	char key[800];
	tl_result r;

	r = sh_ok("easyrsa", tl_sh(
		"cd '%s' && export EASYRSA_BATCH=1 EASYRSA_PKI='%s/pki' "
		"EASYRSA_PASSIN=pass:s3cret-pass EASYRSA_PASSOUT=pass:s3cret-pass && "
		"{ " EASYRSA " init-pki && EASYRSA_REQ_CN='Locked CA' " EASYRSA " build-ca && "
		EASYRSA " build-client-full zoe nopass && " EASYRSA " gen-crl; } >log 2>&1",
		dir, dir));
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	snprintf(pki, sizeof pki, "%s/pki", dir);
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	expect_refusal(home, "easyrsa", pki, "passphrase-protected");
	CU_ASSERT_EQUAL(tl_mode(home), -1);

	snprintf(pw, sizeof pw, "%s/wrong", dir);
	write_file(pw, "not-it\n");
	setenv("CERTDESK_PASSPHRASE_FILE", pw, 1);
	expect_refusal(home, "easyrsa", pki, "wrong passphrase");
	CU_ASSERT_EQUAL(tl_mode(home), -1);

	snprintf(pw, sizeof pw, "%s/pass", dir);
	write_file(pw, "s3cret-pass\n");
	setenv("CERTDESK_PASSPHRASE_FILE", pw, 1);
	r = tl_cd(home, "import", "easyrsa", pki, "--apply", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "imported: 1 users, 1 certificates"));
	tl_free(&r);
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	/* The key stays as it was: encrypted, 0600. */
	snprintf(key, sizeof key, "%s/ca/ca.key", home);
	CU_ASSERT_EQUAL(tl_mode(key), 0600);
	r = tl_sh("grep -c ENCRYPTED '%s' && cmp '%s' '%s/private/ca.key'", key, key, pki);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	free(dir);
	free(home);
}

static void test_time_parse(void)
{
	int64_t t;

	CU_ASSERT(import_parse_time("261127215549Z", &t) == 0 &&
		  t == cd_timegm(2026, 11, 27, 21, 55, 49));
	CU_ASSERT(import_parse_time("20500101000000Z", &t) == 0 &&
		  t == cd_timegm(2050, 1, 1, 0, 0, 0));
	CU_ASSERT(import_parse_time("991231235959Z", &t) == 0 &&
		  t == cd_timegm(1999, 12, 31, 23, 59, 59));
	CU_ASSERT_EQUAL(import_parse_time("2611272155Z", &t), -1);
	CU_ASSERT_EQUAL(import_parse_time("261327215549Z", &t), -1);
	CU_ASSERT_EQUAL(import_parse_time("26112721554xZ", &t), -1);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"publish after import builds on the team's CRL", test_publish_after_import},
		{"index.txt times", test_time_parse},
		{"easy-rsa PKI: dry run, import, again, next CRL", test_easyrsa_import},
		{"openssl ca directory: import and next CRL", test_openssl_ca_import},
		{"refusals: other CA, wrong key, missing, malformed, not PEM", test_refusals},
		{"a certificate of another CA is listed and skipped", test_foreign_certificate},
		{"a user already in the home is a conflict", test_conflict},
	{"an orphan revocation imported after a publish is pushed", test_orphan_after_publish},
	{"every revoked serial stays in certdesk's CRLs", test_revocations_kept},
		{"a schema 2 database gains the orphan revocations", test_schema_2_migrated},
		{"CA and non-clientAuth certificates are not users", test_not_client_certificates},
		{"fields create would refuse are emptied and recorded", test_fields_validated},
		{"passphrase-protected CA key", test_passphrase},
		CU_TEST_INFO_NULL,
	};
	static const tl_suite suites[] = {{"import", tests}, {NULL, NULL}};

	unsetenv("CERTDESK_PASSPHRASE_FILE");
	return tl_main(suites);
}
