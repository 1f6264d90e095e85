/* test_probe.c: canary certificates and `certdesk probe` end to end: the real binary on
 * real homes publishing to bare git repositories, the CRLs and canaries judged by
 * openssl crl and openssl verify, probes against real TLS servers (openssl s_server
 * checking client certificates against the CA and a CRL), and the target parser. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "desk.h"
#include "probe.h"
#include "testlib.h"
#include "ui.h"
#include "util.h"

typedef struct {
	char base[600], home[700], remote[700], out[700];
} env;

#define CD_OK(e, ...) free(tl_cd_ok((e)->home, TL_ARGS(__VA_ARGS__)))

static char *out_of(tl_result r)
{
	free(r.err);
	return r.out;
}
#define sh_out(...) out_of(tl_sh(__VA_ARGS__))

static void env_new(env *e, int probing)
{
	snprintf(e->base, sizeof e->base, "%s", tl_tmpdir());
	snprintf(e->home, sizeof e->home, "%s/home", e->base);
	snprintf(e->remote, sizeof e->remote, "%s/remote.git", e->base);
	snprintf(e->out, sizeof e->out, "%s/out", e->base);
	free(sh_out("git init -q --bare -b main '%s' && mkdir -p '%s'", e->remote, e->out));
	CD_OK(e, "init", "--cn", "Probe CA", "--crl-remote", e->remote);
	CD_OK(e, "create", "alice", "--name", "Alice", "--email", "a@example.org", "--out", e->out);
	CD_OK(e, "create", "bob", "--name", "Bob", "--email", "b@example.org", "--out", e->out);
	if (probing)
		CD_OK(e, "config", "probe.enabled", "on");
	CD_OK(e, "publish");
}

/* The serials the published CRL lists, one a line, as openssl reads them. */
static char *crl_serials(env *e)
{
	return sh_out("cd '%s' && rm -f crl.pem && '%s' --home '%s' crl --out '%s/crl.pem' >/dev/null && "
		      "openssl crl -in '%s/crl.pem' -noout -text | sed -n 's/.*Serial Number: //p' "
		      "| sort", e->base, tl_bin(), e->home, e->base, e->base);
}

static char *sql(env *e, const char *q)
{
	return sh_out("sqlite3 '%s/certdesk.db' \"%s\"", e->home, q);
}

static long count_of(env *e, const char *q)
{
	char *o = sql(e, q);
	long n = o ? atol(o) : -1;

	free(o);
	return n;
}

/* openssl verify of a canary against the CA and the published CRL: "OK" or the error. */
static int canary_verifies(env *e, const char *serial)
{
	tl_result r = tl_sh("openssl verify -crl_check -CAfile '%s/ca/ca.crt' -CRLfile "
			    "'%s/crl.pem' '%s/ca/canary/%s.crt'", e->home, e->base, e->home, serial);
	int ok = r.status == 0;

	tl_free(&r);
	return ok;
}

static char *control_serial(env *e)
{
	char *o = sql(e, "SELECT serial FROM canaries WHERE revoked_at IS NULL ORDER BY id DESC "
			 "LIMIT 1");

	if (o)
		o[strcspn(o, "\n")] = '\0';
	return o;
}

static char *newest_revoked(env *e)
{
	char *o = sql(e, "SELECT serial FROM canaries WHERE revoked_at IS NOT NULL ORDER BY "
			 "crl_number DESC LIMIT 1");

	if (o)
		o[strcspn(o, "\n")] = '\0';
	return o;
}

