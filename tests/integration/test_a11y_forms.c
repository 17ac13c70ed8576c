/*
 * Console forms refused: every field's problem at once, next to its field
 * (aria-invalid, aria-describedby naming the message's id), in plain
 * words, with what was typed kept; bulk lines in line order, each message
 * once. Fresh orgs per test; the expected markup and words by hand.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "integration/harness.h"

/* A member of a new org with role, signed in. */
static void
session_of_new_org(const char *tag, const char *role, long *org, struct t_session *s)
{
	long uid;
	char em[128];

	*org = t_org_new(tag, NULL, NULL);
	uid = t_member_new(*org, role, NULL);
	snprintf(em, sizeof(em), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(em, T_MEMBER_PASSWORD, s->cookie, sizeof(s->cookie)), 303);
	t_csrf(s->cookie, s->csrf);
}

/* The page holds needle (the test fails with it named). */
static void
has(const struct t_resp *r, const char *needle)
{
	ck_assert_msg(strstr(r->body.data, needle) != NULL, "missing: %s", needle);
}

/* How often needle occurs in the page. */
static int
count(const struct t_resp *r, const char *needle)
{
	const char *p = r->body.data;
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

START_TEST(invite_form_shows_every_error_next_to_its_field)
{
	struct t_session s;
	struct t_resp r;
	char body[512], dept[128];
	long org;

	session_of_new_org("a11y-invite", "owner", &org, &s);
	memset(dept, 'd', 101);
	dept[101] = '\0';
	snprintf(body, sizeof(body), "csrf=%s&email=not-an-address&role=billing&department=%s",
	    s.csrf, dept);
	ck_assert_int_eq(t_form_as(s.cookie, "/members/invite", body, NULL, &r), 400);
	/* Both fields at once, each marked and described by its message. */
	has(&r, "aria-invalid=\"true\" aria-describedby=\"invite-email-error\"");
	has(&r, "<p class=\"field-error\" id=\"invite-email-error\"><span class=\"sr\">Error: </span>"
	    "Enter an e-mail address like name@example.com.</p>");
	has(&r, "aria-invalid=\"true\" aria-describedby=\"invite-dept-error\"");
	has(&r, "id=\"invite-dept-error\"><span class=\"sr\">Error: </span>"
	    "Shorten the department to 100 characters or fewer.</p>");
	/* The summary links to both; the role had nothing wrong. */
	has(&r, "Nothing was changed: 2 fields need a change.");
	has(&r, "<a href=\"#invite-email\">Enter an e-mail address like name@example.com.</a>");
	ck_assert_int_eq(count(&r, "invite-role-error"), 0);
	/* What was typed is kept, the role chosen stays chosen. */
	has(&r, "value=\"not-an-address\"");
	has(&r, "<option value=\"billing\" selected>");
	/* Each message once in its place (and once in the summary). */
	ck_assert_int_eq(count(&r, "Enter an e-mail address like name@example.com."), 2);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE org_id = %ld", org), "0");
}
END_TEST

START_TEST(invite_conflict_is_shown_at_the_address)
{
	struct t_session s;
	struct t_resp r;
	char body[512];
	long org, uid;

	session_of_new_org("a11y-invite-dup", "owner", &org, &s);
	uid = t_member_new(org, "member", NULL);
	snprintf(body, sizeof(body), "csrf=%s&email=%s&role=member", s.csrf,
	    t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid));
	ck_assert_int_eq(t_form_as(s.cookie, "/members/invite", body, NULL, &r), 409);
	has(&r, "id=\"invite-email-error\"><span class=\"sr\">Error: </span>"
	    "This person is already a member: choose another e-mail address.</p>");
	t_resp_free(&r);
}
END_TEST

START_TEST(api_key_form_names_the_name_and_the_scopes)
{
	struct t_session s;
	struct t_resp r;
	char body[256];
	long org;

	session_of_new_org("a11y-keys", "admin", &org, &s);
	/* A tab in the name and no scope ticked: both, at once. */
	snprintf(body, sizeof(body), "csrf=%s&name=meter%%09service", s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/api-keys", body, NULL, &r), 400);
	has(&r, "aria-describedby=\"key-name-error\"");
	has(&r, "Shorten the name to 100 characters or fewer, on one line.");
	has(&r, "id=\"scope-read-error\"><span class=\"sr\">Error: </span>"
	    "Choose at least one scope: read, write, meter or admin.</p>");
	has(&r, "Nothing was changed: 2 fields need a change.");
	/* The read box stays as sent: not ticked. */
	ck_assert_int_eq(count(&r, "name=\"scope_read\" value=\"1\" checked"), 0);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM api_keys WHERE org_id = %ld", org), "0");
}
END_TEST

START_TEST(billing_details_form_shows_every_error_and_keeps_input)
{
	struct t_session s;
	struct t_resp r;
	char body[512];
	long org;

	session_of_new_org("a11y-details", "billing", &org, &s);
	snprintf(body, sizeof(body), "csrf=%s&email=accounts&city=Berlin&country=1x&po_number=PO-77",
	    s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/billing/details", body, NULL, &r), 400);
	has(&r, "aria-describedby=\"bd-email-error\"");
	has(&r, "id=\"bd-email-error\"><span class=\"sr\">Error: </span>"
	    "Enter an e-mail address like name@example.com.</p>");
	has(&r, "aria-describedby=\"bd-country-error\"");
	has(&r, "id=\"bd-country-error\"><span class=\"sr\">Error: </span>"
	    "Enter the two-letter country code, like DE or US.</p>");
	has(&r, "Nothing was changed: 2 fields need a change.");
	has(&r, "value=\"accounts\"");
	has(&r, "value=\"Berlin\"");
	has(&r, "value=\"PO-77\"");
	ck_assert_int_eq(count(&r, "bd-city-error"), 0);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM org_billing_details WHERE org_id = %ld",
	    org), "0");
}
END_TEST

