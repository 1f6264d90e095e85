/* canary.h: certdesk's own client certificates, CN=certdesk-probe, that tell from the
 * outside which CRL a server enforces.
 *
 * Each publish that signs a CRL revokes the current control in it and issues the next
 * control, so the newest revoked canary marks exactly the newest CRL. They live as
 * ca/canary/SERIAL.{crt,key} (0600) and as rows of the canaries table, never as users.
 * A publish writes the new files before its push and removes them when the push fails;
 * the rows are written with the CRL's record (canary_settle), after the push. A file
 * without a row (a run killed mid-publish) is adopted by the next publish when the CRL
 * it pushed holds it, else removed. Canaries exist only once probing is configured
 * (probe.targets or probe.enabled): a team without servers to probe gets nothing extra
 * in its CRL. */
#ifndef CD_CANARY_H
#define CD_CANARY_H

#include <stddef.h>
#include <stdint.h>

#include "desk.h"
#include "store.h"

#define CANARY_CN "certdesk-probe"
#define CANARY_REASON 4 /* superseded: each control by the next */

/* Whether probing is configured (probe.targets set, or probe.enabled on). */
int canary_active(desk *d);

/* Every canary the home knows of: rows, newest first, then files without a row. */
typedef struct {
	store_canary *v;
	size_t n, rows;
} canary_list;
int canary_list_get(desk *d, canary_list *l);
void canary_list_free(canary_list *l);
/* home/ca/canary/SERIAL.ext, malloc'd. */
char *canary_path(const desk *d, const char *serial, const char *ext);
/* The newest control valid at now (NULL: none), the newest revoked one in force. */
const store_canary *canary_control(const canary_list *l, int64_t now);
const store_canary *canary_newest_revoked(const canary_list *l);

/* One publish's canaries (under the publish lock, CA key loaded). */
typedef struct {
	int prepared;          /* probing is configured: this run rotates the canaries */
	int due;               /* a CRL must be signed for them (none yet, control ending) */
	store_canary revoke;   /* revoked in this run's CRL: the control, or a fresh one */
	store_canary control;  /* the next control, fresh */
	int revoke_fresh;      /* no control yet: revoke is issued with the control */
	int issued;            /* canary_issue wrote the new files */
	int64_t at;            /* the revocation's time */
	char **serials;        /* every canary serial known, sorted (recovery, take-in) */
	size_t n_serials;
} canary_run;
/* Chooses (once per run, no file written): the control to revoke, whether a CRL is due
 * for the canaries. canary_issue, before the first CRL of the run is signed, writes the
 * new control (and a canary to revoke when there was no control). */
int canary_prepare(desk *d, canary_run *r, int64_t refresh);
int canary_issue(desk *d, canary_run *r);
/* Removes the files this run issued (its push failed, or it signed no CRL). */
void canary_discard(desk *d, canary_run *r);
void canary_run_free(canary_run *r);
int canary_known(const canary_run *r, const char *serial);
/* Loads the serials known (rows and files) into r without preparing. */
int canary_load_serials(desk *d, canary_run *r);

/* Inside the caller's transaction, after the push of this CRL: each canary it revokes
 * is recorded revoked in it, each revoked one it no longer holds as dropped (expired),
 * each file without a row that it does not hold as a control. */
int canary_settle(desk *d, const char *crl_pem, size_t len, int64_t pushed_at);

#endif
