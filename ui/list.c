/* list.c: every user in one compact array, sorted and filtered into a view; the header
 * and the list drawn from it.  Drawing costs the visible rows only. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "publish.h"
#include "ui.h"

const char *ui_row_user(const ui *u, const ui_row *r)
{
	return u->data.text.s + r->text;
}

const char *ui_row_name(const ui *u, const ui_row *r)
{
	const char *user = ui_row_user(u, r);

	return user + strlen(user) + 1;
}

const char *ui_row_task(const ui *u, const ui_row *r)
{
	const char *name = ui_row_name(u, r);

	return r->flags & UI_ROW_TASK ? name + strlen(name) + 1 : "";
}

static void add_str(ui_data *dt, const char *s)
{
	cd_sanitize_into(&dt->text, s ? s : "");
	cd_buf_putc(&dt->text, '\0');
}

struct load_ctx {
	ui *u;
	ui_data *dt;
	size_t limit; /* 0: every user */
};

/* What the list keeps of a row: its strings appended to dt->text. */
static int fill_row(ui *u, ui_data *dt, ui_row *row, const store_row *r)
{
	const store_cert *cc = desk_cycle_cert(u->d, r);
	cycle_late late;

	if (dt->text.len > UINT32_MAX - 3 * 4096)
		return cd_err("too many users for the dashboard's list (4 GB of names)");
	row->text = (uint32_t)dt->text.len;
	add_str(dt, r->u.name);
	add_str(dt, r->u.full_name);
	row->flags = 0;
	if (cc->task && *cc->task) {
		add_str(dt, cc->task);
		row->flags |= UI_ROW_TASK;
	}
	row->expiry = r->cur.not_after;
	row->stage = (unsigned char)desk_stage(u->d, r);
	row->verdict = desk_verdict(u->d, r);
	if (desk_renewal_open(u->d, r))
		row->flags |= UI_ROW_RENEWING;
	if (desk_late(u->d, r, &late))
		row->flags |= UI_ROW_LATE;
	dt->counts[row->stage]++;
	return 0;
}

/* A row more at the end of the array. */
static ui_row *new_row(ui_data *dt)
{
	if (dt->nrows == dt->cap) {
		dt->cap = dt->cap ? dt->cap * 2 : 256;
		dt->rows = cd_realloc(dt->rows, dt->cap * sizeof *dt->rows);
	}
	return &dt->rows[dt->nrows++];
}

static int load_row(void *ctx, const store_row *r)
{
	struct load_ctx *l = ctx;
	ui_data *dt = l->dt;

	if (fill_row(l->u, dt, new_row(dt), r) < 0) {
		dt->nrows--;
		return -1;
	}
	return l->limit && dt->nrows >= l->limit;
}

void ui_data_free(ui_data *dt)
{
	free(dt->rows);
	free(dt->view);
	free(dt->ca_name);
	cd_buf_free(&dt->text);
	memset(dt, 0, sizeof *dt);
}

/* The first rows by expiry only: the index gives them at once, while reading every
 * user takes a while when there are 100,000 of them. */
static int load_first(ui *u, ui_data *dt, size_t limit)
{
	struct load_ctx l = {u, dt, limit};
	int64_t n = 0;

	if (store_rows_expiring(u->d->st, INT64_MAX, load_row, &l) < 0 && dt->nrows < limit)
		return -1;
	if (store_count(u->d->st, "users", &n) < 0)
		return -1;
	dt->total = (size_t)n;
	return 0;
}

static int load_header(ui *u, ui_data *dt);

static int load_into(ui *u, ui_data *dt, size_t limit)
{
	struct load_ctx l = {u, dt, 0};

	dt->ca_name = cd_sanitize(ca_name(u->d->ca));
	/* The view sorts for itself: the rows come in the order they are stored. */
	if (limit ? load_first(u, dt, limit) < 0 :
	    store_brief_rows(u->d->st, STORE_STORED, load_row, &l) < 0)
		return -1;
	if (!limit)
		dt->total = dt->nrows;
	return load_header(u, dt);
}

