/* util.h: errors, buffers, time, validation and secret files shared by every module. */
#ifndef CD_UTIL_H
#define CD_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/*
 * Error convention (as in SQLite): a function returns 0 on success and -1 on
 * failure, after setting one human-readable line with cd_err().  The caller
 * either adds context with cd_err() again or prints cd_errmsg().
 */
int cd_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *cd_errmsg(void);

/* Allocation that cannot fail: out of memory aborts (there is nothing to save). */
void *cd_malloc(size_t n);
void *cd_realloc(void *p, size_t n);
/* Sorts in place, allocating nothing (glibc's qsort copies the whole array aside when it
 * can: a peak of twice the array for the dashboard's million rows). Not stable; n log n
 * at worst. size is at most 64 bytes. */
void cd_sort(void *base, size_t n, size_t size,
	     int (*cmp)(const void *a, const void *b, void *ctx), void *ctx);
/* cd_sort after one in-place distribution into nbuckets buckets (an American flag pass):
 * bucket(x) must be below nbuckets and never decrease where cmp increases, so that each
 * bucket is then sorted alone, within the cache. For a million rows in random order. */
void cd_sort_bucketed(void *base, size_t n, size_t size, size_t (*bucket)(const void *x, void *ctx),
		      size_t nbuckets, int (*cmp)(const void *a, const void *b, void *ctx),
		      void *ctx);
