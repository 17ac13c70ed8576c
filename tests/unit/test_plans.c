/*
 * The plan catalogue's pure parts (core/plans.c) and the CSV parser of
 * bulk license changes (core/seats.c).
 */
#include <check.h>
#include <stdlib.h>

#include "billing/plans.h"
#include "billing/seats.h"
#include "unit/unit.h"

START_TEST(annual_is_ten_percent_off)
{
	/* Pro $49 → 4900 × 12 × 0.9 = 52920; Business $29 → 31320. */
	ck_assert_int_eq(ob_plans_annual_price(4900, 10), 52920);
	ck_assert_int_eq(ob_plans_annual_price(2900, 10), 31320);
	ck_assert_int_eq(ob_plans_annual_price(0, 10), 0);
	/* Rounded once, half away from zero: 1 × 12 × 90 / 100 = 10.8 → 11; 5 → 54. */
	ck_assert_int_eq(ob_plans_annual_price(1, 10), 11);
	ck_assert_int_eq(ob_plans_annual_price(5, 10), 54);
	/* 125 × 12 × 75 / 100 = 1125 exactly; 7 × 12 × 85 / 100 = 71.4 → 71. */
	ck_assert_int_eq(ob_plans_annual_price(125, 25), 1125);
	ck_assert_int_eq(ob_plans_annual_price(7, 15), 71);
	ck_assert_int_eq(ob_plans_annual_price(-1, 10), -1);
	ck_assert_int_eq(ob_plans_annual_price(100, 101), -1);
}
END_TEST

START_TEST(resources_and_cycles)
{
	struct ob_plan p = { .price_month = 4900, .price_year = 52920 };

	ck_assert_int_eq(ob_plans_resource_parse("agents"), OB_RES_AGENTS);
	ck_assert_int_eq(ob_plans_resource_parse("storage_mb"), OB_RES_STORAGE_MB);
	ck_assert_int_eq(ob_plans_resource_parse("nope"), -1);
	ck_assert_int_eq(ob_plans_resource_parse(NULL), -1);
	ck_assert_str_eq(ob_plans_resource_name(OB_RES_GATEWAYS), "gateways");
	ck_assert(ob_plans_cycle_ok("month") && ob_plans_cycle_ok("year"));
	ck_assert(!ob_plans_cycle_ok("week") && !ob_plans_cycle_ok(NULL));
	ck_assert_int_eq(ob_plans_price(&p, "month"), 4900);
	ck_assert_int_eq(ob_plans_price(&p, "year"), 52920);
	ck_assert_int_eq(ob_plans_price(&p, "day"), -1);
}
END_TEST

START_TEST(csv_rows_and_errors)
{
	struct ob_seat_row *rows = NULL;
	cJSON *errors = cJSON_CreateArray();
	int n;

	n = ob_seats_csv_parse("email,action\n a@x.test , assign\n\"b@x.test\",revoke\n"
	    "\nnot-an-email\nc@x.test,explode\nd@x.test\r\n", &rows, errors);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(rows[0].email, "a@x.test");
	ck_assert_int_eq(rows[0].assign, 1);
	ck_assert_int_eq(rows[0].line, 2);
	ck_assert_str_eq(rows[1].email, "b@x.test");
	ck_assert_int_eq(rows[1].assign, 0);
	ck_assert_str_eq(rows[2].email, "d@x.test");
	ck_assert_int_eq(rows[2].line, 7);
	ck_assert_int_eq(cJSON_GetArraySize(errors), 2);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(errors, 0), "line")->valuestring, "5");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(errors, 1), "code")->valuestring,
	    "invalid_action");
	free(rows);
	cJSON_Delete(errors);
}
END_TEST

START_TEST(csv_too_many_rows)
{
	struct ob_seat_row *rows = NULL;
	cJSON *errors = cJSON_CreateArray();
	char *big = malloc((OB_SEATS_ROWS_MAX + 1) * 16 + 1), *p = big;
	int i;

	for (i = 0; i <= OB_SEATS_ROWS_MAX; i++)
		p += sprintf(p, "u%d@x.test\n", i);
	ck_assert_int_eq(ob_seats_csv_parse(big, &rows, errors), -1);
	ck_assert_ptr_null(rows);
	free(big);
	cJSON_Delete(errors);
}
END_TEST

Suite *plans_suite(void)
{
	return t_suite("plans", 0, T_TESTS(annual_is_ten_percent_off,
	    resources_and_cycles, csv_rows_and_errors, csv_too_many_rows));
}
