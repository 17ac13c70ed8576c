/*
 * The console's error pages (docs/CONSOLE.md, "Error pages") render with
 * the session when there is one — user menu, org switcher, the navigation
 * the policy allows — and a way back; an anonymous visitor is offered
 * sign-in. The navigation of the console's pages follows the policy too.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "integration/harness.h"
#include "unit/unit.h"

static int
has(const struct t_resp *r, const char *needle)
{
	return r->body.data != NULL && strstr(r->body.data, needle) != NULL;
}

/* A nav link to href in the page (the navigation's own markup). */
static int
nav_has(const struct t_resp *r, const char *href)
{
	char needle[96];
	const char *nav = r->body.data != NULL ? strstr(r->body.data, "<nav class=\"sidenav\"") : NULL;
	const char *end = nav != NULL ? strstr(nav, "</nav>") : NULL;
	const char *hit;

	snprintf(needle, sizeof(needle), "<a href=\"%s\"", href);
	hit = nav != NULL ? strstr(nav, needle) : NULL;
	return hit != NULL && hit < end;
}

START_TEST(not_found_with_a_session)
{
	struct t_session s;
	struct t_resp r;

	t_reset_rate_limits();
	t_session_new("owner@acme.test", &s);
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/no-such-page", &r), 404);
	ck_assert(has(&r, "404 · No such page or resource."));
	ck_assert(has(&r, "Olivia Owner · owner"));		/* the user menu */
	ck_assert(has(&r, "action=\"/logout\""));
	ck_assert(has(&r, "id=\"org-switch\""));		/* the org switcher */
	ck_assert(has(&r, ">Globex Inc.</option>"));
	ck_assert(nav_has(&r, "/subscription"));
	ck_assert(nav_has(&r, "/api-keys"));
	ck_assert(!nav_has(&r, "/admin"));
	ck_assert(has(&r, "<a href=\"/\">Back to the overview</a>"));
	ck_assert(!has(&r, "href=\"/login"));
	t_resp_free(&r);

	/* A wrong method (405) is the same frame. */
	ck_assert_int_eq(t_call(s.cookie, NULL, "PUT", "/members", "", "text/plain", NULL, &r), 405);
	ck_assert(has(&r, "Olivia Owner · owner"));
	t_resp_free(&r);
}
END_TEST

START_TEST(forbidden_shows_the_member_only_their_links)
{
	struct t_session s;
	struct t_resp r;
	char ref[256];

	t_reset_rate_limits();
	t_session_new("member@acme.test", &s);
	snprintf(ref, sizeof(ref), "Referer: %s/credits", t_env("OB_TEST_BASE_URL"));
	ck_assert_int_eq(t_call(s.cookie, NULL, "GET", "/invoices", NULL, NULL,
	    (const char *[]){ ref, NULL }, &r), 403);
	ck_assert(has(&r, "403 · You do not have permission to do this."));
	ck_assert(has(&r, "Max Member · member"));
	ck_assert(nav_has(&r, "/"));
	ck_assert(nav_has(&r, "/credits"));
	ck_assert(nav_has(&r, "/members"));
	ck_assert(!nav_has(&r, "/invoices"));
	ck_assert(!nav_has(&r, "/subscription"));
	ck_assert(!nav_has(&r, "/api-keys"));
	ck_assert(!nav_has(&r, "/activity"));
	/* The way back: the previous page (our own Referer) and the overview. */
	ck_assert(has(&r, "<a href=\"/credits\" rel=\"prev\">Back to the previous page</a>"));
	ck_assert(has(&r, "Back to the overview"));
	t_resp_free(&r);

	/* Another site's Referer is not offered as a way back. */
	ck_assert_int_eq(t_call(s.cookie, NULL, "GET", "/invoices", NULL, NULL,
	    (const char *[]){ "Referer: https://evil.example/credits", NULL }, &r), 403);
	ck_assert(!has(&r, "rel=\"prev\""));
	t_resp_free(&r);
	/* Nor one of ours that a browser would read as another host. */
	snprintf(ref, sizeof(ref), "Referer: %s/\\evil.example/x", t_env("OB_TEST_BASE_URL"));
	ck_assert_int_eq(t_call(s.cookie, NULL, "GET", "/invoices", NULL, NULL,
	    (const char *[]){ ref, NULL }, &r), 403);
	ck_assert(!has(&r, "rel=\"prev\""));
	t_resp_free(&r);
}
END_TEST

