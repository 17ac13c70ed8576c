/*
 * Webhook handlers of the invoices module: invoices, payments, refunds,
 * customers and payment methods. Each brings local state in step with the
 * CURRENT Stripe object (fetched with cx->stripe when there is one, else
 * the event's own snapshot), so order and duplicates never matter. The
 * *_fetch steps call Stripe before the event's transaction begins; the
 * apply steps read what they fetched from cx->pre.
 */
#include "sync/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "identity/audit.h"
#include "stripe/client.h"
#include "invoices/dunning.h"
#include "stripe/form.h"
#include "invoices/invoices.h"
#include "base/log.h"
#include "base/outbox.h"
#include "invoices/refunds.h"
#include "base/num.h"
#include "base/money.h"
#include "base/json.h"

int ob_wh_invoice_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f);
int ob_wh_customer_of_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f);
int ob_wh_charge_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f);
int ob_wh_refund_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f);
int ob_wh_customer_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f);
int ob_wh_invoice_sync(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f);
int ob_wh_invoice_upcoming(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f);
int ob_wh_invoice_paid(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f);
int ob_wh_invoice_payment_failed(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f);
int ob_wh_invoice_action_required(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f);
int ob_wh_charge_refunded(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f);
int ob_wh_refund(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f);
int ob_wh_customer_updated(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f);
int ob_wh_payment_method(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f);

static const cJSON *
event_object(const cJSON *event)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(event, "data"), "object");
}

/*
 * Fetch step: the current object, GET /v1/<kind>/<id>, into pre->obj with
 * pre->seen the fetch time (Stripe says it is gone: the event's snapshot
 * stands). 0, or -1 with f.
 */
static int
fetch_current(struct ob_wh_ctx *cx, const cJSON *event, const char *kind, struct ob_wh_pre *pre,
    struct ob_fail *f)
{
	const char *id = ob_json_str(event_object(event), "id");
	struct ob_buf path = OB_BUF_INIT;
	int64_t created = ob_num_json_or(event, "created", 0);
	int rc;

	pre->seen = created;
	if (id == NULL || cx->stripe == NULL)
		return 0;
	ob_buf_printf(&path, "/v1/%s/", kind);
	ob_stripe_form_escape(&path, id, strlen(id));
	rc = ob_wh_stripe_get(cx, path.data, &pre->obj, f);
	ob_buf_free(&path);
	if (rc < 0)
		return -1;
	/* A fetched state is the newest there is. */
	if (rc == 0)
		pre->seen = (int64_t)time(NULL) > created ? (int64_t)time(NULL) : created + 1;
	return 0;
}

/*
 * Apply step: the current object (the fetched one, else a copy of the
 * event's) and *seen, when that state was true. A new object (caller
 * deletes), or NULL with f set.
 */
static cJSON *
current(struct ob_wh_ctx *cx, const cJSON *event, int64_t *seen, struct ob_fail *f)
{
	const cJSON *obj = event_object(event);

	if (ob_json_str(obj, "id") == NULL) {
		ob_fail(f, OB_FAIL_INVALID, "event_malformed", NULL, "The event has no object id.");
		return NULL;
	}
	*seen = ob_num_json_or(event, "created", 0);
	if (cx->pre != NULL && cx->pre->obj != NULL) {
		*seen = cx->pre->seen;
		return cJSON_Duplicate(cx->pre->obj, 1);
	}
	return cJSON_Duplicate(obj, 1);
}

/* metadata.orgbill_org of obj as an id, or 0. */
static int64_t
md_org(const cJSON *obj)
{
	const char *s = ob_json_str(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "orgbill_org");

	return s != NULL ? ob_num_id(s) : 0;
}

/*
 * Fetch step: obj's customer into *out when the apply step may need its
 * metadata to find the org (no local mapping, no metadata.orgbill_org on
 * obj). A failure only leaves *out NULL. 0, or -1 with f on a database
 * failure.
 */
static int
fetch_customer_of(struct ob_wh_ctx *cx, const cJSON *obj, cJSON **out, struct ob_fail *f)
{
	const char *cus = ob_json_id(obj, "customer");
	struct ob_fail nof = { 0 };
	struct ob_buf path = OB_BUF_INIT;
	int64_t org;

	if (cus == NULL || cx->stripe == NULL || md_org(obj) != 0)
		return 0;
	if ((org = ob_invoices_org_of_customer(cx->db, cus)) < 0)
		return ob_fail_db(f, cx->db->lasterr);
	if (org > 0)
		return 0;
	ob_buf_puts(&path, "/v1/customers/");
	ob_stripe_form_escape(&path, cus, strlen(cus));
	(void)ob_wh_stripe_get(cx, path.data, out, &nof);
	ob_buf_free(&path);
	return 0;
}

