/*
 * ob_audit: the audit log. Every mutation writes one row in the same
 * transaction as the change: who (user, key, staff, system), which org,
 * what, before/after as JSON, the request id and IP, and the reason staff
 * must give.
 */
#ifndef OB_AUDIT_H
#define OB_AUDIT_H

#include <stdint.h>

#include <cJSON.h>

#include "base/db.h"
#include "base/fail.h"
#include "identity/principal.h"

/* The context of one mutation: who does it, from where, and why. */
struct ob_actx {
	struct ob_db *db;
	const struct ob_principal *who;	/* NULL: the system (CLI, jobs) */
	const char *request_id;
	const char *ip;
	const char *reason;		/* required when staff act (as_staff) */
	int as_staff;			/* a staff-console action: audited as staff */
};

/**
 * Write one audit row for org_id (0: none). before/after may be NULL (JSON
 * null). Must run inside the mutation's transaction. Returns 0 or -1.
 */
int ob_audit_write(const struct ob_actx *ax, int64_t org_id, const char *action,
    const char *target_type, const char *target_id, const cJSON *before,
    const cJSON *after);

/**
 * End a mutation: write its audit row (as ob_audit_write) and commit the
 * transaction; action NULL writes no row (nothing changed, e.g. a replay)
 * and only commits. 0, or -1 with f holding a database failure and the
 * whole transaction rolled back. before/after stay the caller's.
 */
int ob_audit_commit(const struct ob_actx *ax, int64_t org_id, const char *action,
    const char *target_type, const char *target_id, const cJSON *before,
    const cJSON *after, struct ob_fail *f);

/**
 * An org's audit rows, newest first: at most limit rows with id below
 * before_id (0: from the newest). Returns a list object
 * {"object":"list","data":[…],"has_more":…} or NULL (db->lasterr).
 */
cJSON *ob_audit_list(struct ob_db *db, int64_t org_id, int64_t before_id, int limit);

#endif
