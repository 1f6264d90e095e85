/* cycle.c: renewal stages and the readiness rule. See cycle.h. */
#include "cycle.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ca.h"
#include "util.h"

static const char *const names[] = {
#define CYCLE_NAME(id, name, help) name,
	CYCLE_STAGES(CYCLE_NAME)
#undef CYCLE_NAME
};

static const char *const helps[] = {
#define CYCLE_HELP(id, name, help) help,
	CYCLE_STAGES(CYCLE_HELP)
#undef CYCLE_HELP
};

const char *cycle_stage_name(cycle_stage s)
{
	return s < STAGE_COUNT ? names[s] : "?";
}

const char *cycle_stage_help(cycle_stage s)
{
	return s < STAGE_COUNT ? helps[s] : "?";
}

int cycle_stage_parse(const char *name, cycle_stage *s)
{
	int i;

	for (i = 0; i < STAGE_COUNT; i++) {
		if (strcmp(names[i], name) == 0) {
			*s = (cycle_stage)i;
			return 0;
		}
	}
	return cd_err("unknown stage '%.20s'", name);
}

int cycle_in_window(int64_t not_after, int64_t now, int64_t window)
{
	/* In calendar days, as the list shows them: "14 days left" is inside 14 days. */
	return cd_days_until(not_after, now) <= window / CD_DAY;
}

int64_t cycle_window_end(int64_t now, int64_t window)
{
	return (now - ((now % CD_DAY) + CD_DAY) % CD_DAY) + window + CD_DAY;
}

int cycle_renewal_open(const store_row *r, int64_t now, int64_t window)
{
	const store_cert *cur = &r->cur, *old = &r->old;

	/* A plain revocation of the new certificate ends the renewal as well: otherwise a
	 * user revoked for good mid-renewal could still be renewed, notified, revoked again. */
	if (!old->id || old->published_at || cur->revoke_at ||
	    cycle_in_window(cur->not_after, now, window))
		return 0;
	return old->not_after > now || !cur->applied_at;
}

const store_cert *cycle_cert(const store_row *r, int64_t now, int64_t window)
{
	return cycle_renewal_open(r, now, window) ? &r->old : &r->cur;
}

cycle_stage cycle_stage_of(const store_row *r, int64_t now, int64_t window)
{
	const store_cert *cur = &r->cur, *old = &r->old;
	int renewal_open = cycle_renewal_open(r, now, window);

	/* A plain revocation (the person left, the key was lost) ends the story. */
	if (cur->revoke_at && !renewal_open)
		return STAGE_REVOKED;
	if (cur->not_after <= now)
		return STAGE_EXPIRED;
	if (renewal_open)
		return cur->applied_at ? STAGE_APPLIED : STAGE_RENEWED;
	if (cycle_in_window(cur->not_after, now, window))
		return cur->notified_at ? STAGE_NOTIFIED : STAGE_EXPIRING;
	/* This year's renewal is complete until next year's window opens. */
	return old->id && old->published_at ? STAGE_DONE : STAGE_ACTIVE;
}

int cycle_needs_action(cycle_stage s)
{
	return s == STAGE_EXPIRED || s == STAGE_EXPIRING || s == STAGE_NOTIFIED ||
	       s == STAGE_RENEWED || s == STAGE_APPLIED;
}

void cycle_ready(const store_row *p, int64_t now, cycle_readiness *out)
{
	const store_cert *c = &p->cur, *repl = &p->old;
	char issued[16], ends[16], applied[16];

	cd_format_date(c->not_after, ends);
	out->ready = 1;
	if (c->revoke_forced) {
		snprintf(out->why, sizeof out->why, "ready: revoked at once (forced)");
	} else if (!repl->id) {
		snprintf(out->why, sizeof out->why, "ready: plain revocation, no replacement");
	} else if (repl->applied_at) {
		cd_format_date(repl->applied_at, applied);
		snprintf(out->why, sizeof out->why, "ready: %s applied the new certificate on %s",
			 p->u.name, applied);
	} else if (c->not_after <= now) {
		snprintf(out->why, sizeof out->why, "ready: the old certificate expired on %s", ends);
	} else {
		out->ready = 0;
		cd_format_date(repl->issued_at, issued);
		snprintf(out->why, sizeof out->why,
			 "held: waiting for %s to apply the certificate issued %s; safe anyway "
			 "from %s when the old one expires", p->u.name, issued, ends);
	}
}

/* Why a command does not apply to a user, as a code: the words are made only when a
 * refusal is shown, not for every row of a listing. */
