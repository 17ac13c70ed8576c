/*
 * What the credits module's grant and reversal files share
 * (credits_admin.c, credits_reverse.c); not for other layers.
 */
#ifndef OB_CREDITS_INT_H
#define OB_CREDITS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "base/db.h"
#include "base/fail.h"
#include "identity/audit.h"

/** Who acts, for the ledger's actor column (the audit row says it fully), into buf. */
void ob_credits_actor(const struct ob_actx *ax, char *buf, size_t len);

/**
 * End a mutation that answers o (NULL: it failed, f set): audit action on
 * (type, id) with o as the after picture and commit, handing o back; else
 * roll back and free o. o, or NULL with f.
 */
cJSON *ob_credits_commit_answer(const struct ob_actx *ax, int64_t org_id, const char *action,
    const char *type, const char *id, cJSON *o, struct ob_fail *f);

/** 1 if org_id names an organization, 0 if not (f set: 404), -1 on a database failure. */
int ob_credits_org_exists(struct ob_db *db, int64_t org_id, struct ob_fail *f);

#endif
