/*
 * The one gate every routed request passes before its handler: who is
 * asking (API key or session), which org the request is about, what the
 * policy says, CSRF for session-authenticated writes, rate limits, and a
 * suspended org's read-only state (403 org_suspended).
 */
#ifndef OB_AUTHZ_H
#define OB_AUTHZ_H

#include "identity/policy.h"
#include "fcgi/req.h"

#define OB_SESSION_COOKIE	"__Host-ob_session"
#define OB_LOGIN_COOKIE		"__Host-ob_login"

/**
 * Run the gate for the matched route. Returns 0 to go on to the handler
 * (r->who filled), or -1 when r already holds the refusal (401/403/404/
 * 429/503).
 */
int ob_authz(struct ob_req *r);

/**
 * True if the policy table lets the request's principal (r->who, as the
 * gate filled it) perform action a in the same org. Pages take their
 * permission flags (can_manage, can_change …) from here, never from roles.
 */
int ob_authz_can(const struct ob_req *r, enum ob_action a);

/**
 * True if the request's org is suspended and its principal is held to it
 * (a member, not staff): the console shows the org read-only.
 */
int ob_authz_org_read_only(const struct ob_req *r);

/**
 * Identify a session's user without refusing anything: a valid session
 * cookie fills r->who (no org standing yet), anything else leaves the
 * request anonymous. For public pages and error pages the gate did not
 * reach.
 */
void ob_authz_soft_identify(struct ob_req *r);

/** True if the request's Origin (when present) is our public origin. */
int ob_authz_origin_ok(struct ob_req *r);

/**
 * Count one sign-in attempt for email and the client's address (class
 * login, exact across hosts). 1 if both allow, 0 if either refuses
 * (*retry_after set), -1 if the database failed (sign-in then fails closed).
 */
int ob_authz_login_limit(struct ob_req *r, const char *email, long *retry_after);

/** Set-Cookie for the session (max_age_s 0: delete it). */
void ob_authz_set_session_cookie(struct ob_req *r, const char *value, long max_age_s);

#endif
