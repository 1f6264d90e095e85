/* ca.c: the certificate authority, with libcrypto only (no openssl(1), no prompts). */
#include "ca.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* OpenSSL's own default (PKCS12_DEFAULT_ITER): every importer we care about accepts it. */
#define CA_P12_ITER 2048
#define CA_SERIAL_BYTES 16

struct ca {
	X509 *cert;      /* NULL until needed: see x509_of */
	char *pem;       /* ca.crt as read */
	size_t pem_len;
	int unusable;    /* its full parse failed: nothing is signed or checked with it */
	int64_t not_before;
	EVP_PKEY *key;   /* NULL unless opened for signing */
	char *name;
	int64_t not_after;
	struct crl_cache *crl_cache; /* CRL entries already encoded, see ca_sign_crl */
	char kid[41];    /* the key identifier in hex: how rows and directories name it */
	char *dir;       /* where its ca.crt is */
	int retired;     /* signs nothing any more: kept to judge what it once signed */
	unsigned char *subj_der; /* its subject as DER, to match the issuer of what it signs */
	int subj_len;
	struct ca *older; /* the CAs this one took over from, newest first */
};

struct crl_cache;
static void crl_cache_free(struct crl_cache *cc);
static void insert_older(ca *c, ca *o);
static int peek_ca(ca *c);

/* ---- small helpers ---- */

/* Adds OpenSSL's own reason to our message, and leaves its queue empty for the next call. */
static int ssl_err(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	cd_err("%s%s%s", what, why ? ": " : "", why ? why : "");
	ERR_clear_error();
	return -1;
}

/* BIO_new_mem_buf takes an int: cast blindly, a longer buffer would be parsed cut short. */
static BIO *mem_bio(const char *p, size_t len)
{
	return len <= INT_MAX ? BIO_new_mem_buf(p, (int)len) : NULL;
}

static char *bio_take(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	return cd_strndup(data, n > 0 ? (size_t)n : 0);
}

static int asn1_time_epoch(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return ssl_err("invalid time in certificate or CRL");
	*out = cd_timegm(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
	return 0;
}

/* RFC 2253 on one line, but UTF-8 kept readable instead of escaped as \XX bytes. */
static char *name_oneline(const X509_NAME *nm)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s;

	if (!b)
		return cd_strdup("");
	X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	s = bio_take(b);
	BIO_free(b);
	return s;
}

/* The last (most specific) entry of that type, as UTF-8; "" when absent. */
static char *name_field(const X509_NAME *nm, int nid)
{
	int idx = -1, i;
	unsigned char *u = NULL;
	char *s;
	int n;

	while ((i = X509_NAME_get_index_by_NID(nm, nid, idx)) >= 0)
		idx = i;
	if (idx < 0)
		return cd_strdup("");
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, idx)));
	if (n < 0)
		return cd_strdup("");
	s = cd_strndup((char *)u, (size_t)n);
	OPENSSL_free(u);
	return s;
}

static int serial_hex(const ASN1_INTEGER *ai, char out[80])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int rc = 0;

	if (!hex)
		rc = ssl_err("cannot read serial number");
	else if (strlen(hex) >= 80)
		rc = cd_err("serial number too long (%zu hex digits)", strlen(hex));
	else
		strcpy(out, hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

static ASN1_INTEGER *serial_from_hex(const char *s, BIGNUM **bn)
{
	size_t i, n = strlen(s);
	ASN1_INTEGER *ai;

	for (i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			break;
	if (n == 0 || n > 64 || i < n) {
		char *clean = cd_sanitize(s);
		cd_err("invalid serial '%.70s': expected 1 to 64 hex digits", clean);
		free(clean);
		return NULL;
	}
	if (!BN_hex2bn(bn, s) || !(ai = BN_to_ASN1_INTEGER(*bn, NULL))) {
		ssl_err("cannot convert serial number");
		return NULL;
	}
	return ai;
}

/* 128 random bits, first byte 01..7F: positive, and its hex has no leading zero. */
static int random_serial(X509 *x, char out[80])
{
	unsigned char b[CA_SERIAL_BYTES];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	int rc = -1;

	do {
		if (RAND_bytes(b, sizeof b) != 1)
			return ssl_err("random number generator failed");
		b[0] &= 0x7F;
	} while (b[0] == 0);
	bn = BN_bin2bn(b, sizeof b, NULL);
	ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (!ai || !X509_set_serialNumber(x, ai))
		ssl_err("cannot set serial number");
	else
		rc = serial_hex(ai, out);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

static EVP_PKEY *gen_key(ca_key_type kt)
{
	EVP_PKEY *k = kt == CA_KEY_RSA ? EVP_RSA_gen(3072) : EVP_EC_gen("P-256");

	if (!k)
		ssl_err("key generation failed");
	return k;
}

static int set_validity(X509 *x, int64_t now, int days)
{
	if (!ASN1_TIME_set(X509_getm_notBefore(x), (time_t)now) ||
	    !ASN1_TIME_adj(X509_getm_notAfter(x), (time_t)now, days, 0))
		return ssl_err("cannot set validity");
	return 0;
}

static int add_name(X509_NAME *nm, int nid, const char *what, const char *value)
{
	if (!value || !*value)
		return 0;
	if (!X509_NAME_add_entry_by_NID(nm, nid, MBSTRING_UTF8, (const unsigned char *)value,
					-1, -1, 0)) {
		char msg[64];
		snprintf(msg, sizeof msg, "%s cannot go into a certificate", what);
		return ssl_err(msg);
	}
	return 0;
}

/* Fixed extension texts only: nothing from input is ever parsed as configuration. */
static int add_ext_conf(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext && X509_add_ext(x, ext, -1);

	X509_EXTENSION_free(ext);
	return ok ? 0 : ssl_err("cannot add certificate extension");
}

/* RFC 5280 method 1: SHA-1 of the subjectPublicKey bits (what OpenSSL calls "hash"). */
static ASN1_OCTET_STRING *key_id(const X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	ASN1_OCTET_STRING *id;

	if (!X509_pubkey_digest(x, EVP_sha1(), md, &n) || !(id = ASN1_OCTET_STRING_new()))
		return NULL;
	if (!ASN1_OCTET_STRING_set(id, md, (int)n)) {
		ASN1_OCTET_STRING_free(id);
		return NULL;
	}
	return id;
}

/* The CA's own SKI when it has one (an imported CA may have computed it otherwise). */
static ASN1_OCTET_STRING *ca_key_id(X509 *cacert)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cacert);

	return ski ? ASN1_OCTET_STRING_dup(ski) : key_id(cacert);
}

static AUTHORITY_KEYID *aki_new(const ASN1_OCTET_STRING *keyid)
{
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();

	if (akid && !(akid->keyid = ASN1_OCTET_STRING_dup(keyid))) {
		AUTHORITY_KEYID_free(akid);
		akid = NULL;
	}
	return akid;
}

/* SKI of x itself and AKI pointing at the issuer's key id. */
static int add_key_ids(X509 *x, const ASN1_OCTET_STRING *issuer_id)
{
	ASN1_OCTET_STRING *ski = key_id(x);
	AUTHORITY_KEYID *akid = aki_new(issuer_id ? issuer_id : ski);
	int ok = ski && akid &&
		 X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, 0) == 1 &&
		 X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, 0) == 1;

	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(akid);
	return ok ? 0 : ssl_err("cannot add key identifiers");
}

static char *x509_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b && PEM_write_bio_X509(b, x))
		s = bio_take(b);
	else
		ssl_err("cannot encode certificate");
	BIO_free(b);
	return s;
}

static X509 *pem_to_x509(const char *pem, size_t len)
{
	BIO *b = mem_bio(pem, len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (!x)
		ssl_err("cannot parse PEM certificate");
	return x;
}

/* ---- reasons and passwords ---- */

static const int reason_codes[] = {
#define CA_REASON_CODE(id, code, name) code,
	CA_REASONS(CA_REASON_CODE)
#undef CA_REASON_CODE
};
#define NREASONS (sizeof reason_codes / sizeof reason_codes[0])

const char *const ca_reason_names[] = {
#define CA_REASON_NAME(id, code, name) name,
	CA_REASONS(CA_REASON_NAME)
#undef CA_REASON_NAME
	NULL
};

/* "|a|b|c" made by the preprocessor; the leading bar is skipped. */
#define CA_REASON_BAR(id, code, name) "|" name
static const char reason_bars[] = CA_REASONS(CA_REASON_BAR);
#undef CA_REASON_BAR
const char *const ca_reason_choices = reason_bars + 1;

int ca_reason_parse(const char *name, int *code)
{
	size_t i;

	for (i = 0; i < NREASONS; i++)
		if (strcmp(name, ca_reason_names[i]) == 0) {
			*code = reason_codes[i];
			return 0;
		}
	return cd_err("unknown revocation reason '%.40s': expected one of %s", name,
		      ca_reason_choices);
}

static const char *reason_lookup(int code)
{
	size_t i;

	for (i = 0; i < NREASONS; i++)
		if (reason_codes[i] == code)
			return ca_reason_names[i];
	return NULL;
}

const char *ca_reason_name(int code)
{
	const char *s = reason_lookup(code);

	return s ? s : "unknown";
}

/* Read aloud or typed from an SMS: no 0/O/o, 1/l/I, 2/Z, 5/S, 8/B, u/v and the like. */
static const char pw_alphabet[] = "346789abcdefghjkmnpqrtwxyACDEFGHJKLMNPQRTUVWXY";

int ca_password(char *out, size_t size, size_t n)
{
	const size_t m = sizeof pw_alphabet - 1;
	const unsigned limit = 256 - 256 % m; /* bytes >= limit would favour the first letters */
	unsigned char rnd[64];
	size_t got = 0, i;

	if (n == 0 || n >= size)
		return cd_err("password length %zu does not fit in %zu bytes", n, size);
	while (got < n) {
		if (RAND_bytes(rnd, sizeof rnd) != 1)
			return ssl_err("random number generator failed");
		for (i = 0; i < sizeof rnd && got < n; i++)
			if (rnd[i] < limit)
				out[got++] = pw_alphabet[rnd[i] % m];
	}
	out[n] = '\0';
	OPENSSL_cleanse(rnd, sizeof rnd);
	return 0;
}

/* ---- files ---- */

/*
 * The passphrase of the CA key goes through scrypt (RFC 7914) rather than OpenSSL's
 * default PBKDF2 of 2048 rounds. N=2^14, r=8 takes 16 MiB, what OpenSSL's decoder
 * allows (32 MiB, so N=2^15 would not open); p=5 gives the cost of N=2^17, p=1.
 */
#define CA_SCRYPT_N 16384
#define CA_SCRYPT_R 8
#define CA_SCRYPT_P 5
#define CA_PBKDF2_MIN_ITER 600000 /* a PBKDF2 key this strong is left as it is */

/* The key as PEM PKCS#8, encrypted (AES-256-CBC, scrypt) when pass is given. */
static int encode_key(BIO *b, EVP_PKEY *key, const char *pass)
{
	PKCS8_PRIV_KEY_INFO *p8;
	X509_ALGOR *pbe = NULL;
	X509_SIG *sig = NULL;
	unsigned char salt[16];
	int ok;

	if (!pass)
		return PEM_write_bio_PKCS8PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	if (!(p8 = EVP_PKEY2PKCS8(key)))
		return 0;
	if (RAND_bytes(salt, sizeof salt) == 1)
		pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), salt, sizeof salt, NULL,
					    CA_SCRYPT_N, CA_SCRYPT_R, CA_SCRYPT_P);
	/* On success the X509_SIG owns pbe. */
	if (pbe && !(sig = PKCS8_set0_pbe(pass, (int)strlen(pass), p8, pbe)))
		X509_ALGOR_free(pbe);
	ok = sig && PEM_write_bio_PKCS8(b, sig);
	X509_SIG_free(sig);
	PKCS8_PRIV_KEY_INFO_free(p8); /* wipes the key's DER */
	return ok;
}

