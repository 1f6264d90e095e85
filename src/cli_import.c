/* cli_import.c: the import verb (being built). */
#include "cli.h"
#include "util.h"

int cli_import(cli_ctx *c)
{
	return cd_err("import: not available in this build yet"), cli_fail();
}
