/* ui.c: the dashboard's loop: keys in (terminal or script), one dispatch point for the
 * command table with a handler per command, the status bar, live reload, the help
 * screen, the passphrase asked in the middle of an action, and the entry points. */
#include "ui.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#define UI_POLL_MS 500

static volatile sig_atomic_t ui_signalled;

static void ui_on_signal(int sig)
{
	ui_signalled = sig; /* the loop notices; no curses here */
}

static void ui_trace(ui *u, const char *what, long n)
{
	struct timespec ts;

	if (!u->trace)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(u->trace, "%s %ld %lld.%03ld\n", what, n, (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	fflush(u->trace);
}

/* ---- the command table, as the dashboard sees it ---- */

const cmd_info *ui_cmd_for_key(int key)
{
	switch (key) {
	case KEY_DOWN: return &cmd_table[CMD_DOWN];
	case KEY_UP: return &cmd_table[CMD_UP];
	case KEY_NPAGE: case ' ': return &cmd_table[CMD_PAGE_DOWN];
	case KEY_PPAGE: return &cmd_table[CMD_PAGE_UP];
	case KEY_HOME: return &cmd_table[CMD_FIRST];
	case KEY_END: return &cmd_table[CMD_LAST];
	case KEY_ENTER: case '\r': return &cmd_table[CMD_SHOW];
	case UI_KEY_INTR: case KEY_F(10): return &cmd_table[CMD_QUIT]; /* F10: as in htop */
	case KEY_F(1): return &cmd_table[CMD_HELP];
	}
	return key > 0 && key < KEY_MIN ? cmd_by_key(key) : NULL;
}

const char *ui_cmd_label(const cmd_info *c)
{
	switch (c->id) {
	case CMD_SHOW: return "detail";
	case CMD_COPY_TASK: return "copy task";
	case CMD_COPY_MAIL: return "copy mail";
	case CMD_PASSWORD: return "password";
	case CMD_SEARCH: return "filter";
	case CMD_LOG_ALL: return "whole log";
	case CMD_VERIFY: return "verify";
	case CMD_SERVERS: return "servers";
	case CMD_STAGE: return "stage";
	case CMD_HELP: return "help";
	case CMD_QUIT: return "quit";
	default: return c->verb ? c->verb : cmd_by_key(c->key) ? c->help : "";
	}
}

void ui_key_name(const cmd_info *c, char *out, size_t n)
{
	switch (c->id) {
	case CMD_PAGE_DOWN: snprintf(out, n, "PgDn"); return;
	case CMD_PAGE_UP: snprintf(out, n, "PgUp"); return;
	case CMD_DOWN: snprintf(out, n, "j/Down"); return;
	case CMD_UP: snprintf(out, n, "k/Up"); return;
	case CMD_SHOW: snprintf(out, n, "Enter"); return;
	default: snprintf(out, n, "%c", c->key);
	}
}

/* The core's rule, as loaded with the row (desk_verdict). */
int ui_cmd_applies(ui *u, const cmd_info *c)
{
	const ui_row *r = ui_selected(u);

	if (!(c->flags & CMD_ROW))
		return 1;
	return r && cycle_verdict_allows(r->verdict, c->id);
}

/* The core's words name a command line ("'certdesk create gone' issues a new one"); the
 * dashboard puts its key first, where a narrow status line still shows it.  -1 with the
 * message. */
static int with_key(const char *why)
{
	char msg[512], verb[64];
	int i;

	snprintf(msg, sizeof msg, "%s", why);
	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];

		if (!c->verb || !c->key || (c->flags & CMD_CLI))
			continue;
		snprintf(verb, sizeof verb, "certdesk %s", c->verb);
		if (strstr(msg, verb) && (strstr(msg, verb)[strlen(verb)] == ' ' ||
					  strstr(msg, verb)[strlen(verb)] == '\''))
			return cd_err("%c %s applies: %s", c->key, ui_cmd_label(c), msg);
	}
	return cd_err("%s", msg);
}

/* Why a key does not apply to the selected user: the core's words, as the command line
 * says them. -1 with the message. */
