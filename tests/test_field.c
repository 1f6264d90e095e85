/* test_field.c: the form field state machine, driven key by key as the dashboard will
 * drive it, with libc's mbstowcs() decoding the typed text independently. */
#include "testlib.h"

#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "field.h"
#include "util.h"

#define CTRL_KEY(c) ((c) & 0x1f)

/* Types s one character at a time, as get_wch() delivers them. */
static void type(field *f, const char *s)
{
	wchar_t wc[FIELD_CAP + 1];
	size_t n = mbstowcs(wc, s, FIELD_CAP + 1), i;

	CU_ASSERT_FATAL(n != (size_t)-1);
	for (i = 0; i < n; i++)
		CU_ASSERT(field_key(f, field_key_from_wch(OK, (wint_t)wc[i])) == 1);
}

static void keys(field *f, int key, int times)
{
	while (times-- > 0)
		field_key(f, key);
}

static void check_view(field *f, int width, const char *want, int want_col)
{
	char out[128];
	int col = -1, used = field_view(f, width, out, sizeof out, &col);

	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(col, want_col);
	CU_ASSERT(used >= 0 && used <= width);
	if (strcmp(out, want) != 0 || col != want_col)
		fprintf(stderr, "view(%d): got '%s' col %d, want '%s' col %d\n",
			width, out, col, want, want_col);
}

static void test_insert_multibyte(void)
{
	field f = {.label = "Name"};

	type(&f, "José Müller");
	CU_ASSERT_STRING_EQUAL(field_value(&f), "José Müller");
	CU_ASSERT_EQUAL(f.len, strlen("José Müller"));
	CU_ASSERT_EQUAL(f.len, 13);
	CU_ASSERT_EQUAL(f.cursor, 13);
	CU_ASSERT_EQUAL(field_text_width(&f), 11);
}

static void test_cursor_multibyte(void)
{
	field f = {0};

	type(&f, "José Müller");
	CU_ASSERT(field_key(&f, KEY_HOME) == 1);
	CU_ASSERT_EQUAL(f.cursor, 0);
	keys(&f, KEY_RIGHT, 3);
	CU_ASSERT_EQUAL(f.cursor, 3);
	field_key(&f, KEY_RIGHT); /* over the two bytes of é */
	CU_ASSERT_EQUAL(f.cursor, 5);
	field_key(&f, KEY_LEFT);
	CU_ASSERT_EQUAL(f.cursor, 3);
	field_key(&f, CTRL_KEY('E'));
	CU_ASSERT_EQUAL(f.cursor, f.len);
	field_key(&f, KEY_RIGHT); /* at the end: stays */
	CU_ASSERT_EQUAL(f.cursor, f.len);
	field_key(&f, CTRL_KEY('A'));
	field_key(&f, KEY_LEFT); /* at the start: stays */
	CU_ASSERT_EQUAL(f.cursor, 0);
	field_key(&f, KEY_END);
	CU_ASSERT_EQUAL(f.cursor, f.len);
}

static void test_backspace_whole_char(void)
{
	field f = {0};

	type(&f, "José Müller");
	keys(&f, KEY_LEFT, 4); /* after ü */
	CU_ASSERT(field_key(&f, KEY_BACKSPACE) == 1);
	CU_ASSERT_STRING_EQUAL(field_value(&f), "José Mller");
	field_key(&f, KEY_END);
	field_key(&f, 127);
	field_key(&f, 8);
	CU_ASSERT_STRING_EQUAL(field_value(&f), "José Mll");
	keys(&f, KEY_LEFT, 4); /* after é, before the space */
	CU_ASSERT_EQUAL(f.cursor, 5);
	field_key(&f, KEY_BACKSPACE);
	CU_ASSERT_STRING_EQUAL(field_value(&f), "Jos Mll");
	CU_ASSERT_EQUAL(f.cursor, 3);
	field_key(&f, KEY_HOME);
	field_key(&f, KEY_BACKSPACE); /* nothing before the cursor */
	CU_ASSERT_STRING_EQUAL(field_value(&f), "Jos Mll");
}

static void test_delete_forward(void)
{
	field f = {0};

	CU_ASSERT_EQUAL(field_set(&f, "Ñandú"), 0);
	field_key(&f, KEY_HOME);
	CU_ASSERT(field_key(&f, KEY_DC) == 1);
	CU_ASSERT_STRING_EQUAL(field_value(&f), "andú");
	keys(&f, KEY_RIGHT, 3);
	field_key(&f, CTRL_KEY('D'));
	CU_ASSERT_STRING_EQUAL(field_value(&f), "and");
	field_key(&f, CTRL_KEY('D')); /* at the end: nothing to delete */
	CU_ASSERT_STRING_EQUAL(field_value(&f), "and");
}

