/*
 * Invitations: inviting, resending, revoking and listing (invite.h).
 * Accepting is invite_accept.c.
 */
#include "identity/invite.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/db_json.h"
#include "base/num.h"
#include "base/outbox.h"
#include "base/row.h"
#include "identity/auth.h"
#include "identity/mutation.h"
#include "identity/roles.h"

/* A new token: its text for the link, its hash parameter for the row. */
struct invite_token {
	char text[OB_TOKEN_TEXT];
	char hash[67];
};

static void
token_new(struct invite_token *t)
{
	unsigned char raw[OB_TOKEN_BYTES];

	ob_auth_token_new(raw, t->text);
	ob_auth_token_hash_param(raw, sizeof(raw), t->hash);
	sodium_memzero(raw, sizeof(raw));
}

/* email trimmed and lowercased into out (len bytes); "" if it does not fit. */
static void
email_norm(const char *email, char *out, size_t len)
{
	size_t n, i;

	out[0] = '\0';
	if (email == NULL)
		return;
	while (*email == ' ' || *email == '\t')
		email++;
	n = strlen(email);
	while (n > 0 && (email[n - 1] == ' ' || email[n - 1] == '\t'))
		n--;
	if (n >= len)
		return;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)email[i]);
	out[n] = '\0';
}

/*
 * Queue the invitation e-mail for invitation id (inside the transaction).
 * The body holds the link; nothing else stores the token. 0 or -1.
 */
static int
invite_mail(const struct ob_actx *ax, int64_t org_id, int64_t id, const char *email,
    const char *org_name, const char *role, const char *expires, const char *base_url,
    const struct invite_token *t)
{
	char subject[OB_OUTBOX_SUBJECT_MAX], body[2048], key[80];
	size_t blen = strlen(base_url);
	int rc;

	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	snprintf(subject, sizeof(subject), "You are invited to join %.120s", org_name);
	snprintf(body, sizeof(body),
	    "Hello,\n\nYou have been invited to join %.200s as %s.\n\n"
	    "Accept the invitation:\n%.*s/invite/%s\n\n"
	    "The link works once, until %s UTC. If you did not expect this e-mail,\n"
	    "you can ignore it.\n",
	    org_name, role, (int)(blen > 400 ? 400 : blen), base_url, t->text, expires);
	/* A dedupe key per token: each send is a new message. */
	snprintf(key, sizeof(key), "invitation:%lld:%.16s", (long long)id, t->hash + 2);
	rc = ob_outbox_enqueue(ax->db, org_id, "invitation", key, email, subject, body);
	sodium_memzero(body, sizeof(body));
	return rc;
}

/* The invitation object the API and the page show. */
static cJSON *
invite_json(int64_t id, const char *email, const char *role, const char *department,
    const char *expires)
{
	cJSON *o = cJSON_CreateObject();
	char idbuf[24];

	ob_num_str(idbuf, sizeof(idbuf), id);
	cJSON_AddStringToObject(o, "object", "invitation");
	cJSON_AddStringToObject(o, "id", idbuf);
	cJSON_AddStringToObject(o, "email", email);
	cJSON_AddStringToObject(o, "role", role);
	if (department != NULL)
		cJSON_AddStringToObject(o, "department", department);
	cJSON_AddStringToObject(o, "status", "pending");
	cJSON_AddStringToObject(o, "expires_at", expires);
	return o;
}

/* The input of an invitation: 0, or -1 with f. */
static int
invite_input_ok(const char *email, const char *role, const char *department,
    struct ob_fail *f)
{
	if (!ob_mutation_email_ok(email))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_email", "email",
		    "The e-mail address is not valid.");
	if (ob_role_parse(role) == OB_ROLE_NONE)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_role", "role",
		    "The role must be owner, admin, billing or member.");
	if (!ob_mutation_text_ok(department, 0, 100))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_department", "department",
		    "The department must be at most 100 characters.");
	return 0;
}

