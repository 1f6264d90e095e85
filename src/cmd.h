/* cmd.h: every command, declared once. The CLI dispatch, `--help`, the dashboard's keys,
 * its help screen and the read-only check are all generated from this table. */
#ifndef CD_CMD_H
#define CD_CMD_H

#include <stdint.h>

#include "ca.h"

/* Flags */
#define CMD_WRITES 0x01  /* changes the home: refused in the read-only view */
#define CMD_ROW    0x02  /* acts on the selected user in the dashboard */
#define CMD_NOHOME 0x04  /* runs without an existing home */
#define CMD_UI     0x08  /* a dashboard key only */
#define CMD_CLI    0x10  /* a command line verb only */
#define CMD_DRY_RUN 0x20 /* writes nothing with --dry-run (the dashboard key shows it first) */
#define CMD_APPLY  0x40  /* a dry run unless --apply is given */
#define CMD_SECRET 0x80  /* shows a secret: refused in the read-only view, which teammates
			  * use, whatever the file permissions would allow */

/* Why writing is off: the read-only view, or stages judged on another day (--as-of,
 * which plans and never decides a write). 0: writing is allowed. */
#define CMD_MODE_READONLY 1
#define CMD_MODE_AS_OF    2

/* One option of a command: --NAME, or --NAME VALUE when it takes a value. */
typedef struct {
	const char *name;
	const char *value;          /* the value's name in the usage; NULL: a flag, no value */
	const char *const *choices; /* the values allowed, "a|b|c"; NULL: any */
	long min, max;              /* a whole number from min to max, when min < max */
	int required;
} cmd_opt;

#define CMD_FLAG(name) {name, NULL, NULL, 0, 0, 0}
#define CMD_TEXT(name, value) {name, value, NULL, 0, 0, 0}
#define CMD_NEEDED(name, value) {name, value, NULL, 0, 0, 1}
#define CMD_INT(name, value, min, max) {name, value, NULL, min, max, 0}
/* choices: the address of a "a|b|c" string (CMD_CHOICES makes one of a literal). */
#define CMD_CHOICE(name, value, choices) {name, value, choices, 0, 0, 0}
#define CMD_CHOICES(s) ((const char *const[]){s})
/* The options of a command, as one argument of CMD_TABLE. */
#define CMD_OPTS(...) ((const cmd_opt[]){__VA_ARGS__, {NULL}})
#define CMD_NO_OPTS NULL

/* The positional arguments: their names as the usage shows them, and how many. */
typedef struct {
	const char *names;
	int min, max;
} cmd_pos;

#define CMD_POS(names, min, max) {names, min, max}
#define CMD_NO_POS {NULL, 0, 0}
#define CMD_POS_MAX 256  /* the most positional arguments a command takes */
#define CMD_OPTS_MAX 16  /* the most options a command has */

/* The details of a certificate, which create asks for and renew may change. */
#define CMD_FIELD_OPTS(needed) \
	{"name", "NAME", NULL, 0, 0, needed}, {"email", "ADDR", NULL, 0, 0, needed}, \
	CMD_TEXT("phone", "P"), CMD_TEXT("location", "L"), CMD_TEXT("org", "O"), \
	CMD_TEXT("ou", "OU"), CMD_TEXT("country", "CC"), \
	CMD_INT("days", "N", 1, CA_CERT_DAYS_MAX), \
	CMD_CHOICE("key", "KEY", CMD_CHOICES(CA_KEY_CHOICES)), \
	CMD_CHOICE("p12", "PROFILE", CMD_CHOICES(CA_P12_CHOICES)), CMD_TEXT("out", "DIR"), \
	CMD_TEXT("csr", "FILE")

/*
 * _(ID, verb, key, flags, options, positional arguments, help)
 * verb: the command line name (NULL for dashboard-only keys); key: the dashboard key
 * (0 for command-line-only commands). The usage is made from the options and arguments.
 */
