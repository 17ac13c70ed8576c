/*
 * Single sign-on (docs/SSO.md): the "Sign in with SSO" form, the redirect
 * to the org's provider, the callback, and the API that configures an
 * org's connection.
 */
#include "fcgi/handlers.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/log.h"
#include "fcgi/api.h"
#include "fcgi/authz.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "identity/auth.h"
#include "identity/org.h"
#include "identity/sso.h"
#include "identity/sso_login.h"
#include "identity/sso_session.h"

/* The browser's copy of the state: sent back only to our own pages. */
#define SSO_COOKIE "__Host-ob_sso"

/* The form, with a fresh pre-login token (double-submit cookie) and a message. */
static int
sso_page(struct ob_req *r, int status, const char *who, const char *error)
{
	cJSON *d = ob_page_new(r, "Sign in with SSO", NULL);

	ob_page_login_token(r, d);
	cJSON_AddStringToObject(d, "who", who ? who : "");
	if (error != NULL)
		ob_page_flash(d, "error", error);
	ob_page_render(r, status, "pages/sso", d);
	cJSON_Delete(d);
	return 0;
}

/* A refused sign-in as the form with the reason; -1 for a database failure. */
static int
sso_failed(struct ob_req *r, const char *who, const struct ob_fail *f)
{
	if (f->kind == OB_FAIL_DB)
		return -1;
	ob_log(OB_LOG_INFO, "sso_refused", "request %s: %s", r->request_id,
	    f->code ? f->code : "");
	return sso_page(r, ob_api_fail_status(f->kind), who, f->message);
}

int
ob_h_sso_form(struct ob_req *r)
{
	return sso_page(r, 200, ob_query_get(r, "who"), NULL);
}

/* Our callback's address, from the configured public URL. */
static const char *
redirect_uri(struct ob_req *r)
{
	return ob_arena_printf(r->a, "%s/sso/callback", r->w->cfg->public_url);
}

/* The state's cookie and the page that moves on to the provider; frees url. */
static void
handoff(struct ob_req *r, const char *state, struct ob_buf *url)
{
	char set[200];
	cJSON *d;

	/* Lax: the provider sends the browser back with a top-level GET. */
	snprintf(set, sizeof(set), "%s=%s; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=%d",
	    SSO_COOKIE, state, OB_SSO_LOGIN_TTL_S);
	ob_resp_header(r, "Set-Cookie", set);
	/* A page that moves on by itself, not a redirect: the console's CSP
	 * (form-action 'self') would stop a form's redirect to another origin. */
	d = ob_page_new(r, "Sign in with SSO", NULL);
	cJSON_AddStringToObject(d, "url", url->data);
	ob_page_render(r, 200, "pages/sso_handoff", d);
	cJSON_Delete(d);
	ob_buf_free(url);
}

int
ob_h_sso_start(struct ob_req *r)
{
	const char *who = ob_form_get(r, "who"), *token = ob_form_get(r, "login_token");
	const char *cookie = ob_cookie_get(r, OB_LOGIN_COOKIE);
	struct ob_buf url = OB_BUF_INIT;
	struct ob_fail f = { 0 };
	char state[OB_TOKEN_TEXT], set[200];
	int64_t org_id = 0;
	long retry = 0;
	int rc;

	if (!ob_authz_origin_ok(r) || cookie == NULL || !ob_auth_streq(cookie, token))
		return sso_page(r, 403, who, "The sign-in form expired; please try again.");
	if (who == NULL || *who == '\0' || strlen(who) > 320)
		return sso_page(r, 400, NULL, "Enter your work e-mail address or your organization's "
		    "short name.");
	if ((rc = ob_authz_login_limit(r, who, &retry)) <= 0) {
		if (rc < 0)
			return -1;
		snprintf(set, sizeof(set), "%ld", retry);
		ob_resp_header(r, "Retry-After", set);
		return sso_page(r, 429, who,
		    "Too many sign-in attempts. Wait a few minutes and try again.");
	}
	if ((rc = ob_sso_conn_find(&r->w->db, who, &org_id)) < 0)
		return -1;
	if (rc == 0)
		return sso_page(r, 404, who, "No organization signs in with single sign-on for this "
		    "address or name. Sign in with your password instead.");
	if (ob_sso_begin(&r->w->db, org_id, 0, redirect_uri(r), who, "/", &url, state, &f) != 0) {
		ob_buf_free(&url);
		return sso_failed(r, who, &f);
	}
	handoff(r, state, &url);
	return 0;
}

int
ob_h_sso_invite_start(struct ob_req *r, int64_t org_id, int64_t invitation_id,
    int64_t link_user_id, const char *email)
{
	struct ob_buf url = OB_BUF_INIT;
	struct ob_fail f = { 0 };
	char state[OB_TOKEN_TEXT];

	if (ob_sso_begin_invite(&r->w->db, org_id, invitation_id, link_user_id, redirect_uri(r),
	    email, &url, state, &f) != 0) {
		ob_buf_free(&url);
		return sso_failed(r, email, &f);
	}
	handoff(r, state, &url);
	return 0;
}

