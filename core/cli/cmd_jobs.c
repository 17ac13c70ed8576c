/*
 * orgbill jobs: the background runner (webhook retries, rate-limit window
 * cleanup; later the outbox and period roll-over). `--once` runs one pass.
 * orgbill webhooks replay EVT: reprocess one stored event now.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "identity/audit.h"
#include "cli/cli.h"
#include "stripe/client.h"
#include "cli/cmd_invoices.h"
#include "base/log.h"
#include "base/ratelimit.h"
#include "sync/webhook.h"

static volatile sig_atomic_t jobs_stop;

static void
on_term(int sig)
{
	(void)sig;
	jobs_stop = 1;
}

/* One pass of every job; returns 0 or -1. */
static int
jobs_pass(struct ob_cli *c, struct ob_wh_ctx *cx, int verbose)
{
	int applied = 0;
	long deleted = 0;

	if (ob_wh_run_due(cx, 100, &applied) != 0) {
		ob_log(OB_LOG_ERROR, "jobs", "webhooks: %s", c->db.lasterr);
		return -1;
	}
	if (ob_rl_cleanup(&c->db, &deleted) != 0)
		ob_log(OB_LOG_WARN, "jobs", "rate-limit cleanup: %s", c->db.lasterr);
	(void)ob_cli_job_invoice_reconcile(c, cx->stripe, verbose);
	(void)ob_cli_job_extra_tasks(c, cx->stripe, verbose);
	(void)ob_cli_job_dunning(c, cx->stripe, verbose);
	(void)ob_cli_job_details_push(c, cx->stripe, verbose);
	(void)ob_cli_job_outbox(c, verbose);
	if (verbose)
		printf("webhooks applied: %d; rate-limit windows removed: %ld\n", applied, deleted);
	return 0;
}

int
ob_cli_jobs(struct ob_cli *c, int argc, char **argv)
{
	struct ob_wh_ctx cx = { &c->db, NULL, "retry", NULL };
	int once = 0, interval = 5, i, rc = 0;
	struct sigaction sa;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc &&
		    atoi(argv[i + 1]) > 0 && atoi(argv[i + 1]) <= 3600)
			interval = atoi(argv[++i]);
		else
			return ob_cli_fail(c, "usage: %s jobs [--once] [--interval SECONDS]", c->prog);
	}
	cx.stripe = ob_cli_stripe_client(c);
	if (once) {
		rc = jobs_pass(c, &cx, 1) == 0 ? 0 : 1;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	ob_log_set_level(OB_LOG_INFO);
	ob_log(OB_LOG_INFO, "jobs_start", "every %d s", interval);
	while (!jobs_stop) {
		jobs_pass(c, &cx, 0);
		for (i = 0; i < interval && !jobs_stop; i++)
			sleep(1);
	}
	ob_log(OB_LOG_INFO, "jobs_stop", "stopped");
out:
	ob_stripe_free(cx.stripe);
	return rc;
}

int
ob_cli_webhooks(struct ob_cli *c, int argc, char **argv)
{
	struct ob_wh_ctx cx = { &c->db, NULL, "replay", NULL };
	struct ob_actx ax = { &c->db, NULL, "cli", NULL, "replayed from the command line", 0 };
	enum ob_wh_result r;
	int rc;

	if (argc != 3 || strcmp(argv[1], "replay") != 0)
		return ob_cli_fail(c, "usage: %s webhooks replay EVENT_ID", c->prog);
	rc = ob_wh_rearm(&c->db, argv[2]);
	if (rc < 0)
		return ob_cli_fail(c, "%s", c->db.lasterr);
	if (rc > 0)
		return ob_cli_fail(c, "no such event: %s", argv[2]);
	if (ob_audit_write(&ax, 0, "webhook.replay", "webhook_event", argv[2], NULL, NULL) != 0)
		return ob_cli_fail(c, "%s", c->db.lasterr);
	cx.stripe = ob_cli_stripe_client(c);
	r = ob_wh_apply(&cx, argv[2]);
	ob_stripe_free(cx.stripe);
	switch (r) {
	case OB_WH_PROCESSED: printf("processed\n"); return 0;
	case OB_WH_SKIPPED: printf("skipped\n"); return 0;
	case OB_WH_FAILED: return ob_cli_fail(c, "failed again; it will be retried by orgbill jobs");
	case OB_WH_BUSY: return ob_cli_fail(c, "the event is being applied elsewhere; try again");
	default: return ob_cli_fail(c, "%s", c->db.lasterr);
	}
}
