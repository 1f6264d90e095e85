/* token.c: PKCS#11 through its C API: the module, the PIN, key generation and import.
 * See token.h. */
#define CRYPTOKI_GNU 1
#include "token.h"
#include "util.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <p11-kit/pkcs11.h>

struct token {
	void *dl;
	struct ck_function_list *f;
	int finalize;           /* we initialised the module: we finalise it */
	ck_session_handle_t s;
	int open, logged;
	char label[33];
};

static const unsigned char yes = 1, no = 0;

#define ATTR(t, p, n) {(t), (void *)(p), (n)}
#define ATTR_B(t, b) ATTR(t, &(b), sizeof(b))

void token_close(token *t)
{
	if (!t)
		return;
	if (t->logged)
		t->f->C_Logout(t->s);
	if (t->open)
		t->f->C_CloseSession(t->s);
	if (t->finalize)
		t->f->C_Finalize(NULL);
	if (t->dl)
		dlclose(t->dl);
	free(t);
}

/* A blank-padded token field equals the URI's value (absent: any). */
static int field_is(const unsigned char *field, size_t size, const token_attr *a)
{
	size_t n = size;

	if (!a->set)
		return 1;
	while (n > 0 && field[n - 1] == ' ')
		n--;
	return n == a->len && memcmp(field, a->v, n) == 0;
}

static int load_module(token *t, const char *module)
{
	ck_rv_t (*get)(struct ck_function_list **);
	ck_rv_t rv;

	if (!(t->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)))
		return cd_err("cannot load the PKCS#11 module %s (ca.pkcs11_module)", module);
	*(void **)&get = dlsym(t->dl, "C_GetFunctionList");
	if (!get || get(&t->f) != CKR_OK || !t->f)
		return cd_err("%s is not a PKCS#11 module (no C_GetFunctionList)", module);
	rv = t->f->C_Initialize(NULL);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		return cd_err("the PKCS#11 module %s does not start (error 0x%lX)", module, rv);
	t->finalize = rv == CKR_OK;
	return 0;
}

/* The one slot whose token the URI names. */
static int find_slot(token *t, const token_uri *u, ck_slot_id_t *slot)
{
	ck_slot_id_t ids[64];
	unsigned long n = 64, i, found = 0;
	struct ck_token_info ti;

	if (t->f->C_GetSlotList(1, ids, &n) != CKR_OK)
		return cd_err("cannot list the PKCS#11 slots");
	for (i = 0; i < n; i++) {
		char sid[24];

		snprintf(sid, sizeof sid, "%lu", ids[i]);
		if (t->f->C_GetTokenInfo(ids[i], &ti) != CKR_OK || !field_is(ti.label, 32, &u->token) ||
		    !field_is(ti.manufacturer_id, 32, &u->manufacturer) ||
		    !field_is(ti.model, 16, &u->model) || !field_is(ti.serial_number, 16, &u->serial) ||
		    (u->slot_id.set && strcmp(sid, (const char *)u->slot_id.v) != 0))
			continue;
		if (found++ == 0) {
			*slot = ids[i];
			memcpy(t->label, ti.label, 32);
			t->label[32] = '\0';
			while (strlen(t->label) && t->label[strlen(t->label) - 1] == ' ')
				t->label[strlen(t->label) - 1] = '\0';
		}
	}
	if (found == 0)
		return cd_err("no token '%s' is present (no slot of the module holds it)",
			      u->token.set ? (const char *)u->token.v : "named by the URI");
	if (found > 1)
		return cd_err("%lu tokens match the URI: name one (serial=)", found);
	return 0;
}

