/* crlrepo.c: the CRL's git history, kept with libgit2 in a bare clone inside the home.
 *
 * Commits are built from objects only (blob, updated tree, commit), never through a
 * work tree or an index, so files the team keeps next to the CRL stay as they are.
 * Commits move no branch here: a push names its commit through a private ref under
 * refs/certdesk/push/, which is the only local ref this module writes besides the
 * remote-tracking refs under refs/remotes/origin/ that fetches and pushes update. */
#include "crlrepo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "git2dl.h"

#include "crlpack.h"
#include "util.h"

#define CR_REMOTE "origin"
#define CR_PUSH_NS "refs/certdesk/push/"
/* Memory is for speed, not a limit on a publish: past this much, the objects go out. */
#define CR_HOLD_MAX (64u << 20)

struct crlrepo {
	git_repository *repo;
	char *dir;    /* the clone */
	char *url;    /* as configured */
	char *shown;  /* url without a password, for messages */
	char *secret; /* the password in url, scrubbed from messages; NULL when none */
	git_odb_backend *mempack; /* where new objects wait; owned by the odb */
	crlpack *pack;            /* the same objects, compressed for the clone's next pack */
	int unsaved;              /* objects in mempack not yet written as a pack */
	size_t held;              /* bytes of files given to mempack since it was emptied */
};

/* State shared with libgit2's network callbacks during one fetch or push. */
struct cr_net {
	int agent_tried, url_has_password;
	char rejected[256];
	cd_buf said; /* what the server printed (its hooks' output), for a refusal */
};

static const char *cr_git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message && *e->message ? e->message : "unknown libgit2 error";
}

/* Overwrites every occurrence of the userinfo secret, and of its user and password
 * apart, in msg. */
static void scrub(char *msg, const char *secret)
{
	size_t n = strlen(secret), colon = strcspn(secret, ":"), i;
	const struct {
		size_t off, len;
	} parts[] = {{0, n}, {0, colon}, {colon + 1, colon < n ? n - colon - 1 : 0}};
	char *p;

	for (i = 0; i < sizeof parts / sizeof *parts; i++) {
		char *part = cd_strndup(secret + (parts[i].len ? parts[i].off : 0), parts[i].len);

		for (p = msg; *part && (p = strstr(p, part)); p += parts[i].len)
			memset(p, '*', parts[i].len);
		free(part);
	}
}

/* Sets the error line "<context>: <libgit2 message>", with any password masked. */
static int cr_fail(const crlrepo *r, const char *context)
{
	cd_buf b = {0};
	char *msg, *p;

	cd_buf_printf(&b, "%s: %s", context, cr_git_msg());
	msg = cd_buf_take(&b);
	if (r && r->secret)
		scrub(msg, r->secret);
	/* libgit2 may echo a URL as it rewrote it (a redirect, another encoding). */
	p = cd_mask_urls(msg);
	free(msg);
	msg = p;
	for (p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	cd_err("%s", msg);
	free(msg);
	return -1;
}

/* Keeps the password of scheme://user:password@host/... apart, so that it never reaches
 * a message. */
static void cr_set_url(crlrepo *r, const char *url)
{
	r->url = cd_strdup(url);
	r->shown = cd_mask_urls(url);
	r->secret = cd_url_secret(url);
}

/* The local directory url names, or NULL for a network URL. */
static const char *cr_local_path(const char *url)
{
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	if (!strncmp(url, "file://", 7))
		return url + 7;
	/* scheme:// and scp-like host:path are remote; a colon after a slash is a name. */
	if (colon && (!slash || colon < slash))
		return NULL;
	return url;
}

/* libgit2 says "unsupported URL protocol" for a missing local path: say what it is. */
static int cr_net_fail(const crlrepo *r, const char *context)
{
	const char *path = cr_local_path(r->url);
	struct stat st;

	if (path && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)))
		return cd_err("%s: no git repository at that path", context);
	return cr_fail(r, context);
}

static int cr_check_branch(const char *branch)
{
	char *name;
	int valid = 0;

	if (!branch || !*branch)
		return cd_err("empty branch name");
	name = cd_asprintf("refs/heads/%s", branch);
	if (git_reference_name_is_valid(&valid, name) < 0)
		valid = 0;
	free(name);
	if (!valid)
		return cd_err("invalid branch name '%.80s'", branch);
	return 0;
}

/* A path inside the repository: relative, no empty, "." , ".." or ".git" parts. */
static int cr_check_path(const char *path)
{
	const char *p = path, *slash;
	size_t n;

	if (!path || !*path)
		return cd_err("empty path in the CRL repository");
	do {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2)) ||
		    (n == 4 && !strncasecmp(p, ".git", 4)))
			return cd_err("invalid path '%.120s' in the CRL repository", path);
		p = slash + 1;
	} while (slash);
	return 0;
}

