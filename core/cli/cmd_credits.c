/*
 * orgbill verify-ledger | credits grant | credits plan-grant.
 */
#include "cli/cmd_credits.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credits/credits.h"
#include "identity/org.h"
#include "base/json.h"
#include "base/num.h"

static const char credits_usage[] =
    "credits grant (--org ID | --user ID) --amount N --reason TEXT "
    "[--source manual|promo|rollover] [--expires T] [--priority P] | "
    "credits plan-grant --org ID --start T --end T --amount N";

int
ob_cli_verify_ledger(struct ob_cli *c, int argc, char **argv)
{
	int n;

	if (argc > 1)
		return ob_cli_fail(c, "verify-ledger: unexpected argument '%s'", argv[1]);
	if ((n = ob_credits_verify(&c->db, stdout)) < 0)
		return ob_cli_fail(c, "verify-ledger: %s", c->db.lasterr);
	if (n > 0) {
		fprintf(stderr, "%s: verify-ledger: %d mismatch%s\n", c->prog, n,
		    n == 1 ? "" : "es");
		return 1;
	}
	printf("ledger ok\n");
	return 0;
}

/* credits grant (or add): an operator's free grant, audited with its reason; prints its id. */
static int
cli_grant(struct ob_cli *c, struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const struct ob_credits_grant_in *in)
{
	struct ob_fail f;
	cJSON *g;

	if ((org_id == 0) == (user_id == 0))
		return ob_cli_fail(c, "credits grant: give exactly one of --org and --user");
	if (!ob_credits_reason_ok(in->reason))
		return ob_cli_fail(c, "credits grant: --reason is required (%d to %d characters): "
		    "free grants are audited with their reason", OB_CREDITS_REASON_MIN,
		    OB_CREDITS_REASON_MAX);
	if (in->priority > 1000)
		return ob_cli_fail(c, "credits grant: --priority must be 0 to 1000");
	/* An operator's action: audited as the system, with the reason. */
	ax->reason = in->reason;
	if ((g = ob_credits_grant(ax, org_id, user_id, in, &f)) == NULL)
		return ob_cli_fail(c, "credits grant: %s", f.message);
	printf("%s\n", ob_json_str(g, "id"));
	cJSON_Delete(g);
	return 0;
}

int
ob_cli_credits(struct ob_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "user", required_argument, NULL, 'u' },
		{ "amount", required_argument, NULL, 'a' },
		{ "source", required_argument, NULL, 's' },
		{ "expires", required_argument, NULL, 'e' },
		{ "priority", required_argument, NULL, 'p' },
		{ "reason", required_argument, NULL, 'r' },
		{ "start", required_argument, NULL, 'S' },
		{ "end", required_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	const char *org = NULL, *user = NULL, *amount = NULL, *start = NULL, *end = NULL;
	struct ob_credits_grant_in in;
	struct ob_actx ax;
	struct ob_fail f;
	int64_t org_id = 0, user_id = 0, gid;
	int ch, created;

	if (argc < 2)
		return ob_cli_fail(c, "usage: %s %s", c->prog, credits_usage);
	memset(&in, 0, sizeof(in));
	in.source = "manual";
	in.priority = -1;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': org = optarg; break;
		case 'u': user = optarg; break;
		case 'a': amount = optarg; break;
		case 's': in.source = optarg; break;
		case 'e': in.expires_at = optarg; break;
		case 'p': in.priority = atoi(optarg); break;
		case 'r': in.reason = optarg; break;
		case 'S': start = optarg; break;
		case 'E': end = optarg; break;
		default: return ob_cli_fail(c, "usage: %s %s", c->prog, credits_usage);
		}
	}
	if (ob_num_parse(amount, 1, INT64_MAX, &in.amount) != 0)
		return ob_cli_fail(c, "credits: --amount must be a positive number");
	if (org != NULL && (org_id = ob_num_id(org)) == 0)
		return ob_cli_fail(c, "credits: --org must be an id");
	if (user != NULL && (user_id = ob_num_id(user)) == 0)
		return ob_cli_fail(c, "credits: --user must be an id");
	memset(&ax, 0, sizeof(ax));
	ax.db = &c->db;
	ax.request_id = "cli";
	if (strcmp(argv[1], "plan-grant") == 0) {
		if (org_id == 0)
			return ob_cli_fail(c, "credits plan-grant: --org is required");
		if (ob_credits_grant_plan_period(&ax, org_id, start, end, in.amount, &gid,
		    &created, &f) != 0)
			return ob_cli_fail(c, "credits plan-grant: %s", f.message);
		printf("%lld\n", (long long)gid);
		return 0;
	}
	/* "add" is the old name of "grant": it too needs a reason now. */
	if (strcmp(argv[1], "grant") != 0 && strcmp(argv[1], "add") != 0)
		return ob_cli_fail(c, "usage: %s %s", c->prog, credits_usage);
	return cli_grant(c, &ax, org_id, user_id, &in);
}