static int login(token *t, ck_slot_id_t slot, const char *pin)
{
	struct ck_token_info ti;
	ck_rv_t rv;

	if (t->f->C_GetTokenInfo(slot, &ti) != CKR_OK)
		return cd_err("cannot read the state of token '%s'", t->label);
	if (ti.flags & CKF_USER_PIN_LOCKED)
		return cd_err("the PIN of token '%s' is locked (too many wrong PINs): the security "
			      "officer must unlock it", t->label);
	if (!(ti.flags & CKF_USER_PIN_INITIALIZED))
		return cd_err("token '%s' has no user PIN yet: initialise it first", t->label);
	if (t->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &t->s) !=
	    CKR_OK)
		return cd_err("cannot open a session on token '%s'", t->label);
	t->open = 1;
	rv = t->f->C_Login(t->s, CKU_USER, (unsigned char *)pin, strlen(pin));
	if (rv == CKR_PIN_INCORRECT)
		return cd_err("wrong PIN for token '%s'", t->label);
	if (rv == CKR_PIN_LOCKED)
		return cd_err("the PIN of token '%s' is locked (too many wrong PINs)", t->label);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return cd_err("cannot log in to token '%s' (error 0x%lX)", t->label, rv);
	t->logged = rv == CKR_OK;
	return 0;
}

static int open_ro(token *t, ck_slot_id_t slot)
{
	if (t->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &t->s) != CKR_OK)
		return cd_err("cannot open a session on token '%s'", t->label);
	t->open = 1;
	return 0;
}

int token_open(const char *module, const token_uri *u, const char *pin, token **out)
{
	token *t = cd_malloc(sizeof *t);
	ck_slot_id_t slot = 0;

	memset(t, 0, sizeof *t);
	*out = NULL;
	if (load_module(t, module) < 0 || find_slot(t, u, &slot) < 0 ||
	    (pin ? login(t, slot, pin) : open_ro(t, slot)) < 0) {
		token_close(t);
		return -1;
	}
	*out = t;
	return 0;
}

static int find(token *t, unsigned long cls, const char *label, const unsigned char *id,
		size_t idlen, ck_object_handle_t *h, unsigned long max)
{
	struct ck_attribute a[3] = {ATTR_B(CKA_CLASS, cls)};
	unsigned long n = 1, got = 0;

	if (label)
		a[n++] = (struct ck_attribute)ATTR(CKA_LABEL, label, strlen(label));
	if (id)
		a[n++] = (struct ck_attribute)ATTR(CKA_ID, id, idlen);
	if (t->f->C_FindObjectsInit(t->s, a, n) != CKR_OK)
		return cd_err("cannot search token '%s'", t->label);
	if (t->f->C_FindObjects(t->s, h, max, &got) != CKR_OK)
		got = 0;
	t->f->C_FindObjectsFinal(t->s);
	return (int)got;
}

int token_count_keys(token *t, const token_uri *u)
{
	ck_object_handle_t h[8];

	return find(t, CKO_PRIVATE_KEY, u->object.set ? (const char *)u->object.v : NULL,
		    u->id.set ? u->id.v : NULL, u->id.len, h, 8);
}

/* The DER OID of a curve certdesk allows, as CKA_EC_PARAMS holds it. */
static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};

int token_generate(token *t, ca_key_type kt, const char *label, const unsigned char *id,
		   size_t idlen)
{
	static const unsigned long bits = 3072;
	static const unsigned char e[] = {1, 0, 1};
	struct ck_mechanism m = {kt == CA_KEY_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN,
				 NULL, 0};
	struct ck_attribute pub[8] = {
		ATTR_B(CKA_TOKEN, yes), ATTR_B(CKA_VERIFY, yes), ATTR(CKA_LABEL, label, strlen(label)),
		ATTR(CKA_ID, id, idlen), ATTR_B(CKA_ENCRYPT, no), ATTR_B(CKA_WRAP, no)};
	/* A CA key signs, and does nothing else. */
	struct ck_attribute priv[] = {
		ATTR_B(CKA_TOKEN, yes), ATTR_B(CKA_PRIVATE, yes), ATTR_B(CKA_SENSITIVE, yes),
		ATTR_B(CKA_EXTRACTABLE, no), ATTR_B(CKA_SIGN, yes), ATTR_B(CKA_DECRYPT, no),
		ATTR_B(CKA_UNWRAP, no), ATTR_B(CKA_DERIVE, no),
		ATTR(CKA_LABEL, label, strlen(label)), ATTR(CKA_ID, id, idlen)};
	ck_object_handle_t hpub, hpriv;
	unsigned long np = 6;
	ck_rv_t rv;

	if (kt == CA_KEY_RSA) {
		pub[np++] = (struct ck_attribute)ATTR_B(CKA_MODULUS_BITS, bits);
		pub[np++] = (struct ck_attribute)ATTR(CKA_PUBLIC_EXPONENT, e, sizeof e);
	} else {
		pub[np++] = (struct ck_attribute)ATTR(CKA_EC_PARAMS, p256, sizeof p256);
	}
	rv = t->f->C_GenerateKeyPair(t->s, &m, pub, np, priv, sizeof priv / sizeof *priv, &hpub,
				     &hpriv);
	if (rv != CKR_OK)
		return cd_err("token '%s' cannot generate a%s key (error 0x%lX)", t->label,
			      kt == CA_KEY_RSA ? "n RSA 3072" : "n EC P-256", rv);
	return 0;
}

