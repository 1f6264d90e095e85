/* ca.h: the certificate authority: keys, client certificates, PKCS#12 bundles, CRLs.
 * Everything is done with libcrypto; nothing shells out to openssl(1). */
#ifndef CD_CA_H
#define CD_CA_H

#include <stddef.h>
#include <stdint.h>

typedef enum { CA_KEY_EC, CA_KEY_RSA } ca_key_type;       /* EC P-256, RSA 3072 */
typedef enum { CA_P12_COMPAT, CA_P12_MODERN } ca_p12_profile;

/* The longest validity a client certificate gets, in days: the CA/Browser Forum's old
 * limit, which TLS clients still apply to every certificate they check. Settings, options
 * and forms all take their bound from here. */
#define CA_CERT_DAYS_MAX 825

/* The names of ca_key_type and ca_p12_profile, as settings and options spell them. */
#define CA_KEY_CHOICES "ec|rsa"
#define CA_P12_CHOICES "compat|modern"

/* CRL reason codes as in RFC 5280 (the values written into the CRL): _(ID, code, name),
 * in the order menus and usage list them. */
#define CA_REASONS(_) \
	_(UNSPECIFIED, 0, "unspecified") \
	_(KEY_COMPROMISE, 1, "keyCompromise") \
	_(AFFILIATION_CHANGED, 3, "affiliationChanged") \
	_(SUPERSEDED, 4, "superseded") \
	_(CESSATION, 5, "cessationOfOperation")

enum {
#define CA_REASON_ENUM(id, code, name) CA_REASON_##id = code,
	CA_REASONS(CA_REASON_ENUM)
#undef CA_REASON_ENUM
};
/* The names in table order, NULL-terminated; the same joined by '|'. */
extern const char *const ca_reason_names[];
extern const char *const ca_reason_choices;
int ca_reason_parse(const char *name, int *code); /* "keyCompromise" -> 1 */
const char *ca_reason_name(int code);            /* "unknown" for other codes */

typedef struct ca ca; /* the CA certificate, and its key when opened for signing */

/*
 * Creates dir/ca.crt and dir/ca.key (0600; encrypted with AES-256 under a scrypt key
 * from passphrase when it is not NULL): a self-signed CA, basicConstraints CA:TRUE
 * critical, keyUsage keyCertSign+cRLSign, SKI.  Refuses when either file exists.
 */
int ca_init(const char *dir, const char *cn, ca_key_type kt, int days, const char *passphrase);

/* The CA key on a token: dir/ca.crt, self-signed by key (an engine's), and the marker
 * dir/ca.p11 in place of a key file. */
typedef struct evp_pkey_st EVP_PKEY;
int ca_init_key(const char *dir, const char *cn, EVP_PKEY *key, int days);
/* The key identifier of a CA certificate of that key: the token's CKA_ID for it. */
int ca_pubkey_id(EVP_PKEY *key, unsigned char id[20]);
/* Gives the CA of the handle whose key id is kid that key (a reference is taken),
 * after checking it matches the certificate. */
int ca_use_key(ca *c, const char *kid, EVP_PKEY *key);
EVP_PKEY *ca_signing_key(const ca *c); /* NULL when not loaded */
int ca_pubkey_is(const ca *c, EVP_PKEY *pub); /* 1: the certificate's public key */
int ca_signs(const ca *c);     /* 0 for a retired CA */
/* 0 when no CA of c's list is named cn, else -1 with the refusal (a rollover's check). */
int ca_name_free(const ca *c, const char *cn);
/* As ca_rollover, the new CA's key being key (on the token). */
int ca_rollover_key(const ca *c, const char *dir, const char *cn, EVP_PKEY *key, int days);

/* 1 if dir/ca.key is passphrase-protected, 0 if not, -1 on error (as ca_load_key). */
int ca_key_encrypted(const char *dir);

/* Asks for the CA passphrase into buf: 0, or -1 after cd_err() to give up. */
typedef int (*ca_pass_fn)(void *ctx, char *buf, size_t size);
/* A ca_pass_fn whose ctx is the passphrase itself. */
int ca_pass_given(void *ctx, char *buf, size_t size);

/* Opens dir/ca.crt, and dir/ca.key when with_key (as ca_load_key, with passphrase and
 * no re-encryption; a wrong passphrase is an error "wrong CA passphrase"). */
