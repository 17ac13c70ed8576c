#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "migrate.h"

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
	if (ob_migrate_current(&c->db, &v, err, sizeof(err)) != 0)
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
	if (ob_migrate_current(&c->db, &v, err, sizeof(err)) != 0)
		return ob_cli_fail(c, "%s", err);
	printf("%ld\n", v);
	return 0;
}

int
ob_cli_seed_demo(struct ob_cli *c, int argc, char **argv)
{
	char path[4096];
	FILE *f;
	char *sql = NULL;
	long n;
	int rc = 1;

	if (no_args(c, argc, argv) != 0)
		return 2;
	snprintf(path, sizeof(path), "%s/demo.sql", c->cfg.sql_dir);
	if ((f = fopen(path, "r")) == NULL)
		return ob_cli_fail(c, "seed-demo: cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (4L << 20) ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return ob_cli_fail(c, "seed-demo: %s: unreadable or too large", path);
	}
	sql = calloc(1, (size_t)n + 1);
	if (sql == NULL || fread(sql, 1, (size_t)n, f) != (size_t)n) {
		ob_cli_fail(c, "seed-demo: %s: read error", path);
		goto out;
	}
	/* demo.sql wraps itself in one transaction and is idempotent. */
	if (ob_db_exec_script(&c->db, sql) != 0) {
		ob_cli_fail(c, "seed-demo: %s", c->db.lasterr);
		goto out;
	}
	printf("demo data loaded\n");
	rc = 0;
out:
	fclose(f);
	free(sql);
	return rc;
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
