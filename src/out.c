/* out.c: aligned text, TSV and JSON tables. */
#include "out.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct out_table {
	out_format f;
	FILE *fp;
	char **cols;
	int ncols;
	long rows;
	/* text: rows are kept to align columns */
	char **cells;
	size_t ncells, cap;
	int *width;
	int *numeric;
	cd_buf line; /* TSV: one row, reused */
};

int out_format_parse(const char *s, out_format *f)
{
	if (strcmp(s, "text") == 0)
		*f = OUT_TEXT;
	else if (strcmp(s, "tsv") == 0)
		*f = OUT_TSV;
	else if (strcmp(s, "json") == 0)
		*f = OUT_JSON;
	else if (strcmp(s, "nagios") == 0)
		*f = OUT_NAGIOS;
	else
		return cd_err("invalid format '%.20s': expected text, tsv, json or nagios", s);
	return 0;
}

int out_nagios(FILE *fp, int level, const char *text)
{
	static const char *const words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	char *clean;

	if (level < 0 || level > 3)
		level = 3;
	/* Nagios reads the first line only: a line break in an error becomes '?'. */
	clean = cd_sanitize(text);
	fprintf(fp, "CERTDESK %s - %s\n", words[level], clean);
	free(clean);
	return level;
}

out_table *out_begin(out_format f, FILE *fp, const char *const *cols, int ncols)
{
	out_table *t = calloc(1, sizeof *t);
	int i;

	if (!t)
		abort();
	t->f = f;
	t->fp = fp;
	t->ncols = ncols;
	t->cols = cd_malloc(sizeof *t->cols * (size_t)ncols);
	t->width = calloc((size_t)ncols, sizeof *t->width);
	t->numeric = calloc((size_t)ncols, sizeof *t->numeric);
	for (i = 0; i < ncols; i++) {
		t->numeric[i] = cols[i][0] == '#';
		t->cols[i] = cd_strdup(cols[i][0] == '#' ? cols[i] + 1 : cols[i]);
		t->width[i] = cd_text_width(t->cols[i]);
	}
	if (f == OUT_TSV)
		for (i = 0; i < ncols; i++)
			fprintf(fp, "%s%c", t->cols[i], i + 1 < ncols ? '\t' : '\n');
	if (f == OUT_JSON)
		fputc('[', fp);
	return t;
}

void out_json_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t n;

		if (c == '"' || c == '\\') {
			fprintf(fp, "\\%c", c);
		} else if (c == '\n') {
			fputs("\\n", fp);
		} else if (c < 0x20 || c == 0x7F) {
			fprintf(fp, "\\u%04x", c);
		} else if ((n = cd_utf8_char_len(s)) > 1 || c < 0x80) {
			fwrite(s, 1, n, fp);
			s += n - 1;
		} else {
			fputs("\\ufffd", fp); /* an older database may hold broken bytes */
		}
	}
	fputc('"', fp);
}

static void row_json(out_table *t, const char *const *vals)
{
	int i;

	fputs(t->rows ? ",\n{" : "\n{", t->fp);
	for (i = 0; i < t->ncols; i++) {
		const char *v = vals[i] ? vals[i] : "";
		if (i)
			fputc(',', t->fp);
		out_json_string(t->fp, t->cols[i]);
		fputc(':', t->fp);
		if (t->numeric[i] && *v)
			fputs(v, t->fp);
		else if (t->numeric[i])
			fputs("null", t->fp);
		else
			out_json_string(t->fp, v);
	}
	fputc('}', t->fp);
}

static void row_tsv(out_table *t, const char *const *vals)
{
	int i;

	t->line.len = 0;
	for (i = 0; i < t->ncols; i++) {
		cd_sanitize_into(&t->line, vals[i] ? vals[i] : "");
		cd_buf_putc(&t->line, i + 1 < t->ncols ? '\t' : '\n');
	}
	fwrite(t->line.s, 1, t->line.len, t->fp);
}

void out_row(out_table *t, const char *const *vals)
{
	int i;

	if (t->f == OUT_JSON) {
		row_json(t, vals);
	} else if (t->f == OUT_TSV) {
		row_tsv(t, vals);
	} else {
		if (t->ncells + (size_t)t->ncols > t->cap) {
			t->cap = t->cap ? t->cap * 2 : 256;
			t->cells = cd_realloc(t->cells, t->cap * sizeof *t->cells);
		}
		for (i = 0; i < t->ncols; i++) {
			char *c = cd_sanitize(vals[i] ? vals[i] : "");
			int w = cd_text_width(c);
			if (w > t->width[i])
				t->width[i] = w;
			t->cells[t->ncells++] = c;
		}
	}
	t->rows++;
}

/* Appends s padded to its column; the line's trailing blanks are cut when it ends. */
static void pad(cd_buf *line, const char *s, int width)
{
	int w = cd_text_width(s);

	cd_buf_puts(line, s);
	for (; w < width + 2; w++)
		cd_buf_putc(line, ' ');
}

static void end_line(FILE *fp, cd_buf *line)
{
	while (line->len && line->s[line->len - 1] == ' ')
		line->len--;
	fwrite(line->s, 1, line->len, fp);
	fputc('\n', fp);
	line->len = 0;
}

static void flush_text(out_table *t)
{
	size_t r;
	int i;

	if (!t->rows)
		return;
	for (i = 0; i < t->ncols; i++) {
		char *up = cd_strdup(t->cols[i]), *p;
		for (p = up; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		pad(&t->line, up, t->width[i]);
		free(up);
	}
	end_line(t->fp, &t->line);
	for (r = 0; r < t->ncells; r += (size_t)t->ncols) {
		for (i = 0; i < t->ncols; i++)
			pad(&t->line, t->cells[r + (size_t)i], t->width[i]);
		end_line(t->fp, &t->line);
	}
}

static long finish(out_table *t, int complete)
{
	long rows = t->rows;
	size_t i;
	int c;

	if (complete && t->f == OUT_TEXT)
		flush_text(t);
	if (complete && t->f == OUT_JSON)
		fputs(t->rows ? "\n]\n" : "]\n", t->fp);
	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	for (c = 0; c < t->ncols; c++)
		free(t->cols[c]);
	free(t->cells);
	free(t->cols);
	free(t->width);
	free(t->numeric);
	cd_buf_free(&t->line);
	free(t);
	return rows;
}

long out_end(out_table *t)
{
	return finish(t, 1);
}

void out_abort(out_table *t)
{
	finish(t, 0);
}
