/* crlrepo.h: the CRL's git history, kept with libgit2 in a bare clone inside the home. */
#ifndef CD_CRLREPO_H
#define CD_CRLREPO_H

#include <stddef.h>
#include <stdint.h>

typedef struct crlrepo crlrepo;

/* Opens (creating when missing) a bare repository at dir whose "origin" is url
 * (a path, or any URL libgit2 can fetch from and push to). */
int crlrepo_open(const char *dir, const char *url, crlrepo **out);
/* The same for the one process that holds the home's publish lock, which may repair
 * what an interrupted run left: lock files of libgit2's in the clone are stale and are
 * removed, and so is the ref lock a killed push left in a remote that is a path; a
 * clone whose creation was cut short (no HEAD yet) is completed. note receives one line
 * per repair. */
typedef void (*crlrepo_note_fn)(void *ctx, const char *line);
int crlrepo_open_repair(const char *dir, const char *url, crlrepo_note_fn note, void *ctx,
			crlrepo **out);
void crlrepo_close(crlrepo *r);

/* Fetches branch from origin. *exists = 0 when the remote has no such branch yet.
 * tip receives the remote tip's commit id (40 hex) or "" when none. */
int crlrepo_fetch(crlrepo *r, const char *branch, int *exists, char tip[41]);

/* Reads path in commit `commit` (40 hex). *found = 0 when the file is absent. */
int crlrepo_read(crlrepo *r, const char *commit, const char *path, char **data,
		 size_t *len, int *found);

typedef struct {
	const char *name, *email;
	int64_t when;
} crlrepo_sig;

/* Commits, without a work tree, a tree equal to parent's with path set to data.
 * parent "" makes a root commit. Writes the new commit id to out. The new objects are
 * held in memory (readable through this handle) and written to the clone as one pack
 * by the next crlrepo_push or by crlrepo_close. */
int crlrepo_commit(crlrepo *r, const char *parent, const char *path, const char *data,
		   size_t len, const char *message, const crlrepo_sig *author, char out[41]);

/* Pushes commit to refs/heads/branch on origin. force = 0 must fast-forward: when the
 * remote branch moved on, returns CRLREPO_BEHIND (fetch, rebuild, push again). Any other
 * failure is -1, and a refusal by the server (a hook, a protected branch) says so with
 * the server's own words. */
#define CRLREPO_BEHIND (-2)
int crlrepo_push(crlrepo *r, const char *commit, const char *branch, int force);

/* Walks first parents from `from` back to (not including) `until` ("" = to the root),
 * calling fn with each commit id and message; stops early when fn returns non-zero. */
typedef int (*crlrepo_walk_fn)(void *ctx, const char *id, const char *message);
int crlrepo_walk(crlrepo *r, const char *from, const char *until, crlrepo_walk_fn fn, void *ctx);

/* 1 when `ancestor` is `commit` or one of its ancestors. */
int crlrepo_descends(crlrepo *r, const char *commit, const char *ancestor);

#endif
