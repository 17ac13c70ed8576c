\set o random(2, 10000)
\set u 10002001 + (:o - 2) * 100 + random(0, 99)
\set k random(1, 1000000000000)
\set a 1 + :k % 50
SELECT status, deduction_id, replayed, pool_remaining, allocation_remaining, extra_task, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24' || chr(58) || 'MI' || chr(58) || 'SS"Z"'), org_id FROM deduct_credits((1000000 + (:o)::int)::bigint, (:u)::bigint, (:a)::bigint, 'chat', NULL, 'pg-' || (:k)::text || '-' || (:client_id)::text, decode('00', 'hex'), NULL::jsonb, NULL::bigint);