static void test_kill_keys(void)
{
	field f = {0};

	type(&f, "Jane  Q. Public");
	field_key(&f, CTRL_KEY('W'));
	CU_ASSERT_STRING_EQUAL(field_value(&f), "Jane  Q. ");
	field_key(&f, CTRL_KEY('W')); /* spaces before the word go with it */
	CU_ASSERT_STRING_EQUAL(field_value(&f), "Jane  ");
	field_key(&f, CTRL_KEY('W'));
	CU_ASSERT_STRING_EQUAL(field_value(&f), "");

	field_set(&f, "Łukasz Dvořák");
	keys(&f, KEY_LEFT, 3); /* after "Dvo" */
	field_key(&f, CTRL_KEY('W'));
	CU_ASSERT_STRING_EQUAL(field_value(&f), "Łukasz řák");
	field_key(&f, CTRL_KEY('K'));
	CU_ASSERT_STRING_EQUAL(field_value(&f), "Łukasz ");

	field_set(&f, "hello wörld");
	field_key(&f, KEY_HOME);
	keys(&f, KEY_RIGHT, 5);
	field_key(&f, CTRL_KEY('U'));
	CU_ASSERT_STRING_EQUAL(field_value(&f), " wörld");
	CU_ASSERT_EQUAL(f.cursor, 0);
	field_key(&f, CTRL_KEY('K'));
	CU_ASSERT_STRING_EQUAL(field_value(&f), "");
}

/* 'Ą' (U+0104) has KEY_LEFT's number and 'Ŋ' (U+014A) KEY_DC's: tagged, they are text. */
static void test_chars_in_key_range(void)
{
	field f = {0};

	type(&f, "ĄŊŨ");
	CU_ASSERT_STRING_EQUAL(field_value(&f), "ĄŊŨ");
	field_key(&f, field_key_from_wch(KEY_CODE_YES, KEY_LEFT));
	CU_ASSERT_EQUAL(f.cursor, strlen("ĄŊ"));
	field_key(&f, field_key_from_wch(KEY_CODE_YES, KEY_DC));
	CU_ASSERT_STRING_EQUAL(field_value(&f), "ĄŊ");
	CU_ASSERT_EQUAL(field_key_from_wch(ERR, 0), ERR);
	/* Plain codes below KEY_MIN are characters either way. */
	field_key(&f, 'x');
	field_key(&f, 0xE9);
	CU_ASSERT_STRING_EQUAL(field_value(&f), "ĄŊxé");
}

static void test_rejects_controls(void)
{
	field f = {0};

	type(&f, "ab");
	CU_ASSERT(field_key(&f, 27) == 0);          /* Esc: the form's */
	CU_ASSERT(field_key(&f, '\t') == 0);
	CU_ASSERT(field_key(&f, '\n') == 0);
	CU_ASSERT(field_key(&f, KEY_F(1)) == 0);
	CU_ASSERT(field_key(&f, KEY_RESIZE) == 0);
	field_key(&f, FIELD_CHAR(0x1B));
	field_key(&f, FIELD_CHAR(0x85));  /* C1 NEL */
	field_key(&f, FIELD_CHAR(0x9B));  /* C1 CSI */
	field_key(&f, FIELD_CHAR(0xD800)); /* a lone surrogate */
	field_key(&f, FIELD_CHAR(0x110000));
	CU_ASSERT_STRING_EQUAL(field_value(&f), "ab");
	CU_ASSERT_EQUAL(field_set(&f, "a\033[2Jb"), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "control character"));
	CU_ASSERT_EQUAL(field_set(&f, "a\xC2\x9B" "b"), -1);
	CU_ASSERT_EQUAL(field_set(&f, "\xC3\x28"), -1);
	CU_ASSERT_STRING_EQUAL(field_value(&f), "ab");
}

