/*
 * ob_sso_login: signing in through an org's OpenID provider (docs/SSO.md).
 * The authorization code flow with PKCE (S256), a state and a nonce: the
 * state travels in the URL and in a cookie of the browser that started
 * the sign-in, only its hash is stored (table sso_logins) with the nonce
 * and the PKCE verifier; a state is good once, for OB_SSO_LOGIN_TTL_S.
 *
 * Who signs in: the user linked to the token's (issuer, sub); at the first
 * sign-in, by the token's e-mail (only when email_verified is true): a new
 * user is made for an address of an allowed domain, an existing user is
 * linked only when already a member (active or invited) of the org.
 * Just-in-time membership: a verified address of an allowed domain joins
 * the org as `member` (an invitation becomes active); a removed member
 * does not come back this way.
 */
#ifndef OB_SSO_LOGIN_H
#define OB_SSO_LOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/fail.h"
#include "identity/audit.h"
#include "identity/auth.h"

#define OB_SSO_LOGIN_TTL_S	600

/** What a finished sign-in gives the console. */
struct ob_sso_result {
	int64_t user_id;
	int64_t org_id;
	char next[520];
};

/**
 * Start signing in to org_id: a state (into state, for the browser's
 * cookie) stored with a new nonce and PKCE verifier, and the provider's
 * authorization URL into url (login_hint may be NULL). 0, or -1 with f:
 * not_found when the org has no usable connection, upstream when the
 * provider's discovery fails.
 */
int ob_sso_begin(struct ob_db *db, int64_t org_id, const char *redirect_uri,
    const char *login_hint, const char *next, struct ob_buf *url,
    char state[OB_TOKEN_TEXT], struct ob_fail *f);

/**
 * Finish a sign-in at the callback: state from the URL must be the one in
 * the browser's cookie and stored (it is used up either way); iss (may be
 * NULL) the provider's; the code is exchanged, the ID token verified, the
 * user found or made and their membership checked (all audited). keytext
 * is ORGBILL_SSO_KEY. 0 with out filled, or -1 with f: invalid (state),
 * forbidden (token refused, or the person may not sign in to the org),
 * upstream (the provider failed), db.
 */
int ob_sso_finish(const struct ob_actx *ax, const char *keytext, const char *state,
    const char *cookie_state, const char *iss, const char *code, const char *redirect_uri,
    struct ob_sso_result *out, struct ob_fail *f);

#endif
