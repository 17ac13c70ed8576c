/*
 * Field tables (fcgi/fields.h): each type at its bounds, required and
 * absent fields, the error each refusal names, JSON bodies and form
 * strings, and the app's real tables.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/routes.h"

static struct ob_arena *arena;

/* A POST request to path with body of content type ctype (NULL: none). */
static struct ob_req *
req(const char *path, const char *ctype, const char *body)
{
	struct ob_req *r = ob_arena_calloc(arena, sizeof(*r));

	r->a = arena;
	r->method = "POST";
	r->path = path;
	r->pattern = path;
	r->route = -1;
	r->content_type = ctype;
	r->content_length = body != NULL ? (long)strlen(body) : -1;
	r->body = body != NULL ? ob_arena_strdup(arena, body) : NULL;
	r->body_len = body != NULL ? strlen(body) : 0;
	return r;
}

static void
setup(void)
{
	arena = ob_arena_new();
}

static void
teardown(void)
{
	ob_arena_free(arena);
	arena = NULL;
}

/* Validate a JSON body against t: 0, or -1 with f. */
static int
json_check(const struct ob_fields *t, const char *json, struct ob_fail *f, struct ob_req **out)
{
	struct ob_req *r = req("/api/v1/t", "application/json", json);
	int rc;

	memset(f, 0, sizeof(*f));
	r->json = cJSON_Parse(json);
	ck_assert_ptr_nonnull(r->json);
	rc = ob_fields_validate(r, t, f);
	if (out != NULL) {
		*out = r;
		return rc;
	}
	ob_req_clear(r);
	return rc;
}

/* The refusal f names code and param. */
static void
refused(const struct ob_fail *f, const char *code, const char *param)
{
	ck_assert_int_eq(f->kind, OB_FAIL_INVALID);
	ck_assert_str_eq(f->code, code);
	ck_assert_str_eq(f->param, param);
}

static const char *const colours[] = { "red", "green", NULL };

static int
even_length(const char *s)
{
	return strlen(s) % 2 == 0;
}

static const struct ob_field rows[] = {
	{ .name = "n", .type = OB_FIELD_INT, .min = -5, .max = 10 },
	{ .name = "big", .type = OB_FIELD_INT, .min = 0, .max = INT64_MAX },
	{ .name = "id", .type = OB_FIELD_ID },
	{ .name = "s", .type = OB_FIELD_STRING, .min = 2, .max = 4, .chars = OB_CHARS_TEXT },
	{ .name = "lines", .type = OB_FIELD_STRING, .chars = OB_CHARS_LINES },
	{ .name = "code", .type = OB_FIELD_STRING, .chars = OB_CHARS_SET, .set = "abc", .ok = even_length,
	    .code = "bad_code", .message = "code is pairs of a, b, c." },
	{ .name = "flag", .type = OB_FIELD_BOOL },
	{ .name = "colour", .type = OB_FIELD_ENUM, .allowed = colours },
	{ .name = "meta", .type = OB_FIELD_OBJECT, .max = 20 },
	{ .name = "ids", .type = OB_FIELD_LIST, .min = 1, .max = 2 },
	{ .name = "users", .type = OB_FIELD_ABSENT, .code = "users_from_seats" },
};
static const struct ob_fields table = OB_FIELDS_TABLE(OB_BODY_JSON, rows, NULL);

static const struct ob_field req_rows[] = {
	{ .name = "a", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED },
	{ .name = "b", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED, .min = 1, .max = 9,
	    .missing = "b is needed ({min} to {max}).", .message = "b is from {min} to {max}." },
	{ .name = "c", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID,
	    .min = 0, .max = 3, .code = "invalid_c", .message = "c is from {min} to {max}." },
};
static const struct ob_fields req_table = OB_FIELDS_TABLE(OB_BODY_JSON, req_rows, NULL);

