#include "fcgi/authz.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "identity/auth.h"
#include "fcgi/ctx.h"
#include "fcgi/input.h"
#include "base/log.h"
#include "identity/org.h"
#include "identity/policy.h"
#include "identity/sso_session.h"
#include "base/ratelimit.h"
#include "fcgi/router.h"
#include "base/num.h"

static int
unsafe_method(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
}

/*
 * A suspended org (docs/SECURITY.md, "Suspended organizations") is
 * read-only for its own people and keys. What stays open: reading (the
 * read actions, whatever their method: previews are POSTs), metering (it
 * keeps its own 402 from the deduction), and the few writes the org needs
 * to recover or to stay safe, named here by method and pattern.
 */
#define API "/api/v1/org-billing"
static const struct {
	const char *method, *pattern;
} suspended_open[] = {
	{ "POST", "/billing/portal" },			/* pay the open invoice */
	{ "POST", API "/billing/portal" },
	{ "POST", "/billing/payment-method" },		/* fix the card */
	{ "POST", API "/payment-method/{org_id}/portal" },
	{ "POST", "/api-keys/{prefix}/revoke" },		/* cut off a leaked key */
};
#undef API

/* True if action a (whatever the route) is refused to a suspended org. */
static int
suspended_refuses_action(enum ob_action a)
{
	switch (a) {
	case OB_ACT_ORG_SUMMARY:
	case OB_ACT_MEMBERS_VIEW:
	case OB_ACT_AUDIT_VIEW:
	case OB_ACT_BILLING_VIEW:
	case OB_ACT_CREDITS_METER:
	case OB_ACT_PAYMENT_ACTION:
		return 0;
	default:
		return ob_policy_rule(a)->need == OB_NEED_ORG;
	}
}

/* True if the route stays open to a suspended org's own callers. */
static int
suspended_route_open(const struct ob_route *ro)
{
	size_t i;

	if (!unsafe_method(ro->method))
		return 1;
	for (i = 0; i < sizeof(suspended_open) / sizeof(suspended_open[0]); i++)
		if (strcmp(ro->method, suspended_open[i].method) == 0 &&
		    strcmp(ro->pattern, suspended_open[i].pattern) == 0)
			return 1;
	if (ro->action == OB_ACT_PAYMENT_ACTION)
		return 0;	/* buying credits is not recovering */
	return !suspended_refuses_action(ro->action);
}

/* True if the principal is held to its org's suspension (staff are not). */
static int
held_by_suspension(const struct ob_principal *p)
{
	return !(p->kind == OB_PRINCIPAL_USER && p->is_staff) && ob_org_is_suspended(p);
}

int
ob_authz_can(const struct ob_req *r, enum ob_action a)
{
	if (ob_policy_decide(a, &r->who) != OB_ALLOW)
		return 0;
	return !(suspended_refuses_action(a) && held_by_suspension(&r->who));
}

int
ob_authz_org_read_only(const struct ob_req *r)
{
	return r->who.role != OB_ROLE_NONE && held_by_suspension(&r->who);
}

int
ob_authz_origin_ok(struct ob_req *r)
{
	const char *origin = ob_header(r, "HTTP_ORIGIN");
	const char *pub = r->w->cfg->public_url;
	size_t n;

	if (origin == NULL)
		return 1;
	/* The public URL's scheme://host[:port], without any path. */
	n = strlen(pub);
	{
		const char *slash = strstr(pub, "://");

		if (slash != NULL && (slash = strchr(slash + 3, '/')) != NULL)
			n = (size_t)(slash - pub);
	}
	return strlen(origin) == n && strncasecmp(origin, pub, n) == 0;
}

void
ob_authz_set_session_cookie(struct ob_req *r, const char *value, long max_age_s)
{
	char line[256];

	snprintf(line, sizeof(line),
	    "%s=%s; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=%ld",
	    OB_SESSION_COOKIE, value, max_age_s);
	ob_resp_header(r, "Set-Cookie", line);
}

