-- 024: staff roles (docs/ADMIN.md). A staff user has one role: support
-- (read everything, re-sync, reprocess webhooks, suspend and activate),
-- finance (support, and refunds, credit grants, seat and subscription
-- changes) or admin (finance, and staff management). Staff before this
-- migration were a flag only: they become admins, as they could do
-- everything. A role needs the flag; the flag without a role is read as
-- the least role (support).
ALTER TABLE users
	ADD COLUMN staff_role text CHECK (staff_role IN ('support', 'finance', 'admin'));
UPDATE users SET staff_role = 'admin' WHERE is_staff;
ALTER TABLE users
	ADD CONSTRAINT users_staff_role_needs_staff CHECK (staff_role IS NULL OR is_staff);

-- The staff customers table sorts and searches organizations by name.
CREATE INDEX organizations_name_lower ON organizations (lower(name));