static int ui_cmd_why_not(ui *u, const cmd_info *c)
{
	desk_row row;
	int rc;

	if (!ui_selected(u))
		return cd_err("no user selected");
	if (desk_get_existing(u->d, ui_row_user(u, ui_selected(u)), &row) < 0)
		return -1;
	rc = desk_may(u->d, &row.r, c->id);
	desk_row_free(&row);
	return rc < 0 ? with_key(cd_errmsg()) : cd_err("%s does not apply now", ui_cmd_label(c));
}

static int is_navigation(const cmd_info *c)
{
	return c->id == CMD_DOWN || c->id == CMD_UP || c->id == CMD_PAGE_DOWN ||
	       c->id == CMD_PAGE_UP || c->id == CMD_FIRST || c->id == CMD_LAST ||
	       c->id == CMD_SORT || c->id == CMD_RELOAD;
}

/* The dispatch's own check, so the bar and the help grey out exactly what it refuses. */
int ui_cmd_refused(ui *u, const cmd_info *c)
{
	return desk_mode(u->d) && cmd_allowed(c, desk_mode(u->d), cmd_key_writes(c)) < 0;
}

/* ---- a handler per command ---- */

static long page_rows(void)
{
	return LINES - ui_head_rows() - 2 > 1 ? LINES - ui_head_rows() - 2 : 1;
}

static int act_down(ui *u)
{
	ui_move(u, 1);
	return 0;
}

static int act_up(ui *u)
{
	ui_move(u, -1);
	return 0;
}

static int act_page_up(ui *u)
{
	ui_move(u, -page_rows());
	return 0;
}

static int act_first(ui *u)
{
	ui_move(u, -(long)u->data.nview);
	return 0;
}

static int act_last(ui *u)
{
	ui_move(u, (long)u->data.nview);
	return 0;
}

static int act_quit(ui *u)
{
	u->quit = 1;
	return 0;
}

static int act_copy_task(ui *u)
{
	return ui_do_copy(u, 0);
}

static int act_copy_mail(ui *u)
{
	return ui_do_copy(u, 1);
}

static int act_page_down(ui *u)
{
	ui_move(u, page_rows());
	ui_trace(u, "pgdn", ++u->nkeys_seen);
	return 0;
}

static int act_sort(ui *u)
{
	u->sort = (u->sort + 1) % UI_SORT_COUNT;
	ui_view_build(u);
	ui_msg(u, 0, "sorted by %s", ui_sort_name(u->sort));
	return 0;
}

static int act_stage(ui *u)
{
	u->stage_filter = u->stage_filter + 1 >= STAGE_COUNT ? UI_FILTER_ALL : u->stage_filter + 1;
	ui_view_build(u);
	return 0;
}

static int act_reload(ui *u)
{
	if (ui_load(u) < 0)
		return -1;
	ui_msg(u, 0, "reloaded %zu user%s", u->data.nrows, u->data.nrows == 1 ? "" : "s");
	return 0;
}

/* Generated from the command table, beside the table's other dashboard views. */
static int act_help(ui *u)
{
	ui_text *t = ui_text_new("help: keys");
	char key[16];
	int i;

	for (i = 0; i < CMD_COUNT && !ui_cmd_refused(u, &cmd_table[i]); i++)
		;
	if (i < CMD_COUNT)
		ui_text_add(t, "greyed: not available %s", u->d->readonly ? "in the read-only view"
			    : "while --as-of plans");
	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];

		if (c->flags & CMD_CLI || (!c->key && c->id != CMD_PAGE_DOWN && c->id != CMD_PAGE_UP))
			continue;
		if ((c->flags & CMD_SECRET) && ui_cmd_refused(u, c))
			continue; /* a secret is not even offered where it is refused */
		ui_key_name(c, key, sizeof key);
		ui_text_add(t, "%-7s %s", key, c->help);
		t->grey[t->n - 1] = (unsigned char)ui_cmd_refused(u, c);
	}
	ui_text_add(t, "%s", "");
	ui_text_add(t, "%s", "Stages");
	for (i = 0; i < STAGE_COUNT; i++)
		ui_text_add(t, "%-9s %s", cycle_stage_name((cycle_stage)i),
			    cycle_stage_help((cycle_stage)i));
	t->own = 1;
	ui_text_push(u, t);
	return 0;
}

