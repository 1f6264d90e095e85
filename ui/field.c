/* field.c: see field.h.  curses.h is included for its KEY_* numbers only. */
#include "field.h"

#include <curses.h>
#include <string.h>
#include <wchar.h>

#include "util.h"

enum action {
	ACT_NONE, ACT_INSERT, ACT_LEFT, ACT_RIGHT, ACT_HOME, ACT_END,
	ACT_BACKSPACE, ACT_DELETE, ACT_KILL_START, ACT_KILL_END, ACT_KILL_WORD,
};

#define FIELD_CTRL(c) ((c) & 0x1f)

int field_key_from_wch(int get_wch_rc, wint_t wch)
{
	if (get_wch_rc == ERR)
		return ERR;
	return get_wch_rc == KEY_CODE_YES ? (int)wch : FIELD_CHAR(wch);
}

/* A tagged character below KEY_MIN cannot be mistaken for a function key: untag it,
 * so Tab or Esc from get_wch() work whichever way the caller passed them. */
static int key_plain(int key)
{
	if ((key & FIELD_TEXT) && (key & ~FIELD_TEXT) < KEY_MIN)
		return key & ~FIELD_TEXT;
	return key;
}

/* ---- UTF-8 walking (buf is valid UTF-8 by invariant) ---- */

static size_t utf8_len(unsigned char lead)
{
	return lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
}

static unsigned utf8_decode(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = utf8_len(u[0]), i;
	unsigned cp = n == 1 ? u[0] : u[0] & (0x7F >> n);

	for (i = 1; i < n; i++)
		cp = (cp << 6) | (u[i] & 0x3F);
	return cp;
}

