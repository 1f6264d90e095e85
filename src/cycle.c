/* cycle.c: renewal stages and the readiness rule. See cycle.h. */
#include "cycle.h"

#include <stdio.h>
#include <string.h>

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
	return old->id && old->published_at ? STAGE_REVOKED : STAGE_ACTIVE;
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
