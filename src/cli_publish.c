/* cli_publish.c: the crl and publish verbs, over publish.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "publish.h"
#include "util.h"

#define WRAP_COLS 80
#define WRAP_INDENT "       " /* under the user name of "ready: " and "held:  " */

/* Columns taken by s[0..n): one per character (user data here is mostly ASCII). */
static size_t text_cols(const char *s, size_t n)
{
	size_t i, cols = 0;

	for (i = 0; i < n; i++)
		cols += ((unsigned char)s[i] & 0xC0) != 0x80;
	return cols;
}

/* Prints text at the indent, broken at spaces so that no line passes WRAP_COLS. */
static void print_wrapped(const char *text)
{
	size_t room = WRAP_COLS - sizeof WRAP_INDENT + 1;

	while (*text) {
		size_t n = strlen(text), cut = n, i;

		if (text_cols(text, n) > room)
			for (cut = 0, i = 0; text[i] && text_cols(text, i) <= room; i++)
				if (text[i] == ' ')
					cut = i;
		if (cut == 0)
			cut = strcspn(text, " ");
		printf("%s%.*s\n", WRAP_INDENT, (int)cut, text);
		text += cut;
		text += *text == ' ';
	}
}

/* A scheduled revocation reads as a head (user, serial, task) and its reason on the
 * lines below, so that a terminal or a cron mail of 80 columns keeps it legible. */
static void print_line(void *ctx, const char *line)
{
	char *clean = cd_sanitize(line);
	char *why = strstr(clean, "): ");

	if (why && (strncmp(clean, "ready: ", 7) == 0 || strncmp(clean, "held:  ", 7) == 0)) {
		why[1] = '\0';
		printf("%s\n", clean);
		print_wrapped(why + 3);
	} else {
		printf("%s\n", clean);
	}
	fflush(stdout);
	free(clean);
}

/* What went wrong although the run goes on: stderr, so that cron mails it apart. */
static void print_warning(void *ctx, const char *line)
{
	char *clean = cd_sanitize(line);

	(void)ctx;
	fflush(stdout);
	fprintf(stderr, "certdesk: warning: %s\n", clean);
	free(clean);
}

static const char *const plan_cols[] = {"state", "user", "serial", "task", "scheduled",
					"expires", "reason", "why"};

/* The dry run for scripts: one row per scheduled revocation. */
static int plan_table(cli_ctx *c, desk *d)
{
	publish_plan pl;
	out_table *t;
	size_t i;

	if (publish_plan_get(d, &pl) < 0)
		return -1;
	t = out_begin(c->fmt, stdout, plan_cols, 8);
	for (i = 0; i < pl.n; i++) {
		const publish_item *it = &pl.items[i];
		char sched[16], ends[16];
		const char *row[8] = {it->ready ? "ready" : "held", it->user, it->serial,
				      it->task, sched, ends, ca_reason_name(it->reason), it->why};

		cd_format_date(it->revoke_at, sched);
		cd_format_date(it->not_after, ends);
		out_row(t, row);
	}
	out_end(t);
	publish_plan_free(&pl);
	return 0;
}

int cli_publish(cli_ctx *c, const cmd_args *a)
{
	publish_opts po = {0, print_line, NULL, print_warning};
	publish_result res;
	publish_alarms h;
	desk d;
	int rc;

	if (cli_open_desk(c, &d, 0) < 0)
		return cli_fail();
	po.dry_run = cmd_flag(a, "dry-run");
	if (po.dry_run && c->fmt != OUT_TEXT)
		rc = plan_table(c, &d);
	else
		rc = publish_run(&d, &po, &res);
	/* What still threatens every user once this run is over (a CA near its end). */
	if (rc == 0 && publish_health(&d, &h) == 0)
		cli_print_alarms(&h, stderr, "certdesk: warning: ");
	desk_close(&d);
	return rc < 0 ? cli_fail() : 0;
}

/* A CRL is public, but an existing file is never replaced silently. Checked before
 * signing, so that an unusable path is refused before a CRL Number is used; written at
 * the end under a temporary name and linked, so that a kill leaves no part of a CRL. */
static int check_out(const char *verb, const char *path)
{
	if (!*path)
		return cd_err("%s: --out needs a file name", verb);
	if (cd_can_create(path) < 0)
		return cd_err("cannot write %s: %s%s", path, strerror(errno),
			      errno == EEXIST ? " (certdesk never overwrites it)" : "");
	return 0;
}

int cli_crl(cli_ctx *c, const cmd_args *a)
{
	const char *out = cmd_arg(a, "out");
	char *pem = NULL;
	size_t len = 0;
	desk d;
	int fresh, rc;

	if (out && check_out(a->cmd->verb, out) < 0)
		return cli_fail();
	if (cli_open_desk(c, &d, 0) < 0) {
		rc = -1;
	} else {
		rc = publish_crl_pem(&d, &pem, &len, &fresh);
		desk_close(&d);
	}
	if (rc == 0 && out)
		rc = (cd_unlink_temps(out), cd_write_file(out, pem, len, 0644));
	else if (rc == 0 && (fwrite(pem, 1, len, stdout) != len || fflush(stdout) != 0))
		rc = cd_err("cannot write the CRL to standard output");
	if (rc == 0 && fresh)
		fprintf(stderr, "certdesk: no CRL published yet: this is a freshly signed CRL of "
			"the revocations recorded as published; 'certdesk publish' publishes one\n");
	free(pem);
	return rc < 0 ? cli_fail() : 0;
}
