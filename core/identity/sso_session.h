/*
 * ob_sso_session: how a console session was authenticated (docs/SSO.md
 * "SSO required"). A session made by an org's single sign-on is marked
 * with that org (table sso_sessions); one made by a password is not. An
 * org that requires SSO admits only sessions its own connection made.
 * API keys are not sessions and are not affected.
 */
#ifndef OB_SSO_SESSION_H
#define OB_SSO_SESSION_H

#include <stdint.h>

#include "base/db.h"

/**
 * Mark the session whose cookie value is token_text as made by org_id's
 * single sign-on. 0, or -1 (bad token or database).
 */
int ob_sso_session_mark(struct ob_db *db, const char *token_text, int64_t org_id);

/**
 * Whether session_id may act in org_id: 1 when the org does not require
 * SSO or the session was made by its connection, 0 when refused, -1 on a
 * database failure.
 */
int ob_sso_session_allowed(struct ob_db *db, int64_t org_id, int64_t session_id);

/**
 * Whether org_id requires single sign-on: 1 yes, 0 no, -1 on a database
 * failure (callers fail closed).
 */
int ob_sso_org_required(struct ob_db *db, int64_t org_id);

#endif
