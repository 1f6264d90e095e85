/* import.c: adopting an existing CA. See import.h.
 *
 * The source is read completely and checked before anything is written; the writes
 * then happen in one transaction.  A new home is built in a sibling directory and
 * renamed into place at the end, so it appears complete or not at all. */
#define _GNU_SOURCE
#include "import.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "embed.h"
#include "store.h"

typedef struct {
	char status;               /* V, R or E */
	int line;
	int64_t expiry, revoked_at;
	int reason;
	char serial[80];           /* normalised as certdesk writes serials */
	char *raw_serial, *dn, *user;
	char *file, *pem;
	ca_cert_info info;
	const char *key_type;
	const char *not_client;    /* why the file is no user's client certificate, or NULL */
	int in_crl, from_index;    /* from_index: revoked, file missing: index facts only */
	size_t idx;                /* in imp.certs: planning works on copies */
	int placed;                /* this import gives it a certificate row */
	char *refused;             /* why no user's certificate row can hold it, or NULL */
} imp_cert;

/* One entry of the deployed CRL. */
typedef struct {
	char *serial;
	int64_t at;
	int reason;
	int in_index;
} imp_revoked;

typedef struct {
	const import_opts *o;
	import_report *r;
	char *index, *ca_cert, *ca_key, *crl, *crlnumber;
	char *dirs[3];             /* openssl-ca: where certificates are kept */
	imp_cert *certs;
	size_t n;
	ca *ca;
	X509 *cax;
	imp_revoked *revs;         /* the deployed CRL's entries, sorted by serial */
	size_t ncrl;
	int64_t crl_this;
	store *st;                 /* the target database; NULL in a dry run of a new home */
	int write;
	int changed;               /* rows written: a second import writes none */
} imp;

/* ---- small helpers ---- */

static int ssl_fail(const char *fmt, const char *arg)
{
	ERR_clear_error();
	return cd_err(fmt, arg);
}

static char *path_in(const char *dir, const char *name)
{
	return name[0] == '/' ? cd_strdup(name) : cd_asprintf("%s/%s", dir, name);
}

/* Uppercase hex without leading zero bytes: how certdesk and nginx print serials. */
static int norm_serial(const char *s, char out[80])
{
	size_t i, n;

	while (*s == '0' && s[1])
		s++;
	n = strlen(s);
	if (n == 0 || n > 64)
		return -1;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	snprintf(out, 80, "%s%s", n % 2 ? "0" : "", s);
	for (i = 0; out[i]; i++)
		out[i] = (char)toupper((unsigned char)out[i]);
	return 0;
}

int import_parse_time(const char *s, int64_t *out)
{
	size_t n = strlen(s), i, y = n == 15 ? 4 : 2;
	int v[6], year;

	if ((n != 13 && n != 15) || s[n - 1] != 'Z')
		return -1;
	for (i = 0; i + 1 < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	year = 0;
	for (i = 0; i < y; i++)
		year = year * 10 + (s[i] - '0');
	if (y == 2)
		year += year < 50 ? 2000 : 1900;
	for (i = 0; i < 5; i++)
		v[i + 1] = (s[y + 2 * i] - '0') * 10 + (s[y + 2 * i + 1] - '0');
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	*out = cd_timegm(year, v[1], v[2], v[3], v[4], v[5]);
	return 0;
}

static void note(imp *im, int conflict, const char *fmt, const char *a, const char *b)
{
	char *sa = cd_sanitize(a), *sb = cd_sanitize(b ? b : "");

	if (conflict)
		im->r->conflicts++;
	else
		im->r->problems++;
	cd_buf_printf(&im->r->notes, "%s: ", conflict ? "conflict" : "problem");
	cd_buf_printf(&im->r->notes, fmt, sa, sb);
	cd_buf_putc(&im->r->notes, '\n');
	free(sa);
	free(sb);
}

/* ---- the source layout ---- */

static char *conf_path(imp *im, CONF *conf, const char *sect, const char *key,
		       const char *def)
{
	const char *v = conf ? NCONF_get_string(conf, sect, key) : NULL;

	ERR_clear_error();
	if (!v || !*v)
		return def ? path_in(im->o->dir, def) : NULL;
	return path_in(im->o->dir, v);
}

/* The first of two usual names that exists (else the first, for the error). */
static const char *either(const char *dir, const char *a, const char *b, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", dir, a);
	if (cd_path_exists(buf))
		return a;
	snprintf(buf, n, "%s/%s", dir, b);
	return cd_path_exists(buf) ? b : a;
}

static int layout_openssl(imp *im)
{
	const char *dir = im->o->dir, *sect = "CA_default";
	char *cfg = im->o->config ? cd_strdup(im->o->config) : cd_asprintf("%s/openssl.cnf", dir);
	char buf[4096];
	CONF *conf = NULL;
	long eline = 0;
	int rc = -1;

	if (im->o->config || cd_path_exists(cfg)) {
		conf = NCONF_new(NULL);
		if (!conf || NCONF_load(conf, cfg, &eline) <= 0) {
			ERR_clear_error();
			cd_err(eline ? "%s:%ld: cannot parse the configuration" :
			       "%s: cannot read the configuration", cfg, eline);
			goto out;
		}
		sect = NCONF_get_string(conf, "ca", "default_ca");
		if (!sect)
			sect = "CA_default";
		ERR_clear_error();
	}
	im->index = conf_path(im, conf, sect, "database", "index.txt");
	im->ca_cert = conf_path(im, conf, sect, "certificate",
				either(dir, "cacert.pem", "ca.crt", buf, sizeof buf));
	im->ca_key = conf_path(im, conf, sect, "private_key",
			       either(dir, "private/cakey.pem", "private/ca.key", buf, sizeof buf));
	im->crl = conf_path(im, conf, sect, "crl", "crl.pem");
	im->crlnumber = conf_path(im, conf, sect, "crlnumber", "crlnumber");
	im->dirs[0] = conf_path(im, conf, sect, "new_certs_dir", "newcerts");
	im->dirs[1] = conf_path(im, conf, sect, "certs", "certs");
	rc = 0;
out:
	NCONF_free(conf);
	free(cfg);
	return rc;
}

static void layout_easyrsa(imp *im)
{
	const char *p = im->o->dir;

	im->index = cd_asprintf("%s/index.txt", p);
	im->ca_cert = cd_asprintf("%s/ca.crt", p);
	im->ca_key = cd_asprintf("%s/private/ca.key", p);
	im->crl = cd_asprintf("%s/crl.pem", p);
	im->crlnumber = cd_asprintf("%s/crlnumber", p);
}

/* ---- index.txt ---- */

static char *dn_cn(const char *dn)
{
	const char *p = strstr(dn, "/CN=");
	size_t n;

	if (!p)
		return cd_strdup("");
	p += 4;
	n = strcspn(p, "/");
	return cd_strndup(p, n);
}

static int reason_code(imp *im, const char *name, int line)
{
	int code;

	if (!*name || ca_reason_parse(name, &code) == 0)
		return *name ? code : CA_REASON_UNSPECIFIED;
	{
		char where[32];
		snprintf(where, sizeof where, "%d", line);
		note(im, 0, "index.txt line %s: revocation reason '%s' is kept as unspecified",
		     where, name);
	}
	return CA_REASON_UNSPECIFIED;
}

static int parse_line(imp *im, char *line, int no, imp_cert *c)
{
	char *f[7], *p = line, *comma;
	int n = 0;

	memset(c, 0, sizeof *c);
	while (n < 7 && p) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (p)
			*p++ = '\0';
	}
	if (n != 6 || strlen(f[0]) != 1 || !strchr("VRE", f[0][0]))
		return cd_err("%s:%d: malformed line: expected 6 tab-separated fields with status "
			      "V, R or E", im->index, no);
	c->status = f[0][0];
	c->line = no;
	if (import_parse_time(f[1], &c->expiry) < 0)
		return cd_err("%s:%d: malformed expiry time", im->index, no);
	if (c->status == 'R') {
		comma = strchr(f[2], ',');
		if (comma)
			*comma++ = '\0';
		if (import_parse_time(f[2], &c->revoked_at) < 0)
			return cd_err("%s:%d: malformed revocation time", im->index, no);
		c->reason = reason_code(im, comma ? comma : "", no);
	} else if (*f[2]) {
		return cd_err("%s:%d: revocation time on a line that is not revoked", im->index, no);
	}
	if (norm_serial(f[3], c->serial) < 0)
		return cd_err("%s:%d: malformed serial number", im->index, no);
	if (f[5][0] != '/')
		return cd_err("%s:%d: malformed subject (expected /CN=...)", im->index, no);
	c->raw_serial = cd_strdup(f[3]);
	c->dn = cd_strdup(f[5]);
	return 0;
}

