/* conf.c: settings table, defaults and validation. */
#include "conf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ca.h"
#include "probe.h"
#include "seen.h"
#include "token_uri.h"
#include "util.h"

const conf_def conf_table[] = {
	{"window.days", "14", "int", 1, 365, NULL,
	 "days before expiry when a certificate starts to count as expiring"},
	{"cert.days", "365", "int", 1, CA_CERT_DAYS_MAX, NULL, "validity of new client certificates, in days"},
	{"cert.key", "ec", "enum", 0, 0, CA_KEY_CHOICES, "key type of new client certificates (EC P-256 or RSA 3072)"},
	{"p12.profile", "compat", "enum", 0, 0, CA_P12_CHOICES,
	 "PKCS#12 encryption: compat (3DES, SHA-1 MAC: macOS, older Windows) or modern (AES-256)"},
	{"out.dir", "", "dir", 0, 0, NULL,
	 "where .p12 and .pw files are written; empty for the operator's $HOME"},
	{"default.org", "", "text", 0, 0, NULL, "O of new certificates unless --org is given"},
	{"default.ou", "", "text", 0, 0, NULL, "OU of new certificates unless --ou is given"},
	{"default.location", "", "text", 0, 0, NULL, "L of new certificates unless --location is given"},
	{"default.country", "", "country", 0, 0, NULL, "C of new certificates unless --country is given"},
	{"phab.url", "https://phabricator.wikimedia.org", "url", 0, 0, NULL,
	 "Phabricator base URL for the task link"},
	{"phab.form", "1", "int", 1, 1000000, NULL, "Phabricator task form id"},
	{"phab.projects", "fundraising-tech-ops", "text", 0, 0, NULL,
	 "projects tagged on the task (comma-separated)"},
	{"phab.subscribers", "", "text", 0, 0, NULL, "subscribers of the task (comma-separated)"},
	{"notify.overdue_days", "5", "int", 1, 365, NULL,
	 "days after the mail when a user who has not renewed counts as overdue (a reminder)"},
	{"apply.overdue_days", "7", "int", 1, 365, NULL,
	 "days after a renewal when a user who has not applied the new certificate is overdue"},
	{"crl.days", "30", "int", 1, 366, NULL, "validity of a signed CRL (nextUpdate), in days"},
	{"crl.refresh_days", "7", "int", 1, 365, NULL,
	 "re-sign the CRL when its nextUpdate is this close"},
	{"ca.warn_days", "548", "int", 1, 36500, NULL,
	 "warn this many days before the CA certificate expires (a renewal cycle takes a year)"},
	{"ca.pkcs11_uri", "", "pkcs11", 0, 0, NULL,
	 "the PKCS#11 token holding the CA key (RFC 7512 URI, no PIN); empty: the key file "
	 "ca/ca.key (set by init --pkcs11 and ca move-to-token)"},
	{"ca.pkcs11_module", "", "module", 0, 0, NULL,
	 "the PKCS#11 module of that token; empty: p11-kit's proxy, which loads what the host "
	 "has configured"},
	{"crl.remote", "", "url", 0, 0, NULL,
	 "the team's git repository holding the CRL (path or URL); empty: not published"},
	{"crl.branch", "main", "branch", 0, 0, NULL, "branch the CRL is published on"},
	{"crl.path", "crl.pem", "path", 0, 0, NULL, "path of the CRL file in that repository"},
	{"crl.bundle_path", "ca-bundle.pem", "path", 0, 0, NULL,
	 "path of the CA certificate in that repository, for the servers"},
	{"audit.syslog", "off", "enum", 0, 0, "off|on",
	 "also send every audit entry to syslog (LOG_AUTHPRIV, read by journald) once recorded"},
	{"seen.field", "", "logfield", 0, 0, NULL,
	 "where access logs hold the client certificate's serial (a key or a field number); "
	 "empty: a key ending in serial, else the last field"},
	{"probe.targets", "", "targets", 0, 0, NULL,
	 "servers certdesk probe checks, comma-separated: https://host[:port][/path] or "
	 "host:port (plain TLS); set: canaries go into each CRL"},
	{"probe.enabled", "off", "enum", 0, 0, "off|on",
	 "canaries in each CRL although probe.targets is empty (targets given to probe)"},
	{"probe.canary_days", "0", "int", 0, 366, NULL,
	 "validity of a canary certificate, in days; 0: crl.days + 4"},
	{"probe.grace_hours", "4", "int", 0, 8760, NULL,
	 "hours after a push during which a server on the previous CRL is not yet late"},
	{"probe.limit_hours", "48", "int", 1, 87600, NULL,
	 "hours after a push past which a server on an older CRL is critical"},
	{"probe.timeout", "5", "int", 1, 300, NULL, "seconds each probe connection may take"},
	{NULL, NULL, NULL, 0, 0, NULL, NULL},
};

const conf_def *conf_find(const char *key)
{
	const conf_def *d;

	for (d = conf_table; d->key; d++)
		if (strcmp(d->key, key) == 0)
			return d;
	return NULL;
}

/* What git itself refuses, caught here rather than at the next publish: in a branch,
 * a part starting with '.' or ending in ".lock", or a trailing '.'; in a path, a part
 * "." or ".git" (any case), which git will not check out. */
