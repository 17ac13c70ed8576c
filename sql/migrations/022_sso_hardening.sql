-- 022: single sign-on hardening (docs/SSO.md). An existing account is
-- linked to a provider identity only by its signed-in owner: the sign-in
-- under way remembers whose link it is.

ALTER TABLE sso_logins ADD COLUMN link_user_id bigint REFERENCES users (id);

-- How a session was authenticated: a row here when it came from an org's
-- single sign-on (none: the password). An org that requires SSO admits
-- only sessions made by its own connection.
CREATE TABLE sso_sessions (
	session_id bigint PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
	org_id     bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE
);
