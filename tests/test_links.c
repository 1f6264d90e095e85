/* test_links.c: template rendering, URI encoding (RFC 3986, RFC 6068) and both links,
 * with python3's urllib as an independent decoder and str.format as an independent
 * renderer of the shipped templates. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "links.h"
#include "util.h"

static const links_vars jdoe = {
	.user = "jdoe", .full_name = "José Müller", .email = "jose.muller+certs@example.org",
	.expiry = "2025-03-14", .days_left = "12", .serial = "5A3F09C1D2E4B6A8",
	.task = "T123456", .operator_name = "Ana Operator", .ca_name = "Example Client CA",
};

static void check_enc(const char *in, int mailto, const char *want)
{
	char *got = links_encode(in, mailto);

	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "encode(%s): got %s, want %s\n", in, got, want);
	free(got);
}

static void test_encode_unreserved(void)
{
	/* RFC 3986 2.3: ALPHA DIGIT - . _ ~ are never encoded. */
	const char *u = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

	check_enc(u, 0, u);
	check_enc(u, 1, u);
	check_enc("", 1, "");
}

static void test_encode_reserved(void)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{"&", "%26"}, {"#", "%23"}, {"+", "%2B"}, {"%", "%25"}, {"=", "%3D"},
		{"?", "%3F"}, {" ", "%20"}, {":", "%3A"}, {"/", "%2F"}, {"[", "%5B"},
		{"]", "%5D"}, {"@", "%40"}, {"!", "%21"}, {"$", "%24"}, {"'", "%27"},
		{"(", "%28"}, {")", "%29"}, {"*", "%2A"}, {",", "%2C"}, {";", "%3B"},
		{"\"", "%22"}, {"<", "%3C"}, {">", "%3E"}, {"\\", "%5C"}, {"{", "%7B"},
		{"}", "%7D"}, {"|", "%7C"}, {"^", "%5E"}, {"`", "%60"}, {"\t", "%09"},
		{"a b+c&d=e", "a%20b%2Bc%26d%3De"},
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		check_enc(v[i].in, 0, v[i].out);
		check_enc(v[i].in, 1, v[i].out);
	}
}

static void test_encode_utf8(void)
{
	check_enc("José Müller", 1, "Jos%C3%A9%20M%C3%BCller");
	check_enc("José Müller", 0, "Jos%C3%A9%20M%C3%BCller");
	/* RFC 6068 6.3 */
	check_enc("café", 1, "caf%C3%A9");
	check_enc("納豆", 1, "%E7%B4%8D%E8%B1%86");
	check_enc("€", 0, "%E2%82%AC");
}

static void test_encode_line_breaks(void)
{
	check_enc("a\nb", 1, "a%0D%0Ab");
	check_enc("a\r\nb", 1, "a%0D%0Ab");
	check_enc("a\rb", 1, "a%0D%0Ab");
	check_enc("a\n\nb", 1, "a%0D%0A%0D%0Ab");
	check_enc("a\r\n\r\nb", 1, "a%0D%0A%0D%0Ab");
	check_enc("a\n", 1, "a%0D%0A");
	/* Outside mailto, bytes are bytes. */
	check_enc("a\nb", 0, "a%0Ab");
	check_enc("a\r\nb", 0, "a%0D%0Ab");
}

/* Each lone CR or LF becomes six bytes; a value of nothing else must still fit. */
static void test_encode_bare_line_breaks(void)
{
	/* "\n\r" is two breaks, one LF and one CR, not one CRLF. */
	static const char *const breaks[] = {"\n", "\r", "\n\rx"};
	size_t i, k, n = 3000;

	for (k = 0; k < sizeof breaks / sizeof breaks[0]; k++) {
		cd_buf in = {0}, want = {0};
		char *got;

		for (i = 0; i < n; i++) {
			cd_buf_puts(&in, breaks[k]);
			cd_buf_puts(&want, k == 2 ? "%0D%0A%0D%0Ax" : "%0D%0A");
		}
		got = links_encode(in.s, 1);
		CU_ASSERT_EQUAL(strlen(got), want.len);
		CU_ASSERT_STRING_EQUAL(got, want.s);
		free(got);
		cd_buf_free(&in);
		cd_buf_free(&want);
	}
}

