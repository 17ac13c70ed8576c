/*
 * The orgbill command-line tool: one table of commands (cli/main.c), one
 * function per command. Commands print their result alone on stdout and
 * a one-line reason on stderr when they fail (exit status non-zero).
 */
#ifndef OB_CLI_H
#define OB_CLI_H

#include "base/cfg.h"
#include "base/db.h"

struct ob_cli {
	const char *prog;
	struct ob_cfg cfg;
	struct ob_db db;
	int db_open;
};

/** Open the database from the settings; 0, or -1 after printing why. */
int ob_cli_db(struct ob_cli *c);

struct ob_stripe;

/**
 * A Stripe client from the settings (ob_stripe_new_default); NULL when no
 * secret key is set. Free it with ob_stripe_free.
 */
struct ob_stripe *ob_cli_stripe_client(struct ob_cli *c);

/** Print "orgbill: msg" to stderr and return 1 (the exit status). */
int ob_cli_fail(struct ob_cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** orgbill migrate: apply pending migrations. */
int ob_cli_migrate(struct ob_cli *c, int argc, char **argv);

/** orgbill schema-version: print the applied schema version. */
int ob_cli_schema_version(struct ob_cli *c, int argc, char **argv);

/** orgbill seed-demo: load the demo data set (sql/demo.sql). */
int ob_cli_seed_demo(struct ob_cli *c, int argc, char **argv);

/** orgbill org create: print the new org's id. */
int ob_cli_org(struct ob_cli *c, int argc, char **argv);

/** orgbill user create: password from stdin; print the new user's id. */
int ob_cli_user(struct ob_cli *c, int argc, char **argv);

/** orgbill member add. */
int ob_cli_member(struct ob_cli *c, int argc, char **argv);

/** orgbill apikey create (prints the key) | apikey revoke PREFIX. */
int ob_cli_apikey(struct ob_cli *c, int argc, char **argv);

/** orgbill sso set|show|remove --org ID: an org's SSO connection (docs/SSO.md). */
int ob_cli_sso(struct ob_cli *c, int argc, char **argv);

/** orgbill jobs [--once]: the background runner. */
int ob_cli_jobs(struct ob_cli *c, int argc, char **argv);

/** orgbill webhooks replay EVT: reprocess one stored event. */
int ob_cli_webhooks(struct ob_cli *c, int argc, char **argv);

/** orgbill config: print the effective settings, secrets hidden. */
int ob_cli_config(struct ob_cli *c, int argc, char **argv);

/** orgbill stripe sync-catalog | reconcile (cmd_stripe.c). */
int ob_cli_stripe(struct ob_cli *c, int argc, char **argv);

#endif
