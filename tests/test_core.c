/* test_core.c: the command line of the core (init, create, renew, revoke, list, show,
 * expirecheck, config, log) on temporary homes, judged by the openssl, sqlite3 and python3
 * binaries; every bad input of the specification; kill -9 and two operators at once. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "util.h"

/* ---- helpers ---- */

#define ARGS TL_ARGS
#define cdv tl_cdv
#define bin tl_bin
#define snapshot tl_snapshot
#define refused tl_refused

static char *new_home(void)
{
	return cd_strdup(tl_home());
}

static char *new_dir(void)
{
	return cd_strdup(tl_tmpdir());
}

/* Output of a shell command; NULL-safe to free. */
/* Creates user with --out out (and the extra options), asserting success. */
static void create(const char *home, const char *out, const char *user, const char *days)
{
	tl_result r = cdv(home, ARGS("create", user, "--name", "Test Person", "--email",
				     "t@example.org", "--phone", "+1 555 0100", "--days",
				     days ? days : "365", "--out", out));

	CU_ASSERT(tl_ok_or_report(&r, user));
	tl_free(&r);
}

/* Extracts the client certificate of dir/user.p12 into dir/user.crt with the .pw. */
static int p12_extract(const char *dir, const char *user)
{
	tl_result r = tl_sh("cd '%s' && openssl pkcs12 -in %s.p12 -passin file:%s.pw -nokeys "
			    "-clcerts -out %s.crt 2>&1", dir, user, user, user);
	int ok = tl_ok_or_report(&r, "openssl pkcs12");

	tl_free(&r);
	return ok;
}

static int openssl_verify(const char *home, const char *dir, const char *user)
{
	tl_result r = tl_sh("openssl verify -CAfile '%s/ca/ca.crt' '%s/%s.crt' 2>&1", home, dir, user);
	int ok = r.status == 0 && tl_contains(r.out, ": OK");

	if (!ok)
		fprintf(stderr, "\nopenssl verify %s: %s\n", user, r.out);
	tl_free(&r);
	return ok;
}

static char *cert_field(const char *dir, const char *user, const char *opt)
{
	tl_result r = tl_sh("openssl x509 -in '%s/%s.crt' -noout %s -nameopt RFC2253", dir, user, opt);
	char *s = r.out;

	r.out = NULL;
	tl_free(&r);
	return s;
}

/* The full judgement of an issued bundle. */
static void judge_bundle(const char *home, const char *dir, const char *user)
{
	char *p12 = cd_asprintf("%s/%s.p12", dir, user), *pw = cd_asprintf("%s/%s.pw", dir, user);
	char *pass = tl_read(pw), *eku, *ku, *bc;
	size_t i;

	CU_ASSERT_EQUAL(tl_mode(p12), 0600);
	CU_ASSERT_EQUAL(tl_mode(pw), 0600);
	CU_ASSERT_FATAL(pass != NULL);
	/* Read out by SMS: long enough, and no character that looks like another. */
	CU_ASSERT(strlen(pass) >= 16);
	for (i = 0; pass[i]; i++) {
		CU_ASSERT(isalnum((unsigned char)pass[i]));
		CU_ASSERT(strchr("0Oo1lIi5Ss2Zz", pass[i]) == NULL);
	}
	CU_ASSERT_FATAL(p12_extract(dir, user));
	CU_ASSERT(openssl_verify(home, dir, user));
	eku = cert_field(dir, user, "-ext extendedKeyUsage");
	ku = cert_field(dir, user, "-ext keyUsage");
	bc = cert_field(dir, user, "-ext basicConstraints");
	CU_ASSERT(tl_contains(eku, "TLS Web Client Authentication"));
	CU_ASSERT(tl_contains(ku, "critical") && tl_contains(ku, "Digital Signature"));
	CU_ASSERT(tl_contains(bc, "CA:FALSE"));
	free(eku);
	free(ku);
	free(bc);
	free(pass);
	free(p12);
	free(pw);
}

static char *list_tsv(const char *home, const char *extra)
{
	tl_result r = extra ? cdv(home, ARGS("--format", "tsv", "list", extra)) :
			      cdv(home, ARGS("--format", "tsv", "list"));
	char *s = r.out;

	CU_ASSERT(tl_ok_or_report(&r, "list"));
	r.out = NULL;
	tl_free(&r);
	return s;
}

