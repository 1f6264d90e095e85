/* cli.c: one function per command. Output goes to stdout, one error line to stderr. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "conf.h"
#include "cycle.h"
#include "desk.h"
#include "links.h"
#include "metrics.h"
#include "probe.h"
#include "publish.h"
#include "seen.h"
#include "util.h"
#include "verify.h"

/* Messages echo what was typed (paths, values): never raw onto the terminal, and one
 * line even when the input held a newline. */
int cli_fail(void)
{
	char *clean = cd_sanitize(cd_errmsg());

	fprintf(stderr, "certdesk: %s\n", clean);
	free(clean);
	return 1;
}

int cli_ask_tty(void *ctx, const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), ok = 0;
	ssize_t n = 0;
	size_t len = 0;
	char ch;

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(fd, TCSAFLUSH, &quiet);
		if (write(fd, prompt, strlen(prompt)) >= 0) {
			while ((n = read(fd, &ch, 1)) == 1 && ch != '\n' && ch != '\r')
				if (len + 1 < size)
					buf[len++] = ch;
			ok = n == 1 && len > 0;
		}
		tcsetattr(fd, TCSAFLUSH, &old);
		if (write(fd, "\n", 1) < 0)
			ok = 0;
	}
	buf[len] = '\0';
	close(fd);
	return ok ? 0 : -1;
}

int cli_open_desk(cli_ctx *c, desk *d, int flags)
{
	if (desk_open(d, c->home, flags | (c->readonly ? DESK_READONLY : 0)) < 0)
		return -1;
	if (c->as_of)
		desk_judge_on(d, c->as_of);
	d->ask = cli_ask_tty;
	return 0;
}

/* The common start of a verb acting on one user (its first positional), then the home. */
static int user_verb(cli_ctx *c, const cmd_args *a, desk *d)
{
	if (cd_check_user(a->pos[0]) < 0)
		return -1;
	return cli_open_desk(c, d, 0);
}

static int cmd_init(cli_ctx *c, const cmd_args *a)
{
	desk_init_opts io = {"certdesk CA", CA_KEY_EC, 3650, NULL, NULL};
	char done[DESK_DONE_MAX] = "";
	const char *v;

	if ((v = cmd_arg(a, "cn")) && (cd_check_field("CA name", v) < 0 || !*v))
		return *v ? cli_fail() : (cd_err("CA name must not be empty"), cli_fail());
	if (v)
		io.cn = v;
	if ((v = cmd_arg(a, "key")) && strcmp(v, "rsa") == 0)
		io.key = CA_KEY_RSA;
	io.days = (int)cmd_num(a, "days", io.days);
	io.passphrase_file = cmd_arg(a, "passphrase-file");
	io.crl_remote = cmd_arg(a, "crl-remote");
	io.pkcs11_uri = cmd_arg(a, "pkcs11");
	io.pkcs11_module = cmd_arg(a, "pkcs11-module");
	io.ask = cli_ask_tty;
	io.done = done;
	if (io.pkcs11_module && !io.pkcs11_uri)
		return cd_err("--pkcs11-module goes with --pkcs11 URI"), cli_fail();
	if (io.pkcs11_module && conf_check("ca.pkcs11_module", io.pkcs11_module) < 0)
		return cli_fail();
	if (desk_init(c->home, &io) < 0)
		return cli_fail();
	if (io.pkcs11_uri)
		printf("created certdesk home %s\n  CA certificate: %s/ca/ca.crt\n  CA key:         "
		       "on the token %s\n  (%s; no key file)\n", c->home, c->home, io.pkcs11_uri,
		       done);
	else
		printf("created certdesk home %s\n  CA certificate: %s/ca/ca.crt\n  CA key:         "
		       "%s/ca/ca.key (mode 0600%s)\n", c->home, c->home, c->home,
		       io.passphrase_file ? ", passphrase-protected" : "");
	if (io.pkcs11_uri)
		printf("  signing commands read the PIN from $CERTDESK_PASSPHRASE_FILE or ask for it\n");
	else if (io.passphrase_file)
		printf("  cron and scripts read the passphrase from $CERTDESK_PASSPHRASE_FILE\n");
	if (!io.crl_remote)
		printf("  no CRL repository yet: certdesk config crl.remote URL\n");
	printf("next: certdesk create USER --name NAME --email ADDR --phone P\n");
	return 0;
}

/* The options of CMD_FIELD_OPTS, shared by create and renew. */
static int read_fields(const cmd_args *a, desk_fields *f)
{
	memset(f, 0, sizeof *f);
	f->full_name = cmd_arg(a, "name");
	f->email = cmd_arg(a, "email");
	f->phone = cmd_arg(a, "phone");
	f->location = cmd_arg(a, "location");
	f->org = cmd_arg(a, "org");
	f->ou = cmd_arg(a, "ou");
	f->country = cmd_arg(a, "country");
	f->key = cmd_arg(a, "key");
	f->p12 = cmd_arg(a, "p12");
	f->out_dir = cmd_arg(a, "out");
	f->csr = cmd_arg(a, "csr");
	f->days = cmd_num(a, "days", 0);
	return desk_check_fields(f);
}

static void print_issued(const char *what, const char *user, const desk_issued *is)
{
	char end[16];

	cd_format_date(is->not_after, end);
	printf("%s %s: serial %s, valid until %s\n", what, user, is->serial, end);
	if (*is->changed)
		printf("  changed: %s\n", is->changed);
	if (is->crt_path) {
		printf("  certificate: %s\n  chain:       %s\n", is->crt_path, is->chain_path);
		printf("  the user keeps the key: send both files back (nothing in them is secret)\n");
		return;
	}
	printf("  bundle:   %s\n  password: %s\n", is->p12_path, is->pw_path);
	if (is->phone && *is->phone) {
		char *clean = cd_sanitize(is->phone);
		printf("  send the password by SMS to %s\n", clean);
		free(clean);
	} else {
		printf("  no phone number on record: send the password by another channel\n");
	}
}

