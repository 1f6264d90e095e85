/* links.c: the task link and the mail link, rendered from editable templates. */
#include "links.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/* Some mail clients and browsers cut longer links without saying so. */
#define LINKS_MAX_LEN 2000

static const struct {
	const char *name;
	size_t off;
} links_var_table[] = {
	{"user", offsetof(links_vars, user)},
	{"full_name", offsetof(links_vars, full_name)},
	{"email", offsetof(links_vars, email)},
	{"expiry", offsetof(links_vars, expiry)},
	{"days_left", offsetof(links_vars, days_left)},
	{"serial", offsetof(links_vars, serial)},
	{"task", offsetof(links_vars, task)},
	{"operator_name", offsetof(links_vars, operator_name)},
	{"ca_name", offsetof(links_vars, ca_name)},
	{"notified", offsetof(links_vars, notified)},
	{"issued", offsetof(links_vars, issued)},
	{"subject", offsetof(links_vars, subject)},
};

/* The value of variable name[0..n), "" when unset; -1 when no such variable. */
static int links_lookup(const links_vars *v, const char *name, size_t n, const char **val)
{
	size_t i;

	for (i = 0; i < sizeof links_var_table / sizeof links_var_table[0]; i++) {
		if (strlen(links_var_table[i].name) != n ||
		    memcmp(links_var_table[i].name, name, n) != 0)
			continue;
		*val = v ? *(const char *const *)((const char *)v + links_var_table[i].off) : NULL;
		if (!*val)
			*val = "";
		return 0;
	}
	return -1;
}

static int links_line_of(const char *tmpl, const char *p)
{
	int line = 1;

	for (; tmpl < p; tmpl++)
		line += *tmpl == '\n';
	return line;
}

/* Substitutes the {name} at *pp (pointing at '{') and moves *pp past it. */
static int links_put_var(cd_buf *b, const char *tmpl, const char **pp, const char *file,
			 const links_vars *v)
{
	const char *name = *pp + 1, *val;
	size_t n = strcspn(name, "{}\n");

	if (name[n] != '}')
		return cd_err("%s:%d: unterminated '{' (write {{ for a literal brace)", file,
			      links_line_of(tmpl, *pp));
	if (links_lookup(v, name, n, &val) < 0)
		return cd_err("%s: unknown template variable {%.*s}", file,
			      (int)(n > 64 ? 64 : n), name);
	cd_buf_puts(b, val ? val : ""); /* a variable a caller does not know is empty */
	*pp = name + n + 1;
	return 0;
}

int links_render(const char *tmpl, const char *file, const links_vars *v, char **out)
{
	cd_buf b = {0};
	const char *p = tmpl;

	*out = NULL;
	if (!cd_utf8_valid(tmpl, strlen(tmpl)))
		return cd_err("%s: not valid UTF-8 (save the template as UTF-8)", file);
	while (*p) {
		size_t lit = strcspn(p, "{}");

		cd_buf_add(&b, p, lit);
		p += lit;
		if (!*p)
			break;
		if (p[1] == p[0]) {
			cd_buf_putc(&b, *p);
			p += 2;
		} else if (*p == '{') {
			if (links_put_var(&b, tmpl, &p, file, v) < 0) {
				cd_buf_free(&b);
				return -1;
			}
		} else {
			cd_buf_putc(&b, *p++);
		}
	}
	/* The values come from the database; a bad one must not make a bad link. */
	if (b.len && !cd_utf8_valid(b.s, b.len)) {
		cd_buf_free(&b);
		return cd_err("%s: a variable's value is not valid UTF-8", file);
	}
	*out = cd_buf_take(&b);
	return 0;
}

static int links_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static char *links_pct(char *p, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";

	*p++ = '%';
	*p++ = hex[c >> 4];
	*p++ = hex[c & 15];
	return p;
}

/* keep, when not NULL, is one byte position of s to copy literally. */
static void links_encode_into(cd_buf *b, const char *s, int mailto, const char *keep)
{
	/* The worst case is six bytes out per byte in: in mailto, a lone CR or LF becomes
	 * %0D%0A. Every other byte gives at most three. */
	char *start = cd_buf_space(b, 6 * strlen(s)), *p = start;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		/* RFC 6068 wants CRLF in a body; a lone CR is an old-style line break too. */
		if (mailto && (c == '\r' || c == '\n')) {
			if (c == '\r' && s[1] == '\n')
				s++;
			p = links_pct(links_pct(p, '\r'), '\n');
		} else if (links_unreserved(c) || s == keep) {
			*p++ = (char)c;
		} else {
			p = links_pct(p, c);
		}
	}
	b->len += (size_t)(p - start);
	b->s[b->len] = '\0';
}