/* The value of column col (0-based) for user in a TSV listing; malloc'd, NULL if absent. */
static char *tsv_field(const char *tsv, const char *user, int col)
{
	const char *line = tsv;
	size_t ulen = strlen(user);

	while (line && *line) {
		const char *end = strchr(line, '\n');
		if (strncmp(line, user, ulen) == 0 && line[ulen] == '\t') {
			const char *p = line;
			int c;
			size_t n;
			for (c = 0; c < col && p; c++) {
				p = strchr(p, '\t');
				p = p ? p + 1 : NULL;
			}
			if (!p)
				return NULL;
			n = strcspn(p, "\t\n");
			return cd_strndup(p, n);
		}
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

/* ---- init ---- */

static void test_init_ca(void)
{
	char *home = cd_asprintf("%s/h", tl_tmpdir()), *key, *ext;
	tl_result r = cdv(home, ARGS("init", "--cn", "Ops Test CA"));

	CU_ASSERT(tl_ok_or_report(&r, "init"));
	tl_free(&r);
	key = cd_asprintf("%s/ca/ca.key", home);
	CU_ASSERT_EQUAL(tl_mode(key), 0600);
	ext = tl_sh_out("openssl x509 -in '%s/ca/ca.crt' -noout -subject -ext basicConstraints,keyUsage,"
		     "subjectKeyIdentifier -nameopt RFC2253%s", home, "");
	CU_ASSERT(tl_contains(ext, "CN=Ops Test CA"));
	CU_ASSERT(tl_contains(ext, "critical"));
	CU_ASSERT(tl_contains(ext, "CA:TRUE"));
	CU_ASSERT(tl_contains(ext, "Certificate Sign") && tl_contains(ext, "CRL Sign"));
	CU_ASSERT(tl_contains(ext, "Subject Key Identifier"));
	free(ext);
	ext = tl_sh_out("openssl pkey -in '%s/ca/ca.key' -noout -text | head -1%s", home, "");
	CU_ASSERT(tl_contains(ext, "256 bit")); /* EC P-256 by default */
	free(ext);
	/* Templates are copied into the home for editing. */
	{
		char *p = cd_asprintf("%s/templates/mail-body.txt", home), *t = tl_read(p);
		CU_ASSERT(tl_contains(t, "{expiry}"));
		free(t);
		free(p);
	}
	/* Never overwrites a CA. */
	{
		char *dir = new_dir();
		refused(home, dir, "not overwriting", ARGS("init"));
		free(dir);
	}
	free(key);
	free(home);
}

static void test_init_rsa(void)
{
	char *home = cd_asprintf("%s/h", tl_tmpdir()), *txt;
	tl_result r = cdv(home, ARGS("init", "--key", "rsa", "--days", "30"));

	CU_ASSERT(tl_ok_or_report(&r, "init --key rsa"));
	tl_free(&r);
	txt = tl_sh_out("openssl pkey -in '%s/ca/ca.key' -noout -text | head -1%s", home, "");
	CU_ASSERT(tl_contains(txt, "3072 bit"));
	free(txt);
	free(home);
}

/* ---- create, renew, revoke, judged by openssl ---- */

static void test_create_judged(void)
{
	char *home = new_home(), *out = new_dir(), *subj, *serial, *san;
	tl_result r = cdv(home, ARGS("create", "alice", "--name", "Alice Liddell", "--email",
				     "alice@example.org", "--phone", "+44 20 7946 0000", "--org",
				     "Wonder Org", "--ou", "Ops", "--location", "Oxford", "--country",
				     "GB", "--out", out));

	CU_ASSERT(tl_ok_or_report(&r, "create"));
	/* Where the files are, and whom to send the password to. */
	CU_ASSERT(tl_contains(r.out, out));
	CU_ASSERT(tl_contains(r.out, "alice.p12"));
	CU_ASSERT(tl_contains(r.out, "alice.pw"));
	CU_ASSERT(tl_contains(r.out, "+44 20 7946 0000"));
	tl_free(&r);
	judge_bundle(home, out, "alice");
	subj = cert_field(out, "alice", "-subject");
	CU_ASSERT(tl_contains(subj, "CN=alice"));
	CU_ASSERT(tl_contains(subj, "O=Wonder Org"));
	CU_ASSERT(tl_contains(subj, "OU=Ops"));
	CU_ASSERT(tl_contains(subj, "L=Oxford"));
	CU_ASSERT(tl_contains(subj, "C=GB"));
	san = cert_field(out, "alice", "-ext subjectAltName");
	CU_ASSERT(tl_contains(san, "email:alice@example.org"));
	serial = cert_field(out, "alice", "-serial");
	/* At least 64 random bits. */
	CU_ASSERT(strlen(serial) >= strlen("serial=") + 16 + 1);
	free(subj);
	free(san);
	free(serial);
	free(out);
	free(home);
}

static void test_p12_profiles(void)
{
	char *home = new_home(), *out = new_dir(), *info;
	tl_result r = cdv(home, ARGS("create", "compat1", "--name", "C", "--email", "c@x.org",
				     "--p12", "compat", "--out", out));

	CU_ASSERT(tl_ok_or_report(&r, "create compat"));
	tl_free(&r);
	r = cdv(home, ARGS("create", "modern1", "--name", "M", "--email", "m@x.org", "--p12",
			   "modern", "--out", out));
	CU_ASSERT(tl_ok_or_report(&r, "create modern"));
	tl_free(&r);
	judge_bundle(home, out, "compat1");
	judge_bundle(home, out, "modern1");
	info = tl_sh_out("cd '%s' && openssl pkcs12 -in compat1.p12 -passin file:compat1.pw -info "
		      "-noout 2>&1%s", out, "");
	CU_ASSERT(tl_contains(info, "3-KeyTripleDES-CBC"));
	CU_ASSERT(tl_contains(info, "MAC: sha1"));
	CU_ASSERT(!tl_contains(info, "AES"));
	free(info);
	info = tl_sh_out("cd '%s' && openssl pkcs12 -in modern1.p12 -passin file:modern1.pw -info "
		      "-noout 2>&1%s", out, "");
	CU_ASSERT(tl_contains(info, "AES-256-CBC"));
	CU_ASSERT(tl_contains(info, "MAC: sha256"));
	free(info);
	/* A wrong password does not open it. */
	info = tl_sh_out("cd '%s' && echo wrongpassword > bad.pw && openssl pkcs12 -in modern1.p12 "
		      "-passin file:bad.pw -noout >/dev/null 2>&1; echo $?%s", out, "");
	CU_ASSERT_STRING_NOT_EQUAL(info, "0\n");
	free(info);
	free(out);
	free(home);
}

static void test_rsa_client(void)
{
	char *home = new_home(), *out = new_dir(), *txt;
	tl_result r = cdv(home, ARGS("create", "rsa1", "--name", "R", "--email", "r@x.org", "--key",
				     "rsa", "--out", out));

	CU_ASSERT(tl_ok_or_report(&r, "create --key rsa"));
	tl_free(&r);
	judge_bundle(home, out, "rsa1");
	txt = cert_field(out, "rsa1", "-text");
	CU_ASSERT(tl_contains(txt, "3072 bit"));
	free(txt);
	free(out);
	free(home);
}

static void test_renew_judged(void)
{
	char *home = new_home(), *out = new_dir(), *out2 = new_dir(), *out3 = new_dir();
	char *s1, *s2, *n1, *n2, *tsv, *san;
	tl_result r;

	r = cdv(home, ARGS("create", "bob", "--name", "Bob Builder", "--email", "bob@example.org",
			   "--org", "Org", "--ou", "Unit", "--country", "US", "--location", "NYC",
			   "--phone", "+1 212 555 0199", "--out", out));
	CU_ASSERT(tl_ok_or_report(&r, "create"));
	tl_free(&r);
	CU_ASSERT_FATAL(p12_extract(out, "bob"));
	r = cdv(home, ARGS("renew", "bob", "--out", out2));
	CU_ASSERT(tl_ok_or_report(&r, "renew"));
	CU_ASSERT(tl_contains(r.out, out2));
	CU_ASSERT(tl_contains(r.out, "+1 212 555 0199"));
	tl_free(&r);
	judge_bundle(home, out2, "bob");
	/* show says why the old certificate's revocation waits. */
	r = cdv(home, ARGS("show", "bob"));
	CU_ASSERT(tl_contains(r.out, "; held: waiting for bob to apply the certificate"));
	tl_free(&r);
	s1 = cert_field(out, "bob", "-subject");
	s2 = cert_field(out2, "bob", "-subject");
	n1 = cert_field(out, "bob", "-serial");
	n2 = cert_field(out2, "bob", "-serial");
	CU_ASSERT_STRING_EQUAL(s1, s2);
	CU_ASSERT_STRING_NOT_EQUAL(n1, n2);
	/* The listing shows the new certificate, stage renewed. */
	tsv = list_tsv(home, NULL);
	{
		char *serial = tsv_field(tsv, "bob", 3), *stage = tsv_field(tsv, "bob", 6);
		CU_ASSERT_PTR_NOT_NULL_FATAL(serial);
		CU_ASSERT(tl_contains(n2, serial));
		CU_ASSERT_STRING_EQUAL(stage, "renewed");
		free(serial);
		free(stage);
	}
	free(tsv);
	/* show: details and both certificates, the old one's revocation scheduled. */
	r = cdv(home, ARGS("show", "bob"));
	CU_ASSERT(tl_ok_or_report(&r, "show"));
	CU_ASSERT(tl_contains(r.out, "Bob Builder"));
	CU_ASSERT(tl_contains(r.out, "+1 212 555 0199"));
	CU_ASSERT(tl_contains(r.out, n1 + strlen("serial=")) || tl_contains(r.out, "revocation"));
	CU_ASSERT(tl_contains(r.out, "revocation scheduled"));
	CU_ASSERT(tl_contains(r.out, out2));
	tl_free(&r);
	/* A renewal that changes a field keeps the others. */
	r = cdv(home, ARGS("renew", "bob", "--email", "robert@example.org", "--out", out3));
	CU_ASSERT(tl_ok_or_report(&r, "renew --email"));
	tl_free(&r);
	CU_ASSERT_FATAL(p12_extract(out3, "bob"));
	san = cert_field(out3, "bob", "-ext subjectAltName");
	CU_ASSERT(tl_contains(san, "robert@example.org"));
	free(san);
	free(s2);
	s2 = cert_field(out3, "bob", "-subject");
	CU_ASSERT_STRING_EQUAL(s1, s2);
	free(s1);
	free(s2);
	free(n1);
	free(n2);
	free(out);
	free(out2);
	free(out3);
	free(home);
}

static void test_revoke(void)
{
	char *home = new_home(), *out = new_dir(), *tsv, *stage;
	tl_result r;

	create(home, out, "carol", NULL);
	create(home, out, "dave", NULL);
	r = cdv(home, ARGS("revoke", "carol", "--reason", "cessationOfOperation"));
	CU_ASSERT(tl_ok_or_report(&r, "revoke"));
	CU_ASSERT(tl_contains(r.out, "cessationOfOperation"));
	tl_free(&r);
	tsv = list_tsv(home, NULL);
	CU_ASSERT(!tl_contains(tsv, "carol"));
	CU_ASSERT(tl_contains(tsv, "dave"));
	free(tsv);
	tsv = list_tsv(home, "--all");
	stage = tsv_field(tsv, "carol", 6);
	CU_ASSERT_PTR_NOT_NULL(stage);
	if (stage)
		CU_ASSERT_STRING_EQUAL(stage, "revoked");
	free(stage);
	free(tsv);
	r = cdv(home, ARGS("show", "carol"));
	CU_ASSERT(tl_contains(r.out, "revocation scheduled"));
	tl_free(&r);
	refused(home, out, "revoked", ARGS("renew", "carol", "--out", out));
	refused(home, out, "already revoked", ARGS("revoke", "carol"));
	refused(home, out, "reason", ARGS("revoke", "dave", "--reason", "boredom"));
	free(out);
	free(home);
}

/* ---- list, show, log, config ---- */

static void test_list_sorted(void)
{
	char *home = new_home(), *out = new_dir(), *tsv, *json;
	tl_result r;
	const char *p1, *p2, *p3;

	create(home, out, "zed", "30");
	create(home, out, "amy", "300");
	create(home, out, "mid", "100");
	tsv = list_tsv(home, NULL);
	CU_ASSERT(strncmp(tsv, "user\tname\temail\tserial\texpiry\tdays\tstage", 40) == 0);
	CU_ASSERT_EQUAL(tl_count_lines(tsv), 4);
	p1 = strstr(tsv, "\nzed\t");
	p2 = strstr(tsv, "\nmid\t");
	p3 = strstr(tsv, "\namy\t");
	CU_ASSERT(p1 && p2 && p3 && p1 < p2 && p2 < p3);
	{
		char *days = tsv_field(tsv, "zed", 5), *stage = tsv_field(tsv, "zed", 6);
		char *exp = tsv_field(tsv, "zed", 4), *want = tl_date_in(30);
		CU_ASSERT_STRING_EQUAL(days, "30");
		CU_ASSERT_STRING_EQUAL(stage, "active");
		CU_ASSERT_STRING_EQUAL(exp, want);
		free(days);
		free(stage);
		free(exp);
		free(want);
	}
	free(tsv);
	r = cdv(home, ARGS("--format", "json", "list"));
	json = r.out;
	{
		char *chk = cd_asprintf("printf '%%s' '%s' | python3 -c 'import json,sys; d=json.load(sys.stdin); "
					"print(len(d), d[0][\"user\"], d[0][\"days\"] + 0)'", json);
		tl_result p = tl_sh("%s", chk);
		CU_ASSERT_STRING_EQUAL(p.out, "3 zed 30\n");
		tl_free(&p);
		free(chk);
	}
	tl_free(&r);
	r = cdv(home, ARGS("list"));
	CU_ASSERT(tl_contains(r.out, "STAGE"));
	CU_ASSERT(tl_contains(r.out, "zed"));
	tl_free(&r);
	free(out);
	free(home);
}

/* The users `list` gives, in order, as "a b c " (malloc'd). */
static char *listed(const char *home)
{
	char *tsv = list_tsv(home, NULL), *got = cd_strdup("");
	const char *p;

	for (p = strchr(tsv, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		char *more = cd_asprintf("%s%.*s ", got, (int)strcspn(p + 1, "\t"), p + 1);

		free(got);
		got = more;
	}
	free(tsv);
	return got;
}

/* The users `--expirecheck --as-of DAY` names, in order, as "a b c " (malloc'd). */
static char *checked(const char *home, const char *day)
{
	return tl_sh_out("'%s' --home '%s' --as-of %s --expirecheck --format tsv | tail -n +2 | "
			 "cut -f1 | tr '\\n' ' '", tl_bin(), home, day);
}

/* Runs SQL on the home's database, as a damaged or hand-edited home would have it. */
static void sql_on(const char *home, const char *sql)
{
	free(tl_sh_out("sqlite3 '%s/certdesk.db' \"%s\"", home, sql));
}

/* Users whose certificates end in the same second are listed by name (SQLite walks the
 * expiry index; the store orders ties), in list and in expirecheck, wherever the tie is. */
static void test_list_ties_by_name(void)
{
	static const char *const order[] = {"zoe", "bob", "kim", "amy", "lee", "dan", "ian"};
	static const char *const want = "amy bob zoe dan ian kim lee ";
	char *home = new_home(), *out = new_dir(), *got;
	size_t i;

	for (i = 0; i < sizeof order / sizeof *order; i++)
		create(home, out, order[i], "10");
	/* Three ties: amy bob zoe at one second, dan alone, ian kim lee at the last. */
	sql_on(home, "UPDATE certs SET not_after = CASE (SELECT name FROM users WHERE users.id = "
	       "certs.user_id) WHEN 'zoe' THEN 2000000000 WHEN 'bob' THEN 2000000000 WHEN 'amy' "
	       "THEN 2000000000 WHEN 'dan' THEN 2000000100 WHEN 'kim' THEN 2000000200 WHEN 'ian' "
	       "THEN 2000000200 ELSE 2000000200 END");
	got = listed(home);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	got = checked(home, "2033-05-20");
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(out);
	free(home);
}

/* Certificates recorded past the CA's end all show its end, and keep the order of their
 * own dates (not one tie of everyone); a current certificate whose user_id disagrees
 * with its user (a damaged home, which verify names) still lists that user, in list and
 * in expirecheck. */
static void test_list_keeps_every_user(void)
{
	char *home = new_home(), *out = new_dir(), *got;

	create(home, out, "alice", "30");
	create(home, out, "bob", "30");
	create(home, out, "carol", "30");
	create(home, out, "dave", "30");
	sql_on(home, "UPDATE certs SET not_after = CASE (SELECT name FROM users WHERE users.id = "
	       "certs.user_id) WHEN 'dave' THEN 4000000000 WHEN 'carol' THEN 4000000100 WHEN "
	       "'alice' THEN 4000000200 ELSE 4000000300 END");
	got = listed(home);
	CU_ASSERT_STRING_EQUAL(got, "dave carol alice bob ");
	free(got);
	sql_on(home, "UPDATE certs SET not_after = 2000000000; UPDATE certs SET user_id = (SELECT "
	       "id FROM users WHERE name = 'alice') WHERE id = (SELECT cert_id FROM users WHERE "
	       "name = 'carol')");
	got = listed(home);
	CU_ASSERT_STRING_EQUAL(got, "alice bob carol dave ");
	free(got);
	got = checked(home, "2033-05-17");
	CU_ASSERT_STRING_EQUAL(got, "alice bob carol dave ");
	free(got);
	free(out);
	free(home);
}

static void test_log_and_config(void)
{
	char *home = new_home(), *out = new_dir();
	tl_result r;

	create(home, out, "erin", NULL);
	r = cdv(home, ARGS("config"));
	CU_ASSERT(tl_ok_or_report(&r, "config"));
	CU_ASSERT(tl_contains(r.out, "window.days"));
	CU_ASSERT(tl_contains(r.out, "p12.profile"));
	tl_free(&r);
	r = cdv(home, ARGS("config", "window.days"));
	CU_ASSERT_STRING_EQUAL(r.out, "14\n");
	tl_free(&r);
	/* Settings and the publish plan for scripts: JSON that parses, TSV with a header. */
	{
		const char *argv[] = {"sh", "-c", "python3 -c 'import json,sys; d=json.load(sys.stdin); "
				      "print(len(d), d[0][\"key\"], d[0][\"default\"])'", NULL};
		tl_result j;

		r = cdv(home, ARGS("--format", "json", "config"));
		j = tl_run(argv, r.out);
		CU_ASSERT(tl_contains(j.out, "window.days 14"));
		tl_free(&j);
		tl_free(&r);
	}
	r = cdv(home, ARGS("renew", "erin", "--out", out));
	tl_free(&r);
	r = cdv(home, ARGS("--format", "tsv", "publish", "--dry-run"));
	CU_ASSERT(tl_ok_or_report(&r, "publish --dry-run --format tsv"));
	CU_ASSERT(tl_contains(r.out, "state\tuser\tserial\ttask\tscheduled\texpires\treason\twhy\n"));
	CU_ASSERT(tl_contains(r.out, "held\terin\t"));
	tl_free(&r);
	r = cdv(home, ARGS("config", "window.days", "30"));
	CU_ASSERT(tl_ok_or_report(&r, "config set"));
	tl_free(&r);
	r = cdv(home, ARGS("config", "window.days"));
	CU_ASSERT_STRING_EQUAL(r.out, "30\n");
	tl_free(&r);
	refused(home, out, "window.days", ARGS("config", "window.days", "0"));
	refused(home, out, "window.days", ARGS("config", "window.days", "many"));
	refused(home, out, "cert.key", ARGS("config", "cert.key", "dsa"));
	refused(home, out, "default.country", ARGS("config", "default.country", "usa"));
	refused(home, out, "unknown setting", ARGS("config", "no.such", "1"));
	refused(home, out, "control", ARGS("config", "default.org", "a\x1b[2Jb"));
	/* The default O from the settings goes into a new certificate. */
	r = cdv(home, ARGS("config", "default.org", "Settings Org"));
	tl_free(&r);
	create(home, out, "fred", NULL);
	CU_ASSERT_FATAL(p12_extract(out, "fred"));
	{
		char *subj = cert_field(out, "fred", "-subject");
		CU_ASSERT(tl_contains(subj, "O=Settings Org"));
		free(subj);
	}
	r = cdv(home, ARGS("--format", "tsv", "log"));
	CU_ASSERT(strncmp(r.out, "time\tactor\taction\tuser\tdetail\n", 30) == 0);
	CU_ASSERT(tl_contains(r.out, "\tinit\t"));
	CU_ASSERT(tl_contains(r.out, "\tcreate\terin\t"));
	CU_ASSERT(tl_contains(r.out, "\tconfig\t\twindow.days = 30"));
	CU_ASSERT(!tl_contains(r.out, "= 0"));
	tl_free(&r);
	r = cdv(home, ARGS("log", "erin"));
	CU_ASSERT(tl_contains(r.out, "create"));
	CU_ASSERT(!tl_contains(r.out, "fred"));
	tl_free(&r);
	free(out);
	free(home);
}

/* ---- expirecheck ---- */

static tl_result check_at(const char *home, int days, const char *const *extra)
{
	char *d = tl_date_in(days);
	const char *args[16] = {"--as-of", d, "expirecheck"};
	int n = 3;
	tl_result r;

	while (extra && *extra)
		args[n++] = *extra++;
	args[n] = NULL;
	r = cdv(home, args);
	free(d);
	return r;
}

static void test_expirecheck(void)
{
	char *home = new_home(), *out = new_dir(), *out2 = new_dir();
	tl_result r;

	create(home, out, "soon", "10");
	create(home, out, "later", "100");
	create(home, out, "far", "300");
	/* A month ago nothing was due: silent, exit 0. */
	r = check_at(home, -30, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "");
	CU_ASSERT_STRING_EQUAL(r.err, "");
	tl_free(&r);
	/* Today: soon is inside the 14-day window. */
	r = check_at(home, 0, NULL);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.out, "soon"));
	CU_ASSERT(tl_contains(r.out, "expiring"));
	CU_ASSERT(tl_contains(r.out, "task: https://"));
	CU_ASSERT(tl_contains(r.out, "mail: mailto:t@example.org?"));
	CU_ASSERT(!tl_contains(r.out, "later"));
	tl_free(&r);
	/* --days widens the window. */
	r = check_at(home, 0, ARGS("--days", "120"));
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.out, "soon") && tl_contains(r.out, "later"));
	CU_ASSERT(!tl_contains(r.out, "far"));
	CU_ASSERT(strstr(r.out, "soon") < strstr(r.out, "later"));
	tl_free(&r);
	/* In 50 days soon has expired: exit 2; later is not yet in the window. */
	r = check_at(home, 50, NULL);
	CU_ASSERT_EQUAL(r.status, 2);
	CU_ASSERT(tl_contains(r.out, "expired"));
	CU_ASSERT(!tl_contains(r.out, "later"));
	tl_free(&r);
	/* In 95 days: both, expired first. */
	r = check_at(home, 95, NULL);
	CU_ASSERT_EQUAL(r.status, 2);
	CU_ASSERT(tl_contains(r.out, "soon") && tl_contains(r.out, "later"));
	CU_ASSERT(strstr(r.out, "soon") < strstr(r.out, "later"));
	tl_free(&r);
	/* The global spelling is the same command. */
	{
		char *d = tl_date_in(0);
		r = cdv(home, ARGS("--as-of", d, "--expirecheck"));
		CU_ASSERT_EQUAL(r.status, 1);
		CU_ASSERT(tl_contains(r.out, "soon"));
		tl_free(&r);
		free(d);
	}
	/* TSV and JSON carry the links as fields. */
	r = check_at(home, 0, ARGS("--format", "tsv"));
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(strncmp(r.out, "user\tname\temail\tserial\texpiry\tdays\tstage\ttask\ttask_link\t"
			  "mail_link\toverdue\tmail_days\ttask_days\n", 94) == 0);
	CU_ASSERT_EQUAL(tl_count_lines(r.out), 2);
	CU_ASSERT(tl_contains(r.out, "\thttps://phabricator.wikimedia.org/maniphest/task/edit/form/1/?"));
	CU_ASSERT(tl_contains(r.out, "\tmailto:t@example.org?subject="));
	tl_free(&r);
	{
		char *d = tl_date_in(95);
		char *cmd = cd_asprintf("'%s' --home '%s' --as-of %s --format json expirecheck | python3 -c "
					"'import json,sys; d=json.load(sys.stdin); "
					"print(\",\".join(r[\"user\"]+\":\"+r[\"stage\"] for r in d), "
					"all(r[\"task_link\"].startswith(\"https://\") and "
					"r[\"mail_link\"].startswith(\"mailto:\") for r in d))'",
					bin(), home, d);
		tl_result p = tl_sh("%s", cmd);
		CU_ASSERT_STRING_EQUAL(p.out, "soon:expired,later:expiring True\n");
		if (strcmp(p.out, "soon:expired,later:expiring True\n"))
			fprintf(stderr, "\njson: %s %s\n", p.out, p.err);
		tl_free(&p);
		free(cmd);
		free(d);
	}
	/* Renewed users drop out of the check. */
	r = cdv(home, ARGS("renew", "soon", "--out", out2));
	CU_ASSERT(tl_ok_or_report(&r, "renew"));
	tl_free(&r);
	r = check_at(home, 0, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "");
	tl_free(&r);
	/* Its own bad input: exit 3, distinct from the findings. */
	r = check_at(home, 0, ARGS("--days", "-1"));
	CU_ASSERT_EQUAL(r.status, 3);
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	tl_free(&r);
	{
		const char *args[] = {"--as-of", "2026-02-30", "--expirecheck", NULL};
		r = cdv(home, args);
		CU_ASSERT(r.status != 0 && r.status != 1 && r.status != 2);
		CU_ASSERT(tl_contains(r.err, "as-of"));
		tl_free(&r);
	}
	free(out);
	free(out2);
	free(home);
}

