/*
 * libFuzzer target: request bodies and query strings through the route
 * validators, with the app's own field tables (fcgi/routes.h): the input
 * check (fcgi/input_check.c), the JSON body rules (fcgi/api_body.c) and
 * the field checks (fcgi/fields.c), then every checked value read back.
 *
 * Input: one byte choosing the route (among those with a table), one byte
 * of flags (bit 0: a wrong Content-Type, bit 1: no Idempotency-Key), the
 * query string up to the first newline, then the body. A table with a
 * fail hook of its own (the console's forms, which render pages) is
 * checked with ob_fields_validate; the others with ob_fields_check, as the
 * worker does. A refusal must be a 4xx with a body (a validation failure
 * of kind invalid); what passed must be unanswered and hold to its row: an
 * INT within its range, an ID positive, a STRING within its bytes and
 * well-formed UTF-8, an ENUM one of its values.
 */
#include "fuzz_req.h"

#include "base/utf8.h"
#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/input.h"
#include "fcgi/routes.h"

static struct ob_arena *arena;
static size_t with_table[256];
static size_t ntables;

static void
find_tables(void)
{
	char err[256];
	size_t i;

	arena = ob_arena_new();
	for (i = 0; i < ob_app_router.nroutes && ntables < 256; i++) {
		if (ob_app_fields[i] == NULL)
			continue;
		if (ob_fields_table_ok(ob_app_fields[i], err, sizeof(err)) != 0)
			abort();
		with_table[ntables++] = i;
	}
}

static const char *
content_type(enum ob_fields_body body, int wrong)
{
	if (wrong)
		return "text/plain";
	switch (body) {
	case OB_BODY_JSON:
	case OB_BODY_JSON_OPTIONAL:
		return "application/json";
	case OB_BODY_FORM:
		return "application/x-www-form-urlencoded";
	default:
		return NULL;
	}
}

static int
enum_has(const char *const *allowed, const char *s)
{
	for (; allowed != NULL && *allowed != NULL; allowed++)
		if (strcmp(*allowed, s) == 0)
			return 1;
	return 0;
}

/* A row's checked value, read back: it must hold to the row. */
static void
check_value(const struct ob_req *r, const struct ob_field *row)
{
	const char *s;
	int64_t v;

	if (!ob_field_has(r, row->name))
		return;
	s = ob_field_str(r, row->name);
	(void)ob_field_json(r, row->name);
	switch (row->type) {
	case OB_FIELD_INT:
		v = ob_field_i64(r, row->name, 0);
		if (v < row->min || v > row->max)
			abort();
		break;
	case OB_FIELD_ID:
		if (ob_field_i64(r, row->name, 0) < 1)
			abort();
		break;
	case OB_FIELD_BOOL:
		v = ob_field_bool(r, row->name, 2);
		if (v != 0 && v != 1)
			abort();
		break;
	case OB_FIELD_STRING:
		if (s == NULL || !ob_utf8_valid_str(s) || (int64_t)strlen(s) < row->min ||
		    (row->max > 0 && (int64_t)strlen(s) > row->max))
			abort();
		break;
	case OB_FIELD_ENUM:
		if (s == NULL || !enum_has(row->allowed, s))
			abort();
		break;
	case OB_FIELD_ABSENT:
		abort();
	default:
		break;
	}
}

/* Malformed input is the client's fault: a 4xx, with an error body. */
static void
refused_4xx(const struct ob_req *r)
{
	if (r->status < 400 || r->status > 499 || r->resp_body.len == 0)
		abort();
}

static void
run(size_t route, unsigned flags, const char *query, const char *body, size_t blen)
{
	const struct ob_route *rt = &ob_app_router.routes[route];
	const struct ob_fields *t = ob_app_fields[route];
	struct ob_fail f = { 0 };
	struct fuzz_req fr;
	size_t i;
	int rc;

	fuzz_req_init(&fr, arena, rt->method, rt->pattern, query);
	fuzz_req_env(&fr, "HTTP_ORIGIN", "https://localhost");
	if (!(flags & 2))
		fuzz_req_env(&fr, "HTTP_IDEMPOTENCY_KEY", "fuzz-key");
	if (blen > 0 || t->body != OB_BODY_NONE)
		fuzz_req_body(&fr, content_type(t->body, flags & 1), body, blen);
	if (ob_input_check(&fr.r) != 0) {
		refused_4xx(&fr.r);
		goto out;
	}
	if (t->fail == NULL) {
		if ((rc = ob_fields_check(&fr.r, t)) != 0)
			refused_4xx(&fr.r);
	} else {
		if ((t->body == OB_BODY_JSON || (t->body == OB_BODY_JSON_OPTIONAL && blen > 0)) &&
		    ob_api_body(&fr.r) == NULL) {
			refused_4xx(&fr.r);
			goto out;
		}
		if ((rc = ob_fields_validate(&fr.r, t, &f)) != 0 && f.kind != OB_FAIL_INVALID)
			abort();
	}
	if (rc != 0)
		goto out;
	if (fr.r.status != 0)
		abort();	/* passed, yet answered */
	for (i = 0; i < t->n; i++)
		check_value(&fr.r, &t->rows[i]);
	for (i = 0; i < t->nquery; i++)
		check_value(&fr.r, &t->query[i]);
out:
	fuzz_req_end(&fr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *q;
	size_t left, qlen;
	char *query, *body;

	if (arena == NULL)
		find_tables();
	if (size < 2 || ntables == 0)
		return 0;
	p = (const char *)data + 2;
	left = size - 2;
	q = fuzz_part(&p, &left, '\n', &qlen);
	query = fuzz_strndup(q, qlen);
	body = fuzz_strndup(p, left);
	run(with_table[data[0] % ntables], data[1], query, body, left);
	free(query);
	free(body);
	return 0;
}