static void test_encode_rfc6068_examples(void)
{
	char *subj = links_encode("mailto example", 1);
	char *body = links_encode("https://en.wikipedia.org/wiki/Mailto", 1);
	char *link = cd_asprintf("mailto:?to=&subject=%s&body=%s", subj, body);

	/* RFC 6068 6.1 */
	check_enc("send current-issue\r\nsend index", 1, "send%20current-issue%0D%0Asend%20index");
	check_enc("subscribe bamboo-l", 1, "subscribe%20bamboo-l");
	check_enc("current-issue", 1, "current-issue");
	check_enc("<3469A91.D10AF4C@example.com>", 1, "%3C3469A91.D10AF4C%40example.com%3E");
	CU_ASSERT_STRING_EQUAL(link, "mailto:?to=&subject=mailto%20example&body="
				     "https%3A%2F%2Fen.wikipedia.org%2Fwiki%2FMailto");
	free(subj);
	free(body);
	free(link);
}

static void test_render_vars(void)
{
	char *out;

	CU_ASSERT_EQUAL(links_render("{user}|{full_name}|{email}|{expiry}|{days_left}|{serial}|"
				     "{task}|{operator_name}|{ca_name}", "t.txt", &jdoe, &out), 0);
	CU_ASSERT_STRING_EQUAL(out, "jdoe|José Müller|jose.muller+certs@example.org|2025-03-14|"
				    "12|5A3F09C1D2E4B6A8|T123456|Ana Operator|Example Client CA");
	free(out);

	links_vars empty = {.user = "x"};
	CU_ASSERT_EQUAL(links_render("[{task}]{user}", "t.txt", &empty, &out), 0);
	CU_ASSERT_STRING_EQUAL(out, "[]x");
	free(out);
	CU_ASSERT_EQUAL(links_render("", "t.txt", &jdoe, &out), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
}

static void test_render_literal_braces(void)
{
	char *out;

	CU_ASSERT_EQUAL(links_render("{{user}} is {user}; }} and {{; {{{user}}}", "t.txt", &jdoe,
				     &out), 0);
	CU_ASSERT_STRING_EQUAL(out, "{user} is jdoe; } and {; {jdoe}");
	free(out);
	/* A lone '}' is harmless and kept as written. */
	CU_ASSERT_EQUAL(links_render("a } b", "t.txt", &jdoe, &out), 0);
	CU_ASSERT_STRING_EQUAL(out, "a } b");
	free(out);
}

static void test_render_unknown_var(void)
{
	char *out = (char *)"untouched";

	CU_ASSERT_EQUAL(links_render("Hello {usr},", "greeting.txt", &jdoe, &out), -1);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_STRING_EQUAL(cd_errmsg(), "greeting.txt: unknown template variable {usr}");
	CU_ASSERT_EQUAL(links_render("{}", "greeting.txt", &jdoe, &out), -1);
	CU_ASSERT_STRING_EQUAL(cd_errmsg(), "greeting.txt: unknown template variable {}");
	CU_ASSERT_EQUAL(links_render("{ user }", "greeting.txt", &jdoe, &out), -1);
	CU_ASSERT_STRING_EQUAL(cd_errmsg(), "greeting.txt: unknown template variable { user }");
}

static void test_render_unterminated(void)
{
	const char *bad[] = {"Hello {user", "Hello {", "{user\n}", "{us{er}"};
	char *out;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(links_render(bad[i], "greeting.txt", &jdoe, &out), -1);
		CU_ASSERT_PTR_NULL(out);
		CU_ASSERT(tl_contains(cd_errmsg(), "greeting.txt"));
		CU_ASSERT(tl_contains(cd_errmsg(), "unterminated"));
	}
	CU_ASSERT_EQUAL(links_render("line one\nline {two", "greeting.txt", &jdoe, &out), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "greeting.txt:2:"));
}

