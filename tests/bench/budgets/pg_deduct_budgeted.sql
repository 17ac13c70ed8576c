\set m random(1601, 3200)
\set k random(1, 1000000000000)
\set a 1 + :k % 50
SELECT d.status, d.deduction_id, d.budget_scope FROM bench_bm b, deduct_credits(b.org_id, b.user_id, (:a)::bigint, 'chat', NULL, 'bb-' || (:k)::text || '-' || (:client_id)::text, decode('00', 'hex'), NULL::jsonb, NULL::bigint) d WHERE b.k = :m;