static int cr_parse_id(const char *hex, git_oid *oid)
{
	if (!hex || strlen(hex) != GIT_OID_HEXSZ || git_oid_fromstr(oid, hex) < 0)
		return cd_err("invalid commit id '%.48s': expected 40 hex digits", hex ? hex : "");
	return 0;
}

static int cr_lookup_commit(crlrepo *r, const char *hex, git_commit **out)
{
	git_oid oid;
	char *ctx;
	int rc;

	if (cr_parse_id(hex, &oid) < 0)
		return -1;
	if (git_commit_lookup(out, r->repo, &oid) == 0)
		return 0;
	ctx = cd_asprintf("commit %s is not in the CRL repository", hex);
	rc = cr_fail(r, ctx);
	free(ctx);
	return rc;
}

/* 1 when every entry of dir passes keep (so an empty one does); 0 when unreadable. */
static int cr_dir_only(const char *dir, int (*keep)(const char *name))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int all = 1;

	if (!d)
		return 0;
	while (all && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			all = keep(e->d_name);
	closedir(d);
	return all;
}

static int cr_no_name(const char *name)
{
	(void)name;
	return 0;
}

static int cr_ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && strcmp(s + n - k, tail) == 0;
}

/* libgit2 writes a file of the repository's own directory as _git2_XXXXXX first. */
static int cr_git_temp(const char *name)
{
	return !strncmp(name, "_git2_", 6);
}

/* A pack certdesk was writing (crlpack.c, through cd_replace_file) when it was killed. */
static int cr_pack_temp(const char *name)
{
	return !strncmp(name, "pack-", 5) && strstr(name, ".tmp.") != NULL;
}

/* What creating a bare repository puts in its directory (HEAD comes last). */
static int cr_git_name(const char *name)
{
	static const char *const names[] = {"config", "description", "hooks", "info", "objects",
					    "refs", "branches", "logs", "packed-refs", NULL};
	size_t i;

	for (i = 0; names[i]; i++)
		if (!strcmp(name, names[i]))
			return 1;
	return cr_ends_with(name, ".lock") || cr_git_temp(name);
}

static void cr_note(crlrepo_note_fn note, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cr_note(crlrepo_note_fn note, void *ctx, const char *fmt, ...)
{
	cd_buf b = {0};
	va_list ap;

	if (!note)
		return;
	va_start(ap, fmt);
	cd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	note(ctx, b.s);
	cd_buf_free(&b);
}

static int cr_drop(const char *what, const char *path, crlrepo_note_fn note, void *ctx)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return cd_err("cannot remove the stale %s %s: %s", what, path, strerror(errno));
	cr_note(note, ctx, "removed the stale %s %s, left by an interrupted publish", what, path);
	return 0;
}

/*
 * Only the process holding the home's publish lock writes the clone, so a lock file of
 * libgit2's found there was left by a run that was killed, and so was a temporary file
 * of the top directory: removed, each one reported. Loose objects are written under
 * temporary names and harm nothing unused: that tree is skipped, but for objects/pack,
 * where the indexer of a killed fetch leaves its pack_git2_*idx.lock and a killed save
 * its pack-*.tmp.<pid> files.
 */
static int cr_clear_locks(const char *dir, crlrepo_note_fn note, void *ctx, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	int rc = 0;

	if (!d)
		return depth ? 0 : cd_err("cannot read %s: %s", dir, strerror(errno));
	while (rc == 0 && (e = readdir(d))) {
		char *path;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path = cd_asprintf("%s/%s", dir, e->d_name);
		if (depth == 0 && !strcmp(e->d_name, "objects")) {
			char *pack = cd_asprintf("%s/pack", path);
			rc = cr_clear_locks(pack, note, ctx, 16); /* its files, not below */
			free(pack);
			free(path);
			continue;
		}
		if (lstat(path, &st) < 0)
			;
		else if (S_ISDIR(st.st_mode) && depth < 16)
			rc = cr_clear_locks(path, note, ctx, depth + 1);
		else if (S_ISREG(st.st_mode) && cr_ends_with(e->d_name, ".lock"))
			rc = cr_drop("lock file", path, note, ctx);
		else if (S_ISREG(st.st_mode) && depth == 16 && cr_pack_temp(e->d_name))
			rc = cr_drop("temporary file", path, note, ctx);
		else if (S_ISREG(st.st_mode) && depth == 0 && cr_git_temp(e->d_name))
			rc = cr_drop("temporary file", path, note, ctx);
		free(path);
	}
	closedir(d);
	return rc;
}

