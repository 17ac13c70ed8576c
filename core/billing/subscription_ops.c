/*
 * The operation queue (billing_operations): one change per org at a time
 * under an advisory lock; each operation's ONE Stripe call, keyed by the
 * operation's id so retries replay; Stripe's answer applied and the
 * operation finished with the answer given, or finished failed, or left
 * pending when the outcome is unknown. Pending operations are finished by
 * the org's next change or by ob_subscription_reconcile. Changes at the
 * period's end are Subscription Schedules (subscription_schedule.c).
 */
#include "billing/subscription_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/row.h"
#include "stripe/client.h"
#include "stripe/form.h"
#include "base/num.h"

/*
 * A finished operation records its outcome in outcome_kind: 0 when done,
 * else the enum ob_fail_kind of the refusal, so these values are stored
 * data and must not move (the column's CHECK allows 0 to 8).
 */
_Static_assert(OB_FAIL_NONE == 0 && OB_FAIL_INVALID == 1 && OB_FAIL_FORBIDDEN == 2 &&
    OB_FAIL_NOT_FOUND == 3 && OB_FAIL_CONFLICT == 4 && OB_FAIL_IDEMPOTENCY == 5 &&
    OB_FAIL_PAYMENT == 6 && OB_FAIL_UPSTREAM == 7 && OB_FAIL_DB == 8,
    "billing_operations.outcome_kind stores enum ob_fail_kind values");

enum ob_fail_kind
ob_sub_op_outcome(int64_t stored)
{
	if (stored > OB_FAIL_NONE && stored <= OB_FAIL_DB)
		return (enum ob_fail_kind)stored;
	return OB_FAIL_NONE;
}

int
ob_sub_op_record_done(const struct ob_actx *ax, int64_t op_id, const cJSON *view,
    struct ob_fail *f)
{
	const char *params[4];
	char id[24], *txt = cJSON_PrintUnformatted(view);
	int rc;

	params[0] = ob_num_str(id, sizeof(id), op_id);
	params[1] = "done";
	params[2] = "0";	/* OB_FAIL_NONE */
	params[3] = txt;
	rc = ob_db_run(ax->db, OB_STMT_BOP_FINISH, params) != 0 || ob_db_commit(ax->db) != 0;
	free(txt);
	return rc ? ob_db_fail(ax->db, f) : 0;
}

int
ob_sub_lock(struct ob_db *db, int64_t org_id, int *got)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;

	ob_num_str(org, sizeof(org), org_id);
	*got = 0;
	if ((res = ob_db_exec(db, OB_STMT_BILLING_LOCK, params, NULL)) == NULL)
		return -1;
	*got = ob_row_bool(res, 0, "locked");
	PQclear(res);
	return 0;
}

void
ob_sub_unlock(struct ob_db *db, int64_t org_id)
{
	char org[24];
	const char *params[1] = { org };

	ob_num_str(org, sizeof(org), org_id);
	(void)ob_db_run(db, OB_STMT_BILLING_UNLOCK, params);
}

/*
 * Finish op as failed with the error answer f, in its own transaction. The
 * outcome recorded is f's kind when it is a payment refusal, a conflict or
 * an invalid change, else an upstream (Stripe) failure.
 */
void
ob_sub_op_failed(struct ob_db *db, int64_t op_id, const struct ob_fail *f)
{
	char id[24], kind[8];
	const char *params[4] = { id, "failed", kind, NULL };
	cJSON *err = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(err, "error");
	enum ob_fail_kind k = f->kind;
	char *txt;

	if (k != OB_FAIL_PAYMENT && k != OB_FAIL_CONFLICT && k != OB_FAIL_INVALID)
		k = OB_FAIL_UPSTREAM;
	cJSON_AddStringToObject(e, "type",
	    f->kind == OB_FAIL_UPSTREAM ? "api_error" : "invalid_request_error");
	cJSON_AddStringToObject(e, "code", f->code != NULL ? f->code : "error");
	cJSON_AddStringToObject(e, "message", f->message);
	if (f->param != NULL)
		cJSON_AddStringToObject(e, "param", f->param);
	else
		cJSON_AddNullToObject(e, "param");
	txt = cJSON_PrintUnformatted(err);
	ob_num_str(id, sizeof(id), op_id);
	ob_num_str(kind, sizeof(kind), (int)k);
	params[3] = txt;
	(void)ob_db_run(db, OB_STMT_BOP_FINISH, params);
	free(txt);
	cJSON_Delete(err);
}

