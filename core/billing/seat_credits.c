/*
 * Seats added mid-period get the plan's per-seat credits prorated for the
 * rest of the period (seats.h, docs/CREDITS.md). The arithmetic and the
 * "already paid for" mark live in the SQL function grant_seat_credits
 * (sql/migrations/009_credit_periods.sql), under the pool's lock.
 */
#include "billing/seats.h"
#include "billing/plans.h"
#include "billing/subscription.h"
#include "base/json.h"
#include "base/row.h"
#include "base/num.h"

#include <string.h>

/* True if the change from before to after adds seats inside one live period. */
static int
adds_seats(const struct ob_sub *before, const struct ob_sub *after, int64_t at)
{
	return ob_subscription_live(after) && before->subscription[0] != '\0' &&
	    strcmp(before->subscription, after->subscription) == 0 &&
	    before->period_start == after->period_start &&
	    before->period_end == after->period_end && after->seats > before->seats &&
	    at >= after->period_start && at < after->period_end;
}

int
ob_seats_grant_added(const struct ob_actx *ax, const struct ob_sub *before,
    const struct ob_sub *after, int64_t at, int64_t *granted, struct ob_fail *f)
{
	char org[24], ps[24], pe[24], now[24], per[24], from[24], to[24], gid[24];
	const char *params[7] = { org, ps, pe, now, per, from, to };
	struct ob_plan p;
	PGresult *res;
	cJSON *after_j;
	int64_t amount;
	int rc;

	if (granted != NULL)
		*granted = 0;
	if (!adds_seats(before, after, at))
		return 0;
	if ((rc = ob_plans_get(ax->db, after->plan, after->org_id, &p)) != 0)
		return rc < 0 ? ob_fail_db(f, ax->db->lasterr) : 0;
	if (p.credits_per_seat <= 0)
		return 0;
	ob_num_str(org, sizeof(org), after->org_id);
	ob_num_str(ps, sizeof(ps), after->period_start);
	ob_num_str(pe, sizeof(pe), after->period_end);
	ob_num_str(now, sizeof(now), at);
	ob_num_str(per, sizeof(per), p.credits_per_seat);
	ob_num_str(from, sizeof(from), before->seats);
	ob_num_str(to, sizeof(to), after->seats);
	if ((res = ob_db_exec(ax->db, OB_STMT_CREDITS_GRANT_SEATS, params, NULL)) == NULL)
		return ob_fail_db(f, ax->db->lasterr);
	amount = ob_row_i64(res, 0, "amount");
	if (!ob_row_bool(res, 0, "created")) {
		PQclear(res);
		return 0;
	}
	ob_num_str(gid, sizeof(gid), ob_row_i64(res, 0, "grant_id"));
	after_j = cJSON_CreateObject();
	cJSON_AddStringToObject(after_j, "source", "seats");
	ob_json_add_i64(after_j, "amount", amount);
	ob_json_add_i64(after_j, "seats_added", ob_row_i64(res, 0, "seats_added"));
	ob_json_add_i64(after_j, "seats", after->seats);
	PQclear(res);
	rc = ob_audit_write(ax, after->org_id, "credits.seat_grant", "credit_grant", gid, NULL,
	    after_j);
	cJSON_Delete(after_j);
	if (rc != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (granted != NULL)
		*granted = amount;
	return 0;
}