enum act_why { ACT_OK, ACT_EXISTS, ACT_REVOKED, ACT_NOT_RENEWING, ACT_APPLIED, ACT_NO_PW };

enum { V_USER = 1, V_OPEN = 2, V_REVOKE_AT = 4, V_APPLIED = 8, V_PW = 16 };

cycle_verdict cycle_verdict_of(const store_row *r, int64_t now, int64_t window)
{
	if (!r)
		return 0;
	return (cycle_verdict)(V_USER | (cycle_renewal_open(r, now, window) ? V_OPEN : 0) |
			       (r->cur.revoke_at ? V_REVOKE_AT : 0) |
			       (r->cur.applied_at ? V_APPLIED : 0) |
			       (r->cur.pw_path && *r->cur.pw_path ? V_PW : 0));
}

static enum act_why act_judged(cycle_verdict v, cmd_id c)
{
	/* A plain revocation ends the story (the stage is revoked): only create starts a
	 * new one. */
	int open = v & V_OPEN, dead = (v & V_REVOKE_AT) && !open;

	if (c == CMD_CREATE)
		return !(v & V_USER) || dead ? ACT_OK : ACT_EXISTS;
	if (!(cmd_table[c].flags & CMD_ROW) || !(v & V_USER))
		return ACT_OK;
	switch (c) {
	case CMD_RENEW: case CMD_REVOKE: case CMD_NOTIFY:
		return dead ? ACT_REVOKED : ACT_OK;
	case CMD_APPLIED:
		if (!open || (v & V_REVOKE_AT))
			return ACT_NOT_RENEWING;
		return v & V_APPLIED ? ACT_APPLIED : ACT_OK;
	case CMD_PASSWORD:
		return v & V_PW ? ACT_OK : ACT_NO_PW;
	default:
		return ACT_OK;
	}
}

static enum act_why act_why(const store_row *r, int64_t now, int64_t window, cmd_id c)
{
	return act_judged(cycle_verdict_of(r, now, window), c);
}

int cycle_applies(const store_row *r, int64_t now, int64_t window, cmd_id c)
{
	return act_why(r, now, window, c) == ACT_OK;
}

int cycle_verdict_allows(cycle_verdict v, cmd_id c)
{
	return act_judged(v, c) == ACT_OK;
}

int cycle_action_check(const store_row *r, int64_t now, int64_t window, cmd_id c)
{
	const char *user = r ? r->u.name : "", *serial = r ? r->cur.serial : "";

	switch (act_why(r, now, window, c)) {
	case ACT_OK:
		return 0;
	case ACT_EXISTS:
		return cd_err("user '%s' exists already; use 'certdesk renew %s'", user, user);
	case ACT_REVOKED:
		if (c == CMD_REVOKE)
			return cd_err("%s's certificate %s is already revoked", user, serial);
		return cd_err("%s's certificate %s is revoked, so there is nothing to renew: "
			      "'certdesk create %s' issues a new one", user, serial, user);
	case ACT_NOT_RENEWING:
		return cd_err("%s has no pending renewal to mark applied", user);
	case ACT_APPLIED:
		return cd_err("%s's new certificate %s is already marked applied", user, serial);
	case ACT_NO_PW:
		return cd_err("no .pw file is recorded for %s", user);
	}
	return 0;
}

/* What each stage asks of the operator now, first to last. */
static const cmd_id stage_steps[STAGE_COUNT][CYCLE_STEPS_MAX - 1] = {
	[STAGE_EXPIRED] = {CMD_RENEW, CMD_REVOKE},
	[STAGE_EXPIRING] = {CMD_NOTIFY, CMD_COPY_TASK, CMD_COPY_MAIL, CMD_RENEW},
	[STAGE_NOTIFIED] = {CMD_COPY_TASK, CMD_COPY_MAIL, CMD_RENEW, CMD_TASK},
	[STAGE_RENEWED] = {CMD_APPLIED, CMD_COPY_MAIL},
	[STAGE_APPLIED] = {CMD_PUBLISH},
	[STAGE_REVOKED] = {CMD_CREATE},
};

int cycle_next_steps(int stage, int ready, cmd_id out[CYCLE_STEPS_MAX])
{
	const cmd_id *st = stage >= 0 && stage < STAGE_COUNT ? stage_steps[stage] : NULL;
	int i, n = 0, has_publish = 0;

	for (i = 0; st && i < CYCLE_STEPS_MAX - 1 && st[i]; i++) {
		has_publish |= st[i] == CMD_PUBLISH;
		out[n++] = st[i];
	}
	if (ready > 0 && !has_publish) /* something is ready, whoever is selected */
		out[n++] = CMD_PUBLISH;
	out[n] = CMD_INIT;
	return n;
}

