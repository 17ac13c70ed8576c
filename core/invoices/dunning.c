/*
 * Dunning: past_due → restricted → suspended, and back to active on
 * payment. See dunning.h.
 */
#include "invoices/dunning.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stripe/client.h"
#include "stripe/form.h"
#include "invoices/invoices.h"
#include "invoices/invoices_int.h"
#include "base/cfg.h"
#include "base/db_json.h"
#include "base/log.h"
#include "base/row.h"
#include "base/outbox.h"
#include "base/num.h"
#include "base/json.h"

static const char *const state_names[] = { "active", "past_due", "restricted", "suspended" };

const char *
ob_dunning_state_name(enum ob_dunning_state s)
{
	return (unsigned)s < 4 ? state_names[s] : "active";
}

int
ob_dunning_state_parse(const char *s, enum ob_dunning_state *out)
{
	int i;

	for (i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum ob_dunning_state)i;
			return 0;
		}
	return -1;
}

enum ob_dunning_state
ob_dunning_next(enum ob_dunning_state cur, enum ob_dunning_event ev, int64_t since, int64_t now,
    int64_t grace_s, int64_t suspend_s, int overridden)
{
	switch (ev) {
	case OB_DUNNING_EV_PAID:
		return OB_DUNNING_ACTIVE;
	case OB_DUNNING_EV_FAILED:
		return cur == OB_DUNNING_ACTIVE ? OB_DUNNING_PAST_DUE : cur;
	case OB_DUNNING_EV_TICK:
	default:
		if (overridden)
			return cur;
		if (cur == OB_DUNNING_PAST_DUE && now - since >= grace_s)
			return OB_DUNNING_RESTRICTED;
		if (cur == OB_DUNNING_RESTRICTED && now - since >= suspend_s)
			return OB_DUNNING_SUSPENDED;
		return cur;
	}
}

void
ob_dunning_periods(int64_t *grace_s, int64_t *suspend_s)
{
	*grace_s = (int64_t)ob_cfg_env_int("ORGBILL_DUNNING_GRACE_DAYS") * 86400;
	*suspend_s = (int64_t)ob_cfg_env_int("ORGBILL_DUNNING_SUSPEND_DAYS") * 86400;
}

/* The locked dunning row. */
struct dun_row {
	enum ob_dunning_state state;
	char invoice[256];
	int64_t since, now;
	int overridden;
};

static int
lock_row(struct ob_db *db, const char *org, struct dun_row *r)
{
	const char *params[1] = { org };
	PGresult *q;

	if (ob_db_run(db, OB_STMT_DUN_ENSURE, params) != 0)
		return -1;
	if ((q = ob_db_exec(db, OB_STMT_DUN_LOCK, params, NULL)) == NULL)
		return -1;
	if (PQntuples(q) != 1) {
		PQclear(q);
		snprintf(db->lasterr, sizeof(db->lasterr), "dunning row missing");
		return -1;
	}
	if (ob_dunning_state_parse(ob_row_str(q, 0, "state"), &r->state) != 0)
		r->state = OB_DUNNING_ACTIVE;
	snprintf(r->invoice, sizeof(r->invoice), "%s", ob_row_str(q, 0, "invoice_id"));
	r->since = ob_row_i64(q, 0, "state_since");
	r->overridden = ob_row_bool(q, 0, "overridden");
	r->now = ob_row_i64(q, 0, "now");
	PQclear(q);
	return 0;
}

/* Move to state `to`: the dunning row, the org's billing_state, an audit row. */
static int
set_state(const struct ob_actx *ax, const char *org, int64_t org_id, enum ob_dunning_state from,
    enum ob_dunning_state to, const char *invoice, int override, const char *reason,
    const char *action)
{
	const char *p5[5] = { org, ob_dunning_state_name(to), invoice ? invoice : "",
	    override ? "true" : "false", reason };
	const char *p2[2] = { org, ob_dunning_state_name(to) };
	cJSON *before = cJSON_CreateObject(), *after = cJSON_CreateObject();
	int rc = -1;

	cJSON_AddStringToObject(before, "billing_state", ob_dunning_state_name(from));
	cJSON_AddStringToObject(after, "billing_state", ob_dunning_state_name(to));
	if (invoice != NULL && *invoice != '\0')
		cJSON_AddStringToObject(after, "invoice", invoice);
	if (ob_db_run(ax->db, OB_STMT_DUN_SET, p5) != 0 ||
	    ob_db_run(ax->db, OB_STMT_DUN_ORG_STATE, p2) != 0)
		goto out;
	if (to == OB_DUNNING_ACTIVE) {
		const char *p1[1] = { org };

		if (ob_db_run(ax->db, OB_STMT_DUN_ORG_UNSUSPEND, p1) != 0)
			goto out;
	}
	rc = ob_audit_write(ax, org_id, action, "organization", org, before, after);
out:
	cJSON_Delete(before);
	cJSON_Delete(after);
	return rc;
}

