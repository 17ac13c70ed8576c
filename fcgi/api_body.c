/*
 * ob_api_body: a JSON request body, parsed once and held to the rules
 * every API route shares: application/json, one JSON object and nothing
 * after it, every string (names and values, at any depth) well-formed
 * UTF-8 without NUL, whether raw or written as an escape ("\u0000").
 */
#include "fcgi/api.h"

#include <string.h>
#include <strings.h>

#include "base/utf8.h"

/* Stands in for an escaped NUL while parsing: a byte UTF-8 never holds. */
#define NUL_MARK '\xff'

/*
 * body (len bytes) copied into the arena with every "\u0000" escape
 * replaced by NUL_MARK; its new length into *outlen. Escapes are only read
 * inside strings, and any other escape is copied whole, so "\\u0000"
 * stays text.
 */
static const char *
mark_nul_escapes(struct ob_req *r, const char *body, size_t len, size_t *outlen)
{
	char *out = ob_arena_alloc(r->a, len + 1);
	size_t i, o = 0;
	int in_str = 0;

	for (i = 0; i < len; i++) {
		if (body[i] == '"')
			in_str = !in_str;
		if (in_str && body[i] == '\\' && len - i >= 6 && memcmp(body + i, "\\u0000", 6) == 0) {
			out[o++] = NUL_MARK;
			i += 5;
		} else if (in_str && body[i] == '\\' && i + 1 < len) {
			out[o++] = body[i++];
			out[o++] = body[i];
		} else {
			out[o++] = body[i];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/*
 * The first string in j (a name or a value, at any depth) that is not
 * UTF-8 or holds a NUL: 1 with *nul set (a NUL, not bad bytes) and *param
 * the top-level member it is in (NULL for a bad name), else 0.
 */
static int
bad_string(const cJSON *j, const char *top, int raw_ff, int *nul, const char **param)
{
	const cJSON *c;

	for (c = j->child; c != NULL; c = c->next) {
		const char *member = top != NULL ? top : c->string;

		if (c->string != NULL && !ob_utf8_valid_str(c->string)) {
			*nul = !raw_ff && strchr(c->string, NUL_MARK) != NULL;
			*param = top;
			return 1;
		}
		if (cJSON_IsString(c) && !ob_utf8_valid_str(c->valuestring)) {
			*nul = !raw_ff && strchr(c->valuestring, NUL_MARK) != NULL;
			*param = member;
			return 1;
		}
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && bad_string(c, member, raw_ff, nul, param))
			return 1;
	}
	return 0;
}

static cJSON *
refuse(struct ob_req *r, cJSON *j, const char *code, const char *message, const char *param)
{
	ob_resp_error(r, 400, "invalid_request_error", code, message, param);
	cJSON_Delete(j);	/* after: param may be one of its names */
	return NULL;
}

cJSON *
ob_api_body(struct ob_req *r)
{
	const char *body = r->body != NULL ? r->body : "", *text, *end = NULL, *param = NULL;
	size_t len = r->body != NULL ? r->body_len : 0, tlen;
	cJSON *j;
	int nul = 0;

	if (r->json != NULL)
		return r->json;
	if (r->content_type == NULL ||
	    strncasecmp(r->content_type, "application/json", 16) != 0) {
		ob_resp_error(r, 415, "invalid_request_error", "unsupported_media_type",
		    "Send the body as application/json.", NULL);
		return NULL;
	}
	if (memchr(body, '\0', len) != NULL)
		return refuse(r, NULL, "nul_byte", "The body holds a NUL byte.", NULL);
	text = mark_nul_escapes(r, body, len, &tlen);
	j = cJSON_ParseWithLengthOpts(text, tlen, &end, 0);
	if (j == NULL || !cJSON_IsObject(j))
		return refuse(r, j, "invalid_json", "The body is not a JSON object.", NULL);
	while (end != NULL && end < text + tlen && strchr(" \t\r\n", *end) != NULL && *end != '\0')
		end++;
	if (end == NULL || end < text + tlen)
		return refuse(r, j, "invalid_json",
		    "The body has text after its JSON object; send one object only.", NULL);
	if (bad_string(j, NULL, memchr(body, (unsigned char)NUL_MARK, len) != NULL, &nul, &param))
		return refuse(r, j, nul ? "nul_byte" : "invalid_utf8", ob_arena_printf(r->a,
		    "%s %s.", param != NULL ? param : "A member name",
		    nul ? "holds a NUL character (\\u0000)" : "is not valid UTF-8 text"), param);
	r->json = j;
	return j;
}
