/*
 * Seats in the API: the member list with license status, assigning and
 * revoking by id or e-mail list or CSV (all or nothing, with every bad row
 * reported), the automatic-seat-increase setting.
 */
#include "fcgi/h_billing.h"
#include "fcgi/h_billing_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/input.h"
#include "fcgi/worker.h"
#include "identity/org.h"
#include "billing/seats.h"
#include "billing/subscription.h"
#include "base/num.h"

/* Shared with the seats page (h_billing_int.h). */
int
ob_h_billing_seats_apply(struct ob_req *r, const struct ob_seat_row *rows, int n,
    cJSON *errors, cJSON **result, struct ob_fail *f)
{
	struct ob_actx ax;
	struct ob_sub s;
	struct ob_sub_answer ans;
	int64_t needed = 0;
	int on = 0;
	cJSON *body;
	char seats[24];

	ob_api_actx(r, &ax);
	if (ob_seats_apply(&ax, r->who.org_id, rows, n, errors, &needed, result, f) == 0)
		return 0;
	if (f->code == NULL || strcmp(f->code, "seats_exhausted") != 0)
		return -1;
	if (ob_seats_auto_increase(&r->w->db, r->who.org_id, &on) != 0)
		return ob_fail_db(f, r->w->db.lasterr);
	if (!on || ob_subscription_load(&r->w->db, r->who.org_id, &s) != 0)
		return -1;	/* f says seats_exhausted */
	body = cJSON_CreateObject();
	snprintf(seats, sizeof(seats), "%lld", (long long)(s.seats + needed));
	cJSON_AddStringToObject(body, "seats", seats);
	memset(f, 0, sizeof(*f));
	if (ob_subscription_change(&ax, ob_worker_stripe(r->w), r->who.org_id, "update", NULL, NULL, body,
	    &ans, f) != 0) {
		cJSON_Delete(body);
		return -1;
	}
	cJSON_Delete(body);
	cJSON_Delete(ans.body);
	return ob_seats_apply(&ax, r->who.org_id, rows, n, errors, &needed, result, f);
}

/* The error body of a bulk change with its bad rows. */
static void
seats_fail_json(struct ob_req *r, const struct ob_fail *f, cJSON *errors)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");

	cJSON_AddStringToObject(e, "type", "invalid_request_error");
	cJSON_AddStringToObject(e, "code", f->code != NULL ? f->code : "invalid");
	cJSON_AddStringToObject(e, "message", f->message);
	if (f->param != NULL)
		cJSON_AddStringToObject(e, "param", f->param);
	else
		cJSON_AddNullToObject(e, "param");
	cJSON_AddItemReferenceToObject(e, "rows", errors);
	ob_api_json(r, ob_api_fail_status(f->kind), o);
	cJSON_Delete(o);
}

/* The fields of the seat changes (docs/openapi.yaml: SeatMembers, SeatCsv, SeatSettings). */
static int
user_id_ok(const char *s)
{
	return ob_num_id(s) != 0;
}

static int
email_ok(const char *s)
{
	return strlen(s) < sizeof(((struct ob_seat_row *)0)->email);
}

static const struct ob_field members_rows[] = {
	{ .name = "user_ids", .type = OB_FIELD_LIST, .ok = user_id_ok, .code = "invalid_user_id",
	    .message = "user_ids must be id strings." },
	{ .name = "emails", .type = OB_FIELD_LIST, .ok = email_ok, .code = "invalid_email",
	    .message = "emails must be e-mail address strings." },
};
const struct ob_fields ob_h_api_seats_members_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, members_rows, NULL);

static const struct ob_field csv_rows[] = {
	{ .name = "csv", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED },
};
const struct ob_fields ob_h_api_seats_csv_fields = OB_FIELDS_TABLE(OB_BODY_JSON, csv_rows, NULL);

#define AUTO_SEAT_MSG "auto_seat_increase (true or false) is required."
static const struct ob_field settings_rows[] = {
	{ .name = "auto_seat_increase", .type = OB_FIELD_BOOL, .flags = OB_FIELD_REQUIRED,
	    .missing = AUTO_SEAT_MSG, .message = AUTO_SEAT_MSG },
};
const struct ob_fields ob_h_api_seats_settings_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, settings_rows, NULL);