static void test_render_bad_utf8(void)
{
	/* truncated, overlong, surrogate, stray continuation, Latin-1 */
	const char *bad[] = {"caf\xC3", "\xC0\xAF", "\xED\xA0\x80", "a\x80z", "Jos\xE9"};
	char *out;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(links_render(bad[i], "body.txt", &jdoe, &out), -1);
		CU_ASSERT_PTR_NULL(out);
		CU_ASSERT(tl_contains(cd_errmsg(), "body.txt"));
		CU_ASSERT(tl_contains(cd_errmsg(), "UTF-8"));
	}
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char *path = cd_asprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
	free(path);
}

/* A template directory with the four files given (NULL: file left out). */
static const char *tmpl_dir(const char *title, const char *desc, const char *subj,
			    const char *body)
{
	const char *dir = tl_tmpdir();

	if (title)
		put_file(dir, LINKS_TASK_TITLE, title);
	if (desc)
		put_file(dir, LINKS_TASK_DESC, desc);
	if (subj)
		put_file(dir, LINKS_MAIL_SUBJ, subj);
	if (body)
		put_file(dir, LINKS_MAIL_BODY, body);
	return dir;
}

static links_config config_for(const char *dir)
{
	links_config c = {
		.template_dir = dir, .phab_url = "https://phab.example.org/", .phab_form = "1",
		.phab_projects = "fundraising-tech-ops", .phab_subscribers = "",
	};
	return c;
}

static void note_warning(void *ctx, const char *line)
{
	char **got = ctx;

	free(*got);
	*got = cd_strdup(line);
}

/* Runs links_make with fd 2 sent to a file; returns what was written there. */
static char *make_capturing(const links_config *c, const links_vars *v, char **task,
			    char **mail, int *rc)
{
	char path[] = "/tmp/test-links-err.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *err;

	CU_ASSERT_FATAL(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	*rc = links_make(c, v, task, mail);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	err = tl_read(path);
	unlink(path);
	return err;
}

static void test_make_task_link(void)
{
	const char *dir = tmpl_dir("Renew {user}  \n\n", "Step 1 & 2\n- [ ] done?\n", NULL, NULL);
	links_config c = config_for(dir);
	char *task, *mail = (char *)"untouched";

	/* Only the templates of the requested link are read. */
	CU_ASSERT_EQUAL_FATAL(links_make(&c, &jdoe, &task, NULL), 0);
	CU_ASSERT_STRING_EQUAL(task, "https://phab.example.org/maniphest/task/edit/form/1/"
				     "?title=Renew%20jdoe"
				     "&description=Step%201%20%26%202%0A-%20%5B%20%5D%20done%3F"
				     "&projects=fundraising-tech-ops");
	free(task);

	c.phab_subscribers = "alice,bob";
	c.phab_url = "https://phab.example.org";
	CU_ASSERT_EQUAL_FATAL(links_make(&c, &jdoe, &task, NULL), 0);
	CU_ASSERT(tl_contains(task, "https://phab.example.org/maniphest/task/edit/form/1/?"));
	CU_ASSERT(tl_contains(task, "&projects=fundraising-tech-ops&subscribers=alice%2Cbob"));
	free(task);

	CU_ASSERT_EQUAL(links_make(&c, &jdoe, NULL, &mail), -1);
	CU_ASSERT_PTR_NULL(mail);
	CU_ASSERT(tl_contains(cd_errmsg(), dir));
	CU_ASSERT(tl_contains(cd_errmsg(), LINKS_MAIL_SUBJ));
}

static void test_make_title_one_line(void)
{
	const char *dir = tmpl_dir("Renew\n{user}\n", "d\n", "s\n", "b\n");
	links_config c = config_for(dir);
	char *task = (char *)"untouched";

	CU_ASSERT_EQUAL(links_make(&c, &jdoe, &task, NULL), -1);
	CU_ASSERT_PTR_NULL(task);
	CU_ASSERT(tl_contains(cd_errmsg(), LINKS_TASK_TITLE));
	put_file(dir, LINKS_TASK_TITLE, " \n");
	CU_ASSERT_EQUAL(links_make(&c, &jdoe, &task, NULL), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), LINKS_TASK_TITLE));
}