/* 0, or -1 with cd_err() for the status bar. */
typedef int (*ui_action_fn)(ui *u);

/* Indexed by command id; NULL: not a dashboard command (the CLI's verbs). */
static const ui_action_fn actions[CMD_COUNT] = {
	[CMD_DOWN] = act_down,
	[CMD_UP] = act_up,
	[CMD_PAGE_DOWN] = act_page_down,
	[CMD_PAGE_UP] = act_page_up,
	[CMD_FIRST] = act_first,
	[CMD_LAST] = act_last,
	[CMD_SORT] = act_sort,
	[CMD_STAGE] = act_stage,
	[CMD_SEARCH] = ui_open_search,
	[CMD_RELOAD] = act_reload,
	[CMD_HELP] = act_help,
	[CMD_QUIT] = act_quit,
	[CMD_SHOW] = ui_open_detail,
	[CMD_LOG] = ui_open_log,
	[CMD_LOG_ALL] = ui_open_log_all,
	[CMD_VERIFY] = ui_open_verify,
	[CMD_SERVERS] = ui_open_servers,
	[CMD_CREATE] = ui_open_create,
	[CMD_RENEW] = ui_open_renew,
	[CMD_REVOKE] = ui_open_revoke,
	[CMD_NOTIFY] = ui_open_notify,
	[CMD_TASK] = ui_open_task,
	[CMD_APPLIED] = ui_do_applied,
	[CMD_PUBLISH] = ui_open_publish,
	[CMD_COPY_TASK] = act_copy_task,
	[CMD_COPY_MAIL] = act_copy_mail,
	[CMD_PASSWORD] = ui_do_password,
};

int ui_cmd_handled(const cmd_info *c)
{
	return actions[c->id] != NULL;
}

/* The one place where a command is checked and run. */
static int ui_dispatch(ui *u, const cmd_info *c)
{
	int rc;

	if (cmd_allowed(c, desk_mode(u->d), cmd_key_writes(c)) < 0 ||
	    (!ui_cmd_applies(u, c) && ui_cmd_why_not(u, c) < 0)) {
		ui_msg(u, 1, "%s", cd_errmsg());
		return -1;
	}
	rc = actions[c->id] ? actions[c->id](u) :
	     cd_err("'%s' is not a dashboard key", c->verb ? c->verb : "?");
	if (rc < 0)
		ui_msg(u, 1, "%s", cd_errmsg());
	return rc;
}

/* A key on a result acts on the result's user (P after a renewal shows that user's
 * password) while the list keeps its place. */
static void dispatch_for(ui *u, const char *user, const cmd_info *c)
{
	size_t at = u->sel, top = u->top;
	char who[128];

	snprintf(who, sizeof who, "%s", user); /* the result may close */
	ui_select_user(u, who);
	if (strcmp(ui_selected(u) ? ui_row_user(u, ui_selected(u)) : "", who) != 0) {
		ui_msg(u, 1, "%s is not in the list as filtered now", who);
		return;
	}
	ui_dispatch(u, c);
	u->sel = at < u->data.nview ? at : u->data.nview ? u->data.nview - 1 : 0;
	u->top = top;
}

/* ---- drawing ---- */

/* One "key label" item of the bar, the key in bold, greyed when refused; its width. */
static int draw_item(int y, int x, const char *key, const char *label, int refused)
{
	int kw = cd_text_width(key);

	attrset(ui_attr(UI_STATUS) | (refused ? A_DIM : A_BOLD));
	ui_put(y, x, key, COLS - x, 0);
	attrset(ui_attr(UI_STATUS) | (refused ? A_DIM : 0));
	ui_put(y, x + kw + 1, label, COLS - x - kw - 1, 0);
	attrset(A_NORMAL);
	return kw + 1 + cd_text_width(label);
}

