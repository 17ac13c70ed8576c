/*
 * The console's seats page: members by department with their license
 * status, filters, assigning and revoking checked members, a CSV import,
 * the automatic-seat-increase setting.
 */
#include "fcgi/h_billing.h"
#include "fcgi/h_billing_int.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/form_lines.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "identity/org.h"
#include "billing/seats.h"
#include "base/num.h"

static int
render_seats(struct ob_req *r, int status, const struct ob_fail *f, cJSON *errors)
{
	cJSON *d, *list, *dep, *m;
	const char *q = ob_query_get(r, "q"), *st = ob_query_get(r, "status");
	const char *dp = ob_query_get(r, "department");

	if ((list = ob_seats_list(&r->w->db, r->who.org_id, q, st, dp)) == NULL)
		return -1;
	d = ob_page_new(r, "Seats", "seats");
	ob_h_billing_done_flash(r, d);
	if (errors != NULL)
		ob_form_lines_tidy(errors);	/* by line, each message once */
	if (f != NULL && cJSON_GetArraySize(errors) == 0)
		ob_page_flash(d, "error", f->message);	/* else the rows say it */
	cJSON_ArrayForEach(dep, cJSON_GetObjectItem(list, "departments"))
		cJSON_ArrayForEach(m, cJSON_GetObjectItem(dep, "members"))
			cJSON_AddStringToObject(m, "csrf", r->csrf);
	cJSON_AddItemToObject(d, "seats", list);
	cJSON_AddStringToObject(d, "q", q != NULL ? q : "");
	cJSON_AddBoolToObject(d, "f_licensed", st != NULL && strcmp(st, "licensed") == 0);
	cJSON_AddBoolToObject(d, "f_unlicensed", st != NULL && strcmp(st, "unlicensed") == 0);
	cJSON_AddStringToObject(d, "department", dp != NULL ? dp : "");
	cJSON_AddBoolToObject(d, "has_bad_rows", errors != NULL && cJSON_GetArraySize(errors) > 0);
	if (errors != NULL && cJSON_GetArraySize(errors) > 0)
		cJSON_AddItemReferenceToObject(d, "bad_rows", errors);
	cJSON_AddStringToObject(d, "csv", ob_form_get(r, "csv") ? ob_form_get(r, "csv") : "");
	cJSON_AddBoolToObject(d, "csv_sent", ob_form_get(r, "csv") != NULL);
	ob_h_billing_raw_to_text(d);
	if (errors != NULL)
		ob_h_billing_raw_to_text(errors);
	ob_page_render(r, status, "pages/seats", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_seats_page(struct ob_req *r)
{
	return render_seats(r, 200, NULL, NULL);
}

/* Rows from the form's checked user_id boxes (repeated field "user_id"). */
static int
form_rows(struct ob_req *r, int assign, struct ob_seat_row **rows)
{
	const char *names[OB_FORM_FIELDS_MAX], *values[OB_FORM_FIELDS_MAX];
	int i, n, k = 0;

	*rows = NULL;
	n = r->body != NULL ? ob_form_parse(r->a, r->body, r->body_len, names, values,
	    OB_FORM_FIELDS_MAX) : 0;
	if (n <= 0)
		return 0;
	*rows = calloc((size_t)n, sizeof(**rows));
	if (*rows == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], "user_id") != 0 || ob_num_id(values[i]) == 0)
			continue;
		(*rows)[k].line = k + 1;
		(*rows)[k].user_id = ob_num_id(values[i]);
		(*rows)[k].assign = assign;
		k++;
	}
	return k;
}

/* The forms' fields refused: the page again with the error. */
static int
form_fail(struct ob_req *r, const struct ob_fail *f)
{
	return render_seats(r, ob_api_fail_status(f->kind), f, NULL);
}

static const struct ob_field csv_rows[] = {
	{ .name = "csv", .type = OB_FIELD_STRING },
};
const struct ob_fields ob_h_seats_csv_form_fields = OB_FIELDS_TABLE(OB_BODY_FORM, csv_rows, form_fail);

static const struct ob_field settings_rows[] = {
	{ .name = "auto_seat_increase", .type = OB_FIELD_BOOL },
};
const struct ob_fields ob_h_seats_settings_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, settings_rows, form_fail);

static int
seats_form(struct ob_req *r, int assign, int csv)
{
	struct ob_fail f = { 0 };
	struct ob_seat_row *rows = NULL;
	cJSON *errors = cJSON_CreateArray(), *result = NULL;
	const char *text;
	int n, rc = 0;

	if (csv) {
		text = ob_field_str(r, "csv");
		n = ob_seats_csv_parse(text != NULL ? text : "", &rows, errors);
		if (n < 0)
			ob_fail(&f, OB_FAIL_INVALID, "csv_too_large", "csv",
			    "The CSV is over %d rows or %d bytes.", OB_SEATS_ROWS_MAX, OB_SEATS_CSV_MAX);
	} else {
		n = form_rows(r, assign, &rows);
		if (n == 0)
			n = ob_fail(&f, OB_FAIL_INVALID, "nothing_selected", "user_id",
			    "Select at least one member.");
	}
	if (n >= 0 && ob_h_billing_seats_apply(r, rows, n, errors, &result, &f) == 0) {
		ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/seats?done=%s",
		    csv ? "imported" : assign ? "assigned" : "revoked"));
	} else if (f.kind == OB_FAIL_DB) {
		rc = -1;
	} else {
		rc = render_seats(r, ob_api_fail_status(f.kind), &f, errors);
	}
	free(rows);
	cJSON_Delete(result);
	cJSON_Delete(errors);
	return rc;
}

int
ob_h_seats_assign_form(struct ob_req *r)
{
	return seats_form(r, 1, 0);
}

int
ob_h_seats_revoke_form(struct ob_req *r)
{
	return seats_form(r, 0, 0);
}

int
ob_h_seats_csv_form(struct ob_req *r)
{
	return seats_form(r, 1, 1);
}

int
ob_h_seats_settings_form(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;

	ob_api_actx(r, &ax);
	if (ob_seats_set_auto_increase(&ax, r->who.org_id, ob_field_bool(r, "auto_seat_increase", 0),
	    &f) != 0)
		return f.kind == OB_FAIL_DB ? -1 : render_seats(r, ob_api_fail_status(f.kind), &f, NULL);
	ob_resp_redirect(r, 303, "/seats?done=settings");
	return 0;
}
