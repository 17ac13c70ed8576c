/*
 * Changes at the period's end: a Stripe Subscription Schedule made from
 * the subscription with two phases (its current items until the period
 * ends, then the new price and seats; end_behavior release), so Stripe
 * itself renews at the new price. The schedule's id and the change are
 * recorded on the subscription row; canceling the change releases the
 * schedule. When Stripe moves the subscription to the new phase, the
 * webhook mirror (subscription_mirror.c) applies it and clears the change.
 */
#include "billing/subscription_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/num.h"
#include "base/row.h"
#include "stripe/client.h"
#include "stripe/form.h"

int
ob_sub_op_done(const struct ob_actx *ax, int64_t org_id, const struct ob_sub_op *op,
    struct ob_sub_answer *ans, struct ob_fail *f)
{
	cJSON *view;

	if ((view = ob_subscription_view(ax->db, org_id)) == NULL)
		return ob_sub_tx_fail(ax, f);
	if (ob_sub_op_record_done(ax, op->id, view, f) != 0) {
		cJSON_Delete(view);
		return -1;
	}
	ans->body = view;
	ans->fail = OB_FAIL_NONE;
	return 0;
}

/* POST path (…/subscription_schedules/ID + tail) with q under key what. */
static int
sched_call(struct ob_stripe *st, const char *sched, const char *tail, const cJSON *q,
    const char *what, int64_t op_id, struct ob_stripe_result *res, int *transient,
    struct ob_fail *f)
{
	struct ob_buf path = { 0 };
	int rc;

	ob_buf_puts(&path, "/v1/subscription_schedules");
	if (sched != NULL) {
		ob_buf_puts(&path, "/");
		ob_stripe_form_escape(&path, sched, strlen(sched));
	}
	ob_buf_puts(&path, tail);
	rc = ob_sub_op_call(st, "POST", path.data, q, what, op_id, res, transient, f);
	ob_buf_free(&path);
	return rc;
}

int
ob_sub_sched_release(struct ob_stripe *st, const struct ob_sub_op *op, int *transient,
    struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	const char *sched = ob_json_str(op->params, "schedule");
	int rc;

	if (sched == NULL || *sched == '\0')
		return 0;
	rc = sched_call(st, sched, "/release", NULL, "schedule-release", op->id, &res,
	    transient, f);
	/* A schedule already released, ended or deleted (Stripe answers 400 or
	 * 404) is gone either way. */
	if (rc != 0 && !*transient && (res.http_status == 400 || res.http_status == 404)) {
		memset(f, 0, sizeof(*f));
		rc = 0;
	}
	ob_stripe_result_clear(&res);
	return rc;
}

/* One phase: price × seats (strings), with start/end (NULL: none). */
static cJSON *
phase(const char *price, const char *seats, const char *start, const char *end)
{
	cJSON *ph = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(ph, "items");
	cJSON *item = cJSON_CreateObject();

	cJSON_AddStringToObject(item, "price", price);
	cJSON_AddStringToObject(item, "quantity", seats);
	cJSON_AddItemToArray(items, item);
	if (start != NULL)
		cJSON_AddStringToObject(ph, "start_date", start);
	if (end != NULL)
		cJSON_AddStringToObject(ph, "end_date", end);
	else
		cJSON_AddStringToObject(ph, "proration_behavior", "none");
	return ph;
}

/*
 * The schedule of a "schedule" operation: made from the subscription when
 * it has none, then given its two phases. *sched: malloc'd id. 0, or -1
 * with f and *transient.
 */
