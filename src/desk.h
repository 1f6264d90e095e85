/* desk.h: the core of certdesk: a home (database, CA, templates) and every action on it.
 * The command line and the dashboard both call these; no logic lives only in either. */
#ifndef CD_DESK_H
#define CD_DESK_H

#include <stdint.h>

#include "ca.h"
#include "cycle.h"
#include "store.h"

/* Asks for the CA passphrase (tty prompt, dashboard dialog). 0, or -1 to cancel. */
typedef int (*desk_ask_fn)(void *ctx, const char *prompt, char *buf, size_t size);

typedef struct {
	char *home, *db_path, *ca_dir, *tmpl_dir, *lock_path;
	store *st;
	ca *ca;             /* certificate only, until desk_signing() loads the key */
	int readonly;
	int signing;        /* the CA key is loaded */
	int token;          /* the CA keys are on a PKCS#11 token (set by what needs to know) */
	int64_t now;        /* the day stages are judged on: --as-of, else the clock */
	int64_t as_of;      /* --as-of's day (0: none): a plan, so nothing is written */
	int64_t window;     /* warning window, seconds */
	cycle_limits late;  /* notify.overdue_days, apply.overdue_days */
	desk_ask_fn ask;
	void *ask_ctx;
	/* Tells what is no error but worth knowing (the CA key re-encrypted), with ask_ctx:
	 * the dashboard's status bar; NULL: a line on stderr. */
	void (*note)(void *ctx, const char *line);
} desk;

/* --home, else $CERTDESK_HOME, else ~/.local/share/certdesk. Returns malloc'd. */
char *desk_home_path(const char *given);

#define DESK_DONE_MAX 256
typedef struct {
	const char *cn;
	ca_key_type key;
	int days;
	const char *passphrase_file; /* NULL: the CA key is not encrypted */
	const char *crl_remote;      /* NULL: not set */
	/* The CA key on a token: its pkcs11: URI (NULL: a key file), the module (NULL: p11-kit's
	 * proxy); the PIN from passphrase_file, else as desk_token_pin asks with ask. */
	const char *pkcs11_uri, *pkcs11_module;
	desk_ask_fn ask;
	void *ask_ctx;
	char *done;                  /* NULL or DESK_DONE_MAX bytes: what init --pkcs11 did */
} desk_init_opts;
int desk_init(const char *home, const desk_init_opts *o);
/* Writes the default templates into dir (created if missing), keeping existing files. */
int desk_write_templates(const char *dir);

#define DESK_READONLY 1
int desk_open(desk *d, const char *home, int flags);
void desk_close(desk *d);
/* Loads the CA key (asking for the passphrase when it is encrypted). */
int desk_signing(desk *d);
/* The CA passphrase: the first line of $CERTDESK_PASSPHRASE_FILE, else asked. */
int desk_passphrase(desk_ask_fn ask, void *ctx, char *buf, size_t size);
/* The same with the prompt, and what the refusal says is missing without either. */
int desk_secret(desk_ask_fn ask, void *ctx, const char *prompt, const char *none, char *buf,
		size_t size);
/* The first line of path (1 to size-1 bytes), as init and backup read a passphrase. */
int desk_passphrase_file(const char *path, char *buf, size_t size);
/* Judges stages as of day (--as-of): from then on the desk plans and refuses writes. */
void desk_judge_on(desk *d, int64_t day);
/* Why this desk cannot write (CMD_MODE_READONLY, CMD_MODE_AS_OF), 0 when it can. */
int desk_mode(const desk *d);
/* 0 when the desk may write; else -1 with "read-only: cannot <what>" or the --as-of
 * refusal. Every writing action starts with it. */
int desk_writable(const desk *d, const char *what);
/* Re-reads settings that judging depends on (after a change by another operator). */
void desk_reload(desk *d);

/* Fields of create and renew; NULL (or 0 for days) means "not given". */
typedef struct {
	const char *full_name, *email, *phone, *location, *org, *ou, *country;
	const char *out_dir, *key, *p12;
	const char *csr; /* a PKCS#10 request file: the user keeps the key (no key, no p12) */
	long days;
} desk_fields;
int desk_check_fields(const desk_fields *f);

/* A bundle (p12_path, pw_path), or for a request the certificate and its chain
 * (crt_path, chain_path); the other two are NULL. */
