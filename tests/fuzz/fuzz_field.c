/* fuzz_field.c: the form field state machine (ui/field.h).
 *
 * Input: three bytes of flags for the fields of a three-field form (required, secret,
 * read-only), one byte for the second field's maximum length, then operations of one
 * opcode byte and its arguments: a plain key, a character (any code point, or one
 * from the ASCII, combining-mark, CJK or emoji ranges), a function key, a get_wch()
 * result, a view at some width into a buffer of some size, a prefill with arbitrary
 * bytes, a submit.  After each one the invariants of field.h must hold: the text is
 * valid UTF-8 without control characters and within its maximum, cursor and scroll
 * sit on character boundaries; a view fits its width and buffer and shows a secret
 * as '*'s; a submit is accepted only when every field is valid. */
#include "fuzz.h"

#include <curses.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "util.h"

#define NFIELDS 3

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setlocale(LC_ALL, "C.UTF-8");
	return 0;
}

/* The input, consumed a byte at a time (0 after its end). */
struct in {
	const uint8_t *p, *end;
};

static unsigned next(struct in *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

static int is_boundary(const field *f, size_t pos)
{
	return pos <= f->len && (pos == f->len || ((unsigned char)f->buf[pos] & 0xC0) != 0x80);
}

static void check_field(const field *f)
{
	size_t i, max = f->max && f->max < FIELD_CAP ? f->max : FIELD_CAP;
	const unsigned char *u = (const unsigned char *)f->buf;

	FUZZ_CHECK(f->len <= max && strlen(f->buf) == f->len);
	FUZZ_CHECK(cd_utf8_valid(f->buf, f->len));
	for (i = 0; i < f->len; i++)
		FUZZ_CHECK(u[i] >= 0x20 && u[i] != 0x7F && !(u[i] == 0xC2 && u[i + 1] < 0xA0));
	FUZZ_CHECK(is_boundary(f, f->cursor) && is_boundary(f, f->scroll));
}

static void check_fieldset(fieldset *fm)
{
	size_t i;

	FUZZ_CHECK(fm->focus < fm->nfields);
	for (i = 0; i < fm->nfields; i++)
		check_field(&fm->fields[i]);
}

static void check_view(fieldset *fm, struct in *in)
{
	field *f = fieldset_focused(fm);
	int width = (int)(next(in) % 82) - 1, col = -1, used;
	size_t outsz = next(in) % 160, i;
	char *out = outsz ? cd_malloc(outsz) : NULL;

	used = field_view(f, width, out, outsz, &col);
	if (width < 1 || outsz < 1) {
		FUZZ_CHECK(used == -1);
	} else {
		FUZZ_CHECK(used >= 0 && used <= width);
		FUZZ_CHECK(strlen(out) < outsz && cd_utf8_valid(out, strlen(out)));
		FUZZ_CHECK(col >= 0 && col <= width);
		for (i = 0; (f->flags & FIELD_SECRET) && out[i]; i++)
			FUZZ_CHECK(out[i] == '*');
	}
	free(out);
}

static void check_result(fieldset *fm, enum fieldset_result r)
{
	size_t i;

	if (r == FIELDSET_SUBMIT)
		for (i = 0; i < fm->nfields; i++)
			FUZZ_CHECK(field_validate(&fm->fields[i]) == 0);
	if (r == FIELDSET_INVALID)
		FUZZ_CHECK(field_validate(fieldset_focused(fm)) < 0);
}

static int function_key(unsigned b)
{
	static const int keys[] = {KEY_LEFT, KEY_RIGHT, KEY_HOME, KEY_END, KEY_BACKSPACE,
				   KEY_DC, KEY_UP, KEY_DOWN, KEY_BTAB, KEY_ENTER, KEY_F(1),
				   KEY_RESIZE, KEY_NPAGE, KEY_MOUSE, KEY_MAX, -1};

	return keys[b % (sizeof keys / sizeof keys[0])];
}

/* A code point from a range people type: ASCII, combining marks, CJK, emoji. */
static int typed_char(unsigned b)
{
	static const unsigned base[] = {0x20, 0x300, 0x4E00, 0x1F600};

	return FIELD_CHAR(base[b >> 6] + (b & 63));
}

static int get_wch_key(struct in *in)
{
	static const int rcs[] = {OK, KEY_CODE_YES, ERR};
	int rc = rcs[next(in) % 3];
	unsigned wch = next(in) << 8;

	return field_key_from_wch(rc, (wint_t)(wch | next(in)));
}

static void prefill(fieldset *fm, struct in *in)
{
	static const char *const names[] = {"user", "name", "email", "nosuch"};
	const char *name = names[next(in) % 4];
	size_t n = next(in), i;
	char *v = cd_malloc(n + 1);

	for (i = 0; i < n; i++)
		v[i] = (char)next(in);
	v[n] = '\0';
	if (fieldset_set(fm, name, v) == 0)
		FUZZ_CHECK(strcmp(fieldset_value(fm, name), v) == 0);
	free(v);
}

static int code_point(struct in *in)
{
	unsigned cp = (next(in) & 0x1F) << 16;

	cp |= next(in) << 8;
	return FIELD_CHAR(cp | next(in));
}

static void step(fieldset *fm, struct in *in)
{
	unsigned op = next(in);

	switch (op % 8) {
	case 0: check_result(fm, fieldset_key(fm, (int)next(in))); break;
	case 1: check_result(fm, fieldset_key(fm, code_point(in))); break;
	case 2: check_result(fm, fieldset_key(fm, function_key(next(in)))); break;
	case 3: check_view(fm, in); break;
	case 4: prefill(fm, in); break;
	case 5: check_result(fm, fieldset_validate(fm) == 0 ? FIELDSET_SUBMIT : FIELDSET_INVALID); break;
	case 6: check_result(fm, fieldset_key(fm, typed_char(next(in)))); break;
	case 7: check_result(fm, fieldset_key(fm, get_wch_key(in))); break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	field fields[NFIELDS] = {
		{.name = "user", .label = "User", .check = cd_check_user},
		{.name = "name", .label = "Full name"},
		{.name = "email", .label = "Email", .check = cd_check_email},
	};
	struct in in = {data, data + size};
	fieldset fm;
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		fields[i].flags = (int)(next(&in) & 7);
	fields[1].max = next(&in);
	fieldset_setup(&fm, fields, NFIELDS);
	while (in.p < in.end) {
		step(&fm, &in);
		check_fieldset(&fm);
	}
	return 0;
}
