/* fuzz.h: what the libFuzzer targets share: an input cut into parts, a private
 * temporary directory for the targets that read files, and invariant checks that
 * crash (so libFuzzer keeps the input) instead of returning. */
#ifndef CD_FUZZ_H
#define CD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points (declared here for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_MAX_PARTS 24

/* An input cut at each occurrence of sep: NUL-terminated copies, at most
 * FUZZ_MAX_PARTS (the last one keeps the rest, separators included). */
typedef struct {
	char *part[FUZZ_MAX_PARTS];
	size_t len[FUZZ_MAX_PARTS];
	size_t n;
} fuzz_parts;
void fuzz_split(const uint8_t *data, size_t size, const char *sep, size_t seplen,
		fuzz_parts *p);
/* Part i, or def when the input has fewer parts. */
const char *fuzz_part(const fuzz_parts *p, size_t i, const char *def);
void fuzz_parts_free(fuzz_parts *p);

/* A directory of this process under $TMPDIR, made on the first call and removed
 * (with everything in it) at exit; $TMPDIR is pointed at it, so the code under test
 * makes its own temporary files there too. */
const char *fuzz_tmpdir(void);
/* Writes dir/name (creating the directories on the way); aborts when it cannot. */
void fuzz_write(const char *dir, const char *name, const void *data, size_t len);
/* Removes everything below dir, keeping dir itself. */
void fuzz_clear(const char *dir);

/* Crashes with a message when an invariant of the code under test does not hold. */
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))
void fuzz_fail(const char *what, const char *file, int line) __attribute__((noreturn));

#endif
