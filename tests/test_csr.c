/* test_csr.c: create and renew --csr: requests made by openssl req (EC and RSA) signed by
 * certdesk and judged by openssl (verify, the public key, the subject), the files written,
 * the renewal's held revocation, and every bad request refused with nothing changed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "util.h"

#define ARGS TL_ARGS
#define cdv tl_cdv
#define refused tl_refused

/* Runs a shell line that must succeed (the openssl side of a check); returns stdout. */
static char *sh_ok(const char *what, const char *cmd)
{
	tl_result r = tl_sh("%s", cmd);
	char *out = r.out;

	CU_ASSERT(tl_ok_or_report(&r, what));
	r.out = NULL;
	tl_free(&r);
	return out;
}

/* dir/name.csr from openssl req, with a fresh key dir/name.key made by newkey. */
static char *make_csr(const char *dir, const char *name, const char *newkey, const char *subj,
		      const char *extra)
{
	char *path = cd_asprintf("%s/%s.csr", dir, name);
	char *cmd = cd_asprintf("openssl req -new -newkey %s -nodes -keyout '%s/%s.key' "
				"-subj '%s' %s -out '%s' 2>&1", newkey, dir, name, subj, extra,
				path);

	free(sh_ok(name, cmd));
	free(cmd);
	return path;
}

/* Standard output of a shell line made from fmt, which must succeed. */
static char *sh_outf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_outf(const char *fmt, ...)
{
	va_list ap;
	cd_buf b = {0};
	char *out;

	va_start(ap, fmt);
	cd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	out = sh_ok(b.s, b.s);
	cd_buf_free(&b);
	return out;
}

/* openssl's own judgement of a certificate certdesk wrote from a request. */
static void judge_cert(const char *home, const char *crt, const char *csr)
{
	char *out = sh_outf("openssl verify -CAfile '%s/ca/ca.crt' '%s'", home, crt);
	char *k1 = sh_outf("openssl x509 -in '%s' -noout -pubkey", crt);
	char *k2 = sh_outf("openssl req -in '%s' -noout -pubkey", csr);

	CU_ASSERT(tl_contains(out, ": OK"));
	CU_ASSERT_STRING_EQUAL(k1, k2);
	CU_ASSERT(tl_mode(crt) == 0644);
	free(out);
	free(k1);
	free(k2);
}

/* The chain is the certificate, then the CA certificate, byte for byte. */
static void judge_chain(const char *home, const char *crt, const char *chain)
{
	char *c = tl_read(crt), *ca = cd_asprintf("%s/ca/ca.crt", home), *cap = tl_read(ca);
	char *both = cd_asprintf("%s%s", c ? c : "", cap ? cap : ""), *got = tl_read(chain);

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, both);
	CU_ASSERT(tl_mode(chain) == 0644);
	free(c);
	free(ca);
	free(cap);
	free(both);
	free(got);
}

