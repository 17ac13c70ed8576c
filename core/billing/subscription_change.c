/*
 * ob_subscription_change: a request to change an org's subscription, run
 * under the org's lock. The same Idempotency-Key again replays the answer
 * recorded for it, or resumes its pending operation; a new request first
 * finishes another pending operation, is resolved, and is then written as
 * a pending operation and run (subscription_ops.c; a change at the
 * period's end is a "schedule" operation, subscription_schedule.c).
 */
#include "billing/subscription_int.h"

#include <string.h>

#include <sodium.h>

#include "base/idem.h"
#include "base/row.h"
#include "base/num.h"
#include "base/json.h"

/*
 * Look up (org, key): 0 not found; 1 replay (*ans set from the recorded
 * answer); 2 resume (op filled); -1 with f (mismatch or database failure).
 */
static int
claim_lookup(struct ob_db *db, int64_t org_id, const char *key, const char *hash_hex,
    struct ob_sub_op *op, struct ob_sub_answer *ans, struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { org, key };
	PGresult *res;
	int rc = 0;

	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_BOP_GET, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(res) == 0)
		goto out;
	if (strcmp(ob_row_str(res, 0, "request_hash"), hash_hex) != 0) {
		rc = ob_idem_fail_reused(f);
		goto out;
	}
	if (strcmp(ob_row_str(res, 0, "status"), "pending") == 0) {
		rc = ob_sub_op_from_row(res, 0, op) == 0 ? 2 : ob_fail_db(f, "bad operation params");
		goto out;
	}
	ans->fail = ob_sub_op_outcome(ob_row_i64(res, 0, "outcome"));
	ans->created = ans->fail == OB_FAIL_NONE && strcmp(ob_row_str(res, 0, "kind"), "create") == 0;
	ans->replayed = 1;
	ans->body = cJSON_Parse(ob_row_str(res, 0, "response_body"));
	rc = ans->body != NULL ? 1 : ob_fail_db(f, "bad stored answer");
out:
	PQclear(res);
	return rc;
}

/*
 * The key and hash of a change: without idem_key, a random "auto-" key
 * (into keybuf) with a random hash; with a key but no hash, zeros. The
 * hash as hex into hash_hex.
 */
static void
idem_setup(const char **idem_key, const unsigned char **hash, char keybuf[64],
    unsigned char h[32], char hash_hex[65])
{
	unsigned char rnd[16];

	if (*idem_key == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		memcpy(keybuf, "auto-", 5);
		ob_sub_hex(rnd, sizeof(rnd), keybuf + 5);
		*idem_key = keybuf;
		randombytes_buf(h, 32);
		*hash = h;
	} else if (*hash == NULL) {
		memset(h, 0, 32);
		*hash = h;
	}
	ob_sub_hex(*hash, 32, hash_hex);
}

/*
 * A new change (the caller holds the org's lock): finish another pending
 * operation first, resolve the request, then record it. 2: written as a
 * pending operation (op filled, op->params owned by the caller); -1 with f.
 */
static int
start_change(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const char *kind, const char *idem_key, const char *hash_hex, const cJSON *body,
    struct ob_sub_op *op, struct ob_fail *f)
{
	struct ob_sub cur;
	cJSON *params = NULL;
	int had, scheduled = 0;

	if (ob_sub_drain_pending(ax, st, org_id, f) != 0)
		return -1;
	if ((had = ob_subscription_load(ax->db, org_id, &cur)) < 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (ob_sub_resolve(ax, st, org_id, kind, &cur, had, body, &params, &scheduled, f) != 0) {
		cJSON_Delete(params);
		return -1;
	}
	/* (1) the operation, pending, in its own short transaction. */
	ob_sub_copy(op->kind, sizeof(op->kind), scheduled ? "schedule" : kind);
	op->params = params;
	return ob_sub_op_insert(ax->db, org_id, idem_key, hash_hex, op, f) == 0 ? 2 : -1;
}

int
ob_subscription_change(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const char *kind, const char *idem_key, const unsigned char *hash, const cJSON *body,
    struct ob_sub_answer *ans, struct ob_fail *f)
{
	unsigned char h[32];
	char keybuf[64], hash_hex[65];
	struct ob_sub_op op = { 0 };
	int locked = 0, rc = -1, r;

	memset(ans, 0, sizeof(*ans));
	idem_setup(&idem_key, &hash, keybuf, h, hash_hex);
	if (ob_sub_lock(ax->db, org_id, &locked) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (!locked)
		return ob_fail(f, OB_FAIL_CONFLICT, "change_in_progress", NULL,
		    "Another change to this subscription is in progress; try again.");
	/* The same key again: replay its answer (1), or resume it (2). */
	r = claim_lookup(ax->db, org_id, idem_key, hash_hex, &op, ans, f);
	if (r == 0)
		r = start_change(ax, st, org_id, kind, idem_key, hash_hex, body, &op, f);
	if (r == 1)
		rc = 0;	/* replayed */
	/*
	 * (2) the Stripe call and (3) its application. When Stripe refuses,
	 * the operation records the error as its answer and this call fails
	 * with f.
	 */
	if (r == 2)
		rc = ob_sub_op_exec(ax, st, org_id, &op, ans, f) == 0 ? 0 : -1;
	ob_sub_unlock(ax->db, org_id);
	cJSON_Delete(op.params);
	return rc;
}
