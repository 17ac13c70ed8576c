/*
 * The invoices module's jobs for `orgbill jobs`. See cmd_invoices.h.
 */
#include "cli/cmd_invoices.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "invoices/dunning.h"
#include "invoices/invoices.h"
#include "base/log.h"
#include "base/outbox.h"

int
ob_cli_job_outbox(struct ob_cli *c, int verbose)
{
	struct ob_outbox_smtp s;
	int sent = 0, failed = 0;

	ob_outbox_smtp_from_env(&s);
	if (ob_outbox_send_due(&c->db, &s, 100, &sent, &failed) != 0) {
		ob_log(OB_LOG_WARN, "jobs", "outbox: %s", c->db.lasterr);
		return -1;
	}
	if (verbose)
		printf("e-mail sent: %d; failed: %d%s\n", sent, failed,
		    s.url[0] == '\0' ? " (ORGBILL_SMTP_URL unset)" : "");
	return 0;
}

int
ob_cli_job_dunning(struct ob_cli *c, struct ob_stripe *st, int verbose)
{
	int64_t grace, suspend;
	int moved = 0;

	ob_dunning_periods(&grace, &suspend);
	if (ob_dunning_run(&c->db, st, grace, suspend, &moved) != 0) {
		ob_log(OB_LOG_WARN, "jobs", "dunning: %s", c->db.lasterr);
		return -1;
	}
	if (verbose)
		printf("dunning transitions: %d\n", moved);
	return 0;
}

int
ob_cli_job_details_push(struct ob_cli *c, struct ob_stripe *st, int verbose)
{
	int pushed = 0;

	if (st == NULL)
		return 0;
	if (ob_invoices_details_push_pending(&c->db, st, 100, &pushed) != 0) {
		ob_log(OB_LOG_WARN, "jobs", "billing details push: %s", c->db.lasterr);
		return -1;
	}
	if (verbose)
		printf("billing details pushed to Stripe: %d\n", pushed);
	return 0;
}

int
ob_cli_job_extra_tasks(struct ob_cli *c, struct ob_stripe *st, int verbose)
{
	int created = 0;

	if (ob_invoices_extra_tasks_run(&c->db, st, &created) != 0) {
		ob_log(OB_LOG_WARN, "jobs", "extra-task items: %s", c->db.lasterr);
		return -1;
	}
	if (verbose)
		printf("extra-task invoice items: %d\n", created);
	return 0;
}

int
ob_cli_job_invoice_reconcile(struct ob_cli *c, struct ob_stripe *st, int verbose)
{
	static time_t last;
	long every = c->cfg.invoice_reconcile_s;
	int applied = 0;

	if (!verbose && last != 0 && time(NULL) - last < every)
		return 0;
	last = time(NULL);
	if (ob_invoices_reconcile(&c->db, st, 20, &applied) != 0) {
		ob_log(OB_LOG_WARN, "jobs", "invoice reconcile: %s", c->db.lasterr);
		return -1;
	}
	if (verbose)
		printf("invoices reconciled: %d\n", applied);
	return 0;
}