static void test_make_strips_one_newline(void)
{
	const char *dir = tmpl_dir("t\r\n", "desc\n\n", "Subject {user}\r\n", "Hi\r\n\r\n");
	links_config c = config_for(dir);
	char *task, *mail;

	CU_ASSERT_EQUAL_FATAL(links_make(&c, &jdoe, &task, &mail), 0);
	CU_ASSERT(tl_contains(task, "?title=t&description=desc%0A&projects="));
	CU_ASSERT_STRING_EQUAL(mail, "mailto:jose.muller%2Bcerts@example.org"
				     "?subject=Subject%20jdoe&body=Hi%0D%0A");
	free(task);
	free(mail);
}

static void test_make_mail_address(void)
{
	/* RFC 6068 6.1 and 6.2: the address is percent-encoded, except its last '@'. */
	static const struct {
		const char *email, *prefix;
	} v[] = {
		{"gorby%kremvax@example.com", "mailto:gorby%25kremvax@example.com?"},
		{"unlikely?address@example.com", "mailto:unlikely%3Faddress@example.com?"},
		{"Mike&family@example.org", "mailto:Mike%26family@example.org?"},
		{"\"not@me\"@example.org", "mailto:%22not%40me%22@example.org?"},
		{"jdoe+x@example.org", "mailto:jdoe%2Bx@example.org?"},
		{"", "mailto:?subject="},
	};
	const char *dir = tmpl_dir(NULL, NULL, "s\n", "b\n");
	links_config c = config_for(dir);
	links_vars vars = jdoe;
	char *mail;
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		vars.email = v[i].email;
		CU_ASSERT_EQUAL_FATAL(links_make(&c, &vars, NULL, &mail), 0);
		CU_ASSERT_EQUAL(strncmp(mail, v[i].prefix, strlen(v[i].prefix)), 0);
		free(mail);
	}
}

/* A body of bare line breaks and a value of nothing else (an old record's email): the
 * whole link, not a heap overflow (the sanitizer build aborts on one). */
static void test_make_mail_line_breaks(void)
{
	cd_buf body = {0}, email = {0}, crlf = {0}, want = {0};
	links_config c;
	links_vars vars = jdoe;
	char *mail, *err, *warned = NULL;
	size_t i;
	int rc;

	for (i = 0; i < 2000; i++) {
		cd_buf_putc(&body, '\n');
		cd_buf_putc(&email, '\r');
		cd_buf_puts(&crlf, "%0D%0A");
	}
	cd_buf_puts(&body, "{email}.\n");
	c = config_for(tmpl_dir(NULL, NULL, "s\n", body.s));
	vars.email = email.s;
	cd_buf_printf(&want, "mailto:%s?subject=s&body=%s%s.", crlf.s, crlf.s, crlf.s);
	err = make_capturing(&c, &vars, NULL, &mail, &rc);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(strlen(mail), want.len);
	CU_ASSERT_STRING_EQUAL(mail, want.s);
	CU_ASSERT(tl_contains(err, "mail link")); /* far over 2,000 characters */
	free(err);
	free(mail);
	/* With a warning hook (the dashboard's status bar), nothing reaches stderr. */
	c.warn = note_warning;
	c.warn_ctx = &warned;
	err = make_capturing(&c, &vars, NULL, &mail, &rc);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT(warned && tl_contains(warned, "warning: the mail link for"));
	free(warned);
	free(err);
	free(mail);
	cd_buf_free(&body);
	cd_buf_free(&email);
	cd_buf_free(&crlf);
	cd_buf_free(&want);
}

