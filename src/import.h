/* import.h: adopting an existing CA: an `openssl ca` directory or an easy-rsa 3 pki/.
 * The users, certificates, revocations and CRL number it holds become a certdesk home. */
#ifndef CD_IMPORT_H
#define CD_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "desk.h"
#include "util.h"

typedef enum { IMPORT_OPENSSL_CA, IMPORT_EASYRSA } import_kind;

typedef struct {
	import_kind kind;
	const char *dir;      /* the `openssl ca` directory, or the easy-rsa pki/ */
	const char *config;   /* openssl-ca only: its openssl.cnf; NULL: DIR/openssl.cnf if
	                         present, else the usual file names inside DIR */
	const char *home;     /* created with the imported CA when it does not exist */
	int apply;            /* 0: dry run, nothing is written (not even the home) */
	int64_t now;          /* judges valid against expired */
	desk_ask_fn ask;      /* asks for the CA key's passphrase when
	                         $CERTDESK_PASSPHRASE_FILE is not set; may be NULL */
	void *ask_ctx;
} import_opts;

/* What an import found and did (or would do); counts are of new rows only. */
typedef struct {
	char *ca_name;
	int new_home;
	int64_t users_new, users_known;
	int64_t certs_new, certs_known, valid, expired, revoked, published, scheduled, held;
	int64_t orphans, orphans_unlisted; /* revocations without a user; not in the CRL */
	int64_t revoked_since;    /* certificates already in the home, revoked in the source */
	int64_t conflicts, problems;
	int crl_found;
	int64_t crl_number, crl_entries, crl_next_update;
	int64_t next_crl_number;  /* the number certdesk's next CRL will carry */
	cd_buf notes;             /* one line per conflict or problem */
} import_report;

/*
 * Reads the source, checks it (CA key matches the certificate, every certificate signed
 * by the CA, the home holds no other CA) and, with o->apply, writes it in one transaction.
 * Certificates already in the home are left alone (but for a revocation the source
 * recorded since), so a second import adds nothing. No revoked serial is dropped: one
 * that cannot be a user's certificate becomes an orphan revocation (store_orphan).
 * Fatal problems (missing or malformed index.txt, a file that is not PEM, a key that
 * does not match or cannot be decrypted) return -1 with a message naming the file and
 * line, and nothing is written.
 */
int import_run(const import_opts *o, import_report *r);
void import_report_print(FILE *fp, const import_opts *o, const import_report *r);
void import_report_free(import_report *r);

/* Parses an index.txt time (YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ): 0, or -1 if malformed. */
int import_parse_time(const char *s, int64_t *out);

#endif