typedef struct {
	char serial[80];
	char changed[96]; /* a renewal's changed details by option name, "email, location";
			   * "" when none (desk_changes) */
	char *p12_path, *pw_path, *phone;
	char *crt_path, *chain_path;
	int64_t not_after;
} desk_issued;
void desk_issued_free(desk_issued *is);

/* What an empty field (option name: location, org, ou, country, days, key, p12) of
 * create stands for: its setting's value, "" when none. malloc'd. */
char *desk_field_default(desk *d, const char *field);
/* Where a bundle goes when no directory is given: for a renewal (r not NULL) the
 * directory of the user's last bundle while it exists, else out.dir, else $HOME.
 * malloc'd. */
char *desk_out_dir(desk *d, const store_row *r);
/* What a renewal with f changes of u's details: the option names ("email, location")
 * into names, and, when detail is not NULL, old and new values as the audit trail
 * records them ("email \"a@x\" -> \"b@x\""; malloc'd, NULL when nothing changes).
 * Returns how many details change. */
int desk_changes(const store_user *u, const desk_fields *f, char *names, size_t n,
		 char **detail);

int desk_create(desk *d, const char *user, const desk_fields *f, desk_issued *out);
int desk_renew(desk *d, const char *user, const desk_fields *f, desk_issued *out);
/* now_forced: during a renewal, publish the old certificate's revocation without
 * waiting (a compromised key); otherwise revoke the user's certificates. */
int desk_revoke(desk *d, const char *user, int reason, int now_forced);

/* Stage and links. */
cycle_stage desk_stage(const desk *d, const store_row *r);
int desk_renewal_open(const desk *d, const store_row *r);
const store_cert *desk_cycle_cert(const desk *d, const store_row *r);
/* The action rule (cycle_action_check) as of the desk's day: 0 when c applies to r,
 * else -1 with the refusal; and the one byte a listing keeps to judge every command
 * (cycle_verdict_allows). */
int desk_may(const desk *d, const store_row *r, cmd_id c);
int desk_applies(const desk *d, const store_row *r, cmd_id c); /* the same, no words */
cycle_verdict desk_verdict(const desk *d, const store_row *r);
/* Every certificate of the user, oldest first, with what became of it as of the desk's
 * day (cycle_describe_cert, judged with the certificate that replaced it). */
typedef int (*desk_cert_fn)(void *ctx, const store_cert *c, const cycle_cert_desc *what);
int desk_certs(desk *d, const store_row *r, desk_cert_fn fn, void *ctx);
/* The name of the CA that issued c (its key id when this home no longer knows it). */
const char *desk_issuer_name(const desk *d, const store_cert *c);
int desk_links(desk *d, const store_row *r, char **task_link, char **mail_link);
/* Whether the user is late as of the desk's day (cycle_late_of with the settings). */
int desk_late(const desk *d, const store_row *r, cycle_late *out);
/* Calls fn for every late user as of the desk's day: the unanswered mails by expiry,
 * then the renewals not applied, without reading every user. */
typedef int (*desk_late_fn)(void *ctx, const store_row *r, const cycle_late *late);
int desk_late_each(desk *d, desk_late_fn fn, void *ctx);
/* When the cycle's task was recorded (set with task or notify --task, per the audit
 * trail); *at = 0 when no task is, or the trail does not say. */
int desk_task_since(desk *d, const store_row *r, int64_t *at);
/* The links of a late user's reminder: the task link as desk_links makes it, the mail
 * from the reminder templates of the kind (LATE_ON_TIME: desk_links). */
int desk_links_late(desk *d, const store_row *r, cycle_late_kind kind, char **task_link,
		    char **mail_link);
int desk_notify(desk *d, const char *user, const char *task, char **task_link, char **mail_link);
/* desk_notify, saying in *sent what went out: LATE_ON_TIME a notification; else a
 * reminder of that kind, recorded as "remind" with notified_at left as it was. */
int desk_notify_as(desk *d, const char *user, const char *task, char **task_link,
		   char **mail_link, cycle_late *sent);
/* Notifies everyone inside the window not yet notified (and the expired ones never
 * notified), in one transaction; then calls fn for each with their links, or, for a
 * user whose links cannot be made (left unnotified), with why. Returns how many were
 * left out, or -1 when nothing was recorded. */
