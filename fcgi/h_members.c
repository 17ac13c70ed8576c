/*
 * Members: the console page and forms, and the API.
 */
#include "fcgi/handlers.h"

#include <stdio.h>
#include <string.h>

#include "fcgi/api.h"
#include "fcgi/authz.h"
#include "fcgi/fields.h"
#include "fcgi/form_errors.h"
#include "fcgi/input.h"
#include "identity/invite.h"
#include "identity/mutation.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "base/num.h"

/* The open invitations for the page (each row with the form's token); -1 on failure. */
static int
add_invitations(struct ob_req *r, cJSON *d)
{
	cJSON *list, *data, *m;
	int i;

	if (!ob_authz_can(r, OB_ACT_MEMBERS_MANAGE))
		return 0;
	if ((list = ob_invite_list(&r->w->db, r->who.org_id)) == NULL)
		return -1;
	data = cJSON_DetachItemFromObject(list, "data");
	cJSON_Delete(list);
	for (i = 0; i < cJSON_GetArraySize(data); i++) {
		m = cJSON_GetArrayItem(data, i);
		cJSON_AddStringToObject(m, "csrf", r->csrf);
		cJSON_AddBoolToObject(m, "is_expired",
		    strcmp(cJSON_GetObjectItem(m, "status")->valuestring, "expired") == 0);
	}
	cJSON_AddBoolToObject(d, "has_invitations", cJSON_GetArraySize(data) > 0);
	cJSON_AddItemToObject(d, "invitations", data);
	return 0;
}

/* The invitation form's controls, and its failures in plain words. */
static const struct ob_form_field invite_controls[] = {
	{ "email", "invite-email", NULL },
	{ "role", "invite-role", NULL },
	{ "department", "invite-dept", NULL },
};
static const struct ob_form_msg invite_msgs[] = {
	{ "invalid_email", NULL, "Enter an e-mail address like name@example.com." },
	{ "invalid_role", NULL, "Choose a role: owner, admin, billing or member." },
	{ "invalid_department", NULL, "Shorten the department to 100 characters or fewer." },
	{ "already_member", NULL, "This person is already a member: choose another e-mail address." },
};
static const struct ob_form invite_form = OB_FORM(invite_controls, invite_msgs);

static int
render_members(struct ob_req *r, int status, const struct ob_fail *f)
{
	cJSON *d, *list, *data, *m;
	int i;

	if ((list = ob_member_list(&r->w->db, r->who.org_id)) == NULL)
		return -1;
	d = ob_page_new(r, "Members", "members");
	if (add_invitations(r, d) != 0) {
		cJSON_Delete(d);
		cJSON_Delete(list);
		return -1;
	}
	data = cJSON_GetObjectItem(list, "data");
	for (i = 0; i < cJSON_GetArraySize(data); i++) {
		const char *role;

		m = cJSON_GetArrayItem(data, i);
		role = cJSON_GetObjectItem(m, "role")->valuestring;
		cJSON_AddBoolToObject(m, "is_owner", strcmp(role, "owner") == 0);
		cJSON_AddBoolToObject(m, "is_admin", strcmp(role, "admin") == 0);
		cJSON_AddBoolToObject(m, "is_billing", strcmp(role, "billing") == 0);
		cJSON_AddBoolToObject(m, "is_member", strcmp(role, "member") == 0);
		cJSON_AddStringToObject(m, "csrf", r->csrf);
	}
	cJSON_AddItemReferenceToObject(d, "members", data);
	cJSON_AddBoolToObject(d, "can_manage", ob_authz_can(r, OB_ACT_MEMBERS_MANAGE));
	cJSON_AddBoolToObject(d, "members_see_billing", r->who.members_see_billing);
	if (f != NULL && r->ftab == &ob_h_member_invite_form_fields)
		ob_form_errors_show(r, &invite_form, f, d);	/* next to the fields */
	else if (f != NULL)
		ob_page_flash(d, "error", f->message);
	ob_page_render(r, status, "pages/members", d);
	cJSON_Delete(d);
	cJSON_Delete(list);
	return 0;
}

int
ob_h_members_page(struct ob_req *r)
{
	return render_members(r, 200, NULL);
}

/* A form's outcome: redirect with a flash, or the page again with the error. */
static int
form_done(struct ob_req *r, int rc, const struct ob_fail *f, const char *flash)
{
	if (rc == 0) {
		ob_page_redirect_flash(r, "/members", flash);
		return 0;
	}
	if (f->kind == OB_FAIL_DB)
		return -1;
	return render_members(r, ob_api_fail_status(f->kind), f);
}

