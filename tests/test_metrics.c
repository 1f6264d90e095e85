/* test_metrics.c: `certdesk metrics` and `expirecheck --format nagios` on real homes
 * (a bare git repository as the CRL remote), the exposition judged by promtool, the
 * values by list --format tsv, openssl and the exit codes Nagios reads. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "testlib.h"
#include "util.h"

typedef struct {
	char base[600], home[700], remote[700], out[700];
} env;

#define CD_OK(e, ...) tl_cd_ok((e)->home, TL_ARGS(__VA_ARGS__))

/* What a tl_sh() printed on standard output. */
static char *out_of(tl_result r)
{
	free(r.err);
	return r.out;
}

/* A home with a CA whose name needs escaping, and a bare repository as crl.remote. */
static void env_new(env *e)
{
	snprintf(e->base, sizeof e->base, "%s", tl_tmpdir());
	snprintf(e->home, sizeof e->home, "%s/home", e->base);
	snprintf(e->remote, sizeof e->remote, "%s/remote.git", e->base);
	snprintf(e->out, sizeof e->out, "%s/out", e->base);
	free(out_of(tl_sh("git init -q --bare -b main '%s' && mkdir -p '%s'", e->remote, e->out)));
	free(tl_cd_ok(e->home, TL_ARGS("init", "--cn", "Team \"Q\" CA\\x")));
	free(CD_OK(e, "config", "crl.remote", e->remote));
}

static void create(env *e, const char *user, const char *days)
{
	char mail[64];

	snprintf(mail, sizeof mail, "%s@example.org", user);
	free(CD_OK(e, "create", user, "--name", "Zoë Ångström", "--email", mail, "--days", days,
		   "--out", e->out));
}

static void renew(env *e, const char *user)
{
	free(CD_OK(e, "notify", user, "--task", "T100001"));
	free(CD_OK(e, "renew", user, "--out", e->out));
}

/*
 * As of two days on: gina expired, alice expiring, bob notified, carol renewed (her old
 * certificate's revocation held), dave done (applied, published), henry applied (ready),
 * frank revoked (ready), erin active.
 */
static void env_stages(env *e)
{
	env_new(e);
	create(e, "alice", "10");
	create(e, "bob", "10");
	free(CD_OK(e, "notify", "bob", "--task", "T100002"));
	create(e, "carol", "10");
	renew(e, "carol");
	create(e, "dave", "10");
	renew(e, "dave");
	free(CD_OK(e, "applied", "dave"));
	free(CD_OK(e, "publish"));
	create(e, "henry", "10");
	renew(e, "henry");
	free(CD_OK(e, "applied", "henry"));
	create(e, "frank", "200");
	free(CD_OK(e, "revoke", "frank"));
	create(e, "erin", "200");
	create(e, "gina", "1");
}

static void day_after(int days, char out[16])
{
	cd_format_date(cd_now() + days * CD_DAY, out);
}

/* The value of the sample whose line starts with prefix ("name{labels}"), -1 if none. */
static long long sample(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}

/* promtool's own check: the format, and its lint (names, units, HELP). */
static void promtool_ok(const char *path)
{
	tl_result r = tl_sh("promtool check metrics < '%s' 2>&1", path);

	if (r.status != 0 || *r.out)
		fprintf(stderr, "\npromtool: exit %d: %s\n", r.status, r.out);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "");
	tl_free(&r);
}

static long long unix_time_of(const char *openssl_date_cmd)
{
	char *s = out_of(tl_sh("date -u -d \"$(%s | sed 's/^[a-zA-Z]*=//')\" +%%s", openssl_date_cmd));
	long long t = atoll(s);

	free(s);
	return t;
}

