/*
 * Errors of a form's many-line field, every line at once (form_lines.h).
 */
#include "fcgi/form_lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "credits/credits.h"
#include "fcgi/form_errors.h"
#include "identity/org.h"

void
ob_form_line_error(cJSON *errs, int64_t line, const char *value, const char *message)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddNumberToObject(e, "line", (double)line);
	cJSON_AddStringToObject(e, "value", value);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddItemToArray(errs, e);
}

/* An error's line number (a number, or raw digits as core writes them); 0 if none. */
static int64_t
line_of(const cJSON *e)
{
	const cJSON *l = cJSON_GetObjectItem(e, "line");

	if (cJSON_IsRaw(l) || cJSON_IsString(l))
		return strtoll(l->valuestring, NULL, 10);
	return cJSON_IsNumber(l) ? (int64_t)l->valuedouble : 0;
}

/* True if a and b say the same thing about the same line. */
static int
same(const cJSON *a, const cJSON *b)
{
	const char *ma = cJSON_GetStringValue(cJSON_GetObjectItem(a, "message"));
	const char *mb = cJSON_GetStringValue(cJSON_GetObjectItem(b, "message"));

	return line_of(a) == line_of(b) && ma != NULL && mb != NULL && strcmp(ma, mb) == 0;
}

void
ob_form_lines_tidy(cJSON *errs)
{
	int n = cJSON_GetArraySize(errs), i, j, k;
	cJSON **v;

	if (n < 2)
		return;
	v = calloc((size_t)n, sizeof(*v));
	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(errs, 0);
	/* Insertion sort by line: stable, and the lists are short (a form's rows). */
	for (i = 1; i < n; i++) {
		cJSON *x = v[i];

		for (j = i; j > 0 && line_of(v[j - 1]) > line_of(x); j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	/* Back in order; one that repeats an earlier one goes. */
	for (i = 0; i < n; i++) {
		for (k = 0; k < i && (v[k] == NULL || !same(v[k], v[i])); k++)
			;
		if (k < i) {
			cJSON_Delete(v[i]);
			v[i] = NULL;
		} else {
			cJSON_AddItemToArray(errs, v[i]);
		}
	}
	free(v);
}

/* True if email is one of list's active members' addresses (case aside). */
static int
is_member(const cJSON *list, const char *email)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, cJSON_GetObjectItem(list, "data")) {
		const char *e = cJSON_GetStringValue(cJSON_GetObjectItem(m, "email"));
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItem(m, "status"));

		if (e != NULL && strcasecmp(e, email) == 0 && (st == NULL || strcmp(st, "active") == 0))
			return 1;
	}
	return 0;
}

int
ob_form_bulk_alloc_check(struct ob_db *db, int64_t org_id, const char *text, cJSON *errs)
{
	const char *p = text, *nl;
	char email[321], shown[81];
	int64_t limit, lineno = 0;
	cJSON *members;
	size_t cut;
	int k, n = 0;

	if (text == NULL)
		return 0;
	if ((members = ob_member_list(db, org_id)) == NULL)
		return -1;
	while (*p != '\0' && lineno < 200) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		lineno++;
		/* At most 80 bytes, never half a character. */
		cut = nl - p > 80 ? 80 : (size_t)(nl - p);
		while (cut > 0 && cut < (size_t)(nl - p) && ((unsigned char)p[cut] & 0xC0) == 0x80)
			cut--;
		snprintf(shown, sizeof(shown), "%.*s", (int)cut, p);
		shown[strcspn(shown, "\r")] = '\0';
		k = ob_credits_bulk_line(p, (size_t)(nl - p), email, sizeof(email), &limit);
		if (k < 0) {
			ob_form_line_error(errs, lineno, shown,
			    "Write an e-mail address, a comma, and a whole number of credits, "
			    "like member@example.com, 5000.");
			n++;
		} else if (k == 1 && !is_member(members, email)) {
			ob_form_line_error(errs, lineno, shown,
			    "Nobody in this organization has this e-mail address.");
			n++;
		}
		p = *nl == '\n' ? nl + 1 : nl;
	}
	cJSON_Delete(members);
	return n;
}

/* errs as d's line_errors: sorted, once each, the line as text. */
static void
add_list(cJSON *d, cJSON *errs)
{
	cJSON *out = cJSON_AddArrayToObject(d, "line_errors"), *e, *c;
	const char *v, *m;
	char num[24];

	ob_form_lines_tidy(errs);
	cJSON_ArrayForEach(e, errs) {
		c = cJSON_CreateObject();
		snprintf(num, sizeof(num), "%lld", (long long)line_of(e));
		cJSON_AddStringToObject(c, "line", num);
		v = cJSON_GetStringValue(cJSON_GetObjectItem(e, "value"));
		m = cJSON_GetStringValue(cJSON_GetObjectItem(e, "message"));
		cJSON_AddBoolToObject(c, "has_line", line_of(e) > 0);
		cJSON_AddStringToObject(c, "value", v != NULL ? v : "");
		cJSON_AddStringToObject(c, "message", m != NULL ? m : "");
		cJSON_AddItemToArray(out, c);
	}
}

void
ob_form_lines_show(cJSON *d, const char *name, const char *id, const char *text, cJSON *errs,
    const struct ob_fail *f)
{
	const struct ob_form_field field = { name, id, NULL };
	const struct ob_form fm = { &field, 1, NULL, 0 };
	cJSON *form = cJSON_GetObjectItem(d, "form");
	char msg[96];
	int line = 0, used = 0, n;

	/* f about one line is among errs when they were checked; else it is one more. */
	if (f != NULL && sscanf(f->message, "Line %d: %n", &line, &used) == 1 && used > 0) {
		if (cJSON_GetArraySize(errs) == 0)
			ob_form_line_error(errs, line, "", f->message + used);
	} else if (f != NULL) {
		ob_form_line_error(errs, 0, "", f->message);
	}
	add_list(d, errs);
	n = cJSON_GetArraySize(errs);
	if (n == 1)
		snprintf(msg, sizeof(msg), "Nothing was changed: fix the line listed below.");
	else
		snprintf(msg, sizeof(msg), "Nothing was changed: fix the %d lines listed below.", n);
	(void)ob_form_error_add(d, &fm, name, msg);
	if (form == NULL)
		form = cJSON_AddObjectToObject(d, "form");
	cJSON_AddStringToObject(form, name, text != NULL ? text : "");
}
