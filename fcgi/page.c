#include "fcgi/page.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "fcgi/authz.h"
#include "fcgi/input.h"
#include "fcgi/nav.h"
#include "identity/auth.h"
#include "identity/org.h"
#include "identity/sso_session.h"
#include "fcgi/when.h"
#include "fcgi/worker.h"

/* Flash codes that may be named in a redirect's ?flash= (never free text,
 * so nobody can make the console say something through a link). */
static const struct ob_page_flash_msg flashes[] = {
	{ "signed_out", "success", "You have signed out." },
	{ "member_invited", "success", "Member invited: the invitation e-mail is on its way." },
	{ "invitation_resent", "success", "Invitation sent again with a new link." },
	{ "invitation_revoked", "success", "Invitation withdrawn." },
	{ "invitation_accepted", "success", "Welcome: you have joined the organization." },
	{ "member_updated", "success", "Member updated." },
	{ "member_removed", "success", "Member removed." },
	{ "key_revoked", "success", "API key revoked." },
	{ "org_switched", "success", "Organization switched." },
	{ "session_expired", "warning", "Your session ended; please sign in again." },
};

void
ob_page_flash(cJSON *data, const char *kind, const char *message)
{
	cJSON *arr = cJSON_GetObjectItem(data, "flash"), *f;

	if (arr == NULL)
		arr = cJSON_AddArrayToObject(data, "flash");
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "kind", kind);
	cJSON_AddStringToObject(f, "message", message);
	cJSON_AddBoolToObject(f, "is_error", strcmp(kind, "error") == 0);
	cJSON_AddItemToArray(arr, f);
}

cJSON *
ob_page_new(struct ob_req *r, const char *title, const char *nav_key)
{
	cJSON *d = cJSON_CreateObject(), *user, *orgs;
	const char *code = ob_query_get(r, "flash");
	char nav[64];
	size_t i;

	cJSON_AddStringToObject(d, "title", title);
	cJSON_AddStringToObject(d, "version", OB_VERSION);
	if (nav_key != NULL) {
		snprintf(nav, sizeof(nav), "nav_%s", nav_key);
		cJSON_AddBoolToObject(d, nav, 1);
	}
	if (r->who.kind == OB_PRINCIPAL_USER) {
		/* Public pages did not resolve the user's standing in their
		 * current org; the header shows it, so do it here. */
		if (r->who.org_id == 0 && r->who.session_org_id != 0) {
			if (ob_member_standing(&r->w->db, r->who.session_org_id, &r->who) != 0)
				r->who.org_id = 0;
			/* The gate's single sign-on rule (authz.c sso_gate) for
			 * the standing resolved here: a session an org that
			 * requires SSO would refuse sees none of that org (no
			 * dashboard, links, name) on public and error pages. */
			else if (r->who.role != OB_ROLE_NONE && ob_sso_session_allowed(&r->w->db,
			    r->who.org_id, r->who.session_id) != 1) {
				r->who.org_id = 0;
				r->who.session_org_id = 0;
				r->who.role = OB_ROLE_NONE;
			}
		}
		user = cJSON_AddObjectToObject(d, "user");
		cJSON_AddStringToObject(user, "email", r->who.email);
		cJSON_AddStringToObject(user, "name", r->who.name[0] ? r->who.name : r->who.email);
		cJSON_AddBoolToObject(d, "is_staff", r->who.is_staff);
		cJSON_AddStringToObject(d, "csrf", r->csrf);
		if (r->who.role != OB_ROLE_NONE) {
			cJSON_AddStringToObject(d, "role", ob_role_name(r->who.role));
			/* Dunning: a banner on every page of the org's console. */
			if (strcmp(r->who.billing_state, "past_due") == 0)
				cJSON_AddBoolToObject(d, "billing_past_due", 1);
			else if (strcmp(r->who.billing_state, "restricted") == 0)
				cJSON_AddBoolToObject(d, "billing_restricted", 1);
			else if (strcmp(r->who.billing_state, "suspended") == 0)
				cJSON_AddBoolToObject(d, "billing_suspended", 1);
			else if (r->who.org_suspended)
				cJSON_AddBoolToObject(d, "org_suspended", 1);
			/* Suspended: every action the gate would refuse is
			 * hidden or disabled (templates test org_read_only). */
			if (ob_authz_org_read_only(r))
				cJSON_AddBoolToObject(d, "org_read_only", 1);
		}
		orgs = ob_user_orgs(&r->w->db, r->who.user_id,
		    r->who.org_id ? r->who.org_id : r->who.session_org_id);
		if (orgs != NULL) {
			cJSON_AddBoolToObject(d, "has_orgs", cJSON_GetArraySize(orgs) > 0);
			cJSON_AddItemToObject(d, "orgs", orgs);
			for (i = 0; i < (size_t)cJSON_GetArraySize(orgs); i++) {
				cJSON *o = cJSON_GetArrayItem(orgs, (int)i);

				if (cJSON_IsTrue(cJSON_GetObjectItem(o, "current")))
					cJSON_AddStringToObject(d, "org_name",
					    cJSON_GetObjectItem(o, "name")->valuestring);
			}
		}
	}
	ob_nav_add(r, d, nav_key);
	ob_page_flash_code(d, code, flashes, sizeof(flashes) / sizeof(flashes[0]));
	return d;
}