/* A BIGNUM parameter of key, big-endian in exactly n bytes (0: its own size). */
static unsigned char *bn_param(EVP_PKEY *key, const char *name, size_t n, size_t *len)
{
	BIGNUM *bn = NULL;
	unsigned char *out;

	if (!EVP_PKEY_get_bn_param(key, name, &bn))
		return NULL;
	*len = n ? n : (size_t)BN_num_bytes(bn);
	out = OPENSSL_secure_malloc(*len ? *len : 1);
	if (out && BN_bn2binpad(bn, out, (int)*len) < 0) {
		OPENSSL_secure_clear_free(out, *len);
		out = NULL;
	}
	BN_clear_free(bn);
	return out;
}

static int create(token *t, struct ck_attribute *a, unsigned long n, const char *what)
{
	ck_object_handle_t h;
	ck_rv_t rv = t->f->C_CreateObject(t->s, a, n, &h);

	return rv == CKR_OK ? 0 : cd_err("token '%s' refused the %s (error 0x%lX)", t->label, what,
					 rv);
}

static int import_ec(token *t, EVP_PKEY *key, struct ck_attribute *common, unsigned long nc)
{
	static const unsigned long cpriv = CKO_PRIVATE_KEY, cpub = CKO_PUBLIC_KEY, kt = CKK_EC;
	char group[32] = "";
	const unsigned char *params;
	unsigned char point[160], der[164], *d = NULL;
	size_t plen = 0, dlen = 0, psize;
	int rc;

	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL))
		return cd_err("cannot read the CA key's curve");
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		params = p256, psize = sizeof p256;
	else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		params = p384, psize = sizeof p384;
	else
		return cd_err("the CA key's curve %s cannot go to the token: P-256 or P-384", group);
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &plen) ||
	    plen > 127 || !(d = bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, (plen - 1) / 2, &dlen)))
		return cd_err("cannot read the CA key");
	der[0] = 0x04; /* CKA_EC_POINT: the point as a DER OCTET STRING */
	der[1] = (unsigned char)plen;
	memcpy(der + 2, point, plen);
	{
		struct ck_attribute priv[16] = {
			ATTR_B(CKA_CLASS, cpriv), ATTR_B(CKA_KEY_TYPE, kt),
			ATTR(CKA_EC_PARAMS, params, psize), ATTR(CKA_VALUE, d, dlen),
			ATTR_B(CKA_PRIVATE, yes), ATTR_B(CKA_SENSITIVE, yes),
			ATTR_B(CKA_EXTRACTABLE, no), ATTR_B(CKA_SIGN, yes), ATTR_B(CKA_DECRYPT, no),
			ATTR_B(CKA_UNWRAP, no), ATTR_B(CKA_DERIVE, no)};
		struct ck_attribute pub[10] = {
			ATTR_B(CKA_CLASS, cpub), ATTR_B(CKA_KEY_TYPE, kt),
			ATTR(CKA_EC_PARAMS, params, psize), ATTR(CKA_EC_POINT, der, plen + 2),
			ATTR_B(CKA_VERIFY, yes), ATTR_B(CKA_ENCRYPT, no), ATTR_B(CKA_WRAP, no)};

		memcpy(priv + 11, common, nc * sizeof *common);
		memcpy(pub + 7, common, nc * sizeof *common);
		rc = create(t, priv, 11 + nc, "private key");
		if (rc == 0)
			rc = create(t, pub, 7 + nc, "public key");
	}
	OPENSSL_secure_clear_free(d, dlen);
	return rc;
}

