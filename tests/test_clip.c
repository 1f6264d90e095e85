/* test_clip.c: OSC 52 sequences decoded back by the base64 binary, copies through a
 * private tmux server checked with `tmux show-buffer`, and the /dev/tty fallback run
 * on a real pseudo-terminal whose output is read from the master side. */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "clip.h"
#include "util.h"

static const char *task_link =
	"https://phabricator.example.org/maniphest/task/edit/form/1/?title=Renew%20client"
	"%20certificate%20for%20jdoe&description=Expires%202025-03-14&projects=fr-tech-ops";

static char *b64_decode(const char *payload)
{
	const char *argv[] = {"base64", "-d", NULL};
	tl_result r = tl_run(argv, payload);
	char *out = r.status == 0 ? cd_strdup(r.out) : NULL;

	if (r.status != 0)
		fprintf(stderr, "base64 -d: %s\n", r.err);
	tl_free(&r);
	return out;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The payload of a plain OSC 52 sequence, or NULL when the framing is wrong. */
static char *plain_payload(const char *seq, size_t len)
{
	const char *head = "\033]52;c;";

	if (len < strlen(head) + 1 || strncmp(seq, head, strlen(head)) != 0 ||
	    seq[len - 1] != '\a')
		return NULL;
	return cd_strndup(seq + strlen(head), len - strlen(head) - 1);
}

/* Joins the DCS pieces of a screen-wrapped sequence, checking each piece's framing
 * and size; NULL when anything is off. */
static char *screen_payload(const char *seq, int *pieces)
{
	cd_buf b = {0};
	const char *p = seq, *end;
	size_t n;

	*pieces = 0;
	while (*p) {
		if (strncmp(p, "\033P", 2) != 0)
			goto bad;
		p += 2;
		end = strstr(p, "\033\\");
		if (!end)
			goto bad;
		n = (size_t)(end - p);
		if (*pieces == 0) {
			if (strncmp(p, "\033]52;c;", 7) != 0)
				goto bad;
			p += 7, n -= 7;
		}
		if (end[2] == '\0') {
			if (n == 0 || p[n - 1] != '\a')
				goto bad;
			n--;
		}
		if (n > CLIP_SCREEN_CHUNK || memchr(p, '\033', n) || memchr(p, '\a', n))
			goto bad;
		cd_buf_add(&b, p, n);
		(*pieces)++;
		p = end + 2;
	}
	return cd_buf_take(&b);
bad:
	cd_buf_free(&b);
	return NULL;
}

static void check_plain(const char *text)
{
	cd_buf seq = {0};
	char *payload, *dec;

	CU_ASSERT_EQUAL_FATAL(clip_osc52(text, 0, &seq), 0);
	payload = plain_payload(seq.s, seq.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(payload);
	CU_ASSERT_PTR_NULL(strchr(payload, '\n'));
	dec = b64_decode(payload);
	CU_ASSERT_PTR_NOT_NULL(dec);
	CU_ASSERT_STRING_EQUAL(dec ? dec : "", text);
	free(dec);
	free(payload);
	cd_buf_free(&seq);
}

static void test_osc52_plain(void)
{
	check_plain(task_link);
	check_plain("mailto:jose@example.org?subject=Zertifikat%20f%C3%BCr%20Jos%C3%A9");
	check_plain("José Müller 日本");
	check_plain("a");
}

static char *repeat(const char *unit, size_t n)
{
	cd_buf b = {0};

	while (n--)
		cd_buf_puts(&b, unit);
	return cd_buf_take(&b);
}

static void check_screen(const char *text, int want_pieces)
{
	cd_buf seq = {0};
	char *payload, *dec;
	int pieces;

	CU_ASSERT_EQUAL_FATAL(clip_osc52(text, 1, &seq), 0);
	payload = screen_payload(seq.s, &pieces);
	CU_ASSERT_PTR_NOT_NULL_FATAL(payload);
	CU_ASSERT_EQUAL(pieces, want_pieces);
	dec = b64_decode(payload);
	CU_ASSERT_STRING_EQUAL(dec ? dec : "", text);
	free(dec);
	free(payload);
	cd_buf_free(&seq);
}

static void test_osc52_screen(void)
{
	char *t57 = repeat("x", 57), *t58 = repeat("y", 58), *big = repeat("0123456789", 100);

	check_screen("a", 1);
	check_screen(t57, 1);     /* exactly 76 base64 bytes */
	check_screen(t58, 2);     /* 80 */
	check_screen(task_link, 3);
	check_screen(big, 18);    /* 1336 base64 bytes */
	free(t57);
	free(t58);
	free(big);
}

static void test_refuses_controls(void)
{
	cd_buf seq = {0};
	char *huge = repeat("a", CLIP_MAX + 1);
	const char *bad[] = {
		"https://x/\033]52;c;ZXZpbA==\a", "line\nbreak", "tab\there", "del\x7f",
		"c1 \xC2\x9B" "31m", "not utf8 \xC3\x28", "", NULL,
	};
	int i;

	for (i = 0; bad[i]; i++) {
		CU_ASSERT_EQUAL(clip_osc52(bad[i], 0, &seq), -1);
		CU_ASSERT_EQUAL(clip_copy(bad[i], NULL, 0), -1);
	}
	CU_ASSERT_EQUAL(seq.len, 0);
	CU_ASSERT(tl_contains(cd_errmsg(), "nothing to copy"));
	CU_ASSERT_EQUAL(clip_check("a\033[2J"), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "control character"));
	CU_ASSERT_EQUAL(clip_check(huge), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "too long"));
	huge[CLIP_MAX] = '\0';
	CU_ASSERT_EQUAL(clip_osc52(huge, 0, &seq), 0);
	CU_ASSERT(seq.len <= 100000);
	cd_buf_free(&seq);
	free(huge);
}

