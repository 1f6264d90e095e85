/* canary.c: certdesk's canary certificates. See canary.h. */
#include "canary.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include "ca.h"
#include "conf.h"
#include "util.h"

int canary_active(desk *d)
{
	char *targets = NULL, *on = NULL;
	int active;

	if (conf_get(d->st, "probe.targets", &targets) < 0 || conf_get(d->st, "probe.enabled", &on) < 0)
		active = 0;
	else
		active = targets[strspn(targets, " ,")] != '\0' || strcmp(on, "on") == 0;
	free(targets);
	free(on);
	return active;
}

char *canary_path(const desk *d, const char *serial, const char *ext)
{
	return serial ? cd_asprintf("%s/canary/%s.%s", d->ca_dir, serial, ext) :
			cd_asprintf("%s/canary", d->ca_dir);
}

static void list_push(canary_list *l, const store_canary *k)
{
	l->v = cd_realloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = *k;
}

static int row_cb(void *ctx, const store_canary *k)
{
	list_push(ctx, k);
	return 0;
}

static int listed(const canary_list *l, const char *serial)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].serial, serial) == 0)
			return 1;
	return 0;
}

/* A canary file without a row: left by a publish killed before its record. */
static void add_file(desk *d, canary_list *l, const char *serial)
{
	char *path = canary_path(d, serial, "crt"), *pem = NULL;
	size_t len = 0;
	ca_cert_info info;
	store_canary k = {0};
	const ca *by;

	if (cd_read_file(path, &pem, &len) == 0 && ca_cert_parse(pem, len, &info) == 0) {
		snprintf(k.serial, sizeof k.serial, "%s", info.serial);
		by = ca_issuer_of(d->ca, pem, len);
		snprintf(k.issuer, sizeof k.issuer, "%s", by ? ca_kid(by) : "");
		k.not_before = info.not_before;
		k.not_after = info.not_after;
		if (strcmp(k.serial, serial) == 0 && !listed(l, serial))
			list_push(l, &k);
		ca_cert_info_free(&info);
	}
	free(pem);
	free(path);
}

static int serial_name(const char *name, char *serial, size_t size)
{
	size_t n = strspn(name, "0123456789ABCDEF");

	if (n == 0 || n >= size || strcmp(name + n, ".crt") != 0)
		return 0;
	memcpy(serial, name, n);
	serial[n] = '\0';
	return 1;
}

int canary_list_get(desk *d, canary_list *l)
{
	char *dir = canary_path(d, NULL, NULL), serial[80];
	struct dirent *e;
	DIR *dp;

	memset(l, 0, sizeof *l);
	if (store_canaries(d->st, row_cb, l) < 0) {
		free(dir);
		return -1;
	}
	l->rows = l->n;
	if ((dp = opendir(dir))) {
		while ((e = readdir(dp)))
			if (serial_name(e->d_name, serial, sizeof serial) && !listed(l, serial))
				add_file(d, l, serial);
		closedir(dp);
	}
	free(dir);
	return 0;
}

void canary_list_free(canary_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

const store_canary *canary_control(const canary_list *l, int64_t now)
{
	size_t i;

	for (i = 0; i < l->rows; i++)
		if (!l->v[i].revoked_at && l->v[i].not_after > now && l->v[i].not_before <= now)
			return &l->v[i];
	return NULL;
}

const store_canary *canary_newest_revoked(const canary_list *l)
{
	size_t i;

	for (i = 0; i < l->rows; i++)
		if (l->v[i].revoked_at && !l->v[i].dropped_at)
			return &l->v[i];
	return NULL;
}

static void remove_files(desk *d, const char *serial)
{
	char *crt = canary_path(d, serial, "crt"), *key = canary_path(d, serial, "key");

	unlink(key);
	unlink(crt);
	free(crt);
	free(key);
}

/* The key out of the bundle ca_issue made, as PEM (wiped by the caller). */
static int key_pem(const ca_issued *is, char **pem, size_t *len)
{
	const unsigned char *p = is->p12;
	PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)is->p12_len);
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	BIO *b = BIO_new(BIO_s_secmem());
	BUF_MEM *m = NULL;
	int rc = -1;

	if (p12 && b && PKCS12_parse(p12, is->password, &key, &x, NULL) &&
	    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) && BIO_get_mem_ptr(b, &m)) {
		*pem = cd_malloc(m->length + 1);
		memcpy(*pem, m->data, m->length);
		(*pem)[m->length] = '\0';
		*len = m->length;
		rc = 0;
	}
	EVP_PKEY_free(key);
	X509_free(x);
	BIO_free(b);
	PKCS12_free(p12);
	return rc < 0 ? cd_err("cannot read the canary's key back") : 0;
}

static int canary_days(desk *d)
{
	long days = conf_get_int(d->st, "probe.canary_days");

	return (int)(days ? days : conf_get_int(d->st, "crl.days") + 4);
}