static void test_max_and_readonly(void)
{
	field f = {.label = "Country", .max = 5};
	field ro = {.label = "User", .flags = FIELD_READONLY};

	type(&f, "abcdé"); /* é would make 6 bytes */
	CU_ASSERT_STRING_EQUAL(field_value(&f), "abcd");
	type(&f, "e");
	CU_ASSERT_STRING_EQUAL(field_value(&f), "abcde");
	CU_ASSERT_EQUAL(field_set(&f, "abcdef"), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "Country is too long"));

	CU_ASSERT_EQUAL(field_set(&ro, "jdoe"), 0);
	CU_ASSERT(field_key(&ro, 'x') == 1); /* swallowed, not passed on */
	field_key(&ro, KEY_BACKSPACE);
	field_key(&ro, CTRL_KEY('U'));
	field_key(&ro, KEY_HOME);
	field_key(&ro, KEY_DC);
	CU_ASSERT_STRING_EQUAL(field_value(&ro), "jdoe");
	CU_ASSERT_EQUAL(ro.cursor, 0);
}

static void test_scroll_ascii(void)
{
	field f = {0};

	type(&f, "abcdefghij");
	check_view(&f, 5, "ghij", 4);
	field_key(&f, KEY_HOME);
	check_view(&f, 5, "abcde", 0);
	keys(&f, KEY_RIGHT, 6);
	check_view(&f, 5, "cdefg", 4);
	field_key(&f, KEY_END);
	check_view(&f, 5, "ghij", 4);
	keys(&f, KEY_BACKSPACE, 3); /* the view scrolls back to show what fits */
	check_view(&f, 5, "defg", 4);
	field_key(&f, CTRL_KEY('U'));
	check_view(&f, 5, "", 0);
}

/* Typing left of the first shown character, before the next view (a key script, no
 * redraw in between): the view still starts on a whole character. */
static void test_insert_before_scroll(void)
{
	field f = {0};
	char out[128];
	int col = -1;

	type(&f, "h");
	check_view(&f, 1, "", 0); /* only the cursor fits: the view starts after h */
	field_key(&f, KEY_LEFT);
	type(&f, "\u00ff");
	CU_ASSERT(f.scroll <= f.len && ((unsigned char)f.buf[f.scroll] & 0xC0) != 0x80);
	field_view(&f, 1, out, sizeof out, &col);
	CU_ASSERT(mbstowcs(NULL, out, 0) != (size_t)-1);
	CU_ASSERT(f.scroll <= f.len);
	CU_ASSERT_STRING_EQUAL(f.buf, "\u00ffh");
}

static void test_scroll_wide(void)
{
	field f = {0};
	char out[64];
	int col, used;
	size_t i;

	type(&f, "日本語テキスト");
	CU_ASSERT_EQUAL(field_text_width(&f), 14);
	check_view(&f, 6, "スト", 4);
	field_key(&f, KEY_HOME);
	check_view(&f, 6, "日本語", 0);
	check_view(&f, 5, "日本", 0); /* 語 would need columns 5 and 6 */
	keys(&f, KEY_RIGHT, 2);
	check_view(&f, 6, "日本語", 4);
	field_key(&f, KEY_RIGHT); /* テ at column 6 does not fit: scroll one character */
	check_view(&f, 6, "本語テ", 4);
	/* At any width and cursor position, the cursor's character fits on screen. */
	for (i = 0; i <= 7; i++) {
		int w;
		for (w = 2; w <= 16; w++) {
			used = field_view(&f, w, out, sizeof out, &col);
			CU_ASSERT(used >= 0 && used <= w);
			CU_ASSERT(col >= 0 && col + 2 <= w + (f.cursor == f.len));
		}
		field_key(&f, i == 0 ? KEY_HOME : KEY_RIGHT);
	}
	/* One column cannot hold a wide character: the view is empty, nothing overflows. */
	field_key(&f, KEY_HOME);
	used = field_view(&f, 1, out, sizeof out, &col);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(col, 0);
	CU_ASSERT_EQUAL(field_view(&f, 0, out, sizeof out, &col), -1);
}

static void test_view_small_buffer(void)
{
	field f = {0};
	char out[4];
	int col;

	type(&f, "José");
	field_key(&f, KEY_HOME);
	CU_ASSERT_EQUAL(field_view(&f, 10, out, sizeof out, &col), 3);
	CU_ASSERT_STRING_EQUAL(out, "Jos"); /* é does not fit with the NUL: dropped whole */
}