int
ob_sub_op_call(struct ob_stripe *st, const char *method, const char *path, const cJSON *params,
    const char *what, int64_t op_id, struct ob_stripe_result *res, int *transient,
    struct ob_fail *f)
{
	char key[OB_STRIPE_IDEM_KEY_MAX + 1], opid[32];

	snprintf(opid, sizeof(opid), "op%lld", (long long)op_id);
	if (ob_stripe_idem_key(key, sizeof(key), what, opid) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "bad_key", NULL, "Bad operation key.");
	if (st == NULL) {
		*transient = 1;
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unconfigured", NULL,
		    "Stripe is not configured (STRIPE_SECRET_KEY).");
	}
	if (ob_stripe_request(st, method, path, params, key, res) == 0)
		return 0;
	*transient = ob_plans_stripe_transient(res);
	return ob_plans_stripe_fail(res, f);
}

/* The invoice Stripe made for an immediate change, as lines. */
static cJSON *
invoice_json(const cJSON *inv)
{
	cJSON *o, *lines, *l;
	const cJSON *it;
	int64_t v;

	if (!cJSON_IsObject(inv))
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", ob_json_str_or(inv, "id", ""));
	if (ob_num_json_get(inv, "total", &v) == 0)
		ob_json_add_i64(o, "total", v);
	if (ob_num_json_get(inv, "amount_due", &v) == 0)
		ob_json_add_i64(o, "amount_due", v);
	cJSON_AddStringToObject(o, "status", ob_json_str_or(inv, "status", ""));
	lines = cJSON_AddArrayToObject(o, "lines");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetObjectItem(inv, "lines"), "data")) {
		l = cJSON_CreateObject();
		if (ob_num_json_get(it, "amount", &v) == 0)
			ob_json_add_i64(l, "amount", v);
		cJSON_AddStringToObject(l, "description", ob_json_str_or(it, "description", ""));
		cJSON_AddItemToArray(lines, l);
	}
	return o;
}

/* The Stripe request that carries out an operation, and how to apply its answer. */
struct op_req {
	const char *method;	/* "POST" or "DELETE" */
	struct ob_buf path;
	cJSON *q;		/* the request's parameters */
	const char *what;	/* names the Stripe idempotency key */
	const char *action;	/* the audit action */
	const char *reason;	/* the cancel reason to set (NULL: keep; "": clear) */
	int clear_schedule;
};

/*
 * Stripe refused the payment method the request named: the caller's
 * mistake, not Stripe's failure — 402 for a card Stripe declines, else 400
 * (an id Stripe does not know, one it cannot use), with Stripe's code when
 * it is one of these and param payment_method. Returns -1.
 */
static int
pm_refused(const struct ob_stripe_result *res, struct ob_fail *f)
{
	static const char *const codes[] = { "resource_missing", "card_declined", "expired_card",
		"incorrect_cvc", "incorrect_number", "processing_error", "payment_method_unactivated",
		"payment_method_invalid_parameter", "payment_method_not_available",
		"payment_method_unexpected_state", "payment_method_unattached" };
	const char *code = res->outcome == OB_STRIPE_CARD ? "card_declined" : "payment_method_invalid";
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(res->err_code, codes[i]) == 0)
			code = codes[i];
	return ob_fail(f, res->outcome == OB_STRIPE_CARD ? OB_FAIL_PAYMENT : OB_FAIL_INVALID, code,
	    "payment_method", "Stripe refused the payment method: %s", res->err_message);
}

/* True if Stripe's refusal is about the request (its payment method), not Stripe's trouble. */
static int
pm_rejected(const struct ob_stripe_result *res)
{
	return res->outcome == OB_STRIPE_CARD || res->outcome == OB_STRIPE_NOT_FOUND ||
	    res->outcome == OB_STRIPE_INVALID_REQUEST;
}

