/*
 * Tenant boundaries, tested apart from the code that enforces them: org B
 * holds real data (a member, an API key, credits in its pool, an
 * allocation, a deduction made under an Idempotency-Key, an invoice, a
 * refund); org A's owner (a session) and A's key (every scope) put B's real
 * ids into A's own paths, query strings and bodies, on every route of the
 * route table. No answer may carry B's data (its name, e-mails, invoice
 * number, amounts), the routes that name a B record answer 404 (or 403),
 * and B's data is unchanged afterwards.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "fcgi/fields.h"
#include "fcgi/routes.h"
#include "integration/harness.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"

/* B's amounts: long and odd enough that no other number in an answer matches. */
#define B_POOL 731937193L
#define B_DEDUCT 4817L
#define B_ALLOC 52735273L
#define B_INVOICE_TOTAL 918273645L
#define B_REFUND 263548791L

static struct {
	long org, member, invoice, refund;
	char name[96], billing_email[128], member_email[256], invoice_number[64], invoice_pub[64];
	char key[128], prefix[16], ded_key[64];
} b;

static struct {
	long org;
	char owner_email[256], cookie[128], csrf[64], key[128];
} a;

/* POST json to path with key (and an Idempotency-Key, may be NULL): the status; answer into out. */
static long
api_post(const char *key, const char *path, const char *json, const char *idem, struct t_resp *out)
{
	char hdr[128];
	const char *h[2] = { NULL, NULL };

	if (idem != NULL) {
		snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", idem);
		h[0] = hdr;
	}
	return t_json_as(key, "POST", path, json, h, out);
}

static void
setup_b(void)
{
	char args[256], out[256], path[128], body[256];
	int pid = (int)getpid();

	snprintf(b.name, sizeof(b.name), "Zebulon Tenant B %d", pid);
	snprintf(b.billing_email, sizeof(b.billing_email), "ap-%d@tenant-b.test", pid);
	b.org = t_org_new("tenant-b", b.name, b.billing_email);
	b.member = t_member_new(b.org, "member", NULL);
	snprintf(b.member_email, sizeof(b.member_email), "%s",
	    t_sql_valuef("SELECT email FROM users WHERE id = %ld", b.member));
	t_apikey_new(b.org, "read,write,meter,admin", b.key, sizeof(b.key));
	snprintf(b.prefix, sizeof(b.prefix), "%.12s", b.key + 3);
	snprintf(args, sizeof(args), "credits grant --org %ld --amount %ld --reason 'tenant test'",
	    b.org, B_POOL);
	ck_assert_int_eq(t_cli(args, NULL, out, sizeof(out)), 0);
	snprintf(path, sizeof(path), API "/credits/%ld/allocate", b.org);
	snprintf(body, sizeof(body), "{\"user_id\":%ld,\"limit\":%ld}", b.member, B_ALLOC);
	ck_assert_int_eq(api_post(b.key, path, body, NULL, NULL), 200);
	snprintf(b.ded_key, sizeof(b.ded_key), "tenant-b-deduction-%d", pid);
	snprintf(path, sizeof(path), API "/credits/%ld/deduct", b.org);
	snprintf(body, sizeof(body), "{\"user_id\":%ld,\"amount\":%ld,\"service\":\"tenant.test\"}",
	    b.member, B_DEDUCT);
	ck_assert_int_eq(api_post(b.key, path, body, b.ded_key, NULL), 200);
	snprintf(b.invoice_number, sizeof(b.invoice_number), "TENB-%d", pid);
	t_sqlf("INSERT INTO invoices (org_id, stripe_invoice_id, stripe_customer_id, number, status,"
	    " currency, subtotal, total, amount_paid, stripe_created)"
	    " VALUES (%ld, 'in_tenb_%d', 'cus_tenb_%d', '%s', 'paid', 'usd', %ld, %ld, %ld, now())",
	    b.org, pid, pid, b.invoice_number, B_INVOICE_TOTAL, B_INVOICE_TOTAL, B_INVOICE_TOTAL);
	b.invoice = atol(t_sql_valuef("SELECT id FROM invoices WHERE stripe_invoice_id = 'in_tenb_%d'", pid));
	snprintf(b.invoice_pub, sizeof(b.invoice_pub), "%s",
	    t_sql_valuef("SELECT public_id FROM invoices WHERE id = %ld", b.invoice));
	t_sqlf("INSERT INTO refunds (org_id, invoice_id, amount, currency, reason, status)"
	    " VALUES (%ld, %ld, %ld, 'usd', 'tenant test', 'succeeded')", b.org, b.invoice, B_REFUND);
	b.refund = atol(t_sql_valuef("SELECT id FROM refunds WHERE invoice_id = %ld", b.invoice));
}