#define CMD_TABLE(_) \
	_(INIT, "init", 0, CMD_WRITES | CMD_NOHOME | CMD_CLI, \
	  CMD_OPTS(CMD_TEXT("cn", "NAME"), CMD_CHOICE("key", "KEY", CMD_CHOICES(CA_KEY_CHOICES)), \
		   CMD_INT("days", "N", 1, 36500), CMD_TEXT("passphrase-file", "F"), \
		   CMD_TEXT("crl-remote", "URL"), CMD_TEXT("pkcs11", "URI"), \
		   CMD_TEXT("pkcs11-module", "PATH")), CMD_NO_POS, \
	  "create the home and a new CA (--pkcs11: its key on a PKCS#11 token)") \
	_(CREATE, "create", 'c', CMD_WRITES, CMD_OPTS(CMD_FIELD_OPTS(1)), CMD_POS("USER", 1, 1), \
	  "issue a client certificate for a new user") \
	_(RENEW, "renew", 'r', CMD_WRITES | CMD_ROW, CMD_OPTS(CMD_FIELD_OPTS(0)), \
	  CMD_POS("USER", 1, 1), \
	  "issue a new certificate with the same details; the old one's revocation waits") \
	_(REVOKE, "revoke", 'x', CMD_WRITES | CMD_ROW, \
	  CMD_OPTS(CMD_CHOICE("reason", "REASON", &ca_reason_choices), CMD_FLAG("now")), \
	  CMD_POS("USER", 1, 1), \
	  "revoke a certificate (or, for a lost key mid-renewal, the old one at once)") \
	_(NOTIFY, "notify", 'n', CMD_WRITES | CMD_ROW, \
	  CMD_OPTS(CMD_TEXT("task", "T123456"), CMD_FLAG("due")), CMD_POS("[USER]", 0, 1), \
	  "give the task and mail links and record the user as notified") \
	_(TASK, "task", 't', CMD_WRITES | CMD_ROW, CMD_NO_OPTS, CMD_POS("USER T123456", 2, 2), \
	  "record or change the task id") \
	_(APPLIED, "applied", 'a', CMD_WRITES | CMD_ROW, CMD_NO_OPTS, CMD_POS("USER", 1, 1), \
	  "record that the user installed the new certificate") \
	_(SEEN, "seen", 0, CMD_WRITES | CMD_CLI, CMD_NO_OPTS, \
	  CMD_POS("[LOGFILE...]", 0, CMD_POS_MAX), \
	  "mark renewals applied when their serial appears in access logs") \
	_(PUBLISH, "publish", 'p', CMD_WRITES | CMD_DRY_RUN, CMD_OPTS(CMD_FLAG("dry-run")), \
	  CMD_NO_POS, "publish the revocations that are safe to the CRL repository") \
	_(CRL, "crl", 0, CMD_CLI, CMD_OPTS(CMD_TEXT("out", "FILE")), CMD_NO_POS, \
	  "write the published CRL (PEM)") \
	_(LIST, "list", 0, CMD_CLI, CMD_OPTS(CMD_FLAG("all")), CMD_NO_POS, \
	  "users by expiry with their stage") \
	_(SHOW, "show", '\n', CMD_ROW, CMD_NO_OPTS, CMD_POS("USER", 1, 1), \
	  "a user's details, certificates and links") \
	_(EXPIRECHECK, "expirecheck", 0, CMD_CLI, \
	  CMD_OPTS(CMD_INT("days", "N", 0, 3650), CMD_FLAG("cron")), CMD_NO_POS, \
	  "what is due soon, for monitoring and cron (--cron: exit 0)") \
	_(METRICS, "metrics", 0, CMD_CLI, CMD_OPTS(CMD_TEXT("out", "FILE")), CMD_NO_POS, \
	  "Prometheus metrics: expiries, stages, the CRL's nextUpdate") \
	_(CONFIG, "config", 0, CMD_CLI, CMD_NO_OPTS, CMD_POS("[KEY [VALUE]]", 0, 2), \
	  "list, read or set settings") \
	_(LOG, "log", 'l', CMD_ROW, CMD_OPTS(CMD_FLAG("verify")), CMD_POS("[USER]", 0, 1), \
	  "the audit trail") \
	_(VERIFY, "verify", 'V', 0, CMD_NO_OPTS, CMD_NO_POS, \
	  "check the whole home: database, CA, CRL, audit (Nagios exit codes)") \
	_(PROBE, "probe", 0, CMD_WRITES | CMD_CLI, CMD_OPTS(CMD_INT("timeout", "S", 1, 300)), \
	  CMD_POS("[TARGET...]", 0, CMD_POS_MAX), \
	  "check with canary certificates that the servers enforce the newest CRL") \
	_(IMPORT, "import", 0, CMD_WRITES | CMD_APPLY | CMD_CLI, \
	  CMD_OPTS(CMD_TEXT("config", "FILE"), CMD_FLAG("apply")), \
	  CMD_POS("openssl-ca|easyrsa DIR", 2, 2), \
	  "import an existing CA (dry run unless --apply)") \
	_(CA, "ca", 0, CMD_WRITES | CMD_CLI, CMD_OPTS(CMD_INT("days", "N", 1, 36500), \
	  CMD_TEXT("cn", "NAME"), CMD_CHOICE("key", "TYPE", CMD_CHOICES(CA_KEY_CHOICES)), \
	  CMD_TEXT("passphrase-file", "F"), CMD_TEXT("pkcs11-module", "PATH")), \
	  CMD_POS("renew|rollover|move-to-token URI", 1, 2), \
	  "renew the CA certificate (same key and name), or roll over to a new CA key and " \
	  "name; valid N days from now (3650); or move the CA key onto a PKCS#11 token") \
	_(BACKUP, "backup", 0, CMD_CLI, \
	  CMD_OPTS(CMD_TEXT("passphrase-file", "F"), CMD_FLAG("check")), CMD_POS("FILE", 1, 1), \
	  "write an encrypted backup of the home (or --check one)") \
	_(RESTORE, "restore", 0, CMD_WRITES | CMD_NOHOME | CMD_CLI, \
	  CMD_OPTS(CMD_TEXT("passphrase-file", "F")), CMD_POS("FILE", 1, 1), \
	  "make the home (empty or missing) from a backup") \
	_(COPY_TASK, NULL, 'y', CMD_UI | CMD_ROW, CMD_NO_OPTS, CMD_NO_POS, \
	  "copy the task link to the clipboard") \
	_(COPY_MAIL, NULL, 'm', CMD_UI | CMD_ROW, CMD_NO_OPTS, CMD_NO_POS, \
	  "copy the mail link to the clipboard") \
	_(PASSWORD, NULL, 'P', CMD_UI | CMD_ROW | CMD_SECRET, CMD_NO_OPTS, CMD_NO_POS, \
	  "show the last issued .pw password") \
	_(SORT, NULL, 's', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "cycle the sort: expiry, stage, user") \
	_(SEARCH, NULL, '/', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "filter by text") \
	_(STAGE, NULL, 'f', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "cycle the stage filter") \
	_(DOWN, NULL, 'j', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "next user") \
	_(UP, NULL, 'k', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "previous user") \
	_(PAGE_DOWN, NULL, 0, CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "next page") \
	_(PAGE_UP, NULL, 0, CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "previous page") \
	_(FIRST, NULL, 'g', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "first user") \
	_(LAST, NULL, 'G', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "last user") \
	_(RELOAD, NULL, 'R', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "reload from the database") \
	_(LOG_ALL, NULL, 'L', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, \
	  "the home's whole audit trail (log), every user's") \
	_(SERVERS, NULL, 'S', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, \
	  "the servers' state as the last certdesk probe found it") \
	_(HELP, NULL, '?', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "this help") \
	_(QUIT, NULL, 'q', CMD_UI, CMD_NO_OPTS, CMD_NO_POS, "quit (also Ctrl-C)")

