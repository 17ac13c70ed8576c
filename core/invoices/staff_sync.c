/*
 * Staff re-sync of one customer from Stripe (staff.h): its subscription
 * and its newest invoices fetched and applied through the same mirror the
 * webhooks use, each in its own transaction; then one staff audit row.
 * Stripe is called with no transaction open.
 */
#include "invoices/staff.h"
#include "invoices/invoices_int.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/num.h"
#include "billing/subscription.h"
#include "invoices/invoices.h"
#include "stripe/form.h"

/* The subscription fetched and applied: 1 applied, 0 none to fetch, -1 with f. */
static int
sync_subscription(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    struct ob_fail *f)
{
	struct ob_sub s;
	struct ob_stripe_result res;
	struct ob_buf path = OB_BUF_INIT;
	int rc;

	if ((rc = ob_subscription_load(ax->db, org_id, &s)) < 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (rc == 1 || s.subscription[0] == '\0')
		return 0;
	ob_buf_puts(&path, "/v1/subscriptions/");
	ob_stripe_form_escape(&path, s.subscription, strlen(s.subscription));
	rc = ob_inv_stripe_call(st, "GET", path.data, NULL, "", "", &res, f);
	ob_buf_free(&path);
	if (rc != 0)
		return -1;
	rc = ob_subscription_apply_stripe(ax, org_id, res.body, "subscription.staff_sync", f);
	ob_stripe_result_clear(&res);
	return rc == 0 ? 1 : -1;
}

int
ob_staff_sync(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id, cJSON **out,
    struct ob_fail *f)
{
	char customer[128], id[24];
	int sub, applied = 0, rc;
	cJSON *after;

	*out = NULL;
	if ((rc = ob_invoices_org_exists(ax->db, org_id)) < 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (rc == 0)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", NULL, "No such organization.");
	if (st == NULL)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "Stripe is not configured.");
	if ((sub = sync_subscription(ax, st, org_id, f)) < 0)
		return -1;
	if (ob_invoices_customer(ax->db, st, org_id, 0, customer, sizeof(customer), f) != 0)
		return -1;
	if (customer[0] != '\0' &&
	    ob_inv_reconcile_customer(ax->db, st, org_id, customer, 25, &applied) != 0)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "Stripe could not be reached for the invoices; try again.");
	after = cJSON_CreateObject();
	cJSON_AddBoolToObject(after, "subscription", sub == 1);
	cJSON_AddNumberToObject(after, "invoices_applied", applied);
	cJSON_AddStringToObject(after, "stripe_customer_id", customer);
	if (ob_db_begin(ax->db) != 0) {
		cJSON_Delete(after);
		return ob_fail_db(f, ax->db->lasterr);
	}
	if (ob_audit_commit(ax, org_id, "org.stripe_sync", "organization",
	    ob_num_str(id, sizeof(id), org_id), NULL, after, f) != 0) {
		cJSON_Delete(after);
		return -1;
	}
	cJSON_AddStringToObject(after, "object", "staff_sync");
	*out = after;
	return 0;
}

int
ob_staff_portal_opened(const struct ob_actx *ax, int64_t org_id, struct ob_fail *f)
{
	char id[24];
	int rc;

	if ((rc = ob_invoices_org_exists(ax->db, org_id)) < 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (rc == 0)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", NULL, "No such organization.");
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	return ob_audit_commit(ax, org_id, "org.portal_open", "organization",
	    ob_num_str(id, sizeof(id), org_id), NULL, NULL, f);
}