static int check_repo_parts(const conf_def *d, const char *v)
{
	int branch = strcmp(d->kind, "branch") == 0;
	const char *p = v, *slash;
	size_t n;

	do {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if ((branch && (p[0] == '.' || (n >= 5 && !strncmp(p + n - 5, ".lock", 5)))) ||
		    (!branch && ((n == 1 && p[0] == '.') || (n == 4 && !strncasecmp(p, ".git", 4)))))
			return cd_err("%s: '%.80s' is not a name git accepts (part '%.*s')", d->key, v,
				      (int)n, p);
		if (slash)
			p = slash + 1;
	} while (slash);
	if (branch && v[strlen(v) - 1] == '.')
		return cd_err("%s: '%.80s' is not a name git accepts (ends with '.')", d->key, v);
	return 0;
}

/* Relative paths in a repository: no "..", no leading '/', nothing odd. */
static int check_repo_path(const conf_def *d, const char *v)
{
	const char *p;

	if (!*v || v[0] == '/' || strstr(v, "..") || strstr(v, "//") || v[strlen(v) - 1] == '/')
		return cd_err("%s: '%.80s' must be a relative path inside the repository", d->key, v);
	for (p = v; *p; p++)
		if (!(*p == '/' || *p == '.' || *p == '-' || *p == '_' ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return cd_err("%s: '%.80s' may hold only letters, digits, '.', '-', '_' and '/'",
				      d->key, v);
	return check_repo_parts(d, v);
}

/* A URL, echoed in messages with any password masked. */
static int check_url(const char *key, const char *v)
{
	char *shown = cd_mask_urls(v), *secret = cd_url_secret(v);
	int rc = 0;
	size_t n = secret ? strlen(secret) : 0;

	/* The mask pasted back, as shown now (***@) or by earlier versions (user:***@). */
	if (secret && (strcmp(secret, "***") == 0 || (n > 4 && !strcmp(secret + n - 4, ":***"))))
		rc = cd_err("%s: '%.80s' holds the mask certdesk shows instead of a password: give "
			    "the real one, or better an ssh URL and a key in ssh-agent", key, shown);
	/* The base goes into every task link: cron mail, teammates' screens, the task. */
	else if (strcmp(key, "phab.url") == 0 && secret)
		rc = cd_err("%s: '%.80s' holds a credential, which would be in every task link",
			    key, shown);
	else if (strcmp(key, "phab.url") == 0 && strncmp(v, "https://", 8) != 0 &&
		 strncmp(v, "http://", 7) != 0)
		rc = cd_err("%s: '%.80s' must start with https:// or http://", key, shown);
	/* The base goes into every task link as it is: a space or a quote would cut it. */
	else if (strcmp(key, "phab.url") == 0 && strpbrk(v, " \"<>\\^`{|}"))
		rc = cd_err("%s: '%.80s' holds a character a URL cannot (space, quote, <, >...)",
			    key, shown);
	free(shown);
	free(secret);
	return rc;
}

char *conf_shown(const char *key, const char *value)
{
	const conf_def *d = conf_find(key);

	return d && strcmp(d->kind, "url") == 0 ? cd_mask_urls(value) : cd_strdup(value);
}

int conf_check(const char *key, const char *v)
{
	const conf_def *d = conf_find(key);
	token_uri u;
	long n;

	if (!d)
		return cd_err("unknown setting '%.60s' (see certdesk config)", key);
	if (cd_check_field(key, v) < 0)
		return -1;
	if (strcmp(d->kind, "int") == 0)
		return cd_parse_int(key, v, d->min, d->max, &n);
	if (strcmp(d->kind, "enum") == 0)
		return cd_check_choice(key, d->choices, v);
	if (strcmp(d->kind, "country") == 0 && *v && cd_check_country(v) < 0)
		return cd_err("%s: %s", key, cd_errmsg());
	if (strcmp(d->kind, "country") == 0)
		return 0;
	if (strcmp(d->kind, "logfield") == 0 && seen_field_check(v) < 0)
		return cd_err("%s: %s", key, cd_errmsg());
	if (strcmp(d->kind, "url") == 0)
		return check_url(key, v);
	if (strcmp(d->kind, "targets") == 0)
		return probe_targets_check(v);
	if (strcmp(d->kind, "branch") == 0 || strcmp(d->kind, "path") == 0)
		return check_repo_path(d, v);
	if (strcmp(d->kind, "pkcs11") == 0 && *v && token_uri_parse(v, &u) < 0)
		return cd_err("%s: %s", key, cd_errmsg());
	if (strcmp(d->kind, "module") == 0 && *v && v[0] != '/')
		return cd_err("%s: '%.80s' must be an absolute path of a PKCS#11 module", key, v);
	if (strcmp(d->kind, "dir") == 0 && *v && v[0] != '/')
		return cd_err("%s: '%.80s' must be an absolute directory path", key, v);
	return 0;
}

int conf_get(store *st, const char *key, char **value)
{
	const conf_def *d = conf_find(key);

	if (!d)
		return cd_err("unknown setting '%.60s'", key);
	if (store_setting_get(st, key, value) < 0)
		return -1;
	if (!*value)
		*value = cd_strdup(d->def);
	return 0;
}

long conf_get_int(store *st, const char *key)
{
	const conf_def *d = conf_find(key);
	char *v = NULL;
	long n = d ? strtol(d->def, NULL, 10) : 0;

	if (d && conf_get(st, key, &v) == 0 && cd_parse_int(key, v, d->min, d->max, &n) < 0)
		n = strtol(d->def, NULL, 10);
	free(v);
	return n;
}
