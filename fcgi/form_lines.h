/*
 * Errors of a form's many-line field (a CSV, a bulk textarea), for people:
 * every bad line at once, in line order, each message once, next to the
 * field, the text kept (the rest of form_errors.h, for one field).
 *
 * A list of line errors is a cJSON array of {line, value, message} (line
 * a number, raw or not; value what the line said). On page data d,
 * ob_form_lines_show puts:
 *   fe.<name>        {id, message} as form_errors.h (the message says how many lines)
 *   line_errors      the list, sorted and without repeats, line as text
 *   form.<name>      the text sent
 */
#ifndef OB_FORM_LINES_H
#define OB_FORM_LINES_H

#include <stdint.h>

#include <cJSON.h>

#include "base/db.h"
#include "base/fail.h"

/** Add {line, value, message} to errs. */
void ob_form_line_error(cJSON *errs, int64_t line, const char *value, const char *message);

/** Sort errs by line (stable: a line's messages keep their order) and drop repeats (same line and message). */
void ob_form_lines_tidy(cJSON *errs);

/**
 * The bulk allocation text's problems, every line at once (core's
 * ob_credits_allocate_bulk stops at the first): a line that is not
 * "email, limit" with a whole number, and an address that is no active
 * member of org (checked against the member list; core checks again when
 * it applies). Appends to errs; returns how many, or -1 on a database
 * failure.
 */
int ob_form_bulk_alloc_check(struct ob_db *db, int64_t org_id, const char *text, cJSON *errs);

/**
 * On page data d: the field name (HTML id id) marked invalid with a
 * summary message, the sorted errs listed next to it, the text kept. The
 * failure f is added to them unless it is about one line ("Line N: ...")
 * and errs already has some (then it is among them). errs is tidied in
 * place and copied onto d.
 */
void ob_form_lines_show(cJSON *d, const char *name, const char *id, const char *text, cJSON *errs,
    const struct ob_fail *f);

#endif