START_TEST(fields_required_and_absent)
{
	struct ob_fail f;
	struct ob_req *r;

	/* Table order: the first field that fails is the one named. */
	ck_assert_int_eq(json_check(&req_table, "{}", &f, NULL), -1);
	refused(&f, "parameter_missing", "a");
	ck_assert_str_eq(f.message, "a is required.");
	ck_assert_int_eq(json_check(&req_table, "{\"a\":\"x\"}", &f, NULL), -1);
	refused(&f, "parameter_missing", "b");
	ck_assert_str_eq(f.message, "b is needed (1 to 9).");
	/* null is absent. */
	ck_assert_int_eq(json_check(&req_table, "{\"a\":\"x\",\"b\":null}", &f, NULL), -1);
	refused(&f, "parameter_missing", "b");
	/* Absent but answered as invalid. */
	ck_assert_int_eq(json_check(&req_table, "{\"a\":\"x\",\"b\":2}", &f, NULL), -1);
	refused(&f, "invalid_c", "c");
	ck_assert_str_eq(f.message, "c is from 0 to 3.");
	ck_assert_int_eq(json_check(&req_table, "{\"a\":\"x\",\"b\":2,\"c\":4}", &f, NULL), -1);
	refused(&f, "invalid_c", "c");
	/* Wrong type: invalid, not missing. */
	ck_assert_int_eq(json_check(&req_table, "{\"a\":7,\"b\":2,\"c\":0}", &f, NULL), -1);
	refused(&f, "parameter_invalid", "a");
	ck_assert_str_eq(f.message, "a is not valid.");
	ck_assert_int_eq(json_check(&req_table, "{\"a\":\"x\",\"b\":\"two\",\"c\":0}", &f, NULL), -1);
	refused(&f, "parameter_invalid", "b");
	ck_assert_str_eq(f.message, "b is from 1 to 9.");
	/* A member the table does not name is refused, named (as Stripe does). */
	ck_assert_int_eq(json_check(&req_table, "{\"a\":\"\",\"b\":9,\"c\":0,\"zz\":[1]}", &f, NULL), -1);
	refused(&f, "parameter_unknown", "zz");
	/* All there. */
	ck_assert_int_eq(json_check(&req_table, "{\"a\":\"\",\"b\":9,\"c\":0}", &f, &r), 0);
	ck_assert_str_eq(ob_field_str(r, "a"), "");
	ck_assert_int_eq(ob_field_i64(r, "b", 0), 9);
	ck_assert(ob_field_has(r, "c"));
	ck_assert_int_eq(ob_field_i64(r, "c", 42), 0);
	ob_req_clear(r);
}
END_TEST

START_TEST(fields_integers)
{
	struct ob_fail f;
	struct ob_req *r;

	/* Both ends of the range, and one past each. */
	ck_assert_int_eq(json_check(&table, "{\"n\":-5}", &f, NULL), 0);
	ck_assert_int_eq(json_check(&table, "{\"n\":10}", &f, NULL), 0);
	ck_assert_int_eq(json_check(&table, "{\"n\":-6}", &f, NULL), -1);
	refused(&f, "parameter_invalid", "n");
	ck_assert_str_eq(f.message, "n must be an integer from -5 to 10.");
	ck_assert_int_eq(json_check(&table, "{\"n\":11}", &f, NULL), -1);
	refused(&f, "parameter_invalid", "n");
	/* A decimal string is an integer too; a fraction, an exponent's fraction,
	 * a boolean, a padded string are not. */
	ck_assert_int_eq(json_check(&table, "{\"n\":\"7\"}", &f, &r), 0);
	ck_assert_int_eq(ob_field_i64(r, "n", 0), 7);
	ob_req_clear(r);
	ck_assert_int_eq(json_check(&table, "{\"n\":1.5}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"n\":\"1.5\"}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"n\":2.5e-1}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"n\":true}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"n\":\" 7\"}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"n\":1e1}", &f, NULL), 0);
	/* 64-bit: past 2^31 as a number, past 2^53 as a string. */
	ck_assert_int_eq(json_check(&table, "{\"big\":3000000000}", &f, &r), 0);
	ck_assert(ob_field_i64(r, "big", 0) == 3000000000LL);
	ob_req_clear(r);
	ck_assert_int_eq(json_check(&table, "{\"big\":\"9007199254740993\"}", &f, &r), 0);
	ck_assert(ob_field_i64(r, "big", 0) == 9007199254740993LL);
	ob_req_clear(r);
	ck_assert_int_eq(json_check(&table, "{\"big\":\"9223372036854775808\"}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"big\":-1}", &f, NULL), -1);
	/* Ids: positive, numbers or strings. */
	ck_assert_int_eq(json_check(&table, "{\"id\":\"4294967296\"}", &f, &r), 0);
	ck_assert(ob_field_i64(r, "id", 0) == 4294967296LL);
	ob_req_clear(r);
	ck_assert_int_eq(json_check(&table, "{\"id\":12}", &f, NULL), 0);
	ck_assert_int_eq(json_check(&table, "{\"id\":0}", &f, NULL), -1);
	refused(&f, "parameter_invalid", "id");
	ck_assert_int_eq(json_check(&table, "{\"id\":\"x1\"}", &f, NULL), -1);
}
END_TEST

