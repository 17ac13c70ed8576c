/*
 * The console's navigation as the policy allows it: each link names the
 * GET route it opens, and is shown only when the gate would let the
 * request's principal open that route (the route's action through
 * ob_policy_decide, the decision the gate makes for it; a GET stays open
 * in a suspended org). Nobody sees a link that would answer 403 or 404.
 */
#ifndef OB_NAV_H
#define OB_NAV_H

#include <cJSON.h>

#include "fcgi/req.h"

/**
 * Add "nav" (an array of {key, href, label, current, staff}) to page data
 * d: the links r's principal may open, in menu order; current is true for
 * the link whose key is current_key (may be NULL). Also "nav_org" (true
 * when an org link is shown) and "nav_staff" (a staff link is shown).
 */
void ob_nav_add(struct ob_req *r, cJSON *d, const char *current_key);

/**
 * True if r's principal may open the GET route whose pattern is exactly
 * href, as the gate decides by the route's action.
 * A path no GET route has is never allowed.
 */
int ob_nav_may_open(const struct ob_req *r, const char *href);

#endif
