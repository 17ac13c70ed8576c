/*
 * ob_idem: Idempotency-Key records. A mutation claims (org, key) inside its
 * own transaction before doing anything; the answer it gives is stored in
 * the same transaction, so a retry either replays that answer or — if the
 * first attempt never committed — runs afresh. The same key with another
 * request is refused. Records live 24 hours.
 */
#ifndef OB_IDEM_H
#define OB_IDEM_H

#include <stddef.h>
#include <stdint.h>

#include "base/db.h"
#include "base/fail.h"

#define OB_IDEM_KEY_MAX 255

enum ob_idem_state {
	OB_IDEM_NEW,		/* claimed: do the work, then ob_idem_finish */
	OB_IDEM_REPLAY,		/* answered before: *status and *body hold it */
	OB_IDEM_MISMATCH,	/* the key was used for another request: 409 */
	OB_IDEM_ERROR,		/* database failure */
};

/** True if key is usable: 1–255 printable ASCII characters. */
int ob_idem_key_ok(const char *key);

/*
 * The one pair of idempotency errors, whichever record the mutation keeps
 * (these records, a subscription operation, a ledger deduction):
 */

/** 0 if key is usable, else -1 with f set: 400 invalid_idempotency_key. */
int ob_idem_check_key(const char *key, struct ob_fail *f);

/** Fill f for a key already used with another request (409 idempotency_key_reused); -1. */
int ob_idem_fail_reused(struct ob_fail *f);

/** SHA-256 over method, path and body: what "the same request" means. */
void ob_idem_hash(const char *method, const char *path, const char *body,
    size_t body_len, unsigned char out[32]);

/**
 * Claim key for org (inside the caller's transaction). A concurrent claim
 * of the same key waits for the first to commit or roll back. On REPLAY
 * *body is a malloc'd copy the caller frees.
 */
enum ob_idem_state ob_idem_claim(struct ob_db *db, int64_t org_id, const char *key,
    const unsigned char hash[32], int *status, char **body);

/** Store the answer for a claimed key (same transaction). 0 or -1. */
int ob_idem_finish(struct ob_db *db, int64_t org_id, const char *key, int status,
    const char *body);

#endif