/* The old certificate keeps working meanwhile: the date tells the operator how long
 * the user has to switch before the revocation is published anyway. */
static void print_held(desk *d, const char *user)
{
	desk_row row;
	char end[16] = "";
	int found = 0;

	if (desk_get(d, user, &row, &found) == 0 && found) {
		if (row.r.old.id)
			cd_format_date(row.r.old.not_after, end);
		desk_row_free(&row);
	}
	printf("  the old certificate stays valid%s%s; its revocation is held\n"
	       "  until %s installs the new one: then certdesk applied %s\n",
	       *end ? " until " : "", end, user, user);
}

static int issue_cmd(cli_ctx *c, const cmd_args *a, int renew)
{
	const char *const *pos = a->pos;
	desk_fields f;
	desk_issued is;
	desk d;
	int rc;

	if (read_fields(a, &f) < 0 || user_verb(c, a, &d) < 0)
		return cli_fail();
	rc = renew ? desk_renew(&d, pos[0], &f, &is) : desk_create(&d, pos[0], &f, &is);
	if (rc == 0) {
		print_issued(renew ? "renewed" : "created", pos[0], &is);
		if (renew)
			print_held(&d, pos[0]);
		desk_issued_free(&is);
	}
	desk_close(&d);
	return rc < 0 ? cli_fail() : 0;
}

static int cmd_revoke(cli_ctx *c, const cmd_args *a)
{
	const char *const *pos = a->pos, *reason = cmd_arg(a, "reason");
	int code = CA_REASON_UNSPECIFIED, rc;
	desk d;

	if (!reason && cmd_flag(a, "now"))
		code = CA_REASON_KEY_COMPROMISE;
	if ((reason && ca_reason_parse(reason, &code) < 0) || user_verb(c, a, &d) < 0)
		return cli_fail();
	rc = desk_revoke(&d, pos[0], code, cmd_flag(a, "now"));
	desk_close(&d);
	if (rc < 0)
		return cli_fail();
	printf("revoked %s (reason %s): scheduled for the CRL; 'certdesk publish' publishes it\n",
	       pos[0], ca_reason_name(code));
	return 0;
}

static void print_links(const char *user, const char *task_link, const char *mail_link)
{
	printf("%s\n  task: %s\n  mail: %s\n", user, task_link, mail_link);
}

static void print_due(void *ctx, const store_row *r, const char *task_link,
		      const char *mail_link, const char *why)
{
	char *clean;

	if (!why) {
		print_links(r->u.name, task_link, mail_link);
		return;
	}
	clean = cd_sanitize(why);
	fflush(stdout);
	fprintf(stderr, "certdesk: %s: not notified: %s\n", r->u.name, clean);
	free(clean);
}

/* The recorded task, not only --task: it may have been set before notifying. */
static void print_notified(desk *d, const char *user, const char *task_link,
			   const char *mail_link)
{
	desk_row row;
	const char *task;
	int found = 0;

	print_links(user, task_link, mail_link);
	if (desk_get(d, user, &row, &found) < 0 || !found)
		return;
	task = desk_cycle_cert(d, &row.r)->task;
	if (task && *task)
		printf("%s: notified, task %s; send the mail, then certdesk renew %s\n",
		       user, task, user);
	else
		printf("%s: notified; create the task, then certdesk task %s T123456\n",
		       user, user);
	desk_row_free(&row);
}

/* A late user's notify: the reminder to send, and what it reminds of. */
static void print_reminder(const char *user, const char *task_link, const char *mail_link,
			   const cycle_late *sent)
{
	char since[16];

	cd_format_date(sent->since, since);
	printf("%s\n  task: %s\n  reminder: %s\n", user, task_link, mail_link);
	if (sent->kind == LATE_APPLY)
		printf("%s: reminded to install the certificate renewed %s (%lld days ago); "
		       "then certdesk applied %s\n", user, since, (long long)sent->days, user);
	else
		printf("%s: reminded of the mail of %s (%lld days ago), still not renewed; "
		       "send the reminder, then certdesk renew %s\n", user, since,
		       (long long)sent->days, user);
}

static int cmd_notify(cli_ctx *c, const cmd_args *a)
{
	const char *const *pos = a->pos, *verb = a->cmd->verb;
	char *t = NULL, *m = NULL;
	cycle_late sent;
	desk d;
	int n = a->npos, rc;

	if (cmd_flag(a, "due") == (n == 1))
		return cd_err("%s: give either USER or --due", verb), cli_fail();
	if (cmd_flag(a, "due") && cmd_flag(a, "task"))
		return cd_err("%s: --task goes with one USER, not --due", verb), cli_fail();
	if ((n && cd_check_user(pos[0]) < 0) || cli_open_desk(c, &d, 0) < 0)
		return cli_fail();
	if (cmd_flag(a, "due")) {
		rc = desk_notify_due(&d, print_due, NULL);
		if (rc > 0)
			fprintf(stderr, "certdesk: %d user%s left unnotified (above); the others are "
				"recorded\n", rc, rc == 1 ? "" : "s");
		rc = rc < 0 ? cli_fail() : rc > 0;
	} else {
		rc = desk_notify_as(&d, pos[0], cmd_arg(a, "task"), &t, &m, &sent) < 0 ? cli_fail() : 0;
		if (rc == 0 && sent.kind != LATE_ON_TIME)
			print_reminder(pos[0], t, m, &sent);
		else if (rc == 0)
			print_notified(&d, pos[0], t, m);
	}
	free(t);
	free(m);
	desk_close(&d);
	return rc;
}