static size_t utf8_encode(unsigned cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static int cp_width(unsigned cp)
{
	return wcwidth((wchar_t)cp);
}

static size_t next_char(const field *f, size_t pos)
{
	return pos + utf8_len((unsigned char)f->buf[pos]);
}

static size_t prev_char(const field *f, size_t pos)
{
	do
		pos--;
	while (pos > 0 && ((unsigned char)f->buf[pos] & 0xC0) == 0x80);
	return pos;
}

/*
 * The cursor steps over a base character together with the zero-width marks that
 * follow it (a decomposed "é"), so it never stands between a letter and its accent.
 */
static size_t next_cluster(const field *f, size_t pos)
{
	pos = next_char(f, pos);
	while (pos < f->len && cp_width(utf8_decode(f->buf + pos)) == 0)
		pos = next_char(f, pos);
	return pos;
}

static size_t prev_cluster(const field *f, size_t pos)
{
	pos = prev_char(f, pos);
	while (pos > 0 && cp_width(utf8_decode(f->buf + pos)) == 0)
		pos = prev_char(f, pos);
	return pos;
}

/* Characters wcwidth() does not know are drawn as '?', one column. */
static int cluster_width(const field *f, size_t pos)
{
	size_t end = next_cluster(f, pos);
	int w = 0, cw;

	if (f->flags & FIELD_SECRET)
		return 1;
	for (; pos < end; pos = next_char(f, pos)) {
		cw = cp_width(utf8_decode(f->buf + pos));
		w += cw < 0 ? 1 : cw;
	}
	return w;
}

static int span_width(const field *f, size_t from, size_t to)
{
	int w = 0;

	for (; from < to; from = next_cluster(f, from))
		w += cluster_width(f, from);
	return w;
}

int field_text_width(const field *f)
{
	return span_width(f, 0, f->len);
}

/* ---- editing ---- */

static size_t field_max(const field *f)
{
	return f->max && f->max < FIELD_CAP ? f->max : FIELD_CAP;
}

const char *field_value(const field *f)
{
	return f->buf;
}

int field_set(field *f, const char *value)
{
	const char *what = f->label ? f->label : f->name ? f->name : "field";
	size_t n = strlen(value);

	if (n > field_max(f))
		return cd_err("%s is too long (%zu bytes, at most %zu)", what, n, field_max(f));
	if (cd_check_field(what, value) < 0)
		return -1;
	memcpy(f->buf, value, n + 1);
	f->len = f->cursor = n;
	f->scroll = 0;
	return 0;
}

static int insertable(unsigned cp)
{
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return 0;
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return cp_width(cp) >= 0;
}

static void field_insert(field *f, unsigned cp)
{
	char enc[4];
	size_t n;

	if ((f->flags & FIELD_READONLY) || !insertable(cp))
		return;
	n = utf8_encode(cp, enc);
	if (f->len + n > field_max(f))
		return;
	memmove(f->buf + f->cursor + n, f->buf + f->cursor, f->len - f->cursor + 1);
	memcpy(f->buf + f->cursor, enc, n);
	f->len += n;
	/* Text inserted left of the first shown byte moves it: scroll stays on its character. */
	if (f->scroll > f->cursor)
		f->scroll += n;
	f->cursor += n;
}

/* Removes [from, to), which always touches the cursor; leaves the cursor at from. */
static void field_delete(field *f, size_t from, size_t to)
{
	if ((f->flags & FIELD_READONLY) || from >= to)
		return;
	memmove(f->buf + from, f->buf + to, f->len - to + 1);
	f->len -= to - from;
	f->cursor = from;
	if (f->scroll > from)
		f->scroll = from;
}

static size_t word_start(const field *f)
{
	size_t p = f->cursor;

	while (p > 0 && f->buf[p - 1] == ' ')
		p--;
	while (p > 0 && f->buf[p - 1] != ' ')
		p--;
	return p;
}

static enum action char_action(int c)
{
	switch (c) {
	case FIELD_CTRL('A'): return ACT_HOME;
	case FIELD_CTRL('E'): return ACT_END;
	case FIELD_CTRL('D'): return ACT_DELETE;
	case FIELD_CTRL('H'): case 127: return ACT_BACKSPACE;
	case FIELD_CTRL('K'): return ACT_KILL_END;
	case FIELD_CTRL('U'): return ACT_KILL_START;
	case FIELD_CTRL('W'): return ACT_KILL_WORD;
	}
	return c < 0x20 ? ACT_NONE : ACT_INSERT;
}

static enum action key_action(int key)
{
	if (key & FIELD_TEXT)
		return ACT_INSERT;
	if (key >= 0 && key < KEY_MIN)
		return char_action(key);
	switch (key) {
	case KEY_LEFT: return ACT_LEFT;
	case KEY_RIGHT: return ACT_RIGHT;
	case KEY_HOME: return ACT_HOME;
	case KEY_END: return ACT_END;
	case KEY_BACKSPACE: return ACT_BACKSPACE;
	case KEY_DC: return ACT_DELETE;
	}
	return ACT_NONE;
}

static void field_apply(field *f, enum action a, int key)
{
	switch (a) {
	case ACT_NONE: break;
	case ACT_INSERT: field_insert(f, (unsigned)(key & ~FIELD_TEXT)); break;
	case ACT_LEFT: if (f->cursor > 0) f->cursor = prev_cluster(f, f->cursor); break;
	case ACT_RIGHT: if (f->cursor < f->len) f->cursor = next_cluster(f, f->cursor); break;
	case ACT_HOME: f->cursor = 0; break;
	case ACT_END: f->cursor = f->len; break;
	case ACT_BACKSPACE:
		if (f->cursor > 0)
			field_delete(f, prev_cluster(f, f->cursor), f->cursor);
		break;
	case ACT_DELETE:
		if (f->cursor < f->len)
			field_delete(f, f->cursor, next_cluster(f, f->cursor));
		break;
	case ACT_KILL_START: field_delete(f, 0, f->cursor); break;
	case ACT_KILL_END: field_delete(f, f->cursor, f->len); break;
	case ACT_KILL_WORD: field_delete(f, word_start(f), f->cursor); break;
	}
}

int field_key(field *f, int key)
{
	enum action a;

	key = key_plain(key);
	a = key_action(key);
	if (a == ACT_NONE)
		return 0;
	field_apply(f, a, key);
	return 1;
}

/* ---- display ---- */

static int cursor_cell(const field *f)
{
	int w = f->cursor < f->len ? cluster_width(f, f->cursor) : 1;

	return w > 0 ? w : 1;
}

static void view_scroll(field *f, int width)
{
	size_t p;

	if (f->scroll > f->cursor)
		f->scroll = f->cursor;
	while (f->scroll < f->cursor &&
	       span_width(f, f->scroll, f->cursor) + cursor_cell(f) > width)
		f->scroll = next_cluster(f, f->scroll);
	/* After deletions, scroll back so the field shows as much text as fits. */
	while (f->scroll > 0) {
		p = prev_cluster(f, f->scroll);
		if (span_width(f, p, f->len) + (f->cursor == f->len) > width)
			break;
		f->scroll = p;
	}
}

/* Appends the cluster at pos as it is drawn. */
static void view_cluster(const field *f, size_t pos, cd_buf *b)
{
	size_t end = next_cluster(f, pos), n;

	if (f->flags & FIELD_SECRET) {
		cd_buf_putc(b, '*');
		return;
	}
	for (; pos < end; pos += n) {
		n = utf8_len((unsigned char)f->buf[pos]);
		if (cp_width(utf8_decode(f->buf + pos)) < 0)
			cd_buf_putc(b, '?');
		else
			cd_buf_add(b, f->buf + pos, n);
	}
}

static int view_render(const field *f, int width, char *out, size_t outsz)
{
	cd_buf b = {0};
	size_t pos, keep;
	int col = 0, w;

	out[0] = '\0';
	for (pos = f->scroll; pos < f->len; pos = next_cluster(f, pos)) {
		w = cluster_width(f, pos);
		if (col + w > width)
			break;
		keep = b.len;
		view_cluster(f, pos, &b);
		if (b.len + 1 > outsz) {
			b.len = keep;
			break;
		}
		col += w;
	}
	if (b.s)
		memcpy(out, b.s, b.len), out[b.len] = '\0';
	cd_buf_free(&b);
	return col;
}

int field_view(field *f, int width, char *out, size_t outsz, int *cursor_col)
{
	if (width < 1 || !out || outsz < 1)
		return cd_err("field view needs at least one column and one byte");
	view_scroll(f, width);
	if (cursor_col)
		*cursor_col = span_width(f, f->scroll, f->cursor);
	return view_render(f, width, out, outsz);
}

int field_validate(const field *f)
{
	const char *what = f->label ? f->label : f->name ? f->name : "field";

	if (f->len == 0)
		return f->flags & FIELD_REQUIRED ? cd_err("%s is required", what) : 0;
	if (cd_check_field(what, f->buf) < 0)
		return -1;
	return f->check ? f->check(f->buf) : 0;
}

/* ---- forms ---- */

static int editable(const field *f)
{
	return !(f->flags & FIELD_READONLY);
}

void fieldset_setup(fieldset *fm, field *fields, size_t nfields)
{
	size_t i;

	fm->fields = fields;
	fm->nfields = nfields;
	fm->focus = 0;
	fm->ask_cancel = fm->asking = 0; /* the caller turns asking on */
	for (i = 0; i < nfields; i++)
		memcpy(fields[i].orig, fields[i].buf, sizeof fields[i].orig);
	for (i = 0; i < nfields; i++) {
		if (editable(&fields[i])) {
			fm->focus = i;
			break;
		}
	}
}

int fieldset_changed(const fieldset *fm)
{
	size_t i;

	for (i = 0; i < fm->nfields; i++)
		if (strcmp(fm->fields[i].buf, fm->fields[i].orig) != 0)
			return 1;
	return 0;
}

/* The answer to "discard the changes?": Esc or y discards, anything else keeps them. */
static enum fieldset_result fieldset_answer(fieldset *fm, int key)
{
	fm->asking = 0;
	return key == 27 || key == 'y' || key == 'Y' ? FIELDSET_CANCEL : FIELDSET_CONTINUE;
}

field *fieldset_focused(fieldset *fm)
{
	return fm->nfields ? &fm->fields[fm->focus] : NULL;
}

field *fieldset_find(fieldset *fm, const char *name)
{
	size_t i;

	for (i = 0; i < fm->nfields; i++)
		if (fm->fields[i].name && strcmp(fm->fields[i].name, name) == 0)
			return &fm->fields[i];
	return NULL;
}

/* Moves focus by dir (+1/-1) to the next editable field, wrapping around; read-only
 * fields are skipped unless nothing is editable. */
static void fieldset_move(fieldset *fm, int dir)
{
	size_t n = fm->nfields, i = fm->focus, step;

	if (n == 0)
		return;
	for (step = 0; step < n; step++) {
		i = dir > 0 ? (i + 1) % n : (i + n - 1) % n;
		if (editable(&fm->fields[i]))
			break;
	}
	if (step == n)
		i = dir > 0 ? (fm->focus + 1) % n : (fm->focus + n - 1) % n;
	fm->focus = i;
}

static int fieldset_on_last(const fieldset *fm)
{
	size_t i;

	for (i = fm->focus + 1; i < fm->nfields; i++)
		if (editable(&fm->fields[i]))
			return 0;
	return 1;
}

int fieldset_validate(fieldset *fm)
{
	size_t i;

	for (i = 0; i < fm->nfields; i++) {
		if (field_validate(&fm->fields[i]) < 0) {
			fm->focus = i;
			return -1;
		}
	}
	return 0;
}

static enum fieldset_result fieldset_submit(fieldset *fm)
{
	return fieldset_validate(fm) == 0 ? FIELDSET_SUBMIT : FIELDSET_INVALID;
}

enum fieldset_result fieldset_key(fieldset *fm, int key)
{
	key = key_plain(key);
	if (fm->asking)
		return fieldset_answer(fm, key);
	switch (key) {
	case 27:
		if (!fm->ask_cancel || !fieldset_changed(fm))
			return FIELDSET_CANCEL;
		fm->asking = 1;
		return FIELDSET_ASK;
	case FIELD_CTRL('X'):
		return fieldset_submit(fm);
	case '\n': case '\r': case KEY_ENTER:
		if (fieldset_on_last(fm))
			return fieldset_submit(fm);
		fieldset_move(fm, 1);
		return FIELDSET_CONTINUE;
	case '\t': case KEY_DOWN:
		fieldset_move(fm, 1);
		return FIELDSET_CONTINUE;
	case KEY_BTAB: case KEY_UP:
		fieldset_move(fm, -1);
		return FIELDSET_CONTINUE;
	}
	if (fm->nfields)
		field_key(fieldset_focused(fm), key);
	return FIELDSET_CONTINUE;
}

const char *fieldset_value(fieldset *fm, const char *name)
{
	field *f = fieldset_find(fm, name);

	return f ? field_value(f) : NULL;
}

int fieldset_set(fieldset *fm, const char *name, const char *value)
{
	field *f = fieldset_find(fm, name);

	if (!f)
		return cd_err("form has no field '%s'", name);
	if (field_set(f, value) < 0)
		return -1;
	memcpy(f->orig, f->buf, sizeof f->orig); /* a prefill is no change */
	return 0;
}
