/*
 * The page an invitation's link opens, and accepting it (identity/invite.h).
 * The link's first GET trades the token in its path for a short-lived
 * cookie and sends the browser on to /invite, so the token leaves the
 * address bar (and history, bookmarks, screenshots); the page and its
 * forms read the cookie, and accepting clears it. No session is needed: a
 * new person sets a name and password and is signed in; someone with an
 * account signs in first and accepts; an org that requires single sign-on
 * is joined through its provider's sign-in, which then accepts. The access
 * log writes the route's pattern for /invite/{token} instead of the path.
 */
#include "fcgi/handlers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "fcgi/api.h"
#include "fcgi/authz.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "identity/auth.h"
#include "identity/invite.h"
#include "identity/org.h"
#include "identity/sso_session.h"

#define INVITE_COOKIE	"__Host-ob_invite"
#define INVITE_COOKIE_S	1800	/* how long an opened link waits for the form */
#define INVITE_CLEAR	INVITE_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"

/* The HTTP status of a refused link or acceptance. */
static int
fail_status(const struct ob_fail *f)
{
	if (f->code != NULL && (strcmp(f->code, "invitation_used") == 0 ||
	    strcmp(f->code, "invitation_revoked") == 0 || strcmp(f->code, "invitation_expired") == 0))
		return 410;
	return ob_api_fail_status(f->kind);
}

/*
 * Render the page for token's invitation v; f (may be NULL) is a refusal
 * to show. The form shown depends on who is looking.
 */
static int
render(struct ob_req *r, int status, const struct ob_invite_view *v, const struct ob_fail *f)
{
	cJSON *d = ob_page_new(r, "Invitation", NULL);
	int sso = v->state == OB_INVITE_OPEN && ob_sso_org_required(&r->w->db, v->org_id) != 0;

	if (v->state != OB_INVITE_OPEN) {
		cJSON_AddStringToObject(d, "heading", "This invitation cannot be used");
		cJSON_AddStringToObject(d, "problem", f != NULL ? f->message : "");
		goto out;
	}
	cJSON_AddStringToObject(d, "heading", "Join an organization");
	cJSON_AddBoolToObject(d, "open", 1);
	cJSON_AddStringToObject(d, "org_name", v->org_name);
	cJSON_AddStringToObject(d, "role", v->role);
	if (f != NULL)
		cJSON_AddStringToObject(d, "problem", f->message);
	if (r->who.kind == OB_PRINCIPAL_USER) {
		if (strcasecmp(r->who.email, v->email) == 0) {
			cJSON_AddBoolToObject(d, sso ? "sso_accept" : "accept", 1);
		} else if (f == NULL) {
			status = 403;
			cJSON_AddStringToObject(d, "problem", "This invitation was sent to another "
			    "e-mail address. Sign out, then open the link again and sign in with "
			    "the invited address.");
		}
	} else if (sso) {
		/* No password for an org that requires SSO: its provider's sign-in. */
		cJSON_AddBoolToObject(d, "sso_only", 1);
		cJSON_AddStringToObject(d, "email", v->email);
		ob_page_login_token(r, d);
	} else if (v->has_account) {
		/* Signing in comes back to /invite, which finds the token in the cookie. */
		cJSON_AddBoolToObject(d, "sign_in", 1);
	} else {
		cJSON_AddBoolToObject(d, "new_person", 1);
		cJSON_AddStringToObject(d, "email", v->email);
		ob_page_login_token(r, d);
	}
out:
	ob_page_render(r, status, "pages/invite", d);
	cJSON_Delete(d);
	return 0;
}

/* The page for token: 200, or the refusal (404, 410). */
static int
invite_page(struct ob_req *r, const char *token)
{
	struct ob_invite_view v;
	struct ob_fail f = { 0 };

	if (ob_invite_find(&r->w->db, token, &v) != 0)
		return -1;
	if (v.state != OB_INVITE_OPEN) {
		ob_invite_state_fail(v.state, &f);
		return render(r, fail_status(&f), &v, &f);
	}
	return render(r, 200, &v, NULL);
}

int
ob_h_invite_page(struct ob_req *r)
{
	const char *token = ob_route_param(r, "token");
	unsigned char raw[OB_TOKEN_BYTES];
	char cookie[200];

	/* GET /invite: the page, the token in the cookie. */
	if (token == NULL) {
		token = ob_cookie_get(r, INVITE_COOKIE);
		return invite_page(r, token != NULL ? token : "");
	}
	/* Not a token at all: no cookie, the refusal at once. */
	if (ob_auth_token_decode(token, raw) != 0)
		return invite_page(r, "");
	sodium_memzero(raw, sizeof(raw));
	/* GET /invite/{token}: the token into the cookie, out of the address bar. */
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=%d",
	    INVITE_COOKIE, token, INVITE_COOKIE_S);
	ob_resp_header(r, "Set-Cookie", cookie);
	ob_resp_redirect(r, 303, "/invite");
	return 0;
}

/* A refused acceptance: the page again with the reason (or 503 on a database failure). */
static int
accept_failed(struct ob_req *r, const char *token, const struct ob_fail *f)
{
	struct ob_invite_view v;

	if (f->kind == OB_FAIL_DB)
		return -1;
	if (ob_invite_find(&r->w->db, token, &v) != 0)
		return -1;
	return render(r, fail_status(f), &v, f);
}

