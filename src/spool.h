/* spool.h: records put in order within a memory limit (an external merge sort).
 *
 * Records are held in memory until they fill the limit; then the held ones are sorted
 * and written as one run to an unlinked 0600 file in $TMPDIR (else /tmp), and at the end
 * the runs are merged. Below the limit nothing touches the disk. A kill leaves no file.
 */
#ifndef CD_SPOOL_H
#define CD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct spool spool;

/* Gets each record in order; rec is valid during the call only. Non-zero stops. */
typedef int (*spool_fn)(void *ctx, const void *rec, size_t len);

/* Records come out by key, then by their bytes (memcmp; of two where one begins the
 * other, the shorter first). limit: bytes held in memory, records and their index,
 * before a run is written. */
spool *spool_new(size_t limit);
/* Copies the record; -1 with cd_err() when a run cannot be written. */
int spool_add(spool *sp, int64_t key, const void *rec, size_t len);
/* Every record added, in order. Once: the spool is empty afterwards. Returns -1
 * with cd_err() on a read error, or when fn returns non-zero (keeping fn's error). */
int spool_each(spool *sp, spool_fn fn, void *ctx);
/* Runs written so far (0 while everything fits), once the one being written is done:
 * for tests and benchmarks. */
size_t spool_runs(spool *sp);
void spool_free(spool *sp);

#endif