/*
 * Attach the create's card (params.payment_method) to the org's existing
 * customer and make it the customer's default, as a customer made with it
 * would have it; *pm: malloc'd id of the attached card (the magic test
 * ids attach a new one), NULL when the create names no card. 0, or -1
 * with f and *transient.
 */
static int
attach_card(struct ob_stripe *st, const struct ob_sub_op *op, const char *customer,
    char **pm, int *transient, struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	const char *want = ob_json_str(op->params, "payment_method"), *id;
	struct ob_buf path = { 0 };
	cJSON *q;
	int rc;

	*pm = NULL;
	if (want == NULL)
		return 0;
	q = cJSON_CreateObject();
	cJSON_AddStringToObject(q, "customer", customer);
	ob_buf_printf(&path, "/v1/payment_methods/%s/attach", want);
	rc = ob_sub_op_call(st, "POST", path.data, q, "pm-attach", op->id, &res, transient, f);
	cJSON_Delete(q);
	ob_buf_free(&path);
	if (rc != 0 && pm_rejected(&res))
		pm_refused(&res, f);
	if (rc == 0 && (id = ob_json_str(res.body, "id")) != NULL)
		*pm = strdup(id);
	ob_stripe_result_clear(&res);
	if (rc != 0 || *pm == NULL) {
		if (rc == 0)
			ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "No payment method id.");
		*transient = rc == 0 ? 1 : *transient;
		return -1;
	}
	q = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(q, "invoice_settings"),
	    "default_payment_method", *pm);
	ob_buf_printf(&path, "/v1/customers/%s", customer);
	rc = ob_sub_op_call(st, "POST", path.data, q, "customer-default-pm", op->id, &res, transient, f);
	cJSON_Delete(q);
	ob_buf_free(&path);
	ob_stripe_result_clear(&res);
	if (rc != 0) {
		free(*pm);
		*pm = NULL;
	}
	return rc;
}

/*
 * The Stripe customer for a create: the org's one customer
 * (params.customer, looked up or made before the operation by
 * ob_invoices_customer), else — only for a caller that did not — a new one.
 * *customer: malloc'd id. 0, or -1 with f and *transient.
 */
static int
create_customer(struct ob_stripe *st, const struct ob_sub_op *op, const char *org,
    char **customer, int *transient, struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	const cJSON *p = op->params;
	const char *pcust = ob_json_str(p, "customer"), *id = NULL;
	cJSON *q;
	int rc;

	*customer = NULL;
	if (pcust != NULL && *pcust != '\0') {
		*customer = strdup(pcust);
		return 0;
	}
	q = cJSON_CreateObject();
	if (ob_json_str(p, "email") != NULL)
		cJSON_AddStringToObject(q, "email", ob_json_str(p, "email"));
	if (ob_json_str(p, "name") != NULL)
		cJSON_AddStringToObject(q, "name", ob_json_str(p, "name"));
	if (ob_json_str(p, "payment_method") != NULL)
		cJSON_AddStringToObject(q, "payment_method", ob_json_str(p, "payment_method"));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(q, "metadata"), "orgbill_org", org);
	rc = ob_sub_op_call(st, "POST", "/v1/customers", q, "customer-create", op->id, &res, transient, f);
	cJSON_Delete(q);
	if (rc != 0 && ob_json_str(p, "payment_method") != NULL && pm_rejected(&res) &&
	    strstr(res.err_param, "payment_method") != NULL)
		pm_refused(&res, f);
	if (rc == 0 && (id = ob_json_str(res.body, "id")) == NULL) {
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "No customer id.");
		*transient = 1;
		rc = -1;
	}
	if (rc == 0)
		*customer = strdup(id);
	ob_stripe_result_clear(&res);
	return rc;
}

/* The request of a create (after its customer and card). 0, or -1 with f and *transient. */
static int
req_create(struct ob_stripe *st, const struct ob_sub_op *op, const char *org,
    struct op_req *rq, int *transient, struct ob_fail *f)
{
	const cJSON *p = op->params;
	const char *trial = ob_json_str(p, "trial_days"), *pcust = ob_json_str(p, "customer");
	cJSON *items, *item;
	char *customer, *pm = NULL;

