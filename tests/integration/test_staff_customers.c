/*
 * The staff customers table (docs/ADMIN.md, "Customers"): summary cards,
 * search, filters, sort, cursor pages, the JSON twin and the CSV export.
 * Three orgs are made with hand-chosen subscriptions; every expected
 * figure below is worked out by hand from them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "unit/unit.h"

/* The three orgs: a (business, monthly), b (pro, yearly), c (suspended, past due, no plan). */
struct trio {
	char tag[32];
	long a, b, c;
	char a_member[128];
};

static void
sub_row(long org, const char *plan, const char *cycle, int seats, long unit, const char *cus)
{
	t_sqlf("INSERT INTO subscriptions (org_id, plan_code, cycle, seats, unit_amount, status,"
	    " stripe_customer_id, stripe_subscription_id, stripe_item_id, stripe_price_id,"
	    " current_period_start, current_period_end) VALUES (%ld, '%s', '%s', %d, %ld, 'active',"
	    " '%s', 'sub_%s', 'si_%s', 'price_%s', now() - interval '1 day', now() + interval '29 days')",
	    org, plan, cycle, seats, unit, cus, cus, cus, cus);
}

static void
trio_new(struct trio *t)
{
	static int n;
	char name[96], cus[64];
	long uid;

	snprintf(t->tag, sizeof(t->tag), "zq%ldx%d", (long)getpid(), n++);
	snprintf(name, sizeof(name), "Custa %s", t->tag);
	t->a = t_org_new("custa", name, NULL);
	snprintf(name, sizeof(name), "Custb %s", t->tag);
	t->b = t_org_new("custb", name, NULL);
	snprintf(name, sizeof(name), "Custc %s", t->tag);
	t->c = t_org_new("custc", name, NULL);
	/* a: Business, 3 seats at 29.00 a month: MRR 87.00. Two members. */
	snprintf(cus, sizeof(cus), "cus_%sa", t->tag);
	sub_row(t->a, "business", "month", 3, 2900, cus);
	uid = t_member_new(t->a, "owner", NULL);
	t_member_new(t->a, "member", NULL);
	snprintf(t->a_member, sizeof(t->a_member), "%s",
	    t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid));
	/* b: Pro, 2 seats at 529.20 a year: MRR 1058.40 / 12 = 88.20. */
	snprintf(cus, sizeof(cus), "cus_%sb", t->tag);
	sub_row(t->b, "pro", "year", 2, 52920, cus);
	/* c: suspended by staff, past due, no subscription. */
	t_sqlf("UPDATE organizations SET status = 'suspended', suspended_reason = 'test',"
	    " billing_state = 'past_due' WHERE id = %ld", t->c);
}

/* GET /admin/api/customers?query as s: the parsed answer (status want). */
static cJSON *
customers(const struct t_session *s, const char *query, long want)
{
	char path[2048];
	struct t_resp r;
	cJSON *j;

	snprintf(path, sizeof(path), "/admin/api/customers?%s", query);
	ck_assert_msg(t_get_as(s->cookie, NULL, path, &r) == want, "%s: %ld %s", path, r.status,
	    r.body.data);
	j = t_json(&r);
	t_resp_free(&r);
	return j;
}

/* The org ids of a page's rows, as "id,id,…". */
static const char *
ids(const cJSON *page)
{
	static char out[512];
	const cJSON *row;
	size_t o = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(page, "data"))
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? "," : "", t_jstr(row, "id"));
	return out;
}

static const char *
three(long x, long y, long z)
{
	static char out[96];

	snprintf(out, sizeof(out), "%ld,%ld,%ld", x, y, z);
	return out;
}

static const char *
one(long x)
{
	static char out[32];

	snprintf(out, sizeof(out), "%ld", x);
	return out;
}

static long long
summary_n(const cJSON *page, const char *name)
{
	return t_jnum(cJSON_GetObjectItem(page, "summary"), name);
}

static long long
summary_usd(const cJSON *page)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, cJSON_GetObjectItem(cJSON_GetObjectItem(page, "summary"), "mrr"))
		if (strcmp(t_jstr(m, "currency"), "usd") == 0)
			return t_jnum(m, "amount");
	return 0;
}