START_TEST(staff_get_the_staff_console_links)
{
	struct t_session s;
	struct t_resp r;

	t_reset_rate_limits();
	t_session_new(T_STAFF_EMAIL, &s);
	/* An org page: staff have no org, so it does not exist for them (404). */
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/subscription", &r), 404);
	ck_assert(has(&r, "Sam Staff"));
	ck_assert(nav_has(&r, "/admin"));
	ck_assert(nav_has(&r, "/admin/webhooks"));
	ck_assert(nav_has(&r, "/admin/refunds"));
	ck_assert(!nav_has(&r, "/subscription"));
	ck_assert(!nav_has(&r, "/members"));
	t_resp_free(&r);
	/* The overview offers the staff console, no org figures. */
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/", &r), 200);
	ck_assert(has(&r, "<h2 id=\"dash-actions-title\">Staff console</h2>"));
	ck_assert(!has(&r, "id=\"dashboard\""));
	t_resp_free(&r);
}
END_TEST

START_TEST(anonymous_error_offers_sign_in)
{
	struct t_resp r;

	ck_assert_int_eq(t_get("/no-such-page", &r), 404);
	ck_assert(has(&r, "<a href=\"/login?next=/no-such-page\">Sign in</a>"));
	ck_assert(nav_has(&r, "/"));
	ck_assert(!nav_has(&r, "/subscription"));
	ck_assert(!has(&r, "action=\"/logout\""));
	t_resp_free(&r);

	/* A session cookie that is not valid (any more) is anonymous here too. */
	ck_assert_int_eq(t_get_as("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, "/no-such-page",
	    &r), 404);
	ck_assert(has(&r, "href=\"/login?next=/no-such-page\""));
	t_resp_free(&r);
}
END_TEST

/*
 * A suspended org is read-only, but its pages stay readable: the owner
 * still sees (and can open) every page link, API keys included; the
 * Overview offers no step that would change anything, only the alert.
 */
START_TEST(suspended_org_keeps_its_page_links)
{
	static const char *const pages[] = { "/", "/subscription", "/seats", "/credits", "/invoices",
		"/members", "/api-keys", "/activity" };
	long org = t_org_new("dash-susp", NULL, NULL), owner = t_member_new(org, "owner", NULL);
	char cookie[160], email[128];
	struct t_resp r;
	size_t i;

	t_sqlf("UPDATE organizations SET billing_state = 'suspended', status = 'suspended',"
	    " suspended_reason = 'billing: unpaid invoice' WHERE id = %ld", org);
	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld",
	    owner));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, cookie, sizeof(cookie)), 303);
	ck_assert_int_eq(t_get_as(cookie, NULL, "/", &r), 200);
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		ck_assert_msg(nav_has(&r, pages[i]), "no link to %s", pages[i]);
	ck_assert(has(&r, "data-kind=\"suspended\""));
	ck_assert(!has(&r, "Top up the credit pool"));
	ck_assert(!has(&r, "Create an API key"));
	ck_assert(!has(&r, "Invite a member"));
	t_resp_free(&r);
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		ck_assert_msg(t_get_as(cookie, NULL, pages[i], &r) == 200, "%s", pages[i]);
		t_resp_free(&r);
	}
}
END_TEST

Suite *
dash_errors_suite(void)
{
	return t_suite("dash_errors", 60, T_TESTS(not_found_with_a_session,
	    forbidden_shows_the_member_only_their_links, staff_get_the_staff_console_links,
	    anonymous_error_offers_sign_in, suspended_org_keeps_its_page_links));
}