	rq->action = "subscription.create";
	if (create_customer(st, op, org, &customer, transient, f) != 0)
		return -1;
	/* A customer that existed before gets the card now (a new one was made with it). */
	if (pcust != NULL && *pcust != '\0' && attach_card(st, op, customer, &pm, transient, f) != 0) {
		free(customer);
		return -1;
	}
	rq->q = cJSON_CreateObject();
	cJSON_AddStringToObject(rq->q, "customer", customer);
	free(customer);
	if (pm != NULL)
		cJSON_AddStringToObject(rq->q, "default_payment_method", pm);
	free(pm);
	items = cJSON_AddArrayToObject(rq->q, "items");
	item = cJSON_CreateObject();
	cJSON_AddStringToObject(item, "price", ob_json_str(p, "price"));
	cJSON_AddStringToObject(item, "quantity", ob_json_str(p, "seats"));
	cJSON_AddItemToArray(items, item);
	if (trial != NULL && strcmp(trial, "0") != 0)
		cJSON_AddStringToObject(rq->q, "trial_period_days", trial);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(rq->q, "metadata"), "orgbill_org", org);
	ob_buf_puts(&rq->path, "/v1/subscriptions");
	rq->what = "subscription-create";
	return 0;
}

/* The items change of an update or a renewal change. */
static void
req_items(const struct ob_sub_op *op, struct op_req *rq)
{
	const cJSON *p = op->params;
	cJSON *items = cJSON_AddArrayToObject(rq->q, "items"), *item = cJSON_CreateObject();

	cJSON_AddStringToObject(item, "id", ob_json_str(p, "item"));
	cJSON_AddStringToObject(item, "price", ob_json_str(p, "price"));
	cJSON_AddStringToObject(item, "quantity", ob_json_str(p, "seats"));
	cJSON_AddItemToArray(items, item);
	cJSON_AddStringToObject(rq->q, "proration_behavior", ob_json_str(p, "proration_behavior"));
	if (ob_json_str(p, "proration_date") != NULL)
		cJSON_AddStringToObject(rq->q, "proration_date", ob_json_str(p, "proration_date"));
	if (ob_json_str(p, "payment_behavior") != NULL)
		cJSON_AddStringToObject(rq->q, "payment_behavior", ob_json_str(p, "payment_behavior"));
	rq->what = "subscription-update";
	rq->clear_schedule = cJSON_IsTrue(cJSON_GetObjectItem(p, "clear_schedule"));
}

/* The request of a change to the existing subscription. 0, or -1 with f. */
static int
req_change(const struct ob_sub_op *op, struct op_req *rq, struct ob_fail *f)
{
	const cJSON *p = op->params;
	const char *sub_id = ob_json_str(p, "subscription");

	if (sub_id == NULL)
		return ob_fail(f, OB_FAIL_CONFLICT, "no_subscription", NULL,
		    "The org has no subscription.");
	ob_buf_puts(&rq->path, "/v1/subscriptions/");
	ob_stripe_form_escape(&rq->path, sub_id, strlen(sub_id));
	rq->q = cJSON_CreateObject();
	if (strcmp(op->kind, "update") == 0) {
		req_items(op, rq);
	} else if (strcmp(op->kind, "cancel") == 0) {
		rq->reason = ob_json_str(p, "reason");
		rq->action = "subscription.cancel";
		rq->clear_schedule = 1;
		if (cJSON_IsTrue(cJSON_GetObjectItem(p, "at_period_end"))) {
			cJSON_AddStringToObject(rq->q, "cancel_at_period_end", "true");
			rq->what = "subscription-cancel-at-period-end";
		} else {
			rq->method = "DELETE";
			rq->what = "subscription-cancel-now";
			cJSON_AddStringToObject(rq->q, "prorate",
			    cJSON_IsTrue(cJSON_GetObjectItem(p, "prorate")) ? "true" : "false");
			cJSON_AddStringToObject(rq->q, "invoice_now",
			    cJSON_IsTrue(cJSON_GetObjectItem(p, "invoice_now")) ? "true" : "false");
		}
	} else {	/* reactivate */
		cJSON_AddStringToObject(rq->q, "cancel_at_period_end", "false");
		rq->reason = "";
		rq->action = "subscription.reactivate";
		rq->what = "subscription-reactivate";
	}
	return 0;
}

