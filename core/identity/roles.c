/*
 * The role rules (roles.h).
 */
#include "identity/roles.h"

int
ob_role_change_check(const struct ob_role_change *c, struct ob_fail *f)
{
	if (c->system) {
		if (c->last_owner && c->from == OB_ROLE_OWNER && c->to != OB_ROLE_OWNER)
			goto last_owner;
		return 0;
	}
	if (c->actor != OB_ROLE_OWNER && c->actor != OB_ROLE_ADMIN)
		return ob_fail(f, OB_FAIL_FORBIDDEN, "forbidden", NULL,
		    "Only owners and admins manage members.");
	if ((c->from == OB_ROLE_OWNER || c->to == OB_ROLE_OWNER) && c->actor != OB_ROLE_OWNER)
		return ob_fail(f, OB_FAIL_FORBIDDEN, "owner_required", "role",
		    "Only an owner can grant or remove the owner role.");
	if (c->self && c->to > c->from)
		return ob_fail(f, OB_FAIL_FORBIDDEN, "own_role_upward", "role",
		    "Nobody can raise their own role.");
	if (c->last_owner && c->from == OB_ROLE_OWNER && c->to != OB_ROLE_OWNER)
		goto last_owner;
	return 0;
last_owner:
	return ob_fail(f, OB_FAIL_CONFLICT, "last_owner", "user_id",
	    "An organization must keep at least one owner.");
}

void
ob_role_actor(const struct ob_actx *ax, int64_t org_id, struct ob_role_change *c)
{
	const struct ob_principal *p = ax->who;

	c->system = 0;
	c->actor = OB_ROLE_NONE;
	if (p == NULL || ax->as_staff) {
		c->system = 1;
	} else if (p->kind == OB_PRINCIPAL_KEY) {
		if (p->key_org_id == org_id && (p->scopes & OB_SCOPE_ADMIN) != 0)
			c->actor = OB_ROLE_ADMIN;
	} else if (p->kind == OB_PRINCIPAL_USER && p->org_id == org_id) {
		c->actor = p->role;
	}
}
