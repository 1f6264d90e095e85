/* fuzz_conf.c: settings validation (src/conf.h) and the field checks it is built on
 * (src/util.h: cd_check_field, cd_parse_int, cd_check_country, and the user, email,
 * task and date checks), plus cd_sanitize, which every error message goes through.
 *
 * Input: one byte choosing a setting of conf_table (past its end: the text up to the
 * first NUL is the key), then the value.  Checks: an accepted value passes
 * cd_check_field and the rule of its kind (a number in range, one of the choices, an
 * absolute directory, a relative repository path, an http(s) URL, a pkcs11: URI without
 * a query, an absolute module path); an accepted date
 * formats back to itself; sanitised text is UTF-8 without control characters. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static size_t conf_count(void)
{
	size_t n = 0;

	while (conf_table[n].key)
		n++;
	return n;
}

static int is_choice(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	for (; p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
		if (strncmp(p, v, n) == 0 && (p[n] == '|' || p[n] == '\0'))
			return 1;
	return 0;
}

static int repo_path_ok(const char *v)
{
	return *v && v[0] != '/' && !strstr(v, "..") && !strstr(v, "//") &&
	       v[strlen(v) - 1] != '/' && strspn(v, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./-_") == strlen(v);
}

/* What an accepted value of d must be, whatever the code that accepted it. */
static void check_accepted(const conf_def *d, const char *v)
{
	long n;
	char *end;

	FUZZ_CHECK(cd_check_field(d->key, v) == 0);
	if (strcmp(d->kind, "int") == 0) {
		n = strtol(v, &end, 10);
		FUZZ_CHECK(*v && !*end && n >= d->min && n <= d->max);
	} else if (strcmp(d->kind, "enum") == 0) {
		FUZZ_CHECK(is_choice(d->choices, v));
	} else if (strcmp(d->kind, "country") == 0) {
		FUZZ_CHECK(!*v || cd_check_country(v) == 0);
	} else if (strcmp(d->kind, "dir") == 0) {
		FUZZ_CHECK(!*v || v[0] == '/');
	} else if (strcmp(d->kind, "branch") == 0 || strcmp(d->kind, "path") == 0) {
		FUZZ_CHECK(repo_path_ok(v));
	} else if (strcmp(d->kind, "pkcs11") == 0) {
		FUZZ_CHECK(!*v || (!strncmp(v, "pkcs11:", 7) && !strchr(v, '?')));
	} else if (strcmp(d->kind, "module") == 0) {
		FUZZ_CHECK(!*v || v[0] == '/');
	}
	if (strcmp(d->key, "phab.url") == 0)
		FUZZ_CHECK(!strncmp(v, "https://", 8) || !strncmp(v, "http://", 7));
}

static void check_sanitize(const char *s)
{
	char *clean = cd_sanitize(s);
	size_t i, n = strlen(clean);

	FUZZ_CHECK(cd_utf8_valid(clean, n));
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)clean[i] >= 0x20 && clean[i] != 0x7F);
	FUZZ_CHECK(n == 0 || cd_check_field("sanitised", clean) == 0 || n > 256);
	free(clean);
}

static void check_fields(const char *v)
{
	int64_t t;
	char back[16];
	long n;

	if (cd_parse_date(v, &t) == 0) {
		cd_format_date(t, back);
		FUZZ_CHECK(strcmp(back, v) == 0 && t % CD_DAY == 0);
	}
	if (cd_parse_int("n", v, -1000, 1000, &n) == 0)
		FUZZ_CHECK(n >= -1000 && n <= 1000);
	if (cd_check_email(v) == 0)
		FUZZ_CHECK(strchr(v, '@') && !strpbrk(v, " ,<>"));
	if (cd_check_user(v) == 0)
		FUZZ_CHECK(strlen(v) <= 64 && !strchr(v, '/'));
	if (cd_check_task(v) == 0)
		FUZZ_CHECK(v[0] == 'T' && strlen(v) <= 20);
	check_sanitize(v);
	check_sanitize(cd_errmsg());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = conf_count(), pick = size ? data[0] : 0;
	const char *key, *value;
	const conf_def *d;
	fuzz_parts p;

	fuzz_split(size ? data + 1 : data, size ? size - 1 : 0, "", 1, &p);
	key = pick < n ? conf_table[pick].key : p.part[0];
	value = pick < n ? p.part[0] : fuzz_part(&p, 1, "");
	d = conf_find(key);
	FUZZ_CHECK(pick >= n || d == &conf_table[pick]);
	if (conf_check(key, value) == 0) {
		FUZZ_CHECK(d != NULL);
		check_accepted(d, value);
	}
	check_fields(value);
	fuzz_parts_free(&p);
	return 0;
}