static int draw_hint(ui *u, const cmd_info *c, int y, int x)
{
	char key[16];

	ui_key_name(c, key, sizeof key);
	return draw_item(y, x, key, ui_cmd_label(c), ui_cmd_refused(u, c));
}

static int hint_width(const cmd_info *c)
{
	char key[16];

	ui_key_name(c, key, sizeof key);
	return cd_text_width(key) + 1 + cd_text_width(ui_cmd_label(c)) + 2;
}

/* The selected row's next steps (the core's rule, cycle_next_steps); n returned. */
static int row_steps(ui *u, cmd_id st[CYCLE_STEPS_MAX])
{
	const ui_row *r = ui_selected(u);

	return cycle_next_steps(r ? r->stage : -1, u->data.ready, st);
}

/* Which hints get the room: the selected row's next step, then search, the row's other
 * usable keys, the other usable ones, then (greyed) the refused ones, so a narrow
 * read-only view still shows what works.  0 for a key that is never a hint. */
static int hint_rank(ui *u, const cmd_info *c)
{
	const ui_row *r = ui_selected(u);

	if (!c->key || (c->flags & CMD_CLI) || is_navigation(c) || c->id == CMD_HELP ||
	    c->id == CMD_QUIT || !ui_cmd_applies(u, c))
		return 0;
	if ((c->flags & CMD_SECRET) && ui_cmd_refused(u, c))
		return 0; /* a secret is not even offered where it is refused */
	if (ui_cmd_refused(u, c))
		return 6;
	if (cycle_is_next_step(r ? r->stage : -1, u->data.ready, c->id))
		return 1;
	if (c->id == CMD_SEARCH)
		return 2;
	if (c->id == CMD_VERIFY) /* the whole home's check: now and then, not at each row */
		return 5;
	if (c->id == CMD_SERVERS) /* offered where probe.targets are configured */
		return u->data.servers[0] ? 5 : 0;
	return (c->flags & CMD_ROW) ? 3 : 4;
}

#define HINT_RANKS 6

/* A view's own keys ("KEY label" items apart by two blanks), while they fit before
 * stop; returns the x after them. */
static int draw_own(const char *own, int y, int x, int stop)
{
	char item[96], *sp;

	while (*own) {
		size_t n = strstr(own, "  ") ? (size_t)(strstr(own, "  ") - own) : strlen(own);

		snprintf(item, sizeof item, "%.*s", (int)n, own);
		own += n + strspn(own + n, " ");
		if (!(sp = strchr(item, ' ')) || x + cd_text_width(item) > stop)
			break;
		*sp = '\0';
		x += draw_item(y, x, item, sp + 1, 0) + 2;
	}
	return x;
}

typedef struct {
	int order[CMD_COUNT], n, room;
	char taken[CMD_COUNT];
} hint_pick;

static void pick(hint_pick *p, cmd_id id)
{
	if (p->taken[id] || hint_width(&cmd_table[id]) > p->room)
		return;
	p->taken[id] = 1;
	p->order[p->n++] = id;
	p->room -= hint_width(&cmd_table[id]);
}

/* The keys of the row: its next steps in their order, then by rank in the table's
 * order; returns the x after them. */
static int draw_row_hints(ui *u, int y, int x, int room)
{
	cmd_id st[CYCLE_STEPS_MAX];
	hint_pick p = {.room = room};
	int i, rank, n = row_steps(u, st);

	for (i = 0; i < n; i++)
		if (hint_rank(u, &cmd_table[st[i]]) == 1)
			pick(&p, st[i]);
	for (rank = 1; rank <= HINT_RANKS; rank++)
		for (i = 0; i < CMD_COUNT; i++)
			if (hint_rank(u, &cmd_table[i]) == rank)
				pick(&p, (cmd_id)i);
	for (i = 0; i < p.n; i++)
		x += draw_hint(u, &cmd_table[p.order[i]], y, x) + 2;
	return x;
}

/* The view's own keys first; where the list's keys act, the row's after them; help and
 * quit at the right there. */
