/* git2dl.c: loads libgit2 with dlopen() the first time a command needs git.
 * Only publishing does: linking libgit2 (and the twelve libraries it pulls in) into
 * every command cost each of them about a millisecond at start. */
#define GIT2DL_IMPL
#include "git2dl.h"

#include <dlfcn.h>

#include "util.h"

#ifndef CD_LIBGIT2_SONAME
#define CD_LIBGIT2_SONAME "libgit2.so.1.5"
#endif

#define GIT2DL_DEFINE(f) __typeof__(f) *git2dl_##f;
CD_GIT2_FUNCS(GIT2DL_DEFINE)

int git2dl_load(void)
{
	static void *lib;
	void *h;

	if (lib)
		return 0;
	/* Never closed: libgit2 keeps global state for the life of the process. */
	h = dlopen(CD_LIBGIT2_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return cd_err("cannot load %s, which publishing needs: %s (install libgit2)",
			      CD_LIBGIT2_SONAME, dlerror());
#define GIT2DL_LOOKUP(f) \
	if (!(*(void **)&git2dl_##f = dlsym(h, #f))) \
		return cd_err("%s has no %s: it is not the libgit2 certdesk was built with", \
			      CD_LIBGIT2_SONAME, #f);
	CD_GIT2_FUNCS(GIT2DL_LOOKUP)
#undef GIT2DL_LOOKUP
	lib = h;
	return 0;
}
