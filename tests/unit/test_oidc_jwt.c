/*
 * Unit tests of the ID-token checks (core/identity/oidc_jwt.c) with keys
 * made here by libcrypto and tokens signed here: every expected answer is
 * written from RFC 7515/7519 and OpenID Connect Core §3.1.3.7.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "identity/oidc_jwt.h"
#include "unit/unit.h"

#define NOW 1800000000L
#define ISS "https://idp.example.test"
#define CID "orgbill-client"
#define NONCE "n-0S6_WzA2Mj"

static EVP_PKEY *rsa_key, *rsa_other, *ec_key;

static void
b64url(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	sodium_bin2base64(out, outlen, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void
keys_once(void)
{
	if (rsa_key != NULL)
		return;
	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa_other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert(rsa_key != NULL && rsa_other != NULL && ec_key != NULL);
}

static void
add_b64(cJSON *o, const char *name, const unsigned char *b, size_t len)
{
	char txt[1024];

	b64url(b, len, txt, sizeof(txt));
	cJSON_AddStringToObject(o, name, txt);
}

/* The public JWK of key, named kid. */
static cJSON *
jwk_of(EVP_PKEY *key, const char *kid)
{
	cJSON *k = cJSON_CreateObject();
	unsigned char buf[600];
	size_t len = 0;
	BIGNUM *n = NULL, *e = NULL;

	cJSON_AddStringToObject(k, "kid", kid);
	cJSON_AddStringToObject(k, "use", "sig");
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		cJSON_AddStringToObject(k, "kty", "RSA");
		ck_assert(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n));
		ck_assert(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e));
		len = (size_t)BN_bn2bin(n, buf);
		add_b64(k, "n", buf, len);
		len = (size_t)BN_bn2bin(e, buf);
		add_b64(k, "e", buf, len);
		BN_free(n);
		BN_free(e);
	} else {
		cJSON_AddStringToObject(k, "kty", "EC");
		cJSON_AddStringToObject(k, "crv", "P-256");
		ck_assert(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf,
		    sizeof(buf), &len));
		ck_assert_uint_eq(len, 65);
		add_b64(k, "x", buf + 1, 32);
		add_b64(k, "y", buf + 33, 32);
	}
	return k;
}

/* {"keys": [RSA "r1", EC "e1"]}. */
static cJSON *
jwks(void)
{
	cJSON *j = cJSON_CreateObject(), *keys = cJSON_AddArrayToObject(j, "keys");

	keys_once();
	cJSON_AddItemToArray(keys, jwk_of(rsa_key, "r1"));
	cJSON_AddItemToArray(keys, jwk_of(ec_key, "e1"));
	return j;
}

/* A compact JWS of header and claims (JSON text) signed with key. */
static char *
mint(EVP_PKEY *key, const char *header, const char *claims)
{
	static char tok[8192];
	char part[4096];
	unsigned char sig[600], raw[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	b64url((const unsigned char *)header, strlen(header), tok, sizeof(tok));
	strcat(tok, ".");
	b64url((const unsigned char *)claims, strlen(claims), part, sizeof(part));
	strcat(tok, part);
	ck_assert(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
	ck_assert(EVP_DigestSign(md, sig, &siglen, (unsigned char *)tok, strlen(tok)) == 1);
	EVP_MD_CTX_free(md);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);

		ck_assert(es != NULL);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
		ECDSA_SIG_free(es);
		memcpy(sig, raw, 64);
		siglen = 64;
	}
	strcat(tok, ".");
	b64url(sig, siglen, part, sizeof(part));
	strcat(tok, part);
	return tok;
}

/* Claims with the given aud (JSON), exp/iat/nbf offsets from NOW and nonce. */
static const char *
claims(const char *aud, long exp, long iat, const char *extra, const char *nonce)
{
	static char c[2048];

	snprintf(c, sizeof(c),
	    "{\"iss\":\"" ISS "\",\"sub\":\"248289761001\",\"aud\":%s,\"exp\":%ld,"
	    "\"iat\":%ld,\"nonce\":\"%s\",\"email\":\"jane@acme.test\","
	    "\"email_verified\":true%s}",
	    aud, NOW + exp, NOW + iat, nonce, extra ? extra : "");
	return c;
}

#define GOOD claims("\"" CID "\"", 300, -5, NULL, NONCE)
#define H_RS(kid) "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" kid "\"}"
#define H_ES(kid) "{\"alg\":\"ES256\",\"kid\":\"" kid "\"}"

static int
check(const char *tok, struct ob_oidc_claims *c, char *err, size_t errlen)
{
	struct ob_oidc_expect x = { ISS, CID, NONCE, (time_t)NOW, OB_OIDC_SKEW_S };
	cJSON *j = jwks();
	int rc;

	err[0] = '\0';
	rc = ob_oidc_jwt_verify(tok, j, &x, c, err, errlen);
	cJSON_Delete(j);
	return rc;
}

/* The answer for tok, the reason into a static buffer. */
static char why[200];

