/*
 * ob_oidc_http: talking to an OpenID provider with libcurl. Discovery
 * (/.well-known/openid-configuration) and the JWKS are cached in this
 * process per issuer for OB_OIDC_CACHE_S; a token signed with a kid the
 * cached JWKS lacks fetches the JWKS again at once, at most once per
 * OB_OIDC_REFRESH_S per issuer (so tokens naming random kids cannot make
 * us hammer the provider); a failed discovery or JWKS fetch is not retried
 * for OB_OIDC_FAIL_S (identity/oidc_limit.h). Requests take at most
 * OB_OIDC_TIMEOUT_MS; only https, and only public addresses
 * (identity/oidc_addr.h), unless ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK=1.
 * The code exchange authenticates with client_secret_basic, or
 * client_secret_post when the provider offers only that. No redirects are
 * followed; answers are capped at 1 MiB.
 */
#ifndef OB_OIDC_HTTP_H
#define OB_OIDC_HTTP_H

#include <stddef.h>

#include "identity/oidc_jwt.h"
#include "identity/oidc_limit.h"

#define OB_OIDC_CACHE_S		3600	/* discovery and JWKS kept this long */
#define OB_OIDC_TIMEOUT_MS	5000	/* a whole request, connecting included */
#define OB_OIDC_CONNECT_TIMEOUT_MS	2000

/** What discovery tells us about a provider. */
struct ob_oidc_provider {
	char issuer[501];
	char authorization_endpoint[1024];
	char token_endpoint[1024];
	char jwks_uri[1024];
	int post_auth;		/* client_secret_post (the provider lacks basic) */
};

/**
 * The provider's metadata for issuer (from the cache, or fetched): its
 * "issuer" must be issuer exactly and its endpoints URLs of the kind
 * ob_sso_issuer_ok accepts. 0, or -1 with a reason in err.
 */
int ob_oidc_discover(const char *issuer, struct ob_oidc_provider *p, char *err, size_t errlen);

/**
 * Exchange an authorization code (with its PKCE verifier) at the token
 * endpoint; the ID token's text (free it), or NULL with a reason in err.
 */
char *ob_oidc_exchange(const struct ob_oidc_provider *p, const char *client_id,
    const char *client_secret, const char *code, const char *verifier,
    const char *redirect_uri, char *err, size_t errlen);

#define OB_OIDC_UNREACHABLE (-3)	/* the JWKS could not be fetched */

/**
 * ob_oidc_jwt_verify with the issuer's JWKS (cached; fetched when absent or
 * old; fetched once more on an unknown kid, rate-limited as above).
 * OB_OIDC_OK; OB_OIDC_INVALID with err; OB_OIDC_UNREACHABLE with err when
 * the JWKS could not be fetched.
 */
int ob_oidc_verify(const struct ob_oidc_provider *p, const char *id_token,
    const struct ob_oidc_expect *x, struct ob_oidc_claims *out, char *err, size_t errlen);

/** Forget every cached discovery document and JWKS (tests). */
void ob_oidc_cache_clear(void);

/**
 * True if ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK is 1: http:// and loopback
 * addresses are then allowed for the provider (test stacks only).
 */
int ob_oidc_insecure_loopback(void);

#endif