static int cr_open_repo(const char *dir, crlrepo_note_fn note, void *ctx, int repair,
			git_repository **repo)
{
	int made;

	if (cd_mkdir_p(dir, 0700) < 0)
		return -1;
	if (git_repository_open_bare(repo, dir) == 0)
		return repair ? cr_clear_locks(dir, note, ctx, 0) : 0;
	/* A clone whose creation was cut short has no HEAD yet, only what git makes. */
	made = !cr_dir_only(dir, cr_no_name);
	if (made && !cr_dir_only(dir, cr_git_name))
		return cd_err("not a git repository, and it holds files certdesk did not put there: "
			      "move it away, and the next publish clones the CRL repository afresh");
	if (made && !repair)
		return cd_err("the CRL repository's creation was interrupted: 'certdesk publish' "
			      "completes it");
	if (made && cr_clear_locks(dir, note, ctx, 0) < 0)
		return -1;
	if (git_repository_init(repo, dir, 1) < 0)
		return cd_err("cannot create the CRL repository here: %s; publish again once that "
			      "is fixed (space freed, permissions), or move the directory away",
			      cr_git_msg());
	if (made)
		cr_note(note, ctx, "completed the CRL repository %s, whose creation was interrupted",
			dir);
	return 0;
}

/* Sets name in the clone's own config unless it already holds value. */
static int cr_config_set(crlrepo *r, git_config *cfg, const char *name, const char *value)
{
	git_buf cur = GIT_BUF_INIT;
	int rc = git_config_get_string_buf(&cur, cfg, name);

	if (rc == 0 && !strcmp(cur.ptr, value))
		rc = 1;
	git_buf_dispose(&cur);
	if (rc == 1)
		return 0;
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return cr_fail(r, "cannot read the CRL repository's config");
	if (git_config_set_string(cfg, name, value) < 0)
		return cr_fail(r, "cannot set the CRL repository's remote");
	return 0;
}

/*
 * Records "origin" in the config so that git itself can be pointed at the clone, minus
 * any password: the config file is not a secret file. The
 * network code below uses anonymous remotes on r->url instead of git_remote_lookup:
 * libgit2 1.5 leaks a regex match block per config entry on every named lookup.
 */
static int cr_set_origin(crlrepo *r)
{
	git_config *cfg = NULL;
	int rc;

	if (git_repository_config(&cfg, r->repo) < 0)
		return cr_fail(r, "cannot open the CRL repository's config");
	rc = cr_config_set(r, cfg, "remote." CR_REMOTE ".url", r->shown);
	if (rc == 0)
		rc = cr_config_set(r, cfg, "remote." CR_REMOTE ".fetch",
				   "+refs/heads/*:refs/remotes/" CR_REMOTE "/*");
	git_config_free(cfg);
	return rc;
}

/*
 * A push packs every new CRL; a CRL of a thousand entries barely deltas against the
 * previous one (the base64 shifts after the inserted entry), so a wide delta window only
 * costs time: 64 KiB keeps pushes of large CRLs fast and small CRLs well packed. Every
 * delta is kept from the search to the writing (libgit2 keeps only those under 1,000
 * bytes by default and computes the others a second time, reading both objects again);
 * the cache stays under libgit2's default total of 256 MiB. Best effort: a teammate's
 * read-only open must not fail for want of it.
 */
static void cr_tune(crlrepo *r)
{
	static const struct {
		const char *name;
		int64_t value;
	} set[] = {{"pack.windowMemory", 65536}, {"pack.deltaCacheLimit", 1 << 20}};
	git_config *cfg = NULL;
	int64_t v = 0;
	size_t i;

	if (git_repository_config(&cfg, r->repo) < 0) {
		git_error_clear();
		return;
	}
	for (i = 0; i < sizeof set / sizeof *set; i++)
		if ((git_config_get_int64(&v, cfg, set[i].name) < 0 || v != set[i].value) &&
		    git_config_set_int64(cfg, set[i].name, set[i].value) < 0)
			git_error_clear();
	git_config_free(cfg);
}

/*
 * New objects go to memory first and reach the disk as one pack (cr_save): a publish of
 * a thousand revocations would otherwise create three thousand loose object files, and
 * file creation is most of what that costs.
 */
static int cr_attach_mempack(crlrepo *r)
{
	git_odb *odb = NULL;
	int rc = git_repository_odb(&odb, r->repo);

	if (rc == 0 && (rc = git_mempack_new(&r->mempack)) == 0 &&
	    (rc = git_odb_add_backend(odb, r->mempack, 999)) < 0) {
		r->mempack->free(r->mempack);
		r->mempack = NULL;
	}
	git_odb_free(odb);
	return rc < 0 ? cr_fail(r, "cannot prepare the CRL repository's object store") : 0;
}

/*
 * Writes the objects waiting in memory to the clone as one pack (crlpack.c). They stay
 * in memory too, until cr_release: the push that follows reads each of them two or three
 * times, and reading them back from the pack would mean inflating them each time.
 */
static int cr_dump(crlrepo *r)
{
	git_odb *odb = NULL;
	char *dir;
	int rc;

	if (!r->mempack || !r->unsaved)
		return 0;
	dir = cd_asprintf("%sobjects/pack", git_repository_path(r->repo));
	rc = crlpack_write(r->pack, dir);
	free(dir);
	if (rc == 0 && (git_repository_odb(&odb, r->repo) < 0 || git_odb_refresh(odb) < 0))
		rc = cr_fail(r, "cannot read the new pack");
	git_odb_free(odb);
	if (rc == 0)
		r->unsaved = 0;
	return rc;
}

