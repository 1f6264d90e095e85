/* store.h: the SQLite database: schema and migrations, settings, users, certificates,
 * the audit trail.  Prepared statements only; writes inside BEGIN IMMEDIATE. */
#ifndef CD_STORE_H
#define CD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef struct store store;

#define STORE_SCHEMA_VERSION 8

/* Opens path: read-only opens never write; writable ones migrate the schema. Only
 * STORE_CREATE creates the file and its schema (init, a new home by import): without
 * it, a missing or empty file, or a database without tables, returns STORE_LOST with a
 * message naming path and what is wrong. A newer schema, a corrupt or non-SQLite file
 * are errors (-1). */
#define STORE_READONLY 1
#define STORE_CREATE 2
#define STORE_LOST (-2)
int store_open(const char *path, int flags, store **out);
void store_close(store *st);
int store_readonly(const store *st);
/* Changes whenever another connection commits (PRAGMA data_version). */
int64_t store_data_version(store *st);

/* BEGIN IMMEDIATE (waits up to 5 s for another writer, then "database is busy"). */
int store_begin(store *st);
int store_commit(store *st);
void store_rollback(store *st);
/* Certificates read from now on end no later than cap (the CA's notAfter; 0: none). */
void store_set_validity_cap(store *st, int64_t cap);
/* Bytes of rows a listing by expiry holds in memory before it writes sorted runs to a
 * file in $TMPDIR (0: STORE_SORT_LIMIT). */
#define STORE_SORT_LIMIT ((size_t)16 << 20)
void store_set_sort_limit(store *st, size_t bytes);
/* Sorted runs the last listing wrote (0: its rows fitted in memory, or it was not by
 * expiry). */
size_t store_sort_runs(const store *st);
/* Ends what store_begin began: commits when rc is 0, else rolls back, keeping the
 * caller's error. Returns 0, or -1. Every write transaction ends here. */
int store_end(store *st, int rc);

/* Settings: raw key/value; validation and defaults live in conf.c. */
int store_setting_get(store *st, const char *key, char **value); /* *value NULL if unset */
int store_setting_set(store *st, const char *key, const char *value);

/* Audit trail: inside the caller's transaction, else in one of its own. Each row carries
 * a SHA-256 chained to the previous row's (what it covers: audit_hash in store.c). */
int store_audit(store *st, int64_t at, const char *actor, const char *action,
		const char *user, const char *detail);
/* on: each audit entry also goes to syslog (LOG_AUTHPRIV) once its transaction commits. */
void store_audit_syslog(store *st, int on);
/* The chain recomputed in id order; fn (may be NULL) gets each row's stored hash. */
typedef struct {
	int64_t rows;
	int64_t bad_id;       /* the first row whose hash does not match; 0: none */
	int64_t bad_at;
	char bad_action[32], bad_user[64];
	char head[65];        /* the last row's stored hash, "" when there is no row */
} store_chain;
typedef int (*store_hash_fn)(void *ctx, int64_t id, const char *hash);
int store_audit_chain(store *st, store_hash_fn fn, void *ctx, store_chain *out);
/* The last row's hash: the chain head pushed with each CRL ("" when no row). */
int store_audit_head(store *st, char head[65]);
/* The latest row of that action (id and time, 0 when none). */
int store_audit_last_of(store *st, const char *action, int64_t *id, int64_t *at);
typedef int (*store_audit_fn)(void *ctx, int64_t at, const char *actor, const char *action,
			      const char *user, const char *detail);
int store_audit_each(store *st, const char *user, store_audit_fn fn, void *ctx);

typedef struct {
	int64_t id;
	const char *name, *full_name, *email, *phone, *location, *org, *ou, *country;
} store_user;

/* One certificate row. Strings point into SQLite's memory: valid during a callback only. */
typedef struct {
	int64_t id, user_id, replaces;
	const char *serial, *subject, *key_type, *state, *p12_path, *pw_path, *task,
	           *applied_via, *publish_commit;
	int64_t not_before, not_after, issued_at, notified_at, applied_at, revoke_at,
	        published_at;
	int revoke_reason, revoke_forced;
	const char *issuer; /* the issuing CA's key id (ca_kid); NULL: the home's first CA */
} store_cert;

