/* cli_probe.c: the probe verb: one line per target (text, TSV, JSON) or the Nagios line.
 * The exit code is the report's worst level (probe.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "probe.h"
#include "util.h"

static void print_table(out_format f, const probe_report *r)
{
	static const char *const cols[] = {"target", "state", "#behind", "since", "detail"};
	out_table *t = out_begin(f, stdout, cols, 5);
	char behind[24], since[16];
	size_t i;

	for (i = 0; i < r->n; i++) {
		const probe_result *x = &r->v[i];
		const char *row[5] = {x->target.text, x->state, behind, since, x->detail};

		snprintf(behind, sizeof behind, "%d", x->behind);
		if (x->since)
			cd_format_date(x->since, since);
		else
			since[0] = '\0';
		out_row(t, row);
	}
	out_end(t);
}

static int print_nagios(const probe_report *r)
{
	cd_buf b = {0};
	char sum[64];
	size_t i;
	int rc;

	probe_summary(r, sum, sizeof sum);
	cd_buf_printf(&b, "servers: %s", sum);
	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].state, "current") != 0)
			cd_buf_printf(&b, "; %s %s: %s", r->v[i].target.text, r->v[i].state,
				      r->v[i].detail);
	rc = out_nagios(stdout, r->worst, b.s);
	cd_buf_free(&b);
	return rc;
}

int cli_probe(cli_ctx *c, const cmd_args *a)
{
	const char *t = cmd_arg(a, "timeout");
	probe_report r;
	desk d;
	int rc;

	if (cli_open_desk(c, &d, 0) < 0)
		return c->fmt == OUT_NAGIOS ? out_nagios(stdout, 3, cd_errmsg()) : (cli_fail(), 3);
	rc = probe_run(&d, a->pos, (size_t)a->npos, t ? atoi(t) : 0, &r);
	desk_close(&d);
	if (rc < 0)
		return c->fmt == OUT_NAGIOS ? out_nagios(stdout, 3, cd_errmsg()) : (cli_fail(), 3);
	if (c->fmt == OUT_NAGIOS)
		rc = print_nagios(&r);
	else
		print_table(c->fmt, &r), rc = r.worst;
	probe_report_free(&r);
	return rc;
}
