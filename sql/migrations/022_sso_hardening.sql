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

-- E-mail domains an org's connection may use for routing and just-in-time
-- accounts: only those the operator verified (docs/SSO.md "Domains"). An
-- owner's allowed_domains are requests until then. The primary key makes a
-- verified domain one org's at most, whatever the timing of two claims.
-- Domains listed before this migration start unverified.
CREATE TABLE sso_verified_domains (
	domain      text PRIMARY KEY CHECK (domain = lower(domain) AND length(domain) BETWEEN 3 AND 253),
	org_id      bigint NOT NULL REFERENCES sso_connections (org_id) ON DELETE CASCADE,
	verified_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sso_verified_domains_org ON sso_verified_domains (org_id);