static int cmd_task(cli_ctx *c, const cmd_args *a)
{
	const char *const *pos = a->pos;
	char id[32];
	desk d;
	int rc;

	if (user_verb(c, a, &d) < 0)
		return cli_fail();
	rc = desk_set_task(&d, pos[0], pos[1]) < 0 ? -1 : desk_task_id(&d, pos[1], id, sizeof id);
	desk_close(&d);
	if (rc < 0)
		return cli_fail();
	printf("%s: task %s\n", pos[0], id); /* as recorded: "4567" is T4567 */
	return 0;
}

static int cmd_applied(cli_ctx *c, const cmd_args *a)
{
	const char *const *pos = a->pos;
	desk d;
	int rc;

	if (user_verb(c, a, &d) < 0)
		return cli_fail();
	rc = desk_applied(&d, pos[0], "operator", 0);
	desk_close(&d);
	if (rc < 0)
		return cli_fail();
	printf("%s: new certificate applied; the old one's revocation is ready: certdesk publish\n",
	       pos[0]);
	return 0;
}

struct seen_ctx {
	desk *d;
	const char *file;
	char *shown; /* the file's name, fit for the terminal */
	int marked, failed;
};

/* What a serial found in a log stands for. */
struct awaited {
	int64_t cert_id;
	struct awaited *next;
	char user[];
};

struct awaited_list {
	desk *d;
	seen_set *set;
	struct awaited *head;
};

static int add_awaited(void *ctx, const store_row *r)
{
	struct awaited_list *l = ctx;
	struct awaited *a;

	/* Only a renewal's new certificate that `applied` would accept is waited for. */
	if (!desk_applies(l->d, r, CMD_APPLIED))
		return 0;
	a = cd_malloc(sizeof *a + strlen(r->u.name) + 1);
	a->cert_id = r->cur.id;
	strcpy(a->user, r->u.name);
	a->next = l->head;
	l->head = a;
	seen_set_add(l->set, r->cur.serial, a);
	return 0;
}

static void on_seen(void *ctx, void *tag, const char *serial, int64_t when)
{
	struct seen_ctx *s = ctx;
	char *via = cd_asprintf("log %s", s->file);
	char at[32];
	const struct awaited *a = tag;

	if (desk_applied_cert(s->d, a->cert_id, a->user, via, when) < 0) {
		cli_fail();
		s->failed++;
	} else {
		cd_format_time(when ? when : cd_now(), at);
		printf("applied: %s (serial %s) seen in %s at %s\n", a->user, serial, s->shown, at);
		s->marked++;
	}
	free(via);
}

/* Every log is checked before the first is read: a typo in the third name must not
 * come after the first two were scanned and recorded. A device such as /dev/zero
 * would be read for ever; a pipe is fine (a process substitution, zcat ... |). */
static int seen_check_files(const char *const *files, int n)
{
	struct stat st;
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(files[i], "-") == 0)
			continue;
		if (stat(files[i], &st) < 0)
			return cd_err("cannot open %s: %s", files[i], strerror(errno));
		if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
			return cd_err("%s is not a log file (%s)", files[i],
				      S_ISDIR(st.st_mode) ? "a directory" : "not a regular file or a pipe");
		if (access(files[i], R_OK) < 0)
			return cd_err("cannot read %s: %s", files[i], strerror(errno));
	}
	return 0;
}

static void seen_print_stats(const char *shown, const seen_stats *st)
{
	char ignored[128] = "";

	/* A serial seen only elsewhere is most likely a log format seen.field does not fit. */
	if (st->ignored)
		snprintf(ignored, sizeof ignored, ", %llu with an awaited serial outside the serial "
			 "field (not counted: see seen.field)", (unsigned long long)st->ignored);
	fprintf(stderr, "%s: %llu lines, %llu skipped%s%s\n", shown, (unsigned long long)st->lines,
		(unsigned long long)st->skipped, ignored,
		st->truncated ? ", truncated gzip data (the rest was not read)" : "");
}

/* Where the logs hold the serial: the seen.field setting. */
static int seen_configure(desk *d, seen_set *set)
{
	char *v = NULL;
	int rc = conf_get(d->st, "seen.field", &v);

	if (rc == 0 && seen_set_field(set, v) < 0)
		rc = cd_err("seen.field: %s", cd_errmsg());
	free(v);
	return rc;
}

static int cmd_seen(cli_ctx *c, const cmd_args *a)
{
	const char *const *pos = a->pos;
	const char *stdin_only[] = {"-"};
	struct seen_ctx sc = {0};
	struct awaited_list l = {NULL, NULL, NULL};
	seen_set *set;
	desk d;
	int n = a->npos, i, rc = 0;

	if (seen_check_files(pos, n) < 0 || cli_open_desk(c, &d, 0) < 0)
		return cli_fail();
	set = l.set = seen_set_new();
	sc.d = l.d = &d;
	if (seen_configure(&d, set) < 0 || store_brief_rows(d.st, STORE_STORED, add_awaited, &l) < 0)
		rc = cli_fail();
	for (i = 0; rc == 0 && i < (n ? n : 1); i++) {
		seen_stats st = {0};
		sc.file = n ? pos[i] : stdin_only[0];
		sc.shown = cd_sanitize(sc.file);
		if (seen_scan(set, sc.file, on_seen, &sc, &st) < 0) {
			rc = cli_fail();
		} else {
			seen_print_stats(sc.shown, &st);
		}
		free(sc.shown);
	}
	if (rc == 0)
		printf("%d renewal%s marked applied\n", sc.marked, sc.marked == 1 ? "" : "s");
	seen_set_free(set);
	while (l.head) {
		struct awaited *next = l.head->next;
		free(l.head);
		l.head = next;
	}
	desk_close(&d);
	return rc ? rc : sc.failed ? 1 : 0;
}

