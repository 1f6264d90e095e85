/* token_uri.c: RFC 7512 pkcs11: URIs (see token_uri.h). */
#include "token_uri.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 7512 2.3: what a path value may hold unencoded (pk11-pchar without '/', ';'). */
static int path_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       strchr("-._~:[]@!$'()*+,=&", ch) != NULL;
}

static int hex_val(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) into a; text values may not hold a NUL or a control character. */
static int decode(const char *name, int nl, const char *s, size_t n, int text, token_attr *a)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		int hi, lo;

		if (ch == '%') {
			if (i + 2 >= n || (hi = hex_val((unsigned char)s[i + 1])) < 0 ||
			    (lo = hex_val((unsigned char)s[i + 2])) < 0)
				return cd_err("pkcs11 URI: %.*s: a '%%' not followed by two hex digits",
					      nl, name);
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (!path_char(ch)) {
			return cd_err("pkcs11 URI: %.*s: character 0x%02X must be percent-encoded", nl,
				      name, ch);
		}
		if (text && (ch < 0x20 || ch == 0x7f))
			return cd_err("pkcs11 URI: %.*s holds a control character", nl, name);
		if (k >= TOKEN_ATTR_MAX)
			return cd_err("pkcs11 URI: %.*s is longer than %d bytes", nl, name,
				      TOKEN_ATTR_MAX);
		a->v[k++] = ch;
	}
	a->v[k] = '\0';
	a->len = k;
	a->set = 1;
	return 0;
}

static token_attr *attr_of(token_uri *u, const char *name, size_t n, int *text)
{
	static const struct {
		const char *name;
		size_t off;
		int text;
	} known[] = {
		{"token", offsetof(token_uri, token), 1},
		{"manufacturer", offsetof(token_uri, manufacturer), 1},
		{"model", offsetof(token_uri, model), 1},
		{"serial", offsetof(token_uri, serial), 1},
		{"object", offsetof(token_uri, object), 1},
		{"id", offsetof(token_uri, id), 0},
		{"type", offsetof(token_uri, type), 1},
		{"slot-id", offsetof(token_uri, slot_id), 1},
	};
	size_t i;

	for (i = 0; i < sizeof known / sizeof *known; i++)
		if (strlen(known[i].name) == n && memcmp(known[i].name, name, n) == 0) {
			*text = known[i].text;
			return (token_attr *)((char *)u + known[i].off);
		}
	return NULL;
}

static int check_values(const token_uri *u)
{
	const char *t = (const char *)u->type.v;
	size_t i;

	if (u->type.set && strcmp(t, "private") != 0)
		return cd_err("pkcs11 URI: type=%.20s: certdesk uses a private key (type=private)", t);
	for (i = 0; i < u->slot_id.len; i++)
		if (u->slot_id.v[i] < '0' || u->slot_id.v[i] > '9' || i >= 9)
			return cd_err("pkcs11 URI: slot-id must be a decimal number");
	if (u->slot_id.set && !u->slot_id.len)
		return cd_err("pkcs11 URI: slot-id must be a decimal number");
	if (!u->token.set && !u->serial.set && !u->slot_id.set)
		return cd_err("pkcs11 URI: name the token (token=LABEL, serial= or slot-id=)");
	return 0;
}

/* One attribute NAME=VALUE of the path. */
static int path_attr(token_uri *u, const char *p, size_t n)
{
	const char *eq = memchr(p, '=', n);
	token_attr *a;
	int text = 1;

	if (!eq || eq == p)
		return cd_err("pkcs11 URI: '%.*s' is not NAME=VALUE", (int)(n > 40 ? 40 : n), p);
	if (!(a = attr_of(u, p, (size_t)(eq - p), &text))) {
		if ((size_t)(eq - p) == 9 && memcmp(p, "pin-value", 9) == 0)
			return cd_err("pkcs11 URI: no PIN in the URI; it comes as the passphrase does");
		return cd_err("pkcs11 URI: unknown attribute '%.*s'", (int)(eq - p > 40 ? 40 : eq - p),
			      p);
	}
	if (a->set)
		return cd_err("pkcs11 URI: '%.*s' given twice", (int)(eq - p), p);
	return decode(p, (int)(eq - p), eq + 1, n - (size_t)(eq + 1 - p), text, a) < 0 ? -1 : 0;
}

int token_uri_parse(const char *s, token_uri *out)
{
	const char *p, *end;

	memset(out, 0, sizeof *out);
	if (strncmp(s, "pkcs11:", 7) != 0)
		return cd_err("'%.60s' is not a pkcs11: URI (RFC 7512), e.g. "
			      "pkcs11:token=certdesk;object=ca", s);
	if (strlen(s) > TOKEN_URI_MAX)
		return cd_err("pkcs11 URI longer than %d characters", TOKEN_URI_MAX);
	/* certdesk takes the PIN, the module and nothing else from elsewhere: no query. */
	if (strchr(s, '?')) {
		if (strstr(s, "pin-value") || strstr(s, "pin-source"))
			return cd_err("pkcs11 URI: no PIN in the URI; it comes as the passphrase does");
		return cd_err("pkcs11 URI: no query part (?...): the module is ca.pkcs11_module");
	}
	for (p = s + 7; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ";");
		if (end == p)
			return cd_err("pkcs11 URI: an empty attribute (';;' or a trailing ';')");
		if (path_attr(out, p, (size_t)(end - p)) < 0)
			return -1;
		if (*end && !end[1])
			return cd_err("pkcs11 URI: an empty attribute (';;' or a trailing ';')");
	}
	return check_values(out);
}

static void put_attr(cd_buf *b, int *first, const char *name, const unsigned char *v, size_t n)
{
	size_t i;

	cd_buf_printf(b, "%s%s=", *first ? "" : ";", name);
	*first = 0;
	for (i = 0; i < n; i++)
		if (path_char(v[i]) && strcmp(name, "id") != 0)
			cd_buf_putc(b, (char)v[i]);
		else
			cd_buf_printf(b, "%%%02X", v[i]);
}

char *token_uri_format(const token_uri *u, const char *object, const unsigned char *id,
		       size_t idlen)
{
	cd_buf b = {0};
	int first = 1;

	cd_buf_printf(&b, "pkcs11:");
	if (u->token.set)
		put_attr(&b, &first, "token", u->token.v, u->token.len);
	if (u->manufacturer.set)
		put_attr(&b, &first, "manufacturer", u->manufacturer.v, u->manufacturer.len);
	if (u->model.set)
		put_attr(&b, &first, "model", u->model.v, u->model.len);
	if (u->serial.set)
		put_attr(&b, &first, "serial", u->serial.v, u->serial.len);
	if (u->slot_id.set)
		put_attr(&b, &first, "slot-id", u->slot_id.v, u->slot_id.len);
	if (object)
		put_attr(&b, &first, "object", (const unsigned char *)object, strlen(object));
	if (id)
		put_attr(&b, &first, "id", id, idlen);
	return cd_buf_take(&b);
}
