/*
 * Actions: what a route does, in the terms the authorization policy
 * speaks. Every route names exactly one (the router refuses a route
 * without one, and a unit test enumerates the table).
 */
#ifndef OB_POLICY_H
#define OB_POLICY_H

enum ob_action {
	OB_ACT_NONE = 0,	/* invalid: a route must name its action */
	OB_ACT_PUBLIC,		/* anyone, no identity needed (health, landing) */
	OB_ACT_WEBHOOK,		/* Stripe; authenticated by signature, not session */
	OB_ACT__MAX
};

/** The action's name for logs and tests ("public", …); never NULL. */
const char *ob_action_name(enum ob_action a);

#endif
