/* fuzzlib.c: see fuzz.h. */
#define _GNU_SOURCE
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include "util.h"

void fuzz_split(const uint8_t *data, size_t size, const char *sep, size_t seplen,
		fuzz_parts *p)
{
	const uint8_t *s = data, *end = data + size, *hit;

	memset(p, 0, sizeof *p);
	for (;;) {
		hit = p->n + 1 < FUZZ_MAX_PARTS ? memmem(s, (size_t)(end - s), sep, seplen) : NULL;
		p->len[p->n] = (size_t)((hit ? hit : end) - s);
		p->part[p->n] = cd_strndup((const char *)s, p->len[p->n]);
		p->n++;
		if (!hit)
			break;
		s = hit + seplen;
	}
}

const char *fuzz_part(const fuzz_parts *p, size_t i, const char *def)
{
	return i < p->n ? p->part[i] : def;
}

void fuzz_parts_free(fuzz_parts *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->part[i]);
	memset(p, 0, sizeof *p);
}

void fuzz_fail(const char *what, const char *file, int line)
{
	char *msg = cd_asprintf("fuzz: invariant failed: %s (%s:%d)", what, file, line);

	/* Through the sanitizer's report channel: under libFuzzer's -close_fd_mask=2 it
	 * still reaches the log, where stderr would not. */
	__sanitizer_report_error_summary(msg);
	abort();
}

static int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level > 0 && remove(path) < 0)
		fprintf(stderr, "fuzz: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

void fuzz_clear(const char *dir)
{
	nftw(dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *fuzz_dir;

static void fuzz_rm_tmpdir(void)
{
	fuzz_clear(fuzz_dir);
	rmdir(fuzz_dir);
}

const char *fuzz_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	if (fuzz_dir)
		return fuzz_dir;
	fuzz_dir = cd_asprintf("%s/certdesk-fuzz.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(fuzz_dir)) {
		fprintf(stderr, "fuzz: cannot create %s: %s\n", fuzz_dir, strerror(errno));
		abort();
	}
	setenv("TMPDIR", fuzz_dir, 1);
	atexit(fuzz_rm_tmpdir);
	return fuzz_dir;
}

void fuzz_write(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = cd_asprintf("%s/%s", dir, name), *slash = strrchr(path, '/');
	int fd;

	*slash = '\0';
	if (cd_mkdir_p(path, 0700) < 0) {
		fprintf(stderr, "fuzz: %s\n", cd_errmsg());
		abort();
	}
	*slash = '/';
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || cd_write_fd(fd, data, len) < 0 || close(fd) < 0) {
		fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
	free(path);
}
