/* test_dash.c: the core rules the dashboard work brought, through the command line:
 * task ids as people paste them, and what a renewal changed, in its result and the
 * audit trail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static char out[800];

static const char *home_with(const char *user, const char *days)
{
	const char *h = tl_home();
	char email[128];
	tl_result r;

	snprintf(out, sizeof out, "%s/out", h);
	r = tl_sh("mkdir -p '%s'", out);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	free(tl_cd_ok(h, TL_ARGS("config", "out.dir", out)));
	snprintf(email, sizeof email, "%s@example.org", user);
	free(tl_cd_ok(h, TL_ARGS("create", user, "--name", "Zoë Ångström", "--email", email,
				 "--phone", "+41 79 555 01 01", "--days", days)));
	return h;
}

/* The task recorded for user, as show prints it. */
static int shows_task(const char *h, const char *user, const char *task)
{
	char *o = tl_cd_ok(h, TL_ARGS("show", user));
	int rc = tl_contains(o, task);

	if (!rc)
		fprintf(stderr, "\nshow %s: no %s in:\n%s\n", user, task, o);
	free(o);
	return rc;
}

static void test_task_ids_as_pasted(void)
{
	static const struct {
		const char *pasted, *id;
	} ok[] = {
		{"4567", "T4567"},
		{" T4568 ", "T4568"},
		{"\tT4569\n", "T4569"},
		{"https://phabricator.wikimedia.org/T4570", "T4570"},
		{"https://phabricator.wikimedia.org/T4571#comment-12", "T4571"},
		{" https://phabricator.wikimedia.org/T4572/ ", "T4572"},
	};
	const char *h = home_with("zoe", "20");
	size_t i;

	for (i = 0; i < sizeof ok / sizeof *ok; i++) {
		char *o = tl_cd_ok(h, TL_ARGS("task", "zoe", ok[i].pasted)), want[64];

		snprintf(want, sizeof want, "zoe: task %s\n", ok[i].id); /* as recorded */
		CU_ASSERT(tl_contains(o, want));
		free(o);
		CU_ASSERT(shows_task(h, "zoe", ok[i].id));
	}
	free(tl_cd_ok(h, TL_ARGS("notify", "zoe", "--task", "https://phabricator.wikimedia.org/T9")));
	CU_ASSERT(shows_task(h, "zoe", "T9"));
	/* another server's URL is not a task of this one: refused, the whole value shown */
	tl_refused(h, out, "invalid task id 'https://phabricator.example.net/T4573': expected",
		   TL_ARGS("task", "zoe", "https://phabricator.example.net/T4573"));
	tl_refused(h, out, "invalid task id 'T45x'", TL_ARGS("task", "zoe", "T45x"));
	tl_refused(h, out, "invalid task id '  '", TL_ARGS("task", "zoe", "  "));
	/* a configured address with a final slash reads the same */
	free(tl_cd_ok(h, TL_ARGS("config", "phab.url", "https://tasks.example.org/")));
	free(tl_cd_ok(h, TL_ARGS("task", "zoe", "https://tasks.example.org/T4574")));
	CU_ASSERT(shows_task(h, "zoe", "T4574"));
}

/* What python's json module reads as the detail of the user's last renew row. */
static char *json_renew_detail(const char *h, const char *user)
{
	return tl_sh_out("'%s' --home '%s' --format json log '%s' | python3 -c \"import json,sys; "
			 "print([r['detail'] for r in json.load(sys.stdin) if r['action'] == "
			 "'renew'][-1])\"", tl_bin(), h, user);
}

/* A renewal that changes details names them, and the audit trail keeps old and new; one
 * that changes nothing says nothing. The bundle goes where the last one went. */
