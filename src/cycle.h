/* cycle.h: where a user's renewal stands, and whether a scheduled revocation may be
 * published. Pure logic over stored facts: no I/O, no clock (now is a parameter). */
#ifndef CD_CYCLE_H
#define CD_CYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "store.h"

/* In the order a listing sorts them when expiry dates tie. The names are what scripts
 * see in list and expirecheck (TSV, JSON): the man page lists them. */
#define CYCLE_STAGES(_) \
	_(EXPIRED, "expired", "ran out without a renewal") \
	_(EXPIRING, "expiring", "inside the warning window, not yet notified") \
	_(NOTIFIED, "notified", "task and mail links generated, waiting for renewal") \
	_(RENEWED, "renewed", "new certificate issued, not yet installed by the user") \
	_(APPLIED, "applied", "user installed the new certificate; old one may be revoked") \
	_(DONE, "done", "renewed: the old certificate's revocation is in the published CRL") \
	_(REVOKED, "revoked", "revoked for good (left, key lost): only create issues another") \
	_(ACTIVE, "active", "valid, outside the warning window")

typedef enum {
#define CYCLE_ENUM(id, name, help) STAGE_##id,
	CYCLE_STAGES(CYCLE_ENUM)
#undef CYCLE_ENUM
	STAGE_COUNT
} cycle_stage;

const char *cycle_stage_name(cycle_stage s);
const char *cycle_stage_help(cycle_stage s);
int cycle_stage_parse(const char *name, cycle_stage *s);

/* Whether a certificate ending at not_after is inside the warning window (seconds, a
 * whole number of days), counted in calendar days as listings show days left. */
int cycle_in_window(int64_t not_after, int64_t now, int64_t window);
/* The first moment after the window: everything ending before it may be in it. */
int64_t cycle_window_end(int64_t now, int64_t window);

/*
 * Whether the user's renewal is still in progress: the old certificate's revocation is
 * not published, the new certificate is not revoked (a plain revocation ends the
 * renewal too), and the old one is still valid or the new one not yet applied. A year
 * on (the new certificate inside its own window) the next cycle starts regardless, so a
 * team that never publishes still hears about next year's expiry.
 */
int cycle_renewal_open(const store_row *r, int64_t now, int64_t window);
/* The certificate the current cycle is about (its expiry, task and links): the old
 * one while the renewal is open, else the current one. */
const store_cert *cycle_cert(const store_row *r, int64_t now, int64_t window);

/* The stage of a user (row.cur = current certificate, row.old = the one it renewed). */
cycle_stage cycle_stage_of(const store_row *r, int64_t now, int64_t window);
/* Whether the stage asks the operator to do something. */
int cycle_needs_action(cycle_stage s);

/*
 * Which commands apply to a user as of now: the one rule behind the core's refusals,
 * the command line's errors and the dashboard's hints. Commands that act on no user
 * (CMD_ROW unset, and create of a new user) always apply here; the read-only view and
 * --as-of are judged apart (cmd_allowed). r NULL: the user does not exist.
 */
/* Whether c applies to r, without the words. */
int cycle_applies(const store_row *r, int64_t now, int64_t window, cmd_id c);
/* What the rule needs of a user, in one byte, for a listing that keeps many users:
 * cycle_verdict_allows(cycle_verdict_of(r, now, window), c) == cycle_applies(r, now,
 * window, c) for every command. */
typedef uint8_t cycle_verdict;
cycle_verdict cycle_verdict_of(const store_row *r, int64_t now, int64_t window);
int cycle_verdict_allows(cycle_verdict v, cmd_id c);
/* 0 when c applies to r; else -1 with cd_err() saying why, in the words both show. */
int cycle_action_check(const store_row *r, int64_t now, int64_t window, cmd_id c);

/*
 * The next steps of a stage, in the order the operator takes them (both front ends
 * offer these first): into out, ending with CMD_INIT (never a step); publish joins them
 * whatever the stage when ready revocations wait. stage -1: no user. Returns how many.
 */
#define CYCLE_STEPS_MAX 6
int cycle_next_steps(int stage, int ready, cmd_id out[CYCLE_STEPS_MAX]);
/* Whether c is one of them. */
int cycle_is_next_step(int stage, int ready, cmd_id c);

/*
 * What became of a certificate, in one word and a phrase, for show, the detail view
 * and JSON. repl: the certificate that replaced it (NULL when none); user: for the
 * wording of a held revocation.
 */
#define CYCLE_CERT_STATES(_) \
	_(VALID, "valid") \
	_(APPLIED, "applied") \
	_(SUPERSEDED, "superseded") \
	_(EXPIRED, "expired") \
	_(HELD, "held") \
	_(SCHEDULED, "scheduled") \
	_(IN_CRL, "in-crl")

typedef enum {
#define CYCLE_CERT_ENUM(id, name) CERT_##id,
	CYCLE_CERT_STATES(CYCLE_CERT_ENUM)
#undef CYCLE_CERT_ENUM
	CERT_STATE_COUNT
} cycle_cert_state;

typedef struct {
	cycle_cert_state state;
	const char *word;  /* the state's name, as JSON and TSV carry it */
	char text[320];    /* "valid until 2027-01-05", "revocation held: waiting for..." */
	const char *issuer; /* the name of the CA that issued it (desk_certs fills it in) */
	int several_cas;    /* the home has more than one CA (a rollover): say which */
} cycle_cert_desc;
void cycle_describe_cert(const store_cert *c, const store_cert *repl, const char *user,
			 int64_t now, cycle_cert_desc *out);

/*
 * A scheduled revocation (p.cur = the certificate to revoke, p.old = its replacement,
 * id 0 when none): ready or held as of now, and why, in words.
 */
typedef struct {
	int ready;
	char why[256];
} cycle_readiness;
void cycle_ready(const store_row *p, int64_t now, cycle_readiness *out);

/*
 * Whether a user's renewal is late, as of now: notified more than renewal_days ago and
 * not renewed (the mail went unanswered), or renewed more than apply_days ago and the
 * new certificate not applied (the old one's revocation held meanwhile). Whole calendar
 * days, as listings count them: on the limit's own day the user is not late yet.
 */
typedef enum {
	LATE_ON_TIME,  /* "": not late, or no clock runs for the stage */
	LATE_RENEWAL,  /* "renewal": notified, not renewed */
	LATE_APPLY,    /* "apply": renewed, the new certificate not applied */
	LATE_COUNT
} cycle_late_kind;

typedef struct {
	int64_t renewal_days, apply_days; /* notify.overdue_days, apply.overdue_days */
} cycle_limits;

typedef struct {
	cycle_late_kind kind;
	int64_t since;   /* what the clock runs from: the mail, or the new certificate's issue */
	int64_t days;    /* whole days since then (also when on time, for a stage it applies to) */
	int64_t mailed;  /* when this cycle's user was notified, 0 when never */
} cycle_late;

/* The kind's name in TSV and JSON ("" when on time), and its phrase. */
const char *cycle_late_name(cycle_late_kind k);
const char *cycle_late_help(cycle_late_kind k);
/* Fills out; returns whether the user is late (out->kind != LATE_ON_TIME). */
int cycle_late_of(const store_row *r, int64_t now, int64_t window, const cycle_limits *lim,
		  cycle_late *out);

#endif
