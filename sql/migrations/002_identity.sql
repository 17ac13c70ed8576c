-- 002: who may see and do what — organizations, users, memberships,
-- console sessions, API keys, the audit log and idempotency records.

CREATE TABLE organizations (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
	status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
	suspended_reason text,
	billing_email    text CHECK (billing_email IS NULL OR length(billing_email) <= 320),
	-- Members see a read-only plan and credit summary unless this is off.
	members_see_billing boolean NOT NULL DEFAULT true,
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	CHECK ((status = 'suspended') = (suspended_reason IS NOT NULL))
);
CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();

CREATE TABLE users (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email          text NOT NULL CHECK (length(email) BETWEEN 3 AND 320 AND email LIKE '%_@_%'),
	name           text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
	-- libsodium crypto_pwhash_str (Argon2id); NULL: cannot sign in.
	password_hash  text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
	is_staff       boolean NOT NULL DEFAULT false,
	default_org_id bigint REFERENCES organizations (id) ON DELETE SET NULL,
	last_login_at  timestamptz,
	created_at     timestamptz NOT NULL DEFAULT now()
);
-- E-mail addresses are unique without regard to case.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
	org_id         bigint NOT NULL REFERENCES organizations (id),
	user_id        bigint NOT NULL REFERENCES users (id),
	role           text NOT NULL CHECK (role IN ('owner', 'admin', 'billing', 'member')),
	department     text NOT NULL DEFAULT '' CHECK (length(department) <= 100),
	status         text NOT NULL DEFAULT 'active' CHECK (status IN ('invited', 'active', 'removed')),
	last_active_at timestamptz,
	created_at     timestamptz NOT NULL DEFAULT now(),
	updated_at     timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id) WHERE status <> 'removed';
CREATE TRIGGER memberships_touch BEFORE UPDATE ON memberships
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();

-- Console sessions: only a hash of the cookie's 256-bit token is stored.
CREATE TABLE sessions (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	user_id       bigint NOT NULL REFERENCES users (id),
	org_id        bigint REFERENCES organizations (id) ON DELETE SET NULL,
	created_at    timestamptz NOT NULL DEFAULT now(),
	last_seen_at  timestamptz NOT NULL DEFAULT now(),
	expires_at    timestamptz NOT NULL,
	ip            text,
	user_agent    text
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API keys: "ob_<prefix>_<secret>"; the prefix is visible, the secret is
-- stored only as a hash.
CREATE TABLE api_keys (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id       bigint NOT NULL REFERENCES organizations (id),
	prefix       text NOT NULL UNIQUE CHECK (prefix ~ '^[a-z0-9]{12}$'),
	secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
	name         text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
	scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write', 'meter', 'admin'] AND cardinality(scopes) > 0),
	created_by   bigint REFERENCES users (id),
	created_at   timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz,
	revoked_at   timestamptz
);
CREATE INDEX api_keys_org ON api_keys (org_id);

-- Every mutation writes one row here in its own transaction.
CREATE TABLE audit_log (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id      bigint REFERENCES organizations (id),
	actor_type  text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'staff', 'system', 'stripe')),
	actor_id    text,
	action      text NOT NULL,
	target_type text,
	target_id   text,
	before      jsonb,
	after       jsonb,
	request_id  text,
	ip          text,
	reason      text,
	created_at  timestamptz NOT NULL DEFAULT now(),
	CHECK (actor_type <> 'staff' OR (reason IS NOT NULL AND length(reason) > 0))
);
CREATE INDEX audit_log_org ON audit_log (org_id, id DESC);

-- Idempotency records: the first answer to (org, key) is kept for 24 h and
-- replayed; the same key with another request is refused.
CREATE TABLE idempotency_keys (
	org_id        bigint NOT NULL,
	key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
	request_hash  bytea NOT NULL,
	status        int NOT NULL,
	response      text NOT NULL,
	created_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