/* Rows from the checked {"user_ids":[…]} or {"emails":[…]}. */
static int
rows_from_body(struct ob_req *r, int assign, struct ob_seat_row **rows, struct ob_fail *f)
{
	const cJSON *ids = ob_field_json(r, "user_ids"), *list, *it;
	int n = 0;

	list = ids != NULL ? ids : ob_field_json(r, "emails");
	*rows = NULL;
	if (cJSON_GetArraySize(list) == 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "user_ids",
		    "user_ids or emails (a non-empty list) is required.");
	if (cJSON_GetArraySize(list) > OB_SEATS_ROWS_MAX)
		return ob_fail(f, OB_FAIL_INVALID, "too_many_rows", "user_ids",
		    "At most %d members at once.", OB_SEATS_ROWS_MAX);
	*rows = calloc((size_t)cJSON_GetArraySize(list), sizeof(**rows));
	if (*rows == NULL)
		return ob_fail(f, OB_FAIL_DB, "out_of_memory", NULL, "Out of memory.");
	cJSON_ArrayForEach(it, list) {
		struct ob_seat_row *row = &(*rows)[n];

		row->line = n + 1;
		row->assign = assign;
		if (list == ids)
			row->user_id = ob_num_id(it->valuestring);
		else
			snprintf(row->email, sizeof(row->email), "%s", it->valuestring);
		n++;
	}
	return n;
}

static int
api_seats_change(struct ob_req *r, int assign, int csv)
{
	struct ob_fail f = { 0 };
	struct ob_seat_row *rows = NULL;
	cJSON *errors = cJSON_CreateArray(), *result = NULL;
	int n, rc = 0;

	if (csv) {
		if ((n = ob_seats_csv_parse(ob_field_str(r, "csv"), &rows, errors)) < 0)
			ob_fail(&f, OB_FAIL_INVALID, "csv_too_large", "csv",
			    "The CSV is over %d rows or %d bytes.", OB_SEATS_ROWS_MAX, OB_SEATS_CSV_MAX);
	} else {
		n = rows_from_body(r, assign, &rows, &f);
	}
	if (n < 0)
		rc = ob_api_failed(r, &f);
	else if (ob_h_billing_seats_apply(r, rows, n, errors, &result, &f) != 0) {
		if (f.kind == OB_FAIL_DB)
			rc = -1;
		else
			seats_fail_json(r, &f, errors);
	} else {
		ob_api_json(r, 200, result);
	}
	free(rows);
	cJSON_Delete(result);
	cJSON_Delete(errors);
	return rc;
}

static const char *const seat_states[] = { "licensed", "unlicensed", NULL };
static const struct ob_field seats_query[] = {
	{ .name = "q", .type = OB_FIELD_STRING, .max = 200, .chars = OB_CHARS_TEXT },
	{ .name = "status", .type = OB_FIELD_ENUM, .allowed = seat_states, .code = "invalid_status",
	    .message = "status is licensed or unlicensed." },
	{ .name = "department", .type = OB_FIELD_STRING, .max = 200, .chars = OB_CHARS_TEXT },
};
const struct ob_fields ob_h_api_seats_fields = OB_FIELDS_QUERY(seats_query, NULL);

int
ob_h_api_seats(struct ob_req *r)
{
	cJSON *o = ob_seats_list(&r->w->db, r->who.org_id, ob_field_str(r, "q"),
	    ob_field_str(r, "status"), ob_field_str(r, "department"));

	return ob_api_answer(r, o);
}

int
ob_h_api_seats_assign(struct ob_req *r)
{
	return api_seats_change(r, 1, 0);
}

int
ob_h_api_seats_revoke(struct ob_req *r)
{
	return api_seats_change(r, 0, 0);
}

int
ob_h_api_seats_csv(struct ob_req *r)
{
	return api_seats_change(r, 1, 1);
}

int
ob_h_api_seats_settings(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	int on = ob_field_bool(r, "auto_seat_increase", 0);
	cJSON *o;

	ob_api_actx(r, &ax);
	if (ob_seats_set_auto_increase(&ax, r->who.org_id, on, &f) != 0)
		return ob_api_failed(r, &f);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "billing_settings");
	cJSON_AddBoolToObject(o, "auto_seat_increase", on);
	ob_api_json(r, 200, o);
	cJSON_Delete(o);
	return 0;
}
