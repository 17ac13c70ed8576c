/*
 * Request fields checked against the route's table (fields.h).
 */
#include "fcgi/fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/num.h"
#include "fcgi/api.h"
#include "fcgi/input.h"

/* ---- messages ------------------------------------------------------------ */

/* tmpl into out with {min} and {max} replaced by the row's bounds. */
static void
expand(char *out, size_t n, const char *tmpl, const struct ob_field *row)
{
	size_t used = 0;
	int w;

	while (*tmpl != '\0' && used + 1 < n) {
		if (strncmp(tmpl, "{min}", 5) == 0 || strncmp(tmpl, "{max}", 5) == 0) {
			w = snprintf(out + used, n - used, "%lld",
			    (long long)(tmpl[1] == 'm' && tmpl[2] == 'i' ? row->min : row->max));
			used += w > 0 ? (size_t)w : 0;
			if (used >= n)
				used = n - 1;
			tmpl += 5;
		} else {
			out[used++] = *tmpl++;
		}
	}
	out[used] = '\0';
}

/* The invalid message a row gets when it names none. */
static const char *
default_message(const struct ob_field *row)
{
	switch (row->type) {
	case OB_FIELD_INT:
		return "must be an integer from {min} to {max}.";
	case OB_FIELD_ID:
		return "must be an id.";
	case OB_FIELD_BOOL:
		return "must be true or false.";
	case OB_FIELD_ENUM:
		return "is not one of the values allowed.";
	case OB_FIELD_OBJECT:
		return "must be an object.";
	case OB_FIELD_LIST:
		return "must be a list of strings.";
	case OB_FIELD_ABSENT:
		return "may not be given.";
	case OB_FIELD_DATE:
		return "must be a date that exists, YYYY-MM-DD.";
	case OB_FIELD_STRING:
		break;
	}
	return "is not valid.";
}

/* Fill f for row: absent (a required field) or invalid. Returns -1. */
static int
refuse(const struct ob_field *row, int absent, struct ob_fail *f)
{
	char msg[sizeof(f->message)], tmpl[sizeof(f->message)];

	if (absent && !(row->flags & OB_FIELD_ABSENT_INVALID)) {
		if (row->missing != NULL)
			expand(msg, sizeof(msg), row->missing, row);
		else
			snprintf(msg, sizeof(msg), "%s is required.", row->name);
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", row->name, "%s", msg);
	}
	if (row->message != NULL)
		expand(msg, sizeof(msg), row->message, row);
	else {
		snprintf(tmpl, sizeof(tmpl), "%s %s", row->name, default_message(row));
		expand(msg, sizeof(msg), tmpl, row);
	}
	return ob_fail(f, OB_FAIL_INVALID, row->code != NULL ? row->code : "parameter_invalid",
	    row->name, "%s", msg);
}

/* ---- values --------------------------------------------------------------- */

static int
chars_ok(const struct ob_field *row, const char *s)
{
	const unsigned char *p;

	switch (row->chars) {
	case OB_CHARS_ANY:
		return 1;
	case OB_CHARS_SET:
		return strspn(s, row->set) == strlen(s);
	case OB_CHARS_TEXT:
	case OB_CHARS_LINES:
		for (p = (const unsigned char *)s; *p != '\0'; p++)
			if ((*p < 0x20 || *p == 0x7f) && !(row->chars == OB_CHARS_LINES &&
			    (*p == '\t' || *p == '\r' || *p == '\n')))
				return 0;
		return 1;
	}
	return 0;
}

static int
string_ok(const struct ob_field *row, const char *s)
{
	size_t n = strlen(s);

	if ((int64_t)n < row->min || (row->max > 0 && (int64_t)n > row->max))
		return 0;
	return chars_ok(row, s) && (row->ok == NULL || row->ok(s));
}

static int
enum_ok(const struct ob_field *row, const char *s)
{
	const char *const *a;

	for (a = row->allowed; *a != NULL; a++)
		if (strcmp(*a, s) == 0)
			return row->ok == NULL || row->ok(s);
	return 0;
}

static int
object_ok(const struct ob_field *row, const cJSON *it)
{
	char *txt;
	int ok;

	if (!cJSON_IsObject(it))
		return 0;
	if (row->max <= 0)
		return 1;
	txt = cJSON_PrintUnformatted(it);
	ok = txt != NULL && (int64_t)strlen(txt) <= row->max;
	cJSON_free(txt);
	return ok;
}

