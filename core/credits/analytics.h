/*
 * ob_analytics: an org's credit usage by bucket and dimension, and the
 * forecasts built on it (docs/ANALYTICS.md). Read only; statements in
 * core/credits/stmt_analytics.def, the method in forecast.h.
 */
#ifndef OB_ANALYTICS_H
#define OB_ANALYTICS_H

#include <stdint.h>

#include <cJSON.h>

#include "base/db.h"

#define OB_ANALYTICS_ROWS_MAX	5000	/* usage rows per answer; more: has_more */
#define OB_ANALYTICS_HISTORY	56	/* days of history a forecast reads */
#define OB_ANALYTICS_ALLOCS_MAX	100	/* allocations forecast per answer */

/* What usage is broken down by (besides the bucket). */
enum ob_analytics_by {
	OB_ANALYTICS_BY_NONE,
	OB_ANALYTICS_BY_MEMBER,
	OB_ANALYTICS_BY_SERVICE,
	OB_ANALYTICS_BY_MODEL,
	OB_ANALYTICS_BY_DEPARTMENT,
};

/**
 * by from its name (member, service, model, department; NULL: none).
 * 0, or -1 for another name.
 */
int ob_analytics_by_parse(const char *s, enum ob_analytics_by *by);

/** The name of by ("" for none). */
const char *ob_analytics_by_name(enum ob_analytics_by by);

/**
 * Org org_id's net credits used per bucket (group: day, week or month; a
 * week starts on Monday and a bucket is named by its first day) from
 * from to to (YYYY-MM-DD, both included, checked by the caller), broken
 * down by by: {"object":"list","data":[{bucket, key, label, credits}],
 * "has_more", from, to, group, by}, ordered by bucket then key, buckets
 * without usage left out. NULL on a database failure.
 */
cJSON *ob_analytics_usage(struct ob_db *db, int64_t org_id, const char *from, const char *to,
    const char *group, enum ob_analytics_by by);

/**
 * The forecast of org org_id's usage: the pool's run-out, each allocation's
 * run-out within the period, the period-end total (docs/ANALYTICS.md for the
 * fields). NULL on a database failure.
 */
cJSON *ob_analytics_forecast(struct ob_db *db, int64_t org_id);

#endif
