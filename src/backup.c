/* backup.c: backup, --check and restore of a home. See backup.h. */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "conf.h"
#include "crlrepo.h"
#include "util.h"

#define TAR_BLOCK 512
#define MAX_MEMBERS 256

/* One file of the archive. data points into the archive's buffer (or, while writing,
 * is owned: secret says to wipe it). */
typedef struct {
	char name[100];
	int mode;
	char *data;
	size_t len;
	int secret;
} member;

typedef struct {
	member v[MAX_MEMBERS];
	size_t n;
	char *plain;      /* the decrypted tar, wiped when freed */
	size_t plain_len;
	int64_t taken;
	char *source;
	int schema;
} archive;

void backup_info_free(backup_info *info)
{
	free(info->source);
	free(info->ca_subject);
	free(info->token_uri);
	memset(info, 0, sizeof *info);
}

static void archive_free(archive *a, int owned)
{
	size_t i;

	for (i = 0; owned && i < a->n; i++) {
		if (a->v[i].secret)
			cd_secret_free(a->v[i].data, a->v[i].len);
		else
			free(a->v[i].data);
	}
	if (a->plain) {
		OPENSSL_cleanse(a->plain, a->plain_len);
		free(a->plain);
	}
	free(a->source);
	memset(a, 0, sizeof *a);
}

static const member *archive_find(const archive *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			return &a->v[i];
	return NULL;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	cd_hex(md, sizeof md, out);
}

/* ---- names: only what a home holds, never a path that leaves it ---- */

static int plain_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]))
			return 0;
	return 1;
}

static int member_name_ok(const char *name)
{
	if (strcmp(name, BACKUP_MANIFEST) == 0 || strcmp(name, "certdesk.db") == 0)
		return 1;
	if (strncmp(name, "ca/prev/", 8) == 0 || strncmp(name, "ca/retired/", 11) == 0) {
		/* a CA a rollover left: ca/prev/KID/FILE, ca/retired/KID/FILE */
		const char *kid = strchr(name + 3, '/') + 1, *slash = strchr(kid, '/');
		char id[48];

		if (!slash || (size_t)(slash - kid) >= sizeof id)
			return 0;
		snprintf(id, sizeof id, "%.*s", (int)(slash - kid), kid);
		return ca_kid_valid(id) && plain_name(slash + 1);
	}
	if (strncmp(name, "ca/canary/", 10) == 0) /* the probe's canaries: SERIAL.crt, .key */
		return plain_name(name + 10);
	if (strncmp(name, "ca/", 3) == 0)
		return plain_name(name + 3);
	if (strncmp(name, "templates/", 10) == 0)
		return plain_name(name + 10);
	return 0;
}

/* ---- ustar ---- */

static void octal(char *dst, size_t width, uint64_t v)
{
	size_t i = width - 1;

	dst[i] = '\0';
	while (i-- > 0) {
		dst[i] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

static void tar_header(cd_buf *b, const member *m, int64_t mtime)
{
	unsigned char h[TAR_BLOCK];
	unsigned sum = 0;
	size_t i;

	memset(h, 0, sizeof h);
	memcpy(h, m->name, strlen(m->name));
	octal((char *)h + 100, 8, (uint64_t)m->mode);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, m->len);
	octal((char *)h + 136, 12, (uint64_t)mtime);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	octal((char *)h + 148, 7, sum);
	cd_buf_add(b, h, TAR_BLOCK);
}

static void tar_add(cd_buf *b, const member *m, int64_t mtime)
{
	static const char zeros[TAR_BLOCK];

	tar_header(b, m, mtime);
	cd_buf_add(b, m->data, m->len);
	cd_buf_add(b, zeros, (TAR_BLOCK - m->len % TAR_BLOCK) % TAR_BLOCK);
}

static int read_octal(const unsigned char *f, size_t width, uint64_t *out)
{
	size_t i = 0;

	*out = 0;
	while (i < width && f[i] == ' ')
		i++;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++)
		*out = *out * 8 + (uint64_t)(f[i] - '0');
	return i < width && (f[i] == '\0' || f[i] == ' ') ? 0 : -1;
}