/* Refuse (409 already_member, rolled back) an address that is a member of org. */
static int
not_a_member(const struct ob_actx *ax, const char *org, const char *email, struct ob_fail *f)
{
	const char *params[2] = { org, email };
	PGresult *res;
	int n;

	if ((res = ob_db_exec(ax->db, OB_STMT_MEMBER_BY_EMAIL, params, NULL)) == NULL)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	n = PQntuples(res);
	PQclear(res);
	if (n == 0)
		return 0;
	ob_db_rollback(ax->db);
	return ob_fail(f, OB_FAIL_CONFLICT, "already_member", "email",
	    "This person is already a member of the organization.");
}

/* Who invites, for the row: inviter_role, the user's id, the key's prefix. */
static void
inviter_params(const struct ob_actx *ax, const struct ob_role_change *c, char user[24],
    const char **role, const char **key)
{
	*role = c->system ? "system" : ob_role_name(c->actor);
	*key = "";
	ob_num_str(user, 24, 0);
	if (ax->who != NULL && ax->who->kind == OB_PRINCIPAL_USER)
		ob_num_str(user, 24, ax->who->user_id);
	else if (ax->who != NULL && ax->who->kind == OB_PRINCIPAL_KEY)
		*key = ax->who->key_prefix;
}

int
ob_invite_create(const struct ob_actx *ax, int64_t org_id, const struct ob_invite_in *in,
    cJSON **out, int *created, struct ob_fail *f)
{
	char email[321], org[24], user[24], ttl[24], idbuf[24];
	const char *params[9];
	struct ob_role_change c;
	struct invite_token t;
	PGresult *res;
	cJSON *after;
	int64_t id;
	int rc;

	email_norm(in->email, email, sizeof(email));
	if (invite_input_ok(email, in->role, in->department, f) != 0)
		return -1;
	ob_role_actor(ax, org_id, &c);
	c.self = 0;
	c.from = OB_ROLE_NONE;
	c.to = ob_role_parse(in->role);
	c.last_owner = 0;
	if (ob_role_change_check(&c, f) != 0)
		return -1;
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(ttl, sizeof(ttl), in->ttl_s);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (not_a_member(ax, org, email, f) != 0)
		return -1;
	token_new(&t);
	params[0] = org;
	params[1] = email;
	params[2] = in->role;
	params[3] = in->department ? in->department : "";
	inviter_params(ax, &c, user, &params[4], &params[6]);
	params[5] = user;
	params[7] = t.hash;
	params[8] = ttl;
	if (ob_db_one(ax->db, OB_STMT_INVITE_UPSERT, params, &res) != 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	id = ob_row_i64(res, 0, "id");
	*created = ob_row_bool(res, 0, "inserted");
	rc = invite_mail(ax, org_id, id, email, ob_row_str(res, 0, "org_name"), in->role,
	    ob_row_str(res, 0, "expires_text"), in->base_url, &t);
	*out = invite_json(id, email, in->role, params[3], ob_row_str(res, 0, "expires_at"));
	PQclear(res);
	sodium_memzero(&t, sizeof(t));
	if (rc != 0) {
		cJSON_Delete(*out);
		*out = NULL;
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	}
	ob_num_str(idbuf, sizeof(idbuf), id);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "email", email);
	cJSON_AddStringToObject(after, "role", in->role);
	cJSON_AddStringToObject(after, "department", params[3]);
	cJSON_AddBoolToObject(after, "renewed", !*created);
	rc = ob_audit_commit(ax, org_id, "member.invite", "invitation", idbuf, NULL, after, f);
	cJSON_Delete(after);
	if (rc != 0) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return rc;
}