static void test_targets(void)
{
	static const struct { const char *in, *host, *port, *path; int https; } ok[] = {
		{"https://www.example.org", "www.example.org", "443", "/", 1},
		{"https://h:8443/a/b?c=d", "h", "8443", "/a/b?c=d", 1},
		{"HTTPS://[::1]:9/", "::1", "9", "/", 1},
		{"10.0.0.1:636", "10.0.0.1", "636", "", 0},
		{"vpn.example.org:1194", "vpn.example.org", "1194", "", 0},
	};
	static const char *const bad[] = {"", "http://h", "ldaps://h:636", "h", "h:0", "h:65536",
					  "h:12x", "https://", "https://h:/", "https://h/a b",
					  "h:443/path", "[::1:443", "https://h\x01/", NULL};
	probe_target t, *v;
	size_t i, n;

	for (i = 0; i < sizeof ok / sizeof *ok; i++) {
		CU_ASSERT_EQUAL_FATAL(probe_target_parse(ok[i].in, strlen(ok[i].in), &t), 0);
		CU_ASSERT_STRING_EQUAL(t.host, ok[i].host);
		CU_ASSERT_STRING_EQUAL(t.port, ok[i].port);
		CU_ASSERT_STRING_EQUAL(t.path, ok[i].path);
		CU_ASSERT_EQUAL(t.https, ok[i].https);
	}
	for (i = 0; bad[i]; i++) {
		CU_ASSERT_EQUAL(probe_target_parse(bad[i], strlen(bad[i]), &t), -1);
		CU_ASSERT(tl_contains(cd_errmsg(), "target"));
	}
	CU_ASSERT_EQUAL(probe_targets_split(" a:1, https://b ,c:3 ", &v, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_STRING_EQUAL(v[1].host, "b");
	free(v);
	CU_ASSERT_EQUAL(probe_targets_check("a:1 b"), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "probe.targets: target 'b'"));
}

/* Without probing configured a CRL holds the team's revocations and nothing else. */
static void test_no_probe_no_canary(void)
{
	env e;
	char *s;

	env_new(&e, 0);
	s = crl_serials(&e);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
	{
		char *dir = cd_asprintf("%s/ca/canary", e.home);

		CU_ASSERT_EQUAL(tl_mode(dir), -1);
		free(dir);
	}
	CU_ASSERT_EQUAL(count_of(&e, "SELECT count(*) FROM canaries"), 0);
	tl_refused(e.home, e.out, "reserved for certdesk's canary certificates",
		   TL_ARGS("create", "certdesk-probe", "--name", "P", "--email", "p@example.org",
			   "--out", e.out));
}

static void test_canaries_rotate(void)
{
	env e;
	char *s, *ctl, *rev, *path, *list, *ctl2, *rev2;
	tl_result r;

	env_new(&e, 1);
	/* The first publish with probing: a revoked canary in the CRL, a control beside. */
	s = crl_serials(&e);
	ctl = control_serial(&e);
	rev = newest_revoked(&e);
	CU_ASSERT(strlen(ctl) == 32 && strlen(rev) == 32);
	CU_ASSERT(tl_count_lines(s) == 1 && tl_contains(s, rev));
	CU_ASSERT(canary_verifies(&e, ctl));
	CU_ASSERT(!canary_verifies(&e, rev));
	path = cd_asprintf("%s/ca/canary/%s.key", e.home, ctl);
	CU_ASSERT_EQUAL(tl_mode(path), 0600);
	free(path);
	free(s);
	s = sh_out("openssl x509 -in '%s/ca/canary/%s.crt' -noout -subject", e.home, ctl);
	CU_ASSERT(tl_contains(s, "CN = certdesk-probe"));
	free(s);
	/* Never a user. */
	list = tl_cd_ok(e.home, TL_ARGS("list", "--all", "--format", "tsv"));
	CU_ASSERT(!tl_contains(list, "certdesk-probe") && tl_count_lines(list) == 3);
	free(list);
	/* Nothing new, nothing rotated. */
	CD_OK(&e, "publish");
	ctl2 = control_serial(&e);
	CU_ASSERT_STRING_EQUAL(ctl2, ctl);
	free(ctl2);
	/* A revocation: its CRL revokes the control, and a new control comes. */
	CD_OK(&e, "revoke", "bob", "--now");
	CD_OK(&e, "publish");
	s = crl_serials(&e);
	ctl2 = control_serial(&e);
	rev2 = newest_revoked(&e);
	CU_ASSERT_STRING_EQUAL(rev2, ctl);
	CU_ASSERT(strcmp(ctl2, ctl) != 0);
	CU_ASSERT(tl_count_lines(s) == 3 && tl_contains(s, rev) && tl_contains(s, ctl));
	CU_ASSERT(canary_verifies(&e, ctl2) && !canary_verifies(&e, ctl));
	free(s);
	r = tl_cd(e.home, "verify", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "OK:"));
	tl_free(&r);
	s = tl_cd_ok(e.home, TL_ARGS("log"));
	CU_ASSERT(tl_contains(s, "canary serial"));
	free(s);
	/* verify judges the canaries' keys as it judges the CA's. */
	free(sh_out("chmod 644 '%s/ca/canary/%s.key'", e.home, ctl2));
	r = tl_cd(e.home, "verify", NULL);
	CU_ASSERT_EQUAL(r.status, 2);
	CU_ASSERT(tl_contains(r.out, "the canary key") && tl_contains(r.out, "not 0600"));
	tl_free(&r);
	free(ctl), free(rev), free(ctl2), free(rev2);
}

