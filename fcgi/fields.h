/*
 * ob_fields: a route's request fields, declared once in a table (kcgi's
 * kvalid, adapted) and checked before its handler runs.
 *
 * A table has one row per field the route reads from its body: the name,
 * the type and its bounds, whether it is required. A route names its
 * table in its row of fcgi/routes_<module>.def (OB_ROUTE_F); the worker
 * checks the request against it after authorization, and the handler then
 * reads the values typed (ob_field_i64, ob_field_str, ...) and never sees
 * one that did not pass. Rules that need the database stay in core.
 *
 * JSON bodies (API routes): the body must be a JSON object sent as
 * application/json (415 / 400 invalid_json otherwise, see ob_api_body); it
 * is parsed once and kept on the request. A member that is null counts as
 * absent; a member the table does not name is refused: 400
 * parameter_unknown naming it, as Stripe does. An API route that changes
 * something and has no table takes no fields: any member is unknown.
 * Form bodies (console routes): the urlencoded values, all strings; an
 * empty value counts as absent; the last value given for a name counts;
 * other names are left alone (a form carries its CSRF token and buttons)
 * unless the table is strict (OB_FIELDS_FORM): then a body that is not a
 * well-formed urlencoded form is refused (invalid_form), so is a name the
 * table does not declare (parameter_unknown; the CSRF, pre-login and
 * one-time form tokens csrf, login_token and idem are always allowed, the
 * handlers check them), and every value given for a declared name must
 * pass its row (a repeated field such as checkboxes, not only the last).
 * Query parameters (the query rows, GET routes): as a form's values, and
 * a name the rows do not declare is refused as parameter_unknown.
 *
 * A field that does not pass is a 400 invalid_request_error naming it
 * (param): code parameter_missing and the row's missing message when a
 * required field is absent, else the row's code (parameter_invalid unless
 * it names another) and message. API routes answer in the error envelope;
 * a form table's fail hook answers the way the module's forms do.
 */
#ifndef OB_FIELDS_H
#define OB_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "base/fail.h"
#include "fcgi/req.h"

enum ob_field_type {
	OB_FIELD_STRING,	/* text of min..max bytes (max 0: any), then chars, then ok */
	OB_FIELD_INT,		/* an exact integer in min..max (ob_num_json / ob_num_parse):
				 * a JSON number without fraction or a decimal string */
	OB_FIELD_ID,		/* a positive id: JSON as INT in 1..INT64_MAX, a form's as ob_num_id */
	OB_FIELD_BOOL,		/* JSON true or false; a form's on/true/1 or off/false/0 */
	OB_FIELD_ENUM,		/* one of the strings in allowed */
	OB_FIELD_OBJECT,	/* a JSON object of at most max bytes serialized (max 0: any) */
	OB_FIELD_LIST,		/* a JSON array of min..max strings (max 0: any), each passing ok */
	OB_FIELD_ABSENT,	/* must not be sent at all */
	OB_FIELD_DATE,		/* a calendar date YYYY-MM-DD that exists (no 2024-02-30),
				 * years 1970 to 9999 */
};

/* Which bytes a STRING may hold. */
enum ob_field_chars {
	OB_CHARS_ANY = 0,	/* any */
	OB_CHARS_TEXT,		/* no control characters (below 0x20, 0x7f) */
	OB_CHARS_LINES,		/* as TEXT, but tab, CR and LF are allowed */
	OB_CHARS_SET,		/* only the bytes in set */
};

/* Row flags. */
#define OB_FIELD_REQUIRED	0x1u	/* must be present */
#define OB_FIELD_ABSENT_INVALID	0x2u	/* absent answers as invalid (code, message) */

/*
 * One field. Written with designated initializers; what a row leaves out
 * is 0 / NULL. message and missing may say {min} and {max} for the row's
 * bounds.
 */
struct ob_field {
	const char *name;
	enum ob_field_type type;
	unsigned flags;
	int64_t min, max;		/* INT: the range; STRING: bytes; OBJECT: bytes; LIST: items */
	enum ob_field_chars chars;	/* STRING */
	const char *set;		/* OB_CHARS_SET: the allowed bytes */
	const char *const *allowed;	/* ENUM: the values, NULL-terminated */
	int (*ok)(const char *s);	/* STRING, ENUM, LIST items: a further check (1: good) */
	const char *code;		/* invalid: the error code (NULL: parameter_invalid) */
	const char *message;		/* invalid: for people (NULL: "<name> is not valid.") */
	const char *missing;		/* absent when required (NULL: "<name> is required.") */
};

/* Where a table's values come from. */
enum ob_fields_body {
	OB_BODY_JSON,		/* a JSON object body, required */
	OB_BODY_JSON_OPTIONAL,	/* a JSON object when the request has a body; none is no fields */
	OB_BODY_FORM,		/* the urlencoded form */
	OB_BODY_NONE,		/* no body (GET): the query parameters only */
};