START_TEST(staff_customers_cards_search_filters_sort)
{
	struct t_session sup;
	struct trio t;
	char q[512];
	cJSON *before, *p;
	const cJSON *row;

	t_reset_rate_limits();
	t_session_new(T_SUPPORT_EMAIL, &sup);
	before = customers(&sup, "limit=1", 200);
	trio_new(&t);

	/* Search by the tag in the names; sorted by name. */
	snprintf(q, sizeof(q), "q=%s", t.tag);
	p = customers(&sup, q, 200);
	ck_assert_str_eq(ids(p), three(t.a, t.b, t.c));
	ck_assert_str_eq(t_jstr(p, "object"), "staff_customers");
	/* The cards moved by what was made: 3 orgs, 2 paying, 1 suspended,
	 * 1 past due, 2 users, MRR 87.00 + 88.20 = 175.20. */
	ck_assert_int_eq(summary_n(p, "organizations") - summary_n(before, "organizations"), 3);
	ck_assert_int_eq(summary_n(p, "active") - summary_n(before, "active"), 2);
	ck_assert_int_eq(summary_n(p, "paying") - summary_n(before, "paying"), 2);
	ck_assert_int_eq(summary_n(p, "suspended") - summary_n(before, "suspended"), 1);
	ck_assert_int_eq(summary_n(p, "past_due") - summary_n(before, "past_due"), 1);
	ck_assert_int_eq(summary_n(p, "total_users") - summary_n(before, "total_users"), 2);
	ck_assert_int_eq(summary_usd(p) - summary_usd(before), 17520);
	/* a's row. */
	row = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "data"), 0);
	ck_assert_str_eq(t_jstr(row, "plan_code"), "business");
	ck_assert_int_eq(t_jnum(row, "seats_used"), 2);
	ck_assert_int_eq(t_jnum(row, "seats_purchased"), 3);
	ck_assert_int_eq(t_jnum(row, "mrr"), 8700);
	ck_assert_str_eq(t_jstr(row, "currency"), "usd");
	ck_assert_int_eq(t_jnum(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "data"), 1), "mrr"), 8820);
	cJSON_Delete(p);

	/* Sorted by MRR, most first: b 88.20, a 87.00, c 0. */
	snprintf(q, sizeof(q), "q=%s&sort=mrr&dir=desc", t.tag);
	p = customers(&sup, q, 200);
	ck_assert_str_eq(ids(p), three(t.b, t.a, t.c));
	cJSON_Delete(p);
	/* Filters. */
	snprintf(q, sizeof(q), "q=%s&plan=business", t.tag);
	ck_assert_str_eq(ids(p = customers(&sup, q, 200)), one(t.a));
	cJSON_Delete(p);
	snprintf(q, sizeof(q), "q=%s&plan=none", t.tag);
	ck_assert_str_eq(ids(p = customers(&sup, q, 200)), one(t.c));
	cJSON_Delete(p);
	snprintf(q, sizeof(q), "q=%s&status=suspended", t.tag);
	ck_assert_str_eq(ids(p = customers(&sup, q, 200)), one(t.c));
	cJSON_Delete(p);
	snprintf(q, sizeof(q), "q=%s&dunning=past_due", t.tag);
	ck_assert_str_eq(ids(p = customers(&sup, q, 200)), one(t.c));
	cJSON_Delete(p);
	/* Search by Stripe customer id, and by a member's e-mail address. */
	snprintf(q, sizeof(q), "q=cus_%sb", t.tag);
	ck_assert_str_eq(ids(p = customers(&sup, q, 200)), one(t.b));
	cJSON_Delete(p);
	snprintf(q, sizeof(q), "q=%s", t.a_member);
	ck_assert_str_eq(ids(p = customers(&sup, q, 200)), one(t.a));
	cJSON_Delete(p);
	/* Bad filters: 400 naming the parameter. */
	cJSON_Delete(customers(&sup, "status=closed", 400));
	cJSON_Delete(customers(&sup, "sort=password", 400));
	cJSON_Delete(customers(&sup, "limit=101", 400));
	cJSON_Delete(customers(&sup, "plan=Bad%20Plan", 400));
	cJSON_Delete(customers(&sup, "nonsense=1", 400));
	cJSON_Delete(before);
	t_reset_rate_limits();
}
END_TEST