/* replace: an existing key file is replaced at once (re-encryption), else refused. */
static int write_key(const char *path, EVP_PKEY *key, const char *pass, int replace)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *data;
	long n;
	int rc = -1;

	if (!b || !encode_key(b, key, pass)) {
		ssl_err("cannot encode the CA key");
	} else {
		n = BIO_get_mem_data(b, &data);
		rc = replace ? cd_replace_file(path, data, (size_t)n, 0600) :
			       cd_write_secret(path, data, (size_t)n);
	}
	BIO_free(b);
	return rc;
}

static int key_text_encrypted(const char *pem)
{
	return strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
	       strstr(pem, "Proc-Type: 4,ENCRYPTED") != NULL;
}

/* Hands the passphrase to PEM decoding; without one it refuses instead of prompting. */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *p = u;
	size_t n = p ? strlen(p) : 0;

	if (!p || n > (size_t)size)
		return -1;
	memcpy(buf, p, n);
	return (int)n;
}

/* The parameters of a PBES2 key derivation: scrypt as costly as ours (N*r*p), or
 * PBKDF2 of at least CA_PBKDF2_MIN_ITER rounds. */
static int kdf_strong(const X509_ALGOR *kdf)
{
	SCRYPT_PARAMS *sp = NULL;
	PBKDF2PARAM *kp = NULL;
	uint64_t n, r, p;
	int strong = 0;

	if (OBJ_obj2nid(kdf->algorithm) == NID_id_scrypt &&
	    (sp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), kdf->parameter)))
		strong = ASN1_INTEGER_get_uint64(&n, sp->costParameter) &&
			 ASN1_INTEGER_get_uint64(&r, sp->blockSize) &&
			 ASN1_INTEGER_get_uint64(&p, sp->parallelizationParameter) &&
			 (double)n * (double)r * (double)p >=
			 (double)CA_SCRYPT_N * CA_SCRYPT_R * CA_SCRYPT_P;
	else if (OBJ_obj2nid(kdf->algorithm) == NID_id_pbkdf2 &&
		 (kp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), kdf->parameter)))
		strong = ASN1_INTEGER_get(kp->iter) >= CA_PBKDF2_MIN_ITER;
	SCRYPT_PARAMS_free(sp);
	PBKDF2PARAM_free(kp);
	return strong;
}

/* Is an encrypted key's passphrase well protected? 0 for OpenSSL's default PBKDF2 of
 * 2048 rounds, for PKCS#5 v1.5 and for the legacy PEM encryption (one MD5 round). */
static int key_kdf_strong(const char *pem, size_t len)
{
	BIO *b = mem_bio(pem, len);
	X509_SIG *sig = b ? PEM_read_bio_PKCS8(b, NULL, pass_cb, NULL) : NULL;
	const X509_ALGOR *alg;
	PBE2PARAM *pbe2 = NULL;
	int strong = 0;

	if (sig) {
		X509_SIG_get0(sig, &alg, NULL);
		if (OBJ_obj2nid(alg->algorithm) == NID_pbes2)
			pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
		strong = pbe2 && kdf_strong(pbe2->keyfunc);
	}
	PBE2PARAM_free(pbe2);
	X509_SIG_free(sig);
	BIO_free(b);
	ERR_clear_error();
	return strong;
}

/*
 * The CA key file, opened once and read from that descriptor, so that what is checked
 * is what is used: never through a symbolic link, and only a regular file of the
 * effective user that nobody else may read (as ssh treats a private key).
 */
static int read_key_file(const char *path, char **pem, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK), rc = -1;
	struct stat st;

	if (fd < 0 && errno == ELOOP)
		return cd_err("the CA key %s is a symbolic link: certdesk opens only the file itself",
			      path);
	if (fd < 0)
		return cd_err("cannot read the CA key %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		cd_err("cannot read the CA key %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		cd_err("the CA key %s is not a regular file", path);
	else if (st.st_uid != geteuid())
		cd_err("the CA key %s belongs to uid %ld, not to uid %ld running certdesk: chown "
		       "it first", path, (long)st.st_uid, (long)geteuid());
	else if (st.st_mode & 077)
		cd_err("the CA key %s may be read by others (mode %04o): chmod 600 it first",
		       path, (unsigned)(st.st_mode & 07777));
	/* Another name would keep the old bytes when the key is re-encrypted or replaced. */
	else if (st.st_nlink != 1)
		cd_err("the CA key %s has %ld names (hard links): remove the others first", path,
		       (long)st.st_nlink);
	else
		rc = cd_read_secret_fd(fd, path, pem, len);
	close(fd);
	return rc;
}

int ca_key_encrypted(const char *dir)
{
	char *path = cd_asprintf("%s/ca.key", dir), *pem = NULL;
	size_t len = 0;
	int rc = -1;

	if (read_key_file(path, &pem, &len) == 0)
		rc = key_text_encrypted(pem);
	cd_secret_free(pem, len);
	free(path);
	return rc;
}

/* ---- init ---- */

/* The identifiers of a renewed CA certificate: the old one's SKI, which every issued
 * certificate names as its AKI (an imported CA may have derived it another way). */
static int keep_key_ids(X509 *x, const ASN1_OCTET_STRING *ski)
{
	AUTHORITY_KEYID *akid = aki_new(ski);
	int ok = akid && X509_add1_ext_i2d(x, NID_subject_key_identifier,
					   (ASN1_OCTET_STRING *)ski, 0, 0) == 1 &&
		 X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, 0) == 1;

	AUTHORITY_KEYID_free(akid);
	return ok ? 0 : ssl_err("cannot add key identifiers");
}

/* A self-signed CA certificate of subject (a copy is taken) and key; ski: the key
 * identifier to keep, NULL to derive it from the key. */
static X509 *build_ca_cert(const X509_NAME *subject, const ASN1_OCTET_STRING *ski,
			   const ASN1_INTEGER *keep_serial, EVP_PKEY *key, int days)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	char serial[80];

	if (!x || !X509_set_version(x, X509_VERSION_3) || !X509_set_pubkey(x, key) ||
	    !X509_set_subject_name(x, subject) || !X509_set_issuer_name(x, subject) ||
	    (keep_serial && !X509_set_serialNumber(x, (ASN1_INTEGER *)keep_serial))) {
		ssl_err("cannot build the CA certificate");
		goto err;
	}
	if ((!keep_serial && random_serial(x, serial) < 0) || set_validity(x, cd_now(), days) < 0)
		goto err;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (add_ext_conf(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    add_ext_conf(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    (ski ? keep_key_ids(x, ski) : add_key_ids(x, NULL)) < 0)
		goto err;
	if (!X509_sign(x, key, EVP_sha256())) {
		ssl_err("cannot sign the CA certificate");
		goto err;
	}
	return x;
err:
	X509_free(x);
	return NULL;
}

static X509 *build_root(const char *cn, EVP_PKEY *key, int days)
{
	X509_NAME *nm = X509_NAME_new();
	X509 *x = NULL;

	if (!nm)
		ssl_err("cannot build the CA certificate");
	else if (add_name(nm, NID_commonName, "CA name", cn) == 0)
		x = build_ca_cert(nm, NULL, NULL, key, days);
	X509_NAME_free(nm);
	return x;
}

static int init_check(const char *cn, int days, const char *pass)
{
	if (!cn || !*cn)
		return cd_err("the CA needs a name (its CN)");
	if (cd_check_field("CA name", cn) < 0)
		return -1;
	if (days < 1 || days > 36500)
		return cd_err("invalid CA lifetime %d days: expected 1 to 36500", days);
	if (pass && !*pass)
		return cd_err("empty CA passphrase: give a real one, or none");
	return 0;
}

/* The CA certificate, written after its key (or a token key's marker) first: a key
 * without its certificate would block the next attempt, so it goes when this fails. */
static int write_cert_after(const char *cpath, const char *pem, const char *first)
{
	if (cd_write_file(cpath, pem, strlen(pem), 0644) == 0)
		return 0;
	unlink(first);
	return -1;
}

int ca_init(const char *dir, const char *cn, ca_key_type kt, int days, const char *passphrase)
{
	char *kpath = cd_asprintf("%s/ca.key", dir), *cpath = cd_asprintf("%s/ca.crt", dir);
	char *pem = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc = -1;

	if (cd_path_exists(kpath) || cd_path_exists(cpath)) {
		cd_err("a CA already exists in %s; not replacing it", dir);
		goto out;
	}
	if (init_check(cn, days, passphrase) < 0 || cd_mkdir_p(dir, 0700) < 0 ||
	    !(key = gen_key(kt)) || !(x = build_root(cn, key, days)) || !(pem = x509_pem(x)))
		goto out;
	if (write_key(kpath, key, passphrase, 0) < 0 || write_cert_after(cpath, pem, kpath) < 0)
		goto out;
	rc = 0;
out:
	free(pem);
	X509_free(x);
	EVP_PKEY_free(key);
	free(kpath);
	free(cpath);
	return rc;
}

/* The key identifier a certificate of key would get (RFC 5280 method 1, as key_id):
 * how the token names the key (CKA_ID), known before any certificate exists. */
int ca_pubkey_id(EVP_PKEY *key, unsigned char id[20])
{
	X509 *x = X509_new();
	unsigned int n = 0;
	int ok = x && X509_set_pubkey(x, key) && X509_pubkey_digest(x, EVP_sha1(), id, &n) &&
		 n == 20;

	X509_free(x);
	return ok ? 0 : ssl_err("cannot compute the key identifier");
}

int ca_init_key(const char *dir, const char *cn, EVP_PKEY *key, int days)
{
	char *cpath = cd_asprintf("%s/ca.crt", dir), *mark = cd_asprintf("%s/ca.p11", dir);
	char *pem = NULL;
	X509 *x = NULL;
	int rc = -1;

	if (cd_path_exists(cpath)) {
		cd_err("a CA already exists in %s; not replacing it", dir);
		goto out;
	}
	if (init_check(cn, days, NULL) < 0 || cd_mkdir_p(dir, 0700) < 0 ||
	    !(x = build_root(cn, key, days)) || !(pem = x509_pem(x)))
		goto out;
	/* The marker stands for the key file a rollover's recovery looks for (ca_roll.c). */
	if (cd_write_file(mark, "", 0, 0644) < 0 || write_cert_after(cpath, pem, mark) < 0)
		goto out;
	rc = 0;
out:
	free(pem);
	X509_free(x);
	free(cpath);
	free(mark);
	return rc;
}

/* ---- open ---- */

/* The key identifier as the CA's certificates carry it in their AKI. */
static int set_kid(ca *c)
{
	ASN1_OCTET_STRING *id = ca_key_id(c->cert);
	const unsigned char *p;
	int i, n;

	if (!id)
		return ssl_err("cannot compute the CA's key identifier");
	p = ASN1_STRING_get0_data(id);
	n = ASN1_STRING_length(id);
	for (i = 0; i < n && i < 20; i++)
		snprintf(c->kid + 2 * i, 3, "%02X", p[i]);
	ASN1_OCTET_STRING_free(id);
	return 0;
}

/* What OpenSSL's full parse of the CA certificate gives, when peek_ca cannot tell. */
static int full_cert(ca *c, const char *path)
{
	if (!(c->cert = pem_to_x509(c->pem, c->pem_len)))
		return cd_err("cannot parse the CA certificate %s", path);
	if (X509_check_ca(c->cert) < 1)
		return cd_err("%s is not a CA certificate", path);
	c->name = name_field(X509_get_subject_name(c->cert), NID_commonName);
	c->subj_der = NULL;
	c->subj_len = i2d_X509_NAME(X509_get_subject_name(c->cert), &c->subj_der);
	return c->subj_len <= 0 ? ssl_err("cannot encode the CA's name") :
	       set_kid(c) < 0 ? -1 :
	       asn1_time_epoch(X509_get0_notBefore(c->cert), &c->not_before) < 0 ? -1 :
	       asn1_time_epoch(X509_get0_notAfter(c->cert), &c->not_after);
}

/* A command that signs and checks nothing (list, show, the dashboard) needs only the
 * CA's name, key id and dates: read from the DER (peek_ca), they cost a small part of
 * the full parse, which decodes the key through OpenSSL's providers and was half the
 * start-up of such a command. The certificate itself is parsed on first use. */
static int load_cert(ca *c, const char *dir)
{
	char *path = cd_asprintf("%s/ca.crt", dir);
	int rc = -1;

	c->dir = cd_strdup(dir);
	if (cd_read_file(path, &c->pem, &c->pem_len) == 0) {
		rc = peek_ca(c);
		if (rc < 0)
			cd_err("cannot parse the CA certificate %s", path);
		else if (rc > 0)
			rc = full_cert(c, path);
	}
	free(path);
	return rc;
}

static pthread_mutex_t cert_lock = PTHREAD_MUTEX_INITIALIZER;

/* The certificate, parsed the first time it is needed (by any thread: verify checks
 * signatures on all cores). The handle stays const to its users: this only fills a
 * cache. NULL, with a message, when OpenSSL cannot parse what peek_ca read. */
static X509 *x509_of(const ca *c)
{
	ca *w = (ca *)c;
	X509 *x;

	pthread_mutex_lock(&cert_lock);
	if (!w->cert && w->pem && !w->unusable) {
		w->cert = pem_to_x509(w->pem, w->pem_len);
		/* What the walk could not judge (a malformed or repeated extension) */
		if (w->cert && X509_check_ca(w->cert) < 1) {
			X509_free(w->cert);
			w->cert = NULL;
		}
		w->unusable = !w->cert;
	}
	x = w->cert;
	pthread_mutex_unlock(&cert_lock);
	if (!x)
		cd_err("%s/ca.crt cannot be used: OpenSSL does not read it as a CA certificate",
		       c->dir);
	return x;
}

static EVP_PKEY *parse_key(const char *path, const char *pem, size_t len, const char *pass)
{
	int enc = key_text_encrypted(pem);
	BIO *b = mem_bio(pem, len);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, pass_cb, (void *)pass) : NULL;

	BIO_free(b);
	ERR_clear_error();
	if (!k && enc)
		cd_err("wrong CA passphrase for %s", path);
	else if (!k)
		cd_err("cannot parse the CA key %s", path);
	return k;
}