static int
sched_make(struct ob_stripe *st, const struct ob_sub_op *op, char **sched, int *transient,
    struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	const cJSON *p = op->params;
	const char *have = ob_json_str(p, "schedule"), *id;
	cJSON *q, *phases;
	int rc;

	*sched = NULL;
	if (have != NULL && *have != '\0') {
		*sched = strdup(have);
	} else {
		q = cJSON_CreateObject();
		cJSON_AddStringToObject(q, "from_subscription", ob_json_str(p, "subscription"));
		rc = sched_call(st, NULL, "", q, "schedule-create", op->id, &res, transient, f);
		cJSON_Delete(q);
		if (rc == 0 && (id = ob_json_str(res.body, "id")) != NULL)
			*sched = strdup(id);
		ob_stripe_result_clear(&res);
		if (rc != 0)
			return -1;
		if (*sched == NULL) {
			*transient = 1;
			return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "No schedule id.");
		}
	}
	q = cJSON_CreateObject();
	cJSON_AddStringToObject(q, "end_behavior", "release");
	phases = cJSON_AddArrayToObject(q, "phases");
	cJSON_AddItemToArray(phases, phase(ob_json_str(p, "cur_price"), ob_json_str(p, "cur_seats"),
	    ob_json_str(p, "period_start"), ob_json_str(p, "period_end")));
	cJSON_AddItemToArray(phases, phase(ob_json_str(p, "price"), ob_json_str(p, "seats"),
	    NULL, NULL));
	rc = sched_call(st, *sched, "", q, "schedule-update", op->id, &res, transient, f);
	cJSON_Delete(q);
	ob_stripe_result_clear(&res);
	if (rc != 0) {
		free(*sched);
		*sched = NULL;
	}
	return rc;
}

/*
 * Record the outcome: the scheduled change and its schedule (sched NULL:
 * both cleared), one audit row, op done with the view. 0 or -1 with f.
 */
static int
sched_record(const struct ob_actx *ax, int64_t org_id, const struct ob_sub_op *op,
    const char *sched, struct ob_sub_answer *ans, struct ob_fail *f)
{
	char org[24];
	const cJSON *p = op->params;
	const char *sp[4] = { org, NULL, NULL, NULL }, *ip[2] = { org, sched };
	struct ob_sub before, after;
	cJSON *b, *a;
	int rc;

	ob_num_str(org, sizeof(org), org_id);
	if (sched != NULL) {
		sp[1] = ob_json_str(p, "plan");
		sp[2] = ob_json_str(p, "cycle");
		sp[3] = ob_json_str(p, "seats");
	}
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (ob_subscription_load(ax->db, org_id, &before) != 0 ||
	    ob_db_run(ax->db, OB_STMT_SUB_SET_SCHEDULE, sp) != 0 ||
	    ob_db_run(ax->db, OB_STMT_SUB_SET_SCHEDULE_ID, ip) != 0 ||
	    ob_subscription_load(ax->db, org_id, &after) != 0)
		return ob_sub_tx_fail(ax, f);
	b = ob_sub_audit_state(&before);
	a = ob_sub_audit_state(&after);
	rc = ob_audit_write(ax, org_id, sched != NULL ? "subscription.change_scheduled" :
	    "subscription.change_canceled", "subscription", before.subscription, b, a);
	cJSON_Delete(b);
	cJSON_Delete(a);
	if (rc != 0)
		return ob_sub_tx_fail(ax, f);
	return ob_sub_op_done(ax, org_id, op, ans, f);
}

int
ob_sub_sched_exec(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const struct ob_sub_op *op, struct ob_sub_answer *ans, struct ob_fail *f)
{
	char *sched = NULL;
	int transient = 0, rc;

	memset(ans, 0, sizeof(*ans));
	if (strcmp(op->kind, "schedule") == 0)
		rc = sched_make(st, op, &sched, &transient, f);
	else
		rc = ob_sub_sched_release(st, op, &transient, f);
	if (rc == 0) {
		rc = sched_record(ax, org_id, op, sched, ans, f);
		free(sched);
		return rc == 0 ? 0 : -1;
	}
	if (transient)
		return -1;
	ob_sub_op_failed(ax->db, op->id, f);
	return 1;
}
