/* metrics.h: the home's state for monitoring: Prometheus text exposition (format 0.0.4,
 * for node_exporter's textfile collector) and the Nagios plugin line of expirecheck.
 * Judged on d->now, with the stages and health the listings and expirecheck use. */
#ifndef CD_METRICS_H
#define CD_METRICS_H

#include <stddef.h>

#include "cycle.h"
#include "desk.h"
#include "publish.h"
#include "util.h"

/* Appends the exposition of the home to out. 0, or -1 with cd_err(). */
int metrics_text(desk *d, cd_buf *out);
/* The exposition on standard output (path NULL), or in path, replaced atomically so a
 * scraper never reads half a file; a directory is refused. */
int metrics_write(desk *d, const char *path);
/* Appends s as a label value, quotes included: backslash, double quote and line feed
 * escaped as the format requires. */
void metrics_label(cd_buf *out, const char *s);

/* What expirecheck found, for the Nagios line: users per stage. */
typedef struct {
	size_t due[STAGE_COUNT];
} metrics_due;

/*
 * The Nagios plugin's status as a level (0 OK, 1 WARNING, 2 CRITICAL), and the text
 * after "CERTDESK LEVEL - ": "3 expiring, 1 expired; <health alarms> | expiring=3 ...".
 * An expired user or a locked-out team (h level 2) is critical, anything else due a
 * warning. Returns the level, or -1 with cd_err().
 */
int metrics_nagios(desk *d, const metrics_due *due, const publish_alarms *h, cd_buf *text);

#endif