char *links_encode(const char *s, int mailto)
{
	cd_buf b = {0};

	links_encode_into(&b, s ? s : "", mailto, NULL);
	return cd_buf_take(&b);
}

/* RFC 6068: only the '@' before the domain stays literal; one in a quoted local part is
 * encoded. */
static void links_encode_addr(cd_buf *b, const char *email)
{
	links_encode_into(b, email, 1, strrchr(email, '@'));
}

static void links_strip_newline(char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n && s[n - 1] == '\r')
		s[--n] = '\0';
}

static void links_strip_space(char *s)
{
	size_t n = strlen(s);

	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
}

/*
 * Templates read so far, by path: a batch (expirecheck, notify --due) renders thousands
 * of links from the same four files. links_forget() drops them (dashboard reload).
 */
static struct {
	char *path, *data;
	struct stat st; /* a template edited meanwhile is read again */
} links_cache[8];

/* In a batch the templates are taken as they were at its first link. */
static int links_in_batch;

void links_batch(int on)
{
	links_in_batch = on;
}

void links_forget(void)
{
	size_t i;

	for (i = 0; i < sizeof links_cache / sizeof links_cache[0]; i++) {
		free(links_cache[i].path);
		free(links_cache[i].data);
		links_cache[i].path = links_cache[i].data = NULL;
	}
}

static int links_read(const char *path, const char **data)
{
	size_t i, len = 0, n = sizeof links_cache / sizeof links_cache[0];
	char *text = NULL;
	struct stat st;

	for (i = 0; links_in_batch && i < n && links_cache[i].path; i++) {
		if (links_cache[i].data && strcmp(links_cache[i].path, path) == 0) {
			*data = links_cache[i].data;
			return 0;
		}
	}
	if (stat(path, &st) < 0)
		return cd_err("cannot read %s: %s", path, strerror(errno));
	for (i = 0; i < n && links_cache[i].path; i++) {
		if (strcmp(links_cache[i].path, path) != 0)
			continue;
		if (links_cache[i].data && links_cache[i].st.st_ino == st.st_ino && links_cache[i].st.st_size == st.st_size &&
		    links_cache[i].st.st_mtim.tv_sec == st.st_mtim.tv_sec &&
		    links_cache[i].st.st_mtim.tv_nsec == st.st_mtim.tv_nsec) {
			*data = links_cache[i].data;
			return 0;
		}
		free(links_cache[i].data);
		links_cache[i].data = NULL;
		break;
	}
	if (cd_read_file(path, &text, &len) < 0)
		return -1;
	if (strlen(text) != len) {
		free(text);
		return cd_err("%s: contains a NUL byte (save the template as UTF-8 text)", path);
	}
	if (i == n) {
		links_forget();
		i = 0;
	}
	if (!links_cache[i].path)
		links_cache[i].path = cd_strdup(path);
	links_cache[i].data = text;
	links_cache[i].st = st;
	*data = text;
	return 0;
}

/* Reads and renders one template of cfg->template_dir. */
static int links_load(const links_config *cfg, const char *name, const links_vars *v,
		      char **out)
{
	const char *data = NULL;
	char *path;
	int rc;

	*out = NULL;
	if (!cfg->template_dir || !*cfg->template_dir)
		return cd_err("no template directory configured");
	path = cd_asprintf("%s/%s", cfg->template_dir, name);
	rc = links_read(path, &data);
	if (rc == 0)
		rc = links_render(data, path, v, out);
	free(path);
	return rc;
}

/* A subject or a title: one line, after the trailing line break is dropped. */
static int links_load_line(const links_config *cfg, const char *name, const links_vars *v,
			   char **out)
{
	if (links_load(cfg, name, v, out) < 0)
		return -1;
	links_strip_space(*out);
	if (!strpbrk(*out, "\r\n") && **out)
		return 0;
	cd_err("%s/%s: must make one non-empty line, and did not with these fields (a line "
	       "break in one?)", cfg->template_dir, name);
	free(*out);
	*out = NULL;
	return -1;
}

static int links_load_text(const links_config *cfg, const char *name, const links_vars *v,
			   char **out)
{
	if (links_load(cfg, name, v, out) < 0)
		return -1;
	links_strip_newline(*out);
	return 0;
}