static void
setup_a(void)
{
	long owner;

	a.org = t_org_new("tenant-a", NULL, NULL);
	owner = t_member_new(a.org, "owner", NULL);
	snprintf(a.owner_email, sizeof(a.owner_email), "%s",
	    t_sql_valuef("SELECT email FROM users WHERE id = %ld", owner));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(a.owner_email, T_MEMBER_PASSWORD, a.cookie, sizeof(a.cookie)), 303);
	t_csrf(a.cookie, a.csrf);
	t_apikey_new(a.org, "read,write,meter,admin", a.key, sizeof(a.key));
}

/* 0, or a description of B's data found in the answer. */
static const char *
leak(const struct t_resp *r)
{
	static char what[64];
	char n[32];
	const long amounts[] = { B_POOL, B_POOL - B_DEDUCT, B_ALLOC, B_INVOICE_TOTAL, B_REFUND };
	const char *texts[] = { b.name, b.billing_email, b.member_email, b.invoice_number };
	size_t i;

	if (r->body.data == NULL)
		return NULL;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strstr(r->body.data, texts[i]) != NULL)
			return texts[i];
	for (i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
		snprintf(n, sizeof(n), "%ld", amounts[i]);
		if (strstr(r->body.data, n) != NULL) {
			snprintf(what, sizeof(what), "amount %s", n);
			return what;
		}
	}
	return NULL;
}

/* The path of pattern with A's org and B's other ids, into out. */
static void
cross_path(const char *pattern, char *out, size_t len)
{
	size_t o = 0;
	const char *p = pattern;

	while (*p != '\0' && o + 64 < len) {
		if (*p != '{') {
			out[o++] = *p++;
			continue;
		}
		if (strncmp(p, "{org_id}", 8) == 0)
			o += (size_t)snprintf(out + o, len - o, "%ld", a.org);
		else if (strncmp(p, "{user_id}", 9) == 0)
			o += (size_t)snprintf(out + o, len - o, "%ld", b.member);
		else if (strncmp(p, "{invoice_id}", 12) == 0)
			o += (size_t)snprintf(out + o, len - o, "%s", b.invoice_pub);
		else if (strncmp(p, "{prefix}", 8) == 0)
			o += (size_t)snprintf(out + o, len - o, "%s", b.prefix);
		else if (strncmp(p, "{key}", 5) == 0)
			o += (size_t)snprintf(out + o, len - o, "%s", b.ded_key);
		else
			o += (size_t)snprintf(out + o, len - o, "evt_tenant_b");
		p = strchr(p, '}') + 1;
	}
	out[o] = '\0';
}

/* Console forms that start Stripe work or end the session: not sent here. */
static int
skipped_form(const char *pattern)
{
	return strcmp(pattern, "/logout") == 0 || strcmp(pattern, "/members/invite") == 0 ||
	    strncmp(pattern, "/subscription", 13) == 0 || strcmp(pattern, "/billing/portal") == 0 ||
	    strcmp(pattern, "/billing/payment-method") == 0 ||
	    strcmp(pattern, "/billing/credits/purchase") == 0 || strcmp(pattern, "/login") == 0;
}

/* A route's pattern names a record of B (a capture other than {org_id}). */
static int
names_b_record(const char *pattern)
{
	return strstr(pattern, "{user_id}") || strstr(pattern, "{invoice_id}") ||
	    strstr(pattern, "{prefix}") || strstr(pattern, "{key}");
}

/*
 * The members of full (B's ids under every name a route may read) that
 * route i declares in its body table, as JSON text into out: a route
 * refuses members it does not declare (400 parameter_unknown) before it
 * looks at any record, so each route gets only its own.
 */
static void
route_body(size_t i, const char *full, char *out, size_t n)
{
	const struct ob_fields *t = ob_app_fields[i];
	cJSON *all = cJSON_Parse(full), *mine = cJSON_CreateObject(), *it;
	char *text;
	size_t k;

	for (k = 0; t != NULL && k < t->n; k++)
		if ((it = cJSON_GetObjectItemCaseSensitive(all, t->rows[k].name)) != NULL)
			cJSON_AddItemToObject(mine, t->rows[k].name, cJSON_Duplicate(it, 1));
	text = cJSON_PrintUnformatted(mine);
	ck_assert_ptr_nonnull(text);
	snprintf(out, n, "%s", text);
	free(text);
	cJSON_Delete(all);
	cJSON_Delete(mine);
}

