-- 019: single sign-on with OpenID Connect (docs/SSO.md): one connection
-- per org, the provider identities linked to users, and the sign-ins under
-- way (state, nonce and PKCE verifier, single use, ten minutes).

CREATE TABLE sso_connections (
	org_id            bigint PRIMARY KEY REFERENCES organizations (id),
	issuer            text NOT NULL CHECK (issuer ~ '^https?://[^\s]+$' AND length(issuer) <= 500),
	client_id         text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 255),
	-- crypto_secretbox nonce (24 bytes) followed by the sealed client secret,
	-- under the key ORGBILL_SSO_KEY.
	client_secret_enc bytea NOT NULL CHECK (length(client_secret_enc) > 40),
	-- lower-case e-mail domains whose verified addresses may join as members.
	allowed_domains   text[] NOT NULL DEFAULT '{}',
	sso_required      boolean NOT NULL DEFAULT false,
	created_at        timestamptz NOT NULL DEFAULT now(),
	updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER sso_connections_touch BEFORE UPDATE ON sso_connections
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();
CREATE INDEX sso_connections_domains ON sso_connections USING gin (allowed_domains);

-- A user is matched by (issuer, sub) once linked; the e-mail only at the first link.
CREATE TABLE sso_identities (
	issuer     text NOT NULL,
	subject    text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
	user_id    bigint NOT NULL REFERENCES users (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (issuer, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- Sign-ins under way: only the state's hash is stored; a row is deleted by
-- the callback that uses it (single use) and is good for ten minutes.
CREATE TABLE sso_logins (
	state_hash    bytea PRIMARY KEY CHECK (length(state_hash) = 32),
	org_id        bigint NOT NULL REFERENCES organizations (id),
	nonce         text NOT NULL,
	code_verifier text NOT NULL,
	next          text NOT NULL DEFAULT '/',
	created_at    timestamptz NOT NULL DEFAULT now(),
	expires_at    timestamptz NOT NULL
);
CREATE INDEX sso_logins_expires ON sso_logins (expires_at);
