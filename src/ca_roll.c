/* ca_roll.c: a rollover to a new CA key, as file steps that a kill cannot leave half-done.
 *
 * The issuing CA is always dir/ca.crt with dir/ca.key. A rollover:
 *   1. makes the new CA in dir/next/ (ca_init: key, then certificate);
 *   2. links the old one's two files into dir/prev/KID/ (hard links: no copy of a key);
 *   3. renames dir/next/ca.key, then dir/next/ca.crt, over dir/ca.key and dir/ca.crt;
 *   4. removes dir/next.
 * ca_recover reads what dir/next holds: both files, the switch never began (undone);
 * the certificate alone, the key was switched (finished); nothing, only step 4 remains.
 */
#include "ca.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *path_in(const char *dir, const char *name)
{
	return cd_asprintf("%s/%s", dir, name);
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return cd_err("cannot open %s: %s", path, strerror(errno));
	fsync(fd);
	close(fd);
	return 0;
}

/* Overwrites a key file with zeros before unlinking it, so that its blocks do not keep
 * the key on a disk that does not move data around. Never through a symbolic link. */
static int destroy_key(const char *path)
{
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char zero[4096] = {0};

	if (fd < 0)
		return errno == ENOENT ? 0 : cd_err("cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && st.st_nlink == 1) { /* another name keeps it alive */
		off_t left = st.st_size;

		while (left > 0) {
			size_t k = left < (off_t)sizeof zero ? (size_t)left : sizeof zero;
			if (cd_write_fd(fd, zero, k) < 0)
				break;
			left -= (off_t)k;
		}
		fsync(fd);
	}
	close(fd);
	if (unlink(path) < 0 && errno != ENOENT)
		return cd_err("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

int ca_destroy_key(const char *path)
{
	return destroy_key(path);
}

/* Removes dir and the files in it (a staging or a stale directory of ours). */
static int remove_dir(const char *dir)
{
	DIR *dd = opendir(dir);
	struct dirent *e;

	if (!dd)
		return errno == ENOENT ? 0 : cd_err("cannot open %s: %s", dir, strerror(errno));
	while ((e = readdir(dd))) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = path_in(dir, e->d_name);
		if (strstr(e->d_name, ".key"))
			destroy_key(p);
		else
			unlink(p);
		free(p);
	}
	closedir(dd);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return cd_err("cannot remove %s: %s", dir, strerror(errno));
	return 0;
}

static int link_one(const char *from, const char *to)
{
	if (link(from, to) == 0 || errno == EEXIST)
		return 0;
	return cd_err("cannot link %s to %s: %s", from, to, strerror(errno));
}

/* Step 2: the old CA's files under dir/prev/KID/, the same inodes. */
static int keep_old(const char *dir, const char *kid)
{
	char *top = path_in(dir, "prev"), *keep = cd_asprintf("%s/prev/%s", dir, kid);
	char *crt = path_in(dir, "ca.crt"), *key = path_in(dir, "ca.key");
	char *kcrt = path_in(keep, "ca.crt"), *kkey = path_in(keep, "ca.key");
	/* A CA whose key is on a token has no key file to keep. */
	int rc = cd_mkdir_p(keep, 0700) < 0 || (cd_path_exists(key) && link_one(key, kkey) < 0) ||
		 link_one(crt, kcrt) < 0 || fsync_path(keep) < 0 || fsync_path(top) < 0 ? -1 : 0;

	free(top);
	free(keep);
	free(crt);
	free(key);
	free(kcrt);
	free(kkey);
	return rc;
}

static int move(const char *from, const char *to)
{
	if (rename(from, to) == 0)
		return 0;
	return cd_err("cannot move %s to %s: %s", from, to, strerror(errno));
}

/* Step 3 from where it stopped, then step 4. */
static int finish_switch(const char *dir, const char *next)
{
	char *nkey = path_in(next, "ca.key"), *ncrt = path_in(next, "ca.crt");
	char *key = path_in(dir, "ca.key"), *crt = path_in(dir, "ca.crt");
	char *nmark = path_in(next, "ca.p11");
	int rc = 0;

	if (cd_path_exists(nkey))
		rc = move(nkey, key);
	else if (unlink(nmark) < 0 && errno != ENOENT) /* a token key: only its marker */
		rc = cd_err("cannot remove %s: %s", nmark, strerror(errno));
	if (rc == 0 && cd_path_exists(ncrt))
		rc = move(ncrt, crt);
	if (rc == 0)
		rc = fsync_path(dir) < 0 || remove_dir(next) < 0 || fsync_path(dir) < 0 ? -1 : 0;
	free(nkey);
	free(ncrt);
	free(key);
	free(crt);
	free(nmark);
	return rc;
}

/* The switch never began: the new CA goes, and the old one's links in prev/ with it
 * (unlinked only: the same inodes are the issuing CA's files). */
static int undo(const char *dir, const char *next)
{
	char kid[41], *keep, *kcrt, *kkey;
	int rc;

	if (ca_kid_of(dir, kid) < 0)
		return -1;
	keep = cd_asprintf("%s/prev/%s", dir, kid);
	kcrt = path_in(keep, "ca.crt");
	kkey = path_in(keep, "ca.key");
	unlink(kkey);
	unlink(kcrt);
	rc = rmdir(keep) < 0 && errno != ENOENT ? cd_err("cannot remove %s: %s", keep,
							 strerror(errno)) : 0;
	if (rc == 0)
		rc = remove_dir(next) < 0 || fsync_path(dir) < 0 ? -1 : 0;
	free(keep);
	free(kcrt);
	free(kkey);
	return rc;
}

/* A retirement killed between its move and the key's end leaves the key: end it. */
static void retired_keys(const char *dir)
{
	char *top = path_in(dir, "retired");
	DIR *dd = opendir(top);
	struct dirent *e;

	while (dd && (e = readdir(dd))) {
		char *key;

		if (!ca_kid_valid(e->d_name))
			continue;
		key = cd_asprintf("%s/%s/ca.key", top, e->d_name);
		destroy_key(key);
		free(key);
	}
	if (dd)
		closedir(dd);
	free(top);
}

int ca_recover(const char *dir, char *done, size_t size)
{
	char *next = path_in(dir, "next"), *nkey = path_in(next, "ca.key");
	char *ncrt = path_in(next, "ca.crt"), *nmark = path_in(next, "ca.p11");
	int rc = 0, crt = cd_path_exists(ncrt);
	int key = cd_path_exists(nkey) || cd_path_exists(nmark); /* a token key's marker */

	*done = '\0';
	retired_keys(dir);
	if (!cd_path_exists(next))
		;
	else if (key && crt) {
		if ((rc = undo(dir, next)) == 0)
			snprintf(done, size, "an interrupted CA rollover was undone: the CA that "
				 "issued before still issues");
	} else if (crt || !key) {
		if ((rc = finish_switch(dir, next)) == 0 && crt)
			snprintf(done, size, "an interrupted CA rollover was finished");
	} else if ((rc = remove_dir(next)) == 0) /* a key whose certificate never came */
		snprintf(done, size, "an interrupted CA rollover was undone");
	free(next);
	free(nkey);
	free(ncrt);
	free(nmark);
	return rc;
}

/* No two CAs of a home share a name: CRLs and certificates name their issuer by it. */
int ca_name_free(const ca *c, const char *cn)
{
	for (; c; c = ca_older(c))
		if (strcmp(ca_name(c), cn) == 0)
			return cd_err("a CA of this home is already named '%s': give the new one "
				      "another name (--cn)", cn);
	return 0;
}

static int rollover(const ca *c, const char *dir, const char *cn, ca_key_type kt, int days,
		    const char *passphrase, EVP_PKEY *key)
{
	char *next = path_in(dir, "next");
	int rc = -1;

	if (ca_name_free(c, cn) < 0)
		goto out;
	if (cd_path_exists(next)) {
		cd_err("%s exists: an interrupted rollover; run any certdesk command to finish it",
		       next);
		goto out;
	}
	if ((key ? ca_init_key(next, cn, key, days) : ca_init(next, cn, kt, days, passphrase)) < 0) {
		remove_dir(next);
		goto out;
	}
	if (keep_old(dir, ca_kid(c)) < 0 || finish_switch(dir, next) < 0)
		goto out;
	rc = 0;
out:
	free(next);
	return rc;
}

int ca_rollover(const ca *c, const char *dir, const char *cn, ca_key_type kt, int days,
		const char *passphrase)
{
	return rollover(c, dir, cn, kt, days, passphrase, NULL);
}

int ca_rollover_key(const ca *c, const char *dir, const char *cn, EVP_PKEY *key, int days)
{
	return rollover(c, dir, cn, CA_KEY_EC, days, NULL, key);
}

int ca_retire(const char *dir, const char *kid)
{
	char *from = cd_asprintf("%s/prev/%s", dir, kid), *top = path_in(dir, "retired");
	char *to = cd_asprintf("%s/%s", top, kid), *key = path_in(to, "ca.key");
	int rc = -1;

	if (!ca_kid_valid(kid))
		cd_err("invalid CA key identifier '%.50s'", kid);
	else if (cd_mkdir_p(top, 0700) == 0 && move(from, to) == 0 && fsync_path(top) == 0) {
		char *prev = path_in(dir, "prev");

		fsync_path(prev);
		free(prev);
		rc = destroy_key(key);
	}
	free(from);
	free(top);
	free(to);
	free(key);
	return rc;
}