/* ---- bad input ---- */

/* Changing a task id is one audit entry that names the old one. */
static void test_task_change_audit(void)
{
	char *home = new_home(), *out = new_dir();
	tl_result r;

	create(home, out, "alice", NULL);
	r = cdv(home, ARGS("task", "alice", "T100"));
	tl_free(&r);
	r = cdv(home, ARGS("task", "alice", "T200"));
	CU_ASSERT(tl_ok_or_report(&r, "task"));
	tl_free(&r);
	r = cdv(home, ARGS("--format", "tsv", "log", "alice"));
	CU_ASSERT(tl_contains(r.out, "\ttask\talice\tT200 (was T100)\n"));
	CU_ASSERT(!tl_contains(r.out, "\ttask\talice\t)\n"));
	CU_ASSERT_EQUAL(tl_count_lines(r.out), 4); /* header, create, two task changes */
	tl_free(&r);
	free(out);
	free(home);
}

static void test_bad_user_names(void)
{
	char *home = new_home(), *out = new_dir();
	char u65[66];

	memset(u65, 'a', 65);
	u65[65] = '\0';
	create(home, out, "alice", NULL);
	{
		const char *bad[] = {"../etc", "a/b", "alice smith", "Alice", "", u65, "-rf", "a\x1b[31m",
				     "caf\xc3\xa9", ".hidden"};
		size_t i;
		for (i = 0; i < sizeof bad / sizeof *bad; i++) {
			refused(home, out, "invalid user name", ARGS("create", bad[i], "--name", "N",
								     "--email", "n@x.org", "--out", out));
			refused(home, out, "invalid user name", ARGS("renew", bad[i], "--out", out));
			refused(home, out, "invalid user name", ARGS("revoke", bad[i]));
			refused(home, out, "invalid user name", ARGS("show", bad[i]));
		}
	}
	free(out);
	free(home);
}

