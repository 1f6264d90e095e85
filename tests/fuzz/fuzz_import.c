/* fuzz_import.c: the import parsers (src/import.h): index.txt lines, openssl.cnf and
 * the file layouts of an `openssl ca` directory and an easy-rsa pki/, through
 * import_run() as a dry run (the parsers are static; the dry run is the same code
 * path as --apply without the database writes and their fsyncs).
 *
 * Input: sections separated by "%%\n":
 *   0  flags: E easy-rsa (else openssl-ca), C a CRL, N a CRL without a number,
 *      O the CRL signed by another key, K a CA key that does not match, X no CA key,
 *      W the other usual file names (ca.crt, private/ca.key) in an openssl-ca dir
 *   1  index.txt
 *   2  openssl.cnf (openssl-ca; none when empty).  A config that could name a file
 *      outside the source (an include, $ENV::, an absolute path, "..") is not tried.
 *   3  crlnumber (none when empty)
 *   4  certificates, one a line: serial|CN|email|O|OU|L|C|notBefore|notAfter|opts,
 *      days relative to the import's clock (2030-01-01); opts: c CA:TRUE, e no EKU,
 *      s serverAuth only, o signed by another key, g not a certificate, r in the CRL,
 *      i/v/w filed as issued/CN.crt, revoked/ or renewed/ (easy-rsa; i: certs/ in an
 *      openssl-ca dir).  Each is signed here by a fixed Ed25519 CA (deterministic).
 *   5  the CRL: its number on the first line, more revoked serials on the next ones
 * Checks: nothing crashes or leaks; the dry run creates neither the home nor any
 * file outside the source; the printed report holds no control character. */
#define _GNU_SOURCE
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "import.h"
#include "util.h"

#define BASE 1893456000LL /* 2030-01-01T00:00:00Z: the import's "now" */

static const char ca_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIDziuMknlaish4I1AGpwMwnTymAPGmSdHs8BvZEvs9Zz\n"
	"-----END PRIVATE KEY-----\n";
static const char other_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIJLq5BP0OMe5kSrwHMa+gznE+mJK2lfPVEMhKbJsv/72\n"
	"-----END PRIVATE KEY-----\n";
/* CN=Fuzz Test CA, CA:TRUE, keyCertSign and cRLSign, valid 2026-12-01 to 2126-11-07. */
static const char fixture_ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBQTCB9KADAgECAgEBMAUGAytlcDAXMRUwEwYDVQQDDAxGdXp6IFRlc3QgQ0Ew\n"
	"IBcNMjYxMjAxMjAyMDUyWhgPMjEyNjExMDcyMDIwNTJaMBcxFTATBgNVBAMMDEZ1\n"
	"enogVGVzdCBDQTAqMAUGAytlcAMhAL+vpR2tTNBC03UT+ln1ZtcNk5/Cmubb0eVr\n"
	"J/Ddtzkpo2MwYTAdBgNVHQ4EFgQUTCe9nFE14CjFF5Gb7VRy0LAaXI4wHwYDVR0j\n"
	"BBgwFoAUTCe9nFE14CjFF5Gb7VRy0LAaXI4wDwYDVR0TAQH/BAUwAwEB/zAOBgNV\n"
	"HQ8BAf8EBAMCAQYwBQYDK2VwA0EAUwq+qd+kxadgejyy8TzLLocl4VJ15VTPzY88\n"
	"cvCHRM7ibCMD7P/VOIUyeV5GOq2Gcb9BEE0OKePGRHK5Pex+Ag==\n"
	"-----END CERTIFICATE-----\n";
static const char not_a_cert[] =
	"-----BEGIN CERTIFICATE-----\nMIIBQTCB9KADAgECAgEB\n-----END CERTIFICATE-----\n";

enum { S_FLAGS, S_INDEX, S_CONF, S_CRLNUMBER, S_CERTS, S_CRL };
enum { F_SERIAL, F_CN, F_EMAIL, F_O, F_OU, F_L, F_C, F_NB, F_NA, F_OPTS, F_N };

static EVP_PKEY *ca_key, *other_key;
static X509 *ca_cert;
static char *work, *home;
static int verbose; /* $FUZZ_VERBOSE: print the report or the error, to follow an input */

static EVP_PKEY *read_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (!k)
		abort();
	return k;
}

