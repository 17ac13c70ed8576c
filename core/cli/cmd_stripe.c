/*
 * orgbill stripe sync-catalog | reconcile: the plan
 * catalogue's Stripe products and prices, and subscription operations left
 * pending (docs/BILLING.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cli/cli.h"
#include "stripe/client.h"
#include "identity/org.h"
#include "billing/plans.h"
#include "billing/subscription.h"
#include "base/num.h"

int
ob_cli_stripe(struct ob_cli *c, int argc, char **argv)
{
	struct ob_actx ax = { 0 };
	struct ob_fail f = { 0 };
	struct ob_stripe *st;
	cJSON *report = NULL;
	char *txt;
	int done = 0, rc = 1;

	if (argc < 2)
		return ob_cli_fail(c, "usage: stripe sync-catalog | reconcile");
	if ((st = ob_cli_stripe_client(c)) == NULL)
		return ob_cli_fail(c, "STRIPE_SECRET_KEY is not set");
	ax.db = &c->db;
	if (strcmp(argv[1], "sync-catalog") == 0) {
		if (ob_plans_sync_catalog(&c->db, st, &report, &f) != 0) {
			ob_cli_fail(c, "sync-catalog: %s", f.message);
			goto out;
		}
		txt = cJSON_PrintUnformatted(report);
		puts(txt);
		free(txt);
		rc = 0;
	} else if (strcmp(argv[1], "reconcile") == 0) {
		if (ob_subscription_reconcile(&ax, st, 60, &done, &f) != 0)
			ob_cli_fail(c, "reconcile: %s", f.message);
		else
			rc = 0;
		printf("%d\n", done);
	} else {
		ob_cli_fail(c, "unknown stripe command '%s'", argv[1]);
	}
out:
	cJSON_Delete(report);
	ob_stripe_free(st);
	return rc;
}