START_TEST(staff_customers_cursor_pages)
{
	struct t_session fin;
	struct trio t;
	char q[3072], cursor[2100];
	cJSON *p;

	t_reset_rate_limits();
	t_session_new(T_FINANCE_EMAIL, &fin);
	trio_new(&t);
	snprintf(q, sizeof(q), "q=%s&limit=1", t.tag);
	p = customers(&fin, q, 200);
	ck_assert_str_eq(ids(p), one(t.a));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(p, "has_more")));
	snprintf(cursor, sizeof(cursor), "%s", t_jstr(p, "next_cursor"));
	cJSON_Delete(p);
	snprintf(q, sizeof(q), "q=%s&limit=1&cursor=%s", t.tag, cursor);
	p = customers(&fin, q, 200);
	ck_assert_str_eq(ids(p), one(t.b));
	snprintf(cursor, sizeof(cursor), "%s", t_jstr(p, "next_cursor"));
	cJSON_Delete(p);
	snprintf(q, sizeof(q), "q=%s&limit=1&cursor=%s", t.tag, cursor);
	p = customers(&fin, q, 200);
	ck_assert_str_eq(ids(p), one(t.c));
	ck_assert(!cJSON_IsTrue(cJSON_GetObjectItem(p, "has_more")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(p, "next_cursor")));
	cJSON_Delete(p);
	/* A cursor is good only for the order that made it; garbage is 400. */
	snprintf(q, sizeof(q), "q=%s&limit=1&sort=mrr&cursor=%s", t.tag, cursor);
	cJSON_Delete(customers(&fin, q, 400));
	cJSON_Delete(customers(&fin, "cursor=abc", 400));
	cJSON_Delete(customers(&fin, "cursor=7631", 400));
	cJSON_Delete(customers(&fin, "cursor=zz", 400));
	t_reset_rate_limits();
}
END_TEST

START_TEST(staff_customers_page_and_csv)
{
	struct t_session sup, owner;
	struct trio t;
	struct t_resp r;
	char path[256], want[128];
	int lines = 0;
	const char *p;

	t_reset_rate_limits();
	t_session_new(T_SUPPORT_EMAIL, &sup);
	trio_new(&t);
	snprintf(path, sizeof(path), "/admin/customers?q=%s", t.tag);
	ck_assert_int_eq(t_get_as(sup.cookie, NULL, path, &r), 200);
	snprintf(want, sizeof(want), "data-org=\"%ld\"", t.a);
	ck_assert_ptr_nonnull(strstr(r.body.data, want));
	ck_assert_ptr_nonnull(strstr(r.body.data, "$87.00"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "2 / 3"));
	t_resp_free(&r);
	/* The export: a header and the three rows, amounts in minor units. */
	snprintf(path, sizeof(path), "/admin/customers.csv?q=%s&sort=mrr&dir=desc", t.tag);
	ck_assert_int_eq(t_get_as(sup.cookie, NULL, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "text/csv"));
	ck_assert_int_eq(strncmp(r.body.data, "id,name,slug,status,dunning,plan_code,", 38), 0);
	for (p = r.body.data; (p = strstr(p, "\r\n")) != NULL; p += 2)
		lines++;
	ck_assert_int_eq(lines, 4);
	snprintf(want, sizeof(want), "\r\n%ld,Custb %s,", t.b, t.tag);
	ck_assert_ptr_nonnull(strstr(r.body.data, want));
	ck_assert_ptr_nonnull(strstr(r.body.data, ",8820,usd,"));
	t_resp_free(&r);
	/* A tenant, even an owner, finds no such pages. */
	t_session_new("owner@acme.test", &owner);
	ck_assert_int_eq(t_get_as(owner.cookie, NULL, "/admin/customers", NULL), 404);
	ck_assert_int_eq(t_get_as(owner.cookie, NULL, "/admin/customers.csv", NULL), 404);
	ck_assert_int_eq(t_get_as(owner.cookie, NULL, "/admin/api/customers", NULL), 404);
	ck_assert_int_eq(t_get_as(NULL, NULL, "/admin/api/customers", NULL), 401);
	t_reset_rate_limits();
}
END_TEST

Suite *
staff_customers_suite(void)
{
	return t_suite("staff_customers", 120, T_TESTS(staff_customers_cards_search_filters_sort,
	    staff_customers_cursor_pages, staff_customers_page_and_csv));
}
