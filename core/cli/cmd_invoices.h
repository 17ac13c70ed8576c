/*
 * The invoices module's periodic work for `orgbill jobs` (cmd_invoices.c).
 * Each returns 0 or -1 (logged); verbose prints a one-line summary.
 */
#ifndef OB_CMD_INVOICES_H
#define OB_CMD_INVOICES_H

#include "cli/cli.h"

struct ob_stripe;

/** Deliver due outbox e-mail over SMTP (ORGBILL_SMTP_URL; nothing when unset). */
int ob_cli_job_outbox(struct ob_cli *c, int verbose);

/** Dunning's timed steps (ORGBILL_DUNNING_GRACE_DAYS, ORGBILL_DUNNING_SUSPEND_DAYS). */
int ob_cli_job_dunning(struct ob_cli *c, struct ob_stripe *st, int verbose);

/** Job: push billing details Stripe does not have yet (a push that failed). 0 or -1. */
int ob_cli_job_details_push(struct ob_cli *c, struct ob_stripe *st, int verbose);

/** Extra-task usage of finished credit periods → Stripe invoice items, once each. */
int ob_cli_job_extra_tasks(struct ob_cli *c, struct ob_stripe *st, int verbose);

/**
 * Reconcile local invoices with Stripe's: every ORGBILL_INVOICE_RECONCILE_S
 * seconds (default 600) in the loop, on every verbose (--once) pass.
 */
int ob_cli_job_invoice_reconcile(struct ob_cli *c, struct ob_stripe *st, int verbose);

#endif
