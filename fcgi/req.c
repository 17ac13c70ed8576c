#include "fcgi/req.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

const char *
ob_req_param(struct ob_req *r, const char *name)
{
	return ob_arena_strdup(r->a, FCGX_GetParam(name, r->fr->envp));
}

void
ob_req_init(struct ob_req *r, FCGX_Request *fr, struct ob_arena *a,
    struct ob_worker *w)
{
	const char *cl, *q;
	char *end;
	long v;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->fr = fr;
	r->a = a;
	r->w = w;
	r->route = -1;
	r->status = 0;
	r->method = ob_req_param(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->uri = ob_req_param(r, "REQUEST_URI");
	if (r->uri == NULL)
		r->uri = "/";
	q = strchr(r->uri, '?');
	if (q != NULL) {
		r->path = ob_arena_strndup(a, r->uri, (size_t)(q - r->uri));
		r->query = q + 1;
	} else {
		r->path = r->uri;
		r->query = "";
	}
	r->request_id = ob_req_param(r, "REQUEST_ID");
	r->remote_addr = ob_req_param(r, "REMOTE_ADDR");
	r->content_type = ob_req_param(r, "CONTENT_TYPE");
	r->accept = ob_req_param(r, "HTTP_ACCEPT");
	r->content_length = -1;
	cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
	if (cl != NULL && *cl != '\0') {
		errno = 0;
		v = strtol(cl, &end, 10);
		/* -2 marks a malformed header; ob_req_read_body answers 400. */
		r->content_length = (errno || *end || v < 0) ? -2 : v;
	}
}

void
ob_req_clear(struct ob_req *r)
{
	ob_buf_free(&r->resp_headers);
	ob_buf_free(&r->resp_body);
	cJSON_Delete(r->json);
	r->json = NULL;
}

int
ob_req_read_body(struct ob_req *r, long limit)
{
	size_t want, got = 0;
	int n;

	if (r->body != NULL)
		return 0;
	if (r->content_length == -2) {
		ob_resp_error(r, 400, "invalid_request_error", "bad_content_length",
		    "The Content-Length header is not a number.", NULL);
		return -1;
	}
	if (r->content_length > limit) {
		ob_resp_error(r, 413, "invalid_request_error", "body_too_large",
		    "The request body is larger than the server accepts.", NULL);
		return -1;
	}
	want = r->content_length > 0 ? (size_t)r->content_length : 0;
	r->body = ob_arena_alloc(r->a, want + 1);
	while (got < want) {
		n = FCGX_GetStr(r->body + got, (int)(want - got), r->fr->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	r->body[got] = '\0';
	r->body_len = got;
	if (got < want) {
		ob_resp_error(r, 400, "invalid_request_error", "short_body",
		    "The request body is shorter than its Content-Length.", NULL);
		return -1;
	}
	return 0;
}

void
ob_resp_header(struct ob_req *r, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n") != NULL || strpbrk(value, "\r\n") != NULL)
		return;		/* never let a value split the header block */
	ob_buf_printf(&r->resp_headers, "%s: %s\r\n", name, value);
}

static void
resp_set(struct ob_req *r, int status, const char *type, const char *body,
    size_t len)
{
	r->status = status;
	r->resp_type = type;
	ob_buf_reset(&r->resp_body);
	ob_buf_append(&r->resp_body, body, len);
}

void
ob_resp_json(struct ob_req *r, int status, const char *json, size_t len)
{
	resp_set(r, status, "application/json", json, len);
}

void
ob_resp_error(struct ob_req *r, int status, const char *type,
    const char *code, const char *message, const char *param)
{
	struct ob_buf b = OB_BUF_INIT;

	ob_json_put_error(&b, type, code, message, param);
	ob_buf_putc(&b, '\n');
	ob_resp_json(r, status, b.data, b.len);
	ob_buf_free(&b);
}

void
ob_resp_html(struct ob_req *r, int status, const char *html, size_t len)
{
	resp_set(r, status, "text/html; charset=utf-8", html, len);
}

void
ob_resp_redirect(struct ob_req *r, int status, const char *location)
{
	resp_set(r, status, "text/plain; charset=utf-8", "", 0);
	ob_resp_header(r, "Location", location);
}

int
ob_req_is_api(const struct ob_req *r)
{
	return strncmp(r->path, "/api/", 5) == 0 || strncmp(r->path, "/admin/api/", 11) == 0;
}

void
ob_resp_send(struct ob_req *r)
{
	FCGX_Stream *out = r->fr->out;

	if (r->sent)
		return;
	r->sent = 1;
	if (r->status == 0)
		r->status = 500;
	FCGX_FPrintF(out, "Status: %d %s\r\n", r->status, status_text(r->status));
	FCGX_FPrintF(out, "Content-Type: %s\r\n",
	    r->resp_type ? r->resp_type : "text/plain; charset=utf-8");
	/* Dynamic answers are per-user: never cached by anyone. */
	FCGX_PutS("Cache-Control: no-store\r\n", out);
	if (r->request_id != NULL)
		FCGX_FPrintF(out, "X-Request-Id: %s\r\n", r->request_id);
	if (r->resp_headers.len > 0)
		FCGX_PutStr(r->resp_headers.data, (int)r->resp_headers.len, out);
	FCGX_PutS("\r\n", out);
	if (r->resp_body.len > 0 && strcmp(r->method, "HEAD") != 0)
		FCGX_PutStr(r->resp_body.data, (int)r->resp_body.len, out);
}
