#include "base/db_json.h"

#include <stdlib.h>

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
ob_db_list_json(const PGresult *res, const struct ob_col *cols, int limit,
    const char *obj_name)
{
	cJSON *list = cJSON_CreateObject(), *data, *row;
	int i, n = PQntuples(res);

	cJSON_AddStringToObject(list, "object", "list");
	data = cJSON_AddArrayToObject(list, "data");
	for (i = 0; i < n && (limit < 0 || i < limit); i++) {
		row = ob_db_row_json(res, i, cols);
		if (obj_name != NULL)
			cJSON_AddStringToObject(row, "object", obj_name);
		cJSON_AddItemToArray(data, row);
	}
	cJSON_AddBoolToObject(list, "has_more", limit >= 0 && n > limit);
	return list;
}

cJSON *
ob_db_exec_list(struct ob_db *db, enum ob_stmt s, const char *const *params,
    const struct ob_col *cols, int limit, const char *obj_name)
{
	PGresult *res = ob_db_exec(db, s, params, NULL);
	cJSON *list;

	if (res == NULL)
		return NULL;
	list = ob_db_list_json(res, cols, limit, obj_name);
	PQclear(res);
	return list;
}
