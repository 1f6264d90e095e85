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

/* Called once per serial, at its first appearance. when = the log line's time, or 0. */
typedef void (*seen_hit_fn)(void *ctx, void *tag, const char *serial, int64_t when);

typedef struct {
	uint64_t bytes, lines, skipped; /* skipped: lines that could not be read (binary, too long) */
	uint64_t hits;
	int truncated;                  /* a .gz file ended early */
} seen_stats;

/*
 * Scans one log ("-" for standard input; gzip recognised by its magic bytes, not its
 * name). Log format free: a serial is a run of hex digits bounded by non-hex bytes, as
 * nginx's $ssl_client_serial and Apache's %{SSL_CLIENT_M_SERIAL}x print it. Times read:
 * [27/Nov/2026:21:46:58 +0000] (common log format) and ISO 8601.
 */
int seen_scan(seen_set *s, const char *path, seen_hit_fn fn, void *ctx, seen_stats *st);

#endif