/* The header's facts: the CRL, the revocations waiting, the servers, the alarms. */
static int load_header(ui *u, ui_data *dt)
{
	publish_state ps;

	if (publish_state_get(u->d, &ps) < 0)
		return -1;
	dt->crl_found = ps.published;
	dt->crl_number = ps.number;
	dt->crl_next = ps.next_update;
	dt->ready = (int)ps.ready;
	dt->held = (int)ps.held;
	if (probe_header(u->d, dt->servers, sizeof dt->servers, &dt->servers_level) < 0)
		return -1;
	return publish_health(u->d, &dt->health);
}

int ui_load_first(ui *u, size_t rows)
{
	ui_data fresh = {0};

	u->version = store_data_version(u->d->st);
	if (load_into(u, &fresh, rows) < 0) {
		ui_data_free(&fresh);
		return -1;
	}
	u->data = fresh;
	u->loading = 1;
	ui_view_build(u);
	return 0;
}

int ui_load(ui *u)
{
	ui_data fresh = {0};
	const ui_row *r = ui_selected(u);
	char keep[128] = "";

	if (r)
		snprintf(keep, sizeof keep, "%s", ui_row_user(u, r));
	u->version = store_data_version(u->d->st);
	desk_reload(u->d);
	/* As many rows as the home had a moment ago, with room for a few more: a million
	 * users are not reached by doubling (which leaves up to half the array unused). */
	fresh.cap = u->data.total + 64;
	fresh.rows = cd_malloc(fresh.cap * sizeof *fresh.rows);
	if (load_into(u, &fresh, 0) < 0) {
		ui_data_free(&fresh);
		return -1;
	}
	u->loading = 0;
	ui_data_free(&u->data);
	u->data = fresh;
	ui_view_build(u);
	ui_select_user(u, keep);
	u->duser[0] = '\0'; /* the detail is stale */
	return 0;
}

static int row_cmp(const void *a, const void *b, void *ctx);

struct refresh_ctx {
	ui *u;
	size_t at; /* the user's row, or nrows when the user is new */
};

static int refresh_row(void *ctx, const store_row *r)
{
	struct refresh_ctx *f = ctx;
	ui_data *dt = &f->u->data;
	ui_row *row;

	if (f->at < dt->nrows)
		dt->counts[dt->rows[f->at].stage]--;
	row = f->at < dt->nrows ? &dt->rows[f->at] : new_row(dt);
	return fill_row(f->u, dt, row, r);
}

/* Moves row at, changed, to where the order puts it among the others (sorted); its
 * index there. */
