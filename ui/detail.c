/* detail.c: text screens (a pager with an optional yes/no question): the user's
 * detail, the audit log, results; ui.c fills one with the help. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui.h"
#include "probe.h"
#include "verify.h"

ui_text *ui_text_new(const char *title)
{
	ui_text *t = cd_malloc(sizeof *t);

	memset(t, 0, sizeof *t);
	snprintf(t->title, sizeof t->title, "%s", title);
	return t;
}

void ui_text_add_raw(ui_text *t, const char *s)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->lines = cd_realloc(t->lines, t->cap * sizeof *t->lines);
		t->full = cd_realloc(t->full, t->cap * sizeof *t->full);
		t->grey = cd_realloc(t->grey, t->cap * sizeof *t->grey);
	}
	t->full[t->n] = NULL;
	t->grey[t->n] = 0;
	t->lines[t->n++] = cd_sanitize(s);
}

/* ---- links, as what they open ---- */

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* n bytes of percent-encoding, decoded; malloc'd (sanitised when it is shown). */
static char *pct_decoded(const char *s, size_t n)
{
	cd_buf b = {0};
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = i + 2 < n ? hex_digit(s[i + 1]) : -1;
		int lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;

		if (s[i] == '%' && hi >= 0 && lo >= 0) {
			cd_buf_putc(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			cd_buf_putc(&b, s[i]);
		}
	}
	return cd_buf_take(&b);
}

/* The decoded value of key in the link's query; NULL when it has none. */
static char *link_param(const char *link, const char *key)
{
	size_t kl = strlen(key);
	const char *p;

	for (p = strchr(link, '?'); p; p = strchr(p + 1, '&'))
		if (strncmp(p + 1, key, kl) == 0 && p[kl + 1] == '=')
			return pct_decoded(p + kl + 2, strcspn(p + kl + 2, "&"));
	return NULL;
}

/* "new task 'TITLE' on PROJECTS", "to ADDR, subject 'SUBJECT'"; the link itself when it
 * is neither (a template may have made anything). malloc'd. */
static char *link_summary(const char *link)
{
	cd_buf b = {0};
	char *a, *v;

	if (strncmp(link, "mailto:", 7) == 0) {
		a = pct_decoded(link + 7, strcspn(link + 7, "?"));
		v = link_param(link, "subject");
		cd_buf_printf(&b, "to %s, subject '%s'", *a ? a : "(no address)", v ? v : "");
	} else if ((v = link_param(link, "title"))) {
		a = link_param(link, "projects");
		cd_buf_printf(&b, "new task '%s'%s%s", v, a ? " on " : "", a ? a : "");
	} else {
		return cd_strdup(link);
	}
	free(a);
	free(v);
	return cd_buf_take(&b);
}

void ui_text_add_link(ui_text *t, const char *label, const char *link)
{
	char *sum = link_summary(link);
	cd_buf b = {0};

	ui_text_add(t, "%s%s", label, sum);
	cd_buf_printf(&b, "%s%s", label, link);
	t->full[t->n - 1] = cd_sanitize(b.s);
	cd_buf_free(&b);
	free(sum);
}

void ui_text_add(ui_text *t, const char *fmt, ...)
{
	cd_buf b = {0};
	va_list ap;

	va_start(ap, fmt);
	cd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	ui_text_add_raw(t, b.s ? b.s : "");
	cd_buf_free(&b);
}