/* A user with their current certificate and, when that one is a renewal, the
 * certificate it replaces (old.id == 0 when none). */
typedef struct {
	store_user u;
	store_cert cur, old;
} store_row;

typedef int (*store_row_fn)(void *ctx, const store_row *row);
/* dst = src with every string copied into b (emptied first; its block then owns them). */
void store_row_copy(store_row *dst, const store_row *src, cd_buf *b);

/* STORE_STORED: the order rows are stored in, for readers that sort for themselves. */
enum store_order { STORE_BY_EXPIRY, STORE_BY_USER, STORE_STORED };
/* Every user, ordered. Returns -1 on error or when fn returns non-zero (with its error). */
int store_rows(store *st, enum store_order order, store_row_fn fn, void *ctx);
/* Every user, as store_rows, but reading only what a listing needs: u.id, name, full_name,
 * email; of cur and old: id, serial, not_after, issued_at, notified_at, applied_at,
 * revoke_at, published_at, revoke_forced, pw_path, task, issuer. Enough for every rule of
 * cycle.h that judges a row (stage, actions, late, the cycle's certificate); the other
 * fields are 0, NULL, or "" where store_rows never gives NULL. */
int store_brief_rows(store *st, enum store_order order, store_row_fn fn, void *ctx);
/* Users whose current certificate ends before `before`, by expiry. */
int store_rows_expiring(store *st, int64_t before, store_row_fn fn, void *ctx);
/* One user; *found = 0 when there is none. */
int store_row_get(store *st, const char *user, store_row_fn fn, void *ctx, int *found);
/* Every certificate of a user, oldest first. */
typedef int (*store_cert_fn)(void *ctx, const store_cert *c);
int store_certs_of(store *st, int64_t user_id, store_cert_fn fn, void *ctx);
/* Every certificate whose revocation is scheduled and not yet published, with its
 * user and the certificate replacing it (as row.cur = the revoked one, row.old = the
 * replacement, id 0 when none). */
int store_revocations_pending(store *st, store_row_fn fn, void *ctx);
/* Every published revocation, for the CRL: the certificates' and the orphans'. */
typedef int (*store_revoked_fn)(void *ctx, const char *serial, int64_t at, int reason,
				const char *issuer);
int store_revocations_published(store *st, store_revoked_fn fn, void *ctx);
int store_cert_by_serial(store *st, const char *serial, int64_t *cert_id);
/* The certificate's scheduled and published revocation times, 0 when none. */
int store_cert_revocation(store *st, int64_t cert_id, int64_t *revoke_at, int64_t *published_at);
/* *known: a certificate or an orphan revocation has this serial. */
int store_serial_known(store *st, const char *serial, int *known);
int store_cert_pem(store *st, int64_t cert_id, char **pem);

/* Writes (inside the caller's transaction). */
int store_user_insert(store *st, const store_user *u, int64_t now, int64_t *id);
int store_user_update(store *st, const store_user *u);
typedef struct {
	int64_t user_id, replaces;
	const char *serial, *subject, *key_type, *pem, *p12_path, *pw_path;
	int64_t not_before, not_after, issued_at;
	const char *issuer; /* ca_kid of the CA that signed it */
} store_new_cert;
int store_cert_insert_pending(store *st, const store_new_cert *c, int64_t *id);
int store_cert_mark_issued(store *st, int64_t cert_id, int64_t user_id);
int store_cert_set(store *st, int64_t cert_id, const char *column, int64_t value);
int store_cert_set_text(store *st, int64_t cert_id, const char *column, const char *value);
int store_cert_schedule_revoke(store *st, int64_t cert_id, int64_t at, int reason, int forced);

/* A revocation that no user's certificate holds (an import's revoked certificate that
 * has no usable user, or a serial only the old CRL listed): published, in every CRL. */
typedef struct {
	const char *serial, *subject, *why;
	int64_t revoke_at, not_after, published_at; /* not_after 0: unknown */
	int reason;
	const char *issuer; /* the CA whose CRL lists it; NULL: the issuing one */
} store_orphan;
int store_orphan_insert(store *st, const store_orphan *o);
/* A rollover: rows from before issuers were recorded are the old CA's. */
int store_issuer_fill(store *st, const char *kid);
/* The latest end of a certificate that CA issued (revoked ones included), 0: none. */
int store_issuer_last_end(store *st, const char *kid, int64_t *end);

