/* crlpack.h: new git objects gathered into one pack (format v2) and its index (v2),
 * written without an indexer: the ids are known, so nothing is hashed or inflated again. */
#ifndef CD_CRLPACK_H
#define CD_CRLPACK_H

#include <stddef.h>

/* git's object types, as a pack numbers them. */
enum { CRLPACK_COMMIT = 1, CRLPACK_TREE = 2, CRLPACK_BLOB = 3, CRLPACK_TAG = 4 };

typedef struct crlpack crlpack;

crlpack *crlpack_new(void);
void crlpack_free(crlpack *p);

/* Adds the object whose id (raw, 20 bytes) is id to the pack: a copy is queued for the
 * thread that compresses it. An id already there is skipped. The caller vouches that id
 * is the object's hash. */
int crlpack_add(crlpack *p, const unsigned char id[20], int type, const void *data,
		size_t len);

/* The id git gives an object: the SHA-1 of "<type> <len>\0" and data. OpenSSL's, which
 * is many times faster than the collision-detecting one libgit2 carries. */
int crlpack_object_id(int type, const void *data, size_t len, unsigned char id[20]);

/* Writes dir/pack-<sum>.pack, then dir/pack-<sum>.idx (each under a temporary name,
 * fsync'd, then renamed: git reads a pack once its .idx is there), and empties p.
 * A pack of no objects writes nothing. */
int crlpack_write(crlpack *p, const char *dir);

#endif