START_TEST(fields_strings)
{
	struct ob_fail f;
	struct ob_req *r;

	/* Length in bytes, both ends. */
	ck_assert_int_eq(json_check(&table, "{\"s\":\"ab\"}", &f, NULL), 0);
	ck_assert_int_eq(json_check(&table, "{\"s\":\"abcd\"}", &f, NULL), 0);
	ck_assert_int_eq(json_check(&table, "{\"s\":\"a\"}", &f, NULL), -1);
	refused(&f, "parameter_invalid", "s");
	ck_assert_int_eq(json_check(&table, "{\"s\":\"abcde\"}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"s\":\"\\u00e9\\u00e9\\u00e9\"}", &f, NULL), -1);
	/* Over-long by far. */
	{
		char body[5000];

		memset(body, 'x', sizeof(body));
		memcpy(body, "{\"s\":\"", 6);
		memcpy(body + sizeof(body) - 3, "\"}", 3);
		ck_assert_int_eq(json_check(&table, body, &f, NULL), -1);
		refused(&f, "parameter_invalid", "s");
	}
	/* Character classes. */
	ck_assert_int_eq(json_check(&table, "{\"s\":\"a\\tb\"}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"s\":\"a\\u007fb\"}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"lines\":\"one\\r\\ntwo\\tthree\"}", &f, NULL), 0);
	ck_assert_int_eq(json_check(&table, "{\"lines\":\"bell\\u0007\"}", &f, NULL), -1);
	refused(&f, "parameter_invalid", "lines");
	/* A set, then the row's own check; the row's code and message. */
	ck_assert_int_eq(json_check(&table, "{\"code\":\"abca\"}", &f, &r), 0);
	ck_assert_str_eq(ob_field_str(r, "code"), "abca");
	ob_req_clear(r);
	ck_assert_int_eq(json_check(&table, "{\"code\":\"abd\"}", &f, NULL), -1);
	refused(&f, "bad_code", "code");
	ck_assert_str_eq(f.message, "code is pairs of a, b, c.");
	ck_assert_int_eq(json_check(&table, "{\"code\":\"abc\"}", &f, NULL), -1);
	refused(&f, "bad_code", "code");
	/* Not a string. */
	ck_assert_int_eq(json_check(&table, "{\"s\":12}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"s\":[\"ab\"]}", &f, NULL), -1);
}
END_TEST

