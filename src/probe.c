/* probe.c: probing the servers with the canaries. See probe.h. */
#include "probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "canary.h"
#include "conf.h"
#include "util.h"

/* ---- targets ---- */

static int host_char(int c, int bracket)
{
	if (bracket)
		return strchr("0123456789abcdefABCDEF:.", c) != NULL && c;
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* host, then :port or not; returns the length read, -1 on error. */
static int parse_host(const char *s, size_t len, probe_target *t)
{
	size_t i = 0, start, n;
	int bracket = len && s[0] == '[';

	start = i = bracket;
	while (i < len && host_char((unsigned char)s[i], bracket))
		i++;
	n = i - start;
	if (bracket && (i >= len || s[i] != ']'))
		return cd_err("target '%.80s': an IPv6 address ends with ']'", t->text);
	if (n == 0 || n >= sizeof t->host || n > 253)
		return cd_err("target '%.80s': no host name", t->text);
	memcpy(t->host, s + start, n);
	t->host[n] = '\0';
	return (int)(i + bracket);
}

static int parse_port(const char *s, size_t len, probe_target *t)
{
	size_t i;
	long v = 0;

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9' && i < 6; i++)
		v = v * 10 + (s[i] - '0');
	if (i == 0 || v < 1 || v > 65535)
		return cd_err("target '%.80s': the port must be a number from 1 to 65535", t->text);
	snprintf(t->port, sizeof t->port, "%ld", v);
	return (int)i;
}

static int parse_path(const char *s, size_t len, probe_target *t)
{
	size_t i;

	if (len >= sizeof t->path)
		return cd_err("target '%.80s': the path is too long", t->text);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return cd_err("target '%.80s': the path holds a space or a control or "
				      "non-ASCII character (encode it as %%XX)", t->text);
	memcpy(t->path, s, len);
	t->path[len] = '\0';
	return 0;
}

static void shown_text(const char *s, size_t len, probe_target *t)
{
	size_t i, n = len < sizeof t->text - 1 ? len : sizeof t->text - 1;

	for (i = 0; i < n; i++)
		t->text[i] = (unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	t->text[n] = '\0';
}

static int has_scheme(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 3 <= len; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
			return 1;
	return 0;
}

int probe_target_parse(const char *s, size_t len, probe_target *t)
{
	static const char scheme[] = "https://";
	size_t k = sizeof scheme - 1;
	int n;

	memset(t, 0, sizeof *t);
	shown_text(s, len, t);
	if (len >= k && strncasecmp(s, scheme, k) == 0) {
		t->https = 1;
		s += k, len -= k;
	} else if (has_scheme(s, len)) {
		return cd_err("target '%.80s': only https://host[:port][/path] or host:port "
			      "(plain TLS)", t->text);
	}
	if ((n = parse_host(s, len, t)) < 0)
		return -1;
	s += n, len -= (size_t)n;
	if (len && *s == ':') {
		if ((n = parse_port(s + 1, len - 1, t)) < 0)
			return -1;
		s += n + 1, len -= (size_t)n + 1;
	} else if (!t->https) {
		return cd_err("target '%.80s': a plain TLS target is host:port (or give "
			      "https://)", t->text);
	} else {
		snprintf(t->port, sizeof t->port, "443");
	}
	if (!t->https && len)
		return cd_err("target '%.80s': a plain TLS target has no path", t->text);
	if (len && *s != '/')
		return cd_err("target '%.80s': after the host, :port or /path", t->text);
	if (!t->https)
		return 0;
	return parse_path(len ? s : "/", len ? len : 1, t);
}

int probe_targets_split(const char *list, probe_target **v, size_t *n)
{
	const char *p = list;
	size_t len;

	*v = NULL;
	*n = 0;
	for (;;) {
		p += strspn(p, " ,\t");
		if (!*p)
			return 0;
		len = strcspn(p, " ,\t");
		if (*n == PROBE_TARGETS_MAX) {
			free(*v), *v = NULL, *n = 0;
			return cd_err("more than %d probe targets", PROBE_TARGETS_MAX);
		}
		*v = cd_realloc(*v, (*n + 1) * sizeof **v);
		if (probe_target_parse(p, len, &(*v)[*n]) < 0) {
			free(*v), *v = NULL, *n = 0;
			return -1;
		}
		(*n)++;
		p += len;
	}
}

int probe_targets_check(const char *list)
{
	probe_target *v;
	size_t n;

	if (probe_targets_split(list, &v, &n) < 0)
		return cd_err("probe.targets: %s", cd_errmsg());
	free(v);
	return 0;
}

/* ---- one connection ---- */

struct probe_cred {
	X509 *cert;
	EVP_PKEY *key;
};

struct conn {
	int fd;
	int64_t deadline;       /* milliseconds, monotonic */
	int asked;              /* the server sent a certificate request */
	const struct probe_cred *cred;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the socket until the deadline: 1 ready, 0 timed out. */
static int wait_fd(struct conn *c, short events)
{
	struct pollfd pf = {c->fd, events, 0};
	int64_t left;
	int rc;

	do {
		left = c->deadline - now_ms();
		if (left <= 0)
			return 0;
		rc = poll(&pf, 1, (int)left);
	} while (rc < 0 && errno == EINTR);
	return rc > 0;
}

static int tcp_connect(const probe_target *t, struct conn *c, char *why, size_t size)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	int rc, err = 0;
	socklen_t el = sizeof err;

	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(t->host, t->port, &hints, &res)) != 0) {
		snprintf(why, size, "cannot resolve %.80s: %s", t->host, gai_strerror(rc));
		return -1;
	}
	snprintf(why, size, "no address");
	for (ai = res; ai; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			continue;
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(c, POLLOUT) &&
		     getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0))
			break;
		snprintf(why, size, "cannot connect to %.80s port %s: %s", t->host, t->port,
			 errno == EINPROGRESS && !err ? "timed out" : strerror(err ? err : errno));
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	return c->fd < 0 ? -1 : 0;
}