typedef void (*desk_notified_fn)(void *ctx, const store_row *r, const char *task_link,
				 const char *mail_link, const char *why);
int desk_notify_due(desk *d, desk_notified_fn fn, void *ctx);
/* A task id as pasted (blanks, a bare number, a task URL of phab.url) as it is recorded:
 * "T4567" into out; the one rule for both front ends. -1 with cd_err(). */
int desk_task_id(desk *d, const char *in, char *out, size_t n);
int desk_set_task(desk *d, const char *user, const char *task);
/* Marks the user's pending renewal applied; via = "operator" or "log FILE". */
int desk_applied(desk *d, const char *user, const char *via, int64_t when);
int desk_applied_cert(desk *d, int64_t cert_id, const char *user, const char *via, int64_t when);

/* A copy of a row that outlives the callback (for the dashboard and for notify). */
typedef struct {
	store_row r;
	char *strings; /* owns every string of r */
} desk_row;
void desk_row_copy(desk_row *dst, const store_row *src);
void desk_row_free(desk_row *r);
/* Loads one user. *found = 0 when none. */
int desk_get(desk *d, const char *user, desk_row *out, int *found);
int desk_get_existing(desk *d, const char *user, desk_row *out); /* error when unknown */

/* The CA key on a PKCS#11 token (desk_token.c). 1 when the home's is (ca.pkcs11_uri set),
 * with the URI and the module (the proxy when unset) malloc'd; 0 when not; -1. */
int desk_token_of(desk *d, char **uri, char **module);
/* The PIN: from file, else $CERTDESK_PASSPHRASE_FILE, else asked. */
int desk_token_pin(desk_ask_fn ask, void *ctx, const char *file, char *pin, size_t size);
/* Module, token and PIN, checked: one line for each that is wrong. */
int desk_token_check(const char *uri, const char *module, const char *pin);
/* Loads every signing CA's key from the token (desk_signing does, for a token home). */
int desk_token_signing(desk *d);
/* init --pkcs11: the CA of stage with a key generated on the token (or the one the URI
 * names there); done says which. */
int desk_token_init(const char *stage, const char *cn, ca_key_type kt, int days,
		    const char *uri, const char *module, const char *pin, char *done, size_t size);
/* ca rollover on a token home: the new key generated on the same token, under a new
 * label; ca.pkcs11_uri then names it. */
int desk_token_rollover(desk *d, const char *cn, ca_key_type kt, int days);
/* ca move-to-token: imports every file key still signing onto the token, signs a test CRL
 * with the token key and checks it, records the setting, and only then destroys the key
 * files; each step said through fn. */
int desk_move_to_token(desk *d, const char *uri, const char *module, const char *pin_file,
		       void (*fn)(void *ctx, const char *line), void *ctx);
/* verify: every signing CA's key on the token (public key read without the PIN) matches
 * its certificate, and no key file is left: the number of problems, each said by fn. */
int desk_token_verify(desk *d, void (*fn)(void *ctx, const char *line), void *ctx);
/* The issue lock (-1 after cd_err()), and its release (of -1: nothing). */
int desk_lock(desk *d);
void desk_unlock(int fd);

/* Renews the CA certificate (ca_renew) under the issue lock, with its audit line. */
int desk_ca_renew(desk *d, int days);
/* A new CA key and certificate named cn issue from now on (ca_rollover); the old CA
 * keeps signing its CRL. Its audit line. */
int desk_ca_rollover(desk *d, const char *cn, ca_key_type kt, int days);
/* Retires every older CA whose last certificate has ended (d->now); with dry, only says
 * which it would. Each one said through say. */
int desk_ca_retire_ended(desk *d, int dry, void (*say)(void *ctx, const char *line), void *ctx);

/* Sets a setting after conf_check, with its audit line (a URL's password masked there),
 * in one transaction. */
int desk_set_setting(desk *d, const char *key, const char *value);

/* The audit trail as log shows it, oldest first: every line, or (user not NULL) the
 * user's own, a URL's password masked whatever wrote the line. A user of whom nothing
 * is recorded and who does not exist is an error (most likely a typo). */
int desk_log(desk *d, const char *user, store_audit_fn fn, void *ctx);

/* Writes one audit line in its own transaction. */
int desk_audit(desk *d, const char *action, const char *user, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
