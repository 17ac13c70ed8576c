/*
 * ob_invite: invitations by e-mail. Inviting makes no user and no
 * membership: it stores the invitation (the SHA-256 of a random 32-byte
 * token, never the token) and queues an e-mail with the link
 * <base>/invite/<token>. The person who opens the link either sets a name
 * and password (a new account) or, signed in with the invited address,
 * accepts; only then do they become a member, with the role checked by
 * the role rules (roles.h) again. Every mutation is audited.
 */
#ifndef OB_INVITE_H
#define OB_INVITE_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "base/fail.h"
#include "identity/audit.h"

#define OB_PASSWORD_MIN	12	/* bytes */
#define OB_PASSWORD_MAX	128

/* What an invitation asks for, and where its link points. */
struct ob_invite_in {
	const char *email;
	const char *role;
	const char *department;	/* may be NULL */
	const char *base_url;	/* ORGBILL_PUBLIC_URL */
	long ttl_s;		/* ORGBILL_INVITE_TTL_S */
};

/* What a link leads to. */
enum ob_invite_state {
	OB_INVITE_UNKNOWN,	/* no such token (or not a token at all) */
	OB_INVITE_OPEN,
	OB_INVITE_USED,
	OB_INVITE_REVOKED,
	OB_INVITE_EXPIRED,
};

struct ob_invite_view {
	enum ob_invite_state state;
	int64_t id;
	int64_t org_id;
	char email[321];
	char role[16];
	char department[101];
	char inviter_role[16];	/* owner, admin or system */
	char org_name[201];
	int has_account;	/* a user with the invited address exists */
};

/**
 * Invite in->email (trimmed, lowercased) to org_id as ax's actor: the role
 * rules apply as to a person joining (an admin cannot invite an owner:
 * 403 owner_required); a current member is 409 already_member (nothing
 * changes); an address with an open invitation has it renewed (new token
 * and expiry, the old link stops working, role and department from this
 * request; *created 0). Queues the e-mail, audits member.invite. *out
 * receives the invitation object (ob_invite_list's shape). 0, or -1 with f.
 */
int ob_invite_create(const struct ob_actx *ax, int64_t org_id, const struct ob_invite_in *in,
    cJSON **out, int *created, struct ob_fail *f);

/**
 * Resend org_id's open invitation id: a new token and expiry (in->ttl_s)
 * and a new e-mail; the old link stops working. in->email, role and
 * department are ignored. Audited as member.invite_resend. 404
 * invitation_not_found. *out as for ob_invite_create.
 */
int ob_invite_resend(const struct ob_actx *ax, int64_t org_id, int64_t id,
    const struct ob_invite_in *in, cJSON **out, struct ob_fail *f);

/** Revoke org_id's open invitation id (audited). 0, or -1 with f (404 invitation_not_found). */
int ob_invite_revoke(const struct ob_actx *ax, int64_t org_id, int64_t id, struct ob_fail *f);

/** The org's open invitations (pending or expired) as a list object; NULL on a database failure. */
cJSON *ob_invite_list(struct ob_db *db, int64_t org_id);

/**
 * Inside the caller's transaction: withdraw (and audit) the open
 * invitations user_id made in org_id that role (NULL: removed) may no
 * longer grant. 0, or -1 with f (rolled back).
 */
int ob_invite_revoke_by_inviter_tx(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *role, struct ob_fail *f);

/** What the link with this token leads to, into v. 0, or -1 on a database failure. */
int ob_invite_find(struct ob_db *db, const char *token, struct ob_invite_view *v);

/**
 * The refusal for a link in state s (not OB_INVITE_OPEN): 404
 * invitation_not_found, or 409 invitation_used / invitation_revoked /
 * invitation_expired, with a message for people. Returns -1.
 */
int ob_invite_state_fail(enum ob_invite_state s, struct ob_fail *f);

/**
 * 1 if password may be a password for email: OB_PASSWORD_MIN to
 * OB_PASSWORD_MAX bytes and not the e-mail address itself (any case);
 * else 0 with f set (invalid_password).
 */
int ob_invite_password_ok(const char *password, const char *email, struct ob_fail *f);

/**
 * Accept the invitation behind token as a new person: a user with the
 * invited address, name (1 to 200 characters) and password (Argon2id;
 * ob_invite_password_ok), made a member with the invited role, in one
 * transaction. ax->who is ignored (the new user is the actor). An address
 * that already has an account is 409 sign_in_required. *user_id and
 * *org_id receive the ids. 0, or -1 with f.
 */
int ob_invite_accept_new(const struct ob_actx *ax, const char *token, const char *name,
    const char *password, int64_t *user_id, int64_t *org_id, struct ob_fail *f);

/**
 * Accept the invitation behind token as the signed-in user ax->who, whose
 * e-mail address must be the invited one (403 invitation_other_email).
 * Someone already a member keeps their role. *org_id receives the org.
 * 0, or -1 with f.
 */
int ob_invite_accept_user(const struct ob_actx *ax, const char *token, int64_t *org_id,
    struct ob_fail *f);

/**
 * The id of org_id's open, unexpired invitation for email into *id (0
 * when none). 0, or -1 on a database failure.
 */
int ob_invite_open_id(struct ob_db *db, int64_t org_id, const char *email, int64_t *id);

/**
 * Inside the caller's transaction: accept org_id's invitation id for
 * user_id, whom the org's identity provider signed in with the verified
 * address email, which must be the invited one (403
 * invitation_other_email). As the other acceptances: the invited role
 * (checked against the inviter's current role), the invitation closed,
 * audited; a used, withdrawn or expired one is refused. Does not commit.
 * 0, or -1 with f (rolled back).
 */
int ob_invite_accept_sso_tx(const struct ob_actx *ax, int64_t id, int64_t org_id,
    int64_t user_id, const char *email, struct ob_fail *f);

#endif
