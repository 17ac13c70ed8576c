/*
 * orgbill: the operator's command-line tool.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "base/log.h"
#include "stripe/client.h"
#include "cli/cmd_credits.h"

struct cli_cmd {
	const char *name;
	int (*fn)(struct ob_cli *, int, char **);
	int needs_db;
	const char *usage;
	const char *help;
};

static const struct cli_cmd cli_cmds[] = {
	{ "migrate", ob_cli_migrate, 1, "migrate",
	  "apply pending SQL migrations (safe to run twice, or at once)" },
	{ "schema-version", ob_cli_schema_version, 1, "schema-version",
	  "print the applied schema version" },
	{ "seed-demo", ob_cli_seed_demo, 1, "seed-demo [--staff-password-file FILE]",
	  "load the demo data set (idempotent; only into a database made for the demo)" },
	{ "org", ob_cli_org, 1, "org create --name N --slug S [--billing-email E]",
	  "create an organization; prints its id" },
	{ "user", ob_cli_user, 1, "user create --email E [--name N] [--staff]",
	  "create a user, password read from stdin; prints its id; `user staff-role --user ID"
	  " --role support|finance|admin|none` sets a staff role" },
	{ "member", ob_cli_member, 1, "member add --org ID --user ID --role R [--department D]",
	  "add a user to an org as owner|admin|billing|member" },
	{ "apikey", ob_cli_apikey, 1, "apikey create --org ID --scopes S [--name N]",
	  "create an API key (prints it once); `apikey revoke PREFIX` revokes" },
	{ "sso", ob_cli_sso, 1, "sso set|show|remove --org ID ...",
	  "an org's single sign-on connection (client secret read from stdin)" },
	{ "jobs", ob_cli_jobs, 1, "jobs [--once] [--interval S]",
	  "run background work: webhook retries, rate-limit cleanup" },
	{ "webhooks", ob_cli_webhooks, 1, "webhooks replay EVENT_ID",
	  "reprocess one stored Stripe event now (audited)" },
	{ "verify-ledger", ob_cli_verify_ledger, 1, "verify-ledger",
	  "recompute every credit balance from the ledger; exit 1 on a mismatch" },
	{ "credits", ob_cli_credits, 1, "credits grant|plan-grant ...",
	  "grant credits (with --reason) to an org or a user's pool; a period's plan grant" },
	{ "stripe", ob_cli_stripe, 1, "stripe sync-catalog|reconcile",
	  "create or update the plans' Stripe products and prices; finish pending changes" },
	{ "config", ob_cli_config, 0, "config",
	  "print the effective settings (secrets hidden)" },
};

#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

static void
usage(FILE *f, const char *prog)
{
	struct ob_buf b = OB_BUF_INIT;
	size_t i;

	fprintf(f, "usage: %s [--config FILE] COMMAND [ARGS]\n\ncommands:\n", prog);
	for (i = 0; i < CLI_NCMDS; i++)
		fprintf(f, "  %-22s %s\n", cli_cmds[i].usage, cli_cmds[i].help);
	fprintf(f, "\nEvery command takes `COMMAND --help`. Settings (environment,\n"
	    "or the env file from --config / ORGBILL_CONFIG):\n");
	ob_cfg_help(&b);
	fputs(b.data, f);
	ob_buf_free(&b);
}

int
ob_cli_fail(struct ob_cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
ob_cli_db(struct ob_cli *c)
{
	if (c->db_open)
		return 0;
	c->db_open = 1;
	if (ob_db_open(&c->db, c->cfg.database_url, "orgbill-cli",
	    c->cfg.statement_timeout_ms) != 0) {
		ob_cli_fail(c, "database: %s", c->db.lasterr);
		return -1;
	}
	return 0;
}

/* The Stripe client's guard: refuse while the command's connection is in a transaction. */
static int
stripe_guard(void *arg)
{
	return ob_db_in_tx(arg);
}

struct ob_stripe *
ob_cli_stripe_client(struct ob_cli *c)
{
	struct ob_stripe *s = ob_stripe_new_default(c->cfg.stripe_api_base,
	    c->cfg.stripe_secret_key);

	if (s != NULL)
		ob_stripe_set_guard(s, stripe_guard, &c->db);
	return s;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ob_cli c;
	const struct cli_cmd *cmd = NULL;
	const char *config = NULL;
	char err[512];
	size_t i;
	int ch, rc;

	memset(&c, 0, sizeof(c));
	c.prog = "orgbill";
	ob_log_set_component("cli");
	ob_log_set_level(OB_LOG_WARN);
	/* Stop at the command name: its options are its own. */
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'h': usage(stdout, c.prog); return 0;
		case 'V': puts("orgbill " OB_VERSION); return 0;
		default: usage(stderr, c.prog); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr, c.prog);
		return 2;
	}
	for (i = 0; i < CLI_NCMDS; i++)
		if (strcmp(argv[optind], cli_cmds[i].name) == 0)
			cmd = &cli_cmds[i];
	if (cmd == NULL)
		return ob_cli_fail(&c, "unknown command '%s' (see --help)", argv[optind]);
	if (argc - optind > 1 && (strcmp(argv[optind + 1], "--help") == 0 ||
	    strcmp(argv[optind + 1], "-h") == 0)) {
		printf("usage: %s %s\n\n%s\n", c.prog, cmd->usage, cmd->help);
		return 0;
	}
	if (sodium_init() < 0)
		return ob_cli_fail(&c, "libsodium failed to start");
	if (ob_cfg_load(&c.cfg, config, err, sizeof(err)) != 0)
		return ob_cli_fail(&c, "%s", err);
	if (cmd->needs_db && ob_cli_db(&c) != 0) {
		rc = 1;
		goto out;
	}
	/* The command sees its own argv: argv[0] is its name. */
	optind++;
	rc = cmd->fn(&c, argc - optind + 1, argv + optind - 1);
out:
	if (c.db_open)
		ob_db_close(&c.db);
	ob_cfg_free(&c.cfg);
	return rc;
}
