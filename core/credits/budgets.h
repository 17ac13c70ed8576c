/*
 * ob_budget: spending budgets per scope (org, department, team, member)
 * and calendar period, and the teams inside departments (docs/BUDGETS.md).
 * The metering call enforces them (deduct_credits, 025_budgets.sql); this
 * module writes and reads them. Every write is one transaction with its
 * audit row. Credits and money are int64_t; nothing here uses floating
 * point.
 */
#ifndef OB_BUDGETS_H
#define OB_BUDGETS_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "base/db.h"
#include "base/fail.h"

#define OB_BUDGET_CREDITS_MAX	1000000000000000LL	/* 10^15 credits */
#define OB_BUDGET_MINOR_MAX	1000000000000LL		/* 10^12 minor units */
#define OB_BUDGET_NAME_MAX	100
#define OB_BUDGET_THRESHOLDS_MAX 5

/* A budget to create, or the changes to one (NULL / has_* 0: unchanged). */
struct ob_budget_in {
	const char *scope;		/* create: org | department | team | member */
	const char *department;		/* scope department */
	int64_t team_id;		/* scope team */
	int64_t user_id;		/* scope member */
	const char *period;		/* create: monthly | quarterly | annual */
	const char *mode;		/* soft | hard */
	int has_credits;
	int64_t amount_credits;
	int has_minor;
	int64_t amount_minor;
	const char *thresholds;		/* "75,90,100" */
	const char *name;
	const char *status;		/* update: active | archived */
};

/**
 * The limit in credits of a budget of amount_credits (has_credits) and/or
 * amount_minor (has_minor) at price_per_1000 minor units per 1000 credits:
 * money converts rounding DOWN (floor(minor × 1000 / price)), and with both
 * the smaller counts. -1 when neither is given or price_per_1000 < 1.
 */
int64_t ob_budget_limit(int has_credits, int64_t credits, int has_minor, int64_t minor,
    int64_t price_per_1000);

/**
 * Normalize a threshold list "90, 75,100" into out as "75,90,100"
 * (ascending, no repeats, 1 to 5 values from 1 to 100). 0, or -1.
 */
int ob_budget_thresholds(const char *s, char *out, size_t len);

/**
 * An org's budgets ({"object":"list","data":[budget…]}) with status
 * (active, archived or all) and, when member_id is not 0, only the
 * budgets above that member. NULL with f set on a database failure.
 */
cJSON *ob_budget_list(struct ob_db *db, int64_t org_id, const char *status, int64_t member_id,
    struct ob_fail *f);

/**
 * Create a budget of org (its period opened with what the scope spent so
 * far), audited as budget.create. The new budget object, or NULL with f
 * (invalid input, member or team not found, one already active: conflict).
 */
cJSON *ob_budget_create(const struct ob_actx *ax, int64_t org_id, const struct ob_budget_in *in,
    struct ob_fail *f);

/**
 * Change budget_id of org: mode, amount (any amount given replaces both),
 * thresholds, name, status (archive / restore), audited as budget.update
 * with before and after. A limit below what is spent is allowed (the
 * answer shows over_limit). The budget object, or NULL with f.
 */
cJSON *ob_budget_update(const struct ob_actx *ax, int64_t org_id, int64_t budget_id,
    const struct ob_budget_in *in, struct ob_fail *f);

/** An org's teams as a list object, or NULL with f. */
cJSON *ob_budget_teams(struct ob_db *db, int64_t org_id, struct ob_fail *f);

/** Create a team in department ("" none) of org, audited (team.create). The team, or NULL with f. */
cJSON *ob_budget_team_create(const struct ob_actx *ax, int64_t org_id, const char *department,
    const char *name, struct ob_fail *f);

/**
 * Put member user_id of org in team_id (0: no team; below 0: not given —
 * 404 for a non-member, else 400), audited
 * (team.assign). The team must be of the member's department. The
 * membership's team as an object, or NULL with f.
 */
cJSON *ob_budget_team_assign(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    int64_t team_id, struct ob_fail *f);

/**
 * Make member user_id of org the manager of department ("" : none; NULL:
 * not given — 404 for a non-member, else 400), the
 * department-manager role of approval chains; audited (member.manages).
 * {"object":"department_manager","user_id","manages"}, or NULL with f.
 */
cJSON *ob_budget_manager_set(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *department, struct ob_fail *f);

/* ---- approvals (approvals.c) ---- */

#define OB_APPROVAL_REASON_MIN	3
#define OB_APPROVAL_REASON_MAX	500
#define OB_APPROVAL_AMOUNT_MAX	1000000000000LL	/* credits per request */

/**
 * Ask for an exception on budget_id of org as user: kind "increase" (the
 * budget's limit rises) or "one_off" (an allowance to spend past it in the
 * period), amount credits, reason. own: the budget must be above the user
 * (members). Routed through the org's chain (docs/BUDGETS.md); audited
 * (budget_request.create). The request object, or NULL with f.
 */
cJSON *ob_approval_create(const struct ob_actx *ax, int64_t org_id, int64_t user_id, int own,
    int64_t budget_id, const char *kind, int64_t amount, const char *reason, struct ob_fail *f);

/**
 * Decide request_id of org as user: decision "approve", "reject" (the
 * current step's approver, never the requester) or "cancel" (the
 * requester), with comment (may be NULL; reject needs one). Audited
 * (budget_request.<decision>). The request object, or NULL with f
 * (not found 404, not pending 409, not this user's to decide 403).
 */
cJSON *ob_approval_decide(const struct ob_actx *ax, int64_t org_id, int64_t request_id,
    int64_t user_id, const char *decision, const char *comment, struct ob_fail *f);

/**
 * Requests of org as a list object, newest first, at most limit: all when
 * member_id is 0, else those the member made, decided or must decide;
 * status: pending, approved, rejected, canceled or all. viewer_id says
 * whose may_decide each row shows. NULL with f on a database failure.
 */
cJSON *ob_approval_list(struct ob_db *db, int64_t org_id, int64_t member_id, int64_t viewer_id,
    const char *status, int limit, struct ob_fail *f);

/**
 * Set org's auto-approve amount (minor units; requests at or below it are
 * approved at once; 0: never); audited (approvals.settings). The settings
 * object, or NULL with f.
 */
cJSON *ob_approval_settings_set(const struct ob_actx *ax, int64_t org_id, int64_t minor,
    struct ob_fail *f);

#endif
