#include "sync/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/row.h"
#include "base/num.h"

/* How long a claimed event is left to the worker applying it (then retried). */
#define OB_WH_CLAIM_S 120

/* "\x<hex>" for a bytea parameter; malloc'd. */
static char *
bytea_param(const char *p, size_t len)
{
	char *out = ob_xmalloc(len * 2 + 3);

	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, len * 2 + 1, (const unsigned char *)p, len);
	return out;
}

enum ob_wh_store
ob_wh_store(struct ob_db *db, const struct ob_whevent *ev, const char *payload, size_t len)
{
	char created[24], *hex = bytea_param(payload, len);
	const char *params[7] = { ev->id, ev->type, ev->object_id, ev->object_type, created,
	    ev->livemode ? "true" : "false", hex };
	PGresult *res;
	enum ob_wh_store st;

	ob_num_str(created, sizeof(created), ev->created);
	res = ob_db_exec(db, OB_STMT_WH_INSERT, params, NULL);
	free(hex);
	if (res == NULL)
		return OB_WH_STORE_ERROR;
	st = PQntuples(res) == 1 ? OB_WH_STORED : OB_WH_DUPLICATE;
	PQclear(res);
	return st;
}

long
ob_wh_backoff(int attempts)
{
	long s = 30;

	while (attempts-- > 1 && s < 6 * 3600)
		s *= 2;
	return s > 6 * 3600 ? 6 * 3600 : s;
}

static void
record_attempt(struct ob_db *db, const char *id, const char *source, const char *outcome,
    const char *error)
{
	const char *params[4] = { id, source, outcome, error };

	if (ob_db_run(db, OB_STMT_WH_ATTEMPT, params) != 0)
		ob_log(OB_LOG_WARN, "webhook_attempt", "%s", db->lasterr);
}

/* Mark the event failed (own transaction) with a retry time. */
static enum ob_wh_result
fail_event(struct ob_wh_ctx *cx, const char *id, int attempts, const char *error)
{
	char secs[24];
	const char *params[3] = { id, error, secs };

	ob_num_str(secs, sizeof(secs), ob_wh_backoff(attempts + 1));
	if (ob_db_begin(cx->db) != 0)
		return OB_WH_ERROR;
	if (ob_db_run(cx->db, OB_STMT_WH_FAILED, params) != 0) {
		ob_db_rollback(cx->db);
		return OB_WH_ERROR;
	}
	record_attempt(cx->db, id, cx->source, "failed", error);
	if (ob_db_commit(cx->db) != 0)
		return OB_WH_ERROR;
	ob_log(OB_LOG_WARN, "webhook_failed", "%s: %s (retry in %s s)", id, error, secs);
	return OB_WH_FAILED;
}

/*
 * Lock the stored event for applying: its attempts so far and its raw
 * payload (*raw, PQfreemem it). 0; 1 if another worker holds or has
 * claimed it, it is unknown or already done; -1 on a database failure.
 */
