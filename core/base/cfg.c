#include "base/cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

#ifndef OB_PREFIX
#define OB_PREFIX "/usr/local"
#endif

#define CFG_LINE_MAX	4096
#define CFG_FILE_MAX	(256 * 1024)

enum cfg_type { CFG_STR, CFG_SECRET, CFG_INT };

struct cfg_item {
	const char *name;
	enum cfg_type type;
	size_t off;
	const char *def;
	long min, max;
	const char *doc;
};

#define S(f) offsetof(struct ob_cfg, f)

static const struct cfg_item cfg_items[] = {
	{ "DATABASE_URL", CFG_SECRET, S(database_url), "postgresql:///orgbill", 0, 0,
	  "libpq connection string or URI" },
	{ "ORGBILL_APP_WORKERS", CFG_INT, S(app_workers), "4", 1, 256,
	  "orgbill-app worker processes" },
	{ "ORGBILL_WEBHOOK_WORKERS", CFG_INT, S(webhook_workers), "2", 1, 64,
	  "orgbill-webhook worker processes" },
	{ "ORGBILL_BODY_LIMIT", CFG_INT, S(body_limit), "1048576", 1024, 64L << 20,
	  "largest request body in bytes (nginx client_max_body_size matches)" },
	{ "ORGBILL_STATEMENT_TIMEOUT_MS", CFG_INT, S(statement_timeout_ms), "5000", 10, 600000,
	  "PostgreSQL statement_timeout for worker connections" },
	{ "ORGBILL_SHUTDOWN_TIMEOUT_MS", CFG_INT, S(shutdown_timeout_ms), "10000", 100, 600000,
	  "after SIGTERM, workers still alive this long later get SIGKILL" },
	{ "ORGBILL_TEMPLATES_DIR", CFG_STR, S(templates_dir), OB_PREFIX "/share/orgbill/templates", 0, 0,
	  "Mustache templates (loaded once per worker)" },
	{ "ORGBILL_SQL_DIR", CFG_STR, S(sql_dir), OB_PREFIX "/share/orgbill/sql", 0, 0,
	  "SQL folder holding migrations/ and demo.sql" },
	{ "ORGBILL_LOG_LEVEL", CFG_STR, S(log_level), "info", 0, 0,
	  "debug | info | warn | error" },
	{ "ORGBILL_PUBLIC_URL", CFG_STR, S(public_url), "https://localhost:8443", 0, 0,
	  "the console's external base URL (links, Origin check)" },
	{ "STRIPE_API_BASE", CFG_STR, S(stripe_api_base), "https://api.stripe.com", 0, 0,
	  "Stripe API base URL (the fake's in tests and the demo)" },
	{ "STRIPE_SECRET_KEY", CFG_SECRET, S(stripe_secret_key), "", 0, 0,
	  "Stripe secret key (sk_live_… / sk_test_…)" },
	{ "STRIPE_WEBHOOK_SECRET", CFG_SECRET, S(stripe_webhook_secret), "", 0, 0,
	  "webhook signing secrets (whsec_…), comma-separated during rotation" },
	{ "STRIPE_WEBHOOK_TOLERANCE", CFG_INT, S(stripe_webhook_tolerance), "300", 1, 86400,
	  "seconds a webhook signature's timestamp may be off" },
	{ "ORGBILL_SESSION_IDLE_S", CFG_INT, S(session_idle_s), "7200", 60, 86400 * 30,
	  "console sessions end after this many seconds without a request" },
	{ "ORGBILL_SESSION_MAX_S", CFG_INT, S(session_max_s), "43200", 300, 86400 * 90,
	  "console sessions end this many seconds after sign-in, used or not" },
	{ "ORGBILL_INVITE_TTL_S", CFG_INT, S(invite_ttl_s), "604800", 300, 86400 * 90,
	  "an invitation link works this many seconds after it is sent" },
	{ "ORGBILL_RATE_READ", CFG_STR, S(rate_read), "100/60", 0, 0,
	  "GET requests per identity: LIMIT/SECONDS (per host)" },
	{ "ORGBILL_RATE_WRITE", CFG_STR, S(rate_write), "20/60", 0, 0,
	  "other requests per identity (per host)" },
	{ "ORGBILL_RATE_METER", CFG_STR, S(rate_meter), "100000/60", 0, 0,
	  "metering calls per API key (per host)" },
	{ "ORGBILL_RATE_SUBSCRIPTION", CFG_STR, S(rate_subscription), "5/3600", 0, 0,
	  "subscription changes per org (exact across hosts)" },
	{ "ORGBILL_RATE_REFUND", CFG_STR, S(rate_refund), "3/60", 0, 0,
	  "refunds per staff user (exact across hosts)" },
	{ "ORGBILL_RATE_LOGIN", CFG_STR, S(rate_login), "10/900", 0, 0,
	  "sign-in attempts per account and per address (exact across hosts)" },
	{ "ORGBILL_SMTP_URL", CFG_STR, S(smtp_url), "", 0, 0,
	  "SMTP server for outbox e-mail (smtp://host:port); empty: mail waits in the outbox" },
	{ "ORGBILL_MAIL_FROM", CFG_STR, S(mail_from), "billing@orgbill.localhost", 0, 0,
	  "sender address of billing e-mail" },
	{ "ORGBILL_DUNNING_GRACE_DAYS", CFG_INT, S(dunning_grace_days), "7", 0, 365,
	  "days an org stays past_due before it is restricted" },
	{ "ORGBILL_DUNNING_SUSPEND_DAYS", CFG_INT, S(dunning_suspend_days), "14", 0, 365,
	  "days an org stays restricted before it is suspended" },
	{ "ORGBILL_CREDIT_PRICE_PER_1000", CFG_INT, S(credit_price_per_1000), "100", 0, 100000000,
	  "price of 1000 credits in minor units (USD): purchases and extra tasks" },
	{ "ORGBILL_INVOICE_RECONCILE_S", CFG_INT, S(invoice_reconcile_s), "600", 10, 86400,
	  "seconds between invoice reconcile passes of orgbill jobs" },
	/* Database sessions: a transaction left idle (e.g. around a remote call) is ended. */
	{ "ORGBILL_IDLE_IN_TX_TIMEOUT_MS", CFG_INT, S(idle_in_tx_timeout_ms), "5000", 0, 600000,
	  "PostgreSQL idle_in_transaction_session_timeout for every connection (0: off)" },
	{ "ORGBILL_CREDIT_REVERSAL_WINDOW_S", CFG_INT, S(credit_reversal_window_s), "86400", 60,
	  2592000, "seconds after a deduction in which the meter key that made it may reverse it" },
	/* Read by deploy/render-nginx.sh for the nginx site (docs/RATELIMITS.md). */
	{ "ORGBILL_NGINX_LIMIT_LOGIN", CFG_STR, S(nginx_limit_login), "10r/m:20", 0, 0,
	  "nginx: requests to /login per client address, RATE:BURST (nginx rate, burst)" },
	{ "ORGBILL_NGINX_LIMIT_API", CFG_STR, S(nginx_limit_api), "10r/s:20", 0, 0,
	  "nginx: /api/ requests without a key or session per client address, RATE:BURST" },
	{ "ORGBILL_NGINX_LIMIT_API_ALL", CFG_STR, S(nginx_limit_api_all), "50r/s:200", 0, 0,
	  "nginx: all /api/ requests per client address, keys and sessions included, RATE:BURST" },
	{ "ORGBILL_NGINX_LIMIT_WEBHOOK", CFG_STR, S(nginx_limit_webhook), "50r/s:200", 0, 0,
	  "nginx: /stripe/webhook requests per client address, RATE:BURST" },
	{ "ORGBILL_NGINX_LIMIT_EXEMPT", CFG_STR, S(nginx_limit_exempt), "", 0, 0,
	  "nginx: client addresses or CIDRs (comma-separated) no nginx limit applies to" },
	{ "ORGBILL_NGINX_REAL_IP_FROM", CFG_STR, S(nginx_real_ip_from), "", 0, 0,
	  "nginx: load balancers (addresses or CIDRs, comma-separated) trusted for the client address" },
	{ "ORGBILL_NGINX_REAL_IP_HEADER", CFG_STR, S(nginx_real_ip_header), "X-Forwarded-For", 0, 0,
	  "nginx: the header those load balancers put the client address in" },
	/* Single sign-on (docs/SSO.md): seals the SSO connections' client secrets. */
	{ "ORGBILL_SSO_KEY", CFG_SECRET, S(sso_key), "", 0, 0,
	  "32-byte key (64 hex digits or base64) sealing SSO client secrets; empty: SSO cannot be configured" },
	{ "ORGBILL_SSO_ALLOW_INSECURE_LOOPBACK", CFG_INT, S(sso_allow_insecure_loopback), "0", 0, 1,
	  "1: SSO providers may be http:// on loopback (test stacks only); 0: https and public addresses only" },
};