static void test_make_template_errors(void)
{
	const char *dir = tmpl_dir("t\n", "d\n", "s\n", "Dear {nmae},\n");
	links_config c = config_for(dir);
	char *mail, *want = cd_asprintf("%s/%s: unknown template variable {nmae}", dir,
					LINKS_MAIL_BODY);

	CU_ASSERT_EQUAL(links_make(&c, &jdoe, NULL, &mail), -1);
	CU_ASSERT_STRING_EQUAL(cd_errmsg(), want);
	free(want);

	put_file(dir, LINKS_MAIL_BODY, "Gr\xFC\xDF Gott\n");
	CU_ASSERT_EQUAL(links_make(&c, &jdoe, NULL, &mail), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), LINKS_MAIL_BODY));
	CU_ASSERT(tl_contains(cd_errmsg(), "UTF-8"));

	put_file(dir, LINKS_MAIL_BODY, "Until {expiry\n");
	CU_ASSERT_EQUAL(links_make(&c, &jdoe, NULL, &mail), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), LINKS_MAIL_BODY));

	c.template_dir = tl_tmpdir();
	CU_ASSERT_EQUAL(links_make(&c, &jdoe, &mail, NULL), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), c.template_dir));
	CU_ASSERT(tl_contains(cd_errmsg(), LINKS_TASK_TITLE));
}

