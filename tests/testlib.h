/* testlib.h: helpers shared by the CUnit programs: temporary homes, running the real
 * certdesk binary and independent tools (openssl, git), and reading what they wrote. */
#ifndef CD_TESTLIB_H
#define CD_TESTLIB_H

#include <CUnit/Basic.h>
#include <stddef.h>

typedef struct {
	int status;  /* exit code, or 128+signal */
	char *out;   /* standard output */
	char *err;   /* standard error */
} tl_result;

/* A fresh directory under $TMPDIR (or /tmp); removed by tl_cleanup() at exit. */
const char *tl_tmpdir(void);

/* Runs argv (NULL-terminated) with stdin from in (may be NULL). */
tl_result tl_run(const char *const argv[], const char *in);
/* Runs the certdesk under test ($CERTDESK_BIN) with --home home, then the arguments. */
tl_result tl_cd(const char *home, ...) __attribute__((sentinel));
/* The same with the arguments as one NULL-terminated array: tl_cdv(home, TL_ARGS("list")). */
tl_result tl_cdv(const char *home, const char *const *args);
#define TL_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
/* tl_cdv that must succeed (fatal otherwise, with what it printed); returns stdout. */
char *tl_cd_ok(const char *home, const char *const *args);
/* The certdesk under test: $CERTDESK_BIN, else ./certdesk. */
const char *tl_bin(void);
/* Runs a shell command line (for independent tools in checks; test code only). */
tl_result tl_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tl_free(tl_result *r);
/* 1 when r exited 0; else 0, with what it printed on stderr for the test log. */
int tl_ok_or_report(tl_result *r, const char *what);
/* The day that is days from the clock, YYYY-MM-DD (malloc'd): for --as-of. */
char *tl_date_in(int days);
/* tl_sh's standard output alone (malloc'd), whatever the exit status. */
char *tl_sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A home made with `certdesk init` (EC CA, no passphrase), fresh each call. */
const char *tl_home(void);

/* The state a refused command must leave alone: a dump of the database, and every file
 * of the home and of out with mode, size and checksum (locks and -wal/-shm excepted). */
char *tl_snapshot(const char *home, const char *out);
/* Runs certdesk args on home and checks the refusal: non-zero exit, one line on stderr
 * containing want, nothing on stdout, and home and out unchanged. */
void tl_refused(const char *home, const char *out, const char *want, const char *const *args);
/* The same for a command that reports its progress on stdout before it refuses. */
void tl_refused_after_output(const char *home, const char *out, const char *want,
			     const char *const *args);

char *tl_read(const char *path);          /* NULL when unreadable */
int tl_mode(const char *path);            /* permission bits, -1 when missing */
int tl_contains(const char *hay, const char *needle);
long tl_count_lines(const char *s);

/* Registers suites given as {name, tests[]} and runs them with CUnit's basic runner,
 * returning non-zero when anything failed. */
typedef struct {
	const char *name;
	CU_TestInfo *tests;
} tl_suite;
int tl_main(const tl_suite *suites);

#endif
