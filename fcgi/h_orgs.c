/*
 * The org switcher and the staff console's front page.
 */
#include "fcgi/handlers.h"

#include <stdio.h>
#include <string.h>

#include "identity/audit.h"
#include "fcgi/input.h"
#include "identity/org.h"
#include "identity/sso_session.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "base/num.h"

/* Send the browser to org's SSO sign-in (its short name filled in). */
static int
sso_first(struct ob_req *r, int64_t org)
{
	cJSON *o = ob_org_get(&r->w->db, org);
	const char *slug = cJSON_GetStringValue(cJSON_GetObjectItem(o, "slug"));

	if (o == NULL)
		return -1;
	/* Slugs are lower-case letters, digits and dashes: nothing to escape. */
	ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/sso?who=%s", slug != NULL ? slug : ""));
	cJSON_Delete(o);
	return 0;
}

int
ob_h_org_switch(struct ob_req *r)
{
	int64_t org = ob_num_id(ob_form_get(r, "org_id"));
	struct ob_actx ax = { &r->w->db, &r->who, r->request_id, r->remote_addr, NULL, 0 };
	int sso;

	/* Only an org the user is an active member of; others do not exist. */
	if (ob_member_standing(&r->w->db, org, &r->who) != 0)
		return -1;
	if (r->who.role == OB_ROLE_NONE) {
		ob_worker_error(r, 404, "invalid_request_error", "org_not_found",
		    "No such organization.", "org_id");
		return 0;
	}
	/* An org that requires SSO is reached through its own sign-in. */
	if ((sso = ob_sso_session_allowed(&r->w->db, org, r->who.session_id)) < 0)
		return -1;
	if (sso == 0)
		return sso_first(r, org);
	if (ob_user_switch_org(&ax, org) != 0)
		return -1;
	ob_page_redirect_flash(r, "/", "org_switched");
	return 0;
}

int
ob_h_admin_page(struct ob_req *r)
{
	cJSON *d = ob_page_new(r, "Staff console", "admin");

	ob_page_render(r, 200, "pages/admin", d);
	cJSON_Delete(d);
	return 0;
}
