/* desk.c: the home and every action on it. See desk.h. */
#include "desk.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "conf.h"
#include "embed.h"
#include "links.h"
#include "util.h"

#include <openssl/crypto.h>

char *desk_home_path(const char *given)
{
	const char *env = getenv("CERTDESK_HOME");
	const char *home = getenv("HOME");

	if (given && *given)
		return cd_strdup(given);
	if (env && *env)
		return cd_strdup(env);
	return cd_asprintf("%s/.local/share/certdesk", home && *home ? home : ".");
}

static void set_paths(desk *d, const char *home)
{
	d->home = cd_strdup(home);
	d->db_path = cd_asprintf("%s/certdesk.db", home);
	d->ca_dir = cd_asprintf("%s/ca", home);
	d->tmpl_dir = cd_asprintf("%s/templates", home);
	d->lock_path = cd_asprintf("%s/.lock", home);
}

static void free_paths(desk *d)
{
	free(d->home);
	free(d->db_path);
	free(d->ca_dir);
	free(d->tmpl_dir);
	free(d->lock_path);
}

/* The first line of a file, for passphrases given by file. */
static int read_first_line(const char *path, char *buf, size_t size)
{
	char *data;
	size_t len, n;

	if (cd_read_secret(path, &data, &len) < 0)
		return -1;
	n = strcspn(data, "\r\n");
	if (n == 0 || n >= size) {
		cd_secret_free(data, len);
		return cd_err("%s: the passphrase must be one line of 1 to %zu bytes", path, size - 1);
	}
	memcpy(buf, data, n);
	buf[n] = '\0';
	cd_secret_free(data, len);
	return 0;
}

