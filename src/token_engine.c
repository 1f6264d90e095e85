/* token_engine.c: the CA key on a token, handed to OpenSSL by libp11's engine
 * (libengine-pkcs11-openssl). OpenSSL 3.0 deprecates the ENGINE API, and Debian 12 has
 * no PKCS#11 provider: this file alone uses it, so its warnings are silenced here. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "token.h"
#include "util.h"

#include <string.h>

#include <openssl/engine.h>
#include <openssl/err.h>

#ifndef CD_ENGINES_DIR
#define CD_ENGINES_DIR "/usr/lib/x86_64-linux-gnu/engines-3"
#endif

static ENGINE *engine;       /* loaded once, on the first key a command needs */
static char *engine_module;  /* the PKCS#11 module it was given */

static int engine_fail(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return cd_err("%s%s%s", what, why ? ": " : "", why ? why : "");
}

static int engine_load(const char *module)
{
	const char *path = CD_ENGINES_DIR "/pkcs11.so";
	ENGINE *e;

	if (engine && strcmp(engine_module, module) == 0)
		return 0;
	if (engine)
		return cd_err("one command uses one PKCS#11 module");
	if (!(e = ENGINE_by_id("dynamic")))
		return engine_fail("OpenSSL cannot load engines");
	if (!ENGINE_ctrl_cmd_string(e, "SO_PATH", path, 0) ||
	    !ENGINE_ctrl_cmd_string(e, "ID", "pkcs11", 0) ||
	    !ENGINE_ctrl_cmd_string(e, "LIST_ADD", "1", 0) ||
	    !ENGINE_ctrl_cmd_string(e, "LOAD", NULL, 0)) {
		ENGINE_free(e);
		ERR_clear_error();
		return cd_err("cannot load libp11's PKCS#11 engine %s (Debian: "
			      "libengine-pkcs11-openssl)", path);
	}
	if (!ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0) || !ENGINE_init(e)) {
		ENGINE_free(e);
		return engine_fail("the PKCS#11 engine cannot use the module");
	}
	ENGINE_free(e); /* ENGINE_init holds its own reference */
	engine = e;
	engine_module = cd_strdup(module);
	return 0;
}

int token_engine_key(const char *module, const char *uri, const char *pin, EVP_PKEY **out)
{
	*out = NULL;
	if (engine_load(module) < 0)
		return -1;
	if (!ENGINE_ctrl_cmd_string(engine, "PIN", pin, 0))
		return engine_fail("the PKCS#11 engine does not take the PIN");
	*out = ENGINE_load_private_key(engine, uri, NULL, NULL);
	/* The engine keeps a copy of the PIN, which it wipes when given another: logged in
	 * now, it needs it no more. */
	ENGINE_ctrl_cmd_string(engine, "PIN", "", 0);
	if (!*out)
		return engine_fail("the token key cannot be used");
	return 0;
}

int token_engine_pubkey(const char *module, const char *uri, EVP_PKEY **out)
{
	*out = NULL;
	if (engine_load(module) < 0)
		return -1;
	*out = ENGINE_load_public_key(engine, uri, NULL, NULL);
	if (!*out)
		return engine_fail("the token's public key cannot be read");
	return 0;
}
