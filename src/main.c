/* main.c: global options, then a command or the dashboard. */
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "desk.h"
#include "ui.h"
#include "util.h"

typedef struct {
	const char *home, *as_of, *format;
	int readonly, no_color, help, version, expirecheck;
} globals;

/* Where the value of the global option named by a[0..n) goes; NULL for any other. */
static const char **global_value(globals *g, const char *a, size_t n)
{
	if (n == 6 && strncmp(a, "--home", n) == 0)
		return &g->home;
	if (n == 7 && strncmp(a, "--as-of", n) == 0)
		return &g->as_of;
	if (n == 8 && strncmp(a, "--format", n) == 0)
		return &g->format;
	return NULL;
}

/* Takes the global options out of argv (wherever they stand); returns the new argc. */
static int take_globals(int argc, char **argv, globals *g)
{
	int i, n = 1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t n_name = eq ? (size_t)(eq - a) : strlen(a);
		const char **val = global_value(g, a, n_name);

		if (val) {
			/* Two homes or two dates: either would be a guess, and a wrong home is
			 * another CA. */
			if (*val)
				return cd_err("option %.*s given twice", (int)n_name, a);
			if (eq)
				*val = eq + 1;
			else if (i + 1 >= argc)
				return cd_err("option %s needs a value", a);
			else
				*val = argv[++i];
		} else if (strcmp(a, "--read-only") == 0) {
			g->readonly = 1;
		} else if (strcmp(a, "--no-color") == 0) {
			g->no_color = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			g->help = 1;
		} else if (strcmp(a, "--version") == 0) {
			g->version = 1;
		} else if (strcmp(a, "--expirecheck") == 0) {
			g->expirecheck = 1;
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	return n;
}

static int setup(cli_ctx *c, const globals *g)
{
	if (g->home && (!*g->home || cd_check_field("--home", g->home) < 0))
		return *g->home ? -1 : cd_err("--home needs a directory");
	c->home = desk_home_path(g->home);
	if (g->as_of && cd_parse_date(g->as_of, &c->as_of) < 0)
		return cd_err("--as-of: %s", cd_errmsg());
	/* 0 means "no --as-of" everywhere below: a plan for 1970-01-01 would act for real. */
	if (g->as_of && c->as_of <= 0)
		return cd_err("--as-of: %.20s is before any certificate (use 1970-01-02 or later)",
			      g->as_of);
	if (g->format && out_format_parse(g->format, &c->fmt) < 0)
		return -1;
	c->readonly = g->readonly;
	return 0;
}

/*
 * A command started with a standard descriptor closed (cron, CI) would hand that number
 * to the next file it opens, and a later printf would write into the database or a key
 * file. Fill the gaps with /dev/null first.
 */
static void std_fds_open(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* The decrypted CA key lives in this process: never in a core file, never readable by
 * another process of the same user through ptrace or /proc. */
static void no_core_dumps(void)
{
	struct rlimit none = {0, 0};

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/*
 * Names are UTF-8, whatever the environment says (cron and some SSH set-ups set no
 * LANG): as tmux does, the user's locale when it is UTF-8, else C.UTF-8; only when
 * neither exists does the dashboard draw ASCII replacements (and say so).
 */
static void utf8_locale(void)
{
	const char *set = setlocale(LC_CTYPE, "");

	if (set && strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
		return;
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, set ? "" : "C");
}

int main(int argc, char **argv)
{
	globals g = {0};
	cli_ctx c = {0};
	const cmd_info *ci;
	int rc;

	/* Only the character set matters (UTF-8 names, display widths); numbers and dates
	 * stay in the C locale so TSV and JSON read the same everywhere. */
	std_fds_open();
	no_core_dumps();
	utf8_locale();
	if ((argc = take_globals(argc, argv, &g)) < 0 || setup(&c, &g) < 0) {
		cli_fail();
		free(c.home);
		return g.expirecheck ? 3 : 2;
	}
	if (g.help || g.version) {
		if (g.help)
			cli_help(stdout);
		else
			printf("certdesk %s\n", CD_VERSION);
		free(c.home);
		return 0;
	}
	ci = g.expirecheck ? &cmd_table[CMD_EXPIRECHECK] : argc > 1 ? cmd_by_verb(argv[1]) : NULL;
	if (!ci && argc > 1) {
		char *clean = cd_sanitize(argv[1]);
		fprintf(stderr, "certdesk: unknown command '%.40s' (see certdesk --help)\n", clean);
		free(clean);
		free(c.home);
		return 2;
	}
	if (!ci) {
		ui_opts uo = {c.readonly, g.no_color, c.as_of};

		rc = ui_main(c.home, &uo);
		free(c.home);
		return rc;
	}
	c.argc = argc - (g.expirecheck || argc <= 1 ? 1 : 2);
	c.argv = argv + (argc - c.argc);
	rc = cli_run(ci, &c);
	free(c.home);
	return rc;
}
