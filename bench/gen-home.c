/* gen-home.c: fills an initialised certdesk home with N users holding real certificates
 * signed by its CA, expiring evenly over the next SPREAD days (365 by default).
 *
 *   gen-home-bin HOME N [SPREAD]
 *
 * Built and run by bench/gen-home (after `certdesk init`).  It signs with libcrypto as
 * the CA would, but skips what only costs time and is not read back by list or
 * expirecheck: one client key is shared by every certificate and no PKCS#12 is made.
 * Rows go in through the store API in one transaction. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

typedef struct {
	X509 *ca_cert;
	EVP_PKEY *ca_key, *user_key;
} signer;

static int load_signer(const char *home, signer *s)
{
	char *crt = cd_asprintf("%s/ca/ca.crt", home), *key = cd_asprintf("%s/ca/ca.key", home);
	FILE *f;

	if ((f = fopen(crt, "r"))) {
		s->ca_cert = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if ((f = fopen(key, "r"))) {
		s->ca_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	free(crt);
	free(key);
	if (!s->ca_cert || !s->ca_key)
		return cd_err("%s: cannot read an unencrypted CA (ca/ca.crt, ca/ca.key)", home);
	s->user_key = EVP_EC_gen("P-256");
	return s->user_key ? 0 : cd_err("cannot generate a key");
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok;
}

/* A client certificate as certdesk issues it; serial as uppercase hex into serial. */
static X509 *sign_one(signer *s, const char *user, int64_t nb, int64_t na, char serial[80])
{
	unsigned char rnd[16];
	BIGNUM *bn = NULL;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	char *email = cd_asprintf("email:%s@bench.example.org", user), *hex = NULL;
	int ok;

	RAND_bytes(rnd, sizeof rnd);
	rnd[0] = (unsigned char)(1 + rnd[0] % 0x7F);
	bn = BN_bin2bn(rnd, sizeof rnd, NULL);
	X509V3_set_ctx(&ctx, s->ca_cert, x, NULL, NULL, 0);
	ok = x && name && bn && X509_set_version(x, 2) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)user,
					-1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					(const unsigned char *)"Bench Org", -1, -1, 0) &&
	     X509_set_subject_name(x, name) &&
	     X509_set_issuer_name(x, X509_get_subject_name(s->ca_cert)) &&
	     ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) &&
	     ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) &&
	     X509_set_pubkey(x, s->user_key) &&
	     add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
	     add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
	     add_ext(x, &ctx, NID_ext_key_usage, "clientAuth") &&
	     add_ext(x, &ctx, NID_subject_alt_name, email) &&
	     add_ext(x, &ctx, NID_authority_key_identifier, "keyid") &&
	     X509_sign(x, s->ca_key, EVP_sha256()) > 0 && (hex = BN_bn2hex(bn));
	if (ok)
		snprintf(serial, 80, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_NAME_free(name);
	free(email);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static char *pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &data);
	pem = cd_strndup(data, (size_t)n);
	BIO_free(b);
	return pem;
}

static int add_user(store *st, signer *s, long i, long day_of, long n, long spread, int64_t now)
{
	char user[32], full[64], email[64], serial[80], *pem, *subject;
	/* Evenly over the spread, from tomorrow on: whole days plus the hour of issue. */
	int64_t na = now + (1 + (int64_t)day_of * spread / n) * CD_DAY;
	int64_t uid = 0, cid = 0;
	X509 *x;
	int rc;

	snprintf(user, sizeof user, "user%06ld", i);
	snprintf(full, sizeof full, "Bench User %ld", i);
	snprintf(email, sizeof email, "%s@bench.example.org", user);
	if (!(x = sign_one(s, user, now, na, serial)))
		return cd_err("signing failed for %s", user);
	pem = pem_of(x);
	subject = cd_asprintf("O=Bench Org,CN=%s", user); /* RFC 2253: as ca_issue records it */
	{
		store_user u = {0, user, full, email, "+1 555 0100", "", "Bench Org", "", ""};
		store_new_cert c = {0, 0, serial, subject, "ec", pem, NULL, NULL, now, na, now};
		rc = store_user_insert(st, &u, now, &uid) < 0 ||
		     (c.user_id = uid, store_cert_insert_pending(st, &c, &cid) < 0) ||
		     store_cert_mark_issued(st, cid, uid) < 0 ? -1 : 0;
	}
	free(pem);
	free(subject);
	X509_free(x);
	return rc;
}

/* GEN_HOME_LAYOUT=random: the rows in no particular expiry order, as a home that grew
 * over years stores them (a fixed shuffle, the same every run); else in expiry order,
 * the page cache's best case. NULL for the latter. */
static long *layout(long n)
{
	const char *l = getenv("GEN_HOME_LAYOUT");
	uint64_t x = 20261202;
	long *v, i;

	if (!l || strcmp(l, "random") != 0)
		return NULL;
	v = cd_malloc((size_t)n * sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		long j, t;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		j = (long)(x % (uint64_t)(i + 1));
		t = v[i], v[i] = v[j], v[j] = t;
	}
	return v;
}

int main(int argc, char **argv)
{
	signer s = {0};
	store *st = NULL;
	long n, spread = 365, i, *order;
	int64_t now = cd_now();
	char *db;

	if (argc < 3 || cd_parse_int("N", argv[2], 1, 10000000, &n) < 0 ||
	    (argc > 3 && cd_parse_int("SPREAD", argv[3], 1, 825, &spread) < 0)) {
		fprintf(stderr, "usage: gen-home-bin HOME N [SPREAD_DAYS]%s%s\n",
			argc >= 3 ? ": " : "", argc >= 3 ? cd_errmsg() : "");
		return 2;
	}
	db = cd_asprintf("%s/certdesk.db", argv[1]);
	if (load_signer(argv[1], &s) < 0 || store_open(db, 0, &st) < 0 || store_begin(st) < 0) {
		fprintf(stderr, "gen-home: %s\n", cd_errmsg());
		return 1;
	}
	order = layout(n);
	for (i = 0; i < n; i++) {
		if (add_user(st, &s, i, order ? order[i] : i, n, spread, now) < 0) {
			fprintf(stderr, "gen-home: %s\n", cd_errmsg());
			store_rollback(st);
			return 1;
		}
	}
	if (store_audit(st, now, cd_operator(), "bench", NULL, "generated users") < 0 ||
	    store_commit(st) < 0) {
		fprintf(stderr, "gen-home: %s\n", cd_errmsg());
		return 1;
	}
	store_close(st);
	/* The one big transaction left a WAL as large as the database; a real home's stays
	 * small, and the next open would otherwise re-read all of it. */
	{
		sqlite3 *db3 = NULL;
		if (sqlite3_open(db, &db3) != SQLITE_OK ||
		    sqlite3_exec(db3, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
			fprintf(stderr, "gen-home: checkpoint: %s\n", sqlite3_errmsg(db3));
		sqlite3_close(db3);
	}
	free(order);
	X509_free(s.ca_cert);
	EVP_PKEY_free(s.ca_key);
	EVP_PKEY_free(s.user_key);
	free(db);
	return 0;
}