/* ---- clip_copy through a private tmux server ---- */

static char tmux_sock[64];

/* The server outlives a failed assertion otherwise. */
static void tmux_stop(void)
{
	tl_result r;

	if (!tmux_sock[0])
		return;
	r = tl_sh("tmux -L %s kill-server; rm -f \"${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/%s\"",
		  tmux_sock, tmux_sock);
	tl_free(&r);
	tmux_sock[0] = '\0';
}

static void test_copy_tmux(void)
{
	char how[64] = "", *env;
	const char *texts[] = {task_link, "José Müller <jose@example.org>", NULL};
	tl_result r;
	int i, fds;

	snprintf(tmux_sock, sizeof tmux_sock, "certdesk-test-%d", (int)getpid());
	atexit(tmux_stop);
	r = tl_sh("tmux -L %s -f /dev/null new-session -d -x 80 -y 24", tmux_sock);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	r = tl_sh("tmux -L %s display-message -p '#{socket_path},#{pid},0'", tmux_sock);
	CU_ASSERT_EQUAL(r.status, 0);
	env = cd_strndup(r.out, strcspn(r.out, "\n"));
	tl_free(&r);
	setenv("TMUX", env, 1);
	unsetenv("STY");
	for (i = 0; texts[i]; i++) {
		fds = count_fds();
		CU_ASSERT_EQUAL(clip_copy(texts[i], how, sizeof how), 0);
		CU_ASSERT_STRING_EQUAL(how, "tmux buffer and clipboard");
		CU_ASSERT_EQUAL(count_fds(), fds);
		r = tl_sh("tmux -L %s show-buffer", tmux_sock);
		CU_ASSERT_STRING_EQUAL(r.out, texts[i]);
		tl_free(&r);
	}
	unsetenv("TMUX");
	tmux_stop();
	free(env);
}

/* want NULL: the file must not exist. */
static void check_file(const char *dir, const char *name, const char *want)
{
	char *path = cd_asprintf("%s/%s", dir, name), *got = tl_read(path);

	if (want) {
		CU_ASSERT_STRING_EQUAL(got ? got : "(missing)", want);
	} else {
		CU_ASSERT_PTR_NULL(got);
	}
	free(got);
	free(path);
}

