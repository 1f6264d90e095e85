/* test_crlrepo.c: the CRL's git layer against real bare repositories, with the git
 * binary as the independent judge of what reached the remote. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crlrepo.h"
#include "testlib.h"
#include "util.h"

#define GIT "git -c user.name=Other -c user.email=other@example.org -c init.defaultBranch=main"

static const crlrepo_sig bot = {"CRL Bot", "crl-bot@example.org", 1700000000};

/* Runs a shell command that must succeed and returns its standard output. */
static char *sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_ok(const char *fmt, ...)
{
	char cmd[4096];
	tl_result r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	r = tl_sh("%s", cmd);
	if (r.status != 0)
		fprintf(stderr, "\n%s failed: %s\n", cmd, r.err);
	CU_ASSERT_EQUAL(r.status, 0);
	free(r.err);
	return r.out;
}

/* Like sh_ok, for a one-line answer: the trailing newline is dropped. */
static char *sh_line(const char *fmt, const char *arg, const char *arg2)
{
	char *s = sh_ok(fmt, arg, arg2);
	size_t n = strlen(s);

	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

static char *new_dir(void)
{
	return cd_strdup(tl_tmpdir());
}

static char *empty_remote(const char *base)
{
	char *remote = cd_asprintf("%s/remote.git", base);

	free(sh_ok("git init -q --bare -b main %s", remote));
	return remote;
}

/* A remote whose main already holds files the team committed with git. */
static char *remote_with_history(const char *base)
{
	char *remote = empty_remote(base);

	free(sh_ok("cd %s && " GIT " clone -q %s work 2>&1 && cd work && "
		   "mkdir -p ssl/crl && echo hello > README && echo other > ssl/other.txt && "
		   "echo old > ssl/crl/ca.crl && " GIT " add . && " GIT " commit -qm 'Initial' && "
		   GIT " push -q origin main 2>&1", base, remote));
	return remote;
}

static crlrepo *open_ok(const char *base, const char *url)
{
	char *dir = cd_asprintf("%s/home/crl.git", base);
	crlrepo *r = NULL;

	if (crlrepo_open(dir, url, &r) < 0)
		fprintf(stderr, "\ncrlrepo_open: %s\n", cd_errmsg());
	CU_ASSERT_PTR_NOT_NULL(r);
	free(dir);
	return r;
}

static int commit_ok(crlrepo *r, const char *parent, const char *path, const char *data,
		     const char *msg, char out[41])
{
	int rc = crlrepo_commit(r, parent, path, data, strlen(data), msg, &bot, out);

	if (rc < 0)
		fprintf(stderr, "\ncrlrepo_commit: %s\n", cd_errmsg());
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(strlen(out), 40);
	return rc;
}

static void push_ok(crlrepo *r, const char *commit, const char *branch, int force)
{
	int rc = crlrepo_push(r, commit, branch, force);

	if (rc < 0)
		fprintf(stderr, "\ncrlrepo_push: %s\n", cd_errmsg());
	CU_ASSERT_EQUAL(rc, 0);
}

static void test_empty_remote_root_commit(void)
{
	char *base = new_dir(), *remote = empty_remote(base), *s, *data = NULL;
	crlrepo *r = open_ok(base, remote);
	char tip[41] = "x", c1[41], c2[41];
	int exists = 1, found = 0;
	size_t len = 0;

	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	CU_ASSERT_EQUAL(exists, 0);
	CU_ASSERT_STRING_EQUAL(tip, "");
	commit_ok(r, "", "crl.pem", "CRL one\n", "Publish CRL\n\nBug: T123", c1);
	push_ok(r, c1, "main", 0);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	CU_ASSERT_EQUAL(exists, 1);
	CU_ASSERT_STRING_EQUAL(tip, c1);
	CU_ASSERT_EQUAL(crlrepo_read(r, tip, "crl.pem", &data, &len, &found), 0);
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(len, 8);
	CU_ASSERT_STRING_EQUAL(data, "CRL one\n");
	free(data);

	/* The remote, read by git itself: only crl.pem, our message, trailer and author. */
	s = sh_ok("git -C %s ls-tree -r --name-only main", remote);
	CU_ASSERT_STRING_EQUAL(s, "crl.pem\n");
	free(s);
	s = sh_ok("git -C %s log --format=%%B main", remote);
	CU_ASSERT_STRING_EQUAL(s, "Publish CRL\n\nBug: T123\n\n");
	free(s);
	s = sh_ok("git -C %s log -1 --format='%%(trailers:key=Bug,valueonly)' main", remote);
	CU_ASSERT(tl_contains(s, "T123"));
	free(s);
	s = sh_ok("git -C %s log -1 --format='%%an|%%ae|%%at|%%cn|%%ct' main", remote);
	CU_ASSERT_STRING_EQUAL(s, "CRL Bot|crl-bot@example.org|1700000000|CRL Bot|1700000000\n");
	free(s);

	/* A second commit replaces the file and has the first as its only parent. */
	commit_ok(r, c1, "crl.pem", "CRL two\n", "Publish CRL again\n\nBug: T124\n", c2);
	push_ok(r, c2, "main", 0);
	s = sh_ok("git -C %s show main:crl.pem", remote);
	CU_ASSERT_STRING_EQUAL(s, "CRL two\n");
	free(s);
	s = sh_line("git -C %s rev-parse main^", remote, NULL);
	CU_ASSERT_STRING_EQUAL(s, c1);
	free(s);
	s = sh_ok("git -C %s fsck --strict 2>&1", remote);
	free(s);
	crlrepo_close(r);
	free(remote);
	free(base);
}

static void test_keeps_other_files_nested_path(void)
{
	char *base = new_dir(), *remote = remote_with_history(base), *s, *data = NULL;
	char *clone = cd_asprintf("%s/home/crl.git", base);
	crlrepo *r = open_ok(base, remote);
	char tip[41], c1[41], c2[41];
	int exists = 0, found = 1;
	size_t len;

	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	CU_ASSERT_EQUAL(exists, 1);
	s = sh_line("git -C %s rev-parse main", remote, NULL);
	CU_ASSERT_STRING_EQUAL(tip, s);
	free(s);
	CU_ASSERT_EQUAL(crlrepo_read(r, tip, "ssl/crl/ca.crl", &data, &len, &found), 0);
	CU_ASSERT(found == 1 && data && !strcmp(data, "old\n"));
	free(data);
	CU_ASSERT_EQUAL(crlrepo_read(r, tip, "ssl/crl/none.crl", &data, &len, &found), 0);
	CU_ASSERT_EQUAL(found, 0);
	CU_ASSERT_PTR_NULL(data);
	CU_ASSERT_EQUAL(crlrepo_read(r, tip, "ssl", &data, &len, &found), -1);

	commit_ok(r, tip, "ssl/crl/ca.crl", "new CRL\n", "Revoke alice\n\nBug: T200", c1);
	commit_ok(r, c1, "ssl/crl2/deeper/ca.crl", "deep\n", "Deeper\n\nBug: T201", c2);
	push_ok(r, c2, "main", 0);
	s = sh_ok("git -C %s ls-tree -r --name-only main", remote);
	CU_ASSERT_STRING_EQUAL(s, "README\nssl/crl/ca.crl\nssl/crl2/deeper/ca.crl\nssl/other.txt\n");
	free(s);
	s = sh_ok("git -C %s show main:ssl/crl/ca.crl main:README main:ssl/other.txt", remote);
	CU_ASSERT_STRING_EQUAL(s, "new CRL\nhello\nother\n");
	free(s);
	/* The untouched files are the very same blobs, not copies. */
	s = sh_ok("git -C %s diff --name-only main~2 main", remote);
	CU_ASSERT_STRING_EQUAL(s, "ssl/crl/ca.crl\nssl/crl2/deeper/ca.crl\n");
	free(s);
	s = sh_ok("git -C %s log --format=%%B -1 main~1", remote);
	CU_ASSERT_STRING_EQUAL(s, "Revoke alice\n\nBug: T200\n\n");
	free(s);

	/* The clone is bare and no branch of its own moved: only private and tracking refs. */
	s = sh_line("git -C %s rev-parse --is-bare-repository", clone, NULL);
	CU_ASSERT_STRING_EQUAL(s, "true");
	free(s);
	s = sh_ok("git -C %s for-each-ref --format='%%(refname)' refs/heads", clone);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
	s = sh_line("git -C %s rev-parse refs/remotes/origin/main", clone, NULL);
	CU_ASSERT_STRING_EQUAL(s, c2);
	free(s);
	s = sh_line("git -C %s config remote.origin.url", clone, NULL);
	CU_ASSERT_STRING_EQUAL(s, remote);
	free(s);
	CU_ASSERT_EQUAL(crlrepo_read(r, c2, "ssl/crl/ca.crl", &data, &len, &found), 0);
	CU_ASSERT(found && !strcmp(data, "new CRL\n"));
	free(data);
	crlrepo_close(r);
	free(clone);
	free(remote);
	free(base);
}

static void test_competing_push(void)
{
	char *base = new_dir(), *remote = remote_with_history(base), *s;
	crlrepo *r = open_ok(base, remote);
	char tip[41], mine[41], again[41];
	int exists = 0;

	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	commit_ok(r, tip, "ssl/crl/ca.crl", "mine\n", "Revoke bob\n\nBug: T300", mine);
	/* A teammate pushes first, with the git binary. */
	free(sh_ok("cd %s/work && " GIT " pull -q 2>&1 && echo theirs > notes.txt && " GIT " add notes.txt && "
		   GIT " commit -qm 'Team notes' && " GIT " push -q origin main 2>&1", base));
	/* The one refusal worth a fetch and a rebuild, told apart from every other. */
	CU_ASSERT_EQUAL(crlrepo_push(r, mine, "main", 0), CRLREPO_BEHIND);
	CU_ASSERT(tl_contains(cd_errmsg(), "non-fast-forward"));
	s = sh_ok("git -C %s log --format=%%s -1 main", remote);
	CU_ASSERT_STRING_EQUAL(s, "Team notes\n");
	free(s);

	/* Fetch, redo the commit on the new tip, and the push goes through. */
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	s = sh_line("git -C %s rev-parse main", remote, NULL);
	CU_ASSERT_STRING_EQUAL(tip, s);
	free(s);
	CU_ASSERT_EQUAL(crlrepo_descends(r, tip, mine), 0);
	commit_ok(r, tip, "ssl/crl/ca.crl", "mine\n", "Revoke bob\n\nBug: T300", again);
	push_ok(r, again, "main", 0);
	s = sh_ok("git -C %s log --format=%%s main", remote);
	CU_ASSERT_STRING_EQUAL(s, "Revoke bob\nTeam notes\nInitial\n");
	free(s);
	s = sh_ok("git -C %s show main:notes.txt main:ssl/crl/ca.crl", remote);
	CU_ASSERT_STRING_EQUAL(s, "theirs\nmine\n");
	free(s);
	crlrepo_close(r);
	free(remote);
	free(base);
}

static void test_force_pending(void)
{
	char *base = new_dir(), *remote = remote_with_history(base), *s;
	char *url = cd_asprintf("file://%s", remote);
	crlrepo *r = open_ok(base, url);
	char tip[41], a[41], b[41], c[41];
	int exists = 1;

	CU_ASSERT_EQUAL(crlrepo_fetch(r, "certdesk/pending", &exists, tip), 0);
	CU_ASSERT_EQUAL(exists, 0);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	CU_ASSERT_EQUAL(exists, 1);
	commit_ok(r, tip, "ssl/crl/ca.crl", "pending a\n", "Held: carol\n\nBug: T401", a);
	commit_ok(r, tip, "ssl/crl/ca.crl", "pending b\n", "Held: dave\n\nBug: T402", b);
	push_ok(r, a, "certdesk/pending", 1);
	s = sh_line("git -C %s rev-parse certdesk/pending", remote, NULL);
	CU_ASSERT_STRING_EQUAL(s, a);
	free(s);
	/* b is a sibling of a: only a forced push may replace it. */
	CU_ASSERT_EQUAL(crlrepo_push(r, b, "certdesk/pending", 0), CRLREPO_BEHIND);
	CU_ASSERT(tl_contains(cd_errmsg(), "rejected"));
	push_ok(r, b, "certdesk/pending", 1);
	s = sh_line("git -C %s rev-parse certdesk/pending", remote, NULL);
	CU_ASSERT_STRING_EQUAL(s, b);
	free(s);
	/* A forced push to a branch behind us works too (rewinding to main's tip). */
	push_ok(r, tip, "certdesk/pending", 1);
	s = sh_line("git -C %s rev-parse certdesk/pending", remote, NULL);
	CU_ASSERT_STRING_EQUAL(s, tip);
	free(s);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "certdesk/pending", &exists, c), 0);
	CU_ASSERT(exists && !strcmp(c, tip));
	s = sh_line("git -C %s rev-parse main", remote, NULL);
	CU_ASSERT_STRING_EQUAL(s, tip);
	free(s);

	/* Deleted upstream: the next fetch says so instead of remembering the old tip. */
	free(sh_ok("git -C %s branch -D certdesk/pending", remote));
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "certdesk/pending", &exists, c), 0);
	CU_ASSERT_EQUAL(exists, 0);
	CU_ASSERT_STRING_EQUAL(c, "");
	crlrepo_close(r);
	free(url);
	free(remote);
	free(base);
}

