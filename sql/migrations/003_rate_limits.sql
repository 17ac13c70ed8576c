-- 003: counters for the rate-limit classes that must hold exactly across
-- hosts (subscription changes, refunds, logins; core/ratelimit.c and
-- docs/RATELIMITS.md). The frequent classes (reads, writes, metering) are
-- counted in each host's shared memory and never touch this table.
--
-- One row per bucket ("CLASS:IDENTITY", or "CLASS#" and a hash) and fixed
-- window; the upsert in the statement table adds one request atomically.
-- Windows are at most a day long, so rows that started more than a day
-- ago are finished and the jobs runner deletes them (rate_limit_cleanup).
CREATE TABLE rate_limit_counters (
	bucket       text NOT NULL CHECK (length(bucket) BETWEEN 1 AND 300),
	window_start timestamptz NOT NULL,
	count        integer NOT NULL CHECK (count >= 0),
	PRIMARY KEY (bucket, window_start)
) WITH (fillfactor = 70);	-- room for HOT updates of count

CREATE INDEX rate_limit_counters_window_start ON rate_limit_counters (window_start);
