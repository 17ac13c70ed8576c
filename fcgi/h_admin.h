/*
 * The staff console's webhook pages (action OB_ACT_STAFF).
 */
#ifndef OB_H_ADMIN_H
#define OB_H_ADMIN_H

#include "fcgi/fields.h"
#include "fcgi/req.h"

/** GET /admin/webhooks: the event log (type, status, org filters; cursor). */
int ob_h_admin_webhooks(struct ob_req *r);

/** GET /admin/webhooks/{event_id}: payload and processing history. */
int ob_h_admin_webhook(struct ob_req *r);

/** POST /admin/webhooks/{event_id}/replay: reprocess now (reason required, audited). */
int ob_h_admin_webhook_replay(struct ob_req *r);
extern const struct ob_fields ob_h_admin_webhook_replay_fields;

#endif
