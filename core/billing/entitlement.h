/*
 * ob_entitlement: what an org's plan includes, added to the views built
 * below billing. The credits overview (credits/credits.h) knows the pool
 * but not the plan; the plan's included credits per seat come from here.
 */
#ifndef OB_ENTITLEMENT_H
#define OB_ENTITLEMENT_H

#include <stdint.h>

#include <cJSON.h>

#include "base/db.h"

/**
 * Fill in overview's "entitlement_per_seat" and "entitlement_per_seat_fmt"
 * (in place; ob_credits_overview leaves them null and an em dash) with the
 * included credits per seat and period of the plan of org_id's live
 * subscription. Without a live subscription or its plan — or when either
 * cannot be read — overview is left as it is. overview may be NULL.
 */
void ob_entitlement_overview(struct ob_db *db, int64_t org_id, cJSON *overview);

#endif