/* The key parsed with pass, checked against the certificate. */
static int use_key(ca *c, const char *dir, const char *path, const char *pem, size_t len,
		   const char *pass)
{
	if (!(c->key = parse_key(path, pem, len, pass)))
		return -1;
	if (EVP_PKEY_eq(X509_get0_pubkey(x509_of(c)), c->key) == 1)
		return 0;
	EVP_PKEY_free(c->key);
	c->key = NULL;
	return cd_err("the CA key %s does not match the certificate %s/ca.crt", path, dir);
}

/* A key under a weak KDF, rewritten in place with scrypt and the same passphrase; -1
 * (the reason set) when it cannot be, and the key stays usable as it is. */
static int upgrade_key(const ca *c, const char *path, const char *pass)
{
	if (write_key(path, c->key, pass, 1) == 0)
		return 0;
	return cd_err("cannot re-encrypt the CA key %s with scrypt (%s); it was used as it is",
		      path, cd_errmsg());
}

static int load_key(ca *c, const char *dir, ca_pass_fn ask, void *ctx, int *upgraded)
{
	char *path = cd_asprintf("%s/ca.key", dir), *pem = NULL, pass[1024] = "";
	size_t len = 0;
	int enc, rc = -1;

	/* A copy of the key that a killed write (an upgrade) left beside it goes first. */
	cd_unlink_temps(path);
	if (read_key_file(path, &pem, &len) < 0)
		goto out;
	if ((enc = key_text_encrypted(pem)) && !ask) {
		cd_err("the CA key %s is passphrase-protected; a passphrase is needed", path);
		goto out;
	}
	if ((enc && ask(ctx, pass, sizeof pass) < 0) ||
	    use_key(c, dir, path, pem, len, enc ? pass : NULL) < 0)
		goto out;
	rc = 0;
	/* A failed upgrade only warns: refusing to sign would let the CRL lapse. */
	if (upgraded && enc && !key_kdf_strong(pem, len))
		*upgraded = upgrade_key(c, path, pass) == 0 ? 1 : -1;
out:
	OPENSSL_cleanse(pass, sizeof pass);
	cd_secret_free(pem, len);
	free(path);
	return rc;
}

int ca_pass_given(void *ctx, char *buf, size_t size)
{
	const char *p = ctx;

	if (strlen(p) >= size)
		return cd_err("the CA passphrase is longer than %zu bytes", size - 1);
	memcpy(buf, p, strlen(p) + 1);
	return 0;
}

/* The CAs a rollover left in dir/prev/KID/ (still signing their CRL) and in
 * dir/retired/KID/, appended to c's list, newest first (by notBefore). */
static int load_older_in(ca *c, const char *dir, const char *sub, int retired)
{
	char *top = cd_asprintf("%s/%s", dir, sub);
	DIR *dd = opendir(top);
	struct dirent *e;
	int rc = 0;

	while (dd && rc == 0 && (e = readdir(dd))) {
		char *path;
		ca *o;

		if (!ca_kid_valid(e->d_name))
			continue;
		path = cd_asprintf("%s/%s", top, e->d_name);
		o = cd_malloc(sizeof *o);
		memset(o, 0, sizeof *o);
		o->retired = retired;
		if (load_cert(o, path) < 0)
			rc = -1;
		else if (strcmp(o->kid, e->d_name) != 0)
			rc = cd_err("%s holds the CA certificate of another key (%s)", path, o->kid);
		if (rc < 0)
			ca_close(o);
		else
			insert_older(c, o);
		free(path);
	}
	if (dd)
		closedir(dd);
	free(top);
	return rc;
}

static int64_t not_before_of(const ca *c)
{
	return c->not_before;
}

static void insert_older(ca *c, ca *o)
{
	ca **at = &c->older;

	while (*at && not_before_of(*at) >= not_before_of(o))
		at = &(*at)->older;
	o->older = *at;
	*at = o;
}

int ca_kid_of(const char *dir, char kid[41])
{
	ca c;
	int rc;

	memset(&c, 0, sizeof c);
	rc = load_cert(&c, dir);
	snprintf(kid, 41, "%s", c.kid);
	X509_free(c.cert);
	free(c.pem);
	free(c.name);
	free(c.dir);
	OPENSSL_free(c.subj_der);
	return rc;
}

int ca_kid_valid(const char *s)
{
	size_t n = strspn(s, "0123456789ABCDEF");

	return n >= 8 && n <= 40 && s[n] == '\0';
}

