/*
 * What the identity mutations (org.c, user.c, member.c, apikey.c) share:
 * checks of their input, ids as statement parameters, and the one way a
 * mutation ends when a statement inside its transaction fails.
 */
#ifndef OB_MUTATION_H
#define OB_MUTATION_H

#include <stddef.h>
#include <stdint.h>

#include "base/fail.h"
#include "identity/audit.h"
#include "identity/roles.h"

/** 1 if s is 2 to 63 lowercase letters, digits or dashes, not starting with a dash. */
int ob_mutation_slug_ok(const char *s);

/** 1 if s is one plausible e-mail address (3 to 320 bytes, no blanks, one '@' inside). */
int ob_mutation_email_ok(const char *s);

/** 1 if s has min to max bytes and no control characters; NULL passes when min is 0. */
int ob_mutation_text_ok(const char *s, size_t min, size_t max);

/**
 * Roll back ax's transaction and fill f: a unique violation (23505) is
 * OB_FAIL_CONFLICT with conflict_code/param/msg when conflict_code is not
 * NULL, a check violation (23514) is invalid_value, anything else is a
 * database failure. state may be NULL. Returns -1.
 */
int ob_mutation_failed(const struct ob_actx *ax, const char *state, struct ob_fail *f,
    const char *conflict_code, const char *conflict_param, const char *conflict_msg);

/**
 * Inside the caller's transaction: make user_id an active member of org_id
 * with role and department (may be NULL), the change checked by the role
 * rules as inviter's (its from, to, self and last_owner are set here), and
 * audited as member.join. Someone already a member keeps their role
 * (*joined 0). 0, or -1 with f (rolled back).
 */
int ob_member_join_tx(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const struct ob_role_change *inviter, const char *role, const char *department,
    int *joined, struct ob_fail *f);

#endif