static int
list_ok(const struct ob_field *row, const cJSON *it)
{
	const cJSON *e;
	int n;

	if (!cJSON_IsArray(it))
		return 0;
	n = cJSON_GetArraySize(it);
	if (n < row->min || (row->max > 0 && n > row->max))
		return 0;
	cJSON_ArrayForEach(e, it)
		if (!cJSON_IsString(e) || (row->ok != NULL && !row->ok(e->valuestring)))
			return 0;
	return 1;
}

/* A calendar date YYYY-MM-DD that exists, years 1970 to 9999: 1 or 0. */
static int
date_ok(const char *s)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int i, y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)));
}

/* A JSON member (present, not null) against its row into v: 0 or -1. */
static int
json_value(const struct ob_field *row, const cJSON *it, struct ob_field_val *v)
{
	v->item = it;
	switch (row->type) {
	case OB_FIELD_STRING:
	case OB_FIELD_ENUM:
		if (!cJSON_IsString(it))
			return -1;
		v->s = it->valuestring;
		return (row->type == OB_FIELD_STRING ? string_ok(row, v->s) : enum_ok(row, v->s)) ? 0 : -1;
	case OB_FIELD_INT:
		return ob_num_json(it, row->min, row->max, &v->i);
	case OB_FIELD_ID:
		return ob_num_json(it, 1, INT64_MAX, &v->i);
	case OB_FIELD_BOOL:
		v->i = cJSON_IsTrue(it);
		return cJSON_IsBool(it) ? 0 : -1;
	case OB_FIELD_OBJECT:
		return object_ok(row, it) ? 0 : -1;
	case OB_FIELD_LIST:
		return list_ok(row, it) ? 0 : -1;
	case OB_FIELD_DATE:
		v->s = cJSON_IsString(it) ? it->valuestring : NULL;
		return v->s != NULL && date_ok(v->s) ? 0 : -1;
	case OB_FIELD_ABSENT:
		break;
	}
	return -1;
}