void
ob_page_flash_code(cJSON *d, const char *code, const struct ob_page_flash_msg *msgs, size_t n)
{
	size_t i;

	for (i = 0; code != NULL && i < n; i++)
		if (strcmp(code, msgs[i].code) == 0)
			ob_page_flash(d, msgs[i].kind, msgs[i].message);
}

void
ob_page_login_token(struct ob_req *r, cJSON *d)
{
	unsigned char raw[OB_TOKEN_BYTES];
	char token[OB_TOKEN_TEXT], cookie[160];

	ob_auth_token_new(raw, token);
	snprintf(cookie, sizeof(cookie),
	    "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=3600",
	    OB_LOGIN_COOKIE, token);
	ob_resp_header(r, "Set-Cookie", cookie);
	cJSON_AddStringToObject(d, "login_token", token);
}

void
ob_page_form_key(cJSON *d)
{
	unsigned char rnd[16];
	char hex[40];
	int i;

	randombytes_buf(rnd, sizeof(rnd));
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	cJSON_AddStringToObject(d, "idem", hex);
}

void
ob_page_next_cursor(cJSON *d, const cJSON *list)
{
	const cJSON *data = cJSON_GetObjectItem(list, "data");
	const char *id;

	if (!cJSON_IsTrue(cJSON_GetObjectItem(list, "has_more")))
		return;
	id = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(data,
	    cJSON_GetArraySize(data) - 1), "id"));
	if (id != NULL)
		cJSON_AddStringToObject(d, "next_cursor", id);
}

void
ob_page_render(struct ob_req *r, int status, const char *name, cJSON *data)
{
	ob_when_decorate(data);
	ob_worker_render(r, status, name, data);
}

void
ob_page_redirect_flash(struct ob_req *r, const char *path, const char *code)
{
	ob_resp_redirect(r, 303, ob_arena_printf(r->a, "%s?flash=%s", path, code));
}

/* A same-origin path to go back to, from the Referer: "" if it is not ours. */
static const char *
back_path(struct ob_req *r)
{
	const char *ref = ob_header(r, "HTTP_REFERER"), *pub = r->w->cfg->public_url, *p;
	size_t n;

	if (ref == NULL || pub == NULL || (p = strstr(pub, "://")) == NULL)
		return "";
	/* The public URL's scheme://host[:port]; the Referer must start with it and a '/'. */
	p = strchr(p + 3, '/');
	n = p != NULL ? (size_t)(p - pub) : strlen(pub);
	if (strncmp(ref, pub, n) != 0 || ref[n] != '/' || ref[n + 1] == '/')
		return "";
	ref += n;
	/* Not this page again, nothing a browser could read as another host
	 * ("/\\host"), no control characters. */
	if (strcmp(ref, r->uri != NULL ? r->uri : "") == 0 || strlen(ref) > 512 ||
	    strpbrk(ref, "\\\t\r\n") != NULL)
		return "";
	return ref;
}

void
ob_page_error(struct ob_req *r, int status, const char *code, const char *message)
{
	cJSON *d;
	const char *back;

	/* A page the gate never reached (no such route, wrong method) still
	 * knows who is asking; not when the database is failing (5xx), nor
	 * for a rate limit's 429 (no database work for a flood). */
	if (status < 500 && status != 429 && r->who.kind == OB_PRINCIPAL_ANON && !r->has_session)
		ob_authz_soft_identify(r);
	/* An org that requires single sign-on shows none of its links to a
	 * session the gate refused for that reason. */
	if (strcmp(code, "sso_required") == 0) {
		r->who.org_id = 0;
		r->who.session_org_id = 0;
		r->who.role = OB_ROLE_NONE;
	}
	if (status >= 500) {
		memset(&r->who, 0, sizeof(r->who));
		r->who.kind = OB_PRINCIPAL_ANON;
	}
	d = ob_page_new(r, "Error", NULL);
	cJSON_AddNumberToObject(d, "status", status);
	cJSON_AddStringToObject(d, "code", code);
	cJSON_AddStringToObject(d, "message", message);
	back = back_path(r);
	if (*back != '\0')
		cJSON_AddStringToObject(d, "back", back);
	if (r->path != NULL && strlen(r->path) <= 512)
		cJSON_AddStringToObject(d, "next", r->path);
	ob_page_render(r, status, "pages/error", d);
	cJSON_Delete(d);
}
