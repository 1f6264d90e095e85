/* cli_metrics.c: the metrics verb; the exposition is the core's (metrics.c). */
#include "cli.h"
#include "metrics.h"

int cli_metrics(cli_ctx *c, const cmd_args *a)
{
	desk d;
	int rc;

	if (cli_open_desk(c, &d, DESK_READONLY) < 0)
		return cli_fail();
	rc = metrics_write(&d, cmd_arg(a, "out"));
	desk_close(&d);
	return rc < 0 ? cli_fail() : 0;
}
