/*
 * The SSO client reaches only public https providers (docs/SSO.md
 * "Reaching the provider"): an issuer whose address is internal is refused
 * when connecting, whatever its name or scheme says. The test stack sets
 * ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK=1 for its loopback provider; every
 * other internal address stays refused.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "integration/harness.h"
#include "integration/sso_fixture.h"
#include "unit/unit.h"

/* Whether app.log has a line holding both a and b (waits a moment). */
static int
app_log_has(const char *a, const char *b)
{
	char path[2048], line[8192];
	FILE *f;
	int found = 0, tries;

	snprintf(path, sizeof(path), "%s/logs/app.log", t_env("OB_TEST_RUN_DIR"));
	for (tries = 0; tries < 20 && !found; tries++) {
		if ((f = fopen(path, "r")) == NULL)
			return 0;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, a) && strstr(line, b))
				found = 1;
		fclose(f);
		if (!found)
			t_sleep_ms(100);
	}
	return found;
}

START_TEST(sso_issuer_at_an_internal_address_is_refused)
{
	static const char *internal[] = { "https://169.254.169.254", "https://10.0.0.1",
		"https://192.168.1.1:8443", "https://[fd00::1]" };
	struct sso_org o;
	struct sso_flow fl;
	struct t_resp r;
	char url[2048], dom[160], want[64];
	const char *slug;
	size_t i;

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	slug = t_sql_valuef("SELECT slug FROM organizations WHERE id = %ld", o.id);
	snprintf(dom, sizeof(dom), "\"%s\"", o.domain);
	/* Plain http is refused for anything but loopback, even on a test stack. */
	ck_assert_int_eq(sso_put(&o, "http://169.254.169.254", "orgbill-rs", dom, 0, &r), 400);
	t_resp_free(&r);
	snprintf(want, sizeof(want), "org %ld:", o.id);
	for (i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
		ck_assert_int_eq(sso_put(&o, internal[i], "orgbill-rs", dom, 0, &r), 200);
		t_resp_free(&r);
		sso_flow_start(slug, &fl, url, sizeof(url));
		ck_assert_msg(fl.start_status == 502, "%s: %ld", internal[i], fl.start_status);
		ck_assert_msg(app_log_has(want, "address is not allowed"),
		    "%s: not refused at connect time", internal[i]);
	}
}
END_TEST

START_TEST(sso_failing_provider_is_not_asked_again_for_a_minute)
{
	struct sso_org o;
	struct sso_flow fl;
	struct t_resp r;
	char url[2048], dom[160], want[64];
	const char *slug;
	int i;

	/* Nothing listens on port 1: every discovery fails. */
	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	snprintf(dom, sizeof(dom), "\"%s\"", o.domain);
	ck_assert_int_eq(sso_put(&o, "http://127.0.0.1:1", "orgbill-rs", dom, 0, &r), 200);
	t_resp_free(&r);
	slug = t_sql_valuef("SELECT slug FROM organizations WHERE id = %ld", o.id);
	snprintf(want, sizeof(want), "org %ld:", o.id);
	/* More sign-ins than workers: some worker sees the issuer twice and
	 * answers from its memory of the failure. */
	for (i = 0; i < 12; i++) {
		sso_flow_start(slug, &fl, url, sizeof(url));
		ck_assert_int_eq(fl.start_status, 502);
	}
	ck_assert_msg(app_log_has(want, "not asked again yet"),
	    "a failing provider was asked again within the minute");
}
END_TEST

Suite *sso_net_suite(void)
{
	return t_suite("sso_net", 120, T_TESTS(sso_issuer_at_an_internal_address_is_refused,
	    sso_failing_provider_is_not_asked_again_for_a_minute));
}