static void draw_hints(ui *u, int y)
{
	const cmd_info *help = &cmd_table[CMD_HELP], *quit = &cmd_table[CMD_QUIT];
	int more, x = 0, right = COLS - hint_width(help) - hint_width(quit) + 2;
	const char *own = screen_bar(u, &more);

	ui_fill(y, 0, COLS, ui_attr(UI_STATUS));
	if (own)
		x = draw_own(own, y, x, more ? right : COLS);
	if (!more)
		return;
	if (ui_result_user(u)) { /* its keys act on the result's user */
		size_t at = u->sel, top = u->top;

		ui_select_user(u, ui_result_user(u));
		draw_row_hints(u, y, x, right - x);
		u->sel = at;
		u->top = top;
	} else {
		draw_row_hints(u, y, x, right - x);
	}
	x = right + draw_hint(u, help, y, right) + 2;
	draw_hint(u, quit, y, x);
}

static void draw_info(ui *u, int y)
{
	char line[600];

	if (u->msg[0]) {
		attrset(u->msg_err ? ui_attr(UI_ERROR) : A_BOLD);
		ui_fill(y, 0, COLS, u->msg_err ? ui_attr(UI_ERROR) : A_BOLD);
		ui_put(y, 0, u->msg, COLS, 1);
		attrset(A_NORMAL);
		return;
	}
	if (u->loading) {
		ui_put(y, 0, "loading every user...", COLS, 1);
		return;
	}
	snprintf(line, sizeof line, "%zu/%zu  sort: %s  stage: %s%s%s", u->data.nview ? u->sel + 1 : 0,
		 u->data.nview, ui_sort_name(u->sort), ui_filter_name(u->stage_filter),
		 u->filter[0] ? "  filter: " : "", u->filter);
	ui_put(y, 0, line, COLS, 1);
}

static void draw_side(ui *u, int x, int h, int w)
{
	if (ui_detail_refresh(u) < 0) {
		ui_put(ui_head_rows() - 1, x, cd_errmsg(), w, 1);
		return;
	}
	mvvline_set(ui_head_rows() - 1, x - 1, WACS_VLINE, h);
	ui_text_draw_lines(u->dlines, u->ndlines, 0, ui_head_rows() - 1, x + 1, h, w - 1, 1);
}

static void ui_draw(ui *u)
{
	int body = LINES - ui_head_rows() - 1;
	int lw = COLS >= UI_SIDE_COLS ? (COLS * 55) / 100 : COLS;

	erase();
	curs_set(0);
	if (COLS < UI_MIN_COLS || LINES < UI_MIN_ROWS) {
		mvprintw(0, 0, "terminal too small: %dx%d", COLS, LINES);
		mvprintw(1, 0, "certdesk needs %dx%d", UI_MIN_COLS, UI_MIN_ROWS);
		refresh();
		return;
	}
	ui_draw_header(u);
	ui_draw_list(u, ui_head_rows() - 1, 0, body, lw);
	if (lw < COLS)
		draw_side(u, lw + 1, body, COLS - lw - 1);
	draw_info(u, LINES - 2);
	draw_hints(u, LINES - 1);
	screen_draw(u);
	refresh();
}

/* ---- keys ---- */

static int script_key(ui *u)
{
	int k;

	if (u->ki >= u->nkeys) {
		u->quit = 1;
		return ERR;
	}
	k = u->keys[u->ki++];
	if (k == UI_KEY_TICK)
		return ERR;
	if ((k & 0x7ff00000) == UI_KEY_SIZE_TAG) {
		resizeterm(k & 0xfff, (k >> 12) & 0xfff);
		return KEY_RESIZE;
	}
	return k;
}

static int ui_read_key(ui *u)
{
	wint_t wch;
	int rc, k;

	if (u->script)
		return script_key(u);
	rc = get_wch(&wch);
	if (ui_signalled) {
		u->quit = 1;
		return ERR;
	}
	k = field_key_from_wch(rc, wch);
	if (k != ERR && (k & FIELD_TEXT) && (k & ~FIELD_TEXT) < KEY_MIN)
		k &= ~FIELD_TEXT; /* plain characters match the command table's keys */
	return k;
}

