/* token.h: the CA key on a PKCS#11 token. Two halves: the PKCS#11 C API (token.c) opens
 * the module, checks the PIN and makes keys, which OpenSSL's engine cannot; libp11's
 * engine (token_engine.c) hands the key to OpenSSL for signing. Both are loaded only
 * when a home has ca.pkcs11_uri set, so that other commands start as fast as ever. */
#ifndef CD_TOKEN_H
#define CD_TOKEN_H

#include <stddef.h>

#include <openssl/evp.h>

#include "ca.h"
#include "token_uri.h"

/* p11-kit's proxy module: whatever the host has configured. */
#ifndef CD_P11_PROXY
#define CD_P11_PROXY "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so"
#endif

typedef struct token token;

/* Loads module, finds the token of u and logs in with pin (NULL: public objects only). One line each for a
 * missing module, a missing token, a locked PIN, a wrong PIN. */
int token_open(const char *module, const token_uri *u, const char *pin, token **out);
void token_close(token *t);
/* The private keys of u's object/id: how many (0, 1, more), -1 on error. */
int token_count_keys(token *t, const token_uri *u);
/* A key pair made on the token (private: sensitive, not extractable, on the token). */
int token_generate(token *t, ca_key_type kt, const char *label, const unsigned char *id,
		   size_t idlen);
/* key (EC P-256/P-384 or RSA) written to the token as such a key pair. */
int token_import(token *t, EVP_PKEY *key, const char *label, const unsigned char *id,
		 size_t idlen);
/* The public key of label/id (either may be NULL), read from the token; with oldid,
 * also its CKA_ID (malloc'd). */
int token_pubkey(token *t, const char *label, const unsigned char *id, size_t idlen,
		 EVP_PKEY **out, unsigned char **oldid, size_t *oldlen);
/* Gives the keys of label/oldid the id newid (the CA's key identifier). */
int token_set_id(token *t, const char *label, const unsigned char *oldid, size_t oldlen,
		 const unsigned char *newid, size_t newlen);

/* The private key of uri through libp11's engine (loaded on first use). */
int token_engine_key(const char *module, const char *uri, const char *pin, EVP_PKEY **out);
/* Its public key, without the PIN. */
int token_engine_pubkey(const char *module, const char *uri, EVP_PKEY **out);

#endif
