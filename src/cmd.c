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

int cmd_allowed(const cmd_info *c, int readonly)
{
	if (readonly && (c->flags & CMD_WRITES))
		return cd_err("read-only view: '%s' changes the home and is not available here",
			      c->verb ? c->verb : c->help);
	return 0;
}
