/* test_cmd.c: the command table: the option spec parser and its refusals, that every
 * verb has its handler, that the usage, --help and the man page come from the spec, and
 * that a slip is refused before the home is opened. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "testlib.h"
#include "util.h"

#define ARGS TL_ARGS

static int count(const char *const *args)
{
	int n = 0;

	while (args[n])
		n++;
	return n;
}

/* The parser never writes into argv; main's is not const, these literals are. */
static int parse(cmd_id id, const char *const *args, cmd_args *a)
{
	return cmd_parse(&cmd_table[id], count(args), (char *const *)args, a);
}

static void refuses(cmd_id id, const char *want, const char *const *args)
{
	cmd_args a;
	char verb[32];
	int rc = parse(id, args, &a);

	snprintf(verb, sizeof verb, "%s: ", cmd_table[id].verb);
	if (rc == 0 || !tl_contains(cd_errmsg(), want))
		fprintf(stderr, "\n%s %s...: rc %d, \"%s\" (wanted \"%s\")\n", cmd_table[id].verb,
			args[0] ? args[0] : "", rc, rc ? cd_errmsg() : "", want);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT(tl_contains(cd_errmsg(), want));
	CU_ASSERT(strncmp(cd_errmsg(), verb, strlen(verb)) == 0);
}

/* ---- the parser ---- */

static void test_parse_values(void)
{
	cmd_args a;

	CU_ASSERT_EQUAL_FATAL(parse(CMD_REVOKE, ARGS("--reason", "superseded", "bob"), &a), 0);
	CU_ASSERT_STRING_EQUAL(cmd_arg(&a, "reason"), "superseded");
	CU_ASSERT(!cmd_flag(&a, "now"));
	CU_ASSERT_EQUAL(a.npos, 1);
	CU_ASSERT_STRING_EQUAL(a.pos[0], "bob");

	CU_ASSERT_EQUAL_FATAL(parse(CMD_REVOKE, ARGS("bob", "--reason=keyCompromise", "--now"),
				    &a), 0);
	CU_ASSERT_STRING_EQUAL(cmd_arg(&a, "reason"), "keyCompromise");
	CU_ASSERT(cmd_flag(&a, "now"));

	/* "--x=" gives the empty value; "--x V" takes V whatever it looks like. */
	CU_ASSERT_EQUAL_FATAL(parse(CMD_RENEW, ARGS("bob", "--org=", "--ou", "--x"), &a), 0);
	CU_ASSERT_STRING_EQUAL(cmd_arg(&a, "org"), "");
	CU_ASSERT_STRING_EQUAL(cmd_arg(&a, "ou"), "--x");
	CU_ASSERT_PTR_NULL(cmd_arg(&a, "name"));
	CU_ASSERT_PTR_NULL(cmd_arg(&a, "no-such-option"));

	CU_ASSERT_EQUAL_FATAL(parse(CMD_RENEW, ARGS("--days", "825", "bob"), &a), 0);
	CU_ASSERT_EQUAL(cmd_num(&a, "days", 7), 825);
	CU_ASSERT_EQUAL_FATAL(parse(CMD_RENEW, ARGS("--days=1", "bob"), &a), 0);
	CU_ASSERT_EQUAL(cmd_num(&a, "days", 7), 1);
	CU_ASSERT_EQUAL_FATAL(parse(CMD_RENEW, ARGS("bob"), &a), 0);
	CU_ASSERT_EQUAL(cmd_num(&a, "days", 7), 7);
	CU_ASSERT_EQUAL_FATAL(parse(CMD_EXPIRECHECK, ARGS("--days", "0"), &a), 0);
	CU_ASSERT(cmd_flag(&a, "days"));
	CU_ASSERT_EQUAL(cmd_num(&a, "days", 30), 0);

	/* Positionals in order, options between them; "-" is standard input, not an option. */
	CU_ASSERT_EQUAL_FATAL(parse(CMD_SEEN, ARGS("a.log", "-", "b.log"), &a), 0);
	CU_ASSERT_EQUAL(a.npos, 3);
	CU_ASSERT_STRING_EQUAL(a.pos[1], "-");
	CU_ASSERT_EQUAL_FATAL(parse(CMD_IMPORT, ARGS("--apply", "easyrsa", "--config", "c", "pki"),
				    &a), 0);
	CU_ASSERT_STRING_EQUAL(a.pos[0], "easyrsa");
	CU_ASSERT_STRING_EQUAL(a.pos[1], "pki");
	CU_ASSERT_STRING_EQUAL(cmd_arg(&a, "config"), "c");
}

