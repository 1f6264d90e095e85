/* publish.h: publishing revocations to the CRL's git repository, only when they are safe.
 *
 * The database is the truth: every publish regenerates and signs the CRL from it, makes
 * one commit per newly published revocation on crl.branch, pushes, and only after the
 * push succeeded records the revocations as published. The command line and the
 * dashboard both call these functions. */
#ifndef CD_PUBLISH_H
#define CD_PUBLISH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "desk.h"

/* The review branch, force-pushed at every publish: the published tip, plus one commit
 * per held revocation listing it in a text file (never a CRL). */
#define PUBLISH_PENDING_BRANCH "certdesk/pending"

/* One scheduled revocation, ready or held, as of d->now. */
typedef struct {
	int64_t cert_id;
	char *user, *serial, *task; /* task NULL when unknown */
	char *issuer;               /* ca_kid of its CA; NULL: the home's first CA */
	int64_t not_before, not_after, revoke_at;
	int reason;
	int ready;
	char why[256]; /* cycle_ready's words: "ready: ..." or "held: ..." */
} publish_item;

/* Every scheduled revocation not yet published, ordered by revoke_at. */
typedef struct {
	publish_item *items;
	size_t n, ready, held;
} publish_plan;

int publish_plan_get(desk *d, publish_plan *p);
void publish_plan_free(publish_plan *p);

/* Receives each line meant for the operator (ready/held lines, commits, pushes). */
typedef void (*publish_report_fn)(void *ctx, const char *line);

typedef struct {
	int dry_run;             /* list ready and held, change nothing */
	publish_report_fn report; /* may be NULL */
	void *ctx;
	/* Receives what went wrong although the run goes on (a stale lock removed, a CRL
	 * someone else put on the branch). NULL: report gets it, after "warning: ". */
	publish_report_fn warn;
} publish_opts;

typedef struct {
	size_t published; /* revocations newly recorded as published */
	size_t recovered; /* of which found already on the remote from an interrupted run */
	size_t commits;   /* commits pushed to crl.branch */
	size_t held;
	int refreshed;    /* a refresh (or initial) CRL was pushed */
} publish_result;

/* Publishes what is ready (see the file comment). Returns 0, or -1 with one line. */
int publish_run(desk *d, const publish_opts *o, publish_result *res);

/* What the dashboard's header shows. */
typedef struct {
	int published;       /* a CRL has been published */
	int64_t number;      /* its CRL Number */
	int64_t next_update; /* its nextUpdate */
	size_t ready, held;
} publish_state;
int publish_state_get(desk *d, publish_state *s);

/* The CRL as published (read from the home's clone at the recorded commit). When
 * nothing was published yet, signs a fresh CRL of the published revocations and sets
 * *fresh = 1. *pem is malloc'd. */
int publish_crl_pem(desk *d, char **pem, size_t *len, int *fresh);

/*
 * What can lock every user out at once, judged on d->now, for expirecheck, publish and
 * the dashboard's header alike: the published CRL's nextUpdate within crl.refresh_days
 * (level 1) or passed (2: every client certificate is being rejected), the CA
 * certificate's end within ca.warn_days (1) or passed (2).
 */
typedef struct {
	int level;     /* 1: act soon; 2: users are locked out */
	char msg[240]; /* one line, with the command that fixes it */
} publish_alarm;
typedef struct {
	publish_alarm items[2];
	int n;
	int worst;     /* the highest level, 0 when nothing is due */
} publish_alarms;
int publish_health(desk *d, publish_alarms *h); /* 0, or -1 on error */

#endif