/* A stand-in tmux proves the arguments and that nothing reaches a shell. */
static void test_copy_no_shell(void)
{
	const char *dir = tl_tmpdir();
	char *script = cd_asprintf("%s/tmux", dir), *path = cd_asprintf("%s:/usr/bin:/bin", dir);
	char *text = cd_asprintf("https://x/?q=$(touch %s/pwned);`touch %s/pwned2`;'\"", dir, dir);
	char *body = cd_asprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > %s/args\ncat > %s/stdin\n",
				 dir, dir);
	char *old_path = cd_strdup(getenv("PATH")), how[64];

	CU_ASSERT_EQUAL_FATAL(cd_write_secret(script, body, strlen(body)), 0);
	chmod(script, 0700);
	setenv("PATH", path, 1);
	setenv("TMUX", "/nonexistent,1,0", 1);
	CU_ASSERT_EQUAL(clip_copy(text, how, sizeof how), 0);
	setenv("PATH", old_path, 1);
	unsetenv("TMUX");
	check_file(dir, "args", "load-buffer\n-w\n-\n");
	check_file(dir, "stdin", text);
	check_file(dir, "pwned", NULL);
	check_file(dir, "pwned2", NULL);
	free(script), free(path), free(text), free(body), free(old_path);
}

/* ---- the /dev/tty fallback on a real pseudo-terminal ---- */

typedef struct {
	int status;    /* the child's wait status */
	int rc;        /* clip_copy's result */
	int fd_delta;  /* descriptors left open by clip_copy */
	char how[64];
	char err[300];
	cd_buf tty;    /* what reached the terminal */
} pty_run;

static void set_env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

static void __attribute__((noreturn)) pty_child(int rep, const char *text, const char *tmux,
					       const char *sty, const char *path)
{
	char how[64] = "", msg[512];
	int before, rc, n;

	set_env("TMUX", tmux);
	set_env("STY", sty);
	if (path)
		setenv("PATH", path, 1);
	before = count_fds();
	rc = clip_copy(text, how, sizeof how);
	n = snprintf(msg, sizeof msg, "%d\t%d\t%s\t%s", rc, count_fds() - before, how,
		     rc ? cd_errmsg() : "");
	if (write(rep, msg, (size_t)n) != n)
		_exit(3);
	_exit(0);
}

static void read_all(int fd, cd_buf *b)
{
	char chunk[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EIO once the child has closed the slave side */
		cd_buf_add(b, chunk, (size_t)n);
	}
}

static void parse_report(const char *msg, pty_run *r)
{
	const char *t1 = strchr(msg, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	const char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;

	r->rc = atoi(msg);
	if (!t3)
		return;
	r->fd_delta = atoi(t1 + 1);
	snprintf(r->how, sizeof r->how, "%.*s", (int)(t3 - t2 - 1), t2 + 1);
	snprintf(r->err, sizeof r->err, "%s", t3 + 1);
}

static void run_pty(pty_run *r, const char *text, const char *tmux, const char *sty,
		    const char *path)
{
	struct termios raw;
	cd_buf rep = {0};
	int master, pipefd[2];
	pid_t pid;

	memset(r, 0, sizeof *r);
	r->rc = -2;
	cfmakeraw(&raw);
	CU_ASSERT_FATAL(pipe(pipefd) == 0);
	fflush(NULL);
	pid = forkpty(&master, NULL, &raw, NULL);
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		pty_child(pipefd[1], text, tmux, sty, path);
	}
	close(pipefd[1]);
	read_all(master, &r->tty);
	read_all(pipefd[0], &rep);
	waitpid(pid, &r->status, 0);
	close(master);
	close(pipefd[0]);
	parse_report(rep.s ? rep.s : "", r);
	cd_buf_free(&rep);
}

static void check_tty_got(pty_run *r, const char *text, int screen)
{
	cd_buf want = {0};

	CU_ASSERT(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0);
	CU_ASSERT_EQUAL(r->rc, 0);
	CU_ASSERT_EQUAL(r->fd_delta, 0);
	CU_ASSERT_STRING_EQUAL(r->how, screen ? "OSC 52 via screen" : "OSC 52");
	clip_osc52(text, screen, &want);
	/* Exactly the sequence: no tmux error text, nothing else on the screen. */
	CU_ASSERT_EQUAL(r->tty.len, want.len);
	CU_ASSERT(r->tty.len == want.len && memcmp(r->tty.s, want.s, want.len) == 0);
	cd_buf_free(&want);
}

