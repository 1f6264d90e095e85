/* screen.c: see screen.h. */
#include "screen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ui.h"

void ui_msg(ui *u, int err, const char *fmt, ...)
{
	va_list ap;
	char raw[sizeof u->msg], *clean;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	clean = cd_sanitize(raw);
	snprintf(u->msg, sizeof u->msg, "%s", clean);
	free(clean);
	u->msg_err = err;
}

/* The close hooks of the screens that left while handlers ran, in the order they left. */
static void run_closes(ui *u)
{
	screen_stack *k = &u->screens;
	size_t i;

	for (i = 0; i < k->nclosing; i++)
		k->closing[i].ops->close(u, k->closing[i].st);
	k->nclosing = 0;
}

static void close_screen(ui *u, ui_screen s)
{
	screen_stack *k = &u->screens;

	if (!k->busy) {
		s.ops->close(u, s.st);
		return;
	}
	if (k->nclosing == k->capclosing) {
		k->capclosing = k->capclosing ? k->capclosing * 2 : SCREEN_DEPTH;
		k->closing = cd_realloc(k->closing, k->capclosing * sizeof *k->closing);
	}
	k->closing[k->nclosing++] = s;
}

int screen_push(ui *u, const ui_screen_ops *ops, void *st)
{
	screen_stack *k = &u->screens;
	ui_screen s = {ops, st};

	if (k->depth == SCREEN_DEPTH) {
		close_screen(u, s);
		ui_msg(u, 1, "too many screens open");
		return cd_err("too many screens open");
	}
	k->open[k->depth++] = s;
	return 0;
}

void screen_pop(ui *u)
{
	screen_stack *k = &u->screens;

	if (k->depth > 0)
		close_screen(u, k->open[--k->depth]);
}

void screen_replace(ui *u, const ui_screen_ops *ops, void *st)
{
	screen_pop(u);
	screen_push(u, ops, st);
}

int screen_key(ui *u, int key)
{
	screen_stack *k = &u->screens;
	int i;

	u->msg[0] = '\0';
	k->busy++;
	for (i = k->depth - 1; i >= 0 && key; i--) {
		key = k->open[i].ops->key(u, k->open[i].st, key);
		if (i > k->depth) /* the handler closed screens below it too */
			i = k->depth;
	}
	if (--k->busy == 0)
		run_closes(u);
	return key;
}

void screen_draw(ui *u)
{
	int i;

	for (i = 0; i < u->screens.depth; i++)
		u->screens.open[i].ops->draw(u, u->screens.open[i].st);
}

void screen_close_all(ui *u)
{
	screen_stack *k = &u->screens;

	while (k->depth)
		screen_pop(u);
	if (!k->busy) {
		run_closes(u);
		free(k->closing);
		k->closing = NULL;
		k->capclosing = 0;
	}
}

int screen_depth(const ui *u)
{
	return u->screens.depth;
}

const char *screen_bar(ui *u, int *more)
{
	screen_stack *k = &u->screens;
	ui_screen *top = k->depth ? &k->open[k->depth - 1] : NULL;

	*more = 1;
	return top && top->ops->bar ? top->ops->bar(u, top->st, more) : NULL;
}

void *screen_top(const ui *u, const ui_screen_ops *ops)
{
	const screen_stack *k = &u->screens;

	return k->depth && k->open[k->depth - 1].ops == ops ? k->open[k->depth - 1].st : NULL;
}

int screen_is_open(const ui *u, const ui_screen_ops *ops)
{
	int i;

	for (i = 0; i < u->screens.depth; i++)
		if (u->screens.open[i].ops == ops)
			return 1;
	return 0;
}
