/* fuzz_token_uri.c: the pkcs11: URI parser (src/token_uri.h), which reads what the
 * operator gives to init --pkcs11, ca move-to-token and the ca.pkcs11_uri setting.
 *
 * Input: the URI (up to the first NUL; the bytes after it are ignored).  Checks: an
 * accepted URI starts with "pkcs11:", holds no query and no PIN, names the token; each
 * value is at most TOKEN_ATTR_MAX bytes; token_uri_format() of what was parsed parses
 * again to the same attributes (the percent-encoding round-trips), and holds only the
 * characters RFC 7512 allows unencoded, and '%' with two hex digits. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "token_uri.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static int same_attr(const token_attr *a, const token_attr *b)
{
	return a->set == b->set && a->len == b->len && memcmp(a->v, b->v, a->len) == 0;
}

static int uri_chars_ok(const char *s)
{
	const char *p;

	for (p = s; *p; p++) {
		if (*p == '%') {
			if (!strchr("0123456789ABCDEF", p[1]) || !p[1] ||
			    !strchr("0123456789ABCDEF", p[2]) || !p[2])
				return 0;
			p += 2;
		} else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr("-._~:[]@!$'()*+,=&;", *p))) {
			return 0;
		}
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = cd_strndup((const char *)data, size);
	token_uri u, v;
	char *again;

	if (token_uri_parse(s, &u) == 0) {
		FUZZ_CHECK(strncmp(s, "pkcs11:", 7) == 0 && !strchr(s, '?'));
		FUZZ_CHECK(!strstr(s, ";pin-value=") && strncmp(s, "pkcs11:pin-value=", 17) != 0);
		FUZZ_CHECK(u.token.set || u.serial.set || u.slot_id.set);
		FUZZ_CHECK(u.token.len <= TOKEN_ATTR_MAX && u.object.len <= TOKEN_ATTR_MAX &&
			   u.id.len <= TOKEN_ATTR_MAX);
		again = token_uri_format(&u, u.object.set ? (const char *)u.object.v : NULL,
					 u.id.set ? u.id.v : NULL, u.id.len);
		FUZZ_CHECK(uri_chars_ok(again));
		FUZZ_CHECK(token_uri_parse(again, &v) == 0);
		FUZZ_CHECK(same_attr(&u.token, &v.token) && same_attr(&u.manufacturer, &v.manufacturer) &&
			   same_attr(&u.model, &v.model) && same_attr(&u.serial, &v.serial) &&
			   same_attr(&u.slot_id, &v.slot_id) && same_attr(&u.id, &v.id));
		/* An object label with a NUL byte is cut at it by the C string it travels in. */
		if (!memchr(u.object.v, '\0', u.object.len))
			FUZZ_CHECK(same_attr(&u.object, &v.object));
		free(again);
	}
	free(s);
	return 0;
}
