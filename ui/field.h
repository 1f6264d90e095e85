/* field.h: single-line UTF-8 text fields and fieldsets (a form's fields, focus and
 * submit rule) made of them, as pure state machines (after htop's LineEditor): keys in, state out, no curses calls, so every
 * editing rule is testable without a terminal.  The caller draws with field_view(). */
#ifndef CD_UI_FIELD_H
#define CD_UI_FIELD_H

#include <stddef.h>
#include <wchar.h>

#define FIELD_CAP 256 /* bytes of text, the limit cd_check_field() enforces */

enum {
	FIELD_REQUIRED = 1 << 0,
	FIELD_SECRET = 1 << 1,   /* shown as one '*' per character */
	FIELD_READONLY = 1 << 2, /* cursor moves, text does not change */
	FIELD_WARN_EMPTY = 1 << 3, /* empty is allowed, but its placeholder is a warning */
};

/*
 * Keys.  get_wch() reports the character 'Ą' (U+0104) and KEY_LEFT (0404) with the
 * same number, told apart only by its return value, and names such as Łukasz or
 * Dvořák are full of characters in that range.  So the field functions take a key as:
 *   - a curses KEY_* code (KEY_LEFT, KEY_BTAB, ...) for a function key;
 *   - FIELD_CHAR(wc) for a character (required from U+0101 up; optional below);
 *   - a plain character code below 0401 ('a', 9 for Tab, 27 for Esc, 127, ...).
 * field_key_from_wch() makes that from get_wch()'s two results.
 */
#define FIELD_TEXT 0x40000000
#define FIELD_CHAR(wc) ((int)(wc) | FIELD_TEXT)
int field_key_from_wch(int get_wch_rc, wint_t wch);

typedef int (*field_check_fn)(const char *value); /* 0, or -1 after cd_err() */

/*
 * A zero-initialised field is empty and usable, so forms can be declared with
 * designated initialisers: {.name = "email", .label = "Email", .check = cd_check_email}.
 * max == 0 means FIELD_CAP.  Invariants: buf is valid UTF-8 without control
 * characters, len <= max, cursor and scroll sit on character boundaries.
 */
typedef struct field {
	const char *name;  /* key for fieldset_value() and fieldset_set() */
	const char *label; /* names the field in error messages */
	int flags;
	size_t max;
	field_check_fn check;
	char buf[FIELD_CAP + 1];
	size_t len;
	size_t cursor; /* byte offset */
	size_t scroll; /* byte offset of the first visible character */
	/* Shown greyed while the field is empty: what an empty value stands for (a
	 * default), or a warning.  NULL: nothing. */
	const char *placeholder;
	char orig[FIELD_CAP + 1]; /* the text as the form opened (fieldset_setup, _set) */
} field;

/* Replaces the text (cursor at the end): -1 when too long, not UTF-8, or with controls. */
int field_set(field *f, const char *value);
const char *field_value(const field *f);
/* Applies an editing or cursor key; 1 when the key is a field key (even if it changed
 * nothing, e.g. typing into a read-only field), 0 when the caller should handle it. */
int field_key(field *f, int key);
/* Terminal columns the text takes (wcwidth; the caller has done setlocale). */
int field_text_width(const field *f);
/*
 * The visible part of the text for a field width columns wide: scrolls so the cursor
 * stays visible, writes the UTF-8 slice (NUL-terminated) to out and the cursor's
 * column to *cursor_col.  Returns the columns the slice takes, or -1.
 */
int field_view(field *f, int width, char *out, size_t outsz, int *cursor_col);
/* Required, well-formed, and the check callback: 0, or -1 with cd_err() naming it. */
int field_validate(const field *f);

enum fieldset_result {
	FIELDSET_CONTINUE, /* key handled or ignored; keep editing */
	FIELDSET_SUBMIT,   /* every field is valid */
	FIELDSET_CANCEL,   /* Esc */
	FIELDSET_INVALID,  /* submit refused: focus is on the first invalid field, see cd_errmsg() */
	FIELDSET_ASK,      /* Esc with fields changed (ask_cancel): the caller asks whether to
			    * discard them; Esc or y then cancels, any other key keeps editing */
};

typedef struct fieldset {
	field *fields; /* owned by the caller */
	size_t nfields;
	size_t focus;
	int ask_cancel; /* Esc after a change asks first (FIELDSET_ASK) */
	int asking;     /* that question is open: the next key answers it */
} fieldset;

/* Points fm at fields, takes their text as it opened and focuses the first editable
 * one; ask_cancel is off. */
void fieldset_setup(fieldset *fm, field *fields, size_t nfields);
field *fieldset_focused(fieldset *fm);
field *fieldset_find(fieldset *fm, const char *name);
/* Tab/Down/Enter next, Shift-Tab/Up previous, Enter on the last field or Ctrl-X
 * submits, Esc cancels (or asks first, see FIELDSET_ASK); any other key goes to the
 * focused field. */
enum fieldset_result fieldset_key(fieldset *fm, int key);
/* Whether any field's text differs from what it was when the form opened. */
int fieldset_changed(const fieldset *fm);
/* Checks every field, moving focus to the first invalid one: 0 or -1 with cd_err(). */
int fieldset_validate(fieldset *fm);
const char *fieldset_value(fieldset *fm, const char *name); /* NULL for an unknown name */
int fieldset_set(fieldset *fm, const char *name, const char *value); /* prefill */

#endif
