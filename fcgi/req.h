/*
 * ob_req: one HTTP request as FastCGI hands it to us, and its response.
 *
 * Every string in here lives in the request's arena (FCGX_GetParam's
 * pointers die at the next accept, so they are copied), and everything is
 * released at once when the request ends.
 */
#ifndef OB_REQ_H
#define OB_REQ_H

#include <stddef.h>
#include <time.h>

#include <cJSON.h>
#include <fcgiapp.h>

#include "base/arena.h"
#include "identity/auth.h"
#include "base/buf.h"
#include "identity/principal.h"

#define OB_ROUTE_PARAMS_MAX	4

struct ob_worker;
struct ob_fields;
struct ob_field_val;

struct ob_req {
	FCGX_Request *fr;
	struct ob_arena *a;
	struct ob_worker *w;

	/* Request, from the FastCGI parameters. */
	const char *method;
	const char *uri;		/* REQUEST_URI as sent */
	const char *path;		/* without the query string */
	const char *query;		/* "" if none */
	const char *request_id;
	const char *remote_addr;
	const char *content_type;
	const char *accept;
	long content_length;		/* -1 when absent */
	char *body;			/* NUL-terminated; NULL until read */
	size_t body_len;

	void *form_cache;		/* input.c */
	void *query_cache;
	cJSON *json;			/* the body parsed (ob_api_body); freed by ob_req_clear */
	const struct ob_fields *ftab;	/* the route's field table, once checked (fields.h) */
	struct ob_field_val *fvals;	/* its values, one per row (arena) */

	/* Identity (fcgi/authz.c). */
	struct ob_principal who;
	int has_session;		/* who came from a session cookie */
	unsigned char session_raw[OB_TOKEN_BYTES];
	char csrf[OB_TOKEN_TEXT];	/* the session's CSRF token, for forms */

	/* Routing. */
	int route;			/* index into the router's table, -1 if none */
	const char *pattern;		/* the matched route's pattern */
	const char *params[OB_ROUTE_PARAMS_MAX];	/* {name} captures */
	int nparams;

	/* Response. */
	int status;
	const char *resp_type;		/* Content-Type */
	struct ob_buf resp_headers;	/* extra "Name: value\r\n" lines */
	struct ob_buf resp_body;
	int sent;

	struct timespec start;
};

/** Fill r from the accepted FastCGI request; no body is read yet. */
void ob_req_init(struct ob_req *r, FCGX_Request *fr, struct ob_arena *a,
    struct ob_worker *w);

/** Release the response buffers and the parsed body (the arena is reset by the caller). */
void ob_req_clear(struct ob_req *r);

/** A FastCGI parameter copied into the arena, or NULL. */
const char *ob_req_param(struct ob_req *r, const char *name);

/**
 * Read the whole body, at most limit bytes. Returns 0; or -1 after
 * answering 413 (declared larger than limit: nothing read) or 400 (a
 * malformed Content-Length or a body shorter than declared).
 */
int ob_req_read_body(struct ob_req *r, long limit);

/** Add a response header; name and value must not contain CR or LF. */
void ob_resp_header(struct ob_req *r, const char *name, const char *value);

/** Answer with a JSON body (already serialized). */
void ob_resp_json(struct ob_req *r, int status, const char *json, size_t len);

/**
 * Answer with the standard error shape
 * {"error":{"type","code","message","param"}}; param may be NULL.
 */
void ob_resp_error(struct ob_req *r, int status, const char *type,
    const char *code, const char *message, const char *param);

/** Answer with an HTML body. */
void ob_resp_html(struct ob_req *r, int status, const char *html, size_t len);

/** Answer with a redirect (303 See Other for form posts, 302 otherwise). */
void ob_resp_redirect(struct ob_req *r, int status, const char *location);

/** Write status, headers and body to nginx. Idempotent. */
void ob_resp_send(struct ob_req *r);

/** True if the path is an API path (/api/…, the staff console's /admin/api/…): errors are JSON there. */
int ob_req_is_api(const struct ob_req *r);

#endif
