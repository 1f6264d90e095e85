/* cli_import.c: the import verb. */
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "import.h"
#include "util.h"

static int import_kind_parse(const char *verb, const char *s, import_kind *k)
{
	if (strcmp(s, "openssl-ca") == 0)
		*k = IMPORT_OPENSSL_CA;
	else if (strcmp(s, "easyrsa") == 0 || strcmp(s, "easy-rsa") == 0)
		*k = IMPORT_EASYRSA;
	else
		return cd_err("%s: unknown source '%.40s': expected openssl-ca or easyrsa", verb, s);
	return 0;
}

int cli_import(cli_ctx *c, const cmd_args *a)
{
	const char *const *pos = a->pos, *verb = a->cmd->verb;
	import_opts io = {0};
	import_report r;

	if (import_kind_parse(verb, pos[0], &io.kind) < 0 ||
	    cd_check_field("directory", pos[1]) < 0)
		return cli_fail();
	if (cmd_flag(a, "config") && io.kind != IMPORT_OPENSSL_CA)
		return cd_err("%s: --config goes with openssl-ca only", verb), cli_fail();
	io.dir = pos[1];
	io.config = cmd_arg(a, "config");
	io.home = c->home;
	io.apply = cmd_flag(a, "apply");
	io.now = c->as_of ? c->as_of : cd_now();
	/* A script or cron job gets a clear error instead of a prompt nobody answers. */
	io.ask = isatty(STDIN_FILENO) ? cli_ask_tty : NULL;
	if (import_run(&io, &r) < 0) {
		import_report_free(&r);
		return cli_fail();
	}
	import_report_print(stdout, &io, &r);
	if (io.apply)
		printf("next: certdesk list; certdesk publish --dry-run shows the revocations "
		       "to publish\n");
	import_report_free(&r);
	return 0;
}
