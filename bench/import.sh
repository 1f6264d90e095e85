#!/bin/sh
# Benchmark: `certdesk import easyrsa PKI --apply` of an easy-rsa 3 PKI holding
# IMPORT_BENCH_N certificates (10,000 by default). Target: under 10 s.
#
# easyrsa itself needs minutes for 10,000 certificates, so a small libcrypto program
# (below) writes the same layout directly: pki/ca.crt, pki/private/ca.key, index.txt,
# issued/CN.crt for valid and expired certificates, renewed/issued/CN.crt for the
# certificate a renewal replaced, revoked/certs_by_serial/SERIAL.crt for revoked ones,
# and crl.pem (CRL Number 7) listing the revoked ones. Mix: 5% expired, 5% revoked,
# 10% of users renewed (two certificates each).
#
# Variables: CERTDESK_BIN (default ./certdesk), IMPORT_BENCH_N, IMPORT_BENCH_DIR.
set -eu
cd "$(dirname "$0")/.."
bin=${CERTDESK_BIN:-./certdesk}
n=${IMPORT_BENCH_N:-10000}
dir=${IMPORT_BENCH_DIR:-${TMPDIR:-/tmp}/certdesk-bench-import}
[ -x "$bin" ] || { echo "build certdesk first (make)"; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/pki/private" "$dir/pki/issued" "$dir/pki/renewed/issued" \
	"$dir/pki/revoked/certs_by_serial"

cat > "$dir/gen.c" <<'CEOF'
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *pki;

static EVP_PKEY *ec_key(void)
{
	return EVP_EC_gen("P-256");
}

static void write_cert(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");
	if (!f || !PEM_write_X509(f, x))
		exit(1);
	fclose(f);
}

static void asn1_stamp(char *out, size_t n, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%y%m%d%H%M%SZ", &tm);
}

static X509 *make(EVP_PKEY *key, EVP_PKEY *ca_key, X509 *ca, long serial, const char *cn,
		  time_t from, time_t to)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_get_subject_name(x);
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : nm);
	ASN1_TIME_set(X509_getm_notBefore(x), from);
	ASN1_TIME_set(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, ca ? ca : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, ca ? "CA:FALSE" : "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (!X509_sign(x, ca_key, EVP_sha256()))
		exit(1);
	return x;
}

int main(int argc, char **argv)
{
	long n = atol(argv[2]), i, serial = 0x1000;
	time_t now = time(NULL), day = 86400;
	EVP_PKEY *ca_key = ec_key(), *key = ec_key();
	X509 *ca = make(ca_key, ca_key, NULL, 1, "Bench CA", now - day, now + 3650 * day);
	X509_CRL *crl = X509_CRL_new();
	char path[4096], exp[32], rev[32], cn[32];
	FILE *idx, *f;
	ASN1_INTEGER *num = ASN1_INTEGER_new();

	pki = argv[1];
	snprintf(path, sizeof path, "%s/ca.crt", pki);
	write_cert(path, ca);
	snprintf(path, sizeof path, "%s/private/ca.key", pki);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, ca_key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof path, "%s/index.txt", pki);
	idx = fopen(path, "w");
	X509_CRL_set_version(crl, X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	asn1_stamp(rev, sizeof rev, now - day);
	for (i = 0; i < n; i++) {
		int expired = i % 20 == 1, revoked = i % 20 == 2, renewed = i % 10 == 3 && i + 1 < n;
		time_t from = expired ? now - 400 * day : now - (i % 300) * day;
		time_t to = expired ? now - 35 * day : from + 365 * day;
		X509 *x;

		snprintf(cn, sizeof cn, "user%05ld", i);
		if (renewed) { /* the replaced certificate, then the current one */
			x = make(key, ca_key, ca, serial, cn, from - 300 * day, from + 65 * day);
			snprintf(path, sizeof path, "%s/renewed/issued/%s.crt", pki, cn);
			write_cert(path, x);
			asn1_stamp(exp, sizeof exp, from + 65 * day);
			fprintf(idx, "V\t%s\t\t%lX\tunknown\t/CN=%s\n", exp, serial++, cn);
			X509_free(x);
			i++;
		}
		x = make(key, ca_key, ca, serial, cn, from, to);
		asn1_stamp(exp, sizeof exp, to);
		if (revoked) {
			X509_REVOKED *r = X509_REVOKED_new();
			ASN1_TIME *t = ASN1_TIME_set(NULL, now - day);
			X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(x));
			X509_REVOKED_set_revocationDate(r, t);
			X509_CRL_add0_revoked(crl, r);
			ASN1_TIME_free(t);
			snprintf(path, sizeof path, "%s/revoked/certs_by_serial/%lX.crt", pki, serial);
			fprintf(idx, "R\t%s\t%s\t%lX\tunknown\t/CN=%s\n", exp, rev, serial, cn);
		} else {
			snprintf(path, sizeof path, "%s/issued/%s.crt", pki, cn);
			fprintf(idx, "%c\t%s\t\t%lX\tunknown\t/CN=%s\n", expired ? 'E' : 'V', exp, serial, cn);
		}
		write_cert(path, x);
		X509_free(x);
		serial++;
	}
	fclose(idx);
	{
		ASN1_TIME *t = ASN1_TIME_set(NULL, now), *u = ASN1_TIME_set(NULL, now + 30 * day);
		X509_CRL_set1_lastUpdate(crl, t);
		X509_CRL_set1_nextUpdate(crl, u);
		ASN1_INTEGER_set(num, 7);
		X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
		X509_CRL_sort(crl);
		X509_CRL_sign(crl, ca_key, EVP_sha256());
		snprintf(path, sizeof path, "%s/crl.pem", pki);
		f = fopen(path, "w");
		PEM_write_X509_CRL(f, crl);
		fclose(f);
	}
	printf("%ld certificates\n", serial - 0x1000);
	return 0;
}
CEOF
cc -O2 -o "$dir/gen" "$dir/gen.c" $(pkg-config --cflags --libs libcrypto)
t0=$(date +%s.%N)
"$dir/gen" "$dir/pki" "$n"
t1=$(date +%s.%N)
echo "generated in $(echo "$t1 - $t0" | bc) s"

run() {
	rm -rf "$dir/home"
	t0=$(date +%s.%N)
	"$bin" --home "$dir/home" import easyrsa "$dir/pki" "$@" > "$dir/out.txt"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}
dry=$(run)
grep -E 'users:|certificates:|revocations:|CRL:' "$dir/out.txt"
wet=$(run --apply)
grep -q "^imported: " "$dir/out.txt" || { cat "$dir/out.txt"; exit 1; }
users=$("$bin" --home "$dir/home" --format tsv list --all | tail -n +2 | wc -l)
echo "dry run: ${dry} s; --apply: ${wet} s; $users users in the home"
awk -v t="$wet" 'BEGIN { exit !(t < 10) }' && echo "target (< 10 s): met" ||
	{ echo "target (< 10 s): MISSED"; exit 1; }