/* Called only when the server asks for a certificate: the sign that it checks them. */
static int give_cert(SSL *ssl, X509 **x, EVP_PKEY **pkey)
{
	struct conn *c = SSL_get_app_data(ssl);

	c->asked = 1;
	if (!X509_up_ref(c->cred->cert) || !EVP_PKEY_up_ref(c->cred->key))
		return 0;
	*x = c->cred->cert;
	*pkey = c->cred->key;
	return 1;
}

/* One step of a nonblocking TLS call: 1 done, 0 again, -1 failed. */
static int tls_step(SSL *ssl, struct conn *c, int rc)
{
	int e = SSL_get_error(ssl, rc);

	if (rc > 0)
		return 1;
	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c, POLLIN) ? 0 : -2;
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c, POLLOUT) ? 0 : -2;
	return e == SSL_ERROR_ZERO_RETURN ? -3 : -1;
}

static void tls_why(char *why, size_t size, const char *what, int step)
{
	unsigned long e = ERR_peek_last_error();
	char buf[160] = "";

	if (step == -2)
		snprintf(why, size, "%s: timed out", what);
	else if (step == -3 || !e)
		snprintf(why, size, "%s: the connection was closed", what);
	else {
		ERR_error_string_n(e, buf, sizeof buf);
		snprintf(why, size, "%s: %s", what, buf);
	}
	ERR_clear_error();
}

/* nginx answers a refused client certificate with a 400 page that names it. */
static int nginx_refusal(const char *resp)
{
	return strlen(resp) >= 12 && strncmp(resp, "HTTP/1.", 7) == 0 &&
	       strncmp(resp + 8, " 400", 4) == 0 &&
	       (strstr(resp, "SSL certificate error") || strstr(resp, "No required SSL certificate"));
}

