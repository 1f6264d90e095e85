/* test_verify.c: `certdesk verify`, `log --verify` and the audit hash chain end to end: the
 * real binary on real homes and bare git repositories, each damage made by hand with
 * sqlite3, git, chmod and openssl, and judged by those tools and by an independent
 * implementation of the chain's documented encoding (python3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "testlib.h"

#define GIT "git -c user.name=Other -c user.email=other@example.org -c init.defaultBranch=main"

/*
 * The chain as store.c's comment defines it, written apart from certdesk: "check"
 * prints one line per row whose stored hash differs from the recomputed one and then
 * "rows N"; "rechain" rewrites every hash, as an attacker who read that comment would.
 */
static const char chain_py[] =
	"import hashlib, sqlite3, struct, sys\n"
	"db = sqlite3.connect(sys.argv[1]); db.text_factory = bytes\n"
	"def s(b): return struct.pack('>I', len(b)) + b\n"
	"prev = b''; n = 0; fixes = []\n"
	"for i, at, actor, action, user, detail, h in db.execute(\n"
	"        'SELECT id, at, actor, action, user, detail, hash FROM audit ORDER BY id'):\n"
	"    m = s(b'certdesk audit v1') + s(prev) + struct.pack('>qq', i, at) + s(actor) + s(action)\n"
	"    m += b'\\0' if user is None else b'\\1' + s(user)\n"
	"    want = hashlib.sha256(m + s(detail)).hexdigest().encode()\n"
	"    n += 1\n"
	"    if sys.argv[2] == 'rechain':\n"
	"        fixes.append((want.decode(), i)); prev = want\n"
	"    else:\n"
	"        if want != h: print('bad', i)\n"
	"        prev = h or b''\n"
	"if fixes:\n"
	"    db.executemany('UPDATE audit SET hash = ? WHERE id = ?', fixes); db.commit()\n"
	"print('rows', n)\n";

typedef struct {
	char base[600], home[700], remote[700], out[700];
} env;

/* What a shell command printed on stdout. */
static char *out_of(tl_result r)
{
	free(r.err);
	return r.out;
}
#define sh_out(...) out_of(tl_sh(__VA_ARGS__))

static void cd_ok(env *e, const char *const *args)
{
	free(tl_cd_ok(e->home, args));
}

/* A home publishing to a fresh bare repository: alice and bob, carol revoked and
 * published, so that the CRL lists one serial and main holds two commits. */
static void env_new(env *e)
{
	snprintf(e->base, sizeof e->base, "%s", tl_tmpdir());
	snprintf(e->home, sizeof e->home, "%s/home", e->base);
	snprintf(e->remote, sizeof e->remote, "%s/remote.git", e->base);
	snprintf(e->out, sizeof e->out, "%s/out", e->base);
	free(sh_out("git init -q --bare -b main %s && mkdir -p %s", e->remote, e->out));
	cd_ok(e, TL_ARGS("init", "--cn", "Test CA", "--crl-remote", e->remote));
	cd_ok(e, TL_ARGS("publish"));
	cd_ok(e, TL_ARGS("create", "alice", "--name", "Alice", "--email", "a@example.org",
			 "--out", e->out));
	cd_ok(e, TL_ARGS("create", "bob", "--name", "Bob", "--email", "b@example.org",
			 "--out", e->out));
	cd_ok(e, TL_ARGS("create", "carol", "--name", "Carol", "--email", "c@example.org",
			 "--out", e->out));
	cd_ok(e, TL_ARGS("revoke", "carol", "--reason", "keyCompromise"));
	cd_ok(e, TL_ARGS("publish"));
}

static tl_result verify(env *e)
{
	return tl_cd(e->home, "verify", NULL);
}

/* verify's exit code must be want and its output hold a line with both words. */
static void verify_says(env *e, int want, const char *word, const char *text)
{
	tl_result r = verify(e);
	char needle[300];

	snprintf(needle, sizeof needle, "%s: ", word);
	if (r.status != want || !tl_contains(r.out, needle) || !tl_contains(r.out, text))
		fprintf(stderr, "\nverify: exit %d, wanted %d with %s ... %s:\n%s%s", r.status, want,
			word, text, r.out, r.err);
	CU_ASSERT_EQUAL(r.status, want);
	CU_ASSERT(tl_contains(r.out, needle));
	CU_ASSERT(tl_contains(r.out, text));
	tl_free(&r);
}

static char *chain_judge(env *e, const char *mode)
{
	char path[800];
	FILE *f;

	snprintf(path, sizeof path, "%s/chain.py", e->base);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(chain_py, f);
	fclose(f);
	return sh_out("python3 %s %s/certdesk.db %s 2>&1", path, e->home, mode);
}