static void test_reopen_changes_url(void)
{
	char *base = new_dir(), *one = remote_with_history(base), *s;
	char *other = cd_asprintf("%s/other.git", base);
	char *clone = cd_asprintf("%s/home/crl.git", base);
	crlrepo *r = open_ok(base, one);
	char tip[41], tip2[41];
	int exists = 0;

	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	crlrepo_close(r);
	free(sh_ok("git clone -q --bare %s %s 2>&1", one, other));
	r = open_ok(base, other);
	s = sh_line("git -C %s config remote.origin.url", clone, NULL);
	CU_ASSERT_STRING_EQUAL(s, other);
	free(s);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip2), 0);
	CU_ASSERT(exists && !strcmp(tip, tip2));
	crlrepo_close(r);

	/* Two handles at once: libgit2's init/shutdown is counted, not global. */
	r = open_ok(base, other);
	crlrepo *r2 = open_ok(base, other);
	crlrepo_close(r);
	CU_ASSERT_EQUAL(crlrepo_fetch(r2, "main", &exists, tip2), 0);
	crlrepo_close(r2);

	/* A directory that holds something else is not turned into a repository. */
	free(sh_ok("mkdir -p %s/junk && echo x > %s/junk/file", base, base));
	s = cd_asprintf("%s/junk", base);
	r = NULL;
	CU_ASSERT_EQUAL(crlrepo_open(s, other, &r), -1);
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT(tl_contains(cd_errmsg(), s));
	free(s);
	free(clone);
	free(other);
	free(one);
	free(base);
}

