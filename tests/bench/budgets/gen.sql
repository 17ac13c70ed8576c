-- The budgets benchmark's data: 64 orgs of 50 members each (department
-- Eng, team Core), every pool 10^12 credits. Orgs 33–64 have three hard
-- budgets above each member (org, department, team; monthly, limits far
-- above what a run spends), orgs 1–32 none. bench_bm numbers the members:
-- k 1–1600 without budgets, 1601–3200 with.
CREATE TABLE bench_bm (k int PRIMARY KEY, org_id bigint NOT NULL, user_id bigint NOT NULL);
DO $$
DECLARE
	o bigint;
	u bigint;
	t bigint;
	b bigint;
	i int;
	j int;
BEGIN
	FOR i IN 1 .. 64 LOOP
		INSERT INTO organizations (name, slug) VALUES ('budget bench ' || i, 'budget-bench-' || i)
		    RETURNING id INTO o;
		PERFORM add_credits_to_pool(o, NULL, 1000000000000, 'manual', NULL, NULL, 'bench',
		    'bench', NULL);
		INSERT INTO teams (org_id, department, name) VALUES (o, 'Eng', 'Core') RETURNING id INTO t;
		FOR j IN 1 .. 50 LOOP
			INSERT INTO users (email) VALUES (format('budget-bench-%s-%s@example.test', i, j))
			    RETURNING id INTO u;
			INSERT INTO memberships (org_id, user_id, role, department, team_id)
			VALUES (o, u, 'member', 'Eng', t);
			INSERT INTO bench_bm VALUES ((i - 1) * 50 + j, o, u);
		END LOOP;
		IF i > 32 THEN
			INSERT INTO budgets (org_id, scope, period, mode, amount_credits, limit_credits)
			VALUES (o, 'org', 'monthly', 'hard', 1000000000000000, 1000000000000000)
			RETURNING id INTO b;
			PERFORM budget_open(b);
			INSERT INTO budgets (org_id, scope, department, period, mode, amount_credits,
			    limit_credits)
			VALUES (o, 'department', 'Eng', 'monthly', 'hard', 1000000000000000, 1000000000000000)
			RETURNING id INTO b;
			PERFORM budget_open(b);
			INSERT INTO budgets (org_id, scope, team_id, period, mode, amount_credits, limit_credits)
			VALUES (o, 'team', t, 'monthly', 'hard', 1000000000000000, 1000000000000000)
			RETURNING id INTO b;
			PERFORM budget_open(b);
		END IF;
	END LOOP;
END;
$$;
ANALYZE;