int
ob_invite_resend(const struct ob_actx *ax, int64_t org_id, int64_t id,
    const struct ob_invite_in *in, cJSON **out, struct ob_fail *f)
{
	char org[24], idbuf[24], ttl[24];
	const char *params[4] = { org, idbuf, NULL, ttl };
	struct ob_role_change c;
	struct invite_token t;
	PGresult *res;
	int rc;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(idbuf, sizeof(idbuf), id);
	ob_num_str(ttl, sizeof(ttl), in->ttl_s);
	token_new(&t);
	params[2] = t.hash;
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((rc = ob_db_one(ax->db, OB_STMT_INVITE_RENEW, params, &res)) < 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (rc > 0) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "invitation_not_found", "invitation_id",
		    "No such open invitation.");
	}
	/* Sending an invitation again is inviting again: the same rules. */
	ob_role_actor(ax, org_id, &c);
	c.self = 0;
	c.from = OB_ROLE_NONE;
	c.to = ob_role_parse(ob_row_str(res, 0, "role"));
	c.last_owner = 0;
	if (ob_role_change_check(&c, f) != 0) {
		PQclear(res);
		ob_db_rollback(ax->db);
		return -1;
	}
	rc = invite_mail(ax, org_id, id, ob_row_str(res, 0, "email"),
	    ob_row_str(res, 0, "org_name"), ob_row_str(res, 0, "role"),
	    ob_row_str(res, 0, "expires_text"), in->base_url, &t);
	*out = invite_json(id, ob_row_str(res, 0, "email"), ob_row_str(res, 0, "role"), NULL,
	    ob_row_str(res, 0, "expires_at"));
	PQclear(res);
	sodium_memzero(&t, sizeof(t));
	if (rc == 0)
		rc = ob_audit_commit(ax, org_id, "member.invite_resend", "invitation", idbuf, NULL,
		    NULL, f);
	else
		rc = ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (rc != 0) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return rc;
}

int
ob_invite_revoke(const struct ob_actx *ax, int64_t org_id, int64_t id, struct ob_fail *f)
{
	char org[24], idbuf[24];
	const char *params[2] = { org, idbuf };
	PGresult *res;
	cJSON *before;
	int rc;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(idbuf, sizeof(idbuf), id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((rc = ob_db_one(ax->db, OB_STMT_INVITE_REVOKE, params, &res)) < 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (rc > 0) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "invitation_not_found", "invitation_id",
		    "No such open invitation.");
	}
	before = cJSON_CreateObject();
	cJSON_AddStringToObject(before, "email", ob_row_str(res, 0, "email"));
	cJSON_AddStringToObject(before, "role", ob_row_str(res, 0, "role"));
	PQclear(res);
	rc = ob_audit_commit(ax, org_id, "member.invite_revoke", "invitation", idbuf, before,
	    NULL, f);
	cJSON_Delete(before);
	return rc;
}

cJSON *
ob_invite_list(struct ob_db *db, int64_t org_id)
{
	static const struct ob_col cols[] = {
		{ "id", OB_COL_STR }, { "email", OB_COL_STR }, { "role", OB_COL_STR },
		{ "department", OB_COL_STR }, { "status", OB_COL_STR }, { "sent_at", OB_COL_STR },
		{ "expires_at", OB_COL_STR }, { NULL, OB_COL_SKIP },
	};
	char org[24];
	const char *params[1] = { org };

	ob_num_str(org, sizeof(org), org_id);
	return ob_db_exec_list(db, OB_STMT_INVITE_LIST, params, cols, -1, "invitation");
}

int
ob_invite_revoke_by_inviter_tx(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *role, struct ob_fail *f)
{
	char org[24], user[24];
	const char *params[3] = { org, user, role != NULL ? role : "" };
	PGresult *res;
	cJSON *before;
	int i, rc = 0;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	if ((res = ob_db_exec(ax->db, OB_STMT_INVITE_REVOKE_BY_INVITER, params, NULL)) == NULL)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		before = cJSON_CreateObject();
		cJSON_AddStringToObject(before, "email", ob_row_str(res, i, "email"));
		cJSON_AddStringToObject(before, "role", ob_row_str(res, i, "role"));
		cJSON_AddStringToObject(before, "reason", "inviter_lost_role");
		rc = ob_audit_write(ax, org_id, "member.invite_revoke", "invitation",
		    ob_row_str(res, i, "id"), before, NULL);
		cJSON_Delete(before);
	}
	PQclear(res);
	if (rc != 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	return 0;
}