static void test_unreachable_remotes(void)
{
	char *base = new_dir(), *missing = cd_asprintf("%s/nowhere.git", base);
	char *file = cd_asprintf("%s/plain-file", base);
	char *remote, *s;
	crlrepo *r = open_ok(base, missing);
	char tip[41], c[41];
	int exists = 1;

	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "cannot reach the CRL repository"));
	CU_ASSERT(tl_contains(cd_errmsg(), missing));
	CU_ASSERT(tl_contains(cd_errmsg(), "no git repository at that path"));
	CU_ASSERT(!strchr(cd_errmsg(), '\n'));
	CU_ASSERT_EQUAL(exists, 0);
	commit_ok(r, "", "crl.pem", "x\n", "Root\n\nBug: T1", c);
	CU_ASSERT_EQUAL(crlrepo_push(r, c, "main", 0), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), missing));
	crlrepo_close(r);

	/* A regular file where the repository should be. */
	free(sh_ok("echo not a repository > %s", file));
	r = open_ok(base, file);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "cannot reach the CRL repository"));
	CU_ASSERT_EQUAL(crlrepo_push(r, c, "main", 0), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), file));
	crlrepo_close(r);

	/* The repository removed between fetch and push. */
	remote = empty_remote(base);
	r = open_ok(base, remote);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	free(sh_ok("rm -rf %s", remote));
	CU_ASSERT_EQUAL(crlrepo_push(r, c, "main", 0), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "cannot push main"));
	CU_ASSERT(tl_contains(cd_errmsg(), "no git repository at that path"));
	crlrepo_close(r);

	/* Read-only for an ordinary user; root writes through permissions, as git does. */
	free(sh_ok("git init -q --bare -b main %s && chmod -R a-w %s", remote, remote));
	r = open_ok(base, remote);
	if (geteuid() != 0)
		CU_ASSERT_EQUAL(crlrepo_push(r, c, "main", 0), -1);
	crlrepo_close(r);
	free(sh_ok("chmod -R u+w %s", remote));

	s = cd_asprintf("file://%s", missing);
	r = open_ok(base, s);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "cannot reach the CRL repository"));
	crlrepo_close(r);
	free(s);
	free(remote);
	free(file);
	free(missing);
	free(base);
}

