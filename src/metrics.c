/* metrics.c: Prometheus text exposition and the Nagios line. See metrics.h. */
#include "metrics.h"
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ca.h"

/* The CRL comes first: its nextUpdate passing locks every user out at once, and no
 * x509 exporter in common use reads it. */
#define HELP_CRL_NEXT "nextUpdate of the published CRL, Unix time: once passed, servers " \
	"reject every client certificate (certdesk publish re-signs it)"

struct per_user {
	desk *d;
	cd_buf *out;
	size_t stages[STAGE_COUNT];
};

static void family(cd_buf *out, const char *name, const char *help)
{
	cd_buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

void metrics_label(cd_buf *out, const char *s)
{
	cd_buf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			cd_buf_putc(out, '\\');
		if (*s == '\n')
			cd_buf_puts(out, "\\n");
		else
			cd_buf_putc(out, *s);
	}
	cd_buf_putc(out, '"');
}

/* Revoked users are left out, as list leaves them out: their end is no one's alarm. */
static int user_line(void *ctx, const store_row *r)
{
	struct per_user *p = ctx;
	cycle_stage s = desk_stage(p->d, r);

	p->stages[s]++;
	if (s == STAGE_REVOKED)
		return 0;
	cd_buf_puts(p->out, "certdesk_cert_not_after_seconds{user=");
	metrics_label(p->out, r->u.name);
	cd_buf_puts(p->out, ",serial=");
	metrics_label(p->out, r->cur.serial);
	cd_buf_printf(p->out, "} %lld\n", (long long)r->cur.not_after);
	return 0;
}

static int crl_lines(desk *d, cd_buf *out)
{
	store_crl last;
	int found;

	if (store_crl_last(d->st, &last, &found) < 0)
		return -1;
	family(out, "certdesk_crl_published", "1 when a CRL has been published, else 0");
	cd_buf_printf(out, "certdesk_crl_published %d\n", found);
	if (!found)
		return 0;
	family(out, "certdesk_crl_next_update_seconds", HELP_CRL_NEXT);
	cd_buf_printf(out, "certdesk_crl_next_update_seconds %lld\n", (long long)last.next_update);
	family(out, "certdesk_crl_this_update_seconds", "thisUpdate of the published CRL, Unix time");
	cd_buf_printf(out, "certdesk_crl_this_update_seconds %lld\n", (long long)last.this_update);
	family(out, "certdesk_crl_number", "CRL Number of the published CRL");
	cd_buf_printf(out, "certdesk_crl_number %lld\n", (long long)last.number);
	family(out, "certdesk_last_publish_timestamp_seconds",
	       "when the last publish pushed the CRL, Unix time");
	cd_buf_printf(out, "certdesk_last_publish_timestamp_seconds %lld\n",
		      (long long)last.published_at);
	return 0;
}

static void ca_lines(desk *d, cd_buf *out)
{
	family(out, "certdesk_ca_not_after_seconds",
	       "notAfter of the CA certificate, Unix time (certdesk ca renew)");
	cd_buf_puts(out, "certdesk_ca_not_after_seconds{ca=");
	metrics_label(out, ca_name(d->ca));
	cd_buf_printf(out, "} %lld\n", (long long)ca_not_after(d->ca));
}

static int revocation_lines(desk *d, cd_buf *out)
{
	publish_plan pl;

	if (publish_plan_get(d, &pl) < 0)
		return -1;
	family(out, "certdesk_revocations_scheduled",
	       "revocations not yet published: ready for the next publish, or held");
	cd_buf_printf(out, "certdesk_revocations_scheduled{state=\"ready\"} %zu\n"
		      "certdesk_revocations_scheduled{state=\"held\"} %zu\n", pl.ready, pl.held);
	publish_plan_free(&pl);
	return 0;
}

static int probe_state_line(void *ctx, int64_t at, const char *target, const char *state,
			    int64_t level, int64_t behind, const char *detail)
{
	cd_buf *out = ctx;

	cd_buf_puts(out, "certdesk_probe_level{target=");
	metrics_label(out, target);
	cd_buf_puts(out, ",state=");
	metrics_label(out, state);
	cd_buf_printf(out, "} %lld\n", (long long)level);
	return 0;
}

/* The last probe (certdesk probe), per target: its state as a label, its level
 * (0 current, 1 stale past the grace time, 2 critical, 3 unreachable) as the value. */