/*
 * The org of an object with a customer: the local mappings, then the
 * object's or its customer's (cus, fetched before; may be NULL)
 * metadata.orgbill_org (an org that exists). 0 if unknown, -1 with f on
 * failure.
 */
static int64_t
org_of(struct ob_wh_ctx *cx, const cJSON *obj, const cJSON *cus, struct ob_fail *f)
{
	int64_t org;
	int ex;

	if ((org = ob_invoices_org_of_customer(cx->db, ob_json_id(obj, "customer"))) < 0) {
		ob_fail_db(f, cx->db->lasterr);
		return -1;
	}
	if (org > 0)
		return org;
	org = md_org(obj);
	if (org == 0 && cus != NULL)
		org = md_org(cus);
	if (org == 0)
		return 0;
	if ((ex = ob_invoices_org_exists(cx->db, org)) < 0) {
		ob_fail_db(f, cx->db->lasterr);
		return -1;
	}
	return ex ? org : 0;
}

/* The fetched related object i, or NULL. */
static const cJSON *
pre_rel(const struct ob_wh_ctx *cx, int i)
{
	return cx->pre != NULL ? cx->pre->rel[i] : NULL;
}

/* Fetch step of invoice events: the current invoice, then its customer if needed (rel[0]). */
int
ob_wh_invoice_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f)
{
	if (fetch_current(cx, event, "invoices", pre, f) != 0)
		return -1;
	return fetch_customer_of(cx, pre->obj != NULL ? pre->obj : event_object(event), &pre->rel[0], f);
}

/* Fetch step of events that only need the org: the object's customer if needed (rel[0]). */
int
ob_wh_customer_of_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f)
{
	return fetch_customer_of(cx, event_object(event), &pre->rel[0], f);
}

/* Fetch step of charge.refunded: the charge, then every refund of it (rel[0], a list). */
int
ob_wh_charge_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f)
{
	struct ob_buf path = OB_BUF_INIT;
	const char *cid;
	int rc;

	if (fetch_current(cx, event, "charges", pre, f) != 0)
		return -1;
	cid = ob_json_str(pre->obj != NULL ? pre->obj : event_object(event), "id");
	if (cx->stripe == NULL || cid == NULL)
		return 0;
	ob_buf_puts(&path, "/v1/refunds?limit=100&charge=");
	ob_stripe_form_escape(&path, cid, strlen(cid));
	rc = ob_wh_stripe_get(cx, path.data, &pre->rel[0], f);
	ob_buf_free(&path);
	if (rc > 0)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "Stripe: listing refunds: not found");
	return rc;
}

/* Fetch step of refund events: the refund, then its charge (rel[0]; a failure leaves it out). */
int
ob_wh_refund_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f)
{
	struct ob_fail nof = { 0 };
	struct ob_buf path = OB_BUF_INIT;
	const char *cid;

	if (fetch_current(cx, event, "refunds", pre, f) != 0)
		return -1;
	cid = ob_json_id(pre->obj != NULL ? pre->obj : event_object(event), "charge");
	if (cx->stripe == NULL || cid == NULL)
		return 0;
	ob_buf_puts(&path, "/v1/charges/");
	ob_stripe_form_escape(&path, cid, strlen(cid));
	(void)ob_wh_stripe_get(cx, path.data, &pre->rel[0], &nof);
	ob_buf_free(&path);
	return 0;
}

/* Fetch step of customer.updated: the current customer. */
int
ob_wh_customer_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f)
{
	return fetch_current(cx, event, "customers", pre, f);
}

/* Fetch, map and upsert the event's invoice. *inv: the current invoice (caller deletes). 0/-1. */
static int
sync_invoice(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, cJSON **inv,
    struct ob_fail *f)
{
	int64_t seen, org, local;

	*inv = NULL;
	if ((*inv = current(cx, event, &seen, f)) == NULL)
		return -1;
	if ((org = org_of(cx, *inv, pre_rel(cx, 0), f)) < 0)
		return -1;
	if (org == 0) {
		ob_log(OB_LOG_INFO, "invoice_unknown_customer", "%s: no org for its customer",
		    ob_json_str_or(*inv, "id", "?"));
		return 0;
	}
	*org_id = org;
	return ob_invoices_apply_stripe(cx->db, org, *inv, seen, &local, f);
}