static void test_combining_marks(void)
{
	field f = {0};

	type(&f, "Jose\xCC\x81!"); /* e + U+0301 COMBINING ACUTE ACCENT */
	CU_ASSERT_EQUAL(field_text_width(&f), 5);
	field_key(&f, KEY_LEFT);
	field_key(&f, KEY_LEFT); /* over é as one character */
	CU_ASSERT_EQUAL(f.cursor, 3);
	field_key(&f, KEY_END);
	field_key(&f, KEY_LEFT);
	field_key(&f, KEY_BACKSPACE);
	CU_ASSERT_STRING_EQUAL(field_value(&f), "Jos!");
}

static void test_secret_masking(void)
{
	field f = {.label = "Passphrase", .flags = FIELD_SECRET};
	char out[64];
	int col;

	type(&f, "pässwörd日本");
	CU_ASSERT_EQUAL(field_view(&f, 20, out, sizeof out, &col), 10);
	CU_ASSERT_STRING_EQUAL(out, "**********");
	CU_ASSERT_EQUAL(col, 10);
	check_view(&f, 4, "***", 3);
	field_key(&f, KEY_HOME);
	check_view(&f, 4, "****", 0);
	CU_ASSERT_STRING_EQUAL(field_value(&f), "pässwörd日本");
}

/* ---- forms ---- */

enum { F_USER, F_NAME, F_EMAIL, F_COUNTRY, F_N };

static void renew_fields(field fields[F_N])
{
	const field init[F_N] = {
		{.name = "user", .label = "User", .flags = FIELD_READONLY | FIELD_REQUIRED,
		 .check = cd_check_user},
		{.name = "name", .label = "Name", .flags = FIELD_REQUIRED},
		{.name = "email", .label = "Email", .flags = FIELD_REQUIRED, .check = cd_check_email},
		{.name = "country", .label = "Country", .max = 2, .check = cd_check_country},
	};

	memcpy(fields, init, sizeof init);
}

static void test_fieldset_prefill(void)
{
	field fields[F_N];
	fieldset fm;

	renew_fields(fields);
	fieldset_setup(&fm, fields, F_N);
	CU_ASSERT_EQUAL(fm.focus, F_NAME); /* the read-only user is skipped */
	CU_ASSERT_EQUAL(fieldset_set(&fm, "user", "jdoe"), 0);
	CU_ASSERT_EQUAL(fieldset_set(&fm, "name", "José Müller"), 0);
	CU_ASSERT_EQUAL(fieldset_set(&fm, "email", "jose@example.org"), 0);
	CU_ASSERT_STRING_EQUAL(fieldset_value(&fm, "user"), "jdoe");
	CU_ASSERT_STRING_EQUAL(fieldset_value(&fm, "name"), "José Müller");
	CU_ASSERT_STRING_EQUAL(fieldset_value(&fm, "country"), "");
	CU_ASSERT_PTR_NULL(fieldset_value(&fm, "nope"));
	CU_ASSERT_EQUAL(fieldset_set(&fm, "nope", "x"), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "nope"));
	CU_ASSERT_EQUAL(fieldset_set(&fm, "name", "bad\tname"), -1);
	CU_ASSERT_STRING_EQUAL(fieldset_value(&fm, "name"), "José Müller");
	/* Prefilled text is edited from its end. */
	CU_ASSERT_EQUAL(fieldset_key(&fm, CTRL_KEY('W')), FIELDSET_CONTINUE);
	CU_ASSERT_STRING_EQUAL(fieldset_value(&fm, "name"), "José ");
}

static void test_fieldset_navigation(void)
{
	field fields[F_N];
	fieldset fm;

	renew_fields(fields);
	fieldset_setup(&fm, fields, F_N);
	CU_ASSERT_EQUAL(fieldset_key(&fm, '\t'), FIELDSET_CONTINUE);
	CU_ASSERT_EQUAL(fm.focus, F_EMAIL);
	fieldset_key(&fm, KEY_DOWN);
	CU_ASSERT_EQUAL(fm.focus, F_COUNTRY);
	fieldset_key(&fm, '\t'); /* wraps, over the read-only user */
	CU_ASSERT_EQUAL(fm.focus, F_NAME);
	fieldset_key(&fm, KEY_BTAB);
	CU_ASSERT_EQUAL(fm.focus, F_COUNTRY);
	fieldset_key(&fm, KEY_UP);
	CU_ASSERT_EQUAL(fm.focus, F_EMAIL);
	CU_ASSERT_EQUAL(fieldset_key(&fm, '\r'), FIELDSET_CONTINUE); /* Enter, not last: next */
	CU_ASSERT_EQUAL(fm.focus, F_COUNTRY);
	CU_ASSERT_PTR_EQUAL(fieldset_focused(&fm), &fields[F_COUNTRY]);
	/* Keys from get_wch() arrive tagged; Tab and Esc still navigate. */
	fieldset_key(&fm, field_key_from_wch(OK, '\t'));
	CU_ASSERT_EQUAL(fm.focus, F_NAME);
	fieldset_key(&fm, field_key_from_wch(OK, 0x104));
	CU_ASSERT_STRING_EQUAL(fieldset_value(&fm, "name"), "Ą");
	CU_ASSERT_EQUAL(fieldset_key(&fm, 27), FIELDSET_CANCEL);
	CU_ASSERT_EQUAL(fieldset_key(&fm, field_key_from_wch(OK, 27)), FIELDSET_CANCEL);
}