static void test_clean(void)
{
	env e;
	tl_result r;
	char *v;

	env_new(&e);
	r = verify(&e);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(tl_count_lines(r.out), 1);
	CU_ASSERT(tl_contains(r.out, "OK: the database, 3 certificates"));
	CU_ASSERT(tl_contains(r.out, "2 pushed audit heads"));
	CU_ASSERT(tl_contains(r.out, "the published CRL (number 2)"));
	tl_free(&r);
	/* The judges agree: the chain's encoding as documented, the certificates, the CRL. */
	v = chain_judge(&e, "check");
	CU_ASSERT(!tl_contains(v, "bad") && tl_contains(v, "rows "));
	free(v);
	v = sh_out("cd %s && for u in alice bob; do openssl pkcs12 -in $u.p12 -nokeys -clcerts "
		   "-passin file:$u.pw | openssl verify -CAfile %s/ca/ca.crt; done", e.out, e.home);
	CU_ASSERT_STRING_EQUAL(v, "stdin: OK\nstdin: OK\n");
	free(v);
	v = sh_out("git -C %s show main:crl.pem | openssl crl -CAfile %s/ca/ca.crt -noout 2>&1",
		   e.remote, e.home);
	CU_ASSERT(tl_contains(v, "verify OK"));
	free(v);
}

/* Every CRL commit carries the chain head of its moment, as a trailer git reads. */
static void test_trailer(void)
{
	env e;
	char *heads, *rows, *line, *save = NULL;
	int n = 0;

	env_new(&e);
	heads = sh_out("git -C %s log --format='%%(trailers:key=Audit-Head,valueonly)' main | "
		       "grep .", e.remote);
	rows = sh_out("sqlite3 %s/certdesk.db 'SELECT hash FROM audit'", e.home);
	for (line = strtok_r(heads, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		CU_ASSERT_EQUAL(strlen(line), 64);
		CU_ASSERT(tl_contains(rows, line));
	}
	CU_ASSERT_EQUAL(n, 2);
	free(heads);
	/* The last commit's head: the row just before publish recorded it (the revocation). */
	heads = sh_out("git -C %s log -1 --format='%%(trailers:key=Audit-Head,valueonly)' main",
		       e.remote);
	free(rows);
	rows = sh_out("sqlite3 %s/certdesk.db \"SELECT hash FROM audit WHERE action = 'revoke'\"",
		      e.home);
	CU_ASSERT(strlen(rows) > 64 && tl_contains(heads, rows));
	free(heads);
	free(rows);
}

static void test_cert_row_altered(void)
{
	env e;
	char *v;

	env_new(&e);
	free(sh_out("sqlite3 %s/certdesk.db \"UPDATE certs SET subject = 'CN=mallory' WHERE "
		    "id = (SELECT cert_id FROM users WHERE name = 'alice')\"", e.home));
	verify_says(&e, 2, "CRITICAL", "of alice has subject 'CN=alice");
	/* The certificate itself is sound: only the row lies. */
	v = sh_out("cd %s && openssl pkcs12 -in alice.p12 -nokeys -clcerts -passin file:alice.pw "
		   "| openssl verify -CAfile %s/ca/ca.crt", e.out, e.home);
	CU_ASSERT(tl_contains(v, "OK"));
	free(v);
	free(sh_out("sqlite3 %s/certdesk.db \"UPDATE certs SET subject = (SELECT subject FROM certs "
		    "WHERE id = 1), not_after = not_after + 86400 WHERE id = 1\"", e.home));
	verify_says(&e, 2, "CRITICAL", "its row says");
}

/* A commit made by hand on the remote's main, in a clone of its own. */
static void commit_by_hand(env *e, const char *change)
{
	char *v = sh_out("rm -rf %s/work && " GIT " clone -q %s %s/work && cd %s/work && %s && "
			 GIT " commit -qam 'by hand' && git push -q origin main 2>&1 && echo pushed",
			 e->base, e->remote, e->base, e->base, change);

	CU_ASSERT(tl_contains(v, "pushed"));
	free(v);
}

/* Back to the older CRL (signed by this CA, so openssl accepts it): carol is unrevoked. */
static void test_crl_rolled_back(void)
{
	env e;
	char *v;

	env_new(&e);
	commit_by_hand(&e, "git show HEAD~1:crl.pem > crl.pem");
	v = sh_out("openssl crl -in %s/work/crl.pem -CAfile %s/ca/ca.crt -noout 2>&1", e.base,
		   e.home);
	CU_ASSERT(tl_contains(v, "verify OK"));
	free(v);
	verify_says(&e, 2, "CRITICAL", "has CRL Number 1; the database recorded 2");
	verify_says(&e, 2, "CRITICAL", "is published in the database but missing from the CRL");
}

/* Another CA's CRL in its place: openssl refuses it with our CA certificate, so does verify. */
static void test_crl_foreign(void)
{
	env e, o;
	char change[1200], *v;

	env_new(&o);
	env_new(&e);
	snprintf(change, sizeof change, "git -C %s show main:crl.pem > crl.pem", o.remote);
	commit_by_hand(&e, change);
	v = sh_out("openssl crl -in %s/work/crl.pem -CAfile %s/ca/ca.crt -noout 2>&1", e.base,
		   e.home);
	CU_ASSERT(!tl_contains(v, "verify OK"));
	free(v);
	verify_says(&e, 2, "CRITICAL", "the CRL on main of");
	verify_says(&e, 2, "CRITICAL", "is not signed by this CA");
}

/* The home with its audit row of carol's revocation rewritten. */
static void env_new_edited(env *e)
{
	env_new(e);
	free(sh_out("sqlite3 %s/certdesk.db \"UPDATE audit SET detail = 'nothing happened' WHERE "
		    "action = 'revoke'\"", e->home));
}

static void test_audit_edited(void)
{
	env e;
	tl_result r;
	char *v;

	env_new_edited(&e);
	v = sh_out("sqlite3 %s/certdesk.db \"SELECT id FROM audit WHERE action = 'revoke'\"", e.home);
	v[strcspn(v, "\n")] = '\0';
	r = tl_cd(e.home, "log", "--verify", NULL);
	CU_ASSERT_EQUAL(r.status, 2);
	CU_ASSERT(tl_contains(r.out, "audit row ") && tl_contains(r.out, ", revoke carol) does not "
								  "match its hash"));
	CU_ASSERT(strncmp(r.out + strlen("audit row "), v, strlen(v)) == 0);
	tl_free(&r);
	verify_says(&e, 2, "CRITICAL", "revoke carol) does not match its hash");
	free(v);
	v = chain_judge(&e, "check");
	CU_ASSERT(tl_contains(v, "bad "));
	free(v);
}

/* The attacker recomputes the whole chain: it is consistent again, but the heads pushed
 * with the CRL are not in it any more. */
static void test_audit_rechained(void)
{
	env e;
	tl_result r;
	char *v;

	env_new_edited(&e);
	free(chain_judge(&e, "rechain"));
	v = chain_judge(&e, "check");
	CU_ASSERT(!tl_contains(v, "bad "));
	free(v);
	r = tl_cd(e.home, "log", "--verify", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "the audit trail is intact"));
	tl_free(&r);
	verify_says(&e, 2, "CRITICAL", "is not in the local audit trail: the trail was rewritten");
}