/*
 * Stripe's answer is the truth: apply it, audit, and finish op with the
 * view as its answer, in one transaction. 0 (the answer in *ans);
 * 1 when applying it failed (rolled back, f set: the caller decides
 * whether that is final); -1 on a database failure (rolled back, f set).
 */
static int
finish_done(const struct ob_actx *ax, int64_t org_id, const struct ob_sub_op *op,
    const struct op_req *rq, const cJSON *answer, struct ob_sub_answer *ans, struct ob_fail *f)
{
	cJSON *view;

	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (ob_sub_apply(ax, org_id, answer, rq->action, rq->reason, rq->clear_schedule, f) != 0) {
		ob_db_rollback(ax->db);
		return 1;
	}
	if ((view = ob_subscription_view(ax->db, org_id)) == NULL)
		return ob_db_fail(ax->db, f);
	if (strcmp(op->kind, "update") == 0) {
		const cJSON *inv = cJSON_GetObjectItem(answer, "latest_invoice");
		const char *br = ob_json_str(inv, "billing_reason");

		if (br != NULL && strcmp(br, "subscription_update") == 0)
			cJSON_AddItemToObject(view, "invoice", invoice_json(inv));
		else
			cJSON_AddNullToObject(view, "invoice");
	}
	if (ob_sub_op_record_done(ax, op->id, view, f) != 0) {
		cJSON_Delete(view);
		return -1;
	}
	ans->body = view;
	ans->fail = OB_FAIL_NONE;
	ans->created = strcmp(op->kind, "create") == 0;
	return 0;
}

/*
 * An update sent with payment_behavior=pending_if_incomplete whose
 * proration invoice was not paid: Stripe left the subscription as it was
 * and holds the change in pending_update. Void that invoice, so the change
 * can never be applied later from it, and refuse with a card error. 0 when
 * answer has no pending update; else -1 with f (not transient).
 */
static int
pending_refused(struct ob_stripe *st, const struct ob_sub_op *op, const cJSON *answer,
    struct ob_fail *f)
{
	const cJSON *pu = cJSON_GetObjectItem(answer, "pending_update");
	const char *inv = ob_json_id(answer, "latest_invoice");
	struct ob_stripe_result res = { 0 };
	struct ob_fail ignored = { 0 };
	struct ob_buf path = { 0 };
	int transient = 0;

	if (pu == NULL || cJSON_IsNull(pu))
		return 0;
	if (inv != NULL) {
		/* Best effort: unvoided, Stripe drops the change after 23 hours. */
		ob_buf_puts(&path, "/v1/invoices/");
		ob_stripe_form_escape(&path, inv, strlen(inv));
		ob_buf_puts(&path, "/void");
		(void)ob_sub_op_call(st, "POST", path.data, NULL, "invoice-void", op->id, &res,
		    &transient, &ignored);
		ob_buf_free(&path);
		ob_stripe_result_clear(&res);
	}
	return ob_fail(f, OB_FAIL_PAYMENT, "card_declined", "payment_method",
	    "The card was declined, so the change was not made: nothing was charged and "
	    "the plan and seats are as they were. Update the card and try again.");
}