/* A form value (present, not empty) against its row into v: 0 or -1. */
static int
form_value(const struct ob_field *row, const char *s, struct ob_field_val *v)
{
	v->s = s;
	switch (row->type) {
	case OB_FIELD_STRING:
		return string_ok(row, s) ? 0 : -1;
	case OB_FIELD_ENUM:
		return enum_ok(row, s) ? 0 : -1;
	case OB_FIELD_INT:
		return ob_num_parse(s, row->min, row->max, &v->i);
	case OB_FIELD_ID:
		return (v->i = ob_num_id(s)) > 0 ? 0 : -1;
	case OB_FIELD_BOOL:
		if (strcmp(s, "on") == 0 || strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
			v->i = 1;
		else if (strcmp(s, "off") == 0 || strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
			v->i = 0;
		else
			return -1;
		return 0;
	case OB_FIELD_DATE:
		return date_ok(s) ? 0 : -1;
	case OB_FIELD_OBJECT:
	case OB_FIELD_LIST:
	case OB_FIELD_ABSENT:
		break;
	}
	return -1;
}

/* ---- checking ------------------------------------------------------------- */

/* One row against its value (form/query text s, or JSON item it) into v: 0, or -1 with f. */
static int
check_row(const struct ob_field *row, int form, const char *s, const cJSON *it,
    struct ob_field_val *v, struct ob_fail *f)
{
	v->present = form ? s != NULL && *s != '\0' : it != NULL && !cJSON_IsNull(it);
	if (!v->present)
		return (row->flags & OB_FIELD_REQUIRED) ? refuse(row, 1, f) : 0;
	if (row->type == OB_FIELD_ABSENT)
		return refuse(row, 0, f);
	if ((form ? form_value(row, s, v) : json_value(row, it, v)) != 0) {
		memset(v, 0, sizeof(*v));
		return refuse(row, 0, f);
	}
	return 0;
}

/* True if name is one of rows' names. */
static int
declared(const struct ob_field *rows, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return 1;
	return 0;
}

/* Refuse name (copied into the arena: the body it came from may go first). */
static int
refuse_unknown(struct ob_req *r, const char *name, const char *where, struct ob_fail *f)
{
	return ob_fail(f, OB_FAIL_INVALID, "parameter_unknown", ob_arena_strdup(r->a, name),
	    "Received unknown %s: %.100s.", where, name);
}

/* The form tokens every console form may carry (their handlers check them). */
static int
form_token(const char *name)
{
	return strcmp(name, "csrf") == 0 || strcmp(name, "login_token") == 0 ||
	    strcmp(name, "idem") == 0;
}

/*
 * A strict form table: the body is a well-formed form (or none), each name
 * is declared or a form token, and every value of a declared name passes
 * its row. 0, or -1 with f.
 */
static int
strict_form_check(struct ob_req *r, const struct ob_fields *t, struct ob_fail *f)
{
	const char *const *names, *const *values;
	struct ob_field_val v;
	size_t j;
	int i, n;

	if ((n = ob_form_all(r, &names, &values)) < 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_form", NULL,
		    "The form could not be read (its encoding is malformed).");
	for (i = 0; i < n; i++) {
		if (form_token(names[i]))
			continue;
		for (j = 0; j < t->n && strcmp(t->rows[j].name, names[i]) != 0; j++)
			;
		if (j == t->n)
			return refuse_unknown(r, names[i], "form field", f);
		if (check_row(&t->rows[j], 1, values[i], NULL, &v, f) != 0)
			return -1;
	}
	return 0;
}

/* The JSON body's members are all declared, and every query parameter when the table has query rows. */
static int
unknown_check(struct ob_req *r, const struct ob_fields *t, struct ob_fail *f)
{
	const char *const *names, *const *values;
	const cJSON *c;
	int i, n;

	if (t->body == OB_BODY_FORM && (t->flags & OB_FIELDS_STRICT) &&
	    strict_form_check(r, t, f) != 0)
		return -1;
	if (t->body != OB_BODY_FORM && t->body != OB_BODY_NONE && r->json != NULL)
		for (c = r->json->child; c != NULL; c = c->next)
			if (!declared(t->rows, t->n, c->string))
				return refuse_unknown(r, c->string, "parameter", f);
	if (t->query == NULL || !ob_req_is_api(r))
		return 0;	/* console pages carry flash and other display parameters */
	n = ob_query_all(r, &names, &values);
	for (i = 0; i < n; i++)
		if (!declared(t->query, t->nquery, names[i]))
			return refuse_unknown(r, names[i], "query parameter", f);
	return 0;
}

int
ob_fields_validate(struct ob_req *r, const struct ob_fields *t, struct ob_fail *f)
{
	struct ob_field_val *vals = ob_arena_calloc(r->a, (t->n + t->nquery + 1) * sizeof(*vals));
	int form = t->body == OB_BODY_FORM;
	size_t i;

	r->ftab = t;
	r->fvals = vals;
	if (unknown_check(r, t, f) != 0)
		return -1;
	for (i = 0; i < t->n; i++)
		if (check_row(&t->rows[i], form, form ? ob_form_get(r, t->rows[i].name) : NULL,
		    form ? NULL : cJSON_GetObjectItemCaseSensitive(r->json, t->rows[i].name),
		    &vals[i], f) != 0)
			return -1;
	for (i = 0; i < t->nquery; i++)
		if (check_row(&t->query[i], 1, ob_query_get(r, t->query[i].name), NULL,
		    &vals[t->n + i], f) != 0)
			return -1;
	return 0;
}

int
ob_fields_check(struct ob_req *r, const struct ob_fields *t)
{
	struct ob_fail f = { 0 };

	if ((t->body == OB_BODY_JSON || (t->body == OB_BODY_JSON_OPTIONAL && r->body_len > 0)) &&
	    ob_api_body(r) == NULL)
		return -1;
	if (t->body == OB_BODY_NONE && r->body_len > 0) {
		ob_fail(&f, OB_FAIL_INVALID, "body_not_allowed", NULL, "This request takes no body.");
		ob_api_fail(r, &f);
		return -1;
	}
	if (ob_fields_validate(r, t, &f) == 0)
		return 0;
	if (t->fail != NULL)
		(void)t->fail(r, &f);	/* unanswered: the worker's 503 */
	else
		ob_api_fail(r, &f);
	return -1;
}

/* ---- the table ------------------------------------------------------------ */

/* What is wrong with rows[i] (form: text values only), or NULL. */
static const char *
row_problem(const struct ob_field *rows, size_t i, int form)
{
	const struct ob_field *row = &rows[i];
	size_t j;

	if (row->name == NULL || row->name[0] == '\0')
		return "a row without a name";
	for (j = 0; j < i; j++)
		if (strcmp(rows[j].name, row->name) == 0)
			return "a name given twice";
	if (row->min < 0 && row->type != OB_FIELD_INT)
		return "a negative bound";
	if ((row->type == OB_FIELD_INT || row->max > 0) && row->min > row->max)
		return "bounds out of order";
	if (row->type == OB_FIELD_ENUM && (row->allowed == NULL || row->allowed[0] == NULL))
		return "an enum without values";
	if (row->chars == OB_CHARS_SET && row->set == NULL)
		return "a character set without its characters";
	if (form && (row->type == OB_FIELD_OBJECT || row->type == OB_FIELD_LIST))
		return "a JSON-only type in a form table";
	if (row->type == OB_FIELD_ABSENT && (row->flags & OB_FIELD_REQUIRED))
		return "a field both required and refused";
	return NULL;
}

int
ob_fields_table_ok(const struct ob_fields *t, char *err, size_t errlen)
{
	const char *why;
	size_t i;

	if ((t->rows == NULL && t->n > 0) || (t->query == NULL && t->nquery > 0)) {
		snprintf(err, errlen, "a field table without its rows");
		return -1;
	}
	if (t->body == OB_BODY_NONE && t->n > 0) {
		snprintf(err, errlen, "body fields in a table for no body");
		return -1;
	}
	for (i = 0; i < t->n; i++) {
		if ((why = row_problem(t->rows, i, t->body == OB_BODY_FORM)) != NULL) {
			snprintf(err, errlen, "field %zu (%s): %s", i,
			    t->rows[i].name != NULL ? t->rows[i].name : "?", why);
			return -1;
		}
	}
	for (i = 0; i < t->nquery; i++) {
		if ((why = row_problem(t->query, i, 1)) != NULL) {
			snprintf(err, errlen, "query parameter %zu (%s): %s", i,
			    t->query[i].name != NULL ? t->query[i].name : "?", why);
			return -1;
		}
	}
	return 0;
}

/* ---- shared tables -------------------------------------------------------- */

static const struct ob_field list_query[] = { OB_FIELD_ROW_LIMIT(100), OB_FIELD_ROW_CURSOR };
const struct ob_fields ob_h_api_list_fields = OB_FIELDS_QUERY(list_query, NULL);

/* ---- typed access --------------------------------------------------------- */

static const struct ob_field_val *
val_of(const struct ob_req *r, const char *name)
{
	size_t i;

	for (i = 0; r->ftab != NULL && i < r->ftab->n; i++)
		if (strcmp(r->ftab->rows[i].name, name) == 0)
			return &r->fvals[i];
	for (i = 0; r->ftab != NULL && i < r->ftab->nquery; i++)
		if (strcmp(r->ftab->query[i].name, name) == 0)
			return &r->fvals[r->ftab->n + i];
	ob_log(OB_LOG_ERROR, "field_undeclared", "%s %s reads field \"%s\" its table does not declare",
	    r->method, r->pattern ? r->pattern : r->path, name);
#ifdef OB_STRICT_COLUMNS
	abort();
#endif
	return NULL;
}

int
ob_field_has(const struct ob_req *r, const char *name)
{
	const struct ob_field_val *v = val_of(r, name);

	return v != NULL && v->present;
}

int64_t
ob_field_i64(const struct ob_req *r, const char *name, int64_t dflt)
{
	const struct ob_field_val *v = val_of(r, name);

	return v != NULL && v->present ? v->i : dflt;
}

int
ob_field_bool(const struct ob_req *r, const char *name, int dflt)
{
	const struct ob_field_val *v = val_of(r, name);

	return v != NULL && v->present ? v->i != 0 : dflt;
}

const char *
ob_field_str(const struct ob_req *r, const char *name)
{
	const struct ob_field_val *v = val_of(r, name);

	return v != NULL && v->present ? v->s : NULL;
}

const cJSON *
ob_field_json(const struct ob_req *r, const char *name)
{
	const struct ob_field_val *v = val_of(r, name);

	return v != NULL && v->present ? v->item : NULL;
}