static void free_fixtures(void)
{
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	X509_free(ca_cert);
	free(work);
	free(home);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	BIO *b = BIO_new_mem_buf(fixture_ca_pem, -1);

	ca_cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!ca_cert)
		abort();
	ca_key = read_key(ca_key_pem);
	other_key = read_key(other_key_pem);
	work = cd_asprintf("%s/work", fuzz_tmpdir());
	home = cd_asprintf("%s/home", fuzz_tmpdir());
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	atexit(free_fixtures);
	return 0;
}

/* ---- certificates and the CRL, made from the input ---- */

static char *pem_of(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = cd_strndup(data, n > 0 ? (size_t)n : 0);

	BIO_free(b);
	return s;
}

static long days(const char *s)
{
	long d = strtol(s, NULL, 10);

	return d < -40000 ? -40000 : d > 40000 ? 40000 : d;
}

static int set_serial(ASN1_INTEGER *ai, const char *hex)
{
	BIGNUM *bn = NULL;
	int ok = BN_hex2bn(&bn, hex) > 0 && BN_to_ASN1_INTEGER(bn, ai) != NULL;

	BN_free(bn);
	return ok;
}

/* Raw bytes, as a hostile or broken CA may have written them: not checked as UTF-8. */
static void add_name(X509_NAME *nm, int nid, const char *v)
{
	if (*v)
		X509_NAME_add_entry_by_NID(nm, nid, V_ASN1_UTF8STRING, (const unsigned char *)v,
					   (int)strlen(v), -1, 0);
}

static void add_email(X509 *x, const char *email)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();

	ASN1_STRING_set(s, email, (int)strlen(email));
	GENERAL_NAME_set0_value(g, GEN_EMAIL, s);
	sk_GENERAL_NAME_push(gens, g);
	X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT);
	GENERAL_NAMES_free(gens);
}

static void add_ext(X509 *x, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

	if (e)
		X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static void cert_fields(X509 *x, char **f)
{
	X509_NAME *nm = X509_get_subject_name(x);
	const char *opts = f[F_OPTS];

	add_name(nm, NID_commonName, f[F_CN]);
	add_name(nm, NID_organizationName, f[F_O]);
	add_name(nm, NID_organizationalUnitName, f[F_OU]);
	add_name(nm, NID_localityName, f[F_L]);
	add_name(nm, NID_countryName, f[F_C]);
	if (*f[F_EMAIL])
		add_email(x, f[F_EMAIL]);
	add_ext(x, NID_basic_constraints, strchr(opts, 'c') ? "critical,CA:TRUE" : "CA:FALSE");
	if (strchr(opts, 's'))
		add_ext(x, NID_ext_key_usage, "serverAuth");
	else if (!strchr(opts, 'e'))
		add_ext(x, NID_ext_key_usage, "clientAuth");
}

/* The PEM of the certificate a spec line describes, or NULL when it makes none. */
static char *make_cert(char **f)
{
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;

	if (X509_set_version(x, 2) && set_serial(X509_get_serialNumber(x), f[F_SERIAL]) &&
	    X509_set_issuer_name(x, X509_get_subject_name(ca_cert)) &&
	    ASN1_TIME_set(X509_getm_notBefore(x), BASE + days(f[F_NB]) * CD_DAY) &&
	    ASN1_TIME_set(X509_getm_notAfter(x), BASE + days(f[F_NA]) * CD_DAY) &&
	    X509_set_pubkey(x, other_key)) {
		cert_fields(x, f);
		if (X509_sign(x, strchr(f[F_OPTS], 'o') ? other_key : ca_key, NULL) > 0 &&
		    PEM_write_bio_X509(b, x))
			pem = pem_of(b), b = NULL;
	}
	BIO_free(b);
	X509_free(x);
	ERR_clear_error();
	return pem;
}

static void crl_add(X509_CRL *crl, const char *hex, const ASN1_TIME *when)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *ai = ASN1_INTEGER_new();

	if (set_serial(ai, hex) && X509_REVOKED_set_serialNumber(r, ai) &&
	    X509_REVOKED_set_revocationDate(r, (ASN1_TIME *)when) && X509_CRL_add0_revoked(crl, r))
		r = NULL;
	X509_REVOKED_free(r);
	ASN1_INTEGER_free(ai);
}

static void crl_number(X509_CRL *crl, const char *dec)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;

	if (BN_dec2bn(&bn, dec) > 0 && (ai = BN_to_ASN1_INTEGER(bn, NULL)))
		X509_CRL_add1_ext_i2d(crl, NID_crl_number, ai, 0, X509V3_ADD_DEFAULT);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
}

