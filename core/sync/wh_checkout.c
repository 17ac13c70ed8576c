/*
 * Checkout events: a session started from the console completed (its
 * subscription is mirrored and the order marked complete) or expired.
 * The session and its subscription are fetched from Stripe when a client
 * is at hand, before the event's transaction begins; without one the
 * event's own session is used and its subscription must be expanded in it. The first completion e-mails the
 * org's billing contacts a confirmation with the receipt of the first
 * payment (once per session: the outbox's dedupe key). A session
 * completed while the org already has another live subscription (two
 * Checkout tabs, both paid) is undone at Stripe by the fetch step
 * (wh_checkout_dup.c) and recorded as a duplicate: the org's subscription
 * stays the one mirrored, the customer is not charged twice.
 */
#include "sync/wh_checkout.h"

#include <stdio.h>
#include <string.h>

#include "identity/audit.h"
#include "base/json.h"
#include "base/money.h"
#include "base/num.h"
#include "base/outbox.h"
#include "billing/checkout.h"

int ob_wh_checkout_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f);
int ob_wh_checkout_session(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f);

/* The event's session, and its id (NULL when missing or too long). */
static const cJSON *
event_session(const cJSON *event, const char **id)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(event, "data");
	const cJSON *sess = cJSON_GetObjectItemCaseSensitive(data, "object");

	*id = ob_json_str(sess, "id");
	if (*id != NULL && strlen(*id) > 255)
		*id = NULL;
	return sess;
}

/* The id of a field that is an id or an expanded object, or NULL. */
static const char *
ref_id(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
	const char *id = cJSON_IsString(it) ? it->valuestring : ob_json_str(it, "id");

	return id != NULL && strlen(id) <= 255 ? id : NULL;
}

/* GET /v1/<what>/<id> from Stripe into *out. 0, or -1 with f (not found too). */
static int
fetch(struct ob_wh_ctx *cx, const char *what, const char *id, cJSON **out, struct ob_fail *f)
{
	char path[320];
	int rc;

	snprintf(path, sizeof(path), "/v1/%s/%s", what, id);
	if ((rc = ob_wh_stripe_get(cx, path, out, f)) > 0)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "fetching %s from Stripe: not found", id);
	return rc;
}

/*
 * Fetch step (no transaction open): the session (pre->obj), its
 * subscription (rel[0]) and its first invoice for the receipt (rel[1];
 * without it the e-mail links the Billing page). A completed session that
 * is a second purchase is undone at Stripe here; rel[2] says what was done.
 */
int
ob_wh_checkout_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f)
{
	struct ob_actx ax = { cx->db, NULL, "webhook", NULL, NULL, 0 };
	struct ob_fail nof = { 0 };
	const cJSON *sess;
	const char *id, *sub_id, *inv_id;

	sess = event_session(event, &id);
	if (id == NULL || cx->stripe == NULL || ob_json_str(sess, "mode") == NULL ||
	    strcmp(ob_json_str(sess, "mode"), "subscription") != 0)
		return 0;
	if (fetch(cx, "checkout/sessions", id, &pre->obj, f) != 0)
		return -1;
	sess = pre->obj;
	if ((sub_id = ref_id(sess, "subscription")) != NULL &&
	    fetch(cx, "subscriptions", sub_id, &pre->rel[0], f) != 0)
		return -1;
	if ((inv_id = ref_id(sess, "invoice")) != NULL)
		(void)fetch(cx, "invoices", inv_id, &pre->rel[1], &nof);
	if (ob_json_str(sess, "status") == NULL || strcmp(ob_json_str(sess, "status"), "complete") != 0 ||
	    !cJSON_IsObject(pre->rel[0]))
		return 0;
	return ob_wh_checkout_guard_duplicate(cx, &ax, sess, pre->rel[0], pre->rel[1],
	    inv_id != NULL, &pre->rel[2], f);
}

/*
 * The confirmation of org's order sid, with the receipt of inv (the first
 * invoice as fetched from Stripe; may be NULL), to its billing contacts
 * and owners. 0 or -1 with f.
 */
static int
confirm(struct ob_wh_ctx *cx, int64_t org_id, const char *sid, const cJSON *inv,
    struct ob_fail *f)
{
	char subject[OB_OUTBOX_SUBJECT_MAX], body[2048], total[48], paid[48], key[300];
	cJSON *o = NULL;
	const char *cur, *cycle;
	int64_t v;