static int
unavailable(struct ob_req *r)
{
	ob_log(OB_LOG_ERROR, "authz_db", "%s", r->w->db.lasterr);
	ob_worker_error(r, 503, "api_error", "unavailable",
	    "The service is temporarily unavailable; try again.", NULL);
	ob_resp_header(r, "Retry-After", "1");
	return -1;
}

/* Identify the caller: API key, session cookie, or anonymous. 0 or -1. */
static int
identify(struct ob_req *r)
{
	const char *auth = ob_header(r, "HTTP_AUTHORIZATION"), *cookie;
	int rc;

	r->who.kind = OB_PRINCIPAL_ANON;
	if (auth != NULL) {
		if (strncasecmp(auth, "Bearer ", 7) != 0 || !ob_req_is_api(r)) {
			ob_resp_header(r, "WWW-Authenticate", "Bearer");
			ob_resp_error(r, 401, "authentication_error", "invalid_authorization",
			    "Use Authorization: Bearer <api key> on /api/ paths.", NULL);
			return -1;
		}
		rc = ob_auth_apikey_verify(&r->w->db, auth + 7, &r->who);
		if (rc < 0)
			return unavailable(r);
		if (rc == 0) {
			ob_resp_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
			ob_resp_error(r, 401, "authentication_error", "invalid_api_key",
			    "The API key is not valid (unknown, revoked or mistyped).", NULL);
			return -1;
		}
		return 0;
	}
	cookie = ob_cookie_get(r, OB_SESSION_COOKIE);
	if (cookie != NULL && ob_auth_token_decode(cookie, r->session_raw) == 0) {
		rc = ob_auth_session_lookup(&r->w->db, cookie, r->w->cfg->session_idle_s, &r->who);
		if (rc < 0)
			return unavailable(r);
		if (rc == 1) {
			r->has_session = 1;
			ob_auth_csrf(r->session_raw, r->csrf);
		}
	}
	return 0;
}

void
ob_authz_soft_identify(struct ob_req *r)
{
	const char *cookie = ob_cookie_get(r, OB_SESSION_COOKIE);

	r->who.kind = OB_PRINCIPAL_ANON;
	if (cookie != NULL && ob_auth_token_decode(cookie, r->session_raw) == 0 &&
	    ob_auth_session_lookup(&r->w->db, cookie, r->w->cfg->session_idle_s, &r->who) == 1) {
		r->has_session = 1;
		ob_auth_csrf(r->session_raw, r->csrf);
	} else {
		memset(&r->who, 0, sizeof(r->who));
	}
}

static int
refuse(struct ob_req *r, enum ob_decision d)
{
	switch (d) {
	case OB_DENY_UNAUTHENTICATED:
		if (!ob_req_is_api(r) && !unsafe_method(r->method)) {
			const char *next = ob_arena_printf(r->a, "/login?next=%s", r->path);

			ob_resp_redirect(r, 303, next);
			return -1;
		}
		if (ob_req_is_api(r))
			ob_resp_header(r, "WWW-Authenticate", "Bearer");
		ob_worker_error(r, 401, "authentication_error", "unauthenticated",
		    "Sign in, or send an API key.", NULL);
		return -1;
	case OB_DENY_NOT_FOUND:
		ob_worker_error(r, 404, "invalid_request_error", "not_found",
		    "No such page or resource.", NULL);
		return -1;
	case OB_DENY_FORBIDDEN:
	default:
		ob_worker_error(r, 403, "permission_error", "forbidden",
		    "You do not have permission to do this.", NULL);
		return -1;
	case OB_ALLOW:
		return 0;
	}
}