START_TEST(fields_booleans_enums_objects_lists)
{
	struct ob_fail f;
	struct ob_req *r;

	ck_assert_int_eq(json_check(&table, "{\"flag\":false,\"colour\":\"green\"}", &f, &r), 0);
	ck_assert(ob_field_has(r, "flag"));
	ck_assert_int_eq(ob_field_bool(r, "flag", 1), 0);
	ck_assert_str_eq(ob_field_str(r, "colour"), "green");
	ck_assert(!ob_field_has(r, "n"));
	ck_assert_int_eq(ob_field_i64(r, "n", 42), 42);
	ck_assert_ptr_null(ob_field_str(r, "s"));
	ob_req_clear(r);
	ck_assert_int_eq(json_check(&table, "{\"flag\":\"true\"}", &f, NULL), -1);
	refused(&f, "parameter_invalid", "flag");
	ck_assert_str_eq(f.message, "flag must be true or false.");
	ck_assert_int_eq(json_check(&table, "{\"flag\":1}", &f, NULL), -1);
	/* An enum: exact, case and all. */
	ck_assert_int_eq(json_check(&table, "{\"colour\":\"blue\"}", &f, NULL), -1);
	refused(&f, "parameter_invalid", "colour");
	ck_assert_int_eq(json_check(&table, "{\"colour\":\"Red\"}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"colour\":1}", &f, NULL), -1);
	/* An object, at most 20 bytes serialized. */
	ck_assert_int_eq(json_check(&table, "{\"meta\":{\"k\":\"v\"}}", &f, &r), 0);
	ck_assert(cJSON_IsObject(ob_field_json(r, "meta")));
	ob_req_clear(r);
	ck_assert_int_eq(json_check(&table, "{\"meta\":{\"k\":\"0123456789abcdef\"}}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"meta\":[1]}", &f, NULL), -1);
	refused(&f, "parameter_invalid", "meta");
	/* A list of 1 to 2 strings. */
	ck_assert_int_eq(json_check(&table, "{\"ids\":[\"1\",\"2\"]}", &f, &r), 0);
	ck_assert_int_eq(cJSON_GetArraySize(ob_field_json(r, "ids")), 2);
	ob_req_clear(r);
	ck_assert_int_eq(json_check(&table, "{\"ids\":[]}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"ids\":[\"1\",\"2\",\"3\"]}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"ids\":[1]}", &f, NULL), -1);
	ck_assert_int_eq(json_check(&table, "{\"ids\":\"1\"}", &f, NULL), -1);
	/* A field that may not be sent (null is not sent). */
	ck_assert_int_eq(json_check(&table, "{\"users\":null}", &f, NULL), 0);
	ck_assert_int_eq(json_check(&table, "{\"users\":3}", &f, NULL), -1);
	refused(&f, "users_from_seats", "users");
}
END_TEST

static const struct ob_field form_rows[] = {
	{ .name = "n", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED, .min = 1, .max = 100 },
	{ .name = "id", .type = OB_FIELD_ID },
	{ .name = "on", .type = OB_FIELD_BOOL },
	{ .name = "colour", .type = OB_FIELD_ENUM, .allowed = colours },
	{ .name = "note", .type = OB_FIELD_STRING, .max = 5 },
};
static int form_failed;

static int
form_fail(struct ob_req *r, const struct ob_fail *f)
{
	form_failed++;
	ob_resp_error(r, 409, "test", f->code, f->message, f->param);
	return 0;
}
static const struct ob_fields form_table = OB_FIELDS_TABLE(OB_BODY_FORM, form_rows, form_fail);

#define FORM "application/x-www-form-urlencoded"