	if (ob_checkout_get(cx->db, org_id, sid, &o) != 0)
		return ob_fail_db(f, cx->db->lasterr);
	cur = ob_json_str(o, "currency");
	cycle = ob_json_str(o, "cycle");
	ob_money_format(total, sizeof(total), ob_num_json_or(o, "total", 0), cur, OB_MONEY_CODE);
	v = ob_num_json_or(inv, "amount_paid", ob_num_json_or(o, "total", 0));
	ob_money_format(paid, sizeof(paid), v, ob_json_str_or(inv, "currency", cur), OB_MONEY_CODE);
	snprintf(subject, sizeof(subject), "Your %.60s subscription is confirmed",
	    ob_json_str_or(o, "plan", "new"));
	snprintf(body, sizeof(body),
	    "Thank you for subscribing.\n\n"
	    "Plan: %.60s\nSeats: %lld\nBilling cycle: %s\nPrice: %s per %s\n\n"
	    "Receipt\nInvoice: %.60s\nPaid today: %s\nView the invoice: %.400s\n",
	    ob_json_str_or(o, "plan", ""), (long long)ob_num_json_or(o, "seats", 0),
	    cycle != NULL && strcmp(cycle, "year") == 0 ? "annual" : "monthly", total,
	    cycle != NULL && strcmp(cycle, "year") == 0 ? "year" : "month",
	    ob_json_str_or(inv, "number", ob_json_str_or(inv, "id", "(see the Billing page)")), paid,
	    ob_json_str_or(inv, "hosted_invoice_url", "(see the Billing page)"));
	cJSON_Delete(o);
	snprintf(key, sizeof(key), "subscription-confirmed:%.250s", sid);
	if (ob_outbox_notify(cx->db, org_id, 1, "subscription_confirmed", key, subject, body,
	    NULL) != 0)
		return ob_fail_db(f, cx->db->lasterr);
	return 0;
}

/* Apply step: finish the order from the fetched objects (else the event's). */
int
ob_wh_checkout_session(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f)
{
	struct ob_actx ax = { cx->db, NULL, "webhook", NULL, NULL, 0 };
	const struct ob_wh_pre *pre = cx->pre;
	const cJSON *sess, *sub, *inv, *undone;
	const char *id;
	int rc, complete, dup;

	*org_id = 0;
	sess = event_session(event, &id);
	if (id == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "bad_event", NULL, "event without a session id");
	if (ob_json_str(sess, "mode") == NULL || strcmp(ob_json_str(sess, "mode"), "subscription") != 0)
		return 0;	/* payments are the purchases' business */
	if (pre != NULL && pre->obj != NULL)
		sess = pre->obj;
	sub = pre != NULL && pre->rel[0] != NULL ? pre->rel[0] :
	    cJSON_GetObjectItemCaseSensitive(sess, "subscription");
	if (ob_json_str(sess, "status") != NULL && strcmp(ob_json_str(sess, "status"), "complete") == 0 &&
	    !cJSON_IsObject(sub))
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "session %s: its subscription is not at hand", id);
	inv = pre != NULL && pre->rel[1] != NULL ? pre->rel[1] :
	    cJSON_GetObjectItemCaseSensitive(sess, "invoice");
	if (!cJSON_IsObject(inv))
		inv = NULL;
	undone = pre != NULL ? pre->rel[2] : NULL;
	complete = ob_json_str(sess, "status") != NULL &&
	    strcmp(ob_json_str(sess, "status"), "complete") == 0;
	/* A duplicate is undone by the fetch step, which needs a Stripe client. */
	if (complete && undone == NULL && (dup = ob_checkout_duplicate(cx->db, sess, sub)) != 0)
		return dup < 0 ? ob_fail_db(f, cx->db->lasterr) :
		    ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unconfigured", NULL,
		    "session %s: a duplicate to cancel, and no Stripe client", id);
	if ((rc = ob_checkout_finish(&ax, sess, sub, undone, org_id, f)) != 0 || *org_id == 0 ||
	    !complete || undone != NULL)
		return rc;
	/* Completed just now: the confirmation, with the first invoice's receipt. */
	return confirm(cx, *org_id, id, inv, f);
}