static size_t put_in_place(ui *u, size_t at)
{
	ui_data *dt = &u->data;
	ui_row tmp = dt->rows[at];
	size_t lo = 0, hi = dt->nrows - 1;

	memmove(&dt->rows[at], &dt->rows[at + 1], (dt->nrows - 1 - at) * sizeof tmp);
	while (lo < hi) { /* the first of the others that goes after it */
		size_t mid = lo + (hi - lo) / 2;

		if (row_cmp(&dt->rows[mid], &tmp, u) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&dt->rows[lo + 1], &dt->rows[lo], (dt->nrows - 1 - lo) * sizeof tmp);
	dt->rows[lo] = tmp;
	return lo;
}

static int filtered(const ui *u)
{
	return *u->filter || u->stage_filter != UI_FILTER_ALL;
}

/*
 * After an action on one user, only that user is read again and put in its place, with
 * the header: reading every user again took over half a second at a million. The whole
 * list is read when it is not loaded yet or another process wrote since (its changes
 * may be anyone's). The row's old strings stay in the text until the next whole load.
 */
static int refresh_user(ui *u, const char *user, size_t *where)
{
	ui_data *dt = &u->data;
	const ui_row *sel = ui_selected(u);
	struct refresh_ctx f = {u, 0};
	int found = 0, in_order;

	*where = (size_t)-1;
	if (u->loading || dt->total != dt->nrows || store_data_version(u->d->st) != u->version)
		return ui_load(u);
	if (sel && strcmp(ui_row_user(u, sel), user) == 0)
		f.at = (size_t)(sel - dt->rows); /* the usual case: the selected user */
	else
		for (f.at = 0; f.at < dt->nrows && strcmp(ui_row_user(u, &dt->rows[f.at]), user);)
			f.at++;
	desk_reload(u->d);
	if (store_row_get(u->d->st, user, refresh_row, &f, &found) < 0 || !found ||
	    load_header(u, dt) < 0)
		return ui_load(u);
	dt->total = dt->nrows;
	in_order = dt->sorted == u->sort + 1;
	if (in_order)
		f.at = put_in_place(u, f.at);
	u->duser[0] = '\0'; /* the detail is stale */
	if (!in_order || filtered(u) || dt->view) {
		ui_view_build(u);
		return 0;
	}
	dt->nview = dt->nrows; /* every row shown, in order: the user is at f.at */
	*where = f.at;
	return 0;
}

int ui_load_after(ui *u, const char *user, char *moved, size_t n)
{
	size_t at = u->sel, top = u->top;

	size_t where;

	moved[0] = '\0';
	if (refresh_user(u, user, &where) < 0)
		return -1;
	if (where != (size_t)-1)
		u->sel = where;
	else
		ui_select_user(u, user);
	if (u->sel != at && u->data.nview)
		snprintf(moved, n, "; %s moved to %zu/%zu (sort: %s)", user, u->sel + 1,
			 u->data.nview, ui_sort_name(u->sort));
	u->sel = at < u->data.nview ? at : u->data.nview ? u->data.nview - 1 : 0;
	u->top = top; /* the draw scrolls only if the place is out of sight now */
	return 0;
}

static int row_cmp(const void *a, const void *b, void *ctx)
{
	const ui *u = ctx;
	const ui_row *x = a, *y = b;
	int by_stage = x->stage - y->stage;
	int by_expiry = (x->expiry > y->expiry) - (x->expiry < y->expiry);

	/* The names only for ties: most comparisons are decided by the numbers. */
	if (u->sort == UI_SORT_STAGE && by_stage)
		return by_stage;
	if (u->sort != UI_SORT_USER && (by_expiry || by_stage))
		return by_expiry ? by_expiry : by_stage;
	return strcmp(ui_row_user(u, x), ui_row_user(u, y));
}

/* The expiry range, for the buckets of sort_rows. */
struct expiry_span {
	const ui *u;
	int64_t min;
	uint64_t width; /* seconds a bucket spans */
};

#define SORT_BUCKETS 512 /* per stage, when the stage comes first */

static size_t row_bucket(const void *x, void *ctx)
{
	const struct expiry_span *e = ctx;
	const ui_row *r = x;
	size_t b = (size_t)(((uint64_t)r->expiry - (uint64_t)e->min) / e->width);

	return e->u->sort == UI_SORT_STAGE ? r->stage * SORT_BUCKETS + b : b;
}

static int span_cmp(const void *a, const void *b, void *ctx)
{
	return row_cmp(a, b, (void *)((const struct expiry_span *)ctx)->u);
}

/* By expiry (or stage, then expiry), the rows are first dealt into buckets of expiry in
 * one pass, then each bucket is sorted in the cache: a million rows in random order took
 * 0.4 s in one quicksort. By user, a plain sort. */
static void sort_rows(ui *u)
{
	ui_data *dt = &u->data;
	struct expiry_span e = {u, INT64_MAX, 1};
	int64_t max = INT64_MIN;
	size_t i;

	if (u->sort == UI_SORT_USER || dt->nrows < 2) {
		cd_sort(dt->rows, dt->nrows, sizeof *dt->rows, row_cmp, u);
		return;
	}
	for (i = 0; i < dt->nrows; i++) {
		e.min = dt->rows[i].expiry < e.min ? dt->rows[i].expiry : e.min;
		max = dt->rows[i].expiry > max ? dt->rows[i].expiry : max;
	}
	e.width = ((uint64_t)max - (uint64_t)e.min) / SORT_BUCKETS + 1;
	cd_sort_bucketed(dt->rows, dt->nrows, sizeof *dt->rows, row_bucket,
			 (size_t)STAGE_COUNT * SORT_BUCKETS, span_cmp, &e);
}

static int row_matches(const ui *u, const ui_row *r)
{
	const char *f = u->filter;

	if (u->stage_filter == UI_FILTER_ACTION && !cycle_needs_action(r->stage))
		return 0;
	if (u->stage_filter >= 0 && r->stage != u->stage_filter)
		return 0;
	return !*f || strcasestr(ui_row_user(u, r), f) || strcasestr(ui_row_name(u, r), f) ||
	       strcasestr(ui_row_task(u, r), f);
}

/* The rows are sorted in place, once per order and load; a filter makes the view, the
 * indices of the rows it keeps, in that order. Without one every row is shown and no
 * index is kept (4 bytes a user). */
void ui_view_build(ui *u)
{
	ui_data *dt = &u->data;
	const ui_row *cur = ui_selected(u);
	char keep[128] = "";
	size_t i;

	if (cur)
		snprintf(keep, sizeof keep, "%s", ui_row_user(u, cur));
	if (dt->sorted != u->sort + 1) {
		sort_rows(u);
		dt->sorted = u->sort + 1;
	}
	free(dt->view);
	dt->view = NULL;
	dt->nview = dt->nrows;
	if (filtered(u)) {
		dt->view = cd_malloc((dt->nrows ? dt->nrows : 1) * sizeof *dt->view);
		dt->nview = 0;
		for (i = 0; i < dt->nrows; i++)
			if (row_matches(u, &dt->rows[i]))
				dt->view[dt->nview++] = (uint32_t)i;
		dt->view = cd_realloc(dt->view, (dt->nview ? dt->nview : 1) * sizeof *dt->view);
	}
	ui_select_user(u, keep);
}

const ui_row *ui_view_row(const ui *u, size_t i)
{
	if (i >= u->data.nview)
		return NULL;
	return &u->data.rows[u->data.view ? u->data.view[i] : i];
}

const ui_row *ui_selected(ui *u)
{
	return ui_view_row(u, u->sel);
}

void ui_select_user(ui *u, const char *user)
{
	size_t i;

	u->sel = 0;
	u->top = 0;
	for (i = 0; user && *user && i < u->data.nview; i++) {
		if (strcmp(ui_row_user(u, ui_view_row(u, i)), user) == 0) {
			u->sel = i;
			break;
		}
	}
}

void ui_move(ui *u, long delta)
{
	long n = (long)u->data.nview, s = (long)u->sel + delta;

	if (n == 0)
		return;
	u->sel = (size_t)(s < 0 ? 0 : s >= n ? n - 1 : s);
}

const char *ui_sort_name(int sort)
{
	static const char *const names[] = {"expiry", "stage", "user"};

	return sort >= 0 && sort < UI_SORT_COUNT ? names[sort] : "?";
}

const char *ui_filter_name(int f)
{
	return f == UI_FILTER_ALL ? "all" : f == UI_FILTER_ACTION ? "needs action" :
	       cycle_stage_name((cycle_stage)f);
}

int ui_head_rows(void)
{
	return LINES < UI_SHORT_ROWS ? UI_HEAD_ROWS - 1 : UI_HEAD_ROWS;
}

static int more_counts(const ui *u, int from)
{
	for (; from < STAGE_COUNT; from++)
		if (u->data.counts[from])
			return 1;
	return 0;
}

/* The stages' counts that fit w whole, in the stages' order (what needs action first);
 * those left out end in an ellipsis. Empty stages are left out: eight do not fit 80. */
static void counts_line(const ui *u, char *line, size_t size, int w)
{
	char item[64];
	size_t off = 0;
	int s, iw;

	line[0] = '\0';
	for (s = 0; s < STAGE_COUNT; s++) {
		if (!u->data.counts[s])
			continue;
		iw = snprintf(item, sizeof item, "%s%s %zu", off ? "  " : "",
			      cycle_stage_name((cycle_stage)s), u->data.counts[s]);
		/* Room for "  …" after it unless it is the last. */
		if (cd_text_width(line) + iw + (more_counts(u, s + 1) ? 3 : 0) > w) {
			snprintf(line + off, size - off, "%s\u2026", off ? "  " : "");
			return;
		}
		off += (size_t)snprintf(line + off, size - off, "%s", item);
	}
	if (!off)
		snprintf(line, size, "no users");
}

/* The CRL, or the alarm that expirecheck would mail (*alarm: its role, else 0); short
 * says it in as few words ("CRL #4 30d  ready 0  held 1"). */
static void crl_line(const ui *u, char *line, size_t size, int short_form, int *alarm)
{
	const ui_data *dt = &u->data;
	char next[16];
	int64_t days = cd_days_until(dt->crl_next, u->d->now);
	size_t off = 0;
	int i;

	*alarm = 0;
	if (dt->health.n) {
		for (i = 0; i < dt->health.n && off < size; i++)
			off += (size_t)snprintf(line + off, size - off, "%s%s", i ? "; " : "",
						dt->health.items[i].msg);
		*alarm = dt->health.worst > 1 ? UI_EXPIRED : UI_WINDOW;
		return;
	}
	cd_format_date(dt->crl_next, next);
	if (!dt->crl_found)
		snprintf(line, size, "CRL: %s  ready %d  held %d",
			 short_form ? "none" : "never published", dt->ready, dt->held);
	else if (short_form)
		snprintf(line, size, "CRL #%lld %s%lldd  ready %d  held %d",
			 (long long)dt->crl_number, days < 0 ? "EXPIRED " : "", (long long)days,
			 dt->ready, dt->held);
	else
		snprintf(line, size, "CRL #%lld: next update %s (%s%lld days)  ready %d  held %d",
			 (long long)dt->crl_number, next, days < 0 ? "EXPIRED " : "",
			 (long long)days, dt->ready, dt->held);
	/* Whether the servers enforce it (certdesk probe), when targets are configured. */
	if (dt->servers[0]) {
		off = strlen(line);
		snprintf(line + off, size - off, "  %s", dt->servers);
		*alarm = dt->servers_level == 2 ? UI_EXPIRED : dt->servers_level ? UI_WINDOW : 0;
	}
}

static void put_crl(const char *line, int alarm, int y, int x, int w)
{
	if (alarm)
		attrset(ui_attr((enum ui_role)alarm) | A_BOLD);
	ui_put(y, x, line, w, 1);
	attrset(A_NORMAL);
}

/* A tall terminal: the counts, then the CRL. A short one: an alarm alone, else the
 * counts with the CRL's short form at the right, the counts giving way first. */
static void header_state(ui *u, int y, int w)
{
	char counts[512], crl[512];
	int alarm, cw;

	if (u->loading) {
		snprintf(counts, sizeof counts, "counting %zu users...", u->data.total);
		ui_put(y, 0, counts, w, 1);
	}
	crl_line(u, crl, sizeof crl, LINES < UI_SHORT_ROWS, &alarm);
	if (LINES >= UI_SHORT_ROWS) {
		if (!u->loading) {
			counts_line(u, counts, sizeof counts, w);
			ui_put(y, 0, counts, w, 1);
		}
		put_crl(crl, alarm, y + 1, 0, w);
		return;
	}
	if (alarm) {
		put_crl(crl, alarm, y, 0, w);
		return;
	}
	cw = cd_text_width(crl);
	if (!u->loading) {
		counts_line(u, counts, sizeof counts, w - cw - 2);
		ui_put(y, 0, counts, w, 1);
	}
	put_crl(crl, 0, y, w - cw > 0 ? w - cw : 0, w);
}

void ui_draw_header(ui *u)
{
	int w = COLS;
	char line[256], today[16];
	const char *badge = u->d->readonly ? " READ-ONLY " : u->d->as_of ? " PLAN " : "";

	cd_format_date(u->d->now, today);
	snprintf(line, sizeof line, "certdesk  %s", u->data.ca_name ? u->data.ca_name : "");
	attrset(ui_attr(UI_HEADER));
	ui_put(0, 0, line, w, 1);
	snprintf(line, sizeof line, "%zu users  as of %s", u->data.total, today);
	ui_put(0, w - cd_text_width(line) - (int)strlen(badge) - 1 > 0 ?
	       w - cd_text_width(line) - (int)strlen(badge) - 1 : 0, line, w, 0);
	attrset(ui_attr(UI_BADGE));
	if (*badge)
		mvaddstr(0, w - (int)strlen(badge), badge);
	attrset(A_NORMAL);
	header_state(u, 1, w);
}

/* Column widths for a list w columns wide: the name takes what the others leave. */
typedef struct {
	int user, name, task;
} list_cols;

static list_cols layout(int w)
{
	list_cols c = {12, 0, 8};

	if (w < 64)
		c.task = 0;
	if (w >= 100)
		c.user = 16;
	c.name = w - c.user - 1 - 11 - 6 - 9 - (c.task ? c.task + 1 : 0) - 1;
	if (c.name < 4)
		c.name = 4;
	return c;
}

/* A cell of w columns; a value cut to fit ends in an ellipsis, so it reads as cut. */
static int put_cell(int y, int x, const char *s, int w)
{
	if (cd_text_width(s) <= w || w < 2)
		return ui_put(y, x, s, w, 1);
	ui_put(y, x, s, w - 1, 1);
	mvaddstr(y, x + w - 1, "\u2026");
	return w;
}

static void draw_row(ui *u, const ui_row *r, int y, int x, int w, int selected)
{
	list_cols c = layout(w);
	char date[16], days[24];
	int cx = x;

	cd_format_date(r->expiry, date);
	snprintf(days, sizeof days, "%5lld", (long long)cd_days_until(r->expiry, u->d->now));
	attrset(selected ? ui_attr(UI_SELECTED) : A_NORMAL);
	ui_fill(y, x, w, selected ? ui_attr(UI_SELECTED) : A_NORMAL);
	cx += put_cell(y, cx, ui_row_user(u, r), c.user) + 1;
	cx += put_cell(y, cx, ui_row_name(u, r), c.name) + 1;
	cx += ui_put(y, cx, date, 10, 1) + 1;
	if (!selected)
		attrset(ui_attr(ui_stage_role(r->stage)));
	/* Overdue: a '!' in the days' first column, blank below 10,000 days, where
	 * "notified" leaves none in the stage's. */
	if (r->flags & UI_ROW_LATE)
		days[0] = '!';
	cx += ui_put(y, cx, days, 5, 1) + 1;
	cx += ui_put(y, cx, cycle_stage_name((cycle_stage)r->stage), 8, 1) + 1;
	attrset(selected ? ui_attr(UI_SELECTED) : A_NORMAL);
	if (c.task)
		ui_put(y, cx, ui_row_task(u, r), x + w - cx, 1);
	attrset(A_NORMAL);
}

static void draw_titles(int y, int x, int w)
{
	list_cols c = layout(w);
	char line[256];

	snprintf(line, sizeof line, "%-*s %-*s %-10s %5s %-8s %s", c.user, "USER", c.name, "NAME",
		 "EXPIRES", "DAYS", "STAGE", c.task ? "TASK" : "");
	attrset(ui_attr(UI_TITLE));
	ui_put(y, x, line, w, 1);
	attrset(A_NORMAL);
}

void ui_draw_list(ui *u, int y, int x, int h, int w)
{
	size_t i;

	draw_titles(y, x, w);
	y++;
	h--;
	if (h <= 0)
		return;
	/* Keep the selection in sight; scroll by pages like less does. */
	if (u->sel < u->top)
		u->top = u->sel;
	if (u->sel >= u->top + (size_t)h)
		u->top = u->sel - (size_t)h + 1;
	for (i = 0; i < (size_t)h; i++) {
		size_t k = u->top + i;

		if (k < u->data.nview)
			draw_row(u, ui_view_row(u, k), y + (int)i, x, w, k == u->sel);
		else
			ui_fill(y + (int)i, x, w, A_NORMAL);
	}
	if (u->data.nview == 0)
		ui_put(y, x, u->data.nrows ? "  no user matches the filter" : "  no users yet: press c to create one", w, 1);
}
