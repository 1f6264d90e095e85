/* seen.h: finds client-certificate serials in web server access logs. */
#ifndef CD_SEEN_H
#define CD_SEEN_H

#include <stddef.h>
#include <stdint.h>

typedef struct seen_set seen_set; /* the serials to look for */

seen_set *seen_set_new(void);
void seen_set_free(seen_set *s);
/* serial: hex, any case; leading zero bytes are ignored when matching. */
void seen_set_add(seen_set *s, const char *serial, void *tag);

/*
 * Where a line names the client certificate's serial: "" (the default) for the value of
 * the last key=value field whose key ends in "serial" (ssl_client_serial=$ssl_client_serial,
 * serial=%{SSL_CLIENT_M_SERIAL}x) that is not before the [time stamp] (where a client
 * writes $remote_user), or, on a line with none, its last field; a name for the
 * key=value field (or JSON member) of that name; a number N for the Nth field.
 * Fields are split at blanks; a "quoted string" or a [time stamp] is one field. The
 * value counts only whole, and never inside a quoted string such as the request, the
 * referer or the user agent. Returns 0, or -1 with a message.
 */
int seen_field_check(const char *spec);
int seen_set_field(seen_set *s, const char *spec);

/* Called once per serial, at its first appearance. when = the log line's time, or 0. */
typedef void (*seen_hit_fn)(void *ctx, void *tag, const char *serial, int64_t when);

typedef struct {
	uint64_t bytes, lines, skipped; /* skipped: lines that could not be read (binary, too long) */
	uint64_t hits;
	uint64_t ignored;               /* lines naming an awaited serial outside the serial field */
	int truncated;                  /* a .gz file ended early */
} seen_stats;

/*
 * Scans one log ("-" for standard input; gzip recognised by its magic bytes, not its
 * name) for the serials in s, where seen_set_field says a line holds one: hex digits, as
 * nginx's $ssl_client_serial and Apache's %{SSL_CLIENT_M_SERIAL}x print them, with or
 * without leading 00. Times read: [27/Nov/2026:21:46:58 +0000] (common log format) and
 * ISO 8601.
 */
int seen_scan(seen_set *s, const char *path, seen_hit_fn fn, void *ctx, seen_stats *st);

#endif
