#include "billing/seats.h"
#include "base/db_json.h"
#include "base/json.h"
#include "base/row.h"
#include "base/num.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN	1024

int
ob_seats_count(struct ob_db *db, int64_t org_id, int64_t *assigned)
{
	char org[24];
	const char *params[1] = { org };

	ob_num_str(org, sizeof(org), org_id);
	return ob_db_one_i64(db, OB_STMT_SEATS_COUNT, params, "assigned", assigned);
}

/* Purchased seats: the live subscription's quantity, else 0. */
static int
purchased(struct ob_db *db, int64_t org_id, int64_t *n)
{
	char org[24];
	const char *params[1] = { org };

	ob_num_str(org, sizeof(org), org_id);
	return ob_db_one_i64(db, OB_STMT_SEATS_PURCHASED, params, "seats", n);
}

int
ob_seats_auto_increase(struct ob_db *db, int64_t org_id, int *on)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;

	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_BILLING_SETTINGS_GET, params, NULL)) == NULL)
		return -1;
	*on = PQntuples(res) == 1 && ob_row_bool(res, 0, "auto_seat_increase");
	PQclear(res);
	return 0;
}

int
ob_seats_set_auto_increase(const struct ob_actx *ax, int64_t org_id, int on,
    struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { org, on ? "true" : "false" };
	cJSON *after;
	int was = 0, rc;

	ob_num_str(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (ob_seats_auto_increase(ax->db, org_id, &was) != 0 ||
	    ob_db_run(ax->db, OB_STMT_BILLING_SETTINGS_SET, params) != 0)
		return ob_db_fail(ax->db, f);
	after = cJSON_CreateObject();
	cJSON_AddBoolToObject(after, "auto_seat_increase", on);
	rc = ob_audit_commit(ax, org_id, "billing.settings", "organization", org, NULL, after, f);
	cJSON_Delete(after);
	return rc;
}

static int
contains_ci(const char *hay, const char *needle)
{
	size_t i, n = strlen(needle), h = strlen(hay);

	if (n == 0)
		return 1;
	for (i = 0; i + n <= h; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

cJSON *
ob_seats_list(struct ob_db *db, int64_t org_id, const char *q, const char *status,
    const char *department)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	cJSON *o, *data, *deps, *dep = NULL, *m;
	const char *cur_dep = NULL;
	int64_t bought = 0, used = 0;
	int i, licensed, on = 0;

	ob_num_str(org, sizeof(org), org_id);
	if (purchased(db, org_id, &bought) != 0 || ob_seats_count(db, org_id, &used) != 0 ||
	    ob_seats_auto_increase(db, org_id, &on) != 0)
		return NULL;
	if ((res = ob_db_exec(db, OB_STMT_SEATS_MEMBERS, params, NULL)) == NULL)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "seat_list");
	ob_json_add_i64(o, "purchased", bought);
	ob_json_add_i64(o, "assigned", used);
	ob_json_add_i64(o, "available", bought > used ? bought - used : 0);
	cJSON_AddBoolToObject(o, "auto_seat_increase", on);
	data = cJSON_AddArrayToObject(o, "data");
	deps = cJSON_AddArrayToObject(o, "departments");
	for (i = 0; i < PQntuples(res); i++) {
		const char *email = ob_row_str(res, i, "email"), *name = ob_row_str(res, i, "name");
		const char *d = ob_row_str(res, i, "department");

		licensed = ob_row_bool(res, i, "licensed");
		if (q != NULL && *q != '\0' && !contains_ci(email, q) && !contains_ci(name, q))
			continue;
		if (status != NULL && strcmp(status, "licensed") == 0 && !licensed)
			continue;
		if (status != NULL && strcmp(status, "unlicensed") == 0 && licensed)
			continue;
		if (department != NULL && *department != '\0' && strcmp(department, d) != 0)
			continue;
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "object", "seat");
		cJSON_AddStringToObject(m, "user_id", ob_row_str(res, i, "user_id"));
		cJSON_AddStringToObject(m, "email", email);
		cJSON_AddStringToObject(m, "name", name);
		cJSON_AddStringToObject(m, "role", ob_row_str(res, i, "role"));
		cJSON_AddStringToObject(m, "department", d);
		cJSON_AddStringToObject(m, "member_status", ob_row_str(res, i, "member_status"));
		cJSON_AddBoolToObject(m, "licensed", licensed);
		ob_db_add_text(m, res, i, "assigned_at");
		if (cur_dep == NULL || strcmp(cur_dep, d) != 0) {
			dep = cJSON_CreateObject();
			cJSON_AddStringToObject(dep, "name", *d != '\0' ? d : "No department");
			cJSON_AddArrayToObject(dep, "members");
			cJSON_AddItemToArray(deps, dep);
			cur_dep = d;
		}
		cJSON_AddItemToArray(cJSON_GetObjectItem(dep, "members"), cJSON_Duplicate(m, 1));
		cJSON_AddItemToArray(data, m);
	}
	cJSON_AddBoolToObject(o, "has_more", 0);
	PQclear(res);
	return o;
}