int
ob_authz_login_limit(struct ob_req *r, const char *email, long *retry_after)
{
	struct ob_rl_result acct, ip;
	char *who, *p;

	who = ob_arena_printf(r->a, "acct:%s", email);
	for (p = who; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (ob_rl_hit(r->w->rl, &r->w->db, OB_RL_LOGIN, who, &acct) != 0)
		return -1;
	if (ob_rl_hit(r->w->rl, &r->w->db, OB_RL_LOGIN,
	    ob_arena_printf(r->a, "ip:%s", r->remote_addr ? r->remote_addr : ""), &ip) != 0)
		return -1;
	if (acct.allowed && ip.allowed)
		return 1;
	*retry_after = acct.retry_after > ip.retry_after ? acct.retry_after : ip.retry_after;
	return 0;
}

/* The class a request counts against. */
static enum ob_rl_class
rl_class(enum ob_action a, const char *method)
{
	switch (a) {
	case OB_ACT_CREDITS_METER: return OB_RL_METER;
	case OB_ACT_SUBSCRIPTION_CHANGE: return unsafe_method(method) ? OB_RL_SUBSCRIPTION : OB_RL_READ;
	case OB_ACT_STAFF_REFUND: return unsafe_method(method) ? OB_RL_REFUND : OB_RL_READ;
	case OB_ACT_STAFF_SEATS: return unsafe_method(method) ? OB_RL_STAFF_SEATS : OB_RL_READ;
	case OB_ACT_STAFF_SUBSCRIPTION:
		return unsafe_method(method) ? OB_RL_STAFF_SUBSCRIPTION : OB_RL_READ;
	case OB_ACT_STAFF_SUSPEND: return unsafe_method(method) ? OB_RL_STAFF_SUSPEND : OB_RL_READ;
	case OB_ACT_STAFF_SYNC: return unsafe_method(method) ? OB_RL_STAFF_SYNC : OB_RL_READ;
	case OB_ACT_STAFF_REPROCESS: return unsafe_method(method) ? OB_RL_STAFF_REPROCESS : OB_RL_READ;
	default: return unsafe_method(method) ? OB_RL_WRITE : OB_RL_READ;
	}
}

/* Count the request; 0 to go on, -1 after answering 429 (or 503). */
static int
rate_limit(struct ob_req *r, enum ob_action a)
{
	struct ob_rl_result res;
	struct ob_buf b = OB_BUF_INIT;
	enum ob_rl_class c = rl_class(a, r->method);
	const char *id;

	if (r->who.kind == OB_PRINCIPAL_KEY)
		id = ob_arena_printf(r->a, "key:%s", r->who.key_prefix);
	else if (r->who.kind == OB_PRINCIPAL_USER && c == OB_RL_SUBSCRIPTION)
		id = ob_arena_printf(r->a, "org:%lld", (long long)r->who.org_id);
	else if (r->who.kind == OB_PRINCIPAL_USER)
		id = ob_arena_printf(r->a, "user:%lld", (long long)r->who.user_id);
	else
		id = ob_arena_printf(r->a, "ip:%s", r->remote_addr ? r->remote_addr : "");
	if (r->who.kind == OB_PRINCIPAL_KEY && c == OB_RL_SUBSCRIPTION)
		id = ob_arena_printf(r->a, "org:%lld", (long long)r->who.org_id);
	if (ob_rl_hit(r->w->rl, &r->w->db, c, id, &res) != 0)
		return unavailable(r);
	ob_rl_headers(&res, &r->resp_headers);
	if (res.allowed)
		return 0;
	ob_rl_error_body(&res, &b);
	ob_resp_json(r, 429, b.data, b.len);
	ob_buf_free(&b);
	return -1;
}

/*
 * A tenant write on a suspended org: 0 to go on, -1 after answering 403
 * org_suspended (or 503). Runs after the policy and CSRF, so only a
 * caller who could otherwise act learns that the org is suspended.
 */
static int
suspended(struct ob_req *r, const struct ob_route *ro)
{
	if (suspended_route_open(ro))
		return 0;
	if (r->who.kind == OB_PRINCIPAL_KEY &&
	    ob_org_state(&r->w->db, r->who.org_id, &r->who) != 0)
		return unavailable(r);
	if (!held_by_suspension(&r->who))
		return 0;
	ob_worker_error(r, 403, "permission_error", "org_suspended",
	    "This organization is suspended and read-only: pay the open invoice through the "
	    "billing portal, or contact support, to restore it.", NULL);
	return -1;
}

/*
 * A member's session in an org that requires single sign-on must have been
 * made by that org's own connection (docs/SSO.md): else 403 sso_required.
 * 0 to go on, or -1 with the answer in r.
 */
static int
sso_gate(struct ob_req *r)
{
	int rc;

	if (r->who.role == OB_ROLE_NONE)
		return 0;
	if ((rc = ob_sso_session_allowed(&r->w->db, r->who.org_id, r->who.session_id)) < 0)
		return unavailable(r);
	if (rc == 1)
		return 0;
	ob_worker_error(r, 403, "permission_error", "sso_required",
	    "This organization requires single sign-on: sign in through its identity provider "
	    "at /sso to reach it.", NULL);
	return -1;
}

int
ob_authz(struct ob_req *r)
{
	const struct ob_route *ro = &r->w->router->routes[r->route];
	const struct ob_policy_rule *rule = ob_policy_rule(ro->action);
	const char *org_param, *token;
	enum ob_decision d;
	int64_t org_id = 0;

	if (rule->need == OB_NEED_NOTHING) {
		/* Public pages still know a signed-in visitor (the header shows
		 * them); a bad or missing credential is simply anonymous here. */
		if (ro->action != OB_ACT_WEBHOOK && ro->action != OB_ACT_PROBE)
			ob_authz_soft_identify(r);
		return 0;
	}
	if (identify(r) != 0)
		return -1;

	if (rule->need == OB_NEED_ORG) {
		org_param = ob_route_param(r, "org_id");
		if (org_param != NULL) {
			if ((org_id = ob_num_id(org_param)) == 0)
				return refuse(r, r->who.kind == OB_PRINCIPAL_ANON ?
				    OB_DENY_UNAUTHENTICATED : OB_DENY_NOT_FOUND);
		} else if (r->who.kind == OB_PRINCIPAL_USER) {
			org_id = r->who.session_org_id;
		} else if (r->who.kind == OB_PRINCIPAL_KEY) {
			org_id = r->who.key_org_id;
		}
		if (r->who.kind == OB_PRINCIPAL_USER) {
			if (ob_member_standing(&r->w->db, org_id, &r->who) != 0)
				return unavailable(r);
			if (sso_gate(r) != 0)
				return -1;
		} else {
			r->who.org_id = org_id;
		}
	}
	d = ob_policy_decide(ro->action, &r->who);
	if (d != OB_ALLOW)
		return refuse(r, d);
	if (rate_limit(r, ro->action) != 0)
		return -1;

	/* Session-authenticated writes: same origin and the form's token.
	 * Bearer calls carry no ambient credentials and are exempt. */
	if (r->who.kind == OB_PRINCIPAL_USER && unsafe_method(r->method)) {
		token = ob_form_get(r, "csrf");
		if (token == NULL)
			token = ob_header(r, "HTTP_X_CSRF_TOKEN");
		if (!ob_authz_origin_ok(r) || !ob_auth_csrf_ok(r->session_raw, token)) {
			ob_worker_error(r, 403, "permission_error", "csrf_failed",
			    "The form expired or came from another site; reload the page and try again.",
			    NULL);
			return -1;
		}
	}
	if (rule->need == OB_NEED_ORG && suspended(r, ro) != 0)
		return -1;
	if (r->who.kind == OB_PRINCIPAL_USER && r->who.role != OB_ROLE_NONE &&
	    ob_member_touch(&r->w->db, r->who.org_id, r->who.user_id) != 0)
		ob_log(OB_LOG_WARN, "member_touch", "%s", r->w->db.lasterr);
	return 0;
}
