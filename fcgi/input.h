/*
 * Request inputs: URL-encoded forms and query strings, cookies, headers.
 * Parsed lazily into the request's arena; every size is bounded.
 */
#ifndef OB_INPUT_H
#define OB_INPUT_H

#include "fcgi/req.h"

#define OB_FORM_FIELDS_MAX	256
#define OB_COOKIE_MAX		4096

/**
 * The value of field name in the request's urlencoded body (only when the
 * Content-Type says so), or NULL. Decoded; a malformed body (a bad
 * %-escape, %00) has no fields (ob_input_check refuses it first).
 */
const char *ob_form_get(struct ob_req *r, const char *name);

/** The value of name in the query string, decoded, or NULL. */
const char *ob_query_get(struct ob_req *r, const char *name);

/** True if r's body is an urlencoded form (by its Content-Type). */
int ob_req_is_form(const struct ob_req *r);

/**
 * Every pair of the urlencoded body (none unless ob_req_is_form) into
 * names and values (the arena's, in order): their count, or -1 when the
 * body is malformed (then ob_form_get finds nothing).
 */
int ob_form_all(struct ob_req *r, const char *const **names, const char *const **values);

/** ob_form_all for the query string. */
int ob_query_all(struct ob_req *r, const char *const **names, const char *const **values);

/** The value of cookie name, or NULL (also when it is not UTF-8). */
const char *ob_cookie_get(struct ob_req *r, const char *name);

/** An HTTP request header by its CGI name ("HTTP_ORIGIN"), or NULL. */
const char *ob_header(struct ob_req *r, const char *cgi_name);

/**
 * Decode an application/x-www-form-urlencoded buffer into the arena:
 * fills names/values (at most max pairs) and returns how many, or -1 if
 * malformed (bad %-escape, embedded NUL, too many fields).
 */
int ob_form_parse(struct ob_arena *a, const char *s, size_t len,
    const char **names, const char **values, int max);

/**
 * The request-level input check, before routing: the path, every query
 * parameter, every header value but the cookies (ob_cookie_get checks the
 * ones read) and an urlencoded body's every field must
 * be well-formed UTF-8 without NUL bytes (base/utf8.h), and the query and
 * form well formed. Returns 0, or -1 after answering 400 (invalid_utf8
 * naming the parameter or header, or invalid_query / invalid_form). JSON
 * bodies are checked where they are parsed (ob_api_body).
 */
int ob_input_check(struct ob_req *r);

#endif