static void
bad_row(cJSON *errors, int line, const char *value, const char *code, const char *msg)
{
	cJSON *e = cJSON_CreateObject();

	ob_json_add_i64(e, "line", line);
	cJSON_AddStringToObject(e, "value", value);
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddItemToArray(errors, e);
}

/* Trim spaces and one pair of double quotes in place. */
static char *
field(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	if (e - s >= 2 && *s == '"' && e[-1] == '"') {
		e[-1] = '\0';
		s++;
	}
	return s;
}

static int
email_shape_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t i, n = strlen(s);

	if (n < 3 || n > 320 || at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '"' || s[i] == ',')
			return 0;
	return 1;
}

int
ob_seats_csv_parse(const char *text, struct ob_seat_row **rows, cJSON *errors)
{
	char line[LINE_MAX_LEN + 2], *email, *action, *comma;
	const char *p = text, *nl;
	size_t len;
	int lineno = 0, n = 0;
	struct ob_seat_row *r;

	*rows = NULL;
	if (text == NULL || strlen(text) > OB_SEATS_CSV_MAX)
		return -1;
	if ((*rows = calloc(OB_SEATS_ROWS_MAX, sizeof(**rows))) == NULL)
		return -1;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (len > LINE_MAX_LEN) {
			bad_row(errors, lineno, "", "line_too_long", "The line is too long.");
			p += len + (nl != NULL);
			continue;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl != NULL);
		comma = strchr(line, ',');
		if (comma != NULL)
			*comma = '\0';
		email = field(line);
		action = comma != NULL ? field(comma + 1) : (char *)"";
		if (*email == '\0' && *action == '\0')
			continue;	/* blank line */
		if (n == 0 && lineno <= 1 && strcasecmp(email, "email") == 0)
			continue;	/* header */
		if (n >= OB_SEATS_ROWS_MAX) {
			free(*rows);
			*rows = NULL;
			return -1;
		}
		if (strchr(action, ',') != NULL) {
			bad_row(errors, lineno, email, "too_many_fields",
			    "A line holds an e-mail address and, optionally, assign or revoke.");
			continue;
		}
		if (!email_shape_ok(email)) {
			bad_row(errors, lineno, email, "invalid_email", "This is not an e-mail address.");
			continue;
		}
		if (*action != '\0' && strcasecmp(action, "assign") != 0 &&
		    strcasecmp(action, "revoke") != 0) {
			bad_row(errors, lineno, email, "invalid_action", "The action must be assign or revoke.");
			continue;
		}
		r = &(*rows)[n++];
		r->line = lineno;
		snprintf(r->email, sizeof(r->email), "%s", email);
		r->assign = *action == '\0' || strcasecmp(action, "assign") == 0;
	}
	return n;
}

/* What a bulk change does: licenses to assign, to revoke, rows already so. */
struct tally {
	int add, del, same;
};

