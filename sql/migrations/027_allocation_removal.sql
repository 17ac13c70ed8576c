-- 027: a member's credit allocation can be removed (docs/CREDITS.md):
-- the member is unlimited again and spends from the pool freely. The
-- change history records a removal as new_limit NULL.

ALTER TABLE credit_allocation_changes ALTER COLUMN new_limit DROP NOT NULL;
