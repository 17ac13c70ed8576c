/*
 * ob_org: organizations, users, memberships and an org's API keys. Every
 * mutation runs in one transaction with its audit row. Defined in org.c,
 * user.c, member.c and apikey.c (one concern each; mutation.h holds what
 * they share).
 */
#ifndef OB_ORG_H
#define OB_ORG_H

#include <stdint.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "identity/auth.h"
#include "base/fail.h"
#include "identity/principal.h"
#include "base/num.h"

/** Create an org; *id receives its id. -1 with f set (bad name/slug, slug taken). */
int ob_org_create(const struct ob_actx *ax, const char *name, const char *slug,
    const char *billing_email, int64_t *id, struct ob_fail *f);

/**
 * Create a user (password may be NULL: cannot sign in until set).
 * -1 with f set (bad e-mail, taken, password too short or long).
 */
int ob_user_create(const struct ob_actx *ax, const char *email, const char *name,
    const char *password, int is_staff, int64_t *id, struct ob_fail *f);

/**
 * Add user to org with role (or reactivate and re-role a removed member),
 * department may be NULL. The first org a user joins becomes the default.
 */
int ob_member_add(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *role, const char *department, struct ob_fail *f);

/**
 * Change a member's role, as ax's actor, under the role rules
 * (identity/roles.h): 403 forbidden / owner_required / own_role_upward,
 * 409 last_owner, 404 member_not_found.
 */
int ob_member_set_role(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *role, struct ob_fail *f);

/** Remove a member, under the same rules as ob_member_set_role. */
int ob_member_remove(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    struct ob_fail *f);

/**
 * Fill p's standing in org_id (p->org_id, role, members_see_billing,
 * org_suspended) for a user principal. 0 (role OB_ROLE_NONE if not an
 * active member or no such org) or -1 on a database failure.
 */
int ob_member_standing(struct ob_db *db, int64_t org_id, struct ob_principal *p);

/** The org's members as a list object; NULL on a database failure. */
cJSON *ob_member_list(struct ob_db *db, int64_t org_id);

/** The user's active orgs [{id,name,role,current}]; NULL on failure. */
cJSON *ob_user_orgs(struct ob_db *db, int64_t user_id, int64_t current_org);

/** The org as an object {id,name,slug,status,...}; NULL if none or failure. */
cJSON *ob_org_get(struct ob_db *db, int64_t org_id);

/** The id of the org with this slug: > 0, 0 if there is none, -1 on a database failure. */
int64_t ob_org_id_by_slug(struct ob_db *db, const char *slug);

/**
 * Fill p's org state (p->org_suspended, p->billing_state) from org_id's
 * row, as ob_member_standing does for a user: for an API key, whose
 * standing the gate does not otherwise read. Both cleared when there is no
 * such org. 0, or -1 on a database failure.
 */
int ob_org_state(struct ob_db *db, int64_t org_id, struct ob_principal *p);

/**
 * True if the org p's standing names is suspended: by staff (its status)
 * or by dunning (its billing_state). A suspended org is read-only for its
 * own members and keys (docs/SECURITY.md).
 */
int ob_org_is_suspended(const struct ob_principal *p);

/**
 * Suspend org_id (staff, ax->reason required): status suspended with
 * reason "staff: <reason>", audited "org.suspend". 0, or -1 with f: 404
 * org_not_found, 409 already_suspended, a database failure.
 */
int ob_org_suspend(const struct ob_actx *ax, int64_t org_id, struct ob_fail *f);

/**
 * Lift a staff suspension of org_id, audited "org.activate". 0, or -1
 * with f: 404 org_not_found, 409 not_suspended, 409 billing_suspension
 * (dunning's, lifted only by payment or the dunning override).
 */
int ob_org_activate(const struct ob_actx *ax, int64_t org_id, struct ob_fail *f);

/**
 * Set user_id's staff role: "support", "finance", "admin", or "none" (no
 * longer staff); audited "user.staff_role". 0, or -1 with f: 400
 * invalid_staff_role, 404 user_not_found, a database failure.
 */
int ob_user_set_staff_role(const struct ob_actx *ax, int64_t user_id, const char *role,
    struct ob_fail *f);

/** The id of the user with this e-mail (any case): > 0, 0 if none, -1 on a database failure. */
int64_t ob_user_id_by_email(struct ob_db *db, const char *email);

/**
 * What signing in checks, for the user with this e-mail (any case): their
 * id into *user_id and their password hash into hash ("" when they have no
 * password). 1 when found, 0 when not (*user_id 0, hash ""), -1 on a
 * database failure.
 */
int ob_user_credentials(struct ob_db *db, const char *email, int64_t *user_id, char *hash,
    size_t hashlen);

/**
 * Sign user_id in (the caller checked the password): a new console session
 * of max_age_s seconds from ax->ip with user_agent (may be NULL), the time
 * of the sign-in, and its audit row, in one transaction. The cookie value
 * goes to token_text. 0, or -1 rolled back (ax->db->lasterr).
 */
int ob_user_login(const struct ob_actx *ax, int64_t user_id, long max_age_s,
    const char *user_agent, char token_text[OB_TOKEN_TEXT]);

/**
 * Point the console session of ax->who (a signed-in user the caller found
 * an active member of org_id) at org_id and make it the user's default
 * org, with its audit row, in one transaction. 0, or -1 rolled back.
 */
int ob_user_switch_org(const struct ob_actx *ax, int64_t org_id);

/**
 * Note that user_id is active in org_id now (stored at most once every
 * five minutes: the statement checks). 0 or -1 (db->lasterr).
 */
int ob_member_touch(struct ob_db *db, int64_t org_id, int64_t user_id);

/** The org's API keys (never their secrets) as a list object. */
cJSON *ob_apikey_list(struct ob_db *db, int64_t org_id);

/**
 * Create an API key (audited); key_text receives the key, shown once.
 * created_by 0 for the CLI.
 */
int ob_apikey_create_audited(const struct ob_actx *ax, int64_t org_id, const char *name,
    const char *scopes, char *key_text, char *prefix, struct ob_fail *f);

/** Revoke by prefix; org_id 0 means any org (CLI). Audited. */
int ob_apikey_revoke(const struct ob_actx *ax, int64_t org_id, const char *prefix,
    struct ob_fail *f);

/**
 * Revoke org_id's active keys named name, without an audit row (the demo
 * data set replaces its own key on every load). 0 or -1 (db->lasterr).
 */
int ob_apikey_revoke_named(struct ob_db *db, int64_t org_id, const char *name);

/** Whether plain members see the plan and credit summary (audited). */
int ob_org_set_members_see_billing(const struct ob_actx *ax, int64_t org_id, int on,
    struct ob_fail *f);


#endif
