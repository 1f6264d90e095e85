/* fuzz_links.c: template rendering and link encoding (src/links.h).
 *
 * Input: NUL-separated parts: the four templates (task title, task description, mail
 * subject, mail body), the nine variables in links_vars order, then phab.url,
 * phab.form, phab.projects and phab.subscribers.  Checks: an encoded value holds
 * only unreserved characters and %XX, and decodes back to the value (line breaks as
 * CRLF in mailto); a rendered template is UTF-8; a link holds only URI characters
 * after its configured base; a batch renders the same links as a single call. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "links.h"
#include "util.h"

enum { P_TITLE, P_DESC, P_SUBJ, P_BODY, P_VARS, P_URL = P_VARS + 12, P_FORM, P_PROJ, P_SUBS };

static const char *const tmpl_files[] = {LINKS_TASK_TITLE, LINKS_TASK_DESC, LINKS_MAIL_SUBJ,
					 LINKS_MAIL_BODY};

static char *tmpl_dir;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	tmpl_dir = cd_asprintf("%s/templates", fuzz_tmpdir());
	return 0;
}

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       strchr("-._~", c) != NULL;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes s, which may hold the characters of extra literally; NULL when s holds any
 * other character or a malformed %XX. */
static char *decode(const char *s, const char *extra)
{
	cd_buf b = {0};

	for (; *s; s++) {
		if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			cd_buf_putc(&b, (char)(hexval(s[1]) * 16 + hexval(s[2])));
			s += 2;
		} else if (unreserved((unsigned char)*s) || strchr(extra, *s)) {
			cd_buf_putc(&b, *s);
		} else {
			cd_buf_free(&b);
			return NULL;
		}
	}
	return cd_buf_take(&b);
}

/* What a mailto value means: every line break (CRLF, lone CR or LF) as CRLF. */
static char *crlf(const char *s)
{
	cd_buf b = {0};

	for (; *s; s++) {
		if (*s == '\r' || *s == '\n') {
			if (*s == '\r' && s[1] == '\n')
				s++;
			cd_buf_puts(&b, "\r\n");
		} else {
			cd_buf_putc(&b, *s);
		}
	}
	return cd_buf_take(&b);
}

static void check_encode(const char *s)
{
	int mailto;

	for (mailto = 0; mailto < 2; mailto++) {
		char *enc = links_encode(s, mailto), *dec = decode(enc, "");
		char *want = mailto ? crlf(s) : cd_strdup(s);

		FUZZ_CHECK(dec != NULL);
		FUZZ_CHECK(strcmp(dec, want) == 0);
		free(enc);
		free(dec);
		free(want);
	}
}

static void check_render(const char *tmpl, const links_vars *v)
{
	char *out = NULL;

	if (links_render(tmpl, "fuzz.txt", v, &out) == 0) {
		FUZZ_CHECK(out != NULL);
		FUZZ_CHECK(cd_utf8_valid(out, strlen(out)));
	} else {
		FUZZ_CHECK(out == NULL);
	}
	free(out);
}

static void vars_of(const fuzz_parts *p, links_vars *v)
{
	const char **f[] = {&v->user, &v->full_name, &v->email, &v->expiry, &v->days_left,
			    &v->serial, &v->task, &v->operator_name, &v->ca_name, &v->notified,
			    &v->issued, &v->subject};
	size_t i;

	memset(v, 0, sizeof *v);
	for (i = 0; i < sizeof f / sizeof f[0]; i++)
		*f[i] = fuzz_part(p, P_VARS + i, NULL);
}

/* The task link starts with the base URL as configured (validated by `config`, not
 * encoded); what follows is certdesk's and must be URI characters only. */
static void check_task_link(const links_config *cfg, const char *link)
{
	size_t n = strlen(cfg->phab_url);
	char *dec;

	while (n && cfg->phab_url[n - 1] == '/')
		n--;
	FUZZ_CHECK(strncmp(link, cfg->phab_url, n) == 0);
	dec = decode(link + n, "/?&=");
	FUZZ_CHECK(dec != NULL);
	free(dec);
}

static void check_mail_link(const char *link)
{
	char *dec;

	FUZZ_CHECK(strncmp(link, "mailto:", 7) == 0);
	dec = decode(link + 7, "?&=@");
	FUZZ_CHECK(dec != NULL);
	free(dec);
}

static int make_links(const links_config *cfg, const links_vars *v, char **task, char **mail)
{
	int rc = links_make(cfg, v, task, mail);

	if (rc < 0) {
		FUZZ_CHECK(!*task && !*mail);
		return -1;
	}
	FUZZ_CHECK(*task && *mail);
	check_task_link(cfg, *task);
	check_mail_link(*mail);
	return 0;
}

/* The same links again, from the template cache. */
static void check_again(const links_config *cfg, const links_vars *v, int rc,
			const char *task, const char *mail)
{
	char *t = NULL, *m = NULL;

	FUZZ_CHECK(make_links(cfg, v, &t, &m) == rc);
	FUZZ_CHECK(rc < 0 || (strcmp(t, task) == 0 && strcmp(m, mail) == 0));
	free(t);
	free(m);
}

static void check_links(const links_config *cfg, const links_vars *v)
{
	char *task = NULL, *mail = NULL;
	int rc;

	links_forget();
	rc = make_links(cfg, v, &task, &mail);
	check_again(cfg, v, rc, task, mail);
	links_batch(1);
	check_again(cfg, v, rc, task, mail);
	check_again(cfg, v, rc, task, mail);
	links_batch(0);
	free(task);
	free(mail);
	links_forget();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parts p;
	links_vars v;
	links_config cfg = {0};
	size_t i;

	fuzz_split(data, size, "", 1, &p);
	vars_of(&p, &v);
	cfg.template_dir = tmpl_dir;
	cfg.phab_url = fuzz_part(&p, P_URL, "https://phabricator.example.org/");
	cfg.phab_form = fuzz_part(&p, P_FORM, "1");
	cfg.phab_projects = fuzz_part(&p, P_PROJ, "fundraising-tech-ops");
	cfg.phab_subscribers = fuzz_part(&p, P_SUBS, "");
	for (i = 0; i < p.n; i++)
		check_encode(p.part[i]);
	for (i = 0; i < 4; i++) {
		const char *t = fuzz_part(&p, i, "");
		check_render(t, &v);
		fuzz_write(tmpl_dir, tmpl_files[i], t, strlen(t));
	}
	check_links(&cfg, &v);
	fuzz_parts_free(&p);
	return 0;
}
