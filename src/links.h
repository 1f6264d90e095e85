/* links.h: the task link and the mail link, rendered from editable templates. */
#ifndef CD_LINKS_H
#define CD_LINKS_H

#include <stddef.h>

/* Template files, in the home's templates/ directory (defaults in data/templates/). */
#define LINKS_TASK_TITLE  "task-title.txt"
#define LINKS_TASK_DESC   "task-description.txt"
#define LINKS_MAIL_SUBJ   "mail-subject.txt"
#define LINKS_MAIL_BODY   "mail-body.txt"
/* The body for a user who keeps their key and sends a request; a home made before it
 * existed uses mail-body.txt. */
#define LINKS_MAIL_BODY_CSR "mail-body-csr.txt"

typedef struct {
	const char *template_dir;  /* HOME/templates */
	const char *phab_url;      /* https://phabricator.wikimedia.org */
	const char *phab_form;     /* 1 */
	const char *phab_projects; /* fundraising-tech-ops */
	const char *phab_subscribers; /* may be "" */
	/* Where a warning goes (a link too long for some mail clients); NULL: stderr. */
	void (*warn)(void *ctx, const char *line);
	void *warn_ctx;
	/* The mail's templates instead of LINKS_MAIL_SUBJ and LINKS_MAIL_BODY (a reminder);
	 * NULL: those. */
	const char *mail_subject, *mail_body;
} links_config;

/* The variables a template may use, as {name}. NULL values render as "". */
typedef struct {
	const char *user, *full_name, *email, *expiry, *days_left, *serial, *task,
	           *operator_name, *ca_name;
	const char *notified, *issued; /* dates of the first mail and of the new certificate */
	const char *subject; /* as openssl req -subj takes it, quoted for '...' in a shell */
	int user_key;        /* the user keeps the key: the mail asks for a request */
} links_vars;

/*
 * Renders tmpl ({name} substituted, "{{" and "}}" for literal braces). An unknown
 * variable is an error naming it and `file`; so is invalid UTF-8.
 */
int links_render(const char *tmpl, const char *file, const links_vars *v, char **out);

/* Percent-encoding of a URI query value (RFC 3986 unreserved kept, all else %XX).
 * For mailto (RFC 6068) a line break, LF or CRLF, becomes %0D%0A. */
char *links_encode(const char *s, int mailto);

/* Both links for one user. Either out pointer may be NULL. Warns on stderr when a link
 * is longer than 2,000 characters. */
int links_make(const links_config *cfg, const links_vars *v, char **task_link, char **mail_link);
/* Templates are cached and read again when their file changes; links_forget() drops
 * the cache. Between links_batch(1) and links_batch(0) (a batch of thousands of links)
 * the files are not even checked for changes. */
void links_forget(void);
void links_batch(int on);

#endif