int ca_open(const char *dir, int with_key, const char *passphrase, ca **out)
{
	ca *c = cd_malloc(sizeof *c);

	memset(c, 0, sizeof *c);
	*out = NULL;
	if (load_cert(c, dir) < 0 || load_older_in(c, dir, "prev", 0) < 0 ||
	    load_older_in(c, dir, "retired", 1) < 0 ||
	    (with_key && ca_load_key(c, dir, passphrase ? ca_pass_given : NULL,
				     (void *)passphrase, NULL) < 0)) {
		ca_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* Asks once: every key of one home is under the same passphrase (a rollover keeps it). */
struct pass_once {
	ca_pass_fn ask;
	void *ctx;
	int have;
	char pass[1024];
};

static int pass_once(void *ctx, char *buf, size_t size)
{
	struct pass_once *po = ctx;

	if (!po->have) {
		if (!po->ask || po->ask(po->ctx, po->pass, sizeof po->pass) < 0)
			return po->ask ? -1 : cd_err("a passphrase is needed");
		po->have = 1;
	}
	return ca_pass_given(po->pass, buf, size);
}

int ca_load_key(ca *c, const char *dir, ca_pass_fn ask, void *ctx, int *upgraded)
{
	struct pass_once po = {ask, ctx, 0, ""};
	ca *o;
	int rc = 0;

	if (upgraded)
		*upgraded = 0;
	if (!c->key)
		rc = load_key(c, dir, ask ? pass_once : NULL, &po, upgraded);
	for (o = c->older; o && rc == 0; o = o->older)
		if (!o->retired && !o->key)
			rc = load_key(o, o->dir, ask ? pass_once : NULL, &po, NULL);
	OPENSSL_cleanse(po.pass, sizeof po.pass);
	return rc;
}

int ca_use_key(ca *c, const char *kid, EVP_PKEY *key)
{
	for (; c; c = c->older) {
		if (strcmp(c->kid, kid) != 0)
			continue;
		if (!x509_of(c))
			return -1;
		if (EVP_PKEY_eq(X509_get0_pubkey(x509_of(c)), key) != 1)
			return cd_err("the token key does not match the certificate of CA %s (key %s)",
				      c->name, c->kid);
		if (!EVP_PKEY_up_ref(key))
			return ssl_err("cannot use the token key");
		EVP_PKEY_free(c->key);
		c->key = key;
		return 0;
	}
	return cd_err("no CA of this home has the key id %s", kid);
}

int ca_pubkey_is(const ca *c, EVP_PKEY *pub)
{
	X509 *x = x509_of(c);

	return x && EVP_PKEY_eq(X509_get0_pubkey(x), pub) == 1;
}

EVP_PKEY *ca_signing_key(const ca *c)
{
	return c->key;
}

int ca_signs(const ca *c)
{
	return !c->retired;
}

void ca_close(ca *c)
{
	while (c) {
		ca *o = c->older;

		X509_free(c->cert);
		free(c->pem);
		EVP_PKEY_free(c->key);
		free(c->name);
		free(c->dir);
		OPENSSL_free(c->subj_der);
		crl_cache_free(c->crl_cache);
		free(c);
		c = o;
	}
}

const char *ca_kid(const ca *c)
{
	return c->kid;
}

const ca *ca_older(const ca *c)
{
	return c->older;
}

int ca_is_retired(const ca *c)
{
	return c->retired;
}

void ca_note_retired(ca *c, const char *dir, const char *kid)
{
	for (c = c->older; c; c = c->older)
		if (strcmp(c->kid, kid) == 0) {
			c->retired = 1;
			EVP_PKEY_free(c->key);
			c->key = NULL;
			free(c->dir);
			c->dir = cd_asprintf("%s/retired/%s", dir, kid);
		}
}

const ca *ca_by_kid(const ca *c, const char *kid)
{
	if (!kid || !*kid)
		return c;
	for (; c; c = c->older)
		if (strcmp(c->kid, kid) == 0)
			return c;
	return NULL;
}

char *ca_bundle_pem(const ca *c)
{
	cd_buf b = {0};

	for (; c; c = c->older) {
		X509 *x = c->retired ? NULL : x509_of(c);
		char *pem = x ? x509_pem(x) : NULL;

		if (pem)
			cd_buf_printf(&b, "%s", pem);
		free(pem);
	}
	return b.s ? b.s : cd_strdup("");
}

const char *ca_name(const ca *c)
{
	return c->name;
}

int64_t ca_not_after(const ca *c)
{
	return c->not_after;
}

char *ca_cert_pem(const ca *c)
{
	X509 *x = x509_of(c);

	return x ? x509_pem(x) : NULL;
}

/* ---- renew ---- */

/* The certificate being replaced stays beside it, under the day it ended. */
static int keep_old_cert(ca *c, const char *dir)
{
	char end[16], *path, *pem = x509_pem(x509_of(c));
	int rc = pem ? 0 : -1;

	cd_format_date(c->not_after, end);
	path = cd_asprintf("%s/ca-until-%s.crt", dir, end);
	cd_unlink_temps(path); /* what a renewal killed here left (the caller holds the lock) */
	if (pem && !cd_path_exists(path))
		rc = cd_write_file(path, pem, strlen(pem), 0644);
	free(path);
	free(pem);
	return rc;
}

/* Certificates whose AKI names the CA's serial (authorityCertSerialNumber: easy-rsa and
 * `openssl ca` with keyid,issuer) verify only with a CA certificate of that serial; a tool
 * that writes it there wrote it into the CA's own AKI too, which is what can be seen. */
int ca_names_serial(const ca *c)
{
	X509 *x = x509_of(c);
	AUTHORITY_KEYID *akid = x ? X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL) : NULL;
	int named = akid && akid->serial;

	AUTHORITY_KEYID_free(akid);
	return named;
}

int ca_renew(ca *c, const char *dir, int days)
{
	char *path = cd_asprintf("%s/ca.crt", dir), *pem = NULL;
	X509 *x = NULL;
	int64_t end = 0;
	int rc = -1;

	if (!c->key || !c->cert)
		cd_err("the CA key is not loaded");
	else if (days < 1 || days > 36500)
		cd_err("invalid CA lifetime %d days: expected 1 to 36500", days);
	else if ((x = build_ca_cert(X509_get_subject_name(c->cert),
				    X509_get0_subject_key_id(c->cert), ca_names_serial(c) ?
				    X509_get0_serialNumber(c->cert) : NULL, c->key, days)) &&
		 asn1_time_epoch(X509_get0_notAfter(x), &end) == 0 && end <= c->not_after)
		cd_err("the CA certificate is valid longer than %d days already: nothing renewed",
		       days);
	else if (x && end && (pem = x509_pem(x)) && keep_old_cert(c, dir) == 0 &&
		 cd_replace_file(path, pem, strlen(pem), 0644) == 0) {
		X509_free(c->cert);
		c->cert = x;
		c->not_after = end;
		asn1_time_epoch(X509_get0_notBefore(x), &c->not_before);
		free(c->pem);
		c->pem_len = strlen(pem);
		c->pem = cd_strdup(pem);
		x = NULL;
		rc = 0;
	}
	X509_free(x);
	free(pem);
	free(path);
	return rc;
}

/* ---- issue ---- */

static int check_opt(const char *what, const char *v)
{
	return v && *v ? cd_check_field(what, v) : 0;
}

static int check_request(const ca_request *r)
{
	const char *p;

	if (!r->user || !*r->user)
		return cd_err("a certificate needs a user name (its CN)");
	if (cd_check_field("user", r->user) < 0 || !r->email || cd_check_email(r->email) < 0)
		return r->email ? -1 : cd_err("a certificate needs an email address");
	for (p = r->email; *p; p++)
		if ((unsigned char)*p >= 0x80) /* subjectAltName email is an IA5String */
			return cd_err("email '%.80s' must be ASCII to go into a certificate",
				      r->email);
	if (check_opt("organisation", r->org) < 0 || check_opt("unit", r->ou) < 0 ||
	    check_opt("location", r->location) < 0)
		return -1;
	if (r->country && *r->country && cd_check_country(r->country) < 0)
		return -1;
	if (r->days < 1 || r->days > 3650)
		return cd_err("invalid certificate lifetime %d days: expected 1 to 3650", r->days);
	return 0;
}

static int add_subject(X509 *x, const ca_request *r)
{
	X509_NAME *nm = X509_get_subject_name(x);

	if (add_name(nm, NID_countryName, "country", r->country) < 0 ||
	    add_name(nm, NID_organizationName, "organisation", r->org) < 0 ||
	    add_name(nm, NID_organizationalUnitName, "unit", r->ou) < 0 ||
	    add_name(nm, NID_localityName, "location", r->location) < 0 ||
	    add_name(nm, NID_commonName, "user", r->user) < 0)
		return -1;
	return 0;
}

/* Built by hand rather than from "email:..." text, so no address is ever parsed as config. */
static int add_san_email(X509 *x, const char *email)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	int ok = gens && gn && ia5 && ASN1_STRING_set(ia5, email, -1);

	if (ok) {
		GENERAL_NAME_set0_value(gn, GEN_EMAIL, ia5);
		ia5 = NULL;
		ok = sk_GENERAL_NAME_push(gens, gn) > 0;
		if (ok)
			gn = NULL;
	}
	ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0) == 1;
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	return ok ? 0 : ssl_err("cannot add the email address");
}

static int add_client_exts(ca *c, X509 *x, const char *email)
{
	ASN1_OCTET_STRING *caid = ca_key_id(x509_of(c));
	X509V3_CTX ctx;
	int rc = -1;

	X509V3_set_ctx(&ctx, c->cert, x, NULL, NULL, 0);
	if (!caid)
		ssl_err("cannot compute the CA key identifier");
	else if (add_ext_conf(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
		 add_ext_conf(x, &ctx, NID_key_usage, "critical,digitalSignature") == 0 &&
		 add_ext_conf(x, &ctx, NID_ext_key_usage, "clientAuth") == 0 &&
		 add_san_email(x, email) == 0 && add_key_ids(x, caid) == 0)
		rc = 0;
	ASN1_OCTET_STRING_free(caid);
	return rc;
}

/* No certificate outlives its issuer: it would stop verifying when the CA ends, while
 * every listing showed the later date. */
static int cap_validity(ca *c, X509 *x, int *capped)
{
	const ASN1_TIME *end = X509_get0_notAfter(x509_of(c));

	*capped = ASN1_TIME_compare(X509_get0_notAfter(x), end) > 0;
	if (*capped && !X509_set1_notAfter(x, end))
		return ssl_err("cannot set validity");
	return 0;
}

static X509 *build_client(ca *c, const ca_request *r, EVP_PKEY *key, char serial[80],
			  int *capped)
{
	X509 *x = X509_new();

	if (!x || !X509_set_version(x, X509_VERSION_3) || !X509_set_pubkey(x, key) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(c->cert))) {
		ssl_err("cannot build the certificate");
		goto err;
	}
	if (random_serial(x, serial) < 0 || add_subject(x, r) < 0 ||
	    set_validity(x, cd_now(), r->days) < 0 || cap_validity(c, x, capped) < 0 ||
	    add_client_exts(c, x, r->email) < 0)
		goto err;
	if (!X509_sign(x, c->key, EVP_sha256())) {
		ssl_err("cannot sign the certificate");
		goto err;
	}
	return x;
err:
	X509_free(x);
	return NULL;
}

/* The MAC is set separately because OpenSSL 3 changed PKCS12_create's MAC digest to
 * SHA-256, which older Windows and macOS importers reject in the compat profile. */
static PKCS12 *make_p12(ca *c, X509 *x, EVP_PKEY *key, const char *name, const char *pw,
			ca_p12_profile prof)
{
	int compat = prof == CA_P12_COMPAT;
	int nid = compat ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc;
	STACK_OF(X509) *chain = sk_X509_new_null();
	PKCS12 *p12 = NULL;

	if (chain && sk_X509_push(chain, x509_of(c)) > 0)
		p12 = PKCS12_create(pw, name, key, x, chain, nid, nid, CA_P12_ITER, -1, 0);
	if (p12 && !PKCS12_set_mac(p12, pw, -1, NULL, 0, CA_P12_ITER,
				   compat ? EVP_sha1() : EVP_sha256())) {
		PKCS12_free(p12);
		p12 = NULL;
	}
	sk_X509_free(chain);
	if (!p12)
		ssl_err("cannot build the PKCS#12 bundle");
	return p12;
}

static int p12_der(PKCS12 *p12, unsigned char **out, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_PKCS12(p12, &der);

	if (n <= 0)
		return ssl_err("cannot encode the PKCS#12 bundle");
	*out = cd_malloc((size_t)n);
	memcpy(*out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

static int fill_issued(ca *c, X509 *x, EVP_PKEY *key, const ca_request *r,
		       ca_p12_profile prof, ca_issued *out)
{
	PKCS12 *p12;
	int rc = 0;

	if (!r->csr) {
		if (ca_password(out->password, sizeof out->password, 20) < 0 ||
		    !(p12 = make_p12(c, x, key, r->user, out->password, prof)))
			return -1;
		rc = p12_der(p12, &out->p12, &out->p12_len);
		PKCS12_free(p12);
	}
	if (rc < 0 || !(out->cert_pem = x509_pem(x)))
		return -1;
	out->subject = name_oneline(X509_get_subject_name(x));
	if (asn1_time_epoch(X509_get0_notBefore(x), &out->not_before) < 0 ||
	    asn1_time_epoch(X509_get0_notAfter(x), &out->not_after) < 0)
		return -1;
	return 0;
}

static EVP_PKEY *csr_key(const ca_csr *r);

int ca_issue(ca *c, const ca_request *req, ca_p12_profile prof, ca_issued *out)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!c->key)
		return cd_err("the CA was opened without its key; cannot issue");
	if (check_request(req) < 0)
		return -1;
	key = req->csr ? csr_key(req->csr) : gen_key(req->key);
	if (key && (x = build_client(c, req, key, out->serial, &out->capped)) &&
	    fill_issued(c, x, key, req, prof, out) == 0)
		rc = 0;
	if (rc < 0)
		ca_issued_free(out);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

void ca_issued_free(ca_issued *is)
{
	free(is->cert_pem);
	free(is->subject);
	free(is->p12);
	OPENSSL_cleanse(is->password, sizeof is->password);
	memset(is, 0, sizeof *is);
}

/* ---- certificate requests ---- */

struct ca_csr {
	X509_REQ *req;
	EVP_PKEY *key;
	const char *key_name;
};

static EVP_PKEY *csr_key(const ca_csr *r)
{
	EVP_PKEY_up_ref(r->key);
	return r->key;
}

/* The keys certdesk issues for itself, and the larger P-384 some users' tokens make. */
static int csr_key_check(ca_csr *r)
{
	char group[64];
	int nid;

	switch (EVP_PKEY_get_base_id(r->key)) {
	case EVP_PKEY_RSA:
		r->key_name = "rsa";
		if (EVP_PKEY_get_bits(r->key) < 2048)
			return cd_err("the request's RSA key has %d bits: at least 2048 are needed",
				      EVP_PKEY_get_bits(r->key));
		return 0;
	case EVP_PKEY_EC:
		r->key_name = "ec";
		if (!EVP_PKEY_get_group_name(r->key, group, sizeof group, NULL))
			return ssl_err("the request's EC key names no curve");
		nid = EC_curve_nist2nid(group);
		if (nid == NID_undef)
			nid = OBJ_sn2nid(group);
		if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1)
			return cd_err("the request's EC key is on curve %.40s: only P-256 and P-384 "
				      "are allowed", group);
		return 0;
	default:
		return cd_err("the request's key is neither EC nor RSA: only EC P-256, P-384 "
			      "and RSA of 2048 bits and up are allowed");
	}
}