/* Enough of an HTTP answer to judge it: the headers, and for a 400 the page that may
 * name the certificate (a server keeping the connection open costs no timeout). */
static int answer_complete(const char *buf)
{
	if (!strstr(buf, "\r\n\r\n"))
		return 0;
	return strlen(buf) < 12 || strncmp(buf + 8, " 400", 4) != 0 || strstr(buf, "</html>");
}

/* Reads what the server says (at most size-1 bytes): >0 read, else a tls_step code. */
static int read_answer(SSL *ssl, struct conn *c, char *buf, size_t size)
{
	size_t have = 0;
	int rc, st;

	while (have < size - 1) {
		rc = SSL_read(ssl, buf + have, (int)(size - 1 - have));
		if (rc > 0) {
			have += (size_t)rc;
			buf[have] = '\0';
			if (answer_complete(buf))
				break;
			continue;
		}
		if ((st = tls_step(ssl, c, rc)) == 0)
			continue;
		if (have)
			break;
		return st;
	}
	buf[have] = '\0';
	return (int)have;
}

static void http_exchange(const probe_target *t, SSL *ssl, struct conn *c, probe_conn *out)
{
	char req[1100], buf[4096];
	int rc, st = 0, n;
	int v6 = strchr(t->host, ':') != NULL, other = strcmp(t->port, "443") != 0;

	/* An IPv6 literal goes in brackets (RFC 7230 5.4), or nginx answers 400. */
	n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nUser-Agent: "
		     "certdesk-probe\r\nConnection: close\r\n\r\n", t->path, v6 ? "[" : "",
		     t->host, v6 ? "]" : "", other ? ":" : "", other ? t->port : "");
	while ((rc = SSL_write(ssl, req, n)) <= 0 && (st = tls_step(ssl, c, rc)) == 0)
		;
	if (rc > 0)
		st = read_answer(ssl, c, buf, sizeof buf);
	if (st > 0 && nginx_refusal(buf)) {
		out->answer = PROBE_REFUSED;
		snprintf(out->why, sizeof out->why, "HTTP 400: the server refused the certificate");
	} else if (st > 0) {
		out->answer = PROBE_ACCEPTED;
		snprintf(out->why, sizeof out->why, "HTTP answer: %.*s", (int)strcspn(buf, "\r\n") > 60 ?
			 60 : (int)strcspn(buf, "\r\n"), buf);
	} else {
		out->answer = st == -2 ? PROBE_UNREACHABLE : PROBE_REFUSED;
		tls_why(out->why, sizeof out->why, "after the handshake", st);
	}
}

/* Plain TLS: an alert comes soon after the handshake (TLS 1.3), silence is acceptance. */
static void tls_listen(SSL *ssl, struct conn *c, probe_conn *out)
{
	char buf[256];
	int64_t soon = now_ms() + 1000;
	int st;

	if (soon < c->deadline)
		c->deadline = soon;
	st = read_answer(ssl, c, buf, sizeof buf);
	out->answer = st == -2 || st > 0 ? PROBE_ACCEPTED : PROBE_REFUSED;
	if (st <= 0 && st != -2)
		tls_why(out->why, sizeof out->why, "after the handshake", st);
	else
		snprintf(out->why, sizeof out->why, "handshake done, no alert");
}

static SSL_CTX *client_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_client_cert_cb(ctx, give_cert);
	return ctx;
}

