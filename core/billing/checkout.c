/*
 * A new subscription through Stripe Checkout: the order summary, the
 * session, and its completion.
 */
#include "billing/checkout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/num.h"
#include "base/row.h"
#include "billing/seats.h"
#include "billing/subscription_int.h"
#include "stripe/client.h"

/*
 * The org has no live subscription (a second one is a change, not a
 * purchase). *had: ob_subscription_load's answer (1: never had one).
 */
static int
no_live_subscription(struct ob_db *db, int64_t org_id, int *had, struct ob_fail *f)
{
	struct ob_sub cur;

	if ((*had = ob_subscription_load(db, org_id, &cur)) < 0)
		return ob_fail_db(f, db->lasterr);
	if (*had == 0 && ob_subscription_live(&cur))
		return ob_fail(f, OB_FAIL_CONFLICT, "subscription_exists", NULL,
		    "The org already has a %s subscription; change it instead.", cur.status);
	return 0;
}

/* The trial of the order (days: 0 for none): due today, first charge date. */
static void
summary_trial(cJSON *out, int days, int64_t total)
{
	char day[16];
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	cJSON_AddBoolToObject(out, "trial", days > 0);
	ob_json_add_i64(out, "trial_days", days);
	if (days <= 0) {
		cJSON_AddNullToObject(out, "first_charge_date");
		ob_json_add_i64(out, "total_due_today", total);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	cJSON_AddStringToObject(out, "first_charge_date", day);
	ob_json_add_i64(out, "total_due_today", 0);
}

int
ob_checkout_summary(struct ob_db *db, int64_t org_id, const cJSON *body, cJSON **out,
    struct ob_fail *f)
{
	const char *plan = ob_json_str(body, "plan"), *cycle = ob_json_str(body, "cycle");
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(body, "seats");
	struct ob_plan p;
	int64_t seats = 1, used = 0, unit;
	int had;

	*out = NULL;
	if (no_live_subscription(db, org_id, &had, f) != 0)
		return -1;
	if (plan == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "plan", "plan is required.");
	if (cycle == NULL || *cycle == '\0')
		cycle = "month";
	if (!ob_plans_cycle_ok(cycle))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_cycle", "cycle", "cycle must be month or year.");
	switch (ob_plans_get(db, plan, org_id, &p)) {
	case -1: return ob_fail_db(f, db->lasterr);
	case 1: return ob_fail(f, OB_FAIL_INVALID, "unknown_plan", "plan", "No such plan.");
	}
	if (it != NULL && !cJSON_IsNull(it) && ob_num_json(it, 1, 9999999, &seats) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_integer", "seats", "seats must be an integer.");
	if (ob_seats_count(db, org_id, &used) != 0)
		return ob_fail_db(f, db->lasterr);
	if (ob_sub_seats_ok(&p, seats, used, f) != 0)
		return -1;
	if ((unit = ob_plans_price(&p, cycle)) < 0)
		return ob_fail(f, OB_FAIL_INVALID, "plan_not_priced", "plan",
		    "The %s plan has no self-serve price; contact sales.", p.name);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "object", "checkout.summary");
	cJSON_AddStringToObject(*out, "plan", p.code);
	cJSON_AddStringToObject(*out, "plan_name", p.name);
	cJSON_AddStringToObject(*out, "cycle", cycle);
	ob_json_add_i64(*out, "seats", seats);
	cJSON_AddStringToObject(*out, "currency", p.currency);
	ob_json_add_i64(*out, "unit_amount", unit);
	ob_json_add_i64(*out, "subtotal", unit * seats);
	cJSON_AddNullToObject(*out, "tax");
	ob_json_add_i64(*out, "recurring_total", unit * seats);
	summary_trial(*out, ob_sub_trial_days(&p, had), unit * seats);
	return 0;
}

/* The session's request: subscription mode, one line, the org in metadata. */
static cJSON *
session_params(const cJSON *params, const char *customer, const char *org, const char *base)
{
	cJSON *q = cJSON_CreateObject(), *items, *item, *sd;
	const char *trial;
	char url[1024];

	cJSON_AddStringToObject(q, "mode", "subscription");
	cJSON_AddStringToObject(q, "customer", customer);
	cJSON_AddStringToObject(q, "client_reference_id", org);
	items = cJSON_AddArrayToObject(q, "line_items");
	item = cJSON_CreateObject();
	cJSON_AddStringToObject(item, "price", ob_json_str(params, "price"));
	cJSON_AddStringToObject(item, "quantity", ob_json_str(params, "seats"));
	cJSON_AddItemToArray(items, item);
	snprintf(url, sizeof(url), "%s/subscription/checkout/return?session_id={CHECKOUT_SESSION_ID}",
	    base);
	cJSON_AddStringToObject(q, "success_url", url);
	snprintf(url, sizeof(url), "%s/subscription?done=checkout_canceled", base);
	cJSON_AddStringToObject(q, "cancel_url", url);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(q, "metadata"), "orgbill_org", org);
	sd = cJSON_AddObjectToObject(q, "subscription_data");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(sd, "metadata"), "orgbill_org", org);
	/* The plan's trial on a first subscription: the card is still taken. */
	trial = ob_json_str(params, "trial_days");
	if (trial != NULL && strcmp(trial, "0") != 0)
		cJSON_AddStringToObject(sd, "trial_period_days", trial);
	return q;
}

