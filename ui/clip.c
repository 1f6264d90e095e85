/* clip.c: see clip.h. */
#define _GNU_SOURCE /* pipe2, close_range */
#include "clip.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

int clip_check(const char *text)
{
	size_t n = strlen(text), i;
	const unsigned char *s = (const unsigned char *)text;

	if (n == 0)
		return cd_err("nothing to copy");
	if (n > CLIP_MAX)
		return cd_err("text to copy is too long (%zu bytes, at most %d)", n, CLIP_MAX);
	if (!cd_utf8_valid(text, n))
		return cd_err("text to copy is not valid UTF-8");
	for (i = 0; i < n; i++) {
		/* C0, DEL, and C1 (U+0080..U+009F, encoded C2 80..C2 9F). */
		if (s[i] < 0x20 || s[i] == 0x7F || (s[i] == 0xC2 && s[i + 1] < 0xA0))
			return cd_err("text to copy contains a control character (byte %zu)",
				      i + 1);
	}
	return 0;
}

/* Base64 without line breaks: EVP_EncodeBlock() never inserts any. */
static char *clip_base64(const char *text, size_t n)
{
	unsigned char *b = cd_malloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock(b, (const unsigned char *)text, (int)n);
	return (char *)b;
}

/*
 * GNU screen does not understand OSC 52 but hands the body of a DCS string to the
 * outer terminal untouched, up to a length limit; so the one OSC 52 sequence is sent
 * as several DCS strings, which the outer terminal sees joined back together.
 */
static void clip_screen_wrap(const char *b64, cd_buf *out)
{
	size_t len = strlen(b64), off, n;

	cd_buf_puts(out, "\033P\033]52;c;");
	for (off = 0; off < len; off += n) {
		n = len - off < CLIP_SCREEN_CHUNK ? len - off : CLIP_SCREEN_CHUNK;
		if (off)
			cd_buf_puts(out, "\033\\\033P");
		cd_buf_add(out, b64 + off, n);
	}
	cd_buf_puts(out, "\a\033\\");
}

int clip_osc52(const char *text, int screen, cd_buf *out)
{
	char *b64;

	if (clip_check(text) < 0)
		return -1;
	b64 = clip_base64(text, strlen(text));
	if (screen) {
		clip_screen_wrap(b64, out);
	} else {
		cd_buf_puts(out, "\033]52;c;");
		cd_buf_puts(out, b64);
		cd_buf_putc(out, '\a');
	}
	free(b64);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A reader that is gone (tmux missing or failing) must cost an EPIPE, not the
 * dashboard: SIGPIPE is ignored for the duration of the write only. */
static int write_nopipe(int fd, const char *p, size_t n)
{
	struct sigaction ign, old;
	int rc, saved;

	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	rc = write_all(fd, p, n);
	saved = errno;
	sigaction(SIGPIPE, &old, NULL);
	errno = saved;
	return rc;
}

/* In the child: stdin from the pipe, stdout and stderr to /dev/null (tmux must not
 * draw over the dashboard), no other descriptor inherited, no shell. */
static void __attribute__((noreturn)) tmux_exec(int rfd)
{
	char *argv[] = {"tmux", "load-buffer", "-w", "-", NULL};
	int null = open("/dev/null", O_RDWR);

	if (rfd == 0)
		fcntl(0, F_SETFD, 0);
	else
		dup2(rfd, 0);
	if (null >= 0) {
		dup2(null, 1);
		dup2(null, 2);
	}
	close_range(3, ~0U, 0);
	execvp(argv[0], argv);
	_exit(127);
}

static int wait_child(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static int tmux_load(const char *text)
{
	int fds[2], status, wrc, werr;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return cd_err("tmux: cannot make a pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return cd_err("tmux: cannot fork: %s", strerror(errno));
	}
	if (pid == 0)
		tmux_exec(fds[0]);
	close(fds[0]);
	wrc = write_nopipe(fds[1], text, strlen(text));
	werr = errno;
	close(fds[1]);
	if (wait_child(pid, &status) < 0)
		return cd_err("tmux: cannot wait for load-buffer: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return cd_err("tmux: not found");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cd_err("tmux load-buffer -w failed (tmux 3.2 or later is needed)");
	if (wrc < 0)
		return cd_err("tmux: writing the text: %s", strerror(werr));
	return 0;
}

/* Straight to the terminal, not through curses' buffer, which would mangle it. */
static int tty_write(const cd_buf *seq)
{
	int fd = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC), rc, err;

	if (fd < 0)
		return cd_err("no terminal to send OSC 52 to (/dev/tty: %s)", strerror(errno));
	rc = write_nopipe(fd, seq->s, seq->len);
	err = errno;
	close(fd);
	if (rc < 0)
		return cd_err("writing OSC 52 to /dev/tty: %s", strerror(err));
	return 0;
}

static int clip_by_osc52(const char *text, char *how, size_t howsz)
{
	const char *sty = getenv("STY");
	int screen = sty && *sty, rc;
	cd_buf seq = {0};

	if (clip_osc52(text, screen, &seq) < 0)
		return -1;
	rc = tty_write(&seq);
	cd_buf_free(&seq);
	if (rc == 0 && how && howsz)
		snprintf(how, howsz, "%s", screen ? "OSC 52 via screen" : "OSC 52");
	return rc;
}

int clip_copy(const char *text, char *how, size_t howsz)
{
	const char *tmux = getenv("TMUX");
	char tmux_err[300];

	if (clip_check(text) < 0)
		return -1;
	if (!tmux || !*tmux)
		return clip_by_osc52(text, how, howsz);
	if (tmux_load(text) == 0) {
		if (how && howsz)
			snprintf(how, howsz, "tmux buffer and clipboard");
		return 0;
	}
	snprintf(tmux_err, sizeof tmux_err, "%s", cd_errmsg());
	if (clip_by_osc52(text, how, howsz) == 0)
		return 0;
	return cd_err("%s; %s", tmux_err, cd_errmsg());
}