/* One request as A's owner or A's key; 1 if it passed, else 0 (reported). */
static int
probe(const struct ob_route *ro, const char *path, int as_key, const char *body, const char *ctype)
{
	char hdr[96];
	const char *h[2] = { NULL, NULL };
	const char *found;
	struct t_resp r;
	int ok = 1;

	if (!as_key && strcmp(ro->method, "GET") != 0) {
		snprintf(hdr, sizeof(hdr), "X-CSRF-Token: %s", a.csrf);
		h[0] = hdr;
	}
	(void)t_call(as_key ? NULL : a.cookie, as_key ? a.key : NULL, ro->method, path, body, ctype, h, &r);
	if ((found = leak(&r)) != NULL) {
		fprintf(stderr, "tenant: %s %s as A's %s shows B's %s: %.200s\n", ro->method, path,
		    as_key ? "key" : "owner", found, r.body.data);
		ok = 0;
	}
	if (r.status >= 500) {
		fprintf(stderr, "tenant: %s %s as A's %s answered %ld\n", ro->method, path,
		    as_key ? "key" : "owner", r.status);
		ok = 0;
	}
	/* A route about one of B's records: it does not exist for A. */
	if (names_b_record(ro->pattern) && r.status != 404 && r.status != 403 &&
	    !(r.status == 401 && as_key)) {
		fprintf(stderr, "tenant: %s %s as A's %s answered %ld, not 404/403\n", ro->method, path,
		    as_key ? "key" : "owner", r.status);
		ok = 0;
	}
	t_resp_free(&r);
	return ok;
}

/* B's data after every route above (and the targeted calls below) is as it was. */
static void
assert_b_intact(void)
{
	char path[128];
	struct t_resp r;
	cJSON *o;

	ck_assert_str_eq(t_sql_valuef("SELECT role || ' ' || status FROM memberships"
	    " WHERE org_id = %ld AND user_id = %ld", b.org, b.member), "member active");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM memberships WHERE org_id = %ld", a.org), "1");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM api_keys WHERE org_id = %ld"
	    " AND revoked_at IS NULL", b.org), "1");
	ck_assert_str_eq(t_sql_valuef("SELECT status || ' ' || amount_refunded FROM invoices WHERE id = %ld",
	    b.invoice), "paid 0");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM refunds WHERE org_id = %ld", b.org), "1");
	/* B's key still works and B's pool lost only B's own deduction. */
	snprintf(path, sizeof(path), API "/credits/%ld", b.org);
	ck_assert_int_eq(t_get_as(NULL, b.key, path, &r), 200);
	o = t_json(&r);
	ck_assert_msg(strstr(r.body.data, "731932376") != NULL, "B's pool changed: %s", r.body.data);
	cJSON_Delete(o);
	t_resp_free(&r);
	snprintf(path, sizeof(path), API "/credits/%ld/allocations", b.org);
	ck_assert_int_eq(t_get_as(NULL, b.key, path, &r), 200);
	ck_assert_msg(strstr(r.body.data, "52735273") != NULL, "B's allocation changed: %s", r.body.data);
	t_resp_free(&r);
}