/* Each user list shows has its serial and expiry in the metrics, and no one else. */
static void check_users(const char *metrics, const char *tsv)
{
	char user[80], serial[80], expiry[16], day[16], want[256];
	const char *line = strchr(tsv, '\n');
	long n = 0;

	for (; line && line[1]; line = strchr(line + 1, '\n')) {
		CU_ASSERT_EQUAL_FATAL(sscanf(line + 1, "%79[^\t]\t%*[^\t]\t%*[^\t]\t%79[^\t]\t%15[^\t]",
					     user, serial, expiry), 3);
		snprintf(want, sizeof want, "certdesk_cert_not_after_seconds{user=\"%s\",serial=\"%s\"}",
			 user, serial);
		CU_ASSERT(sample(metrics, want) > 0);
		cd_format_date(sample(metrics, want), day);
		CU_ASSERT_STRING_EQUAL(day, expiry);
		n++;
	}
	CU_ASSERT_EQUAL(n, 7);
	CU_ASSERT_EQUAL(tl_count_lines(strstr(metrics, "certdesk_cert_not_after_seconds{")), n);
}

/* certdesk_users{stage} as list --all counts its stage column. */
static void check_stages(env *e, const char *day, const char *metrics)
{
	static const char *const stages[] = {"expired", "expiring", "notified", "renewed",
					     "applied", "done", "revoked", "active"};
	char want[128], *n;
	size_t i;

	for (i = 0; i < sizeof stages / sizeof *stages; i++) {
		n = out_of(tl_sh("'%s' --home '%s' --as-of %s --format tsv list --all | cut -f7 | "
			   "grep -cx %s", tl_bin(), e->home, day, stages[i]));
		snprintf(want, sizeof want, "certdesk_users{stage=\"%s\"}", stages[i]);
		CU_ASSERT_EQUAL(sample(metrics, want), atoll(n));
		CU_ASSERT_EQUAL(atoll(n), 1);
		free(n);
	}
}

