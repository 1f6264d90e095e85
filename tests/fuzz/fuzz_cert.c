/* fuzz_cert.c: a stored certificate as verify reads it (src/ca.h ca_cert_facts_read: one
 * walk of the DER with ASN1_get_object, the fields decoded one by one, the signature
 * checked over the TBS bytes), against a CA made at start-up.
 *
 * Input: any bytes, taken as the DER body of a PEM certificate, and as PEM text.
 * Checks: nothing crashes or leaks; a signature found good names the CA; where OpenSSL's
 * full parse (ca_cert_parse) reads the input too, both agree on the serial, the dates
 * and the subject; a certificate that CA issued reads back as signed by it. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ca.h"
#include "util.h"

static ca *the_ca;

static void judge(const char *pem, size_t len)
{
	ca_cert_facts f;
	ca_cert_info info;

	if (ca_cert_facts_read(the_ca, pem, len, &f) < 0)
		return;
	FUZZ_CHECK(!f.signed_ok || f.named == the_ca);
	FUZZ_CHECK(f.subject != NULL);
	if (ca_cert_parse(pem, len, &info) == 0) {
		FUZZ_CHECK(strcmp(info.serial, f.serial) == 0);
		FUZZ_CHECK(info.not_before == f.not_before && info.not_after == f.not_after);
		FUZZ_CHECK(strcmp(info.subject, f.subject) == 0);
		ca_cert_info_free(&info);
	}
	ca_cert_facts_free(&f);
}

static char *as_pem(const uint8_t *data, size_t size, size_t *len)
{
	const char *head = "-----BEGIN CERTIFICATE-----\n", *tail = "\n-----END CERTIFICATE-----\n";
	char *pem = cd_malloc(strlen(head) + 4 * ((size + 2) / 3) + strlen(tail) + 1), *p = pem;

	p = stpcpy(p, head);
	p += EVP_EncodeBlock((unsigned char *)p, data, (int)size);
	p = stpcpy(p, tail);
	*len = (size_t)(p - pem);
	return pem;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir = cd_asprintf("%s/ca", fuzz_tmpdir());
	ca_request req = {"fuzz", "Fuzz", "fuzz@example.org", "", "", "", "", 30, CA_KEY_EC, NULL};
	ca_issued is;
	ca_cert_facts f;

	if (ca_init(dir, "Fuzz CA", CA_KEY_EC, 30, NULL) < 0 || ca_open(dir, 1, NULL, &the_ca) < 0 ||
	    ca_issue(the_ca, &req, CA_P12_MODERN, &is) < 0)
		fuzz_fail(cd_errmsg(), __FILE__, __LINE__);
	FUZZ_CHECK(ca_cert_facts_read(the_ca, is.cert_pem, strlen(is.cert_pem), &f) == 0);
	FUZZ_CHECK(f.signed_ok && f.named == the_ca && strcmp(f.serial, is.serial) == 0);
	ca_cert_facts_free(&f);
	ca_issued_free(&is);
	free(dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = cd_strndup((const char *)data, size), *pem;
	size_t len;

	judge(text, size);
	free(text);
	if (size <= 1 << 16) {
		pem = as_pem(data, size, &len);
		judge(pem, len);
		free(pem);
	}
	return 0;
}
