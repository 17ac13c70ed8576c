/*
 * A console form's errors, for people: every field's problem at once,
 * next to the field it is about (aria-invalid, aria-describedby), in plain
 * words, with what was typed kept. One mechanism for every form.
 *
 * A handler that renders its page again after a refused form describes
 * the form once (struct ob_form: its controls and the plain words for the
 * failures' codes) and, on the page data d:
 *
 *   ob_form_keep(r, fm, d);            what was sent: form.<name>
 *   ob_form_error_check(r, t, fm, d);  every field of the route's table that did not pass
 *   ob_form_error_fail(d, fm, f);      the failure core (or the table) gave
 *   ob_form_error_done(d, fm);         the summary at the top
 *
 * The page data then holds, for templates (partials/field_error,
 * partials/field_invalid, partials/form_errors):
 *   fe.<name>     {id, message}: the control's id and its message; the
 *                 message's element has the id "<id>-error"
 *   form_errors   [{id, message}] in the form's order, one per field
 *   form.<name>   the text sent; form.<name>_<value> true for a short
 *                 word value (a select's option, a checkbox); form_sent
 * A failure about no field of the form (a conflict, a missing org) is the
 * page's error flash, as before.
 */
#ifndef OB_FORM_ERRORS_H
#define OB_FORM_ERRORS_H

#include <stddef.h>

#include <cJSON.h>

#include "base/fail.h"
#include "fcgi/fields.h"
#include "fcgi/req.h"

/* One control of a form. */
struct ob_form_field {
	const char *name;	/* the control's name (the key under fe and form) */
	const char *id;		/* its HTML id */
	const char *param;	/* the failures' param naming it (NULL: name) */
};

/* Plain words for a failure: code (and param, NULL: any) → message. */
struct ob_form_msg {
	const char *code, *param, *message;
};

/* A form: its controls and the plain words for its failures. */
struct ob_form {
	const struct ob_form_field *fields;
	size_t nfields;
	const struct ob_form_msg *msgs;
	size_t nmsgs;
};

/* A form from static arrays: OB_FORM(fields, msgs). */
#define OB_FORM(fields, msgs) \
	{ (fields), sizeof(fields) / sizeof((fields)[0]), (msgs), sizeof(msgs) / sizeof((msgs)[0]) }

/**
 * Put message next to control name of fm on d. A control shows one
 * message (the first); one naming no control of fm is the page's error
 * flash, each text once. Returns 1 when added, 0 when it was there.
 */
int ob_form_error_add(cJSON *d, const struct ob_form *fm, const char *name, const char *message);

/**
 * The failure f (kind OB_FAIL_INVALID, CONFLICT...) on d: next to the
 * control its param names, in fm's plain words for its code when it has
 * them (else f's own message).
 */
void ob_form_error_fail(cJSON *d, const struct ob_form *fm, const struct ob_fail *f);

/**
 * Check every row of table t (a form table) against r's form, one by one,
 * and put each failure on d (ob_form_error_fail): all the field errors at
 * once, where the table's own check stops at the first. The checked values
 * kept on r (ob_field_*) are left as they were. Returns how many failed.
 */
int ob_form_error_check(struct ob_req *r, const struct ob_fields *t, const struct ob_form *fm,
    cJSON *d);

/**
 * All of a core check's failures at once, where it stops at the first:
 * check each member of body alone (each member of a nested object alone
 * inside it) and put each failure on d. Returns how many failed.
 */
int ob_form_error_each(cJSON *d, const struct ob_form *fm, const cJSON *body,
    int (*check)(const cJSON *one, struct ob_fail *f));

/** Keep on d what r's form sent for each control of fm (form.<name>, form_sent). */
void ob_form_keep(struct ob_req *r, const struct ob_form *fm, cJSON *d);

/**
 * Close the errors on d: form_errors in the order of fm's controls and,
 * with any, has_form_errors and the summary's title ("Nothing was changed:
 * 2 fields need a change."). Returns how many fields show one.
 */
int ob_form_error_done(cJSON *d, const struct ob_form *fm);

/**
 * The four steps above for a form whose route refused f: keep what r's form
 * sent, check every field of the route's table (r->ftab), add f, close.
 */
void ob_form_errors_show(struct ob_req *r, const struct ob_form *fm, const struct ob_fail *f,
    cJSON *d);

/** The plain message for failure code/param in fm, or NULL. */
const char *ob_form_msg_for(const struct ob_form *fm, const char *code, const char *param);

#endif
