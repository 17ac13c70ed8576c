/*
 * libFuzzer target: OpenID Connect ID tokens and the provider's JWKS
 * (core/identity/oidc_jwt.c, oidc_jwk.c): the compact JWS split and its
 * base64url parts, the header, the key lookup and the JWK made into an
 * OpenSSL key, the signature check, and the claim checks (through
 * ob_oidc_claims_check, since a fuzzed token never carries a good
 * signature).
 *
 * Input: the token, a NUL, the JWKS (JSON), a NUL, a claims object (JSON).
 * A verified token must name its subject; a refusal must say why; every
 * JWK of the set is also made into a key for both algorithms and checked
 * against the token's bytes.
 */
#include "fuzz.h"

#include <cJSON.h>
#include <openssl/evp.h>

#include "identity/oidc_jwk.h"
#include "identity/oidc_jwt.h"

static const struct ob_oidc_expect expect = {
	.issuer = "https://idp.example",
	.client_id = "orgbill",
	.nonce = "n-0S6_WzA2Mj",
	.now = 1795000000,
	.skew_s = OB_OIDC_SKEW_S,
};

static void
check_keys(const cJSON *jwks, const char *token, size_t tlen)
{
	static const enum ob_jws_alg algs[] = { OB_JWS_RS256, OB_JWS_ES256 };
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(jwks, "keys"), *k;
	EVP_PKEY *key;
	size_t i;
	int known;

	for (i = 0; i < 2; i++)
		(void)ob_oidc_jwk_find(jwks, NULL, algs[i], &known);
	cJSON_ArrayForEach(k, keys) {
		for (i = 0; i < 2; i++) {
			if ((key = ob_oidc_jwk_pkey(k, algs[i])) == NULL)
				continue;
			(void)ob_oidc_sig_ok(key, algs[i], (const unsigned char *)token, tlen,
			    (const unsigned char *)token, tlen < 64 ? tlen : 64);
			EVP_PKEY_free(key);
		}
	}
}

static void
check_result(int rc, const struct ob_oidc_claims *c, const char *err)
{
	if (rc == OB_OIDC_OK && (c->sub[0] == '\0' || memchr(c->email, '\0', sizeof(c->email)) == NULL))
		abort();
	if (rc != OB_OIDC_OK && err[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *t, *k, *c;
	size_t left = size, tlen, klen, clen;
	struct ob_oidc_claims out;
	char err[256], *token, *jwks_text, *claims_text;
	cJSON *jwks, *claims;
	int rc;

	t = fuzz_part(&p, &left, '\0', &tlen);
	k = fuzz_part(&p, &left, '\0', &klen);
	c = fuzz_part(&p, &left, '\0', &clen);
	token = fuzz_strndup(t, tlen);
	jwks_text = fuzz_strndup(k, klen);
	claims_text = fuzz_strndup(c, clen);
	jwks = cJSON_ParseWithLength(jwks_text, klen);
	err[0] = '\0';
	rc = ob_oidc_jwt_verify(token, jwks, &expect, &out, err, sizeof(err));
	check_result(rc, &out, err);
	if (jwks != NULL)
		check_keys(jwks, token, tlen);
	if ((claims = cJSON_ParseWithLength(claims_text, clen)) != NULL) {
		memset(&out, 0, sizeof(out));
		err[0] = '\0';
		rc = ob_oidc_claims_check(claims, &expect, &out, err, sizeof(err));
		check_result(rc, &out, err);
		cJSON_Delete(claims);
	}
	cJSON_Delete(jwks);
	free(claims_text);
	free(jwks_text);
	free(token);
	return 0;
}
