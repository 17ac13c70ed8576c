/*
 * Feature flags (migration 034): rules global, per plan and per org, each
 * on for a percentage of orgs by a stable hash of the org id. The most
 * specific rule wins (org > plan > global); no rule: off. Workers read the
 * rules through a per-process cache of OB_FLAGS_TTL seconds. docs/ADMIN.md,
 * "Feature flags".
 */
#ifndef OB_FLAGS_H
#define OB_FLAGS_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "base/db.h"
#include "base/fail.h"
#include "identity/audit.h"

#define OB_FLAGS_TTL 5
#define OB_FLAGS_MAX 256

/** One rule: scope "global" (target ""), "plan" (a plan code) or "org" (an org id). */
struct ob_flag_rule {
	char flag[64], scope[8], target[65];
	int enabled, percent;
};

/** The org's bucket for flag, 0 to 99: FNV-1a (32 bits) of "flag:org_id", mod 100. */
unsigned ob_flags_bucket(const char *flag, int64_t org_id);

/**
 * Whether flag is on for org_id (0: no org) on plan (NULL or "": none)
 * under rules (n): the org's rule, else the plan's, else the global one;
 * a rule is on when enabled and percent is 100, or the org's bucket is
 * below percent (never for no org). No rule: off.
 */
int ob_flags_decide(const struct ob_flag_rule *rules, size_t n, const char *flag,
    int64_t org_id, const char *plan);

/**
 * ob_flags_decide over the cached rules (reloaded when older than
 * OB_FLAGS_TTL seconds) and org_id's subscription plan. Off when the rules
 * cannot be read.
 */
int ob_flags_enabled(struct ob_db *db, const char *flag, int64_t org_id);

/** Forget the cache (this process reads the rules afresh next time). */
void ob_flags_invalidate(void);

/** Every rule as a new array of objects, or NULL on a database failure. */
cJSON *ob_flags_list(struct ob_db *db);

/** Whether flag is on for org_id now, read afresh (no cache). 1, 0, or -1. */
int ob_flags_check(struct ob_db *db, const char *flag, int64_t org_id);

/**
 * Set rule r (remove: delete it) as staff in one transaction, audited as
 * flag.set or flag.remove with the reason in ax. 0, or -1 with f
 * (OB_FAIL_INVALID for a malformed rule or an org rule for no such org).
 */
int ob_flags_set(const struct ob_actx *ax, const struct ob_flag_rule *r, int remove,
    struct ob_fail *f);

#endif
