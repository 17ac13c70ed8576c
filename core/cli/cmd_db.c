#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/migrate.h"

/* Commands that take no arguments refuse any. */
static int
no_args(struct ob_cli *c, int argc, char **argv)
{
	if (argc > 1) {
		ob_cli_fail(c, "%s: unexpected argument '%s'", argv[0], argv[1]);
		return -1;
	}
	return 0;
}

int
ob_cli_migrate(struct ob_cli *c, int argc, char **argv)
{
	char err[512];
	int applied;
	long v;

	if (no_args(c, argc, argv) != 0)
		return 2;
	if (ob_migrate_run(&c->db, c->cfg.sql_dir, &applied, err, sizeof(err)) != 0)
		return ob_cli_fail(c, "migrate: %s", err);
	if (ob_migrate_current(&c->db, &v, NULL, err, sizeof(err)) != 0)
		return ob_cli_fail(c, "migrate: %s", err);
	printf("applied %d migration%s; schema version %ld\n", applied,
	    applied == 1 ? "" : "s", v);
	return 0;
}

int
ob_cli_schema_version(struct ob_cli *c, int argc, char **argv)
{
	char err[512];
	long v;

	if (no_args(c, argc, argv) != 0)
		return 2;
	if (ob_migrate_current(&c->db, &v, NULL, err, sizeof(err)) != 0)
		return ob_cli_fail(c, "%s", err);
	printf("%ld\n", v);
	return 0;
}

int
ob_cli_config(struct ob_cli *c, int argc, char **argv)
{
	struct ob_buf b = OB_BUF_INIT;

	if (no_args(c, argc, argv) != 0)
		return 2;
	ob_cfg_dump(&c->cfg, &b);
	fputs(b.data, stdout);
	ob_buf_free(&b);
	return 0;
}