static void free_lines(char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static void text_free(ui_text *t)
{
	free_lines(t->lines, t->n);
	free_lines(t->full, t->n);
	free(t->grey);
	free(t);
}

static int is_link(const char *s)
{
	return strstr(s, "://") || strstr(s, "mailto:");
}

/* Where continuation lines start: under the text after a "label  " column, else under
 * the line's own indentation; links wrap flush left so they copy back whole. */
static size_t hang_of(const char *s, int w)
{
	size_t lead = strspn(s, " "), i;
	const char *gap;

	if (is_link(s))
		return 0;
	gap = strstr(s + lead, "  ");
	if (gap) {
		i = (size_t)(gap - s) + strspn(gap, " ");
		if (i < (size_t)w / 2 && s[i])
			return i;
	}
	return lead;
}

/* Bytes of s to put on a line of w columns: up to the last space when there is one. */
static size_t fit_words(const char *s, int w, int link)
{
	size_t k = cd_fit_width(s, w), sp;

	if (link || !s[k])
		return k;
	for (sp = k; sp > 0 && s[sp] != ' '; sp--)
		;
	return sp > k / 3 ? sp + 1 : k;
}

size_t ui_text_draw_lines(char **lines, size_t n, size_t scroll, int y, int x, int h, int w,
			  int clip_links)
{
	return ui_text_draw_greyed(lines, NULL, n, scroll, y, x, h, w, clip_links);
}

size_t ui_text_draw_greyed(char **lines, const unsigned char *grey, size_t n, size_t scroll,
			   int y, int x, int h, int w, int clip_links)
{
	size_t i, row = 0;
	int drawn = 0;
	attr_t was = getattrs(stdscr);

	for (i = 0; i < n; i++) {
		const char *s = lines[i];

		if (grey)
			attrset(grey[i] ? ui_attr(UI_DIM) : was);

		if (clip_links && is_link(s) && cd_text_width(s) > w && w > 1) {
			if (row++ >= scroll && drawn < h) {
				ui_put(y + drawn, x, s, w - 1, 1);
				mvaddstr(y + drawn++, x + w - 1, "\u2026");
			}
			continue;
		}
		{
			size_t hang = hang_of(s, w), k;
			int first = 1, link = is_link(s);

			do {
				int indent = first ? 0 : (int)hang;
				char *part;

				k = fit_words(s, w - indent, link);
				if (row++ >= scroll && drawn < h) {
					part = cd_strndup(s, k);
					ui_put(y + drawn++, x + indent, part, w - indent, 1);
					free(part);
				}
				s += k;
				first = 0;
			} while (*s);
		}
	}
	if (grey)
		attrset(was);
	return row;
}

static void text_draw_page(ui *u, ui_text *t, char **lines, const unsigned char *grey, size_t n)
{
	int y = ui_head_rows() - 1, h = LINES - ui_head_rows() - 1, i;
	size_t rows;

	for (i = 0; i < h; i++)
		ui_fill(y + i, 0, COLS, A_NORMAL);
	/* Scrolling stops at the last page, so k answers at once after j went too far. */
	rows = ui_text_draw_lines(lines, n, 0, 0, 0, 0, COLS - 2, 0);
	if (t->scroll + (size_t)(h - 2) > rows)
		t->scroll = rows > (size_t)(h - 2) ? rows - (size_t)(h - 2) : 0;
	attrset(ui_attr(UI_TITLE));
	ui_put(y, 0, t->title, COLS, 1);
	attrset(A_NORMAL);
	ui_text_draw_greyed(lines, grey, n, t->scroll, y + 1, 1, h - 2, COLS - 2, 0);
	attrset(A_BOLD);
	ui_put(y + h - 1, 0, t->footer[0] ? t->footer : "q: back  j/k: scroll", COLS, 1);
	attrset(A_NORMAL);
}

/* The lines as drawn: with u, whole links in place of what they open (malloc'd then). */
static char **shown_lines(ui *u, char **lines, char **full, size_t n)
{
	char **v;
	size_t i;

	if (!u->full_links || !full)
		return lines;
	v = cd_malloc((n ? n : 1) * sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = full[i] ? full[i] : lines[i];
	return v;
}

static void text_draw(ui *u, void *st)
{
	ui_text *t = st;
	char **lines = t->lines, **full = t->full, **shown;
	const unsigned char *grey = t->grey;
	size_t n = t->n;

	if (COLS < UI_MIN_COLS || LINES < UI_MIN_ROWS)
		return;
	if (t->detail && ui_detail_refresh(u) == 0) {
		lines = u->dlines;
		full = u->dfull;
		grey = NULL;
		n = u->ndlines;
	}
	shown = shown_lines(u, lines, full, n);
	text_draw_page(u, t, shown, grey, n);
	if (shown != lines)
		free(shown);
}

/* ---- / in a pager: the next line holding the text, as less and tig find ---- */

/* The lines the pager shows (the caller frees what shown_lines gave) and how many. */
static char **text_lines(ui *u, ui_text *t, size_t *n)
{
	if (t->detail && ui_detail_refresh(u) == 0) {
		*n = u->ndlines;
		return shown_lines(u, u->dlines, u->dfull, u->ndlines);
	}
	*n = t->n;
	return shown_lines(u, t->lines, t->full, t->n);
}

/* Scrolls to the first line holding t->find after the last match, from the top again
 * when there is none below. */
static void text_find_next(ui *u, ui_text *t)
{
	size_t n, i, k;
	char **lines = text_lines(u, t, &n);

	for (k = 0; k < n; k++) {
		i = (t->found + k) % n;
		if (strcasestr(lines[i], t->find))
			break;
	}
	if (k == n) {
		ui_msg(u, 1, "not found: %s", t->find);
	} else {
		t->scroll = ui_text_draw_lines(lines, i, 0, 0, 0, 0, COLS - 2, 0);
		t->found = i + 1;
		ui_msg(u, 0, "/%s: line %zu of %zu  (n: the next one)", t->find, i + 1, n);
	}
	if (lines != t->lines && lines != u->dlines)
		free(lines);
}

typedef struct {
	field f;
	ui_text *t;
} text_find;

void ui_draw_prompt(const char *prompt, field *f)
{
	char view[FIELD_CAP * 4 + 8];
	int col, pw = cd_text_width(prompt);

	if (COLS < UI_MIN_COLS || LINES < UI_MIN_ROWS)
		return;
	ui_fill(LINES - 2, 0, COLS, A_NORMAL);
	mvaddstr(LINES - 2, 0, prompt);
	field_view(f, COLS - pw - 1, view, sizeof view, &col);
	ui_put(LINES - 2, pw, view, COLS - pw - 1, 0);
	move(LINES - 2, pw + col);
	curs_set(1);
}

static void find_draw(ui *u, void *st)
{
	ui_draw_prompt("/", &((text_find *)st)->f);
}

static int find_key(ui *u, void *st, int key)
{
	text_find *s = st;

	if (key == KEY_RESIZE)
		return key;
	if (key == 27) {
		screen_pop(u);
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		screen_pop(u);
		if (*field_value(&s->f)) {
			snprintf(s->t->find, sizeof s->t->find, "%s", field_value(&s->f));
			s->t->found = 0;
			text_find_next(u, s->t);
		}
	} else {
		field_key(&s->f, key);
	}
	return 0;
}

static void find_close(ui *u, void *st)
{
	free(st);
}

static const char *find_bar(ui *u, void *st, int *more)
{
	*more = 0;
	return "Enter find  Esc back";
}

static const ui_screen_ops find_ops = {"find", find_draw, find_key, find_close, find_bar};

static int text_open_find(ui *u, ui_text *t)
{
	text_find *s = cd_malloc(sizeof *s);

	memset(s, 0, sizeof *s);
	s->t = t;
	field_set(&s->f, t->find);
	return screen_push(u, &find_ops, s);
}

static void text_close(ui *u, void *st)
{
	text_free(st);
}

/* y/N: y confirms; n, Enter, Esc and q take the default, no; other keys are ignored, so
 * a stray j does not answer. */
static int text_yes_key(ui *u, ui_text *t, int key)
{
	if (!strchr("yYnNq\r\n\033", key) && key != KEY_ENTER) {
		ui_msg(u, 0, "y publishes; n or Enter cancels");
		return 0;
	}
	screen_pop(u); /* t stays until this key is handled */
	if (key == 'y' || key == 'Y') {
		if (t->yes(u, t) < 0)
			ui_msg(u, 1, "%s", cd_errmsg());
	} else {
		ui_msg(u, 0, "cancelled");
	}
	return 0;
}

static int text_key(ui *u, void *st, int key)
{
	ui_text *t = st;
	long page = LINES - ui_head_rows() - 3;

	if (key == KEY_RESIZE)
		return key;
	if (t->yes)
		return text_yes_key(u, t, key);
	switch (key) {
	case 'q': case 27: case KEY_LEFT: case '?':
		screen_pop(u);
		return 0;
	case 'j': case KEY_DOWN: t->scroll++; return 0;
	case 'k': case KEY_UP: t->scroll -= t->scroll > 0; return 0;
	case KEY_NPAGE: case ' ': t->scroll += (size_t)page; return 0;
	case KEY_PPAGE: t->scroll = t->scroll > (size_t)page ? t->scroll - (size_t)page : 0; return 0;
	case 'g': case KEY_HOME: t->scroll = 0; return 0;
	case 'G': case KEY_END: t->scroll = SIZE_MAX / 2; return 0; /* the draw clamps it */
	case UI_KEY_FULL_LINKS: u->full_links = !u->full_links; return 0;
	case '/': text_open_find(u, t); return 0;
	}
	if (key == 'n' && (t->find[0] || t->own)) {
		if (t->find[0])
			text_find_next(u, t);
		return 0;
	}
	/* commands on the selected user work from here too, but not from the help */
	return t->own ? 0 : key;
}

static int has_links(char **full, size_t n)
{
	size_t i;

	for (i = 0; full && i < n; i++)
		if (full[i])
			return 1;
	return 0;
}

static const char *text_bar(ui *u, void *st, int *more)
{
	ui_text *t = st;

	*more = !t->yes && !t->own;
	if (t->yes)
		return "y yes  n/Enter no";
	if (t->own)
		return "q/? back  j/k scroll  / search  n next match";
	if (t->detail ? has_links(u->dfull, u->ndlines) : has_links(t->full, t->n))
		return "q back  j/k scroll  u links";
	return "q back  j/k scroll";
}

static const ui_screen_ops text_ops = {"text", text_draw, text_key, text_close, text_bar};
/* The same pager; its own ops tell an open detail apart. */
static const ui_screen_ops detail_ops = {"detail", text_draw, text_key, text_close, text_bar};

void ui_text_push(ui *u, ui_text *t)
{
	screen_push(u, t->detail ? &detail_ops : &text_ops, t);
}

const char *ui_result_user(ui *u)
{
	ui_text *t = screen_top(u, &text_ops);

	return t && t->user[0] ? t->user : NULL;
}

void ui_text_replace(ui *u, ui_text *t)
{
	screen_replace(u, t->detail ? &detail_ops : &text_ops, t);
}

/* ---- detail ---- */

static void add_field(ui_text *t, const char *label, const char *v)
{
	if (v && *v)
		ui_text_add(t, "  %-9s %s", label, v);
}

static void detail_user(ui_text *t, desk *d, const store_row *r)
{
	cycle_stage s = desk_stage(d, r);
	cycle_late late;
	char end[16];

	cd_format_date(r->cur.not_after, end);
	ui_text_add(t, "%s  %s", r->u.name, r->u.full_name);
	add_field(t, "email", r->u.email);
	add_field(t, "phone", r->u.phone);
	add_field(t, "location", r->u.location);
	add_field(t, "org", r->u.org);
	add_field(t, "unit", r->u.ou);
	add_field(t, "country", r->u.country);
	ui_text_add(t, "  %-9s %s: %s", "stage", cycle_stage_name(s), cycle_stage_help(s));
	if (desk_late(d, r, &late))
		ui_text_add(t, "  %-9s %s for %lld days: notify sends a reminder", "overdue",
			    cycle_late_help(late.kind), (long long)late.days);
	ui_text_add(t, "  %-9s %s (%lld days)", "expires", end,
		    (long long)cd_days_until(r->cur.not_after, d->now));
}

/* One certificate, with what became of it, in the core's words (as `show` has them). */
static int detail_cert(void *ctx, const store_cert *c, const cycle_cert_desc *what)
{
	char from[16], to[16];

	cd_format_date(c->not_before, from);
	cd_format_date(c->not_after, to);
	ui_text_add(ctx, "  %s  %s..%s  %s", c->serial, from, to, what->text);
	if (what->several_cas)
		ui_text_add(ctx, "    issued by the CA %s", what->issuer);
	return 0;
}

static void timeline_date(ui_text *t, const char *what, int64_t when, const char *extra)
{
	char day[16];

	if (!when)
		return;
	cd_format_date(when, day);
	ui_text_add(t, "  %-9s %s%s%s", what, day, extra ? " " : "", extra ? extra : "");
}

/* The renewal's story, and why the old certificate's revocation waits or may go. */
static void detail_timeline(ui_text *t, desk *d, const store_row *r)
{
	int open = desk_renewal_open(d, r);
	const store_cert *cc = desk_cycle_cert(d, r);

	ui_text_add(t, "%s", "Renewal");
	timeline_date(t, "issued", cc->issued_at, NULL);
	timeline_date(t, "notified", cc->notified_at, cc->task);
	if (cc->task && !cc->notified_at)
		ui_text_add(t, "  %-9s %s", "task", cc->task);
	if (open) {
		timeline_date(t, "renewed", r->cur.issued_at, r->cur.serial);
		timeline_date(t, "applied", r->cur.applied_at, r->cur.applied_via);
	}
}

static void detail_links(ui_text *t, desk *d, const store_row *r)
{
	char *tl = NULL, *ml = NULL;

	ui_text_add(t, "%s", "Links");
	if (desk_links(d, r, &tl, &ml) < 0) {
		ui_text_add(t, "  %s", cd_errmsg());
		return;
	}
	ui_text_add_link(t, "  task  ", tl);
	ui_text_add_link(t, "  mail  ", ml);
	free(tl);
	free(ml);
}

/* The keys that do not apply to this user now, and why: the core's rule and words. */
static void detail_refusals(ui_text *t, desk *d, const store_row *r)
{
	int i, head = 0;

	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];

		if (!(c->flags & CMD_ROW) || !c->key || (c->flags & CMD_CLI) ||
		    desk_may(d, r, c->id) == 0)
			continue;
		if (!head++)
			ui_text_add(t, "%s", "Not now");
		ui_text_add(t, "  %c %-8s %s", c->key, c->verb ? c->verb : "", cd_errmsg());
	}
}

