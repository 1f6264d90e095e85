/* cli_publish.c: the crl and publish verbs, over publish.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "publish.h"
#include "util.h"

static void print_line(void *ctx, const char *line)
{
	char *clean = cd_sanitize(line);

	printf("%s\n", clean);
	fflush(stdout);
	free(clean);
}

int cli_publish(cli_ctx *c)
{
	opt o[] = {{"dry-run", 0}, {0}};
	const char *pos[1];
	publish_opts po = {0, print_line, NULL};
	publish_result res;
	desk d;
	int n, rc;

	if (cli_parse(c, o, pos, 0, &n, "publish") < 0 || cli_open_desk(c, &d, 0) < 0)
		return cli_fail();
	po.dry_run = opt_set(o, "dry-run");
	rc = publish_run(&d, &po, &res);
	desk_close(&d);
	return rc < 0 ? cli_fail() : 0;
}

/* A CRL is public, but an existing file is never replaced silently. */
static int write_new(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ssize_t w = 0;
	size_t off = 0;

	if (fd < 0)
		return cd_err("cannot write %s: %s%s", path, strerror(errno),
			      errno == EEXIST ? " (certdesk never overwrites it)" : "");
	while (off < len && (w = write(fd, data + off, len - off)) > 0)
		off += (size_t)w;
	if (off < len || close(fd) < 0) {
		cd_err("cannot write %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int cli_crl(cli_ctx *c)
{
	opt o[] = {{"out", 1}, {0}};
	const char *pos[1], *out;
	char *pem = NULL;
	size_t len;
	desk d;
	int n, fresh, rc;

	if (cli_parse(c, o, pos, 0, &n, "crl") < 0)
		return cli_fail();
	/* Refused before signing, so that a refusal uses no CRL Number. */
	out = opt_val(o, "out");
	if (out && cd_path_exists(out))
		return cd_err("%s exists already (certdesk never overwrites it)", out), cli_fail();
	if (cli_open_desk(c, &d, 0) < 0)
		return cli_fail();
	rc = publish_crl_pem(&d, &pem, &len, &fresh);
	desk_close(&d);
	if (rc < 0)
		return cli_fail();
	if (fresh)
		fprintf(stderr, "certdesk: no CRL published yet: this is a freshly signed CRL of "
			"the revocations recorded as published; 'certdesk publish' publishes one\n");
	if (out)
		rc = write_new(out, pem, len);
	else if (fwrite(pem, 1, len, stdout) != len || fflush(stdout) != 0)
		rc = cd_err("cannot write the CRL to standard output");
	free(pem);
	return rc < 0 ? cli_fail() : 0;
}