static int read_index(imp *im)
{
	char *data, *line, *next;
	size_t len, cap = 0;
	int no = 0;

	if (!cd_path_exists(im->index))
		return cd_err("%s: no index.txt there (is it an %s?)", im->index,
			      im->o->kind == IMPORT_EASYRSA ? "easy-rsa pki/" : "openssl ca directory");
	if (cd_read_file(im->index, &data, &len) < 0)
		return -1;
	for (line = data; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		no++;
		if (!*line)
			continue;
		if (im->n == cap)
			im->certs = cd_realloc(im->certs, (cap = cap ? cap * 2 : 256) * sizeof *im->certs);
		if (parse_line(im, line, no, &im->certs[im->n]) < 0) {
			free(data);
			return -1;
		}
		im->certs[im->n].idx = im->n;
		im->n++;
	}
	free(data);
	return 0;
}

/* ---- certificates ---- */

/* A user's client certificate: no CA, and clientAuth among its extended key usages
 * (a server checks that; none, or only anyExtendedKeyUsage, is not enough). */
static const char *not_client(X509 *x)
{
	uint32_t flags = X509_get_extension_flags(x);

	if (flags & EXFLAG_INVALID)
		return "its extensions are malformed";
	if (X509_check_ca(x) != 0)
		return "it is a CA certificate (basicConstraints CA:TRUE or keyCertSign), not a "
		       "user's";
	if (!(flags & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT))
		return "it lacks the clientAuth extended key usage";
	return NULL;
}

/* The key's type, and whether the certificate is a user's client certificate. */
static void inspect(imp_cert *c, const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	int id = x ? EVP_PKEY_get_base_id(X509_get0_pubkey(x)) : 0;

	c->key_type = id == EVP_PKEY_EC ? "ec" : id == EVP_PKEY_RSA ? "rsa" :
		      id == EVP_PKEY_ED25519 ? "ed25519" : "other";
	c->not_client = x ? not_client(x) : "it cannot be read";
	BIO_free(b);
	X509_free(x);
	ERR_clear_error();
}

/* A CN usable as a file name part (never a path). */
static int safe_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Candidate files of one certificate; NULL after the last. */
static char *candidate(imp *im, const imp_cert *c, int i)
{
	const char *p = im->o->dir;
	char *cn = dn_cn(c->dn), *s = NULL;

	if (im->o->kind == IMPORT_OPENSSL_CA) {
		if (i < 2 && im->dirs[i])
			s = cd_asprintf("%s/%s.pem", im->dirs[i], c->raw_serial);
		else if (i < 2)
			s = cd_strdup("");
	} else {
		switch (i) {
		case 0: s = cd_asprintf("%s/certs_by_serial/%s.pem", p, c->raw_serial); break;
		case 1: s = cd_asprintf("%s/revoked/certs_by_serial/%s.crt", p, c->raw_serial); break;
		case 2: s = cd_asprintf("%s/renewed/certs_by_serial/%s.crt", p, c->raw_serial); break;
		case 3: s = safe_name(cn) ? cd_asprintf("%s/issued/%s.crt", p, cn) : cd_strdup(""); break;
		case 4: s = safe_name(cn) ? cd_asprintf("%s/renewed/issued/%s.crt", p, cn) :
			    cd_strdup(""); break;
		}
	}
	free(cn);
	return s;
}