static int detail_build(ui *u, const char *user, ui_text *t)
{
	desk_row row;

	if (desk_get_existing(u->d, user, &row) < 0)
		return -1;
	detail_user(t, u->d, &row.r);
	ui_text_add(t, "%s", "Certificates (oldest first)");
	if (desk_certs(u->d, &row.r, detail_cert, t) < 0)
		ui_text_add(t, "  %s", cd_errmsg());
	detail_timeline(t, u->d, &row.r);
	detail_links(t, u->d, &row.r);
	detail_refusals(t, u->d, &row.r);
	desk_row_free(&row);
	return 0;
}

void ui_detail_free(ui *u)
{
	free_lines(u->dlines, u->ndlines);
	free_lines(u->dfull, u->ndlines);
	u->dlines = NULL;
	u->dfull = NULL;
	u->ndlines = 0;
	u->duser[0] = '\0';
}

int ui_detail_refresh(ui *u)
{
	const ui_row *r = ui_selected(u);
	const char *user = r ? ui_row_user(u, r) : "";
	ui_text *t;

	if (u->dlines && strcmp(user, u->duser) == 0)
		return 0;
	ui_detail_free(u);
	t = ui_text_new("");
	if (!r)
		ui_text_add(t, "%s", "no user selected");
	else if (detail_build(u, user, t) < 0)
		ui_text_add(t, "%s", cd_errmsg());
	u->dlines = t->lines;
	u->dfull = t->full;
	u->ndlines = t->n;
	snprintf(u->duser, sizeof u->duser, "%s", user);
	free(t->grey); /* the detail greys nothing */
	free(t);
	return 0;
}