static void test_renewal_changes(void)
{
	const char *h = home_with("ann", "10");
	char out2[900], *o, *detail;

	snprintf(out2, sizeof out2, "%s2", out);
	free(tl_sh_out("mkdir -p '%s'", out2));
	free(tl_cd_ok(h, TL_ARGS("config", "out.dir", out2)));
	free(tl_cd_ok(h, TL_ARGS("notify", "ann", "--task", "T1")));
	o = tl_cd_ok(h, TL_ARGS("renew", "ann", "--email", "ann2@example.org", "--location",
				"Genève", "--phone", "+41 79 555 01 01"));
	CU_ASSERT(tl_contains(o, "\n  changed: email, location\n")); /* the phone is the same */
	CU_ASSERT(tl_contains(o, out) && !tl_contains(o, out2)); /* the last bundle's directory */
	free(o);
	o = tl_cd_ok(h, TL_ARGS("log", "ann"));
	CU_ASSERT(tl_contains(o, "changed: email \"ann@example.org\" -> \"ann2@example.org\", "
			      "location \"\" -> \"Genève\""));
	free(o);
	detail = json_renew_detail(h, "ann");
	CU_ASSERT(tl_contains(detail, "; changed: email \"ann@example.org\" -> "
			      "\"ann2@example.org\", location \"\" -> \"Genève\"\n"));
	free(detail);
	o = tl_cd_ok(h, TL_ARGS("show", "ann")); /* the record has the new details */
	CU_ASSERT(tl_contains(o, "ann2@example.org") && tl_contains(o, "Genève"));
	free(o);
	o = tl_cd_ok(h, TL_ARGS("renew", "ann"));
	CU_ASSERT(!tl_contains(o, "changed"));
	free(o);
	detail = json_renew_detail(h, "ann");
	CU_ASSERT(tl_contains(detail, "serial ") && !tl_contains(detail, "changed"));
	free(detail);
}

/* log USER shows the publishing of the user's revocation, with the commit git has;
 * log alone is the whole trail, everyone's. */
static void test_publish_in_user_log(void)
{
	const char *h = home_with("bea", "10");
	char remote[900], *o, *head, *serial, want[200];

	snprintf(remote, sizeof remote, "%s/crl.git", h);
	free(tl_sh_out("git init -q --bare '%s'", remote));
	free(tl_cd_ok(h, TL_ARGS("config", "crl.remote", remote)));
	free(tl_cd_ok(h, TL_ARGS("create", "cid", "--name", "Cid", "--email", "cid@example.org")));
	serial = tl_sh_out("sqlite3 '%s/certdesk.db' \"SELECT serial FROM certs c JOIN users u "
			   "ON u.id = c.user_id WHERE u.name = 'bea'\"", h);
	serial[strcspn(serial, "\n")] = '\0';
	free(tl_cd_ok(h, TL_ARGS("renew", "bea")));
	free(tl_cd_ok(h, TL_ARGS("applied", "bea")));
	free(tl_cd_ok(h, TL_ARGS("publish")));
	/* the commit that revokes it, as git has it */
	head = tl_sh_out("git --git-dir='%s' log --format=%%H --grep='%s' main", remote, serial);
	CU_ASSERT_FATAL(strlen(head) >= 40);
	snprintf(want, sizeof want, "\tpublish\tbea\tserial %s in CRL 1, commit %.12s\n", serial,
		 head);
	o = tl_cd_ok(h, TL_ARGS("--format", "tsv", "log", "bea"));
	CU_ASSERT(tl_contains(o, want));
	CU_ASSERT(!tl_contains(o, "cid"));
	free(o);
	o = tl_cd_ok(h, TL_ARGS("--format", "tsv", "log"));
	CU_ASSERT(tl_contains(o, want) && tl_contains(o, "\tcreate\tcid\t"));
	free(o);
	free(head);
	free(serial);
}

static CU_TestInfo cli_tests[] = {
	{"task ids: trimmed, a bare number, a task URL of phab.url", test_task_ids_as_pasted},
	{"a renewal names what changed; the audit keeps old and new", test_renewal_changes},
	{"log USER shows the publishing of their revocation", test_publish_in_user_log},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const tl_suite suites[] = {
		{"dash", cli_tests},
		{NULL, NULL},
	};

	return tl_main(suites);
}
