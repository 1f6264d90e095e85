/* testlib.c: see testlib.h. */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

static char base[512];
static int ndirs;

static void tl_cleanup(void)
{
	char cmd[600];

	if (base[0] && !getenv("TL_KEEP")) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", base);
	}
}

const char *tl_tmpdir(void)
{
	static char dir[600];
	const char *t = getenv("TMPDIR");

	if (!base[0]) {
		snprintf(base, sizeof base, "%s/certdesk-test.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(base)) {
			perror("mkdtemp");
			exit(2);
		}
		chmod(base, 0755);
		atexit(tl_cleanup);
	}
	snprintf(dir, sizeof dir, "%s/%d", base, ++ndirs);
	if (mkdir(dir, 0755) < 0) {
		perror(dir);
		exit(2);
	}
	return dir;
}

static char *slurp_fd(int fd)
{
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, s + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2)
			s = realloc(s, cap *= 2);
	}
	s[len] = '\0';
	return s;
}

static int tmpfile_fd(void)
{
	char path[] = "/tmp/tl-io.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		exit(2);
	}
	unlink(path);
	return fd;
}

/* posix_spawn rather than fork: a sanitizer-built test process is large, and copying
 * its page tables for every command dominated the suite's time under ASan. */
static pid_t spawn(const char *const argv[], int ifd, int ofd, int efd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	int rc;

	posix_spawn_file_actions_init(&fa);
	if (ifd >= 0)
		posix_spawn_file_actions_adddup2(&fa, ifd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		dprintf(efd, "exec %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	return pid;
}

tl_result tl_run(const char *const argv[], const char *in)
{
	tl_result r = {0};
	int ofd = tmpfile_fd(), efd = tmpfile_fd(), ifd = -1, st = 127 << 8;
	pid_t pid;

	if (in) {
		ifd = tmpfile_fd();
		if (write(ifd, in, strlen(in)) < 0)
			exit(2);
		lseek(ifd, 0, SEEK_SET);
	}
	fflush(NULL);
	if ((pid = spawn(argv, ifd, ofd, efd)) > 0)
		waitpid(pid, &st, 0);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = slurp_fd(ofd);
	r.err = slurp_fd(efd);
	close(ofd);
	close(efd);
	if (ifd >= 0)
		close(ifd);
	return r;
}

const char *tl_bin(void)
{
	const char *b = getenv("CERTDESK_BIN");

	return b && *b ? b : "./certdesk";
}

tl_result tl_cdv(const char *home, const char *const *args)
{
	const char *argv[64];
	int n = 0;

	argv[n++] = tl_bin();
	argv[n++] = "--home";
	argv[n++] = home;
	while (*args && n < 63)
		argv[n++] = *args++;
	argv[n] = NULL;
	return tl_run(argv, NULL);
}

char *tl_cd_ok(const char *home, const char *const *args)
{
	tl_result r = tl_cdv(home, args);
	char *out = r.out;

	if (r.status != 0)
		fprintf(stderr, "\n%s: exit %d\nstdout: %s\nstderr: %s\n", args[0], r.status, r.out,
			r.err);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	r.out = NULL;
	tl_free(&r);
	return out;
}

tl_result tl_cd(const char *home, ...)
{
	const char *args[61];
	int n = 0;
	va_list ap;
	const char *a;

	va_start(ap, home);
	while ((a = va_arg(ap, const char *)) && n < 60)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	return tl_cdv(home, args);
}

tl_result tl_sh(const char *fmt, ...)
{
	char cmd[8192];
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return tl_run(argv, NULL);
}

void tl_free(tl_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *tl_home(void)
{
	static char home[700];
	tl_result r;

	snprintf(home, sizeof home, "%s/home", tl_tmpdir());
	r = tl_cd(home, "init", "--cn", "Test CA", NULL);
	if (r.status != 0) {
		fprintf(stderr, "certdesk init failed: %s\n", r.err);
		exit(2);
	}
	tl_free(&r);
	return home;
}

char *tl_snapshot(const char *home, const char *out)
{
	tl_result r = tl_sh("sqlite3 '%s/certdesk.db' .dump 2>&1 || md5sum '%s/certdesk.db'; "
			    "find '%s' '%s' ! -name .lock ! -name '*-wal' ! -name '*-shm' "
			    "-printf '%%p %%m %%s\\n' | sort; find '%s' '%s' -type f ! -name .lock "
			    "! -name 'certdesk.db*' -exec md5sum {} + | sort",
			    home, home, home, out, home, out);
	char *s = r.out;

	r.out = NULL;
	tl_free(&r);
	return s;
}

static void check_refusal(const char *home, const char *out, const char *want,
			  const char *const *args, int quiet_out)
{
	char *before = tl_snapshot(home, out), *after;
	tl_result r = tl_cdv(home, args);
	int good = r.status != 0 && r.status < 128 && tl_count_lines(r.err) == 1 &&
		   tl_contains(r.err, want) && (!quiet_out || !*r.out);

	after = tl_snapshot(home, out);
	if (!good || strcmp(before, after) != 0) {
		int i;
		fprintf(stderr, "\nrefusal expected (\"%s\") for:", want);
		for (i = 0; args[i]; i++)
			fprintf(stderr, " [%s]", args[i]);
		fprintf(stderr, "\nexit %d\nstdout: %s\nstderr: %s\n%s\n", r.status, r.out, r.err,
			strcmp(before, after) ? "AND THE HOME CHANGED" : "");
	}
	CU_ASSERT(good);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	tl_free(&r);
}

void tl_refused(const char *home, const char *out, const char *want, const char *const *args)
{
	check_refusal(home, out, want, args, 1);
}

void tl_refused_after_output(const char *home, const char *out, const char *want,
			     const char *const *args)
{
	check_refusal(home, out, want, args, 0);
}

char *tl_read(const char *path)
{
	int fd = open(path, O_RDONLY);
	char *s;

	if (fd < 0)
		return NULL;
	s = slurp_fd(fd);
	close(fd);
	return s;
}

int tl_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

int tl_contains(const char *hay, const char *needle)
{
	return hay && needle && strstr(hay, needle) != NULL;
}

long tl_count_lines(const char *s)
{
	long n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

int tl_main(const tl_suite *suites)
{
	unsigned fails;
	int fd;

	/* Started with stdin closed (as CI may), the first file opened would become fd 0. */
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (; suites->name; suites++) {
		CU_pSuite s = CU_add_suite(suites->name, NULL, NULL);
		CU_TestInfo *t;
		for (t = suites->tests; t->pName; t++)
			CU_add_test(s, t->pName, t->pTestFunc);
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}

char *tl_sh_out(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	tl_result r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	r = tl_sh("%s", cmd);
	free(r.err);
	return r.out;
}

int tl_ok_or_report(tl_result *r, const char *what)
{
	if (r->status != 0)
		fprintf(stderr, "\n%s: exit %d\nstdout: %s\nstderr: %s\n", what, r->status, r->out,
			r->err);
	return r->status == 0;
}

char *tl_date_in(int days)
{
	char d[16];

	cd_format_date(cd_now() + days * CD_DAY, d);
	return cd_strdup(d);
}