/* GET /sso/link: the signed-in user confirms linking their account to the
 * single sign-on of the org named by ?who= (short name or work e-mail). */
int
ob_h_sso_link_form(struct ob_req *r)
{
	const char *who = ob_query_get(r, "who");
	cJSON *d = ob_page_new(r, "Link your account to single sign-on", NULL);

	cJSON_AddStringToObject(d, "who", who ? who : "");
	ob_page_render(r, 200, "pages/sso_link", d);
	cJSON_Delete(d);
	return 0;
}

/* POST /sso/link: off to the org's provider; its answer links the account. */
int
ob_h_sso_link_start(struct ob_req *r)
{
	const char *who = ob_form_get(r, "who");
	struct ob_buf url = OB_BUF_INIT;
	struct ob_fail f = { 0 };
	char state[OB_TOKEN_TEXT];
	int64_t org_id = 0;
	int rc;

	if (who == NULL || *who == '\0' || strlen(who) > 320)
		return sso_page(r, 400, NULL, "Enter your work e-mail address or your organization's "
		    "short name.");
	if ((rc = ob_sso_conn_find(&r->w->db, who, &org_id)) < 0)
		return -1;
	if (rc == 0)
		return sso_page(r, 404, who, "No organization signs in with single sign-on for this "
		    "address or name.");
	if (ob_sso_begin(&r->w->db, org_id, r->who.user_id, redirect_uri(r), NULL, "/", &url,
	    state, &f) != 0) {
		ob_buf_free(&url);
		return sso_failed(r, who, &f);
	}
	handoff(r, state, &url);
	return 0;
}

/* Start the session for a finished sign-in and go on. */
static int
sso_session(struct ob_req *r, const struct ob_sso_result *res)
{
	const char *old = ob_cookie_get(r, OB_SESSION_COOKIE);
	struct ob_principal who;
	struct ob_actx ax;
	char sess[OB_TOKEN_TEXT];

	/* No fixation: whatever session the browser had ends here. */
	if (old != NULL && ob_auth_session_delete(&r->w->db, old) != 0)
		return -1;
	memset(&who, 0, sizeof(who));
	who.kind = OB_PRINCIPAL_USER;
	who.user_id = res->user_id;
	memset(&ax, 0, sizeof(ax));
	ax.db = &r->w->db;
	ax.who = &who;
	ax.request_id = r->request_id;
	ax.ip = r->remote_addr;
	if (ob_user_login(&ax, res->user_id, r->w->cfg->session_max_s,
	    ob_header(r, "HTTP_USER_AGENT"), sess) != 0)
		return -1;
	/* This session speaks for the org's connection (SSO required). */
	if (ob_sso_session_mark(&r->w->db, sess, res->org_id) != 0) {
		sodium_memzero(sess, sizeof(sess));
		return -1;
	}
	ob_authz_set_session_cookie(r, sess, r->w->cfg->session_max_s);
	sodium_memzero(sess, sizeof(sess));
	ob_resp_redirect(r, 303, res->next[0] == '/' && res->next[1] != '/' ? res->next : "/");
	return 0;
}