/* The org's name for notices ("" if unknown). */
static void
org_name(struct ob_db *db, const char *org, char *out, size_t len)
{
	const char *params[1] = { org };
	PGresult *q = ob_db_exec(db, OB_STMT_INV_ORG_INFO, params, NULL);

	out[0] = '\0';
	if (q != NULL && PQntuples(q) == 1)
		snprintf(out, len, "%s", ob_row_str(q, 0, "name"));
	if (q != NULL)
		PQclear(q);
}

/* Notify the billing contacts; the subject is prefix + the org's name. */
static int
notify(struct ob_db *db, int64_t org_id, const char *org, const char *kind, const char *key,
    const char *prefix, const char *body)
{
	char name[201], subject[OB_OUTBOX_SUBJECT_MAX + 1];

	org_name(db, org, name, sizeof(name));
	snprintf(subject, sizeof(subject), "%s%s", prefix, name);
	return ob_outbox_notify(db, org_id, 1, kind, key, subject, body, NULL);
}

/*
 * Begin a transaction and lock org_id's dunning row into *r (org: the id
 * as text, 24 bytes). 0, or -1 with db->lasterr (rolled back).
 */
static int
dun_begin(struct ob_db *db, int64_t org_id, char *org, struct dun_row *r)
{
	ob_num_str(org, 24, org_id);
	if (ob_db_begin(db) != 0)
		return -1;
	if (lock_row(db, org, r) != 0) {
		ob_db_rollback(db);
		return -1;
	}
	return 0;
}

/*
 * End what dun_begin began: commit when rc is 0, else roll back. 0, or -1
 * with f (when not NULL) holding a database failure.
 */
static int
dun_end(struct ob_db *db, int rc, struct ob_fail *f)
{
	if (rc == 0 && ob_db_commit(db) == 0)
		return 0;
	if (f != NULL)
		return ob_db_fail(db, f);
	ob_db_rollback(db);
	return -1;
}

