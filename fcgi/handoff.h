/*
 * The console's hand-off to a Stripe-hosted page (the billing portal):
 * a same-origin page that sends the browser on by a link and a meta
 * refresh, since the CSP's form-action 'self' forbids a form post whose
 * redirect ends at Stripe (docs/SECURITY.md).
 */
#ifndef OB_HANDOFF_H
#define OB_HANDOFF_H
#include "fcgi/req.h"

/**
 * Answer r (a console form's POST) with the hand-off page (200) that
 * takes the browser to url, a Stripe page the server just made; what
 * names it ("the billing portal"), back the console path to offer
 * instead, nav the navigation entry to mark. Always 0.
 */
int ob_handoff_page(struct ob_req *r, const char *url, const char *what, const char *back,
    const char *nav);
#endif