static int import_rsa(token *t, EVP_PKEY *key, struct ck_attribute *common, unsigned long nc)
{
	static const unsigned long cpriv = CKO_PRIVATE_KEY, cpub = CKO_PUBLIC_KEY, kt = CKK_RSA;
	static const char *const names[] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
	static const unsigned long types[] = {
		CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2,
		CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT};
	unsigned char *v[8] = {NULL};
	size_t len[8] = {0}, i;
	struct ck_attribute priv[24] = {
		ATTR_B(CKA_CLASS, cpriv), ATTR_B(CKA_KEY_TYPE, kt), ATTR_B(CKA_PRIVATE, yes),
		ATTR_B(CKA_SENSITIVE, yes), ATTR_B(CKA_EXTRACTABLE, no), ATTR_B(CKA_SIGN, yes),
		ATTR_B(CKA_DECRYPT, no), ATTR_B(CKA_UNWRAP, no), ATTR_B(CKA_DERIVE, no)};
	struct ck_attribute pub[12] = {
		ATTR_B(CKA_CLASS, cpub), ATTR_B(CKA_KEY_TYPE, kt), ATTR_B(CKA_VERIFY, yes),
		ATTR_B(CKA_ENCRYPT, no), ATTR_B(CKA_WRAP, no)};
	int rc = 0;

	for (i = 0; i < 8 && rc == 0; i++) {
		if (!(v[i] = bn_param(key, names[i], 0, &len[i])))
			rc = cd_err("cannot read the CA key (RSA %s)", names[i]);
		priv[9 + i] = (struct ck_attribute)ATTR(types[i], v[i], len[i]);
	}
	if (rc == 0) {
		pub[5] = priv[9];   /* modulus */
		pub[6] = priv[10];  /* public exponent */
		memcpy(priv + 17, common, nc * sizeof *common);
		memcpy(pub + 7, common, nc * sizeof *common);
		rc = create(t, priv, 17 + nc, "private key");
		if (rc == 0)
			rc = create(t, pub, 7 + nc, "public key");
	}
	for (i = 0; i < 8; i++)
		OPENSSL_secure_clear_free(v[i], len[i]);
	return rc;
}

int token_import(token *t, EVP_PKEY *key, const char *label, const unsigned char *id,
		 size_t idlen)
{
	struct ck_attribute common[] = {
		ATTR_B(CKA_TOKEN, yes), ATTR(CKA_LABEL, label, strlen(label)), ATTR(CKA_ID, id, idlen)};
	unsigned long nc = sizeof common / sizeof *common;

	if (EVP_PKEY_is_a(key, "EC"))
		return import_ec(t, key, common, nc);
	if (EVP_PKEY_is_a(key, "RSA"))
		return import_rsa(t, key, common, nc);
	return cd_err("a %s CA key cannot go to the token: EC or RSA", EVP_PKEY_get0_type_name(key));
}

int token_set_id(token *t, const char *label, const unsigned char *oldid, size_t oldlen,
		 const unsigned char *newid, size_t newlen)
{
	static const unsigned long cls[] = {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY};
	struct ck_attribute a = ATTR(CKA_ID, newid, newlen);
	ck_object_handle_t h[2];
	size_t i;
	int n, k;

	for (i = 0; i < 2; i++) {
		n = find(t, cls[i], label, oldid, oldlen, h, 2);
		for (k = 0; k < n; k++)
			if (t->f->C_SetAttributeValue(t->s, h[k], &a, 1) != CKR_OK)
				return cd_err("token '%s' cannot set the id of key '%s'", t->label, label);
	}
	return 0;
}

