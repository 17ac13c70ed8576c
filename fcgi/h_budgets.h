/*
 * Budgets handlers (h_budgets.c, h_budgets_page.c): the budgets REST API
 * and the console's Budgets page (docs/BUDGETS.md). Each returns 0 when r
 * holds the answer, -1 when a dependency failed (the worker answers 503).
 */
#ifndef OB_H_BUDGETS_H
#define OB_H_BUDGETS_H

#include "fcgi/fields.h"
#include "fcgi/req.h"

/** GET …/budgets/{org_id}: the org's budgets (members: those above them). */
int ob_h_api_budgets_list(struct ob_req *r);
extern const struct ob_fields ob_h_api_budgets_list_fields;

/** POST …/budgets/{org_id}: create a budget. */
int ob_h_api_budgets_create(struct ob_req *r);
extern const struct ob_fields ob_h_api_budgets_create_fields;

/** PATCH …/budgets/{org_id}/{budget_id}: change or archive a budget. */
int ob_h_api_budgets_update(struct ob_req *r);
extern const struct ob_fields ob_h_api_budgets_update_fields;

/** GET …/budgets/{org_id}/teams: the org's teams. */
int ob_h_api_budgets_teams(struct ob_req *r);

/** POST …/budgets/{org_id}/teams: create a team. */
int ob_h_api_budgets_team_create(struct ob_req *r);
extern const struct ob_fields ob_h_api_budgets_team_create_fields;

/** PUT …/budgets/{org_id}/members/{user_id}/team: put a member in a team (0: none). */
int ob_h_api_budgets_team_assign(struct ob_req *r);
extern const struct ob_fields ob_h_api_budgets_team_assign_fields;

/** PUT …/budgets/{org_id}/members/{user_id}/manager: the department a member manages. */
int ob_h_api_budgets_manager(struct ob_req *r);
extern const struct ob_fields ob_h_api_budgets_manager_fields;

/** PUT …/approvals/{org_id}/settings: the auto-approve amount. */
int ob_h_api_approvals_settings(struct ob_req *r);
extern const struct ob_fields ob_h_api_approvals_settings_fields;

/** GET …/approvals/{org_id}: requests (members: those they made, decided or must decide). */
int ob_h_api_approvals_list(struct ob_req *r);
extern const struct ob_fields ob_h_api_approvals_list_fields;

/** POST …/approvals/{org_id}: ask for a budget exception. */
int ob_h_api_approvals_create(struct ob_req *r);
extern const struct ob_fields ob_h_api_approvals_create_fields;

/** POST …/approvals/{org_id}/{request_id}/approve|reject|cancel. */
int ob_h_api_approvals_approve(struct ob_req *r);
int ob_h_api_approvals_reject(struct ob_req *r);
int ob_h_api_approvals_cancel(struct ob_req *r);
extern const struct ob_fields ob_h_api_approvals_decide_fields;

/** GET /budgets: the Budgets page. */
int ob_h_budgets_page(struct ob_req *r);

/** POST /budgets/new: create a budget (form). */
int ob_h_budgets_new_form(struct ob_req *r);
extern const struct ob_fields ob_h_budgets_new_form_fields;

/** POST /budgets/{budget_id}/edit: change or archive a budget (form). */
int ob_h_budgets_edit_form(struct ob_req *r);
extern const struct ob_fields ob_h_budgets_edit_form_fields;

/** POST /budgets/requests: ask for an exception (form). */
int ob_h_budgets_request_form(struct ob_req *r);
extern const struct ob_fields ob_h_budgets_request_form_fields;

/** POST /budgets/requests/{request_id}/decide: approve, reject or cancel (form). */
int ob_h_budgets_decide_form(struct ob_req *r);
extern const struct ob_fields ob_h_budgets_decide_form_fields;

#endif
