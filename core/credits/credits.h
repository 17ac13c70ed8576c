/*
 * ob_credits: an org's prepaid credit pool shared by its members, personal
 * pools, member allocations, metered deductions, extra tasks and the
 * reports built on them (docs/CREDITS.md).
 *
 * Every write is one call of a SQL function (sql/migrations/004_credits.sql)
 * that locks in one fixed order and keeps the balances with the ledger
 * entries in one transaction. The metering path (ob_credits_deduct) is one
 * statement and one round trip: the function is its own idempotency record.
 *
 * Credits are int64_t; nothing here uses floating point.
 */
#ifndef OB_CREDITS_H
#define OB_CREDITS_H

#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "base/db.h"
#include "base/fail.h"
#include "base/num.h"

#define OB_CREDITS_AMOUNT_MAX	1000000000000LL	/* 10^12 per request */
#define OB_CREDITS_SERVICE_MAX	64
#define OB_CREDITS_MODEL_MAX	128
#define OB_CREDITS_METADATA_MAX	4096	/* serialized bytes */
#define OB_CREDITS_REASON_MAX	500
#define OB_CREDITS_REASON_MIN	3	/* staff and operator grants and reversals */
#define OB_CREDITS_RANGE_DAYS	366	/* usage queries: the widest range */

/* A deduction request, parsed and checked (ob_credits_parse_deduct). */
struct ob_credits_deduct_in {
	int64_t org_id;		/* 0: the user's default org, else personal */
	int64_t user_id;
	int64_t amount;
	int64_t api_key_id;	/* 0: none */
	const char *service;	/* borrowed from the parsed body */
	const char *model;	/* NULL: none */
	char *metadata;		/* serialized JSON object or NULL; malloc'd */
	const char *key;	/* the Idempotency-Key */
	char hash_hex[65];	/* request hash, hex */
};

enum ob_credits_status {
	OB_CREDITS_OK,
	OB_CREDITS_INSUFFICIENT_POOL,
	OB_CREDITS_INSUFFICIENT_ALLOCATION,
	OB_CREDITS_NOT_MEMBER,
	OB_CREDITS_IDEMPOTENCY_MISMATCH,
	OB_CREDITS_BUDGET_EXCEEDED,	/* a hard budget above the member (docs/BUDGETS.md) */
};

struct ob_credits_deduct_out {
	enum ob_credits_status status;
	int64_t deduction_id;
	int replayed;
	int has_pool_remaining;
	int64_t pool_remaining;
	int has_allocation;		/* allocation_remaining is meaningful */
	int64_t allocation_remaining;
	int extra_task;
	int64_t org_id;			/* the pool's org (0: personal) */
	char created_at[32];		/* RFC 3339 UTC, "" if none */
	/* OB_CREDITS_BUDGET_EXCEEDED: the budget that refused it. */
	char budget_scope[16];		/* org | department | team | member */
	int64_t budget_id;
	int64_t budget_remaining;	/* credits left in its period */
};

/** True if s is a service name: 1–64 of [a-z0-9_.:-], starting with a letter or digit. */
int ob_credits_service_ok(const char *s);

/**
 * Check a deduct body {"user_id","amount","service","model"?,"metadata"?}
 * into in (strings borrowed from body; in->metadata malloc'd, free with
 * ob_credits_deduct_in_free). Returns 0, or -1 with f set (400).
 */
int ob_credits_parse_deduct(const cJSON *body, struct ob_credits_deduct_in *in,
    struct ob_fail *f);

/** Free what ob_credits_parse_deduct allocated. */
void ob_credits_deduct_in_free(struct ob_credits_deduct_in *in);

/**
 * Run the deduction (one statement). Returns 0 with out filled — out->status
 * says whether it was accepted — or -1 with f set (database failure or
 * invalid input the database refused).
 */
int ob_credits_deduct(struct ob_db *db, const struct ob_credits_deduct_in *in,
    struct ob_credits_deduct_out *out, struct ob_fail *f);

/**
 * The deduction's answer as the API's JSON object (new; caller deletes):
 * {"object":"deduction","deduction_id","replayed","pool_remaining",
 * "allocation_remaining","extra_task","created_at"}.
 */
cJSON *ob_credits_deduct_json(const struct ob_credits_deduct_out *out);

/**
 * Would a deduction of amount for user in org go through? A new object
 * {"sufficient","reason","pool_available","allocation_remaining"}, or NULL
 * with f set (not a member: OB_FAIL_NOT_FOUND; database).
 */
cJSON *ob_credits_check(struct ob_db *db, int64_t org_id, int64_t user_id, int64_t amount,
    struct ob_fail *f);