static void test_parse_refusals(void)
{
	refuses(CMD_REVOKE, "unknown option --colour", ARGS("bob", "--colour", "x"));
	refuses(CMD_LIST, "unknown option --al", ARGS("--al"));
	refuses(CMD_SHOW, "unknown option --all", ARGS("bob", "--all"));
	refuses(CMD_REVOKE, "option --reason given twice",
		ARGS("bob", "--reason", "superseded", "--reason=superseded"));
	refuses(CMD_LIST, "option --all given twice", ARGS("--all", "--all"));
	refuses(CMD_CRL, "option --out needs a value", ARGS("--out"));
	refuses(CMD_REVOKE, "option --reason needs a value", ARGS("bob", "--reason"));
	refuses(CMD_LIST, "option --all takes no value", ARGS("--all=yes"));
	refuses(CMD_PUBLISH, "option --dry-run takes no value", ARGS("--dry-run="));
	refuses(CMD_RENEW, "invalid --days '826': expected a whole number from 1 to 825",
		ARGS("bob", "--days", "826"));
	refuses(CMD_RENEW, "from 1 to", ARGS("bob", "--days=0"));
	refuses(CMD_RENEW, "from 1 to", ARGS("bob", "--days", "1y"));
	refuses(CMD_RENEW, "from 1 to", ARGS("bob", "--days", ""));
	refuses(CMD_EXPIRECHECK, "from 0 to 3650", ARGS("--days", "-1"));
	refuses(CMD_INIT, "from 1 to 36500", ARGS("--days", "36501"));
	refuses(CMD_REVOKE, "invalid --reason 'foo': expected one of unspecified|keyCompromise",
		ARGS("bob", "--reason", "foo"));
	refuses(CMD_CREATE, "invalid --key 'dsa': expected one of ec|rsa",
		ARGS("bob", "--name", "B", "--email", "b@x.org", "--key=dsa"));
	refuses(CMD_RENEW, "invalid --p12 'rc2': expected one of compat|modern",
		ARGS("bob", "--p12", "rc2"));
	refuses(CMD_TASK, "unexpected argument 'extra'", ARGS("bob", "T1", "extra"));
	refuses(CMD_LIST, "unexpected argument 'bob'", ARGS("bob"));
	refuses(CMD_TASK, "too few arguments (usage: certdesk task USER T123456)", ARGS("bob"));
	refuses(CMD_REVOKE, "too few arguments", ARGS("--now"));
	refuses(CMD_IMPORT, "too few arguments", ARGS("easyrsa"));
	refuses(CMD_CREATE, "option --email is required", ARGS("bob", "--name", "B"));
	refuses(CMD_CREATE, "option --name is required", ARGS("bob", "--email", "b@x.org"));
}

/* seen takes as many logs as CMD_POS_MAX, and refuses the one after. */
static void test_parse_many_positionals(void)
{
	const char *args[CMD_POS_MAX + 2];
	cmd_args a;
	int i;

	for (i = 0; i <= CMD_POS_MAX; i++)
		args[i] = "x.log";
	args[CMD_POS_MAX] = NULL;
	CU_ASSERT_EQUAL(parse(CMD_SEEN, args, &a), 0);
	CU_ASSERT_EQUAL(a.npos, CMD_POS_MAX);
	args[CMD_POS_MAX] = "one.more";
	args[CMD_POS_MAX + 1] = NULL;
	refuses(CMD_SEEN, "unexpected argument 'one.more'", args);
}

/* Whether a use writes comes from the parsed flags, so "--dry-run" is what counts. */
static void test_writes_from_args(void)
{
	cmd_args a;

	CU_ASSERT_EQUAL_FATAL(parse(CMD_PUBLISH, ARGS("--dry-run"), &a), 0);
	CU_ASSERT(!cmd_writes(&a));
	CU_ASSERT_EQUAL_FATAL(parse(CMD_PUBLISH, ARGS(NULL), &a), 0);
	CU_ASSERT(cmd_writes(&a));
	CU_ASSERT_EQUAL_FATAL(parse(CMD_IMPORT, ARGS("easyrsa", "pki"), &a), 0);
	CU_ASSERT(!cmd_writes(&a));
	CU_ASSERT_EQUAL_FATAL(parse(CMD_IMPORT, ARGS("easyrsa", "pki", "--apply"), &a), 0);
	CU_ASSERT(cmd_writes(&a));
	CU_ASSERT_EQUAL_FATAL(parse(CMD_LIST, ARGS("--all"), &a), 0);
	CU_ASSERT(!cmd_writes(&a));
}

/* ---- the table ---- */

static int is_verb(const cmd_info *c)
{
	return c->verb && !(c->flags & CMD_UI);
}

