/*
 * Usage analytics handlers (h_analytics.c, docs/ANALYTICS.md): usage by
 * bucket and dimension as JSON or CSV, and the usage forecast. Each returns
 * 0 when r holds the answer, -1 when a dependency failed (503).
 */
#ifndef OB_H_ANALYTICS_H
#define OB_H_ANALYTICS_H

#include "fcgi/fields.h"
#include "fcgi/req.h"

/** GET /api/v1/org-billing/analytics/{org_id}/usage (?format=csv: as usage.csv). */
int ob_h_api_analytics_usage(struct ob_req *r);

/** GET /api/v1/org-billing/analytics/{org_id}/usage.csv: the same rows as CSV. */
int ob_h_api_analytics_usage_csv(struct ob_req *r);

/** The query of both: from, to, group, by, format. */
extern const struct ob_fields ob_h_api_analytics_usage_fields;

/** GET /api/v1/org-billing/analytics/{org_id}/forecast: run-outs and period end. */
int ob_h_api_analytics_forecast(struct ob_req *r);

/** GET /usage: the console's Usage page (30-day chart, its table, the forecast). */
int ob_h_usage_page(struct ob_req *r);

#endif
