/* cmd.c: the command table and its one read-only check. */
#include "cmd.h"

#include <string.h>

#include "util.h"

const cmd_info cmd_table[CMD_COUNT] = {
#define CMD_INFO(id, verb, key, flags, usage, help) {CMD_##id, verb, key, flags, usage, help},
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

static int has_arg(int argc, char *const *argv, const char *name)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int cmd_writes(const cmd_info *c, int argc, char *const *argv)
{
	if (!(c->flags & CMD_WRITES))
		return 0;
	if ((c->flags & CMD_DRY_RUN) && has_arg(argc, argv, "--dry-run"))
		return 0;
	return !(c->flags & CMD_APPLY) || has_arg(argc, argv, "--apply");
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
