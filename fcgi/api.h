/*
 * JSON API helpers: bodies in, objects and errors out, and the
 * Idempotency-Key envelope every API mutation runs inside.
 */
#ifndef OB_API_H
#define OB_API_H

#include <stdint.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "base/fail.h"
#include "fcgi/req.h"

/** The mutation context of this request: who, request id, address. */
void ob_api_actx(struct ob_req *r, struct ob_actx *ax);

/** Answer with obj serialized (obj is not freed). */
void ob_api_json(struct ob_req *r, int status, const cJSON *obj);

/**
 * Answer 200 with obj and free it; a NULL obj (a core read failed on the
 * database) returns -1, which the worker answers with 503.
 */
int ob_api_answer(struct ob_req *r, cJSON *obj);

/** Answer a core failure in the API's error shape (or as a page off /api/). */
void ob_api_fail(struct ob_req *r, const struct ob_fail *f);

/**
 * Answer 400 invalid_request for a database data exception (SQLSTATE class
 * 22, ob_db_data_error): the backstop behind the input checks, never 503.
 */
void ob_api_data_error(struct ob_req *r);

/** The HTTP status for a failure kind. */
int ob_api_fail_status(enum ob_fail_kind k);

/**
 * A handler's outcome for a core failure: ob_api_fail and 0, or -1
 * without an answer for a database failure (the worker's 503).
 */
int ob_api_failed(struct ob_req *r, const struct ob_fail *f);

/** Answer 200 {"object": object, "url": url} (a portal session). */
void ob_api_url(struct ob_req *r, const char *object, const char *url);

/**
 * A list's paging from the query: limit (1 to max, def when absent; 400
 * invalid_limit) and, when after is not NULL, starting_after (an id from
 * a previous page, 0 when absent or empty; 400 invalid_cursor). 0, or -1
 * after answering.
 */
int ob_api_paging(struct ob_req *r, int def, int max, int *limit, int64_t *after);

/**
 * The request body as a JSON object: requires Content-Type
 * application/json and an object at the top. Parsed once and kept on the
 * request (r->json, freed with it: callers do not delete it); a route
 * with a JSON field table has it parsed before its handler runs. NULL
 * after answering 400/415.
 */
cJSON *ob_api_body(struct ob_req *r);

/**
 * The request's Idempotency-Key into *key (NULL when absent and not
 * required). Returns 0, or -1 after answering 400 with the one error code
 * for a missing (idempotency_key_required) or malformed
 * (invalid_idempotency_key) key — every route that takes a key uses this.
 */
int ob_api_idem_key(struct ob_req *r, int required, const char **key);

/*
 * A mutation's work inside the idempotency envelope: fill *status and
 * *out (a new cJSON the envelope frees), or return -1 with f set.
 */
typedef int (*ob_api_op_fn)(struct ob_req *r, void *arg, int *status, cJSON **out,
    struct ob_fail *f);

/**
 * Run op in one transaction with its Idempotency-Key record for org_id:
 * the first answer is stored and replayed for a retry with the same key and
 * request (Idempotent-Replayed: true); the same key with another request is
 * a 409 idempotency_error. require_key: refuse (400) a request without the
 * header. Always leaves r answered.
 */
void ob_api_idempotent(struct ob_req *r, int64_t org_id, int require_key,
    ob_api_op_fn op, void *arg);

/**
 * ob_api_idempotent for a JSON request: parse the body (answering 400/415
 * if it is not a JSON object) and run op with it as arg, in the request's
 * org (r->who.org_id).
 */
void ob_api_idempotent_json(struct ob_req *r, int require_key, ob_api_op_fn op);

#endif
