/*
 * Who is asking: the principal a request acts as, and its standing in the
 * organization the request is about. Filled by the identity layer, read
 * by the policy (policy.h) and recorded by the audit log.
 */
#ifndef OB_PRINCIPAL_H
#define OB_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

enum ob_role {
	OB_ROLE_NONE = 0,	/* not a member (or removed) */
	OB_ROLE_MEMBER,
	OB_ROLE_BILLING,
	OB_ROLE_ADMIN,
	OB_ROLE_OWNER,
	OB_ROLE__MAX
};

#define OB_ROLE_BIT(r)	(1u << (r))

/* A staff user's role in the staff console (docs/ADMIN.md), least first. */
enum ob_staff_role {
	OB_STAFF_NONE = 0,	/* not staff */
	OB_STAFF_SUPPORT,	/* read everything, re-sync, reprocess, suspend/activate */
	OB_STAFF_FINANCE,	/* support + refunds, credits, seats and subscriptions */
	OB_STAFF_ADMIN,		/* finance + staff management */
	OB_STAFF__MAX
};

#define OB_STAFF_BIT(r)	(1u << (r))

/* API key scopes. */
#define OB_SCOPE_READ	0x01u
#define OB_SCOPE_WRITE	0x02u
#define OB_SCOPE_METER	0x04u
#define OB_SCOPE_ADMIN	0x08u

enum ob_principal_kind {
	OB_PRINCIPAL_ANON,
	OB_PRINCIPAL_USER,	/* console session */
	OB_PRINCIPAL_KEY,	/* Authorization: Bearer <api key> */
};

struct ob_principal {
	enum ob_principal_kind kind;
	/* USER */
	int64_t user_id;
	int is_staff;
	enum ob_staff_role staff_role;	/* OB_STAFF_NONE unless is_staff */
	int64_t session_id;
	int64_t session_org_id;		/* the org the console has selected (0: none) */
	char email[321];
	char name[201];
	/* KEY */
	int64_t key_id;
	int64_t key_org_id;
	unsigned scopes;
	char key_prefix[16];
	/* Standing in the org the request is about (set by the authz step). */
	int64_t org_id;
	enum ob_role role;
	int members_see_billing;
	int org_suspended;
	char billing_state[16];		/* active | past_due | restricted | suspended */
};

/** "owner" … "member" → role; OB_ROLE_NONE for anything else. */
enum ob_role ob_role_parse(const char *s);

/** The role's name ("none" for OB_ROLE_NONE). */
const char *ob_role_name(enum ob_role r);

/** "support", "finance", "admin" → staff role; OB_STAFF_NONE for anything else. */
enum ob_staff_role ob_staff_role_parse(const char *s);

/** The staff role's name ("none" for OB_STAFF_NONE). */
const char *ob_staff_role_name(enum ob_staff_role r);

/** "read,write" → scope bits; -1 on an unknown scope or an empty list. */
int ob_scopes_parse(const char *s, unsigned *out);

/** Scope bits → "read,write,…" into buf (at least 32 bytes). */
void ob_scopes_format(unsigned scopes, char *buf, size_t len);

#endif
