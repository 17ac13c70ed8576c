/*
 * ob_role_change: the one set of rules every change of a membership's role
 * passes (member.c: /role, removal; invite.c: inviting and accepting),
 * whoever asks (a console session, an admin-scope API key, the system).
 */
#ifndef OB_ROLES_H
#define OB_ROLES_H

#include "base/fail.h"
#include "identity/audit.h"
#include "identity/principal.h"

/* One change, as the rules see it. */
struct ob_role_change {
	int system;		/* the CLI or a job: only the last-owner rule applies */
	enum ob_role actor;	/* the role of whoever changes (an admin key: admin) */
	int self;		/* the actor changes their own membership */
	enum ob_role from;	/* the target's role now; OB_ROLE_NONE: joining */
	enum ob_role to;	/* the role after; OB_ROLE_NONE: removal */
	int last_owner;		/* the target is the org's only active owner */
};

/**
 * Check c against the rules (docs/SECURITY.md): only owners and admins
 * change roles (403 forbidden); only an owner grants or removes `owner`
 * (403 owner_required), so an admin raises nobody above admin; nobody
 * raises their own role (403 own_role_upward); the last active owner is
 * neither demoted nor removed (409 last_owner). 0, or -1 with f set.
 */
int ob_role_change_check(const struct ob_role_change *c, struct ob_fail *f);

/**
 * Who acts for ax in org_id, as the rules count them: fills c->system and
 * c->actor (a user's standing in org_id, OB_ROLE_NONE if it is another
 * org; a key with the admin scope is an admin; no principal, or staff
 * acting as staff, is the system).
 */
void ob_role_actor(const struct ob_actx *ax, int64_t org_id, struct ob_role_change *c);

#endif