/* An attribute of object h into a malloc'd buffer. */
static unsigned char *get_attr(token *t, ck_object_handle_t h, unsigned long type, size_t *len)
{
	struct ck_attribute a = {type, NULL, 0};
	unsigned char *v;

	if (t->f->C_GetAttributeValue(t->s, h, &a, 1) != CKR_OK || a.value_len == (unsigned long)-1)
		return NULL;
	v = cd_malloc(a.value_len + 1);
	a.value = v;
	if (t->f->C_GetAttributeValue(t->s, h, &a, 1) != CKR_OK) {
		free(v);
		return NULL;
	}
	*len = a.value_len;
	return v;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM *p)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *k = NULL;

	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static EVP_PKEY *ec_pub(token *t, ck_object_handle_t h)
{
	size_t plen = 0, qlen = 0;
	unsigned char *par = get_attr(t, h, CKA_EC_PARAMS, &plen);
	unsigned char *q = get_attr(t, h, CKA_EC_POINT, &qlen);
	const char *group = NULL;
	EVP_PKEY *k = NULL;

	if (par && plen == sizeof p256 && !memcmp(par, p256, plen))
		group = "P-256";
	else if (par && plen == sizeof p384 && !memcmp(par, p384, plen))
		group = "P-384";
	/* CKA_EC_POINT is the point as a DER OCTET STRING (short form: <= 127 bytes). */
	if (group && q && qlen > 2 && q[0] == 0x04 && q[1] == qlen - 2) {
		OSSL_PARAM p[] = {
			OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
			OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, q + 2, qlen - 2),
			OSSL_PARAM_END};
		k = from_params("EC", p);
	}
	free(par);
	free(q);
	return k;
}

static EVP_PKEY *rsa_pub(token *t, ck_object_handle_t h)
{
	size_t nlen = 0, elen = 0;
	unsigned char *n = get_attr(t, h, CKA_MODULUS, &nlen);
	unsigned char *e = get_attr(t, h, CKA_PUBLIC_EXPONENT, &elen);
	BIGNUM *bn = n ? BN_bin2bn(n, (int)nlen, NULL) : NULL;
	BIGNUM *be = e ? BN_bin2bn(e, (int)elen, NULL) : NULL;
	unsigned char nb[1024], eb[16];
	EVP_PKEY *k = NULL;

	/* OSSL_PARAM integers are native-endian. */
	if (bn && be && nlen <= sizeof nb && elen <= sizeof eb &&
	    BN_bn2nativepad(bn, nb, (int)nlen) > 0 && BN_bn2nativepad(be, eb, (int)elen) > 0) {
		OSSL_PARAM p[] = {
			OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, nb, nlen),
			OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, eb, elen), OSSL_PARAM_END};
		k = from_params("RSA", p);
	}
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return k;
}

int token_pubkey(token *t, const char *label, const unsigned char *id, size_t idlen,
		 EVP_PKEY **out, unsigned char **oldid, size_t *oldlen)
{
	ck_object_handle_t h[2];
	unsigned long kt = 0;
	struct ck_attribute a = ATTR_B(CKA_KEY_TYPE, kt);
	int n = find(t, CKO_PUBLIC_KEY, label, id, idlen, h, 2);

	*out = NULL;
	if (n < 0)
		return -1;
	if (n == 0)
		return cd_err("token '%s' holds no public key of that key (object=%s): certdesk "
			      "reads the CA's public key from it", t->label, label ? label : "");
	if (n > 1)
		return cd_err("token '%s' holds several keys of that name: name one (id=)", t->label);
	if (t->f->C_GetAttributeValue(t->s, h[0], &a, 1) != CKR_OK)
		return cd_err("cannot read the key type on token '%s'", t->label);
	*out = kt == CKK_EC ? ec_pub(t, h[0]) : kt == CKK_RSA ? rsa_pub(t, h[0]) : NULL;
	if (!*out)
		return cd_err("the key on token '%s' is neither EC P-256/P-384 nor RSA", t->label);
	if (oldid && !(*oldid = get_attr(t, h[0], CKA_ID, oldlen)))
		*oldlen = 0;
	return 0;
}