static void test_bad_fields(void)
{
	char *home = new_home(), *out = new_dir();
	char long257[258];

	memset(long257, 'x', 257);
	long257[257] = '\0';
	create(home, out, "alice", NULL);
#define CREATE(...) ARGS("create", "newbie", "--out", out, __VA_ARGS__)
	refused(home, out, "control", CREATE("--name", "Evil\x1b]0;pwned\x07", "--email", "e@x.org"));
	refused(home, out, "control", CREATE("--name", "Two\nLines", "--email", "e@x.org"));
	refused(home, out, "control", CREATE("--name", "Tab\there", "--email", "e@x.org"));
	refused(home, out, "control", CREATE("--name", "N", "--email", "e@x.org", "--location", "a\tb"));
	refused(home, out, "control", CREATE("--name", "N", "--email", "e@x.org", "--phone", "1\r2"));
	refused(home, out, "too long", CREATE("--name", long257, "--email", "e@x.org"));
	refused(home, out, "too long", CREATE("--name", "N", "--email", "e@x.org", "--org", long257));
	refused(home, out, "too long", CREATE("--name", "N", "--email", "e@x.org", "--ou", long257));
	refused(home, out, "UTF-8", CREATE("--name", "bad \xff byte", "--email", "e@x.org"));
	refused(home, out, "email", CREATE("--name", "N", "--email", "nobody"));
	refused(home, out, "email", CREATE("--name", "N", "--email", "a@b@c.org"));
	refused(home, out, "email", CREATE("--name", "N", "--email", "@x.org"));
	refused(home, out, "country", CREATE("--name", "N", "--email", "e@x.org", "--country", "USA"));
	refused(home, out, "country", CREATE("--name", "N", "--email", "e@x.org", "--country", "us"));
	refused(home, out, "country", CREATE("--name", "N", "--email", "e@x.org", "--country", "1"));
	refused(home, out, "days", CREATE("--name", "N", "--email", "e@x.org", "--days", "0"));
	refused(home, out, "days", CREATE("--name", "N", "--email", "e@x.org", "--days", "826"));
	refused(home, out, "days", CREATE("--name", "N", "--email", "e@x.org", "--days", "-3"));
	refused(home, out, "days", CREATE("--name", "N", "--email", "e@x.org", "--days", "1y"));
	refused(home, out, "key", CREATE("--name", "N", "--email", "e@x.org", "--key", "dsa"));
	refused(home, out, "p12", CREATE("--name", "N", "--email", "e@x.org", "--p12", "rc2"));
	refused(home, out, "--name", ARGS("create", "newbie", "--email", "e@x.org", "--out", out));
	refused(home, out, "unknown option", CREATE("--name", "N", "--email", "e@x.org", "--colour", "x"));
	/* The same checks guard renew. */
	refused(home, out, "email", ARGS("renew", "alice", "--email", "nobody", "--out", out));
	refused(home, out, "control", ARGS("renew", "alice", "--name", "x\x1b[2J", "--out", out));
	refused(home, out, "days", ARGS("renew", "alice", "--days", "900", "--out", out));
	refused(home, out, "country", ARGS("renew", "alice", "--country", "Germany", "--out", out));
#undef CREATE
	free(out);
	free(home);
}

