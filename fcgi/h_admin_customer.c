/*
 * One customer for staff (docs/ADMIN.md, "Customer detail"): the page
 * /admin/customers/{org_id} with the action forms, and its JSON twin
 * /admin/api/customers/{org_id} with the same view model. The actions
 * themselves are in h_admin_actions.c.
 */
#include "fcgi/h_admin.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/money.h"
#include "base/num.h"
#include "billing/subscription.h"
#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "invoices/invoices.h"
#include "invoices/staff.h"
#include "sync/webhook.h"

static const struct ob_field customer_query[] = {
	{ .name = "preview_seats", .type = OB_FIELD_INT, .min = 1, .max = 100000,
	    .message = "preview_seats is a seat count from {min} to {max}." },
	{ .name = "done", .type = OB_FIELD_STRING, .max = 32, .chars = OB_CHARS_SET,
	    .set = "abcdefghijklmnopqrstuvwxyz_" },
};
const struct ob_fields ob_h_admin_customer_fields = OB_FIELDS_QUERY(customer_query, NULL);

/* Money texts beside the amounts of the model (display only). */
static void
add_texts(cJSON *m)
{
	cJSON *sub = cJSON_GetObjectItem(m, "subscription"), *row;
	const char *cur;

	if (cJSON_IsObject(sub)) {
		cur = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "currency"));
		ob_money_json_member(sub, "unit_amount", "unit_amount_text", cur, OB_MONEY_SYMBOL);
		ob_money_json_member(sub, "mrr", "mrr_text", cur, OB_MONEY_SYMBOL);
	}
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(m, "invoices")) {
		cur = cJSON_GetStringValue(cJSON_GetObjectItem(row, "currency"));
		ob_money_json_member(row, "total", "total_text", cur, OB_MONEY_SYMBOL);
		ob_money_json_member(row, "amount_paid", "amount_paid_text", cur, OB_MONEY_SYMBOL);
		ob_money_json_member(row, "refundable", "refundable_text", cur, OB_MONEY_SYMBOL);
		cJSON_AddBoolToObject(row, "can_refund", ob_num_json_or(row, "refundable", 0) > 0);
	}
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(m, "refunds"))
		ob_money_json_member(row, "amount", "amount_text",
		    cJSON_GetStringValue(cJSON_GetObjectItem(row, "currency")), OB_MONEY_SYMBOL);
}

/* The seat preview for n seats (0: none) into m: seat_preview, or seat_preview_error. */
static int
add_preview(struct ob_req *r, cJSON *m, int64_t org_id, int64_t n)
{
	struct ob_fail f = { 0 };
	char num[24];
	cJSON *body, *out = NULL;

	if (n <= 0)
		return 0;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "seats", ob_num_str(num, sizeof(num), n));
	if (ob_subscription_preview(&r->w->db, org_id, body, (int64_t)time(NULL), &out, &f) != 0) {
		cJSON_Delete(body);
		if (f.kind == OB_FAIL_DB)
			return -1;
		cJSON_AddStringToObject(m, "seat_preview_error", f.message);
		return 0;
	}
	cJSON_Delete(body);
	cJSON_AddItemToObject(m, "seat_preview", out);
	return 0;
}

/* The customer's default card (a Stripe read; its failure shows, never fails the page). */
static void
add_payment_methods(struct ob_req *r, cJSON *m, int64_t org_id)
{
	struct ob_fail f = { 0 };
	cJSON *arr = cJSON_AddArrayToObject(m, "payment_methods"), *pm;

	pm = ob_invoices_payment_method(&r->w->db, ob_worker_stripe(r->w), org_id, &f);
	if (pm == NULL) {
		cJSON_AddStringToObject(m, "payment_methods_error", f.message);
		return;
	}
	if (cJSON_IsTrue(cJSON_GetObjectItem(pm, "none")))
		cJSON_Delete(pm);
	else
		cJSON_AddItemToArray(arr, pm);
}

int
ob_h_admin_customer_model(struct ob_req *r, int64_t preview_seats, cJSON **out)
{
	struct ob_fail f = { 0 };
	int64_t org_id = ob_num_id(ob_route_param(r, "org_id"));
	cJSON *m, *events;

	*out = NULL;
	if (org_id == 0) {
		ob_worker_error(r, 404, "invalid_request_error", "org_not_found",
		    "No such organization.", NULL);
		return 0;
	}
	if (ob_staff_customer(&r->w->db, org_id, &m, &f) != 0)
		return ob_api_failed(r, &f);
	if ((events = ob_wh_list(&r->w->db, "", "", org_id, "", 25)) == NULL ||
	    add_preview(r, m, org_id, preview_seats) != 0) {
		cJSON_Delete(events);
		cJSON_Delete(m);
		return -1;
	}
	cJSON_AddItemToObject(m, "webhook_events",
	    cJSON_DetachItemFromObject(events, "data"));
	cJSON_Delete(events);
	add_payment_methods(r, m, org_id);
	add_texts(m);
	*out = m;
	return 1;
}

int
ob_h_admin_api_customer(struct ob_req *r)
{
	cJSON *m;
	int rc;

	if ((rc = ob_h_admin_customer_model(r, ob_field_i64(r, "preview_seats", 0), &m)) != 1)
		return rc;
	ob_api_json(r, 200, m);
	cJSON_Delete(m);
	return 0;
}

static const struct ob_page_flash_msg done_msgs[] = {
	{ "seats", "success", "Seat quantity changed." },
	{ "canceled", "success", "Subscription canceled." },
	{ "reactivated", "success", "Subscription reactivated." },
	{ "suspended", "success", "Organization suspended." },
	{ "activated", "success", "Organization activated." },
	{ "synced", "success", "Re-synced from Stripe." },
};

int
ob_h_admin_customer_render(struct ob_req *r, int status, const struct ob_fail *f,
    int64_t preview_seats, const char *done)
{
	cJSON *m, *d, *item, *org;
	int rc;

	if ((rc = ob_h_admin_customer_model(r, preview_seats, &m)) != 1)
		return rc;
	org = cJSON_GetObjectItem(m, "org");
	d = ob_page_new(r, cJSON_GetStringValue(cJSON_GetObjectItem(org, "name")), "admin");
	while ((item = m->child) != NULL)
		cJSON_AddItemToObject(d, item->string, cJSON_DetachItemViaPointer(m, item));
	cJSON_Delete(m);
	cJSON_AddBoolToObject(d, "is_suspended", strcmp(cJSON_GetStringValue(
	    cJSON_GetObjectItem(org, "status")), "suspended") == 0);
	ob_page_form_key(d);
	ob_page_flash_code(d, done, done_msgs,
	    sizeof(done_msgs) / sizeof(done_msgs[0]));
	if (f != NULL)
		ob_page_flash(d, "error", f->message);
	ob_page_render(r, status, "pages/admin_customer", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_admin_customer(struct ob_req *r)
{
	return ob_h_admin_customer_render(r, 200, NULL, ob_field_i64(r, "preview_seats", 0),
	    ob_field_str(r, "done"));
}