/* Listing */
static const char *const list_cols[] = {"user", "name", "email", "serial", "expiry", "#days",
					"stage", "task", "ca"};
#define LIST_NCOLS 9

struct list_ctx {
	desk *d;
	out_table *t;
	int all;
};

static void row_values(desk *d, const store_row *r, cycle_stage stage, char expiry[16],
		       char days[24], const char **v)
{
	const store_cert *cc = desk_cycle_cert(d, r);

	cd_format_date(r->cur.not_after, expiry);
	snprintf(days, 24, "%lld", (long long)cd_days_until(r->cur.not_after, d->now));
	v[0] = r->u.name;
	v[1] = r->u.full_name;
	v[2] = r->u.email;
	v[3] = r->cur.serial;
	v[4] = expiry;
	v[5] = days;
	v[6] = cycle_stage_name(stage);
	v[7] = cc->task ? cc->task : "";
	v[8] = desk_issuer_name(d, &r->cur);
}

static int list_row(void *ctx, const store_row *r)
{
	struct list_ctx *l = ctx;
	const char *v[LIST_NCOLS];
	char expiry[16], days[24];
	cycle_stage stage = desk_stage(l->d, r);

	if (!l->all && stage == STAGE_REVOKED)
		return 0;
	row_values(l->d, r, stage, expiry, days, v);
	out_row(l->t, v);
	return 0;
}

static int cmd_list(cli_ctx *c, const cmd_args *a)
{
	struct list_ctx l;
	desk d;
	int rc;

	if (cli_open_desk(c, &d, 0) < 0)
		return cli_fail();
	l.d = &d;
	l.all = cmd_flag(a, "all");
	/* The text table names the CA only while more than one signs (a rollover). */
	l.t = out_begin(c->fmt, stdout, list_cols, c->fmt == OUT_TEXT && !ca_older(d.ca) ?
			LIST_NCOLS - 1 : LIST_NCOLS);
	rc = store_brief_rows(d.st, STORE_BY_EXPIRY, list_row, &l);
	if (rc < 0)
		out_abort(l.t);
	else
		out_end(l.t);
	desk_close(&d);
	return rc < 0 ? cli_fail() : 0;
}

void cli_print_alarms(const publish_alarms *h, FILE *fp, const char *prefix)
{
	int i;

	for (i = 0; i < h->n; i++)
		fprintf(fp, "%s%s\n", prefix, h->items[i].msg);
}

/* expirecheck */
static const char *const check_cols[] = {"user", "name", "email", "serial", "expiry", "#days",
					 "stage", "task", "task_link", "mail_link", "overdue",
					 "#mail_days", "#task_days"};
#define CHECK_NCOLS 13

struct check_ctx {
	desk *d;
	out_table *t;
	int worst;
	size_t no_links; /* users whose links could not be made */
	out_format fmt;
	metrics_due due;
};

/* What a late user's row adds: the kind, and the days since the mail and the task. */
struct check_late {
	cycle_late l;
	int64_t task_at;
	char mail_days[24], task_days[24];
};

static void late_values(desk *d, const store_row *r, const cycle_late *late,
			struct check_late *x)
{
	x->l = *late;
	*x->mail_days = *x->task_days = '\0';
	if (desk_task_since(d, r, &x->task_at) < 0)
		x->task_at = 0;
	if (x->l.mailed)
		snprintf(x->mail_days, sizeof x->mail_days, "%lld",
			 (long long)cd_days_until(d->now, x->l.mailed));
	if (x->task_at)
		snprintf(x->task_days, sizeof x->task_days, "%lld",
			 (long long)cd_days_until(d->now, x->task_at));
}

/* "  overdue: ..." in words: the clock that ran out, the mail, the task. */
static void print_late(desk *d, const store_row *r, const struct check_late *x)
{
	char since[16], mailed[16], task_at[16];
	const char *task = desk_cycle_cert(d, r)->task;

	cd_format_date(x->l.since, since);
	printf("  OVERDUE: %s %lld days ago (%s)", x->l.kind == LATE_APPLY ? "renewed, not applied,"
	       : "notified, not renewed,", (long long)x->l.days, since);
	if (x->l.kind == LATE_APPLY && x->l.mailed) {
		cd_format_date(x->l.mailed, mailed);
		printf("; mail sent %s days ago (%s)", x->mail_days, mailed);
	}
	if (x->task_at) {
		cd_format_date(x->task_at, task_at);
		printf("; task %s opened %s days ago (%s)\n", task, x->task_days, task_at);
	} else {
		printf("; %s\n", task && *task ? "the task's date is not recorded" : "no task recorded");
	}
}

static void check_text(desk *d, const store_row *r, const char *const *v,
		       const struct check_late *x, const char *tl, const char *ml)
{
	char *who = cd_sanitize(v[1]), *mail = cd_sanitize(v[2]);
	long left = strtol(v[5], NULL, 10);
	cycle_stage s = desk_stage(d, r);

	printf("%s  %s <%s>\n  %s %s (%ld day%s %s), stage %s%s%s\n", v[0], who, mail,
	       s == STAGE_EXPIRED ? "expired" : "expires", v[4], left < 0 ? -left : left,
	       left == 1 || left == -1 ? "" : "s", left < 0 ? "ago" : "left", v[6],
	       *v[7] ? ", task " : "", v[7]);
	if (x->l.kind != LATE_ON_TIME)
		print_late(d, r, x);
	printf("  task: %s\n  %s: %s\n\n", tl, x->l.kind != LATE_ON_TIME ? "reminder" : "mail", ml);
	free(who);
	free(mail);
}