static void test_ec_request(void)
{
	char *home = cd_strdup(tl_home());
	char *out = cd_strdup(tl_tmpdir()), *req = cd_strdup(tl_tmpdir());
	char *csr = make_csr(req, "alice", "ec -pkeyopt ec_paramgen_curve:P-256",
			     "/CN=mallory/O=Evil Corp", "-addext 'keyUsage=keyCertSign'");
	char *crt = cd_asprintf("%s/alice.crt", out), *chain = cd_asprintf("%s/alice-chain.pem", out);
	char *p12 = cd_asprintf("%s/alice.p12", out), *subj, *ext;
	tl_result r = cdv(home, ARGS("create", "alice", "--name", "Alice Liddell", "--email",
				     "alice@example.org", "--org", "Wonder Org", "--country", "GB",
				     "--out", out, "--csr", csr));

	CU_ASSERT(tl_ok_or_report(&r, "create --csr"));
	CU_ASSERT(tl_contains(r.out, crt) && tl_contains(r.out, chain));
	/* The request's subject and extension are reported, in one line, and not used. */
	CU_ASSERT(tl_count_lines(r.err) == 1);
	CU_ASSERT(tl_contains(r.err, "O=Evil Corp,CN=mallory") && tl_contains(r.err, "not used"));
	tl_free(&r);
	judge_cert(home, crt, csr);
	judge_chain(home, crt, chain);
	CU_ASSERT(tl_mode(p12) == -1);
	subj = sh_outf("openssl x509 -in '%s' -noout -subject -nameopt RFC2253", crt);
	CU_ASSERT(tl_contains(subj, "CN=alice,O=Wonder Org,C=GB"));
	CU_ASSERT(!tl_contains(subj, "mallory"));
	ext = sh_outf("openssl x509 -in '%s' -noout -ext keyUsage,extendedKeyUsage,"
		      "basicConstraints,subjectAltName", crt);
	CU_ASSERT(tl_contains(ext, "Digital Signature") && !tl_contains(ext, "Certificate Sign"));
	CU_ASSERT(tl_contains(ext, "TLS Web Client Authentication"));
	CU_ASSERT(tl_contains(ext, "CA:FALSE") && tl_contains(ext, "email:alice@example.org"));
	/* The record says the user holds the key, and there is no password to show. */
	r = cdv(home, ARGS("show", "alice"));
	CU_ASSERT(tl_contains(r.out, "user-ec"));
	tl_free(&r);
	refused(home, out, "password", ARGS("password", "alice"));
	/* The certificate is 0644 and no secret: verify does not take it for one. */
	CU_ASSERT(tl_mode(crt) == 0644);
	r = cdv(home, ARGS("verify"));
	CU_ASSERT(r.status == 0);
	CU_ASSERT(!tl_contains(r.out, "alice.crt") && !tl_contains(r.out, "secret"));
	tl_free(&r);
	free(subj);
	free(ext);
	free(crt);
	free(chain);
	free(p12);
	free(csr);
	free(req);
	free(out);
	free(home);
}

/* A request that asks for certdesk's own subject and nothing else: nothing to report. */
static void test_p384_quiet(void)
{
	char *home = cd_strdup(tl_home());
	char *out = cd_strdup(tl_tmpdir()), *req = cd_strdup(tl_tmpdir());
	char *csr = make_csr(req, "carol", "ec -pkeyopt ec_paramgen_curve:P-384", "/CN=carol", "");
	char *crt = cd_asprintf("%s/carol.crt", out);
	tl_result r = cdv(home, ARGS("create", "carol", "--name", "Carol", "--email",
				     "carol@example.org", "--out", out, "--csr", csr));

	CU_ASSERT(tl_ok_or_report(&r, "create --csr P-384"));
	CU_ASSERT_STRING_EQUAL(r.err, "");
	tl_free(&r);
	judge_cert(home, crt, csr);
	free(crt);
	free(csr);
	free(req);
	free(out);
	free(home);
}

static void test_rsa_renewal(void)
{
	char *home = cd_strdup(tl_home());
	char *out = cd_strdup(tl_tmpdir()), *req = cd_strdup(tl_tmpdir());
	char *csr = make_csr(req, "bob", "rsa:2048", "/CN=bob", "");
	char *crt = cd_asprintf("%s/bob.crt", out), *dated, *chain, *subj, today[16];
	tl_result r = cdv(home, ARGS("create", "bob", "--name", "Bob", "--email", "bob@example.org",
				     "--ou", "Ops", "--out", out));

	CU_ASSERT(tl_ok_or_report(&r, "create"));
	tl_free(&r);
	/* A bundle's user gets the usual mail: the password by SMS, no request asked for. */
	r = cdv(home, ARGS("show", "bob"));
	CU_ASSERT(tl_contains(r.out, "SMS") && !tl_contains(r.out, "openssl%20req"));
	tl_free(&r);
	r = cdv(home, ARGS("renew", "bob", "--out", out, "--csr", csr));
	CU_ASSERT(tl_ok_or_report(&r, "renew --csr"));
	tl_free(&r);
	judge_cert(home, crt, csr);
	subj = sh_outf("openssl x509 -in '%s' -noout -subject -nameopt RFC2253", crt);
	CU_ASSERT(tl_contains(subj, "CN=bob,OU=Ops"));
	/* The old certificate's revocation waits for the user, as for any renewal. */
	r = cdv(home, ARGS("show", "bob"));
	CU_ASSERT(tl_contains(r.out, "; held: waiting for bob to apply the certificate"));
	CU_ASSERT(tl_contains(r.out, "user-rsa"));
	tl_free(&r);
	r = cdv(home, ARGS("--format", "tsv", "publish", "--dry-run"));
	CU_ASSERT(tl_contains(r.out, "held\tbob\t"));
	tl_free(&r);
	/* Renewed again into the same directory: the dated names, nothing overwritten. */
	r = cdv(home, ARGS("renew", "bob", "--out", out, "--csr", csr));
	CU_ASSERT(tl_ok_or_report(&r, "renew --csr again"));
	tl_free(&r);
	cd_format_date(cd_now(), today);
	dated = cd_asprintf("%s/bob-%s.crt", out, today);
	chain = cd_asprintf("%s/bob-%s-chain.pem", out, today);
	judge_cert(home, dated, csr);
	judge_chain(home, dated, chain);
	free(dated);
	free(chain);
	free(subj);
	free(crt);
	free(csr);
	free(req);
	free(out);
	free(home);
}