/* Enter on an open detail, or on a screen over it, opens no second copy. */
int ui_open_detail(ui *u)
{
	ui_text *t;

	if (screen_is_open(u, &detail_ops))
		return 0;
	t = ui_text_new("detail");
	t->detail = 1;
	snprintf(t->footer, sizeof t->footer,
		 "q back  j/k scroll  u whole links  keys of the list act on this user");
	ui_text_push(u, t);
	return 0;
}

/* ---- audit log ---- */

static int log_line(void *ctx, int64_t at, const char *actor, const char *action,
		    const char *user, const char *detail)
{
	char when[32];

	cd_format_time(at, when);
	ui_text_add(ctx, "%s  %-8s %-8s %s", when, actor, action, detail);
	return 0;
}

/* The whole trail names each line's user, as log does. */
static int log_line_all(void *ctx, int64_t at, const char *actor, const char *action,
			const char *user, const char *detail)
{
	char when[32];

	cd_format_time(at, when);
	ui_text_add(ctx, "%s  %-8s %-8s %-12s %s", when, actor, action, user ? user : "", detail);
	return 0;
}

/* What certdesk log [USER] shows (desk_log), in a pager. */
static int open_log(ui *u, const char *user)
{
	char title[160];
	ui_text *t;

	if (user)
		snprintf(title, sizeof title, "audit log of %s  (L: every user's)", user);
	else
		snprintf(title, sizeof title, "audit log: the whole home");
	t = ui_text_new(title);
	if (desk_log(u->d, user, user ? log_line : log_line_all, t) < 0) {
		text_free(t);
		return -1;
	}
	if (t->n == 0)
		ui_text_add(t, "%s", "(nothing recorded)");
	if (!user)
		t->scroll = SIZE_MAX / 2; /* the newest lines in view: the draw clamps it */
	ui_text_push(u, t);
	return 0;
}

