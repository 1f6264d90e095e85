/* fuzz_csr.c: certificate requests (src/ca.h ca_csr_read, ca_csr_unused), the file a
 * user sends: ca_csr_read() of the input as it is (PEM text), and of the input as the
 * DER body of a PEM request (so that the ASN.1 parser, the key checks and the
 * extensions are reached without base64 being found first).
 *
 * Input: any bytes.
 * Checks: nothing crashes or leaks; an accepted request names its key "ec" or "rsa";
 * what ca_csr_unused() says is one line of UTF-8 without control characters; a
 * refusal sets one line; an input over CA_CSR_MAX is refused. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ca.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void check_line(const char *s)
{
	const unsigned char *p;

	FUZZ_CHECK(cd_utf8_valid(s, strlen(s)));
	for (p = (const unsigned char *)s; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7F);
}

static void judge(const char *pem, size_t len)
{
	ca_csr *r = NULL;
	int rc = ca_csr_read(pem, len, &r);
	char *line;

	if (rc < 0) {
		FUZZ_CHECK(r == NULL);
		check_line(cd_errmsg());
		return;
	}
	FUZZ_CHECK(len <= CA_CSR_MAX);
	FUZZ_CHECK(strcmp(ca_csr_key_name(r), "ec") == 0 || strcmp(ca_csr_key_name(r), "rsa") == 0);
	line = ca_csr_unused(r, "CN=fuzz");
	if (line)
		check_line(line);
	free(line);
	ca_csr_free(r);
}

/* The input as the body of a PEM request. */
static char *as_pem(const uint8_t *data, size_t size, size_t *len)
{
	size_t b64 = 4 * ((size + 2) / 3);
	const char *head = "-----BEGIN CERTIFICATE REQUEST-----\n";
	const char *tail = "\n-----END CERTIFICATE REQUEST-----\n";
	char *pem = cd_malloc(strlen(head) + b64 + strlen(tail) + 1), *p = pem;

	p = stpcpy(p, head);
	p += EVP_EncodeBlock((unsigned char *)p, data, (int)size);
	p = stpcpy(p, tail);
	*len = (size_t)(p - pem);
	return pem;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = cd_strndup((const char *)data, size), *pem;
	size_t len;

	judge(text, size);
	free(text);
	if (size <= CA_CSR_MAX) {
		pem = as_pem(data, size, &len);
		judge(pem, len);
		free(pem);
	}
	return 0;
}