/* Another CA's key in place of ours, with the right mode. */
static void test_key_mismatch(void)
{
	env e;
	const char *other = tl_home();
	char *v;

	env_new(&e);
	free(sh_out("cp %s/ca/ca.key %s/ca/ca.key.new && mv %s/ca/ca.key.new %s/ca/ca.key && "
		    "chmod 600 %s/ca/ca.key", other, e.home, e.home, e.home, e.home));
	v = sh_out("cd %s/ca && openssl x509 -in ca.crt -noout -pubkey > c.pub && openssl pkey "
		   "-in ca.key -pubout > k.pub && cmp -s c.pub k.pub && echo same", e.home);
	CU_ASSERT(!tl_contains(v, "same"));
	free(v);
	verify_says(&e, 2, "CRITICAL", "does not match the certificate");
}

static void test_modes_widened(void)
{
	env e;

	env_new(&e);
	free(sh_out("chmod 644 %s/alice.pw", e.out));
	verify_says(&e, 2, "CRITICAL", "alice.pw (of alice) has mode 0644");
	free(sh_out("chmod 600 %s/alice.pw && chmod 640 %s/ca/ca.key", e.out, e.home));
	verify_says(&e, 2, "CRITICAL", "ca.key has mode 0640, not 0600");
	/* Once fixed, nothing else was wrong. */
	free(sh_out("chmod 600 %s/ca/ca.key", e.home));
	verify_says(&e, 0, "OK", "all consistent");
}

/* The first home of schema 5 (before the chain): its rows are chained on the first
 * writable open, as the independent judge computes them. */
