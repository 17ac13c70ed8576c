/*
 * Entitlements (entitlement.h): the plan's share of the credits overview.
 */
#include "billing/entitlement.h"
#include "billing/plans.h"
#include "billing/subscription.h"
#include "credits/credits.h"
#include "base/num.h"

#include <stdio.h>

/* Set o's name to item, in place when o has it (keys keep their order). */
static void
put(cJSON *o, const char *name, cJSON *item)
{
	if (!cJSON_ReplaceItemInObjectCaseSensitive(o, name, item))
		cJSON_AddItemToObject(o, name, item);
}

void
ob_entitlement_overview(struct ob_db *db, int64_t org_id, cJSON *overview)
{
	struct ob_sub sub;
	struct ob_plan plan;
	char raw[24], fmt[OB_CREDITS_FMT_LEN];

	if (overview == NULL)
		return;
	if (ob_subscription_load(db, org_id, &sub) != 0 || !ob_subscription_live(&sub) ||
	    ob_plans_get(db, sub.plan, org_id, &plan) != 0 || plan.credits_per_seat < 0)
		return;
	/* Exact integers, as ob_json_add_i64 writes them. */
	ob_num_str(raw, sizeof(raw), plan.credits_per_seat);
	ob_credits_fmt(fmt, plan.credits_per_seat);
	put(overview, "entitlement_per_seat", cJSON_CreateRaw(raw));
	put(overview, "entitlement_per_seat_fmt", cJSON_CreateString(fmt));
}