static int
verdict(const char *tok)
{
	struct ob_oidc_claims c;

	return check(tok, &c, why, sizeof(why));
}

START_TEST(good_rs256_and_es256)
{
	struct ob_oidc_claims c;
	char err[200];

	keys_once();
	ck_assert_int_eq(check(mint(rsa_key, H_RS("r1"), GOOD), &c, err, sizeof(err)), OB_OIDC_OK);
	ck_assert_str_eq(c.sub, "248289761001");
	ck_assert_str_eq(c.email, "jane@acme.test");
	ck_assert_int_eq(c.email_verified, 1);
	ck_assert_str_eq(c.alg, "RS256");
	ck_assert_str_eq(c.kid, "r1");
	ck_assert_int_eq(check(mint(ec_key, H_ES("e1"), GOOD), &c, err, sizeof(err)), OB_OIDC_OK);
	ck_assert_str_eq(c.alg, "ES256");
	/* email_verified as the string "true" is not a verified address. */
	ck_assert_int_eq(check(mint(rsa_key, H_RS("r1"),
	    "{\"iss\":\"" ISS "\",\"sub\":\"1\",\"aud\":\"" CID "\",\"exp\":1800000300,"
	    "\"iat\":1800000000,\"nonce\":\"" NONCE "\",\"email\":\"j@acme.test\","
	    "\"email_verified\":\"true\"}"), &c, err, sizeof(err)), OB_OIDC_OK);
	ck_assert_int_eq(c.email_verified, 0);
}
END_TEST

START_TEST(bad_signature)
{
	char *tok;
	size_t n;

	keys_once();
	/* Signed by another key under the known kid. */
	ck_assert_int_eq(verdict(mint(rsa_other, H_RS("r1"), GOOD)), OB_OIDC_INVALID);
	ck_assert_str_eq(why, "the signature does not verify");
	/* One signature character changed. */
	tok = mint(ec_key, H_ES("e1"), GOOD);
	n = strlen(tok);
	tok[n - 5] = tok[n - 5] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(verdict(tok), OB_OIDC_INVALID);
	/* Claims changed after signing: the RS256 token with the sub swapped. */
	tok = mint(rsa_key, H_RS("r1"), GOOD);
	{
		char other[8192], part[4096];
		const char *dot1 = strchr(tok, '.'), *dot2 = strchr(dot1 + 1, '.');
		const char *c2 = claims("\"" CID "\"", 300, -5, ",\"is_admin\":true", NONCE);

		memcpy(other, tok, (size_t)(dot1 - tok) + 1);
		other[dot1 - tok + 1] = '\0';
		b64url((const unsigned char *)c2, strlen(c2), part, sizeof(part));
		strcat(other, part);
		strcat(other, dot2);
		ck_assert_int_eq(verdict(other), OB_OIDC_INVALID);
		ck_assert_str_eq(why, "the signature does not verify");
	}
	/* Not three parts. */
	ck_assert_int_eq(verdict("abc.def"), OB_OIDC_INVALID);
	ck_assert_int_eq(verdict("a.b.c.d"), OB_OIDC_INVALID);
}
END_TEST

START_TEST(wrong_alg)
{
	char tok[4096], part[2048], pub[600];
	unsigned char mac[32];
	size_t publen = 0;
	const char *hdr;

	keys_once();
	/* alg none with an empty signature. */
	hdr = "{\"alg\":\"none\",\"kid\":\"r1\"}";
	b64url((const unsigned char *)hdr, strlen(hdr), tok, sizeof(tok));
	strcat(tok, ".");
	b64url((const unsigned char *)GOOD, strlen(GOOD), part, sizeof(part));
	strcat(tok, part);
	strcat(tok, ".");
	ck_assert_int_eq(verdict(tok), OB_OIDC_INVALID);
	ck_assert_ptr_nonnull(strstr(why, "not accepted"));
	/* HS256 keyed with the public key's bytes (the classic confusion). */
	hdr = "{\"alg\":\"HS256\",\"kid\":\"r1\"}";
	b64url((const unsigned char *)hdr, strlen(hdr), tok, sizeof(tok));
	strcat(tok, ".");
	strcat(tok, part);
	ck_assert(EVP_PKEY_get_octet_string_param(ec_key, OSSL_PKEY_PARAM_PUB_KEY,
	    (unsigned char *)pub, sizeof(pub), &publen));
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (unsigned char *)pub, publen);
	crypto_auth_hmacsha256_update(&st, (unsigned char *)tok, strlen(tok));
	crypto_auth_hmacsha256_final(&st, mac);
	strcat(tok, ".");
	b64url(mac, sizeof(mac), part, sizeof(part));
	strcat(tok, part);
	ck_assert_int_eq(verdict(tok), OB_OIDC_INVALID);
	ck_assert_ptr_nonnull(strstr(why, "not accepted"));
	/* RS256 in the header but the kid is the EC key's. */
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("e1"), GOOD)), OB_OIDC_INVALID);
	/* RS512 is not on the list. */
	ck_assert_int_eq(verdict(mint(rsa_key, "{\"alg\":\"RS512\",\"kid\":\"r1\"}", GOOD)),
	    OB_OIDC_INVALID);
}
END_TEST

