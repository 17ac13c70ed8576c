/*
 * Billing details: read, changed (audited, stored first) and then pushed
 * to the Stripe customer so they print on invoices, with no transaction
 * open while Stripe answers. See invoices.h.
 */
#include "invoices/invoices.h"
#include "invoices/invoices_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stripe/form.h"
#include "base/db_json.h"
#include "base/row.h"
#include "base/num.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"

cJSON *
ob_invoices_details_get(struct ob_db *db, int64_t org_id)
{
	PGresult *q;
	cJSON *o, *a;

	if ((o = ob_inv_org_row(db, OB_STMT_INV_DETAILS_GET, org_id, "billing_details", &q)) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "org_name", ob_row_str(q, 0, "org_name"));
	cJSON_AddStringToObject(o, "email", ob_row_str(q, 0, "email"));
	a = cJSON_AddObjectToObject(o, "address");
	cJSON_AddStringToObject(a, "line1", ob_row_str(q, 0, "address_line1"));
	cJSON_AddStringToObject(a, "line2", ob_row_str(q, 0, "address_line2"));
	cJSON_AddStringToObject(a, "city", ob_row_str(q, 0, "city"));
	cJSON_AddStringToObject(a, "state", ob_row_str(q, 0, "state"));
	cJSON_AddStringToObject(a, "postal_code", ob_row_str(q, 0, "postal_code"));
	cJSON_AddStringToObject(a, "country", ob_row_str(q, 0, "country"));
	cJSON_AddStringToObject(o, "tax_id", ob_row_str(q, 0, "tax_id"));
	cJSON_AddStringToObject(o, "po_number", ob_row_str(q, 0, "po_number"));
	cJSON_AddStringToObject(o, "invoice_notes", ob_row_str(q, 0, "invoice_notes"));
	cJSON_AddBoolToObject(o, "has_stripe_customer", ob_row_str(q, 0, "stripe_customer_id")[0] != '\0');
	ob_db_add_text(o, q, 0, "pushed_at");
	if (ob_row_i64(q, 0, "pushed_version") < ob_row_i64(q, 0, "version")) {
		cJSON_AddStringToObject(o, "stripe_sync", "pending");
		if (ob_row_str(q, 0, "push_error")[0] != '\0')
			cJSON_AddStringToObject(o, "stripe_sync_error", ob_row_str(q, 0, "push_error"));
	} else {
		cJSON_AddStringToObject(o, "stripe_sync", "synced");
	}
	PQclear(q);
	return o;
}

/* A text field from body (absent: keep cur); bounded, no control characters. */
static int
take_field(const cJSON *body, const char *name, const char *param, size_t max, const char *cur,
    char *out, size_t outlen, struct ob_fail *f)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(body, name);
	const char *s = cur != NULL ? cur : "", *p;

	if (it != NULL && !cJSON_IsNull(it)) {
		if (!cJSON_IsString(it))
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", param, "%s must be a string.",
			    param);
		s = it->valuestring;
	} else if (it != NULL) {
		s = "";
	}
	if (strlen(s) > max || strlen(s) >= outlen)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_too_long", param,
		    "%s is at most %zu characters.", param, max);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && !(*p == '\n' && strcmp(name, "invoice_notes") == 0))
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", param,
			    "%s holds a control character.", param);
	snprintf(out, outlen, "%s", s);
	return 0;
}

/* The Stripe customer update for details d of org: e-mail, address, invoice fields, footer. */
static cJSON *
customer_update(const cJSON *d, const char *org)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(d, "address");
	cJSON *q = cJSON_CreateObject(), *addr, *is, *cf, *fld, *md;

	if (*ob_json_str(d, "email") != '\0')
		cJSON_AddStringToObject(q, "email", ob_json_str(d, "email"));
	addr = cJSON_AddObjectToObject(q, "address");
	cJSON_AddStringToObject(addr, "line1", ob_json_str(a, "line1"));
	cJSON_AddStringToObject(addr, "line2", ob_json_str(a, "line2"));
	cJSON_AddStringToObject(addr, "city", ob_json_str(a, "city"));
	cJSON_AddStringToObject(addr, "state", ob_json_str(a, "state"));
	cJSON_AddStringToObject(addr, "postal_code", ob_json_str(a, "postal_code"));
	cJSON_AddStringToObject(addr, "country", ob_json_str(a, "country"));
	is = cJSON_AddObjectToObject(q, "invoice_settings");
	if (*ob_json_str(d, "po_number") != '\0' || *ob_json_str(d, "tax_id") != '\0') {
		cf = cJSON_AddArrayToObject(is, "custom_fields");
		if (*ob_json_str(d, "po_number") != '\0') {
			fld = cJSON_CreateObject();
			cJSON_AddStringToObject(fld, "name", "PO number");
			cJSON_AddStringToObject(fld, "value", ob_json_str(d, "po_number"));
			cJSON_AddItemToArray(cf, fld);
		}
		if (*ob_json_str(d, "tax_id") != '\0') {
			fld = cJSON_CreateObject();
			cJSON_AddStringToObject(fld, "name", "Tax ID");
			cJSON_AddStringToObject(fld, "value", ob_json_str(d, "tax_id"));
			cJSON_AddItemToArray(cf, fld);
		}
	} else {
		cJSON_AddStringToObject(is, "custom_fields", "");
	}
	cJSON_AddStringToObject(is, "footer", ob_json_str(d, "invoice_notes"));
	md = cJSON_AddObjectToObject(q, "metadata");
	cJSON_AddStringToObject(md, "orgbill_org", org);
	cJSON_AddStringToObject(md, "orgbill_po_number", ob_json_str(d, "po_number"));
	cJSON_AddStringToObject(md, "orgbill_tax_id", ob_json_str(d, "tax_id"));
	return q;
}