int
ob_sub_op_exec(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const struct ob_sub_op *op, struct ob_sub_answer *ans, struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	struct op_req rq = { "POST", OB_BUF_INIT, NULL, op->kind, "subscription.update", NULL, 0 };
	char org[24];
	int transient = 0, rc = -1;

	memset(ans, 0, sizeof(*ans));
	if (strcmp(op->kind, "schedule") == 0 || strcmp(op->kind, "unschedule") == 0)
		return ob_sub_sched_exec(ax, st, org_id, op, ans, f);
	ob_num_str(org, sizeof(org), org_id);
	if (strcmp(op->kind, "create") == 0 ? req_create(st, op, org, &rq, &transient, f) != 0 :
	    req_change(op, &rq, f) != 0)
		goto refused;
	/* A plan change or a cancellation ends the schedule of a scheduled change first. */
	if (ob_sub_sched_release(st, op, &transient, f) != 0)
		goto refused;
	if (strcmp(rq.method, "DELETE") != 0)
		cJSON_AddItemToObject(rq.q, "expand",
		    cJSON_CreateStringArray((const char *[]){ "latest_invoice" }, 1));
	if (ob_sub_op_call(st, rq.method, rq.path.data, rq.q, rq.what, op->id, &res, &transient, f) != 0 ||
	    pending_refused(st, op, res.body, f) != 0)
		goto refused;
	switch (finish_done(ax, org_id, op, &rq, res.body, ans, f)) {
	case 0:
		rc = 0;
		goto out;
	case 1:
		transient = f->kind == OB_FAIL_DB;
		goto refused;
	default:
		goto out;
	}
refused:
	if (!transient) {
		ob_sub_op_failed(ax->db, op->id, f);
		rc = 1;
	}
out:
	cJSON_Delete(rq.q);
	ob_buf_free(&rq.path);
	ob_stripe_result_clear(&res);
	return rc;
}

int
ob_sub_op_from_row(const PGresult *res, int row, struct ob_sub_op *op)
{
	op->id = ob_row_i64(res, row, "id");
	ob_sub_copy(op->kind, sizeof(op->kind), ob_row_str(res, row, "kind"));
	op->params = cJSON_Parse(ob_row_str(res, row, "params"));
	return op->params != NULL ? 0 : -1;
}

int
ob_sub_op_insert(struct ob_db *db, int64_t org_id, const char *key, const char *hash_hex,
    struct ob_sub_op *op, struct ob_fail *f)
{
	char org[24];
	const char *ip[5];
	char *ptxt = cJSON_PrintUnformatted(op->params);
	PGresult *res;

	ob_num_str(org, sizeof(org), org_id);
	ip[0] = org;
	ip[1] = op->kind;
	ip[2] = key;
	ip[3] = hash_hex;
	ip[4] = ptxt;
	res = ob_db_exec(db, OB_STMT_BOP_INSERT, ip, NULL);
	free(ptxt);
	if (res == NULL)
		return ob_fail_db(f, db->lasterr);
	op->id = ob_row_i64(res, 0, "id");
	PQclear(res);
	return 0;
}

int
ob_sub_drain_pending(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    struct ob_fail *f)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	struct ob_sub_op op = { 0 };
	struct ob_sub_answer ans;
	int rc;

	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(ax->db, OB_STMT_BOP_PENDING, params, NULL)) == NULL)
		return ob_fail_db(f, ax->db->lasterr);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	rc = ob_sub_op_from_row(res, 0, &op);
	PQclear(res);
	if (rc != 0)
		return ob_fail_db(f, "bad operation params");
	rc = ob_sub_op_exec(ax, st, org_id, &op, &ans, f);
	cJSON_Delete(ans.body);
	cJSON_Delete(op.params);
	if (rc < 0) {
		f->kind = OB_FAIL_CONFLICT;
		f->code = "operation_pending";
		return -1;
	}
	return 0;	/* done, or refused and recorded */
}

int
ob_subscription_reconcile(const struct ob_actx *ax, struct ob_stripe *st,
    long min_age_s, int *done, struct ob_fail *f)
{
	char age[24];
	const char *params[1] = { age };
	PGresult *res;
	int i, n, locked, rc = 0;
	int64_t org;

	*done = 0;
	ob_num_str(age, sizeof(age), min_age_s);
	if ((res = ob_db_exec(ax->db, OB_STMT_BOP_STALE_ORGS, params, NULL)) == NULL)
		return ob_fail_db(f, ax->db->lasterr);
	n = PQntuples(res);
	for (i = 0; i < n && rc == 0; i++) {
		org = ob_row_i64(res, i, "org_id");
		if (ob_sub_lock(ax->db, org, &locked) != 0) {
			rc = ob_fail_db(f, ax->db->lasterr);
			break;
		}
		if (!locked)
			continue;
		if (ob_sub_drain_pending(ax, st, org, f) == 0)
			(*done)++;
		else
			rc = -1;
		ob_sub_unlock(ax->db, org);
	}
	PQclear(res);
	return rc;
}
