/*
 * The staff console's operations pages (action OB_ACT_STAFF): revenue
 * (h_ops_revenue.c), system health (h_ops_health.c) and feature flags
 * (h_ops_flags.c). Each page has a JSON twin under /admin/api/ built from
 * the same view model.
 */
#ifndef OB_H_OPS_H
#define OB_H_OPS_H

#include "fcgi/fields.h"
#include "fcgi/req.h"

/** An error in the shape the path expects: JSON under /admin/api/, else a page. */
void ob_h_ops_error(struct ob_req *r, int status, const char *code, const char *message,
    const char *param);

/** GET /admin/revenue: MRR and its movements per month (?currency, to=YYYY-MM, months). */
int ob_h_ops_revenue_page(struct ob_req *r);

/** GET /admin/api/revenue: the revenue page's view model as JSON. */
int ob_h_ops_revenue_api(struct ob_req *r);

/** GET /admin/revenue.csv: the same months as CSV (gated by flag ops.revenue_csv). */
int ob_h_ops_revenue_csv(struct ob_req *r);

/** GET /admin/health: queues, database, workers, version and schema. */
int ob_h_ops_health_page(struct ob_req *r);

/** GET /admin/api/health: the health page's view model as JSON. */
int ob_h_ops_health_api(struct ob_req *r);

/** GET /admin/flags: the flag rules, the form, and ?flag=&org_id= checked. */
int ob_h_ops_flags_page(struct ob_req *r);

/** GET /admin/api/flags: the rules (and the check) as JSON. */
int ob_h_ops_flags_api(struct ob_req *r);

/** POST /admin/flags: set or remove a rule (flag, scope, target, state, percent, reason). */
int ob_h_ops_flags_set(struct ob_req *r);
extern const struct ob_fields ob_h_ops_flags_set_fields;

#endif
