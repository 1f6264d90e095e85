/* cli_backup.c: the backup and restore verbs, over backup.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "backup.h"
#include "cli.h"
#include "util.h"

#define PASS_MAX 1024

/* The backup passphrase: the first line of --passphrase-file, else typed on the
 * terminal (twice when a backup is written, so a typo does not make it unreadable). */
static int backup_pass(const char *file, int twice, char *buf, size_t size)
{
	char again[PASS_MAX];
	int rc = 0;

	if (file)
		return desk_passphrase_file(file, buf, size);
	if (cli_ask_tty(NULL, "Backup passphrase: ", buf, size) < 0)
		return cd_err("a backup needs a passphrase: --passphrase-file F, or run from a "
			      "terminal");
	if (twice && (cli_ask_tty(NULL, "Again: ", again, sizeof again) < 0 || strcmp(buf, again)))
		rc = cd_err("the two passphrases differ; nothing written");
	OPENSSL_cleanse(again, sizeof again);
	return rc;
}

static void print_info(const char *file, const backup_info *in)
{
	char taken[32], until[16];

	cd_format_time(in->taken, taken);
	cd_format_date(in->ca_not_after, until);
	printf("  taken:           %s from %s\n", taken, in->source);
	printf("  CA:              %s, valid until %s%s\n", in->ca_subject, until,
	       in->key_encrypted ? " (key passphrase-protected)" : "");
	if (in->token_uri)
		printf("  CA key:          on the token %s: not in the backup (it cannot leave "
		       "the token);\n                   a restored home signs with that token\n",
		       in->token_uri);
	printf("  users:           %lld\n  certificates:    %lld\n", (long long)in->users,
	       (long long)in->certs);
	printf("  schema version:  %d\n", in->schema);
	if (in->crl_number)
		printf("  last CRL Number: %lld\n", (long long)in->crl_number);
	else
		printf("  last CRL Number: none published\n");
	printf("  files:           %zu (database, CA, templates), %zu bytes encrypted\n",
	       in->files, in->bytes);
}

static int backup_run(cli_ctx *c, const char *file, const char *pass, int check)
{
	backup_info in;
	desk d;
	int rc;

	if (check) {
		rc = backup_check(file, pass, &in);
	} else {
		if (cli_open_desk(c, &d, DESK_READONLY) < 0)
			return -1;
		rc = backup_write(&d, file, pass, &in);
		desk_close(&d);
	}
	if (rc == 0) {
		char *clean = cd_sanitize(file);

		printf("%s %s\n", check ? "backup" : "wrote backup", clean);
		print_info(file, &in);
		free(clean);
	}
	backup_info_free(&in);
	return rc;
}

int cli_backup(cli_ctx *c, const cmd_args *a)
{
	char pass[PASS_MAX];
	int rc;

	if (backup_pass(cmd_arg(a, "passphrase-file"), !cmd_flag(a, "check"), pass, sizeof pass) < 0)
		return OPENSSL_cleanse(pass, sizeof pass), cli_fail();
	rc = backup_run(c, a->pos[0], pass, cmd_flag(a, "check"));
	OPENSSL_cleanse(pass, sizeof pass);
	return rc < 0 ? cli_fail() : 0;
}

static void print_note(void *ctx, const char *line)
{
	char *clean = cd_sanitize(line);

	fprintf(stderr, "certdesk: %s\n", clean);
	free(clean);
}

static int restore_run(cli_ctx *c, const char *file, const char *pass)
{
	char ca_pass[PASS_MAX];
	const char *env = getenv("CERTDESK_PASSPHRASE_FILE");
	backup_restore_opts ro = {c->home, file, pass, NULL, print_note, NULL};
	backup_info in = {0};
	int rc = 0;

	if (env && *env && (rc = desk_passphrase_file(env, ca_pass, sizeof ca_pass)) == 0)
		ro.ca_pass = ca_pass;
	if (rc == 0 && (rc = backup_restore(&ro, &in)) == 0) {
		char *home = cd_sanitize(c->home), *clean = cd_sanitize(file);

		printf("restored certdesk home %s from %s\n", home, clean);
		print_info(file, &in);
		printf("next: certdesk publish (it reads the repository's CRL first and continues "
		       "from its CRL Number)\n");
		free(home);
		free(clean);
	}
	backup_info_free(&in);
	OPENSSL_cleanse(ca_pass, sizeof ca_pass);
	return rc;
}

int cli_restore(cli_ctx *c, const cmd_args *a)
{
	char pass[PASS_MAX];
	int rc;

	if (backup_pass(cmd_arg(a, "passphrase-file"), 0, pass, sizeof pass) < 0)
		return OPENSSL_cleanse(pass, sizeof pass), cli_fail();
	rc = restore_run(c, a->pos[0], pass);
	OPENSSL_cleanse(pass, sizeof pass);
	return rc < 0 ? cli_fail() : 0;
}
