/* store.c: the SQLite database. See store.h. */
#include "store.h"

#include "spool.h"

#include <sqlite3.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include <openssl/evp.h>

#include "embed.h"
#include "util.h"

#define STMT_CACHE 80

struct store {
	sqlite3 *db;
	int readonly;
	int wrote; /* a write transaction was begun */
	int64_t cap;       /* the issuer's end: no certificate is read as valid past it */
	size_t sort_limit; /* bytes a listing by expiry holds before it writes runs */
	size_t sort_runs;  /* the runs the last listing wrote */
	int syslog;          /* also send each audit entry to syslog once committed */
	cd_buf syslog_queue; /* this transaction's entries, one per line */
	struct {
		const char *sql; /* cached by the address of the literal */
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
};

/* SQLite's words, and the system's when they say more ("disk I/O error" is a full
 * disk more often than not). */
static const char *db_why(store *st, char *buf, size_t size)
{
	int e = sqlite3_system_errno(st->db);

	if (e == ENOSPC || e == EDQUOT)
		snprintf(buf, size, "%s (%s)", sqlite3_errmsg(st->db), strerror(e));
	else
		snprintf(buf, size, "%s", sqlite3_errmsg(st->db));
	return buf;
}

static int db_err(store *st, const char *what)
{
	char why[256];

	return cd_err("database: %s: %s", what, db_why(st, why, sizeof why));
}

/* Returns a reset prepared statement for a literal SQL string; prepared once. */
static sqlite3_stmt *stmt(store *st, const char *sql)
{
	int i;

	for (i = 0; i < STMT_CACHE && st->cache[i].sql; i++) {
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			return st->cache[i].stmt;
		}
	}
	if (i == STMT_CACHE) {
		cd_err("internal error: statement cache full");
		return NULL;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &st->cache[i].stmt, NULL) != SQLITE_OK) {
		db_err(st, "prepare");
		return NULL;
	}
	st->cache[i].sql = sql;
	return st->cache[i].stmt;
}

static int exec(store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		char why[256];

		cd_err("database: %s", db_why(st, why, sizeof why));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int one_int(store *st, sqlite3_stmt *s, int64_t *out, int *found)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	*found = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(st, "query");
}