/* Record the started session (params: the resolved create). 0 or -1 with f. */
static int
record(struct ob_db *db, const char *org, const cJSON *sess, const cJSON *params,
    struct ob_fail *f)
{
	const char *v[8] = { org, ob_json_str(sess, "id"), ob_json_str(sess, "url"),
		ob_json_str(params, "plan"), ob_json_str(params, "cycle"),
		ob_json_str(params, "seats"), ob_json_str(params, "unit_amount"), NULL };
	struct ob_plan p;

	if (v[1] == NULL || strlen(v[1]) > 255)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "No session id.");
	if (v[2] == NULL)
		v[2] = "";
	if (ob_plans_get(db, v[3], strtoll(org, NULL, 10), &p) != 0)
		return ob_fail_db(f, db->lasterr);
	v[7] = p.currency;
	if (ob_db_run(db, OB_STMT_CHECKOUT_INSERT, v) != 0)
		return ob_fail_db(f, db->lasterr);
	return 0;
}

/*
 * Expire the org's other sessions still open (all but sid) at Stripe and
 * record them expired: one checkout at a time, so a second tab cannot
 * buy a second subscription. Called with no transaction open; each
 * session is recorded after its Stripe call. A session Stripe will not
 * expire (it completed meanwhile) is left to its webhook, which cancels a
 * duplicate (ob_checkout_duplicate). Failures are logged, not returned.
 */
static void
expire_others(struct ob_db *db, struct ob_stripe *st, const char *org, const char *sid)
{
	const char *params[2] = { org, sid }, *fp[3];
	struct ob_stripe_result res;
	PGresult *rows;
	char path[320], key[OB_STRIPE_IDEM_KEY_MAX + 1], **ids;
	int i, n;

	if ((rows = ob_db_exec(db, OB_STMT_CHECKOUT_OPEN_OTHERS, params, NULL)) == NULL) {
		ob_log(OB_LOG_WARN, "checkout_expire", "org %s: %s", org, db->lasterr);
		return;
	}
	n = PQntuples(rows);
	ids = ob_xcalloc((size_t)n + 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = ob_xstrdup(ob_row_str(rows, i, "stripe_session_id"));
	PQclear(rows);
	for (i = 0; i < n; i++) {
		memset(&res, 0, sizeof(res));
		snprintf(path, sizeof(path), "/v1/checkout/sessions/%s/expire", ids[i]);
		if (ob_stripe_idem_key(key, sizeof(key), "checkout-expire", ids[i]) == 0 &&
		    ob_stripe_request(st, "POST", path, NULL, key, &res) == 0) {
			fp[0] = ids[i];
			fp[1] = "expired";
			fp[2] = "";
			if (ob_db_run(db, OB_STMT_CHECKOUT_FINISH, fp) != 0)
				ob_log(OB_LOG_WARN, "checkout_expire", "%s: %s", ids[i], db->lasterr);
		} else
			ob_log(OB_LOG_WARN, "checkout_expire", "%s: Stripe: %s", ids[i],
			    res.err_message[0] ? res.err_message : ob_stripe_outcome_name(res.outcome));
		ob_stripe_result_clear(&res);
		free(ids[i]);
	}
	free(ids);
}

int
ob_checkout_start(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const char *customer, const cJSON *body, const char *base_url, const char *idem_key,
    char *sid, size_t len, struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	struct ob_sub none;
	char org[24], key[OB_STRIPE_IDEM_KEY_MAX + 1], what[48], rid[40];
	unsigned char rnd[16];
	cJSON *params = NULL, *q = NULL;
	int local_only, rc = -1;

	sid[0] = '\0';
	memset(&none, 0, sizeof(none));
	ob_num_str(org, sizeof(org), org_id);
	if (st == NULL)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unconfigured", NULL,
		    "Stripe is not configured (STRIPE_SECRET_KEY).");
	if (base_url == NULL || *base_url == '\0')
		return ob_fail(f, OB_FAIL_UPSTREAM, "public_url_unset", NULL,
		    "The public URL is not configured (PUBLIC_URL).");
	if (ob_sub_resolve(ax, st, org_id, "create", &none, 1, body, &params, &local_only, f) != 0)
		return -1;
	if (customer == NULL || *customer == '\0') {
		ob_fail(f, OB_FAIL_CONFLICT, "no_customer", NULL, "The org has no Stripe customer.");
		goto out;
	}
	if (idem_key == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		ob_sub_hex(rnd, sizeof(rnd), rid);
		idem_key = rid;
	}
	snprintf(what, sizeof(what), "checkout-org%s", org);
	if (ob_stripe_idem_key(key, sizeof(key), what, idem_key) != 0) {
		ob_fail(f, OB_FAIL_INVALID, "invalid_idempotency_key", "Idempotency-Key",
		    "Idempotency-Key must be printable ASCII without spaces.");
		goto out;
	}
	q = session_params(params, customer, org, base_url);
	if (ob_stripe_request(st, "POST", "/v1/checkout/sessions", q, key, &res) != 0) {
		ob_plans_stripe_fail(&res, f);
		goto out;
	}
	if (record(ax->db, org, res.body, params, f) != 0)
		goto out;
	snprintf(sid, len, "%s", ob_json_str(res.body, "id"));
	/* The new session is recorded (committed): now the older ones go. */
	expire_others(ax->db, st, org, sid);
	rc = 0;
out:
	ob_stripe_result_clear(&res);
	cJSON_Delete(q);
	cJSON_Delete(params);
	return rc;
}