/*
 * The member row names, by id or e-mail: its result (the caller clears
 * it), NULL on a database failure. *what: the row's text for reports
 * (uid, 24 bytes, holds an id's).
 */
static PGresult *
member_of(struct ob_db *db, const char *org, const struct ob_seat_row *row, char *uid,
    const char **what)
{
	const char *params[2] = { org, row->email };

	*what = row->email;
	if (row->user_id == 0)
		return ob_db_exec(db, OB_STMT_SEATS_MEMBER_BY_EMAIL, params, NULL);
	ob_num_str(uid, 24, row->user_id);
	params[1] = uid;
	*what = uid;
	return ob_db_exec(db, OB_STMT_SEATS_MEMBER_BY_ID, params, NULL);
}

/*
 * Check every row against the org's members: ids[i] the member (0 for a
 * bad row, reported in errors), act[i] 1 assign, -1 revoke, 0 nothing to
 * do; counted in *t. 0, or -1 on a database failure.
 */
static int
check_rows(struct ob_db *db, const char *org, const struct ob_seat_row *rows, int n,
    cJSON *errors, int64_t *ids, int *act, struct tally *t)
{
	char uid[24];
	const char *what;
	PGresult *res;
	int i, j, has;

	for (i = 0; i < n; i++) {
		if ((res = member_of(db, org, &rows[i], uid, &what)) == NULL)
			return -1;
		if (PQntuples(res) != 1 || strcmp(ob_row_str(res, 0, "status"), "active") != 0) {
			bad_row(errors, rows[i].line, what, "not_a_member",
			    "No active member of this organization has this address.");
			PQclear(res);
			continue;
		}
		ids[i] = ob_row_i64(res, 0, "user_id");
		for (j = 0; j < i; j++)
			if (ids[j] == ids[i]) {
				bad_row(errors, rows[i].line, what, "duplicate",
				    "This member appears more than once.");
				ids[i] = 0;
				break;
			}
		if (ids[i] != 0) {
			has = ob_row_bool(res, 0, "licensed");
			act[i] = rows[i].assign ? (has ? 0 : 1) : (has ? -1 : 0);
			if (act[i] > 0)
				t->add++;
			else if (act[i] < 0)
				t->del++;
			else
				t->same++;
		}
		PQclear(res);
	}
	return 0;
}

/* Assign and revoke as act[] says. 0 or -1. */
static int
write_rows(const struct ob_actx *ax, const char *org, const int64_t *ids, const int *act,
    int n)
{
	char uid[24], by[24];
	const char *params[3];
	int i;

	ob_num_str(by, sizeof(by), ax->who != NULL ? ax->who->user_id : 0);
	for (i = 0; i < n; i++) {
		if (act[i] == 0)
			continue;
		ob_num_str(uid, sizeof(uid), ids[i]);
		params[0] = org;
		params[1] = uid;
		params[2] = ax->who != NULL && ax->who->user_id != 0 ? by : NULL;
		if (ob_db_run(ax->db, act[i] > 0 ? OB_STMT_SEATS_ASSIGN : OB_STMT_SEATS_REVOKE,
		    params) != 0)
			return -1;
	}
	return 0;
}

/*
 * Audit the change and commit; the answer {object:"seat_change", assigned,
 * revoked, unchanged, seats:{purchased, assigned, available}}, or NULL
 * with f (rolled back).
 */
static cJSON *
commit_change(const struct ob_actx *ax, int64_t org_id, const char *org, const struct tally *t,
    int64_t bought, int64_t used, struct ob_fail *f)
{
	cJSON *after = cJSON_CreateObject(), *seats;

	ob_json_add_i64(after, "assigned", t->add);
	ob_json_add_i64(after, "revoked", t->del);
	ob_json_add_i64(after, "unchanged", t->same);
	if (ob_audit_commit(ax, org_id, "seats.change", "organization", org, NULL, after, f) != 0) {
		cJSON_Delete(after);
		return NULL;
	}
	cJSON_AddStringToObject(after, "object", "seat_change");
	seats = cJSON_AddObjectToObject(after, "seats");
	ob_json_add_i64(seats, "purchased", bought);
	ob_json_add_i64(seats, "assigned", used + t->add - t->del);
	ob_json_add_i64(seats, "available", bought - (used + t->add - t->del));
	return after;
}