/* One user's entry, with the links to send: a late user's are the reminder's. */
static void check_print(struct check_ctx *k, const store_row *r, const struct check_late *x)
{
	const char *v[CHECK_NCOLS];
	char expiry[16], days[24];
	char *tl = NULL, *ml = NULL;

	row_values(k->d, r, desk_stage(k->d, r), expiry, days, v);
	/* One bad record (a line break in a name) must not keep everyone else out of the
	 * cron mail: it is listed without links, and said on standard error. */
	if (desk_links_late(k->d, r, x->l.kind, &tl, &ml) < 0) {
		char *who = cd_sanitize(v[0]), *why = cd_sanitize(cd_errmsg());
		fprintf(stderr, "certdesk: %s: no links: %s\n", who, why);
		free(who);
		free(why);
		tl = cd_strdup("(none: see the error)");
		ml = cd_strdup(tl);
		k->no_links++;
	}
	if (k->fmt == OUT_TEXT) {
		check_text(k->d, r, v, x, tl, ml);
	} else {
		v[8] = tl;
		v[9] = ml;
		v[10] = cycle_late_name(x->l.kind);
		v[11] = x->mail_days;
		v[12] = x->task_days;
		out_row(k->t, v);
	}
	free(tl);
	free(ml);
}

/* The first pass: late users, whatever their expiry, ahead of everyone else. */
static int check_late_row(void *ctx, const store_row *r, const cycle_late *late)
{
	struct check_ctx *k = ctx;
	struct check_late x;

	late_values(k->d, r, late, &x);
	if (k->worst < 1)
		k->worst = 1;
	check_print(k, r, &x);
	return 0;
}

static int check_row(void *ctx, const store_row *r)
{
	struct check_ctx *k = ctx;
	cycle_stage s = desk_stage(k->d, r);
	struct check_late x = {0};

	/* Renewed users have a new certificate; revoked ones need nothing. */
	if (s != STAGE_EXPIRING && s != STAGE_NOTIFIED && s != STAGE_EXPIRED)
		return 0;
	k->worst = s == STAGE_EXPIRED ? 2 : k->worst > 1 ? k->worst : 1;
	k->due.due[s]++;
	/* A late user is listed already, by the first pass. */
	if (k->fmt == OUT_NAGIOS || desk_late(k->d, r, &x.l))
		return 0;
	check_print(k, r, &x);
	return 0;
}

/* The one line Icinga and Nagios read, and its level as the exit code; an error is
 * UNKNOWN on that line too, where the monitoring shows it. */
static int check_nagios(desk *d, const struct check_ctx *k, const publish_alarms *h, int rc)
{
	cd_buf text = {0};
	int level = rc < 0 ? -1 : metrics_nagios(d, &k->due, h, &text);

	level = out_nagios(stdout, level, level < 0 ? cd_errmsg() : text.s);
	cd_buf_free(&text);
	return level;
}

/* The last probe, when targets are configured and it found something (a server out of
 * reach is a warning here: the home was checked). */
static int check_probe(desk *d, out_format fmt, int *worst)
{
	char line[1024];
	int level = probe_health(d, line, sizeof line);

	if (level > 0) {
		fprintf(fmt == OUT_TEXT ? stdout : stderr, "%s\n", line);
		level = level == 3 ? 1 : level;
		*worst = level > *worst ? level : *worst;
	}
	return level < 0 ? -1 : 0;
}

/* Exit codes: 0 nothing due, 1 a warning, 2 critical, 3 an error (Nagios's codes);
 * --cron keeps 3 alone, so that a reminder is no failed job. */
static int cmd_expirecheck(cli_ctx *c, const cmd_args *a)
{
	struct check_ctx k = {0};
	desk d;
	publish_alarms h = {0};
	int rc, level;

	if (cli_open_desk(c, &d, 0) < 0)
		return c->fmt == OUT_NAGIOS ? out_nagios(stdout, 3, cd_errmsg()) : (cli_fail(), 3);
	if (cmd_flag(a, "days"))
		d.window = cmd_num(a, "days", 0) * CD_DAY;
	k.d = &d;
	k.fmt = c->fmt;
	if (c->fmt == OUT_TSV || c->fmt == OUT_JSON)
		k.t = out_begin(c->fmt, stdout, check_cols, CHECK_NCOLS);
	links_batch(1);
	rc = c->fmt == OUT_NAGIOS ? 0 : desk_late_each(&d, check_late_row, &k);
	if (rc == 0)
		rc = store_rows_expiring(d.st, cycle_window_end(d.now, d.window), check_row, &k);
	links_batch(0);
	if (k.t)
		out_end(k.t);
	/* The CRL and the CA can lock everyone out at once: judged on d.now too. */
	if (rc == 0 && (rc = publish_health(&d, &h)) == 0 && c->fmt != OUT_NAGIOS)
		cli_print_alarms(&h, c->fmt == OUT_TEXT ? stdout : stderr, "");
	if (rc == 0 && c->fmt != OUT_NAGIOS)
		rc = check_probe(&d, c->fmt, &k.worst);
	if (c->fmt == OUT_NAGIOS) {
		level = check_nagios(&d, &k, &h, rc);
		desk_close(&d);
		return level;
	}
	desk_close(&d);
	if (rc < 0)
		return cli_fail(), 3;
	if (k.no_links)
		fprintf(stderr, "certdesk: the links of %zu user%s could not be made (above)\n",
			k.no_links, k.no_links == 1 ? "" : "s");
	level = k.worst > h.worst ? k.worst : h.worst;
	return cmd_flag(a, "cron") ? 0 : level;
}