/* The signed-in user accepts; their console switches to the org. */
static int
accept_signed_in(struct ob_req *r, const char *token)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	int64_t org_id = 0;

	if (!ob_authz_origin_ok(r) || !ob_auth_csrf_ok(r->session_raw, ob_form_get(r, "csrf"))) {
		ob_fail(&f, OB_FAIL_FORBIDDEN, "csrf_failed", NULL,
		    "The form expired; reload the page and try again.");
		return accept_failed(r, token, &f);
	}
	ob_api_actx(r, &ax);
	if (ob_invite_accept_user(&ax, token, &org_id, &f) != 0)
		return accept_failed(r, token, &f);
	if (ob_user_switch_org(&ax, org_id) != 0)
		return -1;
	ob_resp_header(r, "Set-Cookie", INVITE_CLEAR);
	ob_page_redirect_flash(r, "/", "invitation_accepted");
	return 0;
}

/* -1 with f when token's org requires SSO (no password is set for it). */
static int
sso_only(struct ob_req *r, const char *token, struct ob_fail *f)
{
	struct ob_invite_view v;

	if (ob_invite_find(&r->w->db, token, &v) != 0)
		return ob_fail(f, OB_FAIL_DB, NULL, NULL, "database");
	if (v.state != OB_INVITE_OPEN || ob_sso_org_required(&r->w->db, v.org_id) == 0)
		return 0;
	return ob_fail(f, OB_FAIL_FORBIDDEN, "sso_required", NULL,
	    "This organization requires single sign-on: join through its identity provider.");
}

/* A new person: their account, membership and a session. */
static int
accept_new(struct ob_req *r, const char *token)
{
	const char *cookie = ob_cookie_get(r, OB_LOGIN_COOKIE);
	char sess[OB_TOKEN_TEXT];
	struct ob_principal who;
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	int64_t user_id = 0, org_id = 0;

	if (!ob_authz_origin_ok(r) || cookie == NULL ||
	    !ob_auth_streq(cookie, ob_form_get(r, "login_token") ? ob_form_get(r, "login_token") : "")) {
		ob_fail(&f, OB_FAIL_FORBIDDEN, "csrf_failed", NULL,
		    "The form expired; please try again.");
		return accept_failed(r, token, &f);
	}
	if (sso_only(r, token, &f) != 0)
		return accept_failed(r, token, &f);
	ob_api_actx(r, &ax);
	if (ob_invite_accept_new(&ax, token, ob_form_get(r, "name"), ob_form_get(r, "password"),
	    &user_id, &org_id, &f) != 0)
		return accept_failed(r, token, &f);
	memset(&who, 0, sizeof(who));
	who.kind = OB_PRINCIPAL_USER;
	who.user_id = user_id;
	ax.who = &who;
	if (ob_user_login(&ax, user_id, r->w->cfg->session_max_s, ob_header(r, "HTTP_USER_AGENT"),
	    sess) != 0)
		return -1;
	ob_authz_set_session_cookie(r, sess, r->w->cfg->session_max_s);
	sodium_memzero(sess, sizeof(sess));
	ob_resp_header(r, "Set-Cookie",
	    OB_LOGIN_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
	ob_resp_header(r, "Set-Cookie", INVITE_CLEAR);
	ob_page_redirect_flash(r, "/", "invitation_accepted");
	return 0;
}

/*
 * An org that requires single sign-on: off to its provider, whose answer
 * accepts the invitation v (identity/sso_login.h). The form's token is
 * checked as for the other acceptances; a signed-in person must be the
 * invited address, and their account is linked to the provider's identity.
 */
static int
accept_sso(struct ob_req *r, const char *token, const struct ob_invite_view *v)
{
	const char *cookie = ob_cookie_get(r, OB_LOGIN_COOKIE), *lt = ob_form_get(r, "login_token");
	struct ob_fail f = { 0 };
	int64_t link = 0;
	int ok;

	if (r->has_session)
		ok = ob_auth_csrf_ok(r->session_raw, ob_form_get(r, "csrf"));
	else
		ok = cookie != NULL && ob_auth_streq(cookie, lt != NULL ? lt : "");
	if (!ob_authz_origin_ok(r) || !ok) {
		ob_fail(&f, OB_FAIL_FORBIDDEN, "csrf_failed", NULL,
		    "The form expired; reload the page and try again.");
		return accept_failed(r, token, &f);
	}
	if (r->has_session && r->who.kind == OB_PRINCIPAL_USER) {
		if (strcasecmp(r->who.email, v->email) != 0) {
			ob_fail(&f, OB_FAIL_FORBIDDEN, "invitation_other_email", NULL,
			    "This invitation was sent to another e-mail address. Sign out, then "
			    "open the link again.");
			return accept_failed(r, token, &f);
		}
		link = r->who.user_id;
	}
	return ob_h_sso_invite_start(r, v->org_id, v->id, link, v->email);
}

int
ob_h_invite_accept(struct ob_req *r)
{
	const char *token = ob_route_param(r, "token");
	struct ob_invite_view v;

	/* POST /invite: the token in the cookie the link's GET set. */
	if (token == NULL)
		token = ob_cookie_get(r, INVITE_COOKIE);
	if (token == NULL)
		token = "";
	if (ob_invite_find(&r->w->db, token, &v) != 0)
		return -1;
	/* A password for such an org is refused by accept_new (sso_required). */
	if (v.state == OB_INVITE_OPEN && ob_form_get(r, "password") == NULL &&
	    ob_sso_org_required(&r->w->db, v.org_id) != 0)
		return accept_sso(r, token, &v);
	if (r->has_session)
		return accept_signed_in(r, token);
	return accept_new(r, token);
}