/* A form's fields refused: the page again with the error. */
static int
form_fail(struct ob_req *r, const struct ob_fail *f)
{
	return form_done(r, -1, f, NULL);
}

/*
 * A member's fields, with the codes core gives the same mistakes. The
 * form answers a missing e-mail address or role as an invalid one; the
 * API names it missing.
 */
static int
role_ok(const char *s)
{
	return ob_role_parse(s) != OB_ROLE_NONE;
}

#define EMAIL_ROW(absent) \
	{ .name = "email", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED | (absent), \
	    .ok = ob_mutation_email_ok, .code = "invalid_email", \
	    .message = "The e-mail address is not valid." }
#define ROLE_ROW(absent) \
	{ .name = "role", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED | (absent), \
	    .ok = role_ok, .code = "invalid_role", \
	    .message = "The role must be owner, admin, billing or member." }
#define DEPARTMENT_ROW \
	{ .name = "department", .type = OB_FIELD_STRING, .max = 100, .chars = OB_CHARS_TEXT, \
	    .code = "invalid_department", .message = "The department must be at most {max} characters." }

static const struct ob_field invite_form_rows[] = {
	EMAIL_ROW(OB_FIELD_ABSENT_INVALID),
	ROLE_ROW(OB_FIELD_ABSENT_INVALID),
	DEPARTMENT_ROW,
};
const struct ob_fields ob_h_member_invite_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, invite_form_rows, form_fail);

/* An invitation's input from the request's fields and the settings. */
static void
invite_in(struct ob_req *r, struct ob_invite_in *in)
{
	in->email = ob_field_str(r, "email");
	in->role = ob_field_str(r, "role");
	in->department = ob_field_str(r, "department");
	in->base_url = r->w->cfg->public_url;
	in->ttl_s = r->w->cfg->invite_ttl_s;
}

int
ob_h_member_invite_form(struct ob_req *r)
{
	struct ob_invite_in in;
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	cJSON *out = NULL;
	int rc, created;

	ob_api_actx(r, &ax);
	invite_in(r, &in);
	rc = ob_invite_create(&ax, r->who.org_id, &in, &out, &created, &f);
	cJSON_Delete(out);
	return form_done(r, rc, &f, "member_invited");
}

/* Resend (resend 1) or revoke the invitation in the path. */
static int
invitation_form(struct ob_req *r, int resend)
{
	struct ob_invite_in in = { 0 };
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t id = ob_num_id(ob_route_param(r, "invitation_id"));
	cJSON *out = NULL;
	int rc;

	ob_api_actx(r, &ax);
	in.base_url = r->w->cfg->public_url;
	in.ttl_s = r->w->cfg->invite_ttl_s;
	if (id == 0)
		rc = ob_fail(&f, OB_FAIL_NOT_FOUND, "invitation_not_found", "invitation_id",
		    "No such open invitation.");
	else if (resend)
		rc = ob_invite_resend(&ax, r->who.org_id, id, &in, &out, &f);
	else
		rc = ob_invite_revoke(&ax, r->who.org_id, id, &f);
	cJSON_Delete(out);
	return form_done(r, rc, &f, resend ? "invitation_resent" : "invitation_revoked");
}

int
ob_h_invitation_resend_form(struct ob_req *r)
{
	return invitation_form(r, 1);
}

int
ob_h_invitation_revoke_form(struct ob_req *r)
{
	return invitation_form(r, 0);
}

static const struct ob_field role_form_rows[] = { ROLE_ROW(OB_FIELD_ABSENT_INVALID) };
const struct ob_fields ob_h_member_role_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, role_form_rows, form_fail);

/* A change to the member in the path: a new role, or (role NULL) removal. */
static int
member_form(struct ob_req *r, const char *role, const char *flash)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t uid = ob_num_id(ob_route_param(r, "user_id"));
	int rc;

	ob_api_actx(r, &ax);
	if (uid == 0)
		rc = ob_fail(&f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id", "No such member.");
	else if (role != NULL)
		rc = ob_member_set_role(&ax, r->who.org_id, uid, role, &f);
	else
		rc = ob_member_remove(&ax, r->who.org_id, uid, &f);
	return form_done(r, rc, &f, flash);
}