/* A route's table. */
struct ob_fields {
	enum ob_fields_body body;
	const struct ob_field *rows;
	size_t n;
	/*
	 * Answer a refused request (f: kind OB_FAIL_INVALID) the way the
	 * route's handlers answer their own failures: 0 when answered, -1
	 * when that failed without an answer (the worker's 503). NULL:
	 * ob_api_fail (the API's error envelope, or the error page).
	 */
	int (*fail)(struct ob_req *r, const struct ob_fail *f);
	/*
	 * The query parameters the route reads (strings, as a form's), or
	 * NULL: then the query is not checked here. With rows, a parameter
	 * the table does not name is refused (parameter_unknown).
	 */
	const struct ob_field *query;
	size_t nquery;
	unsigned flags;		/* OB_FIELDS_STRICT */
};

/* Table flags. */
#define OB_FIELDS_STRICT	0x1u	/* a form: undeclared names and malformed bodies refused */

/* A table from a static row array: OB_FIELDS_TABLE(OB_BODY_JSON, rows, NULL). */
#define OB_FIELDS_TABLE(body, rows, fail) \
	{ (body), (rows), sizeof(rows) / sizeof((rows)[0]), (fail), NULL, 0, 0 }

/* A console form's strict table: OB_FIELDS_FORM(rows, fail). */
#define OB_FIELDS_FORM(rows, fail) \
	{ OB_BODY_FORM, (rows), sizeof(rows) / sizeof((rows)[0]), (fail), NULL, 0, OB_FIELDS_STRICT }

/* A console form that takes no fields but its tokens (strict). */
#define OB_FIELDS_FORM_NONE(fail) \
	{ OB_BODY_FORM, NULL, 0, (fail), NULL, 0, OB_FIELDS_STRICT }

/* A table of query parameters only (a GET route): OB_FIELDS_QUERY(qrows, NULL). */
#define OB_FIELDS_QUERY(qrows, fail) \
	{ OB_BODY_NONE, NULL, 0, (fail), (qrows), sizeof(qrows) / sizeof((qrows)[0]), 0 }

/* The paging query parameters every list shares (ob_api_paging reads them). */
#define OB_FIELD_ROW_LIMIT(hi) \
	{ .name = "limit", .type = OB_FIELD_INT, .min = 1, .max = (hi), .code = "invalid_limit", \
	    .message = "limit must be an integer from {min} to {max}." }
#define OB_FIELD_ROW_CURSOR \
	{ .name = "starting_after", .type = OB_FIELD_ID, .code = "invalid_cursor", \
	    .message = "starting_after must be an id from a previous page." }

/** The query table of a plain list: limit (1 to 100) and starting_after. */
extern const struct ob_fields ob_h_api_list_fields;

/* A field's value once checked (one per row, kept on the request). */
struct ob_field_val {
	int present;
	int64_t i;		/* INT, ID; BOOL as 0 / 1 */
	const char *s;		/* STRING, ENUM; a form field's text */
	const cJSON *item;	/* the JSON value (JSON bodies) */
};

/**
 * Check that t is well formed: rows named, no name twice, bounds in order,
 * ENUM rows with values, OB_CHARS_SET with a set, OBJECT and LIST rows only
 * in JSON tables. Returns 0, or -1 with err set.
 */
int ob_fields_table_ok(const struct ob_fields *t, char *err, size_t errlen);

/**
 * Check r's body and query against t and keep the values on r (r->ftab,
 * r->fvals). Returns 0 when every field passed; -1 after answering a
 * refusal (415 or 400 for a JSON body that is not one object of UTF-8
 * strings, see ob_api_body; 400 for a body sent to a table of none; 400
 * through t->fail or ob_api_fail for a field or an unknown member), or
 * when t->fail could not answer.
 */
int ob_fields_check(struct ob_req *r, const struct ob_fields *t);

/**
 * The checking alone, for a body already at hand (a JSON table reads
 * r->json, NULL being an empty body): keep the values on r and return 0,
 * or -1 with f set for the first unknown member or query parameter, else
 * the first field (in table order, body rows then query rows) that did
 * not pass. Answers nothing.
 */
int ob_fields_validate(struct ob_req *r, const struct ob_fields *t, struct ob_fail *f);

/*
 * The checked values, by the field's name. A name the route's table does
 * not declare is a programming error: it reads as absent, and the
 * sanitizer build (OB_STRICT_COLUMNS) aborts.
 */

/** True if the field was sent (and passed). */
int ob_field_has(const struct ob_req *r, const char *name);

/** An INT, ID or BOOL field's value, or dflt when absent. */
int64_t ob_field_i64(const struct ob_req *r, const char *name, int64_t dflt);

/** A BOOL field: 1 or 0, or dflt when absent. */
int ob_field_bool(const struct ob_req *r, const char *name, int dflt);

/** A STRING or ENUM field's text (a form field of any type: its text), or NULL when absent. */
const char *ob_field_str(const struct ob_req *r, const char *name);

/** A JSON field's value (an OBJECT or LIST, or any type), or NULL when absent. */
const cJSON *ob_field_json(const struct ob_req *r, const char *name);

#endif
