/* test_secrets.c: how certdesk keeps its secrets and its record: no copy of a secret
 * file left in memory, the CA key opened once and only when it is really the
 * operator's, the passphrase through scrypt (old keys re-encrypted), an audit actor
 * that cannot be claimed, and files that a kill -9 never leaves half-written. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "testlib.h"
#include "util.h"

/* The standard output of a tl_sh() line. */
static char *out_of(tl_result r)
{
	free(r.err);
	return r.out;
}

static int is_root(void)
{
	return getuid() == 0 && geteuid() == 0;
}

/* ---- no copy of a secret file left in memory ---- */

/*
 * A marker in a secret file, which the scan below looks for in every writable mapping
 * of a process after the file was read and freed. The test keeps it masked, so that
 * the only clear copies are the ones the reader under test made.
 */
#define MASK 0x5A
#define MARK_LEN 32
static unsigned char marker[MARK_LEN];

static void marker_new(void)
{
	unsigned char r[MARK_LEN];
	int fd = open("/dev/urandom", O_RDONLY);
	size_t i;

	CU_ASSERT_FATAL(fd >= 0 && read(fd, r, sizeof r) == (ssize_t)sizeof r);
	close(fd);
	for (i = 0; i < MARK_LEN; i++)
		marker[i] = (unsigned char)(('A' + r[i] % 26) ^ MASK);
}

/* The secret file: a key-sized text with the marker after a lead (the allocator's
 * own pointers overwrite the first bytes of a freed block, not the marker). */
static char *secret_file(void)
{
	char *path = cd_asprintf("%s/secret", tl_tmpdir());
	char text[400];
	size_t i;
	int fd;

	memset(text, 'x', sizeof text);
	for (i = 0; i < MARK_LEN; i++)
		text[100 + i] = (char)(marker[i] ^ MASK);
	text[sizeof text - 1] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CU_ASSERT_FATAL(fd >= 0 && write(fd, text, sizeof text) == (ssize_t)sizeof text);
	close(fd);
	OPENSSL_cleanse(text, sizeof text);
	return path;
}

static int has_marker(const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n, *q = p;
	size_t i;

	while (n >= MARK_LEN && (q = memchr(q, marker[0] ^ MASK, (size_t)(end - q) - MARK_LEN + 1))) {
		for (i = 1; i < MARK_LEN && (q[i] ^ MASK) == marker[i]; i++)
			;
		if (i == MARK_LEN)
			return 1;
		q++;
	}
	return 0;
}

/* Reads [lo, hi) of this process through /proc/self/mem (the kernel copies, so the
 * sanitizers see no access to freed memory), in overlapping chunks. */
static int region_has_marker(int mem, unsigned long lo, unsigned long hi)
{
	static unsigned char buf[1 << 16];
	unsigned long at = lo;

	while (at < hi) {
		size_t want = hi - at < sizeof buf ? hi - at : sizeof buf;
		ssize_t n = pread(mem, buf, want, (off_t)at);
		if (n <= 0)
			return 0;
		if (has_marker(buf, (size_t)n))
			return 1;
		if ((size_t)n < MARK_LEN || at + (unsigned long)n >= hi)
			break;
		at += (unsigned long)n - MARK_LEN + 1;
	}
	return 0;
}

/* Every writable mapping: heap, stack, data; the sanitizers' huge shadow maps apart. */
static int memory_has_marker(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	int mem = open("/proc/self/mem", O_RDONLY), found = 0;
	char line[512], perms[8];
	unsigned long lo, hi;

	while (maps && mem >= 0 && !found && fgets(line, sizeof line, maps))
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && perms[0] == 'r' &&
		    perms[1] == 'w' && hi - lo <= (256UL << 20))
			found = region_has_marker(mem, lo, hi);
	if (maps)
		fclose(maps);
	if (mem >= 0)
		close(mem);
	return found;
}

/* In a child: reads path the secret way (1) or the plain way with the best wipe a
 * caller can add (0), frees it, then looks for the marker: exit 1 when found. */
