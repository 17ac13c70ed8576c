/*
 * ob_oidc_jwt: verifying an OpenID Connect ID token (a JWS in compact form)
 * against the provider's JWKS. Only RS256 and ES256 are accepted (never
 * "none", never an HMAC keyed with a public key); the signature is checked
 * with OpenSSL's libcrypto, the key built from the JWK with
 * EVP_PKEY_fromdata. Then the claims: iss, aud (and azp when there are
 * several audiences, or when azp is present), exp, iat, nbf with
 * OB_OIDC_SKEW_S seconds of clock skew, nonce, sub. docs/SSO.md.
 *
 * No I/O here: the caller brings the JWKS (oidc_http.c fetches and caches
 * it) and the time, so the checks are unit-tested with locally made keys.
 */
#ifndef OB_OIDC_JWT_H
#define OB_OIDC_JWT_H

#include <stddef.h>
#include <time.h>

#include <cJSON.h>

#define OB_OIDC_SKEW_S		60	/* clock skew allowed on exp, iat, nbf */
#define OB_OIDC_MAX_TOKEN	16384	/* bytes of a compact JWS we accept */
#define OB_OIDC_SUB_MAX		255

/* Results of ob_oidc_jwt_verify. */
#define OB_OIDC_OK		0
#define OB_OIDC_INVALID		(-1)	/* refused: err says why */
#define OB_OIDC_UNKNOWN_KID	(-2)	/* no key of the JWKS has the token's kid */

/** What the token must say. */
struct ob_oidc_expect {
	const char *issuer;	/* iss, exactly */
	const char *client_id;	/* one of aud; azp when given */
	const char *nonce;	/* the nonce sent with the authorization request */
	time_t now;
	long skew_s;		/* OB_OIDC_SKEW_S unless a test says otherwise */
};

/** The claims a sign-in uses, from a verified token. */
struct ob_oidc_claims {
	char sub[OB_OIDC_SUB_MAX + 1];
	char email[321];	/* "" when the token has none */
	int email_verified;	/* 1 only for a JSON true */
	char kid[128];
	char alg[8];
};

/**
 * Verify token against jwks (a JWKS object: {"keys": [...]}) and x.
 * OB_OIDC_OK with out filled; OB_OIDC_UNKNOWN_KID when the header names a
 * kid no key has (the caller refreshes the JWKS once and retries);
 * OB_OIDC_INVALID otherwise, with a short reason in err (for logs and the
 * error page; it never echoes the token).
 */
int ob_oidc_jwt_verify(const char *token, const cJSON *jwks, const struct ob_oidc_expect *x,
    struct ob_oidc_claims *out, char *err, size_t errlen);

/**
 * The claim checks of ob_oidc_jwt_verify on a token's claims (a JSON
 * object), once its signature holds: iss, aud and azp, exp / iat / nbf,
 * nonce, sub. OB_OIDC_OK with out's sub, email and email_verified filled;
 * OB_OIDC_INVALID with the reason in err.
 */
int ob_oidc_claims_check(const cJSON *claims, const struct ob_oidc_expect *x,
    struct ob_oidc_claims *out, char *err, size_t errlen);

/**
 * Decode base64url without padding (RFC 7515 §2) into a new buffer
 * (NUL-terminated for convenience; free it); its length into len. NULL
 * when s is not base64url or is longer than OB_OIDC_MAX_TOKEN.
 */
unsigned char *ob_oidc_b64url_decode(const char *s, size_t slen, size_t *len);

#endif