static void tls_session(const probe_target *t, struct conn *c, probe_conn *out)
{
	SSL_CTX *ctx = client_ctx();
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	int rc, st = 0;

	if (!ssl) {
		out->answer = PROBE_UNREACHABLE;
		snprintf(out->why, sizeof out->why, "cannot set TLS up");
		SSL_CTX_free(ctx);
		return;
	}
	SSL_set_app_data(ssl, c);
	SSL_set_fd(ssl, c->fd);
	if (!strchr(t->host, ':') && strspn(t->host, "0123456789.") != strlen(t->host))
		SSL_set_tlsext_host_name(ssl, t->host);
	while ((rc = SSL_connect(ssl)) <= 0 && (st = tls_step(ssl, c, rc)) == 0)
		;
	if (rc <= 0) {
		out->answer = c->asked && st != -2 ? PROBE_REFUSED : PROBE_UNREACHABLE;
		tls_why(out->why, sizeof out->why, "TLS handshake", st);
	} else if (!c->asked) {
		out->answer = PROBE_NOT_ASKED;
		snprintf(out->why, sizeof out->why, "the server asked for no client certificate");
	} else if (t->https) {
		http_exchange(t, ssl, c, out);
	} else {
		tls_listen(ssl, c, out);
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

void probe_connect(const probe_target *t, const struct probe_cred *cred, int timeout_ms,
		   probe_conn *out)
{
	struct conn c = {-1, now_ms() + timeout_ms, 0, cred};

	memset(out, 0, sizeof *out);
	out->answer = PROBE_UNREACHABLE;
	if (tcp_connect(t, &c, out->why, sizeof out->why) < 0)
		return;
	tls_session(t, &c, out);
	close(c.fd);
}

/* ---- a run ---- */

static void cred_free(struct probe_cred *cr)
{
	X509_free(cr->cert);
	EVP_PKEY_free(cr->key);
}

static int cred_load(desk *d, const store_canary *k, struct probe_cred *cr)
{
	char *crt = canary_path(d, k->serial, "crt"), *key = canary_path(d, k->serial, "key");
	char *pem = NULL, *kpem = NULL;
	size_t len = 0, klen = 0;
	BIO *b;
	int rc = -1;

	memset(cr, 0, sizeof *cr);
	if (cd_read_file(crt, &pem, &len) == 0 && cd_read_secret(key, &kpem, &klen) == 0) {
		if ((b = BIO_new_mem_buf(pem, (int)len))) {
			cr->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
			BIO_free(b);
		}
		if ((b = BIO_new_mem_buf(kpem, (int)klen))) {
			cr->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
			BIO_free(b);
		}
		rc = cr->cert && cr->key ? 0 : cd_err("cannot read the canary %s", k->serial);
		if (rc < 0) {
			cred_free(cr);
			memset(cr, 0, sizeof *cr);
		}
	} else {
		cd_err("the canary %s is missing from %s/canary: run certdesk publish", k->serial,
		       d->ca_dir);
	}
	if (kpem)
		cd_secret_free(kpem, klen);
	free(pem);
	free(crt);
	free(key);
	return rc;
}

/* The canaries a probe presents: the control, then the revoked ones, newest first. */
typedef struct {
	struct probe_cred *v;
	const store_canary **k;
	size_t n;
	canary_list list;
} creds;

static int creds_load(desk *d, creds *c)
{
	const store_canary *ctl;
	size_t i;

	memset(c, 0, sizeof *c);
	if (canary_list_get(d, &c->list) < 0)
		return -1;
	ctl = canary_control(&c->list, cd_now());
	if (!ctl || !canary_newest_revoked(&c->list))
		return cd_err("no canary certificates yet: set probe.targets (or probe.enabled "
			      "on), then run certdesk publish");
	c->v = cd_malloc((c->list.rows + 1) * sizeof *c->v);
	c->k = cd_malloc((c->list.rows + 1) * sizeof *c->k);
	c->k[c->n] = ctl;
	if (cred_load(d, ctl, &c->v[c->n]) < 0)
		return -1;
	c->n++;
	for (i = 0; i < c->list.rows; i++) {
		const store_canary *k = &c->list.v[i];

		if (!k->revoked_at || k->dropped_at)
			continue;
		c->k[c->n] = k;
		/* An older one without its files (a home restored from a backup) only tells
		 * less about how far behind a server is; the newest is needed. */
		if (cred_load(d, k, &c->v[c->n]) < 0 && c->n == 1)
			return -1;
		if (c->v[c->n].cert && c->v[c->n].key)
			c->n++;
		else
			cred_free(&c->v[c->n]);
	}
	return 0;
}

static void creds_free(creds *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		cred_free(&c->v[i]);
	free(c->v);
	free(c->k);
	canary_list_free(&c->list);
}

struct job {
	const probe_target *t;
	const creds *cr;
	size_t which;          /* the canary presented: 0 the control */
	int timeout_ms;
	probe_conn out;
	int behind;            /* phase two: the first older canary refused */
	pthread_t th;
	int started;
};

static void *job_one(void *arg)
{
	struct job *j = arg;

	probe_connect(j->t, &j->cr->v[j->which], j->timeout_ms, &j->out);
	return NULL;
}

/* A stale server: which older canary it refuses tells how many CRLs behind it is. */
static void *job_behind(void *arg)
{
	struct job *j = arg;
	size_t i;

	j->behind = -(int)j->cr->n + 1;
	for (i = 2; i < j->cr->n; i++) {
		probe_connect(j->t, &j->cr->v[i], j->timeout_ms, &j->out);
		if (j->out.answer == PROBE_REFUSED) {
			j->behind = (int)i - 1;
			break;
		}
		if (j->out.answer != PROBE_ACCEPTED)
			break;
	}
	return NULL;
}

static void jobs_run(struct job *v, size_t n, void *(*fn)(void *))
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i].started = pthread_create(&v[i].th, NULL, fn, &v[i]) == 0;
	for (i = 0; i < n; i++) {
		if (v[i].started)
			pthread_join(v[i].th, NULL);
		else
			fn(&v[i]);
	}
}