/* Empties the memory once what it holds is on disk. */
static void cr_release(crlrepo *r)
{
	if (r->mempack && !r->unsaved) {
		git_mempack_reset(r->mempack);
		r->held = 0;
	}
}

static int cr_save(crlrepo *r)
{
	if (cr_dump(r) < 0)
		return cd_err("cannot write the new commits to the CRL repository: %s",
			      cd_errmsg());
	return 0;
}

/*
 * A push to a path is libgit2 writing that repository itself: killed midway, it leaves
 * the ref's lock file there, and every later push to the branch (certdesk's, or a
 * teammate's git) fails on it. So the lock files such a push may take are written down
 * next to the clone first, and struck off when it returns; found by a later run, which
 * holds the publish lock, they are the dead push's and are removed.
 */
static char *cr_marker(const crlrepo *r)
{
	return cd_asprintf("%s.pushing", r->dir);
}

static int cr_mark_push(const crlrepo *r, const char *branch, const char *commit)
{
	const char *local = cr_local_path(r->url);
	char *path, *marker, *text;
	int fd, rc = 0;

	/* Absolute, as the next run may start elsewhere; a path that does not resolve
	 * fails the push anyway. */
	if (!local || !(path = realpath(local, NULL)))
		return 0;
	marker = cr_marker(r);
	text = cd_asprintf("oid %.40s\n%s/refs/heads/%s.lock\n%s/.git/refs/heads/%s.lock\n",
			   commit, path, branch, path, branch);
	free(path);
	fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || cd_write_fd(fd, text, strlen(text)) < 0)
		rc = cd_err("cannot write %s: %s", marker, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(text);
	free(marker);
	return rc;
}

static void cr_unmark_push(const crlrepo *r)
{
	char *marker = cr_marker(r);

	unlink(marker);
	free(marker);
}

/* The remote is shared: a lock there is the killed run's when it names the commit that
 * run pushed, or when it was made within a minute of the run's marker (killed before
 * it wrote the lock's content). A later one is someone else's push. File times are
 * compared with file times: the same clock. */
static int cr_lock_is_ours(const char *path, const char *oid, const struct stat *marker)
{
	struct stat sb;
	char *data = NULL;
	size_t len = 0;
	int ours;

	if (lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return 0;
	if (sb.st_mtime >= marker->st_mtime - 1 && sb.st_mtime <= marker->st_mtime + 60)
		return 1;
	ours = *oid && cd_read_file(path, &data, &len) == 0 && len >= 40 &&
	       strncmp(data, oid, 40) == 0;
	free(data);
	return ours;
}

static int cr_clear_push_locks(const crlrepo *r, crlrepo_note_fn note, void *ctx)
{
	char *marker = cr_marker(r), *data = NULL, *line, *save = NULL;
	char oid[41] = "";
	struct stat made;
	size_t len;
	int rc = 0;

	if (lstat(marker, &made) == 0 && cd_read_file(marker, &data, &len) == 0) {
		for (line = strtok_r(data, "\n", &save); line && rc == 0;
		     line = strtok_r(NULL, "\n", &save))
			if (!strncmp(line, "oid ", 4))
				snprintf(oid, sizeof oid, "%.40s", line + 4);
			else if (*line == '/' && cr_ends_with(line, ".lock") && cd_path_exists(line))
				rc = cr_lock_is_ours(line, oid, &made) ?
				     cr_drop("lock file", line, note, ctx) :
				     cd_err("%s is not this home's: another push to the CRL "
					    "repository may be running; try again, or remove it if "
					    "none is", line);
		free(data);
	}
	if (rc == 0)
		unlink(marker);
	free(marker);
	return rc;
}

static int cr_open(const char *dir, const char *url, crlrepo_note_fn note, void *ctx,
		   int repair, crlrepo **out)
{
	crlrepo *r;

	*out = NULL;
	if (!url || !*url)
		return cd_err("no URL for the CRL repository");
	if (!dir || !*dir)
		return cd_err("no directory for the CRL repository's clone");
	if (git2dl_load() < 0)
		return -1;
	if (git_libgit2_init() < 0)
		return cr_fail(NULL, "cannot initialise libgit2");
	/* As git does, an object read is not hashed again (libgit2 does it by default, and a
	 * push reads every object two or three times): the objects were hashed when they were
	 * made here, or by the indexer of the fetch that brought them. */
	if (git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0) < 0)
		git_error_clear();
	r = cd_malloc(sizeof *r);
	memset(r, 0, sizeof *r);
	r->pack = crlpack_new();
	r->dir = cd_strdup(dir);
	cr_set_url(r, url);
	if (cr_open_repo(dir, note, ctx, repair, &r->repo) < 0 || cr_set_origin(r) < 0 ||
	    cr_attach_mempack(r) < 0 || (repair && cr_clear_push_locks(r, note, ctx) < 0)) {
		cd_err("%s: %s", dir, cd_errmsg());
		crlrepo_close(r);
		return -1;
	}
	cr_tune(r);
	*out = r;
	return 0;
}

