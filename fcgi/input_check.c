/*
 * The request-level input check (input.h): bytes that are not UTF-8, NUL
 * bytes and malformed encodings are refused before any handler or the
 * database sees them.
 */
#include "fcgi/input.h"

#include <ctype.h>
#include <string.h>

#include "base/utf8.h"
#include "fcgi/ctx.h"

/* A header's CGI name as people write it: HTTP_IDEMPOTENCY_KEY -> Idempotency-Key. */
static const char *
header_name(struct ob_req *r, const char *cgi, size_t len)
{
	char *out = ob_arena_alloc(r->a, len + 1);
	size_t i;
	int start = 1;

	for (i = 0; i < len; i++) {
		if (cgi[i] == '_') {
			out[i] = '-';
			start = 1;
		} else {
			out[i] = (char)(start ? toupper((unsigned char)cgi[i]) :
			    tolower((unsigned char)cgi[i]));
			start = 0;
		}
	}
	out[len] = '\0';
	return out;
}

static int
refuse_utf8(struct ob_req *r, const char *where, const char *param)
{
	ob_worker_error(r, 400, "invalid_request_error", "invalid_utf8",
	    ob_arena_printf(r->a, "%s%s%s is not valid UTF-8 text (or holds a NUL byte).",
	    where, param != NULL ? " " : "", param != NULL ? param : ""), param);
	return -1;
}

/*
 * Every header value (and the Content-Type) is UTF-8. Not the Cookie
 * header: a browser sends every cookie of the host, ours or not, so a
 * stray one must not lock anybody out; ob_cookie_get checks the values we
 * read.
 */
static int
check_headers(struct ob_req *r)
{
	char **e;
	const char *eq;

	for (e = r->fr != NULL ? r->fr->envp : NULL; e != NULL && *e != NULL; e++) {
		if ((strncmp(*e, "HTTP_", 5) != 0 && strncmp(*e, "CONTENT_TYPE=", 13) != 0) ||
		    strncmp(*e, "HTTP_COOKIE=", 12) == 0)
			continue;
		if ((eq = strchr(*e, '=')) == NULL || ob_utf8_valid_str(eq + 1))
			continue;
		return refuse_utf8(r, "The header", strncmp(*e, "HTTP_", 5) == 0 ?
		    header_name(r, *e + 5, (size_t)(eq - *e - 5)) : "Content-Type");
	}
	return 0;
}

/* The pairs of a query string or form: 0, or -1 after answering. */
static int
check_pairs(struct ob_req *r, int n, const char *const *names, const char *const *values,
    const char *what)
{
	int i;

	if (n < 0) {
		ob_worker_error(r, 400, "invalid_request_error",
		    strcmp(what, "query") == 0 ? "invalid_query" : "invalid_form",
		    ob_arena_printf(r->a, "The %s is malformed: a bad %%-escape, a NUL byte "
		    "or too many fields.", what), NULL);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!ob_utf8_valid_str(names[i]))
			return refuse_utf8(r, "A parameter name", NULL);
		if (!ob_utf8_valid_str(values[i]))
			return refuse_utf8(r, "The parameter", names[i]);
	}
	return 0;
}

int
ob_input_check(struct ob_req *r)
{
	const char *const *names, *const *values;
	int n;

	if (!ob_utf8_valid_str(r->path))
		return refuse_utf8(r, "The path", NULL);
	if (check_headers(r) != 0)
		return -1;
	n = ob_query_all(r, &names, &values);
	if (check_pairs(r, n, names, values, "query") != 0)
		return -1;
	if (!ob_req_is_form(r))
		return 0;
	n = memchr(r->body, '\0', r->body_len) != NULL ? -1 : ob_form_all(r, &names, &values);
	return check_pairs(r, n, names, values, "form");
}