#undef S

#define CFG_NITEMS (sizeof(cfg_items) / sizeof(cfg_items[0]))

static const struct cfg_item *
cfg_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < CFG_NITEMS; i++)
		if (strlen(cfg_items[i].name) == len &&
		    strncmp(cfg_items[i].name, name, len) == 0)
			return &cfg_items[i];
	return NULL;
}

/* value as integer setting it: 0 with *out, or -1 (not a number in its range). */
static int
cfg_int(const struct cfg_item *it, const char *value, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < it->min || v > it->max)
		return -1;
	*out = v;
	return 0;
}

/* Store value into the field; 0 or -1 with err. */
static int
cfg_set(struct ob_cfg *c, const struct cfg_item *it, const char *value,
    char *err, size_t errlen)
{
	if (it->type == CFG_INT) {
		if (cfg_int(it, value, (long *)((char *)c + it->off)) != 0) {
			snprintf(err, errlen, "%s: expected an integer from %ld to %ld",
			    it->name, it->min, it->max);
			return -1;
		}
		return 0;
	}
	free(*(char **)((char *)c + it->off));
	*(char **)((char *)c + it->off) = ob_xstrdup(value);
	return 0;
}

static int
cfg_is_ours(const char *name, size_t len)
{
	return (len > 8 && strncmp(name, "ORGBILL_", 8) == 0) ||
	    (len > 7 && strncmp(name, "STRIPE_", 7) == 0);
}