int
ob_dunning_on_failed(const struct ob_actx *ax, int64_t org_id, const char *invoice,
    int64_t attempt, const char *notice, int *changed, struct ob_fail *f)
{
	char org[24], key[400];
	struct dun_row r;
	enum ob_dunning_state to;
	int rc = 0;

	*changed = 0;
	if (dun_begin(ax->db, org_id, org, &r) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	to = ob_dunning_next(r.state, OB_DUNNING_EV_FAILED, r.since, r.now, 0, 0, r.overridden);
	if (to == OB_DUNNING_ACTIVE && r.overridden)
		to = OB_DUNNING_PAST_DUE;	/* a new failure after staff lifted the last one */
	if (to != r.state || r.overridden) {
		rc = set_state(ax, org, org_id, r.state, to, invoice, 0, NULL, "billing.past_due");
		*changed = rc == 0;
	}
	if (rc == 0 && notice != NULL) {
		snprintf(key, sizeof(key), "payment_failed:%.250s:%lld", invoice, (long long)attempt);
		rc = notify(ax->db, org_id, org, "payment_failed", key, "Payment failed for ", notice);
	}
	return dun_end(ax->db, rc, f);
}

int
ob_dunning_on_paid(const struct ob_actx *ax, int64_t org_id, const char *invoice, int *changed,
    struct ob_fail *f)
{
	char org[24], key[400];
	struct dun_row r;
	int rc = 0;

	*changed = 0;
	if (dun_begin(ax->db, org_id, org, &r) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (r.state != OB_DUNNING_ACTIVE) {
		snprintf(key, sizeof(key), "recovered:%.250s", invoice);
		if (set_state(ax, org, org_id, r.state, OB_DUNNING_ACTIVE, invoice, 0, NULL,
		    "billing.recovered") != 0 ||
		    notify(ax->db, org_id, org, "billing_recovered", key, "Billing restored for ",
		    "We received your payment. Your organization's billing is in good standing again\n"
		    "and every restriction has been lifted.\n") != 0)
			rc = -1;
		else
			*changed = 1;
	}
	return dun_end(ax->db, rc, f);
}

/* Cancel one Stripe subscription now. 0 (canceled, or already gone) or -1. */
static int
cancel_one(struct ob_stripe *st, const char *org, const char *invoice, const char *sub)
{
	char key[OB_STRIPE_IDEM_KEY_MAX + 1], opid[320];
	struct ob_stripe_result res = { 0 };
	struct ob_buf path = OB_BUF_INIT;
	int rc = -1;

	snprintf(opid, sizeof(opid), "%s-%.100s-%.100s", org, invoice[0] ? invoice : "none", sub);
	if (ob_stripe_idem_key(key, sizeof(key), "dunning-cancel", opid) != 0)
		return -1;
	ob_buf_puts(&path, "/v1/subscriptions/");
	ob_stripe_form_escape(&path, sub, strlen(sub));
	if (ob_stripe_request(st, "DELETE", path.data, NULL, key, &res) == 0 ||
	    res.outcome == OB_STRIPE_NOT_FOUND || res.outcome == OB_STRIPE_INVALID_REQUEST)
		rc = 0;
	else
		ob_log(OB_LOG_WARN, "dunning_cancel", "org %s: %s", org, ob_stripe_outcome_name(res.outcome));
	ob_stripe_result_clear(&res);
	ob_buf_free(&path);
	return rc;
}

/*
 * Cancel the org's subscription at Stripe: the local mirror's, else every
 * live one of its Stripe customer. 0 (also: nothing to cancel), -1 to retry
 * later (Stripe unreachable).
 */
static int
cancel_subscription(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *org,
    const char *invoice)
{
	const char *params[1] = { org };
	char sub[256], cus[128];
	struct ob_stripe_result res = { 0 };
	struct ob_buf path = OB_BUF_INIT;
	struct ob_fail f = { 0 };
	const cJSON *data, *s;
	PGresult *q;
	int rc = 0;

	if ((q = ob_db_exec(db, OB_STMT_DUN_SUB, params, NULL)) == NULL)
		return -1;
	if (PQntuples(q) == 1) {
		int live = strcmp(ob_row_str(q, 0, "status"), "canceled") != 0;

		snprintf(sub, sizeof(sub), "%s", ob_row_str(q, 0, "stripe_subscription_id"));
		PQclear(q);
		if (!live)
			return 0;
		return st == NULL ? -1 : cancel_one(st, org, invoice, sub);
	}
	PQclear(q);
	if (st == NULL)
		return -1;
	if ((rc = ob_invoices_customer(db, st, org_id, 0, cus, sizeof(cus), &f)) != 0)
		return rc > 0 ? 0 : -1;
	ob_buf_puts(&path, "/v1/subscriptions?limit=100&customer=");
	ob_stripe_form_escape(&path, cus, strlen(cus));
	if (ob_stripe_request(st, "GET", path.data, NULL, NULL, &res) != 0) {
		rc = -1;
		goto out;
	}
	data = cJSON_GetObjectItemCaseSensitive(res.body, "data");
	cJSON_ArrayForEach(s, data) {
		const char *id = ob_json_str(s, "id"), *status = ob_json_str(s, "status");

		if (id != NULL && status != NULL && strcmp(status, "canceled") != 0 &&
		    strcmp(status, "incomplete_expired") != 0 && cancel_one(st, org, invoice, id) != 0)
			rc = -1;
	}
out:
	ob_stripe_result_clear(&res);
	ob_buf_free(&path);
	return rc;
}

/*
 * Suspend the org (row r locked; its subscription already canceled at
 * Stripe): suspend, record, notify. 0 or -1.
 */
static int
suspend(const struct ob_actx *ax, int64_t org_id, const char *org, const struct dun_row *r)
{
	char reason[320], key[300];
	const char *p2[2] = { org, reason };

	snprintf(reason, sizeof(reason), "billing: payment failed (invoice %.250s)",
	    r->invoice[0] ? r->invoice : "unknown");
	if (ob_db_run(ax->db, OB_STMT_DUN_ORG_SUSPEND, p2) != 0 ||
	    set_state(ax, org, org_id, r->state, OB_DUNNING_SUSPENDED, NULL, 0, NULL,
	    "billing.suspended") != 0)
		return -1;
	snprintf(key, sizeof(key), "suspended:%s:%lld", org, (long long)r->now);
	return notify(ax->db, org_id, org, "billing_suspended", key, "Organization suspended: ",
	    "A payment stayed overdue, so the subscription was canceled and the organization\n"
	    "suspended. Contact support or pay the open invoice to restore it.\n");
}

/*
 * The suspension step, entered with org_id's dunning row locked (r) by an
 * open transaction. No Stripe call is made under that lock: the
 * transaction ends, the subscription is canceled at Stripe with none open
 * (keyed, so a retry replays), then the row is locked again and, if the
 * org is still due for suspension (not paid meanwhile), suspended. A crash
 * in between leaves the org due; the next pass cancels again (replayed)
 * and suspends. 1 moved, 0 not, -1 failure.
 */
static int
tick_suspend(struct ob_db *db, struct ob_stripe *st, int64_t org_id, int64_t grace_s,
    int64_t suspend_s, struct dun_row *r)
{
	struct ob_actx ax = { db, NULL, "jobs", NULL, NULL, 0 };
	char org[24], invoice[sizeof(r->invoice)];

	snprintf(invoice, sizeof(invoice), "%s", r->invoice);
	if (dun_end(db, 0, NULL) != 0)
		return -1;
	ob_num_str(org, sizeof(org), org_id);
	if (cancel_subscription(db, st, org_id, org, invoice) != 0)
		return -1;
	if (dun_begin(db, org_id, org, r) != 0)
		return -1;
	if (ob_dunning_next(r->state, OB_DUNNING_EV_TICK, r->since, r->now, grace_s, suspend_s,
	    r->overridden) != OB_DUNNING_SUSPENDED)
		return dun_end(db, 0, NULL) == 0 ? 0 : -1;	/* paid or lifted meanwhile */
	return dun_end(db, suspend(&ax, org_id, org, r), NULL) == 0 ? 1 : -1;
}

/* One org's timed step. 1 moved, 0 not, -1 failure. */
static int
tick_one(struct ob_db *db, struct ob_stripe *st, int64_t org_id, int64_t grace_s, int64_t suspend_s)
{
	struct ob_actx ax = { db, NULL, "jobs", NULL, NULL, 0 };
	char org[24], key[300];
	struct dun_row r;
	enum ob_dunning_state to;
	int rc = 0;

	if (dun_begin(db, org_id, org, &r) != 0)
		return -1;
	to = ob_dunning_next(r.state, OB_DUNNING_EV_TICK, r.since, r.now, grace_s, suspend_s,
	    r.overridden);
	if (to == r.state)
		return dun_end(db, 0, NULL);
	if (to == OB_DUNNING_RESTRICTED) {
		snprintf(key, sizeof(key), "restricted:%s:%lld", org, (long long)r.now);
		if (set_state(&ax, org, org_id, r.state, to, NULL, 0, NULL, "billing.restricted") != 0 ||
		    notify(db, org_id, org, "billing_restricted", key, "Usage restricted for ",
		    "A payment is still overdue, so metered usage is now paused for your organization.\n"
		    "Update your payment method on the Billing page to restore service.\n") != 0)
			rc = -1;
	} else if (to == OB_DUNNING_SUSPENDED) {
		return tick_suspend(db, st, org_id, grace_s, suspend_s, &r);
	}
	return dun_end(db, rc, NULL) == 0 ? 1 : -1;
}

int
ob_dunning_run(struct ob_db *db, struct ob_stripe *st, int64_t grace_s, int64_t suspend_s,
    int *moved)
{
	PGresult *q;
	int i, r, rc = 0;

	*moved = 0;
	if ((q = ob_db_exec(db, OB_STMT_DUN_DUE, NULL, NULL)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(q); i++) {
		r = tick_one(db, st, ob_row_i64(q, i, "org_id"), grace_s, suspend_s);
		if (r > 0)
			(*moved)++;
		else if (r < 0)
			rc = -1;
	}
	PQclear(q);
	return rc;
}

int
ob_dunning_override(const struct ob_actx *ax, int64_t org_id, const char *reason,
    struct ob_fail *f)
{
	char org[24];
	struct dun_row r;

	if (reason == NULL || strlen(reason) < 3 || strlen(reason) > 500)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "reason",
		    "Give a reason of 3 to 500 characters.");
	if (dun_begin(ax->db, org_id, org, &r) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (r.state == OB_DUNNING_ACTIVE) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_CONFLICT, "not_in_dunning", NULL,
		    "The organization is not in dunning.");
	}
	return dun_end(ax->db, set_state(ax, org, org_id, r.state, OB_DUNNING_ACTIVE, NULL, 1, reason,
	    "billing.dunning_override"), f);
}

cJSON *
ob_dunning_view(struct ob_db *db, int64_t org_id)
{
	static const char *const names[] = { "state_since", "past_due_at", "restricted_at",
		"suspended_at", "recovered_at" };
	const char *state;
	PGresult *q;
	cJSON *o;
	int i;

	if ((o = ob_inv_org_row(db, OB_STMT_DUN_VIEW, org_id, "dunning", &q)) == NULL)
		return NULL;
	state = ob_row_str(q, 0, "billing_state");
	cJSON_AddStringToObject(o, "state", state);
	cJSON_AddStringToObject(o, "org_status", ob_row_str(q, 0, "org_status"));
	if (ob_row_str(q, 0, "invoice_id")[0] != '\0')
		cJSON_AddStringToObject(o, "invoice", ob_row_str(q, 0, "invoice_id"));
	else
		cJSON_AddNullToObject(o, "invoice");
	for (i = 0; i < 5; i++)
		ob_db_add_text(o, q, 0, names[i]);	/* timestamps: null or never empty */
	if (ob_row_str(q, 0, "override_reason")[0] != '\0')
		cJSON_AddStringToObject(o, "override_reason", ob_row_str(q, 0, "override_reason"));
	cJSON_AddBoolToObject(o, "restricted", strcmp(state, "restricted") == 0 ||
	    strcmp(state, "suspended") == 0);
	PQclear(q);
	return o;
}