/* A grant (ob_credits_add). */
struct ob_credits_grant_in {
	int64_t amount;
	const char *source;	/* purchase|manual|promo|rollover (plan: subscriptions) */
	const char *expires_at;	/* RFC 3339 or NULL */
	int priority;		/* -1: default (100) */
	const char *reason;	/* may be NULL */
};

/**
 * Check an add body {"amount","source","expires_at"?,"priority"?,"reason"?}
 * into in (strings borrowed). 0, or -1 with f set. `plan` grants come from
 * subscriptions (ob_credits_grant_plan_period) and are refused here.
 */
int ob_credits_parse_grant(const cJSON *body, struct ob_credits_grant_in *in,
    struct ob_fail *f);

/**
 * The payment path's grant: add a `purchase` grant to org's pool (org_id 0:
 * user_id's personal pool), with an audit row "credits.add", in one
 * transaction. Any other source is refused (400 source_not_allowed): free
 * grants go through ob_credits_grant, plan grants through
 * ob_credits_grant_plan_period. Returns a new object {"object":"credit_grant",
 * "id","amount","source","expires_at","priority","available","granted","used"}
 * or NULL with f set.
 */
cJSON *ob_credits_add(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const struct ob_credits_grant_in *in, struct ob_fail *f);

/** True if reason is OB_CREDITS_REASON_MIN..MAX bytes without control characters. */
int ob_credits_reason_ok(const char *reason);

/**
 * A free grant by staff (ax->as_staff) or an operator (ax->who NULL): source
 * manual, promo or rollover only (purchase and plan: 400 source_not_allowed),
 * in->reason required (ob_credits_reason_ok), org_id an existing org (404
 * org_not_found) or 0 for user_id's personal pool. Audited as
 * "credits.grant" with the reason. The object as ob_credits_add's, or NULL
 * with f set.
 */
cJSON *ob_credits_grant(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const struct ob_credits_grant_in *in, struct ob_fail *f);

/**
 * The plans' share: org's included credits for a period as a `plan` grant
 * expiring at period_end (RFC 3339 timestamps). Idempotent per org and
 * period: *created is 0 when the period's grant already existed. Audited
 * when created. Returns 0 or -1 with f set.
 */
int ob_credits_grant_plan_period(const struct ob_actx *ax, int64_t org_id,
    const char *period_start, const char *period_end, int64_t credits,
    int64_t *grant_id, int *created, struct ob_fail *f);

/**
 * Set user's allocation (limit per period) in org, audited. Returns a new
 * object {"object":"credit_allocation","user_id","limit","used","remaining"}
 * or NULL with f set (not a member: OB_FAIL_NOT_FOUND).
 */
cJSON *ob_credits_allocate(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    int64_t limit, struct ob_fail *f);

/**
 * Remove user's allocation in org, audited ("credits.allocate", the limit
 * before and null after): the member is unlimited again and spends from
 * the pool freely. Removing none is no change (no audit row). Returns a
 * new object {"object":"credit_allocation","user_id","limit":null} or NULL
 * with f set (not an active member: OB_FAIL_NOT_FOUND).
 */
cJSON *ob_credits_unallocate(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    struct ob_fail *f);

/**
 * Bulk allocations from text, one "email, limit" per line (at most 200
 * lines; blank lines and lines starting with '#' skipped): all or nothing,
 * in one transaction. *count receives how many were set. 0 or -1 with f
 * set (the message names the line).
 */
int ob_credits_allocate_bulk(const struct ob_actx *ax, int64_t org_id, const char *text,
    int *count, struct ob_fail *f);

/**
 * Parse one bulk line "email, limit" (spaces around either allowed) into
 * email (at most emaillen-1 bytes) and *limit. Returns 1 for an entry, 0
 * for a blank or comment line, -1 if malformed.
 */
int ob_credits_bulk_line(const char *line, size_t len, char *email, size_t emaillen,
    int64_t *limit);

/**
 * Staff's (or an operator's) reversal of the deduction whose idempotency key
 * is key, with a required reason (ob_credits_reason_ok; 400), at any age;
 * audited "credits.reverse". A second reversal returns the first
 * (*replayed = 1); a reversal's own key ("reversal:<key>") is refused (409
 * reversal_not_reversible). Returns a new object {"object":"reversal",…} or
 * NULL with f set.
 */
cJSON *ob_credits_reverse(const struct ob_actx *ax, int64_t org_id, const char *key,
    const char *reason, int *replayed, struct ob_fail *f);

