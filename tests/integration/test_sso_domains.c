/*
 * E-mail domains an owner lists are requests until the operator verifies
 * them (docs/SSO.md "Domains"): an unverified domain routes nobody to the
 * org's provider and admits no just-in-time account; a verified domain is
 * one org's at most (the database's primary key).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/sso_fixture.h"
#include "unit/unit.h"

START_TEST(sso_owner_domains_wait_for_the_operator)
{
	struct sso_org squat, victim;
	struct sso_flow fl;
	struct t_resp r;
	char dom[256], url[2048], email[160], args[256], path[96];
	const char *slug;

	sso_org_new(&victim, sso_issuer(), "orgbill-es", 0);
	sso_org_new(&squat, sso_issuer(), "orgbill-rs", 0);
	/* A squatter lists a domain that is not hers (another, still unverified). */
	snprintf(dom, sizeof(dom), "\"%s\",\"corp-%ld.test\"", squat.domain, squat.id);
	ck_assert_int_eq(sso_put(&squat, sso_issuer(), "orgbill-rs", dom, 0, &r), 200);
	t_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/sso", squat.id);
	ck_assert_int_eq(t_get_as(squat.owner.cookie, NULL, path, &r), 200);
	snprintf(dom, sizeof(dom), "\"verified_domains\":[\"%s\"]", squat.domain);
	ck_assert_msg(strstr(r.body.data, dom) != NULL, "%s", r.body.data);
	t_resp_free(&r);
	/* Nobody typing such an address is sent to her provider ... */
	snprintf(email, sizeof(email), "someone@corp-%ld.test", squat.id);
	sso_flow_start(email, &fl, url, sizeof(url));
	ck_assert_int_eq(fl.start_status, 404);
	/* ... and her provider's say-so on such an address makes no account. */
	sso_oidc_account("corp-someone", email, 1);
	slug = t_sql_valuef("SELECT slug FROM organizations WHERE id = %ld", squat.id);
	sso_flow_run(slug, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM users WHERE email = '%s'",
	    email), "0");
	/* Another org's verified domain: refused outright (409). */
	snprintf(dom, sizeof(dom), "\"%s\"", victim.domain);
	ck_assert_int_eq(sso_put(&squat, sso_issuer(), "orgbill-rs", dom, 0, &r), 409);
	ck_assert_ptr_nonnull(strstr(r.body.data, "domain_taken"));
	t_resp_free(&r);
	/* The operator verifies the corp domain for the squatter: now it routes. */
	snprintf(dom, sizeof(dom), "\"%s\",\"corp-%ld.test\"", squat.domain, squat.id);
	ck_assert_int_eq(sso_put(&squat, sso_issuer(), "orgbill-rs", dom, 0, &r), 200);
	t_resp_free(&r);
	snprintf(args, sizeof(args), "sso verify-domain --org %ld --domain corp-%ld.test",
	    squat.id, squat.id);
	ck_assert_int_eq(t_cli(args, NULL, NULL, 0), 0);
	sso_flow_start(email, &fl, url, sizeof(url));
	ck_assert_int_eq(fl.start_status, 200);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM audit_log WHERE org_id = %ld"
	    " AND action = 'org.sso_domain_verified'", squat.id), "2");
	/* The victim lists it too: the operator cannot verify it twice. */
	snprintf(dom, sizeof(dom), "\"%s\",\"corp-%ld.test\"", victim.domain, squat.id);
	ck_assert_int_eq(sso_put(&victim, sso_issuer(), "orgbill-es", dom, 0, &r), 409);
	t_resp_free(&r);
	snprintf(args, sizeof(args), "sso verify-domain --org %ld --domain corp-%ld.test",
	    victim.id, squat.id);
	ck_assert_int_ne(t_cli(args, NULL, NULL, 0), 0);
	/* Nor can the database hold one domain for two orgs. */
	ck_assert_str_eq(t_sql_value("SELECT count(*)::text FROM pg_index"
	    " WHERE indrelid = 'sso_verified_domains'::regclass AND indisunique"
	    " AND indnatts = 1"), "1");
	/* A domain dropped from the list loses its verification. */
	snprintf(dom, sizeof(dom), "\"%s\"", squat.domain);
	ck_assert_int_eq(sso_put(&squat, sso_issuer(), "orgbill-rs", dom, 0, &r), 200);
	t_resp_free(&r);
	sso_flow_start(email, &fl, url, sizeof(url));
	ck_assert_int_eq(fl.start_status, 404);
}
END_TEST

Suite *sso_domains_suite(void)
{
	return t_suite("sso_domains", 120, T_TESTS(sso_owner_domains_wait_for_the_operator));
}
