/*
 * ob_oidc_limit: per-issuer clocks that bound how often this process talks
 * to an OpenID provider (docs/SSO.md "Reaching the provider"), kept apart
 * from the evictable discovery/JWKS cache so that cycling through many
 * issuers cannot reset them:
 * - a failed discovery or JWKS fetch makes the issuer "failing" for
 *   OB_OIDC_FAIL_S: sign-ins answer 502 at once instead of waiting again;
 * - an unknown-kid JWKS refresh happens at most once per OB_OIDC_REFRESH_S.
 * An issuer's entry is reused only once both its clocks have run out; when
 * every entry is busy, refreshes are refused and failures go unrecorded.
 * Times are monotonic seconds (never 0).
 */
#ifndef OB_OIDC_LIMIT_H
#define OB_OIDC_LIMIT_H

#define OB_OIDC_FAIL_S		60	/* a failing provider is not asked again for this long */
#define OB_OIDC_REFRESH_S	60	/* unknown-kid refreshes: one per issuer per this */
#define OB_OIDC_LIMIT_SLOTS	128

/** True if issuer failed less than OB_OIDC_FAIL_S before now. */
int ob_oidc_limit_failing(const char *issuer, long now);

/** Record that talking to issuer failed at now. */
void ob_oidc_limit_failed(const char *issuer, long now);

/**
 * Whether an unknown-kid refresh of issuer's JWKS may happen at now: 1
 * (recorded), or 0 when one happened less than OB_OIDC_REFRESH_S ago or no
 * entry is free.
 */
int ob_oidc_limit_refresh(const char *issuer, long now);

/** Forget every clock. */
void ob_oidc_limit_clear(void);

#endif
