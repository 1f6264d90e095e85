/* screen.h: the dashboard's screen stack (after tmux's window modes) and the status
 * message the screens leave.  Only screen.c reads or changes the stack: a screen is
 * opened with screen_push, leaves with screen_pop or screen_replace, and its close hook
 * runs exactly once whichever way it goes, the dashboard's end included. */
#ifndef CD_UI_SCREEN_H
#define CD_UI_SCREEN_H

#include <stddef.h>

typedef struct ui ui;

/* A screen: a handler returns 0 when it used the key, or the key for the screen below
 * (and finally the command table) to handle. */
typedef struct {
	const char *name;
	void (*draw)(ui *u, void *st);
	int (*key)(ui *u, void *st, int key);
	void (*close)(ui *u, void *st);
	/* The screen's own keys for the bar: "KEY label" items apart by two blanks.  Sets
	 * *more when the list's keys act from here too (they follow).  NULL: the list's. */
	const char *(*bar)(ui *u, void *st, int *more);
} ui_screen_ops;

typedef struct {
	const ui_screen_ops *ops;
	void *st;
} ui_screen;

#define SCREEN_DEPTH 8

/* The fields are screen.c's alone. */
typedef struct {
	ui_screen open[SCREEN_DEPTH];
	int depth;
	int busy;          /* key handlers running (a modal dialog nests them) */
	ui_screen *closing; /* left the stack while a handler ran: closed when it returns */
	size_t nclosing, capclosing;
} screen_stack;

/* Opens st on top.  On a full stack st is closed at once: -1 with cd_err() and the
 * message. */
int screen_push(ui *u, const ui_screen_ops *ops, void *st);
/*
 * The top screen leaves and its close hook runs.  Inside a key handler the hook waits
 * until the outermost handler returns, so a screen may leave first and then, with its
 * state still there, open what follows (a dry run its result, a menu its form).
 */
void screen_pop(ui *u);
/* The top screen gives its place to st (closed as screen_pop closes). */
void screen_replace(ui *u, const ui_screen_ops *ops, void *st);
/* Offers key to the screens, top first: 0 when one used it, else the key left over. */
int screen_key(ui *u, int key);
void screen_draw(ui *u);             /* bottom first, so the top one is in front */
void screen_close_all(ui *u);
int screen_depth(const ui *u);
/* The top screen's own keys (its bar hook), or NULL with *more set: the list's keys. */
const char *screen_bar(ui *u, int *more);
int screen_is_open(const ui *u, const ui_screen_ops *ops); /* anywhere on the stack */
void *screen_top(const ui *u, const ui_screen_ops *ops); /* its state when on top, or NULL */

/* The status line: one message, replaced by the next and cleared at the next key. */
void ui_msg(ui *u, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