static int read_and_scan(const char *path, int secret)
{
	pid_t pid;
	int st;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		char *data = NULL;
		size_t len = 0;
		if ((secret ? cd_read_secret : cd_read_file)(path, &data, &len) < 0 || len != 400)
			_exit(2);
		if (secret) {
			cd_secret_free(data, len);
		} else {
			OPENSSL_cleanse(data, len);
			free(data);
		}
		_exit(memory_has_marker());
	}
	CU_ASSERT_FATAL(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_no_copy_in_memory(void)
{
	char *path;

	marker_new();
	path = secret_file();
	/* The scan works: the plain reader's stdio and stack buffers keep the secret even
	 * when the caller wipes what it was given (how the CA key used to be read). */
	CU_ASSERT_EQUAL(read_and_scan(path, 0), 1);
	/* cd_read_secret leaves no copy once cd_secret_free has wiped its one buffer. */
	CU_ASSERT_EQUAL(read_and_scan(path, 1), 0);
	free(path);
}

/* ---- the CA key file ---- */

static char *new_dir(void)
{
	return cd_strdup(tl_tmpdir());
}

static char *new_home(void)
{
	return cd_strdup(tl_home());
}

static const char *const CREATE_BOB[] = {"create", "bob", "--name", "Bob", "--email",
					 "bob@example.org", "--out", NULL, NULL};

/* create bob --out out, as an argument vector. */
static const char **create_bob(const char *out, const char **argv)
{
	memcpy(argv, CREATE_BOB, sizeof CREATE_BOB);
	argv[7] = out;
	return argv;
}

static void test_key_symlink_refused(void)
{
	char *home = new_home(), *out = new_dir(), *elsewhere = cd_asprintf("%s/real.key", out);
	const char *argv[9];
	tl_result r;

	/* The key moved out and a symbolic link left in its place: a link could point
	 * anywhere the operator can read, and its target may change after any check. */
	r = tl_sh("cd '%s/ca' && mv ca.key '%s' && ln -s '%s' ca.key", home, elsewhere, elsewhere);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	tl_refused(home, out, "is a symbolic link", create_bob(out, argv));
	free(elsewhere);
	free(out);
	free(home);
}

/* What a writer killed before its rename left (FILE.tmp.PID of a dead process: a copy
 * of the key, a CRL) goes at the next signing, or the next write of that file. */
static void test_killed_writers_temps_removed(void)
{
	char *home = new_home(), *out = new_dir();
	const char *argv[9];
	tl_result r = tl_sh("sh -c 'exit 0' & p=$!; wait $p; cp '%s/ca/ca.key' '%s/ca/ca.key.tmp.'$p"
			    " && echo x > '%s/f.pem.tmp.'$p && echo $p", home, home, out);
	char *crl = cd_asprintf("%s/f.pem", out);

	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	r = tl_cdv(home, create_bob(out, argv));
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	r = tl_cd(home, "crl", "--out", crl, NULL);
	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	r = tl_sh("ls '%s/ca' '%s' | grep -c '[.]tmp[.]' || true", home, out);
	CU_ASSERT_STRING_EQUAL(r.out, "0\n");
	tl_free(&r);
	free(crl);
	free(out);
	free(home);
}

/* A second name for the key would keep its old, weaker encryption after an upgrade. */
static void test_key_hard_link_refused(void)
{
	char *home = new_home(), *out = new_dir();
	const char *argv[9];
	tl_result r = tl_sh("ln '%s/ca/ca.key' '%s/ca/copy.key'", home, home);

	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
	tl_refused(home, out, "has 2 names (hard links)", create_bob(out, argv));
	free(out);
	free(home);
}

static void test_key_mode_refused(void)
{
	char *home = new_home(), *out = new_dir(), *key = cd_asprintf("%s/ca/ca.key", home);
	const char *argv[9];

	CU_ASSERT_EQUAL(chmod(key, 0644), 0);
	tl_refused(home, out, "may be read by others (mode 0644)", create_bob(out, argv));
	CU_ASSERT_EQUAL(chmod(key, 0400), 0); /* stricter than 0600 is fine */
	{
		tl_result r = tl_cdv(home, create_bob(out, argv));
		CU_ASSERT(tl_ok_or_report(&r, "create with the key 0400"));
		tl_free(&r);
	}
	free(key);
	free(out);
	free(home);
}

static void test_key_owner_refused(void)
{
	char *home = new_home(), *out = new_dir(), *key = cd_asprintf("%s/ca/ca.key", home);
	struct passwd *nobody = getpwnam("nobody");
	const char *argv[9];

	if (!is_root() || !nobody) {
		fprintf(stderr, "(not root: a key of another user cannot be made here) ");
		CU_PASS("skipped");
	} else {
		/* 0600 but another user's: root could read it, the owner could swap it. */
		CU_ASSERT_EQUAL(chown(key, nobody->pw_uid, nobody->pw_gid), 0);
		tl_refused(home, out, "belongs to uid", create_bob(out, argv));
		CU_ASSERT_EQUAL(chown(key, 0, 0), 0);
	}
	free(key);
	free(out);
	free(home);
}

/* A FIFO where the key should be: refused at once, not waited on (a timeout stops
 * a certdesk that waits for a writer). */
static void test_key_fifo_refused(void)
{
	char *home = new_home(), *out = new_dir(), *key = cd_asprintf("%s/ca/ca.key", home);
	char *before, *after;
	tl_result r;

	CU_ASSERT_EQUAL(unlink(key), 0);
	CU_ASSERT_EQUAL(mkfifo(key, 0600), 0);
	before = tl_snapshot(home, out);
	r = tl_sh("timeout 20 '%s' --home '%s' create bob --name Bob --email bob@example.org "
		  "--out '%s'", tl_bin(), home, out);
	CU_ASSERT_EQUAL(r.status, 1);
	CU_ASSERT(tl_contains(r.err, "not a regular file") && tl_count_lines(r.err) == 1);
	tl_free(&r);
	after = tl_snapshot(home, out);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	free(key);
	free(out);
	free(home);
}

/* ---- the key's passphrase: scrypt ---- */

/* The key derivation of an encrypted PEM key, as openssl asn1parse reads it. */
static char *kdf_of(const char *key)
{
	return out_of(tl_sh("openssl asn1parse -in '%s' | sed -n 's/.*prim: \\(OBJECT\\|INTEGER\\) *:/\\1 /p'",
		      key));
}

static int key_opens(const char *key, const char *pass, const char *crt)
{
	char *a = out_of(tl_sh("openssl pkey -in '%s' -passin 'file:%s' -pubout", key, pass));
	char *b = out_of(tl_sh("openssl x509 -in '%s' -noout -pubkey", crt));
	int same = *a && strcmp(a, b) == 0;

	free(a);
	free(b);
	return same;
}

static void test_init_uses_scrypt(void)
{
	char *dir = new_dir(), *home = cd_asprintf("%s/h", dir), *pass = cd_asprintf("%s/pass", dir);
	char *key = cd_asprintf("%s/ca/ca.key", home), *crt = cd_asprintf("%s/ca/ca.crt", home), *k;
	tl_result r;

	free(out_of(tl_sh("printf 'staple battery\\n' > '%s'", pass)));
	r = tl_cd(home, "init", "--cn", "Scrypt CA", "--passphrase-file", pass, NULL);
	CU_ASSERT(tl_ok_or_report(&r, "init --passphrase-file"));
	tl_free(&r);
	k = kdf_of(key);
	/* PBES2 with scrypt N=16384 (0x4000), r=8, p=5, then AES-256-CBC. */
	CU_ASSERT(tl_contains(k, "OBJECT PBES2\nOBJECT scrypt\nINTEGER 4000\nINTEGER 08\n"
			      "INTEGER 05\nOBJECT aes-256-cbc\n"));
	CU_ASSERT(!tl_contains(k, "PBKDF2"));
	CU_ASSERT(key_opens(key, pass, crt));
	free(k);
	free(key);
	free(crt);
	free(pass);
	free(home);
	free(dir);
}

/* A key encrypted by openssl as an older certdesk (or an import) left it: written
 * with `convert`, which must keep the key itself. */
static void weak_key(const char *home, const char *pass, const char *convert)
{
	tl_result r = tl_sh("cd '%s/ca' && openssl %s -in ca.key -passout 'file:%s' -out weak && "
			    "chmod 600 weak && mv weak ca.key", home, convert, pass);

	CU_ASSERT_EQUAL(r.status, 0);
	tl_free(&r);
}

/* The next write that opens the key re-encrypts it with scrypt, says so in one line,
 * and the same passphrase still opens it (for certdesk and for openssl). */
static void check_upgrade(const char *convert, const char *old_kdf)
{
	char *home = new_home(), *out = new_dir(), *pass = cd_asprintf("%s/pass", out);
	char *key = cd_asprintf("%s/ca/ca.key", home), *crt = cd_asprintf("%s/ca/ca.crt", home), *k;
	tl_result r;

	free(out_of(tl_sh("printf 'old horse\\n' > '%s'", pass)));
	weak_key(home, pass, convert);
	k = tl_contains(old_kdf, "Proc-Type") ? tl_read(key) : kdf_of(key);
	CU_ASSERT(tl_contains(k, old_kdf));
	free(k);
	CU_ASSERT(key_opens(key, pass, crt));
	setenv("CERTDESK_PASSPHRASE_FILE", pass, 1);
	r = tl_cd(home, "create", "ann", "--name", "Ann", "--email", "ann@example.org", "--out",
		  out, NULL);
	CU_ASSERT(tl_ok_or_report(&r, "create with the old key"));
	CU_ASSERT(tl_contains(r.err, "re-encrypted with scrypt"));
	CU_ASSERT_EQUAL(tl_count_lines(r.err), 1);
	tl_free(&r);
	k = kdf_of(key);
	CU_ASSERT(tl_contains(k, "OBJECT scrypt\nINTEGER 4000\nINTEGER 08\nINTEGER 05\n"));
	free(k);
	CU_ASSERT_EQUAL(tl_mode(key), 0600);
	CU_ASSERT(key_opens(key, pass, crt));
	/* Once is enough: the next signing says nothing. */
	r = tl_cd(home, "create", "ben", "--name", "Ben", "--email", "ben@example.org", "--out",
		  out, NULL);
	CU_ASSERT(tl_ok_or_report(&r, "create with the new key"));
	CU_ASSERT(!tl_contains(r.err, "re-encrypted"));
	tl_free(&r);
	/* Replaced at once, nothing left beside it. */
	r = tl_sh("ls -A '%s/ca'", home);
	CU_ASSERT_STRING_EQUAL(r.out, "ca.crt\nca.key\n");
	tl_free(&r);
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	free(key);
	free(crt);
	free(pass);
	free(out);
	free(home);
}

static void test_old_pbkdf2_key_upgraded(void)
{
	/* What OpenSSL writes by default: PBKDF2 of 2048 (0x0800) rounds. */
	check_upgrade("pkey -aes256", "OBJECT PBKDF2\nINTEGER 0800\n");
}

static void test_legacy_pem_key_upgraded(void)
{
	/* The traditional PEM encryption: one MD5 round over the passphrase. */
	check_upgrade("pkey -traditional -aes256", "Proc-Type: 4,ENCRYPTED");
}

/* A PBKDF2 key of 600,000 rounds is strong enough: left as it is. */
static void test_strong_pbkdf2_key_kept(void)
{
	char *home = new_home(), *out = new_dir(), *pass = cd_asprintf("%s/pass", out);
	char *key = cd_asprintf("%s/ca/ca.key", home), *before, *after;
	tl_result r;

	free(out_of(tl_sh("printf 'long horse\\n' > '%s'", pass)));
	weak_key(home, pass, "pkcs8 -topk8 -v2 aes-256-cbc -iter 600000");
	before = tl_read(key);
	setenv("CERTDESK_PASSPHRASE_FILE", pass, 1);
	r = tl_cd(home, "create", "cy", "--name", "Cy", "--email", "cy@example.org", "--out", out,
		  NULL);
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	CU_ASSERT(tl_ok_or_report(&r, "create with a PBKDF2 600000 key"));
	CU_ASSERT(!tl_contains(r.err, "re-encrypted"));
	tl_free(&r);
	after = tl_read(key);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	free(key);
	free(pass);
	free(out);
	free(home);
}

/* ---- who acts: SUDO_USER is a claim ---- */

/* The actor of the newest audit entry (log --format tsv: time, actor, action, ...). */
static char *last_actor(const char *home)
{
	return out_of(tl_sh("'%s' --home '%s' --format tsv log | tail -1 | cut -f2", tl_bin(), home));
}

/* A change (an audit entry) made with SUDO_USER and SUDO_UID as given (NULL: unset). */
static char *actor_with(const char *home, const char *sudo_user, const char *sudo_uid)
{
	static int n = 1;
	char days[16];
	tl_result r;

	snprintf(days, sizeof days, "%d", ++n);
	if (sudo_user)
		setenv("SUDO_USER", sudo_user, 1);
	if (sudo_uid)
		setenv("SUDO_UID", sudo_uid, 1);
	r = tl_cd(home, "config", "window.days", days, NULL);
	unsetenv("SUDO_USER");
	unsetenv("SUDO_UID");
	CU_ASSERT(tl_ok_or_report(&r, "config"));
	tl_free(&r);
	return last_actor(home);
}

static const char *real_user(void)
{
	static char name[64];
	struct passwd *pw = getpwuid(getuid());

	snprintf(name, sizeof name, "%s", pw ? pw->pw_name : "?");
	return name;
}

/* Compares, then frees both. */
static void expect_actor(char *got, char *want)
{
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\nactor '%s', expected '%s'\n", got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(want);
}

static void test_sudo_user_as_sudo_sets_it(void)
{
	char *home = new_home(), *want, uid[24];
	struct passwd *nobody = getpwnam("nobody");

	CU_ASSERT_PTR_NOT_NULL_FATAL(nobody);
	snprintf(uid, sizeof uid, "%ld", (long)nobody->pw_uid);
	/* Root with SUDO_UID that user's uid: sudo's own settings, believed. As another
	 * user the same variables are only a claim. */
	want = is_root() ? cd_strdup("nobody\n") : cd_asprintf("%s (claimed nobody)\n", real_user());
	expect_actor(actor_with(home, "nobody", uid), want);
	free(home);
}

static void test_sudo_user_claims(void)
{
	char *home = new_home(), want[200];
	const char *me = real_user();

	/* Without SUDO_UID, or with another user's, SUDO_USER is only a claim. */
	snprintf(want, sizeof want, "%s (claimed alice)\n", me);
	expect_actor(actor_with(home, "alice", NULL), cd_strdup(want));
	snprintf(want, sizeof want, "%s (claimed nobody)\n", me);
	expect_actor(actor_with(home, "nobody", "0"), cd_strdup(want));
	expect_actor(actor_with(home, "nobody", "65534x"), cd_strdup(want));
	/* A claim that is no user name is kept, made harmless. */
	snprintf(want, sizeof want, "%s (claimed ?[31mroot?)\n", me);
	expect_actor(actor_with(home, "\x1b[31mroot\n", NULL), cd_strdup(want));
	/* Nor angle brackets, which would make the CRL commit's author invalid. */
	snprintf(want, sizeof want, "%s (claimed ?x?)\n", me);
	expect_actor(actor_with(home, "<x>", NULL), cd_strdup(want));
	/* Nothing claimed, or oneself: the real user alone. */
	snprintf(want, sizeof want, "%s\n", me);
	expect_actor(actor_with(home, NULL, NULL), cd_strdup(want));
	expect_actor(actor_with(home, me, NULL), cd_strdup(want));
	free(home);
}

/* Runs certdesk args as the user pw (dropped in a child); returns the exit status. */
static int run_as(const struct passwd *pw, const char *const *args)
{
	const char *argv[16];
	pid_t pid;
	int n = 0, st;

	argv[n++] = tl_bin();
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
			_exit(126);
		freopen("/dev/null", "w", stdout);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_sudo_user_not_root(void)
{
	struct passwd *nobody = getpwnam("nobody");
	char *home, *chown_home;
	tl_result r;

	if (!is_root() || !nobody) {
		/* test_sudo_user_claims ran as a user who is not root already. */
		CU_PASS("not root");
		return;
	}
	home = new_home();
	chown_home = cd_asprintf("chown -R %ld:%ld '%s'", (long)nobody->pw_uid,
				 (long)nobody->pw_gid, home);
	r = tl_sh("%s", chown_home);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
	/* nobody, with the variables sudo would set for root: not root, so not believed. */
	setenv("SUDO_USER", "root", 1);
	setenv("SUDO_UID", "0", 1);
	CU_ASSERT_EQUAL(run_as(nobody, TL_ARGS("--home", home, "config", "window.days", "30")), 0);
	unsetenv("SUDO_USER");
	unsetenv("SUDO_UID");
	expect_actor(last_actor(home), cd_strdup("nobody (claimed root)\n"));
	free(chown_home);
	free(home);
}

/* publish commits as the operator: a claim stays a claim there too. */
static void test_publish_author(void)
{
	char *base = new_dir(), *home = cd_asprintf("%s/home", base);
	char *remote = cd_asprintf("%s/remote.git", base), *who, *want;
	tl_result r;

	free(out_of(tl_sh("git init -q --bare -b main '%s'", remote)));
	r = tl_cd(home, "init", "--cn", "Test CA", "--crl-remote", remote, NULL);
	CU_ASSERT(tl_ok_or_report(&r, "init --crl-remote"));
	tl_free(&r);
	setenv("SUDO_USER", "alice", 1);
	r = tl_cd(home, "publish", NULL);
	unsetenv("SUDO_USER");
	CU_ASSERT(tl_ok_or_report(&r, "publish"));
	tl_free(&r);
	who = out_of(tl_sh("git -C '%s' log -1 --format='%%an <%%ae>|%%cn <%%ce>' main", remote));
	want = cd_asprintf("%s (claimed alice) <%s@", real_user(), real_user());
	CU_ASSERT(strncmp(who, want, strlen(want)) == 0);
	CU_ASSERT(strstr(who, "|") && strncmp(strstr(who, "|") + 1, want, strlen(want)) == 0);
	if (strncmp(who, want, strlen(want)) != 0)
		fprintf(stderr, "\nauthor: %s", who);
	free(who);
	free(want);
	free(remote);
	free(home);
	free(base);
}

/* ---- kill -9: a file is whole or absent ---- */

#define KILL_ROUNDS 30

static pid_t spawn(const char *const *argv)
{
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static void kill_after(pid_t pid, long max_us)
{
	struct timespec ts;
	long us = rand() % max_us;
	int st;

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* The CA of home is whole: a certificate and the key that belongs to it, both parsed
 * by openssl. */
static int ca_whole(const char *home)
{
	char *a = out_of(tl_sh("openssl pkey -in '%s/ca/ca.key' -pubout 2>&1", home));
	char *b = out_of(tl_sh("openssl x509 -in '%s/ca/ca.crt' -noout -pubkey 2>&1", home));
	int whole = tl_contains(a, "BEGIN PUBLIC KEY") && strcmp(a, b) == 0;

	if (!whole)
		fprintf(stderr, "\n%s: the CA is not whole:\n%s%s", home, a, b);
	free(a);
	free(b);
	return whole;
}

static void test_kill_init(void)
{
	char *base = new_dir(), *home = NULL, *ca = NULL, *debris;
	int i, whole = 0;
	tl_result r;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (i = 0; i < KILL_ROUNDS; i++) {
		free(home);
		free(ca);
		home = cd_asprintf("%s/h%d", base, i);
		ca = cd_asprintf("%s/ca", home);
		kill_after(spawn(TL_ARGS(tl_bin(), "--home", home, "init", "--cn", "Kill CA")), 70000);
		if (cd_path_exists(ca)) {
			/* A CA is there, so it is whole, and init keeps it. */
			CU_ASSERT(ca_whole(home));
			r = tl_cd(home, "init", "--cn", "Again", NULL);
			CU_ASSERT(r.status == 1 && tl_contains(r.err, "already holds a certdesk CA"));
			tl_free(&r);
			whole++;
		} else {
			/* No CA: what the kill left does not stop the next init. */
			r = tl_cd(home, "init", "--cn", "Kill CA", NULL);
			CU_ASSERT(tl_ok_or_report(&r, "init after a kill"));
			tl_free(&r);
			CU_ASSERT(ca_whole(home));
		}
		r = tl_cd(home, "list", NULL);
		CU_ASSERT(tl_ok_or_report(&r, "list after init"));
		tl_free(&r);
		debris = out_of(tl_sh("cd '%s' && find . -name ca.new -o -name '*.tmp.*'", home));
		CU_ASSERT_STRING_EQUAL(debris, "");
		free(debris);
	}
	fprintf(stderr, "(%d of %d killed inits had finished) ", whole, KILL_ROUNDS);
	free(ca);
	free(home);
	free(base);
}

static void test_kill_crl_out(void)
{
	char *home = new_home(), *out = new_dir(), *path, *v;
	int i, whole = 0;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (i = 0; i < KILL_ROUNDS; i++) {
		path = cd_asprintf("%s/crl-%d.pem", out, i);
		kill_after(spawn(TL_ARGS(tl_bin(), "--home", home, "crl", "--out", path)), 40000);
		if (cd_path_exists(path)) {
			v = out_of(tl_sh("openssl crl -in '%s' -CAfile '%s/ca/ca.crt' -noout -verify 2>&1",
				   path, home));
			if (!tl_contains(v, "verify OK"))
				fprintf(stderr, "\n%s after a kill: %s", path, v);
			CU_ASSERT(tl_contains(v, "verify OK"));
			free(v);
			whole++;
		}
		free(path);
	}
	/* (A kill between the temporary file's creation and its link may leave that
	 * temporary name; the final name is never partial.) */
	fprintf(stderr, "(%d of %d killed crl --out had finished) ", whole, KILL_ROUNDS);
	free(out);
	free(home);
}

static CU_TestInfo memory_tests[] = {
	{"a secret file leaves no copy in memory", test_no_copy_in_memory},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo key_tests[] = {
	{"a symbolic link as ca.key is refused", test_key_symlink_refused},
	{"a hard-linked ca.key is refused", test_key_hard_link_refused},
	{"what killed writers left beside the key and a CRL is removed",
	 test_killed_writers_temps_removed},
	{"ca.key of another user is refused", test_key_owner_refused},
	{"ca.key readable by others is refused", test_key_mode_refused},
	{"a FIFO as ca.key is refused, not waited on", test_key_fifo_refused},
	{"init encrypts the key with scrypt", test_init_uses_scrypt},
	{"a PBKDF2-2048 key is re-encrypted", test_old_pbkdf2_key_upgraded},
	{"a legacy PEM-encrypted key is re-encrypted", test_legacy_pem_key_upgraded},
	{"a PBKDF2-600000 key is kept", test_strong_pbkdf2_key_kept},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo operator_tests[] = {
	{"SUDO_USER with sudo's SUDO_UID, as root", test_sudo_user_as_sudo_sets_it},
	{"SUDO_USER otherwise only a claim", test_sudo_user_claims},
	{"SUDO_USER not believed from a user who is not root", test_sudo_user_not_root},
	{"publish commits with the same actor", test_publish_author},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo kill_tests[] = {
	{"kill -9 during init", test_kill_init},
	{"kill -9 during crl --out", test_kill_crl_out},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const tl_suite suites[] = {
		{"memory", memory_tests},
		{"CA key", key_tests},
		{"operator", operator_tests},
		{"kill", kill_tests},
		{NULL, NULL},
	};

	setenv("HOME", tl_tmpdir(), 1);
	unsetenv("CERTDESK_HOME");
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	unsetenv("SUDO_USER");
	unsetenv("SUDO_UID");
	return tl_main(suites);
}