static int csr_asks_ca(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	BASIC_CONSTRAINTS *bc = NULL;
	int i, asks = 0;

	for (i = 0; i < sk_X509_EXTENSION_num(exts) && !asks; i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);

		if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) != NID_basic_constraints)
			continue;
		/* Unreadable counts as asking: a CA flag must not slip through a bad encoding. */
		bc = X509V3_EXT_d2i(e);
		asks = !bc || bc->ca;
		BASIC_CONSTRAINTS_free(bc);
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return asks;
}

static int csr_check(ca_csr *r)
{
	if (!(r->key = X509_REQ_get_pubkey(r->req)))
		return ssl_err("the request's public key cannot be read");
	if (X509_REQ_verify(r->req, r->key) != 1)
		return ssl_err("the request's signature does not verify (it was not signed with "
			       "its own key)");
	ERR_clear_error();
	if (csr_key_check(r) < 0)
		return -1;
	if (csr_asks_ca(r->req))
		return cd_err("the request asks for a CA certificate (basicConstraints CA:TRUE): "
			      "certdesk issues client certificates only");
	return 0;
}

int ca_csr_read(const char *pem, size_t len, ca_csr **out)
{
	ca_csr *r;
	BIO *b;

	*out = NULL;
	if (len > CA_CSR_MAX)
		return cd_err("the request is %zu bytes: a certificate request is at most %d",
			      len, CA_CSR_MAX);
	r = cd_malloc(sizeof *r);
	memset(r, 0, sizeof *r);
	if ((b = mem_bio(pem, len)))
		r->req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!r->req) {
		ERR_clear_error();
		ca_csr_free(r);
		return cd_err("not a PEM certificate request (BEGIN CERTIFICATE REQUEST)");
	}
	if (csr_check(r) < 0) {
		ca_csr_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void ca_csr_free(ca_csr *r)
{
	if (!r)
		return;
	X509_REQ_free(r->req);
	EVP_PKEY_free(r->key);
	free(r);
}

const char *ca_csr_key_name(const ca_csr *r)
{
	return r->key_name;
}

/* Subject and extensions are the desk's, never the sender's: a request is only trusted
 * with its key. Telling what was dropped keeps a surprised user from asking twice. */
char *ca_csr_unused(const ca_csr *r, const char *subject)
{
	const X509_NAME *nm = X509_REQ_get_subject_name(r->req);
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(r->req);
	int n = sk_X509_EXTENSION_num(exts);
	char *asked = nm && X509_NAME_entry_count(nm) > 0 ? name_oneline(nm) : NULL;
	cd_buf b = {0};

	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (asked && strcmp(asked, subject) != 0) {
		cd_buf_puts(&b, "the request asked for subject ");
		cd_sanitize_into(&b, asked);
	}
	if (n > 0)
		cd_buf_printf(&b, "%s%d extension(s)", b.len ? " and " : "the request asked for ", n);
	free(asked);
	if (!b.len)
		return NULL;
	cd_buf_puts(&b, ": not used; the certificate has certdesk's subject ");
	cd_sanitize_into(&b, subject);
	cd_buf_puts(&b, " and extensions");
	return cd_buf_take(&b);
}

/* ---- CRLs ---- */

/*
 * A publish signs one CRL per revocation, each holding every earlier one: 1,000
 * revocations make 1,000 CRLs and half a million entries. So each entry is encoded once
 * per ca handle and kept (crl_cache, by serial), and a CRL is assembled from those bytes
 * in DER and signed directly; going through X509_CRL would rebuild and encode every
 * entry twice (once to sign, once to write) for every CRL.
 */
struct crl_entry {
	char *serial;            /* as the caller spelled it: the cache key */
	int64_t revoked_at;
	int reason;
	unsigned char *der;      /* the revokedCertificates element */
	size_t len;
	const unsigned char *sn; /* the serial's INTEGER contents, inside der */
	size_t snlen;
	unsigned long used;      /* the last signing (crl_cache.gen) that listed it */
};

struct crl_cache {
	struct crl_entry **slot; /* open addressing; cap is a power of two */
	size_t cap, n;
	unsigned long gen;       /* one per signing */
};

static void crl_entry_free(struct crl_entry *e)
{
	if (!e)
		return;
	free(e->serial);
	free(e->der);
	free(e);
}

static void crl_cache_free(struct crl_cache *cc)
{
	size_t i;

	if (!cc)
		return;
	for (i = 0; i < cc->cap; i++)
		crl_entry_free(cc->slot[i]);
	free(cc->slot);
	free(cc);
}

static size_t crl_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The slot holding serial, or the empty slot where it belongs. */
static struct crl_entry **crl_slot(struct crl_cache *cc, const char *serial)
{
	size_t i = crl_hash(serial) & (cc->cap - 1);

	while (cc->slot[i] && strcmp(cc->slot[i]->serial, serial) != 0)
		i = (i + 1) & (cc->cap - 1);
	return &cc->slot[i];
}

static void crl_cache_grow(struct crl_cache *cc)
{
	struct crl_entry **old = cc->slot;
	size_t i, n = cc->cap;

	cc->cap = n ? n * 2 : 1024;
	cc->slot = cd_malloc(cc->cap * sizeof *cc->slot);
	memset(cc->slot, 0, cc->cap * sizeof *cc->slot);
	for (i = 0; i < n; i++)
		if (old[i])
			*crl_slot(cc, old[i]->serial) = old[i];
	free(old);
}

/* Where INTEGER serialNumber's contents sit in an encoded entry (a SEQUENCE). */
static int der_serial(const unsigned char *der, size_t len, const unsigned char **sn,
		      size_t *snlen)
{
	const unsigned char *p = der;
	long n;
	int tag, cls;

	if ((ASN1_get_object(&p, &n, &tag, &cls, (long)len) & 0x80) || tag != V_ASN1_SEQUENCE ||
	    (ASN1_get_object(&p, &n, &tag, &cls, (long)(der + len - p)) & 0x80) ||
	    tag != V_ASN1_INTEGER)
		return ssl_err("cannot read back a CRL entry");
	*sn = p;
	*snlen = (size_t)n;
	return 0;
}

static int revoked_der(X509_REVOKED *rev, struct crl_entry *e)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REVOKED(rev, &der);

	if (n <= 0)
		return ssl_err("cannot encode a CRL entry");
	e->der = cd_malloc((size_t)n);
	memcpy(e->der, der, (size_t)n);
	e->len = (size_t)n;
	OPENSSL_free(der);
	return der_serial(e->der, e->len, &e->sn, &e->snlen);
}

static int crl_entry_encode(const ca_revoked *r, struct crl_entry *e)
{
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *sn = NULL;
	ASN1_ENUMERATED *why = NULL;
	ASN1_TIME *tm = NULL;
	BIGNUM *bn = NULL;
	int ok, rc = -1;

	if (!reason_lookup(r->reason))
		return cd_err("unknown revocation reason code %d for serial %.64s", r->reason,
			      r->serial);
	if (!(sn = serial_from_hex(r->serial, &bn))) {
		BN_free(bn);
		return -1;
	}
	/* RFC 5280: reasonCode unspecified SHOULD be absent. */
	ok = (rev = X509_REVOKED_new()) && (tm = ASN1_TIME_set(NULL, (time_t)r->revoked_at)) &&
	     X509_REVOKED_set_serialNumber(rev, sn) && X509_REVOKED_set_revocationDate(rev, tm) &&
	     (r->reason == CA_REASON_UNSPECIFIED ||
	      ((why = ASN1_ENUMERATED_new()) && ASN1_ENUMERATED_set(why, r->reason) &&
	       X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, why, 0, 0) == 1));
	if (!ok)
		ssl_err("cannot make a CRL entry");
	else
		rc = revoked_der(rev, e);
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(sn);
	ASN1_ENUMERATED_free(why);
	ASN1_TIME_free(tm);
	BN_free(bn);
	return rc;
}

static int crl_dup_error(const struct crl_entry *e)
{
	const unsigned char *p = e->der;
	ASN1_INTEGER *ai = NULL;
	long n;
	int tag, cls;
	char hex[80];

	ASN1_get_object(&p, &n, &tag, &cls, (long)e->len);
	ai = d2i_ASN1_INTEGER(NULL, &p, (long)(e->der + e->len - p));
	if (ai && serial_hex(ai, hex) == 0)
		cd_err("serial %s is listed twice in the CRL", hex);
	else if (!ai)
		ssl_err("cannot read back a CRL entry");
	ASN1_INTEGER_free(ai);
	return -1;
}

/* The cached entry for r, encoded now when new or when its date or reason changed. */
static const struct crl_entry *crl_entry_get(struct crl_cache *cc, const ca_revoked *r)
{
	struct crl_entry **slot, *e;

	if ((cc->n + 1) * 2 > cc->cap)
		crl_cache_grow(cc);
	slot = crl_slot(cc, r->serial);
	/* Listed already in this signing: replacing it would free what the list holds. */
	if (*slot && (*slot)->used == cc->gen) {
		crl_dup_error(*slot);
		return NULL;
	}
	if (*slot && (*slot)->revoked_at == r->revoked_at && (*slot)->reason == r->reason) {
		(*slot)->used = cc->gen;
		return *slot;
	}
	e = cd_malloc(sizeof *e);
	memset(e, 0, sizeof *e);
	if (crl_entry_encode(r, e) < 0) {
		crl_entry_free(e);
		return NULL;
	}
	e->serial = cd_strdup(r->serial);
	e->revoked_at = r->revoked_at;
	e->reason = r->reason;
	e->used = cc->gen;
	if (*slot)
		crl_entry_free(*slot);
	else
		cc->n++;
	*slot = e;
	return e;
}

/* X509_CRL_sort's order: by the serials' INTEGER contents, shorter first. */
static int crl_entry_cmp(const void *a, const void *b)
{
	const struct crl_entry *x = *(const struct crl_entry *const *)a;
	const struct crl_entry *y = *(const struct crl_entry *const *)b;

	if (x->snlen != y->snlen)
		return x->snlen < y->snlen ? -1 : 1;
	return memcmp(x->sn, y->sn, x->snlen);
}

/* The entries of list, sorted; a serial listed twice is an error. */
static const struct crl_entry **crl_entries(ca *c, const ca_revoked *list, size_t n)
{
	const struct crl_entry **v = cd_malloc((n ? n : 1) * sizeof *v);
	size_t i;

	if (!c->crl_cache) {
		c->crl_cache = cd_malloc(sizeof *c->crl_cache);
		memset(c->crl_cache, 0, sizeof *c->crl_cache);
	}
	c->crl_cache->gen++;
	for (i = 0; i < n; i++)
		if (!(v[i] = crl_entry_get(c->crl_cache, &list[i])))
			goto fail;
	qsort(v, n, sizeof *v, crl_entry_cmp);
	for (i = 1; i < n; i++)
		if (crl_entry_cmp(&v[i - 1], &v[i]) == 0) {
			crl_dup_error(v[i]);
			goto fail;
		}
	return v;
fail:
	free(v);
	return NULL;
}

/* ---- DER assembly: tag, length, contents ---- */

static size_t der_hdr_size(size_t len)
{
	size_t n = 2;

	if (len < 0x80)
		return n;
	for (; len; len >>= 8)
		n++;
	return n;
}

static void der_hdr(cd_buf *b, unsigned char tag, size_t len)
{
	unsigned char h[2 + sizeof len];
	size_t k = der_hdr_size(len), i;

	h[0] = tag;
	if (k == 2) {
		h[1] = (unsigned char)len;
	} else {
		h[1] = (unsigned char)(0x80 | (k - 2));
		for (i = k; i-- > 2; len >>= 8)
			h[i] = (unsigned char)(len & 0xff);
	}
	cd_buf_add(b, h, k);
}