/* An option given twice is a slip: refused, whichever copy would have won. */
static void test_options_twice(void)
{
	char *home = new_home(), *out = new_dir(), *other = new_home();

	create(home, out, "alice", NULL);
	refused(home, out, "option --name given twice",
		ARGS("create", "bob", "--name", "First", "--email", "b@x.org", "--name", "Second",
		     "--out", out));
	refused(home, out, "option --days given twice",
		ARGS("renew", "alice", "--days=30", "--days", "60", "--out", out));
	refused(home, out, "option --reason given twice",
		ARGS("revoke", "alice", "--reason", "superseded", "--reason", "keyCompromise"));
	refused(home, out, "option --home given twice", ARGS("--home", other, "list"));
	refused(home, out, "option --home given twice", ARGS("list", "--home=/tmp"));
	refused(home, out, "option --as-of given twice",
		ARGS("--as-of", "2026-01-01", "--as-of=2027-01-01", "list"));
	refused(home, out, "option --format given twice", ARGS("--format", "tsv", "--format=json",
								"list"));
	free(other);
	free(out);
	free(home);
}

/* Settings git or a browser would refuse later are refused when set; what they
 * accept still goes in (checked by git itself). */
static void test_config_values(void)
{
	char *home = new_home(), *out = new_dir(), *v;
	const char *bad_branch[] = {"x.lock", ".hidden", "a/.b", "a.", "../x", "a//b"};
	const char *bad_path[] = {"a/./b", ".git/config", "x/.GIT/y", "/etc/crl.pem", "a/../b"};
	size_t i;
	tl_result r;

	for (i = 0; i < sizeof bad_branch / sizeof *bad_branch; i++)
		refused(home, out, "crl.branch", ARGS("config", "crl.branch", bad_branch[i]));
	for (i = 0; i < sizeof bad_path / sizeof *bad_path; i++)
		refused(home, out, "crl.path", ARGS("config", "crl.path", bad_path[i]));
	refused(home, out, "phab.url", ARGS("config", "phab.url", "https://phab.example.org/a b"));
	refused(home, out, "phab.url", ARGS("config", "phab.url", "https://x\"onmouseover"));
	refused(home, out, "window.days", ARGS("config", "window.days", "0"));
	refused(home, out, "cert.key", ARGS("config", "cert.key", "dsa"));
	refused(home, out, "control", ARGS("config", "default.org", "Evil\x1b[31m"));
	refused(home, out, "unknown setting", ARGS("config", "no.such", "1"));
	r = cdv(home, ARGS("config", "crl.branch", "release/2026"));
	CU_ASSERT(tl_ok_or_report(&r, "config crl.branch release/2026"));
	tl_free(&r);
	/* git agrees on both. */
	r = tl_sh("git check-ref-format refs/heads/release/2026 && "
		  "! git check-ref-format refs/heads/x.lock && echo agreed");
	CU_ASSERT_STRING_EQUAL(r.out, "agreed\n");
	tl_free(&r);
	r = cdv(home, ARGS("config", "crl.path", ".well-known/crl.pem"));
	CU_ASSERT(tl_ok_or_report(&r, "config crl.path .well-known/crl.pem"));
	tl_free(&r);
	v = tl_sh_out("sqlite3 '%s/certdesk.db' \"SELECT value FROM settings WHERE key = 'crl.branch'\"%s",
		   home, "");
	CU_ASSERT_STRING_EQUAL(v, "release/2026\n");
	free(v);
	free(out);
	free(home);
}

static void test_bad_as_of(void)
{
	char *home = new_home(), *out = new_dir();

	create(home, out, "alice", NULL);
	refused(home, out, "as-of", ARGS("--as-of", "2026-02-30", "list"));
	refused(home, out, "as-of", ARGS("--as-of", "26-11-27", "list"));
	refused(home, out, "as-of", ARGS("--as-of", "garbage", "list"));
	refused(home, out, "as-of", ARGS("--as-of", "2026-11-27T00:00", "create", "x", "--name", "N",
					 "--email", "e@x.org", "--out", out));
	refused(home, out, "as-of", ARGS("--as-of", "", "list"));
	/* Day 0 is no "no --as-of": refused, not a real write in disguise. */
	refused(home, out, "before any certificate", ARGS("--as-of", "1970-01-01", "task", "alice",
							  "T55"));
	/* Nothing published yet: crl would sign and record a first CRL; a plan does not. */
	refused(home, out, "--as-of only judges", ARGS("--as-of", "2030-01-01", "crl"));
	free(out);
	free(home);
}

