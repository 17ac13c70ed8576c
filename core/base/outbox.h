/*
 * ob_outbox: e-mail to send, written in the transaction of what causes it
 * (receipts, payment-failure and dunning notices) and delivered by
 * `orgbill jobs` over SMTP with libcurl. Each notice has a dedupe key, so
 * the same event queued twice is sent once. A failed delivery is retried
 * with backoff (60 s doubling, at most OB_OUTBOX_MAX_ATTEMPTS).
 */
#ifndef OB_OUTBOX_H
#define OB_OUTBOX_H

#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "base/db.h"

#define OB_OUTBOX_MAX_ATTEMPTS	8
#define OB_OUTBOX_SUBJECT_MAX	200
#define OB_OUTBOX_BODY_MAX	65536

/** SMTP settings: ORGBILL_SMTP_URL (e.g. smtp://127.0.0.1:2525; empty: no sending), ORGBILL_MAIL_FROM. */
struct ob_outbox_smtp {
	const char *url;
	const char *from;
	long timeout_ms;
};

/** Fill s from the environment (strings borrowed from it). */
void ob_outbox_smtp_from_env(struct ob_outbox_smtp *s);

/**
 * Queue one message (org_id 0: none). A message whose dedupe key was
 * queued before is dropped (returns 0). Subject and body are bounded and
 * CR/LF in the subject become spaces. 0 or -1.
 */
int ob_outbox_enqueue(struct ob_db *db, int64_t org_id, const char *kind, const char *dedupe,
    const char *to, const char *subject, const char *body);

/**
 * Queue a message to each of org's billing contacts (the billing e-mail;
 * with members, also its owners and billing members); the dedupe key gets
 * ":<address>" appended. *queued counts recipients (may be NULL). 0 or -1.
 */
int ob_outbox_notify(struct ob_db *db, int64_t org_id, int members, const char *kind,
    const char *dedupe, const char *subject, const char *body, int *queued);

/**
 * Format an RFC 5322 message into out: Date, From, To, Subject,
 * Message-ID, MIME headers, a blank line and body with every line ending
 * in CRLF. Header values lose CR and LF. 0, or -1 if an address is unusable.
 */
int ob_outbox_format(struct ob_buf *out, const char *from, const char *to, const char *subject,
    const char *body, const char *message_id, time_t date);

/**
 * Deliver up to limit due messages (each under its row lock, so
 * concurrent senders never send one twice). *sent and *failed count them.
 * Does nothing when s->url is empty. 0, or -1 on a database failure.
 */
int ob_outbox_send_due(struct ob_db *db, const struct ob_outbox_smtp *s, int limit, int *sent,
    int *failed);

#endif
