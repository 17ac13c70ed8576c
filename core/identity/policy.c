#include "identity/policy.h"

#include <stdio.h>
#include <string.h>

#define R(x) OB_ROLE_BIT(OB_ROLE_##x)
#define ALL_ROLES (R(OWNER) | R(ADMIN) | R(BILLING) | R(MEMBER))
#define BILLERS (R(OWNER) | R(ADMIN) | R(BILLING))
#define MANAGERS (R(OWNER) | R(ADMIN))
#define ALL_SCOPES (OB_SCOPE_READ | OB_SCOPE_WRITE | OB_SCOPE_METER | OB_SCOPE_ADMIN)
#define S(x) OB_STAFF_BIT(OB_STAFF_##x)
#define ALL_STAFF (S(SUPPORT) | S(FINANCE) | S(ADMIN))
#define FINANCE_STAFF (S(FINANCE) | S(ADMIN))
#define STAFF_RULE(n, who) { .name = n, .need = OB_NEED_STAFF, .staff = (who) }

/*
 * The policy. Keys act only inside their own org and never in the console;
 * staff reach the staff console, and inside an org only as what their own
 * membership makes them.
 */
static const struct ob_policy_rule rules[OB_ACT__MAX] = {
	[OB_ACT_NONE] = { "none", OB_NEED_STAFF, 0, 0, 0, 0, 0 },
	[OB_ACT_PROBE] = { "probe", OB_NEED_NOTHING, 0, 0, 0 },
	[OB_ACT_PUBLIC] = { "public", OB_NEED_NOTHING, 0, 0, 0 },
	[OB_ACT_LOGIN] = { "login", OB_NEED_NOTHING, 0, 0, 0 },
	[OB_ACT_WEBHOOK] = { "webhook", OB_NEED_NOTHING, 0, 0, 0 },
	[OB_ACT_SESSION] = { "session", OB_NEED_USER, 0, 0, 0 },
	[OB_ACT_ORG_SUMMARY] = { "org_summary", OB_NEED_ORG, ALL_ROLES,
	    OB_SCOPE_READ | OB_SCOPE_ADMIN, 1 },
	[OB_ACT_MEMBERS_VIEW] = { "members_view", OB_NEED_ORG, ALL_ROLES,
	    OB_SCOPE_READ | OB_SCOPE_ADMIN, 0 },
	[OB_ACT_MEMBERS_MANAGE] = { "members_manage", OB_NEED_ORG, MANAGERS,
	    OB_SCOPE_ADMIN, 0 },
	[OB_ACT_APIKEYS_MANAGE] = { "apikeys_manage", OB_NEED_ORG, MANAGERS, 0, 0 },
	[OB_ACT_AUDIT_VIEW] = { "audit_view", OB_NEED_ORG, BILLERS,
	    OB_SCOPE_READ | OB_SCOPE_ADMIN, 0 },
	[OB_ACT_BILLING_VIEW] = { "billing_view", OB_NEED_ORG, BILLERS,
	    OB_SCOPE_READ | OB_SCOPE_ADMIN, 0 },
	[OB_ACT_BILLING_MANAGE] = { "billing_manage", OB_NEED_ORG, BILLERS,
	    OB_SCOPE_WRITE | OB_SCOPE_ADMIN, 0 },
	[OB_ACT_CREDITS_METER] = { "credits_meter", OB_NEED_ORG, 0, OB_SCOPE_METER, 0 },
	[OB_ACT_CREDITS_MANAGE] = { "credits_manage", OB_NEED_ORG, BILLERS,
	    OB_SCOPE_ADMIN, 0 },
	/* Tenants cannot create value: closed to every role and key scope (403). */
	[OB_ACT_CREDITS_GRANT] = { "credits_grant", OB_NEED_ORG, ALL_ROLES, ALL_SCOPES, 0, 1 },
	/* Only a meter key, and only its own recent deduction (core checks both). */
	[OB_ACT_CREDITS_REVERSE] = { "credits_reverse", OB_NEED_ORG, 0, OB_SCOPE_METER, 0 },
	[OB_ACT_SUBSCRIPTION_CHANGE] = { "subscription_change", OB_NEED_ORG, BILLERS,
	    OB_SCOPE_ADMIN, 0 },
	[OB_ACT_PAYMENT_ACTION] = { "payment_action", OB_NEED_ORG, BILLERS, 0, 0 },
	/* Who signs in to the org and how: owners only, never a key. */
	[OB_ACT_SSO_MANAGE] = { "sso_manage", OB_NEED_ORG, R(OWNER), 0, 0 },
	/*
	 * The staff console (docs/ADMIN.md): support reads everything and keeps
	 * the service running; finance also moves money and entitlements.
	 */
	[OB_ACT_STAFF] = STAFF_RULE("staff", ALL_STAFF),
	[OB_ACT_STAFF_REPROCESS] = STAFF_RULE("staff_reprocess", ALL_STAFF),
	[OB_ACT_STAFF_SYNC] = STAFF_RULE("staff_sync", ALL_STAFF),
	[OB_ACT_STAFF_SUSPEND] = STAFF_RULE("staff_suspend", ALL_STAFF),
	[OB_ACT_STAFF_REFUND] = STAFF_RULE("staff_refund", FINANCE_STAFF),
	[OB_ACT_STAFF_CREDITS] = STAFF_RULE("staff_credits", FINANCE_STAFF),
	[OB_ACT_STAFF_SEATS] = STAFF_RULE("staff_seats", FINANCE_STAFF),
	[OB_ACT_STAFF_SUBSCRIPTION] = STAFF_RULE("staff_subscription", FINANCE_STAFF),
	[OB_ACT_STAFF_BILLING] = STAFF_RULE("staff_billing", FINANCE_STAFF),
	[OB_ACT_STAFF_FLAGS] = STAFF_RULE("staff_flags", S(ADMIN)),
	/* Every member reads; a member's answer holds only the budgets above them. */
	[OB_ACT_BUDGETS_VIEW] = { "budgets_view", OB_NEED_ORG, ALL_ROLES,
	    OB_SCOPE_READ | OB_SCOPE_ADMIN, 0 },
	[OB_ACT_BUDGETS_MANAGE] = { "budgets_manage", OB_NEED_ORG, BILLERS, OB_SCOPE_ADMIN, 0 },
	/* A person asks and a person decides: no key scope. */
	[OB_ACT_APPROVALS] = { "approvals", OB_NEED_ORG, ALL_ROLES, 0, 0 },
};

