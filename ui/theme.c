/* theme.c: colours by urgency, a monochrome theme, and width-aware cells. */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui.h"

static attr_t attrs[UI_ROLE_COUNT];

/* Without colour, urgency still shows: bold+underline expired, bold inside the window. */
static void theme_mono(void)
{
	attrs[UI_NORMAL] = A_NORMAL;
	attrs[UI_HEADER] = A_BOLD;
	attrs[UI_TITLE] = A_UNDERLINE;
	attrs[UI_EXPIRED] = A_BOLD | A_UNDERLINE; /* not the selection's reverse */
	attrs[UI_WINDOW] = A_BOLD;
	attrs[UI_DONE] = A_NORMAL;
	attrs[UI_SELECTED] = A_REVERSE;
	attrs[UI_DIM] = A_DIM;
	attrs[UI_STATUS] = A_REVERSE;
	attrs[UI_ERROR] = A_BOLD | A_REVERSE;
	attrs[UI_BADGE] = A_BOLD | A_REVERSE;
	attrs[UI_DIALOG] = A_NORMAL;
}

void ui_theme_init(int color)
{
	theme_mono();
	if (!color || !has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	init_pair(1, COLOR_RED, -1);
	init_pair(2, COLOR_YELLOW, -1);
	init_pair(3, COLOR_GREEN, -1);
	init_pair(4, COLOR_WHITE, COLOR_BLUE);
	init_pair(5, COLOR_WHITE, COLOR_RED);
	init_pair(6, COLOR_CYAN, -1);
	attrs[UI_HEADER] = A_BOLD | COLOR_PAIR(6);
	attrs[UI_TITLE] = A_BOLD | A_UNDERLINE;
	attrs[UI_EXPIRED] = A_BOLD | COLOR_PAIR(1);
	attrs[UI_WINDOW] = COLOR_PAIR(2);
	attrs[UI_DONE] = COLOR_PAIR(3);
	attrs[UI_STATUS] = COLOR_PAIR(4);
	attrs[UI_ERROR] = A_BOLD | COLOR_PAIR(5);
	attrs[UI_BADGE] = A_BOLD | COLOR_PAIR(5);
}

attr_t ui_attr(enum ui_role r)
{
	return r < UI_ROLE_COUNT ? attrs[r] : A_NORMAL;
}

enum ui_role ui_stage_role(int stage)
{
	switch (stage) {
	case STAGE_EXPIRED: return UI_EXPIRED;
	case STAGE_EXPIRING: case STAGE_NOTIFIED: case STAGE_RENEWED: case STAGE_APPLIED:
		return UI_WINDOW;
	case STAGE_DONE: return UI_DONE;
	case STAGE_REVOKED: return UI_DIM;
	default: return UI_NORMAL;
	}
}

/* The letter under the accent of U+00C0..U+017F (Latin-1 and Latin Extended-A), for a
 * terminal without a UTF-8 locale: "Zoe Angstrom" reads better than "Zo? ?ngstr?m". */
static const char ascii_latin[] =
	"AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty"
	"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNn"
	"OoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

/* One ASCII character for the UTF-8 character of n bytes at s. */
static char ascii_of(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp = n == 2 ? (unsigned)(u[0] & 0x1F) << 6 | (u[1] & 0x3F) : 0;

	return cp >= 0xC0 && cp < 0xC0 + sizeof ascii_latin - 1 ? ascii_latin[cp - 0xC0] : '?';
}

int ui_put(int y, int x, const char *s, int w, int pad)
{
	mbstate_t ps;
	int used = 0, c;

	memset(&ps, 0, sizeof ps);
	move(y, x);
	while (s && *s) {
		size_t n = cd_char_cols(s, &ps, &c);

		if (used + (c < 0 ? 1 : c) > w)
			break;
		if (c < 0)
			addch((chtype)(unsigned char)ascii_of(s, n));
		else
			addnstr(s, (int)n);
		used += c < 0 ? 1 : c;
		s += n;
	}
	for (; pad && used < w; used++)
		addch(' ');
	return used;
}

void ui_fill(int y, int x, int w, attr_t a)
{
	attr_t old;
	short pair;

	attr_get(&old, &pair, NULL);
	attrset(a);
	mvhline(y, x, ' ', w);
	attrset(old);
}

void ui_box(int y, int x, int h, int w, const char *title)
{
	int i;

	for (i = 0; i < h; i++)
		ui_fill(y + i, x, w, ui_attr(UI_DIALOG));
	/* The wide forms: Unicode lines in a UTF-8 locale, readable in screen dumps. */
	mvhline_set(y, x + 1, WACS_HLINE, w - 2);
	mvhline_set(y + h - 1, x + 1, WACS_HLINE, w - 2);
	mvvline_set(y + 1, x, WACS_VLINE, h - 2);
	mvvline_set(y + 1, x + w - 1, WACS_VLINE, h - 2);
	mvadd_wch(y, x, WACS_ULCORNER);
	mvadd_wch(y, x + w - 1, WACS_URCORNER);
	mvadd_wch(y + h - 1, x, WACS_LLCORNER);
	mvadd_wch(y + h - 1, x + w - 1, WACS_LRCORNER);
	if (title && *title) {
		attron(A_BOLD);
		mvaddch(y, x + 2, ' ');
		ui_put(y, x + 3, title, w - 6, 0);
		addch(' ');
		attroff(A_BOLD);
	}
}