int crlrepo_open(const char *dir, const char *url, crlrepo **out)
{
	return cr_open(dir, url, NULL, NULL, 0, out);
}

int crlrepo_open_repair(const char *dir, const char *url, crlrepo_note_fn note, void *ctx,
			crlrepo **out)
{
	return cr_open(dir, url, note, ctx, 1, out);
}

void crlrepo_close(crlrepo *r)
{
	char *keep;

	if (!r)
		return;
	/* Commits never pushed are kept as loose ones were. The caller's error line stays:
	 * such commits are rebuilt from the database anyway. */
	keep = cd_strdup(cd_errmsg());
	if (r->repo && cr_dump(r) < 0) {
		git_error_clear();
		cd_err("%s", keep);
	}
	free(keep);
	crlpack_free(r->pack);
	git_repository_free(r->repo);
	free(r->dir);
	free(r->url);
	free(r->shown);
	free(r->secret);
	free(r);
	git_libgit2_shutdown();
}

/*
 * certdesk runs from cron and over SSH with nobody to type a password: it offers the
 * ssh agent once, then fails with a message instead of waiting for input.
 */
static int cr_credentials(git_credential **out, const char *url, const char *user,
			  unsigned int allowed, void *payload)
{
	struct cr_net *net = payload;

	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && user && getenv("SSH_AUTH_SOCK") &&
	    !net->agent_tried++)
		return git_credential_ssh_key_from_agent(out, user);
	if (net->url_has_password)
		git_error_set_str(GIT_ERROR_NET, "the repository refused the password in its URL");
	else
		git_error_set_str(GIT_ERROR_NET, "the repository asks for credentials and certdesk "
				  "never prompts: use an ssh agent or a URL that needs none");
	return GIT_EAUTH;
}

/* The remote's per-ref verdict: a non-NULL status is its reason for refusing. */
static int cr_push_status(const char *refname, const char *status, void *payload)
{
	struct cr_net *net = payload;

	if (status && !net->rejected[0])
		snprintf(net->rejected, sizeof net->rejected, "%s", status);
	return 0;
}

/* The server's own words (remote: lines), kept short: they explain a refusal. */
static int cr_server_said(const char *str, int len, void *payload)
{
	struct cr_net *net = payload;

	if (len > 0 && net->said.len < 400)
		cd_buf_add(&net->said, str, (size_t)len < 400 ? (size_t)len : 400);
	return 0;
}

static void cr_callbacks(const crlrepo *r, git_remote_callbacks *cb, struct cr_net *net)
{
	memset(net, 0, sizeof *net);
	net->url_has_password = r->secret != NULL;
	cb->credentials = cr_credentials;
	cb->push_update_reference = cr_push_status;
	cb->payload = net;
}

/* insteadOf rewrites are skipped: the URL certdesk was given is the one it uses. */
static int cr_remote(crlrepo *r, git_remote **remote)
{
	git_remote_create_options opts;

	git_remote_create_options_init(&opts, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	opts.repository = r->repo;
	opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(remote, r->url, &opts) < 0)
		return cr_fail(r, "invalid URL for the CRL repository");
	return 0;
}

static int cr_tracking_tip(crlrepo *r, const char *branch, int *exists, char tip[41])
{
	char *name = cd_asprintf("refs/remotes/" CR_REMOTE "/%s", branch);
	git_oid oid;
	int rc = git_reference_name_to_id(&oid, r->repo, name);

	free(name);
	*exists = 0;
	tip[0] = '\0';
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return cr_fail(r, "cannot read the fetched branch");
	*exists = 1;
	git_oid_tostr(tip, 41, &oid);
	return 0;
}

int crlrepo_fetch(crlrepo *r, const char *branch, int *exists, char tip[41])
{
	git_fetch_options opts;
	git_remote *remote = NULL;
	struct cr_net net;
	char *spec, *ctx;
	git_strarray specs;
	int rc;

	*exists = 0;
	tip[0] = '\0';
	if (cr_check_branch(branch) < 0 || cr_remote(r, &remote) < 0)
		return -1;
	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	cr_callbacks(r, &opts.callbacks, &net);
	/* Pruning drops the tracking ref when someone deleted the branch upstream. */
	opts.prune = GIT_FETCH_PRUNE;
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	spec = cd_asprintf("+refs/heads/%s:refs/remotes/" CR_REMOTE "/%s", branch, branch);
	specs.strings = &spec;
	specs.count = 1;
	rc = git_remote_fetch(remote, &specs, &opts, NULL);
	free(spec);
	git_remote_free(remote);
	if (rc < 0) {
		ctx = cd_asprintf("cannot reach the CRL repository %s", r->shown);
		cr_net_fail(r, ctx);
		free(ctx);
		return -1;
	}
	return cr_tracking_tip(r, branch, exists, tip);
}

