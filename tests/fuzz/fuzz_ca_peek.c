/* fuzz_ca_peek.c: a CA certificate as start-up reads it (src/ca.c load_cert: the DER of
 * ca.crt walked by hand for the name, key id and dates, OpenSSL's full parse only when
 * that cannot tell, or when a signature needs the certificate itself).
 *
 * Input: any bytes, written as ca/ca.crt both as they are and as the DER body of a PEM
 * certificate; then ca_open() of that directory.
 * Checks: nothing crashes or leaks; of a CA that opens, what the walk read (commonName,
 * notAfter, key identifier) is what OpenSSL's full parse reads, whenever that parse
 * calls it a CA certificate (X509_check_ca); when it does not, or does not parse it,
 * nothing can be signed or checked with it (ca_cert_pem, the first use of the
 * certificate itself, refuses). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "util.h"

static char *dir;

/* OpenSSL's own reading of the file, to compare with what ca_open() made of it. */
static int compare(const ca *c, const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	const ASN1_OCTET_STRING *ski;
	ca_cert_info info;
	char kid[41] = "";
	int i;

	BIO_free(b);
	if (!x || X509_check_ca(x) < 1) {
		X509_free(x);
		return 0;
	}
	if ((ski = X509_get0_subject_key_id(x)))
		for (i = 0; i < ASN1_STRING_length(ski) && i < 20; i++)
			snprintf(kid + 2 * i, 3, "%02X", ASN1_STRING_get0_data(ski)[i]);
	if (*kid)
		FUZZ_CHECK(strcmp(kid, ca_kid(c)) == 0);
	if (ca_cert_parse(pem, len, &info) == 0) {
		FUZZ_CHECK(strcmp(info.cn, ca_name(c)) == 0);
		FUZZ_CHECK(info.not_after == ca_not_after(c));
		ca_cert_info_free(&info);
	}
	X509_free(x);
	return 1;
}

static void judge(const char *pem, size_t len)
{
	ca *c;
	char *again;
	int usable;

	fuzz_clear(dir);
	fuzz_write(dir, "ca.crt", pem, len);
	if (ca_open(dir, 0, NULL, &c) < 0)
		return;
	usable = compare(c, pem, len);
	again = ca_cert_pem(c);
	FUZZ_CHECK(!again == !usable);
	if (again) {
		BIO *b = BIO_new_mem_buf(again, -1);
		X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

		FUZZ_CHECK(x != NULL);
		X509_free(x);
		BIO_free(b);
		free(again);
	}
	ca_close(c);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	dir = cd_asprintf("%s/ca", fuzz_tmpdir());
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *head = "-----BEGIN CERTIFICATE-----\n", *tail = "\n-----END CERTIFICATE-----\n";
	char *pem, *p;

	if (size > 1 << 16)
		return 0;
	judge((const char *)data, size);
	pem = cd_malloc(strlen(head) + 4 * ((size + 2) / 3) + strlen(tail) + 1);
	p = stpcpy(pem, head);
	p += EVP_EncodeBlock((unsigned char *)p, data, (int)size);
	p = stpcpy(p, tail);
	judge(pem, (size_t)(p - pem));
	free(pem);
	return 0;
}