static int user_version(store *st, int *v)
{
	sqlite3_stmt *s = stmt(st, "PRAGMA user_version");

	if (!s || sqlite3_step(s) != SQLITE_ROW) {
		/* A WAL database needs its -wal and -shm files; a reader who may not create
		 * them (another tool removed them on close) can do nothing about it. */
		if (st->readonly && (sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_READONLY)
			return cd_err("the database's -wal and -shm files are missing and this user "
				      "cannot create them: run any certdesk command (e.g. list) once "
				      "as a user who can write the home");
		if (sqlite3_system_errno(st->db) == ENOSPC)
			return db_err(st, "cannot read the schema version");
		return db_err(st, "cannot read the schema version (is it a certdesk database?)");
	}
	*v = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return 0;
}

static int mask_audit_credentials(store *st);
static int chain_existing(store *st);

/* Migrations: step i brings the schema from version i to i+1. */
static int migration(store *st, int version)
{
	/* 1 -> 2: every writable open looks for interrupted issues; without this index
	 * that read every certificate (11 ms at 100,000). */
	static const char v2[] = "CREATE INDEX certs_pending ON certs(id) WHERE state = 'pending';";
	/* 3 -> 4 (orphan revocations): a revoked serial that no user's certificate holds,
	 * such as an imported one whose CN is not a user name or that only the old CRL
	 * listed. RFC 5280 3.3: it must stay in every CRL, so it needs a row of its own. */
	static const char v4[] =
		"CREATE TABLE orphan_revocations (\n"
		"	serial        TEXT PRIMARY KEY,  -- as certs.serial\n"
		"	revoke_at     INTEGER NOT NULL,\n"
		"	revoke_reason INTEGER NOT NULL,\n"
		"	not_after     INTEGER,           -- NULL: only the CRL knew the serial\n"
		"	subject       TEXT NOT NULL DEFAULT '',\n"
		"	why           TEXT NOT NULL,     -- why it has no user\n"
		"	published_at  INTEGER NOT NULL\n"
		") WITHOUT ROWID;";
	/* 4 -> 5 (reserved CRL numbers): the highest number a CRL was signed with, kept
	 * before the CRL leaves certdesk, so that no two CRLs ever share one (RFC 5280
	 * 5.2.3), even when a run dies between its push and its record. */
	static const char v5[] =
		"CREATE TABLE crl_reserved (number INTEGER NOT NULL);\n"
		"INSERT INTO crl_reserved SELECT coalesce(max(number), 0) FROM crls;";

	/* 5 -> 6 (a tamper-evident audit trail): each row's hash chains it to the one
	 * before (see audit_hash); the existing rows are chained here, in id order. */
	static const char v6[] = "ALTER TABLE audit ADD COLUMN hash TEXT;";
	static const char has_hash[] = "SELECT count(*) FROM pragma_table_info('audit') "
				       "WHERE name = 'hash'";
	static const char has_issuer[] = "SELECT count(*) FROM pragma_table_info('certs') "
					 "WHERE name = 'issuer'";
	int64_t hashed = 0;
	int found;

	/* 6 -> 7 (a CA rollover): which CA issued each certificate and orphan revocation,
	 * by key identifier (ca_kid); NULL on rows from before: the CA of the home then,
	 * filled in by the first rollover (store_issuer_fill). */
	static const char v7[] = "ALTER TABLE certs ADD COLUMN issuer TEXT;\n"
				 "ALTER TABLE orphan_revocations ADD COLUMN issuer TEXT;\n"
				 "CREATE INDEX certs_issuer ON certs(issuer, not_after);";

	/* 7 -> 8 (canaries and probes): certdesk's own client certificates, one valid and
	 * the newer ones revoked, that tell from outside which CRL a server enforces, and
	 * what each probe found. IF NOT EXISTS: a version set back by hand keeps them. */
	static const char v8[] =
		"CREATE TABLE IF NOT EXISTS canaries (\n"
		"	id          INTEGER PRIMARY KEY,  -- issue order\n"
		"	serial      TEXT NOT NULL UNIQUE,\n"
		"	issuer      TEXT,\n"
		"	not_before  INTEGER NOT NULL,\n"
		"	not_after   INTEGER NOT NULL,\n"
		"	revoked_at  INTEGER,              -- NULL: a control\n"
		"	crl_number  INTEGER,              -- the first CRL that revokes it\n"
		"	pushed_at   INTEGER,\n"
		"	dropped_at  INTEGER               -- left out of the CRLs once expired\n"
		");\n"
		"CREATE TABLE IF NOT EXISTS probe_results (\n"
		"	id      INTEGER PRIMARY KEY,\n"
		"	run     INTEGER NOT NULL,         -- one per probe, growing\n"
		"	run_at  INTEGER NOT NULL,\n"
		"	target  TEXT NOT NULL,\n"
		"	state   TEXT NOT NULL,\n"
		"	level   INTEGER NOT NULL,         -- 0 ok, 1 warning, 2 critical, 3 unknown\n"
		"	behind  INTEGER NOT NULL DEFAULT 0,\n"
		"	detail  TEXT NOT NULL DEFAULT ''\n"
		");";

	switch (version) {
	case 0: return exec(st, cd_schema[0].text);
	case 1: return exec(st, v2);
	case 2: return mask_audit_credentials(st); /* 2 -> 3: no credential in the audit */
	case 3: return exec(st, v4);
	case 4: return exec(st, v5);
	/* A column already there (a version number set back by hand) is chained anew. */
	case 5: return one_int(st, stmt(st, has_hash), &hashed, &found) < 0 ||
			(!hashed && exec(st, v6) < 0) ? -1 : chain_existing(st);
	/* A column already there (a version number set back by hand) is kept. */
	case 6: return one_int(st, stmt(st, has_issuer), &hashed, &found) < 0 ? -1 :
			hashed ? 0 : exec(st, v7);
	default: return exec(st, v8);
	}
}

/* v: the schema version check_kept read, or -1 to read it here. */
static int migrate(store *st, int v)
{
	if (v < 0 && user_version(st, &v) < 0)
		return -1;
	if (v > STORE_SCHEMA_VERSION)
		return cd_err("the database has schema version %d, newer than this certdesk "
			      "understands (%d): upgrade certdesk", v, STORE_SCHEMA_VERSION);
	if (v == STORE_SCHEMA_VERSION || st->readonly)
		return v == STORE_SCHEMA_VERSION ? 0 :
		       cd_err("the database needs an upgrade from schema %d; run any command "
			      "as a user who can write it", v);
	if (store_begin(st) < 0)
		return -1;
	if (user_version(st, &v) < 0)
		goto fail;
	for (; v < STORE_SCHEMA_VERSION; v++) {
		char pragma[64];
		if (migration(st, v) < 0)
			goto fail;
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		if (exec(st, pragma) < 0)
			goto fail;
	}
	return store_commit(st);
fail:
	store_rollback(st);
	return -1;
}

/*
 * Only a creating open may find nothing there: SQLite takes a missing, empty or
 * table-less file for a new database, and certdesk would carry on beside the home's CA
 * with no users, settings or audit trail (a truncated file, a botched restore).
 */
static int check_kept(store *st, const char *path, int *v)
{
	static const char sql[] = "SELECT count(*) FROM sqlite_master WHERE type = 'table'";
	int64_t tables = 0;
	struct stat sb;
	int found;

	if (user_version(st, v) < 0 || one_int(st, stmt(st, sql), &tables, &found) < 0)
		return -1;
	if (tables > 0 && *v > 0)
		return 0;
	if (tables > 0)
		cd_err("%s holds tables but no certdesk schema", path); /* another program's */
	else if (stat(path, &sb) == 0 && sb.st_size == 0)
		cd_err("%s is empty (0 bytes)", path);
	else
		cd_err("%s holds no tables", path);
	return STORE_LOST;
}

static int open_db(store *st, const char *path, int flags)
{
	/* One connection per thread: SQLite's own mutexes would only cost time. */
	int oflags = (flags & STORE_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
		     (flags & STORE_CREATE ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;

	if (sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		if (!(flags & STORE_CREATE) && !cd_path_exists(path)) {
			cd_err("%s is missing", path);
			return STORE_LOST;
		}
		return cd_err("cannot open database %s: %s", path,
			      st->db ? sqlite3_errmsg(st->db) : "out of memory");
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (!st->readonly) {
		/* Keep -wal and -shm after the last writer closes, so that a teammate who
		 * may read the home but not write it can still open the database. */
		int persist = 1;
		sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	}
	sqlite3_extended_result_codes(st->db, 1);
	return 0;
}

/* Checks (before anything is written), then sets the journal up and migrates. */
static int prepare_db(store *st, const char *path, int flags)
{
	int v = -1, rc = flags & STORE_CREATE ? 0 : check_kept(st, path, &v);

	if (rc == STORE_LOST)
		return rc;
	/* journal_size_limit: the persistent WAL is truncated when the last connection
	 * closes, so the next process does not read it all again at open. */
	if (rc < 0 ||
	    (!st->readonly && exec(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
				   "PRAGMA journal_size_limit = 1048576") < 0) ||
	    exec(st, "PRAGMA foreign_keys = ON") < 0 || migrate(st, v) < 0) {
		char *msg = cd_strdup(cd_errmsg());
		cd_err("%s: %s", path, msg);
		free(msg);
		return -1;
	}
	return 0;
}

int store_open(const char *path, int flags, store **out)
{
	store *st = calloc(1, sizeof *st);
	int rc;

	if (!st)
		abort();
	st->readonly = flags & STORE_READONLY;
	if ((rc = open_db(st, path, flags)) < 0 || (rc = prepare_db(st, path, flags)) < 0) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(store *st)
{
	int i;

	if (!st)
		return;
	for (i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(st->cache[i].stmt);
	/* A connection that wrote nothing has nothing to checkpoint: the last writer's
	 * close did it (and a writer killed before that leaves the WAL to the next one). */
	if (!st->wrote && st->db)
		sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_close(st->db);
	cd_buf_free(&st->syslog_queue);
	free(st);
}

int store_readonly(const store *st)
{
	return st->readonly;
}

int64_t store_data_version(store *st)
{
	sqlite3_stmt *s = stmt(st, "PRAGMA data_version");
	int64_t v = -1;

	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	if (s)
		sqlite3_reset(s);
	return v;
}

int store_begin(store *st)
{
	int rc;

	if (st->readonly)
		return cd_err("the database is open read-only");
	st->wrote = 1;
	rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if ((rc & 0xff) == SQLITE_BUSY)
		return cd_err("database is busy: another certdesk is writing; try again");
	return rc == SQLITE_OK ? 0 : db_err(st, "begin");
}

static void flush_syslog(store *st, int send);

int store_commit(store *st)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_err(st, "commit");
		store_rollback(st);
		return -1;
	}
	flush_syslog(st, 1);
	return 0;
}

void store_rollback(store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	flush_syslog(st, 0);
}

void store_set_validity_cap(store *st, int64_t cap)
{
	st->cap = cap;
}

void store_set_sort_limit(store *st, size_t bytes)
{
	st->sort_limit = bytes;
}

size_t store_sort_runs(const store *st)
{
	return st->sort_runs;
}

int store_end(store *st, int rc)
{
	if (rc == 0)
		return store_commit(st);
	store_rollback(st);
	return -1;
}

/* Steps a write statement to completion. */
static int done(store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (!s)
		return -1;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_err(st, what);
	return 0;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

static void bind_opt_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void bind_opt_int(sqlite3_stmt *s, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

/*
 * Runs a write statement (prepared once), its parameters bound in order from fmt:
 * 'i' an int64_t, 'n' an int64_t written as NULL when 0, 't' a string ("" for NULL),
 * 'T' a string or NULL.
 */
static int run(store *st, const char *sql, const char *what, const char *fmt, ...)
{
	sqlite3_stmt *s = stmt(st, sql);
	va_list ap;
	int i;

	if (!s)
		return -1;
	va_start(ap, fmt);
	for (i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i')
			sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
		else if (fmt[i] == 'n')
			bind_opt_int(s, i + 1, va_arg(ap, int64_t));
		else if (fmt[i] == 't')
			bind_text(s, i + 1, va_arg(ap, const char *));
		else
			bind_opt_text(s, i + 1, va_arg(ap, const char *));
	}
	va_end(ap);
	return done(st, s, what);
}

/* Steps a query for at most one text value; *out stays NULL when there is no row. */
static int one_text(store *st, sqlite3_stmt *s, char **out)
{
	int rc;

	*out = NULL;
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = cd_strdup((const char *)sqlite3_column_text(s, 0) ?
				 (const char *)sqlite3_column_text(s, 0) : "");
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(st, "query");
}

int store_setting_get(store *st, const char *key, char **value)
{
	static const char sql[] = "SELECT value FROM settings WHERE key = ?";
	sqlite3_stmt *s = stmt(st, sql);

	if (s)
		bind_text(s, 1, key);
	return one_text(st, s, value);
}

int store_setting_set(store *st, const char *key, const char *value)
{
	static const char sql[] = "INSERT INTO settings(key, value) VALUES (?, ?) "
				  "ON CONFLICT(key) DO UPDATE SET value = excluded.value";

	return run(st, sql, "write setting", "tt", key, value);
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	return t ? t : "";
}

static const char *col_opt_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Runs a query, calling row() for each result row; row's non-zero return stops it. */
static int each(store *st, sqlite3_stmt *s, int (*row)(sqlite3_stmt *, void *), void *ctx)
{
	int rc;

	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (row(s, ctx)) {
			sqlite3_reset(s);
			return -1;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_err(st, "query");
}

struct audit_ctx {
	store_audit_fn fn;
	void *ctx;
};

static int audit_row(sqlite3_stmt *s, void *p)
{
	struct audit_ctx *a = p;

	return a->fn(a->ctx, sqlite3_column_int64(s, 0), col_text(s, 1), col_text(s, 2),
		     col_opt_text(s, 3), col_text(s, 4));
}

int store_audit_each(store *st, const char *user, store_audit_fn fn, void *ctx)
{
	static const char all[] = "SELECT at, actor, action, user, detail FROM audit ORDER BY id";
	static const char one[] = "SELECT at, actor, action, user, detail FROM audit "
				  "WHERE user = ? ORDER BY id";
	struct audit_ctx a = {fn, ctx};
	sqlite3_stmt *s = stmt(st, user ? one : all);

	if (s && user)
		bind_text(s, 1, user);
	return each(st, s, audit_row, &a);
}

struct masked {
	int64_t id;
	char *detail;
	struct masked *next;
};

static int mask_row(sqlite3_stmt *s, void *ctx)
{
	struct masked **list = ctx, *m;
	char *shown = cd_mask_urls(col_text(s, 1));

	if (strcmp(shown, col_text(s, 1)) == 0) {
		free(shown);
		return 0;
	}
	m = cd_malloc(sizeof *m);
	m->id = sqlite3_column_int64(s, 0);
	m->detail = shown;
	m->next = *list;
	*list = m;
	return 0;
}

/*
 * 2 -> 3: config recorded a credential given in a URL (crl.remote set to
 * https://user:token@host/crl.git) in clear in the audit trail, for ever and for every
 * reader; mask it in place as config now records it. The settings keep the real value.
 */
static int mask_audit_credentials(store *st)
{
	static const char sel[] = "SELECT id, detail FROM audit WHERE detail LIKE '%://%@%'";
	static const char upd[] = "UPDATE audit SET detail = ? WHERE id = ?";
	struct masked *list = NULL, *m;
	int rc = each(st, stmt(st, sel), mask_row, &list);

	while ((m = list)) {
		if (rc == 0)
			rc = run(st, upd, "mask audit", "ti", m->detail, m->id);
		list = m->next;
		free(m->detail);
		free(m);
	}
	return rc;
}

/* ---- the audit chain ---- */

/*
 * What a row's hash covers: SHA-256 over, in this order,
 *   str("certdesk audit v1"), str(the previous row's hash as stored, 64 lowercase hex
 *   digits; "" for the first row), u64(id), u64(at), str(actor), str(action),
 *   user NULL: the byte 0x00, else the byte 0x01 and str(user), str(detail),
 * where u64(v) is v as 8 bytes big-endian (two's complement) and str(s) is s's length
 * in bytes as 4 bytes big-endian followed by its bytes. Every field is framed, so no two
 * different rows encode alike; the id binds a row to its place. Stored as 64 lowercase
 * hex digits in audit.hash.
 */
typedef struct {
	int64_t id, at;
	const char *actor, *action, *user, *detail; /* user NULL: none */
	size_t actor_n, action_n, user_n, detail_n;
} audit_entry;

static void hash_u64(EVP_MD_CTX *h, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)(v & 0xff);
	EVP_DigestUpdate(h, b, sizeof b);
}

static void hash_str(EVP_MD_CTX *h, const char *s, size_t n)
{
	unsigned char b[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
			      (unsigned char)(n >> 8), (unsigned char)n};

	EVP_DigestUpdate(h, b, sizeof b);
	EVP_DigestUpdate(h, s, n);
}

static int audit_hash(EVP_MD_CTX *h, const char *prev, const audit_entry *e, char out[65])
{
	static const char tag[] = "certdesk audit v1";
	unsigned char md[32], flag = e->user ? 1 : 0;
	unsigned int len = 0;

	if (EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1)
		return cd_err("SHA-256 is not available");
	hash_str(h, tag, sizeof tag - 1);
	hash_str(h, prev, strlen(prev));
	hash_u64(h, (uint64_t)e->id);
	hash_u64(h, (uint64_t)e->at);
	hash_str(h, e->actor, e->actor_n);
	hash_str(h, e->action, e->action_n);
	EVP_DigestUpdate(h, &flag, 1);
	if (e->user)
		hash_str(h, e->user, e->user_n);
	hash_str(h, e->detail, e->detail_n);
	if (EVP_DigestFinal_ex(h, md, &len) != 1 || len != sizeof md)
		return cd_err("SHA-256 failed");
	cd_hex(md, len, out);
	return 0;
}

static void queue_syslog(store *st, const audit_entry *e)
{
	if (!st->syslog)
		return;
	cd_buf_printf(&st->syslog_queue, "audit %lld: %s by %s%s%s: ", (long long)e->id, e->action,
		      e->actor, e->user ? " for " : "", e->user ? e->user : "");
	cd_sanitize_into(&st->syslog_queue, e->detail);
	cd_buf_putc(&st->syslog_queue, '\n');
}

void store_audit_syslog(store *st, int on)
{
	st->syslog = on;
}

/* After a commit: the entries it made durable. Journald reads syslog. */
static void flush_syslog(store *st, int send)
{
	char *line, *next;

	if (send && st->syslog_queue.s) {
		openlog("certdesk", LOG_PID, LOG_AUTHPRIV);
		for (line = st->syslog_queue.s; *line; line = next) {
			next = line + strcspn(line, "\n");
			if (*next)
				*next++ = '\0';
			syslog(LOG_AUTHPRIV | LOG_INFO, "%s", line);
		}
		closelog();
	}
	cd_buf_free(&st->syslog_queue);
}

static int audit_last(store *st, int64_t *id, char prev[65])
{
	static const char sql[] = "SELECT id, coalesce(hash, '') FROM audit ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *s = stmt(st, sql);
	int rc;

	*id = 0;
	prev[0] = '\0';
	if (!s)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		snprintf(prev, 65, "%s", (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(st, "query");
}

/* The id is given, not left to SQLite: two writers that read the same last row cannot
 * both insert after it, so the chain never forks. */
static int audit_insert(store *st, audit_entry *e)
{
	static const char sql[] = "INSERT INTO audit(id, at, actor, action, user, detail, hash) "
				  "VALUES (?, ?, ?, ?, ?, ?, ?)";
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	char prev[65], hash[65];
	int rc = -1;

	if (!h)
		abort();
	if (audit_last(st, &e->id, prev) == 0 && (++e->id, audit_hash(h, prev, e, hash)) == 0)
		rc = run(st, sql, "write audit", "iittTtt", e->id, e->at, e->actor, e->action, e->user,
			 e->detail, hash);
	EVP_MD_CTX_free(h);
	if (rc == 0)
		queue_syslog(st, e);
	return rc;
}

int store_audit(store *st, int64_t at, const char *actor, const char *action,
		const char *user, const char *detail)
{
	audit_entry e = {0, at, actor ? actor : "", action ? action : "", user,
			 detail ? detail : "", 0, 0, 0, 0};
	int own = sqlite3_get_autocommit(st->db);
	int rc;

	e.actor_n = strlen(e.actor);
	e.action_n = strlen(e.action);
	e.user_n = user ? strlen(user) : 0;
	e.detail_n = strlen(e.detail);
	/* Outside a transaction, one of its own: reading the last row and adding the next
	 * must be one step. */
	if (own && store_begin(st) < 0)
		return -1;
	rc = audit_insert(st, &e);
	return own ? store_end(st, rc) : rc;
}

static void read_entry(sqlite3_stmt *s, audit_entry *e)
{
	e->id = sqlite3_column_int64(s, 0);
	e->at = sqlite3_column_int64(s, 1);
	e->actor = col_text(s, 2);
	e->actor_n = (size_t)sqlite3_column_bytes(s, 2);
	e->action = col_text(s, 3);
	e->action_n = (size_t)sqlite3_column_bytes(s, 3);
	e->user = col_opt_text(s, 4);
	e->user_n = (size_t)sqlite3_column_bytes(s, 4);
	e->detail = col_text(s, 5);
	e->detail_n = (size_t)sqlite3_column_bytes(s, 5);
}

struct chain_walk {
	EVP_MD_CTX *h;
	char prev[65];
	int rechain;        /* the migration: compute every hash, compare none */
	int64_t *ids;       /* rechain: the rows and their new hashes */
	char (*hashes)[65];
	size_t n, cap;
	store_chain *out;
	store_hash_fn fn;
	void *ctx;
};

static void chain_note_bad(store_chain *out, const audit_entry *e)
{
	out->bad_id = e->id;
	out->bad_at = e->at;
	snprintf(out->bad_action, sizeof out->bad_action, "%s", e->action);
	snprintf(out->bad_user, sizeof out->bad_user, "%s", e->user ? e->user : "");
}

static void chain_keep(struct chain_walk *w, int64_t id, const char *hash)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 1024;
		w->ids = cd_realloc(w->ids, w->cap * sizeof *w->ids);
		w->hashes = cd_realloc(w->hashes, w->cap * sizeof *w->hashes);
	}
	w->ids[w->n] = id;
	memcpy(w->hashes[w->n++], hash, 65);
}

static int chain_row(sqlite3_stmt *s, void *p)
{
	struct chain_walk *w = p;
	const char *stored = col_text(s, 6);
	audit_entry e;
	char want[65];

	read_entry(s, &e);
	if (audit_hash(w->h, w->prev, &e, want) < 0)
		return -1;
	if (w->rechain) {
		chain_keep(w, e.id, want);
		memcpy(w->prev, want, 65);
		return 0;
	}
	w->out->rows++;
	if (!w->out->bad_id && strcmp(want, stored) != 0)
		chain_note_bad(w->out, &e);
	/* The next row chains to this one's hash as stored: an edit shows at its own row. */
	snprintf(w->prev, sizeof w->prev, "%s", stored);
	return w->fn ? w->fn(w->ctx, e.id, stored) : 0;
}

static int chain_walk_run(store *st, struct chain_walk *w)
{
	static const char sql[] = "SELECT id, at, actor, action, user, detail, coalesce(hash, '') "
				  "FROM audit ORDER BY id";
	int rc;

	if (!(w->h = EVP_MD_CTX_new()))
		abort();
	rc = each(st, stmt(st, sql), chain_row, w);
	EVP_MD_CTX_free(w->h);
	return rc;
}

int store_audit_chain(store *st, store_hash_fn fn, void *ctx, store_chain *out)
{
	struct chain_walk w = {0};

	memset(out, 0, sizeof *out);
	w.out = out, w.fn = fn, w.ctx = ctx;
	if (chain_walk_run(st, &w) < 0)
		return -1;
	snprintf(out->head, sizeof out->head, "%s", w.prev);
	return 0;
}

static int two_ints(store *st, sqlite3_stmt *s, int64_t *a, int64_t *b, int *found);

int store_audit_last_of(store *st, const char *action, int64_t *id, int64_t *at)
{
	static const char sql[] = "SELECT id, at FROM audit WHERE action = ? ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *s = stmt(st, sql);
	int found;

	*id = *at = 0;
	if (s)
		bind_text(s, 1, action);
	return two_ints(st, s, id, at, &found);
}

int store_audit_head(store *st, char head[65])
{
	int64_t id;

	return audit_last(st, &id, head);
}

/* 5 -> 6: the rows written before the chain, chained in id order. */
static int chain_existing(store *st)
{
	static const char upd[] = "UPDATE audit SET hash = ? WHERE id = ?";
	struct chain_walk w = {0};
	size_t i;
	int rc;

	w.rechain = 1;
	rc = chain_walk_run(st, &w);
	for (i = 0; i < w.n && rc == 0; i++)
		rc = run(st, upd, "chain audit", "ti", w.hashes[i], w.ids[i]);
	free(w.ids);
	free(w.hashes);
	return rc;
}

/* Column lists shared by every row query: keep in step with read_row(). */
#define CERT_COLS(t) \
	t ".id, " t ".user_id, " t ".replaces, " t ".serial, " t ".subject, " t ".key_type, " \
	t ".state, " t ".p12_path, " t ".pw_path, " t ".task, " t ".applied_via, " \
	t ".publish_commit, " t ".not_before, " t ".not_after, " t ".issued_at, " \
	t ".notified_at, " t ".applied_at, " t ".revoke_at, " t ".published_at, " \
	t ".revoke_reason, " t ".revoke_forced, " t ".issuer"
#define CERT_NCOLS 22
#define USER_COLS "u.id, u.name, u.full_name, u.email, u.phone, u.location, u.org, u.ou, u.country"
#define USER_NCOLS 9
#define ROW_FROM " FROM users u JOIN certs c ON c.id = u.cert_id LEFT JOIN certs o ON o.id = c.replaces "
#define ROW_SELECT "SELECT " USER_COLS ", " CERT_COLS("c") ", " CERT_COLS("o") ROW_FROM
/* By expiry: walk the expiry index; only ties are put in name order (ties_add). The user
 * is found through its current certificate (users_cert), never through certs.user_id:
 * a home where the two disagree (verify names it) must not lose a user from expirecheck. */
#define ROW_FROM_BY_EXPIRY " FROM certs c CROSS JOIN users u ON u.cert_id = c.id " \
	"LEFT JOIN certs o ON o.id = c.replaces "
#define ROW_SELECT_BY_EXPIRY "SELECT " USER_COLS ", " CERT_COLS("c") ", " CERT_COLS("o") \
	ROW_FROM_BY_EXPIRY
/* What a listing reads (store_brief_rows): keep in step with read_brief_user() and
 * read_brief_cert(). */
#define BRIEF_CERT_COLS(t) \
	t ".id, " t ".serial, " t ".not_after, " t ".issued_at, " t ".notified_at, " \
	t ".applied_at, " t ".revoke_at, " t ".published_at, " t ".revoke_forced, " \
	t ".pw_path, " t ".task, " t ".issuer"
#define BRIEF_CERT_NCOLS 12
#define BRIEF_USER_COLS "u.id, u.name, u.full_name, u.email"
#define BRIEF_USER_NCOLS 4
#define BRIEF_COLS BRIEF_USER_COLS ", " BRIEF_CERT_COLS("c") ", " BRIEF_CERT_COLS("o")

static void read_cert(sqlite3_stmt *s, int i, store_cert *c)
{
	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(s, i);
	if (!c->id)
		return;
	c->user_id = sqlite3_column_int64(s, i + 1);
	c->replaces = sqlite3_column_int64(s, i + 2);
	c->serial = col_text(s, i + 3);
	c->subject = col_text(s, i + 4);
	c->key_type = col_text(s, i + 5);
	c->state = col_text(s, i + 6);
	c->p12_path = col_opt_text(s, i + 7);
	c->pw_path = col_opt_text(s, i + 8);
	c->task = col_opt_text(s, i + 9);
	c->applied_via = col_opt_text(s, i + 10);
	c->publish_commit = col_opt_text(s, i + 11);
	c->not_before = sqlite3_column_int64(s, i + 12);
	c->not_after = sqlite3_column_int64(s, i + 13);
	c->issued_at = sqlite3_column_int64(s, i + 14);
	c->notified_at = sqlite3_column_int64(s, i + 15);
	c->applied_at = sqlite3_column_int64(s, i + 16);
	c->revoke_at = sqlite3_column_int64(s, i + 17);
	c->published_at = sqlite3_column_int64(s, i + 18);
	c->revoke_reason = sqlite3_column_int(s, i + 19);
	c->revoke_forced = sqlite3_column_int(s, i + 20);
	c->issuer = col_opt_text(s, i + 21);
}

static void read_brief_cert(sqlite3_stmt *s, int i, store_cert *c)
{
	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(s, i);
	if (!c->id)
		return;
	c->serial = col_text(s, i + 1);
	c->subject = c->key_type = c->state = "";
	c->not_after = sqlite3_column_int64(s, i + 2);
	c->issued_at = sqlite3_column_int64(s, i + 3);
	c->notified_at = sqlite3_column_int64(s, i + 4);
	c->applied_at = sqlite3_column_int64(s, i + 5);
	c->revoke_at = sqlite3_column_int64(s, i + 6);
	c->published_at = sqlite3_column_int64(s, i + 7);
	c->revoke_forced = sqlite3_column_int(s, i + 8);
	c->pw_path = col_opt_text(s, i + 9);
	c->task = col_opt_text(s, i + 10);
	c->issuer = col_opt_text(s, i + 11);
}

static void read_user(sqlite3_stmt *s, store_user *u)
{
	u->id = sqlite3_column_int64(s, 0);
	u->name = col_text(s, 1);
	u->full_name = col_text(s, 2);
	u->email = col_text(s, 3);
	u->phone = col_text(s, 4);
	u->location = col_text(s, 5);
	u->org = col_text(s, 6);
	u->ou = col_text(s, 7);
	u->country = col_text(s, 8);
}

#define ROW_STRINGS(r) \
	&r->u.name, &r->u.full_name, &r->u.email, &r->u.phone, &r->u.location, &r->u.org, \
	&r->u.ou, &r->u.country, \
	&r->cur.serial, &r->cur.subject, &r->cur.key_type, &r->cur.state, &r->cur.p12_path, \
	&r->cur.pw_path, &r->cur.task, &r->cur.applied_via, &r->cur.publish_commit, \
	&r->old.serial, &r->old.subject, &r->old.key_type, &r->old.state, &r->old.p12_path, \
	&r->old.pw_path, &r->old.task, &r->old.applied_via, &r->old.publish_commit, \
	&r->cur.issuer, &r->old.issuer

void store_row_copy(store_row *dst, const store_row *src, cd_buf *b)
{
	const char **fields[] = {ROW_STRINGS(dst)};
	size_t offs[sizeof fields / sizeof *fields];
	size_t i, n = sizeof fields / sizeof *fields;

	*dst = *src;
	b->len = 0;
	for (i = 0; i < n; i++) {
		offs[i] = *fields[i] ? b->len : (size_t)-1;
		if (*fields[i])
			cd_buf_add(b, *fields[i], strlen(*fields[i]) + 1);
	}
	for (i = 0; i < n; i++) /* after the last append: the block may have moved */
		*fields[i] = offs[i] == (size_t)-1 ? NULL : b->s + offs[i];
}

/* Rows of one expiry, held until the next expiry shows, then given by name. */
struct held_row {
	store_row r;
	cd_buf b;
};

struct row_ctx {
	store_row_fn fn;
	void *ctx;
	int n;
	int64_t cap;
	int brief;   /* the columns of BRIEF_COLS */
	int by_name; /* group ties of not_after and give them by name (ties) */
	struct held_row *ties;
	size_t nties, capties;
	int64_t tie_at; /* the stored not_after of the held rows (before cap_cert) */
	spool *sp;      /* brief rows by (stored not_after, name), packed (spool_row) */
	cd_buf pack;
	size_t given;    /* rows the spool gave to fn */
	int spool_error; /* the spool's file could not be written or read before any */
};

static int held_cmp(const void *a, const void *b)
{
	return strcmp(((const struct held_row *)a)->r.u.name, ((const struct held_row *)b)->r.u.name);
}

/* The held rows, by name. */
static int ties_flush(struct row_ctx *r)
{
	size_t i, n = r->nties;
	int rc = 0;

	r->nties = 0;
	if (n > 1)
		qsort(r->ties, n, sizeof *r->ties, held_cmp);
	for (i = 0; i < n && rc == 0; i++)
		rc = r->fn(r->ctx, &r->ties[i].r);
	return rc;
}

/* By expiry, SQLite walks the not_after index and sorts nothing; ties of the same
 * second (rare) are put in name order here, so no row goes through SQLite's sorter. */
static int ties_add(struct row_ctx *r, const store_row *row, int64_t at)
{
	/* Grouped on the stored value, the one SQLite orders by: certificates past the CA's
	 * end all show that end, and stay in their own order, not one group of everyone. */
	if (r->nties && r->tie_at != at) {
		int rc = ties_flush(r);

		if (rc)
			return rc;
	}
	r->tie_at = at;
	if (r->nties == r->capties) {
		r->capties = r->capties ? r->capties * 2 : 4;
		r->ties = cd_realloc(r->ties, r->capties * sizeof *r->ties);
		memset(r->ties + r->nties, 0, (r->capties - r->nties) * sizeof *r->ties);
	}
	store_row_copy(&r->ties[r->nties].r, row, &r->ties[r->nties].b);
	r->nties++;
	return 0;
}

static void ties_free(struct row_ctx *r)
{
	size_t i;

	for (i = 0; i < r->capties; i++)
		cd_buf_free(&r->ties[i].b);
	free(r->ties);
}

/* A certificate ends when it does or when its CA does, whichever comes first. */
static void cap_cert(store_cert *c, int64_t cap)
{
	if (cap && c->id && c->not_after > cap)
		c->not_after = cap;
}

static void read_brief_user(sqlite3_stmt *s, store_user *u)
{
	u->id = sqlite3_column_int64(s, 0);
	u->name = col_text(s, 1);
	u->full_name = col_text(s, 2);
	u->email = col_text(s, 3);
	u->phone = u->location = u->org = u->ou = u->country = "";
}

/*
 * A listing by expiry scans the rows as stored and puts them in order itself, through a
 * spool (bounded memory, sorted runs in $TMPDIR past st->sort_limit): walking the expiry
 * index costs three random B-tree descents a row, which in a home whose rows are not
 * stored in expiry order is four times the sequential scan at a million users. The
 * order is the index walk's: stored not_after, then name (names are unique). A brief
 * row is packed as its name and a NUL first, so that the spool's order of bytes is the
 * name's for ties, then varints and strings.
 */
static void put_u64(cd_buf *b, uint64_t v)
{
	unsigned char t[10];
	size_t n = 0;

	do {
		t[n] = v & 127;
		v >>= 7;
		t[n++] |= v ? 128 : 0;
	} while (v);
	cd_buf_add(b, t, n);
}

static void put_i64(cd_buf *b, int64_t v)
{
	put_u64(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); /* zigzag: small negatives */
}

static void put_str(cd_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u64(b, s ? n + 1 : 0);
	if (s)
		cd_buf_add(b, s, n + 1);
}

static uint64_t get_u64(const unsigned char **p)
{
	uint64_t v = 0;
	int shift = 0;

	while (**p & 128 && shift < 63) {
		v |= (uint64_t)(*(*p)++ & 127) << shift;
		shift += 7;
	}
	return v | (uint64_t)*(*p)++ << shift;
}

static int64_t get_i64(const unsigned char **p)
{
	uint64_t v = get_u64(p);

	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static const char *get_str(const unsigned char **p)
{
	uint64_t n = get_u64(p);
	const char *s = (const char *)*p;

	*p += n;
	return n ? s : NULL;
}

static void put_brief_cert(cd_buf *b, const store_cert *c)
{
	put_i64(b, c->id);
	if (!c->id)
		return;
	put_str(b, c->serial);
	put_str(b, c->pw_path);
	put_str(b, c->task);
	put_str(b, c->issuer);
	put_i64(b, c->not_after);
	put_i64(b, c->issued_at);
	put_i64(b, c->notified_at);
	put_i64(b, c->applied_at);
	put_i64(b, c->revoke_at);
	put_i64(b, c->published_at);
	put_i64(b, c->revoke_forced);
}

static void get_brief_cert(const unsigned char **p, store_cert *c)
{
	memset(c, 0, sizeof *c);
	c->id = get_i64(p);
	if (!c->id)
		return;
	c->subject = c->key_type = c->state = "";
	c->serial = get_str(p);
	c->pw_path = get_str(p);
	c->task = get_str(p);
	c->issuer = get_str(p);
	c->not_after = get_i64(p);
	c->issued_at = get_i64(p);
	c->notified_at = get_i64(p);
	c->applied_at = get_i64(p);
	c->revoke_at = get_i64(p);
	c->published_at = get_i64(p);
	c->revoke_forced = (int)get_i64(p);
}

/* The stored not_after as the expiry index orders it: numbers by value, then text and
 * blobs (a damaged home, which verify names) after every number, whatever the row's id. */
static int64_t expiry_key(sqlite3_stmt *s, int col)
{
	int t = sqlite3_column_type(s, col);

	if (t == SQLITE_NULL)
		return INT64_MIN;
	return t == SQLITE_INTEGER || t == SQLITE_FLOAT ? sqlite3_column_int64(s, col) : INT64_MAX;
}

static int spool_row(struct row_ctx *r, const store_row *row, int64_t at)
{
	r->pack.len = 0;
	cd_buf_add(&r->pack, row->u.name, strlen(row->u.name) + 1);
	put_str(&r->pack, row->u.full_name);
	put_str(&r->pack, row->u.email);
	put_i64(&r->pack, row->u.id);
	put_brief_cert(&r->pack, &row->cur);
	put_brief_cert(&r->pack, &row->old);
	if (spool_add(r->sp, at, r->pack.s, r->pack.len) < 0) {
		r->spool_error = 1;
		return -1;
	}
	return 0;
}

static int unspool_row(void *p, const void *rec, size_t len)
{
	struct row_ctx *r = p;
	const unsigned char *q = rec, *end = q + len;
	store_row row;

	row.u.name = (const char *)q;
	q += strlen(row.u.name) + 1;
	row.u.full_name = get_str(&q);
	row.u.email = get_str(&q);
	row.u.id = get_i64(&q);
	row.u.phone = row.u.location = row.u.org = row.u.ou = row.u.country = "";
	get_brief_cert(&q, &row.cur);
	get_brief_cert(&q, &row.old);
	assert(q == end); /* packing and unpacking agree on every field */
	(void)end;
	cap_cert(&row.cur, r->cap);
	cap_cert(&row.old, r->cap);
	r->given++;
	return r->fn(r->ctx, &row);
}

static int row_cb(sqlite3_stmt *s, void *p)
{
	struct row_ctx *r = p;
	store_row row;
	int64_t at;

	if (r->brief) {
		read_brief_user(s, &row.u);
		read_brief_cert(s, BRIEF_USER_NCOLS, &row.cur);
		read_brief_cert(s, BRIEF_USER_NCOLS + BRIEF_CERT_NCOLS, &row.old);
	} else {
		read_user(s, &row.u);
		read_cert(s, USER_NCOLS, &row.cur);
		read_cert(s, USER_NCOLS + CERT_NCOLS, &row.old);
	}
	at = row.cur.not_after;
	r->n++;
	if (r->sp)
		return spool_row(r, &row, expiry_key(s, BRIEF_USER_NCOLS + 2));
	cap_cert(&row.cur, r->cap);
	cap_cert(&row.old, r->cap);
	return r->by_name ? ties_add(r, &row, at) : r->fn(r->ctx, &row);
}

/* Runs a row query through row_cb, then gives the rows still held. */
static int rows_run(store *st, sqlite3_stmt *s, struct row_ctx *r)
{
	int rc = each(st, s, row_cb, r);

	if (rc == 0 && ties_flush(r))
		rc = -1;
	if (r->sp)
		st->sort_runs = spool_runs(r->sp);
	if (rc == 0 && r->sp && spool_each(r->sp, unspool_row, r)) {
		rc = -1;
		r->spool_error = !r->given; /* fn saw nothing: the spool's own error */
	}
	ties_free(r);
	spool_free(r->sp);
	cd_buf_free(&r->pack);
	return rc;
}

static int rows_in_order(store *st, enum store_order order, int brief, store_row_fn fn,
			 void *ctx)
{
	static const char *const sql[2][3] = {
		{[STORE_BY_EXPIRY] = ROW_SELECT_BY_EXPIRY "ORDER BY c.not_after",
		 [STORE_BY_USER] = ROW_SELECT "ORDER BY u.name", [STORE_STORED] = ROW_SELECT},
		{[STORE_BY_EXPIRY] = "SELECT " BRIEF_COLS ROW_FROM_BY_EXPIRY "ORDER BY c.not_after",
		 [STORE_BY_USER] = "SELECT " BRIEF_COLS ROW_FROM "ORDER BY u.name",
		 [STORE_STORED] = "SELECT " BRIEF_COLS ROW_FROM},
	};
	struct row_ctx r = {fn, ctx, 0, st->cap, brief, order == STORE_BY_EXPIRY}, w = r;
	int rc;

	st->sort_runs = 0;
	if (!brief || order != STORE_BY_EXPIRY)
		return rows_run(st, stmt(st, sql[brief][order]), &r);
	r.by_name = 0;
	r.sp = spool_new(st->sort_limit ? st->sort_limit : STORE_SORT_LIMIT);
	rc = rows_run(st, stmt(st, sql[1][STORE_STORED]), &r);
	if (rc == 0 || !r.spool_error)
		return rc;
	/* No room in TMPDIR, or none allowed: the index walk needs no file, only time. */
	return rows_run(st, stmt(st, sql[1][STORE_BY_EXPIRY]), &w);
}

int store_rows(store *st, enum store_order order, store_row_fn fn, void *ctx)
{
	return rows_in_order(st, order, 0, fn, ctx);
}

int store_brief_rows(store *st, enum store_order order, store_row_fn fn, void *ctx)
{
	return rows_in_order(st, order, 1, fn, ctx);
}

int store_rows_expiring(store *st, int64_t before, store_row_fn fn, void *ctx)
{
	/* Once the CA itself ends before `before`, every certificate does. */
	static const char sql[] = ROW_SELECT_BY_EXPIRY "WHERE c.not_after < ?1 OR ?2 < ?1 "
				  "ORDER BY c.not_after";
	struct row_ctx r = {fn, ctx, 0, st->cap, 0, 1};
	sqlite3_stmt *s = stmt(st, sql);

	if (s) {
		sqlite3_bind_int64(s, 1, before);
		sqlite3_bind_int64(s, 2, st->cap ? st->cap : INT64_MAX);
	}
	return rows_run(st, s, &r);
}

int store_row_get(store *st, const char *user, store_row_fn fn, void *ctx, int *found)
{
	static const char sql[] = ROW_SELECT "WHERE u.name = ?";
	struct row_ctx r = {fn, ctx, 0, st->cap};
	sqlite3_stmt *s = stmt(st, sql);
	int rc;

	if (s)
		bind_text(s, 1, user);
	rc = each(st, s, row_cb, &r);
	*found = r.n > 0;
	return rc;
}

struct cert_ctx {
	store_cert_fn fn;
	void *ctx;
	int64_t cap;
};

static int cert_cb(sqlite3_stmt *s, void *p)
{
	struct cert_ctx *c = p;
	store_cert cert;

	read_cert(s, 0, &cert);
	cap_cert(&cert, c->cap);
	return c->fn(c->ctx, &cert);
}

int store_certs_of(store *st, int64_t user_id, store_cert_fn fn, void *ctx)
{
	static const char sql[] = "SELECT " CERT_COLS("c") " FROM certs c WHERE c.user_id = ? "
				  "AND c.state = 'issued' ORDER BY c.issued_at, c.id";
	struct cert_ctx c = {fn, ctx, st->cap};
	sqlite3_stmt *s = stmt(st, sql);

	if (s)
		sqlite3_bind_int64(s, 1, user_id);
	return each(st, s, cert_cb, &c);
}

int store_revocations_pending(store *st, store_row_fn fn, void *ctx)
{
	/* cur = the certificate to revoke, old = its replacement (if any). */
	static const char sql[] =
		"SELECT " USER_COLS ", " CERT_COLS("c") ", " CERT_COLS("o") " FROM certs c "
		"JOIN users u ON u.id = c.user_id "
		"LEFT JOIN certs o ON o.replaces = c.id AND o.state = 'issued' "
		"WHERE c.revoke_at IS NOT NULL AND c.published_at IS NULL "
		"ORDER BY c.revoke_at, c.id";
	struct row_ctx r = {fn, ctx, 0, st->cap};

	return each(st, stmt(st, sql), row_cb, &r);
}

struct revoked_ctx {
	store_revoked_fn fn;
	void *ctx;
};

static int revoked_cb(sqlite3_stmt *s, void *p)
{
	struct revoked_ctx *r = p;

	return r->fn(r->ctx, col_text(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int(s, 2),
		     col_opt_text(s, 3));
}

int store_revocations_published(store *st, store_revoked_fn fn, void *ctx)
{
	static const char sql[] = "SELECT serial, revoke_at, revoke_reason, issuer FROM ("
				  "SELECT serial, revoke_at, revoke_reason, published_at, 1 AS k, id, "
				  "issuer FROM certs WHERE published_at IS NOT NULL UNION ALL "
				  "SELECT serial, revoke_at, revoke_reason, published_at, 0, 0, issuer "
				  "FROM orphan_revocations UNION ALL SELECT serial, revoked_at, 4, "
				  "pushed_at, 2, id, issuer FROM canaries WHERE revoked_at IS NOT NULL "
				  "AND dropped_at IS NULL) ORDER BY published_at, k, id, serial";
	struct revoked_ctx r = {fn, ctx};

	return each(st, stmt(st, sql), revoked_cb, &r);
}

int store_cert_by_serial(store *st, const char *serial, int64_t *cert_id)
{
	static const char sql[] = "SELECT id FROM certs WHERE serial = ?";
	sqlite3_stmt *s = stmt(st, sql);
	int found;

	*cert_id = 0;
	if (s)
		bind_text(s, 1, serial);
	return one_int(st, s, cert_id, &found);
}

/* Steps a query for at most one row of two integers (left as they are without one). */
static int two_ints(store *st, sqlite3_stmt *s, int64_t *a, int64_t *b, int *found)
{
	int rc;

	*found = 0;
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*found = 1;
		*a = sqlite3_column_int64(s, 0);
		*b = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(st, "query");
}

int store_cert_revocation(store *st, int64_t cert_id, int64_t *revoke_at, int64_t *published_at)
{
	static const char sql[] = "SELECT coalesce(revoke_at, 0), coalesce(published_at, 0) "
				  "FROM certs WHERE id = ?";
	sqlite3_stmt *s = stmt(st, sql);
	int found;

	*revoke_at = *published_at = 0;
	if (s)
		sqlite3_bind_int64(s, 1, cert_id);
	return two_ints(st, s, revoke_at, published_at, &found);
}

int store_serial_known(store *st, const char *serial, int *known)
{
	static const char sql[] = "SELECT 1 FROM certs WHERE serial = ?1 UNION ALL "
				  "SELECT 1 FROM orphan_revocations WHERE serial = ?1";
	sqlite3_stmt *s = stmt(st, sql);
	int64_t one = 0;

	if (s)
		bind_text(s, 1, serial);
	return one_int(st, s, &one, known);
}

int store_orphan_insert(store *st, const store_orphan *o)
{
	static const char sql[] = "INSERT INTO orphan_revocations(serial, revoke_at, "
				  "revoke_reason, not_after, subject, why, published_at, issuer) "
				  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

	return run(st, sql, "add revocation", "tiinttiT", o->serial, o->revoke_at,
		   (int64_t)o->reason, o->not_after, o->subject, o->why, o->published_at,
		   o->issuer);
}

int store_issuer_fill(store *st, const char *kid)
{
	static const char certs[] = "UPDATE certs SET issuer = ? WHERE issuer IS NULL";
	static const char orphans[] = "UPDATE orphan_revocations SET issuer = ? WHERE issuer IS NULL";

	return run(st, certs, "record the issuer", "t", kid) < 0 ||
	       run(st, orphans, "record the issuer", "t", kid) < 0 ? -1 : 0;
}

int store_issuer_last_end(store *st, const char *kid, int64_t *end)
{
	static const char sql[] = "SELECT max(e) FROM (SELECT max(not_after) AS e FROM certs "
				  "WHERE issuer = ?1 AND state = 'issued' UNION ALL SELECT "
				  "max(not_after) FROM orphan_revocations WHERE issuer = ?1)";
	sqlite3_stmt *s = stmt(st, sql);
	int found;

	*end = 0;
	if (s)
		bind_text(s, 1, kid);
	return one_int(st, s, end, &found);
}

int store_cert_pem(store *st, int64_t cert_id, char **pem)
{
	static const char sql[] = "SELECT pem FROM cert_pem WHERE cert_id = ?";
	sqlite3_stmt *s = stmt(st, sql);

	if (s)
		sqlite3_bind_int64(s, 1, cert_id);
	if (one_text(st, s, pem) < 0)
		return -1;
	return *pem ? 0 : cd_err("no certificate with id %lld", (long long)cert_id);
}


int store_user_insert(store *st, const store_user *u, int64_t now, int64_t *id)
{
	static const char sql[] = "INSERT INTO users(name, full_name, email, phone, location, "
				  "org, ou, country, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

	if (run(st, sql, "add user", "tttttttti", u->name, u->full_name, u->email, u->phone,
		u->location, u->org, u->ou, u->country, now) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_user_update(store *st, const store_user *u)
{
	static const char sql[] = "UPDATE users SET name = ?, full_name = ?, email = ?, phone = ?, "
				  "location = ?, org = ?, ou = ?, country = ? WHERE id = ?";

	return run(st, sql, "update user", "tttttttti", u->name, u->full_name, u->email, u->phone,
		   u->location, u->org, u->ou, u->country, u->id);
}

int store_cert_insert_pending(store *st, const store_new_cert *c, int64_t *id)
{
	static const char sql[] = "INSERT INTO certs(user_id, serial, state, subject, key_type, "
				  "not_before, not_after, issued_at, p12_path, pw_path, replaces, "
				  "issuer) VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	static const char pem_sql[] = "INSERT INTO cert_pem(cert_id, pem) VALUES (?, ?)";

	if (run(st, sql, "add certificate", "itttiiiTTnT", c->user_id, c->serial, c->subject,
		c->key_type, c->not_before, c->not_after, c->issued_at, c->p12_path, c->pw_path,
		c->replaces, c->issuer) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return run(st, pem_sql, "add certificate", "it", *id, c->pem);
}

int store_cert_mark_issued(store *st, int64_t cert_id, int64_t user_id)
{
	static const char sql[] = "UPDATE certs SET state = 'issued' WHERE id = ?";
	static const char cur[] = "UPDATE users SET cert_id = ? WHERE id = ?";

	if (run(st, sql, "mark certificate issued", "i", cert_id) < 0)
		return -1;
	return run(st, cur, "set current certificate", "ii", cert_id, user_id);
}

/* Column names cannot be bound: only these fixed statements are ever run. */
static const char *const set_int_sql[][2] = {
	{"notified_at", "UPDATE certs SET notified_at = ?2 WHERE id = ?1"},
	{"applied_at", "UPDATE certs SET applied_at = ?2 WHERE id = ?1"},
};
static const char *const set_text_sql[][2] = {
	{"task", "UPDATE certs SET task = ?2 WHERE id = ?1"},
	{"applied_via", "UPDATE certs SET applied_via = ?2 WHERE id = ?1"},
};

static const char *pick_sql(const char *const (*table)[2], size_t n, const char *column)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(table[i][0], column) == 0)
			return table[i][1];
	cd_err("internal error: no such certificate column %s", column);
	return NULL;
}

int store_cert_set(store *st, int64_t cert_id, const char *column, int64_t value)
{
	const char *sql = pick_sql(set_int_sql, sizeof set_int_sql / sizeof *set_int_sql, column);

	return sql ? run(st, sql, "update certificate", "in", cert_id, value) : -1;
}

int store_cert_set_text(store *st, int64_t cert_id, const char *column, const char *value)
{
	const char *sql = pick_sql(set_text_sql, sizeof set_text_sql / sizeof *set_text_sql, column);

	return sql ? run(st, sql, "update certificate", "iT", cert_id, value) : -1;
}

int store_cert_schedule_revoke(store *st, int64_t cert_id, int64_t at, int reason, int forced)
{
	static const char sql[] = "UPDATE certs SET revoke_at = coalesce(revoke_at, ?2), "
				  "revoke_reason = ?3, revoke_forced = max(revoke_forced, ?4) "
				  "WHERE id = ?1";

	return run(st, sql, "schedule revocation", "iiii", cert_id, at, (int64_t)reason,
		   (int64_t)forced);
}

struct pending_ctx {
	store_pending_fn fn;
	void *ctx;
};

static int pending_cb(sqlite3_stmt *s, void *p)
{
	struct pending_ctx *c = p;

	return c->fn(c->ctx, sqlite3_column_int64(s, 0), col_text(s, 1), col_opt_text(s, 2),
		     col_opt_text(s, 3));
}

int store_pending_each(store *st, store_pending_fn fn, void *ctx)
{
	static const char sql[] = "SELECT id, serial, p12_path, pw_path FROM certs "
				  "WHERE state = 'pending'";
	struct pending_ctx c = {fn, ctx};

	return each(st, stmt(st, sql), pending_cb, &c);
}

int store_cert_delete(store *st, int64_t cert_id)
{
	static const char owner[] = "SELECT user_id FROM certs WHERE id = ? AND state = 'pending'";
	static const char pem[] = "DELETE FROM cert_pem WHERE cert_id = ?";
	static const char sql[] = "DELETE FROM certs WHERE id = ? AND state = 'pending'";
	/* A create inserts the user with its pending certificate: undo both, or the name
	 * stays taken by a user nobody can see. */
	static const char user[] = "DELETE FROM users WHERE id = ?1 AND cert_id IS NULL AND "
				   "NOT EXISTS (SELECT 1 FROM certs WHERE user_id = ?1)";
	sqlite3_stmt *s = stmt(st, owner);
	int64_t user_id = 0;
	int found;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, cert_id);
	if (one_int(st, s, &user_id, &found) < 0 ||
	    run(st, pem, "delete certificate", "i", cert_id) < 0 ||
	    run(st, sql, "delete certificate", "i", cert_id) < 0)
		return -1;
	return found ? run(st, user, "delete user", "i", user_id) : 0;
}

int store_crl_next_number(store *st, int64_t *number)
{
	static const char sql[] = "SELECT coalesce(max(number), 0) + 1 FROM crls";
	int found;

	return one_int(st, stmt(st, sql), number, &found);
}

int store_crl_fresh_number(store *st, int64_t *number)
{
	static const char sql[] = "SELECT max((SELECT coalesce(max(number), 0) FROM crls), "
				  "(SELECT coalesce(max(number), 0) FROM crl_reserved)) + 1";
	int found;

	return one_int(st, stmt(st, sql), number, &found);
}

int store_crl_reserve(store *st, int64_t last)
{
	static const char sql[] = "UPDATE crl_reserved SET number = max(number, ?)";

	if (store_begin(st) < 0)
		return -1;
	if (run(st, sql, "reserve CRL numbers", "i", last) < 0) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st);
}

int store_crl_record(store *st, int64_t number, int64_t this_update, int64_t next_update,
		     const char *commit_id, int64_t published_at)
{
	static const char sql[] = "INSERT INTO crls(number, this_update, next_update, commit_id, "
				  "published_at) VALUES (?, ?, ?, ?, ?)";

	return run(st, sql, "record CRL", "iiiTn", number, this_update, next_update, commit_id,
		   published_at);
}

int store_crl_last_published(store *st, int64_t *number, int64_t *next_update, int *found)
{
	static const char sql[] = "SELECT number, next_update FROM crls WHERE published_at IS NOT NULL "
				  "ORDER BY number DESC LIMIT 1";

	return two_ints(st, stmt(st, sql), number, next_update, found);
}

int store_revocation_published(store *st, int64_t cert_id, int64_t at, const char *commit)
{
	static const char sql[] = "UPDATE certs SET published_at = ?2, publish_commit = ?3 "
				  "WHERE id = ?1";

	return run(st, sql, "record publication", "iiT", cert_id, at, commit);
}

int store_count(store *st, const char *what, int64_t *n)
{
	static const char users[] = "SELECT count(*) FROM users";
	static const char certs[] = "SELECT count(*) FROM certs";
	int found;

	return one_int(st, stmt(st, strcmp(what, "users") == 0 ? users : certs), n, &found);
}

int store_crl_last(store *st, store_crl *out, int *found)
{
	static const char sql[] = "SELECT number, this_update, next_update, commit_id, published_at "
				  "FROM crls WHERE published_at IS NOT NULL ORDER BY number DESC LIMIT 1";
	sqlite3_stmt *s = stmt(st, sql);
	int rc;

	memset(out, 0, sizeof *out);
	*found = 0;
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*found = 1;
		out->number = sqlite3_column_int64(s, 0);
		out->this_update = sqlite3_column_int64(s, 1);
		out->next_update = sqlite3_column_int64(s, 2);
		snprintf(out->commit_id, sizeof out->commit_id, "%s", col_text(s, 3));
		out->published_at = sqlite3_column_int64(s, 4);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_err(st, "query");
}

int store_schema_version(store *st, int *version)
{
	return user_version(st, version);
}

/*
 * SQLite's online backup copies the pages under one read transaction: a consistent
 * snapshot while other processes write (WAL readers never block writers), and no
 * half-written page as a file copy could give. The copy leaves WAL mode so that it
 * opens anywhere without -wal and -shm files.
 */
int store_backup_to(store *st, const char *path)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc = -1;

	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_EXCLUSIVE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		cd_err("cannot create %s: %s", path, dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if (!(b = sqlite3_backup_init(dst, "main", st->db, "main"))) {
		cd_err("database: cannot copy: %s", sqlite3_errmsg(dst));
		goto out;
	}
	sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		cd_err("database: copy to %s failed: %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		cd_err("database: %s: %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(dst);
	return rc;
}

/* A database held in memory (read from a backup), opened and migrated there. */
int store_open_image(const void *data, size_t len, const char *name, store **out)
{
	store *st = calloc(1, sizeof *st);
	unsigned char *copy;
	int rc;

	if (!st || !(copy = sqlite3_malloc64(len ? len : 1)))
		abort();
	memcpy(copy, data, len);
	if (sqlite3_open_v2(":memory:", &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		sqlite3_free(copy);
		store_close(st);
		return cd_err("%s: cannot open a database in memory", name);
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (sqlite3_deserialize(st->db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
				SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
	    SQLITE_OK) {
		store_close(st);
		return cd_err("%s: not an SQLite database", name);
	}
	if ((rc = prepare_db(st, name, 0)) < 0) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

int store_revocation_taken_in(store *st, int64_t cert_id, int64_t revoke_at, int reason,
			      int64_t published_at, const char *commit)
{
	static const char sql[] = "UPDATE certs SET revoke_at = ?2, revoke_reason = ?3, "
				  "published_at = ?4, publish_commit = ?5 WHERE id = ?1";

	return run(st, sql, "record publication", "iiiiT", cert_id, revoke_at, (int64_t)reason,
		   published_at, commit);
}

int store_user_of_cert(store *st, int64_t cert_id, char **user)
{
	static const char sql[] = "SELECT u.name FROM certs c JOIN users u ON u.id = c.user_id "
				  "WHERE c.id = ?";
	sqlite3_stmt *s = stmt(st, sql);

	if (s)
		sqlite3_bind_int64(s, 1, cert_id);
	return one_text(st, s, user);
}

/* ---- checks (verify) ---- */

struct problem_ctx {
	store_problem_fn fn;
	void *ctx;
};

static int problem_row(sqlite3_stmt *s, void *p)
{
	struct problem_ctx *c = p;

	return c->fn(c->ctx, col_text(s, 0));
}

int store_check(store *st, store_problem_fn fn, void *ctx)
{
	/* Each query gives one line per problem. */
	static const char integrity[] = "SELECT 'SQLite integrity_check: ' || integrity_check "
					"FROM pragma_integrity_check WHERE integrity_check <> 'ok'";
	static const char fkeys[] = "SELECT printf('row %d of table %s refers to a missing row "
				    "of %s', rowid, \"table\", parent) FROM pragma_foreign_key_check";
	static const char pending[] = "SELECT printf('certificate %s of %s is pending: an issue "
				      "was interrupted or is running (the next writing command "
				      "undoes an interrupted one)', c.serial, coalesce(u.name, '?')) "
				      "FROM certs c LEFT JOIN users u ON u.id = c.user_id "
				      "WHERE c.state = 'pending'";
	static const char no_pem[] = "SELECT printf('certificate %s (row %d) has no PEM text', "
				     "c.serial, c.id) FROM certs c LEFT JOIN cert_pem p ON "
				     "p.cert_id = c.id WHERE p.cert_id IS NULL";
	static const char no_cur[] = "SELECT printf('user %s has no current certificate of "
				     "their own', u.name) FROM users u LEFT JOIN certs c ON "
				     "c.id = u.cert_id WHERE c.id IS NULL OR c.user_id <> u.id OR "
				     "c.state <> 'issued'";
	static const char no_hash[] = "SELECT printf('%d audit rows have no hash', count(*)) "
				      "FROM audit WHERE hash IS NULL HAVING count(*) > 0";
	const char *const sql[] = {integrity, fkeys, pending, no_pem, no_cur, no_hash};
	struct problem_ctx c = {fn, ctx};
	size_t i;

	for (i = 0; i < sizeof sql / sizeof *sql; i++)
		if (each(st, stmt(st, sql[i]), problem_row, &c) < 0)
			return -1;
	return 0;
}

struct pem_ctx {
	store_cert_pem_fn fn;
	void *ctx;
};

static int pem_row(sqlite3_stmt *s, void *p)
{
	struct pem_ctx *c = p;
	store_cert cert;

	read_cert(s, 0, &cert);
	return c->fn(c->ctx, col_text(s, CERT_NCOLS), &cert, col_opt_text(s, CERT_NCOLS + 1),
		     (size_t)sqlite3_column_bytes(s, CERT_NCOLS + 1));
}

int store_certs_all(store *st, store_cert_pem_fn fn, void *ctx)
{
	static const char sql[] = "SELECT " CERT_COLS("c") ", coalesce(u.name, ''), p.pem "
				  "FROM certs c LEFT JOIN users u ON u.id = c.user_id "
				  "LEFT JOIN cert_pem p ON p.cert_id = c.id ORDER BY c.id";
	struct pem_ctx c = {fn, ctx};

	return each(st, stmt(st, sql), pem_row, &c);
}

/* ---- canaries and probe results ---- */

static int canary_row(sqlite3_stmt *s, void *ctx)
{
	struct { store_canary_fn fn; void *ctx; } *c = ctx;
	store_canary k = {0};

	snprintf(k.serial, sizeof k.serial, "%s", col_text(s, 0));
	snprintf(k.issuer, sizeof k.issuer, "%s", col_text(s, 1));
	k.not_before = sqlite3_column_int64(s, 2);
	k.not_after = sqlite3_column_int64(s, 3);
	k.revoked_at = sqlite3_column_int64(s, 4);
	k.crl_number = sqlite3_column_int64(s, 5);
	k.pushed_at = sqlite3_column_int64(s, 6);
	k.dropped_at = sqlite3_column_int64(s, 7);
	return c->fn(c->ctx, &k);
}

int store_canaries(store *st, store_canary_fn fn, void *ctx)
{
	static const char sql[] = "SELECT serial, issuer, not_before, not_after, revoked_at, "
				  "crl_number, pushed_at, dropped_at FROM canaries ORDER BY "
				  "revoked_at IS NOT NULL, crl_number DESC, id DESC";
	struct { store_canary_fn fn; void *ctx; } c = {fn, ctx};

	return each(st, stmt(st, sql), canary_row, &c);
}

int store_canary_put(store *st, const store_canary *k)
{
	static const char sql[] = "INSERT INTO canaries(serial, issuer, not_before, not_after, "
				  "revoked_at, crl_number, pushed_at, dropped_at) VALUES (?1, ?2, ?3, "
				  "?4, ?5, ?6, ?7, ?8) ON CONFLICT(serial) DO UPDATE SET revoked_at = "
				  "?5, crl_number = ?6, pushed_at = ?7, dropped_at = ?8";

	return run(st, sql, "record a canary", "tTiinnnn", k->serial, k->issuer[0] ? k->issuer :
		   NULL, k->not_before, k->not_after, k->revoked_at, k->crl_number, k->pushed_at,
		   k->dropped_at);
}

int store_probe_next_run(store *st, int64_t *n)
{
	static const char sql[] = "SELECT coalesce(max(run), 0) + 1 FROM probe_results";
	int found;

	return one_int(st, stmt(st, sql), n, &found);
}

int store_probe_add(store *st, int64_t n, int64_t run_at, const char *target,
		    const char *state, int64_t level, int64_t behind, const char *detail)
{
	static const char sql[] = "INSERT INTO probe_results(run, run_at, target, state, level, "
				  "behind, detail) VALUES (?, ?, ?, ?, ?, ?, ?)";

	return run(st, sql, "record a probe", "iittiit", n, run_at, target, state, level, behind,
		   detail);
}

static int probe_row(sqlite3_stmt *s, void *ctx)
{
	struct { store_probe_fn fn; void *ctx; } *c = ctx;

	return c->fn(c->ctx, sqlite3_column_int64(s, 0), col_text(s, 1), col_text(s, 2),
		     sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4), col_text(s, 5));
}

int store_probe_last(store *st, store_probe_fn fn, void *ctx)
{
	static const char sql[] = "SELECT run_at, target, state, level, behind, detail FROM "
				  "probe_results WHERE run = (SELECT max(run) FROM probe_results) "
				  "ORDER BY id";
	struct { store_probe_fn fn; void *ctx; } c = {fn, ctx};

	return each(st, stmt(st, sql), probe_row, &c);
}
