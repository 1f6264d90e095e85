/* desk_token.c: a home whose CA keys are on a PKCS#11 token (ca.pkcs11_uri set).
 *
 * The setting names the token (and the issuing CA's key, for people); each CA's key is
 * found on it by its CKA_ID, which certdesk sets to the CA's key identifier (the kid
 * that names it in rows and directories). So the CA files alone say which key signs,
 * as they do for key files, and a rollover stays the file steps of ca_roll.c. */
#include "desk.h"
#include "conf.h"
#include "token.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define PIN_MAX 256

int desk_token_of(desk *d, char **uri, char **module)
{
	*uri = *module = NULL;
	if (conf_get(d->st, "ca.pkcs11_uri", uri) < 0)
		return -1;
	if (!**uri) {
		free(*uri);
		*uri = NULL;
		return 0;
	}
	if (conf_get(d->st, "ca.pkcs11_module", module) < 0) {
		free(*uri);
		*uri = NULL;
		return -1;
	}
	if (!**module) {
		free(*module);
		*module = cd_strdup(CD_P11_PROXY);
	}
	return 1;
}

int desk_token_pin(desk_ask_fn ask, void *ctx, const char *file, char *pin, size_t size)
{
	if (file)
		return desk_passphrase_file(file, pin, size);
	/* ui_ask knows the PIN by its prompt's word "PIN". */
	return desk_secret(ask, ctx, "PIN of the CA's token: ", "the CA key is on a token", pin,
			   size);
}

static int kid_bytes(const char *kid, unsigned char id[20], size_t *n)
{
	size_t i, len = strlen(kid) / 2;

	for (i = 0; i < len && i < 20; i++) {
		unsigned int b;

		if (sscanf(kid + 2 * i, "%2X", &b) != 1)
			return cd_err("invalid CA key identifier '%.50s'", kid);
		id[i] = (unsigned char)b;
	}
	*n = i;
	return 0;
}

static void kid_hex(const unsigned char id[20], char kid[41])
{
	int i;

	for (i = 0; i < 20; i++)
		snprintf(kid + 2 * i, 3, "%02X", id[i]);
}

/* The URI of the CA key kid on the token of u. */
static char *kid_uri(const token_uri *u, const char *kid)
{
	unsigned char id[20];
	size_t n = 0;

	return kid_bytes(kid, id, &n) < 0 ? NULL : token_uri_format(u, NULL, id, n);
}

/* Checks the module, the token and the PIN before anything else is done. */
static int pin_check(const char *module, const token_uri *u, const char *pin)
{
	token *t;

	if (token_open(module, u, pin, &t) < 0)
		return -1;
	token_close(t);
	return 0;
}

/* Every CA of the handle still signing gets its key from the token. */
static int load_keys(ca *c, const char *module, const token_uri *u, const char *pin)
{
	const ca *o;
	int rc = 0;

	for (o = c; o && rc == 0; o = ca_older(o)) {
		char *uri;
		EVP_PKEY *k = NULL;

		if (!ca_signs(o))
			continue;
		if (!(uri = kid_uri(u, ca_kid(o))))
			return -1;
		if (token_engine_key(module, uri, pin, &k) < 0)
			rc = cd_err("the key of CA %s (id %s) on the token: %s", ca_name(o), ca_kid(o),
				    cd_errmsg());
		else
			rc = ca_use_key(c, ca_kid(o), k);
		EVP_PKEY_free(k);
		free(uri);
	}
	return rc;
}

int desk_token_signing(desk *d)
{
	char *uri = NULL, *module = NULL, pin[PIN_MAX] = "";
	token_uri u;
	int rc = -1;

	if (desk_token_of(d, &uri, &module) <= 0)
		goto out;
	if (token_uri_parse(uri, &u) == 0 &&
	    desk_token_pin(d->ask, d->ask_ctx, NULL, pin, sizeof pin) == 0 &&
	    pin_check(module, &u, pin) == 0)
		rc = load_keys(d->ca, module, &u, pin);
out:
	OPENSSL_cleanse(pin, sizeof pin);
	free(uri);
	free(module);
	return rc;
}

/*
 * The key of a new CA on the token: the one u names when it is there, else a new one
 * under label. Either way its CKA_ID becomes the key identifier (*kid). done says which.
 */