/* A push that fails leaves database and home as they were: the canary files of the run
 * are removed again. */
static void test_push_fails(void)
{
	env e;
	char *lock;

	env_new(&e, 1);
	CD_OK(&e, "revoke", "bob", "--now");
	lock = cd_asprintf("%s/refs/heads/main.lock", e.remote);
	free(sh_out("touch '%s'", lock));
	{
		/* The clone and the reserved CRL Number move (as without canaries); the
		 * canaries stay as they were. */
		char *files = sh_out("ls -l '%s/ca/canary'", e.home), *after;
		char *rows = sql(&e, "SELECT * FROM canaries"), *rows2;
		tl_result r = tl_cd(e.home, "publish", NULL);

		CU_ASSERT(r.status == 1 && tl_contains(r.err, "rejected the push"));
		tl_free(&r);
		after = sh_out("ls -l '%s/ca/canary'", e.home);
		rows2 = sql(&e, "SELECT * FROM canaries");
		CU_ASSERT_STRING_EQUAL(files, after);
		CU_ASSERT_STRING_EQUAL(rows, rows2);
		free(files), free(after), free(rows), free(rows2);
	}
	free(sh_out("rm -f '%s'", lock));
	free(lock);
	CD_OK(&e, "publish");
	free(sh_out("rm -f '%s/crl.pem' && '%s' --home '%s' crl --out '%s/crl.pem'", e.base, tl_bin(),
		    e.home, e.base));
	{
		char *c = control_serial(&e);

		CU_ASSERT(canary_verifies(&e, c));
		free(c);
	}
	CU_ASSERT_EQUAL(count_of(&e, "SELECT count(*) FROM canaries"), 3);
}

/* The database as before a publish, the home's files as after it: a publish killed
 * after its push (files and remote ahead) or before it (the remote reset as well). */
static void kill_at(env *e, int pushed)
{
	char *tip = sh_out("git --git-dir='%s' rev-parse main", e->remote);

	free(sh_out("sqlite3 '%s/certdesk.db' \".backup '%s/before.db'\"", e->home, e->base));
	CD_OK(e, "revoke", "bob", "--now");
	free(sh_out("sqlite3 '%s/certdesk.db' \".backup '%s/before.db'\"", e->home, e->base));
	CD_OK(e, "publish");
	free(sh_out("cp '%s/before.db' '%s/certdesk.db' && rm -f '%s/certdesk.db-wal' "
		    "'%s/certdesk.db-shm'", e->base, e->home, e->home, e->home));
	if (!pushed)
		free(sh_out("git --git-dir='%s' update-ref refs/heads/main %.40s", e->remote, tip));
	free(tip);
}

