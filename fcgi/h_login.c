/*
 * Signing in and out of the console.
 */
#include "fcgi/handlers.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "identity/audit.h"
#include "identity/auth.h"
#include "fcgi/authz.h"
#include "fcgi/input.h"
#include "base/log.h"
#include "identity/org.h"
#include "identity/sso.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"

#define LOGIN_FAILED "Incorrect email or password."

/* A local path to return to after signing in; anything else becomes "/". */
static const char *
safe_next(const char *next)
{
	size_t i;

	if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
	    strlen(next) > 512)
		return "/";
	for (i = 0; next[i] != '\0'; i++)
		if ((unsigned char)next[i] < 0x21 || next[i] == '\\')
			return "/";
	return next;
}

/* Render the form with a fresh pre-login token (double-submit cookie). */
static int
login_page(struct ob_req *r, int status, const char *email, const char *error)
{
	cJSON *d = ob_page_new(r, "Sign in", NULL);

	ob_page_login_token(r, d);
	cJSON_AddStringToObject(d, "email", email ? email : "");
	cJSON_AddStringToObject(d, "next", safe_next(ob_query_get(r, "next")));
	if (error != NULL)
		ob_page_flash(d, "error", error);
	ob_page_render(r, status, "pages/login", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_login_form(struct ob_req *r)
{
	if (r->who.kind == OB_PRINCIPAL_USER) {
		ob_resp_redirect(r, 303, safe_next(ob_query_get(r, "next")));
		return 0;
	}
	return login_page(r, 200, NULL, NULL);
}

/* Both limits (per account, per IP) must allow; -1 if the DB failed. */
static int
login_allowed(struct ob_req *r, const char *email, long *retry_after)
{
	return ob_authz_login_limit(r, email, retry_after);
}

/* Answer 429 with Retry-After for a sign-in the limits refused. */
static int
login_throttled(struct ob_req *r, const char *email, long retry)
{
	char ra[24];

	snprintf(ra, sizeof(ra), "%ld", retry);
	ob_resp_header(r, "Retry-After", ra);
	return login_page(r, 429, email,
	    "Too many sign-in attempts. Wait a few minutes and try again.");
}

/* The sign-in form's fields refused: the form again (400) with the reason. */
static int
login_fields_failed(struct ob_req *r, const struct ob_fail *f)
{
	return login_page(r, 400, NULL, f->message);
}

/*
 * The sign-in form (strict): the handler checks the form token and the
 * limits first, then the address and password; these rows refuse only
 * what cannot be either.
 */
static const struct ob_field login_rows[] = {
	{ .name = "email", .type = OB_FIELD_STRING, .max = 320, .chars = OB_CHARS_TEXT,
	    .message = LOGIN_FAILED },
	{ .name = "password", .type = OB_FIELD_STRING, .max = 1024, .message = LOGIN_FAILED },
	{ .name = "next", .type = OB_FIELD_STRING, .max = 512, .chars = OB_CHARS_TEXT,
	    .message = "The page to return to is not valid." },
};
const struct ob_fields ob_h_login_fields = OB_FIELDS_FORM(login_rows, login_fields_failed);

int
ob_h_login(struct ob_req *r)
{
	const char *email = ob_form_get(r, "email"), *password = ob_form_get(r, "password");
	const char *token = ob_form_get(r, "login_token");
	const char *cookie = ob_cookie_get(r, OB_LOGIN_COOKIE);
	const char *next = safe_next(ob_form_get(r, "next"));
	struct ob_db *db = &r->w->db;
	char sess[OB_TOKEN_TEXT], hash[crypto_pwhash_STRBYTES], slug[64];
	struct ob_principal who;
	struct ob_actx ax;
	int64_t user_id = 0;
	long retry = 0;
	int ok, allowed, sso;

	if (!ob_authz_origin_ok(r) || cookie == NULL || !ob_auth_streq(cookie, token))
		return login_page(r, 403, email, "The sign-in form expired; please try again.");
	if (email == NULL || password == NULL || strlen(email) > 320 || strlen(password) > 1024)
		return login_page(r, 400, NULL, LOGIN_FAILED);
	allowed = login_allowed(r, email, &retry);
	if (allowed < 0)
		return -1;
	if (!allowed)
		return login_throttled(r, email, retry);
	if (ob_user_credentials(db, email, &user_id, hash, sizeof(hash)) < 0)
		return -1;
	ok = ob_auth_password_verify(hash, password);
	if (!ok || user_id == 0) {
		ob_log(OB_LOG_INFO, "login_failed", "request %s", r->request_id);
		return login_page(r, 401, email, LOGIN_FAILED);
	}
	/* A member of an org that requires single sign-on signs in there
	 * (docs/SSO.md): any such org is enough. Said only after the password
	 * held, so it tells nothing to someone guessing. */
	if ((sso = ob_sso_required_for(db, user_id, slug, sizeof(slug))) != 0) {
		if (sso < 0)
			return -1;
		ob_log(OB_LOG_INFO, "login_sso_required", "request %s", r->request_id);
		return login_page(r, 403, email, ob_arena_printf(r->a,
		    "Your organization (%s) requires single sign-on: use \"Sign in with SSO\".",
		    slug));
	}
	/* No fixation: whatever session the browser had ends here. */
	cookie = ob_cookie_get(r, OB_SESSION_COOKIE);
	if (cookie != NULL && ob_auth_session_delete(db, cookie) != 0)
		return -1;
	memset(&who, 0, sizeof(who));
	who.kind = OB_PRINCIPAL_USER;
	who.user_id = user_id;
	memset(&ax, 0, sizeof(ax));
	ax.db = db;
	ax.who = &who;
	ax.request_id = r->request_id;
	ax.ip = r->remote_addr;
	if (ob_user_login(&ax, user_id, r->w->cfg->session_max_s,
	    ob_header(r, "HTTP_USER_AGENT"), sess) != 0)
		return -1;
	ob_authz_set_session_cookie(r, sess, r->w->cfg->session_max_s);
	sodium_memzero(sess, sizeof(sess));
	ob_resp_header(r, "Set-Cookie",
	    OB_LOGIN_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
	ob_resp_redirect(r, 303, next);
	return 0;
}

int
ob_h_logout(struct ob_req *r)
{
	const char *cookie = ob_cookie_get(r, OB_SESSION_COOKIE);

	if (cookie != NULL && ob_auth_session_delete(&r->w->db, cookie) != 0)
		return -1;
	ob_authz_set_session_cookie(r, "", 0);
	ob_page_redirect_flash(r, "/login", "signed_out");
	return 0;
}
