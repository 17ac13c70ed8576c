/*
 * ob_oidc_jwk: a JWK (RFC 7517) as an OpenSSL public key, and the JWS
 * signature check with it. RSA keys (kty RSA: n, e) and P-256 keys
 * (kty EC, crv P-256: x, y) only; private members are ignored.
 */
#ifndef OB_OIDC_JWK_H
#define OB_OIDC_JWK_H

#include <stddef.h>

#include <cJSON.h>
#include <openssl/evp.h>

/** The JWS algorithms we accept. */
enum ob_jws_alg {
	OB_JWS_NONE = 0,	/* anything else: refused */
	OB_JWS_RS256,
	OB_JWS_ES256,
};

/** The algorithm named by s, or OB_JWS_NONE when it is not one we accept. */
enum ob_jws_alg ob_oidc_alg_parse(const char *s);

/**
 * The key of jwks ({"keys": [...]}) to check a token of alg with: the one
 * with this kid (kid may be NULL: then the only key of the right type),
 * whose kty fits alg and whose "use" and "alg", when present, are "sig" and
 * alg. NULL when none does.
 */
const cJSON *ob_oidc_jwk_find(const cJSON *jwks, const char *kid, enum ob_jws_alg alg,
    int *kid_known);

/** The public key of jwk for alg (free with EVP_PKEY_free), or NULL. */
EVP_PKEY *ob_oidc_jwk_pkey(const cJSON *jwk, enum ob_jws_alg alg);

/**
 * Check a JWS signature: sig (sig_len bytes as in the token: PKCS#1 v1.5
 * for RS256, r||s of 64 bytes for ES256) over msg with key. 1 when it
 * holds, 0 when not.
 */
int ob_oidc_sig_ok(EVP_PKEY *key, enum ob_jws_alg alg, const unsigned char *msg,
    size_t msg_len, const unsigned char *sig, size_t sig_len);

#endif
