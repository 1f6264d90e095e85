/* fuzz_probe.c: the probe target parser (src/probe.h: probe_target_parse, and
 * probe_targets_split / probe_targets_check, which probe.targets goes through).
 *
 * Input: any bytes: one target (with its length, NULs included), then the same bytes as
 * a list up to the first NUL.  Checks: an accepted target has a host of host-name or
 * IPv6 characters, a port from 1 to 65535, a path only when https (starting with '/',
 * printable ASCII without spaces), and a shown text without control characters; it
 * parses again from its shown text to the same parts; a list split accepts exactly when
 * the check does, with no more than PROBE_TARGETS_MAX targets. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void judge_target(const probe_target *t)
{
	const char *p;
	long port = strtol(t->port, NULL, 10);

	FUZZ_CHECK(t->host[0] != '\0');
	for (p = t->host; *p; p++)
		FUZZ_CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:",
				  *p) != NULL);
	FUZZ_CHECK(port >= 1 && port <= 65535);
	FUZZ_CHECK(t->https ? t->path[0] == '/' : t->path[0] == '\0');
	for (p = t->path; *p; p++)
		FUZZ_CHECK((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f);
	for (p = t->text; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= ' ' && (unsigned char)*p < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = cd_strndup((const char *)data, size);
	probe_target t, again, *v = NULL;
	size_t n = 0, i;
	int split, check;

	if (probe_target_parse((const char *)data, size, &t) == 0) {
		judge_target(&t);
		if (strlen(t.text) == size) {
			FUZZ_CHECK(probe_target_parse(t.text, strlen(t.text), &again) == 0);
			FUZZ_CHECK(strcmp(again.host, t.host) == 0 && strcmp(again.port, t.port) == 0 &&
				   strcmp(again.path, t.path) == 0 && again.https == t.https);
		}
	}
	split = probe_targets_split(text, &v, &n);
	check = probe_targets_check(text);
	FUZZ_CHECK(split == check);
	FUZZ_CHECK(split < 0 ? v == NULL && n == 0 : n <= PROBE_TARGETS_MAX);
	for (i = 0; i < n; i++)
		judge_target(&v[i]);
	free(v);
	free(text);
	return 0;
}