/* Ends a server this test started, and reaps it. */
static void stop_child(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* An HTTP server that demands a password, to prove we fail instead of asking. */
static const char auth_server[] =
	"import http.server,os,sys\n"
	"class H(http.server.BaseHTTPRequestHandler):\n"
	"    def do_GET(self):\n"
	"        self.send_response(401)\n"
	"        self.send_header('WWW-Authenticate','Basic realm=\"crl\"')\n"
	"        self.send_header('Content-Length','0')\n"
	"        self.end_headers()\n"
	"    do_POST=do_GET\n"
	"    def log_message(self,*a): pass\n"
	"s=http.server.HTTPServer(('127.0.0.1',0),H)\n"
	"open(sys.argv[1]+'.tmp','w').write(str(s.server_address[1]))\n"
	"os.rename(sys.argv[1]+'.tmp',sys.argv[1])\n"
	"while True: s.handle_request()\n";

static void test_credentials_never_prompt(void)
{
	char *base = new_dir(), *script = cd_asprintf("%s/srv.py", base);
	char *portfile = cd_asprintf("%s/port", base), *port = NULL, *url, *s;
	crlrepo *r;
	char tip[41];
	int exists, i;
	pid_t srv;
	FILE *f = fopen(script, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(auth_server, f);
	fclose(f);
	fflush(NULL);
	srv = fork();
	if (srv == 0) {
		execlp("python3", "python3", script, portfile, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && !(port = tl_read(portfile)); i++)
		usleep(50000);
	if (!port)
		stop_child(srv);
	CU_ASSERT_PTR_NOT_NULL_FATAL(port);
	url = cd_asprintf("http://alice:s3cr3tpw@127.0.0.1:%s/crl.git", port);
	r = open_ok(base, url);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "cannot reach the CRL repository"));
	CU_ASSERT(tl_contains(cd_errmsg(), "refused the password"));
	CU_ASSERT(!tl_contains(cd_errmsg(), "s3cr3tpw"));
	crlrepo_close(r);
	s = sh_ok("cat %s/home/crl.git/config", base);
	CU_ASSERT(tl_contains(s, "http://***@127.0.0.1"));
	CU_ASSERT(!tl_contains(s, "s3cr3tpw"));
	free(s);
	free(url);
	url = cd_asprintf("http://127.0.0.1:%s/crl.git", port);
	r = open_ok(base, url);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "never prompts"));
	crlrepo_close(r);
	stop_child(srv);
	free(url);
	free(port);
	free(portfile);
	free(script);
	free(base);
}