START_TEST(fields_form_strings)
{
	struct ob_fail f = { 0 };
	struct ob_req *r;

	r = req("/t", FORM, "n=42&id=7&on=on&colour=red&note=a+b%21");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), 0);
	ck_assert_int_eq(ob_field_i64(r, "n", 0), 42);
	ck_assert_int_eq(ob_field_i64(r, "id", 0), 7);
	ck_assert_int_eq(ob_field_bool(r, "on", 0), 1);
	ck_assert_str_eq(ob_field_str(r, "note"), "a b!");
	/* Every form field reads as its text. */
	ck_assert_str_eq(ob_field_str(r, "n"), "42");
	/* Empty is absent; the last value of a repeated name counts. */
	r = req("/t", FORM, "n=5&id=&on=0&on=1&note=");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), 0);
	ck_assert(!ob_field_has(r, "id"));
	ck_assert(!ob_field_has(r, "note"));
	ck_assert_int_eq(ob_field_bool(r, "on", 0), 1);
	r = req("/t", FORM, "n=");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), -1);
	refused(&f, "parameter_missing", "n");
	/* Strings that are not the type. */
	r = req("/t", FORM, "n=101");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), -1);
	refused(&f, "parameter_invalid", "n");
	r = req("/t", FORM, "n=0");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), -1);
	r = req("/t", FORM, "n=1.5");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), -1);
	r = req("/t", FORM, "n=+3");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), -1);
	r = req("/t", FORM, "n=1&id=007");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), -1);
	refused(&f, "parameter_invalid", "id");
	r = req("/t", FORM, "n=1&on=yes");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), -1);
	refused(&f, "parameter_invalid", "on");
	r = req("/t", FORM, "n=1&colour=blue");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), -1);
	r = req("/t", FORM, "n=1&note=toolong");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), -1);
	refused(&f, "parameter_invalid", "note");
	/* A form table reads nothing from a body of another type. */
	r = req("/t", "application/json", "{\"n\":1}");
	ck_assert_int_eq(ob_fields_validate(r, &form_table, &f), -1);
	refused(&f, "parameter_missing", "n");
	/* Refused through the table's hook. */
	form_failed = 0;
	r = req("/t", FORM, "n=x");
	ck_assert_int_eq(ob_fields_check(r, &form_table), -1);
	ck_assert_int_eq(form_failed, 1);
	ck_assert_int_eq(r->status, 409);
	ob_req_clear(r);
}
END_TEST

static const struct ob_field opt_rows[] = {
	{ .name = "reason", .type = OB_FIELD_STRING, .max = 3 },
};
static const struct ob_fields opt_table = OB_FIELDS_TABLE(OB_BODY_JSON_OPTIONAL, opt_rows, NULL);

START_TEST(fields_check_answers)
{
	struct ob_req *r;

	/* A JSON table: the body must be a JSON object. */
	r = req("/api/v1/t", "text/plain", "{\"a\":\"x\"}");
	ck_assert_int_eq(ob_fields_check(r, &req_table), -1);
	ck_assert_int_eq(r->status, 415);
	ob_req_clear(r);
	r = req("/api/v1/t", "application/json", "[1]");
	ck_assert_int_eq(ob_fields_check(r, &req_table), -1);
	ck_assert_int_eq(r->status, 400);
	ck_assert_ptr_nonnull(strstr(r->resp_body.data, "\"code\":\"invalid_json\""));
	ob_req_clear(r);
	/* A field: the API's error envelope. */
	r = req("/api/v1/t", "application/json; charset=utf-8", "{\"a\":\"x\",\"b\":0,\"c\":1}");
	ck_assert_int_eq(ob_fields_check(r, &req_table), -1);
	ck_assert_int_eq(r->status, 400);
	ck_assert_ptr_nonnull(strstr(r->resp_body.data,
	    "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"parameter_invalid\""));
	ck_assert_ptr_nonnull(strstr(r->resp_body.data, "\"param\":\"b\""));
	ck_assert_ptr_nonnull(strstr(r->resp_body.data, "b is from 1 to 9."));
	ob_req_clear(r);
	/* Passed: nothing answered, the body kept for the handler. */
	r = req("/api/v1/t", "application/json", "{\"a\":\"x\",\"b\":1,\"c\":1}");
	ck_assert_int_eq(ob_fields_check(r, &req_table), 0);
	ck_assert_int_eq(r->status, 0);
	ck_assert_ptr_nonnull(r->json);
	ck_assert_ptr_eq(ob_api_body(r), r->json);
	ob_req_clear(r);
	ck_assert_ptr_null(r->json);
	/* An optional body: none is no fields; one is checked. */
	r = req("/api/v1/t", NULL, NULL);
	ck_assert_int_eq(ob_fields_check(r, &opt_table), 0);
	ck_assert_ptr_null(ob_field_str(r, "reason"));
	r = req("/api/v1/t", "application/json", "{\"reason\":\"long\"}");
	ck_assert_int_eq(ob_fields_check(r, &opt_table), -1);
	ck_assert_int_eq(r->status, 400);
	ob_req_clear(r);
	r = req("/api/v1/t", "text/plain", "why");
	ck_assert_int_eq(ob_fields_check(r, &opt_table), -1);
	ck_assert_int_eq(r->status, 415);
	ob_req_clear(r);
}
END_TEST