static int cr_blob_at(crlrepo *r, git_commit *commit, const char *path, git_blob **blob)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	int rc;

	if (git_commit_tree(&tree, commit) < 0)
		return cr_fail(r, "cannot read the commit's tree");
	rc = git_tree_entry_bypath(&entry, tree, path);
	if (rc == 0 && git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		rc = cd_err("'%.120s' is not a file in the CRL repository", path);
	else if (rc == 0 && git_blob_lookup(blob, r->repo, git_tree_entry_id(entry)) < 0)
		rc = cr_fail(r, "cannot read the file");
	else if (rc < 0 && rc != GIT_ENOTFOUND)
		rc = cr_fail(r, "cannot look up the file");
	git_tree_entry_free(entry);
	git_tree_free(tree);
	return rc;
}

int crlrepo_read(crlrepo *r, const char *commit, const char *path, char **data,
		 size_t *len, int *found)
{
	git_commit *c = NULL;
	git_blob *blob = NULL;
	int rc;

	*data = NULL;
	*len = 0;
	*found = 0;
	if (cr_check_path(path) < 0 || cr_lookup_commit(r, commit, &c) < 0)
		return -1;
	rc = cr_blob_at(r, c, path, &blob);
	git_commit_free(c);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return -1;
	*len = (size_t)git_blob_rawsize(blob);
	*data = cd_malloc(*len + 1);
	memcpy(*data, git_blob_rawcontent(blob), *len);
	(*data)[*len] = '\0';
	*found = 1;
	git_blob_free(blob);
	return 0;
}

/* The tree a new commit starts from: the parent's, or an empty one for a root commit. */
static int cr_base_tree(crlrepo *r, git_commit *parent, git_tree **tree)
{
	git_treebuilder *bld = NULL;
	git_oid oid;
	int rc;

	if (parent)
		return git_commit_tree(tree, parent) < 0 ? cr_fail(r, "cannot read the parent") : 0;
	rc = git_treebuilder_new(&bld, r->repo, NULL);
	if (rc == 0)
		rc = git_treebuilder_write(&oid, bld);
	if (rc == 0)
		rc = git_tree_lookup(tree, r->repo, &oid);
	git_treebuilder_free(bld);
	return rc < 0 ? cr_fail(r, "cannot make an empty tree") : 0;
}

/* Hands an object just made to the next pack, unless it was on disk already (then
 * libgit2 wrote nothing to memory). data NULL: read from memory. */
static int cr_pack_object(crlrepo *r, const git_oid *id, int type, const void *data,
			  size_t len)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	int rc;

	if (!r->mempack->exists(r->mempack, id))
		return 0;
	if (data)
		return crlpack_add(r->pack, id->id, type, data, len);
	if (git_repository_odb(&odb, r->repo) < 0 || git_odb_read(&obj, odb, id) < 0)
		rc = cr_fail(r, "cannot read a new object");
	else
		rc = crlpack_add(r->pack, id->id, type, git_odb_object_data(obj),
				 git_odb_object_size(obj));
	git_odb_object_free(obj);
	git_odb_free(odb);
	return rc;
}

/* The trees a new commit made: its root and each directory on the way to path. */
static int cr_pack_trees(crlrepo *r, git_tree *root, const char *path)
{
	const char *slash = path;
	int rc = cr_pack_object(r, git_tree_id(root), CRLPACK_TREE, NULL, 0);

	while (rc == 0 && (slash = strchr(slash, '/'))) {
		char *dir = cd_strndup(path, (size_t)(slash - path));
		git_tree_entry *e = NULL;

		if (git_tree_entry_bypath(&e, root, dir) < 0)
			rc = cr_fail(r, "cannot read the new tree");
		else
			rc = cr_pack_object(r, git_tree_entry_id(e), CRLPACK_TREE, NULL, 0);
		git_tree_entry_free(e);
		free(dir);
		slash++;
	}
	return rc;
}

/* The file as a blob, in memory and in the next pack. Its id is computed here (most
 * of what libgit2 would spend on a large CRL is hashing it), and it goes straight to
 * memory, unless a pack or the memory has it already. */
static int cr_write_blob(crlrepo *r, const char *data, size_t len, git_oid *id)
{
	git_odb *odb = NULL;
	int there;

	if (crlpack_object_id(CRLPACK_BLOB, data, len, id->id) < 0)
		return -1;
	if (git_repository_odb(&odb, r->repo) < 0)
		return cr_fail(r, "cannot store the file");
	there = git_odb_exists(odb, id);
	git_odb_free(odb);
	if (there)
		return 0;
	if (r->mempack->write(r->mempack, id, data, len, GIT_OBJECT_BLOB) < 0)
		return cr_fail(r, "cannot store the file");
	return cr_pack_object(r, id, CRLPACK_BLOB, data, len);
}

