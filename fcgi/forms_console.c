/*
 * The field tables (fields.h) of the console forms whose handlers read the
 * form themselves: switching orgs, assigning and revoking seats, credit
 * allocations, the billing details form and the payment-method button.
 * Each table is strict (OB_FIELDS_FORM): a name the form does not have, a
 * body that is not a form, or a value its row refuses (every value of a
 * repeated field) is a 400 console error page before the handler runs; the
 * handlers' own checks (and core's) stay as they were.
 */
#include "fcgi/handlers.h"

#include "credits/credits.h"

/* POST /orgs/switch: the org to select. */
static const struct ob_field org_switch_rows[] = {
	{ .name = "org_id", .type = OB_FIELD_ID, .flags = OB_FIELD_REQUIRED,
	    .code = "org_not_found", .message = "No such organization.",
	    .missing = "Choose an organization." },
};
const struct ob_fields ob_h_org_switch_fields = OB_FIELDS_FORM(org_switch_rows, NULL);

/* POST /seats/assign and /seats/revoke: the checked members (user_id repeated). */
static const struct ob_field seats_rows[] = {
	{ .name = "user_id", .type = OB_FIELD_ID, .message = "A selected member is not valid." },
};
const struct ob_fields ob_h_seats_select_form_fields = OB_FIELDS_FORM(seats_rows, NULL);

/* POST /credits/allocations: one member's limit (or Unlimited), or the bulk text. */
static const struct ob_field alloc_rows[] = {
	{ .name = "user_id", .type = OB_FIELD_ID, .message = "No such member." },
	{ .name = "limit", .type = OB_FIELD_INT, .min = 0, .max = OB_CREDITS_AMOUNT_MAX,
	    .message = "The limit must be a whole number of credits, 0 or more." },
	{ .name = "unlimited", .type = OB_FIELD_BOOL,
	    .message = "Unlimited is a box: ticked or not." },
	{ .name = "allocations", .type = OB_FIELD_STRING, .max = 64 * 1024,
	    .chars = OB_CHARS_LINES,
	    .message = "The allocations must be lines of text, at most 64 KB." },
};
const struct ob_fields ob_h_credits_alloc_form_fields = OB_FIELDS_FORM(alloc_rows, NULL);

/*
 * POST /billing/details: the details' text fields. Core bounds each one in
 * characters and checks its characters; these rows bound the bytes (four
 * per character at most) and refuse control characters but in the notes.
 */
#define DETAIL_ROW(n, chars_max, kind) \
	{ .name = n, .type = OB_FIELD_STRING, .max = 4 * (chars_max), .chars = (kind), \
	    .message = n " is too long or holds characters it may not." }
static const struct ob_field details_form_rows[] = {
	DETAIL_ROW("email", 320, OB_CHARS_TEXT),
	DETAIL_ROW("tax_id", 30, OB_CHARS_TEXT),
	DETAIL_ROW("po_number", 30, OB_CHARS_TEXT),
	DETAIL_ROW("invoice_notes", 500, OB_CHARS_LINES),
	DETAIL_ROW("line1", 200, OB_CHARS_TEXT),
	DETAIL_ROW("line2", 200, OB_CHARS_TEXT),
	DETAIL_ROW("city", 100, OB_CHARS_TEXT),
	DETAIL_ROW("state", 100, OB_CHARS_TEXT),
	DETAIL_ROW("postal_code", 20, OB_CHARS_TEXT),
	DETAIL_ROW("country", 2, OB_CHARS_TEXT),
};
const struct ob_fields ob_h_billing_details_form_fields = OB_FIELDS_FORM(details_form_rows, NULL);

/* POST /billing/payment-method: a button, nothing but its CSRF token. */
const struct ob_fields ob_h_payment_method_form_fields = OB_FIELDS_FORM_NONE(NULL);