int
ob_h_sso_callback(struct ob_req *r)
{
	const char *error = ob_query_get(r, "error"), *state = ob_query_get(r, "state");
	struct ob_sso_result res;
	struct ob_fail f = { 0 };
	struct ob_actx ax;

	/* The state is good once, whatever happens now. */
	ob_resp_header(r, "Set-Cookie",
	    SSO_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0");
	if (error != NULL) {
		ob_log(OB_LOG_INFO, "sso_provider_error", "request %s: %.64s", r->request_id, error);
		return sso_page(r, 400, NULL,
		    "The identity provider did not sign you in. Try again, or ask your administrator.");
	}
	if (state == NULL)
		return sso_page(r, 400, NULL, "This sign-in link is not valid. Start signing in again.");
	ob_api_actx(r, &ax);
	if (ob_sso_finish(&ax, r->w->cfg->sso_key, r->has_session ? r->who.user_id : 0, state,
	    ob_cookie_get(r, SSO_COOKIE), ob_query_get(r, "iss"), ob_query_get(r, "code"),
	    redirect_uri(r), &res, &f) != 0)
		return sso_failed(r, NULL, &f);
	/* An invitation this sign-in accepted is done with. */
	if (ob_cookie_get(r, "__Host-ob_invite") != NULL)
		ob_resp_header(r, "Set-Cookie",
		    "__Host-ob_invite=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0");
	return sso_session(r, &res);
}

/* ---- the API: GET, PUT, DELETE /api/v1/org-billing/{org_id}/sso ---------- */

static cJSON *
conn_json(const struct ob_sso_conn *c)
{
	cJSON *o = cJSON_CreateObject(), *doms = NULL;
	char d[256];
	const char *p = c->domains;
	size_t n;

	cJSON_AddStringToObject(o, "object", "sso_connection");
	cJSON_AddStringToObject(o, "issuer", c->issuer);
	cJSON_AddStringToObject(o, "client_id", c->client_id);
	cJSON_AddBoolToObject(o, "client_secret_set", 1);
	doms = cJSON_AddArrayToObject(o, "allowed_domains");
	while (*p != '\0') {
		n = strcspn(p, ",");
		snprintf(d, sizeof(d), "%.*s", (int)n, p);
		cJSON_AddItemToArray(doms, cJSON_CreateString(d));
		p += n;
		if (*p == ',')
			p++;
	}
	cJSON_AddBoolToObject(o, "sso_required", c->required);
	/* Only these route sign-ins and admit new accounts (operator-verified). */
	doms = cJSON_AddArrayToObject(o, "verified_domains");
	for (p = c->verified; *p != '\0';) {
		n = strcspn(p, ",");
		snprintf(d, sizeof(d), "%.*s", (int)n, p);
		cJSON_AddItemToArray(doms, cJSON_CreateString(d));
		p += n;
		if (*p == ',')
			p++;
	}
	return o;
}

int
ob_h_api_sso_get(struct ob_req *r)
{
	struct ob_sso_conn c;
	struct ob_fail f = { 0 };
	int rc;

	if ((rc = ob_sso_conn_get(&r->w->db, NULL, r->who.org_id, &c)) < 0)
		return -1;
	if (rc == 0) {
		ob_fail(&f, OB_FAIL_NOT_FOUND, "resource_missing", NULL,
		    "This organization has no single sign-on connection.");
		return ob_api_failed(r, &f);
	}
	return ob_api_answer(r, conn_json(&c));
}

static const struct ob_field sso_set_rows[] = {
	{ .name = "issuer", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED, .min = 9,
	  .max = 500, .chars = OB_CHARS_TEXT },
	{ .name = "client_id", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED, .min = 1,
	  .max = 255, .chars = OB_CHARS_TEXT },
	{ .name = "client_secret", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED,
	  .min = 1, .max = 500, .chars = OB_CHARS_TEXT },
	{ .name = "allowed_domains", .type = OB_FIELD_LIST, .min = 0, .max = OB_SSO_MAX_DOMAINS },
	{ .name = "sso_required", .type = OB_FIELD_BOOL },
};
const struct ob_fields ob_h_api_sso_set_fields = OB_FIELDS_TABLE(OB_BODY_JSON, sso_set_rows, NULL);

int
ob_h_api_sso_set(struct ob_req *r)
{
	const cJSON *doms = ob_field_json(r, "allowed_domains"), *d;
	struct ob_sso_conn c;
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	size_t used = 0;

	memset(&c, 0, sizeof(c));
	snprintf(c.issuer, sizeof(c.issuer), "%s", ob_field_str(r, "issuer"));
	snprintf(c.client_id, sizeof(c.client_id), "%s", ob_field_str(r, "client_id"));
	snprintf(c.client_secret, sizeof(c.client_secret), "%s", ob_field_str(r, "client_secret"));
	/* The list travels to core as a comma list: a comma inside an item is refused. */
	cJSON_ArrayForEach(d, doms) {
		if (!cJSON_IsString(d) || strchr(d->valuestring, ',') != NULL ||
		    used + strlen(d->valuestring) + 2 > sizeof(c.domains)) {
			ob_fail(&f, OB_FAIL_INVALID, "parameter_invalid", "allowed_domains",
			    "allowed_domains must be e-mail domains such as example.com.");
			return ob_api_failed(r, &f);
		}
		used += (size_t)snprintf(c.domains + used, sizeof(c.domains) - used, "%s%s",
		    used ? "," : "", d->valuestring);
	}
	c.required = ob_field_bool(r, "sso_required", 0);
	ob_api_actx(r, &ax);
	if (ob_sso_conn_set(&ax, r->w->cfg->sso_key, r->who.org_id, &c, &f) != 0) {
		sodium_memzero(c.client_secret, sizeof(c.client_secret));
		return ob_api_failed(r, &f);
	}
	sodium_memzero(c.client_secret, sizeof(c.client_secret));
	if (ob_sso_conn_get(&r->w->db, NULL, r->who.org_id, &c) <= 0)
		return -1;
	return ob_api_answer(r, conn_json(&c));
}

int
ob_h_api_sso_delete(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	cJSON *o;

	ob_api_actx(r, &ax);
	if (ob_sso_conn_delete(&ax, r->who.org_id, &f) != 0)
		return ob_api_failed(r, &f);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "sso_connection");
	cJSON_AddBoolToObject(o, "deleted", 1);
	return ob_api_answer(r, o);
}