/* Writes data as a blob and returns the parent's tree with path replaced by it. */
static int cr_write_tree(crlrepo *r, git_commit *parent, const char *path, const char *data,
			 size_t len, git_tree **out)
{
	git_tree_update upd = {.action = GIT_TREE_UPDATE_UPSERT,
			       .filemode = GIT_FILEMODE_BLOB,
			       .path = path};
	git_tree *base = NULL;
	git_oid oid;
	int rc;

	if (cr_write_blob(r, data, len, &upd.id) < 0 || cr_base_tree(r, parent, &base) < 0)
		return -1;
	rc = git_tree_create_updated(&oid, r->repo, base, 1, &upd);
	git_tree_free(base);
	if (rc == 0)
		rc = git_tree_lookup(out, r->repo, &oid);
	if (rc < 0)
		return cr_fail(r, "cannot build the new tree");
	return cr_pack_trees(r, *out, path);
}

static int cr_check_commit_args(const char *message, const crlrepo_sig *author)
{
	if (!message || !*message)
		return cd_err("empty commit message");
	if (!author || !author->name || !*author->name || !author->email || !*author->email)
		return cd_err("a commit needs an author name and email");
	return 0;
}

/* The author is also the committer, so a commit depends only on its arguments. */
static int cr_make_commit(crlrepo *r, git_commit *parent, git_tree *tree, const char *message,
			  const crlrepo_sig *author, char out[41])
{
	const git_commit *parents[1] = {parent};
	git_signature *sig = NULL;
	git_oid oid;
	char *msg;
	int rc;

	if (git_signature_new(&sig, author->name, author->email, (git_time_t)author->when, 0) < 0)
		return cr_fail(r, "invalid commit author");
	/* git itself ends every message with a newline; do the same. */
	msg = message[strlen(message) - 1] == '\n' ? cd_strdup(message)
						   : cd_asprintf("%s\n", message);
	rc = git_commit_create(&oid, r->repo, NULL, sig, sig, NULL, msg, tree,
			       parent ? 1 : 0, parents);
	free(msg);
	git_signature_free(sig);
	if (rc < 0)
		return cr_fail(r, "cannot create the commit");
	git_oid_tostr(out, 41, &oid);
	return cr_pack_object(r, &oid, CRLPACK_COMMIT, NULL, 0);
}

int crlrepo_commit(crlrepo *r, const char *parent, const char *path, const char *data,
		   size_t len, const char *message, const crlrepo_sig *author, char out[41])
{
	git_commit *p = NULL;
	git_tree *tree = NULL;
	int rc;

	out[0] = '\0';
	if (cr_check_path(path) < 0 || cr_check_commit_args(message, author) < 0)
		return -1;
	if (parent && *parent && cr_lookup_commit(r, parent, &p) < 0)
		return -1;
	r->unsaved = 1;
	rc = cr_write_tree(r, p, path, data, len, &tree);
	if (rc == 0)
		rc = cr_make_commit(r, p, tree, message, author, out);
	git_tree_free(tree);
	git_commit_free(p);
	r->held += len;
	if (rc == 0 && r->held > CR_HOLD_MAX && (rc = cr_save(r)) == 0)
		cr_release(r);
	return rc;
}

/* Points the private ref refs/certdesk/push/<branch> at commit, for the push refspec. */
static int cr_push_ref(crlrepo *r, const char *commit, const char *branch)
{
	git_commit *c = NULL;
	git_reference *ref = NULL;
	char *name;
	int rc;

	if (cr_lookup_commit(r, commit, &c) < 0)
		return -1;
	name = cd_asprintf(CR_PUSH_NS "%s", branch);
	rc = git_reference_create(&ref, r->repo, name, git_commit_id(c), 1, NULL);
	free(name);
	git_reference_free(ref);
	git_commit_free(c);
	return rc < 0 ? cr_fail(r, "cannot prepare the push") : 0;
}

/* What the server printed, on one line fit for a terminal: "" when nothing. */
static char *cr_said_line(const cd_buf *said)
{
	cd_buf b = {0};
	char *raw = cd_strndup(said->s ? said->s : "", said->len), *p, *clean, *save = NULL;

	for (p = strtok_r(raw, "\r\n", &save); p; p = strtok_r(NULL, "\r\n", &save)) {
		p += strspn(p, " \t");
		if (*p)
			cd_buf_printf(&b, "%s%s", b.len ? " / " : "", p);
	}
	clean = cd_sanitize(b.s ? b.s : "");
	cd_buf_free(&b);
	free(raw);
	return clean;
}

/* Only a remote branch that moved on is worth a fetch and a rebuild; anything else the
 * server refused (a hook, a protected branch) would be refused again. */
static int cr_behind(int rc, const struct cr_net *net)
{
	if (rc == GIT_ENONFASTFORWARD)
		return 1;
	/* "failed to update ref" with "cannot lock ref ... but expected": another push
	 * landed after the server advertised its refs, which is being behind too. */
	return rc == 0 && (!strcmp(net->rejected, "non-fast-forward") ||
			   !strcmp(net->rejected, "fetch first") ||
			   (net->said.s && strstr(net->said.s, "cannot lock ref") &&
			    strstr(net->said.s, "but expected")));
}