static void test_every_verb_has_a_handler(void)
{
	int i;

	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];

		CU_ASSERT_EQUAL(c->id, (cmd_id)i);
		if (is_verb(c) != (cli_handler_of(c->id) != NULL))
			fprintf(stderr, "\ncommand %d (%s): verb and handler disagree\n", i,
				c->verb ? c->verb : c->help);
		CU_ASSERT_EQUAL(is_verb(c), cli_handler_of(c->id) != NULL);
		/* A dashboard key has no command line to parse. */
		if (c->flags & CMD_UI)
			CU_ASSERT(!c->verb && !c->opts && !c->args.names);
	}
	CU_ASSERT_PTR_NULL(cli_handler_of(CMD_COUNT));
}

/* What the parser relies on: room for every option and argument, types only on
 * options with a value, one name once. */
static void test_specs_fit(void)
{
	int i, k, j;

	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];

		CU_ASSERT(c->args.min <= c->args.max && c->args.max <= CMD_POS_MAX);
		CU_ASSERT((c->args.max > 0) == (c->args.names != NULL));
		for (k = 0; c->opts && c->opts[k].name; k++) {
			const cmd_opt *o = &c->opts[k];

			CU_ASSERT(k < CMD_OPTS_MAX);
			CU_ASSERT(o->value || (!o->choices && o->min >= o->max && !o->required));
			CU_ASSERT(!o->choices || o->min >= o->max);
			CU_ASSERT(*o->name && !strchr(o->name, '='));
			for (j = 0; j < k; j++)
				CU_ASSERT(strcmp(c->opts[j].name, o->name) != 0);
		}
	}
}

/* A typed option's values are in hay as "VALUE: a|b|c" or "VALUE: min..max". */
static void has_domain(const char *hay, const cmd_opt *o)
{
	char want[160];

	if (o->choices)
		snprintf(want, sizeof want, "%s: %s", o->value, *o->choices);
	else
		snprintf(want, sizeof want, "%s: %ld..%ld", o->value, o->min, o->max);
	if (o->choices || o->min < o->max)
		CU_ASSERT(tl_contains(hay, want));
}

/* The usage names the verb, the positionals and every option with its value. */
static void test_usage_generated(void)
{
	char want[128];
	int i, k;

	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];
		char *u, *dom;

		if (!is_verb(c))
			continue;
		u = cmd_usage(c);
		dom = cmd_domains(c);
		CU_ASSERT(strncmp(u, c->verb, strlen(c->verb)) == 0);
		if (c->args.names)
			CU_ASSERT(tl_contains(u, c->args.names));
		for (k = 0; c->opts && c->opts[k].name; k++) {
			const cmd_opt *o = &c->opts[k];

			snprintf(want, sizeof want, "%s--%s%s%s%s", o->required ? " " : "[", o->name,
				 o->value ? " " : "", o->value ? o->value : "", o->required ? "" : "]");
			if (!tl_contains(u, want))
				fprintf(stderr, "\nusage of %s: no %s in %s\n", c->verb, want, u);
			CU_ASSERT(tl_contains(u, want));
			has_domain(dom, o);
		}
		free(u);
		free(dom);
	}
}

/* --help lists every verb, its help, every option and every range and choice. */
static void test_help_lists_the_spec(void)
{
	char *help = tl_cd_ok(tl_tmpdir(), ARGS("--help")), want[128];
	int i, k;

	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];

		if (!is_verb(c))
			continue;
		snprintf(want, sizeof want, "  %-12s %s\n", c->verb, c->help);
		CU_ASSERT(tl_contains(help, want));
		for (k = 0; c->opts && c->opts[k].name; k++) {
			const cmd_opt *o = &c->opts[k];

			snprintf(want, sizeof want, "--%s%s%s", o->name, o->value ? " " : "",
				 o->value ? o->value : "");
			CU_ASSERT(tl_contains(help, want));
			has_domain(help, o);
		}
	}
	CU_ASSERT(tl_contains(help, "REASON: unspecified|keyCompromise|affiliationChanged|"
			      "superseded|cessationOfOperation"));
	CU_ASSERT(tl_contains(help, "N: 1..825"));
	free(help);
}

/* Each of "a|b|c" is in hay, between sep and sep. */
static void has_each_choice(const char *hay, const char *choices, const char *sep)
{
	char want[96];

	while (*choices) {
		size_t n = strcspn(choices, "|");

		snprintf(want, sizeof want, "%s%.*s%s", sep, (int)n, choices, sep);
		if (!tl_contains(hay, want))
			fprintf(stderr, "\nno choice '%s'\n", want);
		CU_ASSERT(tl_contains(hay, want));
		choices += n + (choices[n] == '|');
	}
}

/* The man page names every option of every command, and every choice. */
static void test_man_page_options(void)
{
	char *man = tl_read("certdesk.1"), want[128];
	int i, k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(man);
	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];

		for (k = 0; is_verb(c) && c->opts && c->opts[k].name; k++) {
			const cmd_opt *o = &c->opts[k];
			const char *p = o->choices ? *o->choices : NULL;

			snprintf(want, sizeof want, "Fl \\-%s", o->name);
			if (!tl_contains(man, want))
				fprintf(stderr, "\nman page: %s has no --%s\n", c->verb, o->name);
			CU_ASSERT(tl_contains(man, want));
			if (p)
				has_each_choice(man, p, "");
		}
	}
	free(man);
}