static void test_bad_state(void)
{
	char *home = new_home(), *out = new_dir(), *out2 = new_dir();
	tl_result r;

	create(home, out, "alice", NULL);
	create(home, out, "gone", NULL);
	r = cdv(home, ARGS("revoke", "gone"));
	tl_free(&r);
	refused(home, out2, "exists", ARGS("create", "alice", "--name", "A", "--email", "a@x.org",
					   "--out", out2));
	refused(home, out, "no such user", ARGS("renew", "nobody", "--out", out2));
	refused(home, out, "no such user", ARGS("revoke", "nobody"));
	refused(home, out, "no such user", ARGS("show", "nobody"));
	refused(home, out2, "nothing to renew", ARGS("renew", "gone", "--out", out2));
	refused(home, out, "already revoked", ARGS("revoke", "gone"));
	refused(home, out, "unknown command", ARGS("frobnicate"));
	free(out);
	free(out2);
	free(home);
}

static void test_no_home(void)
{
	char *dir = new_dir(), *home = cd_asprintf("%s/nothing-here", dir);
	tl_result r;

	refused(home, dir, "no certdesk home", ARGS("list"));
	refused(home, dir, "no certdesk home", ARGS("create", "a", "--name", "N", "--email", "e@x.org",
						    "--out", dir));
	refused(home, dir, "no certdesk home", ARGS("expirecheck"));
	CU_ASSERT(!cd_path_exists(home));
	/* An existing but uninitialised directory too. */
	mkdir(home, 0755);
	refused(home, dir, "no certdesk home", ARGS("list"));
	/* --home from $CERTDESK_HOME when not given. */
	setenv("CERTDESK_HOME", home, 1);
	{
		const char *argv[] = {bin(), "list", NULL};
		r = tl_run(argv, NULL);
		CU_ASSERT(r.status != 0);
		CU_ASSERT(tl_contains(r.err, home));
		tl_free(&r);
	}
	unsetenv("CERTDESK_HOME");
	free(home);
	free(dir);
}

static void test_newer_schema(void)
{
	char *home = new_home(), *out = new_dir(), *v;
	tl_result r;

	create(home, out, "alice", NULL);
	r = tl_sh("sqlite3 '%s/certdesk.db' 'PRAGMA user_version = 99'", home);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	refused(home, out, "newer", ARGS("list"));
	refused(home, out, "newer", ARGS("create", "bob", "--name", "B", "--email", "b@x.org",
					 "--out", out));
	refused(home, out, "newer", ARGS("renew", "alice", "--out", out));
	v = tl_sh_out("sqlite3 '%s/certdesk.db' 'PRAGMA user_version'%s", home, "");
	CU_ASSERT_STRING_EQUAL(v, "99\n");
	free(v);
	free(out);
	free(home);
}

static void test_corrupt_db(void)
{
	char *home = new_home(), *out = new_dir();
	tl_result r;

	create(home, out, "alice", NULL);
	r = tl_sh("cd '%s' && rm -f certdesk.db-wal certdesk.db-shm && "
		  "head -c 65536 /dev/urandom > certdesk.db", home);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	refused(home, out, "certdesk.db", ARGS("list"));
	refused(home, out, "certdesk.db", ARGS("create", "bob", "--name", "B", "--email", "b@x.org",
					       "--out", out));
	refused(home, out, "certdesk.db", ARGS("--expirecheck"));
	free(out);
	free(home);
}

static void test_truncated_db(void)
{
	char *home = new_home(), *out = new_dir();
	tl_result r;
	int i;

	for (i = 0; i < 30; i++) {
		char u[16];
		snprintf(u, sizeof u, "user%d", i);
		create(home, out, u, NULL);
	}
	r = tl_sh("cd '%s' && sqlite3 certdesk.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null && "
		  "rm -f certdesk.db-wal certdesk.db-shm && sz=$(stat -c %%s certdesk.db) && "
		  "truncate -s $((sz / 3)) certdesk.db", home);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	refused(home, out, "certdesk.db", ARGS("--format", "tsv", "list"));
	refused(home, out, "certdesk.db", ARGS("create", "bob", "--name", "B", "--email", "b@x.org",
					       "--out", out));
	free(out);
	free(home);
}

static void test_bad_ca_key(void)
{
	char *home = new_home(), *out = new_dir(), *out2 = new_dir();
	tl_result r;

	create(home, out, "alice", NULL);
	/* A directory where the key should be (unreadable even for root). */
	r = tl_sh("cd '%s/ca' && mv ca.key ca.key.real && mkdir ca.key", home);
	tl_free(&r);
	refused(home, out2, "ca.key", ARGS("create", "bob", "--name", "B", "--email", "b@x.org",
					   "--out", out2));
	refused(home, out2, "ca.key", ARGS("renew", "alice", "--out", out2));
	/* Garbage in the key file. */
	r = tl_sh("cd '%s/ca' && rmdir ca.key && head -c 300 /dev/urandom > ca.key && chmod 600 ca.key",
		  home);
	tl_free(&r);
	refused(home, out2, "key", ARGS("create", "bob", "--name", "B", "--email", "b@x.org",
					"--out", out2));
	/* A key that is valid but not the CA's. */
	r = tl_sh("cd '%s/ca' && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
		  "-out ca.key 2>/dev/null && chmod 600 ca.key", home);
	tl_free(&r);
	refused(home, out2, "key", ARGS("create", "bob", "--name", "B", "--email", "b@x.org",
					"--out", out2));
	/* Reading needs no key: the listing still works. */
	r = cdv(home, ARGS("list"));
	CU_ASSERT(tl_ok_or_report(&r, "list without a usable key"));
	tl_free(&r);
	free(out);
	free(out2);
	free(home);
}

static void test_passphrase(void)
{
	char *dir = new_dir(), *home = cd_asprintf("%s/h", dir), *good = cd_asprintf("%s/good", dir);
	char *bad = cd_asprintf("%s/bad", dir), *out = cd_asprintf("%s/out", dir), *key;
	tl_result r;

	mkdir(out, 0755);
	r = tl_sh("printf 'correct horse battery\\n' > '%s'; printf 'wrong\\n' > '%s'", good, bad);
	tl_free(&r);
	r = cdv(home, ARGS("init", "--passphrase-file", good));
	CU_ASSERT(tl_ok_or_report(&r, "init --passphrase-file"));
	tl_free(&r);
	key = cd_asprintf("%s/ca/ca.key", home);
	{
		char *pem = tl_read(key);
		CU_ASSERT(tl_contains(pem, "ENCRYPTED"));
		free(pem);
	}
	free(key);
	/* openssl opens the key with the passphrase, and not without. */
	r = tl_sh("openssl pkey -in '%s/ca/ca.key' -passin file:'%s' -noout", home, good);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	setenv("CERTDESK_PASSPHRASE_FILE", bad, 1);
	refused(home, out, "passphrase", ARGS("create", "alice", "--name", "A", "--email", "a@x.org",
					      "--out", out));
	/* A device named as the passphrase file is refused, not read forever. */
	setenv("CERTDESK_PASSPHRASE_FILE", "/dev/zero", 1);
	refused(home, out, "not a regular file", ARGS("create", "alice", "--name", "A", "--email",
						      "a@x.org", "--out", out));
	setenv("CERTDESK_PASSPHRASE_FILE", good, 1);
	r = cdv(home, ARGS("create", "alice", "--name", "A", "--email", "a@x.org", "--out", out));
	CU_ASSERT(tl_ok_or_report(&r, "create with the passphrase"));
	tl_free(&r);
	judge_bundle(home, out, "alice");
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	free(good);
	free(bad);
	free(out);
	free(home);
	free(dir);
}

static void test_output_exists(void)
{
	char *home = new_home(), *out = new_dir(), *p12 = cd_asprintf("%s/carol.p12", out), *pw;
	tl_result r;

	r = tl_sh("printf 'precious' > '%s'", p12);
	tl_free(&r);
	refused(home, out, "exists", ARGS("create", "carol", "--name", "C", "--email", "c@x.org",
					  "--out", out));
	pw = tl_read(p12);
	CU_ASSERT_STRING_EQUAL(pw, "precious");
	free(pw);
	/* The same with only the .pw in the way. */
	unlink(p12);
	pw = cd_asprintf("%s/carol.pw", out);
	r = tl_sh("printf 'old' > '%s'", pw);
	tl_free(&r);
	refused(home, out, "exists", ARGS("create", "carol", "--name", "C", "--email", "c@x.org",
					  "--out", out));
	/* A renewal into the directory holding last year's bundle writes beside it. */
	unlink(pw);
	create(home, out, "carol", NULL);
	{
		char *orig = tl_read(p12), *now;
		r = cdv(home, ARGS("renew", "carol", "--out", out));
		CU_ASSERT(tl_ok_or_report(&r, "renew beside last year's bundle"));
		CU_ASSERT(tl_contains(r.out, "carol-"));
		tl_free(&r);
		now = tl_read(p12);
		CU_ASSERT(orig && now && memcmp(orig, now, 64) == 0);
		CU_ASSERT_EQUAL(tl_mode(p12), 0600);
		free(orig);
		free(now);
		r = tl_sh("ls '%s' | grep -c '^carol-.*\\.p12$'", out);
		CU_ASSERT_STRING_EQUAL(r.out, "1\n");
		tl_free(&r);
	}
	free(pw);
	free(p12);
	free(out);
	free(home);
}

