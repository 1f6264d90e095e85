/* test_ca.c: the CA module, judged by the openssl binary. */
#include "ca.h"
#include "testlib.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ---- helpers ---- */

static char *path_in(const char *dir, const char *name)
{
	return cd_asprintf("%s/%s", dir, name);
}

static void put_file(const char *dir, const char *name, const void *data, size_t len)
{
	char *p = path_in(dir, name);
	FILE *f = fopen(p, "wb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
	fclose(f);
	free(p);
}

/* Runs a shell line in dir; returns stdout and stderr together, status in *st. */
static char *sh_in(const char *dir, int *st, const char *cmd)
{
	tl_result r = tl_sh("cd '%s' && %s", dir, cmd);
	char *s = cd_asprintf("%s%s", r.out, r.err);

	if (st)
		*st = r.status;
	tl_free(&r);
	return s;
}

static int sh_ok(const char *dir, const char *cmd, const char *needle)
{
	int st;
	char *s = sh_in(dir, &st, cmd);
	int ok = st == 0 && (!needle || tl_contains(s, needle));

	if (!ok)
		fprintf(stderr, "\n[%s] status %d:\n%s\n", cmd, st, s);
	free(s);
	return ok;
}

/* The command must fail, saying needle (when given). */
static int sh_fails(const char *dir, const char *cmd, const char *needle)
{
	int st;
	char *s = sh_in(dir, &st, cmd);
	int ok = st != 0 && (!needle || tl_contains(s, needle));

	if (!ok)
		fprintf(stderr, "\n[%s] status %d, expected a failure:\n%s\n", cmd, st, s);
	free(s);
	return ok;
}

static const char *new_ca(ca_key_type kt, const char *pass)
{
	const char *dir = tl_tmpdir();
	int rc = ca_init(dir, kt == CA_KEY_EC ? "Test EC CA" : "Test RSA CA", kt, 3650, pass);

	if (rc < 0)
		fprintf(stderr, "ca_init: %s\n", cd_errmsg());
	CU_ASSERT_EQUAL(rc, 0);
	return dir;
}

static const char *ec_dir(void)
{
	static char dir[600];

	if (!dir[0])
		snprintf(dir, sizeof dir, "%s", new_ca(CA_KEY_EC, NULL));
	return dir;
}

static const char *rsa_dir(void)
{
	static char dir[600];

	if (!dir[0])
		snprintf(dir, sizeof dir, "%s", new_ca(CA_KEY_RSA, NULL));
	return dir;
}

static ca *open_ca(const char *dir)
{
	ca *c = NULL;

	if (ca_open(dir, 1, NULL, &c) < 0)
		fprintf(stderr, "ca_open: %s\n", cd_errmsg());
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static ca_request alice(void)
{
	ca_request r = {
		.user = "alice", .full_name = "Alice Example", .email = "alice@example.org",
		.org = "Example Org", .ou = "Fundraising Tech", .location = "San Francisco",
		.country = "US", .days = 365, .key = CA_KEY_EC,
	};
	return r;
}

static int issue(ca *c, const ca_request *r, ca_p12_profile prof, ca_issued *is)
{
	int rc = ca_issue(c, r, prof, is);

	if (rc < 0)
		fprintf(stderr, "ca_issue: %s\n", cd_errmsg());
	CU_ASSERT_EQUAL(rc, 0);
	return rc;
}

/* Writes cert.pem, X.p12 and X.pw for issued into a fresh directory holding ca.crt. */
static const char *bundle_dir(const char *cadir, const ca_issued *is)
{
	const char *dir = tl_tmpdir();
	char *crt = path_in(cadir, "ca.crt"), *pem = tl_read(crt);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pem);
	put_file(dir, "ca.crt", pem, strlen(pem));
	put_file(dir, "cert.pem", is->cert_pem, strlen(is->cert_pem));
	put_file(dir, "X.p12", is->p12, is->p12_len);
	put_file(dir, "X.pw", is->password, strlen(is->password));
	free(pem);
	free(crt);
	return dir;
}

static int serial_ok(const char *s)
{
	/* First byte 01..7F: the first digit 0..7 and not "00". */
	if (strlen(s) != 32 || strspn(s, "0123456789ABCDEF") != 32)
		return 0;
	return s[0] >= '0' && s[0] <= '7' && strncmp(s, "00", 2) != 0;
}

/* ---- passwords and reasons ---- */

static void test_password(void)
{
	const char *alphabet = "346789abcdefghjkmnpqrtwxyACDEFGHJKLMNPQRTUVWXY";
	char pw[32], seen[128] = {0};
	int i, j, distinct = 0;

	for (i = 0; i < 500; i++) {
		CU_ASSERT_EQUAL_FATAL(ca_password(pw, sizeof pw, 20), 0);
		CU_ASSERT_EQUAL(strlen(pw), 20);
		for (j = 0; pw[j]; j++) {
			CU_ASSERT_PTR_NOT_NULL(strchr(alphabet, pw[j]));
			seen[(unsigned char)pw[j] & 127] = 1;
		}
	}
	for (i = 0; i < 128; i++)
		distinct += seen[i];
	CU_ASSERT_EQUAL(distinct, (int)strlen(alphabet)); /* 10,000 draws reach every letter */
	CU_ASSERT_EQUAL(ca_password(pw, 20, 20), -1);
	CU_ASSERT_EQUAL(ca_password(pw, sizeof pw, 0), -1);
}

static void test_reasons(void)
{
	const char *names[] = {"unspecified", "keyCompromise", "affiliationChanged",
			       "superseded", "cessationOfOperation"};
	const int codes[] = {0, 1, 3, 4, 5};
	int i, code;

	for (i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(ca_reason_parse(names[i], &code), 0);
		CU_ASSERT_EQUAL(code, codes[i]);
		CU_ASSERT_STRING_EQUAL(ca_reason_name(codes[i]), names[i]);
	}
	CU_ASSERT_EQUAL(ca_reason_parse("KeyCompromise", &code), -1);
	CU_ASSERT_TRUE(tl_contains(cd_errmsg(), "unknown revocation reason"));
	CU_ASSERT_STRING_EQUAL(ca_reason_name(42), "unknown");
}

/* ---- init and open ---- */

static void check_ca_text(const char *dir, const char *keyline, const char *sigalg)
{
	const char *x = "openssl x509 -in ca.crt -noout -text";

	CU_ASSERT_TRUE(sh_ok(dir, x, "X509v3 Basic Constraints: critical"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "CA:TRUE"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "X509v3 Key Usage: critical"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "Certificate Sign, CRL Sign"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "X509v3 Subject Key Identifier"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "X509v3 Authority Key Identifier"));
	CU_ASSERT_TRUE(sh_ok(dir, x, keyline));
	CU_ASSERT_TRUE(sh_ok(dir, x, sigalg));
	CU_ASSERT_TRUE(sh_ok(dir, "openssl verify -CAfile ca.crt ca.crt", "ca.crt: OK"));
	CU_ASSERT_TRUE(sh_ok(dir, "openssl pkey -in ca.key -noout", NULL));
	CU_ASSERT_TRUE(sh_ok(dir, "head -1 ca.key", "-----BEGIN PRIVATE KEY-----"));
}

static void test_init_ec(void)
{
	const char *dir = ec_dir();
	char *k = path_in(dir, "ca.key"), *c = path_in(dir, "ca.crt");
	ca *ca_ = open_ca(dir);

	CU_ASSERT_EQUAL(tl_mode(k), 0600);
	CU_ASSERT_EQUAL(tl_mode(c), 0644);
	check_ca_text(dir, "ASN1 OID: prime256v1", "ecdsa-with-SHA256");
	CU_ASSERT_TRUE(sh_ok(dir, "openssl x509 -in ca.crt -noout -subject", "CN = Test EC CA"));
	CU_ASSERT_STRING_EQUAL(ca_name(ca_), "Test EC CA");
	CU_ASSERT_TRUE(ca_not_after(ca_) > cd_now() + 3649 * CD_DAY);
	CU_ASSERT_TRUE(ca_not_after(ca_) <= cd_now() + 3650 * CD_DAY);
	CU_ASSERT_EQUAL(ca_key_encrypted(dir), 0);
	ca_close(ca_);
	free(k);
	free(c);
}

static void test_init_rsa(void)
{
	const char *dir = rsa_dir();

	check_ca_text(dir, "Public-Key: (3072 bit)", "sha256WithRSAEncryption");
}

static void test_init_refuses(void)
{
	const char *dir = ec_dir(), *other = tl_tmpdir();
	char *before = path_in(dir, "ca.crt"), *b = tl_read(before), *after;

	CU_ASSERT_EQUAL(ca_init(dir, "Again", CA_KEY_EC, 3650, NULL), -1);
	CU_ASSERT_TRUE(tl_contains(cd_errmsg(), "already exists"));
	after = tl_read(before);
	CU_ASSERT_STRING_EQUAL(b, after); /* untouched */
	/* A certificate alone also blocks: its key may have been moved elsewhere. */
	put_file(other, "ca.crt", b, strlen(b));
	CU_ASSERT_EQUAL(ca_init(other, "Again", CA_KEY_EC, 3650, NULL), -1);
	CU_ASSERT_EQUAL(ca_init(tl_tmpdir(), "", CA_KEY_EC, 3650, NULL), -1);
	CU_ASSERT_EQUAL(ca_init(tl_tmpdir(), "X", CA_KEY_EC, 3650, ""), -1);
	free(before);
	free(b);
	free(after);
}

static void test_encrypted_key(void)
{
	const char *dir = new_ca(CA_KEY_EC, "correct horse");
	ca *c = NULL;
	ca_request r = alice();
	ca_issued is;

	CU_ASSERT_EQUAL(ca_key_encrypted(dir), 1);
	CU_ASSERT_TRUE(sh_ok(dir, "head -1 ca.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
	CU_ASSERT_TRUE(sh_ok(dir, "openssl asn1parse -in ca.key", "aes-256-cbc"));
	/* The passphrase through scrypt, not OpenSSL's default PBKDF2 of 2048 rounds. */
	CU_ASSERT_TRUE(sh_ok(dir, "openssl asn1parse -in ca.key", ":scrypt"));
	CU_ASSERT_EQUAL(ca_open(dir, 1, NULL, &c), -1);
	CU_ASSERT_TRUE(tl_contains(cd_errmsg(), "passphrase-protected"));
	CU_ASSERT_EQUAL(ca_open(dir, 1, "wrong horse", &c), -1);
	CU_ASSERT_TRUE(tl_contains(cd_errmsg(), "wrong CA passphrase for"));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_TRUE(sh_fails(dir, "openssl pkey -in ca.key -passin pass:wrong -noout", NULL));
	CU_ASSERT_TRUE(sh_ok(dir, "openssl pkey -in ca.key -passin 'pass:correct horse' -noout",
			     NULL));
	/* Without the key no passphrase is needed: the read-only view. */
	CU_ASSERT_EQUAL(ca_open(dir, 0, NULL, &c), 0);
	CU_ASSERT_EQUAL(ca_issue(c, &r, CA_P12_MODERN, &is), -1);
	CU_ASSERT_TRUE(tl_contains(cd_errmsg(), "without its key"));
	ca_close(c);
	CU_ASSERT_EQUAL_FATAL(ca_open(dir, 1, "correct horse", &c), 0);
	if (issue(c, &r, CA_P12_MODERN, &is) == 0) {
		CU_ASSERT_EQUAL(ca_cert_signed_by(c, is.cert_pem, strlen(is.cert_pem)), 1);
		ca_issued_free(&is);
	}
	ca_close(c);
}

/* Start-up reads the CA certificate's name, key id and dates from the DER alone; what
 * that walk cannot judge goes to OpenSSL's full parse, and a certificate OpenSSL does
 * not accept as a CA opens (to be listed) but signs and checks nothing. */
static void test_open_lazy(void)
{
	char *dir = cd_asprintf("%s/lazy", tl_tmpdir()), *out, *pem;
	ca *c;

	/* No subjectKeyIdentifier: the key id comes from the full parse (SHA-1 of the key). */
	out = tl_sh_out("mkdir -p %s && openssl req -x509 -newkey ec -pkeyopt "
			"ec_paramgen_curve:P-256 -nodes -keyout %s/ca.key -subj '/CN=No SKI CA' "
			"-addext basicConstraints=critical,CA:TRUE -addext subjectKeyIdentifier=none "
			"-days 30 -out %s/ca.crt 2>&1 && openssl x509 -in %s/ca.crt -noout -pubkey | "
			"openssl pkey -pubin -outform der | tail -c 65 | openssl sha1 -r | cut -c1-40 | "
			"tr a-f A-F", dir, dir, dir, dir);
	CU_ASSERT_EQUAL_FATAL(ca_open(dir, 0, NULL, &c), 0);
	CU_ASSERT_STRING_EQUAL(ca_name(c), "No SKI CA");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, ca_kid(c)));
	ca_close(c);
	free(out);

	/* Two authorityKeyIdentifier extensions: the walk calls it a CA, OpenSSL does not. */
	out = tl_sh_out("{ echo '-----BEGIN CERTIFICATE-----' && base64 "
			"tests/fuzz/crashes/ca_peek/repeated-aki && echo '-----END CERTIFICATE-----'; } "
			"> %s/ca.crt && echo ok", dir);
	CU_ASSERT_STRING_EQUAL(out, "ok\n");
	CU_ASSERT_EQUAL_FATAL(ca_open(dir, 0, NULL, &c), 0);
	pem = ca_cert_pem(c);
	CU_ASSERT_PTR_NULL(pem);
	CU_ASSERT_PTR_NOT_NULL(strstr(cd_errmsg(), "does not read it as a CA certificate"));
	CU_ASSERT_EQUAL(ca_cert_signed_by(c, "x", 1), -1);
	free(pem);
	ca_close(c);
	free(out);
	free(dir);
}

static void test_key_mismatch(void)
{
	const char *a = ec_dir(), *b = rsa_dir(), *mix = tl_tmpdir();
	char *ka = path_in(a, "ca.key"), *cb = path_in(b, "ca.crt");
	char *key = tl_read(ka), *crt = tl_read(cb);
	ca *c = NULL;

	put_file(mix, "ca.key", key, strlen(key));
	put_file(mix, "ca.crt", crt, strlen(crt));
	{
		char *km = path_in(mix, "ca.key");
		CU_ASSERT_EQUAL(chmod(km, 0600), 0); /* else refused for its mode, not checked */
		free(km);
	}
	CU_ASSERT_EQUAL(ca_open(mix, 1, NULL, &c), -1);
	CU_ASSERT_TRUE(tl_contains(cd_errmsg(), "does not match"));
	CU_ASSERT_EQUAL(ca_open(tl_tmpdir(), 0, NULL, &c), -1); /* nothing there */
	CU_ASSERT_PTR_NULL(c);
	free(ka);
	free(cb);
	free(key);
	free(crt);
}

/* ---- issuing ---- */

static void check_cert_text(const char *dir)
{
	const char *x = "openssl x509 -in cert.pem -noout -text";

	CU_ASSERT_TRUE(sh_ok(dir, "openssl verify -CAfile ca.crt cert.pem", "cert.pem: OK"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "TLS Web Client Authentication"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "CA:FALSE"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "X509v3 Basic Constraints: critical"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "X509v3 Key Usage: critical"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "Digital Signature"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "email:alice@example.org"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "X509v3 Subject Key Identifier"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "X509v3 Authority Key Identifier"));
	CU_ASSERT_TRUE(sh_ok(dir, x, "Version: 3 (0x2)"));
	CU_ASSERT_TRUE(sh_ok(dir, "openssl x509 -in cert.pem -noout -subject -nameopt RFC2253",
			     "subject=CN=alice,L=San Francisco,OU=Fundraising Tech,"
			     "O=Example Org,C=US"));
	/* The certificate's AKI is the CA's SKI. */
	CU_ASSERT_TRUE(sh_ok(dir, "openssl x509 -in ca.crt -noout -ext subjectKeyIdentifier "
			     "| tail -1 | tr -d ' ' > ski && openssl x509 -in cert.pem -noout -ext "
			     "authorityKeyIdentifier | tail -1 | tr -d ' ' > aki && "
			     "grep -q '^[0-9A-F:]\\{59\\}$' ski && cmp ski aki", NULL));
}

static void check_p12(const char *dir)
{
	/* The key inside the bundle is the certificate's key, and the CA comes along. */
	CU_ASSERT_TRUE(sh_ok(dir, "openssl pkcs12 -in X.p12 -passin file:X.pw -nokeys", "Test"));
	CU_ASSERT_TRUE(sh_ok(dir, "openssl pkcs12 -in X.p12 -passin file:X.pw -nocerts -noenc "
			     "-out key.pem && openssl pkey -in key.pem -pubout > k.pub && "
			     "openssl x509 -in cert.pem -noout -pubkey > c.pub && cmp k.pub c.pub",
			     NULL));
	CU_ASSERT_TRUE(sh_ok(dir, "openssl pkcs12 -in X.p12 -passin file:X.pw -nokeys "
			     "-cacerts", "subject=CN = Test"));
	CU_ASSERT_TRUE(sh_ok(dir, "openssl pkcs12 -in X.p12 -passin file:X.pw -nokeys "
			     "-clcerts", "friendlyName: alice"));
	CU_ASSERT_TRUE(sh_fails(dir, "openssl pkcs12 -in X.p12 -passin pass:nope -nokeys",
				"Mac verify error"));
}

static void check_parse(const ca *c, const ca_issued *is, const char *dir, int days)
{
	ca_cert_info ci;
	char *want = cd_asprintf("serial=%s", is->serial);

	CU_ASSERT_TRUE(serial_ok(is->serial));
	CU_ASSERT_TRUE(sh_ok(dir, "openssl x509 -in cert.pem -noout -serial", want));
	CU_ASSERT_EQUAL(strlen(is->password), 20);
	CU_ASSERT_EQUAL(is->not_after - is->not_before, (int64_t)days * CD_DAY);
	CU_ASSERT_TRUE(is->not_before <= cd_now() && is->not_before > cd_now() - 60);
	CU_ASSERT_STRING_EQUAL(is->subject,
			       "CN=alice,L=San Francisco,OU=Fundraising Tech,O=Example Org,C=US");
	CU_ASSERT_EQUAL_FATAL(ca_cert_parse(is->cert_pem, strlen(is->cert_pem), &ci), 0);
	CU_ASSERT_STRING_EQUAL(ci.serial, is->serial);
	CU_ASSERT_STRING_EQUAL(ci.cn, "alice");
	CU_ASSERT_STRING_EQUAL(ci.email, "alice@example.org");
	CU_ASSERT_STRING_EQUAL(ci.org, "Example Org");
	CU_ASSERT_STRING_EQUAL(ci.ou, "Fundraising Tech");
	CU_ASSERT_STRING_EQUAL(ci.location, "San Francisco");
	CU_ASSERT_STRING_EQUAL(ci.country, "US");
	CU_ASSERT_STRING_EQUAL(ci.subject, is->subject);
	CU_ASSERT_EQUAL(ci.not_before, is->not_before);
	CU_ASSERT_EQUAL(ci.not_after, is->not_after);
	CU_ASSERT_EQUAL(ca_cert_signed_by(c, is->cert_pem, strlen(is->cert_pem)), 1);
	ca_cert_info_free(&ci);
	free(want);
}

static void test_issue_compat(void)
{
	ca *c = open_ca(ec_dir());
	ca_request r = alice();
	ca_issued is;
	const char *dir;
	const char *info = "openssl pkcs12 -in X.p12 -passin file:X.pw -info -nokeys -nocerts";
	const char *keyinfo = "openssl pkcs12 -in X.p12 -passin file:X.pw -info -nocerts -noenc";

	if (issue(c, &r, CA_P12_COMPAT, &is) == 0) {
		dir = bundle_dir(ec_dir(), &is);
		check_cert_text(dir);
		check_p12(dir);
		check_parse(c, &is, dir, 365);
		CU_ASSERT_TRUE(sh_ok(dir, info, "MAC: sha1, Iteration 2048"));
		CU_ASSERT_TRUE(sh_ok(dir, info, "PKCS7 Encrypted data: "
				     "pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"));
		CU_ASSERT_TRUE(sh_ok(dir, keyinfo, "Shrouded Keybag: "
				     "pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"));
		ca_issued_free(&is);
	}
	ca_close(c);
}

static void test_issue_modern(void)
{
	ca *c = open_ca(ec_dir());
	ca_request r = alice();
	ca_issued is;
	const char *dir;
	const char *info = "openssl pkcs12 -in X.p12 -passin file:X.pw -info -nokeys -nocerts";
	const char *keyinfo = "openssl pkcs12 -in X.p12 -passin file:X.pw -info -nocerts -noenc";

	r.days = 400;
	if (issue(c, &r, CA_P12_MODERN, &is) == 0) {
		dir = bundle_dir(ec_dir(), &is);
		check_cert_text(dir);
		check_p12(dir);
		check_parse(c, &is, dir, 400);
		CU_ASSERT_TRUE(sh_ok(dir, info, "MAC: sha256, Iteration 2048"));
		CU_ASSERT_TRUE(sh_ok(dir, info, "PBES2, PBKDF2, AES-256-CBC, Iteration 2048"));
		CU_ASSERT_TRUE(sh_ok(dir, keyinfo, "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, "
				     "Iteration 2048, PRF hmacWithSHA256"));
		CU_ASSERT_TRUE(sh_ok(dir, "openssl x509 -in cert.pem -noout -text",
				     "ASN1 OID: prime256v1"));
		ca_issued_free(&is);
	}
	ca_close(c);
}

/* RSA CA issuing an RSA client key, in both profiles. */
static void test_issue_rsa(void)
{
	ca *c = open_ca(rsa_dir());
	ca_request r = alice();
	ca_issued is;
	const char *dir;
	int prof;

	r.key = CA_KEY_RSA;
	for (prof = CA_P12_COMPAT; prof <= CA_P12_MODERN; prof++) {
		if (issue(c, &r, (ca_p12_profile)prof, &is) < 0)
			continue;
		dir = bundle_dir(rsa_dir(), &is);
		check_cert_text(dir);
		check_p12(dir);
		CU_ASSERT_TRUE(sh_ok(dir, "openssl x509 -in cert.pem -noout -text",
				     "Public-Key: (3072 bit)"));
		CU_ASSERT_TRUE(sh_ok(dir, "openssl x509 -in cert.pem -noout -text",
				     "sha256WithRSAEncryption"));
		ca_issued_free(&is);
	}
	ca_close(c);
}

/* Minimal subject: only CN; and foreign CA says no. */
static void test_issue_minimal(void)
{
	ca *c = open_ca(ec_dir()), *other = open_ca(rsa_dir());
	ca_request r = {.user = "bob", .email = "bob@example.org", .days = 30};
	ca_issued is;
	ca_cert_info ci;

	if (issue(c, &r, CA_P12_MODERN, &is) < 0)
		goto out;
	CU_ASSERT_STRING_EQUAL(is.subject, "CN=bob");
	CU_ASSERT_EQUAL(ca_cert_signed_by(other, is.cert_pem, strlen(is.cert_pem)), 0);
	CU_ASSERT_EQUAL(ca_cert_signed_by(other, "junk", 4), -1);
	if (ca_cert_parse(is.cert_pem, strlen(is.cert_pem), &ci) == 0) {
		CU_ASSERT_STRING_EQUAL(ci.org, "");
		CU_ASSERT_STRING_EQUAL(ci.country, "");
		ca_cert_info_free(&ci);
	}
	ca_issued_free(&is);
out:
	ca_close(c);
	ca_close(other);
}

static void test_issue_rejects(void)
{
	ca *c = open_ca(ec_dir());
	ca_request r = alice();
	ca_issued is;

	r.country = "USA";
	CU_ASSERT_EQUAL(ca_issue(c, &r, CA_P12_MODERN, &is), -1);
	CU_ASSERT_TRUE(tl_contains(cd_errmsg(), "country"));
	r = alice();
	r.email = "alice.example.org";
	CU_ASSERT_EQUAL(ca_issue(c, &r, CA_P12_MODERN, &is), -1);
	r = alice();
	r.email = "j\xc3\xb6rg@example.org";
	CU_ASSERT_EQUAL(ca_issue(c, &r, CA_P12_MODERN, &is), -1);
	r = alice();
	r.org = "Evil\x1b[2J";
	CU_ASSERT_EQUAL(ca_issue(c, &r, CA_P12_MODERN, &is), -1);
	r = alice();
	r.days = 0;
	CU_ASSERT_EQUAL(ca_issue(c, &r, CA_P12_MODERN, &is), -1);
	r = alice();
	r.user = "";
	CU_ASSERT_EQUAL(ca_issue(c, &r, CA_P12_MODERN, &is), -1);
	ca_close(c);
}

/* UTF-8 in the subject survives, readable, in both our parse and openssl's. */
static void test_issue_utf8(void)
{
	ca *c = open_ca(ec_dir());
	ca_request r = alice();
	ca_issued is;
	ca_cert_info ci;
	const char *dir;

	r.location = "Z\xc3\xbcrich";
	if (issue(c, &r, CA_P12_COMPAT, &is) < 0)
		goto out;
	dir = bundle_dir(ec_dir(), &is);
	CU_ASSERT_TRUE(tl_contains(is.subject, "L=Z\xc3\xbcrich"));
	CU_ASSERT_TRUE(sh_ok(dir, "openssl x509 -in cert.pem -noout -subject -nameopt utf8",
			     "L=Z\xc3\xbcrich"));
	if (ca_cert_parse(is.cert_pem, strlen(is.cert_pem), &ci) == 0) {
		CU_ASSERT_STRING_EQUAL(ci.location, "Z\xc3\xbcrich");
		ca_cert_info_free(&ci);
	}
	ca_issued_free(&is);
out:
	ca_close(c);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_serials(void)
{
	enum { N = 60 };
	ca *c = open_ca(ec_dir());
	ca_request r = alice();
	char *serials[N];
	ca_issued is;
	int i, n = 0;

	for (i = 0; i < N; i++) {
		if (issue(c, &r, i % 2 ? CA_P12_COMPAT : CA_P12_MODERN, &is) < 0)
			break;
		CU_ASSERT_TRUE(serial_ok(is.serial));
		serials[n++] = cd_strdup(is.serial);
		ca_issued_free(&is);
	}
	qsort(serials, (size_t)n, sizeof serials[0], cmp_str);
	for (i = 1; i < n; i++)
		CU_ASSERT_STRING_NOT_EQUAL(serials[i - 1], serials[i]);
	for (i = 0; i < n; i++)
		free(serials[i]);
	ca_close(c);
}

/* A certificate made by openssl itself: foreign serial forms and email in the subject. */
static void test_parse_foreign(void)
{
	const char *dir = tl_tmpdir();
	const char *serials[][2] = {{"255", "FF"}, {"0", "0"}, {"0x0102", "0102"}};
	char *pem, *p;
	ca_cert_info ci;
	size_t i;

	for (i = 0; i < 3; i++) {
		char *cmd = cd_asprintf("openssl req -x509 -newkey ec -pkeyopt "
					"ec_paramgen_curve:P-256 -noenc -keyout k%zu.pem "
					"-out c%zu.pem -days 3 -set_serial %s -subj "
					"'/C=DE/O=Org/CN=carol/emailAddress=carol@example.net'",
					i, i, serials[i][0]);
		CU_ASSERT_TRUE(sh_ok(dir, cmd, NULL));
		free(cmd);
		p = cd_asprintf("%s/c%zu.pem", dir, i);
		pem = tl_read(p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pem);
		CU_ASSERT_EQUAL_FATAL(ca_cert_parse(pem, strlen(pem), &ci), 0);
		CU_ASSERT_STRING_EQUAL(ci.serial, serials[i][1]);
		CU_ASSERT_STRING_EQUAL(ci.email, "carol@example.net");
		CU_ASSERT_STRING_EQUAL(ci.cn, "carol");
		CU_ASSERT_STRING_EQUAL(ci.country, "DE");
		CU_ASSERT_EQUAL(ci.not_after - ci.not_before, 3 * CD_DAY);
		ca_cert_info_free(&ci);
		free(pem);
		free(p);
	}
	CU_ASSERT_EQUAL(ca_cert_parse("not a cert", 10, &ci), -1);
}

/* ---- CRLs ---- */

static char *sign_crl(ca *c, const ca_revoked *list, size_t n, int64_t number)
{
	char *pem = NULL;

	if (ca_sign_crl(c, list, n, number, 30, &pem) < 0)
		fprintf(stderr, "ca_sign_crl: %s\n", cd_errmsg());
	CU_ASSERT_PTR_NOT_NULL(pem);
	return pem;
}

/* What openssl reads in the CRL signed by check_crl below. */
static void check_crl_text(const char *dir, const char *revoked_serial)
{
	char *txt;

	CU_ASSERT_TRUE(sh_ok(dir, "openssl crl -in crl.pem -CAfile ca.crt -noout -verify",
			     "verify OK"));
	CU_ASSERT_TRUE_FATAL(sh_ok(dir, "openssl crl -in crl.pem -noout -text > crl.txt", NULL));
	CU_ASSERT_TRUE(sh_ok(dir, "grep -A1 'X509v3 CRL Number' crl.txt", " 7\n"));
	CU_ASSERT_TRUE(sh_ok(dir, "grep -c 'Serial Number' crl.txt", "4\n"));
	CU_ASSERT_TRUE(sh_ok(dir, "grep -c 'X509v3 CRL Reason Code' crl.txt", "3\n"));
	txt = cd_asprintf("%s/crl.txt", dir);
	{
		char *t = tl_read(txt);
		CU_ASSERT_TRUE(tl_contains(t, "Version 2 (0x1)"));
		CU_ASSERT_TRUE(tl_contains(t, "Key Compromise"));
		CU_ASSERT_TRUE(tl_contains(t, "Superseded"));
		CU_ASSERT_TRUE(tl_contains(t, "Cessation Of Operation"));
		CU_ASSERT_TRUE(tl_contains(t, "X509v3 Authority Key Identifier"));
		CU_ASSERT_TRUE(tl_contains(t, "Signature Algorithm: "));
		CU_ASSERT_TRUE(tl_contains(t, revoked_serial));
		free(t);
	}
	free(txt);
}

static void check_crl(const char *cadir)
{
	ca *c = open_ca(cadir);
	ca_request r = alice();
	ca_issued bad = {0}, good = {0};
	ca_crl_info ci;
	char *pem = NULL;
	const char *dir;
	int64_t now = cd_now();

	if (issue(c, &r, CA_P12_MODERN, &bad) < 0 || issue(c, &r, CA_P12_MODERN, &good) < 0)
		goto out;
	{
		ca_revoked list[] = {
			{"7F000000000000000000000000000001", now - CD_DAY, CA_REASON_SUPERSEDED},
			{bad.serial, now - 3600, CA_REASON_KEY_COMPROMISE},
			{"01", now, CA_REASON_UNSPECIFIED},
			{"1234ABCD", now - 7 * CD_DAY, CA_REASON_CESSATION},
		};
		pem = sign_crl(c, list, 4, 7);
	}
	if (!pem)
		goto out;
	dir = bundle_dir(cadir, &good);
	put_file(dir, "revoked.pem", bad.cert_pem, strlen(bad.cert_pem));
	put_file(dir, "crl.pem", pem, strlen(pem));
	check_crl_text(dir, bad.serial);
	CU_ASSERT_TRUE(sh_ok(dir, "openssl verify -crl_check -CRLfile crl.pem -CAfile ca.crt "
			     "cert.pem", "cert.pem: OK"));
	CU_ASSERT_TRUE(sh_fails(dir, "openssl verify -crl_check -CRLfile crl.pem -CAfile ca.crt "
				"revoked.pem", "certificate revoked"));
	CU_ASSERT_EQUAL(ca_crl_parse(pem, strlen(pem), &ci), 0);
	CU_ASSERT_EQUAL(ci.number, 7);
	CU_ASSERT_EQUAL(ci.entries, 4);
	CU_ASSERT_EQUAL(ci.next_update - ci.this_update, 30 * CD_DAY);
	CU_ASSERT_TRUE(ci.this_update >= now - 5 && ci.this_update <= cd_now());
out:
	free(pem);
	ca_issued_free(&bad);
	ca_issued_free(&good);
	ca_close(c);
}

static void test_crl_ec(void)
{
	check_crl(ec_dir());
}

static void test_crl_rsa(void)
{
	check_crl(rsa_dir());
}

static void test_crl_empty_and_errors(void)
{
	ca *c = open_ca(ec_dir()), *ro = NULL;
	ca_revoked dup[] = {{"0A", 0, 0}, {"0a", 0, 1}};
	ca_revoked bad[] = {{"XYZ", 0, 0}};
	ca_revoked why[] = {{"0A", 0, 2}};
	ca_crl_info ci;
	char *pem = sign_crl(c, NULL, 0, 0);
	const char *dir = tl_tmpdir();

	if (pem) {
		put_file(dir, "crl.pem", pem, strlen(pem));
		CU_ASSERT_TRUE(sh_ok(dir, "openssl crl -in crl.pem -noout -text",
				     "No Revoked Certificates"));
		CU_ASSERT_EQUAL(ca_crl_parse(pem, strlen(pem), &ci), 0);
		CU_ASSERT_EQUAL(ci.entries, 0);
		CU_ASSERT_EQUAL(ci.number, 0);
		/* A length past int is refused before anything is read, never taken modulo
		 * 2^32 (which here would be the CRL's own length, and parse). */
		CU_ASSERT_EQUAL(ca_crl_parse(pem, ((size_t)1 << 32) + strlen(pem), &ci), -1);
		CU_ASSERT_EQUAL(ca_crl_signed_by(c, pem, ((size_t)1 << 32) + strlen(pem)), -1);
		free(pem);
	}
	CU_ASSERT_EQUAL(ca_sign_crl(c, dup, 2, 1, 30, &pem), -1);
	CU_ASSERT_TRUE(tl_contains(cd_errmsg(), "listed twice"));
	CU_ASSERT_EQUAL(ca_sign_crl(c, bad, 1, 1, 30, &pem), -1);
	CU_ASSERT_TRUE(tl_contains(cd_errmsg(), "invalid serial"));
	CU_ASSERT_EQUAL(ca_sign_crl(c, why, 1, 1, 30, &pem), -1);
	CU_ASSERT_EQUAL(ca_sign_crl(c, NULL, 0, 1, 0, &pem), -1);
	CU_ASSERT_PTR_NULL(pem);
	CU_ASSERT_EQUAL(ca_crl_parse("junk", 4, &ci), -1);
	CU_ASSERT_EQUAL_FATAL(ca_open(ec_dir(), 0, NULL, &ro), 0);
	CU_ASSERT_EQUAL(ca_sign_crl(ro, NULL, 0, 1, 30, &pem), -1);
	ca_close(ro);
	ca_close(c);
}

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_crl_big(void)
{
	enum { N = 100000 };
	ca *c = open_ca(ec_dir());
	ca_revoked *list = cd_malloc(N * sizeof *list);
	char (*hex)[40] = cd_malloc(N * sizeof *hex);
	ca_crl_info ci;
	char *pem;
	double t0;
	size_t i;
	const char *dir = tl_tmpdir();

	/* Descending order, so the sort has real work to do. */
	for (i = 0; i < N; i++) {
		snprintf(hex[i], sizeof hex[i], "%02X%030zX", 0x40 + (unsigned)(i % 63), N - i);
		list[i] = (ca_revoked){hex[i], cd_now() - (int64_t)i, (int)(i % 2) * 4};
	}
	t0 = secs();
	pem = sign_crl(c, list, N, 99);
	printf("\n    100,000-entry CRL signed in %.3f s (%zu bytes PEM) ", secs() - t0,
	       pem ? strlen(pem) : 0);
	if (pem) {
		CU_ASSERT_EQUAL(ca_crl_parse(pem, strlen(pem), &ci), 0);
		CU_ASSERT_EQUAL(ci.entries, N);
		CU_ASSERT_EQUAL(ci.number, 99);
		put_file(dir, "crl.pem", pem, strlen(pem));
		CU_ASSERT_TRUE(sh_ok(dir, "openssl crl -in crl.pem -noout -text | "
				     "grep -c 'Serial Number'", "100000"));
	}
	free(pem);
	free(list);
	free(hex);
	ca_close(c);
}

int main(void)
{
	static CU_TestInfo basics[] = {
		{"password alphabet, length, spread", test_password},
		{"reason names", test_reasons},
		CU_TEST_INFO_NULL,
	};
	static CU_TestInfo init[] = {
		{"EC CA", test_init_ec},
		{"RSA CA", test_init_rsa},
		{"re-init refuses", test_init_refuses},
		{"passphrase-protected key", test_encrypted_key},
		{"key that does not match", test_key_mismatch},
		{"lazy parse of the certificate", test_open_lazy},
		CU_TEST_INFO_NULL,
	};
	static CU_TestInfo issuing[] = {
		{"compat PKCS#12", test_issue_compat},
		{"modern PKCS#12", test_issue_modern},
		{"RSA keys", test_issue_rsa},
		{"CN only; other CA", test_issue_minimal},
		{"bad requests", test_issue_rejects},
		{"UTF-8 subject", test_issue_utf8},
		{"serial format and uniqueness", test_serials},
		{"parse openssl-made certificates", test_parse_foreign},
		CU_TEST_INFO_NULL,
	};
	static CU_TestInfo crls[] = {
		{"EC CA CRL", test_crl_ec},
		{"RSA CA CRL", test_crl_rsa},
		{"empty CRL and errors", test_crl_empty_and_errors},
		{"100,000 entries", test_crl_big},
		CU_TEST_INFO_NULL,
	};
	static const tl_suite suites[] = {
		{"ca basics", basics},
		{"ca init/open", init},
		{"ca issue", issuing},
		{"ca crl", crls},
		{NULL, NULL},
	};

	return tl_main(suites);
}