/* Esc drops a form at once until a field changed; then it asks once, Esc or y
 * discards, any other key keeps the form (and is no edit). A prefill is no change. */
static void test_fieldset_ask_cancel(void)
{
	field fields[F_N];
	fieldset fm;

	renew_fields(fields);
	fieldset_setup(&fm, fields, F_N);
	fm.ask_cancel = 1;
	CU_ASSERT_EQUAL(fieldset_set(&fm, "name", "José Müller"), 0);
	CU_ASSERT(!fieldset_changed(&fm));
	CU_ASSERT_EQUAL(fieldset_key(&fm, 27), FIELDSET_CANCEL); /* nothing typed */
	fieldset_key(&fm, 'x');
	CU_ASSERT(fieldset_changed(&fm));
	CU_ASSERT_EQUAL(fieldset_key(&fm, 27), FIELDSET_ASK);
	CU_ASSERT(fm.asking);
	CU_ASSERT_EQUAL(fieldset_key(&fm, 'n'), FIELDSET_CONTINUE); /* keep editing */
	CU_ASSERT(!fm.asking);
	CU_ASSERT_STRING_EQUAL(fieldset_value(&fm, "name"), "José Müllerx"); /* 'n' typed nothing */
	CU_ASSERT_EQUAL(fieldset_key(&fm, 27), FIELDSET_ASK); /* asks again */
	CU_ASSERT_EQUAL(fieldset_key(&fm, field_key_from_wch(OK, 27)), FIELDSET_CANCEL);
	CU_ASSERT_EQUAL(fieldset_key(&fm, 27), FIELDSET_ASK);
	CU_ASSERT_EQUAL(fieldset_key(&fm, 'y'), FIELDSET_CANCEL);
	/* typed back to what it was: no change, no question */
	fieldset_key(&fm, KEY_BACKSPACE);
	CU_ASSERT(!fieldset_changed(&fm));
	CU_ASSERT_EQUAL(fieldset_key(&fm, 27), FIELDSET_CANCEL);
	/* without ask_cancel (a passphrase dialog) Esc cancels at once */
	fieldset_setup(&fm, fields, F_N);
	fieldset_key(&fm, 'z');
	CU_ASSERT_EQUAL(fieldset_key(&fm, 27), FIELDSET_CANCEL);
}

/* Types into the focused field through the form, as the dashboard does. */
static void fieldset_type(fieldset *fm, const char *s)
{
	type(fieldset_focused(fm), s);
}

