/*
 * Unit tests of the SSO connection rules that need no database
 * (core/identity/sso.c): the key setting, issuers, e-mail domains.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "identity/sso.h"
#include "unit/unit.h"

START_TEST(sso_key_setting)
{
	unsigned char k[OB_SSO_KEY_BYTES];

	/* 64 hex digits, or base64 of 32 bytes. */
	ck_assert_int_eq(ob_sso_key_parse(
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", k), 0);
	ck_assert_int_eq(k[0], 0x00);
	ck_assert_int_eq(k[31], 0x1f);
	ck_assert_int_eq(ob_sso_key_parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", k), 0);
	ck_assert_int_eq(k[31], 0x1f);
	/* Missing, short, long, not hex. */
	ck_assert_int_eq(ob_sso_key_parse("", k), -1);
	ck_assert_int_eq(ob_sso_key_parse(NULL, k), -1);
	ck_assert_int_eq(ob_sso_key_parse("00010203", k), -1);
	ck_assert_int_eq(ob_sso_key_parse(
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00", k), -1);
	ck_assert_int_eq(ob_sso_key_parse(
	    "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", k), -1);
}
END_TEST

START_TEST(sso_configuration_refused_without_key)
{
	struct ob_sso_conn c;
	struct ob_fail f = { 0 };
	struct ob_actx ax;

	memset(&ax, 0, sizeof(ax));	/* no database: the key is checked first */
	memset(&c, 0, sizeof(c));
	strcpy(c.issuer, "https://idp.example.com");
	strcpy(c.client_id, "c");
	strcpy(c.client_secret, "s");
	ck_assert_int_eq(ob_sso_conn_set(&ax, "", 1, &c, &f), -1);
	ck_assert_int_eq(f.kind, OB_FAIL_CONFLICT);
	ck_assert_str_eq(f.code, "sso_key_missing");
	ck_assert_ptr_nonnull(strstr(f.message, "ORGBILL_SSO_KEY"));
	ck_assert_int_eq(ob_sso_conn_set(&ax, "not-a-key", 1, &c, &f), -1);
	ck_assert_str_eq(f.code, "sso_key_missing");
}
END_TEST

START_TEST(sso_issuers)
{
	ck_assert_int_eq(ob_sso_issuer_ok("https://idp.example.com"), 1);
	ck_assert_int_eq(ob_sso_issuer_ok("https://login.example.com/tenant/v2.0"), 1);
	/* Plain http on loopback only when ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK=1. */
	unsetenv("ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK");
	ck_assert_int_eq(ob_sso_issuer_ok("http://127.0.0.1:12190"), 0);
	ck_assert_int_eq(ob_sso_issuer_ok("http://localhost:8080/realms/x"), 0);
	ck_assert_int_eq(ob_sso_issuer_ok("http://[::1]:8080"), 0);
	setenv("ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK", "1", 1);
	ck_assert_int_eq(ob_sso_issuer_ok("http://127.0.0.1:12190"), 1);
	ck_assert_int_eq(ob_sso_issuer_ok("http://localhost:8080/realms/x"), 1);
	/* Plain http elsewhere, trailing slash, query, fragment, userinfo, spaces. */
	ck_assert_int_eq(ob_sso_issuer_ok("http://idp.example.com"), 0);
	ck_assert_int_eq(ob_sso_issuer_ok("http://127.0.0.1.evil.test"), 0);
	ck_assert_int_eq(ob_sso_issuer_ok("https://idp.example.com/"), 0);
	ck_assert_int_eq(ob_sso_issuer_ok("https://idp.example.com?x=1"), 0);
	ck_assert_int_eq(ob_sso_issuer_ok("https://idp.example.com#a"), 0);
	ck_assert_int_eq(ob_sso_issuer_ok("https://user@idp.example.com"), 0);
	ck_assert_int_eq(ob_sso_issuer_ok("https://idp example.com"), 0);
	ck_assert_int_eq(ob_sso_issuer_ok("ftp://idp.example.com"), 0);
	ck_assert_int_eq(ob_sso_issuer_ok("https:///x"), 0);
	unsetenv("ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK");
}
END_TEST

START_TEST(sso_domains)
{
	char out[256];

	ck_assert_int_eq(ob_sso_domains_norm(" Example.COM, acme.test ,", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "example.com,acme.test");
	ck_assert_int_eq(ob_sso_domains_norm("", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(ob_sso_domains_norm("localhost", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_sso_domains_norm("a b.com", out, sizeof(out)), 0);	/* spaces dropped */
	ck_assert_int_eq(ob_sso_domains_norm("ex_ample.com", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_sso_domains_norm(".example.com", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_sso_domains_norm("a@example.com", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_sso_domain_allowed("example.com,acme.test", "Jane@ACME.test"), 1);
	ck_assert_int_eq(ob_sso_domain_allowed("example.com,acme.test", "jane@sub.acme.test"), 0);
	ck_assert_int_eq(ob_sso_domain_allowed("example.com", "jane@example.com.evil.test"), 0);
	ck_assert_int_eq(ob_sso_domain_allowed("example.com", "x@evil.test@example.com"), 1);
	ck_assert_int_eq(ob_sso_domain_allowed("example.com", "no-at-sign"), 0);
	ck_assert_int_eq(ob_sso_domain_allowed("", "jane@example.com"), 0);
}
END_TEST

Suite *sso_rules_suite(void)
{
	return t_suite("sso_rules", 30, T_TESTS(sso_key_setting, sso_configuration_refused_without_key,
	    sso_issuers, sso_domains));
}
