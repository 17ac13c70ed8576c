/*
 * The console's shared view model: what the layout needs on every page
 * (title, navigation, signed-in user, org switcher, CSRF token, flash).
 */
#ifndef OB_PAGE_H
#define OB_PAGE_H

#include <stddef.h>

#include <cJSON.h>

#include "fcgi/req.h"

/**
 * A new page data object for r: title, version, nav_<key> = true, the
 * user, their orgs, csrf, is_staff, and a flash message from ?flash=code.
 * Never NULL; the caller adds its own fields, renders, and deletes it.
 */
cJSON *ob_page_new(struct ob_req *r, const char *title, const char *nav_key);

/** Render data through template name (status 200 unless told); its UTC times get *_on and *_utc texts (fcgi/when.h). */
void ob_page_render(struct ob_req *r, int status, const char *name, cJSON *data);

/** Add a flash message {kind, message} to a page's data. */
void ob_page_flash(cJSON *data, const char *kind, const char *message);

/** A flash message a form's outcome code stands for (a fixed table: links cannot make us say anything). */
struct ob_page_flash_msg {
	const char *code, *kind, *message;
};

/** Flash the message of code (NULL: none) from msgs (n rows) on page data d. */
void ob_page_flash_code(cJSON *d, const char *code, const struct ob_page_flash_msg *msgs, size_t n);

/**
 * A fresh pre-login token on a sign-in form's page data d ("login_token")
 * and in its double-submit cookie (OB_LOGIN_COOKIE, an hour): the sign-in,
 * SSO and invitation forms, which run before there is a session.
 */
void ob_page_login_token(struct ob_req *r, cJSON *d);

/**
 * A fresh one-time key for a form that changes something, as "idem" in
 * page data d: rendered in a hidden field and sent back as the operation's
 * Idempotency-Key, so the same form submitted twice acts once.
 */
void ob_page_form_key(cJSON *d);

/** A list page's next_cursor: the last item's id when list says it has more. */
void ob_page_next_cursor(cJSON *d, const cJSON *list);

/**
 * Answer status with the console's error page (pages/error): code and
 * message, the layout with the session when there is one (user menu, org
 * switcher, the navigation the policy allows) — identified here if the
 * gate never ran — a way back (the overview, and the previous page when
 * the Referer is ours), and for an anonymous visitor a sign-in link that
 * returns here. A 5xx page shows no session (the database may be down).
 */
void ob_page_error(struct ob_req *r, int status, const char *code, const char *message);

/** Redirect (303) to path with ?flash=code (a known flash code). */
void ob_page_redirect_flash(struct ob_req *r, const char *path, const char *code);

#endif