/*
 * Parse an env file: KEY=VALUE lines, # comments, blank lines, optional
 * "export ", values optionally in single or double quotes (no escapes).
 * Keys already in the environment are skipped (the environment wins).
 */
static int
cfg_load_file(struct ob_cfg *c, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char line[CFG_LINE_MAX];
	size_t total = 0, lineno = 0, klen, vlen;
	char *k, *v, *eq;
	const struct cfg_item *it;
	int rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "config %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		total += strlen(line);
		if (total > CFG_FILE_MAX) {
			snprintf(err, errlen, "config %s: larger than %d bytes", path, CFG_FILE_MAX);
			goto out;
		}
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "config %s:%zu: line too long", path, lineno);
			goto out;
		}
		line[strcspn(line, "\r\n")] = '\0';
		for (k = line; *k == ' ' || *k == '\t'; k++)
			;
		if (*k == '\0' || *k == '#')
			continue;
		if (strncmp(k, "export ", 7) == 0)
			k += 7;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "config %s:%zu: expected NAME=value", path, lineno);
			goto out;
		}
		klen = (size_t)(eq - k);
		while (klen > 0 && (k[klen - 1] == ' ' || k[klen - 1] == '\t'))
			klen--;
		v = eq + 1;
		vlen = strlen(v);
		if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
			v[vlen - 1] = '\0';
			v++;
		}
		it = cfg_find(k, klen);
		if (it == NULL) {
			if (cfg_is_ours(k, klen)) {
				snprintf(err, errlen, "config %s:%zu: unknown setting %.*s",
				    path, lineno, (int)klen, k);
				goto out;
			}
			continue;	/* someone else's variable */
		}
		if (getenv(it->name) != NULL)
			continue;
		if (cfg_set(c, it, v, err, errlen) != 0)
			goto out;
		setenv(it->name, v, 0);
	}
	if (ferror(f)) {
		snprintf(err, errlen, "config %s: read error", path);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

int
ob_cfg_load(struct ob_cfg *c, const char *path, char *err, size_t errlen)
{
	const char *v;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < CFG_NITEMS; i++)
		if (cfg_set(c, &cfg_items[i], cfg_items[i].def, err, errlen) != 0)
			goto fail;
	if (path == NULL && (v = getenv("ORGBILL_CONFIG")) != NULL && *v != '\0')
		path = v;
	if (path != NULL && cfg_load_file(c, path, err, errlen) != 0)
		goto fail;
	for (i = 0; i < CFG_NITEMS; i++)
		if ((v = getenv(cfg_items[i].name)) != NULL &&
		    cfg_set(c, &cfg_items[i], v, err, errlen) != 0)
			goto fail;
	return 0;
fail:
	ob_cfg_free(c);
	return -1;
}

void
ob_cfg_free(struct ob_cfg *c)
{
	size_t i;

	for (i = 0; i < CFG_NITEMS; i++) {
		if (cfg_items[i].type == CFG_INT)
			continue;
		free(*(char **)((char *)c + cfg_items[i].off));
		*(char **)((char *)c + cfg_items[i].off) = NULL;
	}
}

void
ob_cfg_dump(const struct ob_cfg *c, struct ob_buf *out)
{
	const char *s;
	size_t i;

	for (i = 0; i < CFG_NITEMS; i++) {
		const struct cfg_item *it = &cfg_items[i];

		if (it->type == CFG_INT) {
			ob_buf_printf(out, "%s=%ld\n", it->name,
			    *(const long *)((const char *)c + it->off));
			continue;
		}
		s = *(char *const *)((const char *)c + it->off);
		if (it->type == CFG_SECRET)
			ob_buf_printf(out, "%s=%s\n", it->name,
			    (s == NULL || *s == '\0') ? "" : "(set, hidden)");
		else
			ob_buf_printf(out, "%s=%s\n", it->name, s ? s : "");
	}
}

long
ob_cfg_env_int(const char *name)
{
	const struct cfg_item *it = cfg_find(name, strlen(name));
	const char *v = getenv(name);
	long n = 0;

	if (it == NULL || it->type != CFG_INT)
		return 0;
	if (v == NULL || cfg_int(it, v, &n) != 0)
		(void)cfg_int(it, it->def, &n);
	return n;
}

void
ob_cfg_help(struct ob_buf *out)
{
	size_t i;

	for (i = 0; i < CFG_NITEMS; i++)
		ob_buf_printf(out, "  %-28s %s (default: %s)\n", cfg_items[i].name,
		    cfg_items[i].doc,
		    *cfg_items[i].def ? cfg_items[i].def : "empty");
}