static void set_state(probe_result *r, const char *state, int level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void set_state(probe_result *r, const char *state, int level, const char *fmt, ...)
{
	va_list ap;

	r->state = state;
	r->level = level;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
}

static void judge_stale(desk *d, probe_result *r, int64_t pushed)
{
	int64_t age = cd_now() - pushed, grace = conf_get_int(d->st, "probe.grace_hours") * 3600;
	int64_t limit = conf_get_int(d->st, "probe.limit_hours") * 3600;
	char when[16];

	cd_format_date(pushed, when);
	r->since = pushed;
	if (r->behind > 0)
		set_state(r, "stale", 0, "%d CRL%s behind (the newest pushed %s, %lld h ago)",
			  r->behind, r->behind == 1 ? "" : "s", when, (long long)(age / 3600));
	else
		set_state(r, "stale", 0, "at least %d CRL%s behind (the newest pushed %s, "
			  "%lld h ago)", -r->behind, r->behind == -1 ? "" : "s", when,
			  (long long)(age / 3600));
	r->level = age >= limit ? 2 : age >= grace ? 1 : 0;
	if (!r->level)
		strncat(r->detail, ": within probe.grace_hours, deployment may be on its way",
			sizeof r->detail - strlen(r->detail) - 1);
}

static void judge(probe_result *r, const probe_conn *ctl, const probe_conn *rev)
{
	if (ctl->answer == PROBE_UNREACHABLE)
		set_state(r, "unreachable", 3, "%s", ctl->why);
	else if (ctl->answer == PROBE_NOT_ASKED)
		set_state(r, "unchecked", 2, "not checking client certificates: any certificate, "
			  "revoked ones too, gets in");
	else if (ctl->answer == PROBE_REFUSED)
		set_state(r, "refusing", 2, "refusing every client certificate (an expired CRL, a "
			  "wrong CA bundle?): the valid canary was refused: %s", ctl->why);
	else if (rev->answer == PROBE_REFUSED)
		set_state(r, "current", 0, "the newest CRL is in force");
	else if (rev->answer == PROBE_ACCEPTED)
		set_state(r, "stale", 0, "accepts the newest revoked canary");
	else
		set_state(r, "unreachable", 3, "the second connection: %s", rev->why);
}

int probe_worst(int worst, int level)
{
	static const int rank[] = {0, 1, 3, 2}; /* OK < WARNING < UNKNOWN < CRITICAL */

	level = level < 0 || level > 3 ? 3 : level;
	return rank[level] > rank[worst] ? level : worst;
}

static int record(desk *d, probe_report *r)
{
	size_t i, cur = 0;
	int64_t run = 0;
	int rc;

	if (store_begin(d->st) < 0)
		return -1;
	rc = store_probe_next_run(d->st, &run);
	for (i = 0; i < r->n && rc == 0; i++) {
		cur += strcmp(r->v[i].state, "current") == 0;
		rc = store_probe_add(d->st, run, r->at, r->v[i].target.text, r->v[i].state,
				     r->v[i].level, r->v[i].behind, r->v[i].detail);
	}
	if (rc == 0)
		rc = desk_audit(d, "probe", NULL, "%zu/%zu target%s current, exit %d", cur, r->n,
				r->n == 1 ? "" : "s", r->worst);
	return store_end(d->st, rc);
}

static int targets_get(desk *d, const char *const *given, size_t n, probe_target **v,
		       size_t *nv)
{
	char *list = NULL;
	size_t i;
	int rc;

	if (!n) {
		if (conf_get(d->st, "probe.targets", &list) < 0)
			return -1;
		rc = probe_targets_split(list, v, nv);
		free(list);
		if (rc == 0 && !*nv)
			rc = cd_err("no target to probe: give one, or set probe.targets");
		return rc;
	}
	*v = cd_malloc(n * sizeof **v);
	*nv = n;
	for (i = 0; i < n; i++)
		if (probe_target_parse(given[i], strlen(given[i]), &(*v)[i]) < 0) {
			free(*v), *v = NULL;
			return -1;
		}
	return 0;
}

static void probe_all(desk *d, const creds *cr, probe_report *r, int timeout_ms)
{
	struct job *jobs = cd_malloc(2 * r->n * sizeof *jobs), *stale;
	size_t i, ns = 0;

	memset(jobs, 0, 2 * r->n * sizeof *jobs);
	for (i = 0; i < 2 * r->n; i++)
		jobs[i] = (struct job){&r->v[i / 2].target, cr, i % 2, timeout_ms};
	jobs_run(jobs, 2 * r->n, job_one);
	stale = cd_malloc(r->n * sizeof *stale);
	for (i = 0; i < r->n; i++) {
		judge(&r->v[i], &jobs[2 * i].out, &jobs[2 * i + 1].out);
		if (strcmp(r->v[i].state, "stale") == 0)
			stale[ns++] = (struct job){&r->v[i].target, cr, 2, timeout_ms};
	}
	jobs_run(stale, ns, job_behind);
	for (i = 0, ns = 0; i < r->n; i++) {
		if (strcmp(r->v[i].state, "stale") == 0) {
			r->v[i].behind = stale[ns++].behind;
			judge_stale(d, &r->v[i], cr->k[1]->pushed_at);
		}
		r->worst = probe_worst(r->worst, r->v[i].level);
	}
	free(stale);
	free(jobs);
}

int probe_run(desk *d, const char *const *targets, size_t n, int timeout, probe_report *r)
{
	struct sigaction ign, old;
	probe_target *tv = NULL;
	size_t nt = 0, i;
	creds cr;
	int rc;

	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;

	memset(r, 0, sizeof *r);
	memset(&cr, 0, sizeof cr);
	if (desk_writable(d, "probe") < 0 || targets_get(d, targets, n, &tv, &nt) < 0)
		return -1;
	if (creds_load(d, &cr) < 0) {
		creds_free(&cr);
		free(tv);
		return -1;
	}
	r->v = cd_malloc(nt * sizeof *r->v);
	memset(r->v, 0, nt * sizeof *r->v);
	for (i = 0; i < nt; i++)
		r->v[i].target = tv[i];
	r->n = nt;
	r->at = cd_now();
	/* A server that closes as the request goes out must not kill the run (EPIPE is an
	 * answer): SIGPIPE is ignored while the connections last, as clip.c does. */
	sigaction(SIGPIPE, &ign, &old);
	probe_all(d, &cr, r, (timeout ? timeout : (int)conf_get_int(d->st, "probe.timeout")) * 1000);
	sigaction(SIGPIPE, &old, NULL);
	creds_free(&cr);
	free(tv);
	if ((rc = record(d, r)) < 0)
		probe_report_free(r);
	return rc;
}

struct last_ctx {
	probe_report *r;
};

static const char *const states[] = {"current", "stale", "refusing", "unreachable",
				     "unchecked", NULL};

static int last_row(void *ctx, int64_t at, const char *target, const char *state,
		    int64_t level, int64_t behind, const char *detail)
{
	probe_report *r = ctx;
	probe_result *x;
	size_t i;

	r->v = cd_realloc(r->v, (r->n + 1) * sizeof *r->v);
	x = &r->v[r->n++];
	memset(x, 0, sizeof *x);
	r->at = at;
	snprintf(x->target.text, sizeof x->target.text, "%s", target);
	snprintf(x->detail, sizeof x->detail, "%s", detail);
	x->behind = (int)behind;
	x->state = "unreachable";
	for (i = 0; states[i]; i++)
		if (strcmp(states[i], state) == 0)
			x->state = states[i];
	x->level = level < 0 || level > 3 ? 3 : (int)level;
	r->worst = probe_worst(r->worst, x->level);
	return 0;
}

int probe_last(desk *d, probe_report *r)
{
	memset(r, 0, sizeof *r);
	if (store_probe_last(d->st, last_row, r) < 0) {
		probe_report_free(r);
		return -1;
	}
	return 0;
}

void probe_report_free(probe_report *r)
{
	free(r->v);
	memset(r, 0, sizeof *r);
}

void probe_summary(const probe_report *r, char *out, size_t size)
{
	size_t i, cur = 0;

	for (i = 0; i < r->n; i++)
		cur += strcmp(r->v[i].state, "current") == 0;
	if (r->n)
		snprintf(out, size, "%zu/%zu current", cur, r->n);
	else
		snprintf(out, size, "%s", "");
}

int probe_header(desk *d, char *out, size_t size, int *level)
{
	char line[64];
	probe_report r;
	int rc = probe_health(d, line, sizeof line);

	out[0] = '\0';
	*level = 0;
	if (rc <= 0 && !line[0])
		return rc < 0 ? -1 : 0;
	if (probe_last(d, &r) < 0)
		return -1;
	probe_summary(&r, line, sizeof line);
	snprintf(out, size, "servers: %s", r.n ? line : "not probed yet");
	*level = r.n ? r.worst : 1;
	probe_report_free(&r);
	return 0;
}

int probe_health(desk *d, char *line, size_t size)
{
	probe_target *v = NULL;
	probe_report r;
	char *list = NULL, sum[64], when[16];
	size_t n = 0, i, at;
	int level;

	line[0] = '\0';
	if (conf_get(d->st, "probe.targets", &list) < 0)
		return -1;
	level = probe_targets_split(list, &v, &n);
	free(list);
	free(v);
	if (level < 0 || !n)
		return level < 0 ? -1 : 0;
	if (probe_last(d, &r) < 0)
		return -1;
	if (!r.n) {
		snprintf(line, size, "servers: no probe recorded yet: run 'certdesk probe'");
		return 1;
	}
	probe_summary(&r, sum, sizeof sum);
	cd_format_date(r.at, when);
	at = (size_t)snprintf(line, size, "servers: %s (probed %s)", sum, when);
	for (i = 0; i < r.n && at < size; i++)
		if (r.v[i].level)
			at += (size_t)snprintf(line + at, size - at, "; %s %s: %s", r.v[i].target.text,
					       r.v[i].state, r.v[i].detail);
	level = r.worst;
	probe_report_free(&r);
	return level;
}