/* Loads one certificate file: 1 when it is this serial, 0 when another, -1 if not PEM. */
static int load_file(imp *im, imp_cert *c, const char *path)
{
	char *pem, *subject;
	size_t len;

	if (cd_read_file(path, &pem, &len) < 0)
		return -1;
	if (!strstr(pem, "-----BEGIN CERTIFICATE-----") || ca_cert_parse(pem, len, &c->info) < 0) {
		free(pem);
		ERR_clear_error();
		return cd_err("%s: not a PEM certificate (serial %s, %s:%d)", path, c->serial,
			      im->index, c->line);
	}
	if (strcmp(c->info.serial, c->serial) != 0) {
		ca_cert_info_free(&c->info);
		free(pem);
		return 0;
	}
	c->pem = pem;
	c->file = cd_strdup(path);
	inspect(c, pem, len);
	/* Shown as it is stored; OpenSSL escapes ASCII controls, not C1 or bidi ones. */
	subject = cd_sanitize(c->info.subject);
	free(c->info.subject);
	c->info.subject = subject;
	return 1;
}

/* Index facts alone keep a revocation in certdesk's CRLs when the file is gone. */
static void from_index(imp_cert *c)
{
	c->from_index = 1;
	memcpy(c->info.serial, c->serial, sizeof c->info.serial);
	c->info.cn = dn_cn(c->dn);
	c->info.subject = cd_sanitize(c->dn); /* index.txt bytes, unchecked */
	c->info.email = cd_strdup("");
	c->info.org = cd_strdup("");
	c->info.ou = cd_strdup("");
	c->info.location = cd_strdup("");
	c->info.country = cd_strdup("");
	c->info.not_after = c->expiry;
	c->info.not_before = c->revoked_at;
	c->pem = cd_strdup("");
	c->key_type = "unknown";
}

static int find_cert(imp *im, imp_cert *c)
{
	char *path, line[32];
	int i, rc = 0;

	for (i = 0; rc == 0 && (path = candidate(im, c, i)); i++) {
		if (*path && cd_path_exists(path))
			rc = load_file(im, c, path);
		free(path);
	}
	if (rc < 0)
		return -1;
	snprintf(line, sizeof line, "%d", c->line);
	if (rc == 0 && c->status == 'R') {
		from_index(c);
		note(im, 0, "revoked certificate %s (index.txt line %s): file not found; its "
		     "revocation is imported from index.txt", c->serial, line);
	} else if (rc == 0) {
		note(im, 0, "certificate %s (index.txt line %s): file not found; skipped",
		     c->serial, line);
	}
	return 0;
}

/* Lowercased CN when that is a valid certdesk user name; NULL otherwise. */
static char *user_of(const char *cn)
{
	char *u = cd_strdup(cn), *p;

	for (p = u; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (cd_check_user(u) < 0) {
		free(u);
		return NULL;
	}
	return u;
}

/* Where the operator finds the certificate: its file, else its index.txt line. */
static char *cert_label(const imp_cert *c)
{
	return c->file ? cd_asprintf("%s (%s)", c->serial, c->file) :
	       cd_asprintf("%s (index.txt line %d)", c->serial, c->line);
}

/* Why no user's certificate row can hold c; NULL when one can. */
static char *refusal(imp *im, imp_cert *c)
{
	if (!c->from_index && ca_cert_signed_by(im->ca, c->pem, strlen(c->pem)) != 1) {
		ERR_clear_error();
		return cd_strdup("not signed by this CA");
	}
	if (!c->from_index && c->not_client)
		return cd_strdup(c->not_client);
	if (!(c->user = user_of(c->info.cn)))
		return cd_asprintf("CN '%s' is not a usable user name", c->info.cn);
	return NULL;
}

/* A revoked one is noted when its revocation is planned (plan_orphans). */
static int check_cert(imp *im, imp_cert *c)
{
	char *what;

	if (find_cert(im, c) < 0)
		return -1;
	if (!c->pem && c->status != 'R')
		return 0; /* find_cert said so */
	c->refused = refusal(im, c);
	if (c->refused && c->status != 'R') {
		what = cert_label(c);
		note(im, 0, "certificate %s: %s; skipped", what, c->refused);
		free(what);
	}
	return 0;
}

/* ---- the CA: certificate, key, CRL ---- */

static X509 *read_x509(const char *path)
{
	char *pem;
	size_t len;
	BIO *b;
	X509 *x;

	if (cd_read_file(path, &pem, &len) < 0)
		return NULL;
	b = BIO_new_mem_buf(pem, (int)len);
	x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	free(pem);
	if (!x)
		ssl_fail("%s: not a PEM certificate", path);
	return x;
}

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	size_t n = strlen(u);

	if (n > (size_t)size)
		return -1;
	memcpy(buf, u, n);
	return (int)n;
}

static int get_pass(imp *im, char *pass, size_t size)
{
	if (desk_passphrase(im->o->ask, im->o->ask_ctx, pass, size) == 0)
		return 0;
	return cd_err("%s: %s", im->ca_key, cd_errmsg());
}

/* The key must open (with its passphrase) and belong to the CA certificate. */
static int check_key(imp *im, char **key_pem, size_t *key_len)
{
	char pass[1024] = "";
	EVP_PKEY *k = NULL;
	BIO *b;
	int enc, rc = -1;

	if (cd_read_secret(im->ca_key, key_pem, key_len) < 0)
		return -1;
	enc = strstr(*key_pem, "ENCRYPTED") != NULL;
	if (enc && get_pass(im, pass, sizeof pass) < 0)
		return -1;
	b = BIO_new_mem_buf(*key_pem, (int)*key_len);
	k = b ? PEM_read_bio_PrivateKey(b, NULL, pass_cb, pass) : NULL;
	BIO_free(b);
	OPENSSL_cleanse(pass, sizeof pass);
	if (!k)
		ssl_fail(enc ? "%s: wrong passphrase for the CA key" : "%s: not a PEM private key",
			 im->ca_key);
	else if (EVP_PKEY_eq(X509_get0_pubkey(im->cax), k) != 1)
		cd_err("the CA key %s does not match the CA certificate %s", im->ca_key, im->ca_cert);
	else
		rc = 0;
	EVP_PKEY_free(k);
	return rc;
}

static int cmp_revoked(const void *a, const void *b)
{
	return strcmp(((const imp_revoked *)a)->serial, ((const imp_revoked *)b)->serial);
}

