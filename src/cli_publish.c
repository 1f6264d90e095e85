/* cli_publish.c: the crl and publish verbs (being built). */
#include "cli.h"
#include "util.h"

int cli_publish(cli_ctx *c)
{
	return cd_err("publish: not available in this build yet"), cli_fail();
}

int cli_crl(cli_ctx *c)
{
	return cd_err("crl: not available in this build yet"), cli_fail();
}