static void test_fieldset_submit(void)
{
	field fields[F_N];
	fieldset fm;

	renew_fields(fields);
	fieldset_setup(&fm, fields, F_N);
	fieldset_set(&fm, "user", "jdoe");
	fieldset_type(&fm, "José Müller");
	fieldset_key(&fm, '\n');
	fieldset_type(&fm, "jose.example.org"); /* no '@' */
	fieldset_key(&fm, '\n');
	fieldset_type(&fm, "DE");
	CU_ASSERT_EQUAL(fm.focus, F_COUNTRY);
	/* Enter on the last field submits; the invalid email takes the focus. */
	CU_ASSERT_EQUAL(fieldset_key(&fm, '\n'), FIELDSET_INVALID);
	CU_ASSERT_EQUAL(fm.focus, F_EMAIL);
	CU_ASSERT(tl_contains(cd_errmsg(), "invalid email"));
	fieldset_key(&fm, CTRL_KEY('U'));
	fieldset_type(&fm, "jose@example.org");
	CU_ASSERT_EQUAL(fieldset_key(&fm, CTRL_KEY('X')), FIELDSET_SUBMIT);
	CU_ASSERT_STRING_EQUAL(fieldset_value(&fm, "email"), "jose@example.org");
	CU_ASSERT_STRING_EQUAL(fieldset_value(&fm, "country"), "DE");

	/* A required field left empty; an optional one may stay empty. */
	CU_ASSERT_EQUAL(fm.focus, F_EMAIL);
	fieldset_key(&fm, KEY_UP);
	CU_ASSERT_EQUAL(fm.focus, F_NAME);
	fieldset_key(&fm, CTRL_KEY('U'));
	fieldset_key(&fm, KEY_DOWN);
	fieldset_key(&fm, KEY_DOWN);
	fieldset_key(&fm, CTRL_KEY('U'));
	CU_ASSERT_EQUAL(fieldset_key(&fm, KEY_ENTER), FIELDSET_INVALID);
	CU_ASSERT_EQUAL(fm.focus, F_NAME);
	CU_ASSERT_STRING_EQUAL(cd_errmsg(), "Name is required");
	fieldset_type(&fm, "Ana");
	CU_ASSERT_EQUAL(fieldset_key(&fm, CTRL_KEY('X')), FIELDSET_SUBMIT);

	/* A bad value in a read-only field is still reported, there. */
	fieldset_set(&fm, "user", "Bad User");
	CU_ASSERT_EQUAL(fieldset_key(&fm, CTRL_KEY('X')), FIELDSET_INVALID);
	CU_ASSERT_EQUAL(fm.focus, F_USER);
	CU_ASSERT(tl_contains(cd_errmsg(), "invalid user name"));
}

static void test_fieldset_all_readonly(void)
{
	field fields[2] = {
		{.name = "a", .flags = FIELD_READONLY},
		{.name = "b", .flags = FIELD_READONLY},
	};
	fieldset fm, empty;

	fieldset_setup(&fm, fields, 2);
	CU_ASSERT_EQUAL(fm.focus, 0);
	fieldset_key(&fm, '\t');
	CU_ASSERT_EQUAL(fm.focus, 1);
	fieldset_key(&fm, '\t');
	CU_ASSERT_EQUAL(fm.focus, 0);
	CU_ASSERT_EQUAL(fieldset_key(&fm, '\n'), FIELDSET_SUBMIT);

	fieldset_setup(&empty, NULL, 0);
	CU_ASSERT_PTR_NULL(fieldset_focused(&empty));
	CU_ASSERT_EQUAL(fieldset_key(&empty, 'x'), FIELDSET_CONTINUE);
	CU_ASSERT_EQUAL(fieldset_key(&empty, '\t'), FIELDSET_CONTINUE);
	CU_ASSERT_EQUAL(fieldset_key(&empty, CTRL_KEY('X')), FIELDSET_SUBMIT);
}

int main(void)
{
	static CU_TestInfo field_tests[] = {
		{"insert multibyte", test_insert_multibyte},
		{"cursor across multibyte", test_cursor_multibyte},
		{"backspace whole character", test_backspace_whole_char},
		{"delete forward", test_delete_forward},
		{"ctrl-w/u/k", test_kill_keys},
		{"characters in the KEY_ range", test_chars_in_key_range},
		{"control characters rejected", test_rejects_controls},
		{"max length and read-only", test_max_and_readonly},
		{"scroll ascii", test_scroll_ascii},
		{"scroll wide CJK", test_scroll_wide},
		{"typing left of the view keeps it on a character", test_insert_before_scroll},
		{"view into a small buffer", test_view_small_buffer},
		{"combining marks", test_combining_marks},
		{"secret masking", test_secret_masking},
		CU_TEST_INFO_NULL,
	};
	static CU_TestInfo fieldset_tests[] = {
		{"prefill", test_fieldset_prefill},
		{"navigation", test_fieldset_navigation},
		{"Esc asks once when fields changed", test_fieldset_ask_cancel},
		{"submit and validation", test_fieldset_submit},
		{"read-only and empty forms", test_fieldset_all_readonly},
		CU_TEST_INFO_NULL,
	};
	const tl_suite suites[] = {
		{"field", field_tests},
		{"fieldset", fieldset_tests},
		{NULL, NULL},
	};

	if (!setlocale(LC_ALL, "C.UTF-8")) {
		fprintf(stderr, "the C.UTF-8 locale is missing\n");
		return 2;
	}
	return tl_main(suites);
}
