/* cmd.h: every command, declared once. The CLI dispatch, `--help`, the dashboard's keys,
 * its help screen and the read-only check are all generated from this table. */
#ifndef CD_CMD_H
#define CD_CMD_H

#include <stdint.h>

/* Flags */
#define CMD_WRITES 0x01  /* changes the home: refused in the read-only view */
#define CMD_ROW    0x02  /* acts on the selected user in the dashboard */
#define CMD_NOHOME 0x04  /* runs without an existing home */
#define CMD_UI     0x08  /* a dashboard key only */
#define CMD_CLI    0x10  /* a command line verb only */
#define CMD_DRY_RUN 0x20 /* writes nothing with --dry-run (the dashboard key shows it first) */
#define CMD_APPLY  0x40  /* a dry run unless --apply is given */

/* Why writing is off: the read-only view, or stages judged on another day (--as-of,
 * which plans and never decides a write). 0: writing is allowed. */
#define CMD_MODE_READONLY 1
#define CMD_MODE_AS_OF    2

/*
 * _(ID, verb, key, flags, usage, help)
 * verb: the command line name (NULL for dashboard-only keys); key: the dashboard key
 * (0 for command-line-only commands).
 */
#define CMD_TABLE(_) \
	_(INIT, "init", 0, CMD_WRITES | CMD_NOHOME | CMD_CLI, \
	  "[--cn NAME] [--key ec|rsa] [--days N] [--passphrase-file F] [--crl-remote URL]", \
	  "create the home and a new CA") \
	_(CREATE, "create", 'c', CMD_WRITES, \
	  "USER --name NAME --email ADDR [--phone P] [--location L] [--org O] [--ou OU] " \
	  "[--country CC] [--days N] [--key ec|rsa] [--p12 compat|modern] [--out DIR]", \
	  "issue a client certificate for a new user") \
	_(RENEW, "renew", 'r', CMD_WRITES | CMD_ROW, "USER [any option of create]", \
	  "issue a new certificate with the same details; the old one's revocation waits") \
	_(REVOKE, "revoke", 'x', CMD_WRITES | CMD_ROW, \
	  "USER [--reason unspecified|keyCompromise|affiliationChanged|superseded|" \
	  "cessationOfOperation] [--now]", \
	  "revoke a certificate (or, for a lost key mid-renewal, the old one at once)") \
	_(NOTIFY, "notify", 'n', CMD_WRITES | CMD_ROW, "USER [--task T123456] | --due", \
	  "give the task and mail links and record the user as notified") \
	_(TASK, "task", 't', CMD_WRITES | CMD_ROW, "USER T123456", "record or change the task id") \
	_(APPLIED, "applied", 'a', CMD_WRITES | CMD_ROW, "USER", \
	  "record that the user installed the new certificate") \
	_(SEEN, "seen", 0, CMD_WRITES | CMD_CLI, "[LOGFILE...]", \
	  "mark renewals applied when their serial appears in access logs") \
	_(PUBLISH, "publish", 'p', CMD_WRITES | CMD_DRY_RUN, "[--dry-run]", \
	  "publish the revocations that are safe to the CRL repository") \
	_(CRL, "crl", 0, CMD_CLI, "[--out FILE]", "write the published CRL (PEM)") \
	_(LIST, "list", 0, CMD_CLI, "[--all]", "users by expiry with their stage") \
	_(SHOW, "show", '\n', CMD_ROW, "USER", "a user's details, certificates and links") \
	_(EXPIRECHECK, "expirecheck", 0, CMD_CLI, "[--days N]", \
	  "what expires soon, for cron: silent and exit 0 when nothing is due") \
	_(CONFIG, "config", 0, CMD_CLI, "[KEY [VALUE]]", "list, read or set settings") \
	_(LOG, "log", 'l', CMD_ROW, "[USER] [--verify]", "the audit trail") \
	_(VERIFY, "verify", 0, CMD_CLI, "", \
	  "check the whole home; exit 0 when all is well, else 1 warning, 2 critical, 3 unknown") \
	_(IMPORT, "import", 0, CMD_WRITES | CMD_APPLY | CMD_CLI, \
	  "openssl-ca DIR [--config FILE] | easyrsa PKI [--apply]", \
	  "import an existing CA (dry run unless --apply)") \
	_(COPY_TASK, NULL, 'y', CMD_UI | CMD_ROW, "", "copy the task link to the clipboard") \
	_(COPY_MAIL, NULL, 'm', CMD_UI | CMD_ROW, "", "copy the mail link to the clipboard") \
	_(PASSWORD, NULL, 'P', CMD_UI | CMD_ROW, "", "show the last issued .pw password") \
	_(SORT, NULL, 's', CMD_UI, "", "cycle the sort: expiry, stage, user") \
	_(SEARCH, NULL, '/', CMD_UI, "", "filter by text") \
	_(STAGE, NULL, 'f', CMD_UI, "", "cycle the stage filter") \
	_(DOWN, NULL, 'j', CMD_UI, "", "next user") \
	_(UP, NULL, 'k', CMD_UI, "", "previous user") \
	_(PAGE_DOWN, NULL, 0, CMD_UI, "", "next page (PgDn)") \
	_(PAGE_UP, NULL, 0, CMD_UI, "", "previous page (PgUp)") \
	_(FIRST, NULL, 'g', CMD_UI, "", "first user") \
	_(LAST, NULL, 'G', CMD_UI, "", "last user") \
	_(RELOAD, NULL, 'R', CMD_UI, "", "reload from the database") \
	_(HELP, NULL, '?', CMD_UI, "", "this help") \
	_(QUIT, NULL, 'q', CMD_UI, "", "quit (also Ctrl-C)")

typedef enum {
#define CMD_ENUM(id, verb, key, flags, usage, help) CMD_##id,
	CMD_TABLE(CMD_ENUM)
#undef CMD_ENUM
	CMD_COUNT
} cmd_id;

typedef struct {
	cmd_id id;
	const char *verb;
	int key;
	int flags;
	const char *usage, *help;
} cmd_info;

extern const cmd_info cmd_table[CMD_COUNT];

const cmd_info *cmd_by_verb(const char *verb);
const cmd_info *cmd_by_key(int key);
/* Whether this invocation of c (its arguments after the verb) changes the home: a
 * writing command, unless --dry-run (CMD_DRY_RUN) or no --apply (CMD_APPLY). */
int cmd_writes(const cmd_info *c, int argc, char *const *argv);
/* The same for the dashboard's key, which opens a dry run first where there is one. */
int cmd_key_writes(const cmd_info *c);
/* The single check for both front ends: 0 when a use of c that writes (or not) is
 * allowed in mode (CMD_MODE_*), else -1 with the refusal message. */
int cmd_allowed(const cmd_info *c, int mode, int writes);
/* The mode of a front end: read-only wins over --as-of (as_of 0: none). */
int cmd_mode(int readonly, int64_t as_of);

#endif