/* Certificates left 'pending' by an interrupted issue; the caller removes their files. */
typedef int (*store_pending_fn)(void *ctx, int64_t cert_id, const char *serial,
				const char *p12_path, const char *pw_path);
int store_pending_each(store *st, store_pending_fn fn, void *ctx);
int store_cert_delete(store *st, int64_t cert_id);

/* CRLs */
/* One above the highest CRL recorded (published or signed by `crl`). */
int store_crl_next_number(store *st, int64_t *number);
/* The number to sign the next CRL with: above every recorded and reserved one. */
int store_crl_fresh_number(store *st, int64_t *number);
/* Reserves every number up to last, in its own transaction, before such a CRL leaves. */
int store_crl_reserve(store *st, int64_t last);
int store_crl_record(store *st, int64_t number, int64_t this_update, int64_t next_update,
		     const char *commit_id, int64_t published_at);
int store_crl_last_published(store *st, int64_t *number, int64_t *next_update, int *found);
int store_revocation_published(store *st, int64_t cert_id, int64_t at, const char *commit);

/* Counts for the header and for benchmarks. */
int store_count(store *st, const char *what, int64_t *n); /* "users", "certs" */

/* For verify: SQLite's integrity_check and foreign_key_check, and rows an interrupted
 * write leaves (pending certificates, certificates without PEM, users without a
 * current certificate, audit rows without hash); fn gets one line per problem. */
typedef int (*store_problem_fn)(void *ctx, const char *line);
int store_check(store *st, store_problem_fn fn, void *ctx);
/* Every certificate row with its user's name and its PEM (NULL when it has none). */
typedef int (*store_cert_pem_fn)(void *ctx, const char *user, const store_cert *c,
				 const char *pem, size_t len);
int store_certs_all(store *st, store_cert_pem_fn fn, void *ctx);

/* The last published CRL (commit_id "" when none was recorded). */
typedef struct {
	int64_t number, this_update, next_update;
	int64_t published_at; /* when the push that carried it succeeded */
	char commit_id[41];
} store_crl;
int store_crl_last(store *st, store_crl *out, int *found);

/* Backup and restore. */
int store_schema_version(store *st, int *version);
/* A consistent copy of the whole database into path (created, never replaced), in
 * rollback-journal mode: SQLite's online backup, while others keep writing. */
int store_backup_to(store *st, const char *path);
/* Opens a database held in memory (len bytes of a database file, copied), migrated
 * there; name is used in messages. STORE_LOST as store_open for no certdesk schema. */
int store_open_image(const void *data, size_t len, const char *name, store **out);
/* A revocation found in a published CRL of this CA that the database did not hold:
 * recorded as scheduled and published at once (inside the caller's transaction). */
int store_revocation_taken_in(store *st, int64_t cert_id, int64_t revoke_at, int reason,
			      int64_t published_at, const char *commit);
/* The user holding a certificate (*user NULL when none), malloc'd. */
int store_user_of_cert(store *st, int64_t cert_id, char **user);

/* Canaries (see canary.h): the controls newest first, then the revoked ones by CRL, newest
 * first. store_canary_put inserts or updates one. */
typedef struct {
	char serial[80], issuer[41]; /* issuer "" for NULL */
	int64_t not_before, not_after;
	int64_t revoked_at;          /* 0: not revoked (a control) */
	int64_t crl_number, pushed_at, dropped_at;
} store_canary;
typedef int (*store_canary_fn)(void *ctx, const store_canary *k);
int store_canaries(store *st, store_canary_fn fn, void *ctx);
int store_canary_put(store *st, const store_canary *k);
/* Probe results: one row per target and run (numbered from 1: store_probe_next_run, in
 * the transaction that adds them); store_probe_last gives the latest run's. */
int store_probe_next_run(store *st, int64_t *n);
int store_probe_add(store *st, int64_t n, int64_t run_at, const char *target,
		    const char *state, int64_t level, int64_t behind, const char *detail);
typedef int (*store_probe_fn)(void *ctx, int64_t run_at, const char *target,
			      const char *state, int64_t level, int64_t behind,
			      const char *detail);
int store_probe_last(store *st, store_probe_fn fn, void *ctx);

#endif