static void test_killed_after_push(void)
{
	env e;
	char *files, *c;
	tl_result r;

	env_new(&e, 1);
	kill_at(&e, 1);
	CU_ASSERT_EQUAL(count_of(&e, "SELECT count(*) FROM canaries"), 2);
	files = sh_out("ls '%s/ca/canary' | wc -l", e.home);
	CU_ASSERT_EQUAL(atoi(files), 6);
	free(files);
	CD_OK(&e, "publish");
	/* Adopted: the control the pushed CRL left valid, the old control revoked. */
	CU_ASSERT_EQUAL(count_of(&e, "SELECT count(*) FROM canaries"), 3);
	CU_ASSERT_EQUAL(count_of(&e, "SELECT count(*) FROM canaries WHERE revoked_at IS NULL"), 1);
	free(sh_out("rm -f '%s/crl.pem' && '%s' --home '%s' crl --out '%s/crl.pem'", e.base, tl_bin(),
		    e.home, e.base));
	c = control_serial(&e);
	CU_ASSERT(canary_verifies(&e, c));
	free(c);
	r = tl_cd(e.home, "verify", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	if (r.status)
		fprintf(stderr, "%s%s", r.out, r.err);
	tl_free(&r);
}

static void test_killed_before_push(void)
{
	env e;
	char *files;
	tl_result r;

	env_new(&e, 1);
	kill_at(&e, 0);
	CD_OK(&e, "publish");
	/* The unpublished files are gone; the CRL pushed now rotated from the old control. */
	CU_ASSERT_EQUAL(count_of(&e, "SELECT count(*) FROM canaries"), 3);
	files = sh_out("ls '%s/ca/canary' | wc -l", e.home);
	CU_ASSERT_EQUAL(atoi(files), 6);
	free(files);
	r = tl_cd(e.home, "verify", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	if (r.status)
		fprintf(stderr, "%s%s", r.out, r.err);
	tl_free(&r);
}

/* ---- probes against openssl s_server ---- */

static int port_open(int port)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static int free_port(void)
{
	int p, tries;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (tries = 0; tries < 50; tries++)
		if (!port_open(p = 20000 + rand() % 30000))
			return p;
	return 0;
}

typedef struct {
	int port, pid;
} server;

/* s_server checking client certificates on cafile and the CRL file crl (-www: HTTP);
 * cafile NULL: asking for none. */
static server server_start(env *e, const char *cafile, const char *crl)
{
	server s = {free_port(), 0};
	char *pid;
	int i;

	char *check = cafile ? cd_asprintf("-Verify 1 -verify_return_error -CAfile '%s' -CRL '%s' "
					   "-crl_check", cafile, crl) : cd_strdup("");

	pid = sh_out("cd '%s' && { [ -f srv.key ] || openssl req -x509 -newkey ec -pkeyopt "
		     "ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.crt -subj /CN=localhost "
		     "-days 30 2>/dev/null; } && { openssl s_server -quiet -accept 127.0.0.1:%d "
		     "-cert srv.crt -key srv.key %s -www </dev/null >/dev/null 2>&1 & echo $!; }",
		     e->base, s.port, check);
	free(check);
	s.pid = atoi(pid);
	free(pid);
	for (i = 0; i < 100 && !port_open(s.port); i++)
		usleep(20000);
	CU_ASSERT(port_open(s.port));
	return s;
}

static void server_stop(server *s)
{
	if (s->pid > 0)
		kill(s->pid, 9);
	s->pid = 0;
}

static tl_result probe(env *e, const char *fmt, int port)
{
	char https[64], tls[64];

	snprintf(https, sizeof https, "https://127.0.0.1:%d/", port);
	snprintf(tls, sizeof tls, "127.0.0.1:%d", port);
	return tl_cd(e->home, "--format", fmt, "probe", "--timeout", "8", https, tls, NULL);
}

static void test_probe_states(void)
{
	env e;
	server s;
	char *crl1, *cafile, *bad, *metrics, *text, target[160];
	tl_result r;
	int closed;

	env_new(&e, 1);
	/* Before any server: nothing to probe without a target, and no read-only probe. */
	tl_refused(e.home, e.out, "no target to probe", TL_ARGS("probe"));
	tl_refused(e.home, e.out, "read-only", TL_ARGS("--read-only", "probe", "h:1"));
	crl1 = cd_asprintf("%s/crl1.pem", e.base);
	cafile = cd_asprintf("%s/ca/ca.crt", e.home);
	free(sh_out("rm -f '%s' && '%s' --home '%s' crl --out '%s'", crl1, tl_bin(), e.home, crl1));
	s = server_start(&e, cafile, crl1);
	r = probe(&e, "tsv", s.port);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(tl_count_lines(r.out), 3);
	CU_ASSERT(tl_contains(r.out, "\tcurrent\t0\t"));
	if (r.status)
		fprintf(stderr, "%s%s", r.out, r.err);
	tl_free(&r);
	/* A new CRL the server does not have yet: stale, one behind, within the grace. */
	CD_OK(&e, "revoke", "bob", "--now");
	CD_OK(&e, "publish");
	r = probe(&e, "tsv", s.port);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "\tstale\t1\t") && !tl_contains(r.out, "current"));
	if (r.status)
		fprintf(stderr, "%s%s", r.out, r.err);
	tl_free(&r);
	CD_OK(&e, "config", "probe.grace_hours", "0");
	r = probe(&e, "nagios", s.port);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.out, "CERTDESK WARNING - servers: 0/2 current"));
	tl_free(&r);
	CD_OK(&e, "config", "probe.limit_hours", "1");
	free(sh_out("sqlite3 '%s/certdesk.db' 'UPDATE canaries SET pushed_at = pushed_at - 7200'",
		    e.home));
	r = probe(&e, "nagios", s.port);
	CU_ASSERT_EQUAL(r.status, 2);
	tl_free(&r);
	server_stop(&s);
	/* The server reloaded with the new CRL: current. */
	free(sh_out("rm -f '%s' && '%s' --home '%s' crl --out '%s'", crl1, tl_bin(), e.home, crl1));
	s = server_start(&e, cafile, crl1);
	r = probe(&e, "json", s.port);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "\"state\":\"current\"") ||
		  tl_contains(r.out, "\"state\": \"current\""));
	tl_free(&r);
	server_stop(&s);
	/* A wrong CA bundle: every client certificate refused, critical. */
	bad = cd_asprintf("%s/srv.crt", e.base);
	s = server_start(&e, bad, crl1);
	r = probe(&e, "text", s.port);
	CU_ASSERT_EQUAL(r.status, 2);
	CU_ASSERT(tl_contains(r.out, "refusing every client certificate"));
	tl_free(&r);
	server_stop(&s);
	/* No certificate asked for: anyone gets in, critical. */
	s = server_start(&e, NULL, NULL);
	r = probe(&e, "tsv", s.port);
	CU_ASSERT_EQUAL(r.status, 2);
	CU_ASSERT(tl_contains(r.out, "\tunchecked\t"));
	tl_free(&r);
	server_stop(&s);
	/* A closed port: unreachable (UNKNOWN), quickly. */
	closed = free_port();
	r = probe(&e, "tsv", closed);
	CU_ASSERT_EQUAL(r.status, 3);
	CU_ASSERT(tl_contains(r.out, "\tunreachable\t"));
	tl_free(&r);
	/* Each run recorded, with an audit line. */
	CU_ASSERT(count_of(&e, "SELECT count(DISTINCT run) FROM probe_results") == 8);
	CU_ASSERT(count_of(&e, "SELECT count(*) FROM probe_results WHERE level = 2") >= 4);
	r = tl_cd(e.home, "log", NULL);
	CU_ASSERT(tl_contains(r.out, "probe"));
	tl_free(&r);
	/* With a target configured, expirecheck and the metrics report the last probe. */
	snprintf(target, sizeof target, "127.0.0.1:%d", closed);
	CD_OK(&e, "config", "probe.targets", target);
	r = tl_cd(e.home, "expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 1);
	if (r.status != 1)
		fprintf(stderr, "expirecheck: %d %s%s\n", r.status, r.out, r.err);
	CU_ASSERT(tl_contains(r.out, "servers: 0/2 current") && tl_contains(r.out, "unreachable"));
	tl_free(&r);
	r = tl_cd(e.home, "--format", "nagios", "expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.out, "CERTDESK WARNING - ") && tl_contains(r.out, "; servers: 0/2"));
	tl_free(&r);
	metrics = cd_asprintf("%s/metrics.prom", e.base);
	CD_OK(&e, "metrics", "--out", metrics);
	r = tl_sh("promtool check metrics < '%s' 2>&1", metrics);
	CU_ASSERT_EQUAL(r.status, 0);
	if (r.status)
		fprintf(stderr, "promtool: %s\n", r.out);
	tl_free(&r);
	text = tl_read(metrics);
	snprintf(target, sizeof target, "certdesk_probe_level{target=\"127.0.0.1:%d\","
		 "state=\"unreachable\"} 3\n", closed);
	CU_ASSERT(tl_contains(text, target));
	free(text), free(metrics);
	free(crl1), free(cafile), free(bad);
}

/* A revoked canary past its end leaves the next CRL, and its files go. */
static void test_expired_drop_out(void)
{
	env e;
	char *s, *old, *path;
	tl_result r;

	env_new(&e, 1);
	old = newest_revoked(&e);
	/* Its end moved into the past (the row is what publish judges by). */
	free(sql(&e, "UPDATE canaries SET not_after = strftime('%s','now') - 60 WHERE revoked_at "
		 "IS NOT NULL"));
	CD_OK(&e, "revoke", "bob", "--now");
	CD_OK(&e, "publish");
	s = crl_serials(&e);
	CU_ASSERT(!tl_contains(s, old));
	CU_ASSERT_EQUAL(tl_count_lines(s), 2); /* bob, and the control before */
	free(s);
	CU_ASSERT_EQUAL(count_of(&e, "SELECT count(*) FROM canaries WHERE dropped_at IS NOT NULL"),
			1);
	r = tl_cd(e.home, "verify", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	/* The next publish removes its files. */
	CD_OK(&e, "publish");
	path = cd_asprintf("%s/ca/canary/%s.key", e.home, old);
	CU_ASSERT_EQUAL(tl_mode(path), -1);
	free(path);
	free(old);
}

/* A backup holds the canaries: the restored home probes on at once. */
static void test_backup_restore(void)
{
	env e;
	char *pass, *file, *home2, *ctl, *path;
	tl_result r;

	env_new(&e, 1);
	pass = cd_asprintf("%s/pass", e.base);
	file = cd_asprintf("%s/home.backup", e.base);
	home2 = cd_asprintf("%s/home2", e.base);
	free(sh_out("echo 'a long backup passphrase' > '%s'", pass));
	CD_OK(&e, "backup", file, "--passphrase-file", pass);
	r = tl_cd(home2, "restore", file, "--passphrase-file", pass, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	ctl = control_serial(&e);
	path = cd_asprintf("%s/ca/canary/%s.key", home2, ctl);
	CU_ASSERT_EQUAL(tl_mode(path), 0600);
	free(path);
	path = cd_asprintf("%s/ca/canary/%s.crt", home2, ctl);
	CU_ASSERT(tl_mode(path) >= 0 && (tl_mode(path) & 077) == 0);
	free(path);
	free(ctl), free(pass), free(file), free(home2);
}

/* Migration 8 again on its own tables (the version set back by hand) keeps them. */
static void test_migration_again(void)
{
	env e;
	char *v;

	env_new(&e, 1);
	free(sql(&e, "PRAGMA user_version = 7"));
	CD_OK(&e, "list");
	v = sql(&e, "PRAGMA user_version");
	CU_ASSERT_STRING_EQUAL(v, "8\n");
	free(v);
	CU_ASSERT_EQUAL(count_of(&e, "SELECT count(*) FROM canaries"), 2);
}

static char *dashboard(env *e, const int *keys, size_t n)
{
	ui_opts o = {1, 1, 0};
	char *screen = NULL;
	desk d;

	CU_ASSERT_FATAL(desk_open(&d, e->home, DESK_READONLY) == 0);
	CU_ASSERT(ui_run_script(&d, &o, keys, n, 120, 30, &screen) == 0);
	CU_ASSERT_EQUAL(d.signing, 0);
	desk_close(&d);
	return screen ? screen : cd_strdup("");
}

/* The header says how many servers are current once targets are configured; S shows the
 * last probe, in the read-only view too, without running one. */
static void test_dashboard(void)
{
	static const int none[] = {UI_KEY_TICK}, servers[] = {'S'};
	env e;
	char *s, target[64];
	int port = free_port();

	env_new(&e, 1);
	s = dashboard(&e, none, 1);
	CU_ASSERT(tl_contains(s, "CRL #") && !tl_contains(s, "servers:"));
	free(s);
	snprintf(target, sizeof target, "127.0.0.1:%d", port);
	CD_OK(&e, "config", "probe.targets", target);
	s = dashboard(&e, none, 1);
	CU_ASSERT(tl_contains(s, "servers: not probed yet"));
	free(s);
	{
		tl_result r = tl_cd(e.home, "probe", NULL);

		CU_ASSERT_EQUAL(r.status, 3);
		tl_free(&r);
	}
	s = dashboard(&e, none, 1);
	CU_ASSERT(tl_contains(s, "servers: 0/1 current"));
	free(s);
	s = dashboard(&e, servers, 1);
	CU_ASSERT(tl_contains(s, "servers: probed") && tl_contains(s, target) &&
		  tl_contains(s, "unreachable"));
	free(s);
	CU_ASSERT_EQUAL(count_of(&e, "SELECT count(*) FROM probe_results"), 1);
}

int main(void)
{
	static CU_TestInfo targets[] = {
		{"the target parser: accepted and refused forms", test_targets},
		CU_TEST_INFO_NULL,
	};
	static CU_TestInfo canaries[] = {
		{"no probing configured: no canary, none in the CRL", test_no_probe_no_canary},
		{"each publish that signs a CRL revokes the control, issues the next",
		 test_canaries_rotate},
		{"a failed push leaves database and files as they were", test_push_fails},
		{"killed after the push: the next publish adopts the canaries", test_killed_after_push},
		{"killed before the push: the next publish removes them", test_killed_before_push},
		{"an expired canary leaves the CRL, then its files go", test_expired_drop_out},
		{"migration 8 run again keeps the canaries", test_migration_again},
		{"a backup and its restore keep the canaries", test_backup_restore},
		CU_TEST_INFO_NULL,
	};
	static CU_TestInfo probes[] = {
		{"current, stale, refusing, unreachable against s_server", test_probe_states},
		{"the dashboard's header and S, read-only", test_dashboard},
		CU_TEST_INFO_NULL,
	};
	static const tl_suite suites[] = {
		{"targets", targets}, {"canaries", canaries}, {"probe", probes}, {NULL, NULL}};

	return tl_main(suites);
}