/* The entry's reason, if certdesk's CRLs can carry it; else unspecified, noted. */
static int entry_reason(imp *im, X509_REVOKED *rev, const char *serial)
{
	ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
	long code = e ? ASN1_ENUMERATED_get(e) : CA_REASON_UNSPECIFIED;

	ASN1_ENUMERATED_free(e);
	ERR_clear_error();
	if (code >= 0 && code <= 10 && strcmp(ca_reason_name((int)code), "unknown") != 0)
		return (int)code;
	note(im, 0, "CRL entry %s: its revocation reason is kept as unspecified", serial, NULL);
	return CA_REASON_UNSPECIFIED;
}

static int crl_entry(imp *im, X509_REVOKED *rev, imp_revoked *out)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(rev), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	struct tm tm;

	BN_free(bn);
	if (!hex || !ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(rev), &tm)) {
		OPENSSL_free(hex);
		return ssl_fail("%s: unreadable CRL entry", im->crl);
	}
	memset(out, 0, sizeof *out);
	out->serial = cd_strdup(hex);
	OPENSSL_free(hex);
	out->at = cd_timegm(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			    tm.tm_sec);
	out->reason = entry_reason(im, rev, out->serial);
	return 0;
}

static int crl_entries(imp *im, X509_CRL *crl)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	int i, n = sk_X509_REVOKED_num(revs);

	im->revs = cd_malloc((size_t)(n > 0 ? n : 1) * sizeof *im->revs);
	for (i = 0; i < n; i++) {
		if (crl_entry(im, sk_X509_REVOKED_value(revs, i), &im->revs[im->ncrl]) < 0)
			return -1;
		im->ncrl++;
	}
	qsort(im->revs, im->ncrl, sizeof *im->revs, cmp_revoked);
	return 0;
}

static int64_t crlnumber_file(imp *im)
{
	char *data = NULL;
	size_t len;
	BIGNUM *bn = NULL;
	int64_t n = 0;

	if (!cd_path_exists(im->crlnumber) || cd_read_file(im->crlnumber, &data, &len) < 0)
		return 0;
	data[strcspn(data, "\r\n")] = '\0';
	if (BN_hex2bn(&bn, data) > 0 && BN_num_bits(bn) < 62)
		n = (int64_t)BN_get_word(bn);
	BN_free(bn);
	free(data);
	ERR_clear_error();
	return n;
}

/* The deployed CRL: its revocations count as published, its number is continued. */
static int read_crl(imp *im)
{
	char *pem;
	size_t len;
	BIO *b;
	X509_CRL *crl;
	ca_crl_info info;
	int64_t next_file = crlnumber_file(im);
	int rc = -1;

	if (next_file > 0)
		im->r->crl_number = next_file - 1;
	if (!cd_path_exists(im->crl)) {
		note(im, 0, "no CRL at %s: revocations are scheduled, not counted as published",
		     im->crl, NULL);
		return 0;
	}
	if (cd_read_file(im->crl, &pem, &len) < 0)
		return -1;
	b = BIO_new_mem_buf(pem, (int)len);
	crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!crl || ca_crl_parse(pem, len, &info) < 0)
		ssl_fail("%s: not a PEM CRL", im->crl);
	else if (X509_CRL_verify(crl, X509_get0_pubkey(im->cax)) != 1)
		rc = ssl_fail("%s: the CRL is not signed by this CA", im->crl);
	else if ((rc = crl_entries(im, crl)) == 0) {
		im->r->crl_found = 1;
		im->r->crl_entries = (int64_t)info.entries;
		im->r->crl_next_update = info.next_update;
		im->crl_this = info.this_update;
		if (info.number > im->r->crl_number)
			im->r->crl_number = info.number;
	}
	X509_CRL_free(crl);
	free(pem);
	return rc;
}