/*
 * Lock org's subscription row (params: the org id); *bought: its seats (0
 * when none or ended), *renewal: the seats it renews with (fewer when a
 * change to fewer seats is scheduled). 0 or -1.
 */
static int
lock_seats(struct ob_db *db, const char **params, int64_t *bought, int64_t *renewal)
{
	PGresult *res;

	*bought = *renewal = 0;
	if ((res = ob_db_exec(db, OB_STMT_SEATS_LOCK, params, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		*bought = ob_row_i64(res, 0, "seats");
		*renewal = ob_row_i64(res, 0, "seats_at_renewal");
	}
	PQclear(res);
	return 0;
}

int
ob_seats_apply(const struct ob_actx *ax, int64_t org_id, const struct ob_seat_row *rows,
    int n, cJSON *errors, int64_t *needed, cJSON **result, struct ob_fail *f)
{
	char org[24];
	const char *params[1] = { org };
	struct tally t = { 0, 0, 0 };
	int64_t bought = 0, renewal = 0, used = 0, *ids = NULL;
	int *act = NULL;

	*result = NULL;
	*needed = 0;
	if (n < 0 || n > OB_SEATS_ROWS_MAX)
		return ob_fail(f, OB_FAIL_INVALID, "too_many_rows", "rows",
		    "At most %d rows at once.", OB_SEATS_ROWS_MAX);
	ob_num_str(org, sizeof(org), org_id);
	ids = calloc((size_t)n + 1, sizeof(*ids));
	act = calloc((size_t)n + 1, sizeof(*act));
	if (ids == NULL || act == NULL) {
		free(ids);
		free(act);
		return ob_fail(f, OB_FAIL_DB, "out_of_memory", NULL, "Out of memory.");
	}
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		goto fail_nodb;
	}
	/* Lock the subscription row: assignments and seat changes serialize. */
	if (lock_seats(ax->db, params, &bought, &renewal) != 0 ||
	    ob_seats_count(ax->db, org_id, &used) != 0 ||
	    check_rows(ax->db, org, rows, n, errors, ids, act, &t) != 0)
		goto fail;
	if (cJSON_GetArraySize(errors) > 0) {
		ob_db_rollback(ax->db);
		ob_fail(f, OB_FAIL_INVALID, "bad_rows", "rows",
		    "%d row(s) are not valid; nothing was changed.",
		    cJSON_GetArraySize(errors));
		goto fail_nodb;
	}
	if (used + t.add - t.del > renewal && renewal < bought) {
		/* Fewer seats are scheduled: licenses must fit the renewal's count. */
		*needed = used + t.add - t.del - renewal;
		ob_db_rollback(ax->db);
		ob_fail(f, OB_FAIL_CONFLICT, "seats_reduction_scheduled", "rows",
		    "%lld more seat(s) are needed: the subscription renews with %lld seats "
		    "(%lld until then), %lld assigned; cancel the scheduled change first.",
		    (long long)*needed, (long long)renewal, (long long)bought, (long long)used);
		goto fail_nodb;
	}
	if (used + t.add - t.del > bought) {
		*needed = used + t.add - t.del - bought;
		ob_db_rollback(ax->db);
		ob_fail(f, OB_FAIL_CONFLICT, "seats_exhausted", "rows",
		    "%lld more seat(s) are needed: %lld purchased, %lld assigned.",
		    (long long)*needed, (long long)bought, (long long)used);
		goto fail_nodb;
	}
	if (write_rows(ax, org, ids, act, n) != 0)
		goto fail;
	if ((*result = commit_change(ax, org_id, org, &t, bought, used, f)) == NULL)
		goto fail_nodb;
	free(ids);
	free(act);
	return 0;
fail:
	ob_db_fail(ax->db, f);
fail_nodb:
	free(ids);
	free(act);
	return -1;
}