static void test_metrics_values(void)
{
	env e;
	char day[16], path[800], *m, *tsv;

	env_stages(&e);
	day_after(2, day);
	snprintf(path, sizeof path, "%s/certdesk.prom", e.base);
	free(CD_OK(&e, "--as-of", day, "metrics", "--out", path));
	promtool_ok(path);
	m = tl_read(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	tsv = CD_OK(&e, "--as-of", day, "--format", "tsv", "list");
	check_users(m, tsv);
	check_stages(&e, day, m);
	CU_ASSERT_EQUAL(sample(m, "certdesk_revocations_scheduled{state=\"ready\"}"), 2);
	CU_ASSERT_EQUAL(sample(m, "certdesk_revocations_scheduled{state=\"held\"}"), 1);
	CU_ASSERT_EQUAL(sample(m, "certdesk_crl_published"), 1);
	{
		char cmd[1600];

		snprintf(cmd, sizeof cmd, "'%s' --home '%s' crl | openssl crl -noout -nextupdate",
			 tl_bin(), e.home);
		CU_ASSERT_EQUAL(sample(m, "certdesk_crl_next_update_seconds"), unix_time_of(cmd));
		snprintf(cmd, sizeof cmd, "openssl x509 -noout -enddate -in '%s/ca/ca.crt'", e.home);
		CU_ASSERT_EQUAL(sample(m, "certdesk_ca_not_after_seconds{ca=\"Team \\\"Q\\\" CA\\\\x\"}"),
				unix_time_of(cmd));
	}
	{
		char *num = out_of(tl_sh("'%s' --home '%s' crl | openssl crl -noout -crlnumber | "
				   "sed 's/.*=//'", tl_bin(), e.home));
		CU_ASSERT_EQUAL(sample(m, "certdesk_crl_number"), strtoll(num, NULL, 16));
		free(num);
	}
	/* The push happened during this test, after its start. */
	CU_ASSERT(sample(m, "certdesk_last_publish_timestamp_seconds") > cd_now() - 600);
	CU_ASSERT(sample(m, "certdesk_last_publish_timestamp_seconds") <= cd_now());
	free(tsv);
	free(m);
}

/* Before any publish: no CRL values, the flag 0, and still valid for promtool. */
static void test_metrics_unpublished(void)
{
	env e;
	char path[800], *m;

	env_new(&e);
	create(&e, "alice", "100");
	snprintf(path, sizeof path, "%s/m.prom", e.base);
	m = CD_OK(&e, "--read-only", "metrics");
	CU_ASSERT_EQUAL(sample(m, "certdesk_crl_published"), 0);
	CU_ASSERT_EQUAL(sample(m, "certdesk_crl_next_update_seconds"), -1);
	CU_ASSERT(!tl_contains(m, "certdesk_last_publish"));
	CU_ASSERT_EQUAL(sample(m, "certdesk_users{stage=\"active\"}"), 1);
	CU_ASSERT_FATAL(cd_replace_file(path, m, strlen(m), 0644) == 0);
	promtool_ok(path);
	free(m);
}

/* A name that needs each escape the format has; none may be left raw. */
static void test_label_escaping(void)
{
	cd_buf b = {0};

	metrics_label(&b, "a\\b\"c\nd");
	CU_ASSERT_STRING_EQUAL(b.s, "\"a\\\\b\\\"c\\nd\"");
	cd_buf_free(&b);
	metrics_label(&b, "Zoë");
	CU_ASSERT_STRING_EQUAL(b.s, "\"Zoë\"");
	cd_buf_free(&b);
}

/* The file is replaced by a rename (a scraper holding the old one reads it whole), left
 * 0644 with no temporary file beside it; a directory is refused and left alone. */
static void test_metrics_atomic(void)
{
	env e;
	char path[900], old[800], dir[800], *before, *kept;
	struct stat s1, s2;

	env_new(&e);
	create(&e, "alice", "100");
	snprintf(dir, sizeof dir, "%s/textfile", e.base);
	snprintf(path, sizeof path, "%s/certdesk.prom", dir);
	snprintf(old, sizeof old, "%s/old.link", e.base);
	CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
	free(CD_OK(&e, "metrics", "--out", path));
	before = tl_read(path);
	CU_ASSERT_FATAL(stat(path, &s1) == 0 && link(path, old) == 0);
	create(&e, "bob", "100");
	free(CD_OK(&e, "metrics", "--out", path));
	CU_ASSERT_FATAL(stat(path, &s2) == 0);
	CU_ASSERT_NOT_EQUAL(s1.st_ino, s2.st_ino);
	kept = tl_read(old);
	CU_ASSERT_STRING_EQUAL(kept, before);
	CU_ASSERT(!tl_contains(kept, "user=\"bob\""));
	free(kept);
	kept = tl_read(path);
	CU_ASSERT(tl_contains(kept, "user=\"bob\""));
	CU_ASSERT_EQUAL(tl_mode(path), 0644);
	free(kept);
	free(before);
	kept = out_of(tl_sh("ls -A '%s'", dir));
	CU_ASSERT_STRING_EQUAL(kept, "certdesk.prom\n");
	free(kept);
	tl_refused(e.home, dir, "is a directory", TL_ARGS("metrics", "--out", dir));
}

/* The alert rule of the man page is a valid Prometheus rule file. */
static void test_man_alert_rule(void)
{
	char *rules = out_of(tl_sh("sed -n '/^groups:/,/^\\.Ed/p' certdesk.1 | sed '$d'"));
	char path[700];
	tl_result r;

	CU_ASSERT(tl_contains(rules, "certdesk_crl_next_update_seconds"));
	snprintf(path, sizeof path, "%s/rules.yml", tl_tmpdir());
	CU_ASSERT_FATAL(cd_replace_file(path, rules, strlen(rules), 0644) == 0);
	r = tl_sh("promtool check rules '%s' 2>&1", path);
	if (r.status)
		fprintf(stderr, "\npromtool check rules: %s\n", r.out);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "SUCCESS: 3 rules found"));
	tl_free(&r);
	free(rules);
}

/* Runs expirecheck --format nagios as of days on: one line, its level the exit code. */
static void nagios_is(env *e, int days, int code, const char *start, const char *perf)
{
	char day[16];
	tl_result r;

	day_after(days, day);
	r = tl_cdv(e->home, TL_ARGS("--as-of", day, "--expirecheck", "--format", "nagios"));
	if (r.status != code || strncmp(r.out, start, strlen(start)) || !tl_contains(r.out, perf))
		fprintf(stderr, "\nnagios (+%d days): exit %d: %s%s\n", days, r.status, r.out, r.err);
	CU_ASSERT_EQUAL(r.status, code);
	CU_ASSERT_EQUAL(strncmp(r.out, start, strlen(start)), 0);
	CU_ASSERT(tl_contains(r.out, perf));
	CU_ASSERT_EQUAL(tl_count_lines(r.out), 1);
	tl_free(&r);
}

