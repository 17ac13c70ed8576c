\set o random(2, 10000)
\set u 10002001 + (:o - 2) * 100 + random(0, 99)
SELECT sufficient, reason, pool_available, allocation_remaining FROM has_sufficient_credits((1000000 + (:o)::int)::bigint, (:u)::bigint, 10::bigint);