int desk_write_templates(const char *dir)
{
	const struct cd_embedded *t;

	if (cd_mkdir_p(dir, 0755) < 0)
		return -1;
	for (t = cd_templates; t->name; t++) {
		char *path = cd_asprintf("%s/%s", dir, t->name);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		size_t len = strlen(t->text);

		if (fd < 0 && errno != EEXIST) {
			cd_err("cannot write %s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		if (fd >= 0 && (write(fd, t->text, len) != (ssize_t)len || close(fd) < 0)) {
			cd_err("cannot write %s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
	}
	return 0;
}

static int take_lock(desk *d, int nonblock)
{
	int fd = open(d->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		cd_err("cannot open %s: %s", d->lock_path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0) {
		cd_err("another certdesk is issuing a certificate; try again");
		close(fd);
		return -1;
	}
	return fd;
}

static void drop_lock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int desk_lock(desk *d)
{
	return take_lock(d, 0);
}

void desk_unlock(int fd)
{
	drop_lock(fd);
}

struct recover {
	desk *d;
	int64_t ids[64];
	int n;
};

/* A file and the temporary names (FILE.tmp.PID) cd_write_secret may have left when it
 * was killed: they hold the secret too. */
static void unlink_with_temps(const char *path)
{
	unlink(path);
	cd_unlink_temps(path);
}

/* A CA is never replaced: neither a whole home nor a CA whose database is missing. */
static int init_refuse(desk *d)
{
	char *key = cd_asprintf("%s/ca.key", d->ca_dir), *crt = cd_asprintf("%s/ca.crt", d->ca_dir);
	int rc = 0;

	if (cd_path_exists(d->ca_dir) && cd_path_exists(d->db_path))
		rc = cd_err("%s already holds a certdesk CA; not overwriting it", d->home);
	else if (cd_path_exists(key) || cd_path_exists(crt))
		rc = cd_err("a CA already exists in %s; not replacing it", d->ca_dir);
	free(key);
	free(crt);
	return rc;
}

/* The staging directory of a CA being made, emptied of what a killed init left there
 * (under the lock, so no init is using it). */
static int stage_clear(const char *stage)
{
	static const char *const names[] = {"ca.key", "ca.crt", "ca.p11"};
	size_t i;

	for (i = 0; i < sizeof names / sizeof *names; i++) {
		char *p = cd_asprintf("%s/%s", stage, names[i]);
		unlink_with_temps(p);
		free(p);
	}
	if (rmdir(stage) < 0 && errno != ENOENT)
		return cd_err("cannot remove %s, left by an interrupted init: %s; remove it by hand",
			      stage, strerror(errno));
	return 0;
}

/* The database: created, or the one an interrupted init left (with its audit entry). */
static int init_store(desk *d, const desk_init_opts *o)
{
	store *st = NULL;
	int rc = -1;

	if (store_open(d->db_path, STORE_CREATE, &st) < 0 || store_begin(st) < 0)
		goto out;
	rc = store_end(st, (o->crl_remote && (conf_check("crl.remote", o->crl_remote) < 0 ||
					     store_setting_set(st, "crl.remote", o->crl_remote) < 0)) ||
			   (o->pkcs11_uri && store_setting_set(st, "ca.pkcs11_uri", o->pkcs11_uri) < 0) ||
			   (o->pkcs11_module &&
			    store_setting_set(st, "ca.pkcs11_module", o->pkcs11_module) < 0) ||
			   store_audit(st, cd_now(), cd_operator(), "init", NULL, o->cn) < 0 ? -1 : 0);
out:
	store_close(st);
	return rc;
}

/*
 * The CA is made in HOME/ca.new and renamed to HOME/ca last, after the database: a
 * kill at any point leaves either no CA (and the next init starts again) or a whole
 * one, never a key without its certificate.
 */
static int init_locked(desk *d, const desk_init_opts *o, const char *pass)
{
	char *stage = cd_asprintf("%s/ca.new", d->home);
	int rc = -1;

	if (stage_clear(stage) < 0 || cd_mkdir_p(stage, 0755) < 0)
		goto out;
	if ((o->pkcs11_uri ? desk_token_init(stage, o->cn, o->key, o->days, o->pkcs11_uri,
					     o->pkcs11_module, pass, o->done, DESK_DONE_MAX) :
	     ca_init(stage, o->cn, o->key, o->days, pass)) < 0 ||
	    desk_write_templates(d->tmpl_dir) < 0 || init_store(d, o) < 0)
		goto out;
	if (rename(stage, d->ca_dir) < 0) {
		cd_err("cannot create %s: %s", d->ca_dir, strerror(errno));
		goto out;
	}
	cd_fsync_dir_of(d->ca_dir);
	rc = 0;
out:
	if (rc < 0)
		stage_clear(stage);
	free(stage);
	return rc;
}

int desk_init(const char *home, const desk_init_opts *o)
{
	desk d = {0};
	char pass[1024];
	int rc = -1, lock = -1;

	set_paths(&d, home);
	/* Checked before anything is made: a refused remote must leave no half home. */
	if (o->crl_remote && conf_check("crl.remote", o->crl_remote) < 0)
		goto out;
	if (o->passphrase_file && read_first_line(o->passphrase_file, pass, sizeof pass) < 0)
		goto out;
	/* The token and its PIN are checked before the home is made. */
	if (o->pkcs11_uri && ((!o->passphrase_file &&
			       desk_token_pin(o->ask, o->ask_ctx, NULL, pass, sizeof pass) < 0) ||
			      desk_token_check(o->pkcs11_uri, o->pkcs11_module, pass) < 0))
		goto out;
	if (init_refuse(&d) < 0 || cd_mkdir_p(home, 0755) < 0 || (lock = take_lock(&d, 0)) < 0)
		goto out;
	rc = init_locked(&d, o, o->passphrase_file || o->pkcs11_uri ? pass : NULL);
out:
	OPENSSL_cleanse(pass, sizeof pass);
	drop_lock(lock);
	free_paths(&d);
	return rc;
}

/* What an issue for a request writes: USER.crt, and USER-chain.pem beside it; the
 * record keeps the first name, the second follows from it. */
static const char *const issue_ends[2][2] = {{".p12", ".pw"}, {".crt", "-chain.pem"}};

/* The key type recorded for a certificate whose key the user holds: "user-ec",
 * "user-rsa". The mail asks such a user for a request rather than promising a bundle. */
#define USER_KEY "user-"

static int key_is_users(const char *key_type)
{
	return key_type && strncmp(key_type, USER_KEY, strlen(USER_KEY)) == 0;
}

static int has_suffix(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n >= m && strcmp(s + n - m, end) == 0;
}

static char *chain_of(const char *crt)
{
	return cd_asprintf("%.*s%s", (int)(strlen(crt) - strlen(issue_ends[1][0])), crt,
			   issue_ends[1][1]);
}

static int recover_one(void *ctx, int64_t id, const char *serial, const char *p12, const char *pw)
{
	struct recover *r = ctx;

	/* Only files this certdesk created exclusively for that pending issue. */
	if (p12)
		unlink_with_temps(p12);
	if (p12 && has_suffix(p12, ".crt")) {
		char *chain = chain_of(p12);

		unlink_with_temps(chain);
		free(chain);
	}
	if (pw)
		unlink_with_temps(pw);
	if (r->n < 64)
		r->ids[r->n++] = id;
	return 0;
}

/*
 * An issue killed half-way left a 'pending' certificate (and perhaps its files):
 * undo it, so that the result is as if it never started. Runs only when no other
 * certdesk is issuing (the issue lock is free).
 */
static int recover_pending(desk *d)
{
	struct recover r = {d, {0}, 0};
	int fd = take_lock(d, 1), i, rc = 0;

	if (fd < 0)
		return 0;
	if (store_pending_each(d->st, recover_one, &r) < 0) {
		drop_lock(fd);
		return -1;
	}
	if (r.n && store_begin(d->st) == 0) {
		for (i = 0; i < r.n && rc == 0; i++)
			rc = store_cert_delete(d->st, r.ids[i]);
		if (rc == 0)
			rc = store_audit(d->st, cd_now(), cd_operator(), "recover", NULL,
					 "undid an interrupted certificate issue");
		rc = store_end(d->st, rc);
	}
	drop_lock(fd);
	return rc;
}

void desk_reload(desk *d)
{
	char *v = NULL;

	links_forget();
	d->window = conf_get_int(d->st, "window.days") * CD_DAY;
	store_audit_syslog(d->st, conf_get(d->st, "audit.syslog", &v) == 0 && !strcmp(v, "on"));
	free(v);
	d->late.renewal_days = conf_get_int(d->st, "notify.overdue_days");
	d->late.apply_days = conf_get_int(d->st, "apply.overdue_days");
}

static int holds_ca(const desk *d)
{
	char *crt = cd_asprintf("%s/ca.crt", d->ca_dir);
	int yes = cd_path_exists(crt);

	free(crt);
	return yes;
}

/*
 * The database of a home that holds a CA is missing, empty or without tables: a new one
 * would issue and revoke beside the CA as if nothing had happened before.
 */
static void lost_database(desk *d)
{
	char *what = cd_strdup(cd_errmsg());

	if (holds_ca(d))
		cd_err("%s but %s holds a CA: restore the database from a backup (certdesk "
		       "never makes a new one beside an existing CA)", what, d->ca_dir);
	else
		cd_err("%s: restore it from a backup; only 'certdesk init' creates one", what);
	free(what);
}

/* A rollover killed half-way is finished or undone before anything reads the CA. */
static int recover_rollover(desk *d)
{
	char *next = cd_asprintf("%s/next", d->ca_dir), done[160];
	int lock = -1, rc = 0;

	if (cd_path_exists(next) && (lock = take_lock(d, 0)) >= 0) {
		rc = ca_recover(d->ca_dir, done, sizeof done);
		if (rc == 0 && *done)
			rc = store_audit(d->st, cd_now(), cd_operator(), "ca-rollover", NULL, done);
		drop_lock(lock);
	} else if (lock < 0 && cd_path_exists(next))
		rc = -1;
	free(next);
	return rc;
}

int desk_open(desk *d, const char *home, int flags)
{
	int ro = flags & DESK_READONLY, rc;

	memset(d, 0, sizeof *d);
	set_paths(d, home);
	d->now = cd_now();
	if (!cd_path_exists(d->ca_dir) || (!cd_path_exists(d->db_path) && !holds_ca(d))) {
		cd_err("no certdesk home at %s: run 'certdesk init' there, or pass --home", home);
		goto fail;
	}
	/* A teammate who cannot write the home gets the read-only view. */
	if (access(d->db_path, W_OK) < 0 || access(home, W_OK) < 0)
		ro = 1;
	d->readonly = ro;
	if ((rc = store_open(d->db_path, ro ? STORE_READONLY : 0, &d->st)) == STORE_LOST)
		lost_database(d);
	if (rc < 0 || (!ro && recover_rollover(d) < 0) || ca_open(d->ca_dir, 0, NULL, &d->ca) < 0)
		goto fail;
	store_set_validity_cap(d->st, ca_not_after(d->ca));
	if (!ro && recover_pending(d) < 0)
		goto fail;
	desk_reload(d);
	return 0;
fail:
	desk_close(d);
	return -1;
}

void desk_judge_on(desk *d, int64_t day)
{
	d->now = d->as_of = day;
}

int desk_mode(const desk *d)
{
	return cmd_mode(d->readonly, d->as_of);
}

int desk_writable(const desk *d, const char *what)
{
	char day[16];

	if (d->readonly)
		return cd_err("read-only: cannot %s", what);
	if (d->as_of) {
		cd_format_date(d->as_of, day);
		return cd_err("--as-of only judges: cannot %s on the judgement of %s; run it "
			      "without --as-of", what, day);
	}
	return 0;
}

void desk_close(desk *d)
{
	links_forget();
	ca_close(d->ca);
	store_close(d->st);
	free_paths(d);
	memset(d, 0, sizeof *d);
}

int desk_secret(desk_ask_fn ask, void *ctx, const char *prompt, const char *none, char *buf,
		size_t size)
{
	const char *file = getenv("CERTDESK_PASSPHRASE_FILE");

	if (file && *file)
		return read_first_line(file, buf, size);
	if (ask && ask(ctx, prompt, buf, size) == 0)
		return 0;
	return cd_err("%s: set CERTDESK_PASSPHRASE_FILE or run from a terminal", none);
}

int desk_passphrase(desk_ask_fn ask, void *ctx, char *buf, size_t size)
{
	return desk_secret(ask, ctx, "CA passphrase: ", "the CA key is passphrase-protected", buf,
			   size);
}

int desk_passphrase_file(const char *path, char *buf, size_t size)
{
	return read_first_line(path, buf, size);
}

static int signing_pass(void *ctx, char *buf, size_t size)
{
	desk *d = ctx;

	return desk_passphrase(d->ask, d->ask_ctx, buf, size);
}

static void desk_note(desk *d, const char *line)
{
	if (d->note)
		d->note(d->ask_ctx, line);
	else
		fprintf(stderr, "certdesk: %s\n", line);
}

int desk_signing(desk *d)
{
	char *uri = NULL, *module = NULL;
	int upgraded = 0, rc;

	if (d->signing)
		return 0;
	if (d->readonly)
		return cd_err("read-only: this view never opens the CA key");
	if ((rc = desk_token_of(d, &uri, &module)) != 0) {
		free(uri);
		free(module);
		if (rc < 0 || desk_token_signing(d) < 0)
			return -1;
		d->signing = 1;
		return 0;
	}
	if (ca_load_key(d->ca, d->ca_dir, signing_pass, d, &upgraded) < 0)
		return -1;
	if (upgraded > 0)
		desk_note(d, "the CA key was re-encrypted with scrypt, under the same passphrase: "
			  "its old encryption was weak");
	else if (upgraded < 0) {
		char *line = cd_asprintf("warning: %s", cd_errmsg());
		desk_note(d, line);
		free(line);
	}
	d->signing = 1;
	return 0;
}

struct log_walk {
	store_audit_fn fn;
	void *ctx;
	size_t n;
};

static int log_masked(void *ctx, int64_t at, const char *actor, const char *action,
		      const char *user, const char *detail)
{
	struct log_walk *w = ctx;
	/* Stored masked since schema 3; masked here too, whatever wrote the row. */
	char *shown = cd_mask_urls(detail);
	int rc = w->fn(w->ctx, at, actor, action, user, shown);

	free(shown);
	w->n++;
	return rc;
}

int desk_log(desk *d, const char *user, store_audit_fn fn, void *ctx)
{
	struct log_walk w = {fn, ctx, 0};
	desk_row row;
	int found = 0;

	if ((user && cd_check_user(user) < 0) || store_audit_each(d->st, user, log_masked, &w) < 0)
		return -1;
	if (!user || w.n)
		return 0;
	if (desk_get(d, user, &row, &found) < 0)
		return -1;
	if (found)
		desk_row_free(&row);
	return found ? 0 : cd_err("no such user '%s', and nothing in the audit trail about one",
				  user);
}

int desk_audit(desk *d, const char *action, const char *user, const char *fmt, ...)
{
	cd_buf b = {0};
	va_list ap;
	int rc;

	va_start(ap, fmt);
	cd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rc = store_audit(d->st, cd_now(), cd_operator(), action, user, b.s ? b.s : "");
	cd_buf_free(&b);
	return rc;
}

void desk_row_copy(desk_row *dst, const store_row *src)
{
	cd_buf b = {0};

	store_row_copy(&dst->r, src, &b);
	dst->strings = cd_buf_take(&b); /* the same block: the pointers stay valid */
}

void desk_row_free(desk_row *r)
{
	free(r->strings);
	r->strings = NULL;
}

static int copy_cb(void *ctx, const store_row *row)
{
	desk_row_copy(ctx, row);
	return 0;
}

int desk_get(desk *d, const char *user, desk_row *out, int *found)
{
	memset(out, 0, sizeof *out);
	return store_row_get(d->st, user, copy_cb, out, found);
}

int desk_get_existing(desk *d, const char *user, desk_row *out)
{
	int found;

	if (cd_check_user(user) < 0 || desk_get(d, user, out, &found) < 0)
		return -1;
	if (!found)
		return cd_err("no such user '%s'", user);
	return 0;
}

cycle_stage desk_stage(const desk *d, const store_row *r)
{
	return cycle_stage_of(r, d->now, d->window);
}

int desk_renewal_open(const desk *d, const store_row *r)
{
	return cycle_renewal_open(r, d->now, d->window);
}

const store_cert *desk_cycle_cert(const desk *d, const store_row *r)
{
	return cycle_cert(r, d->now, d->window);
}

int desk_may(const desk *d, const store_row *r, cmd_id c)
{
	return cycle_action_check(r, d->now, d->window, c);
}

int desk_applies(const desk *d, const store_row *r, cmd_id c)
{
	return cycle_applies(r, d->now, d->window, c);
}

cycle_verdict desk_verdict(const desk *d, const store_row *r)
{
	return cycle_verdict_of(r, d->now, d->window);
}

/* What a certificate's description needs of the one that replaced it. */
struct cert_link {
	int64_t id, replaces, issued_at, applied_at;
	char serial[80];
};

struct certs_walk {
	desk *d;
	const store_row *r;
	struct cert_link *links;
	size_t n, cap;
	desk_cert_fn fn;
	void *ctx;
};

static int cert_collect(void *ctx, const store_cert *c)
{
	struct certs_walk *w = ctx;
	struct cert_link *l;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->links = cd_realloc(w->links, w->cap * sizeof *w->links);
	}
	l = &w->links[w->n++];
	l->id = c->id;
	l->replaces = c->replaces;
	l->issued_at = c->issued_at;
	l->applied_at = c->applied_at;
	snprintf(l->serial, sizeof l->serial, "%s", c->serial ? c->serial : "");
	return 0;
}

static int cert_describe(void *ctx, const store_cert *c)
{
	struct certs_walk *w = ctx;
	store_cert repl;
	cycle_cert_desc what;
	size_t i;

	for (i = 0; i < w->n && w->links[i].replaces != c->id; i++)
		;
	memset(&repl, 0, sizeof repl);
	if (i < w->n) {
		repl.id = w->links[i].id;
		repl.issued_at = w->links[i].issued_at;
		repl.applied_at = w->links[i].applied_at;
		repl.serial = w->links[i].serial;
	}
	cycle_describe_cert(c, i < w->n ? &repl : NULL, w->r->u.name, w->d->now, &what);
	what.issuer = desk_issuer_name(w->d, c);
	what.several_cas = ca_older(w->d->ca) != NULL;
	return w->fn(w->ctx, c, &what);
}

const char *desk_issuer_name(const desk *d, const store_cert *c)
{
	const ca *by = ca_by_kid(d->ca, c->issuer);

	return by ? ca_name(by) : c->issuer;
}

int desk_certs(desk *d, const store_row *r, desk_cert_fn fn, void *ctx)
{
	struct certs_walk w = {d, r, NULL, 0, 0, fn, ctx};
	int rc = store_certs_of(d->st, r->u.id, cert_collect, &w);

	if (rc == 0)
		rc = store_certs_of(d->st, r->u.id, cert_describe, &w);
	free(w.links);
	return rc;
}

int desk_check_fields(const desk_fields *f)
{
	const struct {
		const char *what, *v;
	} text[] = {
		{"name", f->full_name}, {"phone", f->phone}, {"location", f->location},
		{"org", f->org}, {"ou", f->ou}, {"output directory", f->out_dir},
	};
	size_t i;

	for (i = 0; i < sizeof text / sizeof *text; i++)
		if (text[i].v && cd_check_field(text[i].what, text[i].v) < 0)
			return -1;
	if (f->full_name && !*f->full_name)
		return cd_err("name must not be empty");
	if (f->email && cd_check_email(f->email) < 0)
		return -1;
	if (f->country && *f->country && cd_check_country(f->country) < 0)
		return -1;
	if (f->days && (f->days < 1 || f->days > CA_CERT_DAYS_MAX))
		return cd_err("invalid days '%ld': expected a whole number from 1 to %d", f->days,
			      CA_CERT_DAYS_MAX);
	if (f->csr && (f->key || f->p12))
		return cd_err("--%s does not go with --csr: the request brings its own key, and "
			      "there is no bundle", f->key ? "key" : "p12");
	if (f->csr && cd_check_field("request file", f->csr) < 0)
		return -1;
	if (f->key && cd_check_choice("key type", CA_KEY_CHOICES, f->key) < 0)
		return -1;
	return f->p12 ? cd_check_choice("p12 profile", CA_P12_CHOICES, f->p12) : 0;
}

/* The settings that give a field's default, by option name. */
static const char *default_setting(const char *field)
{
	static const char *const map[][2] = {
		{"location", "default.location"}, {"org", "default.org"}, {"ou", "default.ou"},
		{"country", "default.country"}, {"days", "cert.days"}, {"key", "cert.key"},
		{"p12", "p12.profile"},
	};
	size_t i;

	for (i = 0; field && i < sizeof map / sizeof *map; i++)
		if (strcmp(map[i][0], field) == 0)
			return map[i][1];
	return NULL;
}

char *desk_field_default(desk *d, const char *field)
{
	const char *setting = default_setting(field);
	char *v = NULL;

	if (setting && conf_get(d->st, setting, &v) == 0)
		return v;
	return cd_strdup("");
}

/* A field given on the command line, else the old value, else its default. */
static char *pick(desk *d, const char *given, const char *old, const char *field)
{
	if (given)
		return cd_strdup(given);
	if (old)
		return cd_strdup(old);
	return desk_field_default(d, field);
}

typedef struct {
	char *full_name, *email, *phone, *location, *org, *ou, *country, *out_dir, *key, *p12;
	long days;
} issue_plan;

static void plan_free(issue_plan *p)
{
	char **s[] = {&p->full_name, &p->email, &p->phone, &p->location, &p->org, &p->ou,
		      &p->country, &p->out_dir, &p->key, &p->p12};
	size_t i;

	for (i = 0; i < sizeof s / sizeof *s; i++)
		free(*s[i]);
}

char *desk_out_dir(desk *d, const store_row *r)
{
	const char *home = getenv("HOME"), *last = r && r->cur.p12_path ? r->cur.p12_path : "";
	const char *slash = strrchr(last, '/');
	char *v = NULL;
	struct stat st;

	if (slash) {
		v = slash == last ? cd_strdup("/") : cd_asprintf("%.*s", (int)(slash - last), last);
		if (stat(v, &st) == 0 && S_ISDIR(st.st_mode))
			return v;
		free(v);
		v = NULL;
	}
	if (conf_get(d->st, "out.dir", &v) == 0 && *v)
		return v;
	free(v);
	return cd_strdup(home && *home ? home : ".");
}

int desk_changes(const store_user *u, const desk_fields *f, char *names, size_t n,
		 char **detail)
{
	const struct {
		const char *name, *was, *now;
	} fld[] = { /* by option name */
		{"name", u->full_name, f->full_name}, {"email", u->email, f->email},
		{"phone", u->phone, f->phone}, {"location", u->location, f->location},
		{"org", u->org, f->org}, {"ou", u->ou, f->ou}, {"country", u->country, f->country},
	};
	cd_buf b = {0};
	size_t i, used = 0;
	int count = 0;

	if (n)
		names[0] = '\0';
	for (i = 0; i < sizeof fld / sizeof *fld; i++) {
		const char *was = fld[i].was ? fld[i].was : "";

		if (!fld[i].now || strcmp(was, fld[i].now) == 0)
			continue;
		if (used < n)
			used += (size_t)snprintf(names + used, n - used, "%s%s", count ? ", " : "",
						 fld[i].name);
		cd_buf_printf(&b, "%s%s \"%s\" -> \"%s\"", count ? ", " : "", fld[i].name, was,
			      fld[i].now);
		count++;
	}
	if (detail)
		*detail = b.s;
	else
		cd_buf_free(&b);
	return count;
}

static void plan_fields(desk *d, const desk_fields *f, const store_row *prev, issue_plan *p)
{
	const store_user *old = prev ? &prev->u : NULL;

	p->full_name = pick(d, f->full_name, old ? old->full_name : NULL, NULL);
	p->email = pick(d, f->email, old ? old->email : NULL, NULL);
	p->phone = pick(d, f->phone, old ? old->phone : NULL, NULL);
	p->location = pick(d, f->location, old ? old->location : NULL, "location");
	p->org = pick(d, f->org, old ? old->org : NULL, "org");
	p->ou = pick(d, f->ou, old ? old->ou : NULL, "ou");
	p->country = pick(d, f->country, old ? old->country : NULL, "country");
	p->out_dir = f->out_dir ? cd_strdup(f->out_dir) : desk_out_dir(d, prev);
	p->key = pick(d, f->key, NULL, "key");
	p->p12 = pick(d, f->p12, NULL, "p12");
	p->days = f->days ? f->days : conf_get_int(d->st, "cert.days");
}

static int names_free(const char *dir, const char *base, int csr, char **p12, char **pw)
{
	*p12 = cd_asprintf("%s/%s%s", dir, base, issue_ends[csr][0]);
	*pw = cd_asprintf("%s/%s%s", dir, base, issue_ends[csr][1]);
	if (!cd_path_exists(*p12) && !cd_path_exists(*pw))
		return 1;
	free(*p12);
	free(*pw);
	*p12 = *pw = NULL;
	return 0;
}

/*
 * USER.p12 and USER.pw (for a request, USER.crt and USER-chain.pem). A renewal whose
 * operator still has last year's files beside them gets USER-YYYY-MM-DD.p12 (then -2,
 * -3...) rather than an error: nothing is ever overwritten, and nothing old has to be
 * moved first.
 */
static int check_out_dir(const char *dir, const char *user, int renew, int csr, char **p12,
			 char **pw)
{
	const char *const *ends = issue_ends[csr];
	struct stat st;
	char today[16], base[128], *abs = NULL;
	int i, rc = 0;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return cd_err("output directory %s does not exist", dir);
	if (!(abs = realpath(dir, NULL)))
		return cd_err("output directory %s: %s", dir, strerror(errno));
	dir = abs;
	if (access(dir, W_OK | X_OK) < 0) {
		rc = cd_err("output directory %s is not writable", dir);
		goto out;
	}
	if (names_free(dir, user, csr, p12, pw))
		goto out;
	if (!renew) {
		rc = cd_err("%s/%s%s or %s exists already; move it away first (certdesk never "
			    "overwrites it)", dir, user, ends[0], ends[1]);
		goto out;
	}
	cd_format_date(cd_now(), today);
	for (i = 1; i < 10; i++) {
		if (i == 1)
			snprintf(base, sizeof base, "%s-%s", user, today);
		else
			snprintf(base, sizeof base, "%s-%s-%d", user, today, i);
		if (names_free(dir, base, csr, p12, pw))
			goto out;
	}
	rc = cd_err("%s/%s%s and its dated variants exist already; move them away first",
		    dir, user, ends[0]);
out:
	free(abs);
	return rc;
}

/* Undoes a pending certificate whose files could not be written. */
static void abandon(desk *d, int64_t cert_id, const char *p12, const char *pw, int wrote)
{
	char *msg = cd_strdup(cd_errmsg());

	if (wrote) {
		unlink(pw);
		unlink(p12);
	}
	if (store_begin(d->st) == 0)
		store_end(d->st, store_cert_delete(d->st, cert_id));
	cd_err("%s", msg);
	free(msg);
}

typedef struct {
	const char *user;
	const issue_plan *plan;
	const desk_row *prev; /* NULL for a new user */
	int renews;           /* a renewal, not a create (of a new or a revoked user) */
	int64_t replaces;     /* the certificate this renewal replaces, 0 for create */
	int64_t supersede;    /* an unapplied replacement to revoke at once, 0 if none */
	const char *p12;      /* where the bundle goes (the certificate, for a request) */
	ca_csr *csr;          /* NULL: a fresh key in a bundle */
	char *key_type;       /* as recorded: "ec", "rsa"; "user-ec", "user-rsa" for a request */
	char *changes;        /* a renewal's changed details, old and new (desk_changes) */
	char changed[96];     /* their names */
} issue_job;

/*
 * A renewal is planned from the user's row as read before the home's lock was taken.
 * Another certdesk may have renewed, revoked or marked the user applied since: inside
 * the write transaction, that row must still be the one the plan was made from, or two
 * replacements of one certificate would both stay valid.
 */
static int still_planned(desk *d, const issue_job *j)
{
	const store_row *was = &j->prev->r;
	desk_row now;
	int found, same;

	if (desk_get(d, j->user, &now, &found) < 0)
		return -1;
	same = found && now.r.cur.id == was->cur.id && now.r.old.id == was->old.id &&
	       !now.r.cur.revoke_at == !was->cur.revoke_at &&
	       !now.r.cur.applied_at == !was->cur.applied_at;
	desk_row_free(&now);
	if (!same)
		return cd_err("%s changed while this renewal was being issued (another certdesk "
			      "acted on it); nothing was issued: see 'certdesk show %s'",
			      j->user, j->user);
	return 0;
}

static int record_issue(desk *d, const issue_job *j, int64_t cert_id, int64_t user_id,
			const ca_issued *is)
{
	const issue_plan *p = j->plan;
	store_user u = {user_id, j->user, p->full_name, p->email, p->phone, p->location,
			p->org, p->ou, p->country};
	int64_t now = cd_now();
	char end[16];

	cd_format_date(is->not_after, end);
	if (store_begin(d->st) < 0)
		return -1;
	return store_end(d->st, (j->prev && still_planned(d, j) < 0) ||
	    store_cert_mark_issued(d->st, cert_id, user_id) < 0 ||
	    (j->prev && store_user_update(d->st, &u) < 0) ||
	    (j->replaces && store_cert_schedule_revoke(d->st, j->replaces, now,
						       CA_REASON_SUPERSEDED, 0) < 0) ||
	    (j->supersede && store_cert_schedule_revoke(d->st, j->supersede, now,
							CA_REASON_SUPERSEDED, 0) < 0) ||
	    desk_audit(d, j->renews ? "renew" : "create", j->user, "serial %s, expires %s, %s key, "
		       "%s %s%s%s", is->serial, end, j->key_type, j->csr ? "certificate" : "bundle",
		       j->p12, j->changes ? "; changed: " : "", j->changes ? j->changes : "") < 0
		       ? -1 : 0);
}

/* Step 1: the certificate exists as 'pending', with the names of its files. */
static int record_pending(desk *d, const issue_job *j, const ca_issued *is, const char *p12,
			  const char *pw, int64_t *user_id, int64_t *cert_id)
{
	const issue_plan *p = j->plan;
	store_user u = {0, j->user, p->full_name, p->email, p->phone, p->location, p->org,
			p->ou, p->country};
	store_new_cert nc = {*user_id, j->replaces, is->serial, is->subject, j->key_type,
			     is->cert_pem, p12, j->csr ? NULL : pw, is->not_before, is->not_after,
			     cd_now(), ca_kid(d->ca)};

	if (store_begin(d->st) < 0)
		return -1;
	if (store_end(d->st, (!j->prev && store_user_insert(d->st, &u, cd_now(), user_id) < 0) ||
		      (nc.user_id = *user_id,
		       store_cert_insert_pending(d->st, &nc, cert_id) < 0) ? -1 : 0) == 0)
		return 0;
	if (strstr(cd_errmsg(), "UNIQUE") && !j->prev)
		cd_err("user '%s' exists already", j->user);
	return -1;
}

/* Step 2: the bundle and its password, both or neither. */
static int write_bundle(const ca_issued *is, const char *p12, const char *pw)
{
	const char *paths[2] = {pw, p12};
	const void *data[2] = {is->password, is->p12};
	size_t lens[2] = {strlen(is->password), is->p12_len};

	return cd_write_secrets(2, paths, data, lens);
}

/* Step 2 for a request: the certificate, then the chain (it and the CA certificate),
 * both 0644 and both or neither; nothing in them is secret. */
static int write_certs(desk *d, const ca_issued *is, const char *crt, const char *chain)
{
	char *ca_pem = ca_cert_pem(d->ca), *both;
	int rc;

	if (!ca_pem)
		return -1;
	both = cd_asprintf("%s%s", is->cert_pem, ca_pem);
	rc = cd_write_file(crt, is->cert_pem, strlen(is->cert_pem), 0644);
	if (rc == 0 && (rc = cd_write_file(chain, both, strlen(both), 0644)) < 0)
		unlink(crt);
	free(both);
	free(ca_pem);
	return rc;
}

/* The request file, refused before it is read when it is larger than any request. */
static int read_csr(const char *path, ca_csr **out)
{
	struct stat st;
	char *pem;
	size_t len;
	int rc;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > CA_CSR_MAX)
		return cd_err("request %s is %lld bytes: a certificate request is at most %d",
			      path, (long long)st.st_size, CA_CSR_MAX);
	if (cd_read_file(path, &pem, &len) < 0)
		return -1;
	rc = ca_csr_read(pem, len, out);
	free(pem);
	return rc < 0 ? cd_err("request %s: %s", path, cd_errmsg()) : 0;
}

static void note_capped(desk *d, const ca_issued *is, long days)
{
	char end[16], *line;

	cd_format_date(is->not_after, end);
	line = cd_asprintf("the certificate ends with the CA on %s, before the %ld days "
			   "asked: no certificate outlives its issuer", end, days);
	desk_note(d, line);
	free(line);
}

static void note_issued(desk *d, const issue_job *j, const ca_issued *is)
{
	char *line = j->csr ? ca_csr_unused(j->csr, is->subject) : NULL;

	if (is->capped)
		note_capped(d, is, j->plan->days);
	if (line)
		desk_note(d, line);
	free(line);
}

static void give_issued(const issue_job *j, ca_issued *is, char **f, desk_issued *out)
{
	memcpy(out->serial, is->serial, sizeof out->serial);
	memcpy(out->changed, j->changed, sizeof out->changed);
	out->p12_path = j->csr ? NULL : f[0];
	out->pw_path = j->csr ? NULL : f[1];
	out->crt_path = j->csr ? f[0] : NULL;
	out->chain_path = j->csr ? f[1] : NULL;
	out->phone = cd_strdup(j->plan->phone);
	out->not_after = is->not_after;
	f[0] = f[1] = NULL;
}

/*
 * Issues in three steps (pending row, files, issued row), under the home's issue lock.
 * A kill between steps leaves a pending row that the next certdesk undoes, files
 * included: the result is all or nothing.
 */
static int issue(desk *d, issue_job *j, desk_issued *out)
{
	const issue_plan *p = j->plan;
	ca_request req = {j->user, p->full_name, p->email, p->org, p->ou, p->location,
			  p->country, (int)p->days, strcmp(p->key, "rsa") == 0 ? CA_KEY_RSA : CA_KEY_EC,
			  j->csr};
	ca_p12_profile prof = strcmp(p->p12, "modern") == 0 ? CA_P12_MODERN : CA_P12_COMPAT;
	ca_issued is = {0};
	char *f[2] = {NULL, NULL};
	int64_t user_id = j->prev ? j->prev->r.u.id : 0, cert_id = 0;
	int lock = -1, rc = -1, wrote;

	memset(out, 0, sizeof *out);
	if (check_out_dir(p->out_dir, j->user, j->prev != NULL, j->csr != NULL, &f[0], &f[1]) < 0 ||
	    desk_signing(d) < 0 || (lock = take_lock(d, 0)) < 0 ||
	    ca_issue(d->ca, &req, prof, &is) < 0 ||
	    record_pending(d, j, &is, f[0], f[1], &user_id, &cert_id) < 0)
		goto out;
	j->p12 = f[0];
	wrote = (j->csr ? write_certs(d, &is, f[0], f[1]) : write_bundle(&is, f[0], f[1])) == 0;
	if (!wrote || record_issue(d, j, cert_id, user_id, &is) < 0) {
		abandon(d, cert_id, f[0], f[1], wrote);
		goto out;
	}
	note_issued(d, j, &is);
	give_issued(j, &is, f, out);
	rc = 0;
out:
	drop_lock(lock);
	ca_issued_free(&is);
	free(f[0]);
	free(f[1]);
	return rc;
}

/* Reads the request, and what the record will say of the key, before anything else:
 * a bad request is refused before the CA passphrase is asked. */
static int job_key(issue_job *j, const desk_fields *f)
{
	if (f->csr && read_csr(f->csr, &j->csr) < 0)
		return -1;
	j->key_type = j->csr ? cd_asprintf(USER_KEY "%s", ca_csr_key_name(j->csr))
			     : cd_strdup(j->plan->key);
	return 0;
}

static void job_free(issue_job *j)
{
	ca_csr_free(j->csr);
	free(j->key_type);
	free(j->changes);
}

void desk_issued_free(desk_issued *is)
{
	free(is->p12_path);
	free(is->pw_path);
	free(is->crt_path);
	free(is->chain_path);
	free(is->phone);
	memset(is, 0, sizeof *is);
}

/* A new user, or one whose certificate was revoked for good (back after leaving): the
 * latter keeps their history, and the new certificate replaces nothing. */
int desk_create(desk *d, const char *user, const desk_fields *f, desk_issued *out)
{
	desk_row prev;
	issue_plan p = {0};
	issue_job j = {user, &p, NULL, 0, 0, 0, NULL, NULL, NULL};
	int found, rc;

	if (cd_check_user(user) < 0 || desk_check_fields(f) < 0)
		return -1;
	if (!f->full_name || !f->email)
		return cd_err("create needs --name and --email");
	if (desk_writable(d, "create certificates") < 0)
		return -1;
	if (desk_get(d, user, &prev, &found) < 0)
		return -1;
	if (found && desk_may(d, &prev.r, CMD_CREATE) < 0) {
		desk_row_free(&prev);
		return -1;
	}
	if (found)
		j.prev = &prev;
	plan_fields(d, f, NULL, &p);
	rc = desk_check_fields(&(desk_fields){.country = p.country}) < 0 || job_key(&j, f) < 0
		     ? -1 : issue(d, &j, out);
	job_free(&j);
	plan_free(&p);
	desk_row_free(&prev);
	return rc;
}

int desk_renew(desk *d, const char *user, const desk_fields *f, desk_issued *out)
{
	desk_row prev;
	issue_plan p = {0};
	issue_job j = {user, &p, &prev, 1, 0, 0, NULL, NULL, NULL};
	const store_row *r = &prev.r;
	int rc;

	if (desk_check_fields(f) < 0 || desk_get_existing(d, user, &prev) < 0)
		return -1;
	if (desk_writable(d, "renew certificates") < 0 || desk_may(d, r, CMD_RENEW) < 0) {
		desk_row_free(&prev);
		return -1;
	}
	/* Renewing again before the last renewal was installed: the new certificate
	 * replaces the one the user still has, and the unused one goes at once. */
	if (desk_renewal_open(d, r) && !r->cur.applied_at) {
		j.replaces = r->old.id;
		j.supersede = r->cur.id;
	} else {
		j.replaces = r->cur.id;
	}
	plan_fields(d, f, r, &p);
	desk_changes(&r->u, f, j.changed, sizeof j.changed, &j.changes);
	rc = job_key(&j, f) < 0 ? -1 : issue(d, &j, out);
	job_free(&j);
	plan_free(&p);
	desk_row_free(&prev);
	return rc;
}

/* Schedules the revocation inside the caller's transaction, from the row read there. */
static int revoke_row(desk *d, const store_row *r, int reason, int now_forced)
{
	int open = desk_renewal_open(d, r), rc;
	const char *user = r->u.name;

	if (now_forced && open) {
		/* Old key compromised mid-renewal: publish its revocation without waiting. */
		rc = store_cert_schedule_revoke(d->st, r->old.id, cd_now(), reason, 1);
		return rc < 0 ? -1 : desk_audit(d, "revoke", user, "serial %s forced now, reason %s",
						r->old.serial, ca_reason_name(reason));
	}
	rc = store_cert_schedule_revoke(d->st, r->cur.id, cd_now(), reason, 0);
	if (rc == 0 && open)
		rc = store_cert_schedule_revoke(d->st, r->old.id, cd_now(), reason, 1);
	return rc < 0 ? -1 : desk_audit(d, "revoke", user, "serial %s, reason %s%s", r->cur.serial,
					ca_reason_name(reason),
					open ? " (and the one it replaced)" : "");
}

/* The record's subject as openssl req -subj takes it ('/' and '+' separate there), inside
 * single quotes in a shell command: what a user who keeps their key runs. */
static char *req_subject(const store_user *u)
{
	const char *part[][2] = {{"C", u->country}, {"O", u->org}, {"OU", u->ou},
				 {"L", u->location}, {"CN", u->name}};
	cd_buf b = {0};
	const char *p;
	size_t i;

	for (i = 0; i < sizeof part / sizeof *part; i++) {
		if (!part[i][1] || !*part[i][1])
			continue;
		cd_buf_printf(&b, "/%s=", part[i][0]);
		for (p = part[i][1]; *p; p++) {
			if (*p == '\'')
				cd_buf_puts(&b, "'\\''");
			else if (*p == '/' || *p == '+' || *p == '\\')
				cd_buf_printf(&b, "\\%c", *p);
			else
				cd_buf_putc(&b, *p);
		}
	}
	return cd_buf_take(&b);
}

/* The reminders' mail templates, by late kind (data/templates). */
static const char *const remind_tmpl[LATE_COUNT][2] = {
	[LATE_ON_TIME] = {NULL, NULL},
	[LATE_RENEWAL] = {"reminder-subject.txt", "reminder-body.txt"},
	[LATE_APPLY] = {"apply-reminder-subject.txt", "apply-reminder-body.txt"},
};

/* A home made before the reminders existed lacks their templates: the defaults are
 * added beside the team's edited ones, which stay as they are. */
static int reminder_templates(desk *d, cycle_late_kind kind)
{
	int i, missing = 0;

	for (i = 0; kind != LATE_ON_TIME && !d->readonly && i < 2; i++) {
		char *path = cd_asprintf("%s/%s", d->tmpl_dir, remind_tmpl[kind][i]);

		missing |= !cd_path_exists(path);
		free(path);
	}
	return missing ? desk_write_templates(d->tmpl_dir) : 0;
}

int desk_links_late(desk *d, const store_row *r, cycle_late_kind kind, char **task_link,
		    char **mail_link)
{
	const store_cert *c = desk_cycle_cert(d, r);
	char *url = NULL, *form = NULL, *projects = NULL, *subs = NULL, *subj;
	char expiry[16], days[32], notified[16] = "", issued[16] = "";
	int rc = -1;

	cd_format_date(c->not_after, expiry);
	snprintf(days, sizeof days, "%lld", (long long)cd_days_until(c->not_after, d->now));
	if (c->notified_at)
		cd_format_date(c->notified_at, notified);
	cd_format_date(r->cur.issued_at, issued);
	if (reminder_templates(d, kind) < 0)
		return -1;
	subj = req_subject(&r->u);
	if (conf_get(d->st, "phab.url", &url) == 0 && conf_get(d->st, "phab.form", &form) == 0 &&
	    conf_get(d->st, "phab.projects", &projects) == 0 &&
	    conf_get(d->st, "phab.subscribers", &subs) == 0) {
		links_config cfg = {d->tmpl_dir, url, form, projects, subs, d->note, d->ask_ctx,
				    remind_tmpl[kind][0], remind_tmpl[kind][1]};
		links_vars v = {r->u.name, r->u.full_name, r->u.email, expiry, days, c->serial,
				c->task ? c->task : "", cd_operator(), desk_issuer_name(d, c), notified,
				issued, subj, key_is_users(c->key_type)};
		rc = links_make(&cfg, &v, task_link, mail_link);
	}
	free(subj);
	free(url);
	free(form);
	free(projects);
	free(subs);
	return rc;
}

int desk_links(desk *d, const store_row *r, char **task_link, char **mail_link)
{
	return desk_links_late(d, r, LATE_ON_TIME, task_link, mail_link);
}

int desk_late(const desk *d, const store_row *r, cycle_late *out)
{
	return cycle_late_of(r, d->now, d->window, &d->late, out);
}

struct late_walk {
	desk *d;
	desk_late_fn fn;
	void *ctx;
	char **names; /* the renewing users, read after the walk of the revocations */
	size_t n, cap;
};

/* A late user's mail went out inside the window: only there. */
static int late_in_window(void *ctx, const store_row *r)
{
	struct late_walk *w = ctx;
	cycle_late l;

	if (!desk_late(w->d, r, &l) || l.kind != LATE_RENEWAL)
		return 0;
	return w->fn(w->ctx, r, &l);
}

/* A renewal not applied holds the old certificate's revocation. */
static int late_renewing(void *ctx, const store_row *p)
{
	struct late_walk *w = ctx;

	if (!p->old.id || p->old.applied_at)
		return 0;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->names = cd_realloc(w->names, w->cap * sizeof *w->names);
	}
	w->names[w->n++] = cd_strdup(p->u.name);
	return 0;
}

static int late_applying(struct late_walk *w, const char *user)
{
	desk_row row;
	cycle_late l;
	int found = 0, rc = 0;

	if (desk_get(w->d, user, &row, &found) < 0)
		return -1;
	if (!found)
		return 0;
	if (desk_late(w->d, &row.r, &l) && l.kind == LATE_APPLY)
		rc = w->fn(w->ctx, &row.r, &l);
	desk_row_free(&row);
	return rc;
}

int desk_late_each(desk *d, desk_late_fn fn, void *ctx)
{
	struct late_walk w = {d, fn, ctx, NULL, 0, 0};
	size_t i;
	int rc;

	rc = store_rows_expiring(d->st, cycle_window_end(d->now, d->window), late_in_window, &w);
	if (rc == 0)
		rc = store_revocations_pending(d->st, late_renewing, &w);
	for (i = 0; i < w.n; i++) {
		if (rc == 0)
			rc = late_applying(&w, w.names[i]);
		free(w.names[i]);
	}
	free(w.names);
	return rc;
}

struct task_find {
	const char *task;
	int64_t after, at;
};

/* "T123" or "T123 (was T99)" from task; "serial S, task T123" from notify --task. */
static int task_line(void *ctx, int64_t at, const char *actor, const char *action,
		     const char *user, const char *detail)
{
	struct task_find *f = ctx;
	size_t n = strlen(f->task);
	const char *p = NULL;

	(void)actor;
	(void)user;
	if (f->at || at < f->after)
		return 0;
	if (strcmp(action, "task") == 0)
		p = detail;
	else if ((strcmp(action, "notify") == 0 || strcmp(action, "remind") == 0))
		p = strstr(detail, ", task ") ? strstr(detail, ", task ") + 7 : NULL;
	if (p && strncmp(p, f->task, n) == 0 && (p[n] == '\0' || p[n] == ' ' || p[n] == ','))
		f->at = at;
	return 0;
}

int desk_task_since(desk *d, const store_row *r, int64_t *at)
{
	const store_cert *c = desk_cycle_cert(d, r);
	struct task_find f = {c->task, c->issued_at, 0};

	*at = 0;
	if (!c->task || !*c->task)
		return 0;
	if (store_audit_each(d->st, r->u.name, task_line, &f) < 0)
		return -1;
	*at = f.at;
	return 0;
}

/* The audit line of a reminder: what it reminds of, and since when. */
static int audit_reminder(desk *d, const store_row *r, const cycle_late *late,
			  const store_cert *c, const char *task)
{
	char since[16];

	cd_format_date(late->since, since);
	return desk_audit(d, "remind", r->u.name, "serial %s, %s since %s (%lld days)%s%s",
			  c->serial, cycle_late_help(late->kind), since, (long long)late->days,
			  task ? ", task " : "", task ? task : "");
}

/* Records one notification (or a late user's reminder, notified_at kept) inside the
 * caller's transaction and renders its links: 0, -1, or -2 when the links cannot be
 * made (and nothing was written). */
static int notify_row(desk *d, desk_row *row, const char *task, char **tl, char **ml,
		      cycle_late *late)
{
	store_cert *c = desk_renewal_open(d, &row->r) ? &row->r.old : &row->r.cur;
	int rc;

	*tl = *ml = NULL;
	if (desk_may(d, &row->r, CMD_NOTIFY) < 0)
		return -1;
	desk_late(d, &row->r, late);
	if (task)
		c->task = task; /* the links carry the new task id */
	if (desk_links_late(d, &row->r, late->kind, tl, ml) < 0)
		return -2;
	if (late->kind != LATE_ON_TIME)
		rc = (task && store_cert_set_text(d->st, c->id, "task", task) < 0) ||
		     audit_reminder(d, &row->r, late, c, task) < 0 ? -1 : 0;
	else
		rc = (!c->notified_at && store_cert_set(d->st, c->id, "notified_at", cd_now()) < 0) ||
		     (task && store_cert_set_text(d->st, c->id, "task", task) < 0) ||
		     desk_audit(d, "notify", row->r.u.name, "serial %s%s%s", c->serial,
				task ? ", task " : "", task ? task : "") < 0 ? -1 : 0;
	if (rc < 0) {
		free(*tl);
		free(*ml);
		*tl = *ml = NULL;
	}
	return rc;
}

/*
 * Runs fn on the user's row as read inside one write transaction, so that what fn
 * checks is still true when it writes: another operator may act at the same moment.
 */
static int in_user_tx(desk *d, const char *user, cmd_id cmd, const char *what,
		      int (*fn)(desk *, desk_row *, void *), void *ctx)
{
	desk_row row;
	int rc;

	if (cd_check_user(user) < 0)
		return -1;
	/* A plan or the read-only view still says when there is no such user. */
	if (desk_mode(d))
		return desk_get_existing(d, user, &row) < 0 ? -1 :
		       (desk_row_free(&row), desk_writable(d, what));
	if (store_begin(d->st) < 0)
		return -1;
	if (desk_get_existing(d, user, &row) < 0)
		return store_end(d->st, -1);
	rc = desk_may(d, &row.r, cmd) < 0 ? -1 : fn(d, &row, ctx);
	desk_row_free(&row);
	return store_end(d->st, rc);
}

struct revoke_args {
	int reason, now_forced;
};

static int revoke_fn(desk *d, desk_row *row, void *ctx)
{
	const struct revoke_args *a = ctx;

	return revoke_row(d, &row->r, a->reason, a->now_forced);
}

/* The row is read inside the write transaction: a renewal committed meanwhile by
 * another certdesk is revoked too, not left valid. */
int desk_revoke(desk *d, const char *user, int reason, int now_forced)
{
	struct revoke_args a = {reason, now_forced};

	return in_user_tx(d, user, CMD_REVOKE, "revoke", revoke_fn, &a);
}

struct notify_args {
	const char *task;
	char **tl, **ml;
	cycle_late *sent;
};

static int notify_fn(desk *d, desk_row *row, void *ctx)
{
	struct notify_args *a = ctx;

	return notify_row(d, row, a->task, a->tl, a->ml, a->sent);
}

int desk_task_id(desk *d, const char *in, char *out, size_t n)
{
	char *url = NULL;
	int rc;

	if (conf_get(d->st, "phab.url", &url) < 0)
		return -1;
	rc = cd_task_id(in, url, out, n);
	free(url);
	return rc;
}

int desk_notify(desk *d, const char *user, const char *task, char **task_link, char **mail_link)
{
	cycle_late sent;

	return desk_notify_as(d, user, task, task_link, mail_link, &sent);
}

int desk_notify_as(desk *d, const char *user, const char *task, char **task_link,
		   char **mail_link, cycle_late *sent)
{
	struct notify_args a = {NULL, task_link, mail_link, sent};
	char id[32];
	int rc;

	memset(sent, 0, sizeof *sent);
	*task_link = *mail_link = NULL;
	if (task && desk_task_id(d, task, id, sizeof id) < 0)
		return -1;
	a.task = task ? id : NULL;
	rc = in_user_tx(d, user, CMD_NOTIFY, "record a notification", notify_fn, &a) < 0 ? -1 : 0;
	if (rc < 0) {
		free(*task_link);
		free(*mail_link);
		*task_link = *mail_link = NULL;
	}
	return rc;
}

struct due {
	desk *d;
	desk_row *rows;
	char **links; /* two per row */
	size_t n, cap;
};

static int collect_due(void *ctx, const store_row *r)
{
	struct due *due = ctx;
	cycle_stage s = desk_stage(due->d, r);

	if (s != STAGE_EXPIRING && !(s == STAGE_EXPIRED && !desk_cycle_cert(due->d, r)->notified_at))
		return 0;
	if (due->n == due->cap) {
		due->cap = due->cap ? due->cap * 2 : 64;
		due->rows = cd_realloc(due->rows, due->cap * sizeof *due->rows);
	}
	desk_row_copy(&due->rows[due->n++], r);
	return 0;
}

int desk_notify_due(desk *d, desk_notified_fn fn, void *ctx)
{
	struct due due = {d, NULL, NULL, 0, 0};
	cycle_late late;
	size_t i, done = 0;
	int rc = -1, failed = 0;

	if (desk_writable(d, "record notifications") < 0)
		return -1;
	if (store_rows_expiring(d->st, cycle_window_end(d->now, d->window), collect_due, &due) < 0)
		goto out;
	due.links = calloc(2 * due.n + 1, sizeof *due.links);
	/* One transaction: the whole batch is recorded, or none of it. A record whose links
	 * cannot be made (a line break in a name) is left out and named, not the batch. */
	if (!due.links || store_begin(d->st) < 0)
		goto out;
	links_batch(1);
	for (rc = 0; done < due.n && rc != -1; done++)
		if ((rc = notify_row(d, &due.rows[done], NULL, &due.links[2 * done],
				     &due.links[2 * done + 1], &late)) == -2)
			due.links[2 * done + 1] = cd_strdup(cd_errmsg()), failed++;
	links_batch(0);
	/* When no one's links can be made, the templates are wrong, not a record. */
	if (failed && (size_t)failed == due.n)
		cd_err("%s", due.links[1]);
	rc = store_end(d->st, rc == -1 || (failed && (size_t)failed == due.n) ? -1 : 0);
	for (i = 0; rc == 0 && i < due.n; i++)
		fn(ctx, &due.rows[i].r, due.links[2 * i], due.links[2 * i] ? due.links[2 * i + 1] : NULL,
		   due.links[2 * i] ? NULL : due.links[2 * i + 1]);
out:
	for (i = 0; i < due.n; i++) {
		desk_row_free(&due.rows[i]);
		if (due.links) {
			free(due.links[2 * i]);
			free(due.links[2 * i + 1]);
		}
	}
	free(due.links);
	free(due.rows);
	return rc < 0 ? -1 : failed;
}

static int task_fn(desk *d, desk_row *row, void *ctx)
{
	const char *task = ctx;
	const store_cert *c = desk_cycle_cert(d, &row->r);

	if (store_cert_set_text(d->st, c->id, "task", task) < 0)
		return -1;
	return desk_audit(d, "task", row->r.u.name, "%s%s%s%s", task, c->task ? " (was " : "",
			  c->task ? c->task : "", c->task ? ")" : "");
}

int desk_set_task(desk *d, const char *user, const char *task)
{
	char id[32];

	if (desk_task_id(d, task, id, sizeof id) < 0)
		return -1;
	return in_user_tx(d, user, CMD_TASK, "set the task", task_fn, id);
}


/* Records the applied certificate, inside the caller's transaction. */
static int record_applied(desk *d, int64_t cert_id, const char *user, const char *via,
			  int64_t when)
{
	if (store_cert_set(d->st, cert_id, "applied_at", when ? when : cd_now()) < 0 ||
	    store_cert_set_text(d->st, cert_id, "applied_via", via) < 0)
		return -1;
	return store_audit(d->st, cd_now(), cd_operator(), "applied", user, via);
}

struct applied_args {
	const char *via;
	int64_t when;
};

static int applied_fn(desk *d, desk_row *row, void *ctx)
{
	struct applied_args *a = ctx;
	const store_row *r = &row->r;

	return record_applied(d, r->cur.id, r->u.name, a->via, a->when);
}

int desk_applied(desk *d, const char *user, const char *via, int64_t when)
{
	struct applied_args a = {via, when};

	return in_user_tx(d, user, CMD_APPLIED, "record that", applied_fn, &a);
}

int desk_applied_cert(desk *d, int64_t cert_id, const char *user, const char *via, int64_t when)
{
	if (desk_writable(d, "record applied certificates") < 0 || store_begin(d->st) < 0)
		return -1;
	return store_end(d->st, record_applied(d, cert_id, user, via, when));
}

int desk_set_setting(desk *d, const char *key, const char *value)
{
	char *shown;
	int rc;

	if (conf_check(key, value) < 0 || desk_writable(d, "change settings") < 0 ||
	    store_begin(d->st) < 0)
		return -1;
	shown = conf_shown(key, value);
	rc = store_end(d->st, store_setting_set(d->st, key, value) < 0 ||
		       desk_audit(d, "config", NULL, "%s = %s", key, shown) < 0 ? -1 : 0);
	free(shown);
	if (rc == 0)
		desk_reload(d);
	return rc;
}

int desk_ca_renew(desk *d, int days)
{
	int64_t was = ca_not_after(d->ca);
	char from[16], to[16];
	int lock, rc;

	if (desk_writable(d, "renew the CA") < 0 || desk_signing(d) < 0 ||
	    (lock = take_lock(d, 0)) < 0)
		return -1;
	{
		/* What a renewal killed half-way left under a temporary name. */
		char *crt = cd_asprintf("%s/ca.crt", d->ca_dir);

		cd_unlink_temps(crt);
		free(crt);
	}
	rc = ca_renew(d->ca, d->ca_dir, days);
	drop_lock(lock);
	if (rc < 0)
		return -1;
	store_set_validity_cap(d->st, ca_not_after(d->ca));
	cd_format_date(was, from);
	cd_format_date(ca_not_after(d->ca), to);
	return desk_audit(d, "ca-renew", NULL, "CA certificate renewed with the same key: valid "
			  "until %s (was %s)", to, from);
}

/* The handle again, after the CA files changed: keys are loaded anew when signing. */
static int reopen_ca(desk *d)
{
	ca *c;

	if (ca_open(d->ca_dir, 0, NULL, &c) < 0)
		return -1;
	ca_close(d->ca);
	d->ca = c;
	d->signing = 0;
	store_set_validity_cap(d->st, ca_not_after(d->ca));
	return 0;
}

/* The new key gets the old one's passphrase (asked once), or none as the old one. */
static int rollover_keys(desk *d, char *pass, size_t size, int *enc)
{
	if (d->token) /* desk_token_rollover checks the token and its PIN itself */
		return 0;
	if ((*enc = ca_key_encrypted(d->ca_dir)) < 0)
		return -1;
	if (*enc && desk_passphrase(d->ask, d->ask_ctx, pass, size) < 0)
		return -1;
	if (ca_load_key(d->ca, d->ca_dir, *enc ? ca_pass_given : NULL, pass, NULL) < 0)
		return -1;
	d->signing = 1;
	return 0;
}

/* The old name with this year in place of the year it ends with, or added. */
static char *next_ca_name(const char *old, int64_t now)
{
	size_t n = strlen(old);
	char day[16];

	cd_format_date(now, day);
	if (n > 5 && old[n - 5] == ' ' && strspn(old + n - 4, "0123456789") == 4)
		return cd_asprintf("%.*s %.4s", (int)(n - 5), old, day);
	return cd_asprintf("%s %.4s", old, day);
}

int desk_ca_rollover(desk *d, const char *cn, ca_key_type kt, int days)
{
	char pass[1024] = "", old[41], *oldname, *name;
	int enc = 0, lock, rc;

	char *uri = NULL, *module = NULL;

	if ((d->token = desk_token_of(d, &uri, &module)) < 0)
		return -1;
	free(uri);
	free(module);
	if (desk_writable(d, "roll the CA over") < 0 || rollover_keys(d, pass, sizeof pass, &enc) < 0 ||
	    (lock = take_lock(d, 0)) < 0) {
		OPENSSL_cleanse(pass, sizeof pass);
		return -1;
	}
	snprintf(old, sizeof old, "%s", ca_kid(d->ca));
	oldname = cd_strdup(ca_name(d->ca));
	/* Rows from before issuers were recorded are the old CA's: said before the switch,
	 * so that no moment exists where they would be taken for the new one's. */
	rc = store_begin(d->st) < 0 ? -1 : store_end(d->st, store_issuer_fill(d->st, old));
	name = cn && *cn ? cd_strdup(cn) : next_ca_name(oldname, d->now);
	if (rc == 0)
		rc = d->token ? desk_token_rollover(d, name, kt, days) :
			      ca_rollover(d->ca, d->ca_dir, name, kt, days, enc ? pass : NULL);
	free(name);
	OPENSSL_cleanse(pass, sizeof pass);
	if (rc == 0)
		rc = reopen_ca(d);
	drop_lock(lock);
	if (rc == 0) {
		char end[16];

		cd_format_date(ca_not_after(d->ca), end);
		rc = desk_audit(d, "ca-rollover", NULL, "new CA %s (key %s), valid until %s, issues "
				"from now on; %s (key %s) keeps signing its CRL until its last "
				"certificate ends", ca_name(d->ca), ca_kid(d->ca), end, oldname, old);
	}
	free(oldname);
	return rc;
}

int desk_ca_retire_ended(desk *d, int dry, void (*say)(void *ctx, const char *line), void *ctx)
{
	const ca *o;
	char *uri = NULL, *module = NULL;
	int n = 0, rc = 0, on_token = desk_token_of(d, &uri, &module) > 0;

	free(uri);
	free(module);

	for (o = ca_older(d->ca); o && rc == 0; o = ca_older(o)) {
		int64_t end = 0;
		char day[16], *line;

		if (ca_is_retired(o) || (rc = store_issuer_last_end(d->st, ca_kid(o), &end)) < 0 ||
		    end > d->now)
			continue;
		cd_format_date(end, day);
		line = cd_asprintf("%s the CA %s (key %s): the last certificate it issued ended "
				   "%s%s", dry ? "would retire" : "retired", ca_name(o), ca_kid(o),
				   end ? day : "(it issued none)", dry ? "" : on_token ?
				   "; its CRL leaves the file, and its key stays on the token (id "
				   "= its key identifier: delete it there)" :
				   "; its key is destroyed and its CRL leaves the file");
		if (!dry && (rc = ca_retire(d->ca_dir, ca_kid(o))) == 0) {
			ca_note_retired(d->ca, d->ca_dir, ca_kid(o));
			rc = desk_audit(d, "ca-retire", NULL, "%s", line);
		}
		if (rc == 0) {
			say(ctx, line);
			n++;
		}
		free(line);
	}
	return rc < 0 ? -1 : n;
}