/* serials: NULL-terminated; number: decimal, or NULL for none. */
static char *make_crl(char **serials, const char *number, EVP_PKEY *key)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *last = ASN1_TIME_set(NULL, BASE - CD_DAY);
	ASN1_TIME *next = ASN1_TIME_set(NULL, BASE + 30 * CD_DAY);
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;

	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_cert));
	X509_CRL_set1_lastUpdate(crl, last);
	X509_CRL_set1_nextUpdate(crl, next);
	for (; *serials; serials++)
		crl_add(crl, *serials, last);
	if (number)
		crl_number(crl, number);
	X509_CRL_sort(crl);
	if (X509_CRL_sign(crl, key, NULL) > 0 && PEM_write_bio_X509_CRL(b, crl))
		pem = pem_of(b), b = NULL;
	BIO_free(b);
	ASN1_TIME_free(last);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	ERR_clear_error();
	return pem;
}

/* ---- the source layout ---- */

#define MAX_CERTS 8
#define MAX_CRL 32

struct layout {
	int easyrsa;
	const char *flags;
	char *dir;                   /* WORK/ca or WORK/pki */
	const char *crl[MAX_CRL + 1]; /* serials revoked in the CRL, NULL-terminated */
	size_t ncrl;
};

static int flag(const struct layout *l, char c)
{
	return strchr(l->flags, c) != NULL;
}

static void put(const struct layout *l, const char *name, const char *s)
{
	fuzz_write(l->dir, name, s, strlen(s));
}

/* Section i written as it is (NUL bytes too); nothing when it is empty. */
static void put_part(const struct layout *l, const char *name, const fuzz_parts *p, size_t i)
{
	if (i < p->n && p->len[i])
		fuzz_write(l->dir, name, p->part[i], p->len[i]);
}

static int file_name_ok(const char *s)
{
	return *s && strlen(s) <= 200 && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/* Where a certificate goes: named by its serial, or by its CN in issued/. */
static char *cert_file(const struct layout *l, char **f)
{
	const char *o = f[F_OPTS], *s = f[F_SERIAL];

	if (!file_name_ok(s) || strspn(s, "0123456789abcdefABCDEF") != strlen(s))
		return NULL;
	if (!l->easyrsa)
		return cd_asprintf("%s/%s.pem", strchr(o, 'i') ? "certs" : "newcerts", s);
	if (strchr(o, 'i'))
		return file_name_ok(f[F_CN]) ? cd_asprintf("issued/%s.crt", f[F_CN]) : NULL;
	if (strchr(o, 'v'))
		return cd_asprintf("revoked/certs_by_serial/%s.crt", s);
	if (strchr(o, 'w'))
		return cd_asprintf("renewed/certs_by_serial/%s.crt", s);
	return cd_asprintf("certs_by_serial/%s.pem", s);
}

/* Cuts a spec line at '|' into F_N fields; missing ones are "". */
static void split_fields(char *line, char **f)
{
	size_t i;

	for (i = 0; i < F_N; i++) {
		f[i] = line;
		line += strcspn(line, "|");
		if (*line)
			*line++ = '\0';
	}
}

static void write_cert(struct layout *l, char *line)
{
	char *f[F_N], *file, *pem;

	split_fields(line, f);
	if (strchr(f[F_OPTS], 'r') && l->ncrl < MAX_CRL)
		l->crl[l->ncrl++] = f[F_SERIAL];
	if (!(file = cert_file(l, f)))
		return;
	if (strchr(f[F_OPTS], 'g')) {
		put(l, file, not_a_cert);
	} else if ((pem = make_cert(f))) {
		put(l, file, pem);
		free(pem);
	}
	free(file);
}

/* Lines of s, each cut off in place; at most max of them go to fn. */
static void each_line(struct layout *l, char *s, size_t max, void (*fn)(struct layout *, char *))
{
	char *next;

	for (; s && *s && max > 0; s = next, max--) {
		next = strchr(s, '\n');
		if (next)
			*next++ = '\0';
		fn(l, s);
	}
}

static void add_crl_serial(struct layout *l, char *line)
{
	if (l->ncrl < MAX_CRL)
		l->crl[l->ncrl++] = line;
}

static void write_crl(struct layout *l, fuzz_parts *p)
{
	char *number = S_CRL < p->n ? p->part[S_CRL] : "1", *rest = strchr(number, '\n'), *pem;

	if (rest)
		*rest++ = '\0';
	each_line(l, rest, MAX_CRL, add_crl_serial);
	l->crl[l->ncrl] = NULL;
	pem = make_crl((char **)l->crl, flag(l, 'N') ? NULL : number,
		       flag(l, 'O') ? other_key : ca_key);
	if (pem)
		put(l, "crl.pem", pem);
	free(pem);
}

static void write_layout(struct layout *l, fuzz_parts *p)
{
	int other_names = !l->easyrsa && !flag(l, 'W');

	put_part(l, "index.txt", p, S_INDEX);
	put(l, other_names ? "cacert.pem" : "ca.crt", fixture_ca_pem);
	if (!flag(l, 'X'))
		put(l, other_names ? "private/cakey.pem" : "private/ca.key",
		    flag(l, 'K') ? other_key_pem : ca_key_pem);
	if (!l->easyrsa)
		put_part(l, "openssl.cnf", p, S_CONF);
	put_part(l, "crlnumber", p, S_CRLNUMBER);
	if (S_CERTS < p->n)
		each_line(l, p->part[S_CERTS], MAX_CERTS, write_cert);
	if (flag(l, 'C'))
		write_crl(l, p);
}

/* ---- the checks ---- */

static void check_left_nothing(void)
{
	DIR *d = opendir(fuzz_tmpdir());
	struct dirent *e;

	FUZZ_CHECK(d != NULL && !cd_path_exists(home));
	while ((e = readdir(d)))
		FUZZ_CHECK(!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
			   !strcmp(e->d_name, "work"));
	closedir(d);
}

static void check_report(const import_opts *o, const import_report *r)
{
	char *text = NULL;
	size_t n = 0, i;
	FILE *fp = open_memstream(&text, &n);

	FUZZ_CHECK(fp != NULL);
	import_report_print(fp, o, r);
	fclose(fp);
	FUZZ_CHECK(cd_utf8_valid(text, n));
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		FUZZ_CHECK(c == '\n' || (c >= 0x20 && c != 0x7F));
		FUZZ_CHECK(!(c == 0xC2 && (unsigned char)text[i + 1] < 0xA0));
	}
	free(text);
}