int cycle_is_next_step(int stage, int ready, cmd_id c)
{
	cmd_id st[CYCLE_STEPS_MAX];
	int i, n = cycle_next_steps(stage, ready, st);

	for (i = 0; i < n; i++)
		if (st[i] == c)
			return 1;
	return 0;
}


static const char *const cert_words[] = {
#define CYCLE_CERT_WORD(id, name) name,
	CYCLE_CERT_STATES(CYCLE_CERT_WORD)
#undef CYCLE_CERT_WORD
};

static void describe(cycle_cert_desc *out, cycle_cert_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void describe(cycle_cert_desc *out, cycle_cert_state st, const char *fmt, ...)
{
	va_list ap;

	out->state = st;
	out->word = cert_words[st];
	va_start(ap, fmt);
	vsnprintf(out->text, sizeof out->text, fmt, ap);
	va_end(ap);
}

/* A scheduled revocation: ready or held, in cycle_ready's words. */
static void describe_scheduled(const store_cert *c, const store_cert *repl, const char *user,
			       int64_t now, cycle_cert_desc *out)
{
	store_row p;
	cycle_readiness rd;
	char at[16];

	memset(&p, 0, sizeof p);
	p.u.name = user;
	p.cur = *c;
	if (repl)
		p.old = *repl;
	cycle_ready(&p, now, &rd);
	cd_format_date(c->revoke_at, at);
	describe(out, rd.ready ? CERT_SCHEDULED : CERT_HELD, "revocation scheduled on %s "
		 "(%s); %s", at, ca_reason_name(c->revoke_reason), rd.why);
}

/* Precedence: what the CRL says, then what waits for it, then the calendar. */
void cycle_describe_cert(const store_cert *c, const store_cert *repl, const char *user,
			 int64_t now, cycle_cert_desc *out)
{
	char end[16], at[16];

	cd_format_date(c->not_after, end);
	if (c->published_at) {
		cd_format_date(c->published_at, at);
		describe(out, CERT_IN_CRL, "revoked (%s), in the CRL since %s",
			 ca_reason_name(c->revoke_reason), at);
	} else if (c->revoke_at) {
		describe_scheduled(c, repl, user, now, out);
	} else if (c->not_after <= now) {
		describe(out, CERT_EXPIRED, "expired on %s", end);
	} else if (repl) {
		describe(out, CERT_SUPERSEDED, "superseded by %s, valid until %s, no revocation "
			 "recorded", repl->serial, end);
	} else if (c->applied_at) {
		cd_format_date(c->applied_at, at);
		describe(out, CERT_APPLIED, "valid until %s, applied %s", end, at);
	} else {
		describe(out, CERT_VALID, "valid until %s", end);
	}
}

static const struct {
	const char *name, *help;
} late_kinds[LATE_COUNT] = {
	[LATE_ON_TIME] = {"", ""},
	[LATE_RENEWAL] = {"renewal", "notified, not renewed"},
	[LATE_APPLY] = {"apply", "renewed, new certificate not applied"},
};

const char *cycle_late_name(cycle_late_kind k)
{
	return k < LATE_COUNT ? late_kinds[k].name : "?";
}

const char *cycle_late_help(cycle_late_kind k)
{
	return k < LATE_COUNT ? late_kinds[k].help : "?";
}

int cycle_late_of(const store_row *r, int64_t now, int64_t window, const cycle_limits *lim,
		  cycle_late *out)
{
	cycle_stage s = cycle_stage_of(r, now, window);
	int open = cycle_renewal_open(r, now, window);
	int64_t limit;

	memset(out, 0, sizeof *out);
	out->mailed = cycle_cert(r, now, window)->notified_at;
	/* An expired certificate that was mailed about is the same unanswered mail, later. */
	if ((s == STAGE_NOTIFIED || s == STAGE_EXPIRED) && !open && r->cur.notified_at) {
		out->since = r->cur.notified_at;
		limit = lim->renewal_days;
		out->kind = LATE_RENEWAL;
	} else if (s == STAGE_RENEWED) {
		out->since = r->cur.issued_at;
		limit = lim->apply_days;
		out->kind = LATE_APPLY;
	} else {
		return 0;
	}
	out->days = cd_days_until(now, out->since);
	if (out->days <= limit)
		out->kind = LATE_ON_TIME;
	return out->kind != LATE_ON_TIME;
}