static int new_key(token *t, const token_uri *u, const char *label, ca_key_type kt,
		   char kid[41], char *done, size_t size)
{
	unsigned char tmp[20], id[20], *old = NULL;
	size_t oldlen = 0;
	EVP_PKEY *pub = NULL;
	int n = token_count_keys(t, u), rc = -1;
	const char *lab = u->object.set ? (const char *)u->object.v : NULL;

	if (n < 0)
		return -1;
	if (n > 1)
		return cd_err("the URI names %d keys on the token: name one (object= or id=)", n);
	if (n == 0) {
		if (RAND_bytes(tmp, sizeof tmp) != 1 ||
		    token_generate(t, kt, label, u->id.set ? u->id.v : tmp,
				   u->id.set ? u->id.len : sizeof tmp) < 0)
			return -1;
		lab = label;
	}
	if (token_pubkey(t, lab, u->id.set ? u->id.v : n ? NULL : tmp,
			 u->id.set ? u->id.len : n ? 0 : sizeof tmp, &pub, &old, &oldlen) < 0 ||
	    ca_pubkey_id(pub, id) < 0)
		goto out;
	if ((oldlen != sizeof id || memcmp(old, id, sizeof id) != 0) &&
	    token_set_id(t, lab, old, oldlen, id, sizeof id) < 0)
		goto out;
	kid_hex(id, kid);
	snprintf(done, size, "%s %s key on the token as object %s, id %s",
		 n ? "uses the" : "generated a new", n ? "existing" :
		 kt == CA_KEY_RSA ? "RSA 3072" : "EC P-256", lab ? lab : "(no label)", kid);
	rc = 0;
out:
	EVP_PKEY_free(pub);
	free(old);
	return rc;
}

/* A new CA key on the token and its engine handle. */
static int make_key(const char *module, const token_uri *u, const char *label, ca_key_type kt,
		    const char *pin, EVP_PKEY **key, char kid[41], char *done, size_t size)
{
	token *t;
	char *uri;
	int rc;

	if (token_open(module, u, pin, &t) < 0)
		return -1;
	rc = new_key(t, u, label, kt, kid, done, size);
	token_close(t);
	if (rc < 0 || !(uri = kid_uri(u, kid)))
		return -1;
	rc = token_engine_key(module, uri, pin, key);
	free(uri);
	return rc;
}

int desk_token_check(const char *uri, const char *module, const char *pin)
{
	token_uri u;

	return token_uri_parse(uri, &u) < 0 ? -1 : pin_check(module ? module : CD_P11_PROXY, &u, pin);
}

int desk_token_init(const char *stage, const char *cn, ca_key_type kt, int days,
		    const char *uri, const char *module, const char *pin, char *done, size_t size)
{
	char kid[41], *mark = cd_asprintf("%s/ca.p11", stage), own[DESK_DONE_MAX];
	EVP_PKEY *key = NULL;
	token_uri u;
	int rc = -1;

	if (!done) {
		done = own;
		size = sizeof own;
	}
	if (token_uri_parse(uri, &u) == 0 &&
	    make_key(module ? module : CD_P11_PROXY, &u, u.object.set ? (const char *)u.object.v :
		     "ca", kt, pin, &key, kid, done, size) == 0 &&
	    ca_init_key(stage, cn, key, days) == 0)
		rc = unlink(mark) == 0 ? 0 : cd_err("cannot remove %s", mark);
	EVP_PKEY_free(key);
	free(mark);
	return rc;
}

int desk_token_rollover(desk *d, const char *cn, ca_key_type kt, int days)
{
	char *uri = NULL, *module = NULL, pin[PIN_MAX] = "", kid[41], done[256], label[64];
	char *shown = NULL;
	EVP_PKEY *key = NULL;
	token_uri u;
	unsigned char id[20];
	size_t n = 0;
	int rc = -1;

	/* Checked before a key is made on the token for it. */
	if (ca_name_free(d->ca, cn) < 0 || desk_token_of(d, &uri, &module) <= 0 ||
	    token_uri_parse(uri, &u) < 0 ||
	    desk_token_pin(d->ask, d->ask_ctx, NULL, pin, sizeof pin) < 0)
		goto out;
	/* A new label, and no id: the URI's own names the old key. */
	cd_format_date(d->now, done);
	if (RAND_bytes(id, 2) != 1)
		goto out;
	snprintf(label, sizeof label, "%.40s-%.10s-%02x%02x", u.object.set ? (const char *)u.object.v :
		 "ca", done, id[0], id[1]);
	u.object.set = u.id.set = 0;
	u.object.len = u.id.len = 0;
	snprintf((char *)u.object.v, sizeof u.object.v, "%s", label);
	u.object.len = strlen(label);
	u.object.set = 1;
	if (make_key(module, &u, label, kt, pin, &key, kid, done, sizeof done) < 0 ||
	    ca_rollover_key(d->ca, d->ca_dir, cn, key, days) < 0 || kid_bytes(kid, id, &n) < 0)
		goto out;
	shown = token_uri_format(&u, label, id, n);
	rc = store_setting_set(d->st, "ca.pkcs11_uri", shown);
	{
		char *line = cd_asprintf("the new CA key: %s (%s)", done, shown);

		if (d->note)
			d->note(d->ask_ctx, line);
		else
			printf("%s\n", line);
		free(line);
	}
out:
	OPENSSL_cleanse(pin, sizeof pin);
	EVP_PKEY_free(key);
	free(shown);
	free(uri);
	free(module);
	return rc;
}