/*
 * Push details d (save version) to the Stripe customer, no transaction
 * open. The key follows the content and the save: the same save pushed
 * twice is one change. 0 or -1 with f.
 */
static int
details_push(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const cJSON *d,
    int64_t version, struct ob_fail *f)
{
	char customer[128], org[24], ver[24], opid[96], hash[17];
	const char *params[2] = { org, ver };
	struct ob_stripe_result res;
	struct ob_buf path = OB_BUF_INIT;
	cJSON *q = NULL;
	char *txt;
	unsigned long h = 5381;
	const char *p;
	int rc = -1;

	if (ob_invoices_customer(db, st, org_id, 1, customer, sizeof(customer), f) != 0)
		goto out;
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(ver, sizeof(ver), version);
	q = customer_update(d, org);
	txt = cJSON_PrintUnformatted(q);
	for (p = txt; *p != '\0'; p++)
		h = h * 33u ^ (unsigned char)*p;
	free(txt);
	snprintf(hash, sizeof(hash), "%08lx", h & 0xffffffffUL);
	snprintf(opid, sizeof(opid), "%s-%s-v%s", org, hash, ver);
	ob_buf_puts(&path, "/v1/customers/");
	ob_stripe_form_escape(&path, customer, strlen(customer));
	if (ob_inv_stripe_call(st, "POST", path.data, q, "customer-details", opid, &res, f) != 0)
		goto out;
	ob_stripe_result_clear(&res);
	if (ob_db_run(db, OB_STMT_INV_DETAILS_PUSHED, params) != 0) {
		ob_fail_db(f, db->lasterr);
		goto out;
	}
	rc = 0;
out:
	ob_buf_free(&path);
	cJSON_Delete(q);
	return rc;
}

