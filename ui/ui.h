/* ui.h: the dashboard.  ncurses starts only here; headless commands never touch it.
 *
 * The first part is the public entry points.  The second part is shared by the
 * dashboard's own files, which call downwards only:
 *   ui.c      the loop, the key routing (a handler per command), help, the passphrase
 *   forms.c   dialogs and the actions behind them
 *   detail.c  text screens: pager, the user's detail, the audit log, results
 *   list.c    rows and the list; screen.c the screen stack and the status message;
 *   theme.c   colours and cells; field.c the fields forms are made of. */
#ifndef CD_UI_H
#define CD_UI_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "cycle.h"
#include "desk.h"
#include "field.h"
#include "publish.h"
#include "screen.h"
#include "util.h"

typedef struct {
	int readonly;   /* --read-only (desk_open may also have decided so) */
	int no_color;   /* --no-color; NO_COLOR in the environment does the same */
	int64_t as_of;  /* 0: the clock */
} ui_opts;

/* Opens the home and runs the dashboard on the terminal; returns the exit code. */
int ui_main(const char *home, const ui_opts *o);

/*
 * Runs the dashboard on an invisible cols x rows screen (newterm on /dev/null), feeds
 * it the keys, and returns the final screen as text (*screen_text, malloc'd: rows
 * lines of cols columns, trailing blanks trimmed).  Keys are curses KEY_* codes or
 * characters; UI_KEY_TICK stands for an input timeout (the live-reload poll) and
 * UI_KEY_SIZE(c, r) for a resize.  Returns 0, or -1 with cd_err().
 */
#define UI_KEY_TICK (-2)
#define UI_KEY_SIZE_TAG 0x50000000
#define UI_KEY_SIZE(c, r) (UI_KEY_SIZE_TAG | ((c) << 12) | (r))
int ui_run_script(desk *d, const ui_opts *o, const int *keys, size_t n, int cols, int rows,
		  char **screen_text);

/* ---- inside the dashboard ---- */

#define UI_MIN_COLS 40
#define UI_MIN_ROWS 10
#define UI_SIDE_COLS 120 /* from this width the detail is a side pane */
#define UI_HEAD_ROWS 4   /* three header lines and the column titles */
#define UI_SHORT_ROWS 20 /* below this height the counts and the CRL share a line */
/* The rows above the list: UI_HEAD_ROWS, one fewer on a short terminal. */
int ui_head_rows(void);
#define UI_KEY_INTR 3    /* Ctrl-C, read as a key in raw mode */

/* One user in the list: what the list shows, in one compact array. Its strings are
 * sanitised and live one after the other in ui_data.text: the user, the full name,
 * then the task when the row has one (ui_row_user, ui_row_name, ui_row_task). */
typedef struct {
	int64_t expiry;
	uint32_t text;          /* offset into ui_data.text */
	unsigned char stage;
	unsigned char flags;    /* UI_ROW_* */
	cycle_verdict verdict;  /* what the action rule needs (desk_verdict) */
} ui_row; /* 16 bytes: a million users in 16 MB, with their names in about as much */

#define UI_ROW_RENEWING 0x01 /* a renewal is open: the old certificate can go at once */
#define UI_ROW_LATE 0x02     /* overdue (desk_late): the reminder is due */
#define UI_ROW_TASK 0x04     /* a task follows the full name in the text */

typedef struct {
	ui_row *rows;
	size_t nrows, cap;
	cd_buf text;
	int sorted;     /* the order rows are in: UI_SORT_* + 1, 0 as loaded */
	uint32_t *view; /* with a filter, the rows it shows: indices into rows, in order;
			 * NULL: every row (ui_view_row) */
	size_t nview;
	size_t counts[STAGE_COUNT];
	int ready, held;           /* scheduled revocations */
	size_t total;              /* users in the home (nrows, once every one is loaded) */
	int crl_found;
	int64_t crl_next, crl_number;
	publish_alarms health;     /* the CRL's and the CA's, as expirecheck words them */
	char servers[64];          /* "servers: 3/3 current"; "" without probe.targets */
	int servers_level;         /* of the last probe (probe.h) */
	char *ca_name;
} ui_data;

enum ui_sort { UI_SORT_EXPIRY, UI_SORT_STAGE, UI_SORT_USER, UI_SORT_COUNT };
#define UI_FILTER_ALL (-2)
#define UI_FILTER_ACTION (-1)

struct ui {
	desk *d;
	ui_opts o;
	ui_data data;
	size_t sel, top;     /* selection and first visible row, indices into data.view */
	int sort, stage_filter;
	char filter[FIELD_CAP + 1];
	char msg[512];
	int msg_err;
	int64_t version;
	screen_stack screens;
	int quit;
	int color;
	int loading;         /* only the first screenful is loaded yet */
	/* The detail of the selected user, rebuilt when the selection or data change. */
	char **dlines;
	char **dfull;        /* per line: the whole link a line sums up, or NULL */
	size_t ndlines;
	int full_links;      /* pagers show whole links instead of what they open */
	char duser[128];
	size_t dscroll;
	char last_pw[1024];  /* .pw of the last certificate issued here */
	char last_user[128];
	/* Script mode (tests): keys come from here instead of the terminal. */
	const int *keys;
	size_t nkeys, ki;
	int script;
	FILE *trace;         /* CERTDESK_UI_TRACE: timings for the benchmarks */
	long nkeys_seen;
};

