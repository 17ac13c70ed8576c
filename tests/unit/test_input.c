/*
 * The input layer: JSON bodies (ob_api_body: one object, nothing after it,
 * UTF-8 strings without NUL), unknown members and query parameters, dates
 * that exist, and the urlencoded parser. Expected answers written by hand.
 */
#include <check.h>
#include <string.h>

#include "base/arena.h"
#include "base/fail.h"
#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/input.h"

static struct ob_arena *arena;

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

/* A request to /api/v1/t with a body of len bytes as ctype, and a query. */
static struct ob_req *
req(const char *method, const char *ctype, const char *body, size_t len, const char *query)
{
	struct ob_req *r = ob_arena_calloc(arena, sizeof(*r));
	char *b = ob_arena_alloc(arena, len + 1);

	memcpy(b, body, len);
	b[len] = '\0';
	r->a = arena;
	r->method = method;
	r->path = r->pattern = "/api/v1/t";
	r->query = query;
	r->route = -1;
	r->content_type = ctype;
	r->content_length = (long)len;
	r->body = b;
	r->body_len = len;
	return r;
}

/* ob_api_body on a JSON body: the status answered (0: parsed). */
static int
body_status(const char *body, size_t len, const char **code, const char **param)
{
	static char c[64], p[64];
	struct ob_req *r = req("POST", "application/json", body, len, "");
	const char *s, *e;
	int st;

	ob_api_body(r);
	st = r->status;
	c[0] = p[0] = '\0';
	if (st != 0 && (s = strstr(r->resp_body.data, "\"code\":\"")) != NULL) {
		s += 8;
		e = strchr(s, '"');
		snprintf(c, sizeof(c), "%.*s", (int)(e - s), s);
	}
	if (st != 0 && (s = strstr(r->resp_body.data, "\"param\":\"")) != NULL) {
		s += 9;
		e = strchr(s, '"');
		snprintf(p, sizeof(p), "%.*s", (int)(e - s), s);
	}
	*code = c;
	*param = p;
	ob_req_clear(r);
	return st;
}

#define B(lit, code, param) body_status((lit), sizeof(lit) - 1, (code), (param))

START_TEST(input_json_one_object_only)
{
	const char *code, *param;

	ck_assert_int_eq(B("{\"allow_extra_tasks\":false}", &code, &param), 0);
	ck_assert_int_eq(B("  {\"a\":1}\r\n\t ", &code, &param), 0);
	ck_assert_int_eq(B("{\"allow_extra_tasks\":false} GARBAGE", &code, &param), 400);
	ck_assert_str_eq(code, "invalid_json");
	ck_assert_int_eq(B("{\"a\":1}{\"a\":2}", &code, &param), 400);
	ck_assert_str_eq(code, "invalid_json");
	ck_assert_int_eq(B("{\"a\":1}]", &code, &param), 400);
	ck_assert_int_eq(B("{\"a\":1", &code, &param), 400);
	ck_assert_int_eq(B("", &code, &param), 400);
	ck_assert_int_eq(B("null", &code, &param), 400);
	ck_assert_int_eq(B("\"text\"", &code, &param), 400);
}
END_TEST

START_TEST(input_json_nul_rejected_not_truncated)
{
	const char *code, *param;

	ck_assert_int_eq(B("{\"service\":\"abc\\u0000DROP\"}", &code, &param), 400);
	ck_assert_str_eq(code, "nul_byte");
	ck_assert_str_eq(param, "service");
	/* At any depth, named by its top-level member. */
	ck_assert_int_eq(B("{\"meta\":{\"k\":[\"ok\",\"\\u0000\"]}}", &code, &param), 400);
	ck_assert_str_eq(code, "nul_byte");
	ck_assert_str_eq(param, "meta");
	/* A raw NUL byte in the body. */
	ck_assert_int_eq(B("{\"a\":\"x\0y\"}", &code, &param), 400);
	ck_assert_str_eq(code, "nul_byte");
	/* An escaped backslash followed by u0000 is text, not a NUL. */
	ck_assert_int_eq(B("{\"a\":\"\\\\u0000\"}", &code, &param), 0);
	ck_assert_int_eq(B("{\"a\":\"\\u0041\\u00e9\"}", &code, &param), 0);
}
END_TEST