int
ob_h_member_role_form(struct ob_req *r)
{
	return member_form(r, ob_field_str(r, "role"), "member_updated");
}

int
ob_h_member_remove_form(struct ob_req *r)
{
	return member_form(r, NULL, "member_removed");
}

int
ob_h_api_members(struct ob_req *r)
{
	cJSON *list = ob_member_list(&r->w->db, r->who.org_id);

	return ob_api_answer(r, list);
}

static const struct ob_field invite_rows[] = {
	EMAIL_ROW(0),
	ROLE_ROW(0),
	DEPARTMENT_ROW,
};
const struct ob_fields ob_h_api_member_invite_fields = OB_FIELDS_TABLE(OB_BODY_JSON, invite_rows, NULL);

/* An invitation: 201 with it, or 200 when an open one was renewed. */
static int
invite_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_invite_in in;
	struct ob_actx ax;
	int created = 0;

	(void)arg;
	ob_api_actx(r, &ax);
	invite_in(r, &in);
	if (ob_invite_create(&ax, r->who.org_id, &in, out, &created, f) != 0)
		return -1;
	*status = created ? 201 : 200;
	return 0;
}

int
ob_h_api_member_invite(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, invite_op);
	return 0;
}

static const struct ob_field api_role_rows[] = { ROLE_ROW(0) };
const struct ob_fields ob_h_api_member_role_fields = OB_FIELDS_TABLE(OB_BODY_JSON, api_role_rows, NULL);

/* The member in the path gets the role in the body (the role rules apply). */
static int
role_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	const char *param = ob_route_param(r, "user_id"), *role = ob_field_str(r, "role");
	int64_t uid = ob_num_id(param);
	struct ob_actx ax;

	(void)arg;
	ob_api_actx(r, &ax);
	if (uid == 0)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id", "No such member.");
	if (ob_member_set_role(&ax, r->who.org_id, uid, role, f) != 0)
		return -1;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "object", "member");
	cJSON_AddStringToObject(*out, "user_id", param);
	cJSON_AddStringToObject(*out, "role", role);
	*status = 200;
	return 0;
}

int
ob_h_api_member_role(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, role_op);
	return 0;
}

int
ob_h_api_invitations(struct ob_req *r)
{
	return ob_api_answer(r, ob_invite_list(&r->w->db, r->who.org_id));
}

/* Resend (arg non-NULL) or revoke the invitation in the path. */
static int
invitation_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	const char *param = ob_route_param(r, "invitation_id");
	int64_t id = ob_num_id(param);
	struct ob_invite_in in = { 0 };
	struct ob_actx ax;

	ob_api_actx(r, &ax);
	in.base_url = r->w->cfg->public_url;
	in.ttl_s = r->w->cfg->invite_ttl_s;
	if (id == 0)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "invitation_not_found", "invitation_id",
		    "No such open invitation.");
	if (arg != NULL)
		return ob_invite_resend(&ax, r->who.org_id, id, &in, out, f) == 0 ?
		    (*status = 200, 0) : -1;
	if (ob_invite_revoke(&ax, r->who.org_id, id, f) != 0)
		return -1;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "object", "invitation");
	cJSON_AddStringToObject(*out, "id", param);
	cJSON_AddStringToObject(*out, "status", "revoked");
	*status = 200;
	return 0;
}

int
ob_h_api_invitation_resend(struct ob_req *r)
{
	static int resend = 1;

	ob_api_idempotent(r, r->who.org_id, 0, invitation_op, &resend);
	return 0;
}

int
ob_h_api_invitation_revoke(struct ob_req *r)
{
	ob_api_idempotent(r, r->who.org_id, 0, invitation_op, NULL);
	return 0;
}

/* A checkbox after its hidden default: "0", or "0" then "1" (the last counts). */
static const struct ob_field visibility_form_rows[] = {
	{ .name = "members_see_billing", .type = OB_FIELD_BOOL },
};
const struct ob_fields ob_h_members_visibility_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, visibility_form_rows, form_fail);

int
ob_h_members_visibility_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int on = ob_field_bool(r, "members_see_billing", 0);
	int rc;

	ob_api_actx(r, &ax);
	rc = ob_org_set_members_see_billing(&ax, r->who.org_id, on, &f);
	if (rc == 0)
		r->who.members_see_billing = on;
	return form_done(r, rc, &f, "member_updated");
}