/*
 * A configuration that could make the import read files outside the source (which
 * would make the target depend on the machine, or hang on a FIFO): an include, an
 * environment variable, or a path certdesk reads that is absolute or climbs out.
 * It is parsed here as import.c parses it, so the paths seen are the ones it uses.
 */
static int escapes(const fuzz_parts *p)
{
	static const char *const keys[] = {"database", "certificate", "private_key", "crl",
					   "crlnumber", "new_certs_dir", "certs"};
	const char *text = fuzz_part(p, S_CONF, ""), *sect, *v;
	CONF *conf;
	BIO *b;
	long eline = 0;
	size_t i;
	int bad = 0;

	if (!*text || strstr(text, "ENV") || strcasestr(text, "include"))
		return *text != '\0';
	conf = NCONF_new(NULL);
	b = BIO_new_mem_buf(text, (int)p->len[S_CONF]);
	if (conf && b && NCONF_load_bio(conf, b, &eline) > 0) {
		sect = NCONF_get_string(conf, "ca", "default_ca");
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			v = NCONF_get_string(conf, sect ? sect : "CA_default", keys[i]);
			bad |= v && (v[0] == '/' || strstr(v, "..") != NULL);
		}
	}
	ERR_clear_error();
	BIO_free(b);
	NCONF_free(conf);
	return bad;
}

static void run(fuzz_parts *p)
{
	struct layout l = {0};
	import_opts o = {0};
	import_report r;

	l.flags = p->part[S_FLAGS];
	l.easyrsa = flag(&l, 'E');
	l.dir = cd_asprintf("%s/%s", work, l.easyrsa ? "pki" : "ca");
	fuzz_clear(work);
	write_layout(&l, p);
	o.kind = l.easyrsa ? IMPORT_EASYRSA : IMPORT_OPENSSL_CA;
	o.dir = l.dir;
	o.home = home;
	o.now = BASE;
	if (import_run(&o, &r) == 0)
		check_report(&o, &r);
	if (verbose && r.ca_name)
		import_report_print(stderr, &o, &r);
	else if (verbose)
		fprintf(stderr, "import: %s\n", cd_errmsg());
	import_report_free(&r);
	check_left_nothing();
	free(l.dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parts p;

	fuzz_split(data, size, "%%\n", 3, &p);
	if (!escapes(&p))
		run(&p);
	fuzz_parts_free(&p);
	return 0;
}