static int
lock_event(struct ob_db *db, const char *event_id, int *attempts,
    unsigned char **raw, size_t *n)
{
	const char *params[1] = { event_id };
	PGresult *res;
	char status[16];
	int claimed;

	if ((res = ob_db_exec(db, OB_STMT_WH_LOCK, params, NULL)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		/* Locked by another worker applying it right now, or unknown. */
		PQclear(res);
		return 1;
	}
	*attempts = (int)ob_row_i64(res, 0, "attempts");
	snprintf(status, sizeof(status), "%s", ob_row_str(res, 0, "status"));
	claimed = ob_row_bool(res, 0, "claimed");
	*raw = PQunescapeBytea((const unsigned char *)ob_row_str(res, 0, "payload"), n);
	PQclear(res);
	if (strcmp(status, "processed") == 0 || strcmp(status, "skipped") == 0 ||
	    claimed || *raw == NULL)
		return 1;
	return 0;
}

/* 1 if a newer snapshot of ev's object was already applied, 0 if not, -1 on failure. */
static int
superseded(struct ob_db *db, const struct ob_whevent *ev, const char *event_id)
{
	char created[24];
	const char *params[4] = { ev->object_id, ev->type, event_id, created };
	PGresult *res;
	int n;

	ob_num_str(created, sizeof(created), ev->created);
	if ((res = ob_db_exec(db, OB_STMT_WH_NEWER, params, NULL)) == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n > 0;
}

/*
 * Claim the locked event for OB_WH_CLAIM_S seconds and commit: its lock
 * goes, and no other worker applies it while the handler fetches from
 * Stripe with no transaction open. 0 or -1.
 */
static int
claim_event(struct ob_db *db, const char *event_id)
{
	char secs[16];
	const char *params[2] = { event_id, secs };

	ob_num_str(secs, sizeof(secs), OB_WH_CLAIM_S);
	if (ob_db_run(db, OB_STMT_WH_CLAIM, params) != 0)
		return -1;
	return ob_db_commit(db);
}

/* Mark the event done with outcome, record the attempt, commit. 0 or -1. */
static int
finish_event(struct ob_wh_ctx *cx, const char *event_id, const char *outcome,
    int64_t org_id)
{
	char org[24];
	const char *params[3] = { event_id, outcome, org };

	ob_num_str(org, sizeof(org), org_id);
	if (ob_db_run(cx->db, OB_STMT_WH_DONE, params) != 0)
		return -1;
	record_attempt(cx->db, event_id, cx->source, outcome, NULL);
	return ob_db_commit(cx->db);
}

/*
 * Apply the claimed event with handler h, no transaction open on entry:
 * the fetch step (Stripe, no transaction), then one transaction that
 * re-checks the event is not superseded, runs the apply step (cx->stripe
 * NULL: it cannot call Stripe) and marks the event done.
 */
static enum ob_wh_result
apply_claimed(struct ob_wh_ctx *cx, const struct ob_wh_handler *h, const cJSON *root,
    const struct ob_whevent *ev, const char *event_id, int attempts)
{
	struct ob_wh_pre pre = { 0 };
	struct ob_wh_ctx acx = *cx;
	struct ob_fail f = { 0 };
	int64_t org_id = 0;
	const char *outcome = "processed";
	enum ob_wh_result rc = OB_WH_ERROR;
	int k;

	pre.seen = ev->created;
	if (h->fetch(cx, root, &pre, &f) != 0) {
		rc = fail_event(cx, event_id, attempts, f.message[0] ? f.message : "fetch failed");
		goto out;
	}
	acx.stripe = NULL;
	acx.pre = &pre;
	if (ob_db_begin(cx->db) != 0)
		goto dberr;
	if (h->snapshot && ev->object_id[0] != '\0') {
		/* A newer snapshot applied while we fetched: this one changes nothing. */
		if ((k = superseded(cx->db, ev, event_id)) < 0)
			goto dberr;
		if (k > 0)
			outcome = "skipped";
	}
	if (strcmp(outcome, "processed") == 0 && h->fn(&acx, root, &org_id, &f) != 0) {
		ob_db_rollback(cx->db);
		rc = fail_event(cx, event_id, attempts, f.message[0] ? f.message : "handler failed");
		goto out;
	}
	if (finish_event(cx, event_id, outcome, org_id) != 0)
		goto dberr;
	rc = strcmp(outcome, "processed") == 0 ? OB_WH_PROCESSED : OB_WH_SKIPPED;
	goto out;
dberr:
	ob_log(OB_LOG_ERROR, "webhook_db", "%s: %s", event_id, cx->db->lasterr);
	ob_db_rollback(cx->db);
out:
	ob_wh_pre_clear(&pre);
	return rc;
}

enum ob_wh_result
ob_wh_apply(struct ob_wh_ctx *cx, const char *event_id)
{
	const struct ob_wh_handler *h;
	struct ob_whevent ev;
	unsigned char *raw = NULL;
	cJSON *root = NULL;
	size_t n = 0;
	int attempts = 0, k;
	enum ob_wh_result rc = OB_WH_ERROR;

	if (ob_db_in_tx(cx->db)) {
		/* Its fetch step would call Stripe inside the caller's transaction. */
		ob_log(OB_LOG_ERROR, "webhook_in_transaction", "%s: not applied inside a transaction",
		    event_id);
		return OB_WH_ERROR;
	}
	if (ob_db_begin(cx->db) != 0)
		return OB_WH_ERROR;
	if ((k = lock_event(cx->db, event_id, &attempts, &raw, &n)) != 0) {
		if (k < 0)
			goto dberr;
		ob_db_rollback(cx->db);
		rc = OB_WH_BUSY;
		goto out;
	}
	if (ob_whevent_parse((const char *)raw, n, &ev, &root) != 0) {
		ob_db_rollback(cx->db);
		rc = fail_event(cx, event_id, attempts, "stored payload does not parse");
		goto out;
	}
	h = ob_wh_handler_for(ev.type);
	if (h != NULL && h->snapshot && ev.object_id[0] != '\0') {
		/* An older snapshot than one already applied changes nothing. */
		if ((k = superseded(cx->db, &ev, event_id)) < 0)
			goto dberr;
		if (k > 0)
			h = NULL;	/* superseded: skip */
	}
	if (h == NULL) {
		if (finish_event(cx, event_id, "skipped", 0) != 0)
			goto dberr;
		rc = OB_WH_SKIPPED;
		goto out;
	}
	/* Claimed and committed: the event row stays unlocked while Stripe is asked. */
	if (claim_event(cx->db, event_id) != 0)
		goto dberr;
	rc = apply_claimed(cx, h, root, &ev, event_id, attempts);
	goto out;
dberr:
	ob_log(OB_LOG_ERROR, "webhook_db", "%s: %s", event_id, cx->db->lasterr);
	ob_db_rollback(cx->db);
	rc = OB_WH_ERROR;
out:
	cJSON_Delete(root);
	PQfreemem(raw);
	return rc;
}

int
ob_wh_run_due(struct ob_wh_ctx *cx, int limit, int *applied)
{
	char max[16], lim[16];
	const char *params[2] = { max, lim };
	PGresult *res;
	char **ids;
	int i, n;
	enum ob_wh_result r;

	*applied = 0;
	ob_num_str(max, sizeof(max), OB_WH_MAX_ATTEMPTS);
	ob_num_str(lim, sizeof(lim), limit);
	if ((res = ob_db_exec(cx->db, OB_STMT_WH_DUE, params, NULL)) == NULL)
		return -1;
	n = PQntuples(res);
	ids = ob_xcalloc((size_t)n + 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = ob_xstrdup(ob_row_str(res, i, "id"));
	PQclear(res);
	for (i = 0; i < n; i++) {
		r = ob_wh_apply(cx, ids[i]);
		if (r == OB_WH_PROCESSED || r == OB_WH_SKIPPED)
			(*applied)++;
		free(ids[i]);
	}
	free(ids);
	return 0;
}

int
ob_wh_rearm(struct ob_db *db, const char *event_id)
{
	const char *params[1] = { event_id };
	PGresult *res = ob_db_exec(db, OB_STMT_WH_REARM, params, NULL);
	int found;

	if (res == NULL)
		return -1;
	found = PQntuples(res) == 1;
	PQclear(res);
	return found ? 0 : 1;
}