typedef enum {
#define CMD_ENUM(id, ...) CMD_##id,
	CMD_TABLE(CMD_ENUM)
#undef CMD_ENUM
	CMD_COUNT
} cmd_id;

typedef struct {
	cmd_id id;
	const char *verb;
	int key;
	int flags;
	const cmd_opt *opts; /* ends with a NULL name; NULL: none */
	cmd_pos args;
	const char *help;
} cmd_info;

/* A command line as the spec reads it: options by their index in cmd->opts. */
typedef struct {
	const cmd_info *cmd;
	const char *val[CMD_OPTS_MAX]; /* the value given, NULL when none */
	long num[CMD_OPTS_MAX];        /* the value of a whole-number option */
	unsigned char set[CMD_OPTS_MAX];
	int npos;
	const char *pos[CMD_POS_MAX];
} cmd_args;

extern const cmd_info cmd_table[CMD_COUNT];

const cmd_info *cmd_by_verb(const char *verb);
const cmd_info *cmd_by_key(int key);
/*
 * Reads the arguments after the verb by c's spec: --x V, --x=V, --flag, positionals.
 * Unknown options, an option given twice, a missing value, a value to a flag, a number
 * out of its range, a value not among the choices, a missing required option and too
 * many or too few positionals are refused, naming the verb.
 */
int cmd_parse(const cmd_info *c, int argc, char *const *argv, cmd_args *a);
const char *cmd_arg(const cmd_args *a, const char *name); /* NULL when not given */
int cmd_flag(const cmd_args *a, const char *name);        /* 1 when given */
long cmd_num(const cmd_args *a, const char *name, long def);
/* "revoke USER [--reason REASON] [--now]", made from the spec; malloc'd. */
char *cmd_usage(const cmd_info *c);
/* What the values of c's typed options may be, "REASON: a|b; N: 1..9"; "" when none. */
char *cmd_domains(const cmd_info *c);
/* Whether this use of a command changes the home: a writing command, unless --dry-run
 * (CMD_DRY_RUN) or no --apply (CMD_APPLY). */
int cmd_writes(const cmd_args *a);
/* The same for the dashboard's key, which opens a dry run first where there is one. */
int cmd_key_writes(const cmd_info *c);
/* The single check for both front ends: 0 when a use of c that writes (or not) is
 * allowed in mode (CMD_MODE_*), else -1 with the refusal message.  A command that shows
 * a secret (CMD_SECRET) is refused in the read-only view whether it writes or not. */
int cmd_allowed(const cmd_info *c, int mode, int writes);
/* The mode of a front end: read-only wins over --as-of (as_of 0: none). */
int cmd_mode(int readonly, int64_t as_of);

#endif