static void test_migration(void)
{
	env e;
	tl_result r;
	long hashed = 0, rows = 0;
	int version = 0;
	char *v;

	env_new(&e);
	free(sh_out("sqlite3 %s/certdesk.db 'ALTER TABLE audit DROP COLUMN hash; "
		    "PRAGMA user_version = 5'", e.home));
	free(tl_cd_ok(e.home, TL_ARGS("list")));
	v = sh_out("sqlite3 %s/certdesk.db 'PRAGMA user_version; SELECT count(*) FROM audit WHERE "
		   "length(hash) = 64; SELECT count(*) FROM audit'", e.home);
	CU_ASSERT(sscanf(v, "%d %ld %ld", &version, &hashed, &rows) == 3);
	CU_ASSERT_EQUAL(version, STORE_SCHEMA_VERSION);
	CU_ASSERT(rows >= 6);
	CU_ASSERT_EQUAL(hashed, rows);
	free(v);
	v = chain_judge(&e, "check");
	CU_ASSERT(!tl_contains(v, "bad ") && tl_contains(v, "rows "));
	free(v);
	/* The same chain as before: the heads pushed under schema 6 are still in it. */
	r = tl_cd(e.home, "log", "--verify", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	verify_says(&e, 0, "OK", "2 pushed audit heads");
}

static void test_readonly(void)
{
	env e;
	tl_result r;

	env_new(&e);
	r = tl_cd(e.home, "--read-only", "verify", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "SKIPPED: the CA key checks"));
	CU_ASSERT(tl_contains(r.out, "OK: the database, 3 certificates"));
	tl_free(&r);
	/* The read-only view sees what a writable open would undo. */
	free(sh_out("sqlite3 %s/certdesk.db \"UPDATE certs SET state = 'pending' WHERE id = "
		    "(SELECT cert_id FROM users WHERE name = 'bob')\"", e.home));
	r = tl_cd(e.home, "--read-only", "verify", NULL);
	CU_ASSERT_EQUAL(r.status, 2);
	CU_ASSERT(tl_contains(r.out, "CRITICAL: certificate ") && tl_contains(r.out, "of bob is pending"));
	tl_free(&r);
}

/* A passphrase-protected key is checked with CERTDESK_PASSPHRASE_FILE, else skipped. */
static void test_passphrase_key(void)
{
	const char *base = tl_tmpdir();
	char home[700], pass[700];
	tl_result r;

	snprintf(home, sizeof home, "%s/home", base);
	snprintf(pass, sizeof pass, "%s/pass", base);
	free(sh_out("printf 'correct horse\\n' > %s", pass));
	free(tl_cd_ok(home, TL_ARGS("init", "--passphrase-file", pass)));
	r = tl_cd(home, "verify", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "SKIPPED: whether the CA key matches"));
	tl_free(&r);
	r = tl_sh("CERTDESK_PASSPHRASE_FILE=%s %s --home %s verify", pass, tl_bin(), home);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(!tl_contains(r.out, "SKIPPED") && tl_contains(r.out, "OK: "));
	tl_free(&r);
}

/* The Nagios codes beyond 2: a CRL near its nextUpdate warns (1); an unreachable
 * repository cannot be checked (3). */
static void test_warning_and_unknown(void)
{
	env e;
	char gone[800];

	env_new(&e);
	cd_ok(&e, TL_ARGS("config", "crl.days", "3"));
	cd_ok(&e, TL_ARGS("config", "crl.refresh_days", "2"));
	free(sh_out("sqlite3 %s/certdesk.db 'UPDATE crls SET next_update = next_update - 29 * 86400'",
		    e.home));
	verify_says(&e, 1, "WARNING", "the published CRL expires on");
	snprintf(gone, sizeof gone, "%s/gone.git", e.base);
	cd_ok(&e, TL_ARGS("config", "crl.remote", gone));
	verify_says(&e, 3, "UNKNOWN", "cannot reach the CRL repository");
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"a clean home verifies clean, as the judges agree", test_clean},
		{"every pushed CRL commit carries the Audit-Head trailer", test_trailer},
		{"a certificate row altered", test_cert_row_altered},
		{"the CRL on the remote rolled back by hand", test_crl_rolled_back},
		{"another CA's CRL on the remote", test_crl_foreign},
		{"an audit row edited: log --verify and verify name it", test_audit_edited},
		{"an audit row edited and the chain recomputed", test_audit_rechained},
		{"a CA key that does not match the certificate", test_key_mismatch},
		{"a .pw and the CA key readable by others", test_modes_widened},
		{"migration 6 chains a schema 5 database", test_migration},
		{"read-only view: verify works, names the skipped key check", test_readonly},
		{"a passphrase-protected key: skipped, or checked with the file", test_passphrase_key},
		{"warning and unknown exit codes", test_warning_and_unknown},
		CU_TEST_INFO_NULL,
	};
	static const tl_suite suites[] = {{"verify", tests}, {NULL, NULL}};

	return tl_main(suites);
}
