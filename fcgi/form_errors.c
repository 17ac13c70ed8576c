/*
 * A console form's errors next to its fields (form_errors.h).
 */
#include "fcgi/form_errors.h"

#include <stdio.h>
#include <string.h>

#include "fcgi/input.h"
#include "fcgi/page.h"

/* The control of fm that param (a failure's) or name names, or NULL. */
static const struct ob_form_field *
field_of(const struct ob_form *fm, const char *param)
{
	size_t i;

	for (i = 0; param != NULL && i < fm->nfields; i++)
		if (strcmp(param, fm->fields[i].param != NULL ? fm->fields[i].param :
		    fm->fields[i].name) == 0 || strcmp(param, fm->fields[i].name) == 0)
			return &fm->fields[i];
	return NULL;
}

const char *
ob_form_msg_for(const struct ob_form *fm, const char *code, const char *param)
{
	size_t i;

	for (i = 0; code != NULL && i < fm->nmsgs; i++)
		if (strcmp(fm->msgs[i].code, code) == 0 && (fm->msgs[i].param == NULL ||
		    (param != NULL && strcmp(fm->msgs[i].param, param) == 0)))
			return fm->msgs[i].message;
	return NULL;
}

/* True if d's flash already says message. */
static int
flashed(const cJSON *d, const char *message)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItem(d, "flash"))
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(f, "message")), message) == 0)
			return 1;
	return 0;
}

int
ob_form_error_add(cJSON *d, const struct ob_form *fm, const char *name, const char *message)
{
	const struct ob_form_field *c = field_of(fm, name);
	cJSON *fe, *e, *list;

	if (c == NULL) {
		if (flashed(d, message))
			return 0;
		ob_page_flash(d, "error", message);
		return 1;
	}
	if ((fe = cJSON_GetObjectItem(d, "fe")) == NULL)
		fe = cJSON_AddObjectToObject(d, "fe");
	if (cJSON_GetObjectItem(fe, c->name) != NULL)
		return 0;
	e = cJSON_AddObjectToObject(fe, c->name);
	cJSON_AddStringToObject(e, "id", c->id);
	cJSON_AddStringToObject(e, "message", message);
	if ((list = cJSON_GetObjectItem(d, "form_errors")) == NULL)
		list = cJSON_AddArrayToObject(d, "form_errors");
	cJSON_AddItemReferenceToArray(list, e);
	return 1;
}

void
ob_form_error_fail(cJSON *d, const struct ob_form *fm, const struct ob_fail *f)
{
	const char *plain = ob_form_msg_for(fm, f->code, f->param);

	(void)ob_form_error_add(d, fm, f->param != NULL ? f->param : "",
	    plain != NULL ? plain : f->message);
}

int
ob_form_error_check(struct ob_req *r, const struct ob_fields *t, const struct ob_form *fm,
    cJSON *d)
{
	const struct ob_fields *ftab = r->ftab;
	struct ob_field_val *fvals = r->fvals;
	struct ob_fields one = { OB_BODY_FORM, NULL, 1, NULL, NULL, 0, 0 };
	struct ob_fail f;
	size_t i;
	int n = 0;

	for (i = 0; t != NULL && t->body == OB_BODY_FORM && i < t->n; i++) {
		memset(&f, 0, sizeof(f));
		one.rows = &t->rows[i];
		if (ob_fields_validate(r, &one, &f) != 0) {
			ob_form_error_fail(d, fm, &f);
			n++;
		}
	}
	r->ftab = ftab;
	r->fvals = fvals;
	return n;
}

int
ob_form_error_each(cJSON *d, const struct ob_form *fm, const cJSON *body,
    int (*check)(const cJSON *one, struct ob_fail *f))
{
	const cJSON *it, *in;
	cJSON *one, *sub;
	struct ob_fail f;
	int n = 0;

	cJSON_ArrayForEach(it, body) {
		const cJSON *members = cJSON_IsObject(it) ? it : NULL;

		for (in = members != NULL ? members->child : it; in != NULL;
		    in = members != NULL ? in->next : NULL) {
			one = cJSON_CreateObject();
			sub = members != NULL ? cJSON_AddObjectToObject(one, it->string) : one;
			cJSON_AddItemToObject(sub, in->string, cJSON_Duplicate(in, 1));
			memset(&f, 0, sizeof(f));
			if (check(one, &f) != 0) {
				ob_form_error_fail(d, fm, &f);
				n++;
			}
			cJSON_Delete(one);
		}
	}
	return n;
}

/* True if s is a short word ([a-z0-9_], 1 to 32 bytes): a value a template may test. */
static int
word(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return n > 0 && n <= 32 && s[n] == '\0';
}

void
ob_form_keep(struct ob_req *r, const struct ob_form *fm, cJSON *d)
{
	cJSON *form = cJSON_GetObjectItem(d, "form");
	const char *v;
	char key[80];
	size_t i;

	if (form == NULL)
		form = cJSON_AddObjectToObject(d, "form");
	for (i = 0; i < fm->nfields; i++) {
		if ((v = ob_form_get(r, fm->fields[i].name)) == NULL)
			continue;
		cJSON_AddStringToObject(form, fm->fields[i].name, v);
		if (word(v)) {
			snprintf(key, sizeof(key), "%s_%s", fm->fields[i].name, v);
			cJSON_AddBoolToObject(form, key, 1);
		}
	}
	if (cJSON_GetObjectItem(d, "form_sent") == NULL)
		cJSON_AddBoolToObject(d, "form_sent", 1);
}

/* d's form_errors in the order of fm's controls (the order a person reads them). */
static void
order_errors(cJSON *d, const struct ob_form *fm)
{
	cJSON *fe = cJSON_GetObjectItem(d, "fe"), *list, *e;
	size_t i;

	if (fe == NULL)
		return;
	cJSON_DeleteItemFromObject(d, "form_errors");
	list = cJSON_AddArrayToObject(d, "form_errors");
	for (i = 0; i < fm->nfields; i++)
		if ((e = cJSON_GetObjectItem(fe, fm->fields[i].name)) != NULL)
			cJSON_AddItemReferenceToArray(list, e);
}

int
ob_form_error_done(cJSON *d, const struct ob_form *fm)
{
	int n;
	char title[96];

	order_errors(d, fm);
	n = cJSON_GetArraySize(cJSON_GetObjectItem(d, "form_errors"));
	if (n == 0)
		return 0;
	if (n == 1)
		snprintf(title, sizeof(title), "Nothing was changed: one field needs a change.");
	else
		snprintf(title, sizeof(title), "Nothing was changed: %d fields need a change.", n);
	cJSON_AddBoolToObject(d, "has_form_errors", 1);
	cJSON_AddStringToObject(d, "form_errors_title", title);
	return n;
}

void
ob_form_errors_show(struct ob_req *r, const struct ob_form *fm, const struct ob_fail *f,
    cJSON *d)
{
	ob_form_keep(r, fm, d);
	(void)ob_form_error_check(r, r->ftab, fm, d);
	if (f != NULL)
		ob_form_error_fail(d, fm, f);
	(void)ob_form_error_done(d, fm);
}