int
ob_invoices_details_push(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { org, NULL };
	PGresult *q;
	cJSON *d;
	int64_t version, pushed;
	int rc;

	if (ob_db_in_tx(db))
		return ob_fail(f, OB_FAIL_INVALID, "in_transaction", NULL,
		    "Billing details are pushed to Stripe with no transaction open.");
	ob_num_str(org, sizeof(org), org_id);
	if ((q = ob_db_exec(db, OB_STMT_INV_DETAILS_GET, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	version = PQntuples(q) == 1 ? ob_row_i64(q, 0, "version") : 0;
	pushed = PQntuples(q) == 1 ? ob_row_i64(q, 0, "pushed_version") : 0;
	PQclear(q);
	if (pushed >= version)
		return 0;	/* nothing pending */
	if ((d = ob_invoices_details_get(db, org_id)) == NULL)
		return ob_fail_db(f, db->lasterr);
	rc = details_push(db, st, org_id, d, version, f);
	cJSON_Delete(d);
	if (rc != 0 && f->kind != OB_FAIL_DB) {
		/* Saved here, not at Stripe: kept pending with the reason, retried by the jobs. */
		params[1] = f->message;
		if (ob_db_run(db, OB_STMT_INV_DETAILS_PUSH_FAILED, params) != 0)
			ob_log(OB_LOG_WARN, "details_push", "org %s: %s", org, db->lasterr);
		ob_log(OB_LOG_WARN, "details_push", "org %s: %s (kept pending)", org, f->message);
	}
	return rc;
}

int
ob_invoices_details_push_pending(struct ob_db *db, struct ob_stripe *st, int limit,
    int *pushed)
{
	char lim[16];
	const char *params[1] = { lim };
	struct ob_fail f;
	PGresult *q;
	int64_t *orgs;
	int i, n;

	*pushed = 0;
	ob_num_str(lim, sizeof(lim), limit);
	if ((q = ob_db_exec(db, OB_STMT_INV_DETAILS_PENDING, params, NULL)) == NULL)
		return -1;
	n = PQntuples(q);
	orgs = ob_xcalloc((size_t)n + 1, sizeof(*orgs));
	for (i = 0; i < n; i++)
		orgs[i] = ob_row_i64(q, i, "org_id");
	PQclear(q);
	for (i = 0; i < n; i++) {
		memset(&f, 0, sizeof(f));
		if (ob_invoices_details_push(db, st, orgs[i], &f) == 0)
			(*pushed)++;
	}
	free(orgs);
	return 0;
}

/* Billing details as changed, checked, in the statement's order. */
struct details_in {
	char email[321], l1[201], l2[201], city[101], state[101], pc[21], country[3], tax[31],
	    po[31], notes[501];
};

/* The fields of body over the current details before (absent keys keep theirs). 0 or -1 with f. */
static int
details_take(const cJSON *body, const cJSON *before, struct details_in *in, struct ob_fail *f)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "address");
	const cJSON *ca = cJSON_GetObjectItemCaseSensitive(before, "address");

	if (take_field(body, "email", "email", 320, ob_json_str(before, "email"), in->email,
	    sizeof(in->email), f) != 0 ||
	    take_field(a, "line1", "address[line1]", 200, ob_json_str(ca, "line1"), in->l1,
	    sizeof(in->l1), f) != 0 ||
	    take_field(a, "line2", "address[line2]", 200, ob_json_str(ca, "line2"), in->l2,
	    sizeof(in->l2), f) != 0 ||
	    take_field(a, "city", "address[city]", 100, ob_json_str(ca, "city"), in->city,
	    sizeof(in->city), f) != 0 ||
	    take_field(a, "state", "address[state]", 100, ob_json_str(ca, "state"), in->state,
	    sizeof(in->state), f) != 0 ||
	    take_field(a, "postal_code", "address[postal_code]", 20, ob_json_str(ca, "postal_code"),
	    in->pc, sizeof(in->pc), f) != 0 ||
	    take_field(a, "country", "address[country]", 2, ob_json_str(ca, "country"), in->country,
	    sizeof(in->country), f) != 0 ||
	    take_field(body, "tax_id", "tax_id", 30, ob_json_str(before, "tax_id"), in->tax,
	    sizeof(in->tax), f) != 0 ||
	    take_field(body, "po_number", "po_number", 30, ob_json_str(before, "po_number"), in->po,
	    sizeof(in->po), f) != 0 ||
	    take_field(body, "invoice_notes", "invoice_notes", 500,
	    ob_json_str(before, "invoice_notes"), in->notes, sizeof(in->notes), f) != 0)
		return -1;
	return 0;
}

/* Check the e-mail address and the country (made upper case). 0 or -1 with f. */
static int
details_check(struct details_in *in, struct ob_fail *f)
{
	const char *email = in->email;
	char *country = in->country;
	size_t i;

	if (email[0] != '\0' && (strlen(email) < 3 || strchr(email, '@') == NULL ||
	    strchr(email, '@') == email || strchr(email, '@')[1] == '\0' || strpbrk(email, " ,;<>") != NULL))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_email", "email", "email is not an e-mail address.");
	for (i = 0; country[i] != '\0'; i++)
		if (country[i] >= 'a' && country[i] <= 'z')
			country[i] = (char)(country[i] - 'a' + 'A');
	if (country[0] != '\0' && (strlen(country) != 2 || country[0] < 'A' || country[0] > 'Z' ||
	    country[1] < 'A' || country[1] > 'Z'))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_country", "address[country]",
		    "country is a two-letter ISO code.");
	return 0;
}

/*
 * Store in (one transaction, with the audit row from before), marked
 * pending for Stripe. 0 or -1 with f (rolled back).
 */
static int
details_store(const struct ob_actx *ax, int64_t org_id, const struct details_in *in,
    const cJSON *before, struct ob_fail *f)
{
	char org[24];
	const char *params[11] = { org, in->email, in->l1, in->l2, in->city, in->state, in->pc,
		in->country, in->tax, in->po, in->notes };
	cJSON *after = NULL;
	int rc = -1;

	ob_num_str(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (ob_db_run(ax->db, OB_STMT_INV_DETAILS_SET, params) != 0 ||
	    (after = ob_invoices_details_get(ax->db, org_id)) == NULL ||
	    ob_audit_write(ax, org_id, "billing.details_update", "organization", org, before, after) != 0) {
		ob_db_fail(ax->db, f);
		goto out;
	}
	if (ob_db_commit(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(after);
	return rc;
}

/* body is an object whose address, if any, is an object. 0 or -1 with f. */
static int
details_shape(const cJSON *body, struct ob_fail *f)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "address");

	if (!cJSON_IsObject(body))
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", NULL, "Send a JSON object.");
	if (a != NULL && !cJSON_IsNull(a) && !cJSON_IsObject(a))
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "address", "address is an object.");
	return 0;
}

int
ob_invoices_details_check(const cJSON *body, struct ob_fail *f)
{
	struct details_in in;

	if (details_shape(body, f) != 0 || details_take(body, NULL, &in, f) != 0)
		return -1;
	return details_check(&in, f);
}

cJSON *
ob_invoices_details_set(const struct ob_actx *ax, int64_t org_id, const cJSON *body,
    struct ob_fail *f)
{
	struct details_in in;
	cJSON *before;
	int rc;

	if (details_shape(body, f) != 0)
		return NULL;
	if ((before = ob_invoices_details_get(ax->db, org_id)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	rc = details_take(body, before, &in, f) == 0 && details_check(&in, f) == 0 &&
	    details_store(ax, org_id, &in, before, f) == 0 ? 0 : -1;
	cJSON_Delete(before);
	return rc == 0 ? ob_invoices_details_get(ax->db, org_id) : NULL;
}
