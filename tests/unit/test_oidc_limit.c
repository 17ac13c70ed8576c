/*
 * Unit tests of the per-issuer clocks (core/identity/oidc_limit.c): a
 * failing provider is not asked again for 60 s, an unknown-kid refresh
 * happens at most once a minute per issuer, and asking about many other
 * issuers in between resets neither (expected answers from docs/SSO.md).
 */
#include <check.h>
#include <stdio.h>

#include "identity/oidc_limit.h"
#include "unit/unit.h"

#define T0 1000L

START_TEST(failures_are_remembered_for_a_minute)
{
	ob_oidc_limit_clear();
	ck_assert(!ob_oidc_limit_failing("https://a.example", T0));
	ob_oidc_limit_failed("https://a.example", T0);
	ck_assert(ob_oidc_limit_failing("https://a.example", T0));
	ck_assert(ob_oidc_limit_failing("https://a.example", T0 + 59));
	ck_assert(!ob_oidc_limit_failing("https://b.example", T0 + 1));
	ck_assert(!ob_oidc_limit_failing("https://a.example", T0 + 60));
}
END_TEST

START_TEST(refresh_once_a_minute_whatever_else_happens)
{
	char iss[64];
	int i;

	ob_oidc_limit_clear();
	ck_assert_int_eq(ob_oidc_limit_refresh("https://a.example", T0), 1);
	ck_assert_int_eq(ob_oidc_limit_refresh("https://a.example", T0 + 1), 0);
	/* Cycling through many more issuers than the JWKS cache holds (8). */
	for (i = 0; i < 40; i++) {
		snprintf(iss, sizeof(iss), "https://other-%d.example", i);
		ck_assert_int_eq(ob_oidc_limit_refresh(iss, T0 + 2), 1);
		ob_oidc_limit_failed(iss, T0 + 2);
	}
	ck_assert_int_eq(ob_oidc_limit_refresh("https://a.example", T0 + 30), 0);
	ck_assert_int_eq(ob_oidc_limit_refresh("https://a.example", T0 + 60), 1);
	/* Every entry busy: no refresh (fails closed), nothing evicted early. */
	ob_oidc_limit_clear();
	for (i = 0; i < OB_OIDC_LIMIT_SLOTS; i++) {
		snprintf(iss, sizeof(iss), "https://busy-%d.example", i);
		ck_assert_int_eq(ob_oidc_limit_refresh(iss, T0), 1);
	}
	ck_assert_int_eq(ob_oidc_limit_refresh("https://new.example", T0 + 1), 0);
	ck_assert_int_eq(ob_oidc_limit_refresh("https://busy-0.example", T0 + 1), 0);
	ck_assert_int_eq(ob_oidc_limit_refresh("https://new.example", T0 + 60), 1);
	ob_oidc_limit_clear();
}
END_TEST

Suite *oidc_limit_suite(void)
{
	return t_suite("oidc_limit", 30, T_TESTS(failures_are_remembered_for_a_minute,
	    refresh_once_a_minute_whatever_else_happens));
}