int ca_open(const char *dir, int with_key, const char *passphrase, ca **out);
/*
 * Adds the key to a CA opened without it. dir/ca.key is opened once, never through a
 * symbolic link, and used only when it is a regular file of the effective user that no
 * one else may read; the key is read from that descriptor and checked to match the
 * certificate.  ask is called only for an encrypted key.  With upgraded not NULL, a key
 * whose passphrase went through a weaker KDF than scrypt (OpenSSL's default PBKDF2 of
 * 2048 rounds, the legacy PEM encryption) is re-encrypted in place with scrypt under
 * the same passphrase, and *upgraded set to 1; to -1 when that failed (the reason in
 * cd_errmsg()), the key loaded all the same.
 */
int ca_load_key(ca *c, const char *dir, ca_pass_fn ask, void *ctx, int *upgraded);
void ca_close(ca *c);
const char *ca_name(const ca *c);     /* the CA's CN */
int64_t ca_not_after(const ca *c);
char *ca_cert_pem(const ca *c); /* malloc'd; NULL after cd_err() */
/* Replaces dir/ca.crt with a new certificate of the same subject, key and key
 * identifier, valid days from now, so that every certificate issued keeps verifying;
 * the old one stays as dir/ca-until-DATE.crt. Needs the key; refuses to shorten. */
int ca_renew(ca *c, const char *dir, int days);
/* 1 when the certificates this CA issued name its serial number (an imported CA whose
 * AKIs carry authorityCertSerialNumber): ca_renew then keeps the serial, or they would
 * no longer verify. */
int ca_names_serial(const ca *c);

typedef struct {
	const char *user;      /* CN */
	const char *full_name; /* not in the subject; kept for the record */
	const char *email;     /* subjectAltName email */
	const char *org, *ou, *location, *country; /* O, OU, L, C; NULL or "" to omit */
	int days;
	ca_key_type key;
	const struct ca_csr *csr; /* NULL: a fresh key and a bundle; else the request's key */
} ca_request;

typedef struct {
	char serial[80];        /* uppercase hex, no colons, no leading zero bytes: as nginx's
	                           $ssl_client_serial and Apache's SSL_CLIENT_M_SERIAL print it */
	int64_t not_before, not_after;
	char *cert_pem;
	char *subject;          /* one line, RFC 2253 */
	unsigned char *p12;     /* DER PKCS#12: key + certificate + CA certificate */
	size_t p12_len;
	char password[32];      /* generated, 20 characters, no look-alikes */
	int capped;             /* the days asked would outlive the CA: it ends with the CA */
} ca_issued;

/* Issues a clientAuth certificate with a fresh key and bundles it; with req->csr, for
 * the request's key, and no bundle (p12 NULL, password empty). Subject and extensions
 * come from req alone. Serial: 128 random bits from the CSPRNG, first byte 0x01..0x7F. */
int ca_issue(ca *c, const ca_request *req, ca_p12_profile prof, ca_issued *out);
void ca_issued_free(ca_issued *is);

/* A PKCS#10 request, for a user who keeps their key: only its public key is used. */
#define CA_CSR_MAX (64 << 10) /* bytes: a request is a few kilobytes; more is not one */
typedef struct ca_csr ca_csr;
/* Parses a PEM request and judges it: its self-signature (the sender holds the private
 * key), its key (EC P-256 or P-384, RSA of 2048 bits and up), no CA:TRUE asked for.
 * -1 with one line naming what is wrong. */
int ca_csr_read(const char *pem, size_t len, ca_csr **out);
void ca_csr_free(ca_csr *r);
const char *ca_csr_key_name(const ca_csr *r); /* "ec" or "rsa" */
/* What the request asked for and did not get (a subject other than subject, the one
 * issued; extensions): a malloc'd line, or NULL when it asked for nothing else. */
char *ca_csr_unused(const ca_csr *r, const char *subject);

typedef struct {
	const char *serial;  /* hex as above */
	int64_t revoked_at;
	int reason;
	const char *issuer;  /* the key id of the CA that issued it; NULL: the issuing CA */
} ca_revoked;

/* Signs a v2 CRL: thisUpdate now, nextUpdate now+days, CRL Number, AKI, one entry each
 * (reasonCode omitted for unspecified, as RFC 5280 asks).  A serial listed twice, a bad
 * serial or an unknown reason is an error.  *pem is malloc'd. During a rollover, one CRL
 * per CA still signing, each with the entries it issued (see entry_signer). */
int ca_sign_crl(ca *c, const ca_revoked *list, size_t n, int64_t number, int days, char **pem);

typedef struct {
	int64_t this_update, next_update, number;
	size_t entries;
} ca_crl_info;
int ca_crl_parse(const char *pem, size_t len, ca_crl_info *info);

