/* conf.h: the settings `certdesk config` lists, reads and sets: one table, with defaults
 * and validation, stored in the database. */
#ifndef CD_CONF_H
#define CD_CONF_H

#include "store.h"

typedef struct {
	const char *key;
	const char *def;   /* default value; "" for none */
	const char *kind;  /* "int", "enum", "text", "country", "url", "branch", "path", "dir",
	                    * "logfield" (see seen_set_field) */
	long min, max;     /* for int; for enum, see choices */
	const char *choices; /* for enum: "a|b" */
	const char *help;
} conf_def;

extern const conf_def conf_table[]; /* ends with key NULL */

const conf_def *conf_find(const char *key);
/* Validates a value for key: 0, or -1 with a message naming the key. */
int conf_check(const char *key, const char *value);
/* A value as it may be shown or recorded in the audit trail: a URL's password masked
 * (see cd_mask_urls). Returns a malloc'd string; the setting keeps the real value. */
char *conf_shown(const char *key, const char *value);
/* The stored value, else the default. Returns a malloc'd string. */
int conf_get(store *st, const char *key, char **value);
long conf_get_int(store *st, const char *key); /* default on any error */

#endif
