#include "fcgi/api.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fcgi/input.h"
#include "base/idem.h"
#include "base/log.h"
#include "base/num.h"
#include "fcgi/worker.h"

void
ob_api_json(struct ob_req *r, int status, const cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);

	if (s == NULL) {
		ob_resp_error(r, 500, "api_error", "internal", "Could not encode the answer.", NULL);
		return;
	}
	ob_resp_json(r, status, s, strlen(s));
	ob_buf_putc(&r->resp_body, '\n');
	free(s);
}

int
ob_api_answer(struct ob_req *r, cJSON *obj)
{
	if (obj == NULL)
		return -1;
	ob_api_json(r, 200, obj);
	cJSON_Delete(obj);
	return 0;
}

int
ob_api_fail_status(enum ob_fail_kind k)
{
	switch (k) {
	case OB_FAIL_INVALID: return 400;
	case OB_FAIL_PAYMENT: return 402;
	case OB_FAIL_FORBIDDEN: return 403;
	case OB_FAIL_NOT_FOUND: return 404;
	case OB_FAIL_CONFLICT: return 409;
	case OB_FAIL_IDEMPOTENCY: return 409;
	case OB_FAIL_UPSTREAM: return 502;
	case OB_FAIL_DB: return 503;
	case OB_FAIL_NONE: break;
	}
	return 500;
}

int
ob_api_failed(struct ob_req *r, const struct ob_fail *f)
{
	if (f->kind == OB_FAIL_DB)
		return -1;
	ob_api_fail(r, f);
	return 0;
}

void
ob_api_url(struct ob_req *r, const char *object, const char *url)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "object", object);
	cJSON_AddStringToObject(o, "url", url);
	ob_api_json(r, 200, o);
	cJSON_Delete(o);
}

int
ob_api_paging(struct ob_req *r, int def, int max, int *limit, int64_t *after)
{
	const char *l = ob_query_get(r, "limit"), *s;
	int64_t v;

	*limit = def;
	if (l != NULL) {
		if (ob_num_parse(l, 1, max, &v) != 0) {
			ob_worker_error(r, 400, "invalid_request_error", "invalid_limit",
			    ob_arena_printf(r->a, "limit must be an integer from 1 to %d.", max), "limit");
			return -1;
		}
		*limit = (int)v;
	}
	if (after == NULL)
		return 0;
	*after = 0;
	s = ob_query_get(r, "starting_after");
	if (s != NULL && *s != '\0' && (*after = ob_num_id(s)) == 0) {
		ob_worker_error(r, 400, "invalid_request_error", "invalid_cursor",
		    "starting_after must be an id from a previous page.", "starting_after");
		return -1;
	}
	return 0;
}

static const char *
fail_type(enum ob_fail_kind k)
{
	switch (k) {
	case OB_FAIL_FORBIDDEN: return "permission_error";
	case OB_FAIL_IDEMPOTENCY: return "idempotency_error";
	case OB_FAIL_UPSTREAM:
	case OB_FAIL_DB: return "api_error";
	default: return "invalid_request_error";
	}
}

void
ob_api_fail(struct ob_req *r, const struct ob_fail *f)
{
	int status = ob_api_fail_status(f->kind);

	if (f->kind == OB_FAIL_DB && r->w != NULL && ob_db_data_error(&r->w->db)) {
		ob_api_data_error(r);
		return;
	}
	ob_worker_error(r, status, fail_type(f->kind), f->code ? f->code : "error",
	    f->message, f->param);
	if (status == 503)
		ob_resp_header(r, "Retry-After", "1");
}

void
ob_api_data_error(struct ob_req *r)
{
	ob_log(OB_LOG_WARN, "db_data_error", "%s %s: SQLSTATE %s answered 400", r->method,
	    r->pattern != NULL ? r->pattern : r->path, r->w->db.sqlstate);
	ob_worker_error(r, 400, "invalid_request_error", "invalid_request",
	    "A value in the request is out of range or not valid.", NULL);
}

int
ob_api_idem_key(struct ob_req *r, int required, const char **key)
{
	struct ob_fail f = { 0 };

	*key = ob_header(r, "HTTP_IDEMPOTENCY_KEY");
	if (*key == NULL && !required)
		return 0;
	if (*key == NULL)
		ob_fail(&f, OB_FAIL_INVALID, "idempotency_key_required", "Idempotency-Key",
		    "This request needs an Idempotency-Key header (1 to %d printable ASCII "
		    "characters).", OB_IDEM_KEY_MAX);
	else if (ob_idem_check_key(*key, &f) == 0)
		return 0;
	ob_api_fail(r, &f);
	return -1;
}

void
ob_api_idempotent(struct ob_req *r, int64_t org_id, int require_key,
    ob_api_op_fn op, void *arg)
{
	const char *key;
	struct ob_db *db = &r->w->db;
	unsigned char hash[32];
	struct ob_fail f = { 0 };
	cJSON *out = NULL;
	char *body = NULL;
	int status = 0;

	if (ob_api_idem_key(r, require_key, &key) != 0)
		return;
	if (ob_db_begin(db) != 0) {
		ob_fail_db(&f, db->lasterr);
		ob_api_fail(r, &f);
		return;
	}
	if (key != NULL) {
		ob_idem_hash(r->method, r->path, r->body, r->body_len, hash);
		switch (ob_idem_claim(db, org_id, key, hash, &status, &body)) {
		case OB_IDEM_NEW:
			break;
		case OB_IDEM_REPLAY:
			ob_db_rollback(db);
			ob_resp_json(r, status, body, strlen(body));
			ob_resp_header(r, "Idempotent-Replayed", "true");
			free(body);
			return;
		case OB_IDEM_MISMATCH:
			ob_db_rollback(db);
			ob_idem_fail_reused(&f);
			ob_api_fail(r, &f);
			return;
		case OB_IDEM_ERROR:
			ob_fail_db(&f, db->lasterr);
			ob_db_rollback(db);
			ob_api_fail(r, &f);
			return;
		}
	}
	if (op(r, arg, &status, &out, &f) != 0) {
		ob_db_rollback(db);
		ob_api_fail(r, &f);
		cJSON_Delete(out);
		return;
	}
	ob_api_json(r, status, out);
	cJSON_Delete(out);
	if (key != NULL && ob_idem_finish(db, org_id, key, status, r->resp_body.data) != 0) {
		ob_fail_db(&f, db->lasterr);
		ob_db_rollback(db);
		ob_api_fail(r, &f);
		return;
	}
	if (ob_db_commit(db) != 0) {
		ob_fail_db(&f, db->lasterr);
		ob_api_fail(r, &f);
	}
}

void
ob_api_actx(struct ob_req *r, struct ob_actx *ax)
{
	memset(ax, 0, sizeof(*ax));
	ax->db = &r->w->db;
	ax->who = &r->who;
	ax->request_id = r->request_id;
	ax->ip = r->remote_addr;
}

void
ob_api_idempotent_json(struct ob_req *r, int require_key, ob_api_op_fn op)
{
	cJSON *body = ob_api_body(r);

	if (body == NULL)
		return;
	ob_api_idempotent(r, r->who.org_id, require_key, op, body);
}
