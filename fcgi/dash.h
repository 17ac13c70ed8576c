/*
 * The Overview dashboard (docs/CONSOLE.md, "Overview"): one view model for
 * the console's Overview page and its JSON twin, GET
 * /api/v1/org-billing/dashboard/{org_id}. Every section is there only for
 * whom the policy lets see it, decided by ob_authz_can.
 *
 * The pure pieces (the run-out forecast and a usage row against its limit)
 * are here for the unit tests; integers only.
 */
#ifndef OB_DASH_H
#define OB_DASH_H

#include <stdint.h>

#include <cJSON.h>

#include "fcgi/req.h"

/* Fewer observed days than this and the forecast says "not enough data". */
#define OB_DASH_FORECAST_MIN_DAYS 7
/* Forecasts further out than this say "more than" it (ten years). */
#define OB_DASH_FORECAST_MAX_DAYS 3650
/* A limit is "near" from this share used, in percent. */
#define OB_DASH_NEAR_PERCENT 90

enum ob_dash_forecast_status {
	OB_DASH_FC_OK,			/* days_left is the forecast */
	OB_DASH_FC_NOT_ENOUGH_DATA,	/* under OB_DASH_FORECAST_MIN_DAYS observed */
	OB_DASH_FC_NO_USAGE,		/* observed, but nothing used: no run-out */
	OB_DASH_FC_EMPTY,		/* nothing left now */
	OB_DASH_FC_BEYOND,		/* further than OB_DASH_FORECAST_MAX_DAYS */
};

struct ob_dash_forecast {
	enum ob_dash_forecast_status status;
	int days;		/* observed days: from the first day with usage to today */
	int64_t used;		/* credits used in those days */
	int64_t avg_daily;	/* used / days, rounded half up (display only) */
	int64_t days_left;	/* whole days the balance lasts (OB_DASH_FC_OK) */
};

/**
 * The run-out forecast of balance from daily usage (n days, oldest first,
 * the last being today; negative entries count as 0): the observed days
 * run from the first day with usage to today; with fewer than
 * OB_DASH_FORECAST_MIN_DAYS of them there is not enough data; else
 * days_left = floor(balance × days / used), the balance divided by the
 * average daily use without rounding the average first. A balance of 0 or
 * less is OB_DASH_FC_EMPTY whatever the data. Fills *out.
 */
void ob_dash_forecast(int64_t balance, const int64_t *daily, int n,
    struct ob_dash_forecast *out);

/** The status's API name: "ok", "not_enough_data", "no_usage", "empty", "beyond". */
const char *ob_dash_forecast_name(enum ob_dash_forecast_status s);

/**
 * Percent of limit that current is, rounded down (0 when limit <= 0 and
 * current is 0; 100 when limit <= 0 and current > 0); limit < 0 means
 * unlimited: -1.
 */
int ob_dash_percent(int64_t current, int64_t limit);

/**
 * The Overview's view model for r's principal in its org (r->who.org_id),
 * a new object {"object":"dashboard", …} (docs/CONSOLE.md lists its
 * members), or NULL on a database failure.
 */
cJSON *ob_dash_model(struct ob_req *r);

#endif
