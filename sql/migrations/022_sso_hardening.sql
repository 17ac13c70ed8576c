-- 022: single sign-on hardening (docs/SSO.md). An existing account is
-- linked to a provider identity only by its signed-in owner: the sign-in
-- under way remembers whose link it is.

ALTER TABLE sso_logins ADD COLUMN link_user_id bigint REFERENCES users (id);