START_TEST(input_json_utf8_names_the_member)
{
	const char *code, *param;

	ck_assert_int_eq(B("{\"at_period_end\":true,\"reason\":\"caf\xe9\"}", &code, &param), 400);
	ck_assert_str_eq(code, "invalid_utf8");
	ck_assert_str_eq(param, "reason");
	ck_assert_int_eq(B("{\"email\":\"\xed\xa0\x80@x.test\"}", &code, &param), 400);
	ck_assert_str_eq(param, "email");
	ck_assert_int_eq(B("{\"name\":\"\xc0\xaf\"}", &code, &param), 400);
	ck_assert_int_eq(B("{\"name\":\"\xf4\x90\x80\x80\"}", &code, &param), 400);
	ck_assert_int_eq(B("{\"name\":\"\xe2\x82\"}", &code, &param), 400);
	/* A bad member name. */
	ck_assert_int_eq(B("{\"n\xff\":1}", &code, &param), 400);
	ck_assert_str_eq(code, "invalid_utf8");
	/* A lone surrogate escape is not text. */
	ck_assert_int_eq(B("{\"name\":\"\\ud800\"}", &code, &param), 400);
	ck_assert_int_eq(B("{\"name\":\"Z\xc3\xbcrich \xf0\x9f\x98\x80\"}", &code, &param), 0);
}
END_TEST

START_TEST(input_json_content_type)
{
	struct ob_req *r = req("POST", "text/plain", "{}", 2, "");

	ck_assert_ptr_null(ob_api_body(r));
	ck_assert_int_eq(r->status, 415);
	ck_assert_ptr_nonnull(strstr(r->resp_body.data, "\"code\":\"unsupported_media_type\""));
	ob_req_clear(r);
	r = req("POST", NULL, "{}", 2, "");
	ck_assert_ptr_null(ob_api_body(r));
	ck_assert_int_eq(r->status, 415);
	ob_req_clear(r);
}
END_TEST

static const char *const states[] = { "open", "paid", NULL };
static const struct ob_field q_rows[] = {
	{ .name = "status", .type = OB_FIELD_ENUM, .allowed = states, .code = "invalid_status" },
	{ .name = "from", .type = OB_FIELD_DATE },
	{ .name = "limit", .type = OB_FIELD_INT, .min = 1, .max = 100, .code = "invalid_limit" },
	{ .name = "starting_after", .type = OB_FIELD_ID, .code = "invalid_cursor" },
};
static const struct ob_fields q_table = OB_FIELDS_QUERY(q_rows, NULL);

/* Validate query against q_table: 0, or -1 with f. */
static int
query_check(const char *query, struct ob_fail *f, struct ob_req **out)
{
	struct ob_req *r = req("GET", NULL, "", 0, query);

	memset(f, 0, sizeof(*f));
	*out = r;
	return ob_fields_validate(r, &q_table, f);
}

