/*
 * Handlers, one file per resource (h_*.c). Each parses and checks its
 * input, calls core, and answers through req.h. They return 0 when r
 * holds the answer, -1 when a dependency failed (the worker answers 503).
 */
#ifndef OB_HANDLERS_H
#define OB_HANDLERS_H

#include "fcgi/fields.h"
#include "fcgi/req.h"

/** GET /healthz: 200 while the process serves. */
int ob_h_healthz(struct ob_req *r);

/** GET /readyz: 200 when the database answers and the schema is current. */
int ob_h_readyz(struct ob_req *r);

/** GET /: the console's Overview (the dashboard, fcgi/dash.h); a landing page for visitors. */
int ob_h_landing(struct ob_req *r);

/** GET /api/v1/org-billing/dashboard/{org_id}: the Overview's view model as JSON (dash.h). */
int ob_h_api_dashboard(struct ob_req *r);

/** GET /login: the sign-in form. */
int ob_h_login_form(struct ob_req *r);

/** POST /login: check the password, start a session. */
int ob_h_login(struct ob_req *r);
extern const struct ob_fields ob_h_login_fields;

/** POST /logout: end the session. */
int ob_h_logout(struct ob_req *r);

/** GET /sso: the "Sign in with SSO" form; POST /sso: off to the org's provider. */
int ob_h_sso_form(struct ob_req *r);
int ob_h_sso_start(struct ob_req *r);

/** GET /sso/link: confirm linking the signed-in account; POST: off to the provider. */
int ob_h_sso_link_form(struct ob_req *r);
int ob_h_sso_link_start(struct ob_req *r);

/**
 * Off to org_id's provider to accept its invitation invitation_id for
 * email (link_user_id: the signed-in invitee, else 0): the hand-off page,
 * or the SSO form with the reason. 0, or -1 on a database failure.
 */
int ob_h_sso_invite_start(struct ob_req *r, int64_t org_id, int64_t invitation_id,
    int64_t link_user_id, const char *email);

/** GET /sso/callback: the provider's answer; a session when it holds. */
int ob_h_sso_callback(struct ob_req *r);

/** GET, PUT, DELETE /api/v1/org-billing/{org_id}/sso: the org's SSO connection. */
int ob_h_api_sso_get(struct ob_req *r);
int ob_h_api_sso_set(struct ob_req *r);
extern const struct ob_fields ob_h_api_sso_set_fields;
int ob_h_api_sso_delete(struct ob_req *r);

/** POST /orgs/switch: choose the console's current org (remembered). */
int ob_h_org_switch(struct ob_req *r);

/*
 * The strict field tables (fields.h, OB_FIELDS_FORM) of console forms whose
 * handlers live in the modules (forms_console.c): /orgs/switch,
 * /seats/assign and /seats/revoke, /credits/allocations, /billing/details,
 * /billing/payment-method.
 */
extern const struct ob_fields ob_h_org_switch_fields;
extern const struct ob_fields ob_h_seats_select_form_fields;
extern const struct ob_fields ob_h_credits_alloc_form_fields;
extern const struct ob_fields ob_h_billing_details_form_fields;
extern const struct ob_fields ob_h_payment_method_form_fields;

/** GET /members: the member list (read-only for members). */
int ob_h_members_page(struct ob_req *r);

/** POST /members/invite, /members/{user_id}/role, /members/{user_id}/remove. */
int ob_h_member_invite_form(struct ob_req *r);
extern const struct ob_fields ob_h_member_invite_form_fields;
int ob_h_member_role_form(struct ob_req *r);
extern const struct ob_fields ob_h_member_role_form_fields;
int ob_h_member_remove_form(struct ob_req *r);

/** POST /members/invitations/{invitation_id}/resend and …/revoke. */
int ob_h_invitation_resend_form(struct ob_req *r);
int ob_h_invitation_revoke_form(struct ob_req *r);

/** GET /invite/{token}: the page an invitation's link opens (no session needed). */
int ob_h_invite_page(struct ob_req *r);

/**
 * POST /invite (the token in the cookie GET /invite/{token} set) or
 * /invite/{token}: accept (a new person sets name and password, or a
 * signed-in user; through the org's SSO when it requires it).
 */
int ob_h_invite_accept(struct ob_req *r);

/** POST /members/visibility: whether members see the billing summary. */
int ob_h_members_visibility_form(struct ob_req *r);
extern const struct ob_fields ob_h_members_visibility_form_fields;

/** GET, POST /api/v1/org-billing/{org_id}/members. */
int ob_h_api_members(struct ob_req *r);
int ob_h_api_member_invite(struct ob_req *r);
extern const struct ob_fields ob_h_api_member_invite_fields;

/** POST /api/v1/org-billing/{org_id}/members/{user_id}/role: change a member's role. */
int ob_h_api_member_role(struct ob_req *r);
extern const struct ob_fields ob_h_api_member_role_fields;

/** GET …/{org_id}/members/invitations; POST …/invitations/{invitation_id}/resend, /revoke. */
int ob_h_api_invitations(struct ob_req *r);
int ob_h_api_invitation_resend(struct ob_req *r);
int ob_h_api_invitation_revoke(struct ob_req *r);

/** GET /api-keys, POST /api-keys, POST /api-keys/{prefix}/revoke. */
int ob_h_apikeys_page(struct ob_req *r);
int ob_h_apikey_create_form(struct ob_req *r);
extern const struct ob_fields ob_h_apikey_create_form_fields;
int ob_h_apikey_revoke_form(struct ob_req *r);

/** GET /api/v1/org-billing/{org_id}/history and GET /activity. */
int ob_h_api_history(struct ob_req *r);
int ob_h_activity_page(struct ob_req *r);

/** GET /admin: the staff console's front page. */
int ob_h_admin_page(struct ob_req *r);

/** POST /stripe/webhook: the webhook receiver. */
int ob_h_stripe_webhook(struct ob_req *r);

#endif
