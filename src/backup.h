/* backup.h: a whole home in one encrypted file, and a new home made from one.
 *
 * A backup is a ustar archive (a manifest, a consistent snapshot of the database, the
 * files of ca/ and templates/ as they are) inside CMS EnvelopedData with a password
 * recipient (RFC 3211, AES-256-CBC): `openssl cms -decrypt -pwri_password PASS -inform
 * DER -in FILE | tar t` opens it without certdesk. The manifest names every member
 * with its SHA-256 and ends with a digest of itself, since CBC alone would let a changed
 * byte through unnoticed. */
#ifndef CD_BACKUP_H
#define CD_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "desk.h"

/* The archive's first member. */
#define BACKUP_MANIFEST "certdesk-backup.txt"
/* PBKDF2 rounds of the password recipient (the key-encryption key). */
#define BACKUP_PBKDF2_ITER 500000

/* What a backup holds, as --check and restore report it. */
typedef struct {
	int64_t taken;
	char *source;        /* host:home it was taken from */
	char *ca_subject;    /* RFC 2253 */
	int64_t ca_not_after;
	int key_encrypted;   /* the CA key is passphrase-protected */
	char *token_uri;     /* the CA key is on this token (not in the backup); NULL: a file */
	int schema;          /* the database's schema version when taken */
	int64_t users, certs;
	int64_t crl_number;  /* the last CRL Number published, 0 when none */
	size_t files;        /* members besides the manifest */
	size_t bytes;        /* of the archive */
} backup_info;
void backup_info_free(backup_info *info);

/* Writes the backup of d's home to file (0600, created exclusively, fsync'd; never
 * replaces a file), encrypted under pass. The database is copied through a temporary
 * file inside the home, removed before returning (or by the next backup after a kill). */
int backup_write(desk *d, const char *file, const char *pass, backup_info *info);

/* Decrypts file and checks every member against the manifest, restoring nothing. A
 * wrong passphrase, a truncated and a changed file each fail with one line. */
int backup_check(const char *file, const char *pass, backup_info *info);

/* Receives what is worth knowing but no error (one line each). */
typedef void (*backup_note_fn)(void *ctx, const char *line);

typedef struct {
	const char *home, *file, *pass;
	/* The CA key's passphrase, to check that the key matches the certificate; NULL:
	 * an encrypted key is checked at its first signing (a note says so). */
	const char *ca_pass;
	backup_note_fn note;
	void *ctx;
} backup_restore_opts;

/*
 * Makes o->home (missing, or an empty directory) from the backup. Everything is checked
 * before the home appears: the archive decrypts and matches its manifest, the database
 * opens and is a certdesk database, the key matches the certificate, and the CRL on the
 * repository the backup names (crl.remote), when it can be read, is this CA's. The home
 * is built in a directory beside it and renamed last: a kill leaves no half home.
 */
int backup_restore(const backup_restore_opts *o, backup_info *info);

#endif
