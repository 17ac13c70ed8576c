/*
 * What the invoices handlers share (h_invoices_int.h): the Stripe client,
 * form flashes and one-time form keys, filters from the query, money for display, the
 * dunning banner, and the staff routes' org and context.
 */
#include "fcgi/h_invoices_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/api.h"
#include "base/idem.h"
#include "fcgi/fields.h"
#include "base/json.h"
#include "stripe/client.h"
#include "invoices/dunning.h"
#include "fcgi/input.h"
#include "fcgi/fields.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "base/num.h"
#include "base/money.h"

const char *
ob_h_inv_posted_key(struct ob_req *r)
{
	const char *key = ob_field_str(r, "idem");

	return key != NULL && ob_idem_key_ok(key) ? key : NULL;
}

void
ob_h_inv_done_flash(struct ob_req *r, cJSON *d)
{
	/* Credit purchases' codes: ob_h_inv_purchases_view, from the purchase's real status. */
	static const struct ob_page_flash_msg msgs[] = {
		{ "details_saved", "success", "Billing details saved; they print on your next invoice." },
		{ "details_saved_pending", "success", "Billing details saved. Stripe could not be updated just now; it is retried automatically, and your next invoice prints them once it is." },
		{ "refunded", "success", "Refund issued." },
		{ "overridden", "success", "Dunning lifted." },
	};

	ob_page_flash_code(d, ob_query_get(r, "done"), msgs, sizeof(msgs) / sizeof(msgs[0]));
}

int
ob_h_inv_filter(struct ob_req *r, struct ob_invoices_filter *flt)
{
	struct ob_fail f = { 0 };

	/* Checked by the route's query table (h_invoices.c); core checks again. */
	flt->status = ob_field_str(r, "status");
	flt->from = ob_field_str(r, "from");
	flt->to = ob_field_str(r, "to");
	if (ob_invoices_filter_check(flt, &f) != 0) {
		ob_api_fail(r, &f);
		return -1;
	}
	return 0;
}

const char *
ob_h_inv_money(struct ob_req *r, const cJSON *o, const char *name, const char *currency)
{
	char buf[OB_MONEY_MAX];
	int64_t v = 0;

	(void)ob_num_json_get(o, name, &v);
	return ob_arena_strdup(r->a, ob_money_format(buf, sizeof(buf), v, currency, OB_MONEY_SYMBOL));
}

/* An invoice's status in words. */
static const char *
status_text(const char *st)
{
	static const char *const k[][2] = { { "draft", "Draft" }, { "open", "Open" },
		{ "paid", "Paid" }, { "uncollectible", "Uncollectible" }, { "void", "Void" } };
	size_t i;

	for (i = 0; st != NULL && i < sizeof(k) / sizeof(k[0]); i++)
		if (strcmp(st, k[i][0]) == 0)
			return k[i][1];
	return st != NULL ? st : "";
}

/* An invoice line's kind in words. */
static const char *
kind_text(const char *kind)
{
	static const char *const k[][2] = { { "seats", "Seats" }, { "proration", "Plan change" },
		{ "extra_tasks", "Extra tasks" }, { "credit_purchase", "Credit purchase" } };
	size_t i;

	for (i = 0; kind != NULL && i < sizeof(k) / sizeof(k[0]); i++)
		if (strcmp(kind, k[i][0]) == 0)
			return k[i][1];
	return "Other";
}

void
ob_h_inv_decorate(struct ob_req *r, cJSON *inv)
{
	const char *cur = ob_json_str(inv, "currency");
	const char *st = ob_json_str(inv, "status");
	const cJSON *lines = cJSON_GetObjectItemCaseSensitive(inv, "lines");
	cJSON *l;
	int64_t v;

	cJSON_AddStringToObject(inv, "total_display", ob_h_inv_money(r, inv, "total", cur));
	cJSON_AddStringToObject(inv, "subtotal_display", ob_h_inv_money(r, inv, "subtotal", cur));
	cJSON_AddStringToObject(inv, "tax_display", ob_h_inv_money(r, inv, "tax", cur));
	cJSON_AddStringToObject(inv, "paid_display", ob_h_inv_money(r, inv, "amount_paid", cur));
	/* What is still to pay (Stripe's amount_due stays the invoice's total once paid). */
	cJSON_AddStringToObject(inv, "due_display", ob_h_inv_money(r, inv, "amount_remaining", cur));
	cJSON_AddStringToObject(inv, "refunded_display", ob_h_inv_money(r, inv, "amount_refunded", cur));
	cJSON_AddBoolToObject(inv, "has_refunds", ob_num_json_get(inv, "amount_refunded", &v) == 0 && v > 0);
	cJSON_AddStringToObject(inv, "status_text", status_text(st));
	cJSON_AddBoolToObject(inv, "is_paid", st != NULL && strcmp(st, "paid") == 0);
	cJSON_AddBoolToObject(inv, "is_open", st != NULL && strcmp(st, "open") == 0);
	cJSON_ArrayForEach(l, lines) {
		cJSON_AddStringToObject(l, "kind_text", kind_text(ob_json_str(l, "kind")));
		cJSON_AddStringToObject(l, "amount_display", ob_h_inv_money(r, l, "amount", cur));
		if (ob_num_json_get(l, "unit_amount", &v) == 0)
			cJSON_AddStringToObject(l, "unit_display", ob_h_inv_money(r, l, "unit_amount", cur));
	}
}

void
ob_h_inv_add_dunning(struct ob_req *r, cJSON *d, int64_t org_id)
{
	cJSON *dun = ob_dunning_view(&r->w->db, org_id);
	const char *st;

	if (dun == NULL)
		return;
	st = ob_json_str(dun, "state");
	cJSON_AddBoolToObject(d, "billing_past_due", st != NULL && strcmp(st, "past_due") == 0);
	cJSON_AddBoolToObject(d, "billing_restricted", st != NULL && strcmp(st, "restricted") == 0);
	cJSON_AddBoolToObject(d, "billing_suspended", st != NULL && strcmp(st, "suspended") == 0);
	cJSON_AddItemToObject(d, "dunning", dun);
}

void
ob_h_inv_staff_actx(struct ob_req *r, struct ob_actx *ax, const char *reason)
{
	ob_api_actx(r, ax);
	ax->as_staff = 1;
	ax->reason = reason;
}

int64_t
ob_h_inv_staff_org(struct ob_req *r, const char *value)
{
	int64_t id = ob_num_id(value);
	int rc;

	if (id == 0)
		return 0;
	if ((rc = ob_invoices_org_exists(&r->w->db, id)) < 0)
		return -1;
	return rc == 1 ? id : 0;
}
