/* cmd.c: the command table, the one parser of its option specs, and the one read-only
 * check. */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const cmd_info cmd_table[CMD_COUNT] = {
#define CMD_INFO(id, verb, key, flags, opts, args, help) \
	{CMD_##id, verb, key, flags, opts, args, help},
	CMD_TABLE(CMD_INFO)
#undef CMD_INFO
};

const cmd_info *cmd_by_verb(const char *verb)
{
	int i;

	for (i = 0; i < CMD_COUNT; i++)
		if (cmd_table[i].verb && !(cmd_table[i].flags & CMD_UI) &&
		    strcmp(cmd_table[i].verb, verb) == 0)
			return &cmd_table[i];
	return NULL;
}

const cmd_info *cmd_by_key(int key)
{
	int i;

	for (i = 0; i < CMD_COUNT; i++)
		if (cmd_table[i].key == key && !(cmd_table[i].flags & CMD_CLI))
			return &cmd_table[i];
	return NULL;
}

static int opt_index(const cmd_info *c, const char *name, size_t len)
{
	int i;

	for (i = 0; c->opts && c->opts[i].name; i++)
		if (strlen(c->opts[i].name) == len && strncmp(c->opts[i].name, name, len) == 0)
			return i;
	return -1;
}

/* The usage in a refusal: what to type instead. */
static int usage_err(const cmd_info *c, const char *what)
{
	char *u = cmd_usage(c);

	cd_err("%s: %s (usage: certdesk %s)", c->verb, what, u);
	free(u);
	return -1;
}

/* A value against its option's type: a whole number in range, or one of the choices. */
static int check_value(const cmd_info *c, const cmd_opt *o, const char *v, long *num)
{
	char what[48];

	snprintf(what, sizeof what, "--%s", o->name);
	if (o->min < o->max && cd_parse_int(what, v, o->min, o->max, num) < 0)
		return cd_err("%s: %s", c->verb, cd_errmsg());
	if (o->choices && cd_check_choice(what, *o->choices, v) < 0)
		return cd_err("%s: %s", c->verb, cd_errmsg());
	return 0;
}

/* One "--x", "--x=V" or "--x V" at argv[*i]; *i moves past a value taken. */
static int parse_opt(const cmd_info *c, int argc, char *const *argv, int *i, cmd_args *a)
{
	const char *arg = argv[*i], *eq = strchr(arg, '=');
	int k = opt_index(c, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
	const cmd_opt *o;

	if (k < 0)
		return cd_err("%s: unknown option %.40s (see certdesk --help)", c->verb, arg);
	o = &c->opts[k];
	/* "--name A ... --name B" is a slip; taking either silently would be a guess. */
	if (a->set[k])
		return cd_err("%s: option --%s given twice", c->verb, o->name);
	a->set[k] = 1;
	if (!o->value)
		return eq ? cd_err("%s: option --%s takes no value", c->verb, o->name) : 0;
	if (eq)
		a->val[k] = eq + 1;
	else if (*i + 1 < argc)
		a->val[k] = argv[++*i];
	else
		return cd_err("%s: option --%s needs a value", c->verb, o->name);
	return check_value(c, o, a->val[k], &a->num[k]);
}

/* What only the whole line tells: required options, and how many positionals. */
static int parse_done(const cmd_info *c, const cmd_args *a)
{
	char what[64];
	int k;

	for (k = 0; c->opts && c->opts[k].name; k++)
		if (c->opts[k].required && !a->set[k]) {
			snprintf(what, sizeof what, "option --%s is required", c->opts[k].name);
			return usage_err(c, what);
		}
	if (a->npos < c->args.min)
		return usage_err(c, "too few arguments");
	return 0;
}

int cmd_parse(const cmd_info *c, int argc, char *const *argv, cmd_args *a)
{
	int i;

	memset(a, 0, sizeof *a);
	a->cmd = c;
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (strncmp(arg, "--", 2) == 0 && arg[2]) {
			if (parse_opt(c, argc, argv, &i, a) < 0)
				return -1;
		} else if (a->npos == c->args.max) {
			return cd_err("%s: unexpected argument '%.40s' (see certdesk --help)",
				      c->verb, arg);
		} else {
			a->pos[a->npos++] = arg;
		}
	}
	return parse_done(c, a);
}

static int arg_index(const cmd_args *a, const char *name)
{
	int k = opt_index(a->cmd, name, strlen(name));

	return k >= 0 && a->set[k] ? k : -1;
}

const char *cmd_arg(const cmd_args *a, const char *name)
{
	int k = arg_index(a, name);

	return k < 0 ? NULL : a->val[k];
}

int cmd_flag(const cmd_args *a, const char *name)
{
	return arg_index(a, name) >= 0;
}

long cmd_num(const cmd_args *a, const char *name, long def)
{
	int k = arg_index(a, name);

	return k < 0 ? def : a->num[k];
}

char *cmd_usage(const cmd_info *c)
{
	cd_buf b = {0};
	const cmd_opt *o;

	cd_buf_puts(&b, c->verb ? c->verb : "");
	if (c->args.names)
		cd_buf_printf(&b, " %s", c->args.names);
	for (o = c->opts; o && o->name; o++)
		cd_buf_printf(&b, " %s--%s%s%s%s", o->required ? "" : "[", o->name,
			      o->value ? " " : "", o->value ? o->value : "", o->required ? "" : "]");
	return cd_buf_take(&b);
}

char *cmd_domains(const cmd_info *c)
{
	cd_buf b = {0};
	const cmd_opt *o;

	for (o = c->opts; o && o->name; o++) {
		if (!o->choices && o->min >= o->max)
			continue;
		cd_buf_printf(&b, "%s%s: ", b.len ? "; " : "", o->value);
		if (o->choices)
			cd_buf_puts(&b, *o->choices);
		else
			cd_buf_printf(&b, "%ld..%ld", o->min, o->max);
	}
	return cd_buf_take(&b);
}

int cmd_writes(const cmd_args *a)
{
	const cmd_info *c = a->cmd;

	if (!(c->flags & CMD_WRITES))
		return 0;
	if ((c->flags & CMD_DRY_RUN) && cmd_flag(a, "dry-run"))
		return 0;
	return !(c->flags & CMD_APPLY) || cmd_flag(a, "apply");
}

int cmd_key_writes(const cmd_info *c)
{
	return (c->flags & CMD_WRITES) && !(c->flags & CMD_DRY_RUN);
}

int cmd_mode(int readonly, int64_t as_of)
{
	return readonly ? CMD_MODE_READONLY : as_of ? CMD_MODE_AS_OF : 0;
}

int cmd_allowed(const cmd_info *c, int mode, int writes)
{
	const char *name = c->verb ? c->verb : c->help;

	if ((c->flags & CMD_SECRET) && (mode & CMD_MODE_READONLY))
		return cd_err("read-only view: secrets are never shown here (%s)", c->help);
	if (!writes)
		return 0;
	if (mode & CMD_MODE_READONLY)
		return cd_err("read-only view: '%s' changes the home and is not available here",
			      name);
	if (mode & CMD_MODE_AS_OF)
		return cd_err("--as-of only judges: '%s' would write on the judgement of another "
			      "day; run it without --as-of%s", name,
			      (c->flags & CMD_DRY_RUN) ? " (--dry-run --as-of plans)" : "");
	return 0;
}