/* Appends what an i2d function returned (n bytes at der, OpenSSL's), and frees it. */
static int der_take(cd_buf *b, unsigned char *der, int n)
{
	if (n > 0)
		cd_buf_add(b, der, (size_t)n);
	OPENSSL_free(der);
	return n > 0 ? 0 : ssl_err("cannot encode the CRL");
}

/* crlExtensions, [0] EXPLICIT: the CRL Number and the authority key identifier. */
static int crl_exts(ca *c, int64_t number, cd_buf *b)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	ASN1_OCTET_STRING *caid = ca_key_id(x509_of(c));
	AUTHORITY_KEYID *akid = caid ? aki_new(caid) : NULL;
	unsigned char *der = NULL;
	int n = -1;

	if (num && akid && ASN1_INTEGER_set_int64(num, number) &&
	    X509V3_add1_i2d(&exts, NID_crl_number, num, 0, 0) == 1 &&
	    X509V3_add1_i2d(&exts, NID_authority_key_identifier, akid, 0, 0) == 1)
		n = i2d_X509_EXTENSIONS(exts, &der);
	if (n > 0)
		der_hdr(b, 0xa0, (size_t)n);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ASN1_INTEGER_free(num);
	ASN1_OCTET_STRING_free(caid);
	AUTHORITY_KEYID_free(akid);
	return der_take(b, der, n);
}

/* thisUpdate now, nextUpdate days later, as X509_CRL_set1_lastUpdate would have them. */
static int crl_times(int days, cd_buf *b)
{
	int64_t now = cd_now();
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)now);
	ASN1_TIME *u = ASN1_TIME_adj(NULL, (time_t)now, days, 0);
	unsigned char *der = NULL;
	int n, rc;

	if (!t || !u) {
		rc = ssl_err("cannot set the CRL dates");
	} else {
		n = i2d_ASN1_TIME(t, &der);
		if ((rc = der_take(b, der, n)) == 0) {
			der = NULL;
			n = i2d_ASN1_TIME(u, &der);
			rc = der_take(b, der, n);
		}
	}
	ASN1_TIME_free(t);
	ASN1_TIME_free(u);
	return rc;
}

/* SHA-256 with the key's algorithm, DER-encoded: RSA with NULL parameters, ECDSA
 * without (RFC 5754). */
static int legacy_sig_alg(EVP_PKEY *key, unsigned char *alg, size_t size, size_t *alglen)
{
	int nid = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? NID_ecdsa_with_SHA256 :
		  EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? NID_sha256WithRSAEncryption : 0;
	X509_ALGOR *a = nid ? X509_ALGOR_new() : NULL;
	unsigned char *der = NULL;
	int n = -1;

	if (a && X509_ALGOR_set0(a, OBJ_nid2obj(nid), nid == NID_ecdsa_with_SHA256 ?
				 V_ASN1_UNDEF : V_ASN1_NULL, NULL))
		n = i2d_X509_ALGOR(a, &der);
	X509_ALGOR_free(a);
	if (n <= 0 || (size_t)n > size) {
		OPENSSL_free(der);
		return ssl_err("cannot name the CRL's signature algorithm");
	}
	memcpy(alg, der, (size_t)n);
	*alglen = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

/* The signing context, and the AlgorithmIdentifier its signatures go with. */
static EVP_MD_CTX *crl_sign_init(ca *c, unsigned char *alg, size_t size, size_t *alglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, alg,
						      size);
	params[1] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, c->key) != 1) {
		EVP_MD_CTX_free(ctx);
		ssl_err("cannot prepare to sign the CRL");
		return NULL;
	}
	/* A key of an engine (a token) has no provider to say its AlgorithmIdentifier. */
	if (EVP_PKEY_CTX_get_params(pctx, params) && OSSL_PARAM_modified(&params[0]))
		*alglen = params[0].return_size;
	else if (legacy_sig_alg(c->key, alg, size, alglen) < 0) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	ERR_clear_error();
	return ctx;
}

/* TBSCertList (RFC 5280 5.1): everything the signature covers. */
static int crl_tbs(ca *c, const unsigned char *alg, size_t alglen,
		   const struct crl_entry **v, size_t n, int64_t number, int days, cd_buf *tbs)
{
	static const unsigned char v2[] = {V_ASN1_INTEGER, 1, X509_CRL_VERSION_2};
	cd_buf body = {0};
	unsigned char *der = NULL;
	size_t i, total = 0;
	int rc, k;

	cd_buf_add(&body, v2, sizeof v2);
	cd_buf_add(&body, alg, alglen);
	k = i2d_X509_NAME(X509_get_subject_name(x509_of(c)), &der);
	rc = der_take(&body, der, k);
	if (rc == 0)
		rc = crl_times(days, &body);
	/* RFC 5280: with no revoked certificates the list MUST be absent. */
	for (i = 0; i < n; i++)
		total += v[i]->len;
	if (rc == 0 && n)
		der_hdr(&body, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, total);
	for (i = 0; rc == 0 && i < n; i++)
		cd_buf_add(&body, v[i]->der, v[i]->len);
	if (rc == 0)
		rc = crl_exts(c, number, &body);
	if (rc == 0) {
		der_hdr(tbs, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, body.len);
		cd_buf_add(tbs, body.s, body.len);
	}
	cd_buf_free(&body);
	return rc;
}

/* CertificateList: tbs, the algorithm, the signature as a BIT STRING; then PEM. */
static char *crl_finish(const cd_buf *tbs, const unsigned char *alg, size_t alglen,
			const unsigned char *sig, size_t siglen)
{
	size_t bits = der_hdr_size(siglen + 1) + siglen + 1;
	cd_buf der = {0};
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;

	der_hdr(&der, V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED, tbs->len + alglen + bits);
	cd_buf_add(&der, tbs->s, tbs->len);
	cd_buf_add(&der, alg, alglen);
	der_hdr(&der, V_ASN1_BIT_STRING, siglen + 1);
	cd_buf_putc(&der, 0); /* no unused bits */
	cd_buf_add(&der, sig, siglen);
	if (b && der.len <= INT_MAX &&
	    PEM_write_bio(b, PEM_STRING_X509_CRL, "", (unsigned char *)der.s, (long)der.len) > 0)
		pem = bio_take(b);
	else
		ssl_err("cannot encode the CRL");
	BIO_free(b);
	cd_buf_free(&der);
	return pem;
}

static char *crl_sign(ca *c, const struct crl_entry **v, size_t n, int64_t number, int days)
{
	unsigned char alg[128], *sig = NULL;
	size_t alglen = 0, siglen = 0;
	cd_buf tbs = {0};
	EVP_MD_CTX *ctx = crl_sign_init(c, alg, sizeof alg, &alglen);
	char *pem = NULL;

	if (!ctx || crl_tbs(c, alg, alglen, v, n, number, days, &tbs) < 0)
		goto out;
	if (EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)tbs.s, tbs.len) != 1) {
		ssl_err("cannot sign the CRL");
		goto out;
	}
	sig = cd_malloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)tbs.s, tbs.len) != 1)
		ssl_err("cannot sign the CRL");
	else
		pem = crl_finish(&tbs, alg, alglen, sig, siglen);
out:
	free(sig);
	cd_buf_free(&tbs);
	EVP_MD_CTX_free(ctx);
	return pem;
}

static int sign_crl_one(ca *c, const ca_revoked *list, size_t n, int64_t number, int days,
			char **pem)
{
	const struct crl_entry **v;

	*pem = NULL;
	if (!c->key)
		return cd_err("the CA was opened without its key; cannot sign a CRL");
	if (days < 1 || days > 3650 || number < 0)
		return cd_err("invalid CRL parameters: %d days, number %lld", days,
			      (long long)number);
	if (!(v = crl_entries(c, list, n)))
		return -1;
	*pem = crl_sign(c, v, n, number, days);
	free(v);
	return *pem ? 0 : -1;
}

/* The CA that lists entry r: its issuer, or the issuing CA when none is recorded or
 * this home does not know it (a revocation never drops out); NULL when its issuer is
 * retired (every certificate it signed has ended). */
static ca *entry_signer(ca *c, const ca_revoked *r)
{
	ca *o;

	if (!r->issuer || !*r->issuer)
		return c;
	for (o = c; o; o = o->older)
		if (strcmp(o->kid, r->issuer) == 0)
			return o->retired ? NULL : o;
	return c;
}

int ca_issuer_signs(const ca *c, const char *issuer)
{
	return entry_signer((ca *)c, &(ca_revoked){"", 0, 0, issuer}) != NULL;
}

static int signs_crls(const ca *o)
{
	return !o->retired;
}

/* One CRL per CA still signing (nginx, Apache and OpenVPN read several from one file),
 * the issuing CA's first, all with the same number and dates. */
int ca_sign_crl(ca *c, const ca_revoked *list, size_t n, int64_t number, int days, char **pem)
{
	ca_revoked *sub;
	cd_buf b = {0};
	ca *o;
	int rc = 0;

	if (!c->older)
		return sign_crl_one(c, list, n, number, days, pem);
	*pem = NULL;
	sub = cd_malloc((n ? n : 1) * sizeof *sub);
	for (o = c; o && rc == 0; o = o->older) {
		size_t i, k = 0;
		char *one = NULL;

		if (!signs_crls(o))
			continue;
		for (i = 0; i < n; i++)
			if (entry_signer(c, &list[i]) == o)
				sub[k++] = list[i];
		if ((rc = sign_crl_one(o, sub, k, number, days, &one)) == 0)
			cd_buf_printf(&b, "%s", one);
		free(one);
	}
	free(sub);
	if (rc < 0)
		cd_buf_free(&b);
	else
		*pem = b.s;
	return rc;
}

static int crl_number(X509_CRL *crl, int64_t *out)
{
	int crit = 0;
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	int rc = 0;

	*out = 0;
	if (num && !ASN1_INTEGER_get_int64(out, num))
		rc = ssl_err("CRL number out of range");
	else if (!num && crit != -1)
		rc = ssl_err("invalid CRL number");
	ASN1_INTEGER_free(num);
	return rc;
}

static X509_CRL *pem_to_crl(const char *pem, size_t len)
{
	BIO *b = mem_bio(pem, len);
	X509_CRL *crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (!crl)
		ssl_err("cannot parse PEM CRL");
	return crl;
}

static int crl_info(X509_CRL *crl, ca_crl_info *info)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
	int k;

	memset(info, 0, sizeof *info);
	if (asn1_time_epoch(X509_CRL_get0_lastUpdate(crl), &info->this_update) < 0 ||
	    (next && asn1_time_epoch(next, &info->next_update) < 0) ||
	    crl_number(crl, &info->number) < 0)
		return -1;
	k = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
	info->entries = k > 0 ? (size_t)k : 0;
	return 0;
}

int ca_crl_parse(const char *pem, size_t len, ca_crl_info *info)
{
	X509_CRL *crl = pem_to_crl(pem, len);
	int rc = crl ? crl_info(crl, info) : -1;

	if (!crl)
		memset(info, 0, sizeof *info);
	X509_CRL_free(crl);
	return rc;
}

/* Issued by this CA's name and signed with its key. */
static int crl_ours(const ca *c, X509_CRL *crl)
{
	X509 *x = x509_of(c);
	int ok = x && X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(x)) == 0 &&
		 X509_CRL_verify(crl, X509_get0_pubkey(x)) == 1;

	ERR_clear_error();
	return ok;
}

