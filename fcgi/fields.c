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
	case OB_FIELD_OBJECT:
	case OB_FIELD_LIST:
	case OB_FIELD_ABSENT:
		break;
	}
	return -1;
}

/* ---- checking ------------------------------------------------------------- */

int
ob_fields_validate(struct ob_req *r, const struct ob_fields *t, struct ob_fail *f)
{
	struct ob_field_val *vals = ob_arena_calloc(r->a, (t->n > 0 ? t->n : 1) * sizeof(*vals));
	const struct ob_field *row;
	const cJSON *it;
	const char *s;
	size_t i;
	int rc;

	r->ftab = t;
	r->fvals = vals;
	for (i = 0; i < t->n; i++) {
		row = &t->rows[i];
		it = NULL;
		if (t->body == OB_BODY_FORM) {
			s = ob_form_get(r, row->name);
			vals[i].present = s != NULL && *s != '\0';
		} else {
			it = cJSON_GetObjectItemCaseSensitive(r->json, row->name);
			vals[i].present = it != NULL && !cJSON_IsNull(it);
			s = NULL;
		}
		if (!vals[i].present) {
			if (row->flags & OB_FIELD_REQUIRED)
				return refuse(row, 1, f);
			continue;
		}
		if (row->type == OB_FIELD_ABSENT)
			return refuse(row, 0, f);
		rc = t->body == OB_BODY_FORM ? form_value(row, s, &vals[i]) :
		    json_value(row, it, &vals[i]);
		if (rc != 0) {
			memset(&vals[i], 0, sizeof(vals[i]));
			return refuse(row, 0, f);
		}
	}
	return 0;
}

int
ob_fields_check(struct ob_req *r, const struct ob_fields *t)
{
	struct ob_fail f = { 0 };

	if ((t->body == OB_BODY_JSON || (t->body == OB_BODY_JSON_OPTIONAL && r->body_len > 0)) &&
	    ob_api_body(r) == NULL)
		return -1;
	if (ob_fields_validate(r, t, &f) == 0)
		return 0;
	if (t->fail != NULL)
		(void)t->fail(r, &f);	/* unanswered: the worker's 503 */
	else
		ob_api_fail(r, &f);
	return -1;
}

/* ---- the table ------------------------------------------------------------ */

static const char *
row_problem(const struct ob_fields *t, size_t i)
{
	const struct ob_field *row = &t->rows[i];
	size_t j;

	if (row->name == NULL || row->name[0] == '\0')
		return "a row without a name";
	for (j = 0; j < i; j++)
		if (strcmp(t->rows[j].name, row->name) == 0)
			return "a name given twice";
	if (row->min < 0 && row->type != OB_FIELD_INT)
		return "a negative bound";
	if ((row->type == OB_FIELD_INT || row->max > 0) && row->min > row->max)
		return "bounds out of order";
	if (row->type == OB_FIELD_ENUM && (row->allowed == NULL || row->allowed[0] == NULL))
		return "an enum without values";
	if (row->chars == OB_CHARS_SET && row->set == NULL)
		return "a character set without its characters";
	if (t->body == OB_BODY_FORM && (row->type == OB_FIELD_OBJECT || row->type == OB_FIELD_LIST))
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

	if (t->rows == NULL && t->n > 0) {
		snprintf(err, errlen, "a field table without its rows");
		return -1;
	}
	for (i = 0; i < t->n; i++) {
		if ((why = row_problem(t, i)) != NULL) {
			snprintf(err, errlen, "field %zu (%s): %s", i,
			    t->rows[i].name != NULL ? t->rows[i].name : "?", why);
			return -1;
		}
	}
	return 0;
}

/* ---- typed access --------------------------------------------------------- */

static const struct ob_field_val *
val_of(const struct ob_req *r, const char *name)
{
	size_t i;

	for (i = 0; r->ftab != NULL && i < r->ftab->n; i++)
		if (strcmp(r->ftab->rows[i].name, name) == 0)
			return &r->fvals[i];
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