/* Another operator's change shows up without a key press. */
static void ui_poll(ui *u)
{
	if (store_data_version(u->d->st) == u->version)
		return;
	if (!u->o.as_of)
		u->d->now = cd_now();
	if (ui_load(u) < 0)
		ui_msg(u, 1, "reload failed: %s", cd_errmsg());
}

/* Esc on the list: an active filter goes, as in tig and lazygit. */
static void clear_filter(ui *u)
{
	if (!u->filter[0] && u->stage_filter == UI_FILTER_ALL)
		return;
	u->filter[0] = '\0';
	u->stage_filter = UI_FILTER_ALL;
	ui_view_build(u);
	ui_msg(u, 0, "filter cleared: every user shown");
}

/* A key that does nothing says so, once, instead of silence. */
static void unknown_key(ui *u, int key)
{
	const char *name = key > ' ' && key < 127 ? NULL : keyname(key & ~FIELD_TEXT);
	char what[32];

	if (name)
		snprintf(what, sizeof what, "%s", strncmp(name, "KEY_", 4) == 0 ? name + 4 : name);
	else
		snprintf(what, sizeof what, "'%c'", key);
	ui_msg(u, 0, "%s is not a key here; ? for help", what);
}

static void ui_handle(ui *u, int key)
{
	const cmd_info *c;

	if (key == KEY_RESIZE)
		return;
	if (key == UI_KEY_INTR) { /* quits from any screen, a form or a dialog too */
		u->quit = 1;
		return;
	}
	key = screen_key(u, key);
	if (!key || key == KEY_RESIZE)
		return;
	if ((c = ui_cmd_for_key(key)) && (c->flags & CMD_ROW) && c->id != CMD_SHOW &&
	    ui_result_user(u))
		dispatch_for(u, ui_result_user(u), c);
	else if (c)
		ui_dispatch(u, c);
	else if (key == 27)
		clear_filter(u);
	else
		unknown_key(u, key);
}

/*
 * The one event loop: until quit or, for a modal dialog, until done(ctx).  A modal
 * dialog waits in the middle of a core action, so nothing reloads under it.
 */
static void ui_run_until(ui *u, int (*done)(void *ctx), void *ctx)
{
	int first = !done, key;

	while (!u->quit && !(done && done(ctx))) {
		ui_draw(u);
		if (first)
			ui_trace(u, "first-screen", (long)u->data.total);
		first = 0;
		if (u->loading) {
			if (ui_load(u) < 0)
				ui_msg(u, 1, "loading failed: %s", cd_errmsg());
			u->loading = 0;
			ui_trace(u, "every-user", (long)u->data.nrows);
			continue;
		}
		key = ui_read_key(u);
		if (key != ERR)
			ui_handle(u, key);
		else if (!done)
			ui_poll(u);
	}
}

static int answered(void *f)
{
	return ui_form_answer(f, NULL, 0) != 0;
}

/* desk_ask_fn: the CA key's passphrase, asked in a dialog over the dashboard. */
static int ui_ask(void *ctx, const char *prompt, char *buf, size_t size)
{
	ui *u = ctx;
	/* desk_token_pin asks for the token's PIN in these words. */
	ui_form *f = ui_open_passphrase(u, prompt && strstr(prompt, "PIN") != NULL);
	int rc;

	if (!f)
		return -1;
	ui_run_until(u, answered, f);
	rc = ui_form_answer(f, buf, size) > 0 ? 0 : -1;
	screen_pop(u);
	return rc;
}

/* Rows of the terminal, before curses starts: enough rows for the first screen. */
static size_t ui_screen_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return (size_t)ws.ws_row * 2;
	return 200;
}

/* The core's notes go to the status bar: a line on stderr would tear the screen. */
static void ui_note(void *ctx, const char *line)
{
	ui_msg(ctx, 0, "%s", line);
}

static int ui_start(ui *u, desk *d, const ui_opts *o, size_t quick_rows)
{
	const char *nc = getenv("NO_COLOR");
	const char *tr = getenv("CERTDESK_UI_TRACE");

	memset(u, 0, sizeof *u);
	u->d = d;
	u->o = *o;
	u->stage_filter = UI_FILTER_ALL;
	if (o->as_of)
		desk_judge_on(d, o->as_of);
	d->ask = ui_ask;
	d->ask_ctx = u;
	d->note = ui_note;
	u->color = !o->no_color && !(nc && *nc);
	if (tr && *tr)
		u->trace = fopen(tr, "a");
	return quick_rows ? ui_load_first(u, quick_rows) : ui_load(u);
}