START_TEST(seat_form_error_sits_at_the_seats_field)
{
	struct t_session s;
	struct t_resp r;
	char body[256];
	long org;

	session_of_new_org("a11y-seats", "billing", &org, &s);
	snprintf(body, sizeof(body), "csrf=%s&plan=business&cycle=month&seats=2"
	    "&payment_method=pm_card_visa&email=pay@example.test", s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/create", body, NULL, &r), 303);
	t_resp_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&seats=0", s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/preview", body, NULL, &r), 400);
	has(&r, "value=\"0\" data-org=");
	has(&r, "aria-invalid=\"true\" aria-describedby=\"seats-input-error\"");
	has(&r, "id=\"seats-input-error\"><span class=\"sr\">Error: </span>"
	    "Enter a whole number of seats from 1 to 100000.</p>");
	t_resp_free(&r);
}
END_TEST

START_TEST(bulk_allocation_lists_every_bad_line_in_order)
{
	struct t_session s;
	struct t_resp r;
	char body[1024], text[512];
	long org;

	session_of_new_org("a11y-bulk", "owner", &org, &s);
	/* Line 2 is no member, line 3 has no limit, line 5 no comma; 1 and 4 are fine. */
	snprintf(text, sizeof(text), "%s, 10%%0Anobody%%40example.test, 5%%0A"
	    "%s%%0A%s, 20%%0Ajust-words",
	    t_sql_valuef("SELECT replace(u.email, '@', '%%40') FROM users u JOIN memberships m"
	    " ON m.user_id = u.id WHERE m.org_id = %ld LIMIT 1", org),
	    "x%40example.test",
	    t_sql_valuef("SELECT replace(u.email, '@', '%%40') FROM users u JOIN memberships m"
	    " ON m.user_id = u.id WHERE m.org_id = %ld LIMIT 1", org));
	snprintf(body, sizeof(body), "csrf=%s&allocations=%s", s.csrf, text);
	ck_assert_int_eq(t_form_as(s.cookie, "/credits/allocations", body, NULL, &r), 404);
	has(&r, "aria-invalid=\"true\" aria-describedby=\"bulk-error bulk-lines\"");
	has(&r, "Nothing was changed: fix the 3 lines listed below.");
	{
		const char *l2 = strstr(r.body.data, "<li>Line 2: ");
		const char *l3 = strstr(r.body.data, "<li>Line 3: ");
		const char *l5 = strstr(r.body.data, "<li>Line 5: ");

		ck_assert_ptr_nonnull(l2);
		ck_assert_ptr_nonnull(l3);
		ck_assert_ptr_nonnull(l5);
		ck_assert(l2 < l3 && l3 < l5);
	}
	ck_assert_int_eq(count(&r, "Nobody in this organization has this e-mail address."), 1);
	ck_assert_int_eq(count(&r, "<li>Line 1: "), 0);
	ck_assert_int_eq(count(&r, "<li>Line 4: "), 0);
	/* The text is kept in the box, which stays open. */
	has(&r, "nobody@example.test, 5\nx@example.test\n");
	has(&r, "<details open>");
	t_resp_free(&r);
}
END_TEST

START_TEST(seat_csv_rows_in_line_order_each_once)
{
	struct t_session s;
	struct t_resp r;
	char body[512];
	long org;

	session_of_new_org("a11y-csv", "owner", &org, &s);
	/* Line 2 is no member (found after parsing), line 3 is no address (found while parsing). */
	snprintf(body, sizeof(body), "csrf=%s&csv=email%%0Aghost%%40example.test%%0Anot-an-address",
	    s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/seats/csv", body, NULL, &r), 400);
	{
		const char *l2 = strstr(r.body.data, "<li>Line 2: ");
		const char *l3 = strstr(r.body.data, "<li>Line 3: ");

		ck_assert_ptr_nonnull(l2);
		ck_assert_ptr_nonnull(l3);
		ck_assert(l2 < l3);
	}
	has(&r, "aria-invalid=\"true\" aria-describedby=\"bad-rows\"");
	has(&r, "ghost@example.test\nnot-an-address</textarea>");
	/* The rows say it; no second message above them. */
	ck_assert_int_eq(count(&r, "are not valid; nothing was changed"), 0);
	t_resp_free(&r);
}
END_TEST

Suite *
a11y_forms_suite(void)
{
	Suite *s = suite_create("a11y_forms");
	TCase *tc = tcase_create("forms");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, invite_form_shows_every_error_next_to_its_field);
	tcase_add_test(tc, invite_conflict_is_shown_at_the_address);
	tcase_add_test(tc, api_key_form_names_the_name_and_the_scopes);
	tcase_add_test(tc, billing_details_form_shows_every_error_and_keeps_input);
	tcase_add_test(tc, seat_form_error_sits_at_the_seats_field);
	tcase_add_test(tc, bulk_allocation_lists_every_bad_line_in_order);
	tcase_add_test(tc, seat_csv_rows_in_line_order_each_once);
	suite_add_tcase(s, tc);
	return s;
}