/* Runs `git daemon` for base on a free port, as our own child so that we reap it. */
static char *start_daemon(const char *base, pid_t *pid)
{
	char *port = sh_line("python3 -c 'import socket; s = socket.socket(); "
			     "s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])'%s%s", "", "");
	char *port_arg = cd_asprintf("--port=%s", port), *base_arg = cd_asprintf("--base-path=%s", base);
	tl_result t;
	int i;

	fflush(NULL);
	*pid = fork();
	if (*pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("git", "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", port_arg,
		       base_arg, "--export-all", "--enable=receive-pack", base, (char *)NULL);
		_exit(127);
	}
	free(port_arg);
	free(base_arg);
	for (i = 0; i < 100; i++) {
		t = tl_sh("git ls-remote git://127.0.0.1:%s/remote.git >/dev/null 2>&1", port);
		tl_free(&t);
		if (t.status == 0)
			return port;
		usleep(50000);
	}
	free(port);
	return NULL;
}

/* base/remote.git over git://, with a pre-receive hook running script (shell lines). */
static char *serve_refusing(const char *base, const char *script, pid_t *pid, char **port)
{
	char *hook = cd_asprintf("%s/remote.git/hooks/pre-receive", base);
	FILE *f = fopen(hook, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "#!/bin/sh\n%s\nexit 1\n", script);
	fclose(f);
	chmod(hook, 0755);
	free(hook);
	*port = start_daemon(base, pid);
	if (!*port)
		stop_child(*pid);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*port);
	return cd_asprintf("git://127.0.0.1:%s/remote.git", *port);
}

/* A server's own refusal (a hook) reaches us as a per-ref status, not a failed call. */
static void test_server_rejects(void)
{
	char *base = new_dir(), *remote = empty_remote(base), *port, *url, *s;
	crlrepo *r;
	char tip[41], c[41];
	int exists = 1;
	pid_t dpid;

	url = serve_refusing(base, "echo CRL pushes need review >&2\nprintf '\\033[2Jsee T9\\n' >&2",
			     &dpid, &port);
	r = open_ok(base, url);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	CU_ASSERT_EQUAL(exists, 0);
	commit_ok(r, "", "crl.pem", "over the wire\n", "Root\n\nBug: T600", c);
	/* Refused, not behind: the server's words, on one line, without its escapes. */
	CU_ASSERT_EQUAL(crlrepo_push(r, c, "main", 0), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "the server rejected the push of main"));
	CU_ASSERT(tl_contains(cd_errmsg(), "hook declined"));
	CU_ASSERT(tl_contains(cd_errmsg(), "CRL pushes need review / ?[2Jsee T9"));
	CU_ASSERT(!strchr(cd_errmsg(), '\n') && !strchr(cd_errmsg(), '\033'));
	s = sh_ok("git -C %s for-each-ref", remote);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
	free(sh_ok("rm %s/hooks/pre-receive", remote));
	push_ok(r, c, "main", 0);
	s = sh_ok("git -C %s show main:crl.pem", remote);
	CU_ASSERT_STRING_EQUAL(s, "over the wire\n");
	free(s);
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	CU_ASSERT(exists && !strcmp(tip, c));
	crlrepo_close(r);
	stop_child(dpid);
	free(url);
	free(port);
	free(remote);
	free(base);
}

static long count_of(const char *hay, const char *needle)
{
	long n = 0;

	while ((hay = strstr(hay, needle)))
		n++, hay += strlen(needle);
	return n;
}

