/*
 * Webhook handlers that need no other module's webhook code: a trial
 * about to end.
 */
#include "sync/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/money.h"
#include "base/num.h"
#include "base/outbox.h"
#include "billing/subscription.h"
#include "identity/audit.h"

int ob_wh_on_trial_will_end(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f);

/* What the subscription's items cost each period (minor units), from Stripe's object. */
static int64_t
items_amount(const cJSON *sub, int64_t dflt)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(sub, "items"), *it;
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(items, "data");
	int64_t sum = 0, unit, qty;
	int n = 0;

	cJSON_ArrayForEach(it, data) {
		unit = ob_num_json_or(cJSON_GetObjectItemCaseSensitive(it, "price"), "unit_amount", -1);
		qty = ob_num_json_or(it, "quantity", 1);
		if (unit < 0 || qty < 0 || qty > 1000000 || unit > 1000000000000LL)
			return dflt;
		sum += unit * qty;
		n++;
	}
	return n > 0 ? sum : dflt;
}

/*
 * E-mail org's billing contacts and owners that the trial of s (the local
 * mirror; sub: Stripe's object from the event) ends, with the date and
 * the amount then charged; once per event (the outbox's dedupe key).
 */
static int
trial_mail(struct ob_wh_ctx *cx, const struct ob_sub *s, const cJSON *sub, const char *event_id,
    struct ob_fail *f)
{
	char subject[OB_OUTBOX_SUBJECT_MAX], body[1024], amount[48], day[32], key[300];
	time_t end = (time_t)ob_num_json_or(sub, "trial_end", s->trial_end);
	struct tm tm;

	if (end <= 0 || gmtime_r(&end, &tm) == NULL)
		return 0;	/* no trial: nothing to say */
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	ob_money_format(amount, sizeof(amount), items_amount(sub, s->unit_amount * s->seats),
	    s->currency, OB_MONEY_CODE);
	snprintf(subject, sizeof(subject), "Your free trial ends on %s", day);
	snprintf(body, sizeof(body),
	    "The free trial of your %.60s subscription ends on %s.\n\n"
	    "Then %s will be charged to the card on file for %lld seats, and every %s after\n"
	    "that until you cancel. To change or cancel before then, open the Billing page.\n",
	    s->plan, day, amount, (long long)s->seats,
	    strcmp(s->cycle, "year") == 0 ? "year" : "month");
	snprintf(key, sizeof(key), "trial-will-end:%.250s", event_id);
	if (ob_outbox_notify(cx->db, s->org_id, 1, "trial_will_end", key, subject, body, NULL) != 0)
		return ob_fail_db(f, cx->db->lasterr);
	return 0;
}

/*
 * A trial ends in three days: recorded (an audit row the activity log
 * shows) and, when the subscription is the org's mirrored one, e-mailed
 * to the org's billing contacts and owners with the date and the amount.
 */
int
ob_wh_on_trial_will_end(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f)
{
	struct ob_actx ax = { cx->db, NULL, "webhook", NULL, NULL, 0 };
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(event, "data");
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(data, "object");
	const char *id = ob_json_str_or(event, "id", "");
	const char *sub_id = ob_json_str(sub, "id");
	const char *org = ob_json_str(cJSON_GetObjectItemCaseSensitive(sub, "metadata"),
	    "orgbill_org");
	struct ob_sub cur;
	cJSON *after;
	int rc;

	if (*org_id == 0 && org != NULL)
		*org_id = strtoll(org, NULL, 10);
	if (*org_id > 0 && sub_id != NULL) {
		if ((rc = ob_subscription_load(cx->db, *org_id, &cur)) < 0)
			return ob_fail_db(f, cx->db->lasterr);
		if (rc == 0 && strcmp(cur.subscription, sub_id) == 0) {
			if (trial_mail(cx, &cur, sub, id, f) != 0)
				return -1;
		} else
			*org_id = 0;	/* not the org's subscription: recorded only */
	} else
		*org_id = 0;
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "event", id);
	rc = ob_audit_write(&ax, *org_id, "subscription.trial_will_end", "webhook_event", id,
	    NULL, after);
	cJSON_Delete(after);
	if (rc != 0)
		return ob_fail_db(f, cx->db->lasterr);
	return 0;
}
