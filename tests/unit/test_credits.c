/*
 * Credits input checks (no database): integers without floating point,
 * deduct and grant bodies, service names, bulk allocation lines, date
 * ranges and grouping.
 */
#include <check.h>
#include <string.h>

#include <cJSON.h>

#include "credits/credits.h"
#include "base/num.h"
#include "unit/unit.h"

static int
jint(const char *json, int64_t min, int64_t max, int64_t *out)
{
	cJSON *v = cJSON_Parse(json);
	int rc;

	ck_assert_ptr_nonnull(v);
	rc = ob_num_json(v, min, max, out);
	cJSON_Delete(v);
	return rc;
}

START_TEST(json_integers)
{
	int64_t v = 0;

	ck_assert_int_eq(jint("42", 1, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(jint("\"42\"", 1, 100, &v), 0);
	ck_assert_int_eq(jint("-1", -1, 100, &v), 0);
	ck_assert_int_eq(v, -1);
	ck_assert_int_eq(jint("1000000000000", 1, OB_CREDITS_AMOUNT_MAX, &v), 0);
	ck_assert_int_eq(v, OB_CREDITS_AMOUNT_MAX);
	/* Refused: fractions, exponents, out of range, wrong types. */
	ck_assert_int_eq(jint("1.5", 1, 100, &v), -1);
	ck_assert_int_eq(jint("1e3", 1, 10000, &v), 0);	/* printed as 1000 */
	ck_assert_int_eq(jint("1e20", 1, OB_CREDITS_AMOUNT_MAX, &v), -1);
	ck_assert_int_eq(jint("1000000000001", 1, OB_CREDITS_AMOUNT_MAX, &v), -1);
	ck_assert_int_eq(jint("0", 1, 100, &v), -1);
	ck_assert_int_eq(jint("101", 1, 100, &v), -1);
	ck_assert_int_eq(jint("\"12a\"", 1, 100, &v), -1);
	ck_assert_int_eq(jint("\"\"", 1, 100, &v), -1);
	ck_assert_int_eq(jint("\" 5\"", 1, 100, &v), -1);
	ck_assert_int_eq(jint("\"99999999999999999999\"", 1, INT64_MAX, &v), -1);
	ck_assert_int_eq(jint("true", 1, 100, &v), -1);
	ck_assert_int_eq(jint("null", 1, 100, &v), -1);
	ck_assert_int_eq(ob_num_json(NULL, 1, 100, &v), -1);
}
END_TEST

START_TEST(service_names)
{
	ck_assert(ob_credits_service_ok("chat"));
	ck_assert(ob_credits_service_ok("gpt-4.1:mini_v2"));
	ck_assert(ob_credits_service_ok("0day"));
	ck_assert(!ob_credits_service_ok(""));
	ck_assert(!ob_credits_service_ok("Chat"));
	ck_assert(!ob_credits_service_ok("-chat"));
	ck_assert(!ob_credits_service_ok("a b"));
	ck_assert(!ob_credits_service_ok("x<script>"));
	ck_assert(!ob_credits_service_ok(NULL));
	{
		char s[66];

		memset(s, 'a', 64);
		s[64] = '\0';
		ck_assert(ob_credits_service_ok(s));
		s[64] = 'a';
		s[65] = '\0';
		ck_assert(!ob_credits_service_ok(s));
	}
}
END_TEST

static int
deduct(const char *json, struct ob_credits_deduct_in *in, struct ob_fail *f)
{
	cJSON *b = cJSON_Parse(json);
	int rc;

	ck_assert_ptr_nonnull(b);
	memset(f, 0, sizeof(*f));
	rc = ob_credits_parse_deduct(b, in, f);
	/* Borrowed strings die with the body: check them before. */
	if (rc == 0 && in->service != NULL)
		ck_assert(ob_credits_service_ok(in->service));
	ob_credits_deduct_in_free(in);
	cJSON_Delete(b);
	return rc;
}

START_TEST(deduct_bodies)
{
	struct ob_credits_deduct_in in;
	struct ob_fail f;
	char big[5000];

	ck_assert_int_eq(deduct("{\"user_id\":\"7\",\"amount\":30,\"service\":\"chat\"}", &in, &f), 0);
	ck_assert_int_eq(in.user_id, 7);
	ck_assert_int_eq(in.amount, 30);
	ck_assert_int_eq(deduct("{\"user_id\":7,\"amount\":\"30\",\"service\":\"chat\",\"model\":\"m\","
	    "\"metadata\":{\"a\":[1,2]}}", &in, &f), 0);
	ck_assert_int_eq(deduct("{\"amount\":30,\"service\":\"chat\"}", &in, &f), -1);
	ck_assert_str_eq(f.param, "user_id");
	ck_assert_str_eq(f.code, "parameter_missing");
	ck_assert_int_eq(deduct("{\"user_id\":\"0\",\"amount\":30,\"service\":\"chat\"}", &in, &f), -1);
	ck_assert_str_eq(f.param, "user_id");
	ck_assert_int_eq(deduct("{\"user_id\":\"7\",\"amount\":0.5,\"service\":\"chat\"}", &in, &f), -1);
	ck_assert_str_eq(f.param, "amount");
	ck_assert_int_eq(f.kind, OB_FAIL_INVALID);
	ck_assert_int_eq(deduct("{\"user_id\":\"7\",\"amount\":-3,\"service\":\"chat\"}", &in, &f), -1);
	ck_assert_int_eq(deduct("{\"user_id\":\"7\",\"amount\":3}", &in, &f), -1);
	ck_assert_str_eq(f.param, "service");
	ck_assert_int_eq(deduct("{\"user_id\":\"7\",\"amount\":3,\"service\":5}", &in, &f), -1);
	ck_assert_int_eq(deduct("{\"user_id\":\"7\",\"amount\":3,\"service\":\"c\",\"model\":\"\"}", &in, &f), -1);
	ck_assert_str_eq(f.param, "model");
	ck_assert_int_eq(deduct("{\"user_id\":\"7\",\"amount\":3,\"service\":\"c\",\"model\":\"a\\nb\"}", &in, &f), -1);
	ck_assert_int_eq(deduct("{\"user_id\":\"7\",\"amount\":3,\"service\":\"c\",\"metadata\":[1]}", &in, &f), -1);
	ck_assert_str_eq(f.param, "metadata");
	snprintf(big, sizeof(big), "{\"user_id\":\"7\",\"amount\":3,\"service\":\"c\",\"metadata\":{\"x\":\"%4100d\"}}", 1);
	ck_assert_int_eq(deduct(big, &in, &f), -1);
	ck_assert_str_eq(f.param, "metadata");
}
END_TEST

START_TEST(grant_bodies)
{
	/* Refused bodies, and the parameter each is refused for. */
	static const struct {
		const char *body, *param;
	} refused[] = {
		{ "{\"amount\":500,\"source\":\"plan\"}", "source" },
		{ "{\"amount\":500,\"source\":\"manual\",\"expires_at\":\"tomorrow\"}", "expires_at" },
		{ "{\"amount\":500,\"source\":\"manual\",\"priority\":1001}", "priority" },
		{ "{\"source\":\"manual\"}", "amount" },
	};
	struct ob_credits_grant_in in;
	struct ob_fail f;
	cJSON *b;
	size_t i;

	b = cJSON_Parse("{\"amount\":500,\"source\":\"promo\",\"expires_at\":\"2030-01-31T00:00:00Z\","
	    "\"priority\":5,\"reason\":\"launch\"}");
	ck_assert_int_eq(ob_credits_parse_grant(b, &in, &f), 0);
	ck_assert_int_eq(in.amount, 500);
	ck_assert_str_eq(in.source, "promo");
	ck_assert_int_eq(in.priority, 5);
	cJSON_Delete(b);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		b = cJSON_Parse(refused[i].body);
		ck_assert_msg(ob_credits_parse_grant(b, &in, &f) == -1, "accepted %s", refused[i].body);
		ck_assert_str_eq(f.param, refused[i].param);
		cJSON_Delete(b);
	}
}
END_TEST

static int
line(const char *s, char *email, int64_t *limit)
{
	return ob_credits_bulk_line(s, strlen(s), email, 321, limit);
}

START_TEST(bulk_lines)
{
	char email[321];
	int64_t lim = -1;

	ck_assert_int_eq(line("member@acme.test, 5000", email, &lim), 1);
	ck_assert_str_eq(email, "member@acme.test");
	ck_assert_int_eq(lim, 5000);
	ck_assert_int_eq(line("  a@b.c ,0  \r", email, &lim), 1);
	ck_assert_str_eq(email, "a@b.c");
	ck_assert_int_eq(lim, 0);
	ck_assert_int_eq(line("", email, &lim), 0);
	ck_assert_int_eq(line("   \r", email, &lim), 0);
	ck_assert_int_eq(line("# comment", email, &lim), 0);
	ck_assert_int_eq(line("a@b.c 5000", email, &lim), -1);
	ck_assert_int_eq(line("a@b.c, -5", email, &lim), -1);
	ck_assert_int_eq(line("a@b.c, 1.5", email, &lim), -1);
	ck_assert_int_eq(line("a@b.c, ", email, &lim), -1);
	ck_assert_int_eq(line("nobody, 5", email, &lim), -1);
	ck_assert_int_eq(line("a@b.c, 99999999999999", email, &lim), -1);
}
END_TEST

START_TEST(ranges_and_groups)
{
	char from[11], to[11];
	struct ob_fail f;
	enum ob_credits_group g;

	ck_assert_int_eq(ob_credits_range("2026-01-01", "2026-01-31", from, to, &f), 0);
	ck_assert_str_eq(from, "2026-01-01");
	ck_assert_str_eq(to, "2026-01-31");
	ck_assert_int_eq(ob_credits_range("2024-02-29", "2024-03-01", from, to, &f), 0);
	ck_assert_int_eq(ob_credits_range("2025-02-29", "2025-03-01", from, to, &f), -1);
	ck_assert_str_eq(f.param, "from");
	ck_assert_int_eq(ob_credits_range("2026-02-01", "2026-01-01", from, to, &f), -1);
	ck_assert_int_eq(ob_credits_range("2025-01-01", "2026-01-02", from, to, &f), -1);
	ck_assert_int_eq(ob_credits_range("2025-01-02", "2026-01-02", from, to, &f), 0);
	ck_assert_int_eq(ob_credits_range("2026-1-1", NULL, from, to, &f), -1);
	ck_assert_int_eq(ob_credits_range(NULL, "2026-13-01", from, to, &f), -1);
	ck_assert_str_eq(f.param, "to");
	ck_assert_int_eq(ob_credits_range(NULL, "2026-03-01", from, to, &f), 0);
	ck_assert_str_eq(from, "2026-01-31");	/* 30 days ending on to */
	ck_assert_int_eq(ob_credits_range(NULL, NULL, from, to, &f), 0);
	ck_assert_int_eq(ob_credits_group_parse(NULL, &g), 0);
	ck_assert_int_eq(g, OB_CREDITS_BY_DAY);
	ck_assert_int_eq(ob_credits_group_parse("user", &g), 0);
	ck_assert_int_eq(g, OB_CREDITS_BY_USER);
	ck_assert_int_eq(ob_credits_group_parse("service", &g), 0);
	ck_assert_int_eq(ob_credits_group_parse("month", &g), -1);
}
END_TEST

Suite *
credits_suite(void)
{
	return t_suite("credits", 0, T_TESTS(json_integers, service_names, deduct_bodies,
	    grant_bodies, bulk_lines, ranges_and_groups));
}