/* ui.c */
const cmd_info *ui_cmd_for_key(int key);
int ui_cmd_handled(const cmd_info *c); /* the dashboard has a handler for c */
int ui_cmd_applies(ui *u, const cmd_info *c);
/* Greyed out: the key would write, and this view cannot (read-only, or --as-of). */
int ui_cmd_refused(ui *u, const cmd_info *c);
const char *ui_cmd_label(const cmd_info *c);
void ui_key_name(const cmd_info *c, char *out, size_t n);

/* list.c */
int ui_load(ui *u);                 /* (re)reads every user, keeps the selection */
/* After an action on user: reloads and keeps the selection's place (the next user in
 * the queue, as htop does); *moved says where user went when it moved ("" if not). */
int ui_load_after(ui *u, const char *user, char *moved, size_t n);
int ui_load_first(ui *u, size_t rows); /* the first rows by expiry, for a quick start */
void ui_view_build(ui *u);          /* sort and filter */
const ui_row *ui_selected(ui *u);
/* Row i of the view (0 = the top of the list), NULL past its end. */
const ui_row *ui_view_row(const ui *u, size_t i);
const char *ui_row_user(const ui *u, const ui_row *r);
const char *ui_row_name(const ui *u, const ui_row *r);
const char *ui_row_task(const ui *u, const ui_row *r); /* "" when none */
void ui_select_user(ui *u, const char *user);
void ui_move(ui *u, long delta);
void ui_draw_header(ui *u);
void ui_draw_list(ui *u, int y, int x, int h, int w);
void ui_data_free(ui_data *dt);
const char *ui_sort_name(int sort);
const char *ui_filter_name(int f);

/* detail.c */
typedef struct ui_text ui_text;
struct ui_text {
	char title[160];
	char **lines;
	char **full;                   /* per line: the whole link it sums up, or NULL */
	unsigned char *grey;           /* per line: drawn greyed (a key not available here) */
	size_t n, cap;
	size_t scroll;
	char footer[160];
	/* Set: 'y' confirms, any other key cancels; the question has left the stack when
	 * yes runs, so yes may open the answer's screen. */
	int (*yes)(ui *u, ui_text *t);
	int detail;                    /* follows the selected user */
	int own;                       /* keeps every key: the list's do not act from here */
	char user[128];                /* a result's user: the row keys act on them here */
	char find[FIELD_CAP + 1];      /* what / searched for (n: the next match) */
	size_t found;                  /* the line of the last match, +1; 0: none yet */
};
ui_text *ui_text_new(const char *title);
void ui_text_add(ui_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ui_text_add_raw(ui_text *t, const char *s); /* sanitised here */
/* A link as one readable line, label then what it opens (u in a pager: the whole URL). */
void ui_text_add_link(ui_text *t, const char *label, const char *link);
#define UI_KEY_FULL_LINKS 'u'
void ui_text_push(ui *u, ui_text *t);
void ui_text_replace(ui *u, ui_text *t); /* in place of the top screen */
/* Wraps long lines; with clip_links, links take one row (the full view wraps them).
 * Returns the rows all the lines take (h 0 counts without drawing). */
size_t ui_text_draw_lines(char **lines, size_t n, size_t scroll, int y, int x, int h, int w,
			  int clip_links);
/* The same, each line greyed where grey[i] is set (grey NULL: as drawn so far). */
size_t ui_text_draw_greyed(char **lines, const unsigned char *grey, size_t n, size_t scroll,
			   int y, int x, int h, int w, int clip_links);
int ui_detail_refresh(ui *u);       /* u->dlines for the selected user */
void ui_detail_free(ui *u);
int ui_open_detail(ui *u);           /* at most one detail is open */
int ui_open_log(ui *u);
int ui_open_log_all(ui *u);
int ui_open_verify(ui *u);
int ui_open_servers(ui *u);  /* the last probe's report in a pager */   /* verify's report in a pager */       /* every user's, from the end */
const char *ui_result_user(ui *u); /* the user of the result on top, or NULL */
/* A one-line prompt and its field on the status line, the cursor in it. */
void ui_draw_prompt(const char *prompt, field *f);

/* forms.c: every dialog and the actions behind them */
int ui_open_create(ui *u);
int ui_open_renew(ui *u);
int ui_open_revoke(ui *u);
int ui_open_notify(ui *u);
int ui_open_task(ui *u);
int ui_open_publish(ui *u);
int ui_do_applied(ui *u);
int ui_do_copy(ui *u, int mail);
int ui_do_password(ui *u);
int ui_open_search(ui *u);
/* The passphrase dialog, modal: the loop runs until ui_form_answer is not 0 (1: the
 * text, copied to buf when it fits; -1: cancelled, or too long for buf). */
typedef struct ui_form ui_form;
ui_form *ui_open_passphrase(ui *u, int pin); /* pin: the CA key is on a token */
int ui_form_answer(ui_form *f, char *buf, size_t size);

/* theme.c */
enum ui_role {
	UI_NORMAL, UI_HEADER, UI_TITLE, UI_EXPIRED, UI_WINDOW, UI_DONE, UI_SELECTED,
	UI_DIM, UI_STATUS, UI_ERROR, UI_BADGE, UI_DIALOG, UI_ROLE_COUNT
};
void ui_theme_init(int color);
attr_t ui_attr(enum ui_role r);
enum ui_role ui_stage_role(int stage);
/* Writes s (UTF-8, sanitised) at y,x in at most w columns, padding with blanks when
 * pad; returns the columns written. */
int ui_put(int y, int x, const char *s, int w, int pad);
void ui_fill(int y, int x, int w, attr_t a);
void ui_box(int y, int x, int h, int w, const char *title);

#endif
