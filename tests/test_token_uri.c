/* test_token_uri.c: the pkcs11: URI parser (RFC 7512) that init --pkcs11, ca
 * move-to-token and the ca.pkcs11_uri setting use: what it accepts, decoded, and each
 * refusal with its one line. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "token_uri.h"
#include "util.h"

static void test_accepts(void)
{
	token_uri u;
	static const unsigned char id[] = {0x01, 0xAB, 0x00, 0xff};

	CU_ASSERT_FATAL(token_uri_parse("pkcs11:token=certdesk;object=ca", &u) == 0);
	CU_ASSERT_STRING_EQUAL((char *)u.token.v, "certdesk");
	CU_ASSERT_STRING_EQUAL((char *)u.object.v, "ca");
	CU_ASSERT(!u.id.set && !u.serial.set);
	/* RFC 7512's own example of a percent-encoded label and a binary id. */
	CU_ASSERT_FATAL(token_uri_parse("pkcs11:token=My%20token%2F1;id=%01%ab%00%FF;"
					"type=private", &u) == 0);
	CU_ASSERT_STRING_EQUAL((char *)u.token.v, "My token/1");
	CU_ASSERT(u.id.len == 4 && memcmp(u.id.v, id, 4) == 0);
	CU_ASSERT_FATAL(token_uri_parse("pkcs11:serial=DECC0401648;slot-id=7", &u) == 0);
	CU_ASSERT_STRING_EQUAL((char *)u.slot_id.v, "7");
}

static void test_format_round_trip(void)
{
	token_uri u, v;
	static const unsigned char id[] = {0xCE, 0x92, 0x2F};
	char *s;

	CU_ASSERT_FATAL(token_uri_parse("pkcs11:token=a%3Bb;manufacturer=Soft%20HSM", &u) == 0);
	s = token_uri_format(&u, "ca 2027", id, sizeof id);
	CU_ASSERT_STRING_EQUAL(s, "pkcs11:token=a%3Bb;manufacturer=Soft%20HSM;object=ca%202027;"
			       "id=%CE%92%2F");
	CU_ASSERT_FATAL(token_uri_parse(s, &v) == 0);
	CU_ASSERT_STRING_EQUAL((char *)v.token.v, "a;b");
	CU_ASSERT(v.id.len == 3 && memcmp(v.id.v, id, 3) == 0);
	free(s);
}

static void refused(const char *uri, const char *why)
{
	token_uri u;
	int rc = token_uri_parse(uri, &u);

	CU_ASSERT(rc < 0);
	if (rc < 0 && !strstr(cd_errmsg(), why))
		fprintf(stderr, "\n%s: '%s', expected '%s'\n", uri, cd_errmsg(), why);
	CU_ASSERT(rc < 0 && strstr(cd_errmsg(), why) && !strchr(cd_errmsg(), '\n'));
}

static void test_refusals(void)
{
	char long_uri[TOKEN_URI_MAX + 32], big[TOKEN_ATTR_MAX + 40];

	refused("token=certdesk", "is not a pkcs11: URI");
	refused("pkcs11:token=certdesk;pin-value=1234", "no PIN in the URI");
	refused("pkcs11:token=certdesk?pin-value=1234", "no PIN in the URI");
	refused("pkcs11:token=certdesk?module-path=/tmp/evil.so", "no query part");
	refused("pkcs11:token=certdesk;colour=red", "unknown attribute 'colour'");
	refused("pkcs11:token=a;token=b", "'token' given twice");
	refused("pkcs11:token=a%2", "not followed by two hex digits");
	refused("pkcs11:token=a%zz", "not followed by two hex digits");
	refused("pkcs11:token=a b", "must be percent-encoded");
	refused("pkcs11:token=a%0Ab", "control character");
	refused("pkcs11:token=a;;object=b", "an empty attribute");
	refused("pkcs11:token=a;", "an empty attribute");
	refused("pkcs11:token", "is not NAME=VALUE");
	refused("pkcs11:object=ca", "name the token");
	refused("pkcs11:token=a;type=cert", "type=private");
	refused("pkcs11:slot-id=x1", "slot-id must be a decimal number");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	snprintf(long_uri, sizeof long_uri, "pkcs11:token=%s", big);
	refused(long_uri, "longer than");
	memset(long_uri, 'a', sizeof long_uri - 1);
	memcpy(long_uri, "pkcs11:", 7);
	long_uri[sizeof long_uri - 1] = '\0';
	refused(long_uri, "longer than");
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{"accepted URIs, decoded", test_accepts},
		{"token_uri_format parses back", test_format_round_trip},
		{"refusals, one line each", test_refusals},
		CU_TEST_INFO_NULL,
	};
	const tl_suite suites[] = {{"pkcs11 URI", tests}, {NULL, NULL}};

	return tl_main(suites);
}
