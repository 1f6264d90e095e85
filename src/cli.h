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

/* The health alarms (publish_health), a line each after prefix. */
void cli_print_alarms(const publish_alarms *h, FILE *fp, const char *prefix);
/* Prints "certdesk: <error>" on stderr and returns 1. */
int cli_fail(void);

/* A command's function: its arguments read by the spec (cmd_parse), so valid as the
 * spec says; returns the exit code. */
typedef int cli_handler(cli_ctx *c, const cmd_args *a);
/* Verbs implemented beside their modules (cli_publish.c, cli_import.c, cli_backup.c, cli_metrics.c,
 * cli_verify.c). */
int cli_publish(cli_ctx *c, const cmd_args *a);
int cli_crl(cli_ctx *c, const cmd_args *a);
int cli_import(cli_ctx *c, const cmd_args *a);
int cli_backup(cli_ctx *c, const cmd_args *a);
int cli_restore(cli_ctx *c, const cmd_args *a);
int cli_metrics(cli_ctx *c, const cmd_args *a);
int cli_verify(cli_ctx *c, const cmd_args *a);
int cli_probe(cli_ctx *c, const cmd_args *a);
/* The function of command id, NULL for a dashboard key (the table's test reads it). */
cli_handler *cli_handler_of(cmd_id id);

/* Reads the arguments of one command, then runs it; returns the process exit code
 * (errors printed on stderr). */
int cli_run(const cmd_info *ci, cli_ctx *c);
void cli_help(FILE *fp);
/* Asks for the CA passphrase on the terminal, echo off (desk_ask_fn). */
int cli_ask_tty(void *ctx, const char *prompt, char *buf, size_t size);
/* Opens the home for a command (read-only when asked or when it cannot be written). */
int cli_open_desk(cli_ctx *c, desk *d, int flags);

#endif
