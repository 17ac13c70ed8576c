/*
 * ob_sso_login: signing in through an org's OpenID provider (docs/SSO.md).
 * The authorization code flow with PKCE (S256), a state and a nonce: the
 * state travels in the URL and in a cookie of the browser that started
 * the sign-in, only its hash is stored (table sso_logins) with the nonce
 * and the PKCE verifier; a state is good once, for OB_SSO_LOGIN_TTL_S.
 *
 * Who signs in: the user linked to the token's (issuer, sub). An existing
 * account is never linked by its e-mail: only its owner, signed in to it in
 * the same browser, links it (a sign-in started with link_user_id, the
 * confirmation of /sso/link); staff accounts are never linked nor signed in
 * this way. At the first sign-in of an address that has no account (only
 * when email_verified is true and the domain is allowed), a new user is made.
 * Invitations: a sign-in started from an invitation's page accepts that
 * invitation (its role, single use) when the provider's verified e-mail is
 * the invited address; any sign-in of a verified address of an allowed
 * domain that has an open invitation to the org accepts it the same way.
 * Just-in-time membership otherwise: a verified address of an allowed
 * domain joins the org as `member`; a removed member does not come back
 * this way.
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
 * Start signing in to org_id (link_user_id: the signed-in user who asked
 * to link their account to the provider, else 0): a state (into state, for the browser's
 * cookie) stored with a new nonce and PKCE verifier, and the provider's
 * authorization URL into url (login_hint may be NULL). 0, or -1 with f:
 * not_found when the org has no usable connection, upstream when the
 * provider's discovery fails.
 */
int ob_sso_begin(struct ob_db *db, int64_t org_id, int64_t link_user_id, const char *redirect_uri,
    const char *login_hint, const char *next, struct ob_buf *url,
    char state[OB_TOKEN_TEXT], struct ob_fail *f);

/**
 * Start signing in to org_id to accept its invitation invitation_id as the
 * person it invites (email, the login hint); link_user_id as for
 * ob_sso_begin. ob_sso_finish then accepts that invitation (the invited
 * role, the invitation closed) only when the provider's verified e-mail is
 * the invited one, and the browser goes on to the console. 0, or -1 with f.
 */
int ob_sso_begin_invite(struct ob_db *db, int64_t org_id, int64_t invitation_id,
    int64_t link_user_id, const char *redirect_uri, const char *email, struct ob_buf *url,
    char state[OB_TOKEN_TEXT], struct ob_fail *f);

/**
 * Finish a sign-in at the callback: state from the URL must be the one in
 * the browser's cookie and stored (it is used up either way); iss (may be
 * NULL) the provider's; the code is exchanged, the ID token verified, the
 * user found or made and their membership checked (all audited). keytext
 * is ORGBILL_SSO_KEY; session_uid the browser's signed-in user (0 if none),
 * which must be the linking user for a link sign-in. 0 with out filled,
 * or -1 with f: invalid (state), forbidden (token refused, or the person
 * may not sign in to the org), upstream (the provider failed), db.
 */
int ob_sso_finish(const struct ob_actx *ax, const char *keytext, int64_t session_uid,
    const char *state, const char *cookie_state, const char *iss, const char *code,
    const char *redirect_uri, struct ob_sso_result *out, struct ob_fail *f);

#endif
