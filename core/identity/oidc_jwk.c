#include "identity/oidc_jwk.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>

#include "identity/oidc_jwt.h"

#define RSA_MIN_BITS 2048
#define RSA_MAX_BYTES 1024	/* 8192-bit modulus */

enum ob_jws_alg
ob_oidc_alg_parse(const char *s)
{
	if (s == NULL)
		return OB_JWS_NONE;
	if (strcmp(s, "RS256") == 0)
		return OB_JWS_RS256;
	if (strcmp(s, "ES256") == 0)
		return OB_JWS_ES256;
	return OB_JWS_NONE;
}

static const char *
jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Whether jwk may be used to check a token of alg. */
static int
jwk_fits(const cJSON *jwk, enum ob_jws_alg alg)
{
	const char *kty = jstr(jwk, "kty"), *use = jstr(jwk, "use"), *a = jstr(jwk, "alg");
	const char *crv = jstr(jwk, "crv");

	if (kty == NULL || (use != NULL && strcmp(use, "sig") != 0))
		return 0;
	if (a != NULL && ob_oidc_alg_parse(a) != alg)
		return 0;
	if (alg == OB_JWS_RS256)
		return strcmp(kty, "RSA") == 0;
	if (alg == OB_JWS_ES256)
		return strcmp(kty, "EC") == 0 && crv != NULL && strcmp(crv, "P-256") == 0;
	return 0;
}

const cJSON *
ob_oidc_jwk_find(const cJSON *jwks, const char *kid, enum ob_jws_alg alg, int *kid_known)
{
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(jwks, "keys"), *k, *found = NULL;
	const char *kk;
	int fitting = 0;

	*kid_known = 0;
	if (!cJSON_IsArray(keys))
		return NULL;
	cJSON_ArrayForEach(k, keys) {
		kk = jstr(k, "kid");
		if (kid != NULL) {
			if (kk == NULL || strcmp(kk, kid) != 0)
				continue;
			*kid_known = 1;
			if (jwk_fits(k, alg))
				return k;
			continue;
		}
		/* No kid in the token: only an unambiguous key will do. */
		if (jwk_fits(k, alg)) {
			found = k;
			fitting++;
		}
	}
	if (kid == NULL) {
		*kid_known = fitting > 0;
		return fitting == 1 ? found : NULL;
	}
	return NULL;
}

/* A JWK member's base64url bytes (free them), NULL when absent or bad. */
static unsigned char *
jwk_bytes(const cJSON *jwk, const char *name, size_t *len)
{
	const char *s = jstr(jwk, name);

	if (s == NULL)
		return NULL;
	return ob_oidc_b64url_decode(s, strlen(s), len);
}

/* Build a public key of type from params. */
static EVP_PKEY *
pkey_from(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *key = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

static EVP_PKEY *
rsa_pkey(const cJSON *jwk)
{
	size_t nlen = 0, elen = 0;
	unsigned char *n = jwk_bytes(jwk, "n", &nlen), *e = jwk_bytes(jwk, "e", &elen);
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;

	if (n == NULL || e == NULL || nlen > RSA_MAX_BYTES || elen == 0 || elen > 8)
		goto out;
	bn = BN_bin2bn(n, (int)nlen, NULL);
	be = BN_bin2bn(e, (int)elen, NULL);
	if (bn == NULL || be == NULL || BN_num_bits(bn) < RSA_MIN_BITS)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		goto out;
	key = pkey_from("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return key;
}

static EVP_PKEY *
ec_pkey(const cJSON *jwk)
{
	size_t xlen = 0, ylen = 0;
	unsigned char *x = jwk_bytes(jwk, "x", &xlen), *y = jwk_bytes(jwk, "y", &ylen);
	unsigned char pub[65];
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;

	if (x == NULL || y == NULL || xlen != 32 || ylen != 32)
		goto out;
	pub[0] = 0x04;	/* uncompressed point */
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)))
		goto out;
	/* EVP_PKEY_fromdata checks that the point is on the curve. */
	key = pkey_from("EC", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return key;
}

EVP_PKEY *
ob_oidc_jwk_pkey(const cJSON *jwk, enum ob_jws_alg alg)
{
	if (!jwk_fits(jwk, alg))
		return NULL;
	return alg == OB_JWS_RS256 ? rsa_pkey(jwk) : ec_pkey(jwk);
}

/* r||s (64 bytes) as the DER ECDSA-Sig-Value libcrypto checks; its length or 0. */
static size_t
es256_der(const unsigned char *sig, unsigned char **der)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
	int len = 0;

	*der = NULL;
	if (s == NULL || r == NULL || ss == NULL || !ECDSA_SIG_set0(s, r, ss)) {
		BN_free(r);
		BN_free(ss);
		ECDSA_SIG_free(s);
		return 0;
	}
	len = i2d_ECDSA_SIG(s, der);
	ECDSA_SIG_free(s);
	return len > 0 ? (size_t)len : 0;
}

int
ob_oidc_sig_ok(EVP_PKEY *key, enum ob_jws_alg alg, const unsigned char *msg,
    size_t msg_len, const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	const unsigned char *s = sig;
	size_t slen = sig_len;
	int ok = 0;

	if (alg == OB_JWS_ES256) {
		if (sig_len != 64 || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
		    (slen = es256_der(sig, &der)) == 0)
			goto out;
		s = der;
	} else if (alg == OB_JWS_RS256) {
		if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA ||
		    sig_len != (size_t)EVP_PKEY_get_size(key))
			goto out;
	} else {
		goto out;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1)
		goto out;
	ok = EVP_DigestVerify(md, s, slen, msg, msg_len) == 1;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return ok;
}