/* The n bytes of in as 2n lower-case hex digits and a NUL in out. */
void cd_hex(const unsigned char *in, size_t n, char *out);
char *cd_strdup(const char *s);
char *cd_strndup(const char *s, size_t n);
char *cd_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable NUL-terminated byte buffer. Zero-initialise before use. */
typedef struct {
	char *s;
	size_t len, cap;
} cd_buf;
void cd_buf_add(cd_buf *b, const void *p, size_t n);
void cd_buf_puts(cd_buf *b, const char *s);
void cd_buf_putc(cd_buf *b, char c);
void cd_buf_printf(cd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cd_buf_vprintf(cd_buf *b, const char *fmt, va_list ap);
/* Room for n more bytes at the end: write there, then add the count to b->len and
 * terminate with a NUL (the room includes one byte for it). */
char *cd_buf_space(cd_buf *b, size_t n);
char *cd_buf_take(cd_buf *b); /* returns the string (never NULL), resets b */
void cd_buf_free(cd_buf *b);

/* Time: UTC seconds since the epoch. */
#define CD_DAY 86400LL
int64_t cd_now(void);                       /* real clock, for anything written */
int cd_parse_date(const char *s, int64_t *out); /* YYYY-MM-DD, midnight UTC */
void cd_format_date(int64_t t, char out[16]);   /* YYYY-MM-DD */
void cd_format_time(int64_t t, char out[32]);   /* YYYY-MM-DDTHH:MM:SSZ */
int64_t cd_days_until(int64_t when, int64_t now); /* calendar days between the UTC dates */
int64_t cd_timegm(int y, int mon, int d, int h, int mi, int s); /* mon 1..12 */

/* Validation: each returns 0 when valid, else -1 with a message naming the field. */
int cd_check_user(const char *user);
int cd_check_field(const char *what, const char *value); /* UTF-8, no controls, <=256 bytes */
int cd_check_email(const char *email);
int cd_check_country(const char *cc);
/* v is one of choices ("a|b|c"): 0, or -1 naming what and the choices. */
int cd_check_choice(const char *what, const char *choices, const char *v);
int cd_check_task(const char *task);
/* A task id as people paste it: blanks around it, "4567", "T4567", or the task's URL
 * under phab_url (".../T4567", "/" or "#anchor" after it). "T4567" into out; -1 with
 * cd_err() showing the whole value. */
int cd_task_id(const char *in, const char *phab_url, char *out, size_t n);
int cd_parse_int(const char *what, const char *s, long min, long max, long *out);
int cd_utf8_valid(const char *s, size_t n);
/* Bytes of the UTF-8 character at s: 1 for ASCII and for a byte that starts none. */
size_t cd_utf8_char_len(const char *s);

/* Terminal columns of UTF-8 text (LC_CTYPE decides). cd_char_cols: the bytes of the
 * character at s, and its columns in *cols, or -1 when it is not printable (invalid,
 * or unknown to wcwidth): such a character is drawn as one '?'. */
size_t cd_char_cols(const char *s, mbstate_t *ps, int *cols);
int cd_text_width(const char *s);
/* Bytes of s that fit in w columns: at least one character, so a wrap advances. */
size_t cd_fit_width(const char *s, int w);

/* Copy of s fit for a terminal: control characters and invalid UTF-8 become '?'. */
char *cd_sanitize(const char *s);
void cd_sanitize_into(cd_buf *b, const char *s); /* appends */

/* Copy of text fit to show or store: in every scheme://user:password@ of it, the
 * password becomes "***"; so does the user of http(s)://user@ alone, how access tokens
 * are often given. An scp-like git remote (user@host:path) is left as it is: its user
 * is a login, never a secret. */
char *cd_mask_urls(const char *text);
/* What cd_mask_urls hides in the URL url, malloc'd, or NULL when nothing. */
char *cd_url_secret(const char *url);

/*
 * The Unix user acting, for the audit trail and the CRL commits. SUDO_USER counts only
 * when certdesk runs as root (real and effective uid 0) and SUDO_UID is that user's uid,
 * as sudo sets them; otherwise it is the real uid's login name, and a SUDO_USER naming
 * someone else is kept as a claim: "bob (claimed alice)".
 */
const char *cd_operator(void);
/* Removes what killed writers left of path (path.tmp.PID, PID no longer running). */
void cd_unlink_temps(const char *path);
/* The user name alone (the believed one, never the claim): for an email address. */
const char *cd_operator_login(void);

/*
 * Files are written under a temporary name in their directory (FILE.tmp.PID, created
 * exclusively with their mode), fsync'd, then given their final name and the directory
 * fsync'd: whatever kill comes, the name holds nothing, the old content or the whole new
 * one.  cd_write_secret: mode 0600, and never replaces an existing file (link()).
 */
int cd_write_secret(const char *path, const void *data, size_t len);
/* The same for n (at most 8) files of one directory: all of them, or none. */
int cd_write_secrets(int n, const char *const *paths, const void *const *data,
		     const size_t *lens);
/* A file with mode, created exclusively: an existing file is refused and kept. */
int cd_write_file(const char *path, const void *data, size_t len, int mode);
/* A file with mode that replaces an existing one at once (rename()). */
int cd_replace_file(const char *path, const void *data, size_t len, int mode);
/* 0 when path does not exist and its directory may be written; else -1 with errno
 * (EEXIST, or access()'s): to refuse a path before work that cannot be undone. */
int cd_can_create(const char *path);
/* fsync of the directory holding path, so that a new name in it is durable. */
void cd_fsync_dir_of(const char *path);
/* Writes all of data to fd (EINTR retried); -1 with errno. */
int cd_write_fd(int fd, const void *data, size_t len);

/* Reads a regular file or a pipe, at most CD_READ_MAX bytes. */
#define CD_READ_MAX (256 << 20)
int cd_read_file(const char *path, char **data, size_t *len);
/*
 * Secrets (keys, passphrases, .pw files) are read with read(2) into one buffer sized
 * up front (from fstat; CD_SECRET_MAX for a pipe), never grown, so that neither stdio
 * nor realloc() leaves a copy behind; NUL-terminated.  cd_secret_free wipes it
 * (OPENSSL_cleanse, which the compiler cannot drop as it drops a memset before free).
 */
#define CD_SECRET_MAX (64 << 10)
int cd_read_secret(const char *path, char **data, size_t *len);
int cd_read_secret_fd(int fd, const char *path, char **data, size_t *len);
void cd_secret_free(char *data, size_t len);
int cd_mkdir_p(const char *path, int mode);
int cd_path_exists(const char *path);

#endif
