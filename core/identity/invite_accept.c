/*
 * Invitations: following a link and accepting it (invite.h).
 */
#include "identity/invite.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "base/num.h"
#include "base/row.h"
#include "identity/auth.h"
#include "identity/mutation.h"
#include "identity/org.h"
#include "identity/roles.h"

/* token's hash as a bytea parameter; -1 if token is not a token. */
static int
token_hash(const char *token, char hash[67])
{
	unsigned char raw[OB_TOKEN_BYTES];

	if (ob_auth_token_decode(token, raw) != 0)
		return -1;
	ob_auth_token_hash_param(raw, sizeof(raw), hash);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

/* Row 0 of an INVITE_BY_TOKEN result into v. */
static void
view_from_row(const PGresult *res, struct ob_invite_view *v)
{
	v->id = ob_row_i64(res, 0, "id");
	v->org_id = ob_row_i64(res, 0, "org_id");
	snprintf(v->email, sizeof(v->email), "%s", ob_row_str(res, 0, "email"));
	snprintf(v->role, sizeof(v->role), "%s", ob_row_str(res, 0, "role"));
	snprintf(v->org_name, sizeof(v->org_name), "%s", ob_row_str(res, 0, "org_name"));
	snprintf(v->department, sizeof(v->department), "%s", ob_row_str(res, 0, "department"));
	snprintf(v->inviter_role, sizeof(v->inviter_role), "%s",
	    ob_row_str(res, 0, "inviter_role"));
	if (ob_row_bool(res, 0, "accepted"))
		v->state = OB_INVITE_USED;
	else if (ob_row_bool(res, 0, "revoked"))
		v->state = OB_INVITE_REVOKED;
	else if (ob_row_bool(res, 0, "expired"))
		v->state = OB_INVITE_EXPIRED;
	else
		v->state = OB_INVITE_OPEN;
}

int
ob_invite_find(struct ob_db *db, const char *token, struct ob_invite_view *v)
{
	char hash[67];
	const char *params[1] = { hash };
	PGresult *res;
	int rc;

	memset(v, 0, sizeof(*v));
	v->state = OB_INVITE_UNKNOWN;
	if (token_hash(token, hash) != 0)
		return 0;
	if ((rc = ob_db_one(db, OB_STMT_INVITE_BY_TOKEN, params, &res)) < 0)
		return -1;
	if (rc > 0)
		return 0;
	view_from_row(res, v);
	PQclear(res);
	if (v->state == OB_INVITE_OPEN) {
		params[0] = v->email;
		if ((rc = ob_db_one(db, OB_STMT_INVITE_HAS_ACCOUNT, params, &res)) < 0)
			return -1;
		v->has_account = rc == 0 && ob_row_bool(res, 0, "has_account");
		if (rc == 0)
			PQclear(res);
	}
	return 0;
}

int
ob_invite_state_fail(enum ob_invite_state s, struct ob_fail *f)
{
	switch (s) {
	case OB_INVITE_USED:
		return ob_fail(f, OB_FAIL_CONFLICT, "invitation_used", NULL,
		    "This invitation has already been used.");
	case OB_INVITE_REVOKED:
		return ob_fail(f, OB_FAIL_CONFLICT, "invitation_revoked", NULL,
		    "This invitation was withdrawn. Ask the organization for a new one.");
	case OB_INVITE_EXPIRED:
		return ob_fail(f, OB_FAIL_CONFLICT, "invitation_expired", NULL,
		    "This invitation has expired. Ask the organization to send it again.");
	case OB_INVITE_UNKNOWN:
	case OB_INVITE_OPEN:
	default:
		return ob_fail(f, OB_FAIL_NOT_FOUND, "invitation_not_found", NULL,
		    "This invitation link is not valid. Check that it was copied whole.");
	}
}

int
ob_invite_password_ok(const char *password, const char *email, struct ob_fail *f)
{
	size_t n = password != NULL ? strlen(password) : 0;

	if (n < OB_PASSWORD_MIN || n > OB_PASSWORD_MAX) {
		ob_fail(f, OB_FAIL_INVALID, "invalid_password", "password",
		    "The password must be %d to %d characters long.", OB_PASSWORD_MIN,
		    OB_PASSWORD_MAX);
		return 0;
	}
	if (email != NULL && strcasecmp(password, email) == 0) {
		ob_fail(f, OB_FAIL_INVALID, "invalid_password", "password",
		    "The password must not be your e-mail address.");
		return 0;
	}
	return 1;
}

/*
 * Begin a transaction and lock the open invitation behind token into v.
 * 0, or -1 with f (rolled back) when it is not open.
 */
static int
lock_open(const struct ob_actx *ax, const char *token, struct ob_invite_view *v,
    struct ob_fail *f)
{
	char hash[67];
	const char *params[1] = { hash };
	PGresult *res;
	int rc;

	memset(v, 0, sizeof(*v));
	if (token_hash(token, hash) != 0)
		return ob_invite_state_fail(OB_INVITE_UNKNOWN, f);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((rc = ob_db_one(ax->db, OB_STMT_INVITE_BY_TOKEN, params, &res)) < 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (rc > 0) {
		ob_db_rollback(ax->db);
		return ob_invite_state_fail(OB_INVITE_UNKNOWN, f);
	}
	view_from_row(res, v);
	PQclear(res);
	if (v->state != OB_INVITE_OPEN) {
		ob_db_rollback(ax->db);
		return ob_invite_state_fail(v->state, f);
	}
	return 0;
}

/*
 * Inside the transaction lock_open began: the role rules for v's role,
 * checked against what its inviter holds NOW (their active membership, or
 * the key still unrevoked with the admin scope), into inviter. 0, or -1
 * with f (rolled back) when the inviter may no longer grant the role.
 */
static int
inviter_now(const struct ob_actx *ax, const struct ob_invite_view *v,
    struct ob_role_change *inviter, struct ob_fail *f)
{
	char idbuf[24];
	const char *params[1] = { idbuf };
	struct ob_fail ignored;
	PGresult *res;
	int rc;

	ob_num_str(idbuf, sizeof(idbuf), v->id);
	if ((rc = ob_db_one(ax->db, OB_STMT_INVITE_INVITER_NOW, params, &res)) < 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	memset(inviter, 0, sizeof(*inviter));
	if (rc == 0) {
		inviter->system = strcmp(ob_row_str(res, 0, "now_role"), "system") == 0;
		inviter->actor = ob_role_parse(ob_row_str(res, 0, "now_role"));
		PQclear(res);
	}
	inviter->to = ob_role_parse(v->role);
	if (ob_role_change_check(inviter, &ignored) == 0)
		return 0;
	ob_db_rollback(ax->db);
	return ob_fail(f, OB_FAIL_FORBIDDEN, "invitation_inviter_lost_role", NULL,
	    "The person who sent this invitation can no longer grant this role. Ask the "
	    "organization for a new invitation.");
}

/*
 * Inside the caller's transaction (v locked): make user_id a member as v
 * invites (the rules checked against the inviter's current role), mark
 * the invitation accepted and audit it. 0, or -1 with f (rolled back).
 */
static int
accept_tx(const struct ob_actx *ax, const struct ob_invite_view *v, int64_t user_id,
    struct ob_fail *f)
{
	char idbuf[24], user[24];
	const char *params[2] = { idbuf, user };
	struct ob_role_change inviter;
	PGresult *res;
	int joined, rc;

	if (inviter_now(ax, v, &inviter, f) != 0)
		return -1;
	if (ob_member_join_tx(ax, v->org_id, user_id, &inviter, v->role, v->department, &joined,
	    f) != 0)
		return -1;
	ob_num_str(idbuf, sizeof(idbuf), v->id);
	ob_num_str(user, sizeof(user), user_id);
	if ((rc = ob_db_one(ax->db, OB_STMT_INVITE_ACCEPTED, params, &res)) != 0) {
		ob_db_rollback(ax->db);
		return rc < 0 ? ob_fail_db(f, ax->db->lasterr) :
		    ob_invite_state_fail(OB_INVITE_USED, f);
	}
	PQclear(res);
	if (ob_audit_write(ax, v->org_id, "member.invite_accept", "invitation", idbuf, NULL,
	    NULL) != 0)
		return ob_db_fail(ax->db, f);
	return 0;
}

/* accept_tx, then commit. 0, or -1 with f (rolled back). */
static int
accept_commit(const struct ob_actx *ax, const struct ob_invite_view *v, int64_t user_id,
    struct ob_fail *f)
{
	if (accept_tx(ax, v, user_id, f) != 0)
		return -1;
	return ob_audit_commit(ax, v->org_id, NULL, NULL, NULL, NULL, NULL, f);
}

int
ob_invite_accept_new(const struct ob_actx *ax, const char *token, const char *name,
    const char *password, int64_t *user_id, int64_t *org_id, struct ob_fail *f)
{
	char hash[crypto_pwhash_STRBYTES], uid[24];
	const char *params[4], *state = NULL, *action = "user.claim";
	struct ob_invite_view v;
	struct ob_principal who;
	struct ob_actx nax = *ax;
	PGresult *res;
	int rc;

	if (!ob_mutation_text_ok(name, 1, 200))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_name", "name",
		    "Enter your name (at most 200 characters).");
	if (ob_invite_find(ax->db, token, &v) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (v.state != OB_INVITE_OPEN)
		return ob_invite_state_fail(v.state, f);
	if (v.has_account)
		return ob_fail(f, OB_FAIL_CONFLICT, "sign_in_required", NULL,
		    "An account with this e-mail address exists: sign in to accept.");
	if (!ob_invite_password_ok(password, v.email, f))
		return -1;
	if (ob_auth_password_hash(password, hash, sizeof(hash)) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_password", "password",
		    "The password could not be hashed.");
	if (lock_open(ax, token, &v, f) != 0) {
		sodium_memzero(hash, sizeof(hash));
		return -1;
	}
	params[0] = v.email;
	params[1] = name;
	params[2] = hash;
	params[3] = "false";
	/* A user row nobody can sign in to (migration 017) is theirs: claim it. */
	if ((rc = ob_db_one(ax->db, OB_STMT_INVITE_USER_CLAIM, params, &res)) == 1) {
		action = "user.create";
		res = ob_db_exec(ax->db, OB_STMT_USER_CREATE, params, &state);
	}
	sodium_memzero(hash, sizeof(hash));
	if (rc < 0 || res == NULL)
		return ob_mutation_failed(ax, state, f, "sign_in_required", NULL,
		    "An account with this e-mail address exists: sign in to accept.");
	*user_id = ob_row_i64(res, 0, "id");
	PQclear(res);
	/* From here the new user acts. */
	memset(&who, 0, sizeof(who));
	who.kind = OB_PRINCIPAL_USER;
	who.user_id = *user_id;
	nax.who = &who;
	nax.as_staff = 0;
	ob_num_str(uid, sizeof(uid), *user_id);
	if (ob_audit_write(&nax, v.org_id, action, "user", uid, NULL, NULL) != 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	*org_id = v.org_id;
	rc = accept_commit(&nax, &v, *user_id, f);
	return rc;
}

int
ob_invite_accept_user(const struct ob_actx *ax, const char *token, int64_t *org_id,
    struct ob_fail *f)
{
	char uid[24];
	const char *params[1] = { uid };
	struct ob_invite_view v;
	PGresult *res;
	int rc, same;

	if (ax->who == NULL || ax->who->kind != OB_PRINCIPAL_USER)
		return ob_fail(f, OB_FAIL_FORBIDDEN, "sign_in_required", NULL,
		    "Sign in to accept this invitation.");
	if (lock_open(ax, token, &v, f) != 0)
		return -1;
	ob_num_str(uid, sizeof(uid), ax->who->user_id);
	if ((rc = ob_db_one(ax->db, OB_STMT_USER_EMAIL, params, &res)) < 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	same = rc == 0 && strcmp(ob_row_str(res, 0, "email"), v.email) == 0;
	if (rc == 0)
		PQclear(res);
	if (!same) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_FORBIDDEN, "invitation_other_email", NULL,
		    "This invitation was sent to another e-mail address. Sign out, then open "
		    "the link again and sign in with the invited address.");
	}
	*org_id = v.org_id;
	return accept_commit(ax, &v, ax->who->user_id, f);
}

int
ob_invite_open_id(struct ob_db *db, int64_t org_id, const char *email, int64_t *id)
{
	char org[24];
	const char *params[2] = { org, email };
	PGresult *res;
	int rc;

	*id = 0;
	ob_num_str(org, sizeof(org), org_id);
	if ((rc = ob_db_one(db, OB_STMT_INVITE_OPEN_BY_EMAIL, params, &res)) < 0)
		return -1;
	if (rc == 0) {
		*id = ob_row_i64(res, 0, "id");
		PQclear(res);
	}
	return 0;
}

int
ob_invite_accept_sso_tx(const struct ob_actx *ax, int64_t id, int64_t org_id, int64_t user_id,
    const char *email, struct ob_fail *f)
{
	char idbuf[24], org[24];
	const char *params[2] = { idbuf, org };
	struct ob_invite_view v;
	PGresult *res;
	int rc;

	memset(&v, 0, sizeof(v));
	ob_num_str(idbuf, sizeof(idbuf), id);
	ob_num_str(org, sizeof(org), org_id);
	if ((rc = ob_db_one(ax->db, OB_STMT_INVITE_BY_ID, params, &res)) < 0)
		return ob_db_fail(ax->db, f);
	if (rc > 0) {
		ob_db_rollback(ax->db);
		return ob_invite_state_fail(OB_INVITE_UNKNOWN, f);
	}
	view_from_row(res, &v);
	PQclear(res);
	if (v.state != OB_INVITE_OPEN) {
		ob_db_rollback(ax->db);
		return ob_invite_state_fail(v.state, f);
	}
	if (email == NULL || strcasecmp(email, v.email) != 0) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_FORBIDDEN, "invitation_other_email", NULL,
		    "Your identity provider signed you in with another e-mail address than the "
		    "invited one. Sign in there as the invited address and open the link again.");
	}
	return accept_tx(ax, &v, user_id, f);
}