START_TEST(tenant_every_route_with_the_other_orgs_ids)
{
	const struct ob_router *rt = &ob_app_router;
	char path[512], qpath[768], json[512], form[512], body[512];
	int failures = 0, probes = 0, k;
	size_t i;

	setup_b();
	setup_a();
	snprintf(json, sizeof(json), "{\"org_id\":%ld,\"user_id\":%ld,\"user_ids\":[%ld],"
	    "\"invoice_id\":\"%s\",\"refund_id\":%ld,\"limit\":1,\"amount\":1,\"service\":\"tenant.test\","
	    "\"reason\":\"tenant test\",\"role\":\"member\"}", b.org, b.member, b.member, b.invoice_pub, b.refund);
	snprintf(form, sizeof(form), "org_id=%ld&user_id=%ld&user_ids=%ld&invoice_id=%s&limit=1&role=owner"
	    "&csrf=%s", b.org, b.member, b.member, b.invoice_pub, a.csrf);
	for (i = 0; i < rt->nroutes; i++) {
		const struct ob_route *ro = &rt->routes[i];
		int api = strncmp(ro->pattern, "/api/", 5) == 0;
		int get = strcmp(ro->method, "GET") == 0;

		cross_path(ro->pattern, path, sizeof(path));
		snprintf(qpath, sizeof(qpath), "%s?org_id=%ld&user_id=%ld&invoice_id=%s&starting_after=%s",
		    path, b.org, b.member, b.invoice_pub, b.invoice_pub);
		for (k = 0; k < 2; k++) {
			int as_key = k == 1;

			if (as_key && !api)
				continue;	/* keys are refused on console pages */
			if (get) {
				failures += !probe(ro, path, as_key, NULL, NULL);
				failures += !probe(ro, qpath, as_key, NULL, NULL);
				probes += 2;
			} else if (api) {
				route_body(i, json, body, sizeof(body));
				failures += !probe(ro, path, as_key, body, "application/json");
				probes++;
			} else if (!skipped_form(ro->pattern)) {
				failures += !probe(ro, path, as_key, form, "application/x-www-form-urlencoded");
				probes++;
			}
		}
	}
	ck_assert_msg(failures == 0, "%d of %d cross-tenant requests failed (see stderr)",
	    failures, probes);
	ck_assert_int_ge(probes, (int)rt->nroutes);
	assert_b_intact();
}
END_TEST

START_TEST(tenant_targeted_calls_with_the_other_orgs_records)
{
	char path[256], body[256];
	struct t_resp r;
	const char *found;

	if (b.org == 0) {
		setup_b();
		setup_a();
	}
	/* B's Idempotency-Key under A's org is A's own key space: no replay of B's deduction. */
	snprintf(path, sizeof(path), API "/credits/%ld/deduct", a.org);
	snprintf(body, sizeof(body), "{\"user_id\":%ld,\"amount\":%ld,\"service\":\"tenant.test\"}",
	    b.member, B_DEDUCT);
	ck_assert_int_ne(api_post(a.key, path, body, b.ded_key, &r), 200);
	ck_assert_ptr_eq(t_header(&r, "Idempotent-Replayed"), NULL);
	ck_assert_msg((found = leak(&r)) == NULL, "deduct shows B's %s", found);
	t_resp_free(&r);
	/* B's member is nobody in A: no allocation, no credit check, no seat. */
	snprintf(path, sizeof(path), API "/credits/%ld/allocate", a.org);
	snprintf(body, sizeof(body), "{\"user_id\":%ld,\"limit\":5}", b.member);
	ck_assert_int_ge(api_post(a.key, path, body, NULL, &r), 400);
	ck_assert_ptr_eq(leak(&r), NULL);
	t_resp_free(&r);
	snprintf(path, sizeof(path), API "/credits/%ld/check", a.org);
	snprintf(body, sizeof(body), "{\"user_id\":%ld,\"amount\":1}", b.member);
	(void)api_post(a.key, path, body, NULL, &r);
	ck_assert_msg((found = leak(&r)) == NULL, "check shows B's %s: %s", found, r.body.data);
	t_resp_free(&r);
	snprintf(path, sizeof(path), API "/seats/%ld/assign", a.org);
	snprintf(body, sizeof(body), "{\"emails\":[\"%s\"]}", b.member_email);
	ck_assert_int_ge(api_post(a.key, path, body, NULL, &r), 400);
	t_resp_free(&r);
	/* A's console cannot switch into B. */
	snprintf(body, sizeof(body), "org_id=%ld&csrf=%s", b.org, a.csrf);
	ck_assert_int_eq(t_form_as(a.cookie, "/orgs/switch", body, NULL, &r), 404);
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(a.cookie, NULL, "/credits", &r), 200);
	ck_assert_ptr_eq(leak(&r), NULL);
	t_resp_free(&r);
	/* And B's own key cannot reach A's org either. */
	snprintf(path, sizeof(path), API "/credits/%ld", a.org);
	ck_assert_int_eq(t_get_as(NULL, b.key, path, NULL), 404);
	assert_b_intact();
}
END_TEST

Suite *authz_tenant_suite(void)
{
	return t_suite("authz_tenant", 240, T_TESTS(tenant_every_route_with_the_other_orgs_ids,
	    tenant_targeted_calls_with_the_other_orgs_records));
}
