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

static CU_TestInfo cli_tests[] = {
	{"task ids: trimmed, a bare number, a task URL of phab.url", test_task_ids_as_pasted},
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
