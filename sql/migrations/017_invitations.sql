-- 017: invitations people accept. An invitation names an e-mail address
-- and a role; nobody becomes a member (and no user row is made) until the
-- person opens the link and accepts. Only the SHA-256 of the link's token
-- is stored.

CREATE TABLE invitations (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id        bigint NOT NULL REFERENCES organizations (id),
	-- Normalized: trimmed and lowercase.
	email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND email LIKE '%_@_%'
	                  AND email = lower(email)),
	role          text NOT NULL CHECK (role IN ('owner', 'admin', 'billing', 'member')),
	department    text NOT NULL DEFAULT '' CHECK (length(department) <= 100),
	-- The role the inviter held when inviting (an admin-scope API key
	-- counts as admin); acceptance checks the role rules against it again.
	inviter_role  text NOT NULL CHECK (inviter_role IN ('owner', 'admin', 'system')),
	invited_by    bigint REFERENCES users (id),
	invited_by_key text,
	token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	created_at    timestamptz NOT NULL DEFAULT now(),
	sent_at       timestamptz NOT NULL DEFAULT now(),
	expires_at    timestamptz NOT NULL,
	accepted_at   timestamptz,
	accepted_by   bigint REFERENCES users (id),
	revoked_at    timestamptz,
	CHECK (accepted_at IS NULL OR revoked_at IS NULL),
	CHECK ((accepted_at IS NULL) = (accepted_by IS NULL))
);
-- One open invitation per org and address: inviting again renews it.
CREATE UNIQUE INDEX invitations_open ON invitations (org_id, email)
	WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- Before invitations, inviting made a user without a password and an
-- active membership at once; such a person could never sign in. Their
-- memberships (except owners') become invitations that have already
-- expired, so an owner or admin can resend them from the members page, and
-- the memberships are marked removed. The token is random and never sent.
INSERT INTO invitations (org_id, email, role, department, inviter_role, token_hash,
    created_at, sent_at, expires_at)
SELECT m.org_id, lower(u.email), m.role, m.department, 'system',
    sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || m.org_id::text
        || u.id::text, 'UTF8')),
    m.created_at, m.created_at, now()
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE u.password_hash IS NULL AND NOT u.is_staff AND m.status <> 'removed'
    AND m.role <> 'owner' AND lower(u.email) = lower(trim(u.email))
ON CONFLICT DO NOTHING;
UPDATE memberships m SET status = 'removed'
FROM users u
WHERE u.id = m.user_id AND u.password_hash IS NULL AND NOT u.is_staff
    AND m.status <> 'removed' AND m.role <> 'owner';