/**
 * A tenant's reversal: allowed only to the meter API key (ax->who) that made
 * the deduction, and only within window_s seconds of it; else 403
 * reversal_not_allowed (someone else's, or not a key) or
 * reversal_window_passed. reason is optional. Otherwise as
 * ob_credits_reverse.
 */
cJSON *ob_credits_reverse_own(const struct ob_actx *ax, int64_t org_id, const char *key,
    const char *reason, long window_s, int *replayed, struct ob_fail *f);

/**
 * Change org's extra-task setting (audited): allow, and max (-1 unlimited,
 * 0 none, else at most max per period). Returns 0 or -1 with f set.
 */
int ob_credits_settings_set(const struct ob_actx *ax, int64_t org_id, int allow,
    int64_t max, struct ob_fail *f);

/**
 * Org's extra-task usage for the period starting period_start
 * ("YYYY-MM-DD", the credit period's first day; NULL: the current period):
 * tasks and the credits they consumed. For invoicing. 0 or -1.
 */
int ob_credits_extra_usage(struct ob_db *db, int64_t org_id, const char *period_start,
    int64_t *tasks, int64_t *credits);

/**
 * Pool status {"object":"credit_pool","org_id","available","granted","used",
 * "expired","extra_tasks_used","extra_tasks_limit","allow_extra_tasks",
 * "extra_credits_used","members","period_start","active_grants",
 * "next_expiry"}; NULL with db->lasterr set.
 */
cJSON *ob_credits_status(struct ob_db *db, int64_t org_id);

/**
 * A page of allocations (every active member, with or without a limit) with
 * user id above after; only_user > 0 restricts to that member. A list
 * object, or NULL.
 */
cJSON *ob_credits_allocations(struct ob_db *db, int64_t org_id, int64_t after, int limit,
    int64_t only_user);

/** Usage grouping. */
enum ob_credits_group { OB_CREDITS_BY_DAY, OB_CREDITS_BY_USER, OB_CREDITS_BY_SERVICE };

/** "day"|"user"|"service" (NULL: day) → *g; 0, or -1 if unknown. */
int ob_credits_group_parse(const char *s, enum ob_credits_group *g);

/**
 * Check a from/to pair of "YYYY-MM-DD" dates (NULL: the last 30 days
 * ending today, UTC) into from/to (11 bytes each): from <= to, at most
 * OB_CREDITS_RANGE_DAYS days. 0, or -1 with f set.
 */
int ob_credits_range(const char *from_s, const char *to_s, char from[11], char to[11],
    struct ob_fail *f);

/**
 * Usage between from and to (inclusive dates) grouped by g: a list of
 * {"day"|"user_id"|"service", "amount", "count"} (days: every day of the
 * range, zeros included; users and services: the top limit by amount,
 * has_more when there are more). NULL with db->lasterr set.
 */
cJSON *ob_credits_usage(struct ob_db *db, int64_t org_id, const char *from, const char *to,
    enum ob_credits_group g, int limit);

/** Last-30-days metrics of org (org_billing_metrics), or NULL. */
cJSON *ob_credits_metrics(struct ob_db *db, int64_t org_id);

/**
 * The user's credits across their orgs and their personal pool, or NULL. An
 * org that hides billing from members shows its members pool_available null.
 */
cJSON *ob_credits_user_summary(struct ob_db *db, int64_t user_id);

/** The staff view: totals across every org and the top 20 by usage, or NULL. */
cJSON *ob_credits_system(struct ob_db *db);

/**
 * The billing overview (the console's Credits page model): status,
 * metrics, the 30-day chart, top users and services and allocations for
 * managers; for a member (manager 0) only the pool summary and their own
 * allowance. NULL with db->lasterr set. The plan's entitlement per seat is
 * not known at this layer: "entitlement_per_seat" is null (its "_fmt" an
 * em dash) until billing fills it in (ob_entitlement_overview).
 */
cJSON *ob_credits_overview(struct ob_db *db, int64_t org_id, int64_t user_id, int manager);

/** Bytes that hold any int64_t with thousands separators, and its NUL. */
#define OB_CREDITS_FMT_LEN	40

/** v with thousands separators ("1,234,567", "-1,000"), for pages, into out. */
void ob_credits_fmt(char out[OB_CREDITS_FMT_LEN], int64_t v);

/** Add name"_fmt": v as ob_credits_fmt writes it. */
void ob_credits_add_fmt(cJSON *o, const char *name, int64_t v);

/**
 * Recompute every balance from the ledger entries and print each mismatch
 * to out. Returns the number of mismatches (0: consistent), or -1.
 */
int ob_credits_verify(struct ob_db *db, FILE *out);

#endif
