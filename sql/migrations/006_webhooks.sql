-- 006: Stripe webhook events — stored first (raw body, byte for byte),
-- then applied exactly once in their own transaction.

CREATE TABLE webhook_events (
	id              text PRIMARY KEY CHECK (id ~ '^evt_[A-Za-z0-9_]{1,250}$'),
	type            text NOT NULL CHECK (length(type) BETWEEN 1 AND 200),
	object_id       text,			-- data.object.id
	object_type     text,			-- data.object.object
	created         bigint NOT NULL,	-- the event's own creation time (Unix)
	livemode        boolean NOT NULL DEFAULT false,
	org_id          bigint REFERENCES organizations (id),	-- once known
	payload         bytea NOT NULL,		-- exactly as received
	status          text NOT NULL DEFAULT 'received'
	                CHECK (status IN ('received', 'processed', 'failed', 'skipped')),
	attempts        int NOT NULL DEFAULT 0,
	last_error      text,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	received_at     timestamptz NOT NULL DEFAULT now(),
	processed_at    timestamptz
);
-- What the retry runner picks, oldest due first.
CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at)
	WHERE status IN ('received', 'failed');
CREATE INDEX webhook_events_log ON webhook_events (received_at DESC, id);
CREATE INDEX webhook_events_object ON webhook_events (object_id, type, created DESC);

-- Every processing attempt, for the staff console's history.
CREATE TABLE webhook_attempts (
	event_id    text NOT NULL REFERENCES webhook_events (id),
	attempt     int NOT NULL,
	source      text NOT NULL CHECK (source IN ('delivery', 'retry', 'replay')),
	outcome     text NOT NULL CHECK (outcome IN ('processed', 'failed', 'skipped')),
	error       text,
	at          timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (event_id, attempt)
);