static void test_output_dir_unusable(void)
{
	char *home = new_home(), *out = new_dir(), *file = cd_asprintf("%s/plain-file", out);
	char *missing = cd_asprintf("%s/no/such/dir", out);
	tl_result r = tl_sh("printf x > '%s'", file);

	tl_free(&r);
	refused(home, out, "output directory", ARGS("create", "dan", "--name", "D", "--email",
						    "d@x.org", "--out", file));
	refused(home, out, "output directory", ARGS("create", "dan", "--name", "D", "--email",
						    "d@x.org", "--out", missing));
	create(home, out, "erin", NULL);
	refused(home, out, "output directory", ARGS("renew", "erin", "--out", missing));
	refused(home, out, "output directory", ARGS("renew", "erin", "--out", file));
	free(file);
	free(missing);
	free(out);
	free(home);
}

/* ---- kill -9 and concurrency ---- */

static pid_t spawn(const char *const *argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A user's state after a kill: either complete and consistent, or absent. */
static void assert_complete_or_absent(const char *home, const char *out, const char *tsv,
				      const char *user, const char *old_serial, int *complete)
{
	char *serial = tsv_field(tsv, user, 3);
	char *p12 = cd_asprintf("%s/%s.p12", out, user), *pw = cd_asprintf("%s/%s.pw", out, user);
	int issued = serial && (!old_serial || strcmp(serial, old_serial) != 0);

	if (issued) {
		char *got;
		CU_ASSERT(cd_path_exists(p12) && cd_path_exists(pw));
		CU_ASSERT_FATAL(p12_extract(out, user));
		CU_ASSERT(openssl_verify(home, out, user));
		got = cert_field(out, user, "-serial");
		CU_ASSERT(tl_contains(got, serial));
		free(got);
		(*complete)++;
	} else {
		if (old_serial)
			CU_ASSERT(serial && strcmp(serial, old_serial) == 0);
		if (cd_path_exists(p12) || cd_path_exists(pw))
			fprintf(stderr, "\n%s: not issued, yet %s%s exist\n", user,
				cd_path_exists(p12) ? p12 : "", cd_path_exists(pw) ? pw : "");
		CU_ASSERT(!cd_path_exists(p12) && !cd_path_exists(pw));
	}
	free(serial);
	free(p12);
	free(pw);
}

static void assert_no_debris(const char *home, const char *out)
{
	char *tmp = tl_sh_out("find '%s' '%s' -name '*.tmp.*'", home, out);
	char *pending = tl_sh_out("sqlite3 '%s/certdesk.db' \"SELECT count(*) FROM certs WHERE state = "
			       "'pending'\"%s", home, "");

	if (*tmp)
		fprintf(stderr, "\nstray temporary files:\n%s", tmp);
	CU_ASSERT_STRING_EQUAL(tmp, "");
	CU_ASSERT_STRING_EQUAL(pending, "0\n");
	free(tmp);
	free(pending);
}

#define KILL_ROUNDS 30

static void kill_loop(const char *home, const char *out, int renew)
{
	int i;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (i = 0; i < KILL_ROUNDS; i++) {
		char user[16];
		pid_t pid;
		int st;

		snprintf(user, sizeof user, renew ? "r%d" : "u%d", i);
		{
			const char *create_argv[] = {bin(), "--home", home, "create", user, "--name",
						     "Killed Maybe", "--email", "k@x.org", "--out", out,
						     NULL};
			const char *renew_argv[] = {bin(), "--home", home, "renew", user, "--out", out,
						    NULL};
			pid = spawn(renew ? renew_argv : create_argv);
		}
		sleep_us(rand() % 40000);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
}

static void test_kill_create(void)
{
	char *home = new_home(), *out = new_dir(), *tsv;
	int i, complete = 0;
	tl_result r;

	kill_loop(home, out, 0);
	/* Any command undoes an interrupted issue. */
	r = cdv(home, ARGS("list"));
	CU_ASSERT(tl_ok_or_report(&r, "list after kills"));
	tl_free(&r);
	tsv = list_tsv(home, "--all");
	for (i = 0; i < KILL_ROUNDS; i++) {
		char user[16];
		snprintf(user, sizeof user, "u%d", i);
		assert_complete_or_absent(home, out, tsv, user, NULL, &complete);
	}
	assert_no_debris(home, out);
	fprintf(stderr, "(%d of %d creates completed) ", complete, KILL_ROUNDS);
	/* Users that were undone can be created afresh. */
	for (i = 0; i < KILL_ROUNDS; i++) {
		char user[16];
		snprintf(user, sizeof user, "u%d", i);
		if (!tl_contains(tsv, user))
			create(home, out, user, NULL);
	}
	free(tsv);
	free(out);
	free(home);
}

static void test_kill_renew(void)
{
	char *home = new_home(), *out = new_dir(), *out2 = new_dir(), *before, *after;
	int i, complete = 0;
	tl_result r;

	for (i = 0; i < KILL_ROUNDS; i++) {
		char user[16];
		snprintf(user, sizeof user, "r%d", i);
		create(home, out, user, NULL);
	}
	before = list_tsv(home, NULL);
	kill_loop(home, out2, 1);
	r = cdv(home, ARGS("list"));
	tl_free(&r);
	after = list_tsv(home, NULL);
	for (i = 0; i < KILL_ROUNDS; i++) {
		char user[16], *old;
		snprintf(user, sizeof user, "r%d", i);
		old = tsv_field(before, user, 3);
		assert_complete_or_absent(home, out2, after, user, old, &complete);
		free(old);
	}
	assert_no_debris(home, out2);
	fprintf(stderr, "(%d of %d renewals completed) ", complete, KILL_ROUNDS);
	/* Certificates: one per user, plus one per completed renewal. */
	{
		char *n = tl_sh_out("sqlite3 '%s/certdesk.db' 'SELECT count(*) FROM certs'%s", home, "");
		CU_ASSERT_EQUAL(atoi(n), KILL_ROUNDS + complete);
		free(n);
	}
	free(before);
	free(after);
	free(out);
	free(out2);
	free(home);
}

#define RACE_ROUNDS 15

static void test_two_operators(void)
{
	char *home = new_home(), *out = new_dir(), *tsv, *dups;
	int i, ok = 0, busy = 0;

	for (i = 0; i < RACE_ROUNDS; i++) {
		char ua[16], ub[16];
		const char *argv_a[] = {bin(), "--home", home, "create", ua, "--name", "A", "--email",
					"a@x.org", "--out", out, NULL};
		const char *argv_b[] = {bin(), "--home", home, "create", ub, "--name", "B", "--email",
					"b@x.org", "--out", out, NULL};
		tl_result ra, rb;
		pid_t pa;
		int st;

		snprintf(ua, sizeof ua, "a%d", i);
		snprintf(ub, sizeof ub, "b%d", i);
		/* One in the background, one through tl_run (which captures stderr). */
		pa = fork();
		if (pa == 0) {
			tl_result x = tl_run(argv_a, NULL);
			_exit(x.status == 0 ? 0 : tl_contains(x.err, "busy") ||
				tl_contains(x.err, "another certdesk") ? 10 : 20);
		}
		rb = tl_run(argv_b, NULL);
		waitpid(pa, &st, 0);
		ra.status = WEXITSTATUS(st);
		CU_ASSERT(ra.status == 0 || ra.status == 10);
		CU_ASSERT(rb.status == 0 || tl_contains(rb.err, "busy") ||
			  tl_contains(rb.err, "another certdesk"));
		ok += (ra.status == 0) + (rb.status == 0);
		busy += (ra.status == 10) + (rb.status != 0);
		tl_free(&rb);
	}
	tsv = list_tsv(home, NULL);
	/* Never a lost row: every success is listed; never a duplicate serial. */
	CU_ASSERT_EQUAL(tl_count_lines(tsv) - 1, ok);
	dups = tl_sh_out("printf '%%s' '%s' | tail -n +2 | cut -f4 | sort | uniq -d%s", tsv, "");
	CU_ASSERT_STRING_EQUAL(dups, "");
	free(dups);
	for (i = 0; i < RACE_ROUNDS; i++) {
		char u[16], *p12;
		int listed;
		snprintf(u, sizeof u, "a%d", i);
		p12 = tsv_field(tsv, u, 0);
		listed = p12 != NULL;
		free(p12);
		p12 = cd_asprintf("%s/%s.p12", out, u);
		CU_ASSERT_EQUAL(listed, cd_path_exists(p12));
		free(p12);
	}
	fprintf(stderr, "(%d issued, %d busy) ", ok, busy);
	assert_no_debris(home, out);
	free(tsv);
	free(out);
	free(home);
}

/* Certificates of user still valid and not scheduled for revocation. */
static long unrevoked(const char *home, const char *user)
{
	char *n = tl_sh_out("sqlite3 '%s/certdesk.db' \"SELECT count(*) FROM certs c JOIN users u ON "
			 "u.id = c.user_id WHERE u.name = '%s' AND c.state = 'issued' AND "
			 "c.revoke_at IS NULL\"", home, user);
	long v = n ? strtol(n, NULL, 10) : -1;

	free(n);
	return v;
}

/*
 * A second command on a user while a renewal of that user is being issued (an RSA key
 * keeps the first one busy while the second reads the user): never two valid
 * replacements of one certificate, never a renewal of a user revoked meanwhile.
 */
static void race_on_user(const char *second_verb, int rounds)
{
	char *home = new_home(), *out = new_dir(), *out_a = new_dir(), *out_b = new_dir();
	int i, refused_b = 0;

	for (i = 0; i < rounds; i++) {
		char u[16];
		const char *argv_a[] = {bin(), "--home", home, "renew", u, "--key", "rsa", "--out",
					out_a, NULL};
		const char *argv_b[] = {bin(), "--home", home, second_verb, u, "--out", out_b, NULL};
		tl_result rb;
		pid_t pa;
		int st;

		snprintf(u, sizeof u, "r%d", i);
		create(home, out, u, NULL);
		pa = fork();
		if (pa == 0) {
			tl_result x = tl_run(argv_a, NULL);
			_exit(x.status == 0 ? 0 : tl_contains(x.err, "changed while") ||
			      tl_contains(x.err, "was revoked") ? 10 : 20);
		}
		sleep_us(60000);
		if (strcmp(second_verb, "revoke") == 0)
			argv_b[5] = NULL;
		rb = tl_run(argv_b, NULL);
		waitpid(pa, &st, 0);
		CU_ASSERT(WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 10));
		if (rb.status != 0) {
			CU_ASSERT(tl_count_lines(rb.err) == 1);
			refused_b++;
		}
		{
			long want = strcmp(second_verb, "revoke") == 0 && rb.status == 0 ? 0 : 1;
			CU_ASSERT_EQUAL(unrevoked(home, u), want);
		}
		tl_free(&rb);
	}
	fprintf(stderr, "(%d of %d second commands refused) ", refused_b, rounds);
	assert_no_debris(home, out_a);
	assert_no_debris(home, out_b);
	free(out_a);
	free(out_b);
	free(out);
	free(home);
}

static void test_renew_race(void)
{
	race_on_user("renew", 4);
}

static void test_renew_revoke_race(void)
{
	race_on_user("revoke", 3);
}

static CU_TestInfo init_tests[] = {
	{"init: a CA openssl accepts, key 0600", test_init_ca},
	{"init --key rsa", test_init_rsa},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo issue_tests[] = {
	{"create: openssl verifies, clientAuth, modes, password", test_create_judged},
	{"create: compat and modern PKCS#12", test_p12_profiles},
	{"create --key rsa", test_rsa_client},
	{"renew: same subject, new serial", test_renew_judged},
	{"revoke", test_revoke},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo read_tests[] = {
	{"ties of expiry listed by name", test_list_ties_by_name},
	{"list keeps every user: past the CA's end, a damaged user_id", test_list_keeps_every_user},
	{"list sorted by expiry, tsv and json", test_list_sorted},
	{"log and config", test_log_and_config},
	{"expirecheck at several dates", test_expirecheck},
	{"a task change is one audit entry", test_task_change_audit},
	CU_TEST_INFO_NULL,
};

/* A CA key others may read is not used (as ssh does with private keys). */
static void test_ca_key_mode(void)
{
	char *home = new_home(), *out = new_dir(), *key = cd_asprintf("%s/ca/ca.key", home);

	CU_ASSERT_EQUAL(chmod(key, 0640), 0);
	refused(home, out, "may be read by others (mode 0640)",
		ARGS("create", "kim", "--name", "Kim", "--email", "kim@example.org", "--out", out));
	CU_ASSERT_EQUAL(chmod(key, 0600), 0);
	create(home, out, "kim", NULL);
	free(key);
	free(out);
	free(home);
}

/* Started with standard input and output closed (cron, CI), certdesk must not write its
 * messages into the files it opens next. */
static void test_closed_std_fds(void)
{
	char *home = new_home(), *out = new_dir();
	tl_result r;

	r = tl_sh("'%s' --home '%s' create cy --name Cy --email cy@example.org --out '%s' <&- >&-",
		  bin(), home, out);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	CU_ASSERT(p12_extract(out, "cy"));
	r = cdv(home, ARGS("list", "--format", "tsv"));
	CU_ASSERT(tl_contains(r.out, "\ncy\tCy\t"));
	tl_free(&r);
	r = tl_sh("sqlite3 '%s/certdesk.db' 'PRAGMA integrity_check'", home);
	CU_ASSERT_STRING_EQUAL(r.out, "ok\n");
	tl_free(&r);
	free(out);
	free(home);
}

/* log for a name that never existed says so rather than printing an empty trail. */
static void test_log_unknown_user(void)
{
	char *home = new_home();
	tl_result r = cdv(home, ARGS("log", "nobodyhere"));

	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.err, "no such user 'nobodyhere'"));
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	tl_free(&r);
	free(home);
}

static CU_TestInfo bad_tests[] = {
	{"log for an unknown user", test_log_unknown_user},
	{"standard input and output closed", test_closed_std_fds},
	{"a CA key others may read", test_ca_key_mode},
	{"user names", test_bad_user_names},
	{"fields", test_bad_fields},
	{"--as-of", test_bad_as_of},
	{"options given twice", test_options_twice},
	{"config values git or a browser would refuse", test_config_values},
	{"existing, unknown and revoked users", test_bad_state},
	{"no home", test_no_home},
	{"a database from a newer schema", test_newer_schema},
	{"a corrupt database", test_corrupt_db},
	{"a truncated database", test_truncated_db},
	{"an unusable CA key", test_bad_ca_key},
	{"a wrong passphrase", test_passphrase},
	{"an output file that exists", test_output_exists},
	{"an output directory that is not one", test_output_dir_unusable},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo crash_tests[] = {
	{"kill -9 during create", test_kill_create},
	{"kill -9 during renew", test_kill_renew},
	{"two operators issuing at once", test_two_operators},
	{"two renewals of one user at once", test_renew_race},
	{"a revocation during a renewal", test_renew_revoke_race},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {
		{"init", init_tests},
		{"issue", issue_tests},
		{"read", read_tests},
		{"bad input", bad_tests},
		{"crash and race", crash_tests},
		{NULL, NULL},
	};

	/* Nothing may land in the real $HOME, whatever a test does. */
	setenv("HOME", tl_tmpdir(), 1);
	unsetenv("CERTDESK_HOME");
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	return tl_main(suites);
}
