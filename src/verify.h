/* verify.h: whether the whole home still agrees with itself: the database, the CA key and
 * certificate, every stored certificate and its files, the published CRL and the audit
 * trail with the chain heads pushed beside the CRL. Reads only; the command line and the
 * dashboard render the problems it returns. */
#ifndef CD_VERIFY_H
#define CD_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "desk.h"

/* The Nagios codes, which verify exits with: the worst problem found. A skipped check
 * (one that needs what this run may not use) is named but changes no code. */
enum {
	VERIFY_OK = 0,
	VERIFY_WARNING = 1,
	VERIFY_CRITICAL = 2,
	VERIFY_UNKNOWN = 3, /* a check could not be made */
	VERIFY_SKIPPED = 4
};

typedef struct {
	int level;
	char *msg; /* one line */
} verify_problem;

typedef struct {
	verify_problem *v;
	size_t n, cap;
	int worst;            /* VERIFY_OK .. VERIFY_UNKNOWN */
	int64_t certs;        /* certificates checked */
	int64_t audit_rows;   /* audit rows whose hash was recomputed */
	size_t heads;         /* Audit-Head trailers found on crl.branch */
	size_t heads_before_restore; /* of which pushed before a restore from an older backup */
	int64_t crl_number;   /* of the CRL checked, 0 when none was */
} verify_report;

/* Runs every check. Returns 0 with the problems in r (none: all is well), or -1 when
 * verify could not run at all. */
int verify_run(desk *d, verify_report *r);
void verify_report_free(verify_report *r);
const char *verify_level_word(int level); /* "OK", "WARNING", ... */
/* The one line of an intact report: what was checked. */
void verify_summary(const verify_report *r, char *buf, size_t size);

/* The audit chain alone (log --verify): 0 with *bad set to the first row that does not
 * match (0: none) and line saying so, or how many rows are intact. */
int verify_audit_chain(desk *d, int64_t *bad, char *line, size_t size);

#endif