static int cr_push_error(crlrepo *r, const char *branch, int rc, const struct cr_net *net)
{
	char *ctx, *said;

	if (cr_behind(rc, net)) {
		cd_err("push of %s to %s rejected: the remote branch has commits this one does "
		       "not build on (non-fast-forward)", branch, r->shown);
		return CRLREPO_BEHIND;
	}
	if (rc == 0) {
		said = cr_said_line(&net->said);
		ctx = cd_sanitize(net->rejected);
		cd_err("the server rejected the push of %s to %s: %s%s%s%s", branch, r->shown, ctx,
		       *said ? " (it said: " : "", said, *said ? ")" : "");
		free(ctx);
		free(said);
		return -1;
	}
	ctx = cd_asprintf("cannot push %s to the CRL repository %s", branch, r->shown);
	cr_net_fail(r, ctx);
	free(ctx);
	return -1;
}

/* An anonymous remote updates no tracking ref: record what origin now holds. Best
 * effort: the push is done, and the next fetch sets that ref anyway. */
static void cr_note_pushed(crlrepo *r, const git_oid *oid, const char *branch)
{
	git_reference *ref = NULL;
	char *name = cd_asprintf("refs/remotes/" CR_REMOTE "/%s", branch);

	if (git_reference_create(&ref, r->repo, name, oid, 1, NULL) < 0)
		git_error_clear();
	free(name);
	git_reference_free(ref);
}

int crlrepo_push(crlrepo *r, const char *commit, const char *branch, int force)
{
	git_push_options opts;
	git_remote *remote = NULL;
	struct cr_net net;
	git_strarray specs;
	git_oid oid;
	char *spec;
	int rc;

	/* Saved first: the refs below must never name an object only memory holds. */
	if (cr_check_branch(branch) < 0 || cr_save(r) < 0 || cr_push_ref(r, commit, branch) < 0 ||
	    cr_mark_push(r, branch, commit) < 0)
		return -1;
	if (cr_remote(r, &remote) < 0) {
		cr_unmark_push(r);
		return -1;
	}
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	opts.pb_parallelism = 0; /* one delta search thread per CPU */
	cr_callbacks(r, &opts.callbacks, &net);
	opts.callbacks.sideband_progress = cr_server_said;
	spec = cd_asprintf("%s" CR_PUSH_NS "%s:refs/heads/%s", force ? "+" : "", branch, branch);
	specs.strings = &spec;
	specs.count = 1;
	rc = git_remote_push(remote, &specs, &opts);
	cr_release(r);
	cr_unmark_push(r);
	free(spec);
	git_remote_free(remote);
	if (rc < 0 || net.rejected[0])
		rc = cr_push_error(r, branch, rc, &net);
	else if (cr_parse_id(commit, &oid) == 0)
		cr_note_pushed(r, &oid, branch);
	cd_buf_free(&net.said);
	return rc;
}

static int cr_walk_setup(crlrepo *r, git_revwalk *walk, const char *from, const char *until)
{
	git_oid oid;

	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL);
	git_revwalk_simplify_first_parent(walk);
	if (cr_parse_id(from, &oid) < 0)
		return -1;
	if (git_revwalk_push(walk, &oid) < 0)
		return cr_fail(r, "cannot walk the CRL history");
	if (!until || !*until)
		return 0;
	if (cr_parse_id(until, &oid) < 0)
		return -1;
	if (git_revwalk_hide(walk, &oid) < 0)
		return cr_fail(r, "cannot walk the CRL history");
	return 0;
}

int crlrepo_walk(crlrepo *r, const char *from, const char *until, crlrepo_walk_fn fn, void *ctx)
{
	git_revwalk *walk = NULL;
	git_commit *c;
	git_oid oid;
	char hex[41];
	int rc, stop = 0;

	if (git_revwalk_new(&walk, r->repo) < 0)
		return cr_fail(r, "cannot walk the CRL history");
	if (cr_walk_setup(r, walk, from, until) < 0) {
		git_revwalk_free(walk);
		return -1;
	}
	rc = 0;
	while (!stop && (rc = git_revwalk_next(&oid, walk)) == 0) {
		if ((rc = git_commit_lookup(&c, r->repo, &oid)) < 0)
			break;
		git_oid_tostr(hex, sizeof hex, &oid);
		stop = fn(ctx, hex, git_commit_message(c));
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	if (rc == GIT_ITEROVER || rc == 0)
		return 0;
	return cr_fail(r, "cannot walk the CRL history");
}

int crlrepo_descends(crlrepo *r, const char *commit, const char *ancestor)
{
	git_oid c, a;
	int rc;

	if (cr_parse_id(commit, &c) < 0 || cr_parse_id(ancestor, &a) < 0)
		return -1;
	if (git_oid_equal(&c, &a))
		return 1;
	rc = git_graph_descendant_of(r->repo, &c, &a);
	return rc < 0 ? cr_fail(r, "cannot compare commits") : rc;
}
