-- certdesk database schema, version 1.  Applied by src/store.c (embedded there as
-- migration 1); later versions append migrations, never edit this one.
-- Times are UTC seconds since the epoch. No secret is ever stored here.

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	full_name  TEXT NOT NULL,
	email      TEXT NOT NULL,
	phone      TEXT NOT NULL DEFAULT '',
	location   TEXT NOT NULL DEFAULT '',
	org        TEXT NOT NULL DEFAULT '',
	ou         TEXT NOT NULL DEFAULT '',
	country    TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	cert_id    INTEGER                      -- the current certificate
);
CREATE INDEX users_cert ON users(cert_id);

-- One row per certificate ever issued. A renewal's facts live on the rows:
-- the expiring certificate carries the notification and the task, the new one
-- points back at it (replaces) and records when it was applied, and the old
-- one carries its scheduled and published revocation.
CREATE TABLE certs (
	id            INTEGER PRIMARY KEY,
	user_id       INTEGER NOT NULL REFERENCES users(id),
	serial        TEXT NOT NULL UNIQUE,     -- uppercase hex, no leading zero bytes
	state         TEXT NOT NULL CHECK (state IN ('pending', 'issued')),
	subject       TEXT NOT NULL,
	key_type      TEXT NOT NULL,
	not_before    INTEGER NOT NULL,
	not_after     INTEGER NOT NULL,
	issued_at     INTEGER NOT NULL,
	p12_path      TEXT,
	pw_path       TEXT,
	replaces      INTEGER REFERENCES certs(id),
	notified_at   INTEGER,
	task          TEXT,
	applied_at    INTEGER,
	applied_via   TEXT,
	revoke_at     INTEGER,                  -- revocation scheduled
	revoke_reason INTEGER,
	revoke_forced INTEGER NOT NULL DEFAULT 0,
	published_at  INTEGER,                  -- revocation is in the published CRL
	publish_commit TEXT
);
CREATE INDEX certs_user ON certs(user_id);
CREATE INDEX certs_not_after ON certs(not_after);
CREATE INDEX certs_replaces ON certs(replaces);
CREATE INDEX certs_unpublished ON certs(revoke_at) WHERE revoke_at IS NOT NULL AND published_at IS NULL;

-- Kept apart so that listing never reads the PEM text.
CREATE TABLE cert_pem (
	cert_id INTEGER PRIMARY KEY REFERENCES certs(id),
	pem     TEXT NOT NULL
);

CREATE TABLE audit (
	id     INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	user   TEXT,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_user ON audit(user, id);

-- Every CRL signed, in order: the CRL Number only grows.
CREATE TABLE crls (
	number       INTEGER PRIMARY KEY,
	this_update  INTEGER NOT NULL,
	next_update  INTEGER NOT NULL,
	commit_id    TEXT,
	published_at INTEGER
);
