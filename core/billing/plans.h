/*
 * ob_plans: the plan catalogue (sql/migrations/005_billing.sql), its
 * prices per cycle, limits, and the matching Stripe products and prices.
 * See docs/BILLING.md.
 */
#ifndef OB_PLANS_H
#define OB_PLANS_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "base/db.h"
#include "base/fail.h"

struct ob_stripe;

#define OB_PLAN_UNLIMITED	(-1)

/* The resources a plan limits (ob_plans_limit). */
enum ob_resource {
	OB_RES_USERS,
	OB_RES_AGENTS,
	OB_RES_EXECUTIONS,	/* per calendar month (UTC) */
	OB_RES_STORAGE_MB,
	OB_RES_GATEWAYS,
	OB_RES__MAX
};

/* One plan as it applies to one org (Enterprise: the org's overrides). */
struct ob_plan {
	char code[32];
	char name[64];
	int tier;			/* order: a higher tier is an upgrade */
	char pricing[16];		/* free, per_user, per_seat, custom */
	char currency[4];
	int64_t price_month;		/* per seat, minor units; -1: not priced */
	int64_t price_year;		/* per seat per year; -1: not priced */
	int64_t limits[OB_RES__MAX];	/* OB_PLAN_UNLIMITED or the limit */
	int64_t contacts_per_agent;	/* OB_PLAN_UNLIMITED or the limit */
	int64_t credits_per_seat;	/* included credits per seat per period */
	int trial_days;
	int self_serve;
};

/**
 * The annual price per seat from the monthly one: monthly × 12 × (100 −
 * discount_pct) / 100, rounded once, half away from zero. -1 when monthly
 * is negative or discount_pct outside 0..100.
 */
int64_t ob_plans_annual_price(int64_t monthly, int discount_pct);

/** The resource's API name ("users", "agents", …), or NULL. */
const char *ob_plans_resource_name(enum ob_resource r);

/** The resource named s; -1 if none. */
int ob_plans_resource_parse(const char *s);

/** True if cycle is "month" or "year". */
int ob_plans_cycle_ok(const char *cycle);

/** The plan's price per seat for cycle ("month"/"year"); -1 if not priced. */
int64_t ob_plans_price(const struct ob_plan *p, const char *cycle);

/**
 * Load plan code as it applies to org_id (0: the public catalogue). Returns
 * 0, 1 when there is no such plan, or -1 on a database failure.
 */
int ob_plans_get(struct ob_db *db, const char *code, int64_t org_id, struct ob_plan *p);

/** The plan as a JSON object (prices per cycle, limits, credits). */
cJSON *ob_plans_json(const struct ob_plan *p);

/** The public catalogue as a list object; NULL on a database failure. */
cJSON *ob_plans_list(struct ob_db *db);

/**
 * The Stripe price id for (plan, cycle) for org_id, into price_id (len >=
 * 64): found by its lookup key, else the product and price are created
 * (idempotency keys derived from the lookup key, so concurrent or repeated
 * runs make one). The id is remembered in plan_stripe_prices. Returns 0, or
 * -1 with f set (plan not priced, Stripe or database failure).
 */
int ob_plans_stripe_price(struct ob_db *db, struct ob_stripe *st, const struct ob_plan *p,
    const char *cycle, int64_t org_id, char *price_id, size_t len, struct ob_fail *f);

/**
 * Map a failed Stripe request to f: card errors are payment failures
 * (OB_FAIL_PAYMENT "payment_failed"), other definitive refusals upstream
 * failures "stripe_rejected", the rest (network, 5xx, 429, 409 after
 * retries) upstream failures "stripe_unavailable". Returns -1.
 */
struct ob_stripe_result;
int ob_plans_stripe_fail(const struct ob_stripe_result *res, struct ob_fail *f);

/** True if the outcome leaves it unknown whether Stripe applied the request. */
int ob_plans_stripe_transient(const struct ob_stripe_result *res);

/**
 * `orgbill stripe sync-catalog`: make sure every priced public plan has its
 * Stripe product (named as ours) and a price per cycle. *report receives a
 * list of {plan, cycle, lookup_key, price}. 0, or -1 with f set.
 */
int ob_plans_sync_catalog(struct ob_db *db, struct ob_stripe *st, cJSON **report,
    struct ob_fail *f);

/**
 * Record usage reported by the product for today (UTC): levels in set[]
 * (agents, storage_mb, gateways; -1: not reported; users are counted from
 * licenses and cannot be set) and add_executions added to the day's count.
 * Runs in the caller's transaction (the API's idempotency envelope). *out
 * receives {object:"usage", day totals}. 0 or -1 with f.
 */
int ob_plans_usage_report(struct ob_db *db, int64_t org_id, const int64_t set[OB_RES__MAX],
    int64_t add_executions, cJSON **out, struct ob_fail *f);

/**
 * Would adding quantity of resource stay within the org's plan? *out
 * receives {object:"limit_check", resource, requested, current, limit (null:
 * unlimited), remaining, allowed}. Without a live subscription the Free
 * plan's limits apply; users are bounded by purchased seats too (unless
 * automatic seat increase is on). 0 or -1 with f.
 */
int ob_plans_limit_check(struct ob_db *db, int64_t org_id, enum ob_resource resource,
    int64_t quantity, cJSON **out, struct ob_fail *f);

/**
 * Every limit with its current use and the last days of usage history (at
 * most days), for the console and GET /limits/{org_id}. NULL on failure.
 */
cJSON *ob_plans_usage_view(struct ob_db *db, int64_t org_id, int days);

#endif
