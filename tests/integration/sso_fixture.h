/*
 * Fixtures of the single sign-on suites: the real OpenID provider the test
 * stack runs (OB_TEST_OIDC_URL, tests/oidc/server.js) and its test controls,
 * orgs with a connection, and the whole sign-in driven with libcurl as a
 * browser would: the "Sign in with SSO" form, the hand-off page, the
 * provider's authorization endpoint and interaction, our callback.
 */
#ifndef OB_TEST_SSO_FIXTURE_H
#define OB_TEST_SSO_FIXTURE_H

#include <stddef.h>

#include "integration/harness.h"

/* One SSO test org: its id, owner session, allowed domain. */
struct sso_org {
	long id;
	char domain[96];
	struct t_session owner;
};

/* What one pass through the flow gave. */
struct sso_flow {
	long start_status;		/* POST /sso */
	long status;			/* the callback's */
	char state[64];			/* the __Host-ob_sso cookie */
	char callback[2048];		/* the callback path the provider sent us to */
	char session[128];		/* __Host-ob_session, on success */
	char location[512];
	char body[4096];
};

/** The value of cookie name from r's Set-Cookie headers into out ("" when none). */
void sso_cookie_of(const struct t_resp *r, const char *name, char *out, size_t len);

/** A JSON POST to the provider's test controls (/_test/...), which must answer 200. */
void sso_oidc_control(const char *path, const char *json);

/** The provider signs in this person next. */
void sso_oidc_account(const char *sub, const char *email, int verified);

/** Follow the provider's redirects from url until it sends us back (fl->callback). */
void sso_provider_hops(const char *url, struct sso_flow *fl);

/** The hand-off page's link, with &amp; undone. */
void sso_handoff_link(const char *page, char *out, size_t len);

/** The form, then POST /sso for who: the hand-off URL into url ("" when refused). */
void sso_flow_start(const char *who, struct sso_flow *fl, char *url, size_t len);

/** GET the callback path with the browser's state cookie (state may be NULL). */
void sso_flow_callback(const char *path, const char *state, struct sso_flow *fl);

/** sso_flow_callback from a browser that also holds the session cookie (may be NULL). */
void sso_flow_callback_as(const char *path, const char *state, const char *session,
    struct sso_flow *fl);

/** POST /sso/link for who as a session (cookie, csrf): the hand-off URL into url ("": refused). */
void sso_link_start(const char *cookie, const char *csrf, const char *who, struct sso_flow *fl,
    char *url, size_t len);

/** The whole sign-in for who; fl->status is the callback's answer. */
void sso_flow_run(const char *who, struct sso_flow *fl);

/** Configure o's connection through the API as its owner: the status; the answer into out. */
long sso_put(const struct sso_org *o, const char *issuer, const char *client,
    const char *domains, int required, struct t_resp *out);

/** A new org with an owner (signed in), a connection to issuer for client, its domain verified. */
void sso_org_new(struct sso_org *o, const char *issuer, const char *client, int required);

/** The provider's issuer (OB_TEST_OIDC_URL), and its "bad" issuer (…/bad). */
const char *sso_issuer(void);
const char *sso_bad_issuer(void);

#endif