int
ob_checkout_get(struct ob_db *db, int64_t org_id, const char *sid, cJSON **out)
{
	char org[24];
	const char *params[2] = { org, sid };
	PGresult *res = NULL;
	struct ob_sub cur;
	const char *st;
	int rc;

	*out = NULL;
	ob_num_str(org, sizeof(org), org_id);
	if ((rc = ob_db_one(db, OB_STMT_CHECKOUT_GET, params, &res)) != 0)
		return rc;
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "object", "checkout.session");
	cJSON_AddStringToObject(*out, "id", ob_row_str(res, 0, "stripe_session_id"));
	cJSON_AddStringToObject(*out, "url", ob_row_str(res, 0, "url"));
	cJSON_AddStringToObject(*out, "plan", ob_row_str(res, 0, "plan_code"));
	cJSON_AddStringToObject(*out, "cycle", ob_row_str(res, 0, "cycle"));
	ob_json_add_i64(*out, "seats", ob_row_i64(res, 0, "seats"));
	cJSON_AddStringToObject(*out, "currency", ob_row_str(res, 0, "currency"));
	ob_json_add_i64(*out, "unit_amount", ob_row_i64(res, 0, "unit_amount"));
	ob_json_add_i64(*out, "total", ob_row_i64(res, 0, "unit_amount") * ob_row_i64(res, 0, "seats"));
	st = ob_row_str(res, 0, "status");
	if (strcmp(st, "complete") == 0) {
		/* Completed: what the mirrored subscription says now. */
		rc = ob_subscription_load(db, org_id, &cur);
		if (rc < 0) {
			PQclear(res);
			cJSON_Delete(*out);
			*out = NULL;
			return -1;
		}
		st = rc == 0 && strcmp(cur.subscription, ob_row_str(res, 0, "stripe_subscription_id")) == 0 ?
		    cur.status : "pending";
		cJSON_AddStringToObject(*out, "status", st);
	} else
		cJSON_AddStringToObject(*out, "status", strcmp(st, "open") == 0 ? "pending" : st);
	PQclear(res);
	return 0;
}