static void links_add_param(cd_buf *b, const char *key, const char *val, int mailto)
{
	cd_buf_puts(b, key);
	links_encode_into(b, val, mailto, NULL);
}

static void links_add_base(cd_buf *b, const links_config *cfg)
{
	size_t n = strlen(cfg->phab_url);

	/* A configured "https://host/" must not give "//maniphest". */
	while (n && cfg->phab_url[n - 1] == '/')
		n--;
	cd_buf_add(b, cfg->phab_url, n);
	cd_buf_puts(b, "/maniphest/task/edit/form/");
	links_encode_into(b, cfg->phab_form && *cfg->phab_form ? cfg->phab_form : "default", 0,
			  NULL);
	cd_buf_puts(b, "/");
}

static int links_task(const links_config *cfg, const links_vars *v, char **link)
{
	char *title, *desc;
	cd_buf b = {0};

	if (!cfg->phab_url || !*cfg->phab_url)
		return cd_err("cannot make the task link: no Phabricator URL is configured");
	if (links_load_line(cfg, LINKS_TASK_TITLE, v, &title) < 0)
		return -1;
	if (links_load_text(cfg, LINKS_TASK_DESC, v, &desc) < 0) {
		free(title);
		return -1;
	}
	links_add_base(&b, cfg);
	links_add_param(&b, "?title=", title, 0);
	links_add_param(&b, "&description=", desc, 0);
	if (cfg->phab_projects && *cfg->phab_projects)
		links_add_param(&b, "&projects=", cfg->phab_projects, 0);
	if (cfg->phab_subscribers && *cfg->phab_subscribers)
		links_add_param(&b, "&subscribers=", cfg->phab_subscribers, 0);
	free(title);
	free(desc);
	*link = cd_buf_take(&b);
	return 0;
}

static const char *links_mail_body(const links_config *cfg, const links_vars *v)
{
	char *path;
	int have;

	if (!v || !v->user_key || !cfg->template_dir)
		return LINKS_MAIL_BODY;
	path = cd_asprintf("%s/%s", cfg->template_dir, LINKS_MAIL_BODY_CSR);
	have = cd_path_exists(path);
	free(path);
	return have ? LINKS_MAIL_BODY_CSR : LINKS_MAIL_BODY;
}

static int links_mail(const links_config *cfg, const links_vars *v, char **link)
{
	char *subj, *body;
	cd_buf b = {0};

	if (links_load_line(cfg, cfg->mail_subject ? cfg->mail_subject : LINKS_MAIL_SUBJ, v,
			    &subj) < 0)
		return -1;
	if (links_load_text(cfg, cfg->mail_body ? cfg->mail_body : links_mail_body(cfg, v), v,
			    &body) < 0) {
		free(subj);
		return -1;
	}
	cd_buf_puts(&b, "mailto:");
	links_encode_addr(&b, v && v->email ? v->email : "");
	links_add_param(&b, "?subject=", subj, 1);
	links_add_param(&b, "&body=", body, 1);
	free(subj);
	free(body);
	*link = cd_buf_take(&b);
	return 0;
}

static void links_warn_long(const links_config *cfg, const char *what, const links_vars *v,
			    const char *link)
{
	size_t n = strlen(link);
	char *line;

	if (n <= LINKS_MAX_LEN)
		return;
	line = cd_asprintf("warning: the %s link for %s is %zu characters long; some mail "
			   "clients cut links over %d (shorten the templates)", what,
			   v && v->user ? v->user : "?", n, LINKS_MAX_LEN);
	if (cfg->warn)
		cfg->warn(cfg->warn_ctx, line);
	else
		fprintf(stderr, "certdesk: %s\n", line);
	free(line);
}

int links_make(const links_config *cfg, const links_vars *v, char **task_link, char **mail_link)
{
	char *task = NULL, *mail = NULL;

	if (task_link)
		*task_link = NULL;
	if (mail_link)
		*mail_link = NULL;
	if (task_link && links_task(cfg, v, &task) < 0)
		return -1;
	if (mail_link && links_mail(cfg, v, &mail) < 0) {
		free(task);
		return -1;
	}
	if (task) {
		links_warn_long(cfg, "task", v, task);
		*task_link = task;
	}
	if (mail) {
		links_warn_long(cfg, "mail", v, mail);
		*mail_link = mail;
	}
	return 0;
}