static int header_ok(const unsigned char *h, uint64_t *size, uint64_t *mode)
{
	uint64_t want;
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < TAR_BLOCK; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	return read_octal(h + 148, 8, &want) == 0 && want == sum && memcmp(h + 257, "ustar", 5) == 0 &&
	       (h[156] == '0' || h[156] == '\0') && memchr(h, '\0', 100) &&
	       read_octal(h + 124, 12, size) == 0 && read_octal(h + 100, 8, mode) == 0;
}

static int all_zero(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Splits the decrypted tar into members (pointing into it). */
static int tar_parse(archive *a, const char *file)
{
	size_t off = 0;
	uint64_t size, mode;

	while (off + TAR_BLOCK <= a->plain_len && !all_zero(a->plain + off, TAR_BLOCK)) {
		const unsigned char *h = (const unsigned char *)a->plain + off;
		member *m = &a->v[a->n];

		if (a->n == MAX_MEMBERS || !header_ok(h, &size, &mode) ||
		    size > a->plain_len - off - TAR_BLOCK)
			return cd_err("%s is damaged: archive header %zu is not valid", file, a->n + 1);
		memcpy(m->name, h, 100);
		if (!member_name_ok(m->name) || archive_find(a, m->name))
			return cd_err("%s is damaged: unexpected member '%.100s'", file, m->name);
		m->mode = (int)(mode & 0777);
		m->data = a->plain + off + TAR_BLOCK;
		m->len = size;
		a->n++;
		off += TAR_BLOCK + (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	}
	if (off + 2 * TAR_BLOCK > a->plain_len || !all_zero(a->plain + off, a->plain_len - off))
		return cd_err("%s is damaged: the archive does not end as a tar file ends", file);
	return 0;
}

/* ---- the manifest ---- */

static char *manifest_text(const archive *a)
{
	cd_buf b = {0};
	char hex[65], when[32];
	size_t i;

	cd_format_time(a->taken, when);
	cd_buf_printf(&b, "certdesk-backup 1\ntaken %lld %s\nsource %s\nschema %d\n",
		      (long long)a->taken, when, a->source, a->schema);
	for (i = 1; i < a->n; i++) {
		sha256_hex(a->v[i].data, a->v[i].len, hex);
		cd_buf_printf(&b, "file %s %04o %zu %s\n", a->v[i].name, (unsigned)a->v[i].mode,
			      a->v[i].len, hex);
	}
	sha256_hex(b.s, b.len, hex);
	cd_buf_printf(&b, "check %s\n", hex);
	return cd_buf_take(&b);
}

static int manifest_head(archive *a, const char *text, const char *file)
{
	long long taken;
	char source[600];
	int n = 0;

	if (sscanf(text, "certdesk-backup 1\ntaken %lld %*s\nsource %599[^\n]\nschema %d\n%n",
		   &taken, source, &a->schema, &n) != 3 || n == 0)
		return cd_err("%s is damaged: its manifest cannot be read", file);
	a->taken = taken;
	a->source = cd_strdup(source);
	return 0;
}

/* The manifest rebuilt from the members must be the one stored: every name, mode, size
 * and digest, and the digest of the manifest itself. */
static int manifest_verify(archive *a, const char *file)
{
	const member *m = a->n ? &a->v[0] : NULL;
	char *text, *want;
	int ok;

	if (!m || strcmp(m->name, BACKUP_MANIFEST) != 0 || memchr(m->data, '\0', m->len))
		return cd_err("%s is not a certdesk backup: no %s first", file, BACKUP_MANIFEST);
	text = cd_strndup(m->data, m->len);
	if (manifest_head(a, text, file) < 0) {
		free(text);
		return -1;
	}
	want = manifest_text(a);
	ok = strcmp(want, text) == 0;
	free(want);
	free(text);
	if (!ok)
		return cd_err("%s is damaged: its content does not match its manifest", file);
	/* The CA key may be on a token: info_fill asks the database (ca.pkcs11_uri). */
	if (!archive_find(a, "certdesk.db") || !archive_find(a, "ca/ca.crt"))
		return cd_err("%s lacks the database or the CA certificate", file);
	return 0;
}

/* ---- encryption ---- */

static int openssl_fail(const char *fmt, const char *file)
{
	unsigned long e = ERR_peek_last_error();
	char why[256] = "";

	if (e)
		ERR_error_string_n(e, why, sizeof why);
	ERR_clear_error();
	return cd_err(fmt, file, why);
}

static int encrypt_to(const char *file, const cd_buf *tar, const char *pass, size_t *bytes)
{
	BIO *in = BIO_new_mem_buf(tar->s, (int)tar->len);
	CMS_ContentInfo *cms = NULL;
	unsigned char *der = NULL;
	char *pw = OPENSSL_strdup(pass);
	int n = -1, rc = -1;

	if (!in || !pw || tar->len > 0x7fffffff)
		goto out;
	cms = CMS_encrypt(NULL, in, EVP_aes_256_cbc(), CMS_BINARY | CMS_PARTIAL);
	/* The recipient takes the copy of the passphrase, and wipes it when freed. */
	if (!cms || !CMS_add0_recipient_password(cms, BACKUP_PBKDF2_ITER, NID_undef, NID_undef,
						 (unsigned char *)pw, -1, NULL))
		goto out;
	pw = NULL;
	if (!CMS_final(cms, in, NULL, CMS_BINARY) || (n = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		goto out;
	*bytes = (size_t)n;
	rc = cd_write_secret(file, der, (size_t)n);
out:
	if (rc < 0 && n <= 0)
		openssl_fail("cannot encrypt the backup %s: %s", file);
	OPENSSL_clear_free(pw, pw ? strlen(pw) : 0);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return rc;
}

static CMS_ContentInfo *read_cms(const char *file)
{
	BIO *in = BIO_new_file(file, "rb");
	CMS_ContentInfo *cms;

	if (!in) {
		ERR_clear_error();
		cd_err("cannot open %s: %s", file, strerror(errno ? errno : ENOENT));
		return NULL;
	}
	cms = d2i_CMS_bio(in, NULL);
	BIO_free(in);
	if (!cms)
		openssl_fail("%s is truncated or damaged: not a whole CMS file (%s)", file);
	else if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped) {
		CMS_ContentInfo_free(cms);
		cd_err("%s is not an encrypted certdesk backup", file);
		return NULL;
	}
	return cms;
}

static int decrypt_into(archive *a, const char *file, const char *pass)
{
	CMS_ContentInfo *cms = read_cms(file);
	BIO *out = NULL;
	char *p;
	long n;
	int rc = -1;

	if (!cms)
		return -1;
	if (!CMS_decrypt_set1_password(cms, (unsigned char *)pass, (ossl_ssize_t)strlen(pass))) {
		ERR_clear_error();
		cd_err("wrong passphrase for %s", file);
		goto out;
	}
	if (!(out = BIO_new(BIO_s_mem())) || !CMS_decrypt(cms, NULL, NULL, NULL, out, CMS_BINARY)) {
		openssl_fail("%s is damaged: its content does not decrypt (%s)", file);
		goto out;
	}
	n = BIO_get_mem_data(out, &p);
	a->plain = cd_malloc((size_t)n + 1);
	memcpy(a->plain, p, (size_t)n);
	a->plain_len = (size_t)n;
	OPENSSL_cleanse(p, (size_t)n);
	rc = 0;
out:
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	return rc;
}

static int archive_open(archive *a, const char *file, const char *pass)
{
	memset(a, 0, sizeof *a);
	if (decrypt_into(a, file, pass) < 0 || tar_parse(a, file) < 0 || manifest_verify(a, file) < 0) {
		archive_free(a, 0);
		return -1;
	}
	return 0;
}

/* ---- what a backup holds ---- */

/* PKCS#8 ("BEGIN ENCRYPTED PRIVATE KEY") and legacy PEM ("Proc-Type: 4,ENCRYPTED"). */
static int key_encrypted(const member *key)
{
	char *text = cd_strndup(key->data, key->len);
	int yes = strstr(text, "ENCRYPTED") != NULL;

	cd_secret_free(text, key->len);
	return yes;
}

static int info_fill(const archive *a, const char *file, backup_info *info)
{
	const member *db = archive_find(a, "certdesk.db"), *crt = archive_find(a, "ca/ca.crt");
	const member *key = archive_find(a, "ca/ca.key");
	ca_cert_info ci;
	store_crl last;
	store *st = NULL;
	int rc, found = 0;

	memset(info, 0, sizeof *info);
	if (ca_cert_parse(crt->data, crt->len, &ci) < 0)
		return cd_err("%s: the CA certificate does not parse: %s", file, cd_errmsg());
	info->ca_subject = cd_strdup(ci.subject);
	info->ca_not_after = ci.not_after;
	ca_cert_info_free(&ci);
	info->key_encrypted = key && key_encrypted(key);
	info->taken = a->taken;
	info->source = cd_strdup(a->source);
	info->schema = a->schema;
	info->files = a->n - 1;
	if ((rc = store_open_image(db->data, db->len, "the backup's database", &st)) < 0) {
		if (rc == STORE_LOST)
			cd_err("%s holds no certdesk database: %s", file, cd_errmsg());
		return -1;
	}
	rc = store_count(st, "users", &info->users) < 0 || store_count(st, "certs", &info->certs) < 0 ||
	     store_crl_last(st, &last, &found) < 0 ||
	     store_setting_get(st, "ca.pkcs11_uri", &info->token_uri) < 0 ? -1 : 0;
	if (rc == 0 && info->token_uri && !*info->token_uri) {
		free(info->token_uri);
		info->token_uri = NULL;
	}
	if (rc == 0 && !key && !info->token_uri)
		rc = cd_err("%s lacks the CA key (and the CA's key is on no token)", file);
	info->crl_number = found ? last.number : 0;
	store_close(st);
	return rc;
}

int backup_check(const char *file, const char *pass, backup_info *info)
{
	archive a;
	struct stat sb;
	int rc;

	memset(info, 0, sizeof *info);
	if (archive_open(&a, file, pass) < 0)
		return -1;
	rc = info_fill(&a, file, info);
	if (rc == 0 && stat(file, &sb) == 0)
		info->bytes = (size_t)sb.st_size;
	archive_free(&a, 0);
	return rc;
}

/* ---- taking a backup ---- */

static member *add_member(archive *a, const char *name, int mode)
{
	member *m = &a->v[a->n++];

	memset(m, 0, sizeof *m);
	snprintf(m->name, sizeof m->name, "%s", name);
	m->mode = mode;
	return m;
}

/* The CA's files are read as secrets: one buffer, wiped when freed. */
static int add_file(archive *a, const char *name, const char *path, int mode, int secret)
{
	member *m;

	if (a->n + 1 >= MAX_MEMBERS)
		return cd_err("too many files to back up (at %s)", path);
	m = add_member(a, name, mode);
	m->secret = secret;
	return secret ? cd_read_secret(path, &m->data, &m->len) : cd_read_file(path, &m->data, &m->len);
}

/* Every regular file of HOME/sub, by name. */
static int add_dir(archive *a, const char *home, const char *sub)
{
	char *dir = cd_asprintf("%s/%s", home, sub);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort), i, rc = n < 0 ? -1 : 0;

	if (n < 0)
		cd_err("cannot read %s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		char *path = cd_asprintf("%s/%s", dir, names[i]->d_name);
		char *name = cd_asprintf("%s/%s", sub, names[i]->d_name);
		struct stat sb;

		if (rc == 0 && lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && member_name_ok(name))
			rc = add_file(a, name, path, (int)(sb.st_mode & 0777), strncmp(sub, "ca", 2) == 0);
		free(path);
		free(name);
		free(names[i]);
	}
	free(names);
	free(dir);
	return rc;
}

/* The CAs a rollover left, in HOME/ca/prev/KID/ and HOME/ca/retired/KID/. */
static int add_older_cas(archive *a, const char *home, const char *sub)
{
	char *dir = cd_asprintf("%s/%s", home, sub);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort), i, rc = 0;

	if (n < 0 && errno != ENOENT)
		rc = cd_err("cannot read %s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		char *kid = cd_asprintf("%s/%s", sub, names[i]->d_name);

		if (rc == 0 && ca_kid_valid(names[i]->d_name))
			rc = add_dir(a, home, kid);
		free(kid);
		free(names[i]);
	}
	free(names);
	free(dir);
	return rc;
}

/* The snapshot, through a file of the home that only this process uses. */
static int add_database(archive *a, desk *d)
{
	char *base = cd_asprintf("%s/backup.db", d->home);
	char *tmp = cd_asprintf("%s.tmp.%ld", base, (long)getpid());
	member *m;
	int rc;

	cd_unlink_temps(base);
	unlink(tmp);
	rc = store_backup_to(d->st, tmp);
	if (rc == 0) {
		m = add_member(a, "certdesk.db", 0644);
		rc = cd_read_file(tmp, &m->data, &m->len);
	}
	unlink(tmp);
	cd_unlink_temps(base);
	free(tmp);
	free(base);
	return rc;
}

static char *source_of(const desk *d)
{
	char host[256] = "";
	char *real = realpath(d->home, NULL);
	char *s;

	gethostname(host, sizeof host - 1);
	s = cd_asprintf("%s:%s", host[0] ? host : "localhost", real ? real : d->home);
	free(real);
	return s;
}

/* A CA key on a token cannot be backed up: it never leaves the token. */
static int on_token(desk *d)
{
	char *uri = NULL, *module = NULL;
	int on = desk_token_of(d, &uri, &module) > 0;

	free(uri);
	free(module);
	return on;
}

/* The canary certificates (canary.h), when probing made some: a restored home probes on. */
static int add_canaries(archive *a, desk *d)
{
	char *dir = cd_asprintf("%s/ca/canary", d->home);
	int rc = cd_path_exists(dir) ? add_dir(a, d->home, "ca/canary") : 0;

	free(dir);
	return rc;
}

static int gather(archive *a, desk *d)
{
	member *man;

	add_member(a, BACKUP_MANIFEST, 0644);
	if (store_schema_version(d->st, &a->schema) < 0 || add_database(a, d) < 0 ||
	    add_dir(a, d->home, "ca") < 0 || add_older_cas(a, d->home, "ca/prev") < 0 ||
	    add_older_cas(a, d->home, "ca/retired") < 0 || add_dir(a, d->home, "templates") < 0 ||
	    add_canaries(a, d) < 0)
		return -1;
	if (!archive_find(a, "ca/ca.crt") || (!archive_find(a, "ca/ca.key") && !on_token(d)))
		return cd_err("%s/ca lacks ca.crt or ca.key: nothing to back up", d->home);
	a->taken = cd_now();
	a->source = source_of(d);
	man = &a->v[0];
	man->data = manifest_text(a);
	man->len = strlen(man->data);
	return 0;
}

int backup_write(desk *d, const char *file, const char *pass, backup_info *info)
{
	archive a;
	cd_buf tar = {0};
	size_t i, bytes = 0;
	int rc = -1;

	memset(&a, 0, sizeof a);
	memset(info, 0, sizeof *info);
	cd_unlink_temps(file);
	if (cd_can_create(file) < 0)
		return errno == EEXIST ? cd_err("%s exists: a backup never replaces a file", file)
				       : cd_err("cannot create %s: %s", file, strerror(errno));
	if (gather(&a, d) < 0)
		goto out;
	for (i = 0; i < a.n; i++)
		tar_add(&tar, &a.v[i], a.taken);
	for (i = 0; i < 2 * TAR_BLOCK; i++)
		cd_buf_putc(&tar, '\0');
	if (encrypt_to(file, &tar, pass, &bytes) < 0)
		goto out;
	rc = info_fill(&a, file, info);
	info->bytes = bytes;
out:
	if (tar.s)
		OPENSSL_cleanse(tar.s, tar.len);
	cd_buf_free(&tar);
	archive_free(&a, 1);
	return rc;
}

/* ---- restore ---- */

/* 0 when home is missing or an empty directory. */
static int home_empty(const char *home)
{
	DIR *dir = opendir(home);
	struct dirent *e;
	int empty = 1;

	if (!dir && errno == ENOENT)
		return 0;
	if (!dir)
		return cd_err("%s: %s; restore goes into an empty or missing directory", home,
			      strerror(errno));
	while (empty && (e = readdir(dir)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(dir);
	return empty ? 0 : cd_err("%s is not empty: restore goes into an empty or missing "
				  "directory only", home);
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Stages that a killed restore left beside the home (their process is gone). */
static void clear_stale_stages(const char *prefix)
{
	char *pat = cd_asprintf("%s[0-9]*", prefix);
	glob_t g = {0};
	size_t i;

	if (glob(pat, GLOB_NOSORT, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++) {
			long pid = strtol(g.gl_pathv[i] + strlen(prefix), NULL, 10);

			if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) < 0)
				rm_tree(g.gl_pathv[i]);
		}
	}
	globfree(&g);
	free(pat);
}

/* HOME's parent/.HOME.restore.PID: on the same file system, so the rename is atomic. */
static char *stage_path(const char *home)
{
	char *copy = cd_strdup(home), *slash, *prefix, *stage;
	size_t n = strlen(copy);

	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	slash = strrchr(copy, '/');
	if (slash)
		*slash = '\0';
	prefix = cd_asprintf("%s/.%s.restore.", slash ? (slash == copy ? "/" : copy) : ".",
			     slash ? slash + 1 : copy);
	if (cd_mkdir_p(slash ? (slash == copy ? "/" : copy) : ".", 0755) == 0)
		clear_stale_stages(prefix);
	stage = cd_asprintf("%s%ld", prefix, (long)getpid());
	free(prefix);
	free(copy);
	return stage;
}

static int write_members(const archive *a, const char *stage)
{
	size_t i;
	int rc = 0;

	for (i = 1; i < a->n && rc == 0; i++) {
		char *path = cd_asprintf("%s/%s", stage, a->v[i].name);
		int mode = strncmp(a->v[i].name, "ca/", 3) == 0 && strstr(a->v[i].name, ".key") ?
			   0600 : a->v[i].mode & 0755;

		if (strncmp(a->v[i].name, "ca/prev/", 8) == 0 ||
		    strncmp(a->v[i].name, "ca/retired/", 11) == 0 ||
		    strncmp(a->v[i].name, "ca/canary/", 10) == 0) {
			char *sub = cd_strdup(path);

			*strrchr(sub, '/') = '\0';
			rc = cd_mkdir_p(sub, 0700);
			free(sub);
		}
		if (rc < 0)
			;
		else if (mode == 0600)
			rc = cd_write_secret(path, a->v[i].data, a->v[i].len);
		else
			rc = cd_write_file(path, a->v[i].data, a->v[i].len, mode | 0400);
		free(path);
	}
	return rc;
}

static int check_key(const backup_restore_opts *o, const backup_info *info, const char *stage)
{
	char *dir = cd_asprintf("%s/ca", stage);
	/* A key on a token is checked by verify and at the first signing, with the PIN. */
	int with_key = !info->token_uri && (!info->key_encrypted || o->ca_pass);
	ca *c = NULL;
	int rc = ca_open(dir, with_key, info->key_encrypted ? o->ca_pass : NULL, &c);

	if (rc < 0)
		cd_err("%s: %s", o->file, cd_errmsg());
	else if (info->token_uri && o->note)
		o->note(o->ctx, "the CA key is on the token named by ca.pkcs11_uri: the restored "
			"home signs with it when the token is present");
	else if (!with_key && o->note)
		o->note(o->ctx, "the CA key is passphrase-protected: it is checked against the "
			"certificate at its first signing (or set CERTDESK_PASSPHRASE_FILE)");
	ca_close(c);
	free(dir);
	return rc;
}

/* The CRL the repository holds now must be this CA's: a backup of another CA would
 * otherwise publish over it. An unreachable repository is only noted: publish reads it
 * before signing anything. */
static int check_remote_crl(const backup_restore_opts *o, store *st, const char *stage)
{
	char *remote = NULL, *branch = NULL, *path = NULL, *dir = NULL, *pem = NULL;
	char tip[41] = "", *cadir = cd_asprintf("%s/ca", stage);
	crlrepo *r = NULL;
	ca *c = NULL;
	ca_crl_contents cc;
	size_t len = 0;
	int exists = 0, found = 0, rc = 0;

	if (conf_get(st, "crl.remote", &remote) < 0 || conf_get(st, "crl.branch", &branch) < 0 ||
	    conf_get(st, "crl.path", &path) < 0 || ca_open(cadir, 0, NULL, &c) < 0) {
		rc = -1;
		goto out;
	}
	if (!*remote)
		goto out;
	dir = cd_asprintf("%s/crl.git", stage);
	if (crlrepo_open(dir, remote, &r) < 0 || crlrepo_fetch(r, branch, &exists, tip) < 0 ||
	    (exists && crlrepo_read(r, tip, path, &pem, &len, &found) < 0)) {
		char *shown = cd_mask_urls(remote), *line = cd_asprintf(
			"could not read the CRL of %s now (%s): publish reads it before signing",
			shown, cd_errmsg());
		if (o->note)
			o->note(o->ctx, line);
		free(line);
		free(shown);
		goto out;
	}
	if (found && ca_crl_read(c, pem, len, &cc) == 0) {
		if (!cc.ours)
			rc = cd_err("%s in %s of crl.remote is a CRL of another CA than this backup's "
				    "(%s): restoring would publish over it; restore the backup of that "
				    "CA, or check crl.remote", path, branch, ca_name(c));
		ca_crl_contents_free(&cc);
	}
out:
	crlrepo_close(r);
	ca_close(c);
	free(remote), free(branch), free(path), free(dir), free(pem), free(cadir);
	return rc;
}

static int finish_db(const backup_restore_opts *o, const backup_info *info, const char *stage)
{
	char *db = cd_asprintf("%s/certdesk.db", stage), when[32], *detail;
	store *st = NULL;
	int rc = store_open(db, 0, &st);

	if (rc == 0)
		rc = check_remote_crl(o, st, stage);
	cd_format_time(info->taken, when);
	detail = cd_asprintf("from %s, taken %s on %s", o->file, when, info->source);
	if (rc == 0 && (rc = store_begin(st)) == 0)
		rc = store_end(st, store_audit(st, cd_now(), cd_operator(), "restore", NULL, detail));
	store_close(st);
	free(detail);
	free(db);
	return rc;
}

static int build_stage(const backup_restore_opts *o, const archive *a, const backup_info *info,
		       const char *stage)
{
	char *cadir = cd_asprintf("%s/ca", stage), *tmpl = cd_asprintf("%s/templates", stage);
	int rc = -1;

	if (mkdir(stage, 0700) < 0) {
		cd_err("cannot create %s: %s", stage, strerror(errno));
		goto out;
	}
	if (mkdir(cadir, 0755) < 0 || mkdir(tmpl, 0755) < 0) {
		cd_err("cannot create %s: %s", cadir, strerror(errno));
		goto out;
	}
	if (write_members(a, stage) < 0 || check_key(o, info, stage) < 0 ||
	    finish_db(o, info, stage) < 0 || chmod(stage, 0755) < 0)
		goto out;
	rc = 0;
out:
	free(cadir);
	free(tmpl);
	return rc;
}

int backup_restore(const backup_restore_opts *o, backup_info *info)
{
	archive a;
	char *stage = NULL;
	struct stat sb;
	int rc = -1;

	memset(info, 0, sizeof *info);
	if (home_empty(o->home) < 0 || archive_open(&a, o->file, o->pass) < 0)
		return -1;
	if (info_fill(&a, o->file, info) < 0)
		goto out;
	stage = stage_path(o->home);
	if (build_stage(o, &a, info, stage) < 0)
		goto out;
	/* A missing home, or an empty directory: rename() replaces only an empty one. */
	if (home_empty(o->home) < 0)
		goto out;
	if (rename(stage, o->home) < 0) {
		cd_err("cannot create %s: %s", o->home, strerror(errno));
		goto out;
	}
	cd_fsync_dir_of(o->home);
	if (stat(o->file, &sb) == 0)
		info->bytes = (size_t)sb.st_size;
	rc = 0;
out:
	if (rc < 0 && stage)
		rm_tree(stage);
	free(stage);
	archive_free(&a, 0);
	return rc;
}