START_TEST(fields_table_ok_rejects_bad_tables)
{
	static const struct ob_field dup[] = {
		{ .name = "a", .type = OB_FIELD_STRING },
		{ .name = "a", .type = OB_FIELD_INT, .max = 1 },
	};
	static const struct ob_field order[] = {
		{ .name = "a", .type = OB_FIELD_INT, .min = 5, .max = 1 },
	};
	static const struct ob_field noenum[] = {
		{ .name = "a", .type = OB_FIELD_ENUM },
	};
	static const struct ob_field noset[] = {
		{ .name = "a", .type = OB_FIELD_STRING, .chars = OB_CHARS_SET },
	};
	static const struct ob_field formlist[] = {
		{ .name = "a", .type = OB_FIELD_LIST },
	};
	static const struct ob_field unnamed[] = {
		{ .type = OB_FIELD_STRING },
	};
	const struct ob_fields bad[] = {
		OB_FIELDS_TABLE(OB_BODY_JSON, dup, NULL),
		OB_FIELDS_TABLE(OB_BODY_JSON, order, NULL),
		OB_FIELDS_TABLE(OB_BODY_JSON, noenum, NULL),
		OB_FIELDS_TABLE(OB_BODY_JSON, noset, NULL),
		OB_FIELDS_TABLE(OB_BODY_FORM, formlist, NULL),
		OB_FIELDS_TABLE(OB_BODY_JSON, unnamed, NULL),
	};
	char err[200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ob_fields_table_ok(&bad[i], err, sizeof(err)) == -1, "table %zu passed", i);
	ck_assert_int_eq(ob_fields_table_ok(&table, err, sizeof(err)), 0);
	ck_assert_int_eq(ob_fields_table_ok(&form_table, err, sizeof(err)), 0);
}
END_TEST

/* The app's tables: well formed, JSON on /api/ (and /admin/api/) routes, forms elsewhere, never on GET. */
START_TEST(fields_app_tables)
{
	char err[200];
	size_t i;
	int n = 0;

	for (i = 0; i < ob_app_router.nroutes; i++) {
		const struct ob_route *ro = &ob_app_router.routes[i];
		const struct ob_fields *t = ob_app_fields[i];

		if (t == NULL)
			continue;
		n++;
		ck_assert_msg(ob_fields_table_ok(t, err, sizeof(err)) == 0, "%s %s: %s",
		    ro->method, ro->pattern, err);
		ck_assert_msg((strcmp(ro->method, "GET") == 0) == (t->body == OB_BODY_NONE),
		    "%s %s: a GET route's table is of query parameters only", ro->method, ro->pattern);
		if (t->body != OB_BODY_NONE)
			ck_assert_msg((t->body == OB_BODY_FORM) == (strncmp(ro->pattern, "/api/", 5) != 0 &&
			    strncmp(ro->pattern, "/admin/api/", 11) != 0),
			    "%s %s: the table's body does not fit the route", ro->method, ro->pattern);
	}
	ck_assert_int_gt(n, 0);
}
END_TEST

Suite *fields_suite(void)
{
	Suite *s = suite_create("fields");
	TCase *tc = tcase_create("fields");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fields_required_and_absent);
	tcase_add_test(tc, fields_integers);
	tcase_add_test(tc, fields_strings);
	tcase_add_test(tc, fields_booleans_enums_objects_lists);
	tcase_add_test(tc, fields_form_strings);
	tcase_add_test(tc, fields_check_answers);
	tcase_add_test(tc, fields_table_ok_rejects_bad_tables);
	tcase_add_test(tc, fields_app_tables);
	suite_add_tcase(s, tc);
	return s;
}
