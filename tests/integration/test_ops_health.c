/*
 * /admin/api/health and /admin/health over the real stack: a failed
 * webhook event an hour old and a failed e-mail show in the figures, with
 * the database's size and connections, the version and the schema.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "unit/unit.h"

START_TEST(health_figures)
{
	struct t_session staff;
	struct t_resp r;
	cJSON *d, *o;

	t_sql("INSERT INTO webhook_events (id, type, created, payload, status, attempts, last_error,"
	    " received_at, next_attempt_at) VALUES ('evt_opshealth_old', 'invoice.paid', 1,"
	    " '\\x7b7d', 'failed', 3, 'boom', now() - interval '1 hour', now() + interval '1 day')"
	    " ON CONFLICT (id) DO UPDATE SET status = 'failed', received_at = now() - interval '1 hour'");
	t_sql("INSERT INTO outbox (kind, dedupe_key, to_addr, subject, body, status)"
	    " VALUES ('test', 'opshealth-failed', 'x@example.test', 's', 'b', 'failed')"
	    " ON CONFLICT (dedupe_key) DO NOTHING");
	t_session_new("staff@orgbill.test", &staff);
	ck_assert_int_eq(t_get_as(staff.cookie, NULL, "/admin/api/health", &r), 200);
	d = t_json(&r);
	ck_assert_str_eq(t_jstr(d, "object"), "health");
	ck_assert(strlen(t_jstr(d, "version")) > 0);
	o = cJSON_GetObjectItem(d, "webhooks");
	ck_assert_int_ge(t_jnum(o, "failed"), 1);
	ck_assert_int_ge(t_jnum(o, "pending"), 1);
	ck_assert_int_ge(t_jnum(o, "lag_seconds"), 3600);
	ck_assert_int_ge(t_jnum(cJSON_GetObjectItem(d, "outbox"), "failed"), 1);
	o = cJSON_GetObjectItem(d, "database");
	ck_assert_int_gt(t_jnum(o, "size_bytes"), 1000000);
	ck_assert_int_ge(t_jnum(o, "connections"), 1);
	ck_assert_int_ge(t_jnum(o, "max_connections"), t_jnum(o, "connections"));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "replication_lag_seconds")));
	o = cJSON_GetObjectItem(d, "schema");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(o, "current")));
	ck_assert_int_eq(t_jnum(o, "version"), 34);
	ck_assert_str_eq(t_jstr(cJSON_GetObjectItem(d, "worker"), "name"), "app");
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(d, "pools")), 1);
	cJSON_Delete(d);
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(staff.cookie, NULL, "/admin/health", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "id=\"webhooks-failed\""));
	t_resp_free(&r);
	t_sql("DELETE FROM webhook_events WHERE id = 'evt_opshealth_old'");
	t_sql("DELETE FROM outbox WHERE dedupe_key = 'opshealth-failed'");
}
END_TEST

Suite *ops_health_suite(void)
{
	return t_suite("ops_health", 60, T_TESTS(health_figures));
}