static void test_make_long_warning(void)
{
	char long_body[2101];
	const char *dir;
	links_config c;
	char *task, *mail, *err;
	int rc;

	memset(long_body, 'x', sizeof long_body - 1);
	long_body[sizeof long_body - 1] = '\0';
	dir = tmpl_dir("t\n", "d\n", "s\n", long_body);
	c = config_for(dir);
	err = make_capturing(&c, &jdoe, &task, &mail, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(mail);
	CU_ASSERT(strlen(mail) > 2000);
	CU_ASSERT_EQUAL(tl_count_lines(err), 1);
	CU_ASSERT(tl_contains(err, "mail link"));
	CU_ASSERT(tl_contains(err, "jdoe"));
	CU_ASSERT(tl_contains(err, "2000"));
	CU_ASSERT(!tl_contains(err, "task link"));
	free(err);
	free(task);
	free(mail);

	/* Exactly 2,000 characters is still fine: "mailto:a@b.c.de?subject=s&body=" is 31. */
	long_body[1969] = '\0';
	put_file(dir, LINKS_MAIL_BODY, long_body);
	c.template_dir = dir;
	err = make_capturing(&c, &(links_vars){.user = "jdoe", .email = "a@b.c.de"}, NULL,
			     &mail, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(strlen(mail), 2000);
	CU_ASSERT_STRING_EQUAL(err, "");
	free(err);
	free(mail);
}

/* Copies the shipped templates into a fresh directory, as `init` does for a home. */
static const char *shipped_templates(void)
{
	const char *names[] = {LINKS_TASK_TITLE, LINKS_TASK_DESC, LINKS_MAIL_SUBJ,
			       LINKS_MAIL_BODY};
	const char *dir = tl_tmpdir();
	size_t i;

	for (i = 0; i < 4; i++) {
		char *src = cd_asprintf("data/templates/%s", names[i]);
		char *text = tl_read(src);

		if (!text)
			fprintf(stderr, "%s missing: run the tests from the source tree\n", src);
		CU_ASSERT_FATAL(text != NULL);
		put_file(dir, names[i], text);
		free(text);
		free(src);
	}
	return dir;
}

/*
 * Renders the templates with str.format (the same {name} / {{ }} syntax), decodes the
 * link with urllib, and compares. Prints "ok" or the differences.
 */
static const char judge_py[] =
	"import sys, urllib.parse as u\n"
	"kind, link, d = sys.argv[1:4]\n"
	"v = dict(a.split('=', 1) for a in sys.argv[4:])\n"
	"def tmpl(name):\n"
	"    with open(d + '/' + name, encoding='utf-8') as f:\n"
	"        return f.read().format(**v)\n"
	"def one_nl(s):\n"
	"    return s[:-1] if s.endswith('\\n') else s\n"
	"s = u.urlsplit(link)\n"
	"bad = []\n"
	"if kind == 'mail':\n"
	"    got = {'scheme': s.scheme, 'to': u.unquote(s.path, errors='strict')}\n"
	"    for pair in s.query.split('&'):\n"
	"        k, _, val = pair.partition('=')\n"
	"        got[k] = u.unquote(val, errors='strict')\n"
	"    body = got.get('body', '')\n"
	"    if '\\n' in body.replace('\\r\\n', ''):\n"
	"        bad.append('a line break in the body is not CRLF')\n"
	"    want = {'scheme': 'mailto', 'to': v['email'],\n"
	"            'subject': tmpl('mail-subject.txt').rstrip(),\n"
	"            'body': one_nl(tmpl('mail-body.txt'))}\n"
	"else:\n"
	"    got = {'scheme': s.scheme, 'host': s.netloc, 'path': s.path}\n"
	"    for k, vals in u.parse_qs(s.query, keep_blank_values=True, strict_parsing=True,\n"
	"                              errors='strict').items():\n"
	"        got[k] = vals[0] if len(vals) == 1 else vals\n"
	"    want = {'scheme': 'https', 'host': 'phab.example.org',\n"
	"            'path': '/maniphest/task/edit/form/1/',\n"
	"            'title': tmpl('task-title.txt').rstrip(),\n"
	"            'description': one_nl(tmpl('task-description.txt')),\n"
	"            'projects': 'fundraising-tech-ops', 'subscribers': 'alice,bob'}\n"
	"for k in sorted(set(got) | set(want)):\n"
	"    g = got.get(k)\n"
	"    if isinstance(g, str):\n"
	"        g = g.replace('\\r\\n', '\\n')\n"
	"    if g != want.get(k):\n"
	"        bad.append('%s: got %r, want %r' % (k, g, want.get(k)))\n"
	"print('\\n'.join(bad) if bad else 'ok')\n";

static void judge(const char *kind, const char *link, const char *dir)
{
	char *a[9];
	const char *argv[16] = {"python3", "-c", judge_py, kind, link, dir};
	tl_result r;
	int i;

	a[0] = cd_asprintf("user=%s", jdoe.user);
	a[1] = cd_asprintf("full_name=%s", jdoe.full_name);
	a[2] = cd_asprintf("email=%s", jdoe.email);
	a[3] = cd_asprintf("expiry=%s", jdoe.expiry);
	a[4] = cd_asprintf("days_left=%s", jdoe.days_left);
	a[5] = cd_asprintf("serial=%s", jdoe.serial);
	a[6] = cd_asprintf("task=%s", jdoe.task);
	a[7] = cd_asprintf("operator_name=%s", jdoe.operator_name);
	a[8] = cd_asprintf("ca_name=%s", jdoe.ca_name);
	for (i = 0; i < 9; i++)
		argv[6 + i] = a[i];
	r = tl_run(argv, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_STRING_EQUAL(r.out, "ok\n");
	if (strcmp(r.out, "ok\n") != 0)
		fprintf(stderr, "%s link judged by python3:\n%s%s\n", kind, r.out, r.err);
	tl_free(&r);
	for (i = 0; i < 9; i++)
		free(a[i]);
}

static void test_shipped_templates_decode(void)
{
	const char *dir = shipped_templates();
	links_config c = config_for(dir);
	char *task, *mail, *err;
	int rc;

	c.phab_subscribers = "alice,bob";
	err = make_capturing(&c, &jdoe, &task, &mail, &rc);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	/* The defaults must stay short enough for every mail client. */
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT(strlen(mail) <= 2000 && strlen(task) <= 2000);
	CU_ASSERT(strchr(mail, '+') == NULL);
	CU_ASSERT(strchr(mail, ' ') == NULL);
	CU_ASSERT(strchr(task, ' ') == NULL);
	CU_ASSERT(strncmp(mail, "mailto:jose.muller%2Bcerts@example.org?subject=", 47) == 0);
	CU_ASSERT(tl_contains(mail, "Jos%C3%A9%20M%C3%BCller"));
	CU_ASSERT(tl_contains(mail, "%0D%0A"));
	CU_ASSERT(!tl_contains(mail, "%0A%0A"));
	judge("mail", mail, dir);
	judge("task", task, dir);
	free(err);
	free(task);
	free(mail);
}

static void test_shipped_templates_content(void)
{
	const char *dir = shipped_templates();
	char *path = cd_asprintf("%s/%s", dir, LINKS_MAIL_BODY), *text = tl_read(path), *body;

	CU_ASSERT_EQUAL_FATAL(links_render(text, path, &jdoe, &body), 0);
	/* What the procedure asks the mail to say. */
	CU_ASSERT(tl_contains(body, "José Müller"));
	CU_ASSERT(tl_contains(body, "jdoe"));
	CU_ASSERT(tl_contains(body, "2025-03-14"));
	CU_ASSERT(tl_contains(body, "12 days"));
	CU_ASSERT(tl_contains(body, "No meeting"));
	CU_ASSERT(tl_contains(body, "few minutes"));
	CU_ASSERT(tl_contains(body, "SMS"));
	CU_ASSERT(tl_contains(body, "Ana Operator"));
	CU_ASSERT(!tl_contains(body, "{") && !tl_contains(body, "}"));
	free(body);
	free(text);
	free(path);

	path = cd_asprintf("%s/%s", dir, LINKS_TASK_DESC);
	text = tl_read(path);
	CU_ASSERT_EQUAL_FATAL(links_render(text, path, &jdoe, &body), 0);
	CU_ASSERT(tl_contains(body, "- [ ] "));
	CU_ASSERT(tl_contains(body, "SMS"));
	CU_ASSERT(tl_contains(body, "CRL"));
	CU_ASSERT(tl_contains(body, "5A3F09C1D2E4B6A8"));
	free(body);
	free(text);
	free(path);
}

static CU_TestInfo encode_tests[] = {
	{"unreserved characters kept", test_encode_unreserved},
	{"reserved and other ASCII encoded", test_encode_reserved},
	{"UTF-8 bytes encoded, uppercase hex", test_encode_utf8},
	{"line breaks: CRLF in mailto", test_encode_line_breaks},
	{"thousands of bare CR and LF", test_encode_bare_line_breaks},
	{"RFC 6068 examples", test_encode_rfc6068_examples},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo render_tests[] = {
	{"all variables", test_render_vars},
	{"literal braces", test_render_literal_braces},
	{"unknown variable names it and the file", test_render_unknown_var},
	{"unterminated brace", test_render_unterminated},
	{"invalid UTF-8", test_render_bad_utf8},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo make_tests[] = {
	{"task link shape", test_make_task_link},
	{"title must be one line", test_make_title_one_line},
	{"one trailing newline stripped", test_make_strips_one_newline},
	{"mailto address encoding", test_make_mail_address},
	{"bare line breaks in a template and a value", test_make_mail_line_breaks},
	{"template errors name the file", test_make_template_errors},
	{"warning over 2000 characters", test_make_long_warning},
	{"shipped templates decode with python3", test_shipped_templates_decode},
	{"shipped templates say what they must", test_shipped_templates_content},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const tl_suite suites[] = {
		{"encode", encode_tests},
		{"render", render_tests},
		{"make", make_tests},
		{NULL, NULL},
	};

	return tl_main(suites);
}