/* The mail asks a user who keeps their key for a request; the one openssl command in it,
 * run as it is (a shell's quoting included), makes a request of exactly the record's
 * subject, which renew signs without a word. */
static void test_mail_command(void)
{
	char *home = cd_strdup(tl_home());
	char *out = cd_strdup(tl_tmpdir()), *out2 = cd_strdup(tl_tmpdir());
	char *req = cd_strdup(tl_tmpdir());
	char *first = make_csr(req, "first", "rsa:2048", "/CN=dave", ""), *cmd, *crt;
	tl_result r = cdv(home, ARGS("create", "dave", "--name", "Dave", "--email", "d@example.org",
				     "--org", "O'Brien / Sons+Co", "--ou", "Ops", "--country", "IE",
				     "--out", out, "--csr", first));

	CU_ASSERT(tl_ok_or_report(&r, "create --csr"));
	tl_free(&r);
	cmd = sh_outf("'%s' --home '%s' show dave | sed -n 's/^  mail: //p' | python3 -c "
		      "'import sys,urllib.parse; print(urllib.parse.unquote(sys.stdin.read()))' | "
		      "grep '^openssl req '", tl_bin(), home);
	CU_ASSERT(tl_contains(cmd, "-subj '/C=IE/O=O'\\''Brien \\/ Sons\\+Co/OU=Ops/CN=dave'"));
	CU_ASSERT(!tl_contains(cmd, "{"));
	/* mailto line breaks are CRLF. */
	cmd[strcspn(cmd, "\r\n")] = '\0';
	free(sh_outf("cd '%s' && %s -passout pass:secret 2>&1", req, cmd));
	free(cmd);
	cmd = cd_asprintf("%s/dave.csr", req);
	r = cdv(home, ARGS("renew", "dave", "--out", out2, "--csr", cmd));
	CU_ASSERT(tl_ok_or_report(&r, "renew --csr from the mail's command"));
	CU_ASSERT_STRING_EQUAL(r.err, "");
	tl_free(&r);
	crt = cd_asprintf("%s/dave.crt", out2);
	judge_cert(home, crt, cmd);
	free(crt);
	free(cmd);
	free(first);
	free(req);
	free(out2);
	free(out);
	free(home);
}

/* An issue killed between its pending row and its issued row left the certificate and
 * its chain: the next certdesk removes both, as it removes a bundle and its password. */
static void test_killed_issue_undone(void)
{
	char *home = cd_strdup(tl_home()), *out = cd_strdup(tl_tmpdir()), *left;

	free(sh_outf("sqlite3 '%s/certdesk.db' \"INSERT INTO users(name, full_name, email, "
		     "created_at) VALUES ('zed', 'Zed', 'z@example.org', 0); INSERT INTO "
		     "certs(user_id, serial, state, subject, key_type, not_before, not_after, "
		     "issued_at, p12_path) VALUES (1, '0ABC', 'pending', 'CN=zed', 'user-ec', 0, 1, "
		     "0, '%s/zed.crt')\" && echo c > '%s/zed.crt' && echo c > '%s/zed-chain.pem' && "
		     "echo keep > '%s/other-chain.pem'", home, out, out, out, out));
	free(tl_cd_ok(home, ARGS("list")));
	left = sh_outf("ls '%s'; sqlite3 '%s/certdesk.db' 'SELECT count(*) FROM certs'", out, home);
	CU_ASSERT_STRING_EQUAL(left, "other-chain.pem\n0\n");
	free(left);
	free(out);
	free(home);
}