/* What data/certdesk.bash completes after the words (the last one being completed). */
static char *complete(const char *words)
{
	tl_result r = tl_sh("bash -c '. data/certdesk.bash; COMP_WORDS=(certdesk %s); "
			    "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _certdesk; "
			    "echo \" ${COMPREPLY[*]} \"'", words);
	char *out = r.out;

	CU_ASSERT_EQUAL(r.status, 0);
	r.out = NULL;
	tl_free(&r);
	return out;
}

/* The completion, written by hand, offers every option of the spec and every choice. */
static void test_completion_options(void)
{
	char words[128], want[96], *got;
	int i, k;

	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];

		if (!is_verb(c) || !c->opts)
			continue;
		snprintf(words, sizeof words, "%s --", c->verb);
		got = complete(words);
		for (k = 0; c->opts[k].name; k++) {
			snprintf(want, sizeof want, " --%s ", c->opts[k].name);
			if (!tl_contains(got, want))
				fprintf(stderr, "\ncompletion: %s has no --%s\n", c->verb, c->opts[k].name);
			CU_ASSERT(tl_contains(got, want));
		}
		free(got);
		for (k = 0; c->opts[k].name; k++) {
			const char *p = c->opts[k].choices ? *c->opts[k].choices : NULL;

			if (!p)
				continue;
			snprintf(words, sizeof words, "%s --%s \"\"", c->verb, c->opts[k].name);
			got = complete(words);
			has_each_choice(got, p, " ");
			free(got);
		}
	}
}

/* ---- before the home ---- */

/* A slip is refused from the spec: on a directory that is no home, the refusal names
 * the slip, not the missing home, and nothing is created there. */
static void test_refused_before_the_home(void)
{
	const char *dir = tl_tmpdir(), *out = tl_tmpdir();
	tl_result r;

	tl_refused(dir, out, "revoke: invalid --reason 'foo'",
		   ARGS("revoke", "nobody", "--reason", "foo"));
	tl_refused(dir, out, "renew: invalid --days", ARGS("renew", "nobody", "--days", "9999"));
	tl_refused(dir, out, "create: option --email is required",
		   ARGS("create", "nobody", "--name", "N"));
	tl_refused(dir, out, "task: too few arguments (usage: certdesk task USER T123456)",
		   ARGS("task", "nobody"));
	tl_refused(dir, out, "list: unknown option --colour", ARGS("list", "--colour"));
	/* Read-only and --as-of judge what the line asks for, once it is read. */
	tl_refused(dir, out, "publish: option --dry-run takes no value",
		   ARGS("--read-only", "publish", "--dry-run=no"));
	tl_refused(dir, out, "no certdesk home", ARGS("revoke", "nobody", "--reason", "superseded"));
	CU_ASSERT_EQUAL(access(dir, F_OK), 0);
	/* expirecheck keeps its exit code for cron: 3, whatever went wrong. */
	r = tl_cd(dir, "expirecheck", "--days", "x", NULL);
	CU_ASSERT_EQUAL(r.status, 3);
	CU_ASSERT(tl_contains(r.err, "expirecheck: invalid --days 'x'"));
	CU_ASSERT_STRING_EQUAL(r.out, "");
	tl_free(&r);
	r = tl_cd(dir, "--expirecheck", "--bogus", NULL);
	CU_ASSERT_EQUAL(r.status, 3);
	CU_ASSERT(tl_contains(r.err, "unknown option --bogus"));
	tl_free(&r);
}

static CU_TestInfo parse_tests[] = {
	{"values: --x=V, --x V, flags, numbers, positionals", test_parse_values},
	{"every refusal names the verb and the slip", test_parse_refusals},
	{"as many positionals as CMD_POS_MAX, not one more", test_parse_many_positionals},
	{"whether a use writes comes from the parsed flags", test_writes_from_args},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo table_tests[] = {
	{"every verb has a handler, every handler a verb", test_every_verb_has_a_handler},
	{"every spec fits the parser", test_specs_fit},
	{"the usage is made from the spec", test_usage_generated},
	{"--help lists every option, range and choice", test_help_lists_the_spec},
	{"the man page names every option and choice", test_man_page_options},
	{"the bash completion offers every option and choice", test_completion_options},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo cli_tests[] = {
	{"slips are refused before the home is opened", test_refused_before_the_home},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {
		{"parser", parse_tests},
		{"table", table_tests},
		{"command line", cli_tests},
		{NULL, NULL},
	};

	return tl_main(suites);
}
