/*
 * The console's shared view model: what the layout needs on every page
 * (title, navigation, signed-in user, org switcher, CSRF token, flash).
 */
#ifndef OB_PAGE_H
#define OB_PAGE_H

#include <cJSON.h>

#include "fcgi/req.h"

/**
 * A new page data object for r: title, version, nav_<key> = true, the
 * user, their orgs, csrf, is_staff, and a flash message from ?flash=code.
 * Never NULL; the caller adds its own fields, renders, and deletes it.
 */
cJSON *ob_page_new(struct ob_req *r, const char *title, const char *nav_key);

/** Render data through template name (status 200 unless told). */
void ob_page_render(struct ob_req *r, int status, const char *name, cJSON *data);

/** Add a flash message {kind, message} to a page's data. */
void ob_page_flash(cJSON *data, const char *kind, const char *message);

/** Redirect (303) to path with ?flash=code (a known flash code). */
void ob_page_redirect_flash(struct ob_req *r, const char *path, const char *code);

#endif
