/* probe.h: whether the servers enforce the newest CRL, seen from outside.
 *
 * Each target is connected to with the control canary and with the newest revoked one
 * (canary.h), all connections at once, each with a timeout. The rule for "refused": a
 * TLS alert during or after the handshake, the connection closed without an answer,
 * or nginx's 400 for a bad client certificate ("SSL certificate error", "No required
 * SSL certificate"). Any other HTTP answer (redirects, 401, 403 included) means the
 * TLS layer accepted the certificate. The server's own certificate is not judged: the
 * probe asks what the server makes of a client's. */
#ifndef CD_PROBE_H
#define CD_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "desk.h"

#define PROBE_TARGETS_MAX 256

/* https://host[:port][/path] (port 443, path "/") or host:port (plain TLS); host a name,
 * an IPv4 address or [IPv6]. */
typedef struct {
	int https;
	char host[256];
	char port[8];
	char path[512];   /* https only */
	char text[800];   /* as the results name it */
} probe_target;
int probe_target_parse(const char *s, size_t len, probe_target *t); /* -1 with one line */
/* A list as probe.targets holds it: separated by commas or spaces, at most
 * PROBE_TARGETS_MAX. *v malloc'd (NULL when empty). */
int probe_targets_split(const char *list, probe_target **v, size_t *n);
int probe_targets_check(const char *list);

/* What one connection with one certificate found. */
typedef enum {
	PROBE_ACCEPTED,    /* the handshake, and an answer other than a refusal */
	PROBE_REFUSED,     /* an alert, a close without answer, nginx's certificate 400 */
	PROBE_UNREACHABLE, /* no TCP, no TLS, or the timeout before a certificate request */
	PROBE_NOT_ASKED    /* TLS without a certificate request */
} probe_answer;
typedef struct {
	probe_answer answer;
	char why[200];
} probe_conn;
/* crt, key: PEM (the key in secure memory, wiped by the caller). */
struct probe_cred;
void probe_connect(const probe_target *t, const struct probe_cred *cred, int timeout_ms,
		   probe_conn *out);

/* A target's state: the worse the higher (level: 0 fine, 1 warning, 2 critical,
 * 3 unknown, as Nagios counts). */
typedef struct {
	probe_target target;
	const char *state;  /* "current", "stale", "refusing", "unreachable", "unchecked" */
	int level;
	int behind;         /* stale: CRLs behind; -N: at least N (no older canary refused) */
	int64_t since;      /* stale: when the newest CRL (its canary) was pushed */
	char detail[300];
} probe_result;

typedef struct {
	probe_result *v;
	size_t n;
	int64_t at;         /* when the probe ran (the last recorded one for probe_last) */
	int worst;          /* the exit code: 2 if any is critical, else 3, 1, 0 */
} probe_report;

/* Probes targets (NULL, 0: probe.targets), records the results and an audit line.
 * timeout 0: probe.timeout. -1 with one line when no probe can run (no target, no
 * canary yet, read-only). */
int probe_run(desk *d, const char *const *targets, size_t n, int timeout, probe_report *r);
/* The last recorded probe (r->n 0 when none), for the read-only view and expirecheck. */
int probe_last(desk *d, probe_report *r);
void probe_report_free(probe_report *r);
/* "3/3 current" for the header; "" when no target is configured. */
void probe_summary(const probe_report *r, char *out, size_t size);
/* For expirecheck and the metrics' Nagios line: the last recorded probe as one line and its
 * level; "" and 0 when no target is configured (then nothing is said). -1 on error. */
int probe_health(desk *d, char *line, size_t size);
/* The dashboard's header: "servers: 3/3 current" (or "servers: not probed yet", level 1);
 * "" and level 0 when no target is configured. */
int probe_header(desk *d, char *out, size_t size, int *level);
/* The exit code a set of levels gives (see probe_report.worst). */
int probe_worst(int worst, int level);

#endif