/* A CRL read back to be judged (publish meets CRLs it did not necessarily sign): ours is 1
 * when this CA issued and signed it; v holds its entries as ca_sign_crl takes them (an
 * absent reasonCode is CA_REASON_UNSPECIFIED). -1 when it is not a readable CRL. */
typedef struct {
	int ours;      /* every CRL of the file was signed by one of this home's CAs */
	ca_crl_info info; /* the issuing CA's CRL's, else the first's; entries: all */
	ca_revoked *v; /* serials malloc'd; issuer points into the ca handle (NULL: foreign) */
	size_t n;
	int blocks;    /* CRLs in the file */
	int foreign;   /* of which signed by no CA of this home */
	int retired;   /* of which signed by a retired CA */
} ca_crl_contents;
int ca_crl_read(const ca *c, const char *pem, size_t len, ca_crl_contents *out);
void ca_crl_contents_free(ca_crl_contents *cc);

/* Fields of a PEM certificate, for import and for checks. Strings are malloc'd, "" when
 * absent; email is the subjectAltName email, else the subject's emailAddress. */
typedef struct {
	char serial[80];
	char *cn, *email, *org, *ou, *location, *country;
	int64_t not_before, not_after;
	char *subject;
} ca_cert_info;
int ca_cert_parse(const char *pem, size_t len, ca_cert_info *info);
void ca_cert_info_free(ca_cert_info *info);
int ca_cert_signed_by(const ca *c, const char *pem, size_t len); /* 1 yes, 0 no, -1 error */
/* What verify compares of a stored certificate, read in one pass that never decodes the
 * subject's key (the costly part of a parse): named is the CA of c's list that its
 * issuer names (NULL: none), signed_ok whether that CA's key made its signature. -1 with
 * one line when it is not a readable certificate. Safe to call from several threads on
 * one handle. */
typedef struct {
	char serial[80];
	int64_t not_before, not_after;
	char *subject;   /* one line, RFC 2253, as ca_cert_parse */
	const ca *named;
	int signed_ok;
} ca_cert_facts;
int ca_cert_facts_read(const ca *c, const char *pem, size_t len, ca_cert_facts *out);
void ca_cert_facts_free(ca_cert_facts *f);
int ca_crl_signed_by(const ca *c, const char *pem, size_t len);  /* 1 yes, 0 no, -1 error */

/*
 * Several CAs (a rollover). The CA that issues is dir/ca.crt and dir/ca.key. A rollover
 * moves it to dir/prev/KID/, where it keeps signing its own CRL until the last
 * certificate it issued has ended; then it is retired to dir/retired/KID/ and its key
 * destroyed. KID is the CA's key identifier in hex, as rows and directories name it.
 * A ca handle holds the issuing CA and all those it took over from, newest first.
 */
const char *ca_kid(const ca *c);
int ca_kid_valid(const char *s);
int ca_kid_of(const char *dir, char kid[41]); /* of dir/ca.crt alone */
const ca *ca_older(const ca *c);    /* the next older CA of the handle, NULL at the end */
int ca_is_retired(const ca *c);
const ca *ca_by_kid(const ca *c, const char *kid); /* NULL or "": c; NULL if unknown */
const ca *ca_issuer_of(const ca *c, const char *pem, size_t len); /* NULL: none of ours */
/* 0 when a revocation of that issuer (ca_kid) no longer goes into a CRL: a retired CA. */
int ca_issuer_signs(const ca *c, const char *issuer);
char *ca_bundle_pem(const ca *c);   /* the issuing CA, then every CA still signing */
/* A new key and CA certificate of name cn become the issuing CA; the one of c moves to
 * dir/prev/KID/ (c stays that handle: reopen). Steps that a kill interrupts are finished
 * or undone by ca_recover, which every writer runs first (*done: what it did, or ""). */
int ca_rollover(const ca *c, const char *dir, const char *cn, ca_key_type kt, int days,
		const char *passphrase);
int ca_recover(const char *dir, char *done, size_t size);
/* Moves dir/prev/KID/ to dir/retired/KID/ and destroys its key (overwritten, unlinked). */
int ca_retire(const char *dir, const char *kid);
/* The handle's view of that: the CA kid of c's list is retired (its key dropped). */
void ca_note_retired(ca *c, const char *dir, const char *kid);

/* Overwrites a key file with zeros, then unlinks it (never through a symbolic link). */
int ca_destroy_key(const char *path);

/* Random password of n characters (n < size) from an alphabet without look-alikes. */
int ca_password(char *out, size_t size, size_t n);

#endif