/* ---- ca move-to-token ---- */

static void say(desk *d, void (*fn)(void *, const char *), void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void say(desk *d, void (*fn)(void *, const char *), void *ctx, const char *fmt, ...)
{
	va_list ap;
	cd_buf b = {0};
	char *line;

	va_start(ap, fmt);
	cd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	line = cd_buf_take(&b);
	fn(ctx, line);
	free(line);
}

/* Each file key still signing goes onto the token under id = its kid (one already
 * there from an interrupted move is checked instead). */
static int import_keys(desk *d, token *t, const token_uri *u, void (*fn)(void *, const char *),
		       void *ctx)
{
	const ca *o;

	for (o = d->ca; o; o = ca_older(o)) {
		token_uri k = *u;
		unsigned char id[20];
		size_t n = 0;
		char label[80];
		int have;

		if (!ca_signs(o))
			continue;
		snprintf(label, sizeof label, "%.40s%s%.8s", u->object.set ? (const char *)u->object.v :
			 "ca", o == d->ca ? "" : "-", o == d->ca ? "" : ca_kid(o));
		if (kid_bytes(ca_kid(o), id, &n) < 0)
			return -1;
		k.object.set = 0;
		memcpy(k.id.v, id, n);
		k.id.len = n;
		k.id.set = 1;
		if ((have = token_count_keys(t, &k)) < 0 ||
		    (!have && token_import(t, ca_signing_key(o), label, id, n) < 0))
			return -1;
		say(d, fn, ctx, have ? "the key of CA %s (%s) is on the token already, id %s" :
		    "imported the key of CA %s (%s) onto the token as object %s, id %s (sensitive, "
		    "not extractable)", ca_name(o), o == d->ca ? "issuing" : "still signing its CRL",
		    have ? ca_kid(o) : label, ca_kid(o));
	}
	return 0;
}

/* A test CRL signed by the token keys, checked against the CA certificates. */
static int test_crl(desk *d)
{
	char *pem = NULL;
	int rc = ca_sign_crl(d->ca, NULL, 0, 0, 1, &pem);

	if (rc == 0 && ca_crl_signed_by(d->ca, pem, strlen(pem)) != 1)
		rc = cd_err("a test CRL signed by the token key does not verify against the CA "
			    "certificate: the key files are kept");
	free(pem);
	return rc;
}

static int remove_key_files(desk *d, void (*fn)(void *, const char *), void *ctx)
{
	const ca *o;
	int rc = 0;

	for (o = d->ca; o && rc == 0; o = ca_older(o)) {
		char *path = o == d->ca ? cd_asprintf("%s/ca.key", d->ca_dir) :
			     cd_asprintf("%s/prev/%s/ca.key", d->ca_dir, ca_kid(o));

		if (ca_signs(o) && cd_path_exists(path) && (rc = ca_destroy_key(path)) == 0)
			say(d, fn, ctx, "overwrote and removed %s", path);
		free(path);
	}
	return rc;
}

int desk_move_to_token(desk *d, const char *uri, const char *module, const char *pin_file,
		       void (*fn)(void *ctx, const char *line), void *ctx)
{
	char *cur = NULL, *mod = NULL, pin[PIN_MAX] = "", *rec = NULL;
	const char *m = module ? module : CD_P11_PROXY;
	unsigned char id[20];
	size_t n = 0;
	token_uri u;
	token *t = NULL;
	int rc = -1, on, lock = -1;

	if (desk_writable(d, "move the CA key") < 0 || (on = desk_token_of(d, &cur, &mod)) < 0)
		goto out;
	if (on) {
		/* A move killed after the setting leaves only the files to remove, but the
		 * setting alone proves nothing (config accepts any well-formed URI): the token
		 * must sign a CRL that verifies before a key file goes. */
		if (token_uri_parse(cur, &u) < 0 ||
		    desk_token_pin(d->ask, d->ask_ctx, pin_file, pin, sizeof pin) < 0 ||
		    pin_check(mod, &u, pin) < 0 || load_keys(d->ca, mod, &u, pin) < 0 ||
		    test_crl(d) < 0) {
			cd_err("ca.pkcs11_uri is %s, but %s: no key file removed", cur, cd_errmsg());
			goto out;
		}
		rc = remove_key_files(d, fn, ctx);
		if (rc == 0)
			say(d, fn, ctx, "the CA key is on the token already (%s)", cur);
		goto out;
	}
	if (token_uri_parse(uri, &u) < 0 || (module && conf_check("ca.pkcs11_module", module) < 0) ||
	    desk_token_pin(d->ask, d->ask_ctx, pin_file, pin, sizeof pin) < 0 ||
	    token_open(m, &u, pin, &t) < 0)
		goto out;
	say(d, fn, ctx, "token found and the PIN accepted (module %s)", m);
	if (desk_signing(d) < 0 || (lock = desk_lock(d)) < 0 || import_keys(d, t, &u, fn, ctx) < 0)
		goto out;
	token_close(t);
	t = NULL;
	if (load_keys(d->ca, m, &u, pin) < 0 || test_crl(d) < 0)
		goto out;
	say(d, fn, ctx, "signed a test CRL with the token key: it verifies against the CA "
	    "certificate");
	if (kid_bytes(ca_kid(d->ca), id, &n) < 0)
		goto out;
	rec = token_uri_format(&u, u.object.set ? (const char *)u.object.v : "ca", id, n);
	if ((module && desk_set_setting(d, "ca.pkcs11_module", module) < 0) ||
	    desk_set_setting(d, "ca.pkcs11_uri", rec) < 0)
		goto out;
	say(d, fn, ctx, "recorded ca.pkcs11_uri = %s", rec);
	rc = remove_key_files(d, fn, ctx);
	if (rc == 0)
		rc = desk_audit(d, "ca-move-to-token", NULL, "the CA key moved onto the token %s; "
				"the key file is destroyed", rec);
out:
	token_close(t);
	desk_unlock(lock);
	OPENSSL_cleanse(pin, sizeof pin);
	free(cur);
	free(mod);
	free(rec);
	return rc;
}

/* ---- verify ---- */

/* Each signing CA's public key, read from the token (no PIN: public objects), against its
 * certificate; a key file left beside the token key. Problems said through fn. */
int desk_token_verify(desk *d, void (*fn)(void *ctx, const char *line), void *ctx)
{
	char *uri = NULL, *module = NULL, *left = cd_asprintf("%s/ca.key", d->ca_dir);
	token_uri u;
	token *t = NULL;
	const ca *o;
	int bad = 0;

	if (desk_token_of(d, &uri, &module) <= 0 || token_uri_parse(uri, &u) < 0 ||
	    token_open(module, &u, NULL, &t) < 0) {
		fn(ctx, cd_errmsg());
		bad = 1;
	}
	for (o = d->ca; o && t; o = ca_older(o)) {
		unsigned char id[20];
		size_t n = 0;
		EVP_PKEY *pub = NULL;

		if (!ca_signs(o))
			continue;
		if (kid_bytes(ca_kid(o), id, &n) < 0 || token_pubkey(t, NULL, id, n, &pub, NULL, NULL) < 0)
			say(d, fn, ctx, "the key of CA %s (id %s) on the token: %s", ca_name(o),
			    ca_kid(o), cd_errmsg()), bad++;
		else if (!ca_pubkey_is(o, pub))
			say(d, fn, ctx, "the token key of id %s does not match the certificate of CA %s",
			    ca_kid(o), ca_name(o)), bad++;
		EVP_PKEY_free(pub);
	}
	if (cd_path_exists(left))
		say(d, fn, ctx, "%s is left beside the token key: run certdesk ca move-to-token "
		    "again to destroy it", left), bad++;
	token_close(t);
	free(left);
	free(uri);
	free(module);
	return bad;
}
