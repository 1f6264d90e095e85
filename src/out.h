/* out.h: tables on standard output as aligned text, TSV or JSON; the Nagios plugin line. */
#ifndef CD_OUT_H
#define CD_OUT_H

#include <stdio.h>

/* OUT_NAGIOS is no table: expirecheck alone speaks it (one line, see out_nagios). */
typedef enum { OUT_TEXT, OUT_TSV, OUT_JSON, OUT_NAGIOS } out_format;
int out_format_parse(const char *s, out_format *f);

typedef struct out_table out_table;

/* Columns are named as in TSV headers and JSON keys; a name starting with '#' marks a
 * number (written bare in JSON), the '#' is not printed. */
out_table *out_begin(out_format f, FILE *fp, const char *const *cols, int ncols);
/* One row; values are copied (text is sanitised for the terminal). NULL prints "". */
void out_row(out_table *t, const char *const *vals);
/* Flushes (text aligns its columns here) and frees. Returns rows written. */
long out_end(out_table *t);
/* Frees a table whose rows failed part way: text prints nothing, JSON stays unclosed
 * (no parser takes it for the whole list); TSV rows already written stay written. */
void out_abort(out_table *t);

/* Writes s as a JSON string literal, quotes included. */
void out_json_string(FILE *fp, const char *s);

/* Nagios plugin output: "CERTDESK OK - text", the level 0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN (anything else is UNKNOWN too); text is made one line. Returns the level,
 * the plugin's exit code. */
int out_nagios(FILE *fp, int level, const char *text);

#endif