/* Stages the public CA certificate so that ca_open() can check certificates with it. */
static int open_ca(imp *im)
{
	const char *t = getenv("TMPDIR");
	char *dir = cd_asprintf("%s/certdesk-import.XXXXXX", t && *t ? t : "/tmp");
	char *dst = NULL, *pem = NULL;
	size_t len;
	int fd = -1, rc = -1;

	if (!mkdtemp(dir)) {
		cd_err("cannot create a temporary directory: %s", strerror(errno));
		free(dir);
		return -1;
	}
	dst = cd_asprintf("%s/ca.crt", dir);
	if (cd_read_file(im->ca_cert, &pem, &len) == 0 &&
	    (fd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0 &&
	    write(fd, pem, len) == (ssize_t)len) {
		close(fd);
		fd = -1;
		rc = ca_open(dir, 0, NULL, &im->ca);
		if (rc < 0) {
			char *msg = cd_strdup(cd_errmsg());
			cd_err("%s: %s", im->ca_cert, strstr(msg, "not a CA") ? "not a CA certificate" :
			       "cannot use it as the CA certificate");
			free(msg);
		}
	} else if (pem) {
		cd_err("cannot write %s: %s", dst, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	unlink(dst);
	rmdir(dir);
	free(pem);
	free(dst);
	free(dir);
	return rc;
}

/* ---- the target home ---- */

static int dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return 0;
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* *exists: a certdesk home is there. An empty directory may become one. */
static int home_state(const char *home, int *exists)
{
	char *db = cd_asprintf("%s/certdesk.db", home), *cadir = cd_asprintf("%s/ca", home);
	int rc = 0;

	*exists = cd_path_exists(db) && cd_path_exists(cadir);
	if (!*exists && cd_path_exists(home) && !dir_empty(home))
		rc = cd_err("%s exists and is not a certdesk home; give another --home", home);
	free(db);
	free(cadir);
	return rc;
}

static int same_ca(imp *im, const char *home)
{
	char *path = cd_asprintf("%s/ca/ca.crt", home);
	X509 *x = read_x509(path);
	int rc = 0;

	if (!x)
		rc = -1;
	else if (X509_cmp(x, im->cax) != 0)
		rc = cd_err("%s already holds a different CA (%s); import into a new home", home,
			    path);
	X509_free(x);
	free(path);
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

/* Removes the staging directory this import created (never anything else). */
static void rm_stage(const char *stage)
{
	if (stage)
		nftw(stage, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Builds the new home beside its final place: CA (key kept as it was), templates, db. */
static int make_stage(imp *im, const char *home, const char *key_pem, size_t key_len,
		      char **stage)
{
	char *parent = cd_strdup(home), *slash = strrchr(parent, '/'), *p = NULL;
	char *pem = NULL;
	size_t len;
	mode_t mask = umask(0);
	int rc = -1;

	umask(mask);
	if (slash && slash != parent)
		*slash = '\0';
	if (slash && slash != parent && cd_mkdir_p(parent, 0755) < 0)
		goto out;
	*stage = cd_asprintf("%s.import-XXXXXX", home);
	if (!mkdtemp(*stage) || chmod(*stage, 0755 & ~mask) < 0) {
		cd_err("cannot create %s: %s", *stage, strerror(errno));
		free(*stage);
		*stage = NULL;
		goto out;
	}
	p = cd_asprintf("%s/ca", *stage);
	if (mkdir(p, 0755) < 0 || cd_read_file(im->ca_cert, &pem, &len) < 0)
		goto out;
	free(p);
	p = cd_asprintf("%s/ca/ca.crt", *stage);
	if (cd_write_file(p, pem, len, 0644) < 0)
		goto out;
	free(p);
	p = cd_asprintf("%s/templates", *stage);
	if (desk_write_templates(p) < 0)
		goto out;
	free(p);
	p = cd_asprintf("%s/ca/ca.key", *stage);
	if (cd_write_secret(p, key_pem, key_len) < 0)
		goto out;
	free(p);
	p = cd_asprintf("%s/certdesk.db", *stage);
	rc = store_open(p, STORE_CREATE, &im->st);
out:
	free(pem);
	free(p);
	free(parent);
	return rc;
}

/* ---- planning and writing: one code path for the dry run and for --apply ---- */

static int cmp_cert(const void *a, const void *b)
{
	const imp_cert *x = a, *y = b;
	int c = strcmp(x->user ? x->user : "", y->user ? y->user : "");

	if (c)
		return c;
	if (x->info.not_before != y->info.not_before)
		return x->info.not_before < y->info.not_before ? -1 : 1;
	return strcmp(x->serial, y->serial);
}

static imp_revoked *crl_entry_of(imp *im, const char *serial)
{
	imp_revoked key = {(char *)serial, 0, 0, 0};

	return im->ncrl ? bsearch(&key, im->revs, im->ncrl, sizeof *im->revs, cmp_revoked) : NULL;
}

static int usable(const imp_cert *c)
{
	return c->pem && c->user;
}

static int is_valid(const imp *im, const imp_cert *c)
{
	return c->status != 'R' && c->info.not_after > im->o->now;
}

static int known_serial(imp *im, const char *serial, int *known)
{
	*known = 0;
	return im->st ? store_serial_known(im->st, serial, known) : 0;
}

static int no_row(void *ctx, const store_row *r)
{
	return 0;
}

static int user_exists(imp *im, const char *user, int *found)
{
	*found = 0;
	return im->st ? store_row_get(im->st, user, no_row, NULL, found) : 0;
}

static int revoke_cert(imp *im, imp_cert *c, int64_t id, int forced)
{
	im->r->revoked++;
	if (c->in_crl)
		im->r->published++;
	else
		im->r->scheduled++;
	if (!im->write)
		return 0;
	if (store_cert_schedule_revoke(im->st, id, c->revoked_at, c->reason,
				       forced && !c->in_crl) < 0)
		return -1;
	return c->in_crl ? store_revocation_published(im->st, id, im->crl_this, NULL) : 0;
}

static int add_cert(imp *im, imp_cert *c, int64_t uid, int64_t replaces, int forced,
		    int64_t *id)
{
	store_new_cert nc = {uid, replaces, c->serial, c->info.subject, c->key_type, c->pem,
			     NULL, NULL, c->info.not_before, c->info.not_after, c->info.not_before};

	im->r->certs_new++;
	im->certs[c->idx].placed = 1;
	if (im->write && (store_cert_insert_pending(im->st, &nc, id) < 0 ||
			  store_cert_mark_issued(im->st, *id, uid) < 0))
		return -1;
	if (c->status == 'R')
		return revoke_cert(im, c, *id, forced);
	if (is_valid(im, c))
		im->r->valid++;
	else
		im->r->expired++;
	return 0;
}

/* The certificate before the current one belongs to its renewal unless it ran out. */
static int links_to(const imp *im, const imp_cert *prev)
{
	return prev->status == 'R' || prev->info.not_after > im->o->now;
}

/* The bytes of s, readable and reversible: all but printable ASCII as \xNN. */
static void escape_into(cd_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7F && c != '\\' && c != '"')
			cd_buf_putc(b, (char)c);
		else
			cd_buf_printf(b, "\\x%02x", c);
	}
}

/* The fields of a user's row that come from the certificate, with the names create
 * checks them under (the CN is checked as a user name: refusal). */
static const struct {
	const char *what;
	size_t info, check; /* offsets in ca_cert_info and in desk_fields */
} imp_fields[] = {
	{"email", offsetof(ca_cert_info, email), offsetof(desk_fields, email)},
	{"O", offsetof(ca_cert_info, org), offsetof(desk_fields, org)},
	{"OU", offsetof(ca_cert_info, ou), offsetof(desk_fields, ou)},
	{"L", offsetof(ca_cert_info, location), offsetof(desk_fields, location)},
	{"C", offsetof(ca_cert_info, country), offsetof(desk_fields, country)},
};

/*
 * Each field must pass the check create makes: the row reaches the terminal, the links,
 * mail and JSON. One that fails is emptied rather than the user skipped: the
 * certificate is genuine and in use, and leaving it out would drop its expiry from
 * every reminder. The note says so; orig, for the audit entry, keeps the original.
 */
static void clean_fields(imp *im, imp_cert *c, cd_buf *orig)
{
	size_t i;

	for (i = 0; i < sizeof imp_fields / sizeof *imp_fields; i++) {
		char **v = (char **)((char *)&c->info + imp_fields[i].info), *why, *label;
		desk_fields f = {0};

		*(const char **)((char *)&f + imp_fields[i].check) = *v;
		if (!**v || desk_check_fields(&f) == 0)
			continue;
		why = cd_sanitize(cd_errmsg());
		label = cert_label(c);
		note(im, 0, "certificate %s: %s; imported with that field empty (the original is "
		     "kept in the audit entry)", label, why);
		cd_buf_printf(orig, "; %s emptied (%s), it was \"", imp_fields[i].what, why);
		escape_into(orig, *v);
		cd_buf_putc(orig, '"');
		free(label);
		free(why);
		(*v)[0] = '\0';
	}
}

static int audit_user(imp *im, const imp_cert *c, size_t n, const char *emptied)
{
	char *detail = cd_asprintf("imported from %s: %zu certificate%s, current serial %s%s",
				   im->o->dir, n, n == 1 ? "" : "s", c->serial, emptied);
	int rc = store_audit(im->st, cd_now(), cd_operator(), "import", c->user, detail);

	free(detail);
	return rc;
}

/* The user's row and every certificate of g; *prev_id is the one before g[cur]. */
static int write_certs(imp *im, imp_cert *g, size_t n, size_t cur, int link, int64_t *prev_id)
{
	imp_cert *c = &g[cur];
	store_user u = {0, c->user, c->info.cn, c->info.email, "", c->info.location,
			c->info.org, c->info.ou, c->info.country};
	int64_t uid = 0, id = 0;
	size_t i;

	im->r->users_new++;
	im->changed++;
	if (im->write && store_user_insert(im->st, &u, cd_now(), &uid) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (i == cur)
			continue;
		if (add_cert(im, &g[i], uid, 0, link && i + 1 == cur, &id) < 0)
			return -1;
		if (i + 1 == cur)
			*prev_id = id;
	}
	return add_cert(im, c, uid, link ? *prev_id : 0, 0, &id);
}

/*
 * g[cur] becomes the user's current certificate, the others history. When the one
 * before it is still valid, the import is mid-renewal: its revocation is scheduled
 * and held until the user applies the new one, as after `certdesk renew`. Revoked in
 * index.txt but missing from the CRL: the old CA's operator decided, so it is ready.
 */
static int write_user(imp *im, imp_cert *g, size_t n, size_t cur)
{
	int64_t prev_id = 0;
	int link = cur > 0 && links_to(im, &g[cur - 1]), rc;
	cd_buf emptied = {0};

	clean_fields(im, &g[cur], &emptied);
	rc = write_certs(im, g, n, cur, link, &prev_id);
	if (rc == 0 && link && g[cur - 1].status != 'R') {
		im->r->held++;
		if (im->write)
			rc = store_cert_schedule_revoke(im->st, prev_id, cd_now(),
							CA_REASON_SUPERSEDED, 0);
	}
	if (rc == 0 && im->write)
		rc = audit_user(im, &g[cur], n, emptied.s ? emptied.s : "");
	cd_buf_free(&emptied);
	return rc;
}

static void pick_current(imp *im, imp_cert *g, size_t n, size_t *cur)
{
	size_t i;

	*cur = n - 1;
	for (i = n; i-- > 0;)
		if (is_valid(im, &g[i])) {
			*cur = i;
			return;
		}
}

/* One user's certificates (sorted, all usable): new ones go in, known ones stay. */
static int plan_user(imp *im, imp_cert *g, size_t n, imp_cert *scratch)
{
	size_t i, k = 0, cur;
	int known, found;

	for (i = 0; i < n; i++) {
		if (known_serial(im, g[i].serial, &known) < 0)
			return -1;
		if (known)
			im->r->certs_known++;
		else
			scratch[k++] = g[i];
	}
	if (user_exists(im, g[0].user, &found) < 0)
		return -1;
	if (found) {
		char count[32];
		im->r->users_known++;
		snprintf(count, sizeof count, "%zu", k);
		if (k)
			note(im, 1, "user %s is already in the home; %s new certificate(s) of that "
			     "name not imported", g[0].user, count);
		for (i = 0; i < k; i++)
			im->certs[scratch[i].idx].refused =
				cd_asprintf("user %s is already in the home", g[0].user);
		return 0;
	}
	if (!k)
		return 0;
	pick_current(im, scratch, k, &cur);
	return write_user(im, scratch, k, cur);
}

static int plan_all(imp *im)
{
	imp_cert *scratch = cd_malloc((im->n ? im->n : 1) * sizeof *scratch), *live;
	size_t i, j, n = 0;
	int rc = 0;

	/* Usable certificates first, grouped by user, oldest first. */
	live = cd_malloc((im->n ? im->n : 1) * sizeof *live);
	for (i = 0; i < im->n; i++)
		if (usable(&im->certs[i]))
			live[n++] = im->certs[i];
	qsort(live, n, sizeof *live, cmp_cert);
	for (i = 0; rc == 0 && i < n; i = j) {
		for (j = i + 1; j < n && strcmp(live[j].user, live[i].user) == 0; j++)
			;
		rc = plan_user(im, live + i, j - i, scratch);
	}
	free(live);
	free(scratch);
	return rc;
}

/*
 * A revocation that no user's certificate row holds is imported all the same, as an
 * orphan: a serial must not leave the CRL before the certificate expires (RFC 5280
 * 3.3), whether or not certdesk can track a user for it.
 */
static int add_orphan(imp *im, const store_orphan *o, const char *label, int listed)
{
	char *tail, *detail;
	int known, rc;

	if (known_serial(im, o->serial, &known) < 0)
		return -1;
	if (known)
		return 0;
	im->r->orphans++;
	im->r->orphans_unlisted += !listed;
	tail = cd_asprintf("%s; its revocation is imported without a user and stays in "
			   "certdesk's CRLs%s", o->why, listed ? "" : " (the deployed CRL lacks "
			   "it: certdesk's next CRL lists it)");
	note(im, 0, "revoked serial %s: %s", label, tail);
	free(tail);
	if (!im->write)
		return 0;
	im->changed++;
	detail = cd_asprintf("revocation of serial %s imported without a user: %s", o->serial,
			     o->why);
	rc = store_orphan_insert(im->st, o) < 0 ||
	     store_audit(im->st, cd_now(), cd_operator(), "import", NULL, detail) < 0 ? -1 : 0;
	free(detail);
	return rc;
}

/* A revoked certificate of index.txt (or the CRL) that no row holds. */
static int orphan_cert(imp *im, const imp_cert *c)
{
	char *label = cert_label(c), *why = cd_sanitize(c->refused ? c->refused : "not imported");
	store_orphan o = {c->serial, c->info.subject ? c->info.subject : "", why, c->revoked_at,
			  c->info.not_after, c->in_crl ? im->crl_this : cd_now(), c->reason};
	int rc = add_orphan(im, &o, label, c->in_crl);

	free(label);
	free(why);
	return rc;
}

/*
 * A certificate already in the home that the source has revoked since (the old CA was
 * still in use): the revocation is recorded, published when the deployed CRL has it.
 */
static int revoked_since(imp *im, int64_t id, const char *serial, int64_t at, int reason,
			 int listed)
{
	int64_t scheduled, published;
	char *detail;
	int rc;

	if (store_cert_revocation(im->st, id, &scheduled, &published) < 0)
		return -1;
	if (published || (scheduled && !listed))
		return 0;
	im->r->revoked_since++;
	note(im, 0, "certificate %s, already in the home, is revoked in the source: %s",
	     serial, listed ? "recorded as published (the deployed CRL lists it)" :
	     "its revocation is scheduled");
	if (!im->write)
		return 0;
	im->changed++;
	detail = cd_asprintf("serial %s revoked in %s: recorded%s", serial, im->o->dir,
			     listed ? " as published" : "");
	rc = (!scheduled && store_cert_schedule_revoke(im->st, id, at, reason, 0) < 0) ||
	     (listed && store_revocation_published(im->st, id, im->crl_this, NULL) < 0) ||
	     store_audit(im->st, cd_now(), cd_operator(), "import", NULL, detail) < 0 ? -1 : 0;
	free(detail);
	return rc;
}

/* A revoked serial this import gives no certificate row: the home's, or an orphan. */
static int plan_revoked(imp *im, const imp_cert *c, const imp_revoked *e)
{
	const char *serial = c ? c->serial : e->serial;
	int64_t id = 0;

	if (im->st && store_cert_by_serial(im->st, serial, &id) < 0)
		return -1;
	if (id && c)
		return revoked_since(im, id, serial, c->revoked_at, c->reason, c->in_crl);
	if (id)
		return revoked_since(im, id, serial, e->at, e->reason, 1);
	if (c)
		return orphan_cert(im, c);
	return add_orphan(im, &(store_orphan){e->serial, "", "in the CRL but not in index.txt",
					      e->at, 0, im->crl_this, e->reason}, e->serial, 1);
}

static int plan_orphans(imp *im)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < im->n; i++)
		if (im->certs[i].status == 'R' && !im->certs[i].placed)
			rc = plan_revoked(im, &im->certs[i], NULL);
	for (i = 0; rc == 0 && i < im->ncrl; i++)
		if (!im->revs[i].in_index)
			rc = plan_revoked(im, NULL, &im->revs[i]);
	return rc;
}

/*
 * The CRL number goes on from the deployed CRL, which is recorded as published (so its
 * nextUpdate is watched). easy-rsa 3.1.0 writes CRLs without a number: recorded as 0.
 */
static int plan_crl(imp *im)
{
	import_report *r = im->r;
	int64_t next = 1;
	store_crl last = {0};
	int found = 0, record;

	if (im->st && (store_crl_next_number(im->st, &next) < 0 ||
		       store_crl_last(im->st, &last, &found) < 0))
		return -1;
	r->next_crl_number = next > r->crl_number ? next : r->crl_number + 1;
	record = r->crl_number > 0 ? next <= r->crl_number : r->crl_found && !found && next == 1;
	if (!record || !im->write)
		return 0;
	im->changed++;
	return store_crl_record(im->st, r->crl_number, im->crl_this, r->crl_next_update, NULL,
				r->crl_found ? im->crl_this : 0);
}

/* ---- cross-checks between index.txt and the CRL ---- */

static int cmp_serial_p(const void *a, const void *b)
{
	return strcmp((*(imp_cert *const *)a)->serial, (*(imp_cert *const *)b)->serial);
}

static int cross_check(imp *im)
{
	imp_cert **by = cd_malloc((im->n ? im->n : 1) * sizeof *by);
	size_t i;
	int rc = 0;

	for (i = 0; i < im->n; i++)
		by[i] = &im->certs[i];
	qsort(by, im->n, sizeof *by, cmp_serial_p);
	for (i = 1; i < im->n && rc == 0; i++)
		if (strcmp(by[i]->serial, by[i - 1]->serial) == 0)
			rc = cd_err("%s:%d: serial %s appears twice (also line %d)", im->index,
				    by[i]->line, by[i]->serial, by[i - 1]->line);
	for (i = 0; i < im->ncrl && rc == 0; i++) {
		imp_cert key, *kp = &key;
		snprintf(key.serial, sizeof key.serial, "%s", im->revs[i].serial);
		im->revs[i].in_index = bsearch(&kp, by, im->n, sizeof *by, cmp_serial_p) != NULL;
	}
	free(by);
	return rc;
}

static void mark_crl(imp *im, imp_cert *c)
{
	const imp_revoked *e = crl_entry_of(im, c->serial);

	c->in_crl = e != NULL;
	if (c->in_crl && c->status != 'R') {
		note(im, 0, "certificate %s is in the CRL but not revoked in index.txt: kept "
		     "revoked", c->serial, NULL);
		c->status = 'R';
		c->revoked_at = e->at;
		c->reason = e->reason;
	}
}

/* ---- the whole import ---- */

static int read_source(imp *im, char **key_pem, size_t *key_len)
{
	size_t i;

	if (im->o->kind == IMPORT_OPENSSL_CA) {
		if (layout_openssl(im) < 0)
			return -1;
	} else {
		layout_easyrsa(im);
	}
	if (read_index(im) < 0 || !(im->cax = read_x509(im->ca_cert)) || open_ca(im) < 0 ||
	    check_key(im, key_pem, key_len) < 0 || read_crl(im) < 0 || cross_check(im) < 0)
		return -1;
	im->r->ca_name = cd_strdup(ca_name(im->ca));
	for (i = 0; i < im->n; i++) {
		mark_crl(im, &im->certs[i]);
		if (check_cert(im, &im->certs[i]) < 0)
			return -1;
	}
	return 0;
}

static int open_target(imp *im, const char *home, int *exists)
{
	char *db;
	int rc;

	if (home_state(home, exists) < 0)
		return -1;
	if (!*exists)
		return 0;
	if (same_ca(im, home) < 0)
		return -1;
	db = cd_asprintf("%s/certdesk.db", home);
	rc = store_open(db, im->o->apply ? 0 : STORE_READONLY, &im->st);
	free(db);
	return rc;
}

static char *trim_home(const char *home)
{
	char *h = cd_strdup(home);
	size_t n = strlen(h);

	while (n > 1 && h[n - 1] == '/')
		h[--n] = '\0';
	return h;
}

/* One code path for the dry run and for --apply. */
static int plan(imp *im)
{
	return plan_all(im) < 0 || plan_orphans(im) < 0 || plan_crl(im) < 0 ? -1 : 0;
}

static int write_all(imp *im)
{
	char *detail;
	int rc;

	if (store_begin(im->st) < 0)
		return -1;
	rc = plan(im);
	if (rc == 0) {
		detail = cd_asprintf("%s %s: %lld users, %lld certificates, %lld revocations "
				     "without a user", im->o->kind == IMPORT_EASYRSA ? "easyrsa" :
				     "openssl-ca", im->o->dir, (long long)im->r->users_new,
				     (long long)im->r->certs_new, (long long)im->r->orphans);
		rc = store_audit(im->st, cd_now(), cd_operator(), "import", NULL, detail);
		free(detail);
	}
	/* A dry run, or nothing new: the transaction only read. */
	if (rc == 0 && !im->changed) {
		store_rollback(im->st);
		return 0;
	}
	return store_end(im->st, rc);
}

static void imp_free(imp *im)
{
	size_t i;

	for (i = 0; i < im->n; i++) {
		imp_cert *c = &im->certs[i];
		free(c->raw_serial);
		free(c->dn);
		free(c->user);
		free(c->file);
		free(c->pem);
		free(c->refused);
		ca_cert_info_free(&c->info);
	}
	for (i = 0; i < im->ncrl; i++)
		free(im->revs[i].serial);
	free(im->revs);
	free(im->certs);
	free(im->index);
	free(im->ca_cert);
	free(im->ca_key);
	free(im->crl);
	free(im->crlnumber);
	for (i = 0; i < 3; i++)
		free(im->dirs[i]);
	X509_free(im->cax);
	ca_close(im->ca);
	store_close(im->st);
}

int import_run(const import_opts *o, import_report *r)
{
	imp im = {0};
	char *home = trim_home(o->home), *stage = NULL, *key_pem = NULL;
	size_t key_len = 0;
	int exists = 0, rc = -1;

	memset(r, 0, sizeof *r);
	im.o = o;
	im.r = r;
	if (read_source(&im, &key_pem, &key_len) < 0 || open_target(&im, home, &exists) < 0)
		goto out;
	r->new_home = !exists;
	if (o->apply && !exists && make_stage(&im, home, key_pem, key_len, &stage) < 0)
		goto out;
	im.write = o->apply;
	if (im.write ? write_all(&im) < 0 : plan(&im) < 0)
		goto out;
	if (stage) {
		store_close(im.st);
		im.st = NULL;
		if (rename(stage, home) < 0) {
			cd_err("cannot move %s to %s: %s", stage, home, strerror(errno));
			goto out;
		}
		free(stage);
		stage = NULL;
	}
	rc = 0;
out:
	if (stage) {
		char *msg = cd_strdup(cd_errmsg());
		store_close(im.st);
		im.st = NULL;
		rm_stage(stage);
		cd_err("%s", msg);
		free(msg);
	}
	cd_secret_free(key_pem, key_len);
	free(stage);
	free(home);
	imp_free(&im);
	return rc;
}

void import_report_print(FILE *fp, const import_opts *o, const import_report *r)
{
	char next[16];

	fprintf(fp, "%s %s, CA \"%s\", into %s%s\n", o->kind == IMPORT_EASYRSA ?
		"easy-rsa PKI" : "openssl ca directory", o->dir, r->ca_name ? r->ca_name : "?",
		o->home, r->new_home ? " (a new home)" : "");
	fprintf(fp, "  users:        %lld new, %lld already in the home\n",
		(long long)r->users_new, (long long)r->users_known);
	fprintf(fp, "  certificates: %lld new (%lld valid, %lld expired, %lld revoked), "
		"%lld already in the home\n", (long long)r->certs_new, (long long)r->valid,
		(long long)r->expired, (long long)r->revoked, (long long)r->certs_known);
	fprintf(fp, "  revocations:  %lld published in the CRL, %lld scheduled (ready), "
		"%lld held until the renewal is applied\n", (long long)r->published,
		(long long)r->scheduled, (long long)r->held);
	if (r->revoked_since)
		fprintf(fp, "  in the home:  %lld certificates revoked in the source since, "
			"recorded as revoked\n", (long long)r->revoked_since);
	fprintf(fp, "  no user:      %lld revocations kept in certdesk's CRLs without a user "
		"(%lld not in the deployed CRL)\n", (long long)r->orphans,
		(long long)r->orphans_unlisted);
	if (r->crl_found) {
		cd_format_date(r->crl_next_update, next);
		fprintf(fp, "  CRL:          number %lld, %lld entries, next update %s\n",
			(long long)r->crl_number, (long long)r->crl_entries, next);
	} else {
		fprintf(fp, "  CRL:          none found\n");
	}
	fprintf(fp, "  next CRL:     number %lld\n", (long long)r->next_crl_number);
	fprintf(fp, "  conflicts:    %lld\n  problems:     %lld\n", (long long)r->conflicts,
		(long long)r->problems);
	if (r->notes.len)
		fputs(r->notes.s, fp);
	if (!o->apply)
		fprintf(fp, "dry run: nothing written; run again with --apply to import\n");
	else
		fprintf(fp, "imported: %lld users, %lld certificates, %lld revocations without a "
			"user\n", (long long)r->users_new, (long long)r->certs_new,
			(long long)r->orphans);
}

void import_report_free(import_report *r)
{
	free(r->ca_name);
	cd_buf_free(&r->notes);
	memset(r, 0, sizeof *r);
}