START_TEST(wrong_issuer_and_audience)
{
	keys_once();
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    claims("\"another-client\"", 300, -5, NULL, NONCE))), OB_OIDC_INVALID);
	ck_assert_str_eq(why, "the token is not for this client (aud)");
	/* Several audiences: azp must name us. */
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    claims("[\"" CID "\",\"other\"]", 300, -5, NULL, NONCE))), OB_OIDC_INVALID);
	ck_assert_str_eq(why, "several audiences and no azp");
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    claims("[\"" CID "\",\"other\"]", 300, -5, ",\"azp\":\"other\"", NONCE))),
	    OB_OIDC_INVALID);
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    claims("[\"" CID "\",\"other\"]", 300, -5, ",\"azp\":\"" CID "\"", NONCE))),
	    OB_OIDC_OK);
	/* iss */
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    "{\"iss\":\"https://evil.test\",\"sub\":\"1\",\"aud\":\"" CID "\","
	    "\"exp\":1800000300,\"iat\":1800000000,\"nonce\":\"" NONCE "\"}")), OB_OIDC_INVALID);
	ck_assert_str_eq(why, "the token is from another issuer (iss)");
}
END_TEST

START_TEST(expiry_iat_nbf_with_skew)
{
	keys_once();
	/* Expired 61 s ago: refused; 59 s ago: inside the 60 s skew. */
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    claims("\"" CID "\"", -61, -600, NULL, NONCE))), OB_OIDC_INVALID);
	ck_assert_str_eq(why, "the token has expired (exp)");
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    claims("\"" CID "\"", -59, -600, NULL, NONCE))), OB_OIDC_OK);
	/* Issued 2 minutes in the future. */
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    claims("\"" CID "\"", 600, 120, NULL, NONCE))), OB_OIDC_INVALID);
	ck_assert_str_eq(why, "the token was issued in the future (iat)");
	/* nbf in the future beyond the skew; within it. */
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    claims("\"" CID "\"", 600, -5, ",\"nbf\":1800000100", NONCE))), OB_OIDC_INVALID);
	ck_assert_str_eq(why, "the token is not valid yet (nbf)");
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    claims("\"" CID "\"", 600, -5, ",\"nbf\":1800000030", NONCE))), OB_OIDC_OK);
	/* No exp at all. */
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    "{\"iss\":\"" ISS "\",\"sub\":\"1\",\"aud\":\"" CID "\",\"iat\":1800000000,"
	    "\"nonce\":\"" NONCE "\"}")), OB_OIDC_INVALID);
}
END_TEST

START_TEST(nonce_mismatch)
{
	keys_once();
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r1"),
	    claims("\"" CID "\"", 300, -5, NULL, "another-nonce"))), OB_OIDC_INVALID);
	ck_assert_str_eq(why, "the nonce does not match this sign-in");
	ck_assert_int_eq(verdict(mint(ec_key, H_ES("e1"),
	    "{\"iss\":\"" ISS "\",\"sub\":\"1\",\"aud\":\"" CID "\",\"exp\":1800000300,"
	    "\"iat\":1800000000}")), OB_OIDC_INVALID);
	ck_assert_str_eq(why, "the nonce does not match this sign-in");
}
END_TEST

START_TEST(unknown_kid)
{
	keys_once();
	/* A kid the JWKS lacks: the caller should refresh its JWKS once. */
	ck_assert_int_eq(verdict(mint(rsa_key, H_RS("r2"), GOOD)), OB_OIDC_UNKNOWN_KID);
	ck_assert_int_eq(verdict(mint(ec_key, H_ES("rotated"), GOOD)), OB_OIDC_UNKNOWN_KID);
	/* No kid: the only key of the right type is used. */
	ck_assert_int_eq(verdict(mint(ec_key, "{\"alg\":\"ES256\"}", GOOD)), OB_OIDC_OK);
}
END_TEST

START_TEST(base64url_decoding)
{
	size_t len = 0;
	unsigned char *b = ob_oidc_b64url_decode("aGk", 3, &len);

	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(len, 2);
	ck_assert_str_eq((char *)b, "hi");
	free(b);
	/* Padding and the standard alphabet are not base64url. */
	ck_assert_ptr_null(ob_oidc_b64url_decode("aGk=", 4, &len));
	ck_assert_ptr_null(ob_oidc_b64url_decode("a+/A", 4, &len));
}
END_TEST

Suite *oidc_jwt_suite(void)
{
	return t_suite("oidc_jwt", 60, T_TESTS(good_rs256_and_es256, bad_signature, wrong_alg,
	    wrong_issuer_and_audience, expiry_iat_nbf_with_skew, nonce_mismatch, unknown_kid,
	    base64url_decoding));
}
