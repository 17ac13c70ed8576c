/*
 * Console dates (fcgi/when.h) against hand-written expectations.
 */
#include <check.h>
#include <string.h>

#include <cJSON.h>

#include "fcgi/when.h"
#include "unit/unit.h"

START_TEST(when_formats_utc_times_and_days)
{
	char b[OB_WHEN_MAX];

	ck_assert_str_eq(ob_when_format(b, sizeof(b), "2026-12-28T20:24:21Z", 0), "Dec 28, 2026");
	ck_assert_str_eq(ob_when_format(b, sizeof(b), "2026-12-28T20:24:21Z", 1),
	    "Dec 28, 2026, 20:24 UTC");
	ck_assert_str_eq(ob_when_format(b, sizeof(b), "2027-01-05T09:03:00.123456Z", 1),
	    "Jan 5, 2027, 09:03 UTC");
	ck_assert_str_eq(ob_when_format(b, sizeof(b), "2026-10-31", 0), "Oct 31, 2026");
	ck_assert_str_eq(ob_when_format(b, sizeof(b), "2026-10-31", 1), "Oct 31, 2026 (UTC)");
	/* not a UTC time or day: left alone */
	ck_assert_ptr_null(ob_when_format(b, sizeof(b), "2026-12-28T20:24:21+02:00", 0));
	ck_assert_str_eq(b, "");
	ck_assert_ptr_null(ob_when_format(b, sizeof(b), "2026-13-01", 0));
	ck_assert_ptr_null(ob_when_format(b, sizeof(b), "2026-12-28 plus", 0));
	ck_assert_ptr_null(ob_when_format(b, sizeof(b), "inv_2026-12-28", 0));
	ck_assert_ptr_null(ob_when_format(b, sizeof(b), "12345", 0));
	ck_assert_ptr_null(ob_when_format(b, sizeof(b), NULL, 0));
}
END_TEST

START_TEST(when_relative_in_whole_utc_days)
{
	char b[OB_WHEN_MAX];
	/* 2026-11-29T01:00:00Z: 20786 days after 1970-01-01, plus an hour. */
	const long long now = 20786LL * 86400 + 3600;

	ck_assert_str_eq(ob_when_relative(b, sizeof(b), "2026-11-29T23:59:59Z", now), "today");
	ck_assert_str_eq(ob_when_relative(b, sizeof(b), "2026-11-30T00:00:00Z", now), "tomorrow");
	ck_assert_str_eq(ob_when_relative(b, sizeof(b), "2026-11-28", now), "yesterday");
	ck_assert_str_eq(ob_when_relative(b, sizeof(b), "2026-12-27T01:28:08Z", now), "in 28 days");
	ck_assert_str_eq(ob_when_relative(b, sizeof(b), "2026-11-27T01:28:08Z", now), "2 days ago");
	ck_assert_str_eq(ob_when_relative(b, sizeof(b), "2027-03-01", now), "in 92 days");
	ck_assert_str_eq(ob_when_relative(b, sizeof(b), "2024-02-29", now), "1004 days ago");
	ck_assert_ptr_null(ob_when_relative(b, sizeof(b), "soon", now));
	ck_assert_str_eq(b, "");
}
END_TEST

START_TEST(when_decorates_page_data)
{
	cJSON *d = cJSON_Parse("{\"end\":\"2026-12-28T20:24:21Z\",\"name\":\"Acme\","
	    "\"rows\":[{\"created_at\":\"2026-11-01T00:00:00Z\"}],"
	    "\"hero\":{\"period_end\":\"2026-10-31\",\"period_end_on\":\"kept\"}}");
	const cJSON *row, *hero;

	ob_when_decorate(d);
	ck_assert_str_eq(cJSON_GetObjectItem(d, "end_on")->valuestring, "Dec 28, 2026");
	ck_assert_str_eq(cJSON_GetObjectItem(d, "end_utc")->valuestring, "Dec 28, 2026, 20:24 UTC");
	ck_assert_ptr_null(cJSON_GetObjectItem(d, "name_on"));
	row = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "rows"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(row, "created_at_on")->valuestring, "Nov 1, 2026");
	hero = cJSON_GetObjectItem(d, "hero");
	ck_assert_str_eq(cJSON_GetObjectItem(hero, "period_end_on")->valuestring, "kept");
	ck_assert_str_eq(cJSON_GetObjectItem(hero, "period_end_utc")->valuestring, "Oct 31, 2026 (UTC)");
	cJSON_Delete(d);
}
END_TEST

Suite *when_suite(void)
{
	return t_suite("when", 0, T_TESTS(when_formats_utc_times_and_days, when_relative_in_whole_utc_days,
	    when_decorates_page_data));
}