static int probe_lines(desk *d, cd_buf *out)
{
	probe_report r;
	size_t n;

	if (probe_last(d, &r) < 0)
		return -1;
	if (r.n) {
		family(out, "certdesk_probe_timestamp_seconds", "when certdesk probe last ran, Unix "
		       "time");
		cd_buf_printf(out, "certdesk_probe_timestamp_seconds %lld\n", (long long)r.at);
		family(out, "certdesk_probe_level", "per server of the last probe: 0 the newest CRL "
		       "in force, 1 stale past probe.grace_hours, 2 refusing everyone or not "
		       "checking or stale past probe.limit_hours, 3 unreachable");
	}
	n = r.n;
	probe_report_free(&r);
	return n ? store_probe_last(d->st, probe_state_line, out) : 0;
}

static void stage_lines(cd_buf *out, const size_t *stages)
{
	int s;

	family(out, "certdesk_users", "users per renewal stage (certdesk list --all)");
	for (s = 0; s < STAGE_COUNT; s++)
		cd_buf_printf(out, "certdesk_users{stage=\"%s\"} %zu\n",
			      cycle_stage_name((cycle_stage)s), stages[s]);
}

int metrics_text(desk *d, cd_buf *out)
{
	struct per_user p = {d, out, {0}};
	cd_buf users = {0};
	int rc;

	if (crl_lines(d, out) < 0)
		return -1;
	ca_lines(d, out);
	if (revocation_lines(d, out) < 0 || probe_lines(d, out) < 0)
		return -1;
	/* The users' lines are gathered apart: the stage counts come before them. */
	p.out = &users;
	family(&users, "certdesk_cert_not_after_seconds",
	       "notAfter of each user's current certificate, Unix time (revoked users left out)");
	rc = store_brief_rows(d->st, STORE_BY_USER, user_line, &p);
	if (rc == 0) {
		stage_lines(out, p.stages);
		cd_buf_add(out, users.s, users.len);
	}
	cd_buf_free(&users);
	return rc;
}

int metrics_write(desk *d, const char *path)
{
	cd_buf b = {0};
	struct stat st;
	int rc;

	if (path && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return cd_err("--out %s is a directory: give the file to write, e.g. "
			      "%s/certdesk.prom", path, path);
	if (metrics_text(d, &b) < 0) {
		cd_buf_free(&b);
		return -1;
	}
	if (path) {
		/* 0644: node_exporter runs as another user. */
		rc = cd_replace_file(path, b.s, b.len, 0644);
	} else if ((rc = cd_write_fd(1, b.s, b.len)) < 0) {
		rc = cd_err("cannot write the metrics: %s", strerror(errno));
	}
	cd_buf_free(&b);
	return rc;
}

/* "3 expiring, 1 expired", the stages expirecheck reports, worst last. */
static void nagios_counts(const metrics_due *due, cd_buf *text)
{
	static const cycle_stage shown[] = {STAGE_EXPIRING, STAGE_NOTIFIED, STAGE_EXPIRED};
	size_t i, n = 0;

	for (i = 0; i < sizeof shown / sizeof *shown; i++) {
		if (!due->due[shown[i]])
			continue;
		cd_buf_printf(text, "%s%zu %s", n++ ? ", " : "", due->due[shown[i]],
			      cycle_stage_name(shown[i]));
	}
	if (!n)
		cd_buf_puts(text, "no certificate due");
}

/* Days left as performance data (no unit: Nagios has none for days); a lapsed date
 * goes negative, which graphs well. */
static void nagios_days(cd_buf *text, const char *label, int64_t when, int64_t now)
{
	cd_buf_printf(text, " %s=%lld", label, (long long)cd_days_until(when, now));
}

int metrics_nagios(desk *d, const metrics_due *due, const publish_alarms *h, cd_buf *text)
{
	publish_state ps;
	char line[1024];
	int level = due->due[STAGE_EXPIRED] ? 2 : 0, i;

	if (publish_state_get(d, &ps) < 0)
		return -1;
	if (!level && (due->due[STAGE_EXPIRING] || due->due[STAGE_NOTIFIED]))
		level = 1;
	if (h->worst > level)
		level = h->worst;
	nagios_counts(due, text);
	for (i = 0; i < h->n; i++)
		cd_buf_printf(text, "; %s", h->items[i].msg);
	if ((i = probe_health(d, line, sizeof line)) < 0)
		return -1;
	if (line[0])
		cd_buf_printf(text, "; %s", line);
	/* A server out of reach is no failed check of the home: a warning here. */
	if ((i == 3 ? 1 : i) > level)
		level = i == 3 ? 1 : i;
	cd_buf_printf(text, " | expiring=%zu notified=%zu expired=%zu held=%zu ready=%zu",
		      due->due[STAGE_EXPIRING], due->due[STAGE_NOTIFIED], due->due[STAGE_EXPIRED],
		      ps.held, ps.ready);
	if (ps.published)
		nagios_days(text, "crl_days_left", ps.next_update, d->now);
	nagios_days(text, "ca_days_left", ca_not_after(d->ca), d->now);
	return level;
}