const struct ob_policy_rule *
ob_policy_rule(enum ob_action a)
{
	if ((int)a <= OB_ACT_NONE || a >= OB_ACT__MAX)
		return &rules[OB_ACT_NONE];
	return &rules[a];
}

const char *
ob_action_name(enum ob_action a)
{
	if ((int)a <= OB_ACT_NONE || a >= OB_ACT__MAX)
		return "unknown";
	return rules[a].name;
}

enum ob_decision
ob_policy_decide(enum ob_action a, const struct ob_principal *p)
{
	const struct ob_policy_rule *r;

	if ((int)a <= OB_ACT_NONE || a >= OB_ACT__MAX)
		return OB_DENY_FORBIDDEN;	/* fail closed */
	r = &rules[a];
	switch (r->need) {
	case OB_NEED_NOTHING:
		return OB_ALLOW;
	case OB_NEED_USER:
		return p->kind == OB_PRINCIPAL_USER ? OB_ALLOW : OB_DENY_UNAUTHENTICATED;
	case OB_NEED_STAFF:
		if (p->kind == OB_PRINCIPAL_ANON)
			return OB_DENY_UNAUTHENTICATED;
		if (p->kind != OB_PRINCIPAL_USER || !p->is_staff || p->staff_role == OB_STAFF_NONE)
			return OB_DENY_NOT_FOUND;	/* the staff console does not exist for others */
		return (r->staff & OB_STAFF_BIT(p->staff_role)) ? OB_ALLOW : OB_DENY_FORBIDDEN;
	case OB_NEED_ORG:
		break;
	}
	switch (p->kind) {
	case OB_PRINCIPAL_ANON:
		return OB_DENY_UNAUTHENTICATED;
	case OB_PRINCIPAL_KEY:
		if (p->org_id == 0 || p->key_org_id != p->org_id)
			return OB_DENY_NOT_FOUND;
		return (p->scopes & r->scopes) && !r->closed ? OB_ALLOW : OB_DENY_FORBIDDEN;
	case OB_PRINCIPAL_USER:
		if (p->org_id == 0 || p->role == OB_ROLE_NONE)
			return OB_DENY_NOT_FOUND;
		if (!(r->roles & OB_ROLE_BIT(p->role)) || r->closed)
			return OB_DENY_FORBIDDEN;
		if (r->member_summary && p->role == OB_ROLE_MEMBER && !p->members_see_billing)
			return OB_DENY_FORBIDDEN;
		return OB_ALLOW;
	}
	return OB_DENY_FORBIDDEN;
}

static const char *const role_names[OB_ROLE__MAX] = {
	"none", "member", "billing", "admin", "owner",
};

enum ob_role
ob_role_parse(const char *s)
{
	int i;

	for (i = OB_ROLE_MEMBER; i < OB_ROLE__MAX; i++)
		if (s != NULL && strcmp(s, role_names[i]) == 0)
			return (enum ob_role)i;
	return OB_ROLE_NONE;
}

const char *
ob_role_name(enum ob_role r)
{
	if ((int)r < 0 || r >= OB_ROLE__MAX)
		return "none";
	return role_names[r];
}

static const char *const staff_role_names[OB_STAFF__MAX] = {
	"none", "support", "finance", "admin",
};

enum ob_staff_role
ob_staff_role_parse(const char *s)
{
	int i;

	for (i = OB_STAFF_SUPPORT; i < OB_STAFF__MAX; i++)
		if (s != NULL && strcmp(s, staff_role_names[i]) == 0)
			return (enum ob_staff_role)i;
	return OB_STAFF_NONE;
}

const char *
ob_staff_role_name(enum ob_staff_role r)
{
	if ((int)r < 0 || r >= OB_STAFF__MAX)
		return "none";
	return staff_role_names[r];
}

static const struct {
	const char *name;
	unsigned bit;
} scope_names[] = {
	{ "read", OB_SCOPE_READ },
	{ "write", OB_SCOPE_WRITE },
	{ "meter", OB_SCOPE_METER },
	{ "admin", OB_SCOPE_ADMIN },
};

int
ob_scopes_parse(const char *s, unsigned *out)
{
	size_t i, len;
	unsigned bits = 0;
	int found;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		len = strcspn(s, ",");
		found = 0;
		for (i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++)
			if (strlen(scope_names[i].name) == len &&
			    strncmp(s, scope_names[i].name, len) == 0) {
				bits |= scope_names[i].bit;
				found = 1;
			}
		if (!found)
			return -1;
		s += len;
		if (*s == ',')
			s++;
	}
	*out = bits;
	return 0;
}

void
ob_scopes_format(unsigned scopes, char *buf, size_t len)
{
	size_t i, used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++)
		if (scopes & scope_names[i].bit)
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
			    "%s%s", used ? "," : "", scope_names[i].name);
}
