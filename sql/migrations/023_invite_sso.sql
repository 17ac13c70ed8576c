-- 023: accepting an invitation to an org that requires single sign-on goes
-- through the org's provider (docs/SSO.md "Invitations"): the sign-in under
-- way remembers which invitation it accepts once the provider answers.
ALTER TABLE sso_logins ADD COLUMN invitation_id bigint REFERENCES invitations (id) ON DELETE CASCADE;