int ui_open_log(ui *u)
{
	return open_log(u, ui_row_user(u, ui_selected(u)));
}

int ui_open_log_all(ui *u)
{
	return open_log(u, NULL);
}

/* verify's report as the command line prints it: a line per problem, or what was checked. */
int ui_open_verify(ui *u)
{
	verify_report r;
	char line[400], title[64];
	ui_text *t;
	size_t i;

	if (verify_run(u->d, &r) < 0)
		return -1;
	snprintf(title, sizeof title, "verify: %s", verify_level_word(r.worst));
	t = ui_text_new(title);
	for (i = 0; i < r.n; i++)
		ui_text_add(t, "%s: %s", verify_level_word(r.v[i].level), r.v[i].msg);
	if (r.worst == VERIFY_OK) {
		verify_summary(&r, line, sizeof line);
		ui_text_add(t, "OK: %s", line);
	}
	verify_report_free(&r);
	ui_text_push(u, t);
	return 0;
}

/* The last recorded probe, a line per server: the read-only view shows it too, and never
 * runs a probe (that reads the canaries' keys). */
int ui_open_servers(ui *u)
{
	probe_report r;
	char when[16], title[96];
	ui_text *t;
	size_t i;

	if (probe_last(u->d, &r) < 0)
		return -1;
	cd_format_date(r.at, when);
	if (r.n)
		snprintf(title, sizeof title, "servers: probed %s", when);
	else
		snprintf(title, sizeof title, "servers");
	t = ui_text_new(title);
	for (i = 0; i < r.n; i++)
		ui_text_add(t, "%s  %s  %s", r.v[i].target.text, r.v[i].state, r.v[i].detail);
	if (!r.n)
		ui_text_add(t, "no probe recorded yet: run 'certdesk probe' (probe.targets)");
	probe_report_free(&r);
	ui_text_push(u, t);
	return 0;
}