static void test_copy_osc52_tty(void)
{
	pty_run r;

	run_pty(&r, task_link, NULL, NULL, NULL);
	check_tty_got(&r, task_link, 0);
	cd_buf_free(&r.tty);
	run_pty(&r, task_link, NULL, "12345.pts-0.host", NULL);
	check_tty_got(&r, task_link, 1);
	cd_buf_free(&r.tty);
}

static void test_copy_tmux_fallback(void)
{
	const char *dir = tl_tmpdir();
	char *fake = cd_asprintf("%s/tmux", dir), *path = cd_asprintf("%s:/usr/bin:/bin", dir);
	const char *old = "#!/bin/sh\necho 'unknown flag -w' >&2\nexit 1\n";
	pty_run r;

	/* A server that is not there: tmux exits non-zero, saying so on stderr. */
	run_pty(&r, task_link, "/nonexistent/certdesk-sock,1,0", NULL, NULL);
	check_tty_got(&r, task_link, 0);
	cd_buf_free(&r.tty);
	/* A tmux too old for -w. */
	CU_ASSERT_EQUAL_FATAL(cd_write_secret(fake, old, strlen(old)), 0);
	chmod(fake, 0700);
	run_pty(&r, task_link, "/tmp/x,1,0", NULL, path);
	check_tty_got(&r, task_link, 0);
	cd_buf_free(&r.tty);
	free(fake);
	free(path);
}

/* No tmux on PATH and more text than a pipe holds: the write meets a closed pipe,
 * which must be an EPIPE handled, not a SIGPIPE killing the process. */
static void test_copy_sigpipe(void)
{
	char *text = repeat("https://example.org/", CLIP_MAX / 20);
	pty_run r;
	char *payload, *dec;

	CU_ASSERT(strlen(text) > 65536);
	run_pty(&r, text, "/tmp/x,1,0", NULL, "/nonexistent");
	CU_ASSERT_FALSE(WIFSIGNALED(r.status));
	check_tty_got(&r, text, 0);
	payload = plain_payload(r.tty.s ? r.tty.s : "", r.tty.len);
	dec = payload ? b64_decode(payload) : NULL;
	CU_ASSERT_STRING_EQUAL(dec ? dec : "", text);
	free(dec);
	free(payload);
	cd_buf_free(&r.tty);
	free(text);
}

/* No tmux and no controlling terminal (cron, a detached job): a clear error. */
static void test_copy_nowhere(void)
{
	int pipefd[2], st;
	cd_buf rep = {0};
	pid_t pid;
	pty_run r;

	CU_ASSERT_FATAL(pipe(pipefd) == 0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		setsid();
		pty_child(pipefd[1], task_link, "/nonexistent/sock,1,0", NULL, NULL);
	}
	close(pipefd[1]);
	read_all(pipefd[0], &rep);
	close(pipefd[0]);
	waitpid(pid, &st, 0);
	memset(&r, 0, sizeof r);
	parse_report(rep.s ? rep.s : "", &r);
	CU_ASSERT_EQUAL(r.rc, -1);
	CU_ASSERT_EQUAL(r.fd_delta, 0);
	CU_ASSERT(tl_contains(r.err, "tmux"));
	CU_ASSERT(tl_contains(r.err, "/dev/tty"));
	cd_buf_free(&rep);
}

int main(void)
{
	static CU_TestInfo osc52_tests[] = {
		{"plain sequence decodes back", test_osc52_plain},
		{"screen pieces decode back", test_osc52_screen},
		{"control characters refused", test_refuses_controls},
		CU_TEST_INFO_NULL,
	};
	static CU_TestInfo copy_tests[] = {
		{"tmux load-buffer", test_copy_tmux},
		{"no shell, exact argv", test_copy_no_shell},
		{"OSC 52 to /dev/tty", test_copy_osc52_tty},
		{"tmux failing falls back", test_copy_tmux_fallback},
		{"SIGPIPE survived", test_copy_sigpipe},
		{"no method left", test_copy_nowhere},
		CU_TEST_INFO_NULL,
	};
	const tl_suite suites[] = {
		{"osc52", osc52_tests},
		{"copy", copy_tests},
		{NULL, NULL},
	};

	return tl_main(suites);
}