/* One entry as ca_sign_crl takes it: no reasonCode is "unspecified" (RFC 5280 5.3.1). */
static int crl_entry_read(X509_REVOKED *rev, ca_revoked *out)
{
	ASN1_ENUMERATED *why;
	char hex[80];
	int crit = 0, rc;

	if (serial_hex(X509_REVOKED_get0_serialNumber(rev), hex) < 0 ||
	    asn1_time_epoch(X509_REVOKED_get0_revocationDate(rev), &out->revoked_at) < 0)
		return -1;
	why = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL);
	rc = !why && crit != -1 ? ssl_err("invalid reason code in a CRL entry") : 0;
	out->reason = why ? (int)ASN1_ENUMERATED_get(why) : CA_REASON_UNSPECIFIED;
	out->serial = cd_strdup(hex);
	ASN1_ENUMERATED_free(why);
	return rc;
}

static int crl_entries_read(X509_CRL *crl, ca_crl_contents *out)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	int i, k = sk_X509_REVOKED_num(revs);

	out->v = cd_realloc(out->v, (out->n + (k > 0 ? (size_t)k : 0) + 1) * sizeof *out->v);
	for (i = 0; i < k; i++) {
		out->v[out->n].issuer = NULL;
		if (crl_entry_read(sk_X509_REVOKED_value(revs, i), &out->v[out->n]) < 0)
			return -1;
		out->n++;
	}
	return 0;
}

/* The CA of c's list that signed crl, NULL when none did. */
static const ca *crl_signer(const ca *c, X509_CRL *crl)
{
	for (; c; c = c->older)
		if (crl_ours(c, crl))
			return c;
	return NULL;
}

/* Every CRL of a file, in order: *crls NULL-terminated. 0 found is an error. */
static int pem_to_crls(const char *pem, size_t len, X509_CRL ***crls, size_t *n)
{
	BIO *b = mem_bio(pem, len);
	X509_CRL *crl;
	size_t cap = 4;

	*n = 0;
	*crls = cd_malloc(cap * sizeof **crls);
	while (b && (crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL))) {
		if (*n + 2 > cap)
			*crls = cd_realloc(*crls, (cap *= 2) * sizeof **crls);
		(*crls)[(*n)++] = crl;
	}
	(*crls)[*n] = NULL;
	BIO_free(b);
	ERR_clear_error();
	return *n ? 0 : cd_err("cannot parse PEM CRL");
}

static void crls_free(X509_CRL **crls, size_t n)
{
	while (n)
		X509_CRL_free(crls[--n]);
	free(crls);
}

/* One CRL of a file read into out: its entries appended, tagged with its signer. */
static int crl_read_one(const ca *c, X509_CRL *crl, ca_crl_contents *out)
{
	const ca *by = crl_signer(c, crl);
	size_t first = out->n;
	ca_crl_info info;

	if (crl_info(crl, &info) < 0 || crl_entries_read(crl, out) < 0)
		return -1;
	/* The issuing CA's CRL says the number and dates; else the first one read. */
	if (out->blocks == 0 || by == c)
		out->info = info;
	out->info.entries = out->n;
	for (; first < out->n; first++)
		out->v[first].issuer = by ? by->kid : NULL;
	out->blocks++;
	out->foreign += !by;
	out->retired += by && by->retired;
	return 0;
}

int ca_crl_read(const ca *c, const char *pem, size_t len, ca_crl_contents *out)
{
	X509_CRL **crls;
	size_t i, n;
	int rc = pem_to_crls(pem, len, &crls, &n);

	memset(out, 0, sizeof *out);
	for (i = 0; i < n && rc == 0; i++)
		rc = crl_read_one(c, crls[i], out);
	crls_free(crls, n);
	out->ours = rc == 0 && out->foreign == 0;
	if (rc < 0)
		ca_crl_contents_free(out);
	return rc;
}

void ca_crl_contents_free(ca_crl_contents *cc)
{
	size_t i;

	for (i = 0; i < cc->n; i++)
		free((char *)cc->v[i].serial);
	free(cc->v);
	memset(cc, 0, sizeof *cc);
}

/* ---- certificates ---- */

static char *cert_email(X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char *s = NULL;
	int i;

	for (i = 0; i < sk_GENERAL_NAME_num(gens) && !s; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
		if (gn->type == GEN_EMAIL)
			s = cd_strndup((const char *)ASN1_STRING_get0_data(gn->d.rfc822Name),
				       (size_t)ASN1_STRING_length(gn->d.rfc822Name));
	}
	GENERAL_NAMES_free(gens);
	return s ? s : name_field(X509_get_subject_name(x), NID_pkcs9_emailAddress);
}

int ca_cert_parse(const char *pem, size_t len, ca_cert_info *info)
{
	X509 *x = pem_to_x509(pem, len);
	const X509_NAME *nm;
	int rc = -1;

	memset(info, 0, sizeof *info);
	if (!x)
		return -1;
	nm = X509_get_subject_name(x);
	info->cn = name_field(nm, NID_commonName);
	info->email = cert_email(x);
	info->org = name_field(nm, NID_organizationName);
	info->ou = name_field(nm, NID_organizationalUnitName);
	info->location = name_field(nm, NID_localityName);
	info->country = name_field(nm, NID_countryName);
	info->subject = name_oneline(nm);
	if (serial_hex(X509_get0_serialNumber(x), info->serial) == 0 &&
	    asn1_time_epoch(X509_get0_notBefore(x), &info->not_before) == 0 &&
	    asn1_time_epoch(X509_get0_notAfter(x), &info->not_after) == 0)
		rc = 0;
	X509_free(x);
	if (rc < 0)
		ca_cert_info_free(info);
	return rc;
}

void ca_cert_info_free(ca_cert_info *info)
{
	free(info->cn);
	free(info->email);
	free(info->org);
	free(info->ou);
	free(info->location);
	free(info->country);
	free(info->subject);
	memset(info, 0, sizeof *info);
}

int ca_crl_signed_by(const ca *c, const char *pem, size_t len)
{
	X509_CRL **crls;
	size_t i, n;
	int ok;

	if (pem_to_crls(pem, len, &crls, &n) < 0) {
		crls_free(crls, n);
		return -1;
	}
	for (ok = 1, i = 0; i < n; i++)
		ok &= crl_signer(c, crls[i]) != NULL;
	crls_free(crls, n);
	return ok;
}

static int cert_by(const ca *c, X509 *x)
{
	X509 *by = x509_of(c);
	int ok = by && X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(by)) == 0 &&
		 X509_verify(x, X509_get0_pubkey(by)) == 1;

	ERR_clear_error();
	return ok;
}

const ca *ca_issuer_of(const ca *c, const char *pem, size_t len)
{
	X509 *x = pem_to_x509(pem, len);

	while (x && c && !cert_by(c, x))
		c = c->older;
	X509_free(x);
	return x ? c : NULL;
}

int ca_cert_signed_by(const ca *c, const char *pem, size_t len)
{
	X509 *x = pem_to_x509(pem, len);
	int ok = x ? cert_by(c, x) : -1;

	X509_free(x);
	return ok;
}

/* ---- one certificate of many, read once (verify) ----
 * A full d2i_X509 turns the subject's public key into an EVP_PKEY, which OpenSSL 3.0
 * makes cost as much as the rest of the parse and the signature check together; verify
 * needs only the serial, the dates, the subject and the signature. So the DER is walked
 * with ASN1_get_object, each field is decoded on its own, and the signature is checked
 * over the TBS bytes as they are. */

typedef struct {
	const unsigned char *tlv, *content;
	long tlv_len, len;
	int tag, cls, constructed;
} der_item;

/* The next TLV of [*p, *p + *left): DER only (no indefinite length), inside the bounds. */
static int der_next(const unsigned char **p, long *left, der_item *it)
{
	const unsigned char *start = *p;
	long len;
	int r;

	if (*left <= 0)
		return -1;
	r = ASN1_get_object(p, &len, &it->tag, &it->cls, *left);
	if ((r & 0x80) || (r & 0x01) || len < 0 || len > *left - (long)(*p - start)) {
		ERR_clear_error();
		return -1;
	}
	it->constructed = r & V_ASN1_CONSTRUCTED;
	it->tlv = start;
	it->content = *p;
	it->len = len;
	it->tlv_len = (long)(*p - start) + len;
	*p += len;
	*left -= it->tlv_len;
	return 0;
}

static int der_want(const unsigned char **p, long *left, der_item *it, int tag)
{
	return der_next(p, left, it) == 0 && it->cls == V_ASN1_UNIVERSAL && it->tag == tag ? 0 : -1;
}

typedef struct {
	der_item tbs, sigalg, sig, inner_alg, serial, issuer, from, to, subject;
	const unsigned char *rest; /* the TBS after the subject: its key, the extensions */
	long rest_len;
} cert_der;

static int cert_walk(const unsigned char *der, long len, cert_der *d)
{
	const unsigned char *p = der, *q;
	long left = len, in;
	der_item top, v;

	if (der_want(&p, &left, &top, V_ASN1_SEQUENCE) < 0 || left != 0)
		return -1;
	p = top.content;
	left = top.len;
	if (der_want(&p, &left, &d->tbs, V_ASN1_SEQUENCE) < 0 ||
	    der_want(&p, &left, &d->sigalg, V_ASN1_SEQUENCE) < 0 ||
	    der_want(&p, &left, &d->sig, V_ASN1_BIT_STRING) < 0 || left != 0)
		return -1;
	q = d->tbs.content;
	in = d->tbs.len;
	if (der_next(&q, &in, &d->serial) < 0)
		return -1;
	if (d->serial.cls == V_ASN1_CONTEXT_SPECIFIC && d->serial.tag == 0 &&
	    der_next(&q, &in, &d->serial) < 0) /* [0] version, then the serial */
		return -1;
	if (d->serial.cls != V_ASN1_UNIVERSAL || d->serial.tag != V_ASN1_INTEGER ||
	    der_want(&q, &in, &d->inner_alg, V_ASN1_SEQUENCE) < 0 ||
	    der_want(&q, &in, &d->issuer, V_ASN1_SEQUENCE) < 0 ||
	    der_want(&q, &in, &v, V_ASN1_SEQUENCE) < 0 ||
	    der_want(&q, &in, &d->subject, V_ASN1_SEQUENCE) < 0)
		return -1;
	d->rest = q;
	d->rest_len = in;
	q = v.content;
	in = v.len;
	if (der_next(&q, &in, &d->from) < 0 || der_next(&q, &in, &d->to) < 0 || in != 0)
		return -1;
	/* RFC 5280 4.1.1.2: the signature algorithm inside and outside the TBS agree. */
	return d->inner_alg.tlv_len == d->sigalg.tlv_len &&
	       memcmp(d->inner_alg.tlv, d->sigalg.tlv, (size_t)d->sigalg.tlv_len) == 0 ? 0 : -1;
}

/* (Errors are cleared only when there are some: the first use of the error queue costs
 * OpenSSL's initialisation, which start-up spares when nothing fails; see load_cert.) */
static int item_time(const der_item *it, int64_t *out)
{
	const unsigned char *p = it->tlv;
	ASN1_TIME *t = d2i_ASN1_TIME(NULL, &p, it->tlv_len);
	int rc = t ? asn1_time_epoch(t, out) : -1;

	ASN1_TIME_free(t);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

static int item_serial(const der_item *it, char out[80])
{
	const unsigned char *p = it->tlv;
	ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &p, it->tlv_len);
	int rc = ai ? serial_hex(ai, out) : -1;

	ASN1_INTEGER_free(ai);
	ERR_clear_error();
	return rc;
}