int
ob_wh_invoice_sync(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f)
{
	cJSON *inv = NULL;
	int rc = sync_invoice(cx, event, org_id, &inv, f);

	cJSON_Delete(inv);
	return rc;
}

int
ob_wh_invoice_upcoming(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f)
{
	/* An upcoming invoice has no id to store; only note the org. */
	int64_t org = org_of(cx, event_object(event), pre_rel(cx, 0), f);

	if (org < 0)
		return -1;
	*org_id = org;
	return 0;
}

/*
 * Sync the event's invoice (*inv: the current one, the caller deletes it)
 * and tell whether to act on it: 1 when it is ours (*org_id), has an id
 * (*id) and is in status want; 0 when not; -1 with f.
 */
static int
invoice_in(struct ob_wh_ctx *cx, const cJSON *event, const char *want, int64_t *org_id,
    cJSON **inv, const char **id, struct ob_fail *f)
{
	const char *status;

	if (sync_invoice(cx, event, org_id, inv, f) != 0)
		return -1;
	status = ob_json_str(*inv, "status");
	*id = ob_json_str(*inv, "id");
	return *org_id != 0 && *id != NULL && status != NULL && strcmp(status, want) == 0;
}

int
ob_wh_invoice_paid(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f)
{
	struct ob_actx ax = { cx->db, NULL, "webhook", NULL, NULL, 0 };
	cJSON *inv = NULL;
	const char *id, *number;
	char money[48], body[1024], subject[200], key[300];
	int64_t paid;
	int changed = 0, granted = 0, rc;

	/* Not paid (any more), or not ours: nothing to do. */
	if ((rc = invoice_in(cx, event, "paid", org_id, &inv, &id, f)) <= 0)
		goto out;
	rc = -1;
	if (ob_dunning_on_paid(&ax, *org_id, id, &changed, f) != 0)
		goto out;
	if (ob_invoices_purchase_paid(&ax, inv, &granted, f) != 0)
		goto out;
	paid = ob_num_json_or(inv, "amount_paid", 0);
	if (paid > 0) {
		number = ob_json_str_or(inv, "number", id);
		ob_money_format(money, sizeof(money), paid, ob_json_str(inv, "currency"), OB_MONEY_CODE);
		snprintf(subject, sizeof(subject), "Receipt for invoice %.60s", number);
		snprintf(body, sizeof(body),
		    "Thank you: we received your payment of %s for invoice %.60s.\n\n"
		    "View the invoice: %.400s\n%s",
		    money, number, ob_json_str_or(inv, "hosted_invoice_url", "(see the Billing page)"),
		    granted ? "\nThe credits you bought have been added to your organization.\n" : "");
		snprintf(key, sizeof(key), "receipt:%.250s", id);
		if (ob_outbox_notify(cx->db, *org_id, 0, "receipt", key, subject, body, NULL) != 0) {
			ob_fail_db(f, cx->db->lasterr);
			goto out;
		}
	}
	rc = 0;
out:
	cJSON_Delete(inv);
	return rc;
}

int
ob_wh_invoice_payment_failed(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f)
{
	struct ob_actx ax = { cx->db, NULL, "webhook", NULL, NULL, 0 };
	const cJSON *snap = event_object(event);
	cJSON *inv = NULL;
	const char *id;
	char money[48], body[1024];
	int64_t attempt, due;
	int changed, rc;

	/* A failure already made good (the invoice is paid, void …) changes nothing. */
	if ((rc = invoice_in(cx, event, "open", org_id, &inv, &id, f)) <= 0)
		goto out;
	/* The attempt this event reports (the snapshot's, not the current one). */
	attempt = ob_num_json_or(snap, "attempt_count", ob_num_json_or(inv, "attempt_count", 0));
	due = ob_num_json_or(inv, "amount_due", 0);
	ob_money_format(money, sizeof(money), due, ob_json_str(inv, "currency"), OB_MONEY_CODE);
	snprintf(body, sizeof(body),
	    "We could not collect the payment of %s for invoice %.60s.\n\n"
	    "Please update your payment method on the Billing page, or pay the invoice here:\n%.400s\n\n"
	    "If the invoice stays unpaid, metered usage will be paused and later the\n"
	    "subscription canceled.\n",
	    money, ob_json_str_or(inv, "number", id),
	    ob_json_str_or(inv, "hosted_invoice_url", "(see the Billing page)"));
	rc = ob_dunning_on_failed(&ax, *org_id, id, attempt, body, &changed, f) != 0 ? -1 : 0;
out:
	cJSON_Delete(inv);
	return rc;
}

