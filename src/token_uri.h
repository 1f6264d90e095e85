/* token_uri.h: RFC 7512 pkcs11: URIs, as certdesk names a key on a token.
 * A small strict parser: percent-decoding checked, every attribute known, none twice,
 * and no PIN in the URI (a URI is shown, stored and passed in argv; a PIN never is). */
#ifndef CD_TOKEN_URI_H
#define CD_TOKEN_URI_H

#include <stddef.h>

#define TOKEN_URI_MAX 8192  /* characters of a URI: every attribute at its longest, encoded */
#define TOKEN_ATTR_MAX 256  /* bytes of one decoded value */

typedef struct {
	size_t len;  /* 0 and set 0: absent */
	int set;
	unsigned char v[TOKEN_ATTR_MAX + 1]; /* decoded; NUL-terminated for the text ones */
} token_attr;

typedef struct {
	token_attr token, manufacturer, model, serial; /* the token (CK_TOKEN_INFO) */
	token_attr object, id, type;                   /* the key (CKA_LABEL, CKA_ID, class) */
	token_attr slot_id;                            /* a decimal slot number */
} token_uri;

/* 0, or -1 with one line naming what is wrong (the URI echoed, cut short). */
int token_uri_parse(const char *s, token_uri *out);
/* The URI of the key with that object label and id (either may be NULL) on the token
 * of u: malloc'd, percent-encoded where RFC 7512 asks. */
char *token_uri_format(const token_uri *u, const char *object, const unsigned char *id,
		       size_t idlen);

#endif
