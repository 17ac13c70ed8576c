\set o random(2, 10000)
SELECT d::date::text, COALESCE(sum(r.amount), 0)::bigint, COALESCE(sum(r.n), 0)::bigint FROM generate_series((now() AT TIME ZONE 'UTC')::date - 29, (now() AT TIME ZONE 'UTC')::date, interval '1 day') d LEFT JOIN credit_rollup_day r ON r.day = d::date AND r.pool_id = (SELECT id FROM credit_pools WHERE org_id = (1000000 + (:o)::int)::bigint) GROUP BY d ORDER BY d;