static void ui_setup_curses(ui *u)
{
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	timeout(u->script ? 0 : UI_POLL_MS);
	ui_theme_init(u->color);
}

static void ui_finish(ui *u)
{
	struct rusage ru;

	if (u->trace) {
		getrusage(RUSAGE_SELF, &ru);
		ui_trace(u, "maxrss-kb", ru.ru_maxrss);
		fclose(u->trace);
	}
	ui_detail_free(u);
	ui_data_free(&u->data);
	u->d->ask = NULL;
	u->d->ask_ctx = NULL;
	u->d->note = NULL;
}

static void ui_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ui_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int ui_main(const char *home, const ui_opts *o)
{
	desk d;
	ui u;
	SCREEN *sc;
	int rc = 0;

	if (desk_open(&d, home, o->readonly ? DESK_READONLY : 0) < 0) {
		fprintf(stderr, "certdesk: %s\n", cd_errmsg());
		return 1;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || ui_start(&u, &d, o, ui_screen_rows()) < 0) {
		fprintf(stderr, "certdesk: %s\n", isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) ?
			cd_errmsg() : "the dashboard needs a terminal (try 'certdesk list')");
		desk_close(&d);
		return 1;
	}
	if (!(sc = newterm(NULL, stdout, stdin))) {
		fprintf(stderr, "certdesk: cannot start the terminal (is TERM set?)\n");
		rc = 1;
	} else {
		ui_setup_curses(&u);
		ui_signals();
		if (MB_CUR_MAX == 1)
			ui_msg(&u, 0, "no UTF-8 locale (not even C.UTF-8): names are drawn in ASCII");
		ui_run_until(&u, NULL, NULL);
		endwin();
		delscreen(sc);
	}
	screen_close_all(&u);
	ui_finish(&u);
	desk_close(&d);
	return rc;
}

/* ---- script mode, for the screen tests ---- */

static char *dump_screen(void)
{
	cd_buf b = {0};
	wchar_t *wl = cd_malloc(((size_t)COLS + 1) * sizeof *wl);
	char *mb = cd_malloc((size_t)COLS * MB_CUR_MAX + 1);
	int y;

	for (y = 0; y < LINES; y++) {
		size_t n;

		if (mvinnwstr(y, 0, wl, COLS) == ERR)
			wl[0] = L'\0';
		n = wcstombs(mb, wl, (size_t)COLS * MB_CUR_MAX);
		if (n == (size_t)-1)
			n = 0;
		while (n > 0 && mb[n - 1] == ' ')
			n--;
		cd_buf_add(&b, mb, n);
		cd_buf_putc(&b, '\n');
	}
	free(wl);
	free(mb);
	return cd_buf_take(&b);
}

int ui_run_script(desk *d, const ui_opts *o, const int *keys, size_t n, int cols, int rows,
		  char **screen_text)
{
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *sc = NULL;
	ui u;
	int rc = -1;

	*screen_text = NULL;
	if (!out || !in) {
		cd_err("cannot open /dev/null: %s", strerror(errno));
		goto done;
	}
	if (ui_start(&u, d, o, 0) < 0)
		goto finish;
	if (!(sc = newterm("xterm", out, in))) {
		cd_err("newterm failed (no terminfo entry for xterm?)");
		goto finish;
	}
	u.script = 1;
	u.keys = keys;
	u.nkeys = n;
	ui_setup_curses(&u);
	resizeterm(rows, cols);
	ui_run_until(&u, NULL, NULL);
	ui_draw(&u);
	*screen_text = dump_screen();
	screen_close_all(&u);
	endwin();
	delscreen(sc);
	rc = 0;
finish:
	ui_finish(&u);
done:
	if (out)
		fclose(out);
	if (in)
		fclose(in);
	return rc;
}