/* show */
static void show_field(const char *label, const char *v)
{
	char *clean;

	if (!v || !*v)
		return;
	clean = cd_sanitize(v);
	printf("  %-10s %s\n", label, clean);
	free(clean);
}

static const char *const cert_cols[] = {"serial", "not_before", "not_after", "key", "state",
					"what", "p12", "pw", "ca"};

/* One certificate, with what became of it, in the core's words. */
static int show_cert(void *ctx, const store_cert *c, const cycle_cert_desc *what)
{
	out_table *t = ctx;
	char from[16], to[16];
	const char *v[9] = {c->serial, from, to, c->key_type, what->word, what->text,
			    c->p12_path, c->pw_path, what->issuer};

	cd_format_date(c->not_before, from);
	cd_format_date(c->not_after, to);
	if (t) {
		out_row(t, v);
		return 0;
	}
	printf("  %s  %s .. %s  %s: %s\n", c->serial, from, to, c->key_type, what->text);
	if (what->several_cas) {
		char *by = cd_sanitize(what->issuer);

		printf("    issued by the CA %s\n", by);
		free(by);
	}
	if (c->p12_path)
		printf("    files: %s%s%s\n", c->p12_path, c->pw_path ? ", " : "",
		       c->pw_path ? c->pw_path : "");
	return 0;
}

static int show_audit(void *ctx, int64_t at, const char *actor, const char *action,
		      const char *user, const char *detail)
{
	char when[32];
	char *clean = cd_sanitize(detail);

	cd_format_time(at, when);
	printf("  %s  %-8s %-8s %s\n", when, actor, action, clean);
	free(clean);
	return 0;
}

static void show_text(desk *d, const store_row *r)
{
	char *tl = NULL, *ml = NULL;

	printf("%s  stage %s\n", r->u.name, cycle_stage_name(desk_stage(d, r)));
	show_field("name", r->u.full_name);
	show_field("email", r->u.email);
	show_field("phone", r->u.phone);
	show_field("location", r->u.location);
	show_field("org", r->u.org);
	show_field("ou", r->u.ou);
	show_field("country", r->u.country);
	show_field("task", desk_cycle_cert(d, r)->task);
	printf("certificates:\n");
	if (desk_certs(d, r, show_cert, NULL) < 0)
		printf("  cannot be read: %s\n", cd_errmsg());
	if (desk_links(d, r, &tl, &ml) == 0)
		printf("links:\n  task: %s\n  mail: %s\n", tl, ml);
	else
		printf("links: cannot be made: %s\n", cd_errmsg());
	printf("history:\n");
	store_audit_each(d->st, r->u.name, show_audit, NULL);
	free(tl);
	free(ml);
}

static int cmd_show(cli_ctx *c, const cmd_args *a)
{
	const char *const *pos = a->pos;
	desk_row row;
	desk d;
	int rc = 0;

	if (user_verb(c, a, &d) < 0)
		return cli_fail();
	if (desk_get_existing(&d, pos[0], &row) < 0) {
		desk_close(&d);
		return cli_fail();
	}
	if (c->fmt == OUT_TEXT) {
		show_text(&d, &row.r);
	} else {
		/* For scripts: the certificates, each with its state word. */
		out_table *t = out_begin(c->fmt, stdout, cert_cols, 9);
		rc = desk_certs(&d, &row.r, show_cert, t) < 0 ? cli_fail() : 0;
		out_end(t);
	}
	desk_row_free(&row);
	desk_close(&d);
	return rc;
}

/* config */
static const char *const config_cols[] = {"key", "value", "default", "help"};

/* What config shows of a value it owns: a URL's password masked. */
static char *shown_setting(const char *key, char *v)
{
	char *shown = conf_shown(key, v);

	free(v);
	return shown;
}

static int list_settings(cli_ctx *c, desk *d)
{
	out_table *t = c->fmt == OUT_TEXT ? NULL : out_begin(c->fmt, stdout, config_cols, 4);
	const conf_def *def;
	char *v;
	int rc = 0;

	for (def = conf_table; def->key && rc == 0; def++) {
		const char *row[4] = {def->key, NULL, def->def, def->help};

		if (conf_get(d->st, def->key, &v) < 0) {
			rc = cli_fail();
			break;
		}
		row[1] = v = shown_setting(def->key, v);
		if (t)
			out_row(t, row);
		else
			printf("%-18s %-34s %s\n", def->key, *v ? v : "\"\"", def->help);
		free(v);
	}
	if (t)
		out_end(t);
	return rc;
}

/* The setting keeps the real value; the terminal gets it masked. */
static int set_setting(desk *d, const char *key, const char *value)
{
	char *shown;

	if (desk_set_setting(d, key, value) < 0)
		return cli_fail();
	shown = conf_shown(key, value);
	printf("%s = %s\n", key, shown);
	free(shown);
	return 0;
}

static int cmd_config(cli_ctx *c, const cmd_args *a)
{
	const char *const *pos = a->pos;
	char *v;
	desk d;
	int n = a->npos, rc = 0;

	if (n >= 1 && !conf_find(pos[0]))
		return cd_err("unknown setting '%.60s' (certdesk config lists them)", pos[0]), cli_fail();
	if (n == 2 && conf_check(pos[0], pos[1]) < 0)
		return cli_fail();
	if (cli_open_desk(c, &d, 0) < 0)
		return cli_fail();
	if (n == 2) {
		rc = set_setting(&d, pos[0], pos[1]);
	} else if (n == 1) {
		if (conf_get(d.st, pos[0], &v) < 0)
			rc = cli_fail();
		else
			v = shown_setting(pos[0], v), printf("%s\n", v), free(v);
	} else {
		rc = list_settings(c, &d);
	}
	desk_close(&d);
	return rc;
}

