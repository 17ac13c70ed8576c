/*
 * The credits commands of the orgbill CLI (cmd_credits.c).
 */
#ifndef OB_CLI_CREDITS_H
#define OB_CLI_CREDITS_H

#include "cli/cli.h"

/**
 * orgbill verify-ledger: recompute every credit balance from the ledger
 * entries; prints each mismatch and exits 1 if there is any, else prints
 * "ledger ok" and exits 0.
 */
int ob_cli_verify_ledger(struct ob_cli *c, int argc, char **argv);

/**
 * orgbill credits grant (--org ID | --user ID) --amount N --reason TEXT
 * [--source manual|promo|rollover] [--expires T] [--priority P]: an
 * operator's free grant (ob_credits_grant; audited as the system with the
 * reason; "credits add" is the same and needs --reason too); prints its id.
 * orgbill credits plan-grant --org ID --start T --end T --amount N: the
 * period's plan grant (idempotent); prints its id.
 */
int ob_cli_credits(struct ob_cli *c, int argc, char **argv);

#endif
