/* cli_verify.c: the verify verb: the problems verify.c finds, one line each. */
#include <stdio.h>

#include "cli.h"
#include "util.h"
#include "verify.h"

int cli_verify(cli_ctx *c, const cmd_args *a)
{
	verify_report r;
	char line[400];
	desk d;
	size_t i;
	int n;

	(void)a;
	if (cli_open_desk(c, &d, 0) < 0)
		return cli_fail(), VERIFY_UNKNOWN;
	if (verify_run(&d, &r) < 0) {
		desk_close(&d);
		return cli_fail(), VERIFY_UNKNOWN;
	}
	for (i = 0; i < r.n; i++)
		printf("%s: %s\n", verify_level_word(r.v[i].level), r.v[i].msg);
	if (r.worst == VERIFY_OK) {
		verify_summary(&r, line, sizeof line);
		printf("OK: %s\n", line);
	}
	n = r.worst;
	verify_report_free(&r);
	desk_close(&d);
	return n;
}
