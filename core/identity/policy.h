/*
 * The authorization policy: one table (policy.c) that maps every action a
 * route can perform to who may perform it. Routes name their action
 * (router.h); nothing else in the code decides who may do what.
 */
#ifndef OB_POLICY_H
#define OB_POLICY_H

#include "identity/principal.h"

enum ob_action {
	OB_ACT_NONE = 0,	/* invalid: a route must name its action */
	OB_ACT_PROBE,		/* health checks: anyone, no identity looked up */
	OB_ACT_PUBLIC,		/* anyone (landing, login page) */
	OB_ACT_LOGIN,		/* submitting the login form */
	OB_ACT_WEBHOOK,		/* Stripe; authenticated by signature */
	OB_ACT_SESSION,		/* any signed-in user: logout, org switch, own view */
	OB_ACT_ORG_SUMMARY,	/* read-only plan and credit summary (members too,
				 * unless the org hides billing from members) */
	OB_ACT_MEMBERS_VIEW,	/* see the member list (members read-only) */
	OB_ACT_MEMBERS_MANAGE,	/* invite, change role, remove */
	OB_ACT_APIKEYS_MANAGE,	/* list, create, revoke API keys */
	OB_ACT_AUDIT_VIEW,	/* the activity log / billing history */
	OB_ACT_BILLING_VIEW,	/* the full billing pages */
	OB_ACT_BILLING_MANAGE,	/* change billing settings and details */
	OB_ACT_CREDITS_METER,	/* check and deduct credits (services) */
	OB_ACT_CREDITS_MANAGE,	/* allocate credits, extra-task setting */
	OB_ACT_CREDITS_GRANT,	/* the tenant grant route: no tenant may (staff grant) */
	OB_ACT_CREDITS_REVERSE,	/* reverse a deduction: the meter key that made it */
	OB_ACT_SUBSCRIPTION_CHANGE, /* buy, change, cancel a subscription */
	OB_ACT_PAYMENT_ACTION,	/* payment method, credit purchase */
	OB_ACT_STAFF,		/* the staff console across all orgs: reading */
	OB_ACT_STAFF_REFUND,	/* refunds (finance staff) */
	OB_ACT_STAFF_CREDITS,	/* free grants and reversals (finance staff, with a reason) */
	OB_ACT_SSO_MANAGE,	/* the org's single sign-on connection (owners) */
	OB_ACT_STAFF_REPROCESS,	/* reprocess a webhook event (any staff) */
	OB_ACT_STAFF_SYNC,	/* re-sync an org from Stripe (any staff) */
	OB_ACT_STAFF_SUSPEND,	/* suspend or activate an org (any staff) */
	OB_ACT_STAFF_SEATS,	/* change an org's seat quantity (finance staff) */
	OB_ACT_STAFF_SUBSCRIPTION, /* cancel or reactivate a subscription (finance staff) */
	OB_ACT_STAFF_BILLING,	/* dunning override, the customer's portal (finance staff) */
	OB_ACT_STAFF_FLAGS,	/* change feature flags (admin staff) */
	OB_ACT_BUDGETS_VIEW,	/* budgets and their spend (members: their own only) */
	OB_ACT_BUDGETS_MANAGE,	/* create and change budgets and teams */
	OB_ACT_APPROVALS,	/* budget exception requests: ask, decide (core checks
				 * whose step it is), cancel; people only, no keys */
	OB_ACT__MAX
};

/* Who the rule admits. */
enum ob_auth_need {
	OB_NEED_NOTHING,	/* anonymous is fine */
	OB_NEED_USER,		/* a signed-in user; no org involved */
	OB_NEED_ORG,		/* a member (role in roles) or a key (scope) of the org */
	OB_NEED_STAFF,		/* a signed-in staff user (staff role in staff) */
};

struct ob_policy_rule {
	const char *name;
	enum ob_auth_need need;
	unsigned roles;		/* OB_ROLE_BIT()s allowed, for OB_NEED_ORG */
	unsigned scopes;	/* any one of these key scopes suffices; 0: no keys */
	int member_summary;	/* members pass only if the org shows them billing */
	int closed;		/* the roles and scopes named are all refused (403):
				 * an org route no tenant may use */
	unsigned staff;		/* OB_STAFF_BIT()s allowed, for OB_NEED_STAFF; another
				 * staff role gets 403 */
};

enum ob_decision {
	OB_ALLOW,
	OB_DENY_UNAUTHENTICATED,	/* 401: sign in / send a key */
	OB_DENY_FORBIDDEN,		/* 403: known, but not allowed */
	OB_DENY_NOT_FOUND,		/* 404: another tenant's — ids do not leak */
};

/** The rule for action a (never NULL for a valid action). */
const struct ob_policy_rule *ob_policy_rule(enum ob_action a);

/** The action's name for logs and tests ("public", …); "unknown" if invalid. */
const char *ob_action_name(enum ob_action a);

/**
 * Decide whether p may perform a. For org actions p->org_id, p->role,
 * p->members_see_billing must describe the org the request is about
 * (role OB_ROLE_NONE when the user is not an active member); for keys,
 * p->key_org_id is compared with p->org_id.
 */
enum ob_decision ob_policy_decide(enum ob_action a, const struct ob_principal *p);

#endif