/* dir/name.csr with its signature's last byte flipped: a request its key did not sign. */
static char *bad_signature(const char *dir)
{
	char *good = make_csr(dir, "forged", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=x", "");
	char *bad = cd_asprintf("%s/forged-bad.csr", dir);
	char *cmd = cd_asprintf(
		"openssl req -in '%s' -outform DER | python3 -c 'import sys,base64,textwrap; "
		"d=bytearray(sys.stdin.buffer.read()); d[-1]^=1; "
		"print(\"-----BEGIN CERTIFICATE REQUEST-----\"); "
		"print(\"\\n\".join(textwrap.wrap(base64.b64encode(d).decode(),64))); "
		"print(\"-----END CERTIFICATE REQUEST-----\")' > '%s'", good, bad);

	free(sh_ok("flip", cmd));
	free(cmd);
	free(good);
	return bad;
}

/* A valid request, padded with PEM's ignored text to more than any request is. */
static char *oversized(const char *dir)
{
	char *good = make_csr(dir, "big", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=x", "");
	char *big = cd_asprintf("%s/big-padded.csr", dir);
	char *cmd = cd_asprintf("{ cat '%s'; head -c 70000 /dev/zero | tr '\\0' x; } > '%s'",
				good, big);

	free(sh_ok("pad", cmd));
	free(cmd);
	free(good);
	return big;
}

static void refuse_csr(const char *home, const char *out, const char *want, const char *csr)
{
	refused(home, out, want, ARGS("create", "eve", "--name", "Eve", "--email", "eve@example.org",
				      "--out", out, "--csr", csr));
}

static void test_bad_requests(void)
{
	char *home = cd_strdup(tl_home());
	char *out = cd_strdup(tl_tmpdir()), *req = cd_strdup(tl_tmpdir()), *p, *ca;

	p = bad_signature(req);
	refuse_csr(home, out, "signature does not verify", p);
	free(p);
	p = make_csr(req, "weak", "rsa:1024", "/CN=eve", "");
	refuse_csr(home, out, "RSA key has 1024 bits", p);
	free(p);
	p = make_csr(req, "p521", "ec -pkeyopt ec_paramgen_curve:P-521", "/CN=eve", "");
	refuse_csr(home, out, "only P-256 and P-384", p);
	free(p);
	p = make_csr(req, "ed", "ed25519", "/CN=eve", "");
	refuse_csr(home, out, "neither EC nor RSA", p);
	free(p);
	p = make_csr(req, "ca", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=eve",
		     "-addext 'basicConstraints=critical,CA:TRUE'");
	refuse_csr(home, out, "asks for a CA certificate", p);
	free(p);
	p = oversized(req);
	refuse_csr(home, out, "at most 65536", p);
	free(p);
	ca = cd_asprintf("%s/ca/ca.crt", home);
	refuse_csr(home, out, "not a PEM certificate request", ca);
	p = make_csr(req, "eve", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=eve", "");
	refused(home, out, "does not go with --csr", ARGS("create", "eve", "--name", "Eve",
		"--email", "eve@example.org", "--out", out, "--key", "rsa", "--csr", p));
	refuse_csr(home, out, "cannot read", "/nonexistent/eve.csr");
	free(p);
	free(ca);
	free(req);
	free(out);
	free(home);
}

static CU_TestInfo issue_tests[] = {
	{"create --csr EC: verified, the request's key, the record's subject", test_ec_request},
	{"create --csr P-384 with the record's subject: no note", test_p384_quiet},
	{"renew --csr RSA: revocation held, dated names", test_rsa_renewal},
	{"the mail's openssl command makes the record's subject", test_mail_command},
	{"a killed issue's certificate and chain removed", test_killed_issue_undone},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo bad_tests[] = {
	{"bad signature, weak keys, CA request, oversized, not a request", test_bad_requests},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {
		{"issue", issue_tests},
		{"bad requests", bad_tests},
		{NULL, NULL},
	};

	setenv("HOME", tl_tmpdir(), 1);
	unsetenv("CERTDESK_HOME");
	unsetenv("SUDO_USER");
	unsetenv("SUDO_UID");
	return tl_main(suites);
}