static void test_nagios_levels(void)
{
	env e;
	tl_result r;

	env_new(&e);
	create(&e, "erin", "200");
	free(CD_OK(&e, "config", "crl.days", "20"));
	free(CD_OK(&e, "publish"));
	nagios_is(&e, 0, 0, "CERTDESK OK - no certificate due | ",
		  "expiring=0 notified=0 expired=0 held=0 ready=0 crl_days_left=20 ca_days_left=");
	/* The CRL inside crl.refresh_days: a warning, said on the line. */
	nagios_is(&e, 14, 1, "CERTDESK WARNING - no certificate due; the published CRL expires",
		  "crl_days_left=6 ");
	/* The CRL lapsed: every user locked out, critical with nobody due. */
	nagios_is(&e, 21, 2, "CERTDESK CRITICAL - no certificate due; CRL EXPIRED on ",
		  "crl_days_left=-1 ");
	create(&e, "alice", "10");
	create(&e, "bob", "10");
	free(CD_OK(&e, "notify", "bob"));
	nagios_is(&e, 0, 1, "CERTDESK WARNING - 1 expiring, 1 notified | ", "expiring=1 notified=1");
	nagios_is(&e, 11, 2, "CERTDESK CRITICAL - 2 expired | ", "expired=2");
	free(CD_OK(&e, "renew", "alice", "--out", e.out));
	nagios_is(&e, 0, 1, "CERTDESK WARNING - 1 notified | ", " held=1 ready=0");
	/* No home: UNKNOWN, on the line Nagios shows. */
	r = tl_cd(e.base, "--expirecheck", "--format", "nagios", NULL);
	CU_ASSERT_EQUAL(r.status, 3);
	CU_ASSERT(strncmp(r.out, "CERTDESK UNKNOWN - ", 19) == 0);
	CU_ASSERT_EQUAL(tl_count_lines(r.out), 1);
	tl_free(&r);
}

/* --cron: a reminder is printed and exits 0; an error still fails. Other listing
 * commands refuse the nagios format. */
static void test_cron_and_refusals(void)
{
	env e;
	tl_result r;

	env_new(&e);
	create(&e, "alice", "10");
	r = tl_cd(e.home, "--expirecheck", "--cron", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "alice") && tl_contains(r.out, "mail: mailto:"));
	tl_free(&r);
	r = tl_cd(e.home, "--expirecheck", NULL);
	CU_ASSERT_EQUAL(r.status, 1);
	tl_free(&r);
	r = tl_cd(e.base, "--expirecheck", "--cron", NULL);
	CU_ASSERT_EQUAL(r.status, 3);
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	tl_free(&r);
	tl_refused(e.home, e.out, "--format nagios is for expirecheck and probe",
		   TL_ARGS("--format", "nagios", "list"));
	tl_refused(e.home, e.out, "--format nagios is for expirecheck and probe",
		   TL_ARGS("--format", "nagios", "log"));
	tl_refused(e.home, e.out, "--format nagios is for expirecheck and probe",
		   TL_ARGS("--format", "nagios", "metrics"));
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"metrics of a home in every stage: promtool, list, openssl", test_metrics_values},
		{"metrics before any publish", test_metrics_unpublished},
		{"label values escaped", test_label_escaping},
		{"--out replaced atomically, a directory refused", test_metrics_atomic},
		{"the man page's alert rule passes promtool", test_man_alert_rule},
		{"nagios: a line and an exit code per level", test_nagios_levels},
		{"expirecheck --cron; nagios refused elsewhere", test_cron_and_refusals},
		CU_TEST_INFO_NULL,
	};
	static const tl_suite suites[] = {{"metrics", tests}, {NULL, NULL}};

	return tl_main(suites);
}