int
ob_wh_invoice_action_required(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f)
{
	cJSON *inv = NULL;
	const char *id;
	char body[800], key[300];
	int rc;

	if ((rc = invoice_in(cx, event, "open", org_id, &inv, &id, f)) <= 0)
		goto out;
	snprintf(body, sizeof(body), "Your bank asks you to confirm a payment.\n"
	    "Complete it here: %.400s\n",
	    ob_json_str_or(inv, "hosted_invoice_url", "(see the Billing page)"));
	snprintf(key, sizeof(key), "action_required:%.250s", id);
	rc = 0;
	if (ob_outbox_notify(cx->db, *org_id, 0, "payment_action_required", key,
	    "Action required to complete a payment", body, NULL) != 0)
		rc = ob_fail_db(f, cx->db->lasterr);
out:
	cJSON_Delete(inv);
	return rc;
}

int
ob_wh_charge_refunded(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f)
{
	const cJSON *r, *md;
	cJSON *ch;
	const char *inv;
	int64_t seen, o;
	int rc = -1;

	if ((ch = current(cx, event, &seen, f)) == NULL)
		return -1;
	md = cJSON_GetObjectItemCaseSensitive(ch, "metadata");
	inv = ob_json_id(ch, "invoice") ? ob_json_id(ch, "invoice") : ob_json_str(md, "invoice");
	/* Every refund of the charge (fetched before), so one made outside orgbill is recorded too. */
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(pre_rel(cx, 0), "data")) {
		if (ob_refunds_apply_stripe(cx->db, r, inv, &o, f) != 0)
			goto out;
	}
	if (ob_refunds_apply_charge(cx->db, ch, org_id, f) != 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(ch);
	return rc;
}

int
ob_wh_refund(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f)
{
	const cJSON *ch = pre_rel(cx, 0);
	const char *inv = NULL;
	cJSON *re;
	int64_t seen;
	int rc;

	if ((re = current(cx, event, &seen, f)) == NULL)
		return -1;
	if (ch != NULL) {
		inv = ob_json_id(ch, "invoice");
		if (inv == NULL)
			inv = ob_json_str(cJSON_GetObjectItemCaseSensitive(ch, "metadata"), "invoice");
	}
	rc = ob_refunds_apply_stripe(cx->db, re, inv, org_id, f) != 0 ? -1 : 0;
	cJSON_Delete(re);
	return rc;
}

int
ob_wh_customer_updated(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f)
{
	cJSON *cus;
	const cJSON *a;
	const char *params[8];
	char org[24];
	int64_t seen, o;
	int i;

	if ((cus = current(cx, event, &seen, f)) == NULL)
		return -1;
	o = ob_invoices_org_of_customer(cx->db, ob_json_str(cus, "id"));
	if (o < 0) {
		cJSON_Delete(cus);
		return ob_fail_db(f, cx->db->lasterr);
	}
	if (o > 0) {
		static const char *const keys[6] = { "line1", "line2", "city", "state", "postal_code", "country" };
		static const size_t max[6] = { 200, 200, 100, 100, 20, 2 };

		*org_id = o;
		ob_num_str(org, sizeof(org), o);
		a = cJSON_GetObjectItemCaseSensitive(cus, "address");
		params[0] = org;
		params[1] = ob_json_str_or(cus, "email", "");
		if (strlen(params[1]) > 320 || strchr(params[1], '@') == NULL)
			params[1] = "";
		for (i = 0; i < 6; i++) {
			const char *v = ob_json_str(a, keys[i]);

			params[2 + i] = v != NULL && strlen(v) <= max[i] ? v : "";
		}
		if (strlen(params[7]) != 0 && (strlen(params[7]) != 2 || params[7][0] < 'A' ||
		    params[7][0] > 'Z' || params[7][1] < 'A' || params[7][1] > 'Z'))
			params[7] = "";
		/* Only when Stripe's address is set: a customer without one keeps ours. */
		if (cJSON_IsObject(a) && ob_db_run(cx->db, OB_STMT_INV_DETAILS_FROM_STRIPE, params) != 0) {
			cJSON_Delete(cus);
			return ob_fail_db(f, cx->db->lasterr);
		}
	}
	cJSON_Delete(cus);
	return 0;
}

int
ob_wh_payment_method(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f)
{
	/* The console fetches the default payment method live; only note the org. */
	int64_t o = org_of(cx, event_object(event), pre_rel(cx, 0), f);

	if (o < 0)
		return -1;
	*org_id = o;
	return 0;
}