/* log */
static const char *const log_cols[] = {"time", "actor", "action", "user", "detail"};

static int log_row(void *ctx, int64_t at, const char *actor, const char *action,
		   const char *user, const char *detail)
{
	char when[32];
	const char *v[5] = {when, actor, action, user ? user : "", detail};

	cd_format_time(at, when);
	out_row(ctx, v);
	return 0;
}

/* The chain alone: the first row that does not match (exit 2), else how many are intact. */
static int log_verify(desk *d)
{
	char line[300];
	int64_t bad = 0;
	int rc = verify_audit_chain(d, &bad, line, sizeof line);

	desk_close(d);
	if (rc < 0)
		return cli_fail();
	printf("%s\n", line);
	return bad ? 2 : 0;
}

static int cmd_log(cli_ctx *c, const cmd_args *a)
{
	const char *const *pos = a->pos;
	out_table *t;
	desk d;
	int n = a->npos, rc;

	if ((n && cd_check_user(pos[0]) < 0) || cli_open_desk(c, &d, 0) < 0)
		return cli_fail();
	if (cmd_flag(a, "verify"))
		return log_verify(&d);
	t = out_begin(c->fmt, stdout, log_cols, 5);
	rc = desk_log(&d, n ? pos[0] : NULL, log_row, t);
	out_end(t);
	desk_close(&d);
	return rc < 0 ? cli_fail() : 0;
}

static int cmd_create(cli_ctx *c, const cmd_args *a)
{
	return issue_cmd(c, a, 0);
}

static int cmd_renew(cli_ctx *c, const cmd_args *a)
{
	return issue_cmd(c, a, 1);
}

/* ca renew: servers must get the new CA certificate before the old one ends. */
static int ca_renew_cmd(desk *d, const cmd_args *a)
{
	char end[16];

	if (desk_ca_renew(d, (int)cmd_num(a, "days", 3650)) < 0)
		return -1;
	cd_format_date(ca_not_after(d->ca), end);
	printf("renewed the CA certificate %s/ca.crt: same key and name, valid until %s\n"
	       "  every certificate issued keeps verifying; give the servers the new CA "
	       "certificate\n  before the old one ends (the old one is kept beside it)\n",
	       d->ca_dir, end);
	if (ca_names_serial(d->ca))
		printf("  its serial number is kept: the certificates it issued name it in their "
		       "authority key\n  identifier; a browser database that holds the old CA "
		       "certificate needs it replaced\n");
	return 0;
}

/* ca rollover: the new CA issues; the servers need its CRL and certificate first. */
static int ca_rollover_cmd(desk *d, const cmd_args *a)
{
	const char *kt = cmd_arg(a, "key");
	char end[16], old_end[16];
	const ca *old;

	if (desk_ca_rollover(d, cmd_arg(a, "cn"), kt && strcmp(kt, "rsa") == 0 ? CA_KEY_RSA :
			     CA_KEY_EC, (int)cmd_num(a, "days", 3650)) < 0)
		return -1;
	old = ca_older(d->ca);
	cd_format_date(ca_not_after(d->ca), end);
	cd_format_date(ca_not_after(old), old_end);
	printf("rolled the CA over: %s (key %.16s...) issues from now on, valid until %s\n"
	       "  %s keeps signing its CRL until the last certificate it issued ends (at the "
	       "latest %s);\n  renewals move every user to the new CA\n"
	       "  next: certdesk publish (one CRL per CA in the CRL file, both CA certificates "
	       "in the bundle),\n  and have the servers load them before the first "
	       "certificate of the new CA is used\n", ca_name(d->ca), ca_kid(d->ca), end,
	       ca_name(old), old_end);
	return 0;
}

static void say_step(void *ctx, const char *line)
{
	printf("%s\n", line);
}

static int ca_move_cmd(cli_ctx *c, const cmd_args *a)
{
	desk d;
	int rc;

	if (a->npos != 2)
		return cd_err("ca move-to-token needs the token's URI: ca move-to-token "
			      "pkcs11:token=LABEL;object=ca"), cli_fail();
	if (cmd_arg(a, "cn") || cmd_arg(a, "key") || cmd_arg(a, "days"))
		return cd_err("ca move-to-token keeps the CA: --cn, --key and --days are for ca "
			      "rollover"), cli_fail();
	if (cli_open_desk(c, &d, 0) < 0)
		return cli_fail();
	rc = desk_move_to_token(&d, a->pos[1], cmd_arg(a, "pkcs11-module"),
				cmd_arg(a, "passphrase-file"), say_step, NULL);
	desk_close(&d);
	return rc < 0 ? cli_fail() : 0;
}

static int cmd_ca(cli_ctx *c, const cmd_args *a)
{
	int roll = strcmp(a->pos[0], "rollover") == 0;
	desk d;
	int rc;

	if (strcmp(a->pos[0], "move-to-token") == 0)
		return ca_move_cmd(c, a);
	if (!roll && strcmp(a->pos[0], "renew") != 0)
		return cd_err("%s: unknown action '%.20s': expected renew, rollover or "
			      "move-to-token", a->cmd->verb, a->pos[0]), cli_fail();
	if (a->npos > 1)
		return cd_err("ca %s takes no URI: that is for ca move-to-token", a->pos[0]),
		       cli_fail();
	if (cmd_arg(a, "passphrase-file") || cmd_arg(a, "pkcs11-module"))
		return cd_err("--passphrase-file and --pkcs11-module are for ca move-to-token "
			      "(signing reads CERTDESK_PASSPHRASE_FILE)"), cli_fail();
	if (!roll && (cmd_arg(a, "cn") || cmd_arg(a, "key")))
		return cd_err("ca renew keeps the CA's name and key: --cn and --key are for ca "
			      "rollover"), cli_fail();
	if (cli_open_desk(c, &d, 0) < 0)
		return cli_fail();
	rc = roll ? ca_rollover_cmd(&d, a) : ca_renew_cmd(&d, a);
	desk_close(&d);
	return rc < 0 ? cli_fail() : 0;
}

