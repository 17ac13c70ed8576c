/*
 * Members: the console page and forms, and the API.
 */
#include "fcgi/handlers.h"

#include <stdio.h>
#include <string.h>

#include "fcgi/api.h"
#include "fcgi/authz.h"
#include "fcgi/input.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "base/num.h"

static int
render_members(struct ob_req *r, int status, const struct ob_fail *f)
{
	cJSON *d, *list, *data, *m;
	int i;

	if ((list = ob_member_list(&r->w->db, r->who.org_id)) == NULL)
		return -1;
	d = ob_page_new(r, "Members", "members");
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
	if (f != NULL)
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

int
ob_h_member_invite_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t uid;
	int rc;

	ob_api_actx(r, &ax);
	rc = ob_member_invite(&ax, r->who.org_id, ob_form_get(r, "email"),
	    ob_form_get(r, "role"), ob_form_get(r, "department"), &uid, &f);
	return form_done(r, rc, &f, "member_invited");
}

int
ob_h_member_role_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t uid = ob_num_id(ob_route_param(r, "user_id"));
	int rc;

	ob_api_actx(r, &ax);
	if (uid == 0)
		rc = ob_fail(&f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id", "No such member.");
	else
		rc = ob_member_set_role(&ax, r->who.org_id, uid, ob_form_get(r, "role"), &f);
	return form_done(r, rc, &f, "member_updated");
}

int
ob_h_member_remove_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t uid = ob_num_id(ob_route_param(r, "user_id"));
	int rc;

	ob_api_actx(r, &ax);
	if (uid == 0)
		rc = ob_fail(&f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id", "No such member.");
	else
		rc = ob_member_remove(&ax, r->who.org_id, uid, &f);
	return form_done(r, rc, &f, "member_removed");
}

int
ob_h_api_members(struct ob_req *r)
{
	cJSON *list = ob_member_list(&r->w->db, r->who.org_id);

	return ob_api_answer(r, list);
}

static int
invite_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	const cJSON *body = arg;
	struct ob_actx ax;
	const char *email = ob_api_str(body, "email");
	const char *role = ob_api_str(body, "role");
	int64_t uid;
	char id[24];

	if (email == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "email", "email is required.");
	if (role == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "role", "role is required.");
	ob_api_actx(r, &ax);
	if (ob_member_invite(&ax, r->who.org_id, email, role,
	    ob_api_str(body, "department"), &uid, f) != 0)
		return -1;
	snprintf(id, sizeof(id), "%lld", (long long)uid);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "object", "member");
	cJSON_AddStringToObject(*out, "user_id", id);
	cJSON_AddStringToObject(*out, "email", email);
	cJSON_AddStringToObject(*out, "role", role);
	cJSON_AddStringToObject(*out, "status", "active");
	*status = 201;
	return 0;
}

int
ob_h_api_member_invite(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, invite_op);
	return 0;
}

int
ob_h_members_visibility_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	const char *v = ob_form_get(r, "members_see_billing");
	int rc;

	ob_api_actx(r, &ax);
	rc = ob_org_set_members_see_billing(&ax, r->who.org_id, v != NULL && strcmp(v, "1") == 0, &f);
	if (rc == 0)
		r->who.members_see_billing = v != NULL && strcmp(v, "1") == 0;
	return form_done(r, rc, &f, "member_updated");
}
