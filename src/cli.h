/* cli.h: the headless commands, one function each, dispatched from the command table. */
#ifndef CD_CLI_H
#define CD_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "cmd.h"

#define CD_VERSION "0.1.0"
#include "desk.h"
#include "out.h"
#include "publish.h"

typedef struct {
	char *home;
	int64_t as_of;  /* 0: the clock */
	out_format fmt;
	int readonly;
	int argc;       /* arguments after the verb */
	char **argv;
} cli_ctx;

/* Options of one command: name, whether it takes a value, and what was given. */
typedef struct {
	const char *name;
	int has_arg;
	const char *value;
	int set;
} opt;
/* Splits c->argv into options (--x V, --x=V, --flag) and at most maxpos positional
 * arguments; an unknown option is an error naming the verb. */
int cli_parse(cli_ctx *c, opt *o, const char **pos, int maxpos, int *npos, const char *verb);
const char *opt_val(opt *o, const char *name); /* NULL when not given */
int opt_set(opt *o, const char *name);
/* The health alarms (publish_health), a line each after prefix. */
void cli_print_alarms(const publish_alarms *h, FILE *fp, const char *prefix);
/* Prints "certdesk: <error>" on stderr and returns 1. */
int cli_fail(void);

/* Verbs implemented beside their modules (cli_publish.c, cli_import.c, cli_verify.c). */
int cli_publish(cli_ctx *c);
int cli_crl(cli_ctx *c);
int cli_import(cli_ctx *c);
int cli_verify(cli_ctx *c);

/* Runs one command; returns the process exit code (errors printed on stderr). */
int cli_run(const cmd_info *ci, cli_ctx *c);
void cli_help(FILE *fp);
/* Asks for the CA passphrase on the terminal, echo off (desk_ask_fn). */
int cli_ask_tty(void *ctx, const char *prompt, char *buf, size_t size);
/* Opens the home for a command (read-only when asked or when it cannot be written). */
int cli_open_desk(cli_ctx *c, desk *d, int flags);

#endif