/* Every command-line verb of the command table has its function here, and the exit
 * code of a command line it refuses (expirecheck keeps 0..2 for what it finds). */
static const struct {
	cli_handler *run;
	int refused;
} verbs[CMD_COUNT] = {
	[CMD_INIT] = {cmd_init, 1},
	[CMD_CREATE] = {cmd_create, 1},
	[CMD_RENEW] = {cmd_renew, 1},
	[CMD_REVOKE] = {cmd_revoke, 1},
	[CMD_NOTIFY] = {cmd_notify, 1},
	[CMD_TASK] = {cmd_task, 1},
	[CMD_APPLIED] = {cmd_applied, 1},
	[CMD_SEEN] = {cmd_seen, 1},
	[CMD_PUBLISH] = {cli_publish, 1},
	[CMD_CRL] = {cli_crl, 1},
	[CMD_LIST] = {cmd_list, 1},
	[CMD_SHOW] = {cmd_show, 1},
	[CMD_EXPIRECHECK] = {cmd_expirecheck, 3},
	[CMD_CONFIG] = {cmd_config, 1},
	[CMD_LOG] = {cmd_log, 1},
	[CMD_IMPORT] = {cli_import, 1},
	[CMD_CA] = {cmd_ca, 1},
	[CMD_BACKUP] = {cli_backup, 1},
	[CMD_RESTORE] = {cli_restore, 1},
	[CMD_METRICS] = {cli_metrics, 1},
	[CMD_VERIFY] = {cli_verify, 3},
	[CMD_PROBE] = {cli_probe, 3},
};

cli_handler *cli_handler_of(cmd_id id)
{
	return id >= 0 && id < CMD_COUNT ? verbs[id].run : NULL;
}

/* The arguments are read before anything else: a slip is refused before the home is
 * opened, and whether the command writes is known from what it was given. */
int cli_run(const cmd_info *ci, cli_ctx *c)
{
	cmd_args a;

	if (!verbs[ci->id].run)
		return cd_err("'%s' is a dashboard key, not a command", ci->help), cli_fail();
	if (c->fmt == OUT_NAGIOS && ci->id != CMD_EXPIRECHECK && ci->id != CMD_PROBE)
		return cd_err("--format nagios is for expirecheck and probe (%s: text, tsv or json)",
			      ci->verb), cli_fail(), verbs[ci->id].refused;
	if (cmd_parse(ci, c->argc, c->argv, &a) < 0)
		return cli_fail(), verbs[ci->id].refused;
	if (cmd_allowed(ci, cmd_mode(c->readonly, c->as_of), cmd_writes(&a)) < 0)
		return cli_fail(), verbs[ci->id].refused;
	return verbs[ci->id].run(c, &a);
}

#define HELP_INDENT "                 " /* under the help of "  expirecheck  " */
#define HELP_COLS 80

/* A usage breaks before an option ("--", "[") or after a "; ", never inside one. */
static int help_break(const char *text, size_t i)
{
	return text[i] == ' ' && (text[i + 1] == '[' || text[i + 1] == '-' || text[i - 1] == ';');
}

/* Prints text at the indent, broken so that it stays within HELP_COLS. */
static void help_wrapped(FILE *fp, const char *text)
{
	size_t room = HELP_COLS - (sizeof HELP_INDENT - 1), n, cut, i;

	while (*text) {
		n = strlen(text);
		cut = n;
		if (n > room)
			for (cut = 0, i = 1; i <= room; i++)
				if (help_break(text, i))
					cut = i;
		if (cut == 0)
			cut = n;
		fprintf(fp, "%s%.*s\n", HELP_INDENT, (int)cut, text);
		text += cut;
		text += *text == ' ';
	}
}

static void help_command(FILE *fp, const cmd_info *c)
{
	char *usage = cmd_usage(c), *domains = cmd_domains(c);

	fprintf(fp, "  %-12s %s\n", c->verb, c->help);
	help_wrapped(fp, usage);
	help_wrapped(fp, domains);
	free(usage);
	free(domains);
}

void cli_help(FILE *fp)
{
	int i;

	fprintf(fp, "usage: certdesk [global options] [command [arguments]]\n\n"
		"With no command, opens the dashboard.\n\ncommands:\n");
	for (i = 0; i < CMD_COUNT; i++)
		if (cmd_table[i].verb && !(cmd_table[i].flags & CMD_UI))
			help_command(fp, &cmd_table[i]);
	fprintf(fp, "\nglobal options:\n"
		"  --home DIR          the certdesk home (else $CERTDESK_HOME, else ~/.local/share/certdesk)\n"
		"  --as-of YYYY-MM-DD  judge stages and readiness as of that day (UTC), to plan:\n"
		"                      commands that would write are refused (dry runs work)\n"
		"  --format text|tsv|json  output of listing commands\n"
		"                      (nagios: expirecheck's status line for Icinga or Nagios)\n"
		"  --read-only         never write, never open the CA key\n"
		"  --no-color          monochrome dashboard (also NO_COLOR)\n"
		"  --expirecheck       same as the expirecheck command\n"
		"  --help, --version\n\nversion %s\n", CD_VERSION);
}
