#include "base/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/row.h"
#include "base/num.h"

#define MIGRATION_MAX	(4L * 1024 * 1024)

static int
migration_name(const struct dirent *d)
{
	const char *n = d->d_name;
	size_t len = strlen(n);

	return len > 8 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' &&
	    n[1] <= '9' && n[2] >= '0' && n[2] <= '9' && n[3] == '_' &&
	    strcmp(n + len - 4, ".sql") == 0;
}

/* Read a whole file (at most MIGRATION_MAX bytes) into a new string. */
static char *
slurp(const char *path, char *err, size_t errlen)
{
	FILE *f;
	struct stat st;
	char *buf = NULL;

	if ((f = fopen(path, "r")) == NULL || fstat(fileno(f), &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size > MIGRATION_MAX) {
		snprintf(err, errlen, "%s: larger than %ld bytes", path, MIGRATION_MAX);
		goto out;
	}
	buf = ob_xmalloc((size_t)st.st_size + 1);
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		snprintf(err, errlen, "%s: short read", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[st.st_size] = '\0';
out:
	if (f != NULL)
		fclose(f);
	return buf;
}

static int
migrate_one(struct ob_db *db, const char *dir, const char *file, int *applied,
    char *err, size_t errlen)
{
	char path[4096], version[8];
	const char *params[2];
	PGresult *res;
	char *sql = NULL;
	int rc = -1, done;

	ob_num_str(version, sizeof(version), atoi(file));
	params[0] = version;
	params[1] = file;
	if ((res = ob_db_exec(db, OB_STMT_MIGRATION_APPLIED, params, NULL)) == NULL) {
		snprintf(err, errlen, "%s", db->lasterr);
		return -1;
	}
	done = PQntuples(res) > 0;
	PQclear(res);
	if (done)
		return 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((sql = slurp(path, err, errlen)) == NULL)
		return -1;
	if (ob_db_begin(db) != 0)
		goto fail;
	if (ob_db_exec_script(db, sql) != 0)
		goto fail;
	if (ob_db_run(db, OB_STMT_MIGRATION_RECORD, params) != 0)
		goto fail;
	if (ob_db_commit(db) != 0)
		goto fail;
	ob_log(OB_LOG_INFO, "migration_applied", "%s", file);
	(*applied)++;
	rc = 0;
	goto out;
fail:
	snprintf(err, errlen, "%s: %s", file, db->lasterr);
	ob_db_rollback(db);
out:
	free(sql);
	return rc;
}

int
ob_migrate_run(struct ob_db *db, const char *sql_dir, int *applied,
    char *err, size_t errlen)
{
	struct dirent **names = NULL;
	char dir[4096];
	int n = -1, i, rc = -1, locked = 0;

	*applied = 0;
	snprintf(dir, sizeof(dir), "%s/migrations", sql_dir);
	if ((n = scandir(dir, &names, migration_name, alphasort)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (ob_db_run(db, OB_STMT_MIGRATE_LOCK, NULL) != 0)
		goto dberr;
	locked = 1;
	if (ob_db_run(db, OB_STMT_MIGRATE_TABLE, NULL) != 0)
		goto dberr;
	for (i = 0; i < n; i++)
		if (migrate_one(db, dir, names[i]->d_name, applied, err, errlen) != 0)
			goto out;
	rc = 0;
	goto out;
dberr:
	snprintf(err, errlen, "%s", db->lasterr);
out:
	if (locked)
		ob_db_run(db, OB_STMT_MIGRATE_UNLOCK, NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
ob_migrate_current(struct ob_db *db, long *version, long *count, char *err,
    size_t errlen)
{
	PGresult *res;
	const char *state;

	res = ob_db_exec(db, OB_STMT_SCHEMA_VERSION, NULL, &state);
	if (res == NULL) {
		/* No table: the statement could not even be prepared. */
		if (strcmp(state, "42P01") == 0 || strcmp(state, "26000") == 0)
			snprintf(err, errlen, "database not migrated (run: orgbill migrate)");
		else
			snprintf(err, errlen, "%s", db->lasterr);
		return -1;
	}
	*version = (long)ob_row_i64(res, 0, "version");
	if (count != NULL)
		*count = (long)ob_row_i64(res, 0, "migrations");
	PQclear(res);
	return 0;
}