START_TEST(input_query_rows)
{
	struct ob_fail f;
	struct ob_req *r;

	ck_assert_int_eq(query_check("status=paid&from=2024-02-29&limit=5&starting_after=12", &f, &r), 0);
	ck_assert_str_eq(ob_field_str(r, "status"), "paid");
	ck_assert_str_eq(ob_field_str(r, "from"), "2024-02-29");
	ck_assert_int_eq(ob_field_i64(r, "limit", 0), 5);
	ck_assert_int_eq(ob_field_i64(r, "starting_after", 0), 12);
	ck_assert_int_eq(query_check("", &f, &r), 0);
	ck_assert(!ob_field_has(r, "status"));
	ck_assert_int_eq(query_check("status=bogus", &f, &r), -1);
	ck_assert_str_eq(f.code, "invalid_status");
	ck_assert_str_eq(f.param, "status");
	ck_assert_int_eq(query_check("from=2024-02-30", &f, &r), -1);
	ck_assert_str_eq(f.code, "parameter_invalid");
	ck_assert_str_eq(f.param, "from");
	ck_assert_int_eq(query_check("from=2023-02-29", &f, &r), -1);
	ck_assert_int_eq(query_check("from=1900-02-29", &f, &r), -1);
	ck_assert_int_eq(query_check("from=2000-02-29", &f, &r), 0);
	ck_assert_int_eq(query_check("from=2024-04-31", &f, &r), -1);
	ck_assert_int_eq(query_check("from=2024-13-01", &f, &r), -1);
	ck_assert_int_eq(query_check("from=2024-1-01", &f, &r), -1);
	ck_assert_int_eq(query_check("from=2024-01-01T00:00:00Z", &f, &r), -1);
	ck_assert_int_eq(query_check("limit=0", &f, &r), -1);
	ck_assert_str_eq(f.code, "invalid_limit");
	ck_assert_int_eq(query_check("limit=-1", &f, &r), -1);
	ck_assert_int_eq(query_check("limit=1.5", &f, &r), -1);
	ck_assert_int_eq(query_check("limit=99999999999999999999", &f, &r), -1);
	ck_assert_int_eq(query_check("starting_after=abc", &f, &r), -1);
	ck_assert_str_eq(f.code, "invalid_cursor");
	ck_assert_str_eq(f.param, "starting_after");
	ck_assert_int_eq(query_check("starting_after=-3", &f, &r), -1);
	/* A parameter the route does not read. */
	ck_assert_int_eq(query_check("status=paid&colour=red", &f, &r), -1);
	ck_assert_str_eq(f.code, "parameter_unknown");
	ck_assert_str_eq(f.param, "colour");
}
END_TEST

START_TEST(input_form_parse_strict)
{
	const char *names[8], *values[8];

	ck_assert_int_eq(ob_form_parse(arena, "a=1&b=%C3%A9", 12, names, values, 8), 2);
	ck_assert_str_eq(values[1], "\xc3\xa9");
	ck_assert_int_eq(ob_form_parse(arena, "a=x%00y", 7, names, values, 8), -1);
	ck_assert_int_eq(ob_form_parse(arena, "a=%zz", 5, names, values, 8), -1);
	ck_assert_int_eq(ob_form_parse(arena, "a=%4", 4, names, values, 8), -1);
}
END_TEST

/* A data exception (SQLSTATE class 22) is the request's fault; other failures stay 503. */
START_TEST(input_sqlstate_class_22_is_invalid)
{
	struct ob_fail f;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ob_fail_db_state(&f, "stmt: invalid byte sequence", "22021"), -1);
	ck_assert_int_eq(f.kind, OB_FAIL_INVALID);
	ck_assert_str_eq(f.code, "invalid_request");
	ck_assert_ptr_null(strstr(f.message, "byte sequence"));	/* the database's words stay in the log */
	ck_assert_int_eq(ob_fail_db_state(&f, "stmt: date/time field value out of range", "22008"), -1);
	ck_assert_int_eq(f.kind, OB_FAIL_INVALID);
	ck_assert_int_eq(ob_fail_db_state(&f, "stmt: numeric value out of range", "22003"), -1);
	ck_assert_int_eq(f.kind, OB_FAIL_INVALID);
	ck_assert_int_eq(ob_fail_db_state(&f, "stmt: connection lost", "08006"), -1);
	ck_assert_int_eq(f.kind, OB_FAIL_DB);
	ck_assert_int_eq(ob_fail_db_state(&f, "stmt: check violation", "23514"), -1);
	ck_assert_int_eq(f.kind, OB_FAIL_DB);
	ck_assert_int_eq(ob_fail_db_state(&f, "no server", ""), -1);
	ck_assert_int_eq(f.kind, OB_FAIL_DB);
	ck_assert_int_eq(ob_fail_db_state(&f, "no server", NULL), -1);
	ck_assert_int_eq(f.kind, OB_FAIL_DB);
}
END_TEST

Suite *input_suite(void)
{
	Suite *s = suite_create("input");
	TCase *tc = tcase_create("input");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, input_json_one_object_only);
	tcase_add_test(tc, input_json_nul_rejected_not_truncated);
	tcase_add_test(tc, input_json_utf8_names_the_member);
	tcase_add_test(tc, input_json_content_type);
	tcase_add_test(tc, input_query_rows);
	tcase_add_test(tc, input_form_parse_strict);
	tcase_add_test(tc, input_sqlstate_class_22_is_invalid);
	suite_add_tcase(s, tc);
	return s;
}
