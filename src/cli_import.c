/* cli_import.c: the import verb. */
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "import.h"
#include "util.h"

static int import_kind_parse(const char *s, import_kind *k)
{
	if (strcmp(s, "openssl-ca") == 0)
		*k = IMPORT_OPENSSL_CA;
	else if (strcmp(s, "easyrsa") == 0 || strcmp(s, "easy-rsa") == 0)
		*k = IMPORT_EASYRSA;
	else
		return cd_err("import: unknown source '%.40s': expected openssl-ca or easyrsa", s);
	return 0;
}

int cli_import(cli_ctx *c)
{
	opt o[] = {{"config", 1}, {"apply", 0}, {0}};
	const char *pos[2];
	import_opts io = {0};
	import_report r;
	int n;

	if (cli_parse(c, o, pos, 2, &n, "import") < 0)
		return cli_fail();
	if (n != 2)
		return cd_err("import: usage: certdesk import openssl-ca DIR [--config FILE] "
			      "[--apply] | easyrsa PKI [--apply]"), cli_fail();
	if (import_kind_parse(pos[0], &io.kind) < 0 || cd_check_field("directory", pos[1]) < 0)
		return cli_fail();
	if (opt_set(o, "config") && io.kind != IMPORT_OPENSSL_CA)
		return cd_err("import: --config goes with openssl-ca only"), cli_fail();
	io.dir = pos[1];
	io.config = opt_val(o, "config");
	io.home = c->home;
	io.apply = opt_set(o, "apply");
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