int
ob_checkout_duplicate(struct ob_db *db, const cJSON *sess, const cJSON *stripe_sub)
{
	const char *sid = ob_json_str(sess, "id"), *sub_id = ob_json_str(stripe_sub, "id");
	const char *params[1] = { sid };
	PGresult *res = NULL;
	struct ob_sub cur;
	int64_t org_id;
	int rc, dup;

	if (sid == NULL || sub_id == NULL)
		return 0;
	if ((rc = ob_db_one(db, OB_STMT_CHECKOUT_ORDER, params, &res)) != 0)
		return rc < 0 ? -1 : 0;	/* not an order of ours */
	org_id = ob_row_i64(res, 0, "org_id");
	dup = strcmp(ob_row_str(res, 0, "status"), "duplicate") == 0;
	PQclear(res);
	if (dup)
		return 1;	/* found before: a redelivery */
	if ((rc = ob_subscription_load(db, org_id, &cur)) < 0)
		return -1;
	return rc == 0 && ob_subscription_live(&cur) && strcmp(cur.subscription, sub_id) != 0;
}

int
ob_checkout_mark_duplicate(const struct ob_actx *ax, const cJSON *sess, const cJSON *stripe_sub,
    struct ob_fail *f)
{
	const char *params[2] = { ob_json_str(sess, "id"), ob_json_str(stripe_sub, "id") };
	PGresult *res = NULL;
	cJSON *after;
	int64_t org_id;
	int rc;

	if (params[0] == NULL || params[1] == NULL)
		return 0;
	if ((rc = ob_db_one(ax->db, OB_STMT_CHECKOUT_DUPLICATE, params, &res)) < 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (rc == 1)
		return 0;	/* marked before (a retry) */
	org_id = ob_row_i64(res, 0, "org_id");
	PQclear(res);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "checkout_session", params[0]);
	cJSON_AddStringToObject(after, "subscription", params[1]);
	rc = ob_audit_write(ax, org_id, "subscription.checkout_duplicate_found", "subscription",
	    params[1], NULL, after);
	cJSON_Delete(after);
	return rc != 0 ? ob_fail_db(f, ax->db->lasterr) : 0;
}

/* The duplicate order sid (marked before) undone: audited with undone. 0 or -1 with f. */
static int
finish_duplicate(const struct ob_actx *ax, const char *sid, const char *sub_id,
    const cJSON *undone, int64_t *org_id, struct ob_fail *f)
{
	const char *params[1] = { sid };
	PGresult *res = NULL;
	cJSON *after;
	int rc;

	if ((rc = ob_db_one(ax->db, OB_STMT_CHECKOUT_ORDER, params, &res)) < 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (rc == 1)
		return 0;
	*org_id = ob_row_i64(res, 0, "org_id");
	rc = strcmp(ob_row_str(res, 0, "status"), "duplicate") == 0;
	PQclear(res);
	if (!rc)
		return ob_fail(f, OB_FAIL_CONFLICT, "not_marked", NULL,
		    "session %s was not marked duplicate", sid);
	after = cJSON_Duplicate(undone, 1);
	cJSON_AddStringToObject(after, "checkout_session", sid);
	rc = ob_audit_write(ax, *org_id, "subscription.checkout_duplicate_canceled",
	    "subscription", sub_id, NULL, after);
	cJSON_Delete(after);
	return rc != 0 ? ob_fail_db(f, ax->db->lasterr) : 0;
}

int
ob_checkout_finish(const struct ob_actx *ax, const cJSON *sess, const cJSON *stripe_sub,
    const cJSON *undone, int64_t *org_id, struct ob_fail *f)
{
	const char *sid = ob_json_str(sess, "id"), *status = ob_json_str(sess, "status");
	const char *mode = ob_json_str(sess, "mode"), *sub_id = ob_json_str(stripe_sub, "id");
	const char *params[3];
	PGresult *res = NULL;
	int rc;

	*org_id = 0;
	if (sid == NULL || status == NULL || mode == NULL || strcmp(mode, "subscription") != 0)
		return 0;
	if (strcmp(status, "complete") == 0) {
		if (sub_id == NULL)
			return ob_fail(f, OB_FAIL_INVALID, "bad_event", NULL,
			    "Completed session %s without a subscription.", sid);
		if (undone != NULL)
			return finish_duplicate(ax, sid, sub_id, undone, org_id, f);
		if (ob_subscription_apply_stripe(ax, 0, stripe_sub,
		    "subscription.checkout_completed", f) != 0)
			return -1;
	} else if (strcmp(status, "expired") != 0)
		return 0;
	params[0] = sid;
	params[1] = status;
	params[2] = sub_id != NULL ? sub_id : "";
	if ((rc = ob_db_one(ax->db, OB_STMT_CHECKOUT_FINISH, params, &res)) < 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (rc == 0) {
		*org_id = ob_row_i64(res, 0, "org_id");
		PQclear(res);
	}
	return 0;
}
