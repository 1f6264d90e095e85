/* cli.h: the headless commands, one function each, dispatched from the command table. */
#ifndef CD_CLI_H
#define CD_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "cmd.h"
#include "out.h"

typedef struct {
	char *home;
	int64_t as_of;  /* 0: the clock */
	out_format fmt;
	int readonly;
	int argc;       /* arguments after the verb */
	char **argv;
} cli_ctx;

/* Runs one command; returns the process exit code (errors printed on stderr). */
int cli_run(const cmd_info *c, cli_ctx *ctx);
void cli_help(FILE *fp);
/* Asks for the CA passphrase on the terminal, echo off (desk_ask_fn). */
int cli_ask_tty(void *ctx, const char *prompt, char *buf, size_t size);

#endif
