/*
 * Navigation by policy (nav.h). The links are a fixed table; whether one
 * shows is asked of the router (which action its GET route performs) and
 * of the policy (ob_policy_decide, what the gate decides for a GET: a
 * suspended org's reads stay open), never of roles directly.
 */
#include "fcgi/nav.h"

#include <string.h>

#include "identity/policy.h"
#include "fcgi/ctx.h"
#include "fcgi/router.h"

static const struct {
	const char *key, *href, *label;
	int staff;
} links[] = {
	{ "overview", "/", "Overview", 0 },
	{ "subscription", "/subscription", "Subscription", 0 },
	{ "seats", "/seats", "Seats", 0 },
	{ "credits", "/credits", "Credits", 0 },
	{ "usage", "/usage", "Usage", 0 },
	{ "budgets", "/budgets", "Budgets", 0 },
	{ "invoices", "/invoices", "Invoices", 0 },
	{ "members", "/members", "Members", 0 },
	{ "api_keys", "/api-keys", "API keys", 0 },
	{ "activity", "/activity", "Activity", 0 },
	{ "admin", "/admin", "Admin", 1 },
	{ "admin_customers", "/admin/customers", "Customers", 1 },
	{ "admin_webhooks", "/admin/webhooks", "Webhooks", 1 },
	{ "admin_refunds", "/admin/refunds", "Refunds", 1 },
};

int
ob_nav_may_open(const struct ob_req *r, const char *href)
{
	const struct ob_router *rt = r->w != NULL ? r->w->router : NULL;
	size_t i;

	for (i = 0; rt != NULL && i < rt->nroutes; i++) {
		const struct ob_route *ro = &rt->routes[i];

		if (strcmp(ro->method, "GET") == 0 && strcmp(ro->pattern, href) == 0)
			return ob_policy_decide(ro->action, &r->who) == OB_ALLOW;
	}
	return 0;
}

void
ob_nav_add(struct ob_req *r, cJSON *d, const char *current_key)
{
	cJSON *arr = cJSON_AddArrayToObject(d, "nav"), *l;
	int org = 0, staff = 0;
	size_t i;

	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (!ob_nav_may_open(r, links[i].href))
			continue;
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "key", links[i].key);
		cJSON_AddStringToObject(l, "href", links[i].href);
		cJSON_AddStringToObject(l, "label", links[i].label);
		cJSON_AddBoolToObject(l, "current",
		    current_key != NULL && strcmp(current_key, links[i].key) == 0);
		cJSON_AddBoolToObject(l, "staff", links[i].staff);
		cJSON_AddItemToArray(arr, l);
		if (links[i].staff)
			staff = 1;
		else if (i > 0)
			org = 1;
	}
	cJSON_AddBoolToObject(d, "nav_org", org);
	cJSON_AddBoolToObject(d, "nav_staff", staff);
}
