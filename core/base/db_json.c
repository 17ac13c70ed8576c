#include "base/db_json.h"

#include <stdlib.h>

#include "base/json.h"
#include "base/row.h"

cJSON *
ob_db_row_json(const PGresult *res, int i, const struct ob_col *cols)
{
	cJSON *o = cJSON_CreateObject(), *j;
	const char *v;
	int c;

	for (c = 0; cols[c].name != NULL; c++) {
		if (cols[c].kind == OB_COL_SKIP)
			continue;
		v = ob_row_str(res, i, cols[c].name);
		switch (cols[c].kind) {
		case OB_COL_STR:
			cJSON_AddStringToObject(o, cols[c].name, v);
			break;
		case OB_COL_BOOL:
			cJSON_AddBoolToObject(o, cols[c].name, v[0] == 't');
			break;
		case OB_COL_INT:
			cJSON_AddNumberToObject(o, cols[c].name, (double)strtoll(v, NULL, 10));
			break;
		case OB_COL_JSON:
			j = cJSON_Parse(v);
			cJSON_AddItemToObject(o, cols[c].name, j != NULL ? j : cJSON_CreateNull());
			break;
		case OB_COL_SKIP:
			break;
		}
	}
	return o;
}

cJSON *
ob_db_list_rows(const PGresult *res, int limit, ob_db_row_fn *fn, const void *arg)
{
	cJSON *list = cJSON_CreateObject(), *data;
	int i, n = PQntuples(res);

	cJSON_AddStringToObject(list, "object", "list");
	data = cJSON_AddArrayToObject(list, "data");
	for (i = 0; i < n && (limit < 0 || i < limit); i++)
		cJSON_AddItemToArray(data, fn(res, i, arg));
	cJSON_AddBoolToObject(list, "has_more", limit >= 0 && n > limit);
	return list;
}

cJSON *
ob_db_exec_rows(struct ob_db *db, enum ob_stmt s, const char *const *params, int limit,
    ob_db_row_fn *fn, const void *arg)
{
	PGresult *res = ob_db_exec(db, s, params, NULL);
	cJSON *list;

	if (res == NULL)
		return NULL;
	list = ob_db_list_rows(res, limit, fn, arg);
	PQclear(res);
	return list;
}

/* What ob_db_list_json lists by: the column table and each row's "object". */
struct col_list {
	const struct ob_col *cols;
	const char *obj_name;
};

static cJSON *
col_row(const PGresult *res, int i, const void *arg)
{
	const struct col_list *cl = arg;
	cJSON *row = ob_db_row_json(res, i, cl->cols);

	if (cl->obj_name != NULL)
		cJSON_AddStringToObject(row, "object", cl->obj_name);
	return row;
}

cJSON *
ob_db_list_json(const PGresult *res, const struct ob_col *cols, int limit,
    const char *obj_name)
{
	struct col_list cl = { cols, obj_name };

	return ob_db_list_rows(res, limit, col_row, &cl);
}

cJSON *
ob_db_exec_list(struct ob_db *db, enum ob_stmt s, const char *const *params,
    const struct ob_col *cols, int limit, const char *obj_name)
{
	struct col_list cl = { cols, obj_name };

	return ob_db_exec_rows(db, s, params, limit, col_row, &cl);
}

void
ob_db_add_text(cJSON *o, const PGresult *res, int row, const char *name)
{
	const char *s = ob_row_str(res, row, name);

	if (*s == '\0')
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddStringToObject(o, name, s);
}

void
ob_db_add_i64(cJSON *o, const PGresult *res, int row, const char *name)
{
	if (ob_row_null(res, row, name))
		cJSON_AddNullToObject(o, name);
	else
		ob_json_add_i64(o, name, ob_row_i64(res, row, name));
}