/* A home of the real binary with one ready revocation, publishing to url. */
static char *home_with_revocation(const char *base, const char *url)
{
	char *home = cd_asprintf("%s/cd", base), *out = cd_asprintf("%s/out", base);
	tl_result r;

	free(sh_ok("mkdir -p %s", out));
	r = tl_cd(home, "init", "--cn", "Hook CA", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	r = tl_cd(home, "create", "kim", "--name", "Kim", "--email", "kim@example.org", "--out",
		  out, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	r = tl_cd(home, "revoke", "kim", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	r = tl_cd(home, "config", "crl.remote", url, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	free(out);
	return home;
}

/* Through publish: a refusal is said once with the server's words, never retried as if
 * someone had pushed first, and nothing is recorded. */
static void test_publish_refused_by_hook(void)
{
	char *base = new_dir(), *remote = empty_remote(base), *port, *url, *home, *before, *after;
	tl_result r;
	pid_t dpid;

	url = serve_refusing(base, "echo CRL pushes need review: see T77 >&2", &dpid, &port);
	home = home_with_revocation(base, url);
	/* All but the reserved CRL Number: the refused CRL was signed and sent, so its
	 * number stays used. */
	before = sh_ok("sqlite3 %s/certdesk.db .dump | grep -v crl_reserved", home);
	r = tl_cd(home, "publish", NULL);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	CU_ASSERT(tl_contains(r.err, "the server rejected the push of main"));
	CU_ASSERT(tl_contains(r.err, "CRL pushes need review: see T77"));
	CU_ASSERT(!tl_contains(r.err, "gave up") && !tl_contains(r.out, "pushed to main first"));
	CU_ASSERT_EQUAL(count_of(r.out, "committed "), 2); /* the CRL and the CA bundle */
	tl_free(&r);
	after = sh_ok("sqlite3 %s/certdesk.db .dump | grep -v crl_reserved", home);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	after = sh_ok("git -C %s for-each-ref", remote);
	CU_ASSERT_STRING_EQUAL(after, "");
	free(after);

	free(sh_ok("rm %s/hooks/pre-receive", remote));
	r = tl_cd(home, "publish", NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT(tl_contains(r.out, "published 1 revocation"));
	tl_free(&r);
	stop_child(dpid);
	free(before);
	free(home);
	free(url);
	free(port);
	free(remote);
	free(base);
}

struct walk_log {
	char ids[8][41];
	char msgs[8][64];
	int n, stop_at;
};

static int record(void *ctx, const char *id, const char *message)
{
	struct walk_log *w = ctx;

	if (w->n < 8) {
		snprintf(w->ids[w->n], 41, "%s", id);
		snprintf(w->msgs[w->n], 64, "%.*s", (int)strcspn(message, "\n"), message);
	}
	w->n++;
	return w->stop_at && w->n >= w->stop_at;
}

static void test_walk_and_descends(void)
{
	char *base = new_dir(), *remote = empty_remote(base), *s;
	crlrepo *r = open_ok(base, remote);
	char c[4][41], tip[41];
	struct walk_log w;
	int i, exists;

	commit_ok(r, "", "crl.pem", "0\n", "Zero", c[0]);
	for (i = 1; i < 4; i++) {
		char msg[64];

		snprintf(msg, sizeof msg, "Step %d\n\nBug: T%d", i, 500 + i);
		commit_ok(r, c[i - 1], "crl.pem", msg, msg, c[i]);
	}
	memset(&w, 0, sizeof w);
	CU_ASSERT_EQUAL(crlrepo_walk(r, c[3], "", record, &w), 0);
	CU_ASSERT_EQUAL(w.n, 4);
	for (i = 0; i < 4 && w.n == 4; i++)
		CU_ASSERT_STRING_EQUAL(w.ids[i], c[3 - i]);
	CU_ASSERT_STRING_EQUAL(w.msgs[0], "Step 3");
	CU_ASSERT_STRING_EQUAL(w.msgs[3], "Zero");
	memset(&w, 0, sizeof w);
	CU_ASSERT_EQUAL(crlrepo_walk(r, c[3], c[1], record, &w), 0);
	CU_ASSERT_EQUAL(w.n, 2);
	CU_ASSERT_STRING_EQUAL(w.ids[1], c[2]);
	memset(&w, 0, sizeof w);
	w.stop_at = 1;
	CU_ASSERT_EQUAL(crlrepo_walk(r, c[3], "", record, &w), 0);
	CU_ASSERT_EQUAL(w.n, 1);
	memset(&w, 0, sizeof w);
	CU_ASSERT_EQUAL(crlrepo_walk(r, c[2], c[2], record, &w), 0);
	CU_ASSERT_EQUAL(w.n, 0);
	CU_ASSERT_EQUAL(crlrepo_walk(r, "nothex", "", record, &w), -1);
	CU_ASSERT_EQUAL(crlrepo_walk(r, "0123456789012345678901234567890123456789", "", record, &w), -1);

	CU_ASSERT_EQUAL(crlrepo_descends(r, c[3], c[0]), 1);
	CU_ASSERT_EQUAL(crlrepo_descends(r, c[3], c[3]), 1);
	CU_ASSERT_EQUAL(crlrepo_descends(r, c[0], c[3]), 0);
	CU_ASSERT_EQUAL(crlrepo_descends(r, c[3], "abc"), -1);

	/* A merge made by the team: the first-parent walk stays on main's own line. */
	push_ok(r, c[3], "main", 0);
	free(sh_ok("cd %s && " GIT " clone -q %s work 2>&1 && cd work && " GIT " checkout -qb side && "
		   "echo s > side.txt && " GIT " add side.txt && " GIT " commit -qm 'Side work' && "
		   GIT " checkout -q main && echo m > main.txt && " GIT " add main.txt && "
		   GIT " commit -qm 'Main work' && " GIT " merge -q --no-ff -m 'Merge side' side && "
		   GIT " push -q origin main 2>&1", base, remote));
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "main", &exists, tip), 0);
	memset(&w, 0, sizeof w);
	CU_ASSERT_EQUAL(crlrepo_walk(r, tip, c[3], record, &w), 0);
	CU_ASSERT_EQUAL(w.n, 2);
	CU_ASSERT_STRING_EQUAL(w.msgs[0], "Merge side");
	CU_ASSERT_STRING_EQUAL(w.msgs[1], "Main work");
	CU_ASSERT_EQUAL(crlrepo_descends(r, tip, c[1]), 1);
	s = sh_line("git -C %s rev-parse main^2", remote, NULL);
	CU_ASSERT_EQUAL(crlrepo_descends(r, tip, s), 1);
	CU_ASSERT_EQUAL(crlrepo_descends(r, s, tip), 0);
	free(s);
	crlrepo_close(r);
	free(remote);
	free(base);
}

static void test_bad_arguments(void)
{
	char *base = new_dir(), *remote = empty_remote(base);
	crlrepo *r = open_ok(base, remote);
	crlrepo_sig nobody = {"", "x@example.org", 0};
	char out[41], tip[41];
	int exists;

	CU_ASSERT_EQUAL(crlrepo_commit(r, "", "../crl.pem", "x", 1, "m", &bot, out), -1);
	CU_ASSERT_EQUAL(crlrepo_commit(r, "", "/crl.pem", "x", 1, "m", &bot, out), -1);
	CU_ASSERT_EQUAL(crlrepo_commit(r, "", "a//b", "x", 1, "m", &bot, out), -1);
	CU_ASSERT_EQUAL(crlrepo_commit(r, "", ".git/config", "x", 1, "m", &bot, out), -1);
	CU_ASSERT_EQUAL(crlrepo_commit(r, "", "crl.pem", "x", 1, "", &bot, out), -1);
	CU_ASSERT_EQUAL(crlrepo_commit(r, "", "crl.pem", "x", 1, "m", &nobody, out), -1);
	CU_ASSERT_EQUAL(crlrepo_commit(r, "0123456789abcdef0123456789abcdef01234567", "crl.pem",
				       "x", 1, "m", &bot, out), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "not in the CRL repository"));
	CU_ASSERT_EQUAL(crlrepo_fetch(r, "bad..name", &exists, tip), -1);
	CU_ASSERT(tl_contains(cd_errmsg(), "invalid branch name"));
	CU_ASSERT_EQUAL(crlrepo_push(r, "0123456789abcdef0123456789abcdef01234567", "main", 0), -1);
	crlrepo_close(r);
	r = NULL;
	CU_ASSERT_EQUAL(crlrepo_open(base, "", &r), -1);
	CU_ASSERT_PTR_NULL(r);
	free(remote);
	free(base);
}

/* A CRL-like file: numbered lines after a header that changes with the version;
 * versions 20 and 21 are the same file. */
static char *versioned_file(int version)
{
	int n = (version == 21 ? 20 : version) * 25 + 1, i;
	cd_buf b = {0};

	cd_buf_printf(&b, "-----BEGIN X509 CRL-----\n%d lines\n", n);
	for (i = 0; i < n; i++)
		cd_buf_printf(&b, "line %05d %s\n", i * 7919 % 100000,
			      "MIIBszCCAVkCAQEwCgYIKoZIzj0EAwIwEzERMA8GA1UEAwwIQmVuY2ggQ0EX");
	cd_buf_puts(&b, "-----END X509 CRL-----\n");
	return cd_buf_take(&b);
}

/* The clone's packs are written by certdesk itself: git must read them as its own. */
static void test_clone_pack_is_git_s(void)
{
	char *base = new_dir(), *remote = empty_remote(base), *s, *file;
	char *clone = cd_asprintf("%s/home/crl.git", base);
	char prev[41] = "", id[41], ids[40][41];
	crlrepo *r = open_ok(base, remote);
	int i;

	for (i = 0; r && i < 40; i++) {
		file = versioned_file(i);
		if (commit_ok(r, prev, i < 30 ? "crl.pem" : "ssl/crl/ca.crl", file, "Revoke", id) == 0)
			memcpy(prev, id, sizeof prev);
		memcpy(ids[i], id, sizeof id);
		free(file);
	}
	crlrepo_close(r); /* never pushed: saved to the clone as it closes */
	s = sh_ok("git -C %s verify-pack %s/objects/pack/*.idx 2>&1 && echo ok", clone, clone);
	CU_ASSERT_STRING_EQUAL(s, "ok\n");
	free(s);
	/* no branch yet: fsck notices as much, and checks every object of the packs */
	s = sh_ok("{ git -C %s fsck --strict --no-dangling %s; echo status $?; } 2>&1 | "
		  "grep -v '^notice: '", clone, prev);
	if (strcmp(s, "status 0\n"))
		fprintf(stderr, "\ngit fsck: %s", s);
	CU_ASSERT_STRING_EQUAL(s, "status 0\n");
	free(s);
	for (i = 0; i < 40; i += 3) {
		file = versioned_file(i);
		s = sh_ok("git -C %s cat-file -p %s:%s", clone, ids[i],
			  i < 30 ? "crl.pem" : "ssl/crl/ca.crl");
		CU_ASSERT_STRING_EQUAL(s, file);
		free(s);
		free(file);
	}
	s = sh_ok("git -C %s rev-list --count %s", clone, prev);
	CU_ASSERT_STRING_EQUAL(s, "40\n");
	free(s);
	r = open_ok(base, remote);
	if (r)
		push_ok(r, prev, "main", 0);
	crlrepo_close(r);
	s = sh_ok("git -C %s fsck --strict --no-dangling 2>&1 && git -C %s rev-parse main", remote,
		  remote);
	CU_ASSERT_EQUAL(strncmp(s, prev, 40), 0);
	free(s);
	free(clone);
	free(remote);
	free(base);
}

/* Each version a random edit of the one before (bytes inserted, removed or replaced,
 * at either end or inside; now and then a whole new file): the deltas of the clone's
 * pack meet bases longer and shorter than their files, and git rebuilds every one. */
static void test_clone_pack_random_edits(void)
{
	char *base = new_dir(), *remote = empty_remote(base), *s, *path;
	char *clone = cd_asprintf("%s/home/crl.git", base);
	char prev[41] = "", id[41];
	crlrepo *r = open_ok(base, remote);
	cd_buf f = {0}, next = {0};
	unsigned seed = 15;
	int i, k;

	for (k = 0; k < 3000; k++)
		cd_buf_putc(&f, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\n"
				[rand_r(&seed) % 65]);
	for (i = 0; r && i < 60; i++) {
		size_t at = f.len ? (size_t)rand_r(&seed) % f.len : 0, n = rand_r(&seed) % 200;
		int what = rand_r(&seed) % 8;

		next.len = 0;
		if (what == 7)
			for (k = 0; k < 500 + rand_r(&seed) % 3000; k++)
				cd_buf_putc(&next, (char)('a' + rand_r(&seed) % 26));
		else {
			at = what == 0 ? 0 : what == 1 ? f.len : at;
			cd_buf_add(&next, f.s, at);
			for (k = 0; what < 5 && k < (int)n; k++)
				cd_buf_putc(&next, (char)('A' + rand_r(&seed) % 26));
			at += what >= 4 ? (n < f.len - at ? n : f.len - at) : 0;
			cd_buf_add(&next, f.s + at, f.len - at);
		}
		f.len = 0;
		cd_buf_add(&f, next.s ? next.s : "", next.len);
		if (crlrepo_commit(r, prev, "crl.pem", f.s ? f.s : "", f.len, "Edit", &bot, id) < 0)
			fprintf(stderr, "\ncrlrepo_commit: %s\n", cd_errmsg());
		memcpy(prev, id, sizeof prev);
		path = cd_asprintf("%s/v%d", base, i);
		CU_ASSERT_EQUAL(cd_write_file(path, f.s ? f.s : "", f.len, 0600), 0);
		free(path);
	}
	crlrepo_close(r);
	s = sh_ok("git -C %s verify-pack %s/objects/pack/*.idx 2>&1 && echo ok", clone, clone);
	CU_ASSERT_STRING_EQUAL(s, "ok\n");
	free(s);
	/* newest first: version i is commit prev~(59 - i) */
	s = sh_ok("cd %s && i=59 && for c in $(git -C %s rev-list %s); do "
		  "git -C %s cat-file blob $c:crl.pem | cmp -s - v$i || echo v$i differs; "
		  "i=$((i - 1)); done; echo $i", base, clone, prev, clone);
	CU_ASSERT_STRING_EQUAL(s, "-1\n");
	free(s);
	cd_buf_free(&f);
	cd_buf_free(&next);
	free(clone);
	free(remote);
	free(base);
}

static void note_line(void *ctx, const char *line)
{
	cd_buf_printf(ctx, "%s\n", line);
}

/* A save killed while it wrote the clone's pack leaves its temporary files: the repair
 * of the next publish removes them, and says so. */
static void test_repair_removes_pack_temps(void)
{
	char *base = new_dir(), *remote = empty_remote(base), *s;
	char *clone = cd_asprintf("%s/home/crl.git", base);
	crlrepo *r = open_ok(base, remote);
	cd_buf notes = {0};

	crlrepo_close(r);
	r = NULL;
	free(sh_ok("cd %s/objects/pack && touch pack-0123abcd.pack.tmp.4242 "
		   "pack-0123abcd.idx.tmp.4243 keep-me", clone));
	CU_ASSERT_EQUAL(crlrepo_open_repair(clone, remote, note_line, &notes, &r), 0);
	crlrepo_close(r);
	s = sh_ok("ls %s/objects/pack", clone);
	CU_ASSERT_STRING_EQUAL(s, "keep-me\n");
	free(s);
	CU_ASSERT_PTR_NOT_NULL(notes.s && strstr(notes.s, "removed the stale temporary file"));
	cd_buf_free(&notes);
	free(clone);
	free(remote);
	free(base);
}

static CU_TestInfo repo_tests[] = {
	{"empty remote, root commit, push, read back", test_empty_remote_root_commit},
	{"other files kept, nested paths", test_keeps_other_files_nested_path},
	{"competing push rejected, then rebuilt on the new tip", test_competing_push},
	{"forced pending branch, file:// URL", test_force_pending},
	{"reopen with another URL, counted init", test_reopen_changes_url},
	{"unreachable and missing remotes", test_unreachable_remotes},
	{"credentials are never prompted for", test_credentials_never_prompt},
	{"server-side rejection over git://", test_server_rejects},
	{"publish: a hook's refusal is reported, not retried", test_publish_refused_by_hook},
	{"first-parent walk and ancestry", test_walk_and_descends},
	{"invalid arguments", test_bad_arguments},
	{"the clone's packs, as git reads them", test_clone_pack_is_git_s},
	{"the clone's packs: deltas of random edits", test_clone_pack_random_edits},
	{"repair: a killed save's temporary pack files", test_repair_removes_pack_temps},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {{"crlrepo", repo_tests}, {NULL, NULL}};

	/* A network operation waiting for input must fail the run, not hang it. */
	alarm(300);
	return tl_main(suites);
}
