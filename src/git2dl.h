/* git2dl.h: libgit2, loaded when first needed. Include it instead of <git2.h>: every
 * git_* function the including file calls becomes a pointer filled by git2dl_load(). */
#ifndef CD_GIT2DL_H
#define CD_GIT2DL_H

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

/* Loads libgit2 once; 0, or -1 with a message saying what is missing. */
int git2dl_load(void);

#include "git2dl-funcs.h" /* generated from src/crlrepo.c by data/git2dl.sh */

#endif
