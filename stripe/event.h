/*
 * ob_whevent: a Stripe event's envelope — id, type, created, livemode,
 * data.object's id and kind. Parsing only: no database, no I/O, no domain
 * (the fuzz target drives it). Storing and applying events is core/sync/.
 */
#ifndef OB_STRIPE_EVENT_H
#define OB_STRIPE_EVENT_H

#include <stddef.h>

#include <cJSON.h>

struct ob_whevent {
	char id[256];
	char type[201];
	char object_id[256];
	char object_type[64];
	long long created;
	int livemode;
};

/** Parse an event's JSON; fill ev and (if root not NULL) hand over the tree. 0 or -1. */
int ob_whevent_parse(const char *payload, size_t len, struct ob_whevent *ev, cJSON **root);

#endif