/* A fresh canary, its files written (0600, both or neither). */
static int issue(desk *d, store_canary *out)
{
	ca_request req = {CANARY_CN, "certdesk probe", CANARY_CN "@invalid", NULL, NULL, NULL,
			  NULL, canary_days(d), CA_KEY_EC, NULL};
	ca_issued is;
	char *key = NULL, *paths[2], *dir = canary_path(d, NULL, NULL);
	size_t klen = 0, lens[2];
	int rc = -1;

	memset(&is, 0, sizeof is);
	if (cd_mkdir_p(dir, 0700) < 0 || ca_issue(d->ca, &req, CA_P12_MODERN, &is) < 0 ||
	    key_pem(&is, &key, &klen) < 0)
		goto out;
	paths[0] = canary_path(d, is.serial, "crt");
	paths[1] = canary_path(d, is.serial, "key");
	lens[0] = strlen(is.cert_pem);
	lens[1] = klen;
	rc = cd_write_secrets(2, (const char *const *)paths,
			      (const void *const[]){is.cert_pem, key}, lens);
	free(paths[0]);
	free(paths[1]);
	if (rc == 0) {
		memset(out, 0, sizeof *out);
		snprintf(out->serial, sizeof out->serial, "%s", is.serial);
		snprintf(out->issuer, sizeof out->issuer, "%s", ca_kid(d->ca));
		out->not_before = is.not_before;
		out->not_after = is.not_after;
	}
out:
	if (key)
		cd_secret_free(key, klen);
	OPENSSL_cleanse(is.password, sizeof is.password);
	ca_issued_free(&is);
	free(dir);
	return rc;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void serials_add(canary_run *r, const char *serial)
{
	r->serials = cd_realloc(r->serials, (r->n_serials + 1) * sizeof *r->serials);
	r->serials[r->n_serials++] = cd_strdup(serial);
	qsort(r->serials, r->n_serials, sizeof *r->serials, str_cmp);
}

int canary_load_serials(desk *d, canary_run *r)
{
	canary_list l;
	size_t i;

	if (canary_list_get(d, &l) < 0)
		return -1;
	for (i = 0; i < l.n; i++)
		if (!canary_known(r, l.v[i].serial))
			serials_add(r, l.v[i].serial);
	canary_list_free(&l);
	return 0;
}

int canary_known(const canary_run *r, const char *serial)
{
	return r->n_serials && bsearch(&serial, r->serials, r->n_serials, sizeof *r->serials,
				       str_cmp) != NULL;
}

/* Files without a row are left by a run killed before its push: its recovery adopted
 * those its CRL held, so what remains was never published. A canary left out of the
 * CRLs (expired) is no use any more either. */
static int clean_leftovers(desk *d, const canary_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (i >= l->rows || l->v[i].dropped_at)
			remove_files(d, l->v[i].serial);
	return 0;
}

int canary_prepare(desk *d, canary_run *r, int64_t refresh)
{
	canary_list l;
	const store_canary *ctl;
	int64_t now = cd_now();

	if (r->prepared || !canary_active(d))
		return 0;
	if (canary_list_get(d, &l) < 0)
		return -1;
	clean_leftovers(d, &l);
	ctl = canary_control(&l, now);
	r->due = !ctl || !canary_newest_revoked(&l) || ctl->not_after - now <= refresh;
	if (ctl)
		r->revoke = *ctl;
	r->revoke_fresh = !ctl;
	r->at = now;
	r->prepared = 1;
	canary_list_free(&l);
	return 0;
}

/* Only a run that signs a CRL writes canary files: one with nothing to publish does
 * not need the disk. */
int canary_issue(desk *d, canary_run *r)
{
	if (!r->prepared || r->issued)
		return 0;
	if (r->revoke_fresh && issue(d, &r->revoke) < 0)
		return -1;
	r->revoke.revoked_at = r->at;
	if (issue(d, &r->control) < 0) {
		if (r->revoke_fresh)
			remove_files(d, r->revoke.serial);
		return -1;
	}
	r->issued = 1;
	serials_add(r, r->control.serial);
	if (r->revoke_fresh)
		serials_add(r, r->revoke.serial);
	return 0;
}

void canary_discard(desk *d, canary_run *r)
{
	if (!r->issued)
		return;
	remove_files(d, r->control.serial);
	if (r->revoke_fresh)
		remove_files(d, r->revoke.serial);
	r->issued = 0;
}

void canary_run_free(canary_run *r)
{
	size_t i;

	for (i = 0; i < r->n_serials; i++)
		free(r->serials[i]);
	free(r->serials);
	memset(r, 0, sizeof *r);
}

static const ca_revoked *crl_entry(const ca_crl_contents *cc, const char *serial)
{
	size_t i;

	for (i = 0; i < cc->n; i++)
		if (strcmp(cc->v[i].serial, serial) == 0)
			return &cc->v[i];
	return NULL;
}

/* What this CRL makes of one canary: 1 when its row changes (k updated). */
static int settle_one(store_canary *k, int row, const ca_crl_contents *cc, int64_t pushed,
		      const char **what)
{
	const ca_revoked *e = crl_entry(cc, k->serial);

	if (e && !k->revoked_at) {
		k->revoked_at = e->revoked_at;
		k->crl_number = cc->info.number;
		k->pushed_at = pushed;
		*what = "revoked";
		return 1;
	}
	if (!e && k->revoked_at && !k->dropped_at) {
		k->dropped_at = pushed;
		*what = "expired, left out of";
		return 1;
	}
	*what = "the control after";
	return !row;
}

int canary_settle(desk *d, const char *crl_pem, size_t len, int64_t pushed_at)
{
	canary_list l;
	ca_crl_contents cc;
	const char *what;
	char until[16];
	size_t i;
	int rc = 0;

	if (canary_list_get(d, &l) < 0)
		return -1;
	if (!l.n) {
		canary_list_free(&l);
		return 0;
	}
	if (ca_crl_read(d->ca, crl_pem, len, &cc) < 0) {
		canary_list_free(&l);
		return -1;
	}
	for (i = 0; i < l.n && rc == 0; i++) {
		store_canary *k = &l.v[i];

		if (!settle_one(k, i < l.rows, &cc, pushed_at, &what))
			continue;
		cd_format_date(k->not_after, until);
		rc = store_canary_put(d->st, k);
		if (rc == 0)
			rc = desk_audit(d, "canary", NULL, "canary serial %s %s CRL %lld (valid until "
					"%s)", k->serial, what, (long long)cc.info.number, until);
	}
	ca_crl_contents_free(&cc);
	canary_list_free(&l);
	return rc;
}
