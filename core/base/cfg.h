/*
 * ob_cfg: every setting is an environment variable; an optional env file
 * (--config FILE or ORGBILL_CONFIG) supplies the ones the environment does
 * not set. The workers and the CLI read the same table (cfg.c), which is
 * also the documentation's source (`orgbill config --help`).
 */
#ifndef OB_CFG_H
#define OB_CFG_H

#include <stddef.h>

#include "base/buf.h"

struct ob_cfg {
	char *database_url;
	long  app_workers;
	long  webhook_workers;
	long  body_limit;		/* bytes; nginx's client_max_body_size */
	long  statement_timeout_ms;
	long  shutdown_timeout_ms;	/* SIGTERM → SIGKILL deadline */
	char *templates_dir;
	char *sql_dir;
	char *log_level;
	char *public_url;
	char *stripe_api_base;
	char *stripe_secret_key;
	char *stripe_webhook_secret;
	long  stripe_webhook_tolerance;	/* seconds */
	long  session_idle_s;		/* console session idle expiry */
	long  session_max_s;		/* console session absolute expiry */
	long  invite_ttl_s;		/* invitation links expire after this */
	/* Rate limits, "LIMIT/SECONDS" (docs/RATELIMITS.md). */
	char *rate_read;
	char *rate_write;
	char *rate_meter;
	char *rate_subscription;
	char *rate_refund;
	char *rate_login;
	/* Invoices, e-mail and dunning (core/invoices.c, outbox.c, dunning.c). */
	char *smtp_url;
	char *mail_from;
	long  dunning_grace_days;
	long  dunning_suspend_days;
	long  credit_price_per_1000;	/* minor units per 1000 credits */
	long  invoice_reconcile_s;
	/* Database sessions (core/base/db.c). */
	long  idle_in_tx_timeout_ms;	/* idle_in_transaction_session_timeout; 0: off */
	long  credit_reversal_window_s;	/* a meter key reverses its own deduction */
	/* The nginx site's limits and client addresses (deploy/render-nginx.sh
	 * reads them; the programs only accept them). docs/RATELIMITS.md. */
	char *nginx_limit_login;
	char *nginx_limit_api;
	char *nginx_limit_api_all;
	char *nginx_limit_webhook;
	char *nginx_limit_exempt;
	char *nginx_real_ip_from;
	char *nginx_real_ip_header;
	char *sso_key;			/* ORGBILL_SSO_KEY: seals SSO client secrets */
	long  sso_allow_insecure_loopback;	/* ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK */
};

/**
 * Fill c from defaults, then the env file (path may be NULL: then
 * $ORGBILL_CONFIG, if set), then the environment, which wins. Settings
 * the file gave are also exported into this process's environment (as a
 * systemd EnvironmentFile would), so every reader agrees.
 * Returns 0, or -1 with a one-line reason in err. Free with ob_cfg_free.
 */
int ob_cfg_load(struct ob_cfg *c, const char *path, char *err, size_t errlen);

/** Release what ob_cfg_load allocated. */
void ob_cfg_free(struct ob_cfg *c);

/** Append "NAME=value" lines for every setting, secrets masked. */
void ob_cfg_dump(const struct ob_cfg *c, struct ob_buf *out);

/** Append the settings table (name, default, meaning) as text. */
void ob_cfg_help(struct ob_buf *out);

/**
 * Integer setting name as the environment holds it now (ob_cfg_load puts
 * a config file's values there too), checked as ob_cfg_load checks it;
 * its default when unset or not valid. For code with no struct ob_cfg at
 * hand; name must be one of the table's integer settings.
 */
long ob_cfg_env_int(const char *name);

#endif