static char *item_name(const der_item *it)
{
	const unsigned char *p = it->tlv;
	X509_NAME *nm = d2i_X509_NAME(NULL, &p, it->tlv_len);
	char *s = nm ? name_oneline(nm) : NULL;

	X509_NAME_free(nm);
	ERR_clear_error();
	return s;
}

/* The CA of the handle whose subject the issuer field names: the same bytes, else
 * (another encoding of the same name, an import) the same name compared as OpenSSL does. */
static const ca *issuer_named(const ca *c, const der_item *issuer)
{
	const unsigned char *p = issuer->tlv;
	X509_NAME *nm;
	const ca *o;

	for (o = c; o; o = o->older)
		if (o->subj_len == issuer->tlv_len &&
		    memcmp(o->subj_der, issuer->tlv, (size_t)issuer->tlv_len) == 0)
			return o;
	if (!(nm = d2i_X509_NAME(NULL, &p, issuer->tlv_len))) {
		ERR_clear_error();
		return NULL;
	}
	for (o = c; o && (!x509_of(o) || X509_NAME_cmp(nm, X509_get_subject_name(x509_of(o))) != 0);
	     o = o->older)
		;
	X509_NAME_free(nm);
	return o;
}

/* The signature over the TBS bytes with the CA's key, the digest from the algorithm. */
static int der_signed(const ca *by, const cert_der *d, EVP_MD_CTX *ctx)
{
	const unsigned char *p = d->sigalg.tlv;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, d->sigalg.tlv_len);
	int md_nid = NID_undef, pk_nid = NID_undef, ok = 0;
	const EVP_MD *md;

	if (alg && OBJ_find_sigid_algs(OBJ_obj2nid(alg->algorithm), &md_nid, &pk_nid) &&
	    (md = EVP_get_digestbynid(md_nid)) && d->sig.len >= 1 && d->sig.content[0] == 0 &&
	    EVP_DigestVerifyInit(ctx, NULL, md, NULL, X509_get0_pubkey(x509_of(by))) == 1)
		ok = EVP_DigestVerify(ctx, d->sig.content + 1, (size_t)d->sig.len - 1,
				      d->tbs.tlv, (size_t)d->tbs.tlv_len) == 1;
	X509_ALGOR_free(alg);
	ERR_clear_error();
	return ok;
}

static unsigned char *pem_body(const char *pem, size_t len, long *der_len)
{
	BIO *b = mem_bio(pem, len);
	unsigned char *der = NULL;
	char *name = NULL, *header = NULL;

	*der_len = 0;
	if (!b || !PEM_read_bio(b, &name, &header, &der, der_len) ||
	    strcmp(name, PEM_STRING_X509) != 0) {
		OPENSSL_free(der);
		der = NULL;
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(b);
	ERR_clear_error();
	return der;
}

/* What a CA certificate's extensions say of it, as far as start-up needs to know. */
struct ca_exts {
	const unsigned char *ski; /* the subjectKeyIdentifier's bytes */
	long ski_len;
	int is_ca, ku_ok;         /* basicConstraints cA; no keyUsage, or keyCertSign in it */
};

static const unsigned char oid_ski[] = {0x55, 0x1d, 0x0e}, oid_ku[] = {0x55, 0x1d, 0x0f},
			   oid_bc[] = {0x55, 0x1d, 0x13};

static int oid_is(const der_item *oid, const unsigned char *want, size_t n)
{
	return oid->len == (long)n && memcmp(oid->content, want, n) == 0;
}

/* One extension's value (the OCTET STRING's content). */
static int ext_judge(struct ca_exts *e, const der_item *oid, const der_item *val)
{
	const unsigned char *p = val->content;
	long left = val->len;
	der_item in, first;

	if (oid_is(oid, oid_ski, sizeof oid_ski)) {
		if (der_want(&p, &left, &in, V_ASN1_OCTET_STRING) < 0 || left != 0)
			return -1;
		e->ski = in.content;
		e->ski_len = in.len;
	} else if (oid_is(oid, oid_bc, sizeof oid_bc)) {
		if (der_want(&p, &left, &in, V_ASN1_SEQUENCE) < 0 || left != 0)
			return -1;
		p = in.content;
		left = in.len;
		e->is_ca = left > 0 && der_next(&p, &left, &first) == 0 &&
			   first.cls == V_ASN1_UNIVERSAL && first.tag == V_ASN1_BOOLEAN &&
			   first.len == 1 && first.content[0] == 0xff;
	} else if (oid_is(oid, oid_ku, sizeof oid_ku)) {
		if (der_want(&p, &left, &in, V_ASN1_BIT_STRING) < 0 || left != 0)
			return -1;
		e->ku_ok = in.len >= 2 && (in.content[1] & 0x04); /* bit 5, keyCertSign */
	}
	return 0;
}

/* The extensions after the subject's key: -1 when there are none or they do not read. */
static int exts_walk(const cert_der *d, struct ca_exts *e)
{
	const unsigned char *p = d->rest, *x;
	long left = d->rest_len, xl;
	der_item it, ext, oid, val;

	e->ku_ok = 1;
	if (der_want(&p, &left, &it, V_ASN1_SEQUENCE) < 0) /* subjectPublicKeyInfo */
		return -1;
	do /* [1] and [2], the unique identifiers, may come before [3] */
		if (der_next(&p, &left, &it) < 0 || it.cls != V_ASN1_CONTEXT_SPECIFIC)
			return -1;
	while (it.tag != 3);
	p = it.content;
	left = it.len;
	if (der_want(&p, &left, &it, V_ASN1_SEQUENCE) < 0 || left != 0)
		return -1;
	p = it.content;
	left = it.len;
	while (left > 0) {
		if (der_want(&p, &left, &ext, V_ASN1_SEQUENCE) < 0)
			return -1;
		x = ext.content;
		xl = ext.len;
		if (der_want(&x, &xl, &oid, V_ASN1_OBJECT) < 0 || der_next(&x, &xl, &val) < 0 ||
		    (val.cls == V_ASN1_UNIVERSAL && val.tag == V_ASN1_BOOLEAN &&
		     der_next(&x, &xl, &val) < 0) ||
		    val.cls != V_ASN1_UNIVERSAL || val.tag != V_ASN1_OCTET_STRING || xl != 0 ||
		    ext_judge(e, &oid, &val) < 0)
			return -1;
	}
	return 0;
}

/* See load_cert: 0 when the DER alone tells the name, key id, dates and that it is a
 * CA (basicConstraints cA, and keyCertSign if it has a keyUsage); 1 when only the full
 * parse can tell (no key identifier in it, a version 1 certificate...); -1 when it is
 * not a certificate. */
/* The DER of a file holding one PEM certificate and nothing else, decoded without a
 * BIO (whose first use starts OpenSSL's library context): NULL for anything else, which
 * the full parse then reads. */
static unsigned char *pem_one_cert(const char *pem, size_t len, long *der_len)
{
	static const char head[] = "-----BEGIN CERTIFICATE-----", tail[] = "-----END CERTIFICATE-----";
	const char *p = pem + strspn(pem, " \t\r\n"), *end;
	unsigned char *b64, *der;
	size_t n = 0, pad = 0;
	int got;

	if (strlen(pem) != len || strncmp(p, head, sizeof head - 1) != 0 ||
	    !(end = strstr(p, tail)) || end[sizeof tail - 1 + strspn(end + sizeof tail - 1, "\r\n")])
		return NULL;
	b64 = cd_malloc((size_t)(end - p) + 1);
	for (p += sizeof head - 1; p < end; p++)
		if (isalnum((unsigned char)*p) || *p == '+' || *p == '/' || *p == '=')
			b64[n++] = (unsigned char)*p;
		else if (!strchr(" \t\r\n", *p))
			break;
	while (pad < n && pad < 2 && b64[n - 1 - pad] == '=')
		pad++;
	der = p == end && n % 4 == 0 && n > 0 ? cd_malloc(n / 4 * 3) : NULL;
	got = der ? EVP_DecodeBlock(der, b64, (int)n) : -1;
	free(b64);
	if (got < (int)pad) {
		free(der);
		return NULL;
	}
	*der_len = got - (long)pad;
	return der;
}

/* The subject's last commonName (as name_field takes it) when it is a string type that
 * is UTF-8 as it stands; NULL otherwise (a BMPString...: the full parse converts it).
 * Walked by hand: decoding a name looks its OIDs up, and that starts OpenSSL's
 * configuration, the larger part of what this spares. */
static char *peek_cn(const der_item *subject)
{
	static const unsigned char oid_cn[] = {0x55, 0x04, 0x03};
	const unsigned char *p = subject->content, *q, *r;
	long left = subject->len, in, rl;
	der_item set, atv, oid, val, last = {0};

	while (left > 0) {
		if (der_want(&p, &left, &set, V_ASN1_SET) < 0)
			return NULL;
		for (q = set.content, in = set.len; in > 0;) {
			if (der_want(&q, &in, &atv, V_ASN1_SEQUENCE) < 0)
				return NULL;
			r = atv.content;
			rl = atv.len;
			if (der_want(&r, &rl, &oid, V_ASN1_OBJECT) < 0 || der_next(&r, &rl, &val) < 0 ||
			    rl != 0)
				return NULL;
			if (oid_is(&oid, oid_cn, sizeof oid_cn))
				last = val;
		}
	}
	if (!last.content)
		return cd_strdup("");
	if (last.cls != V_ASN1_UNIVERSAL || (last.tag != V_ASN1_UTF8STRING &&
	    last.tag != V_ASN1_PRINTABLESTRING && last.tag != V_ASN1_IA5STRING) ||
	    memchr(last.content, 0, (size_t)last.len))
		return NULL;
	return cd_strndup((const char *)last.content, (size_t)last.len);
}

static int peek_ca(ca *c)
{
	long der_len;
	unsigned char *der = pem_one_cert(c->pem, c->pem_len, &der_len);
	struct ca_exts e = {0};
	cert_der d;
	int i, rc = 1;

	if (!der)
		return 1;
	if (cert_walk(der, der_len, &d) < 0)
		rc = -1;
	else if (exts_walk(&d, &e) == 0 && e.is_ca && e.ku_ok && e.ski_len > 0 &&
		 item_time(&d.from, &c->not_before) == 0 && item_time(&d.to, &c->not_after) == 0 &&
		 (c->name = peek_cn(&d.subject))) {
		c->subj_len = (int)d.subject.tlv_len;
		c->subj_der = OPENSSL_memdup(d.subject.tlv, (size_t)d.subject.tlv_len);
		for (i = 0; i < e.ski_len && i < 20; i++)
			snprintf(c->kid + 2 * i, 3, "%02X", e.ski[i]);
		rc = c->subj_der ? 0 : -1;
	}
	free(der);
	return rc;
}

int ca_cert_facts_read(const ca *c, const char *pem, size_t len, ca_cert_facts *out)
{
	long der_len;
	unsigned char *der = pem_body(pem, len, &der_len);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	cert_der d;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!der || !ctx || cert_walk(der, der_len, &d) < 0)
		cd_err("not a DER certificate in PEM");
	else if (item_serial(&d.serial, out->serial) < 0 || item_time(&d.from, &out->not_before) < 0 ||
		 item_time(&d.to, &out->not_after) < 0 || !(out->subject = item_name(&d.subject)))
		cd_err("unreadable serial, validity or subject");
	else {
		out->named = issuer_named(c, &d.issuer);
		out->signed_ok = out->named && der_signed(out->named, &d, ctx);
		rc = 0;
	}
	if (rc < 0)
		ca_cert_facts_free(out);
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return rc;
}

void ca_cert_facts_free(ca_cert_facts *f)
{
	free(f->subject);
	f->subject = NULL;
}
